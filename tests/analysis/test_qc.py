"""QC of wells: each rule on both sides of its limit, and on the real exports that needed it."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from shared import INSTRUMENT_EXPORTS

from assay.analysis.qc import (
    CURVE_CQ_LIMIT,
    EXPORT_MEAN_LIMIT,
    MIN_PLAUSIBLE_CQ,
    control_role,
    curve_disagreement,
    curve_offsets,
    implausible_cq,
    screen,
)
from assay.analysis.wells import WellTable, read_wells
from assay.cli.main import main

EXPORTS = INSTRUMENT_EXPORTS  # read in place (some of these files state no licence)


@pytest.mark.parametrize(
    ("cq", "excluded"),
    [(MIN_PLAUSIBLE_CQ - 0.01, True), (MIN_PLAUSIBLE_CQ, False), (1.0, True), (35.0, False)],
)
def test_a_cq_in_the_baseline_region_is_not_an_amplification(cq: float, excluded: bool) -> None:
    assert bool(implausible_cq(cq, math.nan, cq)) is excluded


@pytest.mark.parametrize(
    ("cq", "export_mean", "group_mean", "excluded"),
    [
        # The export's mean is not the mean of the file's Cqs, and the Cq is just inside / just
        # outside the limit from it.
        (30.0, 30.0 + EXPORT_MEAN_LIMIT, 30.0, False),
        (30.0, 30.0 + EXPORT_MEAN_LIMIT + 0.01, 30.0, True),
        # The export's mean is the mean of the file's Cqs (within rounding): replicates far apart
        # are a spread flag, not a contradiction.
        (28.0, 30.0, 30.0 + 0.009, False),
        (28.0, 30.0, 30.0 + 0.011, True),
        (28.0, math.nan, 30.0, False),  # no mean in the export
    ],
)  # fmt: skip
def test_a_cq_against_the_exports_own_mean(
    cq: float, export_mean: float, group_mean: float, excluded: bool
) -> None:
    assert bool(implausible_cq(cq, export_mean, group_mean)) is excluded


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("NTC", "ntc"), ("NTC-01", "ntc"), ("ntc 2", "ntc"), ("H2O", "ntc"), ("water", "ntc"),
        ("Blank", "ntc"), ("no template control", "ntc"), ("NRT", "no-rt"), ("noRT", "no-rt"),
        ("-RT", "no-rt"), ("RT-", "no-rt"), ("liver_noRT", "no-rt"), ("sample 3", None),
        ("NTCP", None),  # a gene-like name that only starts like NTC
        ("Waterloo", None), ("Sample1", None),
        # NTC as a word of a longer name; water and blank only as the whole name.
        ("GAPDH NTC", "ntc"), ("NTC_A", "ntc"), ("NTC (water)", "ntc"), ("ntc_gapdh", "ntc"),
        ("ddH2O", "ntc"), ("H₂O", "ntc"), ("nuclease-free water", "ntc"), ("NFW", "ntc"),
        ("Water Control", "ntc"), ("PCR blank", "ntc"), ("neg ctrl 1", "ntc"),
        ("H2O-treated", None), ("water-treated", None), ("H2O vehicle", None), ("Blanket", None),
        ("Negative", None), ("HPV negative", None),  # a negative group, not a control
        # no-RT as a word: in brackets, before "control", in any spelling of the minus.
        ("Sample 1 (-RT)", "no-rt"), ("-RT control", "no-rt"), ("RT(-)", "no-rt"),
        ("RT neg", "no-rt"), ("RT-neg", "no-rt"), ("RT minus", "no-rt"), ("\u2212RT", "no-rt"),
        ("RT-1", None), ("cells +RT", None), ("iRT-", None),
    ],
)  # fmt: skip
def test_controls_are_recognised_by_name(name: str, role: str | None) -> None:
    assert control_role(name) == role


def test_screen_moves_implausible_wells_with_their_reason() -> None:
    wells = pd.DataFrame({
        "group": ["a", "a", "a"], "sample": ["s1", "s1", "s2"], "gene": ["g", "g", "g"],
        "ct": [1.5, 25.0, 25.2], "row": [2, 3, 4],
    })  # fmt: skip
    table = WellTable(wells=wells, excluded=wells.iloc[0:0].assign(reason=[]),
                      missing=wells.iloc[0:0], source="x.csv")  # fmt: skip
    screened = screen(table)
    assert screened.wells["row"].tolist() == [3, 4]
    (reason,) = screened.excluded["reason"].tolist()
    assert reason.startswith("QC: Cq 1.5 is below the baseline region")


@pytest.mark.parametrize(
    ("cts", "kept"),
    [
        ([4.78, 4.84, 4.99], True),  # Stuart's 5S rRNA on a LightCycler: triplicates agree
        ([4.91, 4.96, 5.41], True),  # straddling the limit, 0.50 apart: still agreeing
        ([4.90, 4.95, 5.41], False),  # 0.51 apart: not agreeing, the values below are excluded
        ([4.8, math.nan, 4.9], False),  # a replicate without a Cq: nothing to agree with
        ([4.8], False),  # alone
    ],
)
def test_replicates_agreeing_below_the_baseline_region_are_used_and_flagged(
    cts: list[float], kept: bool
) -> None:
    from assay.analysis.qc import AGREEING_REPLICATES

    assert AGREEING_REPLICATES == 0.5
    wells = pd.DataFrame({"group": "a", "sample": "s1", "gene": "5S", "ct": cts,
                          "row": range(2, 2 + len(cts))})  # fmt: skip
    table = WellTable(wells=wells, excluded=wells.iloc[0:0].assign(reason=[]),
                      missing=wells.iloc[0:0], source="x.csv")  # fmt: skip
    screened = screen(table)
    low = [c for c in cts if c < MIN_PLAUSIBLE_CQ]
    if kept:
        assert screened.excluded.empty
        flags = screened.wells["qc_flag"].tolist()
        assert sum(f.startswith("Cq 4.") and "an abundant template?" in f for f in flags) == len(
            low
        )
    else:
        assert sorted(screened.excluded["ct"]) == sorted(low)


def test_the_lightcycler_5s_reference_is_analysed_with_its_wells_flagged(tmp_path: Path) -> None:
    # ropensci/tidyqpcr's Stuart data: 5S rRNA reads Cp 4.8-5.1 in triplicate; it had been
    # excluded as "below the baseline region", leaving the reference without Cts.
    from shared import STUART, stuart_sheet

    source, sheet = STUART, stuart_sheet(tmp_path)
    out = tmp_path / "out"
    argv = ["analyze", str(source), "--samples", str(sheet), "--reference", "5S",
            "--control", "WT OD0.5", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    with (out / "wells.csv").open() as handle:
        five_s = [r for r in csv.DictReader(handle) if r["gene"] == "5S"]
    assert len(five_s) == 30  # 10 groups x 3
    low = [r for r in five_s if float(r["ct"]) < MIN_PLAUSIBLE_CQ]
    assert low  # the file's own values
    assert all(r["qc"] == "flagged" and "abundant template" in r["qc_reasons"] for r in low)


def test_cfx_ntcs_numbered_in_the_content_column_are_ntcs() -> None:
    path = EXPORTS / "cfx/sam_2024-03-25_07-35-33_Connect-Quantification-Cq-Results.csv"
    table = read_wells(path)
    # Content "NTC-01" (GAPDH, C09 and C10, Cq 38.89 and 39.73) and "NTC-02" (HSP90, no Cq).
    assert set(table.excluded.loc[table.excluded["well"].isin(["C09", "C10"]), "reason"]) == {
        "NTC (no-template control)"
    }
    assert any(n.startswith("NTC: GAPDH amplified in 2 NTC well(s) (C09, C10; lowest Cq 38.89")
               for n in table.notes)  # fmt: skip


def test_an_ntc_cq_at_the_last_cycle_is_no_cq() -> None:
    # The R RDML package's test file: a 40-cycle run whose NTCs carry Cq 40.0 as "no Cq".
    table = read_wells(EXPORTS / "rdml/test_rdml.rdml")
    assert not any(n.startswith("NTC:") for n in table.notes)
    assert any("Cq at the run's last cycle (40)" in n for n in table.notes)


def test_a_sample_named_ntc_tasked_as_target_is_an_ntc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(EXPORTS / "abi_sds/ExperimentWithNTC.txt"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 well(s) named like a no-template control (NTC) but tasked as samples" in printed
    with (out / "expression.csv").open() as handle:
        groups = {r["group"] for r in csv.DictReader(handle)}
    assert groups == {"Sample1", "Sample2"}


def test_a_plate_with_every_well_excluded_says_so_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ct.csv"
    rows = [f"{g},{g}1,{gene},{ct}" for g in ("a", "b") for gene, ct in (("t", 2.0), ("r", 3.0))]
    path.write_text("group,sample,gene,ct\n" + "\n".join(rows) + "\n")
    assert main(["analyze", str(path), "--reference", "r", "--control", "a",
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "no well is left to analyse: 4 excluded" in error
    assert "below the baseline region" in error
    assert "assay standards" not in error  # none of them a standard
    assert not (tmp_path / "out").exists()


def test_a_plate_of_standards_alone_is_pointed_to_assay_standards(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A CFX run of dilution series (85 standards, 11 NTCs, no sample): nothing for ΔΔCq.
    name = "cfx/admin_2021-02-19 09-57-01_BR002605 -  Quantification Cq Results_0.csv"
    assert main(["analyze", str(EXPORTS / name), "--control", "x",
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "85 × standard (dilution series)" in error
    assert "a plate of standards: `assay standards` fits their curves" in error


def test_a_fold_resting_on_a_flagged_well_is_marked_where_it_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ct.csv"
    lines = ["group,sample,well,gene,ct"]
    wells = iter(f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13))
    for group, shift in (("control", 0.0), ("treated", -1.0)):
        for s in (1, 2, 3):
            target = [25.0 + shift + 0.1 * s] * 3
            if group == "treated" and s == 1:
                target[2] += 2.0  # the odd one out of its replicates
            for ct in target:
                lines.append(f"{group},{group}{s},{next(wells)},target,{ct}")
            for ct in (18.0, 18.05, 18.1):
                lines.append(f"{group},{group}{s},{next(wells)},GAPDH,{ct}")
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--reference", "GAPDH", "--control", "control",
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "! the fold change rests on a flagged well" in printed
    # The sample's three replicates are more than 0.5 cycles apart (all three flagged); the third
    # is the odd one out (B7-B9: the treated1 target wells).
    assert "QC: 33 wells ok (0 of them without a Ct), 3 flagged, 0 excluded" in printed
    assert "flagged  well B9    target / treated: replicates 2.00 cycles apart" in printed
    with (out / "expression.csv").open() as handle:
        rows = {r["group"]: r for r in csv.DictReader(handle)}
    assert rows["treated"]["qc"].startswith("rests on 3 flagged well(s): B7 (replicates 2.00")
    with (out / "wells.csv").open() as handle:
        verdicts = {r["well"]: (r["qc"], r["qc_reasons"]) for r in csv.DictReader(handle)}
    assert verdicts["B9"][0] == "flagged"
    assert "outlier among its replicates" in verdicts["B9"][1]
    assert verdicts["A1"] == ("ok", "")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Quality control</h2>" in report
    assert "Plate view" in report
    assert (out / "plates.png").exists()


@pytest.mark.parametrize("cq_from", ["auto", "instrument"])
def test_an_instrument_cq_on_a_flat_curve_is_not_used_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cq_from: str
) -> None:
    # LightCycler 96, 4-plex: Y (Texas Red) in Sample 57 has Cq 29.57 from the instrument, on a
    # curve with no rise above the noise (assay curves says so; so does a plot of its adp).
    out = tmp_path / "out"
    path = EXPORTS / "rdml/lc96_bACTXY.rdml"
    assert main(["analyze", str(path), "--reference", "Cy5@IPC", "--control", "Sample 53",
                 "--cq-from", cq_from, "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    with (out / "expression.csv").open() as handle:
        rows = {(r["gene"], r["group"]): r for r in csv.DictReader(handle)}
    y57 = rows[("Texas Red@Y", "Sample 57")]
    if cq_from == "auto":
        assert y57["fold_change"] == ""
        assert y57["detection"].startswith("excluded by QC (1 well(s)): the instrument's Cq 29.57 "
                                           "sits on a curve that does not amplify")  # fmt: skip
        assert "Cq 29.57 sits on a curve that does not amplify" in printed
    else:  # asked for: used, and flagged where it is shown
        assert float(y57["fold_change"]) > 10  # a large induction from nothing
        assert "sits on a curve that does not amplify" in y57["qc"]


def test_a_cq_on_a_curve_without_an_exponential_phase_is_used_and_flagged() -> None:
    # QuantStudio 3, TaqMan RNase P + IPC duplex: the instrument gives a Ct to every IPC well,
    # but some IPC curves rise too slowly, or too briefly, for an exponential phase (LinRegPCR's
    # log phase). Unreliable, not absent: each such well keeps its Cq, is used, and is flagged.
    path = EXPORTS / ("quantstudio/appbio_quantstudio_designandanalysis_QS3_Relative_"
                      "Quantification_example02.xlsx")  # fmt: skip
    wells = read_wells(path, cq_from="curves").wells
    unreliable = wells[wells["curves"].str.startswith("unreliable: ")]
    assert len(unreliable) >= 5
    assert set(unreliable["gene"]) == {"IPC"}
    assert unreliable["ct"].notna().all()
    assert unreliable["qc_flag"].str.startswith("Cq unreliable: no exponential phase").all()
    sure = wells[wells["curves"].str.startswith("amplified")]
    assert (sure["qc_flag"].fillna("") == "").all()


@pytest.mark.parametrize(("shared", "warned"), [(True, False), (False, True)])
def test_a_group_that_never_shares_a_plate_with_the_calibrator_is_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: bool, warned: bool
) -> None:
    lines = ["plate,group,sample,gene,ct"]
    for group, plate in (("control", "p1"), ("drug", "p2")):
        for s in (1, 2, 3):
            where = f"p{s % 2 + 1}" if shared else plate  # shared: samples spread over both
            lines += [f"{where},{group},{group}{s},target,{25 + s * 0.1}",
                      f"{where},{group},{group}{s},GAPDH,{18 + s * 0.05}"]  # fmt: skip
    path = tmp_path / "ct.csv"
    path.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(path), "--reference", "GAPDH", "--control", "control",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    said = "plate: target: drug never share a plate with the calibrator control"
    assert (said in printed) is warned


def test_assay_wells_shows_what_qc_does_and_says_each_note_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["wells", str(EXPORTS / "abi_sds/example.txt")]) == 0
    printed = capsys.readouterr().out
    assert "QC: 9 well(s) with an implausible Cq excluded" in printed
    assert "for analysis: 9 excluded, 99 no Ct, 660 used" in printed
    assert main(["wells", str(EXPORTS / "rdml/relative.rdml")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("Cq -1 is the instrument's mark for no amplification") == 1


@pytest.mark.parametrize(("mean", "kept"), [(27.03, 2), (29.0, 0)])
def test_a_mean_taken_before_the_users_exclusion_is_no_contradiction(
    tmp_path: Path, mean: float, kept: int
) -> None:
    # Replicates 25.0, 25.1 and 31.0, the last excluded by the user; the table still carries the
    # instrument's Ct Mean of all three, (25.0 + 25.1 + 31.0) / 3 = 27.03. That mean is the file's
    # own: the two kept wells stand. A mean that none of the wells gives (29.0) still excludes.
    path = tmp_path / "ct.csv"
    rows = [("25.0", ""), ("25.1", ""), ("31.0", "pipetting")]
    path.write_text("group,sample,gene,ct,ct_mean,exclude\n" + "".join(
        f"a,s1,g,{ct},{mean},{why}\n" for ct, why in rows))  # fmt: skip
    table = read_wells(path)
    assert len(table.wells) == kept


@pytest.mark.parametrize(
    ("gap", "offset", "doubted"),
    [
        (CURVE_CQ_LIMIT - 0.01, 0.0, False), (CURVE_CQ_LIMIT + 0.01, 0.0, True),
        # A target whose instrument Cqs sit 3 cycles after the curves' (a higher threshold):
        # judged by the departure from that gap, on both sides.
        (3.0 + CURVE_CQ_LIMIT - 0.01, 3.0, False), (3.0 + CURVE_CQ_LIMIT + 0.01, 3.0, True),
        (3.0 - CURVE_CQ_LIMIT + 0.01, 3.0, False), (3.0 - CURVE_CQ_LIMIT - 0.01, 3.0, True),
    ],
)  # fmt: skip
def test_an_instrument_cq_against_its_curve(gap: float, offset: float, doubted: bool) -> None:
    assert bool(curve_disagreement(20.0 + gap, 20.0, "amplified", offset)) is doubted


def test_a_targets_usual_gap_needs_three_wells() -> None:
    two = curve_offsets([26.0, 26.0], [23.0, 23.0], ["G", "G"])
    three = curve_offsets([26.0, 26.0, 26.0], [23.0, 23.0, 23.0], ["G", "G", "G"])
    assert (two, three) == ({"G": 0.0}, {"G": 3.0})
