"""Loading pledge files: the bundled real file, messy fixtures, mappings, XLSX, bad files."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from p2c_analysis import countries, export, fields, parsing, paths
from p2c_analysis.limits import Limits
from p2c_analysis.pledges import (
    LoadResult,
    PledgeDataError,
    PledgeFileError,
    check_pledge_file,
    load_pledges,
    read_mapping,
)

FIX = Path(__file__).parent / "fixtures" / "pledges"
MAPPING = paths.DATA / "mappings" / "p2c_platform_export.toml"


@pytest.fixture(scope="module")
def bundled() -> LoadResult:
    return load_pledges()


def _raw_emu_rate(year: int) -> float:
    with open(paths.WDI_FX, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Country Code"] == "EMU" and int(row["Year"]) == year:
                return float(row["Value"])
    raise LookupError(year)


def _bundled_rows() -> list[dict[str, str]]:
    with open(paths.PUBLIC_PLEDGES, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- the real bundled file -------------------------------------------------------------------


def test_bundled_file_loads_completely(bundled: LoadResult) -> None:
    assert bundled.n_read == 38 == len(_bundled_rows())
    assert len(bundled.valid) == 38 and len(bundled.quarantine) == 0
    assert bundled.conserved and bundled.unused_columns == []
    assert list(bundled.valid.columns) == list(fields.CANONICAL_COLUMNS)
    fields.schema().validate(bundled.valid)
    assert not bundled.valid["is_synthetic"].any()
    assert bundled.valid["pledge_id"].is_unique
    assert "data/pledges/public_pledges.csv" in paths.files_read()


def _row(bundled: LoadResult, title_start: str) -> pd.Series:
    v = bundled.valid
    hit = v[v["title"].str.startswith(title_start)]
    assert len(hit) == 1, title_start
    return hit.iloc[0]


def test_ghana_euro_pledge_converted_with_the_2022_wdi_rate(bundled: LoadResult) -> None:
    r = _row(bundled, "Rural Telephony and Digital Inclusion Project")
    rate = _raw_emu_rate(2022)  # 0.94962... EUR per USD, read from the raw file by hand
    assert r["estimated_value_usd"] == pytest.approx(155e6 / rate, rel=1e-9)
    assert r["estimated_value_usd"] == pytest.approx(163.2e6, rel=1e-3)
    assert r["currency"] == "EUR" and r["value_as_stated"] == "EUR 155 million"
    # the curator's own figure (EUR at 1.10) stays visible in the notes
    assert "170,500,000" in r["notes"] and "WDI EMU 2022" in r["notes"]
    assert r["announced_date"] == pd.Timestamp("2022-01-01")
    assert r["announced_precision"] == "year"
    assert r["entity_country"] == "GHA" and r["target_countries"] == ["GHA"]
    assert r["target_regions"] == ["Africa"] and r["focus_areas"] == ["ACCESS"]
    assert r["pledge_type"] == "Financial" and r["stakeholder_type"] == "Government"


def test_bundled_value_rules(bundled: LoadResult) -> None:
    canada = _row(bundled, "AI Compute Access Fund")
    assert canada["estimated_value_usd"] == pytest.approx(1.46e9)  # USD figure in the text
    assert canada["currency"] == "CAD"
    mtn = _row(bundled, "Network capex of about USD 2 billion a year")
    assert mtn["estimated_value_usd"] == pytest.approx(10e9)  # 2 bn a year x 5 years
    assert "2,000,000,000" in mtn["notes"]
    stated = bundled.valid["value_as_stated"]
    usa = bundled.valid[stated == "more than $47 million (committed so far)"]
    assert usa["estimated_value_usd"].tolist() == [47e6]
    # rows with no value stated are NaN, never 0
    no_value = bundled.valid["value_as_stated"].isna()
    assert bundled.valid.loc[no_value, "estimated_value_usd"].isna().all()
    assert (bundled.valid["estimated_value_usd"].dropna() > 0).all()
    # only Ghana differs from the curator's USD figure (EUR at the WDI rate, not at 1.10);
    # MTN's 2 bn a year x 5 is the curator's derivation too
    raw = {r["pledge_title"]: r for r in _bundled_rows()}
    differ = []
    for _, r in bundled.valid.iterrows():
        src = raw[r["title"]]["estimated_value_usd"]
        if src and abs(float(src) - r["estimated_value_usd"]) > 1:
            differ.append(r["title"][:20])
    assert differ == ["Rural Telephony and "]


def test_bundled_multi_valued_stakeholder_is_kept_in_notes(bundled: LoadResult) -> None:
    r = _row(bundled, "Hamburg Declaration")
    assert r["stakeholder_type"] == "UN entity"
    assert "also listed as stakeholder type: Government" in r["notes"]


def test_bundled_regions_and_lists(bundled: LoadResult) -> None:
    r = _row(bundled, "Advocacy and digital literacy")
    assert len(r["target_countries"]) == 12 and r["target_countries"][0] == "AGO"
    regions = set().union(*bundled.valid["target_regions"].map(set))
    assert {"Africa", "Asia & Pacific", "Americas", "Europe", "Sub-Saharan Africa"} <= regions
    assert r["beneficiaries"] == ["youth aged 14-25", "persons with disabilities", "women"]


def test_derived_ids_are_stable_across_runs_and_row_order(tmp_path: Path,
                                                          bundled: LoadResult) -> None:
    rows = _bundled_rows()
    p = tmp_path / "reversed.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(reversed(rows))
    again = load_pledges(p)
    a = dict(zip(bundled.valid["title"], bundled.valid["pledge_id"], strict=True))
    b = dict(zip(again.valid["title"], again.valid["pledge_id"], strict=True))
    assert a == b
    assert all(pid.startswith("P2C-") and len(pid) == 12 for pid in a.values())


# --- messy fixtures ----------------------------------------------------------------------------


def test_messy_semicolon_cp1252_file() -> None:
    r = load_pledges(FIX / "messy_semicolon_cp1252.csv")
    assert r.delimiter == ";" and r.encoding == "cp1252"
    # 14 data rows, one completely blank (row 12) is skipped
    assert r.n_read == 13 and len(r.valid) == 7 and len(r.quarantine) == 6 and r.conserved
    q = dict(zip(r.quarantine["source_row"], r.quarantine["reasons"], strict=True))
    assert q == {
        4: "unknown country: 'Atlantis' in target_countries",
        5: "negative value: '-5000000' in estimated_value_usd",
        6: "impossible date: '2022-13-40' in announced_date (month must be in 1..12)",
        7: "exact duplicate: of row 2",
        9: "unknown focus area: 'Teleportation' in focus_areas",
        11: "unknown region: 'Narnia' in target_regions",
    }
    assert r.reason_counts().to_dict() == {
        "unknown country": 1, "negative value": 1, "impossible date": 1,
        "exact duplicate": 1, "unknown focus area": 1, "unknown region": 1}
    raw7 = json.loads(r.quarantine.set_index("source_row").loc[7, "raw"])
    assert raw7["value_as_stated"] == "€155m"  # cp1252 euro sign decoded
    assert raw7["description"] == "Line one of the description\nline two, after a quoted newline"

    v = r.valid.set_index("title")
    first = v.loc["Rural pilot"]
    assert first["focus_areas"] == ["ACCESS", "ADOPTION"]
    assert first["target_countries"] == ["GHA", "KEN"]  # "GHA, KEN" split on the comma
    assert first["entity_country"] == "GHA" and first["pledge_type"] == "Financial"
    assert first["estimated_value_usd"] == pytest.approx(155e6 / _raw_emu_rate(2022))
    assert first["announced_date"] == pd.Timestamp("2022-06-01")
    assert first["announced_precision"] == "month"
    assert first["beneficiaries"] == ["rural villages", "schools"]
    civ = v.loc["Côte d’Ivoire backbone"]
    assert civ["entity_country"] == "CIV" and civ["stakeholder_type"] == "Private sector"
    assert civ["focus_areas"] == ["ACCELERATE INVESTMENT"]
    assert civ["target_regions"] == ["Asia & Pacific"]
    formula = v.loc['=HYPERLINK("http://evil.example","click")']  # data kept as is in memory
    assert formula["pledger"] == "+1+1" and formula["description"] == "@SUM(A1)"
    assert formula["stakeholder_type"] == "Civil society / NGO"
    assert pd.isna(formula["estimated_value_usd"])  # TBD -> missing
    assert v.loc["AI fund", "target_countries"] == ["COD"]  # "Congo, Dem. Rep." not split
    assert v.loc["AI fund", "estimated_value_usd"] == pytest.approx(1.46e9)
    assert v.loc["Everywhere", "is_global"] and v.loc["Everywhere", "target_regions"] == []
    assert not v.loc["Rural pilot", "is_global"]
    joint = v.loc["Joint declaration"]
    assert joint["stakeholder_type"] == "UN entity" and "Government" in joint["notes"]
    assert joint["estimated_value_usd"] == 1.2e6 and joint["currency"] == "USD"


def test_bom_tab_file_with_ids_status_sdgs() -> None:
    r = load_pledges(FIX / "bom_tab_canonical.csv")
    assert r.delimiter == "\t" and r.encoding == "utf-8 (BOM)"
    assert r.n_read == 8 and len(r.valid) == 2 and r.conserved
    assert r.valid["pledge_id"].tolist() == ["A-1", "A-2"]  # first column despite the BOM
    assert r.valid["status"].tolist() == ["in progress", "completed"]
    assert r.valid["sdgs"].tolist() == [[4, 9], [4, 9]]
    q = dict(zip(r.quarantine["source_row"], r.quarantine["reasons"], strict=True))
    assert q[4] == "duplicate pledge_id: 'A-1' (first at row 2)"
    assert q[5].startswith("missing pledge_id")
    assert q[6] == "sdg outside 1-17: '18' in sdgs"
    assert q[7] == "unknown status: 'postponed forever' in status"
    assert q[8].startswith("extra cells")
    assert q[9] == "unknown stakeholder type: 'Alien federation' in stakeholder_type"


def test_pipe_delimited_file() -> None:
    r = load_pledges(FIX / "pipe.csv")
    assert r.delimiter == "|" and len(r.valid) == 2 and r.conserved
    assert r.valid["target_countries"].tolist() == [["KEN", "UGA"], ["UGA"]]
    assert r.valid["estimated_value_usd"].tolist() == [2e6, 3e6]


def test_strict_mode_raises_on_the_first_problem() -> None:
    with pytest.raises(PledgeDataError) as err:
        load_pledges(FIX / "messy_semicolon_cp1252.csv", strict=True)
    msg = str(err.value)
    assert "messy_semicolon_cp1252.csv" in msg and "row 4" in msg and "Atlantis" in msg
    assert len(load_pledges(strict=True).valid) == 38  # the clean bundled file passes


# --- mapping and XLSX --------------------------------------------------------------------------


def test_platform_export_csv_with_the_example_mapping() -> None:
    r = load_pledges(FIX / "platform_export.csv", mapping=MAPPING)
    assert r.n_read == 5 and len(r.valid) == 4 and r.conserved
    assert r.unused_columns == ["Submitted By (email)"]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous currency: '¥' in value_as_stated (JPY or CNY: write the ISO code)"]
    v = r.valid.set_index("pledge_id")
    k = v.loc["P2C-0001"]
    assert k["target_countries"] == ["KEN", "UGA"]  # two source columns joined
    assert k["focus_areas"] == ["ACCESS", "ACCELERATE INVESTMENT"]
    assert k["status"] == "in progress" and k["sdgs"] == [9, 17] and k["target_year"] == 2026
    assert k["last_report_date"] == pd.Timestamp("2024-03-31")
    assert k["estimated_value_usd"] == 25e6 and k["currency"] == "USD"
    rw = v.loc["P2C-0002"]  # 1.5 bn RWF at the WDI 2023 rate
    rwf_2023 = 1160.1  # SOURCES.md section 9 sanity table
    assert rw["estimated_value_usd"] == pytest.approx(1.5e9 / rwf_2023, rel=1e-3)
    assert v.loc["P2C-0003", "target_regions"] == ["Sub-Saharan Africa", "LDC"]
    world = v.loc["P2C-0004"]
    assert world["is_global"] and world["status"] == "announced"
    assert world["estimated_value_usd"] == pytest.approx(2e6 / _raw_emu_rate(2025))  # 2026 -> 2025
    assert "2025" in world["notes"]


def _write_platform_xlsx(path: Path) -> None:
    with open(FIX / "platform_export.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about["A1"] = "Exported from the P2C platform"
    ws = wb.create_sheet("Pledges")
    ws.append(rows[0])
    for r in rows[1:]:
        ws.append([int(c) if c.isdigit() and len(c) > 4 else c for c in r])
    ws["M2"].value = pd.Timestamp("2022-06-09 14:30").to_pydatetime()  # a real date cell
    wb.save(path)


def test_xlsx_platform_export_reads_the_named_sheet(tmp_path: Path) -> None:
    p = tmp_path / "export.xlsx"
    _write_platform_xlsx(p)
    r = load_pledges(p, mapping=MAPPING)
    assert r.file_format == "xlsx" and r.sheet == "Pledges"
    assert r.n_read == 5 and len(r.valid) == 4 and r.conserved
    k = r.valid.set_index("pledge_id").loc["P2C-0001"]
    assert k["announced_date"] == pd.Timestamp("2022-06-09") and k["announced_precision"] == "day"
    assert k["estimated_value_usd"] == 25e6
    # without the mapping: the first sheet ("About") has no pledge columns, so the first other
    # visible sheet that has them is read (it was refused)
    assert load_pledges(p).sheet == "Pledges"


def test_mapping_errors_name_the_mapping_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\nflavour = "Taste"\n')
    with pytest.raises(PledgeFileError, match="bad.toml: unknown field 'flavour'"):
        read_mapping(bad)
    bad.write_text("[columns\n")
    with pytest.raises(PledgeFileError, match="not a valid TOML"):
        read_mapping(bad)
    with pytest.raises(PledgeFileError, match="mapping file not found"):
        read_mapping(tmp_path / "none.toml")
    missing_col = tmp_path / "missing.toml"
    missing_col.write_text('[columns]\ntitle = "Headline"\n')
    with pytest.raises(PledgeFileError, match="mapping names column 'Headline'"):
        load_pledges(FIX / "platform_export.csv", mapping=missing_col)


# --- unreadable files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("binary.csv", "binary file"),
        ("empty.csv", "empty file"),
        ("not_a_table.csv", "no pledge columns"),
        ("fake.xlsx", "not a readable XLSX"),
        ("does_not_exist.csv", "no such file"),
    ],
)
def test_unreadable_files_raise_one_clear_error(name: str, what: str) -> None:
    with pytest.raises(PledgeFileError) as err:
        load_pledges(FIX / name)
    msg = str(err.value)
    assert name in msg and what in msg and "\n" not in msg


def test_directory_is_not_a_pledge_file() -> None:
    with pytest.raises(PledgeFileError, match="is a directory"):
        load_pledges(FIX)


@pytest.mark.parametrize("name", ["messy_semicolon_cp1252.csv", "bom_tab_canonical.csv",
                                  "pipe.csv", "platform_export.csv"])
def test_conservation_on_every_fixture(name: str) -> None:
    r = load_pledges(FIX / name)
    assert r.n_read == len(r.valid) + len(r.quarantine)
    assert list(r.quarantine.columns) == ["source_row", "reasons", "raw"]
    assert r.quarantine["reasons"].str.len().gt(0).all()
    fields.schema().validate(r.valid)


def test_header_only_and_excel_sep_line(tmp_path: Path) -> None:
    p = tmp_path / "header_only.csv"
    p.write_text("pledge_title,pledger\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.n_read == 0 and len(r.valid) == 0 and len(r.quarantine) == 0
    assert list(r.valid.columns) == list(fields.CANONICAL_COLUMNS)
    p = tmp_path / "sep.csv"
    p.write_text("sep=;\ntitle;pledger;value_as_stated\nA, B and C;X;USD 1,5 million\n"
                 ";;\nD;Y;-1\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.delimiter == ";" and r.n_read == 2 and r.valid["title"].tolist() == ["A, B and C"]
    assert r.valid["estimated_value_usd"].tolist() == [1.5e6]
    assert r.quarantine["source_row"].tolist() == [4]  # header is row 1, blank row 3 skipped


def test_xlsx_row_numbers_count_leading_and_blank_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A3"], ws["B3"], ws["C3"] = "Title", "Pledger", "Announced"
    ws.append(["Good", "Org", 2023])  # row 4
    ws.append([None, None, None])  # row 5, blank
    ws.append(["Bad date", "Org 2", "31 February 2023"])  # row 6
    p = tmp_path / "offset.xlsx"
    wb.save(p)
    r = load_pledges(p)
    assert r.n_read == 2 and r.valid["announced_precision"].tolist() == ["year"]
    assert r.quarantine["source_row"].tolist() == [6]
    assert "impossible date" in r.quarantine["reasons"].iloc[0]


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    p = tmp_path / "unicode.txt"
    p.write_bytes("title\tpledger\tentity_country\nRéseau\tOrange\tFrance\n".encode("utf-16"))
    r = load_pledges(p)
    assert r.encoding == "utf-16" and r.delimiter == "\t"
    assert r.valid["title"].tolist() == ["Réseau"] and r.valid["entity_country"].tolist() == ["FRA"]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be"])
def test_utf32_text_with_a_bom_is_read(tmp_path: Path, codec: str) -> None:
    """Its BOM (FF FE 00 00) was taken for UTF-16's: "no pledge columns ... \\x00p\\x00l"."""
    p = tmp_path / "utf32.csv"
    text = "title,pledger,entity_country\nRéseau,Orange,France\n"
    p.write_bytes(text.encode(codec) if codec == "utf-32" else
                  __import__("codecs").BOM_UTF32_BE + text.encode(codec))
    r = load_pledges(p)
    assert r.encoding == "utf-32" and r.valid["title"].tolist() == ["Réseau"]


def test_a_zip_without_a_workbook_says_so(tmp_path: Path) -> None:
    """It said "not a readable XLSX workbook (KeyError)"."""
    import zipfile

    p = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("notes.txt", "no workbook here")
    with pytest.raises(PledgeFileError, match=r"archive\.xlsx: not a readable XLSX workbook "
                                              r"\(a zip file without a workbook in it\)$"):
        load_pledges(p)


def test_same_title_and_pledger_get_numbered_ids(tmp_path: Path) -> None:
    p = tmp_path / "twins.csv"
    p.write_text("title,pledger,announced_date\nFibre,Org,2022\nFibre,Org,2022\n"
                 "Fibre,Org,2023\nfibre , ORG,2024\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.quarantine["reasons"].tolist() == ["exact duplicate: of row 2"]
    ids = r.valid["pledge_id"].tolist()
    assert ids[1:] == [ids[0] + "-2", ids[0] + "-3"]  # case/space-insensitive, file order


# --- nothing lost: a failing column sets rows aside, limits refuse files in one line -----------


def _csv(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_column_that_fails_its_dtype_sets_aside_only_the_rows_that_make_it_fail(
        tmp_path: Path, monkeypatch) -> None:
    # a parser letting a year-3000 date through (as before this check existed) must not
    # cost the file: the canonical conversion finds the row and quarantines it
    real = parsing.read_date

    def lax(value: object):
        return parsing.DateRead(pd.Timestamp(3000, 1, 1), "year") if value == "3000" \
            else real(value)

    monkeypatch.setattr(parsing, "read_date", lax)
    p = _csv(tmp_path, "title,pledger,announced_date\nA,X,2022\nB,Y,3000\nC,Z,2023\n")
    r = load_pledges(p)
    assert r.n_read == 3 and r.conserved
    assert r.valid["title"].tolist() == ["A", "C"]
    assert r.quarantine["source_row"].tolist() == [3]
    reason = r.quarantine["reasons"].iloc[0]
    assert reason.startswith("invalid value: coerce_canonical: column 'announced_date': ")
    assert "\n" not in reason
    assert json.loads(r.quarantine["raw"].iloc[0]) == {"title": "B", "pledger": "Y",
                                                       "announced_date": "3000"}
    with pytest.raises(PledgeDataError, match=r"p\.csv: row 3: invalid value: "):
        load_pledges(p, strict=True)


def test_a_row_failing_the_schema_is_set_aside_not_the_file(tmp_path: Path,
                                                           monkeypatch) -> None:
    real = parsing.parse_money

    def negative(value: object):
        m = real(value)
        return parsing.Money(-m.amount, "USD") if m is not None and m.amount == 7 else m

    monkeypatch.setattr(parsing, "parse_money", negative)
    p = _csv(tmp_path, "title,pledger,value_as_stated\nA,X,USD 5\nB,Y,USD 7\nC,Z,USD 9\n")
    r = load_pledges(p)
    assert r.valid["estimated_value_usd"].tolist() == [5.0, 9.0]
    assert r.quarantine["source_row"].tolist() == [3]
    assert r.quarantine["reasons"].iloc[0].startswith("invalid value: ")
    assert "estimated_value_usd" in r.quarantine["reasons"].iloc[0]


@pytest.mark.parametrize(
    ("text", "limits", "what"),
    [
        ("title,pledger\n" + "A,X\n" * 20, Limits(rows=20),
         "a row numbered 21, over the limit of 20 rows (raise it with P2C_MAX_ROWS=40)"),
        ("title,pledger\nA,X\n" + "\n" * 30, Limits(rows=20),
         "a row numbered 21, over the limit of 20 rows"),  # blank rows count
        ("title,pledger" + ",c" * 40 + "\nA,X\n", Limits(columns=30),
         "row 1 has 42 columns, over the limit of 30 columns (raise it with "
         "P2C_MAX_COLUMNS=60)"),
        ("title,pledger\nA,X" + ",," * 20 + ",far\n", Limits(columns=30),
         "row 2 has 43 columns, over the limit of 30 columns"),
        ("title," + "p" * 100 + "\nA,X\n", Limits(cell_chars=50),
         "a header cell of 100 characters, over the limit of 50 characters"),
        ("title,pledger\n" + "A,X\n" * 600, Limits(file_mb=0.001),
         "size 0.0023 MB, over the limit of 0.001 MB (raise it with P2C_MAX_FILE_MB="),
    ],
)
def test_a_file_over_a_limit_is_refused_in_one_line(tmp_path: Path, text: str, limits: Limits,
                                                    what: str) -> None:
    p = _csv(tmp_path, text)
    with pytest.raises(PledgeFileError) as err:
        load_pledges(p, limits=limits)
    assert str(err.value).startswith(f"{p}: {what}") and "\n" not in str(err.value)


def test_a_long_cell_sets_aside_its_row_and_the_csv_module_limit_is_no_file_error(
        tmp_path: Path) -> None:
    long = "y" * 200_000  # over csv's default field limit (131,072), which rejected the file
    p = _csv(tmp_path, f"title,pledger,description\nA,X,{long}\nB,Y,short\n")
    before = csv.field_size_limit()
    r = load_pledges(p)
    assert csv.field_size_limit() == before  # the process-wide setting is put back
    assert r.valid["title"].tolist() == ["B"]
    assert r.quarantine["reasons"].tolist() == [
        "cell too long: 200,000 characters in column 'description', over the limit of 32,767 "
        "characters (raise it with P2C_MAX_CELL_CHARS=200000)"]
    assert json.loads(r.quarantine["raw"].iloc[0])["description"] == long
    assert len(load_pledges(p, limits=Limits(cell_chars=200_000)).valid) == 2


def test_a_stray_far_cell_is_kept_by_its_column_not_by_padding(tmp_path: Path) -> None:
    p = _csv(tmp_path, "title,pledger\nA,X" + "," * 800 + "far\nB,Y\n")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["B"]
    assert r.quarantine["reasons"].tolist() == ["extra cells: row has 3 cells, header 2"]
    assert json.loads(r.quarantine["raw"].iloc[0]) == {"title": "A", "pledger": "X",
                                                       "extra_802": "far"}


def test_old_mac_line_ends_and_a_single_legacy_encoding(tmp_path: Path) -> None:
    p = tmp_path / "mac.csv"
    p.write_bytes("title,pledger,entity_country\rСвязь,Ростелеком,Russian Federation\rB,Y,Kenya\r"
                  .encode("cp1251"))
    r = load_pledges(p)
    assert r.encoding == "cp1251" and r.fallback_rows == [] and r.encoding_summary() is None
    assert r.valid["pledger"].tolist() == ["Ростелеком", "Y"]
    assert r.valid["entity_country"].tolist() == ["RUS", "KEN"]


def test_encoding_summary_lists_at_most_twenty_rows(tmp_path: Path) -> None:
    lines = [b"title,pledger\n", "Réseau,Orange\n".encode()]
    lines += [f"Santé {i},Org\n".encode("cp1252") for i in range(25)]
    p = tmp_path / "mixed.csv"
    p.write_bytes(b"".join(lines))
    r = load_pledges(p)
    assert r.encoding == "utf-8" and r.fallback_encoding == "cp1252"
    assert r.fallback_rows == list(range(3, 28))
    assert r.encoding_summary() == ("utf-8; 25 rows decoded as cp1252: rows "
                                    + ", ".join(str(i) for i in range(3, 23))
                                    + ", ... (5 more)")
    assert r.valid["title"].tolist()[:2] == ["Réseau", "Santé 0"]


def test_check_pledge_file_refuses_what_load_pledges_refuses(tmp_path: Path) -> None:
    assert check_pledge_file(FIX / "pipe.csv") is None
    assert check_pledge_file(FIX / "platform_export.csv", mapping=MAPPING) is None
    for name, what in (("binary.csv", "binary file"), ("not_a_table.csv", "no pledge columns"),
                       ("does_not_exist.csv", "no such file")):
        with pytest.raises(PledgeFileError, match=what):
            check_pledge_file(FIX / name)
    with pytest.raises(PledgeFileError, match="a row numbered 3, over the limit of 2 rows"):
        check_pledge_file(FIX / "pipe.csv", limits=Limits(rows=2))


def test_namibias_code_in_a_list_of_countries_is_namibia(tmp_path):
    """``NA`` among other countries is Namibia (ISO alpha-2); alone, in a file whose
    country cells are ISO alpha-2 codes, too (:func:`test_a_lone_na_country_is_never_silent`)."""
    path = _csv(tmp_path, "title,pledger,entity_country,target_countries\n"
                          "A,X,NA,ZA; NA; BW\nB,Y,ZA; NA,NA\nC,Z,KE,\"NA\nGH\"\n")
    r = load_pledges(path)
    v = r.valid.set_index("title")
    assert v.loc["A", "target_countries"] == ["ZAF", "NAM", "BWA"]
    assert v.loc["B", "target_countries"] == ["NAM"] and v.loc["B", "entity_country"] == "ZAF"
    assert v.loc["C", "target_countries"] == ["NAM", "GHA"]
    assert v.loc["A", "entity_country"] == "NAM" and len(r.quarantine) == 0
    assert parsing.split_cell("n/a; KE", parsing.COUNTRY_CODES_LIKE_MISSING) == ["KE"]


def test_a_lone_na_country_is_never_silent(tmp_path: Path) -> None:
    """A country cell holding only ``NA`` was read as "not stated" (the missing-value
    token), so a Namibian pledge in a file of ISO alpha-2 codes lost its country without a
    word. It is now read by the file's country cells: Namibia where they are alpha-2 codes;
    "not stated", noted, where they are names or alpha-3 codes (there ``NA`` is "not
    available", Namibia would be ``NAM``); set aside where the file mixes both. ``N/A`` is
    never a code."""
    iso2 = load_pledges(_csv(tmp_path, "title,pledger,entity_country,target_countries\n"
                                       "A,X,NA,NA\nB,Y,GH,KE\nC,Z,N/A,na\n", "iso2.csv"))
    v = iso2.valid.set_index("title")
    assert iso2.quarantine.empty
    assert v.loc["A", "entity_country"] == "NAM" and v.loc["A", "target_countries"] == ["NAM"]
    assert "'NA' in entity_country read as Namibia" in v.loc["A", "notes"]
    assert pd.isna(v.loc["C", "entity_country"]) and v.loc["C", "target_countries"] == ["NAM"]
    names = load_pledges(_csv(tmp_path, "title,pledger,entity_country,target_countries\n"
                                        "A,X,NA,Ghana\nB,Y,KEN,NA\n", "names.csv"))
    v = names.valid.set_index("title")
    assert names.quarantine.empty
    assert pd.isna(v.loc["A", "entity_country"]) and v.loc["B", "target_countries"] == []
    assert "'NA' in entity_country read as not stated" in v.loc["A", "notes"]
    assert "'NA' in target_countries read as not stated" in v.loc["B", "notes"]
    mixed = load_pledges(_csv(tmp_path, "title,pledger,entity_country,target_countries\n"
                                        "A,X,NA,GH\nB,Y,Kenya,GHA\n", "mixed.csv"))
    assert mixed.valid["title"].tolist() == ["B"]
    assert mixed.quarantine["reasons"].str.startswith(
        "ambiguous country: 'NA' in entity_country").tolist() == [True]


def _workbook(path: Path, sheets: dict[str, list[list[object]]],
              hidden: tuple[str, ...] = ()) -> Path:
    """Save at ``path`` a workbook of ``sheets`` (name -> rows, in order; the first is the
    active sheet), those named in ``hidden`` hidden; return ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def test_without_a_sheet_named_the_first_visible_sheet_is_read(tmp_path):
    """A hidden first sheet (an old export, a helper sheet) is not what the file shows."""
    p = _workbook(tmp_path / "hidden.xlsx", {
        "old_export": [["title", "pledger"], ["Old pledge", "Someone"]],
        "Pledges": [["title", "pledger"], *([f"Pledge {i}", "X"] for i in range(3))],
    }, hidden=("old_export",))
    r = load_pledges(p)
    assert r.sheet == "Pledges" and r.n_read == 3
    named = tmp_path / "m.toml"
    named.write_text('sheet = "old_export"\n[columns]\ntitle = "title"\npledger = "pledger"\n')
    assert load_pledges(p, mapping=named).n_read == 1  # a hidden sheet named: read


def test_a_semicolon_inside_a_cell_is_no_second_reason(tmp_path):
    """Reasons are joined with "; "; a status cell "announced; in progress" used to count a
    bogus kind ("in progress' in status") beside the real one."""
    path = _csv(tmp_path, 'title,pledger,status,estimated_value_usd\n'
                          'A,X,"announced; in progress",\n'
                          'B,Y,"done; or not",-5\n')
    r = load_pledges(path)
    assert len(r.quarantine) == 2
    assert r.reason_counts().to_dict() == {"unknown status": 2, "negative value": 1}


# --- headers with invisible characters, merged XLSX cells, near-duplicates, round trips -------

def _bundled_with_header(tmp_path: Path, rename: dict[str, str]) -> Path:
    text = paths.PUBLIC_PLEDGES.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    header = [rename.get(h, h) for h in first.split(",")]
    out = tmp_path / "export.csv"
    out.write_text(",".join(header) + "\n" + rest, encoding="utf-8")
    return out


def test_invisible_characters_in_headers_still_match_their_fields(tmp_path: Path,
                                                                  bundled: LoadResult) -> None:
    # a zero-width space, a soft hyphen, a zero-width joiner, a BOM mid-file, full-width
    # letters: each header looks like the canonical one in a spreadsheet
    path = _bundled_with_header(tmp_path, {
        "pledger": "\u200bpledger", "pledge_title": "pledge_title\u00ad",
        "estimated_value_usd": "estimated\u200d_value_usd", "focus_area": "\ufefffocus_area",
        "target_year": "ｔａｒｇｅｔ_ｙｅａｒ"})
    r = load_pledges(path)
    assert r.unused_columns == []
    for col in ("title", "pledger", "estimated_value_usd", "focus_areas", "target_year"):
        assert r.valid[col].astype(str).tolist() == bundled.valid[col].astype(str).tolist(), col


def test_columns_matching_no_field_are_listed_in_the_report_header(tmp_path: Path) -> None:
    from p2c_analysis import report

    path = _bundled_with_header(tmp_path, {"pledger": "pledger\u2063x",
                                           "notes": "<b>remarks</b> & more"})
    r = load_pledges(path)
    assert r.unused_columns == ["pledger\u2063x", "<b>remarks</b> & more"]
    text = report.header_text("t", r.valid, str(path), unused_columns=r.unused_columns)
    line = next(x for x in text.splitlines() if x.startswith("- Not read"))
    assert "2 columns of the pledge file" in line
    assert "<b>" not in line and "&lt;b&gt;remarks&lt;/b&gt;" in line
    many = [f"c{i}" for i in range(report.MOST_COLUMNS_LISTED + 3)]
    line = report._unused_columns_text(many)
    assert "c9" in line and "c10" not in line and "and 3 more" in line
    assert "1 column of the pledge file" in report._unused_columns_text(["x"])
    assert "Not read" not in report.header_text("t", r.valid, str(path))


def _merged_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Pledge title", "Pledger", "Estimated value (USD)", "Target countries"])
    ws.append(["A", "Org X", 900, "KEN"])
    ws.append(["B", None, None, "UGA"])
    ws.append(["C", None, None, "TZA"])
    ws.append(["D", "Org Y", 400, "RWA"])
    ws.append([None, None, None, None])
    ws.append(["E", "Org Z", 50, "BDI"])
    ws.merge_cells("B2:B4")  # one pledger over three pledges
    ws.merge_cells("C2:C4")  # one amount over three pledges: counted once
    ws.merge_cells("D5:D6")  # into a blank row: no row made of it
    wb.save(path)
    return path


def test_xlsx_merged_cells_fill_their_rows_but_an_amount_counts_once(tmp_path: Path) -> None:
    r = load_pledges(_merged_workbook(tmp_path / "merged.xlsx"))
    v = r.valid.set_index("title")
    assert r.quarantine.empty and list(v.index) == ["A", "B", "C", "D", "E"]
    assert v["pledger"].tolist() == ["Org X", "Org X", "Org X", "Org Y", "Org Z"]
    usd = v["estimated_value_usd"]
    assert usd["A"] == 900 and pd.isna(usd["B"]) and pd.isna(usd["C"]) and usd.sum() == 1350
    assert "cell B3 filled from merged cells B2:B4" in v.loc["B", "notes"]
    assert "amount in merged cells C2:C4 counted once, on row 2" in v.loc["C", "notes"]
    assert pd.isna(v.loc["A", "notes"]) and pd.isna(v.loc["E", "notes"])


def test_xlsx_merged_header_cells_are_not_filled_into_data(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Pledge title", "Pledger"])
    ws.append([None, None])
    ws.append(["A", "Org X"])
    ws.merge_cells("A1:A2")
    wb.save(tmp_path / "h.xlsx")
    r = load_pledges(tmp_path / "h.xlsx")
    assert r.valid["title"].tolist() == ["A"] and r.quarantine.empty


def test_rows_equal_but_for_case_and_spacing_are_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "dups.csv"
    p.write_text("title,pledger,target_countries\n"
                 "Rural towers,Org X,KEN\n"
                 "RURAL  towers,org x,ken\n"
                 "Rural towers,Org X,UGA\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["target_countries"].tolist() == [["KEN"], ["UGA"]]
    assert r.quarantine["reasons"].tolist() == [
        "exact duplicate: of row 2 but for letter case or spacing"]
    assert r.reason_counts().to_dict() == {"exact duplicate": 1}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_checked_export_reads_back_to_the_same_table(tmp_path: Path, suffix: str,
                                                        bundled: LoadResult) -> None:
    from p2c_analysis.pledges import check_pledges_cli

    out = tmp_path / f"clean{suffix}"
    assert check_pledges_cli(paths.PUBLIC_PLEDGES, out=out) == 0
    assert out.read_bytes()[:2] == (b"PK" if suffix == ".xlsx" else b"pl")
    again = load_pledges(out)
    assert again.quarantine.empty
    for col in bundled.valid.columns:  # dates keep their precision, notes are not repeated
        assert again.valid[col].astype(str).tolist() == \
            bundled.valid[col].astype(str).tolist(), col


def test_stated_precision_is_kept_only_when_the_date_fits_it(tmp_path: Path) -> None:
    p = tmp_path / "dates.csv"
    p.write_text("title,pledger,announced_date,announced_precision\n"
                 "A,X,2022-01-01,year\nB,X,2022-03-01,month\nC,X,2022-03-15,month\n"
                 "D,X,2022,day\nE,X,2022-03-01,\n", encoding="utf-8")
    v = load_pledges(p).valid.set_index("title")
    assert v["announced_precision"].tolist() == ["year", "month", "day", "year", "day"]
    assert "announced_precision 'month' does not fit 2022-03-15; read as day" in v.loc["C", "notes"]
    assert "does not fit" in v.loc["D", "notes"]


@pytest.mark.parametrize(("toml", "message"), [
    ("constants = 5\n", "[constants] must be a table of field = value"),
    ("sheet = 5\n", "sheet must be a sheet name in quotes, not 5"),
    ("id_prefix = [1]\n", "id_prefix must be text in quotes"),
    ("[constants]\nstatus = {a = 1}\n", "constant status: give a value or a list of values"),
    ("sdgs = [[9]]\n", "constant sdgs: give a value or a list of values"),
])
def test_bad_mapping_values_are_refused_in_one_line(tmp_path: Path, toml: str,
                                                    message: str) -> None:
    m = tmp_path / "m.toml"
    m.write_text(toml, encoding="utf-8")
    with pytest.raises(PledgeFileError) as err:
        read_mapping(m)
    assert message in str(err.value) and str(m) in str(err.value)
    assert "\n" not in str(err.value)


def test_list_constants_are_cells_of_several_values(tmp_path: Path) -> None:
    m = tmp_path / "m.toml"
    m.write_text('sdgs = [9, 17]\n[constants]\nfocus_areas = ["ACCESS", "adoption"]\n',
                 encoding="utf-8")
    src = tmp_path / "p.csv"
    src.write_text("title,pledger\nA,X\nB,Y\n", encoding="utf-8")
    r = load_pledges(src, mapping=m)
    assert r.quarantine.empty and len(r.valid) == 2
    assert r.valid["sdgs"].map(list).tolist() == [[9, 17]] * 2
    assert r.valid["focus_areas"].map(list).tolist() == [["ACCESS", "ADOPTION"]] * 2


def test_a_totals_row_is_set_aside(tmp_path: Path) -> None:
    p = tmp_path / "with_total.csv"
    p.write_text("title,pledger,target_countries,value\n"
                 "Fibre backbone,Org A,KEN,USD 30 million\n"
                 "Rural schools,Org B,GHA,USD 20 million\n"
                 "Total,,,USD 50 million\n"
                 "Grand total:,,,USD 50 million\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["estimated_value_usd"].sum() == 50e6  # not 150e6
    assert r.quarantine["source_row"].tolist() == [4, 5]
    assert r.reason_counts().to_dict() == {"totals row": 2}
    ids = tmp_path / "ids.csv"
    ids.write_text("pledge_id,title,pledger,value\nP1,Fibre,Org A,USD 5 million\n"
                   "Total,,,USD 5 million\n", encoding="utf-8")
    assert load_pledges(ids).reason_counts().to_dict() == {"totals row": 1}


def test_sum_lines_in_other_words_are_set_aside_and_pledges_named_total_are_not(
        tmp_path: Path) -> None:
    """"Total (USD)", "Grand Total (USD)", "Total pledges" and a line with a value but no
    title, pledger or id were read as pledges: USD 40 million counted for 9."""
    p = tmp_path / "sums.csv"
    p.write_text("pledger,pledge_title,value_as_stated\n"
                 "Acme,Towers,USD 5 million\n"
                 "Beta,Skills,USD 3 million\n"
                 "Total,,USD 8 million\n"
                 ",,USD 8 million\n"
                 "TOTAL (USD),,8000000\n"
                 "Acme,Grand Total (USD),USD 8 million\n"
                 "Acme,Total pledges:,USD 8 million\n"
                 "TotalEnergies,Total Access Fund,USD 1 million\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["Towers", "Skills", "Total Access Fund"]
    assert r.valid["estimated_value_usd"].sum() == 9e6
    assert r.quarantine["source_row"].tolist() == [4, 5, 6, 7, 8]
    assert r.reason_counts().to_dict() == {"totals row": 4, "unnamed row": 1}


def test_reason_counts_are_the_kinds_each_row_was_set_aside_for_in_one_order(
        tmp_path: Path) -> None:
    """A kind with capitals ("cannot convert to USD") went uncounted, a cell's "; board
    approval:" was counted as a reason, and ties came out in a different order per run."""
    p = tmp_path / "reasons.csv"
    p.write_text("title,pledger,announced_date,value_as_stated,target_year,target_countries\n"
                 "A,X,sometime,EUR 5 million,2025,GHA\n"
                 "B,X,,GBP 2 million,2025,Narnia\n"
                 'D,X,2022-03-16,,"2030 (revised; board approval: pending)",\n',
                 encoding="utf-8")
    counts = load_pledges(p).reason_counts()
    assert list(counts.items()) == [("cannot convert to USD", 2), ("unknown country", 1),
                                    ("unparseable date", 1), ("unparseable year", 1)]
    import subprocess
    import sys

    code = ("import sys; from p2c_analysis.pledges import load_pledges; "
            "print(list(load_pledges(sys.argv[1]).reason_counts().index))")
    orders = {subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}
                             ).stdout for seed in ("1", "2", "3", "4", "5")}
    assert len(orders) == 1  # the same order whatever the hash seed


def test_a_value_under_a_blank_last_header_cell_is_a_column_not_extra_cells(
        tmp_path: Path) -> None:
    """"title,pledger," (a blank last header cell) set aside every row with a value under
    it as "row has 3 cells, header 2"."""
    p = tmp_path / "blank_last.csv"
    p.write_text("pledge_title,pledger,\nTowers,Acme,remark\nSkills,Beta,\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["pledger"].tolist() == ["Acme", "Beta"]
    assert r.quarantine.empty and r.unused_columns == ["column_3"]
    wider = tmp_path / "wider.csv"  # a row longer than the header row still is one
    wider.write_text("pledge_title,pledger\nTowers,Acme,remark\nSkills,Beta\n", encoding="utf-8")
    assert load_pledges(wider).reason_counts().to_dict() == {"extra cells": 1}


@pytest.mark.parametrize("header, named", [
    ("pledge_title,pledger,notes,pledger", "columns B ('pledger'), D ('pledger') both give "
                                           "pledger"),
    ("title,pledger,pledge_title", "columns A ('title'), C ('pledge_title') both give title"),
])
def test_two_columns_for_one_field_refuse_the_file(tmp_path: Path, header: str,
                                                   named: str) -> None:
    """The first of two "pledger" columns was read, even empty, and the other listed as the
    unused "pledger.1", a name not in the file."""
    p = tmp_path / "dup.csv"
    p.write_text(header + "\nTowers,,x,Acme\n", encoding="utf-8")
    with pytest.raises(PledgeFileError, match=re.escape(named)):
        load_pledges(p)


def test_status_remarks_and_impossible_targets_are_set_aside(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text("title,pledger,announced_date,target_year,status\n"
                 "A,X,2023-05-01,2025,Completed (partially)\n"
                 "B,X,2023-05-01,2021,in progress\n"
                 "C,X,2023-05-01,2023,Completed\n"
                 "D,X,06-09-22,2025,announced\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["C"]
    assert r.reason_counts().to_dict() == {"unknown status": 1, "target before announcement": 1,
                                           "ambiguous date": 1}


def test_xlsx_amounts_are_read_as_their_number_format_shows_them(tmp_path: Path) -> None:
    """A number cell formatted €5,000,000 was read as USD 5,000,000; 5% as USD 0.05."""
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "target_countries", "value", "announced_date"])
    rows = [("Euro", 5_000_000, "#,##0 [$€-x-euro2]"), ("Pound", 2_000_000, '"£"#,##0'),
            ("Share", 0.05, "0%"), ("Millions", 12.5, '0.0 "M"'),
            ("Dollars", 3_000_000, "[$$-409]#,##0"), ("Plain", 7_000_000, "#,##0")]
    for i, (title, value, fmt) in enumerate(rows, start=2):
        ws.append([title, "Org", "KEN", value, dt.date(2023, 3, 1)])
        ws[f"D{i}"].number_format = fmt
    wb.save(tmp_path / "formats.xlsx")
    r = load_pledges(tmp_path / "formats.xlsx")
    v = r.valid.set_index("title")
    assert v.loc["Euro", "currency"] == "EUR" and v.loc["Pound", "currency"] == "GBP"
    assert v.loc["Euro", "estimated_value_usd"] == pytest.approx(5e6 / _raw_emu_rate(2023))
    assert v.loc["Millions", "estimated_value_usd"] == 12.5e6
    assert v.loc["Dollars", "estimated_value_usd"] == 3e6
    assert v.loc["Plain", "estimated_value_usd"] == 7e6  # no format: as before
    assert "read as shown: '€ 5000000'" in v.loc["Euro", "notes"]
    assert r.quarantine["reasons"].str.contains("a percentage is not an amount").tolist() == [True]


def test_a_file_marking_rows_synthetic_is_never_read_as_real_through_a_mapping(
        tmp_path: Path) -> None:
    """The bundled platform mapping sets is_synthetic = false for every row; with a mapping
    only mapped columns were read, so a synthetic export lost its marks (no banner)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Pledge Title", "Entity Name", "Estimated Value", "is_synthetic"])
    ws.append(["A", "X", "USD 5 million", True])
    ws.append(["B", "Y", "USD 6 million", False])
    wb.save(tmp_path / "syn.xlsx")
    for constant, expected in (("false", [True, False]), ("true", [True, True])):
        m = tmp_path / f"m_{constant}.toml"
        m.write_text('[columns]\ntitle = "Pledge Title"\npledger = "Entity Name"\n'
                     f'value_as_stated = "Estimated Value"\n[constants]\nis_synthetic = '
                     f"{constant}\n", encoding="utf-8")
        r = load_pledges(tmp_path / "syn.xlsx", mapping=m)
        assert r.valid["is_synthetic"].tolist() == expected and r.unused_columns == []


def test_neutralised_cells_read_back_as_their_text(tmp_path: Path) -> None:
    """check-pledges writes '=cmd for =cmd (so no spreadsheet runs it); reading that output
    again kept the apostrophe in titles, pledgers and notes."""
    from p2c_analysis.pledges import check_pledges_cli

    src = tmp_path / "src.csv"
    src.write_text("title,pledger,notes,value\n=HYPERLINK(1),+Org,-note,USD 5 million\n",
                   encoding="utf-8")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"out{suffix}"
        assert check_pledges_cli(src, out=out) == 0
        again = load_pledges(out).valid.iloc[0]
        assert (again["title"], again["pledger"]) == ("=HYPERLINK(1)", "+Org")
        assert again["notes"].startswith("-note")


def test_a_quote_left_open_sets_its_lines_aside_with_their_numbers(tmp_path: Path) -> None:
    """A cell opened with a quote that is never closed swallowed the rest of the file into
    one pledge titled 'Schools online,Beta,USD 2 million,UGA Rural towers,...' and counted it
    valid: three pledges became one. Closed a line later, it joined two. Such a record is now
    set aside whole (its raw text kept), naming the lines; quoted cells over several lines
    that keep the header's cell count are still read."""
    head = "title,pledger,value_as_stated,target_countries_iso3\n"
    fine = ('Fibre for all,Acme,USD 5 million,KEN\n'
            'Multi,Eps,USD 1 million,"KEN,\nUGA"\n'
            '"Desc, over\nthree, lines, of, text",Zeta,USD 1 million,KEN\n')
    never = tmp_path / "never.csv"
    never.write_text(head + fine + '"Schools online,Beta,USD 2 million,UGA\n'
                     'Rural towers,Gamma,USD 3 million,RWA\nLast mile,Delta,USD 1 million,GHA\n')
    r = load_pledges(never)
    assert r.valid["title"].tolist() == ["Fibre for all", "Multi", "Desc, over three, lines, "
                                         "of, text"]
    (reasons,) = r.quarantine["reasons"].tolist()
    assert reasons.startswith("unclosed quote: a quote opened in line 7 is never closed, so "
                              "lines 7-9 were read as one row (line 8 reads as a row")
    assert r.quarantine["source_row"].tolist() == [5]
    assert "Last mile" in r.quarantine["raw"].iloc[0]
    later = tmp_path / "later.csv"
    later.write_text(head + '"Schools online,Beta,USD 2 million,UGA\n'
                     'Rural towers,Gamma,USD 3 million,"RWA"\n' + fine)
    r = load_pledges(later)
    assert r.valid["title"].tolist()[0] == "Fibre for all" and len(r.valid) == 3
    assert r.quarantine["reasons"].str.startswith(
        "unclosed quote: a quote opened in line 2 is closed only in line 3").tolist() == [True]
    assert r.reason_counts().to_dict() == {"unclosed quote": 1}


def test_a_space_after_the_comma_keeps_quoted_cells_whole(tmp_path: Path) -> None:
    """'"Fibre", "OrgA", "USD 1,500,000"' (common in hand-written CSVs) split the quoted amount
    at its commas: every row was set aside with reasons such as "implausible date: '500'"."""
    f = tmp_path / "spaced.csv"
    f.write_text('pledge_title, pledger, focus_area, value_as_stated, announced_date\n'
                 '"Fibre", "OrgA", "ACCESS", "USD 1,500,000", "2022-01-01"\n'
                 '"Towers", "OrgB", "ACCESS", "USD 2 million", "2022-01-01"\n')
    r = load_pledges(f)
    assert r.quarantine.empty, r.quarantine["reasons"].tolist()
    assert r.valid["title"].tolist() == ["Fibre", "Towers"]
    assert r.valid["estimated_value_usd"].tolist() == [1.5e6, 2e6]
    assert r.valid["focus_areas"].tolist() == [["ACCESS"], ["ACCESS"]]


def test_a_workbook_opening_on_a_read_me_sheet_is_read_from_its_pledge_sheet(
        tmp_path: Path) -> None:
    """A workbook whose first sheet is a "Read me" note was refused with "no pledge columns;
    columns found: This workbook lists P2C pledges..." (naming neither the sheet read nor the
    others). The first other visible sheet with pledge columns is now read, and a workbook
    with none names its sheets."""
    wb = Workbook()
    wb.active.title = "Read me"
    wb.active["A1"] = "This workbook lists P2C pledges. See sheet Pledges."
    hidden = wb.create_sheet("Old")
    hidden.append(["pledge_title", "pledger"])
    hidden.append(["Old pledge", "OrgZ"])
    hidden.sheet_state = "hidden"
    sheet = wb.create_sheet("Pledges")
    sheet.append(["pledge_title", "pledger", "focus_area"])
    sheet.append(["Fibre", "OrgA", "ACCESS"])
    wb.save(tmp_path / "readme.xlsx")
    r = load_pledges(tmp_path / "readme.xlsx")
    assert r.sheet == "Pledges" and r.valid["title"].tolist() == ["Fibre"]
    wb = Workbook()
    wb.active.title = "Read me"
    wb.active["A1"] = "Notes only"
    wb.create_sheet("Other")["A1"] = "x"
    wb.save(tmp_path / "none.xlsx")
    with pytest.raises(PledgeFileError, match=r"sheet 'Read me': no pledge columns: .*; no "
                       r"other sheet has them either \(sheets: Read me, Other; name one"):
        load_pledges(tmp_path / "none.xlsx")


def test_a_workbook_opening_on_a_summary_is_read_from_its_pledge_sheet(tmp_path: Path,
                                                                      capsys) -> None:
    """A first sheet summing the pledges up (``Title``, ``Pledger``, ``Value``: "All pledges",
    "Top pledge") has pledge columns, and was read instead of the sheet holding the pledges:
    two made-up pledges counted, the real ones lost, without a word. The visible sheet whose
    columns name the most fields is read, and the others with pledge columns are named; two
    sheets naming as many fields are refused in one line naming them."""
    wb = Workbook()
    wb.active.title = "Summary"
    wb.active.append(["Title", "Pledger", "Value"])
    wb.active.append(["All pledges", "Various", 30_000_000])
    wb.active.append(["Top pledge", "Big Co", 10_000_000])
    ws = wb.create_sheet("Pledges")
    ws.append(["Title", "Pledger", "entity_country", "value_as_stated", "target_year"])
    for i in range(4):
        ws.append([f"P{i}", f"Org{i}", "GH", f"USD {i + 1} million", 2025])
    wb.save(tmp_path / "summary.xlsx")
    r = load_pledges(tmp_path / "summary.xlsx")
    assert r.sheet == "Pledges" and r.n_read == 4 and r.other_sheets == ["Summary"]
    assert r.valid["title"].tolist() == [f"P{i}" for i in range(4)]
    from p2c_analysis.pledges import check_pledges_cli

    assert check_pledges_cli(tmp_path / "summary.xlsx") == 0
    assert "other sheets with pledge columns, not read: Summary" in capsys.readouterr().out
    wb.create_sheet("Pledges (copy)").append(
        ["Title", "Pledger", "entity_country", "value_as_stated", "target_year"])
    wb.save(tmp_path / "two.xlsx")
    with pytest.raises(PledgeFileError, match=r"two\.xlsx: sheets Pledges, Pledges \(copy\) "
                       r"both have pledge columns \(5 fields each\).*sheet ="):
        load_pledges(tmp_path / "two.xlsx")


def test_xlsx_hidden_rows_are_set_aside_not_counted(tmp_path: Path) -> None:
    """A row hidden in the sheet (filtered out, or hidden as withdrawn) was counted like the
    rows the spreadsheet shows, without a word: a pledge the user had taken out of the view
    came back in the totals. It is set aside with its row number ("hidden row"); the rows
    shown are read as before."""
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "estimated_value_usd"])
    ws.append(["Shown", "Org A", 5_000_000])
    ws.append(["Withdrawn", "Org B", 1_000_000_000])
    ws.append(["Also shown", "Org C", 2_000_000])
    ws.row_dimensions[3].hidden = True
    wb.save(tmp_path / "hidden_rows.xlsx")
    r = load_pledges(tmp_path / "hidden_rows.xlsx")
    assert r.valid["title"].tolist() == ["Shown", "Also shown"]
    assert r.quarantine["source_row"].tolist() == [3]
    assert r.quarantine["reasons"].iloc[0].startswith("hidden row: row 3 is hidden in sheet")
    assert json.loads(r.quarantine["raw"].iloc[0])["title"] == "Withdrawn"


def test_countries_listed_with_and_slash_or_ampersand_are_read(tmp_path: Path) -> None:
    """``Ghana and Kenya``, ``Ghana/Kenya``, ``Ghana & Kenya`` and ``Ghana, Kenya and Uganda``
    (as a platform export or a person writes a list) set the pledge aside as "unknown
    country". They are split like a comma list: only where the whole names no country and
    every part does, so ``Bosnia and Herzegovina`` stays one country and ``Ghana and
    Atlantis`` is still refused whole; a region name keeps its meaning."""
    text = ("title,pledger,entity_country,target_countries\n"
            "A,X,Ghana,Ghana and Kenya\nB,X,GH,GHA/KEN\nC,X,Ghana,Ghana & Kenya\n"
            "D,X,Ghana,\"Ghana, Kenya and Uganda\"\nE,X,Ghana,Trinidad and Tobago and Jamaica\n"
            "F,X,Ghana,Bosnia and Herzegovina\nG,X,Ghana,Ghana and Atlantis\n"
            "H,X,Ghana,Latin America and the Caribbean\nI,X,Kenya and Uganda,Congo/DRC\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert v.loc["A", "target_countries"] == ["GHA", "KEN"]
    assert v.loc["B", "target_countries"] == ["GHA", "KEN"]
    assert v.loc["C", "target_countries"] == ["GHA", "KEN"]
    assert v.loc["D", "target_countries"] == ["GHA", "KEN", "UGA"]
    assert v.loc["E", "target_countries"] == ["TTO", "JAM"]
    assert v.loc["F", "target_countries"] == ["BIH"]
    assert v.loc["H", "target_regions"] == ["Latin America and the Caribbean"]
    assert v.loc["I", "entity_country"] == "KEN" and v.loc["I", "target_countries"] == [
        "COG", "COD"]
    assert r.quarantine["reasons"].tolist() == [
        "unknown country: 'Ghana and Atlantis' in target_countries"]


def _titled_sheet(ws, header: list[str], rows: list[list[object]]) -> None:
    """Write a title, an export date and a blank row above ``header`` and ``rows``."""
    ws.append(["Partner2Connect pledges"])
    ws.append(["Exported 2026-12-01"])
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)


def test_a_header_under_title_rows_is_found(tmp_path: Path, capsys) -> None:
    """An export with a title and a date above its header ("Partner2Connect pledges",
    "Exported 2026-12-01", a blank row) was refused: "no pledge columns; columns found:
    Partner2Connect pledges". The first row among the first ten that names two fields or
    more, one a title or a pledger, is the header; the rows above it are named, not read, and
    rows keep their spreadsheet numbers."""
    wb = Workbook()
    _titled_sheet(wb.active, ["Title", "Pledger", "value_as_stated"],
                  [["Fibre", "Org A", "USD 5 million"], ["Towers", "Org B", "USD 2 million"]])
    wb.save(tmp_path / "titled.xlsx")
    r = load_pledges(tmp_path / "titled.xlsx")
    assert r.header_row == 4 and r.n_read == 2 and r.quarantine.empty
    assert r.valid["estimated_value_usd"].tolist() == [5e6, 2e6]
    from p2c_analysis.pledges import check_pledges_cli

    assert check_pledges_cli(tmp_path / "titled.xlsx") == 0
    assert "header on row 4 (rows 1-2 above it not read)" in capsys.readouterr().out
    csv_path = _csv(tmp_path, "P2C pledges;;\nExported 2026-12-01;;\ntitle;pledger;"
                              "value_as_stated\nFibre;Org A;USD 5 million\n", "titled.csv")
    r = load_pledges(csv_path)
    assert r.header_row == 3 and r.valid["title"].tolist() == ["Fibre"]
    # a lone word that names a field is no header: the file is refused as before
    lone = _csv(tmp_path, "Read me\nTitle\nsome text\n", "lone.csv")
    with pytest.raises(PledgeFileError, match="no pledge columns"):
        load_pledges(lone)


def test_a_thousands_comma_is_ambiguous_in_a_file_of_decimal_commas(tmp_path: Path) -> None:
    """In a file that writes decimal commas (``EUR 1,5 million``), ``EUR 1,250 million`` is
    1.25 million as likely as 1,250 million; it was read as 1,250 million, a thousand times
    the pledge, without a word. Such a cell is set aside naming the row that shows the
    convention; ``1,000,000`` (two groups) is no decimal and stays; in a file without decimal
    commas nothing changes. The same holds for ``1.250 million`` in a file writing
    ``1.000.000,50``."""
    text = ("title;pledger;value_as_stated;announced_date\n"
            "A;X;EUR 1,5 million;2023\nB;Y;EUR 1,250 million;2023\nC;Z;\"1,000,000\";2023\n")
    r = load_pledges(_csv(tmp_path, text, "comma.csv"))
    assert r.valid["title"].tolist() == ["A", "C"]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous value: '1,250' in value_as_stated (the file writes decimal commas, as in "
        "row 2: write 1250 or 1.25)"]
    r = load_pledges(_csv(tmp_path, "title,pledger,value_as_stated\nA,X,\"USD 1,250 million\"\n"
                                    "B,Y,USD 1.5 million\n", "point.csv"))
    assert r.quarantine.empty and r.valid["estimated_value_usd"].tolist() == [1.25e9, 1.5e6]
    r = load_pledges(_csv(tmp_path, "title;pledger;estimated_value_usd\nA;X;1.000.000,50\n"
                                    "B;Y;1.250 million\n", "dots.csv"))
    assert r.valid["title"].tolist() == ["A"]
    assert r.quarantine["reasons"].tolist() == [
        "ambiguous value: '1.250' in estimated_value_usd (the file writes thousands with "
        "points, as in row 2: write 1250 or 1.25)"]


def test_title_rows_on_a_sheet_that_is_not_the_first(tmp_path: Path, monkeypatch) -> None:
    """The sheet choice looked at each sheet's first non-blank row only: a pledge sheet with
    title rows behind a "Read me" sheet was refused ("no other sheet has them either"), and
    behind a summary sheet the summary was read instead, without a word. The header under
    the title rows now counts for the choice and is the header read; the workbook is opened
    once for the choice and the reading."""
    wb = Workbook()
    wb.active.title = "Read me"
    wb.active["A1"] = "Pledges are on the next sheet."
    _titled_sheet(wb.create_sheet("Pledges"), ["Title", "Pledger", "value_as_stated"],
                  [["Fibre", "Org A", "USD 5 million"], ["Towers", "Org B", "USD 2 million"]])
    wb.save(tmp_path / "readme_titled.xlsx")
    import openpyxl

    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook",
                        lambda *a, **k: opened.append(a[0]) or real(*a, **k))
    r = load_pledges(tmp_path / "readme_titled.xlsx")
    assert (r.sheet, r.header_row, r.preamble) == ("Pledges", 4, [1, 2])
    assert r.valid["estimated_value_usd"].tolist() == [5e6, 2e6] and r.quarantine.empty
    assert len(opened) == 1
    wb = Workbook()
    wb.active.title = "Summary"
    wb.active.append(["Title", "Pledger"])
    wb.active.append(["All pledges", "Various"])
    _titled_sheet(wb.create_sheet("Pledges"), ["Title", "Pledger", "value_as_stated"],
                  [["Fibre", "Org A", "USD 5 million"]])
    wb.save(tmp_path / "summary_titled.xlsx")
    r = load_pledges(tmp_path / "summary_titled.xlsx")
    assert (r.sheet, r.header_row, r.other_sheets) == ("Pledges", 4, ["Summary"])
    assert r.valid["title"].tolist() == ["Fibre"]


def test_title_rows_above_the_header_of_a_mapped_file(tmp_path: Path) -> None:
    """With a mapping naming the columns, a title row above the header was refused as a
    header missing the mapped columns ("mapping names column 'Pledge Title' ... not in the
    file"); the header is now found below it, as without a mapping. A file whose columns
    are really missing is still refused with that line."""
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\ntitle = "Pledge Title"\npledger = "Organisation"\n')
    path = _csv(tmp_path, "P2C pledges,\nPledge Title,Organisation\nFibre,Org A\n", "m.csv")
    r = load_pledges(path, mapping=mapping)
    assert r.header_row == 2 and r.valid["pledger"].tolist() == ["Org A"]
    wb = Workbook()
    wb.active.title = "Notes"
    wb.active["A1"] = "Read me"
    _titled_sheet(wb.create_sheet("Data"), ["Pledge Title", "Organisation"], [["Fibre", "B"]])
    wb.save(tmp_path / "m.xlsx")
    r = load_pledges(tmp_path / "m.xlsx", mapping=mapping)
    assert (r.sheet, r.header_row, r.valid["pledger"].tolist()) == ("Data", 4, ["B"])
    bad = _csv(tmp_path, "Title,Organisation\nFibre,Org A\n", "bad.csv")
    with pytest.raises(PledgeFileError, match="mapping names column 'Pledge Title' for title"):
        load_pledges(bad, mapping=mapping)


def test_xlsx_hidden_columns_are_read_and_named(tmp_path: Path, capsys) -> None:
    """A column hidden in the sheet was read as a field without a word: the amounts counted
    came from a column the spreadsheet does not show. It is still read (hiding a column is
    how a sheet is tidied, not how a value is withdrawn, unlike a hidden row), and the load
    names each hidden column of the header with the field read from it
    (``LoadResult.hidden_columns``, one line in ``p2c check-pledges``)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "value_as_stated", "Internal", "target_year"])
    ws.append(["Fibre", "Org A", "USD 5 million", "checked", 2026])
    ws.column_dimensions["C"].hidden = True
    ws.column_dimensions["D"].hidden = True
    ws.column_dimensions["H"].hidden = True  # beyond the header: no column read
    wb.save(tmp_path / "hidden_cols.xlsx")
    r = load_pledges(tmp_path / "hidden_cols.xlsx")
    assert r.valid["estimated_value_usd"].tolist() == [5e6]
    assert r.hidden_columns == {"C 'value_as_stated'": "value_as_stated",
                                "D 'Internal'": None}
    from p2c_analysis.pledges import check_pledges_cli

    assert check_pledges_cli(tmp_path / "hidden_cols.xlsx") == 0
    assert ("  hidden columns: C 'value_as_stated' (read as value_as_stated), D 'Internal' "
            "(not used): unhide them in the spreadsheet to see what was read"
            ) in capsys.readouterr().out.splitlines()
    r.hidden_columns = {f"C{i} 'x'": None for i in range(35)}  # a long list stays one line
    assert r.hidden_summary().startswith("C0 'x' (not used), C1 'x' (not used)")
    assert "C30" not in r.hidden_summary() and ", ... (5 more): unhide" in r.hidden_summary()
    ws.column_dimensions["C"].hidden = ws.column_dimensions["D"].hidden = False
    ws.column_dimensions["H"].hidden = False
    wb.save(tmp_path / "shown_cols.xlsx")
    r = load_pledges(tmp_path / "shown_cols.xlsx")
    assert r.hidden_columns == {} and r.hidden_summary() is None


def test_same_title_and_pledger_with_other_values_are_both_counted_and_noted(
        tmp_path: Path) -> None:
    """A revised pledge exported twice (same title and pledger, another value) was counted
    twice without a word. Both rows are still counted (a pledger may make one pledge a year
    under one title), and each names the other row and its value in its notes; titles and
    pledgers are compared as derived ids are (case and spacing ignored). An exact duplicate
    is still set aside, and a row without a pledger is not compared."""
    text = ("title,pledger,value_as_stated,estimated_value_usd,notes\n"
            "Fibre for schools,Org A,USD 5 million,,\n"
            "Towers,Org B,USD 1 million,,\n"
            "fibre  for Schools,ORG A,,6000000,revised in 2024\n"
            "Fibre for schools,Org A,USD 5 million,,\n"
            "Fibre for schools,,USD 7 million,,\n")
    r = load_pledges(_csv(tmp_path, text))
    assert r.valid["estimated_value_usd"].tolist() == [5e6, 1e6, 6e6, 7e6]
    notes = r.valid["notes"].tolist()
    assert notes[0] == ("[loader] same title and pledger as row 4 (value USD 6,000,000): "
                        "counted separately; if one revises the other, keep one")
    assert notes[2] == ("revised in 2024 [loader] same title and pledger as row 2 (value "
                        "'USD 5 million'): counted separately; if one revises the other, "
                        "keep one")
    assert pd.isna(notes[1]) and pd.isna(notes[3])
    assert r.quarantine["reasons"].tolist() == ["exact duplicate: of row 2"]
    # read again from its own export, a row does not say it twice
    out = tmp_path / "out.csv"
    from p2c_analysis.pledges import check_pledges_cli

    assert check_pledges_cli(_csv(tmp_path, text, "again.csv"), out=out) == 0
    again = load_pledges(out)
    assert again.valid["notes"].tolist()[:3] == notes[:3]


def test_an_ambiguous_country_short_name_is_read_as_before_and_noted(tmp_path: Path) -> None:
    """``Congo`` and ``Korea`` in a country cell were read as the Republic of the Congo and
    the Republic of Korea without a word, though they may mean the DR Congo or DPR Korea.
    The reading is unchanged and the row's notes name it and the alternative, in whichever
    country cell the name stands (also in a list, or in a region cell naming a country);
    a full name or a code is not noted."""
    text = ("title,pledger,entity_country,target_countries,target_regions\n"
            "A,X,Korea,Ghana and Congo; DR Congo,\n"
            "B,X,Ghana,\"Congo, Dem. Rep.\",Congo\n"
            "C,X,KOR,Republic of the Congo; COD,\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert v.loc["A", "entity_country"] == "KOR"
    assert v.loc["A", "target_countries"] == ["GHA", "COG", "COD"]
    assert v.loc["B", "target_countries"] == ["COD", "COG"]
    assert v.loc["A", "notes"] == (
        "[loader] 'Korea' in entity_country read as the Republic of Korea (KOR), not the "
        "Democratic People's Republic of Korea (PRK): if that was meant, write DPR Korea or "
        "PRK; 'Congo' in target_countries read as the Republic of the Congo (COG), not the "
        "Democratic Republic of the Congo (COD): if that was meant, write DR Congo or COD")
    assert v.loc["B", "notes"].endswith(
        "'Congo' in target_regions read as the Republic of the Congo (COG), not the "
        "Democratic Republic of the Congo (COD): if that was meant, write DR Congo or COD")
    assert pd.isna(v.loc["C", "notes"])


def test_a_quantity_of_things_in_the_value_cell_keeps_the_pledge_with_no_usd(
        tmp_path: Path) -> None:
    """``100,000 SIM cards`` in a value cell set the pledge aside as "cannot convert to USD:
    unknown currency 'SIM'": a real pledge dropped from the counts for a wrong reason. It is
    kept with no USD value and a note saying why (the source's own USD figure, when given,
    is the value); a code used as money (``XYZ 5 million``, ``ABC 100,000``) is still set
    aside as an unknown currency."""
    text = ("title,pledger,value_as_stated,estimated_value_usd,announced_date\n"
            "SIMs,Org A,\"100,000 SIM cards\",,2023-05-01\n"
            "SIMs valued,Org B,5 million SIM cards,250000,2023-05-01\n"
            "Odd money,Org C,XYZ 5 million,,2023-05-01\n"
            "Odd money 2,Org D,\"ABC 100,000\",,2023-05-01\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert list(v.index) == ["SIMs", "SIMs valued"]
    assert pd.isna(v.loc["SIMs", "estimated_value_usd"]) and pd.isna(v.loc["SIMs", "currency"])
    assert v.loc["SIMs", "notes"] == ("[loader] value '100,000 SIM cards' is not an amount of "
                                      "money ('SIM cards' counts things): no USD value counted")
    assert v.loc["SIMs valued", "estimated_value_usd"] == 250_000
    assert v.loc["SIMs valued", "notes"].endswith(
        "('SIM cards' counts things): the source's estimated_value_usd is used")
    assert [re.sub(r" \(not in .*", "", x) for x in r.quarantine["reasons"]] == [
        "cannot convert to USD: unknown currency 'XYZ'",
        "cannot convert to USD: unknown currency 'ABC'"]


def test_a_number_of_things_in_lower_case_keeps_the_pledge_with_no_usd(tmp_path: Path) -> None:
    """``500 laptops``, ``10 million people`` set the pledge aside as "unparseable value": a
    valid pledge stating no money dropped out of counts and targeting. It is kept with no USD
    value, noted as ``100,000 SIM cards`` is; a word that may be a currency the parser does
    not know (``2 billion shillings``) is still set aside with its reason; money beside things
    is the money; ``2m USD x 4 years`` is 8 million and ``2m XYZ x 4 years`` is set aside
    naming the currency."""
    text = ("title,pledger,value_as_stated,estimated_value_usd,announced_date\n"
            "Laptops,Org A,500 laptops,,2023-05-01\n"
            "People,Org B,10 million people,300000,2023-05-01\n"
            "Shillings,Org C,2 billion shillings,,2023-05-01\n"
            "Mixed,Org D,\"USD 5 million and 1,000 laptops\",,2023-05-01\n"
            "Times,Org E,2m USD x 4 years,,2023-05-01\n"
            "Odd times,Org F,2m XYZ x 4 years,,2023-05-01\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert list(v.index) == ["Laptops", "People", "Mixed", "Times"]
    assert pd.isna(v.loc["Laptops", "estimated_value_usd"])
    assert pd.isna(v.loc["Laptops", "currency"])
    assert v.loc["Laptops", "notes"] == ("[loader] value '500 laptops' is not an amount of "
                                         "money ('laptops' counts things): no USD value counted")
    assert v.loc["People", "estimated_value_usd"] == 300_000
    assert v.loc["People", "notes"].endswith(
        "('people' counts things): the source's estimated_value_usd is used")
    assert v.loc["Mixed", "estimated_value_usd"] == 5e6
    assert "'1,000 laptops' counts things, not money: not counted" in v.loc["Mixed", "notes"]
    assert v.loc["Times", "estimated_value_usd"] == 8e6
    q = r.quarantine.set_index("source_row")["reasons"]  # rows 4 and 7 of the file
    assert q[4] == ("unparseable value: '2 billion shillings' in value_as_stated "
                              "('shillings' next to the amount is no known currency or scale: "
                              "write e.g. USD 5 million)")
    assert q[7].startswith("cannot convert to USD: unknown currency 'XYZ'")
    assert list(q.index) == [4, 7]


@pytest.mark.parametrize(("text", "other"), [
    ("Central Africa", "ECCAS"), ("APAC", "UN ESCAP's Asia and the Pacific"),
    ("North Africa", "without Sudan"), ("Central America", "without Mexico"),
    ("Caribbean", "CARICOM"), ("East and Southern Africa", "World Bank's or UNICEF's"),
    ("West and Central Africa", "Angola not"), ("Central America and the Caribbean", "SICA"),
    ("Central and South America", "without Mexico, and South America")])
def test_a_region_others_draw_otherwise_is_noted_in_a_pledge_file(
        tmp_path: Path, text: str, other: str) -> None:
    """"Central Africa" (M49 Middle Africa), "APAC" (ITU-D Asia & Pacific), and "North Africa"
    (Sudan and Western Sahara in), "Central America" (Mexico in) and "Caribbean" (Cuba and
    the territories in, not CARICOM) were read one way of several with nothing in the
    pledge's notes; each now says its reading and the other one, in a region cell and in a
    country cell naming a region, and resolves as before. "East and Southern Africa" and
    "West and Central Africa" were set aside as unknown regions; they are read as the two M49
    regions together, noted so (the World Bank's and UNICEF's regions of those names
    differ); so are "Central America and the Caribbean" and "Central and South America",
    which were unknown regions while each half was read."""
    entry = countries.ambiguous_region_reading(text)
    csv_text = f"title,pledger,target_countries,target_regions\nA,X,,{text}\nB,X,{text},\n"
    v = load_pledges(_csv(tmp_path, csv_text)).valid.set_index("title")
    for title, where in (("A", "target_regions"), ("B", "target_countries")):
        assert v.loc[title, "target_regions"] == [countries.resolve_region(text)]
        notes = v.loc[title, "notes"]
        assert notes.startswith("[loader] ") and notes.endswith(entry.note(text, f" in {where}"))
        assert other in notes


def test_a_region_name_read_one_way_of_several_says_so_in_the_notes(tmp_path: Path) -> None:
    """``Pacific Islands`` was read as UN Oceania (Australia and New Zealand took most of a
    Pacific pledge's money); ``Pacific``, ``Africa``, ``Asia`` and ``Middle East`` were read
    one way of several without a word. ``Pacific Islands`` is now the Pacific island
    countries and territories; the others read as before, and the row's notes say which
    reading was taken and what to write for the other (``region_aliases.csv``: read_as,
    alternative, if_meant), in a region cell and in a country cell naming a region; a name
    that says which group (``UN Africa``, ``Asia-Pacific``) is not noted."""
    text = ("title,pledger,target_countries,target_regions\n"
            "A,X,,Pacific Islands\n"
            "B,X,,Pacific\n"
            "C,X,,Middle East; Africa; Asia\n"
            "D,X,Africa,\n"
            "E,X,,UN Africa; Asia-Pacific\n")
    v = load_pledges(_csv(tmp_path, text)).valid.set_index("title")
    assert v.loc["A", "target_regions"] == ["Pacific Islands"] and pd.isna(v.loc["A", "notes"])
    assert v.loc["B", "target_regions"] == ["UN Oceania"]
    assert v.loc["B", "notes"] == (
        "[loader] 'Pacific' in target_regions read as the UN M49 region Oceania (Australia and "
        "New Zealand included), not the Pacific island countries and territories: if that was "
        "meant, write 'Pacific Islands'")
    assert v.loc["C", "target_regions"] == ["Western Asia", "Africa", "UN Asia"]
    notes_c = v.loc["C", "notes"]
    assert notes_c.startswith("[loader] 'Middle East' in target_regions read as the UN M49 "
                              "sub-region Western Asia")
    assert ("'Africa' in target_regions read as the ITU-D region Africa (without North Africa, "
            "Sudan, Somalia") in notes_c and "write 'UN Africa'" in notes_c
    assert "'Asia' in target_regions read as the UN M49 region Asia" in notes_c
    assert "write 'Asia-Pacific'" in notes_c
    assert v.loc["D", "target_regions"] == ["Africa"]
    assert "'Africa' in target_countries read as the ITU-D region Africa" in v.loc["D", "notes"]
    assert pd.isna(v.loc["E", "notes"])


def test_pledgers_are_counted_as_a_reader_counts_them():
    """pledge_landscape said "from 3 pledgers" of a file naming "Org A", "org a" and "Org B":
    names that differ only in case, punctuation or spacing are one pledger."""
    from p2c_analysis.pledges import n_pledgers

    df = pd.DataFrame({"pledger": pd.array(["Org A", "org a", "ORG  A.", "Org B", None, " "],
                                           dtype="string")})
    assert n_pledgers(df) == 2
    assert n_pledgers(df.iloc[:0]) == 0 and n_pledgers(pd.DataFrame({"x": [1]})) == 0
    assert n_pledgers(pd.DataFrame({"pledger": ["Intl. Telecommunication Union", "ITU"]})) == 2
    public = load_pledges(paths.PUBLIC_PLEDGES).valid  # the bundled record: as they stand
    assert n_pledgers(public) == public["pledger"].nunique()


def test_header_repeated_mid_file_is_set_aside_as_a_repeated_header(tmp_path: Path) -> None:
    """Two exports pasted together: the second one's header row is set aside with one reason
    that says what it is, not a list of 'unknown country: entity_country' and the like; the
    rows under it are read as usual."""
    p = tmp_path / "pasted.csv"
    header = "title,pledger,entity_country,focus_areas,announced_date"
    p.write_text(f"{header}\nFibre,Orange,FRA,ACCESS,2023-05-01\n"
                 f"Title, PLEDGER ,entity_country,focus_areas,announced_date\n"
                 "Towers,MTN,ZAF,ACCESS,2023-06-01\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["Fibre", "Towers"]
    assert r.quarantine["source_row"].tolist() == [3]
    reasons = r.quarantine["reasons"].iloc[0]
    assert reasons.startswith("repeated header:") and "row 1" in reasons
    assert "unknown" not in reasons
    assert r.reason_counts().to_dict() == {"repeated header": 1}


def test_mapping_naming_a_chart_sheet_says_it_is_a_chart(tmp_path: Path) -> None:
    """A workbook with a chart on its own tab, and a mapping naming that tab: one line saying
    the sheet is a chart and which sheets have cells (it said 'not a readable XLSX workbook
    (AttributeError)')."""
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    ws = wb.active
    ws.title = "Pledges"
    ws.append(["title", "pledger", "estimated_value_usd"])
    ws.append(["Fibre", "Orange", 100])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=2), titles_from_data=True)
    wb.create_chartsheet("Chart").add_chart(chart)
    book = tmp_path / "with_chart.xlsx"
    wb.save(book)
    mapping = tmp_path / "m.toml"
    mapping.write_text('sheet = "Chart"\n', encoding="utf-8")
    with pytest.raises(PledgeFileError, match=r"with_chart\.xlsx: sheet 'Chart' is a chart, "
                                              r"not a table of cells \(sheets with cells: "
                                              r"Pledges\)$"):
        load_pledges(book, mapping=mapping)
    assert load_pledges(book).valid["title"].tolist() == ["Fibre"]  # the table is read


def test_accents_composed_or_not_and_invisible_characters_make_no_second_pledge(
        tmp_path: Path) -> None:
    """The same row with 'é' written as one character and as 'e' plus an accent (NFD, as
    macOS and PDFs give it), and a pledger with a zero-width space pasted from a web page:
    they read as the texts they show, so the twins are exact duplicates (they were counted
    as two pledges by two pledgers each); the raw row keeps the cells as written."""
    import unicodedata

    from p2c_analysis.pledges import n_pledgers

    header = "title,pledger,entity_country,focus_areas,announced_date,estimated_value_usd\n"
    row = "Fibre pour tous,Société Générale,FRA,ACCESS,2023-05-01,100\n"
    zw = "Towers,MTN\u200b Group,ZAF,ACCESS,2023-05-01,200\n"
    p = tmp_path / "twins.csv"
    p.write_text(header + row + unicodedata.normalize("NFD", row) + zw
                 + zw.replace("\u200b", ""), encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["pledger"].tolist() == ["Société Générale", "MTN Group"]
    assert r.quarantine["source_row"].tolist() == [3, 5]
    assert r.quarantine["reasons"].str.startswith("exact duplicate").all()
    raw = json.loads(r.quarantine["raw"].iloc[0])
    assert raw["pledger"] == unicodedata.normalize("NFD", "Société Générale")
    assert n_pledgers(r.valid) == 2


def test_spreadsheet_error_values_in_any_column_set_the_row_aside(tmp_path: Path) -> None:
    """'#N/A' (a lookup that failed) as the pledger or '#REF!' as the title was read as a
    name and the pledge counted; '#N/A' as a country was an 'unknown country'. Each such
    cell now sets its row aside as a spreadsheet error naming the column, once."""
    p = tmp_path / "lookups.csv"
    p.write_text("title,pledger,entity_country,focus_areas,description\n"
                 "Fibre,#N/A,FRA,ACCESS,#VALUE!\n"
                 "#REF!,Orange, #n/a ,ACCESS,d\n"
                 "Towers,MTN,ZAF,ACCESS,d\n", encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["Towers"]
    reasons = dict(zip(r.quarantine["source_row"], r.quarantine["reasons"], strict=True))
    assert reasons[2] == ("spreadsheet error: '#N/A' in pledger (a formula's error, not a "
                          "value); spreadsheet error: '#VALUE!' in description (a formula's "
                          "error, not a value)")
    assert reasons[3].count("spreadsheet error") == 2
    assert "'#REF!' in title" in reasons[3] and "'#n/a' in entity_country" in reasons[3]
    assert "unknown" not in reasons[3]
    assert r.reason_counts().to_dict() == {"spreadsheet error": 2}


def test_a_hidden_sheet_with_pledges_is_named_not_read(tmp_path: Path) -> None:
    """A workbook whose older pledges sit on a hidden sheet: the visible sheet is read, and
    the hidden one is named among the sheets with pledge columns not read (it was left out
    without a word); a hidden helper sheet without pledge columns is not named."""
    book = _workbook(tmp_path / "years.xlsx", {
        "2025": [["title", "pledger", "entity_country"], ["Old fibre", "Orange", "FRA"]],
        "codes": [["iso3", "name"], ["FRA", "France"]],
        "2026": [["title", "pledger", "entity_country"], ["New fibre", "MTN", "ZAF"]],
    }, hidden=("2025", "codes"))
    r = load_pledges(book)
    assert r.sheet == "2026" and r.valid["title"].tolist() == ["New fibre"]
    assert r.other_sheets == ["2025 (hidden)"]


def test_cells_quoted_for_a_formula_after_spaces_read_back_as_their_text(tmp_path: Path) -> None:
    """' =cmd (a formula after a space, quoted on export) read back with its quote."""
    from p2c_analysis.pledges import _unneutralised

    assert _unneutralised("' =HYPERLINK(1)") == " =HYPERLINK(1)"
    assert _unneutralised("'\uff1d1+1") == "\uff1d1+1"
    assert _unneutralised("' plain") == "' plain"  # a quote the export did not add stays


def test_a_quote_never_closed_in_the_last_row_sets_it_aside(tmp_path: Path) -> None:
    """A file cut inside a quoted cell ('...,"Ghana adds money' at its end) gave a valid
    pledge titled 'Schools online,Beta,USD 2 million,UGA' with no pledger, value or
    countries: the quote swallowed the rest of the line without a word. The row is now set
    aside, its raw text kept; a quote inside a cell (5" cable) is still read."""
    head = "title,pledger,value_as_stated,target_countries_iso3\n"
    fine = "Fibre for all,Acme,USD 5 million,KEN\n"
    cut = tmp_path / "cut.csv"
    cut.write_text(head + fine + '"Schools online,Beta,USD 2 million,UGA\n')
    r = load_pledges(cut)
    assert r.valid["title"].tolist() == ["Fibre for all"]
    assert r.quarantine["source_row"].tolist() == [3]
    assert r.quarantine["reasons"].tolist() == [
        "unclosed quote: a quote opened in line 3 is never closed (the file ends inside it), "
        "so the rest of line 3 was read as one cell; close the quote and load the file again"]
    assert "Schools online,Beta" in r.quarantine["raw"].iloc[0]
    # over several lines, none a row by itself: set aside too, its lines named
    cut.write_text(head + fine + 'Towers,Beta,USD 2 million,"UGA\nand more\n')
    r = load_pledges(cut)
    assert r.valid["title"].tolist() == ["Fibre for all"]
    assert r.quarantine["reasons"].str.startswith(
        "unclosed quote: a quote opened in line 3 is never closed, so lines 3-4 were read as "
        "one cell").tolist() == [True]
    # control: a lone quote inside a cell, and a closed multi-line cell, are read
    cut.write_text(head + fine + 'Fibre 5" cable,Beta,USD 2 million,UGA\n'
                   'Towers,Gamma,USD 1 million,"UGA,\nKEN"\n')
    r = load_pledges(cut)
    assert r.quarantine.empty
    assert r.valid["title"].tolist() == ["Fibre for all", 'Fibre 5" cable', "Towers"]


def test_a_date_with_points_is_read_day_first_and_noted(tmp_path: Path) -> None:
    """``01.05.2023`` was set aside as an ``ambiguous date``; it is 1 May 2023, noted, while
    ``01/05/2023`` is still set aside and ``13.05.2023`` (one reading only) has no note."""
    p = _csv(tmp_path, "title,pledger,announced_date,last_report_date\n"
                       "A,X,01.05.2023,02.03.2024\nB,Y,01/05/2023,\nC,Z,13.05.2023,\n")
    r = load_pledges(p)
    assert r.valid["title"].tolist() == ["A", "C"]
    a, c = r.valid.iloc[0], r.valid.iloc[1]
    assert a["announced_date"] == pd.Timestamp(2023, 5, 1)
    assert a["last_report_date"] == pd.Timestamp(2024, 3, 2)
    assert "announced_date: date '01.05.2023' read as day.month.year" in a["notes"]
    assert "2023-05-01, not 2023-01-05" in a["notes"]
    assert "last_report_date: date '02.03.2024'" in a["notes"]
    assert c["announced_date"] == pd.Timestamp(2023, 5, 13) and pd.isna(c["notes"])
    assert r.quarantine["reasons"].iloc[0].startswith("ambiguous date: '01/05/2023'")


def test_counts_of_places_are_kept_with_no_usd_value_like_5_countries(tmp_path: Path) -> None:
    """``5 LDCs``, ``five countries``, ``10 SIDS`` set their rows aside as unparseable values
    while ``5 countries`` was kept with no USD value and a note: all are kept so now; a
    number word with an unknown word (``five widgets``) is still set aside."""
    cells = ["5 LDCs", "five countries", "10 SIDS", "3 island states", "5 countries",
             "4 least developed countries", "five widgets"]
    text = "title,pledger,value_as_stated\n" + "".join(
        f"T{i},Org {i},{c}\n" for i, c in enumerate(cells))
    r = load_pledges(_csv(tmp_path, text))
    assert r.valid["title"].tolist() == [f"T{i}" for i in range(6)]
    assert r.valid["estimated_value_usd"].isna().all()
    things = ["LDCs", "countries", "SIDS", "island states", "countries",
              "least developed countries"]
    for (_, row), cell, what in zip(r.valid.iterrows(), cells, things, strict=False):
        assert row["notes"] == (f"[loader] value {cell!r} is not an amount of money "
                                f"({what!r} counts things): no USD value counted")
    assert r.quarantine["source_row"].tolist() == [8]
    assert r.quarantine["reasons"].iloc[0].startswith("unparseable value: 'five widgets'")


def test_a_mapped_header_the_file_has_twice_is_refused_naming_both_columns(
        tmp_path: Path) -> None:
    """A mapping naming ``Entity`` in a file with two ``Entity`` columns read the first
    (column B) and listed the second as ``Entity.1`` among the columns not read: its
    pledgers were lost without a word. The file is refused in one line naming the file,
    the header and both columns (as it is with no mapping); naming ``Entity.1`` reads the
    second, and a header twice that the mapping does not name is no problem."""
    src = _csv(tmp_path, "Title,Entity,Entity,Notes,notes\nA,Org1,Org2,x,y\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\ntitle = "Title"\npledger = "entity"\n', encoding="utf-8")
    with pytest.raises(PledgeFileError) as err:
        load_pledges(src, mapping=mapping)
    assert str(err.value) == (
        f"{src}: mapping names column 'entity' for pledger, a header the file has 2 times "
        "(columns B, C): rename all but one in the file, or name 'Entity.1' for column C in "
        "the mapping")
    mapping.write_text('[columns]\ntitle = "Title"\npledger = "Entity.1"\n', encoding="utf-8")
    r = load_pledges(src, mapping=mapping)
    assert r.valid["pledger"].tolist() == ["Org2"]
    assert r.unused_columns == ["Entity", "Notes", "notes"]


def test_a_note_under_the_table_is_set_aside_not_read_as_a_pledge(tmp_path: Path) -> None:
    """An export's footnote (``Source: ITU`` in the first column, below a blank row) was read
    as a valid pledge titled "Source: ITU". Each one-cell row below a blank row after the last
    row of two cells or more is set aside as a note under the table, kept with its reason; a
    pledge with its title alone among the others, or right under them, is still read."""
    text = ("title,pledger,value_as_stated\n"
            "A,Org A,USD 1m\n"
            "Title only,,\n"
            "B,Org B,USD 2m\n"
            "Right under,,\n"
            ",,\n"
            "Source: ITU,,\n"
            ",,\n"
            ",Values in USD,\n")
    r = load_pledges(_csv(tmp_path, text))
    assert r.n_read == 6 and r.conserved
    assert r.valid["title"].tolist() == ["A", "Title only", "B", "Right under"]
    assert r.quarantine["source_row"].tolist() == [7, 9]
    assert r.quarantine["reasons"].tolist() == [
        f"note under the table: {cell!r} (one cell alone below a blank row after the last "
        "pledge, not a pledge)" for cell in ("Source: ITU", "Values in USD")]
    only = load_pledges(_csv(tmp_path, "title\nA\n\nB\n", "titles.csv"))
    assert only.valid["title"].tolist() == ["A", "B"]  # no row of two cells: no notes


def test_a_country_with_a_remark_in_parentheses_is_read_and_the_remark_noted(
        tmp_path: Path) -> None:
    """``Ghana (via partners)`` set its row aside as an unknown country: the countries before
    a closing remark in parentheses are read when all of them are countries, and the note
    keeps the remark; a remark after an unknown name is still an unknown country."""
    text = ("title,pledger,entity_country,target_countries\n"
            "A,X,Ghana (HQ),\"Kenya, Uganda (phase 1)\"\n"
            "B,Y,,Atlantis (planned)\n")
    r = load_pledges(_csv(tmp_path, text))
    a = r.valid.set_index("title").loc["A"]
    assert a["entity_country"] == "GHA" and a["target_countries"] == ["KEN", "UGA"]
    assert "entity_country: 'Ghana (HQ)' read as GHA; the remark in parentheses is kept" \
        in a["notes"]
    assert "target_countries: 'Kenya, Uganda (phase 1)' read as KEN, UGA" in a["notes"]
    assert r.quarantine["reasons"].tolist() == [
        "unknown country: 'Atlantis (planned)' in target_countries"]


def test_etc_after_countries_and_all_before_a_group_are_read_with_a_note(
        tmp_path: Path) -> None:
    """'Ghana etc.', 'All LDCs' and 'Micronesia (Fed. States of)' set their rows aside as
    unknown countries. Now 'Ghana etc.' is Ghana, noting that 'etc.' names no further
    country; 'All LDCs' is the group LDC (noted as a region in the country cell);
    Micronesia's abbreviated UN name is FSM with neither a remark nor a sub-region note.
    'Atlantis etc.' is still an unknown country."""
    text = ("title,pledger,target_countries\n"
            "A,X,Ghana etc.\n"
            "B,X,All LDCs\n"
            "C,X,Micronesia (Fed. States of)\n"
            "D,X,Atlantis etc.\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert v.loc["A", "target_countries"] == ["GHA"]
    assert ("target_countries: 'Ghana etc.' read as GHA; 'etc.' names no further country"
            in v.loc["A", "notes"])
    assert v.loc["B", "target_countries"] == [] and v.loc["B", "target_regions"] == ["LDC"]
    assert "target country cell names a region: 'All LDCs' -> LDC" in v.loc["B", "notes"]
    assert v.loc["C", "target_countries"] == ["FSM"]
    assert pd.isna(v.loc["C", "notes"])  # no remark kept, no sub-region reading noted
    assert r.quarantine["reasons"].tolist() == [
        "unknown country: 'Atlantis etc.' in target_countries"]


def test_a_formula_quoted_after_a_semicolon_reads_back_as_its_text(tmp_path: Path) -> None:
    """A CSV export quotes a formula after a ';' inside a cell (x;=cmd -> x;'=cmd, for
    semicolon-locale spreadsheets); reading the export back gave x;'=cmd. The quote is taken
    off where the export adds one, and only there."""
    from p2c_analysis.pledges import _unneutralised

    assert _unneutralised("x;'=cmd") == "x;=cmd"
    assert _unneutralised("'=a;' =b\t'+c") == "=a; =b\t+c"
    assert _unneutralised("a; '=b") == "a; '=b"  # not where the export puts its quote
    assert _unneutralised("a;'b") == "a;'b"  # a quote the export did not add stays
    assert _unneutralised("a;'-3") == "a;'-3"  # the export leaves a plain number unquoted
    table = pd.DataFrame({"title": ["Fibre;=cmd|' /C calc'!A0"], "pledger": ["Orange"],
                          "entity_country": ["FRA"]})
    path = export.write_csv(table, tmp_path / "p.csv")
    assert "Fibre;'=cmd" in path.read_text(encoding="utf-8")
    assert load_pledges(path).valid["title"].tolist() == ["Fibre;=cmd|' /C calc'!A0"]


def test_and_others_after_countries_is_read_like_etc_with_a_note(tmp_path: Path) -> None:
    """'Ghana and others', 'Ghana, Kenya and other countries' and 'Ghana, among others' set
    their rows aside as unknown countries, while 'Ghana etc.' was Ghana with a note. They are
    now read like it, the note quoting the words that name no further country; those words
    alone name no country (noted), and 'Atlantis and others' is still an unknown country."""
    text = ("title,pledger,target_countries,entity_country\n"
            "A,X,Ghana and others,\n"
            'B,X,"Ghana, Kenya and other countries",\n'
            'C,X,"Ghana, among others",Kenya and others\n'
            "D,X,Ghana; and others,\n"
            "E,X,Atlantis and others,\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert v.loc["A", "target_countries"] == ["GHA"]
    assert ("target_countries: 'Ghana and others' read as GHA; 'and others' names no further "
            "country (name the countries meant to count them)" in v.loc["A", "notes"])
    assert v.loc["B", "target_countries"] == ["GHA", "KEN"]
    assert ("target_countries: 'Ghana, Kenya and other countries' read as GHA, KEN; 'and "
            "other countries' names no further country" in v.loc["B", "notes"])
    assert v.loc["C", "target_countries"] == ["GHA"] and v.loc["C", "entity_country"] == "KEN"
    assert "'Ghana, among others' read as GHA; 'among others' names" in v.loc["C", "notes"]
    assert ("entity_country: 'Kenya and others' read as KEN; 'and others' names no further "
            "country" in v.loc["C", "notes"])
    assert v.loc["D", "target_countries"] == ["GHA"]
    assert ("target_countries: 'and others' names no country: not read"
            in v.loc["D", "notes"])
    assert r.quarantine["reasons"].tolist() == [
        "unknown country: 'Atlantis and others' in target_countries"]


def test_a_number_before_a_region_alone_keeps_the_pledge_with_no_value_and_a_note(
        tmp_path: Path) -> None:
    """'5 Africa' in value_as_stated was noted as "'Africa' counts things", a count of
    places it does not state. Like '5 countries' the pledge is kept with no USD value, but
    the note says the value is unclear and why; the source's estimated_value_usd, when
    given, is the value."""
    text = ("title,pledger,value_as_stated,estimated_value_usd\n"
            "A,X,5 Africa,\n"
            "B,X,5 Africa,2000000\n"
            "C,X,5 countries,\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert r.quarantine.empty
    assert pd.isna(v.loc["A", "estimated_value_usd"])
    assert v.loc["A", "notes"] == (
        "[loader] value '5 Africa' is no clear amount of money ('5 Africa' is a number before "
        "the region 'Africa' with no currency, scale or word of what it counts: write e.g. 5 "
        "countries or USD 5 million): no USD value counted")
    assert v.loc["B", "estimated_value_usd"] == 2_000_000
    assert "the source's estimated_value_usd is used" in v.loc["B", "notes"]
    assert v.loc["C", "notes"] == ("[loader] value '5 countries' is not an amount of money "
                                   "('countries' counts things): no USD value counted")


def test_text_cells_drop_the_invisible_characters_column_names_are_matched_without(
        tmp_path: Path) -> None:
    """A text cell lost only zero-width spaces, word joiners and BOMs, while a column name
    lost every invisible format character: a pledger with a soft hyphen or a left-to-right
    mark pasted in ('MTN\\u00ad Group', 'MTN Group\\u200e') was a second pledger and its row
    no duplicate of its twin. Cells now drop the same characters as column names
    (fields.without_invisible), so the twins are exact duplicates; the raw row keeps the
    cell as written."""
    header = "title,pledger,entity_country,focus_areas,announced_date,estimated_value_usd\n"
    row = "Towers,MTN Group,ZAF,ACCESS,2023-05-01,200\n"
    p = tmp_path / "twins.csv"
    p.write_text(header + row + row.replace("MTN ", "MTN\u00ad ")
                 + row.replace("Group", "Group\u200e"), encoding="utf-8")
    r = load_pledges(p)
    assert r.valid["pledger"].tolist() == ["MTN Group"]
    assert r.quarantine["source_row"].tolist() == [3, 4]
    assert r.quarantine["reasons"].str.startswith("exact duplicate").all()
    assert json.loads(r.quarantine["raw"].iloc[0])["pledger"] == "MTN\u00ad Group"
    for name in ("\u00adpledger", "pled\u200dger", "pledger\u200e", "\ufeffpledger"):
        assert fields.normalise_column(name) == "pledger"



def test_text_cells_keep_the_joiners_a_script_or_an_emoji_needs(tmp_path: Path) -> None:
    """Text cells dropped every format character, as column names do: the zero-width
    non-joiner of Persian spelling (می\u200cخواهم), the joiner of an emoji sequence
    (a technologist, 👩\u200d💻) and the tag characters of a subdivision's flag were
    taken out of pledge titles, changing the words. They stay; a soft hyphen or a
    direction mark still goes."""
    persian = "می\u200cخواهم"
    emoji = "👩\u200d💻"
    flag = "🏴\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F"
    text = ("title,pledger\n"
            f"{persian},A\n{emoji} skills,B\n{flag} Wales,C\nSoft\u00adware\u200e,D\n")
    v = load_pledges(_csv(tmp_path, text)).valid.set_index("pledger")
    assert v.loc["A", "title"] == persian
    assert v.loc["B", "title"] == f"{emoji} skills"
    assert v.loc["C", "title"] == f"{flag} Wales"
    assert v.loc["D", "title"] == "Software"
    assert fields.normalise_column("pled\u200cger") == "pledger"  # a header: all of them go


def test_a_dotted_date_is_parsed_once_for_its_value_and_its_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader parsed a dotted date (``01.05.2023``) for its value, then again for the
    note on its day-first reading, after looking for the field's name in the wording of the
    row's reasons. The note now comes with the parse: dateutil reads the cell once (twice
    within that parse, with two defaults, to find the precision), and the note is as
    before."""
    calls: list[str] = []
    real = parsing.dateparser.parse

    def counting(text: str, *args: object, **kwargs: object) -> object:
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(parsing.dateparser, "parse", counting)
    r = load_pledges(_csv(tmp_path, "title,pledger,announced_date\nA,X,01.05.2023\n"))
    assert calls == ["01.05.2023", "01.05.2023"]
    assert r.valid["notes"].iloc[0] == (
        "[loader] announced_date: date '01.05.2023' read as day.month.year, the order of a "
        "date with points: 2023-05-01, not 2023-01-05")


def test_a_dollar_sign_with_its_currency_in_a_column_of_its_own_is_that_currency(
        tmp_path: Path) -> None:
    """``$5 million`` with ``CAD`` in the currency column was a currency conflict (``$`` read
    as US dollars) and ``¥500 million`` with ``JPY`` an ambiguous currency: both set aside,
    while ``$5 million CAD`` in one cell was read. A sign that does not fit the column
    (``$`` beside ``EUR``) still sets the row aside."""
    p = _csv(tmp_path, "title,pledger,value_as_stated,currency,announced_date\n"
                       "Canada,Org,$5 million,CAD,2023\nJapan,Org,¥500 million,JPY,2023\n"
                       "One cell,Org,$5 million CAD,,2023\nEuro,Org,$5 million,EUR,2023\n")
    r = load_pledges(p)
    v = r.valid.set_index("title")
    assert v["currency"].to_dict() == {"Canada": "CAD", "Japan": "JPY", "One cell": "CAD"}
    assert v.loc["Canada", "estimated_value_usd"] == v.loc["One cell", "estimated_value_usd"]
    assert v.loc["Canada", "estimated_value_usd"] < 5e6
    assert r.quarantine["reasons"].tolist() == [
        "currency conflict: USD in value_as_stated, EUR in currency"]


def test_a_value_column_headed_with_a_currency_is_in_that_currency(tmp_path: Path) -> None:
    """A column ``Value (€)`` was read as ``value_as_stated`` and its 5,000,000 as USD 5
    million, and ``Value (EUR)`` or ``Amount in KES`` not read at all (the value lost from
    every pledge); the currency of the header is now the rows' currency, unless a currency
    column gives one; a cell naming another currency is a conflict."""
    for header, code in [("Value (€)", "EUR"), ("Value (EUR)", "EUR"),
                         ("Amount in KES", "KES"), ("Pledge value (GBP)", "GBP")]:
        r = load_pledges(_csv(tmp_path, f"title,pledger,{header},announced_date\n"
                                        "A,Org,5000000,2023\nB,Org,USD 5 million,2023\n"))
        assert r.columns_used["value_as_stated"] == header and r.unused_columns == []
        assert r.valid["currency"].tolist() == [code], header
        assert r.valid["estimated_value_usd"].iloc[0] != pytest.approx(5e6)
        assert r.quarantine["reasons"].tolist() == [
            f"currency conflict: USD in value_as_stated, {code} in currency"]
    # a mapping naming the column reads it in the header's currency too
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\ntitle = "title"\npledger = "pledger"\nannounced_date = '
                       '"announced_date"\nvalue_as_stated = "Value (EUR)"\n', encoding="utf-8")
    text = "title,pledger,Value (EUR),announced_date\nA,Org,5000000,2023\n"
    assert load_pledges(_csv(tmp_path, text), mapping=mapping).valid["currency"].tolist() == \
        ["EUR"]


@pytest.mark.parametrize("header", ["Value (EUR m)", "Value (USD million)", "Value (TBC)"])
def test_a_value_header_with_a_scale_or_no_currency_is_not_read(tmp_path, header) -> None:
    """``Value (EUR m)`` holds millions: reading its 5 as EUR 5 would be wrong; it stays a
    column not read, listed in the summary, as before."""
    r = load_pledges(_csv(tmp_path, f"title,pledger,{header}\nA,Org,5\n"))
    assert r.unused_columns == [header] and r.valid["estimated_value_usd"].isna().all()


def test_a_currency_column_wins_over_the_currency_of_the_value_header(tmp_path) -> None:
    r = load_pledges(_csv(tmp_path, "title,pledger,value_as_stated,currency,Value (EUR),"
                                    "announced_date\nA,Org,5000000,KES,7,2023\n"))
    assert r.valid["currency"].tolist() == ["KES"] and r.unused_columns == ["Value (EUR)"]


def test_an_amount_with_a_zero_before_its_separator_is_a_decimal_in_either_convention(
        tmp_path: Path) -> None:
    """In a file that writes decimal commas (``EUR 1,5 Mio.``), ``EUR 0,250 Mio.`` was set
    aside as "1,250 or 1.25" would be; no thousands group follows a 0, so it is a quarter
    million, as ``EUR 0.250 Mio.`` is."""
    p = _csv(tmp_path, 'title,pledger,value_as_stated,announced_date\n'
                       'A,Org,"EUR 1,5 Mio.",2023\nB,Org,"EUR 0,250 Mio.",2023\n'
                       'C,Org,"EUR 0.250 Mio.",2023\nD,Org,"EUR 1,250 Mio.",2023\n')
    r = load_pledges(p)
    v = r.valid.set_index("title")["estimated_value_usd"]
    assert v["B"] == pytest.approx(v["C"]) and v["B"] == pytest.approx(v["A"] / 6)
    assert r.quarantine["source_row"].tolist() == [5]  # 1,250: a decimal or thousands


def test_cfa_francs_are_read_by_the_pledgers_currency_union(tmp_path: Path) -> None:
    """``FCFA``/``CFA`` is XOF or XAF (it was an unknown currency, ``CFA 5 million`` even a
    currency ``CFA``): read as XOF for a pledger based in a WAEMU country and XAF in a CEMAC
    one, noted; elsewhere, or with no entity country, set aside naming both."""
    text = ("title,pledger,entity_country,value_as_stated,announced_date\n"
            "West,Org A,Senegal,5 million FCFA,2023-05-01\n"
            "Central,Org B,Cameroun,CFA 5 million,2023-05-01\n"
            "Elsewhere,Org C,Kenya,5 million FCFA,2023-05-01\n"
            "Nowhere,Org D,,5 million FCFA,2023-05-01\n")
    r = load_pledges(_csv(tmp_path, text))
    v = r.valid.set_index("title")
    assert list(v.index) == ["West", "Central"]
    assert (v.loc["West", "currency"], v.loc["Central", "currency"]) == ("XOF", "XAF")
    assert "value_as_stated: 'FCFA' read as XOF: the entity country SEN is in WAEMU" in \
        v.loc["West", "notes"]
    assert "'CFA' read as XAF: the entity country CMR is in CEMAC" in v.loc["Central", "notes"]
    assert r.quarantine["source_row"].tolist() == [4, 5]  # kept whole, with their reason
    assert all(x.startswith("ambiguous currency: 'FCFA' in value_as_stated (XOF") and "XAF" in x
               for x in r.quarantine["reasons"])


def test_a_currency_column_decides_a_cfa_value_written_after_the_amount(tmp_path: Path) -> None:
    text = ("title,pledger,entity_country,value_as_stated,currency,announced_date\n"
            "Col,Org A,Kenya,5 million FCFA,XAF,2023-05-01\n")
    r = load_pledges(_csv(tmp_path, text))
    assert r.valid["currency"].tolist() == ["XAF"]


def test_countries_joined_by_a_plus_and_former_names_are_read(tmp_path: Path) -> None:
    """``Ghana + Kenya`` and ``Zaire; Upper Volta`` set the pledge aside as unknown
    countries."""
    text = ("title,pledger,target_countries,announced_date\n"
            "Plus,Org A,Ghana + Kenya,2023-05-01\n"
            "Old,Org B,Zaire; Upper Volta,2023-05-01\n")
    r = load_pledges(_csv(tmp_path, text))
    assert r.quarantine.empty
    assert r.valid["target_countries"].tolist() == [["GHA", "KEN"], ["COD", "BFA"]]
