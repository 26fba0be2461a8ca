"""Every reader, fed generated and damaged input, fails only with assay's own errors.

A property-based fuzz suite (hypothesis): tables built from cells that are numbers, near-numbers
("2_7.43", "27,3", "nan", "inf", full-width digits), words, separators, line breaks, BOMs and
huge cells; real instrument exports cut short or with bytes flipped. The property: the reader
returns, or raises an `AssayError` whose message names the file. A Python error (KeyError,
ValueError, IndexError, UnicodeDecodeError, ...) is a defect. The number of cases per reader is
`FUZZ_CASES` (environment; a few hundred in CI, 10⁴ for a long run: see benchmarks/fuzz.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared import INSTRUMENT_EXPORTS, SHARED

from assay.analysis.instruments import read_export
from assay.analysis.standards import read_dilution_series, read_standard_curves
from assay.analysis.viability import ViabilitySettings, read_od_grids, read_od_table
from assay.analysis.wells import read_wells
from assay.errors import AssayError
from assay.primers.table import read_primer_table

CASES = int(os.environ.get("FUZZ_CASES", "150"))
EXPORTS = Path(__file__).parent / "analysis" / "fixtures" / "instrument_exports"
FUZZ = settings(
    max_examples=CASES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip

NEAR_NUMBERS = ["2_7.43", "27,3", "nan", "NaN", "inf", "-inf", "-5", "0", "1e400", "２７.４",
                "27.3.1", "", " ", "Undetermined", "N/A", "-", "1_4_8", "١٢", "0x1A",
                "27.43"]  # fmt: skip
WORDS = ["group", "gene", "ct", "Cq", "sample", "control", "GAPDH", "od570", "od630", "blank",
         "forward", "reverse", "accession", "NM_002046.7", "exclude", "well", "quantity", "Omit",
         "TRUE", "FALSE", "A1", "experiment", "product_bp", "=", "\"", "'", "#"]  # fmt: skip
cell = st.one_of(
    st.sampled_from(NEAR_NUMBERS),
    st.sampled_from(WORDS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
    st.sampled_from(["ACGTACGTACGTACGTACGT", "NNNNNNNNNNNNNNNNNNNN", "A" * 200, "x" * 5000]),
)
row = st.lists(cell, min_size=0, max_size=7)
separator = st.sampled_from([",", ";", "\t"])
ending = st.sampled_from(["\n", "\r\n", "\r"])
encoding = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


@st.composite
def table_bytes(draw: st.DrawFn, header: list[str]) -> bytes:
    """A delimited table: the given header (or a damaged one) and generated rows."""
    sep, end, code = draw(separator), draw(ending), draw(encoding)
    head = draw(st.one_of(st.just(header), row))
    rows = draw(st.lists(row, max_size=8))
    text = end.join(sep.join(r) for r in [head, *rows]) + draw(st.sampled_from(["", end]))
    return text.encode(code, errors="replace")


def _check(call: Callable[[Path], Any], path: Path) -> None:
    message = ""
    try:
        call(path)
    except AssayError as error:  # the only kind of failure allowed
        message = str(error)
    assert not message or path.name in message or "give" in message, message


def _fuzz(
    tmp_path: Path, name: str, data: bytes, call: Callable[[Path], Any]
) -> None:  # fmt: skip
    path = tmp_path / name
    path.write_bytes(data)
    _check(call, path)


@FUZZ
@given(data=table_bytes(["group", "sample", "gene", "ct", "exclude"]))
def test_ct_tables(tmp_path: Path, data: bytes) -> None:
    _fuzz(tmp_path, "ct.csv", data, read_wells)


@FUZZ
@given(data=table_bytes(["group", "experiment", "od570", "od630"]))
def test_od_tables(tmp_path: Path, data: bytes) -> None:
    settings_ = ViabilitySettings(control="control")
    _fuzz(tmp_path, "od.csv", data, lambda p: read_od_table(p, settings_))


@FUZZ
@given(data=table_bytes(["gene", "forward", "reverse", "accession", "product_bp"]))
def test_primer_tables(tmp_path: Path, data: bytes) -> None:
    _fuzz(tmp_path, "primers.tsv", data, read_primer_table)


@FUZZ
@given(data=table_bytes(["gene", "quantity", "ct"]))
def test_standard_curves(tmp_path: Path, data: bytes) -> None:
    _fuzz(tmp_path, "standards.csv", data, read_standard_curves)
    _fuzz(tmp_path, "series.csv", data, read_dilution_series)


@FUZZ
@given(
    grid=st.lists(st.lists(cell, min_size=0, max_size=14), min_size=0, max_size=10),
    plate_map=st.lists(st.lists(cell, min_size=0, max_size=14), min_size=0, max_size=10),
)
def test_plate_grids(
    tmp_path: Path, grid: list[list[str]], plate_map: list[list[str]]
) -> None:  # fmt: skip
    od = tmp_path / "od570.csv"
    layout = tmp_path / "map.csv"
    od.write_text("\n".join(",".join(r) for r in grid), encoding="utf-8", errors="replace")
    layout.write_text("\n".join(",".join(r) for r in plate_map), encoding="latin-1",
                      errors="replace")  # fmt: skip
    settings_ = ViabilitySettings(control="control", reference_nm=None)
    with contextlib.suppress(AssayError):  # any other exception fails the test
        read_od_grids({570: od}, layout, settings_)


REAL = sorted(p for p in EXPORTS.rglob("*") if p.is_file() and p.suffix != ".md")
# The next labs' kinds (issue 26), read in place from shared/ (some state no licence).
NEW_KINDS = [
    INSTRUMENT_EXPORTS / name
    for name in (
        "quantstudio_csv/RELATIVE_example.csv", "rotorgene/irregular_multi_assay.csv",
        "openarray/OpenArray_sample.csv", "quantstudio/data1.xls",
        "quantstudio/appbio_quantstudio_designandanalysis_QS1_Standard_Curve_example01.xlsx",
        "cfx/sam_2024-03-25_07-35-33_Connect-Quantification-Amplification_Results-GAPDH.csv",
        "lightcycler/Edward_qPCR_Nrd1_calibration_2019-02-02.txt.gz", "rdml/relative.rdml",
        "abi7500/sce.eds",
    )
] + [SHARED / "rdml_schema" / "RDES_v1_0_example_melting.tsv"]  # fmt: skip


@FUZZ
@given(
    source=st.sampled_from(REAL + NEW_KINDS),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=4),
)
def test_damaged_real_exports(
    tmp_path: Path, source: Path, cut: float, flips: list[tuple[float, int]]
) -> None:  # fmt: skip
    data = bytearray(source.read_bytes())
    data = data[: max(1, int(len(data) * cut))] if cut < 0.98 else data
    for where, value in flips:
        if data:
            data[min(len(data) - 1, int(where * len(data)))] = value
    name = "damaged_" + source.name
    _fuzz(tmp_path, name, bytes(data), read_export)
    _fuzz(tmp_path, name, bytes(data), read_wells)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("huge_cell.csv", "group,gene,ct\n" + "a" * 4_000_000 + ",GAPDH,20\n"),
        ("cr_in_cell.csv", 'group,gene,ct\n"con\rtrol",GAPDH,20\n'),
    ],
)
def test_hostile_tables_are_refused_or_read(tmp_path: Path, name: str, text: str) -> None:
    _fuzz(tmp_path, name, text.encode(), read_wells)
