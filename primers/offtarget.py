"""Off-target products: in-silico PCR of a primer pair against local FASTA databases.

Every product the primers can make in any record is found: forward-reverse (either primer
upstream), and a single primer priming both strands (forward-forward, reverse-reverse), several per
record, up to a maximum size (Primer-BLAST's default, 4,000 bp). A site counts under the priming
rule of `binding.PrimingRule` (Primer-BLAST's specificity defaults). Products never cross a
record boundary; FASTA may be gzipped.

A database is searched through its k-mer index (`dbindex`, built once per file and kept), or,
for a first search of up to `SCAN_MAX_PAIRS` pairs, by a direct scan of all pairs at once
(`scan`): both find the same sites. `search_pairs` chooses and says which. `record_products`
scans one record plainly and is the reference both are tested against.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from assay._compat import StrEnum
from assay.errors import InputError
from assay.primers.binding import BindingSite, PrimingRule, Strand, encode, find_sites, products
from assay.primers.model import PrimerPair

MAX_PRODUCT_BP = 4000
_FASTA_LETTERS = re.compile(r"^[ACGTURYSWKMBDHVN*-]*$", re.IGNORECASE)


class Kind(StrEnum):
    """Which primers make a product."""

    FR = "FR"  # a forward and a reverse primer
    FF = "FF"  # the forward primer alone, priming both strands
    RR = "RR"  # the reverse primer alone


@dataclass(frozen=True, slots=True, kw_only=True)
class OffTarget:
    """A product in a database record (1-based closed positions on the record).

    Attributes:
        record: The record's name (first word of its FASTA header).
        start: First base of the product.
        end: Last base of the product.
        strand: ``+`` when the forward primer (or, for RR, the reverse primer) is upstream.
        product_bp: Product size.
        kind: FR, FF or RR.
        forward_mismatches: Mismatches of the forward primer's sites (from the 3' end).
        reverse_mismatches: Mismatches of the reverse primer's sites.
    """

    record: str
    start: int
    end: int
    strand: Strand
    product_bp: int
    kind: Kind
    forward_mismatches: tuple[int, ...]
    reverse_mismatches: tuple[int, ...]


def _open(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="ascii", errors="replace")
    return path.open("r", encoding="ascii", errors="replace")


def read_fasta(path: str | Path) -> Iterator[tuple[str, str]]:
    """Stream (name, sequence) records from a FASTA file, gzip or not.

    Raises:
        InputError: No such file, text before the first header, a header without a name, or
            characters that are not nucleotide codes (file and line given).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such FASTA file", path=path)
    name: str | None = None
    parts: list[str] = []
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(parts).upper()
                words = line[1:].split()
                if not words:
                    raise InputError("a FASTA header without a name", path=path, row=number)
                name, parts = words[0], []
            elif name is None:
                raise InputError("text before the first FASTA header (is this FASTA?)",
                                 path=path, row=number, value=line[:30])  # fmt: skip
            elif not _FASTA_LETTERS.match(line):
                bad = sorted(set(re.sub(r"[ACGTURYSWKMBDHVN*-]", "", line.upper())))
                raise InputError(f"characters that are not nucleotide codes: {bad}",
                                 path=path, row=number)  # fmt: skip
            else:
                parts.append(line)
    if name is not None:
        yield name, "".join(parts).upper()
    else:
        raise InputError("holds no FASTA records (no line starting with >)", path=path)


def record_products(
    pair: PrimerPair, name: str, sequence: str, rule: PrimingRule, max_bp: int = MAX_PRODUCT_BP
) -> list[OffTarget]:
    """Every product the pair can make in one record."""
    codes = encode(sequence)
    forward = [s for s in find_sites(pair.forward.sequence, sequence, rule.max_mismatches,
                                     encoded_target=codes) if rule.primes(s)]  # fmt: skip
    reverse = [s for s in find_sites(pair.reverse.sequence, sequence, rule.max_mismatches,
                                     encoded_target=codes) if rule.primes(s)]  # fmt: skip
    return _products_from_sites(name, forward, reverse, max_bp)


def _base(accession: str) -> str:
    return accession.split(".")[0].upper()


def _products_from_sites(
    name: str, forward: list[BindingSite], reverse: list[BindingSite], max_bp: int
) -> list[OffTarget]:
    found: list[OffTarget] = []
    combos = (
        (forward, reverse, Kind.FR, Strand.PLUS, True),
        (reverse, forward, Kind.FR, Strand.MINUS, False),
        (forward, forward, Kind.FF, Strand.PLUS, True),
        (reverse, reverse, Kind.RR, Strand.PLUS, False),
    )
    for ups, downs, kind, strand, forward_first in combos:
        for product in products(ups, downs, max_bp):
            first, second = product.upstream.mismatches, product.downstream.mismatches
            found.append(OffTarget(
                record=name, start=product.start, end=product.end, strand=strand,
                product_bp=product.size_bp, kind=kind,
                forward_mismatches=first if forward_first else second,
                reverse_mismatches=second if forward_first else first,
            ))  # fmt: skip
    return found


def _index_directory(database: Path) -> Path:
    """Beside the database when its folder is writable, else in the user's cache."""
    beside = database.with_name(database.name + ".assay-index")
    if os.access(database.parent, os.W_OK):
        return beside
    from assay.primers.cache import default_cache_dir

    digest = hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:16]
    return default_cache_dir() / "indexes" / f"{database.name}-{digest}"


class OffTargetSearch(Protocol):
    """Anything that finds a pair's products in sequence databases (given to validation)."""

    @property
    def databases(self) -> int:
        """How many databases are searched (for the report)."""
        ...

    def search(self, pair: PrimerPair, exclude: Iterable[str]) -> list[OffTarget]:
        """Every product of `pair`, except in records named in `exclude`."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSearch:
    """Off-target search in local FASTA files through their on-disk indexes (`dbindex`).

    Attributes:
        paths: The FASTA files (gzip or not).
        rule: When a site can prime (default: Primer-BLAST's).
        max_bp: Largest product reported.
        progress: Called with each record while an index is built.
        methods: Filled by `search_many`: how each database was searched (index or scan).
    """

    paths: tuple[str, ...]
    rule: PrimingRule | None = None
    max_bp: int = MAX_PRODUCT_BP
    progress: Callable[[str], None] | None = None
    methods: list[str] = field(default_factory=list)  # how each batch searched each database

    @property
    def databases(self) -> int:
        """How many FASTA files are searched."""
        return len(self.paths)

    def search(self, pair: PrimerPair, exclude: Iterable[str]) -> list[OffTarget]:
        """Products of `pair` in every database (see `search_databases`)."""
        return search_databases(pair, self.paths, exclude=exclude, rule=self.rule,
                                max_bp=self.max_bp, progress=self.progress)  # fmt: skip

    def build_indexes(self) -> None:
        """Build (or check) each database's index now: for work that will search many times."""
        from assay.primers.dbindex import open_index

        for path in map(Path, self.paths):
            if not path.is_file():
                raise InputError("no such FASTA file", path=path)
            open_index(path, directory=_index_directory(path), progress=self.progress)

    def search_many(self, queries: Sequence[Query]) -> list[list[OffTarget]]:
        """Products of many pairs at once, in query order (see `search_pairs`)."""
        found, how = search_pairs(queries, self.paths, rule=self.rule, max_bp=self.max_bp,
                                  progress=self.progress)  # fmt: skip
        self.methods.extend(how)
        return found


Query = tuple[PrimerPair, Iterable[str]]  # a pair and the records not to report for it
SCAN_MAX_PAIRS = 200  # up to this many pairs a database without an index is scanned directly


def search_all(search: OffTargetSearch, queries: Sequence[Query]) -> list[list[OffTarget]]:
    """Every query's products: in one batch where the search can (`search_many`), else singly."""
    many = getattr(search, "search_many", None)
    if callable(many):
        found: list[list[OffTarget]] = many(queries)
        return found
    return [search.search(pair, exclude) for pair, exclude in queries]


def search_pairs(
    queries: Sequence[Query],
    databases: Iterable[str | Path],
    *,
    rule: PrimingRule | None = None,
    max_bp: int = MAX_PRODUCT_BP,
    progress: Callable[[str], None] | None = None,
    method: str = "auto",
) -> tuple[list[list[OffTarget]], list[str]]:
    """Products of every pair in every database, and how each database was searched.

    A database with a whole index is searched through it. One without is scanned directly
    (`scan`) when there are at most `SCAN_MAX_PAIRS` pairs, which is faster than building an
    index it would use once; with more pairs (or `method="index"`) the index is built first.

    Returns:
        Per query, its products; per database, "index" or "direct scan" with why.
    """
    from assay.primers.dbindex import find_sites_indexed, fingerprint, index_is_whole, open_index
    from assay.primers.scan import load_database, scan_sites

    rule = rule or PrimingRule()
    found: list[list[OffTarget]] = [[] for _ in queries]
    how: list[str] = []
    skips = [{_base(a) for a in exclude} for _, exclude in queries]
    for database in databases:
        path = Path(database)
        if not path.is_file():
            raise InputError("no such FASTA file", path=path)
        directory = _index_directory(path)
        indexed = index_is_whole(directory, fingerprint(path))
        scan = method == "scan" or (
            method == "auto" and not indexed and len(queries) <= SCAN_MAX_PAIRS
        )
        primers = sorted({p for pair, _ in queries
                          for p in (pair.forward.sequence, pair.reverse.sequence)})  # fmt: skip
        if scan:
            how.append(f"{path.name}: direct scan ({len(queries)} pair(s), no index yet)")
            loaded = load_database(path)
            names = loaded.names
            sites = dict(zip(primers, scan_sites(primers, loaded, rule), strict=True))
        else:
            how.append(f"{path.name}: index" + ("" if indexed else " (built now)"))
            index = open_index(path, directory=directory, progress=progress)
            if not index.names:
                raise InputError("holds no FASTA records: nothing to search for off-targets",
                                 path=path)  # fmt: skip
            names = index.names
            sites = {p: find_sites_indexed(p, index, rule) for p in primers}
        for number, (pair, _) in enumerate(queries):
            forward, reverse = sites[pair.forward.sequence], sites[pair.reverse.sequence]
            for record in sorted(set(forward) | set(reverse)):
                name = names[record]
                if _base(name) in skips[number]:
                    continue
                found[number].extend(_products_from_sites(
                    name, forward.get(record, []), reverse.get(record, []), max_bp
                ))  # fmt: skip
    return found, how


def search_databases(
    pair: PrimerPair,
    databases: Iterable[str | Path],
    *,
    exclude: Iterable[str] = (),
    rule: PrimingRule | None = None,
    max_bp: int = MAX_PRODUCT_BP,
    progress: Callable[[str], None] | None = None,
) -> list[OffTarget]:
    """Products of `pair` in every record of `databases`, except records named in `exclude`.

    Each database is searched through its index (`dbindex`), built on first use. Records are
    matched to `exclude` by accession without version, so the cited record and its variants are
    not reported however a database writes their names.
    """
    from assay.primers.dbindex import find_sites_indexed, open_index

    rule = rule or PrimingRule()
    skip = {_base(a) for a in exclude}
    found: list[OffTarget] = []
    for database in databases:
        path = Path(database)
        if not path.is_file():
            raise InputError("no such FASTA file", path=path)
        index = open_index(path, directory=_index_directory(path), progress=progress)
        if not index.names:
            # Searching nothing finds nothing: that is no evidence of specificity.
            raise InputError("holds no FASTA records: nothing to search for off-targets", path=path)
        forward = find_sites_indexed(pair.forward.sequence, index, rule)
        reverse = find_sites_indexed(pair.reverse.sequence, index, rule)
        for record in sorted(set(forward) | set(reverse)):
            name = index.names[record]
            if _base(name) in skip:
                continue
            found.extend(_products_from_sites(
                name, forward.get(record, []), reverse.get(record, []), max_bp
            ))  # fmt: skip
    return found
