"""Validation on a Dask LocalCluster of two workers gives exactly the single-process report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assay.cli.main import main
from assay.data import table1_path

pytest.importorskip("dask.distributed")


def _table(path: Path, copies: int) -> None:
    """Table 1's pairs, each repeated under new names, with a few random pairs among them."""
    rows = (table1_path()).read_text().splitlines()
    header, body = rows[0], rows[1:]
    rng = random.Random(5)
    lines = [header]
    for copy in range(copies):
        for row in body:
            cells = row.split("\t")
            cells[0] = f"{cells[0]}_{copy}"
            lines.append("\t".join(cells))
        random_pair = ["".join(rng.choice("ACGT") for _ in range(20)) for _ in range(2)]
        lines.append(f"rnd_{copy}\t\t{random_pair[0]}\t{random_pair[1]}\t\t60")
    path.write_text("\n".join(lines) + "\n")


def test_a_two_worker_cluster_gives_the_single_process_report(tmp_path: Path) -> None:
    table = tmp_path / "pairs.tsv"
    _table(table, copies=12)  # 72 pairs
    database = tmp_path / "db.fa"
    database.write_text(">decoy\n" + "ACGTTGCA" * 300 + "\n")
    common = ["--offline", "--cache", str(tmp_path / "cache"), "--db", str(database)]
    single, clustered = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["validate", str(table), "--json", str(single), *common]) == 1
    assert main(["validate", str(table), "--json", str(clustered), "--workers", "2",
                 *common]) == 1  # fmt: skip
    one = json.loads(single.read_text())
    two = json.loads(clustered.read_text())
    assert len(one["pairs"]) == 72
    assert one == two


def test_cluster_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", str(table1_path()), "--offline", "--workers", "2", "--scheduler", "x"]
    assert main(argv) == 2
    assert "give --workers or --scheduler, not both" in capsys.readouterr().err


def test_chunks_spread_over_both_workers_come_back_in_table_order(tmp_path: Path) -> None:
    from assay.primers.batch import Cluster, validate_on_cluster
    from assay.primers.cache import RecordCache
    from assay.primers.offtarget import DatabaseSearch
    from assay.primers.report import to_json_dict
    from assay.primers.store import RecordStore
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs

    table = tmp_path / "pairs.tsv"
    _table(table, copies=10)
    pairs = read_primer_table(table)
    database = tmp_path / "db.fa"
    database.write_text(">decoy\n" + "ACGTTGCA" * 300 + "\n")
    store = RecordStore(RecordCache(tmp_path / "cache"))
    search = DatabaseSearch(paths=(str(database),))
    seen: list[tuple[int, int]] = []
    clustered = validate_on_cluster(pairs, Cluster(workers=2), records=store, off_targets=search,
                                    chunk=7, progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    single = validate_pairs(pairs, records=store, off_targets=search)
    assert seen[-1] == (9, 9)  # 60 pairs in chunks of 7
    assert [p.pair.gene for p in clustered.pairs] == [p.gene for p in pairs]
    assert to_json_dict(clustered) == to_json_dict(single)


def test_design_on_a_two_worker_cluster_equals_one_process(tmp_path: Path) -> None:
    targets = ["NM_002046.7", "NM_004958.4", "NM_006218.4"]
    common = ["--offline", "--cache", str(tmp_path / "cache"), "--pairs", "2"]
    single, clustered = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["design", *targets, "--json", str(single), *common]) == 0
    assert main(["design", *targets, "--json", str(clustered), "--workers", "2", *common]) == 0
    one = json.loads(single.read_text())
    assert [d["target"] for d in one["designs"]] == targets
    assert one == json.loads(clustered.read_text())


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--scheduler", "garbage", "is not a Dask scheduler address like tcp://"),
        ("--scheduler", "", "is not a Dask scheduler address"),
        ("--scheduler", "tcp://", "is not a Dask scheduler address"),
        ("--scheduler", "http://10.0.0.5:8786", "is not a Dask scheduler address"),
        ("--scheduler", "inproc://x", "is not a Dask scheduler address"),
        ("--scheduler", "ucx://10.0.0.5:8786", "is not a Dask scheduler address"),
        ("--scheduler", "tls://10.0.0.5:8786", "tls:// needs certificates"),
        ("--scheduler", "tcp://10.0.0.5:70000", "is not a Dask scheduler address"),
        ("--scheduler", "tcp://127.0.0.1:1", "cannot reach the Dask scheduler"),  # closed port
        # Offline, a scheduler on another host is refused before any connection is tried.
        ("--scheduler", "tcp://10.0.0.5:8786", "--offline keeps assay on this machine"),
        ("--workers", "0", "must be at least 1"),
        ("--workers", "100000", "is more than this machine can run"),
    ],
)
def test_cluster_options_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    status = main(["validate", str(table1_path()), "--offline", option, value])
    assert status == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error
