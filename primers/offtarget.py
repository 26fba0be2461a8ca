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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from assay._compat import StrEnum
from assay.errors import InputError
from assay.primers.binding import BindingSite, PrimingRule, Strand, encode, find_sites, products
from assay.primers.model import PrimerPair

if TYPE_CHECKING:
    from assay.primers.annotation import Annotation

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
        database: The database it was found in, when it has a name (an organism database).
        part: "genome" or "transcripts" for an organism database; "" for a FASTA file.
        feature: The annotated genes and pseudogenes it overlaps, in a genome with annotation.
    """

    record: str
    start: int
    end: int
    strand: Strand
    product_bp: int
    kind: Kind
    forward_mismatches: tuple[int, ...]
    reverse_mismatches: tuple[int, ...]
    database: str = ""
    part: str = ""
    feature: str = ""  # what an annotated genome has there: "pseudogene GAPDHP1, gene X"


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
    name: str, forward: list[BindingSite], reverse: list[BindingSite], max_bp: int,
    database: str = "", part: str = "",
) -> list[OffTarget]:  # fmt: skip
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
                database=database, part=part,
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
    # primer -> genome -> priming sites there (filled by `search_many`): repeats show here.
    site_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def databases(self) -> int:
        """How many databases (FASTA files, organism indexes) are searched."""
        return len(self.paths)

    @property
    def described(self) -> tuple[tuple[str, str], ...]:
        """What each database is, and its part: ("human GRCh38 genome", "genome"), (file, "")."""
        from assay.primers.genome import index_label

        return tuple(index_label(Path(p)) if Path(p).is_dir() else (Path(p).name, "")
                     for p in self.paths)  # fmt: skip

    def search(self, pair: PrimerPair, exclude: Iterable[str]) -> list[OffTarget]:
        """Products of `pair` in every database (see `search_databases`)."""
        return search_databases(pair, self.paths, exclude=exclude, rule=self.rule,
                                max_bp=self.max_bp, progress=self.progress)  # fmt: skip

    def build_indexes(self) -> None:
        """Build (or check) each database's index now: for work that will search many times."""
        from assay.primers.dbindex import open_index

        for path in map(Path, self.paths):
            if path.is_dir():  # an organism database: built when it was installed
                continue
            if not path.is_file():
                raise InputError("no such FASTA file", path=path)
            open_index(path, directory=_index_directory(path), progress=self.progress)

    def search_many(self, queries: Sequence[Query]) -> list[list[OffTarget]]:
        """Products of many pairs at once, in query order (see `search_pairs`)."""
        found, how = search_pairs(queries, self.paths, rule=self.rule, max_bp=self.max_bp,
                                  progress=self.progress, site_counts=self.site_counts)  # fmt: skip
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
    site_counts: dict[str, dict[str, int]] | None = None,
) -> tuple[list[list[OffTarget]], list[str]]:
    """Products of every pair in every database, and how each database was searched.

    `site_counts`, when given, receives each primer's number of priming sites in every
    organism genome searched (primer -> genome label -> sites): a repeat primes thousands.

    A database is a FASTA file or the folder of an organism database's compact index
    (`genome`). A FASTA file with a whole index is searched through it. One without is scanned
    directly (`scan`) when there are at most `SCAN_MAX_PAIRS` pairs, which is faster than
    building an index it would use once; with more pairs (or `method="index"`) the index is
    built first. Records are matched to each query's exclusions by accession without version.

    Returns:
        Per query, its products; per database, how it was searched.
    """
    rule = rule or PrimingRule()
    found: list[list[OffTarget]] = [[] for _ in queries]
    how: list[str] = []
    skips = [{_base(a) for a in exclude} for _, exclude in queries]
    primers = sorted({p for pair, _ in queries
                      for p in (pair.forward.sequence, pair.reverse.sequence)})  # fmt: skip
    for database in databases:
        searched = _sites_in(Path(database), primers, rule, len(queries), method, progress)
        how.append(searched.how)
        if site_counts is not None and searched.part == "genome":
            for primer, sites in searched.sites.items():
                count = sum(len(some) for some in sites.values())
                site_counts.setdefault(primer, {})[searched.label] = count
        for number, (pair, _) in enumerate(queries):
            forward, reverse = (searched.sites[pair.forward.sequence],
                                searched.sites[pair.reverse.sequence])  # fmt: skip
            for record in sorted(set(forward) | set(reverse)):
                name = searched.names[record]
                if _base(name) in skips[number]:
                    continue
                made = _products_from_sites(
                    name, forward.get(record, []), reverse.get(record, []), max_bp,
                    searched.label, searched.part,
                )  # fmt: skip
                if searched.annotation is not None:
                    made = [_annotated(o, searched.annotation) for o in made]
                found[number].extend(made)
    return found, how


def _annotated(product: OffTarget, annotation: Annotation) -> OffTarget:
    features = annotation.overlapping(product.record, product.start, product.end)
    return replace(product, feature=", ".join(f"{kind} {name}" for kind, name in features))


@dataclass(frozen=True, slots=True)
class _Searched:
    """Every primer's sites in one database, by record number, and how they were found."""

    names: list[str]
    sites: dict[str, dict[int, list[BindingSite]]]
    how: str
    label: str = ""
    part: str = ""
    annotation: Annotation | None = None


def _sites_in(
    path: Path, primers: list[str], rule: PrimingRule, pairs: int, method: str,
    progress: Callable[[str], None] | None,
) -> _Searched:  # fmt: skip
    from assay.primers.dbindex import find_sites_indexed, fingerprint, index_is_whole, open_index
    from assay.primers.scan import load_database, scan_sites

    if path.is_dir():
        from assay.primers.annotation import FILE, Annotation
        from assay.primers.genome import find_sites_compact, open_compact_index

        compact = open_compact_index(path)
        annotation = Annotation.load(path.parent / FILE) if compact.part == "genome" else None
        return _Searched(
            names=compact.names, sites={p: find_sites_compact(p, compact, rule) for p in primers},
            how=f"{compact.label or path.name}: compact index", label=compact.label,
            part=compact.part, annotation=annotation,
        )  # fmt: skip
    if not path.is_file():
        raise InputError("no such FASTA file", path=path)
    directory = _index_directory(path)
    indexed = index_is_whole(directory, fingerprint(path))
    if method == "scan" or (method == "auto" and not indexed and pairs <= SCAN_MAX_PAIRS):
        loaded = load_database(path)
        scanned = dict(zip(primers, scan_sites(primers, loaded, rule), strict=True))
        said = f"{path.name}: direct scan ({pairs} pair(s), no index yet)"
        return _Searched(names=loaded.names, sites=scanned, how=said)
    index = open_index(path, directory=directory, progress=progress)
    if not index.names:
        raise InputError("holds no FASTA records: nothing to search for off-targets", path=path)
    return _Searched(names=index.names,
                     sites={p: find_sites_indexed(p, index, rule) for p in primers},
                     how=f"{path.name}: index" + ("" if indexed else " (built now)"))  # fmt: skip


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

    Each FASTA database is searched through its index (`dbindex`), built on first use; an
    organism database's folder through its compact index. Records are matched to `exclude` by
    accession without version, so the cited record and its variants are not reported however a
    database writes their names.
    """
    found, _ = search_pairs([(pair, exclude)], databases, rule=rule, max_bp=max_bp,
                            progress=progress, method="index")  # fmt: skip
    return found[0]
