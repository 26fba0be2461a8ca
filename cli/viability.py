"""`assay viability`: MTT viability % from plate-reader absorbances, with statistics."""

from __future__ import annotations

import argparse
import sys

from assay.cli.options import OD_FIELDS, add_by_option, add_column_option, column_mapping, panels_of
from assay.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay viability`."""
    parser.add_argument(
        "table", nargs="?", help="tidy OD table, one row per well (.csv/.tsv/.xlsx)"
    )
    parser.add_argument("--control", required=True, metavar="GROUP", help="control group (100 %%)")
    parser.add_argument(
        "--grid", action="append", default=[], metavar="NM=FILE",
        help="96-well reader grid for one wavelength, e.g. 570=od570.csv",
    )  # fmt: skip
    parser.add_argument("--map", metavar="FILE", help="96-well plate map naming each well's group")
    parser.add_argument("--main-nm", type=int, default=570, help="main wavelength (default 570)")
    parser.add_argument("--reference-nm", type=int, default=630,
                        help="reference wavelength (default 630; 0 for none)")  # fmt: skip
    parser.add_argument(
        "--blank-group", default="blank", metavar="GROUP",
        help="group of blank wells, subtracted from every well (default: blank)",
    )  # fmt: skip
    add_by_option(parser)
    add_column_option(parser, OD_FIELDS)
    parser.add_argument("--welch", action="store_true", help="Welch's t-test instead of Student's")
    parser.add_argument(
        "--out", default="assay-viability", metavar="DIR",
        help="folder for viability.csv, stats.csv, wells.csv, analysis.json, the figure and "
        "report.html",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Compute viability, write the folder, print a summary."""
    from assay.analysis.outputs import write_viability_report
    from assay.analysis.viability import (
        ViabilitySettings,
        read_od_grids,
        read_od_table,
        summary_text,
        viability,
    )
    from assay.files import staged_folder

    settings = ViabilitySettings(
        control=args.control, main_nm=args.main_nm,
        reference_nm=args.reference_nm or None, blank_group=args.blank_group,
        panels=panels_of(args), welch=args.welch,
        columns=tuple(column_mapping(args, OD_FIELDS).items()),
    )  # fmt: skip
    if args.grid:
        if not args.map:
            raise InputError("--grid needs --map FILE (the plate map naming each well's group)")
        grids = {}
        for item in args.grid:
            nm, _, path = item.partition("=")
            if not nm.isdigit() or not path:
                raise InputError("must be NM=FILE, e.g. 570=od570.csv", column="--grid", value=item)
            grids[int(nm)] = path
        wells = read_od_grids(grids, args.map, settings)
    elif args.table:
        wells = read_od_table(args.table, settings)
    else:
        raise InputError("give an OD table, or --grid NM=FILE (one per wavelength) with --map FILE")
    result = viability(wells, settings)
    with staged_folder(args.out) as staging:
        written = write_viability_report(staging, result, settings, wells.attrs.get("source"))
    sys.stdout.write(summary_text(result))
    print(f"\nWritten to {args.out}/: {', '.join(p.name for p in written)}")
    return 0
