from __future__ import annotations

import pytest

from assay.primers.accession import Accession, parse_accession, parse_versioned


@pytest.mark.parametrize(
    ("text", "accession", "version"),
    [
        ("NM_002046.7", "NM_002046", 7),  # Table 1, GAPDH
        ("XM_006713658.5", "XM_006713658", 5),  # predicted RefSeq (bundled)
        ("NC_000012.11", "NC_000012", 11),  # chromosome (bundled genomic extract)
        ("AL109817.1", "AL109817", 1),  # GenBank, two letters + 6 digits
        ("FJ940752.1", "FJ940752", 1),
        ("U12345.2", "U12345", 2),  # GenBank, one letter + 5 digits
        ("AAAA01000001.1", "AAAA01000001", 1),  # WGS contig
        (" nm_139276.3\t", "NM_139276", 3),  # typed loosely
        ("NM_004972", "NM_004972", None),  # no version: "the newest"
    ],
)
def test_accepted_accessions(text: str, accession: str, version: int | None) -> None:
    assert parse_accession(text) == Accession(accession=accession, version=version)


@pytest.mark.parametrize(
    "text",
    [
        "../../etc/passwd",
        "NM_002046.7/../../x",
        "NM_002046.7.gb",
        "NM_002046.7;rm -rf ~",
        "NM_002046.0",  # versions start at 1
        "N_002046.7",  # one letter before the underscore
        "NP_002037.2",  # a protein
        "",
        "NM_ 002046.7",
        "ＮＭ_002046.7",  # full-width letters
    ],
)
def test_refused_accessions(text: str) -> None:
    with pytest.raises(ValueError, match="is not a RefSeq or GenBank nucleotide accession"):
        parse_accession(text)


def test_records_need_a_version() -> None:
    with pytest.raises(ValueError, match=r'"NM_004972" has no version: give the exact record'):
        parse_versioned("NM_004972")
