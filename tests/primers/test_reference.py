"""A pair against its record: products, exons, genomic DNA and variants, on real records.

Expected positions and sizes are worked out in each test by plain string search on the records,
and exon bounds come from data/refseq/PROVENANCE.md. Primers for the special cases are cut from the
real record sequence, so nothing here is an invented sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from assay.data import refseq_dir
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache
from assay.primers.model import Check, Finding, Primer, PrimerPair, Severity
from assay.primers.records import Transcript
from assay.primers.reference import GenomicRecord, check_reference
from assay.primers.sequence import reverse_complement as rc

CACHE = RecordCache(Path("/nonexistent"))


def _record(accession: str) -> Transcript:
    record = CACHE.load(parse_accession(accession))
    assert record is not None
    return record


def _genomic(name: str) -> GenomicRecord:
    header, _, body = (refseq_dir() / "genomic" / name).read_text().partition("\n")
    return GenomicRecord(name=header[1:].split()[0], sequence="".join(body.split()))


GAPDH = _record("NM_002046.7")
GAPDH_GENOME = _genomic("GAPDH_NC_000012.11_6643683-6647537.fasta")
PIK3CA = _record("NM_006218.4")
PIK3CA_GENOME = _genomic("PIK3CA_NC_000003.11_178866145-178957881.fasta")


def _pair(forward: str, reverse: str, product_bp: int | None, gene: str = "G") -> PrimerPair:
    return PrimerPair(
        gene=gene, forward=Primer(sequence=forward), reverse=Primer(sequence=reverse),
        product_bp=product_bp,
    )  # fmt: skip


def _codes(findings: Sequence[Finding]) -> list[tuple[Check, Severity]]:
    return [(f.code, f.severity) for f in findings]


def test_gapdh_table1_pair() -> None:
    forward, reverse = "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA"
    check = check_reference(_pair(forward, reverse, 148), GAPDH, genomic=[GAPDH_GENOME])
    # By hand on the transcript: forward at 87, reverse complement ends at 213 + 22 - 1 = 234.
    start = GAPDH.sequence.find(forward) + 1
    end = GAPDH.sequence.find(rc(reverse)) + len(reverse)
    assert check.product is not None
    assert (check.product.start, check.product.end, check.product.size_bp) == (start, end, 148)
    # Exon map (PROVENANCE.md): exon 2 is 54-105, exon 4 is 206-312.
    assert [e.number for e in check.forward.exons] == [2]
    assert [e.number for e in check.reverse.exons] == [4]
    assert check.intron_spanning is True
    # By hand on the genomic extract: the same search, on genomic DNA.
    g = GAPDH_GENOME.sequence
    gdna = g.find(rc(reverse)) + len(reverse) - g.find(forward)
    assert check.gdna_product_bp == gdna == 1870
    assert check.product_sequence == GAPDH.sequence[86:234]
    assert (Check.PRODUCT, Severity.INFO) in _codes(check.findings)
    assert (Check.GDNA, Severity.INFO) in _codes(check.findings)


def test_pik3ca_table1_pair_with_its_variant_and_genome() -> None:
    forward, reverse = "CATGGAGGAGAACCCTTATGTGA", "AGCACGAGGAAGATCAGGAATG"
    variant = _record("XM_006713658.5")
    check = check_reference(
        _pair(forward, reverse, 114), PIK3CA, genomic=[PIK3CA_GENOME, GAPDH_GENOME],
        variants=[variant],
    )  # fmt: skip
    assert check.product is not None
    assert check.product.size_bp == 114
    # The X1 variant: by hand, the same search on its sequence.
    x1 = variant.sequence
    x1_size = x1.find(rc(reverse)) + len(reverse) - x1.find(forward)
    assert [(t.accession, t.product_bp) for t in check.transcripts] == [
        ("NM_006218.4", 114), ("XM_006713658.5", x1_size),
    ]  # fmt: skip
    g = PIK3CA_GENOME.sequence
    assert check.gdna_product_bp == g.find(rc(reverse)) + len(reverse) - g.find(forward) == 5120
    assert check.gdna_record == "NC_000003.11:178866145-178957881"  # not the GAPDH extract


def test_a_primer_across_an_exon_junction_is_protected_from_genomic_dna() -> None:
    seq = GAPDH.sequence
    forward = seq[95:115]  # transcript 96-115: exon 2 ends at 105, exon 3 starts at 106
    reverse = rc(seq[280:300])  # 281-300, inside exon 4 (206-312)
    check = check_reference(_pair(forward, reverse, 205), GAPDH, genomic=[GAPDH_GENOME])
    (junction,) = check.forward.junctions
    assert (junction.left_exon, junction.right_exon) == ("2", "3")
    assert (junction.bases_left, junction.bases_right) == (10, 10)
    assert check.gdna_product_bp is None  # the forward primer does not exist in genomic DNA
    gdna = [f for f in check.findings if f.code is Check.GDNA]
    assert gdna[0].severity is Severity.INFO
    assert "spans an exon-exon junction" in gdna[0].message


def test_a_product_inside_one_exon_has_no_protection_against_genomic_dna() -> None:
    seq = GAPDH.sequence
    forward, reverse = seq[620:640], rc(seq[780:800])  # both inside exon 8 (602-1014)
    check = check_reference(_pair(forward, reverse, 180), GAPDH, genomic=[GAPDH_GENOME])
    assert check.intron_spanning is False
    assert check.gdna_product_bp == 180  # genomic DNA gives the same product
    warnings = [f for f in check.findings if f.code is Check.GDNA]
    assert warnings[0].severity is Severity.WARN
    assert "no protection against genomic DNA" in warnings[0].message


def test_a_wrong_claimed_size_fails() -> None:
    check = check_reference(_pair("TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA", 150), GAPDH)
    failures = [f.message for f in check.findings if f.severity is Severity.FAIL]
    assert failures == [
        "the product from NM_002046.7 is 148 bp (87-234), not the 150 bp the table claims"
    ]


def test_swapped_primers_are_noticed() -> None:
    check = check_reference(_pair("TGGGTGGAATCATATTGGAACA", "TGAAGGTCGGAGTCAACGG", 148), GAPDH)
    assert check.swapped
    assert check.product is not None
    assert check.product.size_bp == 148
    assert (Check.PRODUCT, Severity.WARN) in _codes(check.findings)


def test_the_papers_mtor_pair_fails_and_says_how_to_fix_it() -> None:
    mtor = _record("NM_004958.4")
    check = check_reference(_pair("CAACAAGCGATCCCGAACGA", "CCAAGTCCACACCGTCCAA", 78), mtor)
    assert check.product is None
    assert check.reverse.typo is not None
    assert check.corrected_product_bp == 78
    assert (Check.BINDING, Severity.FAIL) in _codes(check.findings)
    assert (Check.TYPO, Severity.WARN) in _codes(check.findings)
    assert (Check.PRODUCT, Severity.FAIL) in _codes(check.findings)


@pytest.mark.parametrize("planted", [1, 2])
def test_a_three_prime_mismatch_warns_or_fails(planted: int) -> None:
    forward = "TGAAGGTCGGAGTCAACGG"
    index = len(forward) - planted
    mutant = forward[:index] + ("T" if forward[index] != "T" else "A") + forward[index + 1 :]
    check = check_reference(_pair(mutant, "TGGGTGGAATCATATTGGAACA", 148), GAPDH)
    binding = [
        f for f in check.findings if f.code is Check.BINDING and f.subject.value == "forward"
    ]
    # terminal base: the site cannot prime (fail); second from the end: it can, with a warning
    assert binding[0].severity is (Severity.FAIL if planted == 1 else Severity.WARN)


def _exon_ends(name: str) -> list[int]:
    """1-based last base of each exon but the last, from the exon FASTA's headers (":1-53")."""
    headers = [line for line in (refseq_dir() / name).read_text().splitlines()
               if line.startswith(">")]  # fmt: skip
    return [int(h.split()[0].rsplit("-", 1)[1]) for h in headers[:-1]]


@pytest.mark.parametrize(("five", "spans"), [(3, False), (6, False), (7, True), (9, True)])
def test_a_junction_primer_needs_seven_bases_on_its_five_prime_side(five: int, spans: bool) -> None:
    from assay.primers.reference import JUNCTION_5P_NT, Protection

    assert JUNCTION_5P_NT == 7
    # GAPDH exon 3|4 (bounds from the exon FASTA): a forward primer with `five` bases in exon 3
    # and 21 - five in exon 4, and a reverse primer 100 bases on (a PrimerBank-like 3 + 18).
    end, next_end = _exon_ends("NM_002046.7.exons.fasta")[2:4]
    forward = GAPDH.sequence[end - five : end + 21 - five]
    reverse = rc(GAPDH.sequence[next_end - 25 : next_end - 5])  # inside exon 4
    assert next_end - 5 - (end - five) >= 60
    check = check_reference(_pair(forward, reverse, None), GAPDH)
    (junction,) = check.forward.junctions
    assert (junction.bases_left, junction.bases_right) == (five, 21 - five)
    assert (check.protection is Protection.JUNCTION) is spans
    gdna = next(f for f in check.findings if f.code is Check.GDNA)
    assert ("spans an exon-exon junction" in gdna.message) is spans


def _pik3ca_with_exons() -> Transcript:
    from assay.primers.reference import with_exons_from_genome

    record, extract = with_exons_from_genome(PIK3CA, [PIK3CA_GENOME])
    assert extract is not None
    return record


def _pik3ca_pair(low: int, high: int) -> tuple[str, str, int, int]:
    """Two 20-mers in different exons whose genomic product is `low`-`high` bp longer.

    Each is found once in the genome; returns (forward, reverse, product bp, genomic bp). Found
    by plain string search on the record and the genomic extract.
    """
    tx, genome = PIK3CA.sequence, PIK3CA_GENOME.sequence
    for start in range(300, len(tx) - 200, 7):
        forward = tx[start : start + 20]
        if genome.count(forward) != 1:
            continue
        for length in (110, 130, 150):
            reverse_site = tx[start + length - 20 : start + length]
            if genome.count(reverse_site) != 1:
                continue
            genomic = genome.find(reverse_site) + 20 - genome.find(forward)
            if low <= genomic - length <= high:
                return forward, rc(reverse_site), length, genomic
    raise AssertionError("no such pair on the record")


@pytest.mark.parametrize(("low", "high", "protected"), [(60, 999, False), (1000, 5000, True)])
def test_primers_in_different_exons_need_a_long_intron(
    low: int, high: int, protected: bool
) -> None:
    from assay.primers.reference import MIN_PROTECTIVE_INTRON_BP, Protection

    assert MIN_PROTECTIVE_INTRON_BP == 1000
    forward, reverse, product_bp, genomic_bp = _pik3ca_pair(low, high)
    record = _pik3ca_with_exons()
    check = check_reference(_pair(forward, reverse, product_bp), record, genomic=[PIK3CA_GENOME])
    assert check.product is not None
    assert check.product.size_bp == product_bp
    assert check.different_exons is True
    assert check.gdna_product_bp == genomic_bp
    gdna = next(f for f in check.findings if f.code is Check.GDNA)
    if protected:
        assert check.protection is Protection.INTRON
        assert gdna.severity is Severity.INFO
    else:  # the PIK3CA pair #3 kind: an intron under 1 kb, never "protected"
        assert check.protection is Protection.NONE
        assert gdna.severity is Severity.WARN
        assert f"genomic product {genomic_bp} bp" in gdna.message
        assert "protected against" not in gdna.message.replace("no protection against", "")


def test_different_exons_without_a_genomic_record_are_unknown_not_protected() -> None:
    from assay.primers.reference import Protection

    forward, reverse, product_bp, _ = _pik3ca_pair(60, 999)
    # The exon map is known, the extract is not given: the intron's size is not known.
    check = check_reference(_pair(forward, reverse, product_bp), _pik3ca_with_exons())
    assert check.different_exons is True
    assert check.protection is Protection.UNKNOWN
    gdna = next(f for f in check.findings if f.code is Check.GDNA)
    assert gdna.message.startswith("protection against genomic DNA unknown")
