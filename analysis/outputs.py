"""Write an analysis to a directory: expression.csv, stats.csv, wells.csv and analysis.json.

Every file is written atomically, and the directory is filled only after the whole analysis has
succeeded, so a failure never leaves a half-written result.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assay import __version__
from assay.analysis.ddct import EXPRESSION_COLUMNS, Expression, Settings
from assay.analysis.stats import STATS_COLUMNS
from assay.analysis.viability import Viability, ViabilitySettings
from assay.analysis.wells import WellTable
from assay.files import strict_json, write_text_atomic

if TYPE_CHECKING:
    import pandas as pd

# analysis.json's layout (docs/json-schemas.md); bump it when a field changes meaning or goes.
ANALYSIS_SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def analysis_json(result: Expression, settings: Settings, table: WellTable) -> dict[str, Any]:
    """The parameters, design and counts of an analysis, for analysis.json."""
    return {
        "schema_version": ANALYSIS_SCHEMA_VERSION,
        "kind": "expression",
        "assay_version": __version__,
        "source": table.source,
        "method": "efficiency-corrected ratio, Pfaffl 2001"
        if settings.efficiencies
        else "comparative Ct (2^-ddCt), Livak & Schmittgen 2001",
        "efficiencies": dict(settings.efficiencies),
        "design": result.design.value,
        "reference_genes": list(settings.reference_genes),
        "control": settings.control,
        "panels": list(settings.panels),
        "test": result.method,
        "correction": settings.correction.value,
        "ct_cutoff": settings.ct_cutoff,
        "replicate_spread_limit_cycles": settings.replicate_spread_limit,
        "replicates": settings.replicates,
        "wells": {
            "used": int(table.wells["ct"].notna().sum()),
            "no_ct": len(table.missing),
            "excluded": len(table.excluded),
        },
        "excluded": [
            {"row": int(r["row"]), "gene": r["gene"], "group": r["group"], "reason": r["reason"]}
            for r in cast("list[dict[str, Any]]", table.excluded.to_dict(orient="records"))
        ],
        "notes": result.notes,
        "expression": [
            {k: _clean(v) for k, v in row.items()}
            for row in result.expression.to_dict(orient="records")
        ],
    }


def wells_with_fate(flagged: pd.DataFrame, table: WellTable) -> pd.DataFrame:
    """Every well read, in file order, with its fate: used, no Ct, or excluded and why."""
    import pandas as pd

    from assay.analysis.qc import verdicts

    qc, reasons = verdicts(flagged, table.excluded)
    split = len(flagged)
    used = flagged.assign(
        fate=["used" if ct == ct else "no Ct" for ct in flagged["ct"]],
        qc=qc[:split], qc_reasons=reasons[:split],
    )  # fmt: skip
    excluded = table.excluded.assign(
        fate=[f"excluded: {r}" for r in table.excluded["reason"]],
        qc=qc[split:], qc_reasons=reasons[split:],
    )  # fmt: skip
    excluded = excluded.drop(columns=["reason"])
    every: pd.DataFrame = pd.concat([used, excluded], ignore_index=True)
    if "row" in every:
        every = every.sort_values("row", kind="stable").reset_index(drop=True)
    return every


def write_analysis(
    out: Path, result: Expression, settings: Settings, table: WellTable, wells_flagged: Any
) -> list[Path]:
    """Write the analysis files into `out`; return their paths."""
    out = Path(out)
    extra = [c for c in ("qc", "assay_problem") if c in result.expression]
    expression = result.expression.reindex(columns=[*EXPRESSION_COLUMNS, *settings.panels, *extra])
    tests = result.tests.reindex(columns=list(STATS_COLUMNS))
    files = {
        "expression.csv": expression.to_csv(index=False, float_format="%.6g"),
        "stats.csv": tests.to_csv(index=False, float_format="%.6g"),
        "wells.csv": wells_with_fate(wells_flagged, table).to_csv(index=False, float_format="%.6g"),
        "analysis.json": strict_json(analysis_json(result, settings, table)),
    }
    paths = []
    for name, text in files.items():
        write_text_atomic(out / name, text)
        paths.append(out / name)
    return paths


def write_viability(
    out: Path, result: Viability, settings: ViabilitySettings, source: str | None
) -> list[Path]:
    """Write viability.csv, stats.csv, wells.csv and analysis.json of a viability analysis."""
    meta = {
        "schema_version": ANALYSIS_SCHEMA_VERSION,
        "kind": "viability",
        "assay_version": __version__,
        "source": source,
        "method": "viability % = net OD / mean net OD of control x 100",
        "control": settings.control,
        "main_nm": settings.main_nm,
        "reference_nm": settings.reference_nm,
        "blank_group": settings.blank_group,
        "test": result.method,
        "notes": result.notes,
        "viability": [
            {k: _clean(v) for k, v in row.items()}
            for row in result.summary.to_dict(orient="records")
        ],
    }
    files = {
        "viability.csv": result.summary.to_csv(index=False, float_format="%.6g"),
        "stats.csv": result.tests.to_csv(index=False, float_format="%.6g"),
        "wells.csv": result.wells.to_csv(index=False, float_format="%.6g"),
        "analysis.json": strict_json(meta),
    }
    if result.dose_response is not None:
        files["dose_response.csv"] = result.dose_response.to_csv(index=False, float_format="%.6g")
    for name, text in files.items():
        write_text_atomic(out / name, text)
    return [out / name for name in files]


def draw_viability(
    result: Viability, control: str, out: Path
) -> tuple[dict[str, Path], list[Path]]:
    """The viability figure, and the dose-response figure where doses were fitted.

    Returns the figures for the report (by name) and every file written.
    """
    from assay.analysis.figures import dose_response_figure, viability_figure

    files = viability_figure(result.summary, result.units, control, out / "viability")
    shown = {"viability": files[0]}
    if result.dose_response is not None and result.dose_points is not None:
        drawn = dose_response_figure(result.dose_response, result.dose_points,
                                     out / "dose_response")  # fmt: skip
        shown["dose_response"] = drawn[0]
        files += drawn
    return shown, files


def write_viability_report(
    out: Path, result: Viability, settings: ViabilitySettings, source: str | None
) -> list[Path]:
    """Write the viability tables, its figure and report.html into `out`; return the paths.

    The same figure and report section as `assay analyze --od` gives, from the same functions.
    """
    from assay.analysis.report import ReportInputs, write_report

    paths = write_viability(out, result, settings, source)
    shown, figures = draw_viability(result, settings.control, out)
    report = ReportInputs(
        title=f"assay report: {Path(source).name if source else 'viability'}",
        viability=result, viability_settings=settings, viability_source=source,
        figures=shown,
        parameters=json.loads((out / "analysis.json").read_text(encoding="utf-8")),
    )  # fmt: skip
    return [*paths, *figures, *write_report(out, report)]
