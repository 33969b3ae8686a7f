"""World choropleths: boundaries from the bundled 1:50m TopoJSON, small states never vanish."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from p2c_analysis import connectivity, countries, maps, paths, plots, style  # noqa: E402


@pytest.fixture(scope="module")
def geo():
    return maps.shapes()


@pytest.fixture(scope="module")
def wdi_2024():
    return connectivity.for_year(2024).set_index("iso3")


def test_shapes_are_read_offline_and_tracked(geo):
    assert {"iso3", "geometry"} <= set(geo.columns)
    assert str(geo.crs).upper().endswith("8857")
    assert "data/raw/world-atlas_countries-50m.topo.json" in paths.files_read()


def test_one_row_per_economy_and_no_antarctica(geo):
    named = geo[geo["iso3"].notna()]
    assert not named["iso3"].duplicated().any()
    assert "ATA" not in set(named["iso3"])
    # Australia is drawn once, with Ashmore and Cartier (same ISO numeric 036) merged in
    assert (named["iso3"] == "AUS").sum() == 1


def test_50m_file_covers_small_island_states(geo):
    have = set(geo["iso3"].dropna())
    # SOURCES.md: the 1:50m file has every SIDS except Tuvalu and BES
    for iso in ["MDV", "COM", "KIR", "NRU", "MHL", "STP", "MUS", "SYC", "TON", "PLW"]:
        assert iso in have, iso
    assert "TUV" not in have  # no polygon in Natural Earth 1:50m v4.1.0 ...
    p = maps.placement(["TUV"]).iloc[0]
    assert p["drawn_as"] == "point"  # ... so it is drawn as a circle at Funafuti
    lon, lat = maps.POINT_LOCATIONS["TUV"]
    assert 175 < lon < 180 and -10 < lat < -5


def test_no_polygon_crosses_the_antimeridian(geo):
    ll = geo.to_crs("EPSG:4326")
    for iso in ["RUS", "FJI", "KIR", "USA", "NZL"]:
        g = ll.loc[ll["iso3"].eq(iso), "geometry"].iloc[0]
        for part in getattr(g, "geoms", [g]):
            minx, _, maxx, _ = part.bounds
            assert maxx - minx < 180, (iso, part.bounds)


def test_every_wdi_economy_can_be_drawn():
    ref = countries.reference()
    wdi = ref.loc[ref["in_wdi"], "iso3"].tolist()
    p = maps.placement(wdi)
    assert p.loc[p["drawn_as"].eq("missing"), "iso3"].tolist() == []
    # the special joins: Kosovo by name, Channel Islands = Jersey + Guernsey
    assert set(p.loc[p["iso3"].isin(["XKX", "CHI"]), "drawn_as"]) <= {"polygon", "marker"}


def test_every_sids_with_data_is_visible(wdi_2024):
    sids = countries.members("SIDS", as_of=2024)
    with_data = [i for i in sids if i in wdi_2024.index and pd.notna(wdi_2024.at[i, "offline"])]
    assert len(with_data) > 40
    p = maps.placement(with_data).set_index("iso3")
    polygon = p["drawn_as"].eq("polygon")
    # a polygon counts as visible only when it is at least MIN_MARKER_PT across
    assert (p.loc[polygon, "size_pt"] >= maps.MIN_MARKER_PT).all()
    assert p["drawn_as"].isin(["polygon", "marker", "point"]).all()
    assert p.loc[~polygon, ["x", "y"]].notna().all().all()
    # the Maldives and Tuvalu-size states are circles, Papua New Guinea is a polygon
    assert p.at["MDV", "drawn_as"] == "marker"
    assert p.at["PNG", "drawn_as"] == "polygon"


def test_marker_rule_follows_the_threshold():
    iso = ["BRA", "MDV", "LUX", "JAM"]
    none = maps.placement(iso, min_marker_pt=0.0)
    assert set(none["drawn_as"]) == {"polygon"}
    every = maps.placement(iso, min_marker_pt=1e6)
    assert set(every["drawn_as"]) == {"marker"}
    # size in points = sqrt(area) / (map width in metres / (width in inches * 72))
    geo = maps.shapes().set_index("iso3")
    minx, _, maxx, _ = geo.total_bounds[[0, 1, 2, 3]]
    width_in = 10.0
    expected = math.sqrt(geo.at["BRA", "geometry"].area) / ((maxx - minx) / (width_in * 72))
    got = maps.placement(["BRA"], map_width_in=width_in).iloc[0]["size_pt"]
    assert got == pytest.approx(expected, rel=1e-9)
    # a wider map makes everything bigger on paper
    assert maps.placement(["JAM"], map_width_in=20).iloc[0]["size_pt"] == pytest.approx(
        2 * maps.placement(["JAM"], map_width_in=10).iloc[0]["size_pt"])


def _circles(fig):
    ax = fig.axes[0]
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def test_choropleth_draws_circles_for_small_states_on_the_same_scale():
    values = pd.Series({"BRA": 10.0, "MDV": 90.0, "TUV": 50.0, "KIR": np.nan, "NGA": 40.0})
    fig = maps.choropleth(values, "Test", "Internet use (%)", kind="pct",
                          bins=[0, 20, 40, 60, 80, 100])
    try:
        circles = _circles(fig)
        offsets = np.vstack([c.get_offsets() for c in circles])
        width = maps.map_width_in(fig.axes[0])
        assert 9.0 < width < style.MAP_FIGSIZE[0]  # the map fills most of the figure width
        assert width == pytest.approx(maps.default_map_width_in(), rel=1e-3)
        p = maps.placement(values.index, width)
        n_circles = p["drawn_as"].isin(["marker", "point"]).sum()
        assert len(offsets) == n_circles == 3  # MDV, TUV (point), KIR (no data, grey)
        # the coloured circles use the map's colour scale: MDV (90) is the top class colour
        coloured = [c for c in circles if c.get_array() is not None]
        assert len(coloured) == 1
        arr = np.asarray(coloured[0].get_array())
        assert sorted(arr.tolist()) == [50.0, 90.0]
        grey = [c for c in circles if c.get_array() is None]
        assert len(grey) == 1
        assert mcolors.to_hex(grey[0].get_facecolor()[0]) == style.NO_DATA_COLOR.lower()
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert maps.NO_DATA_LABEL in legend
        assert any("Natural Earth" in t.get_text() for t in fig.texts)
        assert fig.axes[0].get_title(loc="left") == "Test"
    finally:
        plt.close(fig)


def test_choropleth_colour_bar_extends_when_values_exceed_bins():
    values = pd.Series({"IND": 6e8, "FRA": 5e6})
    fig = maps.choropleth(values, "t", "People offline (persons)", bins=[0, 1e6, 1e8])
    try:
        cbar_ax = fig.axes[1]
        assert cbar_ax.get_xlabel() == "People offline (persons)"
        labels = [t.get_text() for t in cbar_ax.get_xticklabels()]
        assert "100 M" in labels and "1 M" in labels
    finally:
        plt.close(fig)


def test_choropleth_rejects_bad_input():
    with pytest.raises(TypeError, match="Series"):
        maps.choropleth({"FRA": 1.0}, "t", "l")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicate"):
        maps.choropleth(pd.Series([1.0, 2.0], index=["FRA", "FRA"]), "t", "l")
    with pytest.raises(ValueError, match="bins"):
        maps.choropleth(pd.Series({"FRA": 1.0}), "t", "l", bins=[5, 1])


def test_choropleth_marks_economies_apart_from_no_data():
    # SAU (a polygon) and BHR (a circle) have no ratio because no one is offline there: they
    # are drawn hatched with a legend entry of their own, not in the "no data" grey
    label = "no one offline (ratio undefined)"
    values = pd.Series({"BRA": 10.0, "SAU": np.nan, "BHR": np.nan, "KIR": np.nan})
    fig = maps.choropleth(values, "Test", "USD per offline person", kind="usd_small",
                          bins=[0, 1, 100], marked={label: ["SAU", "BHR"]})
    try:
        ax = fig.axes[0]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert maps.NO_DATA_LABEL in legend and label in legend
        hatched = [c for c in ax.collections if c.get_hatch()]
        polys = [c for c in hatched if not isinstance(c, PathCollection)]
        dots = [c for c in hatched if isinstance(c, PathCollection)]
        assert len(polys) == 1 and len(polys[0].get_paths()) == 2  # SAU, BHR's islands
        assert len(dots) == 1 and len(dots[0].get_offsets()) == 1  # BHR
        assert mcolors.to_hex(polys[0].get_facecolor()[0]) != style.NO_DATA_COLOR.lower()
        grey = [c for c in _circles(fig) if c.get_array() is None and not c.get_hatch()]
        assert len(grey) == 1 and len(grey[0].get_offsets()) == 1  # KIR only
    finally:
        plt.close(fig)


def test_a_map_with_no_value_above_0_says_why_instead_of_drawing_every_country_at_0():
    """A pledge file of global pledges only drew every country in the lowest class (USD 0): a
    map that says nothing. With ``zero_reason`` it is marked as having nothing to draw (and
    report.show says why in one sentence); any value above 0, or no reason given, draws it."""
    reason = "no country with people offline is allocated any pledged USD"
    zeros = pd.Series({"BRA": 0.0, "NGA": 0.0, "SAU": np.nan})
    for values, want in ((zeros, reason), (zeros.fillna(0.0).where(zeros.index != "NGA", 2.0),
                                            None)):
        fig = maps.choropleth(values, "USD", "USD per offline person", kind="usd_small",
                              bins=[0, 0.01, 1], zero_reason=reason)
        try:
            assert plots.nothing_drawn(fig) == want
        finally:
            plt.close(fig)
    fig = maps.choropleth(zeros, "USD", "USD per offline person", bins=[0, 0.01, 1])
    try:
        assert plots.nothing_drawn(fig) is None  # drawn: no reason given
    finally:
        plt.close(fig)
