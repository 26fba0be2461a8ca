"""Read a lab's primer table (TSV, CSV or Excel) into `PrimerPair`s.

Two layouts are understood:

* one row per pair, with forward and reverse columns;
* the layout of published tables: a Forward row and a Reverse row under one gene, the gene (and
  accession, size, temperature) written on the first row only, and the direction either in its own
  column or written before the sequence ("Forward ATCTG…").

Column names are matched case-insensitively, ignoring punctuation and units, with common aliases
(`gene`/`target`, `accession`/`refseq`, `forward`/`fwd`/`left`, `reverse`/`rev`/`right`,
`product`/`product_bp`/`amplicon`, `anneal`/`ta`/`anneal_temp_c`). A caption above the header (as
pasted from a paper) is skipped. Rows are numbered as a spreadsheet numbers them.

Every problem raises `InputError` naming the file, row, column and value.

>>> from assay.data import table1_path
>>> [pair.gene for pair in read_primer_table(table1_path())]
['JAK2', 'STAT3', 'PI3k', 'mTOR', 'GAPDH']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.errors import InputError
from assay.primers.accession import parse_accession
from assay.primers.model import Primer, PrimerPair
from assay.primers.sequence import clean_sequence, expansion_count, invalid_characters
from assay.primers.thermo import MAX_VARIANTS
from assay.tables import parse_number

# Canonical field -> normalised aliases. A column matches an alias exactly or as a prefix followed
# by "_" ("product_size_bp" matches "product_size"). Order matters: earlier fields claim first.
ALIASES: dict[str, tuple[str, ...]] = {
    "gene": ("gene", "target", "symbol"),
    "accession": ("accession", "ncbi_reference_sequence", "refseq", "reference_sequence"),
    "forward": ("forward", "fwd", "left", "f_primer"),
    "reverse": ("reverse", "rev", "right", "r_primer"),
    "sequence": ("primer_sequence", "sequence", "oligo"),
    "direction": ("direction", "orientation", "primer", "type"),
    "product_bp": ("product", "amplicon", "size"),
    "anneal_temp_c": ("anneal", "annealing", "ta"),
}
_DIRECTION_WORDS = {
    **dict.fromkeys(("forward", "fwd", "f", "left"), "forward"),
    **dict.fromkeys(("reverse", "rev", "r", "right"), "reverse"),
}
_LEADING_DIRECTION = re.compile(
    r"^\s*(forward|reverse|fwd|rev|left|right|f|r)\b\s*[:.]?\s*(?P<rest>.*)$", re.IGNORECASE
)
_HEADER_SEARCH_ROWS = 20
MAX_PRIMER_NT = 60  # Primer3 computes Tm and structures for sequences up to 60 nt


@dataclass(frozen=True, slots=True, kw_only=True)
class _Cell:
    row: int
    column: str
    text: str


def normalise_column(name: str) -> str:
    """Return a column heading reduced to lower-case words joined by "_".

    >>> normalise_column("Product size (bp)")
    'product_size_bp'
    >>> normalise_column("Annealing temperature (°C)")
    'annealing_temperature_c'
    """
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _match_columns(header: Sequence[str]) -> dict[str, int]:
    """Map canonical fields to column indices for one candidate header row."""
    normalised = [normalise_column(h) for h in header]
    claimed: dict[str, int] = {}
    for field, aliases in ALIASES.items():
        for index, name in enumerate(normalised):
            if index in claimed.values() or not name:
                continue
            if any(name == a or name.startswith(a + "_") for a in aliases):
                claimed[field] = index
                break
    return claimed


def _is_header(columns: dict[str, int]) -> bool:
    return "gene" in columns and ({"forward", "reverse"} <= columns.keys() or "sequence" in columns)


def _read_rows(path: Path) -> list[list[str]]:
    """The file's rows as stripped text (`assay.tables`); in a workbook, the sheet with a header."""
    from assay.tables import read_rows

    def has_header(rows: list[list[str]]) -> bool:
        return any(_is_header(_match_columns(row)) for row in rows[:_HEADER_SEARCH_ROWS])

    return read_rows(path, wanted=has_header)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_int(cell: _Cell, path: Path) -> int | None:
    text = re.sub(r"\s*(bp|nt)\s*$", "", cell.text, flags=re.IGNORECASE)
    if not text:
        return None
    value = parse_number(text)
    if value is None:
        raise InputError(
            "is not a whole number of base pairs",
            path=path,
            row=cell.row,
            column=cell.column,
            value=cell.text,
        ) from None
    if not value.is_integer() or value <= 0:
        raise InputError(
            "is not a whole, positive number of base pairs",
            path=path,
            row=cell.row,
            column=cell.column,
            value=cell.text,
        )
    return int(value)


def _parse_temperature(cell: _Cell, path: Path) -> float | None:
    text = re.sub(r"\s*°?\s*C\s*$", "", cell.text, flags=re.IGNORECASE)
    if not text:
        return None
    value = parse_number(text)
    if value is None:
        hint = ' (decimal separator must be ".")' if "," in text else ""
        raise InputError(
            f"is not a temperature in °C{hint}",
            path=path,
            row=cell.row,
            column=cell.column,
            value=cell.text,
        ) from None
    if not 30 <= value <= 80:
        raise InputError(
            "is not a plausible annealing temperature (30-80 °C)",
            path=path,
            row=cell.row,
            column=cell.column,
            value=cell.text,
        )
    return value


def _parse_primer(cell: _Cell, path: Path) -> Primer:
    sequence = clean_sequence(cell.text)
    if not sequence:
        raise InputError(
            "the primer sequence is empty", path=path, row=cell.row, column=cell.column
        )
    bad = invalid_characters(sequence)
    if bad:
        position, char = bad[0]
        raise InputError(
            f'has "{char}" at position {position}, which is not a DNA base '
            "(A, C, G, T or an IUPAC code such as N or R)",
            path=path,
            row=cell.row,
            column=cell.column,
            value=cell.text,
        )
    if len(sequence) > MAX_PRIMER_NT:
        raise InputError(
            f"is {len(sequence)} nt long: primers of more than {MAX_PRIMER_NT} nt are outside "
            "the nearest-neighbour models (Primer3's limit); is this an amplicon or two cells "
            "run together?", path=path, row=cell.row, column=cell.column, value=cell.text,
        )  # fmt: skip
    count = expansion_count(sequence)
    if count > MAX_VARIANTS:
        raise InputError(
            f"stands for {count:,} sequences (degenerate bases); Tm and structures are computed "
            f"for at most {MAX_VARIANTS}: give the exact primer, or fewer IUPAC codes",
            path=path, row=cell.row, column=cell.column, value=cell.text,
        )  # fmt: skip
    return Primer(sequence=sequence)


@dataclass(frozen=True, slots=True, kw_only=True)
class _RawPair:
    gene: _Cell
    forward: _Cell
    reverse: _Cell
    accession: _Cell | None
    product: _Cell | None
    anneal: _Cell | None


def _cell_at(rows: list[list[str]], index: int, header: list[str], column: int) -> _Cell:
    row = rows[index]
    text = row[column] if column < len(row) else ""
    return _Cell(row=index + 1, column=header[column], text=text)


def _cell(rows: list[list[str]], index: int, header: list[str], column: int | None) -> _Cell | None:
    return None if column is None else _cell_at(rows, index, header, column)


def _wide_pairs(
    rows: list[list[str]], header_index: int, columns: dict[str, int]
) -> list[_RawPair]:
    header = rows[header_index]
    pairs = []
    for index in range(header_index + 1, len(rows)):
        if not any(rows[index]):
            continue

        def cell(field: str, index: int = index) -> _Cell | None:
            return _cell(rows, index, header, columns.get(field))

        pairs.append(
            _RawPair(
                gene=_cell_at(rows, index, header, columns["gene"]),
                forward=_cell_at(rows, index, header, columns["forward"]),
                reverse=_cell_at(rows, index, header, columns["reverse"]),
                accession=cell("accession"),
                product=cell("product_bp"),
                anneal=cell("anneal_temp_c"),
            )
        )
    return pairs


def _direction_of(
    path: Path, rows: list[list[str]], index: int, header: list[str], columns: dict[str, int]
) -> tuple[str, _Cell]:
    """Return ("forward" | "reverse", the sequence cell) for one row of the two-row layout."""
    sequence = _cell_at(rows, index, header, columns["sequence"])
    direction_cell = _cell(rows, index, header, columns.get("direction"))
    if direction_cell is not None and direction_cell.text:
        word = _DIRECTION_WORDS.get(direction_cell.text.strip().lower())
        if word is None:
            raise InputError(
                "is not a primer direction (Forward or Reverse)",
                path=path,
                row=direction_cell.row,
                column=direction_cell.column,
                value=direction_cell.text,
            )
        return word, sequence
    match = _LEADING_DIRECTION.match(sequence.text)
    if match is None:
        raise InputError(
            'does not say whether it is the Forward or Reverse primer (write "Forward …" or '
            '"Reverse …", or add a direction column)',
            path=path,
            row=sequence.row,
            column=sequence.column,
            value=sequence.text,
        )
    word = _DIRECTION_WORDS[match.group(1).lower()]
    return word, _Cell(row=sequence.row, column=sequence.column, text=match.group("rest"))


def _long_pairs(
    path: Path, rows: list[list[str]], header_index: int, columns: dict[str, int]
) -> list[_RawPair]:
    header = rows[header_index]
    groups: list[dict[str, _Cell]] = []
    for index in range(header_index + 1, len(rows)):
        if not any(rows[index]):
            continue
        gene = _cell_at(rows, index, header, columns["gene"])
        if gene.text or not groups:
            if not gene.text:
                raise InputError(
                    "the first primer row has no gene name",
                    path=path,
                    row=gene.row,
                    column=gene.column,
                )
            groups.append({"gene": gene})
            for field in ("accession", "product_bp", "anneal_temp_c"):
                found = _cell(rows, index, header, columns.get(field))
                if found is not None:
                    groups[-1][field] = found
        direction, sequence = _direction_of(path, rows, index, header, columns)
        group = groups[-1]
        if direction in group:
            raise InputError(
                f'gene "{group["gene"].text}" has a second {direction} primer (first on row '
                f"{group[direction].row})",
                path=path,
                row=sequence.row,
                column=sequence.column,
            )
        group[direction] = sequence
    pairs = []
    for group in groups:
        for direction in ("forward", "reverse"):
            if direction not in group:
                raise InputError(
                    f'gene "{group["gene"].text}" has no {direction} primer',
                    path=path,
                    row=group["gene"].row,
                )
        pairs.append(
            _RawPair(gene=group["gene"], forward=group["forward"], reverse=group["reverse"],
                     accession=group.get("accession"), product=group.get("product_bp"),
                     anneal=group.get("anneal_temp_c"))
        )  # fmt: skip
    return pairs


def _find_header(path: Path, rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """Return the index of the header row and its column map (a caption above it is skipped)."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns = _match_columns(row)
        if _is_header(columns):
            return index, columns
    seen = next((row for row in rows if any(row)), [])
    raise InputError(
        "no header with a gene column and forward and reverse primer columns (or a primer "
        f"sequence column) was found; the first row has: {', '.join(c for c in seen if c)}",
        path=path,
    )


def read_primer_table(path: str | Path) -> list[PrimerPair]:
    """Read a primer table.

    Args:
        path: A .tsv, .txt, .csv or .xlsx file.

    Returns:
        One `PrimerPair` per gene, in table order.

    Raises:
        InputError: The file cannot be read, a required column is missing, or a value is unusable;
            the message names the file, row, column and value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=path)
    rows = _read_rows(path)
    header_index, columns = _find_header(path, rows)
    if {"forward", "reverse"} <= columns.keys():
        raw = _wide_pairs(rows, header_index, columns)
    else:
        raw = _long_pairs(path, rows, header_index, columns)
    if not raw:
        raise InputError("the table has a header but no primer rows", path=path)
    pairs: list[PrimerPair] = []
    first_row: dict[str, int] = {}
    for item in raw:
        gene = item.gene.text.strip()
        if not gene:
            raise InputError("the gene name is empty", path=path, row=item.gene.row,
                             column=item.gene.column)  # fmt: skip
        if gene.lower() in first_row:
            raise InputError(
                f'gene "{gene}" appears twice (first on row {first_row[gene.lower()]}); give '
                "each pair its own name",
                path=path,
                row=item.gene.row,
                column=item.gene.column,
            )
        first_row[gene.lower()] = item.gene.row
        accession = item.accession.text.strip() if item.accession else ""
        if item.accession is not None and accession:
            try:
                accession = str(parse_accession(accession))
            except ValueError:
                raise InputError(
                    "is not a RefSeq or GenBank accession (e.g. NM_002046.7)",
                    path=path,
                    row=item.accession.row,
                    column=item.accession.column,
                    value=accession,
                ) from None
        pairs.append(
            PrimerPair(
                gene=gene,
                forward=_parse_primer(item.forward, path),
                reverse=_parse_primer(item.reverse, path),
                accession=accession or None,
                product_bp=_parse_int(item.product, path) if item.product else None,
                anneal_temp_c=_parse_temperature(item.anneal, path) if item.anneal else None,
                row=item.gene.row,
            )
        )
    return pairs
