"""Tests for p2c_analysis.gaps: allocation, coverage, attention ratios, sensitivity, mix.

The small case (hand-computed numbers in the comments):

countries (analysis year): AAA pop 100 offline 60; BBB pop 200 offline 20;
CCC pop 50 offline 20; DDD pop 150 offline NaN (no internet data). World offline = 100.
groups: R1 = {AAA, BBB}, R2 = {CCC, DDD}, G = {AAA, CCC}.
pledges:
  p1 countries [AAA, BBB]            USD 100
  p2 regions [R2] -> CCC, DDD        USD 40
  p3 global                           USD 300
  p4 countries [DDD]                  no value
  p5 countries [DDD]                  USD 10
  p6 regions [R1, G] -> AAA BBB CCC   USD 90 (AAA in both labels: counted once)
  p7 no target, is_global False       USD 50 (targets not stated: never spread, row UNSTATED)

p7 reaches no country under either include_global setting, so every per-country and per-group
figure below is the same as without it; shares and attention ratios are over the USD / units
allocated to countries with someone offline (by offline weights: 240 USD allocated, of which
DDD's 10, with no offline figure, is kept out -> 230 USD; 5 pledge units, of which DDD's 2 (p4,
p5) -> 3 units; 540 - 10 = 530 USD with the global p3 spread), never over p7's 50 USD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import connectivity, gaps
from p2c_analysis.fields import PledgeTableError
from p2c_analysis.vocabulary import (
    ALLOCATION_METHODS,
    FOCUS_AREAS,
    GLOBAL_LABEL,
    NOT_STATED,
    UNSTATED_ISO3,
    UNSTATED_LABEL,
)

MEMBERS = {"R1": ["AAA", "BBB"], "R2": ["CCC", "DDD"], "G": ["AAA", "CCC"]}


def _ct() -> pd.DataFrame:
    return pd.DataFrame({
        "iso3": ["AAA", "BBB", "CCC", "DDD"],
        "population": [100.0, 200.0, 50.0, 150.0],
        "offline": [60.0, 20.0, 20.0, np.nan],
    })


def _pledges() -> pd.DataFrame:
    return pd.DataFrame({
        "pledge_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7"],
        "target_countries": [["AAA", "BBB"], [], [], ["DDD"], ["DDD"], [], []],
        "target_regions": [[], ["R2"], [], [], [], ["R1", "G"], []],
        "is_global": [False, False, True, False, False, False, False],
        "estimated_value_usd": [100.0, 40.0, 300.0, np.nan, 10.0, 90.0, 50.0],
        "focus_areas": [["ACCESS", "ADOPTION"], ["ACCESS"], [], ["VALUE CREATION"],
                        ["ACCESS"], ["ACCELERATE INVESTMENT", "ACCESS"], ["ADOPTION"]],
        "stakeholder_type": ["Government", "Private sector", "UN entity", "Government",
                             "unknown", "Private sector", "Government"],
        "pledge_type": ["Financial", "Financial", "Programmatic", "Policy", "Financial",
                        "Financial", "Financial"],
    })


def _usd(alloc: pd.DataFrame, pid: str, iso: str) -> float:
    row = alloc[(alloc["pledge_id"] == pid) & (alloc["iso3"] == iso)]
    assert len(row) == 1, (pid, iso)
    return float(row["usd"].iloc[0])


KW = {"memberships": MEMBERS, "year": 2024}


def test_explode_targets_rules():
    t = gaps.explode_targets(_pledges(), **KW)
    got = {(r.pledge_id, r.iso3, r.via) for r in t.itertuples()}
    assert got == {
        ("p1", "AAA", "country"), ("p1", "BBB", "country"),
        ("p2", "CCC", "region"), ("p2", "DDD", "region"),
        ("p3", "GLOBAL", "global"),
        ("p4", "DDD", "country"), ("p5", "DDD", "country"),
        ("p6", "AAA", "region"), ("p6", "BBB", "region"), ("p6", "CCC", "region"),
        ("p7", "UNSTATED", "not stated"),
    }
    assert len(t) == 11  # AAA counted once for p6 although it is in R1 and G


def test_target_countries_win_over_regions():
    p = _pledges().iloc[[0]].copy()
    p.at[p.index[0], "target_regions"] = ["R2"]
    t = gaps.explode_targets(p, **KW)
    assert sorted(t["iso3"]) == ["AAA", "BBB"]
    # targets also win over is_global: a flagged pledge that names countries is not global
    p.at[p.index[0], "is_global"] = True
    t = gaps.explode_targets(p, **KW)
    assert sorted(t["iso3"]) == ["AAA", "BBB"] and set(t["via"]) == {"country"}
    a = gaps.allocate(p, _ct(), method="equal", include_global=True, **KW)
    assert _usd(a, "p1", "AAA") == pytest.approx(50.0) and not a["is_global_row"].any()


def test_unknown_region_label_is_a_clear_error():
    p = _pledges()
    p.at[1, "target_regions"] = ["Atlantis"]
    with pytest.raises(ValueError, match="Atlantis.*p2"):
        gaps.explode_targets(p, **KW)


def test_allocate_offline_by_hand():
    a = gaps.allocate(_pledges(), _ct(), method="offline", **KW)
    assert _usd(a, "p1", "AAA") == pytest.approx(75.0)  # 60 / (60 + 20)
    assert _usd(a, "p1", "BBB") == pytest.approx(25.0)
    assert _usd(a, "p2", "CCC") == pytest.approx(40.0)  # DDD has no offline figure -> 0
    assert _usd(a, "p2", "DDD") == pytest.approx(0.0)
    assert _usd(a, "p6", "AAA") == pytest.approx(54.0)  # 90 * 60/100
    assert _usd(a, "p6", "CCC") == pytest.approx(18.0)
    assert _usd(a, "p5", "DDD") == pytest.approx(10.0)  # all weights missing: equal fallback
    assert bool(a.loc[a["pledge_id"] == "p5", "fallback_equal"].iloc[0])
    assert not a.loc[a["pledge_id"] == "p1", "fallback_equal"].any()
    # no value: the row is kept, USD NaN, weight defined
    p4 = a[a["pledge_id"] == "p4"]
    assert len(p4) == 1 and np.isnan(p4["usd"].iloc[0]) and p4["weight"].iloc[0] == 1.0
    # global kept apart: p3 alone (p7 names no target but is not is_global)
    g = a[a["is_global_row"]]
    assert list(g["pledge_id"]) == ["p3"]
    assert list(g["iso3"]) == ["GLOBAL"] and g["usd"].iloc[0] == 300.0
    # targets not stated: p7 alone, one UNSTATED row with weight 1 and its full 50 USD
    u = a[a["is_unstated_row"]]
    assert list(u["pledge_id"]) == ["p7"] and list(u["iso3"]) == ["UNSTATED"]
    assert u["usd"].iloc[0] == 50.0 and u["weight"].iloc[0] == 1.0
    assert not u["is_global_row"].iloc[0] and not u["fallback_equal"].iloc[0]
    assert not (a["is_global_row"] & a["is_unstated_row"]).any()


def test_allocate_equal_and_population_by_hand():
    e = gaps.allocate(_pledges(), _ct(), method="equal", **KW)
    assert _usd(e, "p1", "AAA") == pytest.approx(50.0)
    assert _usd(e, "p2", "DDD") == pytest.approx(20.0)
    assert _usd(e, "p6", "BBB") == pytest.approx(30.0)
    p = gaps.allocate(_pledges(), _ct(), method="population", **KW)
    assert _usd(p, "p1", "BBB") == pytest.approx(100 * 200 / 300)
    assert _usd(p, "p2", "DDD") == pytest.approx(40 * 150 / 200)
    assert _usd(p, "p6", "AAA") == pytest.approx(90 * 100 / 350)


def test_allocate_include_global_spreads_by_method():
    a = gaps.allocate(_pledges(), _ct(), method="offline", include_global=True, **KW)
    g = a[a["pledge_id"] == "p3"].set_index("iso3")["usd"]
    assert g["AAA"] == pytest.approx(180.0)  # 300 * 60/100
    assert g["BBB"] == pytest.approx(60.0)
    assert g["DDD"] == pytest.approx(0.0)
    assert "GLOBAL" not in set(a["iso3"].astype(str))
    e = gaps.allocate(_pledges(), _ct(), method="equal", include_global=True, **KW)
    assert e.loc[e["pledge_id"] == "p3", "usd"].tolist() == [75.0] * 4


@pytest.mark.parametrize("method", ALLOCATION_METHODS)
@pytest.mark.parametrize("include_global", [False, True])
def test_not_stated_pledges_stay_apart(method, include_global):
    # p7 (no target, not is_global) is one UNSTATED row under both settings and every method
    a = gaps.allocate(_pledges(), _ct(), method=method, include_global=include_global, **KW)
    p7 = a[a["pledge_id"] == "p7"]
    assert list(p7["iso3"].astype(str)) == [UNSTATED_ISO3]
    assert p7["usd"].tolist() == [50.0] and p7["weight"].tolist() == [1.0]
    assert bool(p7["is_unstated_row"].iloc[0]) and not p7["is_global_row"].iloc[0]
    assert int(a["is_unstated_row"].sum()) == 1
    # the global p3 is kept apart (1 row) or spread over the 4 countries
    assert int((a["pledge_id"] == "p3").sum()) == (4 if include_global else 1)
    c = gaps.coverage_by_country(_pledges(), _ct(), method=method,
                                 include_global=include_global, **KW).set_index("iso3")
    assert c.at["UNSTATED", "allocated_usd"] == 50.0
    assert c.at["UNSTATED", "pledges_targeting"] == 1
    assert not c.at["UNSTATED", "in_country_table"]
    assert np.isnan(c.at["UNSTATED", "attention_ratio_usd"])
    assert np.isnan(c.at["UNSTATED", "usd_share"])
    assert ("GLOBAL" in c.index) == (not include_global)
    assert list(c.index[-1:]) == ["UNSTATED"]  # the last row
    # shares are over the country rows only: they add to 1 without p7's 50 USD
    countries_only = c.drop(index=[i for i in ("GLOBAL", "UNSTATED") if i in c.index])
    assert countries_only["usd_share"].sum() == pytest.approx(1.0)
    assert countries_only["unit_share"].sum() == pytest.approx(1.0)
    assert c["allocated_usd"].sum() == pytest.approx(590.0)  # 100+40+300+10+90+50
    g = gaps.coverage_by_group(_pledges(), ["R1", "R2"], _ct(), method=method,
                               include_global=include_global, **KW)
    expect = (["R1", "R2"] + ([] if include_global else [GLOBAL_LABEL])
              + [UNSTATED_LABEL])
    assert g["group"].tolist() == expect
    gi = g.set_index("group")
    assert gi.at[UNSTATED_LABEL, "pledges_targeting"] == 1
    assert gi.at[UNSTATED_LABEL, "pledges_with_value"] == 1
    assert gi.at[UNSTATED_LABEL, "allocated_usd"] == 50.0
    assert gi.at[UNSTATED_LABEL, "n_countries"] == 0
    assert np.isnan(gi.at[UNSTATED_LABEL, "attention_ratio_count"])


def test_no_pseudo_rows_without_such_pledges():
    p = _pledges().iloc[[0, 1, 3, 4, 5]]  # neither the global p3 nor the not-stated p7
    c = gaps.coverage_by_country(p, _ct(), **KW)
    assert not c["iso3"].isin(["GLOBAL", "UNSTATED"]).any()
    g = gaps.coverage_by_group(p, ["R1"], _ct(), **KW)
    assert g["group"].tolist() == ["R1"]
    a = gaps.allocate(p, _ct(), **KW)
    assert not a["is_global_row"].any() and not a["is_unstated_row"].any()


def test_pledge_table_is_checked_by_the_schema_at_the_entry_point():
    # the functions trust their input because pandera checks it when they are called
    with pytest.raises(PledgeTableError, match="column 'is_global' not in dataframe"):
        gaps.allocate(_pledges().drop(columns="is_global"), _ct(), **KW)
    bad_value = _pledges().assign(estimated_value_usd=-1.0)
    with pytest.raises(PledgeTableError, match="estimated_value_usd"):
        gaps.coverage_by_group(bad_value, ["R1"], _ct(), **KW)
    text_global = _pledges().assign(is_global="False")  # never coerced: "False" is no boolean
    with pytest.raises(PledgeTableError, match="is_global"):
        gaps.explode_targets(text_global, **KW)


@pytest.mark.parametrize("method", ALLOCATION_METHODS)
@pytest.mark.parametrize("include_global", [False, True])
def test_allocation_sums_back_to_value(method, include_global):
    a = gaps.allocate(_pledges(), _ct(), method=method, include_global=include_global, **KW)
    sums = a.groupby("pledge_id")["usd"].sum(min_count=1)
    vals = _pledges().set_index("pledge_id")["estimated_value_usd"]
    pd.testing.assert_series_equal(sums.sort_index(), vals.sort_index(), check_names=False)
    w = a.groupby("pledge_id")["weight"].sum()
    assert np.allclose(w, 1.0)


def test_allocation_sums_back_random_frame():
    rng = np.random.default_rng(1)
    isos = [f"C{i:02d}" for i in range(30)]
    ct = pd.DataFrame({"iso3": isos, "population": rng.uniform(1, 100, 30),
                       "offline": np.where(rng.random(30) < 0.2, np.nan, rng.uniform(0, 50, 30))})
    n = 500
    tc = [list(rng.choice(isos + ["ZZZ"], size=rng.integers(0, 5))) for _ in range(n)]
    regions = [["R"] if (not c and rng.random() < 0.5) else [] for c in tc]
    # is_global at random, also on targeted rows (targets win): the untargeted pledges are a
    # mix of global and not-stated ones
    glob = rng.random(n) < 0.5
    p = pd.DataFrame({"pledge_id": [f"x{i}" for i in range(n)], "target_countries": tc,
                      "target_regions": regions, "is_global": glob,
                      "estimated_value_usd": np.where(rng.random(n) < 0.3, np.nan,
                                                      rng.uniform(0, 1e9, n))})
    for method in ALLOCATION_METHODS:
        a = gaps.allocate(p, ct, method=method, include_global=True,
                          memberships={"R": isos[:7]}, year=2024)
        s = a.groupby("pledge_id")["usd"].sum(min_count=1).reindex(p["pledge_id"])
        assert np.allclose(s.to_numpy(), p["estimated_value_usd"].to_numpy(), equal_nan=True)
        untargeted = np.array([not c and not r for c, r in zip(tc, regions, strict=True)])
        unstated = set(p.loc[untargeted & ~glob, "pledge_id"])
        assert 0 < len(unstated) < int(untargeted.sum())  # both kinds occur
        assert set(a.loc[a["is_unstated_row"], "pledge_id"].astype(str)) == unstated
        assert set(a.loc[a["iso3"] == "UNSTATED", "pledge_id"].astype(str)) == unstated
        spread = set(a.loc[a["is_global_row"], "pledge_id"].astype(str))
        assert spread == set(p.loc[untargeted & glob, "pledge_id"])


def test_coverage_by_country_by_hand():
    c = gaps.coverage_by_country(_pledges(), _ct(), method="offline", **KW).set_index("iso3")
    # allocated: AAA 75+54, BBB 25+18, CCC 40+18, DDD 0+10 -> total 240; DDD has no offline
    # figure, so the shares are over 230
    assert c.at["AAA", "allocated_usd"] == pytest.approx(129.0)
    assert c.at["DDD", "allocated_usd"] == pytest.approx(10.0)
    assert c.at["AAA", "pledges_targeting"] == 2
    assert c.at["DDD", "pledges_targeting"] == 3  # p2, p4, p5
    assert c.at["DDD", "pledges_with_value"] == 2
    assert c.at["AAA", "attention_ratio_usd"] == pytest.approx((129 / 230) / 0.6)
    assert c.at["CCC", "attention_ratio_usd"] == pytest.approx((58 / 230) / 0.2)
    assert np.isnan(c.at["DDD", "attention_ratio_usd"])  # no offline figure: undefined
    assert np.isnan(c.at["DDD", "usd_share"])  # was 10/240: kept out, like the ratio
    # units: AAA 0.75 (p1) + 0.6 (p6) of 3 units allocated to economies with someone offline
    assert c.at["AAA", "pledge_units"] == pytest.approx(1.35)
    assert c.at["AAA", "attention_ratio_count"] == pytest.approx((1.35 / 3) / 0.6)
    assert c.at["AAA", "usd_per_offline"] == pytest.approx(129 / 60)
    assert c.at["CCC", "pledges_per_10m_offline"] == pytest.approx(2 / 20 * 1e7)
    assert c.at["GLOBAL", "allocated_usd"] == 300.0
    assert np.isnan(c.at["GLOBAL", "attention_ratio_usd"])
    # p7 (targets not stated) is its own row; the 240 denominator above excludes its 50 USD
    assert c.at["UNSTATED", "allocated_usd"] == 50.0
    assert c.at["GLOBAL", "pledges_targeting"] == 1  # p3 only


def test_coverage_by_country_include_global_by_hand():
    c = gaps.coverage_by_country(_pledges(), _ct(), method="offline", include_global=True,
                                 **KW).set_index("iso3")
    assert "GLOBAL" not in c.index
    assert c.at["AAA", "allocated_usd"] == pytest.approx(309.0)  # 129 + 180
    assert c.at["AAA", "attention_ratio_usd"] == pytest.approx((309 / 530) / 0.6)
    assert c.at["DDD", "pledges_targeting"] == 4  # the global pledge targets everyone
    # ... but not the not-stated p7: it stays apart (540 above excludes its 50 USD)
    assert c.at["UNSTATED", "allocated_usd"] == 50.0
    assert c.at["UNSTATED", "pledges_targeting"] == 1


def test_coverage_by_group_by_hand():
    g = gaps.coverage_by_group(_pledges(), ["R1", "R2"], _ct(), method="offline",
                               **KW).set_index("group")
    assert g.at["R1", "offline"] == 80.0 and g.at["R1", "population"] == 300.0
    assert g.at["R2", "offline"] == 20.0 and g.at["R2", "n_with_offline"] == 1
    assert g.at["R1", "pledges_targeting"] == 2  # p1, p6
    assert g.at["R2", "pledges_targeting"] == 4  # p2, p4, p5, p6
    assert g.at["R1", "allocated_usd"] == pytest.approx(172.0)
    assert g.at["R1", "attention_ratio_usd"] == pytest.approx((172 / 230) / 0.8)
    # R2: USD 68 allocated, of which DDD's 10 (no offline figure) is shown apart and kept out
    assert g.at["R2", "allocated_usd"] == pytest.approx(68.0)
    assert g.at["R2", "usd_no_offline_figure"] == pytest.approx(10.0)
    assert g.at["R1", "usd_no_offline_figure"] == 0.0
    assert g.at["R2", "attention_ratio_usd"] == pytest.approx((58 / 230) / 0.2)
    assert g.at["R2", "usd_per_offline"] == pytest.approx(58 / 20)
    assert g.at["R2", "pledges_reaching_offline"] == 2  # p2, p6 (CCC); p4, p5 reach DDD only
    assert g.at[GLOBAL_LABEL, "pledges_targeting"] == 1  # p3 only, not p7
    assert g.at[GLOBAL_LABEL, "allocated_usd"] == 300.0
    assert g.at[UNSTATED_LABEL, "pledges_targeting"] == 1  # p7
    assert g.at[UNSTATED_LABEL, "allocated_usd"] == 50.0
    # a dict of groups works the same
    g2 = gaps.coverage_by_group(_pledges(), {"R1": ["AAA", "BBB"]}, _ct(), **KW)
    assert g2.loc[g2["group"] == "R1", "allocated_usd"].iloc[0] == pytest.approx(172.0)


def test_attention_ratio_proportional_is_one():
    # one pledge per country, USD exactly proportional to offline people -> ratio 1 everywhere
    ct = _ct().iloc[:3]
    p = pd.DataFrame({"pledge_id": ["a", "b", "c"], "target_countries": [["AAA"], ["BBB"],
                      ["CCC"]], "target_regions": [[], [], []], "is_global": [False] * 3,
                      "estimated_value_usd": [6.0, 2.0, 2.0]})
    c = gaps.coverage_by_country(p, ct, **KW)
    assert np.allclose(c["attention_ratio_usd"], 1.0)
    assert np.allclose(c["attention_ratio_count"], [1 / 3 / 0.6, 1 / 3 / 0.2, 1 / 3 / 0.2])


def test_under_served_score():
    c = gaps.coverage_by_country(_pledges(), _ct(), method="offline", **KW)
    u = gaps.under_served(coverage=c, min_offline=20, top=None)
    # AAA ratio 0.8958 -> score 60 * (1 - 0.8958) = 6.25; BBB 20 * 0.104 = 2.08; CCC ratio > 1
    assert list(u["iso3"]) == ["AAA", "BBB", "CCC"]
    assert u["offline_not_matched"].iloc[0] == pytest.approx(60 * (1 - (129 / 230) / 0.6))
    assert u["offline_not_matched"].iloc[2] == 0.0
    assert "DDD" not in set(u["iso3"])  # no offline figure
    assert not u["iso3"].isin(["GLOBAL", "UNSTATED"]).any()
    assert list(gaps.under_served(coverage=c, min_offline=50, top=None)["iso3"]) == ["AAA"]


def test_sensitivity_side_by_side():
    s = gaps.sensitivity(_pledges(), ["R1", "R2"], _ct(), **KW).set_index("group")
    assert s.at["R1", "allocated_usd_offline"] == pytest.approx(172.0)
    assert s.at["R1", "allocated_usd_equal"] == pytest.approx(100 + 60)  # p1 all, p6 30+30
    assert s.at["R1", "allocated_usd_population"] == pytest.approx(100 + 90 * 300 / 350)
    # DDD (no offline figure) out of the shares. R1 equal: 160/(240-30)/0.8 = 0.952 < 1;
    # offline 172/230/0.8 = 0.935 < 1; population: p2 gives DDD 30 of 40 (population 150 of
    # 200), so 177.14/(240-40)/0.8 = 1.107 > 1: not robust
    assert s.at["R1", "attention_ratio_usd_equal"] == pytest.approx(160 / 210 / 0.8)
    assert s.at["R1", "attention_usd_max"] == pytest.approx((100 + 90 * 300 / 350) / 200 / 0.8)
    assert not bool(s.at["R1", "robust_usd"])
    # R2 counts CCC alone: equal 50/210/0.2 = 1.19, offline 58/230/0.2 = 1.26, population
    # (p2 10 + p6 90*50/350)/200/0.2 = 0.571: not robust either
    assert s.at["R2", "attention_usd_min"] == pytest.approx((10 + 90 * 50 / 350) / 200 / 0.2)
    assert s.at["R2", "attention_usd_max"] == pytest.approx(58 / 230 / 0.2)
    assert s.at["R1", "pledges_targeting"] == 2
    # pseudo-rows: p3 (global) and p7 (not stated), same full USD under every method, no ratio
    for mth in ALLOCATION_METHODS:
        assert s.at[GLOBAL_LABEL, f"allocated_usd_{mth}"] == 300.0
        assert s.at[UNSTATED_LABEL, f"allocated_usd_{mth}"] == 50.0
    assert pd.isna(s.at[UNSTATED_LABEL, "robust_usd"])


def test_mix_by_hand():
    m = gaps.mix(_pledges(), ["R1"], _ct(), method="offline", **KW)
    f = m[(m["group"] == "R1") & (m["dimension"] == "focus_area")].set_index("category")
    # R1 pledges: p1 (USD 100 in R1, ACCESS+ADOPTION), p6 (USD 72, ACCEL. INV.+ACCESS)
    assert f.at["ACCESS", "pledges"] == 2 and f.at["ACCESS", "pledge_share"] == 1.0
    assert f.at["ACCESS", "usd"] == pytest.approx(50 + 36)
    assert f.at["ADOPTION", "usd"] == pytest.approx(50)
    assert f["usd_share"].sum() == pytest.approx(1.0)
    assert f.at["ACCESS", "group_usd"] == pytest.approx(172)
    assert f.at["ACCESS", "offline_share"] == pytest.approx(0.8)
    s = m[(m["group"] == "R1") & (m["dimension"] == "stakeholder_type")].set_index("category")
    assert s.at["Government", "pledges"] == 1 and s.at["Private sector", "usd"] == 72
    gl = m[(m["group"] == GLOBAL_LABEL) & (m["dimension"] == "focus_area")]
    assert gl.set_index("category").at["none stated", "pledges"] == 1
    # old semantics put p7 in this pseudo-group too (group_pledges 2); now p3 alone
    assert gl["group_pledges"].iloc[0] == 1 and gl["group_usd"].iloc[0] == 300.0
    un = m[(m["group"] == UNSTATED_LABEL) & (m["dimension"] == "focus_area")]
    un = un.set_index("category")
    assert un.at["ADOPTION", "pledges"] == 1 and un.at["ADOPTION", "usd"] == 50.0
    assert un["pledges"].sum() == 1 and un.at["ADOPTION", "group_usd"] == 50.0
    assert np.isnan(un.at["ADOPTION", "offline_share"])


def test_bad_inputs():
    p = _pledges()
    p.loc[1, "pledge_id"] = "p1"
    with pytest.raises(PledgeTableError, match="pledge_id"):
        gaps.allocate(p, _ct(), **KW)
    with pytest.raises(ValueError, match="iso3 not unique"):
        gaps.allocate(_pledges(), pd.concat([_ct(), _ct()]), **KW)


def test_membership_as_of_year_bhutan_and_sao_tome():
    # real group lists: Bhutan graduated from LDC on 2023-12-13, Sao Tome and Principe on
    # 2024-12-13; membership is read as of 1 July of the analysis year.
    p = pd.DataFrame({"pledge_id": ["ldc"], "target_countries": [[]],
                      "target_regions": [["LDC"]], "is_global": [False],
                      "estimated_value_usd": [1e6]})
    t22 = set(gaps.explode_targets(p, year=2022)["iso3"])
    t24 = set(gaps.explode_targets(p, year=2024)["iso3"])
    t25 = set(gaps.explode_targets(p, year=2025)["iso3"])
    assert "BTN" in t22 and "BTN" not in t24
    assert "STP" in t24 and "STP" not in t25
    ct = pd.DataFrame({"iso3": ["BTN", "STP", "NPL"], "population": [1.0, 1.0, 1.0],
                       "offline": [1.0, 1.0, 2.0]})
    a22 = gaps.allocate(p, ct, method="offline", year=2022)
    a24 = gaps.allocate(p, ct, method="offline", year=2024)
    assert _usd(a22, "ldc", "BTN") == pytest.approx(1e6 * 1 / 4)  # BTN, STP, NPL in table
    assert "BTN" not in set(a24["iso3"].astype(str))
    assert _usd(a24, "ldc", "NPL") == pytest.approx(1e6 * 2 / 3)


# --- bundled real data and synthetic data --------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    from p2c_analysis import pledges

    return pledges.load_pledges().valid


@pytest.fixture(scope="module")
def ct2024():
    return connectivity.for_year(2024)


def test_real_pledges_allocation(real, ct2024):
    assert len(real) == 38
    a = gaps.allocate(real, ct2024, method="offline", year=2024)
    sums = a.groupby("pledge_id", observed=True)["usd"].sum(min_count=1)
    vals = real.set_index("pledge_id")["estimated_value_usd"]
    assert np.allclose(sums.reindex(vals.index.astype(str)).to_numpy(), vals.to_numpy(),
                       equal_nan=True)
    # old expectation (old semantics): every pledge with nothing targeted was a global row.
    # Now: no target + is_global -> global; no target + not is_global -> not stated. In the
    # bundled file 18 pledges name no target and none is is_global.
    no_target = (real["target_countries"].map(len) == 0) & (real["target_regions"].map(len) == 0)
    glob = real["is_global"].astype(bool)
    n_unstated = int((no_target & ~glob).sum())
    n_global = int((no_target & glob).sum())
    assert (n_unstated, n_global) == (18, 0)
    assert int(a["is_unstated_row"].sum()) == n_unstated
    assert int(a["is_global_row"].sum()) == n_global
    assert set(a.loc[a["is_unstated_row"], "pledge_id"].astype(str)) == set(
        real.loc[no_target & ~glob, "pledge_id"].astype(str))
    # spreading global pledges changes nothing for the not-stated ones
    ag = gaps.allocate(real, ct2024, method="offline", include_global=True, year=2024)
    assert int(ag["is_unstated_row"].sum()) == n_unstated
    assert len(ag) == len(a) - n_global + n_global * len(ct2024)
    # a three-country pledge is split by the countries' 2024 offline people
    row = real[real["target_countries"].map(lambda x: sorted(x) == ["COM", "MDG", "TZA"])]
    assert len(row) == 1
    off = ct2024.set_index("iso3").loc[["MDG", "TZA", "COM"], "offline"]
    got = a[a["pledge_id"] == row["pledge_id"].iloc[0]].set_index("iso3")["usd"]
    value = row["estimated_value_usd"].iloc[0]
    for iso in ["MDG", "TZA", "COM"]:
        assert got[iso] == pytest.approx(value * off[iso] / off.sum())


def test_real_pledges_coverage_counts(real, ct2024):
    from p2c_analysis import countries

    g = gaps.coverage_by_group(real, ["World", "LDC"], ct2024, year=2024).set_index("group")
    targeted = (real["target_countries"].map(len) > 0) | (real["target_regions"].map(len) > 0)
    glob = real["is_global"].astype(bool)
    assert g.at["World", "pledges_targeting"] == int(targeted.sum())
    # old expectation: GLOBAL_LABEL held every untargeted pledge. Now the untargeted pledges
    # that are not is_global (all 18 of them in the bundled file) form UNSTATED_LABEL, and
    # GLOBAL_LABEL appears only when some pledge is is_global without targets (none here).
    assert g.at[UNSTATED_LABEL, "pledges_targeting"] == int((~targeted & ~glob).sum())
    assert g.at[UNSTATED_LABEL, "allocated_usd"] == pytest.approx(
        real.loc[~targeted & ~glob, "estimated_value_usd"].sum())
    assert (GLOBAL_LABEL in g.index) == bool((~targeted & glob).any())
    # LDC count computed independently from the member list and the targeting rule
    ldc = set(countries.members("LDC", as_of=2024))

    def hits_ldc(r) -> bool:
        if r.target_countries:
            return bool(ldc & set(r.target_countries))
        return any(ldc & set(countries.members(lab, as_of=2024)) for lab in r.target_regions)

    assert g.at["LDC", "pledges_targeting"] == sum(hits_ldc(r) for r in real.itertuples())
    assert g.at["World", "attention_ratio_usd"] == pytest.approx(1.0)
    gg = gaps.coverage_by_group(real, ["World"], ct2024, include_global=True,
                                year=2024).set_index("group")
    assert gg.at["World", "attention_ratio_usd"] == pytest.approx(1.0)
    assert gg.at[UNSTATED_LABEL, "pledges_targeting"] == int((~targeted & ~glob).sum())


@pytest.mark.parametrize("include_global", [False, True])
def test_synthetic_allocation_sums_back(include_global, ct2024):
    from p2c_analysis import countries, synthetic

    p = synthetic.make_pledges(2000, seed=3)
    for method in ALLOCATION_METHODS:
        a = gaps.allocate(p, ct2024, method=method, include_global=include_global, year=2024)
        codes = pd.Index(p["pledge_id"]).get_indexer(a["pledge_id"])
        s = np.bincount(codes, weights=a["usd"].fillna(0), minlength=len(p))
        assert np.allclose(s, p["estimated_value_usd"].fillna(0).to_numpy(), rtol=1e-12)
        cc = gaps.coverage_by_country(p, ct2024, method=method, include_global=include_global,
                                      year=2024)
        # every country row + the unallocated row, if any
        assert cc["allocated_usd"].sum() == pytest.approx(p["estimated_value_usd"].sum(),
                                                          rel=1e-9)
        # a group's USD is the sum over its members (VAT: in ITU Europe, not in WDI "World")
        # with someone offline; USD to members with no one offline is its own row
        cg = gaps.coverage_by_group(p, ["World", "Europe"], ct2024, method=method,
                                    include_global=include_global, year=2024)
        cg = cg.set_index("group")
        zero = cc["offline"].eq(0)
        for grp in ("World", "Europe"):
            mem = set(countries.members(grp, as_of=2024))
            expect = cc.loc[cc["iso3"].isin(mem) & ~zero, "allocated_usd"].sum()
            assert cg.at[grp, "allocated_usd"] == pytest.approx(expect, rel=1e-12)
        kept_out = cc.loc[zero, "allocated_usd"].sum()
        assert cg.at[gaps.NO_ONE_OFFLINE_LABEL, "allocated_usd"] == pytest.approx(kept_out)


def test_sensitivity_by_country_and_mix_with_global():
    s = gaps.sensitivity(_pledges(), country_table=_ct(), by="country", **KW).set_index("iso3")
    assert s.at["AAA", "allocated_usd_equal"] == pytest.approx(50 + 30)  # p1 half, p6 third
    assert s.at["AAA", "allocated_usd_offline"] == pytest.approx(129.0)
    assert pd.isna(s.at["DDD", "robust_usd"])  # no offline figure: no ratio under any method
    m = gaps.mix(_pledges(), ["R1"], _ct(), method="offline", include_global=True, **KW)
    # R1 rows only: the UNSTATED_LABEL pseudo-group (p7) is in the table too
    f = m[(m["group"] == "R1") & (m["dimension"] == "focus_area")].set_index("category")
    assert GLOBAL_LABEL not in set(m["group"])
    assert UNSTATED_LABEL in set(m["group"])  # p7 stays apart even so
    # p3 (global, no focus) now reaches R1 with 300 * (60 + 20) / 100 = 240
    assert f.at["none stated", "pledges"] == 1 and f.at["none stated", "usd"] == pytest.approx(240)
    assert f.at["ACCESS", "group_pledges"] == 3 and f.at["ACCESS", "group_usd"] == 172 + 240


def test_only_a_global_pledge_without_value():
    g = pd.DataFrame({"pledge_id": ["x"], "target_countries": [[]], "target_regions": [[]],
                      "is_global": [True], "estimated_value_usd": [np.nan]})
    c = gaps.coverage_by_country(g, _ct().iloc[:2], include_global=True, **KW).set_index("iso3")
    assert c["pledges_targeting"].tolist() == [1, 1] and c["pledges_with_value"].sum() == 0
    assert c["allocated_usd"].tolist() == [0.0, 0.0]
    assert c["attention_ratio_usd"].isna().all()  # nothing allocated: undefined, not 0
    # offline weights 60 and 20: units 0.75 / 0.25 against offline shares 0.75 / 0.25
    assert np.allclose(c["attention_ratio_count"], 1.0)


def test_region_allocates_only_to_economies_with_data_but_reaches_all_members():
    # R3 lists ZZZ, which the country table (the economies with data) does not have:
    # the regional pledge's USD goes to AAA alone under every method (ZZZ's row weighs 0);
    # a pledge naming ZZZ keeps it. ZZZ is reached all the same (reaching, counts).
    members = {**MEMBERS, "R3": ["AAA", "ZZZ"]}
    p = pd.DataFrame({
        "pledge_id": ["r", "n"],
        "target_countries": [[], ["ZZZ", "AAA"]],
        "target_regions": [["R3"], []],
        "is_global": [False, False],
        "estimated_value_usd": [80.0, 10.0],
    })
    for method in ALLOCATION_METHODS:
        a = gaps.allocate(p, _ct(), method=method, memberships=members, year=2024)
        assert _usd(a, "r", "AAA") == pytest.approx(80.0)
        assert _usd(a, "r", "ZZZ") == 0.0
    a = gaps.allocate(p, _ct(), method="equal", memberships=members, year=2024)
    assert _usd(a, "n", "ZZZ") == pytest.approx(5.0)
    c = gaps.coverage_by_country(p, _ct(), memberships=members, year=2024).set_index("iso3")
    assert c.at["ZZZ", "pledges_targeting"] == 2  # by name (n) and through R3 (r)
    assert set(gaps.reaching(p, "ZZZ", memberships=members, year=2024)["pledge_id"]) == \
        {"r", "n"}


def test_tally_counts_each_category_and_splits_usd():
    df = pd.DataFrame({
        "focus_areas": [["ACCESS", "ADOPTION"], ["ACCESS"], [], ["ADOPTION"]],
        "stakeholder_type": ["Government", "Government", pd.NA, "Private sector"],
        "estimated_value_usd": [100.0, 50.0, np.nan, np.nan],
    })
    t = gaps.tally(df, "focus_areas", FOCUS_AREAS).set_index("category")
    # ACCESS: pledges 1 and 2 -> 2 pledges; USD 100/2 + 50 = 100 of 150 stated
    assert t.at["ACCESS", "pledges"] == 2 and t.at["ACCESS", "usd"] == 100.0
    assert t.at["ACCESS", "usd_share_pct"] == pytest.approx(100 * 100 / 150)
    # ADOPTION: pledges 1 and 4 -> USD 50 (pledge 4 has no value: not a zero)
    assert t.at["ADOPTION", "pledges"] == 2 and t.at["ADOPTION", "usd"] == 50.0
    assert t.at["ADOPTION", "pledges_with_value"] == 1
    assert t.at["ACCELERATE INVESTMENT", "pledges"] == 0
    assert np.isnan(t.at["ACCELERATE INVESTMENT", "usd"])
    assert t.at[NOT_STATED, "pledges"] == 1 and np.isnan(t.at[NOT_STATED, "usd"])
    assert t["pledge_share_pct"].sum() == pytest.approx(125.0)  # 5 mentions / 4 pledges
    assert t["usd_share_pct"].sum() == pytest.approx(100.0)
    s = gaps.tally(df, "stakeholder_type").set_index("category")
    assert s["pledges"].to_dict() == {"Government": 2, "Private sector": 1, NOT_STATED: 1}
    with pytest.raises(KeyError, match="nope"):
        gaps.tally(df, "nope")


def _reference_targets(p: pd.DataFrame, members: dict) -> list[tuple[int, str, str]]:
    """The rules of explode_targets written as a plain loop (the reference)."""
    out = []
    for i, r in enumerate(p.itertuples()):
        if r.target_countries:
            out += [(i, c, "country") for c in dict.fromkeys(r.target_countries)]
        elif r.target_regions:
            union = dict.fromkeys(c for lab in r.target_regions for c in members[lab])
            out += [(i, c, "region") for c in union]
        else:
            out.append((i, "GLOBAL" if r.is_global else UNSTATED_ISO3,
                        "global" if r.is_global else "not stated"))
    return out


def test_target_rows_follow_the_rules_on_random_pledges():
    # region combinations with shared members, repeated labels and countries, in any order:
    # rows by pledge position, first appearance kept, same rows as explode_targets
    rng = np.random.default_rng(7)
    countries = ["AAA", "BBB", "CCC", "DDD"]
    labels = list(MEMBERS)
    n = 400
    kind = rng.integers(0, 4, n)
    p = pd.DataFrame({
        "pledge_id": [f"q{i}" for i in range(n)],
        "target_countries": [list(rng.choice(countries, rng.integers(1, 5))) if k == 0 else []
                             for k in kind],
        "target_regions": [list(rng.choice(labels, rng.integers(1, 4))) if k in (0, 1) else []
                           for k in kind],
        "is_global": kind == 2,
    })
    want = _reference_targets(p, MEMBERS)
    rows = gaps.target_rows(p, **KW)
    got = list(zip(rows.pos.tolist(), rows.iso3.astype(str), rows.via.astype(str),
                   strict=True))
    assert got == want
    t = gaps.explode_targets(p, **KW)
    assert list(t["pledge_id"]) == [f"q{i}" for i, _, _ in want]


def test_merge_runs_by_hand():
    # run A pledges 0, 0, 3; run B pledges 1, 2, 2; run C pledge 4 -> sorted by pledge,
    # each run keeping its order
    p, c, v = gaps._merge_runs([
        (np.array([0, 0, 3], np.int32), np.array([10, 11, 12], np.int32), 0),
        (np.array([1, 2, 2], np.int32), np.array([20, 21, 22], np.int32), 1),
        (np.array([4], np.int32), 99, 2),
    ])
    assert p.tolist() == [0, 0, 1, 2, 2, 3, 4]
    assert c.tolist() == [10, 11, 20, 21, 22, 12, 99]
    assert v.tolist() == [0, 0, 1, 1, 1, 0, 2]


# --- economies with no one offline ----------------------------------------------------------
#
# countries: AAA offline 60 (pop 100), BBB offline 20 (pop 200), ZZZ offline 0 (pop 50, every
# resident online). World offline = 80. Groups: R1 = {AAA, ZZZ}, R2 = {BBB}.
# pledges: q1 [ZZZ] USD 30 (all offline weights 0: equal fallback, all 30 to ZZZ);
#          q2 [AAA, BBB] USD 80 (offline: AAA 60, BBB 20; equal: 40 / 40);
#          q3 [AAA, ZZZ] USD 20 (offline: AAA 20, ZZZ 0; equal: 10 / 10).
# Offline method: AAA 80, BBB 20, ZZZ 30. The 30 USD at ZZZ cannot close a gap that is not
# there: it is kept out of shares, ratios and USD per offline person, so the denominator is
# 100 (not 130): AAA (80/100)/0.75, BBB (20/100)/0.25, R1 = AAA's 80 only.

ZMEMBERS = {"R1": ["AAA", "ZZZ"], "R2": ["BBB"], "World": ["AAA", "BBB", "ZZZ"]}
ZKW = {"memberships": ZMEMBERS, "year": 2024}


def _zct() -> pd.DataFrame:
    return pd.DataFrame({"iso3": ["AAA", "BBB", "ZZZ"], "population": [100.0, 200.0, 50.0],
                         "offline": [60.0, 20.0, 0.0], "internet_pct": [40.0, 90.0, 100.0]})


def _zpledges() -> pd.DataFrame:
    return pd.DataFrame({"pledge_id": ["q1", "q2", "q3"],
                         "target_countries": [["ZZZ"], ["AAA", "BBB"], ["AAA", "ZZZ"]],
                         "target_regions": [[], [], []], "is_global": [False] * 3,
                         "estimated_value_usd": [30.0, 80.0, 20.0]})


def test_money_to_economies_with_no_one_offline_is_kept_out_of_ratios_by_country():
    c = gaps.coverage_by_country(_zpledges(), _zct(), method="offline", **ZKW).set_index("iso3")
    assert c.at["ZZZ", "allocated_usd"] == pytest.approx(30.0)  # still allocated to it
    assert c.at["ZZZ", "pledges_targeting"] == 2
    for col in ("usd_share", "unit_share", "usd_per_offline", "attention_ratio_usd",
                "attention_ratio_count"):
        assert np.isnan(c.at["ZZZ", col]), col
    assert c.at["AAA", "usd_share"] == pytest.approx(0.8)  # 80 / 100, not 80 / 130
    assert c.at["AAA", "attention_ratio_usd"] == pytest.approx(0.8 / 0.75)
    assert c.at["BBB", "attention_ratio_usd"] == pytest.approx(0.2 / 0.25)
    # units: q1 1 at ZZZ (kept out); q2 0.75 / 0.25; q3 1 at AAA -> AAA 1.75 of 2
    assert c.at["AAA", "attention_ratio_count"] == pytest.approx((1.75 / 2) / 0.75)
    assert c["usd_share"].sum() == pytest.approx(1.0)


def test_money_to_economies_with_no_one_offline_is_its_own_group_row():
    g = gaps.coverage_by_group(_zpledges(), ["World", "R1", "R2"], _zct(), method="offline",
                               **ZKW)
    assert g["group"].tolist() == ["World", "R1", "R2", gaps.NO_ONE_OFFLINE_LABEL]
    g = g.set_index("group")
    assert g.at["R1", "allocated_usd"] == pytest.approx(80.0)  # ZZZ's 30 kept out
    assert g.at["R1", "usd_per_offline"] == pytest.approx(80 / 60)
    assert g.at["R1", "attention_ratio_usd"] == pytest.approx(0.8 / 0.75)  # was 1.128
    assert g.at["R1", "pledges_targeting"] == 3  # the pledges reaching it are all counted
    assert g.at["World", "allocated_usd"] == pytest.approx(100.0)
    assert g.at["World", "attention_ratio_usd"] == pytest.approx(1.0)
    assert g.at["World", "attention_ratio_count"] == pytest.approx(1.0)
    z = g.loc[gaps.NO_ONE_OFFLINE_LABEL]
    assert z["allocated_usd"] == pytest.approx(30.0)
    assert z["pledges_targeting"] == 2 and z["n_countries"] == 1
    assert z["offline"] == 0.0
    assert np.isnan(z["usd_share"]) and np.isnan(z["attention_ratio_usd"])
    assert np.isnan(z["usd_per_offline"])


def test_no_one_offline_rule_under_every_method_and_with_global_pledges():
    s = gaps.sensitivity(_zpledges(), ["R1", "R2"], _zct(), **ZKW).set_index("group")
    # equal: AAA 50, BBB 40, ZZZ 40 -> R1 (50/90)/0.75 < 1; offline (80/100)/0.75 > 1
    assert s.at["R1", "attention_ratio_usd_equal"] == pytest.approx((50 / 90) / 0.75)
    assert s.at["R1", "attention_ratio_usd_offline"] == pytest.approx(0.8 / 0.75)
    assert not bool(s.at["R1", "robust_usd"])
    assert s.at[gaps.NO_ONE_OFFLINE_LABEL, "allocated_usd_equal"] == pytest.approx(40.0)
    assert pd.isna(s.at[gaps.NO_ONE_OFFLINE_LABEL, "robust_usd"])
    # a global pledge spread equally gives ZZZ a third: kept out too
    p = pd.concat([_zpledges(), pd.DataFrame({
        "pledge_id": ["g"], "target_countries": [[]], "target_regions": [[]],
        "is_global": [True], "estimated_value_usd": [30.0]})], ignore_index=True)
    g = gaps.coverage_by_group(p, ["R1"], _zct(), method="equal", include_global=True,
                               **ZKW).set_index("group")
    assert g.at[gaps.NO_ONE_OFFLINE_LABEL, "allocated_usd"] == pytest.approx(50.0)
    assert g.at[gaps.NO_ONE_OFFLINE_LABEL, "pledges_targeting"] == 3  # q1, q3, g
    assert g.at["R1", "allocated_usd"] == pytest.approx(60.0)  # AAA 50 + 10
    # kept: AAA 60 + BBB 50 (ZZZ's 30 + 10 + 10 out)
    assert g.at["R1", "attention_ratio_usd"] == pytest.approx((60 / 110) / 0.75)


def test_no_one_offline_table_lists_the_money_kept_out():
    c = gaps.coverage_by_country(_zpledges(), _zct(), method="offline", **ZKW)
    z = gaps.no_one_offline(c)
    assert z["iso3"].tolist() == ["ZZZ"]
    assert z["allocated_usd"].tolist() == [30.0] and z["pledges_targeting"].tolist() == [2]
    # none of them: an empty table, same columns
    none = gaps.no_one_offline(gaps.coverage_by_country(_pledges(), _ct(), **KW))
    assert none.empty and list(none.columns) == list(z.columns)
    # the group table of the small case without a zero has no such row
    g = gaps.coverage_by_group(_pledges(), ["R1"], _ct(), **KW)
    assert gaps.NO_ONE_OFFLINE_LABEL not in set(g["group"])


def test_pledges_per_offline_person_leave_out_pledges_reaching_no_one_offline():
    """A group's pledges per 10 M offline counted Mobily's pledge to Saudi Arabia (no one
    offline) for the Arab States, though its USD was kept out of their ratios."""
    g = gaps.coverage_by_group(_zpledges(), ["World", "R1", "R2"], _zct(), method="offline",
                               **ZKW).set_index("group")
    # R1 = AAA (60 offline) and ZZZ (0): q1 reaches ZZZ only; q2 and q3 reach AAA
    assert g.at["R1", "pledges_targeting"] == 3
    assert g.at["R1", "pledges_reaching_offline"] == 2
    assert g.at["R1", "pledges_per_10m_offline"] == pytest.approx(2 / 60 * 1e7)
    assert g.at[gaps.NO_ONE_OFFLINE_LABEL, "pledges_reaching_offline"] == 0
    assert np.isnan(g.at[gaps.NO_ONE_OFFLINE_LABEL, "pledges_per_10m_offline"])
    assert g["pledges_reaching_offline"].dtype == "int64"
    # the real record: the Arab States count fewer pledges per offline person than they reach
    from p2c_analysis import record

    known = record.public_record("2026-12-31").pledges  # with the additions (Mobily's)
    cg = gaps.coverage_by_group(known, ["Arab States", "LDC"], year=2024).set_index("group")
    assert cg.at["Arab States", "pledges_reaching_offline"] < \
        cg.at["Arab States", "pledges_targeting"]
    assert cg.at["LDC", "pledges_reaching_offline"] == cg.at["LDC", "pledges_targeting"]


def test_the_world_row_counts_targets_outside_the_country_table():
    """A pledge to Anguilla and Niue only (SIDS that are not World Bank economies, so no row of
    the WDI country table) counted in SIDS but not in World: World showed 1 pledge beside SIDS's
    2 and held 66.6% of the allocated USD."""
    p = pd.DataFrame({
        "pledge_id": ["tuv", "islands"],
        "target_countries": [["TUV"], ["AIA", "NIU"]],
        "target_regions": [[], []],
        "is_global": [False, False],
        "estimated_value_usd": [163.0, 82.0],
    })
    cg = gaps.coverage_by_group(p, groups=["World", "SIDS"], year=2024).set_index("group")
    by_country = gaps.coverage_by_country(p, year=2024)
    allocated = by_country.loc[by_country["iso3"].isin(["TUV", "AIA", "NIU"]), "allocated_usd"]
    assert cg.at["World", "pledges_targeting"] == cg.at["SIDS", "pledges_targeting"] == 2
    assert cg.at["World", "allocated_usd"] == pytest.approx(allocated.sum())
    assert cg.at["World", "usd_share"] == pytest.approx(1.0)
    assert cg.at["World", "unit_share"] == pytest.approx(1.0)
    # its members and offline people are still the country table's (no figure for the others)
    standard = gaps.coverage_by_group(p.iloc[:1], groups=["World"], year=2024)
    assert cg.at["World", "n_countries"] == standard.at[0, "n_countries"]
    assert cg.at["World", "offline"] == pytest.approx(standard.at[0, "offline"])


def test_economies_in_no_itu_region_are_named_beside_the_region_rows():
    """A pledge only to Anguilla (in SIDS, in no ITU-D region: not an ITU Member State) was
    counted in World and SIDS but in no region row, and nothing said so. Kenya and Nigeria are
    in Africa, France in Europe; American Samoa (offline 20) and Anguilla (not in the country
    table) in no region."""
    from p2c_analysis.vocabulary import ITU_REGIONS

    ct = pd.DataFrame({"iso3": ["KEN", "NGA", "ASM", "FRA"],
                       "population": [100.0, 200.0, 50.0, 150.0],
                       "offline": [60.0, 20.0, 20.0, np.nan]})
    regions = {r: [] for r in ITU_REGIONS} | {"Africa": ["KEN", "NGA"], "Europe": ["FRA"]}
    members = {**regions, "SIDS": ["ASM", "AIA"], "World": ["KEN", "NGA", "ASM", "FRA"]}
    p = pd.DataFrame({
        "pledge_id": ["a", "b", "c", "g"],
        "target_countries": [["AIA"], ["KEN"], ["ASM", "KEN"], []],
        "target_regions": [[], [], [], []], "is_global": [False, False, False, True],
        "estimated_value_usd": [5.0, 10.0, np.nan, 7.0]})
    kw = {"country_table": ct, "memberships": members, "year": 2024, "method": "equal"}
    g = gaps.coverage_by_group(p, groups=["World", "SIDS", *ITU_REGIONS], **kw).set_index(
        "group")
    assert g.loc["World", "pledges_targeting"] == 3 and g.loc["SIDS", "pledges_targeting"] == 2
    assert g.loc[list(ITU_REGIONS), "allocated_usd"].sum() == 10.0  # Anguilla's 5 in none
    out = gaps.outside_itu_regions(gaps.coverage_by_country(p, **kw), 2024, memberships=members)
    assert list(out.columns) == list(gaps.OUTSIDE_ITU_REGIONS_COLUMNS)
    assert out["iso3"].tolist() == ["ASM", "AIA"]  # GLOBAL is no economy; FRA is in Europe
    assert out["pledges_targeting"].tolist() == [1, 1]
    assert out["allocated_usd"].tolist() == [0.0, 5.0]
    # the region rows and these add up to World: offline people and allocated USD
    assert g.loc[list(ITU_REGIONS), "offline"].sum() + out["offline"].sum() == \
        g.loc["World", "offline"] == 100.0
    assert g.loc[list(ITU_REGIONS), "allocated_usd"].sum() + out["allocated_usd"].sum() == \
        g.loc["World", "allocated_usd"]
    text = gaps.outside_itu_regions_text(out)
    assert text == ("Not in an ITU-D region (not ITU Member States): American Samoa (1 "
                    "pledge reaching it; 20 offline) and Anguilla (1 pledge reaching it, USD "
                    "5 allocated; no offline data). They count in World and in any other "
                    "group they belong to, but in no region row.")
    assert gaps.outside_itu_regions_text(out.iloc[:0]).startswith("Every economy that a "
                                                                   "pledge reaches")
    # Taiwan, in no group but World, read "It counts in World and in its other groups"
    assert gaps.outside_itu_regions_text(out.iloc[:1]).endswith(
        "It counts in World and in any other group it belongs to, but in no region row.")


def test_unstated_text_says_how_much_a_tally_cannot_place():
    """'Pledged value by pledge type' drew one bar for 99.5% of the bundled record's USD: 42 of
    its 47 pledges state no pledge type. The sentence under each tally now says so."""
    from p2c_analysis.vocabulary import NOT_STATED, PLEDGE_TYPES, UNKNOWN

    p = pd.DataFrame({"pledge_type": ["Financial", UNKNOWN, UNKNOWN, "Policy"],
                      "estimated_value_usd": [10e6, 30e6, np.nan, np.nan]})
    t = gaps.tally(p, "pledge_type", PLEDGE_TYPES)
    assert gaps.unstated_text(t, 4, "pledge type") == (
        "The pledge type is unknown for 2 of the 4 pledges (50.0%), which hold 75.0% of the "
        "stated value (USD 30.0 M): the other categories hold the remaining 2 pledges.")
    t = gaps.tally(p.iloc[[0, 2, 3]], "pledge_type", PLEDGE_TYPES)
    assert gaps.unstated_text(t, 3, "pledge type").endswith(
        "for 1 of the 3 pledges (33.3%), which states no value: the other categories hold the "
        "remaining 2 pledges.")
    assert gaps.unstated_text(gaps.tally(p.iloc[[0, 3]], "pledge_type"), 2, "pledge type") == ""
    assert gaps.unstated_text(gaps.tally(p.iloc[[1]], "pledge_type"), 1, "pledge type") == \
        "The pledge type is unknown for the 1 pledge."
    # empty cells of a list field fall in NOT_STATED, counted once per pledge
    f = pd.DataFrame({"focus_areas": [["ACCESS", "ADOPTION"], [], None],
                      "estimated_value_usd": [1e6, 2e6, 1e6]})
    t = gaps.tally(f, "focus_areas")
    assert NOT_STATED in set(t["category"])
    assert gaps.unstated_text(t, 3, "focus area") == (
        "The focus area is unknown for 2 of the 3 pledges (66.7%), which hold 75.0% of the "
        "stated value (USD 3.00 M): the other categories hold the remaining pledge.")


def test_unstated_text_on_the_bundled_record():
    from p2c_analysis import record
    from p2c_analysis.vocabulary import PLEDGE_TYPES, UNKNOWN

    p = record.public_record("2026-12-31").pledges
    k = int(p["pledge_type"].eq(UNKNOWN).sum())
    text = gaps.unstated_text(gaps.tally(p, "pledge_type", PLEDGE_TYPES), len(p), "pledge type")
    assert text.startswith(f"The pledge type is unknown for {k} of the {len(p)} pledges")
    # it read "the other categories hold 5.": 5 what? (the pledges the categories place)
    assert text.endswith(f"the other categories hold the remaining {len(p) - k} pledges.")


def test_a_pacific_islands_pledge_goes_to_the_islands_not_australia_or_new_zealand(tmp_path):
    """A USD 10 M pledge to "Pacific Islands" gave 58% to Australia and 11% to New Zealand
    (read as UN Oceania). By hand, population weights AUS 100, NZL 50, FJI 10, PNG 8, TON 2:
    the islands' 20 share the 1,200 (FJI 600, PNG 480, TON 120) and Australia and New Zealand
    get nothing; "Pacific" is still UN Oceania (noted by the loader)."""
    from p2c_analysis.pledges import load_pledges

    path = tmp_path / "pac.csv"
    path.write_text("title,pledger,target_regions,value_as_stated\n"
                    "Islands,X,Pacific Islands,USD 1200\nOceania,X,Pacific,USD 1700\n")
    pledges = load_pledges(path).valid
    ct = pd.DataFrame({"iso3": ["AUS", "NZL", "FJI", "PNG", "TON"],
                       "population": [100.0, 50.0, 10.0, 8.0, 2.0],
                       "offline": [1.0, 1.0, 5.0, 6.0, 1.0]})
    a = gaps.allocate(pledges, ct, method="population", year=2024)
    ids = dict(zip(pledges["title"], pledges["pledge_id"], strict=True))
    islands = a[a["pledge_id"] == ids["Islands"]].set_index("iso3")["usd"]
    # the members outside the country table are reached, with no USD (gaps.reaching)
    assert islands[islands.gt(0)].to_dict() == pytest.approx(
        {"FJI": 600.0, "PNG": 480.0, "TON": 120.0})
    assert "AUS" not in islands.index and "NZL" not in islands.index
    assert _usd(a, ids["Oceania"], "AUS") == pytest.approx(1000.0)


def test_outside_itu_regions_text_names_economies_said_alike_together():
    """The default reports listed 15 territories each with "(1 pledge reaching it; no offline
    data)": economies said alike are now named together, once."""
    out = pd.DataFrame({"iso3": ["NIU", "MSR", "XKX"], "name": ["Niue", "Montserrat", "Kosovo"],
                        "in_country_table": [False, False, True],
                        "offline": [np.nan, np.nan, 2e5], "pledges_targeting": [1, 1, 2],
                        "allocated_usd": [0.0, 0.0, 0.0]})
    assert gaps.outside_itu_regions_text(out) == (
        "Not in an ITU-D region (not ITU Member States): Niue and Montserrat (1 pledge reaching "
        "each; no offline data); Kosovo (2 pledges reaching it; 200 k offline). They count in "
        "World and in any other group they belong to, but in no region row.")


def test_a_pledger_country_outside_the_itu_regions_is_not_unstated():
    """A pledger from Taiwan (TWN, in no ITU-D region) was tallied under "none stated" and the
    sentence under the chart said its region was unknown, though its country is stated."""
    from p2c_analysis import countries

    assert pd.isna(countries.reference().set_index("iso3").loc["TWN", "itu_region"])
    df = pd.DataFrame({"entity_country": pd.array(["TWN", "KEN", None, " "], dtype="string"),
                       "estimated_value_usd": [1.0, 2.0, None, None]})
    t = gaps.tally_by_entity_region(df).set_index("category")
    assert t.loc[gaps.OUTSIDE_ITU_REGIONS_LABEL, "pledges"] == 1
    assert t.loc[gaps.OUTSIDE_ITU_REGIONS_LABEL, "usd"] == 1.0
    assert t.loc[gaps.NOT_STATED, "pledges"] == 2 and t.loc["Africa", "pledges"] == 1
    text = gaps.unstated_text(t.reset_index(), len(df), "region of the pledging entity")
    assert text.startswith("The region of the pledging entity is unknown for 2 of the 4 "
                           "pledges"), text


def test_an_empty_under_served_table_says_why():
    """With no pledge stating a value that reaches a country the section read "A country with
    no pledged USD at all scores its whole offline population" over a table of "No rows.":
    no country has a ratio to rank by, and the report now says so."""
    p = _pledges().iloc[[5, 6]].assign(target_countries=[[], []], target_regions=[[], []])
    rows = gaps.coverage_by_country(p, year=2024)
    assert gaps.under_served(coverage=rows).empty
    many = int(((rows["offline"] >= 1e6) & ~rows["iso3"].isin(["GLOBAL", "UNSTATED"])).sum())
    assert many > 50
    assert gaps.under_served_empty_text(rows) == (
        "No country is ranked: no USD attention ratio can be computed for any of the "
        f"{many:,} countries with 1 M people offline or more (the headline says why).")
    assert gaps.under_served_empty_text(rows.assign(offline=0.0)) == (
        "No country has 1 M people offline or more: none is ranked.")


def test_kept_apart_text_names_the_unallocated_stated_usd():
    """A file of three global pledges, each stating a value, read only "no pledge states a
    value that could be allocated to countries": every pledge states one, kept apart."""
    def cov(global_k: int, unstated_k: int) -> pd.DataFrame:
        return pd.DataFrame({"group": ["LDC", gaps.GLOBAL_LABEL, gaps.UNSTATED_LABEL],
                             "pledges_with_value": [0, global_k, unstated_k],
                             "allocated_usd": [0.0, 6e6 if global_k else 0.0,
                                               1e6 if unstated_k else 0.0]})

    assert gaps.kept_apart_text(cov(3, 0)) == (
        "The stated USD is in pledges kept apart, not allocated to countries: 3 global pledges "
        "(USD 6.00 M).")
    assert gaps.kept_apart_text(cov(1, 1)) == (
        "The stated USD is in pledges kept apart, not allocated to countries: 1 global pledge "
        "(USD 6.00 M) and 1 pledge with no stated targets (USD 1.00 M).")
    assert gaps.kept_apart_text(cov(0, 0)) == ""
    assert gaps.kept_apart_text(cov(0, 0).iloc[:1]) == ""


def test_ldc_cards_say_none_rather_than_n_a():
    """A file of global pledges put "LDC attention ratio (USD) n/a" and "LDC share of
    allocated USD n/a" on the front page."""
    cov = pd.DataFrame({"group": ["World", "LDC"], "attention_ratio_usd": [np.nan, np.nan],
                        "usd_share": [np.nan, np.nan], "offline_share": [1.0, 0.355]})
    cards = dict(gaps.ldc_cards(cov))
    assert cards == {"LDC attention ratio (USD)": "none: no USD to compare",
                     "LDC share of allocated USD": "none: no USD to compare",
                     "LDC share of people offline": "35.5%"}
    some = dict(gaps.ldc_cards(cov.assign(attention_ratio_usd=[1.0, 0.5],
                                          usd_share=[1.0, 0.1775])))
    assert some["LDC attention ratio (USD)"] == "0.50"
    assert some["LDC share of allocated USD"] == "17.8%"
