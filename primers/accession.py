"""Nucleotide accessions: what is accepted, before any accession touches a URL or a file path.

RefSeq accessions are a two-letter prefix, an underscore and digits (NM_002046); GenBank
accessions are one or two letters and 5-6 digits (AL109817), or four (WGS: six) letters and 8-10
digits. A version (".7") names one exact sequence; records are cached only by accession.version.

>>> parse_accession("NM_002046.7")
Accession(accession='NM_002046', version=7)
>>> str(parse_accession(" nm_002046.7 "))
'NM_002046.7'
>>> parse_accession("../etc/passwd")
Traceback (most recent call last):
...
ValueError: "../etc/passwd" is not a RefSeq or GenBank nucleotide accession (e.g. NM_002046.7)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFSEQ = r"(?:AC|AP|NC|NG|NM|NR|NT|NW|NZ|XM|XR)_\d{6,9}"
_GENBANK = r"[A-Z]\d{5}|[A-Z]{2}\d{6}|[A-Z]{2}\d{8}|[A-Z]{4}\d{8,10}|[A-Z]{6}\d{9,11}"
_PATTERN = re.compile(rf"^(?P<accession>{_REFSEQ}|{_GENBANK})(?:\.(?P<version>[1-9]\d{{0,3}}))?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Accession:
    """A nucleotide accession, with its version when one was given.

    Attributes:
        accession: The accession without version, upper case (NM_002046).
        version: The version number, or None for "the newest".
    """

    accession: str
    version: int | None = None

    def __post_init__(self) -> None:
        text = self.accession if self.version is None else f"{self.accession}.{self.version}"
        if not _PATTERN.match(text):
            raise ValueError(f'"{text}" is not a RefSeq or GenBank nucleotide accession')

    def __str__(self) -> str:
        return self.accession if self.version is None else f"{self.accession}.{self.version}"

    @property
    def is_refseq(self) -> bool:
        """True for NCBI RefSeq accessions (with an underscore)."""
        return "_" in self.accession

    @property
    def is_versioned(self) -> bool:
        """True when a version was given."""
        return self.version is not None


def parse_accession(text: str) -> Accession:
    """Parse and validate an accession such as "NM_002046.7".

    Raises:
        ValueError: When `text` is not a nucleotide accession; the message quotes it.
    """
    cleaned = text.strip().upper()
    match = _PATTERN.match(cleaned)
    if match is None:
        raise ValueError(
            f'"{text.strip()}" is not a RefSeq or GenBank nucleotide accession (e.g. NM_002046.7)'
        )
    version = match.group("version")
    return Accession(accession=match.group("accession"), version=int(version) if version else None)


def parse_versioned(text: str) -> Accession:
    """Parse an accession that must carry its version (records are cached by accession.version).

    Raises:
        ValueError: When `text` is not an accession or has no version.
    """
    accession = parse_accession(text)
    if accession.version is None:
        raise ValueError(
            f'"{text.strip()}" has no version: give the exact record, e.g. {accession}.1'
        )
    return accession
