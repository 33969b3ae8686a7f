"""p2c_analysis.needs: pledged USD against published investment-needs estimates.

Hand case: n1 ACCESS, Kenya, USD 10 bn total; n2 ACCESS + ADOPTION, global, USD 4 bn of which
1 bn counted before (curated); n3 VALUE CREATION, Kenya, USD 2 bn re-announcement (all counted
before); n4 no focus area, no value.
World: stated 16 bn, de-duplicated 16 - 1 - 2 = 13 bn. Africa (allocated to African
countries: the Kenya pledges, global ones are not allocated): stated 12 bn, de-duplicated 10 bn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import fields, needs
from p2c_analysis.pledges import load_pledges
from p2c_analysis.vocabulary import FOCUS_AREAS, NOT_STATED


def _pledges() -> pd.DataFrame:
    return fields.coerce_canonical(pd.DataFrame({
        "pledge_id": ["n1", "n2", "n3", "n4"], "title": list("ABCD"), "pledger": list("WXYZ"),
        "focus_areas": [["ACCESS"], ["ACCESS", "ADOPTION"], ["VALUE CREATION"], []],
        "target_countries": [["KEN"], [], ["KEN"], []],
        "is_global": [False, True, False, False],
        "estimated_value_usd": [10e9, 4e9, 2e9, np.nan],
        "value_basis": ["total", "top_up", "re_announcement", "not_stated"],
        "value_already_counted_usd": [0.0, 1e9, 2e9, np.nan],
    }))


def test_load_needs() -> None:
    nd = needs.load_needs()
    assert list(nd.columns) == list(needs.NEEDS_COLUMNS)
    itu = nd[nd["study"].str.startswith("Connecting Humanity: assessing")].iloc[0]
    assert itu["need_low_usd"] == itu["need_high_usd"] == 428e9
    bp = nd[(nd["study"] == "Connecting Humanity Action Blueprint")
            & (nd["component"] == "total")].iloc[0]
    assert (bp["need_low_usd"], bp["need_high_usd"]) == (2.6e12, 2.8e12)


def test_needs_vs_pledged_world_and_africa_by_hand() -> None:
    t = needs.needs_vs_pledged(_pledges(), year=2024)
    assert list(t.columns) == list(needs.VS_COLUMNS)
    assert (t["value_basis"] == "all").all()
    itu = t[t["need_low_usd"] == 428e9].iloc[0]
    assert (itu["pledged_stated_usd"], itu["pledged_deduplicated_usd"]) == (16e9, 13e9)
    assert itu["stated_share_low_pct"] == itu["stated_share_high_pct"] == \
        pytest.approx(100 * 16 / 428)
    bp = t[(t["study"] == "Connecting Humanity Action Blueprint")
           & (t["component"] == "total")].iloc[0]
    # a range stays a range: 16 bn of 2.6-2.8 tn is 0.571 % to 0.615 %
    assert bp["stated_share_low_pct"] == pytest.approx(100 * 16e9 / 2.8e12)
    assert bp["stated_share_high_pct"] == pytest.approx(100 * 16e9 / 2.6e12)
    assert bp["deduplicated_share_high_pct"] == pytest.approx(100 * 13e9 / 2.6e12)
    africa = t[(t["scope"] == "Africa") & (t["need_low_usd"] == 100e9)].iloc[0]
    assert (africa["pledged_stated_usd"], africa["pledged_deduplicated_usd"]) == (12e9, 10e9)
    assert africa["pledges_with_value"] == 2
    assert africa["stated_share_low_pct"] == pytest.approx(12.0)


def test_needs_vs_pledged_by_value_basis() -> None:
    t = needs.needs_vs_pledged(_pledges(), year=2024, by_value_basis=True)
    itu = t[t["need_low_usd"] == 428e9].set_index("value_basis")
    assert itu.loc["re_announcement", "pledged_stated_usd"] == 2e9
    assert itu.loc["re_announcement", "pledged_deduplicated_usd"] == 0.0
    assert itu.loc["top_up", "pledged_deduplicated_usd"] == 3e9
    assert itu.loc["in_kind", "pledged_stated_usd"] == 0.0
    assert itu.loc["all", "pledged_stated_usd"] == 16e9
    assert "not_stated" not in itu.index


def test_africa_can_be_the_itu_region() -> None:
    # Kenya is in both the continent and the ITU-D region
    t = needs.needs_vs_pledged(_pledges(), year=2024, africa_group="Africa")
    africa = t[(t["scope"] == "Africa") & (t["need_low_usd"] == 100e9)].iloc[0]
    assert africa["pledged_stated_usd"] == 12e9


def test_needs_by_focus_area_by_hand() -> None:
    t = needs.needs_by_focus_area(_pledges()).set_index("focus_area")
    assert list(t.index) == [*FOCUS_AREAS, NOT_STATED]
    # ACCESS: n1 10 bn + half of n2 (2 bn); de-duplicated 10 + 1.5
    assert t.loc["ACCESS", "pledged_stated_usd"] == 12e9
    assert t.loc["ACCESS", "pledged_deduplicated_usd"] == 11.5e9
    assert (t.loc["ACCESS", "need_low_usd"], t.loc["ACCESS", "need_high_usd"]) == (1.5e12, 1.7e12)
    assert t.loc["ACCESS", "stated_share_low_pct"] == pytest.approx(100 * 12e9 / 1.7e12)
    # ADOPTION = affordability 983 bn + skills 152 bn
    assert t.loc["ADOPTION", "need_low_usd"] == 983e9 + 152e9
    assert t.loc["ADOPTION", "pledged_stated_usd"] == 2e9
    assert np.isnan(t.loc["VALUE CREATION", "need_low_usd"])  # no matching component
    assert t.loc["VALUE CREATION", "pledged_deduplicated_usd"] == 0.0
    assert t.loc["ACCELERATE INVESTMENT", "pledges"] == 0
    assert t.loc[NOT_STATED, "pledges"] == 1 and t.loc[NOT_STATED, "pledges_with_value"] == 0
    assert "ASSUMPTION" in t.loc["ACCESS", "assumption"]
    assert list(t.reset_index().columns) == list(needs.FOCUS_COLUMNS)


def test_focus_mapping_is_checked(tmp_path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("focus_area,study,components,assumption\nACCESSS,S,c,a\n")
    with pytest.raises(ValueError, match="unknown focus area"):
        needs.load_focus_mapping(f)
    f.write_text("focus_area,study,components,assumption\n"
                 "ACCESS,Connecting Humanity Action Blueprint,pipes,a\n")
    with pytest.raises(ValueError, match="not in the study"):
        needs.needs_by_focus_area(_pledges(), mapping=needs.load_focus_mapping(f))


def test_bundled_pledges_against_needs() -> None:
    v = load_pledges().valid
    t = needs.needs_vs_pledged(v, year=2024)
    world = t[t["scope"] == "World"]
    assert (world["pledged_stated_usd"] == world["pledged_stated_usd"].iloc[0]).all()
    assert (t["stated_share_low_pct"] <= t["stated_share_high_pct"]).all()
    assert (t["pledged_deduplicated_usd"] <= t["pledged_stated_usd"] + 1e-6).all()


def test_include_global_spreads_global_pledges_over_africa_too() -> None:
    # n2 (global, USD 4 bn of which 1 bn counted before) adds its African share only when asked
    def africa(**kw) -> pd.Series:
        t = needs.needs_vs_pledged(_pledges(), year=2024, **kw)
        return t[(t["scope"] == "Africa") & (t["need_low_usd"] == 100e9)].iloc[0]

    assert africa()["pledged_stated_usd"] == 12e9
    spread = africa(include_global=True)
    added = spread["pledged_stated_usd"] - 12e9
    assert 0 < added < 4e9
    assert spread["pledged_deduplicated_usd"] - 10e9 == pytest.approx(added * 3 / 4)
    assert spread["pledges_with_value"] == 3
    world = needs.needs_vs_pledged(_pledges(), year=2024, include_global=True)
    assert (world.loc[world["scope"] == "World", "pledged_stated_usd"] == 16e9).all()


def test_deadline_of_an_estimate_is_read_from_its_target() -> None:
    assert needs.deadline("double broadband connectivity in Africa by 2021") == 2021
    assert needs.deadline("universal meaningful connectivity by 2030") == 2030
    assert needs.deadline("connect the next 1.5 bn people") is None
    assert needs.deadline(None) is None
    n = needs.load_needs()
    assert sorted({needs.deadline(t) for t in n["target"]} - {None}) == [2021, 2030]


def test_the_need_sentences_and_the_subset_note():
    """gap_coverage and pledge_quality each built these sentences in their own copy of the
    code; the pages also set the bundled subset's USD against the need as if it were the
    coalition's ("Pledged USD 31.3 bn ... 7.3% of the need") with no word on it."""
    from p2c_analysis import record, report

    rec = record.public_record("2026-12-31")
    nvp = needs.needs_vs_pledged(rec.pledges, 2024, needs=needs.known_on(needs.load_needs(),
                                                                          rec.as_of))
    totals = nvp[nvp["component"].eq("total")]
    lines = [str(m.data) for m in needs.say_needs(totals, 2024, rec.as_of)]
    assert len(lines) == len(totals) > 1
    assert all(line.startswith("- **") and "needed USD" in line for line in lines)
    assert any("–" in line.split("needed ")[1].split(".")[0] for line in lines)  # a range
    assert [str(m.data) for m in needs.say_needs(totals.iloc[:0], 2024, "2019-01-01")] == \
        ["No estimate had been published by 2019-01-01."]
    import html

    note = html.unescape(str(report.public_subset_value_note(len(rec.pledges), rec.as_of).data))
    assert note.startswith(f"These USD figures are those of the {len(rec.pledges)} publicly")
    assert "not the coalition's. ITU's latest published total for the whole coalition is " \
           "USD 82.0 bn (2026-03-04)." in note


def test_a_need_that_no_valued_pledge_reaches_is_said_in_words():
    """As of 2022-03-15 the record held one pledge with a value, outside Africa: the page read
    "Pledged USD 0 as stated, USD 0 without money counted before: 0.0% of the need (0.0%
    de-duplicated)" under each African estimate."""
    from p2c_analysis import record

    rec = record.public_record("2022-03-15")
    assert rec.pledges["estimated_value_usd"].notna().sum() >= 1
    nvp = needs.needs_vs_pledged(rec.pledges, 2024, needs=needs.known_on(needs.load_needs(),
                                                                          rec.as_of))
    totals = nvp[nvp["component"].eq("total")]
    lines = [str(m.data) for m in needs.say_needs(totals, 2024, rec.as_of)]
    zero = totals["pledged_stated_usd"].eq(0).to_numpy()
    assert zero.any() and len(lines) == len(zero)
    for line, none in zip(lines, zero, strict=True):
        assert ("USD 0" in line) is False
        assert ("No pledge in its scope states a value" in line) is bool(none)


def test_components_text_names_no_study_published_after_as_of():
    """pledge_quality as of 2023-06-30 said "The Connecting Humanity Action Blueprint splits
    its need into components", a study of 2025-09, with every figure n/a."""
    table = needs.load_needs()
    early = needs.components_text(table, "2023-06-30")
    assert early == ("No estimate published by 2023-06-30 splits its need into components: "
                     "there is nothing to set against the focus areas.")
    assert needs.components_text(table, "2026-01-01") == (
        "The Connecting Humanity Action Blueprint splits its need into components.")
    totals_only = table[table["component"].eq("total")]
    assert needs.components_text(totals_only, "2026-01-01") == (
        "No published estimate splits its need into components.")
