"""Speed and memory of `assay analyze` against the `qpcr` package (PyPI) on growing Ct tables.

Run: .venv/bin/python -P benchmarks/analyze_speed.py [--qpcr-python PATH] [--max-wells N]

Tables are generated: 10 target genes and GAPDH, 4 groups, samples with 3 technical replicates
each, up to 1,000,000 wells. Each tool runs in a fresh process per size, reading the same CSV and
computing relative expression against GAPDH and the first group; the script prints wall time
with and without the imports, peak memory (max RSS) and the ratios qpcr/assay. qpcr is run from
another interpreter where it is installed (python -m venv /tmp/qvenv, then
/tmp/qvenv/bin/pip install qpcr), only on sizes it finishes within --qpcr-timeout seconds.
Note: qpcr normalises replicate by replicate against the first replicate of the first group;
assay averages technical replicates per sample first. The job (Ct table in, fold changes out) is
the same; the numbers differ slightly by design.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

GENES = [f"T{i}" for i in range(10)] + ["GAPDH"]
GROUPS = ["control", "drugA", "drugB", "drugC"]
REPLICATES = 3

ASSAY_RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    start = time.perf_counter()
    from assay.analysis.ddct import Settings, relative_expression
    from assay.analysis.wells import read_wells
    import pandas, scipy.stats  # loaded on first use; counted as imports, as qpcr's are
    imported = time.perf_counter()
    table = read_wells(sys.argv[1])
    result = relative_expression(
        table.wells, Settings(reference_genes=("GAPDH",), control="control")
    )
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": end - start, "work": end - imported, "peak_mb": peak,
                      "rows": len(result.expression)}))
    """
)
QPCR_RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    start = time.perf_counter()
    import qpcr
    imported = time.perf_counter()
    assays, _ = qpcr.read_bigtable(sys.argv[1], kind="vertical", decorator=False,
                                   assay_col="gene", id_col="group", ct_col="ct")
    by_id = {a.id(): a for a in assays}
    targets = qpcr.delta_ct([a for name, a in by_id.items() if name != "GAPDH"])
    reference = qpcr.delta_ct([by_id["GAPDH"]])
    result = qpcr.normalise(targets, reference).get()
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": end - start, "work": end - imported, "peak_mb": peak,
                      "rows": len(result)}))
    """
)


def write_table(path: Path, samples_per_group: int, rng: np.random.Generator) -> int:
    """Write a tidy Ct table; return its number of wells."""
    rows = []
    for g, group in enumerate(GROUPS):
        for s in range(samples_per_group):
            load = rng.normal(0, 0.5)  # cDNA amount of the sample, shared by all its genes
            for i, gene in enumerate(GENES):
                base = 22.0 if gene == "GAPDH" else 26.0 + 0.3 * i - 0.5 * g * (i % 3 == 0)
                for _ in range(REPLICATES):
                    ct = base + load + rng.normal(0, 0.15)
                    rows.append(f"{group},{group}-{s},{gene},{ct:.3f}")
    path.write_text("group,sample,gene,ct\n" + "\n".join(rows) + "\n")
    return len(rows)


def run(python: str, code: str, table: Path, timeout: float) -> dict[str, float] | None:
    try:
        done = subprocess.run(
            [python, "-P", "-c", code, str(table)], capture_output=True, text=True,
            timeout=timeout, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        print(f"  {python} failed: {error.stderr.strip().splitlines()[-1]}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--qpcr-python", default="/tmp/qvenv/bin/python")
    parser.add_argument("--qpcr-timeout", type=float, default=240.0)
    parser.add_argument("--max-wells", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    have_qpcr = Path(args.qpcr_python).exists()
    per_sample = len(GENES) * REPLICATES * len(GROUPS)
    sizes = [w for w in (1_000, 10_000, 100_000, 1_000_000) if w <= args.max_wells]
    header = ("wells", "assay s", "work s", "MB", "qpcr s", "work s", "MB", "total x", "work x")
    widths = (9, 8, 7, 6, 8, 7, 6, 8, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    qpcr_gave_up = False
    with tempfile.TemporaryDirectory() as tmp:
        for wells in sizes:
            table = Path(tmp) / f"ct_{wells}.csv"
            n = write_table(table, max(2, round(wells / per_sample)), rng)
            ours = run(sys.executable, ASSAY_RUN, table, 600)
            peer = None
            if have_qpcr and not qpcr_gave_up:
                peer = run(args.qpcr_python, QPCR_RUN, table, args.qpcr_timeout)
                qpcr_gave_up = peer is None
            assert ours is not None
            cells = [f"{n:>9}", f"{ours['seconds']:8.2f}", f"{ours['work']:7.2f}",
                     f"{ours['peak_mb']:6.0f}"]  # fmt: skip
            if peer:
                cells += [f"{peer['seconds']:8.2f}", f"{peer['work']:7.2f}",
                          f"{peer['peak_mb']:6.0f}", f"{peer['seconds'] / ours['seconds']:8.1f}",
                          f"{peer['work'] / ours['work']:7.1f}"]  # fmt: skip
            print(" ".join(cells))
    print(
        "s: wall time in a fresh process, imports included; work s: after the imports "
        "(reading the table and computing); x: qpcr's time over assay's."
    )
    if not have_qpcr:
        print(f"qpcr not found at {args.qpcr_python}: install it there to compare.")
    elif qpcr_gave_up:
        print(f"qpcr stopped after {args.qpcr_timeout:g} s on the next size; larger ones skipped.")


if __name__ == "__main__":
    main()
