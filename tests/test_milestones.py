"""Tests of p2c_analysis.milestones: the coalition's published totals, read from the bundled
published_aggregates.csv (real data) and from small hand-written files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from p2c_analysis import milestones, paths

HEADER = ("as_of_date,metric,breakdown_dimension,breakdown_value,value,unit,source_url,quote,"
          "notes\n")


def _write(tmp_path, rows: list[str]):
    p = tmp_path / "aggregates.csv"
    p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def ms() -> pd.DataFrame:
    return milestones.load_milestones()


def _itu_row(ms: pd.DataFrame, date: str) -> pd.Series:
    rows = ms[(ms["date_as_stated"] == date) & ~ms["is_third_party"]]
    assert len(rows) == 1
    return rows.iloc[0]


# --- the bundled derived table ----------------------------------------------------------------

def test_committed_csv_is_regenerated_byte_for_byte(tmp_path):
    fresh = milestones.write_milestones(tmp_path / "milestones.csv")
    assert fresh.read_bytes() == paths.MILESTONES.read_bytes(), (
        "data/pledges/milestones.csv drifted: run `python -m p2c_analysis.milestones`")


def test_committed_csv_reads_back_to_the_same_values(ms):
    back = pd.read_csv(paths.MILESTONES, parse_dates=["date"])
    assert list(back.columns) == list(milestones.MILESTONE_COLUMNS)
    assert (back["date"].to_numpy() == ms["date"].to_numpy()).all()
    for col in milestones.HEADLINE_METRICS:
        pd.testing.assert_series_equal(back[col], ms[col], check_names=False)


# --- load_milestones on the real published figures ---------------------------------------------

def test_columns_dtypes_and_order(ms):
    assert list(ms.columns) == list(milestones.MILESTONE_COLUMNS)
    assert ms["date"].dtype == "datetime64[ns]"
    for col in milestones.HEADLINE_METRICS:
        assert ms[col].dtype == "float64"
    assert ms["is_third_party"].dtype == bool
    assert ms["date"].is_monotonic_increasing


def test_earliest_figure_is_the_wtdc_roundtable_opening(ms):
    first = ms.iloc[0]
    assert first["date"] == pd.Timestamp("2022-06-07")
    assert first["total_pledges"] == 250
    assert first["total_value_usd"] == 15.8e9
    assert first["countries"] == 80
    assert math.isnan(first["entities"])  # not published that day
    assert not first["is_third_party"]


def test_annual_report_2023_totals(ms):
    row = _itu_row(ms, "2023-12-06")
    assert row["date"] == pd.Timestamp("2023-12-06")
    assert row["total_pledges"] == 845
    assert row["total_value_usd"] == 36.78e9
    assert row["entities"] == 408
    assert row["countries"] == 138


def test_month_dates_are_first_of_month_and_keep_their_text(ms):
    row = _itu_row(ms, "2022-10")
    assert row["date"] == pd.Timestamp("2022-10-01")
    assert row["total_pledges"] == 500 and row["entities"] == 247


def test_same_date_figures_keep_the_larger_and_list_both_urls(ms):
    # 2023-12-12: "more than 36 billion" (meeting page) and "nearly $37-billion" (press release)
    row = _itu_row(ms, "2023-12-12")
    assert row["total_value_usd"] == 37e9
    assert "partner2connect-annual-meeting-2023" in row["source_url"]
    assert "it-online.co.za/2023/12/14" in row["source_url"]
    assert milestones.URL_SEPARATOR in row["source_url"]


def test_third_party_figures_are_a_separate_row(ms):
    may24 = ms[ms["date_as_stated"] == "2024-05-27"]
    assert len(may24) == 2
    itu = may24[~may24["is_third_party"]].iloc[0]
    other = may24[may24["is_third_party"]].iloc[0]
    assert itu["total_value_usd"] == 50.96e9 and math.isnan(itu["total_pledges"])
    assert other["total_value_usd"] == 46e9 and other["total_pledges"] == 900
    flagged = set(ms.loc[ms["is_third_party"], "date_as_stated"])
    assert {"2022-09-26", "2023-09-17", "2025-07-07"} <= flagged
    assert "2023-12-06" not in flagged


# --- goal and breakdowns ------------------------------------------------------------------------

def test_goal_read_from_file():
    g = milestones.goal()
    assert g["value_usd"] == 100e9
    assert g["year"] == 2026
    assert g["source_url"].endswith("p2c-outlook-2024")
    assert "100 billion" in g["quote"]


def test_goal_is_not_typed_by_hand(tmp_path):
    p = _write(tmp_path, [
        "2024-01-01,target_total_value_usd,target_year,2030,5e10,USD,https://b,later,",
        "2023-01-01,target_total_value_usd,target_year,2030,5e10,USD,https://a,first,",
    ])
    g = milestones.goal(p)
    assert (g["value_usd"], g["year"], g["source_url"], g["quote"]) == (5e10, 2030, "https://a",
                                                                         "first")


def test_goal_rows_that_disagree_raise(tmp_path):
    p = _write(tmp_path, [
        "2024-01-01,target_total_value_usd,target_year,2026,1e11,USD,https://a,q,",
        "2024-02-01,target_total_value_usd,target_year,2026,2e11,USD,https://b,q,",
    ])
    with pytest.raises(ValueError, match="disagree"):
        milestones.goal(p)


def test_breakdown_stakeholder_counts():
    b = milestones.breakdown("pledges_by_stakeholder_type")
    got = dict(zip(b["category"], b["value"], strict=True))
    assert got == {"Government": 470, "Private sector": 144}
    assert (b["dimension"] == "stakeholder_type").all()
    assert (b["date"] == pd.Timestamp("2023-12-06")).all()


def test_breakdown_strips_qualifier():
    b = milestones.breakdown("pledges_by_pledge_type_share")
    assert dict(zip(b["category"], b["value"], strict=True)) == {
        "Programmatic": 58, "Advocacy": 21, "Policy": 12}
    assert (b["qualifier"] == "new 2023 pledges").all()
    ldc = milestones.breakdown("pledges_targeting_ldc_share")
    assert len(ldc) == 1 and ldc["category"].iloc[0] == "LDC" and ldc["value"].iloc[0] == 31


def test_breakdown_all_dates_includes_third_party_quote():
    b = milestones.breakdown("pledges_targeting_ldc_share", date=None)
    assert sorted(b["value"].tolist()) == [31.0, 33.3]


def test_breakdown_unknown_metric_names_it():
    with pytest.raises(KeyError, match="no_such_metric"):
        milestones.breakdown("no_such_metric")


def test_headline():
    assert milestones.headline("total_pledges") == 845
    with pytest.raises(KeyError):
        milestones.headline("total_pledges", "2099-01-01")


# --- hand-made files: same-date rule and bad input ---------------------------------------------

def test_hand_made_same_date_rule(tmp_path):
    p = _write(tmp_path, [
        "2024-03,total_pledges,,,100,count,https://a,q,",
        "2024-03,total_pledges,,,120,count,https://b,q,",
        "2024-03,total_value_usd,,,5e9,USD,https://a,q,",
        "2024-03,total_value_usd,,,9e9,USD,https://c,q,NOT an ITU publication: quoted",
        "2024-01-15,entities,,,40,count,https://a,q,",
        "2024-01-15,entities,stakeholder_type,Government,10,count,https://a,q,",
    ])
    m = milestones.load_milestones(p)
    assert m["date_as_stated"].tolist() == ["2024-01-15", "2024-03", "2024-03"]
    assert m["is_third_party"].tolist() == [False, False, True]
    jan, itu, third = (m.iloc[i] for i in range(3))
    assert jan["entities"] == 40 and math.isnan(jan["total_pledges"])  # breakdown row ignored
    assert itu["total_pledges"] == 120 and itu["total_value_usd"] == 5e9
    assert itu["source_url"] == "https://b | https://a"
    assert third["total_value_usd"] == 9e9 and math.isnan(third["total_pledges"])
    assert itu["date"] == pd.Timestamp("2024-03-01")


def test_bad_date_names_file_and_line(tmp_path):
    p = _write(tmp_path, ["2024-01-01,total_pledges,,,1,count,u,q,", "March 2024,total_pledges,,,1,"
                          "count,u,q,"])
    with pytest.raises(ValueError, match=r"aggregates\.csv line 3: as_of_date 'March 2024'"):
        milestones.load_milestones(p)


def test_bad_value_names_file_and_line(tmp_path):
    p = _write(tmp_path, ["2024-01-01,total_pledges,,,about 5,count,u,q,"])
    with pytest.raises(ValueError, match=r"line 2: value 'about 5'"):
        milestones.load_milestones(p)


def test_missing_column_is_named(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("as_of_date,metric,value\n2024-01-01,total_pledges,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column.*breakdown_dimension"):
        milestones.load_milestones(p)


def test_reading_is_tracked():
    milestones.load_milestones()
    assert "data/pledges/published_aggregates.csv" in paths.files_read()


def test_errors_name_the_file_read(tmp_path):
    p = _write(tmp_path, [
        "2024-01-01,target_total_value_usd,target_year,2026,1e11,USD,https://a,q,",
        "2024-02-01,target_total_value_usd,target_year,2026,2e11,USD,https://b,q,",
    ])
    with pytest.raises(ValueError, match=rf"^{p.name}: .*disagree"):
        milestones.goal(p)
    with pytest.raises(KeyError, match=rf"{p.name}: no metric 'no_such_metric'"):
        milestones.breakdown("no_such_metric", path=p)


def test_published_breakdowns_say_what_each_figure_measures():
    """implementation_progress set ITU's share of pledges reported on (of all pledges) beside
    the shares in progress and completed (of the reported ones) in one "Percent" column, and
    pledge_landscape showed names such as ``stakeholder_type``: each row now says in words
    what it measures."""
    b = milestones.breakdowns(["reported_share", "completed_share", "pledges_by_pledge_type"],
                              date=None)
    assert b.columns[0] == "figure"
    figures = dict(zip(b["figure"], b["value"], strict=False))
    assert figures["Pledges reported on (% of all pledges)"] == 33.3
    assert figures["Completed (% of the pledges reported on)"] == 10.0
    assert "Pledges by pledge type" in figures
    assert milestones.breakdown_label("value_by_pledge_type_usd") == "Value by pledge type usd"
