"""The Python API: what the `assay` command does, for notebooks and scripts.

Each function takes paths (or tables already read) and returns the typed result the command
prints, with data frames where rows are natural (`.expression`, `.tests`, `.summary`). Figures are
drawn by `assay.analysis.figures` from those results.

>>> import assay
>>> report = assay.validate(assay.data.table1_path(), offline=True)
>>> [(p.pair.gene, p.verdict.value) for p in report.pairs][3]
('mTOR', 'fail')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.analysis.ddct import Expression
    from assay.analysis.viability import Viability
    from assay.primers.validate import ValidationReport


def validate(
    table: str | Path, *, offline: bool = False, databases: Sequence[str | Path] = ()
) -> ValidationReport:
    """Validate a primer table as `assay validate` does (default conditions and limits).

    Args:
        table: The primer table (.tsv, .csv or .xlsx).
        offline: Use only cached and bundled records.
        databases: FASTA files to search for off-target products.
    """
    from assay.primers.cache import RecordCache, default_cache_dir
    from assay.primers.entrez import EntrezClient, settings_from
    from assay.primers.offtarget import DatabaseSearch
    from assay.primers.store import RecordStore
    from assay.primers.table import read_primer_table
    from assay.primers.validate import validate_pairs

    cache = RecordCache(default_cache_dir())
    client = None if offline else EntrezClient(settings_from())
    search = DatabaseSearch(paths=tuple(str(d) for d in databases)) if databases else None
    try:
        return validate_pairs(
            read_primer_table(table), source=str(table), records=RecordStore(cache, client),
            off_targets=search,
        )  # fmt: skip
    finally:
        if client is not None:
            client.close()


def analyze(
    ct_table: str | Path,
    *,
    reference: str | Sequence[str],
    control: str,
    by: Sequence[str] = (),
    replicates: str = "auto",
    welch: bool = False,
    correction: str = "bh",
    interval: str = "ci",
) -> Expression:
    """Relative expression (2^-ΔΔCt) with statistics, as `assay analyze` computes it.

    Args:
        ct_table: One row per well (group, gene, ct; sample for technical replicates).
        reference: Reference gene(s).
        control: The calibrator group.
        by: Columns that split the analysis into panels.
        replicates: "auto", "biological" or "technical" (see `assay analyze --help`).
        welch: Welch's t-test instead of Student's.
        correction: "bh" (default), "holm" or "none", over every p-value shown.
        interval: "ci" (default), "sd" or "quantstudio" (see `assay analyze --help`).
    """
    from assay.analysis.ddct import Interval, Settings, relative_expression
    from assay.analysis.stats import Correction
    from assay.analysis.wells import read_wells

    references = (reference,) if isinstance(reference, str) else tuple(reference)
    settings = Settings(
        reference_genes=references, control=control, panels=tuple(by), welch=welch,
        replicates=replicates, correction=Correction(correction), interval=Interval(interval),
    )  # fmt: skip
    table = read_wells(ct_table, panels=settings.panels)
    return relative_expression(table.wells, settings, source=table.source)


def viability(
    od_table: str | Path,
    *,
    control: str,
    by: Sequence[str] = (),
    reference_nm: int | None = 630,
    blank_group: str | None = "blank",
) -> Viability:
    """MTT viability (% of control) with the tests `assay viability` runs.

    Args:
        od_table: One row per well: group, od570 (and od630), optional experiment.
        control: The control group (100 %).
        by: Columns that split the analysis into panels.
        reference_nm: Reference wavelength, or None.
        blank_group: The group of blank wells.
    """
    from assay.analysis.viability import ViabilitySettings, read_od_table
    from assay.analysis.viability import viability as compute

    settings = ViabilitySettings(
        control=control, panels=tuple(by), reference_nm=reference_nm, blank_group=blank_group
    )
    return compute(read_od_table(od_table, settings), settings)
