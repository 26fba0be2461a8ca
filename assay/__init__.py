"""assay: validate RT-qPCR primer sets and turn Ct and OD data into results.

The card's folders install under this root: ``assay.primers``, ``assay.analysis``, ``assay.cli``
and ``assay.data``. Importing any of them does nothing but define names. The Python API
(`validate`, `analyze`, `viability`; see `assay.api`) is loaded on first use, so that importing
assay, or running ``assay --help``, loads no pandas or SciPy.

>>> import assay
>>> assay.__version__.count(".") >= 2
True
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# In a checkout (not an install), the card's folders sit beside this one: let `assay.primers`
# & co. resolve to them, so that `python -m pytest` and scripts run from the checkout's root see
# the code as it stands, new modules included. An install maps them itself (pyproject.toml).
_CHECKOUT = Path(os.path.abspath(__file__)).parent.parent  # not resolved: an install links here
if (
    __name__ == "assay"
    and (_CHECKOUT / "pyproject.toml").is_file()
    and (_CHECKOUT / "primers" / "__init__.py").is_file()
):
    __path__.append(str(_CHECKOUT))
__all__ = ["__version__", "analyze", "data", "validate", "viability"]


def __getattr__(name: str) -> Any:
    if name in ("validate", "analyze", "viability"):
        return getattr(importlib.import_module("assay.api"), name)
    if name == "data":
        return importlib.import_module("assay.data")
    raise AttributeError(f"module 'assay' has no attribute {name!r}")
