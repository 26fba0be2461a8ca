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
from shared import INSTRUMENT_EXPORTS, STUART, cfx_sheet, stuart_sheet

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


CFX_FIXTURE = (Path(__file__).parent / "fixtures" / "instrument_exports" / "cfx"
               / "username_date_time_model - Quantification Cq Results_0.csv")  # fmt: skip


@pytest.mark.parametrize(
    "case",
    [
        "sds",  # 95 genes x 8 groups: the heatmap and a long table
        "cfx-pfaffl",  # efficiency-corrected from the file's own standards
        "quantstudio-384",  # a 384-well plate, two reference genes
        "lightcycler-10",  # ten groups (two strains x five growth phases), 5S rRNA reference
    ],
)
def test_reports_of_real_exports_fit_1280_pixels(tmp_path: Path, driver: str, case: str) -> None:
    argv = {
        "sds": [str(INSTRUMENT_EXPORTS / "abi_sds" / "example.txt")],
        "cfx-pfaffl": [str(CFX_FIXTURE), "--samples", str(cfx_sheet(tmp_path)), "--reference",
                       "reference.gene", "--control", "control", "--standard-curve",
                       str(CFX_FIXTURE)],
        "quantstudio-384": [str(INSTRUMENT_EXPORTS / "quantstudio_csv" / "RELATIVE_example.csv")],
        "lightcycler-10": [str(STUART), "--samples", str(stuart_sheet(tmp_path)), "--reference",
                           "5S", "--control", "WT OD0.5"],
    }[case]  # fmt: skip
    out = tmp_path / "out"
    assert main(["analyze", *argv, "--out", str(out)]) == 0
    with session(driver, tmp_path / "profile", width=1280, height=1000) as base:
        call("POST", f"{base}/url", {"url": (out / "report.html").as_uri()})
        wide, window, beyond = run_script(
            base,
            """return [document.documentElement.scrollWidth,
            window.innerWidth, Array.from(document.querySelectorAll('body *')).filter(
            e => e.getBoundingClientRect().right > window.innerWidth + 1).length];""",
        )
        screenshot = call("GET", f"{base}/screenshot")
        shown = None
        if case == "sds":  # the search box keeps the genes whose name holds what is typed
            shown = run_script(
                base,
                """const box = document.getElementById('gene-search');
                box.value = 'adrb'; box.dispatchEvent(new Event('input'));
                return [Array.from(document.querySelectorAll('details.gene')).filter(
                    d => d.style.display !== 'none').map(d => d.dataset.gene),
                    document.querySelectorAll('details.gene').length];""",
            )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"report-{case}.png").write_bytes(base64.b64decode(screenshot))
    if shown is not None:
        visible, total = shown
        assert total > 60
        assert visible
        assert all("adrb" in gene.lower() for gene in visible)
    assert window == 1280
    assert wide <= window  # no horizontal scrolling
    assert beyond == 0  # and no element past the right edge
