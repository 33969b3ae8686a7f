"""Dated exchange rates to convert pledge values to US dollars.

Rates are the World Bank WDI series PA.NUS.FCRF, "Official exchange rate (LCU per US$,
period average)": one **annual average** per economy and year, in local currency units
per US dollar (``data/raw/wdi_PA.NUS.FCRF_exchange_rate_lcu_per_usd.csv``, long format).
A currency (ISO 4217) is mapped to the WDI row to use by
``data/reference/currency_iso4217_to_iso3.csv`` (EUR -> the ``EMU`` euro-area row, XOF -> SEN,
...; see ``data/raw/SOURCES.md`` section 9 for caveats: official rates can differ from
market rates, e.g. NGN before June 2023).

Rule: the rate year is the pledge's announcement year. When that year has no rate (e.g. the
latest year is not yet published), the nearest *earlier* year with a rate is used and the
result says which year was used, at most :data:`MAX_RATE_AGE_YEARS` years earlier: a series
that stopped long before (WDI's Turkmenistan row ends in 2001, Cuba's in 1974, Venezuela's in
2017) is no rate of the year asked, and may be of a currency since replaced (Turkmenistan's
2001 rate is in old manats, 5,000 to today's TMT; Venezuela's 2017 one in bolívares fuertes):
such a value cannot be converted (:class:`FXError`). A later year is never used. USD converts
at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import pandas as pd

from p2c_analysis import paths

#: How many years a rate may be older than the year it stands for, when that year has none,
#: counted from the announcement year or, for a year after the vintage's latest, from that
#: latest year (:func:`latest_year`): WDI's publication lag (this vintage has 2025 for most
#: economies, 2023 or 2020 for some still in use: Afghanistan, Guinea, Myanmar), not a series
#: that stopped long ago (Turkmenistan 2001, Venezuela 2017, Cuba 1974).
MAX_RATE_AGE_YEARS = 5


class FXError(ValueError):
    """A value cannot be converted; the message is the reason (names currency and year)."""


@dataclass(frozen=True)
class Conversion:
    """Result of a conversion: ``usd`` (US dollars), ``rate`` (LCU per USD), the ``rate_year``
    actually used and the ``requested_year``; ``note`` is empty when they are equal, else
    says that an earlier year's rate was used."""

    usd: float
    currency: str
    rate: float
    rate_year: int
    requested_year: int
    wdi_code: str
    note: str = ""


@lru_cache(maxsize=1)
def currency_map() -> dict[str, str | None]:
    """``{ISO 4217 code: WDI country/aggregate code or None}``: the reference table (60
    currencies, the choices for shared ones: EUR -> EMU, XOF -> SEN...), and for a currency it
    does not list, the one independent country that uses it (:func:`_single_country_currencies`:
    the kwacha, the leone, the metical... of the LDCs the coalition focuses on). ``None`` means
    the currency is known but WDI has no row for it (e.g. TWD)."""
    df = pd.read_csv(paths.track(paths.CURRENCY_MAP), dtype=str, keep_default_na=False)
    curated = {
        row.currency.strip().upper(): (row.iso3_or_aggregate.strip() or None)
        for row in df.itertuples(index=False)
    }
    return {**_single_country_currencies(), **curated}


def _single_country_currencies() -> dict[str, str]:
    """``{ISO 4217 code: ISO3}`` of the currencies that exactly one independent country uses
    (``data/raw/country-codes.csv``: its current code, as WDI's rates of that country are in
    its current currency, rebased: Sierra Leone's in new leones, SLE, back to 1960; a series
    that stopped before its currency was replaced, Turkmenistan's in 2001, is too old for
    :func:`rate` to use: :data:`MAX_RATE_AGE_YEARS`). A code
    several countries share (XOF, USD, EUR...) is left to the reference table, and a code
    no longer in use (SLL, ZMK, GHC) is unknown: its amounts are set aside, not misconverted."""
    cc = pd.read_csv(paths.track(paths.COUNTRY_CODES), dtype=str, keep_default_na=False)
    users: dict[str, list[str]] = {}
    for iso3, codes, independent in zip(cc["ISO3166-1-Alpha-3"],
                                        cc["ISO4217-currency_alphabetic_code"],
                                        cc["is_independent"], strict=True):
        if independent.strip() != "Yes" or not iso3.strip():
            continue
        for code in {c.strip().upper() for c in codes.split(",") if c.strip()}:
            users.setdefault(code, []).append(iso3.strip())
    return {code: iso3s[0] for code, iso3s in users.items() if len(iso3s) == 1}


@lru_cache(maxsize=1)
def rates() -> pd.DataFrame:
    """WDI exchange rates, long: columns ``code, year, lcu_per_usd`` (float), one row per
    code and year with a value (a missing pair means no value)."""
    df = pd.read_csv(paths.track(paths.WDI_FX))
    out = pd.DataFrame(
        {
            "code": df["Country Code"].astype(str),
            "year": df["Year"].astype(int),
            "lcu_per_usd": df["Value"].astype(float),
        }
    )
    # a blank value is no rate: dropped, so the nearest earlier year is used (never NaN USD)
    out = out.dropna(subset=["lcu_per_usd"])
    return out.sort_values(["code", "year"], ignore_index=True)


@cache
def _series(code: str) -> dict[int, float]:
    r = rates()
    sub = r[r["code"] == code]
    return dict(zip(sub["year"].tolist(), sub["lcu_per_usd"].tolist(), strict=True))


def rate_range(currency: str) -> tuple[float, float] | None:
    """``(lowest, highest)`` LCU per USD over all of ``currency``'s WDI yearly rates; ``None``
    for US dollars, an unknown currency, one with no WDI row or no rate, or rates that cannot
    be read."""
    cur = str(currency).strip().upper()
    try:
        code = currency_map().get(cur) if cur != "USD" else None
        values = list(_series(code).values()) if code is not None else []
    except (FXError, OSError):
        return None
    return (min(values), max(values)) if values else None


@cache
def latest_year() -> int:
    """The latest year with a rate in the WDI file (the vintage's newest year)."""
    return int(rates()["year"].max())


def rate(currency: str, year: int) -> tuple[float, int, str]:
    """``(LCU per USD, rate year used, WDI code)`` for ``currency`` in ``year``.

    Uses ``year`` if WDI has a value, otherwise the nearest earlier year, at most
    :data:`MAX_RATE_AGE_YEARS` before ``year`` or, for a year after the vintage's latest, before
    that latest year (a pledge of 2027 is not refused for WDI's lag alone). Raises
    :class:`FXError` for an unknown currency, a currency with no WDI row, no rate in or before
    ``year``, or only rates older than that.
    """
    cur = str(currency).strip().upper()
    year = int(year)
    if cur == "USD":
        return 1.0, year, "USA"
    cmap = currency_map()
    if cur not in cmap:
        raise FXError(f"unknown currency {cur!r} (not in {paths.CURRENCY_MAP.name}, nor the "
                      f"currency of one country in {paths.COUNTRY_CODES.name})")
    code = cmap[cur]
    if code is None:
        raise FXError(f"no exchange rate source for currency {cur!r} (no WDI row)")
    series = _series(code)
    earlier = [y for y in series if y <= year]
    if not earlier:
        raise FXError(f"no {cur} exchange rate in or before {year} (WDI {code})")
    used = max(earlier)
    anchor = min(year, latest_year())
    if anchor - used > MAX_RATE_AGE_YEARS:
        raise FXError(f"no {cur} exchange rate from {anchor - MAX_RATE_AGE_YEARS} to {year} "
                      f"(WDI {code}'s latest is {used}, too old to stand for {year})")
    return series[used], used, code


def convert(amount: float, currency: str, year: int) -> Conversion:
    """Convert ``amount`` (units of ``currency``) to US dollars at the WDI annual-average
    rate of ``year`` (or the nearest earlier year, noted). See :func:`rate`."""
    lcu, used, code = rate(currency, year)
    note = ""
    if used != int(year):
        note = (f"{str(currency).upper()} rate for {year} not available; "
                f"used {used} WDI annual average")
    return Conversion(
        usd=float(amount) / lcu, currency=str(currency).upper(), rate=lcu, rate_year=used,
        requested_year=int(year), wdi_code=code, note=note,
    )


def to_usd(amount: float, currency: str, year: int) -> float:
    """``amount`` in ``currency`` converted to US dollars with the WDI annual-average rate of
    ``year`` (nearest earlier year when ``year`` has none; use :func:`convert` to learn which
    year was used). Raises :class:`FXError` with a clear reason when it cannot."""
    return convert(amount, currency, year).usd
