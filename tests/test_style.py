"""House style: number formatting, missing values, colours, tick formatters."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib import colors as mcolors  # noqa: E402

from p2c_analysis import style  # noqa: E402
from p2c_analysis.vocabulary import (
    FOCUS_AREAS,
    INCOME_GROUPS,
    ITU_REGIONS,
    STANDARD_GROUPS,
    UN_GROUPS,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.34e9, "2.34 bn"),
        (512e6, "512 M"),
        (12_300, "12.3 k"),
        (950, "950"),
        (0, "0"),
        (1_000, "1.00 k"),
        (999_600_000, "1.00 bn"),  # rounds up into the next unit, not "1000 M"
        (99_999, "100 k"),
        (-2_500_000, "-2.50 M"),
        (2.339e9, "2.34 bn"),
    ],
)
def test_fmt_people(value, expected):
    assert style.fmt_people(value) == expected


def test_fmt_usd_and_pct_examples_from_the_brief():
    assert style.fmt_usd(3e9) == "USD 3.00 bn"
    assert style.fmt_usd(1e11) == "USD 100 bn"
    assert style.fmt_usd(25_000_000) == "USD 25.0 M"
    assert style.fmt_pct(71.234) == "71.2%"
    assert style.fmt_pct(71.25, decimals=0) == "71%"
    assert style.fmt_pct(0) == "0.0%"


@pytest.mark.parametrize("missing", [None, np.nan, float("nan"), pd.NA, pd.NaT, np.float64("nan")])
def test_missing_values_are_na_never_zero(missing):
    for f in (style.fmt_people, style.fmt_usd, style.fmt_pct, style.fmt_int, style.fmt_ratio):
        assert f(missing) == "n/a"


def test_infinite_is_na():
    assert style.fmt_people(math.inf) == "n/a"
    assert style.fmt_pct(-math.inf) == "n/a"


def test_trim_for_ticks():
    assert style.fmt_people(2e9, trim=True) == "2 bn"
    assert style.fmt_people(2.5e9, trim=True) == "2.5 bn"
    assert style.fmt_people(2e9) == "2.00 bn"
    assert style.fmt_usd(5e10, trim=True) == "USD 50 bn"


def test_tick_formatters():
    assert style.people_formatter()(5e8, 0) == "500 M"
    assert style.usd_formatter()(1e11, 0) == "USD 100 bn"
    assert style.pct_formatter()(40, 0) == "40%"
    with pytest.raises(ValueError, match="unknown number kind"):
        style.number_formatter("furlongs")
    with pytest.raises(ValueError, match="unknown number kind"):
        style.formatter_for("furlongs")


def test_every_standard_group_has_its_own_valid_colour():
    for g in STANDARD_GROUPS:
        assert g in style.GROUP_COLORS, g
        assert mcolors.is_color_like(style.GROUP_COLORS[g])
    # within each family that is drawn together, colours are distinct
    families = [
        ["World", *ITU_REGIONS],
        ["World", *UN_GROUPS],
        ["World", *INCOME_GROUPS],
    ]
    for fam in families:
        cols = [style.GROUP_COLORS[g].lower() for g in fam]
        assert len(set(cols)) == len(cols), fam
    assert style.group_color("Some custom list") == style.OTHER_COLOR
    assert list(style.GROUP_ORDER) == list(STANDARD_GROUPS)


def test_income_colours_are_ordered_dark_to_light():
    # low income is darkest: relative luminance rises with income
    def lum(hex_):
        r, g, b = mcolors.to_rgb(hex_)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lums = [lum(style.INCOME_COLORS[g]) for g in INCOME_GROUPS]
    assert lums == sorted(lums)


def test_map_cmap_drops_the_lightest_colours():
    full = matplotlib.colormaps[style.MAP_CMAP]
    cut = style.map_cmap()
    assert np.allclose(cut(0.0), full(style.MAP_CMAP_START), atol=0.01)
    assert np.allclose(cut(1.0), full(1.0), atol=0.01)


def test_apply_sets_rcparams():
    style.apply()
    assert matplotlib.rcParams["figure.figsize"] == list(style.FIGSIZE)
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert style.FONT_FAMILY in matplotlib.rcParams["font.sans-serif"]


def test_all_group_colours_are_told_apart():
    # any two of the 14 standard groups can meet in one chart (a country profile shows a region,
    # an income group and LDC/LLDC/SIDS together): no two colours closer than 0.2 in RGB
    import itertools

    rgb = {g: np.array(mcolors.to_rgb(c)) for g, c in style.GROUP_COLORS.items()}
    closest = min(np.linalg.norm(rgb[a] - rgb[b]) for a, b in itertools.combinations(rgb, 2))
    assert closest > 0.2


def test_small_usd_and_shares():
    assert style.fmt_usd_small(15.438) == "USD 15.44"
    assert style.fmt_usd_small(0.01) == "USD 0.01"
    assert style.fmt_usd_small(5.0, trim=True) == "USD 5"
    assert style.fmt_usd_small(2500) == "USD 2.50 k"
    assert style.fmt_usd_small(np.nan) == "n/a"
    assert style.fmt_share(0.0588) == "5.9%"
    assert style.fmt_share(None) == "n/a"
    assert style.number_formatter("usd_small")(0.01, 0) == "USD 0.01"


def test_focus_colours_cover_the_registry():

    assert list(style.FOCUS_COLORS) == list(FOCUS_AREAS)
    assert len(set(style.FOCUS_COLORS.values())) == len(FOCUS_AREAS)


def test_small_percentages_are_not_shown_as_none_nor_as_minus_zero() -> None:
    assert style.fmt_pct(0.0017) == "<0.1%" and style.fmt_pct(0.0017, 0) == "<1%"
    assert style.fmt_pct(-0.04) == "0.0%" and style.fmt_pct(0) == "0.0%"
    assert style.fmt_pct(-0.2) == "-0.2%" and style.fmt_pct(71.234) == "71.2%"
    from p2c_analysis import report

    assert report._fmt_cell(-0.04, None, 1) == "0.0"
    assert report._fmt_cell(-0.4, None, 1) == "-0.4"


def test_a_change_between_rounded_counts_adds_up_for_the_reader():
    """connectivity_gap read "from 4.47 bn to 2.33 bn (a fall of 2.15 bn)": the change came
    from the unrounded values. It is now the change between the figures shown."""
    assert style.people_change(4.4749e9, 2.3251e9) == {
        "before": "4.47 bn", "after": "2.33 bn", "change": "a fall of 2.14 bn"}
    assert style.people_change(987.4e6, 1.2345e9)["change"] == "a rise of 243 M"  # 1.23 bn - 987 M
    assert style.people_change(2.3251e9, 2.3262e9)["change"] == "no change at this precision"
    assert style.people_change(float("nan"), 1e9) == {
        "before": "n/a", "after": "1.00 bn", "change": "n/a"}


def test_an_attention_ratio_where_no_one_is_offline_is_not_defined() -> None:
    assert style.fmt_attention_ratio(float("nan"), 0) == style.NO_ONE_OFFLINE
    assert style.fmt_attention_ratio(float("nan"), 0.0) == style.NO_ONE_OFFLINE
    assert style.fmt_attention_ratio(float("nan"), float("nan")) == "n/a"  # no data: missing
    assert style.fmt_attention_ratio(1.364, 36.7e6) == "1.36"


def test_small_and_large_ratios_and_amounts_read_as_what_they_are() -> None:
    """Tuvalu's card read "61996.50" (no grouping of digits), and a profile's table read
    "USD 0.00" per offline person beside a ratio of 0.29: a positive amount that rounds to
    nothing is "less than" the smallest figure shown, as percentages already are."""
    assert style.fmt_ratio(61996.5) == "61,996.50"
    assert style.fmt_ratio(0.456) == "0.46"
    assert style.fmt_ratio(0.004) == "<0.01"
    assert style.fmt_ratio(0.0) == "0.00"
    assert style.fmt_ratio(-0.001) == "0.00"  # no "-0.00"
    assert style.fmt_usd_small(0.004) == "<USD 0.01"
    assert style.fmt_usd_small(0.0) == "USD 0.00"
    assert style.fmt_usd_small(0.005) == "USD 0.01"


def test_a_small_negative_amount_is_not_minus_zero():
    """A sum of USD changes that cancel out, off by a rounding error (-2e-07), read "USD -0"."""
    assert style.fmt_usd(-2e-7) == "USD 0" and style.fmt_scaled(-0.4) == "0"
    assert style.fmt_people(-0.001) == "0"
    assert style.fmt_usd(-3.0) == "USD -3" and style.fmt_usd(-2.5e6) == "USD -2.50 M"
