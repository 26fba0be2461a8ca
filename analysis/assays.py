"""The link between validation and analysis: which analysed genes have a validated assay.

`assay validate --json FILE` writes a report; `assay analyze --assays FILE` reads it back, so that a
gene whose assay failed or could not be verified is flagged in every output (or refused with
``--strict``) and its assay facts (accession, product size, verdict) travel with the results.
Gene names are matched case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assay.errors import InputError

USABLE = {"pass", "warn"}


@dataclass(frozen=True, slots=True, kw_only=True)
class AssayFacts:
    """What validation said of one gene's assay."""

    gene: str
    verdict: str
    accession: str | None
    product_bp: int | None
    reasons: tuple[str, ...]
    forward: str = ""  # the primers' sequences, where the report gives them
    reverse: str = ""

    @property
    def usable(self) -> bool:
        """True when validation passed it (with or without warnings)."""
        return self.verdict in USABLE


def read_assays(path: str | Path) -> dict[str, AssayFacts]:
    """Read an `assay validate --json` report; return facts keyed by lower-case gene name.

    Raises:
        InputError: The file is not such a report.
    """
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"is not a readable JSON report ({error})", path=path) from error
    # Versions 1 and 2 differ only in how exons are named, which is not read here.
    if not isinstance(report, dict) or report.get("schema_version") not in (1, 2):
        raise InputError("is not a report written by assay validate --json", path=path)
    if not isinstance(report.get("pairs"), list):
        raise InputError("is not a report written by assay validate --json", path=path)
    facts: dict[str, AssayFacts] = {}
    for number, pair in enumerate(report["pairs"], start=1):
        if not isinstance(pair, dict) or not isinstance(pair.get("gene"), str):
            raise InputError(
                f"pair {number} is not a pair of assay validate's report (no gene name)", path=path
            )
        gene = pair["gene"]
        findings = [f for f in pair.get("findings", []) if isinstance(f, dict)]
        if not isinstance(pair.get("findings", []), list):
            raise InputError(f"pair {number} ({gene}): findings are not a list", path=path)
        facts[gene.lower()] = AssayFacts(
            gene=gene,
            verdict=str(pair.get("verdict", "")),
            accession=pair.get("accession"),
            product_bp=pair.get("product_bp", pair.get("claimed_product_bp")),
            reasons=tuple(
                str(f.get("message") or f.get("code") or "a failed check").split("\n")[0]
                for f in findings
                if f.get("severity") == "fail"
                or str(f.get("message", "")).startswith(("record not available", "no accession"))
            ),
            forward=_sequence(pair.get("forward")),
            reverse=_sequence(pair.get("reverse")),
        )
    return facts


def _sequence(primer: object) -> str:
    """A primer's sequence from its part of the report (empty when absent or odd)."""
    sequence = primer.get("sequence") if isinstance(primer, dict) else None
    return sequence.upper() if isinstance(sequence, str) and sequence.isalpha() else ""


def assay_problems(genes: Iterable[str], assays: dict[str, AssayFacts]) -> dict[str, str]:
    """Return gene -> why its assay cannot be trusted, for every gene that has a problem."""
    problems = {}
    for gene in genes:
        facts = assays.get(gene.lower())
        if facts is None:
            problems[gene] = "no validated assay (not in the validation report)"
        elif not facts.usable:
            reason = f": {facts.reasons[0]}" if facts.reasons else ""
            problems[gene] = f"assay {facts.verdict} in validation{reason}"
    return problems
