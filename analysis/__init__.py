"""Analysis of plate data: ΔΔCt relative expression, MTT viability and their statistics.

Layers: `ddct`, `stats`, `refgenes` and `viability`'s computations are pure; `wells`,
`instruments` and `standards` read what users and instruments write; `outputs`, `figures` and
`report` write. The names below are the public API; each is imported on first use, so that
importing the package loads no pandas or SciPy.
"""

from __future__ import annotations

from assay._lazy import lazy_getattr

# name -> the module that defines it
_PUBLIC = {
    "Settings": "ddct", "Expression": "ddct", "relative_expression": "ddct",
    "StandardCurve": "ddct", "read_wells": "wells", "read_plates": "wells", "WellTable": "wells",
    "read_export": "instruments", "Export": "instruments", "read_standard_curves": "standards",
    "ViabilitySettings": "viability", "Viability": "viability", "viability": "viability",
    "read_od_table": "viability", "read_od_grids": "viability", "run_analysis": "pipeline",
    "AnalysisRequest": "pipeline", "expression_figure": "figures", "viability_figure": "figures",
}  # fmt: skip
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)
