"""What to design for: accessions or gene symbols on the command line, or a table of targets."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assay.errors import InputError
from assay.primers.accession import Accession, parse_versioned
from assay.tables import read_rows

if TYPE_CHECKING:
    from assay.primers.records import Transcript

ACCESSION_COLUMNS = ("accession", "refseq", "transcript", "record")
GENE_COLUMNS = ("gene", "symbol", "target")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One record to design on, with the gene name the pairs will carry (None: the accession)."""

    accession: Accession
    gene: str | None = None

    @property
    def label(self) -> str:
        """How progress and messages name it."""
        return f"{self.gene} ({self.accession})" if self.gene else str(self.accession)


def _column(header: Sequence[str], names: Sequence[str]) -> int | None:
    lowered = [cell.strip().lower() for cell in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _table_targets(path: Path) -> list[Target]:
    rows = read_rows(path)
    if not rows:
        raise InputError("is empty: expected a table with an accession column", path=path)
    where = _column(rows[0], ACCESSION_COLUMNS)
    if where is None:
        raise InputError(
            f"no accession column (named one of: {', '.join(ACCESSION_COLUMNS)})",
            path=path,
            row=1,
            value=", ".join(rows[0]),
        )
    gene_at = _column(rows[0], GENE_COLUMNS)
    found = []
    for number, row in enumerate(rows[1:], start=2):
        text = row[where].strip() if where < len(row) else ""
        if not text:
            continue
        try:
            accession = parse_versioned(text)
        except ValueError as error:
            raise InputError(str(error), path=path, row=number, column=rows[0][where]) from None
        gene = row[gene_at].strip() if gene_at is not None and gene_at < len(row) else ""
        found.append(Target(accession=accession, gene=gene or None))
    if not found:
        raise InputError("holds no accession to design for", path=path)
    return found


_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,29}$")


def read_targets(
    items: Sequence[str], records_of_gene: Callable[[str], list[Transcript]] | None = None
) -> list[Target]:
    """Each item is an accession.version, a gene symbol, or a table file of accessions.

    A gene symbol stands for the gene's RefSeq mRNA among the cached and bundled records
    (`records_of_gene`): an NM_ record before an XM_ one, the lowest number (transcript variant
    1 by NCBI's numbering as a rule), its newest version; the others are compared as its
    variants by validation.

    Raises:
        InputError: An item is none of these, a symbol has no cached record, or a table row
            holds no valid accession.
    """
    targets: list[Target] = []
    for item in items:
        path = Path(item)
        if parse_or_none(item) is None and path.is_file():
            targets.extend(_table_targets(path))
        else:
            targets.append(target_of(item, records_of_gene, files=True))
    return targets


def parse_or_none(text: str) -> Accession | None:
    """The accession.version `text` is, or None."""
    try:
        return parse_versioned(text)
    except ValueError:
        return None


def target_of(
    text: str, records_of_gene: Callable[[str], list[Transcript]] | None, *, files: bool = False
) -> Target:
    """One accession.version or gene symbol (never a path: what a web page is given).

    Raises:
        InputError: Neither, or a symbol with no cached record.
    """
    found = parse_or_none(text)
    if found is not None:
        return Target(accession=found)
    if _SYMBOL.match(text.strip()) and records_of_gene is not None:
        return _gene_target(text.strip(), records_of_gene)
    try:
        parse_versioned(text)
    except ValueError as error:
        reason = str(error)
    either = "a file or a gene symbol" if files else "a gene symbol"
    raise InputError(f"{reason}; nor is it {either}")


def _gene_target(symbol: str, records_of_gene: Callable[[str], list[Transcript]]) -> Target:
    found = [r for r in records_of_gene(symbol) if r.accession.accession[:3] in ("NM_", "XM_")]
    if not found:
        raise InputError(
            "no RefSeq mRNA of this gene is in the record cache or among the bundled records: "
            "give its accession (e.g. NM_002046.7), or fetch it first with assay fetch",
            value=symbol,
        )

    def order(record: Transcript) -> tuple[bool, bool, int, int]:
        # The MANE Select transcript where a record says so, then curated (NM_) before model
        # (XM_) records, the lowest number, the newest version.
        number = int(record.accession.accession[3:].lstrip("0") or 0)
        return (not record.mane, not record.accession.accession.startswith("NM_"), number,
                -(record.accession.version or 0))  # fmt: skip

    chosen = min(found, key=order)
    return Target(accession=chosen.accession, gene=symbol.upper())
