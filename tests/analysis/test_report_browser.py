"""The demo's report.html opened from disk in a real browser: headless Chromium via chromedriver.

chromedriver speaks the W3C WebDriver protocol over HTTP on 127.0.0.1; the test drives it with
requests. It checks that the page loads with no console errors and both figures decoded, and keeps
a screenshot in test-artifacts/ (not in git). .ci/run installs Debian's chromium and
chromium-driver, so this runs in CI; elsewhere it is skipped, saying why.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from assay.cli.main import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (Debian: apt-get install chromium "
    "chromium-driver); .ci/run installs them",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def webdriver() -> Iterator[str]:
    port = _free_port()
    assert DRIVER is not None
    with subprocess.Popen(
        [DRIVER, f"--port={port}", "--allowed-ips=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ) as driver:  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/status", timeout=2).json()["value"]["ready"]:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        try:
            yield url
        finally:
            driver.terminate()
            driver.wait(timeout=10)


def _call(method: str, url: str, payload: dict[str, Any] | None = None) -> Any:
    response = requests.request(method, url, json=payload, timeout=60)
    body = response.json()
    assert response.status_code == 200, body
    return body["value"]


def test_report_renders_in_chromium(tmp_path: Path, webdriver: str) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000"]  # fmt: skip
    capabilities = {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        "goog:loggingPrefs": {"browser": "ALL"},
    }
    session = _call("POST", f"{webdriver}/session", {"capabilities": {"alwaysMatch": capabilities}})
    base = f"{webdriver}/session/{session['sessionId']}"
    try:
        _call("POST", f"{base}/url", {"url": (out / "report.html").as_uri()})
        script = "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
        images = _call("POST", f"{base}/execute/sync", {"script": script, "args": []})
        title = _call(
            "POST", f"{base}/execute/sync", {"script": "return document.title;", "args": []}
        )
        text = _call("POST", f"{base}/execute/sync",
                     {"script": "return document.body.innerText;", "args": []})  # fmt: skip
        logs = _call("POST", f"{base}/se/log", {"type": "browser"})
        screenshot = _call("GET", f"{base}/screenshot")
    finally:
        requests.delete(base, timeout=30)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(screenshot))
    assert title == "assay report: ct.csv"
    assert len(images) == 2
    assert all(complete and width > 1000 for complete, width in images)  # both figures decoded
    assert [entry for entry in logs if entry.get("level") == "SEVERE"] == []
    assert "76.71" in text
    assert "130.12" in text
