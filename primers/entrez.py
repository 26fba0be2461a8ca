"""A polite, fault-tolerant client for NCBI E-utilities (efetch, esummary, elink).

Politeness, as NCBI asks: every request names the tool and the user's e-mail; at most 3 requests
per second without an API key and 10 with one, counted across the whole process, threads included.
Fault tolerance: connect and read timeouts; retries with exponential backoff and jitter on
broken connections, HTTP 429 (honouring Retry-After), 5xx, and answers that fail their checks
(NCBI's proxy puts error text into 200 answers); a bounded number of attempts within a deadline,
then a `FetchError` that says what was asked, what NCBI answered and what to do. Permanent answers
("Invalid uid …", HTTP 400 "Failed to understand id") are never retried: `UnknownAccession`.
A host that cannot be resolved or connected to is remembered: every later request of the client
fails at once with `NoNetworkError`, so a run without network goes on with what is on disk.
Nothing is trusted unchecked: records go through `records.parse_record`, summaries and
links are read as JSON (no XML is parsed at all).

The API key is never printed, logged, cached or put in an error message: `EntrezSettings` hides it
from its repr, and every message that could echo a URL is scrubbed of it.
"""

from __future__ import annotations

import configparser
import email.utils
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assay import __version__
from assay.errors import FetchError, InputError, NoNetworkError, UnknownAccession
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
        deadline_s: Longest time spent on one request, attempts and waits included; no new
            attempt starts once it has passed.
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
    deadline_s: float = 120.0

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
        status: NCBI's status word: "live" (a live docsum carries no status at all),
            "replaced", "suppressed", "dead", ...; "unknown" when NCBI has no such version.
        replaced_by: The version that replaced it: NCBI names only the next one, which may
            itself be replaced.
        length: Sequence length NCBI reports.
        newest: The newest version of the accession, when it is not this one (an unversioned
            esummary answers with it).
    """

    accession: Accession
    status: str
    replaced_by: Accession | None
    length: int | None
    newest: Accession | None = None

    @property
    def replaced(self) -> bool:
        """True when a newer version of the record exists."""
        return self.replaced_by is not None or self.newest is not None

    def describe(self) -> str:
        """Say it in words, e.g. "NM_003002.2 replaced by NM_003002.3 (newest NM_003002.4)"."""
        if not self.replaced:
            return f"{self.accession} is {self.status} at NCBI"
        text = f"{self.accession} has been replaced by {self.replaced_by or self.newest}"
        if self.newest is not None and self.newest != self.replaced_by:
            text += f" (newest {self.newest})"
        return text + " at NCBI"


# Errors E-utilities states in its answers that will not change on a retry: the id or the
# request is wrong. Anything else it writes into an answer (proxy errors, "Server Error",
# "API rate limit exceeded") is worth a retry.
_PERMANENT_ERRORS = (
    "invalid uid",
    "invalid db name",
    "failed to understand id",
    "cannot get document summary",
    "id list is empty",
    "supplied id parameter is empty",
)


def is_permanent_error(message: str) -> bool:
    """True when an error E-utilities wrote will not go away on a retry.

    >>> is_permanent_error("Invalid uid SDHD at position= 0")
    True
    >>> is_permanent_error("API rate limit exceeded")
    False
    """
    lowered = message.lower()
    return any(marker in lowered for marker in _PERMANENT_ERRORS)


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
        clock: Monotonic seconds, for the deadline (for tests).
    """

    def __init__(
        self,
        settings: EntrezSettings,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import requests  # only when the network is used

        self.settings = settings
        self._limiter = limiter or shared_limiter(settings.requests_per_second)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"assay/{__version__} (+NCBI E-utilities client)"
        self._clock = clock
        self._unreachable: str | None = None

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

        try:
            text: str = self._request("efetch.fcgi", params, what, check)
        except UnknownAccession as error:
            raise UnknownAccession(f"NCBI does not know {accession} ({error})") from None
        return text

    def summaries(self, accessions: Sequence[Accession]) -> dict[str, RecordStatus]:
        """Return esummary's status of each accession NCBI knows, keyed by the accession as asked.

        Unversioned accessions are answered with their newest version. Batches of up to 200; an
        accession NCBI does not know is left out of the answer and costs nothing else.

        Raises:
            FetchError: NCBI could not be reached or answered unreadably.
        """
        result: dict[str, RecordStatus] = {}
        for start in range(0, len(accessions), _MAX_BATCH):
            batch = list(accessions[start : start + _MAX_BATCH])
            ids = ",".join(str(a) for a in batch)
            statuses = [_status_of(doc) for doc in self._summary_documents(ids, f"of {ids}")]
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
            docs = self._summary_documents(ids, f"of the variants of {accession}")
            variants.extend(_status_of(doc).accession for doc in docs)
        return sorted(set(variants), key=str)

    # Internals -----------------------------------------------------------------------------

    def _summary_documents(self, ids: str, what: str) -> list[dict[str, Any]]:
        """The docsums esummary returns for `ids`; unknown ids and per-uid errors are left out."""
        params = {"db": "nuccore", "id": ids, "retmode": "json"}
        payload = self._request("esummary.fcgi", params, f"esummary {what}", _eutils_json)
        return _documents(payload)

    def _links(self, ids: str, dbfrom: str, db: str, linkname: str) -> list[str]:
        params = {"dbfrom": dbfrom, "db": db, "id": ids, "linkname": linkname, "retmode": "json"}
        payload = self._request("elink.fcgi", params, f"elink {linkname} of {ids}", _eutils_json)
        return _links_of(payload, linkname)

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

        url = self.settings.base_url.rstrip("/") + "/" + endpoint
        host = urlsplit(url).netloc
        if self._unreachable is not None:
            raise NoNetworkError(self._redact(self._unreachable))  # the same words each time
        query = {**params, "tool": self.settings.tool}
        if self.settings.email:
            query["email"] = self.settings.email
        if self.settings.api_key:
            query["api_key"] = self.settings.api_key
        timeout = (self.settings.connect_timeout_s, self.settings.read_timeout_s)
        deadline = self._clock() + self.settings.deadline_s
        last = "no answer"
        attempts = 0
        while attempts < self.settings.max_attempts:
            attempts += 1
            self._limiter.wait()
            try:
                response = self._session.get(url, params=query, timeout=timeout)
                try:
                    return self._answer(response, what, check)
                finally:
                    response.close()
            except _RetryableError as retry:
                last = retry.answer
                retry_after = retry.retry_after_s
            except requests.Timeout as error:
                if _cannot_connect(error):
                    self._give_up_network(host, "no connection within the time limit")
                last = "no answer within the time limit"
                retry_after = None
            except requests.RequestException as error:
                if _cannot_connect(error):
                    self._give_up_network(host, _connect_failure(error))
                last = f"a broken connection ({type(error).__name__})"
                retry_after = None
            delay = self._delay_s(attempts, retry_after)
            if attempts >= self.settings.max_attempts or self._clock() + delay > deadline:
                break
            self._sleep(delay)
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        raise FetchError(
            self._redact(
                f"{what} from NCBI ({host}) failed after {tries}; the last "
                f"answer was {last}. NCBI may be busy: try again later, or work offline "
                "(--offline) with records already in the cache."
            )
        )

    def _answer(self, response: Any, what: str, check: Callable[[str], Any]) -> Any:
        """Read one HTTP answer: the checked value, or the error it stands for."""
        status = response.status_code
        if status in _RETRY_STATUS:
            raise _RetryableError(
                f"HTTP {status} {response.reason}",
                _retry_after_s(response.headers.get("Retry-After")),
            )
        if status != 200:
            body = response.text[:300]
            if is_permanent_error(body):
                raise UnknownAccession(self._redact(f'{what} answered "{body.strip()}"'))
            raise FetchError(
                self._redact(
                    f"{what} was refused by NCBI: HTTP {status} {response.reason}. Check the "
                    "accession; this is not retried."
                )
            )
        return check(response.text)

    def _give_up_network(self, host: str, why: str) -> None:
        """Remember that NCBI cannot be reached, for every later request, and say so."""
        self._unreachable = (
            f"no network: {host} cannot be reached ({why}); using cached and bundled records only"
        )
        raise NoNetworkError(self._redact(self._unreachable))

    @property
    def unreachable(self) -> str | None:
        """Why NCBI could not be reached in this run, or None while it could."""
        return self._unreachable


def parse_esummary(text: str) -> list[RecordStatus]:
    """Read an esummary JSON answer: the status of every document in it.

    An id NCBI does not know is simply absent; a per-uid error document costs only its uid.

    Raises:
        FetchError: The answer is not esummary JSON, or states an error (permanent or passing).
    """
    try:
        payload = _eutils_json(text)
    except _RetryableError as error:
        raise FetchError(f"esummary answered {error.answer}") from None
    return [_status_of(doc) for doc in _documents(payload)]


def parse_elink(text: str, linkname: str) -> list[str]:
    """Read an elink JSON answer: the uids linked under `linkname` (none when it is absent).

    Raises:
        FetchError: The answer is not elink JSON, or states an error.
    """
    try:
        payload = _eutils_json(text)
    except _RetryableError as error:
        raise FetchError(f"elink answered {error.answer}") from None
    return _links_of(payload, linkname)


def _links_of(payload: dict[str, Any], linkname: str) -> list[str]:
    links: list[str] = []
    linksets = payload.get("linksets", [])
    for linkset in linksets if isinstance(linksets, list) else []:
        # A replaced record's linkset has no "linksetdbs" key at all.
        linksetdbs = linkset.get("linksetdbs", []) if isinstance(linkset, dict) else []
        for linksetdb in linksetdbs if isinstance(linksetdbs, list) else []:
            if isinstance(linksetdb, dict) and linksetdb.get("linkname") == linkname:
                links.extend(str(link) for link in linksetdb.get("links", []))
    return links


def _cannot_connect(error: BaseException) -> bool:
    """True when no connection could be made at all (name not resolved, refused, no route).

    A connection that was made and then broke (a dropped or cut answer) is not this: it is
    retried like any transient failure.
    """
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(error, requests.ConnectTimeout):
        return True
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, NewConnectionError | ConnectionRefusedError | socket.gaierror):
            return True
        reason = getattr(seen, "reason", None)
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = reason if isinstance(reason, BaseException) else nested or seen.__cause__
    return False


def _connect_failure(error: BaseException) -> str:
    text = str(error)
    if "resolve" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "its name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    return "no connection could be made"


def _json(text: str) -> Any:
    import json

    try:
        payload = json.loads(text)
    except ValueError:
        raise _RetryableError("a response that is not the JSON asked for") from None
    return payload


def _eutils_json(text: str) -> dict[str, Any]:
    """Read an esummary or elink JSON answer, telling permanent errors from passing ones.

    E-utilities states errors three ways: ``"error"`` (or ``"ERROR"``) beside a possibly empty
    result, ``"esummaryresult": [messages]`` instead of a result, and error docsums inside the
    result. An unknown id ("Invalid uid …") is an answer (no document for it), never a retry;
    other permanent errors fail at once; anything else is retried.
    """
    payload = _json(text)
    if not isinstance(payload, dict):
        raise _RetryableError("a JSON answer that is not an object")
    messages = [payload.get("error"), payload.get("ERROR")]
    result = payload.get("esummaryresult")
    if isinstance(result, list):
        messages.extend(result)
    message = "; ".join(str(m) for m in messages if m)
    if not message:
        return payload
    if "invalid uid" in message.lower() or "failed to understand id" in message.lower():
        return payload  # the documents found (maybe none) are the answer
    if is_permanent_error(message):
        raise FetchError(f"E-utilities refused the request: {message}")
    raise _RetryableError(f"an error from E-utilities: {message}")


def _documents(payload: Any) -> list[dict[str, Any]]:
    result = payload.get("result", {}) if isinstance(payload, dict) else {}
    if not isinstance(result, dict) or not isinstance(result.get("uids"), list):
        return []
    docs = [result.get(str(uid)) for uid in result["uids"]]
    # A per-uid error docsum ({"uid": …, "error": …}) costs only that uid.
    return [d for d in docs if isinstance(d, dict) and "error" not in d and "accessionversion" in d]


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
    # A live docsum carries no "status" key at all (NM_003002.4, NM_001276506.2 as NCBI sent
    # them); a replaced one says "replaced" and names the next version.
    status = str(doc.get("status") or ("replaced" if replaced_by else "live"))
    return RecordStatus(
        accession=accession,
        status=status,
        replaced_by=replaced_by,
        length=int(length) if isinstance(length, int | str) and str(length).isdigit() else None,
    )
