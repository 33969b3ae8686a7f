"""Internet use and offline population by country and year, group aggregates, and a validation
table against ITU's and the World Bank's own aggregates.

Sources (``data/raw/``, see ``SOURCES.md``): ITU's "Individuals using the Internet (% of
population)" as republished by the World Bank (WDI IT.NET.USER.ZS, vintage 13 July 2026) and WDI
population (SP.POP.TOTL, same vintage); ITU Facts and Figures 2024 workbook (Nov 2024) for the
comparison. Only the 217 WDI economies are used (the files mix in 48 aggregate rows), years
:data:`FIRST_YEAR`–:data:`LATEST_YEAR` (2025 covers only 10 economies and has spurious zeros).

Units: ``population`` and ``offline`` in persons, ``internet_pct`` in percent of the population
(0–100), shares (``*_pct``) in percent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from p2c_analysis import cache, countries, paths
from p2c_analysis.vocabulary import (
    FIRST_YEAR,
    IMPUTATION_METHODS,
    INCOME_GROUPS,
    ITU_REGIONS,
    LATEST_YEAR,
)

if TYPE_CHECKING:
    from IPython.display import Markdown

VINTAGE_NOTE = (
    "Bottom-up figures use ITU data as republished in WDI (vintage July 2026); ITU's Facts and "
    "Figures 2024 aggregates are an earlier vintage (Nov 2024) and are modelled by ITU, so the "
    "two differ by more than rounding."
)


def _read_wdi_wide(path) -> pd.DataFrame:
    """A WDI "API_" CSV as a frame indexed by WB code with int year columns (all rows)."""
    df = pd.read_csv(paths.track(path), skiprows=4, encoding="utf-8-sig")
    df = df.drop(columns=[c for c in df.columns if c.startswith("Unnamed")])
    df = df.set_index("Country Code")
    years = [c for c in df.columns if c.isdigit()]
    out = df[years].astype("float64")
    out.columns = out.columns.astype(int)
    return out


@functools.cache
def _wdi_internet() -> pd.DataFrame:
    return _read_wdi_wide(paths.WDI_INTERNET)


@functools.cache
def _wdi_population() -> pd.DataFrame:
    return _read_wdi_wide(paths.WDI_POPULATION)


def economies() -> list[str]:
    """ISO3 (WB) codes of the 217 WDI economies (rows with a region in the WDI metadata)."""
    ref = countries.reference()
    return sorted(ref.loc[ref["in_wdi"], "iso3"])


#: How each of :data:`IMPUTATION_METHODS` fills a wide (economy x year) frame: ``linear``
#: interpolates inside the observed years and carries the last observation forward.
_FILL = {
    "none": lambda obs: obs,
    "locf": lambda obs: obs.ffill(axis=1),
    "linear": lambda obs: obs.interpolate(axis=1, method="index", limit_area="inside")
    .ffill(axis=1),
}


def _impute(obs: pd.DataFrame, method: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Impute a wide (economy × year) frame. Returns (values, left source year, right source
    year); the right source year is only set where a value was interpolated."""
    years = np.asarray(obs.columns, dtype="float64")
    observed_year = pd.DataFrame(
        np.where(obs.notna(), years, np.nan), index=obs.index, columns=obs.columns
    )
    left = observed_year.ffill(axis=1)
    right = observed_year.bfill(axis=1)
    values = _FILL[method](obs)
    left = left.where(values.notna())
    inside = values.notna() & obs.isna() & right.notna()
    right = right.where(inside & (method == "linear"))
    return values, left, right


def _checked_method(method: str) -> str:
    """``method`` when it is one of :data:`IMPUTATION_METHODS`; ``ValueError`` naming them
    otherwise (it was a bare ``KeyError: 'cubic'``)."""
    if method not in IMPUTATION_METHODS:
        raise ValueError(f"method={method!r}: expected one of {', '.join(IMPUTATION_METHODS)}")
    return method


@cache.derived("connectivity.country_year")
def _country_year(method: str) -> pd.DataFrame:
    econ = economies()
    years = list(range(FIRST_YEAR, LATEST_YEAR + 1))
    obs = _wdi_internet().reindex(index=econ)[years]
    pop = _wdi_population().reindex(index=econ)[years]
    values, left, right = _impute(obs, method)

    def long(frame: pd.DataFrame, name: str) -> pd.Series:
        s = frame.stack(future_stack=True)
        s.name = name
        return s

    out = pd.concat(
        [
            long(pop, "population"),
            long(values, "internet_pct"),
            long(left, "source_year"),
            long(right, "source_year_after"),
            long(obs.notna(), "observed"),
        ],
        axis=1,
    )
    out.index.names = ["iso3", "year"]
    out = out.reset_index()
    out["iso3"] = out["iso3"].astype("string")
    out["year"] = out["year"].astype("int64")
    out["offline"] = out["population"] * (1.0 - out["internet_pct"] / 100.0)
    out["imputed"] = out["internet_pct"].notna() & ~out["observed"].astype(bool)
    out["source_year"] = out["source_year"].astype("Int64")
    out["source_year_after"] = out["source_year_after"].astype("Int64")
    out["method"] = method
    cols = ["iso3", "year", "population", "internet_pct", "offline", "source_year",
            "source_year_after", "imputed", "method"]  # fmt: skip
    return out[cols]


def country_year(method: str = "linear") -> pd.DataFrame:
    """Tidy table, one row per WDI economy and year ``FIRST_YEAR..LATEST_YEAR``.

    Columns: ``iso3, year, population`` (persons, mid-year), ``internet_pct`` (percent of the
    population using the Internet; NaN where the economy has no value to rest on — never
    invented), ``offline`` (persons = population × (1 − internet_pct/100); NaN with
    internet_pct), ``source_year`` (the observed year the value rests on; for an interpolated
    value the observed year before it), ``source_year_after`` (for an interpolated value, the
    observed year after it; else NA), ``imputed`` (True where the value is not an observation),
    ``method`` (see :data:`IMPUTATION_METHODS`; checked by ``params``, an unknown one is a
    ``KeyError``). Returns a copy.
    """
    return _country_year(_checked_method(method)).copy()


def for_year(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """:func:`country_year` for one year (``FIRST_YEAR..LATEST_YEAR``, checked by ``params``;
    another is a ``KeyError``; ``"2024"`` is 2024), one row per economy."""
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    cy = _country_year(_checked_method(method))
    rows = cy.index[cy["year"].eq(year)]
    if rows.empty:
        raise KeyError(f"no connectivity data for the year {year!r} "
                       f"(years {FIRST_YEAR}-{LATEST_YEAR})")
    return cy.loc[rows].reset_index(drop=True)


def offline_by_country(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """One row per economy for ``year`` with its name and groups: ``iso3, name, year,
    population, internet_pct, offline, imputed, source_year, method, itu_region, income_group,
    ldc, lldc, sids`` (units as :func:`country_year`; group flags are the M49 lists of Sept
    2024, text ``<NA>`` where the economy has no ITU-D region or income group)."""
    ref = countries.reference().set_index("iso3")
    out = for_year(year, method)[["iso3", "year", "population", "internet_pct", "offline",
                                  "imputed", "source_year", "method"]]
    out.insert(1, "name", out["iso3"].map(ref["name"]))
    for col in ("itu_region", "income_group", "ldc", "lldc", "sids"):
        out[col] = out["iso3"].map(ref[col])
    return out


def history(iso3: str, year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """One economy's rows of :func:`country_year` up to ``year``, oldest first (columns and
    units as there). An economy the WDI files do not cover (e.g. Anguilla, Niue: SIDS that
    are not World Bank economies) gets its rows all the same, with every value missing
    (``population``, ``internet_pct``, ``offline`` NaN, ``source_year`` NA, ``imputed``
    False): it has no value to rest on, and none is invented. ``iso3`` may be any name or code
    :func:`countries.resolve` knows; an unknown one raises ``UnknownCountryError`` (it used to
    give 25 empty rows, as for a real economy without data)."""
    iso3 = countries.resolve(iso3)
    cy = _country_year(_checked_method(method))
    rows = cy[cy["iso3"].eq(iso3) & cy["year"].le(year)]
    if rows.empty and year >= FIRST_YEAR:
        years = range(FIRST_YEAR, min(year, LATEST_YEAR) + 1)
        rows = cy.iloc[:0].reindex(range(len(years)))
        rows = rows.assign(iso3=pd.array([iso3] * len(years), dtype="string"),
                           year=pd.array(years, dtype="int64"), imputed=False, method=method)
        return rows.astype(cy.dtypes.to_dict())
    return rows.sort_values("year")


def observed_only(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`history` with the imputed Internet values (and offline people) blanked:
    the observations, beside every year's population (a trend rests on observations; its
    projection holds the latest population, not the one of the last observed year)."""
    imputed = rows["imputed"].to_numpy(bool)
    return rows.assign(internet_pct=rows["internet_pct"].where(~imputed),
                       offline=rows["offline"].where(~imputed))


def without_data(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """Economies with no internet value to rest on in ``year`` (none observed up to then):
    ``iso3, name, population``, largest first. They are left out of offline totals."""
    t = for_year(year, method)
    t = t[t["internet_pct"].isna()][["iso3", "population"]]
    t.insert(1, "name", t["iso3"].map(countries.country_name).astype("string"))
    return t.sort_values("population", ascending=False).reset_index(drop=True)


def without_income_group(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """Economies with an Internet value in ``year`` that belong to no World Bank income group
    (the FY26 list leaves Ethiopia and Venezuela unclassified): ``iso3, name, population,
    offline`` (persons), most offline first. They count in the world and in their regions, but
    in none of the income groups, which therefore add up to less than the world."""
    return _outside("income_group", year, method)


def without_itu_region(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """Economies with an Internet value in ``year`` that are in none of the six ITU-D regions
    (the regions list ITU Member States only: territories such as American Samoa, the Northern
    Mariana Islands or Sint Maarten are in none): ``iso3, name, population, offline``
    (persons), most offline first. They count in the world, in their income group and in SIDS,
    but in no region row, so the regions add up to less than the world."""
    return _outside("itu_region", year, method)


#: How :func:`left_out_text` names each kind of group an economy can be left out of: the
#: groups, why an economy is in none of them, and the groups it still counts in.
LEFT_OUT_WORDING: dict[str, tuple[str, str, str]] = {
    "income_group": ("four income groups", "the World Bank does not classify by income",
                     "{n:#its region|their regions}"),
    "itu_region": ("six ITU-D regions", "{n:#is|are} in no ITU-D region (the regions list ITU "
                   "Member States only)", "{n:#its income group|their income groups}"),
}


def left_out_text(kind: str, outside: pd.DataFrame, world: float) -> Markdown:
    """The sentence on the economies with a value that a kind of group leaves out
    (:func:`without_income_group`, :func:`without_itu_region`; ``kind`` a key of
    :data:`LEFT_OUT_WORDING`): each named with its people offline, and how many fewer people
    offline the groups add up to than the world's ``world`` (persons); the difference is
    stated, since a few thousand people do not show beside billions. One sentence saying every
    economy is in one of the groups when ``outside`` is empty."""
    from p2c_analysis import report, style

    label, who, also = LEFT_OUT_WORDING[kind]
    if outside.empty:
        return report.say("Every economy with a value is in one of the {label}.", label=label)
    return report.say(
        "The {label} leave out {n:~economy|economies} with a value that " + who + ": {items}. "
        "{n:#It counts|They count} in the world and in " + also + ", so the {label} add up to "
        "{fewer} fewer people offline than the world ({world}).",
        label=label, n=len(outside), fewer=style.fmt_people(outside["offline"].sum()),
        world=style.fmt_people(world),
        items=report.list_text(f"{row.name} ({style.fmt_people(row.offline)} offline)"
                               for row in outside.itertuples()))


def value_sources_text(world: Mapping[str, float], year: int) -> str:
    """The clause on where the world's ``year`` values come from, from the ``World`` row of
    :func:`aggregate` (``data_coverage_pct``, ``imputed_pct``, ``no_data_pct``: percent of the
    world's population): "For 95.7% of the world's population the 2000 value is observed; for
    0.3% it is imputed; for 4.0% there is none." A share that is exactly 0 is said in words
    ("no value is imputed"), not as "0.0%"; the part on economies without a value only when
    there are some (its share rounds above 0). Plain text, ends with a full stop."""
    from p2c_analysis import style

    text = (f"For {style.fmt_pct(world['data_coverage_pct'])} of the world's population the "
            f"{year} value is observed; ")
    imputed = world["imputed_pct"]
    text += ("no value is imputed" if not style.is_missing(imputed) and float(imputed) == 0
             else f"for {style.fmt_pct(imputed)} it is imputed")
    if round(float(world["no_data_pct"]), 1) > 0:
        text += f"; for {style.fmt_pct(world['no_data_pct'])} there is none"
    return text + "."


def _outside(column: str, year: int, method: str) -> pd.DataFrame:
    """Rows of :func:`offline_by_country` with a value (``offline`` not missing) and no
    ``column`` (a group column, e.g. ``income_group``), most offline first."""
    t = offline_by_country(year, method)
    t = t[t[column].isna() & t["offline"].notna()]
    return t[["iso3", "name", "population", "offline"]].sort_values(
        "offline", ascending=False).reset_index(drop=True)


def aggregate(
    groups: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
    year: int = LATEST_YEAR,
    method: str = "linear",
) -> pd.DataFrame:
    """Group aggregates for one year, bottom-up from the economies.

    ``groups``: group labels (membership as of ``year``, see :func:`countries.members`), or a
    mapping ``{label: [iso3, ...]}`` for custom lists; default :data:`STANDARD_GROUPS`.

    Columns: ``group, year, population`` (all members with population data), ``offline``
    (persons, summed over members with an internet value), ``internet_pct`` (100 × users ÷
    population of members with a value), ``data_coverage_pct`` (share of the group's population
    with an *observed* value for the year), ``imputed_pct`` (share resting on an imputed value),
    ``no_data_pct`` (share with no value at all, left out of ``offline``), ``n_countries``.
    """
    return aggregate_series(groups, [year], method)


def aggregate_series(
    groups: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
    years: Iterable[int] | None = None,
    method: str = "linear",
) -> pd.DataFrame:
    """:func:`aggregate` for several years stacked, year by year in the order given (default
    2015–``LATEST_YEAR``); group membership is taken as of each year. One merge and one
    group-by for all the years (a group-by per year cost a profile 0.5–0.9 s); a year outside
    ``FIRST_YEAR..LATEST_YEAR`` is a ``KeyError`` naming it."""
    years = list(years) if years is not None else list(range(2015, LATEST_YEAR + 1))
    years = [int(y) if isinstance(y, str) and y.strip().isdigit() else y for y in years]
    cy = _country_year(_checked_method(method))
    for y in years:
        if y not in range(FIRST_YEAR, LATEST_YEAR + 1):
            raise KeyError(f"no connectivity data for the year {y!r} "
                           f"(years {FIRST_YEAR}-{LATEST_YEAR})")
    if isinstance(groups, str):  # one label: "LDC" is a group, not the groups "L", "D", "C"
        groups = [groups]
    if groups is not None and not isinstance(groups, Mapping):
        groups = list(groups)  # an iterator is read once for every year
    rows, keys = [], []
    for y in years:
        by_group = countries.memberships(groups, as_of=y)
        keys += [(y, label) for label in by_group]
        rows += [(y, label, i) for label, iso3s in by_group.items() for i in iso3s]
    m = pd.DataFrame(rows, columns=["year", "group", "iso3"]).astype(
        {"year": "int64", "group": "string", "iso3": "string"})
    # members outside WDI (e.g. VAT) have no data; the merge keeps the members' order
    m = m.merge(cy, on=["iso3", "year"], how="inner")
    has = m["internet_pct"].notna()
    imputed = m["imputed"].astype(bool)
    m = m.assign(
        pop_with=m["population"].where(has, 0.0),
        offline_with=m["offline"].where(has, 0.0),
        pop_obs=m["population"].where(has & ~imputed, 0.0),
        pop_imp=m["population"].where(imputed, 0.0),
    )
    by = m.groupby(["year", "group"], sort=False)
    g = by[["pop_with", "offline_with", "pop_obs", "pop_imp"]].sum()
    g["population"] = by["population"].sum(min_count=1)
    g["n_countries"] = by.size()
    g = g.reindex(pd.MultiIndex.from_tuples(keys, names=["year", "group"]))
    pop = g["population"].where(g["population"] > 0)
    pop_with = g["pop_with"].where(g["pop_with"] > 0)
    return pd.DataFrame(
        {
            "group": pd.array([k[1] for k in keys], dtype="string"),
            "year": pd.array([k[0] for k in keys], dtype="int64"),
            "population": g["population"].to_numpy(),
            "offline": g["offline_with"].where(pop_with.notna()).to_numpy(),
            "internet_pct": (100.0 * (1 - g["offline_with"] / pop_with)).to_numpy(),
            "data_coverage_pct": (100.0 * g["pop_obs"] / pop).to_numpy(),
            "imputed_pct": (100.0 * g["pop_imp"] / pop).to_numpy(),
            "no_data_pct": (100.0 * (pop - g["pop_with"]) / pop).to_numpy(),
            "n_countries": g["n_countries"].fillna(0).astype("int64").to_numpy(),
        }
    )


def method_comparison(
    year: int = LATEST_YEAR, groups: Iterable[str] | None = None
) -> pd.DataFrame:
    """Offline people by group under each imputation method side by side (persons), so a
    reader sees how much the choice matters (e.g. Pakistan 2021–2023)."""
    frames = []
    for method in IMPUTATION_METHODS:
        a = aggregate(groups, year, method)[["group", "offline"]]
        frames.append(a.set_index("group")["offline"].rename(f"offline_{method}"))
    return pd.concat(frames, axis=1).reset_index()


# --------------------------------------------------------------------------------------------
# official aggregates for validation
# --------------------------------------------------------------------------------------------

#: ITU workbook row label → our group label.
_ITU_LABELS = {
    "World": "World",
    "Least Developed Countries (LDCs)": "LDC",
    "Land Locked Developing Countries (LLDCs)": "LLDC",
    "Small Island Developing States (SIDS)": "SIDS",
    "Low-income": "Low income",
    "Lower-middle-income": "Lower middle income",
    "Upper-middle-income": "Upper middle income",
    "High-income": "High income",
    "Africa": "Africa",
    "Americas": "Americas",
    "Arab States": "Arab States",
    "Asia-Pacific": "Asia & Pacific",
    "CIS": "CIS",
    "Europe": "Europe",
}
#: World Bank aggregate code → our group label (the WB has no LLDC, SIDS or ITU-D aggregates).
_WB_CODES = {
    "WLD": "World",
    "LDC": "LDC",
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "UMC": "Upper middle income",
    "HIC": "High income",
}


def _parse_itu_sheet(sheet: pd.DataFrame) -> pd.DataFrame:
    """The "Individuals using the Internet" block of one workbook sheet: millions in the left
    half, percentages in the right half, one header row of years for each."""
    col0 = sheet[0].astype("string")
    start = col0[col0.str.contains("Individuals using the Internet", na=False)].index[0]
    # the header row with years is the first row at/after start whose column 1 is a year
    header = next(r for r in range(start, start + 3) if str(sheet.iat[r, 1]).startswith("20"))
    years_row = sheet.iloc[header]
    year_cols = [c for c in sheet.columns[1:] if pd.notna(years_row[c])]
    half = len(year_cols) // 2
    users_cols, pct_cols = year_cols[:half], year_cols[half:]
    rows = []
    r = header + 1
    while r < len(sheet) and pd.notna(sheet.iat[r, 0]):
        label = str(sheet.iat[r, 0]).strip()
        for uc, pc in zip(users_cols, pct_cols, strict=True):
            rows.append(
                {
                    "itu_label": label,
                    "year": int(float(years_row[uc])),
                    "users": float(sheet.iat[r, uc]) * 1e6,
                    "internet_pct": float(sheet.iat[r, pc]),
                }
            )
        r += 1
    return pd.DataFrame(rows)


@cache.derived("connectivity.itu_aggregates")
def _itu_aggregates() -> pd.DataFrame:
    book = pd.read_excel(paths.track(paths.ITU_AGGREGATES), sheet_name=None, header=None)
    parts = [
        _parse_itu_sheet(book["By dvpmnt status and spec. reg."]),
        _parse_itu_sheet(book["By BDT region"]),
    ]
    out = pd.concat(parts, ignore_index=True)
    out["group"] = out["itu_label"].map(_ITU_LABELS).astype("string")
    out = out.dropna(subset=["group"])
    out["population"] = out["users"] / (out["internet_pct"] / 100.0)
    out["offline"] = out["population"] - out["users"]
    return out[["group", "year", "population", "offline", "internet_pct", "users"]]


def itu_aggregates() -> pd.DataFrame:
    """ITU Facts and Figures 2024 aggregates (Nov 2024): ``group, year, population, offline,
    internet_pct, users``. ``users`` is ITU's figure (millions × 1e6, persons); ``population``
    and ``offline`` are implied (users ÷ penetration), so they carry ITU's rounding (0.1 M,
    0.1 pp)."""
    return _itu_aggregates().copy()


def wb_aggregates() -> pd.DataFrame:
    """World Bank aggregate rows of the WDI files: ``group, year, population, offline,
    internet_pct`` for World, LDC and the income groups (FY26 composition)."""
    inet = _wdi_internet()
    pop = _wdi_population()
    rows = []
    for code, label in _WB_CODES.items():
        for year in range(FIRST_YEAR, LATEST_YEAR + 1):
            p, i = pop.at[code, year], inet.at[code, year]
            rows.append(
                {
                    "group": label,
                    "year": year,
                    "population": p,
                    "offline": p * (1 - i / 100.0) if pd.notna(i) else np.nan,
                    "internet_pct": i,
                }
            )
    out = pd.DataFrame(rows)
    out["group"] = out["group"].astype("string")
    return out


VALIDATION_GROUPS: tuple[str, ...] = ("World", "LDC", "LLDC", "SIDS", *ITU_REGIONS,
                                      *INCOME_GROUPS)  # fmt: skip


def validation_table(year: int = LATEST_YEAR, method: str = "linear") -> pd.DataFrame:
    """Bottom-up aggregates beside ITU's (Facts and Figures 2024) and the World Bank's own.

    One row per group of :data:`VALIDATION_GROUPS`; columns ``group, year``, then for each
    source ``ours_*``, ``itu_*``, ``wb_*`` the ``internet_pct`` and ``offline`` (persons), and
    the differences ``diff_itu_pp`` / ``diff_wb_pp`` (ours − theirs, percentage points) and
    ``diff_itu_offline`` / ``diff_wb_offline`` (persons). NaN where a source publishes no such
    aggregate (the World Bank has no LLDC, SIDS or ITU-D region rows). The vintages differ
    (:data:`VINTAGE_NOTE`); ITU's income groups use ITU's own country lists.
    """
    ours = aggregate(list(VALIDATION_GROUPS), year, method).set_index("group")
    itu = _itu_aggregates()
    itu = itu[itu["year"].eq(year)].set_index("group")
    wb = wb_aggregates()
    wb = wb[wb["year"].eq(year)].set_index("group")
    out = pd.DataFrame(index=pd.Index(list(VALIDATION_GROUPS), name="group", dtype="string"))
    out["year"] = year
    for prefix, src in (("ours", ours), ("itu", itu), ("wb", wb)):
        src = src.reindex(out.index)
        out[f"{prefix}_population"] = src["population"]
        out[f"{prefix}_internet_pct"] = src["internet_pct"]
        out[f"{prefix}_offline"] = src["offline"]
    out["ours_data_coverage_pct"] = ours.reindex(out.index)["data_coverage_pct"]
    for prefix in ("itu", "wb"):
        out[f"diff_{prefix}_pp"] = out["ours_internet_pct"] - out[f"{prefix}_internet_pct"]
        out[f"diff_{prefix}_offline"] = out["ours_offline"] - out[f"{prefix}_offline"]
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# ITU's headline figures, edition by edition, beside the bottom-up series
# --------------------------------------------------------------------------------------------

_HEADLINE_COLUMNS = ("edition", "release_date", "year", "group", "indicator", "value", "unit",
                     "source_url", "notes")
_UNIT_FACTORS = {"billion persons": 1e9, "percent of population": 1.0}


def itu_headline_figures(path=None) -> pd.DataFrame:
    """ITU's headline connectivity figures as published in each edition (Facts and Figures
    2021-2025, Global Connectivity Report 2022), from ``data/reference/itu_headline_figures.csv``
    (or ``path``). One row per published figure, in file order.

    Columns ``edition``, ``release_date`` (datetime64), ``year`` (int: the data year the figure
    is for), ``group`` (``"World"``, ``"LDC"``, an ITU-D region or income group as ITU names
    it), ``indicator`` (``offline_people``, ``internet_users``, ``internet_pct``,
    ``offline_pct``), ``value`` and ``unit`` as published, ``value_si`` (persons for
    ``billion persons``, percent for ``percent of population``; NaN for another unit),
    ``previous_value`` (the same figure in the latest earlier edition, in ``value``'s unit; NaN
    when none), ``is_revision`` (an earlier edition gave another value for the same year,
    group and indicator: e.g. 2024 offline people, 2.6 bn in 2024, 2.3 bn in 2025),
    ``source_url``, ``notes``. Raises ``ValueError`` naming the file and line for a missing
    column, a bad date or year, or a non-numeric value.
    """
    p = paths.track(paths.ITU_HEADLINE_FIGURES if path is None else path)
    raw = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in _HEADLINE_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{p.name}: missing column(s) {', '.join(missing)}")
    df = raw.loc[:, list(_HEADLINE_COLUMNS)].astype("string")
    for col, parse in (("release_date", lambda s: pd.to_datetime(s, format="%Y-%m-%d",
                                                                   errors="coerce")),
                       ("year", lambda s: pd.to_numeric(s, errors="coerce")),
                       ("value", lambda s: pd.to_numeric(s, errors="coerce"))):
        parsed = parse(df[col])
        bad = parsed.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{p.name} line {i + 2}: {col} {df[col].iloc[i]!r} is not valid")
        df[col] = parsed
    df["release_date"] = df["release_date"].astype("datetime64[ns]")
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    df["value_si"] = df["value"] * df["unit"].map(_UNIT_FACTORS).astype("float64")
    keys = ["year", "group", "indicator"]
    ordered = df.sort_values("release_date", kind="stable")
    prev = ordered.groupby(keys, sort=False)["value"].shift()
    df["previous_value"] = prev.reindex(df.index).astype("float64")
    df["is_revision"] = (df["previous_value"].notna()
                         & (df["previous_value"] != df["value"])).astype(bool)
    order = [*_HEADLINE_COLUMNS[:7], "value_si", "previous_value", "is_revision",
             *_HEADLINE_COLUMNS[7:]]
    return df[order]


def itu_headline_comparison(path=None, method: str = "linear") -> pd.DataFrame:
    """Per data year, ITU's world figure of offline people in each edition (revisions
    included) beside our bottom-up offline people (:func:`aggregate` ``(["World"], year)``).

    One row per (year, edition) that publishes a world ``offline_people`` figure, sorted by
    year then release date. Columns ``year``, ``edition``, ``release_date``,
    ``itu_headline_offline`` (persons, as published: rounded to 0.1 bn),
    ``itu_headline_internet_pct`` (the world share online for that year in the same release,
    NaN when not published), ``is_revision``, ``latest_edition`` (True for the newest edition
    giving that year's figure), ``bottom_up_offline`` (persons; NaN for a year after
    :data:`LATEST_YEAR`), ``bottom_up_internet_pct``, ``difference``
    (``itu_headline_offline - bottom_up_offline``, persons), ``source_url``, ``notes``. The
    bottom-up series uses a later data vintage than every edition (see :data:`VINTAGE_NOTE`),
    so it is closest to the latest edition.
    """
    f = itu_headline_figures(path)
    world = f[f["group"] == "World"]
    off = world[world["indicator"] == "offline_people"].copy()
    keys = ["year", "edition", "release_date"]
    pct = world[world["indicator"] == "internet_pct"].set_index(keys)["value"]
    pct = pct[~pct.index.duplicated(keep="last")]
    off["itu_headline_internet_pct"] = [pct.get(k, np.nan) for k in
                               zip(off["year"], off["edition"], off["release_date"], strict=True)]
    newest = off.groupby("year")["release_date"].transform("max")
    off["latest_edition"] = off["release_date"] == newest
    ours = {}
    for y in sorted(set(off["year"])):
        if FIRST_YEAR <= y <= LATEST_YEAR:
            a = aggregate(["World"], int(y), method).iloc[0]
            ours[y] = (float(a["offline"]), float(a["internet_pct"]))
    off["bottom_up_offline"] = off["year"].map(lambda y: ours.get(y, (np.nan,))[0])
    off["bottom_up_internet_pct"] = off["year"].map(lambda y: ours.get(y, (np.nan, np.nan))[1])
    out = pd.DataFrame({
        "year": off["year"], "edition": off["edition"], "release_date": off["release_date"],
        "itu_headline_offline": off["value_si"],
        "itu_headline_internet_pct": off["itu_headline_internet_pct"],
        "is_revision": off["is_revision"], "latest_edition": off["latest_edition"],
        "bottom_up_offline": off["bottom_up_offline"].astype("float64"),
        "bottom_up_internet_pct": off["bottom_up_internet_pct"].astype("float64"),
        "difference": off["value_si"] - off["bottom_up_offline"].astype("float64"),
        "source_url": off["source_url"], "notes": off["notes"],
    })
    return out.sort_values(["year", "release_date"], kind="stable").reset_index(drop=True)


def itu_headline_by_year(comparison: pd.DataFrame | None = None) -> pd.DataFrame:
    """ITU's world figure of people offline per data year: as first printed and as last
    printed, from :func:`itu_headline_comparison` (or ``comparison``, a table of its columns).

    One row per data year, by year. Columns ``year``, ``n_editions`` (publications printing a
    world figure for the year), ``first_edition``, ``first_offline`` (persons, the earliest
    release), ``last_edition``, ``last_offline`` (the latest release), ``revised`` (the last
    figure differs from the first), ``revision`` (``last_offline - first_offline``, persons; 0
    when not revised), ``bottom_up_offline`` (persons; NaN after :data:`LATEST_YEAR`)."""
    c = itu_headline_comparison() if comparison is None else comparison
    c = c.sort_values(["year", "release_date"], kind="stable")
    g = c.groupby("year", sort=True)
    first, last = g.head(1).set_index("year"), g.tail(1).set_index("year")
    out = pd.DataFrame({
        "year": first.index.astype("int64"),
        "n_editions": g.size().to_numpy().astype("int64"),
        "first_edition": first["edition"].astype("string").to_numpy(),
        "first_offline": first["itu_headline_offline"].to_numpy(dtype=float),
        "last_edition": last["edition"].astype("string").to_numpy(),
        "last_offline": last["itu_headline_offline"].to_numpy(dtype=float),
    })
    out["first_edition"] = out["first_edition"].astype("string")
    out["last_edition"] = out["last_edition"].astype("string")
    out["revision"] = out["last_offline"] - out["first_offline"]
    out["revised"] = (out["revision"] != 0).astype(bool)
    out["bottom_up_offline"] = last["bottom_up_offline"].to_numpy(dtype=float)
    return out[["year", "n_editions", "first_edition", "first_offline", "last_edition",
                "last_offline", "revised", "revision", "bottom_up_offline"]]


def headline_vs_bottom_up_text(by_year: pd.DataFrame, method: str = "linear") -> str:
    """The sentence setting the bottom-up world figure of offline people for the latest year
    it has beside ITU's printed figures for that year (an :func:`itu_headline_by_year` table):
    its latest and, when revised since, its first. A figure never revised is said once, not
    "higher than ITU's latest (2.6 bn, X) and higher than the figure first printed (2.6 bn,
    X)". ``method`` ``"none"``: the bottom-up sum leaves out the economies without a value that
    year, and the sentence says how much of the world's population that is, rather than set a
    partial sum beside a world figure without a word. Plain text (pass through
    :func:`report.say`); ``""`` when no year has both."""
    from p2c_analysis import report, style

    have = by_year.dropna(subset=["bottom_up_offline"])
    if have.empty:
        return ""
    ours = have.iloc[-1]
    year, bu = int(ours["year"]), float(ours["bottom_up_offline"])

    def vs(theirs: float) -> str:
        return report.compare((bu - theirs) / 1e9, "bn", 2)

    last = (f"{vs(ours['last_offline'])} ITU's latest "
            f"({style.fmt_people(ours['last_offline'], trim=True)}, {ours['last_edition']})")
    text = f"Our bottom-up figure for {year}, {style.fmt_people(bu)}, is {last}"
    if ours["first_edition"] != ours["last_edition"]:
        text += (f" and {vs(ours['first_offline'])} the figure first printed for that year "
                 f"({style.fmt_people(ours['first_offline'], trim=True)}, "
                 f"{ours['first_edition']})")
    text += "."
    if method == "none":
        gap = float(aggregate(["World"], year, method).iloc[0]["no_data_pct"])
        if round(gap, 1) > 0:
            text += (f" Without imputation it sums only the economies with a {year} value: the "
                     f"{style.fmt_pct(gap)} of the world's population living in economies "
                     "without one are not counted, so it is not a figure for the whole world.")
    return text
