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
