"""Hydrolysis (TaqMan) probes: primer3's internal oligo, held to the probe rules and checked.

The rules (Applied Biosystems' Primer Express guidelines, repeated by IDT and Primer3Plus):

* Tm 6-10 °C above the primers' (the probe must be bound while the primers anneal and extend);
* no G at the 5' end (a G next to the reporter quenches it);
* more C than G (the probe is taken from whichever strand has more C);
* at most 30 nt (longer probes quench poorly);
* not overlapping either primer.

Each probe is then checked as primers are: its hairpin, its self-dimer and its dimers with both
primers under the same conditions, and its binding: it must lie, exactly, inside the product.

>>> choose_strand("ACCTGGCATCCATGAAACCC")
('ACCTGGCATCCATGAAACCC', '+')
>>> choose_strand("GGTTTCATGGATGCCAGGTC")  # more G than C: the other strand, which starts with G
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.primers.conditions import ReactionConditions
from assay.primers.model import Check, Finding, Primer, Severity, Subject
from assay.primers.sequence import reverse_complement
from assay.primers.thermo import Structure, melting_temp_c, pair_thermo, primer_thermo
from assay.primers.thresholds import Thresholds

PROBE_TM_ABOVE_C = (6.0, 10.0)  # probe Tm above the primers' mean Tm (Primer Express: 8-10 °C)
PROBE_MAX_NT = 30
PROBE_MIN_NT = 18
PROBE_OPT_NT = 24
PROBE_CONC_NM = 250.0  # a usual probe concentration (primers 50-900 nM)


def probe_args(primer_tm_opt_c: float, conditions: ReactionConditions) -> dict[str, Any]:
    """primer3's internal-oligo arguments for a hydrolysis probe with these primers."""
    low, high = PROBE_TM_ABOVE_C
    return {
        "PRIMER_PICK_INTERNAL_OLIGO": 1,
        "PRIMER_INTERNAL_MIN_SIZE": PROBE_MIN_NT,
        "PRIMER_INTERNAL_OPT_SIZE": PROBE_OPT_NT,
        "PRIMER_INTERNAL_MAX_SIZE": PROBE_MAX_NT,
        "PRIMER_INTERNAL_MIN_TM": primer_tm_opt_c + low,
        "PRIMER_INTERNAL_OPT_TM": primer_tm_opt_c + (low + high) / 2,
        "PRIMER_INTERNAL_MAX_TM": primer_tm_opt_c + high,
        "PRIMER_INTERNAL_MIN_GC": 30.0,
        "PRIMER_INTERNAL_MAX_GC": 80.0,
        "PRIMER_INTERNAL_MAX_POLY_X": 4,
        "PRIMER_INTERNAL_SALT_MONOVALENT": conditions.mv_conc_mm,
        "PRIMER_INTERNAL_SALT_DIVALENT": conditions.dv_conc_mm,
        "PRIMER_INTERNAL_DNTP_CONC": conditions.dntp_conc_mm,
        "PRIMER_INTERNAL_DNA_CONC": PROBE_CONC_NM,
    }


def choose_strand(plus: str) -> tuple[str, str] | None:
    """The probe's strand: the one with more C than G, if it does not start with G."""
    minus = reverse_complement(plus)
    for sequence, strand in ((plus, "+"), (minus, "-")):
        if sequence.count("C") > sequence.count("G") and not sequence.startswith("G"):
            return sequence, strand
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """A hydrolysis probe of a pair.

    Attributes:
        sequence: 5'->3', on `strand` of the record.
        strand: "+" (the record's sense) or "-".
        start: 1-based first base on the record (plus strand), end: last base.
        tm_c: Its Tm under the probe's concentration and the pair's salts.
        above_primers_c: Its Tm minus the primers' mean Tm.
        hairpin, homodimer, heterodimer: Its most stable structures (heterodimer: with either
            primer, the worse).
        findings: What breaks a rule or a check (empty: a usable probe).
    """

    sequence: str
    strand: str
    start: int
    end: int
    tm_c: float
    above_primers_c: float
    hairpin: Structure
    homodimer: Structure
    heterodimer: Structure
    findings: tuple[Finding, ...]

    @property
    def usable(self) -> bool:
        """True when no rule or check is broken."""
        return not self.findings


def _finding(message: str) -> Finding:
    return Finding(code=Check.PROBE, severity=Severity.WARN, message=message,
                   subject=Subject.PAIR)  # fmt: skip


def check_probe(
    plus: str, start: int, *, forward: str, reverse: str, product: tuple[int, int],
    record: str, conditions: ReactionConditions, limits: Thresholds,
) -> Probe | None:  # fmt: skip
    """primer3's internal oligo (`plus`, 1-based `start` on the record) as a probe, checked.

    `product` is the product's first and last base on the record (the primers' outer ends).
    None when no strand of it can follow the 5'-G and C > G rules.
    """
    chosen = choose_strand(plus)
    if chosen is None:
        return None
    sequence, strand = chosen
    end = start + len(plus) - 1
    probe_conditions = ReactionConditions(
        mv_conc_mm=conditions.mv_conc_mm, dv_conc_mm=conditions.dv_conc_mm,
        dntp_conc_mm=conditions.dntp_conc_mm, primer_conc_nm=PROBE_CONC_NM,
        temp_c=conditions.temp_c,
    )  # fmt: skip
    tm = melting_temp_c(sequence, probe_conditions)
    primers = [melting_temp_c(forward, conditions), melting_temp_c(reverse, conditions)]
    above = tm - sum(primers) / 2
    thermo = primer_thermo(Primer(sequence=sequence), conditions)
    dimers = [pair_thermo(Primer(sequence=sequence), Primer(sequence=p), conditions).heterodimer
              for p in (forward, reverse)]  # fmt: skip
    heterodimer = min(dimers, key=lambda s: s.dg_kcal_per_mol)
    findings = []
    low, high = PROBE_TM_ABOVE_C
    if not low <= above <= high:
        findings.append(_finding(f"probe Tm {tm:.1f} C is {above:+.1f} C from the primers' mean "
                                 f"(rule: {low:g} to {high:g} C above)"))  # fmt: skip
    if len(sequence) > PROBE_MAX_NT:
        findings.append(_finding(f"probe {len(sequence)} nt (rule: at most {PROBE_MAX_NT})"))
    first, last = product
    if start <= first + len(forward) - 1 or end >= last - len(reverse) + 1:
        findings.append(_finding("the probe overlaps a primer"))
    if record[start - 1 : end] != plus:
        findings.append(_finding("the probe does not match the record inside the product"))
    if thermo.hairpin.tm_c is not None and thermo.hairpin.tm_c > tm - 10:
        findings.append(_finding(f"probe hairpin melting at {thermo.hairpin.tm_c:.1f} C, within "
                                 "10 C of the probe's Tm"))  # fmt: skip
    # A 25-nt probe's dimers are more stable than a 20-nt primer's: probes are held to the dimer
    # *fail* limit (IDT: -9 kcal/mol), not to the primers' -6 kcal/mol advice.
    limit = limits.dimer_dg_fail_kcal_per_mol
    for what, structure in (("self-dimer", thermo.homodimer), ("dimer with a primer", heterodimer)):
        if structure.found and structure.dg_kcal_per_mol <= limit:
            findings.append(_finding(f"probe {what} dG {structure.dg_kcal_per_mol:.1f} kcal/mol "
                                     f"(limit {limit:g})"))  # fmt: skip
    return Probe(sequence=sequence, strand=strand, start=start, end=end, tm_c=round(tm, 2),
                 above_primers_c=round(above, 2), hairpin=thermo.hairpin,
                 homodimer=thermo.homodimer, heterodimer=heterodimer,
                 findings=tuple(findings))  # fmt: skip
