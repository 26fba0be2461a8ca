"""`assay refgenes TABLE`: how stable are candidate reference genes (geNorm M, V_n/n+1)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay refgenes`."""
    parser.add_argument(
        "table", help="one row per sample, one column per candidate gene (.csv/.tsv/.xlsx)"
    )
    parser.add_argument("--sample", default="sample", metavar="COLUMN",
                        help="the sample column (default: sample)")  # fmt: skip
    parser.add_argument("--by", metavar="COLUMN", help="analyse each group of this column apart")
    parser.add_argument(
        "--by-prefix", action="store_true",
        help="analyse each sample-name prefix apart (BM1, BM2 -> BM), as in the geNorm data",
    )  # fmt: skip
    parser.add_argument(
        "--ct", action="store_true", help="values are Ct (quantity = 2^-Ct), not quantities"
    )


def run(args: argparse.Namespace) -> int:
    """Run geNorm on each group and print the rounds, the ranking and V_n/n+1."""
    from pathlib import Path

    import pandas as pd

    from assay.analysis.refgenes import (
        genorm,
        normalisation_variation,
        quantities_from_ct,
        ranking,
    )
    from assay.errors import InputError

    path = Path(args.table)
    if not path.is_file():
        raise InputError("no such file", path=path)
    frame = (
        pd.read_excel(path) if path.suffix.lower() in (".xlsx", ".xlsm")
        else pd.read_csv(path, sep=None, engine="python")
    )  # fmt: skip
    skip = {args.sample, args.by} - {None}
    genes = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
    if len(genes) < 3:
        raise InputError(f"needs three or more numeric gene columns; found {genes}", path=path)
    groups: Iterable[tuple[Any, pd.DataFrame]]
    if args.by_prefix:
        if args.sample not in frame.columns:
            raise InputError(f'--by-prefix needs the sample column "{args.sample}"', path=path)
        prefix = frame[args.sample].astype(str).str.extract(r"^([A-Za-z]*)", expand=False)
        groups = frame.groupby(prefix)
    else:
        groups = frame.groupby(args.by) if args.by else [("all samples", frame)]
    for name, part in groups:
        data = {g: [float(v) for v in part[g]] for g in genes}
        if args.ct:
            data = {g: quantities_from_ct(v) for g, v in data.items()}
        try:
            steps = genorm(data)
        except ValueError as error:
            raise InputError(f"group {name}: {error}", path=path) from None
        order = ranking(steps)
        print(f"\n{name} ({len(part)} samples): most to least stable: {', '.join(order)}")
        for step in steps:
            out = f"; remove {step.excluded}" if step.excluded else ""
            worst = max(step.m_values.values())
            counts = f"  {len(step.genes):>2} genes: mean M {step.mean_m:.4f}"
            print(f"{counts}, highest M {worst:.4f}{out}")
        variation = normalisation_variation(data, order)
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in variation.items()))
    return 0
