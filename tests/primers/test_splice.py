"""Exon maps by spliced alignment, against NCBI's own exon features and the curated PIK3CA map."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.data import refseq_dir
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache
from assay.primers.offtarget import read_fasta
from assay.primers.records import Transcript
from assay.primers.reference import GenomicRecord, with_exons_from_genome
from assay.primers.sequence import reverse_complement
from assay.primers.splice import align_transcript

# data/refseq/PROVENANCE.md: NM_006218.4's exons, aligned to the GRCh37 PIK3CA extract when the
# records were collected (all GT-AG).
PIK3CA_EXONS = [
    (1, 247), (248, 675), (676, 885), (886, 1136), (1137, 1382), (1383, 1468), (1469, 1574),
    (1575, 1727), (1728, 1862), (1863, 1987), (1988, 2069), (2070, 2234), (2235, 2338),
    (2339, 2510), (2511, 2617), (2618, 2739), (2740, 2818), (2819, 2989), (2990, 3107),
    (3108, 3259), (3260, 9259),
]  # fmt: skip


def _record(accession: str) -> Transcript:
    record = RecordCache(Path("/nonexistent")).load(parse_accession(accession))
    assert record is not None
    return record


def _genomic(gene: str) -> GenomicRecord:
    (path,) = (refseq_dir() / "genomic").glob(f"{gene}_*.fasta")
    ((name, sequence),) = read_fasta(path)
    return GenomicRecord(name=name, sequence=sequence.upper())


@pytest.mark.parametrize("minus", [False, True], ids=["plus", "minus"])
def test_gapdh_exons_are_ncbis(minus: bool) -> None:
    # NM_002046.7 comes with NCBI's exon features; the alignment must find the same nine, whichever
    # strand of the extract it is given.
    record = _record("NM_002046.7")
    genome = _genomic("GAPDH").sequence
    alignment = align_transcript(record.sequence, reverse_complement(genome) if minus else genome)
    assert alignment is not None
    assert alignment.minus_strand is minus
    assert alignment.canonical
    assert [(e.start, e.end) for e in alignment.exons] == [(e.start, e.end) for e in record.exons]
    # NC_000012.11:6643683-6647537 holds GAPDH from its first base: exon 1 starts at 1.
    assert alignment.genomic_starts[0] == (len(genome) - 53 + 1 if minus else 1)


def test_pik3ca_exons_of_a_fasta_record() -> None:
    record = _record("NM_006218.4")
    assert record.exons == ()  # a FASTA record: no exon features
    placed, extract = with_exons_from_genome(record, [_genomic("GAPDH"), _genomic("PIK3CA")])
    assert extract is not None
    assert extract.name == "NC_000003.11:178866145-178957881"
    assert [(e.start, e.end) for e in placed.exons] == PIK3CA_EXONS
    assert placed.tiles


def test_no_map_where_it_is_not_certain() -> None:
    gapdh = _record("NM_002046.7")
    genome = _genomic("GAPDH").sequence
    # One base changed in exon 5 (313-403): the transcript no longer matches the genome exactly.
    changed = (
        gapdh.sequence[:350] + ("A" if gapdh.sequence[350] != "A" else "C") + gapdh.sequence[351:]
    )
    assert align_transcript(changed, genome) is None
    # XM_006713658.5 starts with an exon outside the PIK3CA extract.
    assert align_transcript(_record("XM_006713658.5").sequence, _genomic("PIK3CA").sequence) is None


def test_records_with_exon_maps_are_left_alone() -> None:
    gapdh = _record("NM_002046.7")
    assert with_exons_from_genome(gapdh, [_genomic("GAPDH")]) == (gapdh, None)
