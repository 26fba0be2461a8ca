"""Primer validation: Tm, structures, binding to the cited record, exons, variants, off-targets.

Layers: `sequence`, `checks`, `thresholds`, `conditions`, `model`, `binding`, `reference` and
`validate` are pure; `thermo` is the adapter to primer3-py; `entrez`, `cache` and `store` fetch
and keep records; `dbindex` and `offtarget` search local databases; `table` and `report` read
and write files. The names below are the public API; each is imported on first use, so that
importing the package loads nothing heavy.
"""

from __future__ import annotations

from assay._lazy import lazy_getattr

# name -> the module that defines it
_PUBLIC = {
    "Primer": "model", "PrimerPair": "model", "Verdict": "model", "Finding": "model",
    "ReactionConditions": "conditions", "Thresholds": "thresholds",
    "read_primer_table": "table", "validate_pair": "validate", "validate_pairs": "validate",
    "ValidationReport": "validate", "PairReport": "validate", "check_reference": "reference",
    "RecordStore": "store", "InMemoryRecords": "store", "RecordCache": "cache",
    "EntrezClient": "entrez", "EntrezSettings": "entrez", "DatabaseSearch": "offtarget",
    "to_json": "report", "to_text": "report",
}  # fmt: skip
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)
