"""End to end: reports on the public record before its first pledge (no pledge to analyse) say
so once, and no sentence counts "0 of the 0 pledges" or sets "the 0 publicly described
pledges" beside USD figures there are none of."""

from __future__ import annotations

import html
import re

from rendering import render_one

from p2c_analysis import record


def _text(folder, name: str) -> str:
    page = (folder / f"{name}.html").read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_reports_before_the_first_pledge_say_there_is_none(tmp_path):
    as_of = "2021-06-30"
    assert len(record.public_record(as_of).pledges) == 0
    texts = {name: _text(render_one(name, {"as_of": as_of}, tmp_path / name), name)
             for name in ("gap_coverage", "implementation_progress", "country_profile")}
    for name, text in texts.items():
        assert "No pledge to analyse: the public record holds no pledge known on 2021-06-30" \
            in text, name
        assert "0 of the 0" not in text and "None of the 0" not in text, name
        assert "0 publicly described pledges" not in text, name
    assert ("As of 2021-06-30, there is no pledge whose reporting could be counted."
            in texts["implementation_progress"])
    assert "There is no pledge to analyse, so none targets Nigeria." in texts["country_profile"]
    # not "By count, no pledge reaches them (pledge-unit attention ratio n/a: ...)"
    assert ("By count, no pledge reaches a country, so there is no pledge-unit attention ratio "
            "either.") in texts["gap_coverage"]
    assert "ratio n/a" not in texts["gap_coverage"]
    for name, text in texts.items():  # the header: not "0 pledges targeting 0 countries"
        assert "0 pledges" not in text and "0 countries" not in text, name


def test_pledge_landscape_before_the_first_pledge_reads_no_row(tmp_path):
    """pledge_landscape said "No row was set aside: all 0 rows read are valid pledges"."""
    text = _text(render_one("pledge_landscape", {"as_of": "2022-01-01"}, tmp_path),
                 "pledge_landscape")
    assert "No row was read, so none was set aside." in text
    assert "all 0 rows" not in text and "0 of the 0" not in text
