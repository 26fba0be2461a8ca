"""geNorm and NormFinder: hand-worked matrices, invariances, and the two published data sets.

The numbers expected on the published data sets come from another tool: the Bioconductor package
NormqPCR (Perkins et al. 2012, BMC Genomics 13:296), whose stabMeasureM, selectHKs (geNorm) and
stabMeasureRho (NormFinder) functions (source at commit 627b578) were run in R 4.2.2 on the same
CSV files, printing 10 decimals. NormqPCR's vignette reproduces with them Table 3 of Vandesompele
et al. 2002 (rankings) and Table 3 of Andersen et al. 2004 (ρ). The published text itself gives the
colon result: "UBC, GAPD, and TPT1 for the colon" (Andersen et al. 2004, abstract).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from colon_wells import write_colon_wells
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.analysis.refgenes import (
    genorm,
    genorm_m,
    intragroup_variance,
    normalisation_variation,
    normfinder,
    pairwise_variation,
    quantities_from_ct,
    ranking,
)
from assay.cli.main import main

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"


def test_by_hand() -> None:
    data = {"A": [1, 2, 4], "B": [1, 2, 4], "C": [2, 2, 2]}
    # log2 ratios: A/B = 0, 0, 0 (SD 0); A/C = -1, 0, 1 (SD 1); B/C the same.
    variation = pairwise_variation(data)
    assert (variation[("A", "B")], variation[("A", "C")], variation[("C", "B")]) == (0.0, 1.0, 1.0)
    assert genorm_m(data) == {"A": 0.5, "B": 0.5, "C": 1.0}
    steps = genorm(data)
    assert [s.excluded for s in steps] == ["C", None]
    assert ranking(steps)[-1] == "C"
    # NF2 = mean log2 of A, B = 0, 1, 2; NF3 adds C (log2 1): 1/3, 1, 5/3; difference -1/3, 0, 1/3
    assert normalisation_variation(data, ["A", "B", "C"]) == {"V2/3": pytest.approx(1 / 3)}


@settings(max_examples=40, deadline=None)
@given(factor=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_a_gene_changes_nothing(factor: float) -> None:
    data = {"A": [1.0, 2.3, 4.1, 0.7], "B": [1.2, 2.0, 3.9, 0.9], "C": [2.0, 2.5, 1.1, 3.0]}
    scaled = {**data, "B": [v * factor for v in data["B"]]}
    assert genorm_m(scaled) == pytest.approx(genorm_m(data))


def test_from_ct_m_is_the_mean_sd_of_ct_differences() -> None:
    cts = {
        "A": [20.1, 21.3, 19.8, 20.6],
        "B": [24.0, 25.1, 23.5, 24.2],
        "C": [18.2, 18.0, 18.9, 17.7],
    }
    m = genorm_m({g: quantities_from_ct(v) for g, v in cts.items()})
    for gene in cts:
        others = [k for k in cts if k != gene]
        expected = statistics.mean(
            statistics.stdev(a - b for a, b in zip(cts[gene], cts[k], strict=True)) for k in others
        )
        assert m[gene] == pytest.approx(expected)


def test_bad_quantities_are_refused() -> None:
    with pytest.raises(ValueError, match="positive, finite quantities"):
        genorm_m({"A": [1, 0], "B": [1, 2]})


@pytest.mark.parametrize("name", ["genorm_vandesompele2002.csv", "colon_andersen2004.csv"])
def test_datasets_match_their_checksums(name: str) -> None:
    listed = dict(
        (n, d) for d, n in re.findall(r"^([0-9a-f]{64})  (\S+)$",
                                      (DATASETS / "PROVENANCE.md").read_text(), re.M)
    )  # fmt: skip
    assert hashlib.sha256((DATASETS / name).read_bytes()).hexdigest() == listed[name]


def test_the_command_on_the_genorm_data_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["refgenes", str(DATASETS / "genorm_vandesompele2002.csv"), "--by-prefix"]) == 0
    out = capsys.readouterr().out
    # The five tissue panels of Vandesompele et al. 2002, each ranked over its ten genes.
    panels = re.findall(
        r"^(\w+) \((\d+) samples\)\n  geNorm, most to least stable: (.+)$", out, re.M
    )
    assert [p[0] for p in panels] == ["BM", "FIB", "LEU", "NB", "POOL"]
    assert sum(int(p[1]) for p in panels) == 85  # PROVENANCE.md: 85 samples
    assert all(len(p[2].split(", ")) == 10 for p in panels)
    assert out.count("V2/3") == 5


def test_too_few_genes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "two.csv"
    table.write_text("sample,A,B\ns1,1,2\ns2,2,3\n")
    assert main(["refgenes", str(table)]) == 2
    assert "three or more gene columns of numbers" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("last_row", "arguments", "message"),
    [
        # A gene with a cell that is not a quantity must not be dropped or guessed: name the cell.
        ("s3,liver,4,4,Undetermined", [], 'row 4, column "C": "Undetermined": no value: geNorm'),
        ("s3,liver,4,4,0", [], 'row 4, column "C": "0": is not a positive quantity'),
        ("s3,liver,22,22,75", ["--ct"], 'row 4, column "C": "75": is not a plausible Ct'),
        ("s3,liver,4,4,5", ["--group", "batch"], '--group: no column "batch"'),
    ],
)
def test_bad_cells_in_a_table_of_genes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    last_row: str,
    arguments: list[str],
    message: str,
) -> None:
    table = tmp_path / "genes.csv"
    table.write_text(f"sample,tissue,A,B,C\ns1,liver,20,21,22\ns2,liver,21,22,23\n{last_row}\n")
    assert main(["refgenes", str(table), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_text_column_is_not_a_gene(capsys: pytest.CaptureFixture[str]) -> None:
    # The colon data's Classification column is text: without --group it is left aside.
    assert main(["refgenes", str(DATASETS / "colon_andersen2004.csv")]) == 0
    out = capsys.readouterr().out
    assert "Classification" not in out
    assert "NormFinder (no groups: SD within samples)" in out


def test_pairs_are_symmetric() -> None:
    data = {"A": [1.0, 2.0, 3.0], "B": [2.0, 2.5, 2.9], "C": [5.0, 1.0, 2.0]}
    variation = pairwise_variation(data)
    for j, k in itertools.permutations(data, 2):
        assert variation[(j, k)] == pytest.approx(variation[(k, j)])


# NormqPCR on data/datasets/genorm_vandesompele2002.csv, one tissue (sample-name prefix) at a time:
# ranking (the first two tied), mean M of the genes left after each exclusion (10 genes down to 2),
# and V2/3 … V9/10.
NORMQPCR_GENORM = {
    "BM": (
        "RPL13A UBC YWHAZ HPRT1 GAPD SDHA TBP HMBS B2M ACTB",
        [0.6362854525, 0.5828883293, 0.5302282796, 0.4999436939, 0.4773775238,
         0.4377281988, 0.4067706252, 0.3716192415, 0.3492711875],
        [0.1137450500, 0.0976782694, 0.0841653122, 0.0806194433, 0.0681320232,
         0.0671119963, 0.0776534267, 0.0764690053],
    ),
    "FIB": (
        "GAPD HPRT1 YWHAZ UBC ACTB TBP SDHA RPL13A B2M HMBS",
        [0.8318951705, 0.7579471631, 0.6746222085, 0.6152281059, 0.5704086257,
         0.5215777356, 0.4263280429, 0.3646709730, 0.2770063874],
        [0.1301823529, 0.1094092299, 0.1229442466, 0.0998939345, 0.0915069349,
         0.0957969481, 0.1058919618, 0.1018310171],
    ),
    "LEU": (
        "UBC YWHAZ B2M GAPD RPL13A TBP SDHA HPRT1 HMBS ACTB",
        [1.2117437294, 1.0021386856, 0.7765239237, 0.7143531756, 0.6441399328,
         0.5330159989, 0.4568355623, 0.3941757576, 0.3830057811],
        [0.1169771139, 0.1169882091, 0.1169063722, 0.1327768420, 0.1122419177,
         0.1075816206, 0.1923854695, 0.1990787273],
    ),
    "NB": (
        "GAPD HPRT1 SDHA UBC HMBS YWHAZ TBP ACTB RPL13A B2M",
        [1.0716923335, 0.9180319714, 0.8659233746, 0.8200477375, 0.7758375293,
         0.7472835939, 0.7027808878, 0.6652236052, 0.6383183213],
        [0.1997350511, 0.1602816002, 0.1383374492, 0.1139123464, 0.1124165613,
         0.1062725775, 0.1055495956, 0.1575632878],
    ),
    "POOL": (
        "GAPD SDHA HMBS HPRT1 TBP UBC RPL13A YWHAZ ACTB B2M",
        [1.2351170188, 1.0825950381, 1.0483590369, 1.0076466473, 0.9733462359,
         0.9248112925, 0.8088211285, 0.5610490053, 0.4026540999],
        [0.2028048833, 0.2514819797, 0.1979178227, 0.1479718622, 0.1306261869,
         0.1245076932, 0.1135631979, 0.1711360185],
    ),
}  # fmt: skip

# NormqPCR stabMeasureRho(Colon, group = Classification, log = FALSE) on colon_andersen2004.csv.
NORMQPCR_RHO = {
    "UBC": 0.1821706763, "UBB": 0.2471573383, "SUI1": 0.3139403810, "NACA": 0.2862397406,
    "FLJ20030": 0.3935172924, "CFL1": 0.2870467356, "ACTB": 0.3235918091, "CLTC": 0.3692879938,
    "RPS13": 0.2813038502, "RPS23": 0.3784908921, "GAPD": 0.2146060509, "TPT1": 0.2202956265,
    "TUBA6": 0.2700640609,
}  # fmt: skip
# The same with every sample in one group: the intragroup variance σ² alone.
NORMQPCR_VARIANCE_ONE_GROUP = {
    "UBC": 0.1234127642, "UBB": 0.1468194947, "SUI1": 0.2042978221, "NACA": 0.1839680276,
    "FLJ20030": 0.5167144469, "CFL1": 0.2056478965, "ACTB": 0.2350385718, "CLTC": 0.2167568805,
    "RPS13": 0.2209047906, "RPS23": 0.2170263561, "GAPD": 0.1801239209, "TPT1": 0.1115252024,
    "TUBA6": 0.1597966724,
}  # fmt: skip


def _genorm_tissue(tissue: str) -> dict[str, list[float]]:
    frame = pd.read_csv(DATASETS / "genorm_vandesompele2002.csv")
    part = frame[frame["sample"].str.extract(r"^([A-Za-z]*)", expand=False) == tissue]
    return {g: part[g].tolist() for g in frame.columns if g != "sample"}


def _colon() -> tuple[dict[str, list[float]], list[str]]:
    frame = pd.read_csv(DATASETS / "colon_andersen2004.csv")
    genes = [c for c in frame.columns if c not in ("sample", "Classification")]
    return {g: frame[g].tolist() for g in genes}, frame["Classification"].tolist()


@pytest.mark.parametrize("tissue", sorted(NORMQPCR_GENORM))
def test_genorm_on_the_vandesompele_data_matches_normqpcr(tissue: str) -> None:
    expected_order, expected_mean_m, expected_v = NORMQPCR_GENORM[tissue]
    data = _genorm_tissue(tissue)
    steps = genorm(data)
    order = ranking(steps)
    expected = expected_order.split()
    assert set(order[:2]) == set(expected[:2])  # the best two are tied by construction
    assert order[2:] == expected[2:]
    assert [s.mean_m for s in steps] == pytest.approx(expected_mean_m, abs=1e-9)
    assert list(normalisation_variation(data, order).values()) == pytest.approx(
        expected_v, abs=1e-9
    )


def test_normfinder_on_the_colon_data_matches_normqpcr_and_the_paper() -> None:
    data, groups = _colon()
    result = normfinder(data, groups)
    assert result.groups == ("Normal", "Dukes A", "Dukes B", "Dukes C")
    assert result.rho == pytest.approx(NORMQPCR_RHO, abs=1e-9)
    # Andersen et al. 2004: "These genes are UBC, GAPD, and TPT1 for the colon".
    assert result.ranking[:3] == ["UBC", "GAPD", "TPT1"]


def test_normfinder_without_groups_gives_the_intragroup_sd() -> None:
    data, _ = _colon()
    result = normfinder(data)
    assert result.best_pair is None
    assert result.best_partner is None
    assert result.difference == {}
    variance = {g: v["all samples"] for g, v in result.variance.items()}
    assert variance == pytest.approx(NORMQPCR_VARIANCE_ONE_GROUP, abs=1e-9)
    assert result.rho == pytest.approx({g: v**0.5 for g, v in NORMQPCR_VARIANCE_ONE_GROUP.items()})


def test_normfinder_best_pair_on_the_colon_data() -> None:
    # NormqPCR's formula for the average of two genes (selectHKs, method "NormFinder", step 2:
    # mean d * sqrt(k / (k - 2)), mean v / 2) evaluated in R for all 78 pairs: the lowest is
    # CLTC + RPS23, 0.118913321827; UBC + GAPD, the best pair holding the best gene, 0.137529833272.
    # Each of CLTC and RPS23 is poor alone; their group differences cancel.
    result = normfinder(*_colon())
    assert len(result.pair_rho) == 78
    assert result.best_pair is not None
    assert result.best_partner is not None
    assert result.best_pair[0] == ("CLTC", "RPS23")
    assert result.best_pair[1] == pytest.approx(0.118913321827, abs=1e-9)
    assert result.best_partner[0] == ("UBC", "GAPD")
    assert result.best_partner[1] == pytest.approx(0.137529833272, abs=1e-9)


def _andersen_rho(logs: list[list[float]], groups: list[str]) -> list[float]:
    """ρ written out loop by loop from Andersen et al. 2004 (supplement) and their R program.

    Genes in rows (log2), samples in columns. Negative variance estimates are replaced as the
    program does ("change possible negative values": min over partners of var(log ratio) / 4).
    """
    k = len(logs)
    names = list(dict.fromkeys(groups))
    columns = {g: [j for j, x in enumerate(groups) if x == g] for g in names}
    variance = [[0.0] * len(names) for _ in range(k)]
    means = [[0.0] * len(names) for _ in range(k)]
    for c, g in enumerate(names):
        js = columns[g]
        n = len(js)
        sample_mean = [sum(logs[i][j] for i in range(k)) / k for j in js]
        gene_mean = [sum(logs[i][j] for j in js) / n for i in range(k)]
        grand = sum(gene_mean) / k
        a = [sum((logs[i][j] - gene_mean[i] - sample_mean[m] + grand) ** 2
                 for m, j in enumerate(js)) / (n - 1) for i in range(k)]  # fmt: skip
        for i in range(k):
            means[i][c] = gene_mean[i]
            estimate = (a[i] - sum(a) / (k * k - k)) / (1 - 2 / k)
            if estimate < 0:
                estimate = min(statistics.variance([logs[i][j] - logs[other][j] for j in js])
                               for other in range(k) if other != i) / 4  # fmt: skip
            variance[i][c] = estimate
    groups_n = len(names)
    row_mean = [sum(r) / groups_n for r in means]
    col_mean = [sum(means[i][c] for i in range(k)) / k for c in range(groups_n)]
    grand = sum(row_mean) / k
    d = [[means[i][c] - row_mean[i] - col_mean[c] + grand for c in range(groups_n)]
         for i in range(k)]  # fmt: skip
    vardif = [[variance[i][c] / len(columns[names[c]]) for c in range(groups_n)]
              for i in range(k)]  # fmt: skip
    gamma = sum(x * x for r in d for x in r) / ((groups_n - 1) * (k - 1)) - sum(
        x for r in vardif for x in r) / (k * groups_n)  # fmt: skip
    gamma = max(gamma, 0.0)
    rho = []
    for i in range(k):
        total = 0.0
        for c in range(groups_n):
            v = vardif[i][c]
            total += abs(d[i][c] * gamma / (gamma + v)) + (v + gamma * v / (gamma + v)) ** 0.5
        rho.append(total / groups_n)
    return rho


def test_normfinder_on_three_genes_follows_andersens_program_where_a_variance_is_negative() -> None:
    # UBC, GAPD and TPT1 of the colon data: with three genes the unbiased estimate of TPT1's
    # variance in the Dukes A group comes out negative; NormqPCR sets it to 0, Andersen's own
    # program (and assay) to min var(log ratio) / 4. ρ against the loop-by-loop transcription.
    data, groups = _colon()
    chosen = ["UBC", "GAPD", "TPT1"]
    logs = [[float(np.log2(x)) for x in data[g]] for g in chosen]
    dukes_a = [j for j, g in enumerate(groups) if g == "Dukes A"]
    k = 3
    block = np.array(logs)[:, dukes_a]
    residual = block - block.mean(axis=1, keepdims=True) - block.mean(axis=0) + block.mean()
    a = (residual**2).sum(axis=1) / (len(dukes_a) - 1)
    assert (a[2] - a.sum() / (k * k - k)) / (1 - 2 / k) < 0  # the case this test is about
    result = normfinder({g: data[g] for g in chosen}, groups)
    expected = dict(zip(chosen, _andersen_rho(logs, groups), strict=True))
    assert result.rho == pytest.approx(expected, rel=1e-12)
    assert result.variance["TPT1"]["Dukes A"] > 0


def test_intragroup_variance_by_hand() -> None:
    # log2 values, genes in rows: A 0 2, B 0 0, C 0 1. Gene means 1, 0, 0.5; sample means 0, 1;
    # grand mean 0.5. Residuals: A -0.5 0.5, B 0.5 -0.5, C 0 0, so Σr² = 0.5, 0.5, 0.
    # s² = Σr² / ((n - 1)(1 - 2/k)) = Σr² · 3 = 1.5, 1.5, 0; minus Σs² / (k(k - 1)) = 3/6 = 0.5:
    # 1.0, 1.0, -0.5. A negative estimate is replaced as in Andersen's NormFinder for R: the
    # smallest variance of C's log ratio to another gene, over 4. C - A = (0, -1), C - B = (0, 1):
    # both variances 0.5 (n - 1 = 1), so 0.5 / 4 = 0.125, never 0 ("perfectly stable").
    logs = np.array([[0.0, 2.0], [0.0, 0.0], [0.0, 1.0]])
    assert intragroup_variance(logs).tolist() == pytest.approx([1.0, 1.0, 0.125])
    result = normfinder({"A": [1, 4], "B": [1, 1], "C": [1, 2]})
    assert result.rho == pytest.approx({"A": 1.0, "B": 1.0, "C": 0.125**0.5})


@settings(max_examples=30, deadline=None)
@given(
    sample=st.integers(min_value=0, max_value=39),
    factor=st.floats(min_value=1e-2, max_value=1e2),
)
def test_normfinder_ignores_how_much_cdna_a_sample_had(sample: int, factor: float) -> None:
    # β_gj in the model: scaling every gene of one sample (more cDNA) must change nothing.
    data, groups = _colon()
    scaled = {
        g: [v * factor if i == sample else v for i, v in enumerate(vs)] for g, vs in data.items()
    }
    assert normfinder(scaled, groups).rho == pytest.approx(normfinder(data, groups).rho)


def test_normfinder_refuses_quantities_it_cannot_take() -> None:
    with pytest.raises(ValueError, match="NormFinder needs positive, finite quantities"):
        normfinder({"A": [1, 2, 3], "B": [2, 0, 2], "C": [1, 1, 2]})
    with pytest.raises(ValueError, match="NormFinder needs at least three genes"):
        normfinder({"A": [1, 2, 3], "B": [2, 1, 2]})


def test_normfinder_refuses_a_group_of_one() -> None:
    with pytest.raises(ValueError, match=r"two or more samples in every group; not in b \(1\)"):
        normfinder({"A": [1, 2, 3], "B": [2, 2, 2], "C": [1, 1, 2]}, ["a", "a", "b"])


def test_the_command_with_normfinder_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = DATASETS / "colon_andersen2004.csv"
    assert main(["refgenes", str(table), "--group", "Classification", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "UBC 0.182, GAPD 0.215, TPT1 0.220" in out  # NormqPCR's ρ, rounded
    assert "best pair: CLTC + RPS23, ρ 0.119 (alone: 0.369, 0.378)" in out
    assert "best partner: UBC + GAPD, ρ 0.138" in out
    written = pd.read_csv(tmp_path / "stability.csv")
    assert written["gene"].tolist()[:3] == ["UBC", "GAPD", "TPT1"]
    assert written["normfinder_rank"].tolist() == list(range(1, 14))
    assert len(pd.read_csv(tmp_path / "variation.csv")) == 11  # V2/3 … V12/13
    assert (tmp_path / "refgenes.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = (tmp_path / "refgenes.svg").read_text()
    # Text stays text in the SVG: the three panels' titles and every gene on the ρ axis.
    assert all(t in svg for t in ("all samples: geNorm", "NormFinder", "stability ρ", "0.15"))
    assert all(f">{gene}<" in svg for gene in NORMQPCR_RHO)


def test_the_command_names_a_missing_group_column(capsys: pytest.CaptureFixture[str]) -> None:
    table = DATASETS / "colon_andersen2004.csv"
    assert main(["refgenes", str(table), "--group", "stage"]) == 2
    assert '--group: no column "stage"' in capsys.readouterr().err


def test_a_table_of_wells_gives_the_same_stability(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "wells.csv"
    write_colon_wells(table)
    assert main(["refgenes", str(table), "--out", str(tmp_path / "out")]) == 0
    assert "UBC 0.182, GAPD 0.215, TPT1 0.220" in capsys.readouterr().out
    written = pd.read_csv(tmp_path / "out" / "stability.csv").set_index("gene")
    assert written["normfinder_rho"].to_dict() == pytest.approx(NORMQPCR_RHO, abs=1e-9)


def test_candidates_can_be_chosen_from_a_table_of_wells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "wells.csv"
    write_colon_wells(table)
    assert main(["refgenes", str(table), "--genes", "UBC,GAPD,TPT1,ACTB"]) == 0
    out = capsys.readouterr().out
    ranked = re.search(r"geNorm, most to least stable: (.+)", out)
    assert ranked is not None
    assert sorted(ranked.group(1).split(", ")) == ["ACTB", "GAPD", "TPT1", "UBC"]


@pytest.mark.parametrize(
    ("edit", "arguments", "message"),
    [
        # A candidate without a Ct in one sample: geNorm and NormFinder need every gene everywhere.
        (lambda t: t.replace("Normal,90,UBC,", "Normal,90,UBC,Undetermined#"), [],
         'sample "90" \\(group "Normal"\\) has no Ct for candidate "UBC"'),
        (lambda t: t, ["--genes", "UBC,GAPDH,TPT1"], r"gene\(s\) GAPDH not in the table"),
        (lambda t: t.replace(",sample,", ",specimen,"), [], "needs a sample column"),
        (lambda t: t, ["--ct"], "--by-prefix, --ct and --group are for a table with a column"),
    ],
)  # fmt: skip
def test_a_table_of_wells_with_problems(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[str], str],
    arguments: list[str],
    message: str,
) -> None:
    table = tmp_path / "wells.csv"
    write_colon_wells(table)
    text = edit(table.read_text())
    table.write_text(re.sub(r"Undetermined#[^\n]*", "Undetermined", text))
    assert main(["refgenes", str(table), *arguments]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_by_takes_several_columns_as_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Constructed Cts (only the split into panels is tested): 2 tissues x 2 sexes, 3 samples each.
    lines = ["tissue,sex,sample,A,B,C"]
    for tissue in ("liver", "lung"):
        for sex in ("f", "m"):
            for i in range(3):
                lines.append(
                    f"{tissue},{sex},{tissue}{sex}{i},{20 + i / 10},{22 + i / 7},{24 + i / 5}"
                )
    table = tmp_path / "wide.csv"
    table.write_text("\n".join(lines) + "\n")
    assert main(["refgenes", str(table), "--by", "tissue,sex"]) == 0
    printed = capsys.readouterr().out
    for panel in ("liver / f", "liver / m", "lung / f", "lung / m"):
        assert f"\n{panel} (3 samples)" in printed
