"""Console lines on a terminal: wrapped to 100 columns, names never cut (issue 29)."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from shared import INSTRUMENT_EXPORTS

from assay.cli.console import WIDTH, wrap_line
from assay.cli.main import main, run

SDS = INSTRUMENT_EXPORTS / "abi_sds" / "example.txt"


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


@pytest.mark.parametrize("width", [WIDTH, 60])
def test_the_96_gene_run_fits_the_width_with_every_word_whole(tmp_path: object, width: int) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(SDS), "--out", f"{tmp_path}/o"]) == 0
    lines = out.getvalue().splitlines()
    assert max(map(len, lines)) > width  # the ABI 7900 run prints QC reasons beside names
    wrapped = [wrap_line(line, width) for line in lines]
    for line, shown in zip(lines, wrapped, strict=True):
        parts = shown.split("\n")
        # Every part fits, unless it holds a word too long for any line (a file's path: never
        # broken).
        assert all(len(p) <= width or max(map(len, _words(p))) > width // 2 for p in parts), parts
        assert _words(shown) == _words(line)  # nothing cut, lost or reordered
    if width < WIDTH:
        return
    # A table row continues under the start of its last column.
    row = next(w for w in wrapped if w.startswith("Cebpe-Rn00567306_g1") and "\n" in w)
    first, second = row.split("\n")[:2]
    assert first.index("excluded by QC") == len(second) - len(second.lstrip())


def test_a_line_that_fits_is_left_as_it_is() -> None:
    line = "x" * WIDTH
    assert wrap_line(line) == line
    assert wrap_line(line + " y") == line + "\n    y"  # one column past: wrapped


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_wraps_unless_wide(monkeypatch: pytest.MonkeyPatch) -> None:
    for terminal, wide, wrapped in (
        (True, False, True),
        (False, False, True),
        (False, True, False),
    ):
        screen = _Terminal() if terminal else io.StringIO()
        monkeypatch.setattr("sys.stdout", screen)
        monkeypatch.setattr("sys.argv", ["assay", "wells", str(SDS), *(["--wide"] if wide else [])])
        monkeypatch.setenv("COLUMNS", "100")
        with pytest.raises(SystemExit):
            run()
        widest = max(map(len, screen.getvalue().splitlines()))
        assert (widest <= WIDTH) == wrapped, (terminal, wide, widest)
