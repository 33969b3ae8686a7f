"""Tests for p2c_analysis.trajectory on hand-made linear series (exact answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import trajectory

GOAL = {"value_usd": 100e9, "year": 2026}


def _milestones() -> pd.DataFrame:
    # 2024-01-01, 2024-07-01, 2024-12-30 are 182 days apart: USD 10 bn per 182 days
    return pd.DataFrame({
        "date": pd.to_datetime(["2022-01-01", "2024-01-01", "2024-07-01", "2024-12-30",
                                "2024-12-30"]),
        "total_pledges": [100.0, 400.0, 500.0, 600.0, np.nan],
        "total_value_usd": [5e9, 40e9, 50e9, 60e9, 99e9],
        "is_third_party": [False, False, False, False, True],
    })


def test_goal_date_exact_on_linear_data():
    t = trajectory.mobilisation_pace(_milestones(), windows=(1,), goal=GOAL)
    r = t.iloc[0]
    assert r["n_points"] == 3  # 2022 point is outside one year; third-party row left out
    assert r["pace_usd_per_year"] == pytest.approx(10e9 / 182 * 365.25)
    # 40 bn more at 10 bn per 182 days: 728 days after 2024-12-30
    assert r["goal_date"] == pd.Timestamp("2024-12-30") + pd.Timedelta(days=728)
    assert r["goal_date"] == pd.Timestamp("2026-12-28")
    assert bool(r["on_track"])  # before 31 Dec 2026
    assert r["value_at_deadline_usd"] == pytest.approx(60e9 + 10e9 / 182 * 731)
    assert r["pace_pledges_per_year"] == pytest.approx(100 / 182 * 365.25)
    assert r["kind"] == "extrapolation"
    e = trajectory.mobilisation_pace(_milestones(), windows=(1,), fit="endpoints", goal=GOAL)
    assert e.iloc[0]["goal_date"] == pd.Timestamp("2026-12-28")


def test_windows_band_and_endpoints():
    t = trajectory.mobilisation_pace(_milestones(), windows=(1, 3), fit="endpoints", goal=GOAL)
    days = (pd.Timestamp("2024-12-30") - pd.Timestamp("2022-01-01")).days
    assert t.iloc[1]["n_points"] == 4
    assert t.iloc[1]["pace_usd_per_year"] == pytest.approx(55e9 / days * 365.25)
    s = trajectory.mobilisation_summary(_milestones(), window=1, band_windows=(1, 3),
                                        fit="endpoints", goal=GOAL)
    # the 3-year pace is slower (55 bn over ~3 years), so its goal date is later
    assert s["goal_date"] == pd.Timestamp("2026-12-28")
    assert s["goal_date_latest"] > s["goal_date"] == s["goal_date_earliest"]
    assert s["on_track"] and not s["on_track_all"]
    assert s["shortfall_at_deadline_usd"] == 0.0
    assert "extrapolation" in s["sentence"] and "100 bn" in s["sentence"]


def test_third_party_included_and_goal_already_reached():
    t = trajectory.mobilisation_pace(_milestones(), windows=(1,), goal={"value_usd": 50e9,
                                                                         "year": 2026})
    assert t.iloc[0]["goal_date"] == pd.Timestamp("2024-07-01")  # first figure >= goal
    tp = trajectory.mobilisation(_milestones(), include_third_party=True)
    assert len(tp) == 5 and len(trajectory.mobilisation(_milestones())) == 4


def test_flat_pace_never_reaches():
    m = _milestones().iloc[:4].copy()
    m["total_value_usd"] = 60e9
    t = trajectory.mobilisation_pace(m, windows=(1,), goal=GOAL)
    assert pd.isna(t.iloc[0]["goal_date"]) and not t.iloc[0]["on_track"]
    s = trajectory.mobilisation_summary(m, window=1, band_windows=(1,), goal=GOAL)
    assert s["shortfall_at_deadline_usd"] == pytest.approx(40e9)
    assert "not at all" in s["sentence"]


def _series(slope: float = 3.0) -> pd.DataFrame:
    years = np.arange(2018, 2025)
    pct = 70.0 - slope * (2024 - years)
    pct[:2] = [10.0, 90.0]  # 2018-2019 outside a 5-year window: must not matter
    return pd.DataFrame({"year": years, "population": 1000.0 * 1.02 ** (years - 2018),
                         "internet_pct": pct})


def test_connectivity_trend_exact():
    tr = trajectory.connectivity_trend(_series(), window=5, target_pct=85)
    assert tr["slope_pp_per_year"] == pytest.approx(3.0)
    assert tr["target_year"] == 2029 and tr["target_year_exact"] == pytest.approx(2029.0)
    assert tr["internet_pct_horizon"] == pytest.approx(88.0)  # 70 + 6 * 3
    pop24 = 1000.0 * 1.02 ** 6
    assert tr["population_horizon"] == pytest.approx(pop24)  # held
    assert tr["offline_horizon"] == pytest.approx(pop24 * 0.12)
    assert tr["kind"] == "extrapolation"
    g = trajectory.connectivity_trend(_series(), window=5, target_pct=95, population="grow")
    assert g["pop_growth_per_year"] == pytest.approx(0.02)
    assert g["population_horizon"] == pytest.approx(pop24 * 1.02 ** 6)
    assert g["target_year"] == 2033  # 2024 + 25 / 3 = 2032.33 -> first whole year 2033


def test_connectivity_trend_offline_input_and_never():
    s = _series()
    off = s.assign(offline=s["population"] * (1 - s["internet_pct"] / 100)).drop(
        columns="internet_pct")
    tr = trajectory.connectivity_trend(off, window=5, target_pct=85)
    assert tr["slope_pp_per_year"] == pytest.approx(3.0) and tr["target_year"] == 2029
    slow = trajectory.connectivity_trend(_series(0.5), window=5, target_pct=95)
    assert slow["target_year"] == "not before 2050"  # 70 + 0.5 * 26 = 83 in 2050
    down = trajectory.connectivity_trend(_series(-1.0), window=5, target_pct=95)
    assert down["target_year"] == "not before 2050" and np.isnan(down["target_year_exact"])


def test_connectivity_trends_and_path():
    panel = pd.concat([_series().assign(group="A"), _series(0.5).assign(group="B")])
    t = trajectory.connectivity_trends(panel, by="group", window=5, target_pct=85)
    assert t.set_index("group")["target_year"].to_dict() == {"A": 2029, "B": "not before 2050"}
    p = trajectory.connectivity_path(_series(), window=5, until=2030)
    ext = p[p["kind"] == "extrapolation"]
    assert list(ext["year"]) == list(range(2025, 2031))
    assert ext["internet_pct"].iloc[-1] == pytest.approx(88.0)
    with pytest.raises(ValueError, match="one row per year"):
        trajectory.connectivity_trend(panel.drop(columns="group"))


def test_real_milestones():
    from p2c_analysis import milestones

    m = milestones.load_milestones()
    itu = m[~m["is_third_party"]].dropna(subset=["total_value_usd"])
    last = itu.iloc[-1]
    t = trajectory.mobilisation_pace(windows=(1,), fit="endpoints")
    assert t.iloc[0]["last_value_usd"] == last["total_value_usd"]
    # endpoints of the one-year window, computed from the published figures directly
    win = itu[itu["date"] >= last["date"] - pd.Timedelta(days=365.25)]
    days = (win["date"].iloc[-1] - win["date"].iloc[0]).days
    pace = (win["total_value_usd"].iloc[-1] - win["total_value_usd"].iloc[0]) / days * 365.25
    assert t.iloc[0]["pace_usd_per_year"] == pytest.approx(pace)
    assert t.iloc[0]["goal_usd"] == milestones.goal()["value_usd"]


def test_extrapolation_from_pace_hand_computed():
    pace = pd.DataFrame({
        "window_years": [1.0, 2.0, 3.0],
        "last_date": pd.to_datetime(["2026-01-01"] * 3),
        "last_value_usd": [80e9] * 3,
        "pace_usd_per_year": [10e9, 20e9, np.nan],
    })
    until = pd.Timestamp("2026-01-01") + pd.Timedelta(days=365.25)
    e = trajectory.extrapolation_from_pace(pace, until, central_window=2, steps=3)
    assert len(e) == 3
    # one year on: 80 + 20 = 100 bn (central, 2-year window), band 90..100; 3-year window has
    # no pace and is left out
    assert e["central"].iloc[-1] == pytest.approx(100e9, rel=1e-6)
    assert e["low"].iloc[-1] == pytest.approx(90e9, rel=1e-6)
    assert e["high"].iloc[-1] == pytest.approx(100e9, rel=1e-6)
    assert e["central"].iloc[0] == pytest.approx(80e9)
    empty = trajectory.extrapolation_from_pace(pace.assign(pace_usd_per_year=np.nan), until)
    assert empty.empty


def test_projection_band_starts_at_last_observation():
    def path(slope):
        return pd.DataFrame({
            "year": [2023, 2024, 2025, 2026],
            "internet_pct": [40.0, 42.0, 42.0 + slope, 42.0 + 2 * slope],
            "kind": ["observed", "observed", "extrapolation", "extrapolation"],
        })

    band = trajectory.projection_band({3: path(1.0), 5: path(2.0), 7: path(3.0)}, central=5)
    assert band["year"].tolist() == [2024, 2025, 2026]
    assert band["central"].tolist() == [42.0, 44.0, 46.0]
    assert band["low"].tolist() == [42.0, 43.0, 44.0]
    assert band["high"].tolist() == [42.0, 45.0, 48.0]


def test_a_projection_holds_the_latest_population_not_that_of_the_last_observation() -> None:
    """South Sudan's last Internet value is from 2019: its 2030 offline people were computed on
    the 2019 population (8.74 M), not the 2024 one the profile states."""
    from p2c_analysis import connectivity

    h = connectivity.history("SSD", 2024)
    t = trajectory.connectivity_trend(connectivity.observed_only(h), window=5)
    pop_2024 = float(h.loc[h["year"].eq(2024), "population"].iloc[0])
    assert t["last_year"] < 2024 and t["population_year"] == 2024
    assert t["offline_horizon"] == pytest.approx(pop_2024 * (1 - t["internet_pct_horizon"] / 100))
    observed = h[~h["imputed"] & h["internet_pct"].notna()]
    assert trajectory.connectivity_trend(observed, window=5)["slope_pp_per_year"] == \
        pytest.approx(t["slope_pp_per_year"])  # the trend itself rests on the same observations


def test_a_trend_is_extended_only_from_a_recent_series():
    """Tuvalu's 2012-2017 pace was carried to 2030 from 2017 while its 2017 value was held
    flat to 2024: two lines that contradict each other."""
    from p2c_analysis.trajectory import MAX_TREND_AGE_YEARS, trend_is_current

    assert MAX_TREND_AGE_YEARS == 3
    assert trend_is_current(2023, 2024) and trend_is_current(2021, 2024)
    assert not trend_is_current(2020, 2024) and not trend_is_current(2017, 2024)


# --- enough history: a pace of the last N years needs totals >= 0.75 N years apart ---------------

def _totals(dates: list[str], usd: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(dates), "total_value_usd": usd,
                         "total_pledges": np.nan, "is_third_party": False})


def test_totals_two_days_apart_give_no_pace_and_say_why():
    """The reviewer's case: USD 15.8 bn on 2022-06-07 and 18.6 bn on 2022-06-09 gave "USD 502 bn
    per year", the goal "around August 2022" and "On track: yes" for every window."""
    m = _totals(["2022-06-07", "2022-06-09"], [15.8e9, 18.6e9])
    t = trajectory.mobilisation_pace(m, goal=GOAL, as_of="2022-07-01")
    assert t["span_days"].tolist() == [2, 2, 2] and not t["enough_history"].any()
    assert t["pace_usd_per_year"].isna().all() and t["goal_date"].isna().all()
    assert t["value_at_deadline_usd"].isna().all() and t["on_track"].isna().all()
    assert t["pace_note"].iloc[0] == (
        "The totals published by 2022-07-01 span 2 days (2022-06-07 to 2022-06-09); a pace of "
        "the last 1 year needs totals at least 9 months apart.")
    assert t["pace_note"].iloc[2].endswith("the last 3 years needs totals at least 27 months "
                                           "apart.")
    s = trajectory.mobilisation_summary(m, goal=GOAL, as_of="2022-07-01")
    assert s["sentence"] == (
        "No pace can be measured yet: the totals published by 2022-07-01 span 2 days (2022-06-07 "
        "to 2022-06-09); a pace of the last 1 year needs totals at least 9 months apart, and "
        "longer windows more.")
    assert s["on_track"] is None and s["on_track_all"] is None
    assert np.isnan(s["pace_max_usd_per_year"]) and pd.isna(s["goal_date_earliest"])
    assert trajectory.extrapolation_from_pace(t, pd.Timestamp("2026-12-31")).empty
    assert trajectory.band_label(t) == ""
    one = trajectory.mobilisation_pace(m, windows=(1,), goal=GOAL)  # no as_of: the last total
    assert one["pace_note"].iloc[0].startswith("The totals published by 2022-06-09 span 2 days")


def test_a_short_window_paces_and_a_long_one_falls_back_to_it():
    """Totals over 300 days: enough for 1 year (>= 274 days), not for 2 (>= 548 days)."""
    m = _totals(["2023-01-01", "2023-10-28"], [30e9, 40e9])  # 300 days apart
    t = trajectory.mobilisation_pace(m, windows=(1, 2), goal=GOAL, as_of="2023-12-31")
    one, two = t.iloc[0], t.iloc[1]
    assert one["enough_history"] and one["pace_note"] == ""
    assert one["pace_usd_per_year"] == pytest.approx(10e9 / 300 * 365.25)
    assert not two["enough_history"] and np.isnan(two["pace_usd_per_year"])
    assert two["same_totals_as"] == 1.0 and pd.isna(one["same_totals_as"])
    assert two["pace_note"] == (
        "The totals published by 2023-12-31 span 9 months (2023-01-01 to 2023-10-28); a pace of "
        "the last 2 years needs totals at least 18 months apart.")
    s = trajectory.mobilisation_summary(m, window=2, band_windows=(1, 2), goal=GOAL,
                                        as_of="2023-12-31")
    assert np.isnan(s["pace_usd_per_year"]) and s["on_track"] is None
    assert s["fallback_window_years"] == 1.0 and s["fallback_goal_date"] == one["goal_date"]
    assert s["on_track_all"] is False  # the one window with a pace is not on track
    assert s["sentence"] == two["pace_note"] + (
        " At the pace of the last 1 year (USD 12.2 bn per year), pledges would reach USD 100 bn "
        f"around {one['goal_date']:%B %Y} (extrapolation, not a forecast).")
    assert trajectory.horizon(GOAL, s) == one["goal_date"]  # the drawn line reaches the goal
    e = trajectory.extrapolation_from_pace(t, pd.Timestamp("2024-10-28"), central_window=2,
                                           steps=2)
    # 366 days on from 2023-10-28 at the 1-year pace: the central line is the fallback's
    assert e["central"].iloc[-1] == pytest.approx(40e9 + 10e9 / 300 * 366)
    assert (e["low"] == e["high"]).all()
    assert trajectory.band_label(t) == "pace of the last 1 year"
    assert trajectory.central_line_text(s) == (
        " (too little history for a pace; the dashed line is the pace of the last 1 year)")


def test_the_rule_bites_at_three_quarters_of_the_window():
    assert trajectory.min_span_days(1) == pytest.approx(273.9375)
    assert trajectory.min_span_days(2) == pytest.approx(547.875)
    end = pd.Timestamp("2024-12-31")
    for days, enough in [(274, True), (273, False)]:
        m = _totals([f"{end - pd.Timedelta(days=days):%Y-%m-%d}", "2024-12-31"], [40e9, 50e9])
        t = trajectory.mobilisation_pace(m, windows=(1,), goal=GOAL)
        assert bool(t["enough_history"].iloc[0]) is enough
        assert np.isnan(t["pace_usd_per_year"].iloc[0]) is not enough
    assert trajectory.duration_text(1) == "1 day" and trajectory.duration_text(60) == "60 days"
    assert trajectory.duration_text(273) == "8 months"  # rounded down: never more than it is
    assert trajectory.duration_text(trajectory.min_span_days(1), need=True) == "9 months"
    assert trajectory.duration_text(trajectory.min_span_days(1.5), need=True) == "13.5 months"


def test_a_window_on_the_same_totals_as_a_shorter_one_says_so():
    # 730 days of totals: enough for 2.5 years (>= 685 days), and the same totals as 2 years
    m = _totals(["2021-01-01", "2022-01-01", "2023-01-01"], [10e9, 20e9, 30e9])
    t = trajectory.mobilisation_pace(m, windows=(1, 2, 2.5), fit="endpoints", goal=GOAL)
    assert t["n_points"].tolist() == [2, 3, 3] and t["enough_history"].all()
    assert t["same_totals_as"].isna().tolist() == [True, True, False]
    assert t["same_totals_as"].iloc[2] == 2.0
    assert t["pace_usd_per_year"].iloc[2] == t["pace_usd_per_year"].iloc[1] == \
        pytest.approx(20e9 / 730 * 365.25)
    assert t["pace_note"].tolist() == [
        "", "", "The same totals as the 2-year window: the same pace, not a separate estimate."]
    s = trajectory.mobilisation_summary(m, window=2.5, band_windows=(1, 2, 2.5),
                                        fit="endpoints", goal=GOAL)
    assert s["sentence"].startswith(
        "At the pace of the last 2.5 years (USD 10.0 bn per year, resting on the same totals as "
        "the last 2 years), pledges would reach USD 100 bn around")
    # with the default windows, a window on a shorter one's totals never has enough history
    d = trajectory.mobilisation_pace(m, fit="endpoints", goal=GOAL)
    assert d["same_totals_as"].tolist()[2] == 2.0 and not d["enough_history"].iloc[2]


@pytest.mark.parametrize(("as_of", "paced", "sentence"), [
    ("2022-07-01", [], "No pace can be measured yet: the totals published by 2022-07-01 span 2 "
                       "days (2022-06-07 to 2022-06-09)"),
    ("2022-12-31", [], "No pace can be measured yet: the totals published by 2022-12-31 span 5 "
                       "months (2022-06-07 to 2022-12-01)"),
    ("2023-06-30", [1.0], "The totals published by 2023-06-30 span 11 months (2022-06-07 to "
                          "2023-05-17); a pace of the last 2 years needs totals at least 18 "
                          "months apart. At the pace of the last 1 year (USD 13.7 bn per year)"),
    ("2024-06-30", [2.0], "At the pace of the last 2 years (USD 13.5 bn per year)"),
    (None, [1.0, 2.0, 3.0], "At the pace of the last 2 years (USD 18.9 bn per year), pledges "
                            "would reach USD 100 bn around February 2027"),
])
def test_bundled_totals_pace_only_windows_with_enough_history(as_of, paced, sentence):
    from p2c_analysis import milestones

    known = milestones.known_on(milestones.load_milestones(), as_of)
    t = trajectory.mobilisation_pace(known, as_of=as_of)
    assert t.loc[t["enough_history"], "window_years"].tolist() == paced
    assert t.loc[t["pace_usd_per_year"].notna(), "window_years"].tolist() == paced
    assert t["on_track"].isna().tolist() == [w not in paced for w in t["window_years"]]
    assert (t["pace_note"].eq("") | ~t["enough_history"]).all()
    assert t.loc[~t["enough_history"], "pace_note"].str.contains(" apart.").all()
    s = trajectory.mobilisation_summary(known, as_of=as_of)
    assert s["sentence"].startswith(sentence)
    assert "nan" not in s["sentence"] and "NaT" not in s["sentence"]


def test_the_default_pace_is_unchanged_where_the_rule_does_not_bite():
    t = trajectory.mobilisation_pace().set_index("window_years")
    assert t["span_days"].tolist() == [365, 702, 1022]
    assert t.loc[2.0, "goal_date"] == pd.Timestamp("2027-02-15")
    assert t["pace_usd_per_year"].round(-7).tolist() == [9.01e9, 18.92e9, 21.01e9]
    assert not t["on_track"].any() and t["pace_note"].eq("").all()


def test_windows_text_says_the_same_totals_once():
    """pledge_landscape as of 2022-07-01 read "The windows hold 2 published totals in the last
    1 year, 2 published totals in the last 2 years and 2 published totals in the last 3
    years": nested windows holding as many totals hold the same ones."""
    same = pd.DataFrame({"window_years": [1.0, 2.0, 3.0], "n_points": [2, 2, 2]})
    assert trajectory.windows_text(same) == (
        "The last 1, 2 and 3 years hold the same 2 published totals.")
    grow = same.assign(n_points=[2, 4, 10])
    assert trajectory.windows_text(grow) == (
        "The windows hold 2 published totals in the last 1 year, 4 in the last 2 years and 10 "
        "in the last 3 years.")
    assert trajectory.windows_text(grow.iloc[:1]) == \
        "The window holds 2 published totals in the last 1 year."
    assert trajectory.windows_text(grow.iloc[:0]) == ""


def test_a_goal_date_before_the_analysis_date_is_not_said_in_the_future():
    """pledge_landscape as of 2027-06-01 (or any day after February 2027 with the bundled
    totals) read "pledges would reach USD 100 bn around February 2027": a date already past,
    which no published total shows. The sentence now says the pace would have reached it
    before the analysis date and that the latest total published by then is below it."""
    from p2c_analysis import milestones

    as_of = "2027-06-01"
    known = milestones.known_on(milestones.load_milestones(), as_of)
    row = trajectory.mobilisation_pace(known, as_of=as_of).set_index("window_years").loc[2.0]
    assert row["goal_date"] < pd.Timestamp(as_of) and row["last_value_usd"] < 100e9
    s = trajectory.mobilisation_summary(known, as_of=as_of)["sentence"]
    assert "would reach" not in s
    assert f"would have reached USD 100 bn around {row['goal_date']:%B %Y}, before the " \
           f"analysis date ({as_of})" in s
    assert f"USD {row['last_value_usd'] / 1e9:.1f} bn, is dated {row['last_date']:%Y-%m-%d}" in s
    # on a day before the extrapolated date the sentence still looks ahead
    before = f"{row['goal_date'] - pd.Timedelta(days=1):%Y-%m-%d}"
    ahead = trajectory.mobilisation_summary(
        milestones.known_on(milestones.load_milestones(), before), as_of=before)["sentence"]
    assert f"would reach USD 100 bn around {row['goal_date']:%B %Y}" in ahead


def test_a_goal_reached_by_a_published_total_is_said_to_be_reached():
    """A published total at or above the goal used to read "pledges would reach USD 50 bn
    around July 2024" (the date of that total, in the future tense)."""
    s = trajectory.mobilisation_summary(_milestones(), window=1, band_windows=(1,),
                                        goal={"value_usd": 50e9, "year": 2026})
    assert "would reach" not in s["sentence"]
    assert s["sentence"].startswith("The published total reached USD 50 bn on 2024-07-01")
