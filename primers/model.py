"""Value types of primer validation: primers, pairs, findings and verdicts.

>>> Primer(sequence="TGAAGGTCGGAGTCAACGG").length
19
>>> Primer(sequence="TGAXGG")
Traceback (most recent call last):
...
ValueError: primer sequence "TGAXGG" has "X" at position 4, which is not a DNA base (IUPAC code)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assay._compat import StrEnum
from assay.primers.sequence import degenerate_positions, invalid_characters


class Severity(StrEnum):
    """How much a finding matters."""

    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


class Verdict(StrEnum):
    """The overall judgement on a primer pair."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNVERIFIED = "unverified"


class Check(StrEnum):
    """Codes of the checks, as they appear in reports under `findings[].code`."""

    DEGENERATE = "degenerate_bases"
    LENGTH = "length"
    GC_CONTENT = "gc_content"
    GC_CLAMP = "gc_clamp"
    RUN = "single_base_run"
    DINUCLEOTIDE = "dinucleotide_repeat"
    TM = "tm"
    HAIRPIN = "hairpin"
    HOMODIMER = "homodimer"
    END_STABILITY = "three_prime_stability"
    TM_DIFFERENCE = "tm_difference"
    HETERODIMER = "heterodimer"
    THREE_PRIME_DIMER = "three_prime_dimer"
    ANNEALING = "annealing_temperature"
    REFERENCE = "reference_record"
    BINDING = "binding_site"
    TYPO = "typing_error"
    PRODUCT = "product"
    EXONS = "exon_junction"
    GDNA = "genomic_dna"
    VARIANTS = "transcript_variants"
    OFF_TARGET = "off_target_products"
    PROBE = "probe"


class Subject(StrEnum):
    """What a finding is about."""

    FORWARD = "forward"
    REVERSE = "reverse"
    PAIR = "pair"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One observation about a primer or pair, with a plain-language reason."""

    code: Check
    severity: Severity
    message: str
    subject: Subject = Subject.PAIR


@dataclass(frozen=True, slots=True, kw_only=True)
class Primer:
    """A PCR primer, 5'→3', in IUPAC DNA letters (already cleaned: see `clean_sequence`)."""

    sequence: str

    def __post_init__(self) -> None:
        if not self.sequence:
            raise ValueError("primer sequence is empty")
        bad = invalid_characters(self.sequence)
        if bad:
            position, char = bad[0]
            raise ValueError(
                f'primer sequence "{self.sequence}" has "{char}" at position {position}, '
                "which is not a DNA base (IUPAC code)"
            )

    @property
    def length(self) -> int:
        """Number of bases."""
        return len(self.sequence)

    @property
    def is_degenerate(self) -> bool:
        """True when the primer contains IUPAC codes other than A, C, G, T."""
        return bool(degenerate_positions(self.sequence))


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimerPair:
    """A forward and reverse primer for one target, as given in a primer table.

    Attributes:
        gene: Target gene name as written in the table.
        forward: Forward primer (anneals to the minus strand, reads along the transcript).
        reverse: Reverse primer (5'→3' on the minus strand).
        accession: Reference record cited for the pair (accession.version), if given.
        product_bp: Product size claimed by the table, if given.
        anneal_temp_c: Annealing temperature stated by the table, if given.
        row: Row of the table the pair came from (1-based, header is row 1), for messages.
    """

    gene: str
    forward: Primer
    reverse: Primer
    accession: str | None = None
    product_bp: int | None = None
    anneal_temp_c: float | None = None
    row: int | None = None

    def __post_init__(self) -> None:
        if not self.gene.strip():
            raise ValueError("gene name is empty")
        if self.product_bp is not None and self.product_bp <= 0:
            raise ValueError(f"product size must be a positive number of bp, got {self.product_bp}")
        if self.anneal_temp_c is not None and not (
            math.isfinite(self.anneal_temp_c) and 30 <= self.anneal_temp_c <= 80
        ):
            raise ValueError(
                f"annealing temperature must be between 30 and 80 °C, got {self.anneal_temp_c:g}"
            )
