"""What a pledge promises to deliver: quantified deliverables read from its title and description.

A *deliverable* is a number with a unit the pledge says it will deliver ("train 10,000 people",
"about 120 million people", "50,000 hours of ICT lectures", "roughly 2,016 rural cell sites"),
kept with the sentence it came from. Nothing is invented: a quantity whose unit or number cannot
be read is left unparsed and counted (table :func:`unparsed`), never guessed.

How text is read (the same rules for 40 pledges and for a million)
------------------------------------------------------------------
1. Each title and description is cut to its first :data:`TEXT_EXAMINED_CHARS` characters
   (10,000); control characters become spaces. Sentences end at ``.``, ``!`` or ``?`` followed by
   a space, and at line breaks.
2. Numbers that are not deliverables are set aside first (:data:`SKIP_PATTERNS`): money (a
   currency code or sign before the number, or a currency word after it: ``USD 3 billion``,
   ``$30 million``, ``5 million euros``), percentages (``97%``, ``40 per cent``), years (any bare
   1900-2099, year ranges ``2024-2026``: write ``2,016`` for a quantity), dates
   (``16 March``), SDG and goal numbers (``SDG 9``, ``SDGs 4 and 9``, ``Goal 4``), phone numbers
   and digit groups separated by spaces, dots or dashes (``+1 202 555 0100``, ``202-555-0100``),
   ages (``aged 14-25``), numbers glued to letters or signs (``4G``, ``COVID-19``, ``#7528``,
   ``WSIS+20``, ``19th``, ``70/1``, the exponent of ``10^6`` or ``10**6``, whose base is then a
   quantity with no known unit), numbered things (``phase 1``, ``Edition 04``) and numbers
   written with leading zeros after a space or bracket, which are identifiers (``Synthetic
   pledge 000017``, ``(007)``).
3. Every other number is a *quantity*: digits with optional ``,`` thousands separators and a
   ``.`` decimal point, optionally followed by a scale (``thousand``, ``million``, ``billion``,
   ``mn``, ``bn``, or ``m`` / ``k`` written without a space) and ``+``; or a number word *with*
   a scale (``one million``, ``two thousand``; a bare ``three`` or ``four`` is too often not a
   quantity). A qualifier right before it is kept (``about``, ``over``, ``at least``, ``up to``,
   ``some``, ``nearly``, ...).
4. Its unit is the first word of ``data/harmonization/deliverable_terms.csv`` among the (up to
   four) words right after it (``10,000 ICT training opportunities``, ``2,016 rural cell
   sites``); the words in between must not be a preposition or conjunction (``100 in total
   for schools`` has no unit). People are *connected*, *trained* or *reached*: by the word
   itself (``subscribers`` are connected, ``learners`` trained) or else by a word stem from the
   same file in the 80 characters before the quantity, in the same sentence (``train 10,000
   people``, ``connect 25 million people``); with neither, *reached*.
5. A quantity is a deliverable when it has a known unit and a well-formed number above 0 and
   at most 10 billion. Otherwise it is *unparsed*, with a reason: ``no known unit`` (``at least
   500 million by 2030``; ``12 building blocks``), ``range`` (``10,000-20,000 people``),
   ``vague quantity`` (``millions of people``), ``malformed number`` (``1,1,1``, ``1.000.000``,
   ``10.000`` with no scale after it, which is 10 in English and 10,000 in German, more than
   20 characters), ``implausible number`` (0 or above 10 billion). Quantities of
   geography, time or pledges (``80+ countries``, ``five years``) are scope, neither.
6. Within a pledge, a deliverable stated in both the title and the description (same
   quantity, same unit; people of any class count as one unit here) is listed once, from the
   title.

Engine. Matching runs in RE2 (through pyarrow): linear time whatever the input, so hostile text
(a 1 MB description, 10,000 digits, ``1,1,1,...``, mixed scripts) cannot make it hang; only
ASCII digits count as digits. The texts of a batch are joined into one string with marker
characters (the control characters removed in step 1), each rule is one global replace over that
string, and the marked pieces are split back into columns: no Python loop over pledges or
matches. The same patterns are written out in SQL in ``benchmarks/bench_quality.py``.

Memory: texts are read a batch at a time and each batch's temporaries are handed back before
the next (:mod:`p2c_analysis.memory`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from p2c_analysis import memory, paths
from p2c_analysis.vocabulary import TEXT_EXAMINED_CHARS

TERMS = paths.HARMONIZATION / "deliverable_terms.csv"
FIELDS_READ: tuple[str, ...] = ("title", "description")
MAX_QUANTITY = 1e10
MAX_NUMBER_CHARS = 20
CONTEXT_CHARS = 80
SENTENCE_CHARS = 400  # a longer sentence is shown cut around the quantity
BATCH_BYTES = 16 << 20  # texts are processed in batches of about this many bytes

DELIVERABLE_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "quantity", "unit", "text", "field", "qualifier", "as_written",
)
UNPARSED_COLUMNS: tuple[str, ...] = ("pledge_id", "title", "reason", "as_written", "text", "field")
PER_PLEDGE_COLUMNS: tuple[str, ...] = (
    "pledge_id", "deliverables", "unparsed", "people_connected", "people_trained",
    "people_reached", "chars_not_examined",
)
PEOPLE_UNITS: tuple[str, ...] = ("people connected", "people trained", "people reached")
UNPARSED_REASONS: tuple[str, ...] = (
    "no known unit", "range", "vague quantity", "malformed number", "implausible number",
)

# marker characters: removed from every input text first, so they only ever mark structure
_SKIPPED = "\x01"  # a number set aside (money, year, ...)
_REC, _FIELD, _END = "\x1e", "\x1d", "\x1b"  # a quantity record: start, field separator, end
_SENT = "\x1c"  # end of a sentence (and of a text)
_TEXT = "\x1f"  # start of a text
_CONTROL = r"[\x00-\x09\x0b-\x1f\x7f]"
_CONTROL_CHARS = "".join(map(chr, [*range(0x00, 0x0a), *range(0x0b, 0x20), 0x7f]))

_NUM = r"[0-9](?:[0-9]|[.,][0-9])*"
_SCALE = r"(?:[ ]?(?:thousand|million|billion|trillion|mn|bn|tn)|m|k)\b"
_CURRENCY_CODES = ("usd|eur|gbp|cad|aud|nzd|chf|cny|rmb|jpy|inr|kes|ngn|zar|sar|aed|qar|egp|"
                   "xof|xaf|brl|mxn|krw|rub|idr|php|vnd|pkr|bdt|ghs|ugx|tzs|rwf|etb|mad|sek|nok|dkk")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_MONEY_NUM = rf"{_NUM}(?:{_SCALE})?(?:[ ]?(?:-|–|to)[ ]?{_NUM}(?:{_SCALE})?)?"

#: Numbers set aside before quantities are read (step 2 of the module docstring), one pattern
#: per rule; case-insensitive RE2 syntax (no look-around), also valid in Python and DuckDB.
SKIP_PATTERNS: dict[str, str] = {
    "money (currency before)": rf"(?:\b(?:{_CURRENCY_CODES})|\bu\.?s\.?[ ]?\$|[$€£¥₹₦])"
                               rf"[ ]?{_MONEY_NUM}",
    "money (currency after)": rf"{_NUM}(?:{_SCALE})?[ ]?(?:us[ ]dollars|dollars|euros?|pounds"
                              rf"|francs|yuan|yen|rupees|naira|shillings|(?:{_CURRENCY_CODES})\b)",
    "percentage": rf"{_NUM}[ ]?(?:%|per[ ]?cent\b|percent\b|pct\b|percentage[ ]points?\b)",
    "SDG or goal": r"\b(?:sdgs?[ ]*(?:targets?[ ]*)?|goals?[ ]*)(?:#|no\.?[ ]*)?[0-9]+"
                   r"(?:\.[0-9a-z]+)?(?:[ ]*(?:,|and|&|/)[ ]*[0-9]+(?:\.[0-9a-z]+)?)*",
    "phone or digit groups": r"\+[0-9][0-9 ().\-]{6,24}[0-9]|\(?\b[0-9]{2,4}\)?(?:[ .\-][0-9]{2,4})"
                             r"{2,6}\b",
    "date": rf"\b[0-9]{{1,2}}(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?{_MONTHS}\b|\b{_MONTHS}\.?[ ]+"
            r"[0-9]{1,2}(?:st|nd|rd|th)?\b|\b[0-9]{1,2}[/.][0-9]{1,2}[/.][0-9]{2,4}\b",
    "year": r"\b(?:fy)?(?:19|20)[0-9]{2}(?:[ ]?[-–/][ ]?(?:19|20)?[0-9]{2})?s?\b",
    "age": r"\baged?[ ]+[0-9]{1,3}(?:[ ]?(?:-|–|to)[ ]?[0-9]{1,3})?|\b[0-9]{1,3}[ ]?(?:-|–|to)"
           r"[ ]?[0-9]{1,3}[ ]?years?[ ]old\b",
    "numbered thing": r"\b(?:article|chapter|section|no\.|number|page|phase|edition|tier|level"
                      r"|category|round|cohort|volume|vol\.|annex|paragraph|para\.|resolution"
                      r"|decision|version|industry|web|pillar|wave)[ ]*#?[0-9]+(?:\.[0-9]+)*",
    "glued to letters or signs": rf"[a-z#@_/+^*][0-9](?:[0-9]|[.,][0-9])*|[a-z]-[0-9]+\b"
                                 rf"|{_NUM}(?:st|nd|rd|th|g|d|x|gb|mb|tb|gbps|mbps|ghz|mhz|mw"
                                 r"|kw)\b|[0-9]+/[0-9]+",
    # an identifier, not a count: no quantity is written with leading zeros ("Synthetic pledge
    # 000017", the title of every synthetic pledge, read as 40 unparsed quantities in 40)
    # (not the "000" of "10,000" or "1.000": the space or bracket before it is matched too,
    # as RE2 has no look-behind; one at the start of a text or sentence is not set aside)
    "leading zeros": r"[ (\[]0[0-9]+\b",
}

_QUALIFIERS = ("more than|in excess of|upwards of|at least|at most|up to|less than|close to"
               "|approximately|approx\\.?|about|around|roughly|some|nearly|almost|over|under"
               "|exceeding|above|an estimated|estimated")
_WORD_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100, "half a": 0.5,
}
_SCALES: dict[str, float] = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6,
                             "billion": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12}
#: Words that may not stand between a quantity and its unit ("100 in total for schools").
_STOP_WORD_LIST: tuple[str, ...] = (
    "in", "for", "to", "by", "of", "and", "or", "with", "from", "at", "on", "per", "each",
    "every", "a", "an", "the", "than", "as", "into", "across", "over", "under", "between",
    "within", "through", "via", "is", "are", "will", "be",
)
WELL_FORMED_NUMBER = r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$"
#: A number that is 1.5 in English and 1,500 in German ("10.000 teachers"): malformed unless a
#: scale follows ("1.500 million" is 1.5 million).
AMBIGUOUS_NUMBER = r"^[0-9]{1,3}\.[0-9]{3}$"


@dataclass(frozen=True)
class Terms:
    """The word lists of ``deliverable_terms.csv``: ``units`` {word: unit}, ``scope`` (words
    that are not deliverables), ``trained`` / ``connected`` (word stems before a people
    quantity)."""

    units: dict[str, str]
    scope: frozenset[str]
    trained: tuple[str, ...]
    connected: tuple[str, ...]


def load_terms(path: str | Path | None = None) -> Terms:
    """The deliverable word lists (default ``data/harmonization/deliverable_terms.csv``,
    columns ``term, kind, unit, note``; ``kind`` is ``unit``, ``scope``, ``trained_context``
    or ``connected_context``). Raises ``ValueError`` for an unknown kind or a term listed twice."""
    return _load(path)[0]


def _load(path: str | Path | None) -> tuple[Terms, Patterns]:
    p = paths.track(TERMS if path is None else path)
    return _load_terms(p, p.stat().st_mtime_ns)


@functools.cache
def _load_terms(p: Path, _mtime_ns: int) -> tuple[Terms, Patterns]:
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df["term"] = df["term"].str.strip().str.lower()
    bad = sorted(set(df["kind"]) - {"unit", "scope", "trained_context", "connected_context"})
    if bad:
        raise ValueError(f"{p.name}: unknown kind(s) {bad}")
    dup = df.loc[df.duplicated(["term", "kind"]), "term"].tolist()
    if dup:
        raise ValueError(f"{p.name}: term(s) listed twice: {dup}")
    if (df["term"].str.fullmatch(r"[a-z0-9][a-z0-9 \-]*") == False).any():  # noqa: E712
        raise ValueError(f"{p.name}: terms are lower-case letters, digits, spaces and dashes")
    units = dict(zip(df.loc[df["kind"] == "unit", "term"],
                     df.loc[df["kind"] == "unit", "unit"], strict=True))
    terms = Terms(
        units=units,
        scope=frozenset(df.loc[df["kind"] == "scope", "term"]),
        trained=tuple(df.loc[df["kind"] == "trained_context", "term"]),
        connected=tuple(df.loc[df["kind"] == "connected_context", "term"]),
    )
    return terms, _patterns(terms)


def _alternation(words) -> str:
    """Regex alternation of literal words, longest first (so 'cell sites' beats 'sites')."""
    return "|".join(w.replace("-", r"\-").replace(" ", "[ ]+")
                    for w in sorted(set(words), key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class Patterns:
    """The patterns built from the terms (shared by the engine and the SQL baseline)."""

    skip: str  # any number set aside
    quantity: str  # one quantity, with the groups of QUANTITY_GROUPS
    sentence_end: str  # where a sentence ends (the punctuation is group 1)
    clause_end: str  # the first character that ends the words after a quantity
    stop_words: tuple[str, ...]  # words that may not stand between a quantity and its unit
    trained: str  # a people quantity's context says "trained"
    connected: str  # ... says "connected"
    units_in_text: str  # any deliverable word (e.g. a title naming what it delivers)


#: Groups of :attr:`Patterns.quantity`, in order.
QUANTITY_GROUPS: tuple[str, ...] = (
    "qualifier", "number", "scale", "range_high", "word_number", "vague",
)
#: How many words after a quantity may hold its unit (up to four words before the unit).
UNIT_WINDOW = 5
CLAUSE_CHARS = 100


def _patterns(terms: Terms) -> Patterns:
    skip = "(?i)(?:" + "|".join(f"(?:{p})" for p in SKIP_PATTERNS.values()) + ")"
    word_numbers = _alternation(_WORD_NUMBERS)
    quantity = (
        rf"(?i)(?:\b(?P<qualifier>{_QUALIFIERS})[ ]+)?"
        rf"(?:(?P<number>{_NUM})(?P<scale>{_SCALE})?"
        rf"(?:[ ]?(?:-|–|to)[ ]?(?P<range_high>{_NUM})(?:{_SCALE})?)?"
        rf"|\b(?P<word_number>(?:{word_numbers})[ ]+(?:thousand|million|billion))\b"
        rf"|\b(?P<vague>(?:tens[ ]+of[ ]+|hundreds[ ]+of[ ]+)?(?:dozens|hundreds|thousands"
        rf"|millions|billions))[ ]+of\b)\+?"
    )
    trained = r"(?i)\b(?:" + _alternation(terms.trained) + ")"
    connected = r"(?i)\b(?:" + _alternation(terms.connected) + ")"
    units_in_text = r"(?i)\b(?:" + _alternation(terms.units) + r")\b"
    return Patterns(skip, quantity, r"([.!?]+[)\"'’”\]]*)[ ]+|[ ]*\n[ \n]*",
                    r"[^a-zA-Z0-9 ,'\-].*", _STOP_WORD_LIST, trained, connected,
                    units_in_text)


def patterns(path: str | Path | None = None) -> Patterns:
    """The patterns the engine uses (built from :func:`load_terms`)."""
    return _load(path)[1]


# --- the engine ----------------------------------------------------------------------------------

def text_array(values: pd.Series) -> pa.Array:
    """Text cells as an Arrow large_string array (zero copy for Arrow-backed strings),
    missing -> "" (no cap: see :func:`examined`)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arr = pa.array(values)
    else:
        arr = pa.array(values.astype("object").where(values.notna(), None).to_numpy(),
                       type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    return pc.fill_null(arr, "") if arr.null_count else arr


def text_bytes(values: pd.Series) -> np.ndarray:
    """UTF-8 bytes of each text cell (0 for a missing cell), without copying Arrow-backed
    text."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        lengths = pc.binary_length(pa.array(values))
    else:
        lengths = pc.binary_length(text_array(values))
    return _np(pc.fill_null(lengths, 0)).astype(np.int64)


def examined(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The part of each text that rules read (at most :data:`TEXT_EXAMINED_CHARS`
    characters), and the number of characters cut off."""
    length = _np(pc.utf8_length(arr)).astype(np.int64)
    cut = np.maximum(length - TEXT_EXAMINED_CHARS, 0)
    if cut.any():
        arr = pc.utf8_slice_codeunits(arr, 0, TEXT_EXAMINED_CHARS)
    return arr, cut


def _np(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _one_string(arr: pa.Array) -> pa.Array:
    """The whole array as one string (zero copy of its data buffer)."""
    arr = arr.cast(pa.large_string())
    if arr.offset:
        arr = pa.concat_arrays([arr])
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[: len(arr) + 1]
    bounds = pa.py_buffer(np.array([offsets[0], offsets[-1]], dtype=np.int64).tobytes())
    return pa.Array.from_buffers(pa.large_string(), 1, [None, bounds, arr.buffers()[2]])


def _sanitise(arr: pa.Array) -> pa.Array:
    """Control characters -> spaces (one byte for one byte, so each text keeps its length)."""
    one = _one_string(arr)
    if not pc.any(pc.match_substring_regex(one, _CONTROL)).as_py():
        return arr
    clean = pc.replace_substring_regex(one, _CONTROL, " ")
    arr = pa.concat_arrays([arr.cast(pa.large_string())])
    return pa.Array.from_buffers(pa.large_string(), len(arr),
                                 [None, arr.buffers()[1], clean.buffers()[2]])


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _pieces(one: pa.Array, sep: str) -> pa.Array:
    return pc.list_flatten(pc.split_pattern(one, sep))


@dataclass
class _Quantities:
    """Every quantity of a batch, one row each (the engine's output before classification)."""

    text_index: np.ndarray  # which input text
    sentences: pa.Array  # the sentences holding a quantity (display text)
    sentence_code: np.ndarray  # which of them each quantity is in
    before: pa.Array  # up to CONTEXT_CHARS before it, same sentence
    after: pa.Array  # the words after it, up to the end of the clause (CLAUSE_CHARS at most)
    groups: dict[str, pa.Array]  # QUANTITY_GROUPS + "match"


def _scan(texts: pa.Array, pats: Patterns) -> _Quantities:
    """All quantities of a batch of (capped, sanitised) texts.

    The texts are joined into one string (each starts with a text mark and ends with a
    sentence mark); sentence ends become sentence marks; skipped numbers become a skip mark;
    each quantity is wrapped in record marks. Splitting on the record marks gives, for each
    quantity, the text after it up to the next one; counting sentence marks gives its
    sentence. Only the whole match is rewritten (no capture groups in the global replace,
    which keeps RE2 on its fast path); the groups are read afterwards from the short matches.
    """
    joined = pc.binary_join_element_wise(_large(_TEXT), texts, _large(_SENT), _large(""))
    one = pc.replace_substring_regex(_one_string(joined), pats.sentence_end, "\\1" + _SENT)
    sentences = _pieces(one, _SENT)
    sent_text = np.cumsum(_np(pc.starts_with(sentences, _TEXT))) - 1
    sentences = pc.utf8_trim_whitespace(pc.utf8_ltrim(sentences, _TEXT))
    one = pc.replace_substring_regex(one, pats.skip, _SKIPPED)
    one = pc.replace_substring_regex(one, pats.quantity, _REC + "\\0" + _END)
    pieces = _pieces(one, _REC)
    rec_junk = pc.split_pattern(pieces.slice(1), _END, max_splits=1)
    matches = pc.list_element(rec_junk, 0)
    junk = pc.list_element(rec_junk, 1)
    n = len(matches)
    marks = _np(pc.count_substring(pa.concat_arrays([pieces.slice(0, 1), junk]), _SENT))
    sent_idx = np.cumsum(marks)[:n]
    # before: the end of the text between the previous quantity and this one, after its last
    # sentence mark; after: the start of the text that follows, up to the end of the clause
    before = pa.concat_arrays([pieces.slice(0, 1), junk.slice(0, max(n - 1, 0))])
    before = pc.utf8_slice_codeunits(before, -CONTEXT_CHARS)
    before = pc.replace_substring_regex(before, f"(?s)^.*{_SENT}", "")
    after = pc.replace_substring_regex(pc.utf8_slice_codeunits(junk, 0, CLAUSE_CHARS),
                                       pats.clause_end, "")
    # groups from the lower-cased match (the pattern's words are lower case): far faster
    # than a case-insensitive match
    lowered = pats.quantity.removeprefix("(?i)")
    parsed = pc.extract_regex(pc.utf8_lower(matches), f"^(?:{lowered})$")
    groups = {name: pc.fill_null(parsed.field(i), "")
              for i, name in enumerate(QUANTITY_GROUPS)}
    groups["match"] = matches
    used, code = np.unique(sent_idx, return_inverse=True)
    return _Quantities(
        text_index=sent_text[sent_idx] if n else np.empty(0, np.int64),
        sentences=pc.take(sentences, pa.array(used)) if n else sentences.slice(0, 0),
        sentence_code=code.ravel().astype(np.int64),
        before=before, after=after, groups=groups)


def _numbers(g: dict[str, pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """(value, malformed) of each quantity's number, scale applied; NaN where unreadable."""
    num = g["number"]
    well = pc.match_substring_regex(num, WELL_FORMED_NUMBER)
    short = pc.less_equal(pc.utf8_length(num), MAX_NUMBER_CHARS)
    ambiguous = pc.and_(pc.match_substring_regex(num, AMBIGUOUS_NUMBER),
                        pc.equal(pc.utf8_trim_whitespace(g["scale"]), ""))
    ok = _np(pc.and_(pc.and_(well, short), pc.invert(ambiguous)))
    digits = pc.if_else(pa.array(ok), pc.replace_substring(num, ",", ""), "0")
    value = _np(pc.cast(digits, pa.float64()))
    is_digit = _np(pc.not_equal(num, ""))
    scale = _lookup(pc.utf8_trim_whitespace(pc.utf8_lower(g["scale"])), _SCALES, 1.0)
    words = pc.replace_substring_regex(pc.utf8_lower(g["word_number"]), "[ ]+", " ")
    wn = _lookup(pc.replace_substring_regex(words, "[ ][a-z]+$", ""), _WORD_NUMBERS)
    ws = _lookup(pc.replace_substring_regex(words, "^.*[ ]", ""), _SCALES)
    out = np.where(is_digit, np.where(ok, value * scale, np.nan), wn * ws)
    return out, is_digit & ~ok


def _lookup(keys: pa.Array, table: dict[str, float], default: float = np.nan) -> np.ndarray:
    """Vectorised dict lookup of strings -> float (``default`` when absent)."""
    idx = _np(pc.index_in(keys, value_set=pa.array(list(table), pa.large_string())))
    vals = np.append(np.array(list(table.values()), dtype=float), default)
    return vals[np.where(np.isnan(idx.astype(float)), len(table), idx).astype(np.int64)]


def _units(after: pa.Array, terms: Terms) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """(unit or None, is scope, the words up to the unit) of each quantity from the words
    after it: the first of its first :data:`UNIT_WINDOW` words that is a term, provided no
    stop word stands before it."""
    n = len(after)
    words = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(
        pc.replace_substring(after, ",", " ")))
    words = pc.list_slice(words, 0, UNIT_WINDOW)
    owner = _np(pc.list_parent_indices(words))
    flat = pc.list_flatten(words)
    lower = pc.utf8_lower(flat)
    starts = np.concatenate([[0], np.cumsum(_np(pc.list_value_length(words)))[:-1]]) \
        if n else np.empty(0, np.int64)
    rank = np.arange(len(flat)) - starts[owner] if len(flat) else np.empty(0, np.int64)
    vocab = [*terms.units, *sorted(terms.scope)]
    hit = _np(pc.index_in(lower, value_set=pa.array(vocab, pa.large_string())))
    hit = np.where(np.isnan(hit.astype(float)), -1, hit).astype(np.int64)
    stop = _np(pc.is_in(lower, value_set=pa.array(_STOP_WORD_LIST, pa.large_string())))
    big = UNIT_WINDOW + 1
    first_hit = np.full(n, big)
    np.minimum.at(first_hit, owner[hit >= 0], rank[hit >= 0])
    first_stop = np.full(n, big)
    np.minimum.at(first_stop, owner[stop], rank[stop])
    found = (first_hit < big) & (first_hit < first_stop)
    word_at = np.full(n, -1)
    sel = (hit >= 0) & (rank == first_hit[owner])
    word_at[owner[sel]] = hit[sel]
    word_at = np.where(found, word_at, -1)
    labels = np.array([*terms.units.values(), *["(scope)"] * len(terms.scope), None],
                      dtype=object)
    unit = labels[word_at]
    scope = unit == "(scope)"
    # the words up to the unit, for ``as_written``
    upto = np.where(found, first_hit, -1)
    keep = rank <= upto[owner] if len(flat) else np.zeros(0, dtype=bool)
    counts = np.bincount(owner[keep], minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    unit_words = pc.binary_join(pa.ListArray.from_arrays(offsets, pc.filter(flat, pa.array(
        keep))), _large(" "))
    return np.where(scope, None, unit), scope, unit_words


KINDS: tuple[str, ...] = ("deliverable", "unparsed", "scope")


def _classify(q: _Quantities, terms: Terms, pats: Patterns) -> dict[str, object]:
    """Per quantity: ``kind`` (code into :data:`KINDS`), ``reason`` (code into
    :data:`UNPARSED_REASONS`, -1 for none), ``quantity``, ``unit`` (label or None),
    ``qualifier``, ``as_written`` (Arrow), ``sentence_code`` into ``sentences`` (Arrow),
    ``text_index``."""
    g = q.groups
    value, malformed = _numbers(g)
    unit, scope, unit_words = _units(q.after, terms)
    vague = _np(pc.not_equal(g["vague"], ""))
    ranged = _np(pc.not_equal(g["range_high"], ""))
    has_unit = pd.notna(unit)
    plausible = (value > 0) & (value <= MAX_QUANTITY)
    # first reason that applies, as a code into UNPARSED_REASONS (-1 = none)
    code = {r: i for i, r in enumerate(UNPARSED_REASONS)}
    reason = np.select(
        [vague, malformed, ranged, ~has_unit, ~plausible],
        [code["vague quantity"], code["malformed number"], code["range"], code["no known unit"],
         code["implausible number"]], default=-1)
    kind = np.where(scope, 2, np.where(reason < 0, 0, 1)).astype(np.int8)
    # people: connected / trained / reached from the words before, else those after
    people = unit == "people"
    if people.any():
        idx = pa.array(np.flatnonzero(people))
        b, a = pc.take(q.before, idx), pc.take(q.after, idx)
        bt, bc = (_np(pc.match_substring_regex(b, x)) for x in (pats.trained, pats.connected))
        at, ac = (_np(pc.match_substring_regex(a, x)) for x in (pats.trained, pats.connected))
        cls = np.where(bt, "people trained", np.where(
            bc, "people connected", np.where(at, "people trained", np.where(
                ac, "people connected", "people reached"))))
        unit = unit.copy()
        unit[people] = cls
    return {
        "text_index": q.text_index, "kind": kind, "reason": reason, "quantity": value,
        "unit": unit, "qualifier": pc.utf8_lower(g["qualifier"]),
        "as_written": pc.utf8_trim_whitespace(pc.binary_join_element_wise(
            g["match"].cast(pa.large_string()), unit_words, _large(" "))),
        "sentence_code": q.sentence_code,
        "sentences": q.sentences.cast(pa.large_string()),
    }


def _texts(sentences: pa.Array, codes: np.ndarray, as_written: pa.Array) -> pa.Array:
    """The sentence of each quantity, or, for a sentence longer than SENTENCE_CHARS, a window
    of it around the quantity (a Python loop over those only)."""
    out = pc.take(sentences, pa.array(codes.astype(np.int64)))
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    long = _np(pc.greater(pc.utf8_length(out), SENTENCE_CHARS))
    if not long.any():
        return out
    windows = []
    for i in np.flatnonzero(long):
        text, what = out[int(i)].as_py(), str(as_written[int(i)].as_py())
        at = max(text.find(what.split(" ")[0]), 0)
        lo = max(0, at - SENTENCE_CHARS // 2)
        windows.append(("..." if lo else "") + text[lo: lo + SENTENCE_CHARS] + "...")
    return pc.replace_with_mask(out, pa.array(long), pa.array(windows, pa.large_string()))


def _frame(columns: dict[str, object]) -> pd.DataFrame:
    """A DataFrame from numpy / pandas / Arrow columns; Arrow strings become pandas
    ``string`` columns without Python objects (chunked arrays are kept chunked)."""
    out = {}
    for key, v in columns.items():
        if isinstance(v, pa.Array | pa.ChunkedArray):
            if pa.types.is_string(v.type) or pa.types.is_large_string(v.type):
                v = pd.array(v.cast(pa.large_string()), dtype=pd.StringDtype())
            else:
                v = v.to_numpy(zero_copy_only=False)
        out[key] = v
    return pd.DataFrame(out)


@dataclass
class Extraction:
    """What :func:`extract` read. ``deliverables``: :data:`DELIVERABLE_COLUMNS`;
    ``unparsed``: :data:`UNPARSED_COLUMNS`; ``per_pledge``: :data:`PER_PLEDGE_COLUMNS`, one row
    per pledge in input order."""

    deliverables: pd.DataFrame
    unparsed: pd.DataFrame
    per_pledge: pd.DataFrame


def extract(pledges: pd.DataFrame, fields: tuple[str, ...] = FIELDS_READ,
            terms: str | Path | None = None) -> Extraction:
    """Quantified deliverables (and unparsed quantities) of every pledge (rules: module doc).

    ``pledges`` needs ``pledge_id``, ``title`` and the ``fields`` read (default title and
    description; a missing column reads as empty). Deliverables are listed by pledge (input
    order), then field, then position. ``per_pledge`` counts deliverables and unparsed
    quantities, gives the largest people quantity of each class (NaN = none stated; never a
    sum) and the characters beyond :data:`TEXT_EXAMINED_CHARS` that were not examined.
    """
    t, pats = _load(terms)
    n = len(pledges)
    cols = [pledges[f] if f in pledges.columns else pd.Series([None] * n, dtype="object")
            for f in fields]
    ids = text_array(pledges["pledge_id"].astype("string"))
    titles = text_array(pledges["title"]) if "title" in pledges.columns else \
        pa.array([""] * n, pa.large_string())
    # pledges in batches of about BATCH_BYTES of text: every field of a pledge in the same
    # batch, so each batch gives its final rows (deduplicated, in order) and nothing else is
    # kept; each batch's texts are read from the columns when it comes (no copy of them all)
    size = np.zeros(n, dtype=np.int64)
    for col in cols:
        size += np.minimum(text_bytes(col), 4 * TEXT_EXAMINED_CHARS)
    ends = np.cumsum(size)
    cuts = np.zeros(n, dtype=np.int64)
    out_d: dict[str, list] = {}
    out_u: dict[str, list] = {}
    per = {name: np.zeros(n, dtype=np.int64) for name in ("deliverables", "unparsed")}
    best = {u: np.full(n, np.nan) for u in PEOPLE_UNITS}
    start = 0
    while start < n:
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + BATCH_BYTES)))
        m = stop - start
        texts = []
        for col in cols:
            arr, cut = examined(text_array(col.iloc[start:stop]))
            texts.append(_sanitise(arr))
            cuts[start:stop] += cut
        batch = pa.concat_arrays(texts)
        del texts
        c = _classify(_scan(batch, pats), t, pats)
        pos, fld = start + c["text_index"] % m, (c["text_index"] // m).astype(np.int8)
        d_idx, u_idx = _kept(c, pos, fld)
        for idx, out, names in ((d_idx, out_d, DELIVERABLE_COLUMNS),
                                (u_idx, out_u, UNPARSED_COLUMNS)):
            for name, col in _rows(c, idx, pos, fld, ids, titles).items():
                if name in names:
                    out.setdefault(name, []).append(col)
        per["deliverables"] += np.bincount(pos[d_idx], minlength=n)
        per["unparsed"] += np.bincount(pos[u_idx], minlength=n)
        for u in PEOPLE_UNITS:
            sel = d_idx[c["unit"][d_idx] == u]
            np.fmax.at(best[u], pos[sel], c["quantity"][sel])
        del c, batch
        memory.release()  # the batch's temporaries, between the rows kept
        start = stop
    per_pledge = _frame({
        "pledge_id": ids, **per, **{u.replace(" ", "_"): best[u] for u in PEOPLE_UNITS},
        "chars_not_examined": cuts,
    })
    out = Extraction(_assemble(out_d, DELIVERABLE_COLUMNS, fields),
                     _assemble(out_u, UNPARSED_COLUMNS, fields),
                     per_pledge.loc[:, list(PER_PLEDGE_COLUMNS)])
    del out_d, out_u, per_pledge
    memory.release()
    return out


def _kept(c: dict, pos: np.ndarray, fld: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the deliverables (once per pledge, quantity and unit family: people of
    any class are one family) and of the unparsed quantities of a batch, in output order
    (pledge, field, position)."""
    kind, unit = c["kind"], c["unit"]
    order = np.lexsort((np.arange(len(kind)), fld, pos))
    cand = order[kind[order] == 0]
    family = np.where(np.isin(unit[cand], PEOPLE_UNITS), "people", unit[cand]).astype(object)
    dup = pd.DataFrame({"p": pos[cand], "q": c["quantity"][cand],
                        "f": pd.factorize(family)[0]}).duplicated().to_numpy()
    return cand[~dup], order[kind[order] == 1]


def _rows(c: dict, idx: np.ndarray, pos: np.ndarray, fld: np.ndarray, ids: pa.Array,
          titles: pa.Array) -> dict[str, object]:
    """The output columns of rows ``idx`` of a batch (numpy or Arrow)."""
    take = pa.array(idx.astype(np.int64))
    written = pc.take(c["as_written"], take)
    qualifier = pc.take(c["qualifier"], take)
    return {
        "pledge_id": pc.take(ids, pa.array(pos[idx])),
        "title": pc.take(titles, pa.array(pos[idx])),
        "quantity": c["quantity"][idx],
        "unit": c["unit"][idx],
        "reason": c["reason"][idx],
        "text": _texts(c["sentences"], c["sentence_code"][idx], written),
        "field": fld[idx],
        "qualifier": pc.if_else(pc.equal(qualifier, ""), None, qualifier),
        "as_written": written,
    }


def _assemble(out: dict[str, list], columns: tuple[str, ...],
              fields: tuple[str, ...]) -> pd.DataFrame:
    """One output table from the batches' pieces (Arrow strings stay chunked: no copy)."""
    cols: dict[str, object] = {}
    for name in columns:
        parts = out.get(name, [])
        if name in ("quantity",):
            cols[name] = np.concatenate(parts) if parts else np.empty(0)
        elif name == "unit":
            cols[name] = pd.Categorical(np.concatenate(parts) if parts else [])
        elif name == "reason":
            codes = np.concatenate(parts) if parts else np.empty(0, np.int64)
            cols[name] = pd.Categorical.from_codes(codes, categories=UNPARSED_REASONS)
        elif name == "field":
            codes = np.concatenate(parts) if parts else np.empty(0, np.int8)
            cols[name] = pd.Categorical.from_codes(codes, categories=list(fields))
        else:
            cols[name] = pa.chunked_array(parts, type=pa.large_string())
    return _frame(cols).loc[:, list(columns)]


def deliverables(pledges: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """The ``deliverables`` table: one row per extracted deliverable, columns
    :data:`DELIVERABLE_COLUMNS` (``pledge_id, title, quantity, unit, text`` = the sentence it
    came from, ``field``, ``qualifier``, ``as_written``). See :func:`extract`."""
    return extract(pledges, **kwargs).deliverables


def unparsed(pledges: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Quantities left unparsed, one row each, columns :data:`UNPARSED_COLUMNS` (``reason`` in
    :data:`UNPARSED_REASONS`). See :func:`extract`."""
    return extract(pledges, **kwargs).unparsed


def _tally(table: pd.DataFrame, column: str, count_name: str,
           order: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rows and distinct pledges per value of ``column``: ``column, count_name, pledges``,
    the ``order`` values first (0 where none), then the others by count."""
    keys = table[column].astype("string")
    g = pd.DataFrame({"key": keys, "pledge_id": table["pledge_id"].astype("string")}) \
        .groupby("key", sort=False)
    out = pd.DataFrame({count_name: g.size(), "pledges": g["pledge_id"].nunique()})
    out = out.sort_values(count_name, ascending=False, kind="stable")
    if order is not None:
        out = out.reindex([*order, *(k for k in out.index if k not in order)], fill_value=0)
    out = out.astype("int64")
    out.index = pd.Index(out.index, dtype="string", name=column)
    return out.reset_index()


def by_unit(deliverables_table: pd.DataFrame) -> pd.DataFrame:
    """What the pledges promise, by unit: ``unit, deliverables, pledges`` (deliverables and
    distinct pledges stating one), most frequent first. Counts only: quantities of different
    pledges are never added up (they may overlap)."""
    return _tally(deliverables_table, "unit", "deliverables")


def unparsed_by_reason(unparsed_table: pd.DataFrame) -> pd.DataFrame:
    """Quantities left unparsed, by reason: ``reason, quantities, pledges``, every reason of
    :data:`UNPARSED_REASONS` in that order (0 where none)."""
    return _tally(unparsed_table, "reason", "quantities", UNPARSED_REASONS)
