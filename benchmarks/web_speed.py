"""The web page's speed: start-up to the first page, and the demo analysis end to end.

`assay serve` is started in its own process on a free port; the time until its first page
answers is the start-up. The demo Ct table (data/example/ct.csv, cell lines as panels) is then
uploaded, the choices posted and the result page polled until it is there, over HTTP as a
browser would; the peer is `assay analyze` on the same table with the same choices, as its own
process. Acceptance (#30): first page < 1 s, the demo analysis < 3 s.

Run:  .venv/bin/python -P benchmarks/web_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ASSAY = Path(sys.executable).with_name("assay")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(runs: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """The server, its URL and the seconds until its first page answered."""
    port = free_port()
    began = time.perf_counter()
    server = subprocess.Popen([str(ASSAY), "serve", "--port", str(port), "--runs", str(runs)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{url}/", timeout=1).raise_for_status()
            return server, url, time.perf_counter() - began
        except requests.RequestException:
            time.sleep(0.01)


def analyse(url: str, table: Path) -> float:
    """Upload, choose, run and wait for the result page: seconds end to end."""
    began = time.perf_counter()
    with table.open("rb") as handle:
        answer = requests.post(f"{url}/analyse", files={"files": (table.name, handle)},
                               allow_redirects=False, timeout=60)  # fmt: skip
    found = re.search(r"/runs/([0-9a-f]{32})", answer.headers["Location"])
    assert found is not None
    run = found.group(1)
    requests.get(f"{url}/runs/{run}/setup", timeout=60).raise_for_status()
    chosen = {"reference": "GAPDH", "control": "control", "by": "cell_line", "interval": "ci",
              "correction": "bh"}  # fmt: skip
    requests.post(f"{url}/runs/{run}/setup", data=chosen, allow_redirects=False, timeout=60)
    while "Fold changes" not in requests.get(f"{url}/runs/{run}", timeout=60).text:
        time.sleep(0.02)
    return time.perf_counter() - began


def cli(table: Path, out: Path) -> float:
    began = time.perf_counter()
    subprocess.run([str(ASSAY), "analyze", str(table), "--reference", "GAPDH", "--control",
                    "control", "--by", "cell_line", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from assay.data import example_dir

    table = example_dir() / "ct.csv"
    starts, pages, peers = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.repeat):
            server, url, seconds = start(Path(tmp) / f"runs{number}")
            try:
                starts.append(seconds)
                pages.append(analyse(url, table))
            finally:
                server.terminate()
                server.wait(timeout=10)
            peers.append(cli(table, Path(tmp) / f"cli{number}"))
    print(f"start-up to the first page: median {statistics.median(starts):.2f} s "
          f"(of {args.repeat}: {', '.join(f'{s:.2f}' for s in starts)})")  # fmt: skip
    page, peer = statistics.median(pages), statistics.median(peers)
    print(f"demo analysis on the page, end to end: median {page:.2f} s; assay analyze as its "
          f"own process: {peer:.2f} s (page / CLI = {page / peer:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
