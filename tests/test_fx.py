"""Exchange rates: expected rates are read from the raw WDI file with the csv module, not
through the code under test."""

from __future__ import annotations

import csv

import pytest

from p2c_analysis import fx, paths


def _raw_rate(code: str, year: int) -> float:
    with open(paths.WDI_FX, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Country Code"] == code and int(row["Year"]) == year:
                return float(row["Value"])
    raise LookupError((code, year))


def test_euro_uses_the_emu_row_of_the_announcement_year() -> None:
    rate = _raw_rate("EMU", 2022)
    assert rate == pytest.approx(0.9496, abs=1e-4)  # SOURCES.md section 9 sanity range
    assert fx.to_usd(155e6, "EUR", 2022) == pytest.approx(155e6 / rate, rel=1e-12)
    assert fx.to_usd(155e6, "EUR", 2022) == pytest.approx(163.2e6, rel=1e-3)
    conv = fx.convert(1.0, "eur", 2023)
    assert conv.rate_year == 2023 and conv.wdi_code == "EMU" and conv.note == ""
    assert conv.usd == pytest.approx(1 / 0.92484, rel=1e-4)  # SOURCES.md: EUR 2023 0.92484


def test_other_currencies_follow_the_reference_map() -> None:
    assert fx.to_usd(1.3499e9, "CAD", 2023) == pytest.approx(1e9, rel=1e-4)  # CAD 2023 1.3499
    assert fx.to_usd(3.6725, "AED", 2024) == pytest.approx(1.0)  # pegged
    assert fx.to_usd(655.957, "XOF", 2022) == pytest.approx(655.957 / _raw_rate("SEN", 2022))
    assert fx.to_usd(12.5, "USD", 1950) == 12.5


def test_missing_year_falls_back_to_the_nearest_earlier_year_and_says_so() -> None:
    conv = fx.convert(1.0, "EUR", 2026)  # the file stops at 2025
    assert conv.rate_year == 2025 and conv.requested_year == 2026
    assert conv.rate == pytest.approx(_raw_rate("EMU", 2025))
    assert "2026" in conv.note and "2025" in conv.note
    conv = fx.convert(1.0, "LKR", 2025)  # SOURCES.md: LKR last value 2023
    assert conv.rate_year == 2023


def test_unconvertible_values_give_a_clear_reason() -> None:
    with pytest.raises(fx.FXError, match="unknown currency 'XYZ'"):
        fx.to_usd(1.0, "XYZ", 2022)
    with pytest.raises(fx.FXError, match="TWD"):
        fx.to_usd(1.0, "TWD", 2022)  # known currency, no WDI row
    with pytest.raises(fx.FXError, match="in or before 1990"):
        fx.to_usd(1.0, "EUR", 1990)  # the euro area row starts in 1999


def test_rates_are_tracked_for_provenance() -> None:
    # read afresh: an earlier test may have cached the rates and then cleared the record of
    # files read, as a kernel forked from the template starts (where cached results replay
    # their files: tests/test_cache.py); this test is about the first read
    for cached in (fx.rates, fx._series, fx.currency_map):
        cached.cache_clear()
    fx.to_usd(1.0, "GBP", 2022)
    read = paths.files_read()
    assert "data/raw/wdi_PA.NUS.FCRF_exchange_rate_lcu_per_usd.csv" in read
    assert "data/reference/currency_iso4217_to_iso3.csv" in read


def test_a_blank_rate_is_no_rate_not_nan(tmp_path, monkeypatch) -> None:
    """A blank WDI value for the requested year falls back to the earlier year (never NaN)."""
    f = tmp_path / "fx.csv"
    f.write_text("Country Name,Country Code,Year,Value\n"
                 "Euro area,EMU,2021,0.8\nEuro area,EMU,2022,\n", encoding="utf-8")
    monkeypatch.setattr(paths, "WDI_FX", f)
    for cached in (fx.rates, fx._series):
        cached.cache_clear()
    try:
        conv = fx.convert(8.0, "EUR", 2022)
        assert conv.rate_year == 2021 and conv.usd == pytest.approx(10.0)
    finally:
        monkeypatch.undo()
        for cached in (fx.rates, fx._series):
            cached.cache_clear()


def test_a_currency_of_one_country_converts_at_that_countrys_rate():
    """``ZMW 5m``, ``SLE 5m``, ``TND 5m`` were set aside as "unknown currency": the reference
    table lists 60 currencies, without the kwacha, the leone or the metical of LDCs the
    coalition focuses on. A currency used by one independent country converts at its WDI
    rate (in its current currency); shared ones keep the table's choice; old codes stay
    unknown."""
    c = fx.convert(5e6, "ZMW", 2023)
    assert (c.wdi_code, c.rate_year) == ("ZMB", 2023)
    assert c.usd == pytest.approx(5e6 / fx.rates().query("code == 'ZMB' and year == 2023")
                                  ["lcu_per_usd"].iloc[0])
    assert fx.currency_map()["SLE"] == "SLE" and fx.currency_map()["MZN"] == "MOZ"
    assert fx.currency_map()["XOF"] == "SEN" and fx.currency_map()["EUR"] == "EMU"
    with pytest.raises(fx.FXError, match="unknown currency 'SLL'"):
        fx.convert(5e6, "SLL", 2020)
