"""Statistics for relative expression and viability: one implementation, shared by both.

Tests run on ΔCt (or on viability %), never on fold changes. Student's t-test is the default, as in
the seed paper; Welch's on request; one-way ANOVA and Tukey HSD for more than two groups (SciPy).
Significance stars follow GraphPad Prism's convention.

>>> stars(0.00004), stars(0.03), stars(0.2)
('****', '*', 'ns')
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assay._compat import StrEnum


class Correction(StrEnum):
    """Correction of p-values across several tests."""

    NONE = "none"
    HOLM = "holm"
    BH = "bh"


# The columns of stats.csv: `TestResult.as_row`, and the p-value adjusted across genes.
STATS_COLUMNS = (
    "panel", "gene", "comparison", "test", "statistic", "df", "p_value", "p_adjusted",
    "estimate", "ci_low", "ci_high", "note",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """One statistical test.

    Attributes:
        test: Its name as shown in reports ("Student's t-test", "Welch's t-test", …).
        statistic: t or F.
        df: Degrees of freedom (the error df for ANOVA).
        p_value: Two-sided p-value.
        estimate: The difference tested (second group minus first), if any.
        ci_low: Lower bound of the 95 % confidence interval of the estimate.
        ci_high: Upper bound.
        note: Why a test could not be run, when it could not.
    """

    __test__ = False  # not a pytest test class, despite its name

    test: str
    statistic: float
    df: float
    p_value: float
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    note: str = ""

    def as_row(self, panel: str, gene: str, comparison: str) -> dict[str, object]:
        """The result as one row of stats.csv."""
        return {
            "panel": panel, "gene": gene, "comparison": comparison, "test": self.test,
            "statistic": self.statistic, "df": self.df, "p_value": self.p_value,
            "estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "note": self.note,
        }  # fmt: skip


def stars(p_value: float) -> str:
    """Return GraphPad Prism's significance summary: ns, *, **, *** or ****.

    Prism: p < 0.0001 ****, < 0.001 ***, < 0.01 **, < 0.05 *, otherwise ns.
    """
    if not math.isfinite(p_value):
        return ""
    for limit, mark in ((0.0001, "****"), (0.001, "***"), (0.01, "**"), (0.05, "*")):
        if p_value < limit:
            return mark
    return "ns"


def _not_run(test: str, note: str) -> TestResult:
    return TestResult(test=test, statistic=math.nan, df=math.nan, p_value=math.nan, note=note)


def two_groups(
    control: Sequence[float], other: Sequence[float], *, welch: bool = False, level: float = 0.95
) -> TestResult:
    """Compare two groups: Student's t-test (pooled variance) or Welch's, two-sided.

    The estimate is mean(other) − mean(control), with its confidence interval.
    """
    from scipy import stats

    name = "Welch's t-test" if welch else "Student's t-test"
    a, b = np.asarray(control, dtype=float), np.asarray(other, dtype=float)
    if a.size < 2 or b.size < 2:
        return _not_run(
            name, f"not tested: needs at least 2 values per group (has {a.size} and {b.size})"
        )
    with warnings.catch_warnings():
        # A control normalised to itself is exactly 100 % in every experiment: its variance is
        # zero on purpose, and the pooled t-test is still well defined.
        warnings.filterwarnings(
            "ignore", message="Precision loss occurred", category=RuntimeWarning
        )
        result = stats.ttest_ind(b, a, equal_var=not welch)
    return _t_result(name, result, level, shift=0.0, estimate=float(b.mean() - a.mean()))


def _t_result(name: str, result: Any, level: float, *, shift: float, estimate: float) -> TestResult:
    """SciPy's t-test result as a `TestResult`; `shift` moves the interval onto the estimate."""
    interval = result.confidence_interval(confidence_level=level)
    return TestResult(
        test=name,
        statistic=float(result.statistic),
        df=float(result.df),
        p_value=float(result.pvalue),
        estimate=estimate,
        ci_low=float(interval.low - shift),
        ci_high=float(interval.high - shift),
    )


def one_sample(
    values: Sequence[float], mu: float, *, level: float = 0.95, unit: str = "value"
) -> TestResult:
    """Compare values with a fixed value `mu`: the one-sample t-test, two-sided (Student 1908).

    This is the test of viability normalised per experiment: each experiment's control is 100 %
    by construction, so the treated percentages are tested against 100, not against a column of
    exact 100s (which would count the control's n while giving it no variance). The estimate is
    mean(values) − mu, with its confidence interval.
    """
    from scipy import stats

    name = "one-sample t-test"
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return _not_run(name, f"not tested: needs at least 2 {unit}s (has {x.size})")
    if float(np.ptp(x)) == 0.0:
        return _not_run(name, f"not tested: every {unit} is the same ({x[0]:g})")
    result = stats.ttest_1samp(x, mu)
    return _t_result(name, result, level, shift=mu, estimate=float(x.mean() - mu))


# SciPy integrates Dunnett's multivariate t by randomised quasi-Monte Carlo: a fixed seed makes
# the same data give the same p-value in every run.
DUNNETT_SEED = 20240101


def dunnett(
    control: Sequence[float], others: Mapping[str, Sequence[float]]
) -> dict[str, TestResult]:
    """Compare each group with the control: Dunnett's test (Dunnett 1955; SciPy's), two-sided.

    Returns a result per group, keyed as `others`; groups with fewer than 2 values are not run.
    The p-values come from a numerical integration (seeded: `DUNNETT_SEED`), good to about 1e-4.
    """
    from scipy import stats

    name = "Dunnett's test"
    usable = {g: np.asarray(v, dtype=float) for g, v in others.items() if len(v) >= 2}
    results = {
        g: _not_run(name, f"not tested: needs at least 2 values (has {len(v)})")
        for g, v in others.items()
        if g not in usable
    }
    if len(control) < 2 or not usable:
        return {g: _not_run(name, "not tested: needs at least 2 values per group") for g in others}
    tested = stats.dunnett(
        *usable.values(), control=np.asarray(control, dtype=float), rng=DUNNETT_SEED
    )
    interval = tested.confidence_interval()
    for i, (group, values) in enumerate(usable.items()):
        results[group] = TestResult(
            test=name,
            statistic=float(tested.statistic[i]),
            df=float(sum(v.size for v in usable.values()) + len(control) - len(usable) - 1),
            p_value=float(tested.pvalue[i]),
            estimate=float(values.mean() - np.mean(control)),
            ci_low=float(interval.low[i]),
            ci_high=float(interval.high[i]),
        )
    return {g: results[g] for g in others}


def contrast_of_cells(
    target_control: Sequence[float],
    reference_control: Sequence[float],
    target_other: Sequence[float],
    reference_other: Sequence[float],
    *,
    welch: bool = False,
    level: float = 0.95,
) -> TestResult:
    """Test ΔΔCt when target and reference were measured in separate wells (no samples).

    The estimate is (T_other − R_other) − (T_control − R_control), a contrast of four cell means.
    Student: pooled variance over the four cells, df = N − 4 (the gene × group interaction of a
    two-way linear model, Yuan et al. 2006). Welch: each cell's own variance, Welch–Satterthwaite
    df.
    """
    from scipy import stats

    name = "Welch's t-test (contrast)" if welch else "Student's t-test (contrast)"
    cells = [np.asarray(c, dtype=float) for c in (target_other, reference_other, target_control,
                                                   reference_control)]  # fmt: skip
    if any(c.size < 2 for c in cells):
        return _not_run(name, "not tested: needs at least 2 wells per gene and group")
    signs = (1.0, -1.0, -1.0, 1.0)
    estimate = sum(s * c.mean() for s, c in zip(signs, cells, strict=True))
    if welch:
        terms = [c.var(ddof=1) / c.size for c in cells]
        se = math.sqrt(sum(terms))
        df = sum(terms) ** 2 / sum(t**2 / (c.size - 1) for t, c in zip(terms, cells, strict=True))
    else:
        df = float(sum(c.size for c in cells) - 4)
        pooled = sum(((c - c.mean()) ** 2).sum() for c in cells) / df
        se = math.sqrt(pooled * sum(1.0 / c.size for c in cells))
    t = estimate / se
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return TestResult(
        test=name, statistic=t, df=df, p_value=float(2 * stats.t.sf(abs(t), df)),
        estimate=estimate, ci_low=estimate - half, ci_high=estimate + half,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class AnovaResult:
    """One-way ANOVA across groups and Tukey HSD between every pair."""

    anova: TestResult
    pairs: tuple[tuple[str, str, TestResult], ...]


_Z_NODES, _Z_WEIGHTS = np.polynomial.legendre.leggauss(96)
_T_NODES, _T_WEIGHTS = np.polynomial.legendre.leggauss(128)


def _log_s_window(df: float, depth: float = 40.0) -> tuple[float, float]:
    """Where the density of t = ln s (s² = χ²_df / df) is within e^-depth of its peak at t = 0."""

    def drop(t: float) -> float:  # ln density(t) − ln density(0)
        return df * t - df * math.expm1(2 * t) / 2

    bounds = []
    for step in (-1.0, 0.5):
        outer = step
        while drop(outer) > -depth:
            outer *= 2
        inner = 0.0
        for _ in range(60):  # bisection to ~1e-16 of the width
            middle = (inner + outer) / 2
            inner, outer = (middle, outer) if drop(middle) > -depth else (inner, middle)
        bounds.append(outer)
    return bounds[0], bounds[1]


def studentized_range_sf(q: Sequence[float] | np.ndarray, k: int, df: float) -> np.ndarray:
    """P(Q > q) for the studentized range of k means with df degrees of freedom.

    Q = W / s, with W the range of k standard normal values and s² an independent χ²_df / df
    (Tukey 1949; the integral as in Copenhaver & Holland 1988, J Stat Comput Simul 30:1):

        P(Q > q) = ∫ f(s) [1 − P(W < q s)] ds,
        1 − P(W < w) = k ∫ φ(z) [Φ(z)^(k−1) − (Φ(z) − Φ(z − w))^(k−1)] dz.

    The inner integral is written as a difference (computed with log1p/expm1) so that small
    p-values keep their relative precision; both integrals use fixed Gauss–Legendre nodes, over
    z in [−8.5, 8.5] and over ln s where its density is within e^-40 of the peak, so a whole set of
    q is one array computation. Against SciPy's `studentized_range.sf` (adaptive quadrature, about
    ten times slower per value) the difference is below 1e-12, or 1e-5 relative (tests).
    """
    values = np.atleast_1d(np.asarray(q, dtype=float))
    if k < 2 or not df > 0:
        raise ValueError(f"the studentized range needs k >= 2 and df > 0; got k={k}, df={df}")
    from scipy import special

    m = k - 1
    z = 8.5 * _Z_NODES
    z_weights = 8.5 * _Z_WEIGHTS * np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    low, high = _log_s_window(df)
    t = (high - low) / 2 * _T_NODES + (high + low) / 2
    log_norm = df / 2 * math.log(df) - special.gammaln(df / 2) - (df / 2 - 1) * math.log(2)
    t_weights = (high - low) / 2 * _T_WEIGHTS * np.exp(log_norm + df * t - df * np.exp(2 * t) / 2)
    w = values[:, None] * np.exp(t)[None, :]
    log_a = special.log_ndtr(z)
    ratio = np.exp(special.log_ndtr(z[None, None, :] - w[:, :, None]) - log_a)  # Φ(z−w) / Φ(z)
    with np.errstate(divide="ignore"):  # ratio 1 (w = 0): log1p(−1) = −inf, expm1(−inf) = −1
        tail = np.exp(m * log_a) * -np.expm1(m * np.log1p(-np.minimum(ratio, 1.0)))
    beyond: np.ndarray = k * (tail @ z_weights) @ t_weights
    clipped: np.ndarray = np.clip(beyond, 0.0, 1.0)
    return clipped


@functools.lru_cache(maxsize=256)
def _studentized_range_critical(k: int, df: float, level: float) -> float:
    """The q with P(Q > q) = 1 − level (Tukey's critical value), by Brent's method on the sf."""
    from scipy import optimize

    def excess(q: float) -> float:
        return float(studentized_range_sf([q], k, df)[0]) - (1.0 - level)

    high = 10.0
    while excess(high) > 0:
        high *= 2
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-12, rtol=1e-12))


def anova_tukey(groups: Mapping[str, Sequence[float]], level: float = 0.95) -> AnovaResult:
    """One-way ANOVA (F-test) and Tukey's HSD for every pair of groups (Tukey–Kramer if unequal).

    Tukey (1949), with Kramer's (1956) standard error for unequal group sizes, as in SciPy's
    ``tukey_hsd``: q = |mean_j − mean_i| / √(MSE/2 · (1/n_i + 1/n_j)), p from the studentized range
    distribution with k groups and N − k degrees of freedom. Its critical value is computed once
    per (k, df), which makes a table of many genes fast.

    Pairs are given as (first, second, result) with the estimate mean(second) − mean(first).
    """
    from scipy import stats

    names = list(groups)
    samples = [np.asarray(groups[n], dtype=float) for n in names]
    if len(samples) < 3 or any(s.size < 2 for s in samples):
        note = "not tested: ANOVA needs 3 or more groups with at least 2 values each"
        return AnovaResult(anova=_not_run("one-way ANOVA", note), pairs=())
    anova = stats.f_oneway(*samples)
    k = len(samples)
    df = float(sum(s.size for s in samples) - k)
    mse = sum(((s - s.mean()) ** 2).sum() for s in samples) / df
    critical = _studentized_range_critical(k, df, level)
    index = list(itertools.combinations(range(k), 2))
    differences = [float(samples[j].mean() - samples[i].mean()) for i, j in index]
    errors = [
        math.sqrt(mse / 2.0 * (1.0 / samples[i].size + 1.0 / samples[j].size)) for i, j in index
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        qs = np.abs(differences) / np.asarray(errors)
    p_values = studentized_range_sf(qs, k, df)
    pairs = [
        (
            names[i],
            names[j],
            TestResult(
                test="Tukey HSD",
                statistic=float(q),
                df=df,
                p_value=float(p),
                estimate=difference,
                ci_low=difference - critical * se,
                ci_high=difference + critical * se,
            ),
        )
        for (i, j), difference, se, q, p in zip(
            index, differences, errors, qs, p_values, strict=True
        )
    ]
    return AnovaResult(
        anova=TestResult(
            test="one-way ANOVA",
            statistic=float(anova.statistic),
            df=df,
            p_value=float(anova.pvalue),
        ),
        pairs=tuple(pairs),
    )


def adjust(p_values: Sequence[float], method: Correction) -> list[float]:
    """Adjust p-values for multiple testing: Holm (1979) or Benjamini–Hochberg (1995).

    NaN p-values (tests not run) stay NaN and do not count.
    """
    values = np.asarray(p_values, dtype=float)
    out = values.copy()
    finite = np.flatnonzero(np.isfinite(values))
    m = finite.size
    if method is Correction.NONE or m == 0:
        return [float(x) for x in out]
    order = finite[np.argsort(values[finite])]
    ranked = values[order]
    if method is Correction.HOLM:
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return [float(x) for x in out]
