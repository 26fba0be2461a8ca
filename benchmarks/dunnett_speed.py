"""Dunnett's many-to-one p-values: assay's quadrature against SciPy's `dunnett` (the peer).

Both on the same data (k treatment groups and a control, n values each): time per call and the
largest relative error of the p-values against SciPy's adaptive 2-D quadrature of the same
probability (slow, exact to ~1e-10), for p-values from 0.05 down to 1e-7.

Run:  .venv/bin/python -P benchmarks/dunnett_speed.py
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import integrate, special, stats

from assay.analysis.stats import dunnett


def exact(t: float, lambdas: list[float], df: float) -> float:
    """The same probability by adaptive quadrature over u and s."""
    lam = np.asarray(lambdas)
    scale = np.sqrt(1 - lam**2)

    def integrand(u: float, s: float) -> float:
        tails = special.ndtr((-t * s - lam * u) / scale) + special.ndtr((-t * s + lam * u) / scale)
        density = stats.chi.pdf(s * math.sqrt(df), df) * math.sqrt(df)
        with np.errstate(divide="ignore"):
            inside = np.log1p(-tails).sum()
        return float(-np.expm1(inside) * stats.norm.pdf(u) * density)

    return float(integrate.dblquad(integrand, 0, 6, -9, 9, epsabs=1e-16, epsrel=1e-11)[0])


def main() -> None:
    """Print time per call and accuracy for both implementations."""
    rng = np.random.default_rng(1)
    k, n = 3, 5
    data = [rng.normal(0, 1, n) for _ in range(k + 1)]
    for label, call in (
        ("assay", lambda: dunnett(data[0].tolist(), {f"g{i}": d.tolist() for i, d in
                                                       enumerate(data[1:])})),
        ("scipy", lambda: stats.dunnett(*data[1:], control=data[0], rng=1)),
    ):  # fmt: skip
        call()
        start = time.perf_counter()
        for _ in range(20):
            call()
        print(
            f"{label}: {(time.perf_counter() - start) / 20 * 1000:.1f} ms per call (k={k}, n={n})"
        )
    lambdas = [math.sqrt(0.5)] * k
    df = float((k + 1) * (n - 1))
    print("shift  statistic  exact p      assay rel. error   scipy rel. error")
    for shift in (1.5, 2.5, 3.5, 4.5, 6.0):
        control = rng.normal(0, 1, n)
        groups = [rng.normal(shift if i == 0 else 0.0, 1, n) for i in range(k)]
        theirs = stats.dunnett(*groups, control=control, rng=1)
        statistic = abs(float(theirs.statistic[0]))
        truth = exact(statistic, lambdas, df)
        ours = dunnett(control.tolist(), {f"g{i}": g.tolist() for i, g in enumerate(groups)})
        print(
            f"{shift:<6} {statistic:<10.3f} {truth:.3e}   "
            f"{abs(ours['g0'].p_value / truth - 1):.1e}            "
            f"{abs(float(theirs.pvalue[0]) / truth - 1):.1e}"
        )


if __name__ == "__main__":
    main()
