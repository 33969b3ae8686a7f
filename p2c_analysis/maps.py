"""World choropleths from the bundled Natural Earth 1:50m boundaries, offline.

Boundaries: ``data/raw/world-atlas_countries-50m.topo.json`` (Natural Earth 1:50m v4.1.0 as
TopoJSON, from npm ``world-atlas@2.0.2``; see ``data/raw/SOURCES.md`` file 7). GDAL's TopoJSON
driver (through ``geopandas`` + ``pyogrio``) decodes the quantised, delta-encoded arcs, so
nothing is decoded by hand and nothing is downloaded.

How features become economies (ISO3):

- a feature's ``id`` is its ISO 3166-1 numeric code = M49, joined to ``countries.reference()``;
- five features have no id: Kosovo is drawn as ``XKX`` (the World Bank code) and Somaliland as
  part of ``SOM`` (WDI's Somalia figures cover it); N. Cyprus, Indian Ocean Ter. and Siachen
  Glacier are drawn in the no-data grey;
- Jersey (832) and Guernsey (831) together are the World Bank's Channel Islands ``CHI``;
- Antarctica is not drawn; Russia and Fiji, whose rings cross the antimeridian, are split there;
- economies the 1:50m file has no polygon for (Tuvalu, Gibraltar, Bonaire/Sint Eustatius/Saba)
  are drawn as circles at a fixed point (:data:`POINT_LOCATIONS`, lon/lat of the capital).

Small countries do not vanish: an economy whose land area would be smaller than
``min_marker_pt`` points across at figure scale (most small island developing states) also gets
a circle at the centroid of its largest polygon, coloured on the same scale (:func:`placement`).

The map projection is Equal Earth (EPSG:8857), an equal-area projection, so areas compare.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from p2c_analysis import countries, paths, style

MAP_CRS = "EPSG:8857"  # Equal Earth
#: Features with no ISO numeric id that stand for an economy.
NAME_TO_ISO3: dict[str, str] = {"Kosovo": "XKX", "Somaliland": "SOM"}
#: ISO numeric codes drawn as another economy (World Bank groups Jersey + Guernsey as CHI).
M49_TO_ISO3_EXTRA: dict[str, str] = {"832": "CHI", "831": "CHI"}
#: Economies with no polygon in the 1:50m file: (longitude, latitude) of the capital.
POINT_LOCATIONS: dict[str, tuple[float, float]] = {
    "TUV": (179.19, -8.52),  # Funafuti
    "GIB": (-5.35, 36.14),  # Gibraltar
    "BES": (-68.27, 12.15),  # Kralendijk, Bonaire
}
#: Default minimum drawn size (points across) below which a country also gets a circle.
MIN_MARKER_PT = 3.0
MARKER_SIZE_PT = 5.0  # diameter of the circle
NO_DATA_LABEL = "no data"
#: Styles of the economies drawn apart from the colour scale (``marked`` in :func:`choropleth`),
#: one per label in order: white with a hatch, so none reads as a class or as "no data".
MARKED_STYLES: tuple[dict[str, str], ...] = (
    {"facecolor": "#FFFFFF", "hatch": "//////", "hatchcolor": "#555555"},
    {"facecolor": "#FFFFFF", "hatch": "......", "hatchcolor": "#555555"},
    {"facecolor": "#FFFFFF", "hatch": "xxxx", "hatchcolor": "#555555"},
)
EDGE_COLOR = "#FFFFFF"
ANTARCTICA_M49 = "010"


# --- boundaries ------------------------------------------------------------------------------


def _crosses_antimeridian(ring) -> bool:
    x = np.asarray(ring.coords)[:, 0]
    return bool(np.any(np.abs(np.diff(x)) > 180))


def _split_antimeridian(geom):
    """Split polygons whose rings jump across lon = +/-180 into a west and an east part."""
    import shapely
    from shapely import affinity
    from shapely.geometry import MultiPolygon, Polygon, box

    def shift(ring) -> np.ndarray:
        c = np.asarray(ring.coords).copy()
        c[c[:, 0] < 0, 0] += 360.0
        return c

    def fix(part: Polygon):
        rings = [part.exterior, *part.interiors]
        if not any(_crosses_antimeridian(r) for r in rings):
            return part
        shifted = shapely.make_valid(
            Polygon(shift(part.exterior), [shift(r) for r in part.interiors])
        )
        west = shifted.intersection(box(-180, -90, 180, 90))
        east = affinity.translate(shifted.intersection(box(180, -90, 540, 90)), xoff=-360.0)
        return shapely.union(west, east)

    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    return shapely.make_valid(shapely.union_all([fix(p) for p in parts]))


def _m49_to_iso3() -> dict[str, str]:
    ref = countries.reference()
    ref = ref[ref["m49"].notna() & ref["iso3"].notna()]
    out = {str(m).zfill(3): str(i) for m, i in zip(ref["m49"], ref["iso3"], strict=True)}
    out.update(M49_TO_ISO3_EXTRA)
    return out


@lru_cache(maxsize=1)
def _load_shapes():
    import geopandas as gpd

    raw = gpd.read_file(paths.NE_50M_TOPO, layer="countries")
    raw = raw.set_crs("EPSG:4326", allow_override=True)
    raw = raw[raw["id"].fillna("") != ANTARCTICA_M49]
    lookup = _m49_to_iso3()
    iso3 = [
        lookup.get(str(i).zfill(3)) if isinstance(i, str) and i else NAME_TO_ISO3.get(name)
        for i, name in zip(raw["id"], raw["name"], strict=True)
    ]
    raw = raw.assign(iso3=pd.array(iso3, dtype="string"))
    raw = raw.assign(geometry=[_split_antimeridian(g) for g in raw.geometry])
    known = raw[raw["iso3"].notna()].dissolve(by="iso3", as_index=False)[["iso3", "geometry"]]
    unknown = raw[raw["iso3"].isna()][["iso3", "geometry"]]
    shapes = pd.concat([known, unknown], ignore_index=True).to_crs(MAP_CRS)
    return shapes


def shapes():
    """Country polygons in the map projection (Equal Earth, metres): a GeoDataFrame with columns
    ``iso3`` (``<NA>`` for the few features that stand for no economy) and ``geometry``,
    one row per economy. Reads the bundled 1:50m TopoJSON (tracked for provenance)."""
    paths.track(paths.NE_50M_TOPO)
    return _load_shapes().copy()


def _largest_part(geom):
    parts = list(getattr(geom, "geoms", [geom]))
    return max(parts, key=lambda p: p.area)


@lru_cache(maxsize=1)
def _point_locations_projected() -> dict[str, tuple[float, float]]:
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", MAP_CRS, always_xy=True)
    return {iso: tuple(tr.transform(lon, lat)) for iso, (lon, lat) in POINT_LOCATIONS.items()}


def _map_extent() -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = _load_shapes().total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


MAP_AXES = (0.01, 0.2, 0.98, 0.72)  # left, bottom, width, height (figure fractions)


def default_map_width_in(figsize: tuple[float, float] = style.MAP_FIGSIZE) -> float:
    """Width in inches of the map drawn by :func:`choropleth` in a figure of ``figsize``: the
    map axes box, narrowed by the equal-aspect world extent when the box is too wide."""
    minx, miny, maxx, maxy = _map_extent()
    pad = 0.01 * (maxx - minx)
    aspect = (maxx - minx + 2 * pad) / (maxy - miny + 2 * pad)
    box_w, box_h = MAP_AXES[2] * figsize[0], MAP_AXES[3] * figsize[1]
    return float(min(box_w, box_h * aspect))


def map_width_in(ax) -> float:
    """Width in inches that the map in ``ax`` is drawn at (after the equal-aspect layout)."""
    ax.apply_aspect()
    return float(ax.get_position().width * ax.figure.get_figwidth())


def placement(
    iso3s: Iterable[str],
    map_width_in: float | None = None,
    min_marker_pt: float = MIN_MARKER_PT,
) -> pd.DataFrame:
    """How each economy is drawn on a world map ``map_width_in`` inches wide (default: the
    width :func:`choropleth` draws at with the default figure size, :func:`default_map_width_in`).

    Returns one row per ISO3 (input order) with ``iso3``, ``drawn_as`` (``"polygon"``, ``"marker"``
    = polygon too small, so a circle is added on top, ``"point"`` = no polygon, a circle at
    :data:`POINT_LOCATIONS`, or ``"missing"`` = cannot be drawn), ``size_pt`` (square root of the
    land area, in points at that width; NaN without polygon), ``x``, ``y`` (projected metres of
    the circle; NaN for plain polygons).
    """
    if map_width_in is None:
        map_width_in = default_map_width_in()
    geo = _load_shapes().set_index("iso3")
    geo = geo[geo.index.notna()]
    minx, _, maxx, _ = _map_extent()
    metres_per_pt = (maxx - minx) / (map_width_in * 72.0)
    points = _point_locations_projected()
    rows = []
    for iso in iso3s:
        if iso in geo.index:
            g = geo.at[iso, "geometry"]
            size = math.sqrt(g.area) / metres_per_pt
            if size < min_marker_pt:
                c = _largest_part(g).centroid
                rows.append((iso, "marker", size, c.x, c.y))
            else:
                rows.append((iso, "polygon", size, np.nan, np.nan))
        elif iso in points:
            x, y = points[iso]
            rows.append((iso, "point", np.nan, x, y))
        else:
            rows.append((iso, "missing", np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["iso3", "drawn_as", "size_pt", "x", "y"])


# --- choropleth --------------------------------------------------------------------------------


def _extend(values: pd.Series, bins: Sequence[float]) -> str:
    v = values.dropna()
    low = bool(len(v)) and float(v.min()) < bins[0]
    high = bool(len(v)) and float(v.max()) > bins[-1]
    return {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (low, high), "both"
    )


def _norm(values: pd.Series, bins: Sequence[float] | None, cmap, log: bool | None):
    if bins is not None:
        b = [float(x) for x in bins]
        if len(b) < 2 or any(b2 <= b1 for b1, b2 in zip(b, b[1:], strict=False)):
            raise ValueError(f"choropleth: bins must increase, with at least 2 edges, got {b}")
        return mcolors.BoundaryNorm(b, cmap.N, extend=_extend(values, b))
    v = values.dropna()
    if v.empty:
        return mcolors.Normalize(0, 1)
    lo, hi = float(v.min()), float(v.max())
    positive = v[v > 0]
    if log is None:
        log = bool(len(positive) and lo >= 0 and positive.max() / positive.min() > 100)
    if log and len(positive):
        return mcolors.LogNorm(float(positive.min()), float(positive.max()))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return mcolors.Normalize(lo, hi)


def choropleth(
    values: pd.Series,
    title: str,
    label: str,
    *,
    kind: str = "people",
    bins: Sequence[float] | None = None,
    log: bool | None = None,
    cmap: str | mcolors.Colormap | None = None,
    source: str = style.SOURCES["wdi"],
    note: str | None = None,
    figsize: tuple[float, float] = style.MAP_FIGSIZE,
    min_marker_pt: float = MIN_MARKER_PT,
    marked: Mapping[str, Iterable[str]] | None = None,
    zero_reason: str | None = None,
) -> Figure:
    """A world map of ``values`` (a numeric Series indexed by ISO3; NaN = no data).

    ``label`` names the quantity with its unit (it titles the colour bar); ``kind`` picks the
    number format of the colour-bar ticks (``people``, ``usd``, ``pct``, ``ratio``). ``bins``
    gives class edges for a classed map (recommended for skewed counts); otherwise the scale is
    continuous, logarithmic when ``log`` is True, or when ``log`` is None and positive values
    span more than two orders of magnitude. Values outside ``bins`` take the end colours and the
    colour bar gets an arrow at that end. ``cmap`` defaults to :func:`style.map_cmap`.

    Economies with no value, and polygons that stand for no economy, are drawn in a neutral grey
    with a legend entry "no data". ``marked`` (``{legend label: ISO3s}``, up to
    ``len(MARKED_STYLES)`` labels) draws economies apart from the scale and from "no data", each
    label in its own hatched style with its own legend entry, whatever their value (e.g.
    ``{"no one offline (ratio undefined)": [...]}`` where a ratio to offline people has no
    value because there is no one offline). Small economies get a circle on the same colour
    scale, or in their marked style (see :func:`placement`). Returns the Figure; the source line
    names the data and the boundaries.

    ``zero_reason``: why the map would say nothing when no economy on the scale has a value
    above 0 (e.g. ``"no pledged USD is allocated to any country"``: every country in the
    lowest class, USD 0); the figure is then marked as having nothing to draw
    (:func:`plots.nothing_drawn`) and ``report.show`` says so in one sentence instead of
    showing it. ``None``: drawn whatever the values.
    """
    style.apply()
    if not isinstance(values, pd.Series):
        raise TypeError("choropleth: values must be a pandas Series indexed by ISO3")
    if values.index.has_duplicates:
        dup = sorted(set(values.index[values.index.duplicated()]))[:5]
        raise ValueError(f"choropleth: values has duplicate ISO3 index entries: {dup}")
    vals = pd.to_numeric(values, errors="raise").astype("float64")
    vals.index = vals.index.astype(str)
    marks = {str(k): sorted({str(i) for i in v}) for k, v in (marked or {}).items()}
    if len(marks) > len(MARKED_STYLES):
        raise ValueError(f"choropleth: at most {len(MARKED_STYLES)} marked labels, "
                         f"got {len(marks)}")
    mark_of = {iso: j for j, isos in enumerate(marks.values()) for iso in isos}
    # marked economies are drawn in their own style, never on the scale nor as "no data"
    vals = vals.drop(index=[i for i in vals.index if i in mark_of])
    fmt = style.number_formatter(kind)
    cm = style.map_cmap() if cmap is None else plt.get_cmap(cmap)
    norm = _norm(vals, bins, cm, log)

    geo = shapes()
    geo["value"] = geo["iso3"].map(vals).astype("float64")
    geo["mark"] = geo["iso3"].map(mark_of)
    is_marked = geo["mark"].notna()
    has = geo["value"].notna()

    fig = plt.figure(figsize=figsize)
    ax = fig.add_axes(MAP_AXES)  # the map; colour bar and source line below
    ax.set_axis_off()
    ax.set_aspect("equal")
    geo[~has & ~is_marked].plot(ax=ax, color=style.NO_DATA_COLOR, edgecolor=EDGE_COLOR,
                                linewidth=0.2)
    for j in range(len(marks)):
        sel = geo["mark"].eq(j)
        if sel.any():
            geo[sel].plot(ax=ax, edgecolor="#555555", linewidth=0.3, **MARKED_STYLES[j])
    if has.any():
        geo[has].plot(
            ax=ax, column="value", cmap=cm, norm=norm, edgecolor=EDGE_COLOR, linewidth=0.2
        )
    minx, miny, maxx, maxy = _map_extent()
    pad = 0.01 * (maxx - minx)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)

    place = placement(list(vals.index) + list(mark_of), map_width_in(ax), min_marker_pt)
    circles = place[place["drawn_as"].isin(["marker", "point"])].copy()
    if not circles.empty:
        circles["value"] = circles["iso3"].map(vals).to_numpy()
        circles["mark"] = circles["iso3"].map(mark_of).to_numpy()
        ms = MARKER_SIZE_PT**2
        for j in range(len(marks)):
            c = circles[circles["mark"].eq(j)]
            if len(c):
                ax.scatter(c["x"], c["y"], s=ms, edgecolors="#222222", linewidths=0.4,
                           zorder=3, **MARKED_STYLES[j])
        circles = circles[circles["mark"].isna()]
        with_value = circles["value"].notna()
        if with_value.any():
            c = circles[with_value]
            ax.scatter(c["x"], c["y"], c=c["value"], cmap=cm, norm=norm, s=ms,
                       edgecolors="#222222", linewidths=0.4, zorder=3)
        if (~with_value).any():
            c = circles[~with_value]
            ax.scatter(c["x"], c["y"], color=style.NO_DATA_COLOR, s=ms,
                       edgecolors="#222222", linewidths=0.4, zorder=3)

    sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
    extend = norm.extend if isinstance(norm, mcolors.BoundaryNorm) else "neither"
    cax = fig.add_axes((0.25, 0.135, 0.5, 0.028))
    cbar = fig.colorbar(sm, cax=cax, orientation="horizontal", extend=extend)
    cbar.set_label(label)
    if bins is not None:
        cbar.set_ticks(list(bins))
    cbar.ax.xaxis.set_major_formatter(fmt)
    cbar.ax.xaxis.set_minor_formatter(plt.NullFormatter())

    handles = [
        Patch(facecolor=style.NO_DATA_COLOR, edgecolor="none", label=NO_DATA_LABEL),
        *(Patch(edgecolor="#555555", linewidth=0.3, label=label, **MARKED_STYLES[j])
          for j, label in enumerate(marks)),
        Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
               markeredgecolor="#222222", markersize=MARKER_SIZE_PT,
               label="small country (circle, same colour scale)"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title(title)
    caption = (f"{style.source_text(source)}. {style.SOURCES['naturalearth']}; boundaries do "
               "not imply endorsement.")
    if note:
        caption = f"{note}\n{caption}"
    fig.text(0.01, 0.01, caption, fontsize=style.SOURCE_FONTSIZE, color="#555555",
             ha="left", va="bottom")
    if zero_reason is not None and not vals.gt(0).any():
        from p2c_analysis.plots import mark_nothing_drawn

        return mark_nothing_drawn(fig, zero_reason)
    return fig
