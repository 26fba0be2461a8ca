"""RDML 1.3 out: the wells read (and what was computed) in the consortium's exchange format.

An RDML file is a zip holding ``rdml_data.xml`` (Lefever et al. 2009; RDML 1.3, the current
recommendation, ``shared/rdml_schema/RDML_v1_3_REC.xsd``). What is written, in the schema's order:

* a dye per dye read (``unknown`` where the file named none: a target needs one);
* a sample per sample name, typed from the well's role (unkn, ntc, nrt, std, pos, ntp), its
  standard quantity, its group as the annotation ``group``, and the fold change of each gene for
  its group as annotations ``fold change <gene>`` (RDML 1.3 has no element for a relative
  quantity);
* a target per target, typed ``ref`` for the reference genes, with the efficiency used and, when
  validated assays are given, the primer sequences and the verdict in its description;
* one experiment, a run per plate: each well a ``react`` numbered row by row as RDML asks, each
  target in it a ``data`` with its Cq (none when there is no Cq), ``excl`` with the reason when it
  was set aside, and the amplification (``adp``) and melt (``mdp``) points when they were read.

Writing uses the standard library's ElementTree (output only; reading stays with defusedxml).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET  # writing only, never parsing input

if TYPE_CHECKING:
    from assay.analysis.instruments import Export

NAMESPACE = "http://www.rdml.org"
VERSION = "1.3"
_ROLE_TYPES = {"unknown": "unkn", "ntc": "ntc", "no-rt": "nrt", "standard": "std",
               "positive": "pos", "negative": "ntp"}  # fmt: skip
_WELL = re.compile(r"^([A-Za-z])(\d{1,2})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetInfo:
    """What is known of a target beyond its wells."""

    reference: bool = False
    efficiency: float | None = None  # amplification factor (2.0 = 100 %)
    forward: str = ""
    reverse: str = ""
    description: str = ""  # the validation verdict, in words


@dataclass(frozen=True, slots=True, kw_only=True)
class Extras:
    """What an analysis adds: targets' roles and efficiencies, groups' fold changes."""

    targets: Mapping[str, TargetInfo] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)  # sample -> group
    folds: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (gene, group) -> fold
    excluded: Mapping[int, str] = field(default_factory=dict)  # export row -> why set aside


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _number(value: float) -> str:
    return repr(float(value))


def _layout(wells: Sequence[str]) -> tuple[int, int, dict[str, int]]:
    """(rows, columns, well -> react id): a plate (8 x 12 or 16 x 24) or one row of wells."""
    named = [_WELL.match(w) for w in wells]
    if wells and all(named):
        rows = max(ord(m.group(1).upper()) - 64 for m in named if m)
        columns = max(int(m.group(2)) for m in named if m)
        rows, columns = (8, 12) if rows <= 8 and columns <= 12 else (16, 24)
        ids = {}
        for well, found in zip(wells, named, strict=True):
            assert found is not None
            ids[well] = (ord(found.group(1).upper()) - 65) * columns + int(found.group(2))
        return rows, columns, ids
    ordered = list(dict.fromkeys(wells))
    return 1, max(len(ordered), 1), {w: i + 1 for i, w in enumerate(ordered)}


def rdml_document(exports: Sequence[Export], extras: Extras | None = None) -> bytes:
    """The RDML 1.3 ``rdml_data.xml`` for the exports' wells (see the module docstring)."""
    import numpy as np

    extras = extras or Extras()
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}rdml", {"version": VERSION})
    _sub(root, "dateMade", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    frames = [e.wells.assign(_export=i) for i, e in enumerate(exports)]
    dyes = sorted({str(d) or "unknown" for f in frames for d in f["dye"]}) or ["unknown"]
    for dye in dyes:
        _sub(root, "dye", id=dye)
    samples: dict[str, tuple[str, float]] = {}
    for frame in frames:
        for name, role, quantity, well in zip(frame["sample"], frame["role"], frame["quantity"],
                                              frame["well"], strict=True):  # fmt: skip
            key = str(name) or f"well {well}"
            if key not in samples or (quantity == quantity and samples[key][1] != samples[key][1]):
                samples[key] = (_ROLE_TYPES.get(str(role), "unkn"), float(quantity))
    for name, (kind, quantity) in samples.items():
        sample = _sub(root, "sample", id=name)
        group = extras.groups.get(name)
        if group:
            annotation = _sub(sample, "annotation")
            _sub(annotation, "property", "group")
            _sub(annotation, "value", group)
            for (gene, of_group), fold in sorted(extras.folds.items()):
                if of_group == group and math.isfinite(fold):
                    annotation = _sub(sample, "annotation")
                    _sub(annotation, "property", f"fold change {gene}")
                    _sub(annotation, "value", f"{fold:.6g}")
        _sub(sample, "type", kind)
        if quantity == quantity:
            amount = _sub(sample, "quantity")
            _sub(amount, "value", _number(quantity))
            _sub(amount, "unit", "other")
    target_dyes: dict[str, str] = {}
    for frame in frames:
        for target, dye in zip(frame["target"], frame["dye"], strict=True):
            target_dyes.setdefault(str(target) or str(dye) or "unknown", str(dye) or "unknown")
    for name, dye in target_dyes.items():
        info = extras.targets.get(name, TargetInfo())
        target = _sub(root, "target", id=name)
        if info.description:
            _sub(target, "description", info.description)
        _sub(target, "type", "ref" if info.reference else "toi")
        if info.efficiency is not None and math.isfinite(info.efficiency):
            _sub(target, "amplificationEfficiency", _number(info.efficiency))
        _sub(target, "dyeId", id=dye)
        if info.forward and info.reverse:
            sequences = _sub(target, "sequences")
            _sub(_sub(sequences, "forwardPrimer"), "sequence", info.forward)
            _sub(_sub(sequences, "reversePrimer"), "sequence", info.reverse)
    experiment = _sub(root, "experiment", id="assay")
    for index, export in enumerate(exports):
        wells = export.wells.reset_index(drop=True)  # row i is traces row i
        for plate, rows in wells.groupby(wells["plate"].astype(str), sort=False):
            run = _sub(experiment, "run", id=_run_id(export, str(plate), index, len(exports)))
            _sub(run, "instrument", export.instrument)
            # A row without a well (a table of Cts) is a reaction of its own.
            keys = [str(w) or f"#{p}" for p, w in zip(rows.index, rows["well"], strict=True)]
            n_rows, n_columns, ids = _layout(keys)
            layout = _sub(run, "pcrFormat")
            _sub(layout, "rows", str(n_rows))
            _sub(layout, "columns", str(n_columns))
            _sub(layout, "rowLabel", "ABC" if n_rows > 1 else "123")
            _sub(layout, "columnLabel", "123")
            by_react: dict[int, list[int]] = {}
            for position, key in zip(rows.index, keys, strict=True):
                by_react.setdefault(ids[key], []).append(int(position))
            for react_id in sorted(by_react):
                positions = by_react[react_id]
                react = _sub(run, "react", id=str(react_id))
                first = positions[0]
                name = str(wells["sample"].iat[first]) or f"well {wells['well'].iat[first]}"
                _sub(react, "sample", id=name)
                for position in positions:
                    _data(react, export, wells, position, extras, np)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


def _run_id(export: Export, plate: str, index: int, count: int) -> str:
    from pathlib import Path

    name = plate or Path(export.path).name
    return f"{index + 1}: {name}" if count > 1 else name


def _data(
    react: ET.Element, export: Export, wells: Any, position: int, extras: Extras, np: Any
) -> None:
    target = str(wells["target"].iat[position]) or str(wells["dye"].iat[position]) or "unknown"
    data = _sub(react, "data")
    _sub(data, "tar", id=target)
    cq = float(wells["cq"].iat[position])
    if math.isfinite(cq):
        _sub(data, "cq", _number(cq))
    why = extras.excluded.get(int(wells["row"].iat[position]))
    if bool(wells["omitted"].iat[position]):
        why = why or "omitted in the export"
    if why:
        _sub(data, "excl", why)
    for traces, tag, x_tag in ((export.amplification, "adp", "cyc"), (export.melt, "mdp", "tmp")):
        if traces is None:
            continue
        xs, ys = np.asarray(traces.x[position]), np.asarray(traces.y[position])
        for x, y in zip(xs, ys, strict=True):
            if np.isfinite(x) and np.isfinite(y):
                point = _sub(data, tag)
                _sub(point, x_tag, _number(x))
                _sub(point, "fluor", _number(y))


def write_rdml(path: str, document: bytes) -> None:
    """Write the RDML zip (``rdml_data.xml`` inside), whole or not at all."""
    from assay.files import write_bytes_atomic

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rdml_data.xml", document)
    write_bytes_atomic(path, buffer.getvalue())


def export_of_table(table: Any, instrument: str = "Ct table") -> Export:
    """A table of wells already read (`wells.WellTable`) as an export, to be written as RDML."""
    import pandas as pd

    from assay.analysis.instruments import WELL_COLUMNS, Export

    frame = pd.concat([table.wells, table.excluded], ignore_index=True)

    def column(name: str, default: Any = "") -> Any:
        return frame[name].astype(str) if name in frame else pd.Series(default, index=frame.index)

    sample = column("sample").where(column("sample") != "", column("group"))
    wells = pd.DataFrame({
        "plate": column("plate"), "well": column("well"), "sample": sample,
        "target": column("gene"), "dye": "", "role": "unknown",
        "cq": pd.to_numeric(frame["ct"], errors="coerce"), "cq_text": "", "omitted": False,
        "quantity": math.nan, "rq": math.nan, "biogroup": column("group"),
        "row": frame["row"] if "row" in frame else range(len(frame)),
    }, columns=list(WELL_COLUMNS))  # fmt: skip
    return Export(path=str(table.source), instrument=instrument, wells=wells)


def table_extras(tables: Sequence[Any], targets: Mapping[str, TargetInfo] | None = None,
                 folds: Mapping[tuple[str, str], float] | None = None) -> Extras:  # fmt: skip
    """Groups and exclusions from tables of wells (`wells.WellTable`), and an analysis' extras."""
    groups: dict[str, str] = {}
    excluded: dict[int, str] = {}
    for table in tables:
        for frame in (table.wells, table.excluded):
            if "group" not in frame:
                continue
            named = frame["sample"].astype(str) if "sample" in frame else frame["group"]
            for sample, group in zip(named.where(named != "", frame["group"]).astype(str),
                                     frame["group"].astype(str), strict=True):  # fmt: skip
                if sample and group and group != "-":
                    groups.setdefault(sample, group)
        if "reason" in table.excluded and "row" in table.excluded:
            for row, reason in zip(table.excluded["row"], table.excluded["reason"], strict=True):
                excluded[int(row)] = str(reason)
    return Extras(targets=targets or {}, groups=groups, folds=folds or {}, excluded=excluded)


def rdes_tables(export: Export, references: Sequence[str] = ()) -> dict[str, str]:
    """RDES v1.0 tables of an export's raw readings: {"amplification": text, "melting": text}.

    Seven columns (Well, Sample, Sample Type, Target, Target Type, Dye, Cq or Tm) and one per
    cycle or temperature, tab-separated, as the consortium's RDES_v1_0_REC.txt specifies. Only the
    kinds of readings the export holds are given.
    """
    import numpy as np

    wells = export.wells.reset_index(drop=True)
    tables = {}
    for kind, traces, label in (("amplification", export.amplification, "Cq"),
                                ("melting", export.melt, "Tm")):  # fmt: skip
        if traces is None:
            continue
        xs = np.asarray(traces.x, dtype=float)
        grid = sorted({float(x) for x in xs[np.isfinite(xs)]})
        if not grid:
            continue
        shown = [f"{int(x)}" if kind == "amplification" and x.is_integer() else f"{x:g}"
                 for x in grid]  # fmt: skip
        lines = ["\t".join(["Well", "Sample", "Sample Type", "Target", "Target Type", "Dye",
                            label, *shown])]  # fmt: skip
        for i in range(len(wells)):
            readings = dict(zip(traces.x[i], traces.y[i], strict=True))
            target = str(wells["target"].iat[i]) or str(wells["dye"].iat[i]) or "unknown"
            cq = float(wells["cq"].iat[i]) if kind == "amplification" else math.nan
            cells = [str(wells["well"].iat[i]), str(wells["sample"].iat[i]) or "unnamed",
                     _ROLE_TYPES.get(str(wells["role"].iat[i]), "unkn"), target,
                     "ref" if target in references else "toi",
                     str(wells["dye"].iat[i]) or "unknown",
                     "" if not math.isfinite(cq) else f"{cq:.6g}"]  # fmt: skip
            cells += ["" if not np.isfinite(readings.get(x, math.nan)) else
                      f"{readings[x]:.6g}" for x in grid]  # fmt: skip
            lines.append("\t".join(c.replace("\t", " ") for c in cells))
        tables[kind] = "\n".join(lines) + "\n"
    return tables


def analysis_document(
    paths: Sequence[str | Path], outcome: Any, assays: str | Path | None = None
) -> bytes:
    """An analysis as RDML 1.3: each export read again with its raw curves, or the table.

    `outcome` is `pipeline.run_analysis`'s; `assays` a validation JSON (`--assays`) whose
    primers and verdicts go with each target.
    """
    from assay.analysis.assays import read_assays
    from assay.analysis.instruments import read_export

    exports = [read_export(path, raw=True) for path in paths]
    found = [e for e in exports if e is not None]
    if len(found) != len(exports):
        found = [export_of_table(outcome.table)]
    settings = outcome.settings
    efficiencies = dict(settings.efficiencies) or dict(outcome.table.efficiencies)
    facts = read_assays(assays) if assays else {}
    genes = {str(g) for e in found for g in e.wells["target"]} | set(efficiencies)
    targets = {}
    for gene in genes:
        fact = facts.get(gene.lower())
        targets[gene] = TargetInfo(
            reference=gene in settings.reference_genes, efficiency=efficiencies.get(gene),
            forward=fact.forward if fact else "", reverse=fact.reverse if fact else "",
            description=f"assay validate: {fact.verdict}" + (f" ({'; '.join(fact.reasons)})"
                                                           if fact.reasons else "")
            if fact else "",
        )  # fmt: skip
    expression = outcome.expression.expression
    panels = expression["panel"] if "panel" in expression else [""] * len(expression)
    folds = {(f"{g} ({p})" if str(p) else str(g), str(k)): float(f)
             for p, g, k, f in zip(panels, expression["gene"], expression["group"],
                                   expression["fold_change"], strict=True)
             if f == f and math.isfinite(float(f))}  # fmt: skip
    extras = table_extras([outcome.table], targets, folds)
    return rdml_document(found, extras)
