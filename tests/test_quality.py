"""p2c_analysis.quality: SMART score, trackability index, sensitivity, one field away, reach.

The hand-scored case (six criteria of weight 1; score = 100 x points / 6):

countries: AAA pop 100 offline 60 (an LDC); BBB pop 100 offline 10; CCC pop 100 offline 20.
World offline rate = 90 / 300 = 0.3. Region R1 = {BBB, CCC}: rate 30 / 200 = 0.15.

s1 focus ACCESS, country BBB, "Connect 500 schools", USD 1 m, target 2030, source URL
   specific 1 (focus, geography, deliverable), measurable 1, resource 1, time 1,
   relevant 0 (BBB: not an LDC, ratio 0.1 / 0.3 = 0.33), trackable 1       -> 5/6 = 83.3 High
s2 no focus, country AAA, "Support digital inclusion", In-kind, a progress report
   specific 1/3 (geography), measurable 0, resource 1 (in kind), time 0,
   relevant 1 (LDC; ratio 0.6 / 0.3 = 2), trackable 1 (report)           -> 3.33/6 = 55.6 Lower
s3 focus ADOPTION, region R1, "Train 2,000 teachers over three years." in the description,
   public evidence (given by the caller)
   specific 1, measurable 1 (quantity), resource 0, time 1 (period), relevant 0 (0.5),
   trackable 1 (evidence)                                                 -> 4/6 = 66.7 Upper
s4 global, "Global initiative", nothing else                               -> 0 Low
s5 no focus, country BBB, "Build 10 sites", USD 5 m, no year, no URL
   specific 2/3, measurable 1, resource 1, time 0, relevant 0, trackable 0 -> 2.67/6 = 44.4 Lower
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import deliverables, fields, paths, quality, record
from p2c_analysis.pledges import load_pledges

CT = pd.DataFrame({"iso3": ["AAA", "BBB", "CCC"], "population": [100.0, 100.0, 100.0],
                   "offline": [60.0, 10.0, 20.0]})
MEMBERS = {"LDC": ["AAA"], "LLDC": [], "SIDS": [], "R1": ["BBB", "CCC"]}


def _pledges() -> pd.DataFrame:
    return fields.coerce_canonical(pd.DataFrame({
        "pledge_id": ["s1", "s2", "s3", "s4", "s5"],
        "title": ["Connect 500 schools", "Support digital inclusion", "Skills",
                  "Global initiative", "Build 10 sites"],
        "pledger": ["A", "B", "C", "D", "E"],
        "stakeholder_type": ["Government", "Government", "Private sector", None,
                             "Private sector"],
        "pledge_type": [None, "In-kind", None, None, None],
        "focus_areas": [["ACCESS"], [], ["ADOPTION"], [], []],
        "target_countries": [["BBB"], ["AAA"], [], [], ["BBB"]],
        "target_regions": [[], [], ["R1"], [], []],
        "is_global": [False, False, False, True, False],
        "estimated_value_usd": [1e6, np.nan, np.nan, np.nan, 5e6],
        "value_as_stated": ["USD 1 million", None, None, None, "USD 5 million"],
        "target_year": [2030, None, None, None, None],
        "last_report_date": [None, "2024-05-01", None, None, None],
        "source_url": ["https://x", None, None, None, None],
        "description": [None, None, "Train 2,000 teachers over three years.", None, None],
    }))


def _score(**kw) -> quality.Scores:
    return quality.score(_pledges(), year=2024, evidence={"s3"}, country_table=CT,
                         memberships=MEMBERS, **kw)


def test_hand_scored_pledges() -> None:
    t = _score().table.set_index("pledge_id")
    assert t["score"].tolist() == [83.3, 55.6, 66.7, 0.0, 44.4]
    assert t["index"].astype(str).tolist() == ["High", "Lower-moderate", "Upper-moderate", "Low",
                                               "Lower-moderate"]
    assert t["index_trackable"].tolist() == [True, False, True, False, False]
    crit = ["specific", "measurable", "resource_based", "time_bound", "relevant", "trackable"]
    assert t.loc["s1", crit].tolist() == [1, 1, 1, 1, 0, 1]
    assert t.loc["s2", crit].tolist() == [0.333, 0, 1, 0, 1, 1]
    assert t.loc["s3", crit].tolist() == [1, 1, 0, 1, 0, 1]
    assert t.loc["s5", crit].tolist() == [0.667, 1, 1, 0, 0, 0]
    assert t.loc["s2", "offline_rate_ratio"] == pytest.approx(2.0)
    assert t.loc["s3", "offline_rate_ratio"] == pytest.approx(0.5)
    assert np.isnan(t.loc["s4", "offline_rate_ratio"])
    assert t.loc["s1", "deliverables"] == 1 and t.loc["s2", "deliverables"] == 0
    assert list(t.reset_index().columns[:8]) == list(quality.SCORE_BASE_COLUMNS)


def test_reasons_name_each_point() -> None:
    r = _score().table.set_index("pledge_id")["reasons"]
    assert r["s1"].startswith("specific 1/1 (+focus_area, +target_geography, "
                              "+named_deliverable)")
    assert "relevant 0/1 (none; missing priority_group, offline_ratio)" in r["s1"]
    assert "resource_based 1/1 (+in_kind_resource)" in r["s2"]
    assert "trackable 1/1 (+public_evidence)" in r["s3"]
    assert "time_bound 1/1 (+stated_period)" in r["s3"]
    assert r["s4"].count("0/1") == 6


def test_without_evidence_s3_loses_its_trackable_point() -> None:
    t = quality.score(_pledges(), year=2024, country_table=CT, memberships=MEMBERS).table
    assert t.set_index("pledge_id").loc["s3", "trackable"] == 0


def test_sensitivity_by_hand() -> None:
    sens = quality.sensitivity(_score()).set_index("dropped")
    base = sens.loc["none"]
    assert (base["High"], base["Upper-moderate"], base["Lower-moderate"], base["Low"]) == \
        (1, 1, 2, 1)
    # without relevant: s3 4/5 = 80 -> High
    rel = sens.loc["relevant"]
    assert (rel["High"], rel["Upper-moderate"], rel["pledges_changed"], rel["moved_up"]) == \
        (2, 0, 1, 1)
    # without trackable: s1 4/5 = 80, s3 3/5 = 60, s2 2.33/5, s5 2.67/5: nothing moves
    assert sens.loc["trackable", "pledges_changed"] == 0
    # without specific: s2 3/5 = 60 -> Upper-moderate
    spec = sens.loc["specific"]
    assert (spec["Upper-moderate"], spec["moved_up"], spec["moved_down"]) == (2, 1, 0)
    assert list(sens.index) == ["none", "specific", "measurable", "resource_based",
                                "time_bound", "relevant", "trackable"]


def test_one_field_away_by_hand() -> None:
    o = quality.one_field_away(_score())
    assert list(o.columns) == list(quality.ONE_FIELD_COLUMNS)
    got = {(r.pledge_id, r.missing_field): r.score_if_added for r in o.itertuples()}
    # s5 (44.4): a target year, a source URL or a report gives trackable 1 or time 1 -> 61.1
    assert got[("s5", "target_year")] == 61.1
    assert got[("s5", "source_url")] == 61.1
    assert got[("s5", "last_report_date")] == 61.1
    assert ("s5", "focus_areas") not in got  # 3.0 / 6 = 50: not enough
    # s2 (55.6): a year or a value -> 72.2; a focus area -> 61.1; a URL adds nothing
    assert got[("s2", "target_year")] == 72.2 and got[("s2", "estimated_value_usd")] == 72.2
    assert got[("s2", "focus_areas")] == 61.1
    assert ("s2", "source_url") not in got
    assert not (o["pledge_id"] == "s4").any()  # nothing single lifts 0 to 60
    assert not o["pledge_id"].isin(["s1", "s3"]).any()  # trackable already
    assert set(o["index_if_added"].astype(str)) == {"Upper-moderate"}


def test_distribution_by_stakeholder_type_and_target_group() -> None:
    s = _score()
    d = quality.distribution(s, "stakeholder_type").set_index("category")
    assert list(d.index) == ["Government", "Private sector", "unknown"]
    assert d.loc["Government", "pledges"] == 2
    assert d.loc["Government", "mean_score"] == pytest.approx((83.3 + 55.6) / 2)
    assert (d.loc["Government", "High"], d.loc["Government", "Lower-moderate"]) == (1, 1)
    assert d.loc["Government", "trackable_pct"] == 50.0
    f = quality.distribution(s, "focus_areas").set_index("category")
    assert list(f.index) == ["ACCESS", "ADOPTION", "none stated"]
    assert f.loc["none stated", "pledges"] == 3
    g = quality.distribution(s, "target_group", groups=["LDC", "R1"],
                             memberships=MEMBERS).set_index("category")
    assert g.loc["LDC", "pledges"] == 1  # s2
    assert g.loc["R1", "pledges"] == 3  # s1, s5 (BBB) and s3 (region R1)
    assert g.loc["Global (unallocated)", "pledges"] == 1  # s4


def test_relevance_table() -> None:
    r = quality.relevance(_pledges(), 2024, country_table=CT, memberships=MEMBERS)
    assert list(r.columns) == list(quality.RELEVANCE_COLUMNS)
    assert r["targets_priority_group"].tolist() == [False, True, False, False, False]
    assert r["target_offline"].tolist()[:3] == [10.0, 60.0, 30.0]
    assert r["offline_rate"].iloc[2] == pytest.approx(0.15)


def test_a_region_label_that_is_a_priority_group_counts() -> None:
    df = _pledges().iloc[[0]].copy()
    df["target_countries"] = [[]]
    df["target_regions"] = [["LDC"]]
    r = quality.relevance(df, 2024, country_table=CT, memberships=MEMBERS)
    assert bool(r["targets_priority_group"].iloc[0])


# --- reach ---------------------------------------------------------------------------------------

def test_reach_vs_offline_and_by_group() -> None:
    df = _pledges()
    df.loc[1, "description"] = "Connect 30 people."
    df.loc[4, "description"] = "Connect 4 people and train 2 people."
    reach = quality.reach_vs_offline(df, 2024, country_table=CT, memberships=MEMBERS)
    assert list(reach.columns) == list(quality.REACH_COLUMNS)
    assert reach["pledge_id"].tolist() == ["s2", "s3", "s5"]  # s3: 2,000 teachers trained
    assert reach.set_index("pledge_id").loc["s3", "people_trained"] == 2000.0
    s2 = reach.set_index("pledge_id").loc["s2"]
    assert (s2["people_connected"], s2["target_offline"]) == (30.0, 60.0)
    assert s2["connected_pct_of_offline"] == 50.0
    g = quality.reach_by_group(df, groups=["LDC", "R1"], year=2024, country_table=CT,
                               memberships=MEMBERS).set_index("group")
    assert list(g.reset_index().columns) == list(quality.REACH_GROUP_COLUMNS)
    assert g.loc["LDC", "offline"] == 60.0
    assert g.loc["LDC", "largest_people_connected"] == 30.0
    assert g.loc["R1", "pledges_within"] == 3  # s1, s3, s5
    assert g.loc["R1", "people_connected_sum_may_overlap"] == 4.0  # s5 only states people
    assert "more than once" in g.loc["R1", "note"]


def test_reach_sentence_and_table_name_the_economies():
    """The sentence read "The largest share of the people offline in its own targets: Gov X,
    3.00 M people to connect, 31.3% of the 9.58 M offline in GHA (2024)": an ISO3 code where a
    reviewer reads a name, and "the largest" of one pledge."""
    row = {"pledge_id": "a", "title": "t", "pledger": "Gov X", "targets": "GHA",
           "people_connected": 3e6, "people_trained": float("nan"),
           "people_reached": float("nan"), "target_population": 3e7, "target_offline": 9.58e6,
           "connected_pct_of_offline": 31.3}
    one = pd.DataFrame([row])
    text = quality.reach_text(one, 2024)
    assert text == ("1 pledge states a number of people and names its targets: Gov X, 3.00 M "
                    "people to connect, 31.3% of the 9.58 M offline in Ghana (2024).")
    two = pd.DataFrame([row, row | {"pledger": "Org Y", "targets": "KEN, Africa",
                                    "connected_pct_of_offline": 40.0}])
    assert quality.reach_text(two, 2024).endswith(
        "The largest share of the people offline in its own targets: Org Y, 3.00 M people to "
        "connect, 40.0% of the 9.58 M offline in Kenya, Africa (2024).")
    assert quality.reach_shown(two)["targets"].tolist() == ["Ghana", "Kenya, Africa"]
    assert quality.reach_text(one.iloc[:0], 2024) == (
        "No pledge that names its targets states a number of people.")
    trained = one.assign(people_connected=float("nan"), connected_pct_of_offline=float("nan"))
    assert quality.reach_text(trained, 2024) == (
        "1 pledge states a number of people and names its targets.")


# --- the rubric ----------------------------------------------------------------------------------

def test_rubric_file() -> None:
    r = quality.load_rubric()
    assert [c.name for c in r.criteria] == ["specific", "measurable", "resource_based",
                                             "time_bound", "relevant", "trackable"]
    assert r.categories == ["High", "Upper-moderate", "Lower-moderate", "Low"]
    assert r.trackable_categories == ("High", "Upper-moderate")
    assert all(c.source and c.source_url.startswith("http") for c in r.criteria)
    t = quality.rubric_table(r)
    assert len(t) == sum(len(c.ingredients) for c in r.criteria)
    assert set(t["ingredient"]) <= set(quality.INGREDIENTS)


def _rubric_text() -> str:
    return quality.RUBRIC.read_text(encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (('name = "focus_area"', 'name = "vibes"'), "unknown ingredient 'vibes'"),
    (('min_score = 60.0', 'min_score = 95.0'), "thresholds must decrease"),
    (('min_score = 0.0', 'min_score = 10.0'), "end at 0"),
    (('\nmode = "share"', '\nmode = "most"'), "mode must be one of"),
    (('trackable_categories = ["High", "Upper-moderate"]',
      'trackable_categories = ["Top"]'), "trackable_categories"),
])
def test_rubric_is_checked(tmp_path: Path, change, message) -> None:
    f = tmp_path / "r.toml"
    f.write_text(_rubric_text().replace(*change, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        quality.load_rubric(f)


def test_weights_come_from_the_rubric(tmp_path: Path) -> None:
    # relevant weighted 4: s2 = (0.333 + 1 + 4 + 1) / 9 = 70.4 -> Upper-moderate
    f = tmp_path / "r.toml"
    text = _rubric_text()
    at = text.index('name = "relevant"')
    text = text[:at] + text[at:].replace("weight = 1.0", "weight = 4.0", 1)
    f.write_text(text, encoding="utf-8")
    t = _score(rubric=f).table.set_index("pledge_id")
    assert t.loc["s2", "score"] == 70.4 and str(t.loc["s2", "index"]) == "Upper-moderate"
    assert t.loc["s2", "relevant"] == 4.0


# --- real pledges --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real() -> quality.Scores:
    both = pd.concat([load_pledges().valid, load_pledges(paths.PUBLIC_PLEDGES_ADDITIONS).valid],
                     ignore_index=True)
    return quality.score(both, year=2024)


def _real(real, pledger: str, start: str = "") -> pd.Series:
    t = real.table
    return t[(t["pledger"] == pledger) & t["title"].str.startswith(start)].iloc[0]


def test_real_pledges(real) -> None:
    zte = _real(real, "ZTE Corporation")  # LDCs; LLDCs; SIDS
    assert zte["relevant"] == 1 and zte["score"] == 100.0
    axian = _real(real, "Axian Telecom")  # Madagascar, Tanzania, Comoros: LDCs
    assert axian["relevant"] == 1 and str(axian["index"]) == "High"
    mtn = _real(real, "MTN Group")  # region Africa: offline rate above the world's
    assert mtn["offline_rate_ratio"] > 1 and mtn["relevant"] == 1
    huawei = _real(real, "Huawei", "Connectivity")  # no target named
    assert huawei["relevant"] == 0 and np.isnan(huawei["offline_rate_ratio"])
    uk = _real(real, "Government of the United Kingdom")  # only a source URL
    assert uk["score"] == pytest.approx(100 / 6, abs=0.05) and str(uk["index"]) == "Low"
    assert real.table["reasons"].notna().all()


def test_public_evidence_changes_only_the_trackable_ingredient(real) -> None:
    p = real.pledges
    pid = _real(real, "Government of the United Kingdom")["pledge_id"]
    ing = quality.ingredients(p, 2024, evidence={pid})
    assert bool(ing.loc[p["pledge_id"] == pid, "public_evidence"].iloc[0])
    assert int(ing["public_evidence"].sum()) == 1


def test_extraction_can_be_passed_in() -> None:
    p = _pledges()
    ex = deliverables.extract(p)
    a = _score(extraction=ex).table
    b = _score().table
    pd.testing.assert_frame_equal(a, b)


def test_distribution_of_all_pledges_is_one_row() -> None:
    s = _score()
    d = quality.distribution(s, quality.ALL_PLEDGES_DIMENSION)
    assert d["category"].tolist() == [quality.ALL_PLEDGES]
    row = d.iloc[0]
    assert (row["dimension"], row["pledges"]) == ("all", 5)
    assert (row["High"], row["Upper-moderate"], row["Lower-moderate"], row["Low"]) == (1, 1, 2, 1)
    assert row["trackable_pct"] == 40.0
    assert row["mean_score"] == pytest.approx(s.table["score"].mean())


def test_criteria_summary_by_hand() -> None:
    c = quality.criteria_summary(_score()).set_index("criterion")
    assert list(c.reset_index().columns) == list(quality.CRITERIA_COLUMNS)
    assert list(c.index) == ["specific", "measurable", "resource_based", "time_bound",
                             "relevant", "trackable"]
    # specific: s1, s3 full; s2 (1/3), s5 (2/3) partly; s4 none
    assert c.loc["specific", ["pledges_full", "pledges_partial", "pledges_none"]].tolist() == \
        [2, 2, 1]
    # relevant: only s2; trackable: s1, s2, s3 (a mode 'any' criterion is never partial)
    assert c.loc["relevant", ["pledges_full", "pledges_partial", "pledges_none"]].tolist() == \
        [1, 0, 4]
    assert c.loc["trackable", ["pledges_full", "pledges_partial"]].tolist() == [3, 0]
    assert c.loc["time_bound", "criterion_label"] == "Time-bound"
    assert (c["criterion_weight"] == 1.0).all()


def test_distribution_of_no_pledge_still_has_its_all_pledges_row():
    """``distribution(scores, "all")`` is one row, also for a table of 0 pledges (counts 0,
    mean, median and trackable share unknown), with the columns and types of any other."""
    none = record.public_record("2020-01-01").pledges
    some = record.public_record("2026-12-01").pledges
    assert len(none) == 0
    d0 = quality.distribution(quality.score(none, year=2024), "all")
    d1 = quality.distribution(quality.score(some, year=2024), "all")
    assert len(d0) == 1 and d0.loc[0, "category"] == "all pledges" and d0.loc[0, "pledges"] == 0
    assert d0[["mean_score", "median_score", "trackable_pct"]].isna().all(axis=None)
    assert list(d0.columns) == list(d1.columns) and d0.dtypes.equals(d1.dtypes)
    cats = quality.load_rubric().categories
    assert (d0[cats] == 0).all(axis=None)


def test_every_pledge_naming_targets_is_within_the_world() -> None:
    """pledge_quality's World row read "Pledges partly within: 4" and left out Eutelsat's
    1 M people: Sub-Saharan Africa holds territories (Réunion, Mayotte) that are no WDI
    economy, so the pledge was "partly" in the world."""
    from p2c_analysis import record

    pledges = record.public_record("2026-12-31").pledges
    g = quality.reach_by_group(pledges, groups=["World", "LDC"], year=2024).set_index("group")
    reach = quality.reach_vs_offline(pledges, 2024)
    assert g.loc["World", "pledges_partly_within"] == 0
    assert g.loc["World", "people_connected_sum_may_overlap"] == \
        reach["people_connected"].sum()
    assert g.loc["LDC", "pledges_partly_within"] > 0  # a real group still has partial ones


def test_the_headline_cards_say_when_there_is_no_pledge_or_no_value() -> None:
    """With no pledge the cards read "0 of 0" and "n/a / n/a"; with no value stated the USD card
    read "n/a / n/a" (missing data) rather than that no pledge states one."""
    from p2c_analysis import values

    s = _score()
    cards = dict(quality.headline(s, quality.one_field_away(s),
                                  values.headline_summary(_pledges())))
    assert cards["Pledges scored High"] == "1 of 5" and cards["Trackable"] == "2 of 5"
    assert cards["USD stated / de-duplicated"] == "USD 6.00 M / USD 6.00 M"
    assert cards["One field from trackable"] == \
        str(quality.one_field_away(s)["pledge_id"].nunique())
    none = _pledges().iloc[:0]
    empty = quality.score(none, year=2024, country_table=CT, memberships=MEMBERS)
    cards = quality.headline(empty, quality.one_field_away(empty),
                             values.headline_summary(none))
    assert [v for _, v in cards] == ["no pledge to analyse"] * 4
    unvalued = _pledges().iloc[[1, 2]]
    some = quality.score(unvalued, year=2024, country_table=CT, memberships=MEMBERS)
    cards = dict(quality.headline(some, quality.one_field_away(some),
                                  values.headline_summary(unvalued)))
    assert cards["USD stated / de-duplicated"] == "none stated"
    assert cards["Trackable"].endswith(" of 2")


def test_trackable_spread_text_at_a_tie_one_and_many():
    """All stakeholder types at 100% read "ranges from 100.0% (Government, 3 pledges) to 100.0%
    (Government, 3 pledges)": idxmin and idxmax picked the same row."""
    t = pd.DataFrame({"category": ["Government", "Private sector", "Academia"],
                      "pledges": [3, 1, 2], "trackable_pct": [100.0, 100.0, 100.0]})
    assert quality.trackable_spread_text(t) == (
        "Every stakeholder type has the same share of trackable pledges, 100.0%: Government "
        "(3 pledges), Private sector (1 pledge) and Academia (2 pledges).")
    t.loc[1, "trackable_pct"] = 50.0
    assert quality.trackable_spread_text(t) == (
        "By stakeholder type, the share of trackable pledges ranges from 50.0% (Private "
        "sector, 1 pledge) to 100.0% (Government, 3 pledges; Academia, 2 pledges).")
    # a tie at the top named its first row alone: "to 100.0% (Government, 3 pledges)", as if
    # Academia, at 100.0% too, were lower
    assert quality.trackable_spread_text(t.iloc[[2]]) == (
        "Both pledges are of one stakeholder type (Academia): they are both trackable.")
    assert quality.trackable_spread_text(t.iloc[:0]) == \
        "There is no pledge to compare by stakeholder type."


def test_world_target_group_counts_a_pledge_to_an_economy_outside_the_wdi_list() -> None:
    """pledge_quality's "By target group: World" row counted 10 of 11 pledges: the one naming
    only Niue (a SIDS, not a WDI economy) was missing, though gap_coverage's World row counts
    it. World holds every economy a pledge reaches."""
    real = record.public_record("2026-12-01").pledges.iloc[:3].reset_index(drop=True)
    p = real.assign(pledge_id=["n", "k", "s"],
                    target_countries=[["NIU"], ["KEN"], []],
                    target_regions=[[], [], ["SIDS"]], is_global=False)
    d = quality.distribution(quality.score(p, year=2024), by="target_group", year=2024)
    rows = d.set_index("category")["pledges"]
    assert rows["World"] == 3 and rows["SIDS"] == 2


def test_one_field_away_says_when_every_pledge_is_trackable_or_none_is_one_field_away():
    """A file whose pledges were all trackable read "0 pledges are not trackable; 0 of them
    would be with one more field stated. Fields that would do it, with the number of pledges
    each would lift: none." The sentence now says what holds, and names the fields otherwise."""
    def away(*rows: tuple[str, str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["pledge_id", "missing_field"])

    text = quality.one_field_away_text
    assert text(1, 1, away()).data == "The pledge is trackable: no field is missing to make it so."
    assert text(3, 3, away()).data == "All 3 pledges are trackable: none is one field away."
    assert text(2, 2, away()).data == "Both pledges are trackable: none is one field away."
    assert text(3, 1, away()).data == (
        "2 pledges are not trackable; none of them would be with one more field stated.")
    assert text(3, 2, away()).data == (
        "1 pledge is not trackable; one more field stated would not make it so.")
    assert text(5, 1, away(("a", "target year"), ("a", "value"), ("b", "target year"))).data == (
        "4 pledges are not trackable; **2 of them would be with one more field stated**. Fields "
        "that would do it, with the number of pledges each would lift: target year (2) and "
        "value (1).")
    # every pledge not trackable would be: "all 3", "both", not "3 of them" (of 3)
    assert text(4, 1, away(("a", "value"), ("b", "value"), ("c", "target year"))).data.startswith(
        "3 pledges are not trackable; **all 3 would be with one more field stated**.")
    assert text(3, 1, away(("a", "value"), ("b", "value"))).data.startswith(
        "2 pledges are not trackable; **both would be with one more field stated**.")
    one = text(2, 1, away(("a", "value"))).data
    assert one.startswith("1 pledge is not trackable; **it would be with one more field")
    # of one pledge it read "Fields that would do it, with the number of pledges each would
    # lift: target year (1), source (1) ..."
    assert one.endswith("stated**. The field that would do it: value.")
    some = text(3, 1, away(("a", "target year"), ("a", "value"))).data
    assert some == ("2 pledges are not trackable; **1 of them would be with one more field "
                    "stated**. Any one of these fields would do it: target year or value.")
    assert "(1)" not in one + some
    for n, t, a in ((1, 1, away()), (3, 1, away()), (4, 4, away())):
        assert not re.search(r"\b0 |: none\.", text(n, t, a).data)
    assert text(0, 0, away()).data == (
        "There is no pledge, so none is one field away from trackable.")


def test_overall_and_sensitivity_sentences_name_only_categories_holding_pledges():
    """One pledge read "Of the 1 pledge, 0 High, 0 Upper-moderate, 1 Lower-moderate and 0 Low:
    0 are trackable" and "With every criterion, 0 pledges are trackable ... (1 up, 0 down)".
    Only the categories and directions holding pledges are named, and a count of 0 is "none"."""
    rubric = quality.load_rubric()
    cats = rubric.categories
    counts = dict.fromkeys(cats, 0) | {cats[2]: 1}
    one = quality.overall_text(1, counts, 0, 0.0, 40.0, 40.0).data
    assert one == f"The pledge scores 40.0, in index category {cats[2]}: **it is not trackable**."
    two = quality.overall_text(2, counts | {cats[2]: 2}, 0, 0.0, 40.0, 40.0).data
    assert two == (f"Both pledges are {cats[2]}: **none is trackable** (0.0%). The mean and "
                   "the median score are both 40.0.")
    # one category holding every pledge read "Of the 4 pledges, 4 Upper-moderate: 4 are
    # trackable (100.0%)"
    four = quality.overall_text(4, counts | {cats[2]: 4}, 4, 100.0, 70.0, 70.0).data
    assert four.startswith(f"All 4 pledges are {cats[2]}: **all are trackable** (100.0%).")
    mixed = quality.overall_text(3, dict.fromkeys(cats, 0) | {cats[0]: 1, cats[1]: 2}, 3,
                                 100.0, 80.0, 75.0).data
    assert mixed.startswith(f"Of the 3 pledges, 1 {cats[0]} and 2 {cats[1]}: **all are "
                            "trackable** (100.0%).")
    assert not re.search(r"Of the (\d+) pledges?, \1 ", two + four)
    many = quality.overall_text(5, dict.fromkeys(cats, 0) | {cats[0]: 2, cats[-1]: 3}, 2,
                                40.0, 50.0, 45.0).data
    assert many.startswith(f"Of the 5 pledges, 2 {cats[0]} and 3 {cats[-1]}: **2 are trackable")
    assert quality.overall_text(0, dict.fromkeys(cats, 0), 0, float("nan"), float("nan"),
                                float("nan")).data.startswith("There is no pledge")

    def sens(base: int, dropped: list[tuple[str, int, int, int]]) -> pd.DataFrame:
        rows = [{"dropped": "none", **dict.fromkeys(cats, 0), cats[2]: 1, "trackable": base,
                 "pledges_changed": 0, "moved_up": 0, "moved_down": 0}]
        rows += [{"dropped": d, **dict.fromkeys(cats, 0), cats[2]: 1, "trackable": t,
                  "pledges_changed": up + down, "moved_up": up, "moved_down": down}
                 for d, t, up, down in dropped]
        return pd.DataFrame(rows)

    first, second = rubric.criteria[0], rubric.criteria[1]
    text = quality.sensitivity_text(sens(0, [(first.name, 0, 1, 0), (second.name, 0, 0, 0)]),
                                    rubric).data
    assert text == ("With every criterion, and whichever one is left out, the pledge is not "
                    f"trackable. Leaving out **{first.label}** moves the pledge up.")
    text = quality.sensitivity_text(sens(1, [(first.name, 0, 0, 1), (second.name, 1, 0, 0)]),
                                    rubric).data
    assert text == ("With every criterion, the pledge is trackable; with one left out, it is or "
                    f"is not, depending on which. Leaving out **{first.label}** moves the pledge "
                    "down.")
    assert quality.sensitivity_text(sens(1, [(first.name, 1, 0, 0)]), rubric).data == (
        "With every criterion, and whichever one is left out, the pledge is trackable. No "
        "pledge changes category.")
    assert quality.sensitivity_text(sens(0, [(first.name, 1, 1, 0)]), rubric).data.startswith(
        "With every criterion, the pledge is not trackable; with any left out, it is. ")

    def many(base: int, dropped: list[tuple[str, int, int, int]]) -> pd.DataFrame:
        return sens(base, dropped).assign(**{cats[2]: 5})

    assert quality.sensitivity_text(many(2, [(first.name, 1, 0, 1), (second.name, 3, 1, 0)]),
                                    rubric).data == (
        "With every criterion, 2 pledges are trackable; with one left out, from 1 to 3, depending "
        f"on which. Leaving out **{first.label}** or **{second.label}** changes the category of "
        f"the most pledges, 1 with either (**{first.label}**: 1 down; **{second.label}**: 1 up).")
    # a tie named the first criterion in rubric order alone ("Leaving out Specific ...: 4 (4
    # up)", Trackable moving as many left out); one criterion moving the most is named alone
    third = rubric.criteria[2]
    assert quality.sensitivity_text(many(2, [(first.name, 2, 2, 0), (second.name, 2, 0, 0),
                                             (third.name, 2, 2, 0)]), rubric).data.endswith(
        f"Leaving out **{first.label}** or **{third.label}** changes the category of the most "
        "pledges, 2 with either (2 up each).")
    assert quality.sensitivity_text(many(2, [(first.name, 2, 0, 0), (second.name, 2, 1, 2)]),
                                    rubric).data.endswith(
        f"Leaving out **{second.label}** changes the category of the most pledges: 3 (1 up and 2 "
        "down).")
    assert quality.sensitivity_text(sens(0, [(first.name, 0, 1, 0), (second.name, 0, 1, 0)]),
                                    rubric).data.endswith(
        f"Leaving out **{first.label}** or **{second.label}** moves the pledge up.")
    assert quality.sensitivity_text(many(2, [(first.name, 0, 0, 2)]), rubric).data.startswith(
        "With every criterion, 2 pledges are trackable; with any left out, none is. ")
    assert quality.sensitivity_text(many(0, [(first.name, 0, 0, 0)]), rubric).data.startswith(
        "With every criterion, and whichever one is left out, no pledge is trackable. ")
    # every pledge trackable read "With every criterion, 7 pledges are trackable"
    assert quality.sensitivity_text(many(5, [(first.name, 5, 0, 0)]), rubric).data.startswith(
        "With every criterion, and whichever one is left out, all 5 pledges are trackable. ")
    assert quality.sensitivity_text(many(5, [(first.name, 3, 0, 2), (second.name, 5, 0, 0)]),
                                    rubric).data.startswith(
        "With every criterion, all 5 pledges are trackable; with one left out, from 3 to 5")
    assert quality.sensitivity_text(many(2, [(first.name, 5, 3, 0)]), rubric).data.startswith(
        "With every criterion, 2 pledges are trackable; with any left out, all are. ")


def test_one_field_away_names_fields_by_their_labels_not_their_code_names():
    """pledge_quality read "Fields that would do it, ...: target_year (1), target_countries (1)":
    code names. Each field of the rubric's list reads as its column header does (the report
    label), and no rubric field reaches the sentence with an underscore."""
    from p2c_analysis import metrics

    rubric = quality.load_rubric()
    names = [f for f, _ in rubric.one_more_field]
    away = pd.DataFrame({"pledge_id": [f"p{i}" for i in range(len(names))],
                         "missing_field": names})
    text = quality.one_field_away_text(len(names) + 1, 1, away).data
    assert "_" not in text
    for f in names:
        label = quality.field_label(f)
        assert f"{label} (1)" in text
        if f in fields.FIELDS_BY_NAME:
            assert metrics.label(f).lower().startswith(label.lower())
    assert quality.field_label("target_year") == metrics.label("target_year").lower()


def test_one_field_away_table_shows_field_and_criterion_labels():
    """The table under that sentence showed "target_year" and "time_bound": the report shows
    the fields' and the criteria's labels, the CSV keeps the names."""
    s = _score()
    away = quality.one_field_away(s)
    assert len(away)
    shown = quality.one_field_away_shown(away, s.rubric)
    assert list(shown.columns) == list(away.columns) and len(shown) == len(away)
    assert not shown["missing_field"].str.contains("_").any()
    labels = {c.label for c in s.rubric.criteria}
    for text in shown["criteria"]:
        assert set(text.split(", ")) <= labels
    assert shown["missing_field"].tolist() == [quality.field_label(f)
                                               for f in away["missing_field"]]


def test_rubric_table_shows_ingredient_labels():
    """The rubric table showed ingredient names ("target_year", "in_kind_resource"): the report
    shows their labels; the CSV table keeps the names."""
    r = quality.load_rubric()
    t = quality.rubric_table(r)
    shown = quality.rubric_table_shown(t)
    assert list(shown.columns) == list(t.columns) and len(shown) == len(t)
    assert not shown["ingredient"].str.contains("_").any()
    assert shown["ingredient"].tolist() == [quality.INGREDIENT_LABELS[i] for i in t["ingredient"]]
    row = shown[t["ingredient"].eq("target_year")]
    assert row["ingredient"].tolist() == ["target year"]
    assert t["ingredient"].eq("target_year").any()  # the table itself is not changed


def test_rubric_rules_show_words_not_code_names():
    """The rubric table's rules read "offline rate of its target countries above
    offline_rate_ratio_above x the world's" and "value_basis in_kind or pledge_type In-kind":
    the threshold is its value, fields and value bases are their labels."""
    r = quality.load_rubric()
    shown = quality.rubric_table_shown(quality.rubric_table(r), r)["rule"]
    assert not shown.str.contains(r"\b[a-z]+_[a-z_]+\b(?!\.csv)", regex=True).any(), \
        shown[shown.str.contains("_")].tolist()
    ratio = dataclasses.replace(r, offline_rate_ratio_above=1.5)
    assert quality.rule_shown("offline rate above offline_rate_ratio_above x the world's",
                              ratio) == "offline rate above 1.5 × the world's"
    assert quality.rule_shown("value_basis in_kind or pledge_type In-kind", r) == (
        "value basis 'in kind' or pledge type In-kind")
    assert quality.rule_shown("a period: value_years, or 'by 2030'", r) == (
        "a period: value years, or 'by 2030'")


def test_rubric_rules_name_no_module_and_no_caller():
    """pledge_quality showed "a quantified deliverable extracted (p2c_analysis.deliverables)"
    and "public evidence of progress (pledge ids given by the caller, ...)": words of the code,
    not of the pledge. Neither the bundled rules nor the fallback ones (quality.INGREDIENTS,
    for a rubric file without a rule) name a module or a caller; file names stay."""
    r = quality.load_rubric()
    bare = dataclasses.replace(r, ingredient_rules={})
    for rubric in (r, bare):
        shown = quality.rubric_table_shown(quality.rubric_table(rubric), rubric)["rule"]
        code = shown.str.contains(
            r"p2c_analysis|\bcaller|\b[a-z_]{2,}\.(?!csv\b|toml\b)[a-z_]{2,}\b", regex=True)
        assert not code.any(), shown[code].tolist()
    assert shown.str.contains("deliverable", regex=False).any()
    rules = quality.rubric_table(r).set_index("ingredient")["rule"]
    assert "status_evidence.csv" in rules["public_evidence"]


def test_sensitivity_table_shows_criterion_labels():
    """The sensitivity table's ``dropped`` column showed "none", "resource_based",
    "time_bound": the report shows "none (every criterion)" and the criteria's labels."""
    s = _score()
    sens = quality.sensitivity(s)
    shown = quality.sensitivity_shown(sens, s.rubric)
    assert shown["dropped"].tolist() == ["none (every criterion)",
                                         *(c.label for c in s.rubric.criteria)]
    assert "Time-bound" in shown["dropped"].tolist()
    assert sens["dropped"].iloc[0] == "none"  # the CSV keeps the names
    assert shown.drop(columns="dropped").equals(sens.drop(columns="dropped"))


@pytest.mark.parametrize("n, pct, text", [
    (1, 100.0, "The one pledge (stakeholder type: Government) is trackable."),
    (1, 0.0, "The one pledge (stakeholder type: Government) is not trackable."),
    (2, 50.0, "Both pledges are of one stakeholder type (Government): 50.0% of them are "
              "trackable."),
    (2, 0.0, "Both pledges are of one stakeholder type (Government): none of them is "
             "trackable."),
    (3, 100.0, "All 3 pledges are of one stakeholder type (Government): they are all "
               "trackable."),
    (4, 75.0, "All 4 pledges are of one stakeholder type (Government): 75.0% of them are "
              "trackable."),
])
def test_trackable_spread_text_of_one_stakeholder_type(n: int, pct: float, text: str):
    """One stakeholder type read "All pledges are of one stakeholder type (Government, 1
    pledge): 100.0% of them are trackable." with one pledge; one, two and more pledges now read
    as such."""
    t = pd.DataFrame({"category": ["Government"], "pledges": [n], "trackable_pct": [pct]})
    assert quality.trackable_spread_text(t) == text


def test_missed_most_names_every_criterion_tied_and_what_it_checks():
    """A file whose pledges all miss Measurable, Resource-based and Trackable read "The
    criterion missed most often is Measurable: all 4 pledges earn no point on it", the other
    two left out; and "Trackable" read like the trackability index beside "All 4 pledges are
    trackable"."""
    r = quality.load_rubric()
    names = [c.name for c in r.criteria]
    crit = pd.DataFrame({"criterion": names, "criterion_label": [c.label for c in r.criteria],
                         "pledges_none": [0] * len(names)})
    last = r.criteria[-1]
    one = crit.assign(pledges_none=[0] * (len(names) - 1) + [4])
    text = quality.missed_most_text(one, 4, r).data
    assert text.startswith(f"The criterion missed most often is **{last.label}** (")
    assert text.endswith("): all 4 pledges earn no point on it.")
    assert all(quality.INGREDIENT_LABELS[i] in text for i in last.ingredients)
    tied = crit.assign(pledges_none=[0, 3, 3] + [0] * (len(names) - 4) + [3])
    text = quality.missed_most_text(tied, 5, r).data
    labels = [r.criteria[1].label, r.criteria[2].label, last.label]
    assert text.startswith(f"The criteria missed most often are **{labels[0]}** (")
    assert all(f"**{label}**" in text for label in labels)
    assert text.endswith(": 3 of the 5 pledges earn no point on any of them.")
    assert quality.missed_most_text(crit, 4, r).data == "No pledge misses a criterion entirely."
    alone = quality.missed_most_text(crit.assign(pledges_none=[1] + [0] * (len(names) - 1)),
                                     1, r).data
    assert alone.endswith("): the 1 pledge earns no point on it.")
    # a label with its own brackets is not followed by a second pair: "Relevant (where
    # people are offline; ...)", not "Relevant (where people are offline) (...)"
    paren = crit.assign(criterion_label=["Relevant (where)"] + list(crit["criterion_label"][1:]),
                        pledges_none=[2] + [0] * (len(names) - 1))
    assert quality.missed_most_text(paren, 2, r).data.startswith(
        "The criterion missed most often is **Relevant** (where; ")
