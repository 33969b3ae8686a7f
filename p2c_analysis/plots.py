"""The figures of the report notebooks, in the house style (:mod:`p2c_analysis.style`).

Every function takes tidy data computed elsewhere in the package, draws one figure and returns
the :class:`matplotlib.figure.Figure`; it computes nothing that a reader would need to check.
Each figure has a title, axis labels with units, and a source line at the bottom; missing values
are left out of a chart and say so in the note, never drawn as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from p2c_analysis import style

EXTRAPOLATION_LABEL = "Extrapolation of the past trend (not a forecast)"


def _source(fig: Figure, source: str, note: str | None = None) -> None:
    source = style.source_text(source)
    text = source if not note else f"{note}\n{source}"
    fig.text(0.01, 0.005, text, fontsize=style.SOURCE_FONTSIZE, color="#555555",
             ha="left", va="bottom")


def _finish(fig: Figure, source: str, note: str | None = None) -> Figure:
    n_lines = 1 + (note.count("\n") + 1 if note else 0)
    fig.tight_layout(rect=(0, 0.035 * n_lines, 1, 1))
    _source(fig, source, note)
    return fig


#: Attribute a chart function sets on a figure with nothing to draw: why, as a phrase.
#: :func:`p2c_analysis.report.show` then says so in one sentence instead of showing an empty
#: frame (an empty chart without a word).
NOTHING_DRAWN = "p2c_nothing_drawn"


def mark_nothing_drawn(fig: Figure, reason: str) -> Figure:
    """Mark ``fig`` as having nothing to draw, for ``reason`` (a phrase, e.g. ``"no bar has a
    value"``); see :data:`NOTHING_DRAWN`."""
    setattr(fig, NOTHING_DRAWN, reason)
    return fig


def _axes_title(ax) -> str:
    """An axes' title, whichever of its left, centre and right titles are set."""
    return " ".join(t for t in (ax.get_title(loc).strip()
                                for loc in ("left", "center", "right")) if t)


def chart_title(fig: Figure) -> str:
    """A figure's title: its suptitle, else its first axes' title; ``""`` when untitled."""
    if suptitle := fig.get_suptitle().strip():
        return suptitle
    return next((t for ax in fig.axes if (t := _axes_title(ax))), "")


def nothing_drawn(fig: Figure) -> str | None:
    """Why ``fig`` has nothing to draw (:data:`NOTHING_DRAWN`), or None when it has."""
    reason = getattr(fig, NOTHING_DRAWN, None)
    return str(reason) if reason else None


def alt_text(fig: Figure) -> str:
    """A figure's text alternative for the HTML page (read aloud by screen readers): its
    title(s), what each axis shows and the legend's entries, from the figure itself, e.g.
    ``"Chart: Internet use in Nigeria, 2000–2024. Year (x) against Individuals using the
    Internet (% of population) (y). Lines and marks: Nigeria; observed; World (group)."``"""
    parts: list[str] = []
    if suptitle := fig.get_suptitle().strip():
        parts.append(suptitle)
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        title = _axes_title(ax)
        # a map's axes are hidden: their labels (a projection's "Easting [metre]") say nothing
        xlabel, ylabel = (ax.get_xlabel().strip(), ax.get_ylabel().strip()) if ax.axison \
            else ("", "")
        said = [title] if title else []
        if xlabel and ylabel:
            said.append(f"{xlabel} (x) against {ylabel} (y)")
        elif xlabel or ylabel:
            said.append(xlabel or ylabel)
        legend = ax.get_legend()
        if legend is not None:
            names = [t.get_text().strip() for t in legend.get_texts() if t.get_text().strip()]
            if names:
                said.append("Lines and marks: " + "; ".join(names))
        parts.extend(said)
    text = ". ".join(p.rstrip(".") for p in parts if p)
    return f"Chart: {text}." if text else "Chart without a title"


def _text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (by relative luminance)."""
    r, g, b = mcolors.to_rgb(fill)
    return "#222222" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 else "white"


def _order_groups(labels: Iterable[str]) -> list[str]:
    labels = list(dict.fromkeys(str(x) for x in labels))
    known = [g for g in style.GROUP_ORDER if g in labels]
    return known + [g for g in labels if g not in known]


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: data lacks column(s) {missing}; has {list(df.columns)}")


def _end_labels(ax, ends: list[tuple[float, float, str, str]], gap_frac: float = 0.045) -> None:
    """Label line ends (``(y, x, text, colour)``), nudged apart vertically so none overlap."""
    if not ends:
        return
    lo, hi = ax.get_ylim()
    gap = (hi - lo) * gap_frac
    x_lo, x_hi = ax.get_xlim()
    x_pad = (x_hi - x_lo) * 0.01
    ends = sorted(ends)
    ys = [e[0] for e in ends]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    overflow = ys[-1] - hi
    if overflow > 0:
        ys = [y - overflow for y in ys]
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - gap)
    for (y, x, text, color), y_text in zip(ends, ys, strict=True):
        ax.annotate(text, (x, y), xytext=(x + x_pad, y_text), textcoords="data", va="center",
                    fontsize=8, color=color, annotation_clip=False,
                    xycoords="data", ha="left",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "none", "ec": "none"})


# --- connectivity ------------------------------------------------------------------------------


def offline_by_group(agg: pd.DataFrame, title: str | None = None,
                     source: str = style.SOURCES["wdi"], note: str | None = None) -> Figure:
    """Horizontal bars of offline people (persons) by group, one year.

    ``agg``: rows of ``connectivity.aggregate`` (``group, year, offline, internet_pct``). Each bar
    is labelled with the offline count and the share of the group's population using the
    Internet. Groups keep the standard order (World, LDC/LLDC/SIDS, regions, income groups).
    """
    _require(agg, ["group", "year", "offline", "internet_pct"], "offline_by_group")
    style.apply()
    d = agg.set_index(agg["group"].astype(str)).reindex(_order_groups(agg["group"]))
    years = sorted(set(int(y) for y in agg["year"]))
    year_text = ", ".join(str(y) for y in years)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(d) + 1.6))
    y = np.arange(len(d))
    vals = d["offline"].astype("float64").to_numpy()
    ax.barh(y, np.nan_to_num(vals), color=[style.group_color(g) for g in d.index], height=0.7)
    ax.set_yticks(y, d.index)
    ax.invert_yaxis()
    xmax = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
    for yi, off, pct in zip(y, vals, d["internet_pct"], strict=True):
        text = (f"{style.fmt_people(off)} offline ({style.fmt_pct(pct, 0)} online)"
                if np.isfinite(off) else "no data")
        ax.text(np.nan_to_num(off) + xmax * 0.01, yi, text, va="center", fontsize=8)
    ax.set_xlim(0, xmax * 1.35)
    ax.xaxis.set_major_formatter(style.people_formatter())
    ax.set_xlabel("People not using the Internet (persons)")
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or f"People offline by group, {year_text}")
    return _finish(fig, source, note)


def trend_by_group(series: pd.DataFrame, value: str = "internet_pct",
                   groups: Iterable[str] | None = None, title: str | None = None,
                   source: str = style.SOURCES["wdi"], note: str | None = None) -> Figure:
    """Lines over years, one per group, in the group's fixed colour, labelled at the line end.

    ``series``: ``group, year`` and ``value`` (``internet_pct`` in percent, or ``offline`` in
    persons; e.g. ``connectivity.aggregate_series``). ``groups`` picks and orders the lines.
    """
    _require(series, ["group", "year", value], "trend_by_group")
    style.apply()
    kinds = {
        "internet_pct": ("Individuals using the Internet (% of population)", "pct"),
        "offline": ("People not using the Internet (persons)", "people"),
    }
    ylabel, kind = kinds.get(value, (value, "ratio"))
    labels = _order_groups(groups if groups is not None else series["group"])
    fig, ax = plt.subplots(figsize=style.FIGSIZE)
    fmt = style.formatter_for(kind)
    ends = []
    for g in labels:
        s = series[series["group"].astype(str).eq(g)].sort_values("year")
        s = s[s[value].notna()]
        if s.empty:
            continue
        color = style.group_color(g)
        lw = 2.6 if g == "World" else 1.8
        ax.plot(s["year"], s[value], color=color, lw=lw, label=g)
        last = s.iloc[-1]
        ends.append((float(last[value]), float(last["year"]), f"{g} {fmt(last[value])}", color))
    if value == "internet_pct":
        ax.set_ylim(0, 100)
    else:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(style.number_formatter(kind))
    years = series["year"].astype(int)
    ax.set_xlim(years.min(), years.max() + (years.max() - years.min()) * 0.28 + 0.5)
    _end_labels(ax, ends)
    ax.set_xticks([t for t in plt.MaxNLocator(integer=True).tick_values(years.min(), years.max())
                   if years.min() <= t <= years.max()])
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    first, last_year = int(years.min()), int(years.max())
    what = "Internet use" if value == "internet_pct" else "People offline"
    ax.set_title(title or f"{what} by group, {first}–{last_year}")
    return _finish(fig, source, note)


# --- pledges and coverage ----------------------------------------------------------------------


def attention_ratio(df: pd.DataFrame, label: str = "group", ratio: str = "attention_ratio",
                    title: str = "Pledge attention relative to the offline population",
                    xlabel: str = (
                        "Attention ratio (share of pledged USD ÷ share of offline people)"),
                    source: str = style.SOURCES["pledges_wdi"], note: str | None = None,
                    log: bool = True, zero_label: str | None = None) -> Figure:
    """Dot plot of attention ratios with a reference line at 1.0 (attention in proportion to
    the offline population). Below 1 = less pledged attention than the group's share of offline
    people. Rows with a missing ratio are listed in the note, not drawn; a ratio of 0 is drawn
    at the left edge (log scale) with an open marker, in the legend as ``zero_label``: by
    default "no pledge reaching it (ratio 0)" for a ratio of pledge units (a ``ratio`` column
    ending in ``_count``), else "no pledged USD (ratio 0)" (the pledge-unit chart said "no
    pledged USD" of a group no pledge reaches).
    """
    _require(df, [label, ratio], "attention_ratio")
    style.apply()
    d = df[[label, ratio]].copy()
    d[label] = d[label].astype(str)
    missing = d[d[ratio].isna()][label].tolist()
    d = d[d[ratio].notna()].sort_values(ratio)
    fig, ax = plt.subplots(figsize=(9, 0.36 * max(len(d), 3) + 1.6))
    y = np.arange(len(d))
    vals = d[ratio].astype("float64").to_numpy()
    colors = [style.group_color(g) for g in d[label]]
    if log:
        positive = vals[vals > 0]
        lo = min(positive.min() if len(positive) else 0.1, 1.0) / 2
        hi = max(positive.max() if len(positive) else 10, 1.0) * 2
        plotted = np.where(vals > 0, vals, lo)
        ax.set_xscale("log")
        ax.set_xlim(lo / 1.2, hi)
    else:
        plotted = vals
        ax.set_xlim(0, max(np.nanmax(vals) if len(vals) else 1.0, 1.0) * 1.15)
    ax.hlines(y, ax.get_xlim()[0], plotted, color="#DDDDDD", lw=1, zorder=1)
    zero = vals == 0
    ax.scatter(plotted[~zero], y[~zero], c=np.array(colors, dtype=object)[~zero], s=60, zorder=3)
    if zero.any():
        ax.scatter(plotted[zero], y[zero], facecolors="white", edgecolors="#333333", s=60,
                   zorder=3, label=zero_label or ("no pledge reaching it (ratio 0)"
                                                  if ratio.endswith("_count")
                                                  else "no pledged USD (ratio 0)"))
        ax.legend(loc="lower right")
    ax.axvline(1.0, color=style.REFERENCE_COLOR, lw=1.2, ls="--", zorder=2)
    ax.annotate("1.0 = in proportion to offline people", (1.0, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -2), textcoords="offset points", fontsize=8, va="top",
                color=style.REFERENCE_COLOR)
    ax.set_yticks(y, d[label])
    if log:
        lo_x, hi_x = ax.get_xlim()
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
                 if lo_x <= t <= hi_x]
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:g}"))
    else:
        ax.xaxis.set_major_formatter(style.number_formatter("ratio"))
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if d.empty:  # no row has a ratio: nothing to draw, whatever the cause
        return mark_nothing_drawn(_finish(fig, source, note), "no row has a ratio to draw")
    if missing:
        extra = "No ratio (no offline people or no data): " + ", ".join(missing)
        note = f"{note}\n{extra}" if note else extra
    return _finish(fig, source, note)


def stacked_shares(table: pd.DataFrame, title: str, xlabel: str = "Share of pledges (%)",
                   colors: dict[str, str] | None = None, source: str = style.SOURCES["pledges"],
                   note: str | None = None, normalise: bool = True, kind: str = "pct") -> Figure:
    """Stacked horizontal bars: one bar per row of ``table`` (index = category shown on the
    y axis), one segment per column (e.g. focus areas). ``normalise=True`` converts each row
    to percent of its total (rows summing to 0 are shown empty and named in the note)."""
    style.apply()
    t = table.astype("float64").fillna(0.0)
    totals = t.sum(axis=1)
    empty = [str(i) for i in t.index[totals.eq(0)]]
    if normalise:
        t = t.div(totals.where(totals > 0), axis=0).fillna(0.0) * 100.0
    palette = colors or {}
    default = list(style.CATEGORICAL)
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(t), 3) + 2.0))
    y = np.arange(len(t))
    left = np.zeros(len(t))
    for i, col in enumerate(t.columns):
        vals = t[col].to_numpy()
        fill = palette.get(str(col), default[i % len(default)])
        bars = ax.barh(y, vals, left=left, height=0.7, label=str(col), color=fill)
        if normalise:
            labels = [f"{v:.0f}%" if v >= 7 else "" for v in vals]
            ax.bar_label(bars, labels=labels, label_type="center", fontsize=8,
                         color=_text_on(fill))
        left += vals
    ax.set_yticks(y, [str(i) for i in t.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(style.number_formatter(kind if not normalise else "pct"))
    if normalise:
        ax.set_xlim(0, 100)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(ncol=min(len(t.columns), 4), loc="upper left", bbox_to_anchor=(0, -0.12 - 0.02 *
              max(0, 6 - len(t))), fontsize=8)
    if empty:
        extra = "No pledges: " + ", ".join(empty)
        note = f"{note}\n{extra}" if note else extra
    fig = _finish(fig, source, note)
    return mark_nothing_drawn(fig, "every row is empty") if len(empty) == len(t) else fig


def focus_mix(table: pd.DataFrame, title: str = "Focus-area mix of pledges",
              xlabel: str = "Share of pledges (%)", source: str = style.SOURCES["pledges"],
              note: str | None = None) -> Figure:
    """Focus-area mix as 100% stacked bars: ``table`` rows = categories (groups, stakeholder
    types, ...), columns = focus areas, values = counts or USD (converted to shares per row)."""
    colors = {**style.FOCUS_COLORS, "none stated": style.NO_DATA_COLOR}
    return stacked_shares(table, title, xlabel, colors=colors, source=source, note=note)


def bars(values: pd.Series, title: str, xlabel: str, kind: str = "int",
         source: str = style.SOURCES["pledges"], note: str | None = None,
         color: str | dict[str, str] | None = None, sort: bool = True) -> Figure:
    """Horizontal bars of one number per category (``values`` indexed by category), labelled
    with the formatted value; NaN bars are labelled "n/a" with no bar. ``kind`` picks the
    number format (``int``, ``people``, ``usd``, ``pct``)."""
    style.apply()
    v = values.astype("float64")
    if sort:
        v = v.sort_values(ascending=False, na_position="last")
    fig, ax = plt.subplots(figsize=(9, 0.4 * max(len(v), 3) + 1.5))
    y = np.arange(len(v))
    if isinstance(color, dict):
        cols = [color.get(str(i), style.OTHER_COLOR) for i in v.index]
    else:
        cols = [color or style.CATEGORICAL[0]] * len(v)
    ax.barh(y, np.nan_to_num(v.to_numpy()), color=cols, height=0.7)
    fmt = style.formatter_for(kind)
    vmax = np.nanmax(v.to_numpy()) if v.notna().any() else 1.0
    for yi, val in zip(y, v, strict=True):
        ax.text(np.nan_to_num(val) + vmax * 0.01, yi, fmt(val), va="center", fontsize=8)
    ax.set_xlim(0, (vmax or 1.0) * 1.2)
    ax.set_yticks(y, [str(i) for i in v.index])
    ax.invert_yaxis()
    if kind in {"people", "usd", "pct"}:
        ax.xaxis.set_major_formatter(style.number_formatter(kind))
    elif kind == "int":  # counts: whole-number ticks only
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig = _finish(fig, source, note)
    if not v.notna().any():
        return mark_nothing_drawn(fig, "no bar has a value (each would read n/a)")
    if not v.fillna(0).ne(0).any():
        return mark_nothing_drawn(fig, "every bar is 0")
    return fig


def status_ladder(counts: pd.Series, title: str = "Implementation status of pledges",
                  xlabel: str = "Number of pledges", source: str = style.SOURCES["pledges"],
                  note: str | None = None) -> Figure:
    """Bars of pledges per status in ladder order (announced → in progress → completed, then
    withdrawn and unknown), each in its fixed status colour, labelled with count and share."""
    order = [s for s in style.STATUS_COLORS if s in counts.index]
    order += [s for s in counts.index if s not in order]
    c = counts.reindex(order).astype("float64")
    total = c.sum()
    style.apply()
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(c) + 1.6))
    y = np.arange(len(c))
    ax.barh(y, c.fillna(0).to_numpy(), height=0.7, edgecolor="#777777", linewidth=0.5,
            color=[style.STATUS_COLORS.get(str(s), style.OTHER_COLOR) for s in c.index])
    vmax = float(c.max()) if c.notna().any() and c.max() > 0 else 1.0
    for yi, val in zip(y, c, strict=True):
        share = 100.0 * val / total if total > 0 else np.nan
        ax.text(val + vmax * 0.01, yi, f"{style.fmt_int(val)} ({style.fmt_pct(share, 0)})",
                va="center", fontsize=9)
    ax.set_xlim(0, vmax * 1.25)
    ax.set_yticks(y, [str(s) for s in c.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig = _finish(fig, source, note)
    return fig if total > 0 else mark_nothing_drawn(fig, "every bar is 0")


# --- pledge quality ----------------------------------------------------------------------------

#: Colours of the trackability index categories, highest first (ColorBrewer RdBu, colour-blind
#: safe: blues are trackable, reds are not, told apart by lightness too).
INDEX_COLORS: tuple[str, ...] = ("#2166AC", "#92C5DE", "#F4A582", "#B2182B")


def index_mix(dist: pd.DataFrame, categories: Sequence[str],
              title: str = "Trackability index of the pledges",
              xlabel: str = "Share of the row's pledges (%)",
              source: str = style.SOURCES["pledges"], note: str | None = None) -> Figure:
    """100% stacked bars of index categories, one bar per row of ``dist`` (a
    ``quality.distribution`` table: ``category``, ``pledges`` and one column per index
    category, highest first in ``categories``); each bar is labelled with its pledge count."""
    _require(dist, ["category", "pledges", *categories], "index_mix")
    t = dist.set_index(pd.Index([f"{c} ({n:,})" for c, n in zip(
        dist["category"].astype(str), dist["pledges"], strict=True)]))
    colors = {c: INDEX_COLORS[min(i, len(INDEX_COLORS) - 1)] for i, c in enumerate(categories)}
    return stacked_shares(t[list(categories)], title, xlabel, colors=colors, source=source,
                          note=note)


def needs_ranges(table: pd.DataFrame, title: str = "Pledged USD beside what is needed",
                 source: str = f"Sources: {style.PLEDGES_SOURCE}; investment-needs "
                               "estimates as published (data/reference/investment_needs.csv)",
                 note: str | None = None) -> Figure:
    """One row per estimate (``study, published, scope, component, need_low_usd,
    need_high_usd, pledged_stated_usd, pledged_deduplicated_usd``, e.g. rows of
    ``needs.needs_vs_pledged``): the need as published, a bar from low to high (a diamond
    where a single figure is published), and the pledged USD, stated (filled dot) and
    de-duplicated (open dot), on a log scale. Nothing is averaged: ranges stay ranges."""
    import textwrap

    cols = ["study", "published", "scope", "component", "need_low_usd", "need_high_usd",
            "pledged_stated_usd", "pledged_deduplicated_usd"]
    _require(table, cols, "needs_ranges")
    style.apply()
    d = table.reset_index(drop=True)
    labels = []
    for r in d.to_dict("records"):
        what = "" if str(r["component"]) == "total" else f", {r['component']}"
        label = textwrap.shorten(f"{r['scope']}: {r['study']}", 48, placeholder="…") \
            + f" ({r['published']}{what})"
        if "target" in d.columns and not pd.isna(r["target"]):
            label += "\n" + textwrap.shorten(str(r["target"]), 56, placeholder="…")
        labels.append(label)
    fig, ax = plt.subplots(figsize=(9, 0.7 * max(len(d), 3) + 1.8))
    y = np.arange(len(d))
    lo, hi = d["need_low_usd"].to_numpy(float), d["need_high_usd"].to_numpy(float)
    point = np.isclose(lo, hi)
    ax.hlines(y[~point], lo[~point], hi[~point], color=style.REFERENCE_COLOR, lw=7,
              label="Need: published range")
    ax.scatter(lo[point], y[point], marker="D", color=style.REFERENCE_COLOR, s=45, zorder=3,
               label="Need: single published figure")
    stated = d["pledged_stated_usd"].to_numpy(float)
    dedup = d["pledged_deduplicated_usd"].to_numpy(float)
    ax.scatter(stated, y - 0.12, color=style.CATEGORICAL[0], s=50, zorder=4,
               label="Pledged, as stated")
    ax.scatter(dedup, y + 0.12, facecolors="white", edgecolors=style.CATEGORICAL[1],
               linewidths=1.5, s=50, zorder=5, label="Pledged, without money counted before")
    ax.set_xscale("log")
    every = np.concatenate([lo, hi, stated, dedup])
    every = every[np.isfinite(every) & (every > 0)]
    if len(every):
        ax.set_xlim(every.min() / 2, every.max() * 2)
    ax.xaxis.set_major_formatter(style.usd_formatter())
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("US dollars (log scale)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=2, fontsize=8)
    missing = [lab for lab, s in zip(labels, stated, strict=True) if not np.isfinite(s)]
    if missing:
        extra = "No pledged USD: " + "; ".join(missing)
        note = f"{note}\n{extra}" if note else extra
    return _finish(fig, source, note)


# --- trajectories ------------------------------------------------------------------------------


#: The y-axis of :func:`mobilisation_trajectory` shows an extrapolation up to this multiple of
#: the goal (or of the highest published total, if above the goal): a steeper line leaves the
#: chart at its top edge instead of squashing the goal line and the published totals.
MOBILISATION_MAX_TOP = 1.5


def _mobilisation_top(goal_usd: float, published: pd.Series,
                      extrapolation: pd.DataFrame | None) -> float:
    """Highest value (USD) the mobilisation chart must show: the goal, the published totals and
    the extrapolation's band, the band capped at :data:`MOBILISATION_MAX_TOP` times the larger of
    the other two (NaN published totals ignored; no extrapolation: none)."""
    base = max(goal_usd, float(published.max()) if published.notna().any() else 0.0)
    if extrapolation is None or extrapolation.empty or extrapolation["high"].isna().all():
        return base
    return max(base, min(float(extrapolation["high"].max()), MOBILISATION_MAX_TOP * base))


def mobilisation_trajectory(milestones: pd.DataFrame, goal: dict | None = None,
                            extrapolation: pd.DataFrame | None = None,
                            value: str = "total_value_usd",
                            title: str = "Pledged value over time and the USD 100 bn goal",
                            source: str = style.SOURCES["milestones"], note: str | None = None,
                            band_label: str = "") -> Figure:
    """Published cumulative pledged value (USD) by date, the goal as a horizontal line, and,
    if given, an extrapolation of the past trend as a dashed line inside a shaded band, labelled
    in the legend as an extrapolation, not a forecast.

    ``milestones``: ``milestones.load_milestones()`` or ``trajectory.mobilisation()``
    (``date``, ``value`` column in USD, ``is_third_party``; NaN values are skipped). With
    ``date_as_stated``, a total stated for a month or a year (``"2023-09"``) is drawn at the
    middle of that period with a bar spanning it, not on its first day.
    ``goal``: ``milestones.goal()`` (``value_usd``, ``year``). ``extrapolation``: ``date``,
    ``central``, ``low``, ``high`` (USD), e.g. ``trajectory.extrapolation_from_pace``;
    ``band_label`` says what the band spans (e.g. "pace over the last 1-3 years").
    """
    _require(milestones, ["date", value], "mobilisation_trajectory")
    style.apply()
    m = milestones[milestones[value].notna()].sort_values("date")
    fig, ax = plt.subplots(figsize=style.FIGSIZE)
    third = m["is_third_party"].astype(bool) if "is_third_party" in m else pd.Series(False, m.index)
    start = pd.to_datetime(m["date"]).astype("datetime64[ns]")
    m = m.assign(date=start)
    if "date_as_stated" in m:
        from p2c_analysis.record import stated_period_end

        end = stated_period_end(m["date_as_stated"]).fillna(start)
        wide = end > start
        m = m.assign(date=start + (end - start) / 2)  # the middle of a month or a year
        if wide.any():
            ax.hlines(m.loc[wide, value], start[wide], end[wide], color=style.CATEGORICAL[0],
                      lw=4, alpha=0.3, zorder=2,
                      label="Total stated for a month or a year: its span")
    ax.plot(m.loc[~third, "date"], m.loc[~third, value], color=style.CATEGORICAL[0], lw=1.5,
            zorder=3)
    ax.scatter(m.loc[~third, "date"], m.loc[~third, value], color=style.CATEGORICAL[0], s=30,
               zorder=4, label="Total published by ITU (or a press copy of its release)")
    if third.any():
        ax.scatter(m.loc[third, "date"], m.loc[third, value], facecolors="white",
                   edgecolors=style.CATEGORICAL[0], s=30, zorder=4,
                   label="Total quoted by a third party")
    if extrapolation is not None and not extrapolation.empty:
        _require(extrapolation, ["date", "central", "low", "high"], "mobilisation_trajectory")
        e = extrapolation.sort_values("date")
        span = f" ({band_label})" if band_label else ""
        if (e["high"] - e["low"]).abs().max() > 0:  # one line (one window) is no range
            ax.fill_between(e["date"], e["low"], e["high"], color=style.EXTRAPOLATION_COLOR,
                            alpha=0.25, lw=0, label=f"Extrapolation range{span}")
        ax.plot(e["date"], e["central"], color=style.EXTRAPOLATION_COLOR, lw=1.8, ls="--",
                label=EXTRAPOLATION_LABEL)
        # the note hangs below the start of the band (the latest published total): the band
        # only widens and rises from there, so the note stays clear of it and of the goal line
        ax.annotate("extrapolation,\nnot a forecast", (e["date"].iloc[0], e["low"].iloc[0]),
                    xytext=(6, -8), textcoords="offset points", ha="left", va="top",
                    fontsize=8, color="#555555")
    if goal and goal.get("value_usd"):
        gv = float(goal["value_usd"])
        glabel = f"Goal: {style.fmt_usd(gv, trim=True)}"
        if goal.get("year"):
            glabel += f" by end of {int(goal['year'])}"
            gx = pd.Timestamp(year=int(goal["year"]), month=12, day=31)
            ax.plot([gx], [gv], marker="*", color=style.REFERENCE_COLOR, ms=12, zorder=5,
                    linestyle="none")
        ax.axhline(gv, color=style.REFERENCE_COLOR, lw=1.2, ls=":", label=glabel)
        ax.set_ylim(0, _mobilisation_top(gv, m[value], extrapolation) * 1.12)
    else:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(style.usd_formatter())
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("Date of the published total")
    ax.set_ylabel("Cumulative pledged value (USD, as published)")
    ax.set_title(title)
    # lower right: a cumulative total rises from lower left to upper right, so that corner is
    # free of the points, the band and the goal line (upper left would sit on the goal line)
    ax.legend(loc="lower right", fontsize=8)
    return _finish(fig, source, note)


def country_trend(history: pd.DataFrame, country: str, projection: pd.DataFrame | None = None,
                  groups: pd.DataFrame | None = None, target_pct: float | None = None,
                  title: str | None = None, source: str = style.SOURCES["wdi"],
                  note: str | None = None, band_label: str = "") -> Figure:
    """A country's Internet use over time (percent), observed years as filled dots and imputed
    years as open dots, with an optional projection to 2030 (``year``, ``central``, ``low``,
    ``high`` in percent, e.g. ``trajectory.projection_band``) drawn as a dashed line in a band
    labelled as an extrapolation (``band_label`` says what the band spans), optional
    group lines (``group, year, internet_pct``) for comparison, and an optional target line.

    ``history``: ``year, internet_pct`` and optionally ``imputed`` (bool); NaN years skipped.
    """
    _require(history, ["year", "internet_pct"], "country_trend")
    style.apply()
    h = history[history["internet_pct"].notna()].sort_values("year")
    fig, ax = plt.subplots(figsize=style.FIGSIZE)
    if groups is not None and not groups.empty:
        for g in _order_groups(groups["group"]):
            s = groups[groups["group"].astype(str).eq(g)].sort_values("year")
            ax.plot(s["year"], s["internet_pct"], color=style.group_color(g), lw=1.4, alpha=0.85,
                    ls=style.group_linestyle(g), label=f"{g} (group)")
    color = "#000000"
    ax.plot(h["year"], h["internet_pct"], color=color, lw=2.4, label=country)
    imputed = h["imputed"].astype(bool) if "imputed" in h else pd.Series(False, index=h.index)
    ax.scatter(h.loc[~imputed, "year"], h.loc[~imputed, "internet_pct"], color=color, s=18,
               zorder=3, label="observed")
    if imputed.any():
        ax.scatter(h.loc[imputed, "year"], h.loc[imputed, "internet_pct"], facecolors="white",
                   edgecolors=color, s=18, zorder=3, label="imputed (no observation)")
    last_year = int(h["year"].max()) if len(h) else None
    trend_to = ""
    if projection is not None and not projection.empty:
        _require(projection, ["year", "central", "low", "high"], "country_trend")
        p = projection.sort_values("year")
        span = f" ({band_label})" if band_label else ""
        ax.fill_between(p["year"], p["low"].clip(0, 100), p["high"].clip(0, 100),
                        color=style.EXTRAPOLATION_COLOR, alpha=0.25, lw=0,
                        label=f"Extrapolation range{span}")
        ax.plot(p["year"], p["central"].clip(0, 100), color=color, lw=1.5, ls="--",
                label=EXTRAPOLATION_LABEL)
        trend_to = f", trend to {int(p['year'].max())}"
    if target_pct is not None:
        ax.axhline(target_pct, color=style.REFERENCE_COLOR, lw=1, ls=":",
                   label=f"Target: {style.fmt_pct(target_pct, 0)}")
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(style.pct_formatter())
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_xlabel("Year")
    ax.set_ylabel("Individuals using the Internet (% of population)")
    span = f", {int(h['year'].min())}–{last_year}{trend_to}" if last_year else ""
    ax.set_title(title or f"Internet use in {country}{span}")
    ax.legend(loc="upper left", fontsize=8)
    return _finish(fig, source, note)


# --- monitoring over time ----------------------------------------------------------------------


def _short_edition(edition: str) -> tuple[str, str, str]:
    """``"Facts and Figures 2024"`` -> ``("FF 2024", "FF", "Facts and Figures")``: the
    initials of the capitalised words before a trailing year (the name unchanged if none)."""
    words = str(edition).split()
    year = words[-1] if words and words[-1].isdigit() else ""
    name_words = words[:-1] if year else words
    initials = "".join(w[0] for w in name_words if w[:1].isupper())
    if len(initials) < 2:
        return str(edition), "", ""
    return f"{initials} {year}".strip(), initials, " ".join(name_words)


def itu_headline_editions(comparison: pd.DataFrame,
                          title: str = "ITU's world figure of people offline, edition by edition",
                          source: str = ("Source: ITU publications as labelled; bottom-up: ITU "
                                         "via World Bank WDI (July 2026 vintage)"),
                          note: str | None = None) -> Figure:
    """ITU's printed world figures of people offline by data year, one marker per edition
    (filled: the latest edition giving that year's figure; open: a figure a later edition
    revised or repeated), an arrow from a revised figure to its revision, and the bottom-up
    series as a line. Each figure is labelled with the publications that printed it, their
    names shortened to initials (``FF 2024``) and spelled out in the note.

    ``comparison``: ``connectivity.itu_headline_comparison()`` (``year, edition,
    itu_headline_offline, latest_edition, bottom_up_offline``)."""
    cols = ["year", "edition", "itu_headline_offline", "latest_edition", "bottom_up_offline"]
    _require(comparison, cols, "itu_headline_editions")
    style.apply()
    c = comparison[comparison["itu_headline_offline"].notna()]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ours = c.dropna(subset=["bottom_up_offline"]).drop_duplicates("year").sort_values("year")
    ax.plot(ours["year"], ours["bottom_up_offline"], color=style.WORLD_COLOR, lw=1.5,
            marker="s", ms=4, zorder=2, label="Bottom-up: summed from the economies (WDI)")
    itu = style.CATEGORICAL[0]
    latest = c["latest_edition"].astype(bool).to_numpy()
    ax.scatter(c.loc[latest, "year"], c.loc[latest, "itu_headline_offline"], s=60, color=itu,
               zorder=4, label="ITU headline, latest edition for the year")
    if (~latest).any():
        ax.scatter(c.loc[~latest, "year"], c.loc[~latest, "itu_headline_offline"], s=60,
                   facecolors="white", edgecolors=itu, zorder=3,
                   label="ITU headline in an earlier edition")
    spelled: dict[str, str] = {}
    for year, g in c.groupby("year", sort=True):
        newest = float(g["itu_headline_offline"].iloc[-1])
        for value, h in g.groupby("itu_headline_offline", sort=False):
            if float(value) != newest:
                ax.annotate("", (year, newest), xytext=(year, float(value)),
                            arrowprops={"arrowstyle": "->", "color": itu, "lw": 1.2})
            short = [_short_edition(e) for e in h["edition"].astype(str)]
            spelled.update({k: v for _s, k, v in short if k})
            ax.annotate(f"{style.fmt_people(value, trim=True)}: "
                        f"{', '.join(x[0] for x in short)}", (year, float(value)),
                        xytext=(8, 0), textcoords="offset points", va="center", fontsize=8,
                        color="#333333")
    years = c["year"].astype(int)
    ax.set_xlim(years.min() - 0.4, years.max() + 0.9)
    ax.set_xticks(range(int(years.min()), int(years.max()) + 1))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:.0f}"))
    values = pd.concat([c["itu_headline_offline"], ours["bottom_up_offline"]])
    ax.set_ylim(max(0.0, float(values.min()) * 0.85), float(values.max()) * 1.08)
    ax.yaxis.set_major_formatter(style.people_formatter())
    ax.set_xlabel("Data year the figure is for")
    ax.set_ylabel("People not using the Internet (persons)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    if spelled:
        names = "; ".join(f"{k} = {v}" for k, v in spelled.items())
        note = f"{note}\n{names}" if note else names
    return _finish(fig, source, note)


def ratio_change(df: pd.DataFrame, before: str, after: str, label: str = "group",
                 names: tuple[str, str] = ("previous", "current"),
                 title: str = "Attention ratio, previous and current",
                 xlabel: str = "Attention ratio (share of pledged USD ÷ share of offline people)",
                 source: str = style.SOURCES["pledges_wdi"], note: str | None = None) -> Figure:
    """One row per ``label`` (e.g. LDC, LLDC, SIDS): the ratio in column ``before`` (open
    marker) and ``after`` (filled, in the group's colour), joined by an arrow, with the
    reference line at 1.0 (attention in proportion to the offline population). ``names``
    label the two dates in the legend. Rows missing either value are listed in the note."""
    _require(df, [label, before, after], "ratio_change")
    style.apply()
    d = df[[label, before, after]].copy()
    d[label] = d[label].astype(str)
    missing = d[d[[before, after]].isna().any(axis=1)][label].tolist()
    d = d.dropna(subset=[before, after]).set_index(label)
    d = d.reindex(_order_groups(d.index))
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(len(d), 3) + 1.6))
    y = np.arange(len(d))
    b, a = d[before].to_numpy(float), d[after].to_numpy(float)
    colors = [style.group_color(g) for g in d.index]
    for yi, vb, va, col in zip(y, b, a, colors, strict=True):
        if vb != va:
            ax.annotate("", (va, yi), xytext=(vb, yi),
                        arrowprops={"arrowstyle": "->", "color": col, "lw": 1.3,
                                    "shrinkA": 4, "shrinkB": 5})
        ax.annotate(f"{style.fmt_ratio(vb)} → {style.fmt_ratio(va)}", (max(vb, va), yi),
                    xytext=(9, 0), textcoords="offset points", va="center", fontsize=8,
                    color="#333333")
    ax.scatter(b, y, s=60, facecolors="white", edgecolors=colors, zorder=3)
    ax.scatter(a, y, s=60, c=colors, zorder=4)
    ax.scatter([], [], s=60, facecolors="white", edgecolors="#555555", label=names[0])
    ax.scatter([], [], s=60, color="#555555", label=names[1])
    ax.axvline(1.0, color=style.REFERENCE_COLOR, lw=1.2, ls="--", zorder=1)
    ax.annotate("1.0 = in proportion to offline people", (1.0, 1.0),
                xycoords=("data", "axes fraction"), xytext=(4, -2),
                textcoords="offset points", fontsize=8, va="top", color=style.REFERENCE_COLOR)
    top = max(float(np.nanmax(np.r_[a, b])) if len(d) else 1.0, 1.0)
    ax.set_xlim(0, top * 1.3)
    ax.set_ylim(len(d) - 0.4, -0.8)
    ax.set_yticks(y, list(d.index))
    ax.xaxis.set_major_formatter(style.number_formatter("ratio"))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    if missing:
        extra = "No ratio on one of the dates: " + ", ".join(missing)
        note = f"{note}\n{extra}" if note else extra
    return _finish(fig, source, note)


def save(fig: Figure, path, close: bool = False) -> None:
    """Save ``fig`` (PNG/SVG by the suffix) at the house resolution."""
    fig.savefig(path, dpi=style.SAVE_DPI, bbox_inches="tight")
    if close:
        plt.close(fig)
