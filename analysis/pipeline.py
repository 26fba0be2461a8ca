"""One analysis end to end: Ct table (and OD table, and validation report) in, a results folder out.

`run_analysis` is what `assay analyze` and `assay demo` call. Everything is computed first; files
are written only when all of it succeeded, each atomically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from assay.analysis.ddct import (
    Design,
    Expression,
    Settings,
    StandardCurve,
    drop_outliers,
    flag_wells,
    inter_run_calibrated,
)
from assay.analysis.ddct import relative_expression as compute_expression
from assay.analysis.instruments import FINDING_PREFIXES
from assay.analysis.qc import (
    doubtful,
    excluded_rows,
    plate_confounding,
    resting_on_flags,
    summary_line,
)
from assay.analysis.refgenes import M_HETEROGENEOUS, reference_stability
from assay.analysis.standards import curve_warnings
from assay.analysis.viability import Viability, ViabilitySettings
from assay.analysis.wells import WellTable, read_plates, refuse_pooling
from assay.errors import InputError
from assay.files import write_text_atomic


@dataclass(frozen=True, kw_only=True)
class AnalysisRequest:
    """What to analyse and how.

    Attributes:
        ct_table: The Ct table (or the first of several plates).
        more_tables: Further plates of the same experiment.
        settings: ΔΔCt choices.
        out: Results folder.
        columns: Field -> column name mapping for the Ct table.
        assays: Report of `assay validate --json`, to link each gene to its validated assay.
        strict: Refuse genes whose assay failed or is unverified.
        drop_outliers: Remove replicate outliers (flagged in any case).
        curves: Standard curves fitted beforehand (for the report).
        od_table: MTT absorbances, for viability in the same report.
        viability: Viability choices (required with `od_table`).
        samples: A sample sheet for an instrument export (group, gene, panels by well/sample).
        cq_from: Where an export's Cqs come from: its raw curves or the instrument (see
            `wells.read_wells`).
    """

    ct_table: Path
    more_tables: tuple[Path, ...] = ()
    settings: Settings
    out: Path
    columns: dict[str, str] = field(default_factory=dict)
    assays: Path | None = None
    strict: bool = False
    drop_outliers: bool = False
    curves: tuple[StandardCurve, ...] = ()
    od_table: Path | None = None
    viability: ViabilitySettings | None = None
    samples: Path | None = None
    cq_from: str = "auto"
    inter_run: tuple[str, ...] = ()  # inter-run calibrator samples (on every plate)
    pool: bool = False  # average columns that split the groups (cell line, ...) left out of --by


@dataclass
class AnalysisOutcome:
    """What `run_analysis` computed and wrote."""

    expression: Expression
    table: WellTable
    viability: Viability | None
    files: list[Path]
    warnings: list[str]
    info: list[str]
    settings: Settings  # as used: with the export's reference gene and calibrator if taken
    flagged: Any = None  # the used wells with their flags (`ddct.flag_wells`)


def with_export_defaults(settings: Settings, table: WellTable) -> tuple[Settings, list[str]]:
    """Fill a missing reference gene or calibrator from what the export says the software used.

    Returns the settings and a sentence for each value so taken (said in the output).

    Raises:
        InputError: One is missing and the file does not name it either.
    """
    from dataclasses import replace

    said = []
    if not settings.reference_genes:
        if table.endogenous_control is None:
            raise InputError("give the reference gene(s) with --reference GENE", path=table.source)
        # QuantStudio names several controls in one cell: "ACTB, GAPDH".
        genes = tuple(g.strip() for g in table.endogenous_control.split(",") if g.strip())
        genes, dropped = _controls_with_cts(genes, table)
        if dropped:
            said.append(
                f"the export's endogenous control(s) {', '.join(dropped)} left out of the "
                "reference: no Ct in some samples (a spike-in or a failed assay)"
            )
        settings = replace(settings, reference_genes=genes)
        said.append(
            f"reference gene{'s' if len(genes) > 1 else ''} {', '.join(genes)}: the export's "
            "Endogenous Control (--reference to choose another)"
        )
    if not settings.control:
        if table.reference_sample is None:
            raise InputError("give the calibrator group with --control GROUP", path=table.source)
        settings = replace(settings, control=table.reference_sample)
        said.append(
            f"calibrator {table.reference_sample}: the export's Reference Sample "
            "(--control to choose another)"
        )
    return settings, said


def _controls_with_cts(
    genes: tuple[str, ...], table: WellTable
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The export's controls split into those with a Ct in every sample and the others.

    OpenArray types every control assay ENDO, spike-ins without template among them; a reference
    must be measured in every sample. When none is, all are kept (the analysis says why it stops).
    """
    wells = table.wells
    samples = set(wells["sample"])
    measured = wells[wells["ct"].notna()].groupby("gene", observed=True)["sample"].agg(set)
    kept = tuple(g for g in genes if measured.get(g, set()) >= samples)
    if not kept or len(kept) == len(genes):
        return genes, ()
    return kept, tuple(g for g in genes if g not in kept)


# Efficiencies from two sources further apart than this change fold changes noticeably (0.05 over
# 10 cycles is a factor of 1.3).
EFFICIENCY_AGREEMENT = 0.05


def efficiency_disagreements(
    found: tuple[tuple[str, float], ...], source: str, curves: tuple[StandardCurve, ...]
) -> list[str]:
    """Genes whose efficiency from the file and from their standard curve differ.

    Where the raw curves' (or the export's) efficiency of a gene differs from its standard
    curve's by more than `EFFICIENCY_AGREEMENT`, fold changes depend on which is used.

    >>> curve = StandardCurve(gene="RNaseP", slope=-3.4, intercept=40.0, r_squared=1.0, points=5)
    >>> efficiency_disagreements((("RNaseP", 1.78),), "the raw curves", (curve,))[0][:50]
    'efficiency: RNaseP 1.78 from the raw curves, 1.97 '
    """
    standard = {c.gene: c.amplification_factor for c in curves}
    said = []
    for gene, value in found:
        if gene in standard and abs(value - standard[gene]) > EFFICIENCY_AGREEMENT:
            said.append(
                f"efficiency: {gene} {value:.2f} from {source or 'the file'}, "
                f"{standard[gene]:.2f} from its standard curve: fold changes depend on which is "
                "used (the standard curve's is)"
            )
    return said


def _columns_to_keep(settings: Settings) -> tuple[str, ...]:
    """The panel columns, and the block column where it is not one the reader keeps anyway."""
    kept = ("plate", "well", "sample", "group", "gene")
    extra = (settings.block,) if settings.block and settings.block not in kept else ()
    return (*settings.panels, *extra)


def run_analysis(request: AnalysisRequest) -> AnalysisOutcome:
    """Analyse, draw and write the results folder.

    Writes expression.csv, stats.csv, wells.csv, analysis.json, the figures and report.html (and
    viability.csv with an OD table) into `request.out`.

    Raises:
        InputError: Bad input anywhere (nothing is written then).
    """
    from assay.analysis.assays import assay_problems, read_assays
    from assay.analysis.figures import (
        expression_figure,
        expression_form,
        expression_small_multiples,
        plate_figure,
    )
    from assay.analysis.outputs import draw_viability, wells_with_fate, write_analysis
    from assay.analysis.report import ReportInputs, write_report
    from assay.analysis.viability import read_od_table
    from assay.analysis.viability import viability as compute_viability

    table = read_plates(
        [request.ct_table, *request.more_tables], columns=request.columns,
        panels=_columns_to_keep(request.settings), samples=request.samples,
        cq_from=request.cq_from,
    )  # fmt: skip
    if table.wells.empty or table.wells["ct"].isna().all():
        from collections import Counter

        # Counted by rule: the numbers in a reason differ from well to well.
        reasons = Counter(re.sub(r"-?\d+(?:\.\d+)?", "#", str(r))
                          for r in table.excluded.get("reason", []))  # fmt: skip
        said = "; ".join(f"{n} × {r}" for r, n in reasons.most_common(5))
        # A plate of standards (a dilution series) is for `assay standards`, not for ΔΔCq.
        standards = sum(n for r, n in reasons.items() if r.startswith("standard"))
        hint = ("; a plate of standards: `assay standards` fits their curves"
                if standards and 2 * standards >= len(table.excluded) else "")  # fmt: skip
        raise InputError(
            f"no well is left to analyse: {len(table.excluded)} excluded"
            + (f" ({said})" if said else "") + f", {len(table.missing)} without a Ct" + hint,
            path=table.source,
        )  # fmt: skip
    refuse_pooling(table.notes, pool=request.pool, path=table.source)
    settings, chosen = with_export_defaults(request.settings, table)
    if table.efficiencies and not settings.efficiencies:
        settings = replace(settings, efficiencies=table.efficiencies)
        where = table.efficiency_source or "the files"
        chosen.append(f"efficiencies from {where}: " + ", ".join(
            f"{t} {e:.3f}" for t, e in table.efficiencies))  # fmt: skip
    problems: dict[str, str] = {}
    validation: dict[str, Any] | None = None
    if request.assays is not None:
        problems = assay_problems(sorted(set(table.wells["gene"])), read_assays(request.assays))
        validation = json.loads(Path(request.assays).read_text(encoding="utf-8"))
        if problems and request.strict:
            listed = "; ".join(f"{gene}: {why}" for gene, why in problems.items())
            raise InputError(
                f"--strict: genes without a usable assay: {listed}", path=request.assays
            )
    elif request.strict:
        raise InputError("--strict needs --assays FILE (the report of assay validate --json)")
    if request.drop_outliers:
        table = drop_outliers(table, settings)
    if request.inter_run:
        calibrated, offsets = inter_run_calibrated(table.wells, request.inter_run,
                                                   source=table.source)  # fmt: skip
        table = replace(table, wells=calibrated)
        chosen += offsets
    expression = compute_expression(table.wells, settings, source=table.source)
    if problems:
        why_not = [problems.get(gene, "") for gene in expression.expression["gene"]]
        # No stars for a gene whose assay failed or is unverified: its p stands, with the reason
        # beside it, but the star would claim what validation has not shown.
        marked = expression.expression.assign(
            assay_problem=why_not,
            significance=[
                "" if why else star
                for why, star in zip(why_not, expression.expression["significance"], strict=True)
            ],
        )
        expression = replace(expression, expression=marked).with_notes(
            [f"{gene}: {why}" for gene, why in problems.items()]
        )
    viability = None
    if request.od_table is not None:
        if request.viability is None:
            raise InputError("an OD table needs viability settings (its control group)")
        viability = compute_viability(read_od_table(request.od_table, request.viability),
                                      request.viability)  # fmt: skip
    info = [
        f"standard curve {c.gene}: slope {c.slope:.3f} (SE {c.slope_se:.3f}), R2 "
        f"{c.r_squared:.4f}, efficiency {c.efficiency_pct:.1f} % (95 % CI "
        + "{:.1f}-{:.1f} %)".format(*c.efficiency_interval_pct())
        for c in request.curves
    ]
    if settings.efficiencies:
        info.append("fold change is the efficiency-corrected ratio (Pfaffl 2001)")
    warnings = [note for note in expression.notes if note != expression.method]
    # A contaminated NTC is a finding; how the file was read is information.
    warnings += [note for note in table.notes if note.startswith(FINDING_PREFIXES)]
    info = chosen + [n for n in table.notes if not n.startswith(FINDING_PREFIXES)] + info
    info += list(expression.interactions)
    warnings += [w for curve in request.curves for w in curve_warnings(curve)]
    warnings += efficiency_disagreements(table.efficiencies, table.efficiency_source,
                                         request.curves)  # fmt: skip
    warnings += plate_confounding(table.wells, settings.control, settings.reference_genes)
    if len(settings.reference_genes) >= 2 and expression.design is Design.PAIRED:
        for stability in reference_stability(
            table.wells, settings.reference_genes, settings.panels
        ):
            info.append(stability.summary())
            worst = max(stability.m.values())
            if worst > M_HETEROGENEOUS:
                warnings.append(
                    f"the reference genes disagree with one another (geNorm M {worst:.2f}, above "
                    f"{M_HETEROGENEOUS:g}): check them with assay refgenes before trusting ΔΔCt"
                )
    expression = expression.with_notes(info)

    flagged = flag_wells(table.wells, settings)
    marks = resting_on_flags(expression.expression, flagged, settings.reference_genes,
                             settings.control, settings.panels)  # fmt: skip
    expression = replace(expression, expression=excluded_rows(
        expression.expression.assign(qc=marks), table.excluded, settings.reference_genes,
        settings.panels,
    ))  # fmt: skip
    out = request.out
    files = write_analysis(out, expression, settings, table, flagged)
    drawn = expression_figure(
        expression.expression, expression.samples, settings.control, out / "expression",
        corrected=bool(settings.efficiencies),
    )  # fmt: skip
    figures = {"expression": drawn[0]}
    files += [out / "expression.png", out / "expression.svg"]
    if expression_form(expression.expression) == "heatmap":  # and every gene on its own
        pages = expression_small_multiples(
            expression.expression, settings.control, out / "expression_genes",
            corrected=bool(settings.efficiencies),
        )  # fmt: skip
        figures["expression_genes"] = pages[0]
        files += pages
    every_well = wells_with_fate(flagged, table)
    if "well" in every_well and (every_well["well"].astype(str) != "").any():
        figures["plates"] = plate_figure(every_well, out / "plates")[0]
        files.append(out / "plates.png")
    if viability is not None and request.viability is not None:
        write_text_atomic(out / "viability.csv",
                          viability.summary.to_csv(index=False, float_format="%.6g"))  # fmt: skip
        files.append(out / "viability.csv")
        if viability.dose_response is not None:
            fits = viability.dose_response.to_csv(index=False, float_format="%.6g")
            write_text_atomic(out / "dose_response.csv", fits)
            files.append(out / "dose_response.csv")
        shown, drawn_files = draw_viability(viability, request.viability.control, out)
        figures.update(shown)
        files += drawn_files
    report = ReportInputs(
        title=f"assay report: {Path(request.ct_table).name}",
        validation=validation,
        expression=expression,
        expression_settings=settings,
        expression_source=table.source,
        excluded=cast("list[dict[str, Any]]", table.excluded.to_dict(orient="records")),
        flagged=cast(
            "list[dict[str, Any]]",
            flagged[[doubtful(str(f)) for f in flagged["flags"]]].to_dict(orient="records"),
        ),
        qc=summary_line(flagged, table.excluded),
        viability=viability,
        viability_settings=request.viability,
        viability_source=None if request.od_table is None else str(request.od_table),
        figures=figures,
        warnings=warnings,
        parameters=json.loads((out / "analysis.json").read_text(encoding="utf-8")),
    )
    files += write_report(out, report)
    return AnalysisOutcome(expression=expression, table=table, viability=viability, files=files,
                           warnings=warnings, info=info, settings=settings,
                           flagged=flagged)  # fmt: skip
