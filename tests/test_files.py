from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.files import write_text_atomic


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
