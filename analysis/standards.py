"""Standard curves (dilution series) read from a file and judged by MIQE's rules.

A standard-curve table has one row per well: ``gene``, ``quantity`` (any unit, > 0) and ``ct``.
Each gene's Ct is fitted against log10(quantity) (`ddct.standard_curve`). MIQE (Bustin et al.
2009) asks for slope, intercept, R² and efficiency; an efficiency outside 90-110 % or an R² below
0.98 is a warning on that gene, never silently used as if it were fine.

>>> curve_warnings(StandardCurve(gene="ACTB", slope=-2.9, intercept=38.0, r_squared=0.999,
...                              points=5))
['ACTB: efficiency 121.2 % is outside 90-110 % (MIQE): check the dilution series']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.analysis.ddct import StandardCurve, standard_curve
from assay.analysis.wells import MISSING_CT, read_text_table
from assay.errors import InputError
from assay.tables import parse_number

EFFICIENCY_RANGE_PCT = (90.0, 110.0)  # MIQE (Bustin et al. 2009); Taylor et al. 2010
MIN_R_SQUARED = 0.98


def curve_warnings(curve: StandardCurve) -> list[str]:
    """Return what is wrong with a fitted curve by MIQE's rules (empty when nothing is)."""
    found = []
    low, high = EFFICIENCY_RANGE_PCT
    if not low <= curve.efficiency_pct <= high:
        found.append(
            f"{curve.gene}: efficiency {curve.efficiency_pct:.1f} % is outside {low:g}-{high:g} % "
            "(MIQE): check the dilution series"
        )
    if curve.r_squared < MIN_R_SQUARED:
        found.append(
            f"{curve.gene}: R² {curve.r_squared:.3f} of the standard curve is below "
            f"{MIN_R_SQUARED:g} (MIQE): the efficiency is not reliable"
        )
    return found


def read_standard_curves(path: str | Path) -> list[StandardCurve]:
    """Read a dilution series and fit each gene's curve.

    Raises:
        InputError: A column is missing, a quantity is not a positive number, a Ct is not a
            number (a standard without Ct cannot be fitted: exclude the well), or a gene's points
            do not make a curve (too few, one quantity, Ct not falling as quantity rises).
    """
    from assay.analysis.instruments import read_export, standard_points

    path = Path(path)
    export = read_export(path)
    if export is not None:  # an instrument export: its standard wells
        found = standard_points(export)
        if not found:
            raise InputError("holds no standard wells with a quantity and a Cq", path=path)
        return fit_curves(found, path)
    raw = read_text_table(path)
    columns = {c.strip().lower(): c for c in raw.columns}
    missing = [name for name in ("gene", "quantity", "ct") if name not in columns]
    if missing:
        raise InputError(
            f"a standard curve needs columns gene, quantity and ct; missing: {', '.join(missing)}",
            path=path,
        )
    points: dict[str, tuple[list[float], list[float]]] = {}
    for index, record in enumerate(raw.to_dict(orient="records")):
        row = index + 2
        gene = str(record[columns["gene"]]).strip()
        if not gene:
            raise InputError("no gene named", path=path, row=row, column=columns["gene"])
        quantity_text = str(record[columns["quantity"]])
        quantity = parse_number(quantity_text)
        if quantity is None or not math.isfinite(quantity) or quantity <= 0:
            raise InputError(
                "is not a positive quantity (a standard's amount must be above 0)", path=path,
                row=row, column=columns["quantity"], value=quantity_text,
            )  # fmt: skip
        ct_text = str(record[columns["ct"]])
        ct = parse_number(ct_text)
        if ct_text.strip().lower() in MISSING_CT:
            raise InputError(
                "a standard without a Ct cannot be fitted: remove the well from the file",
                path=path, row=row, column=columns["ct"], value=ct_text,
            )  # fmt: skip
        if ct is None or not 0 < ct <= 60:
            raise InputError(
                "is not a Ct value (a number between 0 and 60 cycles)", path=path, row=row,
                column=columns["ct"], value=ct_text,
            )  # fmt: skip
        xs, ys = points.setdefault(gene, ([], []))
        xs.append(math.log10(quantity))
        ys.append(ct)
    return fit_curves(points, path)


def fit_curves(
    points: dict[str, tuple[list[float], list[float]]], path: str | Path
) -> list[StandardCurve]:
    """Fit gene -> (log10 quantities, Cts) into curves; refuse what is not a dilution series.

    Raises:
        InputError: Too few points, one quantity only, or Ct not falling as quantity rises.
    """
    curves = []
    for gene, (xs, ys) in points.items():
        try:
            curve = standard_curve(gene, xs, ys)
        except ValueError as error:
            raise InputError(str(error), path=path) from None
        if not curve.slope < 0:
            raise InputError(
                f"{gene}: Ct does not fall as the quantity rises (slope {curve.slope:.3f}): "
                "this is not a dilution series",
                path=path,
            )
        curves.append(curve)
    return curves


# A dilution series on its own (`assay standards`) ---------------------------------------------

# MIQE 2.0 (Bustin et al. 2025): the limit of detection is the lowest level detected in at least
# 95 % of its replicates. 19 of 20 is the fewest replicates that can show 95 %; with fewer, the
# lowest level detected in every replicate is reported instead, and the LoD is not estimable.
LOD_DETECTION = 0.95
LOD_MIN_REPLICATES = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """One quantity of a dilution series: its replicates and how many gave a Cq."""

    quantity: float
    replicates: int
    detected: int
    mean_cq: float  # NaN when none detected
    sd_cq: float  # NaN with fewer than 2 detected


@dataclass(frozen=True, slots=True, kw_only=True)
class DilutionSeries:
    """A target's standard curve with what MIQE asks beside it.

    Attributes:
        target: The target.
        curve: The least-squares fit of Cq on log10 quantity (detected wells only).
        levels: Each quantity, lowest first.
        lod: The limit of detection (MIQE 2.0), or None when not estimable.
        lod_note: How the LoD was decided, in words.
    """

    target: str
    curve: StandardCurve
    levels: tuple[Level, ...]
    lod: float | None
    lod_note: str
    wells: tuple[tuple[float, float], ...] = ()  # (quantity, Cq or NaN) of every standard well

    @property
    def dynamic_range(self) -> tuple[float, float]:
        """The lowest and highest quantity whose replicates were all detected."""
        full = [lv.quantity for lv in self.levels if lv.detected == lv.replicates]
        return (min(full), max(full)) if full else (math.nan, math.nan)

    @property
    def dynamic_range_logs(self) -> float:
        """The linear dynamic range in orders of magnitude (log10 high / low)."""
        low, high = self.dynamic_range
        return math.log10(high / low) if low == low and low > 0 else math.nan


def limit_of_detection(levels: Sequence[Level]) -> tuple[float | None, str]:
    """The lowest level detected in ≥ 95 % of ≥ 20 replicates, or why it is not estimable.

    >>> limit_of_detection([Level(quantity=10, replicates=20, detected=19, mean_cq=35,
    ...                           sd_cq=0.5), Level(quantity=100, replicates=20, detected=20,
    ...                                             mean_cq=32, sd_cq=0.2)])
    (10, 'lowest level detected in at least 95 % of 20 or more replicates (MIQE 2.0)')
    """
    ordered = sorted(levels, key=lambda lv: lv.quantity)
    eligible = [lv for lv in ordered if lv.replicates >= LOD_MIN_REPLICATES]
    passing = [lv for lv in eligible if lv.detected >= LOD_DETECTION * lv.replicates]
    if eligible and passing:
        return passing[0].quantity, (
            "lowest level detected in at least 95 % of 20 or more replicates (MIQE 2.0)"
        )
    full = [lv for lv in ordered if lv.replicates and lv.detected == lv.replicates]
    fewest = min((lv.replicates for lv in ordered), default=0)
    lowest = f"; lowest level detected in every replicate: {full[0].quantity:g}" if full else ""
    return None, (
        f"not estimable: MIQE 2.0's 95 % detection needs {LOD_MIN_REPLICATES} or more replicates "
        f"per level (this series has {fewest}){lowest}"
    )


def levels_of(quantities: Sequence[float], cqs: Sequence[float]) -> tuple[Level, ...]:
    """Group wells by quantity: replicates, detected, mean and SD of the detected Cqs."""
    by_level: dict[float, list[float]] = {}
    for quantity, cq in zip(quantities, cqs, strict=True):
        by_level.setdefault(quantity, []).append(cq)
    found = []
    for quantity in sorted(by_level):
        values = by_level[quantity]
        seen = [c for c in values if c == c]
        mean = sum(seen) / len(seen) if seen else math.nan
        sd = (math.sqrt(sum((c - mean) ** 2 for c in seen) / (len(seen) - 1))
              if len(seen) > 1 else math.nan)  # fmt: skip
        found.append(Level(quantity=quantity, replicates=len(values), detected=len(seen),
                           mean_cq=mean, sd_cq=sd))  # fmt: skip
    return tuple(found)


def dilution_series(
    wells: dict[str, tuple[list[float], list[float]]], path: str | Path
) -> list[DilutionSeries]:
    """Each target's series from target -> (quantities, Cqs with NaN for no Cq).

    Raises:
        InputError: A target's detected wells do not make a curve.
    """
    found = []
    for target, (quantities, cqs) in wells.items():
        detected = [(math.log10(q), c) for q, c in zip(quantities, cqs, strict=True) if c == c]
        (curve,) = fit_curves({target: ([x for x, _ in detected], [c for _, c in detected])},
                              path)  # fmt: skip
        levels = levels_of(quantities, cqs)
        lod, note = limit_of_detection(levels)
        found.append(DilutionSeries(target=target, curve=curve, levels=levels, lod=lod,
                                    lod_note=note,
                                    wells=tuple(zip(quantities, cqs, strict=True))))  # fmt: skip
    return found


def read_dilution_series(path: str | Path) -> list[DilutionSeries]:
    """The dilution series in an instrument export (its standard wells) or a table.

    A table has columns gene (or target), quantity and ct; an empty Ct is a replicate that was not
    detected. An export's standards take their quantity from the Quantity column, the Standard
    Curve Result sheet, or their name ("Std 400"); an export of raw readings without Cqs (.eds,
    LightCycler raw data) takes its Cqs from the curves.

    Raises:
        InputError: No standards, a quantity that is not a positive number, a Ct that is not a
            number, or a target whose points do not make a curve.
    """
    from assay.analysis.instruments import read_export, standard_wells

    path = Path(path)
    export = read_export(path)
    wells: dict[str, tuple[list[float], list[float]]] = {}
    if export is not None:
        from assay.analysis.rawcurves import chooses_curves, with_curve_cq

        if chooses_curves(export, "auto"):  # raw readings without Cqs: Cqs from the curves
            export = with_curve_cq(export).export
        for target, amount, cq in standard_wells(export):
            quantities, cqs = wells.setdefault(target, ([], []))
            quantities.append(amount)
            cqs.append(cq)
        if not wells:
            raise InputError("holds no standard wells with a quantity", path=path)
        return dilution_series(wells, path)
    raw = read_text_table(path)
    columns = {c.strip().lower(): c for c in raw.columns}
    gene = columns.get("gene") or columns.get("target")
    if gene is None or "quantity" not in columns or "ct" not in columns:
        raise InputError("a dilution series needs columns gene (or target), quantity and ct",
                         path=path)  # fmt: skip
    for index, record in enumerate(raw.to_dict(orient="records")):
        row = index + 2
        text = str(record[columns["quantity"]])
        quantity = parse_number(text)
        if quantity is None or not math.isfinite(quantity) or quantity <= 0:
            raise InputError("is not a positive quantity", path=path, row=row,
                             column=columns["quantity"], value=text)  # fmt: skip
        ct_text = str(record[columns["ct"]]).strip()
        ct = math.nan if ct_text.lower() in MISSING_CT else parse_number(ct_text)
        if ct is None or (ct == ct and not 0 < ct <= 60):
            raise InputError("is not a Ct value (a number between 0 and 60 cycles, or empty)",
                             path=path, row=row, column=columns["ct"], value=ct_text)  # fmt: skip
        quantities, cqs = wells.setdefault(str(record[gene]).strip(), ([], []))
        quantities.append(quantity)
        cqs.append(ct)
    return dilution_series(wells, path)
