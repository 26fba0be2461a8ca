"""Reading primer tables: layouts, aliases, formats, and errors that say where the fault is.

Tables are written into temporary files from Table 1's real primers, one layout or fault each.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from assay.data import table1_path
from assay.errors import InputError
from assay.primers.model import PrimerPair
from assay.primers.table import read_primer_table

FIXTURES = Path(__file__).parent / "fixtures"

TABLE1 = [
    ("JAK2", "NM_004972.4", "ATCTGGGGAGTATGTTGCAGAA", "GTTGGGTGGATACCAGATCCTTT", 124, 60.0),
    ("STAT3", "NM_139276.3", "GAATCACGCCTTCTACAGACT", "TTCCGGACATCCTGAAGGT", 125, 60.0),
    ("PI3k", "NM_006218.4", "CATGGAGGAGAACCCTTATGTGA", "AGCACGAGGAAGATCAGGAATG", 114, 60.0),
    ("mTOR", "NM_004958.4", "CAACAAGCGATCCCGAACGA", "CCAAGTCCACACCGTCCAA", 78, 60.0),
    ("GAPDH", "NM_002046.7", "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA", 148, 60.0),
]


def _fields(pairs: list[PrimerPair]) -> list[tuple[object, ...]]:
    return [
        (p.gene, p.accession, p.forward.sequence, p.reverse.sequence, p.product_bp, p.anneal_temp_c)
        for p in pairs
    ]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_table1() -> None:
    pairs = read_primer_table(table1_path())
    assert _fields(pairs) == TABLE1
    assert [p.row for p in pairs] == [2, 3, 4, 5, 6]


def test_the_papers_printed_two_row_layout_with_its_caption() -> None:
    pairs = read_primer_table(FIXTURES / "table1_as_printed.tsv")
    assert _fields(pairs) == TABLE1
    # the caption is line 1, a blank line 2, the header line 3: JAK2's Forward row is line 4
    assert [p.row for p in pairs] == [4, 6, 8, 10, 12]


def test_csv_with_aliases_wrappers_and_units(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "primers.csv",
        "Target,RefSeq,Fwd primer,Rev primer,Amplicon (bp),Ta (°C)\n"
        "GAPDH,NM_002046.7,5'-tgaaggtcgg agtcaacgg-3', TGGGTGGAATCATATTGGAACA ,148 bp,60 °C\n",
    )
    assert _fields(read_primer_table(path)) == [TABLE1[4]]


def test_semicolon_csv_as_european_excel_saves_it(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "primers.csv",
        "gene;forward;reverse\nmTOR;CAACAAGCGATCCCGAACGA;CCAAGTCCACACCGTCCAA\n",
    )
    (pair,) = read_primer_table(path)
    assert (pair.gene, pair.accession, pair.product_bp) == ("mTOR", None, None)


def test_two_row_layout_with_a_direction_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "long.tsv",
        "Gene\tAccession\tDirection\tSequence\tProduct size\n"
        "PI3k\tNM_006218.4\tF\tCATGGAGGAGAACCCTTATGTGA\t114\n"
        "\t\tR\tAGCACGAGGAAGATCAGGAATG\t\n",
    )
    (pair,) = read_primer_table(path)
    assert (pair.forward.sequence, pair.reverse.sequence, pair.product_bp) == (
        TABLE1[2][2],
        TABLE1[2][3],
        114,
    )


def test_excel_workbook(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Table 1. Primers"])  # a caption row above the header
    sheet.append(["Gene name", "NCBI reference sequence", "Forward", "Reverse", "Product", "Ta"])
    for gene, accession, forward, reverse, size, ta in TABLE1:
        sheet.append([gene, accession, forward, reverse, size, ta])
    path = tmp_path / "primers.xlsx"
    workbook.save(path)
    pairs = read_primer_table(path)
    assert _fields(pairs) == TABLE1
    assert pairs[0].row == 3


GOOD_HEADER = "gene\taccession\tforward\treverse\tproduct_bp\tanneal_temp_c\n"
GAPDH_ROW = "GAPDH\tNM_002046.7\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\t148\t60\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "gene\taccession\tforward\nGAPDH\tNM_002046.7\tTGAAGGTCGGAGTCAACGG\n",
            r"no header with a gene column and forward and reverse .* "
            r"has: gene, accession, forward",
            id="missing reverse column",
        ),
        pytest.param(
            GOOD_HEADER + "GAPDH\tNM_002046.7\t\tTGGGTGGAATCATATTGGAACA\t148\t60\n",
            r'row 2, column "forward": the primer sequence is empty',
            id="empty sequence",
        ),
        pytest.param(
            GOOD_HEADER
            + "GAPDH\tNM_002046.7\tTGAAGGTCGGAGTCAACGG\tTGGGXGGAATCATATTGGAACA\t148\t60\n",
            r'row 2, column "reverse": "TGGGXGGAATCATATTGGAACA": has "X" at position 5',
            id="character that is not a base",
        ),
        pytest.param(
            GOOD_HEADER
            + "GAPDH\tNM_002046.7\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\tabout 150\t60\n",
            r'row 2, column "product_bp": "about 150": is not a whole number of base pairs',
            id="non-numeric size",
        ),
        pytest.param(
            GOOD_HEADER
            + "GAPDH\tNM_002046.7\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\t148\t59,5\n",
            r'column "anneal_temp_c": "59,5": is not a temperature in °C \(decimal separator',
            id="decimal comma",
        ),
        pytest.param(
            GOOD_HEADER + GAPDH_ROW + GAPDH_ROW.replace("GAPDH", "gapdh"),
            r'row 3, column "gene": gene "gapdh" appears twice \(first on row 2\)',
            id="duplicate gene",
        ),
        pytest.param(GOOD_HEADER, "the table has a header but no primer rows", id="no rows"),
        pytest.param(
            GOOD_HEADER + GAPDH_ROW.replace("NM_002046.7", "NM_002046.7/../x"),
            r'row 2, column "accession": "NM_002046.7/../x": is not a RefSeq or GenBank accession',
            id="malformed accession",
        ),
        pytest.param(
            "Gene\tPrimer sequence\nGAPDH\tForward TGAAGGTCGGAGTCAACGG\n",
            r'row 2: gene "GAPDH" has no reverse primer',
            id="two-row layout missing its reverse",
        ),
        pytest.param(
            "Gene\tPrimer sequence\nGAPDH\tTGAAGGTCGGAGTCAACGG\n",
            r'row 2, column "Primer sequence": .*does not say whether it is the Forward or Reverse',
            id="two-row layout without directions",
        ),
    ],
)
def test_bad_tables_are_refused_with_their_location(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, "bad.tsv", text)
    with pytest.raises(InputError, match=message) as raised:
        read_primer_table(path)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_primer_table(tmp_path / "absent.tsv")


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "old.xls", "")
    with pytest.raises(InputError, match=r"old\.xls: is empty"):
        read_primer_table(path)


def test_a_file_is_read_by_its_content_not_its_name(tmp_path: Path) -> None:
    # Text named .xlsx is read as the text it is (the content decides, not the extension).
    path = _write(tmp_path, "damaged.xlsx", "this is not a zip archive")
    with pytest.raises(InputError, match=r"no header .* the first row has: this is not a zip"):
        read_primer_table(path)
    zipped = tmp_path / "junk.xlsx"
    zipped.write_bytes(b"PK\x03\x04 a damaged zip")
    with pytest.raises(InputError, match=r"junk\.xlsx: is a zip file, not a workbook"):
        read_primer_table(zipped)
