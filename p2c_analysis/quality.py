"""Pledge quality and accountability: SMART score, trackability index, sensitivity.

The best accountability frameworks rate every commitment before tracking it: the UN Partnerships
for SDGs platform admits only SMART commitments (specific, measurable, achievable,
resource-based, time-based) and marks those without a progress report for two years inactive;
the Nutrition Accountability Framework scores each commitment's SMARTness from a list of
ingredients and publishes a four-level index (High / Upper-moderate / Lower-moderate / Low).
This module does the same for P2C pledges, with rules anyone can read.

The rubric is data: ``data/harmonization/quality_rubric.toml`` (criteria, their ingredients,
weights, modes, the fields each reads and the source framework, index thresholds, trackable
categories, relevance parameters). The ingredients themselves are small named rules over the
canonical pledge table (:data:`INGREDIENTS`; see :func:`ingredients`).

- :func:`score` -> :class:`Scores`: one row per pledge with its score, index, points per
  criterion and the reason for each point (the ``pledge_scores`` table), plus the ingredient
  matrix behind it;
- :func:`distribution`: scores and index categories by stakeholder type, focus area or target
  group;
- :func:`sensitivity`: the index distribution when each criterion is dropped in turn;
- :func:`one_field_away`: pledges that would become trackable with one more field;
- :func:`relevance`: the pledge-level attention measure (offline rate ratio) and the
  LDC/LLDC/SIDS test.

Scale: everything is vectorised (numpy, pyarrow); reasons are built once per distinct
combination of ingredients, not per pledge.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from p2c_analysis import deliverables, memory, paths, values
from p2c_analysis import vocabulary as voc
from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import LATEST_YEAR, NOT_STATED, STANDARD_GROUPS, UNKNOWN

if TYPE_CHECKING:
    from IPython.display import Markdown

RUBRIC = paths.HARMONIZATION / "quality_rubric.toml"
MODES = ("share", "any")

#: The ingredient rules the rubric may use: name -> what it checks (the code is in
#: :func:`ingredients`).
INGREDIENTS: dict[str, str] = {
    "focus_area": "focus_areas has at least one item",
    "target_geography": "target_countries or target_regions has at least one item",
    "named_deliverable": "a quantified deliverable, or a deliverable word in the title",
    "quantity": "a quantified deliverable",
    "value": "estimated_value_usd stated",
    "in_kind_resource": "value_basis in_kind or pledge_type In-kind",
    "target_year": "target_year stated",
    "stated_period": "value_years, or a period in the title or description",
    "priority_group": "names an LDC/LLDC/SIDS member or group (as of the analysis year)",
    "offline_ratio": "target offline rate ratio above the rubric's threshold",
    "source_url": "source_url stated",
    "reporting_record": "last_report_date stated",
    "public_evidence": "public evidence of progress on record (a dated status event)",
}

#: How each ingredient reads in a report's tables (:func:`rubric_table_shown`); the CSV table
#: keeps the names.
INGREDIENT_LABELS: dict[str, str] = {
    "focus_area": "focus area",
    "target_geography": "target country or region",
    "named_deliverable": "named deliverable",
    "quantity": "quantified deliverable",
    "value": "money value",
    "in_kind_resource": "in-kind resource",
    "target_year": "target year",
    "stated_period": "stated period",
    "priority_group": "priority group targeted",
    "offline_ratio": "offline rate ratio",
    "source_url": "source",
    "reporting_record": "progress report",
    "public_evidence": "public evidence of progress",
}
assert tuple(INGREDIENT_LABELS) == tuple(INGREDIENTS)

#: A period in the text: "by 2030", "2024-2026", "over (the next) five years", "within 3 years",
#: "through 2027", "until 2030", "in the next two years".
PERIOD_PATTERN = (
    r"(?i)\b(?:by|through|until|till|before|to)[ ]+(?:end[ ]+of[ ]+)?(?:19|20)[0-9]{2}\b"
    r"|\b(?:19|20)[0-9]{2}[ ]?(?:-|–|to)[ ]?(?:19|20)?[0-9]{2}\b"
    r"|\b(?:over|for|within|in)[ ]+(?:the[ ]+)?(?:next[ ]+|coming[ ]+|first[ ]+)?(?:[0-9]{1,2}"
    r"|one|two|three|four|five|six|seven|eight|nine|ten)[ ]+(?:years?|months?)\b"
)


# --- the rubric ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    weight: float
    mode: str
    ingredients: tuple[str, ...]
    source: str
    source_url: str


@dataclass(frozen=True)
class Rubric:
    """The rubric file, checked (see ``quality_rubric.toml``)."""

    criteria: tuple[Criterion, ...]
    index: tuple[tuple[str, float], ...]  # (category, min_score), highest first
    trackable_categories: tuple[str, ...]
    priority_groups: tuple[str, ...]
    offline_rate_ratio_above: float
    one_more_field: tuple[tuple[str, tuple[str, ...]], ...]
    ingredient_rules: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    version: str = ""

    @property
    def categories(self) -> list[str]:
        return [c for c, _ in self.index]

    @property
    def total_weight(self) -> float:
        return float(sum(c.weight for c in self.criteria))

    @property
    def criterion_labels(self) -> dict[str, str]:
        """Each criterion's name -> its label as reports show it (``"time_bound"`` ->
        ``"Time-bound"``)."""
        return {c.name: c.label for c in self.criteria}


def load_rubric(path: str | Path | None = None) -> Rubric:
    """The rubric (default ``data/harmonization/quality_rubric.toml``), checked: known
    ingredient names, positive weights, a known mode, categories with decreasing thresholds
    ending at 0, trackable categories among them. Raises ``ValueError`` naming the problem."""
    p = paths.track(RUBRIC if path is None else path)
    return _load_rubric(p, p.stat().st_mtime_ns)


@functools.cache
def _load_rubric(p: Path, _mtime_ns: int) -> Rubric:
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{p.name}: not valid TOML ({err})") from None
    crits, rules = [], {}
    for c in data.get("criterion", []):
        name = str(c["name"])
        if c.get("mode") not in MODES:
            raise ValueError(f"{p.name}: criterion {name!r}: mode must be one of {MODES}")
        if not float(c.get("weight", 0)) > 0:
            raise ValueError(f"{p.name}: criterion {name!r}: weight must be > 0")
        ings = []
        for i in c.get("ingredient", []):
            if i["name"] not in INGREDIENTS:
                raise ValueError(f"{p.name}: criterion {name!r}: unknown ingredient "
                                 f"{i['name']!r} (known: {', '.join(INGREDIENTS)})")
            ings.append(str(i["name"]))
            rules[str(i["name"])] = str(i.get("rule", INGREDIENTS[i["name"]]))
        if not ings:
            raise ValueError(f"{p.name}: criterion {name!r} has no ingredient")
        crits.append(Criterion(name, str(c.get("label", name)), float(c["weight"]),
                               str(c["mode"]), tuple(ings), str(c.get("source", "")),
                               str(c.get("source_url", ""))))
    if not crits or len({c.name for c in crits}) != len(crits):
        raise ValueError(f"{p.name}: criteria missing or named twice")
    index = tuple((str(i["category"]), float(i["min_score"])) for i in data.get("index", []))
    mins = [m for _, m in index]
    if not index or mins != sorted(mins, reverse=True) or mins[-1] != 0:
        raise ValueError(f"{p.name}: [[index]] thresholds must decrease and end at 0")
    track = tuple(data.get("trackable_categories", []))
    if not set(track) <= {c for c, _ in index}:
        raise ValueError(f"{p.name}: trackable_categories not among the index categories")
    rel = data.get("relevance", {})
    more = []
    for m in data.get("one_more_field", []):
        ings = tuple(m["ingredients"])
        if not set(ings) <= set(INGREDIENTS):
            raise ValueError(f"{p.name}: one_more_field {m['field']!r}: unknown ingredient")
        more.append((str(m["field"]), ings))
    return Rubric(tuple(crits), index, track, tuple(rel.get("priority_groups", ())),
                  float(rel.get("offline_rate_ratio_above", 1.0)), tuple(more), rules,
                  str(data.get("version", "")))


# --- relevance -----------------------------------------------------------------------------------

RELEVANCE_COLUMNS: tuple[str, ...] = (
    "pledge_id", "targets_priority_group", "target_population", "target_offline",
    "offline_rate", "offline_rate_ratio",
)


def relevance(
    pledges: pd.DataFrame,
    year: int = LATEST_YEAR,
    country_table: pd.DataFrame | None = None,
    memberships: Mapping[str, Iterable[str]] | None = None,
    priority_groups: Iterable[str] = ("LDC", "LLDC", "SIDS"),
) -> pd.DataFrame:
    """Where each pledge points, against where people are offline (analysis year ``year``).

    Columns :data:`RELEVANCE_COLUMNS`, one row per pledge in input order:
    ``targets_priority_group`` (a named target country is a member of a priority group at
    1 July of ``year``, or a target region is one of the groups); ``target_population`` /
    ``target_offline``: people and offline people of its target countries with data (regions
    expanded to their members, by :func:`gaps.target_rows`; NaN for global pledges and
    pledges whose targets are not stated); ``offline_rate`` = offline / population;
    ``offline_rate_ratio`` = ``offline_rate`` / the world's offline rate (all countries of
    ``country_table`` with data). ``country_table`` defaults to ``connectivity.for_year(year)``.
    """
    from p2c_analysis import connectivity, countries, gaps

    ct = connectivity.for_year(year) if country_table is None else country_table
    groups = list(priority_groups)
    rows = gaps.target_rows(pledges, year=year, memberships=memberships)
    memory.release()
    pos = rows.pos
    n = len(pledges)
    pop_map = pd.Series(pd.to_numeric(ct["population"], errors="coerce").to_numpy(float),
                        index=ct["iso3"].astype(str))
    off_map = pd.Series(pd.to_numeric(ct["offline"], errors="coerce").to_numpy(float),
                        index=ct["iso3"].astype(str))
    cats = rows.iso3.categories.astype(str)
    codes = np.asarray(rows.iso3.codes)
    # per country code first (a few hundred), then one lookup per row: rows are many
    pop_k = pop_map.reindex(cats).to_numpy(float)
    off_k = off_map.reindex(cats).to_numpy(float)
    both_k = np.isfinite(pop_k) & np.isfinite(off_k)
    tpop = np.bincount(pos, weights=np.where(both_k, pop_k, 0.0)[codes], minlength=n)
    toff = np.bincount(pos, weights=np.where(both_k, off_k, 0.0)[codes], minlength=n)
    has = np.bincount(pos, weights=both_k.astype(float)[codes], minlength=n) > 0
    pseudo_k = cats.isin([voc.GLOBAL_ISO3, voc.UNSTATED_ISO3]).astype(float)
    is_pseudo = np.bincount(pos, weights=pseudo_k[codes], minlength=n) > 0
    tpop = np.where(has & ~is_pseudo, tpop, np.nan)
    toff = np.where(has & ~is_pseudo, toff, np.nan)
    ok = np.isfinite(pop_map.to_numpy()) & np.isfinite(off_map.to_numpy())
    world = off_map.to_numpy()[ok].sum() / pop_map.to_numpy()[ok].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = toff / tpop
    # priority groups: named countries, or a named group label
    members = set()
    for g in groups:
        members |= set(memberships[g]) if memberships and g in memberships else \
            set(countries.members(g, as_of=year))
    in_group_k = np.asarray(cats.isin(list(members)))
    named_rows = (np.asarray(rows.via.codes) == 0) & in_group_k[codes]  # via "country"
    named = np.bincount(pos, weights=named_rows.astype(float), minlength=n) > 0
    regions = pledges["target_regions"].tolist()
    lens = np.fromiter(map(len, regions), dtype=np.int64, count=n) if n else \
        np.zeros(0, np.int64)
    flat = pd.Series([r for cell in regions for r in cell], dtype="object")
    label_hit = np.bincount(np.repeat(np.arange(n), lens), weights=flat.isin(groups)
                            .to_numpy(float), minlength=n) > 0 if len(flat) else \
        np.zeros(n, dtype=bool)
    return pd.DataFrame({
        "pledge_id": _str_col(pledges["pledge_id"]),
        "targets_priority_group": named | label_hit,
        "target_population": tpop,
        "target_offline": toff,
        "offline_rate": rate,
        "offline_rate_ratio": rate / world,
    })


# --- ingredients ---------------------------------------------------------------------------------

def pledge_positions(pledges: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Row positions in ``pledges`` of the ``pledge_id`` values ``ids`` (e.g. the
    ``pledge_id`` column of ``gaps.explode_targets``, in the table's own dtype)."""
    return pd.Index(pledges["pledge_id"]).get_indexer(ids).astype(np.int64)


def _str_col(col: pd.Series) -> pd.api.extensions.ExtensionArray:
    """A column as a pandas ``string`` array (no copy when it already is one)."""
    return col.astype(pd.StringDtype()).array


def _lens(col: pd.Series) -> np.ndarray:
    """Lengths of list cells (0 for a missing cell)."""
    cells = col.tolist()
    if cells and set(map(type, cells)) == {list}:
        return np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    return np.fromiter((len(c) if isinstance(c, list | tuple) else 0 for c in cells),
                       dtype=np.int64, count=len(cells))


TEXT_SLICE_ROWS = 100_000  # texts are matched this many pledges at a time (memory)


def _text_matches(pledges: pd.DataFrame, col: str,
                  patterns: Sequence[str]) -> list[np.ndarray]:
    """For each regex of ``patterns``: bool per pledge, the examined part of text column
    ``col`` matches it (False for a missing cell or column). Texts are read a slice of
    :data:`TEXT_SLICE_ROWS` pledges at a time, so no copy of the whole column is made."""
    n = len(pledges)
    out = [np.zeros(n, dtype=bool) for _ in patterns]
    if col not in pledges.columns:
        return out
    for start in range(0, n, TEXT_SLICE_ROWS):
        part = pledges[col].iloc[start:start + TEXT_SLICE_ROWS]
        arr = deliverables.examined(deliverables.text_array(part))[0]
        for hit, pattern in zip(out, patterns, strict=True):
            hit[start:start + len(part)] = _matches(arr, pattern)
    return out


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)


def ingredients(
    pledges: pd.DataFrame,
    year: int = LATEST_YEAR,
    evidence: Iterable[str] | None = None,
    rubric: Rubric | None = None,
    extraction: deliverables.Extraction | None = None,
    relevance_table: pd.DataFrame | None = None,
    **relevance_kwargs,
) -> pd.DataFrame:
    """The ingredient matrix: one bool column per rule of :data:`INGREDIENTS`, one row per
    pledge (index of ``pledges``). ``evidence``: pledge ids with public evidence of progress.
    ``extraction`` (from :func:`deliverables.extract`) and ``relevance_table`` (from
    :func:`relevance`) are computed when not given; ``relevance_kwargs`` go to
    :func:`relevance` (``country_table``, ``memberships``)."""
    r = load_rubric() if rubric is None else rubric
    p = values.ensure_value_basis(pledges)
    ex = deliverables.extract(p) if extraction is None else extraction
    rel = relevance(p, year, priority_groups=r.priority_groups, **relevance_kwargs) \
        if relevance_table is None else relevance_table
    n_del = ex.per_pledge["deliverables"].to_numpy() > 0
    words_in_title, period_in_title = _text_matches(
        p, "title", [deliverables.patterns().units_in_text, PERIOD_PATTERN])
    (period_in_description,) = _text_matches(p, "description", [PERIOD_PATTERN])
    value = pd.to_numeric(p["estimated_value_usd"], errors="coerce").notna().to_numpy()
    ptype = p["pledge_type"].astype("string").fillna(UNKNOWN).to_numpy()
    ratio = rel["offline_rate_ratio"].to_numpy(float)
    ev = set(map(str, evidence)) if evidence is not None else set()
    out = pd.DataFrame({
        "focus_area": _lens(p["focus_areas"]) > 0,
        "target_geography": (_lens(p["target_countries"]) + _lens(p["target_regions"])) > 0,
        "named_deliverable": n_del | words_in_title,
        "quantity": n_del,
        "value": value,
        "in_kind_resource": (p["value_basis"].astype("string") == "in_kind").fillna(False)
        .to_numpy(bool) | (ptype == "In-kind"),
        "target_year": p["target_year"].notna().to_numpy(),
        "stated_period": p["value_years"].notna().to_numpy() | period_in_title
        | period_in_description,
        "priority_group": rel["targets_priority_group"].to_numpy(bool),
        "offline_ratio": np.nan_to_num(ratio, nan=0.0) > r.offline_rate_ratio_above,
        "source_url": p["source_url"].notna().to_numpy(),
        "reporting_record": pd.to_datetime(p["last_report_date"]).notna().to_numpy(),
        "public_evidence": p["pledge_id"].astype(str).isin(ev).to_numpy(),
    }, index=pledges.index)
    return out[list(INGREDIENTS)]


# --- scores --------------------------------------------------------------------------------------

@dataclass
class Scores:
    """What :func:`score` computed: ``table`` (the ``pledge_scores`` table),
    ``ingredients`` (bool matrix, one row per pledge), ``rubric``, ``pledges`` (as scored)."""

    table: pd.DataFrame
    ingredients: pd.DataFrame
    rubric: Rubric
    pledges: pd.DataFrame


def _points(ing: pd.DataFrame, rubric: Rubric, drop: str | None = None,
            force: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(points per criterion [pledges x criteria], score 0-100) with criterion ``drop`` left
    out (weights renormalised) and the ``force`` ingredients taken as met."""
    forced = set(force)
    pts, weights = [], []
    for c in rubric.criteria:
        m = np.column_stack([np.ones(len(ing), dtype=bool) if i in forced
                             else ing[i].to_numpy(bool) for i in c.ingredients])
        got = m.mean(axis=1) if c.mode == "share" else m.any(axis=1).astype(float)
        pts.append(c.weight * got)
        weights.append(0.0 if c.name == drop else c.weight)
    pts_arr = np.column_stack(pts)
    w = np.array(weights)
    score = 100.0 * (pts_arr * (w > 0)).sum(axis=1) / w.sum()
    return pts_arr, score


def _index(score: np.ndarray, rubric: Rubric) -> pd.Categorical:
    cats = rubric.categories
    conds = [score >= m - 1e-9 for _, m in rubric.index]
    codes = np.select(conds, list(range(len(cats))), default=len(cats) - 1)
    return pd.Categorical.from_codes(codes, categories=cats, ordered=True)


def _reasons(ing: pd.DataFrame, pts: np.ndarray, rubric: Rubric) -> pd.Categorical:
    """One text per pledge (a Categorical: each distinct text stored once): each criterion's
    points and which ingredients earned them. Built once per distinct combination."""
    names = list(ing.columns)
    bits = ing.to_numpy(bool)
    key = bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    texts = []
    for row in first:
        met = dict(zip(names, bits[row], strict=True))
        parts = []
        for j, c in enumerate(rubric.criteria):
            have = [i for i in c.ingredients if met[i]]
            lack = [i for i in c.ingredients if not met[i]]
            got = pts[row, j]
            what = ", ".join(f"+{i}" for i in have) if have else "none"
            miss = "; missing " + ", ".join(lack) if lack and (c.mode == "share" or not have) \
                else ""
            parts.append(f"{c.name} {got:g}/{c.weight:g} ({what}{miss})")
        texts.append("; ".join(parts))
    cats = pd.Index(pd.array(texts, dtype="string")).unique()
    return pd.Categorical.from_codes(cats.get_indexer(texts)[inv.ravel()], categories=cats)


SCORE_BASE_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "pledger", "stakeholder_type", "score", "index", "index_trackable",
    "reasons",
)


def score(
    pledges: pd.DataFrame,
    year: int = LATEST_YEAR,
    evidence: Iterable[str] | None = None,
    rubric: str | Path | Rubric | None = None,
    extraction: deliverables.Extraction | None = None,
    **relevance_kwargs,
) -> Scores:
    """Score every pledge with the rubric (analysis year ``year`` for LDC/LLDC/SIDS
    membership and offline people; ``evidence`` = pledge ids with public evidence of progress).

    ``Scores.table`` (the ``pledge_scores`` table) has columns :data:`SCORE_BASE_COLUMNS`
    (``score`` 0-100, ``index`` an ordered Categorical of the rubric's categories,
    ``index_trackable`` = index in ``trackable_categories``, ``reasons`` = each criterion's
    points and the ingredients behind them, e.g. ``"specific 0.667/1 (+focus_area,
    +target_geography; missing named_deliverable); ..."``), then one column per criterion
    (points earned, 0..weight), then ``deliverables`` (count), ``offline_rate_ratio`` and
    ``value_basis``. One row per pledge, input order.
    """
    r = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    p = values.ensure_value_basis(pledges)
    ex = deliverables.extract(p) if extraction is None else extraction
    memory.release()
    rel = relevance(p, year, priority_groups=r.priority_groups, **relevance_kwargs)
    ing = ingredients(p, year, evidence, r, ex, rel)
    pts, sc = _points(ing, r)
    idx = _index(sc, r)
    table = pd.DataFrame({
        "pledge_id": _str_col(p["pledge_id"]),
        "title": _str_col(p["title"]),
        "pledger": _str_col(p["pledger"]),
        "stakeholder_type": _str_col(p["stakeholder_type"]),
        "score": np.round(sc, 1),
        "index": idx,
        "index_trackable": np.isin(np.asarray(idx.astype(str)), r.trackable_categories),
        "reasons": _reasons(ing, pts, r),
    })
    for j, c in enumerate(r.criteria):
        table[c.name] = np.round(pts[:, j], 3)
    table["deliverables"] = ex.per_pledge["deliverables"].to_numpy()
    table["offline_rate_ratio"] = rel["offline_rate_ratio"].to_numpy(float)
    table["value_basis"] = _str_col(p["value_basis"])
    return Scores(table, ing.reset_index(drop=True), r, p.reset_index(drop=True))


def pledge_scores(pledges: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """The ``pledge_scores`` table (:func:`score` ``.table``)."""
    return score(pledges, **kwargs).table


# --- views ---------------------------------------------------------------------------------------

#: ``distribution(scores, "all")``: one row, every pledge (``category = "all pledges"``).
ALL_PLEDGES_DIMENSION = "all"
ALL_PLEDGES = "all pledges"


def _group_members(label: str, year: int,
                   memberships: Mapping[str, Iterable[str]] | None) -> list[str]:
    from p2c_analysis import countries

    if memberships is not None and label in memberships:
        return sorted(map(str, memberships[label]))
    return countries.members(label, as_of=year)


def _category_long(scores: Scores, by: str, year: int, groups: Iterable[str] | None,
                   memberships: Mapping[str, Iterable[str]] | None = None
                   ) -> tuple[np.ndarray, pd.Series]:
    """(pledge positions, category) pairs for one dimension: a pledge with several categories
    counts in each."""
    p = scores.pledges
    n = len(p)
    if by == ALL_PLEDGES_DIMENSION:
        return np.arange(n), pd.Series(np.full(n, ALL_PLEDGES, dtype=object), dtype="object")
    if by == "target_group":
        from p2c_analysis import gaps

        tr = gaps.target_rows(p, year=year, memberships=memberships)
        pos = tr.pos
        labels = list(STANDARD_GROUPS if groups is None else groups)
        pos_out, cat_out = [], []
        economy = ~np.asarray(tr.iso3.isin(list(voc.PSEUDO_LABELS)))
        for g in labels:
            # World: every economy a pledge reaches, also one outside the WDI list (Niue), as
            # in gaps.coverage_by_group; other groups: their members
            member = economy if g == gaps.WORLD and (memberships is None or g not in memberships) \
                else np.asarray(tr.iso3.isin(_group_members(g, year, memberships)))
            hit = np.unique(pos[member])
            pos_out.append(hit)
            cat_out.append(np.full(len(hit), g, dtype=object))
        for iso_code, label in voc.PSEUDO_LABELS.items():
            hit = np.unique(pos[np.asarray(tr.iso3 == iso_code)])
            pos_out.append(hit)
            cat_out.append(np.full(len(hit), label, dtype=object))
        return np.concatenate(pos_out), pd.Series(np.concatenate(cat_out), dtype="object")
    if by not in p.columns:
        raise KeyError(f"distribution: no column {by!r} in the pledge table")
    cells = p[by].tolist()
    if cells and any(isinstance(c, list | tuple) for c in cells):
        items = [list(c) if isinstance(c, list | tuple) and len(c) else [NOT_STATED]
                 for c in cells]
        lens = np.fromiter(map(len, items), dtype=np.int64, count=n)
        return (np.repeat(np.arange(n), lens),
                pd.Series([x for it in items for x in it], dtype="object"))
    cat = p[by].astype("object").where(p[by].notna(), UNKNOWN)
    return np.arange(n), pd.Series(cat.to_numpy(), dtype="object")


_ORDER: dict[str, tuple[str, ...]] = {
    "stakeholder_type": (*voc.STAKEHOLDER_TYPES, UNKNOWN),
    "focus_areas": (*voc.FOCUS_AREAS, NOT_STATED),
    "pledge_type": (*voc.PLEDGE_TYPES, UNKNOWN),
}


def trackable_spread_text(table: pd.DataFrame, what: str = "stakeholder type") -> str:
    """The sentence on how the share of trackable pledges varies over the rows of a
    :func:`distribution` by one dimension (``what`` names it): lowest and highest share, each
    with its category and pledges; when every row shows the same share (as printed, to 0.1
    percentage points), that share once, not "from 100.0% (A) to 100.0% (A)". Plain text for
    the caller to escape; ``trackable_pct`` NaN rows (no pledge) are left out."""
    from p2c_analysis import style
    from p2c_analysis.report import both_or_all, list_text, of_the, plural

    t = table.dropna(subset=["trackable_pct"])
    if t.empty:
        return f"There is no pledge to compare by {what}."

    def item(row: pd.Series) -> str:
        return f"{row['category']}, {plural(int(row['pledges']), 'pledge')}"

    def named(row: pd.Series) -> str:
        return f"{row['category']} ({plural(int(row['pledges']), 'pledge')})"

    if len(t) == 1:  # "The one pledge (...) is trackable.", "Both pledges are of one ..."
        row = t.iloc[0]
        n, pct = int(row["pledges"]), float(row["trackable_pct"])
        if n == 1:
            return (f"The one pledge ({what}: {row['category']}) "
                    f"{'is' if pct > 0 else 'is not'} trackable.")
        share = ("none of them is" if pct == 0 else f"they are {both_or_all(n)}"
                 if pct == 100 else f"{style.fmt_pct(pct)} of them are")
        who = of_the(n, n, "pledge")
        return (f"{capitalised(who)} are of one {what} ({row['category']}): "
                f"{share} trackable.")
    lo, hi = t.loc[t["trackable_pct"].idxmin()], t.loc[t["trackable_pct"].idxmax()]
    if style.fmt_pct(lo["trackable_pct"]) == style.fmt_pct(hi["trackable_pct"]):
        return (f"Every {what} has the same share of trackable pledges, "
                f"{style.fmt_pct(hi['trackable_pct'])}: "
                f"{list_text(named(row) for _, row in t.iterrows())}.")
    shown = t["trackable_pct"].map(style.fmt_pct)

    def at(end: pd.Series) -> str:  # every row sharing the lowest (highest) share is named
        pct = style.fmt_pct(end["trackable_pct"])
        return f"{pct} ({'; '.join(item(row) for _, row in t[shown == pct].iterrows())})"

    return f"By {what}, the share of trackable pledges ranges from {at(lo)} to {at(hi)}."


def distribution(scores: Scores, by: str = "stakeholder_type", year: int = LATEST_YEAR,
                 groups: Iterable[str] | None = None,
                 memberships: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Scores and index categories by one dimension.

    ``by``: ``"all"`` (one row ``"all pledges"``), a pledge column (``"stakeholder_type"``,
    ``"focus_areas"``, ``"pledge_type"``, ...; a list column counts a pledge once in each of its
    items, empty = "none stated") or
    ``"target_group"`` (a pledge counts in each standard group, as of ``year``, holding at least
    one economy it reaches, :func:`gaps.reaching`; "World" holds every economy, also one
    outside the WDI list such as Niue; then "Global (unallocated)" and "Targets not stated
    (unallocated)"; ``groups`` overrides the labels, ``memberships`` their members). Columns
    ``dimension, category, pledges,
    mean_score, median_score``, one column per index category (pledges), ``trackable_pct``
    (share of the row's pledges whose index is trackable). Rows in vocabulary order for
    stakeholder types, focus areas and pledge types, group order for target groups;
    categories with no pledge are left out, except :data:`ALL_PLEDGES`, always there (with no
    pledge: counts 0, mean, median and ``trackable_pct`` NaN).
    """
    pos, cat = _category_long(scores, by, year, groups, memberships)
    t = scores.table
    df = pd.DataFrame({"category": cat.to_numpy(), "score": t["score"].to_numpy()[pos],
                       "index": t["index"].astype(str).to_numpy()[pos],
                       "trackable": t["index_trackable"].to_numpy()[pos]})
    g = df.groupby("category", sort=False)
    out = pd.DataFrame({"pledges": g.size(), "mean_score": g["score"].mean(),
                        "median_score": g["score"].median()})
    counts = pd.crosstab(df["category"], df["index"]).reindex(
        index=out.index, columns=scores.rubric.categories, fill_value=0)
    out = out.join(counts.astype("int64"))
    out["trackable_pct"] = 100.0 * g["trackable"].mean()
    if by == "all":  # its one row, also for a table of no pledge
        out = out.reindex([ALL_PLEDGES])
        counted = ["pledges", *scores.rubric.categories]
        out[counted] = out[counted].fillna(0).astype("int64")
    known = _ORDER.get(by)
    if known is not None:  # the vocabulary's order, then anything else
        out = out.reindex([c for c in known if c in out.index]
                          + [c for c in out.index if c not in known])
    out.insert(0, "dimension", by)
    out.index.name = "category"
    out = out.reset_index()
    out["pledges"] = out["pledges"].astype("int64")
    return out


def sensitivity(scores: Scores) -> pd.DataFrame:
    """The index distribution with all criteria, then with each criterion dropped in turn (its
    weight removed, scores renormalised over the others, same thresholds).

    Columns ``dropped`` ("none", then each criterion name), one column per index category
    (pledges), ``trackable`` (pledges with a trackable index), ``pledges_changed`` (pledges
    whose category differs from "none"), ``moved_up`` / ``moved_down`` (of them, to a higher /
    lower category).
    """
    r = scores.rubric
    base = _index(_points(scores.ingredients, r)[1], r)
    rows = []
    for drop in [None, *(c.name for c in r.criteria)]:
        idx = base if drop is None else _index(_points(scores.ingredients, r, drop)[1], r)
        counts = pd.Series(idx).value_counts().reindex(r.categories, fill_value=0)
        up = (idx.codes < base.codes).sum()  # categories are listed highest first
        down = (idx.codes > base.codes).sum()
        rows.append({"dropped": drop or "none", **counts.astype("int64").to_dict(),
                     "trackable": int(np.isin(np.asarray(idx.astype(str)),
                                              r.trackable_categories).sum()),
                     "pledges_changed": int(up + down), "moved_up": int(up),
                     "moved_down": int(down)})
    return pd.DataFrame(rows)


def _count_or_none(k: int) -> str:
    """A count as the subject of a clause: ``"none"`` for 0, else the number ("1,234")."""
    from p2c_analysis import style

    return "none" if k == 0 else style.fmt_int(k)


def categories_text(counts: Mapping[str, int]) -> str:
    """The index categories that hold pledges, in the order given, with their counts:
    ``{"High": 0, "Upper-moderate": 2, "Low": 1} -> "2 Upper-moderate and 1 Low"`` (plain
    text, not escaped; categories holding none are left out, not said "0 High"); ``"none"``
    when no category holds a pledge."""
    from p2c_analysis import report, style

    return report.list_text(f"{style.fmt_int(k)} {c}" for c, k in counts.items() if int(k))


def overall_text(n: int, counts: Mapping[str, int], trackable: int, trackable_pct: float,
                 mean: float, median: float) -> Markdown:
    """The sentence on the scores of all ``n`` pledges: the index categories holding pledges
    (``counts``, :func:`categories_text`), how many are ``trackable`` and their share, the
    mean and median score (said once when they are the same). "Of the 3 pledges, 1 High and 2
    Lower-moderate: **1 is trackable** (33.3%) ...", not "Of the 3 pledges, 1 High, 0
    Upper-moderate, 2 Lower-moderate and 0 Low: 1 are trackable"; one category holding them
    all: "Both pledges are Lower-moderate: **none is trackable**", "All 4 pledges are
    Upper-moderate: **all are trackable**", not "Of the 4 pledges, 4 Upper-moderate: 4 are
    trackable"; one pledge reads "The pledge
    scores 40.0, in index category Lower-moderate: **it is not trackable**.", not "Of the 1
    pledge, 1 Lower-moderate: none is trackable (0.0%). The mean score is 40.0, the median
    40.0"."""
    from p2c_analysis import report, style

    if n == 0:
        return report.say("There is no pledge, so no index category, trackable share or mean "
                          "score.")
    mean_text, median_text = style.fmt_ratio(mean, 1), style.fmt_ratio(median, 1)
    if n == 1:  # not "Of the 1 pledge, 1 High: 1 is trackable (100.0%). The mean score is ..."
        return report.say("The pledge scores {score}, in index category {cat}: **it is{nt} "
                          "trackable**.", score=mean_text, nt="" if trackable else " not",
                          cat=next(c for c, k in counts.items() if int(k)))
    held = [c for c, k in counts.items() if int(k)]
    # one category holding every pledge: "All 4 pledges are Upper-moderate", not "Of the 4
    # pledges, 4 Upper-moderate"; every pledge trackable: "all are", not "4 are trackable"
    every = report.of_the(n, n, "pledge")
    who = report.both_or_all(n) if trackable == n else _count_or_none(trackable)
    return report.say(
        ("{every} are {cat}" if len(held) == 1 else "Of the {n:~pledge}, {counts}")
        + ": **{who} {t:#is|are|is} trackable** ({pct}). "
        + ("The mean and the median score are both {mean}." if mean_text == median_text else
           "The mean score is {mean}, the median {median}."),
        n=n, counts=categories_text(counts), who=who, t=trackable, cat=held[0],
        every=capitalised(every), pct=style.fmt_pct(trackable_pct), mean=mean_text,
        median=median_text)


def sensitivity_text(sens: pd.DataFrame, rubric: Rubric) -> Markdown:
    """The sentence over a :func:`sensitivity` table ``sens`` (columns as it returns them,
    ``trackable`` included): how many pledges are trackable with every criterion of ``rubric``
    and with one left out, and which criterion left out moves the most pledges, with only the
    directions that hold pledges. "With every criterion, no pledge is trackable. ... (1 up).",
    not "0 pledges are trackable ... (1 up, 0 down)"; "With every criterion, and whichever one is
    left out, the pledge is trackable.", not "1 pledge is trackable. Leaving one criterion out
    gives 1 whichever is left out"; "...; with one left out, from 1 to 3, depending on which",
    not "gives between 1 and 3"; every pledge trackable: "all 7 pledges are trackable", not "7
    pledges are"."""
    from IPython.display import Markdown

    from p2c_analysis import report, style

    base, rest = sens.iloc[0], sens.iloc[1:]
    n = int(base[list(rubric.categories)].sum())
    if n == 0:
        return report.say("There is no pledge to score with a criterion left out.")
    lo, hi = int(rest["trackable"].min()), int(rest["trackable"].max())
    k = int(rest["pledges_changed"].max()) if len(rest) else 0
    if k:  # every criterion tied for the most moves is named, not the first in rubric order
        labels = rubric.criterion_labels
        tops = rest[rest["pledges_changed"] == k]

        def moves(row: pd.Series) -> str:
            if n == 1:
                return "up" if int(row["moved_up"]) else "down"
            return report.list_text(f"{style.fmt_int(int(row[c]))} {d}" for c, d in
                                    (("moved_up", "up"), ("moved_down", "down")) if int(row[c]))

        each = [(report.say("**{c}**", c=labels.get(r["dropped"], r["dropped"])).data, moves(r))
                for _, r in tops.iterrows()]
        same = len({m for _, m in each}) == 1
        who = report.list_text((c for c, _ in each), conjunction="or")
        if n == 1:  # not "1 (1 up)" of the one pledge
            changed = (f"Leaving out {who} moves the pledge {each[0][1]}." if same else
                       "Leaving out " + "; leaving out ".join(
                           f"{c} moves the pledge {m}" for c, m in each) + ".")
        elif len(each) == 1:
            changed = (f"Leaving out {who} changes the category of the most pledges: "
                       f"{style.fmt_int(k)} ({each[0][1]}).")
        else:
            how = (f"{each[0][1]} each" if same else
                   "; ".join(f"{c}: {m}" for c, m in each))
            changed = (f"Leaving out {who} changes the category of the most pledges, "
                       f"{style.fmt_int(k)} with {'either' if len(each) == 2 else 'any'} "
                       f"({how}).")
    else:
        changed = "No pledge changes category."
    t = int(base["trackable"])
    if n == 1:  # "the pledge is trackable", not "1 pledge is"
        who, other = f"the pledge is{'' if t else ' not'} trackable", \
            ("it is" if hi else "it is not") if lo == hi else "it is or is not, depending on which"
    else:
        # every pledge: "all 7 pledges are trackable", "with any left out, both are"
        who = (f"{report.of_the(n, n, 'pledge')} are trackable" if t == n else
               report.say("{t:~pledge|pledges|no pledge} {t:#is|are|is} trackable", t=t).data)
        other = (f"from {style.fmt_int(lo)} to {style.fmt_int(hi)}, depending on which"
                 if lo != hi else f"{report.both_or_all(n)} are" if hi == n else
                 f"{_count_or_none(hi)} {'is' if hi == 1 else 'are'}" if hi else "none is")
    lead = (f"With every criterion, and whichever one is left out, {who}. " if lo == hi == t
            else f"With every criterion, {who}; with {'any' if lo == hi else 'one'} left out, "
                 f"{other}. ")
    return Markdown(lead + changed)


CRITERIA_COLUMNS: tuple[str, ...] = (
    "criterion", "criterion_label", "criterion_weight", "pledges_full", "pledges_partial",
    "pledges_none",
)


def criteria_summary(scores: Scores) -> pd.DataFrame:
    """How often each criterion is met: one row per criterion in rubric order, columns
    :data:`CRITERIA_COLUMNS` (``pledges_full``: pledges earning the criterion's whole weight,
    ``pledges_partial``: some of it, a ``share`` criterion only; ``pledges_none``: none)."""
    t = scores.table
    rows = []
    for c in scores.rubric.criteria:
        pts = t[c.name].to_numpy(float)
        full = np.isclose(pts, c.weight)
        none = pts <= 0
        rows.append({"criterion": c.name, "criterion_label": c.label, "criterion_weight": c.weight,
                     "pledges_full": int(full.sum()), "pledges_partial": int((~full & ~none).sum()),
                     "pledges_none": int(none.sum())})
    return pd.DataFrame(rows, columns=list(CRITERIA_COLUMNS))


def missed_most_text(crit: pd.DataFrame, n_pledges: int, rubric: Rubric) -> Markdown:
    """The sentence over a :func:`criteria_summary` table ``crit`` of ``n_pledges`` pledges:
    the criteria that the most pledges earn no point on, every one of them when several tie
    (not the first in rubric order alone: "Measurable" named, "Resource-based" and
    "Trackable", missed by as many, left out), each with what it checks (the labels of its
    ingredients), so that the criterion "Trackable" is not read as the trackability index."""
    from IPython.display import Markdown

    from p2c_analysis import report

    if n_pledges == 0:
        return report.say("There is no pledge to check against the criteria.")
    most = int(crit["pledges_none"].max()) if len(crit) else 0
    if most == 0:
        return report.say("No pledge misses a criterion entirely.")
    ings = {c.name: c.ingredients for c in rubric.criteria}

    def one(name: str, label: str) -> str:  # "Relevant (where ...; what it checks)"
        what = report.list_text((INGREDIENT_LABELS.get(i, i) for i in ings.get(name, ())),
                                conjunction="or")
        base, _, inner = label.partition(" (")
        inner = inner[:-1] + "; " if inner.endswith(")") else ""
        return report.say("**{base}** ({inner}{what})", base=base if inner else label,
                          inner=inner, what=what).data

    named = report.list_text(one(row.criterion, row.criterion_label)
                             for row in crit[crit["pledges_none"] == most].itertuples())
    k = int((crit["pledges_none"] == most).sum())
    who = report.of_the(most, n_pledges, "pledge")
    verb = "earns" if most == 1 else "earn"
    if k == 1:
        return Markdown(f"The criterion missed most often is {named}: {who} {verb} no point on "
                        "it.")
    return Markdown(f"The criteria missed most often are {named}: {who} {verb} no point on "
                    f"{'either' if k == 2 else 'any'} of them.")


ONE_FIELD_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "pledger", "score", "index", "missing_field", "criteria",
    "score_if_added", "index_if_added",
)


def one_field_away(scores: Scores) -> pd.DataFrame:
    """Pledges not trackable now that would be with one more field (the rubric's
    ``one_more_field`` list: e.g. only the target year missing). One row per (pledge, field)
    that would do it; columns :data:`ONE_FIELD_COLUMNS` (``criteria``: the criteria the field
    would add points to), sorted by pledge then the score it would reach (highest first)."""
    r = scores.rubric
    t = scores.table
    now = t["index_trackable"].to_numpy(bool)
    ing = scores.ingredients
    rows = []
    for fld, ings in r.one_more_field:
        pts, sc = _points(ing, r, force=ings)
        idx = _index(sc, r)
        ok = np.isin(np.asarray(idx.astype(str)), r.trackable_categories) & ~now
        missing = ~ing[list(ings)].to_numpy(bool).all(axis=1)
        sel = np.flatnonzero(ok & missing)
        crits = ", ".join(c.name for c in r.criteria if set(c.ingredients) & set(ings))
        for i in sel:
            rows.append({"pos": i, "pledge_id": t["pledge_id"].iloc[i],
                         "title": t["title"].iloc[i], "pledger": t["pledger"].iloc[i],
                         "score": t["score"].iloc[i], "index": str(t["index"].iloc[i]),
                         "missing_field": fld, "criteria": crits,
                         "score_if_added": round(float(sc[i]), 1),
                         "index_if_added": str(idx[i])})
    out = pd.DataFrame(rows, columns=["pos", *ONE_FIELD_COLUMNS])
    out = out.sort_values(["pos", "score_if_added"], ascending=[True, False], kind="stable")
    out = out.drop(columns="pos").reset_index(drop=True)
    for col in ("pledge_id", "title", "pledger", "missing_field", "criteria"):
        out[col] = out[col].astype("string")
    cats = r.categories
    for col in ("index", "index_if_added"):
        out[col] = pd.Categorical(out[col], categories=cats, ordered=True)
    return out


def field_label(name: str) -> str:
    """How a field of the rubric's ``one_more_field`` list reads in prose and tables: a field of
    the canonical pledge table by its report label (:func:`metrics.label`, the column header
    :func:`report.show_table` shows) with a lower-case first letter and without a unit in
    brackets: ``"target_year" -> "target year"``, ``"estimated_value_usd" -> "estimated
    value"``, ``"last_report_date" -> "last report"``; any other name (already prose: "a
    quantified deliverable in the description") as it is."""
    from p2c_analysis import metrics
    from p2c_analysis.fields import FIELDS_BY_NAME

    if name not in FIELDS_BY_NAME:
        return name
    text = re.sub(r"\s*\([^)]*\)$", "", metrics.label(name)).strip()
    return text[:1].lower() + text[1:]


def one_field_away_shown(away: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """The :func:`one_field_away` table ``away`` as a report shows it: ``missing_field`` by
    :func:`field_label` ("target year", not "target_year") and ``criteria`` by the labels of
    ``rubric``'s criteria ("Specific, Measurable", not "specific, measurable"); the table
    written as CSV keeps the names."""
    labels = rubric.criterion_labels

    def crits(text: object) -> object:
        if pd.isna(text):
            return text
        return ", ".join(labels.get(c.strip(), c.strip()) for c in str(text).split(","))

    return away.assign(missing_field=away["missing_field"].map(field_label, na_action="ignore"),
                       criteria=away["criteria"].map(crits)).astype(
        {"missing_field": "string", "criteria": "string"})


def one_field_away_text(n_pledges: int, n_trackable: int, away: pd.DataFrame) -> Markdown:
    """The sentence over the :func:`one_field_away` table ``away`` (Markdown from trusted
    text only: counts, the rubric's fields by their labels, :func:`field_label`): how many of
    the ``n_pledges`` pledges are not trackable, how many of those one more field would make
    trackable and which fields would do it. When every pledge is trackable, or none is one
    field away, it says so instead of "0 pledges are not trackable; 0 of them would be with one
    more field stated. Fields that would do it ...: none"."""
    from IPython.display import Markdown

    return Markdown(_one_field_away_sentence(n_pledges, n_trackable, away))


def _one_field_away_sentence(n_pledges: int, n_trackable: int, away: pd.DataFrame) -> str:
    """The text of :func:`one_field_away_text`."""
    from p2c_analysis import report

    if n_pledges == 0:
        return "There is no pledge, so none is one field away from trackable."
    if n_trackable == n_pledges:  # "Both pledges are", not "All 2 pledges are"
        every = report.of_the(n_pledges, n_pledges, "pledge")
        return ("The pledge is trackable: no field is missing to make it so." if n_pledges == 1
                else f"{capitalised(every)} are trackable: none is one field away.")
    nt = n_pledges - n_trackable
    lead = f"{report.plural(nt, 'pledge is', 'pledges are')} not trackable"
    k = int(away["pledge_id"].nunique())
    if k == 0:
        return (f"{lead}; one more field stated would not make it so." if nt == 1 else
                f"{lead}; none of them would be with one more field stated.")
    fields = away["missing_field"].value_counts()
    if k == 1:  # one pledge: "Any one of these fields would do it: ...", not "... lift: x (1)"
        named = report.list_text((field_label(f) for f in fields.index), conjunction="or")
        return (f"{lead}; **{'it' if nt == 1 else '1 of them'} would be with one more field "
                f"stated**. " + (f"The field that would do it: {named}." if len(fields) == 1
                                 else f"Any one of these fields would do it: {named}."))
    lifted = report.list_text(f"{field_label(f)} ({n:,})" for f, n in fields.items())
    of = "it" if nt == 1 else ("both" if nt == k == 2 else f"all {k:,}" if k == nt else
                                f"{k:,} of them")
    return (f"{lead}; **{of} would be with one more field stated**. "
            f"{'The field' if len(fields) == 1 else 'Fields'} that would do it, with the number "
            f"of pledges each would lift: {lifted}.")


def rule_shown(rule: str, rubric: Rubric) -> str:
    """An ingredient's ``rule`` (the rubric file's words) as a report shows it: the rubric's
    relevance threshold by its value ("above 1 × the world's", not "above
    offline_rate_ratio_above x the world's"), a field of the pledge table by its label
    (:func:`field_label`: "value years", not "value_years") and a value basis by its label in
    quotes ("value basis 'in kind'", not "value_basis in_kind"). Only names with an
    underscore are read as names; other words stay as they are."""
    def word(m: re.Match) -> str:
        name = m.group(1)
        if name == "offline_rate_ratio_above":
            return f"{rubric.offline_rate_ratio_above:g}{' ×' if m.group(2) else ''}"
        if name in values.BASIS_LABELS:
            return f"'{values.BASIS_LABELS[name]}'{m.group(2) or ''}"
        return f"{field_label(name)}{m.group(2) or ''}"

    return re.sub(r"\b([a-z]+(?:_[a-z]+)+)\b( x\b)?", word, rule)


def rubric_table_shown(table: pd.DataFrame, rubric: Rubric | None = None) -> pd.DataFrame:
    """The :func:`rubric_table` ``table`` as a report shows it: ``ingredient`` by its label
    (:data:`INGREDIENT_LABELS`: "target year", not "target_year") and ``rule`` in words
    (:func:`rule_shown`, ``rubric`` default the bundled one); the CSV keeps the names."""
    r = load_rubric() if rubric is None else rubric
    return table.assign(ingredient=table["ingredient"].map(
        lambda i: INGREDIENT_LABELS.get(i, i)).astype("string"),
        rule=table["rule"].map(lambda t: rule_shown(str(t), r)).astype("string"))


def sensitivity_shown(sens: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """The :func:`sensitivity` table ``sens`` as a report shows it: ``dropped`` by the
    criteria's labels ("Time-bound", not "time_bound") and its first row, "none", as "none
    (every criterion)"; the CSV keeps the names."""
    labels = {"none": "none (every criterion)", **rubric.criterion_labels}
    return sens.assign(dropped=sens["dropped"].map(lambda c: labels.get(c, c))
                       .astype("string"))


def rubric_table(rubric: Rubric | None = None) -> pd.DataFrame:
    """The rubric as a table for reports: one row per (criterion, ingredient), columns
    ``criterion, label, weight, mode, ingredient, rule, source, source_url``."""
    r = load_rubric() if rubric is None else rubric
    rows = [{"criterion": c.name, "label": c.label, "weight": c.weight, "mode": c.mode,
             "ingredient": i, "rule": r.ingredient_rules.get(i, INGREDIENTS[i]),
             "source": c.source, "source_url": c.source_url}
            for c in r.criteria for i in c.ingredients]
    return pd.DataFrame(rows)


# --- people the pledges aim to reach, beside people offline -------------------------------------

REACH_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "pledger", "targets", "people_connected", "people_trained",
    "people_reached", "target_population", "target_offline", "connected_pct_of_offline",
)


def _targets_text(p: pd.DataFrame) -> np.ndarray:
    out = []
    for tc, tr in zip(p["target_countries"].tolist(), p["target_regions"].tolist(),
                      strict=True):
        items = list(tc) if isinstance(tc, list | tuple) and len(tc) else \
            list(tr) if isinstance(tr, list | tuple) else []
        out.append(", ".join(map(str, items)))
    return np.array(out, dtype=object)


def reach_vs_offline(
    pledges: pd.DataFrame,
    year: int = LATEST_YEAR,
    extraction: deliverables.Extraction | None = None,
    **relevance_kwargs,
) -> pd.DataFrame:
    """People each country or group pledge aims to reach, beside the people offline where it
    points. One row per pledge with named target countries or regions *and* at least one
    people deliverable; columns :data:`REACH_COLUMNS`. ``people_*`` are the largest quantity
    of each class the pledge states (NaN = none; never a sum of its deliverables);
    ``target_offline`` / ``target_population``: people offline / all people in its target
    countries in ``year``; ``connected_pct_of_offline`` = 100 x people_connected /
    target_offline. Each row is one pledge: pledges aiming at the same country may reach the
    same people, so rows must not be added up (see :func:`reach_by_group`)."""
    p = values.ensure_value_basis(pledges)
    ex = deliverables.extract(p) if extraction is None else extraction
    rel = relevance(p, year, **relevance_kwargs)
    per = ex.per_pledge
    people = per[["people_connected", "people_trained", "people_reached"]].to_numpy(float)
    named = (_lens(p["target_countries"]) + _lens(p["target_regions"])) > 0
    keep = named & np.isfinite(people).any(axis=1)
    off = rel["target_offline"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * people[:, 0] / off
    out = pd.DataFrame({
        "pledge_id": _str_col(p["pledge_id"]),
        "title": _str_col(p["title"]),
        "pledger": _str_col(p["pledger"]),
        "targets": pd.array(_targets_text(p), dtype="string"),
        "people_connected": people[:, 0], "people_trained": people[:, 1],
        "people_reached": people[:, 2],
        "target_population": rel["target_population"].to_numpy(float),
        "target_offline": off, "connected_pct_of_offline": pct,
    })
    return out.loc[keep].reset_index(drop=True)


def _target_names(text: object) -> object:
    """A :func:`reach_vs_offline` ``targets`` cell ("GHA, KEN") by the economies' short names
    ("Ghana, Kenya"); a region or group label, or a code no economy has, as it is."""
    from p2c_analysis import countries

    def name(code: str) -> str:
        try:
            return countries.country_name(code)
        except countries.UnknownCountryError:
            return code

    if pd.isna(text) or not str(text):
        return text
    return ", ".join(name(t.strip()) for t in str(text).split(","))


def reach_shown(reach: pd.DataFrame) -> pd.DataFrame:
    """The :func:`reach_vs_offline` table ``reach`` as a report shows it: ``targets`` by the
    economies' names ("Ghana", not "GHA"); the CSV keeps the ISO3 codes."""
    return reach.assign(targets=reach["targets"].map(_target_names).astype("string"))


def reach_text(reach: pd.DataFrame, year: int) -> str:
    """The sentence over the :func:`reach_vs_offline` table ``reach``: how many pledges state a
    number of people and name their targets, and the one whose people to connect are the
    largest share of the people offline in its own targets, its targets by name ("offline in
    Ghana", not "in GHA"). One such pledge is "The pledge's people to connect are ...", not
    "The largest share ...: ..." of one. Plain text (not escaped: pass through
    :func:`report.say`)."""
    from p2c_analysis import report, style

    k = len(reach)
    if k == 0:
        return "No pledge that names its targets states a number of people."
    lead = (f"{report.plural(k, 'pledge')} {'states' if k == 1 else 'state'} a number of people "
            f"and {'names its' if k == 1 else 'name their'} targets.")
    pct = reach["connected_pct_of_offline"]
    if not pct.notna().any():
        return lead
    top = reach.loc[pct.idxmax()]
    what = (f"{style.fmt_people(top['people_connected'])} people to connect, "
            f"{style.fmt_pct(top['connected_pct_of_offline'])} of the "
            f"{style.fmt_people(top['target_offline'])} offline in "
            f"{_target_names(top['targets'])} ({year})")
    if k == 1:
        return f"{lead[:-1]}: {top['pledger']}, {what}."
    return (f"{lead} The largest share of the people offline in its own targets: "
            f"{top['pledger']}, {what}.")


REACH_GROUP_COLUMNS: tuple[str, ...] = (
    "group", "offline", "pledges_within", "pledges_with_people_within",
    "largest_people_connected", "people_connected_sum_may_overlap", "pledges_partly_within",
    "note",
)
REACH_GROUP_NOTE = ("sum over pledges whose targets all lie in the group; pledges may reach "
                    "the same people, so the sum can count people more than once")


def reach_by_group(
    pledges: pd.DataFrame,
    groups: Iterable[str] | None = None,
    year: int = LATEST_YEAR,
    extraction: deliverables.Extraction | None = None,
    country_table: pd.DataFrame | None = None,
    memberships: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """People the pledges aim to connect, beside the people offline, per group.

    A pledge counts for a group when *all* its target countries (regions expanded as of
    ``year``) are members, so the people it names are in the group; pledges touching the
    group only partly are counted apart (``pledges_partly_within``) and add nothing; every
    pledge naming its targets is within ``"World"`` (a region's territories outside the WDI
    economies, such as Réunion in Sub-Saharan Africa, made Eutelsat's pledge "partly" in it).
    ``largest_people_connected`` is the largest single pledge; the sum
    (``people_connected_sum_may_overlap``) says in its name, and ``note`` in words, that
    pledges may overlap. Columns :data:`REACH_GROUP_COLUMNS`, one row per group
    (default :data:`STANDARD_GROUPS`).
    """
    from p2c_analysis import connectivity, gaps

    p = values.ensure_value_basis(pledges)
    ex = deliverables.extract(p) if extraction is None else extraction
    ct = connectivity.for_year(year) if country_table is None else country_table
    off_map = pd.Series(pd.to_numeric(ct["offline"], errors="coerce").to_numpy(float),
                        index=ct["iso3"].astype(str))
    tr = gaps.target_rows(p, year=year, memberships=memberships)
    named = np.asarray(tr.via.isin(["country", "region"]))
    pos, iso = tr.pos[named], tr.iso3[named]
    n = len(p)
    n_targets = np.bincount(pos, minlength=n)
    connected = ex.per_pledge["people_connected"].to_numpy(float)
    rows = []
    for g in (STANDARD_GROUPS if groups is None else groups):
        mem = _group_members(g, year, memberships)
        inside = np.bincount(pos, weights=np.asarray(iso.isin(mem), dtype=float), minlength=n)
        if g == "World":  # every place is in the world, territories the WDI lists or not
            inside = n_targets.astype(float)
        within = (n_targets > 0) & (inside == n_targets)
        partly = (inside > 0) & ~within
        sel = within & np.isfinite(connected)
        rows.append({
            "group": g, "offline": float(off_map.reindex(mem).sum(min_count=1)),
            "pledges_within": int(within.sum()), "pledges_with_people_within": int(sel.sum()),
            "largest_people_connected": float(connected[sel].max()) if sel.any() else np.nan,
            "people_connected_sum_may_overlap": float(connected[sel].sum()) if sel.any()
            else np.nan,
            "pledges_partly_within": int(partly.sum()), "note": REACH_GROUP_NOTE,
        })
    out = pd.DataFrame(rows, columns=list(REACH_GROUP_COLUMNS))
    out["group"] = out["group"].astype("string")
    out["note"] = out["note"].astype("string")
    return out


def headline(scores: Scores, one_field: pd.DataFrame,
             money: Mapping[str, float | int]) -> list[tuple[str, str]]:
    """The front-page cards of the ``pledge_quality`` report, ``(label, text)``: pledges scored in
    the rubric's top index category and trackable ones, each "k of n"; pledges one field from
    trackable (``one_field``: :func:`one_field_away`, a pledge may have several rows); USD
    stated / de-duplicated (``money``: :func:`values.headline_summary`). With no pledge every
    card reads :data:`style.NO_PLEDGE` (not "0 of 0", "n/a"); with pledges of which none
    states a value the USD card reads :data:`style.NONE_STATED`."""
    from p2c_analysis import style

    t, top = scores.table, scores.rubric.categories[0]
    labels = (f"Pledges scored {top}", "Trackable", "One field from trackable",
              "USD stated / de-duplicated")
    n = len(t)
    if n == 0:
        return [(label, style.NO_PLEDGE) for label in labels]
    usd = (style.NONE_STATED if not money["pledges_with_value"] else
           f"{style.fmt_usd(money['usd_stated'])} / {style.fmt_usd(money['usd_deduplicated'])}")
    return list(zip(labels, (
        f"{style.fmt_int(int(t['index'].astype(str).eq(top).sum()))} of {style.fmt_int(n)}",
        f"{style.fmt_int(int(t['index_trackable'].sum()))} of {style.fmt_int(n)}",
        style.fmt_int(int(one_field["pledge_id"].nunique())), usd), strict=True))
