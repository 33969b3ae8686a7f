"""Implementation progress of pledges: status ladder, reporting compliance, overdue pledges and
per-pledge traffic lights (the way UN partnership registries flag commitments).

Inputs: the canonical pledge table (``status``, ``last_report_date``, ``target_year``,
``estimated_value_usd``; see ``docs/architecture.md``) and an analysis date ``as_of``.

``as_of`` conventions (the same as ``countries.as_of_date``): an int year means 1 July of that
year (mid-year), a ``"YYYY-MM-DD"`` string, ``datetime.date`` or ``pd.Timestamp`` is taken as
is; ``None`` means today.

Missing values:

- ``status`` missing or outside ``STATUSES`` counts as ``"unknown"``; an unknown status is
  not "completed" nor "withdrawn", so such a pledge can be overdue.
- ``last_report_date`` NaT = never reported: never "reported"; a report dated *after* ``as_of``
  is ignored (it had not happened yet at ``as_of``). These functions read the table as given:
  the status such a report carries is cut before, with the report
  (:func:`p2c_analysis.evidence.split_reported_after`, done by ``report.start`` and the
  snapshots for a pledge file; :func:`p2c_analysis.evidence.apply_events` for the public
  record).
- ``status_date_basis`` (optional, :func:`p2c_analysis.evidence.apply_events`): a latest report
  with no visible date (``"undated; known by <date>"``: placed at the day the evidence was
  collected) gives the pledge its status and means it has reported, but **never makes a report
  recent**: we cannot say when it was made. Without the column every report date counts as
  stated.
- ``target_year`` missing: the pledge is never overdue (no deadline stated).

Definitions:

- *recent report*: a **dated** ``last_report_date`` in the window
  ``(as_of - window_months, as_of]`` (default 12 months; a report dated exactly 12 months
  before ``as_of`` is not recent; an undated one never is).
- *closed*: status ``"completed"`` or ``"withdrawn"``.
- *overdue*: ``target_year < as_of.year`` and not closed.
- *traffic light*: ``"reported"`` if a recent report exists (whatever the deadline), else
  ``"closed"`` if closed (completed or withdrawn: no report is expected any more; a completed
  pledge shown as "due" read as one still owing its report), else ``"overdue"`` if overdue,
  else ``"due"`` (a report is expected: no recent report, deadline not passed or none
  stated).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from p2c_analysis import countries
from p2c_analysis.fields import STATUS_DTYPE, checked
from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import STATUS_LADDER, UNKNOWN

LIGHTS: tuple[str, ...] = ("reported", "closed", "due", "overdue")
LIGHT_DTYPE = pd.CategoricalDtype(list(LIGHTS), ordered=True)
CLOSED_STATUSES: tuple[str, ...] = ("completed", "withdrawn")
REPORT_WINDOW_MONTHS = 12


def as_of_timestamp(as_of: object = None) -> pd.Timestamp:
    """``as_of`` as a ``pd.Timestamp`` at midnight, by ``countries.as_of_date`` (int year -> 1
    July of that year; None or "" -> today); a bad value raises a one-line ``ValueError``."""
    return pd.Timestamp(countries.as_of_date(as_of))


#: Pledge columns the progress functions read (checked by the schema when they are called).
_PROGRESS = ("pledge_id", "status", "last_report_date", "target_year")


@checked("status", "estimated_value_usd")
def status_distribution(pledges: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Pledges and USD per status, over the full ordered list ``STATUSES``.

    Columns ``[by,] status`` (ordered Categorical), ``pledges``, ``share`` (of pledges in the
    row's ``by`` group, or of all), ``usd`` (sum of ``estimated_value_usd``; pledges without a
    value add nothing; NaN when none of the row's pledges states a value, never a USD 0 pledge),
    ``usd_share`` (NaN when the group has no USD), ``on_ladder`` (status in
    ``STATUS_LADDER``: announced < in progress < completed). Every status appears, with 0
    when no pledge has it. ``by`` is an optional column to split by (e.g. ``"stakeholder_type"``).
    """
    st = pledges["status"]
    df = pd.DataFrame({"status": st, "usd": pledges["estimated_value_usd"].to_numpy(), "n": 1})
    keys = ["status"]
    if by is not None:
        df.insert(0, by, pledges[by].astype("object").fillna(UNKNOWN).to_numpy())
        keys = [by, "status"]
    g = df.groupby(keys, observed=False)
    agg = pd.DataFrame({"pledges": g["n"].sum(), "usd": g["usd"].sum(min_count=1)}).reset_index()
    if by is None:
        tot_n, tot_u = agg["pledges"].sum(), agg["usd"].sum(min_count=1)
    else:
        tot_n = agg.groupby(by)["pledges"].transform("sum")
        tot_u = agg.groupby(by)["usd"].transform("sum")
    agg["pledges"] = agg["pledges"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["share"] = agg["pledges"] / tot_n
        agg["usd_share"] = (agg["usd"] / tot_u).where(tot_u > 0) if by is not None else (
            agg["usd"] / tot_u if tot_u > 0 else np.nan)
    agg["on_ladder"] = agg["status"].astype(str).isin(STATUS_LADDER)
    agg["status"] = agg["status"].astype(STATUS_DTYPE)
    return agg[[*keys, "pledges", "share", "usd", "usd_share", "on_ladder"]]


def dated_reports(pledges: pd.DataFrame) -> pd.Series:
    """Per pledge (index of ``pledges``): its ``last_report_date`` has a stated date, i.e. is
    not undated evidence placed at the day it was collected (``status_date_basis`` starting
    with ``"undated"``). True where the table has no ``status_date_basis`` column or no value
    in it."""
    if "status_date_basis" not in pledges.columns:
        return pd.Series(True, index=pledges.index)
    basis = pledges["status_date_basis"].astype("string")
    return ~basis.str.startswith("undated").fillna(False).astype(bool)


def _flags(pledges: pd.DataFrame, as_of: object, window_months: int) -> pd.DataFrame:
    if isinstance(window_months, bool) or not float(window_months).is_integer() or \
            window_months <= 0:  # 1.5 was taken as 1 without a word
        raise ValueError(f"window_months={window_months}: must be a whole positive number of "
                         "months")
    when = as_of_timestamp(as_of)
    start = when - pd.DateOffset(months=int(window_months))
    rep = pledges["last_report_date"]
    recent = (rep > start) & (rep <= when) & dated_reports(pledges)
    closed = pledges["status"].isin(CLOSED_STATUSES)
    overdue = (pledges["target_year"] < when.year).fillna(False).astype(bool) & ~closed
    return pd.DataFrame({
        "pledge_id": pledges["pledge_id"],
        "status": pledges["status"],
        "last_report_date": rep,
        "target_year": pledges["target_year"],
        "recent_report": recent,
        "closed": closed,
        "overdue": overdue,
    }, index=pledges.index)


def compliance_text(overall: pd.Series, as_of: object, undated_last: int = 0,
                    window_months: int = REPORT_WINDOW_MONTHS) -> str:
    """The sentence on reporting compliance (a :func:`reporting_compliance` row without
    ``by``), plain trusted text: how many pledges had a dated report in the ``window_months``
    before ``as_of``, how many never reported, and the ``undated_last`` others whose latest
    report has no visible date. Counts at 0 or at all of them read as such ("none of the 3
    pledges", "each has reported before", "none has ever reported"), not "0 have never
    reported"."""
    from p2c_analysis import report, style

    day = str(as_of)[:10]
    n, rep, never = (int(overall[k]) for k in ("pledges", "reported_recently",
                                               "never_reported"))
    if n == 0:
        return f"As of {day}, there is no pledge whose reporting could be counted."
    share = f" ({style.fmt_pct(overall['compliance_pct'])})"
    if n == 1 and rep:  # not "the 1 pledge had a ... (100.0%)": a share of one says nothing
        who, share = "the pledge had a", ""
    elif rep:
        who = f"{report.of_the(rep, n, 'pledge')} had a"
    else:
        who = "the pledge had no" if n == 1 else f"none of the {report.plural(n, 'pledge')} had a"
    lead = (f"As of {day}, {who} dated report of progress in the previous {window_months} "
            f"months{share}")
    if never == 0:
        rest = ("" if rep == n else "; it has reported before" if n == 1 else
                "; each has reported before")
    elif never == n:
        rest = "; it has never reported" if n == 1 else "; none has ever reported"
    else:
        rest = f"; {style.fmt_int(never)} {'has' if never == 1 else 'have'} never reported"
    text = f"{lead}{rest}."
    if undated_last:
        text += (f" {report.plural(undated_last, 'more pledge has', 'more pledges have')} a "
                 "latest report with no visible date, which gives "
                 f"{'its' if undated_last == 1 else 'their'} status but not when it was "
                 "reported, so it is not counted as recent.")
    return capitalised(text)


@checked(*_PROGRESS)
def reporting_compliance(pledges: pd.DataFrame, as_of: object = None,
                         window_months: int = REPORT_WINDOW_MONTHS, by: str | None = None,
                         exclude_closed: bool = False) -> pd.DataFrame:
    """Share of pledges with a progress report in the ``window_months`` before ``as_of``.

    Columns ``[by,] pledges, reported_recently, never_reported, compliance_pct`` (percent,
    0-100; NaN for an empty group). ``exclude_closed=True`` leaves completed/withdrawn pledges
    out of the base (they owe no further report). One row (no ``by``) or one per ``by`` value.
    """
    f = _flags(pledges, as_of, window_months)
    if exclude_closed:
        keep = ~f["closed"]
        f, pledges = f[keep], pledges[keep]
    f = f.assign(never=f["last_report_date"].isna(), n=1)
    if by is None:
        g = f.assign(_all="all").groupby("_all")
    else:
        f[by] = pledges[by].astype("object").fillna(UNKNOWN).to_numpy()
        g = f.groupby(by)
    out = g.agg(pledges=("n", "sum"), reported_recently=("recent_report", "sum"),
                never_reported=("never", "sum"))
    out = out.astype("int64")
    out["compliance_pct"] = 100.0 * out["reported_recently"] / out["pledges"].where(
        out["pledges"] > 0)
    out = out.reset_index()
    if by is None:
        out = out.drop(columns="_all")
        if out.empty:
            out = pd.DataFrame({"pledges": [0], "reported_recently": [0], "never_reported": [0],
                                "compliance_pct": [np.nan]})
    return out


@checked(*_PROGRESS)
def overdue(pledges: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """Overdue pledges: ``target_year`` before the year of ``as_of`` and not completed/withdrawn.

    Returns the rows of ``pledges`` (all their columns) plus ``years_overdue`` (as_of year -
    target year, >= 1), most overdue first. Pledges without a target year are never overdue.
    """
    f = _flags(pledges, as_of, REPORT_WINDOW_MONTHS)
    out = pledges.loc[f["overdue"].to_numpy()].copy()
    out["years_overdue"] = (as_of_timestamp(as_of).year
                            - pd.to_numeric(out["target_year"]).astype("int64"))
    return out.sort_values(["years_overdue", "pledge_id"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


@checked(*_PROGRESS)
def traffic_lights(pledges: pd.DataFrame, as_of: object = None,
                   window_months: int = REPORT_WINDOW_MONTHS) -> pd.DataFrame:
    """Per-pledge traffic light: ``"reported"`` / ``"closed"`` / ``"due"`` / ``"overdue"``
    (see module doc).

    Columns ``pledge_id, status, last_report_date, target_year, recent_report, closed, overdue,
    light`` (ordered Categorical over :data:`LIGHTS`), one row per pledge in input order.
    """
    f = _flags(pledges, as_of, window_months)
    light = np.select([f["recent_report"], f["closed"], f["overdue"]],
                      ["reported", "closed", "overdue"], default="due")
    f["light"] = pd.Categorical(light, dtype=LIGHT_DTYPE)
    return f.reset_index(drop=True)


@checked(*_PROGRESS)
def light_table(pledges: pd.DataFrame, as_of: object = None,
                window_months: int = REPORT_WINDOW_MONTHS) -> pd.DataFrame:
    """:func:`traffic_lights` with each pledge's ``title`` and ``pledger`` (and
    ``status_source``, ``status_date_basis`` when the table says where its statuses come from
    and how their dates are known), the lights that need
    attention first (overdue, due, closed, reported), then by target year."""
    lights = traffic_lights(pledges, as_of, window_months)
    extra = [c for c in ("title", "pledger", "status_source", "status_date_basis")
             if c in pledges.columns]
    named = lights.merge(pledges[["pledge_id", *extra]], on="pledge_id")
    return named.sort_values(["light", "target_year"], ascending=[False, True])


def light_counts(lights: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of each light in a :func:`traffic_lights` table (every light listed)."""
    c = lights["light"].value_counts().reindex(list(LIGHTS), fill_value=0)
    n = int(c.sum())
    return pd.DataFrame({"light": pd.Categorical(list(LIGHTS), dtype=LIGHT_DTYPE),
                         "pledges": c.to_numpy().astype("int64"),
                         "share": c.to_numpy() / n if n else np.nan})


def lights_by(lights: pd.DataFrame, column: str) -> pd.DataFrame:
    """Pledges per traffic light and per value of another column of a light table (e.g. the
    trackability ``index``): ``light, <column>, pledges``, every light and every category of
    ``column`` listed (0 where none), lights in :data:`LIGHTS` order."""
    counts = lights.groupby(["light", column], observed=False).size().rename("pledges")
    return counts.reset_index().astype({"pledges": "int64"})


def reported_trackable_text(lights: pd.DataFrame, categories: list[str] | tuple[str, ...]
                            ) -> str:
    """The sentence on how many pledges with a recent report (light ``"reported"``) are in a
    trackable index category (``index_trackable`` of a :func:`light_table` with the
    trackability index; ``categories``: the rubric's trackable category names), plain trusted
    text: "The 1 pledge with a recent report is in a trackable index category (High and
    Upper-moderate).", "2 of the 5 pledges ... are", "None of the 3 ... is"; "No pledge has a
    recent report." when none has. A missing ``index_trackable`` counts as not trackable."""
    from p2c_analysis import report

    reported = lights["light"].eq("reported").to_numpy(dtype=bool)
    n = int(reported.sum())
    if n == 0:
        return "No pledge has a recent report."
    t = int((reported & lights["index_trackable"].fillna(False).to_numpy(dtype=bool)).sum())
    cats = report.list_text(categories)
    if t == 0:
        who = ("the pledge with a recent report is not" if n == 1 else
               f"none of the {report.plural(n, 'pledge')} with a recent report is")
    else:
        who = (f"{report.of_the(t, n, 'pledge')} with a recent report "
               f"{'is' if t == 1 else 'are'}")
    text = f"{who} in a trackable index category ({cats})."
    return capitalised(text)


#: The statuses a pledge can hold, up the ladder first, as :func:`status_text` names them.
HELD_ORDER: tuple[str, ...] = ("completed", "in progress", "announced", "withdrawn")


def status_text(n: int, held: Mapping[str, int], public: int, own: int, as_of: object) -> str:
    """The sentence over the status ladder, plain trusted text: of the ``n`` pledges, how many
    have a status as of ``as_of`` (``held``: pledges per status; ``"unknown"`` and others not
    in :data:`HELD_ORDER` are not a status held), where those statuses come from (``public``
    from public evidence of progress, ``own`` self-reported; a source with none is not named)
    and every status held, up the ladder first. "Both pledges have a status as of 2026-01-01
    (self-reported): both are withdrawn.", not "...: 0 from public evidence of progress and 2
    self-reported; 2 are withdrawn"; "There is no pledge as of ..." and "No pledge has a status
    reported by ..." when none has one."""
    from p2c_analysis import report

    counts = [(s, int(held.get(s, 0))) for s in HELD_ORDER if int(held.get(s, 0)) > 0]
    known = sum(k for _, k in counts)
    if n == 0:
        return f"There is no pledge as of {as_of}."
    if known == 0:
        if n == 1:
            return f"The pledge has no status reported by {as_of}: it appears as 'unknown' below."
        who = "both appear" if n == 2 else f"all {n:,} appear"
        return f"No pledge has a status reported by {as_of}, so {who} as 'unknown' below."
    who = "The pledge" if n == 1 else report.of_the(known, n, "pledge")
    has = "has" if known == 1 else "have"
    if public and own:
        source = f"{public:,} from public evidence of progress, {own:,} self-reported"
    else:
        source = "from public evidence of progress" if public else "self-reported"
    if len(counts) == 1:
        s = counts[0][0]
        which = f"it is {s}" if known == 1 else f"{report.both_or_all(known)} are {s}"
    else:
        which = report.list_text(f"{k:,} {'is' if k == 1 else 'are'} {s}" if i == 0 else
                                 f"{k:,} {s}" for i, (s, k) in enumerate(counts))
    return f"{capitalised(who)} {has} a status as of {as_of} ({source}): {which}."
