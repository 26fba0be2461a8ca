"""Files bundled with assay: the seed paper's Table 1 and a cache of real NCBI RefSeq records.

Provenance is in ``README.md`` beside this module and in ``refseq/PROVENANCE.md``.

>>> table1_path().name
'table1.tsv'
>>> (refseq_dir() / "NM_002046.7.exons.fasta").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent


def table1_path() -> Path:
    """Return the path of Table 1 of the seed paper (Mirfendereski et al. 2024), as printed."""
    return _HERE / "table1.tsv"


def example_dir() -> Path:
    """Return the worked example's folder (constructed Ct and OD data; see its README)."""
    return _HERE / "example"


def refseq_dir() -> Path:
    """Return the directory of bundled RefSeq records, read as a record cache that never expires."""
    return _HERE / "refseq"
