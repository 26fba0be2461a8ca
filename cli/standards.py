"""`assay standards FILE…`: a dilution series on its own: efficiency, range and LoD per target."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from assay.analysis.standards import DilutionSeries


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay standards`."""
    parser.add_argument(
        "files", nargs="+", metavar="FILE",
        help="instrument exports with standard wells (quantities from the Quantity column, the "
        "Standard Curve Result sheet or the standards' names), or tables with columns gene, "
        "quantity and ct (an empty ct: a replicate not detected)",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="DIR",
        help="write standards.csv (one row per target), levels.csv, standard_curve.csv (for "
        "assay analyze --standard-curve) and standards.png/.svg",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Fit each file's series, print them, write the tables and figure if asked."""
    from pathlib import Path

    from assay.analysis.standards import curve_warnings, read_dilution_series

    found: list[DilutionSeries] = []
    for name in args.files:
        series = read_dilution_series(Path(name))
        print(f"{name}: {len(series)} target(s)")
        for one in series:
            print(_describe(one))
            for warning in curve_warnings(one.curve):
                print(f"  WARNING {warning}")
        found.extend(series)
    if args.out:
        from assay.files import staged_folder

        with staged_folder(args.out) as staging:
            names = _write(staging, found)
        print(f"\nWritten to {args.out}/: {', '.join(names)}")
    return 0


def _describe(one: DilutionSeries) -> str:
    curve = one.curve
    low, high = curve.efficiency_interval_pct()
    range_low, range_high = one.dynamic_range
    lines = [
        f"  {one.target}: slope {curve.slope:.4f}, intercept {curve.intercept:.3f}, "
        f"R² {curve.r_squared:.5f}, efficiency {curve.efficiency_pct:.2f} % "
        f"(95 % CI {low:.2f}-{high:.2f}) from {curve.points} wells at {len(one.levels)} levels",
        f"    linear dynamic range {range_low:g}-{range_high:g} "
        f"({one.dynamic_range_logs:.2f} log10 units; every replicate detected)",
        f"    limit of detection: {one.lod:g}" if one.lod is not None
        else f"    limit of detection: {one.lod_note}",
        "    level: replicates detected, mean Cq ± SD: "
        + "; ".join(f"{lv.quantity:g}: {lv.detected}/{lv.replicates}, "
                    + (f"{lv.mean_cq:.2f} ± {lv.sd_cq:.2f}" if lv.sd_cq == lv.sd_cq
                       else f"{lv.mean_cq:.2f}")
                    for lv in one.levels),
    ]  # fmt: skip
    return "\n".join(lines)


def _write(folder: Path, series: list[DilutionSeries]) -> list[str]:
    import pandas as pd

    from assay.analysis.figures import standards_figure
    from assay.files import write_text_atomic

    summary: list[dict[str, object]] = []
    levels: list[dict[str, object]] = []
    points: list[dict[str, object]] = []
    for one in series:
        curve = one.curve
        low, high = curve.efficiency_interval_pct()
        range_low, range_high = one.dynamic_range
        summary.append({
            "target": one.target, "slope": curve.slope, "slope_se": curve.slope_se,
            "intercept": curve.intercept, "r_squared": curve.r_squared,
            "efficiency_pct": curve.efficiency_pct, "efficiency_ci_low_pct": low,
            "efficiency_ci_high_pct": high, "amplification_factor": curve.amplification_factor,
            "wells": curve.points, "levels": len(one.levels),
            "range_low": range_low, "range_high": range_high,
            "range_log10": one.dynamic_range_logs,
            "lod": "" if one.lod is None else one.lod, "lod_note": one.lod_note,
        })  # fmt: skip
        for level in one.levels:
            levels.append({"target": one.target, "quantity": level.quantity,
                           "replicates": level.replicates, "detected": level.detected,
                           "mean_cq": level.mean_cq, "sd_cq": level.sd_cq})  # fmt: skip
    for one in series:  # every detected well: the table analyze --standard-curve reads
        points.extend({"gene": one.target, "quantity": quantity, "ct": cq}
                      for quantity, cq in one.wells if cq == cq)  # fmt: skip
    write_text_atomic(folder / "standards.csv",
                      pd.DataFrame(summary).to_csv(index=False, float_format="%.6g"))  # fmt: skip
    write_text_atomic(folder / "levels.csv",
                      pd.DataFrame(levels).to_csv(index=False, float_format="%.6g"))  # fmt: skip
    write_text_atomic(folder / "standard_curve.csv",
                      pd.DataFrame(points).to_csv(index=False, float_format="%.10g"))  # fmt: skip
    names = ["standards.csv", "levels.csv", "standard_curve.csv"]
    names += [p.name for p in standards_figure(series, folder / "standards")]
    return names
