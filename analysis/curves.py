"""Raw amplification curves: baseline, Cq, efficiency and starting quantity from the data itself.

The method is LinRegPCR's window of linearity (Ruijter et al. 2009, Nucleic Acids Res 37:e45;
Ruijter et al. 2021), with each rule stated here and in every output:

1. **Baseline** per reaction, constant: the value that makes the log of the baseline-corrected
   fluorescence a straight line over the exponential phase (the `EXP_POINTS` cycles before the
   second-derivative maximum, SDM): the slope of its lower half equals the slope of its upper half,
   found by bisection between far below the data and just below the lowest point of that phase.
2. **Amplification call**: a reaction amplifies when its corrected plateau (the median of its last
   three readings) is above
   `MIN_RISE_NOISE` times the noise of its early cycles and above `MIN_RISE_FRACTION` of its
   target's median rise, and its curve crosses the target's threshold before its SDM, and it
   shows an exponential phase: LinRegPCR's log phase (the unbroken rise ending at its stop cycle,
   the 3-cycle mean second-derivative maximum) holds at least `MIN_LOG_PHASE` readings and rises
   at least `MIN_REACTION_EFFICIENCY`-fold a cycle over them. A curve that crosses without one
   is **unreliable**: its Cq is kept, it is not called amplified and gives no efficiency.
3. **Window of linearity** per target: a band of `WINDOW_DECADES` of log10 fluorescence, its top
   at most `WINDOW_SEARCH` below the median log fluorescence at the SDM (not lower: a drifting
   baseline would pass for a straight line), placed where the efficiencies of the target's
   reactions vary least; a reaction's efficiency is 10^slope of log10 fluorescence on cycle over its
   points in the band (at least `MIN_POINTS`).
4. **Target efficiency**: the mean of its reactions' efficiencies, leaving out those more than
   `EFFICIENCY_TOLERANCE` from the median (LinRegPCR's 5 % rule).
5. **Cq** where the corrected curve crosses the threshold Nq (the middle of the band), by
   interpolation in log space; **N0** = Nq / E^Cq with the target's mean efficiency E. Where the
   signal lags the amplicon (a hydrolysis probe or a labelled reverse primer is read a cycle
   after its product is made; `signal_lag`), N0 is taken that many cycles before the crossing,
   as LinRegPCR corrects it; the Cq stays the crossing (as the instrument reads it).

Everything is computed on whole arrays (reactions x cycles): thousands of curves take milliseconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The reason given for a reaction the file holds no readings for (not a finding on the well).
NO_READINGS = "no raw readings in the file"
UNRELIABLE = "unreliable"  # how the reason of a reaction with a Cq but no exponential phase starts
EXP_POINTS = 8  # cycles before the SDM that make up the exponential phase for the baseline
MIN_RISE_NOISE = 20.0  # corrected plateau at least this many noise SDs above the baseline
MIN_RISE_FRACTION = 0.05  # and at least this fraction of the target's median rise
WINDOW_DECADES = 1.2  # width of the window of linearity, log10 units
WINDOW_STEP = 0.05  # the window's top is searched in steps of this many log10 units
WINDOW_SEARCH = 0.5  # down to this far below the median log fluorescence at the SDM
MIN_POINTS = 3  # fewest points of a reaction inside the window for an efficiency
# A reaction's own efficiency below this is no amplification. RDML-Tools' LinRegPCR results for
# the hydrolysis-probe and three-instrument runs (shared/curves/untergasser) call every reaction
# of individual efficiency >= 1.40 amplified and every one <= 1.39 not.
MIN_REACTION_EFFICIENCY = 1.4
# LinRegPCR's log phase of a reaction: the unbroken rise of its fluorescence that ends at the
# second-derivative maximum (LinRegPCR's stop cycle), at most LOG_PHASE_SPAN cycles long; fewer
# than MIN_LOG_PHASE readings in it is no exponential phase (RDML-Tools notes "only N values in
# log phase" below 5, and calls none of those reactions amplified in its results for
# shared/curves/untergasser). Its efficiency is taken over its last EFFICIENCY_POINTS readings.
MIN_LOG_PHASE = 5
LOG_PHASE_SPAN = 11
EFFICIENCY_POINTS = 9
RISEN = 0.9  # the rise ends where a curve first reaches this fraction of its range
EFFICIENCY_TOLERANCE = 0.05  # reactions further than this from the median are left out of the mean
SDM_FLOOR = 0.05  # the SDM is looked for where the curve has risen this fraction of its range
BISECTION_STEPS = 60

# Cycles by which a chemistry's signal lags the amplicon it reports (LinRegPCR's Cq correction,
# rdmlpython 1.7.2 `Run.linRegPCR`): a hydrolysis probe is cleaved, and a labelled reverse primer
# extended, in the cycle after the one that made the strand it reports. A DNA-zyme probe's lag
# depends on the efficiency (`signal_lag`). DNA-binding dyes and hybridization probes: none.
SIGNAL_LAG_CYCLES = {"hydrolysis probe": 1.0, "labelled reverse primer": 1.0}


def signal_lag(chemistry: str, efficiency: float) -> float:
    """Cycles the chemistry's signal lags its amplicon, at the target's efficiency.

    >>> signal_lag("hydrolysis probe", 1.9), signal_lag("saturating DNA binding dye", 1.9)
    (1.0, 0.0)
    >>> round(signal_lag("DNA-zyme probe", 2.0), 6)  # 1 - log2(1 / (1 - 1/2))
    0.0
    """
    if chemistry == "DNA-zyme probe" and efficiency > 1.0:
        return float(1.0 - np.log(1.0 / (1.0 - 1.0 / efficiency)) / np.log(efficiency))
    return SIGNAL_LAG_CYCLES.get(chemistry, 0.0)


METHOD = (
    "LinRegPCR-style window of linearity: constant baseline per reaction (equal slopes of the "
    f"lower and upper half of the {EXP_POINTS} cycles before the second-derivative maximum), a "
    f"window of {WINDOW_DECADES:g} log10 units per target placed where efficiencies vary least, "
    f"reaction efficiency from at least {MIN_POINTS} points in it, target efficiency the mean of "
    f"reactions within {EFFICIENCY_TOLERANCE:.0%} of the median, Cq at the window's middle, "
    "N0 = Nq / E^Cq (a cycle earlier where the signal lags the amplicon: hydrolysis probes, "
    "labelled reverse primers, as LinRegPCR corrects it); a curve whose log phase holds fewer "
    f"than {MIN_LOG_PHASE} readings or rises less than {MIN_REACTION_EFFICIENCY:g}-fold a cycle "
    "is unreliable (Cq kept, flagged, not called amplified)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A target's window of linearity and what it gives.

    Attributes:
        target: The target.
        lower_log10: Bottom of the window (log10 corrected fluorescence).
        upper_log10: Top of the window.
        threshold_log10: log10 Nq, where Cq is read.
        efficiency: Mean amplification factor per cycle (2 = doubling); NaN when none could be had.
        efficiency_sd: SD of the reactions' efficiencies used for the mean.
        reactions: Amplified reactions of the target.
        used: Reactions whose efficiency entered the mean.
    """

    target: str
    lower_log10: float
    upper_log10: float
    threshold_log10: float
    efficiency: float
    efficiency_sd: float
    reactions: int
    used: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveFit:
    """Per-reaction results, arrays aligned with the input rows.

    Attributes:
        baseline: Constant baseline subtracted.
        corrected: Baseline-corrected fluorescence (reactions x cycles).
        sdm_cycle: Cycle of the second-derivative maximum.
        amplified: Whether the reaction amplified.
        unreliable: It crosses the threshold (it has a Cq) but shows no exponential phase to
            measure (see MIN_LOG_PHASE); not amplified, its reason starts with UNRELIABLE.
        plateau: Its curve bends over before its last reading (LinRegPCR's stop cycle lies
            before the end); without one the log phase may not be over, and its efficiency is
            less certain.
        reason: Why a reaction is not called amplified ("" when it is).
        efficiency: The reaction's own efficiency (NaN: too few points in the window).
        points: Its points inside the window.
        cq: Cycle where the corrected curve crosses the target's threshold (NaN: none).
        n0: Starting quantity in fluorescence units, with the target's mean efficiency (and its
            chemistry's signal lag, `signal_lag`).
        windows: Each target's window, by target.
    """

    baseline: Any
    corrected: Any
    sdm_cycle: Any
    amplified: Any
    unreliable: Any
    plateau: Any
    reason: tuple[str, ...]
    efficiency: Any
    points: Any
    cq: Any
    n0: Any
    windows: dict[str, Window]


def _slopes(x: Any, y: Any) -> Any:
    """Least-squares slope of y on x per row (rows of equal length, no NaN)."""
    xm = x - x.mean(axis=1, keepdims=True)
    ym = y - y.mean(axis=1, keepdims=True)
    return (xm * ym).sum(axis=1) / (xm * xm).sum(axis=1)


def _masked_slopes(x: Any, y: Any, mask: Any) -> tuple[Any, Any]:
    """Slope of y on x per row over the points where `mask` holds, and how many points."""
    n = mask.sum(axis=1)
    w = mask.astype(float)
    safe_y = np.where(mask, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * x).sum(axis=1) / n
        my = (w * safe_y).sum(axis=1) / n
        sxy = (w * (x - mx[:, None]) * (safe_y - my[:, None])).sum(axis=1)
        sxx = (w * (x - mx[:, None]) ** 2).sum(axis=1)
        slope = np.where(n >= 2, sxy / sxx, np.nan)
    return slope, n


def second_derivative_maximum(y: Any) -> Any:
    """Index of the second-derivative maximum per row (central differences; NaN rows give 0).

    Taken on the curve smoothed over three cycles (1-2-1) and held at its running maximum, and
    only where the curve has risen SDM_FLOOR of the way from its lowest to its highest reading:
    a noise spike in the baseline of a weak curve is not its SDM.
    """
    filled = np.where(np.isfinite(y), y, np.nan)
    padded = np.pad(filled, ((0, 0), (1, 1)), mode="edge")
    smooth = (padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]) / 4
    smooth = np.where(np.isfinite(smooth), smooth, filled)
    ahead = np.maximum.accumulate(np.where(np.isfinite(smooth), smooth, -np.inf), axis=1)
    second = ahead[:, 2:] - 2 * ahead[:, 1:-1] + ahead[:, :-2]
    with np.errstate(invalid="ignore"):
        low = np.nanmin(filled, axis=1, keepdims=True)
        high = np.nanmax(filled, axis=1, keepdims=True)
        risen = ahead[:, 1:-1] >= low + SDM_FLOOR * (high - low)
    second = np.where(np.isfinite(second) & risen, second, -np.inf)
    if second.shape[1] == 0:  # fewer than three readings: no second derivative to take
        return np.ones(y.shape[0], dtype=int)
    return np.argmax(second, axis=1) + 1


def baselines(y: Any, sdm: Any) -> Any:
    """Constant baseline per row by the equal-slopes rule (see the module's rule 1)."""
    rows = np.arange(y.shape[0])
    start = np.clip(sdm - EXP_POINTS, 0, None)
    index = start[:, None] + np.arange(EXP_POINTS)[None, :]
    index = np.clip(index, 0, y.shape[1] - 1)
    phase = y[rows[:, None], index]
    cycles = index.astype(float)
    half = EXP_POINTS // 2
    lowest = np.nanmin(phase, axis=1)
    rise = np.nanmax(y, axis=1) - np.nanmin(y, axis=1)
    rise = np.where(rise > 0, rise, 1.0)
    high = lowest - 1e-6 * rise
    low = np.nanmin(y, axis=1) - 2.0 * rise
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        logs = np.log10(np.clip(phase - middle[:, None], 1e-300, None))
        gap = _slopes(cycles[:, :half], logs[:, :half]) - _slopes(cycles[:, half:], logs[:, half:])
        # Lower half steeper: the baseline is too high.
        too_high = gap > 0
        high = np.where(too_high, middle, high)
        low = np.where(too_high, low, middle)
    return (low + high) / 2


@dataclass(frozen=True, slots=True)
class LogPhase:
    """Each reaction's log phase (arrays aligned with the reactions).

    Attributes:
        stop: Index of its last reading (LinRegPCR's stop cycle).
        points: Readings in it.
        efficiency: 10^slope of log10 corrected fluorescence over its last EFFICIENCY_POINTS
            readings (NaN: fewer than three above the baseline).
    """

    stop: Any
    points: Any
    efficiency: Any


def stop_cycles(y: Any) -> Any:
    """LinRegPCR's stop cycle per row: the highest 3-cycle mean of the second derivative.

    Looked for before the first-derivative maximum (two cycles after it when the curve still
    rises there); the last reading when there is no positive one (no plateau reached).
    """
    n, cols = y.shape
    last = np.full(n, cols - 1)
    if cols < 5:
        return last
    first = np.diff(y, axis=1)
    finite = np.isfinite(first).any(axis=1)
    # The steepest step of the rise, not one of a plateau that rings: before the curve first
    # comes within RISEN of its highest reading.
    with np.errstate(invalid="ignore"):
        low = np.nanmin(np.where(np.isfinite(y), y, np.nan), axis=1)
        high = np.nanmax(np.where(np.isfinite(y), y, np.nan), axis=1)
        risen = y[:, 1:] >= (low + RISEN * (high - low))[:, None]
    first_risen = np.where(risen.any(axis=1), np.argmax(risen, axis=1), cols - 2)
    steps = np.where(
        np.isfinite(first) & (np.arange(cols - 1)[None, :] <= first_risen[:, None]), first, -np.inf
    )
    fdm = np.argmax(steps, axis=1) + 1
    rows = np.arange(n)
    inside = fdm <= cols - 3
    k = np.clip(fdm, 1, cols - 2)
    with np.errstate(invalid="ignore"):
        rising = inside & (y[rows, k + 1] > y[rows, k]) & (y[rows, k] > y[rows, k - 1])
    limit = np.where(rising, fdm + 2, np.where(inside, fdm, cols))
    second = np.full(y.shape, np.nan)
    second[:, 1:-1] = y[:, 2:] - 2 * y[:, 1:-1] + y[:, :-2]
    mean = np.full(y.shape, np.nan)
    mean[:, 1:-1] = (second[:, :-2] + second[:, 1:-1] + second[:, 2:]) / 3
    cols_index = np.arange(cols)[None, :]
    allowed = (cols_index >= 2) & (cols_index <= limit[:, None] - 2)
    with np.errstate(invalid="ignore"):
        candidate = np.where(allowed & np.isfinite(mean) & (mean > 0), mean, -np.inf)
    stop = np.argmax(candidate, axis=1)
    found = np.isfinite(candidate[rows, stop]) & finite
    stop = np.where(found & (stop + 3 < cols), stop, cols - 1)
    return stop


def _interpolated(y: Any) -> Any:
    """Rows with their inner NaN gaps filled by straight lines; NaN at the ends stays."""
    filled = np.array(y, dtype=float, copy=True)
    gaps = np.flatnonzero(np.isnan(filled).any(axis=1))
    columns = np.arange(filled.shape[1], dtype=float)
    for row in gaps:
        known = np.isfinite(filled[row])
        if known.sum() < 2:
            continue
        first, last = np.flatnonzero(known)[[0, -1]]
        inner = ~known & (columns > first) & (columns < last)
        filled[row, inner] = np.interp(columns[inner], columns[known], filled[row, known])
    return filled


def log_phases(y: Any, corrected: Any) -> LogPhase:
    """Each reaction's log phase, as LinRegPCR finds it (see MIN_LOG_PHASE)."""
    n, cols = y.shape
    rows = np.arange(n)
    stop = stop_cycles(_interpolated(y))
    cols_index = np.arange(cols)[None, :]
    filled = _interpolated(corrected)
    with np.errstate(invalid="ignore"):
        # A reading below the one after it continues the rise; a fall breaks it. Readings
        # missing inside the curve are read as the line between their neighbours (as RDML-Tools
        # fills them); missing at its ends, they break it.
        falls = np.zeros(y.shape, dtype=bool)
        falls[:, 1:] = ~(filled[:, :-1] <= filled[:, 1:])
        falls[:, 0] = True
    breaks = falls & (cols_index <= (stop - 1)[:, None])
    # The rise runs down from the stop cycle to the reading after which nothing rose.
    start = np.maximum(_last_true(breaks), stop - LOG_PHASE_SPAN)
    start = np.clip(np.minimum(start, stop - 1), 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log10(np.where(corrected > 0, corrected, np.nan))
        first_step = logs[rows, np.clip(start + 1, 0, cols - 1)] - logs[rows, start]
        last_step = logs[rows, stop] - logs[rows, np.clip(stop - 1, 0, None)]
        # The first reading leaves the baseline with a jump, or lies at or below it: not in
        # the log phase (LinRegPCR's start-cycle correction).
        jump = ~np.isfinite(logs[rows, start]) | (first_step > 1.1 * last_step)
    start = np.where(jump & (start < stop), start + 1, start)
    points = stop - start + 1
    lower = np.maximum(start, stop - EFFICIENCY_POINTS + 1)
    inside = (cols_index >= lower[:, None]) & (cols_index <= stop[:, None]) & np.isfinite(logs)
    x = np.broadcast_to(cols_index.astype(float), y.shape)
    slope, count = _masked_slopes(x, logs, inside)
    with np.errstate(over="ignore", invalid="ignore"):
        efficiency = np.where(count >= 3, 10.0**slope, np.nan)
    return LogPhase(stop=stop, points=points, efficiency=efficiency)


def _noise(y: Any, sdm: Any) -> Any:
    """SD of the cycle-to-cycle change over the early cycles (before SDM - 2 x EXP_POINTS)."""
    steps = np.diff(y, axis=1)
    cols = np.arange(steps.shape[1])[None, :]
    early = (cols >= 1) & (cols < np.maximum(sdm - 2 * EXP_POINTS, 4)[:, None])
    values = np.where(early & np.isfinite(steps), steps, np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanstd(values, axis=1) / np.sqrt(2)


def _plateau(corrected: Any) -> Any:
    """Corrected fluorescence at the end of the run: the median of the last 3 readings."""
    filled = np.isfinite(corrected)
    last = _last_true(filled)
    rows = np.arange(corrected.shape[0])
    picks = np.stack([corrected[rows, np.clip(last - k, 0, None)] for k in range(3)], axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(last >= 2, np.nanmedian(picks, axis=1), np.nan)


def _crossing(cycles: Any, logs: Any, threshold: Any, last: Any) -> Any:
    """Fractional cycle of the last upward crossing of `threshold` at or before index `last`."""
    below = logs[:, :-1] < threshold[:, None]
    above = logs[:, 1:] >= threshold[:, None]
    cols = np.arange(logs.shape[1] - 1)[None, :]
    ok = below & above & (cols <= last[:, None])
    any_ok = ok.any(axis=1)
    k = np.where(any_ok, ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1), 0)
    rows = np.arange(logs.shape[0])
    l0, l1 = logs[rows, k], logs[rows, k + 1]
    c0, c1 = cycles[rows, k], cycles[rows, k + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        cq = c0 + (threshold - l0) / (l1 - l0) * (c1 - c0)
    return np.where(any_ok, cq, np.nan)


def _inside(logs: Any, phase: Any, upper: float) -> Any:
    """Points in the band [upper - width, upper] on the final rise before the SDM only.

    Early cycles can sit inside the band too (a baseline drifting down, noise): only the
    unbroken run of points that ends the rise counts, after the last point below the band.
    """
    lower = upper - WINDOW_DECADES
    cols = np.arange(logs.shape[1])[None, :]
    low = phase.any(axis=1)[:, None] & ~(logs >= lower) & (cols <= _last_true(phase)[:, None])
    last_low = np.where(low.any(axis=1), logs.shape[1] - 1 - np.argmax(low[:, ::-1], axis=1), -1)
    return phase & (cols > last_low[:, None]) & (logs <= upper) & (logs >= lower)


def _last_true(mask: Any) -> Any:
    return np.where(mask.any(axis=1), mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1), -1)


def _window(cycles: Any, logs: Any, sdm: Any, members: Any) -> tuple[float, Any, Any]:
    """The top of the window for one target's reactions, and their efficiencies and points."""
    rows = np.arange(logs.shape[0])
    top = float(np.nanmedian(logs[rows, sdm][members]))
    cols = np.arange(logs.shape[1])[None, :]
    # The rise starts after the lowest reading before the SDM (earlier: a decaying background).
    before = np.where((cols <= sdm[:, None]) & np.isfinite(logs), logs, np.inf)
    start = np.argmin(
        np.where(cols <= sdm[:, None], np.nan_to_num(before, nan=np.inf), np.inf), axis=1
    )
    phase = (cols >= start[:, None]) & (cols <= sdm[:, None]) & np.isfinite(logs)
    tried: list[tuple[float, float, Any, Any]] = []
    for upper in np.arange(top, top - WINDOW_SEARCH - 1e-9, -WINDOW_STEP):
        inside = _inside(logs, phase, upper)
        slopes, n = _masked_slopes(cycles, logs, inside)
        efficiency = np.where(n >= MIN_POINTS, 10.0**slopes, np.nan)
        good = np.isfinite(efficiency[members])
        if good.sum() < max(1, int(0.8 * members.sum())):
            continue
        tried.append((float(upper), float(np.nanstd(efficiency[members])), efficiency, n))
    if tried:
        best = min(tried, key=lambda t: t[1])  # the first (highest) of equal spreads
        return best[0], best[2], best[3]
    inside = _inside(logs, phase, top)
    slopes, n = _masked_slopes(cycles, logs, inside)
    return top, np.where(n >= MIN_POINTS, 10.0**slopes, np.nan), n


def fit_curves(
    x: Any, y: Any, targets: Sequence[str], use: Any = None,
    chemistries: dict[str, str] | None = None,
) -> CurveFit:  # fmt: skip
    """Analyse raw amplification curves (rows: reactions; NaN where a reaction has no reading).

    Args:
        x: Cycle numbers, same shape as `y`.
        y: Raw fluorescence.
        targets: The target of each row (the window and mean efficiency are per target).
        use: Rows that place the window and give the mean efficiency (default all); the others
            (NTCs, no-RT controls) are read with their target's window and efficiency.
        chemistries: Target -> its detection chemistry, where known (RDML's terms): a
            chemistry whose signal lags the amplicon takes N0 that many cycles earlier.

    Returns:
        Per-reaction baseline, Cq, efficiency, N0 and amplification call, and each target's
        window.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    use = np.ones(n, dtype=bool) if use is None else np.asarray(use, dtype=bool)
    cycles = np.where(np.isfinite(x), x, np.arange(1, y.shape[1] + 1)[None, :])
    readings = np.isfinite(y).sum(axis=1)
    has_data = readings >= 2 * EXP_POINTS
    safe = np.where(np.isfinite(y), y, np.nan)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # Reactions the file gives no readings for are all-NaN rows: said below, not warned.
        warnings.simplefilter("ignore", RuntimeWarning)
        sdm = second_derivative_maximum(safe)
        sdm = np.clip(sdm, EXP_POINTS, y.shape[1] - 2)
        base = np.full(n, np.nan)
        if has_data.any():
            base[has_data] = baselines(safe[has_data], sdm[has_data])
        corrected = safe - base[:, None]
        logs = np.log10(np.where(corrected > 0, corrected, np.nan))
        noise = _noise(safe, sdm)
        rise = _plateau(corrected)
        phase = log_phases(safe, corrected)
    reasons = ["" if ok else NO_READINGS if count == 0 else "too few readings"
               for ok, count in zip(has_data, readings, strict=True)]  # fmt: skip
    targets_array = np.asarray(list(targets), dtype=object)
    efficiency = np.full(n, np.nan)
    points = np.zeros(n, dtype=int)
    cq = np.full(n, np.nan)
    n0 = np.full(n, np.nan)
    amplified = np.zeros(n, dtype=bool)
    unreliable = np.zeros(n, dtype=bool)
    windows: dict[str, Window] = {}
    for target in dict.fromkeys(targets_array.tolist()):
        rows = np.flatnonzero((targets_array == target) & has_data)
        if rows.size == 0:
            continue
        with np.errstate(invalid="ignore"):
            strong = rise[rows] > MIN_RISE_NOISE * noise[rows]
        typical = strong & use[rows]
        median_rise = float(np.median(rise[rows][typical])) if typical.any() else np.inf
        rising = strong & (rise[rows] >= MIN_RISE_FRACTION * median_rise)
        for r, ok, loud in zip(rows, rising, strong, strict=True):
            if not ok:
                reasons[r] = (
                    "no rise above the noise"
                    if not loud
                    else f"rise below {MIN_RISE_FRACTION:.0%} of the target's median"
                )
        members = rows[rising]
        if not use[members].any():
            windows[str(target)] = Window(
                target=str(target),
                lower_log10=np.nan,
                upper_log10=np.nan,
                threshold_log10=np.nan,
                efficiency=np.nan,
                efficiency_sd=np.nan,
                reactions=0,
                used=0,
            )
            continue
        upper, own, count = _window(cycles[members], logs[members], sdm[members], use[members])
        efficiency[members] = own
        points[members] = count
        threshold = upper - WINDOW_DECADES / 2
        found = _crossing(
            cycles[members], logs[members], np.full(members.size, threshold), sdm[members] + 1
        )
        crossed = np.isfinite(found)
        # No exponential phase: a reaction whose own efficiency stays below the limit rises by
        # drift or probe cleavage alone, whatever it crosses (LinRegPCR's call).
        # Judged per target: where the target's reactions amplify at a normal efficiency, one
        # low value is more likely a drifting baseline than no amplification (QuantStudio's
        # weak IPC curves), and is left to the log-phase rule below.
        typical_efficiency = float(np.nanmedian(own)) if np.isfinite(own).any() else np.nan
        flat = (
            np.isfinite(own)
            & (own < MIN_REACTION_EFFICIENCY)
            & (typical_efficiency < MIN_REACTION_EFFICIENCY)
        )
        # Too few points in the window to fit a slope: nothing shows an exponential phase
        # (LinRegPCR's "enough log-phase points"), whatever the curve crosses.
        unfitted = crossed & ~np.isfinite(own)
        crossed &= ~flat & ~unfitted
        # LinRegPCR's log phase, too short or rising too slowly: the curve crosses, but no
        # exponential phase can be measured. Unreliable, kept apart from no amplification: its
        # Cq is kept (the instrument gives one too), it is not called amplified and gives no
        # efficiency.
        in_phase = phase.points[members]
        phase_efficiency = phase.efficiency[members]
        short = crossed & (in_phase < MIN_LOG_PHASE)
        with np.errstate(invalid="ignore"):
            slow = crossed & ~short & ~(phase_efficiency >= MIN_REACTION_EFFICIENCY)
        sure = crossed & ~short & ~slow
        # The efficiency comes from reactions that amplified only.
        candidates = np.isfinite(own) & use[members] & sure & (own >= MIN_REACTION_EFFICIENCY)
        median = float(np.median(own[candidates])) if candidates.any() else np.nan
        keep = candidates & (np.abs(own - median) <= EFFICIENCY_TOLERANCE * median)
        mean = float(own[keep].mean()) if keep.any() else np.nan
        sd = float(own[keep].std(ddof=1)) if keep.sum() > 1 else np.nan
        cq[members] = np.where(crossed, found, np.nan)
        lag = signal_lag((chemistries or {}).get(str(target), ""), mean)
        n0[members] = 10.0**threshold / mean ** (cq[members] - lag)
        amplified[members] = sure
        unreliable[members] = crossed & ~sure
        for r, e in zip(members[flat], own[flat], strict=True):
            reasons[r] = (
                f"reaction efficiency {e:.2f} below {MIN_REACTION_EFFICIENCY:g}: no exponential "
                "phase"
            )
        for r in members[unfitted]:
            reasons[r] = (f"fewer than {MIN_POINTS} readings in the log-linear window: no "
                          "exponential phase to measure")  # fmt: skip
        for r, k in zip(members[short], in_phase[short], strict=True):
            reasons[r] = (f"{UNRELIABLE}: only {k} readings in its log phase (fewer than "
                          f"{MIN_LOG_PHASE}), no exponential phase to measure")  # fmt: skip
        for r, e in zip(members[slow], phase_efficiency[slow], strict=True):
            rises = (
                f"it rises {e:.2f}-fold a cycle over its log phase (below "
                f"{MIN_REACTION_EFFICIENCY:g})"
                if np.isfinite(e)
                else "fewer than 3 of its log phase's readings lie above its baseline"
            )
            reasons[r] = f"{UNRELIABLE}: {rises}, no exponential phase"
        for r in members[~crossed & ~flat & ~unfitted]:
            reasons[r] = "does not cross the threshold before its SDM"
        windows[str(target)] = Window(
            target=str(target),
            lower_log10=upper - WINDOW_DECADES,
            upper_log10=upper,
            threshold_log10=threshold,
            efficiency=mean,
            efficiency_sd=sd,
            reactions=int(use[members].sum()),
            used=int(keep.sum()),
        )
    sdm_cycle = cycles[np.arange(n), sdm]
    return CurveFit(
        baseline=base,
        corrected=corrected,
        sdm_cycle=sdm_cycle,
        amplified=amplified,
        unreliable=unreliable,
        plateau=phase.stop < y.shape[1] - 1,
        reason=tuple(reasons),
        efficiency=efficiency,
        points=points,
        cq=cq,
        n0=n0,
        windows=windows,
    )
