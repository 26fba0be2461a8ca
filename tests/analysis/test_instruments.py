"""Instrument exports read as exported, and assay's numbers against the instrument software's.

Every file of ``fixtures/instrument_exports/`` (copied unchanged from ``shared/``; PROVENANCE.md
there says what each is and what the software computed) is read as it came. Expected numbers are
the software's own, read from the same file here with openpyxl or by splitting text, or the
counts PROVENANCE.md states.
"""

from __future__ import annotations

import csv
import gzip
import math
import warnings
from pathlib import Path

import openpyxl
import pytest

from assay.analysis.instruments import Role, read_export
from assay.analysis.wells import read_wells
from assay.cli.main import main
from assay.errors import InputError

EXPORTS = Path(__file__).parent / "fixtures" / "instrument_exports"
QS = EXPORTS / "quantstudio"

# (file, instrument word, well rows, targets) as PROVENANCE.md describes each file.
FILES = [
    ("abi_sds/example.txt", "SDS", 768, 96),  # 2 TLDA cards x 384 wells, 96 detectors
    ("cfx/CFX_sample.txt", "CFX", 330, 3),  # GLP1, PYY, TFF1
    ("cfx/admin_2021-02-19 09-57-01_BR002605 -  Quantification Cq Results_0.csv", "CFX", 96, 11),
    ("cfx/admin_2021-02-19 11-52-02_BR002605 -  Quantification Cq Results_0.csv", "CFX", 96, 11),
    ("cfx/admin_2021-02-19 14-20-42_BR002605 -  Quantification Cq Results_0.csv", "CFX", 96, 11),
    ("cfx/example01.csv", "CFX", 48, 1),  # duplex FAM/VIC, Target column empty
    ("cfx/username_date_time_model - Quantification Cq Results_0.csv", "CFX", 93, 3),
    ("lightcycler/LightCycler_sample.txt", "LightCycler", 384, 1),  # CR-only, no target
    ("lightcycler/Stuart_dAgr_glyS_spoVG_5S_individualWells_Cq.txt.gz", "LightCycler", 96, 1),
    ("quantstudio/appbio_quantstudio_designandanalysis_QS3_Relative_Quantification_example02.xlsx",
     "QuantStudio", 156, 2),
    ("quantstudio/appbio_quantstudio_designandanalysis_QS7Pro_PCR_with_Melt_example09.xlsx",
     "QuantStudio", 96, 1),
    ("quantstudio/appbio_quantstudio_designandanalysis_QS7Pro_Relative_Quantification_Biogroup_"
     "example12.xlsx", "QuantStudio", 207, 2),
    ("quantstudio/appbio_quantstudio_designandanalysis_QS7Pro_Relative_Quantification_example11.xlsx",
     "QuantStudio", 72, 2),
    ("quantstudio/appbio_quantstudio_designandanalysis_QS7Pro_Relative_Standard_Curve_example13"
     ".xlsx", "QuantStudio", 288, 2),
    ("quantstudio/appbio_quantstudio_example01.txt", "QuantStudio", 16, 1),
    ("quantstudio/appbio_quantstudio_example02.txt", "QuantStudio", 96, 2),
    ("quantstudio/appbio_quantstudio_example03.txt", "QuantStudio", 96, 1),  # genotyping: no Cq
    ("quantstudio/appbio_quantstudio_example04.txt", "QuantStudio", 95, 1),
    ("quantstudio/appbio_quantstudio_example06.txt", "QuantStudio", 9, 2),  # trimmed to 9 wells
    ("quantstudio/appbio_quantstudio_example07.txt", "QuantStudio", 16, 2),
    ("quantstudio/appbio_quantstudio_example08.xlsx", "QuantStudio", 36, 7),  # multiplex
    ("rdml/BioRad_qPCR_melt.rdml", "RDML 1.1", 60, 4),
    ("rdml/lc96_bACTXY.rdml", "RDML 1.1", 384, 8),  # 96 wells x 4 dyes
    ("rdml/stepone_std.rdml", "RDML 1.0", 24, 1),
    ("stepone/MJA_March15_2021_data.xls", "StepOne", 85, 5),  # Cт with a Cyrillic т
]  # fmt: skip


def _count_rows(path: Path) -> int:
    """Well rows counted apart from the reader, the simplest way.

    Lines (or sheet rows) from the header line to the first blank one; for RDML the <data>
    elements of the reactions.
    """
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if path.suffix == ".rdml":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            xml = max((archive.read(n) for n in archive.namelist()), key=len)
        return xml.count(b"<data>")
    if path.suffix == ".xls":
        import xlrd

        first = [str(c) for c in xlrd.open_workbook(path).sheet_by_name("Results").col_values(0)]
    elif path.suffix == ".xlsx":
        first = [str(r[0] or "") if r else "" for r in _sheet(path, "Results")]
    if path.suffix in (".xlsx", ".xls"):
        start = next(i for i, c in enumerate(first) if c.strip() == "Well") + 1
        end = next((i for i in range(start, len(first)) if not first[i].strip()), len(first))
        return end - start
    lines = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    rows = lines.split("\n")
    if "[Results]" in rows:  # QuantStudio text: the header follows the section's name
        start = rows.index("[Results]") + 2
    else:
        start = 1 + next(
            i for i, line in enumerate(rows)
            if any(w in line for w in ("Well", "Include", "Target,", "Target;"))
            and any(w in line for w in ("Cq", "Ct", "CT", "Cp"))
        )  # fmt: skip
    # The table ends at a blank line or at the next [Section].
    end = next((i for i in range(start, len(rows)) if not rows[i].strip() or rows[i][:1] == "["),
               len(rows))  # fmt: skip
    return end - start


@pytest.mark.parametrize(("name", "kind", "rows", "targets"), FILES, ids=[f[0] for f in FILES])
def test_every_real_export_reads_as_exported(name: str, kind: str, rows: int, targets: int) -> None:
    export = read_export(EXPORTS / name)
    assert export is not None
    assert kind in export.instrument
    assert len(export.wells) == rows == _count_rows(EXPORTS / name)
    assert export.wells["target"].nunique() == targets
    # No Cq is NaN, never a number standing for it (Undetermined, 40, 100).
    assert not (export.wells["cq"] >= 60).any()


def test_every_file_of_the_folder_is_covered() -> None:
    on_disk = {
        str(p.relative_to(EXPORTS)) for p in EXPORTS.rglob("*")
        if p.is_file() and p.suffix != ".md" and p.parent.name != "tidy"
    }  # fmt: skip
    assert on_disk == {f[0] for f in FILES}


def test_placeholders_and_roles_as_the_files_write_them() -> None:
    lc96 = read_export(EXPORTS / "rdml/lc96_bACTXY.rdml")
    assert lc96 is not None
    # PROVENANCE.md: empty wells typed ntp, "Cq 100 for no amplification".
    assert any("Cq 100 is the instrument's mark" in n for n in lc96.notes)
    assert set(lc96.wells["role"]) == {"negative", "standard", "unknown"}
    qs3 = read_export(QS / "appbio_quantstudio_designandanalysis_QS3_Relative_Quantification_"
                           "example02.xlsx")  # fmt: skip
    assert qs3 is not None
    counts = qs3.wells["role"].value_counts().to_dict()
    assert (counts["ntc"], counts["standard"]) == (6, 30)
    stepone = read_export(EXPORTS / "stepone/MJA_March15_2021_data.xls")
    assert stepone is not None
    # The footer: Endogenous Control IIM8, Reference Sample 173-1.
    assert (stepone.endogenous_control, stepone.reference_sample) == ("IIM8", "173-1")
    assert Role.from_text("Neg Ctrl") is Role.NTC


def _sheet(path: Path, name: str) -> list[tuple[object, ...]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no default style" in these workbooks
        book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book[name].iter_rows(values_only=True))
    finally:
        book.close()


def _software_rq_d_and_a(path: Path) -> dict[str, float]:
    """Rq per sample from the "RQ Replicate Group Result" sheet the software wrote."""
    rows = _sheet(path, "RQ Replicate Group Result")
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Sample")
    found = {}
    for row in rows[header + 1 :]:
        if len(row) > 8 and row[0] is not None and row[8] not in (None, ""):
            found[str(row[0])] = float(str(row[8]))
    return found


def _expression(out: Path) -> dict[tuple[str, str], float]:
    with (out / "expression.csv").open() as handle:
        return {(r["gene"], r["group"]): float(r["fold_change"])
                for r in csv.DictReader(handle) if r["fold_change"]}  # fmt: skip


def test_quantstudio_design_and_analysis_rq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = QS / "appbio_quantstudio_designandanalysis_QS7Pro_Relative_Quantification_example11.xlsx"
    out = tmp_path / "out"
    # PROVENANCE.md: endogenous control IPC, reference sample 1600 (not written in Results).
    assert main(["analyze", str(path), "--reference", "IPC", "--control", "1600",
                 "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    ours = _expression(out)
    software = _software_rq_d_and_a(path)
    assert software == pytest.approx(
        {"400": 0.288494, "800": 0.492823, "1600": 1, "3200": 1.980918, "6400": 3.689323},
        rel=1e-5,
    )  # PROVENANCE.md's copy of the same numbers
    for sample, rq in software.items():  # expression.csv holds 6 significant figures
        assert ours[("RNaseP", sample)] == pytest.approx(rq, rel=1e-5)
    # The technical spread of the one sample per group: the software's "Delta EqCq SD".
    rows = _sheet(path, "RQ Replicate Group Result")
    spread = {str(r[0]): float(str(r[5])) for r in rows
              if len(r) > 5 and r[1] == "RNaseP" and r[5] not in (None, "")}  # fmt: skip
    with (out / "expression.csv").open() as handle:
        ours_sd = {r["group"]: float(r["delta_ct_sd"]) for r in csv.DictReader(handle)}
    assert len(spread) == 5
    for sample, sd in spread.items():
        assert ours_sd[sample] == pytest.approx(sd, rel=1e-5)


def test_quantstudio_standards_give_the_efficiency_adjusted_rq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = QS / "appbio_quantstudio_designandanalysis_QS3_Relative_Quantification_example02.xlsx"
    out = tmp_path / "out"
    # The file's own STANDARD wells give each target's curve (their sample names are the
    # quantities); PROVENANCE.md: reference IPC, calibrator Unk_400.
    assert main(["analyze", str(path), "--standard-curve", str(path), "--reference", "IPC",
                 "--control", "Unk_400", "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    ours = _expression(out)
    software = _software_rq_d_and_a(path)
    assert software == pytest.approx(
        {"Unk_400": 1.0, "Unk_800": 1.9492019, "Unk_1600": 3.7086229, "Unk_3200": 7.0966136}
    )  # PROVENANCE.md's copy
    for sample, rq in software.items():
        assert ours[("RNaseP", sample)] == pytest.approx(rq, rel=1e-5)
    # Six NTC wells are never a group; two amplified, which is a warning.
    assert "WARNING NTC: IPC amplified in 1 NTC well(s) (A7; lowest Cq 37.80" in printed
    # Replicate wells of one sample are not n: no test, said so.
    assert "n = 1 biological sample per group" in printed


def test_quantstudio_multiplex_rq_per_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = QS / "appbio_quantstudio_example08.xlsx"
    out = tmp_path / "out"
    # Reference 18S and calibrator 13Jul2022-Hs-1 come from the export's footer.
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "reference gene 18S: the export's Endogenous Control" in printed
    rows = _sheet(path, "Results")
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Well")
    names = list(rows[header])
    at = {n: names.index(n) for n in ("Sample Name", "Target Name", "RQ")}
    software = {
        (str(r[at["Target Name"]]), str(r[at["Sample Name"]])): float(str(r[at["RQ"]]))
        for r in rows[header + 1 :]
        if len(r) > at["RQ"] and r[0] is not None and r[at["RQ"]] not in (None, "")
    }
    ours = _expression(out)
    assert len(software) == 9  # three human targets x three samples (rhesus: no calibrator)
    for key, rq in software.items():
        assert ours[key] == pytest.approx(rq, rel=1e-5)
    # The rhesus targets have no Ct in the calibrator: reported, not a stop.
    assert "not quantified: no Ct in the calibrator group 13Jul2022-Hs-1" in printed


def test_sds_rq_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXPORTS / "abi_sds/example.txt"
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    capsys.readouterr()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PlateID\tSample\tDetector"))
    software = {}
    for line in lines[start + 1 :]:
        cells = line.split("\t")
        if len(cells) > 6 and cells[6].strip():
            software[(cells[2], cells[1])] = float(cells[6])
    ours = _expression(out)
    compared = [k for k in software if k in ours]
    matching = [k for k in compared if ours[k] == pytest.approx(software[k], rel=1e-4)]
    # PROVENANCE.md: card 1's wells 1-8 hold Ct 1, 1, 2, 10, 20, 30, 40, 1 where SDS's own Ct Avg
    # of the same rows is 31-36: QC excludes them (below the baseline region, or contradicting
    # the export's mean), so those 8 detectors have no calibrator Ct and no fold change; every
    # comparable RQ is then SDS's own (was 586 of 627, 41 off by up to 4e9-fold). The 67 SDS
    # RQs that rest on Undetermined read as 40 have no value here, on purpose.
    assert len(software) == 694
    assert len(compared) == len(matching) == 578
    with (out / "wells.csv").open() as handle:
        wells = list(csv.DictReader(handle))
    odd = [w for w in wells if w["qc"] == "excluded" and "QC:" in w["fate"]]
    # Card 1's wells 1-8, and one more the file shows on reading it: "fp 7 day 3 mia" well 258
    # (Adrbk1) holds Ct 24.715734, the Ct of well 257 (Igf1) above it, where its Ct Avg is
    # 27.691471: a value pasted into the wrong row.
    assert [(w["well"], float(w["ct"])) for w in odd] == [
        ("1", 1), ("2", 1), ("3", 2), ("4", 10), ("5", 20), ("6", 30), ("7", 40), ("8", 1),
        ("258", 24.7157),  # wells.csv writes 6 significant figures
    ]  # fmt: skip
    assert sum("below the baseline region" in w["qc_reasons"] for w in odd) == 4
    assert sum("contradicts the export's own mean" in w["qc_reasons"] for w in odd) == 5
    with (out / "expression.csv").open() as handle:
        quantified = [r for r in csv.DictReader(handle) if r["fold_change"]]
    assert min(float(r["fold_change"]) for r in quantified) > 1e-6  # no 2.5e-10 folds


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("damaged.txt.gz", b"\x1f\x8b\x08\x00junk", "is a damaged gzip file"),
        ("junk.xlsx", b"PK\x03\x04junk that is no zip", "is a damaged zip/xlsx file"),
        ("empty.rdml", b"", None),  # an empty file is no export: the table reader says why
    ],
)
def test_damaged_files_are_named(
    tmp_path: Path, name: str, content: bytes, message: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if message is None:
        assert read_export(path) is None
        with pytest.raises(InputError, match=r"empty\.rdml"):
            read_wells(path)
        return
    with pytest.raises(InputError, match=message):
        read_export(path)


def test_a_gzipped_cr_only_export_reads_like_the_plain_one(tmp_path: Path) -> None:
    plain = EXPORTS / "lightcycler/LightCycler_sample.txt"
    zipped = tmp_path / "lc.txt.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_export(plain), read_export(zipped)
    assert a is not None
    assert b is not None
    assert a.wells.drop(columns="row").equals(b.wells.drop(columns="row"))
    # PROVENANCE.md: 307 of 384 wells without Cp.
    assert int(a.wells["cq"].isna().sum()) == 307
    assert math.isnan(float(a.wells.loc[a.wells["well"] == "A2", "cq"].iloc[0]))


CFX = EXPORTS / "cfx"
CFX_PLATES = [
    CFX / "admin_2021-02-19 14-20-42_BR002605 -  Quantification Cq Results_0.csv",  # Uninfected
    CFX / "admin_2021-02-19 11-52-02_BR002605 -  Quantification Cq Results_0.csv",  # TuMV
]
CFX_STANDARDS = CFX / "admin_2021-02-19 09-57-01_BR002605 -  Quantification Cq Results_0.csv"


CFX_DEMO = CFX / "username_date_time_model - Quantification Cq Results_0.csv"


def _sheet_of(tmp_path: Path, groups: dict[str, str]) -> Path:
    path = tmp_path / "samples.csv"
    path.write_text("sample,group\n" + "".join(f"{s},{g}\n" for s, g in groups.items()))
    return path


def test_cfx_with_its_standards_gives_the_published_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # qPCR.CFX.process's demo file: conditions in the sample names, standards (Content Std) in
    # the same file. Its README (PROVENANCE.md): fold changes 3.46044 and 6.43567 from
    # amplification bases 2.161658, 1.821933, 2.081375 (efficiencies 116.2, 82.2, 108.1 %).
    sheet = _sheet_of(tmp_path, {f"{c}.condition {i}": c for c in ("control", "test")
                                 for i in (1, 2, 3)})  # fmt: skip
    out = tmp_path / "out"
    assert main(["analyze", str(CFX_DEMO), "--samples", str(sheet), "--reference",
                 "reference.gene", "--control", "control", "--standard-curve", str(CFX_DEMO),
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    ours = _expression(out)
    assert ours[("gene.of.interest.1", "test")] == pytest.approx(3.46044, rel=1e-5)
    assert ours[("gene.of.interest.2", "test")] == pytest.approx(6.43567, rel=1e-5)
    for gene, base in (("gene.of.interest.1", 2.161658), ("gene.of.interest.2", 1.821933),
                       ("reference.gene", 2.081375)):  # fmt: skip
        assert f"standard curve {gene}: " in printed
        assert f"efficiency {(base - 1) * 100:.1f} %" in printed


def test_two_cfx_plates_read_as_one_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo file above is these two plates renamed (PROVENANCE.md): read as two plates with
    # a sample sheet, they give the same ΔΔCt for ATG8a (= gene.of.interest.1).
    groups = {f"{c} ({i})": c for c in ("Uninfected", "TuMV") for i in (1, 2, 3)}
    out = tmp_path / "out"
    sheet = _sheet_of(tmp_path, groups)
    assert main(["analyze", *map(str, CFX_PLATES), "--samples", str(sheet), "--reference",
                 "PP2a", "--control", "Uninfected", "--out", str(out)]) == 0  # fmt: skip
    demo_out = tmp_path / "demo"
    demo_sheet = _sheet_of(tmp_path, {f"{c}.condition {i}": c for c in ("control", "test")
                                      for i in (1, 2, 3)})  # fmt: skip
    assert main(["analyze", str(CFX_DEMO), "--samples", str(demo_sheet), "--reference",
                 "reference.gene", "--control", "control",
                 "--out", str(demo_out)]) == 0  # fmt: skip
    capsys.readouterr()
    assert _expression(out)[("ATG8a", "TuMV")] == pytest.approx(
        _expression(demo_out)[("gene.of.interest.1", "test")], rel=1e-5
    )


TIDY = EXPORTS / "tidy"


def _row_groups(tmp_path: Path, first: str, second: str, rows: int) -> Path:
    """A sheet giving the first half of a wide table's rows one group, the second the other."""
    half = rows // 2
    lines = [f"row {r},{first if r < 2 + half else second}" for r in range(2, 2 + rows)]
    path = tmp_path / "groups.csv"
    path.write_text("sample,group\n" + "\n".join(lines) + "\n")
    return path


def test_livak_same_tube_table_as_the_pcr_package_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pcr vignette, Table 3 (Livak & Schmittgen 2001): ΔΔCt -2.53 ± 0.14, kidney 5.77 (5.23-6.37).
    out = tmp_path / "out"
    assert main(["analyze", str(TIDY / "ct2.csv"), "--samples",
                 str(_row_groups(tmp_path, "brain", "kidney", 12)), "--reference", "GAPDH",
                 "--control", "brain", "--interval", "sd", "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    with (out / "expression.csv").open() as handle:
        kidney = next(r for r in csv.DictReader(handle) if r["group"] == "kidney")
    assert round(float(kidney["delta_delta_ct"]), 2) == -2.53
    assert kidney["interval"] == "±1 SD"  # the published range is ±SD, not an interval
    # 2^2.53 = 5.776: the vignette's 5.77 and 6.37 are cut, not rounded, at two decimals.
    low, high = float(kidney["fold_change_low"]), float(kidney["fold_change_high"])
    assert float(kidney["fold_change"]) == pytest.approx(5.77, abs=0.015)
    assert (low, high) == pytest.approx((5.23, 6.37), abs=0.015)


def test_yuan_2006_table_as_the_pcr_package_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pcr vignette, Table 6 (Yuan et al. 2006): ΔΔCt -0.6848, t-test p < 0.0001,
    # 95 % CI (-0.955, -0.4147) of the ΔCt difference.
    out = tmp_path / "out"
    assert main(["analyze", str(TIDY / "ct4.csv"), "--samples",
                 str(_row_groups(tmp_path, "control", "treatment", 24)), "--reference", "ref",
                 "--control", "control", "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    with (out / "stats.csv").open() as handle:
        (test,) = [r for r in csv.DictReader(handle) if r["comparison"] == "treatment vs control"]
    assert float(test["estimate"]) == pytest.approx(-0.6848, abs=1e-4)
    assert float(test["p_value"]) < 1e-4
    assert (float(test["ci_low"]), float(test["ci_high"])) == pytest.approx(
        (-0.955, -0.4147), abs=1e-3
    )


def test_wide_tables_are_shown_by_assay_wells_even_without_groups(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["wells", str(TIDY / "ct1.csv")]) == 0
    printed = capsys.readouterr().out
    assert "one column per gene and no group column" in printed


def test_design_and_analysis_biogroups_come_from_the_sample_list() -> None:
    name = "QS7Pro_Relative_Quantification_Biogroup_example12.xlsx"
    path = QS / f"appbio_quantstudio_designandanalysis_{name}"
    export = read_export(path)
    assert export is not None
    unknown = export.wells[export.wells["role"] == "unknown"]
    # The "Replicate Group Result" sheet lists Brain1..3 in Brain, Heart1..3 in Heart, ...
    pairs = set(zip(unknown["sample"], unknown["biogroup"], strict=True))
    assert pairs == {(f"{g}{i}", g) for g in ("Brain", "Heart", "Liver", "Lung") for i in (1, 2, 3)}
    table = read_wells(path)
    per_group = table.wells.groupby("group", observed=True)["sample"].nunique().to_dict()
    assert per_group == {"Brain": 3, "Heart": 3, "Liver": 3, "Lung": 3}


def test_no_rt_controls_are_compared_with_their_rna() -> None:
    # StepOne: no-RT wells are named "<sample>_nort" and tasked NTC (PROVENANCE.md). By hand
    # from the Results sheet: 173-1_nort miR173 Cq 37.2618 vs 173-1 miR173 33.5487 -> 3.7 cycles.
    table = read_wells(EXPORTS / "stepone/MJA_March15_2021_data.xls")
    notes = "\n".join(table.notes)
    assert "no-RT: miR173 in 173-1_nort is only 3.7 cycles after 173-1 (below 5)" in notes
    assert "40 wells named as no-RT controls" in notes
    assert (table.excluded["reason"] == "no-RT control").sum() == 40


def _group_rq(path: Path, sheet: str) -> dict[str, float]:
    """Rq per sample or biological group, from a Design & Analysis result sheet."""
    rows = _sheet(path, sheet)
    header = next(i for i, r in enumerate(rows) if r and "Rq" in r)
    at = rows[header].index("Rq")
    return {str(r[0]): float(str(r[at])) for r in rows[header + 1 :]
            if len(r) > at and r[0] is not None and r[at] not in (None, "")}  # fmt: skip


def test_biogroup_rq_uses_the_efficiencies_the_software_applied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Design & Analysis adjusted each Cq by its target's efficiency (Adjusted EqCq = Cq x log2 E,
    # IPC 1.680, RNase P 1.931); read from the export, the biogroup Rq are the software's.
    path = QS / ("appbio_quantstudio_designandanalysis_QS7Pro_Relative_Quantification_"
                 "Biogroup_example12.xlsx")  # fmt: skip
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--reference", "IPC", "--control", "Brain",
                 "--out", str(out)]) == 0  # fmt: skip
    assert "efficiencies from the export (what its software applied)" in capsys.readouterr().out
    software = _group_rq(path, "Sample Group Result")
    assert set(software) == {"Brain", "Heart", "Liver", "Lung"}
    ours = _expression(out)
    for group, rq in software.items():
        assert ours[("RNase P", group)] == pytest.approx(rq, rel=1e-5)


@pytest.mark.parametrize("own_standards", [True, False], ids=["standard-curve", "applied"])
def test_relative_standard_curve_run_gives_the_softwares_rq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], own_standards: bool
) -> None:
    # Standards named "RNase P 400", "IPC 100", ...: the number that ends the name is the
    # quantity. Their curves (or the efficiencies the software applied) give its Rq.
    path = QS / "appbio_quantstudio_designandanalysis_QS7Pro_Relative_Standard_Curve_example13.xlsx"
    out = tmp_path / "out"
    extra = ["--standard-curve", str(path)] if own_standards else []
    assert main(["analyze", str(path), *extra, "--reference", "IPC", "--control", "unk_400",
                 "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    software = _group_rq(path, "RQ Replicate Group Result")
    assert software["unk_800"] == pytest.approx(2.1298246, rel=1e-6)
    ours = _expression(out)
    for sample, rq in software.items():
        assert ours[("RNase P", sample)] == pytest.approx(rq, rel=1e-4)


def _software_rq_range(path: Path, target: str, sheet: str) -> dict[str, tuple[float, float]]:
    """(Rq Min, Rq Max) per sample or biological group from a Design & Analysis result sheet."""
    rows = _sheet(path, sheet)
    header = next(i for i, r in enumerate(rows) if r and "Rq Min" in r)
    at = {name: rows[header].index(name) for name in ("Rq Min", "Rq Max")}
    low, high = at["Rq Min"], at["Rq Max"]
    return {str(r[0]): (float(str(r[low])), float(str(r[high])))
            for r in rows[header + 1 :]
            if len(r) > high and r[1] == target and r[low] not in (None, "")}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "reference", "calibrator", "target", "level"),
    [
        # The confidence level is a software setting the xlsx export does not write; each level
        # below is the one under which the file's own Delta EqCq SE and Rq Min/Max agree
        # (t quantile = log2(Rq/Rq Min) / SE, the same for every sample of a file).
        ("QS7Pro_Relative_Quantification_example11.xlsx", "IPC", "1600", "RNaseP", "99.5"),
        # Biological groups (Sample Group Result): SE = SD/√n of the samples' ΔCq, df 2n − 2.
        ("QS7Pro_Relative_Quantification_Biogroup_example12.xlsx", "IPC", "Brain", "RNase P",
         "97"),
        ("QS7Pro_Relative_Standard_Curve_example13.xlsx", "IPC", "unk_400", "RNase P", "97"),
        # Multiplex wells (ΔCq within each well): SE = SD/√n of the wells' ΔCq, df n − 1; the
        # file's standards give the efficiencies it applied.
        ("QS3_Relative_Quantification_example02.xlsx", "IPC", "Unk_400", "RNaseP", "95"),
    ],
)  # fmt: skip
def test_quantstudio_rq_min_max_reproduced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, reference: str,
    calibrator: str, target: str, level: str,
) -> None:  # fmt: skip
    # QuantStudio's Rq Min/Max: 2^-(ΔΔCq ± t · SE), SE = √(s_t²/n_t + s_r²/n_r) of the sample's
    # own replicate wells (the calibrator's uncertainty left out), t with n_t + n_r − 2 df. The
    # software's efficiency-adjusted Cqs are used where it applied efficiencies (12, 13).
    path = QS / f"appbio_quantstudio_designandanalysis_{name}"
    out = tmp_path / "out"
    args = ["analyze", str(path), "--reference", reference, "--control", calibrator,
            "--interval", "quantstudio", "--ci-level", level, "--out", str(out)]  # fmt: skip
    if "example02" in name:
        args += ["--standard-curve", str(path)]
    assert main(args) == 0
    capsys.readouterr()
    sheet = "Sample Group Result" if "Biogroup" in name else "RQ Replicate Group Result"
    software = _software_rq_range(path, target, sheet)
    assert len(software) >= 4
    with (out / "expression.csv").open() as handle:
        ours = {r["group"]: (float(r["fold_change_low"]), float(r["fold_change_high"]))
                for r in csv.DictReader(handle) if r["gene"] == target}  # fmt: skip
    for sample, (low, high) in software.items():
        assert ours[sample] == pytest.approx((low, high), rel=1e-5), sample


def test_a_footer_straight_after_the_table_is_the_footer() -> None:
    from shared import INSTRUMENT_EXPORTS

    # QuantStudio v1.5.2: Analysis Type, Endogenous Control, RQ Min/Max Confidence Level and
    # Reference Sample follow the last well with no blank line (were read as 4 junk wells).
    path = (
        INSTRUMENT_EXPORTS
        / "quantstudio/appbio_quantstudio_design_and_analysis_example15_v1.5.2.xlsx"
    )
    export = read_export(path)
    assert export is not None
    assert len(export.wells) == 232
    assert (export.endogenous_control, export.reference_sample) == ("MYGENE", "1")


def test_quantities_written_with_thousands_separators() -> None:
    from shared import INSTRUMENT_EXPORTS

    from assay.analysis.standards import read_standard_curves

    # QS7 Flex text: quantities "100,000,000.000"; PROVENANCE.md: the file's two standard
    # levels give a slope of -3.135 (the software's -3.196 came from the full plate).
    (curve,) = read_standard_curves(
        INSTRUMENT_EXPORTS / "quantstudio/example_quantsudio_results_only.txt"
    )
    assert curve.slope == pytest.approx(-3.135, abs=5e-4)


@pytest.mark.parametrize("extra", [False, True])
def test_a_sheet_naming_samples_the_export_lacks_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: bool
) -> None:
    groups = {f"{c}.condition {i}": c for c in ("control", "test") for i in (1, 2, 3)}
    if extra:
        groups["test.condition 4"] = "test"  # not in the export: a typing error, or another plate
    sheet = _sheet_of(tmp_path, groups)
    out = tmp_path / "out"
    assert main(["analyze", str(CFX_DEMO), "--samples", str(sheet), "--reference",
                 "reference.gene", "--control", "control", "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    said = "the sample sheet names 1 sample(s) the export does not hold: test.condition 4"
    assert (said in printed) is extra
    assert ("the export does not hold" in printed) is extra


def test_a_sheet_leaving_a_row_of_a_wide_table_out_is_named_as_the_culprit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pcr package's same-tube table has rows 2-13; the sheet here stops at row 12.
    sheet = tmp_path / "groups.csv"
    sheet.write_text("sample,group\n" + "".join(
        f"row {r},{'brain' if r < 8 else 'kidney'}\n" for r in range(2, 13)))  # fmt: skip
    assert main(["analyze", str(TIDY / "ct2.csv"), "--samples", str(sheet), "--reference",
                 "GAPDH", "--control", "brain", "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert f'{sheet}: gives no group for "row 13" of ct2.csv' in error  # the sheet, not the table
    assert "row 2 to row 13" in error
