"""Files bundled with assay: the seed paper's Table 1 and a cache of real NCBI RefSeq records.

Provenance is in ``README.md`` beside this module and in ``refseq/PROVENANCE.md``.

>>> table1_path().name
'table1.tsv'
>>> (refseq_dir() / "NM_002046.7.exons.fasta").is_file()
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["example_dir", "refseq_dir", "shown_path", "table1_path"]
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


def shown_path(path: str | Path) -> str:
    """Return a path as a report should show it: bundled files by their place in assay's data/.

    An installed assay keeps its data wherever the installer put it (a site-packages or build
    folder that means nothing to a reader); "bundled data/example/ct.csv" says what it is.

    >>> shown_path(example_dir() / "ct.csv")
    'bundled data/example/ct.csv'
    >>> shown_path("results/ct.csv")
    'results/ct.csv'
    """
    # An editable install links each file: compare with the folder and with where files lead.
    roots = {Path(os.path.abspath(_HERE)), (_HERE / "__init__.py").resolve().parent}
    for candidate in (Path(os.path.abspath(path)), Path(path).resolve()):
        for root in roots:
            if candidate.is_relative_to(root):
                return f"bundled data/{candidate.relative_to(root).as_posix()}"
    return str(path)


def home_path(path: str | Path) -> str:
    """A path under the user's home written with "~" (outputs do not carry the home folder).

    >>> home_path(Path.home() / ".cache" / "assay")
    '~/.cache/assay'
    >>> home_path("/srv/cache")
    '/srv/cache'
    """
    home = Path.home()
    absolute = Path(os.path.abspath(path))
    if absolute.is_relative_to(home):
        return "~/" + absolute.relative_to(home).as_posix()
    return str(path)
