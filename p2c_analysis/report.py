"""What every report shows besides its figures: the header, tables, generated prose, provenance.

- :func:`header` — the short block at the top of each report: which data it used (files,
  vintages, counts of pledges and countries), the parameters, a visible banner when any pledge is
  synthetic, and a plain statement when the pledges are the bundled public subset.
- :func:`show_table` — a DataFrame as an HTML table: readable column names, numbers formatted in
  the house style (:mod:`p2c_analysis.style`), missing values as ``"n/a"``, **all text
  HTML-escaped**.
- :func:`say` / :func:`list_text` — sentences generated from numbers (never typed by hand).
- :func:`write_tables` / :func:`write_provenance` — the report's CSV tables (safe CSV, through
  :func:`p2c_analysis.export.write_csv`) and ``data_files.json``.

Untrusted text: pledge fields (titles, pledger names, notes, ...) and user-supplied file names
come from outside the package. Whatever reaches the rendered HTML is escaped: ``<script>`` is
shown as the text ``<script>``, never run. pandas' ``DataFrame.to_html`` escapes by default (used
here with ``escape=True`` spelled out); ``Styler`` would not (never used here); Markdown output
is escaped with :func:`escape`, which HTML-escapes and also backslash-escapes Markdown
punctuation so a pledge title cannot become a link, an image or a heading.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import re
import string
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from p2c_analysis import paths, style
from p2c_analysis.export import write_file
from p2c_analysis.fields import is_missing
from p2c_analysis.pledges import (  # the rules for pledge files, here for reports
    announced_after,
    any_marked_synthetic,
    marked_set_aside,
    rows_marked_synthetic,
)
from p2c_analysis.text import capitalised, html_text, without_invisible

PUBLIC_RECORD_SOURCE = (
    "`data/pledges/public_pledges.csv` and `public_pledges_additions_2026-12.csv`, with the "
    "dated public evidence of progress in `status_evidence.csv` applied as of the analysis date"
)
PUBLIC_SUBSET_TEMPLATE = (
    "{these} the {n} publicly described {pledges} bundled with the package, {pct} of the "
    "coalition's pledges by count, not the full platform."
)
CONNECTIVITY_SOURCE = (
    "ITU, *Individuals using the Internet (% of population)*, and population, both via World "
    "Bank WDI (vintage 13 July 2026)"
)
GROUPS_SOURCE = (
    "UN M49 LDC/LLDC/SIDS lists of September 2024 (dated changes applied), World Bank income "
    "groups FY26, ITU-D regions"
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~$])")  # "$": no maths in JupyterLab
#: What a Markdown renderer turns into a link by itself (nbconvert's ``url`` plugin: a bare
#: ``https://...``; JupyterLab's GFM autolinks: ``www.`` and e-mail addresses too): written
#: with an HTML character reference, which shows the same character but is not linked.
_AUTOLINKED = re.compile(r":(?=//)|(?<=www)\.|@", re.IGNORECASE)


# --- escaping --------------------------------------------------------------------------------


def escape(text: object) -> str:
    """Untrusted text made safe for inline Markdown/HTML output: line breaks become spaces,
    Markdown punctuation (``\\ ` * _ { } [ ] # ! | ~ $``) is backslash-escaped, then the
    text is HTML-escaped (``<``, ``>``, ``&``, quotes), so it shows as typed and never becomes
    markup, a link or an image (not even a bare ``https://...``, ``www.`` or e-mail address,
    which renderers link by themselves: :data:`_AUTOLINKED`); invisible format characters go
    (:func:`text.without_invisible`, as from a pledge file's text cells: a right-to-left override
    in a file's name showed the rest of its line, numbers too, reversed). Missing values give
    ``"n/a"``."""
    if is_missing(text):
        return style.NA_TEXT
    flat = re.sub(r"\s+", " ", without_invisible(str(text), in_text=True))
    escaped = html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=True)
    return _AUTOLINKED.sub(lambda m: f"&#{ord(m.group(0))};", escaped)


def escape_html(text: object) -> str:
    """Untrusted text for an HTML context (no Markdown processing), without invisible format
    characters (as :func:`escape`). Missing -> ``"n/a"``."""
    if is_missing(text):
        return style.NA_TEXT
    return html_text(str(text))


# --- generated prose -------------------------------------------------------------------------


class _Prose(string.Formatter):
    """:func:`say`'s formatter: every value escaped; a count agrees with its words."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec[:1] in ("~", "#"):  # "{n:~pledge}", "{n:~country|countries}", "{n:#is|are}"
            word, other, zero = [*format_spec[1:].split("|"), "", ""][:3]
            if zero and int(value) == 0:  # a third form, for 0: "{n:~pledge|pledges|No pledge}"
                return escape(zero)
            if format_spec[0] == "~":
                return escape(plural(value, word, other or None))
            return escape(word if int(value) == 1 else other)
        return format(escape(value), format_spec)


def say(template: str, **values: object) -> Markdown:
    """A generated sentence: ``template`` (trusted, written in the notebook) with ``{name}``
    fields filled by ``values``, each converted with ``str`` and escaped (:func:`escape`).
    Numbers must be formatted by the caller (``style.fmt_people`` etc.), so the prose shows
    exactly what the tables show. A count agrees with its noun and verb: ``{n:~pledge}`` gives
    "1 pledge" / "3 pledges" (:func:`plural`; ``{n:~country|countries}`` names the plural),
    ``{n:#has|have}`` the word alone ("has" for 1, else "have"). A third form is said for 0:
    ``{n:~pledge|pledges|No pledge} {n:#is|are|is} overdue`` gives "No pledge is overdue",
    not "0 pledges are overdue"."""
    return Markdown(_Prose().format(template, **values))


def list_text(items: Iterable[object], conjunction: str = "and", empty: str = "none") -> str:
    """``["A", "B", "C"] -> "A, B and C"`` (items not escaped: pass through :func:`say`)."""
    xs = [str(x) for x in items]
    if not xs:
        return empty
    if len(xs) == 1:
        return xs[0]
    return f"{', '.join(xs[:-1])} {conjunction} {xs[-1]}"


def compare(diff: float, unit: str = "percentage points", decimals: int = 1) -> str:
    """Phrase for a difference *ours − theirs*: ``3.84 -> "3.8 percentage points higher than"``,
    ``-0.2 -> "0.2 percentage points lower than"``; a difference that rounds to 0 gives
    ``"the same as"``; missing gives ``"not comparable with"``."""
    if is_missing(diff):
        return "not comparable with"
    d = float(diff)
    if round(abs(d), decimals) == 0:
        return "the same as"
    return f"{abs(d):.{decimals}f} {unit} {'higher' if d > 0 else 'lower'} than"


def versus(diff: float, theirs: float, name: str, year: int, fmt: Any = None) -> str:
    """Our figure against another source's ``name`` for ``year``: ``"0.4 percentage points
    lower than ITU's estimate (67.6%)"`` (:func:`compare` of ``diff``, ours minus theirs, in
    percentage points; ``theirs`` formatted by ``fmt``, default ``style.fmt_pct``); when the
    source has no figure for the year (``theirs`` missing), ``"not checked against ITU's
    estimate, which has no figure for 2000"`` rather than "not comparable with ... (n/a)"."""
    if is_missing(theirs):
        return f"not checked against {name}, which has no figure for {year}"
    return f"{compare(diff)} {name} ({(fmt or style.fmt_pct)(theirs)})"


def versus_each(comparisons: Sequence[tuple[float, float, str]], year: int,
                fmt: Any = None) -> str:
    """Our figure against several sources, ``(diff, theirs, name)`` each, as one phrase:
    :func:`versus` of each joined with "and", except that the sources with no figure for
    ``year`` are named together once: ``"0.4 percentage points lower than ITU's estimate
    (67.6%) and not checked against the World Bank's aggregate, which has no figure for
    2000"``; none with a figure: ``"not checked against ITU's estimate or the World Bank's
    aggregate, which have no figure for 2000"`` (it repeated "not checked ... which has no
    figure for 2000" for each)."""
    shown = [versus(d, t, name, year, fmt) for d, t, name in comparisons if not is_missing(t)]
    absent = [name for _d, t, name in comparisons if is_missing(t)]
    if len(absent) == 1:
        shown.append(versus(float("nan"), float("nan"), absent[0], year))
    elif absent:
        shown.append(f"not checked against {list_text(absent, 'or')}, which have no figure "
                     f"for {year}")
    return list_text(shown)


def of_the(k: int, n: int, word: str, plural_word: str | None = None) -> str:
    """``k`` of ``n`` things as prose: ``"2 of the 5 pledges"``, and when ``k`` is all of
    them ``"the 1 pledge"``, ``"both pledges"`` or ``"all 5 pledges"`` (not "1 of the 1
    pledge", "all 2 pledges")."""
    things = plural(n, word, plural_word)
    if k < n:
        return f"{style.fmt_int(k)} of the {things}"
    if n == 2:
        return f"both {plural_word or word + 's'}"
    return f"the {things}" if n == 1 else f"all {things}"


def both_or_all(n: int, of_them: bool = False) -> str:
    """All of ``n`` things (two or more) said without their count: ``"both"`` for 2, else
    ``"all"`` (``"all of them"`` with ``of_them``): "both state a value", "all of them moved
    backwards", not "2 of them" of two or "3 of 3"."""
    return "both" if n == 2 else "all of them" if of_them else "all"


def rests_on_text(total_usd: float, parts: Sequence[tuple[float, str]],
                  total: str = "the stated total") -> str:
    """The sentence on what part of a USD ``total`` rests on what, plain text (not escaped: pass
    through :func:`say`). ``parts``: ``(USD, what it rests on)``, e.g. ``(1e9, "lower bounds")``.
    Only parts above 0 are named: ``"Of the stated total, USD 1.00 bn rests on lower bounds and
    USD 2.00 bn on yearly amounts."``; none above 0 gives ``"No part of the stated total rests
    on lower bounds or on yearly amounts."``; a total that is missing (no value stated) or not
    above 0 gives ``""``: there is nothing for a part to rest on ("USD 0 rests on lower bounds"
    read as a finding)."""
    if is_missing(total_usd) or float(total_usd) <= 0:
        return ""
    named = [(usd, what) for usd, what in parts if not is_missing(usd) and float(usd) > 0]
    if not named:
        return (f"No part of {total} rests "
                f"{list_text((f'on {what}' for _, what in parts), conjunction='or')}.")
    said = [f"{style.fmt_usd(usd)} {'rests on ' if i == 0 else 'on '}{what}"
            for i, (usd, what) in enumerate(named)]
    return f"Of {total}, {list_text(said)}."


def plural(n: int | float, word: str, plural_word: str | None = None) -> str:
    """``plural(1, "pledge") -> "1 pledge"``, ``plural(3, "country", "countries")``."""
    n_int = int(n)
    w = word if n_int == 1 else (plural_word or f"{word}s")
    return f"{style.fmt_int(n_int)} {w}"


# --- tables ----------------------------------------------------------------------------------


def _fmt_cell(value: object, kind: str | None, digits: int) -> str:
    if kind == "year" and isinstance(value, int | float | np.number) \
            and not is_missing(value):
        return str(int(value))
    if isinstance(value, list | tuple | set | np.ndarray):
        return "; ".join(str(v) for v in value) if len(value) else ""
    if is_missing(value):
        return style.NA_TEXT
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.integer | np.floating):
        if kind not in (None, "year"):
            return style.formatter_for(kind)(value)
        if isinstance(value, int | np.integer):
            return f"{int(value):,}"
        return style.no_negative_zero(f"{float(value):,.{digits}f}")
    return str(value)


def format_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | Iterable[str] | None = None,
    kinds: Mapping[str, str | None] | None = None,
    digits: int = 1,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with every cell as display text (not escaped; :func:`show_table`
    escapes). ``columns``: which columns, in order (headers and number formats from the output
    registry, :mod:`p2c_analysis.metrics`), or ``{column: header}``; ``labels``: headers that
    differ from the registry's in this table (e.g. ``{"category": "Focus area"}``);
    ``kinds``: ``{column: "people" | "usd" | "usd_small" | "pct" | "share" | "ratio" | "int" |
    "year" | None}`` overriding the registry; other numbers are rounded to ``digits``.
    Lists are ``"; "``-joined; missing values are ``"n/a"``."""
    from p2c_analysis import metrics

    if isinstance(columns, Mapping):
        names = dict(columns)
    else:
        names = {c: metrics.label(c) for c in (df.columns if columns is None else columns)}
    names.update({c: h for c, h in (labels or {}).items() if c in names})
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise KeyError(f"format_table: no column(s) {missing}; has {list(df.columns)}")
    kinds = dict(kinds or {})
    for col, kind in kinds.items():
        if kind not in metrics.KINDS:
            raise ValueError(f"unknown number kind {kind!r} for column {col!r}")
    out = pd.DataFrame(index=range(len(df)))
    for col, header in names.items():
        kind = kinds[col] if col in kinds else metrics.kind(col)
        cells = [_fmt_cell(v, kind, digits) for v in df[col].tolist()]
        out[header] = pd.array(cells, dtype=object)
    return out


_TABLE_COUNTER = 0


def _is_number_column(col: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col)) \
        and not pd.api.types.is_bool_dtype(col)


def table_html(
    df: pd.DataFrame,
    columns: Mapping[str, str] | Iterable[str] | None = None,
    kinds: Mapping[str, str | None] | None = None,
    digits: int = 1,
    max_rows: int | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The HTML of :func:`show_table` (every cell and header escaped by ``to_html``); an empty
    table says "No rows." under its header."""
    t = format_table(df, columns, kinds, digits, labels)
    more = 0
    if max_rows is not None and len(t) > max_rows:
        more = len(t) - max_rows
        t = t.head(max_rows)
    global _TABLE_COUNTER
    _TABLE_COUNTER += 1
    css_class = f"p2c-t{_TABLE_COUNTER}"
    names = list(columns) if columns is not None else list(df.columns)
    text_cols = [i + 1 for i, c in enumerate(names) if not _is_number_column(df[c])]
    out = t.to_html(index=False, escape=True, border=0, classes=["p2c-table", css_class],
                    na_rep="n/a")
    if text_cols:  # text columns read better left-aligned (numbers stay right-aligned)
        rules = ", ".join(f".{css_class} td:nth-child({i}), .{css_class} th:nth-child({i})"
                          for i in text_cols)
        out = f"<style>{rules} {{text-align: left;}}</style>" + out
    if more:
        out += f"<p><em>… and {more:,} more rows (all rows are in the CSV table).</em></p>"
    if t.empty:  # a header alone reads as a table that failed to fill
        out += "<p><em>No rows.</em></p>"
    return out


def show_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | Iterable[str] | None = None,
    kinds: Mapping[str, str | None] | None = None,
    digits: int = 1,
    max_rows: int | None = 40,
    caption: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> HTML:
    """``df`` as an escaped, formatted HTML table for the report (see :func:`format_table`:
    ``columns`` in order, headers and formats from the output registry, ``labels`` for headers
    specific to this table).

    ``caption`` (trusted text, escaped anyway) goes above the table. Rows beyond ``max_rows``
    are cut with a note pointing at the CSV table."""
    body = table_html(df, columns, kinds, digits, max_rows, labels)
    if caption:
        body = f"<p><strong>{escape_html(caption)}</strong></p>" + body
    return HTML(body)


def holding_values(df: pd.DataFrame, columns: Iterable[str], optional: Iterable[str]) -> list[str]:
    """``columns`` without those of ``optional`` that hold nothing in ``df`` (every value
    missing or 0), for :func:`show_table`: a column "of which to economies with no offline
    figure (USD)" reading "n/a" and "USD 0" on every row says nothing but that there is none."""
    skip = set(optional)

    def empty(c: str) -> bool:
        col = pd.to_numeric(df[c], errors="coerce")
        return bool(col.fillna(0).eq(0).all())

    return [c for c in columns if c not in skip or not empty(c)]


# --- header ------------------------------------------------------------------------------------


def _is_bundled(source: str | Path | None) -> bool:
    """The pledges are the bundled public record (``pledges`` left empty)."""
    return source is None or str(source) == ""


def _is_public_file(source: str | Path | None) -> bool:
    """The pledges are public ones: the bundled record, or its pledge file given by path
    (which is read as any file: without the later additions and the dated evidence)."""
    if _is_bundled(source):
        return True
    try:
        return Path(str(source)).resolve() == paths.PUBLIC_PLEDGES.resolve()
    except OSError:
        return False


def published_pledge_count(as_of: object = None) -> tuple[float, str] | None:
    """Latest pledge count published by ITU (not third parties) by ``as_of`` (``None`` = any
    date; :func:`p2c_analysis.milestones.known_on`): ``(count, date as stated)``, or None when
    none is available."""
    return _latest_published("total_pledges", as_of)


def _latest_published(column: str, as_of: object = None) -> tuple[float, str] | None:
    """The latest ITU figure (not a third party's) of the milestones' ``column`` published by
    ``as_of``: ``(value, date as stated)``, or None."""
    from p2c_analysis import milestones

    m = milestones.known_on(milestones.load_milestones(), as_of)
    m = m[m[column].notna()]
    if "is_third_party" in m:
        m = m[~m["is_third_party"].astype(bool)]
    if m.empty:
        return None
    last = m.sort_values("date").iloc[-1]
    return float(last[column]), str(last.get("date_as_stated", last["date"]))


def _public_share(n: int, as_of: object = None) -> str:
    """``n`` pledges as a share of the latest pledge count ITU published by ``as_of``:
    ``"about 4%"``, ``"about 0.9%"``, ``"less than 0.1%"`` for a share that would show as
    "about 0.0%", or ``"an unknown share"`` when ITU had published no
    pledge count by then (``"about an unknown share"`` read as nonsense)."""
    published = published_pledge_count(as_of)
    if published is None or published[0] <= 0:
        return "an unknown share"
    share = 100.0 * n / published[0]
    if 0 < share < 0.05:  # not "about 0.0%", which reads as none
        return "less than 0.1%"
    return f"about {share:.0f}%" if share >= 1 else f"about {share:.1f}%"


def public_subset_statement(n: int, as_of: object = None) -> str:
    """The plain statement shown when the pledges are the bundled public subset, with the
    share of the latest pledge count ITU published by ``as_of`` computed (not typed)."""
    return PUBLIC_SUBSET_TEMPLATE.format(n=n, pct=_public_share(n, as_of),
                                         these="This is" if n == 1 else "These are",
                                         pledges="pledge" if n == 1 else "pledges")


def published_total_value(as_of: object = None) -> tuple[float, str] | None:
    """Latest USD total of the coalition's pledges published by ITU (not third parties) by
    ``as_of`` (``None`` = any date): ``(USD, date as stated)``, or None when none is
    available."""
    return _latest_published("total_value_usd", as_of)


def public_subset_value_note(n: int, as_of: object = None) -> Markdown:
    """Beside USD figures of the bundled public subset (its share of a need, its total): they
    are those of ``n`` pledges, not the coalition's, whose latest total ITU published by
    ``as_of`` is named. Nothing when ``n`` is 0: there are no such figures (the header says why
    there is no pledge)."""
    if n == 0:
        return Markdown("")
    total = published_total_value(as_of)
    theirs = ("" if total is None else
              f" ITU's latest published total for the whole coalition is "
              f"{style.fmt_usd(total[0])} ({total[1]}).")
    return Markdown(escape(
        f"These USD figures are those of the {plural(n, 'publicly described pledge')} "
        "bundled with the "
        f"package, {_public_share(n, as_of)} of the coalition's pledges by count, not the "
        f"coalition's.{theirs}"))


def public_subset_scope(n: int, as_of: object = None) -> str:
    """The same, short, for a front-page card beside its headline numbers (which would
    otherwise read as the coalition's)."""
    ones = "one" if n == 1 else "ones"
    return (f"Pledges: the {n} publicly described {ones} bundled with the package, "
            f"{_public_share(n, as_of)} of the coalition's by count")


def synthetic_notice(pledges: pd.DataFrame | None = None, of: str = "") -> str:
    """The synthetic-data notice. Without ``pledges``: ``synthetic.SYNTHETIC_NOTICE``. With
    them: that notice and how many are synthetic when every synthetic pledge is the package's
    own (its ids begin ``synthetic.ID_PREFIX``); else a notice that says only what is known,
    that the pledge data mark them synthetic: how they were made is not ours to say (the
    package's notice would claim they were generated to match the published 2023 totals).
    ``of``: which pledges, e.g. ``"the current side"``."""
    from p2c_analysis.synthetic import ID_PREFIX, SYNTHETIC_NOTICE

    if pledges is None:
        return str(SYNTHETIC_NOTICE)
    marked = pledges["is_synthetic"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    n_syn, n = int(marked.sum()), len(pledges)
    where = f" of {of}" if of else ""
    ids = pledges.loc[marked, "pledge_id"].astype("string").fillna("")
    which = of_the(n_syn, n, "pledge") + where  # not "1 of 1 pledges are", "5 of 5 pledges"
    one = n_syn == 1
    if ids.str.startswith(ID_PREFIX).all():
        return (f"{SYNTHETIC_NOTICE} ({capitalised(which)} {'is' if one else 'are'} "
                "synthetic.)")
    return (f"SYNTHETIC DATA — {which} {'is' if one else 'are'} "
            "marked synthetic (is_synthetic) in the pledge data: "
            f"{'not a real pledge' if one else 'not real pledges'}. Every number resting on "
            f"{'it' if one else 'them'} is illustrative only.")


#: The class of a banner printed at the top of every page (:func:`banner` with
#: ``every_page``), whose print rule is in ``htmlexport.PRINT_CSS``.
EVERY_PAGE_CLASS = "p2c-every-page"


#: The header's banner when no pledge analysed is synthetic but the file's rows are (every row
#: set aside, or every synthetic pledge announced after the analysis date).
SYNTHETIC_ROWS_NOTICE = ("SYNTHETIC DATA — rows of this pledge file are marked synthetic "
                         "(is_synthetic): not real pledges. Nothing here is a finding.")


def compared(r: Report, previous: Any, current: Any) -> None:
    """Set up a report comparing two pledge tables (``snapshots.PledgeSource``: a date of the
    public record, a snapshot, a file) for synthetic data and figures. A side with a row marked
    synthetic (``snapshots.rests_on_synthetic``: a pledge compared, one left out as after its
    date, or a row set aside) gets a banner saying how many of its pledges are synthetic
    (:func:`synthetic_notice`), or that rows of it are (:data:`SYNTHETIC_ROWS_NOTICE`, when
    none of its pledges compared is), the first printed on every page; ``r.synthetic`` is then
    set (every table written carries the mark, the card says so). The figures' source lines
    name what is compared unless both sides are the bundled public record (not "Partner2Connect
    pledges (ITU)" under two user files), with the synthetic mark when there is one
    (:func:`style.set_pledge_source`)."""
    from IPython.display import Markdown, display

    from p2c_analysis.snapshots import rests_on_synthetic

    marked = [(side, x) for side, x in (("previous", previous), ("current", current))
              if rests_on_synthetic(x)]
    for i, (side, x) in enumerate(marked):
        notice = synthetic_notice(x.pledges, f"the {side} side") \
            if any_marked_synthetic(x.pledges) else \
            SYNTHETIC_ROWS_NOTICE.replace("this pledge file", f"the {side} side")
        display(Markdown(banner(notice, every_page=i == 0)))  # a second would cover the first
    r.synthetic = bool(marked)
    named = None if previous.public and current.public else \
        f"pledges compared: {previous.label}; {current.label}"
    style.set_pledge_source(None, synthetic=r.synthetic, described=named)


def banner(text: str, color: str = "#D55E00", every_page: bool = False) -> str:
    """A visible boxed banner (HTML inside Markdown); ``text`` is escaped. ``every_page``: in
    print, the banner heads every page, not only the first (the synthetic-data notice, which a
    page printed alone must carry): it has the class :data:`EVERY_PAGE_CLASS`, which the
    report page's print style sheet fixes at the top of each page, in a band kept free above
    the content (``htmlexport.PRINT_CSS``). One such banner per report: a second would print
    over the first."""
    cls = f' class="{EVERY_PAGE_CLASS}"' if every_page else ""
    return (
        f'<div{cls} style="border:3px solid {color}; background:#FFF4E5; padding:0.6em 0.9em; '
        f'margin:0.5em 0; font-weight:bold; font-size:1.1em">&#9888; {escape_html(text)}</div>'
    )


def _count_countries(pledges: pd.DataFrame) -> int:
    if "target_countries" not in pledges:
        return 0
    seen: set[str] = set()
    for cell in pledges["target_countries"].tolist():
        if isinstance(cell, list | tuple | np.ndarray):
            seen.update(str(x) for x in cell)
    return len(seen)


def header_text(
    title: str | None = None,
    pledges: pd.DataFrame | None = None,
    pledge_source: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    quarantined: int | None = None,
    mapping: str | Path | None = None,
    extra_sources: Iterable[str] = (),
    unused_columns: Sequence[str] = (),
    record: Any = None,
    after_as_of: int = 0,
    hidden_columns: str | None = None,
    statuses_after_as_of: int = 0,
    notes: Sequence[str] = (),
    synthetic_rows: bool = False,
) -> str:
    """The Markdown text of the report header (:func:`header` displays it): title (if given, as
    a level-2 heading under the notebook's own title); a red-bordered banner with
    ``synthetic.SYNTHETIC_NOTICE`` when any pledge has ``is_synthetic``; the public-subset
    statement when ``pledge_source`` is the bundled record (``None`` or ``""``) or its file; the
    data used (connectivity and group sources with vintages, pledge file, counts of pledges and
    named target countries, stated values, quarantined rows, the file's columns that no field
    reads: ``unused_columns``, at most :data:`MOST_COLUMNS_LISTED` named; the columns hidden
    in its spreadsheet: ``hidden_columns``, the line of ``LoadResult.hidden_summary``); the
    parameters; the render time. ``after_as_of``: pledges of the file left out as announced
    after the analysis date (:func:`announced_after`), said in one line;
    ``statuses_after_as_of``: the file's own statuses dated after it and left aside
    (:func:`statuses_after_as_of_text`), one line. With no pledge to
    analyse, a banner says why (:func:`no_pledges_text`; ``record``: the public record, for the
    date its first pledges enter it). ``notes``: lines said under the title, each as
    ``**Note:** ...`` (how an ambiguous country name was read: :func:`country_reading`).
    ``synthetic_rows``: the file's rows are marked synthetic (:func:`rows_marked_synthetic`):
    the synthetic banner even when no pledge analysed is (:data:`SYNTHETIC_ROWS_NOTICE`).
    All pledge-derived and user-supplied text is escaped (:func:`escape`)."""
    lines: list[str] = [f"## {escape(title)}", ""] if title else []
    lines += [x for note in notes for x in (f"**Note:** {escape(note)}.", "")]
    if future := _future_as_of(parameters):
        lines += [banner(future), ""]
    if pledges is not None:
        n = len(pledges)
        synthetic = bool(pledges["is_synthetic"].any()) if "is_synthetic" in pledges else False
        if synthetic:
            lines += [banner(synthetic_notice(pledges), every_page=True), ""]
        elif synthetic_rows:
            lines += [banner(SYNTHETIC_ROWS_NOTICE, every_page=True), ""]
        synthetic = synthetic or synthetic_rows
        if _is_public_file(pledge_source) and not synthetic and n:
            lines += [f"**{escape(public_subset_statement(n, (parameters or {}).get('as_of')))}**",
                      ""]
        if n == 0:
            lines += [banner(no_pledges_text(pledge_source, parameters, quarantined, record,
                                             after_as_of)), ""]
    lines += ["**Data used**", ""]
    lines.append(f"- Connectivity: {CONNECTIVITY_SOURCE}.")
    lines.append(f"- Country groups: {GROUPS_SOURCE}.")
    if pledges is not None:
        src = (f"the bundled public record ({PUBLIC_RECORD_SOURCE})" if _is_bundled(pledge_source)
               else f"file {escape(Path(str(pledge_source)).name)}")
        n_value = int(pledges["estimated_value_usd"].notna().sum()) \
            if "estimated_value_usd" in pledges else 0
        total_usd = pledges["estimated_value_usd"].sum(min_count=1) \
            if "estimated_value_usd" in pledges else np.nan
        k = _count_countries(pledges)
        usd = escape(style.fmt_usd(total_usd)) + _deduplicated_text(pledges)
        if len(pledges) == 1:  # "1 of them" / "none" of one pledge
            valued = f"it states a value, {usd}" if n_value else "it states no value"
        else:
            every = both_or_all(n) if n_value == n else style.fmt_int(n_value)
            valued = (f"1 states a value, {usd}" if n_value == 1 else
                      f"{every} state a value, together {usd}"  # not "2 state" of two
                      ) if n_value else "none states a value"
        # not "0 pledges targeting 0 countries by name; none states a value"
        targets = (f" targeting {plural(k, 'country', 'countries')} by name" if k else
                   ", not targeting a country by name" if n == 1 else
                   ", none targeting a country by name")
        text = (f"- Pledges: {src}: {plural(n, 'pledge')}{targets}; {valued}" if n else
                f"- Pledges: {src}: no pledge")
        if quarantined:
            text += (f"; {plural(quarantined, 'row')} set aside (quarantined) and not used")
            if parameters and str(parameters.get("output_dir") or ""):
                text += f", listed with their reasons in `{SET_ASIDE_TABLE}.csv`"
        lines.append(text + ".")
        if after_as_of:
            undated = int(pledges["announced_date"].isna().sum()) \
                if "announced_date" in pledges else 0
            listed = bool(parameters and str(parameters.get("output_dir") or ""))
            lines.append("- " + after_as_of_text(
                after_as_of, (parameters or {}).get("as_of"),
                AFTER_AS_OF_TABLE if listed else None, undated))
        if statuses_after_as_of:
            listed = bool(parameters and str(parameters.get("output_dir") or ""))
            lines.append("- " + statuses_after_as_of_text(
                statuses_after_as_of, (parameters or {}).get("as_of"),
                STATUSES_AFTER_AS_OF_TABLE if listed else None))
        if mapping:
            lines.append(f"- Column mapping: {escape(Path(str(mapping)).name)}.")
        if unused_columns:
            lines.append(f"- {_unused_columns_text(unused_columns)}")
        if hidden_columns:
            lines.append(f"- Hidden in the spreadsheet: {escape(hidden_columns)}.")
    for s in extra_sources:
        lines.append(f"- {escape(s)}")
    if parameters:
        shown = {k: v for k, v in parameters.items() if k != "output_dir"}
        if shown:
            params = ", ".join(f"{escape(k)} = {escape(_param_text(v))}" for k, v in shown.items())
            lines += ["", f"**Parameters:** {params}"]
    from p2c_analysis import __version__

    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with p2c-analysis {escape(__version__)}"
    if parameters is not None and not str(parameters.get("output_dir", "")):
        lines += ["", f"*Run {when}, interactively: with `output_dir` empty no table or "
                      "`data_files.json` is written; `paths.files_read()` lists the data files "
                      "read so far with their SHA-256.*"]
    else:
        lines += ["", f"*Rendered {when}. Data files and their SHA-256 are listed in "
                      "`data_files.json` beside this report.*"]
    return "\n".join(lines)


def no_pledges_text(pledge_source: str | Path | None, parameters: Mapping[str, Any] | None,
                    quarantined: int | None = None, record: Any = None,
                    after_as_of: int = 0) -> str:
    """Why a report has no pledge to analyse, for its header banner: every valid pledge of the
    file was announced after the analysis date (``after_as_of`` of them; the rows set aside
    are named too), every row of the file was set aside (``quarantined`` rows), the file has
    no pledge row, or the bundled public record holds no pledge known on the analysis date
    (with the date its first pledge enters it, when ``record``, a
    :class:`p2c_analysis.record.PublicRecord`, is given). Plain text."""
    tail = " Every count below is 0 and no share, mean or ratio can be computed."
    if after_as_of:
        as_of = str((parameters or {}).get("as_of"))[:10]
        aside = (f" ({plural(quarantined, 'other row')} set aside as invalid)"
                 if quarantined else "")
        every = of_the(after_as_of, after_as_of, "pledge")  # "both pledges", not "all 2"
        return (f"No pledge to analyse: {every} of {Path(str(pledge_source)).name}{aside} "
                f"{'was' if after_as_of == 1 else 'were'} announced after the analysis date, "
                f"{as_of}.{tail}")
    if quarantined:
        where = ("the public record's files" if _is_bundled(pledge_source)
                 else Path(str(pledge_source)).name)
        return (f"No pledge to analyse: all {plural(quarantined, 'row')} of {where} were set "
                f"aside (quarantined), none is valid.{tail}")
    if _is_bundled(pledge_source):
        as_of = (parameters or {}).get("as_of")
        when = f" on {str(as_of)[:10]}" if as_of not in (None, "") else ""
        first = ""
        if record is not None and len(record.known_from):
            start = pd.to_datetime(record.known_from["known_from"]).min()
            if pd.notna(start):
                first = f"; its first pledges enter it on {start:%Y-%m-%d}"
        return f"No pledge to analyse: the public record holds no pledge known{when}{first}.{tail}"
    return f"No pledge to analyse: {Path(str(pledge_source)).name} holds no pledge row.{tail}"


def _deduplicated_text(pledges: pd.DataFrame) -> str:
    """`` (USD … without money counted before: …)`` when some of the stated USD repeats money
    already counted (re-announcements, top-ups, campaigns counted twice; ``values``), else
    ``""``. The stated total is always shown first: the difference is explained, never
    hidden."""
    if "estimated_value_usd" not in pledges or not pledges["estimated_value_usd"].notna().any():
        return ""
    from p2c_analysis import values

    s = values.headline_summary(pledges)
    if s["usd_already_counted"] <= 0:
        return ""
    return escape(f" stated; {style.fmt_usd(s['usd_deduplicated'])} without the "
                  f"{style.fmt_usd(s['usd_already_counted'])} of "
                  f"{plural(s['pledges_counted_before'], 'pledge')} repeating money counted "
                  "before (re-announcements, top-ups)")


def _param_text(v: object) -> str:
    if isinstance(v, str) and v == "":
        return '"" (default)'
    return paths.shown(v) if isinstance(v, str) else str(v)


#: The table every report on pledges writes when rows of its pledge file were set aside: each
#: row's number in the file, its reasons and its cells (the quarantine, nothing lost).
SET_ASIDE_TABLE = "set_aside_rows"

#: The table a report on a pledge *file* writes when some of its pledges were announced after
#: the analysis date (``as_of``): valid pledges, out of scope on that date (not bad input, which
#: is :data:`SET_ASIDE_TABLE`), in the canonical columns, left out of the analysis.
AFTER_AS_OF_TABLE = "after_as_of"


def after_as_of_text(n: int, as_of: object, table: str | None = AFTER_AS_OF_TABLE,
                     undated: int = 0, of: str = "the file",
                     date: str = "the analysis date") -> str:
    """The line on the ``n`` valid pledges of ``of`` (whose pledges: ``"the file"``, ``"the
    previous side"``) left out as announced after ``as_of`` (:func:`announced_after`), which
    is ``date`` (``"the analysis date"``, ``"its date"``): how many, the rule for a month or
    year, the CSV they are listed in (``table``, without ``.csv``; ``None``: none written) and
    how many pledges are kept as they state no announcement date (``undated``). ``n = 0``
    says that none is left out. Plain Markdown of trusted text only (counts, a date and the
    caller's words: no pledge or file text), so it is shown as it is, not escaped."""
    day = str(as_of)[:10]
    kept = (f"; {plural(undated, 'pledge')} with no announcement date "
            f"{'is' if undated == 1 else 'are'} kept" if undated else "")
    if n == 0:
        return (f"No pledge of {of} was announced after {date}, {day}: none is left "
                f"out{kept}.")
    where = f", listed in `{table}.csv`" if table else ""
    return (f"Left out: {plural(n, 'pledge')} of {of} announced after {date}, "
            f"{day} (one dated by its month or year only when that month or year "
            f"begins after that day){where}{kept}.")


#: The table a report on a pledge *file* writes when some of its own statuses (with their
#: report dates) are dated after the analysis date: not known on that date, left aside, the
#: pledges' rows as the file states them (:func:`p2c_analysis.evidence.split_reported_after`).
STATUSES_AFTER_AS_OF_TABLE = "statuses_after_as_of"


def statuses_after_as_of_text(n: int, as_of: object,
                              table: str | None = STATUSES_AFTER_AS_OF_TABLE,
                              of: str = "the file", date: str = "the analysis date",
                              carried: int = 0, carried_from: str = "") -> str:
    """The line on the ``n`` self-reported statuses of ``of`` (``"the file"``, ``"the previous
    side"``) left aside as their report is dated after ``as_of`` (``date``: ``"the analysis
    date"``, ``"its date"``): not known on that day, so their pledges count as not yet reported
    (status ``unknown``, no report), except the ``carried`` of them that keep the status an
    earlier table shows (``carried_from``, e.g. ``"the previous side (2025-06-30)"``: the
    latest known on that day, ``changes.carry_earlier_statuses``); the CSV they are listed in
    (``table`` without ``.csv``; ``None``: none written). ``n = 0`` says that none is. Trusted
    text only (counts, a date, the caller's words), so it is shown as it is, not escaped."""
    day = str(as_of)[:10]
    if n == 0:
        return (f"No self-reported status of {of} is dated after {date}, {day}: none is "
                "left aside.")
    where = f", listed in `{table}.csv`" if table else ""
    unknown = n - carried
    keep = (f"keep{'s' if carried == 1 else ''} {'its' if carried == 1 else 'their'} status "
            f"on {carried_from}, the latest known on that day")
    if carried == 0:
        fate = f"{'its pledge counts' if n == 1 else 'their pledges count'} as not yet reported"
    elif unknown == 0:
        fate = f"{'its pledge' if n == 1 else 'their pledges'} {keep}"
    else:
        fate = (f"{style.fmt_int(carried)} of their pledges {keep}, and "
                f"{style.fmt_int(unknown)} {'counts' if unknown == 1 else 'count'} as not yet "
                "reported")
    return (f"Left aside: {plural(n, 'self-reported status', 'self-reported statuses')} of "
            f"{of} whose report is dated after {date}, {day}: not known on that day, so "
            f"{fate}{' (status unknown)' if unknown else ''}{where}.")


#: Unused columns of a pledge file named in a report header; the rest are counted.
MOST_COLUMNS_LISTED = 10


def _unused_columns_text(columns: Sequence[str]) -> str:
    """One header line: the pledge file's columns that no field reads (their data is not in
    the report), escaped, each cut to 40 characters."""
    shown = [c if len(c) <= 40 else c[:40] + "..." for c in columns[:MOST_COLUMNS_LISTED]]
    more = len(columns) - len(shown)
    names = ", ".join(escape(repr(c)) for c in shown) + (f" and {more:,} more" if more else "")
    return (f"Not read: {plural(len(columns), 'column')} of the pledge file, matching no field "
            f"(see `p2c check-pledges`, or give a column mapping): {names}.")


#: Date parameters a report may be given in the future, and how its warning names each: the
#: analysis date, and the dates of the two sides of pledge_changes (which may also be snapshot
#: ids or files: only a plain date is checked there).
FUTURE_DATE_PARAMETERS: dict[str, str] = {
    "as_of": "the analysis date",
    "previous": "the date of the earlier pledges (previous)",
    "current": "the date of the later pledges (current)",
}


def _future_as_of(parameters: Mapping[str, Any] | None) -> str | None:
    """The warning for dates after today (UTC) among :data:`FUTURE_DATE_PARAMETERS`: what a
    report says of its pledges on such a day (which are announced, their values, statuses,
    reporting, overdue ones: each report says some of these) rests on what is known today. It
    names none of them, so that it is true of every report."""
    from p2c_analysis.params import utc_today

    today = utc_today()
    later: list[str] = []
    for name, label in FUTURE_DATE_PARAMETERS.items():
        value = str((parameters or {}).get(name) or "").strip()
        text = value[:10] if name == "as_of" else value  # as_of may carry a time
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            continue
        with contextlib.suppress(ValueError):
            if (day := dt.date.fromisoformat(text)) > today:
                later.append(f"{label}, {day}")
    if not later:
        return None
    dates = list_text(later)
    return (f"{dates[0].upper()}{dates[1:]}, {'is' if len(later) == 1 else 'are'} after today "
            f"({today}): the pledges and what this report says of them are as known today, as "
            "if nothing changed until then. That is a projection, not findings.")


def header(*args: Any, **kwargs: Any) -> Markdown:
    """The report header as displayable Markdown: :func:`header_text` (same arguments)."""
    return Markdown(header_text(*args, **kwargs))


# --- figures ---------------------------------------------------------------------------------


def show(fig, alt: str | None = None) -> None:
    """Display a figure in the notebook once, then close it (no duplicate display by the inline
    backend, no figures piling up in memory). ``alt``: the image's text alternative in the HTML
    page; ``None`` = made from the figure's titles, axis labels and legend
    (:func:`plots.alt_text`). A figure with nothing to draw (:func:`plots.nothing_drawn`: no
    bar has a value, no row has a ratio...) is not shown: one sentence names the chart and says
    why, instead of an empty frame."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from p2c_analysis.plots import alt_text, chart_title, nothing_drawn

    if (reason := nothing_drawn(fig)) is not None:
        title = chart_title(fig)
        display(say("No chart of {name}: {reason}.", name=f"“{title}”" if title else "this chart",
                    reason=reason))
    else:
        text = alt if alt is not None else alt_text(fig)
        display(fig, metadata={"image/png": {"alt": text}})
    plt.close(fig)


# --- output files ----------------------------------------------------------------------------

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Table names a report writes itself: a table of that name would be overwritten.
RESERVED_TABLES = frozenset({"columns"})


def output_file(output_dir: str | Path, name: str) -> Path:
    """``output_dir / name``, a file a report writes (a table, ``columns.csv``,
    ``data_files.json``, ``parameters.json``, ``summary.json``). :class:`ValueError`, one line
    naming it, when that path is a symbolic link: writing would follow it and change the file
    it points to, possibly outside the output folder (a shared ``output_dir`` given to a
    notebook run by hand; the runner's folders are always new)."""
    path = Path(output_dir) / name
    if path.is_symlink():
        raise ValueError(f"{path}: is a symbolic link; a report writes only inside its output "
                         "folder (remove the link, or give another output_dir)")
    return path


def write_tables(output_dir: str | Path, tables: Mapping[str, pd.DataFrame],
                 synthetic: bool = False, not_from_pledges: Collection[str] = ()) -> list[Path]:
    """Write each ``{name: DataFrame}`` as ``<output_dir>/<name>.csv`` through
    :func:`p2c_analysis.export.write_csv` (formula injection neutralised, lists joined,
    missing values empty). Names are plain file names (letters, digits, ``_.-``); ``.csv`` is
    added when missing. ``synthetic``: the report rests on synthetic pledges, and each table
    carries the mark, an ``is_synthetic`` column (:func:`p2c_analysis.export.mark_synthetic`),
    but those named in ``not_from_pledges``: tables that do not rest on the pledges at all
    (published totals, a scoring rubric), which a synthetic pledge file does not make
    synthetic. A name there that is not a table raises ``ValueError`` (a misspelt name would
    leave a table unmarked). Returns the paths written; ``output_dir=""`` writes nothing (an
    interactive session or nbval) and returns ``[]``."""
    from p2c_analysis.export import write_csv

    unknown = [n for n in not_from_pledges if n not in tables]
    if unknown:
        raise ValueError(f"write_tables: not_from_pledges names no table written: "
                         f"{', '.join(map(repr, unknown))}")
    for name in tables:
        if not _TABLE_NAME.match(name) or name in {".", ".."}:
            raise ValueError(f"write_tables: table name {name!r} is not a plain file name")
        if name.removesuffix(".csv") in RESERVED_TABLES:
            raise ValueError(f"write_tables: table name {name!r} is the report's own "
                             f"(its column docs); choose another")
    if not str(output_dir):
        return []
    out_dir = Path(output_dir)
    written = []
    for name, df in tables.items():
        file = name if name.endswith(".csv") else f"{name}.csv"
        written.append(write_csv(df, output_file(out_dir, file),
                                 synthetic=synthetic and name not in not_from_pledges))
    return written


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def write_provenance(
    output_dir: str | Path, parameters: Mapping[str, Any] | None = None
) -> Path | None:
    """Write ``<output_dir>/data_files.json`` = :func:`paths.files_read` (``{path: sha256}`` of
    every data file this process read; the runner merges it into ``manifest.json``), and, when
    ``parameters`` are given, ``<output_dir>/parameters.json`` with them (dates as ISO text).
    Returns the path of ``data_files.json``, or ``None`` when ``output_dir=""`` (write
    nothing)."""
    if not str(output_dir):
        return None
    out_dir = Path(output_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"write_provenance: output folder {out_dir} does not exist")
    target = output_file(out_dir, "data_files.json")
    write_file(target, (json.dumps(paths.files_read(), indent=2) + "\n").encode("utf-8"))
    if parameters is not None:
        recorded = {k: paths.shown(v) if isinstance(v, str) else v for k, v in parameters.items()}
        write_file(output_file(out_dir, "parameters.json"), (
            json.dumps(_jsonable(recorded), indent=2, default=str) + "\n").encode("utf-8"))
    return target


# --- a report's life: start, write, finish ---------------------------------------------------

#: The vintage of the bundled connectivity data, shown on a run's front page.
DATA_VINTAGE = "connectivity: ITU via WDI, vintage 13 July 2026"


class Report:
    """What a report notebook works with after :func:`start`: the validated parameters (as
    attributes: ``r.year``, ``r.as_of``, ``r.output_dir``...), the pledges (``r.pledges``, the
    valid canonical table; ``r.loaded``, the whole load result with its quarantine), and where
    its files go (:meth:`write`, :meth:`finish`)."""

    def __init__(self, title: str | None, parameters: Mapping[str, Any],
                 loaded: Any = None) -> None:
        self.title = title
        self.parameters = dict(parameters)
        self.loaded = loaded
        self.record = None  # the public record, when the pledges are the bundled ones
        #: valid pledges of a file left out as announced after ``as_of`` (:func:`announced_after`)
        self.after_as_of: pd.DataFrame | None = None
        #: pledges (of those analysed) whose own status is dated after ``as_of``, as the file
        #: states them: their status is left aside (:func:`evidence.split_reported_after`)
        self.statuses_after_as_of: pd.DataFrame | None = None
        self._analysed: pd.DataFrame | None = None  # the valid pledges less those, when any
        #: whether the report rests on synthetic data, when its pledges are not ``pledges``
        #: (a comparison of two tables); ``None``: :attr:`rests_on_synthetic` reads them
        self.synthetic: bool | None = None
        self.written: dict[str, list[str]] = {}
        #: files written by :func:`start` (rows set aside, pledges after ``as_of``...) that no
        #: sentence has named yet: the next :meth:`write` names them with its own
        self._unsaid: list[Path] = []

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("parameters", {})
        if name in params:
            return params[name]
        raise AttributeError(f"the report has no parameter or attribute {name!r}")

    @property
    def pledges(self) -> pd.DataFrame:
        """The pledges analysed (canonical table): the valid ones, without those of a file
        announced after ``as_of`` (:attr:`after_as_of`), and with the file's own statuses
        dated after ``as_of`` left aside (:attr:`statuses_after_as_of`; such a pledge's status
        is ``unknown``, its ``last_report_date`` NaT); ``ValueError`` when the report loads
        none."""
        if self.loaded is None:
            raise ValueError("this report has no 'pledges' parameter: no pledges loaded")
        analysed = self.__dict__.get("_analysed")
        return self.loaded.valid if analysed is None else analysed

    @property
    def rests_on_synthetic(self) -> bool:
        """Whether the report rests on synthetic data: :attr:`synthetic` when set, else whether
        any row of its pledge file is marked synthetic (:func:`rows_marked_synthetic`: a pledge
        analysed, one announced after the analysis date, or a row set aside). Every table it
        writes then carries the mark (:meth:`write`), and its front-page card says so
        (:meth:`finish`)."""
        if self.synthetic is not None:
            return bool(self.synthetic)
        return self._rows_synthetic

    @functools.cached_property
    def _rows_synthetic(self) -> bool:
        """:func:`rows_marked_synthetic` of the pledge file, read once (the set-aside rows'
        raw cells are JSON to parse); ``False`` with no pledge file."""
        return self.loaded is not None and rows_marked_synthetic(self.loaded)

    def write(self, *, not_from_pledges: Collection[str] = (),
              **tables: pd.DataFrame) -> Markdown:
        """Write the tables (:func:`write_tables`) into ``output_dir`` and their column docs
        (``columns.csv``, from :mod:`p2c_analysis.metrics`); return the sentence naming every
        file written, those :func:`start` wrote before (rows set aside, pledges announced or
        statuses dated after ``as_of``) included. With ``output_dir`` empty (an interactive
        session) nothing is written, and the sentence says so.

        A report on synthetic pledges (:attr:`rests_on_synthetic`) marks each table with an
        ``is_synthetic`` column, but those named in ``not_from_pledges``: tables that do not
        rest on the pledges at all (ITU's published totals and a pace drawn from them alone,
        the scoring rubric). A table that sets pledges beside published figures (a need
        against the USD pledged, a campaign total and the pledges counted in it) rests on the
        pledges and is marked."""
        written = self._write_quietly(not_from_pledges, **tables)
        if not str(self.parameters.get("output_dir", "")):
            return say("No file written: `output_dir` is empty (an interactive session); with "
                       "an output folder this cell writes {files} and columns.csv (their "
                       "columns described).",
                       files=list_text(f"{n.removesuffix('.csv')}.csv" for n in tables))
        files, self._unsaid = [*self._unsaid, *written], []
        return say("Wrote {files}, with {n:#its|their} columns described in columns.csv.",
                   files=list_text(p.name for p in files), n=len(files))

    def _write_quietly(self, not_from_pledges: Collection[str] = (), /,
                       **tables: pd.DataFrame) -> list[Path]:
        """:meth:`write` without its sentence: the paths written."""
        from p2c_analysis.export import mark_synthetic

        synthetic = self.rests_on_synthetic
        marked = {name: mark_synthetic(self._each_row_marked(df))
                  if synthetic and name not in not_from_pledges else df
                  for name, df in tables.items()}  # once: the writer keeps a mark it finds
        written = write_tables(self.parameters.get("output_dir", ""), marked, synthetic,
                               not_from_pledges)
        self.written.update({name: [str(c) for c in df.columns] for name, df in marked.items()})
        if written:
            write_column_docs(self.parameters["output_dir"], self.written)
        return written

    def _each_row_marked(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with each row's own ``is_synthetic`` when its rows are pledges
        (:meth:`_each_pledge_marked`) or rows set aside (``raw`` cells:
        :func:`marked_set_aside`); else as it is (every row is then marked)."""
        if "raw" in df.columns and "reasons" in df.columns:
            return marked_set_aside(df)
        return self._each_pledge_marked(df)

    def _each_pledge_marked(self, df: pd.DataFrame) -> pd.DataFrame:
        """A table with a row per pledge of the report (a ``pledge_id`` column, no
        ``is_synthetic``: scores, traffic lights, deliverables) given each row's own mark, its
        pledge's ``is_synthetic`` (real pledges of a file that mixes them with synthetic ones
        are not marked synthetic); a row whose id is not one of the report's pledges is marked
        (it rests on the file). Other tables as they are (:func:`export.mark_synthetic` marks
        every row of them)."""
        from p2c_analysis.export import SYNTHETIC_COLUMN

        if "pledge_id" not in df.columns or SYNTHETIC_COLUMN in df.columns or \
                self.loaded is None or SYNTHETIC_COLUMN not in self.pledges.columns:
            return df  # no pledges loaded here (a comparison): every row is marked
        pledges = self.pledges
        own = dict(zip(pledges["pledge_id"].astype("string"),
                       pledges[SYNTHETIC_COLUMN].astype("boolean").fillna(False), strict=True))
        flags = [bool(own.get(str(i), True)) if not is_missing(i) else True
                 for i in df["pledge_id"]]
        return df.assign(**{SYNTHETIC_COLUMN: pd.Series(flags, index=df.index, dtype="bool")})

    def _write_aside(self, **tables: pd.DataFrame) -> None:
        """Write side tables at the start (:func:`start`); the next :meth:`write` names them."""
        self._unsaid += self._write_quietly(**tables)

    def _set_aside_headline(self) -> list[tuple[str, str]]:
        """``[("Rows set aside", "2 of 2 read")]`` when the pledge file had rows set aside
        (quarantined), so a front-page card never shows "Pledges 0" alone; ``[]`` otherwise."""
        if self.loaded is None or self.loaded.quarantine.empty:
            return []
        return [("Rows set aside", f"{style.fmt_int(len(self.loaded.quarantine))} of "
                                   f"{style.fmt_int(self.loaded.n_read)} read")]

    def finish(self, headline: Iterable[tuple[str, str]] = (),
               synthetic: bool | None = None, scope: str | None = None) -> None:
        """Write the provenance (``data_files.json``, ``parameters.json``) and ``summary.json``
        (title, the ``headline`` numbers as ``(label, text)`` pairs, then the rows of the
        pledge file set aside when there are any, whether any pledge is
        synthetic, the data vintage, and ``pledge_scope`` when the pledges are the bundled
        public subset: :func:`public_subset_scope`) for the run's front page. ``synthetic``:
        whether the report rests on synthetic pledges (default: :attr:`rests_on_synthetic`;
        a report reading other tables says so itself, best by setting :attr:`synthetic` before
        it writes, so that its tables carry the mark too). ``scope``: the ``pledge_scope``
        of a report whose pledges are not ``r.pledges`` (a comparison of two tables).
        Nothing when ``output_dir`` is ``""``."""
        out = self.parameters.get("output_dir", "")
        if not str(out):
            return
        write_provenance(out, self.parameters)
        if synthetic is None:
            synthetic = self.rests_on_synthetic
        headline = [*headline, *self._set_aside_headline()]
        summary = {
            "title": self.title,
            "headline": [{"label": str(k), "value": str(v)} for k, v in headline],
            "is_synthetic": bool(synthetic),
            "data_vintage": DATA_VINTAGE,
        }
        if scope is None and self.record is not None and self.loaded is not None \
                and len(self.pledges):  # no pledge yet: no subset ("the 0 ... ones")
            scope = public_subset_scope(len(self.pledges), self.parameters.get("as_of"))
        if scope is not None:  # the bundled public subset: not the coalition's numbers
            summary["pledge_scope"] = str(scope)
        write_file(output_file(out, "summary.json"), (
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_column_docs(output_dir: str | Path, tables: Mapping[str, Iterable[str]]) -> Path:
    """``<output_dir>/columns.csv``: label, unit and definition of every column of the tables
    written (``{table name: columns}``), from the output and input registries."""
    from p2c_analysis import metrics
    from p2c_analysis.export import write_csv

    rows = metrics.data_dictionary({name: list(cols) for name, cols in tables.items()})
    return write_csv(pd.DataFrame(rows, columns=["table", "column", "label", "unit",
                                                 "definition"]),
                     output_file(output_dir, "columns.csv"))


def _load(values: Mapping[str, Any]) -> tuple[Any, Any]:
    """The pledges of a report: ``(LoadResult, PublicRecord or None)``."""
    from p2c_analysis.pledges import LoadResult, load_pledges

    if values["pledges"]:
        return load_pledges(values["pledges"], mapping=values.get("mapping") or None,
                            canonical_order=True), None
    from p2c_analysis import record

    rec = record.public_record(values.get("as_of"))
    view = LoadResult(valid=rec.pledges, quarantine=rec.quarantine, source=paths.PUBLIC_PLEDGES,
                      n_read=len(rec.pledges) + len(rec.quarantine))
    return view, rec


def _cut_at_as_of(r: Report, valid: pd.DataFrame, as_of: object) -> None:
    """A pledge file as of ``as_of``: set ``r.after_as_of`` (pledges announced after it) and
    ``r.statuses_after_as_of`` (the others whose own status is dated after it), the pledges
    analysed without the first and with the statuses of the second left aside; write each
    table that is not empty."""
    from p2c_analysis import evidence

    later = announced_after(valid, as_of).to_numpy()
    r.after_as_of = valid[later].reset_index(drop=True)
    analysed = valid[~later].reset_index(drop=True) if later.any() else valid
    known, r.statuses_after_as_of = evidence.split_reported_after(analysed, as_of)
    if later.any() or len(r.statuses_after_as_of):
        r._analysed = known
    if later.any():
        r._write_aside(**{AFTER_AS_OF_TABLE: r.after_as_of})
    if len(r.statuses_after_as_of):
        r._write_aside(**{STATUSES_AFTER_AS_OF_TABLE: r.statuses_after_as_of})


def country_reading(given: object, iso3: str) -> str | None:
    """How the report's country was read, when its name is ambiguous: the sentence of
    :meth:`countries.AmbiguousName.note` for ``given`` (the ``country`` parameter as written:
    ``"Congo"``) or, failing that, for the country's own display name (``COG`` is shown as
    "Congo"; the runner passes the ISO3 code); ``None`` when neither may mean another
    economy (``KEN``, ``"DR Congo"``)."""
    from p2c_analysis import countries

    for text in (given, countries.country_name(iso3)):
        entry = countries.ambiguous_reading(text)
        if entry is not None and entry.iso3 == iso3:
            return entry.note(str(text).strip())
    return None


def start(title: str | None = None, **parameters: Any) -> Report:
    """The set-up of a report notebook, in one call: validate the parameters
    (:func:`p2c_analysis.params.validate`; a bad value stops here with one line), apply the
    house style, load the pledges when the notebook has a ``pledges`` parameter, and show the
    header. ``pledges = ""`` is the bundled public record as known on ``as_of`` (today when the
    notebook has no ``as_of``): :func:`p2c_analysis.record.public_record`, kept as
    ``r.record``; a file is loaded with :func:`p2c_analysis.pledges.load_pledges` (``mapping``
    for other layouts). Rows of the pledges set aside are written with their reasons as
    :data:`SET_ASIDE_TABLE` (``.csv``) into ``output_dir``. When the notebook has an ``as_of``,
    the valid pledges of a file announced after it (:func:`announced_after`; undated ones stay)
    are left out of ``r.pledges``, kept as ``r.after_as_of``, counted in the header and written
    as :data:`AFTER_AS_OF_TABLE` (``.csv``). Likewise the file's own statuses whose report is
    dated after ``as_of`` are not known on it (:func:`p2c_analysis.evidence.split_reported_after`:
    the pledge's status is ``unknown``, never reported by then; a status with no report date
    stays known): the pledges are kept as ``r.statuses_after_as_of`` as the file states them,
    counted in the header and written as :data:`STATUSES_AFTER_AS_OF_TABLE` (``.csv``). The
    bundled public record applies the same rule to its dated evidence.

    ``title`` is a template filled with the validated parameters (``"Data for {year}"``), plus
    ``{country_name}`` when there is a ``country`` (also kept as ``r.country_name``; a name
    that may mean another economy, such as "Congo", is said under the title:
    :func:`country_reading`). Returns the :class:`Report`.
    """
    from p2c_analysis import params

    values = params.validate(**parameters)
    style.apply()
    fill = dict(values)
    if "country" in values:
        from p2c_analysis import countries

        fill["country_name"] = countries.country_name(values["country"])
    text = title.format(**fill) if title else None
    loaded, rec = (_load(values) if "pledges" in values else (None, None))
    r = Report(text, values, loaded)
    style.set_pledge_source(None if _is_public_file(values.get("pledges"))
                            else Path(values["pledges"]).name, synthetic=r.rests_on_synthetic)
    r.record = rec
    if loaded is not None and len(loaded.quarantine):
        r._write_aside(**{SET_ASIDE_TABLE: loaded.quarantine})
    if loaded is not None and rec is None and values.get("as_of") is not None:
        _cut_at_as_of(r, loaded.valid, values["as_of"])
    notes = []
    if "country_name" in fill:
        r.country_name = fill["country_name"]
        reading = country_reading(parameters.get("country"), values["country"])
        notes = [reading] if reading else []
    from IPython import get_ipython
    from IPython.display import display

    shown = header(text, r.pledges, values["pledges"], values,
                   quarantined=len(loaded.quarantine), mapping=values.get("mapping"),
                   unused_columns=loaded.unused_columns, record=rec,
                   hidden_columns=loaded.hidden_summary(),
                   after_as_of=0 if r.after_as_of is None else len(r.after_as_of),
                   statuses_after_as_of=0 if r.statuses_after_as_of is None
                   else len(r.statuses_after_as_of), notes=notes,
                   synthetic_rows=r.rests_on_synthetic) \
        if loaded is not None else header(text, parameters=values, notes=notes)
    if get_ipython() is None:  # a plain Python session: the text, not "<...Markdown object>"
        print(shown.data)
    else:
        display(shown)
    return r
