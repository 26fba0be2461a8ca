"""Validate primer pairs: every rule on every primer and pair, with one verdict per pair.

Pure orchestration over `checks` and `thermo`; reading tables and writing reports happen elsewhere.

>>> from assay.primers.model import Primer, PrimerPair
>>> pair = PrimerPair(gene="GAPDH", forward=Primer(sequence="TGAAGGTCGGAGTCAACGG"),
...                   reverse=Primer(sequence="TGGGTGGAATCATATTGGAACA"), anneal_temp_c=60)
>>> validate_pair(pair).verdict.value
'warn'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from assay.primers.checks import pair_findings, sequence_findings, thermo_findings, verdict_of
from assay.primers.conditions import ReactionConditions
from assay.primers.model import Finding, Primer, PrimerPair, Subject, Verdict
from assay.primers.sequence import gc_pct
from assay.primers.thermo import PairThermo, PrimerThermo, pair_thermo, primer_thermo
from assay.primers.thresholds import Thresholds

# What this version checks; reports say so, so that nobody mistakes them for more.
CHECKS_DONE = ("sequence rules", "thermodynamics")
CHECKS_NOT_DONE = ("binding to the cited reference record",)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimerReport:
    """One primer's figures and findings."""

    primer: Primer
    thermo: PrimerThermo
    findings: tuple[Finding, ...]

    @property
    def gc_pct(self) -> float:
        """G+C content in percent."""
        return gc_pct(self.primer.sequence)


@dataclass(frozen=True, slots=True, kw_only=True)
class PairReport:
    """A pair's figures, all its findings (primers' and pair's) and its verdict."""

    pair: PrimerPair
    forward: PrimerReport
    reverse: PrimerReport
    thermo: PairThermo
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        """`fail` if any finding fails, `warn` if any warns, else `pass`."""
        return verdict_of(self.findings)


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """The validation of a whole primer table under one set of conditions and thresholds."""

    pairs: tuple[PairReport, ...]
    conditions: ReactionConditions
    thresholds: Thresholds
    source: str | None = None

    @property
    def any_failed(self) -> bool:
        """True when at least one pair fails."""
        return any(report.verdict is Verdict.FAIL for report in self.pairs)


def _primer_report(
    primer: Primer, subject: Subject, conditions: ReactionConditions, limits: Thresholds
) -> PrimerReport:
    thermo = primer_thermo(primer, conditions)
    findings = [*sequence_findings(primer, limits), *thermo_findings(thermo, limits)]
    return PrimerReport(
        primer=primer,
        thermo=thermo,
        findings=tuple(replace(finding, subject=subject) for finding in findings),
    )


def validate_pair(
    pair: PrimerPair,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
) -> PairReport:
    """Check one primer pair.

    Args:
        pair: The pair.
        conditions: Reaction conditions (default: Primer3's).
        thresholds: Limits of the checks (default: `Thresholds()`).

    Returns:
        The pair's report.
    """
    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    forward = _primer_report(pair.forward, Subject.FORWARD, conditions, limits)
    reverse = _primer_report(pair.reverse, Subject.REVERSE, conditions, limits)
    thermo = pair_thermo(pair.forward, pair.reverse, conditions)
    own = pair_findings(forward.thermo, reverse.thermo, thermo, pair.anneal_temp_c, limits)
    return PairReport(
        pair=pair,
        forward=forward,
        reverse=reverse,
        thermo=thermo,
        findings=(*forward.findings, *reverse.findings, *own),
    )


def validate_pairs(
    pairs: Iterable[PrimerPair],
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    *,
    source: str | None = None,
    progress: Callable[[PrimerPair], None] | None = None,
) -> ValidationReport:
    """Check every pair of a primer table.

    Args:
        pairs: The pairs, in table order.
        conditions: Reaction conditions (default: Primer3's).
        thresholds: Limits of the checks (default: `Thresholds()`).
        source: Where the pairs came from, for the report.
        progress: Called with each pair before it is checked.

    Returns:
        The table's report.
    """
    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    reports = []
    for pair in pairs:
        if progress is not None:
            progress(pair)
        reports.append(validate_pair(pair, conditions, limits))
    return ValidationReport(
        pairs=tuple(reports), conditions=conditions, thresholds=limits, source=source
    )
