"""Read a tidy table of qPCR wells (one row per well) from CSV, TSV or Excel.

Columns (any case; common aliases): ``group``, ``gene`` (or target), ``ct`` (or Cq, Cp) are
required; ``sample``, ``well``, ``plate``, ``exclude`` and panel columns (named with ``--by``) are
optional, and any column can be mapped from another name. "Undetermined", "No Ct", "N/A", "-" and
blanks in ``ct`` are missing values: counted and reported, never turned into 40. Rows are numbered
as a spreadsheet numbers them (the header is row 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assay.errors import InputError
from assay.tables import decimal_comma, parse_number, read_frame

if TYPE_CHECKING:
    import pandas as pd

    from assay.analysis.instruments import Export

MISSING_CT = {"", "undetermined", "no ct", "noct", "n/a", "na", "nan", "-", "—", "no cq", "none"}
ALIASES: dict[str, tuple[str, ...]] = {
    "group": ("group", "condition", "treatment"),
    "gene": ("gene", "target", "target_name", "detector", "assay"),
    "ct": ("ct", "cq", "cp", "c_t", "ct_value", "cq_value"),
    "sample": ("sample", "sample_name", "biological_replicate", "cdna"),
    "well": ("well", "well_position", "position"),
    "plate": ("plate",),
    "exclude": ("exclude", "excluded", "omit"),
    "pair": ("pair",),  # the reaction a multiplex target shares with its reference (a well)
    # The export's own mean of the replicate group: checked by QC (`qc.screen`), never used.
    "cq_mean": ("cq_mean", "ct_mean", "ct_avg", "cq_avg"),
}


def _normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def looks_like_wells(columns: Sequence[str]) -> bool:
    """True if the columns name a gene and a Ct (one row per well), under any accepted alias."""
    names = {_normalise(c) for c in columns}
    return all(names & set(ALIASES[field]) for field in ("gene", "ct"))


@dataclass(frozen=True, slots=True, kw_only=True)
class WellTable:
    """The wells read from a file, with what was set aside.

    Attributes:
        wells: Usable wells (``ct`` is NaN where no Ct was measured).
        excluded: Wells removed by the ``exclude`` column, with ``reason``.
        missing: Wells with no Ct, with what their cell said.
        source: The file read.
    """

    wells: pd.DataFrame
    excluded: pd.DataFrame
    missing: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()
    instrument: str | None = None  # the export's format, when the file is an instrument export
    endogenous_control: str | None = None  # what the export says the software used
    reference_sample: str | None = None
    # Per target: from the raw curves when Cqs come from them, else what the export's software
    # applied (Design & Analysis "Adjusted EqCq"); analyze uses them unless told otherwise.
    efficiencies: tuple[tuple[str, float], ...] = ()
    efficiency_source: str = ""  # where `efficiencies` come from, in words


def read_text_table(path: Path) -> pd.DataFrame:
    """Read a table (text with any separator and encoding, .xlsx, .xls, gzipped) as text cells.

    The reading is `assay.tables.read_rows`, shared by every reader; the index holds each row's
    number in the file.

    Raises:
        InputError: No such file, or it cannot be read as a table.
    """
    frame: pd.DataFrame = read_frame(path)
    return frame


def _column_map(
    columns: Sequence[str], mapping: Mapping[str, str], panels: Sequence[str], path: Path
) -> dict[str, str]:
    by_norm = {_normalise(c): c for c in columns}
    found: dict[str, str] = {}
    for field, given in mapping.items():
        if given not in columns:
            raise InputError(
                f'the column "{given}" given for {field} is not in the table; columns are: '
                f"{', '.join(columns)}", path=path,
            )  # fmt: skip
        found[field] = given
    for field, aliases in ALIASES.items():
        if field in found:
            continue
        for alias in aliases:
            if alias in by_norm:
                found[field] = by_norm[alias]
                break
    for panel in panels:
        if panel not in columns and _normalise(panel) not in by_norm:
            raise InputError(
                f'the panel column "{panel}" (--by) is not in the table; columns are: '
                f"{', '.join(columns)}", path=path,
            )  # fmt: skip
    missing = [f for f in ("group", "gene", "ct") if f not in found]
    if missing:
        raise InputError(
            f"required column(s) missing: {', '.join(missing)} (Cq and Cp are accepted for ct); "
            f"columns are: {', '.join(columns)}", path=path,
        )  # fmt: skip
    return found


def _parse_ct(text: str, path: Path, row: int, column: str) -> float:
    cleaned = text.strip()
    if cleaned.lower() in MISSING_CT:
        return math.nan
    value = parse_number(decimal_comma(cleaned))  # "27,3" (a European export) is 27.3
    if value is None:
        raise InputError("is not a Ct value", path=path, row=row, column=column,
                         value=text) from None  # fmt: skip
    if not 0 < value <= 60:
        raise InputError("is not a plausible Ct (expected between 0 and 60 cycles)", path=path,
                         row=row, column=column, value=text)  # fmt: skip
    return value


def _stripped(column: pd.Series) -> pd.Series:
    """The cells as categorical text without surrounding spaces, each distinct value stripped once.

    Categories make the grouping by gene, group and sample that follows work on integer codes.
    """
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(column.astype(str))
    # Sorted, so that grouping sorts as it would on text; "A" and "A " become one category.
    categories, merged = np.unique([value.strip() for value in distinct], return_inverse=True)
    text: pd.Series = pd.Series(
        pd.Categorical.from_codes(merged[codes], categories=pd.Index(categories, dtype="str")),
        index=column.index,
    )
    return text


def _mean_efficiencies(tables: Sequence[WellTable]) -> tuple[tuple[str, float], ...]:
    """Each target's efficiency over the plates that gave one (their mean)."""
    found: dict[str, list[float]] = {}
    for table in tables:
        for target, value in table.efficiencies:
            found.setdefault(target, []).append(value)
    return tuple(sorted((t, sum(v) / len(v)) for t, v in found.items()))


def read_plates(
    paths: Sequence[str | Path],
    *,
    columns: Mapping[str, str] | None = None,
    panels: Sequence[str] = (),
    samples: str | Path | None = None,
    cq_from: str = "auto",
) -> WellTable:
    """Read several files of one experiment (plates) as one table of wells.

    Each file is read by `read_wells`; a well keeps the file it came from as its plate when the
    file names no plate. The export's endogenous control and reference sample are taken when the
    files agree on them.

    Raises:
        InputError: As `read_wells`, naming the file.
    """
    import pandas as pd

    tables = [
        read_wells(p, columns=columns, panels=panels, samples=samples, cq_from=cq_from)
        for p in paths
    ]
    if len(tables) == 1:
        return tables[0]

    def plated(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
        plate = frame["plate"].astype(str) if "plate" in frame else pd.Series("", index=frame.index)
        named: pd.DataFrame = frame.assign(plate=plate.where(plate != "", Path(path).name))
        return named

    def agreed(values: list[str | None]) -> str | None:
        return values[0] if len(set(values)) == 1 else None

    wells = pd.concat([plated(t.wells, p) for t, p in zip(tables, paths, strict=True)],
                      ignore_index=True)  # fmt: skip
    excluded = pd.concat([plated(t.excluded, p) for t, p in zip(tables, paths, strict=True)],
                         ignore_index=True)  # fmt: skip
    return WellTable(
        wells=wells, excluded=excluded, missing=wells[wells["ct"].isna()],
        source=", ".join(str(p) for p in paths),
        notes=tuple(dict.fromkeys(n for t in tables for n in t.notes)),
        instrument=agreed([t.instrument for t in tables]),
        endogenous_control=agreed([t.endogenous_control for t in tables]),
        reference_sample=agreed([t.reference_sample for t in tables]),
        efficiencies=_mean_efficiencies(tables),
        efficiency_source=agreed([t.efficiency_source for t in tables]) or "",
    )  # fmt: skip


def _is_wide(raw: pd.DataFrame) -> bool:
    """True for a table of Cts with one column per gene and no other column (pcr's ct1.csv)."""
    if raw.empty or len(raw.columns) < 2:
        return False
    cells = {str(c).strip().lower() for c in raw.to_numpy().ravel()}
    return all(c in MISSING_CT or parse_number(c) is not None for c in cells)


def _wide_to_long(
    raw: pd.DataFrame, samples: str | Path | None, path: Path
) -> tuple[pd.DataFrame, list[int]]:
    """Melt a wide table: each row a sample ("row N"), each column a gene; groups from a sheet."""
    import pandas as pd

    records = [
        {"sample": f"row {number}", "gene": str(gene), "ct": str(raw.at[number, gene]),
         "group": "", "row": int(number)}
        for number in raw.index  # each row's number in the file
        for gene in raw.columns
    ]  # fmt: skip
    long = pd.DataFrame(records)
    if samples is not None:
        sheet = read_text_table(Path(samples))
        columns = {c.strip().lower(): c for c in sheet.columns}
        if not {"sample", "group"} <= columns.keys():
            raise InputError(
                'a sample sheet for a table with one column per gene needs columns "sample" '
                '(row 2, row 3, ... as the table numbers its rows) and "group"',
                path=samples,
            )
        groups = dict(zip(sheet[columns["sample"]].str.strip(), sheet[columns["group"]],
                          strict=True))  # fmt: skip
        long["group"] = long["sample"].map(groups).fillna("")
    missing = long.loc[long["group"] == "", "sample"]
    if not missing.empty and samples is not None:  # the sheet leaves a row out: it is named
        raise InputError(
            f'gives no group for "{missing.iloc[0]}" of {Path(path).name} (each of its '
            f"{len(raw.index)} rows needs one: row {min(raw.index)} to row {max(raw.index)})",
            path=samples,
        )
    if not missing.empty:
        raise InputError(
            f"has one column per gene and no group column: give a sample sheet (--samples FILE) "
            f'with columns sample and group; no group for "{missing.iloc[0]}"',
            path=path,
        )
    rows = [int(r) for r in long.pop("row")]
    return long, rows


def read_wells(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    panels: Sequence[str] = (),
    samples: str | Path | None = None,
    cq_from: str = "auto",
) -> WellTable:
    """Read and check a well table, or an instrument's export (`instruments.read_export`).

    Args:
        path: CSV, TSV/TXT or XLSX file, one row per well; or an instrument export.
        samples: For an instrument export, a sample sheet keyed by well or sample (group, gene,
            panel columns).
        columns: Explicit mapping from a field (group, gene, ct, sample, well, plate, exclude) to
            the table's column name.
        panels: Panel columns (analysed separately), e.g. ``["cell_line"]``.
        cq_from: For an export with raw amplification data: ``curves`` takes Cqs and
            efficiencies from the curves (`rawcurves.with_curve_cq`), ``instrument`` the
            instrument's Cqs, ``auto`` the curves only when the export has no Cq at all.

    Returns:
        The usable wells, the excluded ones and those without a Ct.

    Raises:
        InputError: A required column is missing, a Ct is not a number, a required cell is empty;
            the message names the file, row, column and value.
    """
    from assay.analysis.qc import screen

    return screen(_read_wells(path, columns=columns, panels=panels, samples=samples,
                              cq_from=cq_from))  # fmt: skip


def _read_wells(
    path: str | Path, *, columns: Mapping[str, str] | None, panels: Sequence[str],
    samples: str | Path | None, cq_from: str,
) -> WellTable:  # fmt: skip
    from dataclasses import replace

    from assay.analysis.instruments import read_export

    path = Path(path)
    export = read_export(path, raw=cq_from == "curves")
    if export is None:
        raw = read_text_table(path)
        if columns or looks_like_wells(list(raw.columns)) or not _is_wide(raw):
            return wells_from_table(raw, path, columns=columns, panels=panels)
        long, rows = _wide_to_long(raw, samples, path)
        return replace(
            wells_from_table(long, path, panels=panels, rows=rows),
            notes=("one column per gene, one row per sample: read as such (sample = its row)",),
        )
    from assay.analysis.rawcurves import chooses_curves, with_curve_cq

    if not chooses_curves(export, cq_from):
        table = wells_from_export(export, columns=columns, panels=panels, samples=samples)
        if export.amplification is None:
            return table
        from assay.analysis.qc import against_curves

        # The instrument's Cqs, checked against what the raw curves say of each well.
        return against_curves(table, with_curve_cq(export), use=cq_from == "instrument")
    curves = with_curve_cq(export)
    table = wells_from_export(curves.export, columns=columns, panels=panels, samples=samples)

    def annotated(frame: pd.DataFrame) -> pd.DataFrame:  # what the curves say of each well
        said: pd.DataFrame = frame.assign(curves=frame["row"].map(curves.per_row).fillna(""))
        return said

    from assay.analysis.qc import flag_unreliable

    return replace(
        table, wells=flag_unreliable(annotated(table.wells)), excluded=annotated(table.excluded),
        missing=annotated(table.missing), notes=(*curves.notes, *table.notes),
        efficiencies=tuple(sorted(curves.efficiencies.items())),
        efficiency_source="the raw curves",
    )  # fmt: skip


def wells_from_export(
    export: Export,
    *,
    columns: Mapping[str, str] | None = None,
    panels: Sequence[str] = (),
    samples: str | Path | None = None,
) -> WellTable:
    """The table of wells of an instrument export already read (see `read_wells`)."""
    from dataclasses import replace

    from assay.analysis.instruments import analysis_table

    sheet = read_text_table(Path(samples)) if samples is not None else None
    raw, rows, notes = analysis_table(export, sheet)
    table = wells_from_table(raw, export.path, columns=columns, panels=panels, rows=rows)
    return replace(
        table, notes=tuple(notes), instrument=export.instrument,
        endogenous_control=export.endogenous_control, reference_sample=export.reference_sample,
        efficiencies=export.efficiencies,
        efficiency_source="the export (what its software applied)" if export.efficiencies else "",
    )  # fmt: skip


def wells_from_table(
    raw: pd.DataFrame,
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    panels: Sequence[str] = (),
    rows: Sequence[int] | None = None,
) -> WellTable:
    """Check the wells of a table already read as text (see `read_wells`); `path` for messages.

    `rows` gives each table row's place in the file (default: a header row, then one per row).
    """
    import pandas as pd

    path = Path(path)
    mapped = _column_map(list(raw.columns), columns or {}, panels, path)
    frame = pd.DataFrame({field: _stripped(raw[column]) for field, column in mapped.items()})
    by_norm = {_normalise(c): c for c in raw.columns}
    for panel in panels:
        frame[panel] = _stripped(raw[panel if panel in raw.columns else by_norm[_normalise(panel)]])
    frame["row"] = list(rows) if rows is not None else raw.index.to_numpy()
    frame = frame[(frame[["group", "gene", "ct"]] != "").any(axis=1)]  # blank lines
    for field in ("group", "gene", *panels):
        empty = frame[frame[field] == ""]
        if not empty.empty:
            raise InputError("is empty", path=path, row=int(empty["row"].iloc[0]),
                             column=mapped.get(field, field))  # fmt: skip
    ct_column = mapped["ct"]
    frame["ct_text"] = frame["ct"]
    ct_text = frame["ct_text"].cat
    texts = ct_text.categories.to_series().map(decimal_comma)  # each distinct text read once
    numbers = pd.Series(
        pd.to_numeric(texts, errors="coerce").to_numpy()[ct_text.codes], index=frame.index
    )
    # Only cells that are not plain numbers in range go through the slow, explaining parser.
    odd = numbers.isna() | ~numbers.between(0, 60, inclusive="right")
    for text, row in zip(frame.loc[odd, "ct_text"], frame.loc[odd, "row"], strict=True):
        _parse_ct(text, path, int(row), ct_column)  # raises for anything but a missing value
    frame["ct"] = numbers.where(~odd)
    if "exclude" in frame:
        # An Omit column says "FALSE" for every kept well: only a true or a reason excludes.
        kept = frame["exclude"].astype(str).str.lower().isin(["", "false", "no", "0"])
        frame["exclude"] = frame["exclude"].astype(str).where(~kept, "")
        omitted = frame["exclude"].str.lower().isin(["true", "yes", "1"])
        frame.loc[omitted, "exclude"] = "omitted"
        is_excluded = frame["exclude"] != ""
        excluded = frame[is_excluded].rename(columns={"exclude": "reason"})
        frame = frame[~is_excluded]
    else:
        excluded = frame.iloc[0:0].assign(reason=[])
    missing = frame[frame["ct"].isna()]
    pooled = pooled_columns(raw.loc[frame.index] if len(frame) else raw,
                            {*mapped.values(), *panels}, mapped["group"])  # fmt: skip
    return WellTable(wells=frame, excluded=excluded, missing=missing, source=str(path),
                     notes=tuple(pooled))  # fmt: skip


# Columns that identify replicates, runs or bookkeeping: never panels to analyse apart.
_NOT_PANELS = frozenset({
    "experiment", "replicate", "rep", "plate", "run", "block", "batch", "date", "well", "sample",
    "note", "notes", "comment", "comments", "description", "operator", "time", "row", "column",
    "position", "pos", "task", "role", "omit", "flag", "flags", "dye", "reporter", "quencher",
})  # fmt: skip
MAX_PANEL_VALUES = 12  # more distinct values than this is an identifier, not a condition


def pooled_columns(raw: pd.DataFrame, used: set[str], group: str) -> list[str]:
    """Warnings for text columns that split the groups but were not given to --by.

    A cell line or treatment column left out of --by pools its values into one group mean
    (viability 130 % and 77 % average to 103 %): said, with the option that keeps them apart.
    """
    found = []
    groups = raw[group].astype(str).str.strip()
    for column in raw.columns:
        if column in used or _normalise(str(column)) in _NOT_PANELS:
            continue
        values = raw[column].astype(str).str.strip()
        distinct = sorted(set(values) - {""})
        if not 2 <= len(distinct) <= MAX_PANEL_VALUES:
            continue
        if all(parse_number(v) is not None for v in distinct):
            continue  # numbers: a measurement or a dose, not a condition to split by
        if not (values.groupby(groups).nunique() >= 2).any():
            continue  # one value per group: it names the groups, nothing is pooled
        shown = ", ".join(distinct[:4]) + (", …" if len(distinct) > 4 else "")
        found.append(
            f'pooled: column "{column}" holds {len(distinct)} values ({shown}) within the '
            f"groups, and they are averaged together; give --by {column} to analyse each apart"
        )
    return found


def refuse_pooling(notes: Sequence[str], *, pool: bool, path: str | None) -> None:
    """Refuse to average a factor the user did not name, unless told to (--pool).

    A column that holds several values within the groups (a cell line, a treatment) and was not
    given to --by would be averaged away: 130 % and 77 % viability become "103 %, ns".

    Raises:
        InputError: Such columns, named, with the two ways on.
    """
    columns = [re.search(r'column "([^"]+)"', n) for n in notes if n.startswith("pooled:")]
    named = [m.group(1) for m in columns if m is not None]
    if named and not pool:
        raise InputError(
            f"the column(s) {', '.join(named)} hold several values within the groups: give "
            f"--by {','.join(named)} to analyse each apart, or --pool to average them together",
            path=path,
        )  # fmt: skip
