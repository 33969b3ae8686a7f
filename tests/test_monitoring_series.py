"""Which published points a mobilisation pace rests on (trajectory), and ITU's headline figures
edition by edition beside the bottom-up series (connectivity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import connectivity, trajectory

GOAL = {"value_usd": 100e9, "year": 2026}


def _milestones() -> pd.DataFrame:
    """Published totals at four ITU dates (and one third-party quote on the last date)."""
    rows = [("2022-01-01", 5e9, "u0", False), ("2024-01-01", 40e9, "u1", False),
            ("2024-07-01", 50e9, "u2", False), ("2024-12-30", 60e9, "u3", False),
            ("2024-12-30", 99e9, "third", True)]
    df = pd.DataFrame(rows, columns=["date", "total_value_usd", "source_url", "is_third_party"])
    return df.assign(date=pd.to_datetime(df["date"]), total_pledges=np.nan)


def test_pace_says_which_points_it_rests_on():
    t = trajectory.mobilisation_pace(_milestones(), windows=(1, 3), goal=GOAL)
    # one year back from 2024-12-30 reaches 2024-01-01 (364 days); three years reach 2022
    assert t["dates_used"].tolist() == ["2024-01-01; 2024-07-01; 2024-12-30",
                                        "2022-01-01; 2024-01-01; 2024-07-01; 2024-12-30"]
    assert (t["n_points"] == t["dates_used"].str.count(";") + 1).all()
    pts = trajectory.pace_points(_milestones(), windows=(1,))
    assert pts["source_url"].tolist() == ["u1", "u2", "u3"]  # third party left out
    assert list(pts.columns) == ["window_years", "date", "total_value_usd", "total_pledges",
                                 "is_third_party", "source_url"]
    with_third = trajectory.pace_points(_milestones(), windows=(1,), include_third_party=True)
    assert "third" in with_third["source_url"].tolist()


def test_pace_points_on_the_real_series_match_the_pace_table():
    pace = trajectory.mobilisation_pace(windows=(1, 2))
    pts = trajectory.pace_points(windows=(1, 2))
    for w, row in zip((1.0, 2.0), pace.itertuples(index=False), strict=True):
        dates = pts.loc[pts["window_years"] == w, "date"]
        assert "; ".join(f"{d:%Y-%m-%d}" for d in dates) == row.dates_used
        assert len(dates) == row.n_points
    assert pts["source_url"].notna().all()


# --- ITU's headline figures -----------------------------------------------------------------------

def test_headline_figures_keep_revisions():
    f = connectivity.itu_headline_figures()
    assert len(f) == 40  # data/reference/README.md
    off24 = f[(f["year"] == 2024) & (f["group"] == "World") & (f["indicator"] ==
                                                                "offline_people")]
    assert off24["edition"].tolist() == ["Facts and Figures 2024", "Facts and Figures 2025"]
    assert off24["value"].tolist() == [2.6, 2.3]
    assert off24["is_revision"].tolist() == [False, True]
    assert off24["previous_value"].iloc[1] == 2.6
    assert off24["value_si"].tolist() == pytest.approx([2.6e9, 2.3e9])
    # the GCR 2022 repeats FF 2021's 2.9 bn for 2021: a repeat, not a revision
    off21 = f[(f["year"] == 2021) & (f["indicator"] == "offline_people")]
    assert off21["value"].tolist() == [2.9, 2.9] and not off21["is_revision"].any()


def test_headline_comparison_beside_the_bottom_up_series():
    c = connectivity.itu_headline_comparison()
    assert c["year"].tolist() == [2021, 2021, 2022, 2023, 2024, 2024, 2025]
    y24 = c[c["year"] == 2024]
    assert y24["itu_headline_offline"].tolist() == pytest.approx([2.6e9, 2.3e9])
    assert y24["latest_edition"].tolist() == [False, True]
    ours = connectivity.aggregate(["World"], 2024)["offline"].iloc[0]
    assert (y24["bottom_up_offline"] == ours).all()
    assert y24["difference"].tolist() == pytest.approx([2.6e9 - ours, 2.3e9 - ours])
    assert np.isnan(c.loc[c["year"] == 2025, "bottom_up_offline"]).all()  # after LATEST_YEAR
    assert c.loc[c["year"] == 2025, "itu_headline_internet_pct"].item() == 74
    assert c.loc[c["year"] == 2022, "itu_headline_internet_pct"].item() == 66


def test_headline_by_year_first_and_last_printed():
    y = connectivity.itu_headline_by_year().set_index("year")
    assert list(y.index) == [2021, 2022, 2023, 2024, 2025]
    assert y.loc[2021, "n_editions"] == 2 and not y.loc[2021, "revised"]  # a repeat
    r = y.loc[2024]
    assert (r["first_edition"], r["last_edition"]) == ("Facts and Figures 2024",
                                                       "Facts and Figures 2025")
    assert (r["first_offline"], r["last_offline"]) == pytest.approx((2.6e9, 2.3e9))
    assert r["revised"] and r["revision"] == pytest.approx(-0.3e9)
    assert y["revised"].sum() == 1
    assert np.isnan(y.loc[2025, "bottom_up_offline"])


def test_headline_file_errors_name_the_line(tmp_path):
    p = tmp_path / "headline.csv"
    p.write_text("edition,release_date,year,group,indicator,value,unit,source_url,notes\n"
                 "FF,2024-11-27,2024,World,offline_people,2.6,billion persons,u,\n"
                 "FF,2024-11-27,2024,World,internet_pct,about 68,percent of population,u,\n",
                 encoding="utf-8")
    with pytest.raises(ValueError, match=r"headline\.csv line 3: value 'about 68'"):
        connectivity.itu_headline_figures(p)
    p.write_text("edition,year\nFF,2024\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        connectivity.itu_headline_figures(p)


def test_every_column_of_the_monitoring_tables_is_documented():
    from p2c_analysis import changes, metrics, record, totals

    a, b = record.public_record("2025-03-01"), record.public_record("2026-03-31")
    comp = changes.compare(a.pledges, b.pledges, a.as_of, b.as_of)
    checks = totals.published_totals_checks()
    tables = [*comp.tables().values(), checks, totals.finding_counts(checks), b.pledges,
              connectivity.itu_headline_comparison(), connectivity.itu_headline_by_year(),
              trajectory.pace_points(), trajectory.mobilisation_pace()]
    undocumented = {c for t in tables for c in t.columns if metrics.lookup(c) is None}
    assert undocumented == set()
