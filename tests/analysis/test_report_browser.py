"""The demo's report.html opened from disk in a real browser: headless Chromium via chromedriver.

chromedriver speaks the W3C WebDriver protocol over HTTP on 127.0.0.1; the test drives it with
requests. It checks that the page loads with no console errors and both figures decoded, and keeps
a screenshot in test-artifacts/ (not in git). .ci/run installs Debian's chromium and
chromium-driver, so this runs in CI; elsewhere it is skipped, saying why.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import ARTIFACTS, call, needs_browser, run_script, session, webdriver

from assay.cli.main import main

pytestmark = needs_browser


@pytest.fixture
def driver() -> Iterator[str]:
    with webdriver() as url:
        yield url


def test_report_renders_in_chromium(tmp_path: Path, driver: str) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    with session(driver, tmp_path / "profile") as base:
        call("POST", f"{base}/url", {"url": (out / "report.html").as_uri()})
        script = "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
        images = run_script(base, script)
        title = run_script(base, "return document.title;")
        text = run_script(base, "return document.body.innerText;")
        logs = call("POST", f"{base}/se/log", {"type": "browser"})
        screenshot = call("GET", f"{base}/screenshot")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(screenshot))
    assert title == "assay report: ct.csv"
    assert len(images) == 2
    assert all(complete and width > 1000 for complete, width in images)  # both figures decoded
    assert [entry for entry in logs if entry.get("level") == "SEVERE"] == []
    assert "76.71" in text
    assert "130.12" in text
