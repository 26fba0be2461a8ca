"""The E-utilities client against a real HTTP server on 127.0.0.1, with faults injected."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from eutils_server import FakeNcbi, running

from assay.data import refseq_dir
from assay.errors import FetchError, InputError, UnknownAccession
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache
from assay.primers.entrez import (
    EntrezClient,
    EntrezSettings,
    RateLimiter,
    settings_from,
)
from assay.primers.records import RecordFormat

PIK3CA = parse_accession("NM_006218.4")
SECRET = "0123456789abcdef-not-a-real-key"


@pytest.fixture
def ncbi() -> Iterator[FakeNcbi]:
    with running() as state:
        yield state


class Sleeps:
    """Records the client's waits instead of waiting (the server itself is real)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(
    ncbi: FakeNcbi, sleeps: Sleeps | None = None, *, api_key: str | None = SECRET, attempts: int = 4
) -> EntrezClient:
    settings = EntrezSettings(
        email="lab@example.org",
        api_key=api_key,
        base_url=ncbi.url,
        connect_timeout_s=2.0,
        read_timeout_s=0.5,
        max_attempts=attempts,
        backoff_base_s=0.01,
        backoff_max_s=5.0,
    )
    return EntrezClient(settings, limiter=RateLimiter(1000), sleep=sleeps or Sleeps())


def test_fetches_a_fasta_record_and_identifies_itself(ncbi: FakeNcbi) -> None:
    with _client(ncbi) as client:
        text = client.fetch_record(PIK3CA, RecordFormat.FASTA)
    assert text == (refseq_dir() / "NM_006218.4.fasta").read_text()
    (_, path, params) = ncbi.requests[0]
    assert path == "/entrez/eutils/efetch.fcgi"
    assert params["db"] == ["nuccore"]
    assert params["id"] == ["NM_006218.4"]
    assert params["rettype"] == ["fasta"]
    assert params["tool"] == ["assay"]
    assert params["email"] == ["lab@example.org"]
    assert params["api_key"] == [SECRET]


def test_fetches_a_genbank_record(ncbi: FakeNcbi) -> None:
    with _client(ncbi) as client:
        text = client.fetch_record(parse_accession("AL109817.1"), RecordFormat.GENBANK)
    assert text.startswith("LOCUS       IRO125195")
    assert ncbi.requests[0][2]["rettype"] == ["gb"]


FAULTS = ["429:0", "500", "502", "503", "drop", "stall", "truncate", "html", "wrong"]


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_survived_and_nothing_bad_is_cached(ncbi: FakeNcbi, fault: str) -> None:
    ncbi.faults = [fault]
    sleeps = Sleeps()
    with _client(ncbi, sleeps) as client:
        text = client.fetch_record(PIK3CA, RecordFormat.FASTA)
    assert text == (refseq_dir() / "NM_006218.4.fasta").read_text()
    assert len(ncbi.requests) == 2
    assert len(sleeps.delays) == 1


def test_retry_after_is_honoured(ncbi: FakeNcbi) -> None:
    ncbi.faults = ["429:3"]
    sleeps = Sleeps()
    with _client(ncbi, sleeps) as client:
        client.fetch_record(PIK3CA, RecordFormat.FASTA)
    assert sleeps.delays == [3.0]


def test_backoff_grows_exponentially_with_bounded_jitter(ncbi: FakeNcbi) -> None:
    ncbi.faults = ["503", "503", "503"]
    sleeps = Sleeps()
    with _client(ncbi, sleeps) as client:
        client.fetch_record(PIK3CA, RecordFormat.FASTA)
    # base 0.01 s doubling: 0.01, 0.02, 0.04, each times 1.0-1.5 for jitter
    for delay, base in zip(sleeps.delays, (0.01, 0.02, 0.04), strict=True):
        assert base <= delay <= 1.5 * base


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        ("503", "HTTP 503 Service Unavailable"),
        ("drop", "a broken connection"),
        ("stall", "no answer within the time limit"),
        ("html", "an HTML or XML page came instead of a FASTA record"),
        ("wrong", "not the NM_006218.4 asked for"),
    ],
)
def test_persistent_faults_end_in_a_clear_error_without_the_key(
    ncbi: FakeNcbi, fault: str, answer: str, tmp_path: Path
) -> None:
    ncbi.faults = [fault] * 4
    cache = RecordCache(tmp_path / "cache", read_also=())
    with _client(ncbi) as client, pytest.raises(FetchError) as raised:
        cache.store(
            PIK3CA, RecordFormat.FASTA, client.fetch_record(PIK3CA, RecordFormat.FASTA), "x"
        )
    message = str(raised.value)
    assert "efetch of NM_006218.4 (FASTA) from NCBI" in message
    assert "failed after 4 attempts" in message
    assert answer in message
    assert "try again later" in message
    assert SECRET not in message
    assert not (tmp_path / "cache").exists()


def test_an_unknown_record_is_not_retried(ncbi: FakeNcbi) -> None:
    # NCBI answers efetch of an id it does not know with HTTP 400 and "Failed to understand id"
    # (mutalyzer/retriever relies on that text; ncbi_real/PROVENANCE.md).
    with _client(ncbi) as client, pytest.raises(UnknownAccession, match="NCBI does not know"):
        client.fetch_record(parse_accession("NM_000001.1"), RecordFormat.FASTA)
    assert len(ncbi.requests) == 1


def test_another_refusal_is_not_retried_either(ncbi: FakeNcbi) -> None:
    ncbi.faults = ["404"]
    with _client(ncbi) as client, pytest.raises(FetchError, match="refused by NCBI: HTTP 404"):
        client.fetch_record(PIK3CA, RecordFormat.FASTA)
    assert len(ncbi.requests) == 1


def test_summaries_in_one_batch_with_status_and_newest_version(ncbi: FakeNcbi) -> None:
    ncbi.statuses["NM_006218.3"] = ("replaced", "NM_006218.4")
    asked = [parse_accession(a) for a in ("NM_006218.3", "NM_006218", "NM_002046.7")]
    with _client(ncbi) as client:
        statuses = client.summaries(asked)
    assert len(ncbi.requests) == 1
    assert ncbi.requests[0][2]["id"] == ["NM_006218.3,NM_006218,NM_002046.7"]
    old = statuses["NM_006218.3"]
    assert (old.status, old.replaced_by) == ("replaced", PIK3CA)
    assert statuses["NM_006218"].accession == PIK3CA
    assert statuses["NM_002046.7"].length == 1285


def test_a_cut_json_answer_is_retried(ncbi: FakeNcbi) -> None:
    ncbi.faults = ["badjson"]
    with _client(ncbi) as client:
        statuses = client.summaries([PIK3CA])
    assert statuses["NM_006218.4"].status == "live"
    assert len(ncbi.requests) == 2


def test_transcript_variants_through_the_gene(ncbi: FakeNcbi) -> None:
    ncbi.genes["5290"] = ["NM_006218.4", "XM_006713658.5"]  # PIK3CA's Gene ID and its variants
    with _client(ncbi) as client:
        variants = client.transcript_variants(PIK3CA)
    assert [str(v) for v in variants] == ["NM_006218.4", "XM_006713658.5"]
    assert [path.rsplit("/", 1)[1] for _, path, _ in ncbi.requests] == [
        "elink.fcgi", "elink.fcgi", "esummary.fcgi",
    ]  # fmt: skip


def test_rate_limit_holds_across_threads(ncbi: FakeNcbi) -> None:
    settings = EntrezSettings(email="lab@example.org", base_url=ncbi.url)
    limiter = RateLimiter(20)  # 20/s so the test is quick; NCBI's are 3/s and 10/s
    clients = [EntrezClient(settings, limiter=limiter) for _ in range(4)]

    def work(client: EntrezClient) -> None:
        for _ in range(3):
            client.summaries([PIK3CA])

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for client in clients:
        client.close()
    arrivals = sorted(t for t, _, _ in ncbi.requests)
    assert len(arrivals) == 12
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) > 0.04  # 1/20 s = 0.05 s between requests, less scheduling noise


def test_rate_limiter_spaces_calls_by_its_interval() -> None:
    now = [0.0]
    waits: list[float] = []
    limiter = RateLimiter(3, clock=lambda: now[0], sleep=waits.append)
    for _ in range(4):
        limiter.wait()
    assert waits == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_ncbi_rates() -> None:
    assert EntrezSettings().requests_per_second == 3
    assert EntrezSettings(api_key=SECRET).requests_per_second == 10


def test_the_key_never_shows_in_the_settings() -> None:
    settings = EntrezSettings(email="lab@example.org", api_key=SECRET)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_settings_come_from_options_then_environment_then_config(tmp_path: Path) -> None:
    config = tmp_path / "assay.ini"
    config.write_text("[ncbi]\nemail = config@example.org\napi_key = from-config\n")
    env = {"NCBI_EMAIL": "env@example.org", "ASSAY_EUTILS_URL": "http://127.0.0.1:9/eutils/"}
    settings = settings_from(environ=env, config=config)
    assert (settings.email, settings.api_key) == ("env@example.org", "from-config")
    assert settings.base_url == "http://127.0.0.1:9/eutils/"
    chosen = settings_from(email="option@example.org", environ=env, config=config)
    assert chosen.email == "option@example.org"
    assert settings_from(environ={}, config=tmp_path / "absent.ini").email is None


def test_a_bad_eutils_url_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match='must be http\\(s\\)://host/…, got "ftp://x"'):
        settings_from(base_url="ftp://x", environ={}, config=tmp_path / "none.ini")
