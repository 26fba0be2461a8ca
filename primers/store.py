"""Records by accession.version, from wherever they can be had: the one interface validation uses.

`RecordStore` looks in the cache (the user's directory, then the bundled records) and, unless it is
offline, fetches what is missing from NCBI and caches it. `InMemoryRecords` serves records held in
memory, for tests and for callers that bring their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assay.data import home_path, refseq_dir
from assay.errors import AssayError, RecordNotFound, UnknownAccession
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

    def variants_of(self, record: Transcript) -> VariantLookup:
        """Return the other transcripts of the record's gene that can be had, and how complete."""
        ...

    def status(self, accession: Accession) -> RecordStatus | None:
        """Return NCBI's status of the record, when known."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantLookup:
    """The other transcripts of a record's gene, and whether that list is the whole of them.

    Attributes:
        transcripts: The variants that could be had.
        complete: True when NCBI's list of the gene's transcripts was known (now or cached) and
            every one of them was had; False when only what happened to be on disk was compared.
        note: Why the list is not complete, in words; empty when it is.
        fallback: What was compared instead, when the list is not complete.
    """

    transcripts: tuple[Transcript, ...]
    complete: bool
    note: str = ""
    fallback: str = ""


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
        # Parsed records for this run: design checks dozens of candidates, each looking up the
        # record's gene among every cached record; parsing them once per run, not per candidate.
        self._parsed: dict[str, Transcript | None] = {}
        self._of_gene: dict[str, list[Transcript]] = {}
        self._genomic: tuple[object, list[GenomicRecord]] | None = None

    def _load(self, accession: Accession) -> Transcript | None:
        key = str(accession)
        if key not in self._parsed:
            self._parsed[key] = self.cache.load(accession)
        return self._parsed[key]

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
        cached = self._load(accession)
        if cached is not None:
            return cached
        self.fetch(accession)
        self._parsed.pop(str(accession), None)
        self._of_gene.clear()  # a new record may belong to a gene already looked up
        fetched = self._load(accession)
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
            cache = home_path(self.cache.directory)
            where = (
                "among the bundled records"
                if self.cache.directory == refseq_dir()
                else f"in the cache ({cache}) nor among the bundled records"
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
        """Return the genomic extracts in the cache and the bundled records.

        Read once for the run (design asks for every candidate), again when one changes.
        """
        stamps = self.cache.genomic_stamps()
        if self._genomic is None or self._genomic[0] != stamps:
            self._genomic = (stamps, self.cache.genomic_records())
        return list(self._genomic[1])

    def variants_of(self, record: Transcript) -> VariantLookup:
        """Return the gene's other transcripts: NCBI's list (elink, or its cached answer) first.

        Without that list (offline with nothing cached, or NCBI not reachable), the cached records
        whose title names the same gene symbol are compared, and the lookup says it is not
        complete and why. At most `MAX_VARIANTS` are fetched.
        """
        why = ""
        try:
            linked = self.variants(record.accession)
        except AssayError as error:
            linked, why = None, str(error)
        if linked is not None:
            found: list[Transcript] = []
            missing: list[str] = []
            for accession in linked[:MAX_VARIANTS]:
                # Another version of the same accession is the same transcript, not a variant.
                if accession.accession == record.accession.accession or accession.version is None:
                    continue
                try:
                    found.append(self.transcript(accession))
                except AssayError:
                    missing.append(str(accession))
            note = f"not available: {', '.join(missing)}" if missing else ""
            return VariantLookup(transcripts=tuple(found), complete=not missing, note=note)
        if not why:
            why = "offline, and NCBI's list of the gene's transcripts is not cached"
        symbol = gene_symbol(record.description)
        if symbol is None:
            return VariantLookup(transcripts=(), complete=False, note=why)
        cached = tuple(self._cached_of_gene(record, symbol))
        return VariantLookup(
            transcripts=cached, complete=False, note=why,
            fallback=f"compared with the {len(cached)} cached record(s) of {symbol} only",
        )  # fmt: skip

    def _cached_of_gene(self, record: Transcript, symbol: str) -> list[Transcript]:
        # Older versions of the record's own accession (BRCA2 NM_000059.3 beside .4) are not
        # variants of its gene.
        return [r for r in self.records_of_gene(symbol)
                if r.accession.accession != record.accession.accession]  # fmt: skip

    def records_of_gene(self, symbol: str) -> list[Transcript]:
        """The cached and bundled records whose title names gene `symbol` (any case)."""
        key = symbol.upper()
        if key in self._of_gene:
            return list(self._of_gene[key])
        found = []
        for accession, _, _ in self.cache.records():
            try:
                candidate = self._load(accession)
            except AssayError:
                continue  # a damaged cached file is reported where it is asked for itself
            named = gene_symbol(candidate.description) if candidate is not None else None
            if candidate is not None and named is not None and named.upper() == key:
                found.append(candidate)
        self._of_gene[key] = found
        return list(found)

    def status(self, accession: Accession) -> RecordStatus | None:
        """Return NCBI's status of a record and its newest version (kept for the answer TTL).

        One esummary asks for the version cited and for the accession without version, which NCBI
        answers with the newest version: a docsum names only the next version in `replacedby`,
        and that one may itself be replaced (NM_003002.2 -> .3 -> .4).

        Offline, only a cached answer is given; None when nothing is known.

        Raises:
            FetchError: Online, but NCBI could not answer.
            UnknownAccession: NCBI knows no version of the accession.
        """
        key = f"status-{accession}"
        cached = self.cache.get_answer(key)
        if isinstance(cached, dict):
            try:
                return _status_from_json(cached)
            except (KeyError, ValueError):
                pass  # an answer of another shape is asked again, not trusted
        if self.client is None:
            return None
        asked = [accession, Accession(accession=accession.accession)]
        answers = self.client.summaries(asked)
        own, newest = answers.get(str(asked[0])), answers.get(str(asked[1]))
        if own is None and newest is None:
            raise UnknownAccession(f"NCBI does not know {accession} (esummary has no record)")
        later = newest.accession if newest and newest.accession != accession else None
        status = RecordStatus(
            accession=accession,
            # NCBI has the accession but not this version: a version that never existed.
            status=own.status if own else "unknown",
            replaced_by=own.replaced_by if own else None,
            length=own.length if own else None,
            newest=later,
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
        if isinstance(cached, list):
            try:
                return [parse_accession(str(text)) for text in cached]
            except ValueError:
                pass  # an answer of another shape is asked again, not trusted
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
        "newest": None if status.newest is None else str(status.newest),
    }


def _status_from_json(data: dict[str, object]) -> RecordStatus:
    replaced = data.get("replaced_by")
    newest = data.get("newest")
    length = data.get("length")
    return RecordStatus(
        accession=parse_accession(str(data["accession"])),
        status=str(data["status"]),
        replaced_by=parse_accession(str(replaced)) if replaced else None,
        length=length if isinstance(length, int) else None,
        newest=parse_accession(str(newest)) if newest else None,
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

    def variants_of(self, record: Transcript) -> VariantLookup:
        """Return the variants given for the record (the list given is taken as complete)."""
        given = tuple(self._variants.get(str(record.accession), []))
        return VariantLookup(transcripts=given, complete=True)

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
