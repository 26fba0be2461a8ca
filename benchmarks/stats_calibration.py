"""Calibration of every test path by simulation: type-I error, 95 % CI coverage and power.

Runs `assay.analysis.calibration.calibrate` (the same functions `assay analyze` and `assay
viability` call, many simulated data sets per call as panels) and prints the table the README
shows. Rows in parentheses are not assay's defaults: they show what happens when wells that share
a plate are taken as independent (a group's plate-level deviation makes them so).
Acceptance: type-I error within 0.04-0.06 and coverage within 0.94-0.96 for every default path.

Run:  .venv/bin/python -P benchmarks/stats_calibration.py [--sims 10000]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from dataclasses import replace

from assay.analysis.calibration import Calibration, calibrate, table


def pooled(parts: list[Calibration]) -> Calibration:
    """One path's chunks as one result (shares weighted by their data sets)."""
    total = sum(p.simulations for p in parts)

    def mean(values: list[float]) -> float:
        return sum(v * p.simulations for v, p in zip(values, parts, strict=True)) / total

    return replace(parts[0], simulations=total,
                   type_one=mean([p.type_one for p in parts]),
                   coverage=mean([p.coverage for p in parts]),
                   power=mean([p.power for p in parts]))  # fmt: skip


def main() -> None:
    """Run the calibration and print the table, the band and the time taken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=10_000, help="null data sets per path")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    start = time.perf_counter()
    # Chunks of at most 1,000 data sets (each a call per path), pooled: memory stays flat.
    chunks: list[list[Calibration]] = []
    done = 0
    while done < args.sims:
        size = min(1000, args.sims - done)
        chunks.append(calibrate(size, seed=args.seed + 100 * len(chunks)))
        done += size
        print(f"{done:,} of {args.sims:,} data sets per path ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)  # fmt: skip
    results = [pooled([chunk[i] for chunk in chunks]) for i in range(len(chunks[0]))]
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(table(results))
    band = 3 * math.sqrt(0.05 * 0.95 / args.sims)
    print(
        f"\n{args.sims:,} null and {args.sims:,} alternative data sets per path; 3-SD Monte "
        f"Carlo band around 0.05: ±{band:.4f}; {elapsed:.0f} s, peak {peak_mb:.0f} MB"
    )

    def off(r: Calibration) -> bool:
        return (not math.isnan(r.type_one) and not 0.04 <= r.type_one <= 0.06) or (
            not math.isnan(r.coverage) and not 0.94 <= r.coverage <= 0.96
        )

    outside = [r.path for r in results if not r.path.startswith("(") and off(r)]
    print("outside 0.04-0.06 / 0.94-0.96: " + (", ".join(outside) if outside else "none"))


if __name__ == "__main__":
    main()
