"""Headless Chromium driven through chromedriver's W3C WebDriver protocol (HTTP on 127.0.0.1).

Used by the browser tests (the report opened from disk, the web page end to end). .ci/run
installs Debian's chromium and chromium-driver; elsewhere those tests are skipped, saying why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
needs_browser = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (Debian: apt-get install chromium "
    "chromium-driver); .ci/run installs them",
)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def webdriver() -> Iterator[str]:
    """A running chromedriver; yields its URL."""
    port = free_port()
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


def call(method: str, url: str, payload: dict[str, Any] | None = None) -> Any:
    """One WebDriver command; its value."""
    response = requests.request(method, url, json=payload, timeout=60)
    body = response.json()
    assert response.status_code == 200, body
    return body["value"]


@contextmanager
def session(driver: str, profile: Path, width: int = 1280, height: int = 2000) -> Iterator[str]:
    """A headless Chromium session; yields its command URL."""
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--window-size={width},{height}"]  # fmt: skip
    capabilities = {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        "goog:loggingPrefs": {"browser": "ALL"},
    }
    opened = call("POST", f"{driver}/session", {"capabilities": {"alwaysMatch": capabilities}})
    base = f"{driver}/session/{opened['sessionId']}"
    try:
        yield base
    finally:
        requests.delete(base, timeout=30)


def run_script(base: str, script: str, *args: Any) -> Any:
    """Run JavaScript in the page; its return value."""
    return call("POST", f"{base}/execute/sync", {"script": script, "args": list(args)})
