"""Off-target search: assay's index against a full scan, ipcress, seqkit amplicon, primersearch.

The data is a synthetic transcriptome with products planted at known places.

Run:  .venv/bin/python -P benchmarks/offtarget_speed.py [--records 100000] [--pairs 100]
Peers: Debian packages exonerate, seqkit, emboss (apt-get install exonerate seqkit emboss); a tool
that is missing or runs past --timeout is reported as such.

Planted per pair (cycling through): an exact product; one on the minus strand; one with 1-3
mismatches inside the primers (away from the 3' end); two in one record; a forward-forward product;
and two that must NOT count: a 3'-terminal mismatch, and a product 1 bp above the size limit.
Every tool gets the same FASTA and primers, at up to --mismatches per primer; recall and precision
are measured on the planted products (a tool's extra products in the random background count
against its precision only if they are not planted ones).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Result:
    """One tool's run: wall time, its own peak memory, and the products it reported."""

    seconds: float
    peak_mb: float
    found: list[tuple[str, str, int]]


BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
MAX_PRODUCT = 4000
PRIMER_LENGTH = 20


def revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGT", "TGCA"))[::-1]


def random_seq(rng: np.random.Generator, n: int) -> str:
    return BASES[rng.integers(0, 4, n)].tobytes().decode()


def mutate(seq: str, positions_from_3prime: list[int]) -> str:
    chars = list(seq)
    for d in positions_from_3prime:
        i = len(chars) - d
        chars[i] = "ACGT"[("ACGT".index(chars[i]) + 1) % 4]
    return "".join(chars)


def make_dataset(
    folder: Path, records: int, pairs: int, seed: int
) -> tuple[Path, Path, set[tuple[str, str, int]], set[tuple[str, str]]]:
    """Write db.fa and pairs.tsv.

    Returns:
        The two files, the planted products {(pair, record, bp)} and the plants that must not
        count {(pair, record)}.
    """
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(1800), 0.5, records), 500, 12000).astype(int)
    primer_pairs = [
        (random_seq(rng, PRIMER_LENGTH), random_seq(rng, PRIMER_LENGTH)) for _ in range(pairs)
    ]
    plants: dict[int, list[tuple[int, str]]] = {}  # record -> [(position, text)]
    truth: set[tuple[str, str, int]] = set()
    forbidden: set[tuple[str, str]] = set()
    used: set[int] = set()

    def free_record(min_length: int) -> int:
        while True:
            r = int(rng.integers(0, records))
            if r not in used and lengths[r] >= min_length:
                used.add(r)
                return r

    for p, (fwd, rev) in enumerate(primer_pairs):
        kind = p % 7
        size = int(rng.integers(100, 1000))
        name = f"pair{p}"
        if kind == 6:  # just above the size limit: must not count
            size = MAX_PRODUCT + 1
            lengths_needed = size + 100
        else:
            lengths_needed = size + 100
        r = free_record(lengths_needed)
        at = int(rng.integers(0, lengths[r] - size))
        f_text, r_text = fwd, rev
        counts = True
        if kind == 2:
            f_text = mutate(fwd, [8, 13])  # two mismatches, far from the 3' end
            r_text = mutate(rev, [10])
        if kind == 3:
            f_text = mutate(fwd, [1])  # 3'-terminal mismatch: must not count
            counts = False
        if kind == 6:
            counts = False
        if kind == 5:  # forward primer alone on both strands
            plants.setdefault(r, []).extend(
                [(at, f_text), (at + size - PRIMER_LENGTH, revcomp(f_text))]
            )
        elif kind == 1:  # the whole product on the minus strand
            plants.setdefault(r, []).extend(
                [(at, r_text), (at + size - PRIMER_LENGTH, revcomp(f_text))]
            )
        else:
            plants.setdefault(r, []).extend(
                [(at, f_text), (at + size - PRIMER_LENGTH, revcomp(r_text))]
            )
        if counts:
            truth.add((name, f"rec{r}", size))
        else:
            forbidden.add((name, f"rec{r}"))
        if kind == 4:  # a second product in the same record
            second = int(rng.integers(150, 600))
            start = at + size + 50
            if start + second < lengths[r]:
                plants[r].extend([(start, fwd), (start + second - PRIMER_LENGTH, revcomp(rev))])
                truth.add((name, f"rec{r}", second))
                # The first forward and the second reverse primer make a third, longer product.
                truth.add((name, f"rec{r}", start + second - at))
    fasta = folder / "db.fa"
    with fasta.open("w") as handle:
        for r in range(records):
            seq = random_seq(rng, int(lengths[r]))
            for position, text in plants.get(r, []):
                seq = seq[:position] + text + seq[position + len(text) :]
            handle.write(f">rec{r}\n")
            for i in range(0, len(seq), 80):
                handle.write(seq[i : i + 80] + "\n")
    table = folder / "pairs.tsv"
    table.write_text("".join(f"pair{p}\t{f}\t{r}\n" for p, (f, r) in enumerate(primer_pairs)))
    return fasta, table, truth, forbidden


ASSAY = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from assay.primers.binding import PrimingRule
    from assay.primers.model import Primer, PrimerPair
    from assay.primers.offtarget import search_pairs
    fasta, table, method = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    mismatches = int(sys.argv[4])
    rule = PrimingRule(max_mismatches=mismatches, max_three_prime_mismatches=1)
    start = time.perf_counter()
    queries = []
    for line in table.read_text().splitlines():
        name, f, r = line.split("\\t")
        queries.append((PrimerPair(gene=name, forward=Primer(sequence=f),
                                   reverse=Primer(sequence=r)), ()))
    hits, how = search_pairs(queries, [fasta], rule=rule, method=method)
    found = [(pair.gene, o.record, o.product_bp) for (pair, _), os in zip(queries, hits)
             for o in os]
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "found": found, "how": how}))
    """
)


def run_python(
    code: str, fasta: Path, table: Path, timeout: float, method: str, mismatches: int
) -> Result | None:
    try:
        done = subprocess.run(
            [sys.executable, "-P", "-c", code, str(fasta), str(table), method, str(mismatches)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    data = json.loads(done.stdout.strip().splitlines()[-1])
    found = [(str(p), str(r), int(n)) for p, r, n in data["found"]]
    return Result(seconds=float(data["seconds"]), peak_mb=float(data["peak_mb"]), found=found)


def timed(argv: list[str], timeout: float, cwd: Path) -> tuple[float, float, str] | None:
    """Run a command; return wall seconds, its own peak RSS (MB) and its output."""
    out = cwd / "stdout.txt"
    start = time.perf_counter()
    with out.open("w") as handle:
        child = subprocess.Popen(argv, stdout=handle, stderr=subprocess.DEVNULL, cwd=cwd)
        deadline = start + timeout
        while True:
            pid, _, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                child.wait()
                return None
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, out.read_text()


def run_ipcress(fasta: Path, table: Path, timeout: float, mismatches: int) -> Result | None:
    spec = fasta.parent / "pairs.ipcress"
    spec.write_text(
        "".join(
            f"{n} {f} {r} 50 {MAX_PRODUCT}\n"
            for n, f, r in (line.split("\t") for line in table.read_text().splitlines())
        )
    )
    out = timed(
        [
            "ipcress",
            "--input",
            str(spec),
            "--sequence",
            str(fasta),
            "--mismatch",
            str(mismatches),
            "--pretty",
            "false",
        ],
        timeout,
        fasta.parent,
    )
    if out is None:
        return None
    found = []
    for line in out[2].splitlines():
        words = line.split()
        if (
            words and words[0] == "ipcress:"
        ):  # ipcress: seq:filter expt length A pos mm B pos mm type
            found.append((words[2], words[1].split(":")[0], int(words[3])))
    return Result(seconds=out[0], peak_mb=out[1], found=found)


def run_seqkit(fasta: Path, table: Path, timeout: float, mismatches: int) -> Result | None:
    out = timed(
        [
            "seqkit",
            "amplicon",
            "-p",
            str(table),
            "-m",
            str(mismatches),
            "--bed",
            "-j",
            "2",
            str(fasta),
        ],
        timeout,
        fasta.parent,
    )
    if out is None:
        return None
    found = []
    for line in out[2].splitlines():
        words = line.split("\t")
        if len(words) >= 4:
            size = int(words[2]) - int(words[1])
            if size <= MAX_PRODUCT:
                found.append((words[3], words[0], size))
    return Result(seconds=out[0], peak_mb=out[1], found=found)


def run_primersearch(fasta: Path, table: Path, timeout: float, mismatches: int) -> Result | None:
    del mismatches  # primersearch takes a percentage: 15 % of a 20-mer is 3
    spec = fasta.parent / "pairs.primersearch"
    spec.write_text(table.read_text().replace("\t", " "))
    report = fasta.parent / "primersearch.out"
    out = timed(
        [
            "primersearch",
            "-seqall",
            str(fasta),
            "-infile",
            str(spec),
            "-mismatchpercent",
            "15",
            "-outfile",
            str(report),
            "-auto",
        ],
        timeout,
        fasta.parent,
    )
    if out is None:
        return None
    found, pair, record = [], "", ""
    for line in report.read_text().splitlines():
        line = line.strip()
        if line.startswith("Primer name"):
            pair = line.split()[-1]
        elif line.startswith("Sequence:"):
            record = line.split()[1]
        elif line.startswith("Amplimer length:"):
            size = int(line.split()[2])
            if size <= MAX_PRODUCT:
                found.append((pair, record, size))
    return Result(seconds=out[0], peak_mb=out[1], found=found)


def score(
    found: list[tuple[str, str, int]],
    truth: set[tuple[str, str, int]],
    forbidden: set[tuple[str, str]],
) -> tuple[float, float]:
    scored = {(p, r) for p, r, _ in truth} | forbidden
    got = {(str(p), str(r), int(s)) for p, r, s in found}
    hits = got & truth
    # A product reported on a planted record that is not a planted product (the 3'-terminal
    # mismatch, the oversized product) is an error; products a pair finds by chance in the random
    # background are not scored.
    wrong = {g for g in got - truth if (g[0], g[1]) in scored}
    recall = len(hits) / len(truth) if truth else 1.0
    precision = len(hits) / (len(hits) + len(wrong)) if hits or wrong else 1.0
    return recall, precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mismatches", type=int, default=2, help="per primer (3' rule: 1)")
    parser.add_argument("--skip", default="", help="comma-separated tools to skip")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        fasta, table, truth, forbidden = make_dataset(folder, args.records, args.pairs, args.seed)
        mb = fasta.stat().st_size / 1e6
        print(
            f"database: {args.records} records, {mb:.0f} MB FASTA, {len(truth)} planted "
            f"products (made in {time.perf_counter() - start:.0f} s)"
        )
        results: dict[str, Result | None] = {}
        m = args.mismatches
        results["assay first search (scan)"] = run_python(ASSAY, fasta, table, args.timeout,
                                                         "auto", m)  # fmt: skip
        results["assay index build + query"] = run_python(ASSAY, fasta, table, args.timeout,
                                                          "index", m)  # fmt: skip
        results["assay repeat (index built)"] = run_python(ASSAY, fasta, table, args.timeout,
                                                           "index", m)  # fmt: skip
        peers = {"ipcress": run_ipcress, "seqkit": run_seqkit, "primersearch": run_primersearch}
        for tool, runner in peers.items():
            if tool in skip:
                continue
            if shutil.which(tool) is None:
                print(f"{tool}: not installed (apt-get install exonerate seqkit emboss)")
                continue
            results[tool] = runner(fasta, table, args.timeout, args.mismatches)
        base = results.get("ipcress") or results["assay first search (scan)"]
        base_s = base.seconds if base else float("nan")
        header = ("tool", "recall", "precision", "seconds", "peak MB", "x peer")
        widths = (30, 7, 9, 9, 8, 8)
        print(" ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
                       for i, (h, w) in enumerate(zip(header, widths, strict=True))))  # fmt: skip
        for tool, result in results.items():
            if result is None:
                print(f"{tool:<30} {'timed out after ' + str(int(args.timeout)) + ' s':>45}")
                continue
            recall, precision = score(result.found, truth, forbidden)
            print(
                f"{tool:<30} {recall:>7.1%} {precision:>9.1%} {result.seconds:>9.1f} "
                f"{result.peak_mb:>8.0f} {result.seconds / base_s:>8.2f}"
            )


if __name__ == "__main__":
    main()
