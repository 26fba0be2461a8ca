"""Reference-gene stability: geNorm M (Vandesompele 2002) and NormFinder ρ (Andersen 2004).

geNorm (Vandesompele et al. 2002, Genome Biology 3:research0034):

For genes j and k, V_jk is the standard deviation over samples of log2(a_j / a_k), the pairwise
variation of their expression ratio; a gene's stability measure M_j is the mean of its V_jk with
every other gene. geNorm removes the gene with the highest M, recomputes, and repeats down to two
genes. The pairwise variation V_n/n+1 between normalisation factors of the n and n+1 most stable
genes tells how many reference genes are needed (Vandesompele et al. suggest 0.15 as a cut-off).

Quantities are relative and linear (as geNorm takes them); from Ct, a quantity is E^-Ct. The
standard deviation is the sample one (n − 1), as in geNorm's spreadsheet (Excel STDEV).

>>> genorm_m({"A": [1, 2, 4], "B": [1, 2, 4], "C": [1, 1, 1]})
{'A': 0.5, 'B': 0.5, 'C': 1.0}

NormFinder (Andersen, Jensen & Ørntoft 2004, Cancer Research 64:5245, and its supplement) fits
log2 expression as y_igj = α_ig + β_gj + ε_igj (gene i, group g, sample j): β is the amount of
cDNA in a sample, α a gene's level in a group, and ε has a variance σ²_ig of its own for each gene
and group. From the data it estimates σ²_ig (intragroup variation) and the gene's group
differences d_ig (intergroup variation), shrinks the differences toward zero by how well they are
known, and combines the two into a stability value ρ: the systematic error, in log2 units, of
normalising with that gene alone. Unlike geNorm's M, ρ is not fooled by genes that are
co-regulated. Without groups, it is the estimated standard deviation σ_i.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assay.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def _log2(
    quantities: Mapping[str, Sequence[float]], method: str = "geNorm"
) -> tuple[list[str], np.ndarray]:
    genes = list(quantities)
    if len(genes) < 2:
        raise ValueError(f"{method} needs at least two genes")
    matrix = np.asarray([quantities[g] for g in genes], dtype=float)
    if matrix.shape[1] < 2:
        raise ValueError(f"{method} needs at least two samples")
    if not np.all(np.isfinite(matrix)) or np.any(matrix <= 0):
        raise ValueError(f"{method} needs positive, finite quantities for every gene and sample")
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


@dataclass(frozen=True, slots=True, kw_only=True)
class NormFinderResult:
    """NormFinder's estimates for each candidate gene (log2 units throughout).

    `rho` is the stability value ρ (with groups) or the standard deviation σ (one group): lower is
    more stable. `variance[gene][group]` is σ²_ig; `difference[gene][group]` the shrunk group
    difference d̃_ig (empty with one group). `pair_rho` holds ρ of the average of every pair of
    genes (empty with one group).
    """

    genes: tuple[str, ...]
    groups: tuple[str, ...]
    rho: dict[str, float]
    variance: dict[str, dict[str, float]]
    difference: dict[str, dict[str, float]]
    pair_rho: dict[tuple[str, str], float]

    @property
    def ranking(self) -> list[str]:
        """Genes from most to least stable (lowest ρ first)."""
        return sorted(self.genes, key=lambda g: self.rho[g])

    @property
    def best_pair(self) -> tuple[tuple[str, str], float] | None:
        """The pair whose average is most stable, and its ρ (None with one group).

        Its genes may each be poor alone, their group differences cancelling; NormFinder's
        authors show each gene's own ρ beside it, and so does assay.
        """
        if not self.pair_rho:
            return None
        pair = min(self.pair_rho, key=lambda p: self.pair_rho[p])
        return pair, self.pair_rho[pair]

    @property
    def best_partner(self) -> tuple[tuple[str, str], float] | None:
        """The most stable gene with the partner whose average with it is most stable."""
        if not self.pair_rho:
            return None
        best = self.ranking[0]
        pair = min((p for p in self.pair_rho if best in p), key=lambda p: self.pair_rho[p])
        return pair, self.pair_rho[pair]


def intragroup_variance(logs: np.ndarray) -> np.ndarray:
    """σ²_i for one group: genes in rows, samples in columns, log2 expression.

    The residual r_ij = y_ij − ȳ_i· − ȳ_·j + ȳ_·· removes gene levels and sample amounts. For
    independent ε, E[Σ_j r²_ij] = (n − 1)[σ²_i (1 − 2/k) + Σ_l σ²_l / k²], so with
    s²_i = Σ_j r²_ij / ((n − 1)(1 − 2/k)) the unbiased estimate is
    σ²_i = s²_i − Σ_l s²_l / (k(k − 1)) (Andersen et al. 2004, supplement). A negative estimate,
    possible by chance, is replaced as Andersen's own program does (NormFinder for R, "change
    possible negative values"): by the smallest variance of the gene's log ratio to any other
    gene, divided by 4 (what σ²_i would be if that partner varied exactly as much), not by 0,
    which would call the gene perfectly stable.
    """
    k, n = logs.shape
    residual = logs - logs.mean(axis=1, keepdims=True) - logs.mean(axis=0) + logs.mean()
    s2: np.ndarray = (residual**2).sum(axis=1) / ((n - 1) * (1 - 2 / k))
    estimate: np.ndarray = s2 - s2.sum() / (k * (k - 1))
    for i in np.flatnonzero(estimate < 0):
        ratios = np.delete(logs, i, axis=0) - logs[i]
        estimate[i] = float(ratios.var(axis=1, ddof=1).min()) / 4
    return estimate


def _shrunk_differences(
    means: np.ndarray, variance_of_mean: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """d̃_ig and the variance it carries, from group means (genes x groups) and σ²_ig / n_g.

    d_ig = ȳ_ig· − ȳ_i·· − ȳ_·g· + ȳ_··· (group means unweighted). Their spread beyond what
    sampling explains, γ² = max(0, Σ d² / ((G − 1)(k − 1)) − mean(σ²_ig / n_g)), is the prior
    variance of the true differences; the estimates are shrunk by γ² / (γ² + σ²_ig / n_g), and
    their uncertainty is σ²_ig / n_g + γ² (σ²_ig / n_g) / (γ² + σ²_ig / n_g) (Andersen 2004).
    """
    k, groups = means.shape
    d = means - means.mean(axis=0) - means.mean(axis=1, keepdims=True) + means.mean()
    gamma2 = max(
        float((d**2).sum()) / ((groups - 1) * (k - 1)) - float(variance_of_mean.mean()), 0.0
    )
    denominator = gamma2 + variance_of_mean
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(denominator > 0, gamma2 / denominator, 0.0)
    return d * shrink, variance_of_mean + variance_of_mean * shrink


def normfinder(
    quantities: Mapping[str, Sequence[float]], groups: Sequence[str] | None = None
) -> NormFinderResult:
    """NormFinder stability of each gene (Andersen et al. 2004); quantities are linear.

    Args:
        quantities: relative quantities per gene, one value per sample (the same order for all).
        groups: the group of each sample (e.g. normal / tumour); None for a single group.

    Raises:
        ValueError: fewer than three genes, a group with fewer than two samples, or a quantity
            that is not positive and finite.
    """
    genes, logs = _log2(quantities, "NormFinder")
    if len(genes) < 3:
        raise ValueError("NormFinder needs at least three genes")
    labels = ["all samples"] * logs.shape[1] if groups is None else [str(g) for g in groups]
    if len(labels) != logs.shape[1]:
        raise ValueError(f"{len(labels)} group labels for {logs.shape[1]} samples")
    names = tuple(dict.fromkeys(labels))
    members = [np.array([label == name for label in labels]) for name in names]
    small = [
        f"{name} ({int(m.sum())})" for name, m in zip(names, members, strict=True) if m.sum() < 2
    ]
    if small:
        raise ValueError(
            f"NormFinder needs two or more samples in every group; not in {', '.join(small)}"
        )
    variance = np.column_stack([intragroup_variance(logs[:, m]) for m in members])
    by_gene = {
        g: dict(zip(names, map(float, variance[i]), strict=True)) for i, g in enumerate(genes)
    }
    if len(names) == 1:
        rho = {g: math.sqrt(by_gene[g][names[0]]) for g in genes}
        return NormFinderResult(
            genes=tuple(genes), groups=names, rho=rho, variance=by_gene, difference={},
            pair_rho={},
        )  # fmt: skip
    means = np.column_stack([logs[:, m].mean(axis=1) for m in members])
    sizes = np.array([m.sum() for m in members], dtype=float)
    d, v = _shrunk_differences(means, variance / sizes)
    rho_values = (np.abs(d) + np.sqrt(v)).mean(axis=1)
    return NormFinderResult(
        genes=tuple(genes),
        groups=names,
        rho={g: float(r) for g, r in zip(genes, rho_values, strict=True)},
        variance=by_gene,
        difference={
            g: dict(zip(names, map(float, d[i]), strict=True)) for i, g in enumerate(genes)
        },
        pair_rho={(genes[i], genes[j]): r for (i, j), r in _pair_rho(d, v).items()},
    )


def _pair_rho(d: np.ndarray, v: np.ndarray) -> dict[tuple[int, int], float]:
    """ρ of the average of each pair of genes (Andersen 2004, supplement, "average control gene").

    For the average of two genes, d̃ = (d̃_i + d̃_j)/2 · √(k/(k − 2)) (the d̃ of one gene are
    centred over all k genes, which the factor undoes) and its variance (v_i + v_j)/4; ρ is the
    mean over groups of |d̃| + √variance.
    """
    k = d.shape[0]
    i, j = np.triu_indices(k, 1)
    pair_d = (d[i] + d[j]) / 2 * math.sqrt(k / (k - 2))
    pair_v = (v[i] + v[j]) / 4
    rho = (np.abs(pair_d) + np.sqrt(pair_v)).mean(axis=1)
    return {(int(a), int(b)): float(r) for a, b, r in zip(i, j, rho, strict=True)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelStability:
    """geNorm and NormFinder on one panel of samples (e.g. one tissue)."""

    panel: str
    samples: int
    genorm_steps: tuple[GenormStep, ...]
    variation: dict[str, float]
    normfinder: NormFinderResult

    @property
    def genorm_ranking(self) -> list[str]:
        """GeNorm's order, most to least stable (the first two are tied)."""
        return ranking(self.genorm_steps)

    def rows(self) -> list[dict[str, object]]:
        """One row per gene: M (all genes in), geNorm rank, NormFinder ρ or SD and rank."""
        first = self.genorm_steps[0].m_values
        genorm_rank = {g: i + 1 for i, g in enumerate(self.genorm_ranking)}
        normfinder_rank = {g: i + 1 for i, g in enumerate(self.normfinder.ranking)}
        measure = "rho" if self.normfinder.difference else "sd"
        return [
            {
                "panel": self.panel,
                "gene": gene,
                "genorm_m": first[gene],
                "genorm_rank": genorm_rank[gene],
                f"normfinder_{measure}": self.normfinder.rho[gene],
                "normfinder_rank": normfinder_rank[gene],
            }
            for gene in self.normfinder.ranking
        ]


def assess(
    panel: str, quantities: Mapping[str, Sequence[float]], groups: Sequence[str] | None = None
) -> PanelStability:
    """GeNorm (stepwise M, V_n/n+1) and NormFinder (ρ, with `groups`) on one panel."""
    steps = genorm(quantities)
    return PanelStability(
        panel=panel,
        samples=len(next(iter(quantities.values()))),
        genorm_steps=tuple(steps),
        variation=normalisation_variation(quantities, ranking(steps)),
        normfinder=normfinder(quantities, groups),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidates:
    """One panel's candidate genes as geNorm and NormFinder take them: a quantity per sample."""

    panel: str
    quantities: dict[str, list[float]]
    groups: list[str]


def candidates_from_wells(
    wells: pd.DataFrame,
    *,
    genes: Sequence[str] | None = None,
    panels: Sequence[str] = (),
    efficiency: float = 2.0,
    source: str | None = None,
) -> list[Candidates]:
    """From one row per well to a quantity per sample and candidate gene, panel by panel.

    Technical replicates (same sample and gene) are averaged as Ct; the quantity is E^-Ct. A
    sample's group is its `group`, which NormFinder uses as its sample groups.

    Raises:
        InputError: no sample column, an unknown gene, or a sample without a Ct for a candidate.
    """
    if "sample" not in wells.columns:
        raise InputError(
            "geNorm and NormFinder compare the genes within each sample: the table needs a "
            "sample column", path=source,
        )  # fmt: skip
    present = sorted(wells["gene"].unique().tolist())
    chosen = list(genes) if genes else present
    unknown = [g for g in chosen if g not in present]
    if unknown:
        raise InputError(f"gene(s) {', '.join(unknown)} not in the table; genes are: "
                         f"{', '.join(present)}", path=source, column="gene")  # fmt: skip
    measured = wells[wells["gene"].isin(chosen)]
    keys = [*panels, "group", "sample"]
    ct = measured.groupby([*keys, "gene"], observed=True)["ct"].mean().unstack("gene")
    ct = ct.reindex(columns=chosen)
    result = []
    split = ct.groupby(level=list(panels), observed=True) if panels else [((), ct)]
    for key, part in split:
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        rows, columns = np.nonzero(part.isna().to_numpy())
        if rows.size:
            *_, group, sample = part.index[rows[0]]
            raise InputError(
                f'sample "{sample}" (group "{group}") has no Ct for candidate '
                f'"{part.columns[columns[0]]}": leave the gene out (--genes) or the sample '
                "(exclude column)", path=source, column="ct",
            )  # fmt: skip
        result.append(
            Candidates(
                panel=label or "all samples",
                quantities={g: [efficiency ** (-c) for c in part[g].tolist()] for g in chosen},
                groups=[str(k[-2]) for k in part.index],
            )
        )
    return result


def candidates_from_table(
    frame: pd.DataFrame,
    *,
    sample: str = "sample",
    group: str | None = None,
    by: str | None = None,
    by_prefix: bool = False,
    ct: bool = False,
    source: str | None = None,
) -> list[Candidates]:
    """From one row per sample and a column per candidate gene (cells as text) to `Candidates`.

    A column is a gene when most of its cells are numbers; every cell of a gene must then hold a
    positive quantity (or, with `ct`, a plausible Ct), else the error names its row and column.

    Raises:
        InputError: a missing --group/--by column, fewer than three genes, or a bad cell.
    """
    import pandas as pd

    from assay.analysis.wells import MISSING_CT

    for option, column in (("--group", group), ("--by", by)):
        if column is not None and column not in frame.columns:
            raise InputError(f'{option}: no column "{column}" (columns: {list(frame.columns)})',
                             path=source)  # fmt: skip
    text = frame.astype(str).apply(lambda c: c.str.strip())
    skip = {sample, by, group} - {None}
    numbers = {c: pd.to_numeric(text[c], errors="coerce") for c in text.columns if c not in skip}
    genes = [c for c, v in numbers.items() if v.notna().mean() > 0.5]
    if len(genes) < 3:
        raise InputError(f"needs three or more gene columns of numbers; found {genes}", path=source)
    for gene in genes:
        values = numbers[gene]
        bad = values.isna() | (~values.between(0, 60, inclusive="right") if ct else values <= 0)
        if bad.any():
            at = int(bad.to_numpy().nonzero()[0][0])
            cell = text[gene].iloc[at]
            reason = (
                "no value: geNorm and NormFinder need every gene in every sample"
                if cell.lower() in MISSING_CT
                else "is not a plausible Ct" if ct
                else "is not a positive quantity"
            )  # fmt: skip
            raise InputError(reason, path=source, row=at + 2, column=str(gene), value=cell)
    if by_prefix:
        if sample not in frame.columns:
            raise InputError(f'--by-prefix needs the sample column "{sample}"', path=source)
        keys = text[sample].str.extract(r"^([A-Za-z]*)", expand=False)
    elif by is not None:
        keys = text[by]
    else:
        keys = pd.Series("all samples", index=frame.index)
    result = []
    for name, rows in keys.groupby(keys, sort=True).groups.items():
        data = {str(g): numbers[g].loc[rows].tolist() for g in genes}
        if ct:
            data = {g: quantities_from_ct(v) for g, v in data.items()}
        labels = text[group].loc[rows].tolist() if group else ["all samples"] * len(rows)
        result.append(Candidates(panel=str(name), quantities=data, groups=labels))
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceStability:
    """How the reference genes of an analysis agree with one another, in one panel.

    `m` is geNorm's M within the set of references; `rho` NormFinder's ρ with the experimental
    groups as its groups (three or more references, two or more samples per group), else None.
    """

    panel: str
    m: dict[str, float]
    rho: dict[str, float] | None

    def summary(self) -> str:
        """One line for the terminal and the report."""
        where = "" if self.panel == "all samples" else f" ({self.panel})"
        text = (
            "reference genes"
            + where
            + ": geNorm M "
            + ", ".join(f"{g} {v:.2f}" for g, v in self.m.items())
        )
        if self.rho is not None:
            text += "; NormFinder ρ across the groups " + ", ".join(
                f"{g} {v:.2f}" for g, v in self.rho.items()
            )
        return text + f" (M below {M_HOMOGENEOUS:g} is expected in homogeneous samples)"


M_HOMOGENEOUS = 0.5  # Hellemans et al. 2007, Genome Biology 8:R19: typical M of stable references
M_HETEROGENEOUS = 1.0  # the same paper, for heterogeneous samples (e.g. tumours, tissues)


def reference_stability(
    wells: pd.DataFrame, references: Sequence[str], panels: Sequence[str] = ()
) -> list[ReferenceStability]:
    """The geNorm M (and NormFinder ρ, 3+ genes) of the references of a same-sample analysis."""
    result = []
    for candidates in candidates_from_wells(wells, genes=references, panels=panels):
        m = genorm_m(candidates.quantities)
        rho = None
        counts = {g: candidates.groups.count(g) for g in set(candidates.groups)}
        if len(references) >= 3 and len(counts) >= 2 and min(counts.values()) >= 2:
            rho = normfinder(candidates.quantities, candidates.groups).rho
        result.append(ReferenceStability(panel=candidates.panel, m=m, rho=rho))
    return result
