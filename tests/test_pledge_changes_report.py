"""End to end: the ``pledge_changes`` report rendered by the runner (one render: kernel starts
are slow) for the documented reference comparison, the public record as known on 2025-03-01
against 2026-03-31."""

from __future__ import annotations

import json
import re

import pytest
from rendering import csv_rows, render_one, write_rows

from p2c_analysis import planning

REQUIRED = ["pledge_id", "title", "pledger", "change", "match_rule", "status_before",
            "status_after", "value_usd_before", "value_usd_after"]
NEW_PLEDGERS = {"MTN Group", "Globalstar", "Axian Telecom", "Cisco", "China Unicom", "Mobily",
                "Ooredoo Group"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    assert "pledge_changes" in planning.STANDARD_REPORTS
    return render_one("pledge_changes", {"previous": "2025-03-01", "current": "2026-03-31"},
                      tmp_path_factory.mktemp("runs"))


def test_changes_by_pledge_lists_the_new_pledges_and_huawei(folder):
    rows = csv_rows(folder / "changes_by_pledge.csv")
    assert set(REQUIRED) <= set(rows[0])
    assert len(rows) == 43  # 34 then 43 pledges, none gone
    new = [r for r in rows if r["change"] == "new"]
    assert len(new) == 8 and NEW_PLEDGERS <= {r["pledger"] for r in new}
    assert all(r["match_rule"] == "" and r["status_before"] == "" for r in new)
    # dated "2025" only: the year does not lie between 2025-03-01 and 2026-03-31
    first = [r["title"] for r in rows if r["change"] == "first seen"]
    assert first == ["Hamburg Declaration on Responsible AI for the SDGs"]
    assert {r["change"] for r in rows} == {"new", "first seen", "changed", "unchanged"}
    huawei = [r for r in rows if r["title"].startswith("Connectivity for about 120 million")]
    assert len(huawei) == 1
    h = huawei[0]
    assert (h["pledger"], h["status_before"], h["status_after"], h["change"]) == (
        "Huawei", "in progress", "completed", "changed")
    assert h["match_rule"] == "pledger + title"


def test_other_tables_and_summary(folder):
    trans = csv_rows(folder / "status_transitions.csv")
    assert list(trans[0]) == ["status_before", "status_after", "pledges", "pledges_with_value",
                              "value_usd"]
    pairs = {(r["status_before"], r["status_after"]): int(r["pledges"]) for r in trans}
    assert pairs[("in progress", "completed")] == 1 and pairs[("not listed", "unknown")] == 9
    groups = [r["group"] for r in csv_rows(folder / "group_changes.csv")]
    assert groups == ["LDC", "LLDC", "SIDS"]
    for name in ("listing_changes", "value_changes", "newly_overdue", "compliance_change",
                 "changes_for_review", "changes_summary", "columns"):
        assert (folder / f"{name}.csv").is_file(), name
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    head = {h["label"]: h["value"] for h in summary["headline"]}
    assert head["New pledges"] == "8" and head["Status changes"] == "2"
    assert head["First seen, no date in the window"] == "1"
    assert head["LDC attention ratio (USD)"] == "0.64 → 1.11"
    # the card says whose pledges these are (the front page read them as the coalition's)
    assert summary["pledge_scope"].startswith("Pledges: the 43 publicly described ones")
    params = json.loads((folder / "parameters.json").read_text(encoding="utf-8"))
    assert (params["previous"], params["current"]) == ("2025-03-01", "2026-03-31")


def test_html_names_both_sides_and_carries_no_script(folder):
    html = (folder / "pledge_changes.html").read_text(encoding="utf-8")
    assert "public record as of 2025-03-01" in html and "public record as of 2026-03-31" in html
    assert "Absent is not the same as" in html
    # the rule for pledges first listed without an announcement date in the window, and the table
    assert "is <strong>first seen</strong>" in html and "not counted as new" in html
    assert "First seen in this window, announcement date unknown or only a year" in html
    assert not re.search(r"<script\b", html, re.I)
    # the subtitle of the front-page card heads the page too
    assert re.search(r"<h2[^>]*>2025-03-01 to 2026-03-31", html)
    assert json.loads((folder / "summary.json").read_text())["title"] == "2025-03-01 to 2026-03-31"


def test_rows_set_aside_on_either_side_are_written(tmp_path):
    prev = write_rows(tmp_path / "prev.csv", [
        {"title": "A", "pledger": "X", "target_countries": "KEN", "value": "USD 5 million"},
        {"title": "B", "pledger": "Y", "target_countries": "UGA", "value": "lots"}])
    cur = write_rows(tmp_path / "cur.csv", [
        {"title": "A", "pledger": "X", "target_countries": "KEN", "value": "USD 5 million"},
        {"title": "C", "pledger": "Z", "target_countries": "TZA", "value": "5%"}])
    folder = render_one("pledge_changes", {"previous": str(prev), "current": str(cur),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    before = csv_rows(folder / "set_aside_rows_previous.csv")
    after = csv_rows(folder / "set_aside_rows_current.csv")
    assert [r["source_row"] for r in before] == ["3"] and "'lots'" in before[0]["reasons"]
    assert [r["source_row"] for r in after] == ["3"] and "percentage" in after[0]["reasons"]


def _dated_rows(*pledges: tuple[str, str, str, str]) -> list[dict[str, str]]:
    """Rows of a pledge file from (title, pledger, target country, announcement date)."""
    names = ("title", "pledger", "target_countries", "announced_date")
    return [dict(zip(names, p, strict=True)) for p in pledges]


def test_pledges_of_a_file_announced_after_its_date_are_left_out_said_and_listed(tmp_path):
    """A side given as a pledge file counted its pledges announced after the analysis date: a
    pledge announced in 2025 showed as new as of 2024-06-30. They are left out, each side says
    how many (none on one side here), and they are listed apart, formulas neutralised."""
    both = (("Early", "A", "KEN", "2023-03-01"), ("Same year", "B", "NGA", "2024"),
            ("No date", "D", "KEN", ""))
    prev = write_rows(tmp_path / "prev.csv", _dated_rows(*both))
    cur = write_rows(tmp_path / "cur.csv", _dated_rows(
        *both, ("Spring", "E", "GHA", "2024-03-01"),
        ('=HYPERLINK("http://x")', "<b>F</b>", "UGA", "2025-02-01"),  # after 2024-06-30
        ("July", "G", "KEN", "2024-07")))  # July begins after 30 June
    folder = render_one("pledge_changes", {"previous": str(prev), "current": str(cur),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    rows = csv_rows(folder / "changes_by_pledge.csv")
    assert {r["title"]: r["change"] for r in rows} == {
        "Early": "unchanged", "Same year": "unchanged", "No date": "unchanged", "Spring": "new"}
    later = csv_rows(folder / "after_as_of_current.csv")
    assert [r["title"] for r in later] == ["'=HYPERLINK(\"http://x\")", "July"]
    assert not (folder / "after_as_of_previous.csv").exists()
    documented = {r["table"] for r in csv_rows(folder / "columns.csv")
                  if r["definition"] != "undocumented"}
    assert "after_as_of_current" in documented
    html = (folder / "pledge_changes.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert ("No pledge of the previous side was announced after its date, 2024-06-30: none is "
            "left out; 1 pledge with no announcement date is kept.") in text
    assert ("Left out: 2 pledges of the current side announced after its date, 2024-06-30 (one "
            "dated by its month or year only when that month or year begins after that day), "
            "listed in after_as_of_current.csv; 1 pledge with no announcement date is kept."
            ) in text
    assert "<b>F</b>" not in html
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert {h["label"]: h["value"] for h in summary["headline"]}["New pledges"] == "1"


def test_statuses_of_snapshots_dated_after_their_dates_are_no_transition(tmp_path, monkeypatch):
    """Two snapshots of exports (June and December 2025) counted 'in progress -> completed'
    between them from a status the later export dates in 2026. Each side holds the statuses
    known on its date: no such move, each side says how many statuses it left aside, and they
    are listed apart (formulas neutralised)."""
    from p2c_analysis import snapshots

    monkeypatch.setenv(snapshots.STORE_ENV, str(tmp_path / "store"))
    names = ("pledge_id", "title", "pledger", "announced_date", "status", "last_report_date")
    rows = (("P1", "=1+1 towers", "A", "2023-05-10"), ("P2", "Schools", "B", "2023-05-10"))
    june = write_rows(tmp_path / "june.csv", [
        dict(zip(names, (*rows[0], "in progress", "2025-05-01"), strict=True)),
        dict(zip(names, (*rows[1], "announced", ""), strict=True))])
    december = write_rows(tmp_path / "december.csv", [
        dict(zip(names, (*rows[0], "completed", "2026-03-01"), strict=True)),
        dict(zip(names, (*rows[1], "in progress", "2025-09-01"), strict=True))])
    prev = snapshots.add_file(june, as_of="2025-06-30").entry["id"]
    cur = snapshots.add_file(december, as_of="2025-12-31").entry["id"]
    folder = render_one("pledge_changes", {"previous": prev, "current": cur,
                                           "as_of": "2026-01-15"}, tmp_path / "out")
    moves = {(r["status_before"], r["status_after"]): r["pledges"]
             for r in csv_rows(folder / "status_transitions.csv")}
    assert ("in progress", "completed") not in moves
    assert moves[("announced", "in progress")] == "1"
    aside = csv_rows(folder / "statuses_after_as_of_current.csv")
    assert [(r["title"], r["status"], r["last_report_date"]) for r in aside] == [
        ("'=1+1 towers", "completed", "2026-03-01")]
    assert not (folder / "statuses_after_as_of_previous.csv").exists()
    html = (folder / "pledge_changes.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert ("No self-reported status of the previous side is dated after its date, 2025-06-30: "
            "none is left aside.") in text
    assert ("Left aside: 1 self-reported status of the current side whose report is dated after "
            "its date, 2025-12-31: not known on that day, so its pledge keeps its status on the "
            "previous side (2025-06-30), the latest known on that day, listed in "
            "statuses_after_as_of_current.csv.") in text
    # the pledge read 'in progress -> unknown' (no longer reported): it is in progress still
    p1 = {r["pledge_id"]: r for r in csv_rows(folder / "changes_by_pledge.csv")}["P1"]
    assert (p1["status_before"], p1["status_after"], p1["status_change"]) == (
        "in progress", "in progress", "unchanged")
    assert ("in progress", "unknown") not in moves


def test_the_headline_counts_pledges_for_review_with_their_pairs(tmp_path):
    """The headline said "2 pledges are listed for review" and the section below "1 candidate
    pair was not merged": both true (pledges against pairs), read as a contradiction. The
    headline now says in how many pairs."""
    prev = write_rows(tmp_path / "prev.csv", _dated_rows(("Fibre for schools", "Org X", "KEN",
                                                          "2023-03-01")))
    cur = write_rows(tmp_path / "cur.csv", _dated_rows(("Fibre for schools", "Org Y", "KEN",
                                                        "2023-03-01")))
    folder = render_one("pledge_changes", {"previous": str(prev), "current": str(cur),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (folder / "pledge_changes.html")
                                      .read_text(encoding="utf-8")))
    assert len(csv_rows(folder / "changes_for_review.csv")) == 1
    assert "2 pledges are listed for review (in 1 candidate pair: see below)." in text
    assert "1 candidate pair was not merged" in text


def test_new_pledges_with_no_value_are_listed_and_one_is_not_a_largest(tmp_path):
    """New pledges stating no value were counted ("2 new pledges appeared ...; none of them
    states a value") but their table was left out, so the report never said which they were.
    They are listed now."""
    old = ("Early", "A", "KEN", "2023-03-01")
    prev = write_rows(tmp_path / "prev.csv", _dated_rows(old))
    cur = write_rows(tmp_path / "cur.csv", _dated_rows(old, ("Towers", "B", "NGA", "2024-01-05"),
                                                       ("Schools", "C", "GHA", "2024-02-01")))
    folder = render_one("pledge_changes", {"previous": str(prev), "current": str(cur),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (folder / "pledge_changes.html")
                                      .read_text(encoding="utf-8")))
    assert ("2 new pledges appeared between the two tables (both as of 2024-06-30); none of "
            "them states a value.") in text
    section = text.split("none of them states a value.")[1].split("Pledges no longer listed")[0]
    assert "New pledges" in section and "Towers" in section and "Schools" in section


def test_a_table_against_itself_names_no_count_or_amount_of_0(tmp_path):
    """A file compared with itself read "with 0 rows set aside", "**0 new pledges** and **0
    pledges no longer listed**", "0 changed and 2 did not" and "USD 0 from new pledges, USD 0
    less from pledges no longer listed, a net USD 0 ..."."""
    src = write_rows(tmp_path / "two.csv", [
        {"title": "Towers", "pledger": "Org X", "target_countries": "KEN",
         "value": "USD 1 million", "announced_date": "2023-03-01"},
        {"title": "Schools", "pledger": "Org Y", "target_countries": "NGA",
         "announced_date": "2023-05-01"}])
    folder = render_one("pledge_changes", {"previous": str(src), "current": str(src),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    html = (folder / "pledge_changes.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "2 pledges, with no row set aside when the data were read" in text
    assert "the number of pledges stayed at 2: no new pledge and none of the earlier pledges " \
           "missing." in text
    assert "Of the 2 pledges found on both sides, none changed; none is listed for review." \
        in text
    assert ("The stated value of all pledges stayed at USD 1.00 M: no pledge added or took away "
            "any of it, and no stated value changed.") in text
    assert not re.search(r"\b0 (rows?|new|pledges|changed)\b|USD 0 (from|less)", text)


def test_one_pledge_no_longer_listed_reads_in_the_singular(tmp_path):
    """It read "1 pledge is no longer listed (USD 1.00 M as last stated by 1 of them). Absent
    is not withdrawn: these pledges are missing from the current table"."""
    rows = [{"title": "Towers", "pledger": "Org X", "target_countries": "KEN",
             "value": "USD 1 million", "announced_date": "2023-03-01"},
            {"title": "Schools", "pledger": "Org Y", "target_countries": "NGA",
             "announced_date": "2023-05-01"}]
    prev = write_rows(tmp_path / "prev.csv", rows)
    cur = write_rows(tmp_path / "cur.csv", rows[1:])
    folder = render_one("pledge_changes", {"previous": str(prev), "current": str(cur),
                                           "as_of": "2024-06-30"}, tmp_path / "out")
    html = (folder / "pledge_changes.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert ("1 pledge is no longer listed (it last stated USD 1.00 M). Absent is not withdrawn: "
            "this pledge is missing from the current table, whatever the reason.") in text
    assert "1 of them" not in text
