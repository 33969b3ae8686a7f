"""End to end: the ``pledge_quality`` report rendered once by the runner (kernel starts are
slow) on the public record as known on 2026-12-01."""

from __future__ import annotations

import csv
import json
import re

import pytest
from rendering import csv_rows, render_one, write_rows

from p2c_analysis import planning, record

AS_OF = "2026-12-01"
REQUIRED = {
    "pledge_scores.csv": ["pledge_id", "title", "pledger", "score", "index", "reasons"],
    "value_basis.csv": ["value_basis", "pledges", "pledges_with_value", "usd_stated",
                        "usd_deduplicated"],
    "deliverables.csv": ["pledge_id", "title", "quantity", "unit", "text"],
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    assert planning.STANDARD_REPORTS[-1] == "pledge_quality"
    return render_one("pledge_quality", {"as_of": AS_OF}, tmp_path_factory.mktemp("runs"))


def test_required_tables_and_columns(folder):
    for name, columns in REQUIRED.items():
        rows = csv_rows(folder / name)
        assert rows and set(columns) <= set(rows[0]), name
    for name in ("score_distribution", "needs_vs_pledged", "needs_by_focus_area",
                 "one_field_away", "score_sensitivity", "campaign_totals", "columns"):
        assert (folder / f"{name}.csv").is_file(), name


def test_one_row_per_pledge_with_a_known_index(folder):
    rows = csv_rows(folder / "pledge_scores.csv")
    pledges = record.public_record(AS_OF).pledges
    assert sorted(r["pledge_id"] for r in rows) == sorted(pledges["pledge_id"].astype(str))
    assert {r["index"] for r in rows} <= {"High", "Upper-moderate", "Lower-moderate", "Low"}
    assert all(0 <= float(r["score"]) <= 100 and r["reasons"] for r in rows)


def test_value_basis_and_needs_keep_stated_and_deduplicated_apart(folder):
    basis = {r["value_basis"]: r for r in csv_rows(folder / "value_basis.csv")}
    total = basis["all"]
    assert float(total["usd_deduplicated"]) < float(total["usd_stated"])
    assert basis["re_announcement"]["usd_deduplicated"] == "0.0"
    needs = csv_rows(folder / "needs_vs_pledged.csv")
    assert {r["component"] for r in needs} == {"total"}
    blueprint = [r for r in needs if r["study"] == "Connecting Humanity Action Blueprint"]
    assert len(blueprint) == 1  # a range stays a range: low and high, no midpoint
    assert float(blueprint[0]["need_low_usd"]) < float(blueprint[0]["need_high_usd"])


def test_every_column_is_documented_and_the_summary_has_headline_numbers(folder):
    docs = csv_rows(folder / "columns.csv")
    assert [d for d in docs if d["definition"] == "undocumented"] == []
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    labels = [h["label"] for h in summary["headline"]]
    assert labels == ["Pledges scored High", "Trackable", "One field from trackable",
                      "USD stated / de-duplicated"]


def test_html_shows_the_rubric_and_carries_no_script(folder):
    html = (folder / "pledge_quality.html").read_text(encoding="utf-8")
    assert "Nutrition Accountability Framework" in html and "Resource-based" in html
    assert "our assumption" in html
    assert not re.search(r"<script\b", html, re.I)


def test_the_sensitivity_sentence_names_the_criterion_by_its_label(folder):
    html = (folder / "pledge_quality.html").read_text(encoding="utf-8")
    most = re.search(r"Leaving out <strong>([^<]+)</strong> changes", html).group(1)
    labels = {r["criterion"]: r["criterion_label"]
              for r in csv_rows(folder / "quality_criteria.csv")}
    sens = csv_rows(folder / "score_sensitivity.csv")[1:]
    top = max(sens, key=lambda r: int(r["pledges_changed"]))["dropped"]
    assert most == labels[top] != top


XSS_SENTENCE = "<script>alert(3)</script> We will train 5,000 people [here](javascript:alert(4))."
XSS_TITLE = "<img src=x onerror=alert(5)>"


def test_a_pledge_file_of_ones_own_with_markup_in_its_text(tmp_path):
    """A pledge file (no public record: progress only from the file) whose title and the
    sentence a deliverable comes from carry markup: shown as text, never as markup."""
    from p2c_analysis import paths

    with open(paths.PUBLIC_PLEDGES, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["pledge_title"] = XSS_TITLE
    rows[0]["description"] = XSS_SENTENCE
    src = write_rows(tmp_path / "pledges.csv", rows)
    folder = render_one("pledge_quality", {"pledges": str(src), "as_of": AS_OF},
                        tmp_path / "runs")
    html = (folder / "pledge_quality.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(5)&gt;" in html
    assert not re.search(r"<script\b", html, re.I)
    assert not re.search(r"<img[^>]*onerror", html)
    assert not re.search(r"<a[^>]*javascript:", html, re.I)
    assert "matched only to the bundled public record" in html
    found = [r for r in csv_rows(folder / "deliverables.csv") if r["title"] == XSS_TITLE]
    assert [(r["quantity"], r["unit"]) for r in found] == [("5000.0", "people trained")]
    assert len(csv_rows(folder / "pledge_scores.csv")) == len(rows)


def test_a_file_of_one_pledge_with_deliverables_reads_in_the_singular(tmp_path):
    """Ghana's one pledge (2,016 sites, 3 million people) read "2 quantified deliverables in 1
    of the 1 pledge", "1 of the 1 pledge earns no point on it" and "1 pledge states a number of
    people and name their targets"."""
    import html

    from p2c_analysis import paths

    one = write_rows(tmp_path / "one.csv", csv_rows(paths.PUBLIC_PLEDGES)[:1])
    out = render_one("pledge_quality", {"pledges": str(one)}, tmp_path / "runs")
    page = (out / "pledge_quality.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    n = len(csv_rows(out / "deliverables.csv"))
    assert n > 1 and f"{n} quantified deliverables in the 1 pledge:" in text
    assert "of the 1 pledge" not in text
    # one such pledge is named in the same sentence (quality.reach_text), not "the largest"
    assert "1 pledge states a number of people and names its targets: " in text
    # the file lacks the two Canada pledges the AI drive counted again (value_overlaps.csv):
    # what the campaigns counted twice is unknown here, not "USD 0 of it (0 pledges)"
    drive = [r for r in csv_rows(out / "campaign_totals.csv")
             if r["campaign"] == "P2C x AI for Good AI pledge drive"]
    assert drive and drive[0]["usd_deduplicated"] == ""
    assert drive[0]["pledges_counted_earlier"] == "2"
    assert "(0 pledges) was already counted" not in text
    assert "by an amount unknown here" in text


def test_the_one_pledge_of_an_early_record_reads_in_the_singular(tmp_path):
    """As of 2022-03-01 the public record holds one pledge: the report read "The 1 pledge of
    the public record as known on 2022-03-01 is scored for 2024; 0 of them have public
    evidence of progress dated by then"."""
    import html

    from p2c_analysis import record as rec

    as_of = "2022-03-01"
    assert len(rec.public_record(as_of).pledges) == 1
    out = render_one("pledge_quality", {"as_of": as_of}, tmp_path / "runs")
    page = (out / "pledge_quality.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "of them have public evidence" not in text
    assert (f"The 1 pledge of the public record as known on {as_of} is scored for 2024; it has "
            "no public evidence of progress dated by then.") in text


def test_the_tables_show_labels_not_codes(folder):
    """The rubric table showed its ingredients as "target_year", the sensitivity table the
    criteria as "time_bound" and its first row "none", the value-basis tables "re_announcement":
    the report shows labels; the CSV tables keep the codes."""
    html = (folder / "pledge_quality.html").read_text(encoding="utf-8")
    cells = set(re.findall(r"<td>([^<]*)</td>", html))
    assert {"target year", "in-kind resource", "none (every criterion)", "Time-bound",
            "yearly × years", "whole amount"} <= cells
    assert not cells & {"target_year", "in_kind_resource", "none", "time_bound",
                        "per_year_times_years", "total", "re_announcement"}
    assert "target_year" in {r["ingredient"] for r in csv_rows(folder / "quality_rubric.csv")}
    assert csv_rows(folder / "score_sensitivity.csv")[0]["dropped"] == "none"
    assert "per_year_times_years" in {r["value_basis"] for r in csv_rows(folder /
                                                                        "value_basis.csv")}


def test_a_record_without_evidence_says_none_of_them_has(tmp_path):
    """As of 2022-06-30 the public record holds 10 pledges and no evidence of progress: the
    report read "... are scored for 2024; 0 of them have public evidence of progress"."""
    import html

    from p2c_analysis import evidence
    from p2c_analysis import record as rec

    as_of = "2022-06-30"
    known = rec.public_record(as_of)
    assert len(known.pledges) > 1
    assert not evidence.evidence_ids(known.events, as_of) & set(known.pledges["pledge_id"])
    out = render_one("pledge_quality", {"as_of": as_of}, tmp_path / "runs")
    page = (out / "pledge_quality.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert (f"The {len(known.pledges)} pledges of the public record as known on {as_of} are "
            "scored for 2024; none of them has public evidence of progress dated by then.") \
        in text
    assert "0 of them" not in text


def test_the_published_total_beside_one_pledge_reads_in_the_singular(tmp_path):
    """Beside ITU's published total, a file of one pledge read "the figures here cover the 1
    pledge of this report only"."""
    import html

    from p2c_analysis import paths

    one = write_rows(tmp_path / "one.csv", csv_rows(paths.PUBLIC_PLEDGES)[:1])
    out = render_one("pledge_quality", {"pledges": str(one)}, tmp_path / "runs")
    page = (out / "pledge_quality.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "the figures here cover the one pledge of this report only." in text
    assert "cover the 1 pledge" not in text
