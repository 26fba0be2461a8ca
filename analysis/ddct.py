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
    Correction,
    adjust,
    anova_tukey,
    contrast_of_cells,
    stars,
    two_groups,
)
from assay.analysis.wells import WellTable
from assay.errors import InputError

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
    return StandardCurve(gene=gene, slope=slope, intercept=intercept, r_squared=r_squared, points=n)


class Design(StrEnum):
    """How target and reference Cts relate."""

    PAIRED = "same sample"  # every sample carries target and reference: ΔCt per sample
    SEPARATE = "separate wells"  # no samples: ΔCt from group means, SD propagated


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Choices of an analysis, echoed in its outputs.

    Attributes:
        reference_genes: Reference gene(s); several are combined by `combined_reference_ct`.
        control: The calibrator group.
        panels: Columns that split the data into independent panels (e.g. cell_line).
        welch: Welch's t-test instead of Student's.
        correction: p-value correction across genes within a panel and comparison.
        ct_cutoff: Cts above this are flagged (not removed).
        replicate_spread_limit: Technical replicates (one sample and gene) whose highest and
            lowest Ct are more than this many cycles apart are flagged.
        replicates: What the rows of a group are: "biological" (each sample, or each well when
            there is no sample column, is an independent replicate) or "technical" (all wells
            of a group come from one cDNA: fold changes with their spread, no test); "auto"
            decides from the data (see `relative_expression`).
        efficiencies: (gene, amplification factor) pairs; when every target and reference gene
            has one, the efficiency-corrected ratio (Pfaffl 2001) replaces 2^-ΔΔCt.
    """

    reference_genes: tuple[str, ...]
    control: str
    panels: tuple[str, ...] = ()
    welch: bool = False
    correction: Correction = Correction.NONE
    ct_cutoff: float = 35.0
    replicate_spread_limit: float = REPLICATE_SPREAD_LIMIT
    replicates: str = "auto"

    def __post_init__(self) -> None:
        if self.replicates not in ("auto", "biological", "technical"):
            raise ValueError(
                f'replicates must be auto, biological or technical, not "{self.replicates}"'
            )

    efficiencies: tuple[tuple[str, float], ...] = ()

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
    method: str = ""  # the unit of replication, n and the tests (`replication_method`)

    def with_notes(self, notes: Sequence[str]) -> Expression:
        """A copy with `notes` added."""
        return replace(self, notes=(*self.notes, *notes))


def _fold_columns(ddct: float, sd: float) -> dict[str, float]:
    low, high = fold_change_range(ddct, sd)
    return {"fold_change": fold_change(ddct), "fold_change_low": low, "fold_change_high": high}


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
    """Compute ΔCt, ΔΔCt, fold changes and tests for every panel, target gene and group.

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
    measured = wells.dropna(subset=["ct"])
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
    method, tested = replication_method(settings, design, per_group)
    panel_cols = list(settings.panels)
    refs = list(settings.reference_genes)
    targets = sorted(set(measured["gene"].unique().tolist()) - set(refs))
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    sample_rows: list[pd.DataFrame] = []
    panels = (
        measured.groupby(panel_cols, sort=True, observed=True) if panel_cols else [((), measured)]
    )
    for key, panel in panels:
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        panel_info = dict(zip(panel_cols, key if isinstance(key, tuple) else (key,), strict=True))
        part = _Panel(wells=panel, label=label, info=panel_info)
        compute = _paired if design is Design.PAIRED else _separate
        result = compute(part, refs, targets, settings, source=source, tested=tested)
        rows += result.rows
        tests += result.tests
        sample_rows += result.samples
    expression = pd.DataFrame(rows)
    samples = pd.concat(sample_rows, ignore_index=True) if sample_rows else pd.DataFrame()
    if settings.efficiencies and not expression.empty:
        samples = _apply_pfaffl(expression, measured, settings, panel_cols, samples)
    test_frame = pd.DataFrame(tests)
    if not test_frame.empty:
        test_frame["p_adjusted"] = math.nan
        for _, index in test_frame.groupby(["panel", "comparison"], observed=True).groups.items():
            test_frame.loc[index, "p_adjusted"] = adjust(
                test_frame.loc[index, "p_value"].tolist(), settings.correction
            )
        p_for = {
            (r.panel, r.gene, r.comparison): r.p_adjusted
            if settings.correction is not Correction.NONE else r.p_value
            for r in test_frame.itertuples()
        }  # fmt: skip
        expression["p_value"] = [
            p_for.get((r.panel, r.gene, f"{r.group} vs {settings.control}"), math.nan)
            for r in expression.itertuples()
        ]
        expression["significance"] = [stars(p) for p in expression["p_value"]]
    if "p_value" not in expression:
        expression["p_value"] = math.nan
        expression["significance"] = ""
    expression = _with_detection(expression, wells, panel_cols, set(refs))
    return Expression(design=design, expression=expression, tests=test_frame,
                      samples=samples, notes=(method,), method=method)  # fmt: skip


# The columns of the expression table, in the order every output writes them: the one place
# they are named (expression.csv, analysis.json, the report and the console read them from here).
EXPRESSION_COLUMNS = (
    "panel", "gene", "group", "n", "delta_ct_mean", "delta_ct_sd", "delta_delta_ct",
    "fold_change", "fold_change_low", "fold_change_high", "fold_change_sample_mean",
    "fold_change_sample_sd", "p_value", "significance", "detection",
)  # fmt: skip
_NUMBER_COLUMNS = tuple(c for c in EXPRESSION_COLUMNS[4:] if c not in ("significance", "detection"))


def _with_detection(
    expression: pd.DataFrame, wells: pd.DataFrame, panel_cols: list[str], refs: set[str]
) -> pd.DataFrame:
    """Add how many wells had no Ct to each row, and a row for every gene and group never detected.

    A target that no well of a group detected has no ΔCt, but it is a result ("not detected
    (3 of 3 wells)"), never a missing row; nothing is substituted for the missing Cts.
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
        row["detection"] = f"{without} of {total} wells without Ct" if without else ""
    seen = {tuple(row[k] for k in keys) for row in rows}
    for index, (total, without) in counts.iterrows():
        key = tuple(index) if isinstance(index, tuple) else (index,)
        if key in seen or key[-2] in refs or without < total:
            continue
        info = dict(zip(keys, key, strict=True))
        rows.append({
            "panel": " / ".join(str(info[c]) for c in panel_cols), **info, "n": 0,
            **dict.fromkeys(_NUMBER_COLUMNS, math.nan), "significance": "",
            "detection": f"not detected ({without} of {total} wells without Ct)",
        })  # fmt: skip
    if not rows:
        empty: pd.DataFrame = expression.assign(detection="")
        return empty
    result: pd.DataFrame = (
        pd.DataFrame(rows).sort_values(["panel", "gene"], kind="stable").reset_index(drop=True)
    )
    return result


def replication_method(settings: Settings, design: Design, per_group: int) -> tuple[str, bool]:
    """Say what n counts and which tests run; return (that sentence, whether tests run).

    Tests compare independent biological replicates. Technical replicates (wells of one cDNA)
    are averaged within their sample first; when a group holds one sample only, or the table has
    no sample column and nothing says its wells are independent, there is nothing to test: the
    fold changes are reported with the technical spread and no p-value.
    """
    test = "Welch's" if settings.welch else "Student's"
    tests = (
        f"groups compared on ΔCt with {test} two-sided t-test (one-way ANOVA with Tukey's HSD "
        "where there are more than two groups)"
    )
    if settings.replicates == "technical":
        return (
            "all wells of a group are technical replicates (--replicates technical): fold "
            "changes with their technical spread, no test"
        ), False
    if design is Design.PAIRED:
        if per_group <= 1 and settings.replicates != "biological":
            return (
                "n = 1 biological sample per group: technical replicates averaged, fold changes "
                "with their technical spread, no test"
            ), False
        return (
            f"technical replicates averaged within each cDNA sample; n counts samples; {tests}"
        ), True
    if settings.replicates == "biological":
        return (
            f"no sample column: each well is taken as an independent biological replicate "
            f"(--replicates biological); n counts wells; {tests}"
        ), True
    return (
        "no sample column: the wells of a group are taken as technical replicates of one sample "
        "(n = 1 biological sample per group): fold changes with their technical spread, no test. "
        "Add a sample column, or say --replicates biological if each well is its own sample"
    ), False


def _apply_pfaffl(
    expression: pd.DataFrame, measured: pd.DataFrame, settings: Settings, panel_cols: list[str],
    samples: pd.DataFrame,
) -> pd.DataFrame:  # fmt: skip
    """Replace 2^-ΔΔCt by Pfaffl's efficiency-corrected ratio, from group mean Cts (in place).

    With several reference genes the normaliser is the geometric mean of their ratios
    (Vandesompele et al. 2002). The 2^-(ΔΔCt ± s) range does not apply and is left empty. Per
    sample (when there are samples) the same ratio is taken with the sample's own Cts against
    the control group's mean Cts, so the per-sample folds and their mean and SD are corrected
    too; the samples are returned with those folds.
    """
    refs = list(settings.reference_genes)
    given = dict(settings.efficiencies)
    missing = sorted({g for g in [*refs, *expression["gene"]] if g not in given})
    if missing:
        raise InputError(
            f"an efficiency is needed for every gene when any is given; missing: "
            f"{', '.join(missing)}"
        )
    keys = [*panel_cols, "group", "gene"]
    means = measured.groupby(keys, observed=True)["ct"].mean()

    def relative(panel_values: tuple[Any, ...], group: str, gene: str) -> float:
        """E^(Ct in the control − Ct in the group): the gene's ratio, group over control."""
        control_key = (*panel_values, settings.control, gene)
        group_key = (*panel_values, group, gene)
        if control_key not in means.index or group_key not in means.index:
            return math.nan  # not measured in the calibrator or the group: not quantified
        return float(given[gene] ** (float(means[control_key]) - float(means[group_key])))

    ratios = []
    for row in expression.to_dict(orient="records"):
        where = tuple(row[c] for c in panel_cols)
        normaliser = math.prod(relative(where, row["group"], r) for r in refs) ** (1.0 / len(refs))
        ratios.append(relative(where, row["group"], row["gene"]) / normaliser)
    expression["fold_change"] = ratios
    expression["fold_change_low"] = math.nan
    expression["fold_change_high"] = math.nan
    if samples.empty:
        return samples
    sample_cts = measured.groupby([*panel_cols, "group", "sample", "gene"], observed=True)[
        "ct"
    ].mean()

    def per_sample(where: tuple[Any, ...], group: str, sample: str, gene: str) -> float:
        control_key = (*where, settings.control, gene)
        sample_key = (*where, group, sample, gene)
        if control_key not in means.index or sample_key not in sample_cts.index:
            return math.nan
        return float(given[gene] ** (float(means[control_key]) - float(sample_cts[sample_key])))

    folds = []
    for row in samples.to_dict(orient="records"):
        where = tuple(row[c] for c in panel_cols)
        group, sample = str(row["group"]), str(row["sample"])
        normaliser = math.prod(per_sample(where, group, sample, r) for r in refs) ** (1 / len(refs))
        folds.append(per_sample(where, group, sample, str(row["gene"])) / normaliser)
    corrected: pd.DataFrame = samples.assign(fold_change=folds)
    spread = corrected.groupby([*panel_cols, "gene", "group"], observed=True)["fold_change"]
    mean, sd = spread.mean(), spread.std(ddof=1)
    rows = [
        tuple(row[c] for c in [*panel_cols, "gene", "group"])
        for row in expression.to_dict(orient="records")
    ]
    expression["fold_change_sample_mean"] = [float(mean.get(k, math.nan)) for k in rows]
    expression["fold_change_sample_sd"] = [float(sd.get(k, math.nan)) for k in rows]
    return corrected


@dataclass(frozen=True, slots=True, kw_only=True)
class _Panel:
    """One panel's wells and how it is named in the outputs."""

    wells: pd.DataFrame
    label: str  # the panel values joined by " / "
    info: dict[str, Any]  # panel column -> value


@dataclass(frozen=True, slots=True, kw_only=True)
class _PanelResult:
    """What one panel adds to the expression table, the tests and the per-sample values."""

    rows: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    samples: list[pd.DataFrame] = field(default_factory=list)


def _paired(
    part: _Panel, refs: list[str], targets: list[str], settings: Settings, *,
    source: str | None, tested: bool,
) -> _PanelResult:  # fmt: skip
    """ΔCt per sample (the same-sample design), then per group; tests over samples."""
    import pandas as pd

    panel, label, panel_info = part.wells, part.label, part.info
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    sample_rows: list[pd.DataFrame] = []

    # Technical replicates → one Ct per sample and gene.
    per_sample = (
        panel.groupby(["group", "sample", "gene"], sort=True, observed=True)["ct"]
        .mean()
        .unstack("gene")
    )
    first_row = panel.groupby(["group", "sample"], observed=True)["row"].min()
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
    per_pair = None
    if "pair" in panel.columns and panel["pair"].astype(str).str.len().gt(0).all():
        # Multiplex: target and reference in one well. ΔCt within each well, then averaged over
        # the sample's wells (technical replicates), so a sample is still one unit.
        per_pair = (
            panel.groupby(["group", "sample", "pair", "gene"], sort=True, observed=True)["ct"]
            .mean()
            .unstack("gene")
        )
    groups = list(dict.fromkeys([settings.control, *sorted(panel["group"].unique().tolist())]))
    for gene in targets:
        if gene not in per_sample:
            continue
        if per_pair is not None:
            within = (per_pair[gene] - per_pair[refs].mean(axis=1)).dropna()
            dct = within.groupby(level=["group", "sample"], observed=True).mean()
        else:
            dct = (per_sample[gene] - reference).dropna()
        by_group = {
            g: dct.xs(g, level="group") for g in groups if g in dct.index.get_level_values("group")
        }
        if settings.control not in by_group or by_group[settings.control].empty:
            groups_seen = [str(g) for g in by_group] or [settings.control]
            rows.extend(_unquantified(label, panel_info, gene, groups_seen, settings.control))
            continue
        calibrator = float(by_group[settings.control].mean())
        for group, values in by_group.items():
            mean, sd = (
                float(values.mean()),
                float(values.std(ddof=1)) if values.size > 1
                else _technical_sd(panel, group, str(values.index[0]), gene, refs, per_pair),
            )  # fmt: skip
            ddct = delta_delta_ct(mean, calibrator)
            folds = fold_changes(values.to_numpy(dtype=float) - calibrator)
            rows.append({
                "panel": label, **panel_info, "gene": gene, "group": group, "n": int(values.size),
                "delta_ct_mean": mean, "delta_ct_sd": sd, "delta_delta_ct": ddct,
                **_fold_columns(ddct, 0.0 if math.isnan(sd) else sd),
                "fold_change_sample_mean": float(folds.mean()),
                "fold_change_sample_sd": float(folds.std(ddof=1)) if folds.size > 1 else math.nan,
            })  # fmt: skip
            sample_rows.append(pd.DataFrame({
                "panel": label, **panel_info, "gene": gene, "group": group,
                "sample": values.index.to_numpy(), "delta_ct": values.to_numpy(dtype=float),
                "fold_change": folds,
            }))  # fmt: skip
        for group, values in by_group.items():
            if group == settings.control or not tested:
                continue
            result = two_groups(by_group[settings.control].tolist(), values.tolist(),
                                welch=settings.welch)  # fmt: skip
            tests.append(result.as_row(label, gene, f"{group} vs {settings.control}"))
        if tested and len(by_group) >= 3:
            anova = anova_tukey({g: v.tolist() for g, v in by_group.items()})
            tests.append(anova.anova.as_row(label, gene, "all groups"))
            for first, second, result in anova.pairs:
                tests.append(result.as_row(label, gene, f"{second} vs {first}"))
    return _PanelResult(rows=rows, tests=tests, samples=sample_rows)


def _technical_sd(
    panel: pd.DataFrame, group: str, sample: str, gene: str, refs: list[str],
    per_pair: pd.DataFrame | None,
) -> float:  # fmt: skip
    """The technical spread of one sample's ΔCt, when it is the only sample of its group.

    Multiplex: the SD of the within-well ΔCts. Otherwise the SDs of the target's and the
    reference's replicate Cts, propagated (s = √(s₁² + s₂²), ABI User Bulletin #2). NaN when
    there is one well.
    """
    if per_pair is not None:
        within = (per_pair[gene] - per_pair[refs].mean(axis=1)).dropna()
        key = (group, sample)
        here = within[[k[:2] == key for k in within.index]]
        return float(here.std(ddof=1)) if here.size > 1 else math.nan
    wells = panel[(panel["group"] == group) & (panel["sample"] == sample)]
    target = wells.loc[wells["gene"] == gene, "ct"].dropna()
    reference = wells.loc[wells["gene"].isin(refs), "ct"].dropna()
    if target.size < 2 or reference.size < 2:
        return math.nan
    return propagated_sd(float(target.std(ddof=1)), float(reference.std(ddof=1)))


def _unquantified(
    label: str, panel_info: dict[str, Any], gene: str, groups: list[str], control: str
) -> list[dict[str, Any]]:
    """Rows saying a gene could not be quantified (no Ct in the calibrator); the others go on."""
    reason = f"not quantified: no Ct in the calibrator group {control}"
    return [
        {"panel": label, **panel_info, "gene": gene, "group": group, "n": 0,
         **dict.fromkeys(_NUMBER_COLUMNS, math.nan), "significance": "", "detection": reason}
        for group in groups
    ]  # fmt: skip


def _sd(values: Sequence[float]) -> float:
    if len(values) < 2:
        return math.nan
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _separate(
    part: _Panel, refs: list[str], targets: list[str], settings: Settings, *,
    source: str | None, tested: bool,
) -> _PanelResult:  # fmt: skip
    """ΔCt from group means with SDs propagated (no samples); tests on the cells' values."""
    panel, label, panel_info = part.wells, part.label, part.info
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    cells = {
        key: frame["ct"].to_numpy()
        for key, frame in panel.groupby(["group", "gene"], observed=True)
    }
    groups = list(dict.fromkeys([settings.control, *sorted(set(panel["group"]))]))

    def ref_stats(group: str) -> tuple[float, float, list[float]]:
        values = [cells.get((group, r)) for r in refs]
        if any(v is None or v.size == 0 for v in values):
            raise InputError(
                f'group "{group}" has no Ct for a reference gene ({", ".join(refs)})'
                + (f" in panel {label}" if label else ""), path=source, column="gene",
            )  # fmt: skip
        means = [float(v.mean()) for v in values if v is not None]
        sds = [_sd(v.tolist()) if v is not None else math.nan for v in values]
        # The SD of a mean of k independent means: √(Σ s_i²) / k.
        sd = math.sqrt(sum(s**2 for s in sds)) / len(sds)
        pooled = [float(x) for v in values if v is not None for x in v]
        return combined_reference_ct(means), sd, pooled

    for gene in targets:
        if (settings.control, gene) not in cells:
            groups_seen = [g for g in groups if (g, gene) in cells] or [settings.control]
            rows.extend(_unquantified(label, panel_info, gene, groups_seen, settings.control))
            continue
        ctrl_ref_mean, _, ctrl_ref_values = ref_stats(settings.control)
        ctrl_target = cells[(settings.control, gene)]
        calibrator = delta_ct(float(ctrl_target.mean()), ctrl_ref_mean)
        for group in groups:
            if (group, gene) not in cells:
                continue
            target = cells[(group, gene)]
            ref_mean, ref_sd, ref_values = ref_stats(group)
            dct = delta_ct(float(target.mean()), ref_mean)
            sd = propagated_sd(_sd(target.tolist()), ref_sd)
            ddct = delta_delta_ct(dct, calibrator)
            rows.append({
                "panel": label, **panel_info, "gene": gene, "group": group, "n": int(target.size),
                "delta_ct_mean": dct, "delta_ct_sd": sd, "delta_delta_ct": ddct,
                **_fold_columns(ddct, 0.0 if math.isnan(sd) else sd),
                "fold_change_sample_mean": math.nan, "fold_change_sample_sd": math.nan,
            })  # fmt: skip
            if group != settings.control and tested:
                result = contrast_of_cells(
                    ctrl_target.tolist(),
                    ctrl_ref_values,
                    target.tolist(),
                    ref_values,
                    welch=settings.welch,
                )
                tests.append(result.as_row(label, gene, f"{group} vs {settings.control}"))
    return _PanelResult(rows=rows, tests=tests)
