"""A compact index of a genome or transcriptome: 2-bit bases and a sampled k-mer index.

An organism database (`organisms`) holds a whole genome, so the index has to be small: at most
2 bytes a base on disk and in memory, built in bounded memory. Its parts, each a flat file read
through a memory map:

- ``bases.bin``: every base as 2 bits (four to a byte, the first in the low bits); runs of
  anything else (N, IUPAC codes) are kept as ``nruns.npy`` (start, end) and read as "no base",
  which no primer base matches. 0.25 byte a base.
- ``positions.bin``: the start of every 12-mer at a position divisible by 4 (``STEP``), grouped
  by k-mer, with ``offsets.npy`` (4^12 + 1 entries, 64 MB) giving each k-mer's bucket. One
  position in four at 4 bytes: 1 byte a base.

So 1.25 bytes a base plus 64 MB, against 5 for the dense index of `dbindex` (which keeps every
position and a byte per base). Why sampled k-mers and not an FM-index: primer search asks for a
short 3'-anchored seed with a few mismatches, which a k-mer table answers with one bucket read per
seed variant; an FM-index needs a backtracking walk per variant, a suffix-array sort to build
(tens of GB for a human genome without an external-memory builder) and gives no speed back here.

Sampling loses nothing: a site's 3'-terminal 15 bases hold four 12-mers starting at four
consecutive positions, exactly one of which is divisible by 4. The query reads, for each of those
four shifts, the buckets of every variant the priming rule allows (`dbindex.seed_keys`, the
mismatches counted from the 3' end at their true distance), and verifies each candidate against
the whole primer as the dense index does (`dbindex.verify_sites`). Every site the rule admits is
found once, and nothing else, for primers of 15 nt or more.

The build streams the FASTA (gzip or not) once into ``bases.bin``, then makes two passes over it
a chunk at a time (a counting sort, `dbindex.bucket_positions`) writing ``positions.bin`` through
a memory map: memory stays near the offsets table and one chunk (a few hundred MB) whatever the
genome. ``meta.json``, written last, marks the index whole, with every file's size and the
SHA-256 of the small ones, which `open_compact_index` checks. The two large files carry a CRC-32
per 4 KB block (``*.crc.npy``) and each block is checked the first time a search reads it: a
damaged byte is found wherever a search would have used it, and opening a 4 GB index does not
cost hashing 4 GB (a search reads a few MB of it).
"""

from __future__ import annotations

import functools
import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from assay.errors import InputError
from assay.files import open_atomic, write_text_atomic
from assay.primers.binding import BindingSite, PrimingRule, Strand
from assay.primers.dbindex import (
    KMER,
    bucket_members,
    bucket_positions,
    file_digest,
    revcomp_keys,
    seed_keys,
    verify_sites,
)
from assay.primers.scan import _BAD, _BYTE_CODE, _DROP, _headers

STEP = 4  # one k-mer start in STEP is indexed
MIN_PRIMER = KMER + STEP - 1  # shortest primer whose every site is found
COMPACT_VERSION = 2
READ_BLOCK = 1 << 24  # bytes of FASTA read at once
CHUNK = 1 << 24  # bases per pass chunk while sorting (about 300 MB of temporaries)
_FILES = (
    "bases.bin",
    "nruns.npy",
    "starts.npy",
    "positions.bin",
    "offsets.npy",
    "names.json",
    "bases.crc.npy",
    "positions.crc.npy",
)
_CHECKED_BY_BLOCK = ("bases.bin", "positions.bin")  # large: each block checked when first read
CHECK_BLOCK = 1 << 12  # bytes under one CRC-32


@dataclass(frozen=True)
class CompactIndex:
    """An opened compact index (arrays memory-mapped from its folder)."""

    names: list[str]
    starts: npt.NDArray[np.int64]  # start of each record; last entry = total bases
    bases: npt.NDArray[np.uint8]  # 2-bit packed
    nruns: npt.NDArray[np.int64]  # (start, end) of each run of non-ACGT, sorted, shape (n, 2)
    positions: npt.NDArray[np.uint32]  # sampled k-mer starts, grouped by k-mer
    offsets: npt.NDArray[np.uint32]  # bucket k is positions[offsets[k]:offsets[k + 1]]
    label: str = ""  # what it holds, for reports ("human GRCh38 genome")
    part: str = ""  # "genome" or "transcripts" in an organism database
    # CRC-32 of every CHECK_BLOCK bytes of bases.bin and positions.bin, checked as read; the
    # blocks already checked (empty while an index is being built: nothing to check against).
    crc: dict[str, npt.NDArray[np.uint32]] = field(default_factory=dict)
    checked: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def size(self) -> int:
        """Bases indexed."""
        return int(self.starts[-1])

    def check(
        self, name: str, data: npt.NDArray[np.generic], byte_blocks: npt.NDArray[np.int64]
    ) -> None:
        """Check the blocks of `data` (bases.bin or positions.bin) about to be read.

        Raises:
            InputError: A block's CRC-32 is not the one written: the index is damaged.
        """
        sums = self.crc.get(name)
        if sums is None:
            return
        done = self.checked.get(name)
        if done is None:
            done = self.checked[name] = np.zeros(sums.size, dtype=bool)
        todo = byte_blocks[~done[byte_blocks]]
        if todo.size == 0:
            return
        raw = data.view(np.uint8)
        for block in np.unique(todo).tolist():
            piece = raw[block * CHECK_BLOCK : (block + 1) * CHECK_BLOCK]
            if zlib.crc32(piece.data) != int(sums[block]):
                raise InputError(
                    f"{name} has changed since it was written (block {block} fails its "
                    "checksum): damaged, build it again", path=self.folder,
                )  # fmt: skip
            done[block] = True

    def codes(self, where: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        """Base codes (0-3 ACGT, 4 for anything else) at positions of any shape."""
        if self.crc:
            self.check("bases.bin", self.bases, (where >> 2).ravel() // CHECK_BLOCK)
        code = (self.bases[where >> 2] >> ((where & 3) << 1).astype(np.uint8)) & 3
        if self.nruns.size:
            run = np.searchsorted(self.nruns[:, 0], where, side="right") - 1
            other = (run >= 0) & (where < self.nruns[np.maximum(run, 0), 1])
            code = np.where(other, np.uint8(4), code)
        result: npt.NDArray[np.uint8] = code.astype(np.uint8)
        return result

    def chunk_codes(self, start: int, stop: int) -> npt.NDArray[np.uint8]:
        """Codes of bases [start, stop) (clipped to the index), as one array."""
        stop = min(stop, self.size)
        return self.codes(np.arange(start, stop, dtype=np.int64))


class _Packer:
    """Receives base codes (0-4) record by record and writes the 2-bit file and the runs."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.carry = np.zeros(0, dtype=np.uint8)
        self.total = 0
        self.runs: list[tuple[int, int]] = []
        self.names: list[str] = []
        self.starts: list[int] = []

    def record(self, name: str) -> None:
        self.names.append(name)
        self.starts.append(self.total)

    def bases(self, codes: npt.NDArray[np.uint8]) -> None:
        if codes.size == 0:
            return
        other = codes == 4
        if other.any():
            edges = np.flatnonzero(np.diff(np.r_[False, other, False].astype(np.int8)))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                a, b = int(a) + self.total, int(b) + self.total
                if self.runs and self.runs[-1][1] == a:  # a run continued from the last piece
                    self.runs[-1] = (self.runs[-1][0], b)
                else:
                    self.runs.append((a, b))
        self.total += codes.size
        joined = np.concatenate([self.carry, np.where(other, np.uint8(0), codes)])
        whole = joined.size - joined.size % 4
        quads = joined[:whole].reshape(-1, 4)
        packed = quads[:, 0] | (quads[:, 1] << 2) | (quads[:, 2] << 4) | (quads[:, 3] << 6)
        self.handle.write(packed.astype(np.uint8).tobytes())
        self.carry = joined[whole:]

    def close(self) -> None:
        if self.carry.size:
            last = np.zeros(4, dtype=np.uint8)
            last[: self.carry.size] = self.carry
            self.handle.write(bytes([int(last[0] | last[1] << 2 | last[2] << 4 | last[3] << 6)]))
            self.carry = np.zeros(0, dtype=np.uint8)


def _blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes (gunzipped), READ_BLOCK at a time, each cut after a newline."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    rest = b""
    try:
        with opener(path, "rb") as handle:
            for piece in iter(functools.partial(handle.read, READ_BLOCK), b""):
                data = rest + piece
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    rest = data
                    continue
                rest = data[cut:]
                yield data[:cut]
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"cannot be read as FASTA ({error})", path=path) from None
    if rest:
        yield rest + b"\n"


def stream_fasta(path: Path, packer: _Packer, progress: Callable[[int], None] | None) -> None:
    """Feed every record of a FASTA file to `packer`, checking it is FASTA on the way.

    Raises:
        InputError: Text before the first header, a header without a name, a letter that is not
            a nucleotide code (with its line), or no record at all.
    """
    line = 1  # of the block's first byte
    for data in _blocks(path):

        def row(at: int, data: bytes = data, line: int = line) -> int:  # only for messages
            return line + data.count(b"\n", 0, at)

        sequence_from = 0
        for head, tail in _headers(data):  # header lines are few; sequence between them
            _sequence(data, sequence_from, head, packer, path, row)
            words = data[head + 1 : tail].decode("utf-8", "replace").split()
            if not words:
                raise InputError("a FASTA header without a name", path=path, row=row(head))
            packer.record(words[0])
            sequence_from = tail
        _sequence(data, sequence_from, len(data), packer, path, row)
        line += data.count(b"\n")
        if progress is not None:
            progress(packer.total)
    if not packer.names:
        raise InputError("holds no FASTA records", path=path)


def _sequence(
    data: bytes, start: int, stop: int, packer: _Packer, path: Path, row: Callable[[int], int]
) -> None:
    if stop <= start:
        return
    mapped = _BYTE_CODE[np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)]
    keep = mapped != _DROP
    if not packer.names:
        if keep.any():
            raise InputError("text before the first FASTA header (is this FASTA?)", path=path,
                             row=row(start + int(np.argmax(keep))))  # fmt: skip
        return
    bad = np.flatnonzero(keep & (mapped == _BAD))
    if bad.size:
        where = start + int(bad[0])
        raise InputError(f"characters that are not nucleotide codes: ['{chr(data[where])}']",
                         path=path, row=row(where))  # fmt: skip
    packer.bases(mapped[keep])


def _sampled_keys(
    index: CompactIndex, bounds: npt.NDArray[np.int64], start: int, stop: int
) -> npt.NDArray[np.uint32]:
    """Key of the k-mer at each sampled position in [start, stop); 4**KMER where not clean.

    `start` is a multiple of STEP. A k-mer is clean when all its bases are A, C, G or T and it
    ends in the record it starts in.
    """
    count = (stop - start + STEP - 1) // STEP
    codes = index.chunk_codes(start, start + count * STEP + KMER - 1)
    window = np.full(count * STEP + KMER - 1, 4, dtype=np.uint8)
    window[: codes.size] = codes
    keys = np.zeros(count, dtype=np.uint32)
    other = np.zeros(count, dtype=bool)
    for i in range(KMER):
        column = window[i : i + count * STEP : STEP]
        np.multiply(keys, 4, out=keys)
        np.add(keys, np.minimum(column, 3), out=keys, casting="unsafe")
        other |= column == 4
    # K-mers starting in the last KMER − 1 bases of a record run into the next one.
    ends = bounds[(bounds > start) & (bounds < stop + KMER)]
    for end in ends.tolist():
        first = max(end - KMER + 1, start)
        lo = (first - start + STEP - 1) // STEP
        hi = (end - start + STEP - 1) // STEP
        other[lo:hi] = True
    keys[other] = np.uint32(4**KMER)
    return keys


def build_compact_index(
    fasta: Path, directory: Path, *, label: str = "", part: str = "",
    progress: Callable[[str], None] | None = None, chunk: int = CHUNK,
) -> CompactIndex:  # fmt: skip
    """Build the compact index of `fasta` into `directory` (created; files written whole).

    `progress` is called with a line of text now and then (bases read, sorting passes).
    """
    directory.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()

    def said(text: str) -> None:
        if progress is not None:
            progress(f"{text} ({time.monotonic() - began:.0f} s)")

    with open_atomic(directory / "bases.bin") as handle:
        packer = _Packer(handle)
        stream_fasta(fasta, packer, lambda n: said(f"read {n / 1e6:,.0f} Mb"))
        packer.close()
    total = packer.total
    if total >= 2**32:
        raise InputError(f"a database of {total:,} bases is too large to index (limit 2^32)",
                         path=fasta)  # fmt: skip
    starts = np.asarray([*packer.starts, total], dtype=np.int64)
    nruns = np.asarray(packer.runs, dtype=np.int64).reshape(-1, 2)
    # Read through a memory map while sorting: the page cache, not the process, holds it.
    bases: npt.NDArray[np.uint8] = (
        np.memmap(directory / "bases.bin", dtype=np.uint8, mode="r").view(np.ndarray)
        if total
        else np.zeros(0, dtype=np.uint8)
    )
    reading = CompactIndex(names=packer.names, starts=starts, bases=bases, nruns=nruns,
                           positions=np.zeros(0, dtype=np.uint32),
                           offsets=np.zeros(0, dtype=np.uint32))  # fmt: skip
    step_chunk = max(chunk - chunk % STEP, STEP)
    spans = [(a, min(a + step_chunk, total)) for a in range(0, total, step_chunk)]
    passes = [0]

    def keys_of(a: int, b: int) -> npt.NDArray[np.uint32]:
        passes[0] += 1
        if passes[0] % 16 == 0:
            said(f"k-mers: {passes[0]} of {2 * len(spans)} chunks")
        return _sampled_keys(reading, starts, a, b)

    target = directory / "positions.bin"
    files: list[npt.NDArray[np.uint32]] = []  # memory maps, flushed at the end

    def allocate(n: int) -> npt.NDArray[np.uint32]:
        with open_atomic(target) as handle:
            handle.truncate(4 * n)
        if n == 0:
            return np.zeros(0, dtype=np.uint32)
        mapped: npt.NDArray[np.uint32] = np.memmap(target, dtype=np.uint32, mode="r+", shape=(n,))
        files.append(mapped)
        return mapped

    positions, offsets = bucket_positions(
        spans, keys_of, lambda a, order: order.astype(np.int64) * STEP + a, allocate
    )
    for mapped in files:
        mapped.flush()  # type: ignore[attr-defined]  # a np.memmap
    for name, array in (("nruns.npy", nruns), ("starts.npy", starts), ("offsets.npy", offsets)):
        with open_atomic(directory / name) as handle:
            np.save(handle, array)
    write_text_atomic(directory / "names.json", json.dumps(packer.names))
    for name in _CHECKED_BY_BLOCK:
        with open_atomic(directory / name.replace(".bin", ".crc.npy")) as handle:
            np.save(handle, block_crcs(directory / name))
    sizes = {name: (directory / name).stat().st_size for name in _FILES}
    # The two large files are checked block by block as they are read; the rest in full on open.
    sums = {name: file_digest(directory / name) for name in _FILES if name not in _CHECKED_BY_BLOCK}
    said("index written")
    meta = {"kind": "assay compact index", "version": COMPACT_VERSION, "k": KMER, "step": STEP,
            "bases": total, "records": len(packer.names), "label": label, "part": part,
            "sizes": sizes,
            "sha256": sums}  # fmt: skip
    meta["meta_sha256"] = _meta_digest(meta)  # the counts and digests themselves checked
    write_text_atomic(directory / "meta.json", json.dumps(meta))  # last: the index is whole
    del positions
    return open_compact_index(directory)


def block_crcs(path: Path) -> npt.NDArray[np.uint32]:
    """CRC-32 of every CHECK_BLOCK bytes of a file (the last block may be shorter)."""
    found: list[int] = []
    with path.open("rb") as handle:
        for piece in iter(functools.partial(handle.read, CHECK_BLOCK * 4096), b""):
            view = memoryview(piece)
            found += [
                zlib.crc32(view[i : i + CHECK_BLOCK]) for i in range(0, len(piece), CHECK_BLOCK)
            ]
    return np.asarray(found, dtype=np.uint32)


def index_label(directory: Path) -> tuple[str, str]:
    """What a compact index says it holds and its part: ("human GRCh38 genome", "genome")."""
    try:
        meta = json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        return directory.name, ""
    if not isinstance(meta, dict):
        return directory.name, ""
    return str(meta.get("label") or directory.name), str(meta.get("part", ""))


def open_compact_index(directory: Path, *, check: bool = True) -> CompactIndex:
    """Open a compact index, after checking it is whole and unchanged (sizes and digests).

    An index opened before in this process, none of whose files has changed since (time and
    size), is that same object: a design searches it batch after batch, and neither the small
    files' digests nor the large files' block checks (kept on the object) are done again.

    Raises:
        InputError: No index there, another version, a file missing, cut short or changed.
    """
    try:
        stamps = tuple((p.stat().st_mtime_ns, p.stat().st_size)
                       for p in (directory / n for n in ("meta.json", *_FILES)))  # fmt: skip
    except OSError:
        stamps = None
    if stamps is None or not check:
        return _open_compact_index(directory, check=check)
    return _opened(str(directory.resolve()), stamps)


@functools.lru_cache(maxsize=8)
def _opened(directory: str, _stamps: tuple[tuple[int, int], ...]) -> CompactIndex:
    """The checked index of `directory` as its files were (`_stamps`: mtime and size each)."""
    return _open_compact_index(Path(directory), check=True)


def _meta_digest(meta: dict[str, Any]) -> str:
    """SHA-256 of meta.json's content without this digest, keys sorted."""
    import hashlib

    body = {k: v for k, v in meta.items() if k != "meta_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _open_compact_index(directory: Path, *, check: bool) -> CompactIndex:
    try:
        meta = json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        raise InputError("is not a finished assay index (no readable meta.json)",
                         path=directory) from None  # fmt: skip
    if not isinstance(meta, dict) or meta.get("kind") != "assay compact index":
        raise InputError("is not an assay compact index", path=directory)
    if "meta_sha256" in meta and meta["meta_sha256"] != _meta_digest(meta):
        raise InputError("has a damaged meta.json (checksum): build it again", path=directory)
    if (meta.get("version"), meta.get("k"), meta.get("step")) != (COMPACT_VERSION, KMER, STEP):
        raise InputError("was built by another version of assay: build it again",
                         path=directory)  # fmt: skip
    sizes, sums = meta.get("sizes"), meta.get("sha256")
    if not isinstance(sizes, dict) or not isinstance(sums, dict) or set(sizes) != set(_FILES):
        raise InputError("has a damaged meta.json: build it again", path=directory)
    for name in _FILES:
        path = directory / name
        try:
            size = path.stat().st_size
        except OSError:
            raise InputError(f"is missing {name}: build it again", path=directory) from None
        if size != sizes[name]:
            raise InputError(f"{name} is {size:,} bytes where {sizes[name]:,} were written: "
                             "damaged, build it again", path=directory)  # fmt: skip
        if not check or name in _CHECKED_BY_BLOCK:
            continue
        if file_digest(path) != sums.get(name):
            raise InputError(f"{name} has changed since it was written (checksum): damaged, "
                             "build it again", path=directory)  # fmt: skip
    total = meta.get("bases")
    # The base count is no file's size: held against the 2-bit file it must fill (a digit
    # changed in meta.json would otherwise map too few bases, or too many).
    if not isinstance(total, int) or (total + 3) // 4 != sizes["bases.bin"]:
        raise InputError("has a damaged meta.json (its base count does not fill bases.bin): "
                         "build it again", path=directory)  # fmt: skip

    def mapped(name: str, dtype: type, count: int) -> npt.NDArray[np.generic]:
        if count == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(directory / name, dtype=dtype, mode="r", shape=(count,)).view(np.ndarray)

    offsets = np.load(directory / "offsets.npy", mmap_mode="r").view(np.ndarray)
    return CompactIndex(
        names=json.loads((directory / "names.json").read_text()),
        starts=np.load(directory / "starts.npy"),
        bases=mapped("bases.bin", np.uint8, (total + 3) // 4),  # type: ignore[arg-type]
        nruns=np.load(directory / "nruns.npy").reshape(-1, 2),
        positions=mapped("positions.bin", np.uint32, int(offsets[-1])),  # type: ignore[arg-type]
        offsets=offsets,
        label=str(meta.get("label", "")),
        part=str(meta.get("part", "")),
        crc={
            name: np.load(directory / name.replace(".bin", ".crc.npy"))
            for name in _CHECKED_BY_BLOCK
        },
        folder=directory,
    )


def find_sites_compact(
    primer: str, index: CompactIndex, rule: PrimingRule
) -> dict[int, list[BindingSite]]:
    """Every site of `primer` that `rule` lets prime, grouped by record number.

    Raises:
        InputError: The primer is shorter than `MIN_PRIMER` (its sites could be missed).
    """
    length = len(primer)
    if length < MIN_PRIMER:
        raise InputError(f"primer {primer} is {length} nt: an organism database is searched for "
                         f"primers of {MIN_PRIMER} nt or more")  # fmt: skip
    found: dict[int, list[BindingSite]] = {}
    for shift in range(STEP):
        seed = primer[length - KMER - shift : length - shift]
        variants = seed_keys(seed, rule, shift)
        for strand in (Strand.PLUS, Strand.MINUS):
            keys = variants if strand is Strand.PLUS else revcomp_keys(variants)
            _check_buckets(index, keys)
            anchor = bucket_members(index.positions, index.offsets, keys)
            if anchor.size == 0:
                continue
            # Plus: the k-mer ends `shift` bases before the site's end. Minus: the record holds
            # the reverse complement, whose k-mer starts `shift` bases after the site's start.
            site_start = anchor + KMER + shift - length if strand is Strand.PLUS else anchor - shift
            for record, sites in verify_sites(primer, index.codes, index.starts, anchor,
                                              site_start, strand, rule).items():  # fmt: skip
                found.setdefault(record, []).extend(sites)
    return found


def _check_buckets(index: CompactIndex, keys: npt.NDArray[np.uint32]) -> None:
    """Check the blocks of positions.bin that the buckets of `keys` lie in."""
    if not index.crc:
        return
    wanted = keys.astype(np.int64)
    lo = index.offsets[wanted].astype(np.int64) * 4
    hi = index.offsets[wanted + 1].astype(np.int64) * 4
    lo, hi = lo[hi > lo], hi[hi > lo]
    if lo.size == 0:
        return
    first, last = lo // CHECK_BLOCK, (hi - 1) // CHECK_BLOCK
    spans = last - first + 1
    blocks = np.repeat(first, spans) + (
        np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
    )
    index.check("positions.bin", index.positions, blocks)
