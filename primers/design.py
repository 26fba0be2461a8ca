"""Design qPCR primer pairs on a transcript, and replacements for pairs that fail.

primer3 proposes candidates under a stated qPCR preset (`DesignSettings`); where the record's exon
map is known, one run asks for a primer across an exon-exon junction (at least 7 bases on its 5'
side and 4 on its 3' side, as Primer-BLAST) and one run per junction asks for a product holding
it (the primers in different exons, an intron between them on the genome). Every candidate is then
checked exactly as `assay validate` checks a pair (`validate_pair`, and the off-target search when
databases are given), so a proposed pair is by construction one that validate passes. Candidates
are ranked by primer3's penalty plus placement (a junction primer best, then different exons, then
an unknown exon map) and the transcript variants of the gene they miss.

When no candidate passes, the rules are relaxed one step at a time (`RELAXATIONS`), each step said
in the result, and primer3's own counts of why primers failed are kept (`Design.explain`), with the
findings that removed checked candidates (`Design.rejected`): never an empty answer without reason.

>>> DesignSettings().describe()[:44]
'qPCR preset: product 70-150 bp, primers 18-2'
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assay._compat import StrEnum
from assay.errors import AssayError
from assay.primers.conditions import ReactionConditions
from assay.primers.model import Check, Primer, PrimerPair, Severity, Verdict
from assay.primers.records import gene_symbol
from assay.primers.reference import (
    JUNCTION_3P_NT,
    JUNCTION_5P_NT,
    Protection,
    spans_junction,
    with_exons_from_genome,
)
from assay.primers.thresholds import Thresholds
from assay.primers.validate import PairReport, search_off_targets_many, validate_pair

if TYPE_CHECKING:
    from assay.primers.offtarget import OffTargetSearch
    from assay.primers.probe import Probe
    from assay.primers.records import Transcript
    from assay.primers.store import RecordSource

MAX_CHECKED = 40  # candidates checked per step, best primer3 penalty first
JUNCTION_MODES = ("required", "preferred", "any")
MAX_PRIMER_NT = 36  # primer3's longest oligo for Tm
MAX_DESIGN_PRODUCT_BP = 1000  # qPCR products: Primer3Plus's qPCR preset stays far below
REGIONS = ("default", "cds", "3prime", "any")
FIVE_PRIME_AVOID_NT = 50  # the cap region and 5' end: folded, variable starts (default region)
THREE_PRIME_NT = 1000  # --region 3prime: the last kilobase (oligo-dT cDNA, degraded RNA)
_OUTSIDE_CDS_PENALTY = 0.5


class DesignError(AssayError):
    """A design that cannot start (no usable record, impossible settings)."""


class Placement(StrEnum):
    """Where a pair sits on the exon map: what protects it against genomic DNA."""

    JUNCTION = "junction"  # a primer across an exon-exon junction (7 + 4 nt or more)
    EXONS = "different exons"  # the primers in different exons, an intron >= 1 kb between them
    SHORT_INTRON = "short intron"  # different exons, but genomic DNA gives a product too
    EXONS_UNKNOWN = "different exons, intron size unknown"
    ONE_EXON = "one exon"  # the product lies within one exon
    UNKNOWN = "exon map unknown"


_PLACEMENT_PENALTY = {
    Placement.JUNCTION: 0.0,
    Placement.EXONS: 0.5,
    Placement.EXONS_UNKNOWN: 1.0,
    Placement.UNKNOWN: 1.0,
    Placement.SHORT_INTRON: 4.0,
    Placement.ONE_EXON: 5.0,
}
_VARIANT_MISSED_PENALTY = 1.0
# Products an organism's genome gives (its own locus, a processed pseudogene) matter only where
# genomic DNA is left in the RNA: a pair that avoids them is preferred, one that has them is
# still proposed with the warning (a gene with many pseudogenes, like GAPDH, would have none).
_GENOMIC_PRODUCT_PENALTY = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignSettings:
    """The qPCR preset: what primer3 is asked for (sources as in `thresholds`).

    The defaults are Primer3Plus's qPCR settings narrowed to what `assay validate` passes without a
    warning: GC 40-60 % (validate warns outside), Tm 58-62 °C around 60 °C with at most 2 °C
    between the primers, at most 3 G/C in the last 5 bases, no run longer than 4 bases.
    """

    product_min_bp: int = 70
    product_max_bp: int = 150
    size_min_nt: int = 18
    size_opt_nt: int = 20
    size_max_nt: int = 25
    tm_min_c: float = 58.0
    tm_opt_c: float = 60.0
    tm_max_c: float = 62.0
    tm_diff_max_c: float = 2.0
    gc_min_pct: float = 40.0
    gc_max_pct: float = 60.0
    max_end_gc: int = 3
    max_poly_x: int = 4
    anneal_temp_c: float = 60.0
    probe: bool = False  # also a hydrolysis probe per pair (`probe`)
    region: str = "default"  # default (not the first 50 nt, CDS preferred) | cds | 3prime | any
    spacing_nt: int = 5  # no two proposals share a primer site within this many bases
    junction: str = "preferred"  # required | preferred | any: a primer across an exon junction
    junction_5p_nt: int = JUNCTION_5P_NT  # bases of a junction primer on its 5' side
    junction_3p_nt: int = JUNCTION_3P_NT  # and on its 3' side

    def __post_init__(self) -> None:
        for name in ("product_min_bp", "product_max_bp", "size_min_nt", "size_opt_nt",
                     "size_max_nt", "tm_min_c", "tm_opt_c", "tm_max_c", "tm_diff_max_c",
                     "gc_min_pct", "gc_max_pct", "anneal_temp_c"):  # fmt: skip
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise DesignError(f"design setting {name} must be a number, not {value!r}")
        if not 30.0 <= self.anneal_temp_c <= 80.0:
            raise DesignError(f"the annealing temperature must be between 30 and 80 C, not "
                              f"{self.anneal_temp_c:g}")  # fmt: skip
        if not (self.tm_min_c >= 20.0 and self.tm_max_c <= 90.0 and self.tm_diff_max_c >= 0):
            raise DesignError("primer Tm must lie between 20 and 90 C, and the largest Tm "
                              "difference must be 0 or more")  # fmt: skip
        if self.size_max_nt > MAX_PRIMER_NT or self.size_min_nt < 10:
            sizes = f"{self.size_min_nt}-{self.size_max_nt}"
            raise DesignError(f"primers must be 10 to {MAX_PRIMER_NT} nt (primer3 computes Tm up "
                              f"to {MAX_PRIMER_NT} nt), not {sizes}")  # fmt: skip
        if self.product_max_bp > MAX_DESIGN_PRODUCT_BP:
            raise DesignError(f"products of at most {MAX_DESIGN_PRODUCT_BP} bp can be designed "
                              f"(qPCR products are short), not {self.product_max_bp}")  # fmt: skip
        if self.region not in REGIONS:
            raise DesignError(f"--region must be one of {', '.join(REGIONS)}, not {self.region!r}")
        if self.spacing_nt < 0:
            raise DesignError(f"the spacing between proposals must be 0 or more, not "
                              f"{self.spacing_nt}")  # fmt: skip
        if self.junction not in JUNCTION_MODES:
            raise DesignError(
                f"--junction must be one of {', '.join(JUNCTION_MODES)}, not {self.junction!r}"
            )
        if not (self.junction_3p_nt >= 1 and self.junction_5p_nt >= 1
                and self.junction_5p_nt + self.junction_3p_nt <= self.size_max_nt):  # fmt: skip
            raise DesignError(
                f"the junction split {self.junction_5p_nt},{self.junction_3p_nt} does not fit a "
                f"primer of at most {self.size_max_nt} nt: give two positive numbers whose sum "
                "is at most the longest primer"
            )
        for low, high in (
            ("product_min_bp", "product_max_bp"),
            ("size_min_nt", "size_opt_nt"),
            ("size_opt_nt", "size_max_nt"),
            ("tm_min_c", "tm_opt_c"),
            ("tm_opt_c", "tm_max_c"),
            ("gc_min_pct", "gc_max_pct"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise DesignError(
                    f"design setting {low} ({getattr(self, low)}) must not exceed {high} "
                    f"({getattr(self, high)})"
                )
        if self.product_min_bp < 2 * self.size_min_nt:
            raise DesignError(f"product_min_bp {self.product_min_bp} is shorter than two primers")

    def describe(self) -> str:
        """The preset in one line, for every output."""
        return (
            f"qPCR preset: product {self.product_min_bp}-{self.product_max_bp} bp, primers "
            f"{self.size_min_nt}-{self.size_opt_nt}-{self.size_max_nt} nt, Tm "
            f"{self.tm_min_c:g}-{self.tm_opt_c:g}-{self.tm_max_c:g} C, dTm <= "
            f"{self.tm_diff_max_c:g} C, GC {self.gc_min_pct:g}-{self.gc_max_pct:g} %, at most "
            f"{self.max_end_gc} G/C in the last 5 bases and a G or C at the 3' end, runs <= "
            f"{self.max_poly_x}, annealing "
            f"{self.anneal_temp_c:g} C; junction primers >= {self.junction_5p_nt} nt 5' and >= "
            f"{self.junction_3p_nt} nt 3' of the junction ({self.junction}); region "
            f"{self.region}; proposals >= {self.spacing_nt} nt apart"
        )

    def primer3_args(self, conditions: ReactionConditions, limits: Thresholds) -> dict[str, Any]:
        """primer3's global arguments for these settings under `conditions`."""
        from assay.primers.probe import probe_args

        internal = probe_args(self.tm_opt_c, conditions) if self.probe else {}
        return {
            **internal,
            "PRIMER_TASK": "generic",
            "PRIMER_PICK_LEFT_PRIMER": 1,
            "PRIMER_PICK_RIGHT_PRIMER": 1,
            "PRIMER_PICK_INTERNAL_OLIGO": 1 if self.probe else 0,
            "PRIMER_EXPLAIN_FLAG": 1,
            "PRIMER_PRODUCT_SIZE_RANGE": [[self.product_min_bp, self.product_max_bp]],
            "PRIMER_MIN_SIZE": self.size_min_nt,
            "PRIMER_OPT_SIZE": self.size_opt_nt,
            "PRIMER_MAX_SIZE": self.size_max_nt,
            "PRIMER_MIN_TM": self.tm_min_c,
            "PRIMER_OPT_TM": self.tm_opt_c,
            "PRIMER_MAX_TM": self.tm_max_c,
            "PRIMER_PAIR_MAX_DIFF_TM": self.tm_diff_max_c,
            "PRIMER_MIN_GC": self.gc_min_pct,
            "PRIMER_MAX_GC": self.gc_max_pct,
            "PRIMER_MAX_END_GC": self.max_end_gc,
            "PRIMER_GC_CLAMP": 1,
            "PRIMER_MAX_POLY_X": self.max_poly_x,
            "PRIMER_MAX_HAIRPIN_TH": limits.hairpin_tm_max_c,
            "PRIMER_SALT_MONOVALENT": conditions.mv_conc_mm,
            "PRIMER_SALT_DIVALENT": conditions.dv_conc_mm,
            "PRIMER_DNTP_CONC": conditions.dntp_conc_mm,
            "PRIMER_DNA_CONC": conditions.primer_conc_nm,
            "PRIMER_MIN_5_PRIME_OVERLAP_OF_JUNCTION": self.junction_5p_nt,
            "PRIMER_MIN_3_PRIME_OVERLAP_OF_JUNCTION": self.junction_3p_nt,
        }


# Each step relaxes the one before it, in this order, until a candidate passes.
RELAXATIONS: tuple[tuple[str, Callable[[DesignSettings], DesignSettings]], ...] = (
    (
        "product size widened to 60-250 bp",
        lambda s: replace(
            s, product_min_bp=min(s.product_min_bp, 60), product_max_bp=max(s.product_max_bp, 250)
        ),
    ),
    (
        "primer Tm widened to 57-63 C and dTm to 3 C",
        lambda s: replace(
            s,
            tm_min_c=min(s.tm_min_c, 57.0),
            tm_max_c=max(s.tm_max_c, 63.0),
            tm_diff_max_c=max(s.tm_diff_max_c, 3.0),
        ),
    ),
    (
        "primer length widened to 17-28 nt",
        lambda s: replace(
            s, size_min_nt=min(s.size_min_nt, 17), size_max_nt=max(s.size_max_nt, 28)
        ),
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A pair primer3 proposed, before checking (positions 1-based on the template)."""

    forward: str
    reverse: str
    penalty: float
    start: int
    end: int = 0  # the reverse primer's 5' end: the product's last base
    probe: str = ""  # primer3's internal oligo (plus strand), when probes are asked for
    probe_start: int = 0  # its first base, 1-based


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignedPair:
    """A proposed pair with its full validation.

    Attributes:
        rank: 1 = best.
        report: What `validate_pair` (and the off-target search) found: the same as validate.
        penalty: primer3's pair penalty.
        placement: Where it sits on the exon map.
        placement_text: That placement in words ("reverse across exon 3-4 (12 + 8 nt)").
        score: penalty + placement and missed-variant penalties (lower is better).
    """

    rank: int
    report: PairReport
    penalty: float
    placement: Placement
    placement_text: str
    score: float
    probe: Probe | None = None

    @property
    def pair(self) -> PrimerPair:
        """The pair."""
        return self.report.pair

    @property
    def gdna_text(self) -> str:
        """What genomic DNA would give, as validate says it."""
        found = [f.message for f in self.report.findings if f.code is Check.GDNA]
        return found[0] if found else "genomic DNA product not checked"

    @property
    def variants(self) -> tuple[tuple[str, int | None], ...]:
        """(accession, product bp or None) on each transcript of the gene that was compared."""
        check = self.report.reference_check
        if check is None:
            return ()
        return tuple((t.accession, t.product_bp) for t in check.transcripts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Design:
    """The design for one target.

    Attributes:
        target: The record designed on.
        gene: The gene name used for the pairs.
        settings: The settings of the step that gave the pairs (the relaxed ones if relaxed).
        pairs: Ranked proposals; empty when none passed (then `explain` and `rejected` say why).
        relaxed: The relaxations applied, in order (empty: the preset as stated).
        explain: primer3's counts of why primers and pairs were not picked, per run and step.
        candidates: How many distinct candidates primer3 proposed over all steps.
        rejected: Finding code -> how many checked candidates it removed (a code per candidate).
        notes: What the reader should know (exon map unknown, no databases searched, ...).
    """

    target: str
    gene: str
    settings: DesignSettings
    pairs: tuple[DesignedPair, ...]
    relaxed: tuple[str, ...]
    explain: tuple[str, ...]
    candidates: int
    rejected: tuple[tuple[str, int], ...]
    notes: tuple[str, ...]


def junction_positions(record: Transcript) -> list[int]:
    """0-based positions of the last base before each exon-exon junction (primer3's convention)."""
    if not record.tiles:
        return []
    return [exon.end - 1 for exon in record.exons[:-1]]


def _candidates(result: dict[str, Any]) -> list[Candidate]:
    found = []
    internals = result.get("PRIMER_INTERNAL", [])
    for index, (left, right, pair) in enumerate(zip(
        result.get("PRIMER_LEFT", []),
        result.get("PRIMER_RIGHT", []),
        result.get("PRIMER_PAIR", []),
        strict=False,
    )):  # fmt: skip
        internal = internals[index] if index < len(internals) else None
        found.append(
            Candidate(
                forward=str(left["SEQUENCE"]),
                reverse=str(right["SEQUENCE"]),
                penalty=float(pair["PENALTY"]),
                start=int(left["COORDS"][0]) + 1,
                end=int(right["COORDS"][0]) + 1,
                probe=str(internal["SEQUENCE"]) if internal else "",
                probe_start=int(internal["COORDS"][0]) + 1 if internal else 0,
            )
        )
    return found


def _explain(result: dict[str, Any], asked: str) -> str:
    parts = [
        f"{side}: {result[key]}"
        for side, key in (
            ("forward", "PRIMER_LEFT_EXPLAIN"),
            ("reverse", "PRIMER_RIGHT_EXPLAIN"),
            ("pair", "PRIMER_PAIR_EXPLAIN"),
        )
        if result.get(key)
    ]
    return f"{asked}: " + "; ".join(parts)


def run_primer3(
    template: str, args: dict[str, Any], extra: dict[str, Any], asked: str, number: int
) -> tuple[list[Candidate], str]:
    """One primer3 run: its candidates and its explain line."""
    import primer3  # only when designing

    seq_args: dict[str, Any] = {"SEQUENCE_ID": asked, "SEQUENCE_TEMPLATE": template, **extra}
    try:
        result = primer3.bindings.design_primers(seq_args, {**args, "PRIMER_NUM_RETURN": number})
    except (OSError, ValueError) as error:  # primer3 reports bad arguments this way
        raise DesignError(f"primer3 refused the design ({asked}): {error}") from error
    return _candidates(result), _explain(result, asked)


def region_of(record: Transcript, region: str) -> tuple[int, int]:
    """The 0-based [start, end) of the record primer3 may use for `region`.

    >>> from assay.primers.accession import parse_accession
    >>> from assay.primers.records import Transcript
    >>> record = Transcript(accession=parse_accession("NM_000001.1"), description="",
    ...                     sequence="A" * 2000, cds=(101, 1600))
    >>> [region_of(record, r) for r in ("default", "cds", "3prime", "any")]
    [(50, 2000), (100, 1600), (1000, 2000), (0, 2000)]
    """
    length = len(record.sequence)
    if region == "cds" and record.cds is not None:
        return record.cds[0] - 1, record.cds[1]
    if region == "3prime":
        return max(0, length - THREE_PRIME_NT), length
    if region == "default" and length > 6 * FIVE_PRIME_AVOID_NT:
        return FIVE_PRIME_AVOID_NT, length
    return 0, length


def _runs(
    record: Transcript, want: int, junction: str = "preferred", region: str = "default",
    max_product_bp: int | None = None,
) -> list[tuple[str, dict[str, Any], int]]:  # fmt: skip
    """(what is asked, primer3 sequence arguments, pairs to return) for each run on `record`.

    A run for a product across one junction looks only within `max_product_bp` of it (where
    any such product's primers lie): primer3 then reads a few hundred bases, not the record.
    """
    low, high = region_of(record, region)
    inside = {"SEQUENCE_INCLUDED_REGION": [low, high - low]} if (low, high) != (
        0, len(record.sequence)) else {}  # fmt: skip
    junctions = [j for j in junction_positions(record) if low + 10 <= j <= high - 10]
    if not junctions or junction == "any":
        return [("anywhere on the record", dict(inside), max(want * 10, 50))]
    if junction == "required":
        return [("a primer across a junction (required)",
                 {"SEQUENCE_OVERLAP_JUNCTION_LIST": junctions, **inside},
                 max(want * 10, 50))]  # fmt: skip
    runs: list[tuple[str, dict[str, Any], int]] = [
        (
            "a primer across a junction",
            {"SEQUENCE_OVERLAP_JUNCTION_LIST": junctions, **inside},
            max(want * 10, 50),
        ),
    ]
    exon_of = {exon.end - 1: exon for exon in record.exons}
    for position in junctions:
        left = exon_of[position]
        near = dict(inside)
        if max_product_bp is not None:
            start = max(low, position - max_product_bp)
            end = min(high, position + 2 + max_product_bp)
            near = {"SEQUENCE_INCLUDED_REGION": [start, end - start]}
        runs.append((f"product across the exon {left.name} junction",
                     {"SEQUENCE_TARGET": [position, 2], **near}, 4))  # fmt: skip
    runs.append(("anywhere on the record", dict(inside), max(want * 10, 50)))
    return runs


def _placement(
    report: PairReport, record: Transcript, five_nt: int = JUNCTION_5P_NT,
    three_nt: int = JUNCTION_3P_NT,
) -> tuple[Placement, str]:  # fmt: skip
    """Where the pair sits, by the one gDNA rule of `reference.gdna_protection`."""
    check = report.reference_check
    if check is None or not record.tiles or check.product is None:
        return Placement.UNKNOWN, "exon map unknown"
    sides = (("forward", check.forward, check.swapped),
             ("reverse", check.reverse, not check.swapped))  # fmt: skip
    for name, placed, reverse_primer in sides:
        for span in placed.junctions:
            if spans_junction(span, reverse_primer=reverse_primer, five_nt=five_nt,
                              three_nt=three_nt):  # fmt: skip
                return Placement.JUNCTION, (
                    f"{name} primer across the exon {span.left_exon}-{span.right_exon} junction "
                    f"({span.bases_left} + {span.bases_right} nt)"
                )
    if check.different_exons:
        up = "-".join(e.name for e in check.forward.exons)
        down = "-".join(e.name for e in check.reverse.exons)
        where = f"primers in different exons ({up} and {down})"
        if check.protection is Protection.INTRON:
            return Placement.EXONS, where
        if check.protection is Protection.NONE:
            return Placement.SHORT_INTRON, (
                f"{where}, but genomic DNA gives a {check.gdna_product_bp} bp product: not "
                "protected"
            )
        return Placement.EXONS_UNKNOWN, f"{where}; intron size unknown"
    return Placement.ONE_EXON, "the product lies within one exon"


def _genome_screen_warns(report: PairReport) -> bool:
    """A warning from an organism genome's screen (genomic DNA's products)."""
    return any(f.code is Check.GDNA and f.severity is Severity.WARN
               and f.message.startswith("genomic DNA gives") for f in report.findings)  # fmt: skip


def _blocking(report: PairReport) -> list[str]:
    """Why a checked candidate is not proposed: its warn/fail finding codes (or verdict).

    The genome screen's warnings do not block (`_GENOMIC_PRODUCT_PENALTY` ranks them down).
    """
    codes = [f.code.value for f in report.findings if f.severity is not Severity.INFO
             and not (f.code is Check.GDNA and f.message.startswith("genomic DNA gives")
                      and f.severity is Severity.WARN)]  # fmt: skip
    if codes:
        return sorted(set(codes))
    if report.verdict is Verdict.FAIL or (
        report.verdict is not Verdict.PASS and not _genome_screen_warns(report)
    ):
        return [f"verdict {report.verdict.value}"]
    return []


@dataclass(frozen=True, slots=True, kw_only=True)
class _Checker:
    """Checks candidates as `assay validate` does."""

    gene: str
    accession: str
    conditions: ReactionConditions
    limits: Thresholds
    records: RecordSource | None
    off_targets: OffTargetSearch | None
    anneal_temp_c: float

    def _pair(self, forward: str, reverse: str) -> PrimerPair:
        return PrimerPair(gene=self.gene, forward=Primer(sequence=forward),
                          reverse=Primer(sequence=reverse), accession=self.accession,
                          anneal_temp_c=self.anneal_temp_c)  # fmt: skip

    def check_many(self, primers: Sequence[tuple[str, str]]) -> list[PairReport]:
        """Many new pairs (forward, reverse) on the record, checked in one batch."""
        return self.check_pairs([self._pair(f, r) for f, r in primers])

    def check_pairs(self, pairs: Sequence[PrimerPair]) -> list[PairReport]:
        """The pairs checked as validate checks, with one off-target search for all of them."""
        reports = [validate_pair(p, self.conditions, self.limits, self.records) for p in pairs]
        if self.off_targets is not None:
            reports = search_off_targets_many(reports, self.off_targets)
        return reports


BATCHES = 3  # batches of MAX_CHECKED checked at most per step while proposals are too few


def _probe_of(candidate: Candidate, record: Transcript, conditions: ReactionConditions,
              limits: Thresholds) -> Probe | None:  # fmt: skip
    """The candidate's probe, checked (None: primer3 gave none, or no strand fits the rules)."""
    from assay.primers.probe import check_probe

    if not candidate.probe:
        return None
    return check_probe(
        candidate.probe, candidate.probe_start, forward=candidate.forward,
        reverse=candidate.reverse, product=(candidate.start, candidate.end),
        record=record.sequence, conditions=conditions, limits=limits,
    )  # fmt: skip


PER_SITE = 3  # candidates checked per primer site (within the spacing): a fallback if one fails


def _spread(candidates: Sequence[Candidate], spacing_nt: int, most: int) -> list[Candidate]:
    """The best candidates to check, at most `PER_SITE` per site, so the proposals can differ.

    primer3's best pairs are often one-base shifts of one pair; checking 40 of those would leave
    nothing else to propose.
    """
    picked: list[Candidate] = []
    for candidate in candidates:
        near = sum(abs(candidate.start - c.start) <= spacing_nt
                   or abs(candidate.end - c.end) <= spacing_nt for c in picked)  # fmt: skip
        if near < PER_SITE:
            picked.append(candidate)
        if len(picked) == most:
            break
    return picked


def _rank(
    checked: Sequence[tuple[Candidate, PairReport, Placement, str]], want: int,
    prefer_placement: bool = True, spacing_nt: int = 5, cds: tuple[int, int] | None = None,
    probes: dict[tuple[str, str], Probe] | None = None,
) -> tuple[DesignedPair, ...]:  # fmt: skip
    """The best `want` passing candidates by score (primer3 penalty, placement, variants).

    With `prefer_placement` off (``--junction any``) placement does not count; a product outside
    a known CDS costs 0.5 (default region). A candidate whose forward or reverse site lies within
    `spacing_nt` of one already proposed is passed over: proposals are alternatives, not
    one-base shifts of one pair.
    """
    scored = []
    for candidate, report, placement, text in checked:
        check = report.reference_check
        missed = sum(t.product_bp is None for t in check.transcripts) if check else 0
        placed = _PLACEMENT_PENALTY[placement] if prefer_placement else 0.0
        outside = cds is not None and (candidate.end < cds[0] or candidate.start > cds[1])
        score = (candidate.penalty + placed + missed * _VARIANT_MISSED_PENALTY
                 + (_OUTSIDE_CDS_PENALTY if outside else 0.0)
                 + (_GENOMIC_PRODUCT_PENALTY if _genome_screen_warns(report) else 0.0))  # fmt: skip
        scored.append((score, candidate, report, placement, text))
    scored.sort(key=lambda item: (item[0], item[1].start))
    chosen: list[tuple[float, Candidate, PairReport, Placement, str]] = []
    for item in scored:
        candidate = item[1]
        if any(abs(candidate.start - c.start) <= spacing_nt or abs(candidate.end - c.end)
               <= spacing_nt for _, c, _, _, _ in chosen):  # fmt: skip
            continue
        chosen.append(item)
        if len(chosen) == want:
            break
    return tuple(
        DesignedPair(
            rank=i,
            report=report,
            penalty=candidate.penalty,
            placement=placement,
            placement_text=text,
            score=round(score, 3),
            probe=(probes or {}).get((candidate.forward, candidate.reverse)),
        )
        for i, (score, candidate, report, placement, text) in enumerate(chosen, start=1)
    )


def design_pairs(
    record: Transcript,
    *,
    gene: str | None = None,
    settings: DesignSettings | None = None,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    records: RecordSource | None = None,
    off_targets: OffTargetSearch | None = None,
    want: int = 5,
) -> Design:
    """Design up to `want` qPCR pairs on `record`, each checked as `assay validate` checks.

    Args:
        record: The transcript (its exon map, or one found on a genomic record in `records`,
            places junction primers).
        gene: Gene name for the pairs (default: the accession).
        settings: The preset (default: `DesignSettings()`).
        conditions: Reaction conditions for Tm and structures (default: Primer3's).
        thresholds: The limits validate applies (default: `Thresholds()`).
        records: Where validate finds the record, its variants and genomic records; None checks
            the primers alone (then no placement can be said).
        off_targets: Databases to screen every candidate against.
        want: Most pairs proposed.

    Returns:
        The design, with the reasons when it proposes nothing.
    """
    settings = settings or DesignSettings()
    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    if want < 1:
        raise DesignError(f"the number of pairs asked for must be at least 1, not {want}")
    genomic = records.genomic_records() if records is not None else []
    mapped, _ = with_exons_from_genome(record, genomic)
    checker = _Checker(
        gene=gene or gene_symbol(record.description) or str(record.accession),
        accession=str(record.accession),
        conditions=conditions,
        limits=limits,
        records=records,
        off_targets=off_targets,
        anneal_temp_c=settings.anneal_temp_c,
    )
    notes = list(_notes(mapped, records, off_targets))
    if records is not None:
        lookup = records.variants_of(mapped)
        if not lookup.complete:
            notes.append(
                f"transcript variants not fully checked: {lookup.note}"
                + (f"; {lookup.fallback}" if lookup.fallback else "")
            )
    single_exon = bool(mapped.tiles) and len(mapped.exons) == 1
    if single_exon:
        notes.append(
            f"{checker.gene} has a single exon on {record.accession}: no pair can be protected "
            "against genomic DNA; treat RNA with DNase and run no-RT controls"
            + ("; --junction required cannot apply" if settings.junction == "required" else "")
        )
    # What a pair may be proposed with: a single exon or --junction any accept gDNA exposure.
    exposure_ok = single_exon or settings.junction == "any"
    steps: list[tuple[str, Callable[[DesignSettings], DesignSettings]]] = [
        ("", _as_given),
        *RELAXATIONS,
    ]
    relaxed: list[str] = []
    explain: list[str] = []
    seen: dict[tuple[str, str], PairReport] = {}
    rejected: Counter[str] = Counter()
    probes: dict[tuple[str, str], Probe] = {}
    current = settings
    for label, relax in steps:
        current = relax(current)
        if label:
            relaxed.append(label)
        args = current.primer3_args(conditions, limits)
        proposed: dict[tuple[str, str], Candidate] = {}
        runs = _runs(mapped, want, current.junction, current.region, current.product_max_bp)
        for asked, extra, number in runs:
            found, why = run_primer3(mapped.sequence, args, extra, asked, number)
            explain.append(f"{label or 'preset'}, {why}")
            for candidate in found:
                proposed.setdefault((candidate.forward, candidate.reverse), candidate)
        fresh = sorted((c for k, c in proposed.items() if k not in seen), key=lambda c: c.penalty)
        checked: list[tuple[Candidate, PairReport, Placement, str]] = []
        pool = _spread(fresh, current.spacing_nt, MAX_CHECKED * BATCHES)
        ranked: tuple[DesignedPair, ...] = ()
        for first in range(0, len(pool), MAX_CHECKED):  # more only while proposals are short
            batch = pool[first : first + MAX_CHECKED]
            reports = checker.check_many([(c.forward, c.reverse) for c in batch])
            for candidate, report in zip(batch, reports, strict=True):
                seen[(candidate.forward, candidate.reverse)] = report
                placement, text = _placement(report, mapped, current.junction_5p_nt,
                                             current.junction_3p_nt)  # fmt: skip
                blocking = _blocking(report)
                if exposure_ok:
                    blocking = [b for b in blocking if b != Check.GDNA.value]
                elif placement is Placement.ONE_EXON:
                    blocking.append("product within one exon")
                if (current.junction == "required" and not single_exon and mapped.tiles
                        and placement is not Placement.JUNCTION):  # fmt: skip
                    blocking.append("no junction primer (--junction required)")
                if current.probe and not blocking:
                    probe = _probe_of(candidate, mapped, conditions, limits)
                    if probe is None or not probe.usable:
                        blocking.append("probe rules")
                    else:
                        probes[(candidate.forward, candidate.reverse)] = probe
                rejected.update(blocking)
                if not blocking:
                    checked.append((candidate, report, placement, text))
            ranked = _rank(checked, want, prefer_placement=current.junction != "any",
                           spacing_nt=current.spacing_nt,
                           cds=mapped.cds if current.region == "default" else None,
                           probes=probes)  # fmt: skip
            if len(ranked) >= want:
                break
        if ranked:
            if len(ranked) < want:
                notes.append(
                    f"{len(ranked)} of the {want} pairs asked for: no other candidate passed the "
                    f"checks with both primer sites more than {current.spacing_nt} nt from these "
                    "(--spacing-nt to allow closer alternatives)"
                )
            return Design(
                target=str(record.accession),
                gene=checker.gene,
                settings=current,
                pairs=ranked,
                relaxed=tuple(relaxed),
                explain=tuple(explain),
                candidates=len(seen),
                rejected=tuple(rejected.most_common()),
                notes=tuple(notes),
            )
    return Design(
        target=str(record.accession),
        gene=checker.gene,
        settings=current,
        pairs=(),
        relaxed=tuple(relaxed),
        explain=tuple(explain),
        candidates=len(seen),
        rejected=tuple(rejected.most_common()),
        notes=tuple(notes),
    )


def _as_given(settings: DesignSettings) -> DesignSettings:
    return settings


def _notes(
    record: Transcript, records: RecordSource | None, off_targets: OffTargetSearch | None
) -> tuple[str, ...]:
    notes = []
    if not record.tiles:
        why = record.exon_note or "the record has no exon features and no genomic record holds it"
        notes.append(
            f"exon map of {record.accession} unknown ({why}): pairs cannot be placed across "
            "junctions; run no-RT controls"
        )
    if records is None:
        notes.append("no record source: binding, product and variants not checked")
    if off_targets is None:
        notes.append(
            "not screened for off-target products: no organism database installed "
            "for this record (assay db add) and no --db given"
        )
    return tuple(notes)


# Findings that call for a replacement: the pair does not bind, has a typo, makes no product or
# the wrong one, or makes off-target products.
REDESIGN_CODES = frozenset({Check.BINDING, Check.TYPO, Check.PRODUCT, Check.OFF_TARGET})


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A replacement proposed for a pair, with its own validation.

    Attributes:
        kind: "corrected primer", "new partner" or "new pair" (in the order they are tried).
        text: What was changed, in words.
        report: The proposed pair checked as validate checks.
    """

    kind: str
    text: str
    report: PairReport


def needs_redesign(report: PairReport, *, warn: bool = False) -> bool:
    """True when a pair warns or fails on binding, a typo, its product or off-targets.

    With `warn`, any warning or failure calls for a replacement (``--redesign warn``).
    """
    return any(
        (warn or f.code in REDESIGN_CODES) and f.severity is not Severity.INFO
        for f in report.findings
    )


def _corrected(report: PairReport, checker: _Checker) -> list[Proposal]:
    check = report.reference_check
    if check is None or not (check.forward.typo or check.reverse.typo):
        return []
    pair = report.pair
    forward = check.forward.typo.suggested if check.forward.typo else pair.forward.sequence
    reverse = check.reverse.typo.suggested if check.reverse.typo else pair.reverse.sequence
    changed = [
        f"{side} primer {placed.typo.suggested} ({placed.typo.kind.value} at base "
        f"{placed.typo.position} corrected to match {check.accession})"
        for side, placed in (("forward", check.forward), ("reverse", check.reverse))
        if placed.typo is not None
    ]
    fixed = replace(pair, forward=Primer(sequence=forward), reverse=Primer(sequence=reverse))
    return [
        Proposal(
            kind="corrected primer", text="; ".join(changed), report=checker.check_pairs([fixed])[0]
        )
    ]


def _new_partner(
    report: PairReport, record: Transcript, checker: _Checker, args: dict[str, Any]
) -> list[Proposal]:
    """A new primer for the side that fails, beside the sound one (exact on the record)."""
    check = report.reference_check
    if check is None:
        return []
    sides = (
        ("forward", check.forward, report.pair.forward.sequence, "SEQUENCE_PRIMER"),
        ("reverse", check.reverse, report.pair.reverse.sequence, "SEQUENCE_PRIMER_REVCOMP"),
    )
    sound = [
        (name, seq, key)
        for name, placed, seq, key in sides
        if placed.primes and placed.site is not None and not placed.site.mismatches
    ]
    if len(sound) != 1:  # both sound: the fault is the pair's, not one primer's
        return []
    name, sequence, key = sound[0]
    other = "reverse" if name == "forward" else "forward"
    found, _ = run_primer3(
        record.sequence,
        {**args, "PRIMER_PICK_ANYWAY": 1},
        {key: sequence},
        f"a {other} primer for the {name} primer",
        10,
    )
    ordered = sorted(found, key=lambda c: c.penalty)
    reports = checker.check_many([(c.forward, c.reverse) for c in ordered])
    for candidate, checked in zip(ordered, reports, strict=True):
        if not _blocking(checked):
            new = candidate.reverse if name == "forward" else candidate.forward
            return [
                Proposal(
                    kind="new partner",
                    text=f"new {other} primer {new} for the sound {name} primer",
                    report=checked,
                )
            ]
    return []


def redesign(
    report: PairReport,
    *,
    settings: DesignSettings | None = None,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    records: RecordSource | None = None,
    off_targets: OffTargetSearch | None = None,
    warn: bool = False,
) -> tuple[Proposal, ...]:
    """Replacements for a pair that fails or warns on binding, typo, product or specificity.

    With `warn`, also for a pair with any other warning; replacements are held to the design
    preset (`DesignSettings`) and proposed only when validate passes them.

    Tried in order, each validated: the pair with its typing error(s) corrected; a new partner
    for the primer that binds exactly; a new pair designed on the record (`design_pairs`).
    Nothing is proposed for a pair whose record could not be had (nothing to design on).
    """
    record = report.reference
    if record is None or not needs_redesign(report, warn=warn):
        return ()
    settings = settings or DesignSettings()
    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    anneal = report.pair.anneal_temp_c or settings.anneal_temp_c
    checker = _Checker(
        gene=report.pair.gene,
        accession=str(record.accession),
        conditions=conditions,
        limits=limits,
        records=records,
        off_targets=off_targets,
        anneal_temp_c=anneal,
    )
    proposals = _corrected(report, checker)
    mapped, _ = with_exons_from_genome(record, records.genomic_records() if records else [])
    proposals += _new_partner(report, mapped, checker, settings.primer3_args(conditions, limits))
    new = design_pairs(
        record,
        gene=report.pair.gene,
        settings=replace(settings, anneal_temp_c=anneal),
        conditions=conditions,
        thresholds=limits,
        records=records,
        off_targets=off_targets,
        want=1,
    )
    proposals += [
        Proposal(kind="new pair", text=f"new pair ({item.placement_text})", report=item.report)
        for item in new.pairs
    ]
    return tuple(proposals)
