"""`assay db install`: an organism's RefSeq genome and transcripts from NCBI's public distribution.

NCBI publishes every assembly under ``https://ftp.ncbi.nlm.nih.gov/genomes/all/`` in a folder named
after its accession and assembly name (``GCF/000/001/405/GCF_000001405.40_GRCh38.p14/``), holding
``<folder>_genomic.fna.gz`` (the genome), ``<folder>_rna.fna.gz`` (RefSeq transcripts) and
``md5checksums.txt``. The assemblies of the common laboratory organisms are named here; any other
is given by its accession (GCF_/GCA_), its folder found in NCBI's listing.

Each file is downloaded beside the databases (``databases/.downloads/<accession>/``), resumed
where an interrupted download stopped (an HTTP range request), checked against NCBI's MD5 before it
is used (a file that differs is deleted, and nothing is installed), then indexed as
`organisms.build_database` does for files at hand; the downloads are removed once the database is
installed. The install lock covers the download too.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay import __version__
from assay.errors import InputError
from assay.primers.organisms import (
    KNOWN,
    Installed,
    build_database,
    check_absent,
    check_free,
    check_name,
    databases_root,
    index_bytes,
    install_lock,
)

GENOMES_URL = "https://ftp.ncbi.nlm.nih.gov/genomes/all"
ASSEMBLY = re.compile(r"^(GC[FA])_(\d{3})(\d{3})(\d{3})\.\d+$")
# Current reference assemblies of the common laboratory organisms (RefSeq, annotated).
ASSEMBLIES: dict[str, tuple[str, str]] = {
    "human": ("GCF_000001405.40", "GRCh38.p14"),
    "mouse": ("GCF_000001635.27", "GRCm39"),
    "rat": ("GCF_036323735.1", "GRCr8"),
}
PARTS = {"genome": "_genomic.fna.gz", "transcripts": "_rna.fna.gz"}
ANNOTATION = "_genomic.gff.gz"
PIECE = 1 << 16  # bytes read from the connection at once (what a dropped line can lose)
ATTEMPTS = 5  # a dropped connection is resumed this many times
TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Assembly:
    """Where an assembly's files are."""

    accession: str
    name: str
    folder_url: str

    @property
    def release(self) -> str:
        """The release as a database names it: GRCh38.p14 (GCF_000001405.40)."""
        return f"{self.name}_{self.accession}"

    def url(self, part: str) -> str:
        """The URL of one part's file."""
        return f"{self.folder_url}{self.accession}_{self.name}{PARTS[part]}"


def base_url(given: str | None = None) -> str:
    """The distribution's base URL: given, ASSAY_NCBI_GENOMES_URL, else NCBI's."""
    url = (given or os.environ.get("ASSAY_NCBI_GENOMES_URL") or GENOMES_URL).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise InputError("is not an http(s) URL", column="--from-url", value=url)
    return url


def _session() -> Any:  # a requests.Session (imported only when a download runs)
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = f"assay/{__version__} (+organism database install)"
    return session


def _get(session: Any, url: str, **headers: str) -> Any:
    """GET `url` (streamed); a connection that fails says so in one line."""
    import requests

    try:
        response = session.get(url, headers=headers, stream=True, timeout=TIMEOUT_S)
    except requests.RequestException as error:
        host = re.sub(r"^(https?://[^/]+).*$", r"\1", url)
        raise InputError(f"cannot reach {host} ({type(error).__name__}): check the network, "
                         "or install from files at hand with assay db add") from None  # fmt: skip
    if response.status_code == 404:
        raise InputError("is not at NCBI (404): check the organism or accession", value=url)
    if response.status_code >= 400:
        raise InputError(f"answered HTTP {response.status_code}", value=url)
    return response


def resolve(wanted: str, url: str, session: Any = None) -> Assembly:
    """The assembly `wanted` names: a known organism, or an accession (GCF_/GCA_).

    Raises:
        InputError: Neither a known organism nor an accession, or no such folder at NCBI.
    """
    known = ASSEMBLIES.get(wanted.lower())
    accession, name = known if known else (wanted, "")
    found = ASSEMBLY.fullmatch(accession)
    if found is None:
        raise InputError(f"is neither an organism assay knows ({', '.join(sorted(ASSEMBLIES))}) "
                         "nor an assembly accession (GCF_000001635.27)", value=wanted)  # fmt: skip
    parent = f"{url}/{found.group(1)}/{found.group(2)}/{found.group(3)}/{found.group(4)}/"
    if not name:  # NCBI's listing of the accession's parent folder names it
        response = _get(session or _session(), parent)
        names = re.findall(rf'href="({re.escape(accession)}_([^"/]+))/?"', response.text)
        if not names:
            raise InputError("has no assembly folder at NCBI", value=accession)
        name = names[0][1]
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise InputError("is not an assembly name assay can use", value=name)
    return Assembly(accession=accession, name=name, folder_url=f"{parent}{accession}_{name}/")


def _size(session: Any, url: str) -> int:
    """The size of the file at `url` (HTTP HEAD; 0 when the server does not say)."""
    import requests

    try:
        response = session.head(url, timeout=TIMEOUT_S, allow_redirects=True)
    except requests.RequestException:
        return 0
    if response.status_code == 404:
        raise InputError("is not at NCBI (404): check the organism or accession", value=url)
    return int(response.headers.get("Content-Length", 0) or 0)


def checksums(assembly: Assembly, session: Any) -> dict[str, str]:
    """NCBI's MD5 of each file of the assembly (md5checksums.txt: "<md5>  ./<file>")."""
    response = _get(session, f"{assembly.folder_url}md5checksums.txt")
    found = {}
    for line in response.text.splitlines():
        words = line.split()
        if len(words) == 2 and re.fullmatch(r"[0-9a-f]{32}", words[0]):
            found[words[1].removeprefix("./")] = words[0]
    return found


def download(
    session: Any, url: str, target: Path, md5: str,
    progress: Callable[[str], None] | None = None,
) -> Path:  # fmt: skip
    """Download `url` to `target`, resuming a partial file, and check its MD5.

    Raises:
        InputError: The connection failed more than `ATTEMPTS` times, or the file's MD5 differs
            from NCBI's (the file is deleted).
    """
    if target.is_file() and _md5(target) == md5:
        return target
    partial = target.with_name(target.name + ".partial")
    for _ in range(ATTEMPTS):
        have = partial.stat().st_size if partial.is_file() else 0
        response = _get(session, url, **({"Range": f"bytes={have}-"} if have else {}))
        resumed = response.status_code == 206
        size = int(response.headers.get("Content-Length", 0))
        total = have + size if resumed else size
        try:
            with partial.open("ab" if resumed else "wb") as handle:
                for piece in response.iter_content(PIECE):
                    handle.write(piece)
                    if progress is not None and handle.tell() % (1 << 26) < len(piece):
                        progress(f"{target.name}: {handle.tell() / 1e6:,.0f} of "
                                 f"{total / 1e6:,.0f} MB")  # fmt: skip
        except OSError as error:
            if getattr(error, "errno", None) == 28:  # ENOSPC
                raise InputError("the disk is full: free space and run the install again (it "
                                 "resumes)", path=partial) from None  # fmt: skip
            continue  # a dropped connection: resume
        except Exception as error:  # requests' ChunkedEncodingError, ConnectionError …
            if type(error).__module__.startswith(("requests", "urllib3", "http")):
                continue
            raise
        if total and partial.stat().st_size < total:
            continue
        break
    else:
        raise InputError(f"the download broke off {ATTEMPTS} times: run the install again (it "
                         "resumes)", value=url)  # fmt: skip
    if _md5(partial) != md5:
        partial.unlink()
        raise InputError("differs from NCBI's checksum (md5checksums.txt): the download is "
                         "damaged and was deleted; nothing was installed", value=url)  # fmt: skip
    partial.replace(target)
    return target


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(8 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def install(
    cache: Path, wanted: str, *, url: str | None = None, offline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Installed:  # fmt: skip
    """Download and install an organism's genome and transcripts.

    Raises:
        InputError: Offline, NCBI unreachable, an unknown organism or accession, a damaged
            download, too little disk space, another install running, or already installed.
    """
    import shutil

    if offline:
        raise InputError("--offline: nothing is downloaded (install from files at hand with "
                         "assay db add)")  # fmt: skip
    root = base_url(url)
    session = _session()
    assembly = resolve(wanted, root, session)
    name = wanted.lower() if wanted.lower() in ASSEMBLIES else assembly.accession
    check_name(name)
    organism = KNOWN.get(name, "")
    with install_lock(databases_root(cache)):
        check_absent(cache, name, assembly.release)
        sums = checksums(assembly, session)
        folder = databases_root(cache) / ".downloads" / assembly.accession
        folder.mkdir(parents=True, exist_ok=True)
        # Before any download: room for the files (gzip) and their indexes (about 3.5 bases a
        # gzip byte).
        sizes = [_size(session, assembly.url(part)) for part in PARTS]
        check_free(folder, sum(sizes) + sum(index_bytes(int(n * 3.5)) for n in sizes),
                   "the download and its indexes")  # fmt: skip
        files = {}
        for part in ("transcripts", "genome"):
            file_name = assembly.url(part).rsplit("/", 1)[1]
            if file_name not in sums:
                raise InputError(f"NCBI lists no checksum for {file_name}",
                                 value=assembly.folder_url)  # fmt: skip
            files[part] = download(session, assembly.url(part), folder / file_name,
                                   sums[file_name], progress)  # fmt: skip
        gff_name = f"{assembly.accession}_{assembly.name}{ANNOTATION}"
        annotation = None
        if gff_name in sums:  # assemblies NCBI annotated: their genes and pseudogenes
            annotation = download(session, f"{assembly.folder_url}{gff_name}",
                                  folder / gff_name, sums[gff_name], progress)  # fmt: skip
        if not organism:
            organism = _organism_in(files["transcripts"]) or assembly.accession
        installed = build_database(
            cache, name, organism, assembly.release, files, progress,
            {part: assembly.url(part) for part in files}, annotation,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
    return installed


def _organism_in(transcripts: Path) -> str:
    """The organism the first transcript's title names ("Danio rerio ..."), if any."""
    import gzip

    with gzip.open(transcripts, "rt", errors="replace") as handle:
        header = handle.readline()
    found = re.match(r"^>\S+\s+(?:PREDICTED: )?([A-Z][a-z]+ [a-z]+)", header)
    return found.group(1) if found else ""
