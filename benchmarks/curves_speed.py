"""Raw-curve analysis speed: assay's vectorised window-of-linearity against rdmlpython's LinRegPCR.

Data: the Vermeulen dilution series (960 reactions, 64 targets; shared/curves/vermeulen), and the
same curves tiled to --copies times as many reactions (targets renamed per copy) for scale.
Peer: rdmlpython 1.7.2's `Run.linRegPCR` (the RDML consortium's LinRegPCR), which needs numpy<2:
install it apart (python3 -m venv /tmp/rvenv && /tmp/rvenv/bin/pip install rdmlpython
"numpy<2") and pass --peer-python /tmp/rvenv/bin/python. It cannot read RDML 1.4, so it gets a copy
of the file whose version attribute says 1.3 (nothing else changed); it is skipped, saying so,
when that interpreter is missing.

Run:  .venv/bin/python -P benchmarks/curves_speed.py [--copies 10] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from assay.analysis.curves import fit_curves
from assay.analysis.instruments import read_export

VERMEULEN = (
    Path(__file__).resolve().parents[1]
    / "tests/analysis/fixtures/curves/vermeulen/data_vermeulen_std_150000_15.rdml"
)
PEER = """
import sys, time
from rdmlpython import rdml
start = time.perf_counter()
document = rdml.Rdml(sys.argv[1])
for experiment in document.experiments():
    for run in experiment.runs():
        run.linRegPCR(saveResultsList=True, updateRDML=False)
print(time.perf_counter() - start)
"""


def ours(copies: int) -> tuple[float, float, int]:
    """Seconds to read the file, seconds to fit the (tiled) curves, and reactions fitted."""
    start = time.perf_counter()
    export = read_export(VERMEULEN)
    assert export is not None
    assert export.amplification is not None
    read_s = time.perf_counter() - start
    x = np.tile(export.amplification.x, (copies, 1))
    y = np.tile(export.amplification.y, (copies, 1))
    targets = [f"{t}#{k}" for k in range(copies) for t in export.wells["target"]]
    start = time.perf_counter()
    fit_curves(x, y, targets)
    return read_s, time.perf_counter() - start, len(targets)


def peer(python: str) -> float | None:
    """Seconds of rdmlpython's LinRegPCR on the 960 reactions, or None when it cannot run here."""
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "v13.rdml"
        xml = zipfile.ZipFile(VERMEULEN).read("rdml_data.xml").decode()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("rdml_data.xml", xml.replace('version="1.4"', 'version="1.3"', 1))
        done = subprocess.run([python, "-c", PEER, str(copy)], capture_output=True, text=True,
                              check=True, timeout=3600)  # fmt: skip
        return float(done.stdout.strip().splitlines()[-1])


def end_to_end() -> tuple[float, float]:
    """Seconds of `assay curves` on the file, and of its amplification figure alone.

    In this process: read, fit, melt, figures and report, as the command runs them.
    """
    import contextlib
    import io

    from assay.analysis import figures
    from assay.cli.main import main as assay

    spent = [0.0]
    draw = figures.amplification_figure

    def timed(*args: object) -> list[Path]:
        start = time.perf_counter()
        paths = draw(*args)  # type: ignore[arg-type]
        spent[0] += time.perf_counter() - start
        return paths

    figures.amplification_figure = timed  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
            start = time.perf_counter()
            assay(["curves", str(VERMEULEN), "--out", str(Path(folder) / "out")])
            total = time.perf_counter() - start
    finally:
        figures.amplification_figure = draw
    return total, spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--peer-python", default="/tmp/rvenv/bin/python")
    args = parser.parse_args()
    read_s, fit_960, n = ours(1)
    print(f"assay: read {read_s:.2f} s; fit {n} reactions {fit_960:.3f} s")
    total, drawn = end_to_end()
    print(
        f"assay curves (read, fit, melt, figures, report): {total:.2f} s, of which the "
        f"amplification figure {drawn:.2f} s"
    )
    _, fit_many, many = ours(args.copies)
    print(f"assay: fit {many:,} reactions {fit_many:.2f} s ({many / fit_many:,.0f} per second)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"assay peak memory: {peak:,.0f} MB")
    seconds = peer(args.peer_python)
    if seconds is None:
        print(f"peer: rdmlpython not found at {args.peer_python} (see the docstring); skipped")
        return
    print(f"rdmlpython LinRegPCR: {n} reactions {seconds:.1f} s")
    print(f"ratio (assay fit / peer): {fit_960 / seconds:.4f} (x{seconds / fit_960:,.0f} faster)")


if __name__ == "__main__":
    main()
