"""A k-mer index of a FASTA database, for finding primer sites without scanning every base.

Built once per database and kept beside it (``<file>.assay-index/``; rebuilt when the file's size,
modification time or first megabyte change), it holds every record's bases as 2-bit codes with the
record boundaries, and the positions of every 12-mer sorted by k-mer.

A site can prime only if its 3' end is nearly exact (`binding.PrimingRule`: the 3'-terminal base
matches, few mismatches in the last five, few in all). So the query enumerates every variant of the
primer's 3'-terminal 12-mer that the rule allows, reads those buckets, and verifies each candidate
against the whole primer with IUPAC masks: every site the rule admits is found, and nothing else.
Sites never span two records.

>>> KMER
12
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.errors import InputError
from assay.files import open_atomic, write_text_atomic
from assay.primers.binding import BASE_CODES, BindingSite, PrimingRule, Strand
from assay.primers.sequence import IUPAC_CODES

KMER = 12
_MASK_OF_CODE = np.array([1, 2, 4, 8, 0], dtype=np.uint8)  # code 4 (N, other) matches nothing
_PRIMER_MASK = {b: sum(1 << "ACGT".index(x) for x in bases) for b, bases in IUPAC_CODES.items()}
INDEX_VERSION = 1
VERIFY_BATCH = 1 << 16  # candidate sites verified at once


@dataclass
class DatabaseIndex:
    """An opened index: codes of every base, record bounds and the sorted k-mer positions."""

    names: list[str]
    starts: npt.NDArray[np.int64]  # start of each record in `codes`; last entry = total length
    codes: npt.NDArray[np.uint8]
    positions: npt.NDArray[np.uint32]  # k-mer start positions, ordered by k-mer
    offsets: npt.NDArray[np.uint32]  # bucket k of `positions` is offsets[k]:offsets[k+1]


def fingerprint(fasta: Path) -> dict[str, object]:
    """What an index of `fasta` records of it: size, modification time, first megabyte."""
    stat = fasta.stat()
    with fasta.open("rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()
    return {"version": INDEX_VERSION, "k": KMER, "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns, "head_sha256": head}  # fmt: skip


def _chunk_keys(
    codes: npt.NDArray[np.uint8], bounds: npt.NDArray[np.int64], start: int, stop: int
) -> npt.NDArray[np.uint32]:
    """Key of the k-mer starting at each position in [start, stop); 4**KMER where it is not clean.

    A k-mer is clean when its KMER bases are A, C, G or T and it ends in the record it starts in.
    """
    count = stop - start
    window = np.full(count + KMER - 1, 4, dtype=np.uint8)  # past the end: not a base
    available = codes[start : stop + KMER - 1]
    window[: available.size] = available
    keys = np.zeros(count, dtype=np.uint32)
    clean = np.minimum(window, 3)
    other = np.zeros(count, dtype=bool)
    for i in range(KMER):
        np.multiply(keys, 4, out=keys)
        np.add(keys, clean[i : i + count], out=keys)
        other |= window[i : i + count] == 4
    # The last KMER − 1 starts of each record would run into the next one.
    ends = bounds[(bounds > start) & (bounds < stop + KMER)]
    crossing = (ends[:, None] - np.arange(1, KMER)[None, :] - start).ravel()
    other[crossing[(crossing >= 0) & (crossing < count)]] = True
    keys[other] = np.uint32(4**KMER)
    return keys


def _sort_order(keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
    """Positions ordered by key, by two stable 16-bit passes (numpy radix-sorts 16-bit keys)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = (keys >> 16).astype(np.uint16)[order]
    second = np.argsort(high, kind="stable")
    del high
    result: npt.NDArray[np.intp] = order[second]
    return result


def _sorted_positions(
    codes: npt.NDArray[np.uint8], bounds: npt.NDArray[np.int64], chunk: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """Start positions of every clean k-mer grouped by k-mer (ascending within one), and offsets."""
    total = codes.size
    spans = [(a, min(a + chunk, total)) for a in range(0, total, chunk)]
    return bucket_positions(
        spans, lambda a, b: _chunk_keys(codes, bounds, a, b),
        lambda a, order: order + a, lambda n: np.empty(n, dtype=np.uint32),
    )  # fmt: skip


def bucket_positions(
    spans: Sequence[tuple[int, int]],
    keys_of: Callable[[int, int], npt.NDArray[np.uint32]],
    place: Callable[[int, npt.NDArray[np.intp]], npt.NDArray[np.int64] | npt.NDArray[np.intp]],
    allocate: Callable[[int], npt.NDArray[np.uint32]],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """Positions of every clean k-mer grouped by k-mer (ascending within one), and offsets.

    A counting sort in two passes over the spans, so that memory stays near the size of the
    result whatever the database (and the result itself can be a file, from `allocate`): the
    first pass counts each k-mer, the second sorts each span's keys and drops their positions
    (`place(span start, index in span)`) into their buckets, after those of the spans before.
    `keys_of(start, stop)` gives each key of the span, 4**KMER where a k-mer is not clean.
    """
    # uint32 is enough for counts, offsets and cursors: a database indexed here has fewer than
    # 2**32 k-mers.
    counts = np.zeros(4**KMER + 1, dtype=np.uint32)
    for a, b in spans:
        keys = keys_of(a, b)
        if keys.size > 4**KMER // 16:
            np.add(counts, np.bincount(keys, minlength=4**KMER + 1), out=counts,
                   casting="unsafe")  # fmt: skip
        else:  # a small chunk: do not sweep all 4**KMER counters for it
            present, times = np.unique(keys, return_counts=True)
            counts[present] += times.astype(np.uint32)
    offsets = np.zeros(4**KMER + 1, dtype=np.uint32)
    np.cumsum(counts[: 4**KMER], out=offsets[1:])
    del counts
    positions = allocate(int(offsets[-1]))
    cursor = offsets[:-1].copy()  # next free slot of each bucket
    for a, b in spans:
        keys = keys_of(a, b)
        order = _sort_order(keys)
        keys = keys[order]
        kept = keys < 4**KMER
        keys, order = keys[kept], order[kept]
        if keys.size == 0:
            continue
        starts_run = np.r_[True, keys[1:] != keys[:-1]]  # first of each run of one key
        index = np.arange(keys.size)
        rank = index - np.maximum.accumulate(np.where(starts_run, index, 0))  # place in its run
        positions[cursor[keys].astype(np.int64) + rank] = place(a, order)
        first = np.flatnonzero(starts_run)
        cursor[keys[first]] += np.diff(np.r_[first, keys.size]).astype(np.uint32)
    return positions, offsets


def build_index(
    records: Iterable[tuple[str, str]], directory: Path, stamp: dict[str, object],
    progress: Callable[[str], None] | None = None, *, chunk: int = 1 << 20,
) -> DatabaseIndex:  # fmt: skip
    """Build and save the index of `records` (name, sequence) into `directory`.

    `chunk` positions are sorted at a time (memory about 30 bytes each on top of the index:
    30 MB at the default, whatever the database).
    """
    names: list[str] = []
    chunks: list[npt.NDArray[np.uint8]] = []
    starts = [0]
    for name, sequence in records:
        if progress is not None:
            progress(name)
        names.append(name)
        chunks.append(
            BASE_CODES[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]
        )
        starts.append(starts[-1] + len(sequence))
    codes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
    del chunks
    return save_index(names, np.asarray(starts, dtype=np.int64), codes, directory, stamp,
                      chunk=chunk)  # fmt: skip


def save_index(
    names: list[str], bounds: npt.NDArray[np.int64], codes: npt.NDArray[np.uint8],
    directory: Path, stamp: dict[str, object], *, chunk: int = 1 << 20,
) -> DatabaseIndex:  # fmt: skip
    """Sort the k-mer positions of `codes` (records starting at `bounds`) and save the index."""
    if codes.size >= 2**32:
        raise InputError(f"a database of {codes.size} bases is too large to index (limit 2^32)")
    positions, offsets = _sorted_positions(codes, bounds, chunk)
    directory.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    for filename, array in (("codes.npy", codes), ("starts.npy", bounds),
                            ("positions.npy", positions), ("offsets.npy", offsets)):  # fmt: skip
        with open_atomic(directory / filename) as handle:
            np.save(handle, array)
        sizes[filename] = (directory / filename).stat().st_size
    write_text_atomic(directory / "names.json", json.dumps(names))
    sizes["names.json"] = (directory / "names.json").stat().st_size
    sums: dict[str, object] = {name: file_digest(directory / name) for name in _INDEX_FILES}
    for name in _INDEX_FILES:  # for indexes too large to hash whole on every open
        if sizes[name] >= SAMPLE_BYTES:
            sums[f"{name}.blocks"] = _block_digests(directory / name)
    # Last: meta.json marks the index whole, with each file's size and digest to check it by.
    write_text_atomic(directory / "meta.json",
                      json.dumps({**stamp, "sizes": sizes, "sha256": sums}))  # fmt: skip
    return DatabaseIndex(names=names, starts=bounds, codes=codes, positions=positions,
                         offsets=offsets)  # fmt: skip


def index_is_whole(directory: Path, expected: dict[str, object]) -> bool:
    """True when the index in `directory` is of this FASTA and every file has its recorded size.

    A file cut short, replaced or missing (a disk that filled, a copy interrupted, a hand edit)
    makes the index be rebuilt instead of trusted. An index found whole before in this process,
    none of whose files has changed since (time, size, inode), is not hashed again: a design
    searches it batch after batch.
    """
    stamps = _stamps(directory)
    key = (str(directory.resolve()), stamps, json.dumps(expected, sort_keys=True, default=str))
    if stamps is not None and key in _FOUND_WHOLE:
        return True
    whole = _index_is_whole(directory, expected)
    # Files written in the last seconds are checked again: a change within the clock's tick
    # (a few ms) would keep their time.
    settled = stamps is not None and time.time_ns() - max(s[0] for s in stamps) > _SETTLED_NS
    if whole and settled:
        _FOUND_WHOLE[key] = True
        while len(_FOUND_WHOLE) > _REMEMBERED:
            del _FOUND_WHOLE[next(iter(_FOUND_WHOLE))]
    return whole


_FOUND_WHOLE: dict[tuple[str, object, str], bool] = {}  # indexes checked whole, by their stamps
_REMEMBERED = 16
_SETTLED_NS = 2_000_000_000


def _stamps(directory: Path) -> tuple[tuple[int, int, int], ...] | None:
    """(modification time, size, inode) of meta.json and each index file; None if one is gone."""
    try:
        found = [(directory / name).stat() for name in ("meta.json", *_INDEX_FILES)]
    except OSError:
        return None
    return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in found)


def _index_is_whole(directory: Path, expected: dict[str, object]) -> bool:
    try:
        meta = json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or {k: meta.get(k) for k in expected} != expected:
        return False
    sizes = meta.get("sizes")
    if not isinstance(sizes, dict) or set(sizes) != set(_INDEX_FILES):
        return False
    try:
        if not all((directory / name).stat().st_size == sizes[name] for name in _INDEX_FILES):
            return False
    except OSError:
        return False
    # The content too: a byte changed in place keeps the size but gives wrong sites. Every file
    # is hashed up to FULL_CHECK_BYTES in all (a transcriptome's index); beyond, the small files
    # in full and the large ones by evenly spread blocks, said by `open_index`.
    sums = meta.get("sha256")
    if not isinstance(sums, dict) or not set(_INDEX_FILES) <= set(sums):
        return False
    whole = sum(int(sizes[name]) for name in _INDEX_FILES) <= FULL_CHECK_BYTES
    try:
        return all(
            file_digest(directory / name) == sums[name]
            if whole or sizes[name] < SAMPLE_BYTES
            else _blocks_agree(directory / name, sums.get(f"{name}.blocks"))
            for name in _INDEX_FILES
        )
    except OSError:
        return False


FULL_CHECK_BYTES = 4 << 30  # indexes up to this are hashed whole on first open (about 3 s)
SAMPLE_BYTES = 64 << 20  # larger files of larger indexes are checked by blocks
_BLOCK = 1 << 16
_BLOCKS = 1024


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in 8 MB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for piece in iter(functools.partial(handle.read, 8 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def _block_digests(path: Path) -> list[str]:
    """SHA-256 of `_BLOCKS` evenly spread 64 KB blocks of a large file."""
    size = path.stat().st_size
    step = max(size // _BLOCKS, 1)
    found = []
    with path.open("rb") as handle:
        for start in range(0, size, step):
            handle.seek(start)
            found.append(hashlib.sha256(handle.read(_BLOCK)).hexdigest()[:16])
    return found


def _blocks_agree(path: Path, expected: object) -> bool:
    return isinstance(expected, list) and _block_digests(path) == expected


_INDEX_FILES = ("codes.npy", "starts.npy", "positions.npy", "offsets.npy", "names.json")


def open_index(
    fasta: Path,
    *,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DatabaseIndex:
    """Open the index of `fasta`, building it first when it is missing or out of date.

    A build reads the FASTA a block at a time (`scan.load_database`, which also checks it is
    FASTA) and sorts the k-mer positions in chunks; `progress` is called with each record's name.
    """
    directory = directory or fasta.with_name(fasta.name + ".assay-index")
    fingerprint_now = fingerprint(fasta)
    if index_is_whole(directory, fingerprint_now):
        # Memory-mapped, seen as plain arrays (slicing a memmap object costs microseconds).
        load = {n: np.load(directory / f"{n}.npy", mmap_mode="r").view(np.ndarray)
                for n in ("codes", "starts", "positions", "offsets")}  # fmt: skip
        return DatabaseIndex(
            names=json.loads((directory / "names.json").read_text()),
            starts=np.asarray(load["starts"]), codes=load["codes"],
            positions=load["positions"], offsets=load["offsets"],
        )  # fmt: skip
    from assay.primers.scan import load_database  # the same reader as the direct scan

    database = load_database(fasta)
    if progress is not None:
        for name in database.names:
            progress(name)
    return save_index(database.names, database.starts, database.codes, directory,
                      fingerprint_now)  # fmt: skip


def seed_keys(seed: str, rule: PrimingRule, shift: int = 0) -> npt.NDArray[np.uint32]:
    """Keys of every ACGT variant of a primer's k-mer that `rule` still lets prime (cached).

    `seed` is the k-mer whose last base lies `shift` bases before the primer's 3'-terminal base
    (0: the 3'-terminal k-mer), so each of its bases has a known distance from the 3' end.
    """
    return _seed_keys(seed, rule.max_mismatches, rule.max_three_prime_mismatches,
                      rule.terminal_must_match, shift)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _seed_keys(
    seed: str, max_mismatches: int, max_three_prime: int, terminal_must_match: bool,
    shift: int = 0,
) -> npt.NDArray[np.uint32]:  # fmt: skip
    weights = [4 ** (KMER - 1 - i) for i in range(KMER)]
    # Each position's key contribution for the bases that match it, and for those that do not.
    matching = [np.array([weights[i] * "ACGT".index(b) for b in IUPAC_CODES[c]], dtype=np.int64)
                for i, c in enumerate(seed)]  # fmt: skip
    other = [np.array([weights[i] * "ACGT".index(b) for b in "ACGT" if b not in IUPAC_CODES[c]],
                      dtype=np.int64) for i, c in enumerate(seed)]  # fmt: skip
    plain = all(m.size == 1 for m in matching)
    exact_key = sum(int(m[0]) for m in matching)
    keys_parts: list[npt.NDArray[np.int64]] = []
    # The 3'-terminal base (the last, when unshifted) may differ only where the rule allows it.
    fixed_end = terminal_must_match and shift == 0
    changeable = list(range(KMER - 1 if fixed_end else KMER))
    for count in range(max_mismatches + 1):
        for where in itertools.combinations(changeable, count):
            if sum(1 for w in where if KMER - 1 - w + shift < 5) > max_three_prime:
                continue
            if plain:  # one base per position: the exact key, less what the changes remove
                total = np.array([exact_key - sum(int(matching[w][0]) for w in where)])
                for w in where:
                    total = np.add.outer(total, other[w]).ravel()
            else:  # degenerate bases: every combination of the allowed bases, as one array
                total = np.zeros(1, dtype=np.int64)
                for i in range(KMER):
                    total = np.add.outer(total, other[i] if i in where else matching[i]).ravel()
            keys_parts.append(total)
    keys = np.unique(np.concatenate(keys_parts))
    found = keys.astype(np.uint32)
    found.flags.writeable = False  # shared by the cache
    return found


def find_sites_indexed(
    primer: str, index: DatabaseIndex, rule: PrimingRule
) -> dict[int, list[BindingSite]]:
    """Every site of `primer` that `rule` lets prime, grouped by record number.

    Record bases that are not A, C, G or T count as mismatches.
    """
    length = len(primer)
    found: dict[int, list[BindingSite]] = {}
    if length < KMER:
        return found
    variants = seed_keys(primer[-KMER:], rule)
    for strand in (Strand.PLUS, Strand.MINUS):
        # Plus strand: the record holds the primer; its last k bases are the k-mer.
        # Minus strand: the record holds the reverse complement, which starts with the
        # complement of the primer's last k bases.
        keys = variants if strand is Strand.PLUS else revcomp_keys(variants)
        kmer_start = bucket_members(index.positions, index.offsets, keys)
        if kmer_start.size == 0:
            continue
        site_start = kmer_start - (length - KMER) if strand is Strand.PLUS else kmer_start
        for record, sites in verify_sites(
            primer, functools.partial(codes_at, index.codes), index.starts, kmer_start,
            site_start, strand, rule,
        ).items():  # fmt: skip
            found.setdefault(record, []).extend(sites)
    return found


def bucket_members(
    positions: npt.NDArray[np.uint32], offsets: npt.NDArray[np.uint32],
    keys: npt.NDArray[np.uint32],
) -> npt.NDArray[np.int64]:  # fmt: skip
    """Every position in the buckets of `keys`, as one array."""
    wanted = keys.astype(np.int64)
    lo = offsets[wanted].astype(np.int64)
    sizes = offsets[wanted + 1].astype(np.int64) - lo
    total = int(sizes.sum())
    # Every position of every bucket at once: each bucket's start repeated over its size, plus
    # the place within it.
    ends = np.cumsum(sizes)
    within = np.arange(total) - np.repeat(ends - sizes, sizes)
    found: npt.NDArray[np.int64] = positions[np.repeat(lo, sizes) + within].astype(np.int64)
    return found


def codes_at(codes: npt.NDArray[np.uint8], where: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """The base codes at `where` (any shape) of an unpacked index or database."""
    return np.asarray(codes[where])


Fetch = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.uint8]]  # positions -> base codes 0-4


def verify_sites(
    primer: str, fetch: Fetch, starts: npt.NDArray[np.int64], anchor: npt.NDArray[np.int64],
    site_start: npt.NDArray[np.int64], strand: Strand, rule: PrimingRule,
) -> dict[int, list[BindingSite]]:  # fmt: skip
    """The candidate sites that `rule` lets prime, by record.

    `anchor` are positions where a seed variant of the primer lies (inside the site, so inside
    its record) and `site_start` the first base each candidate site would have; `fetch` gives the
    base codes at positions. Each candidate is checked against the whole primer with IUPAC masks,
    and sites never span two records. Candidates are checked `VERIFY_BATCH` at a time (the
    windows take a primer's length in bytes each, and a loose rule can give millions).
    """
    if anchor.size > VERIFY_BATCH:
        merged: dict[int, list[BindingSite]] = {}
        for first in range(0, anchor.size, VERIFY_BATCH):
            part = slice(first, first + VERIFY_BATCH)
            for number, some in verify_sites(primer, fetch, starts, anchor[part],
                                             site_start[part], strand, rule).items():  # fmt: skip
                merged.setdefault(number, []).extend(some)
        return merged
    length = len(primer)
    masks = np.array([_PRIMER_MASK[c] for c in primer], dtype=np.uint8)
    probe = masks if strand is Strand.PLUS else _complement_masks(masks)
    sites: dict[int, list[BindingSite]] = {}
    in_bounds = (site_start >= starts[0]) & (site_start + length <= starts[-1])
    anchor, site_start = anchor[in_bounds], site_start[in_bounds]
    survivors = _few_mismatches(probe, fetch, site_start, strand, rule.max_mismatches)
    anchor, site_start = anchor[survivors], site_start[survivors]
    record = np.searchsorted(starts, anchor, side="right").astype(np.int64) - 1
    inside = (site_start >= starts[record]) & (site_start + length <= starts[record + 1])
    start, record = site_start[inside], record[inside]
    if start.size == 0:
        return sites
    windows = fetch(start[:, None] + np.arange(length))
    mismatched = (_MASK_OF_CODE[windows] & probe) == 0
    # Columns in 3'-distance order: plus reads the primer left to right, minus the reverse.
    by_distance = mismatched[:, ::-1] if strand is Strand.PLUS else mismatched
    keep = (by_distance[:, :5].sum(axis=1) <= rule.max_three_prime_mismatches) & (
        by_distance.sum(axis=1) <= rule.max_mismatches
    )
    if rule.terminal_must_match:
        keep &= ~by_distance[:, 0]
    for row, site_start, rec in zip(by_distance[keep], start[keep], record[keep], strict=True):
        offset = int(site_start - starts[rec])
        sites.setdefault(int(rec), []).append(
            BindingSite(
                start=offset + 1,
                end=offset + length,
                strand=strand,
                mismatches=tuple(int(d) + 1 for d in np.flatnonzero(row)),
                primer_length=length,
            )
        )
    return sites


PRUNE_COLUMNS = 4  # bases outside the seed compared at a time before the whole site is read


def _few_mismatches(
    probe: npt.NDArray[np.uint8], fetch: Fetch, site_start: npt.NDArray[np.int64],
    strand: Strand, most: int,
) -> npt.NDArray[np.int64]:  # fmt: skip
    """Which candidates have at most `most` mismatches 5' of the 3'-most `KMER` bases (indices).

    The dense index's seed is those bases, so they matched when the candidate was found; the
    bases 5' of them are read `PRUNE_COLUMNS` at a time and a candidate already past `most` is
    dropped, so the whole site is read only for the few that can still prime (on unrelated
    sequence, most candidates fail within four bases). Exact whatever bases a seed covered (the
    organism index's seeds sit a few bases further 5'): a site's mismatches in some of its bases
    never exceed its mismatches in all, so only candidates the rule must refuse are dropped.
    """
    alive = np.arange(site_start.size)
    outside = len(probe) - KMER
    if outside <= 0 or alive.size == 0:
        return alive
    # Record columns 5' of the seed: the first `outside` of a plus-strand site, the last of a
    # minus-strand one; read from the seed outwards.
    columns = (np.arange(outside)[::-1] if strand is Strand.PLUS
               else np.arange(KMER, len(probe)))  # fmt: skip
    mismatches = np.zeros(alive.size, dtype=np.int64)
    for first in range(0, outside, PRUNE_COLUMNS):
        chunk = columns[first : first + PRUNE_COLUMNS]
        codes = fetch(site_start[alive][:, None] + chunk)
        mismatches += ((_MASK_OF_CODE[codes] & probe[chunk]) == 0).sum(axis=1)
        keep = mismatches <= most
        alive, mismatches = alive[keep], mismatches[keep]
        if alive.size == 0:
            break
    return alive


def revcomp_keys(keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The key of the reverse complement of each k-mer key."""
    value = np.zeros(keys.shape, dtype=np.uint32)
    rest = keys.astype(np.uint32)
    for _ in range(KMER):
        value = value * 4 + (3 - rest % 4)
        rest = rest // 4
    return value


def _complement_masks(masks: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Masks of the reverse complement, base for base (A<->T, C<->G, reversed)."""
    swapped = ((masks & 1) << 3) | ((masks & 8) >> 3) | ((masks & 2) << 1) | ((masks & 4) >> 1)
    return np.asarray(swapped[::-1], dtype=np.uint8)
