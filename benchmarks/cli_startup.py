"""How long `assay --help` takes to start, against the bare interpreter and an eager pandas import.

Run: .venv/bin/python -P benchmarks/cli_startup.py [runs]

Prints the median wall time of each command over `runs` fresh processes and the ratios, so the
cost of assay's own start-up is seen against the floor (Python itself) and against what one eager
`import pandas` would add.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    script = str(Path(sys.executable).parent / "assay")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "assay --help": [script, "--help"],
        "assay validate --help": [script, "validate", "--help"],
        "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
    }
    results = {name: median_seconds(argv, runs) for name, argv in cases.items()}
    floor = results["python -c pass"]
    pandas = results["python -c 'import pandas'"]
    print(f"median of {runs} runs each")
    for name, seconds in results.items():
        print(
            f"{name:<28} {seconds * 1000:7.1f} ms   x{seconds / floor:5.2f} python   "
            f"x{seconds / pandas:5.2f} pandas import"
        )


if __name__ == "__main__":
    main()
