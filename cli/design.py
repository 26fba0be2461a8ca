"""`assay design TARGET…`: qPCR primer pairs on RefSeq transcripts, each checked as validate checks.

Only argument definitions live at module level; the library is imported when the command runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from assay.cli.options import add_network_options, build_store, number, whole_number
from assay.cli.validate import add_cluster_options, add_condition_options, add_offtarget_options
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.primers.design import DesignSettings


MAX_PAIRS = 100  # pairs for one target: more is a screen, not a design (and minutes with probes)


def pairs_count(text: str) -> int:
    """The --pairs value: a whole number from 1 to `MAX_PAIRS` (an argparse type)."""
    value = whole_number(text)
    if not 1 <= value <= MAX_PAIRS:
        raise argparse.ArgumentTypeError(
            f"{value} is not from 1 to {MAX_PAIRS} (more pairs for one target is a screen, "
            "not a design: run designs of the regions you want)"
        )
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay design`."""
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="ACCESSION|GENE|TABLE",
        help="RefSeq accessions (e.g. NM_002046.7), gene symbols found among the cached and "
        "bundled records (GAPDH), or tables with an accession column (and optionally gene)",
    )
    parser.add_argument(
        "--pairs", type=pairs_count, default=5, metavar="N",
        help=f"pairs per target, 1 to {MAX_PAIRS}",
    )  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="also write every pair's full report")
    parser.add_argument(
        "--table",
        metavar="FILE",
        help="also write the proposed pairs as a primer table (tab-separated) for assay validate",
    )
    parser.add_argument(
        "--order", metavar="CSV",
        help="also write an order sheet: one row per oligo (gene_F, gene_R, gene_P), sequence "
        "5'->3', scale, purification, length, Tm, GC; the columns vendors' bulk forms take",
    )  # fmt: skip
    parser.add_argument(
        "--multiplex", action="store_true",
        help="pick one pair per gene whose oligos do not dimerise with one another's and print "
        "the cross-dimer matrix (the order sheet then holds the panel)",
    )  # fmt: skip
    parser.add_argument("--scale", default="25nm", help="synthesis scale on the order sheet")
    parser.add_argument(
        "--purification", default="STD",
        help="purification on the order sheet (STD: desalted, enough for qPCR primers)",
    )  # fmt: skip
    preset = parser.add_argument_group(
        "qPCR preset", "What primer3 is asked for; the preset is printed with every design."
    )
    preset.add_argument(
        "--product-bp", default="70-150", metavar="MIN-MAX", help="product size range"
    )
    preset.add_argument("--tm-c", default="58,60,62", metavar="MIN,OPT,MAX", help="primer Tm, C")
    preset.add_argument(
        "--max-tm-diff-c",
        type=number,
        default=2.0,
        metavar="C",
        help="largest Tm difference between the primers",
    )
    preset.add_argument(
        "--size-nt", default="18,20,25", metavar="MIN,OPT,MAX", help="primer length"
    )
    preset.add_argument("--gc-pct", default="40-60", metavar="MIN-MAX", help="primer GC %%")
    preset.add_argument(
        "--anneal-temp-c",
        type=number,
        default=60.0,
        metavar="C",
        help="annealing temperature the pairs are checked for",
    )
    preset.add_argument(
        "--junction", choices=("required", "preferred", "any"), default="preferred",
        help="a primer across an exon-exon junction: required (only such pairs on multi-exon "
        "records), preferred (ranked first), any (placement does not count)",
    )  # fmt: skip
    preset.add_argument(
        "--probe", action="store_true",
        help="also design a hydrolysis (TaqMan) probe per pair: Tm 6-10 C above the primers, no "
        "5' G, more C than G, at most 30 nt, not overlapping the primers; checked like primers",
    )  # fmt: skip
    preset.add_argument(
        "--region", choices=("default", "cds", "3prime", "any"), default="default",
        help="where products may lie: default (not the first 50 nt; the CDS preferred), cds "
        "(within the coding sequence, when the record gives it), 3prime (the last 1,000 nt: "
        "oligo-dT cDNA, degraded RNA), any",
    )  # fmt: skip
    preset.add_argument(
        "--spacing-nt", type=whole_number, default=5, metavar="NT",
        help="no two proposals share a primer site within this many bases",
    )  # fmt: skip
    preset.add_argument(
        "--junction-overlap", default="7,4", metavar="5P,3P",
        help="bases a junction primer must have on its 5' and 3' side of the junction "
        "(Primer3Plus's defaults)",
    )  # fmt: skip
    add_offtarget_options(parser)
    add_cluster_options(parser)
    add_condition_options(parser)
    add_network_options(parser)


def _numbers(text: str, count: int, option: str) -> list[float]:
    parts = [p.strip() for p in text.replace("-", ",").split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    shape = "MIN-MAX" if count == 2 else "MIN,OPT,MAX"
    if len(values) != count:
        raise InputError(f"{option} needs {shape}", value=text)
    if not all(math.isfinite(v) for v in values):  # nan and inf are not sizes or temperatures
        raise InputError(f"{option} needs {shape} as numbers (nan and inf are not)", value=text)
    return values


def settings_from(args: argparse.Namespace) -> DesignSettings:
    """The preset with the options' changes."""
    from assay.primers.design import DesignError, DesignSettings

    low_bp, high_bp = _numbers(args.product_bp, 2, "--product-bp")
    tm = _numbers(args.tm_c, 3, "--tm-c")
    size = _numbers(args.size_nt, 3, "--size-nt")
    gc = _numbers(args.gc_pct, 2, "--gc-pct")
    overlap = _numbers(args.junction_overlap, 2, "--junction-overlap")
    if any(not float(v).is_integer() for v in overlap):
        raise InputError(f"--junction-overlap takes two whole numbers (5P,3P), not "
                         f"{args.junction_overlap!r}")  # fmt: skip
    try:
        return DesignSettings(
            product_min_bp=int(low_bp),
            product_max_bp=int(high_bp),
            tm_min_c=tm[0],
            tm_opt_c=tm[1],
            tm_max_c=tm[2],
            tm_diff_max_c=args.max_tm_diff_c,
            size_min_nt=int(size[0]),
            size_opt_nt=int(size[1]),
            size_max_nt=int(size[2]),
            gc_min_pct=gc[0],
            gc_max_pct=gc[1],
            anneal_temp_c=args.anneal_temp_c,
            junction=args.junction,
            probe=args.probe,
            region=args.region,
            spacing_nt=args.spacing_nt,
            junction_5p_nt=int(overlap[0]),
            junction_3p_nt=int(overlap[1]),
        )
    except DesignError as error:
        raise InputError(str(error)) from error


def run(args: argparse.Namespace) -> int:
    """Design pairs for every target, print them, write JSON/table if asked."""
    from assay.cli.validate import (
        cluster_from,
        conditions_from,
        off_target_search,
        thresholds_from,
    )
    from assay.files import write_texts_together
    from assay.primers.design import MAX_CHECKED, design_pairs
    from assay.primers.design_report import (
        design_table,
        design_to_json,
        design_to_text,
        order_sheet,
    )
    from assay.primers.offtarget import SCAN_MAX_PAIRS
    from assay.primers.organisms import records_species
    from assay.primers.targets import read_targets
    from assay.progress import Progress

    settings = settings_from(args)
    conditions = conditions_from(args)
    thresholds = thresholds_from(args)
    store = build_store(args)
    listed = read_targets(args.targets, store.records_of_gene)
    targets = list(dict.fromkeys(listed))  # the same record and name twice is designed once
    if len(targets) < len(listed):
        print(f"{len(listed) - len(targets)} repeated target(s) designed once", file=sys.stderr)
    search = off_target_search(args, records_species(store, [str(t.accession) for t in targets]))
    cluster = cluster_from(args)
    if search is not None and len(targets) * MAX_CHECKED > SCAN_MAX_PAIRS:
        search.build_indexes()  # many targets: one index beats a scan of each database each
    progress = Progress(len(targets), "designing")
    designs = []
    try:
        if cluster.wanted:
            from assay.primers.batch import design_on_cluster

            print(f"Running on a {cluster.describe()}", file=sys.stderr)
            designs = design_on_cluster(
                [(str(t.accession), t.gene) for t in targets], cluster, records=store,
                settings=settings, conditions=conditions, thresholds=thresholds,
                off_targets=search, want=args.pairs,
                progress=lambda done, total: progress.step(f"({done} of {total} done)"),
            )  # fmt: skip
        for target in [] if cluster.wanted else targets:
            progress.step(target.label)
            record = store.transcript(target.accession)
            designs.append(design_pairs(
                record, gene=target.gene, settings=settings, conditions=conditions,
                thresholds=thresholds, records=store, off_targets=search, want=args.pairs,
            ))  # fmt: skip
    finally:
        progress.finish()
        if store.client is not None:
            store.client.close()
    panel = None
    if args.multiplex:
        from dataclasses import replace

        from assay.primers.multiplex import choose_panel

        panel = choose_panel(designs, conditions, thresholds)
        chosen = {gene: item for gene, item in panel.pairs}
        # The panel's oligos are named gene_F, gene_R, gene_P on the order sheet.
        ordered = [replace(d, pairs=(replace(chosen[d.gene], rank=1),)) if d.gene in chosen
                   else d for d in designs]  # fmt: skip
    outputs = {}
    if args.json:
        outputs[args.json] = design_to_json(designs, conditions)
    if args.table:
        outputs[args.table] = design_table(designs)
    if args.order:
        sheet = ordered if panel is not None else designs
        outputs[args.order] = order_sheet(sheet, scale=args.scale,
                                          purification=args.purification)  # fmt: skip
    write_texts_together(outputs)  # all written, then all renamed: never a mix of two runs
    sys.stdout.write(design_to_text(designs, settings, conditions))
    if panel is not None:
        from assay.primers.multiplex import panel_text

        sys.stdout.write(panel_text(panel))
    for option, path in (("JSON", args.json), ("primer table", args.table),
                         ("order sheet", args.order)):  # fmt: skip
        if path:
            print(f"{option} written to {path}")
    return 0 if all(d.pairs for d in designs) else 1
