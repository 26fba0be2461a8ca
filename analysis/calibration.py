"""Calibration of assay's statistics by simulation: type-I error, interval coverage and power.

Every test path of `relative_expression` and `viability` is run on data simulated under the null
(no effect) and under a known effect, through the same functions the commands use. A path is
calibrated when, at α = 0.05, the share of null data sets with p < 0.05 is close to 0.05 and the
95 % intervals cover the true value in close to 95 % of data sets. Many simulated data sets go
through one call as panels (correction off: the test itself is calibrated, not a family).

`benchmarks/stats_calibration.py` runs ≥ 10,000 data sets per path and prints the table; the test
suite runs a few hundred per path with a correspondingly wider band.

>>> round(binomial_band(0.05, 10_000), 4)
0.0065
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assay.analysis.ddct import Expression, Settings, relative_expression, standard_curve
from assay.analysis.stats import Correction, interaction_test
from assay.analysis.viability import ViabilitySettings, viability

if TYPE_CHECKING:
    import pandas as pd

ALPHA = 0.05
LEVEL = 0.95


def binomial_band(p: float, n: int, z: float = 3.0) -> float:
    """Half-width of a z-SD band around a proportion p estimated from n simulations."""
    return z * math.sqrt(p * (1 - p) / n)


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """What one path gave over its simulations.

    Attributes:
        path: The test path, as the README's table names it.
        simulations: Data sets simulated under the null (and as many under the effect).
        type_one: Share of null data sets with p < α (NaN: the path runs no test).
        coverage: Share of intervals covering the true value (simultaneous for Dunnett).
        power: Share of data sets under `effect` with p < α.
        effect: The effect simulated for `power`, in words.
    """

    path: str
    simulations: int
    type_one: float
    coverage: float
    power: float
    effect: str


def _panel_frame(rows: dict[str, list[object]]) -> pd.DataFrame:
    import pandas as pd

    frame: pd.DataFrame = pd.DataFrame(rows)
    frame["row"] = np.arange(2, 2 + len(frame))
    return frame


def _paired_wells(
    rng: np.random.Generator, sims: int, groups: dict[str, float], n: int, refs: int,
    *, bio_sd: float = 0.4, tech_sd: float = 0.15, wells: int = 3,
) -> pd.DataFrame:  # fmt: skip
    """Wells of cDNA samples: each sample has its own biological level per gene."""
    columns: dict[str, list[object]] = {"sim": [], "group": [], "sample": [], "gene": [], "ct": []}
    genes = {"target": 27.0, **{f"ref{r}": 20.0 + 3 * r for r in range(refs)}}
    for sim in range(sims):
        for group, shift in groups.items():
            for s in range(n):
                for gene, base in genes.items():
                    level = base + rng.normal(0, bio_sd) + (shift if gene == "target" else 0.0)
                    for ct in level + rng.normal(0, tech_sd, wells):
                        columns["sim"].append(sim)
                        columns["group"].append(group)
                        columns["sample"].append(f"{group}{s}")
                        columns["gene"].append(gene)
                        columns["ct"].append(float(ct))
    return _panel_frame(columns)


def _separate_wells(
    rng: np.random.Generator, sims: int, groups: dict[str, float], wells: int, refs: int,
    *, sd: float = 0.3,
) -> pd.DataFrame:  # fmt: skip
    """Independent wells, target and reference genes in separate wells (no samples)."""
    columns: dict[str, list[object]] = {"sim": [], "group": [], "gene": [], "ct": []}
    genes = {"target": 27.0, **{f"ref{r}": 20.0 + 3 * r for r in range(refs)}}
    for sim in range(sims):
        for group, shift in groups.items():
            for gene, base in genes.items():
                mean = base + (shift if gene == "target" else 0.0)
                for ct in rng.normal(mean, sd, wells):
                    columns["sim"].append(sim)
                    columns["group"].append(group)
                    columns["gene"].append(gene)
                    columns["ct"].append(float(ct))
    return _panel_frame(columns)


def _analysed(frame: pd.DataFrame, refs: int, **settings: object) -> Expression:
    """Every simulated data set (a panel each) through `relative_expression`, uncorrected."""
    chosen = Settings(
        reference_genes=tuple(f"ref{r}" for r in range(refs)), control="control",
        panels=("sim",), correction=Correction.NONE, interaction=False, **settings,  # type: ignore[arg-type]  # test-path options
    )  # fmt: skip
    return relative_expression(frame, chosen)


def _expression_path(
    frame: pd.DataFrame, groups: dict[str, float], refs: int, **settings: object
) -> tuple[float, float]:
    """(share of data sets with any shown p < α, share whose intervals all cover the truth)."""
    table = _analysed(frame, refs, **settings).expression
    table = table[table["group"] != "control"]
    truth = np.array([2.0 ** -groups[g] for g in table["group"]])
    covered = (table["fold_change_low"].to_numpy() <= truth) & (
        truth <= table["fold_change_high"].to_numpy()
    )
    per_sim = table.assign(covered=covered, hit=table["p_unadjusted"] < ALPHA)
    grouped = per_sim.groupby("sim")
    return float(grouped["hit"].any().mean()), float(grouped["covered"].all().mean())


def _tukey_path(
    frame: pd.DataFrame, groups: dict[str, float], refs: int, **settings: object
) -> tuple[float, float]:
    """(share of data sets with any Tukey p < α, share whose pairwise intervals all cover)."""
    tests = _analysed(frame, refs, **settings).tests
    tukey = tests[tests["test"].str.startswith("Tukey")]
    pairs = tukey["comparison"].str.split(" vs ", expand=True)
    # Each estimate is ΔCt(second) − ΔCt(first), the comparison reading "second vs first".
    truth = np.array([groups[b] - groups[a] for b, a in zip(pairs[0], pairs[1], strict=True)])
    covered = (tukey["ci_low"].to_numpy() <= truth) & (truth <= tukey["ci_high"].to_numpy())
    per_sim = tukey.assign(covered=covered, hit=tukey["p_value"] < ALPHA)
    grouped = per_sim.groupby("panel")
    return float(grouped["hit"].any().mean()), float(grouped["covered"].all().mean())


def _run_tukey(
    name: str, sims: int, seed: int,
    make: Callable[[np.random.Generator, int, dict[str, float]], pd.DataFrame],
    refs: int, **settings: object,
) -> Calibration:  # fmt: skip
    null = {"control": 0.0, "a": 0.0, "b": 0.0, "c": 0.0}
    alternative = {"control": 0.0, "a": 0.0, "b": 0.0, "c": 1.5}
    rng = np.random.default_rng(seed)
    type_one, coverage = _tukey_path(make(rng, sims, null), null, refs, **settings)
    power, _ = _tukey_path(make(rng, sims, alternative), alternative, refs, **settings)
    return Calibration(path=name, simulations=sims, type_one=type_one, coverage=coverage,
                       power=power, effect="ΔΔCt 1.5 cycles in one of 4")  # fmt: skip


def _estimated_efficiency(rng: np.random.Generator, factor: float) -> tuple[float, float]:
    """A standard curve of 5 tenfold dilutions × 3 wells (Cq SD 0.15): (E, SE of log2 E)."""
    log10_quantity = np.repeat(np.arange(5.0, 0.0, -1.0), 3)
    cq = 38.0 - log10_quantity / math.log10(factor) + rng.normal(0, 0.15, log10_quantity.size)
    curve = standard_curve("target", log10_quantity.tolist(), cq.tolist())
    return curve.amplification_factor, curve.log2_factor_se


def _run_pfaffl_estimated(sims: int, seed: int) -> Calibration:
    """Pfaffl with the target's efficiency estimated per data set from its own standard curve.

    True efficiencies 1.9 (target) and 2.0 (reference, given exactly); a 16-fold change, where a
    wrong efficiency matters (the raw Cq moves 4.3 cycles), so coverage is read under that
    effect; type-I error under no change. Each data set's target is a gene of its own, with the
    efficiency and SE its curve gave (15 points, 13 df), as `assay analyze --standards` passes.
    """
    rng = np.random.default_rng(seed)

    def run(groups: dict[str, float]) -> tuple[float, float]:
        frame = _pfaffl(lambda r, k, g: _paired_wells(r, k, g, 3, 1))(rng, sims, groups)
        target = frame["gene"] == "target"
        frame = frame.assign(gene=frame["gene"].where(~target, "target" + frame["sim"].astype(str)))
        fits = [_estimated_efficiency(rng, 1.9) for _ in range(sims)]
        efficiencies = (("ref0", 2.0), *((f"target{i}", e) for i, (e, _) in enumerate(fits)))
        se = tuple((f"target{i}", s, 13) for i, (_, s) in enumerate(fits))
        return _expression_path(frame, groups, 1, efficiencies=efficiencies, efficiency_se=se)

    type_one, _ = run({"control": 0.0, "drug": 0.0})
    power, coverage = run({"control": 0.0, "drug": -4.0})
    return Calibration(path="Pfaffl, target efficiency from its own standard curve (coverage "
                       "at 16-fold)", simulations=sims, type_one=type_one, coverage=coverage,
                       power=power, effect="16-fold (log2 ratio 4)")  # fmt: skip


def _run_expression(
    name: str, effect: str, sims: int, seed: int,
    make: Callable[[np.random.Generator, int, dict[str, float]], pd.DataFrame],
    null: dict[str, float], alternative: dict[str, float], refs: int, **settings: object,
) -> Calibration:  # fmt: skip
    rng = np.random.default_rng(seed)
    type_one, coverage = _expression_path(make(rng, sims, null), null, refs, **settings)
    power, _ = _expression_path(make(rng, sims, alternative), alternative, refs, **settings)
    tested = settings.get("replicates") != "technical"
    return Calibration(path=name, simulations=sims, type_one=type_one if tested else math.nan,
                       coverage=coverage, power=power if tested else math.nan,
                       effect=effect)  # fmt: skip


def _viability_path(
    rng: np.random.Generator, sims: int, ratio: float, experiments: int, wells: int,
    *, pooled: bool = False,
) -> tuple[float, float]:  # fmt: skip
    """Experiments with their own plate level; wells around it; treated = ratio × control.

    `pooled` analyses several experiments' wells as if one plate's (the error assay refuses
    to make by default): the contrast row of the table.
    """
    columns: dict[str, list[object]] = {"sim": [], "experiment": [], "group": [], "od570": []}
    for sim in range(sims):
        for experiment in range(experiments):
            level = 0.8 * math.exp(rng.normal(0, 0.15))
            for group, factor in (("control", 1.0), ("drug", ratio)):
                drift = math.exp(rng.normal(0, 0.08))  # the group's own deviation in this plate
                for od in level * factor * drift * np.exp(rng.normal(0, 0.06, wells)):
                    columns["sim"].append(sim)
                    columns["experiment"].append(experiment)
                    columns["group"].append(group)
                    columns["od570"].append(float(od))
    frame = _panel_frame(columns)
    one_plate = experiments == 1 or pooled
    if one_plate:
        frame = frame.drop(columns="experiment")
    settings = ViabilitySettings(control="control", reference_nm=None, blank_group=None,
                                 panels=("sim",), correction=Correction.NONE, interaction=False,
                                 replicates="wells" if one_plate else "auto")  # fmt: skip
    summary = viability(frame, settings).summary
    drug = summary[summary["group"] == "drug"]
    hit = float((drug["p_unadjusted"] < ALPHA).mean())
    truth = 100.0 * ratio
    low, high = drug["viability_pct_ci_low"].to_numpy(), drug["viability_pct_ci_high"].to_numpy()
    return hit, float(((low <= truth) & (truth <= high)).mean())


def _interaction_path(rng: np.random.Generator, sims: int, difference: float) -> float:
    """Share of 2 × 2 layouts (3 samples per cell) with interaction p < α."""
    hits = 0
    first = ["A"] * 6 + ["B"] * 6
    second = (["c"] * 3 + ["t"] * 3) * 2
    effect = np.array([0.0] * 3 + [1.0] * 3 + [0.0] * 3 + [1.0 + difference] * 3)
    for _ in range(sims):
        values = effect + rng.normal(0, 0.4, 12) + np.repeat([0.0, 0.0, 0.7, 0.7], 3)
        hits += interaction_test(values.tolist(), first, second).p_value < ALPHA
    return hits / sims


def calibrate(sims: int, seed: int = 2024) -> list[Calibration]:
    """Run every path; `sims` null data sets (and as many under an effect) per path."""
    two = ({"control": 0.0, "drug": 0.0}, {"control": 0.0, "drug": 1.0})
    three = ({"control": 0.0, "a": 0.0, "b": 0.0}, {"control": 0.0, "a": 1.0, "b": 0.0})

    def paired(n: int, refs: int = 1) -> Callable[[np.random.Generator, int, dict[str, float]],
                                                  pd.DataFrame]:  # fmt: skip
        return lambda rng, k, groups: _paired_wells(rng, k, groups, n, refs)

    def separate(wells: int, refs: int) -> Callable[
        [np.random.Generator, int, dict[str, float]], pd.DataFrame
    ]:  # fmt: skip
        return lambda rng, k, groups: _separate_wells(rng, k, groups, wells, refs)

    def technical(rng: np.random.Generator, k: int, groups: dict[str, float]) -> pd.DataFrame:
        return _paired_wells(rng, k, groups, 1, 1, bio_sd=0.0)

    def blocked(rng: np.random.Generator, k: int, groups: dict[str, float]) -> pd.DataFrame:
        # Three experiments (blocks), one sample per group in each; each experiment shifts
        # every ΔCt of its samples by its own amount (SD 1 cycle).
        frame = _paired_wells(rng, k, groups, 3, 1)
        experiment = frame["sample"].str[-1]
        shifts = rng.normal(0, 1.0, (k, 3))
        shift = shifts[frame["sim"].to_numpy(int), experiment.astype(int).to_numpy()]
        target = (frame["gene"] == "target").to_numpy()
        moved = frame["ct"] + np.where(target, shift, 0.0)
        result: pd.DataFrame = frame.assign(block=experiment, ct=moved)
        return result

    results = [
        _run_expression("two groups (Student's t on ΔCt, 3 samples)", "ΔΔCt 1 cycle", sims,
                        seed, paired(3), *two, refs=1),
        _run_expression("three groups (Dunnett, 4 samples; family-wise)", "ΔΔCt 1 cycle in one",
                        sims, seed + 1, paired(4), *three, refs=1),
        _run_expression("two reference genes (3 samples)", "ΔΔCt 1 cycle", sims, seed + 2,
                        paired(3, refs=2), *two, refs=2),
        _run_expression("separate wells, two reference genes (contrast, 4 wells)",
                        "ΔΔCt 1 cycle", sims, seed + 3, separate(4, 2), *two, refs=2,
                        replicates="biological"),
        _run_expression("one cDNA per group (technical CI, no test)", "ΔΔCt 1 cycle", sims,
                        seed + 4, technical, *two, refs=1, replicates="technical"),
        _run_expression("experiments as blocks (3, one sample per group in each)",
                        "ΔΔCt 1 cycle", sims, seed + 8, blocked, *two, refs=1, block="block"),
        _run_expression("Pfaffl (E 1.9 / 2.0, 3 samples)", "log2 ratio 1", sims, seed + 5,
                        _pfaffl(paired(3)), *two, refs=1,
                        efficiencies=(("ref0", 2.0), ("target", 1.9))),
        _run_pfaffl_estimated(sims, seed + 9),
        _run_tukey("Tukey HSD, experiments as blocks (4 groups × 3; family-wise)", sims,
                   seed + 10, blocked, 1, block="block"),
        _run_tukey("Tukey–Kramer, separate wells (4 groups, 4 wells; family-wise)", sims,
                   seed + 11, separate(4, 1), 1, replicates="biological"),
    ]  # fmt: skip
    rng = np.random.default_rng(seed + 6)
    viability_paths = (
        (3, 3, False, "viability, 3 experiments (one-sample t vs 100 %)"),
        (1, 6, False, "(explicit --replicates wells: one plate's wells as n)"),
        (3, 3, True, "(not assay: 3 experiments' wells pooled as n)"),
    )
    for experiments, wells, pooled, name in viability_paths:
        type_one, coverage = _viability_path(rng, sims, 1.0, experiments, wells, pooled=pooled)
        power, _ = _viability_path(rng, sims, 0.8, experiments, wells, pooled=pooled)
        results.append(Calibration(path=name, simulations=sims, type_one=type_one,
                                   coverage=coverage, power=power,
                                   effect="viability 80 %"))  # fmt: skip
    rng = np.random.default_rng(seed + 7)
    results.append(Calibration(
        path="two-way interaction (2 × 2, 3 samples)", simulations=sims,
        type_one=_interaction_path(rng, sims, 0.0), coverage=math.nan,
        power=_interaction_path(rng, sims, 1.0), effect="1 cycle more in one panel",
    ))  # fmt: skip
    return results


def _pfaffl(
    make: Callable[[np.random.Generator, int, dict[str, float]], pd.DataFrame],
) -> Callable[[np.random.Generator, int, dict[str, float]], pd.DataFrame]:
    """Simulated log2 quantities as raw Cts of genes with efficiencies 1.9 (target), 2.0."""

    def scaled(rng: np.random.Generator, k: int, groups: dict[str, float]) -> pd.DataFrame:
        frame = make(rng, k, groups)
        factor = np.where(frame["gene"] == "target", 1.0 / math.log2(1.9), 1.0)
        result: pd.DataFrame = frame.assign(ct=frame["ct"] * factor)
        return result

    return scaled


def table(results: list[Calibration]) -> str:
    """The calibration table, as the README shows it."""
    lines = [
        "| path | data sets | type-I error (α 0.05) | 95 % CI coverage | power | effect |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        cells = ["–" if math.isnan(x) else f"{x:.3f}" for x in (r.type_one, r.coverage, r.power)]
        lines.append(f"| {r.path} | {r.simulations:,} | {' | '.join(cells)} | {r.effect} |")
    return "\n".join(lines)
