"""The web page in a real browser: headless Chromium analyses a real QuantStudio export.

The server is `assay.web` under waitress on 127.0.0.1; the browser uploads the file through the
page's file input, picks the reference gene and the calibrator by clicking options of the lists
the page built from the file (nothing typed), runs, and the fold changes it shows are held
against `assay analyze` on the same file. A screenshot of each page is kept in test-artifacts/.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import ARTIFACTS, call, free_port, needs_browser, run_script, session, webdriver
from cli_folds import EXAMPLE11, assert_shown_as_the_cli

pytest.importorskip("flask", reason="the web page's extra: pip install 'assay[web]'")
pytestmark = needs_browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    import waitress

    from assay.web import create_app

    port = free_port()
    app = create_app(tmp_path / "runs")
    served = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        served.close()


@pytest.fixture
def driver() -> Iterator[str]:
    with webdriver() as url:
        yield url


def _element(base: str, css: str) -> str:
    found = call("POST", f"{base}/element", {"using": "css selector", "value": css})
    return str(next(iter(found.values())))


def _shot(base: str, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(base64.b64decode(call("GET", f"{base}/screenshot")))


def test_the_browser_analyses_a_quantstudio_export_from_the_lists(
    server: str, driver: str, tmp_path: Path
) -> None:
    with session(driver, tmp_path / "profile", height=1400) as base:
        call("POST", f"{base}/url", {"url": f"{server}/analyse"})
        upload = _element(base, "input#files")
        call("POST", f"{base}/element/{upload}/value", {"text": str(EXAMPLE11)})
        call("POST", f"{base}/element/{_element(base, 'button#upload')}/click", {})
        # The click may return before the upload's page loads (a busy machine): wait for it.
        deadline = time.monotonic() + 60
        while "What was read" not in run_script(base, "return document.body.innerText;"):
            assert time.monotonic() < deadline, "the upload's page did not come"
            time.sleep(0.2)
        _shot(base, "web-setup.png")
        for css in ("select#reference option[value='IPC']", "select#control option[value='1600']"):
            call("POST", f"{base}/element/{_element(base, css)}/click", {})
        call("POST", f"{base}/element/{_element(base, 'button#run')}/click", {})
        deadline = time.monotonic() + 120
        while "Fold changes" not in run_script(base, "return document.body.innerText;"):
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.3)
        rows = run_script(
            base,
            """return Array.from(document.querySelectorAll(
            '#expression tr')).slice(1).map(r => [r.querySelector('.gene').innerText,
            r.querySelector('.group').innerText, r.querySelector('.fold_change').innerText]);""",
        )
        logs = call("POST", f"{base}/se/log", {"type": "browser"})
        _shot(base, "web-result.png")
    shown = {(gene, group): float(fold) for gene, group, fold in rows if fold}
    assert_shown_as_the_cli(shown, EXAMPLE11, tmp_path / "cli")
    assert [entry for entry in logs if entry.get("level") == "SEVERE"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli", "profile", "runs"]
