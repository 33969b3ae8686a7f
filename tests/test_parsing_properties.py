"""Property-based tests (Hypothesis) of the cell parsers: for ANY cell they return a value
or raise ``ParseError`` (a quarantine reason), never another exception, never a non-finite
number or a date outside 2000-2100, and each call finishes within a bound (``deadline``).
"""

from __future__ import annotations

import math
import re
import time
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from p2c_analysis import countries, fields, parsing
from p2c_analysis.limits import MAX_PLEDGE_USD, PLAUSIBLE_YEARS
from p2c_analysis.parsing import ParseError
from p2c_analysis.pledges import _RowParser


@pytest.fixture(scope="module", autouse=True)
def _warm_caches() -> None:
    """Load the reference tables (countries, regions, exchange rates, synonyms) once before
    the timed examples, so the deadline measures parsing, not first-time loading."""
    _RowParser().parse({"title": "x", "value_as_stated": "EUR 5 million",
                        "announced_date": "2022", "target_countries": "Ghana; Congo, Dem. Rep.",
                        "target_regions": "Africa", "status": "completed",
                        "focus_areas": "ACCESS", "stakeholder_type": "NGO", "sdgs": "9"})


PROPERTY = settings(max_examples=150, deadline=timedelta(milliseconds=500), database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --- strategies: anything, and text that looks like what pledge cells hold -----------------------

WORDS = ["USD", "US$", "$", "€", "EUR", "£", "¥", "CAD", "KES", "million", "bn", "m", "k",
         "trillion", "per year", "a year", "for", "over", "the next", "five", "years", "to",
         "more than", "up to", "approximately", "(", ")", "-", "−", "–", ",", ".", ";", "/",
         "SDG", "Goal", "#", "and", "by", "in", "end of", "June", "Sept", "T", ":", "Z", "e",
         "E+", "1e308", "9" * 400, "0", "2022", "-2024", "3000", "13", "31", "29", "\n", " ",
         "TBD", "n/a", "Ghana", "Congo", "Dem. Rep.", "Global", "Africa", "Korea", "www.",
         "http://", "https://", "javascript:", "x.org", "\x1b[31m", "\u202e", "\x00"]

messy = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=12).map("".join),
)
numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
cells = st.one_of(messy, numbers, st.none(), st.dates(), st.datetimes())


def _value_or_reason(func, value):
    """``func(value)``, or ``None`` when it raised ParseError with a kind (a reason)."""
    try:
        return func(value)
    except ParseError as err:
        assert err.kind and isinstance(err.kind, str) and "\n" not in err.kind
        return None


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(cells)
def test_parse_money_gives_a_finite_non_negative_amount_or_a_reason(value: object) -> None:
    m = _value_or_reason(parsing.parse_money, value)
    if m is not None:
        assert math.isfinite(m.amount) and m.amount >= 0
        assert m.usd_stated is None or (math.isfinite(m.usd_stated) and m.usd_stated >= 0)
        assert m.currency is None or (len(m.currency) == 3 and m.currency.isupper())


@PROPERTY
@given(cells)
def test_parse_date_gives_a_plausible_nanosecond_date_or_a_reason(value: object) -> None:
    got = _value_or_reason(parsing.parse_date, value)
    if got is not None:
        ts, precision = got
        assert PLAUSIBLE_YEARS[0] <= ts.year <= PLAUSIBLE_YEARS[1]
        assert precision in fields.DATE_PRECISIONS
        assert pd.Series([ts]).astype("datetime64[ns]").iloc[0] == ts  # fits the column


@PROPERTY
@given(cells)
def test_parse_year_gives_a_plausible_year_or_a_reason(value: object) -> None:
    year = _value_or_reason(parsing.parse_year, value)
    assert year is None or (isinstance(year, int)
                            and PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1])


@PROPERTY
@given(cells)
def test_parse_sdgs_gives_sorted_goals_or_a_reason(value: object) -> None:
    goals = _value_or_reason(parsing.parse_sdgs, value)
    if goals is not None:
        assert goals == sorted(set(goals)) and all(isinstance(g, int) for g in goals)
        assert all(1 <= g <= 17 for g in goals)


@PROPERTY
@given(cells)
def test_split_cell_gives_clean_pieces(value: object) -> None:
    pieces = parsing.split_cell(value)  # never raises
    for p in pieces:
        assert isinstance(p, str) and p == p.strip() and not parsing.is_not_stated(p)
        assert ";" not in p and "\n" not in p and "\r" not in p


@PROPERTY
@given(messy)
def test_split_resolving_with_the_real_resolver(value: str) -> None:
    found, bad = parsing.split_resolving(value, countries.try_resolve)
    assert all(isinstance(c, str) and len(c) == 3 and c.isupper() for c in found)
    assert len(found) == len(set(found))
    assert all(isinstance(b, str) and b for b in bad)


@PROPERTY
@given(cells)
def test_bool_url_currency_and_categories_give_a_value_or_a_reason(value: object) -> None:
    assert _value_or_reason(parsing.parse_bool, value) in (None, True, False)
    assert _value_or_reason(lambda v: parsing.parse_bool(v, strict=True), value) in (
        None, True, False)
    url = _value_or_reason(parsing.parse_url, value)
    if url is not None:
        first = url.split()[0].lower()
        assert first.startswith(("http://", "https://", "www.")) and url.isprintable()
    code = _value_or_reason(parsing.parse_currency, value)
    assert code is None or (len(code) == 3 and code.isupper())
    for func, allowed in ((parsing.parse_focus_areas, fields.FOCUS_AREAS),
                          (parsing.parse_stakeholder_types, fields.STAKEHOLDER_TYPES),
                          (parsing.parse_pledge_type, fields.PLEDGE_TYPES)):
        assert set(_value_or_reason(func, value) or []) <= set(allowed)
    assert _value_or_reason(parsing.parse_status, value) in (None, *fields.STATUSES)


ROW_FIELDS = ("title", "pledger", "entity_country", "target_countries", "target_regions",
              "value_as_stated", "currency", "estimated_value_usd", "announced_date",
              "last_report_date", "target_year", "sdgs", "source_url", "status", "is_global")


@PROPERTY
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(ROW_FIELDS, cells)))
def test_the_row_parser_gives_a_record_and_reasons_never_an_exception(row: dict) -> None:
    parsed = _RowParser().parse(row)
    assert all(isinstance(r, str) and r and "\n" not in r for r in parsed.reasons)
    rec = parsed.record
    usd = rec.get("estimated_value_usd")
    if usd is not None and not parsed.reasons:
        assert math.isnan(usd) or 0 <= usd <= MAX_PLEDGE_USD
    assert all(len(c) == 3 and c.isupper() for c in rec["target_countries"])
    if rec["entity_country"] is not None:
        assert len(rec["entity_country"]) == 3


# --- bounded time on long, adversarial cells (32,767 characters: the cell-length limit) ---------

LONG = 32_767


@pytest.mark.parametrize(
    "text",
    ["1," * (LONG // 2), "-" * LONG, "(" * (LONG // 2) + ")" * (LONG // 2), "$" * LONG,
     "9" * LONG, "1.2" * (LONG // 3), "a, " * (LONG // 3), "Congo, " * (LONG // 7),
     "over " * (LONG // 5), "SDG 9; " * (LONG // 7), "2022-" * (LONG // 5), "é" * LONG],
    ids=lambda t: f"{t[:8]!r}x{len(t)}",
)
def test_every_parser_finishes_quickly_on_a_cell_at_the_length_limit(text: str) -> None:
    parser = _RowParser()
    start = time.monotonic()
    for func in (parsing.parse_money, parsing.parse_date, parsing.parse_year,
                 parsing.parse_sdgs, parsing.parse_url, parsing.parse_focus_areas,
                 parsing.parse_status, lambda v: parsing.split_resolving(v, parser.country)):
        _value_or_reason(func, text)
    parser.parse(dict.fromkeys(ROW_FIELDS, text))
    assert time.monotonic() - start < 5.0


_DAY_LIKE = st.one_of(
    st.dates().map(lambda d: d.isoformat()),  # a day, maybe before 1000 (still YYYY-MM-DD)
    st.text(alphabet="0123456789-W/. T:", max_size=12),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=_DAY_LIKE)
def test_an_overlap_date_is_a_day_or_one_line_naming_its_row(tmp_path, cell):
    # whatever is in known_from: the file loads with that day, or one ValueError naming the row
    import csv
    import datetime as dt

    from p2c_analysis import values

    f = tmp_path / "o.csv"
    with f.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow([*values.OVERLAP_COLUMNS, "known_from"])
        w.writerow(["Acme", "The Pledge", "", "", "", "", "https://a.b", "n", cell])
    try:
        ov = values.load_overlaps(f)
    except ValueError as err:
        assert str(err).startswith("o.csv: row 2: known_from must be a day"), err
        assert "\n" not in str(err)
        return
    text = cell.strip()
    if not text:
        assert pd.isna(ov["known_from"].iloc[0])
    else:
        assert ov["known_from"].iloc[0] == pd.Timestamp(dt.date.fromisoformat(text))
        assert len(text) == 10


def _grouped(n: int, sep: str) -> str:
    """``n`` in digits grouped by threes with ``sep`` (``1 000 000``)."""
    return f"{n:,}".replace(",", sep)


@PROPERTY
@given(n=st.integers(min_value=1_000, max_value=10**12),
       sep=st.sampled_from([" ", "\u00a0", "\u202f", "'", "’"]),
       cents=st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
       code=st.sampled_from(["", "USD ", "EUR ", "CHF "]))
def test_digits_grouped_by_threes_read_as_the_number(n, sep, cents, code) -> None:
    """Any whole number written with thousands grouped by a space, a no-break space or an
    apostrophe (with a decimal comma or point after it, as its convention has it) reads as
    that number, never as several amounts."""
    point = "," if sep.isspace() else "."
    text = code + _grouped(n, sep) + (f"{point}{cents:02d}" if cents is not None else "")
    m = parsing.parse_money(text)
    assert m.amount == pytest.approx(n + (cents or 0) / 100)
    assert m.currency == (code.strip() or None)


_UNKNOWN_CODES = st.sampled_from(["SIM", "GPU", "XYZ", "ABC", "PCS"])
_AMOUNT = st.tuples(st.integers(min_value=1, max_value=999_999),
                    st.sampled_from([("", 1), (" million", 1e6), ("m", 1e6), (" bn", 1e9),
                                     ("k", 1e3)]))


@PROPERTY
@given(amount=_AMOUNT, code=_UNKNOWN_CODES,
       words=st.lists(st.sampled_from(["cards", "kits", "units", "routers", "for", "schools",
                                       "laptops", "Starter"]), min_size=1, max_size=3))
def test_a_number_a_code_that_is_no_currency_and_words_count_things(amount, code, words):
    """A number (with any scale), a three-letter code no currency table knows and words
    after it that do not start with a word of money: a quantity of things (NotMoney naming
    the code and the words), never an amount in a currency 'SIM'."""
    if words[0] == "for":  # "5m XYZ for 3 years" is money; "for schools" starts like it
        words = ["cards", *words]
    (n, (scale, _)) = amount
    text = f"{n:,}{scale} {code} {' '.join(words)}"
    with pytest.raises(parsing.NotMoney) as err:
        parsing.parse_money(text)
    assert err.value.things == f"{code} {' '.join(words)}"


@PROPERTY
@given(amount=_AMOUNT, code=_UNKNOWN_CODES, before=st.booleans(),
       tail=st.sampled_from(["", "per year", "a year", "over 3 years", "for the next 5 years",
                             "x 4 years", "or more", "in total", "in grants", "annually"]))
def test_an_unknown_code_used_as_money_stays_a_currency(amount, code, before, tail):
    """The same code before the amount, or after it alone or with words of money (a period,
    a duration, ``x 4 years``, ``or more``): money in that (unknown) currency, which the
    loader sets aside as such; the scale keeps working."""
    (n, (scale, times)) = amount
    text = (f"{code} {n:,}{scale} {tail}" if before else f"{n:,}{scale} {code} {tail}").strip()
    m = parsing.parse_money(text)
    assert m.currency == code
    base = n * times  # a total over years stays a total; a yearly amount with no duration
    # is taken once; "x 4 years" multiplies, the code before the amount or after it
    assert m.amount == pytest.approx(base * 4 if tail == "x 4 years" else base)


# --- words of things vs words of currency after an amount ---------------------------------------

_THING_WORDS = sorted(parsing.thing_words())
#: Currency words (not codes or signs) the parser knows: "rupees", "naira", "euros"...
_CURRENCY_WORDS = sorted(t for t in parsing.CURRENCY_TOKENS if t.isalpha() and len(t) > 3)
#: Words the parser knows as neither: any lower-case word but those it reads.
_KNOWN_WORDS = (set(_THING_WORDS) | set(parsing.CURRENCY_TOKENS) | set(parsing.SCALES)
                | parsing._MONEY_WORDS_AFTER_A_CODE | parsing._MONEY_NOUNS
                | set(parsing.AMBIGUOUS_CURRENCY_WORDS))  # "5 million cfa": ambiguous, named
_UNKNOWN_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10).filter(
    lambda w: w not in _KNOWN_WORDS and not parsing.is_not_stated(w)
    and countries.resolve_region(w) is None)  # "5 asia" counts places


@PROPERTY
@given(amount=_AMOUNT, word=st.sampled_from(_THING_WORDS),
       case=st.sampled_from([str.lower, str.capitalize]), trained=st.booleans())
def test_a_number_and_a_word_of_things_is_never_money(amount, word, case, trained):
    """A number (any scale) and a word of things, singular or plural, any case (not a code in
    capitals): NotMoney naming the word, never an amount read as US dollars or refused."""
    (n, (scale, _)) = amount
    word = case(word)
    assume(not re.fullmatch(r"[A-Z]{3}", word))
    text = f"{n:,}{scale} {word}" + (" trained" if trained else "")
    with pytest.raises(parsing.NotMoney) as err:
        parsing.parse_money(text)
    assert err.value.things == word + (" trained" if trained else "")


@PROPERTY
@given(amount=_AMOUNT, word=st.sampled_from(_CURRENCY_WORDS), thing=st.sampled_from(_THING_WORDS),
       things_after=st.booleans())
def test_a_currency_word_wins_over_words_of_things(amount, word, thing, things_after):
    """A currency word the parser knows after the amount keeps converting (``5 million
    rupees``), also with a number of things beside it (``5 million rupees for 100 schools``:
    the money, the things noted)."""
    (n, (scale, times)) = amount
    text = f"{n:,}{scale} {word}" + (f" for 100 {thing}" if things_after else "")
    m = parsing.parse_money(text)
    assert m.currency == parsing.CURRENCY_TOKENS[word]
    assert m.amount == pytest.approx(n * times)
    assert ("'100 " + thing + "' counts things" in m.note) == things_after


@PROPERTY
@given(amount=_AMOUNT, word=_UNKNOWN_WORDS)
def test_a_word_neither_of_things_nor_of_currency_is_refused_not_guessed(amount, word):
    """Any other word after a number (``2 billion shillings``, ``500 widgets``) may be a
    currency the parser does not know: the value is refused ("unparseable value"), neither
    read as things nor as US dollars."""
    (n, (scale, _)) = amount
    with pytest.raises(ParseError) as err:
        parsing.parse_money(f"{n:,}{scale} {word}")
    assert not isinstance(err.value, parsing.NotMoney)
    assert err.value.kind == "unparseable value"


@PROPERTY
@given(amount=_AMOUNT, code=st.sampled_from(["USD", "EUR", "KES", "US$", "$", "€"]),
       thing=st.sampled_from(_THING_WORDS), k=st.integers(min_value=1, max_value=10**6))
def test_a_currency_before_the_amount_makes_it_money_whatever_follows(amount, code, thing, k):
    """A currency right before the amount makes it money, a word of things after it or not
    (``USD 500 laptops``), never NotMoney (a short word after an amount with no scale, ``USD 5
    km``, may be a scale: refused as before); a number of things beside money is left out,
    noted."""
    (n, (scale, times)) = amount
    try:
        m = parsing.parse_money(f"{code} {n:,}{scale} {thing}")
    except ParseError as err:
        assert not isinstance(err, parsing.NotMoney)
        assert not scale and len(thing) <= 4 and err.kind == "unparseable value"
    else:
        assert m.amount == pytest.approx(n * times) and m.currency is not None
    m2 = parsing.parse_money(f"{code} {n:,}{scale} and {k:,} {thing}")
    assert m2.amount == pytest.approx(n * times)
    assert m2.currency == parsing.parse_money(f"{code} 1 million").currency
    assert f"'{k:,} {thing}' counts things, not money: not counted" in m2.note


# --- dates with points: day.month.year ---------------------------------------------------------

_DAYS = st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                 max_value=pd.Timestamp("2100-12-31").date())


@PROPERTY
@given(day=_DAYS, pad=st.booleans())
def test_a_date_with_points_is_read_day_first(day, pad):
    """``D.M.YYYY`` is read as day, month, year, with a note only when the other order was a
    date too (both parts 12 or less, and different); ``D/M/YYYY`` of such a date stays
    ambiguous."""
    d, m = (f"{day.day:02}", f"{day.month:02}") if pad else (str(day.day), str(day.month))
    text = f"{d}.{m}.{day.year}"
    assert parsing.parse_date(text) == (pd.Timestamp(day), "day")
    read = parsing.read_date(text)
    assert (read.when, read.precision) == (pd.Timestamp(day), "day")
    note = read.note
    swappable = day.day <= 12 and day.day != day.month
    assert (note is not None) == swappable
    if swappable:
        other = pd.Timestamp(day.year, day.day, day.month)
        assert note.endswith(f"{day:%Y-%m-%d}, not {other:%Y-%m-%d}")
        with pytest.raises(ParseError, match="ambiguous date"):
            parsing.parse_date(f"{d}/{m}/{day.year}")


# --- counts of places: a number (in figures or words) of countries, groups or regions -----------

#: Names of groups of countries as pledges write them after a count (region_aliases.csv).
_GROUP_NAMES = ["LDCs", "LLDCs", "SIDS", "LDC", "least developed countries",
                "Least Developed Countries", "small island developing states",
                "Small Island Developing States", "landlocked developing countries",
                "Pacific island countries", "countries", "island states"]
_NUMBER_WORDS = {"three": 3, "five": 5, "ten": 10, "twelve": 12, "twenty": 20, "a dozen": 12}


@PROPERTY
@given(n=st.integers(min_value=1, max_value=200), group=st.sampled_from(_GROUP_NAMES),
       word=st.sampled_from(sorted(_NUMBER_WORDS)), k=st.integers(min_value=1, max_value=999))
def test_a_count_of_places_is_no_money_as_5_countries_is(n, group, word, k):
    """``5 LDCs``, ``10 SIDS``, ``five countries``, ``3 least developed countries`` were set
    aside as unparseable values while ``5 countries`` was NotMoney: each is NotMoney naming
    the places; beside money with its currency the count is left out, noted."""
    for text in (f"{n} {group}", f"{word} {group}"):
        with pytest.raises(parsing.NotMoney) as err:
            parsing.parse_money(text)
        assert err.value.things == group
    m = parsing.parse_money(f"USD {k} million in {n} {group}")
    assert m.amount == k * 1e6 and m.currency == "USD"
    assert f"'{n} {group}' counts things, not money: not counted" in m.note


@PROPERTY
@given(low=st.integers(min_value=1, max_value=999), step=st.integers(min_value=1, max_value=999),
       scale=st.sampled_from([("m", 1e6), (" million", 1e6), (" bn", 1e9), ("k", 1e3),
                              (" Mio.", 1e6)]),
       sep=st.sampled_from(["-", " - ", " – ", " to "]), code=st.sampled_from(["USD", "EUR", "$"]))
def test_a_range_is_read_alike_with_its_scale_once_or_on_both_ends(low, step, scale, sep, code):
    """``USD 5m - 10m`` is the range ``USD 5 - 10m``: the lower bound taken, the upper kept."""
    word, times = scale
    high = low + step
    m = parsing.parse_money(f"{code} {low}{word}{sep}{high}{word}")
    assert m.amount == pytest.approx(low * times)
    assert m.range_high == pytest.approx(high * times)
    assert m == parsing.parse_money(f"{code} {low}{sep}{high}{word}")


def _indian(n: int) -> str:
    """``n`` with its digits grouped in lakhs and crores: the last three, then pairs."""
    digits = str(n)
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while head:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([*pairs, tail])


@PROPERTY
@given(n=st.integers(min_value=100_000, max_value=10**13))
def test_an_amount_grouped_in_lakhs_and_crores_is_read_whole(n):
    assert _indian(123_456_789) == "12,34,56,789"  # the helper, by hand
    m = parsing.parse_money(f"INR {_indian(n)}")
    assert (m.amount, m.currency) == (n, "INR")
    assert f"({_indian(n)}) read as {n:,}" in m.note


@PROPERTY
@given(day=_DAYS, hour=st.integers(0, 23), minute=st.integers(0, 59),
       form=st.sampled_from([" {h}:{m:02}", " {h:02}:{m:02}:00", "T{h:02}:{m:02}:00"]))
def test_a_time_of_day_leaves_the_day_month_order_as_it_was(day, hour, minute, form):
    """``01/05/2023 10:00`` (a date cell exported with its time) was read as 5 January without
    a word, while ``01/05/2023`` is an ambiguous date; and ``01.05.2023 10:00`` as 5 January
    while ``01.05.2023`` is 1 May. With a time the reading is the date's own."""
    time = form.format(h=hour, m=minute)
    dotted = f"{day.day:02}.{day.month:02}.{day.year}"
    assert parsing.parse_date(dotted + time) == parsing.parse_date(dotted)
    slashed = f"{day.day:02}/{day.month:02}/{day.year}"
    try:
        alone = parsing.parse_date(slashed)
    except ParseError as err:
        with pytest.raises(ParseError, match=err.kind):
            parsing.parse_date(slashed + time)
    else:
        assert parsing.parse_date(slashed + time) == alone


@PROPERTY
@given(start=st.integers(min_value=1900, max_value=2099),
       span=st.integers(min_value=1, max_value=9),
       sep=st.sampled_from(["-", " - ", "–", " to "]))
def test_a_span_of_years_in_a_value_cell_is_no_amount(start, span, sep):
    """``2020 - 2022`` in a value cell was read as a range of 2,020 to 2,022 (US dollars, no
    currency stated): it is a span of years, set aside with that reason; with a currency
    before it (``USD 2020-2022``) it is a range of money as before."""
    end = start + span
    with pytest.raises(ParseError, match="a span of years, not an amount") as err:
        parsing.parse_money(f"{start}{sep}{end}")
    assert err.value.kind == "unparseable value"
    m = parsing.parse_money(f"USD {start}{sep}{end}")
    assert (m.amount, m.range_high) == (start, end)


@PROPERTY
@given(n=st.integers(min_value=1_000, max_value=10**9),
       last=st.integers(min_value=0, max_value=999),
       style=st.sampled_from(["english", "german", "space", "apostrophe"]),
       point=st.sampled_from([".", ","]),
       code=st.sampled_from(["", "USD ", "EUR ", "CHF "]),
       scale=st.sampled_from(["", " million", " bn"]))
def test_groups_then_three_decimals_are_an_ambiguous_value_naming_both_readings(
        n, last, style, point, code, scale) -> None:
    """'USD 1,500.000' was read as 1,500 (a decimal point, three decimals) although it is
    most likely 1,500,000 with the last comma mistyped: any number grouped by threes with one
    separator and ending in the other and three digits is set aside, the reason quoting the
    number and giving both readings. So is one grouped by spaces or apostrophes and ending in
    either separator and three digits ('1 500.000', "1'500,000"), and either with a scale
    word after it ('USD 1,500.000 million'), which were read silently."""
    grouped = f"{n:,}.{last:03d}"
    if style == "german":
        grouped = grouped.translate(str.maketrans(",.", ".,"))
    elif style != "english":
        grouped = f"{n:,}".replace(",", " " if style == "space" else "'") + f"{point}{last:03d}"
    with pytest.raises(ParseError) as err:
        parsing.parse_money(code + grouped + scale)
    assert err.value.kind == "ambiguous value"
    as_decimal = f"{n:,}" + (f".{last:03d}".rstrip("0") if last else "")
    assert err.value.detail.startswith(f"{grouped!r} may be {as_decimal}{scale} (")
    assert f" or {n * 1000 + last:,}{scale} (" in err.value.detail


@PROPERTY
@given(word=st.sampled_from(["~", "ca.", "c.", "approx.", "approx", "approximately", "circa",
                             "about", "around"]),
       space=st.booleans(), code=st.sampled_from(["USD ", "EUR ", "$", "€", "US$ "]),
       n=st.integers(min_value=1, max_value=999),
       scale=st.sampled_from([("m", 1e6), (" million", 1e6), (" Mio.", 1e6), (" bn", 1e9)]))
def test_an_approximate_amount_is_read_with_its_approximate_note(word, space, code, n,
                                                                 scale) -> None:
    """'~USD 5m' and 'ca. EUR 5 Mio.' read the amount but said nothing of its being
    approximate, while 'approximately USD 5m' did: every such word or sign before the
    currency or the number, spaced or not (a word ending in a letter needs its space), is
    now the qualifier, with an 'approximate' note."""
    gap = " " if space or word[-1].isalpha() else ""
    m = parsing.parse_money(f"{word}{gap}{code}{n}{scale[0]}")
    assert m.amount == pytest.approx(n * scale[1])
    assert m.qualifier == word
    assert f"'{word}': approximate" in m.note


_SCALES = [("m", 1e6), (" million", 1e6), (" Mio.", 1e6), (" bn", 1e9), (" Mrd.", 1e9),
           ("k", 1e3)]


@PROPERTY
@given(code=st.sampled_from(["USD ", "EUR ", "$", "€", ""]), digits=st.integers(1, 999),
       scale=st.sampled_from(_SCALES), sep=st.sampled_from([".", ","]))
def test_a_decimal_with_no_whole_part_is_that_decimal(code, digits, scale, sep):
    """``,5 Mio.`` (German for ``0,5 Mio.``) and ``.5 million`` are a half: ``,5`` was read
    as 5 (the comma dropped), ten times the amount."""
    word, times = scale
    m = parsing.parse_money(f"{code}{sep}{digits}{word}")
    assert m.amount == pytest.approx(float(f"0.{digits}") * times)
    assert m == parsing.parse_money(f"{code}0{sep}{digits}{word}")


@PROPERTY
@given(code=st.sampled_from(["USD ", "EUR ", "$", "€", "US$ "]), n=st.integers(1, 999),
       scale=st.sampled_from(_SCALES), plus=st.sampled_from(["+", " +", "+ ", " + "]))
def test_a_plus_before_the_scale_is_or_more_of_the_scaled_amount(code, n, scale, plus):
    """``USD 1+ billion`` reads as ``USD 1 billion+``: the scaled amount, a lower bound; it
    was USD 1 (the scale after the plus left out)."""
    word, times = scale
    m = parsing.parse_money(f"{code}{n}{plus}{word.strip()}")
    assert m.amount == pytest.approx(n * times)
    assert m.qualifier == "or more"
    assert m == parsing.parse_money(f"{code}{n}{word}+")
