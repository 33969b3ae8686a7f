"""Loading pledge exports that differ from the bundled files the way real exports do
(session s17a): each test names what was wrong before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from p2c_analysis.pledges import PledgeFileError, load_pledges


def _write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- a CSV's delimiter, with title lines above the header ------------------------------------


@pytest.mark.parametrize(("title", "sep"), [
    ("Partner2Connect pledges\nExported 2026-12-01\n", ";"),  # titles with no delimiter
    ("Partner2Connect pledges, December export\n", ";"),  # a title with a comma
    ("Partner2Connect pledges\n\n", "\t"),
])
def test_title_lines_do_not_decide_the_delimiter(tmp_path: Path, title: str, sep: str) -> None:
    """The delimiter was sniffed from the first line only, a title above the header: a
    semicolon or tab export under a title line with no trailing separators (or a comma in
    it) was split on commas and refused ("no pledge columns; columns found: Partner2Connect
    pledges"). The header's own delimiter is found and the rows are read."""
    rows = [["title", "pledger", "value_as_stated", "announced_date"],
            ["Fibre", "Org A", "USD 1,5 million", "2023"],
            ["Towers", "Org B", "USD 2 million", "2024"]]
    path = _write(tmp_path, title + "".join(sep.join(r) + "\n" for r in rows))
    r = load_pledges(path)
    assert r.delimiter == sep
    assert r.header_row == title.count("\n") + 1
    assert r.n_read == 2 and r.quarantine.empty
    assert r.valid["title"].tolist() == ["Fibre", "Towers"]
    assert r.valid["estimated_value_usd"].tolist() == [1.5e6, 2e6]


def test_a_csv_with_no_header_under_any_delimiter_is_still_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Read me\nsome text; more text\nno pledges here\n")
    with pytest.raises(PledgeFileError, match="no pledge columns"):
        load_pledges(path)


# --- several countries in one cell -----------------------------------------------------------


def test_a_serial_comma_list_of_countries_is_read(tmp_path: Path) -> None:
    """``Kenya, Uganda, and Rwanda`` (a list with the serial comma) was set aside as an
    unknown country ('and Rwanda'), though ``Kenya, Uganda and Rwanda`` was read."""
    path = _write(tmp_path, "title,pledger,target_countries\n"
                            'Fibre,Org A,"Kenya, Uganda, and Rwanda"\n'
                            'Towers,Org B,"Trinidad and Tobago, & Jamaica"\n'
                            'Skills,Org C,"Kenya, Uganda and Rwanda"\n')
    r = load_pledges(path)
    assert r.quarantine.empty
    assert r.valid["target_countries"].tolist() == [
        ["KEN", "UGA", "RWA"], ["TTO", "JAM"], ["KEN", "UGA", "RWA"]]


# --- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0.5", "2.5"])
def test_a_fractional_count_limit_is_refused_not_truncated(value: str) -> None:
    """``P2C_MAX_ROWS=0.5`` passed as "a positive number" and was truncated to a limit of 0
    rows: every file was then refused ("a row numbered 1, over the limit of 0 rows")."""
    from p2c_analysis.limits import LimitError, Limits

    with pytest.raises(LimitError) as err:
        Limits.from_env({"P2C_MAX_ROWS": value})
    assert str(err.value) == f"P2C_MAX_ROWS={value!r}: not a whole number of rows"
    assert Limits.from_env({"P2C_MAX_ROWS": "1e6"}).rows == 1_000_000
    assert Limits.from_env({"P2C_MAX_FILE_MB": "0.5"}).file_mb == 0.5


# --- exchange rates --------------------------------------------------------------------------


def test_a_rate_from_a_series_that_stopped_long_ago_is_not_used(tmp_path: Path) -> None:
    """``TMT 1 million`` in 2025 was converted at WDI's last Turkmen rate, 2001's 5,200 old
    manats per dollar (the TMT replaced 5,000 of them in 2009): USD 192, some 1,500 times too
    little, with only a note that the 2001 rate was used; ``CUP`` took Cuba's 1974 rate. A
    rate more than MAX_RATE_AGE_YEARS before the announcement is not used: the row is set
    aside, saying why; the publication lag (LKR: last rate 2023) still converts."""
    from p2c_analysis import fx

    path = _write(tmp_path, "title,pledger,value_as_stated,announced_date\n"
                            "Fibre,Org A,TMT 1 million,2025-03-01\n"
                            "Towers,Org B,CUP 1 million,2023-03-01\n"
                            "Skills,Org C,LKR 100 million,2025-03-01\n")
    r = load_pledges(path)
    assert r.quarantine["source_row"].tolist() == [2, 3]
    tmt, cup = r.quarantine["reasons"].tolist()
    assert tmt.startswith("cannot convert to USD: no TMT exchange rate from 2020 to 2025")
    assert "latest is 2001" in tmt
    assert cup.startswith("cannot convert to USD: no CUP exchange rate") and "1974" in cup
    lkr = r.valid.set_index("title").loc["Skills"]
    assert lkr["estimated_value_usd"] == pytest.approx(100e6 / fx.rate("LKR", 2023)[0])
    assert "used 2023 WDI annual average" in lkr["notes"]


# --- country names with their qualifier in brackets ------------------------------------------


@pytest.mark.parametrize(("name", "iso3"), [
    ("Korea (Democratic People's Republic of)", "PRK"),  # was KOR
    ("Korea (the Democratic People's Republic of)", "PRK"),  # ISO 3166 short name; was KOR
    ("Congo (the Democratic Republic of the)", "COD"),  # ISO 3166 short name; was COG
    ("Congo (Dem. Rep. of the)", "COD"),  # was COG
    ("Sudan (South)", "SSD"),  # was SDN
    ("Guinea (Equatorial)", "GNQ"),  # was GIN
    ("Samoa (American)", "ASM"),  # was WSM
    ("Korea (Rep. of)", "KOR"),
    ("Congo (Rep. of the)", "COG"),
    ("Dem. Rep. of the Congo", "COD"),  # was set aside: unknown country
    ("Central African Rep.", "CAF"),  # was set aside
    ("Virgin Islands (British)", "VGB"),  # was set aside
])
def test_a_qualifier_in_brackets_names_the_country(tmp_path: Path, name: str,
                                                    iso3: str) -> None:
    """A name with its qualifier in brackets (ISO 3166's ``Korea (the Democratic People's
    Republic of)``, ITU's ``Congo (Dem. Rep. of the)``, a sorted list's ``Sudan (South)``)
    was read as the name before the brackets, the brackets kept as a remark: North Korea
    became the Republic of Korea, the DR Congo the Republic of the Congo, South Sudan Sudan.
    The qualifier is read (as the comma form ``Korea, Democratic People's Republic of``
    was), and so are the abbreviations ``Rep.``/``Dem.`` of ITU's and the UN's names."""
    path = _write(tmp_path, f'title,pledger,target_countries\nFibre,Org A,"{name}"\n')
    r = load_pledges(path)
    assert r.quarantine.empty
    assert r.valid["target_countries"].tolist() == [[iso3]]


def test_a_remark_in_brackets_after_a_country_is_still_a_remark(tmp_path: Path) -> None:
    path = _write(tmp_path, "title,pledger,target_countries\n"
                            "Fibre,Org A,Ghana (via partners)\n"
                            "Towers,Org B,Congo (the)\n")
    r = load_pledges(path)
    assert r.valid["target_countries"].tolist() == [["GHA"], ["COG"]]
    assert "remark in parentheses is kept" in r.valid["notes"].iloc[0]


# --- XLSX saved as Strict Open XML -----------------------------------------------------------


def test_a_strict_open_xml_workbook_is_named_as_such(tmp_path: Path) -> None:
    """A workbook saved as Excel's "Strict Open XML Spreadsheet" (.xlsx too) was refused as
    having "no worksheet in the workbook", though Excel shows its sheets: openpyxl reads only
    the transitional namespaces. The one line now says what the file is and what to do."""
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["title", "pledger"])
    wb.active.append(["Fibre", "Org A"])
    wb.save(tmp_path / "plain.xlsx")
    strict = tmp_path / "strict.xlsx"
    namespaces = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main":
                  b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                  b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
                  b"http://purl.oclc.org/ooxml/officeDocument/relationships"}
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, \
            zipfile.ZipFile(strict, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            for old, new in namespaces.items():
                data = data.replace(old, new)
            dst.writestr(item, data)
    with pytest.raises(PledgeFileError) as err:
        load_pledges(strict)
    assert str(err.value) == (f"{strict}: saved as Strict Open XML Spreadsheet, which cannot "
                              "be read: save it as Excel Workbook (.xlsx) and load it again")


# --- scientific notation beside thousands written with points --------------------------------


def test_scientific_notation_is_no_number_with_a_thousands_point(tmp_path: Path) -> None:
    """In a file that writes thousands with points (``170.500.000``), a spreadsheet's
    ``1.705E+08`` was set aside as "ambiguous value: '1.705' ... write 1705 or 1.705": the
    mantissa of a number in scientific notation was taken for a number with a thousands
    point. It is 170,500,000, one reading."""
    path = _write(tmp_path, "title;pledger;estimated_value_usd\n"
                            "Fibre;Org A;1.705E+08\n"
                            "Towers;Org B;170.500.000\n"
                            "Skills;Org C;1.250\n", "semi.csv")
    r = load_pledges(path)
    assert r.valid["estimated_value_usd"].tolist() == [170.5e6, 170.5e6]
    assert r.quarantine["source_row"].tolist() == [4]  # 1.250: 1250 or 1.25
    assert r.quarantine["reasons"].iloc[0].startswith("ambiguous value: '1.250'")


# --- UTF-16 without a BOM ----------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_without_a_bom_is_read(tmp_path: Path, codec: str) -> None:
    """A UTF-16 export with no BOM (a database's or .NET's "Unicode" text) was refused as a
    "binary file, not a CSV table"; it is read as UTF-16, as with a BOM."""
    path = tmp_path / "export.csv"
    path.write_bytes("title,pledger,value_as_stated\nFibre,Orange Côte d'Ivoire,USD 5 million\n"
                     .encode(codec))
    r = load_pledges(path)
    assert r.encoding == "utf-16"
    assert r.valid["pledger"].tolist() == ["Orange Côte d'Ivoire"]
    assert r.valid["estimated_value_usd"].tolist() == [5e6]


def test_a_binary_file_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(PledgeFileError, match="binary file, not a CSV table"):
        load_pledges(path)


# --- lists with a vertical bar -----------------------------------------------------------------


def test_countries_and_regions_separated_by_a_vertical_bar_are_read(tmp_path: Path) -> None:
    """``Kenya|Uganda`` (how many web platforms export a multi-valued field) was set aside as
    one unknown country, ``Africa | Arab States`` as one unknown region."""
    path = _write(tmp_path, "title,pledger,target_countries,target_regions\n"
                            "Fibre,Org A,Kenya|Uganda|Tanzania,Africa | Arab States\n"
                            'Towers,Org B,"Congo, Dem. Rep. | KEN",\n')
    r = load_pledges(path)
    assert r.quarantine.empty
    assert r.valid["target_countries"].tolist() == [["KEN", "UGA", "TZA"], ["COD", "KEN"]]
    assert r.valid["target_regions"].tolist()[0] == ["Africa", "Arab States"]


# --- a group's sum line ----------------------------------------------------------------------


def test_a_sum_line_of_a_group_is_set_aside(tmp_path: Path) -> None:
    """A sheet sorted by region with a sum under each group ("Subtotal Africa", "Total
    2023", "Sum of pledges") had those lines read as pledges: their values, the group's
    sum, were counted on top of the group's pledges. They are set aside as totals rows;
    a title that only begins with "Total" stays a pledge."""
    path = _write(tmp_path, "title,pledger,value_as_stated\n"
                            "Fibre,Org A,USD 1 million\n"
                            "Towers,Org B,USD 2 million\n"
                            "Subtotal Africa,,USD 3 million\n"
                            "Skills,Org C,USD 4 million\n"
                            "Total 2023,,USD 7 million\n"
                            "Sum of pledges,,USD 7 million\n"
                            "Total Access Fund,Org D,USD 5 million\n")
    r = load_pledges(path)
    assert r.quarantine["source_row"].tolist() == [4, 6, 7]
    assert all(x.startswith("totals row: title") for x in r.quarantine["reasons"])
    assert r.valid["title"].tolist() == ["Fibre", "Towers", "Skills", "Total Access Fund"]
    assert r.valid["estimated_value_usd"].sum() == 12e6


# --- two exports pasted together, their columns in different orders --------------------------


def test_rows_below_a_reordered_repeated_header_are_set_aside(tmp_path: Path) -> None:
    """A second export pasted under the first with its columns in another order
    ("Pledger,Title,...") was read under the first header: its header row was set aside as
    an unknown country, and every row below it read with the pledger as the title and the
    title as the pledger, without a word. The reordered header and the rows below it are set
    aside, saying so, until the header comes again in its own order (however spelt)."""
    path = _write(tmp_path, "title,pledger,target_countries\n"
                            "Fibre,Org A,Kenya\n"
                            "Pledger,Title,Target countries\n"
                            "Org B,Towers,Uganda\n"
                            "Title,Pledger,Target Countries\n"
                            "Skills,Org C,Ghana\n")
    r = load_pledges(path)
    assert r.valid["title"].tolist() == ["Fibre", "Skills"]
    reasons = dict(zip(r.quarantine["source_row"], r.quarantine["reasons"], strict=True))
    assert reasons[3].startswith("repeated header: the row repeats the header (row 1) with "
                                 "its columns in another order")
    assert reasons[4].startswith("below a reordered header: row 3 repeats the header")
    assert reasons[5] == "repeated header: the row repeats the header (row 1): delete it"
    assert r.n_read == len(r.valid) + len(r.quarantine) == 5


# --- a two-level header ----------------------------------------------------------------------


def test_a_heading_over_groups_of_columns_is_not_the_header(tmp_path: Path) -> None:
    """A sheet with headings over groups of columns ("Pledge" over "Title" and "Pledger",
    "Value" over "Amount" and "Currency") had its heading row taken for the header (it
    names two fields, one a title): the real header and every pledge were set aside as rows
    with "extra cells", none valid. A row below naming more fields is the header."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Pledge", None, "Target", "Value", None])
    ws.merge_cells("A1:B1")
    ws.merge_cells("D1:E1")
    ws.append(["Title", "Pledger", "Countries", "Amount", "Currency"])
    ws.append(["Fibre", "Org A", "Kenya", 5000000, "USD"])
    ws.append(["Towers", "Org B", "Uganda", 2000000, "USD"])
    wb.save(tmp_path / "two_level.xlsx")
    r = load_pledges(tmp_path / "two_level.xlsx")
    assert (r.header_row, r.preamble) == (2, [1])
    assert r.quarantine.empty
    assert r.valid["pledger"].tolist() == ["Org A", "Org B"]
    assert r.valid["estimated_value_usd"].tolist() == [5e6, 2e6]
    # a CSV with the same layout
    path = _write(tmp_path, "Pledge,,Value\nTitle,Pledger,Amount\nFibre,Org A,USD 5 million\n")
    r = load_pledges(path)
    assert r.header_row == 2 and r.valid["estimated_value_usd"].tolist() == [5e6]


# --- "In-kind" as a value ----------------------------------------------------------------------


def test_an_in_kind_value_with_no_amount_keeps_the_pledge(tmp_path: Path) -> None:
    """``In-kind`` (what a platform's export writes in the value of a pledge of equipment or
    services) set the whole pledge aside as an "unparseable value", though ``500 laptops``
    keeps its pledge with no USD value. It is kept, with no USD value, noted; a USD figure
    in brackets is its value; an amount in another currency in brackets is still refused."""
    path = _write(tmp_path, "title,pledger,value_as_stated,announced_date\n"
                            "Fibre,Org A,In-kind,2023\n"
                            "Towers,Org B,Non-financial,2023\n"
                            'Skills,Org C,"In kind (USD 2 million equivalent)",2023\n'
                            'Kiosks,Org D,"In kind (EUR 2 million)",2023\n')
    r = load_pledges(path)
    v = r.valid.set_index("title")
    assert list(v.index) == ["Fibre", "Towers", "Skills"]
    assert v["estimated_value_usd"].isna().tolist() == [True, True, False]
    assert v.loc["Skills", "estimated_value_usd"] == 2e6
    assert "'In-kind' is no amount of money" in v.loc["Fibre", "notes"]
    assert r.quarantine["source_row"].tolist() == [5]
    assert r.quarantine["reasons"].iloc[0].startswith("unparseable value: 'In kind (EUR 2")


def test_title_lines_do_not_decide_the_delimiter_with_a_mapping(tmp_path: Path) -> None:
    """With a mapping file, a semicolon export under a title line was refused as "mapping
    names column 'Title' for title, not in the file (columns: Partner2Connect pledges)"."""
    path = _write(tmp_path, "Partner2Connect pledges\nTitle;Org;Amount;Cur\n"
                            "Fibre;Org A;5000000;USD\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\ntitle = "Title"\npledger = "Org"\n'
                       'value_as_stated = "Amount"\ncurrency = "Cur"\n', encoding="utf-8")
    r = load_pledges(path, mapping=mapping)
    assert (r.delimiter, r.header_row) == (";", 2)
    assert r.valid["estimated_value_usd"].tolist() == [5e6]
    missing = tmp_path / "missing.toml"
    missing.write_text('[columns]\ntitle = "Nope"\n', encoding="utf-8")
    with pytest.raises(PledgeFileError, match="mapping names column 'Nope' for title"):
        load_pledges(path, mapping=missing)


# --- SDGs written with their titles ----------------------------------------------------------


def test_sdgs_written_with_their_titles_are_read(tmp_path: Path) -> None:
    """``SDG 9: Industry, Innovation and Infrastructure`` (the goal most P2C pledges name,
    with its official title) was split at its comma and "and", and the pledge set aside as
    "unparseable sdg: 'Innovation'"; so were ``SDG 4 (Quality Education)`` and a list of
    titled goals. A goal's title is read as its title."""
    path = _write(tmp_path, "title,pledger,sdgs\n"
                            'Fibre,Org A,"SDG 9: Industry, Innovation and Infrastructure"\n'
                            'Towers,Org B,"SDG 4 - Quality Education, SDG 9 - Industry, '
                            'Innovation and Infrastructure"\n'
                            "Skills,Org C,SDG 4 (Quality Education); SDG 17\n"
                            'Kiosks,Org D,"SDGs 4 and 9"\n'
                            "Labs,Org E,SDG 4.1\n")
    r = load_pledges(path)
    assert r.valid["sdgs"].tolist() == [[9], [4, 9], [4, 17], [4, 9]]
    assert r.quarantine["source_row"].tolist() == [6]  # 4.1 is a target, not a goal
