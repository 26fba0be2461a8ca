"""The long fuzz run: every surface of tests/test_fuzz.py against 10⁴ generated or damaged inputs.

CI runs the same properties with a few dozen to a few hundred cases per surface; this runs each
surface in its own process with ``FUZZ_CASES`` cases (default 10,000) and a 60 s deadline per
case (a case over it fails as a hang), and prints per surface: cases, failures, seconds and the
process's peak memory. Usage::

    .venv/bin/python benchmarks/fuzz.py [CASES] [SURFACE ...]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURFACES = (
    "test_ct_tables", "test_od_tables", "test_primer_tables", "test_standard_curves",
    "test_plate_grids", "test_damaged_real_exports", "test_mutated_raw_curves",
    "test_mutated_curves_as_the_cq_source", "test_sample_sheets", "test_design_options",
    "test_redesign_options", "test_damaged_indexes", "test_web_uploads",
)  # fmt: skip


def _run(command: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Run `command`: its exit code, seconds, peak resident MB and last line of output."""
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT / "tests", env=env, stdout=log,
                                 stderr=subprocess.STDOUT)  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        log.seek(0)
        lines = [line for line in log.read().splitlines() if line.strip()]
    return child.returncode, seconds, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main() -> int:
    cases = sys.argv[1] if len(sys.argv) > 1 else "10000"
    surfaces = sys.argv[2:] or list(SURFACES)
    env = {**os.environ, "FUZZ_CASES": cases, "FUZZ_DEADLINE_S": "60"}
    print(f"{'surface':40} {'cases':>6} {'result':>8} {'seconds':>8} {'peak MB':>8}")
    failed = 0
    for surface in surfaces:
        status, seconds, peak, last = _run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
             f"{ROOT / 'tests' / 'test_fuzz.py'}::{surface}"], env,
        )  # fmt: skip
        passed = status == 0 and re.search(r"\b1 passed\b", last) is not None
        failed += not passed
        print(f"{surface:40} {cases:>6} {'ok' if passed else 'FAILED':>8} {seconds:8.0f} "
              f"{peak:8.0f}", flush=True)  # fmt: skip
        if not passed:
            print(f"  {last}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
