"""The reliability issue's reproducers (../shared/reliability_cases/commands.tsv), run as given.

Every case that once ended in a traceback, a hang or gigabytes of memory (and those kept as
regression cases) now ends in a clean refusal or a clean run: no Python error reaches the user.
The commands run in-process from the cases' folder, their outputs and record cache sent to a
temporary folder (nothing is written into ../shared).
"""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path

import pytest
from shared import SHARED

from assay.cli.main import main
from assay.data import example_dir

CASES = SHARED / "reliability_cases"


def _cases(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    if not (CASES / "commands.tsv").is_file():
        return []
    rows = [line.split("\t") for line in (CASES / "commands.tsv").read_text().splitlines()[1:]]
    return [(row[0], row[2]) for row in rows if len(row) == 3 and row[1] in kinds]


@pytest.mark.skipif(
    not CASES.is_dir(), reason="../shared/reliability_cases is not beside the checkout"
)
@pytest.mark.parametrize(("case", "command"), _cases(("traceback", "hang", "memory", "clean")))
def test_a_case_that_once_broke_now_ends_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, command: str
) -> None:
    argv = shlex.split(command)[1:]  # after "assay"
    for i, word in enumerate(argv):
        if word.startswith("out_"):
            argv[i] = str(tmp_path / word)
        elif word == "cache" and argv[i - 1] == "--cache":
            argv[i] = str(tmp_path / "cache")
        elif word.startswith("data/example/"):
            argv[i] = str(example_dir() / word.removeprefix("data/example/"))
    monkeypatch.chdir(CASES)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(argv)
    said = err.getvalue()
    assert "Traceback" not in said, (case, said[-2000:])
    assert status in (0, 1, 2), (case, status)
    if status == 2:
        assert said.startswith("assay "), (case, said)  # a one-line refusal naming the command
    assert not any(p.name.startswith("out_") for p in CASES.iterdir())


@pytest.mark.skipif(not CASES.is_dir(), reason="../shared/reliability_cases is not here")
def test_readings_that_are_not_numbers_are_counted_aloud(tmp_path: Path) -> None:
    # nan_fluor_some.rdml: some readings are NaN (counted from the file's XML here); they had
    # been dropped without a word.
    import re
    import zipfile

    path = CASES / "nan_fluor_some.rdml"
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(archive.namelist()[0]).decode()
    nan = len(re.findall(r"<fluor>\s*nan\s*</fluor>", xml, re.IGNORECASE))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["curves", str(path), "--out", str(tmp_path / "o")]) == 0
    assert nan > 0
    said = f"{nan} raw reading(s) that are not numbers (NaN, text, infinite) left out"
    assert said in out.getvalue()
