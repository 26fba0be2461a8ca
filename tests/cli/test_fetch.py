"""`assay fetch` and online `assay validate` against a real local E-utilities server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eutils_server import FakeNcbi, running

from assay.cli.main import main
from assay.data import refseq_dir, table1_path

SECRET = "0123456789abcdef-not-a-real-key"


@pytest.fixture
def ncbi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeNcbi]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user config file
    monkeypatch.setenv("NCBI_EMAIL", "lab@example.org")
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    with running() as state:
        monkeypatch.setenv("ASSAY_EUTILS_URL", state.url)
        yield state


def _everything_written(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())


def test_fetch_fills_the_cache_and_never_shows_the_key(
    ncbi: FakeNcbi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    assert main(["fetch", "AL109817.1", "FJ940752.1", "--cache", str(cache)]) == 0
    out, err = capsys.readouterr()
    assert f"AL109817.1  fetched: {cache / 'AL109817.1.gb'}" in out
    assert (cache / "FJ940752.1.gb").read_text().startswith("LOCUS       FJ940752")
    index = json.loads((cache / "index.json").read_text())
    assert set(index) == {"AL109817.1.gb", "FJ940752.1.gb"}
    assert all(params["api_key"] == [SECRET] for _, _, params in ncbi.requests)
    assert SECRET not in out + err
    assert SECRET not in _everything_written(cache)


def test_fetch_again_uses_the_cache_unless_refreshed(
    ncbi: FakeNcbi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = ["--cache", str(tmp_path / "cache")]
    assert main(["fetch", "AL109817.1", *cache]) == 0
    assert main(["fetch", "AL109817.1", *cache]) == 0
    assert "already cached" in capsys.readouterr().out
    assert len(ncbi.requests) == 1
    assert main(["fetch", "AL109817.1", "--refresh", *cache]) == 0
    assert len(ncbi.requests) == 2


def test_fetch_a_table_offline_reports_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["fetch", "--table", str(table1_path()), "--offline", "--cache", str(tmp_path)])
    assert status == 1
    out = capsys.readouterr().out
    assert "NM_004972.4  NOT FETCHED" in out
    assert "Fetch it when online with: assay fetch NM_004972.4" in out
    assert f"NM_002046.7  already cached: {refseq_dir() / 'NM_002046.7.exons.fasta'}" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fetch", "NM_004972"], '"NM_004972" has no version'),
        (["fetch", "../../etc/passwd"], "is not a RefSeq or GenBank nucleotide accession"),
        (["fetch"], "give accessions"),
    ],
)
def test_fetch_refuses_bad_accessions(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--offline"]) == 2
    assert message in capsys.readouterr().err


def test_validate_online_fetches_a_missing_record(
    ncbi: FakeNcbi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "brca.tsv"
    # The record FJ940752.1 is only on the server; the primers are Table 1's GAPDH pair, used
    # here only to show the record being fetched for a pair.
    table.write_text(
        "gene\taccession\tforward\treverse\n"
        "BRCA1\tFJ940752.1\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\n"
    )
    out = tmp_path / "report.json"
    cache = tmp_path / "cache"
    main(["validate", str(table), "--json", str(out), "--cache", str(cache)])
    report = json.loads(out.read_text())
    assert report["pairs"][0]["reference"]["available"] is True
    assert (cache / "FJ940752.1.gb").is_file()
    fetched = [params["id"] for _, path, params in ncbi.requests if path.endswith("efetch.fcgi")]
    assert fetched == [["FJ940752.1"]]
    assert SECRET not in out.read_text() + "".join(capsys.readouterr())
