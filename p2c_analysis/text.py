"""Plain text the package shares between the pledge loader, the pages and the terminal: the
invisible characters a pasted cell, header or file name may carry.

A small module on purpose (no pandas): the front page and the runner use it too, and they are
imported by every ``p2c`` command.
"""

from __future__ import annotations

import functools
import html
import unicodedata

#: Format characters (Unicode category Cf) that carry meaning in text, kept in text cells
#: (:func:`without_invisible` with ``in_text=True``): the zero-width non-joiner and joiner
#: (Persian and Indic spelling, emoji sequences such as 👩‍💻), the tag characters of
#: subdivision flag emoji, and the prepended concatenation marks (the Arabic number sign and
#: its kin, which join the digits that follow).
MEANINGFUL_FORMAT_CHARACTERS: frozenset[int] = frozenset(
    {0x200C, 0x200D, *range(0xE0020, 0xE0080), *range(0x0600, 0x0606), 0x06DD, 0x070F,
     0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD})


#: The Unicode planes that hold format characters: the basic and supplementary multilingual
#: planes and the supplementary special-purpose plane (tags); the others hold ideographs and
#: private use. Scanning these alone builds a table in 15 ms instead of 80 ms (each process,
#: each report's kernel, builds one: see ``kernels.warm_lookups``).
_PLANES_WITH_FORMAT_CHARACTERS: tuple[range, ...] = (range(0x20000), range(0xE0000, 0xF0000))


@functools.cache
def _invisible_table(in_text: bool) -> dict[int, None]:
    """:meth:`str.translate` table deleting the format characters (Unicode category Cf),
    all of them or (``in_text``) all but :data:`MEANINGFUL_FORMAT_CHARACTERS`."""
    keep = MEANINGFUL_FORMAT_CHARACTERS if in_text else frozenset()
    return dict.fromkeys(cp for plane in _PLANES_WITH_FORMAT_CHARACTERS for cp in plane
                         if unicodedata.category(chr(cp)) == "Cf" and cp not in keep)


def without_invisible(text: str, in_text: bool = False) -> str:
    """``text`` without the characters that show nothing: Unicode's format characters
    (category Cf: zero-width spaces, the word joiner, soft hyphens, byte-order marks,
    direction marks and overrides, and, but for ``in_text``, the zero-width joiners too).
    The package's one list of them, for column headers
    (:func:`p2c_analysis.fields.normalise_column`: all of them), text cells
    (``pledges._clean_text``) and the pages' text (``report.escape``, ``frontpage``), the last
    two with ``in_text=True``: the ones that carry meaning in a script or an emoji stay
    (:data:`MEANINGFUL_FORMAT_CHARACTERS`); a no-break space is a space, not one of them."""
    return text.translate(_invisible_table(in_text))


def html_text(text: str) -> str:
    """Untrusted ``text`` for an HTML context: without invisible format characters
    (:func:`without_invisible`, ``in_text``: a right-to-left override would show the rest of
    its line reversed), then HTML-escaped, quotes too. The reports' ``report.escape_html`` and
    the front page both write text through it."""
    return html.escape(without_invisible(text, in_text=True), quote=True)


def capitalised(text: str) -> str:
    """``text`` with its first character in upper case and the rest as it is (``"both
    pledges"`` -> ``"Both pledges"``, ``"UN Asia"`` unchanged): the start of a sentence built
    from parts, which ``str.capitalize`` would lower-case."""
    return text[:1].upper() + text[1:]
