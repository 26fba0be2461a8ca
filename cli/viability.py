"""`assay viability`: MTT viability % from plate-reader absorbances, with statistics."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from assay.cli.options import (
    OD_FIELDS,
    add_by_option,
    add_column_option,
    column_mapping,
    panels_of,
    whole_number,
)
from assay.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from assay.analysis.viability import ViabilitySettings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay viability`."""
    parser.add_argument(
        "table", nargs="?", help="tidy OD table, one row per well (.csv/.tsv/.xlsx)"
    )
    parser.add_argument("--control", required=True, metavar="GROUP", help="control group (100 %%)")
    parser.add_argument(
        "--grid", action="append", default=[], metavar="[PLATE:]NM=FILE",
        help="96-well reader grid for one wavelength, e.g. 570=od570.csv; with several plates "
        "(independent experiments) label each: exp1:570=p1.csv",
    )  # fmt: skip
    parser.add_argument(
        "--map", action="append", default=[], metavar="[PLATE:]FILE",
        help="96-well plate map naming each well's group (one per plate label: exp1:map1.csv)",
    )  # fmt: skip
    parser.add_argument(
        "--main-nm", type=whole_number, default=570, help="main wavelength (default 570)"
    )
    parser.add_argument("--reference-nm", type=whole_number, default=630,
                        help="reference wavelength (default 630; 0 for none)")  # fmt: skip
    parser.add_argument(
        "--blank-group", default="blank", metavar="GROUP",
        help="group of blank wells, subtracted from every well (default: blank)",
    )  # fmt: skip
    add_by_option(parser)
    add_column_option(parser, OD_FIELDS)
    parser.add_argument("--welch", action="store_true", help="Welch's t-test instead of Student's")
    parser.add_argument(
        "--replicates", choices=("auto", "wells"), default="auto",
        help="auto: independent experiments are n (an experiment column, or plate labels), one "
        "plate is described, not tested; wells: test the wells of one plate as n (said so)",
    )  # fmt: skip
    parser.add_argument(
        "--correction", choices=("none", "holm", "bh"), default="bh",
        help="correction of the shown p-values over every panel and treatment (default: bh)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default="assay-viability", metavar="DIR",
        help="folder for viability.csv, stats.csv, wells.csv, analysis.json, the figure and "
        "report.html",
    )  # fmt: skip


_GRID = re.compile(r"(?:(?P<plate>[^:=/\\]+):)?(?P<nm>\d+)=(?P<path>.+)")


def _read_plates(
    grid_items: list[str], map_items: list[str], settings: ViabilitySettings
) -> pd.DataFrame:
    """Read --grid/--map sets: one plate, or several labelled plates (one experiment each)."""
    import pandas as pd

    from assay.analysis.viability import read_od_grids

    grids: dict[str | None, dict[int, str]] = {}
    for item in grid_items:
        found = _GRID.fullmatch(item.strip())
        if found is None:
            raise InputError("must be [PLATE:]NM=FILE, e.g. 570=od570.csv or exp1:570=p1.csv",
                             column="--grid", value=item)  # fmt: skip
        grids.setdefault(found["plate"], {})[int(found["nm"])] = found["path"]
    maps: dict[str | None, str] = {}
    for item in map_items:
        label, colon, path = item.partition(":")
        key = label if colon and label in grids else None
        maps[key] = path if key is not None else item
    if not maps:
        raise InputError("--grid needs --map FILE (the plate map naming each well's group)")
    labelled = [p for p in grids if p is not None]
    if labelled and None in grids:
        raise InputError("label every --grid with its plate (exp1:570=FILE) or none of them")
    frames = []
    for plate, readings in grids.items():
        if plate not in maps:
            raise InputError(f"no --map for plate {plate} (give {plate}:FILE)", column="--map")
        frames.append(read_od_grids(readings, maps[plate], settings, experiment=plate))
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["source"] = frames[0].attrs.get("source")
    return frame


def run(args: argparse.Namespace) -> int:
    """Compute viability, write the folder, print a summary."""
    from assay.analysis.outputs import write_viability_report
    from assay.analysis.stats import Correction
    from assay.analysis.viability import (
        ViabilitySettings,
        read_od_table,
        summary_text,
        viability,
    )
    from assay.files import staged_folder

    settings = ViabilitySettings(
        control=args.control, main_nm=args.main_nm,
        reference_nm=args.reference_nm or None, blank_group=args.blank_group,
        panels=panels_of(args), welch=args.welch,
        columns=tuple(column_mapping(args, OD_FIELDS).items()), replicates=args.replicates,
        correction=Correction(args.correction), pool=args.pool,
    )  # fmt: skip
    if args.grid:
        wells = _read_plates(args.grid, args.map, settings)
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
