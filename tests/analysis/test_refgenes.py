"""geNorm on hand-worked matrices, its invariances, and the command on the real geNorm data set."""

from __future__ import annotations

import hashlib
import itertools
import re
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.analysis.refgenes import (
    genorm,
    genorm_m,
    normalisation_variation,
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
    panels = re.findall(r"^(\w+) \((\d+) samples\): most to least stable: (.+)$", out, re.M)
    assert [p[0] for p in panels] == ["BM", "FIB", "LEU", "NB", "POOL"]
    assert sum(int(p[1]) for p in panels) == 85  # PROVENANCE.md: 85 samples
    assert all(len(p[2].split(", ")) == 10 for p in panels)
    assert out.count("V2/3") == 5


def test_too_few_genes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "two.csv"
    table.write_text("sample,A,B\ns1,1,2\ns2,2,3\n")
    assert main(["refgenes", str(table)]) == 2
    assert "three or more numeric gene columns" in capsys.readouterr().err


def test_pairs_are_symmetric() -> None:
    data = {"A": [1.0, 2.0, 3.0], "B": [2.0, 2.5, 2.9], "C": [5.0, 1.0, 2.0]}
    variation = pairwise_variation(data)
    for j, k in itertools.permutations(data, 2):
        assert variation[(j, k)] == pytest.approx(variation[(k, j)])
