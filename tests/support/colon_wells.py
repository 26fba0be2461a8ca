"""Andersen et al.'s colon data set (data/datasets/) written as a table of wells, for tests."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"


def write_colon_wells(path: Path, genes: list[str] | None = None) -> None:
    """One row per well, in duplicate: Ct = 35 - log2(quantity), each pair of wells 0.2 apart.

    The 35 keeps the Cts in a plausible range; a constant added to all Cts scales every quantity
    alike, which changes neither geNorm's M nor NormFinder's ρ; the duplicates average to the Ct.
    """
    frame = pd.read_csv(DATASETS / "colon_andersen2004.csv")
    chosen = genes or [c for c in frame.columns if c not in ("sample", "Classification")]
    lines = ["group,sample,gene,ct"]
    for record in frame.to_dict(orient="records"):
        for gene in chosen:
            ct = 35 - math.log2(record[gene])
            for offset in (-0.1, 0.1):
                lines.append(
                    f"{record['Classification']},{record['sample']},{gene},{ct + offset!r}"
                )
    path.write_text("\n".join(lines) + "\n")
