"""Organism databases at genome size: the compact index's build, size and search, against ipcress.

A synthetic genome (default 3.1 Gb, human-sized, in 24 chromosomes) is written with products
planted for 20 primer pairs (cycling through the kinds of `offtarget_speed.py`: exact, on the minus
strand, mismatches away from the 3' end, forward-forward, two in one chromosome, and two that must
NOT count: a 3'-terminal mismatch and a product 1 bp above the size limit). assay indexes it
(`genome.build_compact_index`, in its own process: time and peak memory) and searches the 20
pairs at up to 2 mismatches twice, cold (a new process, page cache dropped where allowed) and
warm; ipcress (apt-get install exonerate) searches the same FASTA. Recall and precision are on
the planted products.

Run:  .venv/bin/python -P benchmarks/genome_speed.py [--bases 3.1e9] [--skip ipcress]
Acceptance (#28): index <= 2 bytes/base, build <= 30 min and <= 12 GB peak, 20 pairs warm <= 10 s,
every planted product found, none that must not count.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from offtarget_speed import (  # the sibling benchmark's planting and peers
    MAX_PRODUCT,
    PRIMER_LENGTH,
    mutate,
    random_seq,
    revcomp,
    run_ipcress,
    score,
    timed,
)

PAIRS = 20
CHROMOSOMES = 24


def make_genome(
    folder: Path, bases: int, seed: int
) -> tuple[Path, Path, set[tuple[str, str, int]], set[tuple[str, str]]]:
    """Write genome.fa and pairs.tsv; return them, the planted products and the forbidden ones."""
    rng = np.random.default_rng(seed)
    pairs = [(random_seq(rng, PRIMER_LENGTH), random_seq(rng, PRIMER_LENGTH))
             for _ in range(PAIRS)]  # fmt: skip
    size = bases // CHROMOSOMES
    plants: dict[int, list[tuple[int, str]]] = {}
    truth: set[tuple[str, str, int]] = set()
    forbidden: set[tuple[str, str]] = set()
    for p, (fwd, rev) in enumerate(pairs):
        kind, chromosome = p % 7, p % CHROMOSOMES
        name, at = f"pair{p}", int(rng.integers(1000, size - 10_000))
        length = MAX_PRODUCT + 1 if kind == 6 else int(rng.integers(100, 1000))
        f_text, r_text, counts = fwd, rev, kind not in (3, 6)
        if kind == 2:
            f_text, r_text = mutate(fwd, [8, 13]), mutate(rev, [10])
        if kind == 3:
            f_text = mutate(fwd, [1])
        if kind == 5:
            places = [(at, f_text), (at + length - PRIMER_LENGTH, revcomp(f_text))]
        elif kind == 1:
            places = [(at, r_text), (at + length - PRIMER_LENGTH, revcomp(f_text))]
        else:
            places = [(at, f_text), (at + length - PRIMER_LENGTH, revcomp(r_text))]
        if kind == 4:
            second, start = int(rng.integers(150, 600)), at + length + 50
            places += [(start, fwd), (start + second - PRIMER_LENGTH, revcomp(rev))]
            truth |= {(name, f"chr{chromosome}", second),
                      (name, f"chr{chromosome}", start + second - at)}  # fmt: skip
        plants.setdefault(chromosome, []).extend(places)
        if counts:
            truth.add((name, f"chr{chromosome}", length))
        else:
            forbidden.add((name, f"chr{chromosome}"))
    fasta = folder / "genome.fa"
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with fasta.open("wb") as handle:
        for chromosome in range(CHROMOSOMES):
            handle.write(f">chr{chromosome} synthetic\n".encode())
            sequence = letters[rng.integers(0, 4, size, dtype=np.uint8)]
            for position, text in plants.get(chromosome, []):
                sequence[position : position + len(text)] = np.frombuffer(text.encode(), np.uint8)
            width = 80
            whole = size - size % width
            lines = np.empty((whole // width, width + 1), dtype=np.uint8)
            lines[:, :width] = sequence[:whole].reshape(-1, width)
            lines[:, width] = ord("\n")
            handle.write(lines.tobytes())
            if size % width:
                handle.write(sequence[whole:].tobytes() + b"\n")
    table = folder / "pairs.tsv"
    table.write_text("".join(f"pair{p}\t{f}\t{r}\n" for p, (f, r) in enumerate(pairs)))
    return fasta, table, truth, forbidden


BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assay.primers.genome import build_compact_index
    last = [0.0]
    def said(text):
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(text, file=sys.stderr, flush=True)
    build_compact_index(Path(sys.argv[1]), Path(sys.argv[2]), label="synthetic genome",
                        part="genome", progress=said)
    """
)

SEARCH = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    start = time.perf_counter()
    from assay.primers.binding import PrimingRule
    from assay.primers.model import Primer, PrimerPair
    from assay.primers.offtarget import search_pairs
    queries = []
    for line in Path(sys.argv[2]).read_text().splitlines():
        name, f, r = line.split("\\t")
        queries.append((PrimerPair(gene=name, forward=Primer(sequence=f),
                                   reverse=Primer(sequence=r)), ()))
    rule = PrimingRule(max_mismatches=2, max_three_prime_mismatches=1)
    hits, _ = search_pairs(queries, [Path(sys.argv[1])], rule=rule)
    found = [(p.gene, o.record, o.product_bp) for (p, _), os in zip(queries, hits) for o in os]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak, "found": found}))
    """
)


def drop_caches() -> bool:
    """Empty the page cache (root only), so that a search reads the index from disk."""
    with contextlib.suppress(OSError):
        subprocess.run(["sync"], check=False)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bases", type=float, default=3.1e9)
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--skip", default="", help="ipcress to skip it")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        fasta, table, truth, forbidden = make_genome(folder, int(args.bases), args.seed)
        written = time.perf_counter() - began
        print(f"genome: {args.bases / 1e9:.2f} Gb in {CHROMOSOMES} chromosomes, {len(truth)} "
              f"planted products (written in {written:.0f} s)", flush=True)  # fmt: skip
        index = folder / "index"
        built = timed([sys.executable, "-P", "-c", BUILD, str(fasta), str(index)], args.timeout,
                      folder)  # fmt: skip
        if built is None:
            print(f"index build: timed out after {args.timeout:.0f} s")
            return
        on_disk = sum(p.stat().st_size for p in index.iterdir())
        per_base = on_disk / args.bases
        print(f"index build: {built[0]:.0f} s, peak {built[1] / 1024:.2f} GB; on disk "
              f"{on_disk / 1e9:.2f} GB = {per_base:.2f} bytes/base", flush=True)  # fmt: skip
        cold = drop_caches()
        rows = []
        for label in ("cold" if cold else "first", "warm"):
            done = subprocess.run([sys.executable, "-P", "-c", SEARCH, str(index), str(table)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            data = json.loads(done.stdout.strip().splitlines()[-1])
            found = [(str(p), str(r), int(n)) for p, r, n in data["found"]]
            recall, precision = score(found, truth, forbidden)
            rows.append((f"assay, 20 pairs ({label})", recall, precision, data["seconds"],
                         data["peak_mb"]))  # fmt: skip
        if "ipcress" not in args.skip.split(","):
            result = run_ipcress(fasta, table, args.timeout, 2)
            if result is None:
                rows.append((f"ipcress (timed out after {args.timeout:.0f} s)", float("nan"),
                             float("nan"), args.timeout, float("nan")))  # fmt: skip
            else:
                recall, precision = score(result.found, truth, forbidden)
                rows.append(("ipcress, 20 pairs", recall, precision, result.seconds,
                             result.peak_mb))  # fmt: skip
        peer = rows[-1][3] if len(rows) > 2 else float("nan")
        print(f"{'search':<34} {'recall':>7} {'precision':>9} {'seconds':>8} {'peak MB':>8} "
              f"{'x ipcress':>9}")  # fmt: skip
        for name, recall, precision, seconds, peak in rows:
            print(f"{name:<34} {recall:>7.1%} {precision:>9.1%} {seconds:>8.1f} {peak:>8.0f} "
                  f"{seconds / peer:>9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
