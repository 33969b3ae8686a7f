"""What a pledge's money is: value basis, known overlaps, stated and de-duplicated totals.

The coalition's headline ("USD 82 bn") adds up money of very different kinds: a yearly capital
budget multiplied by five years, a top-up on an earlier commitment, funds counted in two
campaigns, airtime given in kind, "over USD 1.4 bn" lower bounds. This module says, for every
pledge, what its value *is* (the ``value_basis`` fields of the canonical table, see
:mod:`p2c_analysis.fields`), and gives headline totals both as stated and without money that
was counted before, with every difference explained.

Value basis (one per pledge; the first rule that applies wins)
---------------------------------------------------------------
1. ``not_stated``: the pledge has no value (``estimated_value_usd`` NaN). Nothing to count.
2. A row of the curated ``data/harmonization/value_overlaps.csv`` naming the pledge (matched on
   pledger and title, case, accents and punctuation ignored) with a ``value_basis``: taken as
   is (reviewed like code, each row with a source URL and a note). A source column
   ``value_basis`` (a platform export that states it) is taken the same way. A curated row
   naming a later event (its ``known_from``) is not used in a record as known before that day
   (:func:`known_on`): the pledge is then read by the rules below.
3. ``re_announcement``: the value text, title, description or notes say the pledge is
   renewed, restated, re-announced, reaffirmed, reiterated or recommitted.
4. ``top_up``: "additional", "further", "extra", "another", "adds", "top-up of", "on top of"
   right before an amount (in the value text, title or description): more money on top of an
   earlier commitment.
5. ``in_kind``: the value text names a contribution in kind (airtime, equipment, devices,
   hardware, licences, vouchers, hours, "in kind", donation), or ``pledge_type`` is In-kind,
   or the title or description says "in kind", "airtime" or "donate(s/d)".
6. ``per_year_times_years``: a yearly rate multiplied by a stated number of years
   (:func:`p2c_analysis.parsing.parse_money_beside` the row's currency, as the loader reads
   it: ``per_year`` and ``multiplied``);
   ``value_years`` = the years.
7. ``per_year_single``: a yearly rate with no duration: the annual amount is counted once
   (the loader's rule), so the total understates the pledge; flagged here.
8. ``lower_bound`` ("more than", "over", "at least", "in excess of", "above", "exceeding") and
   ``upper_bound`` ("up to", "less than", "under") before the amount.
9. ``total``: anything else (a plain amount, "approximately", "nearly": approximate totals;
   a USD figure with no value text).

Stated or inferred. ``value_basis_inferred`` is True when the basis is a guess: read from the
title, description or notes (rules 3-5 outside the value text), or a yearly rate multiplied by
a duration found only in a hedged remark (MTN: "approximately US$2 billion per year (similar
over next five years)"). It is False when the basis comes from the value text itself, from
``pledge_type``, from a source column or from the curated file. ``value_basis_note`` says what
the basis rests on.

Money counted before. ``value_already_counted_usd`` is the part of a pledge's USD value that
was already counted in an earlier pledge or campaign: all of it for a re-announcement, the
curated amount where the curated file gives one (e.g. a top-up whose stated value includes the
earlier commitment), 0 otherwise (NaN without a value). The de-duplicated value is
``estimated_value_usd - value_already_counted_usd``. Pledges counted in two *campaign* totals
(the curated ``counted_in`` column, e.g. Canada's AI funds in the WSIS+20 2024 total and in the
AI pledge drive) are counted once in a pledge table; :func:`campaign_totals` shows what adding
the campaigns' published totals double counts.

Text is untrusted: every rule reads at most :data:`TEXT_EXAMINED_CHARS` characters of a cell,
and the patterns have no nested repetition (no catastrophic backtracking).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from p2c_analysis import parsing, paths
from p2c_analysis.limits import PLAUSIBLE_YEARS
from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import TEXT_EXAMINED_CHARS, VALUE_BASES, VALUE_NOT_STATED

if TYPE_CHECKING:
    from IPython.display import Markdown

OVERLAPS = paths.HARMONIZATION / "value_overlaps.csv"
OVERLAP_COLUMNS: tuple[str, ...] = (
    "pledger", "pledge_title", "value_basis", "repeats", "usd_already_counted", "counted_in",
    "source_url", "note",
)
#: Columns an overlaps file may leave out (then blank in every row).
OPTIONAL_OVERLAP_COLUMNS: tuple[str, ...] = ("known_from",)
#: The value-basis columns of the canonical table, in order.
BASIS_COLUMNS: tuple[str, ...] = (
    "value_basis", "value_basis_inferred", "value_basis_note", "value_years", "value_repeats",
    "value_already_counted_usd",
)
#: One line per basis, for tables and reports.
BASIS_DESCRIPTIONS: dict[str, str] = {
    "total": "one amount for the whole pledge (plain or approximate)",
    "per_year_times_years": "a yearly amount multiplied by the years stated",
    "per_year_single": "a yearly amount with no duration, counted once (understates)",
    "lower_bound": "'over', 'more than', 'at least': the amount is a floor",
    "upper_bound": "'up to', 'less than': the amount is a ceiling",
    "in_kind": "a contribution in kind (airtime, equipment, training hours) valued in money",
    "top_up": "more money on top of an earlier commitment",
    "re_announcement": "money announced and counted before",
    "not_stated": "no value stated",
}
assert tuple(BASIS_DESCRIPTIONS) == VALUE_BASES
#: A few words per basis, for a chart's axis (the codes read as jargon there).
BASIS_LABELS: dict[str, str] = {
    "total": "whole amount",
    "per_year_times_years": "yearly × years",
    "per_year_single": "yearly, counted once",
    "lower_bound": "at least",
    "upper_bound": "up to",
    "in_kind": "in kind",
    "top_up": "top-up",
    "re_announcement": "re-announced",
    "not_stated": "not stated",
}
assert tuple(BASIS_LABELS) == VALUE_BASES

# Words before an amount (as :func:`parsing.parse_money` reads them into ``Money.qualifier``).
_QUALIFIER_MEANINGS = [(w, m) for w, m, *_ in (*parsing.MONEY_QUALIFIERS,
                                               *parsing.MONEY_QUALIFIERS_AFTER)]
LOWER_BOUND_WORDS = frozenset(w for w, m in _QUALIFIER_MEANINGS if m == "lower bound")
UPPER_BOUND_WORDS = frozenset(w for w, m in _QUALIFIER_MEANINGS if m == "upper bound")

_CURRENCY = r"(?:[A-Z]{3}\s?|US\$\s?|[$€£¥₹]\s?)"
_RE_ANNOUNCE = re.compile(
    r"\b(?:renew(?:s|ed|ing)?|re-?announc(?:e|es|ed|ing|ement)|restat(?:e|es|ed|ing)"
    r"|reaffirm(?:s|ed|ing)?|reiterat(?:e|es|ed|ing)|re-?commit(?:s|ted|ting|ment)?)\b",
    re.IGNORECASE)
_TOP_UP = re.compile(  # before an amount of money: "another 500 towers" adds no money
    r"\b(?:additional|further|extra|another|adds?|added|adding|top[- ]?up(?: of)?|on top of)"
    rf"\s+(?:an?\s+)?{_CURRENCY}[0-9]", re.IGNORECASE)
_IN_KIND_VALUE = re.compile(
    r"\b(?:in[- ]kind|airtime|donat(?:e|es|ed|ing|ion|ions)|equipment|devices?|hardware"
    r"|licen[cs]es?|vouchers?|hours)\b", re.IGNORECASE)
_IN_KIND_TEXT = re.compile(r"\b(?:in[- ]kind|airtime|donat(?:e|es|ed|ing|ion|ions))\b",
                           re.IGNORECASE)
_DURATION = re.compile(r"\b(?:for|over)\s+(?:the\s+)?(?:next\s+|coming\s+)?"
                       r"(?:[0-9]{1,3}|[a-z]{3,9})\s+(?:years?|yrs?)\b", re.IGNORECASE)
#: A span of years (``2024-2026``, ``2024–26``, ``from 2024 to 2026``) or a number of years
#: times the amount (``x 4 years``): a duration in the value text too.
_YEARS_STATED = re.compile(r"\b(?:19|20)\d\d\s*(?:-|–|to|and)\s*(?:(?:19|20)\d\d|\d\d)\b"
                           r"|(?:[x×*]|\btimes)\s*\d{1,3}\s+years?\b", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^()]{0,2000}\)")
_WORDS_BEFORE = 40  # characters before a matched word kept in a note


@dataclass(frozen=True)
class BasisReading:
    """The value-basis fields of one pledge (see the module docstring)."""

    basis: str
    inferred: bool
    note: str
    years: int | None = None
    repeats: str | None = None
    already_counted_usd: float = float("nan")

    def as_fields(self) -> dict[str, object]:
        """The six canonical columns (:data:`BASIS_COLUMNS`) of this reading."""
        return dict(zip(BASIS_COLUMNS, (self.basis, self.inferred, self.note, self.years,
                                        self.repeats, self.already_counted_usd), strict=True))


# --- the curated overlaps file -------------------------------------------------------------------

def _key(text: object) -> str:
    """Matching key of a pledger or title: case, accents, punctuation and spacing ignored."""
    from p2c_analysis.countries import normalise_name

    return "" if parsing.is_not_stated(text) else normalise_name(str(text))


def load_overlaps(path: str | Path | None = None) -> pd.DataFrame:
    """The curated overlaps file (default ``data/harmonization/value_overlaps.csv``).

    Columns :data:`OVERLAP_COLUMNS`: ``value_basis`` (one of :data:`VALUE_BASES` or ``<NA>`` =
    keep the rule-based basis), ``repeats`` (text reference), ``usd_already_counted`` (float,
    NaN = the rule's default), ``counted_in`` (list of campaign names, in the order they counted
    the pledge; the names of ``published_aggregates*.csv``), ``source_url``, ``note``, and
    ``known_from`` (optional column; a day, ``YYYY-MM-DD``): the day by which everything the row
    states was public, when it names an event later than the pledge (Canada's AI funds, counted
    again in the AI pledge drive of May 2024); ``NaT`` = known with the pledge. A record as
    known before that day reads the pledge without the row (:func:`known_on`).
    Raises ``ValueError`` naming the row for a missing source URL or note, an unknown basis, a
    negative amount, a ``known_from`` that is not a day ``YYYY-MM-DD`` in
    :data:`~p2c_analysis.limits.PLAUSIBLE_YEARS` or a pledge listed twice.
    """
    p = paths.track(OVERLAPS if path is None else path)
    return _load_overlaps(p, p.stat().st_mtime_ns).copy()


@functools.cache
def _load_overlaps(p: Path, _mtime_ns: int) -> pd.DataFrame:
    raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in OVERLAP_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{p.name}: missing column(s) {missing}")
    for col in OPTIONAL_OVERLAP_COLUMNS:
        if col not in raw.columns:
            raw[col] = ""
    out = raw.loc[:, [*OVERLAP_COLUMNS, *OPTIONAL_OVERLAP_COLUMNS]].apply(lambda s: s.str.strip())
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(out.itertuples(index=False), start=2):
        where = f"{p.name}: row {i}"
        if not r.pledger or not r.pledge_title:
            raise ValueError(f"{where}: pledger and pledge_title are required")
        if not r.source_url.startswith(("http://", "https://")) or not r.note:
            raise ValueError(f"{where}: every row needs a source_url and a note")
        if r.value_basis and r.value_basis not in VALUE_BASES:
            raise ValueError(f"{where}: unknown value_basis {r.value_basis!r}")
        if r.usd_already_counted and not float(r.usd_already_counted) >= 0:
            raise ValueError(f"{where}: usd_already_counted must be >= 0")
        if r.known_from and not _is_day(r.known_from):
            raise ValueError(f"{where}: known_from must be a day, YYYY-MM-DD, in "
                             f"{PLAUSIBLE_YEARS[0]}-{PLAUSIBLE_YEARS[1]} (got "
                             f"{r.known_from[:40]!r})")
        key = (_key(r.pledger), _key(r.pledge_title))
        if key in seen:
            raise ValueError(f"{where}: same pledge as row {seen[key]}")
        seen[key] = i
    out["value_basis"] = out["value_basis"].replace("", pd.NA).astype("string")
    out["repeats"] = out["repeats"].replace("", pd.NA).astype("string")
    out["usd_already_counted"] = pd.to_numeric(out["usd_already_counted"].replace("", np.nan))
    out["counted_in"] = [[c.strip() for c in s.split(";") if c.strip()]
                         for s in out["counted_in"]]
    out["known_from"] = pd.to_datetime(out["known_from"].replace("", None), format="%Y-%m-%d"
                                       ).astype("datetime64[ns]")
    return out


def _is_day(text: str) -> bool:
    """Whether ``text`` is a calendar day written ``YYYY-MM-DD`` (no other ISO form) in a year
    a pledge's dates may have (:data:`p2c_analysis.limits.PLAUSIBLE_YEARS`)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return False
    return PLAUSIBLE_YEARS[0] <= day.year <= PLAUSIBLE_YEARS[1]


def known_on(pledges: pd.DataFrame, when: object, overlaps: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """``pledges`` with their value basis as it could be read on ``when`` (a date).

    A pledge whose curated overlaps row (:func:`load_overlaps`) is dated after ``when``
    (``known_from``) is read again by :func:`ensure_value_basis` with only the rows known by
    then, as if its row did not exist yet: the row's note, ``repeats`` and basis name events of
    a later day. Every other row is kept as it is. Returns ``pledges`` itself when no row is
    read again, else a copy.
    """
    ov = load_overlaps() if overlaps is None else overlaps
    later = ov["known_from"].notna() & (ov["known_from"] > pd.Timestamp(when))
    if not later.any() or pledges.empty:
        return pledges
    keys = set(_overlap_index(ov[later]))
    todo = np.array([(_key(a), _key(b)) in keys for a, b in
                     zip(pledges["pledger"], pledges["title"], strict=True)], dtype=bool)
    if not todo.any():
        return pledges
    out = pledges.copy()
    out.loc[todo, "value_basis"] = pd.NA  # what ensure_value_basis reads
    return ensure_value_basis(out, ov[~later])


def _overlap_index(overlaps: pd.DataFrame) -> dict[tuple[str, str], dict]:
    return {(_key(r["pledger"]), _key(r["pledge_title"])): r
            for r in overlaps.to_dict("records")}


# --- reading one pledge --------------------------------------------------------------------------

def _cap(text: object) -> str:
    """A text cell as a string, at most :data:`TEXT_EXAMINED_CHARS` characters ('' if missing)."""
    return "" if parsing.is_not_stated(text) else str(text)[:TEXT_EXAMINED_CHARS]


def _quote(text: str, m: re.Match) -> str:
    """The matched words with a little context, for a note."""
    start = max(0, m.start() - _WORDS_BEFORE)
    snippet = re.sub(r"\s+", " ", text[start:m.end() + 12]).strip()
    return ("..." if start else "") + snippet + "..."


#: A word that turns the cue after it around ("not a re-announcement", "no equipment
#: donation"), up to two words before it in the same clause.
_NEGATED = re.compile(r"\b(?:not|no|never|non|nor|without)\b(?:[\s-]+[\w$€£]+){0,2}[\s-]*$",
                      re.IGNORECASE)


def _first_match(pattern: re.Pattern, cells: Iterable[tuple[str, str]]):
    """(field name, match, text) of the first cell where ``pattern`` matches and is not
    negated (:data:`_NEGATED`), else None."""
    for name, text in cells:
        for m in pattern.finditer(text or ""):
            if not _NEGATED.search(text[max(0, m.start() - 40):m.start()]):
                return name, m, text
    return None


def _money(value_as_stated: object, currency: object = None) -> parsing.Money | None:
    """The value text as the loader reads it: beside the row's currency (ISO code, the
    loader's ``currency`` field; None/NaN = not known), which settles a sign of several
    currencies (``¥``, ``R``, ``$``); None when the text is not readable money."""
    code = currency if isinstance(currency, str) and currency else None
    try:
        return parsing.parse_money_beside(value_as_stated, code)
    except parsing.ParseError:
        return None


def read_value_basis(
    value_as_stated: object = None,
    usd: float | None = None,
    *,
    title: object = None,
    description: object = None,
    notes: object = None,
    pledge_type: object = None,
    stated_basis: object = None,
    curated: Mapping | None = None,
    currency: object = None,
) -> BasisReading:
    """The value basis of one pledge from its cells (rules: module docstring).

    ``usd`` is the pledge's ``estimated_value_usd`` (None/NaN = no value); ``curated`` a row of
    :func:`load_overlaps` naming the pledge; ``stated_basis`` a source cell stating the basis
    (one of :data:`VALUE_BASES`; raises :class:`parsing.ParseError` for other text);
    ``currency`` the row's ISO currency as the loader read it (None = not known), beside which
    the value text is read, as the loader reads it (:func:`parsing.parse_money_beside`).
    """
    has_value = usd is not None and not pd.isna(usd) and float(usd) > 0
    value_text = _cap(value_as_stated)
    money = _money(value_text, currency) if value_text else None
    years = money.years if money is not None and money.years else None
    repeats = None
    curated_usd = float("nan")
    curated_basis = None
    if curated is not None:
        repeats = None if pd.isna(curated.get("repeats")) else str(curated["repeats"])
        curated_usd = float(curated.get("usd_already_counted", float("nan")))
        if not pd.isna(curated.get("value_basis")):
            curated_basis = str(curated["value_basis"])
    stated = None
    if not parsing.is_not_stated(stated_basis):
        stated = re.sub(r"[\s\-]+", "_", str(stated_basis).strip().lower())
        if stated not in VALUE_BASES:
            raise parsing.ParseError("unknown value basis", str(stated_basis))

    def done(basis: str, inferred: bool, note: str) -> BasisReading:
        if not has_value:
            counted = float("nan")
        elif not np.isnan(curated_usd):
            counted = min(curated_usd, float(usd))
        else:
            counted = float(usd) if basis == "re_announcement" else 0.0
        return BasisReading(basis, inferred, note, years, repeats, counted)

    if not has_value:
        return done(VALUE_NOT_STATED, False, "no value stated")
    if curated_basis is not None:
        return done(curated_basis, False,
                    f"curated ({OVERLAPS.name}): {curated.get('note', '')}".strip())
    if stated is not None:
        return done(stated, False, STATED_BASIS_NOTE)

    texts = {"value_as_stated": value_text, "title": _cap(title),
             "description": _cap(description), "notes": _cap(notes)}
    hit = _first_match(_RE_ANNOUNCE, texts.items())
    if hit:
        name, m, text = hit
        return done("re_announcement", name != "value_as_stated",
                    f"'{m.group(0)}' in {name}: {_quote(text, m)}")
    hit = _first_match(_TOP_UP, ((k, texts[k]) for k in ("value_as_stated", "title",
                                                         "description")))
    if hit:
        name, m, text = hit
        return done("top_up", name != "value_as_stated",
                    f"'{m.group(0)[:-1].strip()}' before an amount in {name}: "
                    f"{_quote(text, m)}")
    if value_text and (m := _IN_KIND_VALUE.search(value_text)):
        return done("in_kind", False, f"'{m.group(0)}' in value_as_stated")
    if not parsing.is_not_stated(pledge_type) and str(pledge_type) == "In-kind":
        return done("in_kind", False, "pledge_type In-kind")
    hit = _first_match(_IN_KIND_TEXT, ((k, texts[k]) for k in ("title", "description")))
    if hit:
        name, m, text = hit
        return done("in_kind", True, f"'{m.group(0)}' in {name}: {_quote(text, m)}")
    if money is not None and money.per_year and money.multiplied:
        main = _PARENTHESES.sub(" ", value_text)
        in_main = _DURATION.search(main) is not None or _YEARS_STATED.search(main) is not None
        where = "the value text" if in_main else "a remark in brackets, not the amount itself"
        return done("per_year_times_years", not in_main,
                    f"a yearly amount times {money.years} years; the duration is in {where}")
    if money is not None and money.per_year:
        return done("per_year_single", False,
                    "a yearly amount with no duration: the annual amount is counted once")
    qualifier = money.qualifier if money is not None else None
    if money is not None and money.range_high is not None and qualifier not in UPPER_BOUND_WORDS:
        return done("lower_bound", False, f"a range stated ({money.amount:,.0f} to "
                                          f"{money.range_high:,.0f}): its lower end is taken")
    if qualifier in LOWER_BOUND_WORDS:
        return done("lower_bound", False, f"'{qualifier}' before the amount")
    if qualifier in UPPER_BOUND_WORDS:
        return done("upper_bound", False, f"'{qualifier}' before the amount")
    if money is None and value_text:
        return done("total", True, "value text not readable; the USD figure is read as a total")
    if money is None:
        return done("total", False, "a USD figure with no value text, read as a total")
    if qualifier:
        return done("total", False, f"'{qualifier}': an approximate total")
    return done("total", False, "a plain amount")


#: The note of a value basis read from the source's ``value_basis`` column.
STATED_BASIS_NOTE = "stated in the source's value_basis column"


class BasisReader:
    """The loader's hook: value-basis fields of a parsed row (see :mod:`p2c_analysis.pledges`).

    Reads the curated overlaps file once. :meth:`read` takes the row's canonical record (after
    the value is parsed) and its mapped source cells, appends parse problems to ``reasons`` and
    returns the six :data:`BASIS_COLUMNS` fields.
    """

    def __init__(self, overlaps: pd.DataFrame | None = None) -> None:
        self._curated = _overlap_index(load_overlaps() if overlaps is None else overlaps)

    def curated(self, pledger: object, title: object) -> dict | None:
        """The curated row naming this pledge, if any."""
        return self._curated.get((_key(pledger), _key(title)))

    def read(self, rec: Mapping, cells: Mapping, reasons: list[str] | None = None) -> dict:
        """The value-basis fields of one row; an unreadable stated basis or years cell adds a
        reason (the row is then quarantined by the loader)."""
        try:
            reading = read_value_basis(
                rec.get("value_as_stated"), rec.get("estimated_value_usd"),
                title=rec.get("title"), description=rec.get("description"),
                notes=cells.get("notes"), pledge_type=rec.get("pledge_type"),
                stated_basis=cells.get("value_basis"),
                curated=self.curated(rec.get("pledger"), rec.get("title")),
                currency=rec.get("currency"))
        except parsing.ParseError as err:
            if reasons is not None:
                reasons.append(f"{err.kind}: {err.text!r} in value_basis")
            reading = read_value_basis(rec.get("value_as_stated"), rec.get("estimated_value_usd"),
                                       currency=rec.get("currency"))
        out = reading.as_fields()
        if reading.note == STATED_BASIS_NOTE:  # a canonical export read again keeps its own
            note = parsing.clean_text(cells.get("value_basis_note"))
            if note:
                out["value_basis_note"] = note
            with contextlib.suppress(parsing.ParseError):
                inferred = parsing.parse_bool(cells.get("value_basis_inferred"))
                if inferred is not None:
                    out["value_basis_inferred"] = inferred
        years = cells.get("value_years")
        if not parsing.is_not_stated(years):
            text = str(years).strip().removesuffix(".0")
            if text.isdigit() and 0 < int(text) <= 100:
                out["value_years"] = int(text)
            elif reasons is not None:
                reasons.append(f"unparseable value years: {str(years)!r} in value_years")
        return out


# --- frames --------------------------------------------------------------------------------------

def ensure_value_basis(pledges: pd.DataFrame, overlaps: pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """``pledges`` with the value-basis columns filled where ``value_basis`` is missing.

    Rows the loader (or :func:`p2c_analysis.synthetic.make_pledges`) already read are kept as
    they are; other rows (a frame built by hand, an older export) are read with
    :func:`read_value_basis` and the curated overlaps. Returns the same frame when nothing is
    missing, else a copy.
    """
    if "value_basis" in pledges.columns and not pledges["value_basis"].isna().any():
        return pledges
    out = pledges.copy()
    todo = (np.ones(len(out), dtype=bool) if "value_basis" not in out.columns
            else out["value_basis"].isna().to_numpy())
    reader = BasisReader(overlaps)
    records = out.loc[todo].to_dict("records")
    read = [reader.read(r, {"notes": r.get("notes")}) for r in records]
    for col in BASIS_COLUMNS:
        vals = [r[col] for r in read]
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), index=out.index, dtype="object")
        full = out[col].astype("object").to_numpy(copy=True)
        full[todo] = np.array(vals, dtype="object") if vals else full[todo]
        out[col] = full
    out["value_basis"] = out["value_basis"].astype("string")
    out["value_basis_inferred"] = out["value_basis_inferred"].fillna(False).astype(bool)
    out["value_basis_note"] = out["value_basis_note"].astype("string")
    out["value_years"] = pd.to_numeric(out["value_years"]).astype("Int64")
    out["value_repeats"] = out["value_repeats"].astype("string")
    out["value_already_counted_usd"] = pd.to_numeric(out["value_already_counted_usd"]
                                                     ).astype("float64")
    return out


def _usd(pledges: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(pledges["estimated_value_usd"], errors="coerce").to_numpy(float)


def deduplicated_usd(pledges: pd.DataFrame) -> pd.Series:
    """Per pledge: USD value without money counted before (``estimated_value_usd -
    value_already_counted_usd``; NaN without a value). Index of ``pledges``."""
    p = ensure_value_basis(pledges)
    usd = _usd(p)
    counted = np.nan_to_num(p["value_already_counted_usd"].to_numpy(float))
    return pd.Series(usd - np.where(np.isnan(usd), 0.0, counted), index=pledges.index,
                     name="usd_deduplicated")


VALUE_BASIS_TABLE_COLUMNS: tuple[str, ...] = (
    "value_basis", "description", "pledges", "pledges_inferred", "pledges_with_value",
    "usd_stated", "usd_already_counted", "usd_deduplicated", "usd_stated_share_pct",
    "usd_deduplicated_share_pct",
)


def value_basis_table(pledges: pd.DataFrame) -> pd.DataFrame:
    """USD and pledges by value basis, stated and de-duplicated: the ``value_basis`` table.

    Columns :data:`VALUE_BASIS_TABLE_COLUMNS`, one row per basis in :data:`VALUE_BASES` order
    (every basis listed, 0 pledges included), then a row ``value_basis = "all"``.
    ``pledges_inferred``: of them, pledges whose basis is a guess. USD columns sum stated
    values (NaN where no pledge of the row has a value, never 0 for "no value");
    ``usd_already_counted`` is money counted before (re-announcements, curated overlaps) and
    ``usd_deduplicated = usd_stated - usd_already_counted``; shares are of the "all" row.
    """
    p = ensure_value_basis(pledges)
    usd = _usd(p)
    counted = p["value_already_counted_usd"].to_numpy(float)
    df = pd.DataFrame({
        "value_basis": p["value_basis"].astype("string").array,
        "inferred": p["value_basis_inferred"].to_numpy(bool),
        "usd": usd,
        "counted": np.where(np.isnan(usd), np.nan, np.nan_to_num(counted)),
    })
    g = df.groupby("value_basis", sort=False)
    out = pd.DataFrame({
        "pledges": g.size(),
        "pledges_inferred": g["inferred"].sum(),
        "pledges_with_value": g["usd"].count(),
        "usd_stated": g["usd"].sum(min_count=1),
        "usd_already_counted": g["counted"].sum(min_count=1),
    }).reindex(list(VALUE_BASES))
    total = pd.DataFrame({
        "pledges": [len(df)], "pledges_inferred": [int(df["inferred"].sum())],
        "pledges_with_value": [int(df["usd"].notna().sum())],
        "usd_stated": [df["usd"].sum(min_count=1)],
        "usd_already_counted": [df["counted"].sum(min_count=1)],
    }, index=["all"])
    out = pd.concat([out, total])
    for col in ("pledges", "pledges_inferred", "pledges_with_value"):
        out[col] = out[col].fillna(0).astype("int64")
    out["usd_deduplicated"] = out["usd_stated"] - out["usd_already_counted"]
    all_stated = out.at["all", "usd_stated"]
    all_dedup = out.at["all", "usd_deduplicated"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["usd_stated_share_pct"] = 100.0 * out["usd_stated"] / all_stated
        out["usd_deduplicated_share_pct"] = 100.0 * out["usd_deduplicated"] / all_dedup
    out["description"] = [BASIS_DESCRIPTIONS.get(b, "all pledges") for b in out.index]
    out.index.name = "value_basis"
    return out.reset_index()[list(VALUE_BASIS_TABLE_COLUMNS)]


def basis_shown(table: pd.DataFrame) -> pd.DataFrame:
    """A table with a ``value_basis`` column (:func:`value_basis_table`,
    :func:`headline_totals`) as a report shows it: each basis by its label
    (:data:`BASIS_LABELS`: "yearly × years", not "per_year_times_years"); anything else
    (the ``"all"`` row of :func:`value_basis_table`) as it is, missing stays missing. The CSV
    keeps the codes."""
    return table.assign(value_basis=table["value_basis"].map(
        lambda b: BASIS_LABELS.get(b, b), na_action="ignore").astype("string"))


HEADLINE_COLUMNS: tuple[str, ...] = (
    "line", "pledge_id", "title", "pledger", "value_basis", "usd", "running_usd", "explanation",
)


def _stated_total_basis(usd: np.ndarray) -> str:
    """What the stated total sums (``usd``: each pledge's stated USD, NaN = no value)."""
    n, valued = len(usd), int(np.isfinite(usd).sum())
    if n == 0:
        return "no pledge: nothing to sum"
    if valued == 0:
        return f"no stated value among the {n:,} pledge{'' if n == 1 else 's'}: nothing to sum"
    return (f"sum of the stated values of {valued:,} of {n:,} pledge{'' if n == 1 else 's'} "
            "(no value: not counted)")


def headline_totals(pledges: pd.DataFrame) -> pd.DataFrame:
    """The stated total, each deduction of money counted before, the de-duplicated total.

    Columns :data:`HEADLINE_COLUMNS`. First row ``line = "stated total"`` (sum of
    ``estimated_value_usd``), then one row ``line = "counted before"`` per pledge with
    ``value_already_counted_usd > 0`` (``usd`` negative, largest first, ``explanation`` = its
    basis note and what it repeats), then ``line = "de-duplicated total"``. ``running_usd`` is
    the total after each line. Pledge columns are ``<NA>`` on the two total rows.
    """
    p = ensure_value_basis(pledges)
    usd = _usd(p)
    stated = float(np.nansum(usd))
    counted = np.where(np.isnan(usd), 0.0, np.nan_to_num(p["value_already_counted_usd"]
                                                         .to_numpy(float)))
    rows = [{"line": "stated total", "usd": stated, "explanation": _stated_total_basis(usd)}]
    for i in np.argsort(-counted, kind="stable"):
        if counted[i] <= 0:
            break
        r = p.iloc[i]
        what = BASIS_DESCRIPTIONS.get(str(r["value_basis"]), "")
        reps = r["value_repeats"]
        rows.append({
            "line": "counted before", "pledge_id": r["pledge_id"], "title": r["title"],
            "pledger": r["pledger"], "value_basis": r["value_basis"], "usd": -counted[i],
            "explanation": f"{BASIS_LABELS.get(str(r['value_basis']), r['value_basis'])} "
                           f"({what})"
                           + ("" if pd.isna(reps) else f"; repeats: {reps}")
                           + ("" if pd.isna(r["value_basis_note"])
                              else f"; read from: {r['value_basis_note']}"),
        })
    rows.append({"line": "de-duplicated total", "usd": stated - float(counted.sum()),
                 "explanation": "stated total minus money counted before"})
    out = pd.DataFrame(rows).reindex(columns=list(HEADLINE_COLUMNS))
    out["running_usd"] = out["usd"].where(out["line"] != "de-duplicated total", 0.0).cumsum()
    out.loc[out.index[-1], "running_usd"] = out["usd"].iloc[-1]
    for col in ("pledge_id", "title", "pledger", "value_basis", "line", "explanation"):
        out[col] = out[col].astype("string")
    return out


def headline_summary(pledges: pd.DataFrame) -> dict[str, float | int]:
    """Headline numbers for prose: ``pledges``, ``pledges_with_value``, ``usd_stated``,
    ``usd_already_counted``, ``usd_deduplicated``, ``pledges_counted_before``, and the USD
    resting on each caveat: ``usd_lower_bound``, ``usd_upper_bound``, ``usd_per_year_single``
    (annual amounts counted once), ``usd_per_year_times_years``, ``usd_in_kind``,
    ``usd_top_up``, ``usd_inferred`` (basis is a guess). With no pledge stating a value,
    ``usd_stated``, ``usd_already_counted`` and ``usd_deduplicated`` are NaN (not known), not
    0."""
    p = ensure_value_basis(pledges)
    usd = _usd(p)
    v = np.nan_to_num(usd)
    counted = np.where(np.isnan(usd), 0.0, np.nan_to_num(p["value_already_counted_usd"]
                                                         .to_numpy(float)))
    basis = p["value_basis"].astype(str).to_numpy()
    out: dict[str, float | int] = {
        "pledges": len(p), "pledges_with_value": int(np.isfinite(usd).sum()),
        "usd_stated": float(v.sum()), "usd_already_counted": float(counted.sum()),
        "usd_deduplicated": float(v.sum() - counted.sum()),
        "pledges_counted_before": int((counted > 0).sum()),
    }
    for b in ("lower_bound", "upper_bound", "per_year_single", "per_year_times_years",
              "in_kind", "top_up"):
        out[f"usd_{b}"] = float(v[basis == b].sum())
    out["usd_inferred"] = float(v[p["value_basis_inferred"].to_numpy(bool)].sum())
    if not out["pledges_with_value"]:  # nothing stated: unknown, never "USD 0"
        out.update(usd_stated=np.nan, usd_already_counted=np.nan, usd_deduplicated=np.nan)
    return out


#: What the USD under each caveat key of :func:`headline_summary` is, as said after the amount
#: by :func:`stated_total_text`: an amount of money takes a singular verb ("USD 1.20 M is in
#: contributions in kind", not "USD 1.20 M are contributions in kind").
STATED_TOTAL_CAVEATS: dict[str, str] = {
    "usd_per_year_times_years": "is in yearly amounts multiplied by the years stated",
    "usd_lower_bound": "is in floors ('over', 'at least': the amount may be higher)",
    "usd_upper_bound": "is in ceilings ('up to')",
    "usd_per_year_single": "is in yearly amounts with no duration, counted once (the total "
                           "understates them)",
    "usd_in_kind": "is in contributions in kind valued in money",
    "usd_top_up": "is in top-ups on earlier commitments",
    "usd_inferred": "rests on a value basis inferred from the text rather than read from the "
                    "value itself",
}


def stated_total_text(summary: Mapping[str, float | int],
                      caveats: Mapping[str, str] | None = None) -> Markdown:
    """The sentence on the stated values of a :func:`headline_summary` (``summary``): how many
    pledges state a value, their total as stated and without money counted before, and what
    the stated total rests on: ``caveats`` (default :data:`STATED_TOTAL_CAVEATS`) maps a summary
    key (``"usd_lower_bound"``) to what the USD under it is, with a singular verb, since its
    subject is an amount (``"is in floors ..."``), named when above 0. Markdown from trusted
    text only (counts, amounts, the caller's words). One pledge, all pledges stating a value and no
    money counted before read as such, not "The 1 pledge stating a value (of 1) adds up to USD
    163 M as stated and USD 163 M without money counted before (0 pledges)"."""
    from IPython.display import Markdown

    from p2c_analysis import report, style

    n, nv = int(summary["pledges"]), int(summary["pledges_with_value"])
    if nv == 0:
        return Markdown("No pledge states a value.")
    stated = f"**{style.fmt_usd(summary['usd_stated'])}**"
    if n == 1:
        lead = f"The pledge states a value, {stated}"
    elif nv == 1:
        lead = f"1 of the {n:,} pledges states a value, {stated}"
    else:
        who = report.of_the(nv, n, "pledge")
        lead = f"{capitalised(who)} state a value, together {stated} as stated"
    k = int(summary["pledges_counted_before"])
    if k:
        dedup = (f", and **{style.fmt_usd(summary['usd_deduplicated'])}** without the "
                 f"{style.fmt_usd(summary['usd_already_counted'])} of "
                 f"{report.plural(k, 'pledge')} repeating money counted before")
    else:
        dedup = ("; it repeats no money counted before" if nv == 1 else
                 "; none of them repeats money counted before")
    named = [f"{style.fmt_usd(summary[key])} {what}" for key, what in
             (STATED_TOTAL_CAVEATS if caveats is None else caveats).items()
             if summary[key] > 0]
    if not named:  # not "Of the stated total, the amount is one total for the pledge."
        return Markdown(f"{lead}{dedup}. " + ("The amount is one total for the whole pledge."
                                              if nv == 1 else
                                              "Every amount is one total for its whole pledge."))
    return Markdown(f"{lead}{dedup}. Of the stated total, {report.list_text(named)}.")


CAMPAIGN_COLUMNS: tuple[str, ...] = (
    "campaign", "date", "date_as_stated", "usd_stated", "usd_counted_in_earlier_campaign",
    "usd_deduplicated",
    "pledges_counted_earlier", "explanation", "source_url",
)


def _rounding_step(value: float) -> float:
    """The step a published amount is rounded to: the largest power of ten dividing it
    (``1.76e9`` -> ``1e7``: "USD 1.76 bn"); 1 for an amount given to the dollar or less."""
    if not math.isfinite(value) or value <= 0 or value != int(value):
        return 1.0
    step, v = 1, int(round(value))
    while v % (step * 10) == 0:
        step *= 10
    return float(step)


def campaign_totals(pledges: pd.DataFrame, published: pd.DataFrame | None = None,
                    overlaps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published campaign totals and what adding them up counts twice.

    A campaign total is a published figure of new value at one event or drive
    (``published_aggregates*.csv``: metric ``new_value_usd`` by ``event``, or a ``*_value_usd``
    metric by ``campaign``). A pledge the curated overlaps file says was counted in several
    campaigns (``counted_in``, first counted first) is counted again in each later one: its
    USD (from ``pledges``, matched on pledger and title) is
    ``usd_counted_in_earlier_campaign`` there. Columns :data:`CAMPAIGN_COLUMNS`, one row per
    campaign by the end of its stated period (a campaign stated for a month, ``2024-05``, comes
    after one stated for a day of that month), then ``campaign = "sum of campaigns"``. A
    curated pledge missing from ``pledges`` (or stating no value there) is named in
    ``explanation`` and counted in ``pledges_counted_earlier``, but its USD is unknown here: the
    campaign's ``usd_counted_in_earlier_campaign`` and ``usd_deduplicated`` are then NaN (not
    0 and the whole published total, which would say that nothing was counted twice), and so
    are the sum row's.
    """
    from p2c_analysis import milestones, style

    if published is None:
        published = pd.concat([milestones.load_published(paths.PUBLISHED_AGGREGATES),
                               milestones.load_published(paths.PUBLISHED_AGGREGATES_ADDITIONS)],
                              ignore_index=True)
    metric = published["metric"].astype(str)
    dim = published["breakdown_dimension"].astype("string").fillna("")
    is_campaign = ((metric == "new_value_usd") & (dim == "event")) | (
        metric.str.endswith("_value_usd") & (dim == "campaign"))
    camp = published.loc[is_campaign]
    camp = camp.iloc[np.argsort(milestones.period_end(camp).to_numpy(), kind="stable")]
    camp = camp.drop_duplicates("breakdown_value", keep="first")
    ov = load_overlaps() if overlaps is None else overlaps
    p = ensure_value_basis(pledges)
    usd_by_key = {(_key(a), _key(b)): u for a, b, u in
                  zip(p["pledger"], p["title"], _usd(p), strict=True)}
    extra: dict[str, float] = {}
    n_extra: dict[str, int] = {}
    n_unknown: dict[str, int] = {}
    notes: dict[str, list[str]] = {}
    for r in ov.to_dict("records"):
        for later in r["counted_in"][1:]:
            u = usd_by_key.get((_key(r["pledger"]), _key(r["pledge_title"])))
            first = r["counted_in"][0]
            if u is None or np.isnan(u):
                where = ("not in this pledge table" if u is None else
                         "stating no USD value in this pledge table")
                notes.setdefault(later, []).append(
                    f"{r['pledger']}, '{r['pledge_title']}': also in {first}, {where} "
                    "(USD unknown here)")
                n_unknown[later] = n_unknown.get(later, 0) + 1
                continue
            extra[later] = extra.get(later, 0.0) + float(u)
            n_extra[later] = n_extra.get(later, 0) + 1
            notes.setdefault(later, []).append(
                f"{r['pledger']}, '{r['pledge_title']}' (USD {u / 1e9:,.3f} bn) already "
                f"counted in {first}")
    rows = []
    for r in camp.to_dict("records"):
        name = str(r["breakdown_value"])
        unknown = n_unknown.get(name, 0) > 0
        dup = math.nan if unknown else extra.get(name, 0.0)
        step = _rounding_step(float(r["value"]))
        if not unknown and dup > 0 and step > 1:  # a rounded total less exact amounts
            notes.setdefault(name, []).append(
                f"the published total is rounded to {style.fmt_usd(step, trim=True)}, so the "
                f"distinct money is known only to within {style.fmt_usd(step / 2, trim=True)} "
                "either way")
        rows.append({
            "campaign": name, "date": r["date"], "date_as_stated": r["date_as_stated"],
            "usd_stated": float(r["value"]),
            "usd_counted_in_earlier_campaign": dup,
            "usd_deduplicated": float(r["value"]) - dup,
            "pledges_counted_earlier": n_extra.get(name, 0) + n_unknown.get(name, 0),
            "explanation": "; ".join(notes.get(name, [])) or "no known overlap",
            "source_url": r["source_url"],
        })
    df = pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS))
    total = {
        "campaign": "sum of campaigns", "date": pd.NaT, "date_as_stated": pd.NA,
        "usd_stated": float(df["usd_stated"].sum()),
        "usd_counted_in_earlier_campaign": float(
            df["usd_counted_in_earlier_campaign"].sum(skipna=False)),
        "usd_deduplicated": float(df["usd_deduplicated"].sum(skipna=False)),
        "pledges_counted_earlier": int(df["pledges_counted_earlier"].sum()),
        "explanation": "adding the campaign totals counts these pledges more than once",
        "source_url": pd.NA,
    }
    out = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["pledges_counted_earlier"] = out["pledges_counted_earlier"].astype("int64")
    for col in ("campaign", "date_as_stated", "explanation", "source_url"):
        out[col] = out[col].astype("string")
    return out
