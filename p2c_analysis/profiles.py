"""One country in context: the tables of a country profile.

Each function joins what the other modules compute for one economy (``iso3``): its groups
(:mod:`countries`), the pledges that reach it and their reporting light (:mod:`gaps`,
:mod:`progress`), and its pledged attention beside its groups' (:mod:`gaps`). The analysis
``year`` (int) sets connectivity data and group membership; ``as_of`` (a date) sets statuses
and deadlines.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from p2c_analysis import countries, gaps, progress
from p2c_analysis.fields import checked
from p2c_analysis.text import capitalised
from p2c_analysis.vocabulary import GLOBAL_ISO3, INCOME_GROUPS, UNSTATED_ISO3


def groups(iso3: str, year: int) -> list[str]:
    """The standard groups the economy belongs to in ``year`` (membership as of 1 July),
    without "World"."""
    return [g for g in countries.groups_of(iso3, as_of=year) if g != "World"]


#: The year of the incomes behind the bundled World Bank income groups (FY26 uses 2024 GNI per
#: capita); the only classification bundled, used for every analysis year.
INCOME_GROUPS_YEAR = 2024


def groups_text(name: str, iso3: str, year: int) -> str:
    """The sentence naming the groups ``name`` (``iso3``) belongs to in ``year``
    (:func:`groups`), plain text for the caller to escape. For a year other than
    :data:`INCOME_GROUPS_YEAR` it says that the income group is the FY26 one, not that
    year's (Nigeria "belonged" to Lower middle income in 2005, when it was a low-income
    economy). An economy in none of them (Taiwan: no ITU-D region, no income group) says so,
    not "belongs to these groups in 2024: none."."""
    from p2c_analysis.report import list_text

    mine = groups(iso3, year)
    if not mine:
        return (f"{name} ({iso3}) belongs to none of the groups compared here in {year} (an "
                "ITU-D region, a World Bank income group, LDC, LLDC or SIDS).")
    text = f"{name} ({iso3}) belongs to these groups in {year}: {list_text(mine)}."
    income = [g for g in mine if g in INCOME_GROUPS]
    if income and year != INCOME_GROUPS_YEAR:
        text += (f" Its income group, {income[0]}, is the World Bank's FY26 classification "
                 f"(from {INCOME_GROUPS_YEAR} incomes), the only one bundled: its group in "
                 f"{year} may have been another.")
    return text


@checked("pledge_id", "target_countries", "target_regions", "is_global", "status",
         "last_report_date", "target_year")
def pledges_reaching(pledges: pd.DataFrame, iso3: str, year: int,
                     as_of: dt.date | None = None,
                     include_global: bool = False) -> pd.DataFrame:
    """The pledges that reach the economy (:func:`gaps.reaching`, the definition the coverage
    tables use), by name (``via = "country"``), through a region or group (``"region"``) or,
    with ``include_global``, as global pledges (``"global"``): every pledge column plus
    ``via``, the reporting ``light`` as of
    ``as_of`` (:func:`progress.traffic_lights`) and ``value_kind``, what the value is in a few
    words (``values.BASIS_LABELS``: "yearly, counted once" beside ZTE's USD 400 M a year; ``<NA>``
    when no value is stated); by name first, then by value (largest first, pledges without a
    value last)."""
    from p2c_analysis.values import BASIS_LABELS

    mine = gaps.reaching(pledges, iso3, year=year, include_global=include_global)
    lights = progress.traffic_lights(pledges, as_of=as_of)[["pledge_id", "light"]]
    out = pledges.merge(mine, on="pledge_id").merge(lights, on="pledge_id")
    kind = out["value_basis"].map(BASIS_LABELS).astype("string")
    out["value_kind"] = kind.where(out["estimated_value_usd"].notna())
    return out.sort_values(["via", "estimated_value_usd"], ascending=[True, False])


def reach_counts(pledges: pd.DataFrame, iso3: str, year: int,
                 include_global: bool = False) -> dict[str, int]:
    """How the pledges relate to the economy (pledges; the rule of :func:`gaps.reaching`):
    ``total`` pledges, ``reaching`` it (``direct`` + ``region`` + ``global_reaching``),
    ``direct`` (name it), ``region`` (through a region or group), ``global_reaching`` (global
    pledges counted as reaching it: all of them with ``include_global``, else 0), ``global``
    (worldwide pledges) and ``unstated`` (no target stated, reaching no economy)."""
    targets = gaps.explode_targets(pledges, year=year)
    mine = gaps.reaching_in(targets, iso3, include_global)["via"]

    def distinct(code: str) -> int:
        return int(targets.loc[targets["iso3"].eq(code), "pledge_id"].nunique())

    return {"total": len(pledges), "reaching": len(mine),
            "direct": int(mine.eq("country").sum()), "region": int(mine.eq("region").sum()),
            "global_reaching": int(mine.eq("global").sum()), "global": distinct(GLOBAL_ISO3),
            "unstated": distinct(UNSTATED_ISO3)}


def reach_groups(pledges: pd.DataFrame, iso3: str, year: int) -> list[str]:
    """The regions or groups through which pledges reach the economy (``via = "region"`` of
    :func:`gaps.reaching`): of each such pledge's ``target_regions``, those that have it as a
    member as of 1 July of ``year``, in order of first appearance. Taiwan, in none of the
    groups a profile compares, is reached through "Asia" (a UN M49 region); ``[]`` when no
    pledge reaches it through a region or group."""
    from p2c_analysis.fields import as_list

    mine = gaps.reaching(pledges, iso3, year=year)
    ids = mine.loc[mine["via"].eq("region"), "pledge_id"]
    labels = [str(x) for cell in pledges.loc[pledges["pledge_id"].isin(ids), "target_regions"]
              for x in as_list(cell)]
    members = {x: countries.members(x, as_of=year) for x in set(labels)}
    return list(dict.fromkeys(x for x in labels if iso3 in members[x]))


def _through(through: Sequence[str]) -> str:
    """"through Asia", "through Africa or LDC" (:func:`reach_groups`); "through a region or
    group" when not given."""
    from p2c_analysis.report import list_text

    return (f"through {list_text(through, conjunction='or')}" if through else
            "through a region or group")


def reach_text(name: str, reaching: pd.DataFrame, reach: dict[str, int],
               through: Sequence[str] = ()) -> str:
    """The sentence on the pledges that target ``name``, plain text for the caller to escape.
    ``reaching``: the pledges that reach it (:func:`pledges_reaching`, with
    ``index_trackable`` from :func:`with_scores`); ``reach``: :func:`reach_counts`;
    ``through``: :func:`reach_groups`, named for the pledges reaching it through a region or
    group ("1 of the 47 pledges targets Taiwan through Asia", a group the reader can check).
    Counts agree with their words at every size: "There is no pledge to analyse, so none targets
    Nigeria." (no pledge at all), "The 1 pledge does not target Nigeria", "None of the 5
    pledges targets Nigeria", "The 1 pledge targets Nigeria by name", "All 5 pledges target
    Nigeria: 3 by name and 2 through a region or group", "2 of the 5 pledges target Nigeria
    through a region or group"; then how many are global or have no stated target, and
    how many of those targeting it are trackable. A way of reaching it, or a kind of other
    pledge, that counts none is left out ("0 by name", "further, 0 pledges are global")."""
    from p2c_analysis import quality, style
    from p2c_analysis.report import list_text, of_the, plural

    total, n = reach["total"], len(reaching)
    if total == 0:
        return f"There is no pledge to analyse, so none targets {name}."
    g = reach.get("global_reaching", 0)
    if n == 0:
        lead = (f"The 1 pledge does not target {name}" if total == 1 else
                f"None of the {plural(total, 'pledge')} targets {name}")
    else:
        who = of_the(n, total, "pledge")
        ways = [(k, text) for k, text in ((reach["direct"], "by name"),
                                          (reach["region"], _through(through)),
                                          (g, "as global")) if k]
        reached = " (counted as reaching every economy)"
        if g == n:  # global pledges only
            how = f" as {'a global pledge' if n == 1 else 'global pledges'}{reached}"
        elif len(ways) == 1:
            how = f" {ways[0][1]}"
        else:
            how = (f", including {plural(g, 'global pledge')}{reached}" if g else "") + \
                ": " + list_text(f"{k:,} {text}" for k, text in ways)
        verb = "targets" if n == 1 else "target"
        lead = f"{capitalised(who)} {verb} {name}{how}"
    others = [] if g else [plural(reach["global"], "pledge is", "pledges are") + " global"]
    others.append(plural(reach["unstated"], "pledge has", "pledges have") + " no stated targets")
    others = [o for o in others if not o.startswith("0 ")]
    text = (f"{lead}; {'' if n == 0 else 'further, '}{list_text(others)}." if others
            else f"{lead}.")
    if n == 0:
        return text
    bands = list_text(quality.load_rubric().trackable_categories, conjunction="or")
    k = int(reaching["index_trackable"].sum())
    if n == 1:
        return f"{text} The pledge targeting it is {_one_trackable(reaching, k == 1, bands)}."
    some = (f"none of the {style.fmt_int(n)} pledges targeting it" if k == 0 else
            of_the(k, n, "pledge targeting it", "pledges targeting it"))
    return (f"{text} {capitalised(some)} {'are' if k > 1 else 'is'} trackable "
            f"(index category {bands}).")


def _one_trackable(reaching: pd.DataFrame, trackable: bool, bands: str) -> str:
    """Whether the one pledge of ``reaching`` is trackable, with its index category:
    "trackable (index category High or Upper-moderate)", "not trackable (index category
    Lower-moderate, not High or Upper-moderate)" (its own category from the ``index`` column
    when there is one; without it "not trackable (index category not High or ...)"), never
    "not trackable (index category High or Upper-moderate)", which reads as its category."""
    if trackable:
        return f"trackable (index category {bands})"
    own = reaching["index"].iloc[0] if "index" in reaching.columns else None
    own_text = f"{own}, " if isinstance(own, str) and own else ""
    return f"not trackable (index category {own_text}not {bands})"


def with_scores(table: pd.DataFrame, year: int,
                evidence: Iterable[str] | None = None) -> pd.DataFrame:
    """``table`` (pledges, e.g. :func:`pledges_reaching`) with each pledge's SMART ``score``,
    trackability ``index`` and ``index_trackable`` appended (:func:`quality.score` of these
    pledges, analysis year ``year``; ``evidence`` = ids of pledges with public evidence of
    progress). A pledge's score depends on the pledge alone, so scoring only these pledges gives
    the same result as scoring the whole table."""
    from p2c_analysis import quality

    scores = quality.score(table, year=year, evidence=evidence).table
    return table.reset_index(drop=True).assign(
        **{c: scores[c].array for c in ("score", "index", "index_trackable")})


def coverage_beside_groups(pledges: pd.DataFrame, iso3: str, year: int,
                           method: str = "offline", include_global: bool = False) -> pd.DataFrame:
    """The economy's row of :func:`gaps.coverage_by_country` followed by the rows of "World"
    and its groups (:func:`groups`) from :func:`gaps.coverage_by_group`; column
    ``country_or_group`` names the row (the country's short name, or the group).

    The first row is always the economy's; its ``pledges_targeting`` counts the pledges of
    :func:`gaps.reaching` (the same rule as :func:`pledges_reaching`). One outside the country
    table (e.g. Anguilla, Niue: not World Bank economies, so no offline data) that no pledge
    reaches gets a row of zeros (``in_country_table`` False; with ``include_global`` the
    global pledges count, their USD being spread over the country table only); offline
    people, shares and ratios NaN (unknown)."""
    mine = groups(iso3, year)
    kw = {"method": method, "include_global": include_global, "year": year}
    by_country = gaps.coverage_by_country(pledges, **kw)
    by_group = gaps.coverage_by_group(pledges, groups=["World", *mine], **kw)
    side = by_group[by_group["group"].isin(["World", *mine])].rename(
        columns={"group": "country_or_group"})
    row = by_country[by_country["iso3"].eq(iso3)]
    if row.empty:  # reached by no pledge, or only by global ones (then not in the universe)
        ids = gaps.reaching(pledges, iso3, year=year, include_global=include_global)
        reaching = pledges[pledges["pledge_id"].isin(ids["pledge_id"])]
        row = by_country.iloc[:0].reindex([0]).assign(
            iso3=iso3, in_country_table=False, pledges_targeting=len(reaching),
            pledges_with_value=int(reaching["estimated_value_usd"].notna().sum()),
            pledge_units=0.0, allocated_usd=0.0).astype(by_country.dtypes.to_dict())
    row = row.assign(country_or_group=countries.country_name(iso3))
    return pd.concat([row, side], ignore_index=True)


def slope_text(slope_pp_per_year: float) -> str:
    """A yearly change of Internet use (percentage points a year) in words, its sign said as
    rose/fell: ``2.32 -> "rose by 2.3 percentage points a year"``, ``-0.04 -> "fell by less than
    0.1 percentage points a year"`` (not "-0.0" beside a visible change), ``0 -> "did not
    change"``. Missing (NaN) -> ``"changed at an unknown pace"``."""
    from p2c_analysis.fields import is_missing

    if is_missing(slope_pp_per_year) or not math.isfinite(float(slope_pp_per_year)):
        return "changed at an unknown pace"
    v = float(slope_pp_per_year)
    if v == 0:
        return "did not change"
    size = abs(v)
    amount = "less than 0.1" if round(size, 1) == 0 else f"{size:.1f}"
    return f"{'rose' if v > 0 else 'fell'} by {amount} percentage points a year"


def trend_text(trend: Mapping, year: int, offline_now: float) -> str:
    """The sentence on where the recent Internet-use trend of a country leads, plain text for
    the caller to escape. ``trend``: :func:`trajectory.connectivity_trend` of its observed
    years; ``year``: the analysis year; ``offline_now``: its offline people in ``year``
    (persons). Says why there is no line (no one
    offline, last observation too old, one observed year); the pace in words
    (:func:`slope_text`); and a line capped at 100 % the year it gets there ("would reach 100%
    by 2026, leaving no one offline"), not "100.0% in 2030, leaving about 0 people"."""
    from p2c_analysis import style, trajectory

    last, h = int(trend["last_year"]), int(trend["horizon_year"])
    if offline_now == 0:
        return "No one is offline: there is no gap for a trend to close."
    if not trajectory.trend_is_current(last, year):
        return (f"The last observation is from {last}, {year - last} years before {year}: too "
                f"long ago to extend its trend to {h}.")
    if int(trend["n_years"]) < 2:
        return f"With one observed year up to {last}, there is no trend to extend."
    pace = (f"Over the {trend['n_years']} observed years up to {last}, Internet use "
            f"{slope_text(trend['slope_pp_per_year'])}")
    capped = trajectory.year_capped(trend)
    if capped is not None and trend["slope_pp_per_year"] > 0:
        would = "would have reached" if capped < year else "would reach"  # a past year: past
        return (f"{pace}; at that pace it {would} 100% by {capped}, leaving no one offline "
                "(an extrapolation, not a forecast).")
    when = f"by {capped}" if capped is not None else f"in {h}"
    verb = "would still be at" if trend["slope_pp_per_year"] == 0 else "would reach"
    return (f"{pace}; at that pace it {verb} {style.fmt_pct(trend['internet_pct_horizon'])} "
            f"{when}, leaving about {style.fmt_people(trend['offline_horizon'])} people offline "
            f"if the population stayed at its {trend['population_year']} level (an "
            "extrapolation, not a forecast).")


def attention_text(name: str, compare: pd.DataFrame, reach: dict[str, int],
                   through: Sequence[str] = ()) -> str:
    """The sentence on the economy's USD per offline person and attention ratio, plain text
    for the caller to escape. ``compare``: :func:`coverage_beside_groups` (first row the
    economy's, then "World" and its groups); ``reach``: :func:`reach_counts`; ``through``:
    :func:`reach_groups` (named as in :func:`reach_text`). Says why a
    figure is missing: offline population unknown (then what happens to the USD allocated to
    it and to the pledges reaching it through a region or group), no one offline, no pledged
    USD at all, or USD allocated only to economies whose offline population is unknown (the
    ratio's denominator is then empty: n/a, not 0). USD that rounds to no cent per offline
    person reads "less than USD 0.01 (USD 100 k in all)", not "USD 0.00"."""
    from p2c_analysis import style

    row = compare.iloc[0]
    usd = float(row["allocated_usd"]) if pd.notna(row["allocated_usd"]) else 0.0
    if pd.isna(row["offline"]):
        text = (f"The offline population of {name} is unknown, so its pledged USD per offline "
                "person and its attention ratio cannot be computed.")
        if usd > 0:
            text += (f" The {style.fmt_usd(usd)} allocated to it stays in its groups' USD but "
                     "is kept out of their USD per offline person and attention ratios.")
        if (k := reach.get("region", 0)) and not bool(row["in_country_table"]):
            one = k == 1
            text += (f" {'The pledge' if one else 'The pledges'} reaching it "
                     f"{_through(through)} {'counts' if one else 'count'} for it but "
                     f"{'allocates' if one else 'allocate'} it no USD: with no figure to weigh "
                     f"its share, {'its' if one else 'their'} USD goes to the members with "
                     "data.")
        return text
    if row["offline"] == 0:
        text = (f"No one in {name} is offline, so pledged USD per offline person and the "
                "attention ratio are not defined for it.")
        if usd <= 0:  # not "The USD 0 allocated to it is kept out of its groups' USD"
            return f"{text} No pledged USD is allocated to it ({_no_usd_reason(row)})."
        return (f"{text} The {style.fmt_usd(usd)} allocated to it is kept out of its groups' "
                "USD, shares and attention ratios: it cannot close a gap that is not there.")
    world = compare[compare["country_or_group"].eq("World")]
    if compare["allocated_usd"].sum() <= 0:
        return (f"No pledge states a value that could be allocated to {name} or its groups, "
                "so there is no USD attention ratio.")
    if pd.isna(row["usd_share"]) and not world.empty:
        return (f"No pledged USD is allocated to an economy with an offline figure (the "
                f"{style.fmt_usd(world['allocated_usd'].iloc[0])} allocated goes to economies "
                "whose offline population is unknown), so there is no share to compare and "
                f"{name} has no USD attention ratio (n/a).")
    each = style.fmt_usd_small(row["usd_per_offline"])
    if usd > 0 and each.startswith("<"):  # a few cents per million people: "<USD 0.01"
        each = f"less than {style.fmt_usd_small(0.01)} ({style.fmt_usd(usd)} in all)"
    per = (f"{name} receives {each} per offline person"
           if usd > 0 else  # not "Nigeria receives USD 0.00 per offline person", with no reason
           f"{name} receives no pledged USD ({_no_usd_reason(row)})")
    return (f"{per}; its USD attention ratio is {style.fmt_ratio(row['attention_ratio_usd'])} "
            "(1.0 = in proportion to its share of the world's offline people).")


def _no_usd_reason(row: pd.Series) -> str:
    """Why an economy's row of :func:`coverage_beside_groups` has no USD allocated: no pledge
    reaches it, none of those reaching it states a value, or (an economy with no one offline)
    they spread their USD by offline people, of whom it has none."""
    k, valued = int(row["pledges_targeting"]), int(row["pledges_with_value"])
    if k == 0:
        return "no pledge reaches it"
    if valued == 0:
        return ("the pledge reaching it states no value" if k == 1 else
                f"none of the {k:,} pledges reaching it states a value")
    if row["offline"] == 0:  # spread by offline people, of whom it has none (else it has USD)
        who = ("the pledge reaching it spreads its" if k == valued == 1 else
               "the pledge reaching it that states a value spreads its" if valued == 1 else
               f"the {valued:,} pledges reaching it spread their" if k == valued else
               f"the {valued:,} pledges reaching it that state a value spread their")
        return f"{who} USD by offline people, of whom it has none"
    return "none of the pledged USD is allocated to it"
