from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.primers.sequence import (
    clean_sequence,
    degenerate_positions,
    expand,
    expansion_count,
    gc_pct,
    invalid_characters,
    longest_dinucleotide_repeat,
    longest_run,
    reverse_complement,
    three_prime_gc_count,
)

GAPDH_F = "TGAAGGTCGGAGTCAACGG"  # Table 1, GAPDH forward


@pytest.mark.parametrize(
    "typed",
    [
        GAPDH_F,
        "tgaaggtcggagtcaacgg",  # lower case
        "  TGAAGG TCGGAG\tTCAACGG \n",  # spaces, tab and newline inside and around
        "5'-TGAAGGTCGGAGTCAACGG-3'",  # the printed wrapper
        "5’-TGAAGGTCGGAGTCAACGG-3’",  # typographic primes, as pasted from a PDF
        "5' TGAAGGTCGGAGTCAACGG 3'",  # wrapper without dashes
    ],
)
def test_clean_sequence_tolerates_how_people_type_primers(typed: str) -> None:
    assert clean_sequence(typed) == GAPDH_F


def test_invalid_characters_are_located_one_based() -> None:
    assert invalid_characters("ACGTXACUG") == [(5, "X"), (8, "U")]


def test_degenerate_positions_and_expansion() -> None:
    assert degenerate_positions("ACRTN") == [(3, "R"), (5, "N")]
    assert expansion_count("ACRTN") == 2 * 4
    assert sorted(expand("AR")) == ["AA", "AG"]


def test_reverse_complement_by_hand() -> None:
    # GAPDH forward reversed: GGCAACTGAGGCTGGAAGT; complemented base by base:
    assert reverse_complement(GAPDH_F) == "CCGTTGACTCCGACCTTCA"
    assert reverse_complement("ACGTRYKMBDHVN") == "NBDHVKMRYACGT"


@given(st.text(alphabet="ACGTRYSWKMBDHVN", max_size=60))
def test_reverse_complement_twice_is_identity(sequence: str) -> None:
    assert reverse_complement(reverse_complement(sequence)) == sequence


@given(st.text(alphabet="ACGT", min_size=1, max_size=60))
def test_gc_of_reverse_complement_is_unchanged(sequence: str) -> None:
    assert gc_pct(reverse_complement(sequence)) == pytest.approx(gc_pct(sequence))


def test_gc_pct_by_hand() -> None:
    # TGAAGGTCGGAGTCAACGG: G at 2,5,6,9,10,12,18,19 and C at 8,14,17 -> 11 of 19
    assert gc_pct(GAPDH_F) == pytest.approx(100 * 11 / 19)
    # the last five bases, AACGG, hold C, G and G
    assert three_prime_gc_count(GAPDH_F) == 3


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        ("ACGT", ("A", 1)),
        ("ACGGGGT", ("G", 4)),
        ("AAATTTT", ("T", 4)),
        ("CCCAACCC", ("C", 3)),  # first of equal runs wins
    ],
)
def test_longest_run(sequence: str, expected: tuple[str, int]) -> None:
    assert longest_run(sequence) == expected


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        ("GATATATATC", ("AT", 4)),  # GA TA TA TA TC: starting at A, AT x4
        ("ACACACGT", ("AC", 3)),
        ("AAAAAA", ("", 0)),  # a run, not a dinucleotide repeat
        ("ACGT", ("AC", 1)),
    ],
)
def test_longest_dinucleotide_repeat(sequence: str, expected: tuple[str, int]) -> None:
    assert longest_dinucleotide_repeat(sequence) == expected
