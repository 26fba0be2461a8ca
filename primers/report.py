"""Render a `ValidationReport`: a JSON document for machines and a table for people.

The JSON layout is versioned by `SCHEMA_VERSION`; bump it whenever a field changes meaning or
disappears (adding fields is compatible).
"""

from __future__ import annotations

import json
from typing import Any

from assay import __version__
from assay.primers.model import Finding, Verdict
from assay.primers.thermo import Structure
from assay.primers.validate import (
    CHECKS_DONE,
    CHECKS_NOT_DONE,
    PairReport,
    PrimerReport,
    ValidationReport,
)

SCHEMA_VERSION = 1


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
    }


def to_json_dict(report: ValidationReport) -> dict[str, Any]:
    """Return the report as a JSON-ready mapping (schema `SCHEMA_VERSION`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "assay_version": __version__,
        "source": report.source,
        "checks_done": list(CHECKS_DONE),
        "checks_not_done": list(CHECKS_NOT_DONE),
        "conditions": report.conditions.as_dict(),
        "thresholds": report.thresholds.as_dict(),
        "summary": {
            verdict.value: sum(p.verdict is verdict for p in report.pairs) for verdict in Verdict
        },
        "pairs": [_pair(pair) for pair in report.pairs],
    }


def to_json(report: ValidationReport) -> str:
    """Return the report as indented JSON text."""
    return json.dumps(to_json_dict(report), indent=2, ensure_ascii=False) + "\n"


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
    lines.append(f"Checked:      {', '.join(CHECKS_DONE)}")
    lines.append(f"Not checked:  {', '.join(CHECKS_NOT_DONE)} (coming in a later version)")
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
        lines.extend(
            f"  {finding.severity.value:<4} {finding.subject.value:<7} {finding.message}"
            for finding in item.findings
        )
    counts = to_json_dict(report)["summary"]
    lines.append("")
    lines.append(
        f"{len(report.pairs)} pairs: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    )
    return "\n".join(lines) + "\n"
