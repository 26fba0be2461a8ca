"""Every reader, fed generated and damaged input, fails only with assay's own errors.

A property-based fuzz suite (hypothesis): tables built from cells that are numbers, near-numbers
("2_7.43", "27,3", "nan", "inf", full-width digits), words, separators, line breaks, BOMs and
huge cells; real instrument exports cut short or with bytes flipped. The property: the reader
returns, or raises an `AssayError` whose message names the file. A Python error (KeyError,
ValueError, IndexError, UnicodeDecodeError, ...) is a defect. The number of cases per reader is
`FUZZ_CASES` (environment; a few hundred in CI, 10⁴ for a long run: see benchmarks/fuzz.py;
the slower surfaces run fewer in CI, as their settings say). Surfaces: every table reader,
damaged real exports, raw curves mutated inside their XML (and as the Cq source), sample
sheets, design and redesign options, damaged organism and off-target indexes, web uploads.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shared import INSTRUMENT_EXPORTS, SHARED

from assay.analysis.instruments import read_export
from assay.analysis.standards import read_dilution_series, read_standard_curves
from assay.analysis.viability import ViabilitySettings, read_od_grids, read_od_table
from assay.analysis.wells import read_wells
from assay.errors import AssayError
from assay.primers.table import read_primer_table

CASES = int(os.environ.get("FUZZ_CASES", "150"))


def fewer_in_ci(cases: int) -> int:
    """The cases of a slow surface: `cases` in CI, `FUZZ_CASES` when a long run sets it."""
    return CASES if "FUZZ_CASES" in os.environ else min(CASES, cases)


EXPORTS = Path(__file__).parent / "analysis" / "fixtures" / "instrument_exports"
DEADLINE = os.environ.get("FUZZ_DEADLINE_S")  # the long run's: a slower case fails as a hang
FUZZ = settings(
    max_examples=CASES, derandomize=True,
    deadline=datetime.timedelta(seconds=float(DEADLINE)) if DEADLINE else None,
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


# Raw curves (issue 31): readings and cycles of real RDML files mutated inside their XML (a flipped
# byte in a zip only reaches the zip's checks). The property adds to the readers': nothing
# infinite in the reactions or targets, and a reaction called amplified has a finite Cq,
# efficiency and starting quantity.

CURVE_SOURCES = [INSTRUMENT_EXPORTS / "rdml" / n for n in ("stepone_std.rdml", "test_rdml.rdml")]
READING = re.compile(r"<(fluor|cyc|tmp|cq)>([^<]*)</\1>")
EXTREMES = ["1e308", "-1e308", "1e-300", "0", "-0", "1e9", "-1", "99999", "4.9e-324", "1E5"]
reading = st.one_of(st.sampled_from(NEAR_NUMBERS + EXTREMES), st.floats().map(repr))


@dataclass(frozen=True)
class Mutation:
    """Readings of a real RDML replaced, by their place among all readings; a block cut or repeated.

    Small to print when a case fails (the file is made from it in the test).
    """

    source: str
    changes: tuple[tuple[int, str], ...]
    block: int | None  # an <adp> block (by place) left out or repeated
    repeat: bool

    def apply(self) -> bytes:
        with zipfile.ZipFile(INSTRUMENT_EXPORTS / "rdml" / self.source) as archive:
            name = archive.namelist()[0]
            xml = archive.read(name).decode()
        found = list(READING.finditer(xml))
        for index, value in sorted(self.changes, reverse=True):
            match = found[index % len(found)]
            xml = xml[: match.start(2)] + value + xml[match.end(2) :]
            found = found[: index % len(found) + 1]  # earlier matches keep their places
        if self.block is not None:
            blocks = list(re.finditer(r"<adp>.*?</adp>", xml, re.DOTALL))
            block = blocks[self.block % len(blocks)]
            kept = block.group(0) * (2 if self.repeat else 0)
            xml = xml[: block.start()] + kept + xml[block.end() :]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, xml)
        return out.getvalue()


mutated_rdml = st.builds(
    Mutation,
    source=st.sampled_from([p.name for p in CURVE_SOURCES]),
    changes=st.lists(st.tuples(st.integers(0, 10**6), reading), min_size=1, max_size=12).map(tuple),
    block=st.one_of(st.none(), st.integers(0, 10**4)),
    repeat=st.booleans(),
)


def _attempt(call: Callable[[], Any]) -> tuple[Any, str]:
    """The call's result and "", or None and the message of the `AssayError` it raised."""
    try:
        return call(), ""
    except AssayError as error:  # the only kind of failure allowed
        return None, str(error)


def _nothing_infinite(frame: Any, where: str) -> None:
    numbers = frame.select_dtypes("number")
    infinite = [c for c in numbers.columns if np.isinf(numbers[c].to_numpy(dtype=float)).any()]
    assert not infinite, (where, infinite)


@FUZZ
@given(case=mutated_rdml)
def test_mutated_raw_curves(tmp_path: Path, case: Mutation) -> None:
    from assay.analysis.rawcurves import analyse_exports, check_readings

    path = tmp_path / ("mutated_" + case.source)
    path.write_bytes(case.apply())

    def analyse() -> Any:
        export = read_export(path, raw=True)
        assert export is not None
        check_readings(export)
        return analyse_exports([export])

    analysis, message = _attempt(analyse)
    if message:
        assert path.name in message, message
        return
    _nothing_infinite(analysis.reactions, "reactions")
    _nothing_infinite(analysis.targets, "targets")
    amplified = analysis.reactions[analysis.reactions["amplified"] == True]  # noqa: E712
    for column in ("cq", "efficiency", "n0"):
        values = amplified[column].astype(float)
        assert np.isfinite(values).all(), (column, values[~np.isfinite(values)].tolist()[:3])


@FUZZ
@given(case=mutated_rdml)
def test_mutated_curves_as_the_cq_source(tmp_path: Path, case: Mutation) -> None:
    path = tmp_path / ("mutated_" + case.source)
    path.write_bytes(case.apply())
    table, message = _attempt(lambda: read_wells(path, cq_from="curves"))
    if message:
        assert path.name in message, message
        return
    _nothing_infinite(table.wells, "wells")


# Sample sheets (--samples) laid over a real export: any table, keyed or not.

CFX = INSTRUMENT_EXPORTS / "cfx" / "username_date_time_model - Quantification Cq Results_0.csv"


@FUZZ
@given(data=table_bytes(["well", "sample", "group", "gene", "cell_line"]))
def test_sample_sheets(tmp_path: Path, data: bytes) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(data)
    _, message = _attempt(lambda: read_wells(CFX, samples=sheet))
    assert not message or sheet.name in message or CFX.name in message, message


# Design and redesign options (issue 31): every option given odd values, alone or together. The
# property: a one-line refusal (exit 2, "assay design: error: ...") or a run, never a traceback,
# and no bare nan or inf printed or written.

NUMBERS = ["60", "0", "-1", "1", "2", "5", "18", "25", "70", "150", "1000", "4000", "1e6", "0.5"]
number = st.sampled_from(NEAR_NUMBERS + EXTREMES + NUMBERS)
triple = st.tuples(number, number, number).map(",".join)
span = st.tuples(number, number).map("-".join)
DESIGN_OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--pairs": number, "--product-bp": st.one_of(span, number), "--tm-c": st.one_of(triple, number),
    "--max-tm-diff-c": number, "--size-nt": st.one_of(triple, number), "--gc-pct": span,
    "--anneal-temp-c": number, "--junction": st.sampled_from(["required", "preferred", "any", "x"]),
    "--region": st.sampled_from(["default", "cds", "3prime", "any", ""]),
    "--spacing-nt": number, "--junction-overlap": st.tuples(number, number).map(",".join),
    "--max-mismatches": number, "--max-3prime-mismatches": number, "--max-product-bp": number,
    "--mv-conc-mm": number, "--dv-conc-mm": number, "--dntp-conc-mm": number,
    "--primer-conc-nm": number, "--dg-temp-c": number,
    "--workers": st.sampled_from(["0", "-1", "x", "1e3", "99999999999999999999", ""]),
    "--threshold": st.tuples(st.sampled_from(["dimer_dg", "hairpin_tm_c", "x", ""]), number).map(
        "=".join
    ),
    "--conditions": st.sampled_from(["primer3", "sybr-2x", "y"]),
    "--scale": st.sampled_from(["25nm", "100nm", "1g", ""]),
}  # fmt: skip
FLAGS = ["--probe", "--multiplex"]
VALIDATE_OPTIONS = {k: v for k, v in DESIGN_OPTIONS.items() if k in (
    "--max-mismatches", "--max-3prime-mismatches", "--max-product-bp", "--mv-conc-mm",
    "--dv-conc-mm", "--dntp-conc-mm", "--primer-conc-nm", "--dg-temp-c", "--workers",
    "--threshold", "--conditions")}  # fmt: skip
DESIGN_CASES = settings(FUZZ, max_examples=fewer_in_ci(40))  # a run takes ~0.3 s


@st.composite
def options(draw: st.DrawFn, table: dict[str, st.SearchStrategy[str]]) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=3, unique=True))
    argv = [word for name in chosen for word in (name, draw(table[name]))]
    return argv + draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True))


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    from assay.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


BARE = re.compile(r"(?<![\w.-])-?(nan|inf)(?![\w.])", re.IGNORECASE)


def _clean_end(status: int, out: str, err: str, command: str, written: list[Path]) -> None:
    assert "Traceback" not in out + err, err[-2000:]
    assert status in (0, 1, 2), (status, err)
    if status == 2:  # one line saying what is wrong (argparse puts its usage above it)
        assert err.strip().splitlines()[-1].startswith(f"assay {command}: error: "), err
    assert not BARE.search(out), out
    for path in written:
        if path.is_file():
            assert not BARE.search(path.read_text(errors="replace")), path.name


@DESIGN_CASES
@given(argv=options(DESIGN_OPTIONS))
def test_design_options(tmp_path: Path, argv: list[str]) -> None:
    written = [tmp_path / "pairs.json", tmp_path / "pairs.tsv", tmp_path / "order.csv"]
    command = ["design", "NM_002046.7", "--offline", "--cache", str(tmp_path / "cache"),
               "--organism", "none", "--json", str(written[0]), "--table", str(written[1]),
               "--order", str(written[2]), *argv]  # fmt: skip
    _clean_end(*_run_cli(command), "design", written)


@DESIGN_CASES
@given(argv=options(VALIDATE_OPTIONS), mode=st.sampled_from(["binding", "warn"]))
def test_redesign_options(tmp_path: Path, argv: list[str], mode: str) -> None:
    table = tmp_path / "pairs.tsv"
    pair = "GAPDH\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\tNM_002046.7\n"
    table.write_text("gene\tforward\treverse\taccession\n" + pair)
    written = [tmp_path / "report.json"]
    argv = [a for a in argv if a not in FLAGS]
    command = ["validate", str(table), "--offline", "--cache", str(tmp_path / "cache"),
               "--organism", "none", "--redesign", mode, "--json", str(written[0]),
               *argv]  # fmt: skip
    _clean_end(*_run_cli(command), "validate", written)


# Organism databases and off-target indexes (issue 31): random bytes of an index changed in
# place. The property: the damage is found (the compact index refuses, naming the file; the
# FASTA's index is rebuilt), or the search reads none of it and gives the undamaged sites;
# never other sites.

INDEX_PRIMER = "ACGTTGCAAGGCTTACCGATG"


def _index_records() -> list[tuple[str, str]]:
    rng = np.random.default_rng(31)
    records = []
    for number in range(6):
        bases = list("".join(rng.choice(list("ACGT"), 6000)))
        for at in (500, 3000):
            bases[at : at + len(INDEX_PRIMER)] = INDEX_PRIMER
        records.append((f"chr{number}", "".join(bases)))
    return records


def _site_list(found: dict[int, list[Any]]) -> list[tuple[int, int, int, str]]:
    return sorted((k, s.start, s.end, s.strand.value) for k, v in found.items() for s in v)


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import gzip

    from assay.primers.binding import PrimingRule
    from assay.primers.dbindex import find_sites_indexed, open_index
    from assay.primers.genome import build_compact_index, find_sites_compact

    folder = tmp_path_factory.mktemp("indexes")
    fasta = "".join(f">{n}\n{s}\n" for n, s in _index_records())
    (folder / "genome.fa.gz").write_bytes(gzip.compress(fasta.encode()))
    (folder / "db.fa").write_text(fasta)
    compact = build_compact_index(folder / "genome.fa.gz", folder / "compact", chunk=1 << 12)
    dense = open_index(folder / "db.fa", directory=folder / "dense")
    rule = PrimingRule()
    expected = {
        "compact": _site_list(find_sites_compact(INDEX_PRIMER, compact, rule)),
        "dense": _site_list(find_sites_indexed(INDEX_PRIMER, dense, rule)),
    }
    assert len(expected["compact"]) == 12  # two planted sites in each of six records
    assert expected["dense"] == expected["compact"]
    return {"folder": folder, "expected": expected, "rule": rule}


@settings(FUZZ, max_examples=fewer_in_ci(60))  # 60 damaged indexes (a copy of 64 MB each)
@given(
    kind=st.sampled_from(["compact", "dense"]),
    which=st.integers(0, 100),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), min_size=1, max_size=3),
)
# Found by the 10^4 run: bytes of meta.json (its "bases" key, its base count) changed.
@example(kind="compact", which=74, flips=[(0.0859375, 1)])
@example(kind="compact", which=74, flips=[(0.09375, 1)])
def test_damaged_indexes(
    indexes: dict[str, Any], tmp_path: Path, kind: str, which: int,
    flips: list[tuple[float, int]],
) -> None:  # fmt: skip
    import shutil
    import uuid

    case = tmp_path / uuid.uuid4().hex  # one folder per case: no index opened before
    shutil.copytree(indexes["folder"] / kind, case / kind)
    try:  # each case's copy (64 MB) removed after it: 10^4 cases would fill a disk
        _search_damaged(case, kind, indexes, which, flips)
    finally:
        shutil.rmtree(case, ignore_errors=True)


def _search_damaged(
    case: Path, kind: str, indexes: dict[str, Any], which: int, flips: list[tuple[float, int]]
) -> None:
    import shutil

    from assay.primers.dbindex import find_sites_indexed, open_index
    from assay.primers.genome import find_sites_compact, open_compact_index

    files = sorted(p for p in (case / kind).iterdir() if p.is_file())
    target = files[which % len(files)]
    data = bytearray(target.read_bytes())
    if not data:
        return
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] ^= value
    target.write_bytes(bytes(data))

    def search() -> Any:
        if kind == "compact":
            compact = open_compact_index(case / kind)
            return find_sites_compact(INDEX_PRIMER, compact, indexes["rule"])
        shutil.copy(indexes["folder"] / "db.fa", case / "db.fa")
        dense = open_index(case / "db.fa", directory=case / kind)
        return find_sites_indexed(INDEX_PRIMER, dense, indexes["rule"])

    found, message = _attempt(search)
    if message:  # refused, naming the index (a changed size in meta.json names the file it lists)
        assert target.name in message or str(case / kind) in message, message
        return
    assert _site_list(found) == indexes["expected"][kind], target.name


# Web uploads (issue 31): damaged real exports and generated tables sent to the local page's
# analyse form. The property: a page (the run's setup, or one naming what is wrong), never a
# server error; an exception inside the app fails the test (Flask's testing mode raises it).


@pytest.fixture(scope="module")
def web_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    flask = pytest.importorskip("flask", reason="the web page's extra")
    del flask
    from assay.web import create_app

    runs = tmp_path_factory.mktemp("web") / "runs"
    app = create_app(runs)
    app.config["TESTING"] = True
    with app.test_client() as client:
        yield client, runs


@settings(FUZZ, max_examples=fewer_in_ci(60))  # a plate view drawn per readable upload
@given(
    source=st.sampled_from(REAL + NEW_KINDS),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=4),
    name=st.sampled_from(["export", "../../etc/passwd", "a b.csv", "", "x" * 300, "ct.xlsx"]),
)
# Found by the 10^4 run: a plate name holding a control character (a glyph the font lacks).
@example(source=EXPORTS / "abi_sds/example.txt", cut=0.65625, flips=[(0.65625, 1)], name="export")
def test_web_uploads(
    web_client: Any, source: Path, cut: float, flips: list[tuple[float, int]], name: str
) -> None:  # fmt: skip
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import stream_encode_multipart

    data = bytearray(source.read_bytes())
    data = data[: max(1, int(len(data) * cut))] if cut < 0.98 else data
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    filename = (name + source.suffix) if name else source.name
    form = MultiDict([("files", FileStorage(stream=io.BytesIO(bytes(data)), filename=filename))])
    stream, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    stream.seek(0)
    kind = f"multipart/form-data; boundary={boundary}"
    client, runs = web_client
    try:
        response = client.post(
            "/analyse", input_stream=stream, content_length=length, content_type=kind
        )
    finally:  # each case's run removed after it: 10^4 uploads would fill a disk
        import shutil

        for run in runs.iterdir():
            shutil.rmtree(run, ignore_errors=True)
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        assert b"cannot be read" in response.data or b"No file" in response.data
