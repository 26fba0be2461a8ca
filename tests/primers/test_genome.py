"""The compact (2-bit, sampled k-mer) index of an organism database.

Expected sites come from the brute-force search of `binding.find_sites` (every window of every
record compared with the primer, a separate implementation) and from the dense index.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from assay.errors import InputError
from assay.primers.binding import PrimingRule, find_sites
from assay.primers.dbindex import find_sites_indexed, open_index
from assay.primers.genome import (
    MIN_PRIMER,
    STEP,
    build_compact_index,
    find_sites_compact,
    open_compact_index,
)

PRIMER = "ACGTTGCAAGGCTTACCGATG"
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _rc(text: str) -> str:
    return text[::-1].translate(_COMPLEMENT)


def _mutated(rng: np.random.Generator, text: str, count: int) -> str:
    letters = list(text)
    for at in rng.choice(len(text) - 1, count, replace=False):  # the 3'-terminal base kept
        letters[at] = "ACGT"[("ACGT".index(letters[at]) + 1) % 4]
    return "".join(letters)


def _records(seed: int) -> list[tuple[str, str]]:
    """Random records with the primer planted (0-2 mismatches, both strands), some with N runs."""
    rng = np.random.default_rng(seed)
    records = []
    for number in range(24):
        bases = list("".join(rng.choice(list("ACGT"), int(rng.integers(500, 40_000)))))
        for _ in range(4):
            site = _mutated(rng, PRIMER, int(rng.integers(0, 3)))
            site = _rc(site) if rng.random() < 0.5 else site
            at = int(rng.integers(0, len(bases) - len(site)))
            bases[at : at + len(site)] = site
        if number % 5 == 0:
            at = int(rng.integers(0, len(bases) - 60))
            bases[at : at + 40] = "N" * 40
        records.append((f"chr{number}", "".join(bases)))
    return records


def _fasta(records: list[tuple[str, str]]) -> str:
    return "".join(
        f">{name} test record\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n"
        for name, seq in records
    )


def _sites(found: dict[int, list]) -> dict[int, list[tuple[int, int, str, tuple[int, ...]]]]:  # type: ignore[type-arg]
    return {k: sorted((s.start, s.end, s.strand.value, s.mismatches) for s in v)
            for k, v in found.items() if v}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    folder = tmp_path_factory.mktemp("genome")
    records = _records(3)
    (folder / "genome.fa.gz").write_bytes(gzip.compress(_fasta(records).encode()))
    (folder / "genome.fa").write_text(_fasta(records))
    build_compact_index(folder / "genome.fa.gz", folder / "index", chunk=1 << 14, label="test")
    return folder, records


def test_the_compact_index_finds_what_every_window_compared_finds(
    built: tuple[Path, list[tuple[str, str]]],
) -> None:
    folder, records = built
    index = open_compact_index(folder / "index")
    rule = PrimingRule()
    found = _sites(find_sites_compact(PRIMER, index, rule))
    # Brute force on records without N (find_sites lets N match anything; the indexes count a
    # base that is not A, C, G or T as a mismatch, so those records are compared with the dense
    # index below).
    for number, (_, sequence) in enumerate(records):
        if "N" in sequence:
            continue
        expected = [s for s in find_sites(PRIMER, sequence, rule.max_mismatches) if rule.primes(s)]
        assert found.get(number, []) == _sites({0: expected}).get(0, []), number
    dense = _sites(find_sites_indexed(PRIMER, open_index(folder / "genome.fa"), rule))
    assert found == dense
    # 96 planted; a few carry two mismatches near the 3' end, which the rule refuses.
    assert 85 <= sum(len(v) for v in found.values()) <= 96
    assert index.label == "test"


def test_every_phase_of_a_site_is_found(tmp_path: Path) -> None:
    # One k-mer start in four is indexed: a site at each of four consecutive offsets (and on
    # the minus strand) is found through a different shift of the primer's 3' end.
    rng = np.random.default_rng(9)
    background = "".join(rng.choice(list("ACGT"), 200))
    records = [(f"r{p}{strand}", background[:p] + (PRIMER if strand == "+" else _rc(PRIMER))
                + background) for p in range(STEP + 1) for strand in "+-"]  # fmt: skip
    (tmp_path / "g.fa").write_text(_fasta(records))
    index = build_compact_index(tmp_path / "g.fa", tmp_path / "index")
    found = _sites(find_sites_compact(PRIMER, index, PrimingRule()))
    assert [len(found.get(n, [])) for n in range(len(records))] == [1] * len(records)
    for number, (name, _) in enumerate(records):
        start, end, strand, mismatches = found[number][0]
        p = int(name[1:-1])
        assert (start, end, strand, mismatches) == (p + 1, p + len(PRIMER), name[-1], ())


def test_bases_are_read_back_exactly(built: tuple[Path, list[tuple[str, str]]]) -> None:
    folder, records = built
    index = open_compact_index(folder / "index")
    joined = "".join(s for _, s in records)
    codes = index.codes(np.arange(len(joined), dtype=np.int64))
    expected = np.frombuffer(joined.encode(), dtype=np.uint8)
    lookup = np.full(256, 4, dtype=np.uint8)
    for i, base in enumerate(b"ACGT"):
        lookup[base] = i
    assert np.array_equal(codes, lookup[expected])
    assert index.names == [n for n, _ in records]
    assert index.starts[-1] == len(joined)


def test_the_index_takes_under_two_bytes_a_base(
    built: tuple[Path, list[tuple[str, str]]],
) -> None:
    # 2 bits a base and one 4-byte position in STEP = 4: 1.25 bytes a base, plus the N runs and
    # the fixed 64 MB offsets table (which is what a small test genome's size is mostly).
    folder, records = built
    bases = sum(len(s) for _, s in records)
    grown = sum((folder / "index" / n).stat().st_size for n in ("bases.bin", "positions.bin"))
    assert grown / bases <= 1.26
    assert (folder / "index" / "offsets.npy").stat().st_size <= (4**12 + 1) * 4 + 128


@pytest.mark.parametrize("length", [MIN_PRIMER, MIN_PRIMER - 1])
def test_primers_shorter_than_k_plus_step_are_refused(
    built: tuple[Path, list[tuple[str, str]]], length: int
) -> None:
    index = open_compact_index(built[0] / "index")
    primer = PRIMER[-length:]
    if length >= MIN_PRIMER:
        assert find_sites_compact(primer, index, PrimingRule())  # the planted 3' ends
    else:
        with pytest.raises(InputError, match=f"{MIN_PRIMER} nt or more"):
            find_sites_compact(primer, index, PrimingRule())


def _copy(built: tuple[Path, list[tuple[str, str]]], tmp_path: Path) -> Path:
    copy = tmp_path / "damaged-copy"
    copy.mkdir()
    for item in (built[0] / "index").iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    return copy


@pytest.mark.parametrize("where", ["positions.bin", "bases.bin"])
def test_a_byte_changed_where_a_search_reads_is_found_there(
    built: tuple[Path, list[tuple[str, str]]], tmp_path: Path, where: str
) -> None:
    # The large files are checked block by block as a search reads them: change one byte inside
    # the bucket of the primer's 3'-terminal 12-mer, or inside a planted site's bases.
    from assay.primers.dbindex import KMER

    copy = _copy(built, tmp_path)
    index = open_compact_index(copy)
    if where == "positions.bin":
        key = 0
        for base in PRIMER[-KMER:]:
            key = key * 4 + "ACGT".index(base)
        at = 4 * int(index.offsets[key])
    else:
        joined = "".join(s for _, s in built[1])
        at = joined.index(PRIMER) // 4
    data = bytearray((copy / where).read_bytes())
    data[at] ^= 0x10
    (copy / where).write_bytes(bytes(data))
    damaged = open_compact_index(copy)  # sizes agree: opened, the content not yet read
    with pytest.raises(InputError, match=f"{where} has changed since it was written"):
        find_sites_compact(PRIMER, damaged, PrimingRule())


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("flip", "changed since it was written"),
        ("cut", "bytes where"),
        ("missing", "is missing names.json"),
        ("meta", "not a finished assay index"),
        ("foreign", "not an assay compact index"),
        ("digit", "damaged meta.json \\(checksum\\)"),  # a count in meta.json changed
        ("count", "its base count does not fill bases.bin"),  # the same in an older index
    ],
)
def test_a_damaged_index_is_named_never_trusted(
    built: tuple[Path, list[tuple[str, str]]], tmp_path: Path, damage: str, said: str
) -> None:
    copy = _copy(built, tmp_path)
    if damage == "flip":  # a small file: checked in full on open
        data = bytearray((copy / "offsets.npy").read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / "offsets.npy").write_bytes(bytes(data))
    elif damage == "cut":
        (copy / "bases.bin").write_bytes((copy / "bases.bin").read_bytes()[:-1])
    elif damage == "missing":
        (copy / "names.json").unlink()
    elif damage == "meta":
        (copy / "meta.json").unlink()
    elif damage in ("digit", "count"):
        meta = json.loads((copy / "meta.json").read_text())
        meta["bases"] += 4  # one byte more of 2-bit bases than the file holds
        if damage == "count":
            del meta["meta_sha256"]  # as an index written before meta.json had its digest
        (copy / "meta.json").write_text(json.dumps(meta))
    else:
        (copy / "meta.json").write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(InputError, match=said):
        open_compact_index(copy)


@pytest.mark.parametrize(
    ("text", "said", "row"),
    [
        ("ACGT\n>r1\nACGT\n", "text before the first FASTA header", 1),
        (">r1\nACGT\nACXT\n", "not nucleotide codes: ['X']", 3),
        (">\nACGT\n", "header without a name", 1),
        ("", "holds no FASTA records", None),
    ],
)
def test_what_is_not_fasta_is_refused_with_its_line(
    tmp_path: Path, text: str, said: str, row: int | None
) -> None:
    (tmp_path / "bad.fa").write_text(text)
    with pytest.raises(InputError, match=said.replace("[", r"\[").replace("]", r"\]")) as caught:
        build_compact_index(tmp_path / "bad.fa", tmp_path / "index")
    if row is not None:
        assert caught.value.row == row
