"""An XLSX amount is read as its number format shows it: the text the cell shows goes through
the same parser as a CSV cell with that text. Expected values by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from p2c_analysis.pledges import LoadResult, _as_shown, load_pledges


def _load(tmp_path: Path, rows: list[tuple[str, object, str]]) -> LoadResult:
    """Load an XLSX of pledges ``(title, value cell, number format of the value cell)``."""
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "target_countries", "value", "announced_date"])
    for i, (title, value, fmt) in enumerate(rows, start=2):
        ws.append([title, "Org", "KEN", value, dt.date(2023, 3, 1)])
        ws[f"D{i}"].number_format = fmt
    wb.save(tmp_path / "formats.xlsx")
    return load_pledges(tmp_path / "formats.xlsx")


@pytest.mark.parametrize(("code", "shown"), [
    ('#,##0 "EUR"', "5000000 EUR"),
    ('"EUR "#,##0', "EUR 5000000"),
    ('"GBP"\\ #,##0', "GBP 5000000"),
    ('#,##0 "people"', "5000000 people"),
    ('#,##0.00 "million people";[Red]-#,##0.00', "5000000 million people"),
    # a currency, a scale word, a percentage, as before ([$..] first, as before)
    ("#,##0 [$€-x-euro2]", "€ 5000000"),
    ("[$CHF] #,##0", "CHF 5000000"),
    ('"€"#,##0', "€5000000"),
    ('0.0 "M"', "5000000 M"),
    ("0%", "500000000%"),
    # commas that scale the number down for display do not change the amount stored
    ('#,##0.0,, "EUR"', "5000000 EUR"),
    ('#,##0,, "M EUR"', "5000000 EUR"),
    ('#,##0,"M"', "5000000 or 5000 M"),  # 5,000M: 5 million or 5 billion? refused
    # only the number shown: the cell as it is
    ('#,##0,,"M"', 5_000_000),
    ("#,##0", 5_000_000), ("0.00", 5_000_000), ("General", 5_000_000),
    ("#,##0_);(#,##0)", 5_000_000), ("[Red]#,##0", 5_000_000), ("0.00E+00", 5_000_000),
    ("#,##0,,", 5_000_000), ("yyyy-mm-dd", 5_000_000),
])
def test_a_number_cell_is_rendered_as_its_format_shows_it(code: str, shown: object) -> None:
    assert _as_shown(5_000_000, code) == shown


def test_a_currency_code_in_the_number_format_is_the_amounts_currency(tmp_path: Path) -> None:
    """5,000,000 formatted #,##0 "EUR" was read as USD 5,000,000 ("currency not stated")."""
    r = _load(tmp_path, [("Code after", 5_000_000, '#,##0 "EUR"'),
                         ("Code before", 5_000_000, '"EUR "#,##0'),
                         ("Escaped space", 2_000_000, '"GBP"\\ #,##0'),
                         ("As text", "EUR 5,000,000", "General")])
    v = r.valid.set_index("title")
    assert v["currency"].to_dict() == {"Code after": "EUR", "Code before": "EUR",
                                       "Escaped space": "GBP", "As text": "EUR"}
    euros = v.loc["As text", "estimated_value_usd"]
    assert euros != pytest.approx(5e6)  # converted from euros, not read as dollars
    assert v.loc["Code after", "estimated_value_usd"] == pytest.approx(euros)
    assert v.loc["Code before", "estimated_value_usd"] == pytest.approx(euros)
    assert "currency not stated" not in v.loc["Code after", "notes"]
    assert "read as shown: '5000000 EUR'" in v.loc["Code after", "notes"]
    assert r.quarantine.empty


def test_a_word_in_the_number_format_is_read_like_that_text_in_a_csv(tmp_path: Path) -> None:
    """5,000,000 formatted #,##0 "people" was read as USD 5 million, and 5 formatted
    0 "million people" as USD 5; the text they show is read as in a CSV: a number of people,
    no money (kept with no USD value, noted); a word the parser does not know is set aside."""
    r = _load(tmp_path, [("People", 5_000_000, '#,##0 "people"'),
                         ("Million people", 5, '0 "million people"'),
                         ("Dollars", 3_000_000, "#,##0"),
                         ("Shillings", 5, '0 "billion shillings"')])
    v = r.valid.set_index("title")
    assert v.index.tolist() == ["People", "Million people", "Dollars"]
    assert v.loc[["People", "Million people"], "estimated_value_usd"].isna().all()
    assert "value '5000000 people' is not an amount of money ('people' counts things)" \
        in v.loc["People", "notes"]
    assert "value '5 million people' is not an amount of money" in v.loc["Million people",
                                                                         "notes"]
    reasons = r.quarantine.set_index("source_row")["reasons"]
    assert "unparseable value: '5 billion shillings'" in reasons[5]
    assert "'shillings' next to the amount" in reasons[5]


@pytest.mark.parametrize(("code", "shown"), [
    ("[$$-1009]#,##0", "CAD 5000000"), ("[$$-C0C]#,##0", "CAD 5000000"),
    ("[$$-C09]#,##0.00", "AUD 5000000"), ("[$$-80A]#,##0", "MXN 5000000"),
    ("[$¥-411]#,##0", "JPY 5000000"), ("[$¥-804]#,##0", "CNY 5000000"),
    ("[$$-409]#,##0", "USD 5000000"),
    # a sign of one currency, a sign the locale's currency does not use, no locale: as written
    ("[$€-407] #,##0", "€ 5000000"), ("[$£-809]#,##0", "£ 5000000"),
    ("[$$-407]#,##0", "$ 5000000"), ("[$$]#,##0", "$ 5000000")])
def test_a_dollar_or_yen_sign_in_the_format_is_its_locales_currency(code, shown) -> None:
    assert _as_shown(5_000_000, code) == shown


def test_an_amount_formatted_in_canadian_dollars_is_not_read_as_us_dollars(tmp_path) -> None:
    """Excel's "$ English (Canada)" format is ``[$$-1009]``: its cells show ``$5,000,000``
    and were read as US dollars; the locale names the currency, as ``[$¥-411]`` names the
    yen (set aside before as "JPY or CNY")."""
    r = _load(tmp_path, [("Canada", 5_000_000, "[$$-1009]#,##0"),
                         ("Japan", 500_000_000, "[$¥-411]#,##0"),
                         ("United States", 5_000_000, "[$$-409]#,##0")])
    v = r.valid.set_index("title")
    assert v["currency"].to_dict() == {"Canada": "CAD", "Japan": "JPY", "United States": "USD"}
    assert v.loc["Canada", "estimated_value_usd"] < 4_500_000  # fewer US dollars than CAD
    assert v.loc["United States", "estimated_value_usd"] == 5_000_000
    assert r.quarantine.empty
