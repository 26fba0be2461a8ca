"""Exon maps of transcripts from the genome: exact spliced alignment to a genomic extract.

A record fetched as FASTA has no exon features, yet whether a primer pair spans an intron depends
on them. When the genomic stretch the transcript comes from is at hand, its exons are found by
aligning the transcript to it: each exon is an exact, colinear match; between two exons lies an
intron of at least `MIN_INTRON` bases. Where the bases at a junction allow the boundary to slide
(the last bases of one exon equal the first bases of the intron), it is put where the intron
starts with GT and ends with AG (the canonical splice sites, about 99 % of human introns). A
transcript that differs from the genome anywhere (a SNP, an indel, a poly-A tail absent from it)
gets no map: an exon map is given only where it is certain.

>>> exon1, exon2 = "ATGGCCAAGTTCGATCGGACTTAG", "GATTACACCGGTTACCATGGCTAA"
>>> genome = "CC" + exon1 + "GTAAGT" + "T" * 30 + "TTCAG" + exon2 + "GG"
>>> alignment = align_transcript(exon1 + exon2, genome)
>>> [(e.start, e.end) for e in alignment.exons], alignment.genomic_starts, alignment.canonical
([(1, 24), (25, 48)], (3, 68), True)
"""

from __future__ import annotations

from dataclasses import dataclass

from assay.primers.records import Exon
from assay.primers.sequence import reverse_complement

MIN_INTRON = 30  # bases; shorter gaps are differences from the genome, not introns
SEED = 20  # bases of the transcript that must match exactly to place the next exon


@dataclass(frozen=True, slots=True, kw_only=True)
class SplicedAlignment:
    """A transcript placed on a genomic stretch.

    Attributes:
        exons: The transcript's exons, 1-based closed transcript coordinates, tiling it.
        genomic_starts: 1-based start of each exon on the genomic stretch as given (on the minus
            strand: where the exon's last base lies, the stretch being read reverse-complemented).
        minus_strand: The transcript lies on the reverse complement of the stretch.
        canonical: Every intron starts with GT and ends with AG.
    """

    exons: tuple[Exon, ...]
    genomic_starts: tuple[int, ...]
    minus_strand: bool
    canonical: bool


def _extend(transcript: str, genome: str, t: int, g: int) -> int:
    """Length of the exact match of transcript[t:] and genome[g:]."""
    length = 0
    limit = min(len(transcript) - t, len(genome) - g)
    while length < limit and transcript[t + length] == genome[g + length]:
        length += 1
    return length


def _align_one_strand(
    transcript: str, genome: str, min_intron: int
) -> tuple[list[tuple[int, int, int]], bool] | None:
    """Blocks (transcript start, genome start, length), 0-based, and whether all are GT-AG."""
    first = genome.find(transcript[:SEED])
    if first < 0:
        return None
    blocks = [(0, first, _extend(transcript, genome, 0, first))]
    canonical = True
    while True:
        t_start, g_start, length = blocks[-1]
        t_end, g_end = t_start + length, g_start + length
        if t_end == len(transcript):
            return blocks, canonical
        seed = transcript[t_end : t_end + SEED]
        if len(seed) < SEED:
            return None  # a short tail that the genome does not hold (e.g. poly-A)
        g_next = genome.find(seed, g_end + min_intron)
        if g_next < 0:
            return None
        # The boundary may slide left while the exon's last bases equal the intron's last ones.
        slide = 0
        while slide < length and transcript[t_end - slide - 1] == genome[g_next - slide - 1]:
            slide += 1
        choices = [
            d
            for d in range(slide + 1)
            if genome[g_end - d : g_end - d + 2] == "GT"
            and genome[g_next - d - 2 : g_next - d] == "AG"
        ]
        shift = choices[0] if choices else 0
        canonical = canonical and bool(choices)
        if shift:
            blocks[-1] = (t_start, g_start, length - shift)
        t_next = t_end - shift
        next_length = _extend(transcript, genome, t_next, g_next - shift)
        blocks.append((t_next, g_next - shift, next_length))


def align_transcript(
    transcript: str, genome: str, *, min_intron: int = MIN_INTRON
) -> SplicedAlignment | None:
    """Place `transcript` on `genome` (either strand) as exact exons; None if it does not fit.

    Both sequences are upper-case DNA. The plus strand is tried first.
    """
    for minus in (False, True):
        strand = reverse_complement(genome) if minus else genome
        found = _align_one_strand(transcript, strand, min_intron)
        if found is None:
            continue
        blocks, canonical = found
        exons = tuple(
            Exon(number=i + 1, start=t + 1, end=t + length)
            for i, (t, _, length) in enumerate(blocks)
        )
        starts = tuple(len(genome) - g - length + 1 if minus else g + 1 for _, g, length in blocks)
        return SplicedAlignment(
            exons=exons, genomic_starts=starts, minus_strand=minus, canonical=canonical
        )
    return None
