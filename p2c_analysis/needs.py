"""Pledged against what is needed: P2C pledges beside published investment-needs estimates.

The estimates are in ``data/reference/investment_needs.csv`` (``paths.INVESTMENT_NEEDS``): ITU
2020 "Connecting Humanity" (USD 428 bn to connect everyone by 2030), the ITU/CST 2025
"Connecting Humanity Action Blueprint" (USD 2.6-2.8 tn, split into hard infrastructure,
affordability, digital skills, policy and regulation), the Broadband Commission's "Connecting
Africa Through Broadband" (about USD 100 bn for Africa), and others.

Rules:

- **Ranges stay ranges.** A need is ``need_low_usd``-``need_high_usd`` as published (equal when
  a single figure is given); a share of a need is a range too: ``share_low_pct`` = pledged /
  high need, ``share_high_pct`` = pledged / low need. No single point is made up.
- **Pledged USD** is given stated and de-duplicated (:mod:`p2c_analysis.values`: without money
  counted before), and by value basis when asked.
- **Scope.** A world estimate is set against all pledges with a value. An Africa estimate is set
  against the USD allocated to African countries by :func:`p2c_analysis.gaps.allocate` (method
  ``method``, analysis year ``year``; global pledges only with ``include_global``, pledges with
  unstated targets never): Africa = ``africa_group``, by default ``"UN Africa"`` (the
  continent, which the Broadband Commission's estimate covers; the ITU-D region ``"Africa"``
  leaves out North Africa).
- **Focus areas** are set against the matching need components of one study with the mapping
  in ``data/harmonization/needs_focus_mapping.csv`` (an assumption, stated in each row): ACCESS
  -> hard infrastructure; ADOPTION -> affordability + digital skills; ACCELERATE INVESTMENT ->
  policy and regulation; VALUE CREATION -> no matching component. A pledge's USD is split
  equally among its focus areas (the rule of :func:`p2c_analysis.gaps.tally`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from p2c_analysis import paths, values
from p2c_analysis.vocabulary import FOCUS_AREAS, LATEST_YEAR, NOT_STATED, VALUE_BASES

FOCUS_MAPPING = paths.HARMONIZATION / "needs_focus_mapping.csv"
NEEDS_COLUMNS: tuple[str, ...] = (
    "study", "publisher", "published", "scope", "target", "component", "need_low_usd",
    "need_high_usd", "source_url", "notes",
)
VS_COLUMNS: tuple[str, ...] = (
    "study", "published", "scope", "component", "target", "value_basis", "need_low_usd",
    "need_high_usd", "pledges_with_value", "pledged_stated_usd", "pledged_deduplicated_usd",
    "stated_share_low_pct", "stated_share_high_pct", "deduplicated_share_low_pct",
    "deduplicated_share_high_pct", "source_url",
)
FOCUS_COLUMNS: tuple[str, ...] = (
    "focus_area", "study", "components", "need_low_usd", "need_high_usd", "pledges",
    "pledges_with_value", "pledged_stated_usd", "pledged_deduplicated_usd",
    "stated_share_low_pct", "stated_share_high_pct", "deduplicated_share_low_pct",
    "deduplicated_share_high_pct", "assumption",
)
ALL = "all"


def load_needs(path: str | Path | None = None) -> pd.DataFrame:
    """The investment-needs estimates, one row per (study, scope, target, component); columns
    :data:`NEEDS_COLUMNS` (``need_low_usd`` / ``need_high_usd`` float; text ``<NA>`` when
    blank). Raises ``ValueError`` when a low value exceeds its high value."""
    p = paths.track(paths.INVESTMENT_NEEDS if path is None else path)
    return _load_needs(p, p.stat().st_mtime_ns).copy()


@functools.cache
def _load_needs(p: Path, _mtime_ns: int) -> pd.DataFrame:
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    out = pd.DataFrame({
        "study": raw["study"], "publisher": raw["publisher"], "published": raw["published"],
        "scope": raw["scope"], "target": raw["target"], "component": raw["component"],
        "need_low_usd": pd.to_numeric(raw["value_low_usd"]),
        "need_high_usd": pd.to_numeric(raw["value_high_usd"]),
        "source_url": raw["source_url"], "notes": raw["notes"],
    })
    bad = out["need_low_usd"] > out["need_high_usd"]
    if bad.any():
        raise ValueError(f"{p.name}: low above high in row(s) {list(np.flatnonzero(bad) + 2)}")
    for c in NEEDS_COLUMNS:
        if out[c].dtype == object or str(out[c].dtype).startswith(("str", "string")):
            out[c] = out[c].replace("", pd.NA).astype("string")
    return out


def deadline(target: object) -> int | None:
    """The year an estimate's target is set for (``"... by 2021"`` -> 2021; the last "by YYYY"
    of the text); ``None`` when it states none. A report flags an estimate whose year had
    passed before the pledges it is set beside ("143.9% of the need" of a 2021 target)."""
    found = re.findall(r"\bby\s+((?:19|20)\d\d)\b", str(target or ""))
    return int(found[-1]) if found else None


def _shares(df: pd.DataFrame) -> pd.DataFrame:
    """Add the four share columns (percent) from pledged and need columns."""
    with np.errstate(invalid="ignore", divide="ignore"):
        for kind in ("stated", "deduplicated"):
            pledged = df[f"pledged_{kind}_usd"]
            df[f"{kind}_share_low_pct"] = 100.0 * pledged / df["need_high_usd"]
            df[f"{kind}_share_high_pct"] = 100.0 * pledged / df["need_low_usd"]
    return df


def _pledged_by_basis(pledges: pd.DataFrame, scope: str, year: int, method: str,
                      africa_group: str, include_global: bool = False) -> pd.DataFrame:
    """Pledged USD (stated, de-duplicated, pledges with value) in one scope, by value basis
    plus an ``"all"`` row."""
    p = values.ensure_value_basis(pledges)
    usd = pd.to_numeric(p["estimated_value_usd"], errors="coerce").to_numpy(float)
    dedup = values.deduplicated_usd(p).to_numpy(float)
    basis = p["value_basis"].astype(str).to_numpy()
    if scope == "World":
        share = np.ones(len(p))
        pos = np.arange(len(p))
    else:
        from p2c_analysis import countries, gaps
        from p2c_analysis.quality import pledge_positions

        alloc = gaps.allocate(p, method=method, include_global=include_global, year=year)
        members = set(countries.members(africa_group if scope == "Africa" else scope,
                                        as_of=year))
        inside = alloc["iso3"].astype(str).isin(members).to_numpy()
        pos = pledge_positions(p, alloc["pledge_id"])[inside]
        share = alloc["weight"].to_numpy(float)[inside]
    df = pd.DataFrame({"value_basis": basis[pos], "stated": usd[pos] * share,
                       "dedup": dedup[pos] * share, "pos": pos})
    df = df.loc[np.isfinite(df["stated"])]
    g = df.groupby("value_basis")
    out = pd.DataFrame({"pledges_with_value": g["pos"].nunique(),
                        "pledged_stated_usd": g["stated"].sum(),
                        "pledged_deduplicated_usd": g["dedup"].sum()}).reindex(
        [b for b in VALUE_BASES if b != "not_stated"], fill_value=0)
    out.loc[ALL] = [df["pos"].nunique(), df["stated"].sum(), df["dedup"].sum()]
    if not np.isfinite(usd).any():  # no pledge states a value: pledged USD unknown, not 0
        out[["pledged_stated_usd", "pledged_deduplicated_usd"]] = np.nan
    out["pledges_with_value"] = out["pledges_with_value"].astype("int64")
    out.index.name = "value_basis"
    return out.reset_index()


def needs_vs_pledged(
    pledges: pd.DataFrame,
    year: int = LATEST_YEAR,
    method: str = "offline",
    africa_group: str = "UN Africa",
    by_value_basis: bool = False,
    needs: pd.DataFrame | None = None,
    include_global: bool = False,
) -> pd.DataFrame:
    """Pledged USD against each published estimate, globally and for Africa.

    One row per estimate of :func:`load_needs` (world estimates against all pledges, Africa
    estimates against the USD allocated to ``africa_group``; see the module docstring), with
    ``value_basis = "all"``; with ``by_value_basis`` also one row per estimate and value basis
    (every basis with a value, 0 when none). Columns :data:`VS_COLUMNS`; shares are ranges
    (``*_share_low_pct`` against the high need, ``*_share_high_pct`` against the low need).
    ``include_global``: also spread global pledges over all countries (so over Africa's too)
    before taking Africa's share (:func:`p2c_analysis.gaps.allocate`); pledges whose targets
    are not stated are never allocated. No row when ``needs`` has none.
    """
    nd = load_needs() if needs is None else needs
    by_scope = {s: _pledged_by_basis(pledges, s, year, method, africa_group, include_global)
                for s in nd["scope"].dropna().unique()}
    rows = []
    for r in nd.to_dict("records"):
        pl = by_scope[r["scope"]]
        if not by_value_basis:
            pl = pl.loc[pl["value_basis"] == ALL]
        for b in pl.to_dict("records"):
            rows.append({**{k: r[k] for k in ("study", "published", "scope", "component",
                                              "target", "need_low_usd", "need_high_usd",
                                              "source_url")}, **b})
    if not rows:  # no estimate (none published by an analysis date): no row
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.endswith(("_usd", "_pct"))
                                          else "object") for c in VS_COLUMNS})
    out = _shares(pd.DataFrame(rows))
    return out.reindex(columns=list(VS_COLUMNS))


def known_on(needs: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """The estimates of :func:`load_needs` published by ``as_of`` (a date, ``YYYY-MM-DD``
    text or ``None`` = all): an estimate stated for a year or a month (``published``: ``2016``,
    ``2020-08``) is known from the last day of that period, as a pledge is
    (:func:`p2c_analysis.record.stated_period_end`); one whose date cannot be read is kept."""
    from p2c_analysis import record

    return record.known_rows(needs, record.stated_period_end(needs["published"]), as_of)


def load_focus_mapping(path: str | Path | None = None) -> pd.DataFrame:
    """The focus area -> need components mapping (``data/harmonization/
    needs_focus_mapping.csv``): ``focus_area, study, components`` (list, ``;``-separated in
    the file; empty = no matching component), ``assumption``."""
    p = paths.track(FOCUS_MAPPING if path is None else path)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    unknown = set(df["focus_area"]) - set(FOCUS_AREAS)
    if unknown:
        raise ValueError(f"{p.name}: unknown focus area(s) {sorted(unknown)}")
    df["components"] = [[c.strip() for c in s.split(";") if c.strip()]
                        for s in df["components"]]
    return df


def needs_by_focus_area(pledges: pd.DataFrame, needs: pd.DataFrame | None = None,
                        mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pledged USD by focus area against the matching need components (world scope).

    Columns :data:`FOCUS_COLUMNS`, one row per focus area in :data:`FOCUS_AREAS` order, then
    ``"none stated"`` (pledges with no focus area; no need). ``need_low_usd`` /
    ``need_high_usd`` sum the mapped components of the study (NaN when none matches);
    ``assumption`` is the mapping file's text. A pledge's USD (stated and de-duplicated) is
    split equally among its focus areas; ``pledges`` counts a pledge in each of its areas.
    A focus area whose mapped study is not in ``needs`` (e.g. not published by an analysis
    date: :func:`known_on`) has no need (NaN).
    """
    nd = load_needs() if needs is None else needs
    mp = load_focus_mapping() if mapping is None else mapping
    p = values.ensure_value_basis(pledges)
    usd = pd.to_numeric(p["estimated_value_usd"], errors="coerce").to_numpy(float)
    dedup = values.deduplicated_usd(p).to_numpy(float)
    cells = [list(c) if isinstance(c, list | tuple) and len(c) else [NOT_STATED]
             for c in p["focus_areas"].tolist()]
    lens = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    long = pd.DataFrame({"focus_area": [x for c in cells for x in c],
                         "stated": np.repeat(usd / np.maximum(lens, 1), lens),
                         "dedup": np.repeat(dedup / np.maximum(lens, 1), lens)})
    g = long.groupby("focus_area")
    agg = pd.DataFrame({"pledges": g.size(), "pledges_with_value": g["stated"].count(),
                        "pledged_stated_usd": g["stated"].sum(min_count=1),
                        "pledged_deduplicated_usd": g["dedup"].sum(min_count=1)})
    agg = agg.reindex([*FOCUS_AREAS, NOT_STATED])
    rows = []
    for fa in agg.index:
        m = mp.loc[mp["focus_area"] == fa]
        study = m["study"].iloc[0] if len(m) else pd.NA
        comps = m["components"].iloc[0] if len(m) else []
        sel = nd.loc[(nd["study"] == study) & nd["component"].isin(comps)]
        found = set(sel["component"])
        if set(comps) - found and (nd["study"] == study).any():  # a study not given (not
            # published yet by an analysis date) has no need; one missing a component is wrong
            raise ValueError(f"needs mapping: component(s) {sorted(set(comps) - found)} of "
                             f"{fa} not in the study {study!r}")
        rows.append({
            "focus_area": fa, "study": study, "components": "; ".join(comps) or pd.NA,
            "need_low_usd": float(sel["need_low_usd"].sum()) if len(sel) else np.nan,
            "need_high_usd": float(sel["need_high_usd"].sum()) if len(sel) else np.nan,
            **agg.loc[fa].to_dict(),
            "assumption": m["assumption"].iloc[0] if len(m) else
            "pledges with no focus area: no need component to set them against",
        })
    out = _shares(pd.DataFrame(rows))
    for c in ("pledges", "pledges_with_value"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("focus_area", "study", "components", "assumption"):
        out[c] = out[c].astype("string")
    return out.reindex(columns=list(FOCUS_COLUMNS))


def say_needs(totals: pd.DataFrame, year: int, as_of: object = None) -> list:
    """The sentences of a report's "Pledged against what is needed" section, one per published
    estimate (``totals``: the ``component == "total"`` rows of :func:`needs_vs_pledged`; an
    empty one gives "No estimate had been published by {as_of}."): the study, its need (a
    range when published as one), the USD pledged as stated and de-duplicated and their shares
    of the need (ranges too; when no pledge with a value reaches the study's scope, a sentence
    saying so rather than "Pledged USD 0 ... 0.0% of the need"), and a note when the study's
    target year had passed by ``year``.
    Returns ``IPython.display.Markdown`` objects (:func:`p2c_analysis.report.say`)."""
    from p2c_analysis import report, style

    def span(lo: object, hi: object, fmt: object) -> str:  # one figure when both ends agree
        return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"  # type: ignore

    if totals.empty:
        return [report.say("No estimate had been published by {as_of}.", as_of=as_of)]
    out = []
    for row in totals.to_dict("records"):
        due = deadline(row["target"])
        out.append(report.say(
            "- **{study}** ({published}; {scope}: {target}): needed {need}. " + (
                "Pledged {stated} as stated, {dedup} without money counted before: {share} of "
                "the need ({share_d} de-duplicated)."
                if not style.is_missing(row["pledged_stated_usd"]) and row["pledged_stated_usd"]
                else "No pledge in its scope states a value to set against it."
                if not style.is_missing(row["pledged_stated_usd"])
                else "No pledge states a value to set against it.")
            + (" Its target year, {due}, had passed by {year}: set beside the pledges for the "
               "record only." if (due or year) < year else ""),
            due=due, year=year, study=row["study"], published=row["published"],
            scope=row["scope"], target=row["target"],
            need=span(row["need_low_usd"], row["need_high_usd"], style.fmt_usd),
            stated=style.fmt_usd(row["pledged_stated_usd"]),
            dedup=style.fmt_usd(row["pledged_deduplicated_usd"]),
            share=span(row["stated_share_low_pct"], row["stated_share_high_pct"],
                       style.fmt_pct),
            share_d=span(row["deduplicated_share_low_pct"], row["deduplicated_share_high_pct"],
                         style.fmt_pct)))
    return out


def components_text(needs: pd.DataFrame, as_of: object = None) -> str:
    """The sentence that opens a report's "By focus area" part: which study published by
    ``as_of`` (:func:`known_on`) splits its need into components (rows of ``needs``, e.g.
    :func:`load_needs`, whose ``component`` is not ``"total"``); when none had been by then,
    that none had (an as-of report never names a later study); when no study does, that none
    does. Plain text for the caller to escape."""
    parts = needs[needs["component"].ne("total")]
    known = known_on(parts, as_of)
    if len(known):
        studies = list(dict.fromkeys(known["study"].astype(str)))
        from p2c_analysis.report import list_text

        return (f"The {list_text(studies)} {'splits its' if len(studies) == 1 else 'split their'}"
                f" need into components.")
    if parts.empty:
        return "No published estimate splits its need into components."
    return (f"No estimate published by {as_of} splits its need into components: there is "
            "nothing to set against the focus areas.")
