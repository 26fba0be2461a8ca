"""How a pair's verdict combines its findings with the availability of its reference record."""

from __future__ import annotations

import pytest

from assay.data import refseq_dir
from assay.primers.accession import parse_accession
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
