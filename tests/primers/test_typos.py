"""Typing errors planted in copies of Table 1's primers, and the one the paper itself contains."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.primers.accession import parse_accession
from assay.primers.binding import Strand
from assay.primers.cache import RecordCache
from assay.primers.sequence import reverse_complement
from assay.primers.typos import TypoKind, find_typo

GAPDH_F, GAPDH_R = "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA"  # Table 1, exact on the record


def _record(accession: str) -> str:
    record = RecordCache(Path("/nonexistent")).load(parse_accession(accession))
    assert record is not None
    return record.sequence


@pytest.fixture(scope="module")
def gapdh() -> str:
    return _record("NM_002046.7")


@pytest.mark.parametrize(
    ("typed", "kind", "position"),
    [
        # base 9 (G) dropped: TGAAGGTC GAGTCAACGG
        (GAPDH_F[:8] + GAPDH_F[9:], TypoKind.DELETION, 9),
        # a T inserted after base 8
        (GAPDH_F[:8] + "T" + GAPDH_F[8:], TypoKind.INSERTION, 9),
        # bases 11 and 12 (A, G) swapped
        (GAPDH_F[:10] + GAPDH_F[11] + GAPDH_F[10] + GAPDH_F[12:], TypoKind.TRANSPOSITION, 11),
        # the 3'-terminal G typed as T (no site can prime with it)
        (GAPDH_F[:-1] + "T", TypoKind.SUBSTITUTION, 19),
    ],
)
def test_planted_typos_in_the_forward_primer(
    gapdh: str, typed: str, kind: TypoKind, position: int
) -> None:
    typo = find_typo(typed, gapdh)
    assert typo is not None
    assert (typo.kind, typo.position, typo.suggested) == (kind, position, GAPDH_F)
    assert (typo.start, typo.end, typo.strand) == (87, 105, Strand.PLUS)


def test_a_deletion_in_the_reverse_primer_on_the_minus_strand(gapdh: str) -> None:
    typed = GAPDH_R[:5] + GAPDH_R[6:]  # base 6 (G) dropped
    typo = find_typo(typed, gapdh)
    assert typo is not None
    assert (typo.kind, typo.suggested, typo.strand) == (TypoKind.DELETION, GAPDH_R, Strand.MINUS)
    assert (typo.start, typo.end) == (213, 234)


def test_two_edits_are_not_explained(gapdh: str) -> None:
    typed = GAPDH_F[:4] + GAPDH_F[5:12] + GAPDH_F[13:]  # two bases dropped
    assert find_typo(typed, gapdh) is None


def test_the_papers_mtor_reverse_primer() -> None:
    mtor = _record("NM_004958.4")
    # By hand: the record at 7493-7512 and the published primer's reverse complement.
    record_part = mtor[7492:7512]
    assert record_part == "TTGGACGGTGTGGAACTTGG"
    assert reverse_complement("CCAAGTCCACACCGTCCAA") == "TTGGACGGTGTGGACTTGG"  # one A short
    typo = find_typo("CCAAGTCCACACCGTCCAA", mtor)
    assert typo is not None
    assert typo.kind is TypoKind.DELETION
    assert typo.suggested == reverse_complement(record_part) == "CCAAGTTCCACACCGTCCAA"
    assert (typo.start, typo.end, typo.strand) == (7493, 7512, Strand.MINUS)
    assert typo.alignment.splitlines() == [
        "record TTGGACGGTGTGGAACTTGG",
        "       ||||||||||||| ||||||",
        "primer TTGGACGGTGTGG-ACTTGG",
    ]
