"""MTT viability on a small plate worked out by hand, as tidy table and as 96-well grids."""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from assay.analysis.viability import (
    ViabilitySettings,
    read_od_grids,
    read_od_table,
    viability,
)
from assay.cli.main import main
from assay.errors import InputError

# (group, well, OD570, OD630)
PLATE = [
    ("control", "A1", 0.820, 0.050), ("control", "A2", 0.860, 0.060),
    ("control", "A3", 0.840, 0.040),
    ("drug", "B1", 0.650, 0.050), ("drug", "B2", 0.610, 0.050), ("drug", "B3", 0.630, 0.050),
    ("blank", "H11", 0.110, 0.050), ("blank", "H12", 0.090, 0.050),
]  # fmt: skip


def _table(tmp_path: Path, plate: list[tuple[str, str, float, float]] = PLATE) -> Path:
    path = tmp_path / "od.csv"
    lines = ["group,well,od570,od630"] + [f"{g},{w},{a},{b}" for g, w, a, b in plate]
    path.write_text("\n".join(lines) + "\n")
    return path


def _row(frame: pd.DataFrame, group: str) -> dict[str, Any]:
    return dict(frame[frame["group"] == group].iloc[0])


def test_with_reference_wavelength_and_blank(tmp_path: Path) -> None:
    # The wells of one plate tested as n only because it is asked (--replicates wells).
    settings = ViabilitySettings(control="control", blank_group="blank", replicates="wells")
    result = viability(read_od_table(_table(tmp_path), settings), settings)
    # Net OD570-OD630: control 0.77, 0.80, 0.80; drug 0.60, 0.56, 0.58; blanks 0.06, 0.04.
    # Minus the mean blank 0.05: control 0.72, 0.75, 0.75 (mean 0.74); drug 0.55, 0.51, 0.53.
    # Drug viability: 0.53/0.74*100 = 71.6216 %; SD = SD(0.55, 0.51, 0.53)/0.74*100 = 0.02/0.74*100.
    drug, control = _row(result.summary, "drug"), _row(result.summary, "control")
    assert drug["viability_pct_mean"] == pytest.approx(53 / 74 * 100)
    assert drug["viability_pct_sd"] == pytest.approx(0.02 / 0.74 * 100)
    assert drug["change_pct"] == pytest.approx(53 / 74 * 100 - 100)
    sd_control = math.sqrt(((0.72 - 0.74) ** 2 + 2 * 0.01**2) / 2) / 0.74 * 100
    assert control["viability_pct_sd"] == pytest.approx(sd_control)
    # Student's t by hand: pooled variance of the two groups (n = 3 each), df = 4.
    pooled = (drug["viability_pct_sd"] ** 2 + sd_control**2) / 2
    t = (drug["viability_pct_mean"] - 100) / math.sqrt(pooled * (1 / 3 + 1 / 3))
    (test,) = result.tests.to_dict(orient="records")
    assert (test["statistic"], test["df"]) == (pytest.approx(t), 4)
    assert test["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 4))
    assert "blank subtracted: mean net OD of 2 blank well(s)" in result.notes
    assert "technical replicates as n" in result.method


def test_one_plate_is_described_not_tested(tmp_path: Path) -> None:
    settings = ViabilitySettings(control="control", blank_group="blank")
    result = viability(read_od_table(_table(tmp_path), settings), settings)
    drug = _row(result.summary, "drug")
    assert math.isnan(drug["p_value"])
    assert drug["significance"] == ""
    assert result.tests.empty
    assert "descriptive" in result.method
    # A 95 % CI is still given, and it carries the control's uncertainty too (the % is relative
    # to the control wells' mean): 100 + the Student interval of drug % − control %, df 4.
    drug_pct = [x / 0.74 for x in (55, 51, 53)]
    control_pct = [x / 0.74 for x in (72, 75, 75)]
    pooled = (stats.tvar(drug_pct) + stats.tvar(control_pct)) / 2
    half = stats.t.ppf(0.975, 4) * math.sqrt(pooled * 2 / 3)
    centre = sum(drug_pct) / 3
    assert (drug["viability_pct_ci_low"], drug["viability_pct_ci_high"]) == pytest.approx(
        (centre - half, centre + half)
    )


def test_doses_sort_as_numbers(tmp_path: Path) -> None:
    plate = [("control", "A1", 0.8, 0.05), ("control", "A2", 0.82, 0.05)]
    for dose, od in (("10 uM", 0.5), ("3 uM", 0.6), ("30 uM", 0.4)):
        plate += [(dose, "B1", od, 0.05), (dose, "B2", od + 0.01, 0.05)]
    settings = ViabilitySettings(control="control", blank_group=None)
    result = viability(read_od_table(_table(tmp_path, plate), settings), settings)
    assert result.summary["group"].tolist() == ["control", "3 uM", "10 uM", "30 uM"]


def test_without_blank_and_without_reference_wavelength(tmp_path: Path) -> None:
    settings = ViabilitySettings(control="control", reference_nm=None)
    plate = [p for p in PLATE if p[0] != "blank"]
    result = viability(read_od_table(_table(tmp_path, plate), settings), settings)
    # OD570 only: control mean (0.82 + 0.86 + 0.84)/3 = 0.84; drug mean 0.63 -> 75 %.
    assert _row(result.summary, "drug")["viability_pct_mean"] == pytest.approx(75.0)
    assert "no blank wells: OD not blank-subtracted" in result.notes


def test_experiments_are_the_unit_of_the_summary(tmp_path: Path) -> None:
    # Three experiments; in each the drug's mean net OD is 3/4, 4/5 and 7/10 of the control's.
    lines = ["group,experiment,od570"]
    for exp, (control_od, drug_od) in enumerate([(0.8, 0.6), (1.0, 0.8), (0.5, 0.35)], start=1):
        lines += [f"control,{exp},{control_od}", f"control,{exp},{control_od}",
                  f"drug,{exp},{drug_od}", f"drug,{exp},{drug_od}"]  # fmt: skip
    path = tmp_path / "od.csv"
    path.write_text("\n".join(lines) + "\n")
    settings = ViabilitySettings(control="control", reference_nm=None)
    drug = _row(viability(read_od_table(path, settings), settings).summary, "drug")
    # per experiment: 75, 80, 70 % -> mean 75, SD 5, n = 3 experiments
    assert drug["n"] == 3
    assert (drug["viability_pct_mean"], drug["viability_pct_sd"]) == pytest.approx((75.0, 5.0))


def _grid_file(path: Path, values: dict[str, str]) -> Path:
    lines = [",".join(["", *[str(c) for c in range(1, 13)]])]
    for row in "ABCDEFGH":
        lines.append(",".join([row, *[values.get(f"{row}{c}", "") for c in range(1, 13)]]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plate_grids_give_the_same_result_as_the_tidy_table(tmp_path: Path) -> None:
    settings = ViabilitySettings(control="control", blank_group="blank")
    tidy = viability(read_od_table(_table(tmp_path), settings), settings).summary
    od570 = {w: str(a) for _, w, a, _ in PLATE} | {"C5": "0.999"}  # C5 is read but not mapped
    od630 = {w: str(b) for _, w, _, b in PLATE} | {"C5": "0.050"}
    layout = {w: g for g, w, _, _ in PLATE}
    wells = read_od_grids(
        {
            570: _grid_file(tmp_path / "570.csv", od570),
            630: _grid_file(tmp_path / "630.csv", od630),
        },
        _grid_file(tmp_path / "map.csv", layout), settings,
    )  # fmt: skip
    gridded = viability(wells, settings).summary
    pd.testing.assert_frame_equal(gridded, tidy)


def test_labelled_plates_are_experiments_and_are_tested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Three plates (experiments) of the same layout; per plate the drug's net OD is 3/4, 4/5
    # and 7/10 of the control's (OD570 only, no blanks).
    layout = {"A1": "control", "A2": "control", "B1": "drug", "B2": "drug"}
    args = ["viability", "--control", "control", "--reference-nm", "0", "--blank-group", "none"]
    for plate, (control_od, drug_od) in enumerate([(0.8, 0.6), (1.0, 0.8), (0.5, 0.35)], 1):
        od = {"A1": control_od, "A2": control_od, "B1": drug_od, "B2": drug_od}
        grid = _grid_file(tmp_path / f"p{plate}.csv", {w: str(v) for w, v in od.items()})
        plate_map = _grid_file(tmp_path / f"m{plate}.csv", layout)
        args += ["--grid", f"exp{plate}:570={grid}", "--map", f"exp{plate}:{plate_map}"]
    out = tmp_path / "out"
    assert main([*args, "--out", str(out)]) == 0
    assert "n counts experiments" in capsys.readouterr().out
    with (out / "viability.csv").open() as handle:
        drug = next(r for r in csv.DictReader(handle) if r["group"] == "drug")
    expected = stats.ttest_1samp([75.0, 80.0, 70.0], 100.0)
    assert (drug["n"], drug["unit"]) == ("3", "experiment")
    assert float(drug["p_value"]) == pytest.approx(expected.pvalue, rel=1e-5)
    # One label missing its map is an error that names it.
    assert main([*args[:-2], "--out", str(out)]) == 2  # the last --map (exp3's) left out
    assert "no --map for plate exp3" in capsys.readouterr().err


def test_an_od_at_or_below_the_blank_is_flagged(tmp_path: Path) -> None:
    plate = [*PLATE, ("drug", "B4", 0.100, 0.050)]  # net 0.05, the blank's mean
    settings = ViabilitySettings(control="control", blank_group="blank")
    wells = viability(read_od_table(_table(tmp_path, plate), settings), settings).wells
    assert wells.loc[wells["well"] == "B4", "flags"].tolist() == ["OD at or below the blank"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("group,od570\ncontrol,0.8\n", 'column "od630" is missing'),
        ("group,od570,od630\ncontrol,\"0,8,1\",0.05\n",
         r'row 2, column "od570": "0,8,1": is not an optical density'),
        ("group,od570,od630\ndrug,0.8,0.05\n", 'control group "control" is not in the table'),
        ("group,od570,od630\ncontrol,NaN,0.05\n", r'row 2, column "od570": "NaN": is not an'),
        ("group,od570,od630\ncontrol,inf,0.05\n", r'"inf": is not an optical density'),
        ("group,od570,od630\ncontrol,-5,0.05\n",
         r'row 2, column "od570": "-5": is not a plausible optical density \(expected -0.2 to 5\)'),
    ],
)  # fmt: skip
def test_bad_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "od.csv"
    path.write_text(text)
    settings = ViabilitySettings(control="control")
    with pytest.raises(InputError, match=message):
        viability(read_od_table(path, settings), settings)


def test_a_map_that_is_not_a_plate_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "map.csv"
    bad.write_text("group,well\ncontrol,A1\n")
    grid = _grid_file(tmp_path / "570.csv", {})
    with pytest.raises(InputError, match="is not a 96-well plate map grid"):
        read_od_grids({570: grid}, bad, ViabilitySettings(control="control", reference_nm=None))


def test_the_viability_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    status = main(["viability", str(_table(tmp_path)), "--control", "control",
                   "--blank-group", "blank", "--out", str(out)])  # fmt: skip
    assert status == 0
    summary = pd.read_csv(out / "viability.csv")
    assert summary.loc[summary["group"] == "drug", "viability_pct_mean"].item() == pytest.approx(
        53 / 74 * 100, rel=1e-5
    )
    assert "drug" in capsys.readouterr().out


def test_three_groups_add_anova_and_tukey(tmp_path: Path) -> None:
    plate = [*PLATE, ("drug2", "C1", 0.450, 0.050), ("drug2", "C2", 0.470, 0.050),
             ("drug2", "C3", 0.430, 0.050)]  # fmt: skip
    settings = ViabilitySettings(control="control", blank_group="blank", replicates="wells")
    tests = viability(read_od_table(_table(tmp_path, plate), settings), settings).tests
    comparisons = tests["comparison"].tolist()
    assert comparisons.count("all groups") == 1
    assert {"drug vs control", "drug2 vs control", "drug2 vs drug"} <= set(comparisons)
    assert set(tests.loc[tests["comparison"] == "all groups", "test"]) == {"one-way ANOVA"}


# Three independent experiments, each with its own control: (experiment, group, OD570), no
# reference wavelength, no blank. Per experiment the treated mean is divided by the control mean.
EXPERIMENTS = [
    (1, "control", 0.80), (1, "control", 0.82), (1, "drug", 0.60), (1, "drug", 0.62),
    (2, "control", 0.90), (2, "control", 0.88), (2, "drug", 0.70), (2, "drug", 0.72),
    (3, "control", 0.70), (3, "control", 0.72), (3, "drug", 0.50), (3, "drug", 0.49),
    (1, "drug2", 0.78), (2, "drug2", 0.86), (3, "drug2", 0.72),
]  # fmt: skip


def _experiments(tmp_path: Path) -> Path:
    path = tmp_path / "od.csv"
    rows = [f"{e},{g},{od}" for e, g, od in EXPERIMENTS]
    path.write_text("experiment,group,od570\n" + "\n".join(rows) + "\n")
    return path


def test_per_experiment_normalisation_tests_the_treated_percentages_against_100(
    tmp_path: Path,
) -> None:
    settings = ViabilitySettings(control="control", reference_nm=None)
    result = viability(read_od_table(_experiments(tmp_path), settings), settings)
    # By hand: drug/control per experiment = 0.61/0.81, 0.71/0.89, 0.495/0.71 (x 100).
    drug = [0.61 / 0.81 * 100, 0.71 / 0.89 * 100, 0.495 / 0.71 * 100]
    expected = stats.ttest_1samp(drug, 100.0)
    row = _row(result.summary, "drug")
    assert row["p_unadjusted"] == pytest.approx(expected.pvalue)
    # drug2 is tested too: the two shown p-values are one Benjamini–Hochberg family (m = 2).
    drug2 = [0.78 / 0.81 * 100, 0.86 / 0.89 * 100, 0.72 / 0.71 * 100]
    other = stats.ttest_1samp(drug2, 100.0).pvalue
    low, high = sorted((expected.pvalue, other))
    adjusted = {low: min(2 * low, high), high: high}
    assert row["p_value"] == pytest.approx(adjusted[expected.pvalue])
    assert (row["n"], row["unit"], row["test"]) == (3, "experiment", "one-sample t-test")
    # The old test, two-sample against three exact 100s (df 4), claims far more:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SciPy's note on the exact 100s
        dishonest = stats.ttest_ind(drug, [100.0, 100.0, 100.0])
    assert dishonest.pvalue < expected.pvalue / 5
    tests = result.tests.set_index("comparison")
    assert tests.loc["drug vs 100 %", "df"] == 2
    assert "all groups" not in tests.index  # no ANOVA over a control of exact 100s
    assert "tested against 100 % (one-sample t-test" in result.method


def test_without_experiments_dunnett_compares_each_treatment_with_the_control(
    tmp_path: Path,
) -> None:
    plate = [*PLATE, ("drug2", "C1", 0.700, 0.050), ("drug2", "C2", 0.760, 0.050),
             ("drug2", "C3", 0.720, 0.050)]  # fmt: skip
    settings = ViabilitySettings(control="control", replicates="wells")
    result = viability(read_od_table(_table(tmp_path, plate), settings), settings)
    units = result.units
    # SciPy integrates the same probability by quasi-Monte Carlo (an independent route, good to
    # about 1e-4); ours is deterministic quadrature (tests/analysis/test_stats.py).
    expected = stats.dunnett(
        units[("", "drug")], units[("", "drug2")], control=units[("", "control")], rng=1
    )  # fmt: skip
    dunnett = result.tests[result.tests["test"] == "Dunnett's test"].set_index("comparison")
    assert dunnett.loc["drug vs control", "p_value"] == pytest.approx(expected.pvalue[0], abs=2e-4)
    assert dunnett.loc["drug2 vs control", "p_value"] == pytest.approx(expected.pvalue[1], abs=2e-4)
    assert "technical replicates as n: n counts wells of one plate" in result.method


def test_blank_wells_are_subtracted_by_default_and_never_a_treatment(tmp_path: Path) -> None:
    settings = ViabilitySettings(control="control")  # no blank group named: "blank" is it
    result = viability(read_od_table(_table(tmp_path), settings), settings)
    assert set(result.summary["group"]) == {"control", "drug"}
    assert "blank subtracted: mean net OD of 2 blank well(s)" in result.notes
    other = ViabilitySettings(control="control", blank_group="medium")
    with pytest.raises(InputError, match='group "blank" looks like blank wells'):
        viability(read_od_table(_table(tmp_path), other), other)


def test_viability_command_subtracts_blank_wells_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["viability", str(_table(tmp_path)), "--control", "control",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "blank subtracted" in out
    assert "\nblank" not in out.replace("  ", " ")  # no row for the blank group
    # The same figure and report as assay analyze --od gives.
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    expected = [".assay-output", "analysis.json", "report.html", "stats.csv", "viability.csv",
                "viability.png", "viability.svg", "viability.caption.txt", "wells.csv"]  # fmt: skip
    assert written == sorted(expected)
    assert "<h2>Cell viability (MTT)</h2>" in (tmp_path / "out" / "report.html").read_text()


def test_column_maps_a_field_in_viability_as_in_analyze(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "od.csv"
    path.write_text("Condition,od570\ncontrol,0.8\ncontrol,0.82\ndrug,0.4\ndrug,0.42\n")
    out = tmp_path / "out"
    assert main(["viability", str(path), "--control", "control", "--reference-nm", "0",
                 "--column", "group=Condition", "--out", str(out)]) == 0  # fmt: skip
    # drug 0.41 / control 0.81 x 100 = 50.617 %.
    assert "50.62" in capsys.readouterr().out
    assert main(["viability", str(path), "--control", "control", "--column", "dose=x"]) == 2


def test_a_european_reader_with_decimal_commas_and_semicolons(tmp_path: Path) -> None:
    # Made here: a ';' table with decimal commas, as European plate readers and Excel write it;
    # the same plate with points gives the same viability.
    lines = ["group;od570;od630", "control;0,800;0,050", "control;0,760;0,050",
             "drug;0,410;0,050", "drug;0,390;0,050"]  # fmt: skip
    comma = tmp_path / "od_comma.csv"
    comma.write_text("\n".join(lines) + "\n")
    point = tmp_path / "od_point.csv"
    point.write_text("\n".join(line.replace(",", ".").replace(";", ",") for line in lines) + "\n")
    settings = ViabilitySettings(control="control")
    ours = viability(read_od_table(comma, settings), settings).summary
    same = viability(read_od_table(point, settings), settings).summary
    assert ours["viability_pct_mean"].tolist() == pytest.approx(same["viability_pct_mean"].tolist())
    # By hand: drug net OD (0.36 + 0.34) / 2 = 0.35 over control's (0.75 + 0.71) / 2 = 0.73.
    assert ours["viability_pct_mean"].tolist()[-1] == pytest.approx(100 * 0.35 / 0.73)


def test_a_grid_below_the_readers_metadata(tmp_path: Path) -> None:
    # Made here: a reader's export with its metadata above the grid, ';' and decimal commas.
    grid = [
        "Plate: Plate 1;;",
        "Wavelength: 570 nm",
        "",
        ";" + ";".join(str(c) for c in range(1, 13)),
    ]
    for row in "ABCDEFGH":
        grid.append(row + ";" + ";".join("0,800" if row == "A" else "0,400" for _ in range(12)))
    od = tmp_path / "od570.csv"
    od.write_text("\n".join(grid) + "\n")
    layout = ["," + ",".join(str(c) for c in range(1, 13))]
    for row in "ABCDEFGH":
        group = {"A": "control", "B": "drug"}.get(row, "")
        layout.append(row + "," + ",".join(group for _ in range(12)))
    plate_map = tmp_path / "map.csv"
    plate_map.write_text("\n".join(layout) + "\n")
    settings = ViabilitySettings(control="control", reference_nm=None)
    wells = read_od_grids({570: od}, plate_map, settings)
    assert len(wells) == 24
    assert wells.loc[wells["group"] == "drug", "od570"].tolist() == pytest.approx([0.4] * 12)


def test_a_cell_line_column_left_out_of_by_is_said_to_be_pooled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Made here: HeLa at 130 % and A549 at 77 % of their controls pool to about 103 %, "ns".
    rows = ["group,cell_line,od570,od630"]
    for group, line, od in (("control", "HeLa", 0.85), ("control", "A549", 0.65),
                            ("drug", "HeLa", 1.09), ("drug", "A549", 0.51)):  # fmt: skip
        rows += [f"{group},{line},{od},0.05", f"{group},{line},{od + 0.01},0.05"]
    table = tmp_path / "od.csv"
    table.write_text("\n".join(rows) + "\n")
    # Left out of --by, the cell lines would be averaged away: refused, with both ways on.
    assert main(["viability", str(table), "--control", "control", "--out",
                 str(tmp_path / "out")]) == 2  # fmt: skip
    said = capsys.readouterr().err
    assert "the column(s) cell_line hold several values within the groups" in said
    assert "give --by cell_line to analyse each apart, or --pool" in said
    assert not (tmp_path / "out").exists()
    assert main(["viability", str(table), "--control", "control", "--pool", "--out",
                 str(tmp_path / "out")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert 'WARNING pooled: column "cell_line" holds 2 values (A549, HeLa)' in printed
    assert main(["viability", str(table), "--control", "control", "--by", "cell_line",
                 "--out", str(tmp_path / "apart")]) == 0  # fmt: skip
    assert "pooled:" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tails", "refused"),
    [
        ({}, False),  # 12 columns
        ({r: "570" for r in "ABCDEFGH"}, False),  # a label on every row (BioTek's wavelength)
        ({"C": "0.1"}, True),  # one row with a 13th value: shifted data, not cut silently
        ({r: "570" for r in "ABCDEFG"}, True),  # one row without the label the others have
    ],
)
def test_a_grid_row_longer_or_shorter_than_the_others_is_refused(
    tmp_path: Path, tails: dict[str, str], refused: bool
) -> None:
    lines = ["," + ",".join(str(c) for c in range(1, 13))]
    for row in "ABCDEFGH":
        cells = [row, *(f"0.{c:02d}" for c in range(1, 13))]
        lines.append(",".join(cells + ([tails[row]] if row in tails else [])))
    grid = tmp_path / "od570.csv"
    grid.write_text("\n".join(lines) + "\n")
    plate_map = tmp_path / "map.csv"
    plate_map.write_text("\n".join([lines[0], *(f"{r}," + ",".join(["control"] * 12)
                                               for r in "ABCDEFGH")]) + "\n")  # fmt: skip
    settings = ViabilitySettings(control="control", reference_nm=None)
    if refused:
        with pytest.raises(InputError, match="a 96-well grid has 12 columns"):
            read_od_grids({570: grid}, plate_map, settings)
    else:
        assert len(read_od_grids({570: grid}, plate_map, settings)) == 96
