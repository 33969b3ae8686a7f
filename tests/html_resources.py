"""Test helper: the URLs an HTML page would load from the network (reports must open offline)."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _ResourceFinder(HTMLParser):
    """Collects the URLs a page would load (not plain links): script/img/iframe/source src,
    link href (style sheets, fonts, icons), CSS ``url(...)`` and ``@import``."""

    _LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
              "audio": "src", "video": "src", "link": "href", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        want = self._LOADS.get(tag)
        for key, value in attrs:
            if value and key == want:
                self.urls.append(value)
            if value and key == "style":
                self.urls.extend(_css_urls(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_css_urls(data))


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def external_resources(html: str) -> list[str]:
    """URLs an HTML page would fetch from the network (``http(s):`` or protocol-relative
    ``//``); empty for a page that opens offline. Plain ``<a href>`` links are not loads."""
    finder = _ResourceFinder()
    finder.feed(html)
    return [u for u in finder.urls if re.match(r"^\s*(https?:)?//", u, re.IGNORECASE)]
