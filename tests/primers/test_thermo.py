"""Thermodynamics agree with primer3 itself, called by other routes, and with hand calculations.

Independent references:
* libprimer3's own primer checking (`design_primers` with PRIMER_TASK=check_primers): the C
  library's primer pipeline computes Tm, END_STABILITY, HAIRPIN_TH, SELF_ANY_TH, SELF_END_TH and
  PAIR_COMPL_ANY_TH itself, from the reaction settings we pass in its own parameter names.
* primer3-py's calc_* functions called directly (for ΔG, in cal/mol).
* SantaLucia 1998 Table 2, summed by hand for the 3'-end stability.
"""

from __future__ import annotations

from typing import Any

import primer3
import pytest
from primer3 import bindings

from assay.primers.conditions import PRESETS, ReactionConditions
from assay.primers.model import Primer
from assay.primers.thermo import (
    MAX_VARIANTS,
    Structure,
    melting_temp_c,
    pair_thermo,
    primer_thermo,
    three_prime_stability_kcal_per_mol,
)

# Table 1 of the seed paper, plus two primers made to fold: a 6-bp GC stem hairpin and a
# self-complementary stretch, each paired with a Table 1 reverse primer.
PAIRS = [
    pytest.param("ATCTGGGGAGTATGTTGCAGAA", "GTTGGGTGGATACCAGATCCTTT", id="JAK2"),
    pytest.param("GAATCACGCCTTCTACAGACT", "TTCCGGACATCCTGAAGGT", id="STAT3"),
    pytest.param("CATGGAGGAGAACCCTTATGTGA", "AGCACGAGGAAGATCAGGAATG", id="PI3k"),
    pytest.param("CAACAAGCGATCCCGAACGA", "CCAAGTCCACACCGTCCAA", id="mTOR"),
    pytest.param("TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA", id="GAPDH"),
    pytest.param("GGGCGCAAAAGCGCCCTTTTAG", "TGGGTGGAATCATATTGGAACA", id="hairpin-made"),
    pytest.param("ACGCGTACGCGTACGCGTAC", "CCAAGTCCACACCGTCCAA", id="self-dimer-made"),
]
CONDITIONS = [pytest.param(c, id=name) for name, c in PRESETS.items()]


def _libprimer3_check(left: str, right: str, c: ReactionConditions) -> dict[str, Any]:
    result: dict[str, Any] = bindings.design_primers(
        {"SEQUENCE_ID": "check", "SEQUENCE_PRIMER": left, "SEQUENCE_PRIMER_REVCOMP": right},
        {
            "PRIMER_TASK": "check_primers",
            "PRIMER_PICK_ANYWAY": 1,
            "PRIMER_SALT_MONOVALENT": c.mv_conc_mm,
            "PRIMER_SALT_DIVALENT": c.dv_conc_mm,
            "PRIMER_DNTP_CONC": c.dntp_conc_mm,
            "PRIMER_DNA_CONC": c.primer_conc_nm,
            "PRIMER_MIN_SIZE": 10,
            "PRIMER_MAX_SIZE": 36,
            "PRIMER_PRODUCT_SIZE_RANGE": [[40, 1000]],
        },
    )
    return result


def _reported_tm(structure: Structure) -> float:
    """Primer3 reports a structure's Tm as 0 when none is found or it melts below 0 °C."""
    return max(0.0, structure.tm_c or 0.0)


@pytest.mark.parametrize("conditions", CONDITIONS)
@pytest.mark.parametrize(("left", "right"), PAIRS)
def test_figures_agree_with_libprimer3_primer_check(
    left: str, right: str, conditions: ReactionConditions
) -> None:
    expected = _libprimer3_check(left, right, conditions)
    forward = primer_thermo(Primer(sequence=left), conditions)
    reverse = primer_thermo(Primer(sequence=right), conditions)
    pair = pair_thermo(Primer(sequence=left), Primer(sequence=right), conditions)
    for side, ours in (("LEFT", forward), ("RIGHT", reverse)):
        assert ours.tm_c == pytest.approx(expected[f"PRIMER_{side}_0_TM"], abs=1e-6)
        assert ours.three_prime_stability_kcal_per_mol == pytest.approx(
            expected[f"PRIMER_{side}_0_END_STABILITY"], abs=1e-9
        )
        assert _reported_tm(ours.hairpin) == pytest.approx(
            expected[f"PRIMER_{side}_0_HAIRPIN_TH"], abs=0.01
        )
        assert _reported_tm(ours.homodimer) == pytest.approx(
            expected[f"PRIMER_{side}_0_SELF_ANY_TH"], abs=0.01
        )
        assert _reported_tm(ours.three_prime_self_dimer) == pytest.approx(
            expected[f"PRIMER_{side}_0_SELF_END_TH"], abs=0.01
        )
    assert _reported_tm(pair.heterodimer) == pytest.approx(
        expected["PRIMER_PAIR_0_COMPL_ANY_TH"], abs=0.01
    )


@pytest.mark.parametrize(("left", "right"), PAIRS)
def test_dg_is_primer3s_cal_per_mol_in_kcal_per_mol(left: str, right: str) -> None:
    c = ReactionConditions()
    args = {"mv_conc": 50.0, "dv_conc": 1.5, "dntp_conc": 0.6, "dna_conc": 50.0, "temp_c": 37.0}
    ours = primer_thermo(Primer(sequence=left), c)
    hairpin = primer3.calc_hairpin(left, **args)
    homodimer = primer3.calc_homodimer(left, **args)
    assert ours.hairpin.dg_kcal_per_mol == pytest.approx(
        hairpin.dg / 1000 if hairpin.structure_found else 0.0
    )
    assert ours.homodimer.dg_kcal_per_mol == pytest.approx(homodimer.dg / 1000)
    # The 3'-anchored pair dimer is the more stable (lower ΔG) of the two orientations.
    ends = [primer3.calc_end_stability(a, b, **args) for a, b in ((left, right), (right, left))]
    expected = min(end.dg / 1000 if end.structure_found else 0.0 for end in ends)
    pair = pair_thermo(Primer(sequence=left), Primer(sequence=right), c)
    assert pair.three_prime_dimer.dg_kcal_per_mol == pytest.approx(expected)


@pytest.mark.parametrize(
    ("sequence", "by_hand"),
    [
        # GAPDH forward ends AACGG: stacks AA -1.00, AC -1.44, CG -2.17, GG -1.84 = -6.45;
        # + initiation 1.96 + one terminal A·T (the 5' A of the pentamer) 0.05 -> ΔG -4.44.
        ("TGAAGGTCGGAGTCAACGG", 4.44),
        # GAPDH reverse ends GAACA: GA -1.30, AA -1.00, AC -1.44, CA -1.45 = -5.19;
        # + 1.96 + one terminal A·T (the 3' A) 0.05 -> ΔG -3.18.
        ("TGGGTGGAATCATATTGGAACA", 3.18),
        # A made 3' end GCGCG: GC -2.24, CG -2.17, GC -2.24, CG -2.17 = -8.82; + 1.96 -> -6.86.
        ("AAAAAAAAAAAAAAAGCGCG", 6.86),
    ],
)
def test_three_prime_stability_by_hand(sequence: str, by_hand: float) -> None:
    assert three_prime_stability_kcal_per_mol(sequence) == pytest.approx(by_hand)


def test_stronger_mg_and_primer_raise_tm() -> None:
    # Owczarzy 2008: Mg2+ stabilises duplexes; more primer also raises the Tm (two-state model).
    primer = "TGGGTGGAATCATATTGGAACA"
    assert melting_temp_c(primer, PRESETS["sybr-2x"]) > melting_temp_c(primer, PRESETS["primer3"])


def test_degenerate_primer_gives_the_range_over_its_variants() -> None:
    # GAPDH forward with its 11th base (A) written as R (A or G).
    c = ReactionConditions()
    thermo = primer_thermo(Primer(sequence="TGAAGGTCGGRGTCAACGG"), c)
    as_a = melting_temp_c("TGAAGGTCGGAGTCAACGG", c)
    as_g = melting_temp_c("TGAAGGTCGGGGTCAACGG", c)
    assert thermo.variants == 2
    assert (thermo.tm_c, thermo.tm_max_c) == pytest.approx((min(as_a, as_g), max(as_a, as_g)))


def test_too_degenerate_primer_is_refused() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_VARIANTS}"):
        primer_thermo(Primer(sequence="TGAANNNNGGAGTCAACGG"), ReactionConditions())


@pytest.mark.parametrize(
    ("conditions", "published_tm"),
    [
        # primer3-py README (2.x): calc_tm('GTAAAACGACGGCCAGT') -> 54.695494691112515 with the
        # Primer3 2.x defaults (50 mM monovalent, 1.5 mM Mg2+, 0.6 mM dNTP, 50 nM oligo).
        pytest.param(ReactionConditions(), 54.695494691112515, id="primer3 2.x defaults"),
        # primer3-py README (1.x): the same call gave 49.16808228911765 when the defaults had no
        # Mg2+ and no dNTP.
        pytest.param(
            ReactionConditions(dv_conc_mm=0.0, dntp_conc_mm=0.0), 49.16808228911765, id="no Mg2+"
        ),
    ],
)
def test_tm_of_m13_primer_as_published(conditions: ReactionConditions, published_tm: float) -> None:
    assert melting_temp_c("GTAAAACGACGGCCAGT", conditions) == pytest.approx(published_tm, abs=1e-9)


def test_hairpin_as_published() -> None:
    # primer3-py README (2.x): calc_hairpin('CCCCCATCCGATCAGGGGG') ->
    # ThermoResult(structure_found=True, tm=66.75, dg=-3176.92, ...), dg in cal/mol.
    thermo = primer_thermo(Primer(sequence="CCCCCATCCGATCAGGGGG"), ReactionConditions())
    assert thermo.hairpin.tm_c == pytest.approx(66.75, abs=0.005)
    assert thermo.hairpin.dg_kcal_per_mol == pytest.approx(-3.17692, abs=5e-6)


def test_product_tm_by_primer3s_long_sequence_formula() -> None:
    from assay.primers.conditions import ReactionConditions
    from assay.primers.thermo import product_tm_c

    # 100 nt, 50 G/C. Primer3's conditions: 50 mM monovalent, 1.5 mM Mg2+, 0.6 mM dNTP.
    # Free Mg2+ 0.9 mM -> 120 * sqrt(0.9) = 113.842 mM monovalent equivalents; 163.842 mM in all.
    # Tm = 81.5 + 16.6 * log10(0.163842) + 0.41 * 50 - 600 / 100
    #    = 81.5 - 13.0402 + 20.5 - 6 = 82.9598 C.
    sequence = "GC" * 25 + "AT" * 25
    assert product_tm_c(sequence, ReactionConditions()) == pytest.approx(82.9598, abs=1e-3)
    # Without Mg2+ beyond the dNTP, only the monovalent ions count: 50 mM.
    # Tm = 81.5 + 16.6 * log10(0.05) + 20.5 - 6 = 81.5 - 21.5969 + 14.5 = 74.4031 C.
    no_mg = ReactionConditions(dv_conc_mm=0.6)
    assert product_tm_c(sequence, no_mg) == pytest.approx(74.4031, abs=1e-3)
