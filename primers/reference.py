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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
from assay.primers.splice import align_transcript
from assay.primers.thermo import product_tm_c
from assay.primers.typos import Typo, find_typo

MAX_PRODUCT_BP = 4000  # Primer-BLAST's default maximum product size
MAX_GDNA_PRODUCT_BP = 20000
JUNCTION_MIN_BASES = 3  # bases needed on each side of a junction for it to block gDNA priming
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
    intron_spanning: bool | None
    gdna_product_bp: int | None
    gdna_record: str | None
    transcripts: tuple[TranscriptProduct, ...]
    findings: tuple[Finding, ...]

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


def pair_products(
    forward: str, reverse: str, sequence: str, rule: PrimingRule, max_bp: int
) -> tuple[list[Product], list[Product], list[BindingSite], list[BindingSite]]:
    """Return (forward-reverse products, swapped products, forward sites, reverse sites)."""
    codes = encode(sequence)
    search = rule.max_mismatches + 2  # report near misses too
    f_sites = find_sites(forward, sequence, search, encoded_target=codes)
    r_sites = find_sites(reverse, sequence, search, encoded_target=codes)
    f_priming = [s for s in f_sites if rule.primes(s)]
    r_priming = [s for s in r_sites if rule.primes(s)]
    return (
        products(f_priming, r_priming, max_bp),
        products(r_priming, f_priming, max_bp),
        f_sites,
        r_sites,
    )


def belongs_to(record: Transcript, genomic: GenomicRecord) -> bool:
    """True when the transcript comes from this genomic stretch (two of three probes found)."""
    seq = record.sequence
    if len(seq) < 4 * _MEMBERSHIP_KMER:
        return False
    probes = [
        seq[int(len(seq) * f) : int(len(seq) * f) + _MEMBERSHIP_KMER] for f in (0.25, 0.5, 0.75)
    ]
    minus = reverse_complement(genomic.sequence)
    found = sum(p in genomic.sequence or p in minus for p in probes)
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
            alignment = align_transcript(record.sequence, extract.sequence.upper())
            if alignment is not None and alignment.canonical:
                return replace(record, exons=alignment.exons), extract
    return record, None


def _site_text(site: BindingSite) -> str:
    if not site.mismatches:
        return f"{site.start}-{site.end} ({site.strand.value}), no mismatch"
    where = ", ".join(str(m) for m in site.mismatches)
    return (
        f"{site.start}-{site.end} ({site.strand.value}) with {site.n_mismatches} mismatch(es) at "
        f"{where} from the 3' end"
    )


def check_reference(
    pair: PrimerPair,
    record: Transcript,
    *,
    conditions: ReactionConditions | None = None,
    genomic: Sequence[GenomicRecord] = (),
    variants: Sequence[Transcript] = (),
    rule: PrimingRule | None = None,
) -> ReferenceCheck:
    """Check a primer pair against its cited record.

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
    fwd, rev = pair.forward.sequence, pair.reverse.sequence
    seq = record.sequence
    acc = record.accession
    findings: list[Finding] = []

    def add(code: Check, severity: Severity, message: str, subject: Subject = Subject.PAIR) -> None:
        findings.append(Finding(code=code, severity=severity, message=message, subject=subject))

    intended, swapped_products, f_sites, r_sites = pair_products(
        fwd, rev, seq, rule, MAX_PRODUCT_BP
    )
    product = best_product(intended, pair.product_bp)
    swapped = False
    if product is None and swapped_products:
        product, swapped = best_product(swapped_products, pair.product_bp), True

    def on_record(
        primer: str, sites: list[BindingSite], used: BindingSite | None
    ) -> PrimerOnRecord:
        site = used or _best_site(sites, rule)
        primes = site is not None and rule.primes(site)
        exons, junctions = _exons_of(site, record) if site else ((), ())
        typo = None if primes else find_typo(primer, seq)
        return PrimerOnRecord(site=site, primes=primes, exons=exons, junctions=junctions, typo=typo)

    used_f: BindingSite | None = None
    used_r: BindingSite | None = None
    if product is not None:
        used_f, used_r = (
            (product.downstream, product.upstream) if swapped
            else (product.upstream, product.downstream)
        )  # fmt: skip
    forward = on_record(fwd, f_sites, used_f)
    reverse = on_record(rev, r_sites, used_r)

    for subject, placed in ((Subject.FORWARD, forward), (Subject.REVERSE, reverse)):
        site = placed.site
        exon_text = f", exon {'-'.join(e.name for e in placed.exons)}" if placed.exons else ""
        if site is None:
            add(
                Check.BINDING,
                Severity.FAIL,
                f"no site on {acc} within {rule.max_mismatches + 2} mismatches",
                subject,
            )
        elif not placed.primes:
            add(
                Check.BINDING,
                Severity.FAIL,
                f"no site on {acc} that can prime: the nearest is {_site_text(site)}",
                subject,
            )
        elif site.three_prime_mismatches:
            add(
                Check.BINDING,
                Severity.WARN,
                f"binds {_site_text(site)}{exon_text}: a mismatch near the 3' end lowers "
                "efficiency",
                subject,
            )
        else:
            add(
                Check.BINDING,
                Severity.INFO,
                f"binds {acc} at {_site_text(site)}{exon_text}",
                subject,
            )
        for junction in placed.junctions:
            add(
                Check.EXONS,
                Severity.INFO,
                f"spans the exon {junction.left_exon}-{junction.right_exon} junction "
                f"({junction.bases_left} + {junction.bases_right} bases)",
                subject,
            )
        if placed.typo is not None:
            typo = placed.typo
            add(
                Check.TYPO,
                Severity.WARN,
                f"looks like a typing error ({typo.kind.value} at base {typo.position}): "
                f"{typo.suggested} matches {acc} {typo.start}-{typo.end} ({typo.strand.value}) "
                f"exactly\n{typo.alignment}",
                subject,
            )

    corrected_bp = None
    if forward.typo or reverse.typo:
        fixed_fwd = forward.typo.suggested if forward.typo else fwd
        fixed_rev = reverse.typo.suggested if reverse.typo else rev
        fixed, _, _, _ = pair_products(fixed_fwd, fixed_rev, seq, rule, MAX_PRODUCT_BP)
        fixed_best = best_product(fixed, pair.product_bp)
        corrected_bp = fixed_best.size_bp if fixed_best else None

    product_sequence = seq[product.start - 1 : product.end] if product else None
    claimed = pair.product_bp
    if product is None:
        fix = (
            f"; with the corrected primer(s) it would be {corrected_bp} bp" if corrected_bp else ""
        )
        add(Check.PRODUCT, Severity.FAIL, f"the primers make no product from {acc}{fix}")
    else:
        where = f"{product.start}-{product.end}"
        tm = product_tm_c(product_sequence or "", conditions)
        if claimed is not None and product.size_bp != claimed:
            add(
                Check.PRODUCT,
                Severity.FAIL,
                f"the product from {acc} is {product.size_bp} bp ({where}), not the "
                f"{claimed} bp the table claims",
            )
        else:
            as_claimed = " as claimed" if claimed is not None else ""
            add(
                Check.PRODUCT,
                Severity.INFO,
                f"product {product.size_bp} bp{as_claimed} ({where}), GC "
                f"{gc_pct(product_sequence or ''):.0f} %, Tm {tm:.1f} C (melt-curve guide)",
                Subject.PAIR,
            )
        if swapped:
            add(
                Check.PRODUCT,
                Severity.WARN,
                "the product forms only with the primers' roles swapped: the table's "
                "forward primer is the reverse one",
            )

    intron_spanning: bool | None = None
    if product is not None and forward.exons and reverse.exons:
        up_exons = forward.exons if not swapped else reverse.exons
        down_exons = reverse.exons if not swapped else forward.exons
        intron_spanning = max(e.number for e in up_exons) < min(e.number for e in down_exons)

    gdna_bp, gdna_name = None, None
    for extract in genomic:
        if not belongs_to(record, extract):
            continue
        gdna_name = extract.name
        fr, rf, _, _ = pair_products(fwd, rev, extract.sequence, rule, MAX_GDNA_PRODUCT_BP)
        gdna = best_product(fr + rf, None)
        gdna_bp = gdna.size_bp if gdna else None
        break

    spans = any(
        j.bases_left >= JUNCTION_MIN_BASES and j.bases_right >= JUNCTION_MIN_BASES
        for j in (*forward.junctions, *reverse.junctions)
    )
    if product is not None:
        gdna_text = ""
        if gdna_name is not None:
            gdna_text = (
                f"; from genomic DNA ({gdna_name}) {gdna_bp} bp" if gdna_bp
                else f"; no product from genomic DNA ({gdna_name})"
            )  # fmt: skip
        protected = (
            spans
            or intron_spanning
            or (gdna_name is not None and (gdna_bp is None or gdna_bp > product.size_bp))
        )
        if protected:
            reason = (
                "a primer spans an exon-exon junction" if spans
                else "the primers sit in different exons" if intron_spanning
                else "genomic DNA gives a longer or no product"
            )  # fmt: skip
            add(Check.GDNA, Severity.INFO, f"protected against genomic DNA: {reason}{gdna_text}")
        elif intron_spanning is False or (gdna_name is not None and gdna_bp == product.size_bp):
            add(
                Check.GDNA,
                Severity.WARN,
                f"no protection against genomic DNA: the product lies within one exon{gdna_text}"
                "; treat RNA with DNase and run no-RT controls",
            )
        else:
            why = record.exon_note or "no exon features, no genomic record"
            add(
                Check.GDNA,
                Severity.INFO,
                f"exon structure of {acc} is not known here ({why}): protection against "
                "genomic DNA not checked",
            )

    transcripts = [
        TranscriptProduct(accession=str(acc), product_bp=product.size_bp if product else None)
    ]
    for variant in variants:
        if variant.accession == acc:
            continue
        fr, _, _, _ = pair_products(fwd, rev, variant.sequence, rule, MAX_PRODUCT_BP)
        made = best_product(fr, pair.product_bp)
        transcripts.append(
            TranscriptProduct(
                accession=str(variant.accession), product_bp=made.size_bp if made else None
            )
        )
        if made is None and product is not None:
            add(
                Check.VARIANTS,
                Severity.WARN,
                f"does not amplify transcript variant {variant.accession}",
            )
        elif made is not None and product is not None:
            add(
                Check.VARIANTS,
                Severity.INFO,
                f"also amplifies transcript variant {variant.accession} ({made.size_bp} bp)",
                Subject.PAIR,
            )

    return ReferenceCheck(
        accession=acc,
        forward=forward,
        reverse=reverse,
        product=product,
        product_sequence=product_sequence,
        product_tm_c=product_tm_c(product_sequence, conditions) if product_sequence else None,
        swapped=swapped,
        corrected_product_bp=corrected_bp,
        intron_spanning=intron_spanning,
        gdna_product_bp=gdna_bp,
        gdna_record=gdna_name,
        transcripts=tuple(transcripts),
        findings=tuple(findings),
    )
