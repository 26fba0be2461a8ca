"""`assay serve`: the local web page (pages for analysing plates; the runs kept on disk)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assay.cli.options import whole_number

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `assay serve`."""
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only)",
    )  # fmt: skip
    parser.add_argument("--port", type=whole_number, default=8765, help="port (default 8765)")
    parser.add_argument("--open", action="store_true", help="open the page in the browser")
    parser.add_argument(
        "--cache", type=Path, metavar="DIR",
        help="record cache and organism databases (default: ASSAY_CACHE, else ~/.cache/assay)",
    )  # fmt: skip
    parser.add_argument(
        "--runs", type=Path, metavar="DIR",
        help="where each run's files are kept (default: the cache's runs/ folder)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Start the server until interrupted."""
    from assay.errors import InputError

    try:
        import waitress
    except ImportError:
        raise InputError("the web page needs its extra: pip install 'assay[web]'") from None
    from assay.primers.cache import default_cache_dir
    from assay.web import create_app

    if not 1 <= args.port <= 65535:
        raise InputError("is not a port (1-65535)", column="--port", value=args.port)
    if args.host not in LOOPBACK:
        print(f"WARNING: listening on {args.host}: anyone who can reach this computer on the "
              "network can use the page and read its runs", file=sys.stderr)  # fmt: skip
    cache = args.cache or default_cache_dir()
    runs = args.runs or cache / "runs"
    app = create_app(runs, cache=cache)
    url = f"http://{'127.0.0.1' if args.host in LOOPBACK else args.host}:{args.port}/"
    print(f"assay is at {url} (runs kept in {runs}); Ctrl+C to stop", flush=True)
    if args.open:
        import threading
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    waitress.serve(app, host=args.host, port=args.port, threads=8, _quiet=True)
    return 0
