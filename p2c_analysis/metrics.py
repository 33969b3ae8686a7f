"""The output registry: every column a report shows or writes, with its label, unit, number
format and a one-line definition (PUDL style, next to the input registry in :mod:`fields`).

One definition feeds everything that shows a number:

- :func:`p2c_analysis.report.format_table` / ``show_table`` take headers and number formats from
  here (a notebook names the columns, never their labels);
- :func:`data_dictionary` gives the column docs written beside every report's CSV tables
  (``columns.csv``) and :func:`docs_page` the page ``docs/report_tables.md``.

Columns of the canonical pledge table (``pledge_id``, ``title``, ...) are described by the input
registry (:data:`p2c_analysis.fields.FIELDS`) and looked up there by :func:`lookup`.

Number formats (``kind``; see :func:`p2c_analysis.style.formatter_for`): ``people`` (persons,
``2.34 bn``), ``usd`` (``USD 3.00 bn``), ``usd_small`` (to the cent), ``pct`` (a value already in
percent, 0-100), ``share`` (a fraction 0-1 shown as percent), ``ratio`` (2 decimals), ``int``
(count with separators), ``year`` (no separator), ``None`` (plain: text, dates, flags, lists).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import ALLOCATION_METHODS

KINDS: tuple[str | None, ...] = (
    "people", "usd", "usd_small", "pct", "share", "ratio", "int", "year", None,
)


@dataclass(frozen=True)
class Metric:
    """One output column: ``name`` in the tables, readable ``label``, ``unit`` in words, number
    format ``kind`` (see module docstring), and a one-line ``definition`` saying what a missing
    value means where that matters."""

    name: str
    label: str
    unit: str
    kind: str | None
    definition: str


#: The registry itself: one row per column in ``metrics.csv`` beside this module (edited like
#: code, reviewed in diffs); the per-method columns of the allocation sensitivity are derived.
REGISTRY_FILE = Path(__file__).with_name("metrics.csv")


def _read_registry(path: Path = REGISTRY_FILE) -> tuple[Metric, ...]:
    with open(path, encoding="utf-8", newline="") as f:
        return tuple(Metric(r["name"], r["label"], r["unit"], r["kind"] or None, r["definition"])
                     for r in csv.DictReader(f))


_BASE: tuple[Metric, ...] = _read_registry()


def _by_method() -> tuple[Metric, ...]:
    """The allocation-sensitivity columns ``<metric>_<method>``, one per allocation method."""
    out = []
    base = {m.name: m for m in _BASE}
    labels = {"equal": "equal split", "population": "by population",
              "offline": "by offline people"}
    for metric in ("allocated_usd", "usd_per_offline", "usd_share", "unit_share",
                   "attention_ratio_usd", "attention_ratio_count"):
        m = base[metric]
        for method in ALLOCATION_METHODS:
            label = (f"Ratio: {labels[method]}" if metric == "attention_ratio_usd"
                     else f"{m.label}, {labels[method]}")
            out.append(Metric(f"{metric}_{method}", label, m.unit, m.kind,
                              f"{m.definition} Allocation: {method}."))
    return tuple(out)


METRICS: tuple[Metric, ...] = _BASE + _by_method()
METRICS_BY_NAME: dict[str, Metric] = {}
for _metric in METRICS:
    METRICS_BY_NAME.setdefault(_metric.name, _metric)


#: How the canonical pledge columns are labelled in reports (their definitions are in the input
#: registry, :data:`p2c_analysis.fields.FIELDS`); others: ``snake_case`` -> "Snake case".
PLEDGE_LABELS: dict[str, str] = {
    "pledge_id": "Pledge ID",
    "title": "Pledge",
    "pledger": "Pledger",
    "stakeholder_type": "Stakeholder type",
    "entity_country": "Pledger's country",
    "pledge_type": "Pledge type",
    "focus_areas": "Focus areas",
    "target_countries": "Target countries",
    "target_regions": "Target regions",
    "is_global": "Global",
    "estimated_value_usd": "Estimated value (USD)",
    "value_as_stated": "Value as stated",
    "announced_date": "Announced",
    "target_year": "Target year",
    "status": "Status",
    "last_report_date": "Last report",
    "source_url": "Source",
}


def lookup(name: str) -> Metric | None:
    """The registry entry of a column: an output metric, else a field of the canonical pledge
    table (label from the field name, unit from its dtype), else ``None``."""
    if name in METRICS_BY_NAME:
        return METRICS_BY_NAME[name]
    from p2c_analysis.fields import FIELDS_BY_NAME

    f = FIELDS_BY_NAME.get(name)
    if f is None:
        return None
    kind = {"estimated_value_usd": "usd", "target_year": "year"}.get(name)
    return Metric(name, PLEDGE_LABELS.get(name, name.replace("_", " ").capitalize()),
                  f.dtype if not f.is_list else "list", kind, f.description)


def label(name: str) -> str:
    """Readable header of a column (registry label; else ``snake_case`` -> "Snake case")."""
    m = lookup(name)
    if m is not None:
        return m.label
    text = str(name).replace("_", " ").strip()
    return capitalised(text)


def kind(name: str) -> str | None:
    """Number format of a column (registry ``kind``); ``None`` when not registered."""
    m = lookup(name)
    return m.kind if m is not None else None


def data_dictionary(tables: dict[str, list[str]]) -> list[dict[str, str]]:
    """Column docs of written tables: one row per (table, column) with ``table, column, label,
    unit, definition``; a column the registries do not know says ``"undocumented"``."""
    rows = []
    for table, columns in tables.items():
        for col in columns:
            m = lookup(col)
            rows.append({
                "table": table, "column": col,
                "label": m.label if m else label(col),
                "unit": m.unit if m else "undocumented",
                "definition": m.definition if m else "undocumented",
            })
    return rows


DOCS_PAGE = "docs/report_tables.md"


def docs_page() -> str:
    """The Markdown page ``docs/report_tables.md``, generated from :data:`METRICS` (a test checks
    the committed page equals this)."""
    lines = [
        "# Columns of the report tables",
        "",
        "Generated from the output registry (`p2c_analysis/metrics.csv`, read by "
        "`p2c_analysis/metrics.py`) by "
        "`python -m p2c_analysis.metrics`; do not edit by hand. Columns of the canonical pledge "
        "table are in `docs/pledge_fields.md`. Every report folder also holds `columns.csv`, "
        "the same docs for the tables it wrote.",
        "",
        "| column | label | unit | format | definition |",
        "|---|---|---|---|---|",
    ]
    for m in METRICS:
        lines.append(f"| `{m.name}` | {m.label} | {m.unit} | {m.kind or ''} | {m.definition} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerate docs/report_tables.md
    from p2c_analysis import paths

    (paths.ROOT / DOCS_PAGE).write_text(docs_page(), encoding="utf-8")
    print(f"wrote {DOCS_PAGE}")
