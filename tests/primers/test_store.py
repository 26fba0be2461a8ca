from __future__ import annotations

from pathlib import Path

import pytest

from assay.data import refseq_dir
from assay.errors import RecordNotFound
from assay.primers.accession import parse_accession
from assay.primers.cache import RecordCache
from assay.primers.records import RecordFormat, parse_record
from assay.primers.store import InMemoryRecords, RecordStore

GAPDH = parse_accession("NM_002046.7")


def test_offline_store_reads_the_bundled_records(tmp_path: Path) -> None:
    store = RecordStore(RecordCache(tmp_path))
    assert store.offline
    assert len(store.transcript(GAPDH).exons) == 9


def test_offline_store_names_the_command_that_would_fetch(tmp_path: Path) -> None:
    store = RecordStore(RecordCache(tmp_path))
    with pytest.raises(
        RecordNotFound, match=r"offline\. Fetch it when online with: assay fetch NM_004972\.4"
    ):
        store.transcript(parse_accession("NM_004972.4"))


def test_in_memory_records() -> None:
    text = (refseq_dir() / "NM_002046.7.exons.fasta").read_text()
    record = parse_record(text, RecordFormat.EXONS, GAPDH)
    records = InMemoryRecords({"NM_002046.7": record})
    assert records.transcript(GAPDH) is record
    with pytest.raises(RecordNotFound, match=r"NM_006218\.4 is not among the records given"):
        records.transcript(parse_accession("NM_006218.4"))


def test_status_and_variants_are_kept_for_their_ttl(tmp_path: Path) -> None:
    from eutils_server import running

    from assay.primers.entrez import EntrezClient, EntrezSettings, RateLimiter

    now = [1_700_000_000.0]
    with running() as ncbi:
        ncbi.statuses["NM_006218.3"] = ("replaced", "NM_006218.4")
        ncbi.genes["5290"] = ["NM_006218.4", "XM_006713658.5"]
        cache = RecordCache(tmp_path, answer_ttl_s=86400, clock=lambda: now[0])
        client = EntrezClient(
            EntrezSettings(email="lab@example.org", base_url=ncbi.url), limiter=RateLimiter(1000)
        )
        store = RecordStore(cache, client)
        old = parse_accession("NM_006218.3")
        status = store.status(old)
        assert status is not None
        assert (status.status, str(status.replaced_by)) == ("replaced", "NM_006218.4")
        variants = store.variants(parse_accession("NM_006218.4"))
        assert [str(v) for v in variants or []] == ["NM_006218.4", "XM_006713658.5"]
        asked = len(ncbi.requests)
        # within the TTL: answered from the cache, also offline
        assert store.status(old) == status
        assert RecordStore(cache).variants(parse_accession("NM_006218.4")) == variants
        assert len(ncbi.requests) == asked
        # past the TTL: asked again
        now[0] += 86401
        assert store.status(old) == status
        assert len(ncbi.requests) == asked + 1
        client.close()
    assert RecordStore(RecordCache(tmp_path / "empty")).status(old) is None


def test_genomic_extracts_are_read_once_a_run_and_again_when_one_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Design asks for the extracts once per candidate pair: they are read once, and read again
    # when a file is added or changed.
    cache = RecordCache(tmp_path, read_also=())
    folder = tmp_path / "genomic"
    folder.mkdir()
    (folder / "one.fa").write_text(">one extract\nACGTACGTAC\n")
    store = RecordStore(cache)
    reads: list[int] = []
    original = cache.genomic_records

    def counted() -> list:  # type: ignore[type-arg]
        reads.append(1)
        return original()

    monkeypatch.setattr(cache, "genomic_records", counted)
    assert [g.name for g in store.genomic_records()] == ["one"]
    assert [g.name for g in store.genomic_records()] == ["one"]
    assert len(reads) == 1
    (folder / "two.fa").write_text(">two\nTTTTGGGGCC\n")
    assert [g.name for g in store.genomic_records()] == ["one", "two"]
    assert len(reads) == 2
