"""Checks on the published totals (p2c_analysis.totals): a hand-made series with one of each
problem, then the bundled files (both published-figures files, the itemised public pledges)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from p2c_analysis import fields, milestones, totals

HEADER = ("as_of_date,metric,breakdown_dimension,breakdown_value,value,unit,source_url,quote,"
          "notes\n")


@pytest.fixture
def hand_made(tmp_path) -> pd.DataFrame:
    p = tmp_path / "figures.csv"
    p.write_text(HEADER + "\n".join([
        "2024-01-01,total_pledges,,,100,count,https://a.org/1,q,",
        "2024-01-01,total_value_usd,,,5e9,USD,https://a.org/1,q,",
        "2024-01-01,entities,,,50,count,https://a.org/1,q,",
        "2024-02-01,total_pledges,,,90,count,https://a.org/2,q,",         # goes down
        "2024-03-01,total_value_usd,,,10e9,USD,https://a.org/3,q,",
        "2024-03-01,total_value_usd,,,12e9,USD,https://b.org/3,q,",       # disagrees
        "2024-03-01,total_value_usd,,,9e9,USD,https://c.org/3,q,NOT an ITU publication: x",
        "2024-06-01,entities,,,50,count,https://a.org/6,q,",              # repeated 152 days
        "2024-06-01,total_pledges,,,130,count,https://a.org/6,q,",
        "2024-06-01,total_pledges,stakeholder_type,Government,10,count,https://a.org/6,q,",
    ]) + "\n", encoding="utf-8")
    return milestones.load_published(p)


def _pledges(rows: list[dict]) -> pd.DataFrame:
    return fields.coerce_canonical(pd.DataFrame(
        [{"title": f"p{i}", "pledger": r.pop("pledger", "x"), **r} for i, r in enumerate(rows)]
        ).assign(pledge_id=lambda d: [f"P{i}" for i in range(len(d))]))


def test_one_of_each_problem(hand_made):
    pledges = _pledges([
        {"announced_date": "2024-02-15", "announced_precision": "day",
         "estimated_value_usd": 3e9, "pledger": "In window"},
        {"announced_date": "2024-01-01", "announced_precision": "day",   # on the first date:
         "estimated_value_usd": 1e9},                                     # already counted
        {"announced_date": "2024-01-01", "announced_precision": "year",  # 2024: not placeable
         "estimated_value_usd": 1e9},
        {"announced_date": "2024-03-01", "announced_precision": "month",  # March ends later
         "estimated_value_usd": 1e9},
    ])
    t = totals.published_totals_checks(hand_made, pledges)
    assert list(t.columns) == list(totals.CHECK_COLUMNS)
    assert t["finding"].tolist() == list(totals.KINDS)  # exactly one finding of each kind
    down, disagree, rise, repeated = (t.iloc[i] for i in range(4))
    assert (down["metric"], down["date_1"], down["date_2"], down["value_1"], down["value_2"]) \
        == ("total_pledges", "2024-01-01", "2024-02-01", 100, 90)
    assert (disagree["value_1"], disagree["value_2"]) == (9e9, 12e9)  # lowest and highest
    assert "third party" in disagree["explanation"] and "3 published figures" in \
        disagree["explanation"]
    # the rise is measured from the highest ITU figure of each date (12 bn, not 10 or 9)
    assert (rise["date_1"], rise["date_2"], rise["value_1"], rise["value_2"]) == (
        "2024-01-01", "2024-03-01", 5e9, 12e9)
    assert rise["itemised_pledges"] == 1 and rise["itemised_usd"] == 3e9
    assert "In window" in rise["explanation"] and "43%" in rise["explanation"]  # 3 / 7
    # one pledge in the window: in the singular (it read "the 1 itemised public pledge(s)
    # announced in that window (In window; 1 with a value) add up to")
    assert "the 1 itemised public pledge announced in that window (In window) adds up to " \
        "USD 3" in rise["explanation"]
    assert "pledge(s)" not in rise["explanation"]
    assert (repeated["metric"], repeated["value_1"], repeated["value_2"]) == ("entities", 50, 50)
    assert (repeated["total_value_usd_1"], repeated["total_value_usd_2"]) == (5e9, 12e9)
    assert t["explanation"].str.len().gt(20).all()


def test_no_findings_on_a_clean_series(tmp_path):
    p = tmp_path / "clean.csv"
    p.write_text(HEADER + "\n".join([
        "2024-01-01,total_pledges,,,100,count,https://a,q,",
        "2024-01-01,total_value_usd,,,5e9,USD,https://a,q,",
        "2024-02-01,total_pledges,,,110,count,https://a,q,",
        "2024-02-01,total_value_usd,,,6e9,USD,https://a,q,",
    ]) + "\n", encoding="utf-8")
    t = totals.published_totals_checks(milestones.load_published(p), _pledges([]))
    assert t.empty and list(t.columns) == list(totals.CHECK_COLUMNS)


def test_short_repeats_are_not_findings(tmp_path):
    p = tmp_path / "short.csv"
    p.write_text(HEADER + "\n".join([
        "2024-01-01,entities,,,50,count,https://a,q,",
        "2024-01-01,total_value_usd,,,5e9,USD,https://a,q,",
        "2024-02-15,entities,,,50,count,https://a,q,",  # 45 days < MIN_REPEAT_DAYS
        "2024-02-15,total_value_usd,,,6e9,USD,https://a,q,",
    ]) + "\n", encoding="utf-8")
    t = totals.published_totals_checks(milestones.load_published(p), _pledges([]))
    assert "count repeated while value grows" not in set(t["finding"])


# --- the bundled files ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return totals.published_totals_checks()


def _finding(t: pd.DataFrame, kind: str, metric: str, d1: str, d2: str) -> pd.Series:
    hit = t[(t["finding"] == kind) & (t["metric"] == metric) & (t["date_1"] == d1)
            & (t["date_2"] == d2)]
    assert len(hit) == 1, t[t["finding"] == kind][["metric", "date_1", "date_2"]]
    return hit.iloc[0]


def test_mwc_2024_rise_against_the_four_pledges(real):
    # 2023-12-12: "nearly $37-billion"; 2024-02-27: "over" USD 46 bn. Announced at MWC 2024 in
    # public_pledges.csv: e& 6 bn, China Telecom 1.4 bn, Ooredoo 1.1 bn, VEON 0.6 bn
    r = _finding(real, "increase vs itemised pledges", "total_value_usd", "2023-12-12",
                 "2024-02-27")
    assert (r["value_1"], r["value_2"]) == (37e9, 46e9)
    assert r["itemised_pledges"] == 4
    assert r["itemised_usd"] == pytest.approx(9.1e9)
    assert "the 4 itemised public pledges announced in that window (" in r["explanation"]
    for name in ("e&", "China Telecom", "Ooredoo", "VEON"):
        assert name in r["explanation"]


def test_other_real_findings(real):
    # Annual Report 2023 (845 pledges, 6 Dec) then the annual meeting counter (830, 12 Dec)
    down = _finding(real, "total goes down", "total_pledges", "2023-12-06", "2023-12-12")
    assert (down["value_1"], down["value_2"]) == (845, 830)
    # 12 Dec 2023: "more than 36 billion" (meeting page) and "nearly $37-billion" (press)
    both = _finding(real, "sources disagree", "total_value_usd", "2023-12-12", "2023-12-12")
    assert (both["value_1"], both["value_2"]) == (36e9, 37e9)
    # "over 1,000 pledges" in May 2025 and again at MWC 2026, while USD 73 bn became 82 bn
    rep = _finding(real, "count repeated while value grows", "total_pledges", "2025-05",
                   "2026-03-02")
    assert (rep["total_value_usd_1"], rep["total_value_usd_2"]) == (73e9, 82e9)
    assert real["finding"].isin(totals.KINDS).all()


def test_finding_counts_list_every_kind(real):
    c = totals.finding_counts(real)
    assert c["finding"].tolist() == list(totals.KINDS)
    assert c["findings"].sum() == len(real)
    # 845 -> 830 pledges and 408 -> 400 entities (twice); not USD 33 bn (2023-09, ITU Hub)
    # -> 32 bn (2023-09-17, a press copy): a month and a day in it cannot be ordered
    assert dict(zip(c["finding"], c["findings"], strict=True))["total goes down"] == 3
    empty = totals.finding_counts(real.iloc[:0])
    assert empty["findings"].tolist() == [0, 0, 0, 0]


def test_both_published_files_are_read():
    pub = milestones.load_published()
    assert len(pub) == 89 + 15  # data/pledges/README.md
    assert set(pub["source_file"]) == {"published_aggregates.csv",
                                       "published_aggregates_additions_2026-12.csv"}
    ms = milestones.load_milestones()
    apr = ms[(ms["date_as_stated"] == "2024-04") & ~ms["is_third_party"]].iloc[0]
    assert (apr["total_pledges"], apr["total_value_usd"]) == (900, 46e9)  # from the additions


def test_fmt_value():
    assert totals.fmt_value("total_value_usd", 46e9) == "USD 46 bn"
    assert totals.fmt_value("total_value_usd", 50.96e9) == "USD 50.96 bn"
    assert totals.fmt_value("total_pledges", 1000) == "1,000"


def test_dates_that_cannot_be_ordered_are_not_a_fall_and_publishers_are_named(tmp_path):
    # "2024-03" (a month: 1 to 31 March) and "2024-03-17" (a day inside it) cannot be put in
    # order: the month's figure may postdate the 17th. So 32 bn on 2024-03-17 is no fall from
    # 33 bn in 2024-03. 31 bn on 2024-05-01 is: March 2024 ends before 1 May. Each figure is
    # attributed to its publisher (the host of its URL), a press copy never to ITU.
    p = tmp_path / "months.csv"
    p.write_text(HEADER + "\n".join([
        "2024-03,total_value_usd,,,33e9,USD,https://www.itu.int/hub/a,q,",
        "2024-03-17,total_value_usd,,,32e9,USD,https://press.example.com/b,q,"
        "ITU press release as republished",
        "2024-05-01,total_value_usd,,,31e9,USD,https://press.example.com/c,q,",
    ]) + "\n", encoding="utf-8")
    figures = milestones.load_published(p)
    t = totals.published_totals_checks(figures, _pledges([]))
    down = t[t["finding"] == "total goes down"]
    assert down[["date_1", "date_2"]].values.tolist() == [["2024-03", "2024-05-01"]]
    text = down["explanation"].iloc[0]
    assert "USD 31 bn" in text and "USD 33 bn" in text
    assert "press.example.com" in text and "www.itu.int" in text
    assert "ITU published" not in text
    # a month and a later day of another month are ordered: 2024-02 ends before 2024-03-17
    assert totals.can_order("2024-02", "2024-03-17")
    assert not totals.can_order("2024-03", "2024-03-17")
    assert not totals.can_order("2024-03-17", "2024-03")
    assert totals.can_order("2024-03-16", "2024-03-17")
    assert not totals.can_order("2024-03-17", "2024-03-17")
    assert totals.can_order("2023", "2024-01") and not totals.can_order("2024", "2024-12-31")


def test_no_rise_is_measured_between_dates_that_cannot_be_ordered(tmp_path):
    p = tmp_path / "rise.csv"
    p.write_text(HEADER + "\n".join([
        "2024-03,total_value_usd,,,30e9,USD,https://a.org/1,q,",
        "2024-03-20,total_value_usd,,,34e9,USD,https://a.org/2,q,",
    ]) + "\n", encoding="utf-8")
    pledges = _pledges([{"announced_date": "2024-03-10", "announced_precision": "day",
                         "estimated_value_usd": 3e9}])
    t = totals.published_totals_checks(milestones.load_published(p), pledges)
    assert t.empty


def test_latest_total_card_says_none_yet_before_anything_was_published():
    """pledge_landscape as of 2022-03-01, before any USD total was published, showed the
    front-page card "Published total, latest: n/a". It now says nothing had been published yet
    by that date; a published total still reads as its amount."""
    from p2c_analysis import milestones, style, trajectory

    early = milestones.known_on(milestones.load_milestones(), "2022-03-01")
    last = trajectory.mobilisation_summary(early, as_of="2022-03-01")["last_value_usd"]
    card = totals.latest_total_card(last, "2022-03-01")
    assert card == "none yet as of 2022-03-01" and card != style.NA_TEXT
    assert totals.latest_total_card(float("nan"), pd.Timestamp("2022-03-01")) == card
    assert totals.latest_total_card(None, "") == "none yet"
    later = trajectory.mobilisation_summary(
        milestones.known_on(milestones.load_milestones(), "2023-06-30"), as_of="2023-06-30")
    assert totals.latest_total_card(later["last_value_usd"], "2023-06-30") == \
        style.fmt_usd(later["last_value_usd"])


@pytest.mark.parametrize("values, said", [
    ((3e9, 1e9), "the 2 itemised public pledges announced in that window (A, B; both with a "
                 "value) add up to USD 4"),
    ((3e9, 1e9, 1e9), "the 3 itemised public pledges announced in that window (A, B, C; all "
                      "with a value) add up to USD 5"),
    ((3e9, None, None), "the 3 itemised public pledges announced in that window (A, B, C; 1 with "
                        "a value) add up to USD 3"),
])
def test_the_rise_names_pledges_all_with_a_value_as_such(hand_made, values, said):
    """Two pledges in the window, both with a value, read "(MTN Group, Globalstar; 2 with a
    value)"."""
    pledges = _pledges([{"announced_date": "2024-02-15", "announced_precision": "day",
                         "estimated_value_usd": v, "pledger": name}
                        for v, name in zip(values, "ABC", strict=False)])
    t = totals.published_totals_checks(hand_made, pledges)
    rise = t[t["finding"].eq("increase vs itemised pledges")].iloc[0]
    assert said in rise["explanation"]


def test_checks_text_names_only_the_kinds_found():
    """Totals published by mid-2023 hold no finding: the page read "make 0 findings: total goes
    down (0), sources disagree (0), increase vs itemised pledges (0) and count repeated while
    value grows (0)"; one figure read "1 published headline figures ... (1 published by ITU
    ..., 0 quoted by third parties)"."""
    def heads(*third: bool) -> pd.DataFrame:
        return pd.DataFrame({"date": pd.to_datetime([f"2023-0{i + 1}-01"
                                                      for i in range(len(third))]),
                             "is_third_party": list(third)})

    none = pd.DataFrame(columns=list(totals.CHECK_COLUMNS))
    text = totals.checks_text(heads(False, False, True), none, "2023-06-30")
    assert text == ("The checks read 3 published headline figures dated 2023-01-01 to "
                    "2023-03-01 (2 published by ITU or in press copies of its releases and 1 "
                    "quoted by third parties) and find nothing to flag.")
    one = totals.checks_text(heads(False), none, "2023-06-30")
    assert one == ("The checks read 1 published headline figure dated 2023-01-01 (published by "
                   "ITU or in press copies of its releases) and find nothing to flag.")
    rise = pd.DataFrame({"finding": ["increase vs itemised pledges", "sources disagree"],
                         "value_1": [1e9, 5.0], "value_2": [3e9, 6.0],
                         "itemised_usd": [1e9, float("nan")]})
    found = totals.checks_text(heads(False, False), rise, "2023-06-30", own_pledges=False)
    assert "(all published by ITU or in press copies of its releases)" in found
    assert ("make 2 findings: sources disagree (1) and increase vs itemised pledges (1). The "
            "itemised public pledges announced between two published totals account for 50% "
            "of the rise (these checks read") in found
    for t in (text, one, found):
        assert not re.search(r"\(0\)|\b0 (findings|quoted)|\b1 published headline figures", t)
    assert totals.checks_text(heads(), none, "2000-01-01") == (
        "No headline figure had been published by 2000-01-01.")


def test_checks_shown_names_metrics_in_words(real):
    """The findings table showed the code names "total_value_usd" and "total_pledges" in its
    metric column; the CSV keeps them."""
    shown = totals.checks_shown(real)
    assert not shown["metric"].str.contains("_").any()
    assert set(shown.loc[real["metric"].eq("total_value_usd"), "metric"]) == {"total value"}
    assert real["metric"].str.contains("_").any()  # the table itself is not changed
