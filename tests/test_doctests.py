"""Run every module's docstring examples, so the examples in the documentation stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import assay

# The root's own modules, then each card folder's package and everything in it. (In a checkout,
# assay.__path__ also holds the repository root: walking that would find tests/ and the rest.)
_FOLDERS = ("assay.primers", "assay.analysis", "assay.cli", "assay.data")


def _modules() -> list[str]:
    names = {"assay", *_FOLDERS}
    names |= {f"assay.{m.name}" for m in pkgutil.iter_modules(assay.__path__[:1]) if not m.ispkg}
    for folder in _FOLDERS:
        package = importlib.import_module(folder)
        names |= {m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{folder}.")}
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
