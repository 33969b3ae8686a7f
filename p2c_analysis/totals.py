"""How consistent are the coalition's published totals? Checks on them, as data.

The published headline totals (``milestones.load_published``: pledges, USD value, entities,
countries; both bundled files) are the only public view of the whole platform. Each check
below returns findings, one row per finding (:data:`CHECK_COLUMNS`; its kind in ``finding``),
with a one-sentence
``explanation``; :func:`published_totals_checks` runs them all. Figures are never averaged or
corrected: a finding shows both numbers and both sources.

ITU figures are those not marked third party (``is_third_party`` False, see
:mod:`p2c_analysis.milestones`): ITU's own pages and press copies of its press releases. Every
explanation names each figure's actual publisher, the host of its ``source_url`` (e.g.
``techreviewafrica.com`` for a republished press release), never "ITU" for a copy.

Dates are compared as stated: a figure stated for a month (``2023-09``) covers the whole month,
so it is *before* another figure only when the month ends before the other's stated period
begins (:func:`can_order`). A month and a day inside it (``2023-09`` and ``2023-09-17``) cannot
be put in order: neither is called a fall from, or a rise to, the other.

Kinds (:data:`KINDS`):

- ``"total goes down"``: an ITU figure of a cumulative total (pledges, value, entities,
  countries) lower than one ITU published for a date certainly earlier (:func:`can_order`;
  the highest such figure is the comparison). Third-party quotes are left out (they often
  repeat an older figure).
- ``"sources disagree"``: two or more figures for the same metric and the same stated date
  (``as_of_date`` text) that differ, ITU or third party; the lowest and highest are shown.
- ``"increase vs itemised pledges"``: between two consecutive dates with an ITU USD total
  (per date, the highest ITU figure; dates that cannot be ordered give no window), the rise of
  the total beside the USD of the itemised
  public pledges announced in that window: announced after the first date and, for a month
  or a year, with the whole period on or before the second (``record.period_end``), e.g. the
  four MWC 2024 pledges against the rise to USD 46 bn. Windows without a rise, or without an
  itemised pledge that states a value, are not findings.
- ``"count repeated while value grows"``: the same ITU count (pledges, entities, countries)
  published at dates at least :data:`MIN_REPEAT_DAYS` apart while the ITU USD total rose in
  between. The USD total "at" a date is the latest ITU total published on or before it plus
  :data:`SAME_EVENT_DAYS` (a total announced a few days after the count belongs to the same
  event, e.g. 1,000 pledges on 2 March 2026 and USD 82 bn on 4 March 2026).
"""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np
import pandas as pd

from p2c_analysis import milestones, record
from p2c_analysis.fields import is_missing

KINDS: tuple[str, ...] = (
    "total goes down", "sources disagree", "increase vs itemised pledges",
    "count repeated while value grows",
)
CHECK_COLUMNS: tuple[str, ...] = (
    "finding", "metric", "date_1", "date_2", "value_1", "value_2", "source_1", "source_2",
    "total_value_usd_1", "total_value_usd_2", "itemised_pledges", "itemised_usd",
    "explanation",
)
COUNT_METRICS: tuple[str, ...] = ("total_pledges", "entities", "countries")
VALUE_METRIC = "total_value_usd"
#: A count repeated over at least this many days is reported (about three months).
MIN_REPEAT_DAYS = 90
#: A USD total published up to this many days after a count belongs to the same announcement.
SAME_EVENT_DAYS = 7
_LABELS = {"total_pledges": "pledge count", "total_value_usd": "total value",
           "entities": "count of pledging entities", "countries": "count of countries"}


def fmt_value(metric: str, value: float) -> str:
    """A published figure in words: ``"USD 46 bn"`` for USD totals, ``"1,000"`` for counts."""
    if metric == VALUE_METRIC:
        return f"USD {value / 1e9:,.2f}".rstrip("0").rstrip(".") + " bn"
    return f"{value:,.0f}"


def latest_total_card(last_value_usd: object, as_of: object) -> str:
    """The front-page card "Published total, latest": the latest USD total published by the
    analysis date ``as_of`` (``last_value_usd``, e.g. ``trajectory.mobilisation_summary``'s),
    ``"USD 30.0 bn"``; when none had been published by then (missing), ``"none yet as of
    2022-03-01"`` (``"none yet"`` without a date), not "n/a", which reads as a gap in the
    data."""
    from p2c_analysis import style

    if not is_missing(last_value_usd):
        return style.fmt_usd(last_value_usd)
    day = pd.to_datetime(as_of, errors="coerce") if as_of not in (None, "") else pd.NaT
    return "none yet" if pd.isna(day) else f"none yet as of {day:%Y-%m-%d}"


def _host(url: object) -> str:
    if url is None or (isinstance(url, float) and np.isnan(url)) or url is pd.NA:
        return "no source"
    return urlparse(str(url)).netloc or str(url)


def _publisher(row: pd.Series) -> str:
    """Who published a figure: the host of its URL (", third party" when marked so)."""
    third = bool(row.get("is_third_party", False))
    return f"{_host(row['source_url'])}{', third party' if third else ''}"


def can_order(first: str, second: str) -> bool:
    """Whether a figure stated for ``first`` is certainly earlier than one stated for ``second``
    (dates as stated, ``YYYY-MM-DD`` or ``YYYY-MM``): the whole stated period of ``first``
    ends before that of ``second`` begins. ``can_order("2023-08", "2023-09-17")`` is True;
    ``can_order("2023-09", "2023-09-17")`` and the reverse are False (the month's figure may
    postdate the 17th)."""
    start, end = _span(pd.Series([str(first), str(second)]))
    return bool(end.iloc[0] < start.iloc[1])


def _span(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day of each stated date (a month stated alone spans the month)."""
    end = record.stated_period_end(texts)
    text = texts.astype("string").str.strip()
    month = text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).to_numpy()
    year = text.str.fullmatch(r"\d{4}").fillna(False).to_numpy()
    start = end.where(~month, end - pd.offsets.MonthBegin(1))
    return start.where(~year, end - pd.offsets.YearBegin(1)), end


def headline_figures(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every published headline figure, one row each: ``date, date_as_stated, metric, value,
    source_url, is_third_party``, sorted by date, metric, file order. ``published``: a
    ``milestones.load_published`` table (default: both bundled files)."""
    pub = milestones.load_published() if published is None else published
    head = pub[pub["metric"].isin(milestones.HEADLINE_METRICS)
               & pub["breakdown_dimension"].isna()]
    cols = ["date", "date_as_stated", "metric", "value", "source_url", "is_third_party"]
    return head[cols].sort_values(["date", "metric"], kind="stable").reset_index(drop=True)


def _itu_series(head: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One ITU figure per stated date (the highest, as ``milestones`` keeps), by date."""
    h = head[(head["metric"] == metric) & ~head["is_third_party"]]
    h = h.sort_values("value", ascending=False, kind="stable")
    h = h.drop_duplicates("date_as_stated").sort_values("date", kind="stable")
    h = h.reset_index(drop=True)
    h["end"] = _span(h["date_as_stated"])[1]  # last day of the stated period
    return h


def _row(kind: str, metric: str, a: pd.Series, b: pd.Series, explanation: str,
         **extra: object) -> dict:
    return {"finding": kind, "metric": metric, "date_1": a["date_as_stated"],
            "date_2": b["date_as_stated"], "value_1": float(a["value"]),
            "value_2": float(b["value"]), "source_1": a["source_url"],
            "source_2": b["source_url"], "explanation": explanation, **extra}


def totals_going_down(head: pd.DataFrame) -> list[dict]:
    """ITU cumulative totals lower than the highest ITU figure of a date certainly earlier
    (its stated period ends before theirs begins: :func:`can_order`)."""
    out = []
    for metric in milestones.HEADLINE_METRICS:
        s = _itu_series(head, metric)
        for i in range(1, len(s)):
            cur = s.iloc[i]
            earlier = s[s["end"] < cur["date"]]
            if earlier.empty:
                continue
            top = earlier.loc[earlier["value"].idxmax()]
            if cur["value"] < top["value"]:
                out.append(_row(
                    "total goes down", metric, top, cur,
                    f"The {_LABELS[metric]} published for {cur['date_as_stated']} "
                    f"({fmt_value(metric, cur['value'])}, by {_publisher(cur)}) is lower than "
                    f"the {fmt_value(metric, top['value'])} published for "
                    f"{top['date_as_stated']} (by {_publisher(top)}), although the total is "
                    "cumulative."))
    return out


def sources_disagreeing(head: pd.DataFrame) -> list[dict]:
    """Figures for the same metric and stated date that differ (lowest and highest shown)."""
    out = []
    for (date, metric), g in head.groupby(["date_as_stated", "metric"], sort=True):
        if g["value"].nunique() < 2:
            continue
        lo = g.loc[g["value"].idxmin()]
        hi = g.loc[g["value"].idxmax()]
        listed = "; ".join(
            f"{fmt_value(metric, r.value)} ({_host(r.source_url)}"
            f"{', third party' if r.is_third_party else ''})"
            for r in g.sort_values("value", kind="stable").itertuples())
        out.append(_row(
            "sources disagree", str(metric), lo, hi,
            f"{len(g)} published figures give different {_LABELS[str(metric)]}s for {date}: "
            f"{listed}; all are kept, none is averaged."))
    return out


def _in_window(pledges: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Pledges announced after ``start`` whose stated period ends on or before ``end``."""
    first = pd.to_datetime(pledges["announced_date"])
    last = record.period_end(pledges["announced_date"], pledges["announced_precision"])
    return (first > start) & (last <= end)


def increases_vs_itemised(head: pd.DataFrame, pledges: pd.DataFrame) -> list[dict]:
    """Rises of the ITU USD total beside the itemised public pledges announced in between."""
    from p2c_analysis import style
    from p2c_analysis.report import both_or_all

    s = _itu_series(head, VALUE_METRIC)
    out = []
    for i in range(1, len(s)):
        a, b = s.iloc[i - 1], s.iloc[i]
        if not a["end"] < b["date"]:  # e.g. a month and a day inside it: no window
            continue
        rise = b["value"] - a["value"]
        inside = pledges[_in_window(pledges, a["date"], b["date"]).to_numpy()]
        if rise <= 0 or not inside["estimated_value_usd"].notna().any():
            continue
        usd = float(inside["estimated_value_usd"].sum())
        names = ", ".join(dict.fromkeys(inside["pledger"].astype(str)))
        k = int(inside["estimated_value_usd"].notna().sum())  # not "2 pledges (...; 2 with"
        valued = both_or_all(k) if k == len(inside) else f"{k:,}"
        out.append(_row(
            "increase vs itemised pledges", VALUE_METRIC, a, b,
            f"The published total rose by {fmt_value(VALUE_METRIC, rise)} between "
            f"{a['date_as_stated']} (by {_publisher(a)}) and {b['date_as_stated']} (by "
            f"{_publisher(b)}); "
            + (f"the {len(inside)} itemised public pledges announced in that window ({names}; "
               f"{valued} with a value) add" if len(inside) > 1 else
               f"the 1 itemised public pledge announced in that window ({names}) adds")
            + f" up to {fmt_value(VALUE_METRIC, usd)}, {style.fmt_pct(100 * usd / rise, 0)} of "
              "the rise.",
            itemised_pledges=len(inside), itemised_usd=usd,
            total_value_usd_1=float(a["value"]), total_value_usd_2=float(b["value"])))
    return out


def _value_at(values: pd.DataFrame, date: pd.Timestamp) -> float:
    known = values[values["date"] <= date + pd.Timedelta(days=SAME_EVENT_DAYS)]
    return float(known["value"].iloc[-1]) if len(known) else float("nan")


def counts_repeated(head: pd.DataFrame) -> list[dict]:
    """The same ITU count at dates at least :data:`MIN_REPEAT_DAYS` apart while the ITU USD
    total rose in between (first and last date of each run of equal figures)."""
    values = _itu_series(head, VALUE_METRIC)
    out = []
    for metric in COUNT_METRICS:
        s = _itu_series(head, metric)
        run = (s["value"] != s["value"].shift()).cumsum()
        for _, g in s.groupby(run, sort=True):
            a, b = g.iloc[0], g.iloc[-1]
            if (b["date"] - a["date"]).days < MIN_REPEAT_DAYS:
                continue
            v1, v2 = _value_at(values, a["date"]), _value_at(values, b["date"])
            if not v2 > v1:
                continue
            out.append(_row(
                "count repeated while value grows", metric, a, b,
                f"The same {_LABELS[metric]} ({fmt_value(metric, a['value'])}) was published "
                f"for {a['date_as_stated']} (by {_publisher(a)}) and {b['date_as_stated']} "
                f"(by {_publisher(b)}) while the published total "
                f"value rose from {fmt_value(VALUE_METRIC, v1)} to "
                f"{fmt_value(VALUE_METRIC, v2)}: the count did not move while the value grew.",
                total_value_usd_1=v1, total_value_usd_2=v2))
    return out


def published_totals_checks(published: pd.DataFrame | None = None,
                            pledges: pd.DataFrame | None = None) -> pd.DataFrame:
    """All checks (see the module docstring), one row per finding, columns
    :data:`CHECK_COLUMNS`: ``finding`` (its kind, one of :data:`KINDS`), ``metric``,
    ``date_1``, ``date_2`` (dates as stated), ``value_1``, ``value_2`` (the two figures:
    counts, or nominal USD), ``source_1``,
    ``source_2`` (their URLs), ``total_value_usd_1``, ``total_value_usd_2`` (the USD totals a
    count or rise is set against; NaN otherwise), ``itemised_pledges``, ``itemised_usd`` (the
    public pledges of the window; NaN otherwise), ``explanation``. Sorted by kind (order of
    :data:`KINDS`), ``date_1``, ``metric``.

    ``published``: a ``milestones.load_published`` table (default: both bundled files).
    ``pledges``: itemised public pledges (canonical table; default: every valid pledge of the
    bundled public record files, ``record.load_record_files``)."""
    head = headline_figures(published)
    if pledges is None:
        pledges = record.load_record_files()[0]
    rows = (totals_going_down(head) + sources_disagreeing(head)
            + increases_vs_itemised(head, pledges) + counts_repeated(head))
    out = pd.DataFrame(rows).reindex(columns=list(CHECK_COLUMNS))
    text = ["finding", "metric", "date_1", "date_2", "source_1", "source_2", "explanation"]
    out = out.astype({c: "string" for c in text}
                     | {c: "float64" for c in CHECK_COLUMNS if c not in text})
    order = pd.CategoricalDtype(list(KINDS), ordered=True)
    out = out.sort_values(["finding", "date_1", "metric"], key=lambda c: c.astype(order)
                          if c.name == "finding" else c, kind="stable")
    return out.reset_index(drop=True)


def finding_counts(checks: pd.DataFrame) -> pd.DataFrame:
    """Findings of :func:`published_totals_checks` by kind: ``finding``, ``findings`` (every
    kind of :data:`KINDS` listed, 0 when none), in the order of :data:`KINDS`."""
    counts = checks["finding"].astype("string").value_counts()
    return pd.DataFrame({"finding": pd.array(list(KINDS), dtype="string"),
                         "findings": [int(counts.get(k, 0)) for k in KINDS]})


def checks_text(heads: pd.DataFrame, checks: pd.DataFrame, as_of: object,
                own_pledges: bool = True) -> str:
    """The sentence over the checks: how many published headline figures (``heads``, a
    :func:`headline_figures` table) they read, from whom and over which dates, and what they
    found (``checks``, a :func:`published_totals_checks` table): only the kinds holding a
    finding, with their counts, and for the rises, the share of each rise the itemised public
    pledges account for. ``own_pledges`` False: the report reads a pledge file, and the checks
    read the bundled public pledges, which it says. Plain text (not escaped: pass through
    :func:`report.say`). Not "make 0 findings: total goes down (0), sources disagree (0) ..."
    nor "1 published headline figures"."""
    from p2c_analysis import report, style

    if heads.empty:
        return f"No headline figure had been published by {as_of}."
    third = heads["is_third_party"].astype(bool)
    itu, tp = int((~third).sum()), int(third.sum())
    who = report.list_text(
        part for part in (
            f"{style.fmt_int(itu)} published by ITU or in press copies of its releases"
            if itu else "", f"{style.fmt_int(tp)} quoted by third parties" if tp else "")
        if part)
    if itu == 0 or tp == 0:  # not "(0 quoted by third parties)"
        who = "all published by ITU or in press copies of its releases" if tp == 0 else \
            "all quoted by third parties"
        who = who if len(heads) > 1 else who.replace("all ", "")
    d0, d1 = f"{heads['date'].min():%Y-%m-%d}", f"{heads['date'].max():%Y-%m-%d}"
    dates = f"dated {d0}" if d0 == d1 else f"dated {d0} to {d1}"
    read = (f"The checks read {report.plural(len(heads), 'published headline figure')} "
            f"{dates} ({who})")
    counts = finding_counts(checks)
    counts = counts[counts["findings"] > 0]
    if counts.empty:
        return f"{read} and find nothing to flag."
    total = int(counts["findings"].sum())
    found = report.list_text(f"{row.finding} ({style.fmt_int(row.findings)})"
                             for row in counts.itertuples())
    text = f"{read} and make {report.plural(total, 'finding')}: {found}."
    rises = checks[checks["finding"] == "increase vs itemised pledges"]
    if len(rises):
        share = 100 * rises["itemised_usd"] / (rises["value_2"] - rises["value_1"])
        lo, hi = style.fmt_pct(share.min(), 0), style.fmt_pct(share.max(), 0)
        text += (" The itemised public pledges announced between two published totals account "
                 f"for {lo + ' to ' + hi if lo != hi else lo} of the rise"
                 + ("." if own_pledges else " (these checks read the public pledges bundled "
                    "with the package, not this report's pledge file)."))
    return text


def checks_shown(checks: pd.DataFrame) -> pd.DataFrame:
    """The :func:`published_totals_checks` table ``checks`` as a report shows it: ``metric``
    in words ("total value", "pledge count"), not its code name ("total_value_usd"); the CSV
    keeps the names."""
    return checks.assign(metric=checks["metric"].map(
        lambda m: _LABELS.get(m, m) if isinstance(m, str) else m).astype("string"))
