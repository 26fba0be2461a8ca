"""qPCR instrument exports read as exported: the format found from the content, one well model out.

Formats (``shared/instrument_exports/PROVENANCE.md`` has a real file of each):

* QuantStudio / StepOne / ViiA text exports (``* key = value`` header, ``[Results]`` section,
  footer with the endogenous control and reference sample);
* QuantStudio "Export → .csv" (a block of run settings, the well table, the footer);
* QuantStudio Design & Analysis and Real-Time PCR Software Excel exports (.xlsx; the ``Results``
  sheet found by its header row, not by its place; standards' quantities from *Standard Curve
  Result* where Results lacks them), StepOne / QuantStudio legacy Excel (.xls), and a workbook
  holding only *Technical Analysis Result* (one Ct Mean per sample and target);
* ABI 7900HT SDS 2.x RQ results (text; "Summary Data" footer);
* Bio-Rad CFX Manager / Maestro "Quantification Cq Results" (``,`` or ``;``, with or without a
  leading empty column), with the run's raw-data CSVs beside it (one column per well), which
  are also read on their own;
* Roche LightCycler 480 "Abs Quant" text (CR-only line endings too);
* Qiagen Rotor-Gene Q "Excel Analysed Data Export" (``;``, one table per analysis page);
* OpenArray Real-Time qPCR Analysis Software CSV (``ThroughHole.Ct``; Ct 40 is no Ct);
* RDML 1.0-1.4 (a zip of XML, namespaced or not, read with defusedxml).

Any of them may be gzipped; text may be UTF-8 (with or without BOM), UTF-16 or cp1252. Adapters
only map: every well becomes a row of plate, well, sample, target, dye, role, cq (NaN: no Cq),
omitted, quantity and the software's RQ where the export has one. "Undetermined", "NaN", "N/A"
and instrument placeholders (LightCycler 96 writes 100 for no amplification) are no Cq, never a
number. Nothing is computed here.

>>> Role.from_text("NTC"), Role.from_text("Unkn"), Role.from_text("STANDARD")
(<Role.NTC: 'ntc'>, <Role.UNKNOWN: 'unknown'>, <Role.STANDARD: 'standard'>)
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay._compat import StrEnum
from assay.analysis.wells import MISSING_CT
from assay.errors import InputError
from assay.tables import (
    MAX_FILE_BYTES,
    Rows,
    check_lines,
    check_xml,
    decode,
    load_bytes,
    natural_key,
    parse_number,
    workbook_sheets,
)

if TYPE_CHECKING:
    import pandas as pd

PLACEHOLDER_CQ = 99.0  # a Cq at or above this is an instrument's "no Cq" (LightCycler 96: 100)
MAX_CQ = 60.0  # no run has more cycles: a larger Cq is noise an instrument reported (LC96 ntp)
WELL_COLUMNS = (
    "plate", "well", "sample", "target", "dye", "role", "cq", "cq_text", "omitted", "quantity",
    "rq", "biogroup", "row",
)  # fmt: skip


class Role(StrEnum):
    """What a well is for."""

    UNKNOWN = "unknown"
    NTC = "ntc"
    NO_RT = "no-rt"
    STANDARD = "standard"
    POSITIVE = "positive"
    NEGATIVE = "negative"

    @classmethod
    def from_text(cls, text: str) -> Role:
        """Read an instrument's task/content word (unknown words are unknown samples)."""
        word = text.strip().lower()
        # CFX numbers its contents: "Unkn-01", "NTC-02", "Std-03", "Pos Ctrl-01".
        word = re.sub(r"[\s_-]*\d+$", "", word) or word
        for role, words in _ROLE_WORDS.items():
            if word in words:
                return role
        return cls.UNKNOWN


_ROLE_WORDS = {
    Role.NTC: {"ntc", "neg ctrl", "no template control", "non-template control"},
    Role.NO_RT: {"nrt", "no rt", "minus rt", "-rt", "nac", "no amplification control"},
    Role.STANDARD: {"standard", "std"},
    Role.POSITIVE: {"pos ctrl", "positive", "pos", "ipc"},
    Role.NEGATIVE: {"ntp", "negative"},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    """The wells of one instrument export and what the software said about the run.

    Attributes:
        path: The file.
        instrument: The format, in words ("QuantStudio text export", ...).
        wells: One row per well and target, columns `WELL_COLUMNS`.
        endogenous_control: The reference target the software used, when the export names it.
        reference_sample: The calibrator sample the software used, when named.
        notes: What a user should know about how the file was read.
        amplification: Raw fluorescence per cycle, when the export carries it (RDML ``adp``).
        melt: Raw fluorescence per temperature, when the export carries it (RDML ``mdp``).
        amplicons: (target, amplicon sequence) where the export gives a real one.
        efficiencies: (target, amplification factor) the software applied, where it says.
        chemistries: (target, detection chemistry) where the export states it (RDML's
            ``dyeChemistry``: "hydrolysis probe", "saturating DNA binding dye", ...).
    """

    path: str
    instrument: str
    wells: pd.DataFrame
    endogenous_control: str | None = None
    reference_sample: str | None = None
    notes: tuple[str, ...] = field(default=())
    amplification: Traces | None = None
    melt: Traces | None = None
    amplicons: tuple[tuple[str, str], ...] = ()
    efficiencies: tuple[tuple[str, float], ...] = ()
    chemistries: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Traces:
    """Raw readings of an export, one row per row of `Export.wells` (same order).

    Attributes:
        x: Cycle numbers (amplification) or temperatures in °C (melt), shape (wells, points).
        y: Fluorescence at those points; NaN where a well has fewer points or none.
    """

    x: Any  # numpy float array (wells, points)
    y: Any


# Reading bytes into tables ---------------------------------------------------------------------


# Column names, by what they hold (normalised: lower case, Cyrillic т read as t).
_ALIASES = {
    # Rotor-Gene numbers its tubes ("No."); OpenArray names through-holes ("ThroughHole.Address").
    "well": ("well position", "pos", "well", "no.", "throughhole.address"),
    "sample": ("sample name", "sample", "name", "sampleinfo.sampleid"),
    "target": ("target name", "target", "detector", "assay name", "assay.assay id"),
    "dye": ("reporter", "fluor", "dye"),
    "task": ("task", "content", "type", "assay.assay type"),
    "cq": ("cq", "ct", "crt", "cp", "c t", "cq value", "throughhole.ct"),
    "omit": ("omit", "throughhole.outlier"),
    "include": ("include",),
    # Rotor-Gene: "Given Conc (Copies)", the unit in brackets (dropped before matching).
    "quantity": ("quantity", "starting quantity (sq)", "concentration", "given conc"),
    "rq": ("rq",),
    "plate": ("plateid", "plate", "openarrayplate.serialnumber"),
    "biogroup": ("biogroup name", "biological set name", "biogroup", "sampleinfo.description"),
    # The software's own mean of the replicate group (checked by QC, never used as a Cq).
    "cq_mean": ("ct avg", "ct mean", "cq mean", "crt mean", "cp mean", "rep. ct"),
    "card": ("filename",),  # ABI 7900: the card (plate) each well row comes from
}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("т", "t").replace("Т", "T").strip().lower())


def _find_columns(header: Sequence[str]) -> dict[str, int]:
    """Where each field's column is: its name exactly, else its name before a "(unit)".

    >>> _find_columns(["No.", "Name", "Ct", "Given Conc (Copies)", "Rep. Ct", "Rep. Ct (95% CI)"])
    {'well': 0, 'sample': 1, 'cq': 2, 'quantity': 3, 'cq_mean': 4}
    """
    names = [_norm(h) for h in header]
    bare = [re.sub(r"\s*\([^)]*\)$", "", n) for n in names]
    found: dict[str, int] = {}
    for field_name, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[field_name] = names.index(alias)
                break
        else:
            at = next((bare.index(a) for a in aliases if a in bare), None)
            if at is not None and at not in found.values():
                found[field_name] = at
    return found


def _is_header(row: Sequence[str]) -> bool:
    if sum(1 for c in row if c) < 2:  # fast past blank rows: a sheet may hold a million
        return False
    columns = _find_columns(row)
    if "cq" in columns:
        return "well" in columns or "target" in columns
    # Genotyping and presence/absence exports have wells and samples but no Cq column.
    return {"well", "sample"} <= columns.keys() and _norm(row[0]) == "well"


def _key_values(rows: Sequence[Sequence[str]]) -> dict[str, str]:
    """Key/value lines ("* Endogenous Control = GAPDH", tab or cell separated)."""
    found = {}
    for row in rows:
        cells = [c for c in row if c != ""]
        if len(cells) == 1 and "=" in cells[0]:
            key, _, value = cells[0].lstrip("* ").partition("=")
            found[key.strip().lower()] = value.strip()
        elif len(cells) >= 2:
            found[cells[0].lstrip("* ").strip().lower()] = cells[1]
    return found


@dataclass(frozen=True, slots=True)
class _Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line or row number in the file, cells)
    before: list[list[str]]
    after: list[list[str]]


_WELL_ID = re.compile(r"^(?:\d+|[A-Pa-p]\d{1,2})$")


def _footer_line(row: Sequence[str]) -> bool:
    """A key/value line ("Analysis Type", "Singleplex") under a table whose rows start with a well.

    >>> _footer_line(["Analysis Type", "Singleplex"]), _footer_line(["12", "B1", "liver"])
    (True, False)
    """
    first = str(row[0]).strip()
    filled = [c for c in row if str(c).strip()]
    return bool(first) and not _WELL_ID.match(first) and len(filled) <= 2


def _table_in(rows: list[list[str]], start: int = 0) -> _Table | None:
    """The well table inside a sheet or text: its header row, the rows to the first blank one."""
    for index in range(start, len(rows)):
        row = rows[index]
        if _is_header(row):
            body: list[tuple[int, list[str]]] = []
            end = index + 1
            numbered = _norm(row[0]) == "well"
            while end < len(rows) and any(c != "" for c in rows[end]):
                if numbered and body and _footer_line(rows[end]):
                    break  # a footer written straight after the table, with no blank line
                body.append((end + 1, rows[end]))
                end += 1
            return _Table(header=row, rows=body, before=rows[:index], after=rows[end:])
    return None


def _tables_in(rows: list[list[str]]) -> list[tuple[str, _Table]]:
    """Every well table of a file that holds several, one after another, each under a title.

    Rotor-Gene's "Excel Analysed Data Export" writes one table per analysis page ("Quantitative
    analysis of Cycling A.Green (28S)"), each with its own header. Returns (title, table): the
    title is the last one-cell line above the table's header.
    """
    found: list[tuple[str, _Table]] = []
    start = 0
    while (table := _table_in(rows, start)) is not None:
        lines = [[c for c in r if c] for r in table.before[start:]]
        title = next((r[0] for r in reversed(lines) if len(r) == 1), "")
        found.append((title, table))
        start = len(table.before) + 1 + len(table.rows)
    return found


def _split(line: str) -> list[str]:
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    separator = ";" if line.count(";") > line.count(",") else ","
    import csv

    return [c.strip() for c in next(csv.reader([line], delimiter=separator))]


# From a table to the well model ----------------------------------------------------------------


def _cq(text: str, path: Path, row: int, column: str, notes: set[str]) -> float:
    cleaned = text.strip()
    if cleaned.lower() in MISSING_CT or cleaned.lower() in ("undetermined", "nan", "no cq"):
        return math.nan
    value = parse_number(
        cleaned.replace(",", ".") if re.fullmatch(r"\d+,\d+", cleaned) else cleaned
    )
    if value is None:
        raise InputError("is not a Cq value", path=path, row=row, column=column, value=text)
    if value >= PLACEHOLDER_CQ or value <= 0:
        # 100, 99.9 (LightCycler), -1 (RDML-Tools), 0 (CFX "no Cq"): marks, not cycles.
        notes.add(f"Cq {value:g} is the instrument's mark for no amplification: read as no Cq")
        return math.nan
    if value > MAX_CQ:
        notes.add(f"Cqs above {MAX_CQ:g} (beyond any run's cycles: instrument noise) read as no Cq")
        return math.nan
    return value


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _quantity(text: str) -> float | None:
    """A standard's quantity; QuantStudio may write it with thousands separators.

    Only where unambiguous: groups of three after a comma, and a decimal point or two or more
    groups ("100,000,000.000", "1,000,000"); "1,000" alone could be a decimal comma.

    >>> _quantity("100,000,000.000"), _quantity("1,000,000"), _quantity("1,000"), _quantity("400")
    (100000000.0, 1000000.0, None, 400.0)
    """
    cleaned = text.strip()
    if _THOUSANDS.fullmatch(cleaned) and ("." in cleaned or cleaned.count(",") >= 2):
        return float(cleaned.replace(",", ""))
    return parse_number(cleaned)


def _wells_from_table(table: _Table, path: Path, notes: set[str]) -> pd.DataFrame:
    import pandas as pd

    columns = _find_columns(table.header)
    if "cq" not in columns:
        notes.add("the export has no Cq column (a genotyping or presence/absence run): no Cq")
    cq_name = table.header[columns["cq"]] if "cq" in columns else "Cq"
    records = []
    width = len(table.header)
    for row, cells in table.rows:
        if any(c.strip() for c in cells[width:]):
            raise InputError(
                f"holds {len(cells)} cells where the header names {width}: two rows joined (a "
                "lost line break?) or a shifted row; its well would be lost or misread",
                path=path, row=row,
            )  # fmt: skip
        cells = cells + [""] * (width - len(cells))

        def get(name: str, cells: list[str] = cells) -> str:
            return cells[columns[name]].strip() if name in columns else ""

        omitted = get("omit").lower() in ("true", "1", "yes")
        if "include" in columns and get("include").lower() == "false":
            omitted = True
        quantity = _quantity(get("quantity")) if get("quantity") else None
        rq = parse_number(get("rq")) if get("rq") else None
        records.append({
            "plate": get("plate") or get("card"), "well": get("well"), "sample": get("sample"),
            "target": get("target"), "dye": get("dye"), "role": Role.from_text(get("task")).value,
            "cq": _cq(get("cq"), path, row, cq_name, notes), "cq_text": get("cq"),
            "omitted": omitted, "quantity": math.nan if quantity is None else quantity,
            "rq": math.nan if rq is None else rq, "biogroup": get("biogroup"), "row": row,
            "cq_mean": get("cq_mean"), "task": get("task"),
        })  # fmt: skip
    frame: pd.DataFrame = pd.DataFrame(records, columns=[*WELL_COLUMNS, "cq_mean", "task"])
    return frame


_PAGE_TARGET = re.compile(r"\(([^()]+)\)\s*$")


def _page_wells(tables: list[tuple[str, _Table]], path: Path, notes: set[str]) -> pd.DataFrame:
    """The wells of several titled tables: a table without a target column takes its title's.

    The title names the target in brackets ("Quantitative analysis of Cycling A.Green (28S)"), or
    is the target itself. A tube read on two pages of one channel cannot hold both targets: such
    pages are separate runs, each its own plate.
    """
    import pandas as pd

    frames = []
    for title, table in tables:
        wells = _wells_from_table(table, path, notes)
        if (wells["target"] == "").all():
            named = _PAGE_TARGET.search(title)
            wells["target"] = named.group(1).strip() if named else title
        wells["plate"] = wells["plate"].where(wells["plate"] != "", title)
        frames.append(wells)
    wells = pd.concat(frames, ignore_index=True)
    channel = wells["plate"].str.replace(_PAGE_TARGET, "", regex=True).str.strip()
    if not wells.assign(channel=channel).duplicated(["channel", "well"]).any():
        wells["plate"] = wells["plate"].where(channel == wells["plate"], "")  # multiplex tubes
    notes.add(f"{len(tables)} analysis pages, one table each: "
              + "; ".join(title or "untitled" for title, _ in tables))  # fmt: skip
    return wells


def _from_rows(
    rows: list[list[str]], path: Path, instrument: str, extra: list[list[str]] | None = None
) -> Export:
    table = _table_in(rows)
    if table is None:
        raise InputError("holds no table of wells with a Cq column", path=path)
    notes: set[str] = set()
    pages = _tables_in(rows)
    if len(pages) > 1 and len({tuple(t.header) for _, t in pages}) == 1:
        wells = _page_wells(pages, path, notes)
    else:
        wells = _wells_from_table(table, path, notes)
    meta = _key_values([*table.before, *table.after, *(extra or [])])
    # OpenArray types its control assays ENDO (beside TARG): the software's endogenous controls.
    endo = sorted(set(wells.loc[wells.pop("task").str.upper() == "ENDO", "target"]))
    control = meta.get("endogenous control") or ", ".join(endo) or None
    reference = meta.get("reference sample") or meta.get("calibrator") or None
    return Export(
        path=str(path), instrument=instrument, wells=wells, endogenous_control=control,
        reference_sample=reference, notes=tuple(sorted(notes)),
    )  # fmt: skip


def _text_export(text: str, path: Path) -> Export:
    lines = text.split("\n")
    if "[Results]" in (line.strip() for line in lines):
        start = [line.strip() for line in lines].index("[Results]")
        body = [_split(line) for line in lines[start + 1 :]]
        end = next((i for i, r in enumerate(body) if r and r[0].startswith("[")), len(body))
        header = [_split(line) for line in lines[:start] if line.startswith("*")]
        # Blank rows stand for the lines above [Results], so that rows are named by their line.
        blank: list[list[str]] = [[] for _ in range(start + 1)]
        return _from_rows(blank + body[:end], path, "QuantStudio/StepOne text export", header)
    first = lines[0] if lines else ""
    if first.startswith("Experiment:"):
        return _from_rows([_split(line) for line in lines[1:]], path, "LightCycler 480 text export")
    if first.startswith("SDS"):
        return _from_rows([_split(line) for line in lines], path, "ABI 7900HT SDS RQ results")
    rows = [_split(line) for line in lines]
    table = _table_in(rows)
    names = {_norm(c) for c in table.header} if table is not None else set()
    if "throughhole.ct" in names:
        return _openarray(_from_rows(rows, path, "OpenArray export"))
    if any(line.startswith("Quantitative analysis of") for line in lines[:200]):
        return _from_rows(rows, path, "Rotor-Gene Q analysed data export")
    if "well position" in names and table is not None and table.before:
        return _from_rows(rows, path, "QuantStudio CSV export")
    return _from_rows(rows, path, "CFX or tabular Cq export")


OPENARRAY_NO_CQ = 40.0  # OpenArray runs 40 cycles and writes Ct 40 for a through-hole without one


def _openarray(export: Export) -> Export:
    """OpenArray's Ct 40 read as what it is: no Ct."""
    from dataclasses import replace

    wells = export.wells.copy()
    placeholder = wells["cq"] >= OPENARRAY_NO_CQ
    wells.loc[placeholder, "cq"] = math.nan
    notes = list(export.notes)
    if placeholder.any():
        notes.append(f"Ct {OPENARRAY_NO_CQ:g} (OpenArray's value for a through-hole without a Ct) "
                     f"read as no Cq in {int(placeholder.sum())} through-holes")  # fmt: skip
    return replace(export, wells=wells, notes=tuple(notes))


def _workbook_export(data: bytes, path: Path, legacy: bool) -> Export | None:
    kind = "StepOne/QuantStudio Excel export (.xls)" if legacy else "QuantStudio Excel export"
    without_cq: tuple[str, list[list[str]]] | None = None  # a plate layout, or genotyping
    means: tuple[str, list[list[str]]] | None = None
    for name, rows in workbook_sheets(data, path, legacy=legacy):
        table = _table_in(rows)
        if table is not None and "cq" in _find_columns(table.header):
            export = _from_rows(rows, path, f"{kind} (sheet {name})")
            export = _with_sheet_quantities(_with_biogroups(export, data, path, legacy),
                                            data, path, legacy)  # fmt: skip
            return _with_applied_efficiencies(export, data, path, legacy)
        if table is not None and without_cq is None:
            without_cq = (name, rows)
        if means is None and _mean_table(rows) is not None:
            means = (name, rows)
    if means is not None:
        return _sample_means_export(*means, path=path, kind=kind)
    if without_cq is not None:
        return _from_rows(without_cq[1], path, f"{kind} (sheet {without_cq[0]})")
    return None  # a workbook of assay's own table layout, read as such


def _mean_table(rows: list[list[str]]) -> int | None:
    """Where a table of one row per sample and target with its Ct Mean starts (no well Cqs)."""
    for index, row in enumerate(rows):
        if sum(1 for c in row if c) < 3:
            continue
        columns = _find_columns(row)
        if {"sample", "target", "cq_mean"} <= columns.keys() and "cq" not in columns:
            return index
    return None


def _sample_means_export(name: str, rows: list[list[str]], *, path: Path, kind: str) -> Export:
    """QuantStudio's *Technical Analysis Result*: each sample and target's Ct Mean, no well Cqs.

    Each row becomes one reaction holding the software's mean of its replicates; the
    replicates' spread is not in the file, so no technical interval can be given.
    """
    from dataclasses import replace

    start = _mean_table(rows)
    assert start is not None
    header = list(rows[start])
    at = _find_columns(header)["cq_mean"]
    header[at] = "Cq"  # the mean stands for the sample's Cq
    export = _from_rows([*rows[:start], header, *rows[start + 1 :]], path, f"{kind} (sheet {name})")
    note = (
        f"the sheet {name} holds each sample's Ct Mean, not the Ct of each well: one value per "
        "sample and target, the replicates' spread unknown"
    )
    return replace(export, notes=(*export.notes, note))


def _with_applied_efficiencies(export: Export, data: bytes, path: Path, legacy: bool) -> Export:
    """The efficiency per target the software applied, read from its "Adjusted EqCq Mean".

    Design & Analysis writes each sample's efficiency-adjusted Cq (Cq x log2 E of the target's
    efficiency, from the run's standard curve or the user's setting) beside its Cq; their ratio
    gives E. A ratio of 1 (no adjustment) gives nothing.
    """
    from dataclasses import replace

    cq = export.wells[~export.wells["omitted"]].groupby(["sample", "target"])["cq"].mean()
    ratios: dict[str, list[float]] = {}
    for _, rows in workbook_sheets(data, path, legacy=legacy, only=("RQ Replicate Group Result",)):
        for index, row in enumerate(rows):
            names = [_norm(c) for c in row]
            if "adjusted eqcq mean" not in names or "sample" not in names or "target" not in names:
                continue
            at = {n: names.index(n) for n in ("sample", "target", "adjusted eqcq mean")}
            for cells in rows[index + 1 :]:
                if len(cells) <= max(at.values()):
                    continue
                adjusted = parse_number(cells[at["adjusted eqcq mean"]])
                plain = cq.get((cells[at["sample"]], cells[at["target"]]))
                if adjusted is not None and plain is not None and plain == plain and plain > 0:
                    ratios.setdefault(cells[at["target"]], []).append(adjusted / float(plain))
            break
    applied = {t: 2.0 ** sorted(r)[len(r) // 2] for t, r in ratios.items()}
    if not applied or all(abs(e - 2.0) < 1e-3 for e in applied.values()):
        return export
    shown = ", ".join(f"{t} {e:.3f}" for t, e in sorted(applied.items()))
    return replace(export, efficiencies=tuple(sorted(applied.items())),
                   notes=(*export.notes, f"the software applied efficiencies (its Adjusted EqCq): "
                          f"{shown}"))  # fmt: skip


# Where Design & Analysis writes the standards' quantities when its Results sheet does not.
_QUANTITY_SHEETS = ("Standard Curve Result",)


def _with_sheet_quantities(export: Export, data: bytes, path: Path, legacy: bool) -> Export:
    """Standards without a quantity take it from the sheet that lists it per well."""
    from dataclasses import replace

    wells = export.wells
    lacking = (wells["role"] == Role.STANDARD.value) & wells["quantity"].isna()
    if not lacking.any():
        return export
    found: dict[tuple[str, str], float] = {}
    for _, rows in workbook_sheets(data, path, legacy=legacy, only=_QUANTITY_SHEETS):
        table = _table_in(rows)
        columns = _find_columns(table.header) if table is not None else {}
        if table is None or not {"well", "quantity"} <= columns.keys():
            continue
        for _, cells in table.rows:
            cells = cells + [""] * (len(table.header) - len(cells))
            amount = _quantity(cells[columns["quantity"]]) if cells[columns["quantity"]] else None
            target = cells[columns["target"]] if "target" in columns else ""
            if amount is not None and amount > 0:
                found[(cells[columns["well"]], target)] = amount
    keys = list(zip(wells["well"].astype(str), wells["target"].astype(str), strict=True))
    amounts = [found.get(k, math.nan) if lack else q
               for k, lack, q in zip(keys, lacking, wells["quantity"], strict=True)]  # fmt: skip
    filled = sum(1 for a, lack in zip(amounts, lacking, strict=True) if lack and a == a)
    if not filled:
        return export
    note = f"{filled} standards' quantities from the sheet {', '.join(_QUANTITY_SHEETS)}"
    return replace(export, wells=wells.assign(quantity=amounts), notes=(*export.notes, note))


# Where the software writes each sample's biological group when the Results sheet does not.
_BIOGROUP_SHEETS = ("Replicate Group Result", "Sample Setup")


def _with_biogroups(export: Export, data: bytes, path: Path, legacy: bool) -> Export:
    """Take each sample's biogroup from the sheet that lists it (Design & Analysis, StepOne)."""
    from dataclasses import replace

    if (export.wells["biogroup"] != "").any():
        return export
    groups: dict[str, str] = {}
    for _, rows in workbook_sheets(data, path, legacy=legacy, only=_BIOGROUP_SHEETS):
        for index, row in enumerate(rows):
            names = [_norm(c) for c in row]
            sample = next((names.index(n) for n in ("sample", "sample name") if n in names), None)
            group = next(
                (names.index(n) for n in ("biogroup", "biogroup name") if n in names), None
            )
            if sample is None or group is None:
                continue
            for cells in rows[index + 1 :]:
                if len(cells) > max(sample, group) and cells[sample] and cells[group]:
                    groups.setdefault(cells[sample], cells[group])
            break
    if not groups:
        return export
    wells = export.wells.assign(biogroup=export.wells["sample"].map(groups).fillna(""))
    note = f"biological groups from the export's sample list ({len(set(groups.values()))} groups)"
    return replace(export, wells=wells, notes=(*export.notes, note))


# Raw sheets of QuantStudio workbooks: (sheet, x column, y column).
_RAW_SHEETS = {
    "amplification": ("Amplification Data", ("cycle number", "cycle"), ("rn",)),
    "melt": ("Melt Curve Raw", ("temperature",), ("fluorescence",)),
}


Points = dict[tuple[str, str], list[tuple[float, float]]]


def _sheet_points(rows: Rows, xs: Sequence[str], ys: Sequence[str]) -> Points:
    """(well position, target) -> its (x, y) readings, from a raw sheet's table."""
    for index, row in enumerate(rows):
        names = [_norm(c) for c in row]
        where = {key: next((names.index(n) for n in options if n in names), None)
                 for key, options in (("well", ("well position", "well")),
                                      ("target", ("target", "target name")),
                                      ("x", xs), ("y", ys))}  # fmt: skip
        if where["well"] is None or where["x"] is None or where["y"] is None:
            continue
        numbered = names[where["well"]] == "well"  # 1, 2, ... row by row (older exports)
        found: Points = {}
        width = max(i for i in where.values() if i is not None)
        for cells in rows[index + 1 :]:
            if len(cells) <= width:
                continue
            x, y = parse_number(cells[where["x"]]), parse_number(cells[where["y"]])
            if x is None or y is None:
                continue
            target = cells[where["target"]] if where["target"] is not None else ""
            found.setdefault((cells[where["well"]], target), []).append((x, y))
        if numbered and all(str(w).replace(".0", "").isdigit() for w, _ in found):
            numbers = [parse_number(w) or 0 for w, _ in found]
            columns = 24 if max(numbers, default=0) > 96 else 12
            found = {(_rdml_well(str(int(parse_number(w) or 0)), columns), t): p
                     for (w, t), p in found.items()}  # fmt: skip
        return found
    return {}


def _with_raw_sheets(export: Export, data: bytes, path: Path, legacy: bool = False) -> Export:
    """The export with the raw amplification and melt readings its workbook carries."""
    from dataclasses import replace

    wanted = {sheet: kind for kind, (sheet, _, _) in _RAW_SHEETS.items()}
    traces: dict[str, Traces | None] = {}
    keys = list(zip(export.wells["well"].astype(str), export.wells["target"].astype(str),
                    strict=True))  # fmt: skip
    for name, rows in workbook_sheets(data, path, legacy=legacy, only=tuple(wanted)):
        kind = wanted[name]
        _, xs, ys = _RAW_SHEETS[kind]
        points = _sheet_points(rows, xs, ys)
        by_well = {well: p for (well, _), p in points.items()}
        traces[kind] = _traces([sorted(points.get(k) or by_well.get(k[0]) or []) for k in keys])
    if not traces:
        return export
    return replace(export, amplification=traces.get("amplification"), melt=traces.get("melt"))


# RDES: the RDML consortium's raw-data table -----------------------------------------------------

# RDES v1.0: seven fixed columns (the seventh Cq or Tm), then one column per cycle or temperature.
RDES_COLUMNS = "Well\tSample\tSample Type\tTarget\tTarget Type\tDye\t"


def _rdes_export(text: str, path: Path) -> Export:
    """An RDES table (amplification: Cq and a column per cycle; melting: Tm and temperatures).

    Sample types are RDML's codes; targets typed ``ref`` are the reference genes; a Cq of -1.0
    means a Cq was sought and not found (no Cq).
    """
    import pandas as pd

    lines = [line.split("\t") for line in text.split("\n") if line.strip()]
    header = lines[0]
    melting = header[6].strip().lower() == "tm"
    xs = [parse_number(c) for c in header[7:]]
    notes: set[str] = set()
    records, points, references = [], [], []
    for number, cells in enumerate(lines[1:], start=2):
        cells = cells + [""] * (len(header) - len(cells))
        kind = _RDML_ROLES.get(cells[2].strip().lower(), Role.UNKNOWN)
        if cells[4].strip().lower() == "ref" and cells[3] not in references:
            references.append(cells[3].strip())
        cq_text = "" if melting else cells[6].strip()
        records.append({
            "plate": "", "well": cells[0].strip(), "sample": cells[1].strip(),
            "target": cells[3].strip(), "dye": cells[5].strip(), "role": kind.value,
            "cq": _cq(cq_text, path, number, "Cq", notes) if cq_text else math.nan,
            "cq_text": cq_text, "omitted": False, "quantity": math.nan, "rq": math.nan,
            "biogroup": "", "row": number,
        })  # fmt: skip
        row = []
        for x, cell in zip(xs, cells[7:], strict=False):
            y = parse_number(cell) if cell.strip() else None
            if x is not None and y is not None and math.isfinite(y):
                row.append((x, y))
        points.append(row)
    traces = _traces(points)
    return Export(
        path=str(path), instrument=f"RDES {'melting' if melting else 'amplification'} table",
        wells=pd.DataFrame(records, columns=list(WELL_COLUMNS)), notes=tuple(sorted(notes)),
        endogenous_control=", ".join(references) or None,
        amplification=None if melting else traces, melt=traces if melting else None,
    )  # fmt: skip


# Applied Biosystems 7500 / StepOne run files (.eds, SDS v2) -----------------------------------

_EDS_SETUP = "apldbio/sds/plate_setup.xml"
_EDS_DATA = "apldbio/sds/multicomponent_data.txt"
# One record of the multicomponent file: well index, cycle index, dye, MSE, signal. Records may be
# glued onto the end of the line before (as 7500 Software v2.3 writes them), so they are found
# anywhere in a line, not by position.
_EDS_RECORD = re.compile(
    r"(?:^|\t)(\d+)\t(\d+)\t([A-Za-z][\w -]*)\t([-+\d.Ee]+)\t([-+\d.Ee]+)", re.MULTILINE
)


def _eds_export(data: bytes, path: Path) -> Export:
    """An ABI 7500 / StepOne (SDS v2) run file: the plate setup and the raw dye signals.

    Read: ``plate_setup.xml`` (samples, targets, tasks, standards' quantities, passive reference)
    and ``multicomponent_data.txt`` (each dye's signal per well and cycle). The amplification of
    a well is its reporter's signal over the passive reference's (Rn), as the software draws it;
    the file holds no analysed Cq, so Cqs come from these curves.
    """
    import pandas as pd
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {n.lower(): n for n in archive.namelist()}
            for name in (_EDS_SETUP, _EDS_DATA):
                if name not in names:
                    raise InputError(f"is an .eds run file without {name}", path=path)
                if archive.getinfo(names[name]).file_size > MAX_FILE_BYTES:
                    raise InputError(f"holds a {name} too large to read", path=path)
            xml = archive.read(names[_EDS_SETUP])
            check_xml(xml, path, "a plate setup")
            setup = ElementTree.fromstring(xml)
            signals = decode(archive.read(names[_EDS_DATA]))
    except (zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException, OSError, zlib.error,
            EOFError, NotImplementedError, ValueError) as error:  # fmt: skip
        raise InputError(f"is not a readable .eds run file ({error})", path=path) from None
    columns = int(parse_number(_child_text(setup, "Columns")) or 12)
    passive = _child_text(setup, "PassiveReferenceDye")
    samples: dict[int, str] = {}
    tasks: dict[int, list[Any]] = {}
    for feature_map in _children(setup, "FeatureMap"):
        kind = _child_text(next(_children(feature_map, "Feature"), feature_map), "Id")
        for value in _children(feature_map, "FeatureValue"):
            index = int(parse_number(_child_text(value, "Index")) or 0)
            item = next(_children(value, "FeatureItem"), None)
            if item is None:
                continue
            if kind == "sample":
                samples[index] = _child_text(next(_children(item, "Sample"), item), "Name")
            elif kind == "detector-task":
                task_list = next(_children(item, "DetectorTaskList"), item)
                tasks[index] = list(_children(task_list, "DetectorTask"))
    signal: dict[tuple[int, str], dict[int, float]] = {}
    for well, cycle, dye, _, value in _EDS_RECORD.findall(signals):
        number = parse_number(value)
        if number is not None:
            signal.setdefault((int(well), dye.strip()), {})[int(cycle)] = number
    records: list[dict[str, Any]] = []
    curves: list[list[tuple[float, float]]] = []
    for index in sorted(tasks):
        for task in tasks[index]:
            detector = next(_children(task, "Detector"), task)
            reporter = _child_text(detector, "Reporter")
            role = Role.from_text(_child_text(task, "Task"))
            amount = parse_number(_child_text(task, "Concentration"))
            records.append({
                "plate": "", "well": _rdml_well(str(index + 1), columns),
                "sample": samples.get(index, ""), "target": _child_text(detector, "Name"),
                "dye": reporter, "role": role.value, "cq": math.nan, "cq_text": "",
                "omitted": False, "rq": math.nan, "biogroup": "", "row": len(records) + 1,
                "quantity": amount if role is Role.STANDARD and amount else math.nan,
            })  # fmt: skip
            own = signal.get((index, reporter), {})
            reference = signal.get((index, passive), {}) if passive else {}
            curves.append(sorted(
                (cycle + 1.0, value / reference[cycle] if reference else value)
                for cycle, value in own.items() if not reference or reference.get(cycle)
            ))  # fmt: skip
    if not records:
        raise InputError("is an .eds run file whose plate setup names no wells", path=path)
    note = (f"an SDS v2 run file: plate setup and raw dye signals only (no analysed Cq); the "
            f"amplification is the reporter over {passive or 'no passive reference'} (Rn) and "
            "Cqs come from these curves")  # fmt: skip
    return Export(path=str(path), instrument="ABI 7500/StepOne run file (.eds)",
                  wells=pd.DataFrame(records, columns=list(WELL_COLUMNS)), notes=(note,),
                  amplification=_traces(curves))  # fmt: skip


# Roche LightCycler 480 "Raw Data" text -----------------------------------------------------------

_LC480_COLUMNS = ("samplepos", "samplename", "prog#", "seg#", "cycle#", "time", "temp")


def _lc480_raw_header(head: str) -> bool:
    """The LightCycler 480 raw-data header: SamplePos, SampleName, Prog#, ... on line 1 or 2."""
    for line in head.split("\n")[:2]:
        names = [_norm(c) for c in line.split("\t")]
        if tuple(names[: len(_LC480_COLUMNS)]) == _LC480_COLUMNS:
            return True
    return False


def _lc480_raw_export(text: str, path: Path) -> Export:
    """Fluorescence per cycle (amplification) and per temperature (melt) of every well.

    One row per reading: SamplePos, SampleName, Prog#, Seg#, Cycle#, Time, Temp, then one column
    per detection channel ("483-533"). A program with one reading per cycle and several cycles is
    the amplification; one with many readings in one cycle is the melt. Each well and channel
    becomes a reaction whose dye is the channel; the file names no targets and holds no Cq.
    """
    import pandas as pd

    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines[:2]) if _lc480_raw_header(line))
    frame = pd.read_csv(io.StringIO("\n".join(lines[start:])), sep="\t", dtype=str,
                        keep_default_na=False)  # fmt: skip
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed:")]]
    by_norm = {_norm(c): c for c in frame.columns}
    channels = [c for c in frame.columns if _norm(c) not in _LC480_COLUMNS]
    if not channels:
        raise InputError("is a LightCycler raw-data file without a fluorescence column", path=path)
    table = pd.DataFrame({
        "well": frame[by_norm["samplepos"]].str.strip(),
        "sample": frame[by_norm["samplename"]].str.strip(),
        "program": frame[by_norm["prog#"]].str.strip(),
        "cycle": pd.to_numeric(frame[by_norm["cycle#"]], errors="coerce"),
        "temp": pd.to_numeric(frame[by_norm["temp"]], errors="coerce"),
        **{c: pd.to_numeric(frame[c], errors="coerce") for c in channels},
    })  # fmt: skip
    kinds = {}
    for program, rows in table.groupby("program", sort=False):
        once = rows.groupby(["well", "cycle"]).size().max() == 1
        kinds[program] = "amplification" if once and rows["cycle"].nunique() > 1 else "melt"
    table["kind"] = table["program"].map(kinds)
    order = list(dict.fromkeys(table["well"]))
    first_row = table.reset_index().groupby("well")["index"].min()
    samples = table.groupby("well")["sample"].first()
    points: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for (kind, well), rows in table.groupby(["kind", "well"], sort=False):
        x = rows["cycle" if kind == "amplification" else "temp"].to_numpy()
        for channel in channels:
            y = rows[channel].to_numpy()
            keep = ~(pd.isna(x) | pd.isna(y))
            points[(str(kind), str(well), channel)] = sorted(zip(x[keep], y[keep], strict=True))
    records = []
    traces: dict[str, list[list[tuple[float, float]]]] = {"amplification": [], "melt": []}
    for channel in channels:
        for well in order:
            for kind in traces:
                traces[kind].append(points.get((kind, well, channel), []))
            records.append({
                "plate": "", "well": well, "sample": samples[well], "target": "",
                "dye": channel, "role": Role.UNKNOWN.value, "cq": math.nan, "cq_text": "",
                "omitted": False, "quantity": math.nan, "rq": math.nan, "biogroup": "",
                "row": start + 2 + int(first_row[well]),
            })  # fmt: skip
    note = ("raw readings only (no Cq, no target names): Cqs come from the curves; give a sample "
            "sheet (--samples, keyed by well) with gene and group columns")  # fmt: skip
    return Export(
        path=str(path), instrument="LightCycler 480 raw data text export",
        wells=pd.DataFrame(records, columns=list(WELL_COLUMNS)), notes=(note,),
        amplification=_traces(traces["amplification"]), melt=_traces(traces["melt"]),
    )  # fmt: skip


# Bio-Rad CFX raw data: one column per well ----------------------------------------------------

_PLATE_WELL = re.compile(r"^([A-Pa-p])0*(\d{1,2})$")
# What CFX Maestro names its raw-data CSVs: (kind, words in the file name, x column).
_CFX_RAW = (
    ("amplification", ("amplification results",), "cycle"),
    ("melt", ("melt curve rfu results",), "temperature"),
)


def _plate_well(name: str) -> str:
    """A well name as the Cq export writes it, unpadded ("A01" -> "A1"), or "" if none.

    >>> _plate_well("A01"), _plate_well("p24"), _plate_well("Cycle")
    ('A1', 'P24', '')
    """
    found = _PLATE_WELL.match(name.strip())
    return f"{found.group(1).upper()}{int(found.group(2))}" if found else ""


def _trace_header(header: Sequence[str]) -> tuple[int, dict[str, int]] | None:
    """(x column, well -> column) of a table with one column per well, or None."""
    names = [_norm(c) for c in header]
    x = next((names.index(n) for n in ("cycle", "temperature") if n in names), None)
    wells = {_plate_well(c): i for i, c in enumerate(header) if _plate_well(c)}
    return (x, wells) if x is not None and wells else None


def _wide_traces(text: str) -> tuple[str, dict[str, list[tuple[float, float]]]]:
    """("cycle" or "temperature", well -> its (x, y) points) of a CFX raw-data CSV."""
    rows = [_split(line) for line in text.split("\n") if line.strip()]
    found = _trace_header(rows[0]) if rows else None
    if found is None:
        return "", {}
    x_at, columns = found
    points: dict[str, list[tuple[float, float]]] = {well: [] for well in columns}
    for cells in rows[1:]:
        x = parse_number(cells[x_at]) if len(cells) > x_at else None
        if x is None:
            continue
        for well, at in columns.items():
            y = parse_number(cells[at]) if len(cells) > at else None
            if y is not None:
                points[well].append((x, y))
    return _norm(rows[0][x_at]), points


def _cfx_traces_export(text: str, path: Path) -> Export:
    """A CFX "Quantification Amplification Results" (or melt RFU) CSV on its own: no names.

    Each well column becomes a reaction without sample or target; the file name's last part
    (CFX writes the fluorophore there: "…Results_SYBR.csv") is taken as its dye.
    """
    import pandas as pd

    kind, points = _wide_traces(text)
    dye = re.split(r"[_ -]", path.stem)[-1] if re.search(r"[_ -]", path.stem) else ""
    wells = pd.DataFrame([{
        "plate": "", "well": well, "sample": "", "target": "", "dye": dye,
        "role": Role.UNKNOWN.value, "cq": math.nan, "cq_text": "", "omitted": False,
        "quantity": math.nan, "rq": math.nan, "biogroup": "", "row": index + 2,
    } for index, well in enumerate(points)], columns=list(WELL_COLUMNS))  # fmt: skip
    traces = _traces([points[w] for w in points])
    amplification = traces if kind == "cycle" else None
    melt = traces if kind == "temperature" else None
    note = ("raw readings only, one column per well: no sample, target or Cq (give the run's "
            "Quantification Cq Results file beside it for names)")  # fmt: skip
    return Export(path=str(path), instrument="CFX raw data (one column per well)", wells=wells,
                  notes=(note,), amplification=amplification, melt=melt)  # fmt: skip


def _with_cfx_siblings(export: Export, path: Path) -> Export:
    """A CFX Cq export with the raw amplification and melt CSVs exported beside it.

    CFX Maestro writes one CSV per result, all named after the run ("<run> - Quantification Cq
    Results.csv", "<run> - Quantification Amplification Results_SYBR.csv", ...): files of the
    same run are those whose name starts like this one's up to "Quantification". With one file
    per dye, each well takes the file of its dye.
    """
    from dataclasses import replace

    words = _norm(path.stem.replace("_", " ").replace("-", " "))
    cut = words.find("quantification")
    if cut <= 0:
        return export
    run = words[:cut]
    found: dict[str, list[tuple[Path, dict[str, list[tuple[float, float]]]]]] = {}
    for sibling in sorted(path.parent.iterdir()):
        name = _norm(sibling.stem.replace("_", " ").replace("-", " "))
        if sibling == path or not name.startswith(run) or sibling.suffix.lower() != ".csv":
            continue
        for kind, marks, _ in _CFX_RAW:
            if any(mark in name for mark in marks):
                _, points = _wide_traces(decode(load_bytes(sibling)))
                if points:
                    found.setdefault(kind, []).append((sibling, points))
    if not found:
        return export
    wells = export.wells
    traces: dict[str, Traces | None] = {}
    used: list[str] = []
    for kind, files in found.items():
        rows = []
        for well, dye in zip(wells["well"].astype(str), wells["dye"].astype(str), strict=True):
            mine = [p for f, p in files if dye and _norm(dye) in _norm(f.stem)] or [
                p for _, p in files if len(files) == 1
            ]
            rows.append(mine[0].get(_plate_well(well), []) if mine else [])
        traces[kind] = _traces(rows)
        used.extend(f.name for f, _ in files)
    note = "raw readings from the run's CSVs beside it: " + ", ".join(used)
    return replace(export, amplification=traces.get("amplification"), melt=traces.get("melt"),
                   notes=(*export.notes, note))  # fmt: skip


# RDML -----------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: Any, name: str) -> Iterator[Any]:
    return (child for child in node if _local(child.tag) == name)


def _child_text(node: Any, name: str) -> str:
    child = next(_children(node, name), None)
    return "" if child is None or child.text is None else child.text.strip()


_RDML_ROLES = {"unkn": Role.UNKNOWN, "ntc": Role.NTC, "nac": Role.NO_RT, "nrt": Role.NO_RT,
               "std": Role.STANDARD, "pos": Role.POSITIVE, "ntp": Role.NEGATIVE,
               "opt": Role.NEGATIVE}  # fmt: skip


def _rdml_export(data: bytes, path: Path) -> Export:
    import pandas as pd
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            main = "rdml_data.xml" if "rdml_data.xml" in names else (names[0] if names else "")
            if not main:
                raise InputError("is a zip without RDML XML inside", path=path)
            if archive.getinfo(main).file_size > MAX_FILE_BYTES:
                raise InputError("holds an RDML document too large to read", path=path)
            xml = archive.read(main)
            check_xml(xml, path, "an RDML document")
            root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException, OSError, zlib.error,
            EOFError, NotImplementedError, ValueError) as error:  # fmt: skip
        # A damaged archive fails inside zipfile in many ways (bad CRC, "invalid distance",
        # "negative seek", an unknown compression method): each is a damaged file.
        raise InputError(f"is not a readable RDML file ({error})", path=path) from None
    if _local(root.tag) != "rdml":
        raise InputError("is not an RDML document (its root is not <rdml>)", path=path)
    samples = {
        s.get("id", ""): (_child_text(s, "description") or s.get("id", ""),
                          _RDML_ROLES.get(_child_text(s, "type").lower(), Role.UNKNOWN),
                          parse_number(_child_text(next(_children(s, "quantity"), s), "value")))
        for s in _children(root, "sample")
    }  # fmt: skip
    dyes = {t.get("id", ""): _dye_of(t) for t in _children(root, "target")}
    groups, group_note = _rdml_groups(root)
    notes: set[str] = {group_note} if group_note else set()
    records: list[dict[str, Any]] = []
    amplification: list[list[tuple[float, float]]] = []
    melt: list[list[tuple[float, float]]] = []
    unreadable: list[int] = []  # one entry per reading that is not a number (reaction ids)
    experiments = list(_children(root, "experiment"))
    for experiment in experiments:
        for run in _children(experiment, "run"):
            columns = _rdml_columns(run)
            # Several experiments (instruments) may each hold a "Run 1": a plate is both.
            plate = (f"{experiment.get('id', '')} / {run.get('id', '')}" if len(experiments) > 1
                     else run.get("id", ""))  # fmt: skip
            for react in _children(run, "react"):
                sample_id = next((s.get("id", "") for s in _children(react, "sample")), "")
                name, role, quantity = samples.get(sample_id, (sample_id, Role.UNKNOWN, None))
                well = _rdml_well(react.get("id", ""), columns)
                for datum in _children(react, "data"):
                    target = next((t.get("id", "") for t in _children(datum, "tar")), "")
                    cq_text = _child_text(datum, "cq")
                    records.append({
                        "plate": plate, "well": well, "sample": name,
                        "target": target, "dye": dyes.get(target, ""), "role": role.value,
                        "cq": _cq(cq_text, path, 0, "cq", notes) if cq_text else math.nan,
                        "cq_text": cq_text, "omitted": False,
                        "quantity": math.nan if quantity is None else quantity, "rq": math.nan,
                        "biogroup": groups.get(sample_id, ""), "row": len(records) + 1,
                    })  # fmt: skip
                    amplification.append(_points(datum, "adp", "cyc", unreadable))
                    melt.append(_points(datum, "mdp", "tmp", unreadable))
    if unreadable:
        notes.add(f"{len(unreadable)} raw reading(s) that are not numbers (NaN, text, infinite) "
                  f"left out of the curves, in {len(set(unreadable))} reaction(s)")  # fmt: skip
    version = root.get("version", "?")
    targets = list(_children(root, "target"))
    references = [t.get("id", "") for t in targets if _child_text(t, "type").lower() == "ref"]
    efficiencies = tuple(sorted(
        (t.get("id", ""), e) for t in targets
        if (e := parse_number(_child_text(t, "amplificationEfficiency"))) is not None and 1 < e <= 2
    ))  # fmt: skip
    return Export(path=str(path), instrument=f"RDML {version}",
                  wells=pd.DataFrame(records, columns=list(WELL_COLUMNS)),
                  endogenous_control=", ".join(references) or None,
                  notes=tuple(sorted(notes)), amplification=_traces(amplification),
                  melt=_traces(melt), amplicons=_amplicons(root),
                  efficiencies=efficiencies, chemistries=_chemistries(root))  # fmt: skip


def _chemistries(root: Any) -> tuple[tuple[str, str], ...]:
    """(target, chemistry) for each target whose dye states its chemistry, as RDML spells it."""
    stated = {d.get("id", ""): _child_text(d, "dyeChemistry") for d in _children(root, "dye")}
    found = ((t.get("id", ""), stated.get(_dye_of(t), "")) for t in _children(root, "target"))
    return tuple(sorted((target, chemistry) for target, chemistry in found if chemistry))


def _rdml_groups(root: Any) -> tuple[dict[str, str], str]:
    """Sample id -> biological group, from the one annotation every annotated sample carries.

    RDML-Tools groups samples by an annotation ("Biological Replicate": Adult, Embryo). Taken
    when there is exactly one annotation property in the file, or one called "group" (as assay
    writes it), so the choice is the file's.
    """
    found: dict[str, dict[str, str]] = {}  # property -> sample -> value
    for sample in _children(root, "sample"):
        for annotation in _children(sample, "annotation"):
            prop = _child_text(annotation, "property")
            found.setdefault(prop, {})[sample.get("id", "")] = _child_text(annotation, "value")
    # assay writes the group as the annotation "group" (beside its fold changes).
    named = [p for p in found if p.lower() == "group"]
    chosen = named[0] if named else (next(iter(found)) if len(found) == 1 else None)
    if chosen is None or len(set(found[chosen].values())) < 2:
        return {}, ""
    return found[chosen], f'biological groups from the samples\' annotation "{chosen}"'


def _points(
    datum: Any, name: str, x_name: str, unreadable: list[int] | None = None
) -> list[tuple[float, float]]:
    """The (x, fluorescence) readings of one reaction.

    Unreadable numbers are left out; each one adds the reaction's identity to `unreadable`, so
    the export can say how many were.
    """
    found = []
    for point in _children(datum, name):
        # One pass over the point's few children (its cycle or temperature, its fluorescence).
        texts: dict[str, str | None] = {}
        for child in point:
            texts.setdefault(_local(child.tag), child.text)  # the first of a name, as elsewhere
        x = parse_number(texts.get(x_name) or "")
        y = parse_number(texts.get("fluor") or "")
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
            found.append((x, y))
        elif unreadable is not None:
            unreadable.append(id(datum))
    found.sort()
    return found


def _traces(rows: list[list[tuple[float, float]]]) -> Traces | None:
    """Readings as NaN-padded arrays, or None when no reaction has any."""
    import numpy as np

    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return None
    x = np.full((len(rows), width), np.nan)
    y = np.full((len(rows), width), np.nan)
    for index, points in enumerate(rows):
        if points:
            x[index, : len(points)], y[index, : len(points)] = zip(*points, strict=True)
    return Traces(x=x, y=y)


def _amplicons(root: Any) -> tuple[tuple[str, str], ...]:
    """(target, amplicon) for targets whose amplicon sequence is given in DNA letters."""
    found = []
    for target in _children(root, "target"):
        sequences = next(_children(target, "sequences"), None)
        amplicon = next(_children(sequences, "amplicon"), None) if sequences is not None else None
        text = _child_text(amplicon, "sequence").upper() if amplicon is not None else ""
        if text and set(text) <= set("ACGT"):
            found.append((target.get("id", ""), text))
    return tuple(found)


def _dye_of(target: Any) -> str:
    dye = next(_children(target, "dyeId"), None)
    if dye is None:
        return ""
    return dye.get("id", "") or (dye.text or "").strip()


def _rdml_columns(run: Any) -> int:
    pcr_format = next(_children(run, "pcrFormat"), None)
    if pcr_format is None:
        return 12
    text = _child_text(pcr_format, "columns")
    return int(text) if text.isdigit() and int(text) > 0 else 12


def _rdml_well(react_id: str, columns: int) -> str:
    """RDML numbers reactions 1, 2, ... row by row; some writers use the well name itself."""
    if not react_id.isdigit():
        return react_id
    index = int(react_id) - 1
    row, column = divmod(index, columns)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return f"{letters[row] if row < len(letters) else row + 1}{column + 1}"


# The entry point -------------------------------------------------------------------------------


def _cfx_header(line: str) -> bool:
    """CFX Manager/Maestro Cq results: a Fluor column, or Content beside Cq (reduced exports)."""
    cells = {_norm(c) for c in _split(line)} if line else set()
    return "fluor" in cells or {"content", "cq"} <= cells


def read_export(path: str | Path, *, raw: bool = False) -> Export | None:
    """Read an instrument export; None when the file is a plain table of wells (assay's own).

    Args:
        path: The file.
        raw: Also read a workbook's raw amplification and melt sheets (QuantStudio
            "Amplification Data" and "Melt Curve Raw": large, so only when asked). RDML files
            always bring their raw points.

    Raises:
        InputError: The file is damaged, or looks like an export but its wells cannot be read
            (the message names the row, column and value).
    """
    path = Path(path)
    data = load_bytes(path)
    if data[:2] == b"PK":  # a zip: xlsx, or RDML (some writers start with a spanning marker)
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as error:
            # A damaged directory, or one written by a zip version Python cannot read.
            raise InputError(f"is a damaged zip/xlsx file ({error})", path=path) from None
        if any(n.lower() == _EDS_SETUP for n in names):
            return _eds_export(data, path)
        if any(n.startswith("xl/") for n in names):
            try:
                export = _workbook_export(data, path, legacy=False)
                return _with_raw_sheets(export, data, path) if raw and export else export
            except (NotImplementedError, zlib.error, EOFError) as error:
                # A zip member compressed by a method Python cannot read, or cut short.
                raise InputError(f"is a workbook whose parts cannot be unpacked ({error})",
                                 path=path) from None  # fmt: skip
        return _rdml_export(data, path)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        export = _workbook_export(data, path, legacy=True)
        return _with_raw_sheets(export, data, path, legacy=True) if raw and export else export
    # Decided from the first lines and a byte search, so that a large table of assay's own
    # layout is not decoded here only to be read again by the table reader.
    check_lines(data, path)
    head = decode(data[:4000]) if data[:2] not in (b"\xff\xfe", b"\xfe\xff") else decode(data)
    if _lc480_raw_header(head):
        return _lc480_raw_export(decode(data), path)
    if head.startswith(RDES_COLUMNS):
        return _rdes_export(decode(data), path)
    is_export = (
        b"[Results]" in data or "[Results]".encode("utf-16-le") in data
        or head.startswith(("Experiment:", "SDS", "* "))
        or _cfx_header(head.split("\n", 1)[0])
        or _settings_then_wells(decode(data[:_HEAD_BYTES]))
        or "throughhole.ct" in head.split("\n", 1)[0].lower()  # OpenArray
    )  # fmt: skip
    if is_export:
        export = _text_export(decode(data), path)
        return _with_cfx_siblings(export, path) if export.instrument.startswith("CFX") else export
    first = head.split("\n", 1)[0]
    if _trace_header(_split(first)) is not None:
        return _cfx_traces_export(decode(data), path)
    return None


_HEAD_BYTES = 1 << 16  # where a run-settings block and the well table's header must begin


def _settings_then_wells(head: str) -> bool:
    r"""A block of run settings (``key,value`` lines) and then a table of wells with a Cq column.

    QuantStudio's "Export → .csv" writes it so (``Block Type,384-Well Block`` ... then ``Well,Well
    Position,Omit,...,CT,...``); so may any software that puts its settings above the table.

    >>> _settings_then_wells("Block Type,96\nChemistry,SYBR\n,,\nWell,Sample Name,CT\n1,liver,20")
    True
    >>> _settings_then_wells("group,gene,ct\nA,B,20")
    False
    """
    lines = head.split("\n")[:-1] if len(head) >= _HEAD_BYTES else head.split("\n")
    settings = 0
    for line in lines:
        cells = _split(line) if line.strip() else []
        filled = [c for c in cells if c]
        if not filled:
            continue
        if _is_header(cells):
            columns = _find_columns(cells)
            named = "target" in columns or "sample" in columns  # assay's own: gene and group
            return settings >= 2 and "well" in columns and named
        if len(filled) > 2:
            return False
        settings += 1
    return False


def nearest_format(path: str | Path) -> str:
    """For a file assay cannot read: the known layout it comes closest to, and what is missing.

    Looks for the row that names the most well-table fields (well, sample, target, Cq, ...) in
    the first lines, as instrument exports and Ct tables have one.
    """
    from assay.tables import split_text

    path = Path(path)
    data = load_bytes(path)
    if data[:2] == b"PK" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "a workbook or zip with no sheet or document holding wells with a Cq"
    rows = split_text(decode(data[:_HEAD_BYTES]))[:200]
    best: dict[str, int] = {}
    at = 0
    for index, row in enumerate(rows):
        found = _find_columns(row)
        if len(found) > len(best):
            best, at = found, index + 1
    if not best:
        return ("no row names a well, sample, target or Cq column: not an instrument export or a "
                "Ct table (group, gene, ct)")  # fmt: skip
    missing = [f for f in ("well", "sample", "target", "cq") if f not in best]
    said = ", ".join(sorted(best))
    lack = ", ".join(missing) if missing else "nothing, but the rows below it are not wells"
    return (
        f"the nearest layout is an instrument table of wells: row {at} names {said}; missing: "
        f"{lack} (Cq may be called Cq, Ct, Cp or Crt)"
    )


def _listed(names: set[Any], most: int = 20) -> str:
    """Names in natural order, the first `most` of them and how many more.

    >>> _listed({"S10", "S2", "S1"}), _listed({f"S{i}" for i in range(25)}, 3)
    ('S1, S2, S10', 'S0, S1, S2, … and 22 more')
    """
    ordered = sorted((str(n) for n in names), key=natural_key)
    more = f", … and {len(ordered) - most} more" if len(ordered) > most else ""
    return ", ".join(ordered[:most]) + more


def summary(export: Export) -> str:
    """What was read, for a person to check before analysing."""
    wells = export.wells
    roles = wells["role"].value_counts().to_dict()
    lines = [
        f"{export.path}: {export.instrument}",
        f"  {len(wells)} well rows in {wells['well'].nunique()} wells"
        + (f" on {wells['plate'].nunique()} plates" if wells["plate"].nunique() > 1 else ""),
        f"  targets ({wells['target'].nunique()}): " + _listed(set(wells["target"]), 40),
        f"  samples ({wells['sample'].nunique()}): " + _listed(set(wells["sample"]) - {""}),
        "  roles: " + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())),
        f"  no Cq: {int(wells['cq'].isna().sum())}; omitted: {int(wells['omitted'].sum())}",
    ]
    if export.endogenous_control or export.reference_sample:
        lines.append(f"  the software used: endogenous control {export.endogenous_control or '-'}, "
                     f"reference sample {export.reference_sample or '-'}")  # fmt: skip
    lines.extend(f"  note: {n}" for n in export.notes)
    return "\n".join(lines) + "\n"


# From the well model to the table `assay analyze` reads -------------------------------------------

ROLE_REASONS = {  # why a well was set aside for its role (wells.csv, plate view)
    Role.NTC.value: "NTC (no-template control)",
    Role.NO_RT.value: "no-RT control",
    Role.STANDARD.value: "standard (dilution series)",
    Role.POSITIVE.value: "positive control",
    Role.NEGATIVE.value: "negative control",
}


def standard_wells(export: Export) -> list[tuple[str, float, float]]:
    """(target, quantity, Cq or NaN) of every standard well that is not omitted and has a quantity.

    A standard's quantity is its Quantity cell, or (Design & Analysis exports) its sample name:
    the name itself ("400") or the number that ends it ("RNase P 400", "Std_10K").
    """
    found = []
    wells = export.wells[(export.wells["role"] == Role.STANDARD.value) & ~export.wells["omitted"]]
    for target, quantity, sample, cq in zip(wells["target"], wells["quantity"], wells["sample"],
                                            wells["cq"], strict=True):  # fmt: skip
        amount = quantity if quantity == quantity else quantity_in_name(str(sample))
        if amount is not None and amount > 0:
            found.append((str(target), float(amount), float(cq)))
    return found


def standard_points(export: Export) -> dict[str, tuple[list[float], list[float]]]:
    """Target -> (log10 quantity, Cq) of the standard wells that have both (`standard_wells`)."""
    points: dict[str, tuple[list[float], list[float]]] = {}
    for target, amount, cq in standard_wells(export):
        if cq == cq:
            xs, ys = points.setdefault(target, ([], []))
            xs.append(math.log10(amount))
            ys.append(cq)
    return points


_SI_SUFFIX = {"k": 1e3, "m": 1e6, "g": 1e9}


def quantity_in_name(name: str) -> float | None:
    """The quantity a standard's name states (None: no number).

    >>> [quantity_in_name(n) for n in ("400", "RNase P 400", "Std_1250", "Std_10K", "S 1.5M", "A")]
    [400.0, 400.0, 1250.0, 10000.0, 1500000.0, None]
    """
    whole = parse_number(name)
    if whole is not None:
        return whole
    last = re.split(r"[\s_]+", name.strip())[-1] if name.strip() else ""
    if last == name.strip():
        return None
    suffixed = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgG])", last)
    if suffixed:
        return float(suffixed.group(1)) * _SI_SUFFIX[suffixed.group(2).lower()]
    return parse_number(last)


def _wells_text(wells: pd.Series) -> str:
    named = [str(w) for w in wells if str(w)]
    return f"{', '.join(named)}; " if named else ""


def _ntc_notes(wells: pd.DataFrame) -> list[str]:
    """An NTC with a Cq is a finding on its target, with how far it lies from the samples."""
    notes = []
    samples = wells[(wells["role"] == Role.UNKNOWN.value) & wells["cq"].notna()]
    ntcs = wells[(wells["role"] == Role.NTC.value) & wells["cq"].notna()]
    for target, found in ntcs.groupby("target", sort=True):
        mean = samples.loc[samples["target"] == target, "cq"].mean()
        lowest = float(found["cq"].min())
        gap = "" if mean != mean else f", {lowest - mean:.1f} cycles after the samples' mean"
        notes.append(
            f"NTC: {target or 'the target'} amplified in {len(found)} NTC well(s) "
            f"({_wells_text(found['well'])}lowest Cq {lowest:.2f}{gap}): check for "
            "contamination or primer-dimers"
        )
    return notes


_NO_RT_NAME = re.compile(r"[\s_.-]*(?:no[\s_-]?rt|nort|minus[\s_-]?rt|-rt|nrt)$", re.IGNORECASE)
# Notes that are findings on a target (warnings), not information on how the file was read.
FINDING_PREFIXES = ("NTC:", "no-RT:", "melt curve:", "curves:", "pooled:")
NO_RT_MIN_GAP = 5.0  # cycles between RNA and its no-RT control below which gDNA matters


def _no_rt_notes(wells: pd.DataFrame) -> list[str]:
    """Each no-RT control against the RNA it was made from (the sample named without "_noRT").

    A no-RT well that amplifies less than `NO_RT_MIN_GAP` cycles after its RNA means genomic DNA
    contributes more than 2^-5 ≈ 3 % of the signal: a warning on that target.
    """
    notes = []
    no_rt = wells[(wells["role"] == Role.NO_RT.value) & wells["cq"].notna()]
    samples = wells[wells["role"] == Role.UNKNOWN.value]
    means = samples.groupby(["sample", "target"])["cq"].mean()
    for target, found in no_rt.groupby("target", sort=True):
        gaps = []
        for name, cq in zip(found["sample"], found["cq"], strict=True):
            rna = _NO_RT_NAME.sub("", str(name))
            if (rna, target) in means.index and means[(rna, target)] == means[(rna, target)]:
                gaps.append((float(cq) - float(means[(rna, target)]), str(name), rna))
        if not gaps:
            notes.append(f"no-RT controls: {target} amplified in {len(found)} no-RT well(s) "
                         "whose RNA sample is not on the plate")  # fmt: skip
            continue
        gap, name, rna = min(gaps)
        if gap <= 0:
            notes.append(
                f"no-RT: {target} in {name} amplifies {-gap:.1f} cycles before its RNA {rna}: the "
                "signal is not from cDNA (genomic DNA or contamination)"
            )
        elif gap < NO_RT_MIN_GAP:
            notes.append(
                f"no-RT: {target} in {name} is only {gap:.1f} cycles after {rna} (below "
                f"{NO_RT_MIN_GAP:g}): genomic DNA is about {100 * 2**-gap:.0f} % of the signal; "
                "treat the RNA with DNase or use intron-spanning primers"
            )
        else:
            notes.append(f"no-RT controls: {target} in {len(gaps)} no-RT well(s), at least "
                         f"{gap:.1f} cycles after their RNA ({name} vs {rna})")  # fmt: skip
    return notes


def last_cycle(export: Export) -> float | None:
    """The run's last cycle, where the export carries its amplification data."""
    import numpy as np

    if export.amplification is None:
        return None
    cycles = np.asarray(export.amplification.x, dtype=float)
    if not np.isfinite(cycles).any():
        return None
    return float(np.nanmax(cycles))


def analysis_table(
    export: Export, samples: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[int], list[str]]:
    """The export as the text table of wells `assay analyze` reads, its file rows, and notes.

    Group: the sample sheet's ``group`` (keyed by ``well`` or ``sample``), else the export's
    biogroup, else the sample name (each sample its own group, as the instrument software's
    relative quantification does). Sample: the well, when target and reference share a well
    (multiplex: ΔCq within the well, as the software computes it), else the sample name. NTC,
    no-RT, standard and control wells, and wells the export omits, are listed as excluded with
    the reason; they never become groups.

    Raises:
        InputError: The export names no target and no sample sheet gives one.
    """
    import pandas as pd

    from assay.analysis.qc import control_role

    wells = export.wells.copy()
    named_no_rt = wells["sample"].astype(str).str.contains(_NO_RT_NAME) & wells["role"].isin(
        [Role.UNKNOWN.value, Role.NTC.value]
    )
    if named_no_rt.any():
        wells.loc[named_no_rt, "role"] = Role.NO_RT.value
    named = wells["sample"].astype(str).map(control_role)
    named_ntc = (named == Role.NTC.value) & (wells["role"] == Role.UNKNOWN.value)
    if named_ntc.any():
        wells.loc[named_ntc, "role"] = Role.NTC.value
    last = last_cycle(export)
    at_last = wells["cq"].notna() & (wells["role"] != Role.UNKNOWN.value)
    at_last &= wells["cq"] >= last if last is not None else False
    if at_last.any():
        wells.loc[at_last, "cq"] = math.nan  # a control's "Cq" at the last cycle: the mark
    notes = list(export.notes) + _ntc_notes(wells) + _no_rt_notes(wells)
    if named_no_rt.any():
        notes.append(f"{int(named_no_rt.sum())} wells named as no-RT controls (…_noRT, …_nort) "
                     "are treated as such")  # fmt: skip
    if named_ntc.any():
        names = ", ".join(sorted(set(wells.loc[named_ntc, "sample"].astype(str))))
        notes.append(f"{int(named_ntc.sum())} well(s) named like a no-template control ({names}) "
                     "but tasked as samples are treated as NTC")  # fmt: skip
    if at_last.any():
        notes.append(f"{int(at_last.sum())} control well(s) with a Cq at the run's last cycle "
                     f"({last:g}): the instrument's mark for no Cq, read as such")  # fmt: skip
    wells["group"] = wells["biogroup"].where(wells["biogroup"] != "", wells["sample"])
    wells["gene"] = wells["target"]
    if samples is not None:
        wells = _with_sheet(wells, samples, export.path)
    if (wells["gene"] == "").all() and (wells["dye"] != "").any():
        wells["gene"] = wells["dye"]
        notes.append("the export names no targets: each dye is taken as the target (FAM, VIC, ...)")
    if (wells["gene"] == "").all():
        raise InputError(
            "names no target for its wells: give a sample sheet (--samples FILE, keyed by well "
            "or sample) with a gene column", path=export.path,
        )  # fmt: skip
    # A row without a well (an export with no Well column, one Ct Mean per sample) shares none.
    placed = wells[(wells["gene"] != "") & (wells["well"] != "")]
    targets_per_well = placed.groupby(["plate", "well"])["gene"].nunique()
    multiplex = bool((targets_per_well > 1).any())
    if multiplex:
        notes.append("target and reference share wells (multiplex): ΔCq is taken within each well")
    pair = wells["plate"] + ":" + wells["well"] if multiplex else pd.Series("", index=wells.index)
    # A sheet covering some wells only: the others are not part of the experiment described.
    listed = wells.pop("_listed") if "_listed" in wells else pd.Series(True, index=wells.index)
    if not listed.all():
        notes.append(f"{int((~listed).sum())} well row(s) not in the sample sheet (--samples): "
                     "excluded")  # fmt: skip
    unused = [str(u) for u in wells.attrs.get("sheet_unused", [])]
    if unused:
        shown = ", ".join(unused[:5]) + (", …" if len(unused) > 5 else "")
        key = wells.attrs["sheet_key"]
        notes.append(f"the sample sheet names {len(unused)} {key}(s) the export does not "
                     f"hold: {shown} (a typing error, or another plate's?)")  # fmt: skip
    reasons = []
    for role, omitted, sample, group, in_sheet in zip(
        wells["role"], wells["omitted"], wells["sample"], wells["group"], listed, strict=True
    ):
        if omitted:
            reasons.append("omitted in the export")
        elif not in_sheet:
            reasons.append("not in the sample sheet")
        elif role in ROLE_REASONS:
            reasons.append(ROLE_REASONS[role])
        elif not sample and not group:
            reasons.append("no sample name")
        else:
            reasons.append("")
    table = pd.DataFrame({
        "group": wells["group"].astype(str), "sample": wells["sample"].astype(str),
        "pair": pair.astype(str),
        "gene": wells["gene"].astype(str),
        "ct": [("" if c != c else repr(float(c))) for c in wells["cq"]],
        "well": wells["well"].astype(str), "plate": wells["plate"].astype(str),
        "exclude": reasons,
    })  # fmt: skip
    for column in wells.columns:
        if column not in table and column not in WELL_COLUMNS:
            table[column] = wells[column].astype(str)
    blank = table["group"] == ""
    table.loc[blank & (table["exclude"] == ""), "exclude"] = "no sample name"
    table.loc[blank, "group"] = "-"
    table.loc[table["gene"] == "", "gene"] = "-"
    return table, [int(r) for r in wells["row"]], notes


def _with_sheet(wells: pd.DataFrame, sheet: pd.DataFrame, path: str) -> pd.DataFrame:
    """Join a sample sheet (keyed by its well or sample column) onto the wells."""
    columns = {c.strip().lower(): c for c in sheet.columns}
    key = "well" if "well" in columns else "sample" if "sample" in columns else None
    if key is None:
        raise InputError("a sample sheet needs a well or a sample column to join on", path=path)
    sheet = sheet.rename(columns={v: k for k, v in columns.items()})
    lookup = sheet.set_index(key)
    if not lookup.index.is_unique:
        dup = lookup.index[lookup.index.duplicated()][0]
        raise InputError(f"the sample sheet lists {key} {dup} twice", path=path)
    result = wells.copy()
    result["_listed"] = result[key].isin(lookup.index)
    for column in lookup.columns:
        values = result[key].map(lookup[column])
        target = "gene" if column in ("gene", "target") else column
        current = result[target] if target in result else ""  # noqa: SIM401  # a DataFrame
        result[target] = values.where(values.notna(), current).astype(str)
    joined: pd.DataFrame = result
    present = set(wells[key].astype(str))
    joined.attrs["sheet_unused"] = [k for k in lookup.index.astype(str) if k not in present]
    joined.attrs["sheet_key"] = key
    return joined
