"""The direct scan finds exactly what a per-record scan finds, for many primers at once.

The reference is `binding.find_sites` run on every record (the slow, plain scan the index is
tested against too), on the bundled transcripts, copies with bases changed at random places and a
real decoy panel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InputError
from assay.primers.binding import PrimingRule, find_sites
from assay.primers.model import Primer, PrimerPair
from assay.primers.offtarget import record_products, search_pairs
from assay.primers.scan import load_database, scan_sites
from tests.primers.test_dbindex import PRIMERS, RULES, _records


@pytest.fixture(scope="module")
def fasta(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    records = _records()
    path = tmp_path_factory.mktemp("scan") / "db.fa"
    # Lines of 60 and a lower-case record: the loader must join lines and read any case.
    text = ""
    for number, (name, sequence) in enumerate(records):
        body = sequence.lower() if number == 1 else sequence
        text += (
            f">{name} description\n"
            + "\n".join(body[i : i + 60] for i in range(0, len(body), 60))
            + "\n"
        )
    path.write_text(text)
    return path, records


@pytest.mark.parametrize("rule", RULES, ids=["primer-blast", "three-mismatches", "any-3prime"])
def test_scan_finds_exactly_what_a_per_record_scan_finds(
    fasta: tuple[Path, list[tuple[str, str]]], rule: PrimingRule
) -> None:
    path, records = fasta
    database = load_database(path)
    assert database.names == [name for name, _ in records]
    found = scan_sites([*PRIMERS, PRIMERS[0]], database, rule)  # a primer twice: both get it
    for primer, sites in zip([*PRIMERS, PRIMERS[0]], found, strict=True):
        scanned = {(r, s.start, s.end, s.strand, s.mismatches)
                   for r, ss in sites.items() for s in ss}  # fmt: skip
        expected = {
            (record, s.start, s.end, s.strand, s.mismatches)
            for record, (_, sequence) in enumerate(records)
            for s in find_sites(primer, sequence, rule.max_mismatches)
            if rule.primes(s)
        }
        assert scanned == expected


def test_batch_search_equals_one_pair_at_a_time(
    fasta: tuple[Path, list[tuple[str, str]]],
) -> None:
    path, records = fasta
    pairs = [
        PrimerPair(gene=f"p{i}", forward=Primer(sequence=PRIMERS[i]),
                   reverse=Primer(sequence=PRIMERS[i + 1]))
        for i in range(0, len(PRIMERS), 2)
    ]  # fmt: skip
    queries = [(pair, ["NM_002046"]) for pair in pairs]
    found, how = search_pairs(queries, [path])
    assert how == [f"{path.name}: direct scan (5 pair(s), no index yet)"]
    for (pair, _), products in zip(queries, found, strict=True):
        expected = [o for name, seq in records if not name.startswith("NM_002046.")
                    for o in record_products(pair, name, seq, PrimingRule())]  # fmt: skip
        key = lambda o: (o.record, o.start, o.end, o.kind)  # noqa: E731
        assert sorted(map(key, products)) == sorted(map(key, expected))


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        ("ACGT\n>a\nACGT\n", "text before the first FASTA header", 1),
        (">a\nACGT\n>\nACGT\n", "a FASTA header without a name", 3),
        (">a\nACGT\nAC!T\n", "not nucleotide codes", 3),
    ],
)
def test_malformed_fasta_is_refused_with_its_line(
    tmp_path: Path, text: str, message: str, row: int
) -> None:
    path = tmp_path / "bad.fa"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        load_database(path)
    assert caught.value.row == row


def test_validate_says_how_the_database_was_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.cli.main import main
    from assay.data import table1_path
    from assay.primers.offtarget import search_databases

    database = tmp_path / "db.fa"
    database.write_text(">decoy\n" + "ACGT" * 500 + "\n")
    argv = ["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "c"),
            "--db", str(database)]  # fmt: skip
    main(argv)
    assert "db.fa: direct scan (5 pair(s), no index yet)" in capsys.readouterr().out
    pair = PrimerPair(gene="x", forward=Primer(sequence=PRIMERS[0]),
                      reverse=Primer(sequence=PRIMERS[1]))  # fmt: skip
    search_databases(pair, [database])  # builds the index beside the file
    main(argv)
    assert "Off-target search: db.fa: index" in capsys.readouterr().out
