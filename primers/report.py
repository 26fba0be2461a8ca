"""Render a `ValidationReport`: a JSON document for machines and a table for people.

The JSON layout is versioned by `SCHEMA_VERSION`; bump it whenever a field changes meaning or
disappears (adding fields is compatible).
"""

from __future__ import annotations

from typing import Any

from assay import __version__
from assay.files import strict_json
from assay.primers.model import Finding, Verdict
from assay.primers.reference import PrimerOnRecord, ReferenceCheck
from assay.primers.thermo import Structure
from assay.primers.validate import (
    CHECKS_NOT_DONE,
    PairReport,
    PrimerReport,
    ValidationReport,
)

SCHEMA_VERSION = 2  # 2: exons are named as the record names them (strings: "76b")


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _structure(structure: Structure) -> dict[str, Any]:
    return {
        "dg_kcal_per_mol": _round(structure.dg_kcal_per_mol),
        "tm_c": _round(structure.tm_c),
    }


def _finding(finding: Finding) -> dict[str, str]:
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "subject": finding.subject.value,
        "message": finding.message,
    }


def _primer(report: PrimerReport) -> dict[str, Any]:
    thermo = report.thermo
    return {
        "sequence": report.primer.sequence,
        "length": report.primer.length,
        "gc_pct": _round(report.gc_pct, 1),
        "tm_c": _round(thermo.tm_c),
        "tm_max_c": _round(thermo.tm_max_c),
        "degenerate_variants": thermo.variants,
        "hairpin_dg_kcal_per_mol": _round(thermo.hairpin.dg_kcal_per_mol),
        "hairpin_tm_c": _round(thermo.hairpin.tm_c),
        "homodimer_dg_kcal_per_mol": _round(thermo.homodimer.dg_kcal_per_mol),
        "three_prime_self_dimer": _structure(thermo.three_prime_self_dimer),
        "three_prime_stability_kcal_per_mol": thermo.three_prime_stability_kcal_per_mol,
    }


def _reference(report: PairReport) -> dict[str, Any] | None:
    if not report.reference_looked_up:
        return None
    record = report.reference
    return {
        "accession": report.pair.accession,
        "available": record is not None,
        "length": None if record is None else record.length,
        "exons": None if record is None else len(record.exons),
    }


def _binding(placed: PrimerOnRecord) -> dict[str, Any] | None:
    typo = placed.typo
    if not placed.primes and typo is not None and typo.kind.value in ("deletion", "insertion"):
        # The primer aligns only with a gap: report that alignment, not a worse gapless one.
        return {
            "start": typo.start, "end": typo.end, "strand": typo.strand.value,
            "mismatches": [], "indels": 1, "exons": [e.name for e in placed.exons],
            "spans_junction": bool(placed.junctions),
        }  # fmt: skip
    site = placed.site
    if site is None:
        return None
    return {
        "start": site.start,
        "end": site.end,
        "strand": site.strand.value,
        "mismatches": list(site.mismatches),
        "indels": 0,
        "exons": [e.name for e in placed.exons],
        "spans_junction": bool(placed.junctions),
        "junctions": [
            {"exons": [j.left_exon, j.right_exon], "bases": [j.bases_left, j.bases_right]}
            for j in placed.junctions
        ],
    }


def _location(placed: PrimerOnRecord) -> str | None:
    site = placed.site
    if site is None:
        return None
    exons = f" exon {'-'.join(e.name for e in placed.exons)}" if placed.exons else ""
    return f"{site.start}-{site.end} ({site.strand.value}){exons}"


def _miqe(report: PairReport, check: ReferenceCheck, conditions: dict[str, Any]) -> dict[str, Any]:
    """The assay facts MIQE (Bustin et al. 2009) asks a paper to give for each target."""
    record = report.reference
    product = check.product
    context = None
    if record is not None and product is not None:
        lo, hi = max(0, product.start - 1 - 50), min(record.length, product.end + 50)
        context = record.sequence[lo:hi]
    return {
        "gene": report.pair.gene,
        "accession": str(check.accession),
        "amplicon_length_bp": product.size_bp if product else None,
        "amplicon_context_sequence": context,
        "amplicon_context_start": None if context is None or product is None
        else max(1, product.start - 50),
        "forward_primer": report.pair.forward.sequence,
        "reverse_primer": report.pair.reverse.sequence,
        "forward_location": _location(check.forward),
        "reverse_location": _location(check.reverse),
        "intron_spanning": check.intron_spanning,
        "splice_variants_targeted": [t.accession for t in check.transcripts if t.product_bp],
        "annealing_temperature_c": report.pair.anneal_temp_c,
        "reaction_conditions": conditions,
    }  # fmt: skip


def _pair(report: PairReport) -> dict[str, Any]:
    pair = report.pair
    return {
        "gene": pair.gene,
        "accession": pair.accession,
        "row": pair.row,
        "verdict": report.verdict.value,
        "claimed_product_bp": pair.product_bp,
        "anneal_temp_c": pair.anneal_temp_c,
        "tm_difference_c": _round(abs(report.forward.thermo.tm_c - report.reverse.thermo.tm_c)),
        "heterodimer_dg_kcal_per_mol": _round(report.thermo.heterodimer.dg_kcal_per_mol),
        "heterodimer_tm_c": _round(report.thermo.heterodimer.tm_c),
        "three_prime_dimer": _structure(report.thermo.three_prime_dimer),
        "findings": [_finding(finding) for finding in report.findings],
        "reference": _reference(report),
        "forward": _primer(report.forward),
        "reverse": _primer(report.reverse),
        "off_targets": _off_targets(report),
    }


def pair_to_json(report: PairReport, conditions: dict[str, Any]) -> dict[str, Any]:
    """One pair's report as a JSON-ready mapping (a pair of the validation report)."""
    data = _pair(report)
    check = report.reference_check
    if check is None:
        return data
    data["forward"]["binding"] = _binding(check.forward)
    data["reverse"]["binding"] = _binding(check.reverse)
    for side, placed in (("forward", check.forward), ("reverse", check.reverse)):
        if placed.typo is not None:
            data[side]["suggested_sequence"] = placed.typo.suggested
            data[side]["typo"] = {
                "kind": placed.typo.kind.value, "position": placed.typo.position,
                "alignment": placed.typo.alignment,
            }  # fmt: skip
    data.update(
        {
            "product_bp": check.product.size_bp if check.product else None,
            "product_sequence": check.product_sequence,
            "product_gc_pct": _round(check.product_gc_pct, 1),
            "product_tm_c": _round(check.product_tm_c),
            "corrected_product_bp": check.corrected_product_bp,
            "primers_swapped": check.swapped,
            "gdna_product_bp": check.gdna_product_bp,
            "gdna_record": check.gdna_record,
            "intron_spanning": check.intron_spanning,
            "transcripts": [
                {"accession": t.accession, "product_bp": t.product_bp} for t in check.transcripts
            ],
            "miqe": _miqe(report, check, conditions),
        }
    )
    return data


def _off_targets(report: PairReport) -> list[dict[str, Any]] | None:
    if report.off_targets is None:
        return None
    return [
        {
            "record": o.record, "start": o.start, "end": o.end, "strand": o.strand.value,
            "product_bp": o.product_bp, "kind": o.kind.value,
            "forward_mismatches": list(o.forward_mismatches),
            "reverse_mismatches": list(o.reverse_mismatches),
        }
        for o in report.off_targets
    ]  # fmt: skip


def _done(report: ValidationReport) -> list[str]:
    """The checks that ran, with "(k of n pairs)" where they ran for some pairs only."""
    total = len(report.pairs)
    return [
        name if count == total else f"{name} ({count} of {total} pairs)"
        for name, count in report.check_counts().items()
        if count
    ]


def _not_done(report: ValidationReport) -> list[str]:
    missing = list(CHECKS_NOT_DONE)
    missing += [name for name, count in report.check_counts().items() if not count]
    if all(pair.off_targets is None for pair in report.pairs):
        missing.append(
            "off-target products: not screened (install the organism's database: "
            "assay db add; or give --db FASTA)"
        )
    return missing


def to_json_dict(report: ValidationReport) -> dict[str, Any]:
    """Return the report as a JSON-ready mapping (schema `SCHEMA_VERSION`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "assay_version": __version__,
        "source": report.source,
        "checks_done": _done(report),
        "checks_not_done": _not_done(report),
        "checks_skipped": [
            {"check": s.check, "reason": s.reason, "gene": p.pair.gene}
            for p in report.pairs
            for s in p.skipped
        ],
        "conditions": report.conditions.as_dict(),
        "thresholds": report.thresholds.as_dict(),
        "summary": {
            verdict.value: sum(p.verdict is verdict for p in report.pairs) for verdict in Verdict
        },
        "pairs": [pair_to_json(pair, report.conditions.as_dict()) for pair in report.pairs],
    }


def to_json(report: ValidationReport) -> str:
    """Return the report as indented JSON text."""
    return strict_json(to_json_dict(report))


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def to_text(report: ValidationReport) -> str:
    """Return the report as a table and a list of reasons, for a terminal (plain ASCII)."""
    header = ["gene", "verdict", "Tm F", "Tm R", "dTm", "GC F", "GC R", "dimer dG", "Ta", "bp"]
    rows = []
    for item in report.pairs:
        f, r = item.forward.thermo, item.reverse.thermo
        rows.append(
            [
                item.pair.gene,
                item.verdict.value.upper(),
                f"{f.tm_c:.1f}",
                f"{r.tm_c:.1f}",
                f"{abs(f.tm_c - r.tm_c):.1f}",
                f"{item.forward.gc_pct:.0f}%",
                f"{item.reverse.gc_pct:.0f}%",
                f"{item.thermo.heterodimer.dg_kcal_per_mol:.1f}",
                _fmt(item.pair.anneal_temp_c, "g"),
                _fmt(item.pair.product_bp, "d"),
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    if report.source:
        lines.append(f"Primer table: {report.source}")
    lines.append(f"Conditions:   {report.conditions.describe()}")
    lines.append(f"Checked:      {', '.join(_done(report))}")
    not_done = _not_done(report)
    if not_done:
        lines.append(f"Not checked:  {', '.join(not_done)}")
    for reason, groups in report.skipped_reasons().items():
        lines.append(f"Skipped:      {reason}:")
        lines.extend(
            f"{'':16}{', '.join(genes)}: {', '.join(checks)}" for checks, genes in groups.items()
        )
    lines.append("Tm and dTm in C, dimer dG (forward-reverse) in kcal/mol, Ta as stated.")
    lines.append("")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    for item in report.pairs:
        if not item.findings:
            continue
        lines.append("")
        lines.append(f"{item.pair.gene} ({item.verdict.value}):")
        for finding in item.findings:
            first, *more = finding.message.split("\n")
            lines.append(f"  {finding.severity.value:<4} {finding.subject.value:<7} {first}")
            lines.extend(f"{'':15}{line}" for line in more)
    counts = to_json_dict(report)["summary"]
    lines.append("")
    lines.append(
        f"{len(report.pairs)} pair{'' if len(report.pairs) == 1 else 's'}: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    )
    return "\n".join(lines) + "\n"
