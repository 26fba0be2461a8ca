"""The record cache with real records on a real disk, several processes, and a killed writer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assay.data import refseq_dir
from assay.errors import CacheError
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache, default_cache_dir
from assay.primers.records import RecordError, RecordFormat

PIK3CA = parse_accession("NM_006218.4")
RECORDS = [
    ("NM_006218.4", RecordFormat.FASTA, "NM_006218.4.fasta"),
    ("NM_004958.4", RecordFormat.FASTA, "NM_004958.4.fasta"),
    ("NM_002046.7", RecordFormat.EXONS, "NM_002046.7.exons.fasta"),
    ("XM_006713658.5", RecordFormat.EXONS, "XM_006713658.5.exons.fasta"),
    ("NM_000546.6", RecordFormat.EXONS, "decoys/NM_000546.6.exons.fasta"),
    ("NM_005228.5", RecordFormat.EXONS, "decoys/NM_005228.5.exons.fasta"),
]


def _bundled_text(name: str) -> str:
    return (refseq_dir() / name).read_text(encoding="ascii")


def _empty_cache(tmp_path: Path) -> RecordCache:
    return RecordCache(tmp_path / "cache", read_also=())


def test_store_then_load_with_index(tmp_path: Path) -> None:
    cache = _empty_cache(tmp_path)
    text = _bundled_text("NM_006218.4.fasta")
    path = cache.store(PIK3CA, RecordFormat.FASTA, text, source="http://127.0.0.1/efetch")
    assert path == tmp_path / "cache" / "NM_006218.4.fasta"
    assert path.read_bytes() == text.encode()
    entry = cache.index()["NM_006218.4.fasta"]
    assert entry.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert (entry.size_bytes, entry.source) == (len(text), "http://127.0.0.1/efetch")
    record = cache.load(PIK3CA)
    assert record is not None
    assert record.length == 9259


def test_a_bad_record_is_never_written(tmp_path: Path) -> None:
    cache = _empty_cache(tmp_path)
    with pytest.raises(RecordError, match=r"the record is NM_004958\.4, not the NM_006218\.4"):
        cache.store(PIK3CA, RecordFormat.FASTA, _bundled_text("NM_004958.4.fasta"), source="x")
    assert not (tmp_path / "cache").exists()


def test_a_directory_written_by_hand_works_as_a_cache(tmp_path: Path) -> None:
    by_hand = tmp_path / "my-records"
    by_hand.mkdir()
    shutil.copy(refseq_dir() / "NM_002046.7.exons.fasta", by_hand)
    cache = RecordCache(by_hand, read_also=())
    record = cache.load(parse_accession("NM_002046.7"))
    assert record is not None
    assert len(record.exons) == 9


def test_bundled_records_are_read_after_the_users(tmp_path: Path) -> None:
    cache = RecordCache(tmp_path / "cache")
    assert cache.find(PIK3CA) == (refseq_dir() / "NM_006218.4.fasta", RecordFormat.FASTA)
    cache.store(PIK3CA, RecordFormat.FASTA, _bundled_text("NM_006218.4.fasta"), source="x")
    assert cache.find(PIK3CA) == (tmp_path / "cache" / "NM_006218.4.fasta", RecordFormat.FASTA)


def test_a_changed_file_fails_its_checksum(tmp_path: Path) -> None:
    cache = _empty_cache(tmp_path)
    path = cache.store(PIK3CA, RecordFormat.FASTA, _bundled_text("NM_006218.4.fasta"), source="x")
    path.write_text(path.read_text().replace("AGTTCC", "AGTTCG", 1))
    with pytest.raises(CacheError, match=r"NM_006218.4.fasta does not match the checksum"):
        cache.load(PIK3CA)


def test_a_damaged_hand_written_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "NM_006218.4.fasta").write_text("<html>oops</html>")
    cache = RecordCache(tmp_path, read_also=())
    with pytest.raises(CacheError, match=r"NM_006218.4.fasta is not a usable record"):
        cache.load(PIK3CA)


def test_answers_expire_after_their_ttl(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = RecordCache(tmp_path, read_also=(), answer_ttl_s=3600, clock=lambda: now[0])
    cache.put_answer("newest-NM_006218", "NM_006218.4")
    now[0] += 3599
    assert cache.get_answer("newest-NM_006218") == "NM_006218.4"
    now[0] += 2
    assert cache.get_answer("newest-NM_006218") is None


@pytest.mark.parametrize("key", ["../escape", ".hidden", "a/b", ""])
def test_unsafe_answer_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="unsafe answer key"):
        RecordCache(tmp_path, read_also=()).put_answer(key, 1)


def test_default_cache_dir_follows_the_environment() -> None:
    assert default_cache_dir({"ASSAY_CACHE": "/data/c"}) == Path("/data/c")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/assay")
    assert default_cache_dir({"HOME": "/h"}) == Path("/h/.cache/assay")


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from assay.data import refseq_dir
    from assay.primers.accession import parse_accession
    from assay.primers.cache import RecordCache
    from assay.primers.records import RecordFormat
    cache = RecordCache(Path(sys.argv[1]), read_also=())
    records = {records!r}
    for _ in range(5):
        for accession, fmt, name in records:
            text = (refseq_dir() / name).read_text()
            cache.store(parse_accession(accession), RecordFormat(fmt), text, source=sys.argv[2])
    """
)


def test_several_processes_fill_one_cache_and_every_file_is_whole(tmp_path: Path) -> None:
    directory = tmp_path / "shared-cache"
    script = _WRITER.format(records=[(a, f.value, n) for a, f, n in RECORDS])
    writers = [
        subprocess.Popen([sys.executable, "-P", "-c", script, str(directory), f"writer-{i}"])
        for i in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    cache = RecordCache(directory, read_also=())
    index = cache.index()
    for accession, fmt, name in RECORDS:
        written = directory / f"{accession}.{fmt.value}"
        assert written.read_bytes() == (refseq_dir() / name).read_bytes()
        assert index[written.name].sha256 == hashlib.sha256(written.read_bytes()).hexdigest()
        assert cache.load(parse_accession(accession)) is not None
    assert not list(directory.glob(".*.part"))
    json.loads((directory / "index.json").read_text())  # whole JSON, not interleaved writes


_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from assay.data import refseq_dir
    from assay.primers.accession import parse_accession
    from assay.primers.cache import RecordCache
    from assay.primers.records import RecordFormat

    def stall(fd):  # the bytes are in the .part file; the rename has not happened yet
        print("writing", flush=True)
        time.sleep(60)

    os.fsync = stall
    cache = RecordCache(Path(sys.argv[1]), read_also=())
    text = (refseq_dir() / "NM_006218.4.fasta").read_text()
    cache.store(parse_accession("NM_006218.4"), RecordFormat.FASTA, text, source="x")
    """
)


def test_a_writer_killed_mid_write_leaves_nothing_read_as_a_record(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    with subprocess.Popen(
        [sys.executable, "-P", "-c", _KILLED_WRITER, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert [p.name for p in directory.iterdir() if p.name.endswith(".part")]  # debris exists
    cache = RecordCache(directory, read_also=())
    assert cache.find(PIK3CA) is None
    assert cache.load(PIK3CA) is None
    # and the cache still works afterwards
    cache.store(PIK3CA, RecordFormat.FASTA, _bundled_text("NM_006218.4.fasta"), source="x")
    loaded = cache.load(PIK3CA)
    assert loaded is not None
    assert loaded.length == 9259


@pytest.mark.parametrize("text", ["[1, 2]", '{"NM_002046.7.gb": 5}', '"text"'])
def test_an_index_of_another_shape_is_named_not_used(tmp_path: Path, text: str) -> None:
    cache = RecordCache(tmp_path, read_also=())
    (tmp_path / "index.json").write_text(text)
    gapdh = (refseq_dir() / "NM_002046.7.exons.fasta").read_text()
    with pytest.raises(CacheError, match="is not an index assay wrote"):
        cache.store(parse_accession("NM_002046.7"), RecordFormat.EXONS, gapdh, source="test")
