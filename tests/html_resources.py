"""Test helpers: the URLs an HTML page would load from the network (reports must open offline),
and the CSS rules its style sheets declare."""

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
        self.css: list[str] = []  # the text of the page's <style> elements
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
            self.css.append(data)


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def external_resources(html: str) -> list[str]:
    """URLs an HTML page would fetch from the network (``http(s):`` or protocol-relative
    ``//``); empty for a page that opens offline. Plain ``<a href>`` links are not loads."""
    finder = _ResourceFinder()
    finder.feed(html)
    return [u for u in finder.urls if re.match(r"^\s*(https?:)?//", u, re.IGNORECASE)]


def _css_blocks(css: str, media: str | None, supports: str | None = None
                ) -> list[tuple[str | None, str | None, list[str], dict[str, str]]]:
    """``(media, supports, selectors, declarations)`` of each rule of ``css`` (comments
    removed; the rules of an ``@media`` block carry its condition, those of an ``@supports``
    block its condition as ``supports``, others ``media`` and ``supports``)."""
    rules: list[tuple[str | None, str | None, list[str], dict[str, str]]] = []
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    i = 0
    while (open_at := css.find("{", i)) != -1:
        head = css[i:open_at].strip()
        depth, j = 1, open_at + 1
        while depth and j < len(css):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        body = css[open_at + 1:j - 1]
        if head.startswith("@media"):
            rules += _css_blocks(body, head.removeprefix("@media").strip(), supports)
        elif head.startswith("@supports"):
            rules += _css_blocks(body, media, head.removeprefix("@supports").strip())
        elif not head.startswith("@"):
            decls = dict(
                (k.strip().lower(), v.strip()) for k, _, v in
                (d.partition(":") for d in body.split(";") if ":" in d))
            rules.append((media, supports, [s.strip() for s in head.split(",")], decls))
        i = j
    return rules


def css_rules(html: str, media: str | None = None, supports: str | None = None
              ) -> list[tuple[list[str], dict[str, str]]]:
    """``(selectors, {property: value})`` of every CSS rule in the page's ``<style>`` elements
    that applies under ``media`` (``"print"``: the rules of ``@media print`` blocks; ``None``:
    the rules outside any ``@media`` block) and ``supports`` (the condition of the
    ``@supports`` block they are in, as written; ``None``: outside any)."""
    finder = _ResourceFinder()
    finder.feed(html)
    return [(sels, decls) for where, cond, sels, decls
            in _css_blocks("\n".join(finder.css), None) if where == media and cond == supports]


def declared(html: str, selector: str, prop: str, media: str | None = None,
             supports: str | None = None) -> list[str]:
    """The values ``prop`` is given by the rules of ``media`` and ``supports``
    (:func:`css_rules`) whose selector list holds ``selector`` exactly, in page order (the
    last one wins)."""
    return [decls[prop] for sels, decls in css_rules(html, media, supports)
            if selector in sels and prop in decls]
