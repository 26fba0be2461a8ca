"""Relative expression by the comparative Ct (2^-ΔΔCt) method, with honest statistics.

Each formula is one named function citing its source; `relative_expression` applies them to a tidy
table of wells (one row per well: panel columns, group, sample, gene, ct).

>>> delta_ct(30.49, 23.63)
6.86
>>> round(fold_change(-2.50), 1)
5.7
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from assay._compat import StrEnum
from assay.analysis.stats import (
    Cells,
    Correction,
    TestResult,
    adjust,
    anova_tukey,
    block_anova_tukey,
    block_contrasts,
    contrast,
    contrasts_f_test,
    dunnett,
    interaction_test,
    many_to_one,
    stars,
    t_half_width,
    tukey_of_estimates,
    two_groups,
)
from assay.analysis.wells import WellTable
from assay.errors import InputError
from assay.tables import natural_key

if TYPE_CHECKING:
    import pandas as pd

# Technical replicates whose highest and lowest Ct are more than this many cycles apart are flagged
# (and the odd one out is judged against the same limit): one rule, stated the same in the README,
# --help and the outputs.
REPLICATE_SPREAD_LIMIT = 0.5


def delta_ct(target_ct: float, reference_ct: float) -> float:
    """ΔCt = Ct(target) − Ct(reference) (Livak & Schmittgen 2001, eq. 8)."""
    return round(target_ct - reference_ct, 10)


def delta_delta_ct(delta_ct_sample: float, delta_ct_calibrator: float) -> float:
    """ΔΔCt = ΔCt(sample) − ΔCt(calibrator) (Livak & Schmittgen 2001, eq. 9)."""
    return delta_ct_sample - delta_ct_calibrator


def fold_change(ddct: float) -> float:
    """Relative quantity 2^-ΔΔCt, assuming 100 % efficiency (Livak & Schmittgen 2001, eq. 10)."""
    return float(2.0 ** (-ddct))


def fold_changes(ddcts: np.ndarray) -> np.ndarray:
    """`fold_change` for many ΔΔCt at once."""
    result: np.ndarray = np.exp2(-ddcts)
    return result


def fold_change_range(ddct: float, sd: float) -> tuple[float, float]:
    """The range 2^-(ΔΔCt + s) to 2^-(ΔΔCt − s) (ABI User Bulletin #2; Livak & Schmittgen 2001)."""
    return fold_change(ddct + sd), fold_change(ddct - sd)


def propagated_sd(sd_target: float, sd_reference: float) -> float:
    """S = √(s_target² + s_reference²) for a difference of independent means (ABI UB #2)."""
    return math.sqrt(sd_target**2 + sd_reference**2)


def combined_reference_ct(cts: Sequence[float]) -> float:
    """Arithmetic mean of several reference genes' Ct: the geometric mean of their quantities.

    Vandesompele et al. 2002 normalise by the geometric mean of reference quantities; for Ct
    (log2 quantities) that is the arithmetic mean.
    """
    return sum(cts) / len(cts)


def pfaffl_ratio(
    efficiency_target: float, delta_ct_target: float, efficiency_reference: float,
    delta_ct_reference: float,
) -> float:  # fmt: skip
    """Efficiency-corrected ratio (Pfaffl 2001, eq. 1).

    ratio = E_target^ΔCt_target(control − sample) / E_ref^ΔCt_ref(control − sample), with E the
    amplification factor per cycle (2.0 for 100 % efficiency).
    """
    return float(efficiency_target**delta_ct_target / efficiency_reference**delta_ct_reference)


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardCurve:
    """A dilution series fitted by least squares: Ct = slope · log10(quantity) + intercept.

    Attributes:
        gene: The gene.
        slope: Cycles per 10-fold dilution (about −3.32 at 100 % efficiency).
        intercept: Ct at quantity 1.
        r_squared: Coefficient of determination of the fit.
        points: Number of wells fitted.
    """

    gene: str
    slope: float
    intercept: float
    r_squared: float
    points: int
    slope_se: float = math.nan  # standard error of the slope, √(s²_residual / Σ(x − x̄)²)

    @property
    def log2_factor_se(self) -> float:
        """SE of log2 E (delta method: log2 E = −log2(10)/slope, SE = log2(10)·SE_slope/slope²)."""
        return math.log2(10.0) * self.slope_se / self.slope**2

    def efficiency_interval_pct(self, level: float = 0.95) -> tuple[float, float]:
        """The efficiency's confidence interval, from the slope's t-interval (n − 2 df)."""
        from scipy import stats

        if not (self.points > 2 and math.isfinite(self.slope_se)):
            return math.nan, math.nan
        half = float(stats.t.ppf(0.5 + level / 2, self.points - 2)) * self.slope_se
        ends = sorted((10.0 ** (-1.0 / end) - 1.0) * 100.0
                      for end in (self.slope - half, self.slope + half))  # fmt: skip
        return ends[0], ends[1]

    @property
    def amplification_factor(self) -> float:
        """E = 10^(−1/slope): 2.0 means the product doubles every cycle (Rasmussen 2001)."""
        return float(10.0 ** (-1.0 / self.slope))

    @property
    def efficiency_pct(self) -> float:
        """Efficiency in percent, (E − 1) × 100."""
        return (self.amplification_factor - 1.0) * 100.0


def standard_curve(
    gene: str, log10_quantity: Sequence[float], ct: Sequence[float]
) -> StandardCurve:
    """Fit a standard curve (MIQE: slope, intercept, R² and efficiency are to be reported).

    Raises:
        ValueError: Fewer than three wells, or fewer than two distinct quantities.
    """
    n = len(ct)
    if n < 3 or len(set(log10_quantity)) < 2:
        raise ValueError(f"{gene}: a standard curve needs 3 or more wells at 2 or more quantities")
    mean_x = sum(log10_quantity) / n
    mean_y = sum(ct) / n
    sxx = sum((x - mean_x) ** 2 for x in log10_quantity)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(log10_quantity, ct, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_total = sum((y - mean_y) ** 2 for y in ct)
    ss_residual = sum(
        (y - (intercept + slope * x)) ** 2 for x, y in zip(log10_quantity, ct, strict=True)
    )
    r_squared = 1.0 - ss_residual / ss_total if ss_total > 0 else 1.0
    slope_se = math.sqrt(ss_residual / (n - 2) / sxx)
    return StandardCurve(gene=gene, slope=slope, intercept=intercept, r_squared=r_squared,
                         points=n, slope_se=slope_se)  # fmt: skip


class Design(StrEnum):
    """How target and reference Cts relate."""

    PAIRED = "same sample"  # every sample carries target and reference: ΔCt per sample
    SEPARATE = "separate wells"  # no samples: ΔCt from group means, SD propagated


class Interval(StrEnum):
    """What the low–high range beside a fold change is."""

    CI = "ci"  # a confidence interval of the fold change (t-based on ΔΔCt, back-transformed)
    SD = "sd"  # 2^-(ΔΔCt ± SD): ABI User Bulletin #2, Livak & Schmittgen 2001's tables
    QUANTSTUDIO = "quantstudio"  # Rq Min/Max as QuantStudio software computes them


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Choices of an analysis, echoed in its outputs.

    Attributes:
        reference_genes: Reference gene(s); several are combined by `combined_reference_ct`.
        control: The calibrator group.
        panels: Columns that split the data into independent panels (e.g. cell_line).
        welch: Welch's t-test instead of Student's (and instead of Dunnett's pooled error).
        correction: p-value correction over the family of every p-value shown beside a fold
            change (all panels, genes and comparisons); Benjamini–Hochberg by default.
        ct_cutoff: Cts above this are flagged (not removed).
        replicate_spread_limit: Technical replicates (one sample and gene) whose highest and
            lowest Ct are more than this many cycles apart are flagged.
        replicates: What the rows of a group are: "biological" (each sample, or each well when
            there is no sample column, is an independent replicate) or "technical" (all wells
            of a group come from one cDNA: fold changes with their spread, no test); "auto"
            decides from the data (see `relative_expression`).
        efficiencies: (gene, amplification factor) pairs; when every target and reference gene
            has one, the efficiency-corrected ratio (Pfaffl 2001) replaces 2^-ΔΔCt.
        interval: What fold_change_low/high are (`Interval`); a confidence interval by default.
        ci_level: Confidence level of the intervals.
        interaction: With panels, test per gene whether the change differs between panels.
        non_detects: What a unit without a Cq does ("strict", "exclude", "limit=CYCLES").
        block: A column whose values (experiments, runs, plates) are blocks of the design:
            groups are compared within blocks (`stats.block_contrasts`).
    """

    reference_genes: tuple[str, ...]
    control: str
    panels: tuple[str, ...] = ()
    welch: bool = False
    correction: Correction = Correction.BH
    ct_cutoff: float = 35.0
    replicate_spread_limit: float = REPLICATE_SPREAD_LIMIT
    replicates: str = "auto"
    efficiencies: tuple[tuple[str, float], ...] = ()
    interval: Interval = Interval.CI
    ci_level: float = 0.95
    interaction: bool = True  # test panel × group per gene where panels share groups
    # Units (samples, or wells) of a target without a Cq: "strict" tests a group only when every
    # unit has one; "exclude" tests the detected ones; a number sets their Cq to that cycle.
    non_detects: str = "strict"
    block: str = ""  # a column naming each sample's experiment, run or plate: a block
    # (gene, SE of log2 E, df) from standard curves: propagated into Pfaffl intervals.
    efficiency_se: tuple[tuple[str, float, int], ...] = ()

    def __post_init__(self) -> None:
        if self.replicates not in ("auto", "biological", "technical"):
            raise ValueError(
                f'replicates must be auto, biological or technical, not "{self.replicates}"'
            )
        if self.non_detects not in ("strict", "exclude") and self.non_detect_cq is None:
            raise ValueError(
                f'non-detects must be strict, exclude or limit=CYCLES, not "{self.non_detects}"'
            )
        if not 0.5 <= self.ci_level < 1.0:
            raise ValueError(f"the confidence level must be from 0.5 to 0.999, not {self.ci_level}")

    @property
    def non_detect_cq(self) -> float | None:
        """The cycle a non-detect is set to ("limit=40" -> 40.0), or None."""
        name, _, value = self.non_detects.partition("=")
        if name != "limit":
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        return number if 20 <= number <= 60 else None

    def efficiency(self, gene: str) -> float | None:
        """The amplification factor given for `gene` (2.0 = 100 %), if any."""
        return dict(self.efficiencies).get(gene)


@dataclass(frozen=True, kw_only=True)
class Expression:
    """The outputs of `relative_expression`: tables and notes, never changed once made.

    A stage that adds to them makes a new one (`dataclasses.replace`, `with_notes`).
    """

    design: Design
    expression: pd.DataFrame
    tests: pd.DataFrame
    samples: pd.DataFrame
    notes: tuple[str, ...] = ()
    method: str = ""  # the unit of replication, the tests and the interval (`replication_method`)
    interactions: tuple[str, ...] = ()  # panel × group interaction per gene, in words

    def with_notes(self, notes: Sequence[str]) -> Expression:
        """A copy with `notes` added."""
        return replace(self, notes=(*self.notes, *notes))


def _check(wells: pd.DataFrame, settings: Settings, source: str | None) -> None:
    genes = set(wells["gene"].unique().tolist())
    for gene in settings.reference_genes:
        if gene not in genes:
            raise InputError(
                f'reference gene "{gene}" is not in the table; genes are: '
                f"{', '.join(sorted(genes))}",
                path=source, column="gene",
            )  # fmt: skip
    groups = set(wells["group"].unique().tolist())
    if settings.control not in groups:
        raise InputError(
            f'control group "{settings.control}" is not in the table; groups are: '
            f"{', '.join(sorted(groups))}", path=source, column="group",
        )  # fmt: skip
    if not genes - set(settings.reference_genes):
        raise InputError("the table has only reference genes: nothing to quantify", path=source)
    measured_groups = set(wells.loc[wells["ct"].notna(), "group"].unique().tolist())
    for group in sorted(groups - measured_groups):
        first = int(wells.loc[wells["group"] == group, "row"].min())
        raise InputError(
            f'group "{group}" has no data: none of its wells has a Ct', path=source, row=first,
            column="ct",
        )  # fmt: skip


def inter_run_calibrated(
    wells: pd.DataFrame, calibrators: Sequence[str], *, source: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Remove each plate's offset per gene with inter-run calibrators (Hellemans et al. 2007).

    qbase+'s inter-run calibration on the Cq scale: for each gene and plate, the offset is the
    mean Cq of the calibrator samples' wells on that plate minus its mean over the plates; every
    Cq of that gene on that plate loses the offset. The calibrators are ordinary samples run on
    every plate (they stay in the analysis).

    Returns:
        The corrected wells and one sentence per gene giving the offsets.

    Raises:
        InputError: No plate column, or a plate without a calibrator for a gene it holds.
    """
    if "plate" not in wells or wells["plate"].astype(str).nunique() < 2:
        raise InputError("inter-run calibration needs wells from two or more plates (a plate "
                         "column, or several files)", path=source)  # fmt: skip
    is_irc = wells["sample"].astype(str).isin(calibrators) if "sample" in wells else None
    if is_irc is None or not is_irc.any():
        raise InputError(f"no well of the inter-run calibrator(s) {', '.join(calibrators)}",
                         path=source, column="sample")  # fmt: skip
    plates = wells["plate"].astype(str)
    corrected = wells.copy()
    said = []
    for gene in sorted(set(wells["gene"].astype(str))):
        mine = wells["gene"].astype(str) == gene
        means = wells[mine & is_irc].groupby(plates[mine & is_irc])["ct"].mean()
        for plate in sorted(set(plates[mine])):
            if plate not in means.index or means[plate] != means[plate]:
                raise InputError(
                    f"plate {plate} has no Cq of the inter-run calibrator(s) for {gene}: it "
                    "cannot be put on the common scale", path=source, column="sample",
                )  # fmt: skip
        offsets = means - float(means.mean())
        corrected.loc[mine, "ct"] = wells.loc[mine, "ct"] - plates[mine].map(offsets).astype(float)
        said.append(f"inter-run calibration {gene}: " + ", ".join(
            f"{p} {o:+.2f}" for p, o in offsets.items()) + " cycles removed")  # fmt: skip
    return corrected, said


def replicate_outliers(cts: Sequence[float], limit: float) -> list[bool]:
    """Mark the odd one out among technical replicates.

    The rule (documented, and applied only on request): a replicate is an outlier when it lies
    more than `limit` cycles from the median of its siblings, and those siblings (at least two)
    agree with each other within `limit`. With fewer than three replicates nothing is marked:
    there is no majority to trust.

    >>> replicate_outliers([24.1, 24.2, 25.9], 0.5)
    [False, False, True]
    """
    marks = []
    for i, ct in enumerate(cts):
        others = [c for j, c in enumerate(cts) if j != i and not math.isnan(c)]
        if math.isnan(ct) or len(others) < 2:
            marks.append(False)
            continue
        ordered = sorted(others)
        middle = len(ordered) // 2
        median = (
            ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        )
        marks.append(abs(ct - median) > limit and ordered[-1] - ordered[0] <= limit)
    return marks


def flag_wells(wells: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Return the wells with their flags: no Ct, Ct above the cutoff, replicates far apart.

    Flags never remove a well; only the ``exclude`` column does.
    """
    flagged = wells.copy()
    flags: list[list[str]] = [[] for _ in range(len(flagged))]
    for i, ct in enumerate(flagged["ct"]):
        if math.isnan(ct):
            flags[i].append("no Ct")
        elif ct > settings.ct_cutoff:
            flags[i].append(f"Ct above {settings.ct_cutoff:g}")
    keys = [*settings.panels, "group", "gene"] + (["sample"] if "sample" in flagged else [])
    if "sample" in flagged:
        grouped = flagged.groupby(keys, observed=True)["ct"]
        spread = grouped.transform("max") - grouped.transform("min")
        limit = settings.replicate_spread_limit
        for i, apart in enumerate(spread):
            if apart > limit:
                flags[i].append(f"replicates {apart:.2f} cycles apart (more than {limit:g})")
        position = {label: i for i, label in enumerate(flagged.index)}
        for _, replicates in flagged.groupby(keys, observed=True)["ct"]:
            marks = replicate_outliers(replicates.tolist(), limit)
            for label, odd in zip(replicates.index, marks, strict=True):
                if odd:
                    flags[position[label]].append("outlier among its replicates")
    if "qc_flag" in flagged:  # set by QC where the well is used despite a doubt
        for i, said in enumerate(flagged["qc_flag"].fillna("").astype(str)):
            if said:
                flags[i].append(said)
    flagged["flags"] = ["; ".join(f) for f in flags]
    result: pd.DataFrame = flagged
    return result


def drop_outliers(table: WellTable, settings: Settings) -> WellTable:
    """Move replicate outliers (see `replicate_outliers`) from the wells to the excluded list."""
    import pandas as pd

    flagged = flag_wells(table.wells, settings)
    odd = flagged["flags"].str.contains("outlier among its replicates", regex=False)
    moved = table.wells[odd.to_numpy()].assign(
        reason="outlier among its replicates (--drop-outliers)"
    )
    return WellTable(
        wells=table.wells[~odd.to_numpy()],
        excluded=pd.concat([table.excluded, moved], ignore_index=True),
        missing=table.missing,
        source=table.source,
    )


def relative_expression(
    wells: pd.DataFrame, settings: Settings, *, source: str | None = None
) -> Expression:
    """Compute ΔCt, ΔΔCt, fold changes, intervals and tests for every panel, target and group.

    The model (README, "Statistics"): technical replicates are averaged within their cDNA
    sample; a sample's reference is the mean of its reference genes' Cts; tests compare
    biological units (samples, or wells said to be independent) on ΔCt; a group with fewer than
    two units is described, not tested. Each group is compared with the calibrator: Student's
    t-test where a gene has one other group, Dunnett's test on the pooled error where it has
    several (Welch's t-test instead on request); one-way ANOVA and Tukey's HSD over all tested
    groups go to stats.csv. The p-values shown beside fold changes form one family, corrected
    by `Settings.correction`. Fold-change intervals follow `Settings.interval`.

    Args:
        wells: One row per usable well: columns ``group``, ``gene``, ``ct`` (float, NaN for no
            Ct), optional ``sample``, the panel columns, and ``row`` (the file row, for messages).
            Excluded wells must already be removed.
        settings: The analysis choices.
        source: The input file, for messages.

    Returns:
        The expression table (one row per panel, gene and group), the tests, and per-sample values.

    Raises:
        InputError: Reference gene or control group absent, a sample without its reference, or a
            group with no data.
    """
    import pandas as pd

    _check(wells, settings, source)
    limit = settings.non_detect_cq
    as_read = wells
    if limit is not None:  # a stated policy: target non-detects at the limit cycle
        target_nan = wells["ct"].isna() & ~wells["gene"].isin(settings.reference_genes)
        wells = wells.assign(ct=wells["ct"].where(~target_nan, limit))
    measured = wells.dropna(subset=["ct"])
    if settings.efficiencies:
        measured = _efficiency_adjusted(measured, settings)
    has_samples = (
        "sample" in measured.columns and measured["sample"].astype(str).str.len().gt(0).all()
    )
    design = Design.PAIRED if has_samples else Design.SEPARATE
    per_group = (
        int(
            measured.groupby([*settings.panels, "group", "gene"], observed=True)["sample"]
            .nunique()
            .max()
        )
        if has_samples and not measured.empty
        else 0
    )
    unit, tested = replication_unit(settings, design, per_group)
    panel_cols = list(settings.panels)
    refs = list(settings.reference_genes)
    targets = sorted(set(measured["gene"].unique().tolist()) - set(refs))
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    sample_rows: list[pd.DataFrame] = []
    panels = (
        measured.groupby(panel_cols, sort=True, observed=True) if panel_cols else [((), measured)]
    )
    undetected = _undetected(wells, design, panel_cols)
    for key, panel in panels:
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        panel_info = dict(zip(panel_cols, key if isinstance(key, tuple) else (key,), strict=True))
        part = _Panel(wells=panel, label=label, info=panel_info, unit=unit,
                      undetected=undetected.get(label, {}))  # fmt: skip
        compute = _paired if design is Design.PAIRED else _separate
        result = compute(part, refs, targets, settings, source=source, tested=tested)
        rows += result.rows
        tests += result.tests
        sample_rows += result.samples
    expression = pd.DataFrame(rows)
    samples = pd.concat(sample_rows, ignore_index=True) if sample_rows else pd.DataFrame()
    interactions = (
        _interactions(samples, settings) if tested and panel_cols and settings.interaction else []
    )
    test_frame = pd.DataFrame(tests + interactions)
    expression, test_frame = _corrected(expression, test_frame, settings)
    fate = "not used" if limit is None else f"set to Cq {limit:g}"
    expression = _with_detection(expression, as_read, panel_cols, set(refs), fate)
    method = replication_method(settings, design, per_group, test_frame)
    said = _interaction_notes(test_frame, settings)
    return Expression(design=design, expression=expression, tests=test_frame,
                      samples=samples, notes=(method,), method=method,
                      interactions=tuple(said))  # fmt: skip


INTERACTION = "interaction"  # stats.csv family of the panel × group interaction tests


def _interactions(samples: pd.DataFrame, settings: Settings) -> list[dict[str, Any]]:
    """Per gene: does the change against the calibrator differ between panels (two-way ANOVA)?

    The seed paper's question "does the treatment act differently on A431 and AGS?" is the
    panel × group interaction on ΔCt per sample (Livak's ΔΔCt differs between panels). Tested
    where at least two panels share at least two groups, samples being the unit.
    """
    if samples.empty:
        return []
    rows = []
    label = " / ".join(settings.panels)
    for gene, frame in samples.groupby("gene", observed=True, sort=True):
        per_panel = [set(f["group"]) for _, f in frame.groupby("panel", observed=True)]
        shared = set.intersection(*per_panel) if len(per_panel) >= 2 else set()
        if len(shared) < 2:
            continue
        used = frame[frame["group"].isin(shared)]
        result = interaction_test(
            used["delta_ct"].tolist(), used["panel"].astype(str).tolist(),
            used["group"].astype(str).tolist(),
            name="two-way ANOVA of ΔCt: interaction",
        )  # fmt: skip
        row = result.as_row("all panels", str(gene), f"{label} × group")
        row["family"] = INTERACTION
        rows.append(row)
    return rows


def _interaction_notes(tests: pd.DataFrame, settings: Settings) -> list[str]:
    """One sentence per gene whose interaction was tested, with the family-adjusted p."""
    if tests.empty or "family" not in tests:
        return []
    found = tests[tests["family"] == INTERACTION]
    if found.empty:
        return []
    adjusted = adjust(found["p_value"].tolist(), settings.correction)
    tests.loc[found.index, "p_adjusted"] = adjusted
    label = " / ".join(settings.panels)
    notes = []
    for row, p in zip(found.itertuples(), adjusted, strict=True):
        if not math.isfinite(p):
            continue
        verdict = (
            f"the change differs between {label} values" if p < 0.05
            else f"no evidence that the change differs between {label} values"
        )  # fmt: skip
        notes.append(
            f"{row.gene}: {label} × group interaction F({row.df_numerator:g}, {row.df:g}) = "
            f"{row.statistic:.2f}, p = {p:.2g} (two-way ANOVA of ΔCt, {settings.correction.value} "
            f"over genes): {verdict}"
        )
    return notes


# The columns of the expression table, in the order every output writes them: the one place
# they are named (expression.csv, analysis.json, the report and the console read them from here).
EXPRESSION_COLUMNS = (
    "panel", "gene", "group", "n", "unit", "delta_ct_mean", "delta_ct_sd", "delta_delta_ct",
    "fold_change", "fold_change_low", "fold_change_high", "interval", "fold_change_sample_mean",
    "fold_change_sample_sd", "test", "p_unadjusted", "p_value", "significance", "detection",
)  # fmt: skip
_TEXT_COLUMNS = ("unit", "interval", "test", "significance", "detection")
_NUMBER_COLUMNS = tuple(c for c in EXPRESSION_COLUMNS[4:] if c not in _TEXT_COLUMNS)
# The stats.csv family of the p-values shown beside fold changes.
SHOWN = "shown"


def _corrected(
    expression: pd.DataFrame, tests: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjust the shown p-values as one family and put them, with stars, beside the folds."""
    if expression.empty:
        return expression, tests
    if tests.empty or "family" not in tests:
        expression["p_unadjusted"] = math.nan
        expression["p_value"] = math.nan
        expression["significance"] = ""
        expression["test"] = expression.get("test", "")
        return expression, tests
    tests["p_adjusted"] = math.nan
    shown = tests.index[tests["family"] == SHOWN]
    raw = tests.loc[shown, "p_value"].tolist()
    tests.loc[shown, "p_adjusted"] = adjust(raw, settings.correction)
    by_key = {
        (r.panel, r.gene, r.comparison): (r.p_value, r.p_adjusted)
        for r in tests.loc[shown].itertuples()
    }
    found = [
        by_key.get((r.panel, r.gene, f"{r.group} vs {settings.control}"), (math.nan, math.nan))
        for r in expression.itertuples()
    ]
    expression["p_unadjusted"] = [raw for raw, _ in found]
    expression["p_value"] = [adjusted for _, adjusted in found]
    expression["significance"] = [stars(p) for p in expression["p_value"]]
    return expression, tests


def _with_detection(
    expression: pd.DataFrame, wells: pd.DataFrame, panel_cols: list[str], refs: set[str],
    fate: str = "not used",
) -> pd.DataFrame:  # fmt: skip
    """Say how many wells of each gene and group had a Ct; a row for every gene never detected.

    A target that no well of a group detected has no ΔCt, but it is a result ("not detected
    (3 of 3 wells)"), never a missing row; nothing is substituted for the missing Cts. A group
    where some wells had no Ct says "k of n wells with a Ct", so a shrunken n is never silent.
    """
    import pandas as pd

    keys = [*panel_cols, "gene", "group"]
    counts = wells.groupby(keys, observed=True)["ct"].agg(
        wells="size", without=lambda ct: int(ct.isna().sum())
    )
    rows: list[dict[str, Any]] = cast(
        "list[dict[str, Any]]", expression.to_dict(orient="records") if not expression.empty else []
    )
    for row in rows:
        if isinstance(row.get("detection"), str) and row["detection"]:
            continue  # already says why there is no value (not quantified)
        total, without = counts.loc[tuple(row[k] for k in keys)]
        row["detection"] = (
            f"{total - without} of {total} wells with a Ct ({without} without: {fate})"
            if without else ""
        )  # fmt: skip
    seen = {tuple(row[k] for k in keys) for row in rows}
    for index, (total, without) in counts.iterrows():
        key = tuple(index) if isinstance(index, tuple) else (index,)
        if key in seen or key[-2] in refs or without < total:
            continue
        info = dict(zip(keys, key, strict=True))
        rows.append({
            "panel": " / ".join(str(info[c]) for c in panel_cols), **info, "n": 0,
            **dict.fromkeys(_NUMBER_COLUMNS, math.nan), **dict.fromkeys(_TEXT_COLUMNS, ""),
            "detection": f"not detected ({without} of {total} wells without Ct)",
        })  # fmt: skip
    if not rows:
        empty: pd.DataFrame = expression.assign(detection="")
        return empty
    result: pd.DataFrame = (
        pd.DataFrame(rows).sort_values(["panel", "gene"], kind="stable").reset_index(drop=True)
    )
    return result


def replication_unit(settings: Settings, design: Design, per_group: int) -> tuple[str, bool]:
    """What n counts, and whether there is anything to test.

    Tests compare independent biological replicates. Technical replicates (wells of one cDNA)
    are averaged within their sample first; when a group holds one sample only, or the table has
    no sample column and nothing says its wells are independent, there is nothing to test: the
    fold changes are reported with the technical spread and no p-value.
    """
    if settings.replicates == "technical":
        return "one cDNA (wells are technical replicates)", False
    if design is Design.PAIRED:
        if per_group <= 1 and settings.replicates != "biological":
            return "one cDNA sample (wells are technical replicates)", False
        return "samples", True
    if settings.replicates == "biological":
        return "wells (each taken as a biological replicate)", True
    return "one cDNA (wells are technical replicates)", False


def replication_method(
    settings: Settings, design: Design, per_group: int, tests: pd.DataFrame
) -> str:
    """The methods sentence of what ran: unit, tests actually used, family, interval.

    Built from the tests that produced the numbers (stats.csv), so it never names a test that
    did not run.
    """
    _, tested = replication_unit(settings, design, per_group)
    level = f"{settings.ci_level * 100:g} %"
    intervals = {
        Interval.CI: f"low-high is the {level} confidence interval of the fold change "
        "(t-based on ΔΔCt, back-transformed; the calibrator's uncertainty included)",
        Interval.SD: "low-high is 2^-(ΔΔCt ± SD), the ΔCt SD (ABI User Bulletin #2), "
        "not a confidence interval",
        Interval.QUANTSTUDIO: f"low-high is Rq Min/Max as QuantStudio computes them ({level}, "
        "t-based on the group's own ΔCt SE; the calibrator's uncertainty left out)",
    }
    if settings.efficiencies:
        head = ("efficiency-corrected ratio (Pfaffl 2001): Cts scaled by log2 E of their gene "
                "before ΔCt, so ΔCt, tests and intervals are on that scale; ")  # fmt: skip
    else:
        head = ""
    if not tested:
        why = (
            "all wells of a group are technical replicates (--replicates technical)"
            if settings.replicates == "technical"
            else "n = 1 biological sample per group: technical replicates averaged"
            if design is Design.PAIRED
            else "no sample column: the wells of a group are taken as technical replicates of "
            "one sample (n = 1 biological sample per group). Add a sample column, or say "
            "--replicates biological if each well is its own sample"
        )
        return (
            f"{head}{why}; fold changes with their technical spread, no test; "
            + intervals[settings.interval]
        )
    ran = set(tests["test"].dropna()) if not tests.empty and "test" in tests else set()
    shown = (
        sorted(set(tests.loc[tests["family"] == SHOWN, "test"]))
        if not tests.empty and "family" in tests
        else []
    )
    where = (
        "technical replicates averaged within each cDNA sample; n counts samples"
        if design is Design.PAIRED
        else "no sample column: each well is taken as an independent biological replicate "
        "(--replicates biological); n counts wells; target and reference in separate wells, so "
        "each comparison is a contrast of cell means on the error pooled over the gene's cells "
        "(each reference gene its own cell)"
    )
    parts = [f"{head}{where}; groups with fewer than 2 units are described, not tested"]
    if shown:
        parts.append("each group vs the calibrator " + settings.control + " on ΔCt: "
                     + " or ".join(shown)
                     + (" (Dunnett's where a gene has several groups, pooled error)"
                        if any("Dunnett" in t for t in shown) else ""))  # fmt: skip
    extra = sorted(t for t in ran if t == "one-way ANOVA" or t.startswith("Tukey")
                   or "F-test" in t or "as block: group effect" in t)  # fmt: skip
    if extra:
        parts.append(" and ".join(extra) + " over all tested groups (stats.csv)")
    if not tests.empty and "family" in tests and bool((tests["family"] == INTERACTION).any()):
        parts.append(
            f"per gene, the {' / '.join(settings.panels)} × group interaction by two-way ANOVA "
            "of ΔCt (does the change differ between panels?)"
        )
    if shown:
        family = {
            Correction.NONE: "shown p-values not corrected across genes",
            Correction.HOLM: "shown p-values Holm-adjusted",
            Correction.BH: "shown p-values Benjamini–Hochberg-adjusted",
        }[settings.correction]
        parts.append(f"{family} as one family over every panel, gene and comparison")
    limit = settings.non_detect_cq
    parts.append(
        f"target non-detects set to Cq {limit:g} (--non-detects {settings.non_detects})"
        if limit is not None
        else "units without a Cq are left out and counted (--non-detects exclude)"
        if settings.non_detects == "exclude"
        else "a group is tested only when every unit has a Cq (non-detects counted beside the fold)"
    )
    parts.append(intervals[settings.interval])
    return "; ".join(parts)


def _efficiency_adjusted(measured: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Cts scaled by log2 E of their gene (Pfaffl 2001's ratio as a difference of logs).

    log2 of Pfaffl's ratio E_t^ΔCt_t / E_r^ΔCt_r is ΔCt_t · log2 E_t − ΔCt_r · log2 E_r, so
    2^-ΔΔ of Cts scaled by log2 E is the ratio exactly; several reference genes are the mean of
    their scaled Cts (the geometric mean of their ratios, Vandesompele et al. 2002). Design &
    Analysis software calls the scaled Cq "Adjusted EqCq". Tests and intervals then run on the
    corrected scale.

    Raises:
        InputError: Some genes have an efficiency and others not.
    """
    given = dict(settings.efficiencies)
    genes = set(measured["gene"].unique().tolist())
    missing = sorted(g for g in genes | set(settings.reference_genes) if g not in given)
    if missing:
        raise InputError(
            f"an efficiency is needed for every gene when any is given; missing: "
            f"{', '.join(missing)}"
        )
    scale = measured["gene"].map({g: math.log2(e) for g, e in given.items()}).astype(float)
    adjusted: pd.DataFrame = measured.assign(ct=measured["ct"] * scale)
    return adjusted


@dataclass(frozen=True, slots=True, kw_only=True)
class _Panel:
    """One panel's wells and how it is named in the outputs."""

    wells: pd.DataFrame
    label: str  # the panel values joined by " / "
    info: dict[str, Any]  # panel column -> value
    unit: str  # what n counts
    # (group, gene) -> (units without a Cq, units): samples, or wells without samples
    undetected: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class _PanelResult:
    """What one panel adds to the expression table, the tests and the per-sample values."""

    rows: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    samples: list[pd.DataFrame] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """The technical uncertainty of one ΔCt mean from its replicate wells.

    Attributes:
        sd: SD of a single ΔCt: √(s_t² + Σ s_r² / k²) for k reference genes in separate wells
            (ABI User Bulletin #2), the SD of the within-well ΔCt for multiplex wells.
        parts: Variance components of the mean (s² w² / n) with their df (n − 1), for the
            Welch–Satterthwaite df of a sum.
        pooled_df: Σ (n − 1) over the cells: QuantStudio's df (n_t + n_r − 2; n − 1 multiplex).
        cells: (weight, variance, wells) of each cell (target, then each reference gene), for
            pooling one gene's technical variance over two cDNAs (`pooled_parts`).
    """

    sd: float
    parts: tuple[tuple[float, float], ...]
    pooled_df: float
    cells: tuple[tuple[float, float, int], ...] = ()

    @property
    def variance(self) -> float:
        """Variance of the ΔCt mean."""
        return sum(c for c, _ in self.parts)


def spread_of_cells(target: np.ndarray, references: Sequence[np.ndarray]) -> Spread | None:
    """`Spread` of T̄ − mean_r R̄_r from replicate wells; None when a cell has fewer than 2."""
    cells = [(target, 1.0), *((r, 1.0 / len(references)) for r in references)]
    if any(c.size < 2 for c, _ in cells):
        return None
    sd = math.sqrt(sum(w**2 * float(c.var(ddof=1)) for c, w in cells))
    parts = tuple((w**2 * float(c.var(ddof=1)) / c.size, float(c.size - 1)) for c, w in cells)
    detail = tuple((w, float(c.var(ddof=1)), int(c.size)) for c, w in cells)
    return Spread(sd=sd, parts=parts, pooled_df=float(sum(c.size - 1 for c, _ in cells)),
                  cells=detail)  # fmt: skip


def pooled_parts(first: Spread, second: Spread) -> list[tuple[float, float]]:
    """Variance components of a difference of two cDNAs' ΔCt, each gene's SD pooled over both.

    The technical SD is the assay's (its pipetting and chemistry), the same in both cDNAs: each
    gene's variance is pooled over the two, s² = Σ(n − 1)s² / Σ(n − 1), and contributes
    w² s² (1/n₁ + 1/n₂) with n₁ + n₂ − 2 df. Without per-cell detail (multiplex wells), the
    components of the two are taken as they are.
    """
    if not first.cells or len(first.cells) != len(second.cells):
        return [*first.parts, *second.parts]
    parts = []
    for (w, v1, n1), (_, v2, n2) in zip(first.cells, second.cells, strict=True):
        pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
        parts.append((w**2 * pooled * (1 / n1 + 1 / n2), float(n1 + n2 - 2)))
    return parts


def spread_of_values(values: np.ndarray) -> Spread | None:
    """`Spread` of the mean of within-well ΔCts (multiplex) or of sample ΔCts."""
    if values.size < 2:
        return None
    var = float(values.var(ddof=1))
    return Spread(sd=math.sqrt(var), parts=((var / values.size, float(values.size - 1)),),
                  pooled_df=float(values.size - 1))  # fmt: skip


def satterthwaite_df(parts: Sequence[tuple[float, float]]) -> float:
    """Welch–Satterthwaite df of a sum of variance components (Satterthwaite 1946)."""
    total = sum(c for c, _ in parts)
    denominator = sum(c**2 / df for c, df in parts if df > 0)
    return total**2 / denominator if denominator > 0 else math.nan


def fold_interval(ddct_low: float, ddct_high: float) -> tuple[float, float]:
    """An interval of ΔΔCt as an interval of the fold change 2^-ΔΔCt (bounds swap)."""
    return fold_change(ddct_high), fold_change(ddct_low)


@dataclass(frozen=True, slots=True, kw_only=True)
class _GroupSummary:
    """One group of one gene: its ΔCt values (one per unit) and technical spread."""

    values: np.ndarray  # ΔCt per unit (sample, or the group's one value)
    spread: Spread | None  # technical, when the group is one cDNA
    # Target and reference sample means taken as unpaired (QuantStudio's biological groups).
    unpaired: Spread | None = None
    # Variance of ΔΔCt (log2 fold) from the efficiencies' uncertainty, and its smallest df.
    efficiency_var: float = 0.0
    efficiency_df: float = math.inf


def _interval(
    group: str, summary: _GroupSummary, calibrator: _GroupSummary, ddct: float, sd: float,
    shown: TestResult | None, settings: Settings,
) -> tuple[float, float, str]:  # fmt: skip
    """fold_change_low, fold_change_high and what they are, for one row."""
    level = settings.ci_level
    pct = f"{level * 100:g} %"
    is_calibrator = group == settings.control
    if settings.interval is Interval.SD:
        low, high = fold_change_range(ddct, 0.0 if math.isnan(sd) else sd)
        return low, high, "±1 SD" if not math.isnan(sd) else "no SD (one value)"
    n = summary.values.size
    if settings.interval is Interval.QUANTSTUDIO:
        if n >= 2 and summary.unpaired is not None:
            # Biological groups, as Design & Analysis: the samples' target and reference means
            # as two unpaired sets, SE = √(s_t²/n + s_r²/n), df 2n − 2.
            half = t_half_width(math.sqrt(summary.unpaired.variance), summary.unpaired.pooled_df,
                                level)  # fmt: skip
        elif n >= 2:
            se = float(summary.values.std(ddof=1)) / math.sqrt(n)
            half = t_half_width(se, n - 1, level)
        elif summary.spread is not None:
            half = t_half_width(math.sqrt(summary.spread.variance), summary.spread.pooled_df,
                                level)  # fmt: skip
        else:
            return math.nan, math.nan, "no interval: one well"
        low, high = fold_interval(ddct - half, ddct + half)
        return low, high, f"Rq Min/Max ({pct}, QuantStudio)"
    if shown is not None and math.isfinite(shown.ci_low):
        ci_low, ci_high = _with_efficiency(shown.ci_low, shown.ci_high, summary, level)
        low, high = fold_interval(ci_low, ci_high)
        kind = "simultaneous CI, Dunnett" if "Dunnett" in shown.test else "CI, " + shown.test
        return low, high, f"{pct} {kind}" + _efficiency_words(summary)
    if is_calibrator and n >= 2 and shown is None:
        half = t_half_width(float(summary.values.std(ddof=1)) / math.sqrt(n), n - 1, level)
        low, high = fold_interval(ddct - half, ddct + half)
        return low, high, f"{pct} CI of the calibrator's mean"
    if n == 1 and calibrator.values.size == 1:
        own, other = summary.spread, calibrator.spread
        if own is None or (not is_calibrator and other is None):
            return math.nan, math.nan, "no interval: fewer than 2 wells per gene"
        parts = list(own.parts) if is_calibrator or other is None else pooled_parts(own, other)
        half = t_half_width(math.sqrt(sum(c for c, _ in parts)), satterthwaite_df(parts), level)
        ci_low, ci_high = _with_efficiency(ddct - half, ddct + half, summary, level)
        low, high = fold_interval(ci_low, ci_high)
        return low, high, (f"{pct} CI from technical replicates (one cDNA per group)"
                           + _efficiency_words(summary))  # fmt: skip
    return math.nan, math.nan, "no interval: fewer than 2 units"


def _undetected(
    wells: pd.DataFrame, design: Design, panel_cols: list[str]
) -> dict[str, dict[tuple[str, str], tuple[int, int]]]:
    """Per panel label, (group, gene) -> (units without any Cq, units), where any is missing.

    Units are samples, or wells without samples.
    """
    keys = [*panel_cols, "group", "gene"]
    if design is Design.PAIRED:
        per_unit = wells.groupby([*keys, "sample"], observed=True)["ct"].agg(
            lambda ct: bool(ct.isna().all())
        )
    else:
        per_unit = wells.set_index(keys)["ct"].isna()
    counts = per_unit.groupby(level=keys, observed=True).agg(["sum", "size"])
    counts = counts[counts["sum"] > 0]
    found: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
    for index, m, n in zip(counts.index, counts["sum"], counts["size"], strict=True):
        key = index if isinstance(index, tuple) else (index,)
        label = " / ".join(str(k) for k in key[: len(panel_cols)])
        found.setdefault(label, {})[(str(key[-2]), str(key[-1]))] = (int(m), int(n))
    return found


def _not_tested(note: str) -> TestResult:
    return TestResult(test="", statistic=math.nan, df=math.nan, p_value=math.nan, note=note)


def _non_detect_note(missing: int, units: int) -> str:
    return (
        f"not tested: {units - missing} of {units} units have a Cq (non-detects; "
        "--non-detects exclude tests the detected ones, limit=CYCLES sets them)"
    )


def _with_efficiency(
    low: float, high: float, summary: _GroupSummary, level: float
) -> tuple[float, float]:
    """An interval of ΔΔCt widened by the efficiencies' uncertainty (delta method).

    The Cq part's half-width h and the efficiency part t_df·√var are added in quadrature,
    df the smallest of the standard curves' (n − 2).
    """
    if not summary.efficiency_var > 0:
        return low, high
    centre, half = (low + high) / 2, (high - low) / 2
    extra = t_half_width(math.sqrt(summary.efficiency_var), summary.efficiency_df, level)
    total = math.sqrt(half**2 + extra**2)
    return centre - total, centre + total


def _efficiency_words(summary: _GroupSummary) -> str:
    return ", efficiency uncertainty included" if summary.efficiency_var > 0 else ""


def _efficiency_variance(
    per_sample: pd.DataFrame, group: str, control: str, gene: str, refs: list[str],
    settings: Settings,
) -> tuple[float, float]:  # fmt: skip
    """Var(log2 ratio) from the efficiencies' SEs, and the smallest df (0, inf without them).

    log2 ratio = −(log2E_t · Δt − mean_r log2E_r · Δr), Δ the raw Cq change from the
    calibrator; ∂/∂log2E_t = −Δt, so Var = Δt² SE_t² + Σ_r (Δr / k)² SE_r² (delta method).
    """
    if not settings.efficiency_se or group == control:
        return 0.0, math.inf
    known = {g: (se, df) for g, se, df in settings.efficiency_se}
    variance, df = 0.0, math.inf
    groups = per_sample.index.get_level_values("group")
    for name, weight in ((gene, 1.0), *((r, 1.0 / len(refs)) for r in refs)):
        factor = settings.efficiency(name)
        if name not in known or factor is None or name not in per_sample:
            continue
        scaled = per_sample[name]
        change = float(scaled[groups == group].mean() - scaled[groups == control].mean())
        raw = change / math.log2(factor)
        se, curve_df = known[name]
        variance += (weight * raw) ** 2 * se**2
        df = min(df, float(curve_df))
    return variance, df


def compare_with_control(
    control: np.ndarray, others: dict[str, np.ndarray], settings: Settings,
    undetected: dict[str, tuple[int, int]] | None = None,
) -> dict[str, TestResult]:  # fmt: skip
    """Each group vs the calibrator on ΔCt: Student's t (one other group), Dunnett (several).

    With `undetected` (group -> (units without a Cq, units)) and the strict policy, a group
    whose units are not all detected is not tested, nor is anything when the calibrator is so.
    """
    blocked = {
        g: _non_detect_note(*counts)
        for g, counts in (undetected or {}).items()
        if settings.non_detects == "strict"
    }
    if settings.control in blocked:
        note = blocked[settings.control].replace("not tested:", "not tested: the calibrator:")
        return {g: _not_tested(note) for g in others}
    usable = {g: v for g, v in others.items() if v.size >= 2 and g not in blocked}
    results = {
        g: _not_tested(blocked.get(g, f"not tested: {v.size} unit (needs 2 or more): described "
                                      "only"))
        for g, v in others.items() if g not in usable
    }  # fmt: skip
    if control.size < 2:
        note = f"not tested: the calibrator has {control.size} unit (needs 2 or more)"
        return {g: _not_tested(note) for g in others}
    if settings.welch or len(usable) == 1:
        for group, values in usable.items():
            results[group] = two_groups(control.tolist(), values.tolist(), welch=settings.welch,
                                        level=settings.ci_level)  # fmt: skip
    elif usable:
        tested = dunnett(control.tolist(), {g: v.tolist() for g, v in usable.items()},
                         level=settings.ci_level)  # fmt: skip
        results.update(tested)
    return {g: results[g] for g in others}


def _row(
    part: _Panel, gene: str, group: str, summary: _GroupSummary, calibrator: _GroupSummary,
    shown: TestResult | None, settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    values = summary.values
    mean = float(values.mean())
    sd = (
        float(values.std(ddof=1)) if values.size > 1
        else summary.spread.sd if summary.spread is not None else math.nan
    )  # fmt: skip
    ddct = delta_delta_ct(mean, float(calibrator.values.mean()))
    low, high, what = _interval(group, summary, calibrator, ddct, sd, shown, settings)
    folds = fold_changes(values - float(calibrator.values.mean()))
    return {
        "panel": part.label, **part.info, "gene": gene, "group": group, "n": int(values.size),
        "unit": part.unit, "delta_ct_mean": mean, "delta_ct_sd": sd, "delta_delta_ct": ddct,
        "fold_change": fold_change(ddct), "fold_change_low": low, "fold_change_high": high,
        "interval": what,
        "fold_change_sample_mean": float(folds.mean()) if values.size > 1 else math.nan,
        "fold_change_sample_sd": float(folds.std(ddof=1)) if folds.size > 1 else math.nan,
        "test": "" if shown is None else (shown.note if shown.note else shown.test),
    }  # fmt: skip


def _test_rows(
    part: _Panel, gene: str, shown: dict[str, TestResult], control: str
) -> list[dict[str, Any]]:
    rows = []
    for group, result in shown.items():
        row = result.as_row(part.label, gene, f"{group} vs {control}")
        row["family"] = SHOWN if math.isfinite(result.p_value) else ""
        rows.append(row)
    return rows


def _anova_rows(
    part: _Panel, gene: str, groups: dict[str, np.ndarray], settings: Settings
) -> list[dict[str, Any]]:
    """One-way ANOVA and Tukey's HSD over the tested groups (3 or more), for stats.csv."""
    if len(groups) < 3:
        return []
    anova = anova_tukey({g: v.tolist() for g, v in groups.items()}, level=settings.ci_level)
    rows = [anova.anova.as_row(part.label, gene, "all tested groups")]
    for first, second, result in anova.pairs:
        rows.append(result.as_row(part.label, gene, f"{second} vs {first}"))
    return _with_tukey_family(rows)


def _with_tukey_family(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tukey's p are adjusted within their gene; the F-test row belongs to no family."""
    for row in rows:
        tukey = str(row["test"]).startswith("Tukey")
        row["family"] = "Tukey HSD: adjusted within the gene" if tukey else ""
    return rows


def _block_anova_rows(
    part: _Panel, gene: str, dct: pd.Series, blocks: pd.Series | None, settings: Settings
) -> list[dict[str, Any]]:
    """The group effect and Tukey's HSD in the block model (3 or more groups), for stats.csv."""
    if blocks is None:
        return []
    counts = dct.groupby(level="group", observed=True).size()
    kept = dct[dct.index.get_level_values("group").isin(counts[counts >= 2].index)]
    # The calibrator first, so each comparison reads "group vs calibrator" as elsewhere.
    keys = sorted(kept.index, key=lambda k: (k[0] != settings.control, natural_key(str(k[0]))))
    kept = kept.loc[keys]
    if len({g for g, _ in keys}) < 3:
        return []
    result = block_anova_tukey(
        kept.to_numpy(dtype=float).tolist(), [str(g) for g, _ in keys],
        [str(blocks[k]) for k in keys], level=settings.ci_level, block_name=settings.block,
    )  # fmt: skip
    rows = [result.anova.as_row(part.label, gene, "all tested groups")]
    rows += [r.as_row(part.label, gene, f"{b} vs {a}") for a, b, r in result.pairs]
    return _with_tukey_family(rows)


def _paired(
    part: _Panel, refs: list[str], targets: list[str], settings: Settings, *,
    source: str | None, tested: bool,
) -> _PanelResult:  # fmt: skip
    """ΔCt per sample (the same-sample design), then per group; tests over samples."""
    import pandas as pd

    panel = part.wells
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    sample_rows: list[pd.DataFrame] = []

    # Technical replicates → one Ct per sample and gene; the reference of a sample is the mean of
    # its reference genes' means.
    per_sample = (
        panel.groupby(["group", "sample", "gene"], sort=True, observed=True)["ct"]
        .mean()
        .unstack("gene")
    )
    first_row = panel.groupby(["group", "sample"], observed=True)["row"].min()
    blocks = _blocks_of(panel, settings, source)
    for gene in refs:
        missing = per_sample[gene].isna() if gene in per_sample else None
        if missing is None or missing.any():
            where = per_sample.index[missing] if missing is not None else per_sample.index
            group, sample = where[0]
            raise InputError(
                f'sample "{sample}" of group "{group}" has no Ct for reference gene "{gene}"',
                path=source, row=int(first_row[(group, sample)]), column="gene",
            )  # fmt: skip
    reference = per_sample[refs].mean(axis=1)
    within: pd.DataFrame | None = None
    if "pair" in panel.columns and panel["pair"].astype(str).str.len().gt(0).all():
        # Multiplex: target and reference in one well. ΔCt within each well, then averaged over
        # the sample's wells (technical replicates), so a sample is still one unit.
        per_pair = (
            panel.groupby(["group", "sample", "pair", "gene"], sort=True, observed=True)["ct"]
            .mean()
            .unstack("gene")
        )
        within = per_pair.sub(per_pair[refs].mean(axis=1), axis=0)
    cells = {
        key: frame["ct"].to_numpy(dtype=float)
        for key, frame in panel.groupby(["group", "sample", "gene"], observed=True)
    }
    groups = list(
        dict.fromkeys(
            [settings.control, *sorted(panel["group"].unique().tolist(), key=natural_key)]
        )
    )
    for gene in targets:
        if gene not in per_sample:
            continue
        if within is not None:
            in_well = within[gene].dropna()
            dct = in_well.groupby(level=["group", "sample"], observed=True).mean()
        else:
            dct = (per_sample[gene] - reference).dropna()
        summaries: dict[str, _GroupSummary] = {}
        for group in groups:
            if group not in dct.index.get_level_values("group"):
                continue
            values = dct.xs(group, level="group")
            spread = None
            if values.size == 1:
                sample = values.index[0]
                if within is not None:
                    here = in_well[
                        (in_well.index.get_level_values("group") == group)
                        & (in_well.index.get_level_values("sample") == sample)
                    ]
                    spread = spread_of_values(here.to_numpy(float))
                else:
                    spread = spread_of_cells(
                        cells.get((group, sample, gene), np.empty(0)),
                        [cells.get((group, sample, r), np.empty(0)) for r in refs],
                    )
            unpaired = None
            if values.size >= 2 and within is None:
                means = per_sample.xs(group, level="group").loc[values.index]
                unpaired = spread_of_cells(means[gene].to_numpy(float),
                                           [reference.xs(group, level="group")
                                            .loc[values.index].to_numpy(float)])  # fmt: skip
            variance, df = _efficiency_variance(per_sample, group, settings.control, gene, refs,
                                                settings)  # fmt: skip
            summaries[group] = _GroupSummary(
                values=values.to_numpy(dtype=float),
                spread=spread,
                unpaired=unpaired,
                efficiency_var=variance,
                efficiency_df=df,
            )
        if settings.control not in summaries:
            groups_seen = [str(g) for g in summaries] or [settings.control]
            rows.extend(_unquantified(part.label, part.info, gene, groups_seen, settings.control))
            continue
        calibrator = summaries[settings.control]
        others = {g: s.values for g, s in summaries.items() if g != settings.control}
        lost = {g: part.undetected[(g, gene)] for g in summaries if (g, gene) in part.undetected}
        if tested and settings.block:
            shown = _blocked(dct, blocks, settings)
        else:
            shown = (
                compare_with_control(calibrator.values, others, settings, lost) if tested else {}
            )
        for group, summary in summaries.items():
            rows.append(_row(part, gene, group, summary, calibrator, shown.get(group), settings))
            values = dct.xs(group, level="group")
            sample_rows.append(pd.DataFrame({
                "panel": part.label, **part.info, "gene": gene, "group": group,
                "sample": values.index.to_numpy(), "delta_ct": values.to_numpy(dtype=float),
                "fold_change": fold_changes(values.to_numpy(dtype=float)
                                            - float(calibrator.values.mean())),
            }))  # fmt: skip
        if tested:
            tests += _test_rows(part, gene, shown, settings.control)
            usable = {g: s.values for g, s in summaries.items() if s.values.size >= 2}
            if settings.block:
                tests += _block_anova_rows(part, gene, dct, blocks, settings)
            else:
                tests += _anova_rows(part, gene, usable, settings)
    return _PanelResult(rows=rows, tests=tests, samples=sample_rows)


def _blocks_of(panel: pd.DataFrame, settings: Settings, source: str | None) -> pd.Series | None:
    """Each (group, sample)'s block, or None without blocks.

    Raises:
        InputError: The block column is missing, or a sample spans several blocks.
    """
    if not settings.block:
        return None
    if settings.block not in panel:
        raise InputError(f'the block column "{settings.block}" is not in the table', path=source)
    spans = panel.groupby(["group", "sample"], observed=True)[settings.block].nunique()
    if (spans > 1).any():
        group, sample = spans.index[spans > 1][0]
        raise InputError(
            f'sample "{sample}" of group "{group}" lies in several {settings.block} values: a '
            "sample belongs to one block", path=source, column=settings.block,
        )  # fmt: skip
    blocks: pd.Series = panel.groupby(["group", "sample"], observed=True)[settings.block].first()
    return blocks


def _blocked(dct: pd.Series, blocks: pd.Series | None, settings: Settings) -> dict[str, TestResult]:
    """Each group vs the calibrator within blocks (`stats.block_contrasts`)."""
    if blocks is None:
        return {}
    keys = list(dct.index)
    results = block_contrasts(
        dct.to_numpy(dtype=float).tolist(), [str(g) for g, _ in keys],
        [str(blocks[k]) for k in keys], settings.control, level=settings.ci_level,
        block_name=settings.block,
    )  # fmt: skip
    return results


def _unquantified(
    label: str, panel_info: dict[str, Any], gene: str, groups: list[str], control: str
) -> list[dict[str, Any]]:
    """Rows saying a gene could not be quantified (no Ct in the calibrator); the others go on."""
    reason = f"not quantified: no Ct in the calibrator group {control}"
    return [
        {"panel": label, **panel_info, "gene": gene, "group": group, "n": 0,
         **dict.fromkeys(_NUMBER_COLUMNS, math.nan), **dict.fromkeys(_TEXT_COLUMNS, ""),
         "detection": reason}
        for group in groups
    ]  # fmt: skip


def _separate(
    part: _Panel, refs: list[str], targets: list[str], settings: Settings, *,
    source: str | None, tested: bool,
) -> _PanelResult:  # fmt: skip
    """ΔCt from cell means (no samples): T̄ − mean of the reference genes' R̄, per group.

    Each reference gene is its own cell. With wells taken as biological replicates, each group
    is compared with the calibrator by a contrast of cell means on the error pooled over every
    cell of the gene's tested groups (Dunnett's adjustment where there are several groups; the
    contrasts share the calibrator's cells, which gives Dunnett's product correlation), and the
    F-test of equal ΔCt across groups stands for the one-way ANOVA.
    """
    panel = part.wells
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    cells: dict[tuple[str, str], np.ndarray] = {
        (str(group), str(gene)): frame["ct"].to_numpy(dtype=float)
        for (group, gene), frame in panel.groupby(["group", "gene"], observed=True)
    }
    groups = list(dict.fromkeys([settings.control, *sorted(set(panel["group"]), key=natural_key)]))
    for group in groups:
        if any((group, r) not in cells for r in refs):
            raise InputError(
                f'group "{group}" has no Ct for a reference gene ({", ".join(refs)})'
                + (f" in panel {part.label}" if part.label else ""), path=source, column="gene",
            )  # fmt: skip
    k = len(refs)
    for gene in targets:
        if (settings.control, gene) not in cells:
            groups_seen = [g for g in groups if (g, gene) in cells] or [settings.control]
            rows.extend(_unquantified(part.label, part.info, gene, groups_seen, settings.control))
            continue
        present = [g for g in groups if (g, gene) in cells]
        summaries = {
            g: _GroupSummary(
                values=np.array([float(cells[(g, gene)].mean())
                                 - combined_reference_ct([float(cells[(g, r)].mean())
                                                          for r in refs])]),
                spread=spread_of_cells(cells[(g, gene)], [cells[(g, r)] for r in refs]),
            )
            for g in present
        }  # fmt: skip
        calibrator = summaries[settings.control]
        shown: dict[str, TestResult] = {}
        if tested:
            shown = _separate_contrasts(gene, present, cells, refs, settings, part.undetected)
            tests += _test_rows(part, gene, shown, settings.control)
        for group in present:
            row = _row(part, gene, group, summaries[group], calibrator, shown.get(group), settings)
            row["n"] = int(cells[(group, gene)].size)
            rows.append(row)
        if tested:
            usable = [g for g in present
                      if all(cells[(g, x)].size >= 2 for x in [gene, *refs])]  # fmt: skip
            if len(usable) >= 3 and settings.control in usable:
                frame = _cells_of(usable, gene, refs, cells)
                weights = np.array([_delta_weights(frame, g, gene, refs, settings.control, k)
                                    for g in usable if g != settings.control])  # fmt: skip
                f_test = contrasts_f_test(frame.cells, weights, "one-way ANOVA of ΔCt (F-test of "
                                          "the gene × group interaction)")  # fmt: skip
                rows_f = [f_test.as_row(part.label, gene, "all tested groups")]
                rows_f += _separate_tukey(part, gene, usable, frame, refs, settings)
                tests += _with_tukey_family(rows_f)
    return _PanelResult(rows=rows, tests=tests)


def _separate_tukey(
    part: _Panel, gene: str, groups: list[str], frame: _CellFrame, refs: list[str],
    settings: Settings,
) -> list[dict[str, Any]]:  # fmt: skip
    """Tukey's HSD between every pair of groups' ΔCt, each a contrast of cell means."""
    k = len(refs)
    weights = np.array([_delta_weights(frame, g, gene, refs, settings.control, k)
                        if g != settings.control else [0.0] * len(frame.index)
                        for g in groups])  # fmt: skip
    cells = frame.cells
    covariance = weights @ np.diag(1.0 / cells.sizes) @ weights.T * cells.mse
    pairs = tukey_of_estimates(
        groups, weights @ cells.means, covariance, cells.df, level=settings.ci_level,
        name="Tukey–Kramer HSD (ΔCt contrasts of cell means)",
    )  # fmt: skip
    return [r.as_row(part.label, gene, f"{b} vs {a}") for a, b, r in pairs]


@dataclass(frozen=True, slots=True, kw_only=True)
class _CellFrame:
    """Cells of the tested groups of one gene, and where each (group, gene) sits."""

    cells: Cells
    index: dict[tuple[str, str], int]


def _cells_of(
    groups: list[str], gene: str, refs: list[str], cells: dict[tuple[str, str], np.ndarray]
) -> _CellFrame:
    keys = [(g, x) for g in groups for x in [gene, *refs]]
    return _CellFrame(cells=Cells.of([cells[key] for key in keys]),
                      index={key: i for i, key in enumerate(keys)})  # fmt: skip


def _delta_weights(
    frame: _CellFrame, group: str, gene: str, refs: list[str], control: str, k: int
) -> list[float]:
    """Weights of ΔCt(group) − ΔCt(control) over the cells."""
    weights = [0.0] * len(frame.index)
    for where, sign in ((group, 1.0), (control, -1.0)):
        weights[frame.index[(where, gene)]] += sign
        for r in refs:
            weights[frame.index[(where, r)]] -= sign / k
    return weights


def _separate_contrasts(
    gene: str, present: list[str], cells: dict[tuple[str, str], np.ndarray],
    refs: list[str], settings: Settings, undetected: dict[tuple[str, str], tuple[int, int]],
) -> dict[str, TestResult]:  # fmt: skip
    """Each group vs the calibrator: t of the contrast (one group), Dunnett (several)."""
    k = len(refs)
    control = settings.control

    def enough(g: str) -> bool:
        return all(cells[(g, x)].size >= 2 for x in [gene, *refs])

    others = [g for g in present if g != control]
    strict = settings.non_detects == "strict"
    blocked = {g: _non_detect_note(*undetected[(g, gene)]) for g in present
               if strict and (g, gene) in undetected}  # fmt: skip
    if control in blocked:
        note = blocked[control].replace("not tested:", "not tested: the calibrator:")
        return {g: _not_tested(note) for g in others}
    if not enough(control):
        note = "not tested: the calibrator needs at least 2 wells per gene"
        return {g: _not_tested(note) for g in others}
    usable = [g for g in others if enough(g) and g not in blocked]
    results = {
        g: _not_tested(blocked.get(g, "not tested: needs at least 2 wells per gene: described "
                                      "only"))
        for g in others if g not in usable
    }  # fmt: skip
    frame = _cells_of([control, *usable], gene, refs, cells)
    weights = {g: _delta_weights(frame, g, gene, refs, control, k) for g in usable}
    if settings.welch or len(usable) == 1:
        for g in usable:
            results[g] = contrast(frame.cells, weights[g], welch=settings.welch,
                                  level=settings.ci_level)  # fmt: skip
    elif usable:
        control_weights = [0.0] * len(frame.index)
        control_weights[frame.index[(control, gene)]] = 1.0
        for r in refs:
            control_weights[frame.index[(control, r)]] = -1.0 / k
        shared = frame.cells.variance_factor(control_weights)
        own = [frame.cells.variance_factor(weights[g]) - shared for g in usable]
        tested = many_to_one([frame.cells.estimate(weights[g]) for g in usable], own, shared,
                             frame.cells.mse, frame.cells.df, level=settings.ci_level)  # fmt: skip
        results.update(zip(usable, tested, strict=True))
    return {g: results[g] for g in others}
