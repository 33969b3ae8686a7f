"""Synthetic platform-scale pledges (every row carries ``is_synthetic=True``).

No bulk export of the P2C pledging platform is public: the coalition publishes headline
figures only (see :mod:`p2c_analysis.milestones`). :func:`make_pledges` generates a canonical
pledge table whose marginals follow those published figures, so that the analysis code can be
exercised, and benchmarked, at platform scale. The numbers are illustrative only: every report
built from this data must show :data:`SYNTHETIC_NOTICE`.

What comes from the published file (read through :func:`milestones.breakdown` /
:func:`milestones.headline`, data date :data:`milestones.BREAKDOWN_DATE`, 2023 Annual Report):

- pledges by stakeholder type (Government 470, Private sector 144 of 845) and their values
  (USD 9.7 bn, 24.46 bn of 36.78 bn);
- pledges by pledge type (Programmatic 389 of 845, USD 20.76 bn; the split of the other types
  follows the published shares of the new 2023 pledges: Advocacy 21 %, Policy 12 %);
- pledges by entity region (Europe 245, Africa 174, Americas 171);
- pledges by implementation region (Africa 274, USD 17.24 bn);
- the share of pledges targeting at least one LDC (31 %);
- total value per pledge (USD 36.78 bn / 845), entities per pledge (408 / 845);
- the share of pledges naming women among beneficiaries (52 %), the top SDGs of 2023 pledges,
  the share of pledges reported on and the status split of reported pledges (Dec 2022);
- announcement dates follow the published pledge counts over time (2022 to the last date
  in the file).

What is **assumed** (not published; module constants, named ``ASSUMED_*``): how the
unpublished remainder of each breakdown splits among the other categories, the share of
regional and global pledges, the number of target countries per pledge, which pledges state a
value, the value distribution (lognormal, :data:`VALUE_SIGMA`), the focus-area and SDG weights,
the other beneficiary groups, date precision and target years.

How targets are drawn. Each pledge gets an implementation region (an ITU-D region or
``"Global"``). Global pledges have ``is_global=True`` and no countries. Regional pledges name
the region in ``target_regions``. Country pledges name 1 to 20 countries of the region, drawn
with weights ``offline ** COUNTRY_WEIGHT_EXPONENT`` (offline people in
:data:`LATEST_YEAR`; the square root keeps India, Nigeria, ... from taking nearly
all single-country pledges); entity countries are drawn within the entity region with weights
``population ** COUNTRY_WEIGHT_EXPONENT``. To match the published LDC share, a country pledge
in region ``r`` is marked LDC-targeting with probability ``min(1, c * s_r)`` (``s_r`` = the
LDCs' share of the region's weight; ``c`` solved so that the expected share of pledges
targeting an LDC, counted as in :func:`targets_ldc`, equals the published share); such a pledge
has its first country drawn among the region's LDCs and the others among all its countries;
other country pledges name no LDC.

Everything is vectorised with numpy (no Python loop over pledges; list cells are cut from one
flat Python list with C-level ``map``/``slice``): one million pledges take about 10 s and
about 1.3 GB peak on the 2-core development machine.
"""

from __future__ import annotations

import functools
import gc

import numpy as np
import pandas as pd

from p2c_analysis import fields, milestones
from p2c_analysis.vocabulary import LATEST_YEAR, VALUE_NOT_STATED

SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA — not real pledges: generated to match the coalition's published 2023 "
    "totals; all numbers are illustrative only."
)

GLOBAL = "Global"
ITU_REGIONS: tuple[str, ...] = (
    "Africa", "Americas", "Arab States", "Asia & Pacific", "CIS", "Europe",
)
ID_PREFIX = "SYN-"
COUNTRY_WEIGHT_EXPONENT = 0.5
VALUE_SIGMA = 2.0  # sd of log(value): mean / median = exp(sigma**2 / 2) ~ 7.4
MIN_VALUE_USD = 10_000.0
VALUE_SIGNIFICANT_DIGITS = 3

# --- assumptions: how the unpublished remainder of each published breakdown is split --------
ASSUMED_STAKEHOLDER_REMAINDER: dict[str, float] = {
    "Civil society / NGO": 0.30,
    "International or regional organization": 0.20,
    "Academia": 0.15,
    "UN entity": 0.10,
    "Financial institution": 0.05,
    "Other": 0.20,
}
#: pledge types the 2023 report gives no share for; they split the new-2023 remainder
ASSUMED_PLEDGE_TYPE_REMAINDER: dict[str, float] = {"Financial": 0.55, "In-kind": 0.45}
ASSUMED_ENTITY_REGION_REMAINDER: dict[str, float] = {
    "Asia & Pacific": 0.55, "Arab States": 0.30, "CIS": 0.15,
}
ASSUMED_IMPLEMENTATION_REGION_REMAINDER: dict[str, float] = {
    "Asia & Pacific": 0.30, "Americas": 0.20, GLOBAL: 0.20, "Europe": 0.12,
    "Arab States": 0.12, "CIS": 0.06,
}
ASSUMED_REGIONAL_SHARE = 0.15  # of non-global pledges: target a whole region, no countries
#: number of target countries of a country pledge: (low, high, probability), uniform within
ASSUMED_TARGET_COUNT_BANDS: tuple[tuple[int, int, float], ...] = (
    (1, 1, 0.70), (2, 4, 0.18), (5, 10, 0.09), (11, 20, 0.03),
)
#: probability that a pledge states a value, by pledge type (others: NaN, never 0)
ASSUMED_VALUE_STATED: dict[str, float] = {
    "Financial": 0.95, "Programmatic": 0.70, "In-kind": 0.60, "Policy": 0.20, "Advocacy": 0.25,
}
ASSUMED_FOCUS_WEIGHTS: dict[str, float] = {
    "ACCESS": 0.35, "ADOPTION": 0.35, "VALUE CREATION": 0.15, "ACCELERATE INVESTMENT": 0.15,
}
ASSUMED_TWO_FOCUS_AREAS = 0.40  # share of pledges with two focus areas (others: one)
#: SDG weights: the three published top SDGs get these by rank, a second tier and the rest
ASSUMED_SDG_RANK_WEIGHTS: tuple[float, ...] = (3.0, 2.0, 1.5)
ASSUMED_SDG_SECOND_TIER: dict[int, float] = {5: 1.0, 8: 1.0, 17: 1.0, 1: 0.6, 11: 0.6}
ASSUMED_SDG_OTHER_WEIGHT = 0.25
ASSUMED_SDG_COUNT: dict[int, float] = {1: 0.45, 2: 0.35, 3: 0.20}
ASSUMED_OTHER_BENEFICIARIES: dict[str, float] = {
    "youth": 0.35, "rural communities": 0.35, "schools and students": 0.25,
    "persons with disabilities": 0.15, "small and medium enterprises": 0.15,
    "older persons": 0.05,
}
WOMEN_BENEFICIARY = "women and girls"
ASSUMED_DATE_PRECISION: dict[str, float] = {"day": 0.75, "month": 0.20, "year": 0.05}
ASSUMED_TARGET_YEAR_MISSING = 0.35
ASSUMED_TARGET_YEAR_2030 = 0.30  # of pledges with a target year: the SDG horizon 2030
ASSUMED_TARGET_YEAR_OFFSETS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: status of pledges with no progress report / the part of reported ones the report leaves open
ASSUMED_UNREPORTED_STATUS: dict[str, float] = {"announced": 0.85, "unknown": 0.15}
ASSUMED_REPORTED_REST: dict[str, float] = {"announced": 0.875, "withdrawn": 0.125}


# --- published inputs -----------------------------------------------------------------------

def _counts(metric: str, total: float) -> dict[str, float]:
    """``{category: share of all pledges}`` of a published count breakdown."""
    b = milestones.breakdown(metric)
    return {str(c): float(v) / total for c, v in zip(b["category"], b["value"], strict=True)}


def _fill(published: dict[str, float], remainder: dict[str, float]) -> dict[str, float]:
    """Published shares plus the remainder split with the assumed relative weights."""
    rest = 1.0 - sum(published.values())
    if rest < 0:
        raise ValueError(f"published shares add up to more than 1: {published}")
    extra = {k: v for k, v in remainder.items() if k not in published}
    wsum = sum(extra.values())
    out = dict(published)
    out.update({k: rest * v / wsum for k, v in extra.items()})
    return out


def published_targets() -> dict:
    """The published 2023 figures the generator matches, as shares and per-pledge values
    (a fresh copy on each call).

    Keys: ``n_ref`` (845), ``value_ref_usd`` (36.78e9), ``entities_per_pledge``,
    ``stakeholder`` / ``pledge_type`` / ``entity_region`` / ``implementation_region``
    (``{category: share of pledges}``, published part plus assumed remainder),
    ``value_per_pledge_by_stakeholder`` (USD), ``value_ratio_africa`` / ``value_ratio_programmatic``
    (value per pledge relative to the average, for the group and the rest), ``ldc_share``,
    ``women_share``, ``top_sdgs`` (ranked), ``reported_share``, ``reported_completed``,
    ``reported_in_progress``, ``pledge_curve`` (dates, cumulative counts).
    """
    date = milestones.BREAKDOWN_DATE
    n_ref = milestones.headline("total_pledges", date)
    v_ref = milestones.headline("total_value_usd", date)
    out: dict = {"n_ref": n_ref, "value_ref_usd": v_ref,
                 "entities_per_pledge": milestones.headline("entities", date) / n_ref}

    out["stakeholder"] = _fill(_counts("pledges_by_stakeholder_type", n_ref),
                               ASSUMED_STAKEHOLDER_REMAINDER)
    sv = milestones.breakdown("value_by_stakeholder_type_usd")
    sval = dict(zip(sv["category"], sv["value"], strict=True))
    pub_n = {k: out["stakeholder"][k] * n_ref for k in sval}
    rest_value = v_ref - sum(sval.values())
    rest_n = n_ref - sum(pub_n.values())
    out["value_per_pledge_by_stakeholder"] = {
        k: (sval[k] / pub_n[k] if k in sval else rest_value / rest_n) for k in out["stakeholder"]
    }

    # pledge type: Programmatic count of all pledges; others split like the new 2023 pledges
    prog = _counts("pledges_by_pledge_type", n_ref)
    new = milestones.breakdown("pledges_by_pledge_type_share")
    new_share = {str(c): float(v) / 100 for c, v in zip(new["category"], new["value"], strict=True)}
    new_all = _fill(new_share, ASSUMED_PLEDGE_TYPE_REMAINDER)
    others = {k: v for k, v in new_all.items() if k not in prog}
    rest = 1.0 - sum(prog.values())
    out["pledge_type"] = {**prog, **{k: rest * v / sum(others.values()) for k, v in others.items()}}
    pv = milestones.breakdown("value_by_pledge_type_usd")
    out["value_ratio_programmatic"] = _ratio(
        float(pv["value"].iloc[0]), out["pledge_type"][str(pv["category"].iloc[0])], v_ref)
    out["programmatic_label"] = str(pv["category"].iloc[0])

    out["entity_region"] = _fill(_counts("pledges_by_entity_region", n_ref),
                                 ASSUMED_ENTITY_REGION_REMAINDER)
    out["implementation_region"] = _fill(_counts("pledges_by_implementation_region", n_ref),
                                         ASSUMED_IMPLEMENTATION_REGION_REMAINDER)
    iv = milestones.breakdown("value_by_implementation_region_usd")
    out["africa_label"] = str(iv["category"].iloc[0])
    out["value_ratio_africa"] = _ratio(
        float(iv["value"].iloc[0]), out["implementation_region"][out["africa_label"]], v_ref)

    ldc = milestones.breakdown("pledges_targeting_ldc_share")
    out["ldc_share"] = float(ldc.loc[~ldc["is_third_party"], "value"].iloc[0]) / 100
    women = milestones.breakdown("share_women_beneficiaries")
    out["women_share"] = float(women.loc[women["category"] == "all pledges", "value"].iloc[0]) / 100
    sdg = milestones.breakdown("top_sdgs_targeted_new_pledges").sort_values("value")
    out["top_sdgs"] = [int(str(c).split()[-1]) for c in sdg["category"]]

    def first(metric: str) -> float:
        return float(milestones.breakdown(metric, date=None)["value"].iloc[0]) / 100

    out["reported_share"] = first("reported_share")
    out["reported_completed"] = first("completed_share")
    out["reported_in_progress"] = first("in_progress_share")
    out["pledge_curve"] = _pledge_curve()
    return out


@functools.cache
def _published_targets() -> dict:
    return published_targets()


def _ratio(group_value: float, group_share: float, total_value: float) -> tuple[float, float]:
    """Value per pledge of a group and of the rest, relative to the average pledge."""
    in_group = group_value / total_value / group_share
    rest = (1 - group_value / total_value) / (1 - group_share)
    return in_group, rest


def _pledge_curve() -> tuple[np.ndarray, np.ndarray]:
    """Published cumulative pledge counts as (days since epoch, count), strictly increasing.

    Starts at 0 pledges on 1 January of the first published year, runs through every published
    total (ITU and third party; a later figure lower than an earlier one is dropped) and is
    extended to the last date in the file at the pace of the last two points.
    """
    m = milestones.load_milestones()
    days_all = m["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    pts = m.loc[m["total_pledges"].notna(), ["date", "total_pledges"]]
    days = pts["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    counts = pts["total_pledges"].to_numpy(dtype=float)
    keep = counts > np.maximum.accumulate(np.concatenate([[-1.0], counts[:-1]]))
    days, counts = days[keep], counts[keep]
    start = np.datetime64(f"{pts['date'].dt.year.min()}-01-01", "D").astype(np.int64)
    days = np.concatenate([[start], days])
    counts = np.concatenate([[0.0], counts])
    end = int(days_all.max())
    if end > days[-1]:
        pace = (counts[-1] - counts[-2]) / (days[-1] - days[-2])
        days = np.append(days, end)
        counts = np.append(counts, counts[-1] + pace * (end - days[-2]))
    return days, counts


# --- countries --------------------------------------------------------------------------------

@functools.cache
def _country_table() -> pd.DataFrame:
    """Economies with an ITU-D region: ``iso3, region, ldc, population, offline`` (latest year).

    ``ldc`` is the LDC list as of the breakdown date (what the published LDC share counted).
    ``offline`` missing -> population x the region's offline rate; no population -> weight 0.
    """
    from p2c_analysis import connectivity, countries

    ref = countries.reference()
    ref = ref.loc[ref["itu_region"].isin(ITU_REGIONS), ["iso3", "itu_region"]]
    cy = connectivity.country_year()
    cy = cy.loc[cy["year"] == LATEST_YEAR, ["iso3", "population", "offline"]]
    t = ref.merge(cy, on="iso3", how="left").rename(columns={"itu_region": "region"})
    t["iso3"] = t["iso3"].astype(str)
    t["region"] = t["region"].astype(str)
    ldc = set(countries.members("LDC", as_of=milestones.BREAKDOWN_DATE))
    t["ldc"] = t["iso3"].isin(ldc)
    pop = t["population"].astype(float).fillna(0.0)
    off = t["offline"].astype(float)
    known = off.notna() & (pop > 0)
    rate = (off.where(known).groupby(t["region"]).sum()
            / pop.where(known).groupby(t["region"]).sum())
    off = off.where(off.notna(), pop * t["region"].map(rate).astype(float))
    t["population"] = pop
    t["offline"] = off.fillna(0.0)
    return t.sort_values(["region", "iso3"]).reset_index(drop=True)


class _Pools:
    """Weighted draws from several country subsets at once (one ``searchsorted``)."""

    def __init__(self, members: list[np.ndarray], weights: np.ndarray):
        idx, cdf = [], []
        for j, m in enumerate(members):
            w = weights[m]
            total = w.sum()
            if len(m) == 0 or total <= 0:
                raise ValueError(f"synthetic: empty country pool {j}")
            c = np.cumsum(w) / total
            c[-1] = 1.0
            idx.append(m)
            cdf.append(j + c)
        self.index = np.concatenate(idx)
        self.cdf = np.concatenate(cdf)

    def draw(self, pool: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Row numbers (into the country table) drawn from ``pool`` with uniforms ``u``."""
        pos = np.searchsorted(self.cdf, pool + u, side="right")
        return self.index[np.minimum(pos, len(self.index) - 1)]


# --- helpers --------------------------------------------------------------------------------

def _choice(rng: np.random.Generator, labels: dict[str, float], n: int) -> np.ndarray:
    """Codes 0..k-1 drawn with the (normalised) probabilities of ``labels``."""
    p = np.array(list(labels.values()), dtype=float)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64)


def _lists(values: np.ndarray, counts: np.ndarray) -> pd.Series:
    """Object Series of Python lists: ``values`` cut into consecutive runs of ``counts``."""
    flat = values.tolist()
    ends = np.cumsum(counts)
    starts = ends - counts
    enabled = gc.isenabled()
    gc.disable()  # millions of new lists would trigger many useless full collections
    try:
        cells = list(map(flat.__getitem__, map(slice, starts.tolist(), ends.tolist())))
    finally:
        if enabled:
            gc.enable()
    return pd.Series(cells, dtype=object)


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray,
           chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Per row, ``k[i]`` distinct items drawn without replacement with ``weights``
    (Gumbel top-k, in chunks of rows to bound memory). Returns (row, item) arrays, rows
    ascending, items ascending within a row."""
    m = len(weights)
    logw = np.log(weights)[None, :]
    rows, items = [], []
    for start in range(0, len(k), chunk):
        kk = k[start:start + chunk]
        keys = logw + rng.gumbel(size=(len(kk), m))
        order = np.argsort(-keys, axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(m)[None, :], axis=1)
        row, item = np.nonzero(rank < kk[:, None])
        rows.append(row + start)
        items.append(item)
    return np.concatenate(rows), np.concatenate(items)


def _targets_ldc_expected(c: float, pi: np.ndarray, has_ldc: np.ndarray, s: np.ndarray) -> float:
    q = np.minimum(1.0, c * s)
    return float(np.sum(pi * (ASSUMED_REGIONAL_SHARE * has_ldc + (1 - ASSUMED_REGIONAL_SHARE) * q)))


def _solve_ldc_factor(target: float, pi: np.ndarray, has_ldc: np.ndarray, s: np.ndarray) -> float:
    """``c`` with expected LDC-targeting share = ``target`` (bisection; capped at q = 1)."""
    lo, hi = 0.0, 1.0 / max(float(s[s > 0].min()), 1e-12)
    if _targets_ldc_expected(lo, pi, has_ldc, s) >= target:
        return lo
    for _ in range(100):
        mid = (lo + hi) / 2
        if _targets_ldc_expected(mid, pi, has_ldc, s) < target:
            lo = mid
        else:
            hi = mid
    return hi


def _round_sig(x: np.ndarray, digits: int) -> np.ndarray:
    """Round positive values to ``digits`` significant figures (NaN kept)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        step = 10.0 ** (np.floor(np.log10(x)) - (digits - 1))  # exact for x >= 10 ** digits
        return np.round(x / step) * step


# --- generator --------------------------------------------------------------------------------

def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"synthetic: n must be a non-negative integer, got {n!r}")
    return int(n)


def _generate(n: int, seed: int) -> dict:
    """All columns as numpy arrays plus long target arrays (see :func:`make_pledges`)."""
    pub = _published_targets()
    rng = np.random.default_rng(seed)
    ct = _country_table()
    iso3 = ct["iso3"].to_numpy(dtype=object)
    region_of = ct["region"].to_numpy(dtype=object)
    is_ldc = ct["ldc"].to_numpy(dtype=bool)
    g: dict = {}

    # categorical attributes
    stake_labels = list(pub["stakeholder"])
    stake = _choice(rng, pub["stakeholder"], n)
    type_labels = list(pub["pledge_type"])
    ptype = _choice(rng, pub["pledge_type"], n)
    ent_labels = list(pub["entity_region"])
    ent_reg = _choice(rng, pub["entity_region"], n)
    imp_labels = list(pub["implementation_region"])
    imp_reg = _choice(rng, pub["implementation_region"], n)
    g["stakeholder_type"] = np.array(stake_labels, dtype=object)[stake]
    g["pledge_type"] = np.array(type_labels, dtype=object)[ptype]

    # entity country: within the entity region, weights population ** exponent
    pop_w = ct["population"].to_numpy(dtype=float) ** COUNTRY_WEIGHT_EXPONENT
    ent_pools = _Pools([np.flatnonzero(region_of == r) for r in ent_labels], pop_w)
    ent_row = ent_pools.draw(ent_reg, rng.random(n))
    g["entity_country"] = iso3[ent_row]

    # pledger: entities nested in (stakeholder type, entity country), skewed sizes
    cell = stake * len(iso3) + ent_row
    cell_id, cells = pd.factorize(cell, sort=True)
    cell_n = np.bincount(cell_id, minlength=len(cells))
    m_cell = np.maximum(1, np.round(cell_n * pub["entities_per_pledge"])).astype(np.int64)
    j = np.floor(rng.random(n) ** 2 * m_cell[cell_id]).astype(np.int64)
    entity, _ = pd.factorize(cell_id * (int(m_cell.max()) + 1) + j, sort=True)
    g["entity"] = entity + 1

    # targets: global / regional / countries of the implementation region
    off_w = ct["offline"].to_numpy(dtype=float) ** COUNTRY_WEIGHT_EXPONENT
    regions = [r for r in imp_labels if r != GLOBAL]
    reg_code = np.array([imp_labels.index(r) for r in regions])
    is_global = np.array(imp_labels, dtype=object)[imp_reg] == GLOBAL
    regional = ~is_global & (rng.random(n) < ASSUMED_REGIONAL_SHARE)
    country_level = ~is_global & ~regional

    members = [np.flatnonzero(region_of == r) for r in regions]
    has_ldc = np.array([is_ldc[m].any() for m in members])
    s_ldc = np.array([off_w[m][is_ldc[m]].sum() / off_w[m].sum() for m in members])
    pi = np.array([pub["implementation_region"][r] for r in regions])
    c = _solve_ldc_factor(pub["ldc_share"], pi, has_ldc, s_ldc)
    q = np.minimum(1.0, c * s_ldc)
    # pools: 0..R-1 all members, R..2R-1 LDC members, 2R..3R-1 non-LDC members
    pools_members = (members + [m[is_ldc[m]] if is_ldc[m].any() else m for m in members]
                     + [m[~is_ldc[m]] for m in members])
    pools = _Pools(pools_members, off_w)
    r_idx = np.full(len(imp_labels), -1)
    r_idx[reg_code] = np.arange(len(regions))
    r_of = r_idx[imp_reg]  # region number 0..R-1, -1 for global

    cl = np.flatnonzero(country_level)
    band = _choice(rng, {str(i): b[2] for i, b in enumerate(ASSUMED_TARGET_COUNT_BANDS)}, len(cl))
    lo = np.array([b[0] for b in ASSUMED_TARGET_COUNT_BANDS])[band]
    hi = np.array([b[1] for b in ASSUMED_TARGET_COUNT_BANDS])[band]
    k = lo + np.floor(rng.random(len(cl)) * (hi - lo + 1)).astype(np.int64)
    k = np.minimum(k, np.array([len(m) for m in members])[r_of[cl]])
    flagged = rng.random(len(cl)) < q[r_of[cl]]
    owner = np.repeat(cl, k)  # pledge row of each draw
    first = np.zeros(len(owner), dtype=bool)
    first[np.cumsum(k) - k] = True
    fl = np.repeat(flagged, k)
    R = len(regions)
    pool = np.where(fl, np.where(first, R, 0), 2 * R) + r_of[owner]
    drawn = pools.draw(pool, rng.random(len(owner)))
    key = np.sort(owner.astype(np.int64) * len(iso3) + drawn)
    key = key[np.concatenate([key[:1] == key[:1], key[1:] != key[:-1]])]  # drop repeats
    g["target_owner"] = key // len(iso3)
    g["target_row"] = key % len(iso3)
    g["is_global"] = is_global
    g["regional"] = regional
    g["region_label"] = np.array(imp_labels, dtype=object)[imp_reg]

    # values: lognormal, multipliers from the published value shares, exact per stakeholder
    ptl = np.array(type_labels, dtype=object)
    p_stated = np.array([ASSUMED_VALUE_STATED.get(t, 0.5) for t in type_labels])
    stated = rng.random(n) < p_stated[ptype]
    prog_in, prog_out = pub["value_ratio_programmatic"]
    afr_in, afr_out = pub["value_ratio_africa"]
    m_type = np.where(ptl == pub["programmatic_label"], prog_in, prog_out) / p_stated
    m_reg = np.where(np.array(imp_labels, dtype=object) == pub["africa_label"], afr_in, afr_out)
    raw = np.exp(rng.normal(0.0, VALUE_SIGMA, n)) * m_type[ptype] * m_reg[imp_reg]
    raw = np.where(stated, raw, 0.0)
    per_pledge = np.array([pub["value_per_pledge_by_stakeholder"][s] for s in stake_labels])
    group_target = n * np.array([pub["stakeholder"][s] for s in stake_labels]) * per_pledge
    group_sum = np.bincount(stake, weights=raw, minlength=len(stake_labels))
    scale = np.divide(group_target, group_sum, out=np.zeros_like(group_sum),
                      where=group_sum > 0)
    value = raw * scale[stake]
    value = _round_sig(np.maximum(value, MIN_VALUE_USD), VALUE_SIGNIFICANT_DIGITS)
    g["estimated_value_usd"] = np.where(stated, value, np.nan)

    # announcement dates along the published pledge-count curve
    days, counts = pub["pledge_curve"]
    day = np.floor(np.interp(rng.random(n) * counts[-1], counts, days)).astype(np.int64)
    day = day.astype("datetime64[D]")
    prec_labels = list(ASSUMED_DATE_PRECISION)
    prec = _choice(rng, ASSUMED_DATE_PRECISION, n)
    ann = np.where(prec == prec_labels.index("month"), day.astype("datetime64[M]").astype(
        "datetime64[D]"), day)
    ann = np.where(prec == prec_labels.index("year"), day.astype("datetime64[Y]").astype(
        "datetime64[D]"), ann)
    g["announced_date"] = ann
    g["announced_precision"] = np.array(prec_labels, dtype=object)[prec]
    year = ann.astype("datetime64[Y]").astype(np.int64) + 1970

    # target year
    offs = np.array(ASSUMED_TARGET_YEAR_OFFSETS)[rng.integers(0, len(ASSUMED_TARGET_YEAR_OFFSETS),
                                                                n)]
    ty = np.where(rng.random(n) < ASSUMED_TARGET_YEAR_2030, np.maximum(2030, year + 1),
                  year + offs)
    g["target_year"] = np.where(rng.random(n) < ASSUMED_TARGET_YEAR_MISSING, -1, ty)

    # status and reporting
    reported = rng.random(n) < pub["reported_share"]
    comp, prog = pub["reported_completed"], pub["reported_in_progress"]
    rest = max(0.0, 1.0 - comp - prog)
    rep_p = {"completed": comp, "in progress": prog,
             **{k: rest * v for k, v in ASSUMED_REPORTED_REST.items()}}
    rep_labels = np.array(list(rep_p), dtype=object)
    unrep_labels = np.array(list(ASSUMED_UNREPORTED_STATUS), dtype=object)
    status = np.where(reported, rep_labels[_choice(rng, rep_p, n)],
                      unrep_labels[_choice(rng, ASSUMED_UNREPORTED_STATUS, n)])
    g["status"] = status
    end_day = np.datetime64(int(days[-1]), "D")
    span = (end_day - ann).astype(np.int64)
    rep_day = ann + np.floor(rng.random(n) * (np.maximum(span, 0) + 1)).astype("timedelta64[D]")
    g["last_report_date"] = np.where(reported, rep_day, np.datetime64("NaT", "D"))

    # focus areas, SDGs, beneficiaries (lists)
    fa_labels = np.array(list(ASSUMED_FOCUS_WEIGHTS), dtype=object)
    n_fa = 1 + (rng.random(n) < ASSUMED_TWO_FOCUS_AREAS)
    _, item = _top_k(rng, np.array(list(ASSUMED_FOCUS_WEIGHTS.values())), n_fa)
    g["focus_areas"] = (fa_labels[item], n_fa)

    sdg_w = np.full(17, ASSUMED_SDG_OTHER_WEIGHT)
    for s, w in ASSUMED_SDG_SECOND_TIER.items():
        sdg_w[s - 1] = w
    for s, w in zip(pub["top_sdgs"], ASSUMED_SDG_RANK_WEIGHTS, strict=False):
        sdg_w[s - 1] = w
    n_sdg = np.array(list(ASSUMED_SDG_COUNT))[_choice(rng, ASSUMED_SDG_COUNT, n)]
    _, item = _top_k(rng, sdg_w, n_sdg)
    g["sdgs"] = (item + 1, n_sdg)

    ben_labels = np.array([WOMEN_BENEFICIARY, *ASSUMED_OTHER_BENEFICIARIES], dtype=object)
    ben_p = np.array([pub["women_share"], *ASSUMED_OTHER_BENEFICIARIES.values()])
    has = rng.random((n, len(ben_p))) < ben_p[None, :]
    _, item = np.nonzero(has)  # row-major: items grouped by pledge, in order
    g["beneficiaries"] = (ben_labels[item], has.sum(axis=1))
    g["iso3"] = iso3
    return g


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    s = pd.Series(numbers).astype(str).astype(pd.StringDtype()).str.zfill(width)
    return prefix + s


def make_pledges(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic pledges as a canonical pledge table (see ``docs/architecture.md``).

    Deterministic for a given ``(n, seed)``; every row has ``is_synthetic=True``, ids
    ``SYN-000001``..., titles ``"Synthetic pledge 000001"``, pledgers ``"Synthetic entity
    000001"``. Values in nominal USD (``currency="USD"``, ``value_as_stated`` like
    ``"USD 12.3 million"``, ``value_basis`` ``"total"``); NaN when the pledge states no value
    (never 0; ``value_basis`` ``"not_stated"``). With ``n=845`` the
    values add up to about the published USD 36.78 bn (exactly, before rounding to three
    significant figures, as long as every stakeholder type has a valued pledge). No
    ``source_url``/``description``/``notes``. See the module docstring for what follows the
    published figures and what is assumed. Raises ``ValueError`` for a bad ``n``.
    """
    n = _check_n(n)
    if n == 0:
        return fields.empty_frame()
    g = _generate(n, seed)
    width = max(6, len(str(n)))
    num = np.arange(1, n + 1)
    ids = _ids(ID_PREFIX, num, width)
    nums = ids.str.slice(len(ID_PREFIX))
    ent_width = max(6, len(str(int(g["entity"].max()))))
    value = g["estimated_value_usd"]
    stated = ~np.isnan(value)
    millions = pd.Series(value / 1e6).astype(str).astype(pd.StringDtype())
    millions = millions.str.removesuffix(".0")
    as_stated = ("USD " + millions + " million").where(stated)

    tc_counts = np.bincount(g["target_owner"], minlength=n)
    tr_counts = g["regional"].astype(np.int64)
    ty = g["target_year"]
    missing_text = pd.Series(pd.array([None] * n, dtype=pd.StringDtype()))
    cols: dict[str, object] = {
        "pledge_id": ids,
        "title": "Synthetic pledge " + nums,
        "pledger": _ids("Synthetic entity ", g["entity"], ent_width),
        "stakeholder_type": pd.array(g["stakeholder_type"], dtype=pd.StringDtype()),
        "entity_country": pd.array(g["entity_country"], dtype=pd.StringDtype()),
        "pledge_type": pd.array(g["pledge_type"], dtype=pd.StringDtype()),
        "focus_areas": _lists(*g["focus_areas"]),
        "target_countries": _lists(g["iso3"][g["target_row"]], tc_counts),
        "target_regions": _lists(g["region_label"][g["regional"]], tr_counts),
        "is_global": g["is_global"],
        "estimated_value_usd": value,
        "value_as_stated": as_stated.astype(pd.StringDtype()),
        "currency": pd.Series(np.where(stated, "USD", None), dtype=pd.StringDtype()),
        "announced_date": g["announced_date"].astype("datetime64[ns]"),
        "announced_precision": pd.array(g["announced_precision"], dtype=pd.StringDtype()),
        "target_year": pd.Series(np.where(ty < 0, np.nan, ty)).astype("Int64"),
        "status": pd.Categorical(g["status"], dtype=fields.STATUS_DTYPE),
        "last_report_date": g["last_report_date"].astype("datetime64[ns]"),
        "beneficiaries": _lists(*g["beneficiaries"]),
        "sdgs": _lists(*g["sdgs"]),
        "source_url": missing_text,
        "is_synthetic": np.ones(n, dtype=bool),
        "description": missing_text,
        "notes": missing_text,
        # value basis (p2c_analysis.values): plain "USD x million" totals, or no value
        "value_basis": pd.array(np.where(stated, "total", VALUE_NOT_STATED),
                                dtype=pd.StringDtype()),
        "value_basis_inferred": np.zeros(n, dtype=bool),
        "value_basis_note": missing_text,
        "value_years": pd.array([None] * n, dtype="Int64"),
        "value_repeats": missing_text,
        "value_already_counted_usd": np.where(stated, 0.0, np.nan),
    }
    df = pd.DataFrame(cols)
    return df.loc[:, list(fields.CANONICAL_COLUMNS)]


def make_pledges_long(n: int, seed: int = 0) -> pd.DataFrame:
    """The explicit country targets of :func:`make_pledges` ``(n, seed)``, one row per
    (pledge, country): columns ``pledge_id`` (string), ``iso3`` (string), sorted by pledge and
    ISO3. Regional and global pledges have no rows here (expand ``target_regions`` with
    :func:`p2c_analysis.countries.members`). Same draws as :func:`make_pledges`, without
    building Python lists, for benchmarks."""
    n = _check_n(n)
    if n == 0:
        return pd.DataFrame({"pledge_id": pd.array([], dtype=pd.StringDtype()),
                             "iso3": pd.array([], dtype=pd.StringDtype())})
    g = _generate(n, seed)
    width = max(6, len(str(n)))
    ids = _ids(ID_PREFIX, g["target_owner"] + 1, width)
    return pd.DataFrame({
        "pledge_id": ids.astype(pd.StringDtype()),
        "iso3": pd.array(g["iso3"][g["target_row"]], dtype=pd.StringDtype()),
    })


def targets_ldc(df: pd.DataFrame, as_of: object = milestones.BREAKDOWN_DATE) -> pd.Series:
    """Bool Series (index of ``df``): the pledge targets at least one LDC.

    Counted on the pledge's countries for allocation (``docs/architecture.md``): its
    ``target_countries`` if any, else the members of its ``target_regions``; global pledges
    count as not targeting an LDC. LDC list as of ``as_of`` (default: the date of the published
    31 % share).
    """
    from p2c_analysis import countries

    ldc = set(countries.members("LDC", as_of=as_of))
    pos = pd.RangeIndex(len(df))
    tc = pd.Series(df["target_countries"].to_numpy(), index=pos).explode()
    by_country = tc.isin(ldc).groupby(level=0).any().reindex(pos, fill_value=False)
    labels = pd.Series(df["target_regions"].to_numpy(), index=pos).explode().dropna()
    cache = {lab: bool(ldc & set(countries.members(lab, as_of=as_of)))
             for lab in labels.unique().tolist()}
    by_region = labels.map(cache).astype(bool).groupby(level=0).any()
    by_region = by_region.reindex(pos, fill_value=False)
    has_countries = np.fromiter(map(len, df["target_countries"]), dtype=np.int64,
                                count=len(df)) > 0
    return pd.Series(np.where(has_countries, by_country.to_numpy(), by_region.to_numpy()),
                     index=df.index, name="targets_ldc")
