"""A direct scan of a FASTA database for many primers at once, without building an index.

For a first search (a few pairs against a database seen once) building the k-mer index
(`dbindex`) costs more than the search it speeds up. The scan reads the database once, as 2-bit
codes, and looks at every position's 3'-terminal 12-mer in chunks: a lookup table marks the
12-mers any primer's 3' end may pair with under the priming rule (the same variants the index
reads), and only those positions are verified against the whole primer, exactly as the index
verifies them (`dbindex.verify_sites`). The same sites are found either way.

Memory stays near two bytes a base (the codes, and one chunk of keys at a time) plus a 64 MB
table, whatever the number of primers.
"""

from __future__ import annotations

import functools
import gzip
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.errors import InputError
from assay.primers.binding import BASE_CODES, BindingSite, PrimingRule, Strand
from assay.primers.dbindex import KMER, codes_at, revcomp_keys, seed_keys, verify_sites

CHUNK = 1 << 22  # positions looked at at once (about 30 MB of temporaries)
_LETTERS = b"ACGTURYSWKMBDHVN*-acgturyswkmbdhvn"


@dataclass(frozen=True, slots=True)
class Database:
    """A FASTA database in memory: record names, record starts and 2-bit codes of every base."""

    names: list[str]
    starts: npt.NDArray[np.int64]  # start of each record in `codes`; last entry = total length
    codes: npt.NDArray[np.uint8]


def _lookup() -> tuple[npt.NDArray[np.uint8], int]:
    """Byte -> base code (0-3 ACGT/U, 4 other IUPAC codes), DROP for whitespace, BAD otherwise."""
    table = np.full(256, 7, dtype=np.uint8)
    for byte in _LETTERS:
        table[byte] = BASE_CODES[byte]
    for byte in b" \t\r\n":
        table[byte] = 6
    return table, 6


_BYTE_CODE, _DROP = _lookup()
_BAD = 7
BLOCK = 1 << 23  # bytes of FASTA decoded at once


def _headers(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every header line ('>' at a line start, to its newline or the end)."""
    found = []
    at = 0 if data.startswith(b">") else data.find(b"\n>")
    if at > 0 or (at == 0 and not data.startswith(b">")):
        at += 1
    while at != -1 and at < len(data):
        end = data.find(b"\n", at)
        end = len(data) if end == -1 else end + 1
        found.append((at, end))
        following = data.find(b"\n>", end - 1)
        at = -1 if following == -1 else following + 1
    return found


def load_database(path: Path) -> Database:
    """Read a FASTA file (gzip or not) into codes, a block of bytes at a time.

    There is no loop over records (a transcriptome has tens of thousands) but for their names.

    Raises:
        InputError: The file cannot be read, holds no FASTA record, or is not FASTA (text before
            the first header, a header without a name, letters that are not nucleotide codes:
            the line is given).
    """
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"cannot be read as FASTA ({error})", path=path) from None
    headers = _headers(data)
    if not headers:
        raise InputError("holds no FASTA records: nothing to search for off-targets", path=path)
    if data[: headers[0][0]].strip():
        raise InputError("text before the first FASTA header (is this FASTA?)", path=path, row=1)
    names = []
    for start, end in headers:
        words = data[start + 1 : end].decode("utf-8", "replace").split()
        if not words:
            raise InputError("a FASTA header without a name", path=path,
                             row=data.count(b"\n", 0, start) + 1)  # fmt: skip
        names.append(words[0])
    codes = np.empty(len(data), dtype=np.uint8)
    written = 0
    record_starts = np.empty(len(headers) + 1, dtype=np.int64)
    header_at = np.array([h[0] for h in headers], dtype=np.int64)
    next_header = 0
    for block in range(0, len(data), BLOCK):
        stop = min(block + BLOCK, len(data))
        mapped = _BYTE_CODE[np.frombuffer(data, dtype=np.uint8, count=stop - block, offset=block)]
        keep = mapped != _DROP
        first = next_header
        for start, end in headers[max(first - 1, 0) :]:  # header lines are not sequence
            if start >= stop:
                break
            if end > block:
                keep[max(start, block) - block : min(end, stop) - block] = False
        while next_header < len(headers) and headers[next_header][0] < stop:
            next_header += 1
        bad = np.flatnonzero(keep & (mapped == _BAD))
        if bad.size:
            where = block + int(bad[0])
            raise InputError(f"characters that are not nucleotide codes: ['{chr(data[where])}']",
                             path=path, row=data.count(b"\n", 0, where) + 1)  # fmt: skip
        if next_header > first:  # records starting here: their first base's place in `codes`
            # Bases kept before each header of this block (a count per segment: summing the
            # block as int64 would cost 8 bytes a base).
            cuts = [0, *(header_at[first:next_header] - block).tolist()]
            before = [np.count_nonzero(keep[a:b]) for a, b in itertools.pairwise(cuts)]
            record_starts[first:next_header] = written + np.cumsum(before)
        chunk = mapped[keep]
        codes[written : written + chunk.size] = chunk
        written += chunk.size
    record_starts[-1] = written
    del data
    return Database(names=names, starts=record_starts, codes=codes[:written])


def _window_keys(
    codes: npt.NDArray[np.uint8], start: int, stop: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_] | None]:
    """The 12-mer key starting at each position of [start, stop), and whether it is clean.

    Clean is None when every k-mer is (the chunk holds only A, C, G and T).

    Built from 3-mers to 6-mers to 12-mers (six array operations instead of twelve).
    """
    count = stop - start
    window = codes[start : stop + KMER - 1]
    if window.size < count + KMER - 1:  # the database's end: past it is not a base
        window = np.concatenate([window, np.full(count + KMER - 1 - window.size, 4, np.uint8)])
    other = window == 4
    base = np.minimum(window, 3) if other.any() else window
    n3 = count + KMER - 3
    k3 = (base[:n3] << 4) | (base[1 : n3 + 1] << 2) | base[2 : n3 + 2]
    n6 = count + KMER - 6
    k6 = (k3[:n6].astype(np.uint16) << 6) | k3[3 : n6 + 3]
    keys = np.left_shift(k6[:count].astype(np.uint32), np.uint32(12))
    np.bitwise_or(keys, k6[6 : count + 6], out=keys)
    if base is window:  # only A, C, G and T here: every k-mer is clean
        return keys, None
    o3 = other[:n3] | other[1 : n3 + 1] | other[2 : n3 + 2]
    o6 = o3[:n6] | o3[3 : n6 + 3]
    clean: npt.NDArray[np.bool_] = ~(o6[:count] | o6[6 : count + 6])
    return keys, clean


def _with_more_seekers(
    owner: npt.NDArray[np.int64], positions: npt.NDArray[np.int64],
    found_keys: npt.NDArray[np.uint32], more_keys: npt.NDArray[np.uint32],
    more_owners: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:  # fmt: skip
    """Add a (seeker, position) for every further seeker of each hit's key (all as arrays)."""
    low = np.searchsorted(more_keys, found_keys, side="left")
    counts = np.searchsorted(more_keys, found_keys, side="right") - low
    total = int(counts.sum())
    if total == 0:
        return owner, positions
    ends = np.cumsum(counts)
    index = np.repeat(low, counts) + np.arange(total) - np.repeat(ends - counts, counts)
    return (np.concatenate([owner, more_owners[index].astype(np.int64)]),
            np.concatenate([positions, np.repeat(positions, counts)]))  # fmt: skip


def scan_sites(
    primers: Sequence[str], database: Database, rule: PrimingRule
) -> list[dict[int, list[BindingSite]]]:
    """Every site of each primer that `rule` lets prime, grouped by record number, per primer.

    Primers shorter than the 12-mer seed have no site (as with the index).
    """
    found: list[dict[int, list[BindingSite]]] = [{} for _ in primers]

    # table[key] = 1 + index into `wanted` of the first (primer, strand) seeking that key; the
    # other seekers of a key several seek are in `shared` (built with arrays: a loose rule gives
    # each primer thousands of variants).
    wanted: list[tuple[int, Strand]] = []
    sought_keys: list[npt.NDArray[np.uint32]] = []
    for number, primer in enumerate(primers):
        if len(primer) < KMER:
            continue
        variants = seed_keys(primer[-KMER:], rule)
        for strand in (Strand.PLUS, Strand.MINUS):
            wanted.append((number, strand))
            sought_keys.append(variants if strand is Strand.PLUS else revcomp_keys(variants))
    if not wanted:
        return found
    if len(wanted) >= 2**16 - 1:
        raise InputError(f"{len(primers)} primers are too many for one scan; give fewer at once")
    every = np.concatenate(sought_keys)
    owner_of = np.repeat(np.arange(len(wanted)), [k.size for k in sought_keys])
    order = np.argsort(every, kind="stable")
    every, owner_of = every[order], owner_of[order]
    first = np.r_[True, every[1:] != every[:-1]]
    table = np.zeros(4**KMER, dtype=np.uint16)
    table[every[first]] = owner_of[first] + 1
    # Keys sought by more than one (primer, strand): their further seekers, sorted by key.
    more_keys, more_owners = every[~first], owner_of[~first]
    # A bit per k-mer (2 MB, held in cache) says which are sought at all; `table` is read only
    # for those.
    sought = np.packbits(table > 0, bitorder="little")
    hits: list[list[npt.NDArray[np.int64]]] = [[] for _ in wanted]
    codes = database.codes
    for start in range(0, codes.size, CHUNK):
        stop = min(start + CHUNK, codes.size)
        keys, clean = _window_keys(codes, start, stop)
        flagged = (sought[keys >> 3] >> (keys & 7).astype(np.uint8)) & 1
        if clean is not None:
            flagged &= clean
        where = np.flatnonzero(flagged)
        if where.size == 0:
            continue
        found_keys = keys[where]
        owner = table[found_keys].astype(np.int64) - 1
        positions = where.astype(np.int64) + start
        if more_keys.size:
            owner, positions = _with_more_seekers(owner, positions, found_keys, more_keys,
                                                  more_owners)  # fmt: skip
        order = np.argsort(owner, kind="stable")
        owner, positions = owner[order], positions[order]
        cuts = np.flatnonzero(np.diff(owner)) + 1
        for group, chunk_places in zip(np.split(owner, cuts), np.split(positions, cuts),
                                       strict=True):  # fmt: skip
            hits[int(group[0])].append(chunk_places)
    for (number, strand), places in zip(wanted, hits, strict=True):
        if not places:
            continue
        kmer_start = np.unique(np.concatenate(places))
        length = len(primers[number])
        site_start = kmer_start - (length - KMER) if strand is Strand.PLUS else kmer_start
        for record, sites in verify_sites(
            primers[number], functools.partial(codes_at, database.codes), database.starts,
            kmer_start, site_start, strand, rule,
        ).items():  # fmt: skip
            found[number].setdefault(record, []).extend(sites)
    return found
