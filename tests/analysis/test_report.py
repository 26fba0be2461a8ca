"""The methods paragraph says what ran: read against the settings and the tests of each path."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assay.analysis.ddct import Settings, relative_expression
from assay.analysis.report import ReportInputs, methods_text
from assay.analysis.stats import Correction
from assay.analysis.viability import ViabilitySettings, viability
from assay.cli.main import main


def _paired(groups: dict[str, int], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for group, n in groups.items():
        for s in range(n):
            for gene, base in (("target", 27.0 + rng.normal(0, 0.4)), ("GAPDH", 20.0)):
                for ct in rng.normal(base, 0.1, 3):
                    rows.append({"group": group, "sample": f"{group}{s}", "gene": gene,
                                 "ct": float(ct), "row": len(rows) + 2})  # fmt: skip
    frame: pd.DataFrame = pd.DataFrame(rows)
    return frame


@pytest.mark.parametrize(
    ("groups", "correction", "said", "not_said"),
    [
        # Two groups: Student's t, BH named; no Dunnett, no ANOVA claimed.
        ({"control": 3, "drug": 3}, Correction.BH, ["Student's t-test", "Benjamini–Hochberg"],
         ["Dunnett", "ANOVA"]),
        # Three groups: Dunnett shown, ANOVA and Tukey in stats.csv; no correction asked.
        ({"control": 3, "a": 3, "b": 3}, Correction.NONE,
         ["Dunnett's test", "one-way ANOVA", "Tukey HSD", "not corrected"], ["Student's"]),
        # One sample per group: nothing tested, and no test is named.
        ({"control": 1, "drug": 1}, Correction.BH, ["no test", "technical replicates"],
         ["Student's", "Dunnett", "ANOVA", "Benjamini"]),
    ],
)  # fmt: skip
def test_methods_name_exactly_the_tests_that_ran(
    groups: dict[str, int], correction: Correction, said: list[str], not_said: list[str]
) -> None:
    settings = Settings(reference_genes=("GAPDH",), control="control", correction=correction)
    result = relative_expression(_paired(groups), settings)
    text = methods_text(ReportInputs(expression=result, expression_settings=settings))
    for words in said:
        assert words in text
    for words in not_said:
        assert words not in text


@pytest.mark.parametrize(("blanks", "said"), [(True, "blank-subtracted"),
                                              (False, "not blank-subtracted")])  # fmt: skip
def test_methods_say_blank_subtraction_only_when_there_were_blanks(blanks: bool, said: str) -> None:
    rows = [("control", 0.8), ("control", 0.82), ("drug", 0.5), ("drug", 0.52)]
    if blanks:
        rows += [("blank", 0.05), ("blank", 0.06)]
    wells = pd.DataFrame({"group": [g for g, _ in rows], "od570": [od for _, od in rows]})
    wells["row"] = range(2, 2 + len(rows))
    settings = ViabilitySettings(control="control", reference_nm=None)
    result = viability(wells, settings)
    text = methods_text(ReportInputs(viability=result, viability_settings=settings))
    assert said in text
    if not blanks:
        assert ", blank-subtracted" not in text
    assert "descriptive" in text  # one plate: not tested, and the paragraph says so


@pytest.mark.parametrize(("genes", "tall"), [(12, (0.0, 0.5)), (24, (0.5, 1.0)), (100, (1.5, 9.9))])
def test_the_expression_figure_grows_with_the_genes(
    tmp_path: Path, genes: int, tall: tuple[float, float]
) -> None:
    from PIL import Image

    from assay.analysis.figures import GENES_PER_ROW, HEATMAP_FROM_GENES, expression_figure

    # Made here: `genes` genes in two groups, one at a 10^6-fold (the CFX viral gene's kind).
    # 12 genes: one row of bars; 24: two rows; 100: a heatmap, one row of cells a gene.
    assert (GENES_PER_ROW, HEATMAP_FROM_GENES) == (12, 24)
    records = []
    for i in range(genes):
        for group, fold in (("ctrl", 1.0), ("drug", 1e6 if i == 0 else 1.5)):
            records.append({"panel": "", "gene": f"gene{i}", "group": group, "fold_change": fold,
                            "fold_change_low": fold / 1.2, "fold_change_high": fold * 1.2,
                            "significance": ""})  # fmt: skip
    (png, _svg) = expression_figure(pd.DataFrame(records), pd.DataFrame(), "ctrl",
                                    tmp_path / "expression")  # fmt: skip
    with Image.open(png) as image:
        width, height = image.size
    low, high = tall
    assert low < height / width < high


def test_the_96_gene_sds_run_gives_a_heatmap_the_caption_describes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image
    from shared import INSTRUMENT_EXPORTS

    from assay.cli.main import main

    out = tmp_path / "out"
    assert main(["analyze", str(INSTRUMENT_EXPORTS / "abi_sds/example.txt"), "--out",
                 str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    report = (out / "report.html").read_text()
    assert "log2 fold change of each gene (rows) in each group (columns)" in report
    assert "bars at the fold change" not in report
    with Image.open(out / "expression.png") as image:
        width, height = image.size
    assert height > 1.5 * width  # a row of cells per gene, not 8 rows of squeezed bars
    # The long result table comes split by gene (each collapsible) with a search box; every
    # gene of expression.csv has its block, and no block holds another gene's rows.
    import csv
    import re

    with (out / "expression.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    genes = {r["gene"] for r in rows}
    assert len(rows) > 60
    blocks = re.findall(r"<details class='gene' data-gene='([^']*)'><summary>[^<]* \((\d+) rows\)",
                        report)  # fmt: skip
    assert {g for g, _ in blocks} == genes
    assert sum(int(n) for _, n in blocks) == len(rows)
    assert "id='gene-search'" in report
    # Beside the heatmap, every gene in a panel of its own, 24 a page.
    pages = sorted(p.name for p in out.glob("expression_genes*.png"))
    assert len(pages) == -(-len(genes) // 24)
    assert "Every gene on its own" in (out / "expression_genes.caption.txt").read_text()


@pytest.mark.parametrize("name", [
    "abi_sds/example.txt",  # 95 genes x 8 groups: a heatmap
    "quantstudio/appbio_quantstudio_example08.xlsx",  # multiplex, long names, no calibrator Ct
    "quantstudio_csv/RELATIVE_example.csv",  # 384-well plate, two reference genes
    "lightcycler-10",  # ten groups: bars, a palette that must not repeat
    "cfx-pfaffl",  # efficiency-corrected from the file's own standards
])  # fmt: skip
def test_figures_of_real_exports_pass_the_figure_quality_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from shared import INSTRUMENT_EXPORTS

    import assay.analysis.figures as figures
    from assay.cli.main import main

    problems: list[str] = []
    drawn: list[str] = []
    forms: list[str] = []
    save = figures._save

    def checked(figure: object, stem: Path, **options: object) -> list[Path]:
        """Check before saving: labels apart, legend colours distinct, no bar under a pixel."""
        canvas = figure.canvas  # type: ignore[attr-defined]
        canvas.draw()
        renderer = canvas.get_renderer()
        for axis in figure.axes:  # type: ignore[attr-defined]
            for labels in (axis.get_xticklabels(), axis.get_yticklabels()):
                shown = [t for t in labels if t.get_text() and t.get_visible()]
                boxes = [t.get_window_extent(renderer) for t in shown]
                problems.extend(
                    f"{stem.name}: '{a.get_text()}' overlaps '{b.get_text()}'"
                    for a, b, box_a, box_b in zip(shown, shown[1:], boxes, boxes[1:], strict=False)
                    if box_a.overlaps(box_b)
                )
            for bar in axis.patches:  # a non-zero bar at least a pixel tall
                if (
                    type(bar).__name__ == "Rectangle"
                    and bar.get_height()
                    and (bar.get_window_extent(renderer).height < 1)
                ):
                    problems.append(f"{stem.name}: a bar of {bar.get_height():g} under 1 px")
            for legend in [axis.get_legend()] if axis.get_legend() else []:
                colours = [_colour_of(h) for h in legend.legend_handles]
                if len(set(colours)) != len(colours):
                    problems.append(f"{stem.name}: legend colours repeat: {colours}")
        for legend in figure.legends:  # type: ignore[attr-defined]
            colours = [_colour_of(h) for h in legend.legend_handles]
            if len(set(colours)) != len(colours):
                problems.append(f"{stem.name}: legend colours repeat: {colours}")
        if stem.name == "expression":  # what is drawn, for the caption's claim below
            first = figure.axes[0]  # type: ignore[attr-defined]
            forms.append("heatmap" if first.images else "dots" if first.get_yscale() == "log"
                         else "bars" if first.patches else "?")  # fmt: skip
        drawn.append(stem.name)
        return save(figure, stem, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(figures, "_save", checked)
    from shared import STUART, cfx_sheet, stuart_sheet

    cfx = INSTRUMENT_EXPORTS / "cfx" / "username_date_time_model - Quantification Cq Results_0.csv"
    argv = {
        "lightcycler-10": [str(STUART), "--samples", str(stuart_sheet(tmp_path)), "--reference",
                           "5S", "--control", "WT OD0.5"],
        "cfx-pfaffl": [str(cfx), "--samples", str(cfx_sheet(tmp_path)), "--reference",
                       "reference.gene", "--control", "control", "--standard-curve", str(cfx)],
    }.get(name, [str(INSTRUMENT_EXPORTS / name)])  # fmt: skip
    assert main(["analyze", *argv, "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert "expression" in drawn
    assert problems == []
    # The caption says what is drawn.
    caption = (tmp_path / "out" / "expression.caption.txt").read_text()
    claims = {"heatmap": "log2 fold change of each gene (rows)", "dots": "dots at the fold change "
              "on a log axis", "bars": "bars at the fold change"}  # fmt: skip
    (form,) = forms
    assert claims[form] in caption, (form, caption)
    assert [f for f, claim in claims.items() if claim in caption] == [form]


def _colour_of(handle: object) -> str:
    """A legend handle's colour as #rrggbb (patches, lines and point collections alike)."""
    from matplotlib.colors import to_hex

    for getter in ("get_facecolor", "get_markerfacecolor", "get_color"):
        if hasattr(handle, getter):
            colour = np.atleast_2d(np.asarray(getattr(handle, getter)(), dtype=float))
            if colour.size:
                return str(to_hex(colour[0]))
    return ""


def test_every_figure_has_its_caption_beside_it_as_in_the_report(tmp_path: Path) -> None:
    import html
    import re

    from assay.cli.main import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    report = (out / "report.html").read_text()
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", report)
    files = sorted(out.glob("*.caption.txt"))
    assert [p.name for p in files] == ["expression.caption.txt", "viability.caption.txt"]
    for path in files:  # each figure: PNG and its caption; the expression figure SVG too
        assert path.with_name(path.name.replace(".caption.txt", ".png")).is_file()
        assert html.escape(path.read_text().strip(), quote=True) in captions
    assert (out / "expression.svg").is_file()


def test_the_miqe_block_reads_with_labels_and_units_and_primers_show() -> None:
    from assay.analysis.report import _validation_section

    miqe = {"gene": "GAPDH", "amplicon_length_bp": 72, "intron_spanning": True,
            "annealing_temperature_c": 60.0, "forward_primer": "CCATGGGGAAGGTGAAGGTC",
            "reaction_conditions": {"name": "primer3", "mv_conc_mm": 50.0, "dv_conc_mm": 1.5,
                                    "dntp_conc_mm": 0.6, "primer_conc_nm": 50.0,
                                    "temp_c": 37.0}}  # fmt: skip
    pair = {"gene": "GAPDH", "verdict": "pass", "findings": [], "miqe": miqe,
            "forward": {"sequence": "CCATGGGGAAGGTGAAGGTC"},
            "reverse": {"sequence": "TAAAAGCAGCCCTGGTGACC"}}  # fmt: skip
    html = _validation_section({"pairs": [pair], "conditions": miqe["reaction_conditions"]})
    table, details = html.split("<details>")
    assert "TAAAAGCAGCCCTGGTGACC" in table  # the primers are seen without opening anything
    assert "<th>Amplicon length</th><td class=''>72 bp</td>" in details
    assert "<th>Annealing temperature</th><td class=''>60 °C</td>" in details
    assert "<td class=''>yes</td>" in details
    assert "Mg²⁺ 1.5 mM" in details
    assert "monovalent cations 50.0 mM" in details
    assert "mv_conc_mm" not in html
    assert "intron_spanning" not in html


def test_the_report_opens_with_a_summary_in_plain_words(tmp_path: Path) -> None:
    import csv
    import re

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    found = re.search(r"<h2>Summary</h2><ul class='summary'>(.*?)</ul>", html, re.S)
    assert found is not None
    assert html.index("<h2>Summary</h2>") < html.index("<h2>Relative expression</h2>")
    assert html.index("<h2>Relative expression</h2>") < html.index("<h2>Methods</h2>")
    summary = found.group(1)
    # Counted here from expression.csv: comparisons with a p, and those below 0.05.
    with (out / "expression.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["p_value"] and r["group"] != "control"]
    changed = [r for r in rows if float(r["p_value"]) < 0.05]
    assert f"{len(changed)} of {len(rows)} tested comparisons" in summary
    largest = max(changed, key=lambda r: abs(math.log2(float(r["fold_change"]))))
    assert f"{largest['gene']} in {largest['group']} ({largest['panel']})" in summary
    assert "Viability: lowest 76.7 % of control (co-culture, AGS)" in summary  # the paper's
    assert "To look at before trusting the numbers" in summary


@pytest.mark.parametrize("plate", ["run\x01 1", "板 1", "plate 1"])
def test_a_name_the_font_cannot_draw_still_gives_its_plate_view(tmp_path: Path, plate: str) -> None:
    # Found by the fuzz suite: a damaged ABI export gave a plate name holding a control
    # character; matplotlib warned of a missing glyph (an error under the tests) and the web
    # page's upload failed. A CJK name is the same case for the font.
    from assay.analysis.figures import plate_figure

    wells = pd.DataFrame({"well": ["A1", "A2", "B1"], "plate": plate, "ct": [20.0, 21.0, None],
                          "fate": ["used"] * 3, "qc": ["ok", "flagged", "ok"]})  # fmt: skip
    paths = plate_figure(wells, tmp_path / "plates")
    assert [p.suffix for p in paths] == [".png"]
    assert all(p.stat().st_size > 1000 for p in paths)
