"""Figures of relative expression, viability and reference-gene stability.

Expression and viability are drawn as the paper's Fig. 1 and Fig. 2 done right.

Bars are group means with SD error bars, every sample (or experiment) is drawn as a point, stars
mark the test against the control, and a dashed line marks no change (1-fold, 100 %). Colours are
the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies; sizes suit a
journal's double column (180 mm) at 8 pt. Each figure is written as PNG (300 dpi) and SVG;
pages of raw-curve panels as PNG at 200 dpi.

Plotting only: the numbers come from `ddct`, `viability` and `refgenes`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assay.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from assay.analysis.refgenes import PanelStability
    from assay.analysis.standards import DilutionSeries

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
# Beyond the Okabe–Ito colours, groups take Paul Tol's "muted" and "light" sets (also chosen to
# stay apart under colour-vision deficiencies), so no two of up to 23 groups share a colour.
MORE_COLOURS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
                "#882255", "#AA4499", "#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF",
                "#BBCC33", "#AAAA00"]  # fmt: skip
WIDTH_IN = 7.1  # 180 mm, a journal's double column


def group_colours(count: int) -> list[str]:
    """A distinct colour per group: Okabe–Ito first, then Tol's sets; repeats only past 23.

    >>> len(set(group_colours(10))), group_colours(2)
    (10, ['#0072B2', '#E69F00'])
    """
    palette = OKABE_ITO + MORE_COLOURS
    return [palette[i % len(palette)] for i in range(count)]


DPI = 300
GRID_DPI = 200  # pages of small curve panels: 1,420 pixels across, sharper than a screen shows


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    # A name with a character the font lacks (a control character in a damaged export, a CJK
    # sample name) is drawn with a blank glyph; the tables carry the name as read.
    warnings.filterwarnings(
        "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
    )

    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "svg.fonttype": "none",
        "axes.spines.top": False, "axes.spines.right": False,
    })  # fmt: skip
    return plt


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast("list[dict[str, Any]]", frame.to_dict(orient="records"))


def _save(figure: Any, stem: Path, *, svg: bool = True, tight: bool = True) -> list[Path]:
    """Write the figure as PNG (and SVG), each whole or not at all (see `write_bytes_atomic`).

    Grids of curves are PNG only, with the grid's own margins: they are for looking at, and a
    tight box and an SVG of thousands of lines cost seconds per page.
    """
    import io

    from assay.files import write_bytes_atomic

    paths = []
    # Grids of curves are written at GRID_DPI with light PNG compression: encoding 300 dpi pages
    # at the default level took a third of their time.
    png: dict[str, Any] = {"dpi": DPI}
    if not tight:
        png = {"dpi": GRID_DPI, "pil_kwargs": {"compress_level": 1}}
    formats = ((".png", png), (".svg", {})) if svg else ((".png", png),)
    for suffix, options in formats:
        buffer = io.BytesIO()
        try:
            figure.savefig(buffer, format=suffix[1:], bbox_inches="tight" if tight else None,
                           **options)  # fmt: skip
        except (OverflowError, ValueError) as error:  # readings like 1e308 cannot be laid out
            raise InputError(f"the figure {stem.name}{suffix} cannot be drawn: the values are "
                             f"too extreme to plot ({error})") from None  # fmt: skip
        write_bytes_atomic(stem.with_suffix(suffix), buffer.getvalue())
        paths.append(stem.with_suffix(suffix))
    return paths


# What is drawn per (category, group): means, (low, high) whiskers, points, marks.
_Drawn = tuple[
    dict[tuple[str, str], float],
    dict[tuple[str, str], tuple[float, float]],
    dict[tuple[str, str], list[float]],
    dict[tuple[str, str], str],
]


def _bars(
    axis: Any, categories: list[str], groups: list[str], means: dict[tuple[str, str], float],
    whiskers: dict[tuple[str, str], tuple[float, float]],
    points: dict[tuple[str, str], list[float]], marks: dict[tuple[str, str], str],
    *, dots: bool = False,
) -> None:  # fmt: skip
    """Grouped bars; `whiskers` are (low, high) values (an SD around the mean, or an interval).

    With `dots`, each fold is a dot with its range instead (a log axis: bars from 0 mean nothing).
    """
    if dots:
        _dots(axis, categories, groups, (means, whiskers, points, marks))
        axis.set_xticks(range(len(categories)), categories)
        return
    width = 0.8 / len(groups)
    colours = group_colours(len(groups))
    for g, group in enumerate(groups):
        xs = [c + (g - (len(groups) - 1) / 2) * width for c in range(len(categories))]
        heights = [means.get((cat, group), math.nan) for cat in categories]
        spans = [whiskers.get((cat, group), (math.nan, math.nan)) for cat in categories]
        below = [0.0 if math.isnan(lo) or math.isnan(h) else max(h - lo, 0.0)
                 for h, (lo, _) in zip(heights, spans, strict=True)]  # fmt: skip
        above = [0.0 if math.isnan(hi) or math.isnan(h) else max(hi - h, 0.0)
                 for h, (_, hi) in zip(heights, spans, strict=True)]  # fmt: skip
        colour = colours[g]
        axis.bar(xs, heights, width * 0.9, color=colour, alpha=0.75, label=group,
                 yerr=[below, above], capsize=2, error_kw={"elinewidth": 0.8})  # fmt: skip
        for i, (x, cat) in enumerate(zip(xs, categories, strict=True)):
            values = points.get((cat, group), [])
            if values:
                jitter = [x + width * 0.25 * ((j % 3) - 1) for j in range(len(values))]
                axis.scatter(jitter, values, s=9, color="black", zorder=3, linewidths=0)
            mark = marks.get((cat, group), "")
            if mark:
                top = max([means.get((cat, group), 0.0) + above[i], *values])
                axis.annotate(mark, (x, top), xytext=(0, 2), textcoords="offset points",
                              ha="center", va="bottom", fontsize=8)  # fmt: skip
    axis.set_xticks(range(len(categories)), categories)


def _dots(axis: Any, categories: list[str], groups: list[str], drawn: _Drawn) -> None:
    """Folds as dots with their low-high range (for a log axis, where bars from 0 mean nothing)."""
    means, whiskers, points, marks = drawn
    width = 0.8 / len(groups)
    colours = group_colours(len(groups))
    for g, group in enumerate(groups):
        for c, category in enumerate(categories):
            mean = means.get((category, group), math.nan)
            if not mean > 0:
                continue
            x = c + (g - (len(groups) - 1) / 2) * width
            low, high = whiskers.get((category, group), (math.nan, math.nan))
            span = ([[mean - low], [high - mean]] if low == low and high == high and low > 0
                    else None)  # fmt: skip
            axis.errorbar([x], [mean], yerr=span, fmt="o", color=colours[g], markersize=4,
                          capsize=2, elinewidth=0.8, label=group if c == 0 else None)  # fmt: skip
            values = [v for v in points.get((category, group), []) if v > 0]
            if values:
                axis.scatter([x] * len(values), values, s=6, color="black", zorder=3,
                             linewidths=0)  # fmt: skip
            mark = marks.get((category, group), "")
            if mark:
                axis.annotate(mark, (x, max([high if high == high else mean, *values])),
                              xytext=(0, 2), textcoords="offset points", ha="center",
                              va="bottom", fontsize=8)  # fmt: skip


UNTRUSTED = "†"  # marks a gene whose assay failed or is unverified


GENES_PER_ROW = 12  # genes side by side in one row of the expression figure
MAX_ROWS = 20  # rows drawn at most (240 genes); every gene is in expression.csv
LOG_RATIO = 50.0  # folds spanning more than this are drawn on a log axis


HEATMAP_FROM_GENES = 24  # more genes in a panel than this: a heatmap, not rows of bars


def _panel_genes(expression: pd.DataFrame) -> dict[str, list[str]]:
    return {str(panel): list(dict.fromkeys(expression.loc[expression["panel"] == panel, "gene"]))
            for panel in dict.fromkeys(expression["panel"])}  # fmt: skip


def expression_form(expression: pd.DataFrame) -> str:
    """What `expression_figure` draws: "heatmap", "dots" (log axis) or "bars" (for captions)."""
    if max((len(g) for g in _panel_genes(expression).values()), default=0) > HEATMAP_FROM_GENES:
        return "heatmap"
    return "dots" if needs_log_axis(expression) else "bars"


def expression_heatmap(
    expression: pd.DataFrame, control: str, stem: Path, *, corrected: bool = False
) -> list[Path]:
    """Many genes: log2 fold of every gene (rows) in every group (columns), one map per panel.

    Colours diverge around 0 (no change) symmetrically, so up and down read alike; stars of the
    tests stand in their cells; a gene or group without a fold is grey. The calibrator's column
    (0 by definition) is left out.
    """
    import numpy as np

    plt = _pyplot()
    panels = _panel_genes(expression)
    groups = [g for g in dict.fromkeys(expression["group"]) if g != control]
    longest = max(len(genes) for genes in panels.values())
    figure, axes = plt.subplots(1, len(panels), squeeze=False,
                                figsize=(WIDTH_IN, max(2.6, 0.13 * longest + 1.4)))  # fmt: skip
    logs = {}
    for r in _records(expression):
        fold = float(r["fold_change"])
        if fold == fold and fold > 0:
            logs[(str(r["panel"]), r["gene"], r["group"])] = math.log2(fold)
    limit = max([1.0, *(abs(v) for v in logs.values())])
    image = None
    for axis, (panel, genes) in zip(axes[0], panels.items(), strict=True):
        grid = np.full((len(genes), len(groups)), np.nan)
        for i, gene in enumerate(genes):
            for j, group in enumerate(groups):
                grid[i, j] = logs.get((panel, gene, group), np.nan)
        cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#d9d9d9")  # no fold: grey
        image = axis.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-limit, vmax=limit,
                            aspect="auto", interpolation="nearest")  # fmt: skip
        for r in _records(expression[expression["panel"] == panel]):
            mark = r.get("significance")
            if isinstance(mark, str) and mark.strip("ns ") and r["group"] in groups:
                axis.text(groups.index(r["group"]), genes.index(r["gene"]), mark, ha="center",
                          va="center", fontsize=5)  # fmt: skip
        axis.set_xticks(range(len(groups)), groups, rotation=40, ha="right", fontsize=6)
        axis.set_yticks(range(len(genes)), genes, fontsize=max(3.5, min(7.0, 300 / len(genes))))
        if panel:
            axis.set_title(panel, fontsize=8)
    method = "efficiency-corrected ratio" if corrected else "2^-ΔΔCt"
    if image is not None:
        bar = figure.colorbar(image, ax=list(axes[0]), shrink=0.5)
        bar.set_label(f"log2 fold change vs {control} ({method})", fontsize=7)
    paths = _save(figure, stem)
    plt.close(figure)
    return paths


def expression_small_multiples(
    expression: pd.DataFrame, control: str, stem: Path, *, corrected: bool = False
) -> list[Path]:
    """Beside a heatmap: one small panel per gene, `MAX_PANELS` a page (``_2``, ``_3``, ...).

    Each panel: the log2 fold of every group against the calibrator (a dot, whiskers its
    low-high range as the table gives it), a line at 0, the group names below; a gene's stars
    beside its dots. PNG only, with fixed margins, as the curve grids.
    """
    import numpy as np

    plt = _pyplot()
    method = "efficiency-corrected ratio" if corrected else "2^-ΔΔCt"
    groups = [g for g in dict.fromkeys(expression["group"]) if g != control]
    panels = [(str(p), g) for p, genes in _panel_genes(expression).items() for g in genes]
    rows = {(str(r["panel"]), r["gene"], r["group"]): r for r in _records(expression)}

    def log2(value: object) -> float:
        number = float(value) if isinstance(value, int | float) else math.nan
        return math.log2(number) if number == number and number > 0 else math.nan

    paths: list[Path] = []
    for page in range(0, len(panels), MAX_PANELS):
        chunk = panels[page : page + MAX_PANELS]
        figure, axes = _grid(len(chunk), plt, height_in=1.6, bottom_in=0.9)
        for axis, (panel, gene) in zip(axes, chunk, strict=True):
            found = [rows.get((panel, gene, g), {}) for g in groups]
            folds = np.array([log2(r.get("fold_change")) for r in found])
            low = np.array([log2(r.get("fold_change_low")) for r in found])
            high = np.array([log2(r.get("fold_change_high")) for r in found])
            xs = np.arange(len(groups))
            spans = np.vstack([np.where(np.isfinite(low), folds - low, 0),
                               np.where(np.isfinite(high), high - folds, 0)])  # fmt: skip
            axis.errorbar(xs, folds, yerr=np.clip(spans, 0, None), fmt="o", markersize=2.5,
                          color=OKABE_ITO[0], elinewidth=0.7, capsize=1.5)  # fmt: skip
            axis.axhline(0, color="#666666", lw=0.6, ls="--")
            if not np.isfinite(folds).any():
                axis.text(0.5, 0.5, "no fold change\n(see expression.csv)", fontsize=5,
                          ha="center", va="center", transform=axis.transAxes,
                          color="#666666")  # fmt: skip
            for x, r, fold in zip(xs, found, folds, strict=True):
                mark = r.get("significance")
                if isinstance(mark, str) and mark.strip("ns ") and fold == fold:
                    axis.annotate(mark, (x, fold), textcoords="offset points", xytext=(3, 2),
                                  fontsize=5)  # fmt: skip
            axis.set_xticks(xs, groups, rotation=90, fontsize=4.5)  # upright boxes: apart
            axis.tick_params(axis="y", labelsize=5)
            axis.set_title(panel_title(f"{gene} ({panel})" if panel else gene), fontsize=6)
        figure.supylabel(f"log2 fold change vs {control} ({method})", fontsize=7)
        suffix = "" if page == 0 else f"_{page // MAX_PANELS + 1}"
        paths += _save(figure, stem.with_name(stem.name + suffix), svg=False, tight=False)
        plt.close(figure)
    return paths


def expression_rows(expression: pd.DataFrame) -> list[tuple[str, list[str], str]]:
    """(panel, its genes in this row, the row's title): each panel's genes in rows of 12.

    >>> import pandas as pd
    >>> rows = expression_rows(pd.DataFrame({"panel": "", "gene": [f"g{i}" for i in range(13)]}))
    >>> [(len(genes), title) for _, genes, title in rows]
    [(12, '(genes 1-12 of 13)'), (1, '(genes 13-13 of 13)')]
    """
    found: list[tuple[str, list[str], str]] = []
    for panel, genes in _panel_genes(expression).items():
        for first in range(0, len(genes), GENES_PER_ROW):
            chunk = genes[first : first + GENES_PER_ROW]
            part = (f" (genes {first + 1}-{first + len(chunk)} of {len(genes)})"
                    if len(genes) > GENES_PER_ROW else "")  # fmt: skip
            found.append((panel, chunk, f"{panel}{part}".strip()))
    return found


def needs_log_axis(expression: pd.DataFrame) -> bool:
    """True when the folds and their ranges span more than `LOG_RATIO`.

    >>> import pandas as pd
    >>> needs_log_axis(pd.DataFrame({"fold_change": [0.5, 24.9]})), needs_log_axis(
    ...     pd.DataFrame({"fold_change": [0.5, 25.1]}))
    (False, True)
    """
    values = [float(v) for c in ("fold_change", "fold_change_low", "fold_change_high")
              if c in expression for v in expression[c] if v == v and float(v) > 0]  # fmt: skip
    return bool(values) and max(values) / min(values) > LOG_RATIO


def expression_figure(
    expression: pd.DataFrame, samples: pd.DataFrame, control: str, stem: Path, *,
    corrected: bool = False,
) -> list[Path]:  # fmt: skip
    """Relative expression per panel, drawn from the table's own numbers.

    Bars at the fold change (2^-mean ΔΔCt, or the efficiency-corrected ratio), whiskers its
    low-high range (the interval the table names), samples as points, stars, a line at 1. Genes
    wrap into rows of `GENES_PER_ROW`; when the folds span more than `LOG_RATIO` (a viral gene at
    10^6 beside genes near 1), the axis is logarithmic and folds are dots with their range, so no
    gene is flattened to nothing.
    """
    if expression_form(expression) == "heatmap":
        return expression_heatmap(expression, control, stem, corrected=corrected)
    plt = _pyplot()
    rows_to_draw = expression_rows(expression)
    shown_rows = rows_to_draw[:MAX_ROWS]
    groups = list(dict.fromkeys([control, *expression["group"]]))
    logarithmic = needs_log_axis(expression)
    figure, axes = plt.subplots(len(shown_rows), 1, squeeze=False, sharey=True,
                                figsize=(WIDTH_IN, (3.0 if len(shown_rows) > 1 else 2.6)
                                         * len(shown_rows)))  # fmt: skip
    untrusted = (
        set(expression.loc[expression["assay_problem"].fillna("") != "", "gene"])
        if "assay_problem" in expression
        else set()
    )
    for axis, (panel, genes, title) in zip(axes[:, 0], shown_rows, strict=True):
        rows = [r for r in _records(expression[expression["panel"] == panel])
                if r["gene"] in genes]  # fmt: skip
        means = {(r["gene"], r["group"]): float(r["fold_change"]) for r in rows}
        whiskers = {
            (r["gene"], r["group"]): (float(r["fold_change_low"]), float(r["fold_change_high"]))
            for r in rows
        }
        points: dict[tuple[str, str], list[float]] = {}
        if not samples.empty:
            for r in _records(samples[samples["panel"] == panel]):
                if r["gene"] in genes:
                    points.setdefault((r["gene"], r["group"]), []).append(float(r["fold_change"]))
        # A gene whose assay failed or is unverified gets a dagger, not stars: its numbers
        # measure something, but not what the label says has been shown.
        marks = {(r["gene"], r["group"]): "" if r["gene"] in untrusted else str(r["significance"])
                 for r in rows
                 if isinstance(r["significance"], str) and r["group"] != control}  # fmt: skip
        if logarithmic:
            axis.set_yscale("log")
        _bars(axis, genes, groups, means, whiskers, points, marks, dots=logarithmic)
        labels = [f"{g}{UNTRUSTED if g in untrusted else ''}" for g in genes]
        crowded = len(genes) > 8 or max(len(g) for g in labels) > 8
        axis.set_xticks(range(len(genes)), labels, rotation=40 if crowded else 0,
                        ha="right" if crowded else "center")  # fmt: skip
        axis.axhline(1.0, linestyle="--", linewidth=0.8, color="grey")
        if title:
            axis.set_title(title, fontsize=8)
    label = (
        "Relative expression (efficiency-corrected ratio)"
        if corrected
        else "Relative expression (fold, 2^-ΔΔCt)"
    ) + (", log scale" if logarithmic else "")
    if len(shown_rows) == 1:
        axes[0][0].set_ylabel(label)
    else:  # one label for the column of rows, clear of every row's tick labels
        figure.supylabel(label, fontsize=8)
    if len(rows_to_draw) > MAX_ROWS:
        figure.text(0.5, 0.0, f"the first {MAX_ROWS * GENES_PER_ROW} genes are drawn; all are in "
                    "expression.csv", ha="center", fontsize=7)  # fmt: skip
    figure.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center",
                  ncol=min(len(groups), 4), frameon=False,
                  bbox_to_anchor=(0.5, -0.08 / len(shown_rows)))  # fmt: skip
    figure.tight_layout()
    paths = _save(figure, stem)
    plt.close(figure)
    return paths


def viability_figure(
    summary: pd.DataFrame, per_unit: dict[tuple[str, str], list[float]], control: str, stem: Path
) -> list[Path]:
    """Viability per panel: bars of mean ± SD, each experiment a point, stars, a line at 100 %."""
    plt = _pyplot()
    panels = list(dict.fromkeys(summary["panel"]))
    figure, axis = plt.subplots(figsize=(WIDTH_IN / 2, 2.6))
    groups = list(dict.fromkeys([control, *summary["group"]]))
    rows = _records(summary)
    means = {(r["panel"], r["group"]): float(r["viability_pct_mean"]) for r in rows}
    sds = {
        (r["panel"], r["group"]): (
            float(r["viability_pct_mean"]) - float(r["viability_pct_sd"]),
            float(r["viability_pct_mean"]) + float(r["viability_pct_sd"]),
        )
        for r in rows
    }
    marks = {(r["panel"], r["group"]): str(r["significance"]) for r in rows
             if isinstance(r["significance"], str) and r["group"] != control}  # fmt: skip
    _bars(axis, panels, groups, means, sds, per_unit, marks)
    axis.axhline(100.0, linestyle="--", linewidth=0.8, color="grey")
    axis.set_ylabel("Viable cells (% of control)")
    axis.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                ncol=min(len(groups), 4))  # fmt: skip
    figure.tight_layout()
    paths = _save(figure, stem)
    plt.close(figure)
    return paths


def dose_response_figure(fits: pd.DataFrame, points: pd.DataFrame, stem: Path) -> list[Path]:
    """Per panel: viability % against log dose, each unit a point, the fitted logistic, the IC50.

    The IC50 is a dashed line with its 95 % interval shaded; an ambiguous fit says so in its
    title, and a panel without a fit shows its points only.
    """
    import numpy as np

    from assay.analysis.dose import logistic

    plt = _pyplot()
    records = {str(r["panel"]): r for r in _records(fits)}
    panels = list(dict.fromkeys(points["panel"].astype(str)))
    figure, axes = plt.subplots(1, len(panels), figsize=(min(WIDTH_IN, 3.2 * len(panels)), 2.8),
                                squeeze=False, sharey=True)  # fmt: skip
    for axis, panel in zip(axes[0], panels, strict=True):
        shown = points[(points["panel"].astype(str) == panel) & (points["dose"] > 0)]
        axis.scatter(shown["dose"], shown["viability_pct"], s=12, color="0.25", zorder=3)
        axis.set_xscale("log")
        fit = records.get(panel, {})
        title = panel or "dose-response"
        if math.isfinite(float(fit.get("ic50", math.nan))):
            doses = np.geomspace(float(shown["dose"].min()), float(shown["dose"].max()), 200)
            curve = logistic(
                doses, bottom=float(fit["bottom_pct"]), top=float(fit["top_pct"]),
                log_ic50=math.log10(float(fit["ic50"])), hill=float(fit["hill"]),
            )  # fmt: skip
            axis.plot(doses, curve, color=group_colours(1)[0], linewidth=1.2)
            axis.axvline(float(fit["ic50"]), linestyle="--", linewidth=0.8, color="grey")
            low, high = float(fit["ic50_ci_low"]), float(fit["ic50_ci_high"])
            if math.isfinite(low) and math.isfinite(high):
                axis.axvspan(low, high, color="grey", alpha=0.15, linewidth=0)
            ambiguous = " (ambiguous)" if fit["ambiguous"] else ""
            title += f"\nIC50 {float(fit['ic50']):.3g}{ambiguous}"
        else:
            title += "\nno fit"
        axis.set_title(title, fontsize=8)
        axis.set_xlabel("dose (log scale)")
    axes[0][0].set_ylabel("Viable cells (% of control)")
    figure.tight_layout()
    paths = _save(figure, stem)
    plt.close(figure)
    return paths


def stability_figure(panels: Sequence[PanelStability], stem: Path) -> list[Path]:
    """Reference-gene stability, one row per panel, as in Vandesompele 2002 (Figs 2, 3a).

    Left: geNorm's average M of the genes left as the least stable is removed, step by step.
    Middle: the pairwise variation V_n/n+1, with the 0.15 line below which an (n+1)th gene adds
    little. Right: NormFinder's ρ (or SD without groups), most stable on top.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(
        len(panels), 3, figsize=(WIDTH_IN, 2.1 * len(panels)), squeeze=False,
        gridspec_kw={"width_ratios": [1.1, 1.1, 1.0]},
    )  # fmt: skip
    for row, panel in zip(axes, panels, strict=True):
        m_axis, v_axis, rho_axis = row
        counts = [len(step.genes) for step in panel.genorm_steps]
        m_axis.plot(counts, [step.mean_m for step in panel.genorm_steps], marker="o",
                    color=OKABE_ITO[0], markersize=3, linewidth=1)  # fmt: skip
        m_axis.set_xlim(max(counts) + 0.5, min(counts) - 0.5)  # exclusion runs left to right
        m_axis.set_xticks(counts)
        m_axis.set_xlabel("control genes left")
        m_axis.set_ylabel("average M")
        m_axis.set_title(f"{panel.panel}: geNorm", loc="left")
        steps = list(panel.variation)
        v_axis.bar(range(len(steps)), list(panel.variation.values()), color=OKABE_ITO[1])
        v_axis.axhline(0.15, color="black", linestyle="--", linewidth=0.8)
        v_axis.set_xticks(range(len(steps)), [s.removeprefix("V") for s in steps], rotation=90)
        v_axis.set_ylabel("pairwise variation V")
        v_axis.set_title("V n/n+1 (0.15 dashed)", loc="left")
        nf = panel.normfinder
        order = nf.ranking[::-1]  # barh draws bottom-up: most stable on top
        colours = [OKABE_ITO[2] if gene == nf.ranking[0] else "#999999" for gene in order]
        rho_axis.barh(range(len(order)), [nf.rho[g] for g in order], color=colours)
        rho_axis.set_yticks(range(len(order)), order)
        rho_axis.set_xlabel("stability ρ" if nf.difference else "SD (no groups)")
        rho_axis.set_title("NormFinder", loc="left")
    figure.tight_layout()
    paths = _save(figure, stem)
    plt.close(figure)
    return paths


def _grid(
    count: int, plt: Any, height_in: float = 1.45, bottom_in: float = 0.45
) -> tuple[Any, list[Any]]:
    """Small multiples, 4 a row, with fixed margins (tight_layout costs seconds per page)."""
    columns = min(4, max(count, 1))
    rows = math.ceil(count / columns)
    height = height_in * rows + 0.3 + bottom_in - 0.45
    figure, axes = plt.subplots(rows, columns, figsize=(WIDTH_IN, height), squeeze=False)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=bottom_in / height,
                           top=1 - 0.35 / height, wspace=0.35, hspace=0.9)  # fmt: skip
    flat = list(axes.ravel())
    for extra in flat[count:]:
        extra.set_visible(False)
    return figure, flat[:count]


MAX_PANELS = 24  # targets per figure; more are drawn on further pages (_2, _3, ...)
_CONTROL_ROLES = ("ntc", "no-rt", "negative")


@dataclass(frozen=True, slots=True)
class _Panel:
    """One target's curves: x and y per reaction, which are controls, and what else to mark."""

    target: str
    x: Any
    y: Any
    controls: Any
    mark: Any  # the window (amplification) or the predicted Tm (melt), or None


def _panels(runs: Sequence[Any], data: Callable[[Any], Any], marks: Callable[[Any, str], Any],
            x_of: Callable[[Any], Any]) -> list[_Panel]:  # fmt: skip
    """A panel per target of each run that has the data (a target without one reading: none)."""
    import numpy as np

    panels = []
    for run in runs:
        y = data(run)
        if y is None:
            continue
        wells = run.export.wells.reset_index(drop=True)
        targets = wells["target"].astype(str)
        for target in dict.fromkeys(targets):
            rows = np.flatnonzero((targets == target).to_numpy())
            if not np.isfinite(np.asarray(y[rows], dtype=float)).any():
                continue  # an empty panel says nothing (an internal ID with no readings)
            controls = wells["role"].iloc[rows].isin(_CONTROL_ROLES).to_numpy()
            panels.append(_Panel(target, x_of(run)[rows], y[rows], controls, marks(run, target)))
    return panels


TITLE_CHARS = 24  # a small panel's title line; longer names wrap (never cut)


def panel_title(name: str) -> str:
    r"""A target's name wrapped to `TITLE_CHARS` a line, every character kept.

    >>> panel_title("gene.of.interest.with.a.long.internal.id")
    'gene.of.interest.with.a.\nlong.internal.id'
    """
    import textwrap

    return "\n".join(textwrap.wrap(name, TITLE_CHARS, break_on_hyphens=False)) or name


@dataclass(frozen=True, slots=True)
class _Marks:
    """What a panel shows beside its curves: its title, a shaded band of y, dashed lines."""

    title: str
    band: tuple[float, float] | None = None  # the window of linearity (log10 F)
    hline: float | None = None  # the threshold (log10 F)
    vline: float | None = None  # the predicted Tm (°C)


SHEET_COLUMNS = 4
# A sheet row, in inches: the title above the plot, the plot, its tick labels below.
_ROW_IN, _TITLE_IN, _PLOT_IN = 1.45, 0.33, 0.88
_LEFT_IN, _RIGHT_IN, _GAP_IN, _TICK_IN = 0.55, 0.12, 0.45, 0.03


def _limits(values: Any) -> tuple[float, float] | None:
    """The axis range of the finite values with matplotlib's 5 % margins (None: none finite)."""
    import numpy as np

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if not math.isfinite(high - low):
        raise InputError("a curve figure cannot be drawn: the values are too extreme to plot "
                         f"({low:g} to {high:g})")  # fmt: skip
    if high == low:  # a flat curve: a unit range around it
        return low - 0.5, high + 0.5
    pad = 0.05 * (high - low)
    return low - pad, high + pad


def _ticks(low: float, high: float, most: int = 4) -> list[tuple[float, str]]:
    """Round tick values inside [low, high] (`most` + 1 at most), labelled as short as can be.

    >>> _ticks(-0.2, 41.0)
    [(0.0, '0'), (20.0, '20'), (40.0, '40')]
    >>> [label for _, label in _ticks(-1.1, 1.6)]
    ['−1', '0', '1']
    >>> [label for _, label in _ticks(-0.05, 0.9)]
    ['0.00', '0.25', '0.50', '0.75']
    >>> [label for _, label in _ticks(1.0e-12, 2.1e-12)]
    ['1e−12', '1.5e−12', '2e−12']
    >>> [label for _, label in _ticks(5.0, 5.0000001)]
    ['5', '5.00000005', '5.0000001']
    """
    from matplotlib.ticker import MaxNLocator

    locator = MaxNLocator(nbins=most, steps=[1, 2, 2.5, 5, 10])
    values = [float(v) + 0.0 for v in locator.tick_values(low, high) if low <= v <= high]
    step = values[1] - values[0] if len(values) > 1 else 1.0
    # The fewest decimals that write every tick exactly; past six, the fewest significant digits
    # (3 to 15) that tell the ticks apart.
    exact = (d for d in range(7) if all(abs(round(v, d) - v) <= 1e-6 * step for v in values))
    decimals = next(exact, None)
    if decimals is not None:
        labels = [f"{round(v, decimals) + 0.0:.{decimals}f}" for v in values]
    else:
        labels = next(found for digits in range(3, 16)
                      if len(set(found := [f"{v:.{digits}g}" for v in values])) == len(values)
                      or digits == 15)  # fmt: skip
    return [(v, text.replace("-", "\u2212")) for v, text in zip(values, labels, strict=True)]


def _sheet(plt: Any, chunk: Sequence[_Panel], marks: Sequence[_Marks], colour: str,
           x_label: str, y_label: str) -> Any:  # fmt: skip
    """One page of panels drawn on a single canvas, four a row.

    Every panel is mapped into its box by hand and drawn with the page's few collections (curves,
    controls, frames, ticks, marks): matplotlib's own axes cost 30 ms a panel in tick and text
    objects, most of `assay curves`' time. Each panel keeps its own ranges (5 % margins) and
    round ticks; the x tick labels are written once a column when every panel shares them.
    """
    import numpy as np
    from matplotlib.collections import LineCollection, PolyCollection

    rows = math.ceil(len(chunk) / SHEET_COLUMNS)
    # Room above the first row for its longest title (names wrap; a title has up to 2 lines).
    extra = 0.12 * max(0, max(m.title.count("\n") for m in marks[:SHEET_COLUMNS]) - 1)
    height = extra + rows * _ROW_IN + 0.1
    width = (WIDTH_IN - _LEFT_IN - _RIGHT_IN - (SHEET_COLUMNS - 1) * _GAP_IN) / SHEET_COLUMNS
    columns = min(len(chunk), SHEET_COLUMNS)  # a page of fewer panels is as narrow as they
    page_width = _LEFT_IN + columns * width + (columns - 1) * _GAP_IN + _RIGHT_IN
    figure = plt.figure(figsize=(page_width, height))
    canvas = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    canvas.set_xlim(0, page_width)
    canvas.set_ylim(0, height)
    canvas.set_axis_off()
    curves: dict[bool, list[Any]] = {False: [], True: []}  # samples, controls
    frames, ticks, dashed, bands = [], [], [], []
    ranges = []
    for panel in chunk:
        x, y = np.asarray(panel.x, dtype=float), np.asarray(panel.y, dtype=float)
        ranges.append((_limits(np.where(np.isfinite(y), x, np.nan)), _limits(y)))
    shared_x = len({x_range for x_range, _ in ranges}) == 1

    def text(at_x: float, at_y: float, words: str, **style: Any) -> None:
        canvas.text(at_x, at_y, words, **{"fontsize": 6, **style})

    for number, (panel, mark, (x_range, y_range)) in enumerate(zip(chunk, marks, ranges,
                                                                   strict=True)):  # fmt: skip
        row, column = divmod(number, SHEET_COLUMNS)
        left = _LEFT_IN + column * (width + _GAP_IN)
        top = height - extra - row * _ROW_IN - _TITLE_IN
        bottom = top - _PLOT_IN
        text(left + width / 2, top + 0.04, mark.title, ha="center", va="bottom", fontsize=7)
        frames.append([(left, top), (left, bottom), (left + width, bottom)])
        if column == 0 and y_label:
            text(0.1, (top + bottom) / 2, y_label, rotation=90, ha="center", va="center",
                 fontsize=7)  # fmt: skip
        lowest = number + SHEET_COLUMNS >= len(chunk)  # nothing drawn below it
        if lowest:
            text(left + width / 2, bottom - 0.2, x_label, ha="center", va="top", fontsize=7)
        if x_range is None or y_range is None:
            continue
        (x0, x1), (y0, y1) = x_range, y_range

        def at_x(v: Any, x0: float = x0, x1: float = x1, left: float = left) -> Any:
            return left + (v - x0) / (x1 - x0) * width

        def at_y(v: Any, y0: float = y0, y1: float = y1, bottom: float = bottom) -> Any:
            return bottom + (v - y0) / (y1 - y0) * _PLOT_IN

        x, y = np.asarray(panel.x, dtype=float), np.asarray(panel.y, dtype=float)
        with np.errstate(invalid="ignore"):
            xs = np.where(np.isfinite(x), at_x(x), np.nan)
            ys = np.where(np.isfinite(y), at_y(y), np.nan)
        for r, control in enumerate(np.asarray(panel.controls, dtype=bool)):
            curves[bool(control)].append(np.column_stack((xs[r], ys[r])))
        for value, label in _ticks(x0, x1):
            ticks.append([(at_x(value), bottom), (at_x(value), bottom - _TICK_IN)])
            if lowest or not shared_x:
                text(at_x(value), bottom - _TICK_IN - 0.02, label, ha="center", va="top")
        for value, label in _ticks(y0, y1, most=3):
            ticks.append([(left - _TICK_IN, at_y(value)), (left, at_y(value))])
            text(left - _TICK_IN - 0.02, at_y(value), label, ha="right", va="center")
        if mark.band is not None:
            low, high = max(mark.band[0], y0), min(mark.band[1], y1)
            if low < high:
                bands.append([(left, at_y(low)), (left + width, at_y(low)),
                              (left + width, at_y(high)), (left, at_y(high))])  # fmt: skip
        if mark.hline is not None and y0 <= mark.hline <= y1:
            dashed.append([(left, at_y(mark.hline)), (left + width, at_y(mark.hline))])
        if mark.vline is not None and x0 <= mark.vline <= x1:
            dashed.append([(at_x(mark.vline), bottom), (at_x(mark.vline), top)])
    canvas.add_collection(PolyCollection(bands, facecolors=OKABE_ITO[1], alpha=0.18,
                                         linewidths=0, zorder=1))  # fmt: skip
    for control, line_colour, style in ((False, colour, "-"), (True, "#999999", "--")):
        canvas.add_collection(LineCollection(curves[control], linewidths=0.6, alpha=0.8,
                                             colors=line_colour, linestyles=style,
                                             zorder=2))  # fmt: skip
    canvas.add_collection(LineCollection(frames + ticks, linewidths=0.6, colors="black",
                                         zorder=3))  # fmt: skip
    canvas.add_collection(LineCollection(dashed, linewidths=0.8, colors=OKABE_ITO[5],
                                         linestyles="--", zorder=4))  # fmt: skip
    return figure


def _paged(
    panels: Sequence[_Panel], stem: Path, colour: str, labels: tuple[str, str],
    marks_of: Callable[[_Panel], _Marks],
) -> list[Path]:  # fmt: skip
    """Draw the panels, `MAX_PANELS` a page (PNG), controls grey and dashed."""
    plt = _pyplot()
    paths: list[Path] = []
    for page in range(0, len(panels), MAX_PANELS):
        chunk = panels[page : page + MAX_PANELS]
        figure = _sheet(plt, chunk, [marks_of(p) for p in chunk], colour, *labels)
        suffix = "" if page == 0 else f"_{page // MAX_PANELS + 1}"
        try:
            paths += _save(figure, stem.with_name(stem.name + suffix), svg=False, tight=False)
        finally:
            plt.close(figure)
    return paths


def amplification_figure(runs: Sequence[Any], stem: Path) -> list[Path]:
    """Baseline-corrected curves per target on a log scale, window shaded, threshold dashed.

    Args:
        runs: `rawcurves.ExportCurves` of the analysis (those with amplification data are drawn).
        stem: Output path without suffix.
    """
    import numpy as np

    def logs(run: Any) -> Any:
        # log10 drawn on a linear axis: the same picture as a log scale.
        if run.fit is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(np.where(run.fit.corrected > 0, run.fit.corrected, np.nan))

    def marks_of(panel: _Panel) -> _Marks:
        window = panel.mark
        has_e = window is not None and np.isfinite(window.efficiency)
        shown = f"E {100 * (window.efficiency - 1):.0f} %" if has_e else "no E"
        title = f"{panel_title(panel.target)}\n{shown}"
        if window is None or not np.isfinite(window.upper_log10):
            return _Marks(title)
        return _Marks(title, band=(float(window.lower_log10), float(window.upper_log10)),
                      hline=float(window.threshold_log10))  # fmt: skip

    panels = _panels(runs, logs, lambda run, target: run.fit.windows.get(target),
                     lambda run: run.export.amplification.x)  # fmt: skip
    return _paged(panels, stem, OKABE_ITO[0], ("cycle", "log10 F"), marks_of)


def melt_figure(runs: Sequence[Any], predicted: dict[str, float], stem: Path) -> list[Path]:
    """-dF/dT per target, controls grey, the predicted amplicon Tm as a dashed line."""

    def marks_of(panel: _Panel) -> _Marks:
        tm = None if panel.mark is None else float(panel.mark)
        return _Marks(panel_title(panel.target), vline=tm)

    panels = _panels(runs, lambda run: run.melt.derivative if run.melt is not None else None,
                     lambda _run, target: predicted.get(target),
                     lambda run: run.melt.temperature)  # fmt: skip
    return _paged(panels, stem, OKABE_ITO[2], ("°C", "−dF/dT"), marks_of)


QC_COLOURS = {"ok": "#009E73", "no Ct": "#BBBBBB", "flagged": "#E69F00", "excluded": "#D55E00",
              "control": "#56B4E9", "standard": "#CC79A7"}  # fmt: skip


# A well set aside for its role (the export's task, or a control's name) is shown by its role.
def _role_of(fate: object) -> str | None:
    from assay.analysis.instruments import ROLE_REASONS, Role

    text = str(fate)
    if ROLE_REASONS[Role.STANDARD.value] in text:
        return "standard"
    return "control" if any(r in text for r in ROLE_REASONS.values()) else None


_ROW_LETTERS = "ABCDEFGHIJKLMNOP"


def well_position(well: str, columns: int) -> tuple[int, int] | None:
    """(row, column), 0-based, of "B7", "B07" or a 1-based well number on a plate so wide.

    >>> well_position("B07", 12), well_position("13", 12), well_position("", 12)
    ((1, 6), (1, 0), None)
    """
    text = str(well).strip().upper()
    if len(text) >= 2 and text[0] in _ROW_LETTERS and text[1:].isdigit():
        return _ROW_LETTERS.index(text[0]), int(text[1:]) - 1
    if text.isdigit() and int(text) > 0:
        return (int(text) - 1) // columns, (int(text) - 1) % columns
    return None


def plate_verdicts(wells: pd.DataFrame) -> list[str]:
    """What each well of wells.csv is shown as: its role if set aside for it, else its QC verdict.

    >>> import pandas as pd
    >>> plate_verdicts(pd.DataFrame({"qc": ["ok", "ok", "excluded", "excluded"],
    ...     "ct": [20.0, float("nan"), 30.0, 12.0],
    ...     "fate": ["used", "no Ct", "excluded: NTC (no-template control)",
    ...              "excluded: Cq below the baseline region"]}))
    ['ok', 'no Ct', 'control', 'excluded']
    """
    fates = wells["fate"] if "fate" in wells else [""] * len(wells)
    cts = wells["ct"] if "ct" in wells else [math.nan] * len(wells)
    return [_role_of(f) or ("no Ct" if q == "ok" and c != c else str(q))
            for q, c, f in zip(wells["qc"], cts, fates, strict=True)]  # fmt: skip


def plate_figure(wells: pd.DataFrame, stem: Path, max_plates: int = 6) -> list[Path]:
    """Plate view per plate, as the instrument software lays it out: wells coloured by verdict.

    `wells` is wells.csv (a ``qc`` column and ``well``, ``plate``, ``ct`` and ``fate`` where
    known). A well set aside for its role (NTC, no-RT control, standard) is coloured by its
    role, not as excluded. A well
    with several targets (multiplex) takes its worst verdict. 96 wells (8 × 12) unless a
    position says 384 (16 × 24). Plates beyond `max_plates` are not drawn (said in the title).
    """
    plt = _pyplot()
    from matplotlib.patches import Patch

    rank = {"ok": 0, "control": 0, "standard": 0, "no Ct": 1, "flagged": 2, "excluded": 3}
    frame = wells.assign(plate=wells["plate"].astype(str) if "plate" in wells else "",
                         verdict=plate_verdicts(wells))  # fmt: skip
    plates = list(dict.fromkeys(frame["plate"]))
    shown = plates[:max_plates]
    figure, axes = plt.subplots(len(shown), 1, figsize=(WIDTH_IN * 0.6, 2.3 * len(shown)),
                                squeeze=False)  # fmt: skip
    for axis, plate in zip(axes[:, 0], shown, strict=True):
        here = frame[frame["plate"] == plate]
        numbers = [int(w) for w in here["well"].astype(str) if w.strip().isdigit()]
        letters = [str(w).strip().upper()[:1] for w in here["well"].astype(str)]
        big = (max(numbers, default=0) > 96) or any(c in "IJKLMNOP" for c in letters if c)
        rows, columns = (16, 24) if big else (8, 12)
        worst: dict[tuple[int, int], str] = {}
        for well, verdict in zip(here["well"].astype(str), here["verdict"], strict=True):
            place = well_position(well, columns)
            if place is None or place[0] >= rows or place[1] >= columns:
                continue
            if rank.get(verdict, 0) >= rank.get(worst.get(place, "ok"), 0) or place not in worst:
                worst[place] = verdict
        for r in range(rows):
            for c in range(columns):
                verdict = worst.get((r, c))
                axis.add_patch(plt.Circle((c, r), 0.42, facecolor=QC_COLOURS.get(verdict or "",
                               "white"), edgecolor="#888888", linewidth=0.4))  # fmt: skip
        axis.set_xlim(-0.6, columns - 0.4)
        axis.set_ylim(rows - 0.4, -0.6)
        axis.set_aspect("equal")
        axis.set_xticks(range(columns), [str(c + 1) for c in range(columns)], fontsize=5)
        axis.set_yticks(range(rows), list(_ROW_LETTERS[:rows]), fontsize=5)
        axis.tick_params(length=0)
        for side in ("left", "bottom"):
            axis.spines[side].set_visible(False)
        axis.set_title(plate or "plate", loc="left")
    if len(plates) > max_plates:
        figure.suptitle(f"first {max_plates} of {len(plates)} plates (all wells: wells.csv)")
    handles = [Patch(facecolor=colour, edgecolor="#888888", label=name)
               for name, colour in QC_COLOURS.items()]  # fmt: skip
    figure.legend(handles=handles, loc="lower center", ncol=6, frameon=False,
                  bbox_to_anchor=(0.5, -0.02), fontsize=7)  # fmt: skip
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    paths = _save(figure, stem, svg=False)
    plt.close(figure)
    return paths


def standards_figure(series: Sequence[DilutionSeries], stem: Path) -> list[Path]:
    """Each target's dilution series: Cq of every well against log10 quantity, with the fit.

    Undetected replicates are drawn as open marks at the top of the axis, so a level's losses
    are seen; the legend states slope, efficiency with its 95 % CI, and R².
    """
    plt = _pyplot()
    count = len(series)
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(WIDTH_IN, 2.4 * rows), squeeze=False)
    for axis, one in zip(axes.flat, series, strict=False):
        colour = OKABE_ITO[0]
        xs = [math.log10(lv.quantity) for lv in one.levels]
        top = max((lv.mean_cq for lv in one.levels if lv.mean_cq == lv.mean_cq), default=40.0)
        for level, x in zip(one.levels, xs, strict=True):
            axis.errorbar([x], [level.mean_cq], yerr=[0 if level.sd_cq != level.sd_cq
                                                      else level.sd_cq],
                          fmt="o", color=colour, markersize=3, capsize=2)  # fmt: skip
            lost = level.replicates - level.detected
            if lost:
                axis.plot([x] * lost, [top + 1.5] * lost, "o", mfc="none", color="grey",
                          markersize=3)  # fmt: skip
                axis.annotate(f"{lost} not detected", (x, top + 1.5), xytext=(4, -3),
                              textcoords="offset points", fontsize=6, color="grey")  # fmt: skip
        curve = one.curve
        low, high = min(xs), max(xs)
        axis.plot([low, high], [curve.intercept + curve.slope * low,
                                curve.intercept + curve.slope * high], color=colour,
                  linewidth=1)  # fmt: skip
        e_low, e_high = curve.efficiency_interval_pct()
        axis.set_title(one.target, fontsize=8)
        axis.text(0.97, 0.95, f"slope {curve.slope:.3f}\nE {curve.efficiency_pct:.1f} % "
                  f"({e_low:.1f}-{e_high:.1f})\nR² {curve.r_squared:.3f}",
                  transform=axis.transAxes, ha="right", va="top", fontsize=7)  # fmt: skip
        axis.set_xlabel("log10 quantity")
        axis.set_ylabel("Cq (mean ± SD per level)")
    for axis in list(axes.flat)[count:]:
        axis.set_visible(False)
    figure.tight_layout()
    paths = _save(figure, stem)
    plt.close(figure)
    return paths
