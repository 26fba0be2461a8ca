"""Thermodynamics of primers under stated reaction conditions, through primer3-py.

The adapter between assay and primer3: Tm by SantaLucia 1998 nearest-neighbour parameters with
SantaLucia salt and Owczarzy 2008 Mg²⁺ corrections, and hairpins and dimers by primer3's
thermodynamic alignment. ΔG leaves this module in kcal/mol (primer3-py returns cal/mol).

Degenerate primers are expanded into the concrete sequences they stand for (at most
`MAX_VARIANTS`); each figure is then the worst case over them, and `tm_c`/`tm_max_c` give the range.

>>> from assay.primers.conditions import ReactionConditions
>>> round(melting_temp_c("TGAAGGTCGGAGTCAACGG", ReactionConditions()), 1)
59.3
>>> three_prime_stability_kcal_per_mol("TGAAGGTCGGAGTCAACGG")
4.44
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import primer3

from assay.primers.conditions import ReactionConditions
from assay.primers.model import Primer
from assay.primers.sequence import expand, expansion_count

MAX_VARIANTS = 64

# SantaLucia 1998 (PNAS 95:1460), Table 2: unified nearest-neighbour ΔG°37 in kcal/mol, 1 M NaCl,
# keyed by the top-strand dinucleotide 5'→3'.
_NN_DG37: dict[str, float] = {
    "AA": -1.00, "TT": -1.00, "AT": -0.88, "TA": -0.58,
    "CA": -1.45, "TG": -1.45, "GT": -1.44, "AC": -1.44,
    "CT": -1.28, "AG": -1.28, "GA": -1.30, "TC": -1.30,
    "CG": -2.17, "GC": -2.24, "GG": -1.84, "CC": -1.84,
}  # fmt: skip
_INITIATION_DG37 = 1.96
_TERMINAL_AT_DG37 = 0.05
_SYMMETRY_DG37 = 0.43


@dataclass(frozen=True, slots=True, kw_only=True)
class Structure:
    """A hairpin or dimer predicted by primer3's thermodynamic alignment.

    Attributes:
        found: Whether any structure was found.
        dg_kcal_per_mol: Its ΔG at the conditions' temperature (0 when none was found).
        tm_c: Its melting temperature, or None when none was found.
    """

    found: bool
    dg_kcal_per_mol: float
    tm_c: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimerThermo:
    """Thermodynamic figures of one primer (worst case over a degenerate primer's variants).

    Attributes:
        tm_c: Melting temperature (the lowest over variants).
        tm_max_c: The highest melting temperature over variants (equal to `tm_c` when exact).
        hairpin: The most stable hairpin.
        homodimer: The most stable self-dimer anywhere along the primer.
        three_prime_self_dimer: The most stable self-dimer anchored at the 3' end.
        three_prime_stability_kcal_per_mol: −ΔG°37 of the last five 3' bases on their complement
            (Primer3's END_STABILITY: bigger is more stable).
        variants: Number of concrete sequences the primer stands for.
    """

    tm_c: float
    tm_max_c: float
    hairpin: Structure
    homodimer: Structure
    three_prime_self_dimer: Structure
    three_prime_stability_kcal_per_mol: float
    variants: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PairThermo:
    """Thermodynamic figures of a primer pair.

    Attributes:
        heterodimer: The most stable dimer between forward and reverse anywhere along them.
        three_prime_dimer: The most stable dimer with either primer's 3' end anchored on the other.
    """

    heterodimer: Structure
    three_prime_dimer: Structure


def _kwargs(conditions: ReactionConditions) -> dict[str, float]:
    return {
        "mv_conc": conditions.mv_conc_mm,
        "dv_conc": conditions.dv_conc_mm,
        "dntp_conc": conditions.dntp_conc_mm,
        "dna_conc": conditions.primer_conc_nm,
    }


def _structure(result: primer3.thermoanalysis.ThermoResult) -> Structure:
    found = bool(result.structure_found)
    return Structure(
        found=found,
        dg_kcal_per_mol=float(result.dg) / 1000.0 if found else 0.0,
        tm_c=float(result.tm) if found else None,
    )


def _most_stable(structures: list[Structure]) -> Structure:
    return min(structures, key=lambda s: s.dg_kcal_per_mol)


def _variants(primer: Primer) -> list[str]:
    count = expansion_count(primer.sequence)
    if count > MAX_VARIANTS:
        raise ValueError(
            f'primer "{primer.sequence}" stands for {count} sequences; thermodynamics are '
            f"computed for at most {MAX_VARIANTS}"
        )
    return list(expand(primer.sequence))


def melting_temp_c(sequence: str, conditions: ReactionConditions) -> float:
    """Return the Tm of an exact (ACGT) primer on its perfect complement.

    SantaLucia 1998 nearest-neighbour Tm with SantaLucia 1998 salt correction and Owczarzy 2008
    divalent-cation correction, as computed by Primer3.
    """
    return float(primer3.calc_tm(sequence, **_kwargs(conditions)))


def three_prime_stability_kcal_per_mol(sequence: str, window: int = 5) -> float:
    """Return −ΔG°37 (kcal/mol) of the last `window` 3' bases paired with their complement.

    SantaLucia 1998 unified nearest-neighbour ΔG°37 at 1 M NaCl: the sum of the stacks, plus
    initiation (+1.96), +0.05 for each terminal A·T pair and +0.43 for a self-complementary
    duplex. This is Primer3's END_STABILITY (PRIMER_MAX_END_STABILITY): larger means a more stable
    3' end, which primes more readily on partial matches.

    Args:
        sequence: An exact (ACGT) sequence, 5'→3'.
        window: Number of 3'-terminal bases.

    Returns:
        The stability in kcal/mol, rounded to 0.01 as Primer3 reports it.
    """
    end = sequence[-window:]
    dg = _INITIATION_DG37 + sum(_NN_DG37[end[i : i + 2]] for i in range(len(end) - 1))
    dg += _TERMINAL_AT_DG37 * sum(base in "AT" for base in (end[0], end[-1]))
    complement = end.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    if end == complement:
        dg += _SYMMETRY_DG37
    return round(-dg, 2)


def primer_thermo(primer: Primer, conditions: ReactionConditions) -> PrimerThermo:
    """Compute the thermodynamic figures of one primer.

    Raises:
        ValueError: When a degenerate primer stands for more than `MAX_VARIANTS` sequences.
    """
    variants = _variants(primer)
    kwargs = _kwargs(conditions)
    temp = {"temp_c": conditions.temp_c}
    tms = [melting_temp_c(seq, conditions) for seq in variants]
    return PrimerThermo(
        tm_c=min(tms),
        tm_max_c=max(tms),
        hairpin=_most_stable(
            [_structure(primer3.calc_hairpin(seq, **kwargs, **temp)) for seq in variants]
        ),
        homodimer=_most_stable(
            [_structure(primer3.calc_homodimer(seq, **kwargs, **temp)) for seq in variants]
        ),
        three_prime_self_dimer=_most_stable(
            [_structure(primer3.calc_end_stability(seq, seq, **kwargs, **temp)) for seq in variants]
        ),
        three_prime_stability_kcal_per_mol=max(
            three_prime_stability_kcal_per_mol(seq) for seq in variants
        ),
        variants=len(variants),
    )


def pair_thermo(forward: Primer, reverse: Primer, conditions: ReactionConditions) -> PairThermo:
    """Compute the dimers between the two primers of a pair.

    Raises:
        ValueError: When a degenerate primer stands for more than `MAX_VARIANTS` sequences.
    """
    kwargs = _kwargs(conditions)
    temp = {"temp_c": conditions.temp_c}
    combos = list(itertools.product(_variants(forward), _variants(reverse)))
    heterodimers = [_structure(primer3.calc_heterodimer(f, r, **kwargs, **temp)) for f, r in combos]
    ends = [
        _structure(primer3.calc_end_stability(a, b, **kwargs, **temp))
        for f, r in combos
        for a, b in ((f, r), (r, f))
    ]
    return PairThermo(heterodimer=_most_stable(heterodimers), three_prime_dimer=_most_stable(ends))


def product_tm_c(sequence: str, conditions: ReactionConditions) -> float:
    """Return the Tm of a PCR product, as a guide to where its SYBR melt peak should be.

    Primer3's long-sequence formula (Primer3 ``long_seq_tm``, after Rychlik et al. 1990):
    Tm = 81.5 + 16.6·log10([Na⁺eq]) + 0.41·(%GC) − 600/N, where Mg²⁺ is counted as monovalent
    equivalents, 120·√([Mg²⁺] − [dNTP]) mM (von Ahsen et al. 2001).

    Args:
        sequence: The product, ACGT.
        conditions: Reaction conditions.

    Returns:
        The Tm in °C.
    """
    free_mg = conditions.dv_conc_mm - conditions.dntp_conc_mm
    monovalent_mm = conditions.mv_conc_mm + (120.0 * math.sqrt(free_mg) if free_mg > 0 else 0.0)
    gc = sum(base in "GC" for base in sequence)
    n = len(sequence)
    return 81.5 + 16.6 * math.log10(monovalent_mm / 1000.0) + 41.0 * gc / n - 600.0 / n
