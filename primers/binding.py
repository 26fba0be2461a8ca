"""Where a primer binds a sequence, and which products a pair makes: pure, fast, IUPAC-aware.

Sites are searched on both strands. A ``+`` site is where the primer's own sequence appears on the
record (a forward primer on an mRNA); a ``-`` site is where its reverse complement appears (a
reverse primer). Positions are 1-based and closed on the record's plus strand, as NCBI reports
them. Mismatches are counted from the primer's 3' end: 1 is the 3'-terminal base.

Bases are compared as IUPAC bit masks (A=1, C=2, G=4, T=8; N=15), so a degenerate primer matches
any base it stands for, over numpy sliding windows: one pass per strand, no Python loop per base.

>>> sites = find_sites("TGAAGGTCGGAGTCAACGG", "AATGAAGGTCGGAGTCAACGGTT", max_mismatches=0)
>>> [(s.start, s.end, s.strand.value) for s in sites]
[(3, 21, '+')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assay._compat import StrEnum
from assay.primers.sequence import reverse_complement

_MASKS = {
    "A": 1, "C": 2, "G": 4, "T": 8, "U": 8,
    "R": 5, "Y": 10, "S": 6, "W": 9, "K": 12, "M": 3,
    "B": 14, "D": 13, "H": 11, "V": 7, "N": 15,
}  # fmt: skip
_LOOKUP = np.zeros(256, dtype=np.uint8)
for _base, _mask in _MASKS.items():
    _LOOKUP[ord(_base)] = _mask
    _LOOKUP[ord(_base.lower())] = _mask

THREE_PRIME_WINDOW = 5


class Strand(StrEnum):
    """The record strand a primer's sequence appears on."""

    PLUS = "+"
    MINUS = "-"


@dataclass(frozen=True, slots=True, kw_only=True)
class BindingSite:
    """One place a primer anneals, with its mismatches.

    Attributes:
        start: First base on the record, 1-based.
        end: Last base on the record, 1-based, closed.
        strand: ``+`` when the primer's sequence appears on the record, ``-`` for its complement.
        mismatches: Positions of mismatched bases counted from the primer's 3' end (1 = last).
        primer_length: Length of the primer.
    """

    start: int
    end: int
    strand: Strand
    mismatches: tuple[int, ...]
    primer_length: int

    @property
    def n_mismatches(self) -> int:
        """Number of mismatched bases."""
        return len(self.mismatches)

    @property
    def three_prime_mismatches(self) -> int:
        """Mismatches among the last five 3' bases, where they matter most for extension."""
        return sum(m <= THREE_PRIME_WINDOW for m in self.mismatches)

    @property
    def terminal_match(self) -> bool:
        """True when the 3'-terminal base pairs (a polymerase hardly extends it otherwise)."""
        return 1 not in self.mismatches

    @property
    def three_prime_position(self) -> int:
        """Record position of the primer's 3'-terminal base (where extension starts)."""
        return self.end if self.strand is Strand.PLUS else self.start


def encode(sequence: str) -> npt.NDArray[np.uint8]:
    """Return the IUPAC bit masks of a sequence (unknown characters become 0, matching nothing)."""
    return _LOOKUP[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


def _mismatch_matrix(
    probe: npt.NDArray[np.uint8], target: npt.NDArray[np.uint8]
) -> npt.NDArray[np.bool_]:
    windows = np.lib.stride_tricks.sliding_window_view(target, probe.size)
    return np.asarray((windows & probe) == 0)


_PLAIN = re.compile(r"[ACGT]*")
SEEDED_MAX_BP = 5_000_000  # beyond this, exact pieces occur too often for seeding to pay


def _seeded_offsets(probe: str, target: str, max_mismatches: int) -> npt.NDArray[np.intp]:
    """Window offsets where `probe` may lie within `max_mismatches` (exact letters only).

    With at most m mismatches, one of m + 1 pieces of the probe matches exactly (pigeonhole):
    only windows holding such an exact piece can qualify, and every one that does is returned.

    >>> [int(o) for o in _seeded_offsets("ACGTACGT", "TTACGTTCGTGG", 1)]
    [2]
    """
    pieces = max_mismatches + 1
    size = len(probe) // pieces
    if size < 1:
        return np.arange(len(target) - len(probe) + 1)
    limit = len(target) - len(probe)
    if INDEXED_MIN_BP <= len(target) <= INDEXED_MAX_BP and size >= MIN_INDEXED_SEED:
        # A long target (a record, a genomic extract) is searched many times: its k-mers are
        # sorted once, and each piece's first k bases looked up (a superset of the exact hits;
        # every window is then counted in full by the caller).
        k_bases = min(size, SEED_K)
        positions, keys = _kmer_index(target, k_bases)
        starts = []
        for k in range(pieces):
            key = _kmer_key(probe[k * size : k * size + k_bases])
            low, high = np.searchsorted(keys, [key, key + 1])
            starts.append(positions[low:high] - k * size)
        offsets = np.concatenate(starts) if starts else np.zeros(0, dtype=np.intp)
        offsets = offsets[(offsets >= 0) & (offsets <= limit)]
        return np.unique(offsets).astype(np.intp)
    found: set[int] = set()
    for k in range(pieces):
        start = k * size
        piece = probe[start : start + size] if k < pieces - 1 else probe[start:]
        at = target.find(piece)
        while at >= 0:
            offset = at - start
            if 0 <= offset <= limit:
                found.add(offset)
            at = target.find(piece, at + 1)
    return np.array(sorted(found), dtype=np.intp)


SEED_K = 6  # bases of a piece looked up in a long target's sorted k-mers (at most)
MIN_INDEXED_SEED = 4  # shorter pieces match too often for a lookup to pay
INDEXED_MIN_BP = 2_000  # targets this long get their k-mers sorted once (a record, an extract)
INDEXED_MAX_BP = 1_000_000  # and no longer: 16 bytes a base are kept for the last 16 targets
# 2-bit code of each byte: A C G T (and a c g t, U u) 0-3, anything else 4. Shared by the record
# search here and the database indexes (`dbindex`, `scan`).
BASE_CODES = np.full(256, 4, dtype=np.uint8)
for _i, _base in enumerate("ACGT"):
    BASE_CODES[ord(_base)] = BASE_CODES[ord(_base.lower())] = _i
BASE_CODES[ord("U")] = BASE_CODES[ord("u")] = 3


def _kmer_key(kmer: str) -> int:
    key = 0
    for letter in kmer:
        key = key * 4 + "ACGT".index(letter)
    return key


@functools.lru_cache(maxsize=16)
def _kmer_index(target: str, k: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Start positions of the target's k-mers, sorted by k-mer (plain ACGT targets only)."""
    codes = BASE_CODES[np.frombuffer(target.encode("ascii"), dtype=np.uint8)].astype(np.int64)
    keys = np.zeros(len(target) - k + 1, dtype=np.int64)
    for j in range(k):
        keys = keys * 4 + codes[j : len(codes) - k + 1 + j]
    order = np.argsort(keys, kind="stable")
    return order.astype(np.intp), keys[order]


def find_sites(
    primer: str,
    target: str,
    max_mismatches: int,
    *,
    encoded_target: npt.NDArray[np.uint8] | None = None,
) -> list[BindingSite]:
    """Return every site of `primer` on `target` (both strands) with at most `max_mismatches`.

    Args:
        primer: The primer, 5'→3', IUPAC letters.
        target: The record's sequence (plus strand).
        max_mismatches: Most mismatched bases a site may have.
        encoded_target: `encode(target)`, when the caller already has it.

    Returns:
        Sites sorted by position, then strand.
    """
    length = len(primer)
    if length == 0 or length > len(target):
        return []
    codes = encode(target) if encoded_target is None else encoded_target
    plain = (len(target) <= SEEDED_MAX_BP and max_mismatches <= length // 4
             and _PLAIN.fullmatch(primer) is not None
             and _PLAIN.fullmatch(target) is not None)  # fmt: skip
    sites: list[BindingSite] = []
    for strand, probe_text in ((Strand.PLUS, primer), (Strand.MINUS, reverse_complement(primer))):
        probe = encode(probe_text)
        if plain:  # exact letters: only windows that share a seed with the primer are compared
            offsets = _seeded_offsets(probe_text, target, max_mismatches)
            windows = np.lib.stride_tricks.sliding_window_view(codes, probe.size)[offsets]
            mismatched = np.asarray((windows & probe) == 0)
        else:
            offsets = np.arange(len(target) - length + 1)
            mismatched = _mismatch_matrix(probe, codes)
        counts = mismatched.sum(axis=1)
        for row in np.flatnonzero(counts <= max_mismatches):
            offset = offsets[row]
            columns = np.flatnonzero(mismatched[row])
            # Column j of a + site is primer base j (3' distance L-j); of a - site, primer base
            # L-1-j read on the complement (3' distance j+1).
            if strand is Strand.PLUS:
                from_three_prime = tuple(sorted(int(length - j) for j in columns))
            else:
                from_three_prime = tuple(sorted(int(j + 1) for j in columns))
            sites.append(
                BindingSite(
                    start=int(offset) + 1,
                    end=int(offset) + length,
                    strand=strand,
                    mismatches=from_three_prime,
                    primer_length=length,
                )
            )
    return sorted(sites, key=lambda s: (s.start, s.strand.value))


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimingRule:
    """When a site counts as able to prime (Primer-BLAST's specificity rules, as defaults).

    Attributes:
        max_mismatches: Most mismatches in the whole primer.
        max_three_prime_mismatches: Most mismatches among the last five 3' bases.
        terminal_must_match: Whether the 3'-terminal base must pair.
    """

    max_mismatches: int = 2
    max_three_prime_mismatches: int = 1
    terminal_must_match: bool = True

    def primes(self, site: BindingSite) -> bool:
        """True when `site` can start a product under this rule."""
        return (
            site.n_mismatches <= self.max_mismatches
            and site.three_prime_mismatches <= self.max_three_prime_mismatches
            and (site.terminal_match or not self.terminal_must_match)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """An in-silico PCR product between a ``+`` site and a downstream ``-`` site.

    Attributes:
        upstream: The site on the plus strand (its primer reads towards the other).
        downstream: The site on the minus strand.
        size_bp: Product length, primers included.
    """

    upstream: BindingSite
    downstream: BindingSite

    @property
    def start(self) -> int:
        """First base of the product on the record (1-based)."""
        return self.upstream.start

    @property
    def end(self) -> int:
        """Last base of the product on the record (1-based, closed)."""
        return self.downstream.end

    @property
    def size_bp(self) -> int:
        """Length of the product, primers included."""
        return self.end - self.start + 1

    @property
    def mismatches(self) -> int:
        """Mismatches of both primers together."""
        return self.upstream.n_mismatches + self.downstream.n_mismatches


def products(
    upstream_sites: Iterable[BindingSite],
    downstream_sites: Iterable[BindingSite],
    max_size_bp: int,
) -> list[Product]:
    """Pair every ``+`` site with every ``-`` site downstream of it within `max_size_bp`.

    The ``-`` site must start after the ``+`` site starts and end after it ends, so the product
    holds both primers (a primer matching itself in place is not a product).
    """
    plus = sorted((s for s in upstream_sites if s.strand is Strand.PLUS), key=lambda s: s.start)
    minus = sorted((s for s in downstream_sites if s.strand is Strand.MINUS), key=lambda s: s.end)
    found = []
    for up in plus:
        for down in minus:
            size = down.end - up.start + 1
            if down.end < up.end or down.start <= up.start:
                continue
            if size > max_size_bp:
                break
            found.append(Product(upstream=up, downstream=down))
    return found


def best_product(candidates: Sequence[Product], claimed_bp: int | None) -> Product | None:
    """Return the product a pair most likely makes: fewest mismatches, then nearest the claim."""
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda p: (p.mismatches, abs(p.size_bp - claimed_bp) if claimed_bp else 0, p.start),
    )
