"""Pledge text never becomes a link in a report, not even a bare URL that a Markdown
renderer would link by itself."""
from __future__ import annotations

import html
import re

from nbconvert.filters.markdown_mistune import markdown2html_mistune

from p2c_analysis import report


def test_a_bare_url_in_pledge_text_is_not_linked() -> None:
    for text in ("Connect https://evil.example/phish now", "see HTTP://x.org/login",
                 "mail help@evil.example", "visit www.evil.example", "WWW.EVIL.EXAMPLE"):
        page = markdown2html_mistune(report.escape(text))
        assert "<a " not in page and "href" not in page, (text, page)
        shown = html.unescape(re.sub(r"<[^>]+>", "", page)).strip()
        assert shown == text  # it shows as typed


def test_generated_prose_does_not_link_a_url_in_a_title() -> None:
    text = report.say("The pledge {t} is new.", t="Connect https://evil.example/phish")
    assert "<a " not in markdown2html_mistune(text.data)
