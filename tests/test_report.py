"""Report header, tables and prose: untrusted pledge text is always escaped."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from p2c_analysis import fields, metrics, paths, pledges, record, report
from p2c_analysis.params import ParameterError

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def bundled():
    return pledges.load_pledges().valid


def _rendered(markdown_text: str) -> str:
    """What the HTML report shows for a Markdown output (nbconvert's own renderer)."""
    return markdown2html_mistune(markdown_text)


def test_escape_makes_script_plain_text():
    out = report.escape(XSS)
    assert "<script" not in out
    html = _rendered(out)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_escape_blocks_markdown_links_images_and_emphasis():
    html = _rendered(report.escape("[x](javascript:alert(1)) ![i](x.png) *b* _i_ `c`"))
    assert "<a " not in html and "<img" not in html
    assert "<em>" not in html and "<strong>" not in html and "<code>" not in html
    assert "[x](javascript:alert(1))" in html


def test_escape_missing_is_na():
    assert report.escape(None) == "n/a"
    assert report.escape(np.nan) == "n/a"


def test_show_table_escapes_pledge_text(bundled):
    df = bundled.head(3).copy()
    df.loc[df.index[0], "title"] = XSS
    df.loc[df.index[1], "pledger"] = '<img src=x onerror="alert(2)">'
    shown = report.show_table(df, ["pledge_id", "title", "pledger", "estimated_value_usd"])
    html = shown.data
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    # readable headers
    assert "<th>Pledge</th>" in html and "<th>Estimated value (USD)</th>" in html


def test_show_table_escapes_column_names_and_caption():
    df = pd.DataFrame({XSS: ["a"]})
    html = report.show_table(df, caption="<b>cap</b>").data
    assert "<script" not in html and "<b>cap" not in html
    assert "&lt;b&gt;cap&lt;/b&gt;" in html


def test_format_table_units_and_missing_values():
    df = pd.DataFrame(
        {
            "group": ["World", "LDC"],
            "year": [2024, 2024],
            "offline": [2.34e9, np.nan],
            "internet_pct": [71.234, 30.0],
            "estimated_value_usd": [3e9, np.nan],
            "attention_ratio_usd": [0.456, np.nan],
            "focus_areas": [["ACCESS", "ADOPTION"], []],
            "is_global": [True, False],
            "announced_date": [pd.Timestamp("2022-06-07"), pd.NaT],
            "usd_per_offline": [1.234, np.nan],
        }
    )
    t = report.format_table(df)
    row0, row1 = t.iloc[0].to_dict(), t.iloc[1].to_dict()
    assert row0["Year"] == "2024"  # no thousands separator in years
    assert row0["People offline"] == "2.34 bn" and row1["People offline"] == "n/a"
    assert row0["Internet use (%)"] == "71.2%"
    assert row0["Estimated value (USD)"] == "USD 3.00 bn"
    assert row1["Estimated value (USD)"] == "n/a"  # not "USD 0"
    assert row0["Attention ratio (USD)"] == "0.46"
    assert row0["Focus areas"] == "ACCESS; ADOPTION" and row1["Focus areas"] == ""
    assert row0["Global"] == "yes" and row1["Global"] == "no"
    assert row0["Announced"] == "2022-06-07" and row1["Announced"] == "n/a"
    assert row0["USD per offline person"] == "USD 1.23"
    with pytest.raises(KeyError, match="nope"):
        report.format_table(df, ["nope"])


def test_show_table_cuts_long_tables_with_a_note():
    df = pd.DataFrame({"n_countries": range(50)})
    html = report.show_table(df, max_rows=10).data
    assert html.count("<td>") == 10  # one column, 10 rows shown
    assert "40 more rows" in html


def test_header_public_subset_statement(bundled):
    text = report.header_text("Pledges", bundled, None, {"year": 2024, "output_dir": "/x"})
    n = len(bundled)
    assert n == 38
    # 38 of the 1,000 pledges ITU published for May 2025 = 3.8%, i.e. "about 4%"
    assert (f"These are the {n} publicly described pledges bundled with the package, about 4% "
            "of the coalition") in _rendered(text).replace("&#x27;", "'")
    assert "not the full platform" in text
    assert "output_dir" not in text  # runner-owned folder is not a report parameter
    assert "year = 2024" in text
    assert "SYNTHETIC" not in text
    # the same file given by path is still the bundled subset
    assert "publicly described" in report.header_text(None, bundled, str(paths.PUBLIC_PLEDGES))


def test_header_other_file_has_no_subset_statement_and_escapes_its_name(bundled, tmp_path):
    name = tmp_path / "<script>alert(1)<script>.csv"
    text = report.header_text("Pledges", bundled, name, mapping="<b>m</b>.toml")
    html = _rendered(text)
    assert "publicly described" not in text
    assert "<script" not in html and "<b>m" not in html
    assert "&lt;script&gt;alert(1)&lt;script&gt;.csv" in html


@pytest.mark.parametrize("control", ["\u202e", "\u202b", "\u2067", "\u200f"])
def test_a_direction_override_in_a_file_name_does_not_reverse_the_header(bundled, tmp_path,
                                                                          control):
    """A pledge file named ``pledges_<RLO>vsc.xlsx_export.csv`` (a right-to-left override, as
    in the classic ``invoice<RLO>fdp.exe``) was named as it is in the report's "Data used" and
    "Parameters" lines, and the override showed the rest of the line reversed: ``USD 28.7 bn``
    read ``nb 7.82 DSU``. The file's text cells lose such characters when they are read
    (``fields.without_invisible``); the text the report shows now loses them too. Its banner
    text (``escape_html``) likewise."""
    name = tmp_path / f"pledges_{control}vsc.xlsx_export.csv"
    text = report.header_text("Pledges", bundled, name, parameters={"pledges": str(name)})
    assert control not in text and control not in _rendered(text)
    assert "pledges\\_vsc.xlsx\\_export.csv" in text  # named, Markdown-escaped
    assert control not in report.banner(f"file {name}: 38 pledges")
    assert report.escape(f"a{control}b") == report.escape_html(f"a{control}b") == "ab"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a zero-width non-joiner
    assert report.escape(persian) == report.escape_html(persian) == persian  # spelling kept


def test_header_synthetic_banner(bundled):
    """Pledges marked synthetic in the data (not the package's own, whose ids begin SYN-) are
    said to be marked so, not "generated to match the coalition's published 2023 totals"."""
    syn = bundled.copy()
    syn["is_synthetic"] = True
    syn.loc[syn.index[0], "title"] = XSS
    text = report.header_text("Synthetic", syn, None)
    from p2c_analysis.synthetic import SYNTHETIC_NOTICE

    assert report.escape_html(SYNTHETIC_NOTICE) not in text
    assert f"all {len(syn)} pledges are marked synthetic (is_synthetic)" in text
    assert "publicly described" not in text  # synthetic pledges are not the public subset
    assert "<script" not in _rendered(text)


def test_synthetic_notice_claims_the_generator_only_for_its_own_pledges(bundled):
    """A pledge file with 1 row of 2 marked is_synthetic read "SYNTHETIC DATA — not real
    pledges: generated to match the coalition's published 2023 totals" (and pledge_changes
    said it without a count): not true of pledges the package did not make."""
    from p2c_analysis import synthetic

    made = synthetic.make_pledges(5, seed=1)
    own = report.synthetic_notice(made)
    assert own.startswith(synthetic.SYNTHETIC_NOTICE) and "(All 5 pledges are synthetic.)" in own
    mixed = bundled.head(2).copy()
    mixed["is_synthetic"] = [True, False]
    text = report.synthetic_notice(mixed, "the current side")
    assert "2023 totals" not in text and "generated" not in text
    assert text.startswith("SYNTHETIC DATA — 1 of the 2 pledges of the current side is "
                           "marked synthetic (is_synthetic) in the pledge data")
    assert "2023 totals" not in report.header_text("Mixed", mixed, "file.csv")
    assert "1 of the 2 pledges is marked synthetic" in report.header_text("Mixed", mixed,
                                                                           "file.csv")
    # one pledge, or all of them: not "1 of 1 pledges are synthetic", "2 of 2 pledges"
    one = synthetic.make_pledges(1, seed=1)
    assert "(The 1 pledge is synthetic.)" in report.synthetic_notice(one)
    assert report.synthetic_notice(mixed.assign(is_synthetic=True)).startswith(
        "SYNTHETIC DATA — both pledges are marked synthetic")
    assert report.synthetic_notice(mixed.head(1).assign(is_synthetic=True)).startswith(
        "SYNTHETIC DATA — the 1 pledge is marked synthetic")


def test_header_without_pledges_names_connectivity_sources():
    text = report.header_text("Connectivity", parameters={"year": 2024})
    assert "World Bank WDI" in text and "Pledges:" not in text


def test_header_counts(bundled):
    text = report.header_text(None, bundled, None, quarantined=2)
    n_value = int(bundled["estimated_value_usd"].notna().sum())
    n_countries = len({c for cell in bundled["target_countries"] for c in cell})
    assert f"{n_value} state a value" in text
    assert f"targeting {n_countries} countries by name" in text
    assert "2 rows set aside" in text


def test_say_escapes_values_not_template():
    md = report.say("**{n}** pledges, first: {title}", n="3", title=XSS).data
    html = _rendered(md)
    assert "<strong>3</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html


def test_prose_helpers():
    assert report.list_text(["A", "B", "C"]) == "A, B and C"
    assert report.list_text(["A"]) == "A"
    assert report.list_text([]) == "none"
    assert report.plural(1, "pledge") == "1 pledge"
    assert (report.both_or_all(2), report.both_or_all(3), report.both_or_all(2, of_them=True),
            report.both_or_all(5, of_them=True)) == ("both", "all", "both", "all of them")
    assert report.plural(1200, "country", "countries") == "1,200 countries"
    assert report.compare(3.84) == "3.8 percentage points higher than"
    assert report.compare(-0.2) == "0.2 percentage points lower than"
    assert report.compare(0.04) == "the same as"
    assert report.compare(np.nan) == "not comparable with"


def test_write_tables_uses_safe_csv(tmp_path):
    df = pd.DataFrame({"title": ["=HYPERLINK(\"http://x\")", "plain"], "n": [-1.5, 2.0],
                       "focus_areas": [["ACCESS"], []]})
    written = report.write_tables(tmp_path, {"pledges_table": df})
    assert written == [tmp_path / "pledges_table.csv"]
    back = pd.read_csv(written[0])
    assert back.loc[0, "title"].startswith("'=")  # formula neutralised
    assert back.loc[0, "n"] == -1.5  # numbers stay numbers
    assert back.loc[0, "focus_areas"] == "ACCESS"
    with pytest.raises(ValueError, match="plain file name"):
        report.write_tables(tmp_path, {"../escape": df})


def test_write_provenance(tmp_path):
    paths.track(paths.PUBLIC_PLEDGES)
    target = report.write_provenance(tmp_path, {"year": 2024, "as_of": dt.date(2026, 1, 31),
                                                "output_dir": str(tmp_path)})
    files = json.loads(target.read_text())
    assert files == paths.files_read()
    assert files["data/pledges/public_pledges.csv"] == paths.sha256(paths.PUBLIC_PLEDGES)
    params = json.loads((tmp_path / "parameters.json").read_text())
    assert params["as_of"] == "2026-01-31" and params["year"] == 2024
    with pytest.raises(FileNotFoundError, match="does not exist"):
        report.write_provenance(tmp_path / "nope")


@pytest.mark.parametrize("name", ["pledges_table.csv", "columns.csv", "data_files.json",
                                  "parameters.json", "summary.json"])
def test_a_report_never_writes_through_a_link_in_its_output_folder(tmp_path, name):
    """A link left in an output_dir (a shared folder given to a notebook run by hand:
    pledges_table.csv -> a file elsewhere) was followed: the table overwrote the file it
    points to, outside the folder. Now the report stops with one line naming the link, and
    the file pointed to is untouched."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.txt"
    out.mkdir()
    elsewhere.write_text("keep me\n")
    (out / name).symlink_to(elsewhere)
    r = report.Report("Title", {"output_dir": str(out)})
    with pytest.raises(ValueError) as err:
        r._write_quietly(pledges_table=pd.DataFrame({"title": ["=cmd"]}))
        r.finish()
    assert str(err.value) == (f"{out / name}: is a symbolic link; a report writes only inside "
                              "its output folder (remove the link, or give another output_dir)")
    assert elsewhere.read_text() == "keep me\n"


def test_a_report_writes_its_files_where_no_link_is(tmp_path):
    """Control for the test above: the same calls write every file into a plain folder."""
    r = report.Report("Title", {"output_dir": str(tmp_path)})
    r._write_quietly(pledges_table=pd.DataFrame({"title": ["=cmd"]}))
    r.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "columns.csv", "data_files.json", "parameters.json", "pledges_table.csv",
        "summary.json"]


def test_stand_in_copies_are_recorded_and_shown_under_their_original_names(tmp_path,
                                                                           monkeypatch):
    """A Dask worker's scratch copy of an input (and its scratch output folder) is named, in
    data_files.json, parameters.json and the header, as the file and folder it stands for;
    other paths and values are untouched, and a malformed mapping changes nothing."""
    copy, out = tmp_path / "scratch" / "export.csv", tmp_path / "scratch" / "out"
    out.mkdir(parents=True)
    copy.write_text("pledge_id\n1\n")
    original = "/home/staff/exports/export.csv"
    monkeypatch.setattr(paths, "_FILES_READ", {})
    monkeypatch.setenv(paths.NAMES_ENV, json.dumps({
        str(copy.resolve()): original, str(out): "/home/staff/reports/run/x.partial"}))
    paths.track(copy)
    paths.track(paths.PUBLIC_PLEDGES)
    parameters = {"pledges": str(copy.resolve()), "output_dir": str(out), "label": "x"}
    report.write_provenance(out, parameters)
    assert json.loads((out / "data_files.json").read_text()) == {
        original: paths.sha256(copy),
        "data/pledges/public_pledges.csv": paths.sha256(paths.PUBLIC_PLEDGES)}
    assert json.loads((out / "parameters.json").read_text()) == {
        "pledges": original, "output_dir": "/home/staff/reports/run/x.partial", "label": "x"}
    shown = report.header_text(parameters=parameters)
    assert f"pledges = {original}" in shown and str(tmp_path) not in shown
    monkeypatch.setenv(paths.NAMES_ENV, "{not json")
    assert paths.shown(str(copy.resolve())) == str(copy.resolve())
    assert str(copy.resolve()) in paths.files_read()


def test_canonical_columns_all_have_a_readable_name():
    cols = [f.name for f in fields.FIELDS]
    names = [metrics.label(c) for c in cols]
    assert all(n and "_" not in n for n in names)


def test_number_formats_come_from_the_registry():
    assert metrics.kind("attention_ratio_usd") == "ratio"  # not formatted as USD
    assert metrics.kind("usd_per_offline") == "usd_small"
    assert metrics.kind("allocated_usd") == "usd"
    assert metrics.kind("offline_share") == "share"
    assert metrics.kind("internet_pct") == "pct"
    assert metrics.kind("pledges_per_10m_offline") == "ratio"
    t = report.format_table(pd.DataFrame({"pace_usd_per_year": [9.0e9], "target_year": [2026],
                                          "unregistered": [1234.56]}))
    assert t.iloc[0].tolist() == ["USD 9.00 bn", "2026", "1,234.6"]
    assert list(t.columns) == ["Pace (USD per year)", "Target year", "Unregistered"]


def test_a_table_may_rename_a_header_for_its_context():
    t = report.format_table(pd.DataFrame({"category": ["ACCESS"], "pledges": [3]}),
                            labels={"category": "Focus area"})
    assert list(t.columns) == ["Focus area", "Pledges"]


def test_empty_output_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = pd.DataFrame({"a": [1]})
    assert report.write_tables("", {"t": df}) == []
    assert report.write_provenance("", {"year": 2024}) is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):  # a bad table name is refused even when nothing is written
        report.write_tables("", {"../escape": df})


def test_format_table_refuses_an_unknown_number_kind():
    with pytest.raises(ValueError, match="unknown number kind 'money'"):
        report.format_table(pd.DataFrame({"a": [1.5]}), kinds={"a": "money"})


def test_header_is_header_text_as_markdown():
    kwargs = {"title": "<b>T</b>", "parameters": {"year": 2024}}
    shown = report.header(**kwargs).data
    assert "&lt;b&gt;T&lt;/b&gt;" in shown and "year = 2024" in shown
    # same text but for the render minute, which may tick between the two calls
    assert shown.splitlines()[:-1] == report.header_text(**kwargs).splitlines()[:-1]


# --- report.start, Report.write, Report.finish ------------------------------------------------
def test_start_validates_loads_and_shows_the_header(tmp_path, capsys):
    r = report.start("Data for {year}, {country_name}", pledges="", mapping="", year="2023",
                     country="kenya", allocation="Equal", output_dir=str(tmp_path))
    assert (r.year, r.country, r.allocation, r.title) == (2023, "KEN", "equal",
                                                         "Data for 2023, Kenya")
    # pledges "" = the bundled public record as known today (both pledge files, evidence)
    assert len(r.pledges) == len(record.public_record(None).pledges) > len(
        pledges.load_pledges().valid)
    assert r.record is not None and "status_source" in r.pledges
    assert r.loaded.n_read == len(r.pledges) + len(r.loaded.quarantine)
    with pytest.raises(AttributeError, match="no parameter or attribute 'method'"):
        r.method  # noqa: B018
    with pytest.raises(ParameterError, match="'year': 1990"):
        report.start(None, year=1990)


@pytest.mark.parametrize(("given", "iso3", "said"), [
    ("Congo", "COG", "'Congo' read as the Republic of the Congo (COG), not the Democratic "
                     "Republic of the Congo (COD): if that was meant, write DR Congo or COD"),
    ("COG", "COG", "'Congo' read as the Republic of the Congo (COG)"),  # shown as "Congo"
    ("Korea", "KOR", "'Korea' read as the Republic of Korea (KOR), not the Democratic "
                     "People's Republic of Korea (PRK)"),
    ("KOR", "KOR", None), ("DR Congo", "COD", None), ("kenya", "KEN", None)])
def test_a_country_report_says_how_an_ambiguous_name_was_read(given, iso3, said, capsys):
    """A country_profile on ``-p country Congo`` was titled "Congo (COG)" with nothing to say
    it is not the DR Congo. The header says the reading under the title when the parameter
    as written, or the name the report shows (the runner passes ``COG``), may mean another
    economy (``countries.ambiguous_reading``)."""
    reading = report.country_reading(given, iso3)
    assert (reading is None) if said is None else reading.startswith(said)
    r = report.start("{country_name} ({country})", country=given, year=2024)
    shown = capsys.readouterr().out
    assert r.country == iso3
    assert ("**Note:** " in shown) == (said is not None)
    if said is not None:
        assert shown.splitlines()[2] == f"**Note:** {report.escape(reading)}."


def test_a_report_without_pledges_has_none():
    r = report.start(None, year=2024, output_dir="")
    with pytest.raises(ValueError, match="no pledges loaded"):
        r.pledges  # noqa: B018


def test_write_and_finish_leave_tables_their_docs_and_the_summary(tmp_path):
    r = report.start("T {year}", year=2024, pledges="", output_dir=str(tmp_path))
    shown = r.write(by_group=pd.DataFrame({"group": ["World"], "offline": [2.3e9],
                                           "mystery": [1]}))
    # Markdown-escaped file names
    assert shown.data == "Wrote by\\_group.csv, with its columns described in columns.csv."
    docs = pd.read_csv(tmp_path / "columns.csv")
    assert docs.set_index("column").loc["offline", "unit"] == "persons"
    assert docs.set_index("column").loc["mystery", "definition"] == "undocumented"
    r.finish(headline=[("People offline", "2.30 bn")])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["title"] == "T 2024" and summary["is_synthetic"] is False
    assert summary["headline"] == [{"label": "People offline", "value": "2.30 bn"}]
    assert (tmp_path / "data_files.json").is_file() and (tmp_path / "parameters.json").is_file()


def test_a_card_says_its_pledges_are_the_public_subset(tmp_path):
    """The front page's "Pledges 47" and "LDC share of allocated USD 37.0%" read as the
    coalition's: the subset statement was only on the report's own page."""
    from html import escape

    from p2c_analysis import execution, frontpage

    bundled = tmp_path / "bundled"
    bundled.mkdir()
    r = report.start("T", pledges="", output_dir=str(bundled), as_of="2026-06-30")
    r.finish(headline=[("Pledges", "47")])
    n = len(r.pledges)
    scope = json.loads((bundled / "summary.json").read_text())["pledge_scope"]
    assert scope.startswith(f"Pledges: the {n} publicly described ones bundled with the package")
    assert scope == report.public_subset_scope(n, "2026-06-30")
    assert execution.read_summary(bundled)["pledge_scope"] == scope
    entry = {"name": "t", "folder": "bundled", "status": "ok", "title": "T",
             "summary": execution.read_summary(bundled)}  # as the runner records it
    html = frontpage.render_index(tmp_path, {"run_id": "x", "reports": [entry]})
    assert f'<p class="scope">{escape(scope)}</p>' in html
    own = tmp_path / "own"  # a pledge file of one's own: no such line
    own.mkdir()
    r = report.start("T", pledges=str(paths.PUBLIC_PLEDGES), output_dir=str(own))
    r.finish(headline=[("Pledges", "38")])
    assert "pledge_scope" not in json.loads((own / "summary.json").read_text())
    empty = tmp_path / "empty"  # the record before its first pledge: no "the 0 ... ones"
    empty.mkdir()
    r = report.start("T", pledges="", output_dir=str(empty), as_of="2021-06-01")
    assert len(r.pledges) == 0
    r.finish(headline=[("Pledges", "0")])
    assert "pledge_scope" not in json.loads((empty / "summary.json").read_text())


def test_empty_output_dir_finish_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = report.start(None, year=2024, output_dir="")
    assert r.write(t=pd.DataFrame({"a": [1]})).data.startswith("No file written")
    r.finish(headline=[("x", "1")])
    assert list(tmp_path.iterdir()) == []


def test_say_makes_a_count_agree_with_its_noun_and_verb():
    text = report.say("{n:~pledge} {n:#has|have}; {m:~country|countries} {m:#is|are}; {x}",
                      n=1, m=1234, x="<b>").data
    assert text == "1 pledge has; 1,234 countries are; &lt;b&gt;"
    assert report.say("{n:~pledge} {n:#has|have}", n=0).data == "0 pledges have"


def test_say_has_a_third_form_for_zero():
    """Reports read "0 pledges are overdue as of ...", "0 pledges fell overdue ...", "By
    count, 0 pledges reach them": a third form says 0 in words, the others are unchanged."""
    template = "{n:~pledge|pledges|No pledge} {n:#is|are|is} overdue"
    assert [report.say(template, n=n).data for n in (0, 1, 12)] == [
        "No pledge is overdue", "1 pledge is overdue", "12 pledges are overdue"]
    assert report.say("{n:~pledge||no <b>}", n=0).data == "no &lt;b&gt;"  # escaped too
    assert report.say("{n:~pledge||none}", n=2).data == "2 pledges"


def test_rows_set_aside_are_written_with_their_reasons(tmp_path):
    src = tmp_path / "export.csv"
    src.write_text("title,pledger,estimated_value_usd\nA,X,5\nB,Y,lots\n=cmd(),Z,-4\n",
                   encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    r = report.start(None, pledges=str(src), mapping="", output_dir=str(out))
    assert r.pledges["title"].tolist() == ["A"]
    table = pd.read_csv(out / f"{report.SET_ASIDE_TABLE}.csv")
    assert table["source_row"].tolist() == [3, 4]
    assert table["reasons"].str.contains("'lots'|'-4'").all()
    assert json.loads(table["raw"].iloc[1])["title"] == "=cmd()"  # inside JSON: not a formula
    docs = pd.read_csv(out / "columns.csv")
    assert set(docs.loc[docs["table"].eq(report.SET_ASIDE_TABLE), "column"]) == \
        {"source_row", "reasons", "raw"}
    r.write(t=pd.DataFrame({"a": [1]}))  # later tables keep the set-aside rows' docs
    assert set(pd.read_csv(out / "columns.csv")["table"]) == {report.SET_ASIDE_TABLE, "t"}
    assert "set_aside_rows" in report.header_text(
        None, r.pledges, str(src), {"output_dir": str(out)}, quarantined=2)
    assert "set_aside_rows" not in report.header_text(
        None, r.pledges, str(src), {"output_dir": ""}, quarantined=2)
    # nothing set aside (or no output folder): no such file
    clean = tmp_path / "clean"
    clean.mkdir()
    report.start(None, pledges="", mapping="", output_dir=str(clean))
    assert not (clean / f"{report.SET_ASIDE_TABLE}.csv").exists()


def test_public_subset_share_uses_the_count_published_by_the_analysis_date(bundled):
    # 9 pledges on 2022-06-08: ITU had published 250 (2022-06-07), not 1,000 (May 2025)
    assert "about 4% of the coalition" in report.public_subset_statement(9, "2022-06-08")
    assert "about 0.9% of the coalition" in report.public_subset_statement(9)
    text = report.header_text("P", bundled, None, {"as_of": "2022-06-08"})
    assert "about 15% of the coalition" in _rendered(text)  # 38 / 250
    # the bundled pledge file given by path is a file (38 pledges, no evidence), not the record
    by_path = report.header_text(None, bundled, str(paths.PUBLIC_PLEDGES))
    assert "file public\\_pledges.csv" in by_path and "bundled public record" not in by_path
    assert "publicly described" in by_path


def test_an_analysis_date_in_the_future_is_flagged(bundled):
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=400)).isoformat()
    text = _rendered(report.header_text("P", bundled, None, {"as_of": future}))
    assert f"The analysis date, {future}, is after today" in text and "projection" in text
    # said of every report, it names nothing some reports lack: pledge_landscape and
    # gap_coverage show no status and no overdue pledge, which the warning named
    warning = text[text.index("The analysis date"):].split("\n")[0]
    assert not {"statuses", "overdue", "reporting"} & set(re.findall(r"[a-z]+", warning))
    assert "is after today" not in report.header_text("P", bundled, None,
                                                      {"as_of": "2024-06-30"})
    assert "is after today" not in report.header_text("P", bundled, None, {"year": 2024})
    # the two sides of pledge_changes: a future date there was read as today's record
    # without a word ("the public record as of 2030-01-01: 47 pledges")
    both = _rendered(report.header_text("P", bundled, None, {"previous": future,
                                                             "current": future}))
    assert (f"The date of the earlier pledges (previous), {future} and the date of the later "
            f"pledges (current), {future}, are after today") in both
    for not_a_date in (f"{future}-abc123", "pledges.csv", "2024-06-30"):  # snapshot, file, past
        assert "after today" not in report.header_text("P", bundled, None,
                                                       {"previous": not_a_date})


def test_api_edges_found_by_a_hunt(tmp_path):
    from p2c_analysis import connectivity, countries, planning
    from p2c_analysis.fields import PledgeTableError

    # names and lower case resolve; an unknown code is an error, not "no group" / empty rows
    assert countries.groups_of("ken") == countries.groups_of("Kenya") == \
        countries.groups_of("KEN")
    with pytest.raises(countries.UnknownCountryError):
        countries.groups_of("XXX")
    assert connectivity.history("Kenya", 2024)["iso3"].eq("KEN").all()
    with pytest.raises(countries.UnknownCountryError):
        connectivity.history("XXX", 2024)
    # "$" in pledge text is no maths in JupyterLab
    assert report.escape("USD $5 and $10") == "USD \\$5 and \\$10"
    # a table named like the report's own column docs would be overwritten
    with pytest.raises(ValueError, match="the report's own"):
        report.write_tables(tmp_path, {"columns": pd.DataFrame({"a": [1]})})
    # an infinite value is refused where the schema checks a table
    from p2c_analysis import gaps, record

    p = record.public_record("2026-12-01").pledges.copy()
    p.loc[p.index[0], "estimated_value_usd"] = float("inf")
    with pytest.raises(PledgeTableError, match="not finite"):
        gaps.allocate(p)
    # a notebook named like the run folder's own files gets another folder name
    specs = planning._unique_names([planning.ReportSpec("logs", Path("a"), {}),
                                    planning.ReportSpec("manifest.json", Path("b"), {})])
    assert [s.name for s in specs] == ["logs-2", "manifest.json-2"]


def test_start_in_a_plain_python_session_prints_the_header_text(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from p2c_analysis import report; "
                           "report.start('T {year}', year=2024, output_dir='')"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "## T 2024" in done.stdout and "Markdown object" not in done.stdout


#: The report functions that build what a notebook shows and return it (displayed only when
#: it is a cell's last expression, or passed to ``display``).
_RETURNED_FOR_DISPLAY = ("report.show_table", "report.say")


def _thrown_away(source: str) -> list[str]:
    """Calls of :data:`_RETURNED_FOR_DISPLAY` in a cell whose result nothing displays: an
    expression statement that is not the cell's last top-level statement (inside an ``if``,
    or followed by another statement)."""
    import ast

    code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    return [f"line {node.lineno}: {ast.unparse(node.value.func)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) in _RETURNED_FOR_DISPLAY and node is not last]


def test_thrown_away_finds_a_table_built_and_not_shown() -> None:
    assert _thrown_away("if x:\n    report.show_table(t)\nelse:\n    display(report.say('a'))") \
        == ["line 2: report.show_table"]
    assert _thrown_away("report.say('a')\ny = 1") == ["line 1: report.say"]
    assert _thrown_away("%matplotlib inline\nx = 1\nreport.show_table(t)") == []


@pytest.mark.parametrize("notebook", sorted(p.name for p in paths.NOTEBOOKS.glob("*.ipynb")))
def test_every_table_and_sentence_a_notebook_builds_is_shown(notebook: str) -> None:
    """Four tables (ITU's whole-platform breakdowns, what it published on reporting, the
    traffic lights by index, the unparsed quantities by reason) were built inside an ``if``
    or before another statement and never displayed: their sections showed a heading and
    nothing under it."""
    nb = json.loads((paths.NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    found = {i: _thrown_away("".join(c["source"])) for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code"}
    assert {i: f for i, f in found.items() if f} == {}


def test_no_pledge_to_analyse_is_said_once_with_its_reason(tmp_path, capsys):
    # the public record before its first pledge: a banner with the date it starts, and no
    # "These are the 0 publicly described pledges ... about an unknown share" sentence
    report.start(None, pledges="", mapping="", as_of="2021-06-30", output_dir="")
    shown = capsys.readouterr().out
    first = record.public_record(None).known_from["known_from"].min()
    assert (f"No pledge to analyse: the public record holds no pledge known on 2021-06-30; its "
            f"first pledges enter it on {first:%Y-%m-%d}.") in shown
    assert "publicly described" not in shown and "unknown share" not in shown
    # a file whose every row is set aside
    src = tmp_path / "aside.csv"
    src.write_text("pledge_title,pledger,description\n,,a\n,,b\n", encoding="utf-8")
    report.start(None, pledges=str(src), mapping="", output_dir="")
    assert ("No pledge to analyse: all 2 rows of aside.csv were set aside (quarantined)"
            in capsys.readouterr().out)
    # pledges to analyse: no such banner
    report.start(None, pledges="", mapping="", as_of="2026-06-30", output_dir="")
    assert "No pledge to analyse" not in capsys.readouterr().out


def test_an_unknown_public_share_is_not_about_an_unknown_share():
    # no pledge count published by ITU before 2022: the share is unknown, not "about" it
    text = report.public_subset_statement(3, "2021-01-01")
    assert "an unknown share of the coalition" in text and "about an unknown" not in text
    assert "about an unknown" not in report.public_subset_scope(3, "2021-01-01")
    assert "about an unknown" not in report.public_subset_value_note(3, "2021-01-01").data


def _shown(monkeypatch, fig) -> list:
    """What :func:`report.show` displays for ``fig``."""
    import IPython.display

    seen: list = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: seen.append(obj))
    report.show(fig)
    return seen


def test_a_chart_with_nothing_to_draw_is_a_sentence_not_an_empty_frame(monkeypatch):
    from matplotlib.figure import Figure

    from p2c_analysis import plots

    # no pledge states a value: every bar would read n/a over a "USD 0, USD 0, USD 1" axis
    nothing = pd.Series([np.nan, np.nan], index=["Financial", "Policy"])
    (said,) = _shown(monkeypatch, plots.bars(nothing, "Pledged value by pledge type", "USD",
                                             kind="usd"))
    assert not isinstance(said, Figure)
    assert said.data == ("No chart of “Pledged value by pledge type”: no bar has a value (each "
                         "would read n/a).")
    zeros = pd.Series([0, 0], index=["ACCESS", "ADOPTION"])
    (said,) = _shown(monkeypatch, plots.bars(zeros, "Pledges by focus area", "Pledges"))
    assert said.data.endswith("every bar is 0.")
    # no group has an attention ratio (no pledged USD): not an empty frame blaming missing data
    ratios = pd.DataFrame({"group": ["LDC", "SIDS"], "attention_ratio": [np.nan, np.nan]})
    (said,) = _shown(monkeypatch, plots.attention_ratio(ratios, "group", "attention_ratio",
                                                        title="Pledged USD by group"))
    assert said.data == "No chart of “Pledged USD by group”: no row has a ratio to draw."
    empty_rows = pd.DataFrame({"ACCESS": [0, 0], "ADOPTION": [0, 0]}, index=["LDC", "SIDS"])
    (said,) = _shown(monkeypatch, plots.stacked_shares(empty_rows, "Mix"))
    assert said.data.endswith("every row is empty.")
    (said,) = _shown(monkeypatch, plots.status_ladder(pd.Series({"announced": 0})))
    assert said.data == "No chart of “Implementation status of pledges”: every bar is 0."
    # a chart with something to draw is shown as the figure
    (fig,) = _shown(monkeypatch, plots.bars(pd.Series([1.0, np.nan], index=["a", "b"]), "T", "x"))
    assert isinstance(fig, Figure)
    ratios.loc[0, "attention_ratio"] = 0.5
    (fig,) = _shown(monkeypatch, plots.attention_ratio(ratios, "group", "attention_ratio"))
    assert isinstance(fig, Figure)


def test_versus_a_source_without_a_figure_for_the_year_says_so():
    assert report.versus(-3.6, 71.2, "the World Bank's aggregate", 2024) == (
        "3.6 percentage points lower than the World Bank's aggregate (71.2%)")
    # ITU's and the World Bank's aggregates start in 2005: it read "not comparable with ITU's
    # estimate (n/a)"
    text = report.versus(np.nan, np.nan, "ITU's estimate", 2000)
    assert text == "not checked against ITU's estimate, which has no figure for 2000"


def test_one_public_pledge_reads_in_the_singular():
    # the public record on 2022-02-28 holds one pledge: it read "These are the 1 publicly
    # described pledge"
    assert report.public_subset_statement(1, "2022-02-28").startswith(
        "This is the 1 publicly described pledge bundled with the package")
    assert "the 1 publicly described pledge bundled" in report.public_subset_value_note(
        1, "2022-02-28").data
    assert report.public_subset_scope(1, "2022-02-28").startswith(
        "Pledges: the 1 publicly described one bundled")
    assert report.public_subset_statement(2).startswith("These are the 2 publicly described "
                                                        "pledges")


def test_of_the_reads_all_of_them_as_such():
    assert report.of_the(2, 5, "pledge") == "2 of the 5 pledges"
    assert report.of_the(1, 1, "pledge") == "the 1 pledge"  # not "1 of the 1 pledge"
    assert report.of_the(5, 5, "pledge") == "all 5 pledges"
    assert report.of_the(2, 2, "pledge") == "both pledges"  # not "all 2 pledges"
    assert report.of_the(2, 2, "country", "countries") == "both countries"
    assert report.of_the(0, 3, "country", "countries") == "0 of the 3 countries"


def test_what_a_total_rests_on_names_only_what_it_rests_on():
    """pledge_landscape read "Of the stated total, USD 0 rests on lower bounds ... and USD 0 on
    yearly amounts" for a total of USD 0, and for a total with no such part."""
    parts = [(1e9, "lower bounds"), (0.0, "yearly amounts")]
    assert report.rests_on_text(3e9, parts) == \
        "Of the stated total, USD 1.00 bn rests on lower bounds."
    assert report.rests_on_text(3e9, [(1e9, "lower bounds"), (2e9, "yearly amounts")]) == \
        "Of the stated total, USD 1.00 bn rests on lower bounds and USD 2.00 bn on yearly amounts."
    assert report.rests_on_text(3e9, [(0.0, "lower bounds"), (0.0, "yearly amounts")]) == \
        "No part of the stated total rests on lower bounds or on yearly amounts."
    assert report.rests_on_text(0.0, parts) == ""  # USD 0 stated: nothing rests on anything
    assert report.rests_on_text(float("nan"), parts) == ""  # no value stated


_DATED = ("title,pledger,target_countries,announced_date\n"
          "Early,A,KEN,2024-03-01\nSame year,B,NGA,2024\nNext year,C,GHA,2025-02-01\n"
          "No date,D,KEN,\nJuly,E,KEN,2024-07\nJune,F,KEN,2024-06\nBad,G,KEN,2024-13-45\n")


def test_a_pledge_announced_after_the_analysis_date_is_dated_by_the_start_of_its_period(
        tmp_path):
    p = pledges.load_pledges(_write(tmp_path / "dated.csv", _DATED)).valid
    later = report.announced_after(p, dt.date(2024, 6, 30))
    assert p.loc[later.to_numpy(), "title"].tolist() == ["Next year", "July"]
    # a year 2024 may include 30 June; an undated pledge is not shown to be later
    assert not later[p["title"].isin(["Same year", "No date", "June"]).to_numpy()].any()
    assert report.announced_after(p, dt.date(2023, 12, 31)).sum() == 5  # all dated ones
    assert not report.announced_after(p, dt.date(2025, 2, 1)).any()  # on the day: in


def test_the_rule_is_shared_and_its_line_reads_right_at_0_1_and_many():
    """pledge_changes cuts its sides with the rule reports use (one function, in pledges), and
    says it with the same line, worded for a side."""
    assert report.announced_after is pledges.announced_after
    side = {"of": "the previous side", "date": "its date"}
    assert report.after_as_of_text(0, dt.date(2024, 1, 1), "after_as_of_previous", **side) == (
        "No pledge of the previous side was announced after its date, 2024-01-01: none is "
        "left out.")
    assert report.after_as_of_text(1, dt.date(2024, 1, 1), "after_as_of_previous", 1,
                                   **side) == (
        "Left out: 1 pledge of the previous side announced after its date, 2024-01-01 (one "
        "dated by its month or year only when that month or year begins after that day), "
        "listed in `after_as_of_previous.csv`; 1 pledge with no announcement date is kept.")
    assert report.after_as_of_text(3, "2024-01-01", None, 2, **side).startswith(
        "Left out: 3 pledges of the previous side announced after its date, 2024-01-01 (")
    assert report.after_as_of_text(3, "2024-01-01", None, 2, **side).endswith(
        "begins after that day); 2 pledges with no announcement date are kept.")


def test_a_pledge_file_is_analysed_as_of_the_analysis_date(tmp_path, capsys):
    """A file's pledges announced after ``as_of`` were analysed as if made by then; they are
    left out, counted in the header with the date, and written apart from the rows set aside
    (bad input) as after_as_of.csv."""
    src = _write(tmp_path / "dated.csv", _DATED)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start(None, pledges=str(src), mapping="", year=2024, as_of="2024-06-30",
                     output_dir=str(out))
    shown = capsys.readouterr().out
    # which pledges are kept (a named file's pledges are in canonical order since
    # tests/test_row_order.py, not the file's)
    assert sorted(r.pledges["title"]) == sorted(["Early", "Same year", "No date", "June"])
    assert sorted(r.after_as_of["title"]) == sorted(["Next year", "July"])
    assert ("- Left out: 2 pledges of the file announced after the analysis date, 2024-06-30 "
            "(one dated by its month or year only when that month or year begins after that "
            "day), listed in `after_as_of.csv`; 1 pledge with no announcement date is kept."
            ) in shown
    assert "file dated.csv: 4 pledges targeting" in shown
    written = pd.read_csv(out / f"{report.AFTER_AS_OF_TABLE}.csv")
    assert sorted(written["title"]) == sorted(["Next year", "July"])
    assert pd.read_csv(out / f"{report.SET_ASIDE_TABLE}.csv")["source_row"].tolist() == [8]
    docs = pd.read_csv(out / "columns.csv")
    assert not docs["definition"].eq("undocumented").any()
    assert set(docs.loc[docs["table"].eq(report.AFTER_AS_OF_TABLE), "column"]) == \
        set(written.columns)
    # none later: nothing said, no such table
    clean = tmp_path / "clean"
    clean.mkdir()
    r = report.start(None, pledges=str(src), mapping="", as_of="2025-03-01",
                     output_dir=str(clean))
    assert len(r.pledges) == 6 and r.after_as_of.empty
    assert "Left out" not in capsys.readouterr().out
    assert not (clean / f"{report.AFTER_AS_OF_TABLE}.csv").exists()


def test_a_file_whose_every_pledge_is_later_says_so_in_its_banner(tmp_path, capsys):
    src = _write(tmp_path / "later.csv", "title,pledger,announced_date\nA,X,2025-01-02\n"
                                         "B,Y,not a date\n")
    r = report.start(None, pledges=str(src), mapping="", as_of="2024-06-30", output_dir="")
    assert r.pledges.empty and len(r.after_as_of) == 1
    assert ("No pledge to analyse: the 1 pledge of later.csv (1 other row set aside as "
            "invalid) was announced after the analysis date, 2024-06-30.") in \
        capsys.readouterr().out
    # two later pledges read "all 2 pledges of later.csv were announced after ..."
    assert report.no_pledges_text(src, {"as_of": "2024-06-30"}, after_as_of=2).startswith(
        "No pledge to analyse: both pledges of later.csv were announced after the analysis "
        "date, 2024-06-30.")


def test_the_public_record_and_reports_without_pledges_are_not_cut_again(capsys):
    r = report.start(None, pledges="", mapping="", as_of="2024-06-30", output_dir="")
    assert r.after_as_of is None and len(r.pledges) == len(record.public_record(
        "2024-06-30").pledges)
    assert report.start(None, year=2024, as_of="2024-06-30", output_dir="").after_as_of is None


_REPORTED = ("title,pledger,target_countries,announced_date,target_year,status,last_report_date\n"
             "Before,A,KEN,2023-01-10,2026,in progress,2024-02-01\n"
             "\"=HYPERLINK(\"\"http://x.example\"\",\"\"y\"\")\",+B <b>,NGA,2023-01-10,2026,"
             "completed,2026-10-01\n"
             "No report date,C,GHA,2023-01-10,2026,announced,\n"
             "Next month,D,KEN,2023-01-10,2026,in progress,2024-07\n")


def test_the_statuses_line_reads_right_at_0_1_and_many():
    assert report.statuses_after_as_of_text(0, dt.date(2024, 6, 30)) == (
        "No self-reported status of the file is dated after the analysis date, 2024-06-30: "
        "none is left aside.")
    assert report.statuses_after_as_of_text(1, "2024-06-30") == (
        "Left aside: 1 self-reported status of the file whose report is dated after the "
        "analysis date, 2024-06-30: not known on that day, so its pledge counts as not yet "
        "reported (status unknown), listed in `statuses_after_as_of.csv`.")
    side = {"of": "the current side", "date": "its date"}
    assert report.statuses_after_as_of_text(3, "2024-06-30", None, **side) == (
        "Left aside: 3 self-reported statuses of the current side whose report is dated after "
        "its date, 2024-06-30: not known on that day, so their pledges count as not yet "
        "reported (status unknown).")
    earlier = {**side, "carried_from": "the previous side (2023-12-31)"}
    assert report.statuses_after_as_of_text(1, "2024-06-30", None, carried=1, **earlier) == (
        "Left aside: 1 self-reported status of the current side whose report is dated after "
        "its date, 2024-06-30: not known on that day, so its pledge keeps its status on the "
        "previous side (2023-12-31), the latest known on that day.")
    assert report.statuses_after_as_of_text(3, "2024-06-30", None, carried=1, **earlier) == (
        "Left aside: 3 self-reported statuses of the current side whose report is dated after "
        "its date, 2024-06-30: not known on that day, so 1 of their pledges keeps its status "
        "on the previous side (2023-12-31), the latest known on that day, and 2 count as not "
        "yet reported (status unknown).")


def test_a_pledge_files_own_statuses_are_taken_as_of_the_analysis_date(tmp_path, capsys):
    """A status and report dated after ``as_of`` were applied as known on it (a pledge
    'completed' in a report on 2024 by a report of 2026). They are left aside: the pledge's
    status is unknown with no report, the header counts them, and the rows are written with
    formulas neutralised as statuses_after_as_of.csv. A status without a report date stays."""
    src = _write(tmp_path / "reported.csv", _REPORTED)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start(None, pledges=str(src), mapping="", as_of="2024-06-30",
                     output_dir=str(out))
    shown = capsys.readouterr().out
    p = r.pledges.set_index("pledger")
    assert p["status"].astype(str).to_dict() == {
        "A": "in progress", "+B <b>": "unknown", "C": "announced", "D": "unknown"}
    assert p["last_report_date"].isna().to_dict() == {"A": False, "+B <b>": True, "C": True,
                                                      "D": True}
    assert r.statuses_after_as_of["status"].astype(str).tolist() == ["completed", "in progress"]
    assert ("- Left aside: 2 self-reported statuses of the file whose report is dated after the "
            "analysis date, 2024-06-30: not known on that day, so their pledges count as not "
            "yet reported (status unknown), listed in `statuses_after_as_of.csv`.") in shown
    assert r.after_as_of.empty and "Left out" not in shown
    written = pd.read_csv(out / f"{report.STATUSES_AFTER_AS_OF_TABLE}.csv", dtype=str)
    assert written["title"].tolist() == ["'=HYPERLINK(\"http://x.example\",\"y\")",
                                         "Next month"]
    assert written["pledger"].tolist() == ["'+B <b>", "D"]
    assert written["last_report_date"].tolist() == ["2026-10-01", "2024-07-01"]
    docs = pd.read_csv(out / "columns.csv")
    assert set(docs.loc[docs["table"].eq(report.STATUSES_AFTER_AS_OF_TABLE), "column"]) == \
        set(written.columns)
    # every report known by then: nothing said, nothing written, the file's own table
    clean = tmp_path / "clean"
    clean.mkdir()
    r = report.start(None, pledges=str(src), mapping="", as_of="2026-10-01",
                     output_dir=str(clean))
    assert r.statuses_after_as_of.empty and r.pledges is r.loaded.valid
    assert "Left aside" not in capsys.readouterr().out
    assert not (clean / f"{report.STATUSES_AFTER_AS_OF_TABLE}.csv").exists()


def test_a_pledge_announced_after_the_date_is_left_out_before_its_status_is_cut(tmp_path,
                                                                                capsys):
    """Only the pledges analysed have their statuses cut: a pledge announced after ``as_of``
    is in after_as_of.csv whole, not counted again among the statuses left aside."""
    src = _write(tmp_path / "both.csv", _REPORTED + "Later,E,KEN,2025-01-01,2026,completed,"
                                                    "2026-01-01\n")
    r = report.start(None, pledges=str(src), mapping="", as_of="2024-06-30", output_dir="")
    assert r.after_as_of["title"].tolist() == ["Later"]
    assert r.after_as_of["status"].astype(str).tolist() == ["completed"]
    assert len(r.statuses_after_as_of) == 2 and len(r.pledges) == 4
    shown = capsys.readouterr().out
    assert "Left out: 1 pledge" in shown and "Left aside: 2 self-reported statuses" in shown
    assert "statuses_after_as_of.csv" not in shown  # output_dir "": no table written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_header_names_columns_hidden_in_the_spreadsheet_escaped(tmp_path, capsys):
    """A report on a workbook whose value column is hidden said nothing of it: a reviewer
    opening the file in a spreadsheet does not see the amounts the report counted. The header
    carries the load's line (``LoadResult.hidden_summary``), escaped like all file text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "value_as_stated", "<b>Internal</b>"])
    ws.append(["Fibre", "Org A", "USD 5 million", "checked"])
    ws.column_dimensions["C"].hidden = ws.column_dimensions["D"].hidden = True
    wb.save(tmp_path / "hidden.xlsx")
    r = report.start(None, pledges=str(tmp_path / "hidden.xlsx"), mapping="", output_dir="")
    shown = capsys.readouterr().out
    assert r.pledges["estimated_value_usd"].tolist() == [5e6]
    assert ("- Hidden in the spreadsheet: C &#x27;value\\_as\\_stated&#x27; (read as "
            "value\\_as\\_stated), D &#x27;&lt;b&gt;Internal&lt;/b&gt;&#x27; (not used): "
            "unhide them in the spreadsheet to see what was read.") in shown
    assert "<b>" not in shown
    ws.column_dimensions["C"].hidden = ws.column_dimensions["D"].hidden = False
    wb.save(tmp_path / "shown.xlsx")
    report.start(None, pledges=str(tmp_path / "shown.xlsx"), mapping="", output_dir="")
    assert "Hidden in the spreadsheet" not in capsys.readouterr().out


def test_front_page_card_names_the_rows_set_aside(tmp_path):
    """A file whose every row was set aside gave a card reading "Pledges 0" and nothing else
    about the file; the card now says how many rows were set aside of those read."""
    import json

    src = tmp_path / "bad.csv"
    src.write_text("title,pledger,value_as_stated,announced_date\n"
                   "Bad one,Org,USD -5 million,2023-01-01\n"
                   "Good,Org2,USD 5 million,2023-01-01\n"
                   "Bad two,Org3,XYZ 5 million,2023-01-01\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    r = report.start("t", pledges=str(src), as_of="2024-01-01", output_dir=str(out))
    r.finish(headline=[("Pledges", "1")])
    head = json.loads((out / "summary.json").read_text(encoding="utf-8"))["headline"]
    assert head == [{"label": "Pledges", "value": "1"},
                    {"label": "Rows set aside", "value": "2 of 3 read"}]
    clean = tmp_path / "clean"
    clean.mkdir()
    report.start("t", pledges="", as_of="2024-01-01", output_dir=str(clean)).finish(
        headline=[("Pledges", "1")])
    assert [h["label"] for h in json.loads((clean / "summary.json").read_text())["headline"]] \
        == ["Pledges"]


def test_write_names_every_file_the_report_wrote(tmp_path):
    """The sentence under a report's tables said "Wrote country_pledges.csv and ..." but not
    set_aside_rows.csv, after_as_of.csv or statuses_after_as_of.csv, which the report's start
    had written into the same folder: it now names them (once), and in an interactive session
    (``output_dir`` empty) it says that nothing was written, where it said "Wrote none."."""
    pledges = tmp_path / "p.csv"
    pledges.write_text(
        "title,pledger,value,status,announced_date,last_report_date\n"
        "Fibre,Org A,USD 5 million,completed,2022-03-01,2026-10-01\n"
        "Later,Org B,USD 1 million,announced,2025-05-01,\n"
        ",,,,,\n"
        "Bad,Org C,USD -3,announced,2022-03-01,\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    r = report.start(None, year=2024, pledges=str(pledges), as_of="2024-06-30",
                     output_dir=str(out))
    aside = sorted(p.name for p in out.glob("*.csv") if p.name != "columns.csv")
    assert len(r.loaded.quarantine) and len(r.after_as_of) and len(r.statuses_after_as_of)
    assert aside == ["after_as_of.csv", "set_aside_rows.csv", "statuses_after_as_of.csv"]
    said = r.write(t=pd.DataFrame({"a": [1]})).data
    for name in [*aside, "t.csv", "columns.csv"]:
        assert report.escape(name) in said, (name, said)
    again = r.write(u=pd.DataFrame({"a": [1]})).data  # named once
    assert again == "Wrote u.csv, with its columns described in columns.csv."  # one: its
    two = r.write(v=pd.DataFrame({"a": [1]}), w=pd.DataFrame({"a": [1]})).data
    assert two == "Wrote v.csv and w.csv, with their columns described in columns.csv."
    quiet = report.start(None, year=2024, pledges=str(pledges), as_of="2024-06-30",
                         output_dir="")
    assert quiet.write(t=pd.DataFrame({"a": [1]})).data == (
        "No file written: `output_dir` is empty (an interactive session); with an output "
        "folder this cell writes t.csv and columns.csv (their columns described).")


def test_header_of_an_interactive_session_points_to_no_file(capsys):
    """In JupyterLab (``output_dir`` empty) the header said the data files were listed in
    ``data_files.json`` beside the report: no such file is written there."""
    report.start(None, year=2024, output_dir="")
    shown = capsys.readouterr().out
    assert "`data_files.json` beside this report" not in shown
    assert "interactively" in shown and "paths.files_read()" in shown
    from p2c_analysis import paths

    assert paths.files_read()  # what it points to exists and lists the files read


def test_versus_each_names_the_sources_without_a_figure_once():
    """connectivity_gap for 2000 read "not checked against ITU's estimate, which has no figure
    for 2000 and not checked against the World Bank's aggregate, which has no figure for
    2000"."""
    nan = float("nan")
    both = report.versus_each([(nan, nan, "ITU's estimate"), (nan, nan, "the WB aggregate")],
                              2000)
    assert both == ("not checked against ITU's estimate or the WB aggregate, which have no "
                    "figure for 2000")
    one = report.versus_each([(-0.4, 67.6, "ITU's estimate"), (nan, nan, "the WB aggregate")],
                             2024)
    assert one == (report.versus(-0.4, 67.6, "ITU's estimate", 2024) + " and not checked "
                   "against the WB aggregate, which has no figure for 2024")
    assert one.startswith("0.4 percentage points lower than ITU's estimate (67.6%)")
    none_missing = report.versus_each([(0.0, 60.0, "A"), (1.2, 58.8, "B")], 2024)
    assert none_missing == "the same as A (60.0%) and 1.2 percentage points higher than B (58.8%)"


def test_header_names_no_count_of_0(bundled):
    """A file of no pledge read "Pledges: file zero.csv: 0 pledges targeting 0 countries by
    name; none states a value." (under the banner saying there is no pledge), and pledges
    naming no country "2 pledges targeting 0 countries by name"."""
    none = report.header_text(None, bundled.iloc[:0], "zero.csv")
    assert "- Pledges: file zero.csv: no pledge." in none
    assert "0 pledges" not in none and "0 countries" not in none
    global_only = bundled.head(2).assign(target_countries=[[], []], estimated_value_usd=np.nan)
    two = report.header_text(None, global_only, "two.csv")
    assert "- Pledges: file two.csv: 2 pledges, none targeting a country by name; none states " \
           "a value." in two
    one = report.header_text(None, global_only.head(1), "one.csv")
    assert "- Pledges: file one.csv: 1 pledge, not targeting a country by name; it states no " \
           "value." in one
    set_aside = report.header_text(None, bundled.iloc[:0], "zero.csv", quarantined=2)
    assert "- Pledges: file zero.csv: no pledge; 2 rows set aside (quarantined) and not used." \
        in set_aside


def test_holding_values_leaves_out_an_optional_column_that_holds_nothing():
    """country_profile's table read "of which to economies with no offline figure (USD)": n/a,
    USD 0, USD 0, USD 0 on every row of a file whose pledges reach no such economy."""
    t = pd.DataFrame({"group": ["Nigeria", "World"], "usd": [1.0, 2.0],
                      "usd_no_offline_figure": [float("nan"), 0.0]})
    cols = ["group", "usd", "usd_no_offline_figure"]
    assert report.holding_values(t, cols, ["usd_no_offline_figure"]) == ["group", "usd"]
    some = t.assign(usd_no_offline_figure=[float("nan"), 5.0])
    assert report.holding_values(some, cols, ["usd_no_offline_figure"]) == cols
    assert "no offline figure" not in report.show_table(
        t, report.holding_values(t, cols, ["usd_no_offline_figure"])).data


def test_every_table_of_a_report_on_synthetic_pledges_carries_the_mark(tmp_path, capsys):
    """A run on synthetic pledges wrote 45 tables of which two (pledge rows) had an
    is_synthetic column: a count by focus area or a coverage table, once out of its folder,
    read as real. Every table written now carries the mark; a table of pledge rows keeps each
    row's own; a report on real pledges writes no such column."""
    from p2c_analysis import export, synthetic

    made = synthetic.make_pledges(6, seed=3)
    made.loc[0, "is_synthetic"] = False  # a file mixing real and synthetic rows
    source = tmp_path / "syn.csv"
    export.write_csv(made, source)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start("T", year=2024, pledges=str(source), output_dir=str(out))
    assert r.rests_on_synthetic
    r.write(by_area=pd.DataFrame({"focus_area": ["ACCESS", "ADOPTION"], "pledges": [4, 2]}),
            empty=pd.DataFrame({"pledge_id": pd.Series([], dtype="string")}),
            rows=r.pledges[["pledge_id", "is_synthetic"]])
    by_area = pd.read_csv(out / "by_area.csv")
    assert list(by_area.columns) == ["focus_area", "pledges", "is_synthetic"]
    assert by_area["is_synthetic"].tolist() == [True, True]
    assert pd.read_csv(out / "empty.csv").columns.tolist() == ["pledge_id", "is_synthetic"]
    assert pd.read_csv(out / "rows.csv")["is_synthetic"].tolist() == [False] + [True] * 5
    docs = pd.read_csv(out / "columns.csv")
    assert set(docs.loc[docs["column"] == "is_synthetic", "table"]) == {"by_area", "empty",
                                                                       "rows"}
    r.finish()
    assert json.loads((out / "summary.json").read_text())["is_synthetic"] is True
    # a report reading other tables (a comparison) says so by r.synthetic, before it writes
    other = tmp_path / "other"
    other.mkdir()
    c = report.start(None, year=2024, output_dir=str(other))
    c.synthetic = True
    c.write(t=pd.DataFrame({"a": [1]}))
    assert pd.read_csv(other / "t.csv")["is_synthetic"].tolist() == [True]
    # real pledges: no mark
    real = tmp_path / "real"
    real.mkdir()
    report.start("T", year=2024, pledges="", output_dir=str(real)).write(
        t=pd.DataFrame({"a": [1]}))
    assert "is_synthetic" not in pd.read_csv(real / "t.csv").columns
    capsys.readouterr()


def test_the_export_writer_marks_a_synthetic_table_in_every_format(tmp_path):
    from p2c_analysis import export

    df = pd.DataFrame({"a": [1, 2]})
    for name in ("t.csv", "t.tsv", "t.xlsx"):
        export.write_table(df, tmp_path / name, synthetic=True)
    assert pd.read_csv(tmp_path / "t.csv")["is_synthetic"].tolist() == [True, True]
    assert pd.read_csv(tmp_path / "t.tsv", sep="\t").columns.tolist() == ["a", "is_synthetic"]
    assert pd.read_excel(tmp_path / "t.xlsx")["is_synthetic"].tolist() == [True, True]
    assert list(df.columns) == ["a"]  # the caller's table is not changed
    export.write_table(df, tmp_path / "plain.csv")
    assert pd.read_csv(tmp_path / "plain.csv").columns.tolist() == ["a"]


def test_a_public_share_too_small_to_show_is_not_about_0_0_percent(monkeypatch):
    """Against a published count of 5,000 pledges, one pledge read "about 0.0% of the
    coalition's pledges by count", which reads as none."""
    monkeypatch.setattr(report, "published_pledge_count", lambda as_of=None: (5000.0, "2027"))
    text = report.public_subset_statement(1)
    assert "less than 0.1% of the coalition's pledges by count" in text and "0.0%" not in text
    assert "about 0.1% of the coalition's" in report.public_subset_statement(5)
    assert "less than 0.1% of the coalition's by count" in report.public_subset_scope(2)


def test_a_table_that_does_not_rest_on_the_pledges_is_not_marked_synthetic(tmp_path, capsys):
    """A run on synthetic pledges marked every table is_synthetic, ITU's published totals
    (mobilisation_pace: USD 82 bn on 2026-03-04) and the scoring rubric included: real figures
    flagged as generated. A table named in not_from_pledges is written as it is; the others,
    those setting pledges beside published figures too, keep the mark; a misspelt name is an
    error, not a table left unmarked."""
    from p2c_analysis import export, synthetic

    source = tmp_path / "syn.csv"
    export.write_csv(synthetic.make_pledges(6, seed=3), source)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start("T", year=2024, pledges=str(source), output_dir=str(out))
    r.write(published=pd.DataFrame({"date": ["2026-03-04"], "total_value_usd": [82e9]}),
            rubric=pd.DataFrame({"criterion": ["specific"]}),
            beside=pd.DataFrame({"need_usd": [428e9], "pledged_usd": [1e6]}),
            not_from_pledges=["published", "rubric"])
    assert "is_synthetic" not in pd.read_csv(out / "published.csv").columns
    assert "is_synthetic" not in pd.read_csv(out / "rubric.csv").columns
    assert pd.read_csv(out / "beside.csv")["is_synthetic"].tolist() == [True]
    docs = pd.read_csv(out / "columns.csv")
    assert set(docs.loc[docs["column"] == "is_synthetic", "table"]) == {"beside"}
    definition = docs.loc[docs["column"] == "is_synthetic", "definition"].iloc[0]
    assert definition.startswith("True when the table rests on synthetic (generated) pledges")
    with pytest.raises(ValueError, match="'rubrik'"):
        r.write(rubric=pd.DataFrame({"criterion": ["specific"]}), not_from_pledges=["rubrik"])
    capsys.readouterr()


def test_the_published_totals_and_the_rubric_are_not_marked_synthetic():
    """The reports' own tables: pledge_landscape's pace and published-totals checks rest on
    ITU's published totals alone, pledge_quality's rubric on no data; the notebooks name them
    not_from_pledges (their other tables rest on the pledges)."""
    for name, tables in [("pledge_landscape", ["mobilisation_pace", "mobilisation_pace_points",
                                               "published_totals_checks"]),
                         ("pledge_quality", ["quality_rubric"])]:
        nb = json.loads((paths.ROOT / "notebooks" / f"{name}.ipynb").read_text("utf-8"))
        code = next("".join(c["source"]) for c in nb["cells"]
                    if "r.write(" in "".join(c["source"]))
        given = code[code.index("not_from_pledges="):]
        assert all(f'"{t}"' in given for t in tables), name


@pytest.mark.parametrize("case", ["all set aside", "all after as_of"])
def test_a_report_on_a_synthetic_file_says_so_when_no_pledge_of_it_is_analysed(
        tmp_path, capsys, case):
    """A synthetic file whose every row was set aside (or whose every pledge was announced
    after the analysis date) gave a report with no synthetic banner, a card and tables without
    the mark: the mark followed the pledges analysed only. It follows the file's rows now
    (``report.rows_marked_synthetic``), and a file of real pledges still gets none."""
    from p2c_analysis import export, synthetic

    made = synthetic.make_pledges(3, seed=1)
    if case == "all set aside":
        made["focus_areas"] = "NOT A FOCUS AREA"
    source = tmp_path / "syn.csv"
    export.write_csv(made, source)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start("T", year=2024, pledges=str(source), as_of="2010-01-01"
                     if case == "all after as_of" else "", output_dir=str(out))
    shown = capsys.readouterr().out
    assert len(r.pledges) == 0
    assert r.rests_on_synthetic
    assert report.SYNTHETIC_ROWS_NOTICE in shown
    r.write(by_area=pd.DataFrame({"focus_area": ["ACCESS"], "pledges": [0]}))
    assert pd.read_csv(out / "by_area.csv")["is_synthetic"].tolist() == [True]
    r.finish()
    assert json.loads((out / "summary.json").read_text())["is_synthetic"] is True
    # real pledges: no banner, no mark
    real = tmp_path / "real"
    real.mkdir()
    r = report.start("T", year=2024, pledges=str(paths.PUBLIC_PLEDGES),
                     output_dir=str(real))
    assert report.SYNTHETIC_ROWS_NOTICE not in capsys.readouterr().out
    assert not r.rests_on_synthetic
