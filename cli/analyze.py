"""`assay analyze CT_TABLE`: relative expression (2^-ΔΔCt) with statistics, written to a folder."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any, cast

from assay.cli.options import (
    CT_FIELDS,
    add_by_option,
    add_column_option,
    add_samples_option,
    column_mapping,
    number,
    panels_of,
)
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.analysis.ddct import Expression, Settings
    from assay.analysis.wells import WellTable


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay analyze`."""
    parser.add_argument(
        "table", nargs="+",
        help="Ct table, one row per well (.csv, .tsv, .xlsx), or an instrument's export as it "
        "came (QuantStudio, StepOne, ABI 7900, CFX, LightCycler, RDML; see assay wells); "
        "several files are plates of one experiment",
    )  # fmt: skip
    parser.add_argument(
        "--reference", metavar="GENE[,GENE]",
        help="reference gene(s), e.g. GAPDH or 28S,ACTB (several: mean of their Ct); default: "
        "the export's Endogenous Control, where it names one",
    )  # fmt: skip
    parser.add_argument(
        "--control", metavar="GROUP",
        help="calibrator group; default: the export's Reference Sample, where it names one",
    )  # fmt: skip
    add_samples_option(parser)
    add_by_option(parser)
    parser.add_argument(
        "--out", default="assay-analysis", metavar="DIR",
        help="folder for expression.csv, stats.csv, wells.csv and analysis.json",
    )  # fmt: skip
    parser.add_argument("--welch", action="store_true", help="Welch's t-test instead of Student's")
    parser.add_argument(
        "--replicates", choices=("auto", "biological", "technical"), default="auto",
        help="what the wells of a group are. auto: with a sample column, technical replicates "
        "are averaged per sample and samples are tested (none with one sample per group); "
        "without one, the wells are technical replicates of one sample and nothing is tested. "
        "biological: each sample (or well) is an independent replicate. technical: no tests",
    )  # fmt: skip
    parser.add_argument(
        "--correction", choices=("none", "holm", "bh"), default="bh",
        help="correction of the p-values shown beside fold changes, as one family over every "
        "panel, gene and comparison (default: bh, Benjamini-Hochberg)",
    )  # fmt: skip
    parser.add_argument(
        "--interval", choices=("ci", "sd", "quantstudio"), default="ci",
        help="what the fold change's low-high range is. ci (default): confidence interval, "
        "t-based on ddCt with the calibrator's uncertainty; sd: 2^-(ddCt +/- SD) as in Livak & "
        "Schmittgen 2001; quantstudio: Rq Min/Max as QuantStudio software computes them",
    )  # fmt: skip
    parser.add_argument(
        "--non-detects", default="strict", metavar="strict|exclude|limit=CYCLES",
        type=_non_detects,
        help="units (samples) without a Cq for a target: strict (default) tests a group only "
        "when every unit has one; exclude tests the detected ones; limit=40 sets them to Cq 40. "
        "Always counted beside the fold",
    )  # fmt: skip
    parser.add_argument(
        "--block", default="", metavar="COLUMN",
        help="a column naming each sample's experiment, run or plate: groups are compared "
        "within blocks (randomised-block model; paired t-test with one sample per group and "
        "block)",
    )  # fmt: skip
    parser.add_argument(
        "--inter-run", default="", metavar="SAMPLE[,SAMPLE]",
        help="inter-run calibrator sample(s), run on every plate: each plate's offset per gene "
        "is removed before analysis (qbase+'s inter-run calibration)",
    )  # fmt: skip
    parser.add_argument("--ci-level", type=_level, default=0.95, metavar="PERCENT",
                        help="confidence level of intervals (default 95)")  # fmt: skip
    parser.add_argument("--ct-cutoff", type=number, default=35.0, metavar="CYCLES",
                        help="flag Cts above this (default 35)")  # fmt: skip
    parser.add_argument(
        "--efficiency", action="append", default=[], metavar="GENE=E",
        help="amplification efficiency, as a factor (1.95) or percent (95%%); given for every "
        "gene, the Pfaffl ratio replaces 2^-ddCt",
    )  # fmt: skip
    parser.add_argument(
        "--cq-from", choices=("auto", "instrument", "curves"), default="auto",
        help="for exports with raw amplification data (RDML): curves takes each Cq and each "
        "target's efficiency from the raw curves (as assay curves; fold change then the "
        "efficiency-corrected ratio); instrument the instrument's Cqs; auto: the curves only when "
        "the file has no Cq",
    )  # fmt: skip
    parser.add_argument(
        "--standard-curve", metavar="FILE",
        help="dilution series (columns gene, quantity, ct): fit each gene's efficiency",
    )  # fmt: skip
    parser.add_argument(
        "--assays", metavar="JSON",
        help="report of assay validate --json: flag genes whose assay failed or is unverified",
    )  # fmt: skip
    parser.add_argument(
        "--strict", action="store_true",
        help="with --assays: refuse to analyse genes whose assay failed or is unverified",
    )  # fmt: skip
    parser.add_argument(
        "--od", metavar="FILE",
        help="MTT absorbances (one row per well) for viability in the same report",
    )  # fmt: skip
    parser.add_argument(
        "--od-control", metavar="GROUP", help="control group of the OD table (default: --control)"
    )
    parser.add_argument(
        "--blank-group", default="blank", metavar="GROUP",
        help="group of blank wells in the OD table (default: blank)",
    )  # fmt: skip
    parser.add_argument(
        "--drop-outliers", action="store_true",
        help="remove technical replicates that are the odd one out (more than 0.5 cycles from "
        "the median of siblings that agree); they are listed as excluded",
    )  # fmt: skip
    parser.add_argument(
        "--rdml", metavar="FILE",
        help="also write RDML 1.3: the wells (with raw curves when read), reference genes, "
        "efficiencies, each group's fold changes and, with --assays, primers and verdicts",
    )  # fmt: skip
    add_column_option(parser, CT_FIELDS)


def _efficiency(item: str) -> tuple[str, float]:
    gene, _, text = item.partition("=")
    value = text.strip().rstrip("%")
    try:
        number = float(value)
    except ValueError:
        raise InputError("must be GENE=FACTOR or GENE=PERCENT, e.g. GAPDH=1.95 or GAPDH=95%",
                         column="--efficiency", value=item) from None  # fmt: skip
    factor = 1.0 + number / 100.0 if text.strip().endswith("%") or number > 3 else number
    if not gene.strip() or not 1.0 < factor <= 2.5:
        raise InputError("is not a plausible amplification efficiency (factor 1-2.5, or 1-150 %)",
                         column="--efficiency", value=item)  # fmt: skip
    return gene.strip(), factor


def _non_detects(text: str) -> str:
    """strict, exclude or limit=CYCLES (20-60)."""
    value = text.strip().lower()
    if value in ("strict", "exclude"):
        return value
    name, _, cycles = value.partition("=")
    try:
        number = float(cycles)
    except ValueError:
        number = math.nan
    if name != "limit" or not 20 <= number <= 60:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give strict, exclude or limit=CYCLES with 20-60 cycles (e.g. limit=40)"
        )
    return f"limit={number:g}"


def _level(text: str) -> float:
    """A confidence level given as a percent (95) or a fraction (0.95)."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 95)") from None
    level = value / 100.0 if value > 1 else value
    if not 0.5 <= level <= 0.999:
        raise argparse.ArgumentTypeError(f"{text!r}: the level must be from 50 to 99.9 %")
    return level


def run(args: argparse.Namespace) -> int:
    """Analyse the table (and OD table), write the folder and report, print a summary."""
    from pathlib import Path

    from assay.analysis.ddct import Interval, Settings
    from assay.analysis.pipeline import AnalysisRequest, run_analysis
    from assay.analysis.standards import read_standard_curves
    from assay.analysis.stats import Correction
    from assay.analysis.viability import ViabilitySettings
    from assay.files import staged_folder

    panels = panels_of(args)
    efficiencies = dict(_efficiency(item) for item in args.efficiency)
    curves = read_standard_curves(args.standard_curve) if args.standard_curve else []
    for curve in curves:
        efficiencies.setdefault(curve.gene, curve.amplification_factor)
    # A curve's uncertainty goes with the efficiency it gave (not one typed with --efficiency).
    efficiency_se = tuple(
        (c.gene, c.log2_factor_se, c.points - 2)
        for c in curves
        if efficiencies[c.gene] == c.amplification_factor and c.points > 2
    )
    settings = Settings(
        reference_genes=tuple(g.strip() for g in (args.reference or "").split(",") if g.strip()),
        control=args.control or "", panels=panels, welch=args.welch, replicates=args.replicates,
        correction=Correction(args.correction), ct_cutoff=args.ct_cutoff,
        efficiencies=tuple(sorted(efficiencies.items())), interval=Interval(args.interval),
        ci_level=args.ci_level, non_detects=args.non_detects, efficiency_se=efficiency_se,
        block=args.block,
    )  # fmt: skip
    viability = None
    if args.od:
        if not (args.od_control or args.control):
            raise InputError("an OD table needs its control group: --od-control or --control")
        viability = ViabilitySettings(
            control=args.od_control or args.control, blank_group=args.blank_group,
            panels=panels, welch=args.welch, pool=args.pool,
        )  # fmt: skip
    with staged_folder(args.out) as staging:
        outcome = run_analysis(
            AnalysisRequest(
                ct_table=Path(args.table[0]), more_tables=tuple(Path(t) for t in args.table[1:]),
                settings=settings, out=staging, columns=column_mapping(args, CT_FIELDS),
                assays=Path(args.assays) if args.assays else None,
                strict=args.strict, drop_outliers=args.drop_outliers, curves=tuple(curves),
                od_table=Path(args.od) if args.od else None, viability=viability,
                samples=Path(args.samples) if args.samples else None, cq_from=args.cq_from,
                inter_run=tuple(s.strip() for s in args.inter_run.split(",") if s.strip()),
                pool=args.pool,
            )
        )  # fmt: skip
    sys.stdout.write(summary(outcome.expression, outcome.settings, outcome.table))
    sys.stdout.write(qc_summary(outcome.flagged, outcome.table))
    if outcome.viability is not None:
        from assay.analysis.viability import summary_text

        sys.stdout.write("\n" + summary_text(outcome.viability))
    for line in outcome.info:
        print(line)
    for warning in outcome.warnings:
        print(f"WARNING {warning}")
    print(f"\nWritten to {args.out}/: {', '.join(p.name for p in outcome.files)}")
    if args.rdml:
        _write_rdml(args, outcome)
        print(f"Written to {args.rdml}: RDML 1.3")
    return 0


def _write_rdml(args: argparse.Namespace, outcome: Any) -> None:
    """The analysis as RDML 1.3 (`rdml_out.analysis_document`)."""
    from assay.analysis.rdml_out import analysis_document, write_rdml

    write_rdml(args.rdml, analysis_document(args.table, outcome, args.assays))


QC_SHOWN = 10  # flagged or excluded wells listed on the console (all of them in wells.csv)


def qc_summary(flagged: Any, table: WellTable) -> str:
    """The QC line and the wells that are not ok, capped at `QC_SHOWN` with a count."""
    from assay.analysis.qc import doubtful, summary_line

    lines = ["", summary_line(flagged, table.excluded)]
    rows = [
        (int(r["row"]), str(r.get("well", "")), str(r["gene"]), str(r["group"]), "flagged",
         str(r["flags"]))
        for r in cast("list[dict[str, Any]]", flagged.to_dict(orient="records"))
        if doubtful(str(r["flags"]))
    ] + [
        (int(r["row"]), str(r.get("well", "")), str(r["gene"]), str(r["group"]), "excluded",
         str(r["reason"]))
        for r in cast("list[dict[str, Any]]", table.excluded.to_dict(orient="records"))
        if str(r["reason"]).startswith("QC:") or "outlier" in str(r["reason"])
    ]  # fmt: skip
    for row, well, gene, group, verdict, why in sorted(rows)[:QC_SHOWN]:
        place = f"well {well}" if well else f"row {row}"
        lines.append(f"  {verdict:<8} {place:<10} {gene} / {group}: {why}")
    if len(rows) > QC_SHOWN:
        lines.append(f"  … and {len(rows) - QC_SHOWN} more (wells.csv: qc, qc_reasons)")
    return "\n".join(lines) + "\n"


def summary(result: Expression, settings: Settings, table: WellTable) -> str:
    """A concise terminal summary of an analysis: names in full, columns as wide as they need."""
    used = int(table.wells["ct"].notna().sum())
    lines = [
        f"Ct table:   {table.source}",
        f"Design:     {result.design.value}; reference {', '.join(settings.reference_genes)}; "
        f"calibrator {settings.control}",
        f"Tests:      {result.method}",
        f"Wells:      {used} used, {len(table.missing)} without Ct, {len(table.excluded)} excluded",
        "",
    ]
    marked = marked_qc = False
    records = cast("list[dict[str, Any]]", result.expression.to_dict(orient="records"))
    with_panels = any(str(r["panel"]) for r in records)
    header = [*(["panel"] if with_panels else []), "gene", "group", "n", "dCt", "ddCt",
              "fold (low-high)", "p"]  # fmt: skip
    rows: list[tuple[list[str], str]] = []  # (cells, a note shown instead of the numbers)
    for row in records:
        # A gene whose assay failed or is unverified is marked where its numbers are shown.
        untrusted = bool(row.get("assay_problem"))
        marked |= untrusted
        named = [*([str(row["panel"])] if with_panels else []),
                 f"{row['gene']}†" if untrusted else str(row["gene"]), str(row["group"]),
                 str(row["n"])]  # fmt: skip
        if row["n"] == 0:
            rows.append((named, str(row["detection"])))
            continue
        low, high = row["fold_change_low"], row["fold_change_high"]
        spread = "" if math.isnan(low) else f" ({low:.2f}-{high:.2f})"
        resting = "!" if str(row.get("qc") or "") else ""
        marked_qc = marked_qc or bool(resting)
        p_value = row.get("p_value", math.nan)
        p = "" if math.isnan(p_value) else f"{p_value:.2g} {row['significance']}"
        rows.append(([*named, f"{row['delta_ct_mean']:.2f}", f"{row['delta_delta_ct']:.2f}",
                      f"{row['fold_change']:.2f}{spread}{resting}", p], ""))  # fmt: skip
    widths = [max(len(c[i]) for c in [header, *(r for r, _ in rows)] if i < len(c))
              for i in range(len(header))]  # fmt: skip
    text_columns = len(header) - 5  # panel, gene, group: left-aligned; the rest right-aligned

    def shown(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < text_columns else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ).rstrip()

    lines.append(shown(header))
    lines.extend(shown(cells) + (f"  {note}" if note else "") for cells, note in rows)
    lines.append("fold (low-high): the fold change and the range the Tests line names; p: the "
                 "adjusted p-value with its stars")  # fmt: skip
    if marked:
        lines.append("† the gene's assay failed or is unverified in validation (see the warnings)")
    if marked_qc:
        lines.append("! the fold change rests on a flagged well (see QC below and expression.csv)")
    return "\n".join(lines) + "\n"
