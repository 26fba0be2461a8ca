"""Bad input that once gave a traceback or was used without a word (issue: reliability).

Each case names the kind of fault; the expected outcome is one `InputError` naming where, or a
clean read, never a Python error. Files are made here, deliberately damaged.
"""

from __future__ import annotations

import datetime
import gzip
import json
import time
from pathlib import Path

import openpyxl
import pytest

from assay.analysis.assays import read_assays
from assay.analysis.viability import ViabilitySettings, read_od_grids, read_od_table, viability
from assay.analysis.wells import read_wells
from assay.errors import InputError
from assay.primers.offtarget import read_fasta
from assay.primers.table import read_primer_table

GAPDH_F, GAPDH_R = "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA"


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    ("primer", "message"),
    [
        ("ACGT" * 18, r"is 72 nt long: primers of more than 60 nt"),
        ("NNNNNNNNNNNNNNNNNNNN", r"stands for 1,099,511,627,776 sequences"),
    ],
)
def test_primers_the_thermodynamics_cannot_take_are_refused_where_they_are(
    tmp_path: Path, primer: str, message: str
) -> None:
    path = _write(tmp_path, "p.tsv", f"gene\tforward\treverse\nX\t{primer}\t{GAPDH_R}\n")
    with pytest.raises(InputError, match=rf'row 2, column "forward": "{primer}": {message}'):
        read_primer_table(path)


def test_a_product_size_with_python_underscores_is_not_a_number(tmp_path: Path) -> None:
    text = f"gene\tforward\treverse\tproduct_bp\nX\t{GAPDH_F}\t{GAPDH_R}\t1_4_8\n"
    with pytest.raises(InputError, match=r'column "product_bp": "1_4_8": is not a whole number'):
        read_primer_table(_write(tmp_path, "p.tsv", text))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cr_only.tsv", f"gene\tforward\treverse\rGAPDH\t{GAPDH_F}\t{GAPDH_R}\r".encode()),
        ("utf16.csv", f"gene,forward,reverse\nGAPDH,{GAPDH_F},{GAPDH_R}\n".encode("utf-16")),
        ("semicolon.txt", f"gene;forward;reverse\nGAPDH;{GAPDH_F};{GAPDH_R}\n".encode()),
        (
            "zipped.tsv.gz",
            gzip.compress(f"gene\tforward\treverse\nGAPDH\t{GAPDH_F}\t{GAPDH_R}\n".encode()),
        ),
    ],
)
def test_line_endings_encodings_and_separators(tmp_path: Path, name: str, data: bytes) -> None:
    (pair,) = read_primer_table(_write(tmp_path, name, data))
    assert (pair.gene, pair.forward.sequence) == ("GAPDH", GAPDH_F)


def test_a_truncated_gzip_is_named(tmp_path: Path) -> None:
    data = gzip.compress(b"group,gene,ct\n" + b"c,GAPDH,20\n" * 500)
    with pytest.raises(InputError, match=r"ct\.csv\.gz: is a damaged gzip file"):
        read_wells(_write(tmp_path, "ct.csv.gz", data[: len(data) // 2]))


def test_a_latin1_plate_map_and_a_ragged_grid(tmp_path: Path) -> None:
    header = "," + ",".join(str(c) for c in range(1, 13))
    rows = [header] + [f"{r}," + ",".join("0.5" for _ in range(12)) for r in "ABCDEFGH"]
    rows[3] = "C,0.5,0.5"  # a ragged row: its other cells are empty
    grid = _write(tmp_path, "od570.csv", "\n".join(rows) + "\n")
    layout = [header] + [f"{r}," + ",".join("contrôle" if c < 6 else "médicament" for c in
                                                range(12)) for r in "ABCDEFGH"]  # fmt: skip
    plate_map = _write(tmp_path, "map.csv", ("\n".join(layout) + "\n").encode("latin-1"))
    settings = ViabilitySettings(control="contrôle", reference_nm=None)
    with pytest.raises(InputError, match=r'od570\.csv, row 4, column "C3": "": is not an optical'):
        read_od_grids({570: grid}, plate_map, settings)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([570, "group"], r'column "group"|column "od570" is missing'),
        ([datetime.datetime(2024, 5, 7), "group"], r'column "od570" is missing'),
    ],
)
def test_numeric_and_date_headings_in_excel(
    tmp_path: Path, header: list[object], message: str
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append([0.5, "control"])
    path = tmp_path / "od.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=message):
        read_od_table(path, ViabilitySettings(control="control", reference_nm=None))


def test_an_experiment_without_blank_wells_is_named(tmp_path: Path) -> None:
    text = ("group,experiment,od570\ncontrol,1,0.8\nblank,1,0.05\ndrug,1,0.4\n"
            "control,2,0.8\ndrug,2,0.5\n")  # fmt: skip
    settings = ViabilitySettings(control="control", reference_nm=None)
    with pytest.raises(InputError, match=r"experiment 2 has no blank wells"):
        viability(read_od_table(_write(tmp_path, "od.csv", text), settings), settings)


@pytest.mark.parametrize(
    "report",
    [{"schema_version": 2, "pairs": [1, "x"]}, {"schema_version": 2, "pairs": [{"gene": 5}]},
     {"schema_version": 2, "pairs": {"gene": "X"}}],
)  # fmt: skip
def test_an_assays_report_of_the_wrong_shape(tmp_path: Path, report: object) -> None:
    with pytest.raises(InputError, match=r"a\.json"):
        read_assays(_write(tmp_path, "a.json", json.dumps(report)))


def test_an_empty_fasta_database_is_not_evidence_of_specificity(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"empty\.fa: holds no FASTA records"):
        list(read_fasta(_write(tmp_path, "empty.fa", "")))


def test_one_huge_cell_is_refused_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "ct.csv", "group,gene,ct\n" + "a" * 4_000_000 + ",GAPDH,20\n")
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"ct\.csv.*line too long|more than 10,000"):
        read_wells(path)
    # A generous bound (today about 0.05 s; before, 30 s and 9 GB): a guard, not a benchmark.
    assert time.perf_counter() - started < 5


def test_an_empty_sheet_and_a_gzip_with_a_bad_checksum(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError, match=r"empty\.xlsx: is empty"):
        read_wells(tmp_path / "empty.xlsx")
    data = bytearray(gzip.compress(b"group,gene,ct\nc,GAPDH,20\n"))
    data[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    with pytest.raises(InputError, match=r"bad_crc\.csv\.gz: is a damaged gzip file"):
        read_wells(_write(tmp_path, "bad_crc.csv.gz", bytes(data)))


def test_a_plain_ct_table_in_excel_is_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["group", "gene", "ct"], ["c", "GAPDH", 20.1], ["c", "MYC", 25.3]):
        sheet.append(row)
    book.save(tmp_path / "ct.xlsx")
    table = read_wells(tmp_path / "ct.xlsx")
    assert table.wells["ct"].tolist() == [20.1, 25.3]


# Limits on what a file unpacks to (rows, columns, cells, XML elements), each tested on both
# sides with the limit lowered so that the files stay small.


def _ct_lines(rows: int) -> str:
    return "group,gene,ct\n" + "".join(f"c,GAPDH,{20 + i % 5}\n" for i in range(rows - 1))


def test_a_text_table_of_more_rows_than_the_limit_is_refused_before_it_is_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assay.tables.MAX_ROWS", 10)
    at_limit = _write(tmp_path, "ten.csv", _ct_lines(10))  # ten lines, each ending in \n
    assert len(read_wells(at_limit).wells) == 9
    past = _write(tmp_path, "eleven.csv", _ct_lines(11))
    with pytest.raises(InputError, match=r"eleven\.csv: has 11 lines, more than the 10 rows"):
        read_wells(past)
    cr_only = _write(tmp_path, "cr.csv", _ct_lines(11).replace("\n", "\r"))
    with pytest.raises(InputError, match=r"cr\.csv: has 11 lines"):
        read_wells(cr_only)


def _sheet(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / name)
    return tmp_path / name


def _rewrite_sheet(path: Path, change: tuple[str, str]) -> Path:
    """A deliberately damaged copy: the first match of a pattern replaced in the sheet's XML."""
    import re
    import zipfile

    damaged = path.with_name("damaged_" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, made = re.subn(change[0].encode(), change[1].encode(), data, count=1)
                assert made == 1, change
            target.writestr(item, data)
    return damaged


NO_DIMENSION = (r"<dimension [^>]*/>", "")


CT_ROWS: list[list[object]] = [["group", "gene", "ct"], ["c", "GAPDH", 20.1], ["c", "MYC", 25.3]]


def test_a_sheet_claiming_a_huge_dimension_is_read_for_what_it_holds(tmp_path: Path) -> None:
    # The dimension element says A1:XFD1048576 (17 billion cells); the sheet holds 3 rows.
    source = _sheet(tmp_path, "ct.xlsx", CT_ROWS)
    path = _rewrite_sheet(source, ('ref="A1:C3"', 'ref="A1:XFD1048576"'))
    assert read_wells(path).wells["ct"].tolist() == [20.1, 25.3]


def test_a_row_numbered_past_the_limit_is_refused_and_one_at_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assay.tables.MAX_ROWS", 100)
    source = _sheet(tmp_path, "ct.xlsx", CT_ROWS)
    # openpyxl writes <row r="3">: renumbered to the limit (read, blank rows between), and past.
    at = _rewrite_sheet(source, ('<row r="3"', '<row r="100"'))
    assert read_wells(at).wells["ct"].tolist() == [20.1, 25.3]
    past = _rewrite_sheet(source, ('<row r="3"', '<row r="1e9"'))
    with pytest.raises(InputError, match=r"damaged_ct\.xlsx: has a sheet 'Sheet' with a row "
                       r"numbered past 100"):  # fmt: skip
        read_wells(past)


def test_a_sheet_of_more_cells_than_the_limit_is_refused_as_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assay.tables.MAX_CELLS", 9)
    assert len(read_wells(_sheet(tmp_path, "nine.xlsx", CT_ROWS)).wells) == 2  # 3 x 3 cells
    wider = [[*row, ""] for row in CT_ROWS]
    wider[0][3] = "note"  # a fourth column: 12 cells
    # Its stated dimension (A1:D3) is not trusted past the limit: the cells are counted.
    with pytest.raises(InputError, match=r"twelve\.xlsx: has a sheet 'Sheet' with more than 9 c"):
        read_wells(_sheet(tmp_path, "twelve.xlsx", wider))
    undimensioned = _rewrite_sheet(tmp_path / "twelve.xlsx", NO_DIMENSION)
    with pytest.raises(InputError, match=r"with more than 9 cells"):
        read_wells(undimensioned)


def test_a_row_reaching_past_the_last_column_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assay.tables.MAX_COLUMNS", 4)
    rows = [[*row, None, "x" if i == 2 else None] for i, row in enumerate(CT_ROWS)]  # column E
    path = _rewrite_sheet(_sheet(tmp_path, "wide.xlsx", rows), NO_DIMENSION)
    with pytest.raises(InputError, match=r"row 3 reaching column 5"):
        read_wells(path)
    rows = [[*row, "x" if i != 1 else None] for i, row in enumerate(CT_ROWS)]  # column D
    path = _rewrite_sheet(_sheet(tmp_path, "four.xlsx", rows), NO_DIMENSION)
    assert read_wells(path).wells["ct"].tolist() == [20.1, 25.3]


def test_a_workbook_part_that_unpacks_past_the_file_limit_is_refused_by_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    path = _sheet(tmp_path, "ct.xlsx", CT_ROWS)
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("notes")
    for _ in range(20):
        notes.append(["n" * 9000])  # 180 KB of XML, compressible
    book.save(path)
    assert path.stat().st_size < 20_000

    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("xl/worksheets/sheet2.xml").file_size
    monkeypatch.setattr("assay.tables.MAX_FILE_BYTES", size)
    assert len(read_wells(path).wells) == 2
    monkeypatch.setattr("assay.tables.MAX_FILE_BYTES", size - 1)
    with pytest.raises(InputError, match=rf"'xl/worksheets/sheet2\.xml' that unpacks to {size:,}"):
        read_wells(path)


def test_xml_of_more_elements_than_the_limit_is_refused_before_a_tree_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.tables import check_xml

    xml = b'<?xml version="1.0"?><!-- c --><rdml><a/><b>t</b></rdml>'  # three elements
    monkeypatch.setattr("assay.tables.MAX_XML_ELEMENTS", 3)
    check_xml(xml, tmp_path / "x.rdml", "an RDML document")
    monkeypatch.setattr("assay.tables.MAX_XML_ELEMENTS", 2)
    with pytest.raises(InputError, match=r"x\.rdml: holds an RDML document of 3 XML elements"):
        check_xml(xml, tmp_path / "x.rdml", "an RDML document")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path, "ct.csv", "group,gene,ct\nc,GAPDH,20.1\nc,MYC,25.3\n".encode(encoding))
    assert read_wells(path).wells["ct"].tolist() == [20.1, 25.3]


def test_text_with_a_few_zero_bytes_is_not_taken_for_utf16() -> None:
    from assay.tables import utf16_without_bom

    text = b"group,gene,ct\nc,GAPDH,20.1\n"
    assert utf16_without_bom(text.replace(b",", b"\x00", 2)) is None  # 2 of 14 odd bytes
    assert utf16_without_bom(text) is None
    assert utf16_without_bom("x".encode("utf-16-le")) is None  # too short to tell


def test_an_export_row_holding_two_rows_is_refused_by_its_line(tmp_path: Path) -> None:
    # A QuantStudio text export whose line break between two wells was lost: the second well
    # had been dropped without a word.
    header = "Well\tWell Position\tSample Name\tTarget Name\tTask\tCT"
    rows = ["1\tA1\tLiver\tGAPDH\tUNKNOWN\t20.1", "2\tA2\tLiver\tGAPDH\tUNKNOWN\t20.3",
            "3\tA3\tLung\tGAPDH\tUNKNOWN\t21.0"]  # fmt: skip
    good = "* Endogenous Control = GAPDH\n\n[Results]\n" + "\n".join([header, *rows]) + "\n"
    assert len(read_wells(_write(tmp_path, "good.txt", good)).wells) == 3
    joined = good.replace("20.1\n2\t", "20.1\t2\t")
    with pytest.raises(InputError, match=r"joined\.txt, row 5: holds 12 cells where the header "
                       r"names 6: two rows joined"):  # fmt: skip
        read_wells(_write(tmp_path, "joined.txt", joined))
