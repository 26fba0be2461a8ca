"""`assay design` and `assay validate --redesign` end to end, in-process through `main(argv)`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.cli.main import main
from assay.data import table1_path


def _offline(tmp_path: Path) -> list[str]:
    return ["--offline", "--cache", str(tmp_path / "cache")]


def test_designed_pairs_pass_assay_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "designed.tsv"
    report = tmp_path / "design.json"
    status = main(
        [
            "design",
            "NM_002046.7",
            "NM_004958.4",
            "--pairs",
            "3",
            "--table",
            str(table),
            "--json",
            str(report),
            *_offline(tmp_path),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "qPCR preset: product 70-150 bp" in printed
    assert "6 pair(s) proposed for 2 target(s)" in printed
    rows = table.read_text().splitlines()
    assert rows[0].split("\t")[:4] == ["gene", "accession", "forward", "reverse"]
    assert [r.split("\t")[0] for r in rows[1:]] == [
        "GAPDH_1",
        "GAPDH_2",
        "GAPDH_3",
        "MTOR_1",
        "MTOR_2",
        "MTOR_3",
    ]
    data = json.loads(report.read_text())
    assert data["schema_version"] == 1
    assert [len(d["pairs"]) for d in data["designs"]] == [3, 3]
    checked = tmp_path / "checked.json"
    assert main(["validate", str(table), "--json", str(checked), *_offline(tmp_path)]) == 0
    verdicts = [p["verdict"] for p in json.loads(checked.read_text())["pairs"]]
    assert verdicts == ["pass"] * 6


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["NM_002046.7", "--tm-c", "62,60,58"], "tm_min_c (62.0) must not exceed tm_opt_c"),
        (["NM_002046.7", "--product-bp", "70"], '"70": --product-bp needs MIN-MAX'),
        (["TP53X"], '"TP53X": no RefSeq mRNA of this gene is in the record cache'),
        (["NM 1"], "nor is it a file or a gene symbol"),
        (["NM_002046"], "has no version"),
        (["NM_002046.7", "--pairs", "0"], "0 is not from 1 to 100"),
        # 1,000 pairs with probes ran 137 s (the long fuzz run's hang): bounded.
        (["NM_002046.7", "--pairs", "101"], "101 is not from 1 to 100"),
    ],
)
def test_bad_design_requests_are_named(
    tmp_path: Path, argv_tail: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["design", *argv_tail, *_offline(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_the_bounds_of_pairs_are_taken() -> None:
    from assay.cli.design import MAX_PAIRS, pairs_count

    assert MAX_PAIRS == 100
    assert (pairs_count("1"), pairs_count("100")) == (1, 100)


def test_a_table_of_targets_names_the_bad_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("gene,accession\nGAPDH,NM_002046.7\nmTOR,NM_004958\n")
    assert main(["design", str(targets), *_offline(tmp_path)]) == 2
    assert 'row 3, column "accession"' in capsys.readouterr().err


def test_redesign_proposes_passing_replacements_for_mtor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    status = main(
        ["validate", str(table1_path()), "--redesign", "--json", str(out), *_offline(tmp_path)]
    )
    printed = capsys.readouterr().out
    assert status == 1  # the table's own mTOR pair still fails
    assert "corrected primer: CAACAAGCGATCCCGAACGA / CCAAGTTCCACACCGTCCAA, 78 bp: PASS" in printed
    redesigned = json.loads(out.read_text())["redesign"]
    assert [r["gene"] for r in redesigned] == ["mTOR"]
    kinds = [(p["kind"], p["verdict"]) for p in redesigned[0]["proposals"]]
    assert kinds == [("corrected primer", "pass"), ("new partner", "pass"), ("new pair", "pass")]


def test_a_gene_symbol_designs_on_its_refseq_mrna(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PIK3CA: the bundled NM_006218.4 and XM_006713658.5; the NM_ record is designed on, and
    # the XM_ one is compared as its variant (its products listed with each pair).
    out = tmp_path / "design.json"
    assert main(["design", "pik3ca", "--pairs", "1", "--json", str(out), *_offline(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "PIK3CA on NM_006218.4:" in printed
    design = json.loads(out.read_text())["designs"][0]
    assert design["target"] == "NM_006218.4"
    transcripts = [t["accession"] for t in design["pairs"][0]["transcripts"]]
    assert transcripts == ["NM_006218.4", "XM_006713658.5"]


def _design_json(tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    report = tmp_path / "design.json"
    assert main(["design", *args, "--json", str(report), *_offline(tmp_path)]) == 0
    data: dict = json.loads(report.read_text())  # type: ignore[type-arg]
    return data


def test_a_single_exon_gene_gets_pairs_with_the_caveat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # KLLN (NM_001126049.2, one exon): was "0 pairs", exit 1; primer3 alone gives 5 clean pairs.
    data = _design_json(tmp_path, "NM_001126049.2")
    printed = capsys.readouterr().out
    (design,) = data["designs"]
    assert len(design["pairs"]) == 5
    assert {p["placement"] for p in design["pairs"]} == {"one exon"}
    assert "KLLN has a single exon on NM_001126049.2: no pair can be protected" in printed
    # Offline, without NCBI's list of the gene's transcripts: said on the console.
    assert "note: transcript variants not fully checked: offline" in printed


@pytest.mark.parametrize("accession", ["NM_002046.7", "NM_006218.4", "NM_000546.6"])
def test_junction_required_gives_only_junction_primers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], accession: str
) -> None:
    from assay.primers.reference import JUNCTION_3P_NT, JUNCTION_5P_NT

    data = _design_json(tmp_path, accession, "--junction", "required", "--pairs", "4")
    capsys.readouterr()
    (design,) = data["designs"]
    assert 3 <= len(design["pairs"]) <= 4
    for pair in design["pairs"]:
        assert pair["placement"] == "junction"
        # "(a + b nt)": the primer's bases on each side, the 5' side first for its strand.
        left, right = (int(n) for n in pair["placement_text"].split("(")[1].split(" nt")[0]
                       .split(" + "))  # fmt: skip
        five, three = (
            (left, right) if pair["placement_text"].startswith("forward") else (right, left)
        )
        assert five >= JUNCTION_5P_NT
        assert three >= JUNCTION_3P_NT


@pytest.mark.parametrize(
    ("overlap", "message"),
    [("30,4", "does not fit a primer of at most 25 nt"), ("7.5,4", "two whole numbers"),
     ("7", "--junction-overlap needs MIN-MAX")],
)  # fmt: skip
def test_an_impossible_junction_split_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overlap: str, message: str
) -> None:
    status = main(["design", "NM_002046.7", "--junction-overlap", overlap, *_offline(tmp_path)])
    assert status == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("accession", ["NM_002046.7", "NM_005228.5", "NM_001282386.1"])
def test_proposals_are_alternatives_away_from_the_five_prime_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], accession: str
) -> None:
    from assay.primers.accession import parse_accession
    from assay.primers.cache import RecordCache
    from assay.primers.design import FIVE_PRIME_AVOID_NT
    from assay.primers.sequence import reverse_complement

    # GAPDH #1 started at nt 6; EGFR's and IDH1's proposals differed by one base.
    data = _design_json(tmp_path, accession, "--pairs", "5")
    capsys.readouterr()
    record = RecordCache(tmp_path / "none").load(parse_accession(accession))
    assert record is not None
    sites = []
    for pair in data["designs"][0]["pairs"]:
        start = record.sequence.find(pair["forward"]["sequence"]) + 1
        end = record.sequence.find(reverse_complement(pair["reverse"]["sequence"])) + len(
            pair["reverse"]["sequence"])  # fmt: skip
        assert start > FIVE_PRIME_AVOID_NT
        sites.append((start, end))
    assert len(sites) >= 3
    for i, (a_start, a_end) in enumerate(sites):
        for b_start, b_end in sites[i + 1 :]:
            assert abs(a_start - b_start) > 5
            assert abs(a_end - b_end) > 5


def test_the_order_sheet_has_one_row_per_oligo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    order = tmp_path / "order.csv"
    data = _design_json(tmp_path, "NM_002046.7", "--pairs", "2", "--order", str(order))
    capsys.readouterr()
    with order.open() as handle:
        rows = list(csv.DictReader(handle))
    pairs = data["designs"][0]["pairs"]
    assert [r["Name"] for r in rows] == ["GAPDH_F", "GAPDH_R", "GAPDH_2_F", "GAPDH_2_R"]
    assert [r["Sequence"] for r in rows] == [
        p[side]["sequence"] for p in pairs for side in ("forward", "reverse")
    ]
    assert {(r["Scale"], r["Purification"]) for r in rows} == {("25nm", "STD")}
    assert all(int(r["Length"]) == len(r["Sequence"]) for r in rows)


@pytest.mark.parametrize("accession", ["NM_006218.4", "NM_000546.6"])
def test_probes_follow_the_probe_rules_rechecked_by_primer3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], accession: str
) -> None:
    import primer3

    from assay.primers.accession import parse_accession
    from assay.primers.cache import RecordCache
    from assay.primers.sequence import reverse_complement

    data = _design_json(tmp_path, accession, "--probe", "--pairs", "3")
    capsys.readouterr()
    record = RecordCache(tmp_path / "none").load(parse_accession(accession))
    assert record is not None
    pairs = data["designs"][0]["pairs"]
    assert pairs
    salts = {"mv_conc": 50.0, "dv_conc": 1.5, "dntp_conc": 0.6}  # the printed conditions
    for pair in pairs:
        forward, reverse = pair["forward"]["sequence"], pair["reverse"]["sequence"]
        probe = pair["probe"]["sequence"]
        primers_tm = (primer3.calc_tm(forward, dna_conc=50.0, **salts)
                      + primer3.calc_tm(reverse, dna_conc=50.0, **salts)) / 2  # fmt: skip
        above = primer3.calc_tm(probe, dna_conc=250.0, **salts) - primers_tm
        assert 6.0 <= above <= 10.0
        assert not probe.startswith("G")
        assert probe.count("C") > probe.count("G")
        assert len(probe) <= 30
        # Inside the product, touching neither primer (either strand of the record).
        f_end = record.sequence.find(forward) + len(forward)
        r_start = record.sequence.find(reverse_complement(reverse))
        plus = probe if pair["probe"]["strand"] == "+" else reverse_complement(probe)
        at = record.sequence.find(plus)
        assert f_end <= at
        assert at + len(plus) <= r_start


def test_a_multiplex_panel_of_table1_genes_with_its_matrix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    import primer3

    # GAPDH, mTOR and PIK3CA: the Table 1 genes whose records are bundled (offline).
    order = tmp_path / "panel.csv"
    main(["design", "NM_002046.7", "NM_004958.4", "NM_006218.4", "--multiplex", "--pairs", "3",
          "--order", str(order), *_offline(tmp_path)])  # fmt: skip
    printed = capsys.readouterr().out
    assert "Multiplex panel: GAPDH #" in printed
    assert "cross-dimer dG (kcal/mol, anywhere / 3'-anchored)" in printed
    with order.open() as handle:
        oligos = [(r["Gene"], r["Name"], r["Sequence"]) for r in csv.DictReader(handle)]
    assert [name for _, name, _ in oligos] == [
        "GAPDH_F", "GAPDH_R", "MTOR_F", "MTOR_R", "PIK3CA_F", "PIK3CA_R"]  # fmt: skip
    # Re-checked with primer3-py under the printed conditions: no cross-gene dimer reaches
    # -9 kcal/mol, no 3'-anchored one -5 kcal/mol.
    conditions = {"mv_conc": 50.0, "dv_conc": 1.5, "dntp_conc": 0.6, "dna_conc": 50.0,
                  "temp_c": 37.0}  # fmt: skip
    for (gene_a, name_a, a), (gene_b, name_b, b) in (
        (x, y) for i, x in enumerate(oligos) for y in oligos[i + 1 :]
    ):
        if gene_a == gene_b:
            continue
        dimer = primer3.calc_heterodimer(a, b, **conditions).dg / 1000
        ends = min(primer3.calc_end_stability(a, b, **conditions).dg,
                   primer3.calc_end_stability(b, a, **conditions).dg) / 1000  # fmt: skip
        assert dimer > -9.0, (name_a, name_b)
        assert ends > -5.0, (name_a, name_b)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--anneal-temp-c", "nan", "--anneal-temp-c: 'nan' is not a plain finite number"),
        ("--anneal-temp-c", "-500", "between 30 and 80 C"),
        ("--anneal-temp-c", "80.5", "between 30 and 80 C"),
        ("--max-tm-diff-c", "nan", "--max-tm-diff-c: 'nan' is not a plain finite number"),
        ("--tm-c", "nan,60,62", "--tm-c needs MIN,OPT,MAX as numbers (nan and inf are not)"),
        ("--product-bp", "nan-inf", "--product-bp needs MIN-MAX as numbers"),
        ("--product-bp", "1e9-2e9", "products of at most 1000 bp"),
        ("--size-nt", "18,20,37", "primers must be 10 to 36 nt"),
    ],
)
def test_odd_design_options_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    status = main(["design", "NM_002046.7", option, value, *_offline(tmp_path)])
    assert status == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


@pytest.mark.parametrize("value", ["80", "36"])
def test_the_edges_of_the_design_options_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    option = "--anneal-temp-c" if value == "80" else "--size-nt"
    given = value if option == "--anneal-temp-c" else "18,20,36"
    assert main(["design", "NM_002046.7", option, given, "--pairs", "1",
                 *_offline(tmp_path)]) in (0, 1)  # fmt: skip
    assert "error" not in capsys.readouterr().err


def test_redesign_warn_also_replaces_pairs_that_only_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, warn = tmp_path / "plain.json", tmp_path / "warn.json"
    main(["validate", str(table1_path()), "--redesign", "--json", str(plain), *_offline(tmp_path)])
    main(["validate", str(table1_path()), "--redesign", "warn", "--json", str(warn),
          *_offline(tmp_path)])  # fmt: skip
    capsys.readouterr()
    verdicts = {p["gene"]: p["verdict"] for p in json.loads(warn.read_text())["pairs"]}
    assert (verdicts["GAPDH"], verdicts["PI3k"]) == ("warn", "warn")  # annealing, hairpin
    redone = {r["gene"]: r["proposals"] for r in json.loads(warn.read_text())["redesign"]}
    assert {r["gene"] for r in json.loads(plain.read_text())["redesign"]} == {"mTOR"}
    assert {"GAPDH", "PI3k", "mTOR"} <= set(redone)
    # Every replacement is one validate passes.
    assert all(p["verdict"] == "pass" for proposals in redone.values() for p in proposals)
