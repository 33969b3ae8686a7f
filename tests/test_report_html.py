"""End to end: a real report notebook rendered by the runner shows untrusted pledge text as text.

Pledge text is untrusted: a title such as ``<script>alert(1)</script>`` must reach the HTML a
reviewer opens escaped, never as markup, and the tables written beside it must be safe for
spreadsheets.
"""

from __future__ import annotations

import csv
import re

from rendering import csv_rows, render_one, write_rows

from p2c_analysis import paths

XSS_TITLE = "<script>alert(1)</script>"
XSS_PLEDGER = "<img src=x onerror=alert(2)>"
FORMULA_TITLE = "=HYPERLINK(\"http://evil.example\",\"click\")"


def _pledge_file(tmp_path):
    rows = csv_rows(paths.PUBLIC_PLEDGES)
    rows[0]["pledge_title"] = XSS_TITLE
    rows[0]["pledger"] = XSS_PLEDGER
    rows[1]["pledge_title"] = FORMULA_TITLE
    return write_rows(tmp_path / "pledges_with_markup.csv", rows)


def test_pledge_text_is_escaped_in_rendered_html(tmp_path):
    pledge_file = _pledge_file(tmp_path)
    folder = render_one("implementation_progress",
                        {"pledges": str(pledge_file), "as_of": "2026-06-30"}, tmp_path / "runs")
    html = (folder / "implementation_progress.html").read_text(encoding="utf-8")

    # the text is there, escaped ...
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    # ... and never as markup
    assert "<script>alert(1)" not in html
    assert not re.search(r"<img[^>]*onerror", html)
    assert not re.search(r"<script\b", html, re.I), "the report HTML carries no script at all"
    # each chart says what it shows to a screen reader (it said "No description has been
    # provided for this image"), from the figure's own title, axes and legend
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', html)
    assert len(alts) >= 2 and all(a.startswith("Chart: ") for a in alts), alts
    assert len(set(alts)) == len(alts)

    # the traffic-light table written beside it neutralises the formula cell
    with open(folder / "traffic_lights.csv", encoding="utf-8", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'" + FORMULA_TITLE in cells
    assert FORMULA_TITLE not in cells


def test_every_report_renders_a_pledge_file_without_pledges(tmp_path):
    """A pledge file with its header and no row (or a date before the first pledge) is a
    table of 0 pledges: every standard report renders it with zero counts and "n/a", never a
    traceback, ``nan``, ``NaN`` or ``None``, and states no pledge's figure."""
    import html as html_lib
    import json

    from runner_helpers import assert_manifest_matches_folders, p2c, runs

    header = paths.PUBLIC_PLEDGES.read_text(encoding="utf-8").splitlines()[0]
    empty = tmp_path / "no_pledges.csv"
    empty.write_text(header + "\n", encoding="utf-8")
    out = tmp_path / "runs"
    done = p2c("render", "-p", "pledges", str(empty), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    # the standard set but pledge_changes, which compares two tables (it would have reported
    # on the bundled public record instead, without a word): said on stderr
    assert len(m["reports"]) == 6 and {e["status"] for e in m["reports"]} == {"ok"}
    assert "pledge_changes" not in {e["name"] for e in m["reports"]}
    assert "pledge_changes is left out" in done.stderr
    for e in m["reports"]:
        page = (run_dir / e["html"]).read_text(encoding="utf-8")
        page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
        for bad in (" nan", "NaN", "<NA>", "Traceback"):
            assert bad not in text, (e["name"], bad)
        assert not re.search(r"\bNone\b(?! of)", text), e["name"]  # "None of ..." is prose
    for e in m["reports"]:  # every standard report gives its front-page card a subtitle
        title = json.loads((run_dir / e["folder"] / "summary.json").read_text())["title"]
        assert isinstance(title, str) and title, e["name"]
    quality = next(e for e in m["reports"] if e["name"] == "pledge_quality")
    text = (run_dir / quality["html"]).read_text(encoding="utf-8")
    assert "There is no pledge, so no index category, trackable share or mean score." in text
    assert "Of the 0 pledges" not in text
    # "No pledge misses a criterion entirely" is true of no pledge, and says nothing
    assert "No pledge misses a criterion entirely" not in text
    assert "There is no pledge to check against the criteria." in text
    summary = json.loads((run_dir / quality["folder"] / "summary.json").read_text())
    cards = {h["label"]: h["value"] for h in summary["headline"]}
    assert cards["Trackable"] == cards["USD stated / de-duplicated"] == "no pledge to analyse"


def test_a_file_of_one_pledge_reads_in_the_singular(tmp_path):
    """Counts agree with their nouns and verbs: a one-pledge file used to give "1 pledges",
    "1 have never reported", "1 pledges are overdue"."""
    import html as html_lib

    from runner_helpers import assert_manifest_matches_folders, p2c, runs

    one = write_rows(tmp_path / "one.csv", csv_rows(paths.PUBLIC_PLEDGES)[:1])
    out = tmp_path / "runs"
    done = p2c("render", "pledge_landscape", "pledge_quality", "implementation_progress",
               "-p", "pledges", str(one), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    texts = {}
    for e in m["reports"]:
        page = (run_dir / e["html"]).read_text(encoding="utf-8")
        page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
        texts[e["name"]] = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for name, text in texts.items():
        assert not re.search(r"\b1 (pledges|pledgers|countries|have|are)\b", text), (
            name, re.search(r".{60}\b1 (pledges|pledgers|countries|have|are)\b.{20}", text))
    assert "from 1 pledger in 1 country" in texts["pledge_landscape"]
    assert "Of the 1 pledge," not in texts["pledge_quality"]  # "Of the 1 pledge, 1 High: ..."
    assert re.search(r"The pledge scores [\d.]+, in index category [\w-]+: it is (not )?"
                     r"trackable", texts["pledge_quality"])


def test_gap_coverage_says_which_ranks_rest_on_old_values(tmp_path):
    """The under-served table ranked DPR Korea tenth on a 0.0% Internet use observed in 2004
    and carried forward twenty years, with nothing to say so: the observed year is now a
    column, and values more than 3 years old are named under the table."""
    import html as html_lib

    folder = render_one("gap_coverage", {"as_of": "2026-12-31"}, tmp_path / "runs")
    page = html_lib.unescape((folder / "gap_coverage.html").read_text(encoding="utf-8"))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Observed year used" in text
    assert re.search(r"DPR Korea \(2004\)[^.]*: the value is carried forward from the last "
                     r"observation, more than 3 years before 2024", text)
    rows = list(csv.DictReader(open(folder / "under_served.csv", encoding="utf-8")))
    assert {r["name"]: r["source_year"] for r in rows}["DPR Korea"] == "2004"
