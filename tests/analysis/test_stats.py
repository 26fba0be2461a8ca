"""Statistics against published examples and calculations written out here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.analysis.stats import (
    Correction,
    adjust,
    anova_tukey,
    block_anova_tukey,
    contrast_of_cells,
    stars,
    studentized_range_sf,
    tukey_of_estimates,
    two_groups,
)

# SciPy's documented examples (scipy.stats.f_oneway and scipy.stats.tukey_hsd docstrings).
MUSSELS = {
    "tillamook": [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659, 0.0923, 0.0836],
    "newport": [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725],
    "petersburg": [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105],
    "magadan": [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689],
    "tvarminne": [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045],
}
TUKEY = {
    "group0": [24.5, 23.5, 26.4, 27.1, 29.9],
    "group1": [28.4, 34.2, 29.5, 32.2, 30.1],
    "group2": [26.1, 28.3, 24.3, 26.2, 27.8],
}


def test_anova_as_in_scipys_documentation() -> None:
    result = anova_tukey(MUSSELS)
    # F_onewayResult(statistic=7.121019471642447, pvalue=0.0002812242314534544)
    assert result.anova.statistic == pytest.approx(7.121019471642447, rel=1e-12)
    assert result.anova.p_value == pytest.approx(0.0002812242314534544, rel=1e-9)
    assert result.anova.df == 39 - 5


def test_tukey_as_in_scipys_documentation() -> None:
    pairs = {(a, b): r for a, b, r in anova_tukey(TUKEY).pairs}
    # SciPy prints (0 - 1) -4.600 0.014 [-8.249, -0.951]; we report group1 - group0.
    first = pairs[("group0", "group1")]
    assert (round(first.estimate, 3), round(first.p_value, 3)) == (4.600, 0.014)
    assert (round(first.ci_low, 3), round(first.ci_high, 3)) == (0.951, 8.249)
    # (0 - 2) -0.260 0.980; (1 - 2) 4.340 0.020 [0.691, 7.989]
    assert (
        round(pairs[("group0", "group2")].estimate, 3),
        round(pairs[("group0", "group2")].p_value, 3),
    ) == (0.260, 0.980)
    third = pairs[("group1", "group2")]
    assert (round(third.estimate, 3), round(third.p_value, 3)) == (-4.340, 0.020)
    assert (round(third.ci_low, 3), round(third.ci_high, 3)) == (-7.989, -0.691)


# Yuan et al. 2006 (BMC Bioinformatics 7:85), MT7 against ubiquitin, control then treatment,
# as distributed with the R package pcr (ct4); its vignette (Table 6) gives the t-test on dCt:
# estimate -0.6848, p < 0.0001, 95 % CI (-0.955, -0.4147).
YUAN_REF = [19.7415, 19.494, 19.3906, 21.9838, 22.4435, 22.57, 24.8109, 24.4327, 24.2342, 26.7319,
            26.8206, 26.822, 18.4468, 18.8227, 18.3061, 21.2568, 21.0956, 20.8473, 23.2322,
            22.9577, 23.2415, 25.4817, 25.608, 25.5675]  # fmt: skip
YUAN_TARGET = [23.1102, 22.9003, 22.8972, 26.5801, 26.2139, 26.0606, 28.1125, 28.1899, 27.5949,
               30.2772, 30.4667, 30.7571, 21.7813, 21.7564, 21.641, 23.7965, 23.7571, 23.724,
               26.3794, 26.2542, 25.9621, 28.5479, 28.3894, 28.3416]  # fmt: skip


def test_t_test_on_delta_ct_as_published_by_yuan() -> None:
    dct = [t - r for t, r in zip(YUAN_TARGET, YUAN_REF, strict=True)]
    result = two_groups(dct[:12], dct[12:])
    assert result.estimate == pytest.approx(-0.6848, abs=5e-5)
    assert result.p_value < 0.0001
    assert (result.ci_low, result.ci_high) == pytest.approx((-0.955, -0.4147), abs=5e-4)


def test_student_and_welch_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0], [4.0, 6.0, 8.0, 10.0]
    # means 2 and 7; variances 1 and 20/3. Student: pooled s² = (2*1 + 3*20/3)/5 = 4.4,
    # se = sqrt(4.4*(1/3 + 1/4)) = 1.60208; t = 5/1.60208 = 3.12094, df 5.
    student = two_groups(a, b)
    assert student.statistic == pytest.approx(5 / math.sqrt(4.4 * (1 / 3 + 1 / 4)))
    assert student.df == 5
    # Welch: se = sqrt(1/3 + (20/3)/4) = sqrt(2); df = 2² / ((1/3)²/2 + (5/3)²/3) = 4.26316.
    welch = two_groups(a, b, welch=True)
    assert welch.statistic == pytest.approx(5 / math.sqrt(2))
    assert welch.df == pytest.approx(4 / ((1 / 9) / 2 + (25 / 9) / 3))


def test_fewer_than_two_values_are_refused_clearly() -> None:
    result = two_groups([1.0], [2.0, 3.0])
    assert math.isnan(result.p_value)
    assert result.note == "not tested: needs at least 2 values per group (has 1 and 2)"


def test_four_cell_contrast_equals_the_interaction_of_a_linear_model() -> None:
    # The same test by another route: least squares on Ct ~ gene * group.
    rng = np.random.default_rng(7)
    cells = [rng.normal(mu, 0.2, 5).tolist() for mu in (30.0, 23.0, 27.0, 22.5)]  # T_c R_c T_o R_o
    result = contrast_of_cells(cells[0], cells[1], cells[2], cells[3])
    y = np.concatenate(cells)
    gene = np.repeat([1, 0, 1, 0], 5)
    group = np.repeat([0, 0, 1, 1], 5)
    design = np.column_stack([np.ones(20), gene, group, gene * group])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    sigma2 = residual @ residual / (20 - 4)
    se = math.sqrt(sigma2 * np.linalg.inv(design.T @ design)[3, 3])
    assert result.estimate == pytest.approx(beta[3])
    assert result.statistic == pytest.approx(beta[3] / se)
    assert result.df == 16


@pytest.mark.parametrize(
    ("p", "mark"),
    [(0.00009, "****"), (0.0001, "***"), (0.0009, "***"), (0.001, "**"), (0.0099, "**"),
     (0.01, "*"), (0.049, "*"), (0.05, "ns"), (0.5, "ns"), (math.nan, "")],
)  # fmt: skip
def test_prism_stars(p: float, mark: str) -> None:
    assert stars(p) == mark


def test_holm_and_benjamini_hochberg_by_hand() -> None:
    p = [0.01, 0.04, 0.03, math.nan]
    # Holm, sorted 0.01, 0.03, 0.04 with m = 3: 0.03, 0.06, max(0.06, 0.04) = 0.06
    assert adjust(p, Correction.HOLM)[:3] == pytest.approx([0.03, 0.06, 0.06])
    # BH: 0.01*3/1 = 0.03, 0.03*3/2 = 0.045, 0.04*3/3 = 0.04 -> cumulative min from the top:
    # 0.03, min(0.045, 0.04) = 0.04, 0.04
    assert adjust(p, Correction.BH)[:3] == pytest.approx([0.03, 0.04, 0.04])
    assert math.isnan(adjust(p, Correction.BH)[3])


@pytest.mark.parametrize("k", [2, 3, 4, 6, 10])
@pytest.mark.parametrize("df", [2.0, 5.0, 8.0, 20.0, 120.0, 2000.0])
def test_studentized_range_against_scipy(k: int, df: float) -> None:
    # SciPy integrates the same distribution adaptively, value by value (slow, but a reference).
    from scipy import stats

    qs = np.array([0.0, 0.3, 1.0, 2.0, 3.0, 3.5, 4.5, 6.0, 9.0, 14.0])
    ours = studentized_range_sf(qs, k, df)
    theirs = np.array([stats.studentized_range.sf(q, k, df) for q in qs])
    assert ours == pytest.approx(theirs, abs=1e-10)
    large = theirs > 1e-9
    assert ours[large] == pytest.approx(theirs[large], rel=1e-5)


@pytest.mark.parametrize("df", [3.0, 10.0, 40.0])
def test_studentized_range_of_two_means_is_a_t_test(df: float) -> None:
    # With k = 2, Q = |x1 − x2| / s = √2·|T|, so P(Q > q) = 2·P(T > q/√2), Student's t with df.
    from scipy import stats

    qs = np.array([0.5, 2.0, 3.151, 5.0])
    assert studentized_range_sf(qs, 2, df) == pytest.approx(
        2 * stats.t.sf(qs / math.sqrt(2), df), rel=1e-7
    )


@pytest.mark.parametrize(
    ("k", "df", "q_05"),
    [
        # Upper 5 % points of the studentized range, as printed in the usual tables (e.g. Harter
        # 1960; Montgomery, Design and Analysis of Experiments, Table VII): three decimals.
        (2, 10, 3.151),
        (3, 5, 4.602),
        (3, 10, 3.877),
        (4, 20, 3.958),
        (5, 30, 4.102),
    ],
)
def test_tukey_critical_values_match_the_printed_tables(k: int, df: int, q_05: float) -> None:
    assert studentized_range_sf([q_05], k, df)[0] == pytest.approx(0.05, abs=2e-4)


@pytest.mark.parametrize(("k", "q_05"), [(3, 4.339), (4, 4.529), (5, 4.654)])
def test_tukey_intervals_use_the_tabled_critical_value(k: int, q_05: float) -> None:
    # k groups of three values i, i+1, i+2: each has variance 1, so MSE = 1 with df = 3k − k = 2k
    # (6, 8, 10 here; the same tables give 4.339, 4.529, 4.654). The interval's half-width is
    # q · √(MSE/2 · (1/3 + 1/3)) = q / √3 around the difference of means, which is 1.
    groups = {f"g{i}": [float(i), i + 1.0, i + 2.0] for i in range(k)}
    first, second, result = anova_tukey(groups).pairs[0]
    assert (first, second) == ("g0", "g1")
    assert result.estimate == pytest.approx(1.0)
    assert result.ci_high - 1.0 == pytest.approx(q_05 / math.sqrt(3), abs=1e-3)
    assert 1.0 - result.ci_low == pytest.approx(q_05 / math.sqrt(3), abs=1e-3)


@pytest.mark.parametrize("df", [3.0, 10.0, 40.0])
def test_dunnett_with_one_comparison_is_the_t_test(df: float) -> None:
    from scipy import stats

    from assay.analysis.stats import dunnett_sf

    ts = np.array([0.5, 2.0, 4.0, 9.0])
    assert dunnett_sf(ts, [0.6], df) == pytest.approx(2 * stats.t.sf(ts, df), rel=1e-8)


@pytest.mark.parametrize(
    ("k", "df", "critical"),
    [
        # Two-sided 5 % points for k treatments vs one control, equal n (ρ = 0.5), as printed in
        # Dunnett's tables (Dunnett 1964, Biometrics 20:482; Montgomery, Table IX): two decimals.
        (2, 10, 2.57), (3, 10, 2.76), (4, 10, 2.89),
        (2, 20, 2.38), (3, 20, 2.54), (4, 20, 2.65),
        (5, 60, 2.58),
    ],
)  # fmt: skip
def test_dunnett_critical_values_match_the_printed_tables(k: int, df: int, critical: float) -> None:
    from assay.analysis.stats import dunnett_critical

    assert dunnett_critical((math.sqrt(0.5),) * k, float(df)) == pytest.approx(critical, abs=0.006)


def _dunnett_by_adaptive_quadrature(t: float, lambdas: list[float], df: float) -> float:
    """The same probability by SciPy's adaptive 2-D quadrature over u and s (slow; a reference)."""
    from scipy import integrate, special, stats

    lam = np.asarray(lambdas)
    scale = np.sqrt(1 - lam**2)

    def integrand(u: float, s: float) -> float:
        tails = special.ndtr((-t * s - lam * u) / scale) + special.ndtr((-t * s + lam * u) / scale)
        density = stats.chi.pdf(s * math.sqrt(df), df) * math.sqrt(df)
        with np.errstate(divide="ignore"):  # a tail of 1: log1p(−1) = −inf, the product 0
            inside = np.log1p(-tails).sum()
        return float(-np.expm1(inside) * stats.norm.pdf(u) * density)

    return float(integrate.dblquad(integrand, 0, 6, -9, 9, epsabs=1e-15, epsrel=1e-10)[0])


@pytest.mark.parametrize(
    ("t", "lambdas", "df"),
    [
        (3.0, [0.3, 0.8], 4.0),
        (6.0, [0.7, 0.7, 0.6], 12.0),  # p ≈ 1.7e-4
        (8.0, [0.5, 0.5], 6.0),
        (9.0, [0.7071] * 5, 20.0),  # p ≈ 1e-7: exact to 1 % relative down to 1e-6 and beyond
    ],
)
def test_dunnett_p_values_are_exact_where_small(t: float, lambdas: list[float], df: float) -> None:
    from assay.analysis.stats import dunnett_sf

    expected = _dunnett_by_adaptive_quadrature(t, lambdas, df)
    assert dunnett_sf([t], lambdas, df)[0] == pytest.approx(expected, rel=1e-6)


def test_dunnett_agrees_with_scipys_monte_carlo_and_gives_its_intervals() -> None:
    from scipy import stats

    from assay.analysis.stats import dunnett

    control = [24.5, 23.5, 26.4, 27.1, 29.9]
    others = {"a": [28.4, 34.2, 29.5, 32.2, 30.1], "b": [26.1, 28.3, 24.3, 26.2, 27.8]}
    ours = dunnett(control, others)
    theirs = stats.dunnett(*others.values(), control=control, rng=1)
    interval = theirs.confidence_interval()
    for i, group in enumerate(others):
        assert ours[group].p_value == pytest.approx(theirs.pvalue[i], abs=2e-4)
        assert ours[group].statistic == pytest.approx(theirs.statistic[i])
        # SciPy's interval half-width comes from its Monte Carlo critical value (±0.3 % here).
        assert (ours[group].ci_low, ours[group].ci_high) == pytest.approx(
            (interval.low[i], interval.high[i]), rel=5e-3
        )


def test_f_test_of_contrasts_is_the_interaction_of_a_linear_model() -> None:
    from scipy import stats

    from assay.analysis.stats import Cells, contrasts_f_test

    # Ct of a target and a reference in separate wells, three groups: does ΔCt differ among
    # groups? That is the gene × group interaction: full (6 cell means) vs additive model.
    rng = np.random.default_rng(11)
    raw = [rng.normal(mu, 0.3, 4) for mu in (30.0, 22.0, 29.0, 22.2, 31.0, 21.7)]
    cells = Cells.of(raw)
    weights = [[-1, 1, 1, -1, 0, 0], [-1, 1, 0, 0, 1, -1]]  # ΔCt(g) − ΔCt(control), g = 1, 2
    result = contrasts_f_test(cells, weights, "F")
    y = np.concatenate(raw)
    gene = np.tile(np.repeat([1.0, 0.0], 4), 3)
    group = np.repeat([0, 1, 2], 8)
    additive = np.column_stack([np.ones(24), gene, group == 1, group == 2]).astype(float)
    full = np.column_stack([additive, gene * (group == 1), gene * (group == 2)])

    def rss(design: np.ndarray) -> float:
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(((y - design @ beta) ** 2).sum())

    f = ((rss(additive) - rss(full)) / 2) / (rss(full) / 18)
    assert result.statistic == pytest.approx(f)
    assert (result.df_numerator, result.df) == (2, 18)
    assert result.p_value == pytest.approx(stats.f.sf(f, 2, 18))


def test_interaction_of_a_balanced_two_way_layout_by_the_classical_sums_of_squares() -> None:
    from scipy import stats

    from assay.analysis.stats import interaction_test

    # 2 x 3 layout, 3 replicates per cell: SS_AB = r Σ (m_ij − m_i. − m_.j + m..)², error SS
    # within cells, df (a−1)(b−1) = 2 and ab(r−1) = 12 (any textbook, e.g. Zar, §12.1).
    rng = np.random.default_rng(4)
    means = np.array([[10.0, 12.0, 11.0], [10.5, 14.0, 11.2]])
    y = np.array([[rng.normal(means[i, j], 1.0, 3) for j in range(3)] for i in range(2)])
    cell = y.mean(axis=2)
    grand = cell.mean()
    ss_ab = 3 * (((cell - cell.mean(axis=1, keepdims=True) - cell.mean(axis=0) + grand) ** 2).sum())
    ss_error = ((y - cell[..., None]) ** 2).sum()
    f = (ss_ab / 2) / (ss_error / 12)
    first = [f"a{i}" for i in range(2) for j in range(3) for _ in range(3)]
    second = [f"b{j}" for i in range(2) for j in range(3) for _ in range(3)]
    result = interaction_test(y.ravel().tolist(), first, second)
    assert result.statistic == pytest.approx(f)
    assert (result.df_numerator, result.df) == (2, 12)
    assert result.p_value == pytest.approx(stats.f.sf(f, 2, 12))


def test_interaction_with_blocks_is_unchanged_by_a_shift_of_a_block() -> None:
    from assay.analysis.stats import interaction_test

    rng = np.random.default_rng(5)
    first = ["x"] * 6 + ["y"] * 6
    second = ["c", "t"] * 6
    blocks = [f"{f}{i // 2}" for i, f in enumerate(first)]  # three blocks within each level
    y = rng.normal(0, 1, 12) + np.array([0, 1] * 3 + [0, 2] * 3)
    shifted = y + np.array([5.0 if b == "x1" else 0.0 for b in blocks])
    plain = interaction_test(y.tolist(), first, second, blocks)
    moved = interaction_test(shifted.tolist(), first, second, blocks)
    assert moved.statistic == pytest.approx(plain.statistic)
    assert (plain.df_numerator, plain.df) == (1, 4)  # 12 − (1 + 1 + 1 + 4 blocks + 1)


def _rcbd() -> tuple[list[float], list[str], list[str]]:
    # 4 treatments in 3 complete blocks (one value each), blocks shifting everything.
    table = {"A": [10.1, 12.4, 9.2], "B": [10.9, 13.0, 10.4], "C": [11.8, 14.1, 10.9],
             "D": [10.3, 12.9, 9.9]}  # fmt: skip
    values = [v for g in table for v in table[g]]
    groups = [g for g in table for _ in range(3)]
    blocks = [f"e{b}" for _ in table for b in range(3)]
    return values, groups, blocks


def test_block_anova_and_tukey_match_the_textbook_rcbd_formulas() -> None:
    from scipy import stats

    values, groups, blocks = _rcbd()
    result = block_anova_tukey(values, groups, blocks, block_name="experiment")
    # Montgomery §4.1 by hand: SS_treat = b Σ (ȳ_i. − ȳ..)², SS_block = a Σ (ȳ_.j − ȳ..)²,
    # SS_E = SS_T − SS_treat − SS_block with (a − 1)(b − 1) = 6 df.
    y = np.array(values).reshape(4, 3)
    grand = y.mean()
    ss_treat = 3 * ((y.mean(axis=1) - grand) ** 2).sum()
    ss_block = 4 * ((y.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((y - grand) ** 2).sum() - ss_treat - ss_block
    mse = ss_error / 6
    f = (ss_treat / 3) / mse
    assert result.anova.statistic == pytest.approx(f)
    assert (result.anova.df_numerator, result.anova.df) == (3.0, 6.0)
    assert result.anova.p_value == pytest.approx(stats.f.sf(f, 3, 6))
    # Tukey in the RCBD: q = |ȳ_j. − ȳ_i.| / √(MSE / b), the studentized range of 4 means, 6 df.
    pairs = {(a, b): r for a, b, r in result.pairs}
    assert len(pairs) == 6
    means = dict(zip("ABCD", y.mean(axis=1), strict=True))
    for (a, b), r in pairs.items():
        q = abs(means[b] - means[a]) / math.sqrt(mse / 3)
        assert r.estimate == pytest.approx(means[b] - means[a])
        assert r.statistic == pytest.approx(q)
        assert r.p_value == pytest.approx(float(stats.studentized_range.sf(q, 4, 6)), rel=1e-5)
        half = float(stats.studentized_range.ppf(0.95, 4, 6)) * math.sqrt(mse / 3)
        assert r.ci_high - r.estimate == pytest.approx(half, rel=1e-6)
    assert result.anova.test == "two-way ANOVA, experiment as block: group effect"
    assert pairs[("A", "B")].test == "Tukey HSD (experiment as block)"


def test_block_anova_refuses_groups_confounded_with_blocks() -> None:
    # Each group in a block of its own: nothing separates a group from its block.
    result = block_anova_tukey([1.0, 1.2, 2.0, 2.1, 3.0, 3.3], ["a", "a", "b", "b", "c", "c"],
                               ["e1", "e1", "e2", "e2", "e3", "e3"])  # fmt: skip
    assert math.isnan(result.anova.p_value)
    assert "confounded" in result.anova.note
    assert result.pairs == ()


def test_tukey_of_independent_estimates_is_scipys_tukey_hsd() -> None:
    from scipy import stats

    samples = {"a": [1.0, 1.4, 0.8, 1.1], "b": [2.0, 2.3, 1.7], "c": [1.2, 1.0, 1.5, 1.9, 1.3]}
    names = list(samples)
    means = [float(np.mean(v)) for v in samples.values()]
    df = sum(len(v) for v in samples.values()) - 3
    mse = sum(float(((np.array(v) - np.mean(v)) ** 2).sum()) for v in samples.values()) / df
    covariance = np.diag([mse / len(v) for v in samples.values()])
    pairs = tukey_of_estimates(names, means, covariance, df)
    reference = stats.tukey_hsd(*samples.values())
    for a, b, r in pairs:
        i, j = names.index(a), names.index(b)
        assert r.p_value == pytest.approx(float(reference.pvalue[i, j]), rel=1e-4)
        interval = reference.confidence_interval(0.95)
        assert r.ci_low == pytest.approx(float(interval.low[j, i]), rel=1e-5)


def test_no_variation_in_either_group_is_not_tested_rather_than_p_zero() -> None:
    # Every unit equal in both groups: t would be infinite and p read 0 ****.
    flat = two_groups([5.0, 5.0, 5.0], [4.0, 4.0, 4.0])
    assert math.isnan(flat.p_value)
    assert flat.note == "not tested: no variation within the groups (every unit equal)"
    # One group without variation (a control normalised to itself) is still tested, by hand:
    # pooled s² = (0 + 2 · 1) / 4 = 0.5, t = (5 − 4)/√(0.5 · 2/3) = 1.7321, df 4.
    one = two_groups([4.0, 4.0, 4.0], [4.0, 5.0, 6.0])
    assert one.statistic == pytest.approx(1 / math.sqrt(0.5 * 2 / 3))
    assert one.df == 4
    anova = anova_tukey({"a": [1.0, 1.0], "b": [2.0, 2.0], "c": [3.0, 3.0]})
    assert math.isnan(anova.anova.p_value)
    assert "no variation" in anova.anova.note
    assert anova.pairs == ()
