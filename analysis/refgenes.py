"""Reference-gene stability by geNorm (Vandesompele et al. 2002, Genome Biology 3:research0034).

For genes j and k, V_jk is the standard deviation over samples of log2(a_j / a_k), the pairwise
variation of their expression ratio; a gene's stability measure M_j is the mean of its V_jk with
every other gene. geNorm removes the gene with the highest M, recomputes, and repeats down to two
genes. The pairwise variation V_n/n+1 between normalisation factors of the n and n+1 most stable
genes tells how many reference genes are needed (Vandesompele et al. suggest 0.15 as a cut-off).

Quantities are relative and linear (as geNorm takes them); from Ct, a quantity is E^-Ct. The
standard deviation is the sample one (n − 1), as in geNorm's spreadsheet (Excel STDEV).

>>> genorm_m({"A": [1, 2, 4], "B": [1, 2, 4], "C": [1, 1, 1]})
{'A': 0.5, 'B': 0.5, 'C': 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def _log2(quantities: Mapping[str, Sequence[float]]) -> tuple[list[str], np.ndarray]:
    genes = list(quantities)
    if len(genes) < 2:
        raise ValueError("geNorm needs at least two genes")
    matrix = np.asarray([quantities[g] for g in genes], dtype=float)
    if matrix.shape[1] < 2:
        raise ValueError("geNorm needs at least two samples")
    if not np.all(np.isfinite(matrix)) or np.any(matrix <= 0):
        raise ValueError("geNorm needs positive, finite quantities for every gene and sample")
    return genes, np.log2(matrix)


def pairwise_variation(quantities: Mapping[str, Sequence[float]]) -> dict[tuple[str, str], float]:
    """V_jk = SD over samples of log2(a_j / a_k), for every pair of genes (Vandesompele 2002)."""
    genes, logs = _log2(quantities)
    return {
        (genes[j], genes[k]): float(np.std(logs[j] - logs[k], ddof=1))
        for j in range(len(genes))
        for k in range(len(genes))
        if j != k
    }


def genorm_m(quantities: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """The gene-stability measure M_j: mean pairwise variation with all other genes."""
    variation = pairwise_variation(quantities)
    genes = list(quantities)
    return {j: float(np.mean([variation[(j, k)] for k in genes if k != j])) for j in genes}


@dataclass(frozen=True, slots=True, kw_only=True)
class GenormStep:
    """One round of geNorm's stepwise exclusion."""

    genes: tuple[str, ...]
    m_values: dict[str, float]
    excluded: str | None  # the least stable gene, removed after this round

    @property
    def mean_m(self) -> float:
        """Average M of the genes still in (geNorm's "average expression stability")."""
        return float(np.mean(list(self.m_values.values())))


def genorm(quantities: Mapping[str, Sequence[float]]) -> list[GenormStep]:
    """Run geNorm's stepwise exclusion down to the two most stable genes."""
    remaining = dict(quantities)
    steps = []
    while True:
        m = genorm_m(remaining)
        worst = max(m, key=lambda g: m[g]) if len(remaining) > 2 else None
        steps.append(GenormStep(genes=tuple(remaining), m_values=m, excluded=worst))
        if worst is None:
            return steps
        del remaining[worst]


def ranking(steps: Sequence[GenormStep]) -> list[str]:
    """Genes from most to least stable (the last two are tied in geNorm)."""
    last = steps[-1]
    best = sorted(last.genes, key=lambda g: last.m_values[g])
    excluded = [s.excluded for s in steps if s.excluded is not None]
    return best + excluded[::-1]


def normalisation_variation(
    quantities: Mapping[str, Sequence[float]], order: Sequence[str]
) -> dict[str, float]:
    """V_n/n+1: SD of log2(NF_n / NF_n+1) with NF_n the geometric mean of the n most stable genes.

    Keys are "V2/3", "V3/4", …; below 0.15 the extra gene adds little (Vandesompele 2002).
    """
    genes, logs = _log2({g: quantities[g] for g in order})
    result = {}
    for n in range(2, len(genes)):
        nf_n = logs[:n].mean(axis=0)  # log2 of the geometric mean
        nf_next = logs[: n + 1].mean(axis=0)
        result[f"V{n}/{n + 1}"] = float(np.std(nf_n - nf_next, ddof=1))
    return result


def quantities_from_ct(cts: Sequence[float], efficiency: float = 2.0) -> list[float]:
    """Relative quantities E^-Ct (E = 2 at 100 % efficiency); NaN Cts stay NaN."""
    return [math.nan if math.isnan(c) else efficiency ** (-c) for c in cts]
