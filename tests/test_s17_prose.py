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
