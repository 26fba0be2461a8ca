"""A small calibration run that can fail: every default path's type-I error and CI coverage.

The full run (10,000 data sets per path) is benchmarks/stats_calibration.py; here 250 per path,
so the bands are 3 Monte Carlo SDs wide: type-I 0.05 ± 0.042, coverage 0.95 ± 0.042. A test that
took technical replicates as n, or left the calibrator's uncertainty out of an interval, falls
outside them (the parenthesised rows show it).
"""

from __future__ import annotations

import math

import pytest

from assay.analysis.calibration import Calibration, binomial_band, calibrate

SIMS = 250


@pytest.fixture(scope="module")
def results() -> dict[str, Calibration]:
    return {r.path: r for r in calibrate(SIMS, seed=7)}


def test_every_default_path_holds_its_level_and_covers(results: dict[str, Calibration]) -> None:
    band = binomial_band(0.05, SIMS)
    defaults = [r for name, r in results.items() if not name.startswith("(")]
    assert len(defaults) >= 11
    for r in defaults:
        if not math.isnan(r.type_one):
            assert abs(r.type_one - 0.05) <= band, (r.path, r.type_one)
        if not math.isnan(r.coverage):
            assert abs(r.coverage - 0.95) <= band, (r.path, r.coverage)
        if not math.isnan(r.power):
            assert r.power > r.type_one + 0.1, (r.path, r.power)  # the effect is seen


def test_wells_of_one_plate_as_n_are_not_calibrated(results: dict[str, Calibration]) -> None:
    # Why assay tests experiments, not wells: with a plate-level deviation of each group, wells
    # taken as n reject a true null far more often than 5 %.
    wells = results["(explicit --replicates wells: one plate's wells as n)"]
    pooled = results["(not assay: 3 experiments' wells pooled as n)"]
    assert wells.type_one > 0.05 + binomial_band(0.05, SIMS)
    assert pooled.type_one > results["viability, 3 experiments (one-sample t vs 100 %)"].type_one
