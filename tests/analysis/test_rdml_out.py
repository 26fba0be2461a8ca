"""RDML and RDES out: valid against the consortium's schema, and read back to the same wells.

The schema is the RDML consortium's own ``shared/rdml_schema/RDML_v1_3_REC.xsd`` (validated with
xmlschema, an independent validator); the round trip compares what assay reads from its own file
with what it read from the original.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from shared import INSTRUMENT_EXPORTS, SHARED

from assay.analysis.instruments import Export, read_export
from assay.cli.main import main

SCHEMA = SHARED / "rdml_schema" / "RDML_v1_3_REC.xsd"
RDES_AMPLIFICATION = SHARED / "rdml_schema" / "RDES_v1_0_example_amplification.tsv"
RDES_MELTING = SHARED / "rdml_schema" / "RDES_v1_0_example_melting.tsv"


@pytest.fixture(scope="module")
def schema() -> object:
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA))


def _valid(schema: object, path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["rdml_data.xml"]
        xml = archive.read("rdml_data.xml").decode()
    errors = [str(e).splitlines()[0] for e in schema.iter_errors(xml)]  # type: ignore[attr-defined]
    assert errors == []


def _same_wells(before: Export, after: Export) -> None:
    columns = ["well", "sample", "target", "role"]
    a = before.wells.reset_index(drop=True)
    b = after.wells.reset_index(drop=True)
    a_sample = a["sample"].where(a["sample"] != "", "well " + a["well"])
    assert list(a_sample) == list(b["sample"])
    assert (a[columns[:1] + columns[2:]] == b[columns[:1] + columns[2:]]).all().all()
    assert np.allclose(a["cq"].fillna(-1), b["cq"].fillna(-1))
    for kind in ("amplification", "melt"):
        x, y = getattr(before, kind), getattr(after, kind)
        assert (x is None) == (y is None), kind
        if x is not None:
            assert np.allclose(np.nan_to_num(x.y, nan=-7), np.nan_to_num(y.y, nan=-7))


@pytest.mark.parametrize(
    "source",
    [
        INSTRUMENT_EXPORTS / "rdml/lc96_bACTXY.rdml",  # 4-plex, amplification points
        INSTRUMENT_EXPORTS / "rdml/BioRad_qPCR_melt.rdml",  # two runs, amplification and melt
        INSTRUMENT_EXPORTS / "quantstudio_csv/RELATIVE_example.csv",  # Cqs only, 384 wells
        RDES_AMPLIFICATION,  # the consortium's RDES example, Cq -1.0 for none
    ],
    ids=lambda p: p.name,
)
def test_rdml_written_validates_and_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: object, source: Path
) -> None:
    out = tmp_path / "wells.rdml"
    assert main(["wells", str(source), "--rdml", str(out)]) == 0
    capsys.readouterr()
    _valid(schema, out)
    before = read_export(source, raw=True)
    after = read_export(out)
    assert before is not None
    assert after is not None
    _same_wells(before, after)


def test_a_ct_table_becomes_rdml_with_its_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: object
) -> None:
    table = tmp_path / "ct.csv"  # made here: assay's own layout, no wells, no plate
    table.write_text("group,sample,gene,ct\nctrl,c1,GAPDH,20.1\nctrl,c1,MYC,25.2\n"
                     "drug,d1,GAPDH,20.0\ndrug,d1,MYC,23.9\n")  # fmt: skip
    out = tmp_path / "table.rdml"
    assert main(["wells", str(table), "--rdml", str(out)]) == 0
    capsys.readouterr()
    _valid(schema, out)
    after = read_export(out)
    assert after is not None
    assert list(after.wells["sample"]) == ["c1", "c1", "d1", "d1"]
    assert list(after.wells["cq"]) == pytest.approx([20.1, 25.2, 20.0, 23.9])
    assert dict(zip(after.wells["sample"], after.wells["biogroup"], strict=True)) == {
        "c1": "ctrl", "d1": "drug",
    }  # fmt: skip


def test_analyze_writes_fold_changes_references_and_primers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: object
) -> None:
    source = INSTRUMENT_EXPORTS / "quantstudio_csv/RELATIVE_example.csv"
    report = tmp_path / "validation.json"  # made here: a report as assay validate writes it
    report.write_text(json.dumps({"schema_version": 2, "pairs": [
        {"gene": "PAX6", "verdict": "pass", "findings": [],
         "forward": {"sequence": "GTCCATCTTTGCTTGGGAAA"},
         "reverse": {"sequence": "TAGCCAGGTTGCGAAGAACT"}}]}))  # fmt: skip
    out, rdml = tmp_path / "out", tmp_path / "analysis.rdml"
    assert main(["analyze", str(source), "--out", str(out), "--rdml", str(rdml),
                 "--assays", str(report)]) == 0  # fmt: skip
    capsys.readouterr()
    _valid(schema, rdml)
    with zipfile.ZipFile(rdml) as archive:
        xml = archive.read("rdml_data.xml").decode()
    # The export's two endogenous controls are the reference targets.
    assert '<target id="ACTB"><type>ref</type>' in xml
    assert '<target id="GAPDH"><type>ref</type>' in xml
    assert "<sequence>GTCCATCTTTGCTTGGGAAA</sequence>" in xml
    assert "<description>assay validate: pass</description>" in xml
    with (out / "expression.csv").open() as handle:
        folds = {(r["gene"], r["group"]): r["fold_change"] for r in csv.DictReader(handle)}
    # Each sample carries its group's fold change of each gene, as expression.csv has it.
    for (gene, group), fold in folds.items():
        expected = f"<property>fold change {gene}</property><value>{float(fold):.6g}</value>"
        assert expected in xml.split(f'<sample id="{group}">')[1].split("</sample>")[0]


def test_rdes_tables_read_and_written_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = read_export(RDES_AMPLIFICATION)
    assert export is not None
    assert export.amplification is not None
    lines = RDES_AMPLIFICATION.read_text().splitlines()
    header, first = lines[0].split("\t"), lines[1].split("\t")
    assert len(export.wells) == len(lines) - 1
    # The reading of the first well at the first cycle column, and its Cq -1.0 = no Cq.
    assert export.amplification.x[0, 0] == float(header[7])
    assert export.amplification.y[0, 0] == pytest.approx(float(first[7]))
    assert first[6] == "-1.0"
    assert bool(export.wells["cq"].isna().iat[0])
    assert export.endogenous_control is not None
    assert set(export.endogenous_control.split(", ")) == {
        r.split("\t")[3] for r in lines[1:] if r.split("\t")[4] == "ref"
    }
    stem = tmp_path / "again"
    assert main(["wells", str(RDES_AMPLIFICATION), "--rdes", str(stem)]) == 0
    capsys.readouterr()
    again = read_export(Path(f"{stem}_amplification.tsv"))
    assert again is not None
    assert again.amplification is not None
    assert np.allclose(np.nan_to_num(again.amplification.y, nan=-7),
                       np.nan_to_num(export.amplification.y, nan=-7))  # fmt: skip
    melting = read_export(RDES_MELTING)
    assert melting is not None
    assert melting.melt is not None
    assert melting.amplification is None
