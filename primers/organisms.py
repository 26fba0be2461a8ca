"""Installed organism databases: a genome and its transcripts, indexed, ready to screen pairs.

Primer-BLAST screens every pair against the organism's RefSeq transcripts and genome; assay does
the same offline against databases installed here (`assay db add`, `assay db install`). Each
lives in its own folder under the cache, ``databases/<name>/<release>/``:

- ``manifest.json``: what it is (name, organism, release, where the sequences came from, bases
  and records, when installed), written last;
- ``genome/`` and ``transcripts/``: compact indexes (`genome`), each checked on open.

An install builds into a hidden folder beside the final one and renames it into place when
everything is written, so an interrupted install leaves nothing that looks usable (the next one
clears it); a lock file keeps two installs from running at once. Names are checked before they
touch a path.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assay import __version__
from assay.errors import InputError
from assay.files import write_text_atomic

if TYPE_CHECKING:
    from assay.primers.store import RecordSource

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Common names and the organisms NCBI files them under.
KNOWN: dict[str, str] = {
    "human": "Homo sapiens",
    "mouse": "Mus musculus",
    "rat": "Rattus norvegicus",
    "zebrafish": "Danio rerio",
    "chicken": "Gallus gallus",
    "dog": "Canis lupus familiaris",
    "pig": "Sus scrofa",
    "cow": "Bos taurus",
    "fly": "Drosophila melanogaster",
    "yeast": "Saccharomyces cerevisiae",
}
PARTIAL = ".partial-"  # prefix of a folder an install is still writing
INDEX_BYTES_PER_BASE = 1.3  # what the compact index takes (1.25 a base, with some margin)
OFFSETS_BYTES = 4 * (4**12 + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    """One installed database."""

    name: str
    organism: str
    release: str
    folder: Path
    parts: tuple[str, ...]  # "transcripts", "genome": the indexes it holds
    bases: dict[str, int]
    sources: dict[str, str]
    installed: str

    @property
    def label(self) -> str:
        """How reports name it: "human (Homo sapiens, GRCh38)"."""
        return f"{self.name} ({self.organism}, {self.release})"

    def index(self, part: str) -> Path:
        """The folder of one part's index."""
        return self.folder / part


def databases_root(cache: Path) -> Path:
    """Where databases are installed under a cache directory."""
    return cache / "databases"


def check_name(text: str, what: str = "database name") -> str:
    """A name safe to use as a folder name (letters, digits, '.', '_', '-'; not a path)."""
    if not NAME.fullmatch(text) or text in (".", ".."):
        raise InputError(f"is not a usable {what} (letters, digits, '.', '_' or '-', up to 64, "
                         "starting with a letter or digit)", value=text)  # fmt: skip
    return text


def organism_of(name: str, organism: str | None) -> str:
    """The organism a database holds: given, or known from its name ("human" -> Homo sapiens)."""
    if organism:
        return " ".join(organism.split())
    known = KNOWN.get(name.lower())
    if known is None:
        raise InputError(f'which organism is "{name}"? Give --organism "Genus species" (known '
                         f"by name: {', '.join(sorted(KNOWN))})")  # fmt: skip
    return known


@contextlib.contextmanager
def install_lock(root: Path) -> Iterator[None]:
    """Hold the install lock of `root`, or say that another install holds it."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    path = root / ".install.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another install is running into this folder; wait for it to "
                             "finish", path=root) from None  # fmt: skip
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fasta_bases_estimate(path: Path) -> int:
    """About how many bases a FASTA holds (its size; gzip files about 3.5 times theirs)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return int(size * 3.5) if gzipped else size


def check_space(root: Path, fastas: list[Path]) -> None:
    """Refuse to start when the disk under `root` cannot hold the indexes of `fastas`."""
    check_free(root, sum(index_bytes(_fasta_bases_estimate(p)) for p in fastas), "the indexes")


def index_bytes(bases: int) -> int:
    """About what the compact index of `bases` bases takes on disk."""
    return int(bases * INDEX_BYTES_PER_BASE) + 2 * OFFSETS_BYTES


def check_free(root: Path, needed: int, what: str) -> None:
    """Refuse to start when the disk under `root` has less than `needed` bytes free."""
    free = shutil.disk_usage(root).free
    if free < needed:
        raise InputError(f"needs about {needed / 1e9:.1f} GB free for {what}; "
                         f"{free / 1e9:.1f} GB are", path=root)  # fmt: skip


def add_database(
    cache: Path, name: str, *, genome: Path | None, transcripts: Path | None,
    organism: str | None = None, release: str | None = None,
    progress: Callable[[str], None] | None = None, sources: dict[str, str] | None = None,
    annotation: Path | None = None,
) -> Installed:  # fmt: skip
    """Index FASTA files at hand as the database `name` (release: given, else today's date).

    `annotation` is the genome's GFF3: its genes and pseudogenes name what a genomic product
    lands in.

    Raises:
        InputError: A bad name or release, no FASTA given or one missing, too little disk space,
            another install running, a file that is not FASTA, or the release already installed.
    """
    check_name(name)
    species = organism_of(name, organism)
    release = check_name(release or f"local-{datetime.date.today().isoformat()}", "release")
    parts = {part: path for part, path in (("transcripts", transcripts), ("genome", genome))
             if path is not None}  # fmt: skip
    if not parts:
        raise InputError("give --genome FASTA, --transcripts FASTA or both")
    for path in parts.values():
        if not path.is_file():
            raise InputError("no such FASTA file", path=path)
    if annotation is not None and not annotation.is_file():
        raise InputError("no such GFF file", path=annotation)
    if annotation is not None and genome is None:
        raise InputError("an annotation (--annotation) goes with a genome (--genome)")
    with install_lock(databases_root(cache)):
        return build_database(cache, name, species, release, parts, progress, sources,
                              annotation)  # fmt: skip


def check_absent(cache: Path, name: str, release: str) -> None:
    """Refuse a release that is installed already."""
    if (databases_root(cache) / name / release).exists():
        raise InputError(f"{name} release {release} is already installed: remove it first "
                         f"(assay db remove {name} --release {release})")  # fmt: skip


def build_database(
    cache: Path, name: str, species: str, release: str, parts: dict[str, Path],
    progress: Callable[[str], None] | None, sources: dict[str, str] | None,
    annotation: Path | None = None,
) -> Installed:  # fmt: skip
    """Index `parts` (part -> FASTA) as a database, atomically; the caller holds the lock."""
    from assay.primers.annotation import FILE, write_features
    from assay.primers.genome import build_compact_index

    check_absent(cache, name, release)
    home = databases_root(cache) / name
    final = home / release
    home.mkdir(parents=True, exist_ok=True)
    for stale in home.glob(f"{PARTIAL}*"):  # an interrupted install: never used
        shutil.rmtree(stale, ignore_errors=True)
    check_space(home, list(parts.values()))
    staging = home / f"{PARTIAL}{release}-{os.getpid()}"
    try:
        bases = {}
        for part, path in parts.items():

            def said(text: str, part: str = part) -> None:
                if progress is not None:
                    progress(f"{name} {part}: {text}")

            index = build_compact_index(
                path, staging / part, part=part, label=f"{name} {release} {part}",
                progress=said,
            )  # fmt: skip
            bases[part] = index.size
        features = write_features(annotation, staging / FILE) if annotation is not None else 0
        now = datetime.datetime.now(datetime.timezone.utc)
        manifest = {
            "kind": "assay organism database", "name": name, "organism": species,
            "release": release, "parts": list(parts), "bases": bases,
            "sources": sources or {part: path.name for part, path in parts.items()},
            "installed": now.isoformat(timespec="seconds"), "annotated_features": features,
            "assay_version": __version__,
        }  # fmt: skip
        write_text_atomic(staging / "manifest.json", json.dumps(manifest, indent=1))
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _read(final)


def _read(folder: Path) -> Installed:
    try:
        data = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        raise InputError("is not a finished database (no readable manifest.json)",
                         path=folder) from None  # fmt: skip
    if not isinstance(data, dict) or data.get("kind") != "assay organism database":
        raise InputError("is not an assay organism database", path=folder)
    try:
        return Installed(
            name=str(data["name"]), organism=str(data["organism"]), release=str(data["release"]),
            folder=folder, parts=tuple(str(p) for p in data["parts"]),
            bases={str(k): int(v) for k, v in data["bases"].items()},
            sources={str(k): str(v) for k, v in data["sources"].items()},
            installed=str(data["installed"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError("has a damaged manifest.json", path=folder) from None


def installed(cache: Path) -> list[Installed]:
    """Every installed database, by name then release (unfinished installs left out)."""
    root = databases_root(cache)
    if not root.is_dir():
        return []
    found = []
    for home in sorted(p for p in root.iterdir() if p.is_dir() and NAME.fullmatch(p.name)):
        for folder in sorted(p for p in home.iterdir()
                             if p.is_dir() and NAME.fullmatch(p.name)):  # fmt: skip
            with contextlib.suppress(InputError):
                found.append(_read(folder))
    return found


def find(cache: Path, wanted: str) -> Installed:
    """The database named `wanted`, or holding that organism (newest release first).

    Raises:
        InputError: None installed matches (the installed ones are listed).
    """
    every = installed(cache)
    organism = KNOWN.get(wanted.lower(), wanted)
    matches = [d for d in every if d.name == wanted] or [
        d for d in every if d.organism.lower() == organism.lower()
    ]
    if not matches:
        have = ", ".join(d.label for d in every) or "none"
        raise InputError(f'no database for "{wanted}" is installed (installed: {have}); add one '
                         "with assay db add NAME --genome FASTA --transcripts FASTA")  # fmt: skip
    return sorted(matches, key=lambda d: d.installed)[-1]


def for_organism(cache: Path, organism: str) -> Installed | None:
    """The newest database holding `organism`, if one is installed."""
    matches = [d for d in installed(cache) if d.organism.lower() == organism.lower()]
    return sorted(matches, key=lambda d: d.installed)[-1] if matches else None


def remove(cache: Path, name: str, release: str | None = None) -> list[Installed]:
    """Remove a database (every release, or one); return what was removed.

    Raises:
        InputError: A bad name, nothing installed under it, or an install running.
    """
    check_name(name)
    if release is not None:
        check_name(release, "release")
    root = databases_root(cache)
    with install_lock(root):
        gone = [d for d in installed(cache)
                if d.name == name and (release is None or d.release == release)]  # fmt: skip
        if not gone:
            raise InputError(f'no database "{name}"' + (f" release {release}" if release else "")
                             + " is installed")  # fmt: skip
        for database in gone:
            shutil.rmtree(database.folder)
        home = root / name
        if home.is_dir() and not any(home.iterdir()):
            home.rmdir()
    return gone


def choose_database(
    cache: Path, wanted: str | None, species: Callable[[], set[str]] | None
) -> tuple[Installed | None, str]:
    """The database to screen against, and a sentence saying which (or why none).

    `wanted` names one (or "none"); without it, the database of the records' organism
    (`species`, asked only when a database is installed) is chosen when there is exactly one
    organism. One given by name must hold the records' organism.

    Raises:
        InputError: `wanted` is not installed, or holds another organism than the records.
    """
    if wanted is not None and wanted.lower() == "none":
        return None, ""
    if wanted:
        database = find(cache, wanted)
        others = sorted(o for o in (species() if species is not None else set())
                        if o.lower() != database.organism.lower())  # fmt: skip
        if others:
            raise InputError(
                f"holds {database.organism}, but the records are of {', '.join(others)}: "
                "screening against another organism says nothing of specificity (--organism "
                "none to screen only --db files)", column="--organism", value=wanted,
            )  # fmt: skip
    else:
        if species is None or not installed(cache):
            return None, ""
        organisms = species()
        if len(organisms) != 1:
            said = (f"Not screened against an organism database: the records are of "
                    f"{len(organisms)} organisms ({', '.join(sorted(organisms))}); give "
                    "--organism") if organisms else ""  # fmt: skip
            return None, said
        (organism,) = organisms
        found = for_organism(cache, organism)
        if found is None:
            return None, (f"Not screened against an organism database: none installed for "
                          f"{organism} (assay db add)")  # fmt: skip
        database = found
    return database, f"Screening against {database.label}: {', '.join(database.parts)}"


def records_species(store: RecordSource, accessions: Iterable[str]) -> Callable[[], set[str]]:
    """The organisms of the records cited (those that can be had), asked when needed."""

    def species() -> set[str]:
        from assay.errors import AssayError
        from assay.primers.accession import parse_versioned

        found = set()
        for text in dict.fromkeys(accessions):
            try:
                found.add(store.transcript(parse_versioned(text)).species)
            except (AssayError, ValueError):
                continue
        return found - {""}

    return species
