"""Typing errors in published primers, found by aligning the primer end to end on the record.

Published tables contain typos: a base dropped or doubled, two bases swapped, one base changed. When
a primer has no good site, `find_typo` aligns it semi-globally (the whole primer, any stretch of the
record: Biopython's PairwiseAligner with free end gaps in the primer's row only) near exact seeds of
its 5' and 3' halves, on both strands, and accepts an explanation only when exactly one such edit
separates the primer from the record. It then gives the corrected sequence, which matches the record
exactly.

>>> typo = find_typo("ACGTTGCATGCCGATAGC", "TTTTACGTTGCATGACCGATAGCTTTT")  # record has an extra A
>>> typo.kind.value, typo.suggested
('deletion', 'ACGTTGCATGACCGATAGC')
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from assay._compat import StrEnum
from assay.primers.binding import Strand
from assay.primers.sequence import reverse_complement


class TypoKind(StrEnum):
    """What kind of typing error separates a primer from its record."""

    DELETION = "deletion"  # the primer lacks a base the record has
    INSERTION = "insertion"  # the primer has a base the record lacks
    TRANSPOSITION = "transposition"  # two neighbouring bases swapped
    SUBSTITUTION = "substitution"  # one base changed


@dataclass(frozen=True, slots=True, kw_only=True)
class Typo:
    """A one-edit explanation of why a primer does not match its record.

    Attributes:
        kind: The edit.
        position: Where in the primer (1-based from its 5' end) the edit is.
        suggested: The corrected primer, 5'→3', matching the record exactly.
        start: First record base covered by the corrected primer (1-based).
        end: Last record base covered (1-based, closed).
        strand: Record strand of the corrected primer's site.
        alignment: Three text lines: the record, the match line, the primer (as on the record).
    """

    kind: TypoKind
    position: int
    suggested: str
    start: int
    end: int
    strand: Strand
    alignment: str


def _aligner() -> object:
    from Bio.Align import PairwiseAligner  # only when a typo is looked for

    return PairwiseAligner(  # type: ignore[no-untyped-call]  # Biopython leaves it unannotated
        mode="global",
        match_score=2.0,
        mismatch_score=-3.0,
        open_gap_score=-5.0,
        extend_gap_score=-2.0,
        end_deletion_score=0.0,  # the record may overhang the primer on either side
        end_insertion_score=-100.0,  # the primer must align end to end
    )


def _seed_positions(probe: str, target: str) -> set[int]:
    half = max(8, len(probe) // 2 - 1)
    positions: set[int] = set()
    for seed, offset in ((probe[:half], 0), (probe[-half:], len(probe) - half)):
        found = target.find(seed)
        while found != -1:
            positions.add(found - offset)
            found = target.find(seed, found + 1)
    return positions


def _explain(
    coordinates: list[tuple[int, int]], window: str, probe: str
) -> tuple[TypoKind, int, int, int] | None:
    """Return (kind, probe index of the edit, target start, target end) for a one-edit alignment."""
    # Steps where the probe does not advance at either end are record overhang: skip them.
    steps = list(itertools.pairwise(coordinates))
    while steps and steps[0][1][1] == steps[0][0][1]:
        steps.pop(0)
    while steps and steps[-1][1][1] == steps[-1][0][1]:
        steps.pop()
    if not steps:
        return None
    mismatches: list[tuple[int, int]] = []  # (probe index, target index)
    gaps: list[tuple[TypoKind, int]] = []
    for (t0, q0), (t1, q1) in steps:
        if t1 > t0 and q1 > q0:
            mismatches += [
                (q0 + k, t0 + k) for k in range(q1 - q0) if window[t0 + k] != probe[q0 + k]
            ]
        elif t1 > t0:
            gaps += [(TypoKind.DELETION, q0)] * (t1 - t0)
        else:
            gaps += [(TypoKind.INSERTION, q0)] * (q1 - q0)
    start, end = steps[0][0][0], steps[-1][1][0]
    if len(gaps) == 1 and not mismatches:
        kind, index = gaps[0]
        return kind, index, start, end
    if not gaps and len(mismatches) == 1:
        return TypoKind.SUBSTITUTION, mismatches[0][0], start, end
    if not gaps and len(mismatches) == 2:
        (qa, ta), (qb, tb) = mismatches
        if qb == qa + 1 and window[ta] == probe[qb] and window[tb] == probe[qa]:
            return TypoKind.TRANSPOSITION, qa, start, end
    return None


def _alignment_text(record_part: str, primer_part: str) -> str:
    match = "".join("|" if a == b else " " for a, b in zip(record_part, primer_part, strict=True))
    return f"record {record_part}\n       {match}\nprimer {primer_part}"


def find_typo(primer: str, target: str) -> Typo | None:
    """Explain a primer's failure to match `target` by one typing error, if one does.

    Args:
        primer: The primer as published, 5'→3' (ACGT).
        target: The record's sequence (plus strand).

    Returns:
        The typo and its correction, or None when no single edit explains the primer.
    """
    aligner = _aligner()
    best: Typo | None = None
    for strand, probe in ((Strand.PLUS, primer), (Strand.MINUS, reverse_complement(primer))):
        for anchor in sorted(_seed_positions(probe, target)):
            lo = max(0, anchor - 3)
            window = target[lo : anchor + len(probe) + 3]
            alignment = aligner.align(window, probe)[0]  # type: ignore[attr-defined]  # PairwiseAligner
            coords = [(int(t), int(q)) for t, q in zip(*alignment.coordinates, strict=True)]
            explained = _explain(coords, window, probe)
            if explained is None:
                continue
            kind, index, start, end = explained
            corrected = window[start:end]
            suggested = corrected if strand is Strand.PLUS else reverse_complement(corrected)
            # The edit's place in the primer as written 5'→3'.
            position = index + 1 if strand is Strand.PLUS else len(probe) - index
            gapped = [str(alignment[0]), str(alignment[1])]
            columns = [i for i, c in enumerate(gapped[1]) if c != "-"]
            first, last = (columns[0], columns[-1]) if columns else (0, -1)
            record_part, primer_part = gapped[0][first : last + 1], gapped[1][first : last + 1]
            typo = Typo(
                kind=kind,
                position=position,
                suggested=suggested,
                start=lo + start + 1,
                end=lo + end,
                strand=strand,
                alignment=_alignment_text(record_part, primer_part),
            )
            # An indel or a swap explains more than a lone substitution: prefer it.
            if best is None or best.kind is TypoKind.SUBSTITUTION is not typo.kind:
                best = typo
    return best
