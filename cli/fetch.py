"""`assay fetch`: fill the record cache ahead of time (e.g. before working offline)."""

from __future__ import annotations

import argparse

from assay.cli.options import add_network_options, build_store


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay fetch`."""
    parser.add_argument("accessions", nargs="*", metavar="ACCESSION", help="e.g. NM_002046.7")
    parser.add_argument("--table", metavar="FILE", help="fetch every accession of a primer table")
    parser.add_argument(
        "--refresh", action="store_true", help="fetch again even what is already cached"
    )
    add_network_options(parser)


def run(args: argparse.Namespace) -> int:
    """Fetch each accession into the cache; exit 1 if any could not be had."""
    from assay.errors import AssayError, InputError
    from assay.primers.accession import parse_versioned
    from assay.primers.table import read_primer_table
    from assay.progress import Progress

    wanted: list[str] = list(args.accessions)
    if args.table:
        wanted += [pair.accession for pair in read_primer_table(args.table) if pair.accession]
    if not wanted:
        raise InputError("give accessions (e.g. NM_002046.7) or --table FILE")
    accessions = []
    for text in dict.fromkeys(wanted):
        try:
            accessions.append(parse_versioned(text))
        except ValueError as error:
            raise InputError(str(error)) from None
    store = build_store(args)
    progress = Progress(len(accessions), "fetching")
    results: list[tuple[str, str]] = []
    failed = 0
    try:
        for accession in accessions:
            progress.step(str(accession))
            try:
                outcome = store.fetch(accession, refresh=args.refresh)
            except AssayError as error:
                failed += 1
                results.append((str(accession), f"NOT FETCHED: {error}"))
                continue
            state = "fetched" if outcome.fetched else "already cached"
            results.append((str(accession), f"{state}: {outcome.path}"))
    finally:
        progress.finish()
        if store.client is not None:
            store.client.close()
    width = max(len(name) for name, _ in results)
    for name, text in results:
        print(f"{name:<{width}}  {text}")
    print(f"cache: {store.cache.directory}")
    return 1 if failed else 0
