"""Raw-curve analysis of instrument exports: per-reaction and per-target tables, figures, a report.

`analyse_exports` runs `curves.fit_curves` and `melt.melt_peaks` on each export that carries raw
data (each file is its own run: its targets' windows and efficiencies are its own) and joins the
results to the wells. NTCs and no-RT controls do not place windows or enter efficiencies, and their
melt peaks are reported apart from their target's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assay.analysis import curves, melt
from assay.analysis.instruments import Export, Role
from assay.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from assay.primers.conditions import ReactionConditions

REACTION_COLUMNS = (
    "file",
    "plate",
    "well",
    "sample",
    "target",
    "role",
    "cq",
    "efficiency",
    "target_efficiency",
    "n0",
    "amplified",
    "not_amplified_because",
    "plateau",
    "baseline",
    "melt_tm_c",
    "melt_peaks",
    "instrument_cq",
)
TARGET_COLUMNS = (
    "file",
    "target",
    "reactions",
    "amplified",
    "efficiency",
    "efficiency_sd",
    "efficiencies_used",
    "window_log10",
    "threshold_log10",
    "amplicon_bp",
    "predicted_tm_c",
    "observed_tm_c",
    "melt",
    "ntc_melt",
    "flags",
)
EFFICIENCY_RANGE = (1.7, 2.05)  # outside: flagged (above 2 is not physical; below 1.7 is poor)
_CONTROLS = {Role.NTC.value, Role.NO_RT.value, Role.NEGATIVE.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportCurves:
    """One export's raw data with what was computed from it (for figures)."""

    export: Export
    fit: curves.CurveFit | None
    melt: melt.MeltCurves | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveAnalysis:
    """Everything `assay curves` writes.

    Attributes:
        reactions: One row per reaction, `REACTION_COLUMNS`.
        targets: One row per target and file, `TARGET_COLUMNS`.
        runs: Per export, the data and fits behind the figures.
        notes: What the reader should know (files without raw data, ...).
    """

    reactions: pd.DataFrame
    targets: pd.DataFrame
    runs: tuple[ExportCurves, ...]
    notes: tuple[str, ...]


def _target_rows(
    name: str,
    wells: pd.DataFrame,
    fit: curves.CurveFit | None,
    found: melt.MeltCurves | None,
    amplicons: dict[str, str],
    conditions: ReactionConditions,
    chemistries: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    from assay.primers.thermo import product_tm_c

    rows = []
    for target in dict.fromkeys(wells["target"].tolist()):
        mine = np.flatnonzero((wells["target"] == target).to_numpy())
        controls = wells["role"].iloc[mine].isin(_CONTROLS).to_numpy()
        window = fit.windows.get(str(target)) if fit is not None else None
        amplicon = amplicons.get(str(target))
        predicted = round(product_tm_c(amplicon, conditions), 1) if amplicon else None
        text = ntc_text = ""
        observed: float | None = None
        chemistry = (chemistries or {}).get(str(target), "")
        if found is not None and chemistry in melt.NOT_MELTED:
            text = melt.not_melted(chemistry)
        elif found is not None:
            mains = [found.peaks[r][0].tm_c for r in mine[~controls] if found.peaks[r]]
            extras = [p.tm_c for r in mine[~controls] for p in found.peaks[r][1:]]
            if chemistry in melt.PROBE_MELTS:
                text = melt.probe_melt(mains, chemistry)
            else:
                text = melt.verdict(mains, extras, predicted)
            observed = round(float(np.median(mains)), 1) if mains else None
            ntc_text = melt.controls_text([found.peaks[r] for r in mine[controls]])
        rows.append(
            {
                "file": name,
                "target": target,
                "reactions": int((~controls).sum()),
                "amplified": int(fit.amplified[mine[~controls]].sum()) if fit is not None else None,
                "efficiency": window.efficiency if window else np.nan,
                "efficiency_sd": window.efficiency_sd if window else np.nan,
                "efficiencies_used": window.used if window else 0,
                "window_log10": (
                    f"{window.lower_log10:.2f} to {window.upper_log10:.2f}"
                    if window and np.isfinite(window.upper_log10)
                    else ""
                ),
                "threshold_log10": window.threshold_log10 if window else np.nan,
                "amplicon_bp": len(amplicon) if amplicon else None,
                "predicted_tm_c": predicted,
                "observed_tm_c": observed,
                "melt": text,
                "ntc_melt": ntc_text,
                "flags": _flags(
                    window, int((~controls).sum()), _without_plateau(fit, mine[~controls])
                ),
            }
        )
    return rows


def efficiency_words(factor: float) -> str:
    """An amplification factor as assay says it everywhere: percent, the factor beside it.

    >>> efficiency_words(1.953)
    '95.3 % (factor 1.953)'
    """
    return f"{100 * (factor - 1):.1f} % (factor {factor:.3f})"


def _without_plateau(fit: curves.CurveFit | None, rows: Any) -> int:
    """How many of these amplified reactions reach no plateau (LinRegPCR's "no plateau")."""
    if fit is None:
        return 0
    return int((fit.amplified[rows] & ~fit.plateau[rows]).sum())


def _flags(window: curves.Window | None, reactions: int, without_plateau: int = 0) -> str:
    """What to look at before trusting a target's efficiency."""
    if window is None or not np.isfinite(window.efficiency):
        return "no efficiency: no reaction amplified" if reactions else ""
    flags = []
    if without_plateau:
        flags.append(f"{without_plateau} amplified reaction(s) still rising at the last reading "
                     "(no plateau): their efficiency is less certain")  # fmt: skip
    low, high = EFFICIENCY_RANGE
    if not low <= window.efficiency <= high:
        flags.append(
            f"efficiency {efficiency_words(window.efficiency)} outside "
            f"{100 * (low - 1):.0f}-{100 * (high - 1):.0f} %: look at the curves (baseline "
            "drift, too few points in the window)"
        )
    if window.used < 3:
        flags.append(f"efficiency from {window.used} reaction(s) only")
    return "; ".join(flags)


def _reaction_rows(
    name: str, wells: pd.DataFrame, fit: curves.CurveFit | None, found: melt.MeltCurves | None
) -> pd.DataFrame:
    frame = wells[["plate", "well", "sample", "target", "role"]].copy()
    frame.insert(0, "file", name)
    n = len(frame)
    nan = np.full(n, np.nan)
    if fit is not None:
        by_target = {t: w.efficiency for t, w in fit.windows.items()}
        frame["cq"] = fit.cq
        frame["efficiency"] = fit.efficiency
        frame["target_efficiency"] = frame["target"].map(by_target).astype(float)
        frame["n0"] = fit.n0
        frame["amplified"] = fit.amplified
        frame["not_amplified_because"] = list(fit.reason)
        frame["plateau"] = fit.plateau
        frame["baseline"] = fit.baseline
    else:
        for column in ("cq", "efficiency", "target_efficiency", "n0", "baseline"):
            frame[column] = nan
        frame["amplified"] = None
        frame["plateau"] = None
        frame["not_amplified_because"] = "no amplification data in the file"
    if found is not None:
        frame["melt_tm_c"] = [p[0].tm_c if p else np.nan for p in found.peaks]
        frame["melt_peaks"] = [melt.peaks_text(p) for p in found.peaks]
    else:
        frame["melt_tm_c"] = nan
        frame["melt_peaks"] = ""
    frame["instrument_cq"] = wells["cq"].to_numpy()
    ordered: pd.DataFrame = frame.reindex(columns=list(REACTION_COLUMNS))
    return ordered


def analyse_exports(
    exports: Sequence[Export], conditions: ReactionConditions | None = None
) -> CurveAnalysis:
    """Analyse the raw amplification and melt data of every export that has any.

    Raises:
        InputError: No export carries raw amplification or melt data.
    """
    import pandas as pd

    from assay.primers.conditions import ReactionConditions

    conditions = conditions or ReactionConditions()
    reactions: list[pd.DataFrame] = []
    targets: list[dict[str, Any]] = []
    runs: list[ExportCurves] = []
    notes: list[str] = []
    for whole in exports:
        if whole.amplification is None and whole.melt is None:
            notes.append(f"{Path(whole.path).name}: no raw amplification or melt data; left out")
            continue
        check_readings(whole)
        # Readings the reader left out (not numbers) are said where the curves are shown.
        notes += [f"{Path(whole.path).name}: {n}" for n in whole.notes
                  if "that are not numbers" in n]  # fmt: skip
        unmelted = [t for t, c in whole.chemistries if c in melt.NOT_MELTED]
        if whole.melt is not None and unmelted:
            kinds = sorted({c for _, c in whole.chemistries if c in melt.NOT_MELTED})
            notes.append(f"{Path(whole.path).name}: melt curves of {len(unmelted)} target(s) "
                         f"read by {' and '.join(kinds)} not analysed: their signal does not "
                         "follow the amplicon's melting")  # fmt: skip
        parts = _per_plate(whole)
        ordered = []
        for export, name, index in parts:
            found_rows = _analyse_one(export, name, conditions, targets, runs)
            ordered.append(found_rows.assign(_order=index))
        joined = pd.concat(ordered, ignore_index=True).sort_values("_order", kind="stable")
        reactions.append(joined.drop(columns="_order").reset_index(drop=True))
    if not runs:
        raise InputError(
            "none of the files carries raw amplification or melt data (RDML adp/mdp points)",
            path=", ".join(e.path for e in exports),
        )
    return CurveAnalysis(
        reactions=pd.concat(reactions, ignore_index=True),
        targets=pd.DataFrame(targets, columns=list(TARGET_COLUMNS)),
        runs=tuple(runs),
        notes=tuple(notes),
    )


MAX_CYCLE = 1000  # no run has more cycles: a larger (or negative) one is not a cycle number
MELT_RANGE_C = (0.0, 150.0)  # what a melt can read, in °C
MAX_FLUORESCENCE = 1e12  # far beyond any instrument's counts or RFU


def check_readings(export: Export) -> None:
    """Refuse raw readings no instrument makes, before any fit sees them.

    Cycle numbers from 0 to `MAX_CYCLE`, each read once per reaction, melt temperatures within
    `MELT_RANGE_C`, fluorescence within ±`MAX_FLUORESCENCE`: anything else is a damaged or
    mislabelled file, and fitting it would only give numbers that look like results.

    Raises:
        InputError: The first reading out of range, with its well.
    """
    wells = export.wells.reset_index(drop=True)
    for traces, low, high, what in (
        (export.amplification, 0.0, float(MAX_CYCLE), "cycle"),
        (export.melt, *MELT_RANGE_C, "melt temperature (°C)"),
    ):
        if traces is None:
            continue
        x, y = np.asarray(traces.x, dtype=float), np.asarray(traces.y, dtype=float)
        read = np.isfinite(y)
        bad_x = read & ~((x >= low) & (x <= high))
        bad_y = read & (np.abs(y) > MAX_FLUORESCENCE)
        if what == "cycle":  # a reaction is read once a cycle: a cycle read twice is a damage
            ordered = np.sort(np.where(read, x, np.nan), axis=1)
            repeated = np.diff(ordered, axis=1) == 0
            if repeated.any():
                row, column = (int(i) for i in np.argwhere(repeated)[0])
                well = str(wells["well"].iloc[row]) if "well" in wells else str(row + 1)
                raise InputError(f"well {well} reads cycle {ordered[row, column]:g} twice: the "
                                 "cycles are not numbered one by one (a damaged file?)",
                                 path=export.path)  # fmt: skip
        for bad, value, name in ((bad_x, x, what), (bad_y, y, "fluorescence")):
            if bad.any():
                row, column = (int(i) for i in np.argwhere(bad)[0])
                well = str(wells["well"].iloc[row]) if "well" in wells else str(row + 1)
                raise InputError(
                    f"well {well} has a reading at {name} {value[row, column]:g}: no "
                    "instrument reads that (a damaged file?)", path=export.path,
                )  # fmt: skip


def _per_plate(export: Export) -> list[tuple[Export, str, np.ndarray]]:
    """The export split by plate (RDML run of an experiment), each with its rows' positions.

    LinRegPCR places its window per run: targets of different runs or instruments are not
    pooled. One plate: the export itself.
    """
    from dataclasses import replace

    name = Path(export.path).name
    wells = export.wells.reset_index(drop=True)
    plates = list(dict.fromkeys(wells["plate"].astype(str)))
    if len(plates) <= 1:
        return [(replace(export, wells=wells), name, np.arange(len(wells)))]
    parts = []
    for plate in plates:
        index = np.flatnonzero((wells["plate"].astype(str) == plate).to_numpy())

        def rows(traces: Any, index: np.ndarray = index) -> Any:
            if traces is None:
                return None
            return replace(traces, x=np.asarray(traces.x)[index], y=np.asarray(traces.y)[index])

        part = replace(
            export, wells=wells.iloc[index].reset_index(drop=True),
            amplification=rows(export.amplification), melt=rows(export.melt),
        )  # fmt: skip
        parts.append((part, f"{name} ({plate})", index))
    return parts


def _analyse_one(
    export: Export, name: str, conditions: ReactionConditions, targets: list[dict[str, Any]],
    runs: list[ExportCurves],
) -> pd.DataFrame:  # fmt: skip
    """Fit one plate's curves and melts; its target rows and run are appended in place."""
    wells = export.wells.reset_index(drop=True)
    fit = None
    chemistries = dict(export.chemistries)
    if export.amplification is not None:
        use = ~wells["role"].isin(_CONTROLS).to_numpy()
        fit = curves.fit_curves(
            export.amplification.x,
            export.amplification.y,
            wells["target"].astype(str).tolist(),
            use=use,
            chemistries=chemistries,
        )
    found = melt.melt_peaks(export.melt.x, export.melt.y) if export.melt is not None else None
    if found is not None:
        unread = wells["target"].astype(str).map(
            lambda t: chemistries.get(t, "") in melt.NOT_MELTED
        ).to_numpy()  # fmt: skip
        found = melt.without(found, unread)
    targets.extend(_target_rows(name, wells, fit, found, dict(export.amplicons), conditions,
                                chemistries))  # fmt: skip
    runs.append(ExportCurves(export=export, fit=fit, melt=found))
    return _reaction_rows(name, wells, fit, found)


def predicted_tms(analysis: CurveAnalysis) -> dict[str, float]:
    """Target -> predicted amplicon Tm, where an amplicon is known."""
    known = analysis.targets.dropna(subset=["predicted_tm_c"])
    return {str(t): float(v) for t, v in zip(known["target"], known["predicted_tm_c"], strict=True)}


def write_curves(out: Path, analysis: CurveAnalysis, title: str) -> list[Path]:
    """Write curves.csv, targets.csv, the figures and report.html into `out`; return the paths."""
    from assay.analysis.figures import amplification_figure, melt_figure
    from assay.analysis.report import ReportInputs, write_report
    from assay.files import write_text_atomic

    paths = []
    for name, frame in (("curves.csv", analysis.reactions), ("targets.csv", analysis.targets)):
        write_text_atomic(out / name, frame.to_csv(index=False, float_format="%.6g"))
        paths.append(out / name)
    figures: dict[str, Path] = {}
    drawn = amplification_figure(analysis.runs, out / "amplification")
    if drawn:
        figures["amplification"] = drawn[0]
    molten = melt_figure(analysis.runs, predicted_tms(analysis), out / "melt")
    if molten:
        figures["melt"] = molten[0]
    report = ReportInputs(
        title=title, curves=analysis, figures=figures, warnings=list(analysis.notes)
    )
    return [*paths, *drawn, *molten, *write_report(out, report)]


def summary_text(analysis: CurveAnalysis) -> str:
    """What a terminal shows: the method, then per target its efficiency and melt verdict."""
    from assay.analysis.curves import METHOD
    from assay.analysis.melt import RULES

    lines = [f"Amplification: {METHOD}.", f"Melt: {RULES}.", ""]
    reactions = analysis.reactions
    amplified = reactions["amplified"].fillna(False).astype(bool)
    with_cq = int(reactions["cq"].notna().sum())
    reasons = reactions["not_amplified_because"].fillna("").astype(str)
    unreliable = int(reasons.str.startswith(f"{curves.UNRELIABLE}: ").sum())
    doubted = (f" ({unreliable} of them unreliable: no exponential phase; see curves.csv)"
               if unreliable else "")  # fmt: skip
    lines.append(f"{len(reactions)} reactions: {int(amplified.sum())} amplified, {with_cq} with "
                 f"Cq{doubted}")  # fmt: skip
    for row in analysis.targets.to_dict(orient="records"):
        efficiency = row["efficiency"]
        shown = (f"efficiency {efficiency_words(efficiency)}" if efficiency == efficiency
                 else "no efficiency")  # fmt: skip
        # A melt not analysed for its chemistry is said once, in the notes.
        melt_text = (f"; {row['melt']}" if row["melt"] and not str(row["melt"]).startswith(
            "not analysed") else "")  # fmt: skip
        lines.append(
            f"  {row['target']}: {row['amplified']}/{row['reactions']} amplified, "
            f"{shown}{melt_text}"
        )
        if row["ntc_melt"]:
            lines.append(f"    controls: {row['ntc_melt']}")
        if row["flags"]:
            lines.append(f"    check: {row['flags']}")
    lines += [f"note: {n}" for n in analysis.notes]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveCq:
    """An export with Cqs from its raw curves, and what goes with them.

    Attributes:
        export: The export, its Cqs replaced by the curves' (NaN where a reaction did not
            amplify).
        efficiencies: Each target's mean efficiency.
        notes: Where the Cqs came from, and melt and curve findings per target.
        per_row: The export's row number -> what the curves say of that well ("amplified; melt
            81.6", "not amplified: no rise above the noise"), for wells.csv.
    """

    export: Export
    efficiencies: dict[str, float]
    notes: list[str]
    per_row: dict[int, str]


def with_curve_cq(export: Export) -> CurveCq:
    """The export with its Cqs taken from its raw curves (see `CurveCq`).

    NTCs and no-RT controls do not place windows or enter efficiencies. The notes give each
    target whose melt curve shows more than the expected product (as a finding).

    Raises:
        InputError: The export has no raw amplification data.
    """
    from dataclasses import replace

    if export.amplification is None:
        raise InputError("has no raw amplification data to take Cqs from", path=export.path)
    check_readings(export)
    analysis = analyse_exports([export])
    reactions = analysis.reactions
    wells = export.wells.reset_index(drop=True)
    reasons = reactions["not_amplified_because"].fillna("").astype(str)
    cq = reactions["cq"].to_numpy(dtype=float)
    wells = wells.assign(
        cq=cq,
        cq_text=[
            f"no Cq: {r}" if r and np.isnan(c) else "" for r, c in zip(reasons, cq, strict=True)
        ],
    ).drop(columns="cq_mean", errors="ignore")  # the instrument's mean is not of these Cqs
    per_row = {
        int(row): (reason if reason == curves.NO_READINGS or reason.startswith(curves.UNRELIABLE)
                   else "not amplified: " + reason if reason else "amplified")
        + (f"; melt {peaks}" if peaks else "")
        for row, reason, peaks in zip(wells["row"], reasons, reactions["melt_peaks"].fillna(""),
                                      strict=True)
    }  # fmt: skip
    efficiencies = {
        str(row["target"]): float(row["efficiency"])
        for row in analysis.targets.to_dict(orient="records")
        if row["efficiency"] == row["efficiency"]
    }
    name = Path(export.path).name
    notes = [f"{name}: Cq and efficiency of each target from the raw curves ({curves.METHOD})"]
    for row in analysis.targets.to_dict(orient="records"):
        if row["melt"] and not str(row["melt"]).startswith(("one product, as predicted",
                                                             "not analysed")):  # fmt: skip
            notes.append(f"melt curve: {row['target']}: {row['melt']}")
        if row["ntc_melt"] and row["ntc_melt"] != "no peak":
            notes.append(f"melt curve: {row['target']} controls: {row['ntc_melt']}")
        if row["flags"]:
            notes.append(f"curves: {row['target']}: {row['flags']}")
    return CurveCq(export=replace(export, wells=wells), efficiencies=efficiencies, notes=notes,
                   per_row=per_row)  # fmt: skip


def chooses_curves(export: Export, cq_from: str) -> bool:
    """Whether Cqs come from the raw curves: asked for, or `auto` and the export has no Cq."""
    if cq_from == "curves":
        return True
    return (cq_from == "auto" and export.amplification is not None
            and not export.wells["cq"].notna().any())  # fmt: skip
