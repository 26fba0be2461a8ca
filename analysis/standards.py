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
