"""The database index finds exactly what a scan of every record finds, and follows its file.

Records are the bundled real transcripts, copies of them with bases changed at random places (the
kind of planted difference an off-target search must see through), and a real decoy panel.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from assay.data import refseq_dir
from assay.primers.accession import parse_accession
from assay.primers.binding import PrimingRule, find_sites
from assay.primers.cache import RecordCache
from assay.primers.dbindex import KMER, DatabaseIndex, build_index, find_sites_indexed, open_index
from assay.primers.offtarget import read_fasta

PRIMERS = [  # Table 1
    "ATCTGGGGAGTATGTTGCAGAA", "GTTGGGTGGATACCAGATCCTTT", "GAATCACGCCTTCTACAGACT",
    "TTCCGGACATCCTGAAGGT", "CATGGAGGAGAACCCTTATGTGA", "AGCACGAGGAAGATCAGGAATG",
    "CAACAAGCGATCCCGAACGA", "CCAAGTCCACACCGTCCAA", "TGAAGGTCGGAGTCAACGG",
    "TGGGTGGAATCATATTGGAACA",
]  # fmt: skip
RULES = [
    PrimingRule(),
    PrimingRule(max_mismatches=3, max_three_prime_mismatches=2),
    PrimingRule(max_mismatches=2, max_three_prime_mismatches=1, terminal_must_match=False),
]


def _records() -> list[tuple[str, str]]:
    cache = RecordCache(Path("/nonexistent"))
    rng = random.Random(2024)
    records = []
    for accession in ("NM_002046.7", "NM_006218.4", "NM_004958.4", "XM_006713658.5"):
        record = cache.load(parse_accession(accession))
        assert record is not None
        records.append((accession, record.sequence))
        for copy in range(3):
            bases = list(record.sequence)
            for i in rng.sample(range(len(bases)), len(bases) // 40):
                bases[i] = "ACGT"[("ACGT".index(bases[i]) + 1) % 4]
            records.append((f"{accession}_changed{copy}", "".join(bases)))
    records += list(read_fasta(refseq_dir() / "decoys" / "panel_shabalina_transcripts.fasta"))
    return records


@pytest.fixture(scope="module")
def database(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DatabaseIndex, list[tuple[str, str]]]:
    records = _records()
    folder = tmp_path_factory.mktemp("db")
    fasta = folder / "db.fa"
    fasta.write_text("".join(f">{name}\n{seq}\n" for name, seq in records))
    return open_index(fasta), records


@pytest.mark.parametrize("rule", RULES, ids=["primer-blast", "three-mismatches", "any-3prime"])
@pytest.mark.parametrize("primer", PRIMERS)
def test_index_finds_exactly_what_a_scan_finds(
    database: tuple[DatabaseIndex, list[tuple[str, str]]], primer: str, rule: PrimingRule
) -> None:
    index, records = database
    indexed = {
        (record, s.start, s.end, s.strand, s.mismatches)
        for record, sites in find_sites_indexed(primer, index, rule).items()
        for s in sites
    }
    scanned = {
        (record, s.start, s.end, s.strand, s.mismatches)
        for record, (_, sequence) in enumerate(records)
        for s in find_sites(primer, sequence, rule.max_mismatches)
        if rule.primes(s)
    }
    assert indexed == scanned


def test_the_index_holds_real_sites(database: tuple[DatabaseIndex, list[tuple[str, str]]]) -> None:
    index, _ = database
    # GAPDH forward primer: exact at 87-105 of NM_002046.7 (record 0), also in its changed copies.
    sites = find_sites_indexed("TGAAGGTCGGAGTCAACGG", index, RULES[0])
    assert (sites[0][0].start, sites[0][0].end, sites[0][0].mismatches) == (87, 105, ())


def test_sites_never_span_records(tmp_path: Path) -> None:
    gapdh = _records()[0][1]
    cut = gapdh.find("TGAAGGTCGGAGTCAACGG") + 10  # the forward primer split across two records
    fasta = tmp_path / "split.fa"
    fasta.write_text(f">a\n{gapdh[:cut]}\n>b\n{gapdh[cut:]}\n")
    index = open_index(fasta)
    assert find_sites_indexed("TGAAGGTCGGAGTCAACGG", index, RULES[1]) == {}


def test_bases_other_than_acgt_count_as_mismatches(tmp_path: Path) -> None:
    gapdh = _records()[0][1]
    at = gapdh.find("TGAAGGTCGGAGTCAACGG") + 5  # N under the forward primer's base 6
    fasta = tmp_path / "n.fa"
    fasta.write_text(f">n\n{gapdh[:at]}N{gapdh[at + 1 :]}\n")
    index = open_index(fasta)
    (site,) = find_sites_indexed("TGAAGGTCGGAGTCAACGG", index, RULES[0])[0]
    assert site.mismatches == (14,)  # base 6 of 19 is 14th from the 3' end


def test_the_index_is_reused_and_rebuilt_when_the_file_changes(tmp_path: Path) -> None:
    fasta = tmp_path / "db.fa"
    fasta.write_text(">a\n" + _records()[0][1] + "\n")
    builds: list[str] = []
    open_index(fasta, progress=builds.append)
    open_index(fasta, progress=builds.append)
    assert builds == ["a"]  # built once, then reused
    fasta.write_text(">b\n" + _records()[0][1] + "\n")
    index = open_index(fasta, progress=builds.append)
    assert builds == ["a", "b"]
    assert index.names == ["b"]


def _naive_buckets(records: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Every clean 12-mer (A/C/G/T only, inside one record) and its start positions, by hand."""
    buckets: dict[str, list[int]] = {}
    offset = 0
    for _, sequence in records:
        for i in range(len(sequence) - KMER + 1):
            kmer = sequence[i : i + KMER].upper()
            if set(kmer) <= set("ACGT"):
                buckets.setdefault(kmer, []).append(offset + i)
        offset += len(sequence)
    return buckets


@pytest.mark.parametrize("chunk", [1, 7, 500, 1 << 24])
def test_the_sorted_positions_do_not_depend_on_the_chunk_size(tmp_path: Path, chunk: int) -> None:
    gapdh = _records()[0][1]
    records = [
        ("a", gapdh[:700]),
        ("empty", ""),
        ("short", gapdh[700:709]),  # shorter than a k-mer: holds none
        ("n", gapdh[709:1000] + "N" + gapdh[1001:1400]),  # an N breaks the k-mers over it
        ("b", gapdh[1400:2000].lower()),
    ]
    index = build_index(records, tmp_path / "index", {}, chunk=chunk)
    found: dict[str, list[int]] = {}
    for key in np.flatnonzero(np.diff(index.offsets.astype(np.int64))):
        kmer = "".join("ACGT"[(int(key) >> (2 * (KMER - 1 - i))) & 3] for i in range(KMER))
        found[kmer] = index.positions[index.offsets[key] : index.offsets[key + 1]].tolist()
    assert found == _naive_buckets(records)


@pytest.mark.parametrize("damaged", ["positions.npy", "names.json", "codes.npy"])
def test_a_damaged_index_file_is_found_and_the_index_rebuilt(tmp_path: Path, damaged: str) -> None:
    fasta = tmp_path / "db.fa"
    fasta.write_text(">a\n" + _records()[0][1] + "\n")
    builds: list[str] = []
    first = open_index(fasta, progress=builds.append)
    folder = tmp_path / "db.fa.assay-index"
    path = folder / damaged
    path.write_bytes(path.read_bytes()[:-7])  # cut short, as a full disk or broken copy leaves it
    again = open_index(fasta, progress=builds.append)
    assert builds == ["a", "a"]  # rebuilt, not trusted
    assert again.names == first.names
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["codes.npy", "starts.npy", "positions.npy", "offsets.npy", "names.json", "meta.json"]
    )  # no temporary files left


def test_concurrent_first_builds_do_not_collide(tmp_path: Path) -> None:
    import threading

    fasta = tmp_path / "db.fa"
    fasta.write_text(">a\n" + _records()[0][1] + "\n")
    errors: list[BaseException] = []

    def build() -> None:
        try:
            open_index(fasta)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert open_index(fasta).names == ["a"]


def _brute_force_seed_keys(seed: str, rule: PrimingRule) -> list[int]:
    """Every ACGT 12-mer within the rule of `seed`, one by one (the plain reading of the rule).

    Mismatch positions and bases are enumerated with itertools, one key at a time.
    """
    import itertools

    from assay.primers.sequence import IUPAC_CODES

    exact = [list(IUPAC_CODES[c]) for c in seed]
    keys = set()
    changeable = range(KMER - 1 if rule.terminal_must_match else KMER)
    for count in range(rule.max_mismatches + 1):
        for where in itertools.combinations(changeable, count):
            if sum(w >= KMER - 5 for w in where) > rule.max_three_prime_mismatches:
                continue
            choices = [[b for b in "ACGT" if b not in exact[i]] if i in where else exact[i]
                       for i in range(KMER)]  # fmt: skip
            for bases in itertools.product(*choices):
                keys.add(int("".join("0123"["ACGT".index(b)] for b in bases), 4))
    return sorted(keys)


@pytest.mark.parametrize("rule", RULES, ids=["primer-blast", "three-mismatches", "any-3prime"])
@pytest.mark.parametrize("seed", ["GGAGTCAACGGA", "ACGTNRYACGTA", "TTTTTTTTTTTW"])
def test_seed_variants_are_every_12mer_the_rule_admits(seed: str, rule: PrimingRule) -> None:
    from assay.primers.dbindex import seed_keys

    assert seed_keys(seed, rule).tolist() == _brute_force_seed_keys(seed, rule)


@pytest.mark.parametrize("damaged", ["positions.npy", "codes.npy", "offsets.npy", "starts.npy"])
def test_a_byte_changed_in_place_is_found_and_the_index_rebuilt(
    tmp_path: Path, damaged: str
) -> None:
    # The same size, one byte changed: the size check alone trusted it and gave wrong sites.
    fasta = tmp_path / "db.fa"
    fasta.write_text(">a\n" + _records()[0][1] + "\n")
    builds: list[str] = []
    first = open_index(fasta, progress=builds.append)
    expected = find_sites_indexed("TGAAGGTCGGAGTCAACGG", first, RULES[0])
    path = tmp_path / "db.fa.assay-index" / damaged
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x5A
    path.write_bytes(bytes(data))
    again = open_index(fasta, progress=builds.append)
    assert builds == ["a", "a"]  # rebuilt, not trusted
    assert find_sites_indexed("TGAAGGTCGGAGTCAACGG", again, RULES[0]) == expected


@pytest.mark.parametrize("age_s", [3600.0, 0.0])
def test_an_index_checked_whole_is_not_hashed_again_until_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, age_s: float
) -> None:
    # A design searches the index batch after batch: hashing it whole each time cost seconds
    # (4 hashes of a 200 Mb transcriptome's index per target). Once found whole, it is trusted
    # while no file's time, size or inode changes; files written in the last 2 s (a change
    # within the clock's tick keeps the time) are hashed every time.
    import os
    import time

    from assay.primers import dbindex

    fasta = tmp_path / "db.fa"
    fasta.write_text(">a\n" + _records()[0][1] + "\n")
    open_index(fasta)
    folder = tmp_path / "db.fa.assay-index"
    then = time.time() - age_s
    for path in folder.iterdir():
        os.utime(path, (then, then))
    hashed: list[Path] = []
    digest = dbindex.file_digest

    def counted(path: Path) -> str:
        hashed.append(path)
        return digest(path)

    monkeypatch.setattr(dbindex, "file_digest", counted)
    expected = dbindex.fingerprint(fasta)
    assert dbindex.index_is_whole(folder, expected)
    first = len(hashed)
    assert first >= 4
    assert dbindex.index_is_whole(folder, expected)
    assert len(hashed) == (first if age_s else 2 * first)
    # A byte changed in place (its time moves on): hashed again, and found.
    path = folder / "positions.npy"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x5A
    path.write_bytes(bytes(data))
    os.utime(path, (then + 1, then + 1))
    assert not dbindex.index_is_whole(folder, expected)


def _changed(sequence: str, positions: tuple[int, ...]) -> str:
    bases = list(sequence)
    for i in positions:
        bases[i] = "ACGT"[("ACGT".index(bases[i]) + 1) % 4]
    return "".join(bases)


def _reverse_complement(sequence: str) -> str:
    return sequence.translate(str.maketrans("ACGT", "TGCA"))[::-1]


@pytest.mark.parametrize(
    ("changed", "kept"),
    [
        ((0, 9), True),  # two mismatches 5' of the seed, in different groups of four: at the rule
        ((0, 5, 9), False),  # three: one past it
        ((8, 9), True),  # both in the group read first, next to the seed
        ((6, 7, 8), False),  # three in the group read first
    ],
)
def test_sites_with_mismatches_outside_the_seed_are_kept_up_to_the_rule(
    tmp_path: Path, changed: tuple[int, ...], kept: bool
) -> None:
    # A 22-nt primer: 10 bases 5' of the 12-nt seed, read four at a time before the whole site.
    primer = "ATCTGGGGAGTATGTTGCAGAA"
    rng = random.Random(5)
    flank = "".join(rng.choice("ACGT") for _ in range(60))
    site = _changed(primer, changed)
    fasta = tmp_path / "planted.fa"
    fasta.write_text(
        f">plus\n{flank}{site}{flank}\n>minus\n{flank}{_reverse_complement(site)}{flank}\n"
    )
    found = find_sites_indexed(primer, open_index(fasta), RULES[0])
    expected = tuple(sorted(len(primer) - i for i in changed))  # 1-based from the 3' end
    if kept:
        assert sorted(found) == [0, 1]
        assert [(s.start, s.mismatches) for s in found[0]] == [(61, expected)]
        assert [(s.start, s.mismatches) for s in found[1]] == [(61, expected)]
    else:
        assert found == {}
