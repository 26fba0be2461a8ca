from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.files import MARKER, staged_folder, write_text_atomic


def test_writes_whole_file_and_creates_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    write_text_atomic(target, "ΔΔCt\n")
    assert target.read_text(encoding="utf-8") == "ΔΔCt\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_old_file_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "report.html", "<html></html>")
        with staged_folder(tmp_path / "out") as staging:
            write_text_atomic(staging / "wells.csv", "well\n")
    finally:
        os.umask(old)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == mode
    assert (tmp_path / "out" / "wells.csv").stat().st_mode & 0o777 == mode
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_folder_is_swapped_in_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "results"
    with staged_folder(out) as staging:
        write_text_atomic(staging / "expression.csv", "first run\n")
        write_text_atomic(staging / "old-figure.png", "first run\n")

    def second_run() -> None:
        with staged_folder(out) as staging:
            write_text_atomic(staging / "expression.csv", "second run\n")
            raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError, match="drawing failed"):
        second_run()
    # The failed run left the first run's folder as it was, and no staging folder beside it.
    assert (out / "expression.csv").read_text() == "first run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    with staged_folder(out) as staging:
        write_text_atomic(staging / "expression.csv", "third run\n")
    # A successful run replaces the folder whole: no figure of an earlier run is left beside it.
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "expression.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "my_data.xlsx").write_text("precious")
    with pytest.raises(InputError, match="already holds files assay did not write"):  # noqa: SIM117
        with staged_folder(tmp_path):
            pass
    assert (tmp_path / "my_data.xlsx").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with (
        pytest.raises(InputError, match="is a file, not a folder"),
        staged_folder(tmp_path / "file"),
    ):
        pass


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # finished and reaped: no process has it now


def test_what_a_killed_run_left_is_tidied_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "out"
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".out.{dead}.x1.new"
    running = tmp_path / f".out.{alive}.x2.new"  # another writer still at work: left alone
    for folder in (stale, running):
        folder.mkdir()
        (folder / "half.csv").write_text("1,2\n")
    # A run killed between its two renames: the previous results sit aside, the target is gone.
    previous = tmp_path / f".out.{dead}.x3.old"
    previous.mkdir()
    (previous / ".assay-output").write_text("written by assay\n")
    (previous / "expression.csv").write_text("old results\n")
    with staged_folder(target) as staging:
        assert not stale.exists()
        assert running.exists()
        assert not previous.exists()  # put back as the target before the new run swaps in
        assert (target / "expression.csv").read_text() == "old results\n"
        (staging / "expression.csv").write_text("new results\n")
    assert (target / "expression.csv").read_text() == "new results\n"
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out."))
    assert leftovers == [running.name]


def test_files_written_together_change_together_or_not_at_all(tmp_path: Path) -> None:
    from assay.files import write_texts_together

    first, second = tmp_path / "design.json", tmp_path / "design.tsv"
    write_texts_together({str(first): "old json", str(second): "old table"})
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(FileExistsError):  # the third cannot be written: nothing is renamed
        write_texts_together({str(first): "new json", str(second): "new table",
                              str(blocked / "order.csv"): "new order"})  # fmt: skip
    assert (first.read_text(), second.read_text()) == ("old json", "old table")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "design.json", "design.tsv"]
    write_texts_together({str(first): "new json", str(second): "new table"})
    assert (first.read_text(), second.read_text()) == ("new json", "new table")


def test_files_written_together_and_stopped_mid_rename_are_finished_by_the_next_run(
    tmp_path: Path,
) -> None:
    import json

    from assay.files import write_texts_together

    first, second = tmp_path / "design.json", tmp_path / "design.tsv"
    write_texts_together({str(first): "old json", str(second): "old table"})
    # What a run killed after its first rename leaves: the new JSON in place, the new table as
    # a part, the journal naming both moves (by a process that is gone).
    dead = _dead_pid()
    part = tmp_path / f".design.tsv.{dead}.abc.part"
    part.write_text("new table")
    first.write_text("new json")
    journal = tmp_path / f".design.json.{dead}.together"
    journal.write_text(json.dumps([[str(tmp_path / f".design.json.{dead}.x.part"), str(first)],
                                   [str(part), str(second)]]))  # fmt: skip
    orphan = tmp_path / f".design.json.{dead}.y.part"  # a part of a run killed while writing
    orphan.write_text("half")
    foreign = tmp_path / ".design.json.k2j3h4l5.part"  # another process's atomic write
    foreign.write_text("someone else's")
    from assay.files import finish_interrupted

    assert finish_interrupted(first) == [
        "finished writing design.tsv (a run was stopped mid-rename)"
    ]
    assert (first.read_text(), second.read_text()) == ("new json", "new table")  # the new, whole
    journal.write_text(json.dumps([[str(part), str(second)]]))
    write_texts_together({str(first): "third json", str(second): "third table"})
    assert (first.read_text(), second.read_text()) == ("third json", "third table")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".design.json.k2j3h4l5.part", "design.json", "design.tsv",
    ]  # fmt: skip


def test_a_journal_of_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    from assay.files import finish_interrupted

    first = tmp_path / "design.json"
    journal = tmp_path / f".design.json.{os.getpid()}.together"
    journal.write_text("[]")
    assert finish_interrupted(first) == []
    assert journal.exists()
