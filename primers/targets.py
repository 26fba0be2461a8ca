"""What to design for: accessions given on the command line, or rows of a table of targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.errors import InputError
from assay.primers.accession import Accession, parse_versioned
from assay.tables import read_rows

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


def read_targets(items: Sequence[str]) -> list[Target]:
    """Each item is an accession.version or a table file of them; returned in the order given.

    Raises:
        InputError: An item is neither, or a table row holds no valid accession.
    """
    targets: list[Target] = []
    for item in items:
        try:
            targets.append(Target(accession=parse_versioned(item)))
            continue
        except ValueError as error:
            reason = str(error)
        path = Path(item)
        if path.is_file():
            targets.extend(_table_targets(path))
        else:
            raise InputError(
                f"{reason}; nor is it a file. Gene symbols are not looked up: give the RefSeq "
                "transcript (e.g. GAPDH: NM_002046.7)"
            )
    return targets
