"""Dose-response fits against curves of known parameters, and through `assay viability`."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from assay.analysis.dose import MAX_IC50_SPAN, fit_dose_response, logistic
from assay.cli.main import main

DOSES = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]


def test_a_curve_without_noise_gives_back_its_parameters() -> None:
    # Three points per dose on the curve itself (bottom 10 %, top 100 %, IC50 3, Hill -1.2).
    x = np.repeat(DOSES, 3)
    y = logistic(x, bottom=10.0, top=100.0, log_ic50=math.log10(3.0), hill=-1.2)
    fit = fit_dose_response(x.tolist(), np.asarray(y).tolist())
    assert fit is not None
    assert (fit.bottom, fit.top, fit.ic50, fit.hill) == pytest.approx((10.0, 100.0, 3.0, -1.2),
                                                                       rel=1e-6)  # fmt: skip
    assert fit.ambiguous == ""


@pytest.mark.parametrize(("ic50", "ambiguous"), [(3.0, False), (1000.0, True)])
def test_an_ic50_outside_the_doses_tested_is_ambiguous(ic50: float, ambiguous: bool) -> None:
    rng = np.random.default_rng(3)
    x = np.repeat(DOSES, 3)
    y = logistic(x, bottom=10.0, top=100.0, log_ic50=math.log10(ic50), hill=-1.2)
    fit = fit_dose_response(x.tolist(), (np.asarray(y) + rng.normal(0, 2.0, x.size)).tolist())
    assert fit is not None
    assert bool(fit.ambiguous) is ambiguous
    if ambiguous:
        assert "outside the doses tested" in fit.ambiguous or "spans" in fit.ambiguous


def test_the_ic50_interval_covers_as_stated() -> None:
    # 300 noisy data sets of a known curve: the 95 % interval of the IC50 covers 3.0 in about
    # 95 % of them (3-SD Monte Carlo band ±0.038).
    rng = np.random.default_rng(11)
    x = np.repeat(DOSES, 3)
    truth = np.asarray(logistic(x, bottom=10.0, top=100.0, log_ic50=math.log10(3.0), hill=-1.2))
    covered = 0
    for _ in range(300):
        fit = fit_dose_response(x.tolist(), (truth + rng.normal(0, 4.0, x.size)).tolist())
        assert fit is not None
        covered += fit.ic50_low <= 3.0 <= fit.ic50_high
    assert abs(covered / 300 - 0.95) <= 0.038
    assert MAX_IC50_SPAN == 100.0


def test_viability_with_a_dose_column_fits_each_panel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)
    lines = ["experiment,group,dose,od570"]
    for experiment in (1, 2, 3):
        level = 0.8 * math.exp(rng.normal(0, 0.1))
        for dose in [0.0, *DOSES]:
            pct = 100.0 if dose == 0 else float(logistic(dose, bottom=10.0, top=100.0,
                                                         log_ic50=1.0, hill=-1.0))  # fmt: skip
            group = "control" if dose == 0 else f"{dose:g} uM"
            for _ in range(2):
                od = level * pct / 100 * math.exp(rng.normal(0, 0.03))
                lines.append(f"{experiment},{group},{dose},{od:.4f}")
    path = tmp_path / "od.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["viability", str(path), "--control", "control", "--reference-nm", "0",
                 "--blank-group", "none", "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "IC50 " in printed
    with (out / "dose_response.csv").open() as handle:
        (fit,) = list(csv.DictReader(handle))
    assert float(fit["ic50"]) == pytest.approx(10.0, rel=0.15)  # the curve's IC50 is 10 uM
    assert float(fit["ic50_ci_low"]) < 10.0 < float(fit["ic50_ci_high"])
    assert (fit["points"], fit["doses"], fit["ambiguous"]) == ("21", "7", "")
    # The doses are listed in dose order, not as text (0.1, 0.3, 1, 3, 10, ...).
    with (out / "viability.csv").open() as handle:
        groups = [r["group"] for r in csv.DictReader(handle)]
    assert groups[:4] == ["control", "0.1 uM", "0.3 uM", "1 uM"]
    # The fit is drawn: points, curve and IC50 on a log dose axis, in the report too.
    assert (out / "dose_response.png").stat().st_size > 0
    assert (out / "dose_response.svg").read_text().count("<path") > 10
    report = (out / "report.html").read_text()
    assert "Dose-response: viability % against dose (log scale)" in report
