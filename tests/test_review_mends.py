"""Rules of this stop's loader fixes that a review found too wide, mended: each case here
was misread or lost by the rule as first written."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd

from p2c_analysis import export, parsing
from p2c_analysis.pledges import load_pledges


def _load(tmp_path: Path, text: str):
    f = tmp_path / "p.csv"
    f.write_text(text, encoding="utf-8")
    return load_pledges(f)


def test_a_second_export_below_a_short_first_one_keeps_the_first(tmp_path: Path) -> None:
    r = _load(tmp_path, "title,pledger,value_as_stated\n"
                        "Fibre Kenya,Org A,USD 1 million\nSchools Uganda,Org B,USD 2 million\n"
                        "title,pledger,value_as_stated,announced_date,target_countries\n"
                        "Towers,Org C,USD 3 million,2023,Kenya\n")
    assert r.valid["title"].tolist() == ["Fibre Kenya", "Schools Uganda"]
    assert len(r.valid) + len(r.quarantine) == 4  # nothing lost


def test_day_first_two_digit_year_dates_are_read(tmp_path: Path) -> None:
    for text, day in (("15/06/23", "2023-06-15"), ("31/12/22", "2022-12-31"),
                      ("28-02-24", "2024-02-28")):
        assert parsing.read_date(text).when == pd.Timestamp(day), text


def test_a_goal_in_brackets_is_not_lost() -> None:
    assert parsing.parse_sdgs("SDG 9 (and SDG 17)") == [9, 17]
    assert parsing.parse_sdgs("SDG 4 (Quality Education)") == [4]
    for text in ("SDG 9 (also 17)", "9 (17)"):  # not read as [9] alone
        try:
            got = parsing.parse_sdgs(text)
        except parsing.ParseError:
            continue
        assert 17 in got, text


def test_a_pledge_titled_total_and_a_country_is_a_pledge(tmp_path: Path) -> None:
    r = _load(tmp_path, "title,pledger,value_as_stated\n"
                        "Total Kenya,TotalEnergies Kenya,USD 2 million\n"
                        "Total Africa,,USD 2 million\n")
    assert r.valid["title"].tolist() == ["Total Kenya"]
    assert r.quarantine["reasons"].str.startswith("totals row").tolist() == [True]


def test_in_kind_with_a_bracketed_range_or_bound_keeps_it() -> None:
    bound = parsing.parse_money("In kind (up to USD 2 million)")
    assert (bound.amount, bound.qualifier, bound.currency) == (2e6, "up to", "USD")
    rng = parsing.parse_money("In kind (USD 1-2 million)")
    assert (rng.amount, rng.range_high) == (1e6, 2e6)


def test_a_private_table_stays_private_when_replaced(tmp_path: Path) -> None:
    out = tmp_path / "private.csv"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o600)
    export.write_csv(pd.DataFrame({"a": [1]}), out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text(encoding="utf-8") == "a\n1\n"


def test_a_currency_whose_rates_lag_is_still_converted_after_the_vintage() -> None:
    """The age limit counted from the announcement year refused AFN, GNF and MMK (WDI's
    latest: 2020) for any pledge of 2026, LKR and others for 2027: WDI's lag alone. It is
    counted from the vintage's latest year for a later year; a series that stopped long ago
    (TMT: 2001) is still refused."""
    from p2c_analysis import fx

    latest = fx.latest_year()
    for cur in ("AFN", "GNF", "MMK", "LKR"):
        _, used, _ = fx.rate(cur, latest + 2)
        assert latest - used <= fx.MAX_RATE_AGE_YEARS, cur
    try:
        fx.rate("TMT", latest)
    except fx.FXError as err:
        assert "latest is 2001" in str(err)
    else:
        raise AssertionError("TMT converted at its 2001 rate")


def test_a_line_capped_before_the_analysis_year_is_said_in_the_past() -> None:
    """A 2027 profile whose last observation is 2024 read "would reach 100% by 2026", a year
    already past."""
    from p2c_analysis import profiles
    from tests.test_s17_prose import _trend

    trend = _trend(89.44, 9.39)  # Kiribati: last observed 2024, 100% by 2026
    text = profiles.trend_text(trend, 2027, 50_000)
    assert "it would have reached 100% by 2026" in text, text
    assert "it would reach 100% by 2026" in profiles.trend_text(trend, 2024, 50_000)


def test_sum_lines_beside_a_filler_pledger_are_set_aside(tmp_path: Path) -> None:
    r = _load(tmp_path, "pledger,title,value_as_stated\n"
                        "Org A,Fibre,USD 2 million\n"
                        "All pledgers,Total Africa,USD 5 million\n"
                        "Africa,Subtotal Africa,USD 5 million\n"
                        "Various,Total 2023,USD 5 million\n"
                        "TotalEnergies Kenya,Total Kenya,USD 1 million\n")
    assert r.valid["title"].tolist() == ["Fibre", "Total Kenya"]
    assert r.quarantine["source_row"].tolist() == [3, 4, 5]


def test_an_sdg_with_a_target_or_year_in_brackets_is_read() -> None:
    assert parsing.parse_sdgs("SDG 9 (Target 9.1)") == [9]
    assert parsing.parse_sdgs("SDG 4 (Agenda 2030)") == [4]
    assert parsing.parse_sdgs("SDG 9 (9.c)") == [9]


def test_each_set_aside_row_is_marked_by_its_own_cell_under_any_header(tmp_path: Path,
                                                                       capsys) -> None:
    """The mark of a set-aside row was read only under a header normalised to
    ``is_synthetic``: a file's ``Synthetic`` column (an alias the loader reads) went unmarked;
    a mark that cannot be read was taken for a real row; a row of a file with no such column
    (the real side of a comparison) was marked synthetic."""
    from p2c_analysis import report
    from p2c_analysis.pledges import check_pledges_cli

    src = tmp_path / "s.csv"
    src.write_text("title,pledger,target_countries,Synthetic\n"
                   "A,Org,Kenya,yes\nB,Org,Atlantis,yes\nC,Org,Atlantis,no\n"
                   "D,Org,Atlantis,maybe\n", encoding="utf-8")
    aside = tmp_path / "aside.csv"
    assert check_pledges_cli(str(src), quarantine=str(aside)) == 0
    assert "SYNTHETIC DATA" in capsys.readouterr().out
    assert pd.read_csv(aside)["is_synthetic"].tolist() == [True, False, True]
    no_column = pd.DataFrame({"source_row": [2], "reasons": ["x"], "raw": ['{"title": "A"}']})
    assert report.marked_set_aside(no_column)["is_synthetic"].tolist() == [False]
    unreadable = pd.DataFrame({"source_row": [2], "reasons": ["x"], "raw": ["not json"]})
    assert report.marked_set_aside(unreadable)["is_synthetic"].tolist() == [True]
