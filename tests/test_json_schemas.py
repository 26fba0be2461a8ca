"""docs/json-schemas.md against real outputs: every field written is documented, and no more."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assay.cli.main import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "json-schemas.md"


def _documented(section: str) -> set[str]:
    """The field names in the first column of the table under the heading `section`."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n{section}\n")
    following = re.search(r"\n#{2,3} ", text[start + len(section) + 2 :])
    end = start + len(section) + 2 + (following.start() if following else len(text))
    names: set[str] = set()
    for line in text[start:end].splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z_0-9]+)`", line.split("|")[1]))
    return names


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_the_validation_report_is_documented(demo: Path) -> None:
    report = json.loads((demo / "validation.json").read_text())
    assert report["schema_version"] == 2
    assert set(report) == _documented("### Top level")
    assert {k for p in report["pairs"] for k in p} == _documented("### A pair")
    primers = {k for p in report["pairs"] for k in p["forward"]}
    assert primers == _documented("### A primer (`forward`, `reverse`)")


def test_the_analysis_json_is_documented(demo: Path) -> None:
    analysis = json.loads((demo / "analysis.json").read_text())
    assert (analysis["schema_version"], analysis["kind"]) == (1, "expression")
    section = '## `analysis.json` of `assay analyze` (`"kind": "expression"`), schema 1'
    assert set(analysis) == _documented(section)
    rows = {k for row in analysis["expression"] for k in row} - {"cell_line"}  # a --by column
    assert rows == _documented("### An expression row (also expression.csv)")
    assert "NaN" not in (demo / "analysis.json").read_text()


def test_the_viability_json_is_documented(tmp_path: Path) -> None:
    table = tmp_path / "od.csv"
    table.write_text("group,od570\ncontrol,0.8\ncontrol,0.82\ndrug,0.5\ndrug,0.52\n")
    out = tmp_path / "out"
    main(["viability", str(table), "--control", "control", "--reference-nm", "0",
          "--out", str(out)])  # fmt: skip
    analysis = json.loads((out / "analysis.json").read_text())
    section = '## `analysis.json` of `assay viability` (`"kind": "viability"`), schema 1'
    assert set(analysis) == _documented(section)


def test_the_design_json_is_documented(tmp_path: Path) -> None:
    out = tmp_path / "design.json"
    argv = ["design", "NM_002046.7", "--pairs", "2", "--json", str(out), "--offline"]
    assert main([*argv, "--cache", str(tmp_path / "cache")]) == 0
    design = json.loads(out.read_text())
    assert design["schema_version"] == 1
    assert set(design) == _documented("## Design (`assay design --json`), schema 1")
    target = _documented("### A target's design")
    assert {k for d in design["designs"] for k in d} == target
    pair_fields = {k for d in design["designs"] for p in d["pairs"] for k in p}
    own = {"rank", "score", "primer3_penalty", "placement", "placement_text", "probe"}
    assert pair_fields == own | _documented("### A pair")


def test_the_redesign_json_is_documented(tmp_path: Path) -> None:
    from assay.data import table1_path

    out = tmp_path / "report.json"
    argv = ["validate", str(table1_path()), "--redesign", "--json", str(out), "--offline"]
    main([*argv, "--cache", str(tmp_path / "cache")])
    redesign = json.loads(out.read_text())["redesign"]
    assert {k for r in redesign for k in r} == {"gene", "row", "proposals"}
    proposal = {k for r in redesign for p in r["proposals"] for k in p}
    assert proposal == {"kind", "text"} | _documented("### A pair")
