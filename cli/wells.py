"""`assay wells FILE…`: show what was read from instrument exports, and write the tidy table."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from assay.cli.options import add_samples_option

if TYPE_CHECKING:
    from assay.analysis.instruments import Export
    from assay.analysis.wells import WellTable


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay wells`."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="instrument exports or tables")
    add_samples_option(parser)
    parser.add_argument(
        "--out", metavar="CSV",
        help="write every well read, one row each, with its fate, as assay analyze sees it",
    )  # fmt: skip
    parser.add_argument(
        "--rdml", metavar="FILE",
        help="also write the wells as RDML 1.3 (samples, targets, runs, each reaction's Cq and "
        "its amplification and melt points when read), for other qPCR software",
    )  # fmt: skip
    parser.add_argument(
        "--rdes", metavar="STEM",
        help="also write the raw readings as RDES tables, STEM_amplification.tsv and "
        "STEM_melting.tsv (one file read; the kinds of readings it holds)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Read each file, print what was read, write the tidy table if asked."""
    from pathlib import Path

    import pandas as pd

    from assay.analysis.instruments import (
        FINDING_PREFIXES,
        nearest_format,
        read_export,
        summary,
    )
    from assay.analysis.outputs import wells_with_fate
    from assay.analysis.rdml_out import export_of_table, rdml_document, table_extras, write_rdml
    from assay.analysis.wells import read_text_table, read_wells
    from assay.cli.main import EXIT_USAGE
    from assay.errors import InputError
    from assay.files import write_text_atomic

    tables = []
    unknown = []
    to_rdml: list[tuple[Export, WellTable]] = []
    for path in args.files:
        export = read_export(path, raw=bool(args.rdml or args.rdes))
        if export is not None:
            sys.stdout.write(summary(export))
        try:
            # The same reading, QC included, as every analysing command.
            table = read_wells(path, samples=args.samples)
        except InputError as error:
            # What was read is still shown (and written); why it cannot be analysed is said.
            shown = export.wells if export is not None else read_text_table(Path(path))
            if export is None:
                print(f"{path}: a table of {len(shown)} rows, columns {', '.join(shown.columns)}")
            print(f"  for analysis: not as it is: {error.within_file()}")
            if export is None and "required column" in error.reason:
                unknown.append(f"{path}: not a format assay reads: {nearest_format(path)}")
            tables.append(shown.assign(fate=f"not analysable: {error.within_file()}", file=path))
            continue
        if export is None:
            print(f"{path}: a table of wells ({len(table.wells) + len(table.excluded)} rows)")
        said = set(export.notes) if export is not None else set()
        for note in dict.fromkeys(table.notes):
            if note in said:
                continue  # already in the export's summary above
            print(f"  {'WARNING' if note.startswith(FINDING_PREFIXES) else 'note'}: {note}")
        to_rdml.append((export if export is not None else export_of_table(table), table))
        every = wells_with_fate(table.wells.assign(flags=""), table).assign(file=path)
        tables.append(every)
        fates = every["fate"].str.replace(r"^excluded: .*", "excluded", regex=True)
        counts = fates.value_counts().to_dict()
        print("  for analysis: " + ", ".join(f"{n} {fate}" for fate, n in sorted(counts.items())))
    if args.out:
        combined = pd.concat(tables, ignore_index=True)
        combined = combined.drop(columns=[c for c in ("ct_text", "flags") if c in combined])
        write_text_atomic(args.out, combined.to_csv(index=False, float_format="%.6g"))
        print(f"\nWritten to {args.out}: {len(combined)} wells")
    if args.rdml and to_rdml:
        extras = table_extras([t for _, t in to_rdml])
        write_rdml(args.rdml, rdml_document([e for e, _ in to_rdml], extras))
        print(f"Written to {args.rdml}: RDML 1.3 of {len(to_rdml)} file(s)")
    if args.rdes:
        _write_rdes(args.rdes, [e for e, _ in to_rdml])
    for line in unknown:
        print(f"assay wells: error: {line}", file=sys.stderr)
    return EXIT_USAGE if unknown else 0


def _write_rdes(stem: str, exports: list[Export]) -> None:
    """RDES tables of the one file read (RDES holds a single run)."""
    from assay.analysis.rdml_out import rdes_tables
    from assay.errors import InputError
    from assay.files import write_text_atomic

    if len(exports) != 1:
        raise InputError("--rdes writes one run: give one file")
    (export,) = exports
    references = [g.strip() for g in (export.endogenous_control or "").split(",") if g.strip()]
    tables = rdes_tables(export, references)
    if not tables:
        raise InputError("holds no raw readings to write as RDES", path=export.path)
    for kind, text in tables.items():
        write_text_atomic(f"{stem}_{kind}.tsv", text)
        print(f"Written to {stem}_{kind}.tsv: RDES {kind} table")
