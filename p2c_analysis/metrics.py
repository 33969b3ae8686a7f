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

from dataclasses import dataclass

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


def _m(name: str, label: str, unit: str, kind: str | None, definition: str) -> Metric:
    return Metric(name, label, unit, kind, definition)


_BASE: tuple[Metric, ...] = (
    # --- places and groups -------------------------------------------------------------------
    _m("iso3", "ISO3", "code", None, "ISO 3166-1 alpha-3 code of the economy (GLOBAL / UNSTATED "
       "for pledges kept apart)."),
    _m("name", "Country", "text", None, "Short English name of the economy."),
    _m("group", "Group", "text", None, "Country group: World, LDC/LLDC/SIDS, ITU-D region, "
       "income group, or a row of pledges kept apart."),
    _m("unit", "Country or group", "text", None, "The country or group a row describes."),
    _m("year", "Year", "year", "year", "Calendar year of the data."),
    _m("itu_region", "ITU-D region", "text", None, "ITU-D (BDT) region of the economy."),
    _m("income_group", "Income group", "text", None, "World Bank income group (FY26)."),
    _m("ldc", "LDC", "yes/no", None, "On the UN list of least developed countries (Sept 2024)."),
    _m("lldc", "LLDC", "yes/no", None, "On the UN list of landlocked developing countries."),
    _m("sids", "SIDS", "yes/no", None, "On the UN list of small island developing states."),
    _m("n_countries", "Economies", "count", "int", "Members of the group that are economies "
       "with data (WDI)."),
    _m("n_with_offline", "Economies with an offline figure", "count", "int",
       "Members with an Internet-use value to rest on in the year."),
    _m("in_country_table", "In the data", "yes/no", None, "The economy is in the connectivity "
       "data of the year (no: named by a pledge, no offline figure)."),
    # --- connectivity ------------------------------------------------------------------------
    _m("population", "Population", "persons", "people", "Mid-year population (WDI)."),
    _m("offline", "People offline", "persons", "people", "Population x (1 - share using the "
       "Internet); n/a where the economy has no Internet value at all."),
    _m("internet_pct", "Internet use (%)", "percent of population", "pct",
       "Individuals using the Internet (ITU via WDI)."),
    _m("data_coverage_pct", "Population with observed data (%)", "percent of population", "pct",
       "Share of the population whose value for the year is an observation."),
    _m("imputed_pct", "Population with imputed data (%)", "percent of population", "pct",
       "Share of the population whose value for the year is imputed."),
    _m("no_data_pct", "Population without data (%)", "percent of population", "pct",
       "Share of the population with no value at all (left out of offline totals)."),
    _m("imputed", "Imputed", "yes/no", None, "The Internet value is interpolated or carried "
       "forward, not observed."),
    _m("source_year", "Observed year used", "year", "year", "The observed year the value rests "
       "on (for an interpolated value: the observed year before)."),
    _m("source_year_after", "Next observed year", "year", "year", "For an interpolated value, "
       "the observed year after it."),
    _m("method", "Imputation", "text", None, "How missing years were filled: linear, locf, none."),
    # validation against ITU and the World Bank
    _m("ours_internet_pct", "Ours: Internet use (%)", "percent of population", "pct",
       "Bottom-up Internet use from the economies (WDI vintage July 2026)."),
    _m("itu_internet_pct", "ITU: Internet use (%)", "percent of population", "pct",
       "ITU Facts and Figures 2024 estimate (Nov 2024)."),
    _m("wb_internet_pct", "World Bank: Internet use (%)", "percent of population", "pct",
       "World Bank aggregate in WDI."),
    _m("diff_itu_pp", "Ours − ITU (pp)", "percentage points", None,
       "Ours minus ITU's Internet use."),
    _m("diff_wb_pp", "Ours − World Bank (pp)", "percentage points", None,
       "Ours minus the World Bank's Internet use."),
    _m("ours_offline", "Ours: people offline", "persons", "people", "Bottom-up people offline."),
    _m("itu_offline", "ITU: people offline", "persons", "people", "People offline implied by "
       "ITU's users and penetration."),
    _m("wb_offline", "World Bank: people offline", "persons", "people",
       "People offline implied by the World Bank aggregate."),
    _m("ours_population", "Ours: population", "persons", "people", "Bottom-up population."),
    _m("itu_population", "ITU: population", "persons", "people",
       "Population implied by ITU's users and penetration."),
    _m("wb_population", "World Bank: population", "persons", "people", "WDI aggregate."),
    _m("ours_data_coverage_pct", "Ours: population with observed data (%)",
       "percent of population", "pct", "Share of the group's population with an observation."),
    _m("diff_itu_offline", "Ours − ITU (people offline)", "persons", "people",
       "Ours minus ITU's people offline."),
    _m("diff_wb_offline", "Ours − World Bank (people offline)", "persons", "people",
       "Ours minus the World Bank's people offline."),
    # --- pledges counted and allocated -------------------------------------------------------
    _m("category", "Category", "text", None, "The category counted (focus area, stakeholder "
       "type, ...); 'none stated' when a pledge states none."),
    _m("pledges", "Pledges", "count", "int", "Number of pledges."),
    _m("pledge_share_pct", "Share of pledges (%)", "percent of pledges", "pct",
       "Pledges in the category / all pledges; can add to more than 100 for list fields."),
    _m("pledges_with_value", "Pledges stating a value", "count", "int",
       "Pledges whose USD value is stated (the USD figures rest on these)."),
    _m("usd", "Stated value (USD)", "US dollars", "usd", "Sum of stated values; pledges without "
       "a value add nothing (never counted as 0)."),
    _m("usd_share_pct", "Share of stated value (%)", "percent of USD", "pct",
       "USD in the category / all stated USD."),
    _m("pledges_targeting", "Pledges", "count", "int",
       "Distinct pledges allocating to at least one country of the row."),
    _m("pledge_units", "Pledge units", "pledges", "ratio", "Each pledge is one unit spread over "
       "its countries by the allocation weights."),
    _m("allocated_usd", "Pledged USD allocated", "US dollars", "usd", "USD allocated to the row "
       "by the allocation method (0 when nothing is allocated)."),
    _m("usd_per_offline", "USD per offline person", "US dollars per person", "usd_small",
       "Allocated USD / people offline; n/a when no one is offline or the figure is unknown."),
    _m("pledges_per_10m_offline", "Pledges per 10 M offline", "pledges per 10 M persons",
       "ratio", "Pledges reaching the row per 10 million offline people."),
    _m("offline_share", "Share of world offline (%)", "fraction of the world's offline people",
       "share", "The row's offline people / offline people of all economies with data."),
    _m("usd_share", "Share of USD (%)", "fraction of USD", "share",
       "The row's USD / the total it is compared with (coverage tables: USD allocated to "
       "countries; status tables: all stated USD); n/a when that total is 0."),
    _m("unit_share", "Share of pledge units (%)", "fraction of pledge units", "share",
       "The row's pledge units / pledges allocated to countries."),
    _m("attention_ratio_usd", "Attention ratio (USD)", "ratio", "ratio",
       "USD share / offline share: 1 = in proportion to the row's offline people."),
    _m("attention_ratio_count", "Attention ratio (count)", "ratio", "ratio",
       "Pledge-unit share / offline share: 1 = in proportion to the row's offline people."),
    _m("attention_usd_min", "Lowest USD attention ratio", "ratio", "ratio",
       "Lowest USD attention ratio over the allocation methods."),
    _m("attention_usd_max", "Highest USD attention ratio", "ratio", "ratio",
       "Highest USD attention ratio over the allocation methods."),
    _m("robust_usd", "Robust", "yes/no", None, "Under- or over-served (USD) under every "
       "allocation method; n/a when no method gives a ratio."),
    _m("rank", "Rank", "rank", "int", "1 = the most offline people not matched by attention."),
    _m("score", "Offline people not matched", "persons", "people",
       "Offline people x (1 - min(1, attention ratio))."),
    _m("via", "Targets the country", "text", None, "How the pledge reaches the country: by name "
       "(country) or through a region or group (region)."),
    _m("weight", "Weight", "fraction of the pledge", "ratio",
       "The country's share of the pledge."),
    _m("dimension", "Breakdown", "text", None, "What a published breakdown splits by."),
    # --- implementation progress -------------------------------------------------------------
    _m("share", "Share of pledges (%)", "fraction of pledges", "share",
       "Pledges with the status / all pledges (of the row's group)."),
    _m("on_ladder", "On the status ladder", "yes/no", None,
       "Status is announced, in progress or completed."),
    _m("reported_recently", "Reported in last 12 months", "count", "int",
       "Pledges with a progress report in the 12 months before the analysis date."),
    _m("never_reported", "Never reported", "count", "int", "Pledges with no progress report."),
    _m("compliance_pct", "Compliance (%)", "percent of pledges", "pct",
       "Reported in the last 12 months / pledges; n/a for an empty group."),
    _m("recent_report", "Recent report", "yes/no", None,
       "A progress report in the 12 months before the analysis date."),
    _m("closed", "Closed", "yes/no", None, "Completed or withdrawn."),
    _m("overdue", "Overdue", "yes/no", None, "Target year passed and not closed."),
    _m("years_overdue", "Years overdue", "years", "int",
       "Year of the analysis date minus the target year."),
    _m("light", "Reporting", "text", None, "Traffic light: reported (a recent report), overdue "
       "(deadline passed, no recent report), due (otherwise)."),
    # --- published totals and trajectories ---------------------------------------------------
    _m("date_as_stated", "As of", "text", None, "The date as the source states it."),
    _m("value", "Value", "as given by unit", None, "The published figure, in its unit."),
    _m("qualifier", "Note", "text", None, "What the source says about the figure."),
    _m("quote", "As published", "text", None, "The published wording."),
    _m("window_years", "Window (years)", "years", "int", "Years of published totals the pace "
       "is fitted on."),
    _m("fit", "Fit", "text", None, "How the pace is fitted: ols or endpoints."),
    _m("n_points", "Published totals used", "count", "int",
       "Published totals in the window."),
    _m("start_date", "Window start", "date", None, "First date of the window."),
    _m("last_date", "Latest total", "date", None, "Date of the latest published total."),
    _m("last_value_usd", "Latest total (USD)", "US dollars", "usd",
       "The latest published cumulative total."),
    _m("pace_usd_per_year", "Pace (USD per year)", "US dollars per year", "usd",
       "Straight-line growth of the published total over the window."),
    _m("pace_pledges_per_year", "Pace (pledges per year)", "pledges per year", "ratio",
       "Straight-line growth of the published pledge count over the window."),
    _m("goal_usd", "Goal (USD)", "US dollars", "usd", "The coalition's goal."),
    _m("goal_year", "Goal year", "year", "year", "The goal is due by the end of this year."),
    _m("goal_date", "Goal reached (extrapolated)", "date", None, "When the extrapolated total "
       "reaches the goal; n/a when the pace is not positive."),
    _m("value_at_deadline_usd", "Value at end of goal year (extrapolated)", "US dollars", "usd",
       "Extrapolated total on 31 December of the goal year."),
    _m("on_track", "On track", "yes/no", None, "The extrapolated total reaches the goal by the "
       "end of the goal year."),
    _m("kind", "Kind", "text", None, "'extrapolation': a straight-line extension of the past "
       "pace, not a forecast."),
    # --- quarantine --------------------------------------------------------------------------
    _m("reason", "Reason", "text", None, "Why rows were set aside (the kind of problem)."),
    _m("rows", "Rows", "count", "int", "Number of rows."),
    _m("source_row", "Source row", "row number", "int",
       "Spreadsheet row number in the source file (header = row 1)."),
    _m("reasons", "Reasons", "text", None, "Every reason the row was set aside."),
    _m("raw", "Raw row", "JSON text", None, "The source row as read."),
)


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
    return text[:1].upper() + text[1:]


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
        "Generated from the output registry in `p2c_analysis/metrics.py` by "
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
