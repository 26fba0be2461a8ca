"""How a pair's verdict combines its findings with the availability of its reference record."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from assay.data import refseq_dir
from assay.primers.accession import Accession, parse_accession
from assay.primers.entrez import RecordStatus
from assay.primers.model import Primer, PrimerPair, Verdict
from assay.primers.records import RecordFormat, parse_record
from assay.primers.store import InMemoryRecords
from assay.primers.validate import validate_pair

GAPDH = parse_record(
    (refseq_dir() / "NM_002046.7.exons.fasta").read_text(),
    RecordFormat.EXONS,
    parse_accession("NM_002046.7"),
)
RECORDS = InMemoryRecords({"NM_002046.7": GAPDH})


def _pair(accession: str | None, anneal: float = 57.0) -> PrimerPair:
    # Table 1's GAPDH primers; they break no rule when annealed at 57 C.
    return PrimerPair(
        gene="GAPDH",
        forward=Primer(sequence="TGAAGGTCGGAGTCAACGG"),
        reverse=Primer(sequence="TGGGTGGAATCATATTGGAACA"),
        accession=accession,
        anneal_temp_c=anneal,
    )


@pytest.mark.parametrize(
    ("accession", "anneal", "records", "verdict"),
    [
        ("NM_002046.7", 57.0, RECORDS, Verdict.PASS),  # record found, no rule broken
        ("NM_002046.7", 57.0, None, Verdict.PASS),  # records not consulted at all
        ("NM_004972.4", 57.0, RECORDS, Verdict.UNVERIFIED),  # record missing
        (None, 57.0, RECORDS, Verdict.UNVERIFIED),  # no accession to look up
        ("NM_002046", 57.0, RECORDS, Verdict.UNVERIFIED),  # no version: which record?
        ("NM_004972.4", 66.0, RECORDS, Verdict.FAIL),  # a failing rule wins over a missing record
    ],
)
def test_verdict(
    accession: str | None, anneal: float, records: InMemoryRecords | None, verdict: Verdict
) -> None:
    assert validate_pair(_pair(accession, anneal), records=records).verdict is verdict


def test_the_reason_for_unverified_is_given() -> None:
    report = validate_pair(_pair("NM_002046"), records=RECORDS)
    assert any('"NM_002046" has no version' in f.message for f in report.findings)


class ReplacedRecords(InMemoryRecords):
    """In-memory records whose status says the cited version was replaced (test configuration)."""

    def status(self, accession: Accession) -> RecordStatus | None:
        return RecordStatus(
            accession=accession, status="replaced",
            replaced_by=parse_accession("XM_006713658.5"), length=None,
        )  # fmt: skip


def test_a_replaced_record_is_said_and_the_newest_is_checked_too() -> None:
    pik3ca = parse_record(
        (refseq_dir() / "NM_006218.4.fasta").read_text(), RecordFormat.FASTA,
        parse_accession("NM_006218.4"),
    )  # fmt: skip
    x1 = parse_record(
        (refseq_dir() / "XM_006713658.5.exons.fasta").read_text(), RecordFormat.EXONS,
        parse_accession("XM_006713658.5"),
    )  # fmt: skip
    records = ReplacedRecords({"NM_006218.4": pik3ca, "XM_006713658.5": x1})
    pair = PrimerPair(
        gene="PI3k", forward=Primer(sequence="CATGGAGGAGAACCCTTATGTGA"),
        reverse=Primer(sequence="AGCACGAGGAAGATCAGGAATG"), accession="NM_006218.4",
        product_bp=114, anneal_temp_c=57.0,
    )  # fmt: skip
    report = validate_pair(pair, records=records)
    messages = [f.message for f in report.findings]
    assert "cited NM_006218.4 has been replaced by XM_006713658.5" in messages
    assert (
        "on the newest version XM_006713658.5 the primers give 114 bp: they still work on the "
        "current record"
    ) in messages
    assert report.verdict is Verdict.WARN


def test_off_target_search_is_given_to_validation_like_the_record_source() -> None:
    from assay.primers.binding import Strand
    from assay.primers.offtarget import Kind, OffTarget
    from assay.primers.validate import validate_pairs

    seen: list[tuple[str, list[str]]] = []

    class Planted:
        databases = 1

        def search(self, pair: PrimerPair, exclude: Iterable[str]) -> list[OffTarget]:
            seen.append((pair.gene, list(exclude)))
            return [OffTarget(record="chr_planted", start=100, end=219, strand=Strand.PLUS,
                              product_bp=120, kind=Kind.FR,
                              forward_mismatches=(), reverse_mismatches=())]  # fmt: skip

    pair = PrimerPair(gene="GAPDH", forward=Primer(sequence="TGAAGGTCGGAGTCAACGG"),
                      reverse=Primer(sequence="TGGGTGGAATCATATTGGAACA"),
                      accession="NM_002046.7")  # fmt: skip
    report = validate_pairs([pair], off_targets=Planted())
    (checked,) = report.pairs
    assert seen == [("GAPDH", ["NM_002046.7"])]
    assert any("1 off-target product(s): FR 120 bp in chr_planted" in f.message
               for f in checked.findings)  # fmt: skip
