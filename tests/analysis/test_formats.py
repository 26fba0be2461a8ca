"""The next labs' formats (issue 26), read in place from ``shared/`` as exported.

Each expected number is the instrument software's own, read from the same file here with the
csv module (or counted from its lines), never from assay's reader.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path

import pytest
from shared import INSTRUMENT_EXPORTS

from assay.analysis.instruments import read_export
from assay.analysis.wells import read_wells
from assay.cli.main import main


def _csv_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _expression(out: Path) -> dict[tuple[str, str], float]:
    with (out / "expression.csv").open() as handle:
        return {(r["gene"], r["group"]): float(r["fold_change"])
                for r in csv.DictReader(handle) if r["fold_change"]}  # fmt: skip


# QuantStudio "Export -> .csv" ----------------------------------------------------------------

QS_CSV = INSTRUMENT_EXPORTS / "quantstudio_csv" / "RELATIVE_example.csv"


def _qs_csv_table() -> tuple[list[str], list[list[str]]]:
    rows = _csv_rows(QS_CSV)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Well")
    end = next(i for i in range(start + 1, len(rows)) if not any(rows[i]))
    return rows[start], rows[start + 1 : end]


def test_quantstudio_csv_export_reads_as_exported() -> None:
    header, body = _qs_csv_table()
    export = read_export(QS_CSV)
    assert export is not None
    assert export.instrument == "QuantStudio CSV export"
    assert len(export.wells) == len(body) == 60
    cts = {(r[header.index("Well Position")], r[header.index("Target Name")]):
           float(r[header.index("CT")]) for r in body}  # fmt: skip
    ours = {(w, t): c for w, t, c in zip(export.wells["well"], export.wells["target"],
                                         export.wells["cq"], strict=True)}  # fmt: skip
    assert ours == pytest.approx(cts)
    # The footer: two endogenous controls in one cell, and the reference sample.
    assert export.endogenous_control == "ACTB, GAPDH"
    assert export.reference_sample == "AiW002-2-D0"


def test_quantstudio_csv_rq_with_two_endogenous_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, body = _qs_csv_table()
    at = {n: header.index(n) for n in ("Sample Name", "Target Name", "RQ")}
    software = {(r[at["Target Name"]], r[at["Sample Name"]]): float(r[at["RQ"]])
                for r in body if r[at["RQ"]]}  # fmt: skip
    assert len(software) == 12  # PROVENANCE.md: 12 sample x target values
    out = tmp_path / "out"
    assert main(["analyze", str(QS_CSV), "--out", str(out)]) == 0  # defaults from the footer
    printed = capsys.readouterr().out
    assert "reference genes ACTB, GAPDH: the export's Endogenous Control" in printed
    ours = _expression(out)
    # The software worked from unrounded Cts and wrote Ct and RQ to 3 decimals: ΔΔCt from the
    # written Cts (four means, each off by up to 0.0005) may be off by 0.002 cycles.
    for key, rq in software.items():
        assert abs(ours[key] - rq) <= rq * (2**0.002 - 1) + 5e-4, key


# OpenArray ------------------------------------------------------------------------------------

OPENARRAY = INSTRUMENT_EXPORTS / "openarray" / "OpenArray_sample.csv"


def test_openarray_reads_every_through_hole() -> None:
    rows = _csv_rows(OPENARRAY)
    header, body = rows[0], [r for r in rows[1:] if any(r)]
    at = {n: header.index(n) for n in (
        "ThroughHole.Ct", "Assay.Assay ID", "SampleInfo.SampleID", "ThroughHole.Address",
        "OpenArrayPlate.SerialNumber", "Assay.Assay Type")}  # fmt: skip
    export = read_export(OPENARRAY)
    assert export is not None
    assert export.instrument == "OpenArray export"
    assert len(export.wells) == len(body) == 5076  # PROVENANCE.md: 5,076 reactions
    assert export.wells["target"].nunique() == len({r[at["Assay.Assay ID"]] for r in body})
    assert set(export.wells["sample"]) == {r[at["SampleInfo.SampleID"]] for r in body}
    # Ct 40 is OpenArray's "no Ct" (the run's 40 cycles); every other Ct is the file's.
    no_ct = sum(float(r[at["ThroughHole.Ct"]]) == 40 for r in body)
    assert int(export.wells["cq"].isna().sum()) == no_ct == 3376
    file_cts = {
        (r[at["OpenArrayPlate.SerialNumber"]], r[at["ThroughHole.Address"]]):
        float(r[at["ThroughHole.Ct"]]) for r in body if float(r[at["ThroughHole.Ct"]]) != 40
    }  # fmt: skip
    read = export.wells.dropna(subset=["cq"])
    assert dict(zip(zip(read["plate"], read["well"], strict=True), read["cq"], strict=True)) == (
        pytest.approx(file_cts)
    )
    # Assays typed ENDO are the software's endogenous controls.
    endo = {r[at["Assay.Assay ID"]] for r in body if r[at["Assay.Assay Type"]] == "ENDO"}
    assert export.endogenous_control is not None
    assert set(export.endogenous_control.split(", ")) == endo


def test_openarray_controls_without_a_ct_are_left_out_of_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ath-miR159a (a plant spike-in typed ENDO) has no Ct in the samples: it cannot normalise.
    out = tmp_path / "out"
    assert main(["analyze", str(OPENARRAY), "--control", "ctrl", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "000338_ath-miR159a left out of the reference: no Ct in some samples" in printed
    assert "calibrator ctrl" in printed  # the samples' descriptions are the groups


# Rotor-Gene Q -------------------------------------------------------------------------------

ROTORGENE = INSTRUMENT_EXPORTS / "rotorgene" / "irregular_multi_assay.csv"


def _rotorgene_pages() -> dict[str, list[dict[str, str]]]:
    """Page title's bracketed target -> its rows, split by hand from the ``;`` text."""
    pages: dict[str, list[dict[str, str]]] = {}
    header: list[str] = []
    target = ""
    for row in _csv_rows(ROTORGENE, delimiter=";"):
        if row and row[0].startswith("Quantitative analysis of"):
            target = row[0].rsplit("(", 1)[1].rstrip(")")
            pages[target] = []
        elif row and row[0] == "No.":
            header = row
        elif row and row[0].isdigit() and target:
            pages[target].append(dict(zip(header, row, strict=False)))
    return pages


def test_rotorgene_pages_reproduce_the_softwares_replicate_cts() -> None:
    pages = _rotorgene_pages()
    assert len(pages) == 3
    export = read_export(ROTORGENE)
    assert export is not None
    assert export.instrument == "Rotor-Gene Q analysed data export"
    assert len(export.wells) == sum(len(rows) for rows in pages.values())
    assert set(export.wells["target"]) == set(pages)
    compared = 0
    for target, rows in pages.items():
        for first in (r for r in rows if r["Rep. Ct"]):
            cts = [float(r["Ct"]) for r in rows if r["Name"] == first["Name"]]
            ours = export.wells[(export.wells["target"] == target)
                                & (export.wells["sample"] == first["Name"])]["cq"]  # fmt: skip
            assert sorted(ours) == pytest.approx(sorted(cts))
            # The software's Rep. Ct and Rep. Ct Std. Dev., from Cts it holds unrounded and
            # writes to 2 decimals: each Ct is off by up to 0.005 and so is the result, so the
            # mean may differ by 0.01 and the SD of two by 0.005 + 0.01/sqrt(2).
            assert statistics.mean(ours) == pytest.approx(float(first["Rep. Ct"]), abs=0.0101)
            assert statistics.stdev(ours) == pytest.approx(
                float(first["Rep. Ct Std. Dev."]), abs=0.0121
            )
            compared += 1
    assert compared == 36  # 12 samples x 3 pages


def test_rotorgene_abundant_template_is_not_below_the_baseline() -> None:
    # 28S rRNA at Ct 7.49-8.58, accepted by the software: real amplifications, used.
    table = read_wells(ROTORGENE)
    used = table.wells[table.wells["gene"] == "28S"]
    assert len(used) == 24
    assert math.isclose(float(used["ct"].min()), 7.49)
    assert table.excluded.empty


# QuantStudio .xls with only the Technical Analysis Result ----------------------------------

DATA1 = INSTRUMENT_EXPORTS / "quantstudio" / "data1.xls"


def test_technical_analysis_result_gives_the_softwares_rq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlrd

    sheet = xlrd.open_workbook(DATA1).sheet_by_name("Technical Analysis Result")
    rows = [sheet.row_values(r) for r in range(sheet.nrows)]
    start = next(i for i, r in enumerate(rows) if r[0] == "Sample Name")
    software = {(r[1], r[0]): float(r[2]) for r in rows[start + 1 :] if r[0] and r[2] != ""}
    assert len(software) == 144  # PROVENANCE.md: 144 RQ values
    out = tmp_path / "out"
    # Reference GAPDH and calibrator Sample 4 from the sheet's footer.
    assert main(["analyze", str(DATA1), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "calibrator Sample 4: the export's Reference Sample" in printed
    assert "holds each sample's Ct Mean, not the Ct of each well" in printed
    ours = _expression(out)
    for key, rq in software.items():  # the file stores single-precision floats
        assert ours[key] == pytest.approx(rq, rel=1e-5), key


# Bio-Rad CFX: Cq results with the raw amplification CSV beside them ---------------------------

CFX = INSTRUMENT_EXPORTS / "cfx"
CFX_CQ = CFX / "sam_2024-03-25_07-35-33_Connect-Quantification-Cq-Results.csv"
CFX_AMP = CFX / "sam_2024-03-25_07-35-33_Connect-Quantification-Amplification_Results-GAPDH.csv"


def test_cfx_raw_amplification_csv_on_its_own() -> None:
    rows = _csv_rows(CFX_AMP)
    header = rows[0]
    wells = [c for c in header if c and c != "Cycle"]
    export = read_export(CFX_AMP)
    assert export is not None
    assert export.amplification is not None
    assert list(export.wells["well"]) == wells
    assert export.amplification.y.shape == (len(wells), len([r for r in rows[1:] if any(r)]))
    # Every reading is the file's: the last cycle of the last well, say.
    assert export.amplification.y[-1, -1] == pytest.approx(float(rows[40][header.index(wells[-1])]))


def test_cfx_cq_with_its_raw_curves_reproduces_the_softwares_delta_cq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # CFX's own Cq Mean per sample and target, from the file.
    means: dict[tuple[str, str], float] = {}
    with CFX_CQ.open() as handle:
        for row in csv.DictReader(handle):
            if row["Content"].startswith("Unkn"):
                means[(row["Sample"], row["Target"])] = float(row["Cq Mean"])
    samples = sorted({s for s, _ in means})
    software = {s: means[(s, "HSP90")] - means[(s, "GAPDH")] for s in samples}
    assert len(software) == 16  # PROVENANCE.md: ΔCq HSP90 - GAPDH, 16 samples
    out = tmp_path / "out"
    assert main(["analyze", str(CFX_CQ), "--reference", "GAPDH", "--control", samples[0],
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    with (out / "expression.csv").open() as handle:
        ours = {r["group"]: float(r["delta_ct_mean"]) for r in csv.DictReader(handle)}
    for sample, delta in software.items():  # expression.csv keeps 6 significant figures
        assert ours[sample] == pytest.approx(delta, abs=5e-5), sample
    # The raw curves beside the file are read, and agree with CFX's Cqs once CFX's higher
    # threshold is allowed for: no sample well is set aside by QC; the NTC-01 wells are NTCs.
    assert "raw readings from the run's CSVs beside it" in printed
    assert "NTC: GAPDH amplified in 2 NTC well(s) (C09, C10; lowest Cq 38.89" in printed
    assert "instrument Cq(s) on curves that do not amplify" not in printed
    with (out / "wells.csv").open() as handle:
        qc = [r for r in csv.DictReader(handle) if r["qc"] == "excluded"]
    assert {r["well"] for r in qc} == {"C09", "C10", "F09", "F10"}  # the four NTC wells


def test_cfx_threshold_cqs_sit_a_constant_gap_after_the_curves_cqs() -> None:
    from assay.analysis.rawcurves import with_curve_cq

    export = read_export(CFX_CQ)
    assert export is not None
    curves = with_curve_cq(export).export.wells
    both = export.wells.assign(curve=curves["cq"].to_numpy()).dropna(subset=["cq", "curve"])
    both = both[both["role"] == "unknown"]
    gaps = both["cq"] - both["curve"]
    assert len(gaps) == 32  # the GAPDH wells: the only ones with raw readings in the file
    # A threshold Cq and a window-of-linearity Cq differ by a constant for curves of one shape.
    assert float(gaps.std()) < 0.1
    assert 2.5 < float(gaps.median()) < 3.5


# RDML-Tools' relative quantification demo -----------------------------------------------------

RELATIVE = INSTRUMENT_EXPORTS / "rdml" / "relative.rdml"


def test_rdml_reference_targets_groups_and_no_cq_marks_are_the_files() -> None:
    import re
    import zipfile

    with zipfile.ZipFile(RELATIVE) as archive:
        xml = archive.read("rdml_data.xml").decode()
    export = read_export(RELATIVE)
    assert export is not None
    # <type>ref</type> targets are the default reference genes.
    refs = re.findall(r'<target id="([^"]+)"><type>ref</type>', xml)
    assert refs == ["Rpl32", "Ppia"]
    assert export.endogenous_control == "Rpl32, Ppia"
    # <cq>-1.0</cq>: no Cq, never a cycle; every other Cq is the file's.
    assert int(export.wells["cq"].isna().sum()) == xml.count("<cq>-1")
    # The one annotation of the samples is their group; efficiencies are the targets' own.
    assert set(export.wells["biogroup"]) == {"Adult", "Embryo"}
    stated = re.findall(
        r'<target id="([^"]+)"><type>\w+</type><amplificationEfficiency>([\d.]+)<', xml
    )
    assert len(stated) == 5
    assert dict(export.efficiencies) == pytest.approx({t: float(e) for t, e in stated})


def test_assay_wells_refuses_a_file_it_does_not_recognise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "odd_instrument.csv"  # made here: a layout no reader knows
    odd.write_text("Run report,x,y\nfoo,bar,baz\nName,Colour,Value\nA,1,2\n")
    assert main(["wells", str(odd)]) == 2
    error = capsys.readouterr().err
    assert "odd_instrument.csv: not a format assay reads" in error
    assert "row 3 names sample; missing: well, target, cq" in error
    # A table assay can analyse, and a known export, still exit 0.
    good = tmp_path / "cts.csv"
    good.write_text("group,gene,ct\nA,GAPDH,20\nA,MYC,25\n")
    assert main(["wells", str(good), str(QS_CSV)]) == 0


# LightCycler 480 "Raw Data" text ------------------------------------------------------------

LC480_RAW = INSTRUMENT_EXPORTS / "lightcycler" / "Edward_qPCR_Nrd1_calibration_2019-02-02.txt.gz"
LC480_CP = INSTRUMENT_EXPORTS / "lightcycler" / "Edward_qPCR_Nrd1_calibration_2019-02-02_Cq.txt.gz"


def _lc480_lines(path: Path) -> list[list[str]]:
    import gzip

    text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    return [line.split("\t") for line in text.splitlines()]


def test_lightcycler_raw_data_reads_every_reading() -> None:
    lines = _lc480_lines(LC480_RAW)
    header, body = lines[1], [r for r in lines[2:] if len(r) > 7]
    assert header[:7] == ["SamplePos", "SampleName", "Prog#", "Seg#", "Cycle#", "Time", "Temp"]
    export = read_export(LC480_RAW)
    assert export is not None
    assert export.amplification is not None
    assert export.melt is not None
    wells = list(dict.fromkeys(r[0] for r in body))
    assert list(export.wells["well"]) == wells
    assert len(wells) == 384
    # Program 2: one reading a cycle (amplification); program 3: the melt ramp.
    a1_cycles = [r for r in body if r[0] == "A1" and r[2] == "2"]
    a1_melt = [r for r in body if r[0] == "A1" and r[2] == "3"]
    assert export.amplification.y.shape == (384, len(a1_cycles))
    assert export.amplification.y[0, -1] == pytest.approx(float(a1_cycles[-1][7]))
    assert export.melt.y.shape[1] == len(a1_melt) == 176
    assert sorted(export.melt.x[0]) == pytest.approx(sorted(float(r[6]) for r in a1_melt))


def test_lightcycler_raw_curves_call_what_the_instrument_called() -> None:
    from assay.analysis.rawcurves import with_curve_cq

    cp = {r[2]: (float(r[4]) if r[4] else math.nan) for r in _lc480_lines(LC480_CP)[2:]
          if len(r) > 4}  # fmt: skip
    assert sum(v == v for v in cp.values()) == 279  # PROVENANCE.md: 279 wells with a Cp
    export = read_export(LC480_RAW)
    assert export is not None
    ours = dict(zip(export.wells["well"], with_curve_cq(export).export.wells["cq"], strict=True))
    agree = sum((ours[w] == ours[w]) == (cp[w] == cp[w]) for w in cp)
    assert agree / len(cp) >= 0.98  # 381 of 384 amplification calls are the instrument's
    # LightCycler's Cp (second-derivative maximum) and the window-of-linearity Cq differ by a
    # near-constant: 16 primer sets pooled as one target here (the file names none).
    gaps = [cp[w] - ours[w] for w in cp if cp[w] == cp[w] and ours[w] == ours[w]]
    assert statistics.pstdev(gaps) < 0.5


# ABI 7500 / StepOne .eds run file ------------------------------------------------------------

EDS = INSTRUMENT_EXPORTS / "abi7500" / "sce.eds"


def test_eds_run_file_plate_setup_and_rn() -> None:
    import re
    import zipfile

    with zipfile.ZipFile(EDS) as archive:
        setup = archive.read("apldbio/sds/plate_setup.xml").decode()
        raw = archive.read("apldbio/sds/multicomponent_data.txt").decode()
    tasks = re.findall(r"<Task>(\w+)</Task>\s*<Concentration>([\d.]+)</Concentration>", setup)
    export = read_export(EDS)
    assert export is not None
    assert export.amplification is not None
    assert len(export.wells) == len(tasks) == 24
    roles = [{"NTC": "ntc", "STANDARD": "standard", "UNKNOWN": "unknown"}[t] for t, _ in tasks]
    assert list(export.wells["role"]) == roles
    standards = export.wells[export.wells["role"] == "standard"]
    assert list(standards["quantity"]) == [float(c) for t, c in tasks if t == "STANDARD"]
    # Rn of well index 5 (A6) at cycle index 20, by hand: FAM's signal over ROX's, the records
    # found as runs of tokens "5, 20, DYE, MSE, SIGNAL" in the tab-split text.
    tokens = raw.replace("\r", "").replace("\n", "\t").split("\t")
    signal = {
        tokens[i + 2]: float(tokens[i + 4])
        for i in range(len(tokens) - 4)
        if tokens[i] == "5" and tokens[i + 1] == "20" and tokens[i + 2] in ("FAM", "ROX")
    }
    assert export.wells["well"].iloc[5] == "A6"
    cycle_21 = list(export.amplification.x[5]).index(21.0)
    assert export.amplification.y[5, cycle_21] == pytest.approx(signal["FAM"] / signal["ROX"])


def test_eds_standards_from_the_curves(capsys: pytest.CaptureFixture[str]) -> None:
    # The run holds no analysed Cq: assay standards takes them from the raw curves. A 2-fold
    # series of 5 levels in triplicate; the fit must be a dilution series' (R² near 1).
    assert main(["standards", str(EDS)]) == 0
    printed = capsys.readouterr().out
    assert "RNase P TAMRA:" in printed
    assert "from 15 wells at 5 levels" in printed
    from assay.analysis.standards import read_dilution_series

    (series,) = read_dilution_series(EDS)
    assert series.curve.r_squared > 0.99
    assert 85 < series.curve.efficiency_pct < 110


def test_a_title_row_above_a_ct_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "titled.csv"  # made here: a caption line, a blank one, then the table
    table.write_text("Experiment 3, liver\n\ngroup,gene,ct\nA,GAPDH,20\nA,MYC,25\nB,GAPDH,20\n"
                     "B,MYC,24\n")  # fmt: skip
    wells = read_wells(table).wells
    assert sorted(wells["ct"]) == [20.0, 20.0, 24.0, 25.0]
    assert main(["analyze", str(table), "--reference", "GAPDH", "--control", "A",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    capsys.readouterr()


LIGHTCYCLER_STUART = (
    INSTRUMENT_EXPORTS / "lightcycler" / "Stuart_dAgr_glyS_spoVG_5S_individualWells_Cq.txt.gz"
)


def test_a_sample_sheet_for_some_wells_excludes_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "sheet.csv"  # made here: the wells used, as a lab would list them
    sheet.write_text("well,group,gene\nA1,wt,glyS\nA2,wt,glyS\nA3,wt,5S\nA4,wt,5S\n"
                     "B1,mut,glyS\nB2,mut,glyS\nB3,mut,5S\nB4,mut,5S\n")  # fmt: skip
    out = tmp_path / "out"
    assert main(["analyze", str(LIGHTCYCLER_STUART), "--samples", str(sheet), "--reference",
                 "5S", "--control", "wt", "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "88 well row(s) not in the sample sheet (--samples): excluded" in printed
    with (out / "wells.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 96
    unlisted = [
        r for r in rows if r["well"] not in {"A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"}
    ]
    assert {r["qc"] for r in unlisted} == {"excluded"}
    assert all("not in the sample sheet" in r["qc_reasons"] for r in unlisted)


# StepOne .xls with its Amplification Data sheet ----------------------------------------------

STEPONE_XLS = INSTRUMENT_EXPORTS / "stepone" / "MJA_March15_2021_data.xls"


def test_stepone_xls_raw_amplification_sheet() -> None:
    import xlrd

    from assay.analysis.rawcurves import with_curve_cq

    sheet = xlrd.open_workbook(STEPONE_XLS).sheet_by_name("Amplification Data")
    rows = [sheet.row_values(r) for r in range(sheet.nrows)]
    start = next(i for i, r in enumerate(rows) if r[:4] == ["Well", "Cycle", "Target Name", "Rn"])
    a1 = [r for r in rows[start + 1 :] if r[0] == "A1"]
    export = read_export(STEPONE_XLS, raw=True)
    assert export is not None
    assert export.amplification is not None
    at = list(export.wells["well"]).index("A1")
    assert list(export.amplification.y[at][: len(a1)]) == pytest.approx([r[3] for r in a1])
    # The curves call amplification where StepOne gave a Ct, but for one no-RT well (G7).
    ours = with_curve_cq(export).export.wells["cq"].notna().to_numpy()
    theirs = export.wells["cq"].notna().to_numpy()
    assert (ours == theirs).mean() >= 0.98


SHARED_EXPORTS = sorted(
    p for p in INSTRUMENT_EXPORTS.rglob("*")
    if p.is_file() and p.suffix != ".md" and p.parent.name != "tidy"
)  # fmt: skip


@pytest.mark.parametrize(
    "path", SHARED_EXPORTS, ids=lambda p: str(p.relative_to(INSTRUMENT_EXPORTS))
)
def test_every_shared_export_is_read_as_exported(path: Path) -> None:
    # Every instrument export in ../shared/ (tidy/ holds assay's own table layout) is recognised
    # for what it is, and its wells are read: none is left to the generic table reader.
    export = read_export(path)
    assert export is not None
    assert len(export.wells) > 0
