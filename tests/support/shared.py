"""Where the workspace's shared real files are: `../shared/` beside the checkout (and in CI).

Files listed under "Added 2026-12-06" in shared/*/PROVENANCE.md are read in place from there,
never copied (some state no licence).
"""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
INSTRUMENT_EXPORTS = SHARED / "instrument_exports"
CURVES = SHARED / "curves"
