"""The Python API gives what the commands give."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import assay
from assay.data import example_dir, table1_path


def test_validate_returns_the_typed_report() -> None:
    report = assay.validate(table1_path(), offline=True)
    verdicts = {p.pair.gene: p.verdict.value for p in report.pairs}
    # The seed paper's mTOR reverse primer lacks one base (README; tests/cli/test_validate.py).
    assert verdicts["mTOR"] == "fail"
    assert verdicts["GAPDH"] == "warn"


def test_analyze_and_viability_return_the_tables() -> None:
    expression = assay.analyze(
        example_dir() / "ct.csv", reference="GAPDH", control="control", by=["cell_line"]
    )
    # The same numbers the demo prints (tests/cli/test_demo.py takes them from the paper).
    assert set(expression.expression["gene"]) == {"JAK2", "STAT3", "PI3k", "mTOR"}
    result = assay.viability(example_dir() / "od.csv", control="control", by=["cell_line"])
    ags = result.summary[(result.summary["panel"] == "AGS")
                         & (result.summary["group"] == "co-culture")].iloc[0]  # fmt: skip
    assert round(float(ags["viability_pct_mean"]), 2) == 76.71  # the paper's Results 3.1
    assert not math.isnan(float(ags["p_value"]))


def test_importing_assay_loads_no_heavy_library() -> None:
    code = "import sys, assay; print(any(m in sys.modules for m in ('pandas', 'scipy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = assay.nonsense
