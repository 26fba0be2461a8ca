from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assay import __version__
from assay.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"assay {__version__}"


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate" in out
    assert "demo" in out


def test_no_subcommand_shows_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: assay" in capsys.readouterr().out


def test_unknown_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    # `assay refgenes … | head`: the pipe closes while assay still prints; no traceback, exit 0.
    table = tmp_path / "panels.csv"
    rows = [f"{p},s{p}{i},{1 + i},{2 + i * i},{3 + i % 2}" for p in range(1500) for i in range(3)]
    table.write_text("panel,sample,A,B,C\n" + "\n".join(rows) + "\n")
    assay = Path(sys.executable).with_name("assay")
    with subprocess.Popen(
        [str(assay), "refgenes", str(table), "--by", "panel"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline() == b"\n"
        process.stdout.close()  # the reader goes away after one line of some 600 kB
        errors = process.stderr.read()
        assert process.wait(timeout=60) == 0
    assert b"Traceback" not in errors
    assert errors == b""


def test_an_unwritable_output_is_a_message_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    table = tmp_path / "od.csv"
    table.write_text("group,od570\ncontrol,0.8\ncontrol,0.82\ndrug,0.5\ndrug,0.52\n")
    code = main([
        "viability", str(table), "--control", "control", "--reference-nm", "0",
        "--out", str(blocker / "out"),
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"assay viability: error: {blocker}" in err
    assert "Traceback" not in err


def test_debug_is_taken_after_the_subcommand_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["viability", str(tmp_path / "missing.csv"), "--control", "c", "--debug"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" in err
    assert "missing.csv: no such file" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--pairs", "1_0"], "'1_0' is not a plain finite number"),  # Python's int() took it
        (["--pairs", "2.5"], "'2.5' is not a whole number"),
        (["--anneal-temp-c", "nan"], "'nan' is not a plain finite number"),
        (["--anneal-temp-c", "1e400"], "'1e400' is not a plain finite number"),  # inf
        (["--workers", ""], "'' is not a whole number"),
    ],
)
def test_numbers_in_options_are_plain_and_finite(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["design", "NM_002046.7", "--offline", *argv]) == 2
    assert said in capsys.readouterr().err


def test_plain_numbers_in_options_are_taken() -> None:
    from assay.cli.options import number, whole_number

    assert (whole_number("10"), whole_number("1e1"), whole_number(" 7 ")) == (10, 10, 7)
    assert (number("58.5"), number("-1"), number("1e300")) == (58.5, -1.0, 1e300)
