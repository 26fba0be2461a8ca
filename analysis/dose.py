"""Dose-response: the four-parameter logistic fit of viability against dose, with IC50 and its CI.

viability = bottom + (top − bottom) / (1 + 10^((log10 IC50 − log10 dose) · hill))

fitted by least squares on log10 dose (doses > 0; the untreated control is 100 % by
construction and is not a point on the log axis). The IC50's 95 % interval is the t-interval of
log10 IC50 from the fit's covariance (n − 4 df), back-transformed, as GraphPad Prism reports it
by default. A fit is "ambiguous" (Prism's word) when the data do not define it: the IC50 lies
outside the doses tested, or its interval cannot be computed or spans more than a hundredfold.

>>> float(round(logistic(10.0, bottom=0.0, top=100.0, log_ic50=1.0, hill=1.0), 6))
50.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A fit's IC50 interval wider than this factor (high / low) does not define the IC50.
MAX_IC50_SPAN = 100.0


def logistic(dose: float | np.ndarray, *, bottom: float, top: float, log_ic50: float,
             hill: float) -> float | np.ndarray:  # fmt: skip
    """The four-parameter logistic (Hill) curve at `dose` (> 0)."""
    x = np.log10(dose)
    result: float | np.ndarray = bottom + (top - bottom) / (1.0 + 10.0 ** ((log_ic50 - x) * hill))
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseResponse:
    """A four-parameter logistic fit.

    Attributes:
        points: Units fitted (dose > 0).
        doses: Distinct doses fitted.
        bottom: Lower plateau (% viability).
        top: Upper plateau.
        ic50: Dose at half-way between bottom and top.
        ic50_low: Lower end of its 95 % interval.
        ic50_high: Upper end.
        hill: Hill slope (negative: viability falls with dose, as Prism writes it).
        ambiguous: Why the fit does not define the IC50 ("" when it does).
    """

    points: int
    doses: int
    bottom: float
    top: float
    ic50: float
    ic50_low: float
    ic50_high: float
    hill: float
    ambiguous: str


def fit_dose_response(
    doses: Sequence[float], viability: Sequence[float], level: float = 0.95
) -> DoseResponse | None:
    """Fit the logistic to (dose, viability %) pairs; None with fewer than 4 doses above 0."""
    from scipy import optimize, stats

    x = np.asarray(doses, dtype=float)
    y = np.asarray(viability, dtype=float)
    keep = (x > 0) & np.isfinite(y)
    x, y = x[keep], y[keep]
    distinct = np.unique(x)
    if distinct.size < 4 or x.size < 5:
        return None
    logs = np.log10(x)

    def model(log_dose: np.ndarray, bottom: float, top: float, log_ic50: float,
              hill: float) -> np.ndarray:  # fmt: skip
        curve: np.ndarray = bottom + (top - bottom) / (1.0 + 10.0 ** ((log_ic50 - log_dose) * hill))
        return curve

    means = [float(y[x == d].mean()) for d in distinct]
    start = [min(means), max(means), float(np.median(np.log10(distinct))),
             1.0 if means[-1] >= means[0] else -1.0]  # fmt: skip
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            found, covariance = optimize.curve_fit(model, logs, y, p0=start, maxfev=20000)
    except (RuntimeError, optimize.OptimizeWarning, ValueError):
        return DoseResponse(points=int(x.size), doses=int(distinct.size), bottom=math.nan,
                            top=math.nan, ic50=math.nan, ic50_low=math.nan, ic50_high=math.nan,
                            hill=math.nan, ambiguous="the fit did not converge")  # fmt: skip
    bottom, top, log_ic50, hill = (float(v) for v in found)
    if bottom > top:  # the same curve written with the plateaus the other way round
        bottom, top, hill = top, bottom, -hill
    se = float(np.sqrt(covariance[2, 2])) if np.isfinite(covariance[2, 2]) else math.nan
    df = x.size - 4
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se if df > 0 else math.nan
    low, high = 10.0 ** (log_ic50 - half), 10.0 ** (log_ic50 + half)
    ic50 = 10.0**log_ic50
    reasons = []
    if not distinct[0] <= ic50 <= distinct[-1]:
        reasons.append(
            f"IC50 {ic50:.3g} outside the doses tested ({distinct[0]:g}-{distinct[-1]:g})"
        )
    if not (math.isfinite(low) and math.isfinite(high)):
        reasons.append("its interval cannot be computed")
    elif high / low > MAX_IC50_SPAN:
        reasons.append(f"its interval spans {high / low:.0f}-fold")
    return DoseResponse(points=int(x.size), doses=int(distinct.size), bottom=bottom, top=top,
                        ic50=ic50, ic50_low=low, ic50_high=high, hill=hill,
                        ambiguous="; ".join(reasons))  # fmt: skip
