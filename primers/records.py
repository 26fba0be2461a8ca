"""Reference records as assay uses them, parsed and checked from NCBI's text formats.

Three formats, named by the file suffix they are cached under:

* ``gb``: GenBank flat file (efetch ``rettype=gb``), with exon and CDS features;
* ``fasta``: efetch FASTA (``>NM_006218.4 Homo sapiens …``);
* ``exons.fasta``: NCBI's "FASTA of exons", one record per exon, headers
  ``>ref|NM_002046.7|:START-END …`` in 1-based transcript coordinates.

Parsing also checks: the text is a record, of the accession.version asked for, whole, and made of
nucleotide letters. Anything else raises `RecordError`, so a bad download is never trusted.

>>> from assay.data import refseq_dir
>>> from assay.primers.accession import parse_accession
>>> path = refseq_dir() / "NM_002046.7.exons.fasta"
>>> gapdh = parse_record(path.read_text(), RecordFormat.EXONS, parse_accession("NM_002046.7"))
>>> len(gapdh.sequence), len(gapdh.exons), gapdh.exons[1]
(1285, 9, Exon(number=2, start=54, end=105, label=''))
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from assay._compat import StrEnum
from assay.errors import AssayError
from assay.primers.accession import Accession, parse_accession

_NUCLEOTIDES = re.compile(r"^[ACGTURYSWKMBDHVN]+$")
_HTML = re.compile(r"^\s*(<!doctype html|<html|<\?xml|<eutilsresult|<error)", re.IGNORECASE)
_EXON_HEADER = re.compile(r"^>(?:ref\|)?(?P<acc>[^|\s:]+)\|?:(?P<start>\d+)-(?P<end>\d+)(?:\s|$)")


class RecordError(AssayError):
    """A record's text is not a whole, valid record of the accession expected."""


class RecordFormat(StrEnum):
    """Record formats, by the suffix of the cache file that holds them."""

    GENBANK = "gb"
    FASTA = "fasta"
    EXONS = "exons.fasta"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exon:
    """One exon of a transcript, in 1-based closed transcript coordinates.

    Attributes:
        number: Its place among the record's exons, counted from 1 in sequence order.
        start: First base.
        end: Last base.
        label: The record's own name for it (GenBank ``/number``, e.g. "18" on an extract or
            "76b" on a dystrophin mRNA); empty when the record gives none.
    """

    number: int
    start: int
    end: int
    label: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.start <= self.end:
            raise ValueError(f"exon {self.name} has impossible bounds {self.start}-{self.end}")

    @property
    def name(self) -> str:
        """What reports call it: the record's own label, else its place in order."""
        return self.label or str(self.number)

    @property
    def length(self) -> int:
        """Number of bases."""
        return self.end - self.start + 1


_BINOMIAL = re.compile(r"([A-Z][a-z]+ [a-z]+)\b")


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    """A reference sequence (usually an mRNA) with what is known of its structure.

    Attributes:
        accession: Its accession.version.
        description: The record's title line (DEFINITION or FASTA header).
        sequence: The sequence, upper case, 5'→3'.
        exons: Exon features in order, 1-based closed on this sequence; empty when unknown. On an
            mRNA they tile the sequence (`tiles`); on a genomic record introns lie between them.
        cds: The coding sequence as 1-based closed (start, end), when known.
        exon_note: What a reader should know of the exon map: why a record's exon features
            were not used, or that they were numbered by order; empty when nothing.
        organism: The source organism as the record names it (GenBank ORGANISM), when it does.
        mane: The record is a MANE Select transcript (GenBank KEYWORDS "MANE Select": the one
            transcript per gene NCBI and Ensembl agree on), as far as the record says.
    """

    accession: Accession
    description: str
    sequence: str
    exons: tuple[Exon, ...] = ()
    cds: tuple[int, int] | None = None
    exon_note: str = ""
    organism: str = ""
    mane: bool = False

    @property
    def species(self) -> str:
        """The organism: the record's own, else the binomial its title starts with.

        NCBI titles read "Homo sapiens glyceraldehyde-3-phosphate dehydrogenase (GAPDH), ..."
        (or "PREDICTED: Homo sapiens ..."); "" when neither says.

        >>> Transcript(accession=parse_accession("NM_007393.5"), sequence="ACGT",
        ...            description="PREDICTED: Mus musculus actin, beta (Actb), mRNA").species
        'Mus musculus'
        """
        if self.organism:
            return self.organism
        found = _BINOMIAL.match(self.description.removeprefix("PREDICTED: "))
        return found.group(1) if found else ""

    def __post_init__(self) -> None:
        if not self.sequence:
            raise ValueError(f"{self.accession}: empty sequence")
        previous_end = 0
        for exon in self.exons:
            if exon.start <= previous_end or exon.end > len(self.sequence):
                raise ValueError(
                    f"{self.accession}: exon {exon.number} ({exon.start}-{exon.end}) overlaps the "
                    f"one before it or runs past the sequence end ({len(self.sequence)})"
                )
            previous_end = exon.end

    @property
    def tiles(self) -> bool:
        """True when the exons are an mRNA's exon map: they join end to end from base 1.

        The last exon may stop before the record ends: RefSeq mRNAs often carry a poly(A) tail
        (or a few bases past the genome's last exon) that no exon feature covers (`tail_bp`).
        """
        return (
            bool(self.exons)
            and self.exons[0].start == 1
            and all(a.end + 1 == b.start for a, b in zip(self.exons, self.exons[1:], strict=False))
        )

    @property
    def tail_bp(self) -> int:
        """Bases after the last exon (0 when there are no exons)."""
        return len(self.sequence) - self.exons[-1].end if self.exons else 0

    @property
    def length(self) -> int:
        """Number of bases."""
        return len(self.sequence)


def _refuse_non_record(text: str, expected: Accession, what: str) -> None:
    if not text.strip():
        raise RecordError(f"{expected}: the {what} is empty")
    if _HTML.match(text):
        raise RecordError(f"{expected}: an HTML or XML page came instead of a {what}")


def _check_accession(found: str, expected: Accession) -> None:
    try:
        got = parse_accession(found)
    except ValueError:
        raise RecordError(f'{expected}: the record names "{found}", not an accession') from None
    if got != expected:
        raise RecordError(f"{expected}: the record is {got}, not the {expected} asked for")


def _check_letters(sequence: str, expected: Accession) -> str:
    if not sequence:
        raise RecordError(f"{expected}: the record has no sequence")
    if not _NUCLEOTIDES.match(sequence):
        bad = sorted(set(re.sub(r"[ACGTURYSWKMBDHVN]", "", sequence)))
        raise RecordError(f"{expected}: the sequence has characters that are not bases: {bad}")
    return sequence


def _fasta_blocks(text: str) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            blocks.append((line, ""))
        elif not blocks:
            raise RecordError("text before the first FASTA header")
        else:
            header, sequence = blocks[-1]
            blocks[-1] = (header, sequence + line.upper())
    return blocks


def parse_fasta(text: str, expected: Accession) -> Transcript:
    """Parse efetch FASTA holding exactly one record of `expected`.

    Raises:
        RecordError: Empty, HTML, several records, another accession, or non-base characters.
    """
    _refuse_non_record(text, expected, "FASTA record")
    try:
        blocks = _fasta_blocks(text)
    except RecordError as error:
        raise RecordError(f"{expected}: {error}") from None
    if len(blocks) != 1:
        raise RecordError(f"{expected}: expected one FASTA record, found {len(blocks)}")
    header, sequence = blocks[0]
    first = header[1:].split(maxsplit=1)
    name = first[0] if first else ""
    if name.startswith("ref|"):
        name = name.split("|")[1]
    _check_accession(name, expected)
    return Transcript(
        accession=expected,
        description=first[1] if len(first) > 1 else "",
        sequence=_check_letters(sequence, expected),
    )


def parse_exon_fasta(text: str, expected: Accession) -> Transcript:
    """Parse NCBI's "FASTA of exons": joined in order, the exons are the transcript.

    Raises:
        RecordError: Empty, HTML, another accession, exons that do not tile the transcript, or
            an exon whose length differs from its header's coordinates.
    """
    _refuse_non_record(text, expected, "exon FASTA")
    try:
        blocks = _fasta_blocks(text)
    except RecordError as error:
        raise RecordError(f"{expected}: {error}") from None
    exons: list[Exon] = []
    parts: list[str] = []
    description = ""
    for number, (header, sequence) in enumerate(blocks, start=1):
        match = _EXON_HEADER.match(header)
        if match is None:
            raise RecordError(f"{expected}: exon header without START-END coordinates: {header}")
        _check_accession(match.group("acc"), expected)
        start, end = int(match.group("start")), int(match.group("end"))
        previous_end = exons[-1].end if exons else 0
        if start != previous_end + 1:
            raise RecordError(
                f"{expected}: exon {number} starts at {start} but the one before ends at "
                f"{previous_end}: an exon is missing or the record is damaged"
            )
        if end - start + 1 != len(sequence):
            raise RecordError(
                f"{expected}: exon {number} ({start}-{end}) has {len(sequence)} bases, not "
                f"{end - start + 1}: the record is truncated or damaged"
            )
        exons.append(Exon(number=number, start=start, end=end))
        parts.append(_check_letters(sequence, expected))
        description = header[match.end() :].strip()
    try:
        transcript = Transcript(
            accession=expected, description=description, sequence="".join(parts),
            exons=tuple(exons),
        )  # fmt: skip
    except ValueError as error:
        raise RecordError(str(error)) from None
    if not transcript.tiles:
        raise RecordError(f"{expected}: the exons do not join into one whole transcript")
    return transcript


def parse_genbank(text: str, expected: Accession) -> Transcript:
    """Parse a GenBank flat file of `expected`, taking its exon and CDS features.

    Raises:
        RecordError: Empty, HTML, unparseable or truncated (no ``//`` end, or fewer bases than the
            LOCUS line states), another accession.version, or non-base characters.
    """
    from Bio import BiopythonParserWarning, SeqIO  # only where GenBank is parsed

    _refuse_non_record(text, expected, "GenBank record")
    if not text.rstrip().endswith("//"):
        raise RecordError(f"{expected}: the GenBank record has no end (//): it is truncated")
    locus = re.match(r"^LOCUS\s+\S+\s+(\d+)\s+bp", text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BiopythonParserWarning)
            parsed = SeqIO.parse(io.StringIO(text), "genbank")  # type: ignore[no-untyped-call]  # Biopython leaves SeqIO.parse unannotated
            records = list(parsed)
    except ValueError as error:
        raise RecordError(f"{expected}: not a readable GenBank record ({error})") from None
    if len(records) != 1:
        raise RecordError(f"{expected}: expected one GenBank record, found {len(records)}")
    record = records[0]
    _check_accession(record.id, expected)
    sequence = _check_letters(str(record.seq).upper(), expected)
    if locus and int(locus.group(1)) != len(sequence):
        raise RecordError(
            f"{expected}: LOCUS says {locus.group(1)} bp but the record holds {len(sequence)}: "
            "it is truncated"
        )
    exons, exon_note = _genbank_exons(record.features, len(sequence))
    cds_features = [f for f in record.features if f.type == "CDS"]
    cds = (
        (int(cds_features[0].location.start) + 1, int(cds_features[0].location.end))
        if cds_features
        else None
    )
    try:
        return Transcript(
            accession=expected,
            description=str(record.description),
            sequence=sequence,
            exons=exons,
            cds=cds,
            exon_note=exon_note,
            organism=str(record.annotations.get("organism", "")),
            mane=_is_mane_select(record.annotations.get("keywords")),
        )
    except ValueError as error:
        raise RecordError(str(error)) from None


def _is_mane_select(keywords: object) -> bool:
    """Whether GenBank KEYWORDS name the record MANE Select ("RefSeq; MANE Select.").

    >>> _is_mane_select(["RefSeq", "MANE Select"]), _is_mane_select(["RefSeq"])
    (True, False)
    >>> _is_mane_select(["RefSeq", "MANE Plus Clinical"]), _is_mane_select(None)
    (False, False)
    """
    if not isinstance(keywords, list | tuple):
        return False
    return any(str(k).strip().rstrip(".").lower() == "mane select" for k in keywords)


def _genbank_exons(features: list[Any], length: int) -> tuple[tuple[Exon, ...], str]:
    """Return a GenBank record's exon features as exons in order, and a note on them.

    Exons are numbered by their order; the record's ``/number`` is kept as each exon's label
    whatever it holds ("76b" is a real one). Features that cannot make an exon map (joined or
    overlapping locations, bounds past the sequence) leave the map empty, with the reason in
    the note, rather than making the whole record unusable.
    """
    located = [f for f in features if f.type == "exon"]
    if not located:
        return (), ""
    located.sort(key=lambda f: int(f.location.start))
    exons: list[Exon] = []
    for order, feature in enumerate(located, start=1):
        label = str(feature.qualifiers.get("number", [""])[0]).strip()
        start, end = int(feature.location.start) + 1, int(feature.location.end)
        if len(getattr(feature.location, "parts", [None])) > 1 or end > length or start > end:
            where = label or str(order)
            return (), (
                f"exon feature {where} ({feature.location}) is not one stretch of the record: "
                "the exon map is not used"
            )
        if exons and start <= exons[-1].end:
            return (), (
                f"exon features {exons[-1].name} and {label or order} overlap: the exon map is "
                "not used"
            )
        exons.append(Exon(number=order, start=start, end=end, label=label))
    note = "" if all(e.label for e in exons) else "exons numbered by order (the record gives none)"
    return tuple(exons), note


# "(GAPDH), transcript variant 1, mRNA", "(SDHD), nuclear gene encoding mitochondrial protein,
# mRNA": the last bracketed symbol followed by bracket-free words up to "mRNA".
_SYMBOL = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9.-]*)\),[^()]*?\bmRNA\b")


def gene_symbol(description: str) -> str | None:
    """Return the gene symbol NCBI writes in an mRNA title, e.g. "(GAPDH), transcript variant 1".

    >>> gene_symbol("Homo sapiens phosphatidylinositol ... alpha (PIK3CA), mRNA")
    'PIK3CA'
    >>> gene_symbol("Homo sapiens succinate dehydrogenase complex subunit D (SDHD), nuclear gene "
    ...             "encoding mitochondrial protein, mRNA")
    'SDHD'
    >>> gene_symbol("Homo sapiens (GAPDH), transcript variant 1, mRNA"), gene_symbol("X (Y)")
    ('GAPDH', None)
    """
    match = _SYMBOL.search(description)
    return match.group(1) if match else None


def parse_record(text: str, fmt: RecordFormat, expected: Accession) -> Transcript:
    """Parse `text` in format `fmt` as the record of `expected` (see the module docstring)."""
    parser = {
        RecordFormat.GENBANK: parse_genbank,
        RecordFormat.FASTA: parse_fasta,
        RecordFormat.EXONS: parse_exon_fasta,
    }[fmt]
    return parser(text, expected)
