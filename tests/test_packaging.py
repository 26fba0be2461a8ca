"""The installed package keeps its promises: one import root, a light start, a console script."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import assay

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "matplotlib", "primer3", "Bio", "numpy")


@pytest.mark.parametrize("name", ["primers", "analysis", "cli", "data"])
def test_card_folders_are_not_top_level_packages(name: str) -> None:
    # What the install puts on the path (`python -m pytest` from the root adds the checkout
    # itself, where the folders are of course found: that is not the install's doing).
    installed = [p for p in sys.path if Path(p or ".").resolve() != REPO]
    assert importlib.machinery.PathFinder.find_spec(name, installed) is None


@pytest.mark.parametrize("name", ["assay.primers", "assay.analysis", "assay.cli", "assay.data"])
def test_card_folders_import_under_the_assay_root(name: str) -> None:
    assert importlib.util.find_spec(name) is not None


def test_bare_import_fails_outside_the_repository(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import primers"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "No module named 'primers'" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["validate", "--help"],
        ["analyze", "--help"],
        ["viability", "--help"],
        ["refgenes", "--help"],
        ["fetch", "--help"],
        ["demo", "--help"],
    ],
)
def test_help_does_not_import_heavy_libraries(argv: list[str], tmp_path: Path) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from assay.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    status = main({argv!r})\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(status, ','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["0"], f"heavy modules loaded: {result.stdout}"


def test_console_script_reports_the_version() -> None:
    script = Path(sys.executable).parent / "assay"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"assay {assay.__version__}"


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", text, flags=re.DOTALL)


def test_readme_gives_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = _readme_commands()
    assert len(commands) >= 2
    install, test = commands[0], commands[1]
    assert "assay demo" in install
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines(), ".ci/run must call the README's test command verbatim"
    assert install in ci.splitlines(), ".ci/run must set up as the README's install command does"


def test_the_checkout_itself_resolves_the_card_folders(tmp_path: Path) -> None:
    # `python -m pytest` or a script run from the checkout's root imports the bare assay/ there;
    # its subpackages must then be the checkout's own folders (STYLE.md's open point).
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import assay.primers.records as r, "
        "assay.analysis.instruments as i; print(r.__file__); print(i.__file__)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], cwd=tmp_path,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.split() == [
        str(root / "primers" / "records.py"), str(root / "analysis" / "instruments.py"),
    ]  # fmt: skip


@pytest.mark.parametrize("package", ["assay.primers", "assay.analysis", "assay.cli", "assay.data"])
def test_every_public_name_is_there(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_importing_the_packages_loads_nothing_heavy() -> None:
    code = ("import sys, assay.primers, assay.analysis, assay.cli, assay.data; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
