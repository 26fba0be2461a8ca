"""Validation of large primer tables on a Dask cluster (a LocalCluster, or a scheduler's workers).

Single process is the default and needs no Dask at all; `pip install 'assay[dask]'` adds it.
The work is split so that the cluster only computes:

* records, NCBI's variant lists and record status are fetched by this process first, once per
  cited accession (NCBI's rate limit is per user, not per worker), into the record cache;
  workers read that cache and never contact NCBI;
* a database searched for off-targets by more than `SCAN_MAX_PAIRS` pairs has its index built
  here first; workers memory-map it;
* pairs go out in chunks, and the reports come back in table order, the same as a single
  process would give (tests compare the two).

For a scheduler on other machines, the record cache and the FASTA databases must be on storage
every worker sees at the same path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import AssayError, InputError
from assay.primers.conditions import ReactionConditions
from assay.primers.model import PrimerPair
from assay.primers.thresholds import Thresholds

if TYPE_CHECKING:
    from assay.primers.offtarget import DatabaseSearch
    from assay.primers.store import RecordStore
    from assay.primers.validate import PairReport, ValidationReport

CHUNK_PAIRS = 250


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    """Where to run: `workers` local processes (a LocalCluster), or an existing scheduler."""

    workers: int = 0
    scheduler: str | None = None

    @property
    def wanted(self) -> bool:
        """True when a cluster is asked for at all."""
        return self.workers > 0 or self.scheduler is not None

    def describe(self) -> str:
        """For the output: where the work ran."""
        if self.scheduler is not None:
            return f"Dask scheduler {self.scheduler}"
        return f"Dask LocalCluster of {self.workers} worker process(es)"


@dataclass(frozen=True, slots=True, kw_only=True)
class _SearchSpec:
    """What a worker needs to rebuild the off-target search (no callables cross the wire)."""

    paths: tuple[str, ...]
    rule: Any
    max_bp: int

    def rebuilt(self) -> DatabaseSearch:
        """The search, on the worker."""
        from assay.primers.offtarget import DatabaseSearch

        return DatabaseSearch(paths=self.paths, rule=self.rule, max_bp=self.max_bp)


def _validate_chunk(
    pairs: list[PrimerPair], conditions: ReactionConditions, thresholds: Thresholds,
    cache_dir: str | None, search: _SearchSpec | None,
) -> list[PairReport]:  # fmt: skip
    """On a worker: validate a chunk against the record cache, offline."""
    from assay.primers.cache import RecordCache
    from assay.primers.store import RecordStore
    from assay.primers.validate import validate_pairs

    records = RecordStore(RecordCache(Path(cache_dir))) if cache_dir is not None else None
    off_targets = search.rebuilt() if search is not None else None
    report = validate_pairs(pairs, conditions, thresholds, records=records,
                            off_targets=off_targets)  # fmt: skip
    return list(report.pairs)


def _warm(store: RecordStore, accessions: Iterable[str | None]) -> None:
    """Fetch what validation will look up for each cited accession into the cache, once."""
    from assay.primers.accession import parse_versioned

    for accession in dict.fromkeys(a for a in accessions if a):
        try:
            parsed = parse_versioned(accession)
            record = store.transcript(parsed)
            store.variants_of(record)
            store.status(parsed)
        except (AssayError, ValueError):
            continue  # the worker meets the same gap and reports it for the pair


WORKERS_PER_CORE = 4  # local worker processes beyond this only fight over the cores and memory
_SCHEDULER = re.compile(r"tcp://(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})")


def scheduler_address(address: str) -> tuple[str, int]:
    """(host, port) of a Dask scheduler address, refused in one line when it is not one.

    >>> scheduler_address("tcp://10.0.0.5:8786")
    ('10.0.0.5', 8786)
    """
    found = _SCHEDULER.fullmatch(address.strip())
    port = int(found.group("port")) if found else 0
    if found is None or not 1 <= port <= 65535:
        why = (" (tls:// needs certificates assay does not set up: use tcp:// inside a trusted "
               "network, or an SSH tunnel)" if address.startswith("tls://") else "")  # fmt: skip
        raise InputError(f"is not a Dask scheduler address like tcp://10.0.0.5:8786{why}",
                         column="--scheduler", value=address)  # fmt: skip
    return found.group("host").strip("[]"), port


SCHEDULER_TIMEOUT_S = 10
CONNECT_TIMEOUT_S = 3.0  # a closed port or an unknown host is said in seconds, not half a minute


def _reachable(address: str) -> None:
    """Refuse at once a scheduler whose host is unknown or whose port does not answer."""
    import socket

    host, port = scheduler_address(address)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(f"cannot reach the Dask scheduler: {reason}", value=address) from None


def _client(cluster: Cluster) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--workers and --scheduler need Dask: pip install 'assay[dask]'") from None
    if cluster.scheduler is not None:
        _reachable(cluster.scheduler)
        try:
            return Client(cluster.scheduler, timeout=SCHEDULER_TIMEOUT_S)  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TypeError) as error:
            raise InputError(f"cannot reach the Dask scheduler ({error})",
                             value=cluster.scheduler) from None  # fmt: skip
    local = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=cluster.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(local)  # type: ignore[no-untyped-call]


def _run(
    cluster: Cluster, calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
    progress: Callable[[int, int], None] | None,
) -> list[Any]:  # fmt: skip
    """Run each (function, arguments) as a task; the results in the order of `calls`."""
    client = _client(cluster)
    try:
        futures = [client.submit(function, *arguments, pure=False)
                   for function, arguments in calls]  # fmt: skip
        from dask.distributed import as_completed

        for done, _ in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            if progress is not None:
                progress(done, len(futures))
        return [future.result() for future in futures]
    finally:
        cluster_object = getattr(client, "cluster", None)
        client.close()
        if cluster_object is not None and cluster.scheduler is None:
            cluster_object.close()


def _search_spec(off_targets: DatabaseSearch | None, build: bool) -> _SearchSpec | None:
    """What workers need of the search; with `build`, each database's index is built here."""
    if off_targets is None:
        return None
    if build:
        off_targets.build_indexes()
    return _SearchSpec(paths=off_targets.paths, rule=off_targets.rule, max_bp=off_targets.max_bp)


def validate_on_cluster(
    pairs: Sequence[PrimerPair],
    cluster: Cluster,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    *,
    source: str | None = None,
    records: RecordStore | None = None,
    off_targets: DatabaseSearch | None = None,
    chunk: int = CHUNK_PAIRS,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """`validate.validate_pairs` on a Dask cluster; the same report, in table order.

    Args:
        pairs: The pairs.
        cluster: Where to run.
        conditions: Reaction conditions (default: Primer3's).
        thresholds: Limits of the checks.
        source: The table, for the report.
        records: The record store; its cache is what the workers read.
        off_targets: Databases to search.
        chunk: Pairs per task.
        progress: Called with (chunks done, chunks) as results come back.
    """
    from assay.primers.offtarget import SCAN_MAX_PAIRS
    from assay.primers.validate import ValidationReport

    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    if records is not None:
        _warm(records, (p.accession for p in pairs))
    search = _search_spec(off_targets, build=len(pairs) > SCAN_MAX_PAIRS)
    cache_dir = str(records.cache.directory) if records is not None else None
    pieces = [list(pairs[i : i + chunk]) for i in range(0, len(pairs), chunk)]
    calls = [(_validate_chunk, (piece, conditions, limits, cache_dir, search)) for piece in pieces]
    reports = [report for done in _run(cluster, calls, progress) for report in done]
    return ValidationReport(pairs=tuple(reports), conditions=conditions, thresholds=limits,
                            source=source)  # fmt: skip


def _design_one(
    accession: str, gene: str | None, settings: Any, conditions: ReactionConditions,
    thresholds: Thresholds, cache_dir: str, search: _SearchSpec | None, want: int,
) -> Any:  # fmt: skip
    """On a worker: design one target from the record cache, offline."""
    from assay.primers.accession import parse_versioned
    from assay.primers.cache import RecordCache
    from assay.primers.design import design_pairs
    from assay.primers.store import RecordStore

    store = RecordStore(RecordCache(Path(cache_dir)))
    off_targets = search.rebuilt() if search is not None else None
    return design_pairs(store.transcript(parse_versioned(accession)), gene=gene,
                        settings=settings, conditions=conditions, thresholds=thresholds,
                        records=store, off_targets=off_targets, want=want)  # fmt: skip


def design_on_cluster(
    targets: Sequence[tuple[str, str | None]],
    cluster: Cluster,
    *,
    records: RecordStore,
    settings: Any = None,
    conditions: ReactionConditions | None = None,
    thresholds: Thresholds | None = None,
    off_targets: DatabaseSearch | None = None,
    want: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """`design.design_pairs` for every (accession, gene) target on a Dask cluster, in order.

    Each target's record (and what validation looks up for it) is fetched here first; each
    database's index is built here once; workers design from the cache.
    """
    from assay.primers.design import DesignSettings

    conditions = conditions or ReactionConditions()
    limits = thresholds or Thresholds()
    settings = settings or DesignSettings()
    _warm(records, (accession for accession, _ in targets))
    search = _search_spec(off_targets, build=True)  # design searches many candidates: index
    cache = str(records.cache.directory)
    calls = [(_design_one, (accession, gene, settings, conditions, limits, cache, search, want))
             for accession, gene in targets]  # fmt: skip
    return _run(cluster, calls, progress)
