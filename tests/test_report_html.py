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

    # the traffic-light table written beside it neutralises the formula cell
    with open(folder / "traffic_lights.csv", encoding="utf-8", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'" + FORMULA_TITLE in cells
    assert FORMULA_TITLE not in cells
