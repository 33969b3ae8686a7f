"""End to end: generated prose at the edges (one pledge, no stated value, one year of data)
reads as a sentence: no "+nan", no "n/a of the pledged USD", no range from a value to itself,
counts agree with their nouns."""

from __future__ import annotations

import html
import re

import pytest
from rendering import write_rows

from p2c_analysis import planning, runner

BAD = re.compile(r"[ +-]nan\b|\bNaN\b|<NA>|\bNaT\b|Traceback|between (\S+) and \1\b|"
                 r"from (\S+) \(\S+, [^)]*\) to \2 \(|\b1 pledges\b|\b1 rows\b|\b1 economies\b|"
                 r"receive n/a")


def _render(tmp_path, notebooks, parameters):
    specs = planning.plan_render(notebooks, parameters)
    result = runner.render(specs, out=tmp_path, workers=2, progress=False)
    assert not result.failed
    return {e["name"]: _text(result.run_dir / e["name"] / f"{e['name']}.html")
            for e in result.reports}


def _text(page) -> str:
    t = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page.read_text(encoding="utf-8"),
               flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


@pytest.fixture(scope="module")
def one_pledge(tmp_path_factory):
    """All seven reports on a file of one pledge with no stated value."""
    tmp = tmp_path_factory.mktemp("one")
    src = write_rows(tmp / "one.csv", [{
        "title": "Towers", "pledger": "Org X", "target_countries": "KEN",
        "focus_area": "ACCESS", "announced_date": "2023-03-01", "target_year": "2025",
        "status": "in progress"}])
    return _render(tmp / "out", None, {"pledges": str(src)})


def test_one_pledge_without_a_value_reads_well(one_pledge):
    for name, text in one_pledge.items():
        bad = BAD.search(text)
        assert bad is None, (name, text[max(0, bad.start() - 150):bad.end() + 50])
    assert "1 pledge targeting 1 country by name; it states no value." in \
        one_pledge["pledge_landscape"]
    assert "No row was set aside: the 1 row read is a valid pledge." in \
        one_pledge["pledge_landscape"]
    assert ("The data hold 1 pledge from 1 pledger (its country not stated); it states no "
            "value.") in one_pledge["pledge_landscape"]
    assert ("no pledge states a value that could be allocated to countries, so there is no USD "
            "attention ratio. By count, no pledge reaches them") in one_pledge["gap_coverage"]
    assert "1 pledge is overdue as of" in one_pledge["implementation_progress"]
    assert ("No pledge states a value that could be allocated to Nigeria or its groups, so there "
            "is no USD attention ratio.") in one_pledge["country_profile"]
    assert "The one pledge (stakeholder type: unknown) is not trackable." in \
        one_pledge["pledge_quality"]
    assert "No quantified deliverable in the 1 pledge. No other quantity was left unread." in \
        one_pledge["pledge_quality"]
    assert "No pledge has a recent report." in one_pledge["implementation_progress"]
    assert "The pledge has a status as of" in one_pledge["implementation_progress"]
    assert "The 1 pledge does not target Nigeria." in one_pledge["country_profile"]
    assert "further, 0 pledges" not in one_pledge["country_profile"]
    assert "No pledge states a value." in one_pledge["pledge_quality"]


def test_a_range_of_one_year_reads_well(tmp_path):
    pages = _render(tmp_path, ["connectivity_gap", "country_profile"], {"year": 2000})
    for name, text in pages.items():
        bad = BAD.search(text)
        assert bad is None, (name, text[max(0, bad.start() - 150):bad.end() + 50])
    assert "The range holds one year, 2000: there is no change to show." in \
        pages["connectivity_gap"]
    assert "With one observed year up to 2000, there is no trend to extend." in \
        pages["country_profile"]


def test_an_empty_record_and_the_largest_new_pledge_read_well(tmp_path):
    pages = _render(tmp_path, ["pledge_landscape", "pledge_changes"], {"as_of": "2000-01-01"})
    assert "The data hold no pledge." in pages["pledge_landscape"]
    # two empty sides are no subset of the coalition: it read "These are the 0 publicly
    # described pledges bundled with the package, an unknown share of the coalition's pledges"
    assert "the 0 publicly described" not in pages["pledge_changes"]
    # "0 pledges, with 0 rows set aside" read as a count: no pledge, no row
    assert "no pledge, with no row set aside" in pages["pledge_changes"]
    assert not re.search(r"\b0 (pledges|rows)\b", pages["pledge_changes"])
    cards = sorted(tmp_path.glob("latest/pledge_*/summary.json"))  # nor on front-page cards
    assert len(cards) == 2
    for card in cards:
        assert "the 0 publicly described" not in card.read_text(encoding="utf-8"), card
    pages = _render(tmp_path / "now", ["pledge_changes"], {"previous": "2025-03-01",
                                                            "current": "2026-03-31"})
    text = pages["pledge_changes"]
    assert re.search(r'The largest by stated value is "[^"]+" \(by [^,]+, USD [\d.]+ bn\)', text)
    assert "'s (" not in text


def test_a_total_resting_on_no_lower_bound_says_so(tmp_path):
    """A file whose one value is a plain amount read "Of the stated total, USD 0 rests on lower
    bounds ("over", "more than") and USD 0 on yearly amounts multiplied by a stated number of
    years"."""
    src = write_rows(tmp_path / "plain.csv", [{
        "title": "Towers", "pledger": "Org X", "target_countries": "KEN",
        "focus_area": "ACCESS", "announced_date": "2023-03-01",
        "estimated_value_usd": "5000000"}])
    text = _render(tmp_path / "out", ["pledge_landscape"], {"pledges": str(src)})[
        "pledge_landscape"]
    assert "USD 0 rests on" not in text and "USD 0 on yearly" not in text
    assert "1 pledge targeting 1 country by name; it states a value, USD 5.00 M." in text
    assert ("The data hold 1 pledge from 1 pledger (its country not stated); it states a value, "
            "USD 5.00 M (estimated, converted to US dollars).") in text
    assert ('No part of the stated total rests on lower bounds ("over", "more than") or on '
            "yearly amounts multiplied by a stated number of years. The pledge_quality report "
            "lists every basis.") in text


def test_a_pledge_to_anguilla_alone_is_said_to_be_in_no_itu_region(tmp_path):
    """Anguilla is a SIDS but not an ITU Member State: its pledge counted in World and SIDS
    and in no ITU-D region row, without a word; it is now named beside the group table."""
    src = write_rows(tmp_path / "aia.csv", [{
        "title": "Fibre", "pledger": "Org X", "target_countries": "AIA",
        "focus_area": "ACCESS", "announced_date": "2023-03-01",
        "estimated_value_usd": "5000000"}])
    specs = planning.plan_render(["gap_coverage", "pledge_landscape"], {"pledges": str(src)})
    result = runner.render(specs, out=tmp_path / "out", workers=1, progress=False)
    assert not result.failed
    folder = result.run_dir / "gap_coverage"
    text = _text(folder / "gap_coverage.html")
    said = ("Not in an ITU-D region (not ITU Member States): Anguilla (1 pledge reaching it, "
            "USD 5.00 M allocated; no offline data)")
    assert said in text
    # pledge_landscape's "Pledges reaching each group" chart has no region bar for it either
    assert said in _text(result.run_dir / "pledge_landscape" / "pledge_landscape.html")
    rows = (folder / "outside_itu_regions.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("iso3,name,") and rows[1].startswith("AIA,Anguilla,")


def test_niue_and_global_pledges_read_the_same_in_card_prose_and_table(tmp_path):
    """Niue named by one pledge and reached by another through SIDS: the card and the prose
    said 2, the coverage table 1. Money to Niue and Anguilla alone: SIDS read "USD 0.23 per
    offline person, attention ratio 88.79" and Nigeria "USD attention ratio 0.00"."""
    src = write_rows(tmp_path / "niue.csv", [
        {"title": "Niue schools", "pledger": "Org N", "target_countries": "NIU",
         "target_region": "", "focus_area": "ACCESS", "announced_date": "2023-03-01",
         "estimated_value_usd": "2000000"},
        {"title": "SIDS fund", "pledger": "Org S", "target_countries": "", "target_region": "SIDS",
         "focus_area": "ACCESS", "announced_date": "2023-03-01",
         "estimated_value_usd": "10000000"}])
    specs = planning.plan_render(["country_profile"], {"pledges": str(src), "country": "Niue"})
    result = runner.render(specs, out=tmp_path / "out", workers=1, progress=False)
    assert not result.failed
    folder = result.run_dir / "country_profile"
    text = _text(folder / "country_profile.html")
    assert "Both pledges target Niue: 1 by name and 1 through SIDS" in text
    assert (folder / "country_coverage.csv").read_text().splitlines()[1].startswith(
        "NIU,,,,False,2,2,")
    assert ("The pledge reaching it through SIDS counts for it but allocates it no USD: with no "
            "figure to weigh its share, its USD goes to the members with data.") in text
    only = write_rows(tmp_path / "only.csv", [
        {"title": "Niue only", "pledger": "Org N", "target_countries": "NIU",
         "focus_area": "ACCESS", "announced_date": "2023-03-01",
         "estimated_value_usd": "5000000"},
        {"title": "Anguilla only", "pledger": "Org A", "target_countries": "AIA",
         "focus_area": "ACCESS", "announced_date": "2023-03-01",
         "estimated_value_usd": "1000000"}])
    pages = _render(tmp_path / "only", ["gap_coverage", "country_profile"], {"pledges": str(only)})
    for name, page in pages.items():
        bad = BAD.search(page)
        assert bad is None, (name, page[max(0, bad.start() - 150):bad.end() + 50])
        assert "88.79" not in page
    assert ("USD 6.00 M to economies whose offline population is unknown: Niue USD 5.00 M "
            "(1 pledge reaching it) and Anguilla USD 1.00 M") in pages["gap_coverage"]
    assert "Nigeria has no USD attention ratio (n/a)" in pages["country_profile"]
    glob = _render(tmp_path / "glob", ["country_profile"], {"include_global": True})
    assert "6 of the 47 pledges target Nigeria, including 1 global pledge" in \
        glob["country_profile"]


def test_usd_only_to_economies_with_no_one_offline_is_not_called_no_value(tmp_path):
    """A file whose one stated value goes to the United Arab Emirates (Internet use 100%: no
    one offline) read "no pledge states a value that could be allocated to countries": the
    pledge states USD 5 M, allocated to the UAE and kept out of the ratios as money where no
    one is offline; the headline now says so, like the table beside it."""
    src = write_rows(tmp_path / "are.csv", [{
        "title": "Data centre", "pledger": "Org X", "target_countries": "ARE",
        "focus_area": "ACCESS", "announced_date": "2023-03-01",
        "estimated_value_usd": "5000000"}])
    text = _render(tmp_path / "out", ["gap_coverage"], {"pledges": str(src)})["gap_coverage"]
    assert BAD.search(text) is None
    assert "USD 5.00 M to economies with no one offline: United Arab Emirates" in text
    assert "no pledge states a value" not in text
    assert ("the pledged USD is allocated only to economies with no one offline, so there is "
            "no USD attention ratio (n/a).") in text


def test_the_status_line_names_every_status_held(tmp_path):
    """A file whose two pledges are both withdrawn read "All 2 pledges have a status as of
    ...: 0 from public evidence of progress and 2 self-reported; 0 are completed and 0 in
    progress": it said what they are not. Every status held is named now."""
    src = write_rows(tmp_path / "wd.csv", [
        {"title": t, "pledger": p, "target_countries": "KEN", "focus_area": "ACCESS",
         "announced_date": "2022-04-03", "target_year": "2023", "status": "withdrawn"}
        for t, p in (("A", "Org A"), ("B", "Org B"))])
    text = _render(tmp_path / "out", ["implementation_progress"],
                   {"pledges": str(src), "as_of": "2026-01-01"})["implementation_progress"]
    assert BAD.search(text) is None
    assert ("Both pledges have a status as of 2026-01-01 (self-reported): both are withdrawn. "
            "Pledged value by status is in the table below.") in text
    assert "0 from public evidence" not in text
    assert "0 are completed" not in text


def test_one_value_among_several_pledges_is_no_together(tmp_path):
    """A file of three pledges, one stating a value, read "The data hold 3 pledges ...; 1 of
    them states a value, together USD 5.00 M" (and the header "1 states a value, together
    USD 5.00 M"): a total of one amount."""
    rows = [{"title": t, "pledger": "Org X", "target_countries": "KEN", "value": v,
             "announced_date": "2023-03-01"} for t, v in (("Towers", "USD 5 million"),
                                                         ("Schools", ""), ("Skills", ""))]
    src = write_rows(tmp_path / "three.csv", rows)
    text = _render(tmp_path / "out", ["pledge_landscape"], {"pledges": str(src)})[
        "pledge_landscape"]
    assert ("3 pledges from 1 pledger (its country not stated); 1 of them states a value, "
            "USD 5.00 M (estimated") in text
    assert "together USD 5.00 M" not in text
    assert "3 pledges targeting 1 country by name; 1 states a value, USD 5.00 M." in text


def test_every_pledge_stating_a_value_reads_both_or_all(tmp_path):
    """A file of two pledges, both stating a value, read "The data hold 2 pledges ...; 2 of them
    state a value, together USD 3.00 M" and in the header "2 state a value, together"."""
    rows = [{"title": t, "pledger": p, "target_countries": "KEN", "value": v,
             "announced_date": "2023-03-01"} for t, p, v in (("Towers", "Org X", "USD 1 million"),
                                                             ("Schools", "Org Y", "USD 2 million"))]
    src = write_rows(tmp_path / "two.csv", rows)
    text = _render(tmp_path / "out", ["pledge_landscape"], {"pledges": str(src)})[
        "pledge_landscape"]
    assert BAD.search(text) is None
    assert ("2 pledges from 2 pledgers (their countries not stated); both state a value, "
            "together USD 3.00 M (estimated") in text
    assert "2 pledges targeting 1 country by name; both state a value, together USD 3.00 M." \
        in text
    assert "2 of them" not in text and "2 state a value" not in text


def test_an_economy_with_no_one_offline_and_no_usd_reads_no_usd(tmp_path):
    """Pledges to the Arab States reach Bahrain (no one offline) but, by offline allocation,
    give it nothing: the report read "Bahrain USD 0 (1 pledge reaching it)", and with no USD
    to any such economy "USD 0 to economies with no one offline"."""
    region = {"title": "Arab broadband", "pledger": "Org Y", "target_regions": "Arab States",
              "focus_area": "ACCESS", "announced_date": "2023-03-01",
              "estimated_value_usd": "2000000"}
    named = {"title": "Data centre", "pledger": "Org X", "target_countries": "ARE",
             "target_regions": "", "focus_area": "ACCESS", "announced_date": "2023-03-01",
             "estimated_value_usd": "5000000"}
    both = write_rows(tmp_path / "both.csv", [named, region], fieldnames=list(named))
    text = _render(tmp_path / "both", ["gap_coverage"], {"pledges": str(both)})["gap_coverage"]
    assert BAD.search(text) is None
    assert ("USD 5.00 M to economies with no one offline: United Arab Emirates USD 5.00 M (2 "
            "pledges reaching it), Bahrain no USD (1 pledge reaching it)") in text
    assert not re.search(r"(Bahrain|Arabia) USD 0\b", text)
    only = write_rows(tmp_path / "region.csv", [region])
    text = _render(tmp_path / "only", ["gap_coverage"], {"pledges": str(only)})["gap_coverage"]
    assert ("Pledges reach economies with no one offline but allocate them no USD (offline "
            "allocation): United Arab Emirates (1 pledge reaching it), Bahrain (1 pledge "
            "reaching it)") in text
    assert "USD 0 to economies with no one offline" not in text
    assert not re.search(r"(Emirates|Bahrain|Arabia) USD 0\b", text)


def test_gap_coverage_draws_no_map_when_no_country_is_allocated_usd(tmp_path):
    """A pledge file of global pledges only (no country or region named) drew the USD per
    offline person map with every country in the lowest class, USD 0: it said nothing. No map
    is drawn; one sentence says why."""
    row = {"title": "Global fund", "pledger": "Org G", "target_countries": "",
           "target_region": "Global", "focus_area": "ACCESS", "announced_date": "2023-03-01",
           "estimated_value_usd": "5000000"}
    src = write_rows(tmp_path / "global.csv", [row, {**row, "title": "Worldwide training",
                                                     "pledger": "Org H"}])
    text = _render(tmp_path / "out", ["gap_coverage"], {"pledges": str(src)})["gap_coverage"]
    assert ("No chart of “Pledged USD per offline person, 2024”: no country with people offline "
            "is allocated any pledged USD (each would be in the lowest class, USD 0).") in text


@pytest.mark.parametrize("rows, said", [
    (1, "The row read was set aside."),
    (2, "Both rows read were set aside."),
])
def test_a_file_whose_every_row_is_set_aside_says_so_in_words(tmp_path, rows, said):
    """A file of one row, set aside, read "1 of the 1 row read was set aside."; of two rows,
    "2 of the 2 rows read were set aside."."""
    src = write_rows(tmp_path / "bad.csv", [{"title": "", "pledger": "",
                                             "estimated_value_usd": "abc"}] * rows)
    text = _render(tmp_path / "out", ["pledge_landscape"], {"pledges": str(src)})
    assert said in text["pledge_landscape"]
    assert not re.search(r"\b\d+ of the \d+ rows? read", text["pledge_landscape"])
