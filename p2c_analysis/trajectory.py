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
``include_third_party=True``. Fewer than 2 points in a window: pace NaN.

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
    return float(np.polyfit(x, y, 1)[0])


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


def mobilisation_pace(
    milestones: pd.DataFrame | None = None,
    windows: Sequence[float] = (1, 2, 3),
    fit: str = "ols",
    goal: dict | None = None,
    include_third_party: bool = False,
) -> pd.DataFrame:
    """Pace of mobilisation and the date the USD goal would be reached, one row per window.

    Columns: ``window_years, fit, n_points, start_date, last_date, last_value_usd,
    pace_usd_per_year, pace_pledges_per_year`` (pledge counts over the same window, NaN with
    fewer than 2 published counts), ``goal_usd, goal_year, goal_date`` (projected date the
    value reaches the goal; ``NaT`` when the pace is not positive or the goal is more than
    :data:`MAX_YEARS_AHEAD` years away; the date of the first figure
    at or above the goal if already reached), ``value_at_deadline_usd`` (projected value on
    31 Dec of the goal year), ``on_track`` (goal date on or before that deadline), ``kind``,
    ``dates_used`` (the dates of the published USD totals the window's pace rests on,
    ``"; "``-joined ISO dates; :func:`pace_points` lists them with their values and sources).
    No row when no USD total is published (``milestones`` as known on an early date); a
    window of one published total has no pace (NaN) and no goal date.
    """
    m = mobilisation(milestones, include_third_party)
    goal_usd, goal_year = _goal(goal)
    deadline = pd.Timestamp(goal_year, 12, 31)
    v = m.dropna(subset=["total_value_usd"])
    if v.empty:
        return _no_pace()
    last = v.iloc[-1]
    reached = v[v["total_value_usd"] >= goal_usd]
    rows = []
    for w in windows:
        start = _window_start(last["date"], w)
        win = v[v["date"] >= start]
        pace = _slope(win["decimal_year"].to_numpy(), win["total_value_usd"].to_numpy(), fit)
        c = m[(m["date"] >= start) & m["total_pledges"].notna()]
        pace_n = _slope(c["decimal_year"].to_numpy(), c["total_pledges"].to_numpy(float), fit)
        if not reached.empty:
            gdate = reached["date"].iloc[0]
        elif pace > 0 and (goal_usd - last["total_value_usd"]) / pace <= MAX_YEARS_AHEAD:
            gdate = _from_decimal_year(
                last["decimal_year"] + (goal_usd - last["total_value_usd"]) / pace)
        else:
            gdate = pd.NaT
        at_deadline = (last["total_value_usd"] + pace * (decimal_year(deadline)
                                                          - last["decimal_year"]))
        rows.append({
            "window_years": float(w), "fit": fit, "n_points": int(len(win)),
            "start_date": win["date"].min(), "last_date": last["date"],
            "last_value_usd": float(last["total_value_usd"]),
            "pace_usd_per_year": pace, "pace_pledges_per_year": pace_n,
            "goal_usd": goal_usd, "goal_year": goal_year, "goal_date": gdate,
            "value_at_deadline_usd": float(at_deadline),
            "on_track": bool(pd.notna(gdate) and gdate <= deadline),
            "kind": KIND,
            "dates_used": "; ".join(f"{d:%Y-%m-%d}" for d in win["date"]),
        })
    out = pd.DataFrame(rows)
    out["goal_date"] = pd.to_datetime(out["goal_date"])
    return out


#: Columns of :func:`mobilisation_pace`.
PACE_COLUMNS: tuple[str, ...] = (
    "window_years", "fit", "n_points", "start_date", "last_date", "last_value_usd",
    "pace_usd_per_year", "pace_pledges_per_year", "goal_usd", "goal_year", "goal_date",
    "value_at_deadline_usd", "on_track", "kind", "dates_used")


def _no_pace() -> pd.DataFrame:
    """:func:`mobilisation_pace` of nothing published: no row, its columns and dtypes."""
    dtypes = {"fit": "object", "n_points": "int64", "start_date": "datetime64[ns]",
              "last_date": "datetime64[ns]", "goal_year": "int64",
              "goal_date": "datetime64[ns]", "on_track": "bool", "kind": "object",
              "dates_used": "object"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in PACE_COLUMNS})


def mobilisation_summary(
    milestones: pd.DataFrame | None = None,
    window: float = 2,
    band_windows: Sequence[float] = (1, 2, 3),
    fit: str = "ols",
    goal: dict | None = None,
    include_third_party: bool = False,
) -> dict:
    """Sentence-ready figures: the pace over ``window`` years and the band over ``band_windows``.

    Keys: ``last_date, last_value_usd, goal_usd, goal_year, window_years, pace_usd_per_year,
    goal_date`` (central, ``NaT`` if never at this pace), ``goal_date_earliest``,
    ``goal_date_latest`` (over the band windows; ``NaT`` latest = some window never reaches it),
    ``pace_min_usd_per_year``, ``pace_max_usd_per_year``, ``value_at_deadline_usd``,
    ``on_track`` (central), ``on_track_all`` (every window), ``shortfall_at_deadline_usd``
    (goal - projected value on 31 Dec of the goal year, >= 0), ``kind`` and ``sentence``.
    """
    windows = list(dict.fromkeys([window, *band_windows]))
    t = mobilisation_pace(milestones, windows, fit, goal, include_third_party)
    if t.empty:
        return _summary_of_nothing(goal, window, fit)
    c = t[t["window_years"] == float(window)].iloc[0]
    dates = t["goal_date"]
    latest = pd.NaT if dates.isna().any() else dates.max()
    out = {
        "last_date": c["last_date"], "last_value_usd": c["last_value_usd"],
        "goal_usd": c["goal_usd"], "goal_year": int(c["goal_year"]),
        "window_years": float(window), "fit": fit,
        "pace_usd_per_year": c["pace_usd_per_year"], "goal_date": c["goal_date"],
        "goal_date_earliest": dates.min(), "goal_date_latest": latest,
        "pace_min_usd_per_year": t["pace_usd_per_year"].min(),
        "pace_max_usd_per_year": t["pace_usd_per_year"].max(),
        "value_at_deadline_usd": c["value_at_deadline_usd"],
        "on_track": bool(c["on_track"]), "on_track_all": bool(t["on_track"].all()),
        "shortfall_at_deadline_usd": max(0.0, c["goal_usd"] - c["value_at_deadline_usd"]),
        "kind": KIND,
    }
    when = (f"around {out['goal_date']:%B %Y}" if pd.notna(out["goal_date"])
            else "not at all at this pace")
    years = f"{window:g} year" + ("" if window == 1 else "s")
    if pd.isna(out["pace_usd_per_year"]):  # one published total in the window: no line
        out["sentence"] = (
            f"The last {years} hold one published total (USD {out['last_value_usd'] / 1e9:.1f} "
            f"bn on {out['last_date']:%Y-%m-%d}): too few to measure a pace.")
        return out
    out["sentence"] = (
        f"At the pace of the last {years} (USD {out['pace_usd_per_year'] / 1e9:.1f} bn "
        f"per year), pledges would reach USD {out['goal_usd'] / 1e9:.0f} bn {when} "
        f"(extrapolation, not a forecast)."
    )
    return out


def _summary_of_nothing(goal: dict | None, window: float, fit: str) -> dict:
    """:func:`mobilisation_summary` when no USD total is published: no pace, no dates."""
    goal_usd, goal_year = _goal(goal)
    nat, nan = pd.NaT, float("nan")
    return {
        "last_date": nat, "last_value_usd": nan, "goal_usd": goal_usd, "goal_year": goal_year,
        "window_years": float(window), "fit": fit, "pace_usd_per_year": nan, "goal_date": nat,
        "goal_date_earliest": nat, "goal_date_latest": nat, "pace_min_usd_per_year": nan,
        "pace_max_usd_per_year": nan, "value_at_deadline_usd": nan, "on_track": False,
        "on_track_all": False, "shortfall_at_deadline_usd": nan, "kind": KIND,
        "sentence": "No total of pledged value had been published yet: there is no pace to "
                    "extrapolate.",
    }


def horizon(goal: Mapping, summary: Mapping) -> pd.Timestamp:
    """How far a mobilisation chart extends: 31 December of the goal year, or the extrapolated
    date the goal is reached (``summary["goal_date"]``, :func:`mobilisation_summary`) when
    later."""
    end = pd.Timestamp(year=int(goal["year"]), month=12, day=31)
    reached = summary.get("goal_date")
    return max(end, reached) if reached is not None and pd.notna(reached) else end


def extrapolation_from_pace(
    pace: pd.DataFrame, until: pd.Timestamp, central_window: float = 2, steps: int = 24
) -> pd.DataFrame:
    """Straight lines ``value(t) = last_value_usd + pace_usd_per_year * years since last_date``
    for each window of :func:`mobilisation_pace` (one row per window), sampled from the
    last published date to ``until``: columns ``date, central`` (the ``central_window`` line),
    ``low``, ``high`` (lowest / highest line over the windows). Windows with no pace (NaN) are
    left out; empty frame when none has a pace."""
    p = pace[pace["pace_usd_per_year"].notna()]
    if p.empty:
        return pd.DataFrame(columns=["date", "central", "low", "high"])
    start = pd.Timestamp(p["last_date"].iloc[0])
    dates = pd.date_range(start, max(pd.Timestamp(until), start), periods=steps)
    years = ((dates - start) / pd.Timedelta(days=DAYS_PER_YEAR)).to_numpy(dtype=float)
    lines = {float(w): float(v0) + float(r) * years for w, v0, r in
             zip(p["window_years"], p["last_value_usd"], p["pace_usd_per_year"], strict=True)}
    stacked = np.vstack(list(lines.values()))
    central = lines.get(float(central_window), np.median(stacked, axis=0))
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
