from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from scipy import stats

from assay.cli.main import main


def test_demo_validates_table1_analyses_the_example_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for gene in ("JAK2", "STAT3", "PI3k", "mTOR", "GAPDH"):
        assert gene in printed
    assert f"Report: {out / 'report.html'}" in printed
    # The failed mTOR assay is marked on its rows of the console table too.
    assert "mTOR†" in printed
    assert "† the gene's assay failed or is unverified in validation" in printed
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert len(validation["pairs"]) == 5
    with (out / "viability.csv").open() as handle:
        rows = {(r["panel"], r["group"]): r for r in csv.DictReader(handle)}
    # The seed paper's published summaries (Results 3.1), which the example is built to give.
    ags, a431 = rows[("AGS", "co-culture")], rows[("A431", "co-culture")]
    assert (
        round(float(ags["viability_pct_mean"]), 2),
        round(float(ags["viability_pct_sd"]), 2),
    ) == (76.71, 3.97)
    assert (round(float(a431["change_pct"]), 2), round(float(a431["viability_pct_sd"]), 2)) == (
        30.12,
        5.97,
    )
    # Honest tests: the control is 100 % in each of the 3 experiments by construction, so each
    # co-culture is tested against 100 % by a one-sample t on its 3 experiment percentages.
    # From the published mean and SD alone: t = (mean - 100) / (SD / sqrt(3)), df 2. The two
    # shown p-values are one Benjamini–Hochberg family (m = 2: the larger stays, the smaller
    # becomes min(2p, larger)).
    raw = {}
    for name, row, (mean, sd) in (("AGS", ags, (76.71, 3.97)), ("A431", a431, (130.12, 5.97))):
        t = (mean - 100) / (sd / math.sqrt(3))
        raw[name] = 2 * stats.t.sf(abs(t), 2)
        assert float(row["p_unadjusted"]) == pytest.approx(raw[name], rel=0.02)
        assert (row["test"], row["unit"], row["n"]) == ("one-sample t-test", "experiment", "3")
    low, high = sorted(raw.values())
    assert float(ags["p_value"]) == pytest.approx(
        min(2 * low, high) if raw["AGS"] == low else high, rel=0.02
    )
    # No stars in the tables for genes whose assay failed or is unverified (the p stays).
    with (out / "expression.csv").open() as handle:
        expression = list(csv.DictReader(handle))
    untrusted = [r for r in expression if r["assay_problem"] and r["group"] == "co-culture"]
    assert untrusted
    assert all(r["significance"] == "" and r["p_value"] for r in untrusted)
    # wells.csv lists every well read (data/example/ct.csv: 180 wells, one excluded), with its fate.
    with (out / "wells.csv").open() as handle:
        wells = list(csv.DictReader(handle))
    assert len(wells) == 180
    fates = [w["fate"] for w in wells]
    assert fates.count("used") == 179
    assert [f for f in fates if f != "used"] == ["excluded: bubble seen in the well"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "tested against 100 % (one-sample t-test, two-sided)" in report
    assert "76.71" in report
    assert "130.12" in report
    assert report.count("data:image/png;base64,") == 2
    assert "mTOR: assay fail in validation" in report
    # The failed and unverified assays are marked where their results are shown, not only in
    # the warnings: a dagger in the figure's caption and an "assay" column in the table.
    assert "† the gene&#x27;s assay failed or is unverified in validation (no stars)" in report
    assert "<td>assay fail in validation: no site on NM_004958.4" in report
    # Why JAK2 is unverified is in the validation table's reason column.
    assert "record not available: NM_004972.4 is not among the bundled records" in report
    # A reader sees the bundled file for what it is, parameters as a table, no raw JSON dump.
    assert "Ct table: bundled data/example/ct.csv" in report
    assert "<pre>" not in report
    assert "<a href='analysis.json'>analysis.json</a>" in report


def _example_rows(name: str) -> list[dict[str, str]]:
    from assay.data import example_dir

    with (example_dir() / name).open() as handle:
        return list(csv.DictReader(handle))


def test_demo_reports_the_cell_line_by_treatment_interaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # Viability, by another route: with experiments as blocks in a 2 x 2 layout, the interaction
    # is the two-sample t-test of the per-experiment log(co-culture / control) between the cell
    # lines (F = t², df 3 + 3 − 2 = 4).
    net: dict[tuple[str, str, str], list[float]] = {}
    blanks: dict[tuple[str, str], list[float]] = {}
    for row in _example_rows("od.csv"):
        value = float(row["od570"]) - float(row["od630"])
        key = (row["cell_line"], row["experiment"])
        if row["group"] == "blank":
            blanks.setdefault(key, []).append(value)
        else:
            net.setdefault((*key, row["group"]), []).append(value)
    ratios: dict[str, list[float]] = {}
    for (line, experiment, group), values in net.items():
        if group == "control":
            continue
        blank = sum(blanks[(line, experiment)]) / len(blanks[(line, experiment)])
        treated = sum(values) / len(values) - blank
        control = net[(line, experiment, "control")]
        ratios.setdefault(line, []).append(
            math.log(treated / (sum(control) / len(control) - blank))
        )
    t = stats.ttest_ind(ratios["AGS"], ratios["A431"])
    assert f"F(1, 4) = {t.statistic**2:.2f}, p = {t.pvalue:.2g}" in printed
    assert t.pvalue < 0.001  # the paper's claim: the secretome acts differently on the two lines
    # Each gene: ΔCt per cDNA sample in four cells; the interaction contrast (A431 change minus
    # AGS change) on the error pooled over the cells, df 12 − 4 = 8.
    cts: dict[tuple[str, str, str], dict[str, list[float]]] = {}
    for row in _example_rows("ct.csv"):
        if row["exclude"]:
            continue
        cell = cts.setdefault((row["cell_line"], row["group"], row["sample"]), {})
        cell.setdefault(row["gene"], []).append(float(row["ct"]))
    for gene in ("JAK2", "PI3k", "STAT3", "mTOR"):
        groups: dict[tuple[str, str], list[float]] = {}
        for (line, group, _), genes in cts.items():
            dct = sum(genes[gene]) / len(genes[gene]) - sum(genes["GAPDH"]) / len(genes["GAPDH"])
            groups.setdefault((line, group), []).append(dct)
        means = {k: sum(v) / len(v) for k, v in groups.items()}
        pooled = sum(sum((x - means[k]) ** 2 for x in v) for k, v in groups.items()) / 8
        contrast = (means[("A431", "co-culture")] - means[("A431", "control")]) - (
            means[("AGS", "co-culture")] - means[("AGS", "control")]
        )
        f = contrast**2 / (pooled * 4 / 3)
        assert f"{gene}: cell_line × group interaction F(1, 8) = {f:.2f}" in printed
