"""Loader fixes: readings that were silently wrong (a value's separators, a yearly rate over a
span of years, a cp1252 file read as Mac Roman, ``No`` read as Norway, the rand's ``R``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from p2c_analysis import parsing
from p2c_analysis.pledges import LoadResult, _detect_fallback, load_pledges

COLUMNS = ("pledge_title,pledger,stakeholder_type,entity_country_iso3,pledge_type,focus_area,"
           "target_countries_iso3,target_region,estimated_value_usd,value_as_stated,"
           "announced_date,target_year,beneficiaries,description,source_url,notes").split(",")


def _load(tmp_path: Path, *rows: dict[str, str]) -> LoadResult:
    """Load a CSV of ``rows`` (cells over a plain financial pledge from France to Kenya)."""
    path = tmp_path / "t.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({c: "" for c in COLUMNS} | {
                "pledge_title": f"Pledge {i}", "pledger": f"Org {i}",
                "stakeholder_type": "Private sector", "entity_country_iso3": "FRA",
                "pledge_type": "Financial", "focus_area": "Access",
                "target_countries_iso3": "KEN", "value_as_stated": "USD 5 million",
                "announced_date": "2023-05-01"} | row)
    return load_pledges(path)


# --- encodings -------------------------------------------------------------------------------


def test_short_cp1252_file_is_not_read_as_mac_roman(tmp_path: Path) -> None:
    # one row's bytes, which charset-normalizer ranks Mac Roman first: € was read Ä
    path = tmp_path / "cp1252.csv"
    lines = [",".join(COLUMNS[:11]) + ",description",
             "Schools “online”,Org,Private sector,DEU,Financial,Access,KEN,,,€5 million,2023,"
             "ü é"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    r = load_pledges(path)
    assert r.encoding == "cp1252" and len(r.quarantine) == 0
    row = r.valid.iloc[0]
    assert (row["title"], row["value_as_stated"], row["currency"]) == (
        "Schools “online”", "€5 million", "EUR")
    assert row["description"] == "ü é"


@pytest.mark.parametrize("text", ["Org,€5 million\r\n", "A,B,€5 million,x\r\n",
                                  "Müller,€5 million, “x”\r\n"])
def test_fallback_prefers_cp1252_to_mac_roman_unless_cp1252_cannot_decode(text: str) -> None:
    assert _detect_fallback(text.encode("cp1252")) == "cp1252"
    # ç is 0x8D in Mac Roman, a byte cp1252 leaves undefined: Mac Roman stays
    mac = "Le garçon a reçu une leçon de français à la façade\r\n".encode("mac_roman")
    assert b"\x8d" in mac and _detect_fallback(mac) == "mac-roman"


# --- a point before three digits with a scale --------------------------------------------------


@pytest.mark.parametrize(("text", "readings"), [
    ("USD 1.000 million", "may be 1 million (a decimal point, as in English) or 1,000 million "
                          "(a thousands point, as in much of Europe and Latin America): write "
                          "1 million or 1000 million"),
    ("USD 2.500 million", "may be 2.5 million (a decimal point, as in English) or 2,500 million"),
    ("$1.250 mn", "may be 1.25 mn (a decimal point, as in English) or 1,250 mn"),
    ("USD 1.000-2.000 million", "'1.000' before 'million' may be 1 million"),
])
def test_a_point_before_three_digits_ending_in_0_is_ambiguous(text: str, readings: str) -> None:
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "ambiguous value" and readings in err.value.detail
    # a point that cannot be a thousands one, or digits no English writer pads, stay decimal
    for text, amount in (("$1.715 billion", 1.715e9), ("USD 0.250 million", 250_000.0),
                         ("USD 1,000 million", 1e9), ("USD 1.000.000", 1e6),
                         ("USD 1.25 billion", 1.25e9)):
        money = parsing.parse_money(text)
        assert money is not None and money.amount == amount, text


@pytest.mark.parametrize("text", ["1.000 millones USD", "USD 1.500 millones",
                                  "EUR 2.500 milliards", "BRL 1.000 milhões"])
def test_a_point_before_three_digits_is_ambiguous_with_a_spanish_or_french_scale(
        text: str) -> None:
    """``1.000 millones`` is a billion in Spanish; it was read as one million."""
    with pytest.raises(parsing.ParseError, match="may be a decimal or thousands") as err:
        parsing.parse_money(text)
    assert err.value.kind == "ambiguous value"


def test_the_point_reason_names_the_row_field_and_keeps_the_row(tmp_path: Path) -> None:
    r = _load(tmp_path, {"value_as_stated": "USD 1.000 million"},
              {"value_as_stated": "$17 billion"})
    assert r.valid["estimated_value_usd"].tolist() == [1.7e10]
    assert r.quarantine["source_row"].tolist() == [2]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous value: 'USD 1.000 million' in value_as_stated ('1.000' before 'million' may "
        "be 1 million (a decimal point, as in English) or 1,000 million (a thousands point, as "
        "in much of Europe and Latin America): write 1 million or 1000 million)"]
    assert '"USD 1.000 million"' in r.quarantine["raw"].iloc[0]


# --- a yearly amount over a span of years ------------------------------------------------------


@pytest.mark.parametrize("text", [
    "USD 5 million (per year, 2024-2026)", "USD 5 million (per year, 2024-26)",
    "USD 5 million (annually 2024–2026)", "USD 5 million (2024-2026, per year)",
    "USD 5 million per year (2024-2026)", "USD 5 million per year 2024-26",
])
def test_a_yearly_amount_over_a_span_of_years_is_multiplied(text: str) -> None:
    money = parsing.parse_money(text)
    assert money is not None
    assert (money.amount, money.per_year, money.years, money.multiplied) == (15e6, True, 3, True)
    assert "stated per year (5,000,000); multiplied by the 3 years stated" in money.note
    # the forms read so before, and a total over a span, stay as they were
    for same, amount in (("USD 5 million per year from 2024 to 2026", 15e6),
                         ("USD 5 million annually 2024–2026", 15e6),
                         ("USD 5 million over 2024-2028", 5e6), ("USD 5 million (2024-2026)", 5e6)):
        assert parsing.parse_money(same).amount == amount, same  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "detail"), [
    ("USD 5 million per year 2026-2024", "the years 2026-2024 run backwards: write the first "
                                         "year first, e.g. 2024-2026"),
    ("USD 5 million (per year, 2026-24)", "the years 2026-24 run backwards"),
    ("USD 5 million per year 2024-2099", "2024-2099 is 76 years of a yearly amount, more than "
                                         "50: state the total or the years meant"),
])
def test_a_backwards_or_absurd_span_of_a_yearly_amount_is_set_aside(text: str,
                                                                    detail: str) -> None:
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "implausible duration" and detail in err.value.detail


def test_a_yearly_amount_over_a_span_in_a_file(tmp_path: Path) -> None:
    r = _load(tmp_path, {"value_as_stated": "USD 5 million (per year, 2024-2026)"},
              {"value_as_stated": "USD 5 million per year 2024-2026"},
              {"value_as_stated": "USD 5 million per year 2026-2024"})
    assert r.valid["estimated_value_usd"].tolist() == [15e6, 15e6]
    assert r.valid["value_basis"].tolist() == ["per_year_times_years"] * 2
    assert r.valid["value_years"].tolist() == [3, 3]
    # the span in the value text itself is no remark in brackets
    assert r.valid["value_basis_inferred"].tolist() == [True, False]
    assert r.valid["value_basis_note"].iloc[1] == ("a yearly amount times 3 years; the "
                                                   "duration is in the value text")
    assert r.quarantine["reasons"].tolist() == [
        "implausible duration: 'USD 5 million per year 2026-2024' in value_as_stated (the years "
        "2026-2024 run backwards: write the first year first, e.g. 2024-2026)"]


# --- the rand's R, and a CFA franc named by its code in brackets -------------------------------


def test_r_before_an_amount_is_an_ambiguous_currency_naming_its_readings() -> None:
    for text in ("R 5 million", "R5m"):
        with pytest.raises(parsing.ParseError) as err:
            parsing.parse_money(text)
        assert (err.value.kind, err.value.text) == ("ambiguous currency", "R")
        assert err.value.detail == ("ZAR (South African rand), or a rupee (INR...) or a rouble "
                                    "(RUB): write the ISO code")
    for text, currency in (("R 5 million ZAR", "ZAR"), ("R 5 million (ZAR)", "ZAR"),
                           ("R$ 5 million", "BRL"), ("USD 5 million for R&D", "USD")):
        assert parsing.parse_money(text).currency == currency, text  # type: ignore[union-attr]
    with pytest.raises(parsing.ParseError, match="R and USD both named"):
        parsing.parse_money("R 5 million USD")


def test_a_cfa_franc_or_r_with_its_code_in_brackets_is_that_currency() -> None:
    for text, amount, currency in (("5 million FCFA (XOF)", 5e6, "XOF"),
                                   ("CFA 5 million (XAF)", 5e6, "XAF"),
                                   ("¥10 million (JPY)", 1e7, "JPY")):
        money = parsing.parse_money(text)
        assert money is not None and (money.amount, money.currency) == (amount, currency)
        assert "read as " + currency + ", the code in brackets" in money.note
    with pytest.raises(parsing.ParseError, match="ambiguous currency"):
        parsing.parse_money("5 million FCFA (EUR)")  # EUR is no CFA franc


def test_r_is_zar_for_a_pledger_in_the_common_monetary_area(tmp_path: Path) -> None:
    r = _load(tmp_path, *({"entity_country_iso3": iso3, "value_as_stated": "R 5 million"}
                          for iso3 in ("ZAF", "LSO", "NAM", "SWZ", "FRA")),
              {"entity_country_iso3": "FRA", "value_as_stated": "5 million FCFA (XOF)"})
    assert r.valid["currency"].tolist() == ["ZAR"] * 4 + ["XOF"]
    assert "value_as_stated: 'R' read as ZAR: the entity country ZAF is in CMA" in \
        r.valid["notes"].iloc[0]
    assert "'FCFA' read as XOF, the code in brackets" in r.valid["notes"].iloc[4]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous currency: 'R' in value_as_stated (ZAR (South African rand), or a rupee "
        "(INR...) or a rouble (RUB): write the ISO code)"]
    assert '"entity_country_iso3": "FRA"' in r.quarantine["raw"].iloc[0]


# --- "No" in a country cell ---------------------------------------------------------------------


def test_a_lone_no_in_a_file_of_alpha3_codes_is_not_stated_not_norway(tmp_path: Path) -> None:
    r = _load(tmp_path, {"target_countries_iso3": "No"}, {"entity_country_iso3": "no"},
              {"target_region": "No"}, {"target_countries_iso3": "NO"},
              {"target_countries_iso3": "NOR; SWE"})
    v = r.valid.set_index("title")
    assert v.loc["Pledge 0", "target_countries"] == [] and \
        pd.isna(v.loc["Pledge 1", "entity_country"])
    assert v.loc["Pledge 2", "target_regions"] == [] and \
        v.loc["Pledge 2", "target_countries"] == ["KEN"]
    assert v.loc["Pledge 4", "target_countries"] == ["NOR", "SWE"]
    assert "'No' in target_countries read as not stated ('no': none named; the file's " \
           "countries are names or alpha-3 codes, and Norway would be NOR)" in \
           v.loc["Pledge 0", "notes"]
    assert "'no' in entity_country read as not stated" in v.loc["Pledge 1", "notes"]
    assert "'No' in target_regions read as not stated" in v.loc["Pledge 2", "notes"]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous country: 'NO' in target_countries (Norway's ISO alpha-2 code, or 'no': none "
        "named; the file's countries are names or alpha-3 codes: write Norway, or leave the "
        "cell blank)"]


def test_no_in_capitals_in_a_file_of_alpha2_codes_is_norway(tmp_path: Path) -> None:
    r = _load(tmp_path, *({"entity_country_iso3": "FR", "target_countries_iso3": cell}
                          for cell in ("NO", "NO, SE, DK", "NO; SE; DK", "No")))
    assert r.valid["target_countries"].tolist() == [["NOR"], ["NOR", "SWE", "DNK"],
                                                     ["NOR", "SWE", "DNK"]]
    assert "'NO' in target_countries read as Norway (the file's countries are ISO alpha-2 " \
           "codes)" in r.valid["notes"].iloc[0]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous country: 'No' in target_countries (Norway's ISO alpha-2 code, or 'no': none "
        "named; the file's countries are ISO alpha-2 codes: write Norway, or leave the cell "
        "blank)"]


def test_a_usd_figure_in_brackets_with_a_point_before_round_thousands_is_ambiguous() -> None:
    """The USD figure a cell restates (``(USD 1.000 billion)``) replaces the conversion: it was
    read as 1 billion as silently as the amount itself."""
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money("EUR 5 million (USD 1.000 million)")
    assert err.value.kind == "ambiguous value"
    assert "'1.000' before 'million' may be 1 million" in err.value.detail
    with pytest.raises(parsing.ParseError, match="may be a decimal or thousands"):
        parsing.parse_money("EUR 900 Mio. (USD 1.000 millones)")
    money = parsing.parse_money("EUR 900 million (USD 1.715 billion)")
    assert money is not None and money.usd_stated == 1.715e9


def test_years_times_an_amount_in_the_value_text_is_no_remark(tmp_path: Path) -> None:
    r = _load(tmp_path, {"value_as_stated": "USD 2m x 4 years"})
    assert r.valid["estimated_value_usd"].tolist() == [8e6]
    assert r.valid["value_basis_inferred"].tolist() == [False]
    assert r.valid["value_basis_note"].tolist() == [
        "a yearly amount times 4 years; the duration is in the value text"]


@pytest.mark.parametrize(("text", "amount"), [
    ("USD 2.500 billion", 2.5e9), ("$1.250 bn", 1.25e9), ("USD 1.750 billion", 1.75e9),
    ("USD 1.000 trillion", 1e12), ("USD 1.000-2.000 billion", 1e9)])
def test_a_point_before_three_digits_ending_in_0_before_billion_is_a_decimal(
        text: str, amount: float) -> None:
    """The thousands reading of ``2.500 billion`` is 2,500 billion, a trillion or more: no
    pledge's size. They were read so before the rule for ``1.000 million`` set them aside;
    now they are read again, the other reading named in the note."""
    money = parsing.parse_money(text)
    assert money is not None and money.amount == amount
    assert "a decimal point" in money.note and "if it is a thousands point" in money.note
    money = parsing.parse_money("EUR 900 million (USD 1.000 billion)")
    assert money is not None and money.usd_stated == 1e9 and "1,000 billion" in money.note


def test_1_000_million_is_set_aside_whatever_the_other_rows_show(tmp_path: Path) -> None:
    """A rule read ``USD 1.000 million`` as 1 million in a file whose amounts showed decimal
    points: a machine-written ``estimated_value_usd`` of ``1000000000.00`` in the same row
    counted, a file of decimal commas with one ``USD 2.5 million`` counted, and it overrode
    the bracket check. The value is set aside again, naming both readings."""
    reason = ("ambiguous value: 'USD 1.000 million' in value_as_stated ('1.000' before 'million' "
              "may be 1 million (a decimal point, as in English) or 1,000 million")
    for rows in (
            [{"value_as_stated": "USD 1.000 million"}, {"value_as_stated": "$1.715 billion"}],
            [{"value_as_stated": "USD 1.000 million"}, {"value_as_stated": "USD 1.5 million"}],
            [{"value_as_stated": "USD 1.000 million", "estimated_value_usd": "1000000000.00"}],
            [{"value_as_stated": "USD 1.000 million"}, {"value_as_stated": "EUR 1,5 million"},
             {"value_as_stated": "USD 2.5 million"}]):
        r = _load(tmp_path, *rows)
        assert len(r.quarantine) == 1, rows
        assert r.quarantine["reasons"].iloc[0].startswith(reason), rows
    r = _load(tmp_path, {"value_as_stated": "EUR 900 million (USD 1.000 million)"},
              {"value_as_stated": "USD 1.5 million"})
    assert r.quarantine.empty
    assert r.valid["estimated_value_usd"].iloc[0] == 1e9
    r = _load(tmp_path, {"value_as_stated": "USD 1.000 million"},
              {"value_as_stated": "USD 1.5 million"}, {"value_as_stated": "1.000.000,50"})
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous value: '1.000' in value_as_stated (the file writes thousands with points, "
        "as in row 4: write 1000 or 1)"]


def test_a_lone_no_in_a_file_naming_no_country_says_the_file_shows_no_convention(
        tmp_path: Path) -> None:
    """In a file whose only country cells are ``NO`` (and ``No``, ``NA``), the reasons and notes
    said "the file's countries are names or alpha-3 codes": the file shows no convention at
    all. The readings are unchanged."""
    r = _load(tmp_path, *({"target_countries_iso3": c, "entity_country_iso3": ""}
                          for c in ("NO", "No", "NA")))
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous country: 'NO' in target_countries (Norway's ISO alpha-2 code, or 'no': none "
        "named; the file shows no convention for its countries: write Norway, or leave the "
        "cell blank)"]
    notes = r.valid["notes"].tolist()
    assert "'No' in target_countries read as not stated ('no': none named; the file shows no " \
           "convention for its countries, and Norway would be NOR)" in notes[0]
    assert "'NA' in target_countries read as not stated (the file shows no convention for its " \
           "countries; Namibia would be NAM)" in notes[1]
    assert not any("names or alpha-3 codes" in str(n) for n in notes)


def test_a_usd_figure_in_brackets_1_000_million_is_read_by_the_amount_before_it() -> None:
    """``EUR 900 million (USD 1.000 million)`` was set aside as ``USD 1.000 million`` is: one
    of its readings (1,000 million) is what EUR 900 million is worth, the other (1 million) no
    rate of the euro gives. The reading the amount gives is taken, noted; where both or none
    fit, or nothing converts, it stays set aside."""
    for text, usd in (("EUR 900 million (USD 1.000 million)", 1e9),
                      ("EUR 900 thousand (USD 1.000 million)", 1e6)):
        money = parsing.parse_money(text)
        assert money is not None and money.currency == "EUR" and money.usd_stated == usd
        assert "which the amount in EUR gives at its exchange rates" in money.note
    money = parsing.parse_money("EUR 900 million (USD 1.000 million)")
    assert money is not None and "read as USD 1,000 million, which" in money.note
    assert "(USD 1 million would not)" in money.note
    for text in ("EUR 5 million (USD 1.000 million)", "USD 900 million (USD 1.000 million)",
                 "EUR 900 million (USD 1.000-2.000 million)",
                 "100,000 SIM cards (USD 1.000 million)"):
        with pytest.raises(parsing.ParseError, match="may be 1 million"):
            parsing.parse_money(text)


@pytest.mark.parametrize("text", ["IDR 1.000 billion", "INR 1.000 billion", "JPY 2.500 billion",
                                  "EUR 1.000 billion", "1.000 billion", "IDR 2.500 trillion"])
def test_a_point_before_billion_in_another_currency_is_set_aside(text: str) -> None:
    """The trillion ceiling was measured in the currency's own units: ``IDR 1.000 billion`` was
    read as IDR 1 billion (USD 65,630), though Indonesian writes thousands with points and
    IDR 1,000 billion is a plausible pledge. Only US dollars read the point as a decimal."""
    with pytest.raises(parsing.ParseError) as err:
        parsing.parse_money(text)
    assert err.value.kind == "ambiguous value"
    assert "(a decimal point, as in English) or" in err.value.detail


def test_the_note_for_a_trillion_does_not_contradict_itself() -> None:
    money = parsing.parse_money("USD 1.000 trillion")
    assert money is not None and money.amount == 1e12
    assert "1,000 trillion if it is a thousands point: more than the world's output" in money.note
    money = parsing.parse_money("US$ 2.500 billion")
    assert money is not None and money.amount == 2.5e9
    assert "USD 1 trillion or more, no pledge's size" in money.note


def test_rate_range_is_the_lowest_and_highest_wdi_rate() -> None:
    from p2c_analysis import fx
    low, high = fx.rate_range("EUR")
    assert 0 < low <= high < 2
    assert fx.rate_range("USD") is None and fx.rate_range("XYZ") is None


# --- twins in a change report ----------------------------------------------------------------

def _twin_file(tmp_path: Path, name: str, *twins: tuple[str, str]) -> pd.DataFrame:
    """Twins ("Phase 1" of Org X: (value, description) each) and one other pledge, loaded."""
    rows = [("Phase 1", "Org X", v, d) for v, d in twins] + [
        ("Other", "Org Y", "USD 5 million", "")]
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["pledge_title", "pledger", "value_as_stated", "description"])
        w.writerows(rows)
    return load_pledges(path).valid


def test_two_twins_then_one_is_paired_but_flagged_for_review(tmp_path: Path) -> None:
    """Which twin went cannot be told: the pairing is kept, flagged and listed for review."""
    from p2c_analysis import changes
    two = _twin_file(tmp_path, "two.csv", ("USD 10 million", "roads"),
                     ("USD 90 million", "towers"))
    one = _twin_file(tmp_path, "one.csv", ("USD 10 million", "roads"))
    for before, after in ((two, one), (one, two)):
        m = changes.match_pledges(before, after)
        ch = changes.changes_by_pledge(before, after, m)
        twins = ch[ch["title"] == "Phase 1"]
        assert twins["needs_review"].sum() == 2, ch
        assert sorted(twins["change"]) in (["no longer listed", "unchanged"],
                                           ["new", "unchanged"])
        assert not m.review.empty
        assert m.review["review_reason"].str.startswith("ambiguous: pledger + title occurs").all()


def test_one_twins_value_changed_with_the_same_count_is_a_value_change(tmp_path: Path) -> None:
    from p2c_analysis import changes
    before = _twin_file(tmp_path, "b.csv", ("USD 10 million", "roads"),
                        ("USD 90 million", "towers"))
    after = _twin_file(tmp_path, "a.csv", ("USD 10 million", "roads"),
                       ("USD 95 million", "towers"))
    m = changes.match_pledges(before, after)
    assert m.review.empty
    ch = changes.changes_by_pledge(before, after, m)
    assert sorted(ch["change"]) == ["changed", "unchanged", "unchanged"]
    assert not ch["needs_review"].any()
    assert (ch["pledge_id_before"] == ch["pledge_id_after"]).all()
    changed = ch[ch["change"] == "changed"]
    assert changed["value_usd_before"].tolist() == [90e6]
    assert changed["value_usd_after"].tolist() == [95e6]


def test_a_twins_id_stays_when_its_value_changes(tmp_path: Path) -> None:
    """Twins were numbered by content with the value before the description: the one of
    USD 10 million ("towers") was the bare id, the other (USD 90 million, "roads") -2; when
    "towers" rose to USD 95 million the ids swapped. Descriptive fields come first now."""
    before = _twin_file(tmp_path, "b.csv", ("USD 10 million", "towers"),
                        ("USD 90 million", "roads"))
    after = _twin_file(tmp_path, "a.csv", ("USD 95 million", "towers"),
                       ("USD 90 million", "roads"))

    def ids(df: pd.DataFrame) -> dict[str, str]:
        twins = df[df["title"] == "Phase 1"]
        return dict(zip(twins["description"], twins["pledge_id"], strict=True))

    assert ids(before) == ids(after)
    assert ids(before)["towers"].endswith("-2")
    from p2c_analysis import changes
    ch = changes.changes_by_pledge(before, after, changes.match_pledges(before, after))
    assert not ch["needs_review"].any()
    assert ch.loc[ch["change"] == "changed", "value_usd_before"].tolist() == [10e6]
