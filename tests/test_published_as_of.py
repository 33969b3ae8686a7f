"""Published totals as known on the analysis date: reports as of an earlier date use only the
figures published by then (they used to show the latest figures, from years later)."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
from rendering import csv_rows, render_one

from p2c_analysis import milestones, report, trajectory


def _text(page) -> str:
    t = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page.read_text(encoding="utf-8"),
               flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def test_known_on_keeps_the_figures_dated_by_then():
    m = milestones.load_milestones()
    assert milestones.known_on(m, None) is m and milestones.known_on(m, "") is m
    k = milestones.known_on(m, "2023-06-30")
    assert len(k) == (m["date"] <= "2023-06-30").sum() and 0 < len(k) < len(m)
    assert k["date"].max() <= pd.Timestamp("2023-06-30")
    # a figure stated for a month counts from its last day (as a pledge announced in a month)
    assert "2022-10" not in milestones.known_on(m, "2022-10-30")["date_as_stated"].tolist()
    assert "2022-10" in milestones.known_on(m, "2022-10-31")["date_as_stated"].tolist()
    ends = milestones.period_end(m).dt.strftime("%Y-%m-%d")
    assert ends[m["date_as_stated"].eq("2022-10")].tolist() == ["2022-10-31"]
    assert ends[m["date_as_stated"].eq("2022-06-07")].tolist() == ["2022-06-07"]
    assert milestones.known_on(m, "2022-01-01").empty


def test_a_pace_needs_two_published_totals():
    m = milestones.load_milestones()
    none = milestones.known_on(m, "2022-01-01")
    pace = trajectory.mobilisation_pace(none)
    assert pace.empty and list(pace.columns) == list(trajectory.PACE_COLUMNS)
    s = trajectory.mobilisation_summary(none)
    assert "No total of pledged value had been published yet" in s["sentence"]
    assert pd.isna(s["last_value_usd"]) and pd.isna(s["goal_date"])
    assert trajectory.pace_points(none).empty
    assert trajectory.extrapolation_from_pace(pace, trajectory.horizon(milestones.goal(), s)).empty
    one = milestones.known_on(m, "2022-06-08")  # the first total only
    s = trajectory.mobilisation_summary(one)
    assert s["sentence"] == ("The last 2 years hold one published total (USD 15.8 bn on "
                             "2022-06-07): too few to measure a pace.")
    assert "nan" not in s["sentence"]


def test_an_empty_table_says_so():
    html_text = report.table_html(pd.DataFrame({"a": pd.Series(dtype="float64")}))
    assert "No rows." in html_text
    assert "No rows." not in report.table_html(pd.DataFrame({"a": [1.0]}))


@pytest.mark.parametrize(("as_of", "latest"), [("2023-06-30", "USD 30.0 bn"),
                                               ("2022-01-15",
                                                "none yet as of 2022-01-15")])
def test_landscape_as_of_an_earlier_date_uses_the_totals_published_by_then(tmp_path, as_of,
                                                                         latest):
    folder = render_one("pledge_landscape", {"as_of": as_of}, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    heads = {h["label"]: h["value"] for h in summary["headline"]}
    assert heads["Published total, latest"] == latest
    points = csv_rows(folder / "mobilisation_pace_points.csv")
    assert all(p["date"] <= as_of for p in points)
    checks = csv_rows(folder / "published_totals_checks.csv")
    assert all(c["date_2"] <= as_of for c in checks)
    text = _text(folder / "pledge_landscape.html")
    assert "2026-03-04" not in text and " nan" not in text and "NaT" not in text
    if latest.startswith("none yet"):
        assert "No total of pledged value had been published yet" in text
        assert "No headline figure had been published by 2022-01-15." in text
    assert f"Not published yet on {as_of}: these breakdowns are dated 2023-12-06." in text


def test_quality_and_progress_as_of_an_early_date_say_nothing_was_published(tmp_path):
    folder = render_one("pledge_quality", {"as_of": "2023-06-30"}, tmp_path / "q")
    assert "No campaign total had been published by 2023-06-30." in _text(
        folder / "pledge_quality.html")
    assert [r["campaign"] for r in csv_rows(folder / "campaign_totals.csv")] == \
        ["sum of campaigns"]
    folder = render_one("implementation_progress", {"as_of": "2022-06-01"}, tmp_path / "p")
    assert "Nothing had been published about it by 2022-06-01." in _text(
        folder / "implementation_progress.html")


def test_investment_needs_as_known_on_a_date():
    from p2c_analysis import needs, record

    n = needs.load_needs()
    assert needs.known_on(n, None) is n
    assert needs.known_on(n, "2015-12-31").empty
    assert set(needs.known_on(n, "2016-12-31")["published"]) == {"2016"}  # a year: its last day
    assert "2020-08" not in set(needs.known_on(n, "2020-08-30")["published"])
    assert "2020-08" in set(needs.known_on(n, "2020-08-31")["published"])
    assert len(needs.known_on(n, "2026-01-01")) == len(n)
    P = record.public_record("2024-06-30").pledges
    assert needs.needs_vs_pledged(P, needs=needs.known_on(n, "2015-01-01")).empty
    nfa = needs.needs_by_focus_area(P, needs=needs.known_on(n, "2023-06-30"))
    assert nfa["need_low_usd"].isna().all()  # the focus mapping's study came out in 2025
    assert not needs.needs_by_focus_area(P)["need_low_usd"].isna().all()


def test_reports_before_any_estimate_say_so(tmp_path):
    for name in ("gap_coverage", "pledge_quality"):
        folder = render_one(name, {"as_of": "2015-06-30"}, tmp_path / name)
        text = _text(folder / f"{name}.html")
        assert "No estimate had been published by 2015-06-30." in text
        assert "2025-09" not in text and " nan" not in text


def test_landscape_on_totals_two_days_apart_measures_no_pace(tmp_path):
    """as_of 2022-07-01 read "At the pace of the last 2 years (USD 502.2 bn per year), pledges
    would reach USD 100 bn around August 2022" and "On track: yes" for all three windows, all on
    USD 15.8 bn on 2022-06-07 and USD 18.6 bn on 2022-06-09."""
    folder = render_one("pledge_landscape", {"as_of": "2022-07-01"}, tmp_path)
    text = _text(folder / "pledge_landscape.html")
    assert "502" not in text and "August 2022" not in text
    assert ("No pace can be measured yet: the totals published by 2022-07-01 span 2 days "
            "(2022-06-07 to 2022-06-09); a pace of the last 1 year needs totals at least 9 "
            "months apart, and longer windows more.") in text
    assert "at least three quarters of N years apart" in text  # the rule, in the method text
    pace = csv_rows(folder / "mobilisation_pace.csv")
    assert [p["enough_history"] for p in pace] == ["False"] * 3
    assert all(p["pace_usd_per_year"] == "" and p["on_track"] == "" for p in pace)
    assert all("span 2 days" in p["pace_note"] for p in pace)
