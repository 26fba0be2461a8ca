"""`assay curves FILE… --out DIR`: Cq, efficiency, N0 and melt peaks from raw curves."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay curves`."""
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="RDML files (or other exports) with raw amplification/melt data",
    )
    parser.add_argument(
        "--out", default="assay-curves", metavar="DIR", help="results folder, replaced whole"
    )


def run(args: argparse.Namespace) -> int:
    """Analyse the raw curves of every file, print the summary, write tables, figures, report."""
    from pathlib import Path

    from assay.analysis.instruments import read_export
    from assay.analysis.rawcurves import analyse_exports, summary_text, write_curves
    from assay.errors import InputError
    from assay.files import staged_folder

    exports = []
    for path in args.files:
        export = read_export(path, raw=True)
        if export is None:
            raise InputError("is not an instrument export with raw curves (RDML)", path=path)
        exports.append(export)
    analysis = analyse_exports(exports)
    title = f"assay curves: {', '.join(Path(p).name for p in args.files)}"
    with staged_folder(args.out) as staging:
        written = write_curves(staging, analysis, title)
    sys.stdout.write(summary_text(analysis))
    print(f"\nWritten to {args.out}/: {', '.join(p.name for p in written)}")
    return 0
