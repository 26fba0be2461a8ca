"""MTT viability: from plate-reader absorbances to viability % and its statistics.

Net OD = OD(main) − OD(reference) per well, minus the mean net OD of blank wells when there are any;
viability % = net OD / mean net OD of the control group × 100 (Mosmann 1983; as in the seed paper's
Methods 2.2), per panel and per independent experiment. With several experiments, each experiment's
group mean is one value and the summary runs over experiments; without, over wells.

What is tested follows from how the data were normalised. Per experiment, the control is exactly
100 % in every experiment by construction, so each treatment's percentages are tested against 100
(one-sample t-test, n = experiments); a two-sample test against a column of exact 100s would count
the control's n while giving it no variance, and print stars the data have not earned. Without
experiments, the control wells vary around their own mean and are compared with each treatment
(Student's or Welch's t; with several treatments also Dunnett's test against the control and
ANOVA + Tukey). Every table says which test, on which unit, with which n.

Reading: a tidy table (one row per well) or 96-well grids (rows A-H, columns 1-12; one grid per
wavelength) with a plate map grid of the same shape naming each well's group.

>>> net_od(0.82, 0.05)
0.77
>>> viability_pct(0.5, 0.8)
62.5
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.analysis.stats import anova_tukey, dunnett, one_sample, stars, two_groups
from assay.analysis.wells import read_text_table
from assay.errors import InputError
from assay.tables import parse_number, read_rows

if TYPE_CHECKING:
    import pandas as pd

ROWS = "ABCDEFGH"
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
    method: str = ""  # which test, on which unit, with which n (`method_note`)


# Plate readers report absorbance up to about 4; a reading far outside is not an OD (a reader
# that subtracts its own blank may report slightly negative values).
OD_RANGE = (-0.2, 5.0)


def _number(text: str, path: str, row: int, column: str) -> float:
    value = parse_number(text)
    if value is None:
        hint = ' (decimal separator must be ".")' if re.fullmatch(r"\d+,\d+", text.strip()) else ""
        raise InputError(f"is not an optical density{hint}", path=path, row=row, column=column,
                         value=text)  # fmt: skip
    low, high = OD_RANGE
    if not low <= value <= high:
        raise InputError(
            f"is not a plausible optical density (expected {low:g} to {high:g})", path=path,
            row=row, column=column, value=text,
        )  # fmt: skip
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
    for optional in ("experiment", "well", "exclude", "role", *settings.panels):
        if optional in columns:
            frame[optional] = raw[columns[optional]].astype(str).str.strip()
    frame.attrs["source"] = str(path)
    result: pd.DataFrame = frame
    return result


def _grid(path: Path, what: str) -> dict[str, str]:
    """Read a 96-well grid (header row 1-12, first column A-H) into well -> cell text."""
    cells = [row for row in read_rows(path) if any(c != "" for c in row)]
    cells = [row + [""] * (13 - len(row)) for row in cells]  # a ragged grid: empty cells
    header = [str(c).strip() for c in cells[0]] if cells else []
    if header[1:13] != [str(c) for c in COLUMNS] or len(cells) < 9:
        raise InputError(
            f"is not a 96-well {what} grid: the first row must read 1 to 12 after a corner "
            "cell, and rows A to H follow", path=path,
        )  # fmt: skip
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
    grids: Mapping[int, str | Path], plate_map: str | Path, settings: ViabilitySettings
) -> pd.DataFrame:
    """Turn plate-reader grids (one per wavelength) and a plate map into the tidy OD table.

    Wells the map leaves empty are not used. Raises `InputError` when a grid or the map is not a
    96-well grid, or a mapped well has no number at a wavelength.
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
    by_experiment = "experiment" in samples
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
        order = list(dict.fromkeys([settings.control, *sorted(values)]))
        unit_values.update({(label, g): list(v) for g, v in values.items()})
        treated = [g for g in order if g != settings.control]
        results = {
            g: one_sample(values[g], 100.0, unit=unit) if by_experiment
            else two_groups(values[settings.control], values[g], welch=settings.welch)
            for g in treated
        }  # fmt: skip
        for group in order:
            v = values[group]
            mean = sum(v) / len(v)
            sd = (
                math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
                if len(v) > 1
                else math.nan
            )
            result = results.get(group)
            rows.append({
                "panel": label, "group": group, "n": len(v), "unit": unit,
                "viability_pct_mean": mean, "viability_pct_sd": sd, "change_pct": mean - 100.0,
                "test": "" if result is None else result.test,
                "p_value": math.nan if result is None else result.p_value,
                "significance": "" if result is None else stars(result.p_value),
            })  # fmt: skip
            if result is not None:
                comparison = (
                    f"{group} vs 100 %" if by_experiment else f"{group} vs {settings.control}"
                )
                tests.append(result.as_row(label, "viability", comparison))
        if not by_experiment and len(treated) >= 2:
            for group, res in dunnett(
                values[settings.control], {g: values[g] for g in treated}
            ).items():
                tests.append(res.as_row(label, "viability", f"{group} vs {settings.control}"))
            anova = anova_tukey({g: values[g] for g in order})
            tests.append(anova.anova.as_row(label, "viability", "all groups"))
            for first, second, res in anova.pairs:
                tests.append(res.as_row(label, "viability", f"{second} vs {first}"))
    method = method_note(settings, by_experiment=by_experiment)
    notes.append(method)
    return Viability(summary=pd.DataFrame(rows), tests=pd.DataFrame(tests),
                     wells=pd.concat([samples, blanks.assign(flags="blank")], ignore_index=True),
                     notes=tuple(notes), units=unit_values, method=method)  # fmt: skip


def method_note(settings: ViabilitySettings, *, by_experiment: bool) -> str:
    """Say which test ran, on which unit, with which n (the same words in every output)."""
    if by_experiment:
        return (
            f"viability % is relative to the mean of {settings.control} within each experiment "
            f"(so {settings.control} is 100 % in every experiment); n counts experiments; each "
            "treatment's percentages are tested against 100 % (one-sample t-test, two-sided)"
        )
    test = "Welch's" if settings.welch else "Student's"
    return (
        f"viability % is relative to the mean of {settings.control} over all wells; n counts "
        f"wells (technical replicates, not independent experiments: add an experiment column "
        f"when there are several); each treatment vs {settings.control}: {test} t-test, "
        "two-sided; with several treatments also Dunnett's test and ANOVA + Tukey HSD"
    )


def summary_text(result: Viability) -> str:
    """A concise terminal summary."""
    lines = [f"{'panel':<12} {'group':<16} {'n':>3} {'viability %':>16} {'change':>8} {'p':>12}"]
    for row in result.summary.to_dict(orient="records"):
        p = row["p_value"]
        shown = "" if p != p else f"{p:.2g} {row['significance']}"
        lines.append(
            f"{str(row['panel'])[:12]:<12} {str(row['group'])[:16]:<16} {row['n']:>3} "
            f"{row['viability_pct_mean']:>8.2f} ± {row['viability_pct_sd']:<5.2f} "
            f"{row['change_pct']:>+8.2f} {shown:>12}"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines) + "\n"
