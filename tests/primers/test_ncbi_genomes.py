"""`assay db install` against a stand-in for NCBI's genome distribution on 127.0.0.1.

The stand-in is a real HTTP server (threads, range requests, directory listings as NCBI's server
gives them) serving a small organism made here, laid out as NCBI lays out an assembly folder:
``GCF/000/001/405/GCF_000001405.40_GRCh38.p14/`` with ``_genomic.fna.gz``, ``_rna.fna.gz`` and
``md5checksums.txt``. Faults are switched on per test: a connection dropped mid-file, a wrong
checksum, a full disk, a second install at once.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from assay.cli.main import main
from assay.errors import InputError
from assay.primers.ncbi_genomes import install
from assay.primers.organisms import databases_root, install_lock, installed

HUMAN = "GCF/000/001/405/GCF_000001405.40_GRCh38.p14"
ZEBRAFISH = "GCF/000/002/035/GCF_000002035.6_GRCz11"


@dataclass
class _Stand:
    root: Path
    drop: dict[str, int] = field(default_factory=dict)  # file name -> connections to drop
    ranges: list[str] = field(default_factory=list)  # Range headers received
    gets: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    stand: _Stand

    def log_message(self, *_: object) -> None:  # quiet
        return

    def _target(self) -> Path | None:
        path = unquote(urlsplit(self.path).path).lstrip("/")
        target = (self.stand.root / path).resolve()
        return target if target.is_relative_to(self.stand.root) and target.exists() else None

    def do_HEAD(self) -> None:
        target = self._target()
        if target is None or target.is_dir():
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(target.stat().st_size))
        self.end_headers()

    def do_GET(self) -> None:
        target = self._target()
        if target is None:
            self.send_error(404)
            return
        self.stand.gets.append(target.name)
        if target.is_dir():  # a listing like NCBI's: one link per entry
            body = "".join(f'<a href="{p.name}/">{p.name}/</a>\n' for p in sorted(target.iterdir()))
            data = f"<html><body><pre>\n{body}</pre></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        data = target.read_bytes()
        asked = self.headers.get("Range")
        start = 0
        if asked:
            self.stand.ranges.append(asked)
            start = int(asked.removeprefix("bytes=").split("-")[0])
        self.send_response(206 if asked else 200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if self.stand.drop.get(target.name, 0) > 0:  # half the file, then the line goes dead
            self.stand.drop[target.name] -= 1
            self.wfile.write(data[start : start + (len(data) - start) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True
            return
        self.wfile.write(data[start:])


def _fasta(records: list[tuple[str, str]]) -> bytes:
    return "".join(f">{n}\n" + "\n".join(s[i : i + 80] for i in range(0, len(s), 80)) + "\n"
                   for n, s in records).encode()  # fmt: skip


def _assembly(root: Path, folder: str, rna_title: str, seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)

    def random(n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n))

    name = folder.rsplit("/", 1)[1]
    gff = (
        "##gff-version 3\nNC_1.1\tRefSeq\tgene\t101\t900\t.\t+\t.\tName=MADE1\n"
        "NC_2.1\tRefSeq\tpseudogene\t5\t80\t.\t-\t.\tName=MADE1P1\n"
    )
    files = {
        f"{name}_genomic.gff.gz": gzip.compress(gff.encode()),
        f"{name}_genomic.fna.gz": gzip.compress(_fasta([("NC_1.1 chromosome 1", random(300_000)),
                                                        ("NC_2.1 chromosome 2", random(200_000))])),
        f"{name}_rna.fna.gz": gzip.compress(_fasta([(f"NM_1.1 {rna_title}", random(3000)),
                                                    ("NM_2.1 other", random(2000))])),
    }  # fmt: skip
    place = root / "genomes" / "all" / folder
    place.mkdir(parents=True)
    for file_name, data in files.items():
        (place / file_name).write_bytes(data)
    sums = "".join(f"{hashlib.md5(d).hexdigest()}  ./{n}\n" for n, d in files.items())
    (place / "md5checksums.txt").write_text(sums)
    return files


@pytest.fixture
def stand(tmp_path: Path) -> Iterator[tuple[_Stand, str]]:
    root = tmp_path / "ncbi"
    _assembly(root, HUMAN, "Homo sapiens made-up gene, mRNA", 1)
    _assembly(root, ZEBRAFISH, "PREDICTED: Danio rerio made-up gene, mRNA", 2)
    state = _Stand(root=root.resolve())
    handler = type("Handler", (_Handler,), {"stand": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/genomes/all"
    finally:
        server.shutdown()
        server.server_close()


def test_human_is_installed_from_the_distribution(
    stand: tuple[_Stand, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = stand
    cache = tmp_path / "cache"
    assert main(["db", "--cache", str(cache), "install", "human", "--from-url", url]) == 0
    out = capsys.readouterr().out
    assert "Installed human (Homo sapiens, GRCh38.p14_GCF_000001405.40): transcripts 0.0 Mb, " \
        "genome 0.5 Mb" in out  # fmt: skip
    (database,) = installed(cache)
    assert database.bases == {"transcripts": 5000, "genome": 500_000}
    assert database.sources["genome"] == f"{url}/{HUMAN}/GCF_000001405.40_GRCh38.p14_genomic.fna.gz"
    assert not (databases_root(cache) / ".downloads" / "GCF_000001405.40").exists()
    assert state.ranges == []
    # NCBI's annotation came too: its gene and pseudogene.
    assert (database.folder / "annotation.tsv").read_text().splitlines() == [
        "NC_1.1\t101\t900\tMADE1\tgene", "NC_2.1\t5\t80\tMADE1P1\tpseudogene",
    ]  # fmt: skip


def test_a_dropped_connection_is_resumed_where_it_stopped(
    stand: tuple[_Stand, str], tmp_path: Path
) -> None:
    state, url = stand
    genome = "GCF_000001405.40_GRCh38.p14_genomic.fna.gz"
    state.drop[genome] = 1
    database = install(tmp_path, "human", url=url)
    assert database.bases["genome"] == 500_000
    size = (state.root / "genomes" / "all" / HUMAN / genome).stat().st_size
    # The second request asked for the rest: from what had arrived whole (the download keeps
    # 64 KB pieces) up to where the line went dead, half-way.
    (asked,) = state.ranges
    start = int(asked.removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= size // 2


def test_a_file_that_differs_from_ncbis_checksum_installs_nothing(
    stand: tuple[_Stand, str], tmp_path: Path
) -> None:
    state, url = stand
    sums = state.root / "genomes" / "all" / HUMAN / "md5checksums.txt"
    # The transcripts' checksum is wrong (as after a damaged transfer).
    wrong = ["0" * 32 + line[32:] if "_rna" in line else line
             for line in sums.read_text().splitlines()]  # fmt: skip
    sums.write_text("\n".join(wrong) + "\n")
    with pytest.raises(InputError, match="differs from NCBI's checksum"):
        install(tmp_path, "human", url=url)
    assert installed(tmp_path) == []
    downloads = databases_root(tmp_path) / ".downloads" / "GCF_000001405.40"
    assert not any(p.name.endswith(".partial") for p in downloads.iterdir())


def test_an_accession_is_found_in_ncbis_listing_and_named_by_its_titles(
    stand: tuple[_Stand, str], tmp_path: Path
) -> None:
    _, url = stand
    database = install(tmp_path, "GCF_000002035.6", url=url)
    assert (database.name, database.organism) == ("GCF_000002035.6", "Danio rerio")
    assert database.release == "GRCz11_GCF_000002035.6"
    with pytest.raises(InputError, match="has no assembly folder at NCBI"):
        install(tmp_path, "GCF_000002035.7", url=url)
    with pytest.raises(InputError, match="neither an organism assay knows"):
        install(tmp_path, "../../etc", url=url)


def test_a_full_disk_is_said_before_anything_is_downloaded(
    stand: tuple[_Stand, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from collections import namedtuple

    state, url = stand
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 10, 10))
    with pytest.raises(InputError, match="GB free for the download and its indexes"):
        install(tmp_path, "human", url=url)
    assert not any(name.endswith(".fna.gz") for name in state.gets)


def test_a_second_install_at_once_offline_and_unreachable_are_refused(
    stand: tuple[_Stand, str], tmp_path: Path
) -> None:
    _, url = stand
    with (
        install_lock(databases_root(tmp_path)),
        pytest.raises(InputError, match="another install is running"),
    ):
        install(tmp_path, "human", url=url)
    with pytest.raises(InputError, match="--offline: nothing is downloaded"):
        install(tmp_path, "human", url=url, offline=True)
    with pytest.raises(InputError, match=r"cannot reach http://127\.0\.0\.1:9 "):
        install(tmp_path, "human", url="http://127.0.0.1:9/genomes/all")
    assert installed(tmp_path) == []
