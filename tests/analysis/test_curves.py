"""Raw-curve analysis against published results and curves with known parameters.

Expected values come from outside our code: Ruijter et al. 2013's per-reaction LinRegPCR Cq and
quantities for the Vermeulen dilution series (data_vermeulen_methods_*.tsv), the efficiencies
RDML-Tools stored in the RDML files, curves simulated here with known efficiency, N0 and baseline,
and melt Tms predicted by Primer3's long-sequence formula written out by hand.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import cumulative_trapezoid

from assay.analysis.curves import fit_curves
from assay.analysis.instruments import read_export
from assay.analysis.melt import melt_peaks
from assay.analysis.rawcurves import analyse_exports
from assay.cli.main import main

CURVES = Path(__file__).parent / "fixtures" / "curves"
VERMEULEN = CURVES / "vermeulen" / "data_vermeulen_std_150000_15.rdml"
Fitted = tuple[Any, Any]  # (the wells with our Cq, N0, assay and input copies; the CurveFit)
EXPORTS = Path(__file__).parent / "fixtures" / "instrument_exports"
# Every real RDML file: the curve sets and the instrument exports (all carry raw points).
ALL_RDML = sorted(CURVES.glob("*/*.rdml")) + sorted((EXPORTS / "rdml").glob("*.rdml"))


def _published(name: str, method: str) -> dict[str, dict[float, list[float]]]:
    """Assay -> input copies -> the method's values, from the paper's semicolon tables."""
    found: dict[str, dict[float, list[float]]] = {}
    genes: list[str] = []
    current = None
    for line in (CURVES / "vermeulen" / name).read_text().splitlines():
        cells = line.split(";")
        if cells[0] == "method":
            current, genes = cells[1], cells[3:]
            continue
        if current == method and len(cells) > 3 and cells[2].startswith("STD_"):
            copies = float(cells[2].split("_")[1])
            for gene, text in zip(genes, cells[3:], strict=False):
                value = float(text) if text.strip() else math.nan
                found.setdefault(gene, {}).setdefault(copies, []).append(value)
    return found


@pytest.fixture(scope="module")
def vermeulen() -> Fitted:
    export = read_export(VERMEULEN)
    assert export is not None
    assert export.amplification is not None
    wells = export.wells
    fit = fit_curves(export.amplification.x, export.amplification.y, wells["target"].tolist())
    return wells.assign(
        cq_ours=fit.cq, n0=fit.n0,
        assay=wells["target"].str.replace(r"_\d{8}$", "", regex=True),
        copies=wells["sample"].str.extract(r"STD_(\d+)")[0].astype(float),
    ), fit  # fmt: skip


def _slope(copies: list[float], values: list[float]) -> float:
    x, y = np.log10(copies), np.log10(values)
    return float(np.polyfit(x, y, 1)[0])


def test_vermeulen_quantities_are_as_unbiased_as_linregpcrs(vermeulen: Fitted) -> None:
    # Ruijter 2013: the slope of log N0 on log input over the five ten-fold dilutions is 1 for
    # an unbiased method. Ours is compared, per assay, with LinRegPCR's published quantities.
    wells, _ = vermeulen
    published = _published("data_vermeulen_methods_quant.tsv", "LinRegPCR")
    ours, theirs = [], []
    for assay, rows in wells.groupby("assay"):
        if assay not in published:
            continue
        ours.append(_slope(rows["copies"].tolist(), rows["n0"].tolist()))
        pairs = [(q, v) for q, vs in published[assay].items() for v in vs if v > 0]
        theirs.append(_slope([q for q, _ in pairs], [v for _, v in pairs]))
    assert len(ours) >= 60
    bias_ours = np.median(np.abs(np.array(ours) - 1))
    bias_theirs = np.median(np.abs(np.array(theirs) - 1))
    assert bias_ours <= bias_theirs
    assert 0.9 < np.mean(ours) < 1.05


def test_vermeulen_cq_for_nearly_every_reaction(vermeulen: Fitted) -> None:
    wells, fit = vermeulen
    assert len(wells) == 960
    assert np.isfinite(wells["cq_ours"]).mean() >= 0.95
    efficiencies = [w.efficiency for w in fit.windows.values()]
    assert all(1.75 <= e <= 2.0 for e in efficiencies)


def test_vermeulen_cq_follows_linregpcrs_within_each_assay(vermeulen: Fitted) -> None:
    # Thresholds differ by a constant per assay; after it, the Cqs agree to a few hundredths.
    wells, _ = vermeulen
    published = _published("data_vermeulen_methods_cq.tsv", "LinRegPCR")
    spreads = []
    for assay, rows in wells.groupby("assay"):
        if assay not in published:
            continue
        gaps: list[float] = []
        for copies, group in rows.groupby("copies"):
            gaps += list(np.sort(group["cq_ours"]) - np.sort(published[assay][copies]))
        spreads.append(float(np.std(gaps, ddof=1)))
    assert len(spreads) >= 60
    assert np.median(spreads) < 0.03
    assert max(spreads) < 0.1


def test_vermeulen_efficiencies_match_rdml_tools(vermeulen: Fitted) -> None:
    # The file carries each target's efficiency as RDML-Tools (LinRegPCR) computed it.
    _, fit = vermeulen
    xml = zipfile.ZipFile(VERMEULEN).read("rdml_data.xml").decode()
    pattern = r'<(?:rdml:)?target id="([^"]+)">.*?<amplificationEfficiency>([\d.]+)<'
    stored = {m.group(1): float(m.group(2)) for m in re.finditer(pattern, xml, re.S)}
    differences = [fit.windows[t].efficiency - e for t, e in stored.items() if t in fit.windows]
    assert len(differences) >= 60
    assert abs(float(np.median(differences))) < 0.03
    assert np.mean(np.abs(differences) < 0.05) >= 0.8  # measured: 86 % of 64 targets


def _simulated(efficiency: float, n0: float, baseline: float, cycles: int = 45) -> np.ndarray:
    """A curve with known parameters, on a constant baseline, with noise.

    The efficiency is constant until the amount nears the plateau of 1000; it falls as
    1 - (N/1000)^3.
    """
    rng = np.random.default_rng(int(n0 * 1e9) % 2**32)
    amount = [n0]
    for _ in range(cycles - 1):
        last = amount[-1]
        amount.append(last + last * (efficiency - 1) * (1 - (last / 1000.0) ** 3))
    return baseline + np.array(amount) + rng.normal(0, 0.002, cycles)


def test_known_efficiency_n0_and_baseline_are_recovered() -> None:
    starts = [1e-5, 1e-4, 1e-3, 1e-2]
    y = np.array([_simulated(1.9, n0, 5.0) for n0 in starts for _ in range(3)])
    x = np.tile(np.arange(1, y.shape[1] + 1, dtype=float), (y.shape[0], 1))
    fit = fit_curves(x, y, ["sim"] * len(y))
    assert fit.windows["sim"].efficiency == pytest.approx(1.9, abs=0.02)
    assert np.allclose(fit.baseline, 5.0, atol=0.01)
    ratios = fit.n0[3::3] / fit.n0[:-3:3]  # each dilution step is ten-fold
    assert np.allclose(ratios, 10.0, rtol=0.1)
    # Cq steps by log(10)/log(1.9) = 3.59 cycles per ten-fold.
    assert np.allclose(np.diff(fit.cq[::3]), -math.log(10) / math.log(1.9), atol=0.1)


def test_a_flat_curve_is_not_called_amplified() -> None:
    rng = np.random.default_rng(3)
    flat = 5.0 + rng.normal(0, 0.01, 40)
    rising = _simulated(1.9, 1e-3, 5.0, 40)
    y = np.array([rising, rising + 0.01, flat])
    fit = fit_curves(np.tile(np.arange(1.0, 41.0), (3, 1)), y, ["t", "t", "t"])
    assert fit.amplified.tolist() == [True, True, False]
    assert fit.reason[2] == "no rise above the noise"
    assert math.isnan(fit.cq[2])


@pytest.mark.parametrize(
    ("missing", "amplified", "points"),
    [
        ((15, 19), True, 3),  # three readings left in the window: an efficiency, a call
        ((18, 20), False, 0),  # readings missing about the SDM: no slope to fit in the window
    ],
)
def test_a_reaction_without_points_enough_for_an_efficiency_is_not_called_amplified(
    missing: tuple[int, ...], amplified: bool, points: int
) -> None:
    # Found by the fuzz suite: a curve with readings missing crossed the threshold with no
    # efficiency of its own and was called amplified (a Cq with nothing to measure it by).
    y = np.array([_simulated(1.9, n0, 5.0) for n0 in (1e-3, 1.1e-3, 0.9e-3, 1.2e-3, 1e-3)])
    y[4, list(missing)] = np.nan
    fit = fit_curves(np.tile(np.arange(1.0, 46.0), (5, 1)), y, ["t"] * 5)
    assert (bool(fit.amplified[4]), int(fit.points[4])) == (amplified, points)
    assert np.isfinite(fit.efficiency[4]) == amplified
    if not amplified:
        assert fit.reason[4].startswith("fewer than 3 readings in the log-linear window")
    assert fit.amplified[:4].all()


def _melt(peaks: list[tuple[float, float]], step: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Fluorescence whose -dF/dT is a sum of Gaussians (Tm, height), plus a falling background."""
    t = np.arange(60.0, 95.0, step)
    derivative = np.full(t.shape, 0.01)
    for tm, height in peaks:
        derivative += height * np.exp(-0.5 * ((t - tm) / 0.8) ** 2)
    fluorescence = 10.0 - cumulative_trapezoid(derivative, t, initial=0.0)
    return t, fluorescence


def test_melt_peaks_of_known_tm_are_found() -> None:
    one = _melt([(82.0, 1.0)])
    two = _melt([(84.0, 1.0), (75.0, 0.4)])
    x = np.array([one[0], two[0]])
    y = np.array([one[1], two[1]])
    found = melt_peaks(x, y).peaks
    assert [p.tm_c for p in found[0]] == [pytest.approx(82.0, abs=0.1)]
    assert [p.tm_c for p in found[1]] == [
        pytest.approx(84.0, abs=0.1),
        pytest.approx(75.0, abs=0.1),
    ]
    assert found[1][1].relative == pytest.approx(0.4, abs=0.05)


def _long_seq_tm(sequence: str) -> float:
    # Primer3's long-sequence formula by hand: 50 mM K+, 1.5 mM Mg2+ and 0.6 mM dNTP counted as
    # 50 + 120 * sqrt(0.9) = 163.84 mM monovalent equivalents.
    gc = 100.0 * sum(b in "GC" for b in sequence) / len(sequence)
    return 81.5 + 16.6 * math.log10(0.16384) + 0.41 * gc - 600.0 / len(sequence)


def test_melt_peaks_of_the_evagreen_run_sit_at_the_predicted_tm() -> None:
    export = read_export(CURVES / "untergasser" / "eva_green_a.rdml")
    assert export is not None
    analysis = analyse_exports([export])
    amplicons = dict(export.amplicons)
    for row in analysis.targets.to_dict(orient="records"):
        predicted = _long_seq_tm(amplicons[row["target"]])
        assert row["predicted_tm_c"] == pytest.approx(predicted, abs=0.05)
        assert abs(row["observed_tm_c"] - predicted) <= 3.0
        assert row["melt"].startswith("one product, as predicted")


def test_non_amplifying_reactions_have_no_melt_peak_and_no_cq() -> None:
    # own_mix_b: SYBR at 1:100 inhibits the reaction (the raw curves only fall).
    export = read_export(CURVES / "untergasser" / "own_mix_b.rdml")
    assert export is not None
    reactions = analyse_exports([export]).reactions
    inhibited = reactions[reactions["target"] == "SYBR 1:100"]
    assert not inhibited["amplified"].any()
    assert inhibited["cq"].isna().all()
    assert (inhibited["melt_peaks"] == "").all()


@pytest.mark.parametrize("path", ALL_RDML, ids=lambda p: p.name)
def test_every_real_rdml_is_analysed(path: Path) -> None:
    export = read_export(path)
    assert export is not None
    analysis = analyse_exports([export])
    assert len(analysis.reactions) == len(export.wells)
    called = analysis.reactions["amplified"].fillna(False).astype(bool)
    reason = analysis.reactions["not_amplified_because"].fillna("").astype(str)
    unreliable = reason.str.startswith("unreliable: ")
    # A Cq exactly where a reaction is called amplified or crosses without an exponential phase
    # to measure (unreliable), and a reason wherever it is not called amplified.
    assert (analysis.reactions["cq"].notna() == (called | unreliable)).all()
    reasons = analysis.reactions.loc[~called, "not_amplified_because"]
    assert (reasons != "").all()
    assert set(analysis.targets["target"]) == set(export.wells["target"])


def test_panels_are_drawn_only_for_targets_with_readings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CFX Connect run's Cq results name GAPDH and HSP90; its amplification export beside it
    # holds GAPDH's curves only (the file's own name says so): an HSP90 panel would be empty.
    from shared import INSTRUMENT_EXPORTS

    from assay.analysis import figures

    cfx = (
        INSTRUMENT_EXPORTS / "cfx" / "sam_2024-03-25_07-35-33_Connect-Quantification-Cq-Results.csv"
    )
    export = read_export(cfx, raw=True)
    assert export is not None
    assert set(export.wells["target"]) == {"GAPDH", "HSP90"}
    drawn: list[str] = []
    monkeypatch.setattr(
        figures, "_paged", lambda panels, *_: drawn.extend(p.target for p in panels)
    )
    figures.amplification_figure(analyse_exports([export]).runs, tmp_path / "amplification")
    assert drawn == ["GAPDH"]


def test_panel_titles_wrap_long_names_whole() -> None:
    from assay.analysis.figures import TITLE_CHARS, panel_title

    name = "ENSG00000111640.15_internal_assay_id"
    lines = panel_title(name).split("\n")
    assert "".join(lines) == name  # every character kept
    assert max(map(len, lines)) == TITLE_CHARS
    assert panel_title("x" * TITLE_CHARS) == "x" * TITLE_CHARS  # at the limit: one line


def _sheet_panels(x_ranges: list[tuple[float, float]]) -> tuple[list[Any], list[Any]]:
    from assay.analysis.figures import _Marks, _Panel

    panels = []
    for low, high in x_ranges:
        x = np.linspace(low, high, 11)[None, :].repeat(2, axis=0)
        y = np.vstack([np.linspace(0.0, 1.0, 11), np.zeros(11)])
        panels.append(_Panel("t", x, y, np.array([False, True]), None))
    return panels, [_Marks(f"t{i}") for i in range(len(panels))]


def test_a_curve_sheet_maps_each_panel_into_its_box() -> None:
    from matplotlib.collections import LineCollection

    from assay.analysis import figures

    plt = figures._pyplot()
    panels, marks = _sheet_panels([(0.0, 10.0)])
    figure = figures._sheet(plt, panels, marks, "#0072B2", "cycle", "log10 F")
    try:
        (canvas,) = figure.axes
        samples, controls = [c for c in canvas.collections if isinstance(c, LineCollection)][:2]
        # By hand, in inches: x 0-10 with 5 % margins is -0.5-10.5; y 0-1 is -0.05-1.05. The
        # panel starts 0.55 in from the left; its plot is 0.88 in high and 1.26 in wide (4 to a
        # row of 7.1 in, less margins of 0.55 and 0.12 and gaps of 0.45).
        width = (7.1 - 0.55 - 0.12 - 3 * 0.45) / 4
        first = samples.get_segments()[0][0]
        # One row of 1.45 in and 0.1 in below; a one-line title: 0.33 in above the plot.
        assert figure.get_figheight() == pytest.approx(1.55)
        bottom = 1.55 - 0.33 - 0.88
        assert first[0] == pytest.approx(0.55 + 0.5 / 11 * width)
        assert first[1] == pytest.approx(bottom + 0.05 / 1.1 * 0.88)
        assert len(controls.get_segments()) == 1  # the control curve drawn apart (grey, dashed)
        assert figure.get_figwidth() == pytest.approx(0.55 + width + 0.12)  # one panel: narrow
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    ("x_ranges", "labelled"),
    [
        ([(0.0, 40.0)] * 6, 4),  # shared: only the panels with nothing below are labelled
        ([(0.0, 40.0)] * 5 + [(1.0, 40.0)], 6),  # one differs: every panel is labelled
    ],
)
def test_x_tick_labels_are_written_once_a_column_only_when_every_panel_shares_them(
    x_ranges: list[tuple[float, float]], labelled: int
) -> None:
    from assay.analysis import figures

    plt = figures._pyplot()
    panels, marks = _sheet_panels(x_ranges)
    figure = figures._sheet(plt, panels, marks, "#0072B2", "cycle", "log10 F")
    try:
        texts = [t.get_text() for t in figure.axes[0].texts]
        assert texts.count("cycle") == 4  # the axis named under each column's lowest panel
        assert texts.count("20") == labelled  # 0, 10, 20, 30, 40 under each labelled panel
    finally:
        plt.close(figure)


def test_a_curve_too_extreme_to_draw_is_refused_in_words() -> None:
    from assay.analysis import figures
    from assay.errors import InputError

    plt = figures._pyplot()
    panels, marks = _sheet_panels([(0.0, 10.0)])
    panels[0] = figures._Panel("t", panels[0].x, np.array([[-1e308] * 5 + [1e308] * 6] * 2),
                               panels[0].controls, None)  # fmt: skip
    with pytest.raises(InputError, match="too extreme to plot"):
        figures._sheet(plt, panels, marks, "#0072B2", "cycle", "log10 F")
    plt.close("all")


def test_assay_curves_writes_tables_figures_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    path = CURVES / "untergasser" / "own_mix_b.rdml"
    assert main(["curves", str(path), "--out", str(out)]) == 0
    written = {p.name for p in out.iterdir()}
    assert {"curves.csv", "targets.csv", "report.html", "amplification.png", "melt.png"} <= written
    text = (out / "report.html").read_text()
    assert "Amplification and melt curves" in text
    assert "one product, as predicted" in text
    printed = capsys.readouterr().out
    assert "window of linearity" in printed
    assert "SYBR 1:100: 0/3 amplified" in printed


def test_a_file_without_raw_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = Path(__file__).parent / "fixtures" / "instrument_exports"
    plain = next(p for p in sorted((exports / "quantstudio").iterdir()) if p.suffix == ".txt")
    status = main(["curves", str(plain), "--out", str(tmp_path / "out")])
    assert status == 2
    assert "raw amplification or melt data" in capsys.readouterr().err


def test_assay_analyze_takes_cq_and_efficiency_from_the_curves(tmp_path: Path) -> None:
    # own_mix_a has raw curves and no Cq: analyze reads Cqs and efficiencies from the curves
    # (as assay curves does) and gives the efficiency-corrected ratio (Pfaffl 2001).
    rdml = CURVES / "untergasser" / "own_mix_a.rdml"
    export = read_export(rdml)
    assert export is not None
    chosen = {"D11": "a", "H8": "a", "D12": "b", "H9": "b"}  # one target and Roche each
    sheet = tmp_path / "samples.csv"
    sheet.write_text("well,sample,group\n" + "".join(
        f"{w},s_{chosen.get(w, 'other')},{chosen.get(w, 'other')}\n" for w in export.wells["well"]
    ))  # fmt: skip
    out = tmp_path / "analysis"
    argv = ["analyze", str(rdml), "--samples", str(sheet), "--reference", "Roche",
            "--control", "a", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    curves_out = tmp_path / "curves"
    assert main(["curves", str(rdml), "--out", str(curves_out)]) == 0
    by_well = pd.read_csv(curves_out / "curves.csv", dtype={"melt_peaks": str}).set_index("well")
    targets = pd.read_csv(curves_out / "targets.csv").set_index("target")["efficiency"]
    wells = pd.read_csv(out / "wells.csv").set_index("well")
    used = wells[wells["fate"] == "used"]
    assert np.allclose(used["ct"], by_well.loc[used.index, "cq"], atol=1e-3)
    target, reference = "DMSO 0.0 - Mg 3.0", "Roche"
    e_t, e_r = targets[target], targets[reference]
    ct = by_well["cq"]
    # Pfaffl: E_t^(Ct_t,a - Ct_t,b) / E_r^(Ct_r,a - Ct_r,b), b against the calibrator a.
    expected = e_t ** (ct["D11"] - ct["D12"]) / e_r ** (ct["H8"] - ct["H9"])
    expression = pd.read_csv(out / "expression.csv")
    row = expression[(expression["gene"] == target) & (expression["group"] == "b")]
    assert float(row["fold_change"].iloc[0]) == pytest.approx(expected, rel=1e-3)
    analysis = (out / "analysis.json").read_text()
    assert "Pfaffl" in analysis
    # wells.csv says what the curves say of each well: amplified, and its melt peak(s).
    assert (used["curves"] == "amplified; melt " + by_well.loc[used.index, "melt_peaks"]).all()


def test_wells_not_amplified_say_why() -> None:
    from assay.analysis.wells import read_wells

    table = read_wells(CURVES / "untergasser" / "own_mix_b.rdml", cq_from="curves")
    every = pd.concat([table.wells, table.excluded])
    inhibited = every[every["gene"] == "SYBR 1:100"]
    assert len(inhibited) == 3
    assert inhibited["curves"].str.startswith("not amplified: ").all()
    assert inhibited["ct"].isna().all()


QUANTSTUDIO = sorted(
    p for p in (EXPORTS / "quantstudio").glob("*.xlsx")
)  # every workbook there carries an Amplification Data sheet
MELT_WORKBOOK = (
    EXPORTS
    / "quantstudio"
    / ("appbio_quantstudio_designandanalysis_QS7Pro_PCR_with_Melt_example09.xlsx")
)


@pytest.mark.parametrize("path", QUANTSTUDIO, ids=lambda p: p.name[-30:])
def test_quantstudio_raw_sheets_give_the_instruments_amplification_calls(path: Path) -> None:
    # The instrument software gave a Ct exactly to the wells it called amplified.
    export = read_export(path, raw=True)
    assert export is not None
    assert export.amplification is not None
    reactions = analyse_exports([export]).reactions
    assert (reactions["cq"].notna() == reactions["instrument_cq"].notna()).all()


def _instrument_melt_peaks() -> dict[str, list[tuple[float, float]]]:
    """Well -> the instrument's (Tm, peak height), from the Melt Curve Result sheet."""
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(MELT_WORKBOOK, read_only=True)
    rows = list(book["Melt Curve Result"].iter_rows(values_only=True))
    book.close()
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Well") + 1
    peaks: dict[str, list[tuple[float, float]]] = {}
    for row in rows[start:]:
        if row and row[1]:
            peaks.setdefault(str(row[1]), []).append((float(row[4]), float(row[5])))
    return peaks


def test_quantstudio_melt_peaks_match_the_instruments() -> None:
    export = read_export(MELT_WORKBOOK, raw=True)
    assert export is not None
    assert export.melt is not None
    reactions = analyse_exports([export]).reactions.set_index("well")
    instrument = _instrument_melt_peaks()
    assert len(instrument) == 96
    for well, peaks in instrument.items():
        main_tm = max(peaks, key=lambda p: p[1])[0]
        assert reactions.loc[well, "melt_tm_c"] == pytest.approx(main_tm, abs=0.5)
    # The instrument also lists peaks of about 15 % of the main one at 63-78 C; they sit on the
    # flat -dF/dT below the main melt (prominence under 0.01/C), which our rules do not call.
    assert (reactions["melt_peaks"].str.count(";") == 0).all()


def test_quantstudio_cq_follows_the_instruments_ct() -> None:
    # Thresholds differ by a constant; after it, Cq and the instrument's Ct agree closely.
    export = read_export(MELT_WORKBOOK, raw=True)
    assert export is not None
    reactions = analyse_exports([export]).reactions
    gaps = reactions["cq"] - reactions["instrument_cq"]
    assert gaps.notna().sum() == 96
    assert float(gaps.std()) < 0.06


def _rdml_tools_calls(name: str) -> dict[tuple[str, str, str], bool]:
    """(experiment / run, well, target) -> RDML-Tools' LinRegPCR amplification call."""
    import csv

    from shared import CURVES

    with (CURVES / "untergasser" / name).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    rows = [r for r in rows if r["well"] != "well"]  # the header, repeated per experiment
    return {
        (f"{r['Experiment']} / {r['Run']}", r["well"], r["target"]): r["amplification"] == "True"
        for r in rows
    }


def test_three_experiments_on_three_instruments_are_analysed_apart() -> None:
    # volume_machine.rdml: LightCycler 480, QuantStudio 6 and StepOne, each with a "Run 1".
    # Pooled per target, the LightCycler's FSTL1 reactions all came out "not amplified".
    from shared import CURVES

    export = read_export(CURVES / "untergasser/volume_machine.rdml", raw=True)
    assert export is not None
    reactions = analyse_exports([export]).reactions
    assert len(set(reactions["plate"])) == 3
    fstl1 = reactions[(reactions["target"] == "FSTL1")
                      & reactions["plate"].str.startswith("AMC Amsterdam")]  # fmt: skip
    assert len(fstl1) == 27
    assert fstl1["amplified"].all()
    calls = _rdml_tools_calls("volume_results.tsv")
    ours = {(str(p), str(w), str(t)): bool(a) for p, w, t, a in zip(
        reactions["plate"], reactions["well"], reactions["target"], reactions["amplified"],
        strict=True)}  # fmt: skip
    agree = sum(ours[k] == v for k, v in calls.items()) / len(calls)
    # 0.983 now (169 of 172; 0.890 pooled, 0.930 before the log-phase rule); the rest are "no
    # primer" reactions whose efficiency RDML-Tools measures lower (1.11-1.17) than we do.
    assert agree >= 0.98


def test_hydrolysis_probe_calls_agree_with_rdml_tools() -> None:
    # probes.rdml: 504 reactions of FSTL1 probe assays, many from 4 ng of genomic DNA (a few
    # copies) at low primer concentrations. RDML-Tools calls none amplified whose log phase
    # holds fewer than 5 readings or rises less than 1.4-fold a cycle.
    from shared import CURVES

    from assay.analysis.rawcurves import summary_text

    export = read_export(CURVES / "untergasser/probes.rdml", raw=True)
    assert export is not None
    analysis = analyse_exports([export])
    reactions = analysis.reactions
    calls = _rdml_tools_calls("probes_results.tsv")
    ours = {(str(p), str(w), str(t)): bool(a) for p, w, t, a in zip(
        reactions["plate"], reactions["well"], reactions["target"], reactions["amplified"],
        strict=True)}  # fmt: skip
    # One experiment: a plate is named by its run alone.
    agree = sum(ours[(k[0].split(" / ", 1)[1], k[1], k[2])] == v for k, v in calls.items())
    # 490 of 504 (0.972; 0.923 before the log-phase rule). The 14 left: 9 RDML-Tools finds a
    # baseline error in (its own baseline, fitted over the log phase, differs from ours), 5 it
    # calls amplified where our window holds too few of their readings.
    assert agree / len(calls) >= 0.97
    # Curves that cross without an exponential phase keep their Cq, said unreliable.
    unreliable = reactions["not_amplified_because"].str.startswith("unreliable: ")
    assert unreliable.sum() >= 10
    assert reactions.loc[unreliable, "cq"].notna().all()
    assert not reactions.loc[unreliable, "amplified"].any()
    # The console says so beside the count of Cqs, and the method names the rule.
    said = summary_text(analysis)
    assert f"{int(unreliable.sum())} of them unreliable: no exponential phase" in said
    assert "fewer than 5 readings or rises less than 1.4-fold a cycle is unreliable" in said


@pytest.mark.parametrize(("kept", "amplified"), [(4, False), (5, True)])
def test_a_log_phase_needs_five_readings(kept: int, amplified: bool) -> None:
    from assay.analysis.curves import MIN_LOG_PHASE, log_phases

    # A clean curve (E 1.9) whose log phase holds 12 readings (LinRegPCR's most), and a copy
    # with one reading raised above the next: the unbroken rise before the stop cycle keeps
    # `kept` readings.
    clean = _simulated(1.9, 1e-3, 5.0, 40)
    stop = int(log_phases(clean[None, :], clean[None, :] - 5.0).stop[0])
    broken = clean.copy()
    broken[stop - kept] = broken[stop - kept + 1] + 1e-3
    y = np.array([clean, clean + 0.001, broken])
    fit = fit_curves(np.tile(np.arange(1.0, 41.0), (3, 1)), y, ["t"] * 3)
    assert MIN_LOG_PHASE == 5
    assert log_phases(y, fit.corrected).points.tolist() == [12, 12, kept]
    assert bool(fit.amplified[2]) == amplified
    assert bool(fit.unreliable[2]) != amplified
    assert math.isfinite(fit.cq[2])  # crossing the threshold, it keeps its Cq either way
    if not amplified:
        assert fit.reason[2] == ("unreliable: only 4 readings in its log phase (fewer than 5), "
                                 "no exponential phase to measure")  # fmt: skip


@pytest.mark.parametrize(("factor", "amplified"), [(1.39, False), (1.41, True)])
def test_a_log_phase_rising_slower_than_the_limit_is_unreliable(
    factor: float, amplified: bool
) -> None:
    # Three reactions of E 1.9 and one rising `factor`-fold a cycle to the same plateau: the
    # target's efficiency is normal, the slow reaction is judged by its own log phase.
    cycles = np.arange(1, 41, dtype=float)
    top = 1e-4 * 1.9**20
    y = np.vstack([1.0 + np.minimum(top / e**25 * e ** (cycles - 5), top)
                   for e in (1.9, 1.9, 1.9, factor)])  # fmt: skip
    fit = fit_curves(np.tile(cycles, (4, 1)), y, ["t"] * 4)
    assert fit.amplified[:3].all()
    assert bool(fit.amplified[3]) == amplified
    assert bool(fit.unreliable[3]) != amplified
    assert fit.windows["t"].efficiency == pytest.approx(1.9, abs=0.01)
    if not amplified:
        assert fit.reason[3].startswith("unreliable: it rises 1.39-fold a cycle over its log phase")


@pytest.mark.parametrize(
    ("efficiencies", "flat"),
    [
        # A target whose reactions all have an efficiency below 1.4 has no exponential phase.
        ([1.39, 1.2, 1.1], True),
        ([1.40, 1.45, 1.5], False),
    ],
)
def test_reactions_without_an_exponential_phase_are_not_amplified(
    efficiencies: list[float], flat: bool
) -> None:
    from assay.analysis.curves import MIN_REACTION_EFFICIENCY, fit_curves

    # Curves that rise by the given factor per cycle from a flat baseline of 1.0 until cycle 25,
    # then saturate: each reaction's efficiency is its factor.
    cycles = np.arange(1, 41, dtype=float)
    x = np.tile(cycles, (3, 1))
    y = np.vstack([1.0 + 1e-4 * np.minimum(e ** (cycles - 5), e**20) for e in efficiencies])
    fit = fit_curves(x, y, ["t", "t", "t"])
    assert MIN_REACTION_EFFICIENCY == 1.4
    if flat:
        assert not fit.amplified.any()
        assert all("no exponential phase" in r for r in fit.reason)
    else:
        assert fit.amplified.all()


def test_curve_and_standard_curve_efficiencies_that_differ_are_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A TaqMan relative standard-curve run: its raw curves give RNase P an efficiency of 1.78,
    # its own dilution series 1.93 (Design & Analysis applied the latter). Which one is used
    # moves every fold change, so the output says so; the export's Cq means (of the
    # instrument's Cqs) are not held against the curves' Cqs.
    path = EXPORTS / ("quantstudio/appbio_quantstudio_designandanalysis_QS7Pro_Relative_"
                      "Standard_Curve_example13.xlsx")  # fmt: skip
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--cq-from", "curves", "--standard-curve", str(path),
                 "--reference", "IPC", "--control", "unk_400", "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    said = re.search(r"efficiency: RNase P (\d\.\d\d) from the raw curves, (\d\.\d\d) from its "
                     r"standard curve", printed)  # fmt: skip
    assert said is not None
    assert abs(float(said[1]) - float(said[2])) > 0.05
    assert "contradicts the export's own mean" not in printed


@pytest.mark.parametrize(
    ("part", "value", "refused"),
    [
        ("amplification", 1000.0, False),  # the last cycle a run could have
        ("amplification", 1000.5, True),
        ("amplification", -0.5, True),
        ("melt", 150.0, False),
        ("melt", 150.5, True),
        ("fluorescence", 1e12, False),
        ("fluorescence", 2e12, True),
        ("repeated cycle", 2.0, True),  # cycle 2 read twice (the file's cycle 1 becomes 2)
    ],
)
def test_readings_no_instrument_makes_are_refused_before_any_fit(
    part: str, value: float, refused: bool
) -> None:
    from dataclasses import replace

    from assay.analysis.rawcurves import check_readings
    from assay.errors import InputError

    export = read_export(CURVES / "untergasser" / "eva_green_a.rdml")
    assert export is not None
    traces = export.melt if part == "melt" else export.amplification
    assert traces is not None
    x, y = np.array(traces.x, dtype=float), np.array(traces.y, dtype=float)
    if part == "fluorescence":
        y[0, 0] = value
    else:
        x[0, 0] = value
    assert part != "repeated cycle" or x[0, 1] == 2.0  # the real file's cycles are 1, 2, ...
    changed = replace(traces, x=x, y=y)
    damaged = (replace(export, melt=changed) if part == "melt"
               else replace(export, amplification=changed))  # fmt: skip
    if refused:
        said = "reads cycle 2 twice" if part == "repeated cycle" else (
            rf"has a reading at .*{re.escape(f'{value:g}')}: no")  # fmt: skip
        with pytest.raises(InputError, match=said):
            check_readings(damaged)
    else:
        check_readings(damaged)


@pytest.mark.parametrize(("readings", "plateau"), [(31, True), (30, False)])
def test_a_curve_still_rising_at_its_end_has_no_plateau(readings: int, plateau: bool) -> None:
    # The same three curves (E 1.9, LinRegPCR's stop cycle at cycle 28) read for 31 or 30
    # cycles: LinRegPCR wants two readings after the stop cycle before the end.
    y = np.array([_simulated(1.9, n0, 5.0, 40)[:readings] for n0 in (1e-5, 1.1e-5, 0.9e-5)])
    fit = fit_curves(np.tile(np.arange(1.0, readings + 1), (3, 1)), y, ["t"] * 3)
    assert fit.amplified.all()
    assert fit.plateau.tolist() == [plateau] * 3


def _with_chemistry(source: Path, chemistry: str, folder: Path) -> Path:
    """A copy of a real RDML file whose dyes all state `chemistry` (deliberately changed)."""
    with zipfile.ZipFile(source) as archive:
        xml = archive.read("rdml_data.xml").decode()
    assert "<dyeChemistry>" in xml
    xml = re.sub(r"<dyeChemistry>[^<]*</dyeChemistry>", f"<dyeChemistry>{chemistry}</dyeChemistry>",
                 xml)  # fmt: skip
    copy = folder / f"{source.stem}_changed_to_{chemistry.replace(' ', '_')}.rdml"
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rdml_data.xml", xml)
    return copy


def test_hydrolysis_probe_melts_are_not_read_for_peaks() -> None:
    # probes.rdml states "hydrolysis probe" for every dye and carries melt readings anyway: the
    # cleaved reporter stays lit, so its "peaks" were noise (17 in one NTC).
    from shared import CURVES as SHARED_CURVES

    export = read_export(SHARED_CURVES / "untergasser" / "probes.rdml", raw=True)
    assert export is not None
    assert {c for _, c in export.chemistries} == {"hydrolysis probe"}
    analysis = analyse_exports([export])
    assert set(analysis.targets["melt"]) == {
        "not analysed: a hydrolysis probe's signal does not follow the amplicon's melting"
    }
    assert (analysis.targets["ntc_melt"] == "").all()
    assert (analysis.reactions["melt_peaks"] == "").all()
    assert analysis.reactions["melt_tm_c"].isna().all()
    assert any("hydrolysis probe not analysed" in n for n in analysis.notes)


@pytest.mark.parametrize(
    ("chemistry", "said"),
    [
        ("hydrolysis probe", r"^not analysed: a hydrolysis probe's signal"),
        ("hybridization probe", r"C: the hybridization probe's melting, not the amplicon's"),
        # As the file itself states: each main peak set beside the amplicon's predicted Tm.
        ("saturating DNA binding dye", r"main peak [\d.]+ C, predicted [\d.]+ C"),
    ],
)
def test_the_melt_verdict_follows_the_stated_chemistry(
    tmp_path: Path, chemistry: str, said: str
) -> None:
    copy = _with_chemistry(CURVES / "untergasser" / "own_mix_b.rdml", chemistry, tmp_path)
    analysis = analyse_exports([read_export(copy, raw=True)])  # type: ignore[list-item]
    with_peaks = analysis.targets[analysis.targets["amplified"] > 0]
    assert len(with_peaks) >= 3
    assert all(re.search(said, str(m)) for m in with_peaks["melt"])
    peaks = analysis.reactions["melt_peaks"].fillna("")
    assert (peaks == "").all() == (chemistry == "hydrolysis probe")


def _amplicon(efficiency: float, n0: float, cycles: int) -> np.ndarray:
    """The amount of amplicon after each cycle 0..cycles (the model of `_simulated`)."""
    amount = [n0]
    for _ in range(cycles):
        last = amount[-1]
        amount.append(last + last * (efficiency - 1) * (1 - (last / 1000.0) ** 3))
    return np.array(amount)


@pytest.mark.parametrize(
    ("chemistry", "lags"),
    [("hydrolysis probe", True), ("labelled reverse primer", True),
     ("saturating DNA binding dye", False), ("hybridization probe", False), ("", False)],
)  # fmt: skip
def test_n0_is_taken_a_cycle_earlier_where_the_signal_lags_the_amplicon(
    chemistry: str, lags: bool
) -> None:
    # The same reactions read two ways: a dye reads the amplicon made by each cycle; a probe is
    # cleaved (a labelled reverse primer extended) in the next cycle, so it reads each cycle the
    # amplicon of the one before. Both are the same N0: LinRegPCR takes a probe's N0 a cycle
    # before its crossing, N0 = Nq / E^(Cq - 1).
    rng = np.random.default_rng(7)
    amounts = [_amplicon(1.9, n0, 45) for n0 in (1e-4, 1e-3, 1e-2) for _ in range(3)]
    dye = np.array([5.0 + a[1:] + rng.normal(0, 0.002, 45) for a in amounts])
    late = np.array([5.0 + a[:-1] + rng.normal(0, 0.002, 45) for a in amounts])
    x = np.tile(np.arange(1.0, 46.0), (18, 1))
    fit = fit_curves(x, np.vstack([dye, late]), ["dye"] * 9 + ["late"] * 9,
                     chemistries={"late": chemistry})  # fmt: skip
    efficiency = fit.windows["late"].efficiency
    assert efficiency == pytest.approx(1.9, abs=0.02)
    ratio = fit.n0[9:] / fit.n0[:9]
    if lags:
        assert np.allclose(ratio, 1.0, rtol=0.05)
    else:  # read as a dye, the late curve gives an N0 one cycle's growth too low
        assert np.allclose(ratio, 1 / efficiency, rtol=0.05)
    assert np.allclose(fit.cq[9:] - fit.cq[:9], 1.0, atol=0.05)  # the Cq stays the crossing


def _peer_n0(name: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(run, well) -> (target mean efficiency, N0) as rdmlpython 1.7.2 computed them."""
    table = pd.read_csv(CURVES / "rdmlpython" / f"{name}_rdmlpython_n0.tsv", sep="\t")
    table = table[table["amplification"] & (table["N0 (mean eff)"] > 0)]
    return {
        (str(r), str(w)): (float(e), float(n))
        for r, w, e, n in zip(
            table["run"], table["well"], table["mean PCR eff"], table["N0 (mean eff)"], strict=True
        )
    }


@pytest.mark.parametrize("name", ["probes", "eva_green_a"])  # hydrolysis probes; DNA-binding dyes
def test_n0_agrees_with_rdmlpythons_linregpcr_for_each_chemistry(name: str) -> None:
    from shared import CURVES as SHARED_CURVES

    export = read_export(SHARED_CURVES / "untergasser" / f"{name}.rdml", raw=True)
    assert export is not None
    reactions = analyse_exports([export]).reactions
    peer = _peer_n0(name)
    gaps = []
    for plate, well, amplified, n0, efficiency in zip(
        reactions["plate"], reactions["well"], reactions["amplified"], reactions["n0"],
        reactions["target_efficiency"], strict=True,
    ):  # fmt: skip
        theirs = peer.get((str(plate), str(well)))
        # Where both call it amplified and the target efficiencies agree (N0 follows E^Cq).
        if amplified and theirs is not None and abs(efficiency - theirs[0]) < 0.02:
            gaps.append(math.log10(n0 / theirs[1]))
    assert len(gaps) >= 40
    # Without the probe's one-cycle lag, probes.rdml's N0 were 10^-0.25 (1/E) of rdmlpython's.
    assert abs(float(np.median(gaps))) < 0.1


def test_a_melt_without_a_transition_has_no_peaks() -> None:
    # volume_machine.rdml, no template and no primer (the "Neg. Contr." of its "no primer"
    # target): no double strand to melt, only the dye's slow decline and noise, read before as
    # up to 22 peaks of one size (the rules: melt.has_transition and melt.stands_out, whose
    # doctests hold their thresholds on both sides).
    from shared import CURVES as SHARED_CURVES

    export = read_export(SHARED_CURVES / "untergasser" / "volume_machine.rdml", raw=True)
    assert export is not None
    reactions = analyse_exports([export]).reactions
    blank = reactions[(reactions["target"] == "no primer")
                      & reactions["sample"].str.startswith("Neg. Contr.")]  # fmt: skip
    assert len(blank) == 9  # three on each instrument
    # Was up to 22 "peaks" each. Both rules are needed: without the transition rule one of them
    # keeps a 17.9-SD "peak"; without the noise rule three keep 21-23.
    assert (blank["melt_peaks"].fillna("") == "").all()
    # Every product keeps its peak: the 112 FSTL1 reactions, all amplified (as RDML-Tools calls
    # them in volume_results.tsv), each with a main peak.
    fstl1 = reactions[reactions["target"].str.startswith("FSTL1") & reactions["amplified"]]
    assert len(fstl1) == 112
    assert fstl1["melt_tm_c"].notna().all()
    # Genomic DNA without primers melts too (81-89 C): those peaks stay.
    no_primer = reactions[reactions["target"] == "no primer"]
    dna = no_primer[~no_primer["sample"].str.startswith("Neg. Contr.")]
    assert len(dna) == 51
    assert dna["melt_tm_c"].between(81.0, 90.0).sum() >= 30
