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
