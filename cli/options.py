"""Options shared by the subcommands: numbers, network access and the record store built from it.

>>> number("2.5"), whole_number("1e3")
(2.5, 1000)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.primers.store import RecordStore


def number(text: str) -> float:
    """A plain, finite decimal number (an argparse type): not "nan", "inf", "1_0" or "1e400"."""
    import math

    from assay.tables import parse_number

    value = parse_number(text)
    if value is None or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a plain finite number")
    return value


def whole_number(text: str) -> int:
    """A plain whole number (an argparse type): "5", "1e3"; not "1_0", "2.5" or "x"."""
    value = number(text) if text.strip() else None
    if value is None or not value.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """Add --cache, --offline, --eutils-url, --email and --api-key."""
    group = parser.add_argument_group(
        "records and NCBI",
        "Records come from the cache (and the bundled records) first, then from NCBI.",
    )
    group.add_argument(
        "--cache", metavar="DIR", type=Path,
        help="record cache directory (default: ASSAY_CACHE, else ~/.cache/assay)",
    )  # fmt: skip
    group.add_argument(
        "--offline", action="store_true",
        help="never contact NCBI; records not in the cache are reported missing",
    )  # fmt: skip
    group.add_argument(
        "--eutils-url", metavar="URL",
        help="E-utilities base URL (default: ASSAY_EUTILS_URL, else NCBI's)",
    )  # fmt: skip
    group.add_argument("--email", help="your e-mail, sent to NCBI (default: NCBI_EMAIL)")
    group.add_argument(
        "--api-key", metavar="KEY",
        help="NCBI API key for 10 requests/s (default: NCBI_API_KEY; never printed)",
    )  # fmt: skip


def build_store(args: argparse.Namespace) -> RecordStore:
    """Build the record store the options describe (no network is touched here)."""
    from assay.primers.cache import RecordCache, default_cache_dir
    from assay.primers.entrez import EntrezClient, settings_from
    from assay.primers.store import RecordStore

    cache = RecordCache(args.cache or default_cache_dir())
    if args.offline:
        return RecordStore(cache)
    settings = settings_from(email=args.email, api_key=args.api_key, base_url=args.eutils_url)
    return RecordStore(cache, EntrezClient(settings))


def add_samples_option(parser: argparse.ArgumentParser) -> None:
    """Add --samples: the sample sheet that joins groups, genes and panels onto exported wells."""
    parser.add_argument(
        "--samples", metavar="FILE",
        help="sample sheet for an instrument export (or a table with one column per gene): a "
        "well or sample column, and group, gene or panel columns; without one, each sample is "
        "its own group",
    )  # fmt: skip


def add_by_option(parser: argparse.ArgumentParser) -> None:
    """Add --by COLUMN[,COLUMN]: panels analysed apart, the same in every command."""
    parser.add_argument(
        "--by", default="", metavar="COLUMN[,COLUMN]",
        help="analyse each value (or combination) of these columns apart, e.g. cell_line",
    )  # fmt: skip
    parser.add_argument(
        "--pool", action="store_true",
        help="average together the values of columns that split the groups but are not given "
        "to --by (refused otherwise: a cell line left out of --by would be averaged away)",
    )  # fmt: skip


def panels_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The --by columns as a tuple (empty when none)."""
    return tuple(p.strip() for p in str(args.by or "").split(",") if p.strip())


CT_FIELDS = ("group", "gene", "ct", "sample", "well", "plate", "exclude")
OD_FIELDS = ("group", "experiment", "well", "exclude", "role")


def add_column_option(parser: argparse.ArgumentParser, fields: Sequence[str]) -> None:
    """Add --column FIELD=NAME (repeatable): read a field from a column named otherwise."""
    parser.add_argument(
        "--column", action="append", default=[], metavar="FIELD=NAME",
        help=f"use column NAME for FIELD ({', '.join(fields)}); repeatable",
    )  # fmt: skip


def column_mapping(args: argparse.Namespace, fields: Sequence[str]) -> dict[str, str]:
    """The --column options as field -> column name.

    Raises:
        InputError: An item is not FIELD=NAME with a known field.
    """
    from assay.errors import InputError

    mapping = {}
    for item in args.column:
        field, _, name = item.partition("=")
        if field not in fields or not name:
            raise InputError(f"must be FIELD=NAME with FIELD one of {', '.join(fields)}",
                             column="--column", value=item)  # fmt: skip
        mapping[field] = name
    return mapping
