"""Records by accession.version, from wherever they can be had: the one interface validation uses.

`RecordStore` looks in the cache (the user's directory, then the bundled records) and, unless it is
offline, fetches what is missing from NCBI and caches it. `InMemoryRecords` serves records held in
memory, for tests and for callers that bring their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assay.data import refseq_dir
from assay.errors import AssayError, RecordNotFound
from assay.primers.accession import Accession, parse_accession
from assay.primers.cache import RecordCache
from assay.primers.entrez import EntrezClient, RecordStatus
from assay.primers.records import RecordFormat, Transcript, gene_symbol
from assay.primers.reference import GenomicRecord


class RecordSource(Protocol):
    """Anything that returns records by accession.version, and what is known around them."""

    def transcript(self, accession: Accession) -> Transcript:
        """Return the record, or raise `RecordNotFound` / `FetchError`."""
        ...

    def genomic_records(self) -> list[GenomicRecord]:
        """Return the genomic extracts available (for genomic-DNA products)."""
        ...

    def variants_of(self, record: Transcript) -> list[Transcript]:
        """Return the other transcripts of the record's gene that can be had."""
        ...

    def status(self, accession: Accession) -> RecordStatus | None:
        """Return NCBI's status of the record, when known."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOutcome:
    """What `RecordStore.fetch` did for one accession."""

    accession: Accession
    path: str
    fetched: bool  # False: it was already cached


MAX_VARIANTS = 25


class RecordStore:
    """The cache first, then NCBI (unless offline).

    Args:
        cache: Where records are looked up and stored.
        client: The E-utilities client, or None to work offline.
    """

    def __init__(self, cache: RecordCache, client: EntrezClient | None = None) -> None:
        self.cache = cache
        self.client = client

    @property
    def offline(self) -> bool:
        """True when NCBI is never contacted."""
        return self.client is None

    def transcript(self, accession: Accession) -> Transcript:
        """Return the record of `accession`, fetching and caching it if needed.

        Raises:
            RecordNotFound: Offline and not cached; the message gives the command to fetch it.
            FetchError: Online, but NCBI could not provide it.
            CacheError: The cached file is damaged.
        """
        cached = self.cache.load(accession)
        if cached is not None:
            return cached
        self.fetch(accession)
        fetched = self.cache.load(accession)
        if fetched is None:  # pragma: no cover - store() succeeded, so the file is there
            raise RecordNotFound(f"{accession} was fetched but cannot be read back from the cache")
        return fetched

    def fetch(self, accession: Accession, *, refresh: bool = False) -> FetchOutcome:
        """Make sure `accession` is cached (as GenBank, which carries exons and the CDS).

        Args:
            accession: A versioned accession.
            refresh: Fetch again even when it is already cached.

        Raises:
            RecordNotFound: Offline and not cached.
            FetchError: NCBI could not provide it.
        """
        found = self.cache.find(accession)
        if found is not None and not refresh:
            return FetchOutcome(accession=accession, path=str(found[0]), fetched=False)
        if self.client is None:
            where = (
                "among the bundled records"
                if self.cache.directory == refseq_dir()
                else f"in the cache ({self.cache.directory}) nor among the bundled records"
            )
            raise RecordNotFound(
                f"{accession} is not {where}, and assay is offline. Fetch it when online with: "
                f"assay fetch {accession}"
            )
        text = self.client.fetch_record(accession, RecordFormat.GENBANK)
        source = (
            f"{self.client.settings.base_url.rstrip('/')}/efetch.fcgi?db=nuccore&id={accession}"
        )
        path = self.cache.store(accession, RecordFormat.GENBANK, text, source=source)
        return FetchOutcome(accession=accession, path=str(path), fetched=True)

    def genomic_records(self) -> list[GenomicRecord]:
        """Return the genomic extracts in the cache and the bundled records."""
        return self.cache.genomic_records()

    def variants_of(self, record: Transcript) -> list[Transcript]:
        """Return the gene's other transcripts: from NCBI (elink) online, else from the cache.

        Offline, variants are the cached records whose title names the same gene symbol. A
        variant that cannot be had is left out; at most `MAX_VARIANTS` are fetched.
        """
        found: list[Transcript] = []
        linked = None
        if self.client is not None:
            try:
                linked = self.variants(record.accession)
            except AssayError:
                linked = None
        if linked is not None:
            for accession in linked[:MAX_VARIANTS]:
                if accession == record.accession or accession.version is None:
                    continue
                try:
                    found.append(self.transcript(accession))
                except AssayError:
                    continue
            return found
        symbol = gene_symbol(record.description)
        if symbol is None:
            return []
        for accession, _, _ in self.cache.records():
            if accession == record.accession:
                continue
            try:
                candidate = self.cache.load(accession)
            except AssayError:
                continue
            if candidate is not None and gene_symbol(candidate.description) == symbol:
                found.append(candidate)
        return found

    def status(self, accession: Accession) -> RecordStatus | None:
        """Return NCBI's status of a record and its newest version (kept for the answer TTL).

        Offline, only a cached answer is given; None when nothing is known.

        Raises:
            FetchError: Online, but NCBI could not answer.
        """
        key = f"status-{accession}"
        cached = self.cache.get_answer(key)
        if cached is not None:
            return _status_from_json(cached)
        if self.client is None:
            return None
        asked = [accession, Accession(accession=accession.accession)]
        answers = self.client.summaries(asked)
        own, newest = answers.get(str(asked[0])), answers.get(str(asked[1]))
        if own is None and newest is None:
            return None
        status = RecordStatus(
            accession=accession,
            status=own.status if own else "unknown",
            replaced_by=(own.replaced_by if own else None)
            or (newest.accession if newest and newest.accession != accession else None),
            length=own.length if own else None,
        )
        self.cache.put_answer(key, _status_to_json(status))
        return status

    def variants(self, accession: Accession) -> list[Accession] | None:
        """Return the RefSeq transcripts of the gene `accession` belongs to (kept for the TTL).

        Offline, only a cached answer is given; None when nothing is known.

        Raises:
            FetchError: Online, but NCBI could not answer.
        """
        key = f"variants-{accession}"
        cached = self.cache.get_answer(key)
        if cached is not None:
            return [parse_accession(text) for text in cached]
        if self.client is None:
            return None
        variants = self.client.transcript_variants(accession)
        self.cache.put_answer(key, [str(v) for v in variants])
        return variants


def _status_to_json(status: RecordStatus) -> dict[str, object]:
    return {
        "accession": str(status.accession),
        "status": status.status,
        "replaced_by": None if status.replaced_by is None else str(status.replaced_by),
        "length": status.length,
    }


def _status_from_json(data: dict[str, object]) -> RecordStatus:
    replaced = data.get("replaced_by")
    length = data.get("length")
    return RecordStatus(
        accession=parse_accession(str(data["accession"])),
        status=str(data["status"]),
        replaced_by=parse_accession(str(replaced)) if replaced else None,
        length=length if isinstance(length, int) else None,
    )


class InMemoryRecords:
    """Records held in memory, keyed by accession.version.

    Args:
        records: accession.version -> record.
        genomic: Genomic extracts to offer.
        variants: accession.version -> the other transcripts of its gene.
    """

    def __init__(
        self,
        records: dict[str, Transcript],
        genomic: list[GenomicRecord] | None = None,
        variants: dict[str, list[Transcript]] | None = None,
    ) -> None:
        self._records = dict(records)
        self._genomic = list(genomic or [])
        self._variants = dict(variants or {})

    def genomic_records(self) -> list[GenomicRecord]:
        """Return the genomic extracts given."""
        return list(self._genomic)

    def variants_of(self, record: Transcript) -> list[Transcript]:
        """Return the variants given for the record."""
        return list(self._variants.get(str(record.accession), []))

    def status(self, accession: Accession) -> RecordStatus | None:
        """Nothing is known of record status in memory."""
        del accession
        return None

    def transcript(self, accession: Accession) -> Transcript:
        """Return the record or raise `RecordNotFound`."""
        try:
            return self._records[str(accession)]
        except KeyError:
            raise RecordNotFound(f"{accession} is not among the records given") from None
