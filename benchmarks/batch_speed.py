"""A batch of 10^4 primer pairs: one process against a two-worker Dask LocalCluster.

Random 20-nt pairs (thermodynamics and sequence rules for each, no records) and an off-target
search of every pair in a synthetic transcriptome (--mb megabases), whose index is built once
before either run is timed. Both runs give the same report (checked here too).

Run:  .venv/bin/python -P benchmarks/batch_speed.py [--pairs 10000] [--mb 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from assay.primers.batch import Cluster, validate_on_cluster
from assay.primers.dbindex import open_index
from assay.primers.model import Primer, PrimerPair
from assay.primers.offtarget import DatabaseSearch, _index_directory
from assay.primers.report import to_json_dict
from assay.primers.validate import validate_pairs

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--mb", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    pairs = [
        PrimerPair(gene=f"p{i}", forward=Primer(sequence=BASES[rng.integers(0, 4, 20)].tobytes()
                                                .decode()),
                   reverse=Primer(sequence=BASES[rng.integers(0, 4, 20)].tobytes().decode()),
                   anneal_temp_c=60.0)
        for i in range(args.pairs)
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        fasta = Path(folder) / "db.fa"
        with fasta.open("w") as out:
            for record in range(args.mb * 500):
                out.write(f">r{record}\n{BASES[rng.integers(0, 4, 2000)].tobytes().decode()}\n")
        start = time.perf_counter()
        open_index(fasta, directory=_index_directory(fasta))
        print(f"{args.pairs:,} pairs; {args.mb} Mb database indexed in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        search = DatabaseSearch(paths=(str(fasta),))
        start = time.perf_counter()
        single = validate_pairs(pairs, off_targets=search)
        one = time.perf_counter() - start
        print(f"one process:           {one:6.1f} s ({args.pairs / one:,.0f} pairs/s)")
        start = time.perf_counter()
        clustered = validate_on_cluster(pairs, Cluster(workers=args.workers), off_targets=search)
        many = time.perf_counter() - start
        print(
            f"LocalCluster of {args.workers}:     {many:6.1f} s ({args.pairs / many:,.0f} "
            f"pairs/s; x{one / many:.2f} of one process, cluster start-up included)"
        )
        same = to_json_dict(single) == to_json_dict(clustered)
        print(f"identical reports: {same}")


if __name__ == "__main__":
    main()
