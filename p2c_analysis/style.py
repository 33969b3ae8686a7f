"""The house style: colours, fonts, figure size and number formatting, in one place.

- Colours are colour-blind safe. Every group label (see ``docs/architecture.md``) has one fixed
  colour (:data:`GROUP_COLORS`), so "Africa" is the same orange in every figure of every report.
  The six ITU-D regions use the Okabe-Ito palette, LDC/LLDC/SIDS use Paul Tol's "bright" colours,
  the four income groups are four ordered steps of ColorBrewer's single-hue ``Purples`` (dark =
  low income; no red, so they never clash with LDC in a country profile), and "World" is
  near-black.
- Maps use the sequential ColorBrewer ``YlGnBu`` colormap (:data:`MAP_CMAP`); missing values are
  drawn in :data:`NO_DATA_COLOR`.
- :func:`apply` sets matplotlib's rcParams and the seaborn theme; call it once per notebook
  (the figure functions in :mod:`p2c_analysis.plots` and :mod:`p2c_analysis.maps` call it too).

Number formatting (used in tables, generated prose and tick labels):

- :func:`fmt_people` ``2.34e9 -> "2.34 bn"``, ``5.12e8 -> "512 M"``, ``12_300 -> "12.3 k"``;
- :func:`fmt_usd` ``3e9 -> "USD 3.00 bn"``;
- :func:`fmt_pct` ``71.234 -> "71.2%"`` (the input is already in percent, 0-100; ``0.02 ->
  "<0.1%"`` and ``99.96 -> ">99.9%"``, so a share neither none nor all never reads as either);
- every formatter returns ``"n/a"`` (:data:`NA_TEXT`) for a missing value (``None``, NaN,
  ``pd.NA``, ``NaT``), never ``"nan"`` and never ``"0"``.
"""

from __future__ import annotations

import math

import matplotlib as mpl
from matplotlib import colors as mcolors
from matplotlib.ticker import FuncFormatter

from p2c_analysis.fields import is_missing

# --- colours ----------------------------------------------------------------------------------

WORLD_COLOR = "#333333"
REGION_COLORS: dict[str, str] = {  # Okabe-Ito (without yellow, weak on white)
    "Africa": "#E69F00",
    "Americas": "#56B4E9",
    "Arab States": "#009E73",
    "Asia & Pacific": "#CC79A7",
    "CIS": "#0072B2",
    "Europe": "#D55E00",
}
SPECIAL_GROUP_COLORS: dict[str, str] = {  # Paul Tol "bright"
    "LDC": "#EE6677",
    "LLDC": "#228833",
    "SIDS": "#4477AA",
}
INCOME_COLORS: dict[str, str] = {  # ColorBrewer Purples at 1.0, 0.82, 0.64, 0.46: dark = low
    "Low income": "#3F007D",
    "Lower middle income": "#5E3A98",
    "Upper middle income": "#7D78B7",
    "High income": "#A8A6CF",
}
GROUP_COLORS: dict[str, str] = {
    "World": WORLD_COLOR,
    **SPECIAL_GROUP_COLORS,
    **REGION_COLORS,
    **INCOME_COLORS,
}
#: Display order of the standard groups (as ``STANDARD_GROUPS``): World, LDC/LLDC/SIDS,
#: the ITU-D regions, the income groups (low to high).
GROUP_ORDER: tuple[str, ...] = tuple(GROUP_COLORS)
#: Neutral colour for a group without a fixed colour (custom group lists).
OTHER_COLOR = "#999999"
#: Colour-blind safe categorical cycle (Okabe-Ito) for anything that is not a group.
CATEGORICAL: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)
#: Fixed colours of the four P2C focus areas (``FOCUS_AREAS`` order).
FOCUS_COLORS: dict[str, str] = {
    "ACCESS": CATEGORICAL[0],
    "ADOPTION": CATEGORICAL[1],
    "VALUE CREATION": CATEGORICAL[2],
    "ACCELERATE INVESTMENT": CATEGORICAL[3],
}
#: Fixed colours of the implementation statuses (ladder announced -> in progress -> completed).
STATUS_COLORS: dict[str, str] = {
    "announced": "#BBBBBB",
    "in progress": "#56B4E9",
    "completed": "#009E73",
    "withdrawn": "#D55E00",
    "unknown": "#EEEEEE",
}
#: Traffic-light colours of ``progress.LIGHTS`` (colour-blind safe: bluish green / blue /
#: orange / vermillion, told apart by lightness too).
TRAFFIC_COLORS: dict[str, str] = {
    "reported": "#009E73",
    "closed": "#0072B2",
    "due": "#E69F00",
    "overdue": "#D55E00",
}
MAP_CMAP = "YlGnBu"
#: The lightest part of YlGnBu is cut off so the lowest class still stands out from the page.
MAP_CMAP_START = 0.15
NO_DATA_COLOR = "#D9D9D9"
#: Colour of reference lines (goal, ratio = 1.0) and of the extrapolation band.
REFERENCE_COLOR = "#555555"
EXTRAPOLATION_COLOR = "#999999"

# --- fonts and sizes -------------------------------------------------------------------------

#: DejaVu Sans ships with matplotlib, so every machine renders the same glyphs.
FONT_FAMILY = "DejaVu Sans"
FIGSIZE: tuple[float, float] = (9.0, 5.0)  # inches, fits the HTML report column
MAP_FIGSIZE: tuple[float, float] = (11.0, 6.0)
DPI = 110
SAVE_DPI = 150
SOURCE_FONTSIZE = 8

#: How a source line names the bundled pledges; a report on a pledge file names the file
#: instead (:func:`set_pledge_source`, :func:`source_text`).
PLEDGES_SOURCE = "Partner2Connect pledges (ITU)"

#: What a source line says, per data set (see ``data/raw/SOURCES.md``).
SOURCES: dict[str, str] = {
    "wdi": "Source: ITU via World Bank WDI (July 2026 vintage)",
    "itu": "Source: ITU Facts and Figures 2024 (November 2024 estimates)",
    "pledges": f"Source: {PLEDGES_SOURCE}",
    "pledges_wdi": (
        f"Source: {PLEDGES_SOURCE}; offline people: ITU via World Bank WDI "
        "(July 2026 vintage)"
    ),
    "milestones": "Source: Partner2Connect totals published by ITU and quoted by others",
    "naturalearth": "Boundaries: Natural Earth 1:50m (public domain)",
}


#: How a figure's source line names pledges marked synthetic (``is_synthetic``), before their
#: file: a chart copied out of its report (into slides, a paper) keeps the mark, as a table
#: keeps its ``is_synthetic`` column.
SYNTHETIC_SOURCE = "SYNTHETIC DATA, not real pledges"

_pledge_source: list[str] = [PLEDGES_SOURCE]


def set_pledge_source(file_name: str | None, synthetic: bool = False,
                      described: str | None = None) -> None:
    """Name the pledges of the figures that follow, in this process: ``None`` for the bundled
    public record (:data:`PLEDGES_SOURCE`), else the user's pledge file (``"pledge file
    export.csv"``): its charts are not ITU's data; ``described``: these words instead of either
    (``"pledges compared: file a.csv ..."``). ``synthetic``: the pledges are marked
    synthetic, named ``"SYNTHETIC DATA, not real pledges: pledge file export.csv"``
    (:data:`SYNTHETIC_SOURCE`). Set by ``report.start`` and ``report.compared``."""
    name = described or (PLEDGES_SOURCE if file_name is None else f"pledge file {file_name}")
    _pledge_source[0] = f"{SYNTHETIC_SOURCE}: {name}" if synthetic else name


def source_text(source: str) -> str:
    """A figure's source line with the pledges named as :func:`set_pledge_source` last set."""
    return source.replace(PLEDGES_SOURCE, _pledge_source[0])


def group_linestyle(label: str) -> str:
    """Line style of a group in a figure that mixes kinds of groups (a country profile): solid
    for World and LDC/LLDC/SIDS, dash-dot for the ITU-D regions, dotted for the income groups,
    so that two groups of similar colour (LDC's red and Asia & Pacific's pink, SIDS's blue and
    the Americas' light blue) stay apart; dashed is kept for extrapolations."""
    if label in REGION_COLORS:
        return "-."
    return ":" if label in INCOME_COLORS else "-"


def group_color(label: str) -> str:
    """Fixed colour of a group label; :data:`OTHER_COLOR` for labels without one."""
    return GROUP_COLORS.get(label, OTHER_COLOR)


def map_cmap(name: str = MAP_CMAP, start: float = MAP_CMAP_START) -> mcolors.Colormap:
    """The sequential map colormap ``name`` without its lightest ``start`` share."""
    import numpy as np

    base = mpl.colormaps[name]
    return mcolors.LinearSegmentedColormap.from_list(
        f"p2c_{name}", base(np.linspace(start, 1.0, 256))
    )


def apply() -> None:
    """Set the house style: seaborn ``whitegrid`` theme, fonts, figure size, colour cycle."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font=FONT_FAMILY)
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": DPI,
            "savefig.dpi": SAVE_DPI,
            "savefig.bbox": "tight",
            "font.family": "sans-serif",
            "font.sans-serif": [FONT_FAMILY],
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=list(CATEGORICAL)),
            "legend.frameon": False,
            "legend.fontsize": 9,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "image.cmap": MAP_CMAP,
            "svg.fonttype": "none",
            "text.parse_math": False,  # text from files ("$5 million") is shown as written
        }
    )


# --- number formatting -------------------------------------------------------------------------

NA_TEXT = "n/a"
_UNITS: tuple[tuple[float, str], ...] = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def fmt_scaled(x: object, digits: int = 3, trim: bool = False) -> str:
    """``x`` with ``digits`` significant digits and a unit suffix: ``bn`` (1e9), ``M`` (1e6),
    ``k`` (1e3), none below 1,000 (then rounded to a whole number, with thousands separators).

    ``trim=True`` drops trailing zeros (``"2 bn"`` instead of ``"2.00 bn"``; used for ticks).
    Missing values give ``"n/a"``.
    """
    if is_missing(x):
        return NA_TEXT
    v = float(x)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return NA_TEXT
    r = _round_sig(v, digits)
    for scale, unit in _UNITS:
        if abs(r) >= scale:
            scaled = r / scale
            decimals = max(digits - 1 - math.floor(math.log10(abs(scaled))), 0)
            text = f"{scaled:,.{decimals}f}"
            if trim and "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return no_negative_zero(f"{v:,.0f}")  # a small negative sum: "0", not "-0"


def fmt_people(x: object, digits: int = 3, trim: bool = False) -> str:
    """Persons, short: ``2.34e9 -> "2.34 bn"``, ``5.12e8 -> "512 M"``, ``12_300 -> "12.3 k"``,
    ``950 -> "950"``. Missing -> ``"n/a"``."""
    return fmt_scaled(x, digits=digits, trim=trim)


def people_change(before: object, after: object, digits: int = 3) -> dict[str, str]:
    """Two counts of people and the change between them as a sentence states them:
    ``{"before": "4.47 bn", "after": "2.33 bn", "change": "a fall of 2.14 bn"}``. The change
    is taken between the two *rounded* values (``digits`` significant, as shown), so the three
    figures agree for a reader (from the unrounded 4.4749 and 2.3251 bn it would read "a fall
    of 2.15 bn"); ``"no change at this precision"`` when both round alike; ``"n/a"`` for the
    change when either is missing."""
    shown = {"before": fmt_people(before, digits), "after": fmt_people(after, digits)}
    if NA_TEXT in shown.values():
        return {**shown, "change": NA_TEXT}
    a, b = (_round_sig(float(v), digits) for v in (before, after))  # type: ignore[arg-type]
    if a == b:
        return {**shown, "change": "no change at this precision"}
    word = "a fall" if b < a else "a rise"
    return {**shown, "change": f"{word} of {fmt_people(abs(b - a), digits)}"}


def fmt_usd(x: object, digits: int = 3, trim: bool = False) -> str:
    """US dollars, short: ``3e9 -> "USD 3.00 bn"``, ``2.5e7 -> "USD 25.0 M"``.
    Missing -> ``"n/a"`` (a pledge without a stated value is not "USD 0")."""
    text = fmt_scaled(x, digits=digits, trim=trim)
    return text if text == NA_TEXT else f"USD {text}"


def _rounds_to_nothing(v: float, text: str) -> bool:
    """Whether ``v``, positive, shows as zero once formatted as ``text`` (``"0.00"``,
    ``"0.0"``): the formatters then say "less than" their smallest figure instead."""
    return v > 0 and float(text.replace(",", "")) == 0


def fmt_usd_small(x: object, trim: bool = False) -> str:
    """US dollars per person and other small amounts, to the cent below 1,000:
    ``15.438 -> "USD 15.44"``, ``0.01 -> "USD 0.01"`` (``trim=True``: ``"USD 15.44"``,
    ``5.0 -> "USD 5"``); a positive amount below half a cent ``"<USD 0.01"``, not
    ``"USD 0.00"``; from 1,000 on as :func:`fmt_usd`. Missing -> ``"n/a"``."""
    if is_missing(x):
        return NA_TEXT
    v = float(x)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return NA_TEXT
    if abs(v) >= 1000:
        return fmt_usd(v, trim=trim)
    text = f"{v:,.2f}"
    if _rounds_to_nothing(v, text):  # not "USD 0.00", which reads as none
        return "<USD 0.01"
    if trim:
        text = text.rstrip("0").rstrip(".")
    return f"USD {text}"


#: How far below 100 a percentage may lie and still be 100 (float noise in a sum of shares,
#: ``100 * (0.1 + 0.2 + 0.7)``), in percentage points.
_FULL_TOLERANCE = 1e-9


def _rounds_to_all(v: float, text: str) -> bool:
    """Whether ``v``, a percentage below 100 (beyond float noise), shows as ``"100.0"`` once
    formatted as ``text``: :func:`fmt_pct` then says "more than" its largest figure below 100."""
    return v < 100.0 - _FULL_TOLERANCE and float(text.replace(",", "")) >= 100.0


def fmt_pct(x: object, decimals: int = 1) -> str:
    """A value already in percent (0-100): ``71.234 -> "71.2%"``; a positive value that rounds
    to 0 is ``"<0.1%"`` (not "0.0%", which reads as none), a value below 100 that rounds to 100
    is ``">99.9%"`` (not "100.0%", which reads as all: ``99.96 -> ">99.9%"``, ``99.6`` with
    ``decimals=0`` -> ``">99%"``), and no "-0.0%". Missing -> ``"n/a"``."""
    if is_missing(x):
        return NA_TEXT
    v = float(x)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return NA_TEXT
    text = no_negative_zero(f"{v:.{decimals}f}")
    if _rounds_to_nothing(v, text):
        return f"<{10.0 ** -decimals:.{decimals}f}%"
    if _rounds_to_all(v, text):
        return f">{100.0 - 10.0 ** -decimals:.{decimals}f}%"
    return text + "%"


def no_negative_zero(text: str) -> str:
    """``"-0.0"`` (a small negative number rounded) -> ``"0.0"``; other text unchanged."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def fmt_share(x: object, decimals: int = 1) -> str:
    """A fraction (0-1) shown as percent: ``0.0588 -> "5.9%"``. Missing -> ``"n/a"``."""
    if is_missing(x):
        return NA_TEXT
    return fmt_pct(100.0 * float(x), decimals=decimals)  # type: ignore[arg-type]


def fmt_int(x: object) -> str:
    """A count with thousands separators: ``1234 -> "1,234"``. Missing -> ``"n/a"``."""
    if is_missing(x):
        return NA_TEXT
    return f"{float(x):,.0f}"  # type: ignore[arg-type]


def fmt_ratio(x: object, decimals: int = 2) -> str:
    """A ratio such as an attention ratio: ``0.456 -> "0.46"``, ``61996.5 -> "61,996.50"``
    (digits grouped); a positive ratio that rounds to 0 is ``"<0.01"`` (not "0.00", which reads
    as none), and no "-0.00". Missing -> ``"n/a"``."""
    if is_missing(x):
        return NA_TEXT
    v = float(x)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return NA_TEXT
    text = no_negative_zero(f"{v:,.{decimals}f}")
    if _rounds_to_nothing(v, text):
        return f"<{10.0 ** -decimals:.{decimals}f}"
    return text


#: What a front-page card reads as when the report has no pledge to analyse (the header's banner,
#: :func:`p2c_analysis.report.no_pledges_text`, says why): "0 of 0" or "n/a" would read as a
#: result or as missing data.
NO_PLEDGE = "no pledge to analyse"

#: What a USD card reads as when pledges are there but none states a value (their sum is unknown,
#: not USD 0).
NONE_STATED = "none stated"


#: What an attention ratio reads as where no one is offline (persons offline = 0): a share of
#: money over a share of no one is not defined, and "n/a" would read as missing data.
NO_ONE_OFFLINE = "not defined (no one offline)"


def fmt_attention_ratio(ratio: object, offline: object) -> str:
    """An attention ratio beside the offline people it rests on (persons): :data:`NO_ONE_OFFLINE`
    where ``offline`` is 0, else :func:`fmt_ratio` (``"n/a"`` when missing, e.g. no data)."""
    if not is_missing(offline) and float(offline) == 0:  # type: ignore[arg-type]
        return NO_ONE_OFFLINE
    return fmt_ratio(ratio)


# --- tick formatters ---------------------------------------------------------------------------


def people_formatter() -> FuncFormatter:
    """Tick formatter for persons: ``2e9 -> "2 bn"``, ``5e8 -> "500 M"``."""
    return FuncFormatter(lambda x, _pos: fmt_people(x, trim=True))


def usd_formatter() -> FuncFormatter:
    """Tick formatter for US dollars: ``1e11 -> "USD 100 bn"``."""
    return FuncFormatter(lambda x, _pos: fmt_usd(x, trim=True))


def pct_formatter(decimals: int = 0) -> FuncFormatter:
    """Tick formatter for values in percent (0-100): ``40 -> "40%"``."""
    return FuncFormatter(lambda x, _pos: fmt_pct(x, decimals=decimals))


def number_formatter(kind: str) -> FuncFormatter:
    """The tick formatter for ``kind`` in ``{"people", "usd", "usd_small", "pct", "ratio"}``."""
    if kind == "people":
        return people_formatter()
    if kind == "usd":
        return usd_formatter()
    if kind == "usd_small":
        return FuncFormatter(lambda x, _pos: fmt_usd_small(x, trim=True))
    if kind == "pct":
        return pct_formatter()
    if kind == "ratio":
        return FuncFormatter(lambda x, _pos: fmt_ratio(x, decimals=1))
    raise ValueError(f"unknown number kind {kind!r}: use people, usd, usd_small, pct or ratio")


def formatter_for(kind: str):
    """The scalar formatting function for ``kind`` (``people``, ``usd``, ``pct``, ``share``,
    ``ratio``, ``int``)."""
    table = {
        "people": fmt_people,
        "usd": fmt_usd,
        "usd_small": fmt_usd_small,
        "pct": fmt_pct,
        "share": fmt_share,
        "ratio": fmt_ratio,
        "int": fmt_int,
    }
    try:
        return table[kind]
    except KeyError:
        raise ValueError(f"unknown number kind {kind!r}: use one of {sorted(table)}") from None

