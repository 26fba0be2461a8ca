"""The worked example reproduces the paper's published summaries and shows its direction."""

from __future__ import annotations

import csv
import statistics

import pytest

from assay.analysis.ddct import Settings, relative_expression
from assay.analysis.viability import ViabilitySettings, read_od_table, viability
from assay.analysis.wells import read_wells
from assay.data import example_dir

PUBLISHED = {"AGS": (76.71, 3.97), "A431": (130.12, 5.97)}  # Results 3.1 of the seed paper


@pytest.mark.parametrize("cell_line", ["AGS", "A431"])
def test_viability_wells_give_the_published_summary_by_plain_arithmetic(cell_line: str) -> None:
    with (example_dir() / "od.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["cell_line"] == cell_line]
    per_experiment = []
    for experiment in ("1", "2", "3"):

        def net(group: str, ex: str = experiment) -> list[float]:
            return [float(r["od570"]) - float(r["od630"]) for r in rows
                    if r["experiment"] == ex and r["group"] == group]  # fmt: skip

        blank = statistics.mean(net("blank"))
        control = statistics.mean(x - blank for x in net("control"))
        per_experiment.append(statistics.mean(x - blank for x in net("co-culture")) / control * 100)
    mean, sd = PUBLISHED[cell_line]
    assert round(statistics.mean(per_experiment), 2) == mean
    assert round(statistics.stdev(per_experiment), 2) == sd


def test_assay_viability_reproduces_the_published_summaries() -> None:
    settings = ViabilitySettings(control="control", blank_group="blank", panels=("cell_line",))
    summary = viability(read_od_table(example_dir() / "od.csv", settings), settings).summary
    for cell_line, (mean, sd) in PUBLISHED.items():
        row = summary[(summary["panel"] == cell_line) & (summary["group"] == "co-culture")].iloc[0]
        assert (round(row["viability_pct_mean"], 2), round(row["viability_pct_sd"], 2)) == (
            mean,
            sd,
        )


def test_all_four_genes_are_down_in_both_lines() -> None:
    table = read_wells(example_dir() / "ct.csv", panels=["cell_line"])
    settings = Settings(reference_genes=("GAPDH",), control="control", panels=("cell_line",))
    expression = relative_expression(table.wells, settings).expression
    treated = expression[expression["group"] == "co-culture"]
    assert sorted(set(treated["gene"])) == ["JAK2", "PI3k", "STAT3", "mTOR"]
    assert len(treated) == 8
    assert (treated["fold_change"] < 1).all()
    assert (treated["p_value"] < 0.05).all()
    assert table.excluded["reason"].tolist() == ["bubble seen in the well"]
