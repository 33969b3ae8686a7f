"""Tests of p2c_analysis.synthetic: schema, determinism, and marginals against the published
2023 figures (845 pledges, USD 36.78 bn; read here from the published file, with the expected
shares computed by hand from the counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import countries, fields, milestones, synthetic
from p2c_analysis.vocabulary import PLEDGE_TYPES

N = 20_000


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return synthetic.make_pledges(N, seed=3)


@pytest.fixture(scope="module")
def itu_region() -> pd.Series:
    ref = countries.reference()
    return pd.Series(ref["itu_region"].to_numpy(dtype=object), index=ref["iso3"].to_numpy())


def _share(mask: pd.Series | np.ndarray) -> float:
    return float(np.asarray(mask, dtype=bool).mean())


def _target_region(df: pd.DataFrame, itu_region: pd.Series) -> pd.Series:
    """The single ITU-D region each pledge's targets lie in ('Global' for global pledges)."""
    tc = df["target_countries"].explode().dropna()
    regs = tc.map(itu_region)
    assert regs.groupby(level=0).nunique().max() == 1, "a pledge targets several regions"
    first = regs.groupby(level=0).first()
    out = pd.Series("Global", index=df.index, dtype=object)
    out.loc[first.index] = first
    regional = df["target_regions"].str.len() > 0
    out.loc[regional] = df.loc[regional, "target_regions"].str[0]
    return out


# --- schema, ids, determinism -----------------------------------------------------------------

def test_canonical_schema(big):
    fields.schema().validate(big)
    assert list(big.columns) == list(fields.CANONICAL_COLUMNS)
    pd.testing.assert_series_equal(big.dtypes, fields.empty_frame().dtypes)


def test_every_row_synthetic_and_ids(big):
    assert big["is_synthetic"].all()
    assert big["pledge_id"].iloc[0] == "SYN-000001"
    assert big["pledge_id"].iloc[-1] == f"SYN-{N:06d}"
    assert big["title"].iloc[41] == "Synthetic pledge 000042"
    assert big["pledge_id"].is_unique
    assert big["pledger"].str.startswith("Synthetic entity ").all()
    assert big["source_url"].isna().all()


def test_ids_widen_past_a_million():
    assert synthetic._ids(synthetic.ID_PREFIX, np.array([1, 1_000_000]), 7).tolist() == [
        "SYN-0000001", "SYN-1000000"]


def test_deterministic_for_a_seed():
    a = synthetic.make_pledges(1500, seed=11)
    b = synthetic.make_pledges(1500, seed=11)
    pd.testing.assert_frame_equal(a, b)
    c = synthetic.make_pledges(1500, seed=12)
    assert not a["estimated_value_usd"].equals(c["estimated_value_usd"])


def test_zero_and_bad_n():
    empty = synthetic.make_pledges(0)
    assert len(empty) == 0
    assert list(empty.columns) == list(fields.CANONICAL_COLUMNS)
    for bad in (-1, 2.5, "10", True):
        with pytest.raises(ValueError, match="n must be a non-negative integer"):
            synthetic.make_pledges(bad)


def test_tiny_n_still_canonical():
    schema = fields.schema()
    for n in (1, 2, 3):
        for seed in range(8):  # some of these have no country-level pledge at all
            df = synthetic.make_pledges(n, seed=seed)
            schema.validate(df)
            assert len(df) == n
            assert len(synthetic.make_pledges_long(n, seed=seed)) == df[
                "target_countries"].str.len().sum()


def test_list_cells_are_independent_lists():
    df = synthetic.make_pledges(50, seed=1)
    cells = df["focus_areas"].tolist()
    assert len({id(c) for c in cells}) == len(cells)
    before = df["focus_areas"].iloc[1].copy()
    df["focus_areas"].iloc[0].append("X")
    assert df["focus_areas"].iloc[1] == before


def test_notice():
    assert synthetic.SYNTHETIC_NOTICE.startswith("SYNTHETIC DATA")
    assert "illustrative" in synthetic.SYNTHETIC_NOTICE


# --- marginals vs the published 2023 figures ----------------------------------------------------
# Binomial sd of a share at n=20,000 is at most 0.0035; tolerances are ~4-6 sd.

def test_stakeholder_shares(big):
    s = big["stakeholder_type"]
    assert abs(_share(s == "Government") - 470 / 845) < 0.015
    assert abs(_share(s == "Private sector") - 144 / 845) < 0.015
    assert (s != "unknown").all()


def test_pledge_type_shares(big):
    t = big["pledge_type"]
    assert abs(_share(t == "Programmatic") - 389 / 845) < 0.015
    # the other types split like the new 2023 pledges: Advocacy 21 % : Policy 12 %
    assert abs((t == "Advocacy").sum() / (t == "Policy").sum() - 21 / 12) < 0.15
    assert set(t) <= set(PLEDGE_TYPES)


def test_entity_region_shares(big, itu_region):
    reg = big["entity_country"].map(itu_region)
    assert reg.notna().all()
    assert abs(_share(reg == "Europe") - 245 / 845) < 0.015
    assert abs(_share(reg == "Africa") - 174 / 845) < 0.015
    assert abs(_share(reg == "Americas") - 171 / 845) < 0.015


def test_implementation_region_africa(big, itu_region):
    reg = _target_region(big, itu_region)
    assert abs(_share(reg == "Africa") - 274 / 845) < 0.015
    assert set(reg) <= {*synthetic.ITU_REGIONS, "Global"}


def test_ldc_targeting_share(big):
    got = _share(synthetic.targets_ldc(big))
    assert abs(got - 0.31) < 0.02


def test_women_beneficiaries_share(big):
    assert abs(_share(big["beneficiaries"].map(lambda b: "women and girls" in b)) - 0.52) < 0.02


# --- values -------------------------------------------------------------------------------------

def test_values_never_zero_and_stated_consistently(big):
    v = big["estimated_value_usd"]
    assert (v.dropna() >= synthetic.MIN_VALUE_USD).all()
    assert 0.3 < v.isna().mean() < 0.7
    stated = v.notna()
    assert (big["value_as_stated"].notna() == stated).all()
    assert (big.loc[stated, "currency"] == "USD").all()
    assert big.loc[~stated, "currency"].isna().all()
    row = big[stated].iloc[0]
    millions = float(row["value_as_stated"].removeprefix("USD ").removesuffix(" million"))
    assert millions * 1e6 == pytest.approx(row["estimated_value_usd"], rel=1e-9)


def test_total_value_scales_to_published():
    df = synthetic.make_pledges(845, seed=0)
    # rounding to 3 significant figures moves each value by < 0.5 %
    assert df["estimated_value_usd"].sum() == pytest.approx(36.78e9, rel=0.01)


def test_value_by_stakeholder_matches_published(big):
    v = big["estimated_value_usd"].fillna(0)
    total = v.sum()
    assert total == pytest.approx(N / 845 * 36.78e9, rel=0.01)
    gov = v[big["stakeholder_type"] == "Government"].sum() / total
    priv = v[big["stakeholder_type"] == "Private sector"].sum() / total
    assert gov == pytest.approx(9.7 / 36.78, abs=0.01)
    assert priv == pytest.approx(24.46 / 36.78, abs=0.01)


def test_africa_pledges_are_larger(big, itu_region):
    # published: Africa 274 pledges worth 17.24 bn, the other 571 worth 19.54 bn, so a typical
    # African pledge is (17.24/274) / (19.54/571) = 1.84 times the others (medians: robust to
    # the heavy tail; other multipliers are independent of region)
    reg = _target_region(big, itu_region)
    v = big["estimated_value_usd"]
    ratio = v[reg == "Africa"].median() / v[reg != "Africa"].median()
    assert ratio == pytest.approx((17.24 / 274) / (19.54 / 571), rel=0.2)


# --- targets, dates, status -----------------------------------------------------------------

def test_targets_are_real_countries_within_one_region(big, itu_region):
    tc = big["target_countries"].explode().dropna()
    ref = set(countries.reference()["iso3"])
    assert set(tc) <= ref
    assert big["target_countries"].map(lambda c: len(c) == len(set(c))).all()
    _target_region(big, itu_region)  # asserts one region per pledge
    assert big["target_countries"].str.len().max() <= 20


def test_target_shapes(big):
    n_c = big["target_countries"].str.len()
    n_r = big["target_regions"].str.len()
    g = big["is_global"]
    assert (n_c[g] == 0).all() and (n_r[g] == 0).all()
    assert ((n_c > 0) ^ (n_r > 0) ^ g).all()  # exactly one kind of target
    single = _share(n_c == 1) / _share(n_c > 0)
    assert 0.6 < single < 0.85  # mostly one country
    assert set(big["target_regions"].explode().dropna()) <= set(synthetic.ITU_REGIONS)


def test_announced_dates_follow_published_curve(big):
    d = big["announced_date"]
    assert d.min() >= pd.Timestamp("2022-01-01") and d.max() <= pd.Timestamp("2026-03-04")
    # curve: 0 on 2022-01-01, 582 on 2022-12-01, 700 on 2023-09-01, extended to 2026-03-04 at
    # the pace 900 (2024-05-27) -> 1000 (2025-05-01): 1000 + 100 / 339 * 307 = 1090.56.
    by_end_2022 = (582 + (700 - 582) * 31 / 274) / (1000 + 100 / 339 * 307)
    assert abs(_share(d < pd.Timestamp("2023-01-01")) - by_end_2022) < 0.015
    month = big["announced_precision"] == "month"
    year = big["announced_precision"] == "year"
    assert (d[month | year].dt.day == 1).all() and (d[year].dt.month == 1).all()
    assert set(big["announced_precision"]) == {"day", "month", "year"}


def test_target_year_and_reports_after_announcement(big):
    ty = big["target_year"]
    has = ty.notna()
    assert (ty[has].astype(int) > big.loc[has, "announced_date"].dt.year).all()
    lr = big["last_report_date"]
    rep = lr.notna()
    assert (lr[rep] >= big.loc[rep, "announced_date"]).all()
    # published Dec 2022: a third reported; of those 10 % completed, 74 % in progress
    assert abs(_share(rep) - 0.333) < 0.02
    st = big.loc[rep, "status"]
    assert abs(_share(st == "completed") - 0.10) < 0.02
    assert abs(_share(st == "in progress") - 0.74) < 0.02
    assert set(big.loc[~rep, "status"]) <= {"announced", "unknown"}


def test_focus_areas_and_sdgs(big):
    fa = big["focus_areas"].str.len()
    assert fa.between(1, 2).all()
    sd = big["sdgs"].explode()
    counts = sd.value_counts()
    assert counts.index[0] == 9  # the most targeted SDG of 2023 pledges
    assert set(counts.index[:3]) == {9, 4, 10}


def test_long_table_matches_lists():
    df = synthetic.make_pledges(3000, seed=4)
    long = synthetic.make_pledges_long(3000, seed=4)
    ex = df[["pledge_id", "target_countries"]].explode("target_countries").dropna()
    assert long["pledge_id"].tolist() == ex["pledge_id"].tolist()
    assert long["iso3"].tolist() == ex["target_countries"].tolist()


def test_targets_ldc_hand_made():
    df = fields.coerce_canonical(pd.DataFrame({
        "pledge_id": ["a", "b", "c", "d", "e"],
        "target_countries": [["FRA", "NER"], ["FRA"], [], [], []],
        "target_regions": [[], [], ["Africa"], ["Europe"], []],
        "is_global": [False, False, False, False, True],
    }))
    assert synthetic.targets_ldc(df).tolist() == [True, False, True, False, False]
    df.index = [7, 7, 3, 3, 0]  # result follows positions, whatever the index
    got = synthetic.targets_ldc(df)
    assert got.tolist() == [True, False, True, False, False] and list(got.index) == [7, 7, 3, 3, 0]


def test_published_inputs_come_from_the_file():
    pub = synthetic.published_targets()
    assert pub["n_ref"] == milestones.headline("total_pledges") == 845
    assert pub["stakeholder"]["Government"] == pytest.approx(470 / 845)
    assert sum(pub["stakeholder"].values()) == pytest.approx(1.0)
    assert sum(pub["implementation_region"].values()) == pytest.approx(1.0)
    assert pub["ldc_share"] == 0.31
