"""`assay analyze CT_TABLE`: relative expression (2^-ΔΔCt) with statistics, written to a folder."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any, cast

from assay.errors import InputError

if TYPE_CHECKING:
    from assay.analysis.ddct import Expression, Settings
    from assay.analysis.wells import WellTable


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay analyze`."""
    parser.add_argument("table", help="Ct table, one row per well: .csv, .tsv or .xlsx")
    parser.add_argument(
        "--reference", required=True, metavar="GENE[,GENE]",
        help="reference gene(s), e.g. GAPDH or 28S,ACTB (several: mean of their Ct)",
    )  # fmt: skip
    parser.add_argument("--control", required=True, metavar="GROUP", help="calibrator group")
    parser.add_argument(
        "--by", default="", metavar="COLUMN[,COLUMN]",
        help="analyse each value of these columns separately, e.g. cell_line",
    )  # fmt: skip
    parser.add_argument(
        "--out", default="assay-analysis", metavar="DIR",
        help="folder for expression.csv, stats.csv, wells.csv and analysis.json",
    )  # fmt: skip
    parser.add_argument("--welch", action="store_true", help="Welch's t-test instead of Student's")
    parser.add_argument("--correction", choices=("none", "holm", "bh"), default="none",
                        help="p-value correction across genes (default: none)")  # fmt: skip
    parser.add_argument("--ct-cutoff", type=float, default=35.0, metavar="CYCLES",
                        help="flag Cts above this (default 35)")  # fmt: skip
    parser.add_argument(
        "--assays", metavar="JSON",
        help="report of assay validate --json: flag genes whose assay failed or is unverified",
    )  # fmt: skip
    parser.add_argument(
        "--strict", action="store_true",
        help="with --assays: refuse to analyse genes whose assay failed or is unverified",
    )  # fmt: skip
    parser.add_argument(
        "--column", action="append", default=[], metavar="FIELD=NAME",
        help="use column NAME for FIELD (group, gene, ct, sample, well, plate, exclude)",
    )  # fmt: skip


def _mapping(items: list[str]) -> dict[str, str]:
    fields = {"group", "gene", "ct", "sample", "well", "plate", "exclude"}
    mapping = {}
    for item in items:
        field, _, name = item.partition("=")
        if field not in fields or not name:
            raise InputError(f"must be FIELD=NAME with FIELD one of {', '.join(sorted(fields))}",
                             column="--column", value=item)  # fmt: skip
        mapping[field] = name
    return mapping


def run(args: argparse.Namespace) -> int:
    """Analyse the table, write the folder, print a summary."""
    from pathlib import Path

    from assay.analysis.ddct import Settings, flag_wells, relative_expression
    from assay.analysis.outputs import write_analysis
    from assay.analysis.stats import Correction
    from assay.analysis.wells import read_wells

    panels = tuple(p.strip() for p in args.by.split(",") if p.strip())
    settings = Settings(
        reference_genes=tuple(g.strip() for g in args.reference.split(",") if g.strip()),
        control=args.control, panels=panels, welch=args.welch,
        correction=Correction(args.correction), ct_cutoff=args.ct_cutoff,
    )  # fmt: skip
    table = read_wells(args.table, columns=_mapping(args.column), panels=panels)
    problems: dict[str, str] = {}
    if args.assays:
        from assay.analysis.assays import assay_problems, read_assays

        assays = read_assays(args.assays)
        problems = assay_problems(sorted(set(table.wells["gene"])), assays)
        if problems and args.strict:
            listed = "; ".join(f"{gene}: {why}" for gene, why in problems.items())
            raise InputError(f"--strict: genes without a usable assay: {listed}", path=args.assays)
    elif args.strict:
        raise InputError("--strict needs --assays FILE (the report of assay validate --json)")
    result = relative_expression(table.wells, settings, source=table.source)
    if problems:
        result.expression["assay_problem"] = [
            problems.get(gene, "") for gene in result.expression["gene"]
        ]
        result.notes.extend(f"{gene}: {why}" for gene, why in problems.items())
    flagged = flag_wells(table.wells, settings)
    paths = write_analysis(Path(args.out), result, settings, table, flagged)
    sys.stdout.write(summary(result, settings, table))
    for note in result.notes:
        print(f"WARNING {note}")
    print(f"\nWritten: {', '.join(str(p) for p in paths)}")
    return 0


def summary(result: Expression, settings: Settings, table: WellTable) -> str:
    """A concise terminal summary of an analysis."""
    used = int(table.wells["ct"].notna().sum())
    lines = [
        f"Ct table:   {table.source}",
        f"Design:     {result.design.value}; reference {', '.join(settings.reference_genes)}; "
        f"calibrator {settings.control}; {'Welch' if settings.welch else 'Student'} t-test",
        f"Wells:      {used} used, {len(table.missing)} without Ct, {len(table.excluded)} excluded",
        "",
        f"{'panel':<12} {'gene':<10} {'group':<14} {'n':>3} {'dCt':>7} {'ddCt':>7} "
        f"{'fold (range)':>22} {'p':>9}",
    ]
    for row in cast("list[dict[str, Any]]", result.expression.to_dict(orient="records")):
        fold = (
            f"{row['fold_change']:.2f} ({row['fold_change_low']:.2f}-{row['fold_change_high']:.2f})"
        )
        p_value = row.get("p_value", math.nan)
        p = "" if math.isnan(p_value) else f"{p_value:.2g} {row['significance']}"
        lines.append(
            f"{str(row['panel'])[:12]:<12} {str(row['gene'])[:10]:<10} "
            f"{str(row['group'])[:14]:<14} {row['n']:>3} {row['delta_ct_mean']:>7.2f} "
            f"{row['delta_delta_ct']:>7.2f} {fold:>22} {p:>9}"
        )
    return "\n".join(lines) + "\n"
