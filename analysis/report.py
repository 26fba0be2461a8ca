"""report.html: one self-contained file a scientist can hand to a colleague.

Figures are embedded (base64 PNG), there is no script and nothing is loaded from the network. The
methods paragraph is written from what was actually done, so it can be pasted into a paper.
"""

from __future__ import annotations

import base64
import html
import math
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assay import __version__
from assay.data import shown_path

if TYPE_CHECKING:
    import pandas as pd

    from assay.analysis.ddct import Expression, Settings
    from assay.analysis.rawcurves import CurveAnalysis
    from assay.analysis.viability import Viability, ViabilitySettings

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
td.seq { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; overflow-wrap: anywhere; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #006e3c; font-weight: 600; } .warn { color: #a35a00; font-weight: 600; }
.fail { color: #b00020; font-weight: 600; } .unverified { color: #555; font-weight: 600; }
figure { margin: 1rem 0; } figure img { max-width: 100%; }
figcaption { font-size: 13px; color: #333; }
.methods { background: #f8f8f4; border-left: 4px solid #0072B2; padding: .6rem 1rem; }
pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; font-size: 12px; }
.muted { color: #666; }
"""


@dataclass
class ReportInputs:
    """Everything a report can show; any part may be missing."""

    title: str = "assay report"
    validation: dict[str, Any] | None = None
    expression: Expression | None = None
    expression_settings: Settings | None = None
    expression_source: str | None = None
    excluded: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)
    viability: Viability | None = None
    viability_settings: ViabilitySettings | None = None
    viability_source: str | None = None
    figures: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    curves: CurveAnalysis | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    qc: str = ""  # the QC summary line ("QC: 178 wells ok, 2 flagged, 9 excluded")


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if 0 < abs(value) < 0.001:
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return _e(value)


def _p(value: Any) -> str:
    """A p-value to two significant figures (0.0011, 2.8e-04), never rounded to 0.00."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def _table(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{_e(label)}</th>" for _, label in columns)
    rows = []
    for record in cast("list[dict[str, Any]]", frame.to_dict(orient="records")):
        cells = []
        for key, _ in columns:
            value = record.get(key)
            css = ' class="num"' if isinstance(value, int | float) else ""
            shown = _p(value) if key in ("p_value", "p_adjusted") else _num(value)
            cells.append(f"<td{css}>{shown}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


SPLIT_ROWS = 60  # a result table longer than this is split by gene, each part collapsible

# Filters the gene blocks by name as one types (no network, no library).
_SEARCH_SCRIPT = (
    "<script>function assayFilter(box){const q=box.value.trim().toLowerCase();"
    "document.querySelectorAll('details.gene').forEach(d=>{d.style.display="
    "(!q||d.dataset.gene.toLowerCase().includes(q))?'':'none';});}</script>"
)


def _table_by_gene(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> str:
    """The result table: whole when short; else one collapsible block per gene with a search box."""
    if len(frame) <= SPLIT_ROWS or "gene" not in frame:
        return _table(frame, columns)
    from assay.tables import natural_key

    genes = sorted({str(g) for g in frame["gene"]}, key=natural_key)
    blocks = "".join(
        f"<details class='gene' data-gene='{_e(gene)}'><summary>{_e(gene)} "
        f"({int((frame['gene'].astype(str) == gene).sum())} rows)</summary>"
        + _table(frame[frame["gene"].astype(str) == gene], columns) + "</details>"
        for gene in genes
    )  # fmt: skip
    return (
        f"{_SEARCH_SCRIPT}<p><label>Find a gene: <input type='search' id='gene-search' "
        f"oninput='assayFilter(this)' placeholder='name'></label> <span class='muted'>"
        f"{len(genes)} genes, {len(frame)} rows (all in expression.csv)</span></p>{blocks}"
    )


def _why_unverified(message: str) -> bool:
    """True for the finding that says why a pair's record could not be had."""
    return message.startswith(("record not available", "no accession"))


def _sentence(text: str) -> str:
    """The text with its first letter upper case (str.capitalize would lower "ANOVA")."""
    return text[:1].upper() + text[1:]


def _key_values(values: dict[str, Any]) -> str:
    """A two-column table of names and values; lists and mappings are written out inline."""

    def shown(value: Any) -> str:
        if isinstance(value, dict):
            return "; ".join(f"{k}: {shown(v)}" for k, v in value.items()) or "–"
        if isinstance(value, list | tuple):
            return ", ".join(shown(v) for v in value) or "–"
        return "–" if value is None else str(value)

    rows = "".join(
        f"<tr><th>{_e(name.replace('_', ' '))}</th><td>{_e(shown(value))}</td></tr>"
        for name, value in values.items()
    )
    return f"<table class='kv'>{rows}</table>"


_MIQE_LABELS = {
    "gene": "Gene", "accession": "RefSeq accession", "amplicon_length_bp": "Amplicon length",
    "amplicon_context_sequence": "Amplicon context sequence",
    "amplicon_context_start": "Context starts at nt", "forward_primer": "Forward primer (5'→3')",
    "reverse_primer": "Reverse primer (5'→3')", "probe": "Probe (5'→3')",
    "forward_location": "Forward primer site", "reverse_location": "Reverse primer site",
    "intron_spanning": "Spans an exon-exon junction or intron",
    "splice_variants_targeted": "Transcript variants detected",
    "annealing_temperature_c": "Annealing temperature",
    "reaction_conditions": "Reaction conditions (for Tm and ΔG)",
}  # fmt: skip


def _miqe_value(name: str, value: Any) -> str:
    """A MIQE item in words with its unit ("72 bp", "60 °C", "Mg²⁺ 1.5 mM")."""
    if value is None or value == "" or value == []:
        return "–"
    if name.endswith("_bp"):
        return f"{value} bp"
    if name.endswith("_c"):
        return f"{value:g} °C" if isinstance(value, int | float) else f"{value} °C"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "reaction_conditions" and isinstance(value, dict):
        return _conditions_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items())
    return str(value)


def _miqe_table(miqe: dict[str, Any]) -> str:
    """The MIQE assay items with labels and units (MIQE 2.0, Bustin et al. 2025)."""
    rows = "".join(
        f"<tr><th>{_e(_MIQE_LABELS.get(name, name.replace('_', ' ')))}</th>"
        f"<td class='{'seq' if 'sequence' in name or name.endswith('_primer') else ''}'>"
        f"{_e(_miqe_value(name, value))}</td></tr>"
        for name, value in miqe.items()
    )  # fmt: skip
    return f"<table class='kv'>{rows}</table>"


def _figure(path: Path, caption: str, width_pct: int = 100) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{_e(caption)}" style="width:{width_pct}%" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def versions() -> dict[str, str]:
    """Versions of assay, Python and the libraries whose numbers appear in the report."""
    found = {"assay": __version__, "Python": platform.python_version()}
    for package in ("pandas", "numpy", "scipy", "primer3-py", "biopython", "matplotlib"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def _interval_words(expression: Any) -> str:
    """What the whiskers of the expression figure are, from the table's own interval column."""
    kinds = sorted({str(k) for k in expression.get("interval", []) if isinstance(k, str) and k})
    return "; ".join(kinds) if kinds else "none (one value per group)"


def _mapping(value: object) -> dict[str, Any]:
    """A JSON object as a dict; anything else (null, a list) as an empty one."""
    return value if isinstance(value, dict) else {}


def methods_text(inputs: ReportInputs) -> str:
    """A methods paragraph written from the settings actually used."""
    v = versions()
    parts = []
    if inputs.validation is not None:
        # A report from elsewhere may hold "conditions": null or a non-object: read as unknown.
        conditions = _mapping(inputs.validation.get("conditions"))
        parts.append(
            "Primer pairs were checked with assay: Tm and secondary structures by primer3-py "
            f"(SantaLucia 1998 nearest-neighbour; {conditions.get('mv_conc_mm')} mM monovalent, "
            f"{conditions.get('dv_conc_mm')} mM Mg2+, {conditions.get('dntp_conc_mm')} mM dNTP, "
            f"{conditions.get('primer_conc_nm')} nM primer), and binding, product size, exon "
            "structure and transcript variants against the cited RefSeq records."
        )
    s = inputs.expression_settings
    if s is not None and inputs.expression is not None:
        refs = " and ".join(s.reference_genes)
        method = (
            "the efficiency-corrected ratio (Pfaffl 2001)" if s.efficiencies
            else "the comparative Ct method, 2^-ΔΔCt (Livak & Schmittgen 2001)"
        )  # fmt: skip
        design = (
            "ΔCt was computed per cDNA sample"
            if inputs.expression.design.value == "same sample"
            else "ΔCt was computed from cell means (target minus the mean of the reference "
            "genes' means)"
        )
        parts.append(
            f"Relative expression was calculated by {method} with {refs} as reference "
            f"gene{'s (mean Ct)' if len(s.reference_genes) > 1 else ''} and {s.control} as "
            f"calibrator; {design}; {inputs.expression.method}."
        )
    vs = inputs.viability_settings
    if vs is not None:
        reference = f" minus OD{vs.reference_nm}" if vs.reference_nm else ""
        method = inputs.viability.method if inputs.viability is not None else ""
        notes = inputs.viability.notes if inputs.viability is not None else ()
        blank = (
            ", blank-subtracted" if any(n.startswith("blank subtracted") for n in notes)
            else ", not blank-subtracted (no blank wells)"
        )  # fmt: skip
        parts.append(
            f"Cell viability (MTT) was expressed as OD{vs.main_nm}{reference}{blank}; {method}."
        )
    if inputs.curves is not None:
        from assay.analysis.curves import METHOD
        from assay.analysis.melt import RULES

        parts.append(f"Raw amplification curves were analysed by a {METHOD}.")
        parts.append(f"Melt curves: {RULES}.")
    if inputs.expression is not None:
        parts.append("Fold changes are given with the range their table column 'interval' "
                     "names; p < 0.05 was considered significant.")  # fmt: skip
    if inputs.viability is not None:
        parts.append(
            "Viability values are mean ± SD with a 95 % CI (over experiments; on one plate, the "
            "interval of the difference from the control, moved onto 100 %)."
        )
    parts.append(
        f"Analyses used assay {v['assay']} (Python {v['Python']}"
        + "".join(f", {k} {val}" for k, val in v.items() if k not in ("assay", "Python"))
        + ")."
    )
    return " ".join(parts)


def _conditions_text(c: dict[str, Any]) -> str:
    temperature = f", ΔG at {c['temp_c']:g} °C" if isinstance(c.get("temp_c"), int | float) else ""
    return (
        f"{c.get('name')}: monovalent cations {c.get('mv_conc_mm')} mM, Mg²⁺ "
        f"{c.get('dv_conc_mm')} mM, dNTP {c.get('dntp_conc_mm')} mM, each primer "
        f"{c.get('primer_conc_nm')} nM{temperature}"
    )


def _sequence(pair: dict[str, Any], which: str) -> str:
    primer = pair.get(which)
    return str(primer.get("sequence", "")) if isinstance(primer, dict) else ""


def _dicts(items: Any) -> list[dict[str, Any]]:
    """The mappings in a JSON list (none when it is null or not a list)."""
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _validation_section(report: dict[str, Any]) -> str:
    rows = []
    miqe_blocks = []
    for pair in _dicts(report.get("pairs")):  # from a file (--assays): anything may be null
        verdict = str(pair.get("verdict") or "")
        # Why a pair is unverified is an info finding on its record; show it with the rest.
        reasons = [
            str(f.get("message") or f.get("code") or "a failed check").split("\n")[0]
            for f in _dicts(pair.get("findings"))
            if f.get("severity") in ("fail", "warn")
            or (verdict == "unverified" and _why_unverified(str(f.get("message", ""))))
        ]
        rows.append(
            f"<tr><td>{_e(pair.get('gene'))}</td><td>{_e(pair.get('accession') or '–')}</td>"
            f'<td class="{_e(verdict)}">{_e(verdict.upper())}</td>'
            f"<td class='seq'>{_e(_sequence(pair, 'forward'))}<br>"
            f"{_e(_sequence(pair, 'reverse'))}</td>"
            f"<td class='num'>{_num(pair.get('claimed_product_bp'))}</td>"
            f"<td class='num'>{_num(pair.get('product_bp'))}</td>"
            f"<td>{'<br>'.join(_e(r) for r in reasons) or '–'}</td></tr>"
        )
        if pair.get("miqe"):
            miqe_blocks.append(
                f"<details><summary>{_e(pair.get('gene'))}: MIQE assay information</summary>"
                f"{_miqe_table(pair['miqe'])}</details>"
            )
    conditions = _mapping(report.get("conditions"))
    return (
        "<h2>Primer validation</h2>"
        f"<p class='muted'>Conditions: {_e(_conditions_text(conditions))}. Checks not done: "
        f"{_e(', '.join(report.get('checks_not_done', [])) or 'none')}.</p>"
        "<table><tr><th>gene</th><th>accession</th><th>verdict</th><th>primers 5'→3' "
        "(forward, reverse)</th><th>claimed bp</th>"
        "<th>in-silico bp</th><th>reasons (fail and warn)</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(miqe_blocks)
    )


CURVE_CAPTIONS = {
    "amplification": "Baseline-corrected amplification curves per target (log scale); shaded: "
    "the window of linearity; dashed: the threshold where Cq is read; grey: NTC and no-RT "
    "controls.",
    "melt": "Melt curves, -dF/dT of fluorescence scaled 0-1, per target; dashed line: the "
    "amplicon's predicted Tm; grey: controls.",
}


def figure_captions(inputs: ReportInputs) -> dict[str, str]:
    """The caption of every figure of the report, by its key in `inputs.figures`.

    The report shows them under the figures; `write_report` also writes each beside its figure
    (``expression.caption.txt``), for a journal's figure legend.
    """
    captions = {k: v for k, v in CURVE_CAPTIONS.items() if k in inputs.figures}
    if inputs.expression is not None and inputs.expression_settings is not None:
        from assay.analysis.figures import expression_form

        expression = inputs.expression
        whiskers = _interval_words(expression.expression)
        drawn = {
            "heatmap": "log2 fold change of each gene (rows) in each group (columns), red up, "
                       "blue down, grey: no fold; the calibrator's column (0) left out",
            "dots": "dots at the fold change on a log axis (the folds span more than "
                    f"50-fold), whiskers {whiskers}; points: samples",
            "bars": f"bars at the fold change, whiskers {whiskers}; points: samples",
        }[expression_form(expression.expression)]  # fmt: skip
        captions["expression"] = (
            f"Relative expression against {inputs.expression_settings.control}: {drawn}. "
            f"{_sentence(expression.method)}. * p<0.05, ** p<0.01, *** p<0.001, "
            "**** p<0.0001; dashed line: no change"
            + ("; † the gene's assay failed or is unverified in validation (no stars)"
               if "assay_problem" in expression.expression else "") + "."
        )  # fmt: skip
        captions["expression_genes"] = (
            "Every gene on its own (expression_genes*.png, 24 a page): log2 fold change of each "
            f"group against {inputs.expression_settings.control}, whiskers {whiskers}; stars as "
            "above; dashed line: no change."
        )
    if inputs.viability is not None and inputs.viability_settings is not None:
        captions["viability"] = (
            f"Viability, % of {inputs.viability_settings.control} (mean ± SD; points: the "
            "units, experiments or the wells of one plate). "
            f"{_sentence(inputs.viability.method)}; dashed line: 100 %."
        )
        captions["dose_response"] = (
            "Dose-response: viability % against dose (log scale), each point a unit (an "
            "experiment's mean, or a well of one plate); line: the four-parameter logistic fit; "
            "dashed: the IC50, shaded: its 95 % CI (dose_response.csv)."
        )
    captions["plates"] = (
        "Plate view: each well coloured by its QC verdict (a multiplex well by its worst)."
    )
    return {k: v for k, v in captions.items() if k in inputs.figures}


def write_report(out: Path, inputs: ReportInputs) -> list[Path]:
    """Write report.html and, beside each figure, its caption (``NAME.caption.txt``)."""
    from assay.files import write_text_atomic

    written = []
    for key, caption in figure_captions(inputs).items():
        figure = inputs.figures[key]
        path = figure.with_name(figure.stem + ".caption.txt")
        write_text_atomic(path, caption + "\n")
        written.append(path)
    write_text_atomic(out / "report.html", render(inputs))
    return [*written, out / "report.html"]


def _curves_section(analysis: CurveAnalysis, figures: dict[str, Path]) -> str:
    """Targets' efficiencies and melt verdicts, with the amplification and melt figures."""
    parts = ["<h2>Amplification and melt curves</h2>"]
    if analysis.notes:
        parts.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in analysis.notes) + "</ul>")
    parts.append(_table(analysis.targets, [
        ("file", "file"), ("target", "target"), ("reactions", "reactions"),
        ("amplified", "amplified"), ("efficiency", "efficiency"), ("efficiency_sd", "SD"),
        ("amplicon_bp", "amplicon bp"), ("predicted_tm_c", "predicted Tm"),
        ("observed_tm_c", "observed Tm"), ("melt", "melt"), ("ntc_melt", "controls' melt"),
        ("flags", "check"),
    ]))  # fmt: skip
    for key in ("amplification", "melt"):
        if key in figures:
            parts.append(_figure(figures[key], CURVE_CAPTIONS[key]))
    parts.append("<p class='muted'>Every reaction: curves.csv; every target: targets.csv.</p>")
    return "\n".join(parts)


SUMMARY_SHOWN = 3  # the largest changes named in the summary


def summary_lines(inputs: ReportInputs) -> list[str]:
    """What a reader should know first, in plain words.

    What was analysed, what changed (the largest changes named), and what to look at before
    trusting the numbers (warnings, QC, primer pairs that failed validation).
    """
    lines = []
    if inputs.expression is not None and inputs.expression_settings is not None:
        lines += _expression_summary(inputs.expression.expression, inputs.expression_settings,
                                     inputs.expression_source or "")  # fmt: skip
    if inputs.viability is not None and inputs.viability_settings is not None:
        control = inputs.viability_settings.control
        summary = inputs.viability.summary
        treated = summary[summary["group"] != control]
        if not treated.empty:
            low = treated.loc[treated["viability_pct_mean"].idxmin()]
            where = f", {low['panel']}" if str(low.get("panel", "")) else ""
            lines.append(f"Viability: lowest {float(low['viability_pct_mean']):.1f} % of "
                         f"{control} ({low['group']}{where}).")  # fmt: skip
    worries = []
    if inputs.warnings:
        worries.append(f"{len(inputs.warnings)} warning(s) below")
    if inputs.qc:
        worries.append(inputs.qc)
    if inputs.validation is not None:
        failing = [str(p.get("gene")) for p in _dicts(inputs.validation.get("pairs"))
                   if p.get("verdict") in ("fail", "unverified")]  # fmt: skip
        if failing:
            worries.append(f"primer pairs failing or unverified: {', '.join(failing)}")
    if worries:
        lines.append("To look at before trusting the numbers: " + "; ".join(worries) + ".")
    return lines


def _expression_summary(table: pd.DataFrame, s: Settings, source: str) -> list[str]:
    genes = {str(g) for g in table["gene"]} if "gene" in table else set()
    groups = {str(g) for g in table["group"]} if "group" in table else set()
    lines = [f"Analysed: {len(genes)} gene(s) in {len(groups)} group(s) from "
             f"{shown_path(source)}, against reference {', '.join(s.reference_genes)} and "
             f"calibrator {s.control}."]  # fmt: skip
    if "p_value" not in table or "fold_change" not in table:
        return lines
    tested = table[table["p_value"].notna() & (table["group"] != s.control)]
    if tested.empty:
        return [*lines, "No comparison could be tested (the table says why)."]
    from assay.analysis.stats import Correction

    changed = tested[tested["p_value"] < 0.05]
    adjusted = "" if s.correction is Correction.NONE else f", {s.correction.value.upper()}-adjusted"
    said = f"Changed (p < 0.05{adjusted}): {len(changed)} of {len(tested)} tested comparisons"
    if not changed.empty:
        largest = changed.assign(size=changed["fold_change"].map(lambda f: abs(math.log2(f))))
        largest = largest.sort_values("size", ascending=False).head(SUMMARY_SHOWN)
        said += ": " + "; ".join(
            f"{r.gene} in {r.group}{f' ({r.panel})' if str(getattr(r, 'panel', '')) else ''} "
            f"{float(r.fold_change):.3g}-fold" for r in largest.itertuples()
        )  # fmt: skip
    return [*lines, said + "."]


def render(inputs: ReportInputs) -> str:
    """Return the whole report as HTML text."""
    captions = figure_captions(inputs)
    body = [f"<h1>{_e(inputs.title)}</h1>",
            f"<p class='muted'>assay {_e(__version__)}</p>"]  # fmt: skip
    summary = summary_lines(inputs)
    if summary:
        body.append("<h2>Summary</h2><ul class='summary'>"
                    + "".join(f"<li>{_e(line)}</li>" for line in summary) + "</ul>")  # fmt: skip
    if inputs.warnings:
        body.append(
            "<h2>Warnings</h2><ul>"
            + "".join(f"<li>{_e(w)}</li>" for w in inputs.warnings)
            + "</ul>"
        )
    if inputs.validation is not None:
        body.append(_validation_section(inputs.validation))
    if inputs.expression is not None and inputs.expression_settings is not None:
        body.append("<h2>Relative expression</h2>")
        source = shown_path(inputs.expression_source or "")
        body.append(f"<p class='muted'>Ct table: {_e(source)}; design: "
                    f"{_e(inputs.expression.design.value)}.</p>")  # fmt: skip
        notes = [
            n
            for n in (*inputs.expression.notes, *inputs.expression.interactions)
            if n not in inputs.warnings and n != inputs.expression.method
        ]
        if notes:
            body.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
        for key in ("expression", "expression_genes"):
            if key in inputs.figures:
                body.append(_figure(inputs.figures[key], captions[key]))
        body.append(_table_by_gene(inputs.expression.expression, [
            ("panel", "panel"), ("gene", "gene"), ("group", "group"), ("n", "n"),
            ("delta_ct_mean", "ΔCt"), ("delta_ct_sd", "SD"), ("delta_delta_ct", "ΔΔCt"),
            ("fold_change", "fold"), ("fold_change_low", "low"), ("fold_change_high", "high"),
            ("interval", "range"), ("test", "test"), ("p_value", "p"), ("significance", ""),
            ("detection", "wells"), ("qc", "QC"),
            *([("assay_problem", "assay")] if "assay_problem" in inputs.expression.expression
              else []),
        ]))  # fmt: skip
        if not inputs.expression.tests.empty:
            body.append("<details><summary>All tests</summary>" + _table(inputs.expression.tests, [
                ("panel", "panel"), ("gene", "gene"), ("comparison", "comparison"),
                ("test", "test"), ("statistic", "statistic"), ("df_numerator", "df1"),
                ("df", "df"), ("p_value", "p"), ("p_adjusted", "p adj."),
                ("ci_low", "CI low"), ("ci_high", "CI high"), ("note", "note"),
            ]) + "</details>")  # fmt: skip
    if inputs.viability is not None and inputs.viability_settings is not None:
        body.append("<h2>Cell viability (MTT)</h2>")
        body.append(f"<p class='muted'>OD table: {_e(shown_path(inputs.viability_source or ''))}. "
                    f"{_e(' '.join(inputs.viability.notes))}</p>")  # fmt: skip
        for key, width in (("viability", 50), ("dose_response", 100)):
            if key in inputs.figures:
                body.append(_figure(inputs.figures[key], captions[key], width_pct=width))
        body.append(_table(inputs.viability.summary, [
            ("panel", "panel"), ("group", "group"), ("n", "n"),
            ("viability_pct_mean", "viability %"), ("viability_pct_sd", "SD"),
            ("viability_pct_ci_low", "95 % CI low"), ("viability_pct_ci_high", "high"),
            ("change_pct", "change (points)"), ("test", "test"), ("p_value", "p"),
            ("significance", ""),
        ]))  # fmt: skip
    if inputs.curves is not None:
        body.append(_curves_section(inputs.curves, inputs.figures))
    if inputs.qc or "plates" in inputs.figures:
        body.append("<h2>Quality control</h2>")
        if inputs.qc:
            body.append(
                f"<p>{_e(inputs.qc)}. Rules and limits: README, Quality control; every well's "
                "verdict and reasons: wells.csv (qc, qc_reasons).</p>"
            )
        if "plates" in inputs.figures:
            body.append(_figure(inputs.figures["plates"], captions["plates"], width_pct=60))
    if inputs.excluded or inputs.flagged:
        body.append("<h2>Exclusions and flags</h2><ul>")
        body += [f"<li>row {_e(e.get('row'))}: {_e(e.get('gene'))} {_e(e.get('group'))} – "
                 f"excluded: {_e(e.get('reason'))}</li>" for e in inputs.excluded]  # fmt: skip
        body += [f"<li>row {_e(f.get('row'))}: {_e(f.get('gene'))} {_e(f.get('group'))} – "
                 f"{_e(f.get('flags'))}</li>" for f in inputs.flagged]  # fmt: skip
        body.append("</ul>")
    body.append(f"<h2>Methods</h2><p class='methods'>{_e(methods_text(inputs))}</p>")
    body.append("<h2>Parameters and versions</h2>")
    shown = {k: v for k, v in inputs.parameters.items() if not isinstance(v, list | dict) or k in
             ("reference_genes", "panels", "efficiencies", "wells")}  # fmt: skip
    body.append(_key_values({**shown, "versions": versions()}))
    if inputs.expression is not None or inputs.viability is not None:
        body.append(
            "<p class='muted'>Everything, row by row: <a href='analysis.json'>analysis.json</a>, "
            "expression.csv, stats.csv and wells.csv beside this report.</p>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(inputs.title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
