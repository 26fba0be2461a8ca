"""Render designs: a table for people, JSON for machines, and a primer table `validate` reads.

The JSON layout is versioned by `SCHEMA_VERSION` (documented in docs/json-schemas.md); each pair
carries the same fields as a pair of the validation report.
"""

from __future__ import annotations

from typing import Any

from assay import __version__
from assay.files import strict_json
from assay.primers.conditions import ReactionConditions
from assay.primers.design import Design, DesignedPair, DesignSettings, Placement, Proposal
from assay.primers.model import Severity
from assay.primers.report import pair_to_json
from assay.primers.sequence import gc_pct
from assay.primers.validate import PairReport

SCHEMA_VERSION = 1
TABLE_COLUMNS = ("gene", "accession", "forward", "reverse", "product_bp", "anneal_temp_c", "rank")


def _product_bp(item: DesignedPair) -> int | None:
    check = item.report.reference_check
    return check.product.size_bp if check is not None and check.product is not None else None


def _variants_text(item: DesignedPair) -> str:
    others = item.variants[1:]
    if not others:
        return ""
    parts = [f"{acc} {bp} bp" if bp is not None else f"{acc} none" for acc, bp in others]
    return "variants: " + ", ".join(parts)


def design_to_json_dict(designs: list[Design], conditions: ReactionConditions) -> dict[str, Any]:
    """The designs as a JSON-ready mapping (schema `SCHEMA_VERSION`)."""
    as_dict = conditions.as_dict()
    return {
        "schema_version": SCHEMA_VERSION,
        "assay_version": __version__,
        "conditions": as_dict,
        "designs": [
            {
                "target": design.target,
                "gene": design.gene,
                "preset": design.settings.describe(),
                "relaxed": list(design.relaxed),
                "candidates_checked": design.candidates,
                "rejected": {code: n for code, n in design.rejected},
                "primer3_explain": list(design.explain),
                "notes": list(design.notes),
                "pairs": [
                    {
                        "rank": item.rank,
                        "score": item.score,
                        "primer3_penalty": round(item.penalty, 3),
                        "placement": item.placement.value,
                        "placement_text": item.placement_text,
                        "probe": None
                        if item.probe is None
                        else {
                            "sequence": item.probe.sequence,
                            "strand": item.probe.strand,
                            "start": item.probe.start,
                            "end": item.probe.end,
                            "length": len(item.probe.sequence),
                            "tm_c": item.probe.tm_c,
                            "above_primers_c": item.probe.above_primers_c,
                            "hairpin_tm_c": item.probe.hairpin.tm_c,
                            "self_dimer_dg_kcal_per_mol": item.probe.homodimer.dg_kcal_per_mol,
                            "primer_dimer_dg_kcal_per_mol": item.probe.heterodimer.dg_kcal_per_mol,
                        },
                        **pair_to_json(item.report, as_dict),
                    }
                    for item in design.pairs
                ],
            }
            for design in designs
        ],
    }


def design_to_json(designs: list[Design], conditions: ReactionConditions) -> str:
    """The designs as indented strict JSON."""
    return strict_json(design_to_json_dict(designs, conditions))


def design_table(designs: list[Design]) -> str:
    """Every proposed pair as a tab-separated primer table that `assay validate` reads.

    Each pair is named gene_rank (GAPDH_1, GAPDH_2, ...): validate needs a name per pair.
    """
    lines = ["\t".join(TABLE_COLUMNS)]
    for design in designs:
        for item in design.pairs:
            pair = item.pair
            bp = _product_bp(item)
            lines.append(
                "\t".join(
                    [
                        f"{pair.gene}_{item.rank}",
                        pair.accession or "",
                        pair.forward.sequence,
                        pair.reverse.sequence,
                        "" if bp is None else str(bp),
                        f"{pair.anneal_temp_c:g}" if pair.anneal_temp_c else "",
                        str(item.rank),
                    ]
                )
            )
    return "\n".join(lines) + "\n"


# The first four columns are what vendors' bulk-entry forms take (IDT, Sigma, Eurofins: name,
# sequence, scale, purification); the rest describe the oligo for the lab's records.
ORDER_COLUMNS = ("Name", "Sequence", "Scale", "Purification", "Length", "Tm_C", "GC_pct",
                 "5prime_Dye", "3prime_Quencher", "Gene", "Accession", "Pair")  # fmt: skip


def order_sheet(designs: list[Design], *, scale: str = "25nm", purification: str = "STD") -> str:
    """One CSV row per oligo to order: gene_F, gene_R (gene_2_F ... for further pairs).

    Sequences are 5'->3'; dye and quencher columns are left for probes' labels.
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_COLUMNS)
    for design in designs:
        for item in design.pairs:
            stem = item.pair.gene if item.rank == 1 else f"{item.pair.gene}_{item.rank}"
            for suffix, primer in (("F", item.report.forward), ("R", item.report.reverse)):
                sequence = primer.primer.sequence
                writer.writerow([
                    f"{stem}_{suffix}", sequence, scale, purification, len(sequence),
                    f"{primer.thermo.tm_c:.1f}", f"{primer.gc_pct:.0f}", "", "",
                    item.pair.gene, item.pair.accession or "", item.rank,
                ])  # fmt: skip
            if item.probe is not None:  # dye and quencher are the lab's choice: left empty
                probe = item.probe.sequence
                writer.writerow([
                    f"{stem}_P", probe, scale, "HPLC", len(probe), f"{item.probe.tm_c:.1f}",
                    f"{gc_pct(probe):.0f}", "", "", item.pair.gene, item.pair.accession or "",
                    item.rank,
                ])  # fmt: skip
    return buffer.getvalue()


def _design_text(design: Design) -> list[str]:
    lines = [f"{design.gene} on {design.target}:"]
    if design.relaxed:
        lines.append(f"  relaxed: {'; '.join(design.relaxed)} ({design.settings.describe()})")
    lines.extend(f"  note: {note}" for note in design.notes)
    rejected = ", ".join(f"{code} {n}" for code, n in design.rejected)
    checked = f"  {design.candidates} candidate(s) from primer3 checked as validate checks"
    lines.append(checked + (f"; set aside for: {rejected}" if rejected else ""))
    if not design.pairs:
        lines.append("  no pair meets the rules. primer3's counts of why primers were not picked:")
        lines.extend(f"    {line}" for line in design.explain)
        return lines
    header = ["#", "forward", "reverse", "Tm F", "Tm R", "bp", "score", "placement"]
    rows = [
        [
            str(item.rank),
            item.pair.forward.sequence,
            item.pair.reverse.sequence,
            f"{item.report.forward.thermo.tm_c:.1f}",
            f"{item.report.reverse.thermo.tm_c:.1f}",
            str(_product_bp(item) or "-"),
            f"{item.score:.2f}",
            item.placement_text,
        ]
        for item in design.pairs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  " + "  ".join("-" * w for w in widths))
    for item, row in zip(design.pairs, rows, strict=True):
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        pad = " " * (widths[0] + 4)
        if item.probe is not None:
            probe = item.probe
            lines.append(f"{pad}probe {probe.sequence} ({probe.strand} strand, "
                         f"{len(probe.sequence)} nt, Tm {probe.tm_c:.1f} C, "
                         f"{probe.above_primers_c:+.1f} C above the primers)")  # fmt: skip
        if item.placement is not Placement.UNKNOWN:
            lines.append(f"{pad}{item.gdna_text}")
        variants = _variants_text(item)
        if variants:
            lines.append(f"{pad}{variants}")
        off = item.report.off_targets
        if off is not None:
            lines.append(f"{pad}no off-target product in the --db databases")
    return lines


def design_to_text(
    designs: list[Design], settings: DesignSettings, conditions: ReactionConditions
) -> str:
    """The designs as plain text for a terminal: the preset, then a ranked table per target."""
    lines = [settings.describe(), f"Conditions: {conditions.describe()}"]
    lines.append(
        "Each pair is checked as `assay validate` checks; score = primer3 penalty + placement "
        "(junction 0, different exons across >= 1 kb of intron 0.5, intron size or exon map "
        "unknown 1, short intron 4, one exon 5) + 1 per transcript variant missed."
    )
    for design in designs:
        lines.append("")
        lines.extend(_design_text(design))
    found = sum(len(d.pairs) for d in designs)
    lines.append("")
    lines.append(f"{found} pair(s) proposed for {len(designs)} target(s)")
    return "\n".join(lines) + "\n"


Redesigned = list[tuple[PairReport, tuple[Proposal, ...]]]


def redesign_to_json(items: Redesigned, conditions: ReactionConditions) -> list[dict[str, Any]]:
    """The `redesign` list of the validation JSON: per pair, its proposals with their reports."""
    as_dict = conditions.as_dict()
    return [
        {
            "gene": report.pair.gene,
            "row": report.pair.row,
            "proposals": [
                {"kind": p.kind, "text": p.text, **pair_to_json(p.report, as_dict)}
                for p in proposals
            ],
        }
        for report, proposals in items
    ]


def redesign_to_text(items: Redesigned) -> str:
    """The proposals under the validation report, one block per pair."""
    lines = ["", "Redesign (each proposal checked as above):"]
    if not items:
        lines.append(
            "  no pair fails or warns on binding, a typing error, its product or "
            "off-targets: nothing to redesign"
        )
    for report, proposals in items:
        lines.append(f"  {report.pair.gene} ({report.verdict.value}):")
        if not proposals:
            lines.append("    no replacement found that passes; see `assay design` for why")
        for proposal in proposals:
            pair = proposal.report.pair
            check = proposal.report.reference_check
            bp = check.product.size_bp if check is not None and check.product else None
            lines.append(
                f"    {proposal.kind}: {pair.forward.sequence} / {pair.reverse.sequence}"
                f"{f', {bp} bp' if bp else ''}: {proposal.report.verdict.value.upper()}"
            )
            lines.append(f"      {proposal.text}")
            lines.extend(
                f"      {f.severity.value} {f.message.splitlines()[0]}"
                for f in proposal.report.findings
                if f.severity is not Severity.INFO
            )
    return "\n".join(lines) + "\n"
