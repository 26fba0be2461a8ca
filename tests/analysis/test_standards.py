"""`assay standards`: a dilution series on its own, against the software's own fit."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest
from shared import INSTRUMENT_EXPORTS

from assay.analysis.standards import (
    LOD_DETECTION,
    LOD_MIN_REPLICATES,
    Level,
    limit_of_detection,
    read_dilution_series,
)
from assay.cli.main import main

QS1 = (
    INSTRUMENT_EXPORTS
    / "quantstudio/appbio_quantstudio_designandanalysis_QS1_Standard_Curve_example01.xlsx"
)


def _software_fit() -> dict[str, float]:
    """Slope, R², efficiency and the slope's SE as the Standard Curve Result sheet states them."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(QS1, read_only=True)
    rows = list(book["Standard Curve Result"].iter_rows(values_only=True))
    book.close()
    header = next(r for r in rows if r and r[0] == "Well")
    first = next(r for r in rows[rows.index(header) + 1 :] if r and r[0])
    return {name: float(str(first[header.index(name)]))
            for name in ("Slope", "R2", "Efficiency", "Y-Intercept", "Standard Error")}  # fmt: skip


def test_a_one_target_run_gives_the_softwares_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    software = _software_fit()
    # PROVENANCE.md's copy: 99.174722 %, -3.3419, R² 0.98802.
    assert software["Efficiency"] == pytest.approx(99.174722, abs=1e-6)
    (series,) = read_dilution_series(QS1)  # quantities only in the Standard Curve Result sheet
    curve = series.curve
    assert curve.efficiency_pct == pytest.approx(software["Efficiency"], rel=1e-9)
    assert curve.slope == pytest.approx(software["Slope"], abs=5e-5)  # the sheet rounds to 4
    assert curve.r_squared == pytest.approx(software["R2"], rel=1e-9)
    assert curve.intercept == pytest.approx(software["Y-Intercept"], abs=5e-3)
    assert curve.slope_se == pytest.approx(software["Standard Error"], rel=1e-9)
    assert [lv.quantity for lv in series.levels] == [1250, 2500, 5000, 10000, 20000]
    assert all(lv.replicates == lv.detected == 4 for lv in series.levels)
    out = tmp_path / "out"
    assert main(["standards", str(QS1), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "RNaseP: slope -3.3419, intercept 40.770, R² 0.98802, efficiency 99.17 %" in printed
    assert "limit of detection: not estimable" in printed
    assert "this series has 4" in printed
    with (out / "standards.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    low, high = float(row["efficiency_ci_low_pct"]), float(row["efficiency_ci_high_pct"])
    assert low < 99.17 < high
    # The CI from the slope's t interval (18 df), by hand: slope ± t(0.975, 18) · SE.
    from scipy import stats

    t = float(stats.t.ppf(0.975, 18))
    ends = sorted(100 * (10 ** (-1 / (software["Slope"] + d * t * software["Standard Error"])) - 1)
                  for d in (-1, 1))  # fmt: skip
    assert (low, high) == pytest.approx(ends, abs=0.01)
    assert {"standards.png", "standards.svg", "levels.csv"} <= {p.name for p in out.iterdir()}
    # The written curve is one assay analyze reads back to the same fit.
    from assay.analysis.standards import read_standard_curves

    (again,) = read_standard_curves(out / "standard_curve.csv")
    assert again.slope == pytest.approx(curve.slope, rel=1e-8)


def _levels(detected_at_low: int, replicates: int = 20) -> list[Level]:
    return [Level(quantity=10.0, replicates=replicates, detected=detected_at_low, mean_cq=36.0,
                  sd_cq=0.8),
            Level(quantity=100.0, replicates=replicates, detected=replicates, mean_cq=33.0,
                  sd_cq=0.3)]  # fmt: skip


@pytest.mark.parametrize(
    ("detected", "replicates", "lod"),
    [
        (19, LOD_MIN_REPLICATES, 10.0),  # 95 %: just at the rate
        (18, LOD_MIN_REPLICATES, 100.0),  # 90 %: the next level up
        (19, LOD_MIN_REPLICATES - 1, None),  # 19 replicates cannot show 95 %
    ],
)
def test_limit_of_detection_on_both_sides(
    detected: int, replicates: int, lod: float | None
) -> None:
    assert LOD_DETECTION == 0.95
    found, note = limit_of_detection(_levels(detected, replicates))
    assert found == lod
    if lod is None:
        assert note.startswith("not estimable")
        assert "this series has 19" in note


def test_a_table_with_undetected_replicates(tmp_path: Path) -> None:
    table = tmp_path / "series.csv"  # made here: 20 replicates a level, 1 lost at the lowest
    lines = ["gene,quantity,ct"]
    for quantity, ct in ((1e2, 33.0), (1e3, 29.7), (1e4, 26.4)):
        lines += [f"MYC,{quantity:g},{ct + 0.01 * (i % 3)}" for i in range(20)]
    lines[1] = "MYC,100,"  # one of the lowest level's replicates: no Ct
    table.write_text("\n".join(lines) + "\n")
    (series,) = read_dilution_series(table)
    assert series.levels[0].detected == 19
    assert series.lod == 100.0
    # Slope by hand: the three level means lie on 33.0 - 3.3 per log10 (plus the small offsets).
    assert series.curve.slope == pytest.approx(-3.3, abs=0.01)
