"""Pledges allocated to countries, and coverage / attention metrics against the people offline.

The coalition tracks pledges "in light of the overall goal of achieving universal connectivity".
This module lines pledged effort up with where the unconnected people are.

Inputs (every function takes them as arguments; the defaults call the sibling modules):

- ``pledges``: the canonical pledge table (``docs/architecture.md``). Used columns:
  ``pledge_id`` (unique), ``target_countries``, ``target_regions``, ``is_global``,
  ``estimated_value_usd`` and, for :func:`mix`, ``focus_areas``, ``stakeholder_type``,
  ``pledge_type``.
- ``country_table``: one row per economy for the analysis year with ``iso3``, ``population``
  (persons), ``offline`` (persons not using the Internet) and optionally ``internet_pct``.
  Default: ``connectivity.for_year(year)``.
- ``memberships``: ``{group label: [iso3, ...]}`` used to resolve ``target_regions`` labels and
  group labels. Labels not in it are looked up with ``countries.members(label, as_of=year)``.
- ``year``: the analysis year (int). Group membership (LDC, LLDC, SIDS, ...) is taken as of
  1 July of that year, the convention of ``countries.members``. Default ``LATEST_YEAR``.

Allocation rules (:func:`allocate`)
-----------------------------------
A pledge's geography is one of three kinds:

- *targeted*: its countries are its ``target_countries`` if non-empty, else the members of its
  ``target_regions`` (union over labels, as of the analysis year). Targets win over
  ``is_global`` when a row has both;
- *global*: ``is_global`` True and no target country or region (a worldwide pledge);
- *not stated*: no target country or region and ``is_global`` False (a missing cell reads as
  False; the column itself is required): the pledge's geography is unknown. It is **never**
  spread over countries (an unknown geography is not a worldwide pledge), whatever
  ``include_global`` says.

A targeted pledge's USD value is spread over its countries by a weight:

- ``"equal"``: every country the same share;
- ``"population"``: the country's population of the analysis year;
- ``"offline"``: the country's offline people of the analysis year.

Missing weights: a country with a missing weight (not in ``country_table`` or NaN there) gets
weight 0, like a country with 0 offline people. When *all* of a pledge's countries have zero or
missing weight, the pledge falls back to an equal split over its countries (column
``fallback_equal=True``). So a pledge's allocated USD always sums back to its value.

Which economies a pledge reaches (:func:`reaching`, the one definition every table and sentence
uses): those it names; else every member of its regions and groups by their lists, also those
outside ``country_table`` (Niue and Anguilla through "SIDS", the Holy See through "Europe":
not WDI economies); with ``include_global=True``, a global pledge reaches every economy. A
region member outside ``country_table`` counts as reached (``pledges_targeting``) but gets
weight 0 under every method, ``"equal"`` included: with no figure to weigh its share, the
pledge's USD goes to the members with data (only when none of a pledge's countries weighs
anything does the equal-split fallback give it a share). Countries named directly but absent
from ``country_table`` keep their rows with a missing weight: they get USD only under
``"equal"`` or through the fallback, and count in a group only when the group's member list
names them.

Global pledges: with ``include_global=False`` (default) each is kept apart as one row with
``iso3 = "GLOBAL"`` (:data:`GLOBAL_ISO3`, unallocated, ``is_global_row=True``); with
``include_global=True`` its USD is spread over all countries of ``country_table`` by the same
method (same fallback rule), and it counts as reaching every economy (``pledges_targeting`` of
each country row, also one outside ``country_table``, and of each group).

Not-stated pledges: always kept apart as one row with ``iso3 = "UNSTATED"``
(:data:`UNSTATED_ISO3`, weight 1, the pledge's full USD, ``is_unstated_row=True``), under both
``include_global`` settings.

Pseudo-rows: the coverage tables (:func:`coverage_by_country`, :func:`coverage_by_group`,
:func:`mix`, :func:`sensitivity`) end with up to two unallocated rows that are not countries
or groups (the group tables may have a third before them, see below):
``GLOBAL_LABEL`` = "Global (unallocated)" (iso3 ``"GLOBAL"`` by country), only when
``include_global=False`` and global pledges exist, then ``UNSTATED_LABEL`` = "Targets not
stated (unallocated)" (iso3 ``"UNSTATED"`` by country) whenever not-stated pledges exist. They
hold those pledges' counts and full USD; their offline figures and all ratios are NaN.

Economies with no one offline (``offline`` = 0 in ``country_table``, e.g. Internet use 100%):
USD (and pledge units) allocated to them cannot close a gap that is not there, so they are
**kept out** of every attention figure: out of ``usd_share`` / ``unit_share`` and of their
denominators, hence out of the attention ratios, and out of ``usd_per_offline``. The
allocation itself is unchanged (:func:`allocate` still sums back to each pledge's value; a
pledge naming only such economies still falls back to an equal split over them). By country,
such an economy keeps its ``allocated_usd`` and pledge counts, with ``usd_share``,
``unit_share`` and every ratio NaN. By group (:func:`coverage_by_group`, :func:`sensitivity`),
a group's ``allocated_usd`` and ``pledge_units`` are those of its members with someone offline
(or no offline figure), and the money kept out forms its own pseudo-row
:data:`NO_ONE_OFFLINE_LABEL` (before the two above, whenever a pledge reaches such an economy:
``n_countries`` such economies, ``offline`` 0, the pledges reaching them, their USD and units,
shares and ratios NaN); :func:`no_one_offline` lists them by country for the report.
``pledges_targeting`` still counts every pledge reaching a country or group member.

Economies with no offline figure (outside ``country_table``, e.g. Niue, Anguilla, or ``offline``
NaN in it): whether they have a gap, and how large, is unknown, so the USD and units allocated
to them are likewise kept out of ``usd_share`` / ``unit_share`` and their denominators, of the
attention ratios and of ``usd_per_offline`` (numerator and denominator over the same economies:
those with someone offline). By country, such an economy keeps its ``allocated_usd`` and counts,
with shares and ratios NaN. By group, its USD stays in the group's ``allocated_usd`` (and units
in ``pledge_units``) and is shown apart in ``usd_no_offline_figure``; a group whose counted USD
is 0 has ``usd_per_offline`` 0, and when no USD at all goes to an economy with someone offline
every ``usd_share`` and USD attention ratio is NaN (n/a: nothing to compare), not 0.
:func:`no_offline_figure` lists them by country.

Pledges without a value (``estimated_value_usd`` NaN) keep their rows with ``usd = NaN``: they
count as pledges (``pledges_targeting``, ``pledge_units``) but add nothing to USD sums (a sum of
USD treats NaN as "no value", never as a zero pledge; ``pledges_with_value`` says how many
pledges the USD figures rest on).

Metrics (:func:`coverage_by_country`, :func:`coverage_by_group`)
----------------------------------------------------------------
- ``pledges_targeting``: distinct pledges with at least one allocated country in the unit;
  ``pledges_with_value``: those of them with a USD value.
- ``pledge_units``: each pledge is one unit spread over its countries by the allocation weights
  (the USD rule applied to a value of 1), so units add up over a partition of countries.
- ``allocated_usd``: USD allocated to the unit (0.0 when nothing is allocated); for a group,
  to its members except those with no one offline (their USD is the pseudo-row
  :data:`NO_ONE_OFFLINE_LABEL`); ``usd_no_offline_figure`` (groups): the part of it allocated
  to members with no offline figure.
- ``n_members`` (groups): members by the group's list, also outside ``country_table`` (SIDS
  53: Niue, Anguilla...; World: the table's economies plus those outside it that a pledge
  reaches); ``n_countries``: of them, those in ``country_table``.
- ``usd_per_offline``: USD allocated to economies with someone offline / ``offline`` (USD per
  offline person; for a group, ``(allocated_usd - usd_no_offline_figure) / offline``);
  ``pledges_per_10m_offline``: ``pledges_targeting / offline * 1e7`` for a country; for a
  group, ``pledges_reaching_offline / offline * 1e7``, where ``pledges_reaching_offline``
  counts the pledges reaching a member with someone offline: a pledge that reaches only members
  with no one offline (Mobily's, Saudi Arabia's) or with no offline figure (Niue) is counted in
  ``pledges_targeting`` but not per offline person, as its USD is not. NaN when offline is
  0/NaN.
- ``usd_share``: unit's USD allocated to economies with someone offline ÷ USD allocated to
  every such country (the economies with no one offline or no offline figure are out of both);
  the pseudo-rows (unallocated global pledges when ``include_global=False``, not-stated
  pledges always, money to economies with no one offline) are excluded from this denominator.
  ``unit_share``: same with ``pledge_units`` (denominator = the pledge units allocated to
  countries with someone offline, global ones included only when ``include_global=True``,
  not-stated ones never).
  ``offline_share``: unit's offline people ÷ offline people of all countries in
  ``country_table`` with data. So a group holding every country that receives an allocation
  and every country with offline data (e.g. ``"World"`` with a WDI country table) has ratios
  of 1.0 (up to float rounding).
- ``attention_ratio_usd = usd_share / offline_share`` and
  ``attention_ratio_count = unit_share / offline_share``: 1.0 = pledged attention proportional
  to the unit's share of the world's offline people; < 1 = under-served, > 1 = over-served.
  NaN where undefined: offline share 0 or unknown (so always for an economy with no one
  offline), or nothing allocated at all.

Groups overlap (a country is in Africa and LDC), so group shares need not add up to 1.
Group offline/population sums use the members present in ``country_table`` with data
(``n_countries`` members, ``n_with_offline`` of them with an offline figure).

Scale: vectorised numpy (integer codes, ``np.bincount``); no Python loop over pledges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

from p2c_analysis.fields import checked
from p2c_analysis.vocabulary import (
    ALLOCATION_METHODS,
    FOCUS_AREAS,
    GLOBAL_ISO3,
    GLOBAL_LABEL,
    ITU_REGIONS,
    LATEST_YEAR,
    NOT_STATED,
    PLEDGE_TYPES,
    PSEUDO_LABELS,
    STAKEHOLDER_TYPES,
    UNKNOWN,
    UNSTATED_ISO3,
    UNSTATED_LABEL,
)

Memberships = Mapping[str, Sequence[str]]

#: Pseudo-row of the group tables: USD and pledges allocated to economies with no one offline,
#: kept out of the shares and attention ratios (see the module docstring).
NO_ONE_OFFLINE_LABEL = "Economies with no one offline (kept out of ratios)"
Groups = Sequence[str] | Mapping[str, Sequence[str]]

_METHOD_COLUMN = {"population": "population", "offline": "offline"}
#: Pledge columns the allocation reads (checked by the schema at each public function).
_GEOGRAPHY = ("pledge_id", "target_countries", "target_regions", "is_global")
_VALUED = (*_GEOGRAPHY, "estimated_value_usd")


# --- inputs from sibling modules ------------------------------------------------------------

def _members(label: str, year: int, memberships: Memberships | None,
             context: str = "") -> list[str]:
    """Members of ``label``: from ``memberships`` when it has the label, else
    ``countries.members`` as of the analysis year (1 July)."""
    if memberships is not None and label in memberships:
        return sorted({str(x) for x in memberships[label]})
    from p2c_analysis import countries

    try:
        return countries.members(label, as_of=year)
    except countries.UnknownGroupError as exc:  # one line naming the label and the pledge
        raise ValueError(f"unknown group label {label!r}{context}: {exc}") from exc


def group_memberships(
    groups: Groups | None = None,
    year: int = LATEST_YEAR,
    memberships: Memberships | None = None,
) -> dict[str, list[str]]:
    """``{label: sorted ISO3 list}`` of the groups to report, as of the analysis year.

    ``groups``: labels (default ``STANDARD_GROUPS``), or a dict label -> ISO3 list taken as
    given; labels found in ``memberships`` take their members from there
    (``countries.memberships`` otherwise).
    """
    from p2c_analysis import countries

    if isinstance(groups, Mapping) or memberships is None:
        return countries.memberships(groups, as_of=year)
    return {str(label): _members(str(label), year, memberships) for label in groups}


# --- targets ----------------------------------------------------------------------------------

@dataclass
class _Targets:
    """Integer-coded (pledge, country) pairs; the internal form of :func:`explode_targets`."""

    pledge_ids: pd.Series  # position -> pledge_id (the pledges' column, not copied)
    universe: pd.Index  # country code -> iso3 (country_table first, then extra targets)
    n_table: int  # first n_table codes are the country_table rows (or all when no table)
    p: np.ndarray  # int32 pledge positions of the rows, sorted by pledge (rows contiguous)
    c: np.ndarray  # int32 country codes of the rows
    via: np.ndarray  # int8: 0 country, 1 region
    is_global: np.ndarray  # bool per pledge: no rows and is_global (worldwide)
    unstated: np.ndarray  # bool per pledge: no rows and not is_global (targets not stated)

    @property
    def n_pledges(self) -> int:
        return len(self.pledge_ids)


def _list_lengths(cells: list) -> tuple[list, np.ndarray]:
    """Cells as lists (missing -> []) and their lengths, fast path for canonical frames."""
    if not cells or set(map(type, cells)) == {list}:
        return cells, np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    from p2c_analysis.fields import as_list

    cells = [as_list(x) for x in cells]
    return cells, np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))


def _ids_at(pledges: pd.DataFrame, positions: np.ndarray) -> pd.Series:
    """The ``pledge_id`` of each pledge position, in the pledge table's own dtype."""
    return pledges["pledge_id"].take(positions).reset_index(drop=True)


def _dedupe(p: np.ndarray, c: np.ndarray, multi: np.ndarray, nu: int):
    """Drop repeated (pledge, country) rows; only rows of pledges flagged ``multi`` can repeat.

    Returns the rows sorted by pledge (stable: single rows keep their order)."""
    m = multi[p]
    if m.any():
        key = p[m].astype(np.int64) * max(nu, 1) + c[m]
        _, first = np.unique(key, return_index=True)
        keep_m = np.flatnonzero(m)[first]
        keep = np.sort(np.concatenate([np.flatnonzero(~m), keep_m]))
        p, c = p[keep], c[keep]
    return p, c


def _merge_runs(runs: list[tuple[np.ndarray, np.ndarray | int, np.ndarray | int]]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One run of (pledge, country code, via code) rows sorted by pledge, from runs that are
    each sorted by pledge and share no pledge (each keeps its order). No sort: a row's place
    is its place in its run plus the rows of the other runs with a smaller pledge (counted
    per pledge, in the narrowest integer type)."""
    total = sum(len(r[0]) for r in runs)
    p_all = np.empty(total, np.int32)
    c_all = np.empty(total, np.int32)
    v_all = np.empty(total, np.int8)
    it = np.int32 if total < 2**31 else np.int64
    n = max((int(r[0][-1]) + 1 for r in runs if len(r[0])), default=0)
    counts = [np.bincount(r[0], minlength=n).astype(it) for r in runs]
    all_before = np.cumsum(sum(counts), dtype=it) - sum(counts)  # rows of smaller pledges
    for (p, c, v), own in zip(runs, counts, strict=True):
        # rows of the other runs before this pledge: all rows before it minus this run's
        dest = (all_before - (np.cumsum(own, dtype=it) - own))[p]
        dest += np.arange(len(p), dtype=it)
        p_all[dest], c_all[dest], v_all[dest] = p, c, v
        del dest
    return p_all, c_all, v_all


def _targets(
    pledges: pd.DataFrame,
    year: int,
    memberships: Memberships | None,
    table_iso3: Sequence[str] | None = None,
) -> _Targets:
    n = len(pledges)
    ids = pledges["pledge_id"]
    tc, lens = _list_lengths(pledges["target_countries"].tolist())
    flat_c = np.array(list(chain.from_iterable(tc)), dtype=object)
    p_c = np.repeat(np.arange(n, dtype=np.int32), lens)

    # regions only for pledges without target countries
    has_c = lens > 0
    tr, rlens = _list_lengths(pledges["target_regions"].tolist())
    rlens = np.where(has_c, 0, rlens)
    sel = np.flatnonzero(rlens > 0)
    flat_r = list(chain.from_iterable(tr[i] for i in sel))  # loop over region pledges only
    p_r_lab = np.repeat(sel.astype(np.int32), rlens[sel])
    lab_codes, labels = pd.factorize(np.array(flat_r, dtype=object))
    label_members: list[list[str]] = []
    for j, label in enumerate(labels):  # loop over distinct labels (a handful)
        first = p_r_lab[np.flatnonzero(lab_codes == j)[0]]
        ctx = f" in target_regions of pledge {ids.iloc[first]!r}"
        mem = _members(str(label), year, memberships, ctx)
        if not mem:
            raise ValueError(f"target region {label!r}{ctx} has no members as of {year}")
        label_members.append(mem)  # every member is reached (allocation: _region_outside)

    # country universe: table first, then any extra iso3 targeted
    c_codes, c_uniques = pd.factorize(flat_c)
    base = [] if table_iso3 is None else [str(x) for x in table_iso3]
    seen = pd.Index(base)
    extra = pd.Index(pd.unique(np.array(
        [*map(str, c_uniques), *chain.from_iterable(label_members)], dtype=object)))
    extra = extra[~extra.isin(seen)] if len(extra) else extra
    universe = pd.Index(list(seen) + sorted(map(str, extra)), dtype=object)
    n_table = len(base) if table_iso3 is not None else len(universe)
    nu = len(universe)

    c_c = universe.get_indexer(pd.Index(c_uniques, dtype=object)).astype(np.int32)[c_codes] \
        if len(c_codes) else np.empty(0, np.int32)
    # region rows: each region pledge expands into the members of its labels, taken once per
    # distinct combination of labels (their union, in order of first appearance: no repeats,
    # so no de-duplication pass); a pledge with one label uses that label's list
    label_at = {label: j for j, label in enumerate(labels)}
    several = np.flatnonzero(rlens[sel] > 1)
    combo_codes = lab_codes[np.cumsum(rlens[sel]) - rlens[sel]]  # each pledge's first label
    keys = np.empty(len(several), dtype=object)
    keys[:] = [tuple(tr[i]) for i in sel[several]]
    multi_codes, combos = pd.factorize(keys)
    combo_codes[several] = len(labels) + multi_codes
    unions = [list(dict.fromkeys(chain.from_iterable(label_members[label_at[label]]
                                                     for label in combo))) for combo in combos]
    mem_codes = [universe.get_indexer(m).astype(np.int32) for m in [*label_members, *unions]]
    mlen = np.array([len(m) for m in mem_codes], dtype=np.int64)
    flat_m = np.concatenate(mem_codes) if mem_codes else np.empty(0, np.int32)
    offs = np.concatenate([[0], np.cumsum(mlen)[:-1]]) if len(mlen) else np.empty(0, np.int64)
    row_len = mlen[combo_codes] if len(combo_codes) else np.empty(0, np.int64)
    p_r = np.repeat(sel.astype(np.int32), row_len)
    # index into flat_m of each expanded row = its combination's offset + its place in it,
    # built in place in the narrowest integer type (these arrays have one entry per row)
    it = np.int32 if len(flat_m) < 2**31 and len(p_r) < 2**31 else np.int64
    at = np.arange(len(p_r), dtype=it)
    at -= np.repeat((np.cumsum(row_len) - row_len).astype(it), row_len)
    at += np.repeat((offs[combo_codes] if len(combo_codes) else np.empty(0)).astype(it),
                    row_len)
    c_r = flat_m[at] if len(p_r) else np.empty(0, np.int32)
    del at

    del tc, tr, flat_c, c_codes, keys, combo_codes, row_len  # large temporaries, done with
    # country rows repeat only where a pledge names several countries
    p_c, c_c = _dedupe(p_c, c_c, lens > 1, nu)
    # a pledge has country rows or region rows, never both: merge the two sorted runs
    p_all, c_all, via = _merge_runs([(p_c, c_c, 0), (p_r, c_r, 1)])
    has_rows = np.zeros(n, dtype=bool)
    has_rows[p_all] = True
    flag = pledges["is_global"].to_numpy(dtype=bool)
    return _Targets(ids, universe, n_table, p_all, c_all, via, ~has_rows & flag,
                    ~has_rows & ~flag)


@dataclass
class TargetRows:
    """Long (pledge, country) rows by pledge position, without the pledge ids: what
    :func:`explode_targets` returns before it looks up each row's ``pledge_id`` (which, on a
    large table, is most of its memory). ``pos``: int32 pledge positions (row order of the
    pledge table), sorted; ``iso3`` and ``via``: categoricals as in :func:`explode_targets`."""

    pos: np.ndarray
    iso3: pd.Categorical
    via: pd.Categorical


@checked(*_GEOGRAPHY)
def target_rows(pledges: pd.DataFrame, year: int = LATEST_YEAR,
                memberships: Memberships | None = None) -> TargetRows:
    """The rows of :func:`explode_targets` by pledge position (same rules, same order)."""
    return _target_rows(pledges, year, memberships)


def _target_rows(pledges: pd.DataFrame, year: int, memberships: Memberships | None
                 ) -> TargetRows:
    t = _targets(pledges, year, memberships)
    nu = len(t.universe)
    p, c, via = _merge_runs([(t.p, t.c, t.via),
                             (np.flatnonzero(t.is_global).astype(np.int32), nu, 2),
                             (np.flatnonzero(t.unstated).astype(np.int32), nu + 1, 3)])
    return TargetRows(
        p,
        pd.Categorical.from_codes(c, categories=[*t.universe, GLOBAL_ISO3, UNSTATED_ISO3]),
        pd.Categorical.from_codes(via, categories=["country", "region", "global", "not stated"]),
    )


@checked(*_GEOGRAPHY)
def explode_targets(pledges: pd.DataFrame, year: int = LATEST_YEAR,
                    memberships: Memberships | None = None) -> pd.DataFrame:
    """Long (pledge, country) table: which countries each pledge targets.

    Returns columns ``pledge_id, iso3, via`` (``via`` = ``"country"``, ``"region"``,
    ``"global"`` or ``"not stated"``), one row per distinct (pledge, country), sorted by pledge.
    A pledge with ``target_countries`` uses them; else the union of its ``target_regions``
    members as of the analysis year ``year``; else, when ``is_global``, one row
    ``iso3 = "GLOBAL"`` (``via="global"``); else (targets not stated) one row
    ``iso3 = "UNSTATED"`` (``via="not stated"``). ``pledge_id`` has the dtype of the pledge
    table's; ``iso3`` and ``via`` are categoricals (memory at platform scale; they compare and
    merge like strings). Raises ``ValueError`` for a region label with no known or no current
    members. :func:`target_rows` gives the same rows by pledge position.
    """
    rows = _target_rows(pledges, year, memberships)
    return pd.DataFrame({
        "pledge_id": _ids_at(pledges, rows.pos),
        "iso3": rows.iso3,
        "via": rows.via,
    })


#: How a pledge reaches an economy (column ``via`` of :func:`reaching`).
REACH_VIA: tuple[str, ...] = ("country", "region", "global")


@checked(*_GEOGRAPHY)
def reaching(pledges: pd.DataFrame, iso3: str, year: int = LATEST_YEAR,
             include_global: bool = False,
             memberships: Memberships | None = None) -> pd.DataFrame:
    """The pledges that reach the economy ``iso3``: the one definition the country tables
    (``pledges_targeting`` of :func:`coverage_by_country`), the profiles and the prose share.

    A pledge reaches an economy when it names it (``via = "country"``), or, naming no country,
    when one of its ``target_regions`` has it as a member as of 1 July of ``year``
    (``"region"``; every member by the UN / ITU lists, also one outside the country table:
    "SIDS" reaches Niue, whose offline population is unknown, so that the pledge's USD is not
    allocated to it, see :func:`_region_outside`), or, with ``include_global``, when it is
    global (``"global"``: spread over every economy, so it reaches each). A pledge whose
    targets are not stated reaches none. Columns ``pledge_id`` (the table's dtype), ``via``
    (str); one row per pledge, in the pledge table's order."""
    return reaching_in(explode_targets(pledges, year=year, memberships=memberships), iso3,
                       include_global)


def reaching_in(long: pd.DataFrame, iso3: str, include_global: bool = False) -> pd.DataFrame:
    """:func:`reaching` on targets already exploded (:func:`explode_targets`), for a caller
    that needs them for more than this."""
    hit = long["iso3"].eq(iso3).to_numpy(dtype=bool)
    if include_global:
        hit = hit | long["via"].eq("global").to_numpy(dtype=bool)
    out = long.loc[hit, ["pledge_id", "via"]].reset_index(drop=True)
    out["via"] = out["via"].astype(str)
    return out


# --- allocation core --------------------------------------------------------------------------

@dataclass
class _Allocation:
    t: _Targets
    share: np.ndarray  # per targeted row: share of the pledge (sums to 1 per pledge)
    fallback: np.ndarray  # bool per pledge: equal split used because all weights were 0/NaN
    value: np.ndarray  # float per pledge (NaN = no value)
    global_share: np.ndarray  # per universe country: share of a global pledge (0 outside table)
    global_fallback: bool
    include_global: bool
    weights: np.ndarray  # per universe country raw weight (NaN = missing)


def _prepare_table(ct: pd.DataFrame, method: str) -> pd.DataFrame:
    if "iso3" not in ct.columns:
        raise ValueError("country_table: missing column 'iso3'")
    col = _METHOD_COLUMN.get(method)
    if col is not None and col not in ct.columns:
        raise ValueError(f"country_table: missing column {col!r} needed by method={method!r}")
    if not ct["iso3"].is_unique:
        dup = ct.loc[ct["iso3"].duplicated(), "iso3"].iloc[0]
        raise ValueError(f"country_table: iso3 not unique (e.g. {dup!r}); pass one year")
    return ct


def _region_outside(t: _Targets) -> np.ndarray:
    """Bool per target row: reached through a region or group (``via`` region) and outside the
    country table (Niue through "SIDS", the Holy See through "Europe"). Such a row counts the
    pledge as reaching the economy, but its weight is 0 under every method (its USD share is
    not allocated: it goes to the members with data), unless all of the pledge's rows weigh 0
    (then the equal-split fallback)."""
    return (t.via == 1) & (t.c >= t.n_table)


def _in_canonical_order(pledges: pd.DataFrame) -> pd.DataFrame:
    """The pledges in the loader's canonical order
    (:func:`p2c_analysis.pledges.in_canonical_order`) when they carry its columns, else as
    given: the totals of a table by country or group are sums of floating-point numbers,
    whose last digits depend on the order of their terms, so the same pledges in another
    order gave other digits."""
    from p2c_analysis.pledges import CANONICAL_ORDER, in_canonical_order

    if not set(CANONICAL_ORDER) <= set(pledges.columns):
        return pledges
    return in_canonical_order(pledges)


def _allocate_core(
    pledges: pd.DataFrame,
    ct: pd.DataFrame,
    method: str,
    include_global: bool,
    t: _Targets,
) -> _Allocation:
    _prepare_table(ct, method)
    nu = len(t.universe)
    w = np.full(nu, np.nan)
    if method == "equal":
        w[:] = 1.0
    else:
        vals = pd.to_numeric(ct[_METHOD_COLUMN[method]], errors="coerce").to_numpy(float)
        w[: t.n_table] = vals
    if np.any(w < 0):
        bad = t.universe[np.flatnonzero(w < 0)[0]]
        raise ValueError(f"country_table: negative {method} weight for {bad}")
    w0 = np.nan_to_num(w, nan=0.0)
    npl = t.n_pledges
    rw = np.where(_region_outside(t), 0.0, w0[t.c])
    tot = np.bincount(t.p, weights=rw, minlength=npl)
    cnt = np.bincount(t.p, minlength=npl).astype(float)
    fallback = (tot <= 0) & (cnt > 0)
    rw = np.where(fallback[t.p], 1.0, rw)
    tot = np.where(fallback, cnt, tot)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = rw / tot[t.p]
    value = pd.to_numeric(pledges["estimated_value_usd"], errors="coerce").to_numpy(float)

    gw = np.zeros(nu)
    gw[: t.n_table] = w0[: t.n_table]
    gfall = bool(gw.sum() <= 0)
    if gfall:
        gw[: t.n_table] = 1.0
    gshare = gw / gw.sum() if gw.sum() > 0 else gw
    return _Allocation(t, share, fallback, value, gshare, gfall, include_global, w)


def _resolve_inputs(pledges: pd.DataFrame, country_table: pd.DataFrame | None, year: int,
                    memberships: Memberships | None) -> tuple[pd.DataFrame, _Targets]:
    """The country table (``connectivity.for_year(year)`` by default) and the pledges'
    targets (the table's economies first in the universe, then the others reached)."""
    from p2c_analysis import connectivity

    ct = connectivity.for_year(year) if country_table is None else country_table
    _prepare_table(ct, "equal")
    return ct, _targets(pledges, year, memberships, ct["iso3"].astype(str).tolist())


@checked(*_VALUED)
def allocate(pledges: pd.DataFrame, country_table: pd.DataFrame | None = None,
             method: str = "offline", include_global: bool = False,
             memberships: Memberships | None = None, year: int = LATEST_YEAR) -> pd.DataFrame:
    """Spread each pledge's USD value over its countries.

    Returns long rows ``pledge_id, iso3, weight, usd, is_global_row, is_unstated_row,
    fallback_equal``, sorted by pledge (``pledge_id`` in the pledge table's dtype; ``iso3`` a
    categorical, for memory at platform scale, which compares and merges like strings):
    ``weight`` is the country's share of the pledge (sums to 1 per pledge), ``usd = value *
    weight`` (NaN when the pledge has no value). ``method`` in :data:`ALLOCATION_METHODS`.
    Global pledges (``is_global``, no targets): one ``iso3="GLOBAL"`` row (weight 1,
    ``is_global_row=True``) when ``include_global=False``; else one row per ``country_table``
    country (this can be large: n_global x n_countries rows; the coverage functions never build
    it), also flagged ``is_global_row``. Pledges whose targets are not stated (no targets, not
    ``is_global``): always one ``iso3="UNSTATED"`` row (weight 1, full USD,
    ``is_unstated_row=True``), whatever ``include_global``. See the module docstring for the
    missing-weight rule.
    """
    ct, t = _resolve_inputs(pledges, country_table, year, memberships)
    a = _allocate_core(pledges, ct, method, include_global, t)
    g = np.flatnonzero(t.is_global).astype(np.int32)
    p_parts = [t.p]
    c_parts = [t.c]
    w_parts = [a.share]
    glob_parts = [np.zeros(len(t.p), dtype=bool)]
    unst_parts = [np.zeros(len(t.p), dtype=bool)]
    fb_parts = [a.fallback[t.p]]
    cats = list(t.universe)
    if len(g):
        if include_global:
            nt = t.n_table
            p_parts.append(np.repeat(g, nt))
            c_parts.append(np.tile(np.arange(nt, dtype=np.int32), len(g)))
            w_parts.append(np.tile(a.global_share[:nt], len(g)))
            fb_parts.append(np.full(len(g) * nt, a.global_fallback))
        else:
            cats = cats + [GLOBAL_ISO3]
            p_parts.append(g)
            c_parts.append(np.full(len(g), len(t.universe), dtype=np.int32))
            w_parts.append(np.ones(len(g)))
            fb_parts.append(np.zeros(len(g), dtype=bool))
        glob_parts.append(np.ones(len(p_parts[-1]), dtype=bool))
        unst_parts.append(np.zeros(len(p_parts[-1]), dtype=bool))
    u = np.flatnonzero(t.unstated).astype(np.int32)
    if len(u):
        p_parts.append(u)
        c_parts.append(np.full(len(u), len(cats), dtype=np.int32))
        cats = cats + [UNSTATED_ISO3]
        w_parts.append(np.ones(len(u)))
        fb_parts.append(np.zeros(len(u), dtype=bool))
        glob_parts.append(np.zeros(len(u), dtype=bool))
        unst_parts.append(np.ones(len(u), dtype=bool))
    p = np.concatenate(p_parts)
    c = np.concatenate(c_parts)
    w = np.concatenate(w_parts)
    order = np.argsort(p, kind="stable")
    p, c, w = p[order], c[order], w[order]
    return pd.DataFrame({
        "pledge_id": _ids_at(pledges, p),
        "iso3": pd.Categorical.from_codes(c, categories=cats),
        "weight": w,
        "usd": a.value[p] * w,
        "is_global_row": np.concatenate(glob_parts)[order],
        "is_unstated_row": np.concatenate(unst_parts)[order],
        "fallback_equal": np.concatenate(fb_parts)[order],
    })


# --- coverage ---------------------------------------------------------------------------------

def _country_sums(a: _Allocation) -> dict[str, np.ndarray]:
    """Per universe country: distinct pledges, pledges with value, units, USD."""
    t = a.t
    nu = len(t.universe)
    has_val = ~np.isnan(a.value)
    v0 = np.nan_to_num(a.value, nan=0.0)
    out = {
        "pledges_targeting": np.bincount(t.c, minlength=nu).astype(float),
        "pledges_with_value": np.bincount(t.c, weights=has_val[t.p].astype(float),
                                          minlength=nu),
        "pledge_units": np.bincount(t.c, weights=a.share, minlength=nu),
        "allocated_usd": np.bincount(t.c, weights=v0[t.p] * a.share, minlength=nu),
    }
    out = {k: v.astype(float) for k, v in out.items()}  # bincount of nothing is int64
    if a.include_global:
        g = t.is_global
        ng, ngv = float(g.sum()), float((g & has_val).sum())
        out["pledges_targeting"] += ng  # a global pledge reaches every economy (reaching())
        out["pledges_with_value"] += ngv
        out["pledge_units"] += ng * a.global_share
        out["allocated_usd"] += v0[g].sum() * a.global_share
    return out


def _pseudo_rows(a: _Allocation) -> list[tuple[str, str, np.ndarray]]:
    """The unallocated pseudo-rows, in order: ``(iso3, group label, pledge mask)``.

    Global pledges when ``include_global=False`` and any exist; not-stated pledges whenever any
    exist."""
    t = a.t
    out = []
    if not a.include_global and t.is_global.any():
        out.append((GLOBAL_ISO3, GLOBAL_LABEL, t.is_global))
    if t.unstated.any():
        out.append((UNSTATED_ISO3, UNSTATED_LABEL, t.unstated))
    return out


def _pseudo_row(a: _Allocation, g: np.ndarray) -> dict[str, float]:
    """Counts and full USD of the pledges in mask ``g`` (one unallocated pseudo-row)."""
    return {
        "pledges_targeting": float(g.sum()),
        "pledges_with_value": float((g & ~np.isnan(a.value)).sum()),
        "pledge_units": float(g.sum()),
        "allocated_usd": float(np.nansum(a.value[g])),
    }


def _ratios(df: pd.DataFrame, world_offline: float, total_usd: float,
            total_units: float, usd: str = "allocated_usd",
            units: str = "pledge_units") -> pd.DataFrame:
    """Adds the per-offline-person figures, shares and attention ratios to ``df`` (see the
    module docstring). ``usd`` / ``units``: the columns holding the USD and pledge units that
    count (those allocated to economies with someone offline); ``total_usd`` / ``total_units``:
    their totals over every such economy, the share denominators."""
    off = df["offline"].astype(float)
    off_pos = off.where(off > 0)
    counted = df["pledges_reaching_offline"] if "pledges_reaching_offline" in df else \
        df["pledges_targeting"]  # a group's pledges reaching only no one offline: not counted
    with np.errstate(invalid="ignore", divide="ignore"):
        df["usd_per_offline"] = df[usd] / off_pos
        df["pledges_per_10m_offline"] = counted / off_pos * 1e7
        df["offline_share"] = off / world_offline if world_offline > 0 else np.nan
        df["usd_share"] = df[usd] / total_usd if total_usd > 0 else np.nan
        df["unit_share"] = df[units] / total_units if total_units > 0 else np.nan
    osh = df["offline_share"].where(df["offline_share"] > 0)
    df["attention_ratio_usd"] = df["usd_share"] / osh
    df["attention_ratio_count"] = df["unit_share"] / osh
    return df


_COUNT_COLS = ("pledges_targeting", "pledges_with_value")


def _offline_of(ct: pd.DataFrame, t: _Targets) -> np.ndarray:
    """Offline people (persons) per universe country; NaN = no offline figure (outside
    ``country_table``, or missing there)."""
    off = np.full(len(t.universe), np.nan)
    if "offline" in ct.columns:
        off[: t.n_table] = pd.to_numeric(ct["offline"], errors="coerce").to_numpy(float)
    return off


def _no_one_offline_mask(ct: pd.DataFrame, t: _Targets) -> np.ndarray:
    """Bool per universe country: in ``country_table`` with an offline figure of exactly 0."""
    return _offline_of(ct, t) == 0


def _no_offline_figure_mask(ct: pd.DataFrame, t: _Targets) -> np.ndarray:
    """Bool per universe country: no offline figure (NaN from :func:`_offline_of`). USD and
    units allocated to such an economy are kept in its groups' ``allocated_usd`` and
    ``pledge_units`` but out of every per-offline-person figure, share and attention ratio:
    whether it has a gap, and how large, is unknown."""
    return np.isnan(_offline_of(ct, t))


def _coverage_country_from(a: _Allocation, ct: pd.DataFrame) -> pd.DataFrame:
    t = a.t
    sums = _country_sums(a)
    nu = len(t.universe)
    df = pd.DataFrame({"iso3": pd.array(np.asarray(t.universe, dtype=object), dtype="str")})
    for col in ("population", "offline", "internet_pct"):
        vals = np.full(nu, np.nan)
        if col in ct.columns:
            vals[: t.n_table] = pd.to_numeric(ct[col], errors="coerce").to_numpy(float)
        df[col] = vals
    df["in_country_table"] = np.arange(nu) < t.n_table
    for k, v in sums.items():
        df[k] = v
    world_off = float(np.nansum(df["offline"].to_numpy()[: t.n_table]))
    # kept out of shares and ratios: no one offline, or no offline figure
    out = _no_one_offline_mask(ct, t) | _no_offline_figure_mask(ct, t)
    total_usd = float(df["allocated_usd"][~out].sum())
    total_units = float(df["pledge_units"][~out].sum())
    df = _ratios(df, world_off, total_usd, total_units)
    df.loc[out, ["usd_share", "unit_share"]] = np.nan
    rows = [{"iso3": iso, "in_country_table": False, **_pseudo_row(a, mask)}
            for iso, _, mask in _pseudo_rows(a)]
    if rows:
        df = pd.concat([df, pd.DataFrame(rows)], ignore_index=True)
    for col in _COUNT_COLS:
        df[col] = df[col].round().astype("int64")
    return df


@checked(*_VALUED)
def coverage_by_country(pledges: pd.DataFrame, country_table: pd.DataFrame | None = None,
                        method: str = "offline", include_global: bool = False,
                        memberships: Memberships | None = None,
                        year: int = LATEST_YEAR) -> pd.DataFrame:
    """One row per country: offline people, population and the pledged attention they get.

    Columns ``iso3, population, offline, internet_pct, in_country_table, pledges_targeting,
    pledges_with_value, pledge_units, allocated_usd, usd_per_offline, pledges_per_10m_offline,
    offline_share, usd_share, unit_share, attention_ratio_usd, attention_ratio_count`` (definitions
    in the module docstring). Rows: every ``country_table`` country, plus targeted ISO3 absent
    from it (``in_country_table=False``, no offline data), plus the unallocated pseudo-rows
    (``in_country_table=False``, offline and ratios NaN): ``iso3="GLOBAL"`` for the global
    pledges when ``include_global=False``, ``iso3="UNSTATED"`` for the pledges whose targets
    are not stated (always, when any). Shares and ratios are over the country rows only.
    """
    pledges = _in_canonical_order(pledges)  # sums independent of row order
    ct, t = _resolve_inputs(pledges, country_table, year, memberships)
    a = _allocate_core(pledges, ct, method, include_global, t)
    return _coverage_country_from(a, ct)


def _membership_matrix(groups: dict[str, list[str]], universe: pd.Index) -> np.ndarray:
    m = np.zeros((len(groups), len(universe)), dtype=bool)
    for i, mem in enumerate(groups.values()):
        idx = universe.get_indexer(list(mem))
        m[i, idx[idx >= 0]] = True
    return m


def _group_hits(a: _Allocation, mrow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pledge: whether it touches the group, and the USD it allocates to the group."""
    t = a.t
    npl = t.n_pledges
    hit = mrow[t.c]
    ph = t.p[hit]
    touched = np.bincount(ph, minlength=npl) > 0
    usd = np.bincount(ph, weights=np.nan_to_num(a.value[ph]) * a.share[hit], minlength=npl)
    if a.include_global:
        g = t.is_global
        touched = touched | (g & mrow.any())
        gsh = float(a.global_share[mrow].sum())
        usd = np.where(g, np.nan_to_num(a.value) * gsh, usd)
    return touched, usd


def _touched_matrix(a: _Allocation, m: np.ndarray) -> np.ndarray:
    """Bool (groups x pledges): the pledge allocates to at least one member of the group.

    One pass over the rows: each country carries a bit mask of its groups (64 per word), OR-ed
    over each pledge's contiguous rows with ``np.bitwise_or.reduceat``."""
    t = a.t
    ng, npl = m.shape[0], t.n_pledges
    out = np.zeros((ng, npl), dtype=bool)
    if len(t.p):
        starts = np.flatnonzero(np.r_[True, t.p[1:] != t.p[:-1]])
        owners = t.p[starts]
    for lo in range(0, ng, 64):
        sub = m[lo: lo + 64]
        shifts = np.arange(len(sub), dtype=np.uint64)[:, None]
        bits = np.bitwise_or.reduce(sub.astype(np.uint64) << shifts, axis=0)
        if len(t.p):
            pb = np.zeros(npl, dtype=np.uint64)
            pb[owners] = np.bitwise_or.reduceat(bits[t.c], starts)
            for k in range(len(sub)):
                out[lo + k] = ((pb >> np.uint64(k)) & np.uint64(1)).astype(bool)
    if a.include_global:
        out[np.ix_(m.any(axis=1), t.is_global)] = True  # global: reaches every economy
    return out


#: The group of every economy: its row counts every pledge and USD allocated to a country, so
#: its shares are 100% even when some targets (Anguilla, Niue) have no row in the country table.
WORLD = "World"


def _coverage_group_from(a: _Allocation, ct: pd.DataFrame,
                         groups: dict[str, list[str]]) -> pd.DataFrame:
    t = a.t
    sums = _country_sums(a)
    nu = len(t.universe)
    m = _membership_matrix(groups, t.universe)
    if WORLD in groups:  # targets outside the country table (Anguilla, Niue) are in the world
        m[list(groups).index(WORLD), t.n_table:] = True
    off = _offline_of(ct, t)
    pop = np.full(nu, np.nan)
    if "population" in ct.columns:
        pop[: t.n_table] = pd.to_numeric(ct["population"], errors="coerce").to_numpy(float)
    has_val = ~np.isnan(a.value)
    zero = _no_one_offline_mask(ct, t)
    kept = ~zero  # members whose USD and units are in the group's columns
    unknown = _no_offline_figure_mask(ct, t)  # in those columns, but out of the ratios
    counted = kept & ~unknown  # someone offline: the USD and units the ratios use
    ng = len(groups)
    touch = _touched_matrix(a, np.vstack([m, zero[None, :], m & counted[None, :]]))
    rows = []
    for i, label in enumerate(groups):  # loop over groups (a handful), not pledges
        mrow = m[i]
        touched = touch[i]
        mpop = pop[mrow]
        moff = off[mrow]
        rows.append({
            "group": label,
            "n_members": int(mrow.sum()) if label == WORLD else len(groups[label]),
            "n_countries": int(mrow[: t.n_table].sum()),
            "n_with_offline": int(np.isfinite(moff).sum()),
            "population": float(np.nansum(mpop)) if np.isfinite(mpop).any() else np.nan,
            "offline": float(np.nansum(moff)) if np.isfinite(moff).any() else np.nan,
            "pledges_targeting": int(touched.sum()),
            "pledges_with_value": int((touched & has_val).sum()),
            "pledges_reaching_offline": int(touch[ng + 1 + i].sum()),
            "pledge_units": float(sums["pledge_units"][mrow & kept].sum()),
            "allocated_usd": float(sums["allocated_usd"][mrow & kept].sum()),
            "usd_no_offline_figure": float(sums["allocated_usd"][mrow & unknown].sum()),
            "_usd_counted": float(sums["allocated_usd"][mrow & counted].sum()),
            "_units_counted": float(sums["pledge_units"][mrow & counted].sum()),
        })
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["group", "n_members", "n_countries", "n_with_offline",
                                   "population", "offline", *_COUNT_COLS,
                                   "pledges_reaching_offline", "pledge_units", "allocated_usd",
                                   "usd_no_offline_figure", "_usd_counted", "_units_counted"])
    df["group"] = df["group"].astype("str")
    off_with = pd.Series(off[: t.n_table]).fillna(0.0)
    world_off = float(off_with.sum())
    df = _ratios(df, world_off, float(sums["allocated_usd"][counted].sum()),
                 float(sums["pledge_units"][counted].sum()), usd="_usd_counted",
                 units="_units_counted").drop(columns=["_usd_counted", "_units_counted"])
    prow = []
    zt = touch[ng]
    if zt.any():  # the money kept out: to economies with no one offline
        nz = int(zero.sum())
        prow.append({
            "group": NO_ONE_OFFLINE_LABEL, "n_members": nz, "n_countries": nz,
            "n_with_offline": nz,
            "population": float(np.nansum(pop[zero])), "offline": 0.0,
            "pledges_targeting": float(zt.sum()), "pledges_with_value": float((zt & has_val).sum()),
            "pledge_units": float(sums["pledge_units"][zero].sum()),
            "allocated_usd": float(sums["allocated_usd"][zero].sum()),
        })
    prow += [{"group": label, "n_members": 0, "n_countries": 0, "n_with_offline": 0,
              **_pseudo_row(a, mask)}
             for _, label, mask in _pseudo_rows(a)]
    if prow:  # no pledge in them reaches anyone offline: none counts per offline person
        df = pd.concat([df, pd.DataFrame(prow).assign(pledges_reaching_offline=0)],
                       ignore_index=True)
    for col in (*_COUNT_COLS, "pledges_reaching_offline", "n_members", "n_countries",
                "n_with_offline"):
        df[col] = df[col].round().astype("int64")
    return df


@checked(*_VALUED)
def coverage_by_group(pledges: pd.DataFrame, groups: Groups | None = None,
                      country_table: pd.DataFrame | None = None, method: str = "offline",
                      include_global: bool = False, memberships: Memberships | None = None,
                      year: int = LATEST_YEAR) -> pd.DataFrame:
    """One row per group: offline people, population and the pledged attention they get.

    ``groups``: group labels (default ``STANDARD_GROUPS``; membership as of ``year``)
    or a dict ``{label: [iso3, ...]}``. Columns ``group, n_countries, n_with_offline,
    population, offline, pledges_targeting, pledges_with_value, pledges_reaching_offline,
    pledge_units, allocated_usd,
    usd_per_offline, pledges_per_10m_offline, offline_share, usd_share, unit_share,
    attention_ratio_usd, attention_ratio_count`` (see the module docstring). Then the
    pseudo-rows: ``group = NO_ONE_OFFLINE_LABEL``, the USD and pledges reaching economies with
    no one offline, kept out of the groups' USD, shares and ratios (when any pledge reaches
    one); then the unallocated ones (``n_countries`` 0, offline and ratios NaN): ``group =
    GLOBAL_LABEL`` for the global pledges when ``include_global=False`` and any exist,
    ``group = UNSTATED_LABEL`` for the pledges whose targets are not stated (always, when any).
    """
    pledges = _in_canonical_order(pledges)  # sums independent of row order
    ct, t = _resolve_inputs(pledges, country_table, year, memberships)
    gm = group_memberships(groups, year, memberships)
    a = _allocate_core(pledges, ct, method, include_global, t)
    return _coverage_group_from(a, ct, gm)


def under_served(pledges: pd.DataFrame | None = None, coverage: pd.DataFrame | None = None,
                 min_offline: float = 1e6, basis: str = "usd", top: int | None = 20,
                 **coverage_kwargs) -> pd.DataFrame:
    """Countries with many offline people and little or no pledged attention, ranked.

    ``offline_not_matched = offline * (1 - min(1, attention_ratio))`` (persons): the offline
    people "not matched" by pledged attention; a country with no attention at all counts its
    whole offline population, one at or above proportional attention counts 0. ``basis``
    picks the ratio: ``"usd"`` (``attention_ratio_usd``) or ``"count"``
    (``attention_ratio_count``). Only countries with ``offline >= min_offline`` (persons) and
    a defined ratio are kept; sorted by it (descending), ``top`` rows (None = all); the
    unallocated pseudo-rows (``"GLOBAL"``, ``"UNSTATED"``) are never ranked. Pass a
    :func:`coverage_by_country` table as ``coverage``, or ``pledges`` plus its keyword
    arguments.
    """
    if basis not in ("usd", "count"):
        raise ValueError(f"basis={basis!r}: expected 'usd' or 'count'")
    if coverage is None:
        if pledges is None:
            raise ValueError("under_served: pass pledges or coverage")
        coverage = coverage_by_country(pledges, **coverage_kwargs)
    ratio = f"attention_ratio_{basis}"
    pseudo = coverage["iso3"].isin([GLOBAL_ISO3, UNSTATED_ISO3])
    df = coverage.loc[~pseudo & (coverage["offline"] >= min_offline)
                      & coverage[ratio].notna()].copy()
    df["offline_not_matched"] = df["offline"] * (1.0 - np.minimum(1.0, df[ratio]))
    df = df.sort_values(["offline_not_matched", "offline"], ascending=False, kind="stable")
    df["rank"] = np.arange(1, len(df) + 1)
    cols = ["rank", "iso3", "offline", "population", "internet_pct", "pledges_targeting",
            "allocated_usd", ratio, "offline_not_matched"]
    df = df[cols].reset_index(drop=True)
    return df if top is None else df.head(top)


def under_served_empty_text(coverage: pd.DataFrame, min_offline: float = 1e6,
                            basis: str = "usd") -> str:
    """Why :func:`under_served` of ``coverage`` (a :func:`coverage_by_country` table) ranks no
    country, plain trusted text for the place of its empty table: no country has
    ``min_offline`` people offline or more, or none of those has an attention ratio (no pledge
    states a value that could be allocated to a country, or its USD goes only where no one is
    offline or the offline population is unknown: the headline says which). The section's
    text says that a country with no pledged USD scores its whole offline population: an
    empty table beside it read as a contradiction."""
    from p2c_analysis import style

    pseudo = coverage["iso3"].isin([GLOBAL_ISO3, UNSTATED_ISO3])
    many = coverage.loc[~pseudo & (coverage["offline"] >= min_offline)]
    threshold = style.fmt_people(min_offline, trim=True)
    if many.empty:
        return f"No country has {threshold} people offline or more: none is ranked."
    ratio = "USD" if basis == "usd" else "pledge-unit"
    return (f"No country is ranked: no {ratio} attention ratio can be computed for any of the "
            f"{len(many):,} countries with {threshold} people offline or more (the headline "
            "says why).")


def no_one_offline(coverage: pd.DataFrame) -> pd.DataFrame:
    """The economies with no one offline that pledges reach, and the USD allocated to them,
    which the attention figures keep out (see the module docstring).

    ``coverage``: a :func:`coverage_by_country` table (names kept when it has ``name``, e.g.
    from :func:`with_names`). Rows of ``country_table`` economies with ``offline`` = 0 and at
    least one pledge, by ``allocated_usd`` (descending) then ``iso3``; columns ``iso3``
    (``name``), ``population``, ``internet_pct``, ``pledges_targeting``, ``pledges_with_value``,
    ``allocated_usd`` (all present even when there is no such economy)."""
    cols = [c for c in ("iso3", "name", "population", "internet_pct", "pledges_targeting",
                        "pledges_with_value", "allocated_usd") if c in coverage.columns]
    in_table = coverage["in_country_table"].astype(bool) if "in_country_table" in coverage \
        else pd.Series(True, index=coverage.index)
    sel = in_table & coverage["offline"].eq(0) & coverage["pledges_targeting"].gt(0)
    out = coverage.loc[sel, cols].sort_values(["allocated_usd", "iso3"],
                                              ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def no_offline_figure(coverage: pd.DataFrame) -> pd.DataFrame:
    """The economies without an offline figure (outside the country table, e.g. Niue or
    Anguilla, or without data in it) that pledges reach, with the USD allocated to them: kept
    in their groups' ``allocated_usd`` (column ``usd_no_offline_figure`` of
    :func:`coverage_by_group`) but out of every share, ratio and per-offline-person figure.

    ``coverage``: a :func:`coverage_by_country` table (``name`` kept when present). Rows with
    ``offline`` NaN and at least one pledge, pseudo-rows skipped, by ``allocated_usd`` (USD,
    descending) then ``iso3``; columns ``iso3`` (``name``), ``in_country_table``,
    ``pledges_targeting``, ``allocated_usd``."""
    cols = [c for c in ("iso3", "name", "in_country_table", "pledges_targeting",
                        "allocated_usd") if c in coverage.columns]
    pseudo = coverage["iso3"].astype(str).isin(list(PSEUDO_LABELS))
    sel = ~pseudo & coverage["offline"].isna() & coverage["pledges_targeting"].gt(0)
    out = coverage.loc[sel, cols].sort_values(["allocated_usd", "iso3"],
                                              ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def ldc_cards(cov: pd.DataFrame) -> list[tuple[str, str]]:
    """The front-page cards of a :func:`coverage_by_group` table ``cov``: the LDC's USD
    attention ratio, share of allocated USD and share of people offline. A ratio or share that
    cannot be computed (no pledged USD reaches an economy with an offline figure) reads "none:
    no USD to compare", not "n/a" beside "n/a"."""
    from p2c_analysis import style

    ldc = cov.set_index("group").loc["LDC"]
    none = "none: no USD to compare"
    return [("LDC attention ratio (USD)", none if pd.isna(ldc["attention_ratio_usd"])
             else style.fmt_ratio(ldc["attention_ratio_usd"])),
            ("LDC share of allocated USD", none if pd.isna(ldc["usd_share"])
             else style.fmt_share(ldc["usd_share"])),
            ("LDC share of people offline", style.fmt_share(ldc["offline_share"]))]


def kept_apart_text(cov: pd.DataFrame, lead: str = "") -> str:
    """The sentence naming the stated USD that a :func:`coverage_by_group` table ``cov`` keeps
    apart, unallocated: its rows :data:`GLOBAL_LABEL` and :data:`UNSTATED_LABEL` with their
    pledges stating a value. Said where no USD reaches a country, so a file of global pledges
    does not read only "no pledge states a value that could be allocated to countries" while
    every pledge states one. Plain text, after ``lead`` (``" "`` to follow another sentence);
    ``""`` (no ``lead``: no double space) when those rows hold no stated value."""
    from p2c_analysis import report, style

    rows = cov.set_index("group")
    parts = []
    for label, kind in ((GLOBAL_LABEL, ("global pledge", "global pledges")),
                        (UNSTATED_LABEL, ("pledge with no stated targets",
                                          "pledges with no stated targets"))):
        if label not in rows.index or not int(rows.at[label, "pledges_with_value"]):
            continue
        k, usd = int(rows.at[label, "pledges_with_value"]), rows.at[label, "allocated_usd"]
        parts.append(f"{report.plural(k, *kind)} ({style.fmt_usd(usd)})")
    if not parts:
        return ""
    return (f"{lead}The stated USD is in pledges kept apart, not allocated to countries: "
            f"{report.list_text(parts)}.")


#: How many economies :func:`by_count_text` names before it counts them instead.
MAX_NAMED = 4


def _economies_text(named: Sequence[tuple[str, str]]) -> str:
    """``[(name, why), ...]`` as "Saudi Arabia (no one offline) and Niue (offline population
    unknown)", or counted past :data:`MAX_NAMED`: "5 economies with no one offline and 2 whose
    offline population is unknown"."""
    from p2c_analysis.report import list_text, plural

    if len(named) <= MAX_NAMED:
        return list_text(f"{name} ({why})" for name, why in named)
    n_zero = sum(why == "no one offline" for _, why in named)
    parts = ([f"{plural(n_zero, 'economy', 'economies')} with no one offline"] if n_zero else [])
    if (n_unknown := len(named) - n_zero):
        parts.append(f"{n_unknown:,} whose offline population is unknown" if n_zero else
                     f"{plural(n_unknown, 'economy', 'economies')} whose offline population is "
                     "unknown")
    return list_text(parts)


def by_count_text(cov: pd.DataFrame, country_cov: pd.DataFrame) -> str:
    """The headline's sentence on pledge counts and the LDC's pledge-unit attention ratio, plain
    text for the caller to escape. ``cov``: :func:`coverage_by_group`; ``country_cov``:
    :func:`coverage_by_country` of the same pledges (:func:`with_names` for names). With a
    ratio: "By count, 3 pledges reach them (pledge-unit attention ratio 0.52: ...)". Without
    one, why: no pledge reaches a country, or the pledges reaching countries reach none with
    people offline, only economies with no one offline or no offline figure, named (Saudi
    Arabia, Niue), not "no pledge reaches a country"."""
    from p2c_analysis import style
    from p2c_analysis.report import plural

    rows = cov.set_index("group")
    ldc, world = rows.loc["LDC"], rows.loc["World"]
    if pd.notna(ldc["attention_ratio_count"]):
        n = int(ldc["pledges_targeting"])
        who = "no pledge reaches" if n == 0 else \
            f"{plural(n, 'pledge')} {'reaches' if n == 1 else 'reach'}"
        return (f"By count, {who} them (pledge-unit attention ratio "
                f"{style.fmt_ratio(ldc['attention_ratio_count'])}: each pledge one unit, split "
                "over its countries like its USD).")
    k = int(world["pledges_targeting"])
    if k == 0:
        return ("By count, no pledge reaches a country, so there is no pledge-unit attention "
                "ratio either.")
    name = "name" if "name" in country_cov else "iso3"
    named = ([(str(v), "no one offline") for v in no_one_offline(country_cov)[name]]
             + [(str(v), "offline population unknown")
                for v in no_offline_figure(country_cov)[name]])
    if int(world["pledges_reaching_offline"]) > 0 or not named:  # no LDC share to compare
        return "By count, there is no pledge-unit attention ratio for them (n/a)."
    where = "a country" if len(named) == 1 else "countries"
    pledges = (f"the pledge reaching {where} reaches" if k == 1 else
               f"the {k:,} pledges reaching {where} reach")
    return (f"By count, {pledges} no economy with people offline, only "
            f"{_economies_text(named)}, so there is no pledge-unit attention ratio either.")


def no_offline_figure_text(unknown: pd.DataFrame) -> str:
    """The sentence on :func:`no_offline_figure`, plain text for the caller to escape: the USD
    allocated to economies whose offline population is unknown, each named with its USD and
    pledges, and what happens to it; ``""`` when no USD goes to such an economy (they may still
    be reached: their pledges count, see :func:`outside_itu_regions_text`)."""
    from p2c_analysis import style
    from p2c_analysis.report import list_text, plural

    paid = unknown[unknown["allocated_usd"].gt(0)]
    if paid.empty:
        return ""
    name = "name" if "name" in paid else "iso3"
    items = list_text(f"{row[name]} {style.fmt_usd(row['allocated_usd'])} "
                      f"({plural(int(row['pledges_targeting']), 'pledge')} reaching it)"
                      for _, row in paid.iterrows())
    one = len(paid) == 1
    return (f"{style.fmt_usd(paid['allocated_usd'].sum())} to "
            f"{'an economy' if one else 'economies'} whose offline population is unknown: "
            f"{items}. It stays in the USD of {'its' if one else 'their'} groups but is kept "
            "out of the shares, attention ratios and USD per offline person: its gap is "
            "unknown.")


# --- sensitivity ------------------------------------------------------------------------------

SENSITIVE_METRICS: tuple[str, ...] = (
    "allocated_usd", "usd_per_offline", "usd_share", "unit_share",
    "attention_ratio_usd", "attention_ratio_count",
)


@checked(*_VALUED)
def sensitivity(pledges: pd.DataFrame, groups: Groups | None = None,
                country_table: pd.DataFrame | None = None, by: str = "group",
                methods: Sequence[str] = ALLOCATION_METHODS, include_global: bool = False,
                memberships: Memberships | None = None, year: int = LATEST_YEAR) -> pd.DataFrame:
    """Coverage under each allocation method side by side (wide by method).

    ``by="group"`` (rows = groups) or ``"country"`` (rows = ISO3). Method-independent columns
    (``offline, population, pledges_targeting, pledges_with_value``) once, then
    ``<metric>_<method>`` for each metric of :data:`SENSITIVE_METRICS`, then
    ``attention_usd_min`` / ``attention_usd_max`` over methods and ``robust_usd``: True when the
    USD attention ratio is on the same side of 1.0 under every method (NaN ratios ignored;
    ``<NA>`` when no method gives a ratio) — i.e. "under-/over-served" does not depend on the
    method. The unallocated pseudo-rows (``GLOBAL_LABEL`` / ``"GLOBAL"`` when
    ``include_global=False``, ``UNSTATED_LABEL`` / ``"UNSTATED"`` when not-stated pledges exist)
    are kept, with NaN ratios and ``robust_usd`` ``<NA>``. Pledge counts do not depend on the
    method; USD and unit figures do, but only for pledges with several countries.
    """
    if by not in ("group", "country"):
        raise ValueError(f"by={by!r}: expected 'group' or 'country'")
    pledges = _in_canonical_order(pledges)  # sums independent of row order
    ct, t = _resolve_inputs(pledges, country_table, year, memberships)
    gm = group_memberships(groups, year, memberships) if by == "group" else None
    key = "group" if by == "group" else "iso3"
    base_cols = [key, "offline", "population", "pledges_targeting", "pledges_with_value"]
    out: pd.DataFrame | None = None
    for mth in methods:
        a = _allocate_core(pledges, ct, mth, include_global, t)
        cov = _coverage_group_from(a, ct, gm) if by == "group" else _coverage_country_from(a, ct)
        part = cov[[key, *SENSITIVE_METRICS]].rename(
            columns={m: f"{m}_{mth}" for m in SENSITIVE_METRICS})
        out = cov[base_cols].merge(part, on=key) if out is None else out.merge(part, on=key)
    assert out is not None
    rcols = [f"attention_ratio_usd_{m}" for m in methods]
    r = out[rcols]
    out["attention_usd_min"] = r.min(axis=1)
    out["attention_usd_max"] = r.max(axis=1)
    above = (r > 1).where(r.notna())
    n_def = r.notna().sum(axis=1)
    robust = (above.sum(axis=1) == n_def) | (above.sum(axis=1) == 0)
    out["robust_usd"] = pd.array(robust.where(n_def > 0), dtype="boolean")
    return out


# --- mix --------------------------------------------------------------------------------------

MIX_DIMENSIONS: tuple[str, ...] = ("focus_area", "stakeholder_type", "pledge_type")


def _dimension_codes(pledges: pd.DataFrame, dim: str):
    """Long (pledge position, category code, fraction) for one dimension, plus categories."""

    n = len(pledges)
    if dim == "focus_area":
        cells, lens = _list_lengths(pledges["focus_areas"].tolist())
        flat = list(chain.from_iterable(cells))
        p = np.repeat(np.arange(n, dtype=np.int64), lens)
        none = np.flatnonzero(lens == 0)
        p = np.concatenate([p, none])
        flat = np.array(flat + [NOT_STATED] * len(none), dtype=object)
        k = np.maximum(lens, 1).astype(float)
        cats = [*FOCUS_AREAS, NOT_STATED]
        frac = 1.0 / k[p]
    else:
        col = pledges[dim].astype("object").where(pledges[dim].notna(), UNKNOWN)
        flat = col.to_numpy(dtype=object)
        p = np.arange(n, dtype=np.int64)
        frac = np.ones(n)
        allowed = STAKEHOLDER_TYPES if dim == "stakeholder_type" else PLEDGE_TYPES
        cats = [*allowed, UNKNOWN]
    extra = sorted(set(pd.unique(flat)) - set(cats), key=str)
    cats = cats + [str(x) for x in extra]
    codes = pd.Index(cats).get_indexer(flat)
    return p, codes, frac, cats


@checked(*_VALUED, "focus_areas", "stakeholder_type", "pledge_type")
def mix(pledges: pd.DataFrame, groups: Groups | None = None,
        country_table: pd.DataFrame | None = None, method: str = "offline",
        include_global: bool = False, dimensions: Sequence[str] = MIX_DIMENSIONS,
        memberships: Memberships | None = None, year: int = LATEST_YEAR) -> pd.DataFrame:
    """Focus-area, stakeholder-type and pledge-type mix of the pledges reaching each group.

    Long table ``group, dimension, category, pledges, pledge_share, usd, usd_share,
    group_pledges, group_usd, offline_share``. A pledge is in a group when it allocates to at
    least one member (the same rule as ``pledges_targeting``); its USD in the group is the USD
    allocated to members (``method``). Multi-focus pledges count once in *each* of their focus
    areas (so focus ``pledge_share`` can add to more than 1) and their USD is split equally among
    them (so ``usd_share`` adds to 1); no focus stated -> category ``"none stated"``.
    ``pledge_share = pledges / group_pledges``; ``usd_share = usd / group_usd`` (NaN when the
    group has no USD). ``offline_share`` is the group's share of the world's offline people
    (same as :func:`coverage_by_group`). Pseudo-groups (``offline_share`` NaN): with
    ``include_global=False``, global pledges form ``GLOBAL_LABEL``; pledges whose targets are
    not stated always form ``UNSTATED_LABEL`` (they never reach a group).
    """
    for d in dimensions:
        if d not in MIX_DIMENSIONS:
            raise ValueError(f"dimension {d!r}: expected one of {MIX_DIMENSIONS}")
    pledges = _in_canonical_order(pledges)  # sums independent of row order
    ct, t = _resolve_inputs(pledges, country_table, year, memberships)
    gm = group_memberships(groups, year, memberships)
    a = _allocate_core(pledges, ct, method, include_global, t)
    cov = _coverage_group_from(a, ct, gm).set_index("group")
    m = _membership_matrix(gm, t.universe)
    dims = {d: _dimension_codes(pledges, d) for d in dimensions}
    members: list[tuple[str, np.ndarray, np.ndarray]] = []
    for i, label in enumerate(gm):
        touched, usd = _group_hits(a, m[i])
        members.append((label, touched, usd))
    for _, label, g in _pseudo_rows(a):
        members.append((label, g, np.where(g, np.nan_to_num(a.value), 0.0)))
    frames = []
    for label, touched, usd in members:
        n_in = int(touched.sum())
        g_usd = float(usd[touched].sum())
        osh = cov.at[label, "offline_share"] if label in cov.index else np.nan
        for d, (p, codes, frac, cats) in dims.items():
            sel = touched[p]
            cnt = np.bincount(codes[sel], minlength=len(cats))
            u = np.bincount(codes[sel], weights=usd[p[sel]] * frac[sel], minlength=len(cats))
            frames.append(pd.DataFrame({
                "group": label, "dimension": d, "category": cats,
                "pledges": cnt.astype("int64"),
                "pledge_share": cnt / n_in if n_in else np.nan,
                "usd": u,
                "usd_share": u / g_usd if g_usd > 0 else np.nan,
                "group_pledges": n_in, "group_usd": g_usd, "offline_share": osh,
            }))
    out = pd.concat(frames, ignore_index=True)
    for c in ("group", "dimension", "category"):
        out[c] = out[c].astype("str")
    return out


# --- pledges and USD per category, over all pledges ---------------------------------------------


def tally(
    pledges: pd.DataFrame,
    column: str,
    categories: Iterable[str] | None = None,
    value: str = "estimated_value_usd",
) -> pd.DataFrame:
    """Pledges and USD per category of one pledge column (scalar or list-valued).

    Columns ``category, pledges, pledge_share_pct, pledges_with_value, usd, usd_share_pct``.
    A pledge with several categories (a list cell, e.g. ``focus_areas``) counts once in *each*
    (so ``pledge_share_pct`` can add to more than 100) and its USD is split equally among them
    (so ``usd_share_pct`` adds to 100), the rule of :func:`mix`. Missing / empty cells form the
    category :data:`NOT_STATED`. ``usd`` sums stated values only (NaN = no value, never 0);
    it is NaN for a category none of whose pledges states a value. ``categories`` fixes the
    order and lists categories with 0 pledges; others found are appended, largest first.
    """
    if column not in pledges:
        raise KeyError(f"tally: no column {column!r} in the pledge table")
    cats: list[list[str]] = []
    for cell in pledges[column].tolist():
        if isinstance(cell, list | tuple | np.ndarray):
            items = list(dict.fromkeys(str(x) for x in cell))
        elif cell is None or pd.isna(cell) or str(cell).strip() == "":
            items = []
        else:
            items = [str(cell)]
        cats.append(items or [NOT_STATED])
    vals = pledges[value].astype("float64").to_numpy() if value in pledges else \
        np.full(len(pledges), np.nan)
    long = pd.DataFrame({
        "category": [c for items in cats for c in items],
        "usd": [v / len(items) for items, v in zip(cats, vals, strict=True) for _ in items],
    })
    g = long.groupby("category", sort=False)
    out = pd.DataFrame({
        "pledges": g.size(),
        "pledges_with_value": g["usd"].count(),
        "usd": g["usd"].sum(min_count=1),
    })
    order = list(categories or [])
    rest = [c for c in out.sort_values("pledges", ascending=False).index if c not in order]
    out = out.reindex(order + rest)
    out["pledges"] = out["pledges"].fillna(0).astype("int64")
    out["pledges_with_value"] = out["pledges_with_value"].fillna(0).astype("int64")
    n = len(pledges)
    total_usd = np.nansum(vals) if np.isfinite(vals).any() else np.nan
    out["pledge_share_pct"] = 100.0 * out["pledges"] / n if n else np.nan
    out["usd_share_pct"] = 100.0 * out["usd"] / total_usd if total_usd and total_usd > 0 \
        else np.nan
    out.index.name = "category"
    return out.reset_index()[
        ["category", "pledges", "pledge_share_pct", "pledges_with_value", "usd", "usd_share_pct"]
    ]


def unstated_text(table: pd.DataFrame, n: int, what: str) -> str:
    """The sentence under a :func:`tally` of ``n`` pledges on those it cannot place: the
    categories :data:`NOT_STATED` and :data:`UNKNOWN` (``what`` names the field, e.g.
    ``"pledge type"``), with their share of the pledges and of the stated USD, so that a chart
    whose bars rest on few pledges says so. Plain text for the caller to escape; ``""`` when
    every pledge is placed (or there is no pledge)."""
    from p2c_analysis import style
    from p2c_analysis.report import of_the

    unplaced = table[table["category"].isin([NOT_STATED, UNKNOWN])]
    k = int(unplaced["pledges"].sum())
    if not k:
        return ""
    text = f"The {what} is unknown for {of_the(k, n, 'pledge')}"
    if k == n:
        return text + "."
    usd = unplaced["usd"].sum(min_count=1)
    held = (f", which hold {style.fmt_pct(unplaced['usd_share_pct'].sum())} of the stated value "
            f"({style.fmt_usd(usd)})" if pd.notna(usd) and usd > 0 else
            (", which states no value" if k == 1 else ", none of which states a value"))
    rest = "the remaining pledge" if n - k == 1 else \
        f"the remaining {style.fmt_int(n - k)} pledges"  # not "hold 27": 27 what?
    return f"{text} ({style.fmt_pct(100 * k / n)}){held}: the other categories hold {rest}."


#: The category of a pledger whose stated home country is in no ITU-D region (Taiwan, some
#: territories): its country is known, so it is not "none stated".
OUTSIDE_ITU_REGIONS_LABEL = "Outside the ITU-D regions"


def tally_by_entity_region(pledges: pd.DataFrame) -> pd.DataFrame:
    """:func:`tally` of the ITU-D region of each pledger's home country (``entity_country``),
    regions in ``ITU_REGIONS`` order; no country stated -> :data:`NOT_STATED`; a country in no
    ITU-D region -> :data:`OUTSIDE_ITU_REGIONS_LABEL` (after the regions)."""
    from p2c_analysis import countries

    home = pledges["entity_country"]
    region = home.map(countries.reference().set_index("iso3")["itu_region"])
    stated = home.notna() & home.astype("string").str.strip().ne("").fillna(False)
    region = region.astype(object).where(region.notna() | ~stated, OUTSIDE_ITU_REGIONS_LABEL)
    return tally(pledges.assign(entity_region=region), "entity_region", ITU_REGIONS)


def mix_table(mix_long: pd.DataFrame, dimension: str = "focus_area",
              value: str = "pledges") -> pd.DataFrame:
    """One dimension of a :func:`mix` table, wide: one row per group (in the mix's order), one
    column per category (focus areas first, in ``FOCUS_AREAS`` order, then ``NOT_STATED``);
    cells are ``value`` (``pledges`` or ``usd``), 0 where none."""
    part = mix_long[mix_long["dimension"].eq(dimension)]
    wide = part.pivot_table(index="group", columns="category", values=value, aggfunc="sum",
                            sort=False).fillna(0)
    order = [*FOCUS_AREAS, NOT_STATED] if dimension == "focus_area" else list(wide.columns)
    return wide[[c for c in order if c in wide.columns]]


def with_names(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a per-country table with ``name`` inserted after ``iso3``: the economy's short
    name, or the label of a pseudo-row (``GLOBAL`` -> :data:`GLOBAL_LABEL`, ``UNSTATED`` ->
    :data:`UNSTATED_LABEL`)."""
    from p2c_analysis import countries

    iso3 = table["iso3"].astype(str)
    names = iso3.map(lambda i: PSEUDO_LABELS.get(i) or countries.country_name(i))
    out = table.copy()
    out.insert(out.columns.get_loc("iso3") + 1, "name", names)
    return out


#: Columns of :func:`outside_itu_regions`.
OUTSIDE_ITU_REGIONS_COLUMNS: tuple[str, ...] = (
    "iso3", "name", "in_country_table", "offline", "pledges_targeting", "allocated_usd")


def outside_itu_regions(coverage: pd.DataFrame, year: int = LATEST_YEAR,
                        memberships: Memberships | None = None) -> pd.DataFrame:
    """The economies of a per-country coverage table (:func:`coverage_by_country`; the
    pseudo-rows are skipped) that are in none of the six ITU-D regions as of ``year``, and that
    a pledge reaches or that have people offline. The ITU-D regions list ITU Member States only,
    so territories such as Anguilla, Niue or American Samoa are in no region row of
    :func:`coverage_by_group`, though they count in ``"World"`` and in their other groups
    (SIDS): without them the region rows do not add up to the world.

    Columns :data:`OUTSIDE_ITU_REGIONS_COLUMNS`: ``offline`` (persons; NaN = no offline data,
    e.g. not a WDI economy), ``pledges_targeting`` (pledges reaching it), ``allocated_usd``
    (USD; 0 when nothing is allocated). Most pledges first, then most offline people. Region
    members come from ``memberships`` when it has the region labels, else
    :func:`countries.members`."""
    inside: set[str] = set()
    for region in ITU_REGIONS:
        inside.update(_members(region, year, memberships))
    iso3 = coverage["iso3"].astype(str)
    keep = ~iso3.isin(inside) & ~iso3.isin(list(PSEUDO_LABELS)) & (
        coverage["pledges_targeting"].gt(0) | coverage["offline"].gt(0))
    out = coverage.loc[keep.to_numpy()]
    if "name" not in out:
        out = with_names(out)
    out = out.sort_values(["pledges_targeting", "offline"], ascending=False, na_position="last")
    return out[list(OUTSIDE_ITU_REGIONS_COLUMNS)].reset_index(drop=True)


def outside_itu_regions_text(outside: pd.DataFrame) -> str:
    """The sentence on :func:`outside_itu_regions`, plain text for the caller to escape: each
    economy with the pledges reaching it, the USD allocated to it (when any) and its offline
    people ("no offline data" when unknown), e.g. "Not in an ITU-D region (not ITU Member
    States): Anguilla (1 pledge reaching it; no offline data). It counts in World and in any
    other group it belongs to, but in no region row."; economies said alike named together
    ("Niue and Montserrat (1 pledge reaching each; no offline data)"); one sentence saying so
    when there is none."""
    from p2c_analysis import style
    from p2c_analysis.report import list_text, plural

    if outside.empty:
        return ("Every economy that a pledge reaches or where people are offline is in one of "
                "the six ITU-D regions.")

    def about(row: pd.Series) -> str:
        n = int(row["pledges_targeting"])
        reach = f"{plural(n, 'pledge')} reaching each" if n else "no pledge"
        if n and row["allocated_usd"] > 0:
            reach += f", {style.fmt_usd(row['allocated_usd'])} allocated"
        off = ("no offline data" if pd.isna(row["offline"]) else
               f"{style.fmt_people(row['offline'])} offline")
        return f"{reach}; {off}"

    # economies said alike are named together: "A, B and C (1 pledge reaching each; ...)"
    alike: dict[str, list[str]] = {}
    for _, row in outside.iterrows():
        alike.setdefault(about(row), []).append(str(row["name"]))
    items = [f"{names[0]} ({what.replace('reaching each', 'reaching it')})" if len(names) == 1
             else f"{list_text(names)} ({what})" for what, names in alike.items()]
    one = len(outside) == 1
    grouped = len(items) < len(outside)  # names joined by "and" inside items: ";" between
    listed = "; ".join(items) if grouped else list_text(items)
    # not "in its other groups": Taiwan is in none (no income group, no LDC/LLDC/SIDS list)
    return (f"Not in an ITU-D region (not ITU Member States): {listed}. "
            f"{'It counts' if one else 'They count'} in World and in any other group "
            f"{'it belongs' if one else 'they belong'} to, but in no region row.")
