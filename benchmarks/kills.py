"""SIGKILL `assay analyze`, `assay curves` and `assay design` mid-run, into a previous result.

Each command first writes a whole result; then, `KILLS` times (default 25), the same command
with other choices is started and killed after a random delay within its usual run time. After
each kill the place must hold the old result or the new one, whole (every file present and
readable; for design, the JSON, table and order sheet of one run) or be missing with the old
result beside it, put back by the next run. After the next run completes, no staging folder,
part or journal may be left. Usage::

    .venv/bin/python benchmarks/kills.py [KILLS]
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ASSAY = [str(Path(sys.executable).parent / "assay")]  # the console script, as a user runs it
CT = ROOT / "data" / "example" / "ct.csv"
RDML = SHARED / "instrument_exports" / "rdml" / "stepone_std.rdml"


def _commands(work: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per command: the run that writes the previous result, and the run that is killed."""
    out = str(work / "out")
    design = ["design", "NM_002046.7", "--offline", "--cache", str(work / "cache"), "--organism",
              "none", "--json", str(work / "d.json"), "--table", str(work / "d.tsv"), "--order",
              str(work / "d.csv")]  # fmt: skip
    analyze = ["analyze", str(CT), "--reference", "GAPDH", "--by", "cell_line", "--out", out]
    return {
        "analyze": ([*analyze, "--control", "control"], [*analyze, "--control", "control",
                                                          "--ci-level", "90"]),
        "curves": (["curves", str(RDML), "--out", out], ["curves", str(RDML), "--out", out]),
        "design": ([*design, "--pairs", "2"], [*design, "--pairs", "4"]),
    }  # fmt: skip


def _whole(kind: str, work: Path) -> str:
    """What is wrong with the place's result; empty when it holds one run's result whole."""
    if kind == "design":
        try:
            pairs = len(json.loads((work / "d.json").read_text())["designs"][0]["pairs"])
            rows = len((work / "d.tsv").read_text().strip().splitlines()) - 1
        except (OSError, ValueError, KeyError, IndexError) as error:
            return f"design outputs unreadable: {error}"
        return "" if pairs == rows else f"JSON of {pairs} pairs beside a table of {rows}"
    out = work / "out"
    if not out.is_dir():
        aside = list(work.glob(".out.*.old"))
        return "" if aside else "results folder missing and no old one beside it"
    names = {p.name for p in out.iterdir()}
    if ".assay-output" not in names:
        return f"results folder without its marker: {sorted(names)}"
    wanted = (
        {"analysis.json", "report.html"} if kind == "analyze" else {"curves.csv", "report.html"}
    )
    return "" if wanted <= names else f"results folder lacks {sorted(wanted - names)}"


def _leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in work.iterdir()
                  if p.name.endswith((".new", ".old", ".part", ".together")))  # fmt: skip


def main() -> int:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    random.seed(31)
    problems = 0
    for kind in ("analyze", "curves", "design"):
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            first, killed = _commands(work)[kind]
            subprocess.run([*ASSAY, *first], check=True, capture_output=True, cwd=ROOT)
            started = time.perf_counter()
            subprocess.run([*ASSAY, *killed], check=True, capture_output=True, cwd=ROOT)
            took = time.perf_counter() - started
            wrong = 0
            for _ in range(kills):
                child = subprocess.Popen([*ASSAY, *killed], cwd=ROOT, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)  # fmt: skip
                time.sleep(random.uniform(0.3, 1.0) * took)
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                said = _whole(kind, work)
                if said:
                    wrong += 1
                    print(f"  {kind}: after a kill: {said}")
                subprocess.run([*ASSAY, *killed], check=True, capture_output=True, cwd=ROOT)
                left = _leftovers(work)
                said = _whole(kind, work)
                if left or said:
                    wrong += 1
                    print(f"  {kind}: after the next run: {said or ''} {left or ''}")
            problems += wrong
            print(f"{kind:8} {kills} kills over a {took:.1f} s run: {wrong} problems", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
