"""`assay demo`: run assay on the bundled example, offline, and say where the results went."""

from __future__ import annotations

import argparse
import sys

DEFAULT_OUT = "assay-demo"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay demo`."""
    parser.add_argument(
        "--out", default=DEFAULT_OUT, metavar="DIR",
        help=f"directory for the demo's reports (default: ./{DEFAULT_OUT})",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Validate the seed paper's Table 1 and write its JSON report; exit 0 when the demo ran."""
    from pathlib import Path

    from assay.data import table1_path
    from assay.files import write_text_atomic
    from assay.primers.cache import RecordCache, bundled_dirs
    from assay.primers.report import to_json, to_text
    from assay.primers.store import RecordStore
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs

    table = table1_path()
    print("assay demo: validating Table 1 of Mirfendereski et al. (2024), bundled with assay.\n")
    # Offline, from the bundled records only: the demo must give the same answer everywhere.
    bundled = RecordStore(RecordCache(bundled_dirs()[0], read_also=bundled_dirs()[1:]))
    report = validate_pairs(
        read_primer_table(table), source=f"{table.name} (bundled)", records=bundled
    )
    sys.stdout.write(to_text(report))
    out = Path(args.out)
    write_text_atomic(out / "validation.json", to_json(report))
    print(f"\nReport written to {out / 'validation.json'}")
    return 0
