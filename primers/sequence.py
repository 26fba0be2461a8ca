"""Pure functions on primer sequences: cleaning, IUPAC codes, composition and repeats.

Sequences are DNA, written 5'→3', upper case. No I/O happens here.

>>> clean_sequence("5'- tgaaggtcgg agtcaacgg -3'")
'TGAAGGTCGGAGTCAACGG'
>>> reverse_complement("TGAAGGTCGGAGTCAACGG")
'CCGTTGACTCCGACCTTCA'
>>> round(gc_pct("TGAAGGTCGGAGTCAACGG"), 2)
57.89
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

BASES = "ACGT"
# IUPAC nucleotide codes (Cornish-Bowden 1985, NC-IUB recommendations) and what each stands for.
IUPAC_CODES: dict[str, str] = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip
_COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")
# "5'-ACGT-3'", with straight or typographic primes and any spacing or dashes around the bases.
_WRAPPER = re.compile(r"^5\s*['′’`]?\s*[-–—]?\s*(?P<body>.*?)\s*[-–—]?\s*3\s*['′’`]?$", re.DOTALL)


def clean_sequence(text: str) -> str:
    """Return `text` as a bare upper-case sequence.

    Tolerates surrounding and inner whitespace, lower case, and a "5'-…-3'" wrapper. Characters
    are not validated here: see `invalid_characters`.

    Args:
        text: A primer as typed in a table.

    Returns:
        The sequence, upper case, without whitespace or wrapper.
    """
    squeezed = "".join(text.split())
    match = _WRAPPER.match(squeezed)
    body = match.group("body") if match else squeezed
    return body.upper()


def invalid_characters(sequence: str) -> list[tuple[int, str]]:
    """Return the 1-based positions and characters that are not IUPAC nucleotide codes."""
    return [(i, base) for i, base in enumerate(sequence, start=1) if base not in IUPAC_CODES]


def degenerate_positions(sequence: str) -> list[tuple[int, str]]:
    """Return the 1-based positions and codes of degenerate (non-ACGT) IUPAC bases."""
    return [(i, base) for i, base in enumerate(sequence, start=1) if base not in BASES]


def expansion_count(sequence: str) -> int:
    """Return how many concrete ACGT sequences a degenerate sequence stands for."""
    count = 1
    for base in sequence:
        count *= len(IUPAC_CODES[base])
    return count


def expand(sequence: str) -> Iterator[str]:
    """Yield every concrete ACGT sequence that an IUPAC sequence stands for."""
    for combination in itertools.product(*(IUPAC_CODES[base] for base in sequence)):
        yield "".join(combination)


def reverse_complement(sequence: str) -> str:
    """Return the reverse complement of an IUPAC DNA sequence."""
    return sequence.translate(_COMPLEMENT)[::-1]


def gc_pct(sequence: str) -> float:
    """Return the G+C content in percent (S counts as G/C; other degenerate codes do not)."""
    if not sequence:
        return 0.0
    return 100.0 * sum(base in "GCS" for base in sequence) / len(sequence)


def three_prime_gc_count(sequence: str, window: int = 5) -> int:
    """Return the number of G or C among the last `window` bases (the 3' end)."""
    return sum(base in "GCS" for base in sequence[-window:])


def longest_run(sequence: str) -> tuple[str, int]:
    """Return the base of the longest single-base run and its length (first one on ties).

    >>> longest_run("ACGGGGT")
    ('G', 4)
    """
    best_base, best_len = "", 0
    for base, group in itertools.groupby(sequence):
        length = sum(1 for _ in group)
        if length > best_len:
            best_base, best_len = base, length
    return best_base, best_len


def longest_dinucleotide_repeat(sequence: str) -> tuple[str, int]:
    """Return the unit of the longest tandem dinucleotide repeat and its number of copies.

    Units of one base twice (``AA``) are runs, not dinucleotide repeats, and are skipped.

    >>> longest_dinucleotide_repeat("GATATATATC")
    ('AT', 4)
    """
    best_unit, best_copies = "", 0
    for start in range(len(sequence) - 1):
        unit = sequence[start : start + 2]
        if unit[0] == unit[1]:
            continue
        copies = 1
        while sequence[start + 2 * copies : start + 2 * copies + 2] == unit:
            copies += 1
        if copies > best_copies:
            best_unit, best_copies = unit, copies
    return best_unit, best_copies
