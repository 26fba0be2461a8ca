"""`assay analyze` end to end on the same-tube example of Livak & Schmittgen 2001 (Table 3)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from colon_wells import write_colon_wells

from assay.cli.main import main
from assay.data import table1_path

BRAIN = [(32.38, 25.07), (32.08, 25.29), (32.35, 25.32), (32.08, 25.24), (32.34, 25.17),
         (32.13, 25.29)]  # fmt: skip
KIDNEY = [(28.73, 24.30), (28.84, 24.32), (28.51, 24.31), (28.86, 24.25), (28.86, 24.34),
          (28.70, 24.18)]  # fmt: skip


def _table(tmp_path: Path) -> Path:
    lines = ["tissue,sample,gene,Cq"]
    for group, pairs in (("brain", BRAIN), ("kidney", KIDNEY)):
        for i, (target, reference) in enumerate(pairs):
            lines += [f"{group},{group}{i},c-myc,{target}", f"{group},{group}{i},GAPDH,{reference}"]
    path = tmp_path / "ct.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_analyze_writes_the_four_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = main([
        "analyze", str(_table(tmp_path)), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(out),
    ])  # fmt: skip
    assert status == 0
    with (out / "expression.csv").open() as handle:
        rows = {r["group"]: r for r in csv.DictReader(handle)}
    # Published: kidney ΔΔCt -2.53, 5.77-fold (5.23-6.37)
    assert float(rows["kidney"]["delta_delta_ct"]) == pytest.approx(-2.53, abs=0.01)
    assert float(rows["kidney"]["fold_change"]) == pytest.approx(5.77, abs=0.01)
    assert rows["kidney"]["significance"] == "****"
    with (out / "stats.csv").open() as handle:
        (test,) = list(csv.DictReader(handle))
    assert (test["comparison"], test["test"]) == ("kidney vs brain", "Student's t-test")
    meta = json.loads((out / "analysis.json").read_text())
    assert (meta["design"], meta["control"]) == ("same sample", "brain")
    assert "n counts samples" in meta["test"]
    assert "each group vs the calibrator brain on ΔCt: Student's t-test" in meta["test"]
    assert "95 % confidence interval of the fold change" in meta["test"]
    # The interval by hand: ΔCt per sample (Table 3), two-sample Student t with df 10; the
    # fold's interval is 2^-(ΔΔCt ± t·SE): with s² pooled from the two groups' ΔCt variances.
    brain = [t - r for t, r in BRAIN]
    kidney = [t - r for t, r in KIDNEY]

    def var(x: list[float]) -> float:
        m = sum(x) / len(x)
        return sum((v - m) ** 2 for v in x) / (len(x) - 1)

    se = math.sqrt((5 * var(brain) + 5 * var(kidney)) / 10 * (1 / 6 + 1 / 6))
    ddct = sum(kidney) / 6 - sum(brain) / 6
    t = 2.228138851986  # t(0.975, 10), from printed tables
    low, high = 2 ** -(ddct + t * se), 2 ** -(ddct - t * se)
    assert float(rows["kidney"]["fold_change_low"]) == pytest.approx(low, rel=1e-5)
    assert float(rows["kidney"]["fold_change_high"]) == pytest.approx(high, rel=1e-5)
    assert rows["kidney"]["interval"] == "95 % CI, Student's t-test"
    assert "kidney" in capsys.readouterr().out


def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = main([
        "analyze", str(_table(tmp_path)), "--reference", "ACTB", "--control", "brain",
        "--column", "group=tissue", "--out", str(out),
    ])  # fmt: skip
    assert status == 2
    assert 'reference gene "ACTB" is not in the table' in capsys.readouterr().err
    assert not out.exists()


def _validation(tmp_path: Path, verdicts: dict[str, str]) -> Path:
    report = {
        "schema_version": 1,
        "pairs": [
            {"gene": gene, "verdict": verdict, "accession": None, "claimed_product_bp": 100,
             "findings": [{"code": "product", "severity": "fail", "message": "no product"}]
             if verdict == "fail" else []}
            for gene, verdict in verdicts.items()
        ],
    }  # fmt: skip
    path = tmp_path / "validation.json"
    path.write_text(json.dumps(report))
    return path


def test_assays_flag_genes_whose_validation_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assays = _validation(tmp_path, {"C-MYC": "fail", "GAPDH": "pass"})
    out = tmp_path / "out"
    status = main([
        "analyze", str(_table(tmp_path)), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(out), "--assays", str(assays),
    ])  # fmt: skip
    assert status == 0
    assert "WARNING c-myc: assay fail in validation: no product" in capsys.readouterr().out
    with (out / "expression.csv").open() as handle:
        problems = {r["assay_problem"] for r in csv.DictReader(handle)}
    assert problems == {"assay fail in validation: no product"}


def test_strict_refuses_genes_without_a_usable_assay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assays = _validation(tmp_path, {"GAPDH": "pass"})
    status = main([
        "analyze", str(_table(tmp_path)), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(tmp_path / "out"), "--assays", str(assays),
        "--strict",
    ])  # fmt: skip
    assert status == 2
    assert "c-myc: no validated assay" in capsys.readouterr().err


def test_the_real_validation_of_table1_travels_into_the_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "validation.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "c"),
          "--json", str(report)])  # fmt: skip
    # Livak's same-tube Cts relabelled with Table 1's gene names, only to carry the names.
    table = _table(tmp_path)
    table.write_text(table.read_text().replace("c-myc", "mTOR"))
    extra = "".join(f"brain,brain{i},JAK2,{t}\n" for i, (t, _) in enumerate(BRAIN))
    extra += "".join(f"kidney,kidney{i},JAK2,{t}\n" for i, (t, _) in enumerate(KIDNEY))
    table.write_text(table.read_text() + extra)
    capsys.readouterr()
    status = main([
        "analyze", str(table), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(tmp_path / "out"), "--assays", str(report),
    ])  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert (
        "WARNING mTOR: assay fail in validation: no site on NM_004958.4 that can prime" in printed
    )
    assert "WARNING JAK2: assay unverified in validation" in printed
    assert "GAPDH" not in printed.split("WARNING", 1)[1]


def test_standard_curves_give_the_published_standard_curve_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Livak & Schmittgen 2001: average Cts of c-myc and GAPDH at 1 to 0.01 ng of input RNA (the
    # dilution table as reproduced in the R package pcr's vignette, Table 5), and Table 2's
    # separate-well Cts; the standard-curve method gives kidney 5.5 relative to brain. Pfaffl's
    # ratio with E = 10^(-1/slope) is that same calculation.
    amounts = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
    cmyc = [25.59, 26.77, 28.14, 29.18, 30.14, 31.44, 32.42]
    gapdh = [22.64, 23.73, 25.12, 26.16, 27.17, 28.62, 29.45]
    curve = tmp_path / "curve.csv"
    curve.write_text("gene,quantity,ct\n" + "".join(
        f"{gene},{a},{ct}\n" for gene, cts in (("c-myc", cmyc), ("GAPDH", gapdh))
        for a, ct in zip(amounts, cts, strict=True)
    ))  # fmt: skip
    table = tmp_path / "separate.csv"
    brain = [(30.72, 23.70), (30.34, 23.56), (30.58, 23.47), (30.34, 23.65), (30.50, 23.69),
             (30.43, 23.68)]  # fmt: skip
    kidney = [(27.06, 22.76), (27.03, 22.61), (27.03, 22.62), (27.10, 22.60), (26.99, 22.61),
              (26.94, 22.76)]  # fmt: skip
    table.write_text("group,gene,ct\n" + "".join(
        f"{g},c-myc,{t}\n{g},GAPDH,{r}\n" for g, data in (("brain", brain), ("kidney", kidney))
        for t, r in data
    ))  # fmt: skip
    out = tmp_path / "out"
    status = main(["analyze", str(table), "--reference", "GAPDH", "--control", "brain",
                   "--standard-curve", str(curve), "--out", str(out)])  # fmt: skip
    assert status == 0
    with (out / "expression.csv").open() as handle:
        rows = {r["group"]: r for r in csv.DictReader(handle)}
    assert float(rows["kidney"]["fold_change"]) == pytest.approx(5.5, abs=0.05)
    meta = json.loads((out / "analysis.json").read_text())
    assert meta["method"] == "efficiency-corrected ratio, Pfaffl 2001"
    assert "efficiency-corrected ratio" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["GAPDH=abc", "GAPDH=0.5", "=1.9", "GAPDH=400%"])
def test_implausible_efficiencies_are_refused(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["analyze", str(_table(tmp_path)), "--reference", "GAPDH", "--control", "brain",
                   "--column", "group=tissue", "--efficiency", value])  # fmt: skip
    assert status == 2
    assert "--efficiency" in capsys.readouterr().err


def test_several_reference_genes_are_checked_against_one_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Andersen's colon data with UBC, GAPD and TPT1 (the paper's choice) as references and ACTB as
    # the target. Expected M: NormqPCR (stabMeasureM) run in R 4.2.2 on these three columns,
    # 0.5165, 0.5614, 0.5213. Expected ρ: Andersen's own program's rule for a negative variance
    # estimate (TPT1 in Dukes A; tests/analysis/test_refgenes.py writes it out loop by loop):
    # 0.1259, 0.1563, 0.1390 (NormqPCR, which sets it to 0, gives 0.1270, 0.1575, 0.1310).
    table = tmp_path / "colon.csv"
    write_colon_wells(table, ["UBC", "GAPD", "TPT1", "ACTB"])
    out = tmp_path / "out"
    arguments = ["--reference", "UBC,GAPD,TPT1", "--control", "Normal", "--out", str(out)]
    assert main(["analyze", str(table), *arguments]) == 0
    printed = capsys.readouterr().out
    assert "geNorm M UBC 0.52, GAPD 0.56, TPT1 0.52" in printed
    assert "NormFinder ρ across the groups UBC 0.13, GAPD 0.16, TPT1 0.14" in printed
    notes = json.loads((out / "analysis.json").read_text())["notes"]
    assert any("geNorm M UBC 0.52" in note for note in notes)
    assert "geNorm M UBC 0.52" in (out / "report.html").read_text()


def test_references_that_disagree_are_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ct of R2 minus Ct of R1 in the four samples: 0, 2, 0, 2; its SD, geNorm's M for both, is
    # sqrt(((-1)² + 1² + (-1)² + 1²) / 3) = 1.15, above 1.
    rows = ["group,sample,gene,ct"]
    for sample, (group, r2, target) in enumerate(
        [("c", 20.0, 25.0), ("c", 22.0, 25.5), ("t", 20.0, 27.0), ("t", 22.0, 27.5)]
    ):
        rows += [f"{group},s{sample},R1,20.0", f"{group},s{sample},R2,{r2}",
                 f"{group},s{sample},X,{target}"]  # fmt: skip
    table = tmp_path / "ct.csv"
    table.write_text("\n".join(rows) + "\n")
    arguments = ["--reference", "R1,R2", "--control", "c", "--out", str(tmp_path / "out")]
    assert main(["analyze", str(table), *arguments]) == 0
    captured = capsys.readouterr()
    assert "geNorm M R1 1.15, R2 1.15" in captured.out
    assert "the reference genes disagree with one another (geNorm M 1.15, above 1)" in (
        captured.out + captured.err
    )


def test_a_gene_no_well_of_a_group_detected_is_a_row_not_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _table(tmp_path)
    # FOS: measured in brain, Undetermined in every kidney well (6 of 6).
    extra = [f"brain,brain{i},FOS,{30.0 + i / 10}" for i in range(6)]
    extra += [f"kidney,kidney{i},FOS,Undetermined" for i in range(6)]
    path.write_text(path.read_text() + "\n".join(extra) + "\n")
    out = tmp_path / "out"
    status = main([
        "analyze", str(path), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(out),
    ])  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0
    assert "not detected (6 of 6 wells without Ct)" in text
    with (out / "expression.csv").open() as handle:
        rows = {(r["gene"], r["group"]): r for r in csv.DictReader(handle)}
    fos = rows[("FOS", "kidney")]
    assert (fos["n"], fos["fold_change"], fos["p_value"]) == ("0", "", "")
    assert fos["detection"] == "not detected (6 of 6 wells without Ct)"
    assert rows[("c-myc", "kidney")]["detection"] == ""
    assert "Tests:      technical replicates averaged within each cDNA sample" in text


def test_the_console_shows_names_in_full_and_groups_in_natural_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Made here: two genes whose names share their first 10 characters (were both shown as
    # "gene.of.in"), and dilution groups that sort as text as 1600, 3200, 400, 800.
    lines = ["group,sample,gene,ct"]
    for group, shift in (("400", 0.0), ("800", 1.0), ("1600", 2.0), ("3200", 3.0)):
        for rep in (1, 2):
            sample = f"s{group}_{rep}"
            lines += [f"{group},{sample},GAPDH,{20 + 0.1 * rep}",
                      f"{group},{sample},gene.of.interest.1,{25 - shift}",
                      f"{group},{sample},gene.of.interest.2,{26 - shift}"]  # fmt: skip
    table = tmp_path / "ct.csv"
    table.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(table), "--reference", "GAPDH", "--control", "400",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    rows = [line.split()[:2] for line in printed.splitlines() if line.startswith("gene.of")]
    assert rows == [[g, k] for g in ("gene.of.interest.1", "gene.of.interest.2")
                    for k in ("400", "800", "1600", "3200")]  # fmt: skip
    assert "fold (low-high)" in printed


def test_an_odd_validation_report_is_read_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Made here: a finding without a message, and "conditions": null (a hand-edited report).
    report = tmp_path / "validation.json"
    report.write_text(json.dumps({"schema_version": 1, "conditions": None, "pairs": [
        {"gene": "C-MYC", "verdict": "fail", "findings": [{"code": "product",
                                                          "severity": "fail"}]},
        {"gene": "GAPDH", "verdict": "pass", "findings": []}]}))  # fmt: skip
    status = main([
        "analyze", str(_table(tmp_path)), "--reference", "GAPDH", "--control", "brain",
        "--column", "group=tissue", "--out", str(tmp_path / "out"), "--assays", str(report),
    ])  # fmt: skip
    assert status == 0
    assert "WARNING c-myc: assay fail in validation: product" in capsys.readouterr().out
