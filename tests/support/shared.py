"""Where the workspace's shared real files are: `../shared/` beside the checkout (and in CI).

Files listed under "Added 2026-12-06" in shared/*/PROVENANCE.md are read in place from there,
never copied (some state no licence).
"""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
INSTRUMENT_EXPORTS = SHARED / "instrument_exports"
CURVES = SHARED / "curves"
# ropensci/tidyqpcr's LightCycler 480 run (Apache-2.0): two strains x five growth phases, three
# genes (5S rRNA the reference), wells named "WT OD0.5 glyS" with no target column.
STUART = INSTRUMENT_EXPORTS / "lightcycler" / "Stuart_dAgr_glyS_spoVG_5S_individualWells_Cq.txt.gz"


def stuart_sheet(folder: Path) -> Path:
    """A sample sheet for `STUART`: each well's name split into sample and group, and gene."""
    import gzip

    text = gzip.decompress(STUART.read_bytes()).decode()
    rows = [line.split("\t") for line in text.splitlines()[2:]]
    named = [(r[2], *r[3].rsplit(" ", 1)) for r in rows if not r[3].startswith("Sample")]
    sheet = folder / "stuart_sheet.csv"
    sheet.write_text("well,sample,group,gene\n" + "".join(
        f"{well},{name},{name},{gene}\n" for well, name, gene in named))  # fmt: skip
    return sheet


def cfx_sheet(folder: Path) -> Path:
    """A sample sheet for the CFX example run: "control.condition 1" ... in control and test."""
    sheet = folder / "cfx_sheet.csv"
    rows = [f"{c}.condition {i},{c}" for c in ("control", "test") for i in (1, 2, 3)]
    sheet.write_text("sample,group\n" + "\n".join(rows) + "\n")
    return sheet
