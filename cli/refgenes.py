"""`assay refgenes TABLE`: how stable are candidate reference genes (geNorm M, NormFinder ρ)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from assay.cli.options import add_by_option, panels_of

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from assay.analysis.refgenes import Candidates, PanelStability


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay refgenes`."""
    parser.add_argument(
        "table",
        help="one row per sample and a column per candidate gene, or one row per well "
        "(group, sample, gene, ct: as for assay analyze) (.csv/.tsv/.xlsx)",
    )
    parser.add_argument(
        "--genes", metavar="A,B,...",
        help="the candidate genes, for a table of wells (default: every gene in it)",
    )  # fmt: skip
    parser.add_argument("--sample", default="sample", metavar="COLUMN",
                        help="the sample column (default: sample)")  # fmt: skip
    parser.add_argument(
        "--group", metavar="COLUMN",
        help="sample groups for NormFinder (e.g. normal/tumour): stability within and between them",
    )  # fmt: skip
    add_by_option(parser)
    parser.add_argument(
        "--by-prefix", action="store_true",
        help="analyse each sample-name prefix apart (BM1, BM2 -> BM), as in the geNorm data",
    )  # fmt: skip
    parser.add_argument(
        "--ct", action="store_true",
        help="the gene columns hold Ct (quantity = 2^-Ct), not quantities (a table of wells "
        "always holds Ct)",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="DIR",
        help="also write stability.csv, variation.csv and a figure (refgenes.png/.svg)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run geNorm and NormFinder on each panel; print them and optionally write CSV tables."""
    from pathlib import Path

    from assay.analysis.refgenes import assess
    from assay.analysis.wells import looks_like_wells, read_text_table
    from assay.errors import InputError

    path = Path(args.table)
    frame = read_text_table(path)
    panels = (
        _from_wells(frame, path, args)
        if looks_like_wells(list(frame.columns))
        else _from_wide(frame, path, args)
    )
    results = []
    for candidates in panels:
        try:
            result = assess(candidates.panel, candidates.quantities, candidates.groups)
        except ValueError as error:
            raise InputError(f"panel {candidates.panel}: {error}", path=path) from None
        _print(result)
        results.append(result)
    if args.out:
        from assay.files import staged_folder

        with staged_folder(args.out) as staging:
            names = _write(staging, results)
        print(f"\nWritten to {args.out}/: {', '.join(names)}")
    return 0


def _from_wells(frame: pd.DataFrame, path: Path, args: argparse.Namespace) -> list[Candidates]:
    from assay.analysis.refgenes import candidates_from_wells
    from assay.analysis.wells import wells_from_table
    from assay.errors import InputError

    if args.by_prefix or args.ct or args.group:
        raise InputError(
            "--by-prefix, --ct and --group are for a table with a column per gene; in a table of "
            "wells the Ct column holds Ct and the group column gives NormFinder's groups",
            path=path,
        )
    panels = list(panels_of(args))
    table = wells_from_table(frame, path, panels=panels)
    genes = [g.strip() for g in args.genes.split(",")] if args.genes else None
    return candidates_from_wells(table.wells, genes=genes, panels=panels, source=str(path))


def _from_wide(frame: pd.DataFrame, path: Path, args: argparse.Namespace) -> list[Candidates]:
    from assay.analysis.refgenes import candidates_from_table
    from assay.errors import InputError

    if args.genes:
        raise InputError("--genes is for a table of wells; here every numeric column is a gene",
                         path=path)  # fmt: skip
    by = panels_of(args)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise InputError(f"--by: no column {missing[0]}; columns are: {', '.join(frame.columns)}",
                         path=path)  # fmt: skip
    if len(by) > 1:  # several columns: their combinations are the panels
        frame = frame.assign(
            **{" / ".join(by): frame[list(by)].astype(str).agg(" / ".join, axis=1)}
        )
    return candidates_from_table(
        frame, sample=args.sample, group=args.group, by=" / ".join(by) or None,
        by_prefix=args.by_prefix, ct=args.ct, source=str(path),
    )  # fmt: skip


def _print(result: PanelStability) -> None:
    print(f"\n{result.panel} ({result.samples} samples)")
    print(f"  geNorm, most to least stable: {', '.join(result.genorm_ranking)}")
    for step in result.genorm_steps:
        out = f"; remove {step.excluded}" if step.excluded else ""
        worst = max(step.m_values.values())
        counts = f"    {len(step.genes):>2} genes: mean M {step.mean_m:.4f}"
        print(f"{counts}, highest M {worst:.4f}{out}")
    print("    " + ", ".join(f"{k} {v:.3f}" for k, v in result.variation.items()))
    nf = result.normfinder
    measure = "ρ" if nf.difference else "SD"
    where = f"groups {', '.join(nf.groups)}" if nf.difference else "no groups: SD within samples"
    print(f"  NormFinder ({where}), {measure} most to least stable:")
    print("    " + ", ".join(f"{g} {nf.rho[g]:.3f}" for g in nf.ranking))
    for label, found in (("best pair", nf.best_pair), ("best partner", nf.best_partner)):
        if found is not None:
            (a, b), rho = found
            alone = f"alone: {nf.rho[a]:.3f}, {nf.rho[b]:.3f}"
            print(f"    {label}: {a} + {b}, ρ {rho:.3f} ({alone})")


def _write(out: Path, results: list[PanelStability]) -> list[str]:
    import pandas as pd

    from assay.analysis.figures import stability_figure
    from assay.files import write_text_atomic

    rows = [row for result in results for row in result.rows()]
    variation = [
        {"panel": r.panel, "step": step, "v": value}
        for r in results
        for step, value in r.variation.items()
    ]
    write_text_atomic(out / "stability.csv", pd.DataFrame(rows).to_csv(index=False))
    write_text_atomic(out / "variation.csv", pd.DataFrame(variation).to_csv(index=False))
    figures = stability_figure(results, out / "refgenes")
    return [p.name for p in [out / "stability.csv", out / "variation.csv", *figures]]
