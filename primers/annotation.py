"""Genes and pseudogenes of a genome, from its GFF3 annotation, to name what a product lands in.

An organism database keeps one line per gene or pseudogene feature of the assembly's annotation
(NCBI's ``_genomic.gff.gz``, or a GFF3 at hand): record, start, end (1-based, closed), name and
kind ("gene" or "pseudogene"), in ``annotation.tsv``. A genomic product is then named by what it
overlaps: the pair's own gene, a pseudogene of it (GAPDHP1), another gene, or nothing annotated.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import numpy.typing as npt

from assay.errors import InputError
from assay.files import write_text_atomic

_NAME = re.compile(r"(?:^|;)(?:Name|gene)=([^;]+)")
_PSEUDO = re.compile(r"(?:^|;)(?:gene_biotype=[a-z_]*pseudogene|pseudo=true)(?:;|$)")
KINDS = ("gene", "pseudogene")
FILE = "annotation.tsv"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, EOFError) as error:
        raise InputError(f"cannot be read as GFF ({error})", path=path) from None


def write_features(gff: Path, target: Path) -> int:
    """Keep the gene and pseudogene features of a GFF3 file as `FILE`; return how many.

    Raises:
        InputError: Not GFF3 (a feature line without 9 columns or with positions that are not
            numbers, named with its line), or no gene feature at all.
    """
    rows = []
    for number, line in _lines(gff):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.rstrip("\n").split("\t")
        if len(columns) != 9:
            raise InputError("is not GFF3: a feature line needs 9 tab-separated columns",
                             path=gff, row=number)  # fmt: skip
        if columns[2] not in KINDS:
            continue
        try:
            start, end = int(columns[3]), int(columns[4])
        except ValueError:
            raise InputError("is not GFF3: start and end must be numbers", path=gff,
                             row=number) from None  # fmt: skip
        found = _NAME.search(columns[8])
        name = unquote(found.group(1)) if found else "unnamed"
        pseudo = columns[2] == "pseudogene" or _PSEUDO.search(columns[8]) is not None
        kind = "pseudogene" if pseudo else "gene"
        rows.append(f"{columns[0]}\t{start}\t{end}\t{name.replace(chr(9), ' ')}\t{kind}")
    if not rows:
        raise InputError("holds no gene or pseudogene features: is it the genome's GFF3?",
                         path=gff)  # fmt: skip
    write_text_atomic(target, "\n".join(rows) + "\n")
    return len(rows)


@dataclass(frozen=True)
class Annotation:
    """The genes and pseudogenes of a genome, by record, sorted by start."""

    by_record: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[str], list[str]]]

    @classmethod
    def load(cls, path: Path) -> Annotation | None:
        """Read `FILE`; None when the database has none."""
        if not path.is_file():
            return None
        grouped: dict[str, list[tuple[int, int, str, str]]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            record, start, end, name, kind = line.split("\t")
            grouped.setdefault(record, []).append((int(start), int(end), name, kind))
        by_record = {}
        for record, features in grouped.items():
            features.sort()
            by_record[record] = (
                np.array([f[0] for f in features], dtype=np.int64),
                np.array([f[1] for f in features], dtype=np.int64),
                [f[2] for f in features], [f[3] for f in features],
            )  # fmt: skip
        return cls(by_record=by_record)

    def overlapping(self, record: str, start: int, end: int) -> list[tuple[str, str]]:
        """(kind, name) of every feature overlapping [start, end] on `record`, pseudogenes first."""
        found = self.by_record.get(record)
        if found is None:
            return []
        starts, ends, names, kinds = found
        before = int(np.searchsorted(starts, end, side="right"))
        hits = [(kinds[i], names[i]) for i in range(before) if ends[i] >= start]
        return sorted(set(hits), key=lambda h: (h[0] != "pseudogene", h[1]))
