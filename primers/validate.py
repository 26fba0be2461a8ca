"""Validate primer pairs: every rule on every primer and pair, with one verdict per pair.

Pure orchestration over `checks` and `thermo`; reading tables and writing reports happen elsewhere.

>>> from assay.primers.model import Primer, PrimerPair
>>> pair = PrimerPair(gene="GAPDH", forward=Primer(sequence="TGAAGGTCGGAGTCAACGG"),
...                   reverse=Primer(sequence="TGGGTGGAATCATATTGGAACA"), anneal_temp_c=60)
>>> validate_pair(pair).verdict.value
'warn'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assay.errors import AssayError
from assay.primers.accession import parse_versioned
from assay.primers.checks import pair_findings, sequence_findings, thermo_findings, verdict_of
from assay.primers.conditions import ReactionConditions
from assay.primers.model import Check, Finding, Primer, PrimerPair, Severity, Subject, Verdict
from assay.primers.offtarget import OffTarget, OffTargetSearch, search_all
from assay.primers.records import Transcript
from assay.primers.reference import ReferenceCheck, check_reference, with_exons_from_genome
from assay.primers.sequence import gc_pct
from assay.primers.thermo import PairThermo, PrimerThermo, pair_thermo, primer_thermo
from assay.primers.thresholds import Thresholds

if TYPE_CHECKING:
    from assay.primers.store import RecordSource, VariantLookup

# What this version can check; each report says which of these ran for which pair, and why any
# did not, so that nobody mistakes a report for more than it is.
SEQUENCE_RULES = "sequence rules"
THERMODYNAMICS = "thermodynamics"
BINDING = "binding and product on the cited record"
EXONS = "exons and genomic DNA"
VARIANTS = "transcript variants"
STATUS = "record status at NCBI"
CHECKS_DONE = (SEQUENCE_RULES, THERMODYNAMICS, BINDING, EXONS, VARIANTS, STATUS)
CHECKS_NOT_DONE: tuple[str, ...] = ()
_RECORD_CHECKS = (BINDING, EXONS, VARIANTS, STATUS)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedCheck:
    """A check that did not run for a pair, and why (a finding says the same)."""

    check: str
    reason: str


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
    reference: Transcript | None = None
    reference_looked_up: bool = False
    reference_check: ReferenceCheck | None = None
    off_targets: tuple[OffTarget, ...] | None = None  # None: no database was searched
    skipped: tuple[SkippedCheck, ...] = ()

    @property
    def checks_run(self) -> tuple[str, ...]:
        """The checks of `CHECKS_DONE` that ran for this pair."""
        if not self.reference_looked_up:
            return (SEQUENCE_RULES, THERMODYNAMICS)
        skipped = {s.check for s in self.skipped}
        return tuple(c for c in CHECKS_DONE if c not in skipped)

    @property
    def verdict(self) -> Verdict:
        """The pair's verdict.

        `fail` if any finding fails; else `unverified` if the reference record was looked up
        and could not be had; else `warn` if any finding warns; else `pass`.
        """
        verdict = verdict_of(self.findings)
        if verdict is not Verdict.FAIL and self.reference_looked_up and self.reference is None:
            return Verdict.UNVERIFIED
        return verdict


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

    def any_at_least(self, verdict: Verdict) -> bool:
        """True when a pair's verdict is `verdict` or worse (pass < warn < unverified < fail)."""
        order = (Verdict.PASS, Verdict.WARN, Verdict.UNVERIFIED, Verdict.FAIL)
        return any(order.index(p.verdict) >= order.index(verdict) for p in self.pairs)

    def check_counts(self) -> dict[str, int]:
        """Return, for each check of `CHECKS_DONE`, the number of pairs it ran for."""
        return {c: sum(c in p.checks_run for p in self.pairs) for c in CHECKS_DONE}

    def skipped_reasons(self) -> dict[str, dict[tuple[str, ...], list[str]]]:
        """Return reason -> (the checks skipped for it -> the genes), in table order."""
        found: dict[str, dict[tuple[str, ...], list[str]]] = {}
        for pair in self.pairs:
            by_reason: dict[str, list[str]] = {}
            for skipped in pair.skipped:
                by_reason.setdefault(skipped.reason, []).append(skipped.check)
            for reason, checks in by_reason.items():
                found.setdefault(reason, {}).setdefault(tuple(checks), []).append(pair.pair.gene)
        return found


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


def _reference(pair: PrimerPair, records: RecordSource) -> tuple[Transcript | None, Finding]:
    """Look up the pair's reference record; say what was found or why there is none."""

    def note(message: str) -> Finding:
        return Finding(code=Check.REFERENCE, severity=Severity.INFO, message=message)

    if pair.accession is None:
        return None, note("no accession given: the primers cannot be checked against a record")
    try:
        accession = parse_versioned(pair.accession)
    except ValueError as error:
        return None, note(str(error))
    try:
        record = records.transcript(accession)
    except AssayError as error:  # whatever the reason, this pair is unverified, the rest go on
        return None, note(f"record not available: {error}")
    record, extract = with_exons_from_genome(record, records.genomic_records())
    exons = f", {len(record.exons)} exons" if record.exons else ""
    if extract is not None:
        exons += f" placed on {extract.name} by exact spliced alignment, GT-AG at every junction"
    elif record.tiles and record.tail_bp:
        exons += f"; the last {record.tail_bp} bases lie after the last exon"
    if record.exon_note:
        exons += f"; {record.exon_note}"
    return record, note(f"record {accession} found ({record.length} nt{exons})")


def _status_findings(
    pair: PrimerPair, record: Transcript, records: RecordSource, conditions: ReactionConditions
) -> tuple[list[Finding], SkippedCheck | None]:
    """Say what NCBI says of the cited version; when it was replaced, check the newest too."""

    def finding(severity: Severity, message: str) -> Finding:
        return Finding(code=Check.REFERENCE, severity=severity, message=message)

    try:
        status = records.status(record.accession)
    except AssayError as error:
        skipped = SkippedCheck(check=STATUS, reason=str(error))
        return [finding(Severity.INFO, f"{STATUS} not checked: {error}")], skipped
    if status is None:
        reason = "offline, and no answer of NCBI's is cached"
        skipped = SkippedCheck(check=STATUS, reason=reason)
        return [finding(Severity.INFO, f"{STATUS} not checked: {reason}")], skipped
    if not status.replaced:
        return [finding(Severity.INFO, status.describe())], None
    newest = status.newest or status.replaced_by
    if newest is None:  # pragma: no cover - `replaced` says one of them is set
        return [], None
    findings = [finding(Severity.WARN, f"cited {status.describe().removesuffix(' at NCBI')}")]
    try:
        check = check_reference(pair, records.transcript(newest), conditions=conditions)
    except AssayError as error:
        findings.append(finding(Severity.INFO, f"{newest} could not be checked: {error}"))
        return findings, None
    cited = f"{pair.product_bp} bp" if pair.product_bp else "the product"
    if check.product is None:
        findings.append(
            finding(Severity.WARN, f"on the newest version {newest} the primers make no product: "
                    "they do not work on the current record")
        )  # fmt: skip
    elif any(f.severity is Severity.FAIL for f in check.findings):
        findings.append(
            finding(Severity.WARN, f"on the newest version {newest} the primers give "
                    f"{check.product.size_bp} bp, not {cited}: check them on the current record")
        )  # fmt: skip
    else:
        findings.append(
            finding(Severity.INFO, f"on the newest version {newest} the primers give "
                    f"{check.product.size_bp} bp: they still work on the current record")
        )  # fmt: skip
    return findings, None


def _variant_skip(lookup: VariantLookup) -> tuple[list[Finding], SkippedCheck | None]:
    if lookup.complete:
        return [], None
    also = f"; {lookup.fallback}" if lookup.fallback else ""
    note = Finding(code=Check.VARIANTS, severity=Severity.INFO,
                   message=f"{VARIANTS} not fully checked: {lookup.note}{also}")  # fmt: skip
    return [note], SkippedCheck(check=VARIANTS, reason=lookup.note)


def _exon_skip(record: Transcript, check: ReferenceCheck) -> SkippedCheck | None:
    if record.tiles or check.gdna_record is not None:
        return None
    why = record.exon_note or "the record has no exon features and no genomic record holds it"
    return SkippedCheck(check=EXONS, reason=why)


def validate_pair(
    pair: PrimerPair,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    records: RecordSource | None = None,
) -> PairReport:
    """Check one primer pair.

    Args:
        pair: The pair.
        conditions: Reaction conditions (default: Primer3's).
        thresholds: Limits of the checks (default: `Thresholds()`).
        records: Where to find reference records; None checks the primers alone.

    Returns:
        The pair's report.
    """
    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    forward = _primer_report(pair.forward, Subject.FORWARD, conditions, limits)
    reverse = _primer_report(pair.reverse, Subject.REVERSE, conditions, limits)
    thermo = pair_thermo(pair.forward, pair.reverse, conditions)
    own = pair_findings(forward.thermo, reverse.thermo, thermo, pair.anneal_temp_c, limits)
    reference: Transcript | None = None
    check: ReferenceCheck | None = None
    skipped: list[SkippedCheck] = []
    if records is not None:
        reference, finding = _reference(pair, records)
        own.append(finding)
        if reference is None:
            why = finding.message.removeprefix("record not available: ")
            skipped = [SkippedCheck(check=name, reason=why) for name in _RECORD_CHECKS]
        else:
            lookup = records.variants_of(reference)
            check = check_reference(
                pair, reference, conditions=conditions, genomic=records.genomic_records(),
                variants=lookup.transcripts,
            )  # fmt: skip
            own.extend(check.findings)
            variant_notes, variant_skip = _variant_skip(lookup)
            own.extend(variant_notes)
            status_notes, status_skip = _status_findings(pair, reference, records, conditions)
            own.extend(status_notes)
            exon_skip = _exon_skip(reference, check)
            skipped = [s for s in (exon_skip, variant_skip, status_skip) if s is not None]
    return PairReport(
        pair=pair,
        forward=forward,
        reverse=reverse,
        thermo=thermo,
        findings=(*forward.findings, *reverse.findings, *own),
        reference=reference,
        reference_looked_up=records is not None,
        reference_check=check,
        skipped=tuple(skipped),
    )


def _off_target_finding(found: list[OffTarget], databases: int, where: str = "") -> Finding:
    if not found:
        searched = where or f"{databases} database(s)"
        return Finding(code=Check.OFF_TARGET, severity=Severity.INFO,
                       message=f"no off-target product in {searched}")  # fmt: skip
    shown = "; ".join(f"{o.kind.value} {o.product_bp} bp in {_place(o)}" for o in found[:3])
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return Finding(
        code=Check.OFF_TARGET,
        severity=Severity.WARN,
        message=f"{len(found)} off-target product(s): {shown}{more}",
    )


def _place(product: OffTarget) -> str:
    inside = f" ({product.database})" if product.database else ""
    return f"{product.record}{inside} {product.start}-{product.end}"


def _genomic_finding(report: PairReport, found: list[OffTarget], where: str) -> Finding:
    """What the organism's genome says of genomic DNA: the products it gives, and what they are.

    With both primers in one exon (or the exons not known), one product the size of the cDNA
    product is the gene's own locus; any other product of that size is an intronless copy (a
    processed pseudogene); a longer one spans a short intron; others lie elsewhere. With
    protection claimed, every product contradicts it.
    """
    from assay.primers.reference import Protection

    check = report.reference_check
    expected = check.product.size_bp if check is not None and check.product is not None else None
    protected = check is not None and check.protection in (Protection.JUNCTION, Protection.INTRON)
    if not found:
        return Finding(code=Check.GDNA, severity=Severity.INFO,
                       message=f"genomic DNA gives no product ({where})")  # fmt: skip
    same = [o for o in found if o.product_bp == expected and o.kind.value == "FR"]
    # The gene's own locus gives the cDNA product's size only when both primers sit in one exon
    # (or where the exons are not known). An annotated genome says where the gene is.
    one_exon = check is None or check.different_exons is not True
    own_gene = f"gene {report.pair.gene}".lower()
    if any(o.feature for o in found):
        at_gene = any(own_gene in o.feature.lower().split(", ") for o in same)
    else:
        at_gene = bool(same)
    own = 1 if at_gene and one_exon and not protected else 0
    words = []
    for o in found:
        if o.product_bp == expected:
            what = "the cDNA product's size"
        elif expected is not None and o.kind.value == "FR" and o.product_bp > expected:
            what = f"{o.product_bp - expected} bp longer than the cDNA product (a short intron)"
        else:
            what = "another locus"
        inside = f" in {o.feature}" if o.feature else ""
        words.append(f"{o.kind.value} {o.product_bp} bp at {o.record} {o.start}-{o.end}"
                     f"{inside}: {what}")  # fmt: skip
    shown = "; ".join(words[:3]) + (f" and {len(words) - 3} more" if len(words) > 3 else "")
    if len(found) == own:
        return Finding(code=Check.GDNA, severity=Severity.INFO, message=(
            f"genomic DNA gives the same product at one locus ({where}: {shown}): treat RNA with "
            "DNase and run a no-RT control"
        ))  # fmt: skip
    copies = len(same) - own
    why = (f"{copies} intronless cop{'y' if copies == 1 else 'ies'} (processed pseudogene?) "
           "beside the gene" if copies > 0 else "")  # fmt: skip
    if protected:
        why = "despite the claimed protection" + (f"; {why}" if why else "")
    return Finding(code=Check.GDNA, severity=Severity.WARN, message=(
        f"genomic DNA gives {len(found)} product(s) ({where}){': ' + why if why else ''}: {shown}"
    ))  # fmt: skip


def _excluded(report: PairReport) -> list[str]:
    """Records not to report off-targets in: the cited record and the variants compared."""
    exclude = [report.pair.accession or ""]
    if report.reference_check is not None:
        exclude += [t.accession for t in report.reference_check.transcripts]
    return exclude


REPEAT_SITES = 10  # a primer priming at this many sites of a genome or more sits in a repeat


def _repeat_findings(pair: PrimerPair, counts: Mapping[str, Mapping[str, int]]) -> list[Finding]:
    """A warning for each primer that primes at `REPEAT_SITES` or more sites of a genome."""
    found = []
    for subject, primer in ((Subject.FORWARD, pair.forward), (Subject.REVERSE, pair.reverse)):
        for genome, sites in counts.get(primer.sequence, {}).items():
            if sites >= REPEAT_SITES:
                found.append(Finding(
                    code=Check.OFF_TARGET, severity=Severity.WARN, subject=subject,
                    message=f"primes at {sites:,} sites in {genome} (a repeat: Alu, LINE or "
                    "another family): products from genomic DNA and repeat-bearing transcripts "
                    "likely",
                ))  # fmt: skip
    return found


def with_off_targets(
    report: PairReport, found: list[OffTarget], databases: int,
    described: Sequence[tuple[str, str]] = (),
    site_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> PairReport:  # fmt: skip
    """The report with the off-target products found for it, and their findings.

    Products in an organism's genome are genomic DNA's (`_genomic_finding`), the others cDNA
    off-targets. `described` names what was searched, with its part: ("human GRCh38 genome",
    "genome"), ("mine.fa", "").
    """
    genome = [label for label, part in described if part == "genome"]
    cdna = [label for label, part in described if part != "genome"]
    cdna_products = [o for o in found if o.part != "genome"]
    findings = [_off_target_finding(cdna_products, databases - len(genome), ", ".join(cdna))]
    if genome:
        findings.append(_genomic_finding(report, [o for o in found if o.part == "genome"],
                                         ", ".join(genome)))  # fmt: skip
    findings += _repeat_findings(report.pair, site_counts or {})
    return replace(report, off_targets=tuple(found), findings=(*report.findings, *findings))


def _described(search: OffTargetSearch) -> tuple[tuple[str, str], ...]:
    described = getattr(search, "described", ())
    return tuple(described) if isinstance(described, tuple) else ()


def search_off_targets(report: PairReport, search: OffTargetSearch) -> PairReport:
    """Add the off-target products of a checked pair (its cited record and variants excluded)."""
    return with_off_targets(report, search.search(report.pair, _excluded(report)),
                            search.databases, _described(search))  # fmt: skip


def search_off_targets_many(
    reports: Sequence[PairReport], search: OffTargetSearch
) -> list[PairReport]:
    """`search_off_targets` for many pairs in one batch (one scan of each database)."""
    found = search_all(search, [(r.pair, _excluded(r)) for r in reports])
    described = _described(search)
    counts = getattr(search, "site_counts", None)
    return [with_off_targets(r, f, search.databases, described,
                             counts if isinstance(counts, dict) else None)
            for r, f in zip(reports, found, strict=True)]  # fmt: skip


def validate_pairs(
    pairs: Iterable[PrimerPair],
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    *,
    source: str | None = None,
    records: RecordSource | None = None,
    off_targets: OffTargetSearch | None = None,
    progress: Callable[[PrimerPair], None] | None = None,
) -> ValidationReport:
    """Check every pair of a primer table.

    Args:
        pairs: The pairs, in table order.
        conditions: Reaction conditions (default: Primer3's).
        thresholds: Limits of the checks (default: `Thresholds()`).
        source: Where the pairs came from, for the report.
        records: Where to find reference records; None checks the primers alone.
        off_targets: Where to search for off-target products (e.g. `DatabaseSearch` of local
            FASTA files); None searches nothing, and the report says so.
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
        reports.append(validate_pair(pair, conditions, limits, records))
    if off_targets is not None:  # all pairs at once: one pass over each database
        reports = search_off_targets_many(reports, off_targets)
    return ValidationReport(
        pairs=tuple(reports), conditions=conditions, thresholds=limits, source=source
    )
