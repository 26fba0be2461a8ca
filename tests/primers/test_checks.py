"""Each rule, on a primer or figure made to break exactly that rule (and one made to just pass)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assay.primers.checks import pair_findings, sequence_findings, thermo_findings, verdict_of
from assay.primers.model import Check, Finding, Primer, Severity, Verdict
from assay.primers.thermo import PairThermo, PrimerThermo, Structure
from assay.primers.thresholds import Thresholds

LIMITS = Thresholds()
GAPDH_F = "TGAAGGTCGGAGTCAACGG"  # Table 1; 19 nt, 11 G/C (57.9 %), breaks no sequence rule


def _codes(findings: list[Finding]) -> list[tuple[Check, Severity]]:
    return [(finding.code, finding.severity) for finding in findings]


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        pytest.param(GAPDH_F, [], id="Table 1 GAPDH forward"),
        # GAPDH forward cut to 16 nt: 8 G/C = 50 %, AGTCAA ends with 2 G/C.
        pytest.param("TGAAGGTCGGAGTCAA", [(Check.LENGTH, Severity.WARN)], id="16 nt"),
        pytest.param("TGAAGGTCGGAGTC", [(Check.LENGTH, Severity.FAIL)], id="14 nt"),
        pytest.param("TGAAGGTCGGAGTCAACGGTGCTAGCAC", [(Check.LENGTH, Severity.WARN)], id="28 nt"),
        pytest.param(
            "TGAAGGTCGGAGTCAACGGTGCTAGCACTGATCAGTCAG", [(Check.LENGTH, Severity.FAIL)], id="39 nt"
        ),
        # 6 G/C of 19 = 31.6 %
        pytest.param("TGAATGTCTAATTCAACAG", [(Check.GC_CONTENT, Severity.WARN)], id="GC 32%"),
        # 14 G/C of 19 = 73.7 %, last five GTCAG hold 3
        pytest.param("GGCAGCCGGAGCCAGTCAG", [(Check.GC_CONTENT, Severity.WARN)], id="GC 74%"),
        # 2 G/C of 19 = 10.5 %
        pytest.param("TTAATGTATAATTAAACAT", [(Check.GC_CONTENT, Severity.FAIL)], id="GC 11%"),
        # 17 G/C of 19 = 89.5 %, last five CAGCA hold 3
        pytest.param("GGCGGCCGCGGCCGCAGCA", [(Check.GC_CONTENT, Severity.FAIL)], id="GC 89%"),
        # last five TATTA: no G or C
        pytest.param("TGAAGGTCGGAGTCGTATTA", [(Check.GC_CLAMP, Severity.WARN)], id="no clamp"),
        # last five GCGGC: 5 G/C
        pytest.param("TGAAGTTCGGAGTAGCGGC", [(Check.GC_CLAMP, Severity.WARN)], id="GC-rich end"),
        # AAAAAA: a run of 6 (Primer3 allows 5)
        pytest.param("GCAGTCGAAAAAAGTCCAGTG", [(Check.RUN, Severity.WARN)], id="run of 6"),
        pytest.param("GCAGTCGAAAAAGTCCAGTG", [], id="run of 5 passes"),
        # CACACACACA: 5 copies of CA
        pytest.param("TGAGCACACACACAGTCAACGG", [(Check.DINUCLEOTIDE, Severity.WARN)], id="CA x5"),
        pytest.param("TGAGCACACACAGTCAACGG", [], id="CA x4 passes"),
        pytest.param("TGAAGGTCGGRGTCAACGG", [(Check.DEGENERATE, Severity.WARN)], id="R"),
    ],
)
def test_sequence_rules(sequence: str, expected: list[tuple[Check, Severity]]) -> None:
    assert _codes(sequence_findings(Primer(sequence=sequence), LIMITS)) == expected


def test_findings_name_the_figures() -> None:
    (finding,) = sequence_findings(Primer(sequence="GCAGTCGAAAAAAGTCCAGTG"), LIMITS)
    assert "run of 6 A" in finding.message


NONE = Structure(found=False, dg_kcal_per_mol=0.0, tm_c=None)
GOOD = PrimerThermo(
    tm_c=60.0,
    tm_max_c=60.0,
    hairpin=NONE,
    homodimer=Structure(found=True, dg_kcal_per_mol=-3.0, tm_c=-10.0),
    three_prime_self_dimer=NONE,
    three_prime_stability_kcal_per_mol=4.0,
    variants=1,
)


@pytest.mark.parametrize(
    ("thermo", "expected"),
    [
        pytest.param(GOOD, [], id="good"),
        pytest.param(
            replace(GOOD, tm_c=56.9, tm_max_c=56.9), [(Check.TM, Severity.WARN)], id="Tm 56.9"
        ),
        pytest.param(replace(GOOD, tm_c=57.0, tm_max_c=57.0), [], id="Tm 57.0 passes"),
        pytest.param(replace(GOOD, tm_max_c=63.5), [(Check.TM, Severity.WARN)], id="Tm up to 63.5"),
        pytest.param(
            replace(GOOD, hairpin=Structure(found=True, dg_kcal_per_mol=-1.0, tm_c=47.5)),
            [(Check.HAIRPIN, Severity.WARN)],
            id="hairpin melting at 47.5",
        ),
        pytest.param(
            replace(GOOD, hairpin=Structure(found=True, dg_kcal_per_mol=-1.0, tm_c=47.0)),
            [],
            id="hairpin at 47.0 passes",
        ),
        pytest.param(
            replace(GOOD, homodimer=Structure(found=True, dg_kcal_per_mol=-6.5, tm_c=10.0)),
            [(Check.HOMODIMER, Severity.WARN)],
            id="self-dimer -6.5",
        ),
        pytest.param(
            replace(GOOD, homodimer=Structure(found=True, dg_kcal_per_mol=-9.0, tm_c=30.0)),
            [(Check.HOMODIMER, Severity.FAIL)],
            id="self-dimer -9.0",
        ),
        pytest.param(
            replace(
                GOOD, three_prime_self_dimer=Structure(found=True, dg_kcal_per_mol=-5.5, tm_c=5.0)
            ),
            [(Check.HOMODIMER, Severity.WARN)],
            id="3' self-dimer -5.5",
        ),
        pytest.param(
            replace(GOOD, three_prime_stability_kcal_per_mol=9.1),
            [(Check.END_STABILITY, Severity.WARN)],
            id="3' end 9.1",
        ),
    ],
)
def test_thermodynamic_rules(thermo: PrimerThermo, expected: list[tuple[Check, Severity]]) -> None:
    assert _codes(thermo_findings(thermo, LIMITS)) == expected


NO_DIMERS = PairThermo(heterodimer=NONE, three_prime_dimer=NONE)


@pytest.mark.parametrize(
    ("forward_tm", "reverse_tm", "pair", "anneal", "expected"),
    [
        pytest.param(60.0, 59.0, NO_DIMERS, 60.0, [], id="good"),
        pytest.param(
            60.0, 56.5, NO_DIMERS, None, [(Check.TM_DIFFERENCE, Severity.WARN)], id="dTm 3.5"
        ),
        pytest.param(
            60.0, 54.5, NO_DIMERS, None, [(Check.TM_DIFFERENCE, Severity.FAIL)], id="dTm 5.5"
        ),
        pytest.param(
            60.0,
            59.0,
            PairThermo(
                heterodimer=Structure(found=True, dg_kcal_per_mol=-9.5, tm_c=35.0),
                three_prime_dimer=NONE,
            ),
            None,
            [(Check.HETERODIMER, Severity.FAIL)],
            id="dimer -9.5",
        ),
        pytest.param(
            60.0,
            59.0,
            PairThermo(
                heterodimer=NONE,
                three_prime_dimer=Structure(found=True, dg_kcal_per_mol=-5.2, tm_c=3.0),
            ),
            None,
            [(Check.THREE_PRIME_DIMER, Severity.WARN)],
            id="3' dimer -5.2",
        ),
        # lower Tm 59.0: annealing 61.5 is 2.5 above (warn), 64.5 is 5.5 above (fail),
        # 61.0 is exactly 2.0 above (passes), 48.5 is 10.5 below (warn).
        pytest.param(60.0, 59.0, NO_DIMERS, 61.5, [(Check.ANNEALING, Severity.WARN)], id="Ta +2.5"),
        pytest.param(60.0, 59.0, NO_DIMERS, 64.5, [(Check.ANNEALING, Severity.FAIL)], id="Ta +5.5"),
        pytest.param(60.0, 59.0, NO_DIMERS, 61.0, [], id="Ta +2.0 passes"),
        pytest.param(
            60.0, 59.0, NO_DIMERS, 48.5, [(Check.ANNEALING, Severity.WARN)], id="Ta -10.5"
        ),
    ],
)
def test_pair_rules(
    forward_tm: float,
    reverse_tm: float,
    pair: PairThermo,
    anneal: float | None,
    expected: list[tuple[Check, Severity]],
) -> None:
    forward = replace(GOOD, tm_c=forward_tm, tm_max_c=forward_tm)
    reverse = replace(GOOD, tm_c=reverse_tm, tm_max_c=reverse_tm)
    assert _codes(pair_findings(forward, reverse, pair, anneal, LIMITS)) == expected


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [
        ([], Verdict.PASS),
        ([Severity.INFO], Verdict.PASS),
        ([Severity.WARN, Severity.INFO], Verdict.WARN),
        ([Severity.WARN, Severity.FAIL], Verdict.FAIL),
    ],
)
def test_verdict_is_the_worst_finding(severities: list[Severity], verdict: Verdict) -> None:
    findings = [Finding(code=Check.TM, severity=s, message="m") for s in severities]
    assert verdict_of(findings) is verdict


def test_thresholds_are_configurable_and_checked() -> None:
    strict = Thresholds(tm_diff_warn_c=1.0)
    forward, reverse = (
        replace(GOOD, tm_c=60.0, tm_max_c=60.0),
        replace(GOOD, tm_c=58.5, tm_max_c=58.5),
    )
    assert _codes(pair_findings(forward, reverse, NO_DIMERS, None, strict)) == [
        (Check.TM_DIFFERENCE, Severity.WARN)
    ]
    with pytest.raises(ValueError, match=r"tm_diff_warn_c .* must not exceed tm_diff_fail_c"):
        Thresholds(tm_diff_warn_c=6.0)
