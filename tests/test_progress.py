"""Tests for p2c_analysis.progress on hand-made dates (as_of 2024-06-30 unless said)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import progress
from p2c_analysis.fields import PledgeTableError
from p2c_analysis.vocabulary import STATUSES

AS_OF = "2024-06-30"


def _pledges() -> pd.DataFrame:
    return pd.DataFrame({
        "pledge_id": ["a", "b", "c", "d", "e", "f", "g"],
        # e, g: no status reported (the loader reads a missing status as "unknown")
        "status": ["in progress", "announced", "announced", "completed", "unknown", "withdrawn",
                   "unknown"],
        "last_report_date": pd.to_datetime([
            "2024-01-10",  # a: within 12 months
            "2023-06-30",  # b: exactly 12 months before: not recent
            None,          # c: never reported
            None,          # d
            None,          # e
            "2024-07-15",  # f: after as_of: ignored
            "2023-07-01",  # g: just inside the window
        ]),
        "target_year": pd.array([2023, 2025, 2022, 2020, 2023, None, None], dtype="Int64"),
        "estimated_value_usd": [10.0, np.nan, 30.0, 40.0, np.nan, 5.0, 15.0],
        "stakeholder_type": ["Government", "Government", "Private sector", "Government",
                             "Private sector", "Private sector", "Government"],
    })


def test_traffic_lights_by_hand():
    t = progress.traffic_lights(_pledges(), AS_OF).set_index("pledge_id")
    assert t["light"].to_dict() == {
        "a": "reported",  # recent report wins although its target year (2023) has passed
        "b": "due",       # report exactly 12 months old is not recent; deadline 2025
        "c": "overdue",   # 2022 < 2024 and announced
        "d": "closed",    # completed: never overdue, no report expected
        "e": "overdue",   # unknown status is not completed
        "f": "closed",    # report after as_of ignored; withdrawn; no target year
        "g": "reported",  # 2023-07-01 is inside (2023-06-30, 2024-06-30]
    }
    assert bool(t.at["a", "overdue"]) and bool(t.at["d", "closed"])
    assert t.at["e", "status"] == "unknown" and t.at["g", "status"] == "unknown"
    assert list(t["light"].cat.categories) == list(progress.LIGHTS)


def test_traffic_lights_window_and_year_as_of():
    # as_of 2024 = 2024-07-01: g's report (2023-07-01) is now exactly 12 months old
    t = progress.traffic_lights(_pledges(), 2024).set_index("pledge_id")
    assert t.at["g", "light"] == "due"
    # a 24-month window makes b's report recent
    t24 = progress.traffic_lights(_pledges(), AS_OF, window_months=24).set_index("pledge_id")
    assert t24.at["b", "light"] == "reported"
    with pytest.raises(ValueError, match="window_months"):
        progress.traffic_lights(_pledges(), AS_OF, window_months=0)
    with pytest.raises(ValueError, match="as_of"):
        progress.traffic_lights(_pledges(), "last spring")


def test_reporting_compliance_by_hand():
    c = progress.reporting_compliance(_pledges(), AS_OF)
    assert c.loc[0, "pledges"] == 7 and c.loc[0, "reported_recently"] == 2  # a, g
    assert c.loc[0, "never_reported"] == 3  # c, d, e
    assert c.loc[0, "compliance_pct"] == pytest.approx(100 * 2 / 7)
    c2 = progress.reporting_compliance(_pledges(), AS_OF, exclude_closed=True)
    assert c2.loc[0, "pledges"] == 5 and c2.loc[0, "compliance_pct"] == pytest.approx(40.0)
    by = progress.reporting_compliance(_pledges(), AS_OF, by="stakeholder_type")
    by = by.set_index("stakeholder_type")
    assert by.at["Government", "compliance_pct"] == pytest.approx(50.0)  # a, g of a b d g
    assert by.at["Private sector", "compliance_pct"] == 0.0


def test_overdue_by_hand():
    o = progress.overdue(_pledges(), AS_OF)
    assert list(o["pledge_id"]) == ["c", "a", "e"]  # 2 years, then 1 year (a, e by id)
    assert list(o["years_overdue"]) == [2, 1, 1]


def test_status_distribution_by_hand():
    d = progress.status_distribution(_pledges()).set_index("status")
    assert list(d.index) == list(STATUSES)
    assert d["pledges"].to_dict() == {"announced": 2, "in progress": 1, "completed": 1,
                                      "withdrawn": 1, "unknown": 2}
    assert d.at["announced", "share"] == pytest.approx(2 / 7)
    assert d.at["completed", "usd"] == 40.0  # b has no value: adds nothing to announced
    assert d.at["announced", "usd"] == 30.0
    assert d.at["unknown", "usd_share"] == pytest.approx(15 / 100)
    assert d["on_ladder"].tolist() == [True, True, True, False, False]
    by = progress.status_distribution(_pledges(), by="stakeholder_type")
    gov = by[by["stakeholder_type"] == "Government"].set_index("status")
    assert gov["pledges"].sum() == 4 and gov.at["withdrawn", "pledges"] == 0
    assert gov["share"].sum() == pytest.approx(1.0)


def test_light_counts():
    t = progress.traffic_lights(_pledges(), AS_OF)
    c = progress.light_counts(t).set_index("light")
    assert c["pledges"].to_dict() == {"reported": 2, "closed": 2, "due": 1, "overdue": 2}


def test_real_pledges_lights():
    from p2c_analysis import pledges

    real = pledges.load_pledges().valid
    t = progress.traffic_lights(real, "2026-06-30")
    assert len(t) == 38
    # independent count: target year before 2026 and not closed; no recent reports
    ty = real["target_year"]
    closed = real["status"].astype(str).isin(["completed", "withdrawn"])
    recent = (real["last_report_date"] > "2025-06-30") & (real["last_report_date"] <= "2026-06-30")
    expect_overdue = int(((ty < 2026).fillna(False) & ~closed & ~recent).sum())
    assert int((t["light"] == "overdue").sum()) == expect_overdue
    assert int((t["light"] == "reported").sum()) == int(recent.sum())
    d = progress.status_distribution(real)
    assert d["pledges"].sum() == 38


def test_as_of_timestamp_follows_countries_as_of_date():
    # an int year (or "YYYY") is mid-year, 1 July; a full date is taken as is, at midnight
    assert progress.as_of_timestamp(2022) == pd.Timestamp("2022-07-01")
    assert progress.as_of_timestamp("2022") == pd.Timestamp("2022-07-01")
    assert progress.as_of_timestamp(pd.Timestamp("2023-12-13 15:30")) == pd.Timestamp("2023-12-13")
    with pytest.raises(ValueError, match="last year"):
        progress.as_of_timestamp("last year")


def test_a_table_outside_the_schema_is_refused_when_called():
    # the functions trust their input: the schema checks it at the call, with one clear error
    p = _pledges()
    p.loc[6, "status"] = "paused"  # the loader would have set this row aside
    with pytest.raises(PledgeTableError, match="status"):
        progress.traffic_lights(p, AS_OF)
    with pytest.raises(PledgeTableError, match="last_report_date"):
        progress.overdue(_pledges().drop(columns="last_report_date"), AS_OF)


def test_a_window_of_a_fraction_of_a_month_is_refused():
    with pytest.raises(ValueError, match="whole positive number of months"):
        progress.reporting_compliance(_pledges(), AS_OF, 1.5)
    assert progress.reporting_compliance(_pledges(), AS_OF, 12.0).equals(
        progress.reporting_compliance(_pledges(), AS_OF, 12))


def test_undated_evidence_gives_a_status_but_no_recent_report():
    """Evidence with no visible date is placed at the day it was collected (2026-12-01): it
    gives the pledge its status, but cannot make a report recent."""
    undated = "undated; known by 2026-12-01"
    p = pd.DataFrame({
        "pledge_id": ["dated", "undated", "done", "never"],
        "status": ["in progress", "in progress", "completed", "unknown"],
        "last_report_date": pd.to_datetime(["2026-03-05", "2026-12-01", "2026-12-01", None]),
        "target_year": pd.array([2030, 2030, 2030, 2030], dtype="Int64"),
        "estimated_value_usd": [1.0, 2.0, 3.0, 4.0],
        "status_date_basis": pd.array(["stated", undated, undated, None], dtype="string"),
    })
    rc = progress.reporting_compliance(p, "2026-12-03").iloc[0]
    assert (rc["reported_recently"], rc["never_reported"]) == (1, 1)
    assert rc["compliance_pct"] == pytest.approx(25.0)
    lights = progress.traffic_lights(p, "2026-12-03").set_index("pledge_id")["light"]
    assert lights.to_dict() == {"dated": "reported", "undated": "due", "done": "closed",
                                "never": "due"}
    # a table that does not say how its report dates are known: every date counts as stated
    rc = progress.reporting_compliance(p.drop(columns="status_date_basis"), "2026-12-03")
    assert rc["reported_recently"].item() == 3


# --- a pledge file's own statuses, through the implementation_progress report -------------------

def test_a_files_statuses_dated_after_the_analysis_date_are_not_applied(tmp_path):
    """The report on a pledge file applied its own statuses and report dates even when dated
    after ``as_of``: a pledge reported completed in October 2026 was 'closed' as of June 2025,
    never overdue though its 2024 target had passed, and counted as having reported. Now its
    status is unknown as of then (overdue, never reported), the header says one status was
    left aside, and the row is written as statuses_after_as_of.csv; the others are as before."""
    import json

    from rendering import csv_rows, render_one, write_rows

    src = write_rows(tmp_path / "own.csv", [
        {"title": "Done late", "pledger": "<b>Org A</b>", "target_countries": "KEN",
         "announced_date": "2023-05-10", "target_year": 2024, "status": "completed",
         "last_report_date": "2026-10-01"},
        {"title": "Going", "pledger": "Org B", "target_countries": "UGA",
         "announced_date": "2023-05-10", "target_year": 2027, "status": "in progress",
         "last_report_date": "2025-03-01"},
        {"title": "No report date", "pledger": "Org C", "target_countries": "NGA",
         "announced_date": "2023-05-10", "target_year": 2027, "status": "announced",
         "last_report_date": ""},
    ])
    folder = render_one("implementation_progress", {"pledges": str(src), "as_of": "2025-06-30"},
                        tmp_path / "runs")
    lights = {r["title"]: r for r in csv_rows(folder / "traffic_lights.csv")}
    assert {t: (r["status"], r["last_report_date"], r["light"]) for t, r in lights.items()} == {
        "Done late": ("unknown", "", "overdue"),
        "Going": ("in progress", "2025-03-01", "reported"),
        "No report date": ("announced", "", "due"),  # a status with no date stays known
    }
    assert [r["title"] for r in csv_rows(folder / "overdue_pledges.csv")] == ["Done late"]
    ladder = {r["status"]: r["pledges"] for r in csv_rows(folder / "status_ladder.csv")}
    assert (ladder["completed"], ladder["in progress"], ladder["unknown"]) == ("0", "1", "1")
    aside = csv_rows(folder / "statuses_after_as_of.csv")
    assert [(r["title"], r["status"], r["last_report_date"]) for r in aside] == [
        ("Done late", "completed", "2026-10-01")]
    headline = {h["label"]: h["value"] for h in
                json.loads((folder / "summary.json").read_text(encoding="utf-8"))["headline"]}
    assert (headline["With a status"], headline["Overdue"]) == ("2", "1")
    html = (folder / "implementation_progress.html").read_text(encoding="utf-8")
    assert ("Left aside: 1 self-reported status of the file whose report is dated after the "
            "analysis date, 2025-06-30: not known on that day, so its pledge counts as not yet "
            "reported (status unknown)") in html
    assert "2 have never reported" in html
    assert "<b>Org A</b>" not in html and "&lt;b&gt;Org A&lt;/b&gt;" in html


def test_the_compliance_sentence_says_none_each_and_all_rather_than_0():
    """A file of three withdrawn pledges last reported two years before read "As of
    2026-12-04, 0 of the 3 pledges had a dated report of progress in the previous 12 months
    (0.0%); 0 have never reported." Counts at 0 or at all of them now read as such."""
    def row(n: int, rep: int, never: int) -> pd.Series:
        return pd.Series({"pledges": n, "reported_recently": rep, "never_reported": never,
                          "compliance_pct": 100.0 * rep / n if n else float("nan")})

    text = progress.compliance_text
    assert text(row(3, 0, 0), "2026-12-04") == (
        "As of 2026-12-04, none of the 3 pledges had a dated report of progress in the previous "
        "12 months (0.0%); each has reported before.")
    assert text(row(3, 0, 3), "2026-12-04").endswith("(0.0%); none has ever reported.")
    assert text(row(1, 0, 1), "2026-12-04") == (
        "As of 2026-12-04, the pledge had no dated report of progress in the previous 12 months "
        "(0.0%); it has never reported.")
    assert text(row(3, 3, 0), "2026-12-04").endswith("all 3 pledges had a dated report of "
                                                    "progress in the previous 12 months (100.0%).")
    assert text(row(4, 1, 2), "2026-12-04", undated_last=1) == (
        "As of 2026-12-04, 1 of the 4 pledges had a dated report of progress in the previous 12 "
        "months (25.0%); 2 have never reported. 1 more pledge has a latest report with no "
        "visible date, which gives its status but not when it was reported, so it is not "
        "counted as recent.")
    assert text(row(0, 0, 0), "2026-12-04") == (
        "As of 2026-12-04, there is no pledge whose reporting could be counted.")
    for args in ((3, 0, 0), (3, 0, 3), (1, 0, 1), (3, 3, 0), (2, 1, 1)):
        assert not re.search(r"\b0 (of|have|has)\b", text(row(*args), "2026-12-04")), args


def test_the_sentence_on_reported_pledges_in_trackable_categories_reads_as_prose():
    """It read "Of the 1 pledge with a recent report, 1 is in a trackable index category" and
    "..., 0 are in ..."; counts are now said as such."""
    cats = ["High", "Upper-moderate"]

    def lights(reported_trackable: list[bool | None], others: int = 2) -> pd.DataFrame:
        return pd.DataFrame({
            "light": ["reported"] * len(reported_trackable) + ["due"] * others,
            "index_trackable": pd.array(list(reported_trackable) + [True] * others,
                                        dtype="boolean")})

    text = progress.reported_trackable_text
    assert text(lights([True]), cats) == ("The 1 pledge with a recent report is in a trackable "
                                          "index category (High and Upper-moderate).")
    assert text(lights([False]), cats).startswith("The pledge with a recent report is not in")
    assert text(lights([True, True]), cats).startswith("Both pledges with a recent report are")
    assert text(lights([True, False, None]), cats).startswith(
        "1 of the 3 pledges with a recent report is in")
    assert text(lights([True, True, False]), cats).startswith(
        "2 of the 3 pledges with a recent report are in")
    assert text(lights([False, None]), cats).startswith(
        "None of the 2 pledges with a recent report is in")
    assert text(lights([]), cats) == "No pledge has a recent report."


@pytest.mark.parametrize("n, held, public, own, text", [
    (0, {}, 0, 0, "There is no pledge as of 2026-01-01."),
    (1, {"unknown": 1}, 0, 0,
     "The pledge has no status reported by 2026-01-01: it appears as 'unknown' below."),
    (2, {"unknown": 2}, 0, 0,
     "No pledge has a status reported by 2026-01-01, so both appear as 'unknown' below."),
    (1, {"in progress": 1}, 0, 1,
     "The pledge has a status as of 2026-01-01 (self-reported): it is in progress."),
    (2, {"withdrawn": 2}, 0, 2,
     "Both pledges have a status as of 2026-01-01 (self-reported): both are withdrawn."),
    (2, {"announced": 1, "in progress": 1}, 0, 2,
     "Both pledges have a status as of 2026-01-01 (self-reported): 1 is in progress and 1 "
     "announced."),
    (5, {"completed": 2, "in progress": 1, "unknown": 2}, 1, 2,
     "3 of the 5 pledges have a status as of 2026-01-01 (1 from public evidence of progress, 2 "
     "self-reported): 2 are completed and 1 in progress."),
    (4, {"announced": 1, "unknown": 3}, 1, 0,
     "1 of the 4 pledges has a status as of 2026-01-01 (from public evidence of progress): it "
     "is announced."),
])
def test_the_status_line_names_only_what_holds(n, held, public, own, text) -> None:
    """The status line read "Both pledges have a status as of ...: 0 from public evidence of
    progress and 2 self-reported; 2 are withdrawn" (a source counting none, "2" of both): a
    source with none is not named, one status held by all is "both are" / "all are"."""
    assert progress.status_text(n, held, public, own, "2026-01-01") == text


def test_the_compliance_sentence_of_one_reporting_pledge_gives_no_share():
    """One pledge that had reported read "As of 2026-12-04, the 1 pledge had a dated report of
    progress in the previous 12 months (100.0%).": a share of a single pledge says nothing
    the sentence does not."""
    row = pd.Series({"pledges": 1, "reported_recently": 1, "never_reported": 0,
                     "compliance_pct": 100.0})
    assert progress.compliance_text(row, "2026-12-04") == (
        "As of 2026-12-04, the pledge had a dated report of progress in the previous 12 "
        "months.")
