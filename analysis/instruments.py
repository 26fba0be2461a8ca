"""qPCR instrument exports read as exported: the format found from the content, one well model out.

Formats (``shared/instrument_exports/PROVENANCE.md`` has a real file of each):

* QuantStudio / StepOne / ViiA text exports (``* key = value`` header, ``[Results]`` section,
  footer with the endogenous control and reference sample);
* QuantStudio Design & Analysis and Real-Time PCR Software Excel exports (.xlsx; the ``Results``
  sheet found by its header row, not by its place), StepOne legacy Excel (.xls);
* ABI 7900HT SDS 2.x RQ results (text; "Summary Data" footer);
* Bio-Rad CFX Manager / Maestro "Quantification Cq Results" (``,`` or ``;``, with or without a
  leading empty column);
* Roche LightCycler 480 "Abs Quant" text (CR-only line endings too);
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
    decode,
    load_bytes,
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
    "well": ("well position", "pos", "well"),
    "sample": ("sample name", "sample", "name"),
    "target": ("target name", "target", "detector", "assay name"),
    "dye": ("reporter", "fluor", "dye"),
    "task": ("task", "content"),
    "cq": ("cq", "ct", "crt", "cp", "c t", "cq value"),
    "omit": ("omit",),
    "include": ("include",),
    "quantity": ("quantity", "starting quantity (sq)", "concentration"),
    "rq": ("rq",),
    "plate": ("plateid", "plate"),
    "biogroup": ("biogroup name", "biological set name", "biogroup"),
    # The software's own mean of the replicate group (checked by QC, never used as a Cq).
    "cq_mean": ("ct avg", "ct mean", "cq mean", "crt mean", "cp mean"),
    "card": ("filename",),  # ABI 7900: the card (plate) each well row comes from
}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("т", "t").replace("Т", "T").strip().lower())


def _find_columns(header: Sequence[str]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for field_name, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[field_name] = names.index(alias)
                break
    return found


def _is_header(row: Sequence[str]) -> bool:
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


def _table_in(rows: list[list[str]]) -> _Table | None:
    """The well table inside a sheet or text: its header row, the rows to the first blank one."""
    for index, row in enumerate(rows):
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
    for row, cells in table.rows:
        cells = cells + [""] * (len(table.header) - len(cells))

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
            "cq_mean": get("cq_mean"),
        })  # fmt: skip
    frame: pd.DataFrame = pd.DataFrame(records, columns=[*WELL_COLUMNS, "cq_mean"])
    return frame


def _from_rows(
    rows: list[list[str]], path: Path, instrument: str, extra: list[list[str]] | None = None
) -> Export:
    table = _table_in(rows)
    if table is None:
        raise InputError("holds no table of wells with a Cq column", path=path)
    notes: set[str] = set()
    wells = _wells_from_table(table, path, notes)
    meta = _key_values([*table.before, *table.after, *(extra or [])])
    control = meta.get("endogenous control") or None
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
        return _from_rows(body[:end], path, "QuantStudio/StepOne text export", header)
    first = lines[0] if lines else ""
    if first.startswith("Experiment:"):
        return _from_rows([_split(line) for line in lines[1:]], path, "LightCycler 480 text export")
    if first.startswith("SDS"):
        return _from_rows([_split(line) for line in lines], path, "ABI 7900HT SDS RQ results")
    return _from_rows([_split(line) for line in lines], path, "CFX or tabular Cq export")


def _workbook_export(data: bytes, path: Path, legacy: bool) -> Export | None:
    names = []
    for name, rows in workbook_sheets(data, path, legacy=legacy):
        names.append(name)
        if _table_in(rows) is not None:
            kind = "StepOne Excel export" if legacy else "QuantStudio Excel export"
            export = _from_rows(rows, path, f"{kind} (sheet {name})")
            return _with_applied_efficiencies(_with_biogroups(export, data, path, legacy),
                                              data, path, legacy)  # fmt: skip
    return None  # a workbook of assay's own table layout, read as such


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
        if numbered:
            numbers = [parse_number(w) or 0 for w, _ in found]
            columns = 24 if max(numbers, default=0) > 96 else 12
            found = {(_rdml_well(str(int(parse_number(w) or 0)), columns), t): p
                     for (w, t), p in found.items()}  # fmt: skip
        return found
    return {}


def _with_raw_sheets(export: Export, data: bytes, path: Path) -> Export:
    """The export with the raw amplification and melt readings its workbook carries."""
    from dataclasses import replace

    wanted = {sheet: kind for kind, (sheet, _, _) in _RAW_SHEETS.items()}
    traces: dict[str, Traces | None] = {}
    keys = list(zip(export.wells["well"].astype(str), export.wells["target"].astype(str),
                    strict=True))  # fmt: skip
    for name, rows in workbook_sheets(data, path, legacy=False, only=tuple(wanted)):
        kind = wanted[name]
        _, xs, ys = _RAW_SHEETS[kind]
        points = _sheet_points(rows, xs, ys)
        by_well = {well: p for (well, _), p in points.items()}
        traces[kind] = _traces([sorted(points.get(k) or by_well.get(k[0]) or []) for k in keys])
    if not traces:
        return export
    return replace(export, amplification=traces.get("amplification"), melt=traces.get("melt"))


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
            root = ElementTree.fromstring(archive.read(main))
    except (zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException, OSError) as error:
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
    notes: set[str] = set()
    records: list[dict[str, Any]] = []
    amplification: list[list[tuple[float, float]]] = []
    melt: list[list[tuple[float, float]]] = []
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
                        "biogroup": "", "row": len(records) + 1,
                    })  # fmt: skip
                    amplification.append(_points(datum, "adp", "cyc"))
                    melt.append(_points(datum, "mdp", "tmp"))
    version = root.get("version", "?")
    return Export(path=str(path), instrument=f"RDML {version}",
                  wells=pd.DataFrame(records, columns=list(WELL_COLUMNS)),
                  notes=tuple(sorted(notes)), amplification=_traces(amplification),
                  melt=_traces(melt), amplicons=_amplicons(root))  # fmt: skip


def _points(datum: Any, name: str, x_name: str) -> list[tuple[float, float]]:
    """The (x, fluorescence) readings of one reaction (unreadable numbers left out)."""
    found = []
    for point in _children(datum, name):
        x = parse_number(_child_text(point, x_name))
        y = parse_number(_child_text(point, "fluor"))
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
            found.append((x, y))
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
        except zipfile.BadZipFile as error:
            raise InputError(f"is a damaged zip/xlsx file ({error})", path=path) from None
        if any(n.startswith("xl/") for n in names):
            export = _workbook_export(data, path, legacy=False)
            return _with_raw_sheets(export, data, path) if raw and export is not None else export
        return _rdml_export(data, path)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _workbook_export(data, path, legacy=True)
    # Decided from the first lines and a byte search, so that a large table of assay's own
    # layout is not decoded here only to be read again by the table reader.
    head = decode(data[:4000]) if data[:2] not in (b"\xff\xfe", b"\xfe\xff") else decode(data)
    is_export = (
        b"[Results]" in data or "[Results]".encode("utf-16-le") in data
        or head.startswith(("Experiment:", "SDS", "* "))
        or _cfx_header(head.split("\n", 1)[0])
    )  # fmt: skip
    return _text_export(decode(data), path) if is_export else None


def summary(export: Export) -> str:
    """What was read, for a person to check before analysing."""
    wells = export.wells
    roles = wells["role"].value_counts().to_dict()
    lines = [
        f"{export.path}: {export.instrument}",
        f"  {len(wells)} well rows in {wells['well'].nunique()} wells"
        + (f" on {wells['plate'].nunique()} plates" if wells["plate"].nunique() > 1 else ""),
        f"  targets ({wells['target'].nunique()}): "
        + ", ".join(sorted(str(t) for t in set(wells["target"]))),
        f"  samples ({wells['sample'].nunique()}): "
        + ", ".join(sorted(str(s) for s in set(wells["sample"]) - {""})[:20]),
        "  roles: " + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())),
        f"  no Cq: {int(wells['cq'].isna().sum())}; omitted: {int(wells['omitted'].sum())}",
    ]
    if export.endogenous_control or export.reference_sample:
        lines.append(f"  the software used: endogenous control {export.endogenous_control or '-'}, "
                     f"reference sample {export.reference_sample or '-'}")  # fmt: skip
    lines.extend(f"  note: {n}" for n in export.notes)
    return "\n".join(lines) + "\n"


# From the well model to the table `assay analyze` reads -------------------------------------------

_ROLE_REASONS = {
    Role.NTC.value: "NTC (no-template control)",
    Role.NO_RT.value: "no-RT control",
    Role.STANDARD.value: "standard (dilution series)",
    Role.POSITIVE.value: "positive control",
    Role.NEGATIVE.value: "negative control",
}


def standard_points(export: Export) -> dict[str, tuple[list[float], list[float]]]:
    """Target -> (log10 quantity, Cq) of the standard wells that have both and are not omitted.

    A standard's quantity is its Quantity cell, or (Design & Analysis exports) its sample name:
    the name itself ("400") or the number that ends it ("RNase P 400").
    """
    points: dict[str, tuple[list[float], list[float]]] = {}
    wells = export.wells[export.wells["role"] == Role.STANDARD.value]
    for target, quantity, sample, cq, omitted in zip(
        wells["target"], wells["quantity"], wells["sample"], wells["cq"], wells["omitted"],
        strict=True,
    ):  # fmt: skip
        if omitted or cq != cq:
            continue
        amount = quantity if quantity == quantity else _quantity_in_name(str(sample))
        if amount is None or not amount > 0:
            continue
        xs, ys = points.setdefault(str(target), ([], []))
        xs.append(math.log10(amount))
        ys.append(float(cq))
    return points


def _quantity_in_name(name: str) -> float | None:
    """The quantity a standard's name states: "400", "400.0", "RNase P 400" (None: no number)."""
    whole = parse_number(name)
    if whole is not None:
        return whole
    last = name.rsplit(maxsplit=1)[-1] if name.strip() else ""
    return parse_number(last) if last != name else None


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
FINDING_PREFIXES = ("NTC:", "no-RT:", "melt curve:", "curves:")
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
    targets_per_well = wells[wells["gene"] != ""].groupby(["plate", "well"])["gene"].nunique()
    multiplex = bool((targets_per_well > 1).any())
    if multiplex:
        notes.append("target and reference share wells (multiplex): ΔCq is taken within each well")
    pair = wells["plate"] + ":" + wells["well"] if multiplex else pd.Series("", index=wells.index)
    reasons = []
    for role, omitted, sample, group in zip(
        wells["role"], wells["omitted"], wells["sample"], wells["group"], strict=True
    ):
        if omitted:
            reasons.append("omitted in the export")
        elif role in _ROLE_REASONS:
            reasons.append(_ROLE_REASONS[role])
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
    for column in lookup.columns:
        values = result[key].map(lookup[column])
        target = "gene" if column in ("gene", "target") else column
        current = result[target] if target in result else ""  # noqa: SIM401  # a DataFrame
        result[target] = values.where(values.notna(), current).astype(str)
    joined: pd.DataFrame = result
    return joined
