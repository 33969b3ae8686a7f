"""Prose and figures a reviewer reads: a share below 100 never reads as 100%, a trend that
rounds to zero is said in words, and the pledge-coverage headline says what the pledges reach."""

from __future__ import annotations

import pandas as pd

from p2c_analysis import gaps, style


def test_a_share_below_100_never_reads_as_all() -> None:
    # The Americas in 2010: 99.96% of the population observed beside "<0.1%" without data
    # read "100.0%"; mirror "<0.1%" with ">99.9%"
    assert style.fmt_pct(99.96) == ">99.9%"
    assert style.fmt_pct(99.95) == ">99.9%" and style.fmt_pct(99.94) == "99.9%"
    assert style.fmt_pct(99.6, 0) == ">99%" and style.fmt_pct(99.4, 0) == "99%"
    assert style.fmt_pct(99.996, 2) == ">99.99%"
    assert style.fmt_share(0.9996) == ">99.9%"
    assert style.formatter_for("pct")(99.97) == ">99.9%"
    # all is still all, also when a sum of shares lands a hair below 100 by float noise
    assert style.fmt_pct(100) == "100.0%" and style.fmt_pct(100, 0) == "100%"
    assert style.fmt_pct(100 * (0.1 + 0.2 + 0.7)) == "100.0%"
    assert style.fmt_share(1.0) == "100.0%"
    assert style.fmt_pct(0.02) == "<0.1%"


def test_k_of_n_prose_with_many_pledges_does_not_say_all() -> None:
    # 2,999 of 3,000 pledges (99.97%) read "(100.0%)"
    table = pd.DataFrame({"category": [gaps.NOT_STATED, "Infrastructure"],
                          "pledges": [2999, 1], "usd": [float("nan"), 5.0],
                          "usd_share_pct": [float("nan"), 100.0]})
    text = gaps.unstated_text(table, 3000, "focus area")
    assert "2,999 of the 3,000 pledges (>99.9%)" in text, text
    assert "100.0%" not in text


def _trend(last_pct: float, slope: float, last_year: int = 2024, n_years: int = 5) -> dict:
    """A :func:`trajectory.connectivity_trend` result for a country of 1 M people."""
    from p2c_analysis import trajectory

    years = list(range(last_year - n_years + 1, last_year + 1))
    series = pd.DataFrame({"year": years, "population": 1e6,
                           "internet_pct": [last_pct - slope * (last_year - y) for y in years]})
    return trajectory.connectivity_trend(series, window=5)


def test_a_slope_that_rounds_to_zero_is_said_in_words() -> None:
    # Botswana 2005 read "changed by -0.0 percentage points a year" beside "would reach 2.2% in
    # 2030"; Timor-Leste 2005 "+0.0" beside a visible rise
    from p2c_analysis import profiles

    assert profiles.slope_text(-0.04) == "fell by less than 0.1 percentage points a year"
    assert profiles.slope_text(0.033) == "rose by less than 0.1 percentage points a year"
    assert profiles.slope_text(2.32) == "rose by 2.3 percentage points a year"
    assert profiles.slope_text(-1.26) == "fell by 1.3 percentage points a year"
    assert profiles.slope_text(0.0) == "did not change"
    text = profiles.trend_text(_trend(3.26, -0.04), 2024, 967_400)
    # 3.26 - 0.04 * 6 = 3.02 in 2030: a visible fall, said as one
    assert text.startswith("Over the 5 observed years up to 2024, Internet use fell by less "
                           "than 0.1 percentage points a year; at that pace it would reach 3.0% "
                           "in 2030, leaving about 970 k people offline"), text
    assert "-0.0" not in text and "+0.0" not in text


def test_a_line_capped_at_100_says_the_year_it_gets_there() -> None:
    # Kiribati 2024: 89.4% rising 9.4 points a year reaches 100% in 2026 (89.4 + 2 * 9.4 >= 100,
    # 89.4 + 9.4 < 100), not "would reach 100.0% in 2030, leaving about 0 people offline"
    from p2c_analysis import profiles, trajectory

    trend = _trend(89.44, 9.39)
    assert trajectory.year_capped(trend) == 2026
    text = profiles.trend_text(trend, 2024, 105_600)
    assert text == ("Over the 5 observed years up to 2024, Internet use rose by 9.4 percentage "
                    "points a year; at that pace it would reach 100% by 2026, leaving no one "
                    "offline (an extrapolation, not a forecast).")
    # a line that stays below 100 by 2030 keeps its horizon year
    assert trajectory.year_capped(_trend(41.2, 2.32)) is None
    assert " in 2030, leaving about" in profiles.trend_text(_trend(41.2, 2.32), 2024, 1e6)
    # exactly on 100 in the horizon year: reached then
    assert trajectory.year_capped(_trend(70.0, 5.0)) == 2030


def test_the_country_profile_trend_sentence_on_the_bundled_data() -> None:
    from p2c_analysis import connectivity, profiles, trajectory

    def sentence(iso3: str, year: int) -> str:
        history = connectivity.history(iso3, year)
        now = history[history["year"].eq(year)].iloc[0]
        trend = trajectory.connectivity_trend(connectivity.observed_only(history), window=5)
        return profiles.trend_text(trend, year, now["offline"])

    bwa = sentence("BWA", 2005)
    assert "Internet use fell by less than 0.1 percentage points a year" in bwa, bwa
    tls = sentence("TLS", 2005)
    assert "Internet use rose by less than 0.1 percentage points a year" in tls, tls
    kir = sentence("KIR", 2024)
    assert "would reach 100% by 2026, leaving no one offline" in kir, kir
    assert "100.0% in 2030" not in kir


def _coverage(tmp_path, rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``coverage_by_group`` and named ``coverage_by_country`` of a pledge file of ``rows``."""
    from rendering import write_rows

    from p2c_analysis import pledges

    src = write_rows(tmp_path / "p.csv", rows)
    valid = pledges.load_pledges(src).valid
    assert len(valid) == len(rows)
    kw = {"method": "offline", "include_global": False, "year": 2024}
    return (gaps.coverage_by_group(valid, **kw),
            gaps.with_names(gaps.coverage_by_country(valid, **kw)))


def _pledge(title: str, targets: str, value: str = "", region: str = "") -> dict:
    return {"pledge_title": title, "pledger": "Org", "stakeholder_type": "Government",
            "target_countries_iso3": targets, "target_region": region,
            "estimated_value_usd": value, "announced_date": "2022", "target_year": "2025"}


def test_pledges_reaching_only_economies_with_no_gap_figure_are_said_to_reach_them(tmp_path):
    # Niue (no offline figure) and Saudi Arabia (no one offline): the headline read "By count,
    # no pledge reaches a country", while both pledges reach one
    cov, cov_c = _coverage(tmp_path, [_pledge("Niue towers", "NIU", "1000000"),
                                      _pledge("Saudi schools", "SAU", "2000000")])
    text = gaps.by_count_text(cov, cov_c)
    assert text == ("By count, the 2 pledges reaching countries reach no economy with people "
                    "offline, only Saudi Arabia (no one offline) and Niue (offline population "
                    "unknown), so there is no pledge-unit attention ratio either.")
    one, one_c = _coverage(tmp_path, [_pledge("Niue towers", "NIU")])
    assert gaps.by_count_text(one, one_c) == (
        "By count, the pledge reaching a country reaches no economy with people offline, only "
        "Niue (offline population unknown), so there is no pledge-unit attention ratio either.")


def test_the_count_sentence_keeps_its_other_cases(tmp_path):
    none, none_c = _coverage(tmp_path, [_pledge("Somewhere", "")])  # targets not stated
    assert gaps.by_count_text(none, none_c) == (
        "By count, no pledge reaches a country, so there is no pledge-unit attention ratio "
        "either.")
    ken, ken_c = _coverage(tmp_path, [_pledge("Towers", "KEN"), _pledge("Masts", "NER")])
    text = gaps.by_count_text(ken, ken_c)
    ratio = style.fmt_ratio(ken.set_index("group").at["LDC", "attention_ratio_count"])
    assert text == (f"By count, 1 pledge reaches them (pledge-unit attention ratio {ratio}: "
                    "each pledge one unit, split over its countries like its USD).")


def test_no_double_space_where_nothing_is_kept_apart(tmp_path):
    cov, _ = _coverage(tmp_path, [_pledge("Niue towers", "NIU")])
    assert gaps.kept_apart_text(cov, lead=" ") == ""
    kept, _ = _coverage(tmp_path, [_pledge("World fund", "", "5000000", "Global"),
                                   _pledge("Niue towers", "NIU")])
    assert gaps.kept_apart_text(kept, lead=" ") == (
        " The stated USD is in pledges kept apart, not allocated to countries: 1 global pledge "
        "(USD 5.00 M).")
    assert gaps.kept_apart_text(kept).startswith("The stated USD")


def test_gap_coverage_headline_on_niue_and_saudi_arabia(tmp_path):
    import html
    import re

    from rendering import render_one, write_rows

    src = write_rows(tmp_path / "p.csv", [_pledge("Niue towers", "NIU"),
                                         _pledge("Saudi schools", "SAU")])
    folder = render_one("gap_coverage", {"pledges": str(src)}, tmp_path / "runs")
    page = (folder / "gap_coverage.html").read_text(encoding="utf-8")
    start = page.index("The least developed countries hold")
    para = html.unescape(re.sub(r"<[^>]+>", "", page[start:page.index("</p>", start)]))
    assert "no pledge reaches a country" not in para
    assert "  " not in para, para
    assert para.endswith("so there is no USD attention ratio. By count, the 2 pledges reaching "
                         "countries reach no economy with people offline, only Saudi Arabia (no "
                         "one offline) and Niue (offline population unknown), so there is no "
                         "pledge-unit attention ratio either."), para
