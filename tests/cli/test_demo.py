from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.cli.main import main


def test_demo_validates_table1_and_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for gene in ("JAK2", "STAT3", "PI3k", "mTOR", "GAPDH"):
        assert gene in printed
    report = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert len(report["pairs"]) == 5
    assert f"Report written to {out / 'validation.json'}" in printed
