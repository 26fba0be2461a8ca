"""Quality control of wells between reading and analysis: nothing implausible used in silence.

Every well gets a verdict, `ok`, `flagged` (used, with a reason to look) or `excluded` (not used,
with the reason), from rules written once here and listed in the README with their limits:

- a Cq below the baseline region (`MIN_PLAUSIBLE_CQ`) is not an amplification: excluded, unless
  it has replicates and all of them agree within `AGREEING_REPLICATES` (an abundant template:
  used, flagged);
- a Cq contradicting the export's own Cq mean of its replicate group by more than
  `EXPORT_MEAN_LIMIT` cycles, where that mean does not come from these Cqs: excluded (the file
  was edited after the software averaged, or the software set the well aside);
- a Cq above the cutoff, replicates further apart than the spread limit, the odd one out among
  replicates: flagged (`ddct.flag_wells`), used unless asked otherwise;
- a well named like a control (NTC, NTC-01, GAPDH NTC, H2O, ddH2O, water, NFW, blank, no
  template, negative control; NRT, noRT, -RT, RT-, RT(-), RT neg, minus RT) is that control
  whatever its task says (`control_role`), said once.

>>> control_role("NTC-01"), control_role("H2O"), control_role("sample_noRT"), control_role("liver")
('ntc', 'ntc', 'no-rt', None)
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assay._compat import StrEnum

if TYPE_CHECKING:
    import pandas as pd

    from assay.analysis.rawcurves import CurveCq
    from assay.analysis.wells import WellTable

# Cycles before which a real amplification cannot cross the threshold: instrument software
# fits its baseline from cycle 3 (QuantStudio, SDS: cycles 3-15 by default), so a Cq of 1-4 is an
# edited value or a threshold set inside the noise. Not higher: abundant templates are real at
# 7-8 cycles (Rotor-Gene Q, 28S rRNA: Ct 7.49-8.58 accepted by its software).
MIN_PLAUSIBLE_CQ = 5.0
# A Cq below MIN_PLAUSIBLE_CQ whose replicates all agree within this (the replicate spread rule's
# default) is an abundant template, used and flagged; a lone or contradicted value is excluded.
AGREEING_REPLICATES = 0.5
# A well's Cq further than this from the export's own mean of its replicate group, when that
# mean is not the mean of the Cqs in the file, is not the Cq the software used.
EXPORT_MEAN_LIMIT = 1.0
# The export's mean and the mean of the file's Cqs agree within rounding below this.
_MEAN_AGREES = 0.01
# An instrument's Cq further than this from the Cq of the well's own raw curve is in doubt.
CURVE_CQ_LIMIT = 1.5


class Verdict(StrEnum):
    """What QC says of a well."""

    OK = "ok"
    FLAGGED = "flagged"
    EXCLUDED = "excluded"


# A name that is a no-template control whole: NTC, no template (control), water (H2O, dH2O,
# ddH2O, nuclease-free water, NFW), blank, negative control; "PCR" before, "control" and a
# number after. Water and blank only as the whole name: "H2O-treated" is a vehicle group.
_NTC_NAME = re.compile(
    r"^(?:pcr[\s_-]*)?(?:(?:ntc|no[\s_-]*template|d{0,2}h[2\u2082]o|(?:nuclease[\s_-]*free"
    r"[\s_-]*)?water|nfw|blank)(?:[\s_-]*(?:ctrl|control))?|neg(?:ative)?[\s_-]*(?:ctrl|control))"
    r"(?:[\s_.-]*\d+)?$",
    re.IGNORECASE,
)
# "NTC" as a word anywhere in a name (GAPDH NTC, NTC_A, NTC (water), NTC rep1) is unambiguous.
_NTC_WORD = re.compile(r"(?<![a-z0-9])ntcs?(?![a-z])", re.IGNORECASE)
# A no-RT control: -RT, RT-, RT(-), RT neg(ative), RT minus, minus RT, no RT, noRT, NRT, as a
# word of the name (liver_noRT, Sample 1 (-RT), -RT control); "RT-1" is a name, not a control.
_NO_RT_NAME = re.compile(
    r"(?<![a-z0-9])(?:-\s?rt|rt\s?-|rt\s?\(-\)|rt[\s_-]?neg(?:ative)?|rt[\s_-]?minus|"
    r"minus[\s_-]?rt|no[\s_-]?rt|nort|nrt)(?![a-z0-9])",
    re.IGNORECASE,
)
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2010": "-"})


def control_role(name: str) -> str | None:
    """The control a sample name says it is ("ntc", "no-rt"), or None for a sample.

    >>> [control_role(n) for n in ("GAPDH NTC", "ddH2O", "H2O-treated", "RT(-)", "RT-1")]
    ['ntc', 'ntc', None, 'no-rt', None]
    """
    text = str(name).strip().translate(_DASHES)
    if _NTC_NAME.match(text) or _NTC_WORD.search(text):
        return "ntc"
    if _NO_RT_NAME.search(text):
        return "no-rt"
    return None


def implausible_cq(cq: float, export_mean: float, group_mean: float) -> str:
    """Why a Cq cannot be used, or "" (rules of the module docstring).

    >>> implausible_cq(1.0, math.nan, 1.0)
    'Cq 1 is below the baseline region (< 5 cycles): not an amplification'
    >>> implausible_cq(20.0, 31.55, 20.0).split(":")[0]
    "Cq 20 contradicts the export's own mean of its replicates (31.55)"
    """
    if math.isnan(cq):
        return ""
    if cq < MIN_PLAUSIBLE_CQ:
        return (
            f"Cq {cq:g} is below the baseline region (< {MIN_PLAUSIBLE_CQ:g} cycles): "
            "not an amplification"
        )
    if (
        math.isfinite(export_mean)
        and abs(export_mean - group_mean) > _MEAN_AGREES
        and abs(cq - export_mean) > EXPORT_MEAN_LIMIT
    ):
        return (
            f"Cq {cq:g} contradicts the export's own mean of its replicates ({export_mean:g}): "
            "not the Cq its software used"
        )
    return ""


def screen(table: WellTable) -> WellTable:
    """Move wells whose Cq is implausible to the excluded wells, with the reason.

    The export's own replicate mean is the ``cq_mean`` column where the reader found one.
    """
    import pandas as pd

    wells = table.wells
    if wells.empty:
        return table
    export_mean = (
        pd.to_numeric(wells["cq_mean"].astype(str), errors="coerce")
        if "cq_mean" in wells
        else pd.Series(math.nan, index=wells.index)
    )
    keys = [c for c in ("plate", "sample", "group", "gene") if c in wells]
    group_mean = wells.groupby(keys, observed=True)["ct"].transform("mean")
    # A mean taken before the user excluded a well (an exclude column, an omitted well) is the
    # mean of all the group's wells: agreeing with that is agreeing with the file.
    if not table.excluded.empty and all(k in table.excluded for k in keys):
        every = pd.concat([wells[[*keys, "ct"]], table.excluded[[*keys, "ct"]]],
                          ignore_index=True)  # fmt: skip
        all_means = every.groupby(keys, observed=True)["ct"].mean()
        before = pd.Series(
            [all_means.get(tuple(r) if len(keys) > 1 else r[0], math.nan)
             for r in wells[keys].itertuples(index=False)],
            index=wells.index, dtype=float,
        )  # fmt: skip
        agrees = (export_mean - before).abs() <= _MEAN_AGREES
        group_mean = group_mean.where(~agrees, export_mean)
    reasons = [
        implausible_cq(float(c), float(m), float(g))
        for c, m, g in zip(wells["ct"], export_mean, group_mean, strict=True)
    ]
    # Replicates that agree below the baseline region are an abundant template (5S or 18S rRNA
    # reads Cp 4.8 in triplicate on a LightCycler), not an edited value: used, flagged.
    grouped = wells.groupby(keys, observed=True)["ct"]
    low = (wells["ct"] < MIN_PLAUSIBLE_CQ) & (grouped.transform("count") >= 2)
    agree = low & ((grouped.transform("max") - grouped.transform("min")) <= AGREEING_REPLICATES)
    agree &= grouped.transform("count") == grouped.transform("size")  # every replicate has a Cq
    abundant = (
        f"below the baseline region (< {MIN_PLAUSIBLE_CQ:g} cycles), its replicates within "
        f"{AGREEING_REPLICATES:g} cycles: an abundant template? check the baseline, or dilute"
    )
    said = [f"Cq {c:g} {abundant}" if ok else "" for c, ok in zip(wells["ct"], agree, strict=True)]
    reasons = ["" if s else r for r, s in zip(reasons, said, strict=True)]
    if any(said):
        wells = with_flags(wells, said)
        table = replace(table, wells=wells)
    bad = pd.Series([bool(r) for r in reasons], index=wells.index)
    if not bad.any():
        return table
    moved = wells[bad].assign(reason=[f"QC: {r}" for r in reasons if r])
    kept = wells[~bad]
    return replace(
        table, wells=kept, excluded=pd.concat([table.excluded, moved], ignore_index=True),
        missing=kept[kept["ct"].isna()],
        notes=(*table.notes, f"QC: {int(bad.sum())} well(s) with an implausible Cq excluded "
               "(see wells.csv)"),
    )  # fmt: skip


def doubtful(flags: str) -> bool:
    """True when a well's flags hold more than "no Ct"."""
    return bool(flags.replace("no Ct", "").strip("; "))


def verdicts(flagged: pd.DataFrame, excluded: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(verdict, reasons) per well: `flag_wells` output first, then the excluded wells."""
    # No Ct is a result (a non-detect, counted where the fold is shown), not a doubt on a well.
    qc = [Verdict.FLAGGED.value if doubtful(str(f)) else Verdict.OK.value for f in flagged["flags"]]
    reasons = [str(f) for f in flagged["flags"]]
    qc += [Verdict.EXCLUDED.value] * len(excluded)
    reasons += [str(r) for r in excluded["reason"]]
    return qc, reasons


def resting_on_flags(
    expression: pd.DataFrame, flagged: pd.DataFrame, references: tuple[str, ...], control: str,
    panels: tuple[str, ...],
) -> list[str]:  # fmt: skip
    """Per expression row, the flagged wells its fold change rests on, in words ("" for none).

    A fold rests on the target's and the reference genes' wells of its group and of the
    calibrator. "no Ct" alone is not a flag here (the detection column counts those).
    """
    import pandas as pd

    if flagged.empty or expression.empty:
        return [""] * len(expression)
    marked = flagged[[doubtful(str(f)) for f in flagged["flags"]]]
    said = []
    for row in expression.to_dict(orient="records"):
        if not row.get("n"):
            said.append("")
            continue
        here = marked
        for column in panels:
            here = here[here[column].astype(str) == str(row[column])]
        genes = {str(row["gene"]), *references}
        groups = {str(row["group"]), control}
        hit = here[here["gene"].astype(str).isin(genes) & here["group"].astype(str).isin(groups)]
        if hit.empty:
            said.append("")
            continue
        where = [f"{w if w else 'row ' + str(r)} ({f})" for w, r, f in zip(
            hit.get("well", pd.Series([""] * len(hit), index=hit.index)).astype(str),
            hit["row"], hit["flags"], strict=True)][:3]  # fmt: skip
        more = f" and {len(hit) - 3} more" if len(hit) > 3 else ""
        said.append(f"rests on {len(hit)} flagged well(s): {'; '.join(where)}{more}")
    return said


def summary_line(flagged: pd.DataFrame, excluded: pd.DataFrame) -> str:
    """The QC line: wells ok (and how many of them without a Ct), flagged, excluded."""
    qc, _ = verdicts(flagged, excluded)
    counts = {v: qc.count(v.value) for v in Verdict}
    without = int(flagged["ct"].isna().sum()) if "ct" in flagged else 0
    return (f"QC: {counts[Verdict.OK]} wells ok ({without} of them without a Ct), "
            f"{counts[Verdict.FLAGGED]} flagged, {counts[Verdict.EXCLUDED]} excluded")  # fmt: skip


def with_flags(wells: pd.DataFrame, said: list[str]) -> pd.DataFrame:
    """The wells with `said` added to their ``qc_flag`` (used, flagged), one per well."""
    previous = wells["qc_flag"].fillna("").astype(str) if "qc_flag" in wells else None
    merged = said if previous is None else [
        "; ".join(x for x in (p, s) if x) for p, s in zip(previous, said, strict=True)
    ]  # fmt: skip
    flagged: pd.DataFrame = wells.assign(qc_flag=merged)
    return flagged


def unreliable_curve(curve_says: str) -> str:
    """The flag of a Cq whose curve crosses without an exponential phase to measure, or "".

    Such a Cq is used (the curve does cross the threshold), flagged: LinRegPCR calls the
    reaction not amplified, the instrument gives a Cq.

    >>> unreliable_curve("unreliable: only 4 readings in its log phase, no exponential phase")
    'Cq unreliable: no exponential phase in its curve (only 4 readings in its log phase)'
    >>> unreliable_curve("amplified; melt 81.6")
    ''
    """
    from assay.analysis.curves import UNRELIABLE

    prefix = f"{UNRELIABLE}: "
    if not curve_says.startswith(prefix):
        return ""
    why = curve_says.removeprefix(prefix).split(";")[0].split(", no exponential")[0]
    return f"Cq unreliable: no exponential phase in its curve ({why})"


def flag_unreliable(wells: pd.DataFrame) -> pd.DataFrame:
    """The wells whose ``curves`` column says unreliable, flagged (`unreliable_curve`)."""
    doubts = [unreliable_curve(str(says)) for says in wells["curves"]]
    return with_flags(wells, doubts) if any(doubts) else wells


def curve_disagreement(cq: float, curve_cq: float, curve_says: str, offset: float = 0.0) -> str:
    """Why an instrument's Cq disagrees with the well's raw curve, or "".

    `offset` is the target's usual gap between the instrument's Cqs and the curves' (a threshold
    Cq and the window-of-linearity Cq differ by a constant that depends on the threshold: CFX's
    lie about 3 cycles after LinRegPCR's); a well is judged by how far it departs from that.

    >>> curve_disagreement(29.6, math.nan, "not amplified: no rise above the noise")
    "the instrument's Cq 29.6 sits on a curve that does not amplify (no rise above the noise)"
    >>> curve_disagreement(25.0, 26.6, "amplified")
    "the instrument's Cq 25 is 1.6 cycles from its curve's own Cq 26.6"
    >>> curve_disagreement(25.0, 26.5, "amplified"), curve_disagreement(26, 23, "amplified", 3.0)
    ('', '')
    >>> curve_disagreement(28.0, 23.0, "amplified", 3.0)
    "the instrument's Cq 28 is 5.0 cycles from its curve's own Cq 23 (its target's usual gap: 3.0)"
    """
    if math.isnan(cq):
        return ""
    if curve_says.startswith("not amplified"):
        why = curve_says.removeprefix("not amplified: ").split(";")[0]
        return f"the instrument's Cq {cq:g} sits on a curve that does not amplify ({why})"
    if math.isfinite(curve_cq) and abs(cq - curve_cq - offset) > CURVE_CQ_LIMIT:
        usual = f" (its target's usual gap: {offset:.1f})" if offset else ""
        return (
            f"the instrument's Cq {cq:g} is {abs(cq - curve_cq):.1f} cycles from its curve's own "
            f"Cq {curve_cq:.3g}{usual}"
        )
    return ""


# Wells of a target with both Cqs needed before their median gap is taken as the target's usual one.
MIN_WELLS_FOR_OFFSET = 3


def curve_offsets(instrument: Any, curve: Any, targets: Any) -> dict[str, float]:
    """Each target's median gap between the instrument's and the curves' Cqs (0 with < 3 wells).

    >>> curve_offsets([26.1, 26.2, 25.9, 30.0], [23.1, 23.2, 22.9, 29.9], ["G", "G", "G", "H"])
    {'G': 3.0, 'H': 0.0}
    """
    import pandas as pd

    frame = pd.DataFrame({"gap": pd.Series(instrument, dtype=float).to_numpy()
                          - pd.Series(curve, dtype=float).to_numpy(),
                          "target": list(targets)}).dropna()  # fmt: skip
    offsets = {}
    for target, gaps in frame.groupby("target", sort=True)["gap"]:
        offsets[str(target)] = (
            round(float(gaps.median()), 6) if len(gaps) >= MIN_WELLS_FOR_OFFSET else 0.0
        )
    for target in targets:
        offsets.setdefault(str(target), 0.0)
    return offsets


def against_curves(table: WellTable, curves: CurveCq, *, use: bool) -> WellTable:
    """Check each well's instrument Cq against its raw curve (`curve_disagreement`).

    By default a disagreeing well is excluded; with `use` (--cq-from instrument) it is kept and
    flagged (``qc_flag``). Every well gets a ``curves`` column saying what its curve shows.
    """
    import pandas as pd

    by_row = dict(zip(curves.export.wells["row"], curves.export.wells["cq"], strict=True))

    def annotated(frame: pd.DataFrame) -> pd.DataFrame:
        said: pd.DataFrame = frame.assign(curves=frame["row"].map(curves.per_row).fillna(""))
        return said

    wells = annotated(table.wells)
    curve_cq = [float(by_row.get(r, math.nan)) for r in wells["row"]]
    offsets = curve_offsets(wells["ct"], curve_cq, wells["gene"].astype(str))
    reasons = [
        curve_disagreement(float(c), k, str(says), offsets[str(g)])
        for c, k, says, g in zip(wells["ct"], curve_cq, wells["curves"], wells["gene"].astype(str),
                                 strict=True)
    ]  # fmt: skip
    wells = flag_unreliable(wells)
    bad = pd.Series([bool(x) for x in reasons], index=wells.index)
    if not bad.any():
        return replace(table, wells=wells, excluded=annotated(table.excluded),
                       missing=annotated(table.missing))  # fmt: skip
    if use:
        flagged = with_flags(wells, reasons)
        said = (f"QC: {int(bad.sum())} instrument Cq(s) disagree with their raw curves: "
                "flagged, used (--cq-from instrument)")  # fmt: skip
        return replace(table, wells=flagged, excluded=annotated(table.excluded),
                       missing=annotated(table.missing), notes=(*table.notes, said))  # fmt: skip
    moved = wells[bad].assign(reason=[f"QC: {x}" for x in reasons if x])
    kept = wells[~bad]
    return replace(
        table, wells=kept, excluded=pd.concat([annotated(table.excluded), moved],
                                              ignore_index=True),
        missing=annotated(table.missing),
        notes=(*table.notes, f"QC: {int(bad.sum())} instrument Cq(s) on curves that do not "
               "amplify or that disagree with them excluded (--cq-from instrument to use them)"),
    )  # fmt: skip


def excluded_rows(
    expression: pd.DataFrame, excluded: pd.DataFrame, references: tuple[str, ...],
    panels: tuple[str, ...],
) -> pd.DataFrame:  # fmt: skip
    """The expression table with a row for every target and group whose wells QC excluded.

    Such a result is not missing: it says why there is no number ("excluded by QC: …").
    """
    import pandas as pd

    if excluded.empty or "reason" not in excluded:
        return expression
    by_qc = excluded[excluded["reason"].astype(str).str.startswith("QC:")]
    by_qc = by_qc[~by_qc["gene"].astype(str).isin(references)]
    keys = [*panels, "gene", "group"]
    seen = (
        {tuple(str(r[k]) for k in keys) for r in expression.to_dict(orient="records")}
        if not expression.empty
        else set()
    )
    rows = []
    for key, frame in by_qc.groupby(keys, observed=True, sort=True):
        key = tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        if key in seen:
            continue
        info = dict(zip(keys, key, strict=True))
        first = str(frame["reason"].iloc[0]).removeprefix("QC: ")
        rows.append({"panel": " / ".join(info[p] for p in panels), **info, "n": 0,
                     "detection": f"excluded by QC ({len(frame)} well(s)): {first}"})  # fmt: skip
    if not rows:
        return expression
    joined = pd.concat([expression, pd.DataFrame(rows)], ignore_index=True)
    result: pd.DataFrame = joined.sort_values(["panel", "gene"], kind="stable").reset_index(
        drop=True
    )
    return result


def plate_confounding(wells: pd.DataFrame, control: str, references: tuple[str, ...]) -> list[str]:
    """Warnings where a group never shares a plate with the calibrator, for a target gene.

    Then the run-to-run difference is part of the fold change and cannot be told from it; a
    sample of each group on every plate, or an inter-run calibrator, makes them comparable.
    """
    if "plate" not in wells or wells["plate"].astype(str).nunique() < 2:
        return []
    found = []
    for gene, frame in wells.groupby("gene", observed=True, sort=True):
        if str(gene) in references:
            continue
        plates: dict[str, set[str]] = {}
        for group, plate in zip(frame["group"].astype(str), frame["plate"].astype(str),
                                strict=True):  # fmt: skip
            plates.setdefault(group, set()).add(plate)
        if control not in plates:
            continue
        apart = sorted(g for g, p in plates.items() if g != control and not p & plates[control])
        if apart:
            found.append(
                f"plate: {gene}: {', '.join(apart)} never share a plate with the calibrator "
                f"{control}: the run-to-run difference is part of the fold change; put each "
                "group (or an inter-run calibrator) on every plate"
            )
    return found
