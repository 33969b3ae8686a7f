"""Cell parsers: money, currencies, dates, lists, categories. Expected values by hand."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest

from p2c_analysis import fields, parsing, paths
from p2c_analysis.parsing import ParseError

# --- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1,200,000", 1_200_000, None),
        ("$3,000,000", 3_000_000, "USD"),
        ("USD 1.5 million", 1_500_000, "USD"),
        ("EUR 155 million", 155_000_000, "EUR"),
        ("€155m", 155_000_000, "EUR"),
        ("2 bn", 2_000_000_000, None),
        ("USD 300,000", 300_000, "USD"),
        ("$1.2 million of satellite airtime", 1_200_000, "USD"),
        ("US$ 2bn", 2_000_000_000, "USD"),
        ("£10m", 10_000_000, "GBP"),
        ("GBP 10 million", 10_000_000, "GBP"),
        ("CAD 400 million", 400_000_000, "CAD"),
        ("KES 300 million", 300_000_000, "KES"),
        ("XOF 2 billion", 2_000_000_000, "XOF"),
        ("1,5 million", 1_500_000, None),  # decimal comma
        ("1.200.000", 1_200_000, None),  # dot thousands separators
        (1500, 1500, None),
        (2.5e6, 2.5e6, None),
    ],
)
def test_money_amount_and_currency(text: object, amount: float, currency: str | None) -> None:
    m = parsing.parse_money(text)
    assert m is not None
    assert m.amount == pytest.approx(amount)
    assert m.currency == currency


def test_explicit_usd_figure_is_preferred() -> None:
    m = parsing.parse_money("CAD 2 billion (USD 1.46 billion)")
    assert m.amount == 2e9 and m.currency == "CAD"
    assert m.usd_stated == pytest.approx(1.46e9)
    assert "USD figure stated" in m.note


@pytest.mark.parametrize(
    ("text", "amount", "qualifier"),
    [
        ("more than $47 million (committed so far)", 47e6, "more than"),
        ("over $1.4 billion", 1.4e9, "over"),
        ("at least USD 5 million", 5e6, "at least"),
        ("up to €3m", 3e6, "up to"),
    ],
)
def test_qualifiers_keep_the_stated_amount(text: str, amount: float, qualifier: str) -> None:
    m = parsing.parse_money(text)
    assert m.amount == pytest.approx(amount)
    assert m.qualifier == qualifier
    assert qualifier in m.note


def test_parenthetical_remark_is_kept_in_the_note() -> None:
    m = parsing.parse_money("more than $47 million (committed so far)")
    assert "(committed so far)" in m.note


def test_total_over_a_period_is_not_multiplied() -> None:
    m = parsing.parse_money("$30 million over five years")
    assert m.amount == 30e6 and m.years == 5 and not m.per_year and not m.multiplied
    m = parsing.parse_money("$1.38 billion over five years")
    assert m.amount == pytest.approx(1.38e9)


def test_per_year_with_a_stated_duration_becomes_a_total() -> None:
    m = parsing.parse_money("$2 million per year for 5 years")
    assert m.amount == 10e6 and m.per_year and m.years == 5 and m.multiplied
    # hedged duration in a remark: still multiplied, the note keeps the annual figure
    m = parsing.parse_money(
        "approximately US$2 billion per year (similar over next five years)")
    assert m.amount == pytest.approx(10e9)
    assert m.currency == "USD" and m.qualifier == "approximately" and m.multiplied
    assert "2,000,000,000" in m.note and "similar over next five years" in m.note


def test_per_year_without_duration_takes_the_annual_amount() -> None:
    m = parsing.parse_money("$5 million a year")
    assert m.amount == 5e6 and m.per_year and not m.multiplied
    assert "annual amount" in m.note


@pytest.mark.parametrize("text", ["TBD", "N/A", "n/a", "-", "", "  ", None, float("nan"), pd.NA])
def test_missing_money_is_none_not_zero(text: object) -> None:
    assert parsing.parse_money(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("-5000000", "negative value"),
        ("-$5 million", "negative value"),
        ("USD -5 million", "negative value"),
        (-3.0, "negative value"),
        ("lots of money", "unparseable value"),
        ("$5 million and $3 million", "ambiguous value"),
        ("¥500 million", "ambiguous currency"),
    ],
)
def test_money_errors_have_a_reason(text: object, kind: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == kind
    assert kind in str(err.value)


def test_range_takes_the_lower_bound() -> None:
    m = parsing.parse_money("$1-2 million")
    assert m.amount == 1e6 and "lower bound" in m.note


@pytest.mark.parametrize(
    ("text", "code"),
    [("$", "USD"), ("US$", "USD"), ("usd", "USD"), ("€", "EUR"), ("EUR", "EUR"), ("£", "GBP"),
     ("GBP", "GBP"), ("CAD", "CAD"), ("C$", "CAD"), ("rwf", "RWF"), ("yen", "JPY"),
     ("RMB", "CNY")],
)
def test_currency_cells(text: str, code: str) -> None:
    assert parsing.parse_currency(text) == code


def test_currency_cell_errors_and_missing() -> None:
    assert parsing.parse_currency("") is None
    with pytest.raises(ParseError, match="ambiguous currency"):
        parsing.parse_currency("¥")
    with pytest.raises(ParseError, match="unknown currency"):
        parsing.parse_currency("bitcoins")


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("2022", "2022-01-01", "year"),
        (2022, "2022-01-01", "year"),
        ("2022-06", "2022-06-01", "month"),
        ("June 2022", "2022-06-01", "month"),
        ("Sept 2023", "2023-09-01", "month"),
        ("9 June 2022", "2022-06-09", "day"),
        ("June 9, 2022", "2022-06-09", "day"),
        ("2022-06-09", "2022-06-09", "day"),
        ("2022-06-09T10:00:00Z", "2022-06-09", "day"),
        ("2022-06-09 23:30", "2022-06-09", "day"),
        ("13/04/2022", "2022-04-13", "day"),  # only one reading is valid
        (dt.datetime(2022, 6, 9, 15, 0), "2022-06-09", "day"),  # from an XLSX cell
        (dt.date(2024, 2, 29), "2024-02-29", "day"),
    ],
)
def test_dates_give_first_day_and_precision(text: object, date: str, precision: str) -> None:
    ts, prec = parsing.parse_date(text)
    assert ts == pd.Timestamp(date)
    assert prec == precision


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2022-13-40", "impossible date"),
        ("31 February 2023", "impossible date"),
        ("2023-02-29", "impossible date"),  # 2023 is not a leap year
        ("2022-13", "impossible date"),
        ("03/04/2022", "ambiguous date"),  # 3 April or March 4
        ("soon", "unparseable date"),
        ("March", "unparseable date"),  # no year
    ],
)
def test_bad_dates_have_a_reason(text: str, kind: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_date(text)
    assert err.value.kind == kind


@pytest.mark.parametrize("text", ["", "TBD", "n/a", None])
def test_missing_dates(text: object) -> None:
    assert parsing.parse_date(text) is None


def test_years() -> None:
    assert parsing.parse_year("2030") == 2030
    assert parsing.parse_year(2030.0) == 2030
    assert parsing.parse_year("by 2030") == 2030
    assert parsing.parse_year("") is None
    with pytest.raises(ParseError):
        parsing.parse_year("3030")
    with pytest.raises(ParseError):
        parsing.parse_year("2025 or 2026")


# --- lists -------------------------------------------------------------------------------------


def test_split_cell_on_semicolons_and_newlines_only() -> None:
    assert parsing.split_cell("a; b\nc;;") == ["a", "b", "c"]
    assert parsing.split_cell("rural villages (over 6,000); schools") == [
        "rural villages (over 6,000)", "schools"]
    assert parsing.split_cell("") == []
    assert parsing.split_cell(["x", None, ""]) == ["x"]


def _toy_resolver(text: str) -> str | None:
    table = {"congo, dem. rep.": "COD", "ghana": "GHA", "gha": "GHA", "ken": "KEN",
             "korea, rep.": "KOR", "korea": None}
    return table.get(text.strip().lower())


def test_split_resolving_uses_commas_only_when_unambiguous() -> None:
    assert parsing.split_resolving("GHA, KEN", _toy_resolver) == (["GHA", "KEN"], [])
    assert parsing.split_resolving("Congo, Dem. Rep.", _toy_resolver) == (["COD"], [])
    assert parsing.split_resolving("Korea, Rep., Ghana", _toy_resolver) == (["KOR", "GHA"], [])
    assert parsing.split_resolving("GHA; Atlantis", _toy_resolver) == (["GHA"], ["Atlantis"])
    # a comma piece that does not fully resolve falls back to the whole piece
    assert parsing.split_resolving("Ghana, Atlantis", _toy_resolver) == ([], ["Ghana, Atlantis"])
    assert parsing.split_resolving("GHA; Ghana", _toy_resolver) == (["GHA"], [])


def test_split_resolving_with_words_splits_on_a_plus_sign() -> None:
    """``Ghana + Kenya`` was one unknown name; a plus separates like ``&`` and ``/``."""
    for text in ("Ghana + KEN", "GHA+KEN"):
        assert parsing.split_resolving(text, _toy_resolver, words=True) == (["GHA", "KEN"], [])


# --- categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Access", ["ACCESS"]),
        ("ACCESS", ["ACCESS"]),
        ("Accelerating investment", ["ACCELERATE INVESTMENT"]),
        ("accelerate-investment", ["ACCELERATE INVESTMENT"]),
        ("value_creation", ["VALUE CREATION"]),
        ("Access; Adoption", ["ACCESS", "ADOPTION"]),
        ("Access, Adoption, access", ["ACCESS", "ADOPTION"]),
        ("", []),
    ],
)
def test_focus_areas(text: str, expected: list[str]) -> None:
    assert parsing.parse_focus_areas(text) == expected


def test_unknown_focus_area() -> None:
    with pytest.raises(ParseError, match="unknown focus area"):
        parsing.parse_focus_areas("Teleportation")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Private sector", ["Private sector"]),
        ("private-sector", ["Private sector"]),
        ("PRIVATE SECTOR", ["Private sector"]),
        ("NGO", ["Civil society / NGO"]),
        ("civil society", ["Civil society / NGO"]),
        ("Civil society / NGO", ["Civil society / NGO"]),
        ("UN agency", ["UN entity"]),
        ("International organisation", ["International or regional organization"]),
        ("UN entity; Government", ["UN entity", "Government"]),
        ("", []),
    ],
)
def test_stakeholder_types(text: str, expected: list[str]) -> None:
    assert parsing.parse_stakeholder_types(text) == expected


def test_pledge_types_and_status() -> None:
    assert parsing.parse_pledge_type("Financial pledge") == ["Financial"]
    assert parsing.parse_pledge_type("in kind") == ["In-kind"]
    assert parsing.parse_status("In-progress") == "in progress"
    assert parsing.parse_status("ONGOING") == "in progress"
    assert parsing.parse_status("Completed") == "completed"
    assert parsing.parse_status("cancelled") == "withdrawn"
    assert parsing.parse_status("") == "unknown"
    assert parsing.parse_status("unknown") == "unknown"
    with pytest.raises(ParseError, match="unknown status"):
        parsing.parse_status("postponed forever")
    with pytest.raises(ParseError, match="unknown stakeholder type"):
        parsing.parse_stakeholder_types("Alien federation")
    with pytest.raises(ParseError, match="unknown pledge type"):
        parsing.parse_pledge_type("Telepathic")


def test_sdgs() -> None:
    assert parsing.parse_sdgs("SDG 9; SDG 17") == [9, 17]
    assert parsing.parse_sdgs("17, 9, 9") == [9, 17]
    assert parsing.parse_sdgs("Goal 4") == [4]
    assert parsing.parse_sdgs(9) == [9]
    assert parsing.parse_sdgs("") == []
    with pytest.raises(ParseError, match="sdg outside 1-17"):
        parsing.parse_sdgs("18")
    with pytest.raises(ParseError, match="sdg outside 1-17"):
        parsing.parse_sdgs("0; 4")


def test_global_tokens_and_bools() -> None:
    assert parsing.is_global_text("Global") and parsing.is_global_text("worldwide")
    assert parsing.is_global_text("All countries")
    assert not parsing.is_global_text("Global South") and not parsing.is_global_text("Africa")
    assert parsing.parse_bool("yes") is True and parsing.parse_bool("FALSE") is False
    assert parsing.parse_bool("") is None
    with pytest.raises(ParseError):
        parsing.parse_bool("maybe")


def test_years_and_other_numbers_next_to_an_amount() -> None:
    assert parsing.parse_money("$30 million by 2025").amount == 30e6
    assert parsing.parse_money("USD 5 million in 2022-2025").amount == 5e6
    assert parsing.parse_money("$2025").amount == 2025  # a currency sign makes it an amount
    assert parsing.parse_money("1.705E+08").amount == 170_500_000
    with pytest.raises(ParseError, match="several amounts"):
        parsing.parse_money("USD 5 million for 10,000 widgets")  # 10,000 of what? refused
    # a number of things is no second amount: the money counts (was refused, "several amounts")
    m = parsing.parse_money("USD 5 million for 10,000 schools")
    assert (m.amount, m.currency) == (5e6, "USD")
    assert m.note == "'10,000 schools' counts things, not money: not counted"


# --- plausibility, signs, non-finite values, links, one bool parser, synonyms as data ----------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("3000-01-01", "implausible date"),
        ("1999-12-31", "implausible date"),
        ("2101", "implausible date"),
        (dt.date(3000, 1, 1), "implausible date"),  # an XLSX date cell or a TOML date
        (pd.Timestamp("1850-06-01"), "implausible date"),
        (9999, "implausible date"),
        ("-2024", "negative date"),
        ("- 2024", "negative date"),
        ("June -2024", "negative date"),
        ("-5 June 2022", "negative date"),
        (-2024, "negative date"),
        ("x" * 101, "unparseable date"),
    ],
)
def test_dates_outside_the_window_or_with_a_sign_are_refused(value: object, kind: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_date(value)
    assert err.value.kind == kind


def test_window_edges_and_dashes_that_are_not_signs() -> None:
    assert parsing.parse_date("2000-01-01") == (pd.Timestamp("2000-01-01"), "day")
    assert parsing.parse_date("31 December 2100") == (pd.Timestamp("2100-12-31"), "day")
    assert parsing.parse_date("Sept-2023") == (pd.Timestamp("2023-09-01"), "month")
    assert parsing.parse_date("2022-06-09T10:00:00-05:00") == (pd.Timestamp("2022-06-09"),
                                                               "day")


def test_years_use_the_same_window_and_refuse_a_sign() -> None:
    assert parsing.parse_year("2000") == 2000 and parsing.parse_year(2100) == 2100
    for value, kind in (("1999", "impossible year"), (1950, "impossible year"),
                        ("-2030", "negative year"), (-2030, "negative year"),
                        ("by -2030", "negative year")):
        with pytest.raises(ParseError) as err:
            parsing.parse_year(value)
        assert err.value.kind == kind, value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("9" * 400, "absurd value"),
        (float("inf"), "absurd value"),
        ("USD " + "9" * 400 + " million", "absurd value"),
        ("$2 million per year for -5 years", "negative value"),
    ],
)
def test_non_finite_amounts_and_negative_durations_are_refused(text: object, kind: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == kind


def test_a_finite_huge_amount_is_left_to_the_loader_ceiling() -> None:
    # a currency may be weak: the USD 10 trillion ceiling is checked after conversion
    assert parsing.parse_money("1e308").amount == 1e308
    assert parsing.parse_money("VND 50 trillion").amount == 50e12


@pytest.mark.parametrize(
    "url",
    ["https://www.itu.int/itu-d/sites/partner2connect/", "http://app.example.org/p?id=3",
     "www.itu.int/partner2connect", "https://a.org https://b.org", "https://a.org; www.b.org"],
)
def test_web_links_are_kept_as_stated(url: str) -> None:
    assert parsing.parse_url(url) == url
    assert parsing.parse_url("  " + url + "  ") == url


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("javascript:alert(1)", "only http and https links"),
        ("JAVASCRIPT:alert(1)", "only http and https links"),
        ("file:///etc/passwd", "only http and https links"),
        ("data:text/html,<script>", "only http and https links"),
        ("https://ok.org javascript:x", "only http and https links"),
        ("itu.int/p2c", "only http and https links"),
        ("https://", "only http and https links"),
        ("http://[::1", "not a link"),
        (";", "not a link"),
        ("https://x.org/\x1b[31m", "control characters"),
    ],
)
def test_other_links_are_refused(url: str, detail: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_url(url)
    assert err.value.kind == "unsupported url" and err.value.detail == detail
    assert parsing.parse_url("") is None and parsing.parse_url("n/a") is None


@pytest.mark.parametrize(
    ("value", "lenient", "strict"),
    [
        ("yes", True, True), ("ON", True, True), (" 1 ", True, True), (1, True, True),
        (1.0, True, True), (True, True, True), ("no", False, False), ("off", False, False),
        (0, False, False), ("x", True, "refused"), ("T", True, "refused"),
        ("f", False, "refused"), ("1.0", True, "refused"), ("maybe", "refused", "refused"),
        (2, "refused", "refused"), ("", None, None), (None, None, None),
        (float("nan"), None, None),
    ],
)
def test_parse_bool_is_the_one_bool_parser(value: object, lenient: object,
                                           strict: object) -> None:
    for mode, expected in ((False, lenient), (True, strict)):
        if expected == "refused":
            with pytest.raises(ParseError, match="not a yes/no value"):
                parsing.parse_bool(value, strict=mode)
        else:
            assert parsing.parse_bool(value, strict=mode) is expected


def test_category_synonyms_come_from_the_harmonisation_table() -> None:
    with open(parsing.CATEGORY_SYNONYMS, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"field", "canonical", "synonym"}
    # read afresh: a result cached by an earlier test would not record the file again (an
    # earlier test may have cleared the record: the test failed after test_record's)
    parsing.category_synonyms.cache_clear()
    tables = parsing.category_synonyms()
    assert set(tables) == {"focus_areas", "stakeholder_type", "pledge_type", "status"}
    for r in rows:  # every row of the file is in force
        assert tables[r["field"]][parsing.text_key(r["synonym"])] == r["canonical"]
    for name, allowed in parsing.CATEGORY_FIELDS.items():
        assert set(tables[name].values()) == set(allowed)
    assert "data/harmonization/category_synonyms.csv" in paths.files_read()


def test_an_unknown_canonical_value_in_the_synonyms_table_is_refused(tmp_path, monkeypatch
                                                                    ) -> None:
    bad = tmp_path / "category_synonyms.csv"
    bad.write_text("field,canonical,synonym\nstatus,paused,on hold\n", encoding="utf-8")
    monkeypatch.setattr(parsing, "CATEGORY_SYNONYMS", bad)
    parsing.category_synonyms.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"line 2: 'paused' is no status value"):
            parsing.category_synonyms()
    finally:
        monkeypatch.undo()
        parsing.category_synonyms.cache_clear()


def test_comma_splitting_stays_linear_on_long_cells() -> None:
    calls = []

    def resolver(text: str) -> str | None:
        calls.append(text)
        return None

    parsing.split_resolving(", ".join(["x"] * 2000), resolver)
    assert len(calls) <= 1 + parsing.MAX_NAME_PARTS  # gives up at the first unresolved part
    calls.clear()
    parsing.split_resolving(", ".join(["GHA"] * 2000), lambda t: "GHA" if t == "GHA" else
                            calls.append(t))
    assert len(calls) <= 2000 * parsing.MAX_NAME_PARTS


def test_canonical_bool_columns_are_read_with_parse_bool() -> None:
    df = pd.DataFrame({"pledge_id": ["a", "b", "c"], "is_synthetic": ["yes", "OFF", None],
                       "is_global": [1, "false", "Y"]})
    c = fields.coerce_canonical(df)
    assert c["is_synthetic"].tolist() == [True, False, False]  # missing -> False
    assert c["is_global"].tolist() == [True, False, True]
    with pytest.raises(ValueError, match=r"^coerce_canonical: column 'is_global': not a yes/no "
                                         r"value 'x'$"):
        fields.coerce_canonical(df.assign(is_global=["x", 1, 0]))  # strict: no "x"


def test_global_with_a_remark_in_parentheses_is_global():
    # ZTE's training pledge: "Global (emphasis on LDCs, LLDCs and SIDS)"
    assert parsing.is_global_text("Global (emphasis on LDCs, LLDCs and SIDS)")
    assert not parsing.is_global_text("Global South (LDCs)")
    assert not parsing.is_global_text("Africa (emphasis on Sahel)")


@pytest.mark.parametrize("text", ["USD 1.000,000.00", "1.1,1,1", "1,1.1.1", "1.000,000,00"])
def test_separators_that_fit_no_convention_are_a_parse_error_not_a_crash(text):
    """Such a cell sets its row aside ("unparseable value"); it used to escape as a plain
    ValueError and make the whole file unreadable."""
    with pytest.raises(ParseError, match="unparseable value"):
        parsing.parse_money(text)


@pytest.mark.parametrize("cell", [dt.date(2030, 12, 31), dt.datetime(2030, 12, 31, 0, 0),
                                  pd.Timestamp("2030-06-30")])
def test_a_date_cell_in_a_year_column_is_its_year(cell):
    assert parsing.parse_year(cell) == 2030
    with pytest.raises(ParseError, match="impossible year"):
        parsing.parse_year(dt.date(1990, 1, 1))


@pytest.mark.parametrize("text", ["Rp 1 trillion", "1 billion Egyptian pounds",
                                  "2 billion shillings", "500 widgets", "5G rollout",
                                  "COVID-19 relief"])
def test_a_word_next_to_an_amount_without_currency_is_not_read_as_usd(text):
    """Such a text used to give a bare number read as US dollars ("Rp 1 trillion" -> USD 1
    trillion); it is set aside with the word named."""
    with pytest.raises(ParseError, match="next to the amount is no known currency or scale"):
        parsing.parse_money(text)


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("USD 5 MM", 5e6, "USD"), ("EUR 2 Mrd", 2e9, "EUR"), ("INR 500 crore", 5e9, "INR"),
    ("5 lakh INR", 5e5, "INR"), ("about 2 million per year for 5 years", 1e7, None),
    ("over 3 bn in total", 3e9, None)])
def test_finance_and_south_asian_scale_words(text, amount, currency):
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)


# --- money read wrongly before (found by a hunt on 2026-12-03) -----------------------------------

@pytest.mark.parametrize(("text", "amount", "currency", "usd"), [
    # a USD figure in brackets is the amount restated only for another currency, whole
    ("USD 3.5 billion over 10 years (USD 350 million per year)", 3.5e9, "USD", None),
    ("USD 100 million (including USD 20 million in grants)", 100e6, "USD", None),
    ("USD 100 million (USD 1 million per year)", 100e6, "USD", None),
    ("EUR 5 million (USD 5.5 million)", 5e6, "EUR", 5.5e6),
    ("EUR 5 million (USD 1 million per year)", 5e6, "EUR", None),
    # scale words of other languages; a leading decimal point; "yearly"
    ("100 millones USD", 100e6, "USD", None),
    ("EUR 3 milliards", 3e9, "EUR", None),
    ("USD 10 Millionen", 10e6, "USD", None),
    ("EUR 2 Md", 2e9, "EUR", None),
    ("USD .5 billion", 0.5e9, "USD", None),
    ("$.75 million", 0.75e6, "USD", None),
    ("USD 1.5 million yearly for 4 years", 6e6, "USD", None),
    ("USD 3.125 billion", 3.125e9, "USD", None),
    ("EUR 1.500.000", 1.5e6, "EUR", None),
])
def test_amounts_once_read_wrongly(text, amount, currency, usd) -> None:
    m = parsing.parse_money(text)
    assert (m.amount, m.currency, m.usd_stated) == (pytest.approx(amount), currency, usd)


@pytest.mark.parametrize(("text", "kind"), [
    ("EUR 10 mil", "unparseable value"),  # a thousand in Spanish, a million in slang
    ("USD 5 billones", "unparseable value"),  # 10^12 in Spanish
    ("EUR 1.500", "ambiguous value"),  # 1.5 or 1,500
    ("USD 2.500", "ambiguous value"),
    ("5%", "unparseable value"),
    ("12 per cent", "unparseable value"),
])
def test_amounts_that_cannot_be_read_safely_are_refused(text, kind) -> None:
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == kind


@pytest.mark.parametrize(("text", "amount", "currency"), [
    # "$" is any dollar (or peso): a currency code beside it says which
    ("$10 million CAD", 10e6, "CAD"),
    ("AUD $2.5 million", 2.5e6, "AUD"),
    ("$300,000 SGD", 300e3, "SGD"),
    ("$5 million USD", 5e6, "USD"),
    ("¥10 million JPY", 10e6, "JPY"),  # the yen sign alone is JPY or CNY: refused
    # kept: a dollar sign of its own, a prefixed sign, several names of one currency
    ("CA$ 10 million", 10e6, "CAD"),
    ("US$ 2 million", 2e6, "USD"),
    ("$4 million", 4e6, "USD"),
    ("€5 million EUR", 5e6, "EUR"),
])
def test_a_dollar_sign_takes_the_currency_code_beside_it(text, amount, currency) -> None:
    """"$10 million CAD" was read as USD 10 million, with no note."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)


@pytest.mark.parametrize(("text", "named"), [
    ("€10 million CAD", "EUR and CAD"),
    ("£5m USD", "GBP and USD"),
    ("$10 million EUR", "$ and EUR"),
    ("¥10 million GBP", "¥ and GBP"),
])
def test_a_sign_and_a_code_that_disagree_are_a_currency_conflict(text, named) -> None:
    """"€10 million CAD" was read as EUR and "£5m USD" as GBP: the code was dropped."""
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "currency conflict"
    assert named in err.value.detail


@pytest.mark.parametrize(("text", "qualifier", "basis"), [
    ("no more than USD 5 million", "no more than", "upper_bound"),
    ("not more than USD 5 million", "not more than", "upper_bound"),
    ("at most USD 5 million", "at most", "upper_bound"),
    ("no less than USD 5 million", "no less than", "lower_bound"),
    ("more than USD 5 million", "more than", "lower_bound"),
])
def test_negated_bounds(text, qualifier, basis) -> None:
    from p2c_analysis import values

    assert parsing.parse_money(text).qualifier == qualifier
    assert values.read_value_basis(text, 5e6).basis == basis


@pytest.mark.parametrize(("text", "amount", "basis"), [
    # a rate per month or quarter was read as the whole pledge
    ("USD 1 million per month for 2 years", 24e6, "per_year_times_years"),
    ("USD 5 million per quarter for 3 years", 60e6, "per_year_times_years"),
    ("USD 2 million monthly", 24e6, "per_year_single"),
    # a yearly amount over a span of years was not multiplied
    ("USD 200 million per year over 2024-2028", 1e9, "per_year_times_years"),
    ("USD 200 million a year from 2024 to 2028", 1e9, "per_year_times_years"),
    # a range and "or more" are floors, not firm totals
    ("USD 5-10 million", 5e6, "lower_bound"),
    ("USD 5 billion or more", 5e9, "lower_bound"),
    ("USD 5 million+", 5e6, "lower_bound"),
    ("one or more projects worth USD 5 million", 5e6, "total"),
])
def test_rates_ranges_and_floors(text, amount, basis) -> None:
    from p2c_analysis import values

    m = parsing.parse_money(text)
    assert m.amount == pytest.approx(amount)
    assert values.read_value_basis(text, m.amount).basis == basis


# --- amounts that were read 10 to a million times wrong, without a word ---------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("USD 5 Cr", 5e7, "USD"),            # crore: read as USD 5
    ("INR 5 crs", 5e7, "INR"),
    ("USD 2 trn", 2e12, "USD"),          # read as USD 2
    ("EUR 5 Mia.", 5e9, "EUR"),          # Swiss-German/French Milliarde: read as EUR 5
    ("EUR 3 Tsd.", 3e3, "EUR"),
    ("5 lac INR", 5e5, "INR"),
    ("$1.5-billion", 1.5e9, "USD"),      # read as USD 1.5
    ("a $2-million grant", 2e6, "USD"),  # read as USD 2
    ("Rs.5 crore", 5e7, "INR"),          # ".5" was the number: 0.5 crore
    ("1,5 Mio. EUR", 1.5e6, "EUR"),      # a German decimal comma is no ambiguity
    ("USD 300 per household", 300.0, "USD"),
    ("USD 12 M", 12e6, "USD"),
])
def test_scales_written_otherwise_are_read(text, amount, currency):
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (pytest.approx(amount), currency)


@pytest.mark.parametrize("text, kind, why", [
    ("USD 3 bi", "unparseable value", "'bi' after the amount"),       # was USD 3
    ("EUR 5 Bio.", "unparseable value", "'Bio' after the amount"),    # German 10^12: EUR 5
    ("5 млн USD", "unparseable value", "'млн' after the amount"),     # was USD 5
    ("USD 2 G", "unparseable value", "'G' after the amount"),
    ("USD 1½ million", "unparseable value", "a fraction sign"),       # was USD 1 million
    ("₵ 50m", "unknown currency", "'₵'"),                              # cedi sign without GH
    ("฿ 500m", "unknown currency", "'฿'"),                             # baht read as USD
    ("৳ 100m", "unknown currency", "'৳'"),                             # taka read as USD
    ("E£ 100m", "unknown currency", "'E£'"),                          # Egyptian pound as GBP
    ("Mex$ 5m", "unknown currency", "'Mex$'"),
    ("zł 5m", "unparseable value", "'zł' next to the amount"),         # read as USD
    ("Fr. 5 Mio.", "unparseable value", "'Fr' next to the amount"),    # read as USD
    ("1.500 Mio. EUR", "ambiguous value", "'1.500' before 'Mio'"),     # German 1.5 bn
    ("1,500 Mio. EUR", "ambiguous value", "'1,500' before 'Mio'"),
    ("#DIV/0!", "spreadsheet error", "a formula's error"),            # was "not stated" (0)
    ("#VALUE!", "spreadsheet error", "a formula's error"),
])
def test_amounts_the_parser_cannot_read_are_refused_not_misread(text, kind, why):
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == kind and why in str(err.value), str(err.value)


def test_a_date_serial_says_what_it_looks_like():
    """An Excel date written into a CSV as its serial (44636) was refused as "impossible date
    ... year 44636 is out of range", with no hint of what it is."""
    for value in ("44636", 44636):
        with pytest.raises(ParseError, match=r"spreadsheet's date serial \(44636 is "
                                             r"2022-03-16 in Excel\)"):
            parsing.parse_date(value)
    assert parsing.parse_date("2022")[1] == "year"
    with pytest.raises(ParseError, match="out of range"):
        parsing.parse_date("12345")  # no serial of a plausible year


# --- export forms of amounts: a trailing minus, "x N years", grouped digits -----------------
@pytest.mark.parametrize("text", ["5,000,000-", "USD 5,000,000-", "1.500.000,00-", "EUR 2m-"])
def test_a_trailing_minus_is_a_negative_amount(text) -> None:
    """Accounting exports (SAP, some ERPs) write a negative amount with its minus after the
    number: ``5,000,000-`` was read as USD 5,000,000, a reversal counted as a pledge."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "negative value"


@pytest.mark.parametrize("text", ["- 5 million", "-USD 5 million", "USD - 5 million",
                                  "$ - 5 million", "about -$5 million", "Total: -5 million"])
def test_a_minus_before_the_amount_is_negative(text) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "negative value"


@pytest.mark.parametrize("text, amount, currency", [
    ("Connectivity - USD 5 million", 5e6, "USD"),
    ("Laptops - USD 200,000", 2e5, "USD"),
    ("Grants - EUR 3m", 3e6, "EUR"),
    ("500 laptops - USD 200,000", 2e5, "USD"),
])
def test_a_spaced_dash_after_words_separates(text, amount, currency) -> None:
    """A dash with spaces on both sides after words is a separator, as in a label: these were
    set aside as "negative value", a reason that sent the reader after a sign not there."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)


@pytest.mark.parametrize("text, amount", [
    ("USD 2.5m x 4 years", 10e6),
    ("USD 2.5 million × 4 years", 10e6),
    ("USD 1m * 3 years", 3e6),
    ("USD 500,000 x 2 years", 1e6),
])
def test_an_amount_times_a_number_of_years_is_their_product(text, amount) -> None:
    """``USD 2.5m x 4 years`` was read as USD 2.5 million, without a word: the yearly amount
    taken for the pledge's total. It is read as ``per year for 4 years`` is, and noted."""
    m = parsing.parse_money(text)
    assert m.amount == pytest.approx(amount) and m.per_year and m.multiplied
    assert "multiplied by the" in m.note


@pytest.mark.parametrize("text, amount, currency", [
    ("1 000 000", 1e6, None),
    ("USD 10 000 000", 10e6, "USD"),
    ("1\u00a0250\u00a0000 EUR", 1.25e6, "EUR"),
    ("USD 1\u202f000\u202f000", 1e6, "USD"),
    ("CHF 1'000'000", 1e6, "CHF"),
    ("1’500’000.50 USD", 1_500_000.5, "USD"),
    ("1 000 000,50 EUR", 1_000_000.5, "EUR"),
    ("USD 1 000 - 2 000", 1000, "USD"),
])
def test_digits_grouped_by_spaces_or_apostrophes_are_one_amount(text, amount, currency) -> None:
    """French, Swiss and ISO exports group thousands with a (no-break) space or an apostrophe:
    ``1 000 000`` was refused as "several amounts", setting the pledge aside."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (pytest.approx(amount), currency)


@pytest.mark.parametrize("text, amount", [("USD 5 2023", 5), ("2023 500 USD", 500),
                                          ("USD 1 0000", None), ("USD 12 5000", None)])
def test_numbers_not_grouped_by_threes_stay_apart(text, amount) -> None:
    """Only groups of three digits join: a year or a number of four digits beside an
    amount is not part of it (read apart, or refused as several amounts)."""
    if amount is None:
        with pytest.raises(ParseError):
            parsing.parse_money(text)
    else:
        assert parsing.parse_money(text).amount == amount


@pytest.mark.parametrize(("text", "things"), [
    ("100,000 SIM cards", "SIM cards"), ("5 million SIM cards", "SIM cards"),
    ("1.2m SIM cards for students", "SIM cards for students"),
    ("100,000 SIM-cards", "SIM-cards"), ("about 2,000 GPU units", "GPU units")])
def test_a_quantity_of_things_is_not_an_amount_of_money(text, things):
    """``100,000 SIM cards`` read 'SIM' as a currency and was set aside as "unknown currency
    'SIM'": a pledge of things, not money. A code that is no currency, after the amount and
    followed by words, now raises NotMoney (a ParseError: the loader keeps the pledge with no
    USD value)."""
    with pytest.raises(parsing.NotMoney, match="not an amount of money") as err:
        parsing.parse_money(text)
    assert err.value.things == things and err.value.kind == "not an amount of money"
    assert isinstance(err.value, ParseError)


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("XYZ 5 million", 5e6, "XYZ"), ("ABC 100,000", 1e5, "ABC"), ("100,000 XYZ", 1e5, "XYZ"),
    ("5m XYZ per year", 5e6, "XYZ"), ("5 million XYZ over 3 years", 5e6, "XYZ"),
    ("100,000 XYZ in grants", 1e5, "XYZ"), ("XYZ 100,000 SIM cards", 1e5, "XYZ"),
    ("5,000 KES grants", 5e3, "KES"), ("2 million XOF vouchers", 2e6, "XOF"),
    ("USD 100,000 SIM cards", 1e5, "USD")])
def test_a_code_used_as_money_stays_a_currency(text, amount, currency):
    """An unknown code before the amount, alone after it or followed by words of money stays
    an unknown currency (the loader sets the row aside: it cannot be converted); a known
    currency followed by words is money in that currency."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)


def test_things_valued_in_usd_in_brackets_are_that_usd_value():
    """``100,000 SIM cards (USD 2 million)`` was read as 100,000 'SIM' restated as USD 2
    million (counted, with currency 'SIM'); the USD figure is still the value, in USD."""
    m = parsing.parse_money("100,000 SIM cards (USD 2 million)")
    assert (m.amount, m.currency, m.usd_stated) == (2e6, "USD", None)
    assert "'SIM cards' counts things, not money" in m.note


# --- numbers of things in lower case; a currency between an amount and "x N years" -------------
@pytest.mark.parametrize(("text", "things"), [
    ("500 laptops", "laptops"), ("10 million people", "people"), ("1,000 schools", "schools"),
    ("20 000 teachers trained", "teachers trained"), ("500 Laptops", "Laptops"),
    ("1 laptop", "laptop"), ("about 3,000 communities", "communities"),
    ("2.5 million households by 2030", "households"), ("500 km of fibre", "km"),
    ("10-20 million people", "people"), ("500 laptops and 200 tablets", "laptops; tablets"),
    ("1,000 SIM cards and 500 laptops", "SIM cards; laptops")])
def test_a_number_followed_by_a_word_of_things_is_not_an_amount_of_money(text, things):
    """``500 laptops``, ``10 million people``, ``20 000 teachers trained`` were set aside as
    "unparseable value" (a word next to the amount): a valid pledge that states no money
    dropped out of the counts. A word of things (the unit words of deliverable_terms.csv,
    singular or plural) after the amount makes it NotMoney (the loader keeps the pledge with
    no USD value), as ``100,000 SIM cards`` is."""
    with pytest.raises(parsing.NotMoney) as err:
        parsing.parse_money(text)
    assert err.value.things == things
    assert str(err.value) == f"not an amount of money {text!r} ({things!r} counts things)"


@pytest.mark.parametrize("text", ["2 billion shillings", "500 widgets", "1 million cedi programmes",
                                  "2 million grants", "5 years", "Train 5 teachers and "
                                  "2-3 nurses"])
def test_a_word_that_is_neither_a_currency_nor_a_thing_is_still_refused(text):
    """A word the parser knows neither as a currency nor as things may be a currency it does
    not know (``2 billion shillings``): not guessed, the row is set aside as before; ``grants``
    (a deliverable word that also names money) is no word of things."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert not isinstance(err.value, parsing.NotMoney)
    assert err.value.kind in {"unparseable value", "ambiguous value"}


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("5 million rupees", 5e6, "INR"), ("300 million naira", 3e8, "NGN"),
    ("2 billion yen", 2e9, "JPY"), ("USD 500 laptops", 500, "USD"), ("$500 laptops", 500, "USD"),
    ("Rs 500 laptops", 500, "INR"), ("500 PCS", 500, "PCS"), ("5m PCS per year", 5e6, "PCS")])
def test_a_currency_wins_over_a_word_of_things(text, amount, currency):
    """Currency words the parser knows keep converting; a currency right before the amount
    makes it money whatever follows; a code in capitals after it is a code (``PCS``), not the
    word of things ``pcs``."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)


def test_the_words_of_things_are_the_deliverable_units_singular_and_plural():
    """The words of things are read from data/harmonization/deliverable_terms.csv (one list
    for deliverables and values), with their singular or plural, less words of money."""
    from p2c_analysis import deliverables
    words = parsing.thing_words()
    units = set(deliverables.load_terms().units)
    assert units - {"grants"} <= words
    assert {"laptop", "laptops", "community", "communities", "business", "businesses",
            "school", "schools", "people", "teacher", "teachers"} <= words
    assert not words & (set(parsing.CURRENCY_TOKENS) | set(parsing.SCALES)
                        | {"grant", "grants", "years"})


@pytest.mark.parametrize(("text", "amount", "currency", "note"), [
    ("USD 5 million and 1,000 laptops", 5e6, "USD", "'1,000 laptops'"),
    ("1,000 laptops and EUR 5 million", 5e6, "EUR", "'1,000 laptops'"),
    ("$5 million for 100 schools by 2025", 5e6, "USD", "'100 schools'"),
    ("5 million rupees for 100 schools", 5e6, "INR", "'100 schools'"),
    ("EUR 5m and 100,000 SIM cards", 5e6, "EUR", "'100,000 SIM cards'"),
    ("USD 2m x 4 years and 1,000 laptops", 8e6, "USD", "'1,000 laptops'")])
def test_money_beside_a_number_of_things_is_the_money(text, amount, currency, note):
    """``USD 5 million and 1,000 laptops`` was refused as "several amounts"; the number of
    things is no amount: the money counts, and the note says what was left out."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)
    assert f"{note} counts things, not money: not counted" in m.note


@pytest.mark.parametrize(("text", "detail"), [
    ("5 million and 1,000 laptops", "several amounts"),
    ("Connectivity for about 120 million people in remote areas of 80+ countries",
     "several amounts"),
    ("USD 5m and EUR 3m for 100 schools", "several amounts"),
    ("500 laptops at USD 300 each", "an amount per thing"),
    ("USD 50 per laptop, 1,000 laptops", "an amount per thing"),
    ("USD 1,000 x 500 laptops", "an amount per thing")])
def test_money_beside_things_with_no_currency_or_as_a_price_is_refused(text, detail):
    """Money beside things counts only when it names its currency (else ``80+ countries``
    would be 80 US dollars) and is no price of one thing (``USD 300 each``: the total is not
    stated): such texts stay refused as ambiguous."""
    with pytest.raises(ParseError, match=detail) as err:
        parsing.parse_money(text)
    assert err.value.kind == "ambiguous value"


def test_things_valued_in_usd_in_brackets_in_lower_case():
    m = parsing.parse_money("500 laptops (USD 200,000)")
    assert (m.amount, m.currency) == (2e5, "USD")
    assert m.note == "'laptops' counts things, not money; the USD figure (USD 200,000) is the value"


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("2m USD x 4 years", 8e6, "USD"), ("2m XYZ x 4 years", 8e6, "XYZ"),
    ("2 million KES × 4 years", 8e6, "KES"), ("2m rupees x 4 years", 8e6, "INR"),
    ("2m euros times 3 years", 6e6, "EUR"), ("2,000,000 USD * 2 years", 4e6, "USD"),
    ("USD 2m x 4 years", 8e6, "USD"), ("XYZ 2m x 4 years", 8e6, "XYZ")])
def test_a_currency_between_the_amount_and_times_years_still_multiplies(text, amount, currency):
    """``2m USD x 4 years`` was read as USD 2 million, without a word (``USD 2m x 4 years``
    gave 8 million): the currency between the amount and ``x 4 years`` hid the multiplier.
    The code-in-the-middle form reads as the code-first one (an unknown code stays that
    currency; the loader sets it aside naming it)."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)
    assert m.per_year and m.multiplied and "multiplied by the" in m.note


@pytest.mark.parametrize(("text", "amount", "currency", "high"), [
    ("EUR 3m", 3e6, "EUR", None), ("3m EUR", 3e6, "EUR", None),
    ("1.5 billion", 1.5e9, None, None), ("$1-2 million", 1e6, "USD", 2e6),
    ("USD 1 000 - 2 000", 1e3, "USD", 2e3), ("EUR 3-5 million per year for 2 years", 6e6, "EUR",
                                             10e6)])  # both ends over the years
def test_plain_amounts_and_ranges_are_unchanged_by_the_words_of_things(text, amount, currency,
                                                                         high):
    m = parsing.parse_money(text)
    assert (m.amount, m.currency, m.range_high) == (amount, currency, high)


@pytest.mark.parametrize("text, low, high", [
    ("EUR 3-5 million per year for 2 years", 6e6, 10e6),
    ("USD 1-2 million a year over 2024-2028", 5e6, 10e6),
    ("USD 1-2 million", 1e6, 2e6),
])
def test_a_range_per_year_is_multiplied_at_both_ends(text, low, high) -> None:
    """The lower end was multiplied by the years and the upper end was not: 'EUR 3-5 million
    per year for 2 years' read as a range from 6 to 5 million."""
    m = parsing.parse_money(text)
    assert (m.amount, m.range_high) == (low, high)


@pytest.mark.parametrize(("text", "things"), [
    ("5 countries", "countries"), ("12 districts", "districts"), ("3 regions", "regions"),
    ("2 economies", "economies"), ("1 country", "country"), ("40 partners", "partners"),
    ("6 territories", "territories"), ("3 states", "states"), ("2 sub-regions", "sub-regions"),
    ("4 subregions", "subregions"), ("20 villages", "villages"),
    ("7 communities", "communities")])
def test_a_count_of_places_or_partners_is_no_money(text, things):
    """``5 countries`` in a value cell was set aside as "unparseable value": a count of
    places or partners (the scope words of deliverable_terms.csv) is no amount of money, kept
    with no USD value as ``500 laptops`` is. Words of time stay refused (``5 years``: a
    duration, see the test above)."""
    with pytest.raises(parsing.NotMoney) as err:
        parsing.parse_money(text)
    assert err.value.things == things


def test_money_in_a_number_of_countries_is_the_money():
    """``USD 5 million in 5 countries`` was "ambiguous value (several amounts)"; the count of
    countries is set apart and noted, the money is the value."""
    m = parsing.parse_money("USD 5 million in 5 countries")
    assert (m.amount, m.currency) == (5_000_000.0, "USD")
    assert "'5 countries' counts things" in m.note
    m = parsing.parse_money("EUR 2-3 million across 12 districts")
    assert (m.amount, m.range_high, m.currency) == (2_000_000.0, 3_000_000.0, "EUR")
    with pytest.raises(parsing.NotMoney):  # no currency: people and countries, no money
        parsing.parse_money("about 120 million people in 80 countries")


@pytest.mark.parametrize("place", ["territories", "states", "sub-regions", "countries"])
def test_a_currency_beside_a_count_of_places_wins(place):
    """``USD 5 million in 6 territories`` is the 5 million, the count noted (``6 territories``
    and ``3 states`` were "unparseable value" alone, and beside money "several amounts"),
    ``5 million shillings in 6 territories``, with no currency the parser knows, stays
    refused."""
    m = parsing.parse_money(f"USD 5 million in 6 {place}")
    assert (m.amount, m.currency) == (5_000_000.0, "USD")
    assert f"'6 {place}' counts things" in m.note
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(f"5 million shillings in 6 {place}")
    assert not isinstance(err.value, parsing.NotMoney)


@pytest.mark.parametrize("text", ["1e999", "1E+999", "-1e999"])
def test_a_non_finite_number_is_quoted_as_written(text):
    """``1e999`` in a value cell was set aside as "absurd value: 'inf' in ...": the reason now
    quotes the cell as written (a negative one stays a negative value)."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.text == text
    assert err.value.kind == ("negative value" if text.startswith("-") else "absurd value")


@pytest.mark.parametrize("text", ["(5,000,000)", "USD (5,000,000)", "(USD 5,000,000)",
                                  "$(1,250.50)", "(EUR 2 Mio.)", "(5m)"])
def test_an_amount_in_parentheses_is_a_negative_amount_and_says_so(text) -> None:
    """Accounting exports write a negative amount in parentheses: the cell was set aside as
    an ``unparseable value`` with no word of why; it is a ``negative value`` saying so, as
    ``5,000,000-`` is. A remark in parentheses after an amount is still a remark."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "negative value"
    assert "in parentheses is negative in accounts" in str(err.value)
    m = parsing.parse_money("USD 5m (10%)")
    assert (m.amount, m.note) == (5e6, "(10%)")


@pytest.mark.parametrize("text, low, high", [
    ("USD 5m - 10m", 5e6, 10e6),
    ("USD 5m – 10m", 5e6, 10e6),
    ("USD 5 million to 10 million", 5e6, 10e6),
    ("EUR 1,5 Mio. - 2 Mio.", 1.5e6, 2e6),
    ("USD 5m - 10 million", 5e6, 10e6),
    ("USD 2 bn to 3 bn", 2e9, 3e9),
])
def test_a_range_with_its_scale_on_both_ends_is_one_range(text, low, high) -> None:
    """``USD 5m - 10m`` was set aside as an ``ambiguous value`` (several amounts) while
    ``USD 5-10 million`` was read as a range: both are a range, its lower bound taken, noted.
    Ends of different scales (``5m - 1bn``) are still refused."""
    m = parsing.parse_money(text)
    assert (m.amount, m.range_high) == (low, high)
    assert m.note == f"range stated; lower bound {low:,.0f} taken"
    with pytest.raises(ParseError, match="several amounts"):
        parsing.parse_money("USD 5m - 1bn")


@pytest.mark.parametrize("text, annual, years", [
    ("EUR 5m p.a.", 5e6, None),
    ("EUR 5m p. a.", 5e6, None),
    ("USD 1m p.a. for 3 years", 1e6, 3),
    ("USD 2 million pa over 4 years", 2e6, 4),
    ("USD 5m pa", 5e6, None),
])
def test_per_annum_written_p_a_is_a_rate_per_year(text, annual, years) -> None:
    """``EUR 5m p.a.`` was read as EUR 5 million in all, with no note (``USD 1m p.a. for 3
    years`` as 1 million, not 3): ``p.a.`` is per year, as ``per annum`` is, multiplied by a
    stated duration and noted; ``PA`` further on (``for PA``) is no rate."""
    m = parsing.parse_money(text)
    assert m.per_year and m.years == years
    assert m.amount == annual * (years or 1)
    assert not parsing.parse_money("USD 5m for PA").per_year


@pytest.mark.parametrize("text, amount, currency", [
    ("INR 12,34,567", 1_234_567, "INR"),
    ("₹ 1,00,00,000", 10_000_000, "INR"),
    ("₹12,34,567.50", 1_234_567.5, "INR"),
    ("1,23,456", 123_456, None),
])
def test_digits_grouped_in_lakhs_and_crores_are_read_and_noted(text, amount, currency) -> None:
    """``INR 12,34,567`` was set aside as "unparseable value '12,34,567'", quoting the number,
    not the cell: grouped in lakhs and crores, it has one reading, now taken and noted."""
    m = parsing.parse_money(text)
    assert (m.amount, m.currency) == (amount, currency)
    assert m.note.startswith("digits grouped in lakhs and crores (")


def test_a_word_of_things_in_parts_after_money_is_not_read_as_its_first_part() -> None:
    """``USD 1 sub-region`` was refused as "'sub' after the amount is no known scale or
    currency" (the property test on currencies before things failed on it now and then): the
    word is ``sub-region``, a word of places, and the money is read as ``USD 500 laptops``
    is; an unknown word in parts (``co-ops``) is still refused."""
    m = parsing.parse_money("USD 1 sub-region")
    assert (m.amount, m.currency) == (1.0, "USD")
    assert parsing.parse_money("USD 500 laptops").amount == 500.0
    with pytest.raises(ParseError, match="'co' after the amount"):
        parsing.parse_money("USD 100 co-ops")


@pytest.mark.parametrize("text, month", [("05.2023", 5), ("5.2023", 5), ("12.2024", 12)])
def test_a_month_and_year_with_a_point_is_a_month(text, month) -> None:
    """``05.2023`` (month.year, as German exports write it) was set aside as "unparseable
    date (no year)", which it has; it is the month, as ``05/2023`` and ``2023.05`` are."""
    year = int(text[-4:])
    assert parsing.parse_date(text) == (pd.Timestamp(year, month, 1), "month")
    with pytest.raises(ParseError, match="impossible date"):
        parsing.parse_date("13.2023")


@pytest.mark.parametrize("text, total, years", [
    ("USD 5m/year for 3 yrs", 15e6, 3),
    ("USD 5m p.a. over 3 yrs", 15e6, 3),
    ("USD 5 m per yr for 2 yrs", 10e6, 2),
    ("USD 5 m per yr", 5e6, None),
])
def test_years_written_yrs_are_a_duration_and_per_yr_a_rate(text, total, years) -> None:
    """``USD 5m/year for 3 yrs`` was read as 5 million "stated per year with no duration",
    a duration it states; ``USD 5 m per yr`` as 5 million in all, no rate. ``yrs`` is
    years and ``per yr`` per year, as ``/yr`` was."""
    m = parsing.parse_money(text)
    assert (m.amount, m.per_year, m.years) == (total, True, years)
    with pytest.raises(ParseError, match="negative number of years"):
        parsing.parse_money("USD 5m for -3 yrs")


def test_a_duration_in_yrs_is_in_the_value_text_for_the_basis() -> None:
    from p2c_analysis import values

    r = values.read_value_basis("USD 5m per year for 3 yrs", 15e6)
    assert r.basis == "per_year_times_years" and not r.inferred
    assert r.note == "a yearly amount times 3 years; the duration is in the value text"


def test_a_region_after_an_amount_with_a_scale_is_no_count_of_places() -> None:
    """``5 LDCs`` counts places, but ``5 million Africa`` is no five million Africas: it stays
    an unparseable value (a word no currency), not a pledge kept with no value."""
    with pytest.raises(parsing.NotMoney):
        parsing.parse_money("5 least developed countries")
    with pytest.raises(ParseError) as err:
        parsing.parse_money("5 million Africa")
    assert not isinstance(err.value, parsing.NotMoney) and err.value.kind == "unparseable value"


@pytest.mark.parametrize("text, total, years", [
    ("USD 5 million annual contribution for 3 years", 15e6, 3),
    ("5 million USD annual", 5e6, None),
    ("EUR 5 Mio. pro Jahr", 5e6, None),
    ("EUR 5m jährlich", 5e6, None),
    ("EUR 5 M par an", 5e6, None),
])
def test_annual_and_german_and_french_rates_are_per_year(text, total, years) -> None:
    """``USD 5 million annual contribution for 3 years`` was read as 5 million "total over 3
    years", and ``EUR 5 Mio. pro Jahr`` as 5 million in all: each is a rate per year.
    ``annual`` further from the amount (``for the annual meeting``) is no rate."""
    m = parsing.parse_money(text)
    assert (m.amount, m.per_year, m.years) == (total, True, years)
    assert not parsing.parse_money("USD 5m for the annual meeting").per_year


@pytest.mark.parametrize(("text", "amount", "word"), [
    ("~USD 5m", 5e6, "~"),
    ("ca. EUR 5 Mio.", 5e6, "ca."),
    ("approx. USD 5 million", 5e6, "approx."),
])
def test_an_approximate_sign_or_abbreviation_gives_the_approximate_note(text, amount,
                                                                        word) -> None:
    """'~USD 5m' ('~' right against the currency) and 'ca. EUR 5 Mio.' ('ca.' was no
    qualifier) read the amount with no note that it is approximate."""
    m = parsing.parse_money(text)
    assert (m.amount, m.qualifier) == (amount, word)
    assert m.note == f"'{word}': approximate"


def test_grouped_digits_ending_in_three_decimals_are_an_ambiguous_value() -> None:
    """'USD 1,500.000' was read as USD 1,500: set aside, naming both readings."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money("USD 1,500.000")
    assert str(err.value) == (
        "ambiguous value 'USD 1,500.000' ('1,500.000' may be 1,500 (the last separator a "
        "decimal one, three decimals) or 1,500,000 (every separator a thousands one): write "
        "1500 or 1500000)")
    assert parsing.parse_money("USD 1,500.00").amount == 1500  # cents: not ambiguous
    assert parsing.parse_money("USD 1,500,000").amount == 1_500_000


@pytest.mark.parametrize("text, num, readings", [
    ("USD 1,500.000 million", "1,500.000",
     "1,500 million (the last separator a decimal one, three decimals) or 1,500,000 million "
     "(every separator a thousands one): write 1500 million or 1500000 million"),
    ("USD 1 500.000", "1 500.000",
     "1,500 (the last separator a decimal one, three decimals) or 1,500,000 (every separator "
     "a thousands one): write 1500 or 1500000"),
    ("CHF 1'500.000", "1'500.000",
     "1,500 (the last separator a decimal one, three decimals) or 1,500,000 (every separator "
     "a thousands one): write 1500 or 1500000"),
    ("EUR 2 500,000 bn", "2 500,000",
     "2,500 bn (the last separator a decimal one, three decimals) or 2,500,000 bn (every "
     "separator a thousands one): write 2500 bn or 2500000 bn"),
])
def test_grouped_digits_ending_in_three_decimals_are_ambiguous_with_a_scale_or_spaces(
        text, num, readings) -> None:
    """'USD 1,500.000 million' was read as USD 1,500 million and 'USD 1 500.000' (or
    "1'500.000") as USD 1,500, silently taking one of two readings that differ a
    thousandfold; like 'USD 1,500.000' they are set aside naming both. Two decimals after
    spaces, and space grouping with no decimals, are read as before."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert str(err.value) == f"ambiguous value {text!r} ({num!r} may be {readings})"
    assert parsing.parse_money("USD 1 500.50").amount == 1500.5
    assert parsing.parse_money("CHF 1'500'000").amount == 1_500_000
    assert parsing.parse_money("USD 1,500.5 million").amount == 1_500_500_000


@pytest.mark.parametrize("text, written, region", [
    ("5 Africa", "5 Africa", "Africa"),
    ("five Africa", "five Africa", "Africa"),
    ("about 12 Asia-Pacific", "12 Asia-Pacific", "Asia-Pacific"),
])
def test_a_bare_number_before_a_region_alone_is_no_clear_amount(text, written,
                                                                region) -> None:
    """'5 Africa' was NotMoney "'Africa' counts things", as if it said five countries; it
    may as well be USD 5 million for Africa with its scale left out. It stays NotMoney (the
    pledge kept with no USD value) but of kind 'no clear amount of money', saying why. A
    group named by what its members are, or a region followed by a word of places, still
    counts places."""
    with pytest.raises(parsing.NotMoney) as err:
        parsing.parse_money(text)
    assert err.value.kind == "no clear amount of money"
    assert err.value.detail == (
        f"{written!r} is a number before the region {region!r} with no currency, scale or "
        "word of what it counts: write e.g. 5 countries or USD 5 million")
    for counted in ("5 LDCs", "5 least developed countries", "5 Caribbean countries",
                    "5 Arab States", "five SIDS"):
        with pytest.raises(parsing.NotMoney) as err:
            parsing.parse_money(counted)
        assert err.value.kind == "not an amount of money", counted


def test_read_date_gives_the_reading_note_from_its_own_parse() -> None:
    """The note on a dotted date read day first came from a second function that matched
    and parsed the text again; it is now part of the one parse's result (read_date), and
    parse_date gives the same date and precision without it."""
    assert parsing.read_date("01.05.2023") == parsing.DateRead(
        pd.Timestamp(2023, 5, 1), "day", "date '01.05.2023' read as day.month.year, the order "
        "of a date with points: 2023-05-01, not 2023-01-05")
    assert parsing.parse_date("01.05.2023") == (pd.Timestamp(2023, 5, 1), "day")
    assert parsing.read_date("13.05.2023") == (pd.Timestamp(2023, 5, 13), "day", None)
    assert parsing.read_date("05.05.2023").note is None  # day and month the same
    assert parsing.read_date("2023-05") == (pd.Timestamp(2023, 5, 1), "month", None)
    assert parsing.read_date(" ") is None
    with pytest.raises(ParseError, match="implausible date"):
        parsing.read_date("01.05.1850")


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("5 Mio. KES", 5e6, "KES"), ("5 Mio KES", 5e6, "KES"), ("2 Mrd. XOF", 2e9, "XOF"),
    ("3 bn. NGN", 3e9, "NGN"), ("5 M. KES", 5e6, "KES"), ("5 Mio. €", 5e6, "EUR")])
def test_a_code_after_a_scale_abbreviated_or_capitalised_is_the_currency(text, amount,
                                                                         currency) -> None:
    """A code after a scale written with a capital or a full stop (German ``Mio.``,
    ``Mrd.``) was not seen: ``5 Mio. KES`` was read as US dollars (140 times too much)."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency) == (amount, currency)


@pytest.mark.parametrize(("text", "kind"), [
    ("5 Mio. shillings", "unparseable value"), ("2 bn. Rp", "unparseable value"),
    ("5 Mio. laptops", "not an amount of money"), ("2 Mio. SIM cards", "not an amount of money")])
def test_words_after_a_scale_with_a_full_stop_are_read_as_after_any_scale(text, kind) -> None:
    """``5 million shillings`` is refused and ``5 million laptops`` is no money; with the
    scale abbreviated, ``5 Mio. shillings`` and ``5 Mio. laptops`` were USD 5 million."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == kind



@pytest.mark.parametrize(("text", "amount"), [
    ("EUR ,5 Mio.", 500_000), ("USD ,25 million", 250_000), ("USD 0,100 million", 100_000),
    ("USD 0,5 Mio.", 500_000), ("0.100 Mio. EUR", 100_000)])
def test_a_decimal_without_a_whole_part_is_a_decimal(text, amount):
    """``,5 Mio.`` was 5 million (the comma dropped) and ``0,100 million`` 100 million (the
    comma read as a thousands separator, which never follows a 0)."""
    assert parsing.parse_money(text).amount == amount


@pytest.mark.parametrize(("text", "amount"), [
    ("USD 1+ billion", 1e9), ("USD 2 + million", 2e6), ("EUR 5 Mio.+", 5e6), ("$3+m", 3e6)])
def test_a_plus_before_or_after_an_abbreviated_scale_is_a_lower_bound(text, amount):
    """``USD 1+ billion`` was USD 1 (the scale after the plus left out), and ``EUR 5 Mio.+``
    was EUR 5 million with no word of its being a lower bound."""
    money = parsing.parse_money(text)
    assert (money.amount, money.qualifier) == (amount, "or more")
    assert "'or more': lower bound" in money.note


@pytest.mark.parametrize(("text", "code", "amount", "currency"), [
    ("$5 million", "CAD", 5e6, "CAD"), ("5 million dollars", "AUD", 5e6, "AUD"),
    ("¥500 million", "JPY", 5e8, "JPY"), ("$5-10 million", "MXN", 5e6, "MXN"),
    ("$5 million", "USD", 5e6, "USD"), ("$5 million", None, 5e6, "USD"),
    ("€5 million", "EUR", 5e6, "EUR"), ("5 million", "CAD", 5e6, None)])
def test_a_sign_of_several_currencies_is_the_currency_of_the_column_beside(text, code, amount,
                                                                           currency) -> None:
    money = parsing.parse_money_beside(text, code)
    assert (money.amount, money.currency) == (amount, currency)


@pytest.mark.parametrize(("text", "code", "kind"), [
    ("¥500 million", "EUR", "ambiguous currency"), ("¥500 million", None, "ambiguous currency"),
    ("5 widgets", "CAD", "unparseable value")])
def test_a_sign_the_column_beside_does_not_fit_is_refused_as_before(text, code, kind) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money_beside(text, code)
    assert err.value.kind == kind


@pytest.mark.parametrize(("text", "expected"), [
    ("Access & Adoption", ["ACCESS", "ADOPTION"]), ("Access/Adoption", ["ACCESS", "ADOPTION"]),
    ("Access and Adoption", ["ACCESS", "ADOPTION"]), ("access + adoption", ["ACCESS", "ADOPTION"]),
    ("Value creation and Accelerate investment", ["VALUE CREATION", "ACCELERATE INVESTMENT"]),
    ("Access, Adoption & Value creation", ["ACCESS", "ADOPTION", "VALUE CREATION"]),
    ("Access (rural and urban)", ["ACCESS"])])
def test_two_focus_areas_joined_by_and_or_a_sign_are_both(text, expected) -> None:
    """``Access & Adoption`` was an unknown focus area, setting the pledge aside, while
    ``Access, Adoption`` was read; a remark in brackets is not split."""
    assert parsing.parse_focus_areas(text) == expected


def test_a_joined_focus_area_that_is_unknown_names_the_whole_piece() -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_focus_areas("Access & Teleportation")
    assert (err.value.kind, err.value.text) == ("unknown focus area", "Access & Teleportation")


@pytest.mark.parametrize(("text", "expected"), [
    ("Accès", ["ACCESS"]), ("Acceso; Adopción", ["ACCESS", "ADOPTION"]),
    ("Création de valeur", ["VALUE CREATION"]), ("Creación de valor", ["VALUE CREATION"]),
    ("Accélérer l’investissement", ["ACCELERATE INVESTMENT"]),
    ("Aceleración de la inversión", ["ACCELERATE INVESTMENT"])])
def test_the_focus_areas_in_french_and_spanish_are_read(text, expected) -> None:
    """ITU publishes Partner2Connect in French and Spanish too; an export in either set every
    pledge aside as an unknown focus area."""
    assert parsing.parse_focus_areas(text) == expected


@pytest.mark.parametrize(("text", "currency"), [
    ("5 million (EUR)", "EUR"), ("5,000,000 (KES)", "KES"), ("5 000 000 (in XOF)", "XOF"),
    ("5 million (euros)", "EUR"), ("5 million (€, approx.)", "EUR"), ("$5 million (CAD)", "CAD"),
    ("USD 5 million (USD)", "USD"), ("USD 5 million (IDA)", "USD"), ("5 million (TBC)", None)])
def test_a_currency_alone_in_brackets_is_the_amounts_currency(text, currency) -> None:
    """``5 million (EUR)`` was a remark ``(EUR)`` and the amount read as US dollars; an
    acronym in brackets that is no currency (``IDA``, ``TBC``) is still a remark."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency) == (5e6, currency)


@pytest.mark.parametrize("text", ["USD 5 million (EUR)", "5 million (EUR) (KES)"])
def test_a_currency_in_brackets_that_another_contradicts_is_a_conflict(text) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "currency conflict"


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("₹5 lakh crore", 5e12, "INR"), ("INR 1.5 lakh crore", 1.5e12, "INR"),
    ("Rs 2 thousand crore", 2e10, "INR"), ("USD 5 thousand million", 5e9, "USD"),
    ("5 lakh cr INR", 5e12, "INR"), ("1 Cr INR", 1e7, "INR")])
def test_a_scale_of_a_larger_scale_multiplies_it(text, amount, currency) -> None:
    """Indian budgets are written in lakh crore (₹1.39 lakh crore for BharatNet): ``₹5 lakh
    crore`` was ₹500,000, the crore left out, and ``USD 5 thousand million`` USD 5,000."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency) == (amount, currency)


@pytest.mark.parametrize("text", ["5 million million", "USD 5 million thousand"])
def test_a_second_scale_no_larger_than_the_first_is_refused(text) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "unparseable value"


@pytest.mark.parametrize("value", [2030.5, 2024.25, 1999.5])
def test_a_year_cell_with_a_fraction_is_no_whole_year_not_out_of_the_window(value) -> None:
    """A year cell of 2030.5 was refused as "outside 2000-2100", which it is not."""
    with pytest.raises(ParseError) as err:
        parsing.parse_year(value)
    assert (err.value.kind, err.value.detail) == ("unparseable year", "not a whole year")


@pytest.mark.parametrize("text", ["5 Mio. p.a.", "5 Mio p.a.", "5 million pro Jahr",
                                  "5 Mio. jährlich", "5 M par an", "5 million annual"])
def test_a_rate_per_year_next_to_an_amount_with_no_currency_is_read(text) -> None:
    """``5 million per year`` was read, ``5 Mio p.a.`` and ``5 million pro Jahr`` refused as
    an unknown word next to the amount: the rates of ``_PER_YEAR`` are no currency, so the
    amount is read as any amount with no currency (in a currency column's currency)."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency, money.per_year) == (5e6, None, True)
    assert parsing.parse_money_beside(text, "EUR").amount == 5e6


@pytest.mark.parametrize("text", ["US-$ 5 Mio.", "us-$5m", "US-$ 5,000,000"])
def test_us_hyphen_dollar_is_the_us_dollar_not_a_minus(text: str) -> None:
    """``US-$`` (German usage) is USD; its hyphen was read as a minus (``negative value``)."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency) == (5_000_000, "USD")


def test_us_hyphen_dollar_keeps_a_real_minus_negative() -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money("US-$ -5m")
    assert err.value.kind == "negative value"


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("GH¢ 5 million", "GHS"), ("GH₵ 5 million", "GHS"), ("TSh 5 million", "TZS"),
        ("Tsh 5 million", "TZS"), ("USh 5 million", "UGX"), ("5 million Kenyan shillings", "KES"),
        ("Kenyan shilling 5 million", "KES"), ("XAF 5 million FCFA", "XAF"),
        ("XOF 5 million (CFA franc)", "XOF"), ("5 million SEK kr", "SEK"),
    ],
)
def test_african_currency_signs_and_names_are_read(text: str, currency: str) -> None:
    """Signs and names of one currency each (they were set aside as unknown); a sign of
    several with its ISO code beside it is that code's currency."""
    money = parsing.parse_money(text)
    assert (money.amount, money.currency) == (5_000_000, currency)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("5 million FCFA", ("XOF", "XAF")), ("CFA 5 million", ("XOF", "XAF")),
        ("5 million CFAF", ("XOF", "XAF")), ("5 million francs CFA", ("XOF", "XAF")),
        ("kr 5 million", ("SEK", "NOK", "DKK", "ISK")), ("DH 5 million", ("MAD", "AED")),
        ("5 million Dhs", ("MAD", "AED")),
    ],
)
def test_signs_of_several_currencies_are_ambiguous(text: str, named: tuple[str, ...]) -> None:
    """``CFA 5 million`` was read as a currency ``CFA``; ``FCFA``, ``kr``, ``DH`` were no
    currency: now set aside as ambiguous, the reason naming every candidate."""
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "ambiguous currency"
    assert all(code in str(err.value) for code in named)


@pytest.mark.parametrize("text", ["₵ 5 million", "¢ 50"])
def test_a_sign_known_only_with_its_letters_is_unknown_alone(text: str) -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "unknown currency"


def test_currency_cells_of_several_currencies_are_ambiguous() -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_currency("FCFA")
    assert err.value.kind == "ambiguous currency"
    assert parsing.parse_currency("USh") == "UGX"


@pytest.mark.parametrize(
    ("text", "qualifier", "meaning"),
    [
        (">$5 million", ">", "lower bound"), ("> USD 5 million", ">", "lower bound"),
        ("≥ USD 5m", "≥", "lower bound"), (">= EUR 5m", ">=", "lower bound"),
        ("<$5 million", "<", "upper bound"), ("≤ USD 5m", "≤", "upper bound"),
        ("more than USD 5 million", "more than", "lower bound"),
        ("USD 5 million+", "or more", "lower bound"),
    ],
)
def test_comparison_signs_are_bounds_like_their_words(text: str, qualifier: str,
                                                      meaning: str) -> None:
    """``>$5 million`` was a plain USD 5 million (the bound lost), unlike ``more than USD 5
    million`` and ``USD 5 million+``; the value basis reads the bound from the qualifier."""
    from p2c_analysis import values

    money = parsing.parse_money(text)
    assert (money.amount, money.qualifier) == (5_000_000, qualifier)
    assert f"'{qualifier}': {meaning}" in money.note
    bounds = values.LOWER_BOUND_WORDS if meaning == "lower bound" else values.UPPER_BOUND_WORDS
    assert qualifier in bounds


@pytest.mark.parametrize(
    ("text", "amount", "years"),
    [
        ("USD 5 million (per year)", 5_000_000, None),
        ("USD 5 million (annually)", 5_000_000, None),
        ("USD 5 million (per year) for 3 years", 15_000_000, 3),
        ("USD 1 million (per month)", 12_000_000, None),
    ],
)
def test_a_rate_in_brackets_is_a_rate(text: str, amount: float, years: int | None) -> None:
    """``USD 5 million (per year)`` was USD 5 million in all, ``(per year)`` a remark."""
    money = parsing.parse_money(text)
    assert (money.amount, money.per_year, money.years) == (amount, True, years)


def test_an_ambiguous_currency_word_is_quoted_as_written() -> None:
    with pytest.raises(ParseError) as err:
        parsing.parse_money("5 million FCFA")
    assert err.value.text == "FCFA"


def test_a_url_cell_loses_separators_before_its_first_link_and_after_its_last():
    """``;www.example.org`` was kept as written, so the cell's first word, ``;www...``, was no
    link (found by Hypothesis: ``;WWW.0``); the links and the separators between them stay."""
    assert parsing.parse_url(";WWW.0") == "WWW.0"
    assert parsing.parse_url(" ; https://a.org ;") == "https://a.org"
    assert parsing.parse_url("www.a.org; https://b.org") == "www.a.org; https://b.org"
    with pytest.raises(parsing.ParseError, match="not a link"):
        parsing.parse_url("; ;")


@pytest.mark.parametrize("text, years", [
    ("$2 million per year for 500 years", "500 years of a yearly amount, more than 50"),
    ("USD 2m x 0 years", "0 years of a yearly amount: state"),
    ("EUR 1 million p.a. for 51 years", "51 years of a yearly amount, more than 50"),
])
def test_a_yearly_amount_for_no_or_too_many_years_is_set_aside_as_a_span_is(text, years):
    """A span of years after a yearly amount longer than MAX_SPAN_YEARS is refused
    (``implausible duration``); ``per year for 500 years`` was multiplied by 500 (USD 1
    billion from USD 2 million a year) and ``x 0 years`` was read as a yearly amount "with no
    duration"."""
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "implausible duration"
    assert years in str(err.value)


def test_a_yearly_amount_for_up_to_fifty_years_and_a_total_over_any_span_are_read():
    assert parsing.parse_money("$2 million per year for 50 years").amount == 100e6
    assert parsing.parse_money("$30 million over 500 years").amount == 30e6  # a total
