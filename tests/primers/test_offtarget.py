"""Off-target products in small planted databases built only from pieces of real records.

Expected positions are worked out by plain string search on the constructed records.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from assay.cli.main import main
from assay.data import refseq_dir, table1_path
from assay.errors import InputError
from assay.primers.accession import parse_accession
from assay.primers.binding import PrimingRule, Strand
from assay.primers.cache import RecordCache
from assay.primers.model import Primer, PrimerPair
from assay.primers.offtarget import Kind, read_fasta, record_products, search_databases
from assay.primers.sequence import reverse_complement as rc

F, R = "TGAAGGTCGGAGTCAACGG", "TGGGTGGAATCATATTGGAACA"  # Table 1, GAPDH
PAIR = PrimerPair(gene="GAPDH", forward=Primer(sequence=F), reverse=Primer(sequence=R),
                  accession="NM_002046.7")  # fmt: skip


def _sequence(accession: str) -> str:
    record = RecordCache(Path("/nonexistent")).load(parse_accession(accession))
    assert record is not None
    return record.sequence


GAPDH = _sequence("NM_002046.7")
PIK3CA = _sequence("NM_006218.4")
RULE = PrimingRule()


def _fasta(tmp_path: Path, records: dict[str, str], name: str = "db.fa") -> Path:
    path = tmp_path / name
    path.write_text("".join(f">{n} test record\n{s}\n" for n, s in records.items()))
    return path


def test_forward_reverse_on_the_plus_strand() -> None:
    (found,) = record_products(PAIR, "copy", GAPDH, RULE)
    end = GAPDH.find(rc(R)) + len(R)
    assert (found.kind, found.strand, found.start, found.end) == (
        Kind.FR,
        Strand.PLUS,
        GAPDH.find(F) + 1,
        end,
    )
    assert found.product_bp == 148


def test_forward_reverse_on_the_minus_strand() -> None:
    minus = rc(GAPDH)
    (found,) = record_products(PAIR, "reversed", minus, RULE)
    assert (found.kind, found.strand, found.product_bp) == (Kind.FR, Strand.MINUS, 148)
    assert found.start == minus.find(R) + 1  # the reverse primer is upstream on this strand


def test_a_forward_primer_priming_both_strands() -> None:
    piece = GAPDH[80:200]  # holds the forward primer at 87-105
    record = piece + rc(piece)  # and its complement downstream
    kinds = {(o.kind, o.start, o.end) for o in record_products(PAIR, "ff", record, RULE)}
    start = record.find(F) + 1
    end = record.find(rc(F)) + len(F)
    assert (Kind.FF, start, end) in kinds


@pytest.mark.parametrize(("position", "counts"), [(1, False), (3, True)])
def test_mismatches_near_the_three_prime_end(position: int, counts: bool) -> None:
    # Change the record under the forward primer's base `position` from its 3' end.
    index = GAPDH.find(F) + len(F) - position
    changed = GAPDH[:index] + ("A" if GAPDH[index] != "A" else "C") + GAPDH[index + 1 :]
    found = record_products(PAIR, "mutant", changed, RULE)
    assert bool(found) is counts
    if found:
        assert found[0].forward_mismatches == (position,)


def test_the_size_limit_and_record_boundaries(tmp_path: Path) -> None:
    spacer = PIK3CA[:4000]  # 4 kb of another real record between the primers
    far = GAPDH[:120] + spacer + GAPDH[120:300]
    assert record_products(PAIR, "far", far, RULE) == []
    (found,) = record_products(PAIR, "far", far, RULE, max_bp=5000)
    assert found.product_bp == 148 + 4000
    split = _fasta(tmp_path, {"first": GAPDH[:120], "second": GAPDH[120:400]})
    assert search_databases(PAIR, [split]) == []  # never across records


def test_the_cited_record_and_its_variants_are_left_out(tmp_path: Path) -> None:
    db = _fasta(tmp_path, {"NM_002046": GAPDH, "other": GAPDH[50:300]})
    found = search_databases(PAIR, [db], exclude=["NM_002046.7"])
    assert [o.record for o in found] == ["other"]


def test_gzip_databases_are_streamed(tmp_path: Path) -> None:
    plain = _fasta(tmp_path, {"other": GAPDH[50:300]})
    packed = tmp_path / "db.fa.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert [o.product_bp for o in search_databases(PAIR, [packed])] == [148]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ACGT\n>x\nACGT\n", r"row 1: \"ACGT\": text before the first FASTA header"),
        (">x\nACGT\nAC<b>GT\n", r"row 3: characters that are not nucleotide codes"),
        (">\nACGT\n", "row 1: a FASTA header without a name"),
    ],
)
def test_malformed_fasta_is_refused_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.fa"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        list(read_fasta(path))


def test_bundled_decoy_panel_reads() -> None:
    records = list(read_fasta(refseq_dir() / "decoys" / "panel_shabalina_transcripts.fasta"))
    assert len(records) == 41  # PROVENANCE.md: 41 records


def test_validate_with_a_database_reports_off_targets(tmp_path: Path) -> None:
    db = _fasta(tmp_path, {"decoy_copy": GAPDH[40:400]})
    out = tmp_path / "report.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "c"),
          "--db", str(db), "--json", str(out)])  # fmt: skip
    pairs = json.loads(out.read_text())["pairs"]
    gapdh = pairs[4]
    assert gapdh["off_targets"] == [{
        "record": "decoy_copy", "start": 87 - 40, "end": 234 - 40, "strand": "+",
        "product_bp": 148, "kind": "FR", "forward_mismatches": [], "reverse_mismatches": [],
    }]  # fmt: skip
    assert gapdh["verdict"] in ("warn", "fail")
    assert pairs[0]["off_targets"] == []


@pytest.mark.parametrize(
    ("flags", "found"), [([], 1), (["--max-mismatches", "0", "--max-3prime-mismatches", "0"], 0)]
)
def test_the_priming_rule_is_configurable(tmp_path: Path, flags: list[str], found: int) -> None:
    index = GAPDH.find(F) + len(F) - 10  # the forward primer's base 10 from its 3' end
    copy = GAPDH[:index] + ("A" if GAPDH[index] != "A" else "C") + GAPDH[index + 1 : 400]
    db = _fasta(tmp_path, {"one_mismatch": copy})
    out = tmp_path / "report.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "c"),
          "--db", str(db), "--json", str(out), *flags])  # fmt: skip
    assert len(json.loads(out.read_text())["pairs"][4]["off_targets"]) == found


def test_inconsistent_rule_limits_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", str(table1_path()), "--offline", "--max-mismatches", "1",
                   "--max-3prime-mismatches", "2"])  # fmt: skip
    assert status == 2
    assert "--max-3prime-mismatches <= --max-mismatches" in capsys.readouterr().err
