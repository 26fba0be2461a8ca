"""The one way assay reads a table a user hands in: bytes to rows of text cells.

Every reader (primer tables, Ct/Cq tables and instrument exports, OD tables and plate grids,
standard curves, sample sheets) starts here, so that all of them take the same files: gzip or
not; UTF-8 with or without BOM, UTF-16, or cp1252/latin-1 (what Excel saves as "CSV"); any line
ending (CR-only included); ``,`` ``;`` or tab found from the content, not the extension; .xlsx
(the sheet that holds the table, found by its header, not the first one) and legacy .xls.
Limits are checked before anything large is built, on what a file unpacks to as well as its
bytes: a file over `MAX_FILE_BYTES`, more rows than `MAX_ROWS`, columns than `MAX_COLUMNS` or
cells than `MAX_CELLS`, XML of more elements than `MAX_XML_ELEMENTS`, a cell over
`MAX_CELL_CHARS`.

>>> split_text("a;b" + chr(13) + "1;2" + chr(13))
[['a', 'b'], ['1', '2']]
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assay.errors import InputError

MAX_FILE_BYTES = 200 * 1024 * 1024  # far beyond any plate export or primer table
MAX_CELL_CHARS = 10_000  # a primer, a name or a number; a longer cell is a broken file
MAX_ROWS = 1_048_576  # a spreadsheet's own limit (Excel, LibreOffice Calc)
MAX_COLUMNS = 16_384  # likewise
MAX_CELLS = 10_000_000  # 40x the largest sheet of a real export seen (230,461 cells)
MAX_XML_ELEMENTS = 5_000_000  # 5x the largest real export's XML (1.05 million elements)
Rows = list[list[str]]


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(text: str) -> float | None:
    """Read a plain decimal number, strictly: None for anything else.

    Python's float() also takes "2_7.43", non-ASCII digits, "nan" and "inf"; a table cell with
    those is a typing or export fault, not a number.

    >>> parse_number(" 27.43 "), parse_number("2_7.43"), parse_number("27,43"), parse_number("inf")
    (27.43, None, None, None)
    """
    cleaned = text.strip()
    return float(cleaned) if _NUMBER.fullmatch(cleaned) else None


def load_bytes(path: str | Path) -> bytes:
    """The file's bytes, decompressed when gzipped.

    Raises:
        InputError: No such file, too large, unreadable, or a damaged gzip stream.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"is larger than {MAX_FILE_BYTES // 2**20} MB: not a table", path=path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})", path=path) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_FILE_BYTES + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(f"is a damaged gzip file ({error})", path=path) from None
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"unpacks to more than {MAX_FILE_BYTES // 2**20} MB", path=path)
    return data


def check_lines(data: bytes, path: Path) -> None:
    """Refuse a text with more lines than a table may have rows (before it is decoded or split).

    Raises:
        InputError: More than `MAX_ROWS` lines.
    """
    lines = max(data.count(b"\n"), data.count(b"\r"))
    if lines > MAX_ROWS:
        raise InputError(f"has {lines:,} lines, more than the {MAX_ROWS:,} rows a table may hold "
                         "(a spreadsheet's own limit): split it", path=path)  # fmt: skip


def check_xml(data: bytes, path: Path, what: str) -> None:
    """Refuse XML of more elements than `MAX_XML_ELEMENTS` (before a tree is built of it).

    Counted from the bytes: opening tags, not closing tags, declarations or comments.

    Raises:
        InputError: Too many elements; `what` names the document ("an RDML document").
    """
    tags = data.count(b"<") - data.count(b"</") - data.count(b"<?") - data.count(b"<!")
    if tags > MAX_XML_ELEMENTS:
        raise InputError(f"holds {what} of {tags:,} XML elements, more than the "
                         f"{MAX_XML_ELEMENTS:,} any export needs: damaged or not an export",
                         path=path)  # fmt: skip


def utf16_without_bom(data: bytes) -> str | None:
    r"""The UTF-16 byte order of text written without its byte-order mark, else None.

    Told from the zero bytes: text of Latin letters and digits in UTF-16 has one in every other
    byte, all on the same side (odd positions little-endian, even big-endian); UTF-8, cp1252 and
    binary files do not.

    >>> utf16_without_bom("Well\tCt".encode("utf-16-le")), utf16_without_bom(b"Well\tCt")
    ('utf-16-le', None)
    """
    head = data[: 4096 - 4096 % 2] if len(data) >= 2 else b""
    if len(head) < 8 or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    even, odd = head[0::2].count(0) / (len(head) / 2), head[1::2].count(0) / (len(head) / 2)
    if odd > 0.6 and even < 0.05:
        return "utf-16-le"
    if even > 0.6 and odd < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes) -> str:
    """Text by BOM, else UTF-16 told by its zero bytes, else UTF-8, else cp1252.

    Every line ending becomes a newline.
    """
    bare = utf16_without_bom(data)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    elif bare is not None:
        text = data[: len(data) - len(data) % 2].decode(bare, errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def delimiter_of(line: str) -> str:
    """The separator a header line uses: tab, ``;`` or ``,`` (the most frequent)."""
    return max("\t;,", key=line.count) if any(c in line for c in "\t;,") else "\t"


def split_text(text: str) -> Rows:
    """Rows of stripped cells, the separator found from the first non-empty line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = next((line for line in text.split("\n") if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(first))
    try:
        return [[cell.strip() for cell in row] for row in reader]
    except csv.Error as error:
        raise ValueError(str(error)) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def workbook_sheets(
    data: bytes, path: Path, *, legacy: bool, only: Sequence[str] | None = None
) -> Iterator[tuple[str, Rows]]:
    """The sheets of a workbook, one at a time, as rows of text cells; "Results" first.

    `only` names the sheets wanted (the others are not read at all: amplification sheets are
    large).

    Raises:
        InputError: The workbook is damaged or not a workbook.
    """
    try:
        if legacy:
            import xlrd

            book = xlrd.open_workbook(file_contents=data)
            for sheet in sorted(book.sheets(), key=lambda s: s.name.strip().lower() != "results"):
                if only is not None and sheet.name not in only:
                    continue
                _check_extent(sheet.name, sheet.nrows, sheet.ncols, path)
                yield (
                    sheet.name,
                    [[_cell(c) for c in sheet.row_values(r)] for r in range(sheet.nrows)],
                )
            return
        import warnings

        import openpyxl

        _check_parts(data, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no default style": harmless
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheets = sorted(workbook.worksheets, key=lambda w: w.title.strip().lower() != "results")
            for ws in sheets:
                if only is not None and ws.title not in only:
                    continue
                yield ws.title, _sheet_rows(ws, path)
        finally:
            workbook.close()
    except InputError:
        raise
    except Exception as error:  # a damaged workbook fails inside the library in many ways
        raise InputError(f"is not a readable Excel workbook ({type(error).__name__})",
                         path=path) from None  # fmt: skip


def _check_extent(sheet: str, rows: int, columns: int, path: Path) -> None:
    """Refuse a sheet whose rows, columns or cells exceed the limits (from its stated size)."""
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise InputError(
            f"has a sheet {sheet!r} of {rows:,} rows x {columns:,} columns, more than a table "
            f"may hold ({MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns, {MAX_CELLS:,} cells)",
            path=path,
        )  # fmt: skip


def _check_parts(data: bytes, path: Path) -> None:
    """Refuse a workbook whose parts unpack to more than `MAX_FILE_BYTES` each (by their headers).

    zipfile reads no more of a part than its header states, so a header that understates the
    size ends in a damaged-file error, not in memory.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in archive.infolist():
            if part.file_size > MAX_FILE_BYTES:
                raise InputError(
                    f"holds a part {part.filename!r} that unpacks to {part.file_size:,} bytes, "
                    f"more than the {MAX_FILE_BYTES // 2**20} MB any export needs", path=path,
                )  # fmt: skip


def _sheet_rows(ws: Any, path: Path) -> Rows:
    """A read-only worksheet's rows as text cells, within the limits as they are read.

    The sheet's stated dimension is not used: openpyxl would pad every row to it (a false one
    allocates billions of cells) and drop rows beyond it without a word. Rows are read as the
    sheet holds them and counted as they come (openpyxl yields an empty row for every number a
    sheet skips: a row numbered 10⁹ is refused once the count passes `MAX_ROWS`), then padded to
    the widest.
    """
    ws.reset_dimensions()
    out: Rows = []
    cells = 0
    for values in ws.iter_rows(values_only=True):
        cells += len(values)
        if len(out) == MAX_ROWS or len(values) > MAX_COLUMNS or cells > MAX_CELLS:
            what = (f"a row numbered past {MAX_ROWS:,}" if len(out) == MAX_ROWS
                    else f"row {len(out) + 1:,} reaching column {len(values):,}"
                    if len(values) > MAX_COLUMNS else f"more than {MAX_CELLS:,} cells")  # fmt: skip
            raise InputError(
                f"has a sheet {ws.title!r} with {what}: more than a table may hold "
                f"({MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns, {MAX_CELLS:,} cells); the file "
                "is damaged or not an export", path=path,
            )  # fmt: skip
        out.append([_cell(c) for c in values])
    width = max(map(len, out), default=0)
    _check_extent(ws.title, len(out), width, path)
    for row in out:
        row.extend([""] * (width - len(row)))
    return out


def is_workbook(data: bytes) -> bool | None:
    """True for .xlsx, False for legacy .xls, None for anything else (by content)."""
    if data[:2] == b"PK":
        return True
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return False
    return None


def check_cells(rows: Rows, path: Path) -> Rows:
    """Refuse a cell too long to be anything assay reads (before any of it is parsed)."""
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise InputError(
                    f"a cell of {len(cell):,} characters (more than {MAX_CELL_CHARS:,}): the file "
                    "is damaged or not a table", path=path, row=number, column=f"#{column}",
                )  # fmt: skip
    return rows


def read_rows(path: str | Path, *, wanted: Callable[[Rows], bool] | None = None) -> Rows:
    """Read a table file (text, .xlsx, .xls, gzipped or not) as rows of stripped text cells.

    Args:
        path: The file.
        wanted: For a workbook, says whether a sheet's rows are the table; the first such
            sheet is taken (default, or when none is: the first sheet).

    Raises:
        InputError: Unreadable, damaged, too large, or a cell too long.
    """
    path = Path(path)
    data = load_bytes(path)
    kind = is_workbook(data)
    if kind is not None:
        if kind and not _is_xlsx(data):
            raise InputError("is a zip file, not a workbook or a table", path=path)
        first: Rows | None = None
        for _, rows in workbook_sheets(data, path, legacy=not kind):
            if first is None:
                first = rows
            if wanted is None or wanted(rows):
                return check_cells(rows, path)
        if first is None:
            raise InputError("is a workbook without sheets", path=path)
        return check_cells(first, path)
    if not data.strip():
        raise InputError("is empty", path=path)
    check_lines(data, path)
    text = decode(data)
    if max((len(line) for line in text.split("\n")), default=0) > 64 * MAX_CELL_CHARS:
        raise InputError("has a line too long to be a table row: the file is damaged", path=path)
    try:
        return check_cells(split_text(text), path)
    except ValueError as error:
        raise InputError(f"cannot be read as a table ({error})", path=path) from None


def _is_xlsx(data: bytes) -> bool:
    import zipfile

    try:
        return any(n.startswith("xl/") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return False


def frame_from_rows(rows: Sequence[Sequence[str]], path: Path) -> Any:
    """A pandas DataFrame of text: the first non-empty row is the header, short rows padded.

    Header cells that are empty become "column N"; repeated ones get " (2)", " (3)". Blank rows
    are left out; the index is each row's number in the file (the header's row + 1, ...), as a
    spreadsheet numbers it, so messages can name it.

    Raises:
        InputError: No header, or a row with more cells than the header (the cells would shift).
    """
    import pandas as pd

    start = next((i for i, r in enumerate(rows) if any(c != "" for c in r)), None)
    if start is None:
        raise InputError("is empty", path=path)
    header: list[str] = []
    for index, name in enumerate(rows[start], start=1):
        name = name or f"column {index}"
        while name in header:
            name = f"{name} ({header.count(name) + 2})"
        header.append(name)
    width = len(header)
    body = []
    numbers = []
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(c != "" for c in row):
            continue
        if len(row) > width and any(c != "" for c in row[width:]):
            raise InputError(
                f"has {len(row)} cells but the header has {width}: a separator inside a cell, or "
                "a shifted row", path=path, row=number,
            )  # fmt: skip
        body.append(list(row[:width]) + [""] * (width - len(row)))
        numbers.append(number)
    return pd.DataFrame(body, columns=header, dtype=str, index=pd.Index(numbers, dtype="int64"))


def _encoding_of(data: bytes) -> str:
    """The text encoding by BOM, else UTF-8 when the bytes decode as such, else cp1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    bare = utf16_without_bom(data)
    if bare is not None:
        return bare
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


_DECIMAL_COMMA = re.compile(r"(-?\d{1,2}),(\d+)")


def decimal_comma(text: str) -> str:
    """A reading written with a decimal comma, as European plate readers and Excel write it.

    Only for Ct and OD cells, whose values stay below 100: "27,3" and "0,812" cannot be
    thousands, so the comma is the decimal separator. Anything else is returned as it was.

    >>> decimal_comma("0,812"), decimal_comma("27,35"), decimal_comma("1,234,5"), decimal_comma("x")
    ('0.812', '27.35', '1,234,5', 'x')
    """
    found = _DECIMAL_COMMA.fullmatch(text.strip())
    return f"{found.group(1)}.{found.group(2)}" if found else text


CAPTION_LINES = 5  # title lines a table may carry above its header ("Experiment 3, liver")


def _past_captions(lines: list[str], start: int) -> int:
    """The header's line: past title lines of one or two cells above a wider header.

    >>> _past_captions(["Run 3, liver", "", "group,gene,ct", "A,GAPDH,20"], 0)
    2
    >>> _past_captions(["group,gene,ct", "A,GAPDH,20"], 0), _past_captions(["a,b", "1,2,3"], 0)
    (0, 0)
    """
    filled = [i for i, line in enumerate(lines) if line.strip()][: CAPTION_LINES + 2]
    at = filled.index(start)
    while at + 1 < len(filled) and at < CAPTION_LINES:
        line, following = lines[filled[at]], lines[filled[at + 1]]
        separator = delimiter_of(following)
        cells = [c for c in line.split(separator) if c.strip()]
        wider = len([c for c in following.split(separator) if c.strip()])
        below = lines[filled[at + 2]] if at + 2 < len(filled) else ""
        steady = not below or len(below.split(separator)) == len(following.split(separator))
        # A header names its columns: a wider line of numbers is data under a narrow header.
        named = not any(parse_number(c) is not None for c in following.split(separator))
        if len(cells) > 2 or wider <= max(len(cells), 2) or not steady or not named:
            break
        at += 1
    return filled[at]


def read_frame(path: str | Path) -> Any:
    """A table file as a pandas DataFrame of text, read fast: `read_rows`'s rules, pandas' parser.

    The same decoding, separator and workbook rules as `read_rows` (a workbook goes through it);
    text tables are parsed by pandas' C parser straight from the bytes (a million-row Ct table in
    a fraction of a second). The header is the first non-empty row (empty names become "column
    N", repeated ones get " (2)"); blank rows are left out; the index holds each row's number in
    the file. Cells over `MAX_CELL_CHARS` are refused after parsing.

    Raises:
        InputError: As `read_rows`; or a row with more cells than the header (file and row).
    """
    import pandas as pd

    path = Path(path)
    data = load_bytes(path)
    if is_workbook(data) is not None:
        return frame_from_rows(read_rows(path), path)
    if not data.strip():
        raise InputError("is empty", path=path)
    check_lines(data, path)
    encoding = _encoding_of(data)
    head = decode(data[: 1 << 16] if not encoding.startswith("utf-16") else data)
    lines = head.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or (start == len(lines) - 1 and len(data) > len(head)):
        raise InputError("is empty or starts with a line too long to be a header", path=path)
    start = _past_captions(lines, start)
    header_cells = split_text(lines[start])[0]
    width = len(header_cells)
    try:
        raw = pd.read_csv(
            io.BytesIO(data), sep=delimiter_of(lines[start]), header=None, dtype=str,
            keep_default_na=False, skip_blank_lines=False, skiprows=start + 1, index_col=False,
            engine="c", encoding=encoding, encoding_errors="replace",
        ).fillna("")  # fmt: skip
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame(columns=range(width), dtype=str)
    except pd.errors.ParserError as error:
        found = re.search(r"line (\d+), saw (\d+)", str(error))
        row = int(found.group(1)) + start + 1 if found else None
        raise InputError(
            f"has more cells than the header ({width}) on this row: a separator inside a cell, "
            "or a shifted row", path=path, row=row,
        ) from None  # fmt: skip
    except (ValueError, UnicodeError, OverflowError) as error:
        raise InputError(f"cannot be read as a table ({error})", path=path) from None
    raw.columns = range(raw.shape[1])
    if raw.shape[1] > width:  # cells beyond the header: refused unless all empty
        extra = (raw.iloc[:, width:] != "").any(axis=1)
        if extra.any():
            raise InputError(
                f"has more cells than the header ({width}) on this row: a separator inside a "
                "cell, or a shifted row", path=path, row=int(extra.to_numpy().argmax()) + start + 2,
            )  # fmt: skip
        raw = raw.iloc[:, :width]
    for missing in range(raw.shape[1], width):
        raw[missing] = ""
    for number, column in enumerate(raw.columns, start=1):
        longest = raw[column].str.len().max() if len(raw) else 0
        if longest and longest > MAX_CELL_CHARS:
            row = int(raw[column].str.len().to_numpy().argmax()) + start + 2
            raise InputError(
                f"a cell of {int(longest):,} characters (more than {MAX_CELL_CHARS:,}): the file "
                "is damaged or not a table", path=path, row=row, column=f"#{number}",
            )  # fmt: skip
    raw.columns = list(frame_from_rows([header_cells], path).columns)
    raw.index = pd.RangeIndex(start + 2, start + 2 + len(raw))
    frame = raw[(raw != "").any(axis=1)] if len(raw.columns) else raw
    return frame


def natural_key(name: str) -> tuple[tuple[int, float, str], ...]:
    """Sort key that puts "3 uM" before "10 uM" and "Sample 2" before "Sample 10".

    >>> sorted(["10 uM", "3 uM", "control", "1.5 uM"], key=natural_key)
    ['1.5 uM', '3 uM', '10 uM', 'control']
    >>> sorted(["1600", "3200", "400", "800"], key=natural_key)
    ['400', '800', '1600', '3200']
    """
    parts = re.split(r"(\d+(?:\.\d+)?)", str(name))
    return tuple((0, float(p), "") if i % 2 else (1, 0.0, p.lower()) for i, p in enumerate(parts)
                 if p != "")  # fmt: skip
