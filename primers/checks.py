"""The rules a primer and a primer pair are judged by, each giving findings in plain language.

Pure functions over primers, their thermodynamic figures and `Thresholds`; no I/O. A rule that is
met gives no finding; a rule that is broken gives a `warn` or `fail` finding that says what was
found, what the limit is, and why it matters at the bench.

>>> from assay.primers.model import Primer
>>> [f.code.value for f in sequence_findings(Primer(sequence="GCAGTCCAAAAAAGCTGGCT"), Thresholds())]
['single_base_run']
"""

from __future__ import annotations

from collections.abc import Iterable

from assay.primers.model import Check, Finding, Primer, Severity, Verdict
from assay.primers.sequence import (
    degenerate_positions,
    gc_pct,
    longest_dinucleotide_repeat,
    longest_run,
    three_prime_gc_count,
)
from assay.primers.thermo import PairThermo, PrimerThermo, Structure
from assay.primers.thresholds import Thresholds


def _warn(code: Check, message: str) -> Finding:
    return Finding(code=code, severity=Severity.WARN, message=message)


def _fail(code: Check, message: str) -> Finding:
    return Finding(code=code, severity=Severity.FAIL, message=message)


def sequence_findings(primer: Primer, limits: Thresholds) -> list[Finding]:
    """Check length, GC content, GC clamp, runs and dinucleotide repeats of one primer."""
    findings: list[Finding] = []
    seq = primer.sequence
    degenerate = degenerate_positions(seq)
    if degenerate:
        listed = ", ".join(f"{code} at {pos}" for pos, code in degenerate)
        findings.append(
            _warn(
                Check.DEGENERATE,
                f"degenerate bases ({listed}): Tm and structures are the worst case over the "
                "sequences it stands for",
            )
        )
    n = primer.length
    if n < limits.length_fail_min_nt or n > limits.length_fail_max_nt:
        findings.append(
            _fail(
                Check.LENGTH,
                f"{n} nt is outside {limits.length_fail_min_nt}-{limits.length_fail_max_nt} nt: "
                "too short to be specific or too long for a reliable Tm",
            )
        )
    elif n < limits.length_min_nt or n > limits.length_max_nt:
        findings.append(
            _warn(
                Check.LENGTH,
                f"{n} nt is outside the advised {limits.length_min_nt}-{limits.length_max_nt} nt",
            )
        )
    gc = gc_pct(seq)
    if gc < limits.gc_fail_min_pct or gc > limits.gc_fail_max_pct:
        findings.append(
            _fail(
                Check.GC_CONTENT,
                f"GC {gc:.0f} % is outside {limits.gc_fail_min_pct:g}-{limits.gc_fail_max_pct:g} %",
            )
        )
    elif gc < limits.gc_min_pct or gc > limits.gc_max_pct:
        findings.append(
            _warn(
                Check.GC_CONTENT,
                f"GC {gc:.0f} % is outside the advised {limits.gc_min_pct:g}-"
                f"{limits.gc_max_pct:g} %",
            )
        )
    end_gc = three_prime_gc_count(seq, limits.clamp_window_nt)
    window = limits.clamp_window_nt
    if end_gc < limits.clamp_min_gc:
        findings.append(
            _warn(
                Check.GC_CLAMP,
                f"no G or C in the last {window} bases: a weak 3' end extends poorly",
            )
        )
    elif end_gc > limits.clamp_max_gc:
        findings.append(
            _warn(
                Check.GC_CLAMP,
                f"{end_gc} G/C in the last {window} bases (advised at most "
                f"{limits.clamp_max_gc}): a GC-rich 3' end primes on partial matches",
            )
        )
    base, run = longest_run(seq)
    if run > limits.max_run_nt:
        findings.append(
            _warn(
                Check.RUN,
                f"a run of {run} {base} (at most {limits.max_run_nt} advised): runs slip and "
                "misprime",
            )
        )
    unit, copies = longest_dinucleotide_repeat(seq)
    if copies > limits.max_dinucleotide_copies:
        findings.append(
            _warn(
                Check.DINUCLEOTIDE,
                f"{unit} repeated {copies} times (at most {limits.max_dinucleotide_copies} "
                "advised): repeats misprime",
            )
        )
    return findings


def _dimer_findings(
    code: Check, what: str, structure: Structure, limits: Thresholds
) -> Iterable[Finding]:
    dg = structure.dg_kcal_per_mol
    if not structure.found:
        return
    if dg <= limits.dimer_dg_fail_kcal_per_mol:
        yield _fail(
            code,
            f"{what} dG {dg:.1f} kcal/mol (limit {limits.dimer_dg_fail_kcal_per_mol:g}): "
            "primer-dimers will compete with the product and show in the melt curve",
        )
    elif dg <= limits.dimer_dg_warn_kcal_per_mol:
        yield _warn(
            code,
            f"{what} dG {dg:.1f} kcal/mol (advised above "
            f"{limits.dimer_dg_warn_kcal_per_mol:g}): check the melt curve for primer-dimers",
        )


def thermo_findings(thermo: PrimerThermo, limits: Thresholds) -> list[Finding]:
    """Check the Tm, hairpin, self-dimers and 3'-end stability of one primer."""
    findings: list[Finding] = []
    low, high = thermo.tm_c, thermo.tm_max_c
    shown = f"{low:.1f} C" if low == high else f"{low:.1f}-{high:.1f} C"
    if low < limits.tm_min_c or high > limits.tm_max_c:
        findings.append(
            _warn(
                Check.TM,
                f"Tm {shown} is outside the advised {limits.tm_min_c:g}-{limits.tm_max_c:g} C",
            )
        )
    hairpin = thermo.hairpin
    if hairpin.tm_c is not None and hairpin.tm_c > limits.hairpin_tm_max_c:
        findings.append(
            _warn(
                Check.HAIRPIN,
                f"hairpin melting at {hairpin.tm_c:.1f} C (dG {hairpin.dg_kcal_per_mol:.1f} "
                f"kcal/mol; advised below {limits.hairpin_tm_max_c:g} C)",
            )
        )
    findings.extend(_dimer_findings(Check.HOMODIMER, "self-dimer", thermo.homodimer, limits))
    end_dimer = thermo.three_prime_self_dimer
    if (
        end_dimer.found
        and end_dimer.dg_kcal_per_mol <= limits.three_prime_dimer_dg_warn_kcal_per_mol
    ):
        findings.append(
            _warn(
                Check.HOMODIMER,
                f"3'-end self-dimer dG {end_dimer.dg_kcal_per_mol:.1f} kcal/mol (advised above "
                f"{limits.three_prime_dimer_dg_warn_kcal_per_mol:g}): it can be extended into "
                "primer-dimer",
            )
        )
    stability = thermo.three_prime_stability_kcal_per_mol
    if stability > limits.end_stability_max_kcal_per_mol:
        findings.append(
            _warn(
                Check.END_STABILITY,
                f"3' end stability {stability:.2f} kcal/mol (advised at most "
                f"{limits.end_stability_max_kcal_per_mol:g}): a very stable 3' end primes on "
                "partial matches",
            )
        )
    return findings


def pair_findings(
    forward: PrimerThermo,
    reverse: PrimerThermo,
    pair: PairThermo,
    anneal_temp_c: float | None,
    limits: Thresholds,
) -> list[Finding]:
    """Check the Tm difference, the dimers between the primers and the annealing temperature."""
    findings: list[Finding] = []
    diff = max(abs(forward.tm_c - reverse.tm_c), abs(forward.tm_max_c - reverse.tm_max_c))
    if diff > limits.tm_diff_fail_c:
        findings.append(
            _fail(
                Check.TM_DIFFERENCE,
                f"the primers' Tm differ by {diff:.1f} C (limit {limits.tm_diff_fail_c:g}): "
                "no annealing temperature suits both",
            )
        )
    elif diff > limits.tm_diff_warn_c:
        findings.append(
            _warn(
                Check.TM_DIFFERENCE,
                f"the primers' Tm differ by {diff:.1f} C (advised at most "
                f"{limits.tm_diff_warn_c:g})",
            )
        )
    findings.extend(
        _dimer_findings(Check.HETERODIMER, "forward-reverse dimer", pair.heterodimer, limits)
    )
    end = pair.three_prime_dimer
    if end.found and end.dg_kcal_per_mol <= limits.three_prime_dimer_dg_warn_kcal_per_mol:
        findings.append(
            _warn(
                Check.THREE_PRIME_DIMER,
                f"3'-anchored forward-reverse dimer dG {end.dg_kcal_per_mol:.1f} kcal/mol "
                f"(advised above {limits.three_prime_dimer_dg_warn_kcal_per_mol:g}): it can be "
                "extended into primer-dimer",
            )
        )
    if anneal_temp_c is not None:
        lower_tm = min(forward.tm_c, reverse.tm_c)
        above = anneal_temp_c - lower_tm
        if above > limits.anneal_above_tm_fail_c:
            findings.append(
                _fail(
                    Check.ANNEALING,
                    f"annealing at {anneal_temp_c:g} C is {above:.1f} C above the lower primer "
                    f"Tm ({lower_tm:.1f} C): that primer will hardly bind",
                )
            )
        elif above > limits.anneal_above_tm_warn_c:
            findings.append(
                _warn(
                    Check.ANNEALING,
                    f"annealing at {anneal_temp_c:g} C is {above:.1f} C above the lower primer "
                    f"Tm ({lower_tm:.1f} C): efficiency may suffer",
                )
            )
        elif -above > limits.anneal_below_tm_warn_c:
            findings.append(
                _warn(
                    Check.ANNEALING,
                    f"annealing at {anneal_temp_c:g} C is {-above:.1f} C below the lower primer "
                    f"Tm ({lower_tm:.1f} C): mispriming is likely",
                )
            )
    return findings


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """Return `fail` if any finding fails, `warn` if any warns, else `pass`."""
    severities = {finding.severity for finding in findings}
    if Severity.FAIL in severities:
        return Verdict.FAIL
    if Severity.WARN in severities:
        return Verdict.WARN
    return Verdict.PASS
