"""The E-utilities client and the record parser on real NCBI answers, replayed verbatim.

Every file of ``fixtures/ncbi_real/`` (copied from ``shared/ncbi_real_answers/``; PROVENANCE.md
there says where each came from) goes through the code as NCBI sent it. Expected values are read
off the files by eye and written here (PROVENANCE.md's table says the same), never taken from
assay's output.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from Bio import SeqIO
from eutils_server import REAL_ANSWERS, FakeNcbi, recorded_answers, running

from assay.cli.main import main
from assay.errors import FetchError, NoNetworkError, UnknownAccession
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache
from assay.primers.entrez import (
    EntrezClient,
    EntrezSettings,
    RateLimiter,
    parse_elink,
    parse_esummary,
)
from assay.primers.records import RecordFormat, parse_genbank
from assay.primers.sequence import reverse_complement
from assay.primers.store import RecordStore

ESUMMARY = REAL_ANSWERS / "esummary_json"
ELINK = REAL_ANSWERS / "elink_json"
GENBANK = REAL_ANSWERS / "efetch_gb"


def _esummary(name: str) -> str:
    return (ESUMMARY / f"esummary_nucleotide_{name}.json").read_text(encoding="utf-8")


# (file id, [(accession.version, status, replaced by)]) as the files say.
SUMMARIES = [
    ("NM_003002.2", [("NM_003002.2", "replaced", "NM_003002.3")]),
    ("NM_003002.3", [("NM_003002.3", "replaced", "NM_003002.4")]),
    ("NM_003002.4", [("NM_003002.4", "live", None)]),  # no "status" key at all
    ("NM_001276506.2", [("NM_001276506.2", "live", None)]),  # 2025 shape
    ("NM_021803.4", [("NM_021803.4", "live", None)]),
    ("NR_002196.2", [("NR_002196.2", "live", None)]),
    ("NC_000011.9", [("NC_000011.9", "replaced", "NC_000011.10")]),
    ("NC_000011.10", [("NC_000011.10", "live", None)]),
    ("NC_000022.10", [("NC_000022.10", "replaced", "NC_000022.11")]),
    ("NC_000022.11", [("NC_000022.11", "live", None)]),
    ("NC_000022", [("NC_000022.11", "live", None)]),  # unversioned: the newest answers
    ("NG_012337.1", [("NG_012337.1", "replaced", "NG_012337.2")]),
    ("NG_012337.2", [("NG_012337.2", "replaced", "NG_012337.3")]),
    ("NG_012337.3", [("NG_012337.3", "live", None)]),
    ("224384747", [("CM000684.1", "replaced", "CM000684.2")]),  # asked by gi
]


@pytest.mark.parametrize(("name", "expected"), SUMMARIES, ids=[s[0] for s in SUMMARIES])
def test_every_real_docsum_gives_its_status(
    name: str, expected: list[tuple[str, str, str | None]]
) -> None:
    statuses = parse_esummary(_esummary(name))
    got = [
        (str(s.accession), s.status, None if s.replaced_by is None else str(s.replaced_by))
        for s in statuses
    ]
    assert got == expected


def test_a_real_batch_of_six_with_two_replaced() -> None:
    statuses = parse_esummary(_esummary("8948aa951dea90c1e131cd58d2285133"))
    assert len(statuses) == 6
    replaced = sorted(str(s.accession) for s in statuses if s.status == "replaced")
    assert replaced == ["NM_001114101.1", "NM_172369.2"]
    assert sum(s.status == "live" for s in statuses) == 4
    live = parse_esummary(_esummary("9c08f05325f706d8d4a94c6632f9519b"))
    assert len(live) == 6
    assert all(s.status == "live" for s in live)
    assert "NM_003002.4" in {str(s.accession) for s in live}


@pytest.mark.parametrize(
    "name", ["SDHD", "Sdhd", "CYP2D6", "ENST00000375549.7", "ENSP00000364699.3"]
)
def test_an_id_nuccore_does_not_know_is_an_empty_answer_not_an_error(name: str) -> None:
    # {"error": "Invalid uid SDHD at position= 0", "result": {"uids": []}}
    assert parse_esummary(_esummary(name)) == []


def test_a_top_level_esummaryresult_error_is_an_error_not_an_empty_answer() -> None:
    text = (REAL_ANSWERS / "misc" / "klortho_esummary.error.json").read_text()
    with pytest.raises(FetchError, match="Invalid db name specified: fleegle"):
        parse_esummary(text)


def test_a_per_uid_error_costs_only_that_uid() -> None:
    # Constructed: a real docsum (NM_003002.4) beside a per-uid error document of the shape
    # other projects' fixtures show (PROVENANCE.md "Seen but not copied"); no real one exists.
    real = json.loads(_esummary("NM_003002.4"))
    uid = real["result"]["uids"][0]
    batch = {
        "header": real["header"],
        "result": {
            "uids": [uid, "123"],
            uid: real["result"][uid],
            "123": {"uid": "123", "error": "cannot get document summary"},
        },
    }
    assert [str(s.accession) for s in parse_esummary(json.dumps(batch))] == ["NM_003002.4"]


@pytest.mark.parametrize(
    ("name", "linkname", "count"),
    [
        ("NM_003002.4", "nuccore_mrna_nuccore", 3),
        ("NM_003002.4", "nuccore_nuccore_comp", 2),
        ("NM_003002.2", "nuccore_mrna_nuccore", 0),  # replaced: no "linksetdbs" key at all
        ("NG_012337.1", "nuccore_mrna_nuccore", 0),
        ("NM_021803.4", "nuccore_gene", 0),  # a linkname the answer does not hold
    ],
)
def test_real_elink_answers(name: str, linkname: str, count: int) -> None:
    text = (ELINK / f"elink_nucleotide_nucleotide_{name}.json").read_text()
    assert len(parse_elink(text, linkname)) == count


# Real GenBank records: exon features and what the records say of them (PROVENANCE.md and the
# FEATURES tables): number of exon features, the last exon's end, the record's length, the
# name of the exon the record calls "76b" where there is one.
GENBANK_FILES = [
    ("NM_000059.3", 27, 11386, 11386),
    ("NM_000088.3", 51, 5927, 5927),
    ("NM_000132.3", 26, 9036, 9048),  # last exon ends 12 bases before the record does
    ("NM_000143.3", 10, 1867, 1877),
    ("NM_000193.2", 3, 1576, 1576),
    ("NM_001199.3", 16, 2739, 2747),
    ("NM_002001.2", 6, 1165, 1191),
    ("NM_003002.2", 4, 1365, 1382),
    ("NM_004006.1", 79, 13993, 13993),  # /number=76b among them
    ("NM_004006.2", 79, 13993, 13993),  # no /number at all
    ("NM_024426.4", 10, 3027, 3037),
    ("NM_203473.1", 14, 1867, 1867),
]


@pytest.mark.parametrize(("name", "exons", "last_end", "length"), GENBANK_FILES)
def test_every_real_genbank_record_gives_its_exon_map(
    name: str, exons: int, last_end: int, length: int
) -> None:
    record = parse_genbank((GENBANK / f"{name}.gb").read_text(), parse_accession(name))
    assert record.length == length
    assert len(record.exons) == exons
    assert record.exons[-1].end == last_end
    assert record.tiles  # used as an exon map, untiled tail or not
    assert record.tail_bp == length - last_end


def test_exon_names_are_the_records_own_or_their_order() -> None:
    dmd1 = parse_genbank((GENBANK / "NM_004006.1.gb").read_text(), parse_accession("NM_004006.1"))
    # FEATURES: exon 10331..10467 /number=76b, then 10468..10506 /number=77.
    named = {e.name: (e.start, e.end) for e in dmd1.exons}
    assert named["76b"] == (10331, 10467)
    assert named["77"] == (10468, 10506)
    assert dmd1.exons[0].name == "2"  # the record's first exon feature says /number=2
    assert dmd1.exon_note == ""
    dmd2 = parse_genbank((GENBANK / "NM_004006.2.gb").read_text(), parse_accession("NM_004006.2"))
    assert [e.name for e in dmd2.exons[:3]] == ["1", "2", "3"]
    assert "numbered by order" in dmd2.exon_note


# The client and the record store against a server that replays the real answers.


@pytest.fixture
def real_ncbi() -> Iterator[FakeNcbi]:
    with running(FakeNcbi(recorded=recorded_answers())) as state:
        yield state


class NoSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(url: str, sleeps: NoSleep | None = None) -> EntrezClient:
    settings = EntrezSettings(
        email="lab@example.org", base_url=url, connect_timeout_s=2.0, read_timeout_s=2.0,
        max_attempts=4, backoff_base_s=0.01,
    )  # fmt: skip
    return EntrezClient(settings, limiter=RateLimiter(1000), sleep=sleeps or NoSleep())


def _store(ncbi: FakeNcbi, tmp_path: Path) -> RecordStore:
    return RecordStore(RecordCache(tmp_path / "cache", read_also=()), _client(ncbi.url))


def test_a_replacement_chain_is_followed_to_the_newest_version(
    real_ncbi: FakeNcbi, tmp_path: Path
) -> None:
    status = _store(real_ncbi, tmp_path).status(parse_accession("NM_003002.2"))
    assert status is not None
    assert (str(status.replaced_by), str(status.newest)) == ("NM_003002.3", "NM_003002.4")
    assert status.describe() == (
        "NM_003002.2 has been replaced by NM_003002.3 (newest NM_003002.4) at NCBI"
    )
    assert len(real_ncbi.requests) == 1  # one esummary: the version and the unversioned


def test_a_live_record_is_live(real_ncbi: FakeNcbi, tmp_path: Path) -> None:
    status = _store(real_ncbi, tmp_path).status(parse_accession("NM_003002.4"))
    assert status is not None
    assert (status.status, status.replaced) == ("live", False)
    assert status.describe() == "NM_003002.4 is live at NCBI"


def test_an_accession_ncbi_does_not_know_is_said_at_once(
    real_ncbi: FakeNcbi, tmp_path: Path
) -> None:
    store = _store(real_ncbi, tmp_path)
    with pytest.raises(UnknownAccession, match=r"NCBI does not know NM_999999\.1"):
        store.status(parse_accession("NM_999999.1"))
    with pytest.raises(UnknownAccession, match="NCBI does not know"):
        store.transcript(parse_accession("NM_999999.1"))
    assert len(real_ncbi.requests) == 2  # one each, never retried


def test_real_records_are_fetched_and_cached_whole(real_ncbi: FakeNcbi, tmp_path: Path) -> None:
    store = _store(real_ncbi, tmp_path)
    record = store.transcript(parse_accession("NM_004006.1"))  # the one with "76b"
    assert len(record.exons) == 79
    cached = (tmp_path / "cache" / "NM_004006.1.gb").read_text()
    assert cached == (GENBANK / "NM_004006.1.gb").read_text()


RATE_LIMIT_BODY = '{"error":"API rate limit exceeded","api-key":"157.131.198.215","count":"5"}'


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, RATE_LIMIT_BODY),  # biocommons/bioutils#16 (misc/rate_limit_429_bodies.txt)
        (200, RATE_LIMIT_BODY),  # the same JSON error in a 200 answer
        (200, "Bad Gateway"),  # NCBI's proxy text in a 200 answer (misc/kblin_...)
        (200, "server is temporarily unable to service your request"),
        (502, "Bad gateway"),
    ],
)
def test_passing_errors_are_retried(
    real_ncbi: FakeNcbi, tmp_path: Path, status: int, body: str
) -> None:
    real_ncbi.canned = [(status, body)]
    sleeps = NoSleep()
    store = RecordStore(RecordCache(tmp_path, read_also=()), _client(real_ncbi.url, sleeps))
    answer = store.status(parse_accession("NM_003002.4"))
    assert answer is not None
    assert answer.status == "live"
    assert len(real_ncbi.requests) == 2
    assert len(sleeps.delays) == 1


def test_a_permanent_error_in_an_answer_is_not_retried(real_ncbi: FakeNcbi, tmp_path: Path) -> None:
    real_ncbi.canned = [(200, (REAL_ANSWERS / "misc" / "klortho_esummary.error.json").read_text())]
    store = _store(real_ncbi, tmp_path)
    with pytest.raises(FetchError, match="Invalid db name"):
        store.status(parse_accession("NM_003002.4"))
    assert len(real_ncbi.requests) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_network_is_noticed_once_and_remembered() -> None:
    sleeps = NoSleep()
    client = _client(f"http://127.0.0.1:{_closed_port()}/entrez/eutils/", sleeps)
    with pytest.raises(NoNetworkError, match=r"no network: .* using cached and bundled records"):
        client.fetch_record(parse_accession("NM_003002.2"), RecordFormat.GENBANK)
    assert sleeps.delays == []  # a refused connection is not waited on
    with pytest.raises(NoNetworkError, match="no network") as again:
        client.summaries([parse_accession("NM_003002.2")])
    assert str(again.value) == client.unreachable  # the same words: said once in a report
    assert client.unreachable is not None


# The whole command on a table that cites what real records hold.


def _primer(name: str, start: int, end: int, *, reverse: bool = False) -> str:
    """Bases start..end (1-based, closed) of a real record, read with Biopython."""
    record = SeqIO.read(GENBANK / f"{name}.gb", "genbank")  # type: ignore[no-untyped-call]  # Biopython is unannotated
    seq = str(record.seq)[start - 1 : end]
    return reverse_complement(seq) if reverse else seq


def _table(tmp_path: Path) -> Path:
    rows = [
        # SDHD on the replaced NM_003002.2 (4 exons 1..1365 of 1382): forward 199-219 in exon 2
        # (114..230), reverse 349-368 in exon 3 (231..375): 368 - 199 + 1 = 170 bp.
        ("SDHD", _primer("NM_003002.2", 199, 219),
         _primer("NM_003002.2", 349, 368, reverse=True), "NM_003002.2", 170),
        # DMD on NM_004006.1: forward 10348-10369 in exon "76b" (10331..10467), reverse
        # 10513-10532 in exon 78 (10507..10572): 185 bp.
        ("DMD", _primer("NM_004006.1", 10348, 10369),
         _primer("NM_004006.1", 10513, 10532, reverse=True), "NM_004006.1", 185),
        # F8 on NM_000132.3 (last exon ends 9036 of 9048): forward 7005-7026 in exon 25
        # (6895..7071), reverse 7146-7166 in exon 26 (7072..9036): 162 bp.
        ("F8", _primer("NM_000132.3", 7005, 7026),
         _primer("NM_000132.3", 7146, 7166, reverse=True), "NM_000132.3", 162),
        # An accession NCBI does not know (the replaying server knows no NM_999999).
        ("NOPE", _primer("NM_003002.2", 199, 219),
         _primer("NM_003002.2", 349, 368, reverse=True), "NM_999999.1", 170),
    ]  # fmt: skip
    path = tmp_path / "primers.tsv"
    lines = ["gene\tforward\treverse\taccession\tproduct_bp"]
    lines += ["\t".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_table_citing_real_records_validates_to_the_end(
    real_ncbi: FakeNcbi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server answers 502 for the newest SDHD record, which it does not hold: retried with
    # short waits here (the command's own settings wait seconds).
    from assay.primers import entrez

    real = entrez.settings_from
    monkeypatch.setattr(
        entrez, "settings_from", lambda **kw: replace(real(**kw), backoff_base_s=0.001)
    )
    monkeypatch.setattr(entrez, "shared_limiter", lambda _rate: RateLimiter(1000))
    out = tmp_path / "report.json"
    code = main([
        "validate", str(_table(tmp_path)), "--eutils-url", real_ncbi.url,
        "--cache", str(tmp_path / "cache"), "--json", str(out),
    ])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0  # nothing fails; one pair is unverified
    pairs = {p["gene"]: p for p in json.loads(out.read_text())["pairs"]}
    assert list(pairs) == ["SDHD", "DMD", "F8", "NOPE"]
    assert (pairs["SDHD"]["verdict"], pairs["NOPE"]["verdict"]) == ("warn", "unverified")
    assert pairs["DMD"]["verdict"] in {"pass", "warn"}
    assert pairs["F8"]["verdict"] in {"pass", "warn"}
    assert [pairs[g]["product_bp"] for g in ("SDHD", "DMD", "F8")] == [170, 185, 162]
    assert pairs["DMD"]["forward"]["binding"]["exons"] == ["76b"]
    assert pairs["DMD"]["reverse"]["binding"]["exons"] == ["78"]
    assert pairs["F8"]["intron_spanning"] is True  # the untiled record's exon map is used
    assert "cited NM_003002.2 has been replaced by NM_003002.3 (newest NM_003002.4)" in text
    # NM_003002.4 is named by NCBI but its record was not recorded: the server cannot serve it.
    assert "NM_003002.4 could not be checked" in text
    assert "record not available: NCBI does not know NM_999999.1" in text
    # No esummary of NM_004006.1 was recorded: the server cannot answer (502), and the report
    # says the status was not checked instead of claiming anything.
    assert "record status at NCBI not checked: esummary of NM_004006.1" in text


def test_table1_without_network_reports_every_pair_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.data import table1_path

    url = f"http://127.0.0.1:{_closed_port()}/entrez/eutils/"
    code = main([
        "validate", str(table1_path()), "--eutils-url", url,
        "--cache", str(tmp_path / "cache"),
    ])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 1  # mTOR's reverse primer still fails on the bundled record
    assert "5 pairs:" in text
    assert text.count("Skipped:      no network: 127.0.0.1") == 1  # said once, for every pair
    # Only what ran is listed as checked: no variant list nor status could be had.
    checked = next(line for line in text.splitlines() if line.startswith("Checked:"))
    assert "transcript variants" not in checked
    assert "record status" not in checked
    assert "transcript variants not fully checked: no network" in text


def test_an_older_version_of_the_record_is_not_its_variant(tmp_path: Path) -> None:
    from assay.primers.records import gene_symbol

    # BRCA2: NM_000059.4 is bundled; the real NM_000059.3 (efetch) sits in the cache beside it.
    # Offline, the gene's cached records are compared: .3 is the same transcript, not a variant.
    cache = RecordCache(tmp_path / "cache")
    older = parse_accession("NM_000059.3")
    cache.store(older, RecordFormat.GENBANK, (GENBANK / "NM_000059.3.gb").read_text(), "test")
    store = RecordStore(cache)
    record = store.transcript(parse_accession("NM_000059.4"))
    assert gene_symbol(record.description) == "BRCA2"
    assert {str(r.accession) for r in store.records_of_gene("BRCA2")} >= {
        "NM_000059.3", "NM_000059.4"}  # fmt: skip
    lookup = store.variants_of(record)
    assert [str(t.accession) for t in lookup.transcripts] == []
    assert not lookup.complete
