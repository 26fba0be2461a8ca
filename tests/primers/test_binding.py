"""Binding sites on real records, planted mismatches, and the fast search against a naive one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.primers.accession import parse_accession
from assay.primers.binding import (
    BindingSite,
    PrimingRule,
    Strand,
    find_sites,
    products,
)
from assay.primers.cache import RecordCache
from assay.primers.sequence import IUPAC_CODES, reverse_complement

GAPDH_F, GAPDH_R = "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA"  # Table 1


@pytest.fixture(scope="module")
def gapdh() -> str:
    record = RecordCache(Path("/nonexistent"), read_also=None).load(parse_accession("NM_002046.7"))
    assert record is not None
    return record.sequence


def test_exact_sites_on_both_strands(gapdh: str) -> None:
    # By plain string search: the forward primer as written, the reverse as its complement.
    f_start = gapdh.find(GAPDH_F) + 1
    r_start = gapdh.find(reverse_complement(GAPDH_R)) + 1
    assert (f_start, r_start) == (87, 213)
    assert find_sites(GAPDH_F, gapdh, 0) == [
        BindingSite(start=87, end=105, strand=Strand.PLUS, mismatches=(), primer_length=19)
    ]
    assert find_sites(GAPDH_R, gapdh, 0) == [
        BindingSite(start=213, end=234, strand=Strand.MINUS, mismatches=(), primer_length=22)
    ]


def _plant(primer: str, from_three_prime: int) -> str:
    """Change the base `from_three_prime` places from the 3' end to another base."""
    index = len(primer) - from_three_prime
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}[primer[index]]
    return primer[:index] + other + primer[index + 1 :]


@pytest.mark.parametrize("planted", [(1,), (3,), (10,), (2, 15), (1, 4, 19)])
@pytest.mark.parametrize(("primer", "start", "strand"), [(GAPDH_F, 87, Strand.PLUS),
                                                         (GAPDH_R, 213, Strand.MINUS)])  # fmt: skip
def test_planted_mismatches_are_reported_from_the_three_prime_end(
    gapdh: str, primer: str, start: int, strand: Strand, planted: tuple[int, ...]
) -> None:
    mutant = primer
    for position in planted:
        mutant = _plant(mutant, position)
    sites = find_sites(mutant, gapdh, len(planted))
    assert [(s.start, s.strand, s.mismatches) for s in sites] == [(start, strand, planted)]
    site = sites[0]
    assert site.terminal_match == (1 not in planted)
    assert site.three_prime_mismatches == sum(p <= 5 for p in planted)


def test_degenerate_bases_match_what_they_stand_for(gapdh: str) -> None:
    # GAPDH forward with base 11 (A) written as R (A/G) and base 2 (G) as N.
    assert [s.start for s in find_sites("TNAAGGTCGGRGTCAACGG", gapdh, 0)] == [87]


@pytest.mark.parametrize(
    ("mismatches", "primes"),
    [
        ((), True),
        ((12, 18), True),  # two mismatches far from the 3' end
        ((1,), False),  # 3'-terminal mismatch
        ((2, 4), False),  # two in the last five bases
        ((3, 10, 15), False),  # three in all
    ],
)
def test_priming_rule(mismatches: tuple[int, ...], primes: bool) -> None:
    site = BindingSite(start=1, end=20, strand=Strand.PLUS, mismatches=mismatches, primer_length=20)
    assert PrimingRule().primes(site) is primes


def _site(start: int, end: int, strand: Strand) -> BindingSite:
    return BindingSite(
        start=start, end=end, strand=strand, mismatches=(), primer_length=end - start + 1
    )


def test_products_need_a_plus_site_upstream_of_a_minus_site_within_the_size_limit() -> None:
    up = _site(100, 119, Strand.PLUS)
    down = _site(300, 319, Strand.MINUS)
    behind = _site(50, 69, Strand.MINUS)
    far = _site(5100, 5119, Strand.MINUS)
    found = products([up], [down, behind, far], max_size_bp=4000)
    assert [(p.start, p.end, p.size_bp) for p in found] == [(100, 319, 220)]
    assert products([up], [up], max_size_bp=4000) == []  # same strand: no forward-reverse product


def _naive_sites(
    primer: str, target: str, max_mismatches: int
) -> list[tuple[int, str, tuple[int, ...]]]:
    """Position by position, base by base: the definition the fast search must agree with."""
    found = []
    n = len(primer)
    for strand, probe in (("+", primer), ("-", reverse_complement(primer))):
        for i in range(len(target) - n + 1):
            bad = [j for j in range(n) if target[i + j] not in IUPAC_CODES[probe[j]]]
            if len(bad) <= max_mismatches:
                from_three = tuple(sorted((n - j) if strand == "+" else (j + 1) for j in bad))
                found.append((i + 1, strand, from_three))
    return sorted(found)


@settings(max_examples=200, deadline=None)
@given(
    primer=st.text(alphabet="ACGTN", min_size=4, max_size=12),
    target=st.text(alphabet="ACGT", min_size=0, max_size=80),
    max_mismatches=st.integers(min_value=0, max_value=3),
)
def test_fast_search_agrees_with_the_naive_one(
    primer: str, target: str, max_mismatches: int
) -> None:
    fast = sorted(
        (s.start, s.strand.value, s.mismatches) for s in find_sites(primer, target, max_mismatches)
    )
    assert fast == _naive_sites(primer, target, max_mismatches)


@pytest.mark.parametrize(
    ("seed", "length", "mismatches"),
    [
        # Targets from INDEXED_MIN_BP on have their k-mers sorted and looked up (pieces of 4 nt
        # or more: 20 nt with up to 4 mismatches); shorter ones, or shorter pieces, use find.
        *((seed, 3000, 3) for seed in range(4)),
        (4, 1999, 3), (5, 2000, 3), (0, 3000, 5),
        (0, 30_000, 2), (1, 30_000, 4),
    ],
)  # fmt: skip
def test_seeded_search_finds_every_site_a_full_comparison_finds(
    seed: int, length: int, mismatches: int
) -> None:
    import random

    from assay.primers.binding import INDEXED_MIN_BP, MIN_INDEXED_SEED, find_sites
    from assay.primers.sequence import reverse_complement

    indexed = length >= INDEXED_MIN_BP and 20 // (mismatches + 1) >= MIN_INDEXED_SEED
    assert indexed is (length >= 2000 and mismatches <= 4)
    # Made here: a random target with copies of the primer planted with 0-3 mismatches, on both
    # strands; the expected sites by brute force over every window.
    rng = random.Random(seed)
    primer = "".join(rng.choice("ACGT") for _ in range(20))
    target = list("".join(rng.choice("ACGT") for _ in range(length)))
    for k in range(8):
        copy = list(primer if k % 2 else reverse_complement(primer))
        for position in rng.sample(range(20), k % 4):
            copy[position] = rng.choice([b for b in "ACGT" if b != copy[position]])
        at = 200 + k * 220
        target[at : at + 20] = copy
    text = "".join(target)
    expected = set()
    for strand, probe in (("+", primer), ("-", reverse_complement(primer))):
        for offset in range(len(text) - 19):
            window = text[offset : offset + 20]
            if sum(a != b for a, b in zip(probe, window, strict=True)) <= mismatches:
                expected.add((offset + 1, strand))
    found = {(s.start, s.strand.value) for s in find_sites(primer, text, mismatches)}
    assert found == expected
    assert len(expected) >= min(8, 2 * (mismatches + 1))
