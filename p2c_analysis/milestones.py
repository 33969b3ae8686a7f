"""The coalition's published totals over time (the only public view of the whole platform).

Everything here is derived by code from the published-figures files (:data:`PUBLISHED_FILES`:
``data/pledges/published_aggregates.csv`` and ``published_aggregates_additions_2026-12.csv``,
read together): one row per figure the coalition (or someone quoting it) published, with
``as_of_date, metric, breakdown_dimension, breakdown_value, value, unit, source_url, quote,
notes``.

- :func:`load_milestones` — the headline totals (pledges, USD value, entities, countries) by date;
- :func:`goal` — the coalition's target (USD 100 billion by 2026), read from the file;
- :func:`breakdown` — the published breakdowns (2023 Annual Report: by stakeholder type, pledge
  type, entity region, implementation region, LDC targeting, ...).

Third-party figures. A figure is *third party* when its ``notes`` say it is not an ITU
publication ("NOT an ITU publication": quoted by e.g. a minister or head of state) or not an
official ITU record (auto-generated session summaries on dig.watch). Press copies of ITU press
releases count as ITU figures.

Two figures for the same date. :func:`load_milestones` keeps ITU and third-party figures apart:
one row per (date, is_third_party). Within such a row, when two sources give the same metric on
the same date (e.g. 2023-12-12: "more than 36 billion" on the annual-meeting page and "nearly
$37-billion" in the press release), the **larger** figure is kept: published totals are
cumulative and never fall, and same-day differences are lower bounds ("over", "more than") or a
figure stated before that day's announcements. ``source_url`` lists every URL the kept figures
come from, joined with ``" | "``.

Run ``python -m p2c_analysis.milestones`` to rewrite the bundled ``data/pledges/milestones.csv``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from p2c_analysis import paths
from p2c_analysis.export import write_csv

#: The bundled published-figures files, read together when no path is given.
PUBLISHED_FILES: tuple[Path, ...] = (paths.PUBLISHED_AGGREGATES,
                                     paths.PUBLISHED_AGGREGATES_ADDITIONS)
HEADLINE_METRICS: tuple[str, ...] = ("total_pledges", "total_value_usd", "entities", "countries")
MILESTONE_COLUMNS: tuple[str, ...] = (
    "date", "date_as_stated", *HEADLINE_METRICS, "is_third_party", "source_url",
)
#: Data date of the 2023 Annual Report ("as of 6 December 2023"), which published the breakdowns.
BREAKDOWN_DATE = "2023-12-06"
GOAL_METRIC = "target_total_value_usd"
URL_SEPARATOR = " | "

_RAW_COLUMNS = ("as_of_date", "metric", "breakdown_dimension", "breakdown_value", "value", "unit",
                "source_url", "quote", "notes")
_THIRD_PARTY = re.compile(r"not an itu publication|not an official itu record", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_QUALIFIER = re.compile(r"^(?P<label>.*?)\s*\((?P<qualifier>[^()]*)\)\s*$")


def _parse_date(text: str, where: str) -> pd.Timestamp:
    """First day of the stated period: ``YYYY-MM-DD`` as is, ``YYYY-MM`` -> day 1."""
    if _DAY.match(text):
        stamp = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    elif _MONTH.match(text):
        stamp = pd.to_datetime(text + "-01", format="%Y-%m-%d", errors="coerce")
    else:
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValueError(f"{where}: as_of_date {text!r} is not YYYY-MM-DD or YYYY-MM")
    return stamp


def _file_name(path: str | Path | Sequence[str | Path] | None) -> str:
    """The file name(s) errors quote: the given paths', else the bundled files'."""
    files = PUBLISHED_FILES if path is None else [path] if isinstance(path, str | Path) else path
    return " + ".join(Path(f).name for f in files)


def load_published(path: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """The published figures, parsed: every row of the published-figures file(s).

    ``path``: one file, several files (read in order, rows stacked), or ``None`` = the bundled
    files :data:`PUBLISHED_FILES` (``published_aggregates.csv`` then its 2026-12 additions).
    Adds ``date`` (datetime64[ns], first day of the stated period), ``date_as_stated`` (the
    ``as_of_date`` text), ``is_third_party`` (bool, see module docstring), ``source_file``
    (file name) and ``line`` (the row's line in its file, header = 1). ``value`` is float
    (counts, USD, percent or rank as given by ``unit``). Missing text is ``<NA>``.
    Raises ``ValueError`` naming the file and row for a missing column, a bad date or a
    non-numeric value.
    """
    if path is None:
        files: list[str | Path] = list(PUBLISHED_FILES)
    elif isinstance(path, str | Path):
        files = [path]
    else:
        files = list(path)
    frames = []
    for f in files:
        p = paths.track(f)
        frames.append(_parse_published(p, p.stat().st_mtime_ns))
    return pd.concat(frames, ignore_index=True)


@functools.cache
def _parse_published(p: Path, _mtime_ns: int) -> pd.DataFrame:
    """Parse once per file version (``goal``, ``breakdown`` and ``headline`` each call
    :func:`load_published`; the file is read again only when it changes)."""
    raw = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in _RAW_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{p.name}: missing column(s) {', '.join(missing)}")
    df = raw.loc[:, list(_RAW_COLUMNS)].astype(pd.StringDtype())
    # row numbers as in a spreadsheet: header is line 1
    dates = [_parse_date(str(t), f"{p.name} line {i + 2}")
             for i, t in enumerate(df["as_of_date"].fillna("").tolist())]
    values = pd.to_numeric(df["value"], errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{p.name} line {i + 2}: value {df['value'].iloc[i]!r} is not a number")
    out = df.drop(columns=["as_of_date", "value"])
    out.insert(0, "date", pd.Series(dates, dtype="datetime64[ns]"))
    out.insert(1, "date_as_stated", df["as_of_date"])
    out.insert(5, "value", values.astype("float64"))
    out["is_third_party"] = df["notes"].fillna("").str.contains(_THIRD_PARTY).astype(bool)
    out["source_file"] = pd.array([p.name] * len(out), dtype="string")
    out["line"] = np.arange(2, len(out) + 2, dtype="int64")
    return out


def period_end(table: pd.DataFrame) -> pd.Series:
    """The last day of each row's stated period (``date_as_stated``): a month stated alone
    (``2024-05``) ends on its last day, a day is itself. The day a figure is known by, as a
    pledge is known from the last day of its stated announcement period
    (:func:`p2c_analysis.record.stated_period_end`)."""
    from p2c_analysis import record

    return record.stated_period_end(table["date_as_stated"])


def known_on(table: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """The rows of a published-figures table (:func:`load_published`, :func:`load_milestones`,
    a breakdown) known on ``as_of`` (a date, ``YYYY-MM-DD`` text or ``None`` = every row): what
    had been published by then, as far as the stated dates tell (a figure stated for a month
    counts from the month's last day: :func:`period_end`)."""
    from p2c_analysis import record

    return record.known_rows(table, period_end(table), as_of)


def load_milestones(path: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """Headline totals over time, one row per (date, is_third_party).

    Columns: ``date`` (datetime64[ns], first day of the stated period), ``date_as_stated``
    (string, e.g. ``"2022-10"``), ``total_pledges``, ``total_value_usd`` (nominal USD),
    ``entities``, ``countries`` (float; NaN = not published at that date by that kind of
    source), ``is_third_party`` (bool), ``source_url`` (the URLs of the kept figures, joined
    with ``" | "``). Sorted by date, ITU rows before third-party rows of the same date.
    Same-date duplicates: see the module docstring (the larger figure is kept).
    """
    pub = load_published(path)
    head = pub[pub["metric"].isin(HEADLINE_METRICS) & pub["breakdown_dimension"].isna()].copy()
    # keep the largest figure per (date, provenance, metric); stable so ties keep file order
    head = head.sort_values("value", ascending=False, kind="stable")
    kept = head.drop_duplicates(["date_as_stated", "is_third_party", "metric"], keep="first")
    keys = ["date", "date_as_stated", "is_third_party"]
    wide = kept.pivot(index=keys, columns="metric", values="value")
    wide = wide.reindex(columns=list(HEADLINE_METRICS)).astype("float64")
    urls = (
        kept.sort_index()  # URLs in file order
        .groupby(keys)["source_url"]
        .agg(lambda s: URL_SEPARATOR.join(dict.fromkeys(s.dropna().tolist())))
    )
    out = wide.join(urls).reset_index()
    out.columns.name = None
    out = out.sort_values(["date", "is_third_party"], kind="stable").reset_index(drop=True)
    out = out.loc[:, list(MILESTONE_COLUMNS)]
    out["date"] = out["date"].astype("datetime64[ns]")
    out["date_as_stated"] = out["date_as_stated"].astype(pd.StringDtype())
    out["source_url"] = out["source_url"].astype(pd.StringDtype())
    out["is_third_party"] = out["is_third_party"].astype(bool)
    return out


def goal(path: str | Path | Sequence[str | Path] | None = None) -> dict:
    """The coalition's goal, read from the ``target_total_value_usd`` rows.

    Returns ``{"value_usd": float (nominal USD), "year": int (by the end of that year),
    "source_url": str, "quote": str, "date": Timestamp}`` taken from the earliest ITU
    (non-third-party) statement of the goal. Raises ``ValueError`` when the file has no goal
    row or its rows disagree on the value or year.
    """
    pub = load_published(path)
    rows = pub[pub["metric"] == GOAL_METRIC]
    if rows.empty:
        raise ValueError(f"{_file_name(path)}: no {GOAL_METRIC!r} row")
    years = pd.to_numeric(rows["breakdown_value"], errors="coerce")
    if rows["value"].nunique() != 1 or years.nunique() != 1 or years.isna().any():
        raise ValueError(f"{_file_name(path)}: {GOAL_METRIC!r} rows disagree on value or year")
    best = rows.sort_values(["is_third_party", "date"], kind="stable").iloc[0]
    return {
        "value_usd": float(best["value"]),
        "year": int(years.iloc[0]),
        "source_url": str(best["source_url"]),
        "quote": str(best["quote"]),
        "date": best["date"],
    }


def breakdown(metric: str, date: str | None = BREAKDOWN_DATE,
              path: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """Published rows of one ``metric``, e.g. ``"pledges_by_stakeholder_type"``.

    ``date`` selects the rows stated for that ``as_of_date`` (default: the 2023 Annual Report
    data date, :data:`BREAKDOWN_DATE`); ``None`` returns every date. Columns: ``date``,
    ``date_as_stated``, ``dimension`` (e.g. ``"stakeholder_type"``), ``category`` (the label
    without a trailing parenthesis, e.g. ``"Programmatic"``), ``qualifier`` (the parenthesis,
    e.g. ``"new 2023 pledges"``; ``<NA>`` if none), ``category_as_stated``, ``value`` (float, in
    ``value_unit``: count, USD, percent, rank), ``value_unit``, ``is_third_party``, ``source_url``,
    ``quote``, ``notes``. Only the categories that were published appear (the remainder is not
    known). Raises ``KeyError`` for a metric that the file does not have (at that date).
    """
    pub = load_published(path)
    rows = pub[pub["metric"] == metric]
    if date is not None:
        rows = rows[rows["date_as_stated"] == date]
    if rows.empty:
        known = sorted(pub["metric"].dropna().unique().tolist())
        at = "" if date is None else f" at {date}"
        raise KeyError(f"{_file_name(path)}: no metric {metric!r}{at}; known: {known}")
    stated = rows["breakdown_value"]
    parts = stated.fillna("").str.extract(_QUALIFIER)
    label = parts["label"].where(parts["label"].notna(), stated)
    out = pd.DataFrame({
        "date": rows["date"],
        "date_as_stated": rows["date_as_stated"],
        "dimension": rows["breakdown_dimension"],
        "category": label.astype(pd.StringDtype()),
        "qualifier": parts["qualifier"].astype(pd.StringDtype()),
        "category_as_stated": stated,
        "value": rows["value"],
        "value_unit": rows["unit"],
        "is_third_party": rows["is_third_party"],
        "source_url": rows["source_url"],
        "quote": rows["quote"],
        "notes": rows["notes"],
    })
    return out.reset_index(drop=True)


#: What a published breakdown measures, in words (a table showed ``stakeholder_type``, and set
#: ITU's share of pledges reported on beside shares of the *reported* pledges, all as
#: "Percent"); a metric without a label reads as its name with spaces.
BREAKDOWN_LABELS: dict[str, str] = {
    "pledges_by_stakeholder_type": "Pledges by stakeholder type",
    "pledges_by_pledge_type": "Pledges by pledge type",
    "pledges_by_entity_region": "Pledges by the pledger's region",
    "pledges_by_implementation_region": "Pledges by the region they are implemented in",
    "pledges_targeting_ldc": "Pledges targeting LDCs",
    "reported_share": "Pledges reported on (% of all pledges)",
    "in_progress_share": "In progress (% of the pledges reported on)",
    "completed_share": "Completed (% of the pledges reported on)",
}


def breakdown_label(metric: str) -> str:
    """:data:`BREAKDOWN_LABELS` of ``metric``, else its name with spaces."""
    return BREAKDOWN_LABELS.get(metric, metric.replace("_", " ").capitalize())


def breakdowns(metrics: Iterable[str], date: str | None = BREAKDOWN_DATE,
               path: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """:func:`breakdown` of several metrics stacked, in the order given, with ``figure``
    first: what each row measures, in words (:func:`breakdown_label`)."""
    parts = [breakdown(m, date, path).assign(figure=breakdown_label(m)) for m in metrics]
    out = pd.concat(parts, ignore_index=True)
    out["figure"] = out["figure"].astype("string")
    return out[["figure", *[c for c in out.columns if c != "figure"]]]


def headline(metric: str, date: str = BREAKDOWN_DATE,
             path: str | Path | Sequence[str | Path] | None = None) -> float:
    """One headline total (``total_pledges``, ``total_value_usd``, ``entities``, ``countries``)
    as published by ITU for ``date`` (``as_of_date`` text). Raises ``KeyError`` when absent."""
    m = load_milestones(path)
    row = m[(m["date_as_stated"] == date) & ~m["is_third_party"]]
    if metric not in HEADLINE_METRICS or row.empty or pd.isna(row[metric].iloc[0]):
        raise KeyError(f"{_file_name(path)}: no ITU {metric!r} for {date}")
    return float(row[metric].iloc[0])


def write_milestones(path: str | Path | None = None) -> Path:
    """Write :func:`load_milestones` to ``path`` (default ``data/pledges/milestones.csv``)."""
    out = Path(paths.MILESTONES if path is None else path)
    write_csv(load_milestones(), out)
    return out


if __name__ == "__main__":  # pragma: no cover - thin CLI
    print(f"wrote {write_milestones()}")
