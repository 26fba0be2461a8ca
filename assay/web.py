"""`assay serve`: a local web page for the bench — drop files, pick from lists, get the report.

Built on Flask, served by waitress (the optional extra ``assay[web]``). Why these: the pages are
server-rendered forms with a little JavaScript, which Flask does in a few lines with Jinja2
(escaping on) and a request-size cap built in (`MAX_CONTENT_LENGTH`); its test client drives the
error paths; waitress is a pure-Python threaded server that starts in a fraction of a second and
needs no compiler. Starlette would add an ASGI server and python-multipart for the same forms.

Every run lives in its own folder under the runs directory, named by a random 32-hex id that is
checked before it touches a path: ``inputs/`` (uploads, saved as ``file-N`` plus an allowed
suffix: a client's file name is shown, never used as a path), ``out/`` (the analysis folder, the
same files as ``assay analyze --out``, written whole by `files.staged_folder`) and
``run.json`` (state and message). Analyses run in a thread pool through the same functions as
the CLI (`pipeline.run_analysis`); the page polls the run's state. A file served from a run is
looked up among the names the run's folder holds.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assay.errors import AssayError, InputError
from assay.files import write_text_atomic
from assay.tables import MAX_FILE_BYTES

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".eds", ".rdml", ".rdes", ".zip", ".gz",
            ".xml", ".sds")  # fmt: skip
MAX_UPLOAD_BYTES = 4 * MAX_FILE_BYTES  # a request: a few exports at the readers' own cap each
MAX_FILES = 20
WORKERS = 2

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>assay — {{ title }}</title>
<link rel="icon" href="data:,">
{% if refresh %}<meta http-equiv="refresh" content="1">{% endif %}
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#1f4e79;color:#fff;padding:.6rem 1.2rem}header a{color:#fff;margin-right:1rem}
main{max-width:1100px;margin:1rem auto;padding:0 1rem}h2{overflow-wrap:anywhere}
.box{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
.error{border-color:#b00020;background:#fff4f4}.error h2{color:#b00020}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.25rem .6rem;
text-align:left}th{background:#f0f3f7}label{display:block;margin:.6rem 0 .2rem;font-weight:600}
select,input{font-size:1rem}.muted{color:#666}button{font-size:1rem;padding:.4rem 1rem}
</style></head><body>
<header><strong>assay</strong> &nbsp; <a href="/">Runs</a><a href="/analyse">Analyse</a>
<a href="/validate">Validate primers</a><a href="/design">Design primers</a>
<a href="/viability">Viability</a></header>
<main>{{ body|safe }}</main></body></html>"""


class Runs:
    """The runs directory: create, read, list and remove runs; start analyses."""

    def __init__(self, root: Path, cache: Path | None = None) -> None:
        self.root = root
        self.cache = cache  # the record cache and organism databases (None: the default)
        root.mkdir(parents=True, exist_ok=True)
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="assay-run")
        self.lock = threading.Lock()

    def folder(self, run: str) -> Path | None:
        """The run's folder, when `run` is a well-formed id of a run that exists."""
        if not RUN_ID.fullmatch(run):
            return None
        folder = self.root / run
        return folder if (folder / "run.json").is_file() else None

    def store(self, kind: str, uploads: list[Any]) -> tuple[str, Path, list[str]]:
        """A new run holding `uploads` (werkzeug FileStorage) as file-1, file-2, ...

        A file's name is kept to show (its last part, 200 characters at most); its content is
        saved under the internal name with an allowed suffix, and its temporary file closed.
        """
        names = [Path(u.filename or "file").name[:200] for u in uploads]
        run, folder = self.create(kind, names)
        for number, (upload, name) in enumerate(zip(uploads, names, strict=True), start=1):
            upload.save(folder / "inputs" / f"file-{number}{_suffix(name)}")
            upload.close()
        return run, folder, names

    def create(self, kind: str, names: list[str]) -> tuple[str, Path]:
        """A new run (its id and folder) for files given these names."""
        run = secrets.token_hex(16)
        folder = self.root / run
        (folder / "inputs").mkdir(parents=True)
        self.write(folder, {"kind": kind, "state": "uploaded", "names": names, "message": ""})
        return run, folder

    @staticmethod
    def write(folder: Path, state: dict[str, Any]) -> None:
        """Write a run's state whole."""
        write_text_atomic(folder / "run.json", json.dumps(state))

    @staticmethod
    def read(folder: Path) -> dict[str, Any]:
        """A run's state."""
        data: dict[str, Any] = json.loads((folder / "run.json").read_text())
        return data

    def update(self, folder: Path, **changes: Any) -> None:
        """Change a run's state (nothing when the run was removed meanwhile)."""
        with self.lock:
            if not (folder / "run.json").is_file():
                return  # removed meanwhile
            self.write(folder, {**self.read(folder), **changes})

    def listed(self) -> list[tuple[str, dict[str, Any]]]:
        """Every run, newest first, with its state."""
        found = []
        for folder in sorted(self.root.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
            if RUN_ID.fullmatch(folder.name) and (folder / "run.json").is_file():
                found.append((folder.name, self.read(folder)))
        return found

    def remove(self, run: str) -> bool:
        """Remove a run's folder; False when there is no such run."""
        folder = self.folder(run)
        if folder is None:
            return False
        with self.lock:
            shutil.rmtree(folder, ignore_errors=True)
        return True


def inputs_of(folder: Path) -> list[Path]:
    """The run's uploaded files, in upload order."""
    files = [p for p in (folder / "inputs").iterdir() if p.name.startswith("file-")]
    return sorted(files, key=lambda p: int(p.name.split("-")[1].split(".")[0]))


def sample_sheet(folder: Path) -> Path | None:
    """The run's sample sheet, when one was given."""
    found = sorted((folder / "inputs").glob("samples.*"))
    return found[0] if found else None


def _said(error: Exception | str, folder: Path, names: list[str]) -> str:
    """A message with the uploads' internal paths replaced by the names they were given."""
    text = str(error)
    files = [*inputs_of(folder), *([sheet] if (sheet := sample_sheet(folder)) else [])]
    for path, name in zip(files, names, strict=False):
        text = text.replace(str(path), name)
    return text.replace(str(folder), "the run")


def _suffix(name: str) -> str:
    lower = name.lower()
    for double in (".csv.gz", ".txt.gz", ".tsv.gz", ".rdml.gz"):
        if lower.endswith(double):
            return double
    found = Path(lower).suffix
    return found if found in SUFFIXES else ".dat"


def create_app(
    runs_root: Path, *, max_upload: int = MAX_UPLOAD_BYTES, cache: Path | None = None
) -> Any:
    """The Flask application serving the pages.

    Runs live in `runs_root`; a request uploads at most `max_upload` bytes; records and organism
    databases come from `cache` (default: the user's cache).
    """
    from flask import Flask, Response, abort, redirect, render_template_string, request, send_file

    app = Flask("assay")
    app.config["MAX_CONTENT_LENGTH"] = max_upload
    runs = Runs(runs_root, cache)
    app.extensions["assay_runs"] = runs

    def page(title: str, body: str, status: int = 200, refresh: bool = False) -> Response:
        html = render_template_string(_PAGE, title=title, body=body, refresh=refresh)
        return Response(html, status=status, mimetype="text/html")

    def escape(text: object) -> str:
        from markupsafe import escape as markup_escape

        return str(markup_escape(str(text)))

    def error(title: str, message: str, status: int = 400) -> Response:
        body = (f"<div class='box error'><h2>{escape(title)}</h2><p>{escape(message)}</p>"
                "<p><a href='/analyse'>Try another file</a></p></div>")  # fmt: skip
        return page(title, body, status)

    def gone() -> Response:
        return error("No such run", "it was removed, or the link is wrong", 404)

    @app.errorhandler(413)
    def too_large(_: Exception) -> Response:
        cap = app.config["MAX_CONTENT_LENGTH"]
        return error("File too large", f"uploads are limited to {cap / 2**20:g} MB in all; "
                     "instrument exports are far smaller", 413)  # fmt: skip

    @app.get("/")
    def home() -> Response:
        rows = "".join(
            f"<tr><td><a href='/runs/{run}'>{escape(', '.join(state.get('names', [])))}</a></td>"
            f"<td>{escape(state.get('kind', ''))}</td><td>{escape(state.get('state', ''))}</td>"
            f"<td><form method='post' action='/runs/{run}/delete'><button>Remove</button></form>"
            "</td></tr>"
            for run, state in runs.listed()
        )  # fmt: skip
        body = ("<div class='box'><h2>Analyse a plate</h2><p>Drop instrument exports or Ct "
                "tables; choose the reference gene and calibrator from what they hold.</p>"
                "<p><a href='/analyse'>Start</a></p></div>")  # fmt: skip
        listing = (f"<table><tr><th>files</th><th>kind</th><th>state</th><th></th></tr>{rows}"
                   "</table>" if rows else "<p class='muted'>None yet.</p>")  # fmt: skip
        body += f"<div class='box'><h2>Runs</h2>{listing}</div>"
        return page("runs", body)

    @app.get("/analyse")
    def analyse_form() -> Response:
        body = (
            "<div class='box'><h2>Analyse a plate</h2>"
            "<form method='post' enctype='multipart/form-data'>"
            "<label for='files'>Instrument exports or Ct tables (one experiment)</label>"
            "<input id='files' type='file' name='files' multiple required>"
            "<label for='samples'>Sample sheet (optional: well or sample, and group, gene or "
            "panel columns; a LightCycler export needs one)</label>"
            "<input id='samples' type='file' name='samples'>"
            "<p><button id='upload' type='submit'>Read the files</button></p></form>"
            "<p class='muted'>QuantStudio, StepOne, 7900, CFX, LightCycler, Rotor-Gene, RDML, "
            "or a table with group, gene and ct columns. Nothing leaves this computer.</p></div>"
        )  # fmt: skip
        return page("analyse", body)

    @app.post("/analyse")
    def analyse_upload() -> Response:
        uploads = [f for f in request.files.getlist("files") if f.filename]
        if not uploads:
            return error("No file", "choose one or more files to read")
        if len(uploads) > MAX_FILES:
            return error("Too many files", f"at most {MAX_FILES} files in one run")
        run, folder, names = runs.store("analyse", uploads)
        sheet = request.files.get("samples")
        if sheet is not None and sheet.filename:
            sheet_name = Path(sheet.filename).name[:200]
            sheet.save(folder / "inputs" / f"samples{_suffix(sheet_name)}")
            sheet.close()
            runs.update(folder, names=[*names, sheet_name], sheet=sheet_name)
            names = [*names, sheet_name]
        try:
            _plate_view(_read(folder), folder)
        except (AssayError, ValueError) as problem:
            message = _said(problem, folder, names)
            runs.update(folder, state="failed", message=message)
            return error("This file cannot be read", message)
        return redirect(f"/runs/{run}/setup", code=303)  # type: ignore[return-value]

    @app.get("/runs/<run>/plates.png")
    def plates(run: str) -> Response:
        folder = runs.folder(run)
        view = folder / "view" / "plates.png" if folder is not None else None
        if view is None or not view.is_file():
            abort(404)
        return send_file(view, mimetype="image/png")

    def _read(folder: Path) -> Any:
        from assay.analysis.wells import read_plates

        return read_plates(inputs_of(folder), samples=sample_sheet(folder))

    @app.get("/validate")
    def validate_form() -> Response:
        body = (
            "<div class='box'><h2>Validate primer pairs</h2>"
            "<form method='post' enctype='multipart/form-data'>"
            "<label for='table'>A primer table (.tsv, .csv or .xlsx: gene, forward, reverse, "
            "accession, optionally anneal_temp_c)</label>"
            "<input id='table' type='file' name='table'>"
            "<label for='pasted'>or paste it here (tab- or comma-separated, with its header)"
            "</label><textarea id='pasted' name='pasted' rows='8' cols='100'></textarea>"
            "<label><input id='offline' type='checkbox' name='offline' value='1'> offline: only "
            "cached and bundled records</label>"
            "<label><input id='redesign' type='checkbox' name='redesign' value='1'> propose "
            "replacements for pairs that fail or warn on binding, a typing error, their product "
            "or off-targets</label>"
            "<p><button id='check' type='submit'>Check the pairs</button></p></form></div>"
        )  # fmt: skip
        return page("validate", body)

    @app.post("/validate")
    def validate_start() -> Response:
        upload = request.files.get("table")
        pasted = request.form.get("pasted", "").strip()
        if upload is not None and upload.filename:
            run, folder, _ = runs.store("validate", [upload])
        elif pasted:
            name = "pasted table"
            run, folder = runs.create("validate", [name])
            separator = ".tsv" if "\t" in pasted.splitlines()[0] else ".csv"
            write_text_atomic(folder / "inputs" / f"file-1{separator}", pasted + "\n")
        else:
            return error("No table", "choose a primer table, or paste one")
        offline = request.form.get("offline") == "1"
        redesign = request.form.get("redesign") == "1"
        runs.update(folder, state="running", chosen={"offline": offline, "redesign": redesign})
        work = functools.partial(_validate, runs, folder, offline, redesign=redesign)
        runs.pool.submit(_run_job, runs, folder, work)
        return redirect(f"/runs/{run}", code=303)  # type: ignore[return-value]

    @app.get("/design")
    def design_form() -> Response:
        body = (
            "<div class='box'><h2>Design qPCR primer pairs</h2><form method='post'>"
            "<label for='target'>Gene symbol or RefSeq accession (e.g. GAPDH, NM_002046.7)"
            "</label><input id='target' name='target' required maxlength='40'>"
            "<label for='pairs'>Pairs</label><select id='pairs' name='pairs'>"
            + "".join(f"<option{' selected' if n == 3 else ''}>{n}</option>" for n in range(1, 6))
            + "</select><label for='junction'>Exon junction</label><select id='junction' "
            "name='junction'><option value='preferred' selected>preferred</option><option "
            "value='required'>required (a primer across a junction)</option><option "
            "value='any'>any</option></select>"
            "<label><input type='checkbox' name='probe' value='1'> with a hydrolysis probe"
            "</label><label><input type='checkbox' name='offline' value='1'> offline: only "
            "cached and bundled records</label>"
            "<p><button id='design' type='submit'>Design</button></p></form></div>"
        )  # fmt: skip
        return page("design", body)

    @app.post("/design")
    def design_start() -> Response:
        from assay.primers.targets import target_of

        text = request.form.get("target", "").strip()
        try:
            target_of(text, lambda _symbol: [])  # its form only: no record looked up here
        except InputError as problem:
            if "no RefSeq mRNA" not in str(problem):
                return error("Not a gene or an accession", str(problem))
        junction = request.form.get("junction", "preferred")
        try:
            pairs = int(request.form.get("pairs", "3"))
        except ValueError:
            pairs = 0
        if junction not in ("required", "preferred", "any") or not 1 <= pairs <= 5:
            abort(400)
        chosen = {"target": text, "pairs": pairs, "junction": junction,
                  "probe": request.form.get("probe") == "1",
                  "offline": request.form.get("offline") == "1"}  # fmt: skip
        run, folder = runs.create("design", [text])
        runs.update(folder, state="running", chosen=chosen)
        runs.pool.submit(_run_job, runs, folder, functools.partial(_design, runs, folder, chosen))
        return redirect(f"/runs/{run}", code=303)  # type: ignore[return-value]

    @app.get("/viability")
    def viability_form() -> Response:
        body = (
            "<div class='box'><h2>MTT viability</h2>"
            "<form method='post' enctype='multipart/form-data'>"
            "<label for='odtable'>An OD table: one row per well, a group column and od570 (and "
            "od630, experiment, dose, other grouping columns)</label>"
            "<input id='odtable' type='file' name='odtable'>"
            "<p class='muted'>or one plate as the reader gives it (96-well grids) and its map:"
            "</p><label for='grid570'>570 nm grid</label>"
            "<input id='grid570' type='file' name='grid570'>"
            "<label for='grid630'>630 nm grid (optional reference)</label>"
            "<input id='grid630' type='file' name='grid630'>"
            "<label for='platemap'>Plate map (each well's group)</label>"
            "<input id='platemap' type='file' name='platemap'>"
            "<p><button id='read' type='submit'>Read</button></p></form></div>"
        )  # fmt: skip
        return page("viability", body)

    @app.post("/viability")
    def viability_upload() -> Response:
        given = {k: f for k in ("odtable", "grid570", "grid630", "platemap")
                 if (f := request.files.get(k)) is not None and f.filename}  # fmt: skip
        if "odtable" in given:
            run, folder, names = runs.store("viability", [given["odtable"]])
        elif "grid570" in given and "platemap" in given:
            parts = [
                given["grid570"],
                given["platemap"],
                *([given["grid630"]] if "grid630" in given else []),
            ]
            run, folder, names = runs.store("viability", parts)
        else:
            return error("No table", "choose an OD table, or a 570 nm grid and its plate map")
        try:
            if "odtable" not in given:
                _tidy_from_grids(folder)
            _od_columns(folder)
        except (AssayError, ValueError) as problem:
            message = _said(problem, folder, names)
            runs.update(folder, state="failed", message=message)
            return error("This table cannot be read", message)
        return redirect(f"/runs/{run}/setup", code=303)  # type: ignore[return-value]

    @app.get("/runs/<run>/setup")
    def setup(run: str) -> Response:
        folder = runs.folder(run)
        if folder is None:
            return gone()
        state = runs.read(folder)
        try:
            if state.get("kind") == "viability":
                return page("choose", _viability_setup(run, state, _od_columns(folder)))
            table = _read(folder)
        except (AssayError, ValueError) as problem:
            return error("This file cannot be read", _said(problem, folder, state["names"]))
        return page("choose", _setup_body(run, state, table))

    @app.post("/runs/<run>/setup")
    def start(run: str) -> Response:
        folder = runs.folder(run)
        if folder is None:
            return gone()
        if runs.read(folder).get("kind") == "viability":
            return start_viability(run, folder)
        chosen = {
            "reference": [g for g in request.form.getlist("reference") if g],
            "control": request.form.get("control", ""),
            "by": [c for c in request.form.getlist("by") if c],
            "interval": request.form.get("interval", "ci"),
            "correction": request.form.get("correction", "bh"),
            "pool": request.form.get("pool") == "1",
        }  # fmt: skip
        if chosen["interval"] not in ("ci", "sd", "quantstudio"):
            abort(400)
        if chosen["correction"] not in ("bh", "holm", "none"):
            abort(400)
        runs.update(folder, state="running", chosen=chosen, message="")
        runs.pool.submit(_run_job, runs, folder, functools.partial(_analyse, folder, chosen))
        return redirect(f"/runs/{run}", code=303)  # type: ignore[return-value]

    def start_viability(run: str, folder: Path) -> Response:
        columns = _od_columns(folder)
        control = request.form.get("control", "")
        blank = request.form.get("blank", "")
        reference = request.form.get("reference_nm", "")
        by = [c for c in request.form.getlist("by") if c]
        if (control not in columns["groups"] or blank not in ("", *columns["groups"])
                or reference not in ("", *columns["wavelengths"])
                or not set(by) <= set(columns["by"])):  # fmt: skip
            abort(400)  # only what the lists offered
        chosen = {"control": control, "blank": blank, "reference_nm": reference, "by": by,
                  "main_nm": columns["main"], "pool": request.form.get("pool") == "1"}  # fmt: skip
        runs.update(folder, state="running", chosen=chosen, message="")
        runs.pool.submit(_run_job, runs, folder, functools.partial(_viability, folder, chosen))
        return redirect(f"/runs/{run}", code=303)  # type: ignore[return-value]

    @app.get("/runs/<run>")
    def result(run: str) -> Response:
        folder = runs.folder(run)
        if folder is None:
            return gone()
        state = runs.read(folder)
        names = escape(", ".join(state.get("names", [])))
        if state["state"] == "running":
            return page("running", f"<div class='box'><h2>Analysing {names}…</h2><p class="
                        "'muted'>This page refreshes itself.</p></div>", refresh=True)  # fmt: skip
        if state["state"] == "failed":
            return error("The analysis stopped", state.get("message", ""))
        if state["state"] == "uploaded":
            return redirect(f"/runs/{run}/setup", code=303)  # type: ignore[return-value]
        if state.get("kind") == "validate":
            return page("verdicts", _verdicts_body(run, folder, state))
        if state.get("kind") == "design":
            return page("pairs", _pairs_body(run, folder, state))
        if state.get("kind") == "viability":
            return page("viability", _viability_body(run, folder, state))
        return page("result", _result_body(run, folder, state))

    @app.get("/runs/<run>/files/<name>")
    def files(run: str, name: str) -> Response:
        folder = runs.folder(run)
        out = folder / "out" if folder is not None else None
        if out is None or not out.is_dir():
            abort(404)
        held = {p.name: p for p in out.iterdir() if p.is_file()}  # never the client's string
        if name not in held:
            abort(404)
        inline = name.endswith((".html", ".png", ".svg", ".txt"))
        return send_file(held[name], as_attachment=not inline)

    @app.post("/runs/<run>/delete")
    def delete(run: str) -> Response:
        runs.remove(run)
        return redirect("/", code=303)  # type: ignore[return-value]

    return app


def _run_job(runs: Runs, folder: Path, work: Callable[[], str]) -> None:
    """Run one job in a worker; record "done" with what it said, or "failed" with why.

    Whatever happens, the server stays up and the page says it, naming files as uploaded.
    """
    names = runs.read(folder).get("names", [])
    try:
        said = work()
        runs.update(folder, state="done", message=_said(said, folder, names))
    except (AssayError, ValueError) as problem:
        runs.update(folder, state="failed", message=_said(problem, folder, names))
    except Exception as problem:  # any other: said, never a dead server
        runs.update(folder, state="failed", message=f"assay failed unexpectedly ({problem!r}); "
                    "please report it with the file")  # fmt: skip


@contextmanager
def _records(runs: Runs, offline: bool) -> Iterator[tuple[Path, Any]]:
    """The cache and a record store on it (NCBI unless offline), closed afterwards."""
    from assay.primers.cache import RecordCache, default_cache_dir
    from assay.primers.entrez import EntrezClient, settings_from
    from assay.primers.store import RecordStore

    cache = runs.cache or default_cache_dir()
    client = None if offline else EntrezClient(settings_from())
    try:
        yield cache, RecordStore(RecordCache(cache), client)
    finally:
        if client is not None:
            client.close()


def _analyse(folder: Path, chosen: dict[str, Any]) -> str:
    """Analyse a run's uploads as `assay analyze` does; what it said."""
    from assay.analysis.ddct import Interval, Settings
    from assay.analysis.pipeline import AnalysisRequest, run_analysis
    from assay.analysis.rdml_out import analysis_document, write_rdml
    from assay.analysis.stats import Correction
    from assay.files import staged_folder

    files = inputs_of(folder)
    settings = Settings(
        reference_genes=tuple(chosen["reference"]), control=chosen["control"],
        panels=tuple(chosen["by"]), interval=Interval(chosen["interval"]),
        correction=Correction(chosen["correction"]),
    )  # fmt: skip
    with staged_folder(folder / "out") as staging:
        outcome = run_analysis(AnalysisRequest(
            ct_table=files[0], more_tables=tuple(files[1:]), settings=settings, out=staging,
            samples=sample_sheet(folder), pool=bool(chosen.get("pool")),
        ))  # fmt: skip
        write_rdml(str(staging / "analysis.rdml"), analysis_document(files, outcome))
    return " ".join([*outcome.info, *outcome.warnings])


_OD = re.compile(r"^od(\d{3})$", re.IGNORECASE)
_OD_NOT_GROUPING = {"group", "experiment", "well", "dose", "exclude", "row", "role"}


def _od_table(folder: Path) -> Path:
    """The run's OD table: the one uploaded, or the one made from its plate grids."""
    made = folder / "inputs" / "from-grids.csv"
    return made if made.is_file() else inputs_of(folder)[0]


def _tidy_from_grids(folder: Path) -> None:
    """The tidy OD table of one plate: grids (570 nm, 630 nm optional) and map.

    Read as `assay viability --grid 570=... --map ...` reads them.
    """
    from assay.analysis.viability import ViabilitySettings, read_od_grids

    files = inputs_of(folder)  # 570 nm grid, plate map, 630 nm grid
    readings = {570: files[0], **({630: files[2]} if len(files) > 2 else {})}
    settings = ViabilitySettings(control="", reference_nm=630 if 630 in readings else None)
    wells = read_od_grids(readings, files[1], settings)
    write_text_atomic(folder / "inputs" / "from-grids.csv", wells.to_csv(index=False))


def _od_columns(folder: Path) -> dict[str, Any]:
    """What an OD table offers to choose from: groups, wavelengths, grouping columns.

    Raises:
        InputError: No group column or no OD column (named odNNN).
    """
    from assay.analysis.wells import read_text_table
    from assay.tables import natural_key

    path = _od_table(folder)
    raw = read_text_table(path)
    names = {str(c).strip().lower(): str(c) for c in raw.columns}
    if "group" not in names:
        raise InputError(f'no "group" column; columns are: {", ".join(map(str, raw.columns))}',
                         path=path)  # fmt: skip
    wavelengths = sorted(int(m.group(1)) for c in names if (m := _OD.match(c)))
    if not wavelengths:
        raise InputError("no OD column (named od570, od630, ...)", path=path)
    main = 570 if 570 in wavelengths else wavelengths[0]
    groups = sorted({str(g).strip() for g in raw[names["group"]] if str(g).strip()},
                    key=natural_key)  # fmt: skip
    by = [c for c in names if c not in _OD_NOT_GROUPING and not _OD.match(c)
          and 2 <= raw[names[c]].nunique() <= 24]  # fmt: skip
    return {"groups": groups, "wavelengths": [str(w) for w in wavelengths if w != main],
            "main": main, "by": by, "wells": len(raw)}  # fmt: skip


def _viability_setup(run: str, state: dict[str, Any], columns: dict[str, Any]) -> str:
    from markupsafe import escape

    blank = {"blank"} & set(columns["groups"])
    control = {g for g in columns["groups"] if g.lower() in ("control", "ctrl", "untreated")}
    reference = {"630"} & set(columns["wavelengths"])
    return (
        f"<div class='box'><h2>What was read</h2><p>{escape(', '.join(state['names']))}: "
        f"{columns['wells']} wells, OD{columns['main']}, groups "
        f"{escape(', '.join(columns['groups']))}</p></div>"
        f"<div class='box'><h2>Choose</h2><form method='post' action='/runs/{run}/setup'>"
        "<label for='control'>Control group (100 %)</label><select id='control' "
        f"name='control' required>{_options(columns['groups'], control)}</select>"
        "<label for='blank'>Blank wells (medium only)</label><select id='blank' name='blank'>"
        f"<option value=''>none</option>{_options(columns['groups'], blank)}</select>"
        "<label for='reference_nm'>Reference wavelength (subtracted)</label><select "
        "id='reference_nm' name='reference_nm'><option value=''>none</option>"
        f"{_options(columns['wavelengths'], reference)}</select>"
        + (("<label for='by'>Analyse separately by (e.g. cell line)</label>"
            f"<select id='by' name='by' multiple>{_options(columns['by'], set())}</select>"
            "<label><input type='checkbox' name='pool' value='1'> or average those I do not "
            "choose together (pool)</label>") if columns["by"] else "")
        + "<p><button id='run' type='submit'>Run</button></p></form></div>"
    )  # fmt: skip


def _viability(folder: Path, chosen: dict[str, Any]) -> str:
    """Viability as `assay viability` computes it; the same folder and report."""
    from assay.analysis.outputs import write_viability_report
    from assay.analysis.viability import ViabilitySettings, read_od_table, viability
    from assay.files import staged_folder

    settings = ViabilitySettings(
        control=chosen["control"], main_nm=int(chosen["main_nm"]),
        reference_nm=int(chosen["reference_nm"]) if chosen["reference_nm"] else None,
        blank_group=chosen["blank"] or None, panels=tuple(chosen["by"]),
        pool=bool(chosen.get("pool")),
    )  # fmt: skip
    path = _od_table(folder)
    result = viability(read_od_table(path, settings), settings)
    with staged_folder(folder / "out") as staging:
        write_viability_report(staging, result, settings, str(path))
    return " ".join(result.notes)


def _viability_body(run: str, folder: Path, state: dict[str, Any]) -> str:
    """The viability table and the report."""
    import csv

    from markupsafe import escape

    with (folder / "out" / "viability.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    shown = [("panel", "panel"), ("group", "group"), ("n", "n"),
             ("viability_pct_mean", "viability %"), ("viability_pct_sd", "SD"),
             ("viability_pct_ci_low", "95 % CI low"), ("viability_pct_ci_high", "high"),
             ("p_value", "p"), ("significance", "")]  # fmt: skip
    shown = [(k, t) for k, t in shown if rows and k in rows[0] and any(r[k] for r in rows)]

    def cell(key: str, value: str) -> str:
        if key.startswith("viability_pct") and value:
            return f"{float(value):.2f}"
        return f"{float(value):.2g}" if key == "p_value" and value else value

    body = "".join("<tr>" + "".join(f"<td class='{k}'>{escape(cell(k, r.get(k, '')))}</td>"
                                    for k, _ in shown) + "</tr>" for r in rows)  # fmt: skip
    message = state.get("message", "")
    return (
        f"<div class='box'><h2>Viability: {escape(', '.join(state['names']))}</h2>"
        + (f"<p class='muted'>{escape(message)}</p>" if message else "")
        + f"<table id='viability'><tr>{''.join(f'<th>{escape(t)}</th>' for _, t in shown)}"
        f"</tr>{body}</table><p><a href='/runs/{run}/files/report.html'>Open the full report"
        f"</a> · <a href='/runs/{run}/files/viability.csv'>viability.csv</a> · "
        f"<a href='/runs/{run}/files/stats.csv'>stats.csv</a></p></div>"
    )  # fmt: skip


def _plate_view(table: Any, folder: Path) -> None:
    """The plate view of what was read, each well coloured by its QC verdict (wells placed).

    The QC is the one `assay analyze` applies before any choice is made.
    """
    from assay.analysis.ddct import Settings, flag_wells
    from assay.analysis.figures import plate_figure
    from assay.analysis.outputs import wells_with_fate

    if "well" not in table.wells or not (table.wells["well"].astype(str) != "").any():
        return
    every = wells_with_fate(flag_wells(table.wells, Settings(reference_genes=(), control="")),
                            table)  # fmt: skip
    (folder / "view").mkdir(exist_ok=True)
    plate_figure(every, folder / "view" / "plates")


def _screen(cache: Path, store: Any, accessions: list[str]) -> tuple[Any, str]:
    """The search of the records' organism's database (None without one), and what was said."""
    from assay.primers.offtarget import DatabaseSearch
    from assay.primers.organisms import choose_database, records_species

    database, said = choose_database(cache, None, records_species(store, accessions))
    if database is None:
        return None, said
    return DatabaseSearch(paths=tuple(str(database.index(p)) for p in database.parts)), said


def _design(runs: Runs, folder: Path, chosen: dict[str, Any]) -> str:
    """Design pairs as `assay design` does (its preset); keep the JSON, the text, the order."""
    from assay.files import staged_folder
    from assay.primers.conditions import ReactionConditions
    from assay.primers.design import DesignError, DesignSettings, design_pairs
    from assay.primers.design_report import design_to_json, design_to_text, order_sheet
    from assay.primers.targets import target_of
    from assay.primers.thresholds import Thresholds

    with _records(runs, chosen["offline"]) as (cache, store):
        target = target_of(chosen["target"], store.records_of_gene)
        record = store.transcript(target.accession)
        search, said = _screen(cache, store, [str(record.accession)])
        settings = DesignSettings(junction=chosen["junction"], probe=chosen["probe"])
        conditions = ReactionConditions()
        try:
            design = design_pairs(record, gene=target.gene, settings=settings,
                                  conditions=conditions, thresholds=Thresholds(), records=store,
                                  off_targets=search, want=chosen["pairs"])  # fmt: skip
        except DesignError as problem:
            raise InputError(str(problem)) from None
    with staged_folder(folder / "out") as staging:
        write_text_atomic(staging / "design.json", design_to_json([design], conditions))
        write_text_atomic(staging / "design.txt", design_to_text([design], settings, conditions))
        write_text_atomic(staging / "order.csv", order_sheet([design]))
    return said


def _pairs_body(run: str, folder: Path, state: dict[str, Any]) -> str:
    """The ranked pairs: sequences, product, placement, verdict; the order sheet to download."""
    from markupsafe import escape

    data = json.loads((folder / "out" / "design.json").read_text())
    design = data["designs"][0]
    rows = "".join(
        f"<tr><td>{p['rank']}</td><td class='forward'>{escape(p['forward']['sequence'])}</td>"
        f"<td class='reverse'>{escape(p['reverse']['sequence'])}</td>"
        f"<td>{p.get('product_bp') or ''}</td><td>{escape(p.get('placement_text', ''))}</td>"
        f"<td>{escape(p.get('verdict', ''))}</td></tr>"
        for p in design["pairs"]
    )  # fmt: skip
    notes = "".join(f"<li>{escape(n)}</li>" for n in design.get("notes", []))
    message = state.get("message", "")
    empty = ("<p>No pair passed: " + escape(", ".join(f"{c} ({n})" for c, n in
             design.get("rejected", []))) + "</p>") if not design["pairs"] else ""  # fmt: skip
    return (
        f"<div class='box'><h2>Pairs for {escape(design.get('gene') or design['target'])} "
        f"({escape(design['target'])})</h2>"
        + (f"<p class='muted'>{escape(message)}</p>" if message else "")
        + "<table id='pairs'><tr><th>#</th><th>forward 5'→3'</th><th>reverse 5'→3'</th>"
        f"<th>bp</th><th>placement</th><th>verdict</th></tr>{rows}</table>{empty}"
        + (f"<ul class='muted'>{notes}</ul>" if notes else "")
        + f"<p>Downloads: <a href='/runs/{run}/files/order.csv'>order.csv</a> (order sheet) · "
        f"<a href='/runs/{run}/files/design.json'>design.json</a> · "
        f"<a href='/runs/{run}/files/design.txt'>design.txt</a></p></div>"
    )  # fmt: skip


def _validate(runs: Runs, folder: Path, offline: bool, *, redesign: bool = False) -> str:
    """Validate a run's primer table as `assay validate` does; keep the JSON and the text.

    With `redesign`, the replacements `assay validate --redesign` proposes go with them.
    """
    from assay.files import staged_folder, strict_json
    from assay.primers.design import needs_redesign
    from assay.primers.design import redesign as propose
    from assay.primers.design_report import redesign_to_json, redesign_to_text
    from assay.primers.report import to_json_dict, to_text
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs

    names = runs.read(folder).get("names", [])
    pairs = read_primer_table(inputs_of(folder)[0])
    with _records(runs, offline) as (cache, store):
        search, said = _screen(cache, store, [p.accession for p in pairs if p.accession])
        report = validate_pairs(pairs, source=names[0] if names else None, records=store,
                                off_targets=search)  # fmt: skip
        proposals = [
            (r, propose(r, conditions=report.conditions, thresholds=report.thresholds,
                        records=store, off_targets=search))
            for r in report.pairs if redesign and r.reference is not None and needs_redesign(r)
        ]  # fmt: skip
    data = to_json_dict(report)
    text = to_text(report)
    if redesign:
        data["redesign"] = redesign_to_json(proposals, report.conditions)
        text += redesign_to_text(proposals)
    with staged_folder(folder / "out") as staging:
        write_text_atomic(staging / "validation.json", strict_json(data))
        write_text_atomic(staging / "validation.txt", text)
    return said


def _verdicts_body(run: str, folder: Path, state: dict[str, Any]) -> str:
    """One row per pair: gene, verdict, the record used, and the reasons (warn and fail)."""
    from markupsafe import escape

    data = json.loads((folder / "out" / "validation.json").read_text())
    rows = []
    for pair in data.get("pairs", []):
        reasons = [f"{f.get('severity')}: {f.get('message')}" for f in pair.get("findings", [])
                   if f.get("severity") in ("warn", "fail")]  # fmt: skip
        record = (pair.get("reference") or {}).get("accession") or pair.get("accession") or ""
        rows.append(
            f"<tr><td class='gene'>{escape(pair.get('gene', ''))}</td>"
            f"<td class='verdict'>{escape(pair.get('verdict', ''))}</td>"
            f"<td class='record'>{escape(record)}</td>"
            f"<td class='reasons'>{'<br>'.join(str(escape(r)) for r in reasons) or '–'}</td></tr>"
        )  # fmt: skip
    proposed = "".join(
        f"<tr><td class='gene'>{escape(item['gene'])}</td><td>{escape(p['kind'])}</td>"
        f"<td class='forward'>{escape(p['forward']['sequence'])}</td>"
        f"<td class='reverse'>{escape(p['reverse']['sequence'])}</td>"
        f"<td>{escape(p.get('verdict', ''))}</td><td>{escape(p['text'])}</td></tr>"
        for item in data.get("redesign", []) for p in item["proposals"]
    )  # fmt: skip
    replacements = (
        "<h3>Proposed replacements (each checked as above)</h3><table id='proposals'><tr><th>"
        "gene</th><th>kind</th><th>forward</th><th>reverse</th><th>verdict</th><th>what</th>"
        f"</tr>{proposed}</table>" if proposed else
        ("<p class='muted'>No replacement proposed.</p>" if "redesign" in data else "")
    )  # fmt: skip
    message = state.get("message", "")
    return (
        f"<div class='box'><h2>Verdicts: {escape(', '.join(state['names']))}</h2>"
        + (f"<p class='muted'>{escape(message)}</p>" if message else "")
        + "<table id='verdicts'><tr><th>gene</th><th>verdict</th><th>record</th><th>why</th>"
        f"</tr>{''.join(rows)}</table>{replacements}<p>Downloads: "
        f"<a href='/runs/{run}/files/validation.json'>"
        f"validation.json</a> · <a href='/runs/{run}/files/validation.txt'>validation.txt</a>"
        "</p></div>"
    )  # fmt: skip


_STANDARD = {"well", "sample", "group", "gene", "ct", "row", "plate", "task", "pair", "qc",
             "qc_reasons", "flags", "quantity", "dye", "exclude"}  # fmt: skip


def _options(values: list[str], chosen: set[str]) -> str:
    from markupsafe import escape

    return "".join(f"<option value='{escape(v)}'{' selected' if v in chosen else ''}>"
                   f"{escape(v)}</option>" for v in values)  # fmt: skip


def _setup_body(run: str, state: dict[str, Any], table: Any) -> str:
    """What was read, and the choices (from the file) with the export's own preselected."""
    from markupsafe import escape

    from assay.tables import natural_key

    wells = table.wells
    genes = sorted({str(g) for g in wells["gene"]}, key=natural_key)
    groups = sorted({str(g) for g in wells["group"]}, key=natural_key)
    samples = wells["sample"].nunique() if "sample" in wells else 0
    columns = [c for c in wells.columns
               if c not in _STANDARD and wells[c].dtype == object and 2 <= wells[c].nunique() <= 24
               and not c.startswith(("cq_", "ct_"))]  # fmt: skip
    references = {g.strip() for g in (table.endogenous_control or "").split(",") if g.strip()}
    calibrator = {table.reference_sample} if table.reference_sample else set()
    view = (f"<img id='plates' src='/runs/{run}/plates.png' alt='plate view' "
            "style='max-width:560px;width:100%'>" if "well" in wells else "")  # fmt: skip
    read = (
        f"<div class='box'><h2>What was read</h2><p>{escape(', '.join(state['names']))}: "
        f"{escape(table.instrument or 'a table of wells')}; {len(wells)} wells, {len(genes)} "
        f"targets, {len(groups)} groups, {samples} samples; {len(table.excluded)} set aside.</p>"
        f"<p class='muted'>Targets: {escape(', '.join(genes[:40]))}"
        f"{' …' if len(genes) > 40 else ''}</p>{view}</div>"
    )  # fmt: skip
    form = (
        f"<div class='box'><h2>Choose</h2><form method='post' action='/runs/{run}/setup'>"
        "<label for='reference'>Reference gene(s)</label>"
        f"<select id='reference' name='reference' multiple size='{min(8, len(genes))}' required>"
        f"{_options(genes, references)}</select>"
        "<label for='control'>Calibrator group</label>"
        f"<select id='control' name='control' required><option value=''>—</option>"
        f"{_options(groups, calibrator)}</select>"
        + (("<label for='by'>Analyse separately by (optional)</label>"
            f"<select id='by' name='by' multiple>{_options(columns, set())}</select>"
            "<label><input type='checkbox' name='pool' value='1'> or average those I do not "
            "choose together (pool)</label>") if columns else "")
        + "<label for='interval'>Interval of the fold change</label><select id='interval' "
        "name='interval'><option value='ci' selected>95 % confidence interval</option><option "
        "value='sd'>2^-(ΔΔCt ± SD)</option><option value='quantstudio'>QuantStudio's RQ "
        "Min/Max</option></select><label for='correction'>Multiple testing</label><select "
        "id='correction' name='correction'><option value='bh' selected>Benjamini–Hochberg"
        "</option><option value='holm'>Holm</option><option value='none'>none</option></select>"
        "<p><button id='run' type='submit'>Run</button></p></form>"
        + ("<p class='muted'>Preselected: what the export says its software used.</p>"
           if references or calibrator else "")
        + "</div>"
    )  # fmt: skip
    return read + form


def _result_body(run: str, folder: Path, state: dict[str, Any]) -> str:
    """The fold-change table, the report and the downloads."""
    import csv

    from markupsafe import escape

    out = folder / "out"
    with (out / "expression.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    shown = [("panel", "panel"), ("gene", "gene"), ("group", "group"), ("n", "n"),
             ("fold_change", "fold change"), ("fold_change_low", "low"),
             ("fold_change_high", "high"), ("p_value", "p"), ("significance", "")]  # fmt: skip
    shown = [(k, t) for k, t in shown if rows and k in rows[0] and any(r[k] for r in rows)]

    def cell(key: str, value: str) -> str:
        if key in ("fold_change", "fold_change_low", "fold_change_high") and value:
            return f"{float(value):.3g}"
        if key == "p_value" and value:
            return f"{float(value):.2g}"
        return value

    table = "".join(
        "<tr>" + "".join(f"<td class='{k}'>{escape(cell(k, r.get(k, '')))}</td>" for k, _ in shown)
        + "</tr>" for r in rows
    )  # fmt: skip
    downloads = " · ".join(
        f"<a href='/runs/{run}/files/{escape(p.name)}'>{escape(p.name)}</a>"
        for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")
    )  # fmt: skip
    message = state.get("message", "")
    return (
        f"<div class='box'><h2>Fold changes: {escape(', '.join(state['names']))}</h2>"
        + (f"<p class='muted'>{escape(message)}</p>" if message else "")
        + f"<table id='expression'><tr>{''.join(f'<th>{escape(t)}</th>' for _, t in shown)}</tr>"
        f"{table}</table><p><a href='/runs/{run}/files/report.html'>Open the full report</a>"
        f"</p><p>Downloads: {downloads}</p></div>"
    )  # fmt: skip
