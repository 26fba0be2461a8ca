"""Run every module's docstring examples, so the examples in the documentation stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import assay

MODULES = ["assay", *sorted(i.name for i in pkgutil.walk_packages(assay.__path__, prefix="assay."))]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
