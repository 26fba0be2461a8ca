"""MTT viability: from plate-reader absorbances to viability % and its statistics.

Net OD = OD(main) − OD(reference) per well, minus the mean net OD of blank wells when there are any;
viability % = net OD / mean net OD of the control group × 100 (Mosmann 1983; as in the seed paper's
Methods 2.2), per panel and per independent experiment. With several experiments, each experiment's
group mean is one value and the summary runs over experiments; without, over wells.

What is tested follows from the unit of replication. Independent experiments (an experiment
column, or plate labels on grids) are the unit: within each, the control is exactly 100 % by
construction, so each treatment's per-experiment percentages are tested against 100 (one-sample
t-test, n = experiments); a two-sample test against a column of exact 100s would count the
control's n while giving it no variance. The wells of one plate are technical replicates: one
plate is described (mean, SD and the wells' CI), not tested, unless --replicates wells asks for a
test of this plate (Student's/Welch's t, Dunnett's test with several treatments), said in every
table. The p-values shown are one family (Benjamini–Hochberg by default). Every table says which
test, on which unit, with which n.

Reading: a tidy table (one row per well) or 96-well grids (rows A-H, columns 1-12; one grid per
wavelength) with a plate map grid of the same shape naming each well's group.

>>> net_od(0.82, 0.05)
0.77
>>> viability_pct(0.5, 0.8)
62.5
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.analysis.stats import (
    Correction,
    TestResult,
    adjust,
    anova_tukey,
    dunnett,
    interaction_test,
    one_sample,
    stars,
    t_half_width,
    two_groups,
)
from assay.analysis.wells import pooled_columns, read_text_table, refuse_pooling
from assay.errors import InputError
from assay.tables import (
    decimal_comma,
    decode,
    delimiter_of,
    is_workbook,
    load_bytes,
    natural_key,
    parse_number,
    read_rows,
)

if TYPE_CHECKING:
    import pandas as pd

ROWS = "ABCDEFGH"
SHOWN = "shown"  # stats.csv family of the p-values shown in the summary
# Group names that mean blank wells; one of them that is not the blank group is refused.
_BLANK_NAMES = {"blank", "blanks", "medium only", "no cells", "background"}
COLUMNS = range(1, 13)


def net_od(main: float, reference: float | None) -> float:
    """OD at the main wavelength minus the reference wavelength's (turbidity, plate), if read."""
    return round(main - (reference or 0.0), 10)


def viability_pct(net: float, control_mean_net: float) -> float:
    """Viability % = OD_test / OD_control × 100 (the seed paper's equation, Methods 2.2)."""
    return net / control_mean_net * 100.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ViabilitySettings:
    """Choices of a viability analysis, echoed in its outputs."""

    control: str
    main_nm: int = 570
    reference_nm: int | None = 630
    blank_group: str | None = "blank"
    panels: tuple[str, ...] = ()
    welch: bool = False
    columns: tuple[tuple[str, str], ...] = ()  # field -> the table's column name (--column)
    # "auto": experiments are the unit, one plate is described only; "wells": test the wells.
    replicates: str = "auto"
    correction: Correction = Correction.BH
    ci_level: float = 0.95
    interaction: bool = True  # with panels: does the treatment act differently between them?
    pool: bool = False  # average columns that split the groups but are not panels (--pool)

    def __post_init__(self) -> None:
        if self.replicates not in ("auto", "wells"):
            raise ValueError(f'replicates must be auto or wells, not "{self.replicates}"')


@dataclass(frozen=True, kw_only=True)
class Viability:
    """Summary per panel and group, tests, and every well with its values and flags.

    Never changed once made: a stage that adds to it makes a new one.
    """

    summary: pd.DataFrame
    tests: pd.DataFrame
    wells: pd.DataFrame
    notes: tuple[str, ...] = ()
    units: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    dose_response: pd.DataFrame | None = None  # one 4PL fit per panel, with a dose column
    dose_points: pd.DataFrame | None = None  # the units each fit used: panel, dose, viability_pct
    method: str = ""  # which test, on which unit, with which n (`method_note`)


# Plate readers report absorbance up to about 4; a reading far outside is not an OD (a reader
# that subtracts its own blank may report slightly negative values).
OD_RANGE = (-0.2, 5.0)


def _number(text: str, path: str, row: int, column: str) -> float:
    value = parse_number(decimal_comma(text))  # "0,812" from a European reader is 0.812
    if value is None:
        raise InputError("is not an optical density", path=path, row=row, column=column,
                         value=text)  # fmt: skip
    low, high = OD_RANGE
    if not low <= value <= high:
        raise InputError(
            f"is not a plausible optical density (expected {low:g} to {high:g})", path=path,
            row=row, column=column, value=text,
        )  # fmt: skip
    return value


def _dose(text: str, path: str, row: int, column: str) -> float:
    """A dose: a number >= 0 (0 for untreated and blank wells); empty is 0."""
    if not str(text).strip():
        return 0.0
    value = parse_number(str(text))
    if value is None or not value >= 0 or not math.isfinite(value):
        raise InputError("is not a dose (a number, 0 or more)", path=path, row=row,
                         column=column, value=text)  # fmt: skip
    return value


def read_od_table(path: str | Path, settings: ViabilitySettings) -> pd.DataFrame:
    """Read a tidy OD table: group, od<main>, optional od<reference>, experiment, panels, exclude.

    Raises:
        InputError: A column is missing or a value is not a number (file, row, column, value).
    """
    import pandas as pd

    path = Path(path)
    raw = read_text_table(path)
    columns = {c.strip().lower(): c for c in raw.columns}
    for field_name, column in settings.columns:  # --column FIELD=NAME
        if column not in raw.columns:
            raise InputError(f'--column {field_name}={column}: no such column; columns are: '
                             f'{", ".join(raw.columns)}', path=path)  # fmt: skip
        columns[field_name] = column
    main = f"od{settings.main_nm}"
    reference = None if settings.reference_nm is None else f"od{settings.reference_nm}"
    for needed in ("group", main, *([reference] if reference else []), *settings.panels):
        if needed not in columns:
            raise InputError(
                f'column "{needed}" is missing; columns are: {", ".join(raw.columns)}', path=path
            )
    frame = pd.DataFrame({"group": raw[columns["group"]].str.strip()})
    frame["row"] = [int(i) for i in raw.index]  # each row's number in the file
    for name in (main, *([reference] if reference else [])):
        frame[name] = [
            _number(text, str(path), row, columns[name])
            for text, row in zip(raw[columns[name]], frame["row"], strict=True)
        ]
    if "dose" in columns:
        frame["dose"] = [
            _dose(text, str(path), row, columns["dose"])
            for text, row in zip(raw[columns["dose"]], frame["row"], strict=True)
        ]
    for optional in ("experiment", "well", "exclude", "role", *settings.panels):
        if optional in columns:
            frame[optional] = raw[columns[optional]].astype(str).str.strip()
    frame.attrs["source"] = str(path)
    consumed = {columns[n] for n in ("group", main, *([reference] if reference else []),
                                     "dose", "experiment", "well", "exclude", "role",
                                     *settings.panels) if n in columns}  # fmt: skip
    frame.attrs["pooled"] = pooled_columns(raw, consumed, columns["group"])
    result: pd.DataFrame = frame
    return result


def _is_grid_header(row: list[str]) -> bool:
    return [str(c).strip() for c in row[1:13]] == [str(c) for c in COLUMNS]


def _grid_rows(path: Path) -> list[list[str]]:
    """The rows of a grid file from its header row (1 to 12) on.

    Lines above it are the reader's metadata (plate name, wavelength, date), and their separator
    may differ from the grid's.
    """
    import csv

    rows = [row for row in read_rows(path) if any(c != "" for c in row)]
    at = next((i for i, row in enumerate(rows) if _is_grid_header(row)), None)
    if at is not None:
        return rows[at:]
    if is_workbook(load_bytes(path)) is not None:
        return rows
    lines = [line for line in decode(load_bytes(path)).split("\n") if line.strip()]
    for index, line in enumerate(lines):
        separator = delimiter_of(line)
        if _is_grid_header([c.strip() for c in line.split(separator)]):
            return [[c.strip() for c in cells]
                    for cells in csv.reader(lines[index:], delimiter=separator)]  # fmt: skip
    return rows


def _grid(path: Path, what: str) -> dict[str, str]:
    """Read a 96-well grid (header row 1-12, first column A-H) into well -> cell text."""
    cells = _grid_rows(path)
    cells = [row + [""] * (13 - len(row)) for row in cells]  # a ragged grid: empty cells
    header = [str(c).strip() for c in cells[0]] if cells else []
    if header[1:13] != [str(c) for c in COLUMNS] or len(cells) < 9:
        raise InputError(
            f"is not a 96-well {what} grid: the first row must read 1 to 12 after a corner "
            "cell, and rows A to H follow", path=path,
        )  # fmt: skip
    # Past column 12 a reader may write a label on every row (BioTek: the wavelength); a value
    # there on some rows only means a row is shifted: refused, not silently cut.
    beyond = [tuple(str(c).strip() for c in line[13:] if str(c).strip()) for line in cells[1:9]]
    if len(set(beyond)) > 1:
        common = Counter(beyond).most_common(1)[0][0]
        number = next(i for i, extra in enumerate(beyond) if extra != common)
        odd = beyond[number]
        raise InputError(f"row {ROWS[number]} holds {12 + len(odd)} values where the others hold "
                         f"{12 + len(common)}: a 96-well grid has 12 columns (and at most one "
                         "label after them)", path=path, row=number + 2,
                         value=odd[0] if odd else "")  # fmt: skip
    grid = {}
    for line_number, line in enumerate(cells[1:9], start=2):
        letter = str(line[0]).strip().upper()
        if letter != ROWS[line_number - 2]:
            raise InputError(f"row label should be {ROWS[line_number - 2]}", path=path,
                             row=line_number, value=letter)  # fmt: skip
        for column in COLUMNS:
            grid[f"{letter}{column}"] = str(line[column]).strip()
    return grid


def read_od_grids(
    grids: Mapping[int, str | Path], plate_map: str | Path, settings: ViabilitySettings,
    *, experiment: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Turn plate-reader grids (one per wavelength) and a plate map into the tidy OD table.

    Wells the map leaves empty are not used; `experiment` labels every well (one plate = one
    experiment). Raises `InputError` when a grid or the map is not a 96-well grid, or a mapped
    well has no number at a wavelength.
    """
    import pandas as pd

    layout = _grid(Path(plate_map), "plate map")
    readings = {nm: _grid(Path(p), f"{nm} nm") for nm, p in grids.items()}
    wanted = [settings.main_nm, *([settings.reference_nm] if settings.reference_nm else [])]
    for nm in wanted:
        if nm not in readings:
            raise InputError(f"no grid given for {nm} nm")
    records: list[dict[str, Any]] = []
    for index, (well, group) in enumerate(layout.items()):
        if not group:
            continue
        record: dict[str, Any] = {"group": group, "well": well, "row": index + 2}
        if experiment is not None:
            record["experiment"] = experiment
        for nm in wanted:
            record[f"od{nm}"] = _number(
                readings[nm][well], str(grids[nm]), ROWS.index(well[0]) + 2, well
            )
        records.append(record)
    frame = pd.DataFrame(records)
    frame.attrs["source"] = str(plate_map)
    result: pd.DataFrame = frame
    return result


def viability(wells: pd.DataFrame, settings: ViabilitySettings) -> Viability:
    """Compute net OD, blank subtraction, viability % and tests.

    Raises:
        InputError: The control group is absent, or a panel/experiment has no control wells.
    """
    import pandas as pd

    source = wells.attrs.get("source")
    refuse_pooling([str(n) for n in wells.attrs.get("pooled", [])], pool=settings.pool,
                   path=source)  # fmt: skip
    frame = wells.copy()
    frame["flags"] = ""
    if "exclude" in frame:
        frame = frame[frame["exclude"] == ""].copy()
    main = f"od{settings.main_nm}"
    reference = None if settings.reference_nm is None else f"od{settings.reference_nm}"
    frame["net_od"] = [net_od(m, frame[reference].iloc[i] if reference else None)
                       for i, m in enumerate(frame[main])]  # fmt: skip
    is_blank = (frame["role"].str.lower() == "blank") if "role" in frame else frame["group"].eq("")
    if settings.blank_group:
        is_blank = is_blank | frame["group"].str.lower().eq(settings.blank_group.lower())
    blank_like = sorted(
        {g for g in frame.loc[~is_blank, "group"] if str(g).strip().lower() in _BLANK_NAMES}
    )
    if blank_like:
        raise InputError(
            f'group "{blank_like[0]}" looks like blank wells, but the blank group is '
            f'"{settings.blank_group or "none"}": name it with --blank-group, or rename the group '
            "if it really is a treatment",
            path=source,
        )
    if settings.control not in set(frame["group"]):
        raise InputError(f'control group "{settings.control}" is not in the table; groups are: '
                         f"{', '.join(sorted(set(frame['group'])))}", path=source)  # fmt: skip
    keys = list(settings.panels) + (["experiment"] if "experiment" in frame else [])
    notes: list[str] = []
    blanks = frame[is_blank]
    samples = frame[~is_blank].copy()
    if not blanks.empty:
        blank_mean = (
            blanks.groupby(keys, observed=True)["net_od"].mean()
            if keys
            else blanks["net_od"].mean()
        )

        def blank_for(values: tuple[Any, ...]) -> float:
            try:
                return float(blank_mean.loc[values if len(keys) > 1 else values[0]])
            except KeyError:
                where = ", ".join(f"{k} {v}" for k, v in zip(keys, values, strict=True))
                raise InputError(
                    f"{where} has no blank wells: blanks are subtracted within each "
                    f"{' and '.join(keys)}, so each needs its own ("
                    "to skip blank subtraction, remove the blank rows)", path=source,
                ) from None  # fmt: skip

        samples["blank_od"] = (
            [blank_for(tuple(r)) for r in samples[keys].itertuples(index=False)]
            if keys else float(blank_mean)
        )  # fmt: skip
        samples["net_od"] = samples["net_od"] - samples["blank_od"]
        notes.append(f"blank subtracted: mean net OD of {len(blanks)} blank well(s)")
    else:
        notes.append("no blank wells: OD not blank-subtracted")
    low = samples["net_od"] <= 0
    samples.loc[low, "flags"] = "OD at or below the blank"
    control_means = (
        samples[samples["group"] == settings.control].groupby(keys, observed=True)["net_od"].mean()
        if keys else samples.loc[samples["group"] == settings.control, "net_od"].mean()
    )  # fmt: skip

    def control_for(row: Any) -> float:
        if not keys:
            return float(control_means)
        key = tuple(getattr(row, k) for k in keys)
        try:
            return float(control_means.loc[key if len(keys) > 1 else key[0]])
        except KeyError:
            raise InputError(f"no {settings.control} wells for {dict(zip(keys, key, strict=True))}",
                             path=source) from None  # fmt: skip

    samples["viability_pct"] = [
        viability_pct(r.net_od, control_for(r)) for r in samples.itertuples(index=False)
    ]
    by_experiment = "experiment" in samples and samples["experiment"].nunique() >= 2
    on_wells = not by_experiment and settings.replicates == "wells"
    unit = "experiment" if by_experiment else "well"
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    unit_values: dict[tuple[str, str], list[float]] = {}
    panel_groups = (
        samples.groupby(list(settings.panels), observed=True)
        if settings.panels
        else [((), samples)]
    )
    for key, panel in panel_groups:
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        if by_experiment:
            units = panel.groupby(["group", "experiment"], observed=True)["viability_pct"].mean()
            values = {g: units.xs(g, level="group").tolist() for g in units.index.unique("group")}
        else:
            values = {
                g: f["viability_pct"].tolist() for g, f in panel.groupby("group", observed=True)
            }
        order = list(dict.fromkeys([settings.control, *sorted(values, key=natural_key)]))
        unit_values.update({(label, g): list(v) for g, v in values.items()})
        treated = [g for g in order if g != settings.control]
        results = _shown_tests(values, treated, settings, by_experiment=by_experiment,
                               on_wells=on_wells)  # fmt: skip
        for group in order:
            v = values[group]
            mean = sum(v) / len(v)
            sd = (
                math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
                if len(v) > 1
                else math.nan
            )
            low, high = _interval(group, values, results.get(group), settings,
                                  by_experiment=by_experiment)  # fmt: skip
            result = results.get(group)
            rows.append({
                "panel": label, "group": group, "n": len(v),
                "unit": unit if by_experiment or on_wells else "well (technical; not tested)",
                "viability_pct_mean": mean, "viability_pct_sd": sd,
                "viability_pct_ci_low": low, "viability_pct_ci_high": high,
                "change_pct": mean - 100.0,
                "test": "" if result is None else result.test,
                "p_value": math.nan if result is None else result.p_value,
            })  # fmt: skip
            if result is not None:
                comparison = (
                    f"{group} vs 100 %" if by_experiment else f"{group} vs {settings.control}"
                )
                row = result.as_row(label, "viability", comparison)
                row["family"] = SHOWN if math.isfinite(result.p_value) else ""
                tests.append(row)
        if on_wells and len(treated) >= 2:
            anova = anova_tukey({g: values[g] for g in order}, level=settings.ci_level)
            tests.append(anova.anova.as_row(label, "viability", "all groups"))
            for first, second, res in anova.pairs:
                row = res.as_row(label, "viability", f"{second} vs {first}")
                row["family"] = "Tukey HSD: adjusted within the panel"
                tests.append(row)
    if settings.panels and settings.interaction and (by_experiment or on_wells):
        found = _interaction(samples, settings, by_experiment=by_experiment)
        if found is not None:
            tests.append(found[0])
            notes.append(found[1])
    summary, test_frame = _corrected(pd.DataFrame(rows), pd.DataFrame(tests), settings)
    method = method_note(settings, by_experiment=by_experiment, on_wells=on_wells)
    notes.append(method)
    notes.extend(str(n) for n in wells.attrs.get("pooled", []))
    fitted = _dose_fits(samples, settings, by_experiment=by_experiment, source=source)
    fits, points = (None, None) if fitted is None else fitted
    if fits is not None:
        notes += [str(n) for n in fits["said"]]
        fits = fits.drop(columns="said")
    return Viability(summary=summary, tests=test_frame,
                     wells=pd.concat([samples, blanks.assign(flags="blank")], ignore_index=True),
                     notes=tuple(notes), units=unit_values, method=method,
                     dose_response=fits, dose_points=points)  # fmt: skip


def _interaction(
    samples: pd.DataFrame, settings: ViabilitySettings, *, by_experiment: bool
) -> tuple[dict[str, Any], str] | None:
    """Does the treatment act differently between panels? The panel × group interaction.

    Two-way ANOVA of log net OD (a ratio to the control is a difference of logs): per
    experiment and group its mean net OD, experiments as blocks (each panel's experiments its
    own); on one plate asked to be tested (--replicates wells), the wells without blocks.
    Groups shared by every panel only. None when there is nothing to test.
    """
    label = " / ".join(settings.panels)
    names = samples[list(settings.panels)].astype(str).agg(" / ".join, axis=1)
    frame = samples.assign(_panel=names)
    shared = set.intersection(*[set(f["group"]) for _, f in frame.groupby("_panel")])
    frame = frame[frame["group"].isin(shared)]
    if frame["_panel"].nunique() < 2 or len(shared) < 2:
        return None
    if by_experiment:
        frame = frame.groupby(["_panel", "experiment", "group"], observed=True, as_index=False)[
            "net_od"
        ].mean()
    if (frame["net_od"] <= 0).any():
        return None  # log undefined: said by the well flags ("OD at or below the blank")
    blocks = (
        (frame["_panel"] + " / " + frame["experiment"].astype(str)).tolist()
        if by_experiment
        else None
    )
    result = interaction_test(
        [math.log(x) for x in frame["net_od"]], frame["_panel"].tolist(),
        frame["group"].astype(str).tolist(), blocks,
        name="two-way ANOVA of log net OD: interaction",
    )  # fmt: skip
    row = result.as_row("all panels", "viability", f"{label} × group")
    row["family"] = "interaction"
    if not math.isfinite(result.p_value):
        return row, f"{label} × group interaction not tested: {result.note}"
    verdict = (
        f"the treatment acts differently between {label} values" if result.p_value < 0.05
        else f"no evidence that the treatment acts differently between {label} values"
    )  # fmt: skip
    unit = "experiments as blocks" if by_experiment else "wells of one plate"
    return row, (
        f"{label} × group interaction F({result.df_numerator:g}, {result.df:g}) = "
        f"{result.statistic:.2f}, p = {result.p_value:.2g} (two-way ANOVA of log net OD, {unit}): "
        f"{verdict}"
    )


def _dose_fits(
    samples: pd.DataFrame, settings: ViabilitySettings, *, by_experiment: bool,
    source: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:  # fmt: skip
    """A four-parameter logistic per panel, where the table has a dose column (`dose`).

    The units are those of the summary: each experiment's mean per dose, or the wells of one
    plate. Returns the fits (one row per panel) and the points fitted (panel, dose,
    viability_pct); None without a dose column.

    Raises:
        InputError: A group carries more than one dose.
    """
    import pandas as pd

    from assay.analysis.dose import fit_dose_response

    if "dose" not in samples:
        return None
    doses = samples.groupby("group", observed=True)["dose"].nunique()
    if (doses > 1).any():
        raise InputError(f'group "{doses.index[doses > 1][0]}" has several doses: one dose per '
                         "group", path=source, column="dose")  # fmt: skip
    keys = list(settings.panels)
    panels = samples.groupby(keys, observed=True) if keys else [((), samples)]
    rows: list[dict[str, Any]] = []
    points: list[pd.DataFrame] = []
    for key, panel in panels:
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        units = (
            panel.groupby(["experiment", "group"], observed=True)
            .agg(dose=("dose", "first"), viability_pct=("viability_pct", "mean"))
            if by_experiment else panel[["dose", "viability_pct"]]
        )  # fmt: skip
        points.append(pd.DataFrame({
            "panel": label, "dose": units["dose"].to_numpy(float),
            "viability_pct": units["viability_pct"].to_numpy(float),
        }))  # fmt: skip
        fit = fit_dose_response(units["dose"].tolist(), units["viability_pct"].tolist(),
                                level=settings.ci_level)  # fmt: skip
        if fit is None:
            said = f"{label or 'dose-response'}: fewer than 4 doses above 0: no dose-response fit"
            rows.append({"panel": label, "said": said})
            continue
        where = f"{label}: " if label else ""
        said = (
            f"{where}IC50 {fit.ic50:.3g} (95 % CI {fit.ic50_low:.3g}-{fit.ic50_high:.3g}), Hill "
            f"slope {fit.hill:.2f}, plateaus {fit.bottom:.1f}-{fit.top:.1f} % (4-parameter "
            f"logistic on log dose, {fit.points} points)"
            + (f"; ambiguous: {fit.ambiguous}" if fit.ambiguous else "")
        )
        rows.append({"panel": label, "points": fit.points, "doses": fit.doses,
                     "bottom_pct": fit.bottom, "top_pct": fit.top, "ic50": fit.ic50,
                     "ic50_ci_low": fit.ic50_low, "ic50_ci_high": fit.ic50_high,
                     "hill": fit.hill, "ambiguous": fit.ambiguous, "said": said})  # fmt: skip
    return pd.DataFrame(rows), pd.concat(points, ignore_index=True)


def _interval(
    group: str, values: dict[str, list[float]], shown: TestResult | None,
    settings: ViabilitySettings, *, by_experiment: bool,
) -> tuple[float, float]:  # fmt: skip
    """The CI of a group's viability %.

    Experiments: the t-interval over experiments (the control is 100 % by construction, so it
    has none). Wells of one plate: the % is relative to the control wells' mean, which is
    estimated too, so the interval is that of the difference from the control (Student's or
    Welch's, or Dunnett's simultaneous one when shown) moved onto 100 %; the control's own row
    gets the interval of its wells' mean.
    """
    if by_experiment:
        if group == settings.control:
            return math.nan, math.nan
        return _mean_interval(values[group], settings.ci_level)
    if group == settings.control:
        return _mean_interval(values[group], settings.ci_level)
    result = shown
    if result is None or not math.isfinite(result.ci_low):
        result = two_groups(values[settings.control], values[group], welch=settings.welch,
                            level=settings.ci_level)  # fmt: skip
    if not math.isfinite(result.ci_low):
        return math.nan, math.nan
    return 100.0 + result.ci_low, 100.0 + result.ci_high


def _mean_interval(values: list[float], level: float) -> tuple[float, float]:
    """The t-interval of a mean (NaN with fewer than 2 values)."""
    if len(values) < 2:
        return math.nan, math.nan
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1))
    half = t_half_width(sd / math.sqrt(n), n - 1, level)
    return mean - half, mean + half


def _shown_tests(
    values: dict[str, list[float]], treated: list[str], settings: ViabilitySettings, *,
    by_experiment: bool, on_wells: bool,
) -> dict[str, TestResult]:  # fmt: skip
    """The test shown beside each treatment, by the unit of replication.

    Experiments: each treatment's per-experiment percentages against 100 (one-sample t).
    Wells, when asked (--replicates wells): Student's/Welch's t with one treatment, Dunnett's
    test with several. One plate otherwise: nothing (wells of one plate are not independent).
    """
    if by_experiment:
        return {g: one_sample(values[g], 100.0, unit="experiment", level=settings.ci_level)
                for g in treated}  # fmt: skip
    if not on_wells:
        return {}
    control = values[settings.control]
    if settings.welch or len(treated) == 1:
        return {g: two_groups(control, values[g], welch=settings.welch, level=settings.ci_level)
                for g in treated}  # fmt: skip
    return dunnett(control, {g: values[g] for g in treated}, level=settings.ci_level)


def _corrected(
    summary: pd.DataFrame, tests: pd.DataFrame, settings: ViabilitySettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjust the shown p-values as one family over panels and treatments; stars from them."""
    summary["p_unadjusted"] = summary["p_value"]
    if not tests.empty:
        tests["p_adjusted"] = math.nan
        shown = tests.index[tests["family"] == SHOWN]
        raw = tests.loc[shown, "p_value"].tolist()
        tests.loc[shown, "p_adjusted"] = adjust(raw, settings.correction)
        by_key = {(r.panel, r.comparison.split(" vs ")[0]): r.p_adjusted
                  for r in tests.loc[shown].itertuples()}  # fmt: skip
        summary["p_value"] = [by_key.get((r.panel, r.group), math.nan)
                              for r in summary.itertuples()]  # fmt: skip
    summary["significance"] = [stars(p) for p in summary["p_value"]]
    return summary, tests


def method_note(settings: ViabilitySettings, *, by_experiment: bool, on_wells: bool = False) -> str:
    """Say which test ran, on which unit, with which n (the same words in every output)."""
    family = {
        Correction.NONE: "not corrected for multiple comparisons",
        Correction.HOLM: "Holm-adjusted over every panel and treatment",
        Correction.BH: "Benjamini–Hochberg-adjusted over every panel and treatment",
    }[settings.correction]
    level = f"{settings.ci_level * 100:g} %"
    if by_experiment:
        return (
            f"viability % is relative to the mean of {settings.control} within each experiment "
            f"(so {settings.control} is 100 % in every experiment); n counts experiments; each "
            "treatment's percentages are tested against 100 % (one-sample t-test, two-sided), "
            f"p-values {family}; {level} CI of each mean over experiments"
        )
    if on_wells:
        test = "Welch's" if settings.welch else "Student's"
        return (
            f"viability % is relative to the mean of {settings.control} over all wells; "
            "technical replicates as n: n counts wells of one plate (--replicates wells), "
            "which are not independent experiments, so p-values describe this plate only; each "
            f"treatment vs {settings.control}: {test} t-test with one treatment, Dunnett's test "
            f"with several, p-values {family}; ANOVA + Tukey HSD in stats.csv"
        )
    return (
        f"viability % is relative to the mean of {settings.control} over all wells; one "
        "experiment: wells are technical replicates, so the results are descriptive (mean ± SD "
        f"and {level} CI of the wells), not tested. Repeat the experiment and give an "
        "experiment column (or plate labels on --grid/--map) to test; --replicates wells tests "
        "the wells of this plate, saying so"
    )


def summary_text(result: Viability) -> str:
    """A concise terminal summary."""
    lines = [
        f"{'panel':<12} {'group':<16} {'n':>3} {'viability % (mean ± SD)':>23} "
        f"{'95 % CI':>15} {'change':>8} {'p':>12}"
    ]
    for row in result.summary.to_dict(orient="records"):
        p = row["p_value"]
        shown = "" if p != p else f"{p:.2g} {row['significance']}"
        low, high = row["viability_pct_ci_low"], row["viability_pct_ci_high"]
        interval = "" if low != low else f"{low:.1f}-{high:.1f}"
        lines.append(
            f"{str(row['panel'])[:12]:<12} {str(row['group'])[:16]:<16} {row['n']:>3} "
            f"{row['viability_pct_mean']:>15.2f} ± {row['viability_pct_sd']:<5.2f} "
            f"{interval:>15} {row['change_pct']:>+8.2f} {shown:>12}"
        )
    lines.extend(f"WARNING {n}" if n.startswith("pooled:") else f"note: {n}" for n in result.notes)
    return "\n".join(lines) + "\n"
