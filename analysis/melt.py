"""Melt curves: −dF/dT per reaction, peaks called by stated rules, and the product's identity.

Rules (each printed with the results):

* The fluorescence of each reaction is scaled to 0-1 over its ramp and smoothed with a
  Savitzky-Golay filter (quadratic, over `SMOOTH_C` °C, at least 3 readings) before −dF/dT is
  taken.
* A melt whose highest −dF/dT is below `MIN_PEAK_RATIO` times its median |−dF/dT| shows no
  melting transition (the dye's slow decline and noise): no peak is called in it.
* A peak is a local maximum of −dF/dT whose prominence (height above the surrounding minima) is at
  least `MIN_PROMINENCE` per °C of the scaled fluorescence, at least `MIN_PEAK_SNR` times the
  noise SD of the curve (`noise_sd`) and at least `MIN_RELATIVE` of the reaction's largest
  peak, and lies at least `EDGE_C` from either end of the ramp. Its Tm is the vertex of a
  parabola through the three points at the top.
* Where the amplicon is known, its predicted Tm (`primers.thermo.product_tm_c`) stands beside the
  observed main peak: within `TOLERANCE_C` it is "as predicted". Mixes shift melt Tm by a few °C
  (dye, Mg²⁺, DMSO), so the tolerance is wide; a second peak is the stronger evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

SMOOTH_C = 1.6  # Savitzky-Golay window in °C (7 points at the common 0.25 °C step)
SMOOTH_POINTS = 7  # fewest readings a ramp must have
MIN_PROMINENCE = 0.03  # per °C, of fluorescence scaled 0-1 over the ramp
MIN_RELATIVE = 0.10  # of the reaction's largest peak
EDGE_C = 1.5
# A melt whose highest -dF/dT is below this many times its median |-dF/dT| has no melting
# transition, only the dye's slow decline and its noise: no peak is called in it. In the real
# sets here every product's melt stands 4.4-fold or more above its median; six of the nine
# no-template, no-primer controls of volume_machine.rdml 1.4-2.4-fold (the noise rule below takes
# the other three, whose up to 22 "peaks" were all of one size).
MIN_PEAK_RATIO = 3.0
# A peak must stand this many noise SDs of its -dF/dT (`noise_sd`) above its surroundings: the
# noise "peaks" of those controls, and of one noisy relative.rdml reaction (23 peaks), stand
# 5.6-10, every product's and genomic DNA's main peak 25 or more. (One of those controls, a
# single "peak" of 17.9 SDs in a melt only 1.4-fold over its median, is the rule above's.)
MIN_PEAK_SNR = 15.0
TOLERANCE_C = 3.0
DIMER_BELOW_C = 5.0  # an extra peak this far below the main one looks like primer-dimer

RULES = (
    f"-dF/dT of fluorescence scaled 0-1, Savitzky-Golay smoothing over {SMOOTH_C:g} C; "
    f"none in a melt whose highest -dF/dT is below {MIN_PEAK_RATIO:g}x its median (no "
    f"transition); peaks with prominence >= {MIN_PROMINENCE:g}/C, >= {MIN_PEAK_SNR:g} noise SDs "
    f"and >= {MIN_RELATIVE:.0%} of the largest, "
    f">= {EDGE_C:g} C from the ramp's ends; Tm at the parabola's vertex; predicted amplicon Tm "
    f"(Primer3's long-sequence formula) within {TOLERANCE_C:g} C counts as 'as predicted'"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeltPeak:
    """One peak: its Tm and its prominence relative to the reaction's largest peak."""

    tm_c: float
    relative: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MeltCurves:
    """Per-reaction peaks (largest first) and the −dF/dT curves drawn in figures.

    Attributes:
        peaks: For each reaction, its peaks, the main (largest) first; empty: no peak.
        temperature: °C per point (reactions x points; NaN where none).
        derivative: −dF/dT of the scaled fluorescence at those points.
    """

    peaks: tuple[tuple[MeltPeak, ...], ...]
    temperature: Any
    derivative: Any


def _vertex(x: Any, y: Any, i: int) -> float:
    if i <= 0 or i >= len(x) - 1:
        return float(x[i])
    x0, x1, x2 = x[i - 1], x[i], x[i + 1]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denominator = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denominator
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denominator
    return float(-b / (2 * a)) if a < 0 else float(x1)


def noise_sd(derivative: Any) -> float:
    """The noise SD of a −dF/dT curve, from the median absolute step between its readings.

    Robust to the peaks themselves (their steep flanks are few of the steps).

    >>> round(noise_sd(np.array([0.0, 1.0, 0.0, 1.0, 0.0])), 3)
    1.048
    """
    steps = np.diff(np.asarray(derivative, dtype=float))
    if steps.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(steps - np.median(steps))) / np.sqrt(2))


def stands_out(prominence: Any, noise: float) -> Any:
    """Which peaks stand `MIN_PEAK_SNR` noise SDs above their surroundings (all, without noise).

    >>> stands_out(np.array([15.0, 14.9]), 1.0).tolist(), stands_out(np.array([0.1]), 0.0).tolist()
    ([True, False], [True])
    """
    prominence = np.asarray(prominence, dtype=float)
    if not noise > 0:
        return np.ones(prominence.shape, dtype=bool)
    return prominence >= MIN_PEAK_SNR * noise


def has_transition(derivative: Any) -> bool:
    """Whether a melt's −dF/dT rises to a melting transition (`MIN_PEAK_RATIO` × its median).

    >>> has_transition(np.array([1.0, -1.0, 1.0, 3.0])), has_transition(np.array([1.0, 1.0, 2.99]))
    (True, False)
    """
    d = np.asarray(derivative, dtype=float)
    return bool(d.size) and bool(d.max() >= MIN_PEAK_RATIO * float(np.median(np.abs(d))))


def _one(x: Any, y: Any) -> tuple[tuple[MeltPeak, ...], Any]:
    from scipy.signal import find_peaks, savgol_filter

    ok = np.isfinite(x) & np.isfinite(y)
    derivative = np.full(x.shape, np.nan)
    if ok.sum() < 2 * SMOOTH_POINTS:
        return (), derivative
    xs, ys = x[ok], y[ok]
    span = ys.max() - ys.min()
    if span <= 0:
        return (), derivative
    step = float(np.median(np.diff(xs)))
    points = round(SMOOTH_C / step) if step > 0 else 3
    points = max(3, points + (points + 1) % 2)  # odd, at least 3
    smooth = savgol_filter((ys - ys.min()) / span, points, 2)
    d = -np.gradient(smooth, xs)
    derivative[ok] = d
    if not has_transition(d):
        return (), derivative  # a slow decline and its noise
    found, props = find_peaks(d, prominence=MIN_PROMINENCE)
    inside = (xs[found] >= xs[0] + EDGE_C) & (xs[found] <= xs[-1] - EDGE_C)
    inside &= stands_out(props["prominences"], noise_sd(d))
    found, prominence = found[inside], props["prominences"][inside]
    if found.size == 0:
        return (), derivative
    largest = prominence.max()
    order = np.argsort(-prominence)
    peaks = tuple(
        MeltPeak(
            tm_c=round(_vertex(xs, d, int(found[k])), 2),
            relative=round(float(prominence[k] / largest), 3),
        )
        for k in order
        if prominence[k] >= MIN_RELATIVE * largest
    )
    return peaks, derivative


def melt_peaks(x: Any, y: Any) -> MeltCurves:
    """Call melt peaks in every reaction (rows of `x` temperatures and `y` fluorescence)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    derivative = np.full(y.shape, np.nan)
    peaks = []
    for row in range(y.shape[0]):
        found, derivative[row] = _one(x[row], y[row])
        peaks.append(found)
    return MeltCurves(peaks=tuple(peaks), temperature=x, derivative=derivative)


def peaks_text(peaks: Sequence[MeltPeak]) -> str:
    """The main peak, then the others with their relative size: "88.4; 86.1 (15 %)"."""
    if not peaks:
        return ""
    main, *more = peaks
    return "; ".join([f"{main.tm_c:.1f}", *(f"{p.tm_c:.1f} ({p.relative:.0%})" for p in more)])


def controls_text(peaks: Sequence[Sequence[MeltPeak]]) -> str:
    """What the controls' melts show, in one line: how many peak, where (each: curves.csv).

    >>> one = [MeltPeak(tm_c=76.2, relative=1.0), MeltPeak(tm_c=84.5, relative=0.4)]
    >>> controls_text([one, (), [MeltPeak(tm_c=75.8, relative=1.0)]])
    '2 of 3 control(s) with a peak: main peak 75.8-76.2 C (median 76.0); 1 with more peaks'
    >>> controls_text([(), ()]), controls_text([])
    ('no peak', '')
    """
    if not peaks:
        return ""
    mains = [p[0].tm_c for p in peaks if p]
    if not mains:
        return "no peak"
    low, high = min(mains), max(mains)
    where = (f"{low:.1f} C" if round(low, 1) == round(high, 1)
             else f"{low:.1f}-{high:.1f} C (median {float(np.median(mains)):.1f})")  # fmt: skip
    more = sum(len(p) > 1 for p in peaks)
    return (f"{len(mains)} of {len(peaks)} control(s) with a peak: main peak {where}"
            + (f"; {more} with more peaks" if more else ""))  # fmt: skip


# Chemistries whose signal does not follow the amplicon's melting (RDML's dyeChemistry terms):
# a hydrolysis probe's reporter is cleaved off and stays lit whatever the temperature, so its
# "melt curve" is drift and noise, and any peak in it is read from noise.
NOT_MELTED = frozenset({"hydrolysis probe"})
# Chemistries whose melt is the probe's, not the amplicon's: a hybridization (FRET) probe
# melts off its target at the probe's own Tm (used to genotype), so it is not compared with the
# amplicon's predicted Tm.
PROBE_MELTS = frozenset({"hybridization probe"})


def not_melted(chemistry: str) -> str:
    """What the melt verdict of a target read by such a chemistry says.

    >>> not_melted("hydrolysis probe")
    "not analysed: a hydrolysis probe's signal does not follow the amplicon's melting"
    """
    return f"not analysed: a {chemistry}'s signal does not follow the amplicon's melting"


def probe_melt(main_tms: Sequence[float], chemistry: str) -> str:
    """The melt of a hybridization probe: the probe's own Tm, not compared with the amplicon's.

    >>> probe_melt([63.2, 62.9, 63.0], "hybridization probe").split(", ")[0]
    "main peak 63.0 C: the hybridization probe's melting"
    """
    if not main_tms:
        return "no melt peak"
    return (f"main peak {float(np.median(main_tms)):.1f} C: the {chemistry}'s melting, not the "
            "amplicon's (not compared with a predicted Tm)")  # fmt: skip


def without(found: MeltCurves, rows: Any) -> MeltCurves:
    """The melt curves with `rows` (a boolean mask) left out: no peaks, nothing drawn."""
    rows = np.asarray(rows, dtype=bool)
    if not rows.any():
        return found
    derivative = np.array(found.derivative, dtype=float, copy=True)
    derivative[rows] = np.nan
    peaks = tuple(() if skip else p for p, skip in zip(found.peaks, rows, strict=True))
    return replace(found, peaks=peaks, derivative=derivative)


def verdict(
    main_tms: Sequence[float], extra_tms: Sequence[float], predicted_c: float | None
) -> str:
    """One sentence per target: one product as predicted, or what the extra peaks may be.

    Args:
        main_tms: Main-peak Tm of each reaction of the target that has a peak (NTCs apart).
        extra_tms: Tm of every extra peak in those reactions.
        predicted_c: The amplicon's predicted Tm, when known.
    """
    if not main_tms:
        return "no melt peak"
    observed = float(np.median(main_tms))
    said = f"main peak {observed:.1f} C"
    as_predicted = predicted_c is not None and abs(observed - predicted_c) <= TOLERANCE_C
    if predicted_c is not None:
        off = observed - predicted_c
        said += f", predicted {predicted_c:.1f} C" + ("" if as_predicted else f" ({off:+.1f} C)")
    if not extra_tms:
        if predicted_c is None:
            return f"one product ({said})"
        return f"one product, {'as predicted' if as_predicted else 'not where predicted'} ({said})"
    extras = sorted({round(t, 1) for t in extra_tms})
    dimers = [t for t in extras if t <= observed - DIMER_BELOW_C]
    near = [t for t in extras if t > observed - DIMER_BELOW_C]
    parts = []
    if dimers:
        parts.append(f"extra peak at {_listed(dimers)} C: primer-dimer or off-target")
    if near:
        parts.append(
            f"extra peak at {_listed(near)} C: a second product or a second melting domain of the "
            "amplicon"
        )
    return f"{'; '.join(parts)} ({said})"


SHOWN_PEAKS = 6  # more extra peaks than this are counted, not listed (a pool of many products)


def _listed(tms: list[float]) -> str:
    """Peak temperatures, the first few of a long list and how many in all.

    >>> _listed([61.4, 75.0]), _listed([60.0 + i for i in range(9)])
    ('61.4, 75.0', '60.0, 61.0, 62.0, 63.0, 64.0, 65.0, … (9 in all)')
    """
    shown = ", ".join(f"{t:.1f}" for t in tms[:SHOWN_PEAKS])
    return shown if len(tms) <= SHOWN_PEAKS else f"{shown}, … ({len(tms)} in all)"
