"""Reaction conditions for thermodynamic calculations, and named presets.

One frozen `ReactionConditions` holds every concentration that changes a Tm or a ΔG; it is passed to
every calculation and echoed in every report.

>>> PRESETS["primer3"].dv_conc_mm
1.5
>>> ReactionConditions(mv_conc_mm=-1)
Traceback (most recent call last):
...
ValueError: mv_conc_mm must be a finite number >= 0, got -1
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MIN_CATIONS_MM = 1e-6  # less screening cation than this is none (a Tm formula takes its log)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionConditions:
    """Concentrations and temperature for Tm and ΔG (SantaLucia 1998; Owczarzy 2008 for Mg²⁺).

    The defaults are Primer3's and primer3-py's own (PRIMER_SALT_MONOVALENT 50 mM,
    PRIMER_SALT_DIVALENT 1.5 mM, PRIMER_DNTP_CONC 0.6 mM, PRIMER_DNA_CONC 50 nM, ΔG at 37 °C), so
    numbers agree with what users see in Primer3 and Primer-BLAST.

    Attributes:
        name: A label shown in reports ("primer3", "sybr-2x", or "custom").
        mv_conc_mm: Monovalent cations (K⁺, Na⁺), mM.
        dv_conc_mm: Divalent cations (Mg²⁺), mM.
        dntp_conc_mm: Total dNTP, mM (dNTPs chelate Mg²⁺).
        primer_conc_nm: Concentration of each primer, nM.
        temp_c: Temperature at which ΔG of hairpins and dimers is computed, °C.
    """

    name: str = "primer3"
    mv_conc_mm: float = 50.0
    dv_conc_mm: float = 1.5
    dntp_conc_mm: float = 0.6
    primer_conc_nm: float = 50.0
    temp_c: float = 37.0

    def __post_init__(self) -> None:
        for field_name in ("mv_conc_mm", "dv_conc_mm", "dntp_conc_mm", "primer_conc_nm"):
            value = getattr(self, field_name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{field_name} must be a finite number >= 0, got {value!r}")
        if self.primer_conc_nm == 0:
            raise ValueError("primer_conc_nm must be above 0, got 0")
        if (
            self.mv_conc_mm < MIN_CATIONS_MM
            and self.dv_conc_mm - self.dntp_conc_mm < MIN_CATIONS_MM
        ):
            # No cation left to screen the backbones: no duplex Tm can be computed.
            raise ValueError(
                f"no free cations: monovalent (mv_conc_mm) below {MIN_CATIONS_MM:g} mM and Mg2+ "
                "(dv_conc_mm "
                f"{self.dv_conc_mm:g}) does not exceed dNTP ({self.dntp_conc_mm:g} mM, which binds "
                "it); give one of them above that"
            )
        if not (isinstance(self.temp_c, int | float) and -20 <= self.temp_c <= 100):
            raise ValueError(f"temp_c must be between -20 and 100 °C, got {self.temp_c!r}")

    def as_dict(self) -> dict[str, float | str]:
        """Return the conditions as a plain mapping for reports."""
        return asdict(self)

    def describe(self) -> str:
        """Return a one-line human description, e.g. for the terminal report."""
        return (
            f"{self.name}: {self.mv_conc_mm:g} mM monovalent, {self.dv_conc_mm:g} mM Mg2+, "
            f"{self.dntp_conc_mm:g} mM dNTP, {self.primer_conc_nm:g} nM each primer; "
            f"dG at {self.temp_c:g} C"
        )


PRESETS: dict[str, ReactionConditions] = {
    # Primer3 / primer3-py / Primer-BLAST defaults.
    "primer3": ReactionConditions(),
    # A typical 2x SYBR Green master mix used at 1x: about 50 mM K+, 3 mM Mg2+, 0.2 mM of each dNTP
    # and primers at 300 nM (mix manuals advise 100-500 nM). Typical, not any one product: give your
    # mix's data-sheet values with the explicit options where they differ.
    "sybr-2x": ReactionConditions(
        name="sybr-2x", mv_conc_mm=50.0, dv_conc_mm=3.0, dntp_conc_mm=0.8, primer_conc_nm=300.0
    ),
}
