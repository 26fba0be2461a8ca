"""The long fuzz run: every reader against 10⁴ generated and damaged inputs (tests/test_fuzz.py).

CI runs the same properties with a few hundred cases per reader; this runs them with
``FUZZ_CASES`` (default 10,000) and prints the time per reader. Usage::

    .venv/bin/python benchmarks/fuzz.py [CASES]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    cases = sys.argv[1] if len(sys.argv) > 1 else "10000"
    env = {**os.environ, "FUZZ_CASES": cases}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0",
         str(ROOT / "tests" / "test_fuzz.py")],
        cwd=ROOT / "tests", env=env, check=False,
    )  # fmt: skip
    print(f"{cases} cases per reader: {time.perf_counter() - started:.0f} s in all")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
