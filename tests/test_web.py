"""The local web page (`assay serve`), through Flask's test client, on real exports in ../shared.

The numbers on the page are held against `assay analyze` run on the same file with the same
choices; the error paths (an oversized upload, binary junk, a path for a file name, a run removed
while viewed, a file name that is not the run's) each give a page that says what is wrong, and
nothing is written outside the runs directory.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_folds import EXAMPLE11, assert_shown_as_the_cli
from shared import INSTRUMENT_EXPORTS

from assay.cli.main import main

flask = pytest.importorskip("flask", reason="the web page's extra: pip install 'assay[web]'")

from assay.web import MAX_UPLOAD_BYTES, create_app  # noqa: E402  # after the extra is known


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    app = create_app(tmp_path / "runs")
    app.config["TESTING"] = True
    with app.test_client() as test_client:
        yield test_client


def _upload(client: Any, *files: tuple[bytes, str]) -> Any:
    return _post_files(client, "/analyse", [("files", content, name) for content, name in files])


def _post_files(client: Any, url: str, fields: list[tuple[str, bytes, str]]) -> Any:
    """POST files (field, content, file name) as a browser's form does."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import stream_encode_multipart

    # Encoded in memory: the test client's own encoding spools bodies over 500 KB to a temporary
    # file it never closes.
    data = MultiDict([(field, FileStorage(stream=io.BytesIO(content), filename=name))
                      for field, content, name in fields])  # fmt: skip
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    stream.seek(0)
    return client.post(url, input_stream=stream, content_length=length,
                       content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip


def _run_id(response: Any) -> str:
    found = re.search(r"/runs/([0-9a-f]{32})", response.headers["Location"])
    assert found is not None
    return found.group(1)


def _finish(client: Any, run: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = client.get(f"/runs/{run}").get_data(as_text=True)
        if "Analysing" not in page:
            return str(page)
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def _options(page: str, name: str) -> list[str]:
    block = re.search(rf"<select id='{name}'.*?</select>", page, re.S)
    assert block is not None
    return re.findall(r"<option value='([^']*)'", block.group(0))


def test_a_quantstudio_export_is_analysed_from_the_lists_as_the_cli_does(
    client: Any, tmp_path: Path
) -> None:
    response = _upload(client, (EXAMPLE11.read_bytes(), EXAMPLE11.name))
    assert response.status_code == 303
    run = _run_id(response)
    setup = client.get(f"/runs/{run}/setup").get_data(as_text=True)
    assert "What was read" in setup
    assert EXAMPLE11.name in setup
    # The plate view of what was read, each well coloured by its QC verdict.
    assert f"src='/runs/{run}/plates.png'" in setup
    view = client.get(f"/runs/{run}/plates.png")
    assert view.status_code == 200
    assert view.data[:8] == b"\x89PNG\r\n\x1a\n"
    view.close()
    genes, groups = _options(setup, "reference"), _options(setup, "control")
    # The lists hold the file's own targets and samples: IPC and 1600 are chosen from them.
    assert {"IPC", "RNaseP"} <= set(genes)
    assert "1600" in groups
    chosen = {"reference": "IPC", "control": "1600", "interval": "ci", "correction": "bh"}
    started = client.post(f"/runs/{run}/setup", data=chosen)
    assert started.status_code == 303
    page = _finish(client, run)
    assert "Fold changes" in page
    shown = {(g, grp): float(f) for g, grp, f in re.findall(
        r"<td class='gene'>([^<]*)</td><td class='group'>([^<]*)</td><td class='n'>[^<]*</td>"
        r"<td class='fold_change'>([^<]+)</td>", page)}  # fmt: skip
    assert_shown_as_the_cli(shown, EXAMPLE11, tmp_path / "cli")  # the same choices
    report = client.get(f"/runs/{run}/files/report.html")
    assert report.status_code == 200
    assert b"<html" in report.data[:2000].lower()
    report.close()


def test_binary_junk_says_which_file_and_the_server_goes_on(client: Any, tmp_path: Path) -> None:
    response = _upload(client, (bytes(range(256)) * 40, "plate 3.xlsx"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This file cannot be read" in page
    assert "plate 3.xlsx" in page
    assert "file-1" not in page  # the internal name is not shown
    assert client.get("/").status_code == 200  # still up
    _nothing_outside(tmp_path)


def test_a_file_name_that_is_a_path_is_only_a_name(client: Any, tmp_path: Path) -> None:
    text = (INSTRUMENT_EXPORTS / "tidy").glob("*.csv")
    sample = next(iter(sorted(text)), None)
    content = sample.read_bytes() if sample else b"group,gene,ct\na,X,20\n"
    response = _upload(client, (content, "../../../../etc/evil.csv"))
    run_folders = list((tmp_path / "runs").iterdir())
    assert len(run_folders) == 1
    assert [p.name for p in (run_folders[0] / "inputs").iterdir()] == ["file-1.csv"]
    assert not (tmp_path / "etc").exists()
    assert response.status_code in (303, 400)
    _nothing_outside(tmp_path)


@pytest.mark.parametrize("over", [False, True])
def test_an_upload_over_the_cap_is_refused_with_a_message(tmp_path: Path, over: bool) -> None:
    # The cap is the app's (MAX_UPLOAD_BYTES, 800 MB); a 64 KB one is tried here on both sides.
    assert MAX_UPLOAD_BYTES == 4 * 200 * 2**20
    app = create_app(tmp_path / "runs", max_upload=64 * 1024)
    content = b"group,gene,ct\n" + b"a,X,20\n" * 9000  # 63 KB of table
    body = content + (b"a,X,20\n" * 2000 if over else b"")  # 77 KB: over
    with app.test_client() as client:
        response = _upload(client, (body, "table.csv"))
    if over:
        assert response.status_code == 413
        assert "File too large" in response.get_data(as_text=True)
        assert not any((tmp_path / "runs").iterdir())
    else:
        assert response.status_code != 413


def test_a_run_removed_while_viewed_and_names_not_in_the_run(client: Any) -> None:
    response = _upload(client, (EXAMPLE11.read_bytes(), EXAMPLE11.name))
    run = _run_id(response)
    for name in ("..%2Frun.json", "run.json", "..", "report.html"):  # no out/ folder yet
        assert client.get(f"/runs/{run}/files/{name}").status_code == 404
    assert client.get("/runs/..%2F..%2Fetc/setup").status_code == 404
    assert client.post(f"/runs/{run}/delete").status_code == 303
    gone = client.get(f"/runs/{run}")
    assert gone.status_code == 404
    assert "No such run" in gone.get_data(as_text=True)
    assert client.get(f"/runs/{run}/setup").status_code == 404


def _nothing_outside(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) in (["runs"], [])


def test_a_pasted_primer_table_gets_the_verdicts_assay_validate_gives(tmp_path: Path) -> None:
    import json

    from assay.data import table1_path

    app = create_app(tmp_path / "runs", cache=tmp_path / "cache")
    with app.test_client() as client:
        started = client.post("/validate", data={"pasted": table1_path().read_text(),
                                                 "offline": "1"})  # fmt: skip
        assert started.status_code == 303
        page = _finish(client, _run_id(started))
    shown = re.findall(r"<td class='gene'>([^<]*)</td><td class='verdict'>([^<]*)</td>", page)
    out = tmp_path / "cli.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "cache"),
          "--json", str(out)])  # fmt: skip
    cli = [(p["gene"], p["verdict"]) for p in json.loads(out.read_text())["pairs"]]
    assert shown == cli
    assert ("mTOR", "fail") in shown  # Table 1's mTOR pair (cited record, primers that miss it)


def test_validate_without_a_table_says_so(client: Any) -> None:
    response = client.post("/validate", data={"pasted": "  "})
    assert response.status_code == 400
    assert "No table" in response.get_data(as_text=True)


def test_two_analyses_started_together_both_finish(client: Any) -> None:
    chosen = {"reference": "IPC", "control": "1600", "interval": "ci", "correction": "bh"}
    started = []
    for _ in range(2):
        run = _run_id(_upload(client, (EXAMPLE11.read_bytes(), EXAMPLE11.name)))
        assert client.post(f"/runs/{run}/setup", data=chosen).status_code == 303
        started.append(run)
    pages = [_finish(client, run) for run in started]
    assert all("Fold changes" in page for page in pages)
    tables = [page.split("<table")[1].split("</table>")[0] for page in pages]
    assert tables[0] == tables[1]  # the same numbers


def test_design_of_gapdh_gives_the_pairs_assay_design_gives(tmp_path: Path) -> None:
    import json

    app = create_app(tmp_path / "runs", cache=tmp_path / "cache")
    with app.test_client() as client:
        chosen = {"target": "GAPDH", "pairs": "2", "junction": "preferred", "offline": "1"}
        started = client.post("/design", data=chosen)
        assert started.status_code == 303
        run = _run_id(started)
        page = _finish(client, run)
        order = client.get(f"/runs/{run}/files/order.csv")
        sheet = order.get_data(as_text=True)
        order.close()
    shown = re.findall(
        r"<td class='forward'>([ACGT]+)</td><td class='reverse'>([ACGT]+)</td>", page
    )
    out = tmp_path / "cli.json"
    main(["design", "GAPDH", "--offline", "--cache", str(tmp_path / "cache"), "--pairs", "2",
          "--json", str(out)])  # fmt: skip
    (design,) = json.loads(out.read_text())["designs"]
    cli = [(p["forward"]["sequence"], p["reverse"]["sequence"]) for p in design["pairs"]]
    assert shown == cli
    assert len(shown) == 2
    assert shown[0][0] in sheet  # the order sheet holds the oligos


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/hosts", "data", "NM_1"])
def test_design_takes_a_gene_or_an_accession_never_a_path(
    client: Any, tmp_path: Path, target: str
) -> None:
    response = client.post("/design", data={"target": target, "pairs": "1", "offline": "1"})
    if target == "data":  # a symbol's form: looked up, and not found among the records
        page = _finish(client, _run_id(response))
        assert "no RefSeq mRNA of this gene" in page
    else:
        assert response.status_code == 400
        assert "Not a gene or an accession" in response.get_data(as_text=True)
    _nothing_outside(tmp_path)


def test_the_demo_od_table_gives_the_viability_assay_viability_gives(tmp_path: Path) -> None:
    import csv

    from werkzeug.datastructures import FileStorage

    from assay.data import example_dir

    od = example_dir() / "od.csv"
    app = create_app(tmp_path / "runs")
    with app.test_client() as client:
        upload = FileStorage(stream=io.BytesIO(od.read_bytes()), filename="od.csv")
        response = client.post("/viability", data={"odtable": upload},
                               content_type="multipart/form-data")  # fmt: skip
        assert response.status_code == 303
        run = _run_id(response)
        setup = client.get(f"/runs/{run}/setup").get_data(as_text=True)
        # From the table: its groups, the blank and 630 nm preselected, cell_line to split by.
        assert _options(setup, "control") == ["blank", "co-culture", "control"]
        assert "<option value='blank' selected>" in setup
        assert "<option value='630' selected>" in setup
        assert _options(setup, "by") == ["cell_line"]
        chosen = {"control": "control", "blank": "blank", "reference_nm": "630",
                  "by": "cell_line"}  # fmt: skip
        assert client.post(f"/runs/{run}/setup", data=chosen).status_code == 303
        page = _finish(client, run)
        refused = client.post(f"/runs/{run}/setup", data={**chosen, "control": "../x"})
        assert refused.status_code == 400  # only what the lists offered
    shown = re.findall(r"<td class='panel'>([^<]*)</td><td class='group'>([^<]*)</td>"
                       r"<td class='n'>[^<]*</td><td class='viability_pct_mean'>([^<]*)</td>",
                       page)  # fmt: skip
    out = tmp_path / "cli"
    main(["viability", str(od), "--control", "control", "--by", "cell_line", "--out", str(out)])
    with (out / "viability.csv").open() as handle:
        cli = [(r["panel"], r["group"], f"{float(r['viability_pct_mean']):.2f}")
               for r in csv.DictReader(handle)]  # fmt: skip
    assert shown == cli
    assert ("AGS", "co-culture", "76.71") in shown  # the paper's published figure


def test_a_sample_sheet_joins_groups_onto_a_table_as_on_the_command_line(client: Any) -> None:
    # The pcr package's same-tube table (Livak & Schmittgen 2001, Table 3): one row per sample,
    # the sheet naming rows 2-7 brain and 8-13 kidney; kidney 2^2.53 = 5.776-fold (the vignette
    # cuts it to 5.77; the page shows 3 significant figures).
    table = INSTRUMENT_EXPORTS / "tidy" / "ct2.csv"
    sheet = "sample,group\n" + "".join(
        f"row {r},{'brain' if r < 8 else 'kidney'}\n" for r in range(2, 14)
    )  # fmt: skip
    fields = [("files", table.read_bytes(), "ct2.csv"), ("samples", sheet.encode(), "sheet.csv")]
    response = _post_files(client, "/analyse", fields)
    run = _run_id(response)
    setup = client.get(f"/runs/{run}/setup").get_data(as_text=True)
    assert _options(setup, "control") == ["", "brain", "kidney"]  # "—", then the sheet's groups
    chosen = {"reference": "GAPDH", "control": "brain", "interval": "sd", "correction": "bh"}
    client.post(f"/runs/{run}/setup", data=chosen)
    page = _finish(client, run)
    assert re.search(r"<td class='group'>kidney</td><td class='n'>6</td>"
                     r"<td class='fold_change'>5\.78</td>", page)  # fmt: skip
    rdml = client.get(f"/runs/{run}/files/analysis.rdml")
    assert rdml.status_code == 200
    assert rdml.data[:2] == b"PK"  # RDML is a zip
    rdml.close()


def test_redesign_proposals_are_those_of_assay_validate_redesign(tmp_path: Path) -> None:
    import json

    from assay.data import table1_path

    app = create_app(tmp_path / "runs", cache=tmp_path / "cache")
    with app.test_client() as client:
        started = client.post("/validate", data={"pasted": table1_path().read_text(),
                                                 "offline": "1", "redesign": "1"})  # fmt: skip
        page = _finish(client, _run_id(started))
    pattern = (r"<tr><td class='gene'>([^<]*)</td><td>[^<]*</td><td class='forward'>([ACGT]+)"
               r"</td><td class='reverse'>([ACGT]+)</td>")  # fmt: skip
    shown = re.findall(pattern, page)
    out = tmp_path / "cli.json"
    main(["validate", str(table1_path()), "--offline", "--cache", str(tmp_path / "cache"),
          "--redesign", "--json", str(out)])  # fmt: skip
    proposed = json.loads(out.read_text())["redesign"]
    cli = [(item["gene"], p["forward"]["sequence"], p["reverse"]["sequence"])
           for item in proposed for p in item["proposals"]]  # fmt: skip
    assert shown == cli
    assert any(gene == "mTOR" for gene, _, _ in shown)  # the pair that fails gets proposals


def test_one_plate_as_reader_grids_and_a_map_gives_the_command_lines_viability(
    tmp_path: Path,
) -> None:
    import csv

    # One plate made here: control 0.80/0.82/0.78, drug 0.50/0.52/0.48, blanks 0.05 (570 nm),
    # 0.04 everywhere at 630 nm. Net of 630 nm and of the blanks' 0.01: control
    # (0.76 + 0.78 + 0.74)/3 - 0.01 = 0.75, drug 0.46 - 0.01 = 0.45 -> 60.00 %.
    values = {"A1": ("control", 0.80), "A2": ("control", 0.82), "A3": ("control", 0.78),
              "B1": ("drug", 0.50), "B2": ("drug", 0.52), "B3": ("drug", 0.48),
              "C1": ("blank", 0.05), "C2": ("blank", 0.05)}  # fmt: skip

    def grid(cell: Any) -> bytes:
        lines = ["," + ",".join(str(c) for c in range(1, 13))]
        for row in "ABCDEFGH":
            lines.append(row + "," + ",".join(
                str(cell(values[f"{row}{c}"])) if f"{row}{c}" in values else ""
                for c in range(1, 13)))  # fmt: skip
        return ("\n".join(lines) + "\n").encode()

    files = {"grid570": grid(lambda v: v[1]), "grid630": grid(lambda _: 0.04),
             "platemap": grid(lambda v: v[0])}  # fmt: skip
    for name, content in files.items():
        (tmp_path / f"{name}.csv").write_bytes(content)
    app = create_app(tmp_path / "runs")
    with app.test_client() as client:
        response = _post_files(client, "/viability",
                               [(k, v, f"{k}.csv") for k, v in files.items()])  # fmt: skip
        run = _run_id(response)
        setup = client.get(f"/runs/{run}/setup").get_data(as_text=True)
        assert "<option value='630' selected>" in setup
        chosen = {"control": "control", "blank": "blank", "reference_nm": "630"}
        client.post(f"/runs/{run}/setup", data=chosen)
        page = _finish(client, run)
    shown = re.findall(r"<td class='group'>([^<]*)</td><td class='n'>[^<]*</td>"
                       r"<td class='viability_pct_mean'>([^<]*)</td>", page)  # fmt: skip
    assert ("drug", "60.00") in shown  # by hand: 0.45 / 0.75
    out = tmp_path / "cli"
    main(["viability", "--grid", f"570={tmp_path / 'grid570.csv'}", "--grid",
          f"630={tmp_path / 'grid630.csv'}", "--map", str(tmp_path / "platemap.csv"),
          "--control", "control", "--out", str(out)])  # fmt: skip
    with (out / "viability.csv").open() as handle:
        cli = [(r["group"], f"{float(r['viability_pct_mean']):.2f}")
               for r in csv.DictReader(handle)]  # fmt: skip
    assert shown == cli


@pytest.mark.parametrize("pool", [False, True])
def test_a_cell_line_left_unchosen_is_refused_unless_pooled(client: Any, pool: bool) -> None:
    from assay.data import example_dir

    od = example_dir() / "od.csv"  # two cell lines: AGS and A431
    run = _run_id(_post_files(client, "/viability", [("odtable", od.read_bytes(), "od.csv")]))
    chosen = {"control": "control", "blank": "blank", "reference_nm": "630"}
    client.post(f"/runs/{run}/setup", data={**chosen, **({"pool": "1"} if pool else {})})
    page = _finish(client, run)
    if pool:
        assert "Viability: od.csv" in page
    else:
        assert "The analysis stopped" in page
        assert "cell_line hold several values within the groups" in page
