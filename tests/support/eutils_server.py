"""A real HTTP server on 127.0.0.1 that speaks enough of NCBI E-utilities for assay's tests.

It serves the stored records of ``data/refseq/`` and the GenBank fixtures through ``efetch.fcgi``,
summaries through ``esummary.fcgi`` and gene links through ``elink.fcgi`` (JSON, as assay asks),
and can inject faults, one per request, in the order queued:

``"429:SECONDS"`` Too Many Requests with Retry-After; ``"500"``, ``"502"``, ``"503"``;
``"drop"`` closes the connection without an answer; ``"stall"`` waits `stall_s` before answering;
``"truncate"`` promises the whole body and sends half; ``"html"`` an HTML error page with status
200; ``"wrong"`` another accession's record; ``"badjson"`` a cut JSON document.

What the server knows of versions and genes (which version replaced which, which transcripts a
gene has) is test configuration set by each test; sequences are only ever the stored real ones.

With `FakeNcbi.recorded` set (`recorded_answers()`), it replays instead the real E-utilities
answers of ``tests/primers/fixtures/ncbi_real/`` (PROVENANCE.md there): a request for one id that
was recorded gets the recorded body byte for byte. A batch of ids gets one answer whose docsums
are the recorded ones, each unchanged, under NCBI's layout; an id without a recording is answered
as NCBI answers an id it does not know ("Invalid uid …" in esummary, HTTP 400 "Failed to
understand id" from efetch). An accession that a recording names but whose answer to this request
was not recorded (the record of a recorded docsum, the summary of a recorded record) gets HTTP 502
"Bad Gateway" (one of NCBI's proxy answers): the server cannot serve it, which is not the same as
NCBI not knowing it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from assay.data import refseq_dir

GENBANK_FIXTURES = Path(__file__).resolve().parents[1] / "primers" / "fixtures" / "genbank"
REAL_ANSWERS = Path(__file__).resolve().parents[1] / "primers" / "fixtures" / "ncbi_real"


@dataclass(frozen=True)
class Recorded:
    """Real E-utilities answers by the id they answer: esummary and elink JSON, efetch GenBank."""

    esummary: dict[str, str]
    elink: dict[str, str]
    efetch_gb: dict[str, str]

    def docsums(self) -> list[dict[str, Any]]:
        """Every docsum of every recorded esummary answer."""
        found = []
        for body in self.esummary.values():
            result = json.loads(body).get("result", {})
            found += [result[uid] for uid in result.get("uids", [])]
        return found

    def newest_summary(self, caption: str) -> str | None:
        """The recorded answer of the newest version of an unversioned accession."""
        best: tuple[int, str] | None = None
        for asked, body in self.esummary.items():
            result = json.loads(body).get("result", {})
            for uid in result.get("uids", []):
                doc = result[uid]
                if doc.get("caption") == caption and "." in doc.get("accessionversion", ""):
                    version = int(doc["accessionversion"].rsplit(".", 1)[1])
                    if best is None or version > best[0]:
                        best = (version, asked)
        return None if best is None else self.esummary[best[1]]


def recorded_answers() -> Recorded:
    """Load the real answers of ``fixtures/ncbi_real`` (their file names say what they answer)."""

    def by_id(folder: str, prefix: str, suffix: str) -> dict[str, str]:
        return {
            path.name.removeprefix(prefix).removesuffix(suffix): path.read_text(encoding="utf-8")
            for path in sorted((REAL_ANSWERS / folder).iterdir())
        }

    return Recorded(
        esummary=by_id("esummary_json", "esummary_nucleotide_", ".json"),
        elink=by_id("elink_json", "elink_nucleotide_nucleotide_", ".json"),
        efetch_gb=by_id("efetch_gb", "", ".gb"),
    )


def _wrap(sequence: str, width: int = 70) -> str:
    return "\n".join(sequence[i : i + width] for i in range(0, len(sequence), width))


def _fasta_from_exons(text: str) -> str:
    """The efetch FASTA of a transcript: its exons joined (PROVENANCE.md: identical to NCBI's)."""
    lines = text.splitlines()
    header = lines[0]
    accession = header.split("|")[1]
    description = header.split(" ", 1)[1]
    sequence = "".join(line.strip() for line in lines if line and not line.startswith(">"))
    return f">{accession} {description}\n{_wrap(sequence)}\n"


def stored_records() -> dict[str, dict[str, str]]:
    """Return accession.version -> {rettype: text} for every record the server can serve."""
    records: dict[str, dict[str, str]] = {}
    for path in sorted(refseq_dir().glob("*.fasta")):
        name = path.name
        if name.endswith(".exons.fasta"):
            records.setdefault(name.removesuffix(".exons.fasta"), {})["fasta"] = _fasta_from_exons(
                path.read_text()
            )
        else:
            records.setdefault(name.removesuffix(".fasta"), {})["fasta"] = path.read_text()
    for path in sorted(GENBANK_FIXTURES.glob("*.gb")):
        records.setdefault(path.name.removesuffix(".gb"), {})["gb"] = path.read_text()
    return records


@dataclass
class FakeNcbi:
    """The server's state: what it serves, the faults to inject, and every request it saw."""

    records: dict[str, dict[str, str]] = field(default_factory=stored_records)
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)  # acc.ver -> (status, by)
    genes: dict[str, list[str]] = field(default_factory=dict)  # gene id -> accession.versions
    faults: list[str] = field(default_factory=list)
    stall_s: float = 2.0
    requests: list[tuple[float, str, dict[str, list[str]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    recorded: Recorded | None = None
    canned: list[tuple[int, str]] = field(default_factory=list)  # (status, body), served first

    def next_canned(self) -> tuple[int, str] | None:
        with self.lock:
            return self.canned.pop(0) if self.canned else None

    def uid(self, accession: str) -> str:
        return str(1000 + sorted(self.records).index(accession))

    def accession_of_uid(self, uid: str) -> str | None:
        names = sorted(self.records)
        index = int(uid) - 1000 if uid.isdigit() else -1
        return names[index] if 0 <= index < len(names) else None

    def newest(self, accession: str) -> str | None:
        versions = [a for a in self.records if a.split(".")[0] == accession]
        return max(versions, key=lambda a: int(a.split(".")[1]), default=None)

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *_args: Any) -> None:  # quiet: the tests read `requests` instead
        return

    def do_GET(self) -> None:  # the http.server API
        state = self.server.state
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        with state.lock:
            state.requests.append((time.monotonic(), parts.path, params))
        canned = state.next_canned()
        if canned is not None:
            self._send(canned[0], "text/plain", canned[1])
            return
        fault = state.next_fault()
        if fault == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.split(":")[0] in {"404", "429", "500", "502", "503"}:
            code = int(fault.split(":")[0])
            headers = {"Retry-After": fault.split(":")[1]} if ":" in fault else {}
            self._send(code, "text/plain", f"error {code}\n", headers)
            return
        if fault == "stall":
            time.sleep(state.stall_s)
        if fault == "html":
            page = (
                "<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
            )
            self._send(200, "text/html", page)
            return
        endpoint = parts.path.rsplit("/", 1)[-1]
        if state.recorded is not None:
            status, content_type, body = _replay(state.recorded, endpoint, params)
            self._send(status, content_type, body)
            return
        handler = {
            "efetch.fcgi": self._efetch,
            "esummary.fcgi": self._esummary,
            "elink.fcgi": self._elink,
        }.get(endpoint)
        if handler is None:
            self._send(404, "text/plain", "no such E-utility\n")
            return
        status, content_type, body = handler(params, fault)
        if fault == "badjson":
            body = body[: len(body) // 2]
        if fault == "truncate":
            self._send_truncated(status, content_type, body)
            return
        self._send(status, content_type, body)

    def _efetch(self, params: dict[str, list[str]], fault: str | None) -> tuple[int, str, str]:
        state = self.server.state
        accession = params.get("id", [""])[0]
        rettype = params.get("rettype", ["fasta"])[0]
        if fault == "wrong":
            accession = next(
                a for a in sorted(state.records) if a != accession and rettype in state.records[a]
            )
        record = state.records.get(accession, {}).get(rettype)
        if record is None:  # what NCBI's efetch says of an id it does not know
            return 400, "text/plain", f"Failed to understand id: {accession}\n"
        return 200, "text/plain", record

    def _esummary(self, params: dict[str, list[str]], _fault: str | None) -> tuple[int, str, str]:
        state = self.server.state
        uids: list[str] = []
        result: dict[str, Any] = {}
        for asked in params.get("id", [""])[0].split(","):
            if asked.isdigit():
                accession = state.accession_of_uid(asked)
            elif "." in asked:
                accession = asked if asked in state.records or asked in state.statuses else None
            else:
                accession = state.newest(asked)
            if accession is None:
                continue
            status, replaced_by = state.statuses.get(accession, ("live", ""))
            uid = state.uid(accession) if accession in state.records else f"9{len(uids)}"
            sequence = state.records.get(accession, {}).get("fasta", "")
            length = sum(len(x) for x in sequence.splitlines()[1:])
            uids.append(uid)
            result[uid] = {
                "uid": uid, "caption": accession.split(".")[0], "accessionversion": accession,
                "status": status, "replacedby": replaced_by, "slen": length,
            }  # fmt: skip
        return 200, "application/json", json.dumps({"result": {"uids": uids, **result}})

    def _elink(self, params: dict[str, list[str]], _fault: str | None) -> tuple[int, str, str]:
        state = self.server.state
        linkname = params.get("linkname", [""])[0]
        ids = params.get("id", [""])[0].split(",")
        links: list[str] = []
        if linkname == "nuccore_gene":
            for asked in ids:
                links += [gene for gene, members in state.genes.items() if asked in members]
        elif linkname == "gene_nuccore_refseqrna":
            for gene in ids:
                links += [state.uid(a) for a in state.genes.get(gene, []) if a in state.records]
        linksetdbs = [{"dbto": params.get("db", [""])[0], "linkname": linkname, "links": links}]
        payload = {"linksets": [{"ids": ids, "linksetdbs": linksetdbs if links else []}]}
        return 200, "application/json", json.dumps(payload)

    def _send(
        self, status: int, content_type: str, body: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a stalled answer): fine

    def _send_truncated(self, status: int, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


def _replay(
    recorded: Recorded, endpoint: str, params: dict[str, list[str]]
) -> tuple[int, str, str]:
    """Answer from the recorded real answers (see the module docstring)."""
    ids = params.get("id", [""])[0].split(",")
    captions = {name.split(".")[0] for name in recorded.efetch_gb} - {
        str(d.get("caption")) for d in recorded.docsums()
    }  # accessions whose record, but no summary, was recorded
    if endpoint == "efetch.fcgi":
        accession = ids[0]
        if params.get("rettype", [""])[0] == "gb" and accession in recorded.efetch_gb:
            return 200, "text/plain", recorded.efetch_gb[accession]
        if any(d.get("accessionversion") == accession for d in recorded.docsums()):
            return 502, "text/plain", "Bad Gateway\n"
        return 400, "text/plain", f"Failed to understand id: {accession}\n"
    if endpoint == "elink.fcgi":
        if len(ids) == 1 and ids[0] in recorded.elink:
            return 200, "application/json", recorded.elink[ids[0]]
        empty = {"header": {"type": "elink", "version": "0.3"},
                 "linksets": [{"dbfrom": "nuccore", "ids": ids}]}  # fmt: skip
        return 200, "application/json", json.dumps(empty)
    if endpoint != "esummary.fcgi":
        return 404, "text/plain", "no such E-utility\n"
    if len(ids) == 1 and ids[0] in recorded.esummary:
        return 200, "application/json", recorded.esummary[ids[0]]
    for asked in ids:
        if asked not in recorded.esummary and (
            asked in recorded.efetch_gb or asked.split(".")[0] in captions
        ):
            return 502, "text/plain", "Bad Gateway\n"  # NCBI knows it; no answer was recorded
    uids: list[str] = []
    docs: dict[str, Any] = {}
    errors: list[str] = []
    for position, asked in enumerate(ids):
        body = recorded.esummary.get(asked) or (
            None if "." in asked else recorded.newest_summary(asked)
        )
        payload = json.loads(body) if body else {}
        result = payload.get("result", {})
        if not result.get("uids"):
            errors.append(f"Invalid uid {asked} at position= {position}")
        for uid in result.get("uids", []):
            if uid not in docs:
                uids.append(uid)
                docs[uid] = result[uid]
    answer: dict[str, Any] = {"header": {"type": "esummary", "version": "0.3"}}
    if errors:
        answer["error"] = errors[0]
    answer["result"] = {"uids": uids, **docs}
    return 200, "application/json", json.dumps(answer, indent=2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeNcbi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def running(state: FakeNcbi | None = None) -> Iterator[FakeNcbi]:
    """Run a server in a thread for the duration of a `with` block; yield its state."""
    state = state or FakeNcbi()
    server = _Server(state)
    host, port = server.server_address[:2]
    state.url = f"http://{host!s}:{port}/entrez/eutils/"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
