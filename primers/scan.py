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

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.errors import InputError
from assay.primers.binding import BindingSite, PrimingRule, Strand
from assay.primers.dbindex import _CODE, KMER, revcomp_key, seed_keys, verify_sites

CHUNK = 1 << 23  # positions looked at at once (about 60 MB of temporaries)
_HEADER = re.compile(rb"^>([^\r\n]*)\r?\n?", re.MULTILINE)
_BREAKS = re.compile(rb"[\s]+")
_LETTERS = b"ACGTURYSWKMBDHVN*-acgturyswkmbdhvn"


@dataclass(frozen=True, slots=True)
class Database:
    """A FASTA database in memory: record names, record starts and 2-bit codes of every base."""

    names: list[str]
    starts: npt.NDArray[np.int64]  # start of each record in `codes`; last entry = total length
    codes: npt.NDArray[np.uint8]


def load_database(path: Path) -> Database:
    """Read a FASTA file (gzip or not) into codes, one pass over its bytes.

    Raises:
        InputError: The file cannot be read or holds no FASTA record.
    """
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"cannot be read as FASTA ({error})", path=path) from None
    headers = list(_HEADER.finditer(data))
    if not headers:
        raise InputError("holds no FASTA records: nothing to search for off-targets", path=path)
    if data[: headers[0].start()].strip():
        raise InputError("text before the first FASTA header (is this FASTA?)", path=path, row=1)
    names: list[str] = []
    pieces: list[bytes] = []
    starts = [0]
    for this, following in zip(headers, [*headers[1:], None], strict=True):
        words = this.group(1).decode("utf-8", "replace").split()
        if not words:
            row = data.count(b"\n", 0, this.start()) + 1
            raise InputError("a FASTA header without a name", path=path, row=row)
        names.append(words[0])
        body = data[this.end() : following.start() if following is not None else len(data)]
        sequence = _BREAKS.sub(b"", body)
        if sequence.translate(None, _LETTERS):
            bad = next(i for i, c in enumerate(body) if c not in _LETTERS and c not in b" \t\r\n")
            row = data.count(b"\n", 0, this.end() + bad) + 1
            letters = sorted({chr(c) for c in sequence.translate(None, _LETTERS)})
            raise InputError(f"characters that are not nucleotide codes: {letters}",
                             path=path, row=row)  # fmt: skip
        pieces.append(sequence)
        starts.append(starts[-1] + len(sequence))
    del data
    joined = b"".join(pieces)
    del pieces
    codes = _CODE[np.frombuffer(joined, dtype=np.uint8)]
    return Database(names=names, starts=np.asarray(starts, dtype=np.int64), codes=codes)


def _window_keys(
    codes: npt.NDArray[np.uint8], start: int, stop: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """The 12-mer key starting at each position of [start, stop), and whether it is clean.

    Built from 3-mers to 6-mers to 12-mers (six array operations instead of twelve).
    """
    count = stop - start
    window = np.full(count + KMER - 1, 4, dtype=np.uint8)
    available = codes[start : stop + KMER - 1]
    window[: available.size] = available
    base = np.minimum(window, 3)
    other = window == 4
    n3 = count + KMER - 3
    k3 = (base[:n3] << 4) | (base[1 : n3 + 1] << 2) | base[2 : n3 + 2]
    o3 = other[:n3] | other[1 : n3 + 1] | other[2 : n3 + 2]
    n6 = count + KMER - 6
    k6 = (k3[:n6].astype(np.uint16) << 6) | k3[3 : n6 + 3]
    o6 = o3[:n6] | o3[3 : n6 + 3]
    keys = np.left_shift(k6[:count].astype(np.uint32), np.uint32(12))
    np.bitwise_or(keys, k6[6 : count + 6], out=keys)
    clean: npt.NDArray[np.bool_] = ~(o6[:count] | o6[6 : count + 6])
    return keys, clean


def scan_sites(
    primers: Sequence[str], database: Database, rule: PrimingRule
) -> list[dict[int, list[BindingSite]]]:
    """Every site of each primer that `rule` lets prime, grouped by record number, per primer.

    Primers shorter than the 12-mer seed have no site (as with the index).
    """
    found: list[dict[int, list[BindingSite]]] = [{} for _ in primers]
    # table[key] = 1 + index into `wanted` of the first (primer, strand) seeking that key; the
    # rest of a key's seekers are in `more`.
    table = np.zeros(4**KMER, dtype=np.uint16)
    wanted: list[tuple[int, Strand]] = []
    seekers: dict[int, list[int]] = {}
    for number, primer in enumerate(primers):
        if len(primer) < KMER:
            continue
        variants = seed_keys(primer[-KMER:], rule)
        for strand in (Strand.PLUS, Strand.MINUS):
            wanted.append((number, strand))
            keys = variants if strand is Strand.PLUS else np.asarray(
                [revcomp_key(int(k)) for k in variants], dtype=np.uint32
            )  # fmt: skip
            for key in keys.tolist():
                seekers.setdefault(key, []).append(len(wanted) - 1)
    if not wanted:
        return found
    if len(wanted) >= 2**16 - 1:
        raise InputError(f"{len(primers)} primers are too many for one scan; give fewer at once")
    for key, who in seekers.items():
        table[key] = who[0] + 1
    shared = {key: who for key, who in seekers.items() if len(who) > 1}
    hits: list[list[npt.NDArray[np.int64]]] = [[] for _ in wanted]
    codes = database.codes
    for start in range(0, codes.size, CHUNK):
        stop = min(start + CHUNK, codes.size)
        keys, clean = _window_keys(codes, start, stop)
        marked = table[keys]
        where = np.flatnonzero((marked > 0) & clean)
        if where.size == 0:
            continue
        owner = marked[where].astype(np.int64) - 1
        positions = where.astype(np.int64) + start
        order = np.argsort(owner, kind="stable")
        owner, positions = owner[order], positions[order]
        cuts = np.flatnonzero(np.diff(owner)) + 1
        for group, chunk_places in zip(np.split(owner, cuts), np.split(positions, cuts),
                                       strict=True):  # fmt: skip
            hits[int(group[0])].append(chunk_places)
        if shared:
            for key, who in shared.items():
                extra = positions[keys[positions - start] == key]
                for other in who[1:]:
                    hits[other].append(extra)
    for (number, strand), places in zip(wanted, hits, strict=True):
        if not places:
            continue
        kmer_start = np.unique(np.concatenate(places))
        for record, sites in verify_sites(
            primers[number], database.codes, database.starts, kmer_start, strand, rule
        ).items():
            found[number].setdefault(record, []).extend(sites)
    return found
