"""Every threshold the primer checks use, in one place, each with where it comes from.

Sources:
    Primer3 manual (primer3 2.x, the defaults also used by primer3-py and Primer3Plus).
    Primer-BLAST (Ye et al. 2012, BMC Bioinformatics 13:134), its default primer parameters.
    PrimerBank design rules (Wang & Seed 2003, Nucleic Acids Res 31:e154; Spandidos et al. 2010).
    PREMIER Biosoft primer design guidelines, for tolerated ΔG of hairpins and dimers.
    IDT OligoAnalyzer guidance: dimers more stable than −9 kcal/mol are likely to interfere.
    MIQE (Bustin et al. 2009, Clin Chem 55:611) requires these properties to be reported; it sets
    no numbers itself.

>>> Thresholds().tm_diff_warn_c
3.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Limits of the primer and pair checks. Outside a `warn` limit: warn; outside `fail`: fail.

    Attributes:
        length_min_nt: Shortest advisable primer (Primer3 PRIMER_MIN_SIZE 18).
        length_max_nt: Longest advisable primer (Primer3 PRIMER_MAX_SIZE 27).
        length_fail_min_nt: Shorter fails (Primer-BLAST accepts primers from 15 nt).
        length_fail_max_nt: Longer fails (Primer3 computes Tm for oligos up to 36 nt).
        gc_min_pct: Lowest advisable GC % (PrimerBank and common design rules: 40-60 %).
        gc_max_pct: Highest advisable GC %.
        gc_fail_min_pct: Lower fails (Primer3 PRIMER_MIN_GC 20).
        gc_fail_max_pct: Higher fails (Primer3 PRIMER_MAX_GC 80).
        clamp_window_nt: 3'-end window for the GC clamp (Primer3 uses the last 5 bases).
        clamp_min_gc: Fewest G/C in that window (a GC clamp: at least one G or C).
        clamp_max_gc: Most G/C in that window (more than 3 favours mispriming: PREMIER Biosoft;
            Primer3 PRIMER_MAX_END_GC can enforce it).
        max_run_nt: Longest single-base run (Primer3 PRIMER_MAX_POLY_X 5).
        max_dinucleotide_copies: Most tandem copies of a dinucleotide (PREMIER Biosoft: 4).
        tm_min_c: Lowest advisable Tm (Primer3 and Primer-BLAST PRIMER_MIN_TM 57).
        tm_max_c: Highest advisable Tm (PRIMER_MAX_TM 63).
        hairpin_tm_max_c: Hairpins melting above this warn (Primer3 PRIMER_MAX_HAIRPIN_TH 47).
        dimer_dg_warn_kcal_per_mol: Dimers more stable than this warn (PREMIER Biosoft tolerates
            internal dimers to −6 kcal/mol).
        dimer_dg_fail_kcal_per_mol: Dimers more stable than this fail (IDT: −9 kcal/mol).
        three_prime_dimer_dg_warn_kcal_per_mol: 3'-anchored dimers more stable than this warn
            (PREMIER Biosoft tolerates 3'-end dimers to −5 kcal/mol).
        end_stability_max_kcal_per_mol: Most stable advisable 3' pentamer, −ΔG°37 (Primer3 1.x
            PRIMER_MAX_END_STABILITY 9.0).
        tm_diff_warn_c: Pair Tm difference above this warns (Primer-BLAST
            PRIMER_PAIR_MAX_DIFF_TM 3).
        tm_diff_fail_c: Above this fails (Primer3 2.x PRIMER_PAIR_MAX_DIFF_TM 5).
        anneal_above_tm_warn_c: Annealing more than this above the lower primer Tm warns (Applied
            Biosystems' Primer Express designs primers of Tm 58-60 °C for 60 °C annealing).
        anneal_above_tm_fail_c: More than this above it fails (far above their Tm, primers
            hardly bind).
        anneal_below_tm_warn_c: Annealing this far below the lower primer Tm warns (mispriming).
    """

    length_min_nt: int = 18
    length_max_nt: int = 27
    length_fail_min_nt: int = 15
    length_fail_max_nt: int = 36
    gc_min_pct: float = 40.0
    gc_max_pct: float = 60.0
    gc_fail_min_pct: float = 20.0
    gc_fail_max_pct: float = 80.0
    clamp_window_nt: int = 5
    clamp_min_gc: int = 1
    clamp_max_gc: int = 3
    max_run_nt: int = 5
    max_dinucleotide_copies: int = 4
    tm_min_c: float = 57.0
    tm_max_c: float = 63.0
    hairpin_tm_max_c: float = 47.0
    dimer_dg_warn_kcal_per_mol: float = -6.0
    dimer_dg_fail_kcal_per_mol: float = -9.0
    three_prime_dimer_dg_warn_kcal_per_mol: float = -5.0
    end_stability_max_kcal_per_mol: float = 9.0
    tm_diff_warn_c: float = 3.0
    tm_diff_fail_c: float = 5.0
    anneal_above_tm_warn_c: float = 2.0
    anneal_above_tm_fail_c: float = 5.0
    anneal_below_tm_warn_c: float = 10.0

    def __post_init__(self) -> None:
        pairs = [
            ("length_fail_min_nt", "length_min_nt"),
            ("length_min_nt", "length_max_nt"),
            ("length_max_nt", "length_fail_max_nt"),
            ("gc_fail_min_pct", "gc_min_pct"),
            ("gc_min_pct", "gc_max_pct"),
            ("gc_max_pct", "gc_fail_max_pct"),
            ("clamp_min_gc", "clamp_max_gc"),
            ("tm_min_c", "tm_max_c"),
            ("dimer_dg_fail_kcal_per_mol", "dimer_dg_warn_kcal_per_mol"),
            ("tm_diff_warn_c", "tm_diff_fail_c"),
            ("anneal_above_tm_warn_c", "anneal_above_tm_fail_c"),
        ]
        for low, high in pairs:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(
                    f"threshold {low} ({getattr(self, low)}) must not exceed "
                    f"{high} ({getattr(self, high)})"
                )

    def as_dict(self) -> dict[str, float]:
        """Return the thresholds as a plain mapping for reports."""
        return asdict(self)

    @classmethod
    def names(cls) -> list[str]:
        """Return the names of all thresholds (for `--threshold NAME=VALUE`)."""
        return [f.name for f in fields(cls)]
