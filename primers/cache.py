"""The on-disk record cache: plain files named by accession.version, readable offline.

Layout of a cache directory (a directory of such files written by hand works too)::

    NM_002046.7.gb            GenBank flat file, as efetch returns it
    NM_002046.7.fasta         FASTA, as efetch returns it
    NM_002046.7.exons.fasta   NCBI's FASTA of exons
    index.json                when, from where and with which SHA-256 each file came
    answers/                  answers that can change (newest version, variant lists), with a TTL

The bundled ``data/refseq/`` (and its ``decoys/``) is always read after the user's directory and
never written. Records are validated before they are written (`records.parse_record`), written
atomically (a ``.part`` file renamed into place) and the index is updated under a file lock, so
several assay processes can fill one cache at once and a killed process never leaves a partial
record under a record's name.

>>> import tempfile
>>> cache = RecordCache(Path(tempfile.mkdtemp()))
>>> from assay.primers.accession import parse_accession
>>> cache.find(parse_accession("NM_002046.7"))[1].value  # found among the bundled records
'exons.fasta'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assay.data import refseq_dir
from assay.errors import CacheError
from assay.files import write_text_atomic
from assay.primers.accession import Accession, parse_versioned
from assay.primers.records import RecordError, RecordFormat, Transcript, parse_record
from assay.primers.reference import GenomicRecord

DEFAULT_ANSWER_TTL_S = 7 * 24 * 3600.0
# Preference when several formats of one record are cached: GenBank carries exons and CDS, the
# exon FASTA carries exons, plain FASTA only the sequence.
FORMAT_PREFERENCE = (RecordFormat.GENBANK, RecordFormat.EXONS, RecordFormat.FASTA)
_STALE_PART_S = 3600.0


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the user's cache directory for assay (nothing is created).

    ``ASSAY_CACHE`` wins; otherwise ``$XDG_CACHE_HOME/assay`` or ``~/.cache/assay`` on Linux,
    ``~/Library/Caches/assay`` on macOS and ``%LOCALAPPDATA%/assay/Cache`` on Windows.
    """
    env = os.environ if environ is None else environ
    if env.get("ASSAY_CACHE"):
        return Path(env["ASSAY_CACHE"]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":  # pragma: no cover - not run on this project's CI
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "assay" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover
        return home / "Library" / "Caches" / "assay"
    return Path(env.get("XDG_CACHE_HOME") or home / ".cache") / "assay"


def bundled_dirs() -> tuple[Path, ...]:
    """Return the bundled record directories, read after the user's cache."""
    return (refseq_dir(), refseq_dir() / "decoys")


def file_name(accession: Accession, fmt: RecordFormat) -> str:
    """Return the cache file name of a record, e.g. ``NM_002046.7.gb``.

    Raises:
        ValueError: For an accession without version (only exact records are cached).
    """
    if accession.version is None:
        raise ValueError(f"{accession}: only versioned records are cached")
    return f"{accession}.{fmt.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """What the index records of one cached file."""

    sha256: str
    fetched_at: str
    source: str
    size_bytes: int


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (POSIX flock; without it, no lock)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no flock, writes stay atomic
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class RecordCache:
    """A writable record directory plus the read-only bundled records.

    Args:
        directory: The writable cache directory (created on first write).
        read_also: Further directories searched after it (default: the bundled records).
        answer_ttl_s: How long answers that can change stay fresh.
        clock: Seconds since the epoch (for tests).
    """

    def __init__(
        self,
        directory: Path,
        *,
        read_also: Sequence[Path] | None = None,
        answer_ttl_s: float = DEFAULT_ANSWER_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.read_also = tuple(bundled_dirs() if read_also is None else read_also)
        self.answer_ttl_s = answer_ttl_s
        self._clock = clock

    # Records ------------------------------------------------------------------------------

    def find(self, accession: Accession) -> tuple[Path, RecordFormat] | None:
        """Return the best cached file of `accession` and its format, or None."""
        for fmt in FORMAT_PREFERENCE:
            path = self.find_format(accession, fmt)
            if path is not None:
                return path, fmt
        return None

    def find_format(self, accession: Accession, fmt: RecordFormat) -> Path | None:
        """Return the cached file of `accession` in format `fmt`, or None."""
        name = file_name(accession, fmt)
        for directory in (self.directory, *self.read_also):
            path = directory / name
            if path.is_file():
                return path
        return None

    def load(self, accession: Accession) -> Transcript | None:
        """Return the cached record of `accession`, parsed and checked, or None if not cached.

        Raises:
            CacheError: When the cached file is damaged (fails its checksum or its checks); the
                message names the file.
        """
        found = self.find(accession)
        if found is None:
            return None
        path, fmt = found
        text = self._read(path)
        entry = self.index().get(path.name) if path.parent == self.directory else None
        if entry is not None and entry.sha256 != hashlib.sha256(text.encode()).hexdigest():
            raise CacheError(
                f"{path} does not match the checksum recorded when it was fetched: it was "
                f"changed or damaged; delete it and run: assay fetch {accession}"
            )
        try:
            return parse_record(text, fmt, accession)
        except RecordError as error:
            raise CacheError(f"{path} is not a usable record ({error}); delete it") from error

    def store(self, accession: Accession, fmt: RecordFormat, text: str, source: str) -> Path:
        """Check `text` as the record of `accession` and write it into the cache.

        Args:
            accession: The accession.version the text must be the record of.
            fmt: Its format.
            text: The record as NCBI returned it.
            source: Where it came from (a URL without any API key), for the index.

        Returns:
            The path written.

        Raises:
            RecordError: The text is not a valid record of `accession` (nothing is written).
            CacheError: The cache directory cannot be written.
        """
        parse_record(text, fmt, accession)  # never cache what does not check out
        path = self.directory / file_name(accession, fmt)
        data = text.encode()
        entry = IndexEntry(
            sha256=hashlib.sha256(data).hexdigest(),
            fetched_at=datetime.fromtimestamp(self._clock(), tz=timezone.utc).isoformat(),
            source=source,
            size_bytes=len(data),
        )
        try:
            write_text_atomic(path, text)
            with _locked(self.directory / ".lock"):
                index = self._read_index_raw()
                index[path.name] = {
                    "sha256": entry.sha256, "fetched_at": entry.fetched_at,
                    "source": entry.source, "size_bytes": entry.size_bytes,
                }  # fmt: skip
                write_text_atomic(self.directory / "index.json", json.dumps(index, indent=1))
            self._sweep_stale_parts()
        except OSError as error:
            raise CacheError(f"cannot write to the cache {self.directory}: {error}") from error
        return path

    def index(self) -> dict[str, IndexEntry]:
        """Return the index of the writable directory (file name → entry)."""
        try:
            return {name: IndexEntry(**fields) for name, fields in self._read_index_raw().items()}
        except TypeError:
            raise CacheError(
                f"{self.directory / 'index.json'} has entries of another shape; delete it and "
                "assay rebuilds it as records are fetched"
            ) from None

    def records(self) -> list[tuple[Accession, RecordFormat, Path]]:
        """Return every record file in the cache and the bundled directories (best format each)."""
        seen: dict[str, tuple[Accession, RecordFormat, Path]] = {}
        for directory in (self.directory, *self.read_also):
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                for fmt in FORMAT_PREFERENCE:
                    stem = path.name.removesuffix(f".{fmt.value}")
                    if stem == path.name or stem.endswith(".exons"):
                        continue
                    try:
                        accession = parse_versioned(stem)
                    except ValueError:
                        continue
                    seen.setdefault(str(accession), (accession, fmt, path))
                    break
        return list(seen.values())

    def _genomic_files(self) -> list[Path]:
        found: list[Path] = []
        for directory in (self.directory, *self.read_also):
            folder = directory / "genomic"
            found += sorted(folder.glob("*.fa*")) if folder.is_dir() else []
        return found

    def genomic_stamps(self) -> tuple[tuple[str, int, int], ...]:
        """Each genomic extract's path, modification time and size: what `genomic_records` reads."""
        stamps = []
        for path in self._genomic_files():
            try:
                stat = path.stat()
            except OSError:
                continue
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def genomic_records(self) -> list[GenomicRecord]:
        """Return the genomic extracts in ``genomic/`` of the cache and of the bundled records."""
        extracts = []
        for path in self._genomic_files():
            text = self._read(path)
            header, _, body = text.partition("\n")
            name = header[1:].split(maxsplit=1)[0] if header.startswith(">") else path.stem
            extracts.append(GenomicRecord(name=name, sequence="".join(body.split()).upper()))
        return extracts

    # Answers that can change --------------------------------------------------------------

    def get_answer(self, key: str) -> Any | None:
        """Return a stored answer if it is younger than the TTL, else None."""
        path = self._answer_path(key)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        stored_at = stored.get("stored_at") if isinstance(stored, dict) else None
        if not isinstance(stored_at, int | float) or isinstance(stored_at, bool):
            return None  # not an answer assay wrote: asked again
        if self._clock() - float(stored_at) > self.answer_ttl_s:
            return None
        return stored.get("value")

    def put_answer(self, key: str, value: Any) -> None:
        """Store an answer that can change (it expires after the TTL)."""
        payload = {"stored_at": self._clock(), "value": value}
        try:
            write_text_atomic(self._answer_path(key), json.dumps(payload))
        except OSError as error:
            raise CacheError(f"cannot write to the cache {self.directory}: {error}") from error

    # Internals -----------------------------------------------------------------------------

    def _answer_path(self, key: str) -> Path:
        if not key or not all(c.isalnum() or c in "._-" for c in key) or key.startswith("."):
            raise ValueError(f"unsafe answer key {key!r}")
        return self.directory / "answers" / f"{key}.json"

    def _read(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CacheError(f"cannot read {path}: {error}") from error

    def _read_index_raw(self) -> dict[str, dict[str, Any]]:
        path = self.directory / "index.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise CacheError(f"{path} is damaged ({error}); delete it to rebuild") from error
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise CacheError(
                f"{path} is not an index assay wrote (valid JSON of another shape); delete it "
                "and assay rebuilds it as records are fetched"
            )
        return raw

    def _sweep_stale_parts(self) -> None:
        """Remove temporary files left by killed writers (old enough not to be in use)."""
        now = time.time()
        for part in self.directory.glob(".*.part"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > _STALE_PART_S:
                    part.unlink()
