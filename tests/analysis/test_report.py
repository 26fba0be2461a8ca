"""The methods paragraph says what ran: read against the settings and the tests of each path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assay.analysis.ddct import Settings, relative_expression
from assay.analysis.report import ReportInputs, methods_text
from assay.analysis.stats import Correction
from assay.analysis.viability import ViabilitySettings, viability


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
