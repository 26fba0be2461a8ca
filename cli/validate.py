"""`assay validate TABLE`: check a primer table and print the verdicts.

Only argument definitions live at module level; the library is imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assay.cli.options import add_network_options, build_store, number, whole_number
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.primers.batch import Cluster
    from assay.primers.conditions import ReactionConditions
    from assay.primers.design import Proposal
    from assay.primers.offtarget import DatabaseSearch
    from assay.primers.store import RecordSource
    from assay.primers.thresholds import Thresholds
    from assay.primers.validate import PairReport, ValidationReport

PRESET_NAMES = ("primer3", "sybr-2x")


def add_condition_options(parser: argparse.ArgumentParser) -> None:
    """Add the reaction-condition and threshold options shared by commands that validate."""
    group = parser.add_argument_group(
        "reaction conditions",
        "Tm and dG depend on them; the defaults are Primer3's. Explicit values override the "
        "preset.",
    )
    group.add_argument(
        "--conditions", choices=PRESET_NAMES, default="primer3",
        help="named preset (default: primer3; sybr-2x is a typical 2x SYBR Green mix at 1x)",
    )  # fmt: skip
    group.add_argument("--mv-conc-mm", type=number, metavar="MM", help="monovalent cations, mM")
    group.add_argument("--dv-conc-mm", type=number, metavar="MM", help="Mg2+, mM")
    group.add_argument("--dntp-conc-mm", type=number, metavar="MM", help="total dNTP, mM")
    group.add_argument("--primer-conc-nm", type=number, metavar="NM", help="each primer, nM")
    group.add_argument(
        "--dg-temp-c", type=number, metavar="C", help="temperature for hairpin and dimer dG, C"
    )
    parser.add_argument(
        "--threshold", action="append", default=[], metavar="NAME=VALUE",
        help="change one check limit, e.g. tm_diff_warn_c=2 (repeatable; names in the JSON report)",
    )  # fmt: skip


def add_offtarget_options(parser: argparse.ArgumentParser) -> None:
    """Add --db and the priming rule of the off-target search (validate and design)."""
    group = parser.add_argument_group(
        "off-target products", "Primer-BLAST's specificity rules are the defaults."
    )
    group.add_argument(
        "--db", action="append", default=[], metavar="FASTA",
        help="search these FASTA files (.fa or .fa.gz) for off-target products (repeatable)",
    )  # fmt: skip
    group.add_argument("--max-mismatches", type=whole_number, default=2, metavar="N",
                       help="most mismatches a priming site may have (default 2)")  # fmt: skip
    group.add_argument(
        "--max-3prime-mismatches", type=whole_number, default=1, metavar="M",
        help="most mismatches in a site's last 5 bases at the 3' end (default 1)",
    )  # fmt: skip
    group.add_argument("--max-product-bp", type=whole_number, default=4000, metavar="BP",
                       help="largest product reported (default 4000)")  # fmt: skip
    group.add_argument(
        "--organism", metavar="NAME",
        help="screen against this installed organism database, by name or organism (assay db "
        "list); default: the records' organism, when a database of it is installed; 'none': "
        "only the --db files",
    )  # fmt: skip


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay validate`."""
    parser.add_argument("table", help="primer table: .tsv, .csv or .xlsx")
    parser.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    parser.add_argument(
        "--redesign", nargs="?", const="binding", choices=("binding", "warn"), default=None,
        help="propose replacements (corrected primer, new partner, new pair), each validated: "
        "for every pair that fails or warns on binding, a typing error, its product or "
        "off-targets; --redesign warn: also for every pair with any warning (annealing, "
        "hairpin, dimers, genomic DNA)",
    )  # fmt: skip
    parser.add_argument(
        "--fail-on", choices=("fail", "unverified", "warn"), default="fail",
        help="exit 1 when any pair is at least this bad: fail; unverified (fail or could not be "
        "checked against its record, for pipelines that need every pair verified); warn",
    )  # fmt: skip
    add_offtarget_options(parser)
    add_cluster_options(parser)
    add_condition_options(parser)
    add_network_options(parser)


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add --workers and --scheduler: large batches on Dask (pip install 'assay[dask]')."""
    group = parser.add_argument_group(
        "large batches", "Thousands of pairs on a Dask cluster; one process (no Dask) by default."
    )
    group.add_argument("--workers", type=whole_number, default=None, metavar="N",
                       help="run on a local Dask cluster of N worker processes (at most 4 per "
                       "core; leave it out to run in one process)")  # fmt: skip
    group.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786); the record cache and "
        "the --db files must be at the same paths on every worker",
    )  # fmt: skip


def cluster_from(args: argparse.Namespace) -> Cluster:
    """The cluster the options ask for (none by default)."""
    import os

    from assay.primers.batch import WORKERS_PER_CORE, Cluster, scheduler_address

    workers = args.workers
    if workers is not None:
        most = WORKERS_PER_CORE * (os.cpu_count() or 1)
        if workers < 1:
            raise InputError("must be at least 1 (leave --workers out to run in one process)",
                             column="--workers", value=workers)  # fmt: skip
        if workers > most:
            raise InputError(
                f"is more than this machine can run ({most}: {WORKERS_PER_CORE} per core); for "
                "more, start a Dask cluster and give its address with --scheduler",
                column="--workers", value=workers,
            )  # fmt: skip
    if workers and args.scheduler is not None:
        raise InputError("give --workers or --scheduler, not both")
    if args.scheduler is not None:
        host, _ = scheduler_address(args.scheduler)
        if getattr(args, "offline", False) and host not in ("127.0.0.1", "localhost", "::1"):
            raise InputError(
                "--offline keeps assay on this machine: a scheduler on another host is network "
                "(--workers N runs a local cluster)", column="--scheduler", value=args.scheduler,
            )  # fmt: skip
    return Cluster(workers=workers or 0, scheduler=args.scheduler)


def conditions_from(args: argparse.Namespace) -> ReactionConditions:
    """Build `ReactionConditions` from the preset and explicit options."""
    from dataclasses import replace

    from assay.errors import InputError
    from assay.primers.conditions import PRESETS

    overrides = {
        "mv_conc_mm": args.mv_conc_mm,
        "dv_conc_mm": args.dv_conc_mm,
        "dntp_conc_mm": args.dntp_conc_mm,
        "primer_conc_nm": args.primer_conc_nm,
        "temp_c": args.dg_temp_c,
    }
    given = {key: value for key, value in overrides.items() if value is not None}
    base = PRESETS[args.conditions]
    try:
        return replace(base, name="custom", **given) if given else base
    except ValueError as error:
        raise InputError(str(error)) from error


def thresholds_from(args: argparse.Namespace) -> Thresholds:
    """Build `Thresholds` from `--threshold NAME=VALUE` options."""
    from dataclasses import fields

    from assay.errors import InputError
    from assay.primers.thresholds import Thresholds

    integer_fields = {f.name for f in fields(Thresholds) if f.type in (int, "int")}
    values: dict[str, float] = {}
    for item in args.threshold:
        name, _, text = item.partition("=")
        name = name.strip()
        if name not in Thresholds.names():
            raise InputError(
                f"unknown threshold; known ones are: {', '.join(Thresholds.names())}",
                column="--threshold", value=name,
            )  # fmt: skip
        try:
            values[name] = int(text) if name in integer_fields else float(text)
        except ValueError:
            raise InputError("is not a number", column=f"--threshold {name}", value=text) from None
    try:
        return Thresholds(**values)  # type: ignore[arg-type]  # ints and floats per field above
    except ValueError as error:
        raise InputError(str(error)) from error


def _indexing() -> Callable[[str], None]:
    """Report every 10,000th record while a database index is built (on standard error)."""
    count = [0]

    def seen(_name: str) -> None:
        count[0] += 1
        if count[0] % 10_000 == 0:
            print(f"indexing database: {count[0]:,} records", file=sys.stderr, flush=True)

    return seen


def off_target_search(
    args: argparse.Namespace, species: Callable[[], set[str]] | None = None
) -> DatabaseSearch | None:
    """The search the --db and --organism options describe (None: nothing to search).

    Without --organism, the organism database of the records' organism (`species`, asked only
    when a database is installed) is searched when there is one; what was chosen, or why
    nothing, is said on standard error.
    """
    from pathlib import Path

    from assay.primers.binding import PrimingRule
    from assay.primers.offtarget import DatabaseSearch

    if not 0 <= args.max_3prime_mismatches <= args.max_mismatches <= 6:
        raise InputError(
            "needs 0 <= --max-3prime-mismatches <= --max-mismatches <= 6",
            value=f"{args.max_3prime_mismatches}, {args.max_mismatches}",
        )
    for path in args.db:  # before any work, not after it
        if not Path(path).is_file():
            raise InputError("no such FASTA file", path=path)
    paths = [*args.db, *_organism_indexes(args, species)]
    if not paths:
        return None
    rule = PrimingRule(
        max_mismatches=args.max_mismatches, max_three_prime_mismatches=args.max_3prime_mismatches
    )
    return DatabaseSearch(
        paths=tuple(paths), rule=rule, max_bp=args.max_product_bp, progress=_indexing()
    )


def _organism_indexes(
    args: argparse.Namespace, species: Callable[[], set[str]] | None
) -> list[str]:
    """The index folders of the organism database --organism names, or the records' organism."""
    from assay.primers.cache import default_cache_dir
    from assay.primers.organisms import choose_database

    cache = getattr(args, "cache", None) or default_cache_dir()
    database, said = choose_database(cache, getattr(args, "organism", None), species)
    if said:
        print(said, file=sys.stderr)
    return [] if database is None else [str(database.index(p)) for p in database.parts]


def _redesign(
    report: ValidationReport, store: RecordSource, search: DatabaseSearch | None,
    mode: str = "binding",
) -> list[tuple[PairReport, tuple[Proposal, ...]]]:  # fmt: skip
    """Proposals for every pair that needs them (see `design.redesign`), with progress."""
    from assay.primers.design import needs_redesign, redesign
    from assay.progress import Progress

    warn = mode == "warn"
    due = [r for r in report.pairs if r.reference is not None and needs_redesign(r, warn=warn)]
    progress = Progress(len(due), "redesigning")
    found = []
    for pair in due:
        progress.step(pair.pair.gene)
        found.append((pair, redesign(
            pair, conditions=report.conditions, thresholds=report.thresholds, records=store,
            off_targets=search, warn=warn,
        )))  # fmt: skip
    progress.finish()
    return found


def run(args: argparse.Namespace) -> int:
    """Validate the table, print the report, write JSON if asked; exit 1 if any pair fails."""
    from assay.files import strict_json, write_text_atomic
    from assay.primers.design_report import redesign_to_json, redesign_to_text
    from assay.primers.model import Verdict
    from assay.primers.organisms import records_species
    from assay.primers.report import to_json_dict, to_text
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs
    from assay.progress import Progress

    conditions = conditions_from(args)
    thresholds = thresholds_from(args)
    cluster = cluster_from(args)
    pairs = read_primer_table(args.table)
    store = build_store(args)
    search = off_target_search(
        args, records_species(store, [p.accession for p in pairs if p.accession])
    )
    progress = Progress(len(pairs), "checking")
    try:
        if cluster.wanted:
            from assay.primers.batch import CHUNK_PAIRS, validate_on_cluster

            print(f"Running on a {cluster.describe()}", file=sys.stderr)
            chunks = Progress(-(-len(pairs) // CHUNK_PAIRS), "chunks of pairs done")
            report = validate_on_cluster(
                pairs, cluster, conditions, thresholds, source=args.table, records=store,
                off_targets=search, chunk=CHUNK_PAIRS,
                progress=lambda done, total: chunks.step(f"({done * 100 // total} %)"),
            )  # fmt: skip
            chunks.finish()
        else:
            report = validate_pairs(
                pairs, conditions, thresholds, source=args.table, records=store,
                off_targets=search,
                progress=lambda pair: progress.step(pair.gene),
            )  # fmt: skip
        progress.finish()
        proposals = _redesign(report, store, search, args.redesign) if args.redesign else None
    finally:
        progress.finish()
        if store.client is not None:
            store.client.close()
    if args.json:
        data = to_json_dict(report)
        if proposals is not None:
            data["redesign"] = redesign_to_json(proposals, conditions)
        write_text_atomic(args.json, strict_json(data))
    sys.stdout.write(to_text(report))
    if search is not None and search.methods:
        print(f"Off-target search: {'; '.join(dict.fromkeys(search.methods))}")
    if proposals is not None:
        sys.stdout.write(redesign_to_text(proposals))
    if args.json:
        print(f"JSON report written to {args.json}")
    return 1 if report.any_at_least(Verdict(args.fail_on)) else 0
