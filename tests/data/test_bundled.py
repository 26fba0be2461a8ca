"""The bundled data is what its provenance says it is."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from assay.data import refseq_dir, table1_path

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_569d7d7f05a75e58.txt"


def _listed_checksums() -> dict[str, str]:
    text = (refseq_dir() / "PROVENANCE.md").read_text(encoding="utf-8")
    block = text.split("## SHA-256", 1)[1]
    return dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", block, re.M)
    )


def test_provenance_lists_every_bundled_record() -> None:
    on_disk = {str(path.relative_to(refseq_dir())) for path in refseq_dir().rglob("*.fasta")}
    assert on_disk == set(_listed_checksums())


@pytest.mark.parametrize("name", sorted(_listed_checksums()))
def test_bundled_record_matches_its_published_checksum(name: str) -> None:
    digest = hashlib.sha256((refseq_dir() / name).read_bytes()).hexdigest()
    assert digest == _listed_checksums()[name]


def _paper_table1() -> list[dict[str, str]]:
    """Parse Table 1 from the seed paper's text, independently of assay's table reader."""
    text = SEED.read_text(encoding="utf-8")
    block = text.split("Table 1. Primer set sequences", 1)[1].split("2.4.", 1)[0]
    first = re.compile(r"^(\S+)\t(N[MR]_\d+\.\d+)\tForward ([ACGT]+)\t(\d+)\t(\d+)$", re.M)
    second = re.compile(r"^\t\tReverse ([ACGT]+)\t*$", re.M)
    starts = list(first.finditer(block))
    reverses = second.findall(block)
    return [
        {
            "gene": m.group(1),
            "accession": m.group(2),
            "forward": m.group(3),
            "reverse": reverse,
            "product_bp": m.group(4),
            "anneal_temp_c": m.group(5),
        }
        for m, reverse in zip(starts, reverses, strict=True)
    ]


@pytest.mark.skipif(
    not SEED.is_file(), reason="the seed paper (shared/seed) is not beside the repo"
)
def test_table1_is_the_papers_table_as_printed() -> None:
    with table1_path().open(encoding="utf-8", newline="") as handle:
        bundled = list(csv.DictReader(handle, delimiter="\t"))
    paper = _paper_table1()
    assert len(paper) == 5
    assert bundled == paper


def test_table1_has_the_columns_the_card_fixes() -> None:
    header = table1_path().read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert header == ["gene", "accession", "forward", "reverse", "product_bp", "anneal_temp_c"]
