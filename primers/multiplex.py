"""Multiplex panels: one pair per gene whose oligos leave one another alone.

Every oligo of the panel (primers, and probes when designed) is checked against every oligo of
the other genes under the panel's conditions: the most stable dimer anywhere along them, and the
most stable dimer with either 3' end anchored (the one a polymerase extends into an artefact).
Two pairs are compatible when no dimer between their oligos reaches the dimer *fail* limit
(−9 kcal/mol, IDT) and no 3'-anchored dimer reaches the 3'-dimer limit (−5 kcal/mol, PREMIER
Biosoft): the limits validate applies to a pair's own primers, so one pair and a panel are judged
alike. A panel is chosen by trying each gene's proposals in rank order, backtracking when a gene
has no proposal compatible with those chosen. With SYBR, products whose Tm lie within
`MELT_APART_C` cannot be told apart by their melt peaks: said.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from assay.primers.conditions import ReactionConditions
from assay.primers.design import Design, DesignedPair
from assay.primers.model import Primer
from assay.primers.thermo import pair_thermo
from assay.primers.thresholds import Thresholds

MELT_APART_C = 2.0  # SYBR melt peaks closer than this are one peak to the eye and to software


@dataclass(frozen=True, slots=True, kw_only=True)
class Oligo:
    """One oligo of a panel (name like GAPDH_F)."""

    gene: str
    name: str
    sequence: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    """The dimers of two oligos: anywhere along them, and 3'-anchored (kcal/mol, 0 for none)."""

    dimer_dg: float
    three_prime_dg: float

    def clashes(self, limits: Thresholds) -> bool:
        """True when either dimer reaches its limit."""
        anywhere = self.dimer_dg <= limits.dimer_dg_fail_kcal_per_mol
        return anywhere or self.three_prime_dg <= limits.three_prime_dimer_dg_warn_kcal_per_mol


@dataclass(frozen=True, slots=True, kw_only=True)
class Panel:
    """The chosen pair per gene, every oligo, and what was found between them.

    Attributes:
        pairs: (gene, the proposal chosen), in the order asked; empty when none is compatible.
        oligos: Every oligo of the chosen pairs.
        matrix: (oligo name, oligo name) -> interaction, for oligos of different genes.
        notes: Clashes that could not be avoided, genes without a proposal, melt collisions.
    """

    pairs: tuple[tuple[str, DesignedPair], ...]
    oligos: tuple[Oligo, ...]
    matrix: dict[tuple[str, str], Interaction]
    notes: tuple[str, ...]


def oligos_of(gene: str, item: DesignedPair) -> list[Oligo]:
    """A proposal's oligos: forward, reverse, and its probe when it has one."""
    found = [Oligo(gene=gene, name=f"{gene}_F", sequence=item.pair.forward.sequence),
             Oligo(gene=gene, name=f"{gene}_R", sequence=item.pair.reverse.sequence)]  # fmt: skip
    if item.probe is not None:
        found.append(Oligo(gene=gene, name=f"{gene}_P", sequence=item.probe.sequence))
    return found


def interaction(a: str, b: str, conditions: ReactionConditions) -> Interaction:
    """The dimers between two oligos under `conditions`."""
    thermo = pair_thermo(Primer(sequence=a), Primer(sequence=b), conditions)
    return Interaction(
        dimer_dg=round(thermo.heterodimer.dg_kcal_per_mol, 2),
        three_prime_dg=round(thermo.three_prime_dimer.dg_kcal_per_mol, 2),
    )


class _Cache:
    def __init__(self, conditions: ReactionConditions) -> None:
        self.conditions = conditions
        self.seen: dict[tuple[str, str], Interaction] = {}

    def get(self, a: str, b: str) -> Interaction:
        key = (a, b) if a <= b else (b, a)
        if key not in self.seen:
            self.seen[key] = interaction(key[0], key[1], self.conditions)
        return self.seen[key]


def _compatible(
    oligos: Sequence[Oligo], chosen: Sequence[Oligo], cache: _Cache, limits: Thresholds
) -> bool:
    return not any(cache.get(a.sequence, b.sequence).clashes(limits)
                   for a in oligos for b in chosen)  # fmt: skip


def choose_panel(
    designs: Sequence[Design], conditions: ReactionConditions, limits: Thresholds
) -> Panel:
    """One proposal per gene, all compatible (see the module docstring)."""
    cache = _Cache(conditions)
    genes = [(d.gene, d.pairs) for d in designs if d.pairs]
    notes = [f"{d.gene}: no proposal to place in the panel" for d in designs if not d.pairs]
    choice = _search(genes, [], cache, limits)
    if choice is None:
        notes.append("no combination of the proposals is free of clashing dimers: the panel "
                     "below is each gene's first proposal, clashes listed")  # fmt: skip
        choice = [(gene, pairs[0]) for gene, pairs in genes]
    oligos = [o for gene, item in choice for o in oligos_of(gene, item)]
    matrix = {
        (a.name, b.name): cache.get(a.sequence, b.sequence)
        for a, b in itertools.combinations(oligos, 2) if a.gene != b.gene
    }  # fmt: skip
    notes.extend(
        f"{a} and {b}: dimer dG {i.dimer_dg:.1f}, 3'-anchored {i.three_prime_dg:.1f} kcal/mol"
        for (a, b), i in matrix.items() if i.clashes(limits)
    )  # fmt: skip
    if not any(item.probe is not None for _, item in choice):  # SYBR: products told by melt
        notes.extend(_melt_collisions(choice))
    return Panel(pairs=tuple(choice), oligos=tuple(oligos), matrix=matrix, notes=tuple(notes))


def _search(
    genes: Sequence[tuple[str, Sequence[DesignedPair]]],
    chosen: list[tuple[str, DesignedPair]], cache: _Cache, limits: Thresholds,
) -> list[tuple[str, DesignedPair]] | None:  # fmt: skip
    """Depth-first over each gene's proposals in rank order (the first full panel wins)."""
    if len(chosen) == len(genes):
        return list(chosen)
    gene, proposals = genes[len(chosen)]
    placed = [o for g, item in chosen for o in oligos_of(g, item)]
    for item in proposals:
        if _compatible(oligos_of(gene, item), placed, cache, limits):
            found = _search(genes, [*chosen, (gene, item)], cache, limits)
            if found is not None:
                return found
    return None


def _melt_collisions(choice: Sequence[tuple[str, DesignedPair]]) -> list[str]:
    """Pairs of products whose SYBR melt peaks would fall within `MELT_APART_C`."""
    tms = []
    for gene, item in choice:
        check = item.report.reference_check
        if check is not None and check.product_tm_c is not None:
            tms.append((gene, check.product_tm_c))
    return [
        f"{a} and {b}: products melt {abs(ta - tb):.1f} C apart ({ta:.1f}, {tb:.1f} C), under "
        f"{MELT_APART_C:g} C: with SYBR their melt peaks merge (use probes, or separate wells)"
        for (a, ta), (b, tb) in itertools.combinations(tms, 2) if abs(ta - tb) < MELT_APART_C
    ]  # fmt: skip


def panel_text(panel: Panel) -> str:
    """The panel and its cross-dimer matrix (kcal/mol; * marks a clash) for a terminal."""
    lines = ["", "Multiplex panel: " + ", ".join(f"{g} #{i.rank}" for g, i in panel.pairs)]
    names = [o.name for o in panel.oligos]
    if names:
        width = max(len(n) for n in names) + 1
        lines.append("  cross-dimer dG (kcal/mol, anywhere / 3'-anchored), oligos of other genes:")
        lines.append("  " + " " * width + "".join(n.rjust(13) for n in names))
        for a in names:
            cells = []
            for b in names:
                found = panel.matrix.get((a, b)) or panel.matrix.get((b, a))
                shown = "-" if found is None else f"{found.dimer_dg:.1f}/{found.three_prime_dg:.1f}"
                cells.append(shown.rjust(13))
            lines.append("  " + a.ljust(width) + "".join(cells))
    lines.extend(f"  note: {note}" for note in panel.notes)
    if not panel.notes:
        lines.append("  no dimer between the genes' oligos reaches -9 kcal/mol (anywhere) or -5 "
                     "kcal/mol (3'-anchored); melt peaks at least 2 C apart")  # fmt: skip
    return "\n".join(lines) + "\n"
