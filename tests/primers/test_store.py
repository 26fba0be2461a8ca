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
