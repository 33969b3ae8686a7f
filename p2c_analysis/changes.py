"""What changed between two pledge tables: two snapshots, two dates of the public record, two
exports. Every function takes canonical pledge tables (``docs/architecture.md``) and returns the
tables a "what changed" report shows.

Matching (:func:`match_pledges`)
--------------------------------
- **By id** (``match_rule = "pledge_id"``) when both tables carry *source* ids (an id column in
  the export). Ids the loader derived from a hash of title and pledger (:func:`id_kind`) are not
  trusted as identities: a renamed pledge would get a new one.
- **By name** otherwise: first the exact key normalised pledger + normalised title
  (``parsing.text_key``; ``match_rule = "pledger + title"``), then, for what is left, a fuzzy
  title match **within the same normalised pledger**: rapidfuzz ``token_set_ratio`` on the
  normalised titles, at or above :data:`FUZZY_THRESHOLD` (90 of 100;
  ``match_rule = "pledger + fuzzy title"``, ``match_score`` the score). A pledge whose pledger
  changed its name is not matched (it shows as one pledge no longer listed and one new).
- **Twins** (a key that occurs more than once on a side: a pledger's pledges sharing a title,
  whose derived ids the loader numbers by content) are paired by the content a change report
  compares (:data:`COMPARISON_COLUMNS` but the id; by id among twins of one content), and when
  that leaves one of the key on each side, those two are paired as well: a file compared with
  itself or its rows reordered shows no change. A pairing is kept but flagged for review
  (``needs_review``, listed in ``review``) when the two sides hold different numbers of twins
  for the key (twins left over are flagged too), and when the last one on each side was
  paired under different ids (twins' ids are numbered by the fields that rarely change).
- **Ambiguity is never merged**: twins left unpaired (two or more on a side), a pledge with two
  or more fuzzy candidates at or above the threshold, a pledge with the same title but another
  pledger, or (with source ids) the same pledger + title under a different id are listed in
  ``review`` and the pledges stay unmatched (``needs_review = True``).

Per pledge (:func:`changes_by_pledge`)
--------------------------------------
``change`` is ``"new"`` (only in the current table), ``"first seen"`` (see below), ``"no longer
listed"`` (only in the previous one: absent is not ``"withdrawn"``, which is a status),
``"changed"`` or ``"unchanged"``. A matched pledge is ``"changed"`` when its status, its value
(any :data:`VALUE_CHANGES` kind but ``"unchanged"``) or one of :data:`COMPARED_FIELDS` differs
(``what_changed`` names them).

**New or first seen** (when the dates of both sides are given and the previous one is earlier:
the window ``(as_of_before, as_of_after]``): a pledge only in the current table is ``"new"``
only when the **whole stated period** of its announcement date lies in the window (a day in
it; a month or a bare year only when all of it does: ``2025`` is new in a window from
2024-12-01, not in one from 2025-12-03). Otherwise it is ``"first seen"``: listed for the first
time in the window, but with no announcement date, only a month or year that does not lie in the
window, or a date before it. In the public record such a pledge enters on the day its file was
collected (:func:`p2c_analysis.record.known_from`), so it is no evidence of a pledge made in the
window. Without dates (or with no window) every pledge only in the current table is ``"new"``.
The tables compared are each as of its date already: a pledge file's (or a file snapshot's)
pledges announced after it are left out by ``snapshots.resolve``
(:func:`p2c_analysis.pledges.announced_after`; see :func:`announced_in_window` for how the two
rules meet).

``value_change`` of a matched pledge (amounts compared in the **stated** currency, so a
conversion is never taken for a change of the pledge):

- ``"newly stated"`` / ``"no longer stated"``: a USD value only after / only before;
- ``"restated in another currency"``: the stated currency differs (e.g. EUR then USD);
- ``"conversion only"``: same stated amount and currency, different USD figure (another
  exchange rate or conversion rule): a conversion effect, not a change of the pledge;
- ``"up"`` / ``"down"``: the stated amount rose / fell (same currency);
- ``"unchanged"``: same stated amount, same USD (or no value on either side).

The stated amount is ``parsing.parse_money_beside(value_as_stated, currency).amount`` (as the
loader reads it); without a readable text it is the USD value (currency USD).
``status_change``: ``"forward"`` / ``"backward"`` on the ladder announced < in progress <
completed (``moved_backwards`` is True for the latter), ``"withdrawn"``, ``"reinstated"``
(withdrawn to the ladder), ``"first reported"`` (unknown to a status), ``"no longer reported"``
(a status to unknown), ``"unchanged"``.
``status_change_undated``: the status moved but the current one rests on public evidence with no
visible date (``status_source_after`` = ``"public evidence"``, ``status_date_basis``
``"undated; known by ..."``): the evidence shows the status by the day it was collected, not
when it was reached, so the move cannot be dated in the window (it may be older than the
previous side). A pledger's own status in an export is its
status on the export's date, so a move between two exports is dated by them. :func:`summary`
counts such moves apart. A current status the export dates after the current side's date
(left aside as not yet known) is no move to ``unknown``: the pledge keeps its previous status,
the latest known on the current date (:func:`carry_earlier_statuses`, ``compare``'s
``statuses_left_aside``).

The other tables (:func:`compare` returns them all in a :class:`Comparison`):
:func:`status_transitions`, :func:`group_changes` (LDC / LLDC / SIDS targeting with
``gaps.coverage_by_group``; each side's analysis year is ``min(date.year, LATEST_YEAR)``),
:func:`listing_changes` (new and no-longer-listed pledges by focus area, stakeholder type and
target group), :func:`newly_overdue`, :func:`compliance_change`, :func:`summary` and
:func:`value_changes` (counts and net USD by kind of value change, conversion effects apart).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from p2c_analysis import countries, gaps, parsing, progress
from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import (
    FIRST_YEAR,
    FOCUS_AREAS,
    LATEST_YEAR,
    NOT_STATED,
    STAKEHOLDER_TYPES,
    STATUS_LADDER,
    STATUSES,
    UN_GROUPS,
    UNKNOWN,
)

if TYPE_CHECKING:
    from IPython.display import Markdown

NEW = "new"
FIRST_SEEN = "first seen"
NO_LONGER_LISTED = "no longer listed"
CHANGED = "changed"
UNCHANGED = "unchanged"
CHANGE_KINDS: tuple[str, ...] = (NEW, FIRST_SEEN, NO_LONGER_LISTED, CHANGED, UNCHANGED)
RULE_ID = "pledge_id"
RULE_KEY = "pledger + title"
RULE_FUZZY = "pledger + fuzzy title"
MATCH_RULES: tuple[str, ...] = (RULE_ID, RULE_KEY, RULE_FUZZY)
#: Minimum rapidfuzz token_set_ratio (0-100) of two normalised titles of the same pledger.
FUZZY_THRESHOLD = 90.0
ID_RULES: tuple[str, ...] = ("auto", "source", "derived")
VALUE_CHANGES: tuple[str, ...] = (
    "unchanged", "up", "down", "newly stated", "no longer stated",
    "restated in another currency", "conversion only",
)
STATUS_CHANGES: tuple[str, ...] = (
    "unchanged", "forward", "backward", "withdrawn", "reinstated", "first reported",
    "no longer reported",
)
#: Label of the missing side in :func:`status_transitions`.
NOT_LISTED = "not listed"
#: Fields whose difference makes a matched pledge "changed" (besides status and value).
COMPARED_FIELDS: tuple[str, ...] = (
    "title", "pledger", "stakeholder_type", "entity_country", "pledge_type", "focus_areas",
    "target_countries", "target_regions", "is_global", "announced_date", "target_year",
    "last_report_date", "beneficiaries", "sdgs", "description", "source_url",
)
#: Every column :func:`changes_by_pledge` reads (for ``snapshots.read_pledges_parquet``).
COMPARISON_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "pledger", "status", "status_source", "status_date_basis",
    "estimated_value_usd", "value_as_stated", "currency", "announced_precision",
    *(f for f in COMPARED_FIELDS if f not in ("title", "pledger")),
)
TARGET_OTHER = "other countries only"
TARGET_GLOBAL = "global"
TARGET_UNSTATED = "targets not stated"
CHANGE_COLUMNS: tuple[str, ...] = (
    "pledge_id", "pledge_id_before", "pledge_id_after", "title", "pledger", "change",
    "match_rule", "match_score", "needs_review", "status_before", "status_after",
    "status_source_before", "status_source_after", "status_change", "moved_backwards",
    "status_change_undated", "value_usd_before", "value_usd_after", "value_usd_delta",
    "value_usd_conversion", "value_change", "value_as_stated_before", "value_as_stated_after",
    "currency_before", "currency_after", "what_changed",
)
REVIEW_COLUMNS: tuple[str, ...] = (
    "pledge_id_before", "title_before", "pledger_before", "pledge_id_after", "title_after",
    "pledger_after", "match_score", "review_reason",
)
_TOL = 1e-9  # relative tolerance of "the same amount"


# --- arrow helpers -----------------------------------------------------------------------------

def _arrow(s: pd.Series) -> pa.Array:
    """One column as an Arrow array (missing values as nulls, NaN included; list cells as
    Arrow lists, whether Python lists or Arrow-backed)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object).where(s.notna(), None)
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _as_string(arr: pa.Array) -> pd.Series:
    """An Arrow array as a pandas ``string`` Series (nulls as ``<NA>``)."""
    return pd.Series(arr.cast(pa.large_string()).to_pandas()).astype("string")


def _labels(codes: np.ndarray, labels: Sequence[str]) -> pd.Series:
    """Integer codes into ``labels`` as a ``string`` Series (code -1 = ``<NA>``)."""
    idx = pa.array(np.maximum(codes, 0), mask=codes < 0, type=pa.int64())
    return _as_string(pc.take(pa.array(list(labels), pa.large_string()), idx))


def _bools(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def normalise_text(arr: pa.Array) -> pa.Array:
    """The vectorised ``parsing.text_key`` used as matching key: lower case,
    organisation -> organization, ``&`` -> and, punctuation ``- _ / , . ( ) ' ’`` and runs of
    whitespace -> one space, trimmed; a missing text is ``""``."""
    t = pc.utf8_lower(arr.cast(pa.large_string()))
    t = pc.replace_substring(t, "organisation", "organization")
    t = pc.replace_substring(t, "&", " and ")
    t = pc.replace_substring_regex(t, r"[\-_/,.()'’]+", " ")
    t = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(t))
    t = pc.binary_join(t, pa.scalar(" ", pa.large_string()))
    return pc.fill_null(t, "")


# --- ids and keys ------------------------------------------------------------------------------

_DERIVED = re.compile(r"^.*?([0-9A-F]{8})(?:-\d+)?$")


def _loader_norm(text: object) -> str:
    """The loader's normalisation for derived ids: lower case, whitespace collapsed."""
    return "" if parsing.is_not_stated(text) else " ".join(str(text).lower().split())


def id_kind(pledges: pd.DataFrame) -> str:
    """``"derived"`` when every ``pledge_id`` is the loader's hash of title and pledger
    (``<prefix><8 hex of SHA-1 of title|pledger>[-n]``), else ``"source"`` (ids from the
    export). An empty table counts as ``"derived"`` (it has no ids to trust)."""
    if len(pledges) and not _DERIVED.match(str(pledges["pledge_id"].iloc[0])):
        return "source"  # the first id is no hash: not all of them are
    ids = _arrow(pledges["pledge_id"]).cast(pa.large_string())
    if not pc.all(pc.fill_null(pc.match_substring_regex(ids, _DERIVED.pattern), False)
                  ).as_py() and len(ids):
        return "source"
    for pid, title, pledger in zip(ids.to_pylist(), pledges["title"].tolist(),
                                   pledges["pledger"].tolist(), strict=True):
        base = f"{_loader_norm(title)}|{_loader_norm(pledger)}"
        digest = hashlib.sha1(base.encode("utf-8")).hexdigest()[:8].upper()
        if base != "|" and digest != _DERIVED.match(pid).group(1):  # type: ignore[union-attr]
            return "source"
    return "derived"


# --- matching ----------------------------------------------------------------------------------

@dataclass
class Matching:
    """How the rows of two tables were paired. ``pairs``: ``before`` and ``after`` (row
    positions, ``-1`` = no row on that side), ``match_rule`` (``<NA>`` when unmatched),
    ``match_score`` (0-100: 100 for exact keys, the fuzzy score, NaN for ids / unmatched) and
    ``needs_review``; one row per pledge of either table. ``review``: candidate pairs not
    merged (:data:`REVIEW_COLUMNS`)."""

    pairs: pd.DataFrame
    review: pd.DataFrame


class _Side:
    """One table's rows for matching: ids, normalised pledgers and titles, and which rows are
    taken or under review."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.ids = _arrow(df["pledge_id"]).cast(pa.large_string())
        self.free = np.ones(len(df), dtype=bool)
        self.review = np.zeros(len(df), dtype=bool)
        self._keys: tuple[np.ndarray, np.ndarray] | None = None

    def keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(normalised pledger, normalised title) of every row, object arrays."""
        if self._keys is None:
            self._keys = self.keys_of(None)
        return self._keys

    def keys_of(self, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(normalised pledger, normalised title) of ``rows`` (``None``: all rows)."""
        out = []
        for c in ("pledger", "title"):
            arr = _arrow(self.df[c])
            if rows is not None:
                arr = pc.take(arr, pa.array(rows, type=pa.int64()))
            out.append(np.asarray(normalise_text(arr).to_numpy(zero_copy_only=False),
                                  dtype=object))
        return out[0], out[1]

    def open(self) -> np.ndarray:
        """Positions neither matched nor under review."""
        return np.flatnonzero(self.free & ~self.review)


def _flag_at(flags: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``flags[rows]``, False where ``rows`` is -1 (no pledge on that side; also when that
    side has no pledge at all)."""
    out = np.zeros(len(rows), dtype=bool)
    present = rows >= 0
    out[present] = flags[rows[present]]
    return out


class _Pairing:
    """Accumulates pairs and review candidates while matching."""

    def __init__(self, before: pd.DataFrame, after: pd.DataFrame) -> None:
        self.b, self.a = _Side(before), _Side(after)
        self.pairs: list[tuple[np.ndarray, np.ndarray, str, np.ndarray, np.ndarray]] = []
        self.review: list[dict] = []

    def take(self, b: np.ndarray, a: np.ndarray, rule: str, score: np.ndarray,
             review: np.ndarray | None = None) -> None:
        """Pair ``b`` with ``a``; ``review``: the pairs kept but flagged for review."""
        self.pairs.append((b, a, rule, score,
                           np.zeros(len(b), dtype=bool) if review is None else review))
        self.b.free[b] = False
        self.a.free[a] = False

    def flag(self, b: int, a: int, score: float, reason: str) -> None:
        self.b.review[b] = self.a.review[a] = True
        self.note(b, a, score, reason)

    def note(self, b: int, a: int, score: float, reason: str) -> None:
        """List ``b`` and ``a`` in ``review`` (their pairing, if any, unchanged)."""
        rb, ra = self.b.df.iloc[b], self.a.df.iloc[a]
        self.review.append({
            "pledge_id_before": rb["pledge_id"], "title_before": rb["title"],
            "pledger_before": rb["pledger"], "pledge_id_after": ra["pledge_id"],
            "title_after": ra["title"], "pledger_after": ra["pledger"], "match_score": score,
            "review_reason": reason})

    def result(self) -> Matching:
        b_only, a_only = np.flatnonzero(self.b.free), np.flatnonzero(self.a.free)
        b = np.concatenate([p[0] for p in self.pairs] + [b_only, np.full(len(a_only), -1)])
        a = np.concatenate([p[1] for p in self.pairs] + [np.full(len(b_only), -1), a_only])
        rule_code = np.concatenate([np.full(len(p[0]), MATCH_RULES.index(p[2]))
                                    for p in self.pairs]
                                   + [np.full(len(b_only) + len(a_only), -1)])
        score = np.concatenate([p[3] for p in self.pairs]
                               + [np.full(len(b_only) + len(a_only), np.nan)])
        b, a, rule_code = (x.astype(np.int64) for x in (b, a, rule_code))
        unmatched = rule_code < 0
        review = unmatched & (_flag_at(self.b.review, b) | _flag_at(self.a.review, a))
        review |= np.concatenate([p[4] for p in self.pairs]
                                 + [np.zeros(len(b_only) + len(a_only), dtype=bool)])
        pairs = pd.DataFrame({"before": b, "after": a,
                              "match_rule": _labels(rule_code, MATCH_RULES),
                              "match_score": score.astype(float), "needs_review": review})
        rev = pd.DataFrame(self.review, columns=list(REVIEW_COLUMNS))
        rev = rev.astype({c: "string" for c in REVIEW_COLUMNS if c != "match_score"}
                         | {"match_score": "float64"})
        rev = rev.sort_values(["pledge_id_before", "pledge_id_after"], kind="stable")
        return Matching(pairs=pairs, review=rev.reset_index(drop=True))


def _positions(values: pa.Array, among: pa.Array) -> np.ndarray:
    """Position of each value in ``among`` (first occurrence), -1 when absent."""
    pos = pc.index_in(values, value_set=among)
    return np.asarray(pc.fill_null(pos, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _by_key(keys: np.ndarray, rows: np.ndarray) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in rows:
        out.setdefault(keys[r], []).append(int(r))
    return out


def _match_ids(p: _Pairing) -> None:
    pos = _positions(p.b.ids, p.a.ids)
    hit = np.flatnonzero(pos >= 0)
    p.take(hit, pos[hit], RULE_ID, np.full(len(hit), np.nan))
    # the same pledger + title under another id: listed, never merged
    bl, al = np.flatnonzero(p.b.free), np.flatnonzero(p.a.free)
    if len(bl) and len(al):
        (bp, bt), (ap, at) = p.b.keys_of(bl), p.a.keys_of(al)
        where = _by_key(ap + "|" + at, np.arange(len(al)))
        for k, key in enumerate(bp + "|" + bt):
            for j in where.get(key, []):
                p.flag(int(bl[k]), int(al[j]), 100.0,
                       "same pledger and title under another pledge_id")


def _match_exact(p: _Pairing) -> None:
    """Exact normalised pledger + title, when the key occurs once on each side; where it occurs
    more often ("twins": a pledger's pledges sharing a title), the rows of the key are paired
    by their content (:func:`_pair_twins`), and only what that leaves is flagged as
    ambiguous."""
    (bp, bt), (ap, at) = p.b.keys(), p.a.keys()
    bkey, akey = bp + "|" + bt, ap + "|" + at
    nb = pd.Series(bkey).map(pd.Series(bkey).value_counts()).to_numpy()
    na = pd.Series(bkey).map(pd.Series(akey).value_counts()).fillna(0).to_numpy()
    pos = _positions(pa.array(bkey, pa.large_string()), pa.array(akey, pa.large_string()))
    unique = np.flatnonzero((nb == 1) & (na == 1))
    p.take(unique, pos[unique], RULE_KEY, np.full(len(unique), 100.0))
    ambiguous = np.flatnonzero((na >= 1) & ~((nb == 1) & (na == 1)))
    if len(ambiguous):
        where = _by_key(akey, np.arange(len(akey)))
        left = _pair_twins(p, _by_key(bkey, ambiguous), where)
        for i in ambiguous:
            for j in left.get(i, ()):
                p.flag(int(i), j, 100.0, f"ambiguous: pledger + title occurs "
                                         f"{int(nb[i])} time(s) before, {int(na[i])} after")


def _content(df: pd.DataFrame, rows: list[int]) -> list[str]:
    """The content of ``rows`` a change report compares (:data:`COMPARISON_COLUMNS` but the
    id), one text per row: rows with the same text show as ``"unchanged"`` whichever way
    they are paired."""
    cols = [c for c in COMPARISON_COLUMNS if c != "pledge_id" and c in df.columns]

    def cell(v: object) -> object:
        if isinstance(v, (list, tuple, np.ndarray)):
            return tuple(cell(x) for x in v)
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    sub = df.iloc[rows][cols] if rows else df.iloc[:0][cols]
    return [repr(tuple(cell(v) for v in rec)) for rec in sub.itertuples(index=False)]


def _pair_twins(p: _Pairing, b_by: dict[str, list[int]],
                a_by: dict[str, list[int]]) -> dict[int, list[int]]:
    """Pair the rows of each key that occurs more than once on a side ("twins"; derived ids
    are numbered by content, pledges.py): a row with the same compared content
    (:func:`_content`) as a row of the other side is paired with it, by id among rows of the
    same content; when one row is then left on each side they are paired too (as a key
    occurring once on each side is). Returns, for each before row left, the after rows it may
    be: the truly ambiguous ones."""
    left: dict[int, list[int]] = {}
    b_ids, a_ids = p.b.ids.to_pylist(), p.a.ids.to_pylist()
    for key in sorted(b_by):
        bs, as_ = b_by[key], a_by.get(key, [])
        bc, ac = _content(p.b.df, bs), _content(p.a.df, as_)
        pairs: list[tuple[int, int]] = []
        for text in sorted(set(bc) & set(ac)):
            rb = sorted((i for i, t in zip(bs, bc, strict=True) if t == text),
                        key=lambda i: (str(b_ids[i]), i))
            ra = sorted((j for j, t in zip(as_, ac, strict=True) if t == text),
                        key=lambda j: (str(a_ids[j]), j))
            if len(rb) == len(ra):
                pairs += zip(rb, ra, strict=True)
        done_b, done_a = {i for i, _ in pairs}, {j for _, j in pairs}
        rest_b = [i for i in bs if i not in done_b]
        rest_a = [j for j in as_ if j not in done_a]
        unsure = [False] * len(pairs)
        if pairs and len(rest_b) == 1 and len(rest_a) == 1:
            # the last one on each side: sure only when their ids (numbered by the fields
            # that rarely change first, pledges.py) agree
            unsure.append(str(b_ids[rest_b[0]]) != str(a_ids[rest_a[0]]))
            pairs.append((rest_b[0], rest_a[0]))
            rest_b, rest_a = [], []
        counts = f"pledger + title occurs {len(bs)} time(s) before, {len(as_)} after"
        if len(bs) != len(as_):  # a twin added or gone: which one cannot be told for sure
            unsure = [True] * len(pairs)
            for i in rest_b:
                p.b.review[i] = True
                for j in done_a:
                    p.note(i, j, 100.0, f"ambiguous: {counts}; left unpaired")
            for j in rest_a:
                p.a.review[j] = True
                for i in done_b:
                    p.note(i, j, 100.0, f"ambiguous: {counts}; left unpaired")
        for (i, j), flag in zip(pairs, unsure, strict=True):
            if flag:
                why = ("paired by content" if len(bs) != len(as_) else
                       "paired as the last one on each side, under another id")
                p.note(i, j, 100.0, f"ambiguous: {counts}; {why}: check the pairing")
        if pairs:
            p.take(np.array([i for i, _ in pairs], dtype=np.int64),
                   np.array([j for _, j in pairs], dtype=np.int64), RULE_KEY,
                   np.full(len(pairs), 100.0), np.array(unsure, dtype=bool))
        for i in rest_b:
            left[i] = rest_a
    return left


def _match_fuzzy(p: _Pairing, threshold: float) -> None:
    """Fuzzy titles within each pledger, among rows still open."""
    from rapidfuzz import fuzz, process

    (bp, bt), (ap, at) = p.b.keys(), p.a.keys()
    a_by = _by_key(ap, p.a.open())
    b_by = {k: v for k, v in _by_key(bp, p.b.open()).items() if k in a_by}
    found: list[tuple[int, int, float]] = []
    for pledger in sorted(b_by):
        rows, cols = b_by[pledger], a_by[pledger]
        scores = process.cdist([bt[i] for i in rows], [at[j] for j in cols],
                               scorer=fuzz.token_set_ratio, processor=None)
        ok = scores >= threshold
        for r, c in zip(*np.nonzero(ok), strict=True):
            if ok[r].sum() == 1 and ok[:, c].sum() == 1:
                found.append((rows[r], cols[c], float(scores[r, c])))
            else:
                p.flag(rows[r], cols[c], float(scores[r, c]),
                       f"ambiguous: {int(ok[r].sum())} fuzzy candidate(s) for the earlier "
                       f"title, {int(ok[:, c].sum())} for the later one")
    keep = [f for f in found if not p.b.review[f[0]] and not p.a.review[f[1]]]
    p.take(np.array([f[0] for f in keep], dtype=np.int64),
           np.array([f[1] for f in keep], dtype=np.int64), RULE_FUZZY,
           np.array([f[2] for f in keep], dtype=float))


def _flag_same_title(p: _Pairing) -> None:
    """Same normalised title, another pledger: listed for review, never merged."""
    bt, at = p.b.keys()[1], p.a.keys()[1]
    where = _by_key(at, [j for j in p.a.open() if at[j]])
    for i in p.b.open():
        for j in where.get(bt[i], []) if bt[i] else []:
            p.flag(int(i), j, 100.0, "same title, another pledger")


def match_pledges(before: pd.DataFrame, after: pd.DataFrame, ids: str = "auto",
                  threshold: float = FUZZY_THRESHOLD) -> Matching:
    """Pair the pledges of two tables (see the module docstring for the rules).

    ``ids``: ``"auto"`` (match by id when both tables carry source ids, see :func:`id_kind`),
    ``"source"`` (always by id), ``"derived"`` (always by name). ``threshold``: minimum fuzzy
    score, 0-100. Raises ``ValueError`` for a bad ``ids`` / ``threshold`` or a missing
    ``pledge_id`` / ``title`` / ``pledger`` column."""
    if ids not in ID_RULES:
        raise ValueError(f"ids={ids!r}: expected one of {ID_RULES}")
    if not 0 < threshold <= 100:
        raise ValueError(f"threshold={threshold}: must be in (0, 100]")
    for name, df in (("before", before), ("after", after)):
        missing = [c for c in ("pledge_id", "title", "pledger") if c not in df.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    p = _Pairing(before, after)  # rows are addressed by position: the index plays no part
    if ids == "source" or (ids == "auto" and id_kind(before) == "source"
                           and id_kind(after) == "source"):
        _match_ids(p)
    else:
        _match_exact(p)
        _match_fuzzy(p, threshold)
        _flag_same_title(p)
    return p.result()


# --- per pledge --------------------------------------------------------------------------------

def _text_key(arr: pa.Array) -> pa.Array:
    """A list column as one text per cell (items joined by U+001F), so cells compare with
    ``pc.equal``; other columns unchanged."""
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        return pc.binary_join(arr.cast(pa.list_(pa.string())), "\x1f")
    return arr


def _differs(b: pa.Array, a: pa.Array) -> np.ndarray:
    """Cell by cell: the two values differ (a missing value equals only a missing value)."""
    b, a = _text_key(b), _text_key(a)
    if b.type != a.type or pa.types.is_null(b.type):  # null: an object column with no value
        b, a = b.cast(pa.large_string()), a.cast(pa.large_string())
    if b.null_count == 0 and a.null_count == 0:
        return ~_bools(pc.equal(b, a))
    same = pc.or_(pc.fill_null(pc.equal(b, a), False), pc.and_(pc.is_null(b), pc.is_null(a)))
    return ~_bools(same)


class _Aligned:
    """The rows of one table at given positions (``-1`` = no row: every value missing); each
    column converted to Arrow once."""

    def __init__(self, df: pd.DataFrame, pos: np.ndarray) -> None:
        self.df = df
        self.present = pos >= 0
        self.idx = pa.array(np.maximum(pos, 0), mask=~self.present, type=pa.int64())
        self._cols: dict[str, pa.Array] = {}

    def col(self, name: str) -> pa.Array:
        if name not in self._cols:
            if name not in self.df.columns:
                self._cols[name] = pa.nulls(len(self.idx), pa.large_string())
            else:
                self._cols[name] = pc.take(_arrow(self.df[name]), self.idx)
        return self._cols[name]

    def text(self, name: str) -> pd.Series:
        return _as_string(self.col(name))

    def floats(self, name: str) -> np.ndarray:
        return np.asarray(self.col(name).to_numpy(zero_copy_only=False), dtype=float)

    def status_codes(self) -> np.ndarray:
        """Position in ``STATUSES`` (a missing / unknown value counts as ``"unknown"``);
        -1 where there is no row."""
        st = self.col("status").cast(pa.large_string())
        code = _positions(st, pa.array(list(STATUSES), pa.large_string()))
        code = np.where(code < 0, STATUSES.index(UNKNOWN), code)
        return np.where(self.present, code, -1)


def _status_change(cb: np.ndarray, ca: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into :data:`STATUS_CHANGES` (-1 where not both present) and ``moved_backwards``."""
    ladder = len(STATUS_LADDER)
    on_b, on_a = (cb >= 0) & (cb < ladder), (ca >= 0) & (ca < ladder)
    withdrawn, unknown = STATUSES.index("withdrawn"), STATUSES.index(UNKNOWN)
    code = np.select(
        [(cb < 0) | (ca < 0), cb == ca, ca == withdrawn, (cb == withdrawn) & on_a,
         ca == unknown, cb == unknown, on_b & on_a & (ca > cb)],
        [-1, 0, 3, 4, 6, 5, 1], default=2)
    return code, on_b & on_a & (ca < cb)


def _stated_amounts(text: pa.Array, currency: pa.Array, usd: np.ndarray, rows: np.ndarray
                    ) -> np.ndarray:
    """Stated amounts (in the stated currency) of ``rows``: the amount the loader reads in the
    text beside the row's ``currency`` (:func:`parsing.parse_money_beside`: ``¥``, ``R`` or
    ``$`` read as that currency), else the USD value; NaN elsewhere."""
    out = np.full(len(usd), np.nan)
    take = pa.array(rows, type=pa.int64())
    cells = pc.take(text, take).to_pylist() if len(rows) else []
    codes = pc.take(currency, take).to_pylist() if len(rows) else []
    for i, t, code in zip(rows, cells, codes, strict=True):
        try:
            money = parsing.parse_money_beside(t, code) if t is not None else None
        except parsing.ParseError:
            money = None
        out[i] = money.amount if money is not None else usd[i]
    return out


def _value_change(b: _Aligned, a: _Aligned, matched: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Codes into :data:`VALUE_CHANGES` of each matched row (-1 elsewhere), and the USD of
    each matched row's change that is conversion alone: all of it for ``conversion only``; for
    ``up`` / ``down`` in another currency than USD whose exchange rate moved too (a new amount
    announced another year), the current USD minus the current amount at the previous rate;
    0 otherwise; NaN unless both values are stated. For an amount stated in US dollars the
    stated amount is the USD value (the loader's rule), so only texts in other currencies are
    parsed."""
    ub, ua = b.floats("estimated_value_usd"), a.floats("estimated_value_usd")
    hb, ha = ~np.isnan(ub), ~np.isnan(ua)
    cur_b = pc.fill_null(b.col("currency").cast(pa.large_string()), "USD")
    cur_a = pc.fill_null(a.col("currency").cast(pa.large_string()), "USD")
    same_cur = _bools(pc.equal(cur_b, cur_a))
    in_usd = _bools(pc.equal(cur_b, "USD"))
    tb, ta = b.col("value_as_stated"), a.col("value_as_stated")
    same_text = ~_differs(tb, ta) & _bools(pc.is_valid(tb))
    amt_b, amt_a = ub.copy(), ua.copy()
    reparse = np.flatnonzero(matched & hb & ha & same_cur & ~same_text & ~in_usd)
    amt_b[reparse] = _stated_amounts(tb, cur_b, ub, reparse)[reparse]
    amt_a[reparse] = _stated_amounts(ta, cur_a, ua, reparse)[reparse]
    same_amount = same_text | np.isclose(amt_b, amt_a, rtol=_TOL, atol=0.0)
    same_usd = np.isclose(ub, ua, rtol=_TOL, atol=0.0)
    v = {k: i for i, k in enumerate(VALUE_CHANGES)}
    code = np.select(
        [~matched, ~hb & ~ha, ~hb & ha, hb & ~ha, ~same_cur, same_amount & same_usd,
         same_amount, amt_a > amt_b],
        [-1, v["unchanged"], v["newly stated"], v["no longer stated"],
         v["restated in another currency"], v["unchanged"], v["conversion only"], v["up"]],
        default=v["down"])
    conv = np.where(matched & hb & ha, 0.0, np.nan)
    only = code == v["conversion only"]
    conv[only] = (ua - ub)[only]
    with np.errstate(invalid="ignore", divide="ignore"):
        at_old_rate = amt_a * (ub / amt_b)  # the current amount at the previous rate
    moved = ((code == v["up"]) | (code == v["down"])) & same_cur & ~in_usd & \
        np.isfinite(at_old_rate) & (amt_b > 0)
    # the rate did not move (the same year's rate on both sides): no conversion effect, not
    # the float rounding of amount x rate (3e-08 USD had made "conversion alone moved USD")
    same_rate = np.isclose(ua, at_old_rate, rtol=_TOL, atol=0.0)
    conv[moved] = np.where(same_rate, 0.0, ua - at_old_rate)[moved]
    return code, conv


def _field_diffs(before: pd.DataFrame, after: pd.DataFrame, b_pos: np.ndarray,
                 a_pos: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Bool matrix (pair x field): the field differs between the paired rows ``b_pos[i]`` and
    ``a_pos[i]`` (both present). Computed in the previous table's row order, so each field
    takes one gather (of the current table's column) instead of two."""
    of_b = np.full(len(before), -1, dtype=np.int64)
    of_b[b_pos] = a_pos
    idx = pa.array(np.maximum(of_b, 0), mask=of_b < 0, type=pa.int64())
    cols = [_differs(_arrow(before[f]), pc.take(_arrow(after[f]), idx)) for f in names]
    return np.column_stack(cols)[b_pos] if cols else np.zeros((len(b_pos), 0), dtype=bool)


def _what_changed(b: _Aligned, a: _Aligned, matched: np.ndarray, status_moved: np.ndarray,
                  value_code: np.ndarray, b_pos: np.ndarray, a_pos: np.ndarray) -> np.ndarray:
    """``"; "``-joined names of what differs, per row (None when nothing or not matched)."""
    names = [f for f in COMPARED_FIELDS if f in b.df.columns and f in a.df.columns]
    value_moved = matched & (value_code != VALUE_CHANGES.index("unchanged"))
    rows = np.flatnonzero(matched)
    diff = np.zeros((len(matched), len(names) + 2), dtype=bool)
    diff[rows, : len(names)] = _field_diffs(b.df, a.df, b_pos[rows], a_pos[rows], names)
    diff[:, -2], diff[:, -1] = status_moved, value_moved
    labels = [*names, "status", "value"]
    what = np.full(len(matched), None, dtype=object)
    for i in np.flatnonzero(diff.any(axis=1)):
        items = [labels[j] for j in np.flatnonzero(diff[i])]
        if "status" in items and "last_report_date" in items:
            items.remove("last_report_date")  # a new status comes with its report date
        what[i] = "; ".join(f"value ({VALUE_CHANGES[value_code[i]]})" if x == "value" else x
                            for x in items)
    return what


def _sorted_pairs(before: pd.DataFrame, after: pd.DataFrame, pairs: pd.DataFrame
                  ) -> pd.DataFrame:
    """``pairs`` in output order: by the current id (else the previous one), then the
    previous id."""
    b = pc.take(_arrow(before["pledge_id"]).cast(pa.large_string()),
                pa.array(pairs["before"].clip(lower=0), mask=pairs["before"] < 0))
    a = pc.take(_arrow(after["pledge_id"]).cast(pa.large_string()),
                pa.array(pairs["after"].clip(lower=0), mask=pairs["after"] < 0))
    order = pc.sort_indices(pa.table({"k": pc.coalesce(a, b), "b": b}),
                            sort_keys=[("k", "ascending", "at_end"),
                                       ("b", "ascending", "at_end")])
    return pairs.iloc[order.to_numpy()].reset_index(drop=True)


def announced_in_window(pledges: pd.DataFrame, as_of_before: object,
                        as_of_after: object) -> pd.Series:
    """Per pledge (index of ``pledges``): the whole stated period of its announcement date
    (``announced_date`` with ``announced_precision``: a day, a month or a year; a missing
    precision is a day) lies in ``(as_of_before, as_of_after]``. False when there is no date
    (or no such column).

    Beside the cut of a pledge file, or a snapshot of one, at the date of its side
    (:func:`p2c_analysis.pledges.announced_after`, applied by ``snapshots.resolve`` before the
    comparison): both read a month or a year as the period from its first to its last day, and
    neither claims more than the period shows. The cut leaves a pledge out only when the
    whole period is after the side's date (it begins after it); "new" needs the whole period
    inside the window. So a pledge whose month or year straddles the current date (``2024``
    against 2024-06-30) is kept in the current table but is "first seen", not new; one that
    straddles the previous date is kept there too (so it is matched, not new). The public
    record admits a pledge only from the last day of its period, so none of its pledges
    straddles its date. This function reads the period from ``announced_date`` truncated to
    its month or year; the cut reads ``announced_date`` as stored, which the canonical table
    keeps at the period's first day (``fields``): the same day for every valid table."""
    if "announced_date" not in pledges.columns:
        return pd.Series(False, index=pledges.index)
    d = pd.to_datetime(pledges["announced_date"]).astype("datetime64[ns]")
    prec = (pledges["announced_precision"].astype("string") if "announced_precision" in pledges
            else pd.Series(pd.NA, index=pledges.index, dtype="string"))
    is_year = prec.eq("year").fillna(False).to_numpy(dtype=bool)
    is_month = prec.eq("month").fillna(False).to_numpy(dtype=bool)
    start = d.where(~is_month, d.dt.to_period("M").dt.start_time)
    start = start.where(~is_year, d.dt.to_period("Y").dt.start_time)
    end = start.where(~is_year, start + pd.offsets.YearEnd(0))
    end = end.where(~is_month, start + pd.offsets.MonthEnd(0))
    lo = pd.Timestamp(countries.as_of_date(as_of_before))
    hi = pd.Timestamp(countries.as_of_date(as_of_after))
    return ((start > lo) & (end <= hi)).fillna(False).astype(bool)


def _undated_status(a: _Aligned) -> np.ndarray:
    """Rows whose current status rests on public evidence with no visible date."""
    source = a.text("status_source").fillna("")
    basis = a.text("status_date_basis").fillna("")
    return ((source == "public evidence") & basis.str.startswith("undated")).to_numpy(dtype=bool)


def changes_by_pledge(before: pd.DataFrame, after: pd.DataFrame,
                      matching: Matching | None = None, ids: str = "auto",
                      threshold: float = FUZZY_THRESHOLD, as_of_before: object = None,
                      as_of_after: object = None) -> pd.DataFrame:
    """One row per pledge of either table: how it changed (see the module docstring).

    Columns :data:`CHANGE_COLUMNS`: ``pledge_id`` (the current id, else the previous one),
    ``pledge_id_before``, ``pledge_id_after``, ``title``, ``pledger`` (current text, else
    previous), ``change``, ``match_rule``, ``match_score``, ``needs_review``, ``status_before``,
    ``status_after`` (``<NA>`` on the missing side), ``status_source_before``,
    ``status_source_after``, ``status_change``, ``moved_backwards``,
    ``status_change_undated`` (the status moved but the current one rests on undated public
    evidence: see the module docstring), ``value_usd_before``,
    ``value_usd_after`` (NaN = no value), ``value_usd_delta`` (after - before, NaN unless both
    are stated), ``value_usd_conversion`` (the part of the delta that is conversion alone: see
    :func:`_value_change`), ``value_change``, ``value_as_stated_before/after``,
    ``currency_before/after``, ``what_changed`` (``"; "``-joined, ``<NA>`` when unchanged).
    Sorted by ``pledge_id``.
    ``as_of_before``, ``as_of_after``: the dates of the two sides; when both are given and the
    first is earlier, a pledge only in the current table is ``"new"`` only when its stated
    announcement period lies in the window between them, else ``"first seen"``
    (:func:`announced_in_window`).
    ``matching``: a :func:`match_pledges` result (computed with ``ids``, ``threshold`` when
    not given). Columns may have the canonical dtypes or be Arrow-backed
    (``snapshots.read_pledges_parquet(..., backend="arrow")``, for large tables).
    """
    m = matching if matching is not None else match_pledges(before, after, ids, threshold)
    pr = _sorted_pairs(before, after, m.pairs)
    b_pos, a_pos = pr["before"].to_numpy(), pr["after"].to_numpy()
    b, a = _Aligned(before, b_pos), _Aligned(after, a_pos)
    matched = b.present & a.present
    cb, ca = b.status_codes(), a.status_codes()
    status_code, backwards = _status_change(cb, ca)
    value_code, conversion = _value_change(b, a, matched)
    what = _what_changed(b, a, matched, matched & (cb != ca), value_code, b_pos, a_pos)
    changed = np.fromiter((w is not None for w in what), dtype=bool, count=len(what))
    kinds = {k: i for i, k in enumerate(CHANGE_KINDS)}
    first_seen = np.zeros(len(a_pos), dtype=bool)
    if as_of_before is not None and as_of_after is not None and \
            countries.as_of_date(as_of_before) < countries.as_of_date(as_of_after):
        only_a = np.flatnonzero(~b.present)
        inside = announced_in_window(after.iloc[a_pos[only_a]].reset_index(drop=True),
                                     as_of_before, as_of_after).to_numpy()
        first_seen[only_a[~inside]] = True
    change = np.select([first_seen, ~b.present, ~a.present, changed],
                       [kinds[FIRST_SEEN], kinds[NEW], kinds[NO_LONGER_LISTED], kinds[CHANGED]],
                       default=kinds[UNCHANGED])
    ub, ua = b.floats("estimated_value_usd"), a.floats("estimated_value_usd")
    id_b, id_a = b.col("pledge_id").cast(pa.large_string()), a.col("pledge_id").cast(
        pa.large_string())

    def current(name: str) -> pd.Series:
        return _as_string(pc.coalesce(a.col(name).cast(pa.large_string()),
                                      b.col(name).cast(pa.large_string())))

    out = pd.DataFrame({
        "pledge_id": _as_string(pc.coalesce(id_a, id_b)),
        "pledge_id_before": _as_string(id_b), "pledge_id_after": _as_string(id_a),
        "title": current("title"), "pledger": current("pledger"),
        "change": _labels(change, CHANGE_KINDS), "match_rule": pr["match_rule"],
        "match_score": pr["match_score"], "needs_review": pr["needs_review"],
        "status_before": _labels(cb, STATUSES), "status_after": _labels(ca, STATUSES),
        "status_source_before": b.text("status_source"),
        "status_source_after": a.text("status_source"),
        "status_change": _labels(status_code, STATUS_CHANGES),
        "moved_backwards": backwards,
        "status_change_undated": matched & (cb != ca) & _undated_status(a),
        "value_usd_before": ub, "value_usd_after": ua, "value_usd_delta": ua - ub,
        "value_usd_conversion": conversion,
        "value_change": _labels(value_code, VALUE_CHANGES),
        "value_as_stated_before": b.text("value_as_stated"),
        "value_as_stated_after": a.text("value_as_stated"),
        "currency_before": b.text("currency"), "currency_after": a.text("currency"),
        "what_changed": pd.array(what, dtype="string"),
    })
    return out.loc[:, list(CHANGE_COLUMNS)]


# --- summary tables ----------------------------------------------------------------------------

def _usd_of(changes: pd.DataFrame) -> pd.Series:
    """USD of each row: the current value, else (no longer listed) the previous one."""
    after = changes["value_usd_after"]
    return after.where(changes["change"] != NO_LONGER_LISTED, changes["value_usd_before"])


def status_transitions(changes: pd.DataFrame) -> pd.DataFrame:
    """From -> to table of statuses: ``status_before, status_after, pledges,
    pledges_with_value, value_usd``.

    ``"not listed"`` (:data:`NOT_LISTED`) stands for the missing side (new pledges come from
    it, pledges no longer listed go to it). ``value_usd`` sums the current USD value (for
    pledges no longer listed: the previous one); pledges without a value add nothing, and
    ``pledges_with_value`` says how many it rests on (0: no value stated, not a value of
    zero). Only observed pairs, in ladder order (``STATUSES`` then ``"not listed"``)."""
    order = [*STATUSES, NOT_LISTED]
    k = len(order)

    def codes(col: str) -> np.ndarray:
        c = _positions(_arrow(changes[col]).cast(pa.large_string()).fill_null(NOT_LISTED),
                       pa.array(order, pa.large_string()))
        if (c < 0).any():
            raise ValueError(f"changes: unknown value in {col}")
        return c

    pair = codes("status_before") * k + codes("status_after")
    usd = _usd_of(changes).to_numpy(dtype=float)
    stated = ~np.isnan(usd)
    n = np.bincount(pair, minlength=k * k)
    n_valued = np.bincount(pair, weights=stated.astype(float), minlength=k * k)
    total = np.bincount(pair, weights=np.where(stated, usd, 0.0), minlength=k * k)
    seen = np.flatnonzero(n)
    return pd.DataFrame({
        "status_before": pd.array([order[i // k] for i in seen], dtype="string"),
        "status_after": pd.array([order[i % k] for i in seen], dtype="string"),
        "pledges": n[seen].astype("int64"),
        "pledges_with_value": n_valued[seen].astype("int64"), "value_usd": total[seen],
    })


def analysis_year(as_of: object) -> int:
    """The connectivity and membership year for a date: its year, within the data's
    ``FIRST_YEAR``-``LATEST_YEAR`` (a date before 2000, e.g. the default previous side of a
    comparison as of 2000, takes 2000's data)."""
    return max(FIRST_YEAR, min(countries.as_of_date(as_of).year, LATEST_YEAR))


def group_changes(before: pd.DataFrame, after: pd.DataFrame, as_of_before: object,
                  as_of_after: object, groups: Sequence[str] = UN_GROUPS,
                  method: str = "offline", include_global: bool = False) -> pd.DataFrame:
    """Targeting of LDC / LLDC / SIDS (or ``groups``) before and after.

    ``gaps.coverage_by_group`` of each table with the analysis year of each date
    (:func:`analysis_year`). Columns ``group, year_before, year_after, pledges_before,
    pledges_after`` (pledges allocating to at least one member), ``usd_before, usd_after``
    (USD allocated to members by ``method``), ``attention_ratio_usd_before/after``,
    ``attention_ratio_count_before/after``, ``offline_share_before/after``."""
    cols = {"pledges_targeting": "pledges", "allocated_usd": "usd",
            "attention_ratio_usd": "attention_ratio_usd",
            "attention_ratio_count": "attention_ratio_count", "offline_share": "offline_share"}
    out = pd.DataFrame({"group": pd.array(list(groups), dtype="string")})
    for side, df, when in (("before", before, as_of_before), ("after", after, as_of_after)):
        year = analysis_year(when)
        cov = gaps.coverage_by_group(df, groups=list(groups), method=method,
                                     include_global=include_global, year=year)
        cov = cov.set_index("group").reindex(list(groups))
        out[f"year_{side}"] = year
        for src, name in cols.items():
            out[f"{name}_{side}"] = cov[src].to_numpy()
    order = ["group", "year_before", "year_after"] + [f"{n}_{s}" for n in cols.values()
                                                     for s in ("before", "after")]
    return out[order]


def target_groups(pledges: pd.DataFrame, year: int,
                  groups: Sequence[str] = UN_GROUPS) -> pd.Series:
    """Per pledge (index of ``pledges``), the list of ``groups`` it reaches (a target country
    in the group, or a target region whose members include one, as of ``year``); a targeted
    pledge reaching none: ``["other countries only"]``; a global pledge ``["global"]``; no
    targets stated ``["targets not stated"]``."""
    if pledges.empty:
        return pd.Series([], index=pledges.index, dtype=object)
    long = gaps.explode_targets(pledges, year=year)
    member = {g: set(countries.members(g, as_of=year)) for g in groups}
    pid = long["pledge_id"].astype(str).to_numpy()
    iso = long["iso3"].astype(str).to_numpy()
    via = long["via"].astype(str).to_numpy()
    hits: dict[str, list[str]] = {}
    for p, c, v in zip(pid, iso, via, strict=True):
        got = hits.setdefault(p, [])
        if v == "global":
            got.append(TARGET_GLOBAL)
        elif v == "not stated":
            got.append(TARGET_UNSTATED)
        else:
            got.extend(g for g in groups if c in member[g] and g not in got)
    out = []
    for p in pledges["pledge_id"].astype(str).tolist():
        got = hits.get(p, [])
        out.append([g for g in groups if g in got] or [x for x in (TARGET_GLOBAL,
                    TARGET_UNSTATED) if x in got] or [TARGET_OTHER])
    return pd.Series(out, index=pledges.index, dtype=object)


def listing_changes(changes: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame,
                    as_of_before: object, as_of_after: object) -> pd.DataFrame:
    """New and no-longer-listed pledges by focus area, stakeholder type and target group
    (pledges ``"first seen"`` are not new: they are not counted here).

    Columns ``dimension`` (``"focus_area"``, ``"stakeholder_type"``, ``"target_group"``),
    ``category``, ``new_pledges``, ``new_usd``, ``no_longer_listed_pledges``,
    ``no_longer_listed_usd``. Counting rule of ``gaps.tally``: a pledge with several categories
    counts once in each and its USD is split equally among them; ``*_usd`` is NaN when no
    pledge of the category states a value. Target groups (:func:`target_groups`) use each
    side's analysis year. Every standard category is listed, with 0 when none."""
    new_ids = set(changes.loc[changes["change"] == NEW, "pledge_id_after"].dropna())
    gone_ids = set(changes.loc[changes["change"] == NO_LONGER_LISTED,
                               "pledge_id_before"].dropna())
    new = after[after["pledge_id"].astype(str).isin(new_ids)].copy()
    gone = before[before["pledge_id"].astype(str).isin(gone_ids)].copy()
    new["target_group"] = target_groups(new, analysis_year(as_of_after))
    gone["target_group"] = target_groups(gone, analysis_year(as_of_before))
    dims = {
        "focus_area": ("focus_areas", [*FOCUS_AREAS, NOT_STATED]),
        "stakeholder_type": ("stakeholder_type", [*STAKEHOLDER_TYPES, UNKNOWN]),
        "target_group": ("target_group", [*UN_GROUPS, TARGET_OTHER, TARGET_GLOBAL,
                                          TARGET_UNSTATED]),
    }
    frames = []
    for dim, (col, cats) in dims.items():
        tn = gaps.tally(new, col, categories=cats).set_index("category")
        tg = gaps.tally(gone, col, categories=cats).set_index("category")
        idx = list(dict.fromkeys([*cats, *tn.index, *tg.index]))
        tn, tg = tn.reindex(idx), tg.reindex(idx)
        frames.append(pd.DataFrame({
            "dimension": dim, "category": idx,
            "new_pledges": tn["pledges"].fillna(0).astype("int64").to_numpy(),
            "new_usd": tn["usd"].to_numpy(dtype=float),
            "no_longer_listed_pledges": tg["pledges"].fillna(0).astype("int64").to_numpy(),
            "no_longer_listed_usd": tg["usd"].to_numpy(dtype=float),
        }))
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"dimension": "string", "category": "string"})


def newly_overdue(changes: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame,
                  as_of_before: object, as_of_after: object) -> pd.DataFrame:
    """Pledges overdue at ``as_of_after`` (``progress.overdue``) that were not overdue at
    ``as_of_before`` (or not listed then): ``pledge_id, title, pledger, status, target_year,
    years_overdue, change``; most overdue first, then by ``pledge_id``."""
    cols = ["pledge_id", "title", "pledger", "status", "target_year", "years_overdue", "change"]
    ov_a = progress.overdue(after, as_of_after)
    was = set(progress.overdue(before, as_of_before)["pledge_id"].astype(str))
    link = changes.dropna(subset=["pledge_id_after"]).set_index("pledge_id_after")
    prev = ov_a["pledge_id"].astype(str).map(link["pledge_id_before"])
    keep = ~prev.isin(was).to_numpy()
    out = ov_a.loc[keep].copy()
    out["change"] = out["pledge_id"].astype(str).map(link["change"]).to_numpy()
    out = out.reindex(columns=cols)
    out["status"] = out["status"].astype("string")
    out["change"] = out["change"].astype("string")
    return out.reset_index(drop=True)


def new_value_text(summary_row: pd.Series) -> str:
    """The stated value of the new pledges of a :func:`summary` row, for a headline card:
    ``"USD 12.0 M"``; :data:`style.NONE_STATED` when no new pledge states a value (their sum
    is 0, not their value); ``"no new pledge"`` when there is none."""
    from p2c_analysis import style

    if int(summary_row["new"]) == 0:
        return "no new pledge"
    if int(summary_row["new_valued"]) == 0:
        return style.NONE_STATED
    return style.fmt_usd(summary_row["usd_new"])


def headline_text(summary_row: pd.Series, span: str, review_pairs: int) -> Markdown:
    """The headline sentences of a comparison (a :func:`summary` row; ``span`` the window,
    "between 2025-03-01 and 2026-03-31"; ``review_pairs`` the rows of ``Comparison.review``):
    how the number of pledges moved, how many were new, first seen and no longer listed, then
    what happened to those found on both sides and how many are listed for review. A count
    of 0 is said as "none" where a phrase hangs on it: no "Of the 0 found on both sides, 0
    changed and 0 did not; 0 changed status (0 of them backwards)", no "0 new pledges" or "0
    pledges no longer listed" ("no new pledge", "none of the earlier pledges missing"; nothing
    is said missing from an empty previous table), no "0 changed and 2 did not" ("none
    changed"; "both changed"; "The 1 pledge found on both sides did not change")."""
    from IPython.display import Markdown

    from p2c_analysis import report, style

    s = summary_row
    n = {k: int(s[k]) for k in ("first_seen", "changed", "unchanged", "status_changed",
                                "status_changed_undated", "status_moved_backwards",
                                "needs_review")}
    matched = n["changed"] + n["unchanged"]
    new, gone = int(s["new"]), int(s["no_longer_listed"])
    moves = ["**{new}**" if new else "no new pledge"]
    if n["first_seen"]:
        moves.append("{first} (no announcement date that lies between the two dates: see below)")
    if gone:
        moves.append("**{gone}**")
    elif int(s["pledges_before"]):  # none could be missing from an empty previous table
        moves.append("none of the earlier pledges missing")
    went = "stayed at {n1}" if s["pledges_before"] == s["pledges_after"] else \
        "went from {n1} to {n2}"
    parts = [report.say(
        "{Span} the number of pledges " + went + ": " + report.list_text(moves) + ".",
        Span=capitalised(span), n1=style.fmt_int(s["pledges_before"]),
        n2=style.fmt_int(s["pledges_after"]), new=report.plural(new, "new pledge"),
        first=report.plural(n["first_seen"], "pledge first seen", "pledges first seen"),
        gone=report.plural(gone, "pledge no longer listed", "pledges no longer listed")).data]
    if matched == 0:
        both = "No pledge is found on both sides"
    else:
        moved = n["status_changed"]
        back = n["status_moved_backwards"]
        status = ("none changed status" if moved == 0 else
                  f"{style.fmt_int(moved)} changed status ("
                  + (f"{style.fmt_int(back)} of them backwards)" if back else
                     "none backwards)"))
        c, u = n["changed"], n["unchanged"]
        if matched == 1:  # not "changed; 1 changed status (1 of them backwards)"
            both = ("The 1 pledge found on both sides " +
                    ("did not change" if not c and not moved else
                     f"changed status{', backwards' if back else ''}" if moved else
                     "changed, but not its status"))
        else:
            both = (f"Of the {report.plural(matched, 'pledge')} found on both sides, "
                    + ("none changed" if c == 0 else
                       f"{report.both_or_all(matched)} changed" if u == 0 else
                       f"{style.fmt_int(c)} changed and {style.fmt_int(u)} did not"))
        if (c or moved) and matched > 1:  # nothing changed: no status either
            both += f"; {status}"
        undated = n["status_changed_undated"]
        if undated:
            both += (f"; {style.fmt_int(undated)} more {'has' if undated == 1 else 'have'} "
                     "another status from public evidence with no visible date, a move we "
                     "cannot date")
    review = n["needs_review"]
    both += ("; none is listed for review." if review == 0 else
             f"; and {report.plural(review, 'pledge is', 'pledges are')} listed for review "
             f"(in {report.plural(review_pairs, 'candidate pair')}: see below).")
    return Markdown(" ".join([*parts, both]))


def value_moves_text(summary_row: pd.Series) -> str:
    """The sentence on how the stated value of all pledges moved (a :func:`summary` row),
    plain trusted text: from what to what, then only the parts that move it by an amount
    shown (new pledges, pledges first seen, pledges no longer listed, changes of stated values,
    currency conversion), not "USD 0 from new pledges, USD 0 less from pledges no longer
    listed, a net USD 0 from ..."; a value the same at both dates "stayed at" (one that moved
    less than its rounding "rose by USD 5.27 M to USD 28.7 bn"); no value stated
    on either side says so, on one side "went from none stated to USD 3.00 M", not "from USD
    0"."""
    from p2c_analysis import report, style

    s, fmt = summary_row, style.fmt_usd
    u1, u2 = float(s["usd_before"]), float(s["usd_after"])
    if u1 == 0 and u2 == 0:  # a sum of no value (a stated value is never 0)
        return "No pledge on either side states a value."
    gone = abs(float(s["usd_no_longer_listed"]))
    parts = [(s["usd_new"], f"{fmt(s['usd_new'])} from new pledges"),
             (s["usd_first_seen"], f"{fmt(s['usd_first_seen'])} from pledges first seen"),
             (gone, f"{fmt(gone)} less from pledges no longer listed"),
             (s["usd_value_changes"],
              f"a net {fmt(s['usd_value_changes'])} from changes of stated values"),
             (s["usd_conversion_effects"],
              f"a net {fmt(s['usd_conversion_effects'])} from currency conversion alone "
              "(another exchange rate for the same amounts, not a change of any pledge)")]
    named = [text for usd, text in parts if not _no_net(usd)]
    # stated values that changed but add up to no net USD are said, not left out: "no stated
    # value changed" was said of two pledges, one up and one down by the same amount
    changed = int(s.get("value_changed", 0) or 0)
    cancel = ("" if not changed or not _no_net(s["usd_value_changes"]) else
              f"the changes of stated values ({report.plural(changed, 'pledge')}) cancel out"
              if changed > 1 else "the stated value that changed moves no USD")

    def said(usd: float) -> str:  # a sum of no value is "none stated", not "USD 0"
        return fmt(usd) if usd else "none stated"

    if fmt(u1) != fmt(u2):
        went = f"went from {said(u1)} to {said(u2)}"
    elif _no_net(u2 - u1):
        went = f"stayed at {fmt(u1)}"
    else:  # a move too small to show in the total: not "stayed at USD 28.7 bn: a net USD 5 M"
        went = f"{'rose' if u2 > u1 else 'fell'} by {fmt(abs(u2 - u1))} to {fmt(u2)}"
    if not named:
        return (f"The stated value of all pledges {went}: no pledge added or took away any of "
                "it, and " + (f"{cancel}." if cancel else "no stated value changed."))
    return (f"The stated value of all pledges {went}: {report.list_text(named)}"
            + (f"; {cancel}." if cancel else "."))


def _no_net(usd: object) -> bool:
    """Whether a net USD change shows as none (``style.fmt_usd`` of its size is "USD 0"): said
    as no net change, not "a net USD 0" (additions and withdrawals that cancel out)."""
    from p2c_analysis import style

    return style.fmt_usd(abs(float(usd))) == style.fmt_usd(0.0)  # type: ignore[arg-type]


def status_moves_text(moved: int, backwards: int, matched: int, span: str) -> str:
    """The sentence over the table of status moves: ``moved`` of the ``matched`` pledges listed
    on both sides changed status in ``span`` (dated moves), ``backwards`` of them down the
    ladder. Plain trusted text. Not "0 of the pledges listed on both sides changed status"."""
    from p2c_analysis import report, style

    if matched == 0:
        return f"No pledge is listed on both sides, so none changed status {span}."
    if moved == 0:
        return f"No pledge listed on both sides changed status {span}."
    back = ("none moved backwards" if backwards == 0 else
            f"{style.fmt_int(backwards)} moved backwards" if backwards < moved else
            f"{report.both_or_all(moved, of_them=True)} moved backwards" if moved > 1 else
            "it moved backwards")
    who = report.of_the(moved, matched, "pledge")  # not "1 pledge of the 1 listed"
    return f"{capitalised(who)} listed on both sides changed status {span}; {back}."


def group_moves_text(groups: pd.DataFrame) -> str:
    """The sentence under the group chart (:func:`group_changes`): each group's USD attention
    ratio at both dates with its pledges ("pledges 1 → 1", not "1 → 1 pledges"), then which
    data years the ratios rest on. Plain
    trusted text. A ratio the same at both dates "stayed at"; when no group has a USD ratio at
    either date (no pledge stating a value reaches them) it says so, not "LDC from n/a to n/a
    ... part of the move comes from the offline population"; one group without a ratio at one
    date reads "LDC from none to 0.12 (pledges 1 → 3; no pledged USD reached it before)", not
    "LDC from n/a to 0.12"; the years sentence speaks of a move only when a ratio moved."""
    from p2c_analysis import report, style

    before = groups["attention_ratio_usd_before"].map(style.fmt_ratio)
    after = groups["attention_ratio_usd_after"].map(style.fmt_ratio)
    counts = [f"pledges {style.fmt_int(b)} → {style.fmt_int(a)}"
              for b, a in zip(groups["pledges_before"], groups["pledges_after"], strict=True)]
    names = groups["group"].astype(str).tolist()
    na = style.NA_TEXT
    if (before.eq(na) & after.eq(na)).all():
        return ("No pledge stating a value reaches " + report.list_text(names, "or")
                + " at either date, so there is no USD attention ratio to compare ("
                + report.list_text(f"{g}: {c}" for g, c in zip(names, counts, strict=True))
                + ").")
    def move(g: str, b: str, a: str, c: str) -> str:  # no ratio reads "none", not "n/a"
        if b == a == na:
            return f"{g} has none at either date ({c}; no pledged USD reaches it)"
        if b == na:
            return f"{g} from none to {a} ({c}; no pledged USD reached it before)"
        if a == na:
            return f"{g} from {b} to none ({c}; no pledged USD reaches it now)"
        return f"{g} stayed at {b} ({c})" if b == a else f"{g} from {b} to {a} ({c})"

    moves = report.list_text(move(*row) for row in zip(names, before, after, counts, strict=True))
    years = sorted({int(y) for y in (*groups["year_before"], *groups["year_after"])})
    moved = bool((before.ne(after)).any())
    if len(years) == 1:
        tail = (f"Both dates use the {years[0]} connectivity data and group membership"
                + (", so the ratios moved with the pledges alone." if moved else "."))
    else:
        tail = (f"The dates use the connectivity data and group membership of {years[0]} and "
                f"{years[-1]}" + (": part of the move comes from the offline population."
                                  if moved else "."))
    return f"Attention ratio (USD): {moves}. {tail}"


def value_changes_text(vc: pd.DataFrame) -> str:
    """The sentence over the value-change tables (a :func:`value_changes` table), plain
    trusted text: how many matched pledges changed their stated value and the net USD, then
    the net USD moved by conversion alone and how many pledges kept the same amount. With
    nothing moved it says so, not "0 pledges changed their stated value (net USD 0);
    conversion alone moved the USD figures by a net USD 0 (0 pledges with the same amount)"."""
    from p2c_analysis import report, style

    own = vc[~vc["conversion_effect"] & (vc["value_change"] != "unchanged")]
    conv = vc[vc["conversion_effect"]]
    n_own, n_conv = int(own["pledges"].sum()), int(conv["pledges"].sum())
    usd_conv = float(conv["usd_change"].sum())
    net = float(own["usd_change"].sum())
    if n_own == 0:
        lead = "No pledge listed at both dates changed its stated value"
    else:
        lead = f"{report.plural(n_own, 'pledge changed its', 'pledges changed their')} stated value"
        if not _no_net(net):
            lead += f" (net {style.fmt_usd(net)})"
        elif (own["usd_change"] > 0).any() and (own["usd_change"] < 0).any():
            lead += ", with no net change in USD: the rises and falls cancel out"
        else:  # not "(net USD 0)"
            lead += ", with no net change in USD"
    if n_conv == 0 and _no_net(usd_conv):
        return f"{lead}; no USD figure moved by conversion alone."
    same = report.plural(n_conv, "pledge") if n_conv else "none"
    if _no_net(usd_conv):  # not "by a net USD 0"
        return (f"{lead}; conversion alone moved USD figures ({same} with the same amount) "
                "with no net change.")
    return (f"{lead}; conversion alone moved the USD figures by a net "
            f"{style.fmt_usd(usd_conv)} ({same} with the same amount).")


def new_pledges_text(new: pd.DataFrame, span: str) -> Markdown:
    """The sentence over the table of new pledges (rows of :func:`changes_by_pledge` with
    ``change == "new"``), ``span`` the window (``"between 2025-03-01 and 2026-03-31"``): how
    many appeared, how many state a value and their total, and the largest by stated value.
    One new pledge, or one stating a value, is named alone: not "1 of them ..., together
    USD 1.20 M. The largest by stated value is ...". Values all the same read "USD 1.00 M
    each", and a largest value stated by several names each of them, not one picked by file
    order. Pledge text is escaped (``report.say``)."""
    from IPython.display import Markdown

    from p2c_analysis import report, style

    if new.empty:
        return report.say("No pledge is new {span}.", span=span)
    valued = new.dropna(subset=["value_usd_after"])
    if valued.empty:
        return report.say("{n:~new pledge} appeared {span}; {k:#it states no value|none of "
                          "them states a value}.", n=len(new), k=len(new), span=span)
    top = valued.sort_values("value_usd_after", ascending=False, kind="stable").iloc[0]
    named = dict(title=top["title"] if isinstance(top["title"], str) else "untitled",
                 by=(f"by {top['pledger']}" if isinstance(top["pledger"], str)
                     else "pledger not stated"), top=style.fmt_usd(top["value_usd_after"]),
                 span=span)
    if len(new) == 1:
        return report.say("1 new pledge appeared {span}: \"{title}\" ({by}), stating {top}.",
                          **named)
    if len(valued) == 1:
        return report.say("{n:~new pledge} appeared {span}; 1 of them states a value, {top}: "
                          "\"{title}\" ({by}).", n=len(new), **named)
    nv = (report.both_or_all(len(new), of_them=True) if len(valued) == len(new) else
          f"{style.fmt_int(len(valued))} of them")
    shown = valued["value_usd_after"].map(style.fmt_usd)
    tied = valued[shown == named["top"]]
    if len(tied) == len(valued):  # not "The largest is "A"" of values all the same
        return report.say("{n:~new pledge} appeared {span}; {nv} state a value, {top} each, "
                          "together {usd}.", n=len(new), nv=nv,
                          usd=style.fmt_usd(valued["value_usd_after"].sum()), **named)
    if len(tied) > 1:  # the largest amount stated by several: each of them named
        lead = report.say(
            "{n:~new pledge} appeared {span}; {nv} state a value, together {usd}. The largest "
            "by stated value, {top} each: ", n=len(new), nv=nv,
            usd=style.fmt_usd(valued["value_usd_after"].sum()), **named).data
        return Markdown(lead + report.list_text(
            report.say("\"{t}\" ({by})", t=t if isinstance(t, str) else "untitled",
                       by=f"by {p}" if isinstance(p, str) else "pledger not stated").data
            for t, p in zip(tied["title"], tied["pledger"], strict=True)) + ".")
    return report.say(
        "{n:~new pledge} appeared {span}; {nv} state a value, together {usd}. The "
        "largest by stated value is \"{title}\" ({by}, {top}).", n=len(new), nv=nv,
        usd=style.fmt_usd(valued["value_usd_after"].sum()),
        **named)


def no_longer_listed_text(gone: pd.DataFrame) -> str:
    """The sentence over the table of pledges no longer listed (rows of
    :func:`changes_by_pledge` with ``change == "no longer listed"``), plain trusted text: how
    many, the USD they last stated and by how many, and that absent is not withdrawn. One pledge
    reads as one ("1 pledge is no longer listed (it last stated USD 1.00 M) ... this pledge
    is"), not "(USD 1.00 M as last stated by 1 of them) ... these pledges are"; all of several
    stating a value, "by both" / "by all of them"."""
    from p2c_analysis import report, style

    n = len(gone)
    if n == 0:
        return "No pledge of the previous table is missing from the current one."
    usd = gone["value_usd_before"]
    k = int(usd.notna().sum())
    total = style.fmt_usd(usd.sum()) if k else ""
    if n == 1:
        said = f"it last stated {total}" if k else "it stated no value"
    else:
        by = report.both_or_all(n, of_them=True) if k == n else f"{style.fmt_int(k)} of them"
        said = f"{total} as last stated by {by}" if k else "none of them stated a value"
    return (f"{report.plural(n, 'pledge is', 'pledges are')} no longer listed ({said}). Absent "
            f"is not withdrawn: {'this pledge is' if n == 1 else 'these pledges are'} missing "
            "from the current table, whatever the reason.")


def compliance_text(compliance: pd.DataFrame,
                    window_months: int = progress.REPORT_WINDOW_MONTHS) -> str:
    """The sentence under the compliance table (:func:`compliance_change`, made with the same
    ``window_months``): at each date, how many of its pledges had a dated report of progress in
    the previous ``window_months`` months, with the share, then how the current rate compares
    with the previous one. A table with no pledge says so, instead of "0 of 0 pledges (n/a)",
    and then no rates are compared; one pledge reads "the 1 pledge had no dated report", not
    "none of 1 pledge had a dated report". Two tables of the same date are named, not "On
    2026-12-01, ...; on 2026-12-01, ...": "In the previous table (both tables as of
    2026-12-01), ...; in the current table, ..."."""
    from p2c_analysis import report, style

    comp = compliance.set_index("side")
    parts: list[str] = []
    said = False  # the rate's definition is spelled out once, on the first table with pledges
    one_date = pd.Timestamp(comp.loc["before", "as_of"]) == pd.Timestamp(comp.loc["after", "as_of"])
    for side, label in (("before", "previous"), ("after", "current")):
        row = comp.loc[side]
        date = f"{pd.Timestamp(row['as_of']):%Y-%m-%d}"
        when = f"on {date}"
        if one_date:  # not "On 2026-12-01, ...; on 2026-12-01, ...": the tables by name
            when = f"in the {label} table" + (f" (both tables as of {date})"
                                              if side == "before" else "")
        if int(row["pledges"]) == 0:
            parts.append(f"{when}, the {label} table has no pledge to report on" if not one_date
                         else f"{when}, there is no pledge to report on")
            continue
        n, k = int(row["pledges"]), int(row["reported_recently"])
        if not said:  # "none of the 2 pledges had a", "the 1 pledge had no", "both pledges had a"
            who = ("the 1 pledge had no" if n == 1 and k == 0 else
                   f"none of the {report.plural(n, 'pledge')} had a" if k == 0 else
                   f"{report.of_the(k, n, 'pledge')} had a")
            who += f" dated report of progress in the previous {window_months} months"
        else:  # the rate's definition said: the counts alone
            who = (("the 1 pledge had none" if n == 1 else f"none of the {style.fmt_int(n)}")
                   if k == 0 else
                   ("the 1 pledge had one" if n == 1 else "both" if n == 2 else
                    f"all {style.fmt_int(n)}") if k == n else
                   f"{style.fmt_int(k)} of the {style.fmt_int(n)}")
        parts.append(f"{when}, {who} ({style.fmt_pct(row['compliance_pct'])})")
        said = True
    text = "; ".join(parts)
    if int(comp["pledges"].min()) > 0:
        text += (f": the current rate is {report.compare(comp.loc['after', 'change_pp'])} the "
                 "previous one")
    return text[0].upper() + text[1:] + "."


def compliance_change(before: pd.DataFrame, after: pd.DataFrame, as_of_before: object,
                      as_of_after: object,
                      window_months: int = progress.REPORT_WINDOW_MONTHS) -> pd.DataFrame:
    """Reporting compliance (``progress.reporting_compliance``) at each date, two rows
    (``side`` = ``"before"``, ``"after"``): ``side, as_of, pledges, reported_recently,
    never_reported, compliance_pct`` (percent), ``change_pp`` (after - before, percentage
    points, on the ``"after"`` row; NaN on the other)."""
    rows = []
    for side, df, when in (("before", before, as_of_before), ("after", after, as_of_after)):
        rc = progress.reporting_compliance(df, when, window_months).iloc[0]
        rows.append({"side": side, "as_of": pd.Timestamp(countries.as_of_date(when)),
                     "pledges": int(rc["pledges"]),
                     "reported_recently": int(rc["reported_recently"]),
                     "never_reported": int(rc["never_reported"]),
                     "compliance_pct": float(rc["compliance_pct"])})
    out = pd.DataFrame(rows)
    out["change_pp"] = [np.nan, out["compliance_pct"].iloc[1] - out["compliance_pct"].iloc[0]]
    out["side"] = out["side"].astype("string")
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    return out


def summary(changes: pd.DataFrame) -> pd.DataFrame:
    """One row of headline counts: ``pledges_before, pledges_after, new, first_seen,
    no_longer_listed, changed, unchanged, needs_review, status_changed`` (matched pledges whose
    status moved in any way, the move dated: not ``status_change_undated``),
    ``status_changed_undated`` (moves resting on undated public evidence: cannot say when),
    ``status_moved_backwards`` (dated moves down the ladder), ``value_changed`` (matched
    pledges whose stated value changed, not by conversion alone), ``usd_before, usd_after``
    (sums of stated values), ``usd_new`` (0 when no new pledge states a value: see
    ``new_valued``, the new pledges with a value in USD), ``usd_first_seen``,
    ``usd_no_longer_listed``,
    ``usd_value_changes``
    (net USD change of matched pledges whose stated value changed: up, down, newly / no
    longer stated, restated; without their conversion part), ``usd_conversion_effects`` (net
    USD change by conversion alone: the "conversion only" pledges, and the conversion part of
    a value that changed while its exchange rate moved too). ``usd_after - usd_before`` is the
    sum of the last five."""
    ch = changes["change"]
    vc = changes["value_change"]
    delta = _usd_delta(changes)
    conv = _conversion_part(changes)
    matched = ch.isin([CHANGED, UNCHANGED])
    undated = (changes["status_change_undated"].fillna(False).astype(bool)
               if "status_change_undated" in changes else pd.Series(False, index=changes.index))
    moved = matched & (changes["status_change"] != "unchanged")
    return no_negative_zero(pd.DataFrame([{
        "pledges_before": int(changes["pledge_id_before"].notna().sum()),
        "pledges_after": int(changes["pledge_id_after"].notna().sum()),
        "new": int((ch == NEW).sum()), "first_seen": int((ch == FIRST_SEEN).sum()),
        "no_longer_listed": int((ch == NO_LONGER_LISTED).sum()),
        "changed": int((ch == CHANGED).sum()), "unchanged": int((ch == UNCHANGED).sum()),
        "needs_review": int(changes["needs_review"].sum()),
        "status_changed": int((moved & ~undated).sum()),
        "status_changed_undated": int((moved & undated).sum()),
        "status_moved_backwards": int((changes["moved_backwards"] & ~undated).sum()),
        "value_changed": int((matched & ~vc.isin(["unchanged", "conversion only"])).sum()),
        "usd_before": float(changes["value_usd_before"].sum()),
        "usd_after": float(changes["value_usd_after"].sum()),
        "usd_new": float(changes.loc[ch == NEW, "value_usd_after"].sum()),
        "new_valued": int(changes.loc[ch == NEW, "value_usd_after"].notna().sum()),
        "usd_first_seen": float(changes.loc[ch == FIRST_SEEN, "value_usd_after"].sum()),
        "usd_no_longer_listed": -float(changes.loc[ch == NO_LONGER_LISTED,
                                                   "value_usd_before"].sum()),
        "usd_value_changes": float((delta - conv)[matched & ~vc.isin(
            ["unchanged", "conversion only"])].sum()),
        "usd_conversion_effects": float(conv[matched & vc.ne("unchanged")].sum()),
    }]))


def _usd_delta(changes: pd.DataFrame) -> pd.Series:
    """Each row's USD change, current minus previous value, a missing value counting as 0."""
    return changes["value_usd_after"].fillna(0.0) - changes["value_usd_before"].fillna(0.0)


def _conversion_part(changes: pd.DataFrame) -> pd.Series:
    """The conversion part of each row's USD change (0 where none is known; a table without
    the column, from before it existed: the whole change of "conversion only" rows)."""
    if "value_usd_conversion" in changes:
        return changes["value_usd_conversion"].fillna(0.0)
    return _usd_delta(changes).where(changes["value_change"].eq("conversion only"), 0.0)


#: Value changes that are conversion effects, not changes of the pledge.
CONVERSION_EFFECTS: tuple[str, ...] = ("conversion only",)
#: Readable names of the ``dimension`` values of :func:`listing_changes`.
LISTING_DIMENSIONS: dict[str, str] = {"focus_area": "Focus area",
                                      "stakeholder_type": "Stakeholder type",
                                      "target_group": "Target group"}


def value_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """Value changes of the matched pledges by kind, one row per :data:`VALUE_CHANGES` kind
    (all listed, 0 when none): ``value_change``, ``conversion_effect`` (True for
    :data:`CONVERSION_EFFECTS`: another USD figure for the same stated amount, not a change of
    the pledge), ``pledges``, ``usd_change`` (net USD change, current minus previous value, a
    missing value counting as 0: so a newly stated value adds all of it; without its conversion
    part, which counts in the "conversion only" row: all conversion effects are there). Pledges
    new or no longer listed are not counted here."""
    matched = changes["change"].isin([CHANGED, UNCHANGED]).to_numpy()
    m = changes.loc[matched]
    delta = _usd_delta(m)
    conv = _conversion_part(m)
    kinds = m["value_change"].astype("string")
    usd = [float((delta - conv)[(kinds == k).to_numpy()].sum()) for k in VALUE_CHANGES]
    usd[VALUE_CHANGES.index("conversion only")] = float(conv[kinds.ne("unchanged")].sum())
    return no_negative_zero(pd.DataFrame({
        "value_change": pd.array(list(VALUE_CHANGES), dtype="string"),
        "conversion_effect": [k in CONVERSION_EFFECTS for k in VALUE_CHANGES],
        "pledges": [int((kinds == k).sum()) for k in VALUE_CHANGES],
        "usd_change": usd,
    }))


#: The status fields a pledge carries from the previous side when its current status is
#: dated after the current side's date (:func:`carry_earlier_statuses`).
CARRIED_STATUS_FIELDS: tuple[str, ...] = ("status", "last_report_date", "status_source",
                                          "status_date_basis")


def carry_earlier_statuses(before: pd.DataFrame, after: pd.DataFrame, matching: Matching,
                           left_aside: Sequence[str], as_of_before: object,
                           as_of_after: object) -> tuple[pd.DataFrame, list[str]]:
    """``after`` where a pledge whose own status the current export dates after its side's
    date (``left_aside``: their ``pledge_id`` in ``after``, which
    ``evidence.split_reported_after`` set to ``unknown`` with no report) takes the status of
    its matched previous pledge, with that report date and source: the latest status known on
    the current date is the one the previous side shows (a status is a dated event that holds
    until a later one), not "unknown". Without this a pledge reported "in progress" before and
    "completed" after the current date read as "in progress -> unknown", a move to no report.

    Only when the previous side is not later than the current one (``as_of_before <=
    as_of_after``): each side holds the statuses known on its date. Returns the table (same
    rows, order, index and dtypes; ``after`` itself when nothing is carried) and the current
    ids of the pledges that carry a previous status, in table order."""
    lo, hi = countries.as_of_date(as_of_before), countries.as_of_date(as_of_after)
    pairs = matching.pairs
    pairs = pairs[(pairs["before"] >= 0) & (pairs["after"] >= 0)]
    if not len(left_aside) or lo > hi or pairs.empty:
        return after, []
    aside = pd.Series(after["pledge_id"].astype("string").to_numpy()).isin(
        [str(x) for x in left_aside]).to_numpy(dtype=bool)
    a_pos = pairs["after"].to_numpy()
    keep = aside[a_pos]
    if not keep.any():
        return after, []
    b_pos, a_pos = pairs["before"].to_numpy()[keep], a_pos[keep]
    order = np.argsort(a_pos, kind="stable")
    b_pos, a_pos = b_pos[order], a_pos[order]
    rows = np.zeros(len(after), dtype=bool)
    rows[a_pos] = True
    out = after.copy()
    for col in CARRIED_STATUS_FIELDS:
        if col in out.columns and col in before.columns:
            earlier = pd.Series(pd.NA, index=out.index, dtype=out[col].dtype)
            earlier.iloc[a_pos] = before[col].iloc[b_pos].to_numpy()
            out[col] = out[col].mask(rows, earlier)
    return out, after["pledge_id"].astype(str).iloc[a_pos].tolist()


@dataclass
class Comparison:
    """Everything a "what changed" report shows (see the functions of the same names).
    ``statuses_carried``: current ids of the pledges whose own current status is dated after
    the current date and which keep the status of the previous side
    (:func:`carry_earlier_statuses`)."""

    as_of_before: dt.date
    as_of_after: dt.date
    changes: pd.DataFrame
    review: pd.DataFrame
    status_transitions: pd.DataFrame
    group_changes: pd.DataFrame
    listing_changes: pd.DataFrame
    newly_overdue: pd.DataFrame
    compliance: pd.DataFrame
    summary: pd.DataFrame
    statuses_carried: tuple[str, ...] = ()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file stem, for ``report.write_tables``."""
        return {"changes_by_pledge": self.changes, "changes_for_review": self.review,
                "status_transitions": self.status_transitions,
                "group_changes": self.group_changes, "listing_changes": self.listing_changes,
                "newly_overdue": self.newly_overdue, "compliance_change": self.compliance,
                "changes_summary": self.summary, "value_changes": value_changes(self.changes)}


def compare(before: pd.DataFrame, after: pd.DataFrame, as_of_before: object,
            as_of_after: object, ids: str = "auto", threshold: float = FUZZY_THRESHOLD,
            groups: Sequence[str] = UN_GROUPS, method: str = "offline",
            statuses_left_aside: Sequence[str] = ()) -> Comparison:
    """All the tables of a comparison of ``before`` (dated ``as_of_before``) with ``after``
    (dated ``as_of_after``); dates as ``countries.as_of_date`` reads them.
    ``statuses_left_aside``: ids of the pledges of ``after`` whose own status is dated after
    ``as_of_after`` (a pledge file's ``statuses_after_as_of``); a matched one keeps the status
    of the previous side (:func:`carry_earlier_statuses`)."""
    b_when, a_when = countries.as_of_date(as_of_before), countries.as_of_date(as_of_after)
    m = match_pledges(before, after, ids, threshold)
    after, carried = carry_earlier_statuses(before, after, m, statuses_left_aside, b_when,
                                            a_when)
    ch = changes_by_pledge(before, after, m, as_of_before=b_when, as_of_after=a_when)
    z = no_negative_zero
    return Comparison(
        as_of_before=b_when, as_of_after=a_when, changes=z(ch), review=m.review,
        status_transitions=z(status_transitions(ch)),
        group_changes=z(group_changes(before, after, b_when, a_when, groups, method)),
        listing_changes=z(listing_changes(ch, before, after, b_when, a_when)),
        newly_overdue=z(newly_overdue(ch, before, after, b_when, a_when)),
        compliance=z(compliance_change(before, after, b_when, a_when)),
        summary=summary(ch), statuses_carried=tuple(carried),
    )


def no_negative_zero(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``-0.0`` of its float columns as ``0.0`` (a copy; NaN stays): a sum
    negated with nothing in it, or a change that rounds to nothing, wrote ``-0.0`` in a table
    (``usd_no_longer_listed = -0.0`` when no pledge was delisted)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = out[col] + 0.0  # -0.0 + 0.0 is 0.0; every other value is unchanged
    return out



def comparison_title(before: Any, after: Any) -> str:
    """The subtitle of a comparison (here and on the front page) of two pledge sources (each
    with ``label`` and ``as_of``, e.g. :class:`p2c_analysis.snapshots.PledgeSource`): "2025-03-01
    to 2026-03-31"; two sources of the same date (two pledge files, both judged as of the
    analysis date) by their names, not "2026-12-01 to 2026-12-01": "File a.csv against file
    b.csv, both as of 2026-12-01", or "File a.csv compared with itself, as of 2026-12-01". A
    previous side dated after the current one (two snapshots, say) says so: "2026-01-01 to
    2025-01-01, backwards in time", on the front-page card and in ``summary.json`` too, whose
    counts read the other way round (its new pledges are the ones that left)."""
    if before.as_of > after.as_of:
        return f"{before.as_of} to {after.as_of}, backwards in time"
    if before.as_of != after.as_of:
        return f"{before.as_of} to {after.as_of}"
    b, a = (str(x.label).removesuffix(f" as of {after.as_of}") for x in (before, after))
    text = (f"{b} compared with itself, as of {after.as_of}" if a == b else
            f"{b} against {a}, both as of {after.as_of}")
    return capitalised(text)


def ratio_move_card(before: object, after: object) -> str:
    """A front-page card of an attention ratio at two dates: "0.64 → 1.11"; a ratio that
    cannot be computed at a date (no pledged USD reaches the group) is "none", not "n/a"."""
    from p2c_analysis import style

    def one(x: object) -> str:
        return "none" if style.is_missing(x) else style.fmt_ratio(x)

    return f"{one(before)} → {one(after)}"
