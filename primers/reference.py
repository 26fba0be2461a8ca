"""A primer pair checked against the record its table cites: sites, typos, product, exons, variants.

Pure: it takes the pair, the record (a `Transcript`), and optionally genomic extracts and other
transcripts of the gene, and returns a `ReferenceCheck` with findings in plain words. Fetching and
caching the records happens elsewhere (`store`).

What decides the verdict (issue "Primer binding on the cited RefSeq transcript"):
* ``fail``: the primers do not make the claimed product from the cited record (no product, or
  another size), or a primer has no site that can prime;
* ``warn``: a weakness: a mismatch near a 3' end, no protection against genomic DNA, a transcript
  variant not amplified, primers swapped in the table, a likely typing error;
* otherwise the pair passes these checks.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assay._compat import StrEnum
from assay.primers.accession import Accession
from assay.primers.binding import (
    BindingSite,
    PrimingRule,
    Product,
    best_product,
    encode,
    find_sites,
    products,
)
from assay.primers.conditions import ReactionConditions
from assay.primers.model import Check, Finding, PrimerPair, Severity, Subject
from assay.primers.records import Exon, Transcript
from assay.primers.sequence import gc_pct, reverse_complement
from assay.primers.splice import SplicedAlignment, align_transcript
from assay.primers.thermo import product_tm_c
from assay.primers.typos import Typo, find_typo

MAX_PRODUCT_BP = 4000  # Primer-BLAST's default maximum product size
MAX_GDNA_PRODUCT_BP = 20000
# A primer "spans" an exon-exon junction only with at least this many bases on each side of it
# (Primer3Plus's and Primer-BLAST's PRIMER_MIN_5/3_PRIME_OVERLAP_OF_JUNCTION defaults): with
# fewer on its 5' side, its 3' part alone primes on genomic DNA.
JUNCTION_5P_NT = 7
JUNCTION_3P_NT = 4
# Primers in different exons protect against genomic DNA only across an intron at least this long
# (Primer-BLAST's intron-inclusion default, 1,000 bp): a shorter one gives a genomic product that
# amplifies with qPCR's short extension times.
MIN_PROTECTIVE_INTRON_BP = 1000


class Protection(StrEnum):
    """What keeps genomic DNA from giving the product."""

    JUNCTION = "junction"  # a primer spans an exon-exon junction (7 + 4 nt or more)
    INTRON = "intron"  # the genomic product is >= 1 kb longer, or there is none
    NONE = "none"  # genomic DNA gives the product, or one barely longer
    UNKNOWN = "unknown"  # the exon map or the intron sizes are not known here


def spans_junction(
    span: JunctionSpan, *, reverse_primer: bool, five_nt: int = JUNCTION_5P_NT,
    three_nt: int = JUNCTION_3P_NT,
) -> bool:  # fmt: skip
    """A junction primer: >= 7 nt on its 5' side and >= 4 nt on its 3' side of the junction.

    A forward primer's 5' side is the left (upstream) exon; a reverse primer's is the right one.

    >>> span = JunctionSpan(left_exon="2", right_exon="3", bases_left=5, bases_right=18)
    >>> spans_junction(span, reverse_primer=False), spans_junction(span, reverse_primer=True)
    (False, True)
    """
    five, three = ((span.bases_right, span.bases_left) if reverse_primer
                   else (span.bases_left, span.bases_right))  # fmt: skip
    return five >= five_nt and three >= three_nt


_MEMBERSHIP_KMER = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class GenomicRecord:
    """A stretch of genome (e.g. an NCBI extract ``NC_000012.11:6643683-6647537``)."""

    name: str
    sequence: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JunctionSpan:
    """A primer lying across an exon-exon junction (exons by the names reports use)."""

    left_exon: str
    right_exon: str
    bases_left: int
    bases_right: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimerOnRecord:
    """Where one primer sits on the record.

    Attributes:
        site: The site used for the product, else the best site found; None when there is none.
        primes: Whether that site can prime (see `PrimingRule`).
        exons: The exons the site overlaps (empty when the exon map is unknown).
        junctions: Exon-exon junctions the site spans.
        typo: A one-edit typing error explaining a missing site, with the corrected sequence.
    """

    site: BindingSite | None
    primes: bool
    exons: tuple[Exon, ...] = ()
    junctions: tuple[JunctionSpan, ...] = ()
    typo: Typo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptProduct:
    """The product a pair makes on one transcript of the gene (None: no product)."""

    accession: str
    product_bp: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceCheck:
    """Everything found of a pair on its record."""

    accession: Accession
    forward: PrimerOnRecord
    reverse: PrimerOnRecord
    product: Product | None
    product_sequence: str | None
    product_tm_c: float | None
    swapped: bool
    corrected_product_bp: int | None
    intron_spanning: bool | None  # the product crosses an exon-exon junction (MIQE)
    gdna_product_bp: int | None
    gdna_record: str | None
    transcripts: tuple[TranscriptProduct, ...]
    findings: tuple[Finding, ...]
    protection: Protection = Protection.UNKNOWN
    different_exons: bool | None = None  # the primers sit in different exons

    @property
    def product_gc_pct(self) -> float | None:
        """G+C content of the product, percent."""
        return None if self.product_sequence is None else gc_pct(self.product_sequence)


def _exons_of(
    site: BindingSite, record: Transcript
) -> tuple[tuple[Exon, ...], tuple[JunctionSpan, ...]]:
    if not record.tiles:
        return (), ()
    inside = [e for e in record.exons if e.start <= site.end and e.end >= site.start]
    junctions = tuple(
        JunctionSpan(
            left_exon=a.name,
            right_exon=b.name,
            bases_left=a.end - site.start + 1,
            bases_right=site.end - b.start + 1,
        )
        for a, b in itertools.pairwise(inside)
    )
    return tuple(inside), junctions


def _best_site(sites: Sequence[BindingSite], rule: PrimingRule) -> BindingSite | None:
    if not sites:
        return None
    return min(sites, key=lambda s: (not rule.primes(s), s.n_mismatches, s.start))


@dataclass(frozen=True, slots=True, kw_only=True)
class PairProducts:
    """What a pair can make on one sequence.

    Attributes:
        intended: Forward-reverse products (the forward primer upstream).
        swapped: Products with the roles swapped (the table's forward primer downstream).
        forward_sites: Every site of the forward primer, near misses included.
        reverse_sites: Every site of the reverse primer, near misses included.
    """

    intended: list[Product]
    swapped: list[Product]
    forward_sites: list[BindingSite]
    reverse_sites: list[BindingSite]


def pair_products(
    forward: str, reverse: str, sequence: str, rule: PrimingRule, max_bp: int,
    *, near_misses: bool = True,
) -> PairProducts:  # fmt: skip
    """The pair's sites on `sequence` (near misses included, unless not asked) and products.

    Without near misses only sites that can prime are looked for: on a genomic extract of
    100 kb that is a few seeds a primer, not tens of thousands.
    """
    codes = encode(sequence)
    search = rule.max_mismatches + (2 if near_misses else 0)  # near misses are reported
    f_sites = find_sites(forward, sequence, search, encoded_target=codes)
    r_sites = find_sites(reverse, sequence, search, encoded_target=codes)
    f_priming = [s for s in f_sites if rule.primes(s)]
    r_priming = [s for s in r_sites if rule.primes(s)]
    return PairProducts(
        intended=products(f_priming, r_priming, max_bp),
        swapped=products(r_priming, f_priming, max_bp),
        forward_sites=f_sites,
        reverse_sites=r_sites,
    )


def belongs_to(record: Transcript, genomic: GenomicRecord) -> bool:
    """True when the transcript comes from this genomic stretch (two of three probes found)."""
    return _belongs(record.sequence, genomic.sequence)


@functools.lru_cache(maxsize=256)
def _belongs(seq: str, genomic_sequence: str) -> bool:
    """`belongs_to` on the sequences, remembered: every candidate pair of a design asks it."""
    if len(seq) < 4 * _MEMBERSHIP_KMER:
        return False
    probes = [
        seq[int(len(seq) * f) : int(len(seq) * f) + _MEMBERSHIP_KMER] for f in (0.25, 0.5, 0.75)
    ]
    minus = reverse_complement(genomic_sequence)
    found = sum(p in genomic_sequence or p in minus for p in probes)
    return found >= 2


def with_exons_from_genome(
    record: Transcript, genomic: Sequence[GenomicRecord]
) -> tuple[Transcript, GenomicRecord | None]:
    """The record with the exon map found by aligning it to the genomic extract it comes from.

    Only for a record without an exon map (a FASTA record); returns it unchanged, with None, when
    it has one, when no extract holds it, or when it does not align exactly (see `splice`).
    """
    if record.tiles:
        return record, None
    for extract in genomic:
        if belongs_to(record, extract):
            alignment = _alignment(record.sequence, extract.sequence)
            if alignment is not None and alignment.canonical:
                return replace(record, exons=alignment.exons), extract
    return record, None


@functools.lru_cache(maxsize=64)
def _alignment(sequence: str, genomic_sequence: str) -> SplicedAlignment | None:
    """The transcript aligned to the extract (`splice`), remembered per pair of sequences."""
    return align_transcript(sequence, genomic_sequence.upper())


def _site_text(site: BindingSite) -> str:
    if not site.mismatches:
        return f"{site.start}-{site.end} ({site.strand.value}), no mismatch"
    where = ", ".join(str(m) for m in site.mismatches)
    return (
        f"{site.start}-{site.end} ({site.strand.value}) with {site.n_mismatches} mismatch(es) at "
        f"{where} from the 3' end"
    )


def _on_record(
    primer: str, sites: list[BindingSite], used: BindingSite | None, record: Transcript,
    rule: PrimingRule,
) -> PrimerOnRecord:  # fmt: skip
    """Where a primer sits: the site used for the product, else its best site, and a typo."""
    site = used or _best_site(sites, rule)
    primes = site is not None and rule.primes(site)
    exons, junctions = _exons_of(site, record) if site else ((), ())
    typo = None if primes else find_typo(primer, record.sequence)
    return PrimerOnRecord(site=site, primes=primes, exons=exons, junctions=junctions, typo=typo)


def _finding(
    code: Check, severity: Severity, message: str, subject: Subject = Subject.PAIR
) -> Finding:
    return Finding(code=code, severity=severity, message=message, subject=subject)


def _binding_findings(
    subject: Subject, placed: PrimerOnRecord, acc: Accession, rule: PrimingRule
) -> list[Finding]:
    """What is found of one primer's site: none, none that primes, 3' mismatches, junctions."""
    found: list[Finding] = []
    site = placed.site
    exon_text = f", exon {'-'.join(e.name for e in placed.exons)}" if placed.exons else ""
    if site is None:
        found.append(_finding(Check.BINDING, Severity.FAIL,
                              f"no site on {acc} within {rule.max_mismatches + 2} mismatches",
                              subject))  # fmt: skip
    elif not placed.primes:
        found.append(_finding(Check.BINDING, Severity.FAIL,
                              f"no site on {acc} that can prime: the nearest is {_site_text(site)}",
                              subject))  # fmt: skip
    elif site.three_prime_mismatches:
        found.append(_finding(Check.BINDING, Severity.WARN,
                              f"binds {_site_text(site)}{exon_text}: a mismatch near the 3' end "
                              "lowers efficiency", subject))  # fmt: skip
    else:
        found.append(
            _finding(
                Check.BINDING,
                Severity.INFO,
                f"binds {acc} at {_site_text(site)}{exon_text}",
                subject,
            )
        )
    found.extend(
        _finding(Check.EXONS, Severity.INFO,
                 f"spans the exon {j.left_exon}-{j.right_exon} junction ({j.bases_left} + "
                 f"{j.bases_right} bases)", subject)
        for j in placed.junctions
    )  # fmt: skip
    if placed.typo is not None:
        typo = placed.typo
        found.append(_finding(
            Check.TYPO, Severity.WARN,
            f"looks like a typing error ({typo.kind.value} at base {typo.position}): "
            f"{typo.suggested} matches {acc} {typo.start}-{typo.end} ({typo.strand.value}) "
            f"exactly\n{typo.alignment}", subject,
        ))  # fmt: skip
    return found


def _corrected_product_bp(
    pair: PrimerPair, forward: PrimerOnRecord, reverse: PrimerOnRecord, sequence: str,
    rule: PrimingRule,
) -> int | None:  # fmt: skip
    """The product size with the typing errors corrected, when a typo was found."""
    if not (forward.typo or reverse.typo):
        return None
    fixed_fwd = forward.typo.suggested if forward.typo else pair.forward.sequence
    fixed_rev = reverse.typo.suggested if reverse.typo else pair.reverse.sequence
    fixed = pair_products(fixed_fwd, fixed_rev, sequence, rule, MAX_PRODUCT_BP, near_misses=False)
    best = best_product(fixed.intended, pair.product_bp)
    return best.size_bp if best else None


def _product_findings(
    pair: PrimerPair, product: Product | None, swapped: bool, acc: Accession,
    product_sequence: str | None, tm_c: float | None, corrected_bp: int | None,
) -> list[Finding]:  # fmt: skip
    """The product against the claim: none, another size, as claimed; swapped roles."""
    if product is None:
        fix = (
            f"; with the corrected primer(s) it would be {corrected_bp} bp" if corrected_bp else ""
        )
        return [
            _finding(Check.PRODUCT, Severity.FAIL, f"the primers make no product from {acc}{fix}")
        ]
    found = []
    where = f"{product.start}-{product.end}"
    claimed = pair.product_bp
    if claimed is not None and product.size_bp != claimed:
        found.append(_finding(
            Check.PRODUCT, Severity.FAIL,
            f"the product from {acc} is {product.size_bp} bp ({where}), not the {claimed} bp "
            "the table claims",
        ))  # fmt: skip
    else:
        as_claimed = " as claimed" if claimed is not None else ""
        found.append(_finding(
            Check.PRODUCT, Severity.INFO,
            f"product {product.size_bp} bp{as_claimed} ({where}), GC "
            f"{gc_pct(product_sequence or ''):.0f} %, Tm {tm_c or 0:.1f} C (melt-curve guide)",
        ))  # fmt: skip
    if swapped:
        found.append(_finding(
            Check.PRODUCT, Severity.WARN,
            "the product forms only with the primers' roles swapped: the table's forward "
            "primer is the reverse one",
        ))  # fmt: skip
    return found


def _gdna(
    pair: PrimerPair, record: Transcript, genomic: Sequence[GenomicRecord], rule: PrimingRule
) -> tuple[int | None, str | None]:
    """The product from the genomic extract the record comes from: (size or None, extract)."""
    for extract in genomic:
        if belongs_to(record, extract):
            found = pair_products(pair.forward.sequence, pair.reverse.sequence,
                                  extract.sequence, rule, MAX_GDNA_PRODUCT_BP,
                                  near_misses=False)  # fmt: skip
            gdna = best_product(found.intended + found.swapped, None)
            return (gdna.size_bp if gdna else None), extract.name
    return None, None


def gdna_protection(
    *, junction: str, different_exons: bool | None, product_bp: int, gdna_bp: int | None,
    gdna_name: str | None,
) -> tuple[Protection, str]:  # fmt: skip
    """Whether genomic DNA can give the product, and in words why (one rule, README).

    `junction` names the junction a primer spans by `spans_junction` ("" for none).

    >>> gdna_protection(junction="", different_exons=True, product_bp=120, gdna_bp=212,
    ...                 gdna_name="NC_1")[0]
    <Protection.NONE: 'none'>
    >>> gdna_protection(junction="", different_exons=True, product_bp=120, gdna_bp=None,
    ...                 gdna_name=None)[0]
    <Protection.UNKNOWN: 'unknown'>
    """
    if junction:
        return Protection.JUNCTION, f"a primer spans an exon-exon junction: exon {junction}"
    if gdna_name is not None:
        if gdna_bp is None:
            return Protection.INTRON, f"no product from genomic DNA ({gdna_name})"
        intron = gdna_bp - product_bp
        if intron >= MIN_PROTECTIVE_INTRON_BP:
            return Protection.INTRON, (
                f"an intron of {intron} bp between the primers (genomic product {gdna_bp} bp "
                f"from {gdna_name}, at least {MIN_PROTECTIVE_INTRON_BP} bp longer)"
            )
        if intron <= 0:
            return Protection.NONE, f"genomic DNA ({gdna_name}) gives the same {gdna_bp} bp product"
        return Protection.NONE, (
            f"genomic product {gdna_bp} bp from {gdna_name}: the intron between the primers is "
            f"only {intron} bp (under {MIN_PROTECTIVE_INTRON_BP} bp, it amplifies too)"
        )
    if different_exons:
        return Protection.UNKNOWN, (
            "the primers sit in different exons, but the intron size is unknown (no genomic record)"
        )
    if different_exons is False:
        return Protection.NONE, "the product lies within one exon"
    return Protection.UNKNOWN, "the exon structure is not known here"


def _gdna_finding(protection: Protection, reason: str, record: Transcript) -> Finding:
    """The gDNA finding: protected (info), not protected (warn), unknown (info, said so)."""
    if protection in (Protection.JUNCTION, Protection.INTRON):
        return _finding(Check.GDNA, Severity.INFO, f"protected against genomic DNA: {reason}")
    if protection is Protection.NONE:
        return _finding(
            Check.GDNA, Severity.WARN,
            f"no protection against genomic DNA: {reason}; treat RNA with DNase and run no-RT "
            "controls",
        )  # fmt: skip
    why = "" if record.tiles else f" ({record.exon_note or 'no exon features, no genomic record'})"
    return _finding(
        Check.GDNA, Severity.INFO,
        f"protection against genomic DNA unknown: {reason}{why}; run no-RT controls",
    )  # fmt: skip


def _variant_products(
    pair: PrimerPair, record: Transcript, variants: Sequence[Transcript], rule: PrimingRule,
    product: Product | None,
) -> tuple[list[TranscriptProduct], list[Finding]]:  # fmt: skip
    """The product on each other transcript of the gene, and what that means for the assay."""
    transcripts = [TranscriptProduct(accession=str(record.accession),
                                     product_bp=product.size_bp if product else None)]  # fmt: skip
    found: list[Finding] = []
    for variant in variants:
        if variant.accession == record.accession:
            continue
        made = best_product(
            pair_products(pair.forward.sequence, pair.reverse.sequence, variant.sequence, rule,
                          MAX_PRODUCT_BP, near_misses=False).intended,
            pair.product_bp,
        )  # fmt: skip
        transcripts.append(
            TranscriptProduct(
                accession=str(variant.accession), product_bp=made.size_bp if made else None
            )
        )
        if product is None:
            continue
        if made is None:
            found.append(
                _finding(
                    Check.VARIANTS,
                    Severity.WARN,
                    f"does not amplify transcript variant {variant.accession}",
                )
            )
        else:
            found.append(_finding(Check.VARIANTS, Severity.INFO,
                                  f"also amplifies transcript variant {variant.accession} "
                                  f"({made.size_bp} bp)"))  # fmt: skip
    return transcripts, found


def check_reference(
    pair: PrimerPair,
    record: Transcript,
    *,
    conditions: ReactionConditions | None = None,
    genomic: Sequence[GenomicRecord] = (),
    variants: Sequence[Transcript] = (),
    rule: PrimingRule | None = None,
) -> ReferenceCheck:
    """Check a primer pair against its cited record, step by step (each step a function above).

    Args:
        pair: The pair (its `product_bp` is the claim checked).
        record: The cited record.
        conditions: Reaction conditions, for the product's Tm.
        genomic: Genomic extracts; those the record belongs to give the genomic-DNA product.
        variants: Other transcripts of the gene.
        rule: When a site can prime (default: Primer-BLAST's).

    Returns:
        The check, with its findings.
    """
    conditions = conditions or ReactionConditions()
    rule = rule or PrimingRule()
    acc = record.accession
    found = pair_products(pair.forward.sequence, pair.reverse.sequence, record.sequence, rule,
                          MAX_PRODUCT_BP)  # fmt: skip
    product = best_product(found.intended, pair.product_bp)
    swapped = False
    if product is None and found.swapped:
        product, swapped = best_product(found.swapped, pair.product_bp), True
    used_f: BindingSite | None = None
    used_r: BindingSite | None = None
    if product is not None:
        used_f, used_r = (
            (product.downstream, product.upstream) if swapped
            else (product.upstream, product.downstream)
        )  # fmt: skip
    forward = _on_record(pair.forward.sequence, found.forward_sites, used_f, record, rule)
    reverse = _on_record(pair.reverse.sequence, found.reverse_sites, used_r, record, rule)
    findings = [
        *_binding_findings(Subject.FORWARD, forward, acc, rule),
        *_binding_findings(Subject.REVERSE, reverse, acc, rule),
    ]
    corrected_bp = _corrected_product_bp(pair, forward, reverse, record.sequence, rule)
    product_sequence = record.sequence[product.start - 1 : product.end] if product else None
    tm_c = product_tm_c(product_sequence, conditions) if product_sequence else None  # once
    findings += _product_findings(pair, product, swapped, acc, product_sequence, tm_c, corrected_bp)
    intron_spanning: bool | None = None
    different_exons: bool | None = None
    if product is not None and forward.exons and reverse.exons:
        up, down = (reverse, forward) if swapped else (forward, reverse)
        different_exons = max(e.number for e in up.exons) < min(e.number for e in down.exons)
        intron_spanning = min(e.number for e in up.exons) < max(e.number for e in down.exons)
    gdna_bp, gdna_name = _gdna(pair, record, genomic, rule)
    # The primer that reads the plus strand of the record is the upstream one.
    spanning = [
        f"{j.left_exon}-{j.right_exon} ({j.bases_left} + {j.bases_right} nt)"
        for placed, reverse_primer in ((forward, swapped), (reverse, not swapped))
        for j in placed.junctions if spans_junction(j, reverse_primer=reverse_primer)
    ]  # fmt: skip
    protection = Protection.UNKNOWN
    if product is not None:
        protection, reason = gdna_protection(
            junction=spanning[0] if spanning else "", different_exons=different_exons,
            product_bp=product.size_bp, gdna_bp=gdna_bp, gdna_name=gdna_name,
        )  # fmt: skip
        findings.append(_gdna_finding(protection, reason, record))
    transcripts, variant_findings = _variant_products(pair, record, variants, rule, product)
    findings += variant_findings
    return ReferenceCheck(
        accession=acc,
        forward=forward,
        reverse=reverse,
        product=product,
        product_sequence=product_sequence,
        product_tm_c=tm_c,
        swapped=swapped,
        corrected_product_bp=corrected_bp,
        intron_spanning=intron_spanning,
        gdna_product_bp=gdna_bp,
        gdna_record=gdna_name,
        transcripts=tuple(transcripts),
        findings=tuple(findings),
        protection=protection,
        different_exons=different_exons,
    )
