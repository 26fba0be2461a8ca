"""ΔΔCt against the worked examples of Livak & Schmittgen 2001 (from ABI User Bulletin #2).

Raw Cts and published summaries: Livak & Schmittgen 2001, Methods 25:402, Table 2 (c-myc and
GAPDH in separate wells, brain and kidney, six replicates) and Table 3 (the same genes measured in
the same tube). The paper prints two decimals computed from rounded intermediates (ΔCt 4.37 is
27.03 − 22.66; unrounded it is 4.365), so published figures are compared within ±0.01.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.analysis.ddct import (
    Design,
    Interval,
    Settings,
    combined_reference_ct,
    delta_ct,
    delta_delta_ct,
    drop_outliers,
    flag_wells,
    fold_change,
    fold_change_range,
    pfaffl_ratio,
    propagated_sd,
    relative_expression,
    replicate_outliers,
    standard_curve,
)
from assay.analysis.standards import curve_warnings, read_standard_curves
from assay.analysis.stats import Correction
from assay.analysis.wells import WellTable, read_wells
from assay.errors import InputError

# Table 2: (c-myc Ct, GAPDH Ct) per replicate, in separate wells.
SEPARATE = {
    "brain": [(30.72, 23.70), (30.34, 23.56), (30.58, 23.47), (30.34, 23.65), (30.50, 23.69),
              (30.43, 23.68)],
    "kidney": [(27.06, 22.76), (27.03, 22.61), (27.03, 22.62), (27.10, 22.60), (26.99, 22.61),
               (26.94, 22.76)],
}  # fmt: skip
# Table 3: the same, measured in the same tube (one sample per pair).
SAME_TUBE = {
    "brain": [(32.38, 25.07), (32.08, 25.29), (32.35, 25.32), (32.08, 25.24), (32.34, 25.17),
              (32.13, 25.29)],
    "kidney": [(28.73, 24.30), (28.84, 24.32), (28.51, 24.31), (28.86, 24.25), (28.86, 24.34),
               (28.70, 24.18)],
}  # fmt: skip
# The paper's low-high ranges are 2^-(ΔΔCt ± SD) (ABI User Bulletin #2), not intervals.
LIVAK = Settings(reference_genes=("GAPDH",), control="brain", interval=Interval.SD)


def _wells(data: dict[str, list[tuple[float, float]]], *, samples: bool) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for group, pairs in data.items():
        for i, (target, reference) in enumerate(pairs):
            for gene, ct in (("c-myc", target), ("GAPDH", reference)):
                rows.append({"group": group, "gene": gene, "ct": ct, "sample": f"{group}{i}",
                             "row": len(rows) + 2})  # fmt: skip
    frame = pd.DataFrame(rows)
    result: pd.DataFrame = frame if samples else frame.drop(columns="sample")
    return result


def _row(result: pd.DataFrame, group: str) -> pd.Series:
    row: pd.Series = result[result["group"] == group].iloc[0]
    return row


def test_separate_wells_as_published() -> None:
    result = relative_expression(_wells(SEPARATE, samples=False), LIVAK)
    assert result.design is Design.SEPARATE
    brain, kidney = _row(result.expression, "brain"), _row(result.expression, "kidney")
    # Brain: ΔCt 6.86 ± 0.17, ΔΔCt 0.00 ± 0.17, c-myc_N 1.0 (0.9-1.1)
    assert (brain.delta_ct_mean, brain.delta_ct_sd) == pytest.approx((6.86, 0.17), abs=0.01)
    assert (brain.fold_change_low, brain.fold_change_high) == pytest.approx((0.9, 1.1), abs=0.05)
    # Kidney: ΔCt 4.37 ± 0.10, ΔΔCt -2.50 ± 0.10, c-myc_N 5.6 (5.3-6.0)
    assert (kidney.delta_ct_mean, kidney.delta_ct_sd) == pytest.approx((4.37, 0.10), abs=0.01)
    assert kidney.delta_delta_ct == pytest.approx(-2.50, abs=0.01)
    assert kidney.fold_change == pytest.approx(5.6, abs=0.05)
    assert (kidney.fold_change_low, kidney.fold_change_high) == pytest.approx((5.3, 6.0), abs=0.05)


def test_same_tube_as_published() -> None:
    result = relative_expression(_wells(SAME_TUBE, samples=True), LIVAK)
    assert result.design is Design.PAIRED
    brain, kidney = _row(result.expression, "brain"), _row(result.expression, "kidney")
    # Brain: ΔCt 6.99 ± 0.21, 1.0 (0.86-1.15)
    assert (brain.delta_ct_mean, brain.delta_ct_sd) == pytest.approx((6.99, 0.21), abs=0.01)
    assert (brain.fold_change_low, brain.fold_change_high) == pytest.approx((0.86, 1.15), abs=0.01)
    # Kidney: ΔCt 4.47 ± 0.14, ΔΔCt -2.53 ± 0.14, 5.77 (5.23-6.37); the paper's upper bound is
    # one unit lower in the last digit than 2^(2.53 + 0.1425) = 6.375.
    assert (kidney.delta_ct_mean, kidney.delta_ct_sd) == pytest.approx((4.47, 0.14), abs=0.01)
    assert kidney.delta_delta_ct == pytest.approx(-2.53, abs=0.01)
    assert kidney.fold_change == pytest.approx(5.77, abs=0.01)
    assert kidney.fold_change_low == pytest.approx(5.23, abs=0.01)
    assert kidney.fold_change_high == pytest.approx(6.37, abs=0.01)


def test_formulas_by_hand() -> None:
    assert delta_ct(30.49, 23.63) == 6.86
    assert delta_delta_ct(4.37, 6.86) == pytest.approx(-2.49)
    assert fold_change(-1.0) == 2.0
    assert fold_change_range(-2.0, 1.0) == (2.0, 8.0)  # 2^1 and 2^3
    assert propagated_sd(0.15, 0.09) == pytest.approx(math.sqrt(0.0225 + 0.0081))
    assert combined_reference_ct([20.0, 22.0]) == 21.0
    # Pfaffl 2001: E=2 for both genes reduces to 2^-ΔΔCt: 2^3 / 2^1 = 4.
    assert pfaffl_ratio(2.0, 3.0, 2.0, 1.0) == 4.0


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_adding_a_constant_to_every_ct_changes_nothing(shift: float) -> None:
    wells = _wells(SAME_TUBE, samples=True)
    moved = wells.assign(ct=wells["ct"] + shift)
    before = relative_expression(wells, LIVAK).expression
    after = relative_expression(moved, LIVAK).expression
    for column in ("delta_delta_ct", "fold_change", "delta_ct_sd", "p_value"):
        assert after[column].tolist() == pytest.approx(before[column].tolist(), nan_ok=True)


def test_several_reference_genes_use_the_mean_of_their_ct() -> None:
    wells = _wells(SAME_TUBE, samples=True)
    # A second reference made from GAPDH + 1 cycle: the mean reference is GAPDH + 0.5, so every
    # ΔCt drops by 0.5 and every ΔΔCt stays.
    extra = wells[wells["gene"] == "GAPDH"].assign(gene="ACTB", ct=lambda f: f["ct"] + 1.0)
    both = pd.concat([wells, extra], ignore_index=True)
    single = relative_expression(wells, LIVAK).expression
    double = relative_expression(
        both, Settings(reference_genes=("GAPDH", "ACTB"), control="brain")
    ).expression
    assert double["delta_ct_mean"].tolist() == pytest.approx(
        (single["delta_ct_mean"] - 0.5).tolist()
    )
    assert double["delta_delta_ct"].tolist() == pytest.approx(single["delta_delta_ct"].tolist())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f, 'reference gene "ACTB" is not in the table'),
        (lambda f: f[f["group"] != "brain"], 'control group "brain" is not in the table'),
        (
            lambda f: f.drop(index=1),
            'sample "brain0" of group "brain" has no Ct for reference gene',
        ),
        (
            lambda f: f.assign(ct=f["ct"].where(f["group"] != "kidney")),
            'group "kidney" has no data',
        ),
    ],
)
def test_bad_designs_are_refused(change: object, message: str) -> None:
    assert callable(change)
    wells = change(_wells(SAME_TUBE, samples=True))
    reference = ("ACTB",) if "ACTB" in message else ("GAPDH",)
    with pytest.raises(InputError, match=message):
        relative_expression(wells, Settings(reference_genes=reference, control="brain"))


def test_reading_a_table_with_missing_values_and_exclusions(tmp_path: Path) -> None:
    table = tmp_path / "ct.csv"
    table.write_text(
        "Group,Sample,Target,Cq,Exclude\n"
        "brain,b1,c-myc,32.38,\n"
        "brain,b1,GAPDH,25.07,\n"
        "brain,b2,c-myc,Undetermined,\n"
        "brain,b2,GAPDH,25.29,\n"
        "kidney,k1,c-myc,28.73,\n"
        "kidney,k1,GAPDH,24.30,bubble in well\n"
        "kidney,k2,c-myc,N/A,\n"
    )
    read = read_wells(table)
    assert read.missing["row"].tolist() == [4, 8]  # "Undetermined" and "N/A": counted, not 40
    assert read.excluded[["row", "reason"]].values.tolist() == [[7, "bubble in well"]]
    assert read.wells["ct"].isna().sum() == 2


def test_spaces_around_cells_do_not_split_a_gene_or_group(tmp_path: Path) -> None:
    # Spreadsheet exports often carry stray spaces; " GAPDH" and "GAPDH " are one gene.
    table = tmp_path / "ct.csv"
    table.write_text(
        "group,sample,gene,ct\n"
        "brain ,b1, GAPDH,25.0\nbrain,b1,c-myc ,32.0\n"
        "brain,b2,GAPDH ,25.5\nbrain,b2,c-myc, 32.5 \n"
        "kidney,k1,GAPDH,24.0\n kidney,k1,c-myc,28.0\n"
        "kidney,k2,GAPDH,24.5\nkidney,k2,c-myc,29.0\n"
    )
    wells = read_wells(table).wells
    assert sorted(wells["gene"].unique().tolist()) == ["GAPDH", "c-myc"]
    result = relative_expression(wells, Settings(reference_genes=("GAPDH",), control="brain"))
    # ΔCt by hand: brain 7.0, 7.0 (mean 7.0); kidney 4.0, 4.5 (mean 4.25); ΔΔCt = -2.75.
    kidney = result.expression.set_index("group").loc["kidney"]
    assert kidney["n"] == 2
    assert kidney["delta_delta_ct"] == pytest.approx(-2.75)


def test_a_gene_measured_in_one_panel_only(tmp_path: Path) -> None:
    # Each cell line has its own target; neither panel may gain empty rows for the other's gene.
    table = tmp_path / "ct.csv"
    lines = ["cell_line,group,sample,gene,ct"]
    for line, gene, shift in (("A", "X", 1.0), ("B", "Y", -1.0)):
        for group, change in (("control", 0.0), ("drug", shift)):
            for s in (1, 2):
                sample = f"{line},{group},{line}{group}{s}"
                lines += [f"{sample},GAPDH,20.{s}", f"{sample},{gene},{25 + change + s / 10}"]
    table.write_text("\n".join(lines) + "\n")
    wells = read_wells(table, panels=["cell_line"]).wells
    settings = Settings(reference_genes=("GAPDH",), control="control", panels=("cell_line",))
    expression = relative_expression(wells, settings).expression
    assert expression[["cell_line", "gene", "group"]].values.tolist() == [
        ["A", "X", "control"], ["A", "X", "drug"], ["B", "Y", "control"], ["B", "Y", "drug"],
    ]  # fmt: skip
    # ΔCt rises by the shift in each sample (GAPDH unchanged), so ΔΔCt = shift: +1 and -1.
    assert expression["delta_delta_ct"].tolist() == pytest.approx([0.0, 1.0, 0.0, -1.0])


@pytest.mark.parametrize(
    ("ct", "message"),
    [
        ("27,3,1", r'row 2, column "ct": "27,3,1": is not a Ct value'),
        ("high", r'row 2, column "ct": "high": is not a Ct value'),
        ("-3", "is not a plausible Ct"),
        ("2_7.43", r'"2_7.43": is not a Ct value'),  # Python's float() reads 27.43
        ("２７.４", r'"２７.４": is not a Ct value'),  # full-width digits, which float() reads
        ("inf", r'"inf": is not a Ct value'),
    ],
)
def test_text_in_ct_is_refused_with_its_location(tmp_path: Path, ct: str, message: str) -> None:
    table = tmp_path / "ct.tsv"
    table.write_text(f"group\tgene\tct\nbrain\tc-myc\t{ct}\n")
    with pytest.raises(InputError, match=message):
        read_wells(table)


def test_missing_required_column(tmp_path: Path) -> None:
    table = tmp_path / "ct.csv"
    table.write_text("group,gene,value\nbrain,c-myc,30\n")
    with pytest.raises(InputError, match=r"required column\(s\) missing: ct"):
        read_wells(table)


@pytest.mark.parametrize(
    ("slope", "efficiency_pct"),
    [
        (-1 / math.log10(2), 100.0),  # perfect doubling: 3.3219 cycles per 10-fold
        (-3.6, (10 ** (1 / 3.6) - 1) * 100),  # 89.57 %
        (-3.1, (10 ** (1 / 3.1) - 1) * 100),  # 110.2 %: inhibition or pipetting at the top
    ],
)
def test_standard_curve_efficiency(slope: float, efficiency_pct: float) -> None:
    quantities = [0.0, -1.0, -2.0, -3.0, -4.0]  # log10 of 1, 0.1, ... 0.0001
    cts = [20.0 + slope * q for q in quantities]
    curve = standard_curve("GAPDH", quantities, cts)
    assert curve.slope == pytest.approx(slope)
    assert curve.intercept == pytest.approx(20.0)
    assert curve.r_squared == pytest.approx(1.0)
    assert curve.efficiency_pct == pytest.approx(efficiency_pct)


def test_pfaffl_with_perfect_efficiency_equals_two_to_the_minus_ddct() -> None:
    perfect = Settings(reference_genes=("GAPDH",), control="brain",
                       efficiencies=(("c-myc", 2.0), ("GAPDH", 2.0)))  # fmt: skip
    plain = relative_expression(_wells(SEPARATE, samples=False), LIVAK).expression
    corrected = relative_expression(_wells(SEPARATE, samples=False), perfect).expression
    assert corrected["fold_change"].tolist() == pytest.approx(plain["fold_change"].tolist())


def test_pfaffl_ratio_by_hand() -> None:
    # Kidney vs brain group means (Table 2): c-myc 30.49 -> 27.03, GAPDH 23.63 -> 22.66 (rounded).
    # With E(c-myc) = 1.9 and E(GAPDH) = 2.0: 1.9^(30.49-27.025) / 2^(23.6333-22.66).
    target_delta = (
        sum(t for t, _ in SEPARATE["brain"]) / 6 - sum(t for t, _ in SEPARATE["kidney"]) / 6
    )
    ref_delta = sum(r for _, r in SEPARATE["brain"]) / 6 - sum(r for _, r in SEPARATE["kidney"]) / 6
    expected = 1.9**target_delta / 2.0**ref_delta
    settings = Settings(reference_genes=("GAPDH",), control="brain",
                        efficiencies=(("c-myc", 1.9), ("GAPDH", 2.0)))  # fmt: skip
    result = relative_expression(_wells(SEPARATE, samples=False), settings).expression
    assert _row(result, "kidney")["fold_change"] == pytest.approx(expected)
    assert pfaffl_ratio(1.9, target_delta, 2.0, ref_delta) == pytest.approx(expected)


def test_an_efficiency_for_every_gene_or_none() -> None:
    partial = Settings(reference_genes=("GAPDH",), control="brain", efficiencies=(("c-myc", 1.9),))
    with pytest.raises(
        InputError, match=r"an efficiency is needed for every gene .* missing: GAPDH"
    ):
        relative_expression(_wells(SEPARATE, samples=False), partial)


@pytest.mark.parametrize(
    ("cts", "marks"),
    [
        ([24.1, 24.2, 25.9], [False, False, True]),  # 25.9 is 1.75 from the others' median 24.15
        ([24.1, 24.2, 24.5], [False, False, False]),  # 24.5 is 0.35 away: within 0.5
        ([24.0, 25.0, 26.0], [False, False, False]),  # no two agree: no majority to trust
        ([24.1, 25.9], [False, False]),  # duplicates: nothing can be called the odd one
        ([24.1, math.nan, 24.2, 26.0], [False, False, False, True]),
    ],
)
def test_replicate_outlier_rule(cts: list[float], marks: list[bool]) -> None:
    assert replicate_outliers(cts, 0.5) == marks


def test_outliers_are_flagged_and_dropped_only_when_asked() -> None:
    wells = _wells(SAME_TUBE, samples=True)
    triplicate = pd.concat([wells, wells.assign(row=wells["row"] + 100)], ignore_index=True)
    # brain0's c-myc third replicate at 34.38: 2 cycles above its two siblings (32.38).
    odd = triplicate.iloc[[0]].assign(ct=34.38, row=999)
    table = WellTable(
        wells=pd.concat([triplicate, odd], ignore_index=True),
        excluded=triplicate.iloc[0:0].assign(reason=[]), missing=triplicate.iloc[0:0],
        source="test",
    )  # fmt: skip
    flagged = flag_wells(table.wells, LIVAK)
    assert (
        flagged.loc[flagged["row"] == 999, "flags"].item().endswith("outlier among its replicates")
    )
    kept = drop_outliers(table, LIVAK)
    assert 999 not in kept.wells["row"].tolist()
    assert kept.excluded["reason"].tolist() == ["outlier among its replicates (--drop-outliers)"]


def test_wells_without_samples_are_technical_replicates_and_get_no_test() -> None:
    result = relative_expression(_wells(SEPARATE, samples=False), LIVAK)
    kidney = _row(result.expression, "kidney")
    # The fold change is still Livak's Table 2: ΔCt brain 30.485 - 23.625 = 6.86, kidney
    # 27.025 - 22.66 = 4.365; 2^-(4.365 - 6.86) = 5.6 as published.
    assert kidney["fold_change"] == pytest.approx(2 ** -(4.365 - 6.86))
    assert math.isnan(kidney["p_value"])
    assert kidney["significance"] == ""
    assert result.tests.empty
    assert "n = 1 biological sample per group" in result.method
    assert result.method in result.notes
    # Said otherwise, each well is its own sample and the groups are tested.
    biological = relative_expression(
        _wells(SEPARATE, samples=False), replace(LIVAK, replicates="biological")
    )
    assert not math.isnan(_row(biological.expression, "kidney")["p_value"])
    assert "n counts wells" in biological.method


def test_three_wells_of_one_cdna_per_group_are_not_tested() -> None:
    # One sample per group, measured three times: technical triplicates, not n = 3.
    wells = pd.DataFrame(
        [
            {"group": g, "sample": f"{g}-cDNA", "gene": gene, "ct": ct + 0.01 * i, "row": 2}
            for g, shift in (("brain", 0.0), ("kidney", -3.0))
            for gene, ct in (("c-myc", 30.5 + shift), ("GAPDH", 23.6))
            for i in range(3)
        ]
    )
    result = relative_expression(wells, LIVAK)
    assert _row(result.expression, "kidney")["fold_change"] == pytest.approx(8.0)
    assert math.isnan(_row(result.expression, "kidney")["p_value"])
    assert result.method.startswith("n = 1 biological sample per group")


@pytest.mark.parametrize(
    ("cts", "flagged"),
    [
        ([24.0, 24.6], True),  # 0.6 apart (SD 0.42, which an SD rule would let pass)
        ([24.0, 24.4], False),  # 0.4 apart
        ([24.0, 24.3, 24.6], True),  # 0.6 between highest and lowest
    ],
)
def test_replicates_more_than_half_a_cycle_apart_are_flagged(
    cts: list[float], flagged: bool
) -> None:
    wells = pd.DataFrame(
        [{"group": "brain", "sample": "s1", "gene": "c-myc", "ct": ct, "row": i + 2}
         for i, ct in enumerate(cts)]
    )  # fmt: skip
    flags = flag_wells(wells, LIVAK)["flags"].tolist()
    assert all(("cycles apart (more than 0.5)" in f) is flagged for f in flags)


# Standard curves read from a file: (file text, message expected).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gene,quantity,ct\nACTB,0,20.1\nACTB,10,16.8\nACTB,100,13.5\n",
         r'row 2, column "quantity": "0": is not a positive quantity'),
        ("gene,quantity,ct\nACTB,1,20.1\nACTB,-10,16.8\nACTB,100,13.5\n",
         r'row 3, column "quantity": "-10": is not a positive quantity'),
        ("gene,quantity,ct\nACTB,1,20.1\nACTB,10,NaN\nACTB,100,13.5\n",
         r'row 3, column "ct": "NaN": a standard without a Ct cannot be fitted'),
        ("gene,quantity,ct\nACTB,1,20.1\nACTB,10,Undetermined\nACTB,100,13.5\n",
         r'row 3, column "ct": "Undetermined": a standard without a Ct'),
        ("gene,quantity,ct\nACTB,1,20.1\nACTB,10,1_6.8\nACTB,100,13.5\n",
         r'row 3, column "ct": "1_6.8": is not a Ct value'),
        ("gene,quantity,ct\nACTB,1,13.5\nACTB,10,16.8\nACTB,100,20.1\n",
         r"ACTB: Ct does not fall as the quantity rises"),
        ("gene,quantity,ct\nACTB,1,20.1\nACTB,1,16.8\nACTB,1,13.5\n",
         r"ACTB: a standard curve needs 3 or more wells at 2 or more quantities"),
    ],
)  # fmt: skip
def test_bad_standard_curves_are_refused_where_they_are_bad(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "standards.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_standard_curves(path)


def test_standard_curves_outside_miqe_limits_are_warnings(tmp_path: Path) -> None:
    # ACTB: slope -3.3 per decade (20.1, 16.8, 13.5): E = 10^(1/3.3) = 2.009, 100.9 %, R² 1.
    # TP53: slope -2.8 (25.0, 22.2, 19.4): 10^(1/2.8) = 10^0.35714 = 2.2758, 127.6 %.
    path = tmp_path / "standards.csv"
    path.write_text(
        "gene,quantity,ct\n"
        "ACTB,1,20.1\nACTB,10,16.8\nACTB,100,13.5\n"
        "TP53,1,25.0\nTP53,10,22.2\nTP53,100,19.4\n"
        "GAPDH,1,20\nGAPDH,10,17.5\nGAPDH,100,12\n"
    )
    curves = {c.gene: c for c in read_standard_curves(path)}
    assert curves["ACTB"].efficiency_pct == pytest.approx((10 ** (1 / 3.3) - 1) * 100)
    assert curve_warnings(curves["ACTB"]) == []
    (tp53,) = curve_warnings(curves["TP53"])
    assert tp53.startswith("TP53: efficiency 127.6 % is outside 90-110 %")
    # GAPDH by hand: x = 0, 1, 2; y = 20, 17.5, 12; slope = -4; fitted 20.5, 16.5, 12.5;
    # SSres = 0.25 + 1 + 0.25 = 1.5; mean 16.5, SStot = 12.25 + 1 + 20.25 = 33.5; R² = 0.9552.
    assert curves["GAPDH"].r_squared == pytest.approx(1 - 1.5 / 33.5)
    assert any("R² 0.955 of the standard curve is below 0.98" in w
               for w in curve_warnings(curves["GAPDH"]))  # fmt: skip


def test_pfaffl_per_sample_agrees_with_the_corrected_fold_beside_it() -> None:
    settings = Settings(reference_genes=("GAPDH",), control="brain",
                        efficiencies=(("c-myc", 1.9), ("GAPDH", 2.0)))  # fmt: skip
    result = relative_expression(_wells(SAME_TUBE, samples=True), settings)
    brain_t = sum(t for t, _ in SAME_TUBE["brain"]) / 6
    brain_r = sum(r for _, r in SAME_TUBE["brain"]) / 6
    # Each kidney sample against the brain means: 1.9^(brain c-myc - its c-myc) / 2^(...GAPDH).
    by_hand = [1.9 ** (brain_t - t) / 2.0 ** (brain_r - r) for t, r in SAME_TUBE["kidney"]]
    kidney = _row(result.expression, "kidney")
    assert kidney["fold_change_sample_mean"] == pytest.approx(sum(by_hand) / 6)
    mean = sum(by_hand) / 6
    sd = math.sqrt(sum((x - mean) ** 2 for x in by_hand) / 5)
    assert kidney["fold_change_sample_sd"] == pytest.approx(sd)
    points = result.samples[result.samples["group"] == "kidney"]["fold_change"].tolist()
    assert points == pytest.approx(by_hand)


# --- The statistical model: unit, several reference genes, families, intervals ---------------


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame: pd.DataFrame = pd.DataFrame(rows)
    return frame


def _one_cdna_per_group() -> pd.DataFrame:
    # One cDNA per group, three wells per gene; two reference genes at very different levels.
    cts = {
        ("control", "target"): [25.0, 25.1, 24.9], ("control", "ACTB"): [18.0, 18.1, 17.9],
        ("control", "GAPDH"): [25.0, 25.2, 24.8],
        ("treated", "target"): [26.0, 26.1, 25.9], ("treated", "ACTB"): [18.0, 18.1, 17.9],
        ("treated", "GAPDH"): [25.0, 25.2, 24.8],
    }  # fmt: skip
    rows = [{"group": g, "sample": f"{g}-1", "gene": gene, "ct": ct, "row": 2 + i}
            for i, ((g, gene), values) in enumerate(cts.items()) for ct in values]  # fmt: skip
    return _frame(rows)


def test_several_reference_genes_average_before_any_sd() -> None:
    from scipy import stats

    settings = Settings(reference_genes=("ACTB", "GAPDH"), control="control")
    result = relative_expression(_one_cdna_per_group(), settings)
    treated = _row(result.expression, "treated")
    # Technical SD of one ΔCt: √(s_t² + (s_ACTB² + s_GAPDH²)/k²) = √(0.01 + 0.05/4) = 0.15, not
    # the SD of ACTB's and GAPDH's Cts pooled as if replicates (≈ 3.8 cycles).
    assert treated["delta_ct_sd"] == pytest.approx(0.15)
    assert treated["delta_delta_ct"] == pytest.approx(1.0)
    # Its 95 % CI from the technical replicates of both cDNAs: each gene's variance pooled over
    # the two cDNAs (equal here), components w² s² (1/3 + 1/3) with 4 df each, Welch–
    # Satterthwaite df over the genes.
    parts = [0.01 * 2 / 3, 0.01 / 4 * 2 / 3, 0.04 / 4 * 2 / 3]
    se = math.sqrt(sum(parts))
    df = sum(parts) ** 2 / sum(p**2 / 4 for p in parts)
    half = stats.t.ppf(0.975, df) * se
    assert (treated["fold_change_low"], treated["fold_change_high"]) == pytest.approx(
        (2 ** -(1 + half), 2 ** -(1 - half))
    )
    assert treated["interval"] == "95 % CI from technical replicates (one cDNA per group)"
    assert math.isnan(treated["p_value"])  # one cDNA per group: nothing to test
    assert result.tests.empty


def _separate_two_references(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    means = {
        ("control", "target"): 30.0, ("control", "ACTB"): 18.0, ("control", "GAPDH"): 25.0,
        ("treated", "target"): 28.0, ("treated", "ACTB"): 18.0, ("treated", "GAPDH"): 25.0,
    }  # fmt: skip
    rows = [{"group": g, "gene": gene, "ct": float(ct), "row": 2}
            for (g, gene), mu in means.items() for ct in rng.normal(mu, 0.15, 4)]  # fmt: skip
    return _frame(rows)


def test_separate_wells_each_reference_gene_is_its_own_cell() -> None:
    from scipy import stats

    wells = _separate_two_references(3)
    settings = Settings(reference_genes=("ACTB", "GAPDH"), control="control",
                        replicates="biological")  # fmt: skip
    result = relative_expression(wells, settings)
    (test,) = result.tests.to_dict(orient="records")
    # By least squares on Ct ~ cell (six cell means), the contrast
    # (T_t − (A_t + G_t)/2) − (T_c − (A_c + G_c)/2) with the pooled residual variance, df 24 − 6.
    keys = list(dict.fromkeys(zip(wells["group"], wells["gene"], strict=True)))
    design = np.array([[float((g, x) == key) for key in keys]
                       for g, x in zip(wells["group"], wells["gene"], strict=True)])  # fmt: skip
    y = wells["ct"].to_numpy()
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    sigma2 = float(((y - design @ beta) ** 2).sum()) / (24 - 6)
    c = np.array([-1, 0.5, 0.5, 1, -0.5, -0.5])
    t = float(c @ beta) / math.sqrt(sigma2 * float(c @ np.linalg.inv(design.T @ design) @ c))
    assert test["statistic"] == pytest.approx(t)
    assert test["df"] == 18
    assert test["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 18))
    assert test["p_value"] < 1e-9  # a 2-cycle change with 0.15-cycle noise


def _paired_groups(sizes: dict[str, int], shifts: dict[str, float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for group, n in sizes.items():
        for s in range(n):
            bio = rng.normal(0, 0.4)
            for gene, base in (("target", 27.0 + shifts[group] + bio), ("GAPDH", 20.0)):
                for ct in rng.normal(base, 0.1, 3):
                    rows.append({"group": group, "sample": f"{group}{s}", "gene": gene,
                                 "ct": float(ct), "row": len(rows) + 2})  # fmt: skip
    return _frame(rows)


def _sample_dct(wells: pd.DataFrame, group: str) -> list[float]:
    means = wells[wells["group"] == group].groupby(["sample", "gene"])["ct"].mean().unstack()
    return [float(x) for x in means["target"] - means["GAPDH"]]


def test_several_groups_are_compared_with_the_calibrator_by_dunnett() -> None:
    from scipy import stats

    wells = _paired_groups({"control": 4, "a": 4, "b": 4}, {"control": 0, "a": -1, "b": 0.3}, 5)
    result = relative_expression(wells, Settings(reference_genes=("GAPDH",), control="control"))
    shown = result.tests[result.tests["family"] == "shown"].set_index("comparison")
    expected = stats.dunnett(_sample_dct(wells, "a"), _sample_dct(wells, "b"),
                             control=_sample_dct(wells, "control"), rng=1)  # fmt: skip
    assert set(shown["test"]) == {"Dunnett's test"}
    assert shown.loc["a vs control", "p_value"] == pytest.approx(expected.pvalue[0], abs=2e-4)
    assert shown.loc["b vs control", "p_value"] == pytest.approx(expected.pvalue[1], abs=2e-4)
    # The fold's interval is Dunnett's simultaneous interval of ΔΔCt, back-transformed.
    a = _row(result.expression, "a")
    low, high = shown.loc["a vs control", ["ci_low", "ci_high"]]
    assert (a["fold_change_low"], a["fold_change_high"]) == pytest.approx((2**-high, 2**-low))
    assert a["interval"] == "95 % simultaneous CI, Dunnett"
    # ANOVA and Tukey for all pairs are written too, ANOVA with both df.
    anova = result.tests[result.tests["test"] == "one-way ANOVA"].iloc[0]
    assert (anova["df_numerator"], anova["df"]) == (2, 9)
    assert "Dunnett's test" in result.method
    # The calibrator's own interval: its mean ΔCt ± t(0.975, n − 1)·s/√n.
    control = np.array(_sample_dct(wells, "control"))
    half = stats.t.ppf(0.975, 3) * control.std(ddof=1) / 2
    calibrator = _row(result.expression, "control")
    assert (calibrator["fold_change_low"], calibrator["fold_change_high"]) == pytest.approx(
        (2**-half, 2**half)
    )


def test_a_group_with_one_sample_is_described_and_the_others_still_tested() -> None:
    from scipy import stats

    wells = _paired_groups({"control": 3, "a": 3, "b": 1}, {"control": 0, "a": -2, "b": 0}, 8)
    result = relative_expression(wells, Settings(reference_genes=("GAPDH",), control="control"))
    a, b = _row(result.expression, "a"), _row(result.expression, "b")
    expected = stats.ttest_ind(_sample_dct(wells, "a"), _sample_dct(wells, "control"))
    assert a["p_unadjusted"] == pytest.approx(expected.pvalue)
    assert a["test"] == "Student's t-test"
    assert math.isnan(b["p_value"])
    notes = result.tests.set_index("comparison")["note"]
    assert notes["b vs control"] == "not tested: 1 unit (needs 2 or more): described only"


def test_shown_p_values_are_one_benjamini_hochberg_family() -> None:
    from scipy import stats

    wells = _paired_groups({"control": 3, "a": 3}, {"control": 0, "a": -1}, 2)
    other = _paired_groups({"control": 3, "a": 3}, {"control": 0, "a": -0.3}, 9)
    second = other.assign(gene=other["gene"].replace({"target": "second"}))
    # The second gene's wells beside the first gene's (GAPDH from the first table only).
    both = pd.concat([wells, second[second["gene"] == "second"]], ignore_index=True)
    result = relative_expression(both, Settings(reference_genes=("GAPDH",), control="control"))
    p1 = stats.ttest_ind(_sample_dct(wells, "a"), _sample_dct(wells, "control")).pvalue
    reference_of_first = wells[wells["gene"] == "GAPDH"]
    second_pairs = pd.concat([other[other["gene"] == "target"], reference_of_first])
    p2 = stats.ttest_ind(
        _sample_dct(second_pairs, "a"), _sample_dct(second_pairs, "control")
    ).pvalue
    low, high = sorted((p1, p2))
    # BH with m = 2 by hand: the larger stays, the smaller becomes min(2p, larger).
    adjusted = {low: min(2 * low, high), high: high}
    rows = result.expression[result.expression["group"] == "a"].set_index("gene")
    assert rows.loc["target", "p_value"] == pytest.approx(adjusted[p1])
    assert rows.loc["second", "p_value"] == pytest.approx(adjusted[p2])
    assert "Benjamini–Hochberg" in result.method
    none = relative_expression(
        both, Settings(reference_genes=("GAPDH",), control="control", correction=Correction.NONE)
    ).expression.set_index(["gene", "group"])
    assert none.loc[("target", "a"), "p_value"] == pytest.approx(p1)


def test_wells_without_a_ct_are_counted_where_the_fold_is_shown() -> None:
    wells = _paired_groups({"control": 3, "a": 3}, {"control": 0, "a": -1}, 4)
    first = wells.index[(wells["group"] == "a") & (wells["gene"] == "target")][0]
    wells.loc[first, "ct"] = math.nan
    result = relative_expression(wells, Settings(reference_genes=("GAPDH",), control="control"))
    assert (
        _row(result.expression, "a")["detection"] == "8 of 9 wells with a Ct (1 without: not used)"
    )


def _with_a_non_detect() -> pd.DataFrame:
    wells = _paired_groups({"control": 3, "a": 3}, {"control": 0, "a": -1}, 12)
    # Sample a0 has no Cq for the target in any of its three wells.
    lost = (wells["sample"] == "a0") & (wells["gene"] == "target")
    return _frame(wells.assign(ct=wells["ct"].where(~lost)).to_dict(orient="records"))


@pytest.mark.parametrize("policy", ["strict", "exclude", "limit=40"])
def test_non_detects_never_shrink_n_in_silence(policy: str) -> None:
    from scipy import stats

    wells = _with_a_non_detect()
    settings = Settings(reference_genes=("GAPDH",), control="control", non_detects=policy)
    result = relative_expression(wells, settings)
    a = _row(result.expression, "a")
    fate = "set to Cq 40" if policy == "limit=40" else "not used"
    assert a["detection"] == f"6 of 9 wells with a Ct (3 without: {fate})"
    control = _sample_dct(wells, "control")
    if policy == "strict":  # 2 of 3 samples detected: described, not tested, said where shown
        assert math.isnan(a["p_value"])
        assert a["test"].startswith("not tested: 2 of 3 units have a Cq (non-detects")
        assert "every unit has a Cq" in result.method
    elif policy == "exclude":  # the two detected samples tested, n = 2 said
        detected = [x for x in _sample_dct(wells, "a") if not math.isnan(x)]
        assert a["n"] == 2
        assert a["p_unadjusted"] == pytest.approx(stats.ttest_ind(detected, control).pvalue)
        assert "(--non-detects exclude)" in result.method
    else:  # the three samples, a0's target at Cq 40
        means = wells[wells["group"] == "a"].groupby(["sample", "gene"])["ct"].mean().unstack()
        at_limit = (means["target"].fillna(40.0) - means["GAPDH"]).tolist()
        assert a["n"] == 3
        assert a["p_unadjusted"] == pytest.approx(stats.ttest_ind(at_limit, control).pvalue)
        assert "set to Cq 40" in result.method


@pytest.mark.parametrize(("policy", "ok"), [("limit=20", True), ("limit=19", False),
                                            ("limit=60", True), ("limit=61", False),
                                            ("sometimes", False)])  # fmt: skip
def test_the_non_detect_limit_is_a_plausible_cycle(policy: str, ok: bool) -> None:
    if ok:
        assert Settings(reference_genes=("r",), control="c", non_detects=policy).non_detect_cq
    else:
        with pytest.raises(ValueError, match="non-detects must be strict, exclude or limit"):
            Settings(reference_genes=("r",), control="c", non_detects=policy)


def test_standard_curve_slope_se_and_efficiency_interval_as_scipy_gives_them() -> None:
    from scipy import stats

    log10_quantity = [0.0, 1.0, 2.0, 3.0, 4.0]
    ct = [30.0, 26.7, 23.3, 20.1, 16.6]
    curve = standard_curve("GAPDH", log10_quantity, ct)
    fit = stats.linregress(log10_quantity, ct)
    assert curve.slope_se == pytest.approx(fit.stderr)
    t = stats.t.ppf(0.975, 3)
    ends = sorted((10 ** (-1 / s) - 1) * 100 for s in (fit.slope - t * fit.stderr,
                                                        fit.slope + t * fit.stderr))  # fmt: skip
    assert curve.efficiency_interval_pct() == pytest.approx(tuple(ends))
    # log2 E = −log2(10)/slope: its SE by the delta method.
    assert curve.log2_factor_se == pytest.approx(math.log2(10) * fit.stderr / fit.slope**2)


def test_pfaffl_intervals_carry_the_efficiencys_uncertainty() -> None:
    from scipy import stats

    wells = _paired_groups({"control": 3, "a": 3}, {"control": 0, "a": -2}, 21)
    base = Settings(reference_genes=("GAPDH",), control="control",
                    efficiencies=(("GAPDH", 2.0), ("target", 1.9)))  # fmt: skip
    with_se = replace(base, efficiency_se=(("target", 0.05, 3),))
    plain = _row(relative_expression(wells, base).expression, "a")
    wider = _row(relative_expression(wells, with_se).expression, "a")
    assert wider["fold_change"] == pytest.approx(plain["fold_change"])
    # By hand: the Cq part's half-width on log2, and t(0.975, 3) · |Δ raw target Cq| · SE(log2 E)
    # for the efficiency, added in quadrature.
    half = (math.log2(plain["fold_change_high"]) - math.log2(plain["fold_change_low"])) / 2
    means = wells.groupby(["group", "gene"])["ct"].mean()
    change = means[("a", "target")] - means[("control", "target")]
    extra = stats.t.ppf(0.975, 3) * abs(change) * 0.05
    total = math.sqrt(half**2 + extra**2)
    assert math.log2(wider["fold_change_high"]) - math.log2(wider["fold_change"]) == (
        pytest.approx(total)
    )
    assert wider["interval"].endswith("efficiency uncertainty included")


def _blocked_wells(seed: int) -> pd.DataFrame:
    # Three experiments, each shifting every ΔCt of its samples by its own amount; one sample per
    # group and experiment.
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for experiment, shift in (("e1", 0.0), ("e2", 1.5), ("e3", -1.0)):
        for group, effect in (("control", 0.0), ("a", -0.8), ("b", 0.0)):
            level = 27.0 + shift + effect + rng.normal(0, 0.15)
            for gene, base in (("target", level), ("GAPDH", 20.0)):
                for ct in rng.normal(base, 0.05, 2):
                    rows.append({"experiment": experiment, "group": group,
                                 "sample": f"{group}-{experiment}", "gene": gene,
                                 "ct": float(ct), "row": len(rows) + 2})  # fmt: skip
    return _frame(rows)


def test_experiments_as_blocks_compare_groups_within_them() -> None:
    from scipy import stats

    wells = _blocked_wells(31)
    settings = Settings(reference_genes=("GAPDH",), control="control", block="experiment",
                        correction=Correction.NONE)  # fmt: skip
    result = relative_expression(wells, settings)
    a = _row(result.expression, "a")
    assert a["test"] == "t-test in the block model (experiment as block)"

    # Two groups' samples matched by experiment: the block model's test of a vs control is
    # not the paired t-test here (three groups share the error, df (3-1)(3-1) = 4), but the
    # estimate is the mean within-experiment difference, and the experiments' shifts cancel.
    def by_experiment(group: str) -> list[float]:
        means = wells[wells["group"] == group].groupby(["experiment", "gene"])["ct"].mean()
        return [means[(e, "target")] - means[(e, "GAPDH")] for e in ("e1", "e2", "e3")]

    differences = np.array(by_experiment("a")) - np.array(by_experiment("control"))
    assert a["delta_delta_ct"] == pytest.approx(differences.mean())
    block_t = result.tests[result.tests["test"] == a["test"]]
    shown = block_t.set_index("comparison").loc["a vs control"]
    assert shown["df"] == 4
    # Unblocked, the experiments' shifts (2.5 cycles apart) swamp the 0.8-cycle effect.
    plain = relative_expression(wells, replace(settings, block=""))
    assert _row(plain.expression, "a")["p_value"] > 0.05
    assert a["p_value"] < 0.01
    # Two groups only: the block model is the paired t-test.
    two = wells[wells["group"] != "b"]
    paired = relative_expression(two, settings)
    expected = stats.ttest_rel(by_experiment("a"), by_experiment("control"))
    assert _row(paired.expression, "a")["p_value"] == pytest.approx(expected.pvalue)


def test_blocked_designs_get_anova_and_tukey_in_the_block_model() -> None:
    from scipy import stats

    wells = _blocked_wells(31)
    settings = Settings(reference_genes=("GAPDH",), control="control", block="experiment",
                        correction=Correction.NONE)  # fmt: skip
    result = relative_expression(wells, settings)
    tests = result.tests.set_index(["test", "comparison"])
    # By hand: ΔCt per sample in a 3 groups × 3 experiments table; MSE of the additive model
    # with (3 − 1)(3 − 1) = 4 df; Tukey q = |ȳ_j − ȳ_i| / √(MSE / 3).
    means = wells.groupby(["group", "experiment", "gene"])["ct"].mean().unstack("gene")
    dct = (means["target"] - means["GAPDH"]).unstack("experiment")
    residual = (
        dct
        - dct.mean(axis=1).to_numpy()[:, None]
        - dct.mean(axis=0).to_numpy()
        + float(dct.to_numpy().mean())
    )
    mse = float((residual.to_numpy() ** 2).sum()) / 4
    anova = tests.loc[("two-way ANOVA, experiment as block: group effect", "all tested groups")]
    ss_group = 3 * float(((dct.mean(axis=1) - dct.to_numpy().mean()) ** 2).sum())
    assert anova["statistic"] == pytest.approx(ss_group / 2 / mse)
    assert (anova["df_numerator"], anova["df"]) == (2, 4)
    tukey = tests.loc[("Tukey HSD (experiment as block)", "a vs control")]
    q = abs(float(dct.loc["a"].mean() - dct.loc["control"].mean())) / math.sqrt(mse / 3)
    assert tukey["statistic"] == pytest.approx(q)
    assert tukey["p_value"] == pytest.approx(float(stats.studentized_range.sf(q, 3, 4)), rel=1e-5)
    assert tukey["family"] == "Tukey HSD: adjusted within the gene"
    assert "Tukey HSD (experiment as block)" in result.method
    assert "as block: group effect" in result.method


def test_separate_wells_get_tukey_kramer_on_the_delta_ct_contrasts() -> None:
    from scipy import stats

    rng = np.random.default_rng(8)
    rows = [{"group": g, "gene": gene, "ct": float(ct), "row": 2}
            for g, shift in (("control", 0.0), ("a", -1.0), ("b", 0.3))
            for gene, base in (("target", 28.0 + shift), ("GAPDH", 20.0))
            for ct in rng.normal(base, 0.2, 3 if g == "b" and gene == "GAPDH" else 4)]  # fmt: skip
    wells = _frame(rows)
    settings = Settings(reference_genes=("GAPDH",), control="control", replicates="biological")
    tests = relative_expression(wells, settings).tests
    found = tests[tests["test"] == "Tukey–Kramer HSD (ΔCt contrasts of cell means)"]
    assert set(found["comparison"]) == {"a vs control", "b vs control", "b vs a"}
    # By hand: ΔCt_g = T̄_g − R̄_g; the difference of two groups' ΔCt has variance
    # MSE (1/n_Tg + 1/n_Rg + 1/n_Th + 1/n_Rh), MSE pooled over the 6 cells, df 23 − 6 = 17;
    # q = |difference| / SE · √2 against the studentized range of 3 means.
    cells = wells.groupby(["group", "gene"])["ct"]
    mean, size = cells.mean(), cells.size()
    mse = float(cells.var(ddof=1).mul(size - 1).sum()) / 17
    row = found.set_index("comparison").loc["b vs a"]
    difference = (mean["b", "target"] - mean["b", "GAPDH"]) - (mean["a", "target"]
                                                               - mean["a", "GAPDH"])  # fmt: skip
    se = math.sqrt(mse * sum(1 / size[g, x] for g in ("a", "b") for x in ("target", "GAPDH")))
    q = abs(difference) / se * math.sqrt(2)
    assert row["estimate"] == pytest.approx(difference)
    assert row["statistic"] == pytest.approx(q)
    assert row["df"] == 17
    assert row["p_value"] == pytest.approx(float(stats.studentized_range.sf(q, 3, 17)), rel=1e-5)
    half = float(stats.studentized_range.ppf(0.95, 3, 17)) / math.sqrt(2) * se
    assert row["ci_high"] - row["estimate"] == pytest.approx(half, rel=1e-6)


def test_a_sample_in_two_blocks_is_refused() -> None:
    wells = _blocked_wells(2)
    wells.loc[wells.index[0], "experiment"] = "e9"
    settings = Settings(reference_genes=("GAPDH",), control="control", block="experiment")
    with pytest.raises(InputError, match='sample "control-e1" of group "control" lies in several'):
        relative_expression(wells, settings)


def test_inter_run_calibration_removes_each_plates_offset() -> None:
    from assay.analysis.ddct import inter_run_calibrated

    # Plate p2 reads every target Cq 1.0 cycle late and every GAPDH 0.4 late; the calibrator
    # "IRC" is on both plates. By hand: target offsets p1 -0.5, p2 +0.5; GAPDH -0.2, +0.2.
    rows: list[dict[str, object]] = []
    for plate, late_t, late_r in (("p1", 0.0, 0.0), ("p2", 1.0, 0.4)):
        for sample, t in (("IRC", 25.0), (f"s-{plate}", 26.0)):
            rows += [{"plate": plate, "group": "g", "sample": sample, "gene": "target",
                      "ct": t + late_t, "row": len(rows) + 2},
                     {"plate": plate, "group": "g", "sample": sample, "gene": "GAPDH",
                      "ct": 18.0 + late_r, "row": len(rows) + 3}]  # fmt: skip
    wells = _frame(rows)
    corrected, said = inter_run_calibrated(wells, ["IRC"])
    target = corrected[corrected["gene"] == "target"].set_index(["plate", "sample"])["ct"]
    assert target[("p1", "s-p1")] == pytest.approx(26.5)
    assert target[("p2", "s-p2")] == pytest.approx(26.5)
    assert "inter-run calibration target: p1 -0.50, p2 +0.50 cycles removed" in said
    assert "inter-run calibration GAPDH: p1 -0.20, p2 +0.20 cycles removed" in said
    missing = wells[~((wells["plate"] == "p2") & (wells["sample"] == "IRC"))]
    with pytest.raises(InputError, match="plate p2 has no Cq of the inter-run calibrator"):
        inter_run_calibrated(missing, ["IRC"])


def test_a_ct_with_a_decimal_comma_is_read(tmp_path: Path) -> None:
    table = tmp_path / "ct.tsv"  # made here: a European export writes 27,3
    table.write_text("group\tgene\tct\nbrain\tc-myc\t27,3\nbrain\tGAPDH\t19,85\n")
    assert sorted(read_wells(table).wells["ct"]) == pytest.approx([19.85, 27.3])
