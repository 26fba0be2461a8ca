"""A polite, fault-tolerant client for NCBI E-utilities (efetch, esummary, elink).

Politeness, as NCBI asks: every request names the tool and the user's e-mail; at most 3 requests
per second without an API key and 10 with one, counted across the whole process, threads included.
Fault tolerance: connect and read timeouts; retries with exponential backoff and jitter on
connection errors, HTTP 429 (honouring Retry-After), 5xx, and answers that fail their checks; a
bounded number of attempts, then a `FetchError` that says what was asked, what NCBI answered and
what to do. Nothing is trusted unchecked: records go through `records.parse_record`, summaries and
links are read as JSON (no XML is parsed at all).

The API key is never printed, logged, cached or put in an error message: `EntrezSettings` hides it
from its repr, and every message that could echo a URL is scrubbed of it.
"""

from __future__ import annotations

import configparser
import email.utils
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assay import __version__
from assay.errors import FetchError, InputError
from assay.primers.accession import Accession, parse_accession
from assay.primers.records import RecordError, RecordFormat, parse_record

EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_BATCH = 200  # NCBI: use POST above ~200 ids; assay keeps batches at or below it


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrezSettings:
    """How assay talks to E-utilities.

    Attributes:
        email: The user's e-mail, sent with every request as NCBI asks.
        api_key: NCBI API key (raises the rate limit to 10/s); never shown.
        tool: Tool name sent to NCBI.
        base_url: E-utilities base URL (a local server in tests).
        connect_timeout_s: Seconds to wait for a connection.
        read_timeout_s: Seconds to wait for data once connected.
        max_attempts: Attempts per request before giving up.
        backoff_base_s: First retry delay; it doubles each attempt, with up to 50 % jitter.
        backoff_max_s: Longest single delay between attempts.
    """

    email: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tool: str = "assay"
    base_url: str = EUTILS_URL
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f'E-utilities URL must be http(s)://host/…, got "{self.base_url}"')
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    @property
    def requests_per_second(self) -> float:
        """NCBI's limit: 10 requests/s with an API key, 3 without."""
        return 10.0 if self.api_key else 3.0


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the path of the user's config file (``$XDG_CONFIG_HOME/assay/assay.ini``)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "assay" / "assay.ini"


def settings_from(
    *,
    email: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    config: Path | None = None,
) -> EntrezSettings:
    """Build settings from options, then environment, then the config file.

    Options win over ``NCBI_EMAIL``, ``NCBI_API_KEY`` and ``ASSAY_EUTILS_URL``, which win over the
    ``[ncbi]`` section (``email``, ``api_key``, ``eutils_url``) of the config file.

    Raises:
        InputError: The config file cannot be read, or the URL is not http(s).
    """
    env = os.environ if environ is None else environ
    path = config or config_path(env)
    section: Mapping[str, str] = {}
    if path.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as error:
            raise InputError(f"not a readable config file ({error})", path=path) from error
        if parser.has_section("ncbi"):
            section = parser["ncbi"]
    try:
        return EntrezSettings(
            email=email or env.get("NCBI_EMAIL") or section.get("email") or None,
            api_key=api_key or env.get("NCBI_API_KEY") or section.get("api_key") or None,
            base_url=base_url or env.get("ASSAY_EUTILS_URL") or section.get("eutils_url")
            or EUTILS_URL,
        )  # fmt: skip
    except ValueError as error:
        raise InputError(str(error)) from error


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across threads.

    Args:
        per_second: Calls allowed per second.
        clock: Monotonic seconds (for tests).
        sleep: How to wait (for tests).
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval_s = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> float:
        """Wait for this call's turn; return the delay waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval_s
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


# NCBI counts requests per user, not per client object: every client in the process that runs
# at one rate shares one limiter. This is the only module-level state, and it is created lazily.
_SHARED_LIMITERS: dict[float, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(per_second: float) -> RateLimiter:
    """Return the process-wide limiter for `per_second`."""
    with _SHARED_LOCK:
        if per_second not in _SHARED_LIMITERS:
            _SHARED_LIMITERS[per_second] = RateLimiter(per_second)
        return _SHARED_LIMITERS[per_second]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStatus:
    """What esummary says of a record.

    Attributes:
        accession: The accession.version the summary is of.
        status: NCBI's status word ("live", "replaced", "suppressed", "dead", ...).
        replaced_by: The record that replaced it, if any.
        length: Sequence length NCBI reports.
    """

    accession: Accession
    status: str
    replaced_by: Accession | None
    length: int | None


class _RetryableError(Exception):
    """An attempt failed in a way worth retrying; `answer` describes what came back."""

    def __init__(self, answer: str, retry_after_s: float | None = None) -> None:
        super().__init__(answer)
        self.answer = answer
        self.retry_after_s = retry_after_s


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


class EntrezClient:
    """E-utilities requests with politeness, retries and checks (see the module docstring).

    Args:
        settings: Identity, URL, timeouts and retry policy.
        limiter: Rate limiter (default: the process-wide one for the settings' rate).
        sleep: How to wait between attempts (for tests).
        rng: Source of jitter (for tests).
    """

    def __init__(
        self,
        settings: EntrezSettings,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        import requests  # only when the network is used

        self.settings = settings
        self._limiter = limiter or shared_limiter(settings.requests_per_second)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"assay/{__version__} (+NCBI E-utilities client)"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def __enter__(self) -> EntrezClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Public requests -----------------------------------------------------------------------

    def fetch_record(self, accession: Accession, fmt: RecordFormat) -> str:
        """Return the checked text of one record (efetch, GenBank or FASTA).

        Raises:
            FetchError: NCBI could not be reached, or never answered with a valid record.
            ValueError: For the exon FASTA format, which efetch does not serve.
        """
        if fmt is RecordFormat.EXONS:
            raise ValueError("efetch does not serve exon FASTA; fetch GenBank for exons")
        rettype = "gb" if fmt is RecordFormat.GENBANK else "fasta"
        params = {"db": "nuccore", "id": str(accession), "rettype": rettype, "retmode": "text"}
        what = f"efetch of {accession} ({'GenBank' if rettype == 'gb' else 'FASTA'})"

        def check(text: str) -> str:
            try:
                parse_record(text, fmt, accession)
            except RecordError as error:
                raise _RetryableError(f"a response that is not the record: {error}") from None
            return text

        text: str = self._request("efetch.fcgi", params, what, check)
        return text

    def summaries(self, accessions: Sequence[Accession]) -> dict[str, RecordStatus]:
        """Return esummary's status of each accession, keyed by the accession as asked.

        Unversioned accessions are answered with their newest version. Batches of up to 200.

        Raises:
            FetchError: NCBI could not be reached or answered unreadably.
        """
        result: dict[str, RecordStatus] = {}
        for start in range(0, len(accessions), _MAX_BATCH):
            batch = list(accessions[start : start + _MAX_BATCH])
            ids = ",".join(str(a) for a in batch)
            what = f"esummary of {ids}"
            payload = self._request(
                "esummary.fcgi", {"db": "nuccore", "id": ids, "retmode": "json"}, what, _json
            )
            docs = _documents(payload)
            statuses = [_status_of(doc) for doc in docs]
            for asked in batch:
                if asked.version is not None:
                    found = [s for s in statuses if s.accession == asked]
                else:  # unversioned: NCBI answers with the newest version
                    found = [s for s in statuses if s.accession.accession == asked.accession]
                if found:
                    result[str(asked)] = max(found, key=lambda s: s.accession.version or 0)
        return result

    def transcript_variants(self, accession: Accession) -> list[Accession]:
        """Return the RefSeq RNA accessions of the gene `accession` belongs to (elink).

        Raises:
            FetchError: NCBI could not be reached or answered unreadably.
        """
        gene_ids = self._links(str(accession), "nuccore", "gene", "nuccore_gene")
        if not gene_ids:
            return []
        rna_uids = self._links(",".join(gene_ids), "gene", "nuccore", "gene_nuccore_refseqrna")
        if not rna_uids:
            return []
        variants: list[Accession] = []
        for start in range(0, len(rna_uids), _MAX_BATCH):
            ids = ",".join(rna_uids[start : start + _MAX_BATCH])
            payload = self._request(
                "esummary.fcgi", {"db": "nuccore", "id": ids, "retmode": "json"},
                f"esummary of the variants of {accession}", _json,
            )  # fmt: skip
            variants.extend(_status_of(doc).accession for doc in _documents(payload))
        return sorted(set(variants), key=str)

    # Internals -----------------------------------------------------------------------------

    def _links(self, ids: str, dbfrom: str, db: str, linkname: str) -> list[str]:
        params = {"dbfrom": dbfrom, "db": db, "id": ids, "linkname": linkname, "retmode": "json"}
        payload = self._request("elink.fcgi", params, f"elink {linkname} of {ids}", _json)
        links: list[str] = []
        for linkset in payload.get("linksets", []) if isinstance(payload, dict) else []:
            for linksetdb in linkset.get("linksetdbs", []):
                if linksetdb.get("linkname") == linkname:
                    links.extend(str(link) for link in linksetdb.get("links", []))
        return links

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "<api-key>") if key else text

    def _delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        backoff = self.settings.backoff_base_s * 2.0 ** (attempt - 1)
        backoff *= 1.0 + 0.5 * self._rng.random()
        delay = max(backoff, retry_after_s or 0.0)
        return min(delay, self.settings.backoff_max_s)

    def _request(
        self, endpoint: str, params: dict[str, str], what: str, check: Callable[[str], Any]
    ) -> Any:
        import requests

        query = {**params, "tool": self.settings.tool}
        if self.settings.email:
            query["email"] = self.settings.email
        if self.settings.api_key:
            query["api_key"] = self.settings.api_key
        url = self.settings.base_url.rstrip("/") + "/" + endpoint
        timeout = (self.settings.connect_timeout_s, self.settings.read_timeout_s)
        last = "no answer"
        for attempt in range(1, self.settings.max_attempts + 1):
            self._limiter.wait()
            try:
                response = self._session.get(url, params=query, timeout=timeout)
                try:
                    if response.status_code in _RETRY_STATUS:
                        raise _RetryableError(
                            f"HTTP {response.status_code} {response.reason}",
                            _retry_after_s(response.headers.get("Retry-After")),
                        )
                    if response.status_code != 200:
                        raise FetchError(
                            f"{what} was refused by NCBI: HTTP {response.status_code} "
                            f"{response.reason}. Check the accession; this is not retried."
                        )
                    return check(response.text)
                finally:
                    response.close()
            except _RetryableError as retry:
                last = retry.answer
                retry_after = retry.retry_after_s
            except requests.Timeout:
                last = "no answer within the time limit"
                retry_after = None
            except requests.RequestException as error:
                last = f"a broken connection ({type(error).__name__})"
                retry_after = None
            if attempt < self.settings.max_attempts:
                self._sleep(self._delay_s(attempt, retry_after))
        raise FetchError(
            self._redact(
                f"{what} from NCBI ({urlsplit(url).netloc}) failed after "
                f"{self.settings.max_attempts} attempts; the last answer was {last}. NCBI may "
                "be busy or unreachable: try again later, or work offline (--offline) with "
                "records already in the cache."
            )
        )


def _json(text: str) -> Any:
    import json

    try:
        payload = json.loads(text)
    except ValueError:
        raise _RetryableError("a response that is not the JSON asked for") from None
    if isinstance(payload, dict) and ("ERROR" in payload or "error" in payload):
        raise _RetryableError(
            f"an error from E-utilities: {payload.get('ERROR') or payload['error']}"
        )
    return payload


def _documents(payload: Any) -> list[dict[str, Any]]:
    result = payload.get("result", {}) if isinstance(payload, dict) else {}
    return [result[uid] for uid in result.get("uids", []) if isinstance(result.get(uid), dict)]


def _status_of(doc: dict[str, Any]) -> RecordStatus:
    try:
        accession = parse_accession(str(doc.get("accessionversion", "")))
    except ValueError as error:
        raise FetchError(f"esummary named an unusable accession: {error}") from None
    replaced = str(doc.get("replacedby") or "").strip()
    try:
        replaced_by = parse_accession(replaced) if replaced else None
    except ValueError:
        replaced_by = None
    length = doc.get("slen")
    return RecordStatus(
        accession=accession,
        # Not every docsum carries a status; then it is unknown, not assumed live (the newest
        # version, asked for separately, still tells whether a record was replaced).
        status=str(doc.get("status") or "unknown"),
        replaced_by=replaced_by,
        length=int(length) if isinstance(length, int | str) and str(length).isdigit() else None,
    )
