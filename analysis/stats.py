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
from collections.abc import Callable, Mapping, Sequence
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
    "panel", "gene", "comparison", "test", "statistic", "df_numerator", "df", "p_value",
    "p_adjusted", "family", "estimate", "ci_low", "ci_high", "note",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """One statistical test.

    Attributes:
        test: Its name as shown in reports ("Student's t-test", "Welch's t-test", …).
        statistic: t or F.
        df: Degrees of freedom (the error, denominator df for an F-test).
        p_value: Two-sided p-value.
        estimate: The difference tested (second group minus first), if any.
        ci_low: Lower bound of the 95 % confidence interval of the estimate.
        ci_high: Upper bound.
        note: Why a test could not be run, when it could not.
        df_numerator: The numerator df of an F-test (NaN for t-type tests).
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
    df_numerator: float = math.nan

    def as_row(self, panel: str, gene: str, comparison: str) -> dict[str, object]:
        """The result as one row of stats.csv."""
        return {
            "panel": panel, "gene": gene, "comparison": comparison, "test": self.test,
            "statistic": self.statistic, "df_numerator": self.df_numerator, "df": self.df,
            "p_value": self.p_value,
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
    if float(np.ptp(a)) == 0.0 and float(np.ptp(b)) == 0.0:
        # Every unit equal in both groups: the t-statistic is infinite and p would read 0.
        return _not_run(name, "not tested: no variation within the groups (every unit equal)")
    with warnings.catch_warnings():
        # A control normalised to itself is exactly 100 % in every experiment: its variance is
        # zero on purpose, and the pooled t-test is still well defined.
        warnings.filterwarnings(
            "ignore", message="Precision loss occurred", category=RuntimeWarning
        )
        result = stats.ttest_ind(b, a, equal_var=not welch)
    return _t_result(name, result, level, shift=0.0, estimate=float(b.mean() - a.mean()))


def t_half_width(se: float, df: float, level: float) -> float:
    """t_{(1+level)/2, df} · se: the half-width of a t-based interval (NaN when undefined)."""
    from scipy import stats

    if not (se >= 0 and df > 0):
        return math.nan
    return float(stats.t.ppf(0.5 + level / 2, df)) * se


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


def dunnett_sf(t: Sequence[float] | np.ndarray, lambdas: Sequence[float], df: float) -> np.ndarray:
    """P(max_j |T_j| > t): the two-sided p-value of Dunnett's many-to-one comparison.

    T_j = Z_j / s for k comparisons with one shared control, Z_j standard normal with
    correlations ρ_jl = λ_j λ_l (λ_j² is the share of comparison j's variance that comes from the
    control: n_j / (n_j + n_0) for group means), s² an independent χ²_df / df (Dunnett 1955). The
    product correlation makes the k-dimensional integral two-dimensional (Dunnett 1955, eq. 2;
    Hsu 1996, §3.1): given U = u and s,

        P(all |Z_j| < t s) = Π_j [Φ((t s − λ_j u) / √(1 − λ_j²)) − Φ((−t s − λ_j u) / √(1 − λ_j²))],

    integrated over u ~ N(0, 1) and s with fixed Gauss–Legendre nodes, as
    `studentized_range_sf`. The complement is formed as −expm1(Σ log1p(−q_j)) so that p-values
    down to 1e-12 keep their relative precision. With k = 1 this is the two-sided t-test.
    SciPy's `dunnett` integrates the same probability by randomised quasi-Monte Carlo, whose
    error is of the order of the smallest p-values that matter (1e-5 in the tests).
    """
    values = np.atleast_1d(np.asarray(t, dtype=float))
    lam = np.asarray(lambdas, dtype=float)
    if lam.size < 1 or not df > 0 or np.any((lam < 0) | (lam >= 1)):
        raise ValueError(f"Dunnett needs 0 <= lambda < 1 and df > 0; got {lambdas}, df={df}")
    from scipy import special

    u = 8.5 * _Z_NODES
    u_weights = 8.5 * _Z_WEIGHTS * np.exp(-(u**2) / 2) / math.sqrt(2 * math.pi)
    low, high = _log_s_window(df)
    log_s = (high - low) / 2 * _T_NODES + (high + low) / 2
    log_norm = df / 2 * math.log(df) - special.gammaln(df / 2) - (df / 2 - 1) * math.log(2)
    s_weights = (
        (high - low) / 2 * _T_WEIGHTS * np.exp(log_norm + df * log_s - df * np.exp(2 * log_s) / 2)
    )
    ts = values[:, None, None, None] * np.exp(log_s)[None, :, None, None]  # value, s, u, j
    shift = lam[None, None, None, :] * u[None, None, :, None]
    scale = np.sqrt(1.0 - lam**2)[None, None, None, :]
    # Each comparison's own two tails given (u, s); then the chance that any is beyond.
    tails = special.ndtr((-ts - shift) / scale) + special.ndtr((-ts + shift) / scale)
    with np.errstate(divide="ignore"):  # a tail of 1: log1p(−1) = −inf, expm1(−inf) = −1
        beyond = -np.expm1(np.log1p(-np.minimum(tails, 1.0)).sum(axis=-1))
    p: np.ndarray = np.clip((beyond @ u_weights) @ s_weights, 0.0, 1.0)
    return p


@functools.lru_cache(maxsize=256)
def dunnett_critical(lambdas: tuple[float, ...], df: float, level: float = 0.95) -> float:
    """The t with `dunnett_sf` = 1 − level: the half-width of simultaneous intervals, in SEs."""
    return _critical(lambda t: float(dunnett_sf([t], lambdas, df)[0]), 1.0 - level)


def _critical(sf: Callable[[float], float], alpha: float) -> float:
    """The x > 0 with sf(x) = alpha, for a decreasing sf, by Brent's method."""
    from scipy import optimize

    high = 10.0
    while sf(high) > alpha:
        high *= 2
    return float(optimize.brentq(lambda x: sf(x) - alpha, 0.0, high, xtol=1e-12, rtol=1e-12))


def many_to_one(
    estimates: Sequence[float], variances: Sequence[float], control_variance: float,
    mse: float, df: float, *, level: float = 0.95,
) -> list[TestResult]:  # fmt: skip
    """Dunnett's test of k contrasts that share one control part, on a pooled error.

    Each contrast j has variance mse · (control_variance + variances[j]), where
    `control_variance` is the part (in units of the error variance) that comes from the control
    and is shared by every contrast: for group means 1/n_0 and 1/n_j. Returns one result per
    contrast with Dunnett's p-value and simultaneous confidence interval.
    """
    name = "Dunnett's test"
    lambdas = tuple(float(math.sqrt(control_variance / (control_variance + v))) for v in variances)
    errors = [math.sqrt(mse * (control_variance + v)) for v in variances]
    if not (mse > 0 and df > 0):
        return [_not_run(name, "not tested: no variation within groups") for _ in estimates]
    ts = [e / se for e, se in zip(estimates, errors, strict=True)]
    p_values = dunnett_sf(np.abs(ts), lambdas, df)
    critical = dunnett_critical(lambdas, df, level)
    return [
        TestResult(test=name, statistic=t, df=df, p_value=float(p), estimate=e,
                   ci_low=e - critical * se, ci_high=e + critical * se)
        for t, p, e, se in zip(ts, p_values, estimates, errors, strict=True)
    ]  # fmt: skip


def dunnett(
    control: Sequence[float], others: Mapping[str, Sequence[float]], level: float = 0.95
) -> dict[str, TestResult]:
    """Compare each group with the control: Dunnett's test (Dunnett 1955), two-sided.

    The error is pooled over the control and every group with at least 2 values (the groups
    tested); a group with fewer is not tested, and says so. p-values and simultaneous intervals
    come from `dunnett_sf` (deterministic quadrature, exact to ~1e-9 relative).
    """
    name = "Dunnett's test"
    usable = {g: np.asarray(v, dtype=float) for g, v in others.items() if len(v) >= 2}
    results = {
        g: _not_run(name, f"not tested: needs at least 2 values (has {len(v)})")
        for g, v in others.items()
        if g not in usable
    }
    base = np.asarray(control, dtype=float)
    if base.size < 2 or not usable:
        return {g: _not_run(name, "not tested: needs at least 2 values per group") for g in others}
    samples = [base, *usable.values()]
    df = float(sum(s.size for s in samples) - len(samples))
    mse = sum(float(((s - s.mean()) ** 2).sum()) for s in samples) / df
    tested = many_to_one(
        [float(v.mean() - base.mean()) for v in usable.values()],
        [1.0 / v.size for v in usable.values()], 1.0 / base.size, mse, df, level=level,
    )  # fmt: skip
    results.update(zip(usable, tested, strict=True))
    return {g: results[g] for g in others}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cells:
    """Cell means of a linear model with one mean per cell and a pooled error.

    The ΔCt of separate wells is a linear combination of cell means (target and each reference
    gene in each group); every contrast of it is tested on the error pooled over all cells
    (Yuan et al. 2006: the gene × group interaction of a two-way linear model on Ct).

    Attributes:
        means: Mean of each cell.
        sizes: Number of values in each cell.
        mse: Pooled within-cell variance (NaN when df is 0).
        df: Error degrees of freedom, N − number of cells.
        variances: Each cell's own variance (NaN with one value), for Welch's variant.
    """

    means: np.ndarray
    sizes: np.ndarray
    mse: float
    df: float
    variances: np.ndarray

    @classmethod
    def of(cls, cells: Sequence[Sequence[float] | np.ndarray]) -> Cells:
        """Summarise raw cells."""
        arrays = [np.asarray(c, dtype=float) for c in cells]
        sizes = np.array([a.size for a in arrays], dtype=float)
        df = float(sizes.sum() - len(arrays))
        ss = sum(float(((a - a.mean()) ** 2).sum()) for a in arrays)
        variances = np.array([a.var(ddof=1) if a.size > 1 else math.nan for a in arrays])
        return cls(means=np.array([a.mean() for a in arrays]), sizes=sizes,
                   mse=ss / df if df > 0 else math.nan, df=df, variances=variances)  # fmt: skip

    def estimate(self, weights: Sequence[float] | np.ndarray) -> float:
        """Σ w_i · mean_i."""
        return float(np.dot(weights, self.means))

    def variance_factor(self, weights: Sequence[float] | np.ndarray) -> float:
        """Σ w_i² / n_i: the contrast's variance in units of the error variance."""
        return float(np.sum(np.square(weights) / self.sizes))


def contrast(
    cells: Cells, weights: Sequence[float], *, welch: bool = False, level: float = 0.95,
    name: str = "",
) -> TestResult:  # fmt: skip
    """t-test of one contrast Σ w_i · mean_i of cell means, two-sided.

    Student: the pooled error of all cells, df = N − cells. Welch: each cell's own variance over
    the cells the contrast uses, Welch–Satterthwaite df (Satterthwaite 1946).
    """
    from scipy import stats

    name = name or ("Welch's t-test (contrast)" if welch else "Student's t-test (contrast)")
    w = np.asarray(weights, dtype=float)
    used = w != 0
    if np.any(cells.sizes[used] < 2):
        return _not_run(name, "not tested: needs at least 2 wells per gene and group")
    estimate = cells.estimate(w)
    if welch:
        terms = w[used] ** 2 * cells.variances[used] / cells.sizes[used]
        se = math.sqrt(float(terms.sum()))
        df = float(terms.sum() ** 2 / np.sum(terms**2 / (cells.sizes[used] - 1)))
    else:
        df = cells.df
        se = math.sqrt(cells.mse * cells.variance_factor(w))
    if not se > 0:
        return _not_run(name, "not tested: no variation within cells")
    t = estimate / se
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return TestResult(
        test=name, statistic=t, df=df, p_value=float(2 * stats.t.sf(abs(t), df)),
        estimate=estimate, ci_low=estimate - half, ci_high=estimate + half,
    )  # fmt: skip


def contrasts_f_test(
    cells: Cells, weights: Sequence[Sequence[float]] | np.ndarray, name: str
) -> TestResult:
    """F-test that several contrasts of cell means are all zero (the general linear hypothesis).

    F = (Lm)ᵀ (L D Lᵀ)⁻¹ (Lm) / (q · MSE), D = diag(1/n), with q and N − cells df (Searle 1971,
    §5.5). With contrasts "each group's ΔCt minus the control's" this is the one-way ANOVA of
    ΔCt across groups when target and reference come from separate wells.
    """
    from scipy import stats

    matrix = np.asarray(weights, dtype=float)
    q = matrix.shape[0]
    if not (cells.df > 0 and cells.mse > 0) or q < 1:
        return _not_run(name, "not tested: no error degrees of freedom")
    values = matrix @ cells.means
    covariance = matrix @ np.diag(1.0 / cells.sizes) @ matrix.T
    f = float(values @ np.linalg.solve(covariance, values)) / (q * cells.mse)
    return TestResult(test=name, statistic=f, df=cells.df,
                      p_value=float(stats.f.sf(f, q, cells.df)), df_numerator=float(q))  # fmt: skip


def contrast_of_cells(
    target_control: Sequence[float],
    reference_control: Sequence[float],
    target_other: Sequence[float],
    reference_other: Sequence[float],
    *,
    welch: bool = False,
    level: float = 0.95,
) -> TestResult:
    """Test ΔΔCt of one target and one reference gene measured in separate wells (no samples).

    The estimate is (T_other − R_other) − (T_control − R_control), a contrast of four cell means
    (`contrast`; Yuan et al. 2006).
    """
    cells = Cells.of([target_other, reference_other, target_control, reference_control])
    return contrast(cells, (1.0, -1.0, -1.0, 1.0), welch=welch, level=level)


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
    return _critical(lambda q: float(studentized_range_sf([q], k, df)[0]), 1.0 - level)


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
    k = len(samples)
    df = float(sum(s.size for s in samples) - k)
    mse = sum(((s - s.mean()) ** 2).sum() for s in samples) / df
    if not mse > 0:
        note = "not tested: no variation within the groups (every unit equal)"
        return AnovaResult(anova=_not_run("one-way ANOVA", note), pairs=())
    anova = stats.f_oneway(*samples)
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
            df_numerator=float(k - 1),
        ),
        pairs=tuple(pairs),
    )


def tukey_of_estimates(
    names: Sequence[str], estimates: Sequence[float] | np.ndarray,
    covariance: np.ndarray, df: float, *, level: float = 0.95, name: str = "Tukey HSD",
) -> tuple[tuple[str, str, TestResult], ...]:  # fmt: skip
    """Tukey's HSD for every pair of k group estimates from one linear model.

    Each difference b_j − b_i is tested with its own standard error from the model's covariance
    (σ² already in it), q = |b_j − b_i| / SE · √2 against the studentized range of k means with
    the model's error df: Tukey–Kramer, exact when the estimates are independent with equal
    variance (balanced one-way, complete randomised blocks) and conservative otherwise (Hayter
    1984 for one-way layouts). Pairs are (first, second, result), the estimate b_second − b_first.
    """
    values = np.asarray(estimates, dtype=float)
    k = values.size
    if k < 3 or not df > 0:
        return ()
    critical = _studentized_range_critical(k, df, level)
    index = list(itertools.combinations(range(k), 2))
    differences = np.array([values[j] - values[i] for i, j in index])
    errors = np.sqrt([covariance[i, i] + covariance[j, j] - 2 * covariance[i, j]
                      for i, j in index])  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        qs = np.abs(differences) / errors * math.sqrt(2.0)
    p_values = studentized_range_sf(np.nan_to_num(qs, nan=0.0), k, df)
    half = critical / math.sqrt(2.0) * errors
    pairs = []
    for (i, j), d, h, q, p in zip(index, differences, half, qs, p_values, strict=True):
        result = TestResult(
            test=name, statistic=float(q), df=df, p_value=float(p), estimate=float(d),
            ci_low=float(d - h), ci_high=float(d + h),
        )  # fmt: skip
        pairs.append((str(names[i]), str(names[j]), result))
    return tuple(pairs)


def block_anova_tukey(
    values: Sequence[float], groups: Sequence[str], blocks: Sequence[str],
    *, level: float = 0.95, block_name: str = "block",
) -> AnovaResult:  # fmt: skip
    """The group effect in the randomised-block model y = group + block, and Tukey's HSD.

    F = ((RSS_blocks only − RSS_full) / (g − 1)) / (RSS_full / (N − rank)): the type-II test of
    groups after blocks (Montgomery, Design and Analysis of Experiments, §4.1); every pair of
    groups by `tukey_of_estimates` on the model's coefficients. Blocks are fixed effects (the
    intra-block analysis): with complete blocks this gives the same group contrasts, standard
    errors and df as a mixed model with random blocks (REML), and with incomplete blocks it
    leaves out the between-block information rather than assume normal block effects.
    """
    from scipy import stats

    y = np.asarray(values, dtype=float)
    names = list(dict.fromkeys(groups))
    anova_name = f"two-way ANOVA, {block_name} as block: group effect"
    tukey_name = f"Tukey HSD ({block_name} as block)"
    group_columns = [np.array([float(g == level) for g in groups]) for level in names[1:]]
    block_columns = [np.array([float(b == level) for b in blocks])
                     for level in list(dict.fromkeys(blocks))[1:]]  # fmt: skip
    reduced = np.column_stack([np.ones(y.size), *block_columns])
    full = np.column_stack([np.ones(y.size), *group_columns, *block_columns])
    beta, _, rank, _ = np.linalg.lstsq(full, y, rcond=None)
    residual = y - full @ beta
    df = float(y.size - rank)
    rss_full = float(residual @ residual)
    beta_reduced, _, rank_reduced, _ = np.linalg.lstsq(reduced, y, rcond=None)
    rest = y - reduced @ beta_reduced
    rss_reduced = float(rest @ rest)
    df_num = float(rank - rank_reduced)
    if rank < full.shape[1]:
        note = f"not tested: groups and {block_name} are confounded (not every group comparable)"
        return AnovaResult(anova=_not_run(anova_name, note), pairs=())
    if len(names) < 3 or df < 1 or df_num < 1 or not rss_full > 0:
        note = "not tested: needs 3 or more groups and error df left after the blocks"
        return AnovaResult(anova=_not_run(anova_name, note), pairs=())
    sigma2 = rss_full / df
    f = ((rss_reduced - rss_full) / df_num) / sigma2
    anova = TestResult(test=anova_name, statistic=f, df=df, df_numerator=df_num,
                       p_value=float(stats.f.sf(f, df_num, df)))  # fmt: skip
    covariance = np.linalg.pinv(full.T @ full) * sigma2
    g = len(names)
    # Group effects relative to the first group (0 for it): rows 1..g-1 of beta and covariance.
    estimates = np.concatenate([[0.0], beta[1:g]])
    group_cov = np.zeros((g, g))
    group_cov[1:, 1:] = covariance[1:g, 1:g]
    pairs = tukey_of_estimates(names, estimates, group_cov, df, level=level, name=tukey_name)
    return AnovaResult(anova=anova, pairs=pairs)


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


def interaction_test(
    values: Sequence[float], first: Sequence[str], second: Sequence[str],
    blocks: Sequence[str] | None = None, *, name: str = "two-way ANOVA: interaction",
) -> TestResult:  # fmt: skip
    """F-test of the interaction of two factors (does the effect of one depend on the other?).

    The full model has a mean per (first, second) cell; the reduced model adds the two factors'
    main effects only; both carry the same additive `blocks` (e.g. experiments, each a block
    of its own plate). F = ((RSS_reduced − RSS_full) / (p_full − p_reduced)) /
    (RSS_full / (n − p_full)), ranks by least squares, so unbalanced and incomplete layouts
    test what can be tested (Searle 1971, §7; a type-II test of the interaction).
    """
    from scipy import stats

    y = np.asarray(values, dtype=float)
    n = y.size

    def dummies(labels: Sequence[str]) -> np.ndarray:
        levels = sorted(set(labels))
        return np.array([[float(label == level) for level in levels[1:]] for label in labels])

    base = [np.ones((n, 1)), dummies(first).reshape(n, -1), dummies(second).reshape(n, -1)]
    if blocks is not None:
        base.append(dummies(blocks).reshape(n, -1))
    reduced = np.hstack(base)
    cells = [f"{a}\x00{b}" for a, b in zip(first, second, strict=True)]
    full = np.hstack([reduced, dummies(cells).reshape(n, -1)])

    def fit(design: np.ndarray) -> tuple[float, int]:
        beta, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
        residual = y - design @ beta
        return float(residual @ residual), int(rank)

    rss_reduced, rank_reduced = fit(reduced)
    rss_full, rank_full = fit(full)
    df_num, df_den = rank_full - rank_reduced, n - rank_full
    if df_num < 1 or df_den < 1 or not rss_full > 0:
        return _not_run(name, "not tested: the layout leaves no interaction or no error df")
    f = ((rss_reduced - rss_full) / df_num) / (rss_full / df_den)
    return TestResult(test=name, statistic=f, df=float(df_den), df_numerator=float(df_num),
                      p_value=float(stats.f.sf(f, df_num, df_den)))  # fmt: skip


def block_contrasts(
    values: Sequence[float], groups: Sequence[str], blocks: Sequence[str], control: str,
    *, level: float = 0.95, block_name: str = "block",
) -> dict[str, TestResult]:  # fmt: skip
    """Each group vs the control in the additive model y = group + block (randomised blocks).

    Experiments, runs or plates as blocks: what they shift together cancels from a group's
    difference to the control. Least squares; each group's coefficient against the control's
    with its SE from the residual variance, df = N − rank (Montgomery, Design and Analysis of
    Experiments, §4.1). With one unit per group and block and two groups this is the paired
    t-test.
    """
    from scipy import stats

    y = np.asarray(values, dtype=float)
    levels = [g for g in dict.fromkeys(groups) if g != control]
    block_levels = list(dict.fromkeys(blocks))[1:]
    design = np.column_stack(
        [np.ones(y.size)]
        + [np.array([float(g == level) for g in groups]) for level in levels]
        + [np.array([float(b == level) for b in blocks]) for level in block_levels]
    )
    name = f"t-test in the block model ({block_name} as block)"
    beta, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    df = float(y.size - rank)
    if df < 1:
        return {g: _not_run(name, "not tested: no error df left after the blocks") for g in levels}
    residual = y - design @ beta
    sigma2 = float(residual @ residual) / df
    covariance = np.linalg.pinv(design.T @ design) * sigma2
    critical = float(stats.t.ppf(0.5 + level / 2, df))
    results = {}
    for i, group in enumerate(levels, start=1):
        se = math.sqrt(covariance[i, i])
        estimate = float(beta[i])
        if not se > 0:
            results[group] = _not_run(name, "not tested: no variation left")
            continue
        t = estimate / se
        results[group] = TestResult(
            test=name, statistic=t, df=df, p_value=float(2 * stats.t.sf(abs(t), df)),
            estimate=estimate, ci_low=estimate - critical * se, ci_high=estimate + critical * se,
        )  # fmt: skip
    return results
