from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import connectivity, countries
from p2c_analysis.vocabulary import ITU_REGIONS, LATEST_YEAR


def test_world_offline_2024_about_2_3_billion():
    world = connectivity.aggregate(["World"], 2024).iloc[0]
    assert 2.25e9 < world["offline"] < 2.40e9
    # WDI's own world row says 71.2% online of 8.141 bn: about 2.34 bn offline
    wb = connectivity.wb_aggregates().query("group == 'World' and year == 2024").iloc[0]
    assert abs(world["offline"] - wb["offline"]) / wb["offline"] < 0.02


def test_countries_only_no_aggregates():
    cy = connectivity.country_year()
    assert cy["iso3"].nunique() == 217
    assert not cy["iso3"].isin(["WLD", "LDC", "HIC", "SSF", "EMU"]).any()
    assert cy["year"].max() == 2024 == LATEST_YEAR


def test_pakistan_interpolated_not_carried_forward():
    cy = connectivity.country_year("linear").set_index(["iso3", "year"])
    p20, p24 = cy.loc[("PAK", 2020), "internet_pct"], cy.loc[("PAK", 2024), "internet_pct"]
    assert p20 == pytest.approx(18.935) and p24 == pytest.approx(57.253)
    p22 = cy.loc[("PAK", 2022)]
    assert p22["imputed"]
    assert p22["internet_pct"] == pytest.approx(p20 + (p24 - p20) * 2 / 4)
    assert p22["source_year"] == 2020 and p22["source_year_after"] == 2024
    locf = connectivity.country_year("locf").set_index(["iso3", "year"]).loc[("PAK", 2022)]
    assert locf["internet_pct"] == pytest.approx(p20)
    extra = locf["offline"] - p22["offline"]
    # carrying 2020 forward adds tens of millions of offline people to 2022
    assert 40e6 < extra < 55e6


def test_last_observation_carried_forward_only_past_latest():
    cy = connectivity.country_year("linear").set_index(["iso3", "year"])
    ssd = cy.loc["SSD"]  # South Sudan: last value 2019
    assert not ssd.loc[2019, "imputed"]
    assert ssd.loc[2024, "imputed"] and ssd.loc[2024, "source_year"] == 2019
    assert ssd.loc[2024, "internet_pct"] == ssd.loc[2019, "internet_pct"]
    assert pd.isna(ssd.loc[2024, "source_year_after"])


def test_never_invents_values_for_economies_without_data():
    cy = connectivity.country_year("linear")
    for iso3 in ("ASM", "MNP", "IMN"):
        assert cy.loc[cy["iso3"].eq(iso3), "internet_pct"].isna().all()
    missing = connectivity.without_data(2024)
    assert set(missing["iso3"]) >= {"ASM", "MNP", "IMN"}
    assert missing["population"].sum() < 1e6  # 0.46 M people per SOURCES


def test_none_method_keeps_only_observations():
    cy = connectivity.country_year("none")
    assert not cy["imputed"].any()
    assert cy.loc[cy["iso3"].eq("PAK") & cy["year"].eq(2022), "internet_pct"].isna().all()


def test_unknown_method_or_year_fails_loudly():
    # params checks both before any report runs; called directly, nothing is silently filled
    with pytest.raises(ValueError, match="spline.*expected one of"):
        connectivity.country_year("spline")
    with pytest.raises(KeyError, match="1990"):
        connectivity.for_year(1990)


def test_every_lldc_has_a_2024_value_observed_or_imputed():
    t = connectivity.for_year(2024).set_index("iso3")
    for iso3 in countries.members("LLDC", as_of=2024):
        assert pd.notna(t.loc[iso3, "internet_pct"]), iso3
    assert t.loc["TKM", "imputed"] and t.loc["SSD", "imputed"]


def test_aggregate_by_hand_custom_group():
    t = connectivity.for_year(2024).set_index("iso3")
    a = connectivity.aggregate({"pair": ["NGA", "KEN"]}, 2024).iloc[0]
    pop = t.loc["NGA", "population"] + t.loc["KEN", "population"]
    off = t.loc["NGA", "offline"] + t.loc["KEN", "offline"]
    assert a["population"] == pytest.approx(pop)
    assert a["offline"] == pytest.approx(off)
    assert a["internet_pct"] == pytest.approx(100 * (1 - off / pop))
    assert a["data_coverage_pct"] == pytest.approx(100.0)


def test_aggregate_reports_imputed_share():
    a = connectivity.aggregate(["Arab States"], 2024).iloc[0]
    # SDN, SYR, YEM and PSE rest on carried-forward values: about a quarter of the population
    assert 20 < a["imputed_pct"] < 30
    assert a["data_coverage_pct"] + a["imputed_pct"] + a["no_data_pct"] == pytest.approx(100)


def test_group_membership_follows_the_year():
    a22 = connectivity.aggregate(["LDC"], 2022).iloc[0]
    a24 = connectivity.aggregate(["LDC"], 2024).iloc[0]
    assert a22["n_countries"] == 46 and a24["n_countries"] == 45


def test_validation_table_2024():
    v = connectivity.validation_table(2024).set_index("group")
    for g in ("World", "LDC", "LLDC", "SIDS", *ITU_REGIONS):
        assert g in v.index
        assert np.isfinite(v.loc[g, "itu_internet_pct"])
    assert v.loc["World", "itu_internet_pct"] == pytest.approx(67.6)
    assert v.loc["Asia & Pacific", "itu_internet_pct"] == pytest.approx(66.1)
    assert v.loc["World", "wb_internet_pct"] == pytest.approx(71.2, abs=0.05)
    assert np.isnan(v.loc["SIDS", "wb_internet_pct"])
    assert v.loc["World", "diff_itu_pp"] == pytest.approx(
        v.loc["World", "ours_internet_pct"] - 67.6
    )
    # populations agree within 1.5% for the ITU-D regions (different vintages, same people)
    for g in ITU_REGIONS:
        ratio = v.loc[g, "ours_population"] / v.loc[g, "itu_population"]
        assert 0.985 < ratio < 1.015, g




def test_aggregate_groups_without_data_stay_visible():
    a = connectivity.aggregate({"empty": [], "holy see": ["VAT"], "kenya": ["KEN"]}, 2024)
    assert list(a["group"]) == ["empty", "holy see", "kenya"]
    assert a["n_countries"].tolist() == [0, 0, 1]
    assert a["population"].isna().tolist() == [True, True, False]


def test_method_comparison_shows_what_imputation_adds():
    m = connectivity.method_comparison(2022, ["World", "Asia & Pacific", "Europe"]).set_index(
        "group"
    )
    cy = {k: connectivity.for_year(2022, k).set_index("iso3") for k in ("linear", "locf")}
    pak = cy["locf"].loc["PAK", "offline"] - cy["linear"].loc["PAK", "offline"]
    diff = m.loc["Asia & Pacific", "offline_locf"] - m.loc["Asia & Pacific", "offline_linear"]
    assert diff >= pak > 0  # Pakistan alone accounts for tens of millions of the difference
    # 'none' leaves out every economy without a 2022 observation: fewer people counted offline
    assert m.loc["World", "offline_none"] < m.loc["World", "offline_linear"]


def test_history_of_an_economy_outside_the_wdi_files_is_all_missing() -> None:
    """Anguilla (a SIDS, not a World Bank economy) gets one row a year like any economy,
    every value missing (nothing invented), with the same columns and types."""
    assert "AIA" not in set(connectivity.country_year()["iso3"])
    h = connectivity.history("AIA", 2020)
    kenya = connectivity.history("KEN", 2020)
    assert h["year"].tolist() == kenya["year"].tolist() == list(range(2000, 2021))
    assert h.dtypes.equals(kenya.dtypes)
    assert (h["iso3"] == "AIA").all() and not h["imputed"].any()
    assert h[["population", "internet_pct", "offline"]].isna().all().all()
    assert h[["source_year", "source_year_after"]].isna().all().all()
    assert kenya["internet_pct"].notna().all()  # an economy with data is unchanged


def test_interactive_arguments_that_used_to_fail_obscurely() -> None:
    """aggregate("LDC") took the groups 'L', 'D' and 'C'; a bad method was KeyError: 'cubic';
    the year "2024" had no data; a custom list of names counted no economy."""
    from p2c_analysis import connectivity

    one = connectivity.aggregate("LDC", 2024)
    assert one["group"].tolist() == ["LDC"] and one["n_countries"].iloc[0] > 40
    with pytest.raises(ValueError, match="method='cubic': expected one of linear"):
        connectivity.aggregate(year=2024, method="cubic")
    assert len(connectivity.for_year("2024")) == len(connectivity.for_year(2024))
    mine = connectivity.aggregate({"mine": ["Kenya", "ug", "TZA"]}, 2024)
    assert mine["n_countries"].iloc[0] == 3


def test_economies_without_an_income_group_are_named():
    """Ethiopia (103 M offline) and Venezuela are in no FY26 income group: the four income
    rows added to 2.22 bn offline against the world's 2.33 bn, and no page said why."""
    from p2c_analysis.vocabulary import INCOME_GROUPS

    u = connectivity.without_income_group(2024)
    assert u["iso3"].tolist()[:2] == ["ETH", "VEN"]
    agg = connectivity.aggregate(year=2024).set_index("group")
    income = agg.loc[list(INCOME_GROUPS), "offline"].sum()
    assert income + u["offline"].sum() == pytest.approx(agg.loc["World", "offline"], rel=1e-9)


def test_economies_outside_the_itu_regions_are_named_when_they_have_a_value():
    """The ITU-D regions list ITU Member States only. In the bundled WDI files the territories
    outside them have no Internet value, so the six region rows add up to the world; with a
    value (another vintage, or imputation reaching back), the page must name them, as for the
    income groups, and say the regions add up to less than the world."""
    agg = connectivity.aggregate(year=2024).set_index("group")
    regions = agg.loc[list(ITU_REGIONS), "offline"].sum()
    outside = connectivity.without_itu_region(2024)
    assert regions + outside["offline"].sum() == pytest.approx(agg.loc["World", "offline"],
                                                               rel=1e-9)
    table = connectivity.offline_by_country(2024)
    assert set(outside["iso3"]) == set(
        table.loc[table["itu_region"].isna() & table["offline"].notna(), "iso3"])
    none = str(connectivity.left_out_text("itu_region", outside.iloc[:0], regions).data)
    assert none == "Every economy with a value is in one of the six ITU-D regions."
    one = pd.DataFrame({"iso3": ["ASM"], "name": ["American Samoa"], "population": [46e3],
                        "offline": [12_000.0]})
    text = str(connectivity.left_out_text("itu_region", one, 2.0e9).data)
    assert "leave out 1 economy with a value that is in no ITU" in text
    assert text.endswith("American Samoa (12.0 k offline). It counts in the world and in its "
                         "income group, so the six ITU-D regions add up to 12.0 k fewer people "
                         "offline than the world (2.00 bn)."), text
    two = pd.concat([one, one.assign(iso3="SXM", name="Sint Maarten")])
    text = str(connectivity.left_out_text("itu_region", two, 2.0e9).data)
    assert "2 economies with a value that are in no" in text and "They count" in text
    assert "add up to 24.0 k fewer people" in text
    income = str(connectivity.left_out_text("income_group", connectivity.without_income_group(
        2024), agg.loc["World", "offline"]).data)
    assert income.startswith("The four income groups leave out 2 economies with a value that "
                             "the World Bank does not classify by income: Ethiopia"), income


def test_aggregate_series_sums_each_years_own_members() -> None:
    # a year-major stack, in the order the years are given; each year's LDC row is the sum over
    # that year's members (Vanuatu left in Dec 2020, Bhutan in Dec 2023), computed here by hand
    # from the country-year table
    years = [2024, 2019, 2021]
    s = connectivity.aggregate_series(["LDC", "SIDS"], years)
    assert s["year"].tolist() == [2024, 2024, 2019, 2019, 2021, 2021]
    assert s["group"].tolist() == ["LDC", "SIDS"] * 3
    cy = connectivity.country_year()
    for y in years:
        members = countries.members("LDC", as_of=y)
        t = cy[cy["year"].eq(y) & cy["iso3"].isin(members)]
        row = s[s["year"].eq(y) & s["group"].eq("LDC")].iloc[0]
        assert row["n_countries"] == len(t)
        assert row["population"] == pytest.approx(t["population"].sum(), rel=1e-12)
        assert row["offline"] == pytest.approx(t["offline"].sum(), rel=1e-12)
    counts = s[s["group"].eq("LDC")].set_index("year")["n_countries"]
    assert counts[2019] == counts[2021] + 1 == counts[2024] + 2


def test_aggregate_series_reads_groups_given_once_for_every_year() -> None:
    # an iterator of labels used to be spent on the first year: later years had no rows
    s = connectivity.aggregate_series(iter(["LDC", "World"]), [2022, 2023])
    assert s["group"].tolist() == ["LDC", "World", "LDC", "World"]
    assert s["population"].notna().all()
    # a year given as text is the year (its column stays an integer); an unknown one is named
    assert connectivity.aggregate(["LDC"], "2024")["year"].tolist() == [2024]
    with pytest.raises(KeyError, match="1990"):
        connectivity.aggregate_series(["LDC"], [2020, 1990])


def test_headline_vs_bottom_up_says_a_sum_without_imputation_is_partial():
    """With method none the page read "Our bottom-up figure for 2024, 2.15 bn, is 0.15 bn
    lower than ITU's latest (2.3 bn ...)": a sum over the economies with a 2024 value set
    beside a world figure without a word; a figure never revised was named twice."""
    def by_year(first: str, last: str) -> pd.DataFrame:
        return pd.DataFrame({"year": [2024], "first_edition": [first], "first_offline": [2.6e9],
                             "last_edition": [last], "last_offline": [2.3e9],
                             "bottom_up_offline": [2.2e9]})

    revised = connectivity.headline_vs_bottom_up_text(by_year("FF 2024", "FF 2025"))
    assert revised == ("Our bottom-up figure for 2024, 2.20 bn, is 0.10 bn lower than ITU's "
                       "latest (2.3 bn, FF 2025) and 0.40 bn lower than the figure first "
                       "printed for that year (2.6 bn, FF 2024).")
    once = connectivity.headline_vs_bottom_up_text(by_year("FF 2025", "FF 2025"))
    assert once.endswith("ITU's latest (2.3 bn, FF 2025).") and "first printed" not in once
    none = connectivity.headline_vs_bottom_up_text(by_year("FF 2024", "FF 2025"), "none")
    assert none.startswith(revised + " Without imputation it sums only the economies with a "
                           "2024 value: the ")
    assert none.endswith("are not counted, so it is not a figure for the whole world.")
    assert connectivity.headline_vs_bottom_up_text(
        by_year("a", "b").assign(bottom_up_offline=float("nan"))) == ""
