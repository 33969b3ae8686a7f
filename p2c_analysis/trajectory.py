"""Trajectories: pledge mobilisation against the USD 100 bn goal, and internet use against a
target share online. Every projected number here is an **extrapolation** of a recent straight-line
pace, not a forecast: outputs carry ``kind = "extrapolation"``.

(a) Mobilisation (from ``milestones.load_milestones()``: ``date``, ``total_pledges``,
``total_value_usd``, cumulative published totals). The *pace* is USD per year over the last
``window_years`` before the latest published figure (points dated on or after
``last_date - window_years * 365.25 days``), by least squares on (decimal year, value)
(``fit="ols"``) or from the first and last point of the window (``fit="endpoints"``). The
projection starts from the **last published value** (the pace is fitted, the anchor is
observed): ``value(t) = last_value + pace * (t - last_date)``. The goal (``milestones.goal()``,
USD 100 bn "by 2026") is read as due on 31 December of its year. Alternative windows (default
1, 2 and 3 years) give the uncertainty band. Third-party figures are left out unless
``include_third_party=True``.

Enough history (:data:`MIN_SPAN_SHARE`). A pace "of the last N years" is measured only when the
first and last published totals of its window are at least three quarters of N years apart
(9 months for 1 year, 18 for 2, 27 for 3): a line through totals a few days apart (15.8 bn on
2022-06-07, 18.6 bn two days later) is not a yearly pace, and would read "USD 502 bn per year".
Otherwise the window has no pace (NaN), no extrapolated goal date and no "on track" (``<NA>``),
and ``pace_note`` says why in words. A window resting on exactly the same totals as a shorter
one has the same pace: ``same_totals_as`` names the shorter window, so it is not read as a
separate estimate. (With the default windows 1, 2 and 3 such a window never has enough history:
its totals lie within the shorter window, less than three quarters of its own length.)

(b) Connectivity (a per-year series of one country or group: ``year``, ``population`` and
``internet_pct`` or ``offline``). The trend is the least-squares slope of ``internet_pct`` (in
percentage points per year) over the last ``window`` years with a value (years
``last_year - window + 1 .. last_year``); the projection starts from the last observed share and
is capped to 0-100 %. Population in the projection year is held at the last year's value
(``population="hold"``) or grown at its compound annual growth over the window
(``population="grow"``). The year a target share is reached: the first whole year at or above
it (when the last observed share is already at or above it: the first year of the trailing
run of observed years at or above it),
else the string ``"not before 2050"`` (pace <= 0 or later than 2050).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

KIND = "extrapolation"
HORIZON_YEAR = 2030
LAST_SEARCH_YEAR = 2050
NOT_BEFORE = f"not before {LAST_SEARCH_YEAR}"
DAYS_PER_YEAR = 365.25
FITS: tuple[str, ...] = ("ols", "endpoints")
POPULATION_RULES: tuple[str, ...] = ("hold", "grow")
MAX_YEARS_AHEAD = 100  # a goal date further ahead than this is reported as NaT
#: A pace of the last N years needs published totals at least ``MIN_SPAN_SHARE * N`` years apart
#: (first to last total in the window). Three quarters: a window may start a little after the
#: coalition's totals do and published totals are irregular (months apart), but a "yearly" pace
#: drawn through a fraction of the window says little about the years it is named after.
MIN_SPAN_SHARE = 0.75
#: A trend is extended to :data:`HORIZON_YEAR` only from a series observed within this many
#: years of the analysis year: ITU's data lag a year or two, while a line drawn from a series
#: that ended long ago (Tuvalu's 2012-2017 pace carried to 2030 from 2017) contradicts the
#: value carried forward to the analysis year and says nothing about today.
MAX_TREND_AGE_YEARS = 3


def trend_is_current(last_observed_year: int, year: int) -> bool:
    """Whether a series last observed in ``last_observed_year`` may be extended from the
    analysis ``year`` (:data:`MAX_TREND_AGE_YEARS`)."""
    return year - int(last_observed_year) <= MAX_TREND_AGE_YEARS


def decimal_year(dates: pd.Series | pd.DatetimeIndex | pd.Timestamp) -> np.ndarray | float:
    """Dates as decimal years (``2024-07-02`` ~ 2024.5), days / 365.25 from 2000-01-01."""
    ref = pd.Timestamp("2000-01-01")
    if isinstance(dates, pd.Timestamp):
        return 2000.0 + (dates - ref).days / DAYS_PER_YEAR
    d = pd.to_datetime(pd.Series(dates))
    return (2000.0 + (d - ref).dt.days / DAYS_PER_YEAR).to_numpy(float)


def _from_decimal_year(y: float) -> pd.Timestamp:
    return (pd.Timestamp("2000-01-01") + pd.Timedelta(days=(y - 2000.0) * DAYS_PER_YEAR)).round("D")


def _slope(x: np.ndarray, y: np.ndarray, fit: str) -> float:
    if fit not in FITS:
        raise ValueError(f"fit={fit!r}: expected one of {FITS}")
    if len(x) < 2 or np.ptp(x) == 0:
        return float("nan")
    if fit == "endpoints":
        i, j = int(np.argmin(x)), int(np.argmax(x))
        return float((y[j] - y[i]) / (x[j] - x[i]))
    # least squares on centred values: a series that does not move has a slope of exactly 0
    # (np.polyfit gave 3.5e-13 pledges a year for the same count published twice)
    dx, dy = x - x.mean(), y - y.mean()
    return float((dx * dy).sum() / (dx * dx).sum())


# --- (a) mobilisation -------------------------------------------------------------------------

def _published(milestones: pd.DataFrame | None, include_third_party: bool) -> pd.DataFrame:
    """The milestones table (default ``milestones.load_milestones()``) without third-party
    rows unless asked, sorted by date, with ``decimal_year``; all its columns kept."""
    if milestones is None:
        from p2c_analysis import milestones as ms

        milestones = ms.load_milestones()
    m = milestones.copy()
    if "is_third_party" in m.columns and not include_third_party:
        m = m[~m["is_third_party"].astype(bool)]
    if "total_pledges" not in m.columns:
        m["total_pledges"] = np.nan
    if "is_third_party" not in m.columns:
        m["is_third_party"] = False
    m = m.sort_values("date", kind="stable").reset_index(drop=True)
    m["date"] = pd.to_datetime(m["date"])
    m["decimal_year"] = decimal_year(m["date"])
    return m


def mobilisation(milestones: pd.DataFrame | None = None,
                 include_third_party: bool = False) -> pd.DataFrame:
    """Cumulative published totals over time: ``date, decimal_year, total_pledges,
    total_value_usd, is_third_party`` sorted by date (NaN = not published at that date), and
    ``date_as_stated`` when the milestones have it (``"2023-09"``: ``date`` is the first day of
    a period stated as a month or a year). Default: ``milestones.load_milestones()`` without
    third-party figures."""
    m = _published(milestones, include_third_party)
    stated = ["date_as_stated"] if "date_as_stated" in m.columns else []
    return m[["date", "decimal_year", "total_pledges", "total_value_usd", "is_third_party",
              *stated]]


def _goal(goal: dict | None) -> tuple[float, int]:
    if goal is None:
        from p2c_analysis import milestones as ms

        goal = ms.goal()
    return float(goal["value_usd"]), int(goal["year"])


def _window_start(last_date: pd.Timestamp, window_years: float) -> pd.Timestamp:
    """First date of a pace window ending at ``last_date`` (inclusive)."""
    if window_years <= 0:
        raise ValueError(f"windows: {window_years} is not a positive number of years")
    return last_date - pd.Timedelta(days=float(window_years) * DAYS_PER_YEAR)


def pace_points(
    milestones: pd.DataFrame | None = None,
    windows: Sequence[float] = (1, 2, 3),
    include_third_party: bool = False,
) -> pd.DataFrame:
    """The published points each pace window of :func:`mobilisation_pace` rests on.

    One row per (window, published USD total): ``window_years, date, total_value_usd,
    total_pledges`` (NaN = no count published that day), ``is_third_party``, ``source_url``
    (``<NA>`` when the milestones table has none). The selection of :func:`mobilisation_pace`:
    the USD totals dated on or after ``last_date - window_years * 365.25 days``."""
    v = _published(milestones, include_third_party).dropna(subset=["total_value_usd"])
    if "source_url" not in v.columns:
        v["source_url"] = pd.NA
    cols = ["date", "total_value_usd", "total_pledges", "is_third_party", "source_url"]
    if v.empty:  # nothing published (yet, as of an early date): no point
        return v[cols].assign(window_years=pd.Series(dtype="float64"),
                              source_url=v["source_url"].astype("string"))[["window_years", *cols]]
    last = v["date"].iloc[-1]
    frames = [v.loc[v["date"] >= _window_start(last, w), cols].assign(window_years=float(w))
              for w in windows]
    out = pd.concat(frames, ignore_index=True)
    out["source_url"] = out["source_url"].astype("string")
    return out[["window_years", *cols]]


def min_span_days(window_years: float) -> float:
    """Shortest span, in days, between the first and last published totals a pace of the last
    ``window_years`` years may rest on (:data:`MIN_SPAN_SHARE` of the window)."""
    return float(window_years) * MIN_SPAN_SHARE * DAYS_PER_YEAR


def _years_text(window_years: float) -> str:
    """``1 -> "1 year"``, ``2 -> "2 years"``, ``1.5 -> "1.5 years"``."""
    return f"{window_years:g} year" + ("" if float(window_years) == 1 else "s")


def duration_text(days: float, need: bool = False) -> str:
    """A span of ``days`` in words: days under 61 days, else whole months (30.44 days), rounded
    down for a span measured (``"8 months"`` for 269 days, never more than it is) and given to
    one decimal for a minimum (``need=True``: ``"9 months"``, ``"13.5 months"``)."""
    if days < 61 and not need:
        n = int(round(days))
        return f"{n} day" + ("" if n == 1 else "s")
    months = days / (DAYS_PER_YEAR / 12)
    n_text = f"{round(months, 1):g}" if need else f"{math.floor(months + 1e-9)}"
    return f"{n_text} month" + ("" if n_text == "1" else "s")


def _history_note(dates: pd.Series, first_published: pd.Timestamp, window_years: float,
                  as_of: pd.Timestamp) -> str:
    """Why a window's totals (``dates``, sorted) are too few or too close together for a pace of
    the last ``window_years`` years; ``""`` when they span :func:`min_span_days`.
    ``first_published``: the date of the first USD total at all (the window holds every total
    when it starts on or before it); ``as_of``: the date the record is read on, for wording."""
    need = min_span_days(window_years)
    span = (dates.iloc[-1] - dates.iloc[0]).days
    if span >= need:
        return ""
    period = "year" if float(window_years) == 1 else f"{window_years:g} years"
    which = (f"by {as_of:%Y-%m-%d}" if dates.iloc[0] <= first_published else
             f"in the {period} to {dates.iloc[-1]:%Y-%m-%d}")
    needs = (f"a pace of the last {_years_text(window_years)} needs totals at least "
             f"{duration_text(need, need=True)} apart")
    if len(dates) == 1:
        return f"Only one total had been published {which} (on {dates.iloc[0]:%Y-%m-%d}); {needs}."
    return (f"The totals published {which} span {duration_text(span)} ({dates.iloc[0]:%Y-%m-%d}"
            f" to {dates.iloc[-1]:%Y-%m-%d}); {needs}.")


def _same_totals(dates_used: Sequence[str], windows: Sequence[float]) -> list[float]:
    """For each window, the shortest *shorter* window resting on exactly the same totals
    (``dates_used``), NaN when none does."""
    out = []
    for w, used in zip(windows, dates_used, strict=True):
        same = [float(v) for v, u in zip(windows, dates_used, strict=True) if v < w and u == used]
        out.append(min(same) if same else float("nan"))
    return out


def _windowed_slope(frame: pd.DataFrame, column: str, window_years: float, fit: str) -> float:
    """:func:`_slope` of ``column`` (non-missing values of ``frame``, already cut to the window)
    per decimal year; NaN when those values span less than :func:`min_span_days`."""
    f = frame.dropna(subset=[column])
    if len(f) < 2 or (f["date"].max() - f["date"].min()).days < min_span_days(window_years):
        return float("nan")
    return _slope(f["decimal_year"].to_numpy(), f[column].to_numpy(float), fit)


def _pace_row(v: pd.DataFrame, m: pd.DataFrame, w: float, fit: str, goal_usd: float,
              goal_year: int, as_of: pd.Timestamp) -> dict:
    """One row of :func:`mobilisation_pace`: the window of ``w`` years ending at the last USD
    total of ``v`` (the published USD totals; ``m`` all published rows, for the counts)."""
    last = v.iloc[-1]
    deadline = pd.Timestamp(goal_year, 12, 31)
    start = _window_start(last["date"], w)
    win = v[v["date"] >= start]
    note = _history_note(win["date"], v["date"].iloc[0], w, as_of)
    pace = _windowed_slope(win, "total_value_usd", w, fit)
    pace_n = _windowed_slope(m[m["date"] >= start], "total_pledges", w, fit)
    reached = v[v["total_value_usd"] >= goal_usd]
    remaining_years = (goal_usd - last["total_value_usd"]) / pace if pace > 0 else math.inf
    if not reached.empty:  # observed, whatever the pace
        gdate = reached["date"].iloc[0]
    elif remaining_years <= MAX_YEARS_AHEAD:
        gdate = _from_decimal_year(last["decimal_year"] + remaining_years)
    else:
        gdate = pd.NaT
    on_track = (True if not reached.empty else
                pd.NA if np.isnan(pace) else bool(pd.notna(gdate) and gdate <= deadline))
    return {
        "window_years": float(w), "fit": fit, "n_points": int(len(win)),
        "start_date": win["date"].min(), "last_date": last["date"],
        "last_value_usd": float(last["total_value_usd"]),
        "span_days": int((win["date"].max() - win["date"].min()).days),
        "enough_history": not note,
        "pace_usd_per_year": pace, "pace_pledges_per_year": pace_n,
        "goal_usd": goal_usd, "goal_year": goal_year, "goal_date": gdate,
        "value_at_deadline_usd": float(last["total_value_usd"] + pace * (
            decimal_year(deadline) - last["decimal_year"])),
        "on_track": on_track, "kind": KIND,
        "dates_used": "; ".join(f"{d:%Y-%m-%d}" for d in win["date"]),
        "pace_note": note,
    }


def mobilisation_pace(
    milestones: pd.DataFrame | None = None,
    windows: Sequence[float] = (1, 2, 3),
    fit: str = "ols",
    goal: dict | None = None,
    include_third_party: bool = False,
    as_of: object = None,
) -> pd.DataFrame:
    """Pace of mobilisation and the date the USD goal would be reached, one row per window.

    Columns: ``window_years, fit, n_points, start_date`` (first total in the window),
    ``last_date, last_value_usd, span_days`` (days from the first to the last USD total in the
    window), ``enough_history`` (``span_days`` >= :func:`min_span_days`: the module's rule),
    ``pace_usd_per_year`` (NaN without enough history), ``pace_pledges_per_year`` (pledge
    counts over the same window, NaN when the published counts in it span less than
    :func:`min_span_days`), ``goal_usd, goal_year, goal_date`` (projected date the value reaches
    the goal; ``NaT`` when there is no pace, the pace is not positive or the goal is more than
    :data:`MAX_YEARS_AHEAD` years away; the date of the first figure at or above the goal if
    already reached), ``value_at_deadline_usd`` (projected value on 31 Dec of the goal year,
    NaN without a pace), ``on_track`` (goal date on or before that deadline; ``<NA>`` without a
    pace, unless the goal is already reached), ``kind``, ``dates_used`` (the dates of the
    published USD totals the window rests on, ``"; "``-joined ISO dates; :func:`pace_points`
    lists them with their values and sources), ``same_totals_as`` (the shortest shorter window
    resting on exactly the same totals, so with the same pace; NaN when none) and ``pace_note``
    (why the window has no pace, in words, e.g. "The totals published by 2022-07-01 span 2 days
    (2022-06-07 to 2022-06-09); a pace of the last 1 year needs totals at least 9 months apart.";
    or that it repeats a shorter window; ``""`` otherwise).
    ``as_of``: the date the record is read on (``None``: the latest total's date), for the
    wording of ``pace_note`` only. No row when no USD total is published (``milestones`` as
    known on an early date).
    """
    m = mobilisation(milestones, include_third_party)
    goal_usd, goal_year = _goal(goal)
    v = m.dropna(subset=["total_value_usd"])
    if v.empty:
        return _no_pace()
    read_on = pd.to_datetime(as_of if as_of not in (None, "") else pd.NaT)
    read_on = v["date"].iloc[-1] if pd.isna(read_on) else read_on
    out = pd.DataFrame([_pace_row(v, m, w, fit, goal_usd, goal_year, read_on) for w in windows])
    out["goal_date"] = pd.to_datetime(out["goal_date"])
    out["on_track"] = out["on_track"].astype("boolean")
    out["same_totals_as"] = _same_totals(out["dates_used"].tolist(), out["window_years"].tolist())
    repeat = out["enough_history"] & out["same_totals_as"].notna()
    out.loc[repeat, "pace_note"] = [
        f"The same totals as the {w:g}-year window: the same pace, not a separate estimate."
        for w in out.loc[repeat, "same_totals_as"]]
    return out[list(PACE_COLUMNS)]


#: Columns of :func:`mobilisation_pace`.
PACE_COLUMNS: tuple[str, ...] = (
    "window_years", "fit", "n_points", "start_date", "last_date", "last_value_usd",
    "span_days", "enough_history", "pace_usd_per_year", "pace_pledges_per_year", "goal_usd",
    "goal_year", "goal_date", "value_at_deadline_usd", "on_track", "kind", "dates_used",
    "same_totals_as", "pace_note")


def _no_pace() -> pd.DataFrame:
    """:func:`mobilisation_pace` of nothing published: no row, its columns and dtypes."""
    dtypes = {"fit": "object", "n_points": "int64", "start_date": "datetime64[ns]",
              "last_date": "datetime64[ns]", "span_days": "int64", "enough_history": "bool",
              "goal_year": "int64", "goal_date": "datetime64[ns]", "on_track": "boolean",
              "kind": "object", "dates_used": "object", "pace_note": "object"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in PACE_COLUMNS})


def _track(values: pd.Series) -> bool | None:
    """``on_track`` of one or more windows: True/False, or None when none has an answer."""
    known = values.dropna()
    return None if known.empty else bool(known.all())


def mobilisation_summary(
    milestones: pd.DataFrame | None = None,
    window: float = 2,
    band_windows: Sequence[float] = (1, 2, 3),
    fit: str = "ols",
    goal: dict | None = None,
    include_third_party: bool = False,
    as_of: object = None,
) -> dict:
    """Sentence-ready figures: the pace over ``window`` years and the band over ``band_windows``.

    Keys: ``last_date, last_value_usd, goal_usd, goal_year, window_years, pace_usd_per_year,
    goal_date`` (central, ``NaT`` if never at this pace or no pace), ``goal_date_earliest``,
    ``goal_date_latest`` (over the band windows with a pace; ``NaT`` latest = some window never
    reaches it), ``pace_min_usd_per_year``, ``pace_max_usd_per_year`` (over the windows with a
    pace), ``value_at_deadline_usd``, ``on_track`` (central; None when the central window has
    no pace: not enough history, :data:`MIN_SPAN_SHARE`), ``on_track_all`` (every window with
    a pace; None when none has one), ``shortfall_at_deadline_usd`` (goal - projected value on
    31 Dec of the goal year, >= 0; NaN without a pace), ``fallback_window_years`` (the longest
    band window with a pace, whose figures the sentence gives when the central window has none;
    NaN when it has one or none has), ``fallback_goal_date`` (that window's goal date; NaT
    without one), ``kind`` and ``sentence``. ``as_of``: the date the record
    is read on, for the wording (:func:`mobilisation_pace`).
    """
    windows = list(dict.fromkeys([window, *band_windows]))
    t = mobilisation_pace(milestones, windows, fit, goal, include_third_party, as_of)
    if t.empty:
        return _summary_of_nothing(goal, window, fit)
    read_on = pd.to_datetime(as_of if as_of not in (None, "") else pd.NaT)
    c = t[t["window_years"] == float(window)].iloc[0]
    paced = t[t["pace_usd_per_year"].notna()]
    dates = paced["goal_date"]
    latest = pd.NaT if paced.empty or dates.isna().any() else dates.max()
    out = {
        "last_date": c["last_date"], "last_value_usd": c["last_value_usd"],
        "goal_usd": c["goal_usd"], "goal_year": int(c["goal_year"]),
        "window_years": float(window), "fit": fit,
        "pace_usd_per_year": c["pace_usd_per_year"],
        "goal_date": c["goal_date"],
        "goal_date_earliest": dates.min(), "goal_date_latest": latest,
        "pace_min_usd_per_year": paced["pace_usd_per_year"].min(),
        "pace_max_usd_per_year": paced["pace_usd_per_year"].max(),
        "value_at_deadline_usd": c["value_at_deadline_usd"],
        "on_track": _track(pd.Series([c["on_track"]], dtype="boolean")),
        "on_track_all": _track(paced["on_track"]),
        "shortfall_at_deadline_usd": max(0.0, c["goal_usd"] - c["value_at_deadline_usd"])
        if pd.notna(c["value_at_deadline_usd"]) else float("nan"),
        "fallback_window_years": float("nan"), "fallback_goal_date": pd.NaT,
        "kind": KIND,
    }
    if pd.notna(c["pace_usd_per_year"]):
        out["sentence"] = _pace_sentence(out["pace_usd_per_year"], c["goal_date"], window,
                                         out["goal_usd"], c["same_totals_as"], c, read_on)
        return out
    if int(c["n_points"]) == 1 and t["n_points"].max() == 1:  # one published total at all
        out["sentence"] = (
            f"The last {_years_text(window)} hold one published total (USD "
            f"{out['last_value_usd'] / 1e9:.1f} bn on {out['last_date']:%Y-%m-%d}): too few "
            "to measure a pace.")
        return out
    if paced.empty:
        first = t.loc[t["window_years"].idxmin()]
        longer = ", and longer windows more" if len(t) > 1 else ""
        out["sentence"] = (f"No pace can be measured yet: {first['pace_note'][:1].lower()}"
                           f"{first['pace_note'][1:-1]}{longer}.")
        return out
    alt = paced.loc[paced["window_years"].idxmax()]
    out["fallback_window_years"] = float(alt["window_years"])
    out["fallback_goal_date"] = alt["goal_date"]
    out["sentence"] = f"{c['pace_note']} " + _pace_sentence(
        alt["pace_usd_per_year"], alt["goal_date"], alt["window_years"], out["goal_usd"],
        alt["same_totals_as"], alt, read_on)
    return out


def _pace_sentence(pace: float, goal_date: pd.Timestamp, window: float, goal_usd: float,
                   same_as: float, row: Mapping | None = None,
                   read_on: pd.Timestamp = pd.NaT) -> str:
    """"At the pace of the last 2 years (USD 18.9 bn per year), pledges would reach USD 100 bn
    around February 2027 (extrapolation, not a forecast)." (``same_as``: a shorter window with
    the same totals, named in brackets; NaN: none).

    ``row`` (the window's row of :func:`mobilisation_pace`: ``last_date``, ``last_value_usd``)
    and ``read_on`` (the analysis date; NaT: the latest total's) keep the sentence true when
    the goal date is not ahead: a published total at or above the goal says it was reached,
    and an extrapolated date before the analysis date says the goal would have been reached by
    then, which no total published by then shows (stale data, or a pace that slowed)."""
    goal = f"USD {goal_usd / 1e9:.0f} bn"
    last_date = row["last_date"] if row is not None else pd.NaT
    if pd.notna(goal_date) and pd.notna(last_date) and goal_date <= last_date:
        return (f"The published total reached {goal} on {goal_date:%Y-%m-%d}: the goal is "
                "met as published, whatever the pace.")
    same = (f", resting on the same totals as the last {_years_text(same_as)}"
            if pd.notna(same_as) else "")
    head = (f"At the pace of the last {_years_text(window)} (USD {pace / 1e9:.1f} bn per "
            f"year{same}), pledges")
    if pd.notna(goal_date) and pd.notna(read_on) and goal_date < read_on:
        return (f"{head} would have reached {goal} around {goal_date:%B %Y}, before the "
                f"analysis date ({read_on:%Y-%m-%d}), but no total published by then shows it: "
                f"the latest, USD {float(row['last_value_usd']) / 1e9:.1f} bn, is dated "
                f"{last_date:%Y-%m-%d} (extrapolation, not a forecast).")
    when = f"around {goal_date:%B %Y}" if pd.notna(goal_date) else "not at all at this pace"
    return f"{head} would reach {goal} {when} (extrapolation, not a forecast)."


def _summary_of_nothing(goal: dict | None, window: float, fit: str) -> dict:
    """:func:`mobilisation_summary` when no USD total is published: no pace, no dates."""
    goal_usd, goal_year = _goal(goal)
    nat, nan = pd.NaT, float("nan")
    return {
        "last_date": nat, "last_value_usd": nan, "goal_usd": goal_usd, "goal_year": goal_year,
        "window_years": float(window), "fit": fit, "pace_usd_per_year": nan, "goal_date": nat,
        "goal_date_earliest": nat, "goal_date_latest": nat, "pace_min_usd_per_year": nan,
        "pace_max_usd_per_year": nan, "value_at_deadline_usd": nan, "on_track": None,
        "on_track_all": None, "shortfall_at_deadline_usd": nan, "fallback_window_years": nan,
        "fallback_goal_date": nat, "kind": KIND,
        "sentence": "No total of pledged value had been published yet: there is no pace to "
                    "extrapolate.",
    }


def band_label(pace: pd.DataFrame) -> str:
    """What the extrapolation band of :func:`extrapolation_from_pace` spans, for a chart legend:
    ``"pace of the last 1, 2 or 3 years"`` over the windows of :func:`mobilisation_pace` with a
    pace (``"pace of the last 2 years"`` for one); ``""`` when none has one (no band)."""
    w = [f"{x:g}" for x in pace.loc[pace["pace_usd_per_year"].notna(), "window_years"]]
    if not w:
        return ""
    joined = w[0] if len(w) == 1 else f"{', '.join(w[:-1])} or {w[-1]}"
    return f"pace of the last {joined} year" + ("" if w == ["1"] else "s")


def central_line_text(summary: Mapping) -> str:
    """Which line of the chart the central window of :func:`mobilisation_summary` is, in brackets
    after its name: ``" (the dashed line)"``; without a pace ``" (too little history for a
    pace; the dashed line is the pace of the last 1 year)"`` (its fallback window) or
    ``" (too little history for a pace)"`` (no line at all)."""
    if pd.notna(summary["pace_usd_per_year"]):
        return " (the dashed line)"
    fallback = summary.get("fallback_window_years", float("nan"))
    if pd.isna(fallback):
        return " (too little history for a pace)"
    return (" (too little history for a pace; the dashed line is the pace of the last "
            f"{_years_text(fallback)})")


def windows_text(pace: pd.DataFrame) -> str:
    """The sentence on what the windows of :func:`mobilisation_pace` hold (``window_years``,
    ``n_points``): "The windows hold 2 published totals in the last 1 year, 4 in the last 2
    years and 10 in the last 3 years."; windows are nested, so when all hold as many totals
    they hold the same ones, said once: "The last 1, 2 and 3 years hold the same 2 published
    totals."; ``""`` for no window."""
    from p2c_analysis.report import list_text, plural

    if pace.empty:
        return ""
    counts = pace["n_points"].astype(int).tolist()
    if len(counts) > 1 and len(set(counts)) == 1:
        spans = list_text(f"{y:g}" for y in pace["window_years"])
        return f"The last {spans} years hold the same {plural(counts[0], 'published total')}."
    parts = [f"{plural(n, 'published total') if i == 0 else n} in the last {_years_text(y)}"
             for i, (n, y) in enumerate(zip(counts, pace["window_years"], strict=True))]
    return f"The {'window holds' if len(parts) == 1 else 'windows hold'} {list_text(parts)}."


def horizon(goal: Mapping, summary: Mapping) -> pd.Timestamp:
    """How far a mobilisation chart extends: 31 December of the goal year, or the extrapolated
    date the goal is reached (``summary["goal_date"]``, :func:`mobilisation_summary`; when the
    central window has no pace, ``summary["fallback_goal_date"]``, that of the line drawn
    instead) when later."""
    end = pd.Timestamp(year=int(goal["year"]), month=12, day=31)
    reached = summary.get("goal_date")
    if reached is None or pd.isna(reached):
        reached = summary.get("fallback_goal_date")
    return max(end, reached) if reached is not None and pd.notna(reached) else end


def extrapolation_from_pace(
    pace: pd.DataFrame, until: pd.Timestamp, central_window: float = 2, steps: int = 24
) -> pd.DataFrame:
    """Straight lines ``value(t) = last_value_usd + pace_usd_per_year * years since last_date``
    for each window of :func:`mobilisation_pace` (one row per window), sampled from the
    last published date to ``until``: columns ``date, central`` (the ``central_window`` line),
    ``low``, ``high`` (lowest / highest line over the windows). Windows with no pace (NaN: too
    little history, :data:`MIN_SPAN_SHARE`) are left out, so no line is drawn from them; when
    the ``central_window`` has none, ``central`` is the longest window with a pace (the one
    :func:`mobilisation_summary` then quotes). Empty frame when no window has a pace."""
    p = pace[pace["pace_usd_per_year"].notna()]
    if p.empty:
        return pd.DataFrame(columns=["date", "central", "low", "high"])
    start = pd.Timestamp(p["last_date"].iloc[0])
    dates = pd.date_range(start, max(pd.Timestamp(until), start), periods=steps)
    years = ((dates - start) / pd.Timedelta(days=DAYS_PER_YEAR)).to_numpy(dtype=float)
    lines = {float(w): float(v0) + float(r) * years for w, v0, r in
             zip(p["window_years"], p["last_value_usd"], p["pace_usd_per_year"], strict=True)}
    stacked = np.vstack(list(lines.values()))
    central = lines.get(float(central_window), lines[max(lines)])
    return pd.DataFrame({"date": dates, "central": central, "low": stacked.min(axis=0),
                         "high": stacked.max(axis=0)})


# --- (b) connectivity -------------------------------------------------------------------------

def _prepare_series(series: pd.DataFrame) -> pd.DataFrame:
    if "year" not in series.columns or "population" not in series.columns:
        raise ValueError("series: needs columns 'year' and 'population'")
    s = series.copy()
    if "internet_pct" not in s.columns:
        if "offline" not in s.columns:
            raise ValueError("series: needs 'internet_pct' or 'offline'")
        s["internet_pct"] = 100.0 * (1.0 - s["offline"] / s["population"])
    if s["year"].duplicated().any():
        raise ValueError("series: one row per year expected (pass one country or group)")
    s = s.sort_values("year").reset_index(drop=True)
    s["year"] = s["year"].astype(int)
    return s


def connectivity_trend(
    series: pd.DataFrame,
    window: int = 5,
    target_pct: float = 95.0,
    horizon_year: int = HORIZON_YEAR,
    population: str = "hold",
) -> dict:
    """Recent internet-use trend of one country or group and where it leads.

    Keys: ``last_year, last_internet_pct, last_population, last_offline, window, n_years,
    slope_pp_per_year, pop_growth_per_year`` (compound, over the window), ``horizon_year,
    internet_pct_horizon`` (capped 0-100), ``population_horizon`` (per ``population`` rule:
    ``"hold"`` keeps the latest known population, of ``population_year``, which may be later
    than the last internet value), ``population_year``,
    ``offline_horizon`` (persons), ``target_pct, target_year`` (int, or ``"not before 2050"``;
    NaN-free), ``target_year_exact`` (float; NaN when not reached by 2050), ``kind``.
    Needs at least 2 years with a value in the window (else slope NaN, target "not before
    2050" unless already reached).
    """
    if population not in POPULATION_RULES:
        raise ValueError(f"population={population!r}: expected one of {POPULATION_RULES}")
    if window < 2:
        raise ValueError(f"window={window}: needs at least 2 years")
    if not 0 < target_pct <= 100:
        raise ValueError(f"target_pct={target_pct}: must be in (0, 100]")
    s = _prepare_series(series)
    obs = s.dropna(subset=["internet_pct"])
    if obs.empty:
        raise ValueError("series: no year with an internet value")
    last = obs.iloc[-1]
    ly = int(last["year"])
    win = obs[obs["year"] > ly - window]
    slope = _slope(win["year"].to_numpy(float), win["internet_pct"].to_numpy(float), "ols")
    pw = s[(s["year"] > ly - window) & (s["year"] <= ly)].dropna(subset=["population"])
    growth = float("nan")
    if len(pw) >= 2 and pw["population"].iloc[0] > 0:
        span = pw["year"].iloc[-1] - pw["year"].iloc[0]
        growth = (pw["population"].iloc[-1] / pw["population"].iloc[0]) ** (1 / span) - 1
    last_pop = float(last["population"])
    known_pop = s.dropna(subset=["population"])
    latest = known_pop.iloc[-1] if not known_pop.empty else last  # e.g. 2024 beside a 2017 value
    pop_year, pop_now = int(latest["year"]), float(latest["population"])
    pct_h = float(np.clip(last["internet_pct"] + slope * (horizon_year - ly), 0, 100))
    if population == "grow" and np.isfinite(growth):
        pop_h = pop_now * (1 + growth) ** (horizon_year - pop_year)
    else:
        pop_h = pop_now
    above = (obs["internet_pct"] >= target_pct).to_numpy()
    if above[-1]:  # reached: first year of the trailing run of years at or above the target
        below = np.flatnonzero(~above)
        first = int(obs["year"].iloc[below[-1] + 1 if len(below) else 0])
        t_exact = float(first)
        t_year: int | str = first
    elif slope > 0:
        t_exact = ly + (target_pct - float(last["internet_pct"])) / slope
        t_year = int(math.ceil(t_exact - 1e-9))
        if t_year > LAST_SEARCH_YEAR:
            t_year, t_exact = NOT_BEFORE, float("nan")
    else:
        t_year, t_exact = NOT_BEFORE, float("nan")
    return {
        "last_year": ly, "last_internet_pct": float(last["internet_pct"]),
        "last_population": last_pop,
        "last_offline": last_pop * (1 - float(last["internet_pct"]) / 100),
        "window": int(window), "n_years": int(len(win)), "slope_pp_per_year": slope,
        "pop_growth_per_year": growth, "population_rule": population,
        "horizon_year": int(horizon_year), "internet_pct_horizon": pct_h,
        "population_horizon": pop_h, "population_year": pop_year,
        "offline_horizon": pop_h * (1 - pct_h / 100),
        "target_pct": float(target_pct), "target_year": t_year,
        "target_year_exact": t_exact, "kind": KIND,
    }


def year_capped(trend: Mapping) -> int | None:
    """The first whole year in which the straight line of a :func:`connectivity_trend` result
    meets its cap, 100 % (rising) or 0 % (falling), when that is by its ``horizon_year``; else
    ``None`` (no cap reached, or no slope: NaN or 0). The year :func:`connectivity_path` first
    draws the capped value: Kiribati's 2024 line (89.4 %, +9.4 pp a year) reaches 100 % in 2026,
    not in 2030."""
    slope = float(trend["slope_pp_per_year"])
    if not np.isfinite(slope) or slope == 0:
        return None
    cap = 100.0 if slope > 0 else 0.0
    years = (cap - float(trend["last_internet_pct"])) / slope
    year = int(trend["last_year"]) + max(0, int(math.ceil(years - 1e-9)))
    return year if year <= int(trend["horizon_year"]) else None


def connectivity_trends(
    panel: pd.DataFrame,
    by: str,
    window: int = 5,
    target_pct: float = 95.0,
    horizon_year: int = HORIZON_YEAR,
    population: str = "hold",
) -> pd.DataFrame:
    """:func:`connectivity_trend` for each unit of a panel (``by`` = ``"iso3"`` or ``"group"``).

    One row per unit (units without any internet value are skipped); ``target_year`` is an
    object column (int or ``"not before 2050"``). E.g. ``connectivity_trends(
    connectivity.aggregate_series(["LDC", "LLDC", "SIDS"]), by="group")``.
    """
    if by not in panel.columns:
        raise ValueError(f"panel: missing column {by!r}")
    rows = []
    for key, part in panel.groupby(by, sort=True):  # one fit per unit (countries, groups)
        if part["internet_pct" if "internet_pct" in part else "offline"].notna().sum() == 0:
            continue
        rows.append({by: key, **connectivity_trend(part.drop(columns=[by]), window,
                                                   target_pct, horizon_year, population)})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["target_year"] = out["target_year"].astype(object)
    return out


def connectivity_path(
    series: pd.DataFrame,
    window: int = 5,
    until: int = HORIZON_YEAR,
    population: str = "hold",
) -> pd.DataFrame:
    """Observed years plus the straight-line extrapolation to ``until``, for plotting.

    Columns ``year, internet_pct, population, offline, kind`` (``"observed"`` or
    ``"extrapolation"``), same rules as :func:`connectivity_trend`.
    """
    s = _prepare_series(series).dropna(subset=["internet_pct"])
    tr = connectivity_trend(series, window, 95.0, until, population)
    ly = tr["last_year"]
    years = np.arange(ly + 1, until + 1)
    pct = np.clip(tr["last_internet_pct"] + tr["slope_pp_per_year"] * (years - ly), 0, 100)
    g = tr["pop_growth_per_year"]
    if population == "grow" and np.isfinite(g):
        pop = tr["last_population"] * (1 + g) ** (years - ly)
    else:
        pop = np.full(len(years), tr["last_population"])
    obs = pd.DataFrame({"year": s["year"], "internet_pct": s["internet_pct"],
                        "population": s["population"],
                        "offline": s["population"] * (1 - s["internet_pct"] / 100),
                        "kind": "observed"})
    ext = pd.DataFrame({"year": years, "internet_pct": pct, "population": pop,
                        "offline": pop * (1 - pct / 100), "kind": KIND})
    return pd.concat([obs, ext], ignore_index=True)


def projection_band(
    paths: Mapping[object, pd.DataFrame], central: object, value: str = "internet_pct"
) -> pd.DataFrame:
    """Extrapolated years of several :func:`connectivity_path` results (e.g. one per
    trend window) as ``year, central, low, high``: ``central`` from the path keyed ``central``,
    ``low``/``high`` the lowest/highest over all paths. Rows with ``kind == "observed"`` are
    dropped, except the last observed year, where all lines start."""
    frames = []
    for key, p in paths.items():
        obs = p[p["kind"].eq("observed") & p[value].notna()]
        ext = p[p["kind"].ne("observed")]
        keep = pd.concat([obs.tail(1), ext])[["year", value]].assign(path=str(key))
        frames.append(keep)
    if not frames:
        return pd.DataFrame(columns=["year", "central", "low", "high"])
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(index="year", columns="path", values=value, aggfunc="first")
    out = pd.DataFrame({
        "year": wide.index.astype(int),
        "central": wide[str(central)].to_numpy() if str(central) in wide else np.nan,
        "low": wide.min(axis=1).to_numpy(),
        "high": wide.max(axis=1).to_numpy(),
    })
    return out.reset_index(drop=True)
