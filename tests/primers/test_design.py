"""Primer design: placements checked by hand on the exon maps, primer3's own picks, off-targets.

Expected values come from outside our code: the exon boundaries written out below (from the
records' PROVENANCE.md), primer3 run directly with the settings written out, and the record's own
sequence for the mTOR typo.
"""

from __future__ import annotations

import random
from pathlib import Path

import primer3
import pytest

from assay.data import refseq_dir, table1_path
from assay.primers.accession import parse_versioned
from assay.primers.cache import RecordCache
from assay.primers.design import (
    Design,
    DesignError,
    DesignSettings,
    Placement,
    design_pairs,
    junction_positions,
    redesign,
)
from assay.primers.model import Verdict
from assay.primers.offtarget import DatabaseSearch
from assay.primers.records import Transcript
from assay.primers.store import RecordStore
from assay.primers.table import read_primer_table
from assay.primers.validate import validate_pair

# Exon ends on the transcripts (1-based), from data/refseq/PROVENANCE.md.
EXON_ENDS = {
    "NM_002046.7": [53, 105, 205, 312, 403, 519, 601, 1014, 1285],
    "NM_006218.4": [
        247,
        675,
        885,
        1136,
        1382,
        1468,
        1574,
        1727,
        1862,
        1987,
        2069,
        2234,
        2338,
        2510,
        2617,
        2739,
        2818,
        2989,
        3107,
        3259,
        9259,
    ],
}
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _revcomp(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> RecordStore:
    """The bundled records, offline."""
    return RecordStore(RecordCache(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def designs(store: RecordStore) -> dict[str, Design]:
    return {
        acc: design_pairs(store.transcript(parse_versioned(acc)), records=store)
        for acc in ("NM_002046.7", "NM_006218.4", "NM_004958.4")
    }


def _exon_of(position: int, ends: list[int]) -> int:
    return next(i for i, end in enumerate(ends) if position <= end)


@pytest.mark.parametrize("accession", list(EXON_ENDS))
def test_every_pair_crosses_a_junction_or_sits_in_two_exons(
    accession: str, designs: dict[str, Design], store: RecordStore
) -> None:
    sequence = store.transcript(parse_versioned(accession)).sequence
    ends = EXON_ENDS[accession]
    design = designs[accession]
    # Up to 5 distinct alternatives (no shared primer site within 5 nt); GAPDH's short introns
    # leave fewer that are protected against genomic DNA.
    assert 3 <= len(design.pairs) <= 5
    for item in design.pairs:
        f_start = sequence.find(item.pair.forward.sequence) + 1
        r_end = sequence.find(_revcomp(item.pair.reverse.sequence)) + len(
            item.pair.reverse.sequence
        )
        f_end = f_start + item.pair.forward.length - 1
        r_start = r_end - item.pair.reverse.length + 1
        assert f_start > 0
        assert r_end > f_end
        # A primer across a junction: >= 7 nt on its 5' side, >= 4 nt on its 3' side.
        forward_spans = any(f_start + 6 <= end and f_end >= end + 4 for end in ends)
        reverse_spans = any(r_start + 3 <= end and r_end >= end + 7 for end in ends)
        different = _exon_of(f_end, ends) < _exon_of(r_start, ends)
        assert forward_spans or reverse_spans or different, item.pair
        expected = Placement.JUNCTION if forward_spans or reverse_spans else Placement.EXONS
        assert item.placement is expected
        assert 70 <= r_end - f_start + 1 <= 150


def test_junction_primers_appear_when_the_map_allows(designs: dict[str, Design]) -> None:
    # GAPDH's 9 exons give primer3 room for junction primers; at least one is proposed.
    assert any(p.placement is Placement.JUNCTION for p in designs["NM_002046.7"].pairs)


def test_every_pair_passes_validation_with_primer3_tms(designs: dict[str, Design]) -> None:
    for design in designs.values():
        for item in design.pairs:
            assert validate_pair(item.pair, records=None).verdict is Verdict.PASS
            for primer in (item.pair.forward, item.pair.reverse):
                tm = primer3.calc_tm(
                    primer.sequence, mv_conc=50, dv_conc=1.5, dntp_conc=0.6, dna_conc=50
                )
                assert 58 <= tm <= 62


def test_without_an_exon_map_the_pairs_are_primer3s_own_in_its_order(
    designs: dict[str, Design], store: RecordStore
) -> None:
    # MTOR's bundled record has no exon map: one primer3 run over the record. The same run,
    # written out here, must hold every proposed pair, in primer3's order of penalty.
    template = store.transcript(parse_versioned("NM_004958.4")).sequence
    own = primer3.bindings.design_primers(
        {"SEQUENCE_ID": "mtor", "SEQUENCE_TEMPLATE": template},
        {
            "PRIMER_PRODUCT_SIZE_RANGE": [[70, 150]],
            "PRIMER_MIN_SIZE": 18,
            "PRIMER_OPT_SIZE": 20,
            "PRIMER_MAX_SIZE": 25,
            "PRIMER_MIN_TM": 58.0,
            "PRIMER_OPT_TM": 60.0,
            "PRIMER_MAX_TM": 62.0,
            "PRIMER_PAIR_MAX_DIFF_TM": 2.0,
            "PRIMER_MIN_GC": 40.0,
            "PRIMER_MAX_GC": 60.0,
            "PRIMER_MAX_END_GC": 3,
            "PRIMER_GC_CLAMP": 1,
            "PRIMER_MAX_POLY_X": 4,
            "PRIMER_MAX_HAIRPIN_TH": 47.0,
            "PRIMER_SALT_MONOVALENT": 50.0,
            "PRIMER_SALT_DIVALENT": 1.5,
            "PRIMER_DNTP_CONC": 0.6,
            "PRIMER_DNA_CONC": 50.0,
            "PRIMER_NUM_RETURN": 20,
        },
    )
    order = [
        (left["SEQUENCE"], right["SEQUENCE"])
        for left, right in zip(own["PRIMER_LEFT"], own["PRIMER_RIGHT"], strict=True)
    ]
    design = designs["NM_004958.4"]
    picked = [(p.pair.forward.sequence, p.pair.reverse.sequence) for p in design.pairs]
    assert picked
    assert all(p in order for p in picked)
    assert [order.index(p) for p in picked] == sorted(order.index(p) for p in picked)
    assert all(p.placement is Placement.UNKNOWN for p in design.pairs)
    assert any("exon map of NM_004958.4 unknown" in note for note in design.notes)


def test_primer3_junction_positions_are_the_last_base_of_each_exon(store: RecordStore) -> None:
    record = store.transcript(parse_versioned("NM_002046.7"))
    assert junction_positions(record) == [end - 1 for end in EXON_ENDS["NM_002046.7"][:-1]]


def test_a_planted_off_target_removes_the_pair(
    tmp_path: Path, store: RecordStore, designs: dict[str, Design]
) -> None:
    best = designs["NM_002046.7"].pairs[0]
    record = store.transcript(parse_versioned("NM_002046.7")).sequence
    f = record.find(best.pair.forward.sequence)
    r = record.find(_revcomp(best.pair.reverse.sequence)) + best.pair.reverse.length
    rng = random.Random(7)
    filler = "".join(rng.choice("ACGT") for _ in range(600))
    database = tmp_path / "decoys.fa"
    database.write_text(f">DECOY_1 planted product\n{filler}{record[f:r]}{filler}\n")
    design = design_pairs(
        store.transcript(parse_versioned("NM_002046.7")),
        records=store,
        off_targets=DatabaseSearch(paths=(str(database),)),
    )
    proposed = [(p.pair.forward.sequence, p.pair.reverse.sequence) for p in design.pairs]
    assert (best.pair.forward.sequence, best.pair.reverse.sequence) not in proposed
    assert dict(design.rejected)["off_target_products"] >= 1
    assert design.pairs
    assert all(p.report.off_targets == () for p in design.pairs)


def test_no_pair_says_why_and_what_was_relaxed() -> None:
    # An AT-only template: no primer reaches 40 % GC, at any relaxation.
    record = Transcript(
        accession=parse_versioned("NM_000001.1"),
        description="AT repeat",
        sequence="ATTATAATTAATATTATAAT" * 40,
    )
    design = design_pairs(record, records=None)
    assert design.pairs == ()
    assert len(design.relaxed) == 3
    assert any("GC content failed" in line for line in design.explain)
    assert design.settings.product_max_bp == 250


def test_redesign_of_table1s_mtor_pair(store: RecordStore) -> None:
    mtor = next(p for p in read_primer_table(table1_path()) if p.gene == "mTOR")
    report = validate_pair(mtor, records=store)
    assert report.verdict is Verdict.FAIL
    proposals = redesign(report, records=store)
    record = store.transcript(parse_versioned("NM_004958.4")).sequence
    # The record at 7493-7512 read on the minus strand: the primer the paper meant.
    meant = _revcomp(record[7492:7512])
    assert meant == "CCAAGTTCCACACCGTCCAA"
    assert [p.kind for p in proposals] == ["corrected primer", "new partner", "new pair"]
    assert proposals[0].report.pair.reverse.sequence == meant
    assert proposals[1].report.pair.forward.sequence == mtor.forward.sequence
    assert all(p.report.verdict is Verdict.PASS for p in proposals)
    product = proposals[0].report.reference_check
    assert product is not None
    assert product.product is not None
    assert product.product.size_bp == 78  # the size Table 1 claims


def test_a_sound_pair_is_not_redesigned(store: RecordStore) -> None:
    gapdh = next(p for p in read_primer_table(table1_path()) if p.gene == "GAPDH")
    assert redesign(validate_pair(gapdh, records=store), records=store) == ()


def test_settings_that_cannot_hold_are_refused() -> None:
    with pytest.raises(DesignError, match="tm_min_c"):
        DesignSettings(tm_min_c=63.0)


def test_the_bundled_exon_records_are_those_the_test_expects() -> None:
    # Guard against the bundled record changing under the hand-written exon ends.
    text = (refseq_dir() / "NM_002046.7.exons.fasta").read_text()
    ends = [
        int(line.split(":")[1].split("-")[1].split()[0])
        for line in text.splitlines()
        if line.startswith(">")
    ]
    assert ends == EXON_ENDS["NM_002046.7"]


@pytest.mark.parametrize(("mane", "chosen"), [(None, "NM_000010.2"), ("NM_000500.1", "NM_000500.1"),
                                              ("XM_000020.1", "XM_000020.1")])  # fmt: skip
def test_a_gene_symbol_resolves_to_its_mane_select_transcript(
    mane: str | None, chosen: str
) -> None:
    # Without a MANE record, the lowest curated (NM_) number, newest version; a record that
    # says it is MANE Select goes first, whatever its number.
    from assay.primers.accession import parse_accession
    from assay.primers.records import Transcript
    from assay.primers.targets import target_of

    names = ["NM_000010.1", "NM_000010.2", "NM_000500.1", "XM_000020.1"]
    records = [Transcript(accession=parse_accession(n), description="Homo sapiens x (XYZ), mRNA",
                          sequence="ACGT" * 30, mane=n == mane) for n in names]  # fmt: skip
    target = target_of("xyz", lambda _symbol: records)
    assert str(target.accession) == chosen
    assert target.gene == "XYZ"
