"""Agreement with RDML-Tools' own LinRegPCR results, beside the RDML consortium's library.

Data: shared/curves/untergasser: probes.rdml (hydrolysis probes, 504 reactions, 108 target
groups) and volume_machine.rdml (three instruments), each with the results file RDML-Tools wrote
for it (probes_results.tsv, volume_results.tsv: per reaction its amplification call, individual
and target ("PCR eff") efficiency).

Compared with those results files, per reaction the amplification call and per target (run and
target) the efficiency within 0.05 and 0.01:
- assay's `assay curves` (LinRegPCR's log phase decides the call; the target efficiency is the
  mean of its reactions' window-of-linearity efficiencies within 5 % of their median);
- the peer: rdmlpython 1.7.2's `Run.linRegPCR` (the library RDML-Tools is built on), its
  "mean PCR eff", run on the same file. It needs numpy<2: install it apart
  (python3 -m venv /tmp/rvenv && /tmp/rvenv/bin/pip install rdmlpython "numpy<2" scipy lxml) and
  pass --peer-python; skipped, saying so, when missing. It cannot read RDML 1.4, so it gets a
  copy whose version attribute says 1.3 (nothing else changed), made in its own process.

What it shows (2026-12-07): the results files were written by a later RDML-Tools than the
published library; the library itself reproduces their target efficiencies for only about 40 %
of targets, so that part of the results is not a number any implementation of the published
method can be held to.

With --write-n0 FOLDER it writes instead the peer's N0 per reaction of probes.rdml and
eva_green_a.rdml (the test fixtures tests/analysis/fixtures/curves/rdmlpython/*_rdmlpython_n0.tsv).

Run:  .venv/bin/python -P benchmarks/rdml_tools_agreement.py [--peer-python PATH] [--write-n0 DIR]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path
from typing import TypeVar

import numpy as np

from assay.analysis.instruments import read_export
from assay.analysis.rawcurves import analyse_exports

UNTERGASSER = Path(__file__).resolve().parents[2] / "shared" / "curves" / "untergasser"
FILES = (("probes.rdml", "probes_results.tsv"), ("volume_machine.rdml", "volume_results.tsv"))
PEER = """
import os, sys, tempfile, zipfile
from rdmlpython import rdml
xml = zipfile.ZipFile(sys.argv[1]).read("rdml_data.xml").decode()
copy = os.path.join(tempfile.mkdtemp(), "v13.rdml")  # rdmlpython reads RDML 1.3 only
xml = xml.replace('version="1.4"', 'version="1.3"', 1)
zipfile.ZipFile(copy, "w").writestr("rdml_data.xml", xml)
document = rdml.Rdml(copy)
for experiment in document.experiments():
    for run in experiment.runs():
        found = run.linRegPCR(saveResultsList=True, updateRDML=False, pcrEfficiencyExl=0.05)
        header = found["resultsList"][0]
        for row in found["resultsList"][1:]:
            named = dict(zip(header, row))
            print("\\t".join(str(v) for v in (experiment["id"], run["id"], named["well"],
                  named["target"], named["amplification"], named["mean PCR eff"],
                  named["N0 (mean eff)"])))
"""
# The peer's N0 per reaction, kept as test fixtures (tests/analysis/fixtures/curves/rdmlpython):
# a hydrolysis-probe file and a DNA-binding-dye file, for the chemistry's signal lag.
N0_FILES = ("probes.rdml", "eva_green_a.rdml")
N0_HEADER = "run\twell\ttarget\tamplification\tmean PCR eff\tN0 (mean eff)"

Key = tuple[str, str, str]  # experiment, run, and well (calls) or target (efficiencies)
T = TypeVar("T")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def published(name: str) -> tuple[dict[Key, bool], dict[Key, float]]:
    """RDML-Tools' calls by (experiment, run, well), efficiencies by (experiment, run, target)."""
    with (UNTERGASSER / name).open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["well"] != "well"]
    calls = {(r["Experiment"], r["Run"], r["well"]): r["amplification"] == "True" for r in rows}
    efficiencies = {(r["Experiment"], r["Run"], r["target"]): _number(r["PCR eff"]) for r in rows}
    return calls, efficiencies


def ours(path: Path) -> tuple[dict[Key, bool], dict[Key, float]]:
    """Calls and target efficiencies of `assay curves`, keyed as the results file keys them."""
    export = read_export(path, raw=True)
    assert export is not None
    analysis = analyse_exports([export])

    def key(plate: str) -> tuple[str, str]:
        # A file of one experiment names a plate by its run alone: the experiment is "".
        experiment, _, run = plate.partition(" / ")
        return (experiment, run) if run else ("", experiment)

    reactions = analysis.reactions
    calls = {}
    for plate, well, amplified in zip(reactions["plate"], reactions["well"],
                                      reactions["amplified"], strict=True):  # fmt: skip
        experiment, run = key(str(plate))
        calls[(experiment, run, str(well))] = bool(amplified)
    efficiencies = {}
    for row in analysis.targets.to_dict(orient="records"):
        plate = str(row["file"]).split(" (", 1)[1].rstrip(")") if " (" in str(row["file"]) else ""
        experiment, run = key(plate)
        efficiencies[(experiment, run, str(row["target"]))] = float(row["efficiency"])
    return calls, efficiencies


def peer_rows(python: str, path: Path) -> list[list[str]]:
    """The peer's (rdmlpython 1.7.2) experiment, run, well, target, call, mean PCR eff, N0."""
    done = subprocess.run([python, "-c", PEER, str(path)], capture_output=True, text=True,
                          check=True, timeout=3600)  # fmt: skip
    return [line.split("\t") for line in done.stdout.splitlines()]


def peer(python: str, path: Path) -> tuple[dict[Key, bool], dict[Key, float]]:
    """The peer's calls and "mean PCR eff" on the same file."""
    calls, efficiencies = {}, {}
    for experiment, run, well, target, amplified, mean, _ in peer_rows(python, path):
        calls[(experiment, run, well)] = amplified == "True"
        efficiencies[(experiment, run, target)] = _number(mean)
    return calls, efficiencies


def _lookup(table: dict[Key, T], key: Key) -> T | None:
    """The entry of `key`, or of its run and well where the experiment is not named."""
    return table.get(key, table.get(("", key[1], key[2])))


def compare(
    name: str,
    found: tuple[dict[Key, bool], dict[Key, float]],
    truth: tuple[dict[Key, bool], dict[Key, float]],
) -> None:
    calls, efficiencies = found
    true_calls, true_efficiencies = truth

    agree = sum(_lookup(calls, k) == v for k, v in true_calls.items())
    targets = [k for k, v in true_efficiencies.items() if np.isfinite(v)]
    gaps = np.array([abs((_lookup(efficiencies, k) or np.nan) - true_efficiencies[k])
                     for k in targets])  # fmt: skip
    within = [float(np.mean(np.nan_to_num(gaps, nan=np.inf) < limit)) for limit in (0.05, 0.01)]
    print(
        f"  {name:<24}calls {agree}/{len(true_calls)} ({agree / len(true_calls):.3f}); "
        f"target efficiency within 0.05: {within[0]:.3f}, within 0.01: {within[1]:.3f} "
        f"(of {len(targets)}; {int(np.isnan(gaps).sum())} without one)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer-python", default="/tmp/rvenv/bin/python")
    parser.add_argument("--write-n0", metavar="FOLDER", help="write the peer's N0 fixtures there")
    args = parser.parse_args()
    if args.write_n0:
        for rdml_name in N0_FILES:
            rows = peer_rows(args.peer_python, UNTERGASSER / rdml_name)
            table = Path(args.write_n0) / f"{Path(rdml_name).stem}_rdmlpython_n0.tsv"
            table.write_text("\n".join([N0_HEADER] + ["\t".join(r[1:]) for r in rows]) + "\n")
            print(f"{table}: {len(rows)} reactions")
        return
    for rdml_name, results in FILES:
        path = UNTERGASSER / rdml_name
        truth = published(results)
        print(f"{rdml_name} against {results}:")
        compare("assay", ours(path), truth)
        if Path(args.peer_python).exists():
            compare("rdmlpython 1.7.2", peer(args.peer_python, path), truth)
        else:
            print(f"  peer: rdmlpython not found at {args.peer_python} (see the docstring)")


if __name__ == "__main__":
    main()
