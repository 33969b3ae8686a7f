"""Safe CSV/XLSX writing: formula injection neutralised, numbers kept, paths checked."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from p2c_analysis import export

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "@SUM(A1)", "-2+3",
             "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_text_gets_a_quote_prefix(text: str) -> None:
    assert export.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3.5, 3, 0, np.float64(-1.25), True, None])
def test_numbers_and_non_text_stay_as_they_are(value: object) -> None:
    assert export.safe_cell(value) is value


def test_decisions_on_edge_cases() -> None:
    assert export.safe_cell("-3.5") == "'-3.5"  # text starting with '-' is text (OWASP)
    assert export.safe_cell("plain text") == "plain text"
    assert export.safe_cell("a=b") == "a=b"  # only the first character matters
    assert export.safe_cell(["GHA", "KEN"]) == "GHA; KEN"
    assert export.safe_cell(["=1+1", "KEN"]) == "'=1+1; KEN"
    assert export.safe_cell([]) == ""


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "title": pd.Series(DANGEROUS[:4] + ["ok"], dtype="string"),
        "value": [-3.5, 1.0, float("nan"), 2.0, 0.0],
        "countries": [["GHA", "KEN"], [], ["=cmd"], ["UGA"], ["RWA"]],
        "date": pd.to_datetime(["2022-06-09", None, "2023-01-01", "2024-02-29", "2025-12-31"]),
        "text_number": ["-3.5", "1", "x", "y", "z"],
    })


def test_neutralise_leaves_input_untouched_and_numbers_numeric() -> None:
    df = _frame()
    out = export.neutralise(df)
    assert df.loc[0, "title"].startswith("=")  # input not modified
    assert out.loc[0, "title"].startswith("'=")
    assert out["value"].dtype == "float64" and out.loc[0, "value"] == -3.5
    assert out.loc[0, "countries"] == "GHA; KEN" and out.loc[2, "countries"] == "'=cmd"
    assert out["date"].dtype == df["date"].dtype


def test_write_csv_neutralises_cells(tmp_path: Path) -> None:
    p = export.write_csv(_frame(), tmp_path / "out.csv")
    with open(p, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["title", "value", "countries", "date", "text_number"]
    titles = [r[0] for r in rows[1:]]
    assert titles[:4] == ["'" + t for t in DANGEROUS[:4]]
    assert rows[1][1] == "-3.5"  # the number is written as a bare number
    assert rows[1][4] == "'-3.5"  # the text is prefixed
    assert rows[1][2] == "GHA; KEN"
    assert rows[1][3] == "2022-06-09" and rows[2][3] == ""
    assert all(not c.startswith(("=", "+", "@")) for r in rows for c in r)


def test_write_xlsx_writes_text_cells_never_formulas(tmp_path: Path) -> None:
    p = export.write_xlsx(_frame(), tmp_path / "out.xlsx")
    ws = load_workbook(p).active
    header = [c.value for c in ws[1]]
    assert header == ["title", "value", "countries", "date", "text_number"]
    cells = [ws.cell(row=i, column=1) for i in range(2, 7)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells[:4]] == ["'" + t for t in DANGEROUS[:4]]
    value = ws.cell(row=2, column=2)
    assert value.data_type == "n" and value.value == -3.5
    assert ws.cell(row=4, column=2).value is None  # NaN -> empty
    assert ws.cell(row=4, column=3).value == "'=cmd"
    assert ws.cell(row=2, column=4).is_date
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_raw_formula_strings_would_be_formulas_without_neutralising(tmp_path: Path) -> None:
    """Control: openpyxl does turn '=...' into a formula, so the test above can fail."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "=1+1"
    assert wb.active["A1"].data_type == "f"


def test_output_path_checks(tmp_path: Path) -> None:
    with pytest.raises(export.OutputPathError, match="is a directory"):
        export.write_csv(_frame(), tmp_path)
    with pytest.raises(export.OutputPathError, match="does not exist"):
        export.write_csv(_frame(), tmp_path / "nowhere" / "out.csv")
    with pytest.raises(export.OutputPathError, match="does not exist"):
        export.write_xlsx(_frame(), tmp_path / "nowhere" / "out.xlsx")
    assert not (tmp_path / "nowhere").exists()  # never creates folders
    assert math.isnan(export.neutralise(_frame()).loc[2, "value"])


def test_categorical_text_is_neutralised_and_bools_stay_bools() -> None:
    df = pd.DataFrame({
        "status": pd.Categorical(["=1+1", "ok", None]),
        "flag": [True, False, True],
    })
    out = export.neutralise(df)
    assert out["status"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out.loc[2, "status"])
    assert out["flag"].dtype == bool


def test_write_xlsx_neutralises_text_revealed_by_removing_illegal_characters(
        tmp_path: Path) -> None:
    # XLSX cannot hold \x01, so it is removed; what remains starts with '=' and must be
    # prefixed, or the sheet saved as CSV would carry a formula
    df = pd.DataFrame({"title": ["\x01=HYPERLINK(\"x\")", "a\x02b"]})
    ws = load_workbook(export.write_xlsx(df, tmp_path / "out.xlsx")).active
    assert ws.cell(row=2, column=1).value == "'=HYPERLINK(\"x\")"
    assert ws.cell(row=3, column=1).value == "ab"


def test_write_xlsx_refuses_a_cell_longer_than_an_xlsx_cell_holds(tmp_path: Path) -> None:
    # openpyxl cuts text at Excel's 32,767 characters without a word: the XLSX is refused
    # instead, naming the file, the row (header = row 1) and the column; nothing is written
    p = tmp_path / "q.xlsx"
    df = pd.DataFrame({"source_row": [2, 3], "raw": ["short", "A" * 40_000]})
    with pytest.raises(ValueError) as err:
        export.write_xlsx(df, p)
    assert str(err.value) == (f"{p}: row 3, column raw: 40,000 characters, more than an XLSX "
                              "cell holds (32,767); write .csv to keep it whole")
    assert not p.exists()
    # 32,767 characters are refused when the neutralising quote makes them 32,768
    df = pd.DataFrame({"description": ["=" + "B" * 32_766]})
    with pytest.raises(ValueError, match=r"row 2, column description: 32,768 characters"):
        export.write_table(df, p)
    assert not p.exists()
    # control: exactly 32,767 characters fit, and are written whole
    df = pd.DataFrame({"description": ["B" * 32_767]})
    ws = load_workbook(export.write_xlsx(df, p)).active
    assert ws.cell(row=2, column=1).value == "B" * 32_767


def test_the_same_table_gives_the_same_xlsx_bytes(tmp_path):
    """Two exports of the same table differed in their bytes: openpyxl dates the document
    properties and every zip part at the time of saving. Every time stamp is now fixed."""
    import zipfile

    import openpyxl

    from p2c_analysis import export

    df = pd.DataFrame({"title": ["=cmd", "Fibre"], "usd": [1.5e6, None]})
    a, b = export.write_xlsx(df, tmp_path / "a.xlsx"), export.write_xlsx(df, tmp_path / "b.xlsx")
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert "xl/worksheets/sheet1.xml" in z.namelist()
    wb = openpyxl.load_workbook(a)
    assert wb.properties.modified == wb.properties.created == export.XLSX_TIMESTAMP
    assert [c.value for c in wb.active["A"]] == ["title", "'=cmd", "Fibre"]
    assert a.read_bytes() == b.read_bytes()


# A spreadsheet trims leading spaces on import and reads full-width signs as their ASCII
# forms (Excel with an East Asian IME, LibreOffice's "trim spaces"): these ran as formulas
# while the check looked at the first character only.
HIDDEN = [" =1+1", "  +CMD()", "\u00a0=1+1", "\u3000@SUM(A1)", "\n=HYPERLINK(\"x\")",
          "\u200b=1+1", "\ufeff-2+3", " \t=1", "\uff1dHYPERLINK(\"x\")", "\uff0b1+1",
          "\uff0d2+3", "\uff20SUM(A1)", "\ufe66cmd", "\u207a1", " \uff1d1+1", "\u22121+1"]


@pytest.mark.parametrize("text", HIDDEN)
def test_formula_characters_after_spaces_or_as_look_alikes_get_a_quote(text: str) -> None:
    assert export.safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["  plain", "\u3000text", " ", "", "a =1", "\uff21=1",
                                  "\uff11+1", "'already quoted"])
def test_text_whose_first_shown_character_is_harmless_stays_as_it_is(text: str) -> None:
    assert export.safe_cell(text) == text


def test_hidden_formulas_are_quoted_in_csv_and_xlsx_files(tmp_path: Path) -> None:
    df = pd.DataFrame({"title": HIDDEN, " =header": range(len(HIDDEN))})
    with open(export.write_csv(df, tmp_path / "t.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["title", "' =header"]
    # in CSV the "=1" after the tab of " \t=1" gets its own quote too (a split at tabs)
    assert [r[0] for r in rows[1:]] == \
        ["' \t'=1" if t == " \t=1" else "'" + t for t in HIDDEN]
    ws = load_workbook(export.write_xlsx(df, tmp_path / "t.xlsx")).active
    assert ws.cell(row=1, column=2).value == "' =header"
    assert [ws.cell(row=i, column=1).value for i in range(2, len(HIDDEN) + 2)] == \
        ["'" + t for t in HIDDEN]


def test_infinite_numbers_are_the_same_safe_text_in_csv_and_xlsx(tmp_path: Path) -> None:
    """XLSX wrote an empty cell for inf (read as "missing") while the CSV of the same table
    said inf, and -inf, bare in a CSV, is run by a spreadsheet as the formula =-inf. Both
    files now say inf and '-inf (text); other numbers stay numbers."""
    df = pd.DataFrame({
        "ratio": [np.inf, -np.inf, 1.5, np.nan],
        "mixed": pd.Series([-np.inf, "a", np.inf, None], dtype="object"),
        "nullable": pd.array([np.inf, None, 2.5, -np.inf], dtype="Float64"),
        "finite": [1.0, 2.0, 3.0, 4.0],
    })
    expected = [["inf", "'-inf", "inf", "1.0"], ["'-inf", "a", "", "2.0"],
                ["1.5", "inf", "2.5", "3.0"], ["", "", "'-inf", "4.0"]]
    with open(export.write_csv(df, tmp_path / "t.csv"), newline="", encoding="utf-8") as f:
        assert list(csv.reader(f))[1:] == expected
    ws = load_workbook(export.write_xlsx(df, tmp_path / "t.xlsx")).active
    cells = [[ws.cell(row=i, column=j) for j in range(1, 5)] for i in range(2, 6)]
    assert [[c.value for c in row] for row in cells] == [
        ["inf", "'-inf", "inf", 1], ["'-inf", "a", None, 2], [1.5, "inf", 2.5, 3],
        [None, None, "'-inf", 4]]
    assert cells[0][0].data_type == "s" and cells[2][0].data_type == "n"
    assert export.neutralise(df)["finite"].dtype == "float64"  # no inf: left numeric


def test_durations_are_the_same_safe_text_and_decimals_numbers_in_csv_and_xlsx(
        tmp_path: Path) -> None:
    """A duration went to the CSV bare, in pandas' short form (``-1 days``: a cell beginning
    with ``-``, which a spreadsheet runs as a formula) and to the XLSX as other text
    (``'-1 days +00:00:00``); a ``Decimal`` was a number in the CSV and the text ``'-1.5`` in
    the XLSX. Both files now hold the same safe text for a duration (pandas' full form) and a
    number for a Decimal."""
    df = pd.DataFrame({
        "late": pd.to_timedelta([-1, 2, np.nan], unit="D"),
        "mixed": pd.Series([dt.timedelta(hours=-3), "a", np.timedelta64(90, "m")],
                           dtype="object"),
        "exact": [decimal.Decimal("-1.5"), decimal.Decimal("2"), None],
    })
    late = ["'-1 days +00:00:00", "2 days 00:00:00", ""]
    mixed = ["'-1 days +21:00:00", "a", "0 days 01:30:00"]
    with open(export.write_csv(df, tmp_path / "t.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    assert [r[0] for r in rows] == late and [r[1] for r in rows] == mixed
    assert [r[2] for r in rows] == ["-1.5", "2", ""]
    ws = load_workbook(export.write_xlsx(df, tmp_path / "t.xlsx")).active
    cells = [[ws.cell(row=i, column=j) for j in range(1, 4)] for i in range(2, 5)]
    assert [c[0].value or "" for c in cells] == late and [c[1].value for c in cells] == mixed
    assert [c[2].value for c in cells] == [-1.5, 2, None] and cells[0][2].data_type == "n"


@pytest.mark.parametrize("name", ["t.xlsm", "t.XLSM", "t.xls", "t.ods"])
def test_write_table_refuses_a_spreadsheet_name_it_does_not_write(tmp_path: Path,
                                                                  name: str) -> None:
    """write_table wrote an XLSX workbook under a macro-enabled '.xlsm' name: its content type
    is a plain workbook's, and Excel refuses to open such a file ("the file format or file
    extension is not valid"). Such names are refused, nothing written; .xlsx and .csv are
    written as before."""
    df = pd.DataFrame({"title": ["=cmd", "ok"]})
    with pytest.raises(export.OutputPathError) as err:
        export.write_table(df, tmp_path / name)
    assert str(err.value) == (f"{tmp_path / name}: output writes CSV, TSV or XLSX, "
                              f"not {Path(name).suffix}: name it .csv, .tsv or .xlsx")
    assert list(tmp_path.iterdir()) == []
    ws = load_workbook(export.write_table(df, tmp_path / "t.xlsx")).active
    assert ws.cell(row=2, column=1).value == "'=cmd"
    assert (tmp_path / "t.csv").exists() is False
    assert export.write_table(df, tmp_path / "t.csv").read_text() == "title\n'=cmd\nok\n"


@pytest.mark.parametrize("name", ["t.tsv", "t.TAB"])
def test_write_table_writes_tab_separated_text_under_a_tsv_name(tmp_path: Path,
                                                                name: str) -> None:
    """write_table wrote comma-separated text under a '.tsv' name (a TSV reader saw one
    column 'a,b'); now tab-separated, neutralised like the CSV: '=1' gets its quote, a cell
    holding a tab is quoted."""
    df = pd.DataFrame({"a": ["=1", "x"], "b": ["y", "p\tq"]})
    assert export.write_table(df, tmp_path / name).read_text() == \
        "a\tb\n'=1\ty\nx\t\"p\tq\"\n"


# In a semicolon locale (French, Swiss Excel) a spreadsheet opening a comma CSV splits its
# lines at ';' (and its import wizard at tabs), quotes or not: the text after a ';' inside a
# cell became a cell of its own and ran.
SPLIT = [("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"), ("GHA; =1+1", "GHA;' =1+1"),
         ("a;\u200b@SUM(A1)", "a;'\u200b@SUM(A1)"), ('a;"=cmd"', "a;'\"=cmd\""),
         ("a\t+1+1", "a\t'+1+1"), ("a;b;-c", "a;b;'-c"), ("a,b;=c", "a,b;'=c"),
         ("=a;=b", "'=a;'=b")]


@pytest.mark.parametrize(("text", "expected"), SPLIT)
def test_formula_after_a_semicolon_or_tab_gets_a_quote(text: str, expected: str) -> None:
    assert export.safe_inner_text(export.safe_text(text)) == expected


@pytest.mark.parametrize("text", ["a;b", "5;-3", "x; -1,5", "y;+2.5%", "a;'=done", "a=b;c",
                                  "a;", "plain"])
def test_text_after_a_semicolon_that_cannot_run_stays_as_it_is(text: str) -> None:
    assert export.safe_inner_text(text) == text


def test_csv_and_tsv_quote_formulas_after_semicolons_but_xlsx_keeps_the_text(
        tmp_path: Path) -> None:
    df = pd.DataFrame({"title": [t for t, _ in SPLIT], "n": [-3.5] * len(SPLIT),
                       "a;=h": ["x"] * len(SPLIT)})
    expected = [[e, "-3.5", "x"] for _, e in SPLIT]
    for name, sep in (("t.csv", ","), ("t.tsv", "\t")):
        with open(export.write_table(df, tmp_path / name), newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=sep))
        assert rows == [["title", "n", "a;'=h"], *expected]
    ws = load_workbook(export.write_xlsx(df, tmp_path / "t.xlsx")).active
    assert [c.value for c in ws[1]] == ["title", "n", "a;=h"]
    assert [ws.cell(row=i, column=1).value for i in range(2, len(SPLIT) + 2)] == \
        [export.safe_text(t) for t, _ in SPLIT]
    assert ws.cell(row=2, column=2).value == -3.5


@pytest.mark.parametrize(("text", "expected"), SPLIT)
def test_text_quoted_after_a_semicolon_is_restored_as_it_was(text: str, expected: str) -> None:
    assert export.restore_text(expected) == text


def test_xlsx_writes_aware_and_numpy_date_times_as_utc_clock_times(tmp_path: Path) -> None:
    """openpyxl refused a time-zone-aware datetime in an object column (the XLSX was not
    written), an aware Timestamp was written as its local clock time (10:00+02:00 as 10:00),
    and a numpy datetime64 was written as an int of nanoseconds. Aware times are now their
    UTC clock time (10:00+02:00 -> 08:00), numpy ones Python datetimes."""
    plus_two = dt.timezone(dt.timedelta(hours=2))
    df = pd.DataFrame({
        "when": pd.Series([dt.datetime(2026, 1, 1, 10, 0, tzinfo=plus_two),
                           np.datetime64("2026-03-04T05:06:07"),
                           pd.Timestamp("2026-06-30 23:30", tz="America/New_York"),
                           np.datetime64("NaT")], dtype="object"),
        "aware": pd.to_datetime(["2026-01-01 10:00"] * 4).tz_localize("Europe/Paris"),
    })
    ws = load_workbook(export.write_xlsx(df, tmp_path / "t.xlsx")).active
    assert [ws.cell(row=i, column=1).value for i in range(2, 6)] == [
        dt.datetime(2026, 1, 1, 8, 0), dt.datetime(2026, 3, 4, 5, 6, 7),
        dt.datetime(2026, 7, 1, 3, 30), None]
    assert ws.cell(row=2, column=1).is_date
    assert ws.cell(row=2, column=2).value == dt.datetime(2026, 1, 1, 9, 0)  # CET is UTC+1
