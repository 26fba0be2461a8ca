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
    """Validate the seed paper's Table 1, analyse the worked example, write the report."""
    from pathlib import Path

    from assay.analysis.ddct import Settings
    from assay.analysis.pipeline import AnalysisRequest, run_analysis
    from assay.analysis.viability import ViabilitySettings, summary_text
    from assay.cli.analyze import qc_summary, summary
    from assay.data import example_dir, table1_path
    from assay.files import staged_folder, write_text_atomic
    from assay.primers.cache import RecordCache, bundled_dirs
    from assay.primers.report import to_json, to_text
    from assay.primers.store import RecordStore
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs

    out = Path(args.out)
    table = table1_path()
    print("assay demo 1/2: validating Table 1 of Mirfendereski et al. (2024), offline.\n")
    # Offline, from the bundled records only: the demo must give the same answer everywhere.
    bundled = RecordStore(RecordCache(bundled_dirs()[0], read_also=bundled_dirs()[1:]))
    report = validate_pairs(
        read_primer_table(table), source=f"{table.name} (bundled)", records=bundled
    )
    sys.stdout.write(to_text(report))
    print("\nassay demo 2/2: analysing the worked example (constructed data, see "
          "data/example/README.md).\n")  # fmt: skip
    panels = ("cell_line",)
    settings = Settings(reference_genes=("GAPDH",), control="control", panels=panels)
    with staged_folder(out) as staging:
        validation = staging / "validation.json"
        write_text_atomic(validation, to_json(report))
        outcome = run_analysis(
            AnalysisRequest(
                ct_table=example_dir() / "ct.csv", settings=settings, out=staging,
                assays=validation, od_table=example_dir() / "od.csv",
                viability=ViabilitySettings(control="control", blank_group="blank", panels=panels),
            )
        )  # fmt: skip
    sys.stdout.write(summary(outcome.expression, outcome.settings, outcome.table))
    sys.stdout.write(qc_summary(outcome.flagged, outcome.table))
    for line in outcome.expression.interactions:
        print(line)
    if outcome.viability is not None:
        sys.stdout.write("\n" + summary_text(outcome.viability))
    for warning in outcome.warnings:
        print(f"WARNING {warning}")
    print(f"\nReport: {out / 'report.html'}  (open it in a browser; everything is in {out}/)")
    return 0
