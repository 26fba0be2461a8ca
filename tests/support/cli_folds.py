"""What `assay analyze` gives for a file, to hold the web page's numbers against."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

from shared import INSTRUMENT_EXPORTS

from assay.cli.main import main

# A QuantStudio Design & Analysis relative-quantification export; the software used IPC as its
# endogenous control and sample 1600 as the reference.
EXAMPLE11 = (INSTRUMENT_EXPORTS / "quantstudio" / "appbio_quantstudio_designandanalysis_"
             "QS7Pro_Relative_Quantification_example11.xlsx")  # fmt: skip


def cli_fold_changes(
    path: Path, out: Path, reference: str, control: str
) -> dict[tuple[str, str], float]:
    """(gene, group) -> fold change, from `assay analyze PATH --reference R --control C`."""
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["analyze", str(path), "--reference", reference, "--control", control,
                       "--out", str(out)])  # fmt: skip
    assert status == 0
    with (out / "expression.csv").open() as handle:
        return {(r["gene"], r["group"]): float(r["fold_change"]) for r in csv.DictReader(handle)
                if r["fold_change"]}  # fmt: skip


def assert_shown_as_the_cli(shown: dict[tuple[str, str], float], path: Path, out: Path) -> None:
    """Every fold change a page shows (3 significant figures) is the CLI's, rounded so."""
    assert len(shown) >= 4
    cli = cli_fold_changes(path, out, "IPC", "1600")
    for key, fold in shown.items():
        assert fold == float(f"{cli[key]:.3g}"), key
