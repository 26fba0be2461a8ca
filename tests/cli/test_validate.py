"""`assay validate` end to end, in-process through `main(argv)`."""

from __future__ import annotations

import json
from pathlib import Path

import primer3
import pytest

from assay import __version__
from assay.cli.main import main
from assay.data import table1_path

REQUIRED_PAIR_KEYS = {
    "gene", "accession", "verdict", "claimed_product_bp", "anneal_temp_c",
    "heterodimer_dg_kcal_per_mol", "findings", "forward", "reverse",
}  # fmt: skip
REQUIRED_PRIMER_KEYS = {
    "sequence", "length", "gc_pct", "tm_c", "hairpin_dg_kcal_per_mol", "homodimer_dg_kcal_per_mol",
}  # fmt: skip


def _run_json(tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / "report.json"
    offline = ["--offline", "--cache", str(tmp_path / "cache")]
    status = main(["validate", str(table1_path()), "--json", str(out), *offline, *extra])
    return status, json.loads(out.read_text(encoding="utf-8"))


def test_table1_validates_end_to_end_with_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = _run_json(tmp_path)
    # The paper's mTOR reverse primer lacks one base of NM_004958.4 (record 7493-7512 reads
    # TTGGACGGTGTGGAACTTGG; the primer's complement TTGGACGGTGTGGACTTGG): no product, a fail.
    assert status == 1
    assert report["schema_version"] == 2
    assert report["assay_version"] == __version__
    assert report["conditions"] == {
        "name": "primer3", "mv_conc_mm": 50.0, "dv_conc_mm": 1.5, "dntp_conc_mm": 0.6,
        "primer_conc_nm": 50.0, "temp_c": 37.0,
    }  # fmt: skip
    pairs = report["pairs"]
    assert isinstance(pairs, list)
    assert [p["gene"] for p in pairs] == ["JAK2", "STAT3", "PI3k", "mTOR", "GAPDH"]
    for pair in pairs:
        assert pair.keys() >= REQUIRED_PAIR_KEYS
        assert pair["forward"].keys() >= REQUIRED_PRIMER_KEYS
        assert pair["reverse"].keys() >= REQUIRED_PRIMER_KEYS
        assert pair["verdict"] in {"pass", "warn", "fail", "unverified"}
        for finding in pair["findings"]:
            assert set(finding) == {"code", "severity", "subject", "message"}
    # JAK2 and STAT3 records are not bundled (data/refseq/PROVENANCE.md): offline, they cannot
    # be verified; the other three are found, GAPDH's with its 9 exons.
    verdicts = [p["verdict"] for p in pairs]
    assert (verdicts[0], verdicts[1], verdicts[3]) == ("unverified", "unverified", "fail")
    assert pairs[3]["reverse"]["suggested_sequence"] == "CCAAGTTCCACACCGTCCAA"
    assert pairs[3]["corrected_product_bp"] == 78  # the size the paper claims
    assert pairs[3]["reverse"]["binding"] == {
        "start": 7493, "end": 7512, "strand": "-", "mismatches": [], "indels": 1, "exons": [],
        "spans_junction": False,
    }  # fmt: skip
    # GAPDH (PROVENANCE.md exon map: exon 2 is 54-105, exon 4 is 206-312)
    assert pairs[4]["forward"]["binding"]["exons"] == ["2"]
    assert pairs[4]["reverse"]["binding"]["exons"] == ["4"]
    assert (pairs[4]["product_bp"], pairs[4]["intron_spanning"]) == (148, True)
    miqe = pairs[4]["miqe"]
    assert miqe["amplicon_length_bp"] == 148
    assert miqe["forward_location"] == "87-105 (+) exon 2"
    assert miqe["reaction_conditions"]["dv_conc_mm"] == 1.5
    assert pairs[0]["reference"]["available"] is False
    assert pairs[4]["reference"] == {
        "accession": "NM_002046.7", "available": True, "length": 1285, "exons": 9,
    }  # fmt: skip
    # PI3k's record is FASTA only; its exons come from the PIK3CA genomic extract (PROVENANCE.md:
    # exon 6 is 1383-1468, exon 7 1469-1574), so the product 1407-1520 crosses an intron.
    assert pairs[2]["reference"]["exons"] == 21
    assert (pairs[2]["forward"]["binding"]["exons"], pairs[2]["reverse"]["binding"]["exons"]) == (
        ["6"], ["7"],
    )  # fmt: skip
    assert (pairs[2]["product_bp"], pairs[2]["intron_spanning"]) == (114, True)
    gapdh = pairs[4]
    # primer3-py called directly with Primer3's default conditions
    assert gapdh["forward"]["tm_c"] == round(primer3.calc_tm("TGAAGGTCGGAGTCAACGG"), 2)
    assert gapdh["claimed_product_bp"] == 148
    printed = capsys.readouterr().out
    assert "GAPDH" in printed
    assert "50 mM monovalent, 1.5 mM Mg2+" in printed


def test_conditions_preset_and_explicit_values_change_the_numbers(tmp_path: Path) -> None:
    _, sybr = _run_json(tmp_path, "--conditions", "sybr-2x")
    assert sybr["conditions"]["name"] == "sybr-2x"  # type: ignore[index]  # JSON object
    expected = primer3.calc_tm(
        "TGAAGGTCGGAGTCAACGG", mv_conc=50.0, dv_conc=3.0, dntp_conc=0.8, dna_conc=300.0
    )
    assert sybr["pairs"][4]["forward"]["tm_c"] == round(expected, 2)  # type: ignore[index]
    _, custom = _run_json(tmp_path, "--dv-conc-mm", "2.5", "--primer-conc-nm", "200")
    conditions = custom["conditions"]
    assert conditions["name"] == "custom"  # type: ignore[index]
    assert (conditions["dv_conc_mm"], conditions["primer_conc_nm"]) == (2.5, 200.0)  # type: ignore[index]


def test_threshold_option_changes_a_verdict(tmp_path: Path) -> None:
    # GAPDH's primers differ by 1.9 C under Primer3's conditions (59.3 and 57.4 C).
    _, report = _run_json(tmp_path, "--threshold", "tm_diff_warn_c=1.5")
    codes = [f["code"] for f in report["pairs"][4]["findings"]]  # type: ignore[index]
    assert "tm_difference" in codes
    assert report["thresholds"]["tm_diff_warn_c"] == 1.5  # type: ignore[index]


def test_a_failing_pair_exits_1(tmp_path: Path) -> None:
    table = tmp_path / "hot.tsv"
    table.write_text(
        "gene\tforward\treverse\tanneal_temp_c\nGAPDH\tTGAAGGTCGGAGTCAACGG\tTGGGTGGAATCATATTGGAACA\t66\n",
        encoding="utf-8",
    )
    assert main(["validate", str(table), "--offline"]) == 1


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--threshold", "tm_wobble=2"], 'column "--threshold": "tm_wobble": unknown threshold'),
        (["--threshold", "tm_diff_warn_c=two"], '"two": is not a number'),
        (["--mv-conc-mm", "-5"], "mv_conc_mm must be a finite number >= 0"),
        # No cations (a Tm of log10(0)): refused when Mg2+ does not exceed the dNTP it binds.
        (["--mv-conc-mm", "0", "--dv-conc-mm", "0"], "no free cations"),
        (["--mv-conc-mm", "0", "--dv-conc-mm", "0.6", "--dntp-conc-mm", "0.6"], "no free cat"),
        (["--mv-conc-mm", "4.9e-324", "--dv-conc-mm", "1e-300"], "no free cations"),  # fuzz
    ],
)
def test_bad_options_exit_2(
    argv_tail: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(table1_path()), "--offline", *argv_tail]) == 2
    assert message in capsys.readouterr().err


def test_bad_table_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "bad.tsv"
    table.write_text("gene\tforward\treverse\nGAPDH\tTGAAGG!\tTGGG\n", encoding="utf-8")
    out = tmp_path / "report.json"
    assert main(["validate", str(table), "--json", str(out), "--offline"]) == 2
    err = capsys.readouterr().err
    assert f'{table}, row 2, column "forward": "TGAAGG!": has "!" at position 7' in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [table]


def test_mg_just_above_the_dntp_is_free_cation_enough(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--mv-conc-mm", "0", "--dv-conc-mm", "0.61", "--dntp-conc-mm", "0.6"]
    assert main(["validate", str(table1_path()), "--offline", *argv]) in (0, 1)
    assert "no free cations" not in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "validate", str(tmp_path / "absent.tsv")]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("assay.primers.validate.validate_pairs", interrupted)
    assert main(["validate", str(table1_path()), "--offline"]) == 130


@pytest.mark.parametrize(
    ("fail_on", "code"),
    # Table 1 offline: mTOR fails, JAK2 and STAT3 are unverified, PI3k and GAPDH warn.
    [("fail", 1), ("unverified", 1), ("warn", 1)],
)
def test_fail_on_sets_what_exits_1(
    fail_on: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(table1_path()), "--offline", "--fail-on", fail_on]) == code
    capsys.readouterr()


def test_a_table_of_unverified_pairs_exits_1_with_fail_on_unverified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # JAK2 alone (its record NM_004972.4 is not bundled): unverified offline.
    table = tmp_path / "jak2.tsv"
    rows = [line for line in table1_path().read_text().splitlines() if "JAK2" in line]
    table.write_text(table1_path().read_text().splitlines()[0] + "\n" + rows[0] + "\n")
    assert main(["validate", str(table), "--offline"]) == 0
    assert main(["validate", str(table), "--offline", "--fail-on", "unverified"]) == 1
    assert "1 pair: 1 unverified" in capsys.readouterr().out


def test_the_json_report_does_not_carry_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache under the home folder is written "~/...": a report shared with a colleague does
    # not carry the user's home path.
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    out = tmp_path / "report.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(home / ".cache" / "assay"),
          "--json", str(out)])  # fmt: skip
    text = out.read_text()
    assert str(home) not in text
    assert "~/.cache/assay" in text  # where the record was looked for, said without the home
