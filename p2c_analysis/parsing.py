"""Parsers for messy pledge cells: values and currencies, dates, lists, categories.

Every parser takes one cell and returns the parsed value, ``None`` when the cell is
*missing* (blank, ``TBD``, ``N/A``, ``n/a``, ``-``, ...: missing, never zero), or raises
:class:`ParseError` whose message is the reason a row is set aside (quarantined).

Decisions (documented here once, tested in ``tests/test_parsing.py``):

- **Bare ``$``** means US dollars, unless a dollar (or peso) code stands beside it:
  ``$10 million CAD`` is CAD (:data:`SIGN_CURRENCIES`). A bare ``¥`` is ambiguous (JPY or
  CNY) and is refused (``¥10 million JPY`` is JPY); so are ``CFA``/``FCFA`` (XOF or XAF),
  ``kr``, ``dh`` and ``R`` right before an amount (``R 5 million``: ZAR, or a rupee or a
  rouble; ``R$`` is BRL, ``R&D`` no currency), unless a code of theirs stands beside them,
  also alone in brackets (``5 million FCFA (XOF)``, ``R 5 million (ZAR)``: noted); the loader
  reads ``CFA`` and ``R`` by the pledger's entity country (``pledges.CURRENCY_UNIONS``: ``R``
  is ZAR in the Common Monetary Area, where the rand is legal tender). A sign and a code,
  or two codes, that name different currencies (``€10 million CAD``, ``£5m USD``) are
  refused (``currency conflict``).
  A number with no currency at all is returned with ``currency=None``; the caller decides
  (the loader treats it as USD and says so in the pledge's notes).
- **Explicit USD figure preferred**: ``"CAD 2 billion (USD 1.46 billion)"`` gives
  ``amount=2e9, currency="CAD", usd_stated=1.46e9``; the USD figure the text states is
  used instead of a conversion.
- **Qualifiers** (``more than``, ``over``, ``at least``, ``approximately``, ``up to``...) do
  not change the amount; they are recorded in ``Money.qualifier`` and in the note.
  ``more than $47 million`` is 47 million, a lower bound.
- **Totals over a period**: ``"$30 million over five years"`` is a total of 30 million (not
  multiplied); the duration is recorded.
- **Rates per year**: ``estimated_value_usd`` is a pledge's *total* (like ``"$30 million
  over five years"``), so a rate is turned into a total when the text states a duration,
  even in a hedged remark: ``"$2 million per year for 5 years"`` -> 10 million, ``"USD 2m x 4
  years"`` and ``"2m USD x 4 years"`` -> 8 million, and
  ``"approximately US$2 billion per year (similar over next five years)"`` -> 10 billion
  (``per_year=True, years=5, multiplied=True``; the note gives the annual figure and where
  the duration came from, so a reader can undo it). A span of years is a duration, first and
  last year counted, after the rate or in brackets with it or alone: ``"USD 5 million per
  year from 2024 to 2026"``, ``"USD 5 million annually 2024–2026"``, ``"USD 5 million (per
  year, 2024-26)"`` and ``"USD 5 million per year (2024-2026)"`` -> 15 million; a span that
  runs backwards (``2026-2024``) or is longer than :data:`MAX_SPAN_YEARS` years is refused
  (``implausible duration``), as a yearly amount for 0 or more than that many years is
  (``"$2 million per year for 500 years"``). With no duration (``"$5 million a year"``) the
  annual amount is taken and flagged as such; a span after a total (``"USD 5 million over
  2024-2028"``) changes nothing.
- **Ranges** (``$1-2 million``) take the lower bound, noted.
- **A separator before three digits** may be a decimal one or a thousands one, a thousand
  times apart; such a value is set aside naming both readings (``ambiguous value``) where
  both are likely: ``USD 1.500`` (no scale); ``USD 1,500.000 million`` (a group, then three
  decimals); ``1.500 Mio.``, ``1.000 millones``, ``2.500 milliards`` (a German, Spanish,
  Portuguese or French scale word: those languages write thousands with points); and
  ``USD 1.000 million``, ``USD 2.500 million``, ``$1.250 mn`` (one point, three digits ending
  in 0, a scale of a million or less that is no continental word: English writers seldom pad
  decimals with zeros, while ``1.000 millones`` is a billion); the last two also in a USD
  figure in brackets (``EUR 5 million (USD 1.000 million)``), unless one reading is what the
  amount before it gives at a rate within its currency's WDI yearly rates (25 % either way)
  and the other is not: ``EUR 900 million (USD 1.000 million)`` is USD 1,000 million, noted
  (:func:`_restated_by_amount`). In US dollars with a scale of a billion or more (``USD
  2.500 billion``, ``$1.250 bn``, ``EUR 900 million (USD 1.000 billion)``) the thousands
  reading is USD 1 trillion or more, no pledge's size: the point is read as a decimal one,
  the other reading named in the note; in any other currency (``IDR 1.000 billion``, ``JPY
  2.500 billion``: both readings plausible pledges) it is set aside. ``$1.715 billion``,
  ``USD 0.250 million``, ``USD 1,000 million`` and ``1.000.000`` have one reading and are
  read.
- **Quantities of things**: an amount that counts things, not money, is :class:`NotMoney` (a
  :class:`ParseError`; the loader keeps the pledge with no USD value, noted), unless a USD
  figure in brackets gives its value. It is an amount with no currency right before it and
  followed by a word of things (:func:`thing_words`: the unit words of
  ``data/harmonization/deliverable_terms.csv``, singular and plural: ``500 laptops``, ``10
  million people``, ``20 000 teachers trained``), or by a three-letter code that is no
  currency and then words (``100,000 SIM cards``). A currency wins: a currency word or code
  after the amount (``5 million rupees``), a code before it or alone after it (``XYZ 5
  million``, ``ABC 100,000``, ``100,000 XYZ``) or followed by words of money (``per year``,
  ``x 4 years``, a scale) is money, an unknown currency as before. Any other word
  (``2 billion shillings``, ``500 widgets``) is still refused (``unparseable value``): it
  cannot be told from a currency the parser does not know. Money beside things (``USD 5
  million and 1,000 laptops``, ``$5 million for 100 schools``) is the money, noted; only
  when that money names its currency (``about 120 million people in 80 countries`` stays
  several amounts) and is no price of one thing (``USD 300 each``, ``USD 50 per laptop``:
  ``ambiguous value``). A bare number before a region's name alone (``5 Africa``: five
  countries of it, or USD 5 million for it?) is :class:`NotMoney` too, of kind ``no clear
  amount of money``; ``5 LDCs`` and ``5 Caribbean countries`` count places.
- **Several different amounts** outside parentheses (``$5 million and $3 million``) are
  refused as ambiguous: a person has to say which is the pledge's value.
- **Negative** amounts are refused (``negative value``), and so are negative durations
  (``for -5 years``) and non-finite amounts (``absurd value``: ``1e999``, a 400-digit number).
  The ceiling of a plausible pledge in US dollars (:data:`p2c_analysis.limits.MAX_PLEDGE_USD`)
  is checked by the loader after conversion, since a cell's currency may be weak.
- **Dates** give ``(Timestamp of the first day of the stated period, precision)`` with
  precision ``"year"``, ``"month"`` or ``"day"``; impossible calendar dates are refused.
  Numeric ``dd/mm/yyyy`` vs ``mm/dd/yyyy`` is refused when both readings are valid and differ.
  Dates and years must fall in :data:`p2c_analysis.limits.PLAUSIBLE_YEARS` (2000-2100;
  ``implausible date`` / ``impossible year``); a leading minus (``-2024``) is refused
  (``negative date`` / ``negative year``), never read as 2024.
- **Booleans**: :func:`parse_bool` is the package's one text -> bool parser.
- **URLs**: ``source_url`` holds http(s) links (or bare ``www.`` addresses); other schemes
  (``javascript:``, ``file:``, ``data:``) are refused (``unsupported url``).
- **Lists** split on ``;`` and newlines; commas split only when each piece resolves on its
  own and the whole does not (``"GHA, KEN"`` splits, ``"Congo, Dem. Rep."`` does not); so
  do ``/``, ``&`` and ``and`` in a list of countries (``"Ghana and Kenya"`` splits,
  ``"Bosnia and Herzegovina"`` does not).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import functools
import math
import numbers
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

import pandas as pd
from dateutil import parser as dateparser

from p2c_analysis import deliverables, fx, paths, vocabulary
from p2c_analysis.limits import PLAUSIBLE_YEARS


class ParseError(ValueError):
    """A cell could not be parsed.

    ``kind`` is a short reason category (``"negative value"``, ``"impossible date"``, ...),
    ``text`` the offending cell text, ``detail`` an optional explanation;
    ``str(err)`` reads ``kind 'text' (detail)``.
    """

    def __init__(self, kind: str, text: object = None, detail: str = "") -> None:
        self.kind = kind
        self.text = text
        self.detail = detail
        msg = kind if text is None else f"{kind} {text!r}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


# --- missing ---------------------------------------------------------------------------------

class NotMoney(ParseError):
    """A value cell that states a quantity of things, not an amount of money (``100,000 SIM
    cards``): kind ``not an amount of money``, ``detail`` naming the things; or a number
    before a region's name alone (``5 Africa``: :func:`_unclear_count`), kind ``no clear
    amount of money``. The loader keeps the pledge with no USD value read from that cell
    (noted); elsewhere it is a :class:`ParseError` like any other."""

    def __init__(self, text: object, things: str, kind: str = "not an amount of money",
                 detail: str = "") -> None:
        super().__init__(kind, text, detail or f"{things!r} counts things")
        self.things = things


MISSING_TOKENS = frozenset(
    {"", "-", "--", "—", "–", "n/a", "na", "n.a.", "tbd", "tba", "tbc", "none", "null", "nan",
     "<na>", "not stated", "not available", "unknown", "not applicable", "?"}
)


def is_not_stated(value: object) -> bool:
    """True for ``None``, NaN/NA and the text tokens meaning "not stated" (blank, ``TBD``,
    ``N/A``, ``n/a``, ``-``, ``none``, ``unknown``, ...)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_TOKENS
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: The error values a spreadsheet shows for a formula that failed (Excel, LibreOffice, Google
#: Sheets): in a cell they are no value (``#DIV/0!`` read as an amount was 0, "not stated").
SPREADSHEET_ERRORS = frozenset(
    {"#div/0!", "#n/a", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!", "#calc!",
     "#getting_data", "#field!", "#blocked!", "#connect!", "#busy!", "#unknown!", "#error!",
     "err:502", "err:504", "err:508", "err:511", "err:522", "err:523"})


def is_spreadsheet_error(value: object) -> bool:
    """Whether ``value`` is a spreadsheet's error value (:data:`SPREADSHEET_ERRORS`)."""
    return isinstance(value, str) and value.strip().lower() in SPREADSHEET_ERRORS


def clean_text(value: object) -> str | None:
    """Stripped text with internal runs of whitespace collapsed; ``None`` when missing."""
    if is_not_stated(value):
        return None
    return re.sub(r"\s+", " ", str(value)).strip() or None


# --- money -----------------------------------------------------------------------------------

SCALES: dict[str, float] = {
    "thousand": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "mio": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "bln": 1e9,
    "trillion": 1e12, "tn": 1e12,
    # finance and South Asian usage: "USD 5 MM", "EUR 2 Mrd", "INR 500 crore", "5 lakh"
    "mm": 1e6, "mrd": 1e9, "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7,
    # other languages' words with one meaning (not "mil": a thousand in Spanish and Portuguese,
    # a million in English slang; nor "billón"/"bilião": 10^12 in long-scale languages)
    "thousands": 1e3, "millones": 1e6, "millón": 1e6, "millon": 1e6, "millionen": 1e6,
    "milhões": 1e6, "milhoes": 1e6, "milhão": 1e6, "milhao": 1e6, "milliard": 1e9,
    "milliards": 1e9, "milliarde": 1e9, "milliarden": 1e9, "md": 1e9, "mds": 1e9,
    # abbreviations with one meaning: "trn", "INR 5 Cr", "5 lac", "Tsd." (German thousand),
    # "Mia." (Swiss-German and French Milliarde/milliard)
    "trn": 1e12, "cr": 1e7, "crs": 1e7, "lac": 1e5, "lacs": 1e5, "tsd": 1e3, "mia": 1e9,
}
#: Scale words written in German: with them a separator before three digits may be either
#: convention ("1.500 Mio." is 1,500 million in German, 1.5 million in English).
GERMAN_SCALES = frozenset({"mio", "mrd", "tsd", "mia", "millionen", "milliarde", "milliarden"})
#: Scale words of languages that write thousands with points and decimals with commas
#: (German, :data:`GERMAN_SCALES`; Spanish, Portuguese, French): with them too a separator
#: before three digits may be either convention ("1.000 millones" is a billion in Spanish, a
#: million in English; "1,5 millones" is not ambiguous).
CONTINENTAL_SCALES = GERMAN_SCALES | frozenset(
    {"millones", "millón", "millon", "milhões", "milhoes", "milhão", "milhao", "milliard",
     "milliards", "md", "mds"})
#: How a word right after an amount starts when it is meant as a scale: one that is not in
#: :data:`SCALES` sets the row aside ("EUR 10 mil" is not EUR 10).
SCALE_LIKE = re.compile(r"(?:mil|bil|tril|mill|bill|trill)", re.IGNORECASE)

# Currency words and symbols -> ISO 4217. Longest first when matching.
CURRENCY_TOKENS: dict[str, str] = {
    "us$": "USD", "us $": "USD", "u.s.$": "USD", "usd": "USD", "us dollars": "USD",
    "u.s. dollars": "USD", "dollars": "USD", "dollar": "USD", "$": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds sterling": "GBP", "pound sterling": "GBP",
    "c$": "CAD", "ca$": "CAD", "can$": "CAD", "cad": "CAD", "canadian dollars": "CAD",
    "a$": "AUD", "au$": "AUD", "aud": "AUD",
    "nz$": "NZD", "hk$": "HKD", "s$": "SGD",
    "cn¥": "CNY", "rmb": "CNY", "yuan": "CNY", "cny": "CNY",
    "jp¥": "JPY", "yen": "JPY", "jpy": "JPY",
    "₹": "INR", "rs": "INR", "rupees": "INR",
    "₦": "NGN", "naira": "NGN", "₩": "KRW", "won": "KRW",
    "ksh": "KES", "kshs": "KES", "chf": "CHF", "swiss francs": "CHF",
    "us dollar": "USD", "kenyan shilling": "KES", "kenyan shillings": "KES",
    "gh¢": "GHS", "gh₵": "GHS", "tsh": "TZS", "tshs": "TZS", "ush": "UGX", "ushs": "UGX",
    "tanzanian shilling": "TZS", "tanzanian shillings": "TZS",
    "ugandan shilling": "UGX", "ugandan shillings": "UGX",
    "r$": "BRL", "₽": "RUB", "₺": "TRY", "₱": "PHP", "₫": "VND", "₪": "ILS", "₴": "UAH",
}
AMBIGUOUS_CURRENCY = {"¥": "JPY or CNY"}
#: Words and abbreviations of several currencies (lower case): refused alone as
#: ``ambiguous currency`` naming them; with one of them named beside (``5 million FCFA (XOF)``)
#: that one (:data:`SIGN_CURRENCIES`). Kept apart from :data:`AMBIGUOUS_CURRENCY`, whose signs
#: are also read in column headers.
_CFA = "XOF (West African CFA franc) or XAF (Central African CFA franc)"
AMBIGUOUS_CURRENCY_WORDS = {
    **dict.fromkeys(("cfa", "fcfa", "cfaf", "cfa franc", "cfa francs", "franc cfa",
                     "francs cfa"), _CFA),
    "kr": "SEK, NOK, DKK or ISK (krona, krone, króna)",
    **dict.fromkeys(("dh", "dhs"), "MAD or AED (dirham)"),
}
#: ``R`` right before an amount (``R 5 million``, ``R5m``): the South African rand's sign
#: (ZAR; the rand is legal tender in the whole Common Monetary Area), but also written for
#: rupees and roubles. A capital letter alone, so read only right before a number (``R&D``
#: is no currency; ``R$`` is the Brazilian real); refused alone as ``ambiguous currency``
#: like ``CFA`` (the loader reads it as ZAR for a pledger based in the Common Monetary
#: Area, noted), with a code of its family beside it that one (``R 5 million ZAR``).
_RAND_SIGN = re.compile(r"(?<![A-Za-z$])R(?=\s?\d)")
AMBIGUOUS_CURRENCY_SIGNS = {"r": "ZAR (South African rand), or a rupee (INR...) or a rouble "
                                 "(RUB)"}
_AMBIGUOUS = {**AMBIGUOUS_CURRENCY, **AMBIGUOUS_CURRENCY_WORDS, **AMBIGUOUS_CURRENCY_SIGNS}
# (token, ISO code or "?" for ambiguous, compiled pattern): words match whole, symbols anywhere
_CURRENCY_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (token, code, re.compile(rf"(?<![a-z]){re.escape(token)}(?![a-z])" if token.isalpha()
                             else re.escape(token)))
    for token, code in {**CURRENCY_TOKENS, **dict.fromkeys(AMBIGUOUS_CURRENCY, "?"),
                        **dict.fromkeys(AMBIGUOUS_CURRENCY_WORDS, "?")}.items()
)

#: Digits grouped by threes with a space or an apostrophe (``1 000 000``, ``1'000'000``: French,
#: Swiss and ISO style; a no-break space is a space once the cell is cleaned), then a decimal part.
_GROUPED = r"(?<![\d.,])\d{1,3}(?:[ '’]\d{3}(?!\d))+(?:[.,]\d+)?(?![.,]?\d)"
_NUM = (rf"(?:{_GROUPED}|\d+(?:[.,]\d+)*"
        r"|(?<![^\W\d_])[.,]\d+)")  # ".5 billion", ",5 Mio." too, not "Rs.5"
_SCALE = "(?:" + "|".join(sorted(SCALES, key=len, reverse=True)) + ")"  # longest first
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
#: Words before an amount and what they make of it (``values`` reads the bounds from here); the
#: first found before the amount counts: negated forms first.
MONEY_QUALIFIERS = (
    ("no more than", "upper bound"), ("not more than", "upper bound"),
    ("not over", "upper bound"), ("not exceeding", "upper bound"), ("at most", "upper bound"),
    ("no less than", "lower bound"), ("not less than", "lower bound"),
    ("more than", "lower bound"), ("over", "lower bound"), ("at least", "lower bound"),
    ("in excess of", "lower bound"), ("above", "lower bound"), ("exceeding", "lower bound"),
    ("up to", "upper bound"), ("less than", "upper bound"), ("under", "upper bound"),
    # the signs (">$5 million", "≥ USD 5m"): the amount was taken as stated, bound unsaid
    ("≥", "lower bound"), (">=", "lower bound"), (">", "lower bound"),
    ("≤", "upper bound"), ("<=", "upper bound"), ("<", "upper bound"),
    ("approximately", "approximate"), ("approx.", "approximate"), ("approx", "approximate"),
    ("about", "approximate"), ("around", "approximate"), ("roughly", "approximate"),
    ("nearly", "approximate"), ("almost", "approximate"), ("some", "approximate"),
    ("c.", "approximate"), ("ca.", "approximate"), ("circa", "approximate"),
    ("~", "approximate"),
)
#: Words right after an amount and what they make of it ("USD 5 billion or more", "5 million+").
MONEY_QUALIFIERS_AFTER = (
    ("or more", "lower bound", r"\s*(?:or|and)\s+(?:more|above|over)\b|\s*\+"),
)
#: ``p.a.`` (per annum, British and German usage), and ``pa`` right after the amount, are a
#: rate per year too: ``EUR 5m p.a.`` was read as EUR 5 million in all; so are ``annual``
#: right after the amount or its currency (``USD 5m annual contribution``; not ``for the
#: annual meeting``) and the German and French words the scales of those languages come with
#: (``EUR 5 Mio. pro Jahr``, ``jährlich``, ``EUR 5 M par an``).
_PER_YEAR = (r"(?:per\s+(?:year|annum|yr)\b|a\s+year|each\s+year|every\s+year|annually"
             r"|yearly|/\s*(?:yr|year)|(?<![a-z])p\.\s?a(?:\.|(?![a-z]))|^\s*pa(?![a-z])"
             r"|^\s*(?:[a-z]{3}\s+)?annual\b|pro\s+jahr\b|jährlich|par\s+an\b)")
#: A duration after an amount (``for 3 years``, ``over the next five years``, ``for 3 yrs``).
_DURATION = r"(?:for|over)\s+(?:the\s+)?(?:next\s+|coming\s+)?(\d{1,3}|[a-z]+)\s+(?:years?|yrs?)\b"
#: A rate per month or per quarter: made yearly (x 12, x 4) before the per-year rules.
_PER_PERIOD = ((r"(?:per\s+month|a\s+month|each\s+month|every\s+month|monthly|/\s*(?:mo|month))",
                12, "month"),
               (r"(?:per\s+quarter|a\s+quarter|each\s+quarter|every\s+quarter|quarterly"
                r"|/\s*(?:qtr|quarter))", 4, "quarter"))
#: A bracket that is a rate alone (``(per year)``, ``(annually)``, ``(per month)``): read as
#: if written without its brackets; it was a remark, the rate lost.
_A_RATE = re.compile("|".join((_PER_YEAR, *(p for p, _, _ in _PER_PERIOD))))
#: A span of years after an amount ("over 2024-2028", "from 2024 to 2028", "2024–2028", and
#: "2024-26", the last year's century left out): its length in years.
_YEAR_SPAN = (r"(?:over|for|during|from|in|between)?\s*((?:19|20)\d\d)\s*(?:-|–|to|and)\s*"
              r"((?:19|20)\d\d|(?<=[-–])\s*\d\d)(?!\d)")
#: The most years a yearly amount is multiplied by, from a span of years or a count of them
#: ("2024-2099", "for 500 years" are no plausible run of a yearly pledge: set aside rather
#: than read as 76 or 500 times the amount).
MAX_SPAN_YEARS = 50
#: A bracket that is a rate and a span of years (``(per year, 2024-2026)``, ``(annually
#: 2024-26)``, ``(2024-2026, per year)``): read as if written without its brackets, like
#: :data:`_A_RATE`.
_A_RATE_OVER_YEARS = re.compile(rf"(?:{_A_RATE.pattern})[\s,;:]*{_YEAR_SPAN}"
                                rf"|{_YEAR_SPAN}[\s,;:]*(?:{_A_RATE.pattern})")
#: An amount times a number of years right after it ("USD 2.5m x 4 years", "× 4 years"): a
#: yearly amount and its duration.
_TIMES_YEARS = r"\s*(?:[x×*]|times)\s*(\d{1,3}|[a-z]+)\s+years?\b"
_NEGATIVE_DURATION = (r"(?:for|over)\s+(?:the\s+)?(?:next\s+|coming\s+)?[-−–]\s*\d+\s+"
                      r"(?:years?|yrs?)\b")


@dataclass(frozen=True)
class Money:
    """A parsed value cell.

    ``amount`` is in units of ``currency`` (ISO 4217, ``None`` = not stated) and is the total
    the pledge is taken to be worth (see the module docstring for per-year rates).
    ``usd_stated`` is an explicit US-dollar figure given alongside another currency.
    ``range_high``: the upper end of a stated range (``amount`` is its lower end); ``None``
    when no range is stated. ``note`` says in words how the text was read (empty when plain).
    """

    amount: float
    currency: str | None
    usd_stated: float | None = None
    qualifier: str | None = None
    per_year: bool = False
    years: int | None = None
    multiplied: bool = False
    note: str = ""
    range_high: float | None = None


#: Digits grouped the Indian way, in lakhs and crores (``12,34,567`` is 1,234,567;
#: ``1,00,00,000`` is ten million): pairs of digits, then the last three.
_INDIAN_GROUPING = re.compile(r"\d{1,2}(?:,\d\d)+,\d{3}(?:\.\d+)?")


#: A number with no whole part, or 0 (``.5``, ``,5``, ``0,100``): a decimal whichever the
#: separator, as no group of thousands starts a number or follows a 0.
_NO_WHOLE_PART = re.compile(r"0?[.,](\d+)")


def _to_number(num: str) -> float:
    """``"1,200,000"`` -> 1200000.0, ``"1.5"`` -> 1.5, ``"1.200.000"`` -> 1200000.0,
    ``"12,34,567"`` (Indian grouping, :data:`_INDIAN_GROUPING`) -> 1234567.0; raises
    :class:`ParseError` for separators that fit no convention (``"1.000,000.00"``)."""
    given = num
    if fraction := _NO_WHOLE_PART.fullmatch(num):  # ",5" was 5 and "0,100" was 100
        return float(f"0.{fraction[1]}")
    if grouped := re.fullmatch(r"(\d{1,3}(?:[ '’]\d{3})+)(?:[.,](\d+))?", num):
        # grouped by spaces or apostrophes (_GROUPED): a "." or "," after them is decimal
        whole, decimals = re.sub(r"\D", "", grouped.group(1)), grouped.group(2)
        return float(f"{whole}.{decimals}" if decimals else whole)
    if "," in num and "." in num:
        # the last separator is the decimal one
        if num.rfind(",") > num.rfind("."):
            num = num.replace(".", "").replace(",", ".")
        else:
            num = num.replace(",", "")
    elif "," in num:
        parts = num.split(",")
        if all(len(p) == 3 for p in parts[1:]) or _INDIAN_GROUPING.fullmatch(num):
            num = num.replace(",", "")
        elif len(parts) == 2:
            num = num.replace(",", ".")  # decimal comma: "1,5 million"
        else:
            raise ParseError("unparseable value", num)
    elif num.count(".") > 1:
        parts = num.split(".")
        if all(len(p) == 3 for p in parts[1:]):
            num = num.replace(".", "")
        else:
            raise ParseError("unparseable value", num)
    try:
        return float(num)
    except ValueError:
        raise ParseError("unparseable value", given) from None


#: Signs that name a family of currencies, not one: with a code beside them (``$10 million
#: CAD``, ``¥10 million JPY``) they are that code's currency; alone, their own reading (``$``
#: and ``dollars`` are USD, ``¥`` is refused). A code outside the family is a conflict.
SIGN_CURRENCIES: dict[str, frozenset[str]] = {
    **dict.fromkeys(("$", "dollar", "dollars"), frozenset(
        {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "JMD", "TTD", "BSD", "BBD", "BZD",
         "BMD", "BND", "FJD", "GYD", "LRD", "NAD", "SBD", "SRD", "XCD", "KYD", "ZWL",
         "MXN", "ARS", "CLP", "COP", "CUP", "DOP", "UYU"})),  # the peso's sign is $ too
    "¥": frozenset({"JPY", "CNY"}),
    **{word: frozenset(re.findall(r"[A-Z]{3}", codes))
       for word, codes in {**AMBIGUOUS_CURRENCY_WORDS, **AMBIGUOUS_CURRENCY_SIGNS}.items()},
}
#: A bare ISO 4217-looking code such as "KES" or "XOF" before or after the number, after
#: its scale or scales too however written (``5 million KES``, ``5 Mio KES``, ``1 lakh crore
#: INR``): a capital in the scale hid the code.
_BARE_CODE = re.compile(rf"(?<![A-Za-z])([A-Z]{{3}})(?=\s*\d)|(?<=\d)\s*"
                        rf"(?:(?i:{_SCALE})\s+){{0,2}}([A-Z]{{3}})(?![A-Za-z])")


def _currency_mentions(text: str) -> list[tuple[int, str, str]]:
    """(position, ISO code or ``"?"``, token) of every currency named in ``text``, in order;
    where names overlap the longest counts (``CA$`` is CAD, not CAD and ``$``)."""
    low = text.lower()
    found: list[tuple[int, int, int, str, str]] = []  # (start, -length, bare?, code, token)
    for token, code, pattern in _CURRENCY_PATTERNS:
        found += [(m.start(), m.start() - m.end(), 0, code, token) for m in pattern.finditer(low)]
    for m in _BARE_CODE.finditer(text):
        group = 1 if m.group(1) else 2
        if m.group(group).lower() not in SCALES:
            found.append((m.start(group), -3, 1, m.group(group), m.group(group).lower()))
    found += [(m.start(), -1, 0, "?", "r") for m in _RAND_SIGN.finditer(text)]
    out: list[tuple[int, str, str]] = []
    end = 0
    for start, neg_len, _bare, code, token in sorted(found):
        if start >= end:
            out.append((start, code, token))
            end = start - neg_len
    return out


def _currency_in(text: str) -> tuple[str | None, str | None]:
    """(ISO code, matched token) of the currency named in ``text``: the first named, except
    that a sign of several currencies (:data:`SIGN_CURRENCIES`) takes a code beside it
    (``$10 million CAD`` is CAD). ``(None, None)`` when none is named. Raises
    :class:`ParseError` (``currency conflict``) when two named currencies disagree
    (``€10 million CAD``, ``£5m USD``, ``$10 million EUR``), and (``ambiguous currency``) for
    ``¥`` alone."""
    mentions = _currency_mentions(text)
    if not mentions:
        return None, None
    named = [(code, token) for _, code, token in mentions if token not in SIGN_CURRENCIES]
    known = list(dict.fromkeys(code for code, token in named if token in CURRENCY_TOKENS))
    if len(known) > 1:
        raise ParseError("currency conflict", text, f"{known[0]} and {known[1]} both named: "
                         "state one currency")
    for sign in dict.fromkeys(token for _, _, token in mentions if token in SIGN_CURRENCIES):
        family = SIGN_CURRENCIES[sign]
        if known and known[0] not in family:
            shown = sign.upper() if sign in AMBIGUOUS_CURRENCY_SIGNS else sign  # "R" as written
            raise ParseError("currency conflict", text, f"{shown} and {known[0]} both named: "
                             f"{shown} is no sign of {known[0]}")
        if fits := [(code, token) for code, token in named if code in family]:
            return fits[0]
    start, code, token = mentions[0]
    if code == "?":  # quoted as written ("FCFA"), looked up in lower case
        raise ParseError("ambiguous currency", text[start:start + len(token)],
                         f"{_AMBIGUOUS[token]}: write the ISO code")
    return code, token


_AMOUNT_RE = re.compile(
    rf"(?P<sign>-\s*)?(?P<num>{_NUM})(?:\s*(?:-|–|to)\s*(?P<hi>{_NUM}))?"
    rf"(?:(?:\s*|-)(?P<scale>{_SCALE})(?![a-z])"
    rf"(?:\s+(?P<scale2>(?=[a-z]{{2}}){_SCALE})(?![a-z&-]))?)?",
    re.IGNORECASE,
)


def _scale_of(m: re.Match, text: str) -> float:
    """The factor of the amount ``m``: its scale, times a larger one right after it (``5 lakh
    crore``: 5 x 10^5 x 10^7, ``5 thousand million``: 5 billion; they were 500,000 and
    5,000); 1 without a scale. Raises :class:`ParseError` for a second scale no larger
    (``5 million thousand``)."""
    if not m.group("scale"):
        return 1.0
    scale = SCALES[m.group("scale").lower()]
    if not m.group("scale2"):
        return scale
    second = SCALES[m.group("scale2").lower()]
    if second <= scale:
        raise ParseError("unparseable value", text, f"{m.group('scale2')!r} after "
                         f"{m.group('scale')!r}: write e.g. 5 billion")
    return scale * second


def _amounts(text: str) -> list[tuple[float, float | None, re.Match]]:
    """All (amount, range upper, match) in text, scales applied; durations' numbers skipped."""
    out = []
    for m in _AMOUNT_RE.finditer(text):
        after = text[m.end():m.end() + 12].lower()
        before = text[max(0, m.start() - 12):m.start()].lower()
        if re.match(r"\s*(?:years?|months?|yrs?)\b", after) and not m.group("scale"):
            continue  # "over 5 years"
        if re.search(r"(?:sdg|goal)\s*$", before):
            continue
        scale = _scale_of(m, text)
        value = _scaled(_to_number(m.group("num")), scale)
        if m.group("sign") and not re.search(r"[a-z0-9]$", before.rstrip()):
            value = -value
        hi = _scaled(_to_number(m.group("hi")), scale) if m.group("hi") else None
        out.append((value, hi, m))
    return out


def _scaled(number: float, scale: float) -> float:
    """``number`` x ``scale`` as the decimal numbers they are written as (``4.1`` x 1 million
    is 4,100,000, not the binary product 4099999.9999999995 that had reached the tables and
    made "USD 4.1 million" and "USD 4,100,000" differ by 4.66e-10 USD in pledge_changes)."""
    return float(decimal.Decimal(repr(number)) * decimal.Decimal(repr(scale)))


def _year_like(m: re.Match, text: str) -> bool:
    """A bare 4-digit year (1900-2100, or a year range) with no scale and no currency sign
    right before it."""
    num, hi = m.group("num"), m.group("hi")
    if m.group("scale") or not re.fullmatch(r"(?:19|20|21)\d\d", num):
        return False
    if hi is not None and not re.fullmatch(r"(?:19|20|21)?\d\d", hi):
        return False
    return not re.search(r"[$€£¥₹₦₩]\s*$|[A-Z]{3}\s*$", text[: m.start()])


#: Words that may stand right before or after an amount that names no currency ("over 2 million
#: per year"); any other word there ("Rp 1 trillion", "2 billion shillings", "10 million
#: people", "5G") may be a currency or unit the parser does not know, so the value is refused
#: rather than read as US dollars.
_BARE_AMOUNT_WORDS = frozenset(
    {w for q, _ in MONEY_QUALIFIERS for w in q.rstrip(".").split()}
    | {"a", "an", "the", "of", "total", "totalling", "totaling", "in", "by", "for", "from", "to",
       "over", "per", "each", "every", "annually", "yearly", "until", "through", "and", "or",
       "combined", "committed", "pledged", "value", "worth", "est", "estimated"}
    # the first words of the rates per year of _PER_YEAR ("5 Mio. p.a.", "pro Jahr")
    | {"p", "pa", "annual", "pro", "jährlich", "par"}
)


def _no_stray_word(main: str, match: re.Match, text: str) -> None:
    """Raise :class:`ParseError` when a word next to the amount ``match`` of ``main`` (a value
    text naming no currency) is none of :data:`_BARE_AMOUNT_WORDS`."""
    before = re.search(r"([^\W\d_]+)\.?[\s-]*$", main[: match.start()])
    after = re.match(r"\s*([^\W\d_]+)", main[match.end():])
    for m in (before, after):
        if m and m.group(1).lower() not in _BARE_AMOUNT_WORDS:
            raise ParseError("unparseable value", text, f"{m.group(1)!r} next to the amount is "
                             "no known currency or scale: write e.g. USD 5 million")


def _no_scale_like_word(main: str, match: re.Match, text: str) -> None:
    """Raise :class:`ParseError` when the word right after the amount ``match`` looks like a
    scale (:data:`SCALE_LIKE`: "mil", "Millionen", "billones") but is none of :data:`SCALES`:
    the amount would be read a million or a billion times too small."""
    after = re.match(r"\s*([^\W\d_]+)", main[match.end():])
    if after and SCALE_LIKE.match(after.group(1)) and after.group(1).lower() not in SCALES:
        raise ParseError("unparseable value", text, f"{after.group(1)!r} after the amount is no "
                         "known scale: write e.g. 5 million")


#: Short words that may follow an amount without a scale ("USD 300 per household", "5 USD",
#: "EUR 2 a year"); any other short word or abbreviation there ("USD 5 Cr", "USD 3 bi",
#: "EUR 5 Bio.", "USD 2 G") or a word in another script ("5 млн USD") may be a scale the parser
#: does not know, so the value is refused rather than read a million times too small.
_WORDS_AFTER_A_BARE_NUMBER = _BARE_AMOUNT_WORDS | frozenset(
    {"with", "plus", "net", "pa", "p", "yr", "yrs", "year", "years", "month", "months", "usd",
     "us", "dollar", "dollars", "euro", "euros", "cash", "more", "less", "up", "at", "as",
     "on", "new", "via", "so", "far", "has", "have", "was", "is", "are", "will", "be"})
#: Characters that are a fraction of a number: "USD 1½ million" is not USD 1 million.
_FRACTIONS = "¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"


def _no_unknown_word_after(main: str, match: re.Match, text: str) -> None:
    """Raise :class:`ParseError` when an amount without a scale is followed by a fraction
    sign (``1½``) or by a short word or abbreviation that is neither a currency nor one of
    :data:`_WORDS_AFTER_A_BARE_NUMBER` (``USD 5 Cr``, ``EUR 5 Bio.``, ``5 млн``)."""
    tail = main[match.end():]
    if re.match(rf"\s*[{_FRACTIONS}]", tail):
        raise ParseError("unparseable value", text, "a fraction sign in the amount: write "
                         "e.g. 1.5 million")
    if match.group("scale") or re.match(_TIMES_YEARS, tail, re.IGNORECASE):
        return
    after = re.match(r"[\s-]*([^\W\d_]+)", tail)
    if after is None:
        return
    word = after.group(1)
    whole = _A_WORD.match(tail)  # a word of things in parts, "sub-regions": not its "sub"
    known = word.lower() in _WORDS_AFTER_A_BARE_NUMBER or word.lower() in CURRENCY_TOKENS \
        or re.fullmatch(r"[A-Z]{3}", word) or (whole and whole[1].lower() in thing_words())
    if not known and (len(word) <= 4 or not word.isascii()):
        raise ParseError("unparseable value", text, f"{word!r} after the amount is no known "
                         "scale or currency: write e.g. USD 5 million")


#: Words that may follow a three-letter currency code after an amount ("5 million XYZ per
#: year", "100,000 ABC over 3 years", "2m KES x 4 years", "USD 5m or more"): with them the
#: code is used as money, whatever else it is.
_MONEY_WORDS_AFTER_A_CODE = _WORDS_AFTER_A_BARE_NUMBER | frozenset(
    {"x", "times", "monthly", "quarterly", "only", "equivalent", "approx", "approximately"}
) | frozenset(SCALES) | frozenset(CURRENCY_TOKENS)
#: A three-letter code right after an amount and the words after it ("SIM cards").
_CODE_AND_WORDS = re.compile(r"\s*(?P<code>[A-Z]{3})(?P<words>(?:[\s-]+[^\W\d_]+)+)")
#: A currency named by a code, a word or a sign of :data:`CURRENCY_TOKENS` (``USD``, ``XYZ``,
#: ``rupees``, ``$``): letters stand whole, a code is upper case.
_CURRENCY_NAMED = re.compile(
    r"(?:(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])|(?i:" + "|".join(
        rf"(?<![a-z]){re.escape(t)}(?![a-z])" if t[-1].isalpha() else re.escape(t)
        for t in sorted(CURRENCY_TOKENS, key=len, reverse=True)) + "))")
_SPACES = re.compile(r"\s*")
#: A word, maybe of parts joined by dashes (``start-ups``), after spaces or a dash; group 1 is
#: the word alone.
_A_WORD = re.compile(r"[\s-]*([^\W\d_]+(?:-[^\W\d_]+)*)")
#: Words that also name money, never words of things though ``deliverable_terms.csv`` lists
#: ``grants``: "2 million grants" may be two million grants or grants worth 2 million.
_MONEY_NOUNS = frozenset({"grant", "grants", "loan", "loans", "fund", "funds"})


def _number_forms(word: str) -> set[str]:
    """``word`` and its English singular or plural made by rule (``laptops`` -> ``laptop``,
    ``communities`` -> ``community``, ``businesses`` -> ``business``, ``school`` ->
    ``schools``); irregular forms (``people``, ``children``) are listed as they are."""
    forms = {word}
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    elif word.endswith(("sses", "shes", "ches", "xes")):
        forms.add(word[:-2])
    elif word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    elif word.endswith("y") and word[-2:-1] not in "aeiou":
        forms.add(word[:-1] + "ies")
    elif word.endswith(("s", "sh", "ch", "x")):
        forms.add(word + "es")
    else:
        forms.add(word + "s")
    return forms


#: Words of time among the scope words of ``deliverable_terms.csv``: ``5 years`` is a duration
#: (``USD 2m x 4 years``), not a count of things.
_TIME_WORDS = frozenset({"year", "years", "month", "months", "week", "weeks", "day", "days"})


@functools.cache
def _thing_words_of(units: frozenset[str]) -> frozenset[str]:
    """:func:`thing_words` of the unit and scope words ``units`` (cached per list)."""
    money = set(CURRENCY_TOKENS) | set(SCALES) | _MONEY_WORDS_AFTER_A_CODE | _MONEY_NOUNS
    forms = frozenset(form for word in units for form in _number_forms(word))
    return forms - money - _TIME_WORDS


def thing_words() -> frozenset[str]:
    """Lower-case words that name things counted, not money (``laptops``, ``people``,
    ``schools``, ``teachers``, ``km``...; and places or partners, ``countries``,
    ``districts``, ``partners``): the unit and scope words of
    ``data/harmonization/deliverable_terms.csv`` (:func:`p2c_analysis.deliverables.load_terms`),
    singular and plural, less words of time (:data:`_TIME_WORDS`) and any word of money (a
    currency word or code of :data:`CURRENCY_TOKENS`, a scale, :data:`_MONEY_NOUNS`): a
    currency wins."""
    terms = deliverables.load_terms()
    return _thing_words_of(frozenset(terms.units) | terms.scope)


def _currency_right_before(main: str, start: int) -> bool:
    """Whether a currency is named right before position ``start`` of ``main`` (spaces or a
    colon between): a code (``USD 500``, ``XYZ 500``), a currency word or sign the parser
    knows, or any currency sign (``฿500``)."""
    before = main[max(0, start - 40):start].rstrip(" :")  # a currency's name is shorter
    if before and unicodedata.category(before[-1]) == "Sc":
        return True
    return any(m.end() == len(before) and (m.start() > 0 or start <= 40)
               for m in _CURRENCY_NAMED.finditer(before))


def _past_currency(main: str, end: int) -> int:
    """Position in ``main`` after the currency named right after position ``end`` (``2m USD x
    4 years``, ``2m XYZ x 4 years``, ``2m rupees x 4 years``); ``end`` when none is."""
    named = _CURRENCY_NAMED.match(main, _SPACES.match(main, end).end())  # type: ignore[union-attr]
    return named.end() if named else end


def _linking(word: str) -> bool:
    """Whether ``word`` links an amount to what follows rather than naming things (``and``,
    ``for``, ``per``, ``x``...: :data:`_MONEY_WORDS_AFTER_A_CODE`)."""
    return word.lower() in _MONEY_WORDS_AFTER_A_CODE


def _things_named(main: str, pos: int, whole: bool) -> tuple[str, int]:
    """The words from position ``pos`` of ``main`` (right after an amount) that say what it
    counts, and where they end. They stop at a digit, a punctuation mark or a currency named
    after the first word (a code or currency word: ``1,000 laptops and EUR 5 million`` ->
    ``laptops``). With ``whole`` (a code and its words: ``SIM cards for students``), linking
    words (:func:`_linking`: ``and``, ``for``, ``x``...) at their end are dropped when more
    text follows (``1,000 SIM cards and 500 laptops`` -> ``SIM cards``); else they stop at
    the first linking word (``20 000 teachers trained`` -> ``teachers trained``, ``500 km
    of fibre`` -> ``km``)."""
    words: list[re.Match] = []
    while (m := _A_WORD.match(main, pos)) and not (words and (_CURRENCY_NAMED.fullmatch(m[1])
                                                             or (not whole and _linking(m[1])))):
        words.append(m)
        pos = m.end()
    if _SPACES.match(main, pos).end() < len(main):  # type: ignore[union-attr]  # more text
        while len(words) > 1 and _linking(words[-1][1]):
            words.pop()
    return main[words[0].start(1):words[-1].end()], words[-1].end()


def _counted_things(main: str, match: re.Match) -> tuple[str, int] | None:
    """What the amount ``match`` of ``main`` counts when it is no money (the words saying
    it, :func:`_things_named`, and where they end in ``main``), else ``None``.

    A quantity of things is an amount with no currency right before it
    (:func:`_currency_right_before`: ``USD 500 laptops`` is money) followed by either

    - a word of :func:`thing_words` (any case, not a three-letter code in capitals; or its
      first part before a dash): ``500 laptops``, ``10 million people``, ``20 000 teachers
      trained``, ``100 start-ups``, ``100 community-run networks``; or
    - a three-letter code no currency table knows, then a word that is none of
      :data:`_MONEY_WORDS_AFTER_A_CODE`: ``100,000 SIM cards``, ``5 million SIM cards``.
    - the name of a group of countries or a region (:func:`_group_named`; a three-letter
      code only when no currency table knows it), after an amount with no scale: ``5 least
      developed countries``, ``3 Small Island Developing States``, ``4 Caribbean
      countries``, ``5 LDC`` (``5 million Africa`` is no count; a region's name alone,
      ``5 Africa``, is no clear count either: :func:`parse_money` raises
      :func:`_unclear_count` for it).

    An unknown word (``2 billion shillings``, ``500 widgets``), a currency word (``5 million
    rupees``), a code alone or followed by words of money (``100,000 XYZ``, ``5m XYZ per
    year``, ``2m XYZ x 4 years``) or a known code (``5,000 KES grants``) is no quantity of
    things.
    """
    if _currency_right_before(main, match.start()):
        return None
    if found := _CODE_AND_WORDS.match(main, match.end()):
        code = found.group("code")
        first = re.search(r"[^\W\d_]+", found.group("words")).group().lower()  # type: ignore[union-attr]
        if first in _MONEY_WORDS_AFTER_A_CODE or code.lower() in CURRENCY_TOKENS \
                or code in fx.currency_map():
            return None
        return _things_named(main, match.end(), whole=True)
    word = _A_WORD.match(main, match.end())
    if word is None:
        return None
    # a count of places has no scale: "5 million Africa" is no five million Africas
    group = None if match.group("scale") else _group_named(main, match.end())
    if re.fullmatch(r"[A-Z]{3}", word[1]):  # a currency's code, or a group's (5 LDC)
        known = word[1].lower() in CURRENCY_TOKENS or word[1] in fx.currency_map()
        return None if known else group
    if not {word[1].lower(), word[1].split("-")[0].lower()} & thing_words():
        return group
    return _things_named(main, match.end(), whole=False)


#: The most words a group or region name after a count has (``small island developing
#: states``, ``Latin America and the Caribbean``).
_GROUP_WORDS = 5


def _group_named(main: str, pos: int) -> tuple[str, int] | None:
    """The name of a group of countries or a region right after position ``pos`` of ``main``
    (the longest run of at most :data:`_GROUP_WORDS` words that
    :func:`p2c_analysis.countries.resolve_region` knows: ``least developed countries``,
    ``Small Island Developing States``, ``Pacific island countries``), with a word of places
    after it when one follows (``Caribbean countries``), and where the words end; ``None``
    when no such name follows. ``5 least developed countries`` counts places, as ``5
    countries`` does."""
    from p2c_analysis import countries  # countries is above parsing: imported when needed

    words: list[re.Match] = []
    while len(words) < _GROUP_WORDS and (m := _A_WORD.match(main, words[-1].end() if words
                                                             else pos)):
        words.append(m)
    for k in range(len(words), 0, -1):
        start, end = words[0].start(1), words[k - 1].end()
        if countries.resolve_region(main[start:end]) is None:
            continue
        if k < len(words) and words[k][1].lower() in thing_words():
            end = words[k].end()
        return main[start:end], end
    return None


def _region_alone(name: str) -> bool:
    """Whether ``name``, a group's name after a count (:func:`_group_named`), is a region's
    name alone, which says nothing of what is counted (``Africa``, ``Asia-Pacific``,
    ``Caribbean``), not a group named by what its members are (``LDCs``, ``least developed
    countries``: :data:`~p2c_analysis.vocabulary.UN_GROUPS` and the income groups) or a name
    ending in a word of places (``Caribbean countries``, ``Arab States``)."""
    from p2c_analysis import countries  # countries is above parsing: imported when needed

    label = countries.resolve_region(name)
    last = re.findall(r"[^\W\d_]+", name)[-1].lower()
    return label not in (None, *vocabulary.UN_GROUPS, *vocabulary.INCOME_GROUPS) \
        and last not in thing_words()


def _unclear_count(text: str, written: str, region: str) -> NotMoney:
    """The :class:`NotMoney` (kind ``no clear amount of money``) for ``written`` (``5
    Africa``, ``five Africa``), a number before the name of a region alone
    (:func:`_region_alone`) with no currency or scale: it may count the region's countries or
    be an amount for it with its scale left out, so no USD value can be read from it."""
    return NotMoney(text, region, "no clear amount of money",
                    f"{written!r} is a number before the region {region!r} with no currency, "
                    "scale or word of what it counts: write e.g. 5 countries or USD 5 "
                    "million")


#: Numbers written as words that may open a count of things (``five countries``).
_COUNT_WORDS = frozenset(_WORD_NUMBERS) | {"hundred", "dozen", "several", "multiple", "many"}
_COUNT_IN_WORDS = re.compile(
    r"\s*(?:(?:over|more\s+than|at\s+least|about|around|some|up\s+to|nearly|almost)\s+)?"
    r"(?:a\s+)?([^\W\d_]+)(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?(?=\s)",
    re.IGNORECASE)


#: A value text that says the pledge is given in kind, or is no money, and states no amount
#: (``In-kind``, ``in kind contribution``, ``Non-financial``; a remark in brackets aside):
#: :func:`parse_money` raises :class:`NotMoney` (kind ``no amount of money``), a pledge with no
#: amount kept with no USD value as ``500 laptops`` is (it was set aside as an unparseable
#: value, though a platform's export writes ``In-kind`` in the value of every such pledge),
#: unless a USD figure in brackets gives its value (``In kind (USD 2 million)``).
_IN_KIND_ALONE = re.compile(
    r"\s*(?:(?:an?|the)\s+)?(?:contribution\s+)?(?:in[\s-]*kind|non[\s-]*(?:financial|monetary|cash))"
    r"(?:\s+(?:contribution|support|pledge|donation|resources?))?\s*\.?\s*", re.IGNORECASE)


def _no_count_in_words(main: str, text: str) -> None:
    """Raise :class:`NotMoney` when ``main`` (a value text holding no figure) is a count of
    things with its number in words (``five countries``, ``twenty-five schools``, ``a dozen
    SIDS``, ``three least developed countries``): a word of :data:`_COUNT_WORDS`, then the
    words of things (:func:`_things_named`, from a word of :func:`thing_words`) or a group's
    name (:func:`_group_named`) ending the text."""
    m = _COUNT_IN_WORDS.match(main)
    if m is None or m.group(1).lower() not in _COUNT_WORDS:
        return
    word = _A_WORD.match(main, m.end())
    if word is None:
        return
    named = {word[1].lower(), word[1].split("-")[0].lower()} & thing_words()
    found = _things_named(main, m.end(), whole=False) if named \
        else _group_named(main, m.end())
    if found and not main[found[1]:].strip():
        if not named and _region_alone(found[0]):
            raise _unclear_count(text, main.strip(), found[0])
        raise NotMoney(text, found[0])


#: Words that make an amount a price of one thing (``USD 300 each``, ``USD 50 per laptop``,
#: ``USD 300 x 500 laptops``): beside a quantity of things it is no total.
_PER_UNIT = re.compile(
    r"\b(?:each|apiece|a\s+piece|per\s+(?!(?:year|annum|month|quarter)\b)[^\W\d_]+)\b"
    r"|(?:[x×*]|\btimes)\s*\d[\d,.]*(?![\d,.]*\d|\s*(?:years?|yrs?)\b)", re.IGNORECASE)

_Amount = tuple[float, float | None, re.Match]


def _names_a_currency(text: str) -> bool:
    """Whether ``text`` names one currency (:func:`_currency_in`; ``False`` for two that
    conflict or an ambiguous sign, which the caller then refuses as for any text)."""
    try:
        return _currency_in(text)[0] is not None
    except ParseError:
        return False


def _set_things_apart(main: str, amounts: list[_Amount], text: str
                      ) -> tuple[str, list[_Amount], list[str], list[str]]:
    """Set apart the amounts of ``main`` that count things (:func:`_counted_things`).

    Returns ``main`` with each quantity of things and its words blanked (spaces: positions
    kept), the amounts that remain (money), the words of each quantity (``"laptops"``) and
    each quantity as written (``"1,000 laptops"``). Beside things, the money must name its
    currency (``USD 5 million and 1,000 laptops``); else nothing is set apart (``about 120
    million people in 80 countries`` stays several amounts, not 80 US dollars). Raises
    :class:`ParseError` (``ambiguous value``) when money stands beside things with a price
    of one thing (``USD 300 each``, ``USD 50 per laptop``): the pledge's total is not
    stated. ``text``: the cell, for the message."""
    money: list[_Amount] = []
    things: list[str] = []
    written: list[str] = []
    blanked = main
    for amount in amounts:
        counted = _counted_things(main, amount[2]) if amount[0] >= 0 else None
        if counted is None:
            money.append(amount)
            continue
        start, end = amount[2].start(), counted[1]
        things.append(counted[0])
        written.append(main[start:end])
        blanked = blanked[:start] + " " * (end - start) + blanked[end:]
    if things and money and not _names_a_currency(blanked):
        return main, amounts, [], []
    if things and money and _PER_UNIT.search(main):
        raise ParseError("ambiguous value", text, "an amount per thing beside a quantity of "
                         "things: state the total")
    return blanked, money, things, written


def _no_unknown_currency(main: str, text: str) -> None:
    """Raise :class:`ParseError` (``unknown currency``) for a currency sign the parser does not
    know (``฿ 500m``, ``₵ 50m``: a sign is known alone or with the letters before it as a
    token of :data:`CURRENCY_TOKENS`, ``GH₵``), or a known sign with letters before it that
    make another currency (``E£`` is the Egyptian pound, not sterling; ``Mex$``): such
    amounts were read as US dollars or pounds."""
    for i, sign in enumerate(main):
        if unicodedata.category(sign) != "Sc":
            continue
        letters = re.search(r"[^\W\d_]*$", main[:i]).group()  # type: ignore[union-attr]
        token = (letters + sign).lower()
        if token not in CURRENCY_TOKENS and token not in AMBIGUOUS_CURRENCY:
            raise ParseError("unknown currency", text, f"{letters + sign!r} is no currency the "
                             "parser knows: write its three-letter ISO code instead")


def _no_continental_ambiguity(match: re.Match, text: str) -> None:
    """Raise :class:`ParseError` (``ambiguous value``) for a German, Spanish, Portuguese or
    French scale word (:data:`CONTINENTAL_SCALES`) after a number with a separator before
    three digits: ``1.500 Mio.`` is 1,500 million in German and 1.5 million in English,
    ``1.000 millones`` a billion in Spanish and a million in English (``1,5 Mio.`` is not
    ambiguous)."""
    scale = (match.group("scale") or "").lower()
    num = match.group("num")
    if scale in CONTINENTAL_SCALES and re.search(r"[.,]\d{3}(?!\d)", num) and \
            not _NO_WHOLE_PART.fullmatch(num):
        written = "Mio." if scale in GERMAN_SCALES else match.group("scale")
        raise ParseError("ambiguous value", text, f"{num!r} before {match.group('scale')!r} "
                         f"may be a decimal or thousands: write e.g. 1500 {written} or "
                         f"1,5 {written}")


#: A number with one point and three digits after it, the last a 0, and a whole part that is
#: no 0 (``1.000``, ``2.500``, ``1.250``; not ``1.715``, ``0.250``, ``1.000.000``).
_POINT_BEFORE_ROUND_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d\d0")
#: Words in the reason of :func:`_point_thousands_reading` (the loader yields it to a
#: file's own sign of its convention).
POINT_OR_THOUSANDS = "a thousands point, as in much of Europe and Latin America"
def _point_thousands_reading(match: re.Match, text: str, currency: str | None) -> str | None:
    """Raise :class:`ParseError` (``ambiguous value``) for an amount with a scale word that is
    not continental (``million``, ``m``, ``crore``...; the continental ones are
    :func:`_no_continental_ambiguity`'s) after a number with one point and three digits
    ending in 0 (:data:`_POINT_BEFORE_ROUND_THOUSANDS`), at either end of a range: ``USD 1.000
    million`` is USD 1 million with the point a decimal one, as in English, and USD 1,000
    million with it a thousands one, as in much of Europe and Latin America (``1.000
    millones``: a billion); English writers seldom pad decimals with zeros, so it was read as
    1 million a thousand times too small as likely as right. ``$1.715 billion`` (a last digit
    that is no 0) stays a decimal, as does ``0.250 million``. The reason names both
    readings with the scale word as written.

    Returns a note instead (the point read as a decimal one, the other reading named) where
    the amount is in US dollars (``currency``) and the scale a billion or more: the thousands
    reading, at least 1,000 of them, is then USD 1 trillion or more (``USD 2.500 billion``,
    ``$1.250 bn``: USD 2,500 billion is no pledge; the coalition's whole goal is USD 100
    billion); in any other currency the ceiling in its own units says
    nothing (``IDR 1.000 billion`` is USD 65,630 or 65.6 million; ``JPY 2.500 billion``), and
    it is set aside. ``None`` when the number is no such one."""
    scale = match.group("scale")
    if not scale or scale.lower() in CONTINENTAL_SCALES:
        return None
    for num in (match.group("num"), match.group("hi")):
        if num and _POINT_BEFORE_ROUND_THOUSANDS.fullmatch(num):
            whole = int(num.replace(".", ""))
            decimal = f"{whole / 1000:g}"
            other = f"{whole:,} {scale} if it is a thousands point"
            size = SCALES.get(scale.lower(), 0.0)
            if currency == "USD" and size >= 1e9:  # thousands reading >= USD 1 trillion
                why = ("more than the world's output" if size >= 1e12
                       else "USD 1 trillion or more, no pledge's size")
                return (f"{num!r} before {scale!r} read as {decimal} {scale}, a decimal point "
                        f"({other}: {why})")
            raise ParseError("ambiguous value", text,
                             f"{num!r} before {scale!r} may be {decimal} {scale} (a decimal "
                             f"point, as in English) or {whole:,} {scale} ({POINT_OR_THOUSANDS}"
                             f"): write {decimal} {scale} or {whole} {scale}")
    return None


def currencies_of(err: ParseError) -> frozenset[str]:
    """The ISO codes an ``ambiguous currency`` error's sign may stand for
    (:data:`SIGN_CURRENCIES`: ``FCFA`` -> XOF, XAF); empty for any other error."""
    if err.kind != "ambiguous currency":
        return frozenset()
    return SIGN_CURRENCIES.get(str(err.text).lower(), frozenset())


#: How far a USD figure in brackets may lie outside the range of a currency's WDI yearly
#: rates and still be the amount's (annual averages: a day's rate differs).
RESTATED_RATE_MARGIN = 1.25


def _usd_words(usd: float) -> str:
    """``USD 1,000 million``, ``USD 1 million``, ``USD 2.5 trillion``: a USD amount in words,
    in millions below a trillion (the figure in brackets' own scale), for a note."""
    for word, size in (("trillion", 1e12), ("million", 1e6), ("thousand", 1e3)):
        if usd >= size:
            return f"USD {usd / size:,.6g} {word}"
    return f"USD {usd:,.0f}"


def _restated_by_amount(unsure: tuple[ParseError, str], restated: tuple[str, float],
                        amount: float, currency: str | None, match: re.Match,
                        notes: list[str]) -> tuple[str, float]:
    """The USD figure in brackets of ``EUR 900 million (USD 1.000 million)``, whose point may
    be a decimal one (1 million) or a thousands one (1,000 million): the reading that the
    amount before it (``amount`` in ``currency``, not USD, no range) gives at a rate within the
    range of the currency's WDI yearly rates (:data:`RESTATED_RATE_MARGIN` either way), noted,
    when one reading does and the other does not; otherwise ``unsure``'s error is raised."""
    err, num = unsure
    span = fx.rate_range(currency or "") if match.group("hi") is None else None
    if span is None:
        raise err
    lo = amount / span[1] / RESTATED_RATE_MARGIN
    hi = amount / span[0] * RESTATED_RATE_MARGIN
    decimal, thousands = restated[1], restated[1] * 1000
    fits = [x for x in (decimal, thousands) if lo <= x <= hi]
    if len(fits) != 1:
        raise err
    other = thousands if fits[0] == decimal else decimal
    notes.append(f"{num!r} in the USD figure ({restated[0]}) read as {_usd_words(fits[0])}, "
                 f"which the amount in {currency} gives at its exchange rates "
                 f"({_usd_words(other)} would not)")
    return restated[0], fits[0]


#: Words in a parenthetical USD figure that make it a part of the amount, not the amount.
_PART_OF = r"\b(?:includ\w*|incl\.?|of\s+which|part|share|portion|grants?|loans?|plus)\b"


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)")


#: A minus sign before an amount: opening the text, perhaps after its currency (``- 5``,
#: ``-USD 5``, ``USD - 5``), or set against the amount or its currency with no space after it
#: (``USD -5``, ``about -$5``). A dash with
#: spaces on both sides after other words separates ("Connectivity - USD 5 million").
_MINUS_BEFORE = re.compile(r"^\s*(?:[^\d\s]{1,4}\s*)?[-−]\s*(?:[^\d\s]{1,4}\s*)?\d"
                           r"|(?:^|\s)[-−](?:[^\d\s]{1,4}\s*)?\d")


_MONEY_SIGN = r"(?:[A-Z]{3}|US[-‐]?\$|[$€£¥₹])"
#: A whole cell that is an amount in parentheses, perhaps with its currency inside or
#: outside (``(5,000,000)``, ``USD (5,000,000)``, ``(EUR 2m)``): how accounts show a negative
#: amount.
_IN_PARENTHESES = re.compile(
    rf"{_MONEY_SIGN}?\s*\(\s*{_MONEY_SIGN}?\s*{_NUM}(?:\s*{_SCALE}\.?)?\s*\)\s*{_MONEY_SIGN}?",
    re.IGNORECASE)


def _qualifier_in(word: str, head: str) -> bool:
    """Whether the qualifier ``word`` (:data:`MONEY_QUALIFIERS`) stands in ``head``, the
    lower-cased text before an amount, as a word of its own: no letter right before it, and
    none right after it unless it ends in a sign or a full stop (``~USD 5m``, ``ca.EUR``:
    ``~`` and ``ca.`` are whole as written; ``over`` is not in ``overall``)."""
    after = r"(?![a-z])" if word[-1].isalpha() else ""
    return re.search(rf"(?<![a-z]){re.escape(word)}{after}", head) is not None


#: Digits grouped in threes by one separator, then the other separator and exactly three
#: digits (``1,500.000``, ``1.500,000``), or grouped by spaces or apostrophes (:data:`_GROUPED`)
#: then either separator and three digits (``1 500.000``, ``1'500,000``): a decimal with three
#: places, or a mistyped group.
_THREE_DECIMALS_AFTER_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+\.\d{3}|\d{1,3}(?:\.\d{3})+,\d{3}"
                                          r"|\d{1,3}(?:[ '’]\d{3})+[.,]\d{3}")


def _no_three_decimals_after_grouping(match: re.Match, text: str) -> None:
    """Raise :class:`ParseError` (``ambiguous value``) for an amount whose digits are grouped
    in threes and end in a decimal separator and three digits
    (:data:`_THREE_DECIMALS_AFTER_GROUPS`), with or without a scale word after it: ``USD
    1,500.000`` reads as 1,500 with three decimals (nobody states money to a tenth of a cent)
    but is most likely 1,500,000 with the last separator mistyped; ``USD 1,500.000 million``
    is 1,500 million or 1,500,000 million, ``1 500.000`` and ``1'500.000`` 1,500 or
    1,500,000. The reason quotes the number and says both readings (with the scale word as
    written)."""
    num = match.group("num")
    if not _THREE_DECIMALS_AFTER_GROUPS.fullmatch(num):
        return
    whole = int(re.sub(r"\D", "", num))
    scale = f" {match.group('scale')}" if match.group("scale") else ""
    decimal, grouped = f"{whole / 1000:,.3f}".rstrip("0").rstrip("."), f"{whole:,}"
    raise ParseError("ambiguous value", text,
                     f"{num!r} may be {decimal}{scale} (the last separator a decimal one, three "
                     f"decimals) or {grouped}{scale} (every separator a thousands one): write "
                     f"{decimal.replace(',', '')}{scale} or {whole}{scale}")


def _no_amount_in_parentheses(text: str) -> None:
    """Raise :class:`ParseError` (``negative value``) for a cell that is one amount in
    parentheses (:data:`_IN_PARENTHESES`), as accounting exports write a negative amount
    (``(5,000,000)``, like ``5,000,000-``); it was set aside as an unparseable value that
    said nothing of why."""
    if _IN_PARENTHESES.fullmatch(text):
        raise ParseError("negative value", text, "an amount in parentheses is negative in "
                         "accounts: write it without them if it is not")


#: A range whose two ends each carry the same scale (``5m - 10m``, ``5 million to 10
#: million``): written once after the upper end it is one range (``5 - 10 million``), not
#: two amounts.
_RANGE_SCALED_TWICE = re.compile(
    rf"(?P<lo>(?<![\d.,])\d[\d.,]*)\s*(?P<s1>{_SCALE})\.?\s*(?P<sep>-|–|to)\s*"
    rf"(?P<hi>\d[\d.,]*)\s*(?P<s2>{_SCALE})(?![a-z])", re.IGNORECASE)


def _scale_once(main: str) -> str:
    """``main`` with each range of :data:`_RANGE_SCALED_TWICE` whose two scales mean the same
    (``5m - 10 million``) written with its scale once, after the upper end; other text as
    is."""
    def once(m: re.Match) -> str:
        if SCALES[m["s1"].lower()] != SCALES[m["s2"].lower()]:
            return m[0]
        return f"{m['lo']} {m['sep']} {m['hi']} {m['s2']}"
    return _RANGE_SCALED_TWICE.sub(once, main)


#: The full stop of a scale's abbreviation (``5 Mio. KES``, ``2 bn. laptops``): dropped
#: before the words after the amount are read, which it hid (``5 Mio. KES`` was US dollars,
#: ``5 Mio. laptops`` money).
def _known_code_alone(par: str) -> str | None:
    """The currency code a bracket holds alone (``KES``, ``in XOF``) when a currency table
    knows it (:func:`fx.currency_map`: not ``IDA`` or ``TBC``), else ``None``."""
    m = re.fullmatch(r"\s*(?:in\s+)?([A-Z]{3})\s*", par)
    return m[1] if m and m[1] in fx.currency_map() else None


def _with_bracketed_unit(currency: str | None, token: str | None, units: list[str],
                         text: str) -> str | None:
    """The currency of an amount (``currency``, named by ``token`` outside brackets) given
    the currencies named alone in brackets (``units``: ``5 million (EUR)``, ``5,000,000
    (KES)``), which were a remark, the amount read as US dollars: the bracket's currency
    when none is named outside, or when the sign outside is one of several currencies
    including it (``$5 million (CAD)``). Raises ``currency conflict`` for two others."""
    named = list(dict.fromkeys(units))
    if not named:
        return currency
    if currency is not None and named == [currency]:
        return currency
    if len(named) == 1 and (currency is None or named[0] in SIGN_CURRENCIES.get(token, ())):
        return named[0]
    both = [c for c in (currency, *named) if c]
    raise ParseError("currency conflict", text, f"{both[0]} and {both[1]} both named: state "
                     "one currency")


_SCALE_DOT = re.compile(rf"(?<=\d)(\s*(?:{_SCALE}))\.(?=[\s+]|$)", re.IGNORECASE)
#: A plus between the amount and its scale (``USD 1+ billion``): put after the scale, where
#: it is read as "or more"; the amount was USD 1, its scale left out.
_PLUS_BEFORE_SCALE = re.compile(rf"(?<=\d)\s*\+\s*({_SCALE})(?![a-z])", re.IGNORECASE)
#: ``US-$`` (German usage: ``US-$ 5 Mio.``): the US dollar sign, its hyphen no minus; written
#: ``US$`` before the amount is read (it was a ``negative value``).
_US_HYPHEN_DOLLAR = re.compile(r"(?<![A-Za-z])(US)\s?[-‐]\s?\$", re.IGNORECASE)


def parse_money(value: object) -> Money | None:
    """Parse a value cell into :class:`Money`; ``None`` when missing (never 0).

    Accepts numbers (int/float, taken as-is with no currency) and text such as
    ``1,200,000``, ``$3,000,000``, ``USD 1.5 million``, ``EUR 155 million``, ``€155m``,
    ``2 bn``, ``CAD 2 billion (USD 1.46 billion)``, ``more than $47 million (committed so
    far)``, ``$30 million over five years``. Raises :class:`ParseError` for negative values,
    text without a number, ambiguous currencies or several different amounts.
    """
    if is_not_stated(value):
        return None
    if isinstance(value, bool):
        raise ParseError("unparseable value", value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            raise ParseError("absurd value", value, "not a finite number")
        if value < 0:
            raise ParseError("negative value", value)
        return Money(float(value), None)
    text = clean_text(value) or ""
    if is_spreadsheet_error(text):
        raise ParseError("spreadsheet error", text, "a formula's error, not a value")
    if _PLAIN_NUMBER.fullmatch(text):  # "1.705E+08" from a spreadsheet
        if float(text) < 0:
            raise ParseError("negative value", text)
        if not math.isfinite(float(text)):  # "1e999": the cell is quoted, not 'inf'
            raise ParseError("absurd value", text, "not a finite number")
        return parse_money(float(text))

    _no_amount_in_parentheses(text)
    # parenthetical parts: the whole amount restated in USD, or a remark kept in the note
    usd_stated: float | None = None
    restated: tuple[str, float] | None = None
    remarks: list[str] = []
    main = text
    units: list[str] = []  # currencies in brackets with no amount: "5 million (EUR)"
    point_notes: list[str] = []  # "USD 2.500 billion" read as 2.5 billion
    unsure: tuple[ParseError, str] | None = None  # "(USD 1.000 million)": 1 or 1,000 million
    for par in re.findall(r"\(([^()]*)\)", text):
        if _A_RATE.fullmatch(par.strip().lower()) or \
                _A_RATE_OVER_YEARS.fullmatch(par.strip().lower()):  # "(per year)": a rate
            main = main.replace(f"({par})", f" {par} ")
            continue
        main = main.replace(f"({par})", " ")
        try:
            cur, _ = _currency_in(par)
        except ParseError:
            cur = None
        amts = _amounts(par)
        if not amts and (unit := cur or _known_code_alone(par)):
            units.append(unit)
        amts = amts if cur == "USD" else []
        if cur == "USD" and len(amts) == 1 and restated is None and \
                not re.search(_PER_YEAR + "|" + _PART_OF, par.lower()):
            _no_continental_ambiguity(amts[0][2], text)  # "(USD 1.000 million)" too
            try:
                if point_note := _point_thousands_reading(amts[0][2], text, "USD"):
                    point_notes.append(point_note)
            except ParseError as err:  # "EUR 900 million (USD 1.000 million)": by the amount
                if amts[0][1] is not None:
                    raise
                unsure = (err, amts[0][2].group("num"))
            restated = (par.strip(), amts[0][0])
        else:
            remarks.append(par.strip())
    main = _US_HYPHEN_DOLLAR.sub(r"\1$", re.sub(r"\s+", " ", main).strip())
    main = _scale_once(_PLUS_BEFORE_SCALE.sub(r" \1+", _SCALE_DOT.sub(r"\1", main)))

    amounts = _amounts(main)
    if len({a for a, _, _ in amounts}) > 1:
        # "$30 million by 2025": a bare year next to a real amount is not an amount
        amounts = [t for t in amounts if not _year_like(t[2], main)] or amounts
    if not amounts:
        _no_count_in_words(main, text)
        if _IN_KIND_ALONE.fullmatch(main):
            if restated is not None and unsure is None:  # "in kind (USD 2 million)"
                inner = parse_money(restated[0])  # as written: "up to", a range, kept
                if inner is not None and inner.currency == "USD":
                    return replace(inner, note="; ".join(
                        [f"in kind; the USD figure ({restated[0]}) is its value",
                         *([inner.note] if inner.note else []), *point_notes]))
            if not re.search(r"\d", text):  # "In kind (EUR 2 million)" states one
                raise NotMoney(text, "in kind", kind="no amount of money",
                               detail="in kind or not money, no amount stated")
        raise ParseError("unparseable value", text)
    _no_unknown_currency(main, text)
    before_things = main  # things are blanked in place: positions hold in both
    main, amounts, things, written = _set_things_apart(main, amounts, text)
    if not amounts:  # only quantities of things: "500 laptops", "100,000 SIM cards"
        if restated is None:
            for thing, quantity in zip(things, written, strict=True):
                if _region_alone(thing):  # "5 Africa": five countries, or USD 5 million?
                    raise _unclear_count(text, quantity, thing)
            raise NotMoney(text, "; ".join(things))
        if unsure is not None:  # no amount of money to tell "(USD 1.000 million)" by
            raise unsure[0]
        # "100,000 SIM cards (USD 2 million)": the USD figure is the value of the things
        return Money(amount=restated[1], currency="USD",
                     note="; ".join([f"{'; '.join(things)!r} counts things, not money; the USD "
                                     f"figure ({restated[0]}) is the value", *point_notes]))
    distinct = {a for a, _, _ in amounts}
    if len(distinct) > 1:
        raise ParseError("ambiguous value", text, "several amounts")
    amount, hi, match = amounts[0]
    if hi is not None and _year_like(match, main):  # "2020 - 2022": when, not how much
        raise ParseError("unparseable value", text, "a span of years, not an amount: write "
                         "the amount here and the years in announced_date or target_year")
    # a minus before the amount ("-$5 million", "USD -5", "- 5" opening the cell; not the dash
    # of a range "1 000 - 2 000" after it, nor a spaced dash after words, "Laptops - USD 5")
    # or right after it, as accounting exports write it ("5,000,000-")
    if _MINUS_BEFORE.search(before_things[:match.start()] + (match.group("sign") or "") +
                            match.group("num")) or re.fullmatch(r"[-−]\s*", main[match.end():]):
        amount = -abs(amount)
    if amount < 0 or (usd_stated is not None and usd_stated < 0):
        raise ParseError("negative value", text)
    read_by_code: str | None = None  # "FCFA read as XOF, the code in brackets"
    try:
        currency, token = _currency_in(main)
    except ParseError as err:  # "5 million FCFA (XOF)": the code in brackets says which
        if len(set(units)) != 1 or units[0] not in currencies_of(err):
            raise
        currency, token = units[0], str(err.text).lower()
        read_by_code = f"{err.text!r} read as {currency}, the code in brackets"
    currency = _with_bracketed_unit(currency, token, units, text)
    if currency is None:
        _no_stray_word(main, match, text)
    _no_scale_like_word(main, match, text)
    _no_unknown_word_after(main, match, text)
    _no_continental_ambiguity(match, text)
    if point_note := _point_thousands_reading(match, text, currency):
        point_notes.insert(0, point_note)
    if re.match(r"\s*(?:%|per\s?cent\b)", main[match.end():], re.IGNORECASE):
        raise ParseError("unparseable value", text, "a percentage is not an amount of money")
    _no_three_decimals_after_grouping(match, text)
    if not match.group("scale") and re.fullmatch(r"\d{1,3}\.\d{3}", match.group("num")):
        num = match.group("num")
        raise ParseError("ambiguous value", text, f"{num!r} may be a decimal or thousands: "
                         f"write {num.replace('.', '')} or {float(num):g}")
    if unsure is not None and restated is not None:
        restated = _restated_by_amount(unsure, restated, amount, currency, match, point_notes)
    if restated is not None:  # the whole amount in another currency, restated in USD
        if currency in (None, "USD"):
            remarks.insert(0, restated[0])  # a USD amount restated in USD is a remark
        else:
            usd_stated = restated[1]

    notes: list[str] = ([read_by_code] if read_by_code else []) + point_notes
    qualifier = None
    head = main[: match.start()].lower()
    for word, meaning in MONEY_QUALIFIERS:
        if _qualifier_in(word, head):
            qualifier = word
            notes.append(f"'{word}': {meaning}")
            break
    if any(_INDIAN_GROUPING.fullmatch(n or "") for n in (match.group("num"), match.group("hi"))):
        notes.append(f"digits grouped in lakhs and crores ({match.group('num')}) read as "
                     f"{amount:,.0f}")
    if hi is not None:
        notes.append(f"range stated; lower bound {amount:,.0f} taken")
    notes.extend(f"{w!r} counts things, not money: not counted" for w in written)

    tail = main[match.end():].lower()
    if re.search(_NEGATIVE_DURATION, tail):
        raise ParseError("negative value", text, "negative number of years")
    for word, meaning, pattern in MONEY_QUALIFIERS_AFTER:
        if qualifier is None and re.match(pattern, tail):
            qualifier = word
            notes.append(f"'{word}': {meaning}")
    # "USD 2.5m x 4 years", "2m USD x 4 years": per year, for 4 years
    by_years = re.match(_TIMES_YEARS, main[_past_currency(main, match.end()):].lower())
    per_year = bool(by_years or re.search(_PER_YEAR, tail))
    for pattern, times, period in _PER_PERIOD:  # "USD 1 million per month": x 12 a year
        if not per_year and re.search(pattern, tail):
            notes.append(f"stated per {period} ({amount:,.0f}); {times} a year")
            amount, per_year = amount * times, True
            if usd_stated is not None:
                usd_stated = usd_stated * times
            break
    years: int | None = None
    multiplied = False
    # the duration: after the amount, else in a parenthetical remark ("similar over next
    # five years")
    dur = by_years or re.search(_DURATION, tail)
    dur_remark = None
    if dur is None and per_year:
        for r in remarks:
            if (dur := re.search(_DURATION, r.lower())) is not None:
                dur_remark = r
                break
    if dur:
        word = dur.group(1)
        years = int(word) if word.isdigit() else _WORD_NUMBERS.get(word)
        if per_year and years is not None and not 0 < years <= MAX_SPAN_YEARS:
            beyond = f", more than {MAX_SPAN_YEARS}" if years else ""
            raise ParseError("implausible duration", text, f"{years} years of a yearly amount"
                             f"{beyond}: state the total or the years meant")
    elif per_year:  # a span of years after the amount, else a remark that is one: "(2024-2026)"
        span = re.search(_YEAR_SPAN, tail)
        for r in remarks if span is None else ():
            if (span := re.fullmatch(rf"\s*{_YEAR_SPAN}\s*", r.lower())) is not None:
                dur_remark = r
                break
        if span is not None:
            years = _span_years(span, text)  # "over 2024-2028": 5 years
    if per_year and years:
        annual = amount
        amount = amount * years
        if usd_stated is not None:
            usd_stated = usd_stated * years
        if hi is not None:  # a range per year: both ends over the years
            hi = hi * years
        multiplied = True
        how = f" (from '{dur_remark}')" if dur_remark else ""
        notes.append(f"stated per year ({annual:,.0f}); multiplied by the {years} years "
                     f"stated{how} to a total of {amount:,.0f}")
        remarks = [r for r in remarks if r != dur_remark]
    elif per_year:
        notes.append("stated per year with no duration; the annual amount is taken")
    elif years:
        notes.append(f"total over {years} years")
    if usd_stated is not None and currency != "USD":
        notes.append("USD figure stated in the text used")
    notes.extend(f"({r})" for r in remarks if r)
    if not all(math.isfinite(x) for x in (amount, usd_stated or 0.0)):
        raise ParseError("absurd value", text, "not a finite number")
    return Money(
        amount=float(amount), currency=currency, usd_stated=usd_stated, qualifier=qualifier,
        per_year=per_year, years=years, multiplied=multiplied, note="; ".join(notes),
        range_high=None if hi is None else float(hi),
    )


def _span_years(span: re.Match, text: str) -> int:
    """The number of years, first and last counted, of the span of years ``span``
    (:data:`_YEAR_SPAN`) after a yearly amount in the value cell ``text``: ``2024-2026`` and
    ``2024-26`` are 3. Raises :class:`ParseError` (``implausible duration``) for a span that
    runs backwards (``2026-2024``) or is longer than :data:`MAX_SPAN_YEARS`: multiplied, the
    total would be wrong by far; read as one year, it was the yearly amount without a word."""
    first, last = span.group(1), span.group(2).strip()
    start = int(first)
    end = int(last) if len(last) == 4 else start // 100 * 100 + int(last)
    if end < start:
        raise ParseError("implausible duration", text, f"the years {first}-{last} run "
                         f"backwards: write the first year first, e.g. {end}-{start}")
    if end - start + 1 > MAX_SPAN_YEARS:
        raise ParseError("implausible duration", text, f"{start}-{end} is {end - start + 1} "
                         f"years of a yearly amount, more than {MAX_SPAN_YEARS}: state the "
                         "total or the years meant")
    return end - start + 1


def parse_money_beside(value: object, code: str | None) -> Money | None:
    """:func:`parse_money` of a value cell whose row names its currency in a column of its
    own (``code``, ISO 4217): a sign of several currencies in the cell (``$``, ``dollars``,
    ``¥``: :data:`SIGN_CURRENCIES`) is that currency when it is one of them, as the code
    written in the cell would make it (``$5 million`` beside ``CAD`` is CAD 5 million, as
    ``$5 million CAD`` is; it was a currency conflict, and ``¥500 million`` beside ``JPY``
    an ambiguous currency). Otherwise as :func:`parse_money`."""
    try:
        money, refused = parse_money(value), None
    except ParseError as err:
        if err.kind != "ambiguous currency":
            raise
        money, refused = None, err
    text = clean_text(value) if isinstance(value, str) else None
    if code and text and (money is None or money.currency != code) and any(
            code in SIGN_CURRENCIES.get(token, ()) for _, _, token in _currency_mentions(text)):
        for written in (f"{text} {code}", f"{code} {text}"):  # "5 million FCFA": before
            with contextlib.suppress(ParseError):
                beside = parse_money(written)
                if beside is not None and beside.currency == code and (
                        money is None or (beside.amount, beside.usd_stated, beside.range_high)
                        == (money.amount, money.usd_stated, money.range_high)):
                    return beside
    if refused is not None:
        raise refused
    return money


def parse_currency(value: object) -> str | None:
    """A currency cell (``$``, ``US$``, ``USD``, ``€``, ``EUR``, ``£``, ``CAD``, ...) -> ISO
    4217 code; ``None`` when missing. Raises for ``¥`` (ambiguous) and unknown text."""
    text = clean_text(value)
    if text is None:
        return None
    low = text.lower()
    if low in CURRENCY_TOKENS:
        return CURRENCY_TOKENS[low]
    if low in _AMBIGUOUS:
        raise ParseError("ambiguous currency", text, _AMBIGUOUS[low])
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    raise ParseError("unknown currency", text)


# --- dates -----------------------------------------------------------------------------------

Precision = str  # "year" | "month" | "day"


DATE_MAX_CHARS = 100  # longer text is no date (and is never handed to dateutil)
_LEADING_MINUS = re.compile(r"^\s*[-−–]\s*\d|\s[-−–]\d")


def _day(year: int, month: int, day: int, text: object) -> pd.Timestamp:
    """``Timestamp(year, month, day)`` once the year is within :data:`PLAUSIBLE_YEARS`
    (checked first, so no timestamp outside pandas' range is ever built)."""
    lo, hi = PLAUSIBLE_YEARS
    if not lo <= year <= hi:
        raise ParseError("implausible date", text, f"year {year} outside {lo}-{hi}")
    try:
        return pd.Timestamp(dt.date(year, month, day))
    except ValueError as err:
        raise ParseError("impossible date", text, str(err)) from None


class DateRead(NamedTuple):
    """A date cell as :func:`read_date` reads it: the first day of the stated period, its
    precision (``"year"``, ``"month"`` or ``"day"``) and the note saying which reading was
    chosen where another was possible (``01.05.2023`` read day first), else ``None``."""

    when: pd.Timestamp
    precision: Precision
    note: str | None = None


def parse_date(value: object) -> tuple[pd.Timestamp, Precision] | None:
    """A date cell -> (Timestamp of the first day of the stated period, precision).

    ``2022`` -> (2022-01-01, "year"); ``2022-06`` / ``June 2022`` -> (2022-06-01, "month");
    ``9 June 2022`` / ``2022-06-09`` / ``2022-06-09T10:00:00Z`` -> (2022-06-09, "day").
    Time of day and time zone are dropped (a timestamp's calendar date in its own zone).
    ``None`` when missing. Raises :class:`ParseError` for impossible dates (``2022-13-40``,
    ``31 February 2023``), dates outside :data:`PLAUSIBLE_YEARS` (``implausible date``), a
    leading minus (``-2024``: ``negative date``), ambiguous numeric day/month order and
    unparseable text (including text longer than :data:`DATE_MAX_CHARS`). A date with points
    (``01.05.2023``) is read day first, 1 May 2023 (:func:`read_date` says so in its note),
    while ``01/05/2023`` and ``01-05-2023`` are ambiguous.
    """
    read = read_date(value)
    return None if read is None else (read.when, read.precision)


def read_date(value: object) -> DateRead | None:
    """:func:`parse_date` with the note on the reading chosen, from the same parse: for
    ``01.05.2023`` (day and month both 12 or less, and different) "date '01.05.2023' read as
    day.month.year, the order of a date with points: 2023-05-01, not 2023-01-05"; a slashed
    or dashed form of it (``01/05/2023``) stays an ``ambiguous date``. ``None`` when
    missing; raises as :func:`parse_date` does."""
    if is_not_stated(value):
        return None
    if isinstance(value, dt.date):  # also datetime and pandas Timestamp (XLSX date cells)
        return DateRead(_day(value.year, value.month, value.day, value), "day")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ParseError("negative date", value)
        if float(value).is_integer() and 1000 <= value <= 9999:
            return DateRead(_day(int(value), 1, 1, value), "year")
        _date_serial_hint(value)
        raise ParseError("unparseable date", value)
    text = clean_text(value) or ""
    if len(text) > DATE_MAX_CHARS:
        raise ParseError("unparseable date", text, f"longer than {DATE_MAX_CHARS} characters")
    if _LEADING_MINUS.search(text):
        raise ParseError("negative date", text)
    return _parse_date_text(text)


def _date_serial_hint(value: object) -> None:
    """Raise :class:`ParseError` for a whole number that reads as a spreadsheet's date serial
    of the plausible years (``44636``: Excel's 2022-03-15, written into a CSV as a number), with
    that hint; it is not converted (Excel's 1900 and 1904 date systems differ by four years)."""
    try:
        n = float(str(value).strip())
    except ValueError:
        return
    if n.is_integer() and 36_526 <= n <= 73_050:  # 2000-01-01 .. 2099-12-31 in Excel's 1900
        day = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(n))).date().isoformat()
        raise ParseError("unparseable date", value, f"a number like a spreadsheet's date "
                         f"serial ({int(n)} is {day} in Excel): format the column as dates "
                         "or write YYYY-MM-DD")


#: A time of day after a date, as spreadsheets export date cells (`` 10:00``, ``T10:00:00``,
#: `` 3:05 PM``): it leaves the date's day/month order as it was.
_TIME_OF_DAY = r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
#: A day, month and year with points between (``01.05.2023``, ``1.5.23``): the German and
#: wider European writing, day first; a month-first date is not written with points.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?P<time>" + _TIME_OF_DAY + ")?")


def dotted_date(text: str) -> bool:
    """Whether ``text`` (a cell's clean text) is a date written day.month.year with points
    (:data:`_DOTTED`), which :func:`parse_date` reads day first."""
    return _DOTTED.fullmatch(text) is not None


def _parse_date_text(text: str) -> DateRead:
    """:func:`read_date` for a short, non-missing text with no minus sign before a year."""
    _date_serial_hint(text)
    if m := re.fullmatch(r"(\d{4})(?:\.0)?", text):
        return DateRead(_day(int(m.group(1)), 1, 1, text), "year")
    if m := (re.fullmatch(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})", text)
             or re.fullmatch(r"(?P<m>\d{1,2})\.(?P<y>\d{4})", text)):  # 05.2023: MM.YYYY
        year, month = int(m["y"]), int(m["m"])
        if not 1 <= month <= 12:
            raise ParseError("impossible date", text, f"month {month}")
        return DateRead(_day(year, month, 1, text), "month")
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text):
        y, mo, d = (int(g) for g in m.groups())
        return DateRead(_day(y, mo, d, text), "day")
    dotted = dotted_date(text)
    swappable: tuple[int, int] | None = None  # day and month of a dotted date read day first
    if m := re.fullmatch(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?:" + _TIME_OF_DAY + ")?",
                         text):
        a, _sep, b, _y = m.groups()
        a, b = int(a), int(b)
        if a != b and a <= 12 and b <= 12:
            if not dotted:  # 06/09/2022, 06-09-2022, 06/09/22
                raise ParseError("ambiguous date", text, "day/month order: use YYYY-MM-DD")
            swappable = (a, b)
    # dateutil, twice with different defaults: a component it fills from the default was
    # not stated, which gives the precision.
    d1 = dt.datetime(1901, 1, 1)
    d2 = dt.datetime(1902, 2, 2)
    try:
        p1 = dateparser.parse(text, default=d1, dayfirst=dotted)
        p2 = dateparser.parse(text, default=d2, dayfirst=dotted)
    except (ValueError, OverflowError, TypeError, IndexError) as err:
        msg = str(err)
        if "out of range" in msg or "must be in" in msg:
            raise ParseError("impossible date", text, msg.split(":")[0]) from None
        raise ParseError("unparseable date", text) from None
    if p1.year != p2.year:
        raise ParseError("unparseable date", text, "no year")
    if p1.month != p2.month:
        return DateRead(_day(p1.year, 1, 1, text), "year")
    if p1.day != p2.day:
        return DateRead(_day(p1.year, p1.month, 1, text), "month")
    when = _day(p1.year, p1.month, p1.day, text)
    if swappable is None:
        return DateRead(when, "day")
    other = _day(when.year, *swappable, text)  # the month.day.year reading
    return DateRead(when, "day", f"date {text!r} read as day.month.year, the order of a date "
                                 f"with points: {when:%Y-%m-%d}, not {other:%Y-%m-%d}")


def parse_year(value: object) -> int | None:
    """A year cell (``2030``, ``2030.0``, ``"by 2030"``, ``2030-12-31``, a date) -> int in
    :data:`PLAUSIBLE_YEARS` (2000..2100); ``None`` when missing; raises :class:`ParseError`
    otherwise (``negative year`` for ``-2030``, ``impossible year`` outside the window)."""
    if is_not_stated(value):
        return None
    lo, hi = PLAUSIBLE_YEARS
    if isinstance(value, dt.date):  # a date cell of a spreadsheet: its year
        value = value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ParseError("negative year", value)
        if math.isfinite(value) and not float(value).is_integer():  # 2030.5: no year
            raise ParseError("unparseable year", value, "not a whole year")
        if lo <= value <= hi:
            return int(value)
        raise ParseError("impossible year", value, f"outside {lo}-{hi}")
    text = clean_text(value) or ""
    if _LEADING_MINUS.search(text):
        raise ParseError("negative year", text)
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    if len(set(years)) == 1 and re.fullmatch(r"(?:by|in|end(?: of)?)?\s*\d{4}(?:\.0)?"
                                            r"(?:-\d{1,2}(?:-\d{1,2})?)?", text, re.I):
        year = int(years[0])
        if lo <= year <= hi:
            return year
        raise ParseError("impossible year", text, f"outside {lo}-{hi}")
    raise ParseError("unparseable year", text)


_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})
_LENIENT_TRUE = _TRUE_WORDS | {"x", "t", "1.0"}
_LENIENT_FALSE = _FALSE_WORDS | {"f", "0.0"}


def parse_bool(value: object, *, strict: bool = False) -> bool | None:
    """The package's one text -> bool parser. ``None`` when missing (blank, ``N/A``, NaN...).

    Always accepted (any case, surrounding spaces ignored): ``true/yes/y/on/1`` -> True,
    ``false/no/n/off/0`` -> False, Python/numpy bools, and the numbers 0 and 1.
    ``strict=False`` (pledge cells) also takes spreadsheet habits: ``x``/``t``/``1.0`` ->
    True, ``f``/``0.0`` -> False. Anything else raises :class:`ParseError`
    (``not a yes/no value``).
    """
    if isinstance(value, bool):
        return value
    if is_not_stated(value):
        return None
    if isinstance(value, numbers.Real) and (value == 0 or value == 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in (_TRUE_WORDS if strict else _LENIENT_TRUE):
        return True
    if text in (_FALSE_WORDS if strict else _LENIENT_FALSE):
        return False
    raise ParseError("not a yes/no value", value)


_URL_SCHEMES = ("http", "https")


def parse_url(value: object) -> str | None:
    """A ``source_url`` cell -> the text as stated (whitespace collapsed); ``None`` when
    missing. Every link in it (split on spaces and ``;``) must be ``http://`` or
    ``https://`` with a host, or a bare ``www.`` address. Raises :class:`ParseError`
    (``unsupported url``) for other schemes (``javascript:``, ``file:``, ``data:``...),
    text that is no link, and control characters."""
    text = clean_text(value)
    if text is None:
        return None
    links = [link for link in re.split(r"[\s;]+", text) if link]
    if not links:
        raise ParseError("unsupported url", text, "not a link")
    text = text.strip("; ")  # a separator before the first link or after the last: not kept
    for link in links:
        if not link.isprintable():
            raise ParseError("unsupported url", text, "control characters")
        if link.lower().startswith("www.") and len(link) > 4:
            continue
        try:
            parts = urllib.parse.urlsplit(link)
        except ValueError:
            raise ParseError("unsupported url", text, "not a link") from None
        if parts.scheme.lower() not in _URL_SCHEMES or not parts.hostname:
            raise ParseError("unsupported url", text, "only http and https links")
    return text


# --- lists -----------------------------------------------------------------------------------

#: Pieces of a list of countries that are codes although they read as "not stated" on their
#: own: ``NA`` is Namibia's ISO 3166 alpha-2 code (``"ZA; NA; BW"``).
COUNTRY_CODES_LIKE_MISSING = frozenset({"na"})


def split_cell(value: object, keep: frozenset[str] = frozenset()) -> list[str]:
    """Split a multi-valued cell on ``;`` and newlines (never on commas); drop empty pieces
    and pieces meaning "not stated", except those in ``keep`` (lower case) when the cell has
    several pieces. Lists/tuples are taken as already split (their items are pieces of a list:
    ``keep`` applies). Missing -> ``[]``."""
    if isinstance(value, (list, tuple)):
        pieces, several = [str(v) for v in value], True
    elif is_not_stated(value):
        return []
    else:
        pieces = re.split(r"[;\n\r]+", str(value))
        several = sum(bool(p.strip()) for p in pieces) > 1
    return [p.strip() for p in pieces
            if not is_not_stated(p) or (several and p.strip().lower() in keep)]


MAX_NAME_PARTS = 4  # a country or region name has at most 3 commas ("Congo, Dem. Rep." has 1)


#: What separates the names of a list inside one piece: a comma or a vertical bar (the
#: separator of a multi-valued field in many web platforms' exports: ``Kenya|Uganda``); with
#: ``words``, also a slash, an ampersand, a plus sign and "and" (``Ghana and Kenya``,
#: ``GHA/KEN``, ``Ghana + Kenya``), and a comma before "and" or "&" (the serial comma of
#: ``Ghana, Kenya, and Uganda``).
_NAME_SEPARATORS = (r"(\s*,\s*|\s*\|\s*)",
                    r"(\s*,\s*(?:and|&)\s+|\s*,\s*|\s*\|\s*|\s*/\s*|\s+&\s+|\s*\+\s*"
                    r"|\s+and\s+)")


def split_resolving(
    value: object, resolve: Callable[[str], object | None], keep: frozenset[str] = frozenset(),
    words: bool = False,
) -> tuple[list, list[str]]:
    """Split a multi-valued cell, resolving each piece: ``(resolved items, unresolved texts)``.

    Pieces are separated by ``;`` / newlines. A piece that does not resolve as a whole but
    contains commas (with ``words``, also ``/``, `` & `` or `` and ``: a list of countries,
    never of regions, whose names hold such words: "Asia and the Pacific") is split there
    *greedily*: at each position the longest run of parts (at most :data:`MAX_NAME_PARTS`, so
    time stays linear in the cell's length), joined as written (a comma as ``", "``), that
    resolves is taken (so
    ``"Congo, Dem. Rep., Ghana"`` gives the DR Congo and Ghana, ``"Trinidad and Tobago and
    Jamaica"`` two countries). If some part still does not resolve, the whole piece is
    reported as unresolved. ``resolve`` returns ``None`` for unknown text. Duplicates are
    dropped, order kept. ``keep``: as in :func:`split_cell`.
    """
    items: list = []
    bad: list[str] = []
    for piece in split_cell(value, keep):
        got = resolve(piece)
        if got is not None:
            items.append(got)
            continue
        # parts and the separators between them, as written: [part, sep, part, sep, part]
        tokens = [", " if t.strip() == "," else t
                  for t in re.split(_NAME_SEPARATORS[words], piece, flags=re.IGNORECASE)]
        parts = tokens[::2]
        if len(parts) < 2:
            bad.append(piece)
            continue
        found: list = []
        i = 0
        ok = True
        while i < len(parts):
            for j in range(min(len(parts), i + MAX_NAME_PARTS), i, -1):
                cand = "".join(tokens[2 * i:2 * j - 1]).strip()
                if not cand:
                    continue
                hit = resolve(cand)
                if hit is not None:
                    found.append(hit)
                    i = j
                    break
            else:
                if parts[i].strip() == "":
                    i += 1
                    continue
                ok = False
                break
        if ok:
            items.extend(found)
        else:
            bad.append(piece)
    return list(dict.fromkeys(items)), bad


# --- categories ------------------------------------------------------------------------------

def text_key(text: str) -> str:
    """Normalisation key: lower case, organisation->organization, &->and, punctuation and
    runs of space/dash/underscore -> one space."""
    t = text.lower().replace("organisation", "organization").replace("&", " and ")
    t = re.sub(r"[\-_/,.()'’]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


CATEGORY_SYNONYMS = paths.HARMONIZATION / "category_synonyms.csv"
CATEGORY_FIELDS: dict[str, tuple[str, ...]] = {
    "focus_areas": vocabulary.FOCUS_AREAS,
    "stakeholder_type": vocabulary.STAKEHOLDER_TYPES,
    "pledge_type": vocabulary.PLEDGE_TYPES,
    "status": vocabulary.STATUSES,
}


@functools.cache
def category_synonyms() -> dict[str, dict[str, str]]:
    """``{field: {text_key(spelling): canonical value}}`` for the category fields
    (:data:`CATEGORY_FIELDS`), read once from ``data/harmonization/category_synonyms.csv``
    (columns ``field, canonical, synonym``; every canonical value also matches itself).

    Raises ``ValueError`` naming the file and line for an unknown field or canonical
    value."""
    path = paths.track(CATEGORY_SYNONYMS)
    tables: dict[str, dict[str, str]] = {
        name: {text_key(v): v for v in allowed} for name, allowed in CATEGORY_FIELDS.items()}
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            name, canonical = row["field"], row["canonical"]
            if canonical not in CATEGORY_FIELDS.get(name, ()):
                raise ValueError(f"{path}: line {line}: {canonical!r} is no {name} value")
            tables[name][text_key(row["synonym"])] = canonical
    return tables


def _lookup(fieldname: str, value: object, what: str,
            strip: tuple[str, ...] = (), remarks: bool = True) -> str | None:
    """The canonical value of category field ``fieldname`` that the text ``value`` spells
    (see :func:`category_synonyms`); ``None`` when missing; raises ``unknown <what>``.
    ``remarks``: a trailing parenthetical is dropped (``Access (rural)``); not for a status,
    whose remark may change it (``Completed (partially)``)."""
    table = category_synonyms()[fieldname]
    text = clean_text(value)
    if text is None:
        return None
    key = text_key(text)
    if key in table:
        return table[key]
    for suffix in strip:
        if key.endswith(" " + suffix) and key[: -len(suffix) - 1] in table:
            return table[key[: -len(suffix) - 1]]
    if key.startswith("p2c ") and key.removeprefix("p2c ") in table:
        return table[key.removeprefix("p2c ")]
    key2 = re.sub(r"\s*\(.*$", "", text)  # drop a trailing parenthetical: "Access (rural)"
    if remarks and key2 != text and text_key(key2) in table:
        return table[text_key(key2)]
    raise ParseError(f"unknown {what}", text)


def parse_focus_area(value: object) -> str | None:
    """One focus-area spelling (any case; ``Accelerating investment``,
    ``accelerate-investment``, ...) -> one of :data:`FOCUS_AREAS`; ``None`` when missing."""
    return _lookup("focus_areas", value, "focus area", strip=("focus area", "pillar"))


#: Words that join two focus areas in one piece (``Access & Adoption``, ``Access/Adoption``,
#: ``Access and Adoption``): no focus area's name holds them.
_FOCUS_AREA_JOINS = re.compile(r"\s*[/&+|]\s*|\s+and\s+", re.IGNORECASE)


def _focus_areas_in(part: str) -> list[str | None]:
    """The focus areas of ``part`` (a piece between commas): one, or, when it is none, those
    it joins by :data:`_FOCUS_AREA_JOINS` (``Access & Adoption``: both; they were an unknown
    focus area). Raises for ``part`` itself when any joined piece is unknown too."""
    try:
        return [parse_focus_area(part)]
    except ParseError:
        pieces = _FOCUS_AREA_JOINS.split(part)
        if len(pieces) < 2:
            raise
        try:
            return [parse_focus_area(p) for p in pieces if not is_not_stated(p)]
        except ParseError:
            pass
        raise


def parse_focus_areas(value: object) -> list[str]:
    """A focus-area cell (``;``/newline separated; commas too, since no focus area contains
    one; ``&``, ``/``, ``+`` and ``and`` between two names: :func:`_focus_areas_in`) -> list
    of :data:`FOCUS_AREAS`, duplicates dropped. Raises on an unknown piece."""
    out: list[str] = []
    for piece in split_cell(value):
        for part in piece.split(","):
            if is_not_stated(part):
                continue
            for fa in _focus_areas_in(part):
                if fa is not None and fa not in out:
                    out.append(fa)
    return out


def parse_stakeholder_types(value: object) -> list[str]:
    """A stakeholder-type cell -> list of :data:`STAKEHOLDER_TYPES` in the order listed
    (``"UN entity; Government"`` -> both). ``"Civil society / NGO"`` is one type, so ``/`` is
    not a separator. Missing -> ``[]``; raises on an unknown type."""
    out: list[str] = []
    for piece in split_cell(value):
        st = _lookup("stakeholder_type", piece, "stakeholder type", strip=("entity", "stakeholder"))
        if st is not None and st not in out:
            out.append(st)
    return out


def parse_pledge_type(value: object) -> list[str]:
    """A pledge-type cell -> list of :data:`PLEDGE_TYPES` (``"Financial pledge"`` ->
    ``["Financial"]``); missing -> ``[]``; raises on an unknown type."""
    out: list[str] = []
    for piece in split_cell(value):
        for part in piece.split(","):
            if is_not_stated(part):
                continue
            pt = _lookup("pledge_type", part, "pledge type", strip=("pledge", "commitment"))
            if pt is not None and pt not in out:
                out.append(pt)
    return out


def parse_status(value: object) -> str:
    """A status cell -> one of :data:`STATUSES`; missing -> ``"unknown"``; raises on text
    that is no known status, with a remark too (``Completed (partially)`` is not completed)."""
    said_unknown = isinstance(value, str) and value.strip().lower() == vocabulary.UNKNOWN
    if is_not_stated(value) and not said_unknown:
        return vocabulary.UNKNOWN
    return _lookup("status", value, "status", remarks=False) or vocabulary.UNKNOWN


#: A goal's number as a cell writes it: ``SDG 9``, ``SDGs 9``, ``Goal 9``, ``#9``, ``9``.
_GOAL_NUMBER = r"\s*(?:sdgs?|goal)?\s*#?\s*"

#: A goal's number with its title after it (``SDG 9: Industry, Innovation and
#: Infrastructure``, ``Goal 4 - Quality Education``, ``4. Quality Education``, ``SDG 17
#: Partnerships for the Goals``): a title holds no digit.
_TITLED_SDG = re.compile(_GOAL_NUMBER + r"(\d+)\s*(?:[:.\-\u2013\u2014]\s*|\s+)"
                         r"[^\W\d_][^\d]*", re.IGNORECASE)
#: A goal named with its word before its number, inside a list of titled goals.
_NAMED_SDG = re.compile(r"\b(?:sdgs?|goal)\s*#?\s*(\d+)", re.IGNORECASE)


def _titled_sdgs(part: str) -> list[float] | None:
    """The goals of ``part`` (a piece between semicolons) when it names them with their
    titles, which hold commas and "and" (``SDG 9: Industry, Innovation and Infrastructure``:
    split there, "Innovation" was an unparseable SDG, and the pledge set aside): one titled
    goal (a trailing remark in brackets aside: ``SDG 4 (Quality Education)``), or several
    each written ``SDG n`` / ``Goal n`` with every digit of ``part`` in those (``SDG 4 -
    Quality Education, SDG 9 - Industry, Innovation and Infrastructure``). ``None``
    otherwise (``9, 17``, ``SDGs 4 and 9``: read as a list). A bracket naming another goal is
    no remark (``SDG 9 (and SDG 17)``, ``SDG 9 (17)``: stripping it lost the goal); one naming
    a target or a year is (``SDG 9 (Target 9.1)``, ``SDG 4 (Agenda 2030)``)."""
    bracket = re.search(r"\s*\(([^()]*)\)\s*$", part)
    names_goal = bracket is not None and re.search(
        r"\b(?:sdgs?|goals?)\b|^\s*(?:(?:and|also|plus|&)\s+)?\d{1,2}"
        r"(?:\s*(?:,|and|&)\s*\d{1,2})*\s*$", bracket.group(1), re.IGNORECASE)
    text = part[:bracket.start()] if bracket is not None and not names_goal else part
    if m := _TITLED_SDG.fullmatch(text) or (text != part and re.fullmatch(
            _GOAL_NUMBER + r"(\d+)\s*", text, re.IGNORECASE)):
        return [float(m.group(1))]  # "SDG 4 (Quality Education)" too
    named = list(_NAMED_SDG.finditer(text))
    if len(named) > 1 and len(re.findall(r"\d+", text)) == len(named):
        return [float(m.group(1)) for m in named]
    return None


def parse_sdgs(value: object) -> list[int]:
    """An SDG cell (``"SDG 9; SDG 17"``, ``"9, 17"``, ``"Goal 4"``, ``9``) -> sorted unique
    ints in 1..17; missing -> ``[]``; raises for numbers outside 1..17 or other text."""
    if is_not_stated(value):
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        nums = [value]
    else:
        nums = []
        for part in re.split(r"[;\n\r|]+", str(value)):
            if (titled := _titled_sdgs(part)) is not None:
                nums += titled
                continue
            for p in re.split(r"[,/]+|\band\b", part):
                if is_not_stated(p):
                    continue
                m = re.fullmatch(_GOAL_NUMBER + r"(-?\d+(?:\.0)?)\s*(?::.*)?", p, re.I)
                if not m:
                    raise ParseError("unparseable sdg", p.strip())
                nums.append(float(m.group(1)))
    out: set[int] = set()
    lo, hi = vocabulary.SDG_RANGE
    for n in nums:
        if not float(n).is_integer() or not lo <= n <= hi:
            raise ParseError(f"sdg outside {lo}-{hi}", f"{n:g}")
        out.add(int(n))
    return sorted(out)


GLOBAL_TOKENS = frozenset({"global", "worldwide", "world", "world wide", "all countries",
                           "globally", "all regions", "all economies"})


def is_global_text(value: object) -> bool:
    """True when a region/country piece says the pledge is global (``Global``,
    ``worldwide``, ``World``, ``all countries``), also with a trailing remark in parentheses
    (``Global (emphasis on LDCs, LLDCs and SIDS)``: the remark is an emphasis, the scope is
    global; the loader keeps it in the notes). ``Global South`` is *not* global."""
    text = clean_text(value)
    if text is None:
        return False
    return text_key(_TRAILING_REMARK.sub("", text)) in GLOBAL_TOKENS


_TRAILING_REMARK = re.compile(r"\s*\([^()]*\)\s*$")
