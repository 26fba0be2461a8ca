"""Parsing real records, and refusing damaged copies of them.

Expected figures (lengths, exon maps) come from data/refseq/PROVENANCE.md, which was checked
against NCBI downloads and genomic alignments independently of assay.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assay.data import refseq_dir
from assay.primers.accession import parse_accession
from assay.primers.records import (
    Exon,
    RecordError,
    RecordFormat,
    parse_exon_fasta,
    parse_fasta,
    parse_genbank,
    parse_record,
)

GENBANK = Path(__file__).parent / "fixtures" / "genbank"
GAPDH_EXONS = [(1, 53), (54, 105), (106, 205), (206, 312), (313, 403), (404, 519), (520, 601),
               (602, 1014), (1015, 1285)]  # fmt: skip


def _text(name: str) -> str:
    return (refseq_dir() / name).read_text(encoding="ascii")


@pytest.mark.parametrize(
    ("name", "fmt", "length", "exons"),
    [
        ("NM_006218.4.fasta", RecordFormat.FASTA, 9259, 0),  # PIK3CA
        ("NM_004958.4.fasta", RecordFormat.FASTA, 8721, 0),  # MTOR
        ("NM_002046.7.exons.fasta", RecordFormat.EXONS, 1285, 9),  # GAPDH
        ("XM_006713658.5.exons.fasta", RecordFormat.EXONS, 9106, 21),  # PIK3CA X1
        ("decoys/NM_000546.6.exons.fasta", RecordFormat.EXONS, 2512, None),  # TP53
    ],
)
def test_bundled_records_parse_with_their_published_lengths(
    name: str, fmt: RecordFormat, length: int, exons: int | None
) -> None:
    accession = parse_accession(Path(name).name.removesuffix(f".{fmt.value}"))
    record = parse_record(_text(name), fmt, accession)
    assert record.length == length
    if exons is not None:
        assert len(record.exons) == exons
    assert record.accession == accession


def test_gapdh_exon_map_is_the_records_own() -> None:
    record = parse_exon_fasta(_text("NM_002046.7.exons.fasta"), parse_accession("NM_002046.7"))
    assert [(e.start, e.end) for e in record.exons] == GAPDH_EXONS
    assert record.tiles
    # Exon 1 of GAPDH as the record prints it (its first line, 53 bases).
    first_line = _text("NM_002046.7.exons.fasta").splitlines()[1]
    assert record.sequence[:53] == first_line[:53]


def test_genbank_exon_and_cds_features() -> None:
    # iro.gb: exon 341..384 /number=1, intron 385..617, exon 618..756 /number=2; 1326 bp.
    record = parse_genbank((GENBANK / "AL109817.1.gb").read_text(), parse_accession("AL109817.1"))
    assert record.exons == (
        Exon(number=1, start=341, end=384, label="1"),
        Exon(number=2, start=618, end=756, label="2"),
    )
    assert not record.tiles  # an intron lies between them
    assert record.length == 1326
    assert record.cds is None
    # brca_FJ940752.gb: CDS <79..>153, exon 79..153 /number=18; 349 bp.
    brca = parse_genbank((GENBANK / "FJ940752.1.gb").read_text(), parse_accession("FJ940752.1"))
    assert brca.exons == (Exon(number=1, start=79, end=153, label="18"),)
    assert brca.exons[0].name == "18"
    assert brca.cds == (79, 153)
    assert brca.sequence.startswith("GGCTCTTTAGCTTCTTAGGA")


PIK3CA = "NM_006218.4.fasta"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(lambda _t: "", "is empty", id="empty"),
        pytest.param(
            lambda _t: "<!DOCTYPE html><html><body>Service unavailable</body></html>",
            "an HTML or XML page came instead",
            id="HTML error page",
        ),
        pytest.param(
            lambda t: t.replace(">NM_006218.4", ">NM_006218.3", 1),
            "the record is NM_006218.3, not the NM_006218.4 asked for",
            id="another version",
        ),
        pytest.param(
            lambda t: t + _text("NM_004958.4.fasta"),
            "expected one FASTA record, found 2",
            id="two records",
        ),
        pytest.param(
            lambda t: t.replace("\n", "\n<b>", 2), "characters that are not bases", id="markup"
        ),
        pytest.param(lambda t: t.split("\n", 1)[0] + "\n", "has no sequence", id="header only"),
    ],
)
def test_damaged_fasta_is_refused(damage: Callable[[str], str], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_fasta(damage(_text(PIK3CA)), parse_accession("NM_006218.4"))


def test_truncated_exon_fasta_is_refused() -> None:
    text = _text("NM_002046.7.exons.fasta")
    cut = text[: len(text) - 30]  # the last exon loses its last bases
    with pytest.raises(RecordError, match=r"exon 9 \(1015-1285\) has .* bases, not 271"):
        parse_exon_fasta(cut, parse_accession("NM_002046.7"))


def test_exon_fasta_missing_an_exon_is_refused() -> None:
    lines = _text("NM_002046.7.exons.fasta").splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if line.startswith(">")]
    without_exon_2 = "".join(lines[: headers[1]] + lines[headers[2] :])
    with pytest.raises(
        RecordError, match="exon 2 starts at 106 but the one before ends at 53: an exon is missing"
    ):
        parse_exon_fasta(without_exon_2, parse_accession("NM_002046.7"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(
            lambda t: t.rstrip().removesuffix("//"), r"has no end \(//\)", id="no end marker"
        ),
        pytest.param(
            lambda t: t.replace("     1321 aaaaaa\n", ""),
            "LOCUS says 1326 bp but the record holds 1320",
            id="last sequence line lost",
        ),
        pytest.param(
            lambda t: t.replace("VERSION     AL109817.1", "VERSION     AL109817.2"),
            "the record is AL109817.2, not the AL109817.1",
            id="another version",
        ),
    ],
)
def test_damaged_genbank_is_refused(damage: Callable[[str], str], message: str) -> None:
    text = (GENBANK / "AL109817.1.gb").read_text()
    with pytest.raises(RecordError, match=message):
        parse_genbank(damage(text), parse_accession("AL109817.1"))


@pytest.mark.parametrize(("keywords", "mane"), [("RefSeq; MANE Select.", True),
                                                ("RefSeq; MANE Plus Clinical.", False),
                                                ("RefSeq.", False)])  # fmt: skip
def test_a_mane_select_record_says_so(keywords: str, mane: bool) -> None:
    # Current RefSeq records name their MANE status in KEYWORDS ("RefSeq; MANE Select.");
    # the bundled records predate it, so the test rewrites a copy's KEYWORDS line.
    text = (GENBANK / "AL109817.1.gb").read_text()
    start = text.index("\nKEYWORDS") + 1
    end = text.index("\n", start)
    rewritten = text[:start] + f"KEYWORDS    {keywords}" + text[end:]
    assert parse_genbank(rewritten, parse_accession("AL109817.1")).mane is mane
