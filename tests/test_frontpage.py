"""The front page links and reads only what its run folder holds."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from p2c_analysis import frontpage
from tests.html_resources import css_rules, declared


def _report(run: Path, name: str) -> dict:
    """A rendered report inside ``run``: its folder, page and executed notebook."""
    (run / name).mkdir(parents=True)
    (run / name / f"{name}.html").write_text("<p>report</p>", encoding="utf-8")
    (run / name / f"{name}.ipynb").write_text("{}", encoding="utf-8")
    return {"name": name, "notebook": f"{name}.ipynb", "status": "ok", "folder": name,
            "html": f"{name}/{name}.html"}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A report folder outside the run folder, with a page and notebook that must not be
    linked."""
    _report(tmp_path / "elsewhere", "secret")
    return tmp_path / "elsewhere" / "secret"


@pytest.mark.parametrize("where", ["absolute", "dotdot", "link"])
def test_a_tampered_manifest_path_outside_the_run_is_not_linked(
        tmp_path: Path, outside: Path, where: str) -> None:
    """A manifest edited to point a card at a folder or page outside the run (an absolute
    path, ../, a symbolic link out of the run) gave links to it: the card now shows the report
    without those links and says why in one line; the report inside the run keeps its own."""
    run = tmp_path / "run"
    good = _report(run, "good")
    if where == "absolute":
        folder, page = str(outside), str(outside / "secret.html")
    elif where == "dotdot":
        folder, page = "../elsewhere/secret", "../elsewhere/secret/secret.html"
    else:
        os.symlink(outside, run / "secret")
        folder, page = "secret", "secret/secret.html"
    bad = {"name": "secret", "notebook": "secret.ipynb", "status": "ok", "folder": folder,
           "html": page}
    html = frontpage.render_index(run, {"run_id": "r", "reports": [good, bad]})
    assert 'href="good/good.html"' in html and 'href="good/good.ipynb"' in html
    assert 'href="good/"' in html
    assert "secret.html" not in html and "secret.ipynb" not in html
    assert "elsewhere" not in html and 'href="secret/"' not in html
    assert html.count(frontpage.OUTSIDE_NOTE) == 1


def test_in_run_accepts_paths_inside_and_refuses_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert frontpage.in_run(tmp_path, "a") == "a"
    assert frontpage.in_run(tmp_path, "a/b/page.html") == "a/b/page.html"
    assert frontpage.in_run(tmp_path, "a/./b") == "a/./b"
    for rel in ["/etc", "../a", "a/../../x", "a\\..\\..\\x", "C:x", "", None, 3]:
        assert frontpage.in_run(tmp_path, rel) is None, rel


def test_a_long_path_among_the_parameters_stays_inside_its_card(tmp_path: Path) -> None:
    """A card showed its parameters as they are: a pledge file's path is one word of 100 and
    more characters, and a word never broke, so the card grew past its grid column over its
    neighbour on screen, and past the paper's edge, where it was cut, when printed. Every text
    of the page now breaks anywhere when it must, and a card may shrink below its longest
    word (a grid item is otherwise at least as wide as its content)."""
    path = "/home/analyst/exports/" + "p2c_platform_export_with_progress_reports_" * 3 + ".xlsx"
    entry = _report(tmp_path / "run", "pledge_quality") | {"parameters": {"pledges": path}}
    page = frontpage.render_index(tmp_path / "run", {"run_id": "r", "reports": [entry]})
    assert f"pledges = &#x27;{path}&#x27;" in page
    assert declared(page, "body", "overflow-wrap")[-1:] == ["anywhere"]
    assert not declared(page, "body", "overflow-wrap", "print")  # paper inherits it too
    assert declared(page, ".card", "min-width")[-1:] == ["0"]
    assert not any(d.get("white-space") == "nowrap" for _, d in css_rules(page))


class _Links(HTMLParser):
    """Each ``<a href>`` of a page: its target, its text and its ancestors (tag, classes),
    outermost first."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, set[str]]] = []
        self.links: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append({"href": a["href"], "text": "", "within": list(self.open)})
        if tag not in ("meta", "br", "img", "link"):
            self.open.append((tag, set((a.get("class") or "").split())))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][0] == "a":
            self.links[-1]["text"] += data


def _prints_target(selector: str, within: list[tuple[str, set[str]]]) -> bool:
    """Whether ``selector`` (``[compound ...] a[href]::after``, compounds ``tag``, ``.class``
    or ``tag.class``) selects a link whose ancestors are ``within``."""
    *outer, last = selector.split()
    if last != "a[href]::after":
        return False
    i = 0
    for tag, classes in within:
        if i == len(outer):
            break
        want_tag, *want_classes = outer[i].split(".")
        if (not want_tag or want_tag == tag) and set(want_classes) <= classes:
            i += 1
    return i == len(outer)


def test_printed_every_link_shows_where_it_leads(tmp_path: Path) -> None:
    """Printed, a link is plain text (``a { color: inherit; text-decoration: none }``), so the
    print style sheet adds its target after it: it did for a card's title and files, not for
    the banner of a run that rendered nothing, whose link to the newest earlier run with
    results printed as a bare run id. Every link whose text is not its target now prints it."""
    earlier, run = tmp_path / "20261201T000000Z-aaaaaa", tmp_path / "20261204T000000Z-bbbbbb"
    earlier.mkdir()
    (earlier / "manifest.json").write_text(json.dumps(
        {"run_id": earlier.name, "reports": [{"name": "x", "status": "ok"}]}), encoding="utf-8")
    failed = {"name": "pledge_quality", "status": "failed", "error": "ValueError: x"}
    ok = _report(run, "gap_coverage")
    for reports in ([failed], [ok]):
        page = frontpage.render_index(run, {"run_id": run.name, "state": "finished",
                                            "reports": reports})
        finder = _Links()
        finder.feed(page)
        shown = [s for sels, d in css_rules(page, "print") if "attr(href)" in d.get("content", "")
                 for s in sels]
        untold = [a for a in finder.links if a["text"].strip() != a["href"]]
        assert untold and all(a["text"] for a in untold)
        for a in untold:
            assert any(_prints_target(s, a["within"]) for s in shown), a["href"]
    assert re.search(r'class="banner".*href="\.\./20261201T000000Z-aaaaaa/index\.html"',
                     frontpage.render_index(run, {"run_id": run.name, "state": "finished",
                                                  "reports": [failed]}))


def test_a_direction_override_does_not_reverse_a_card(tmp_path: Path) -> None:
    """A failed report's error naming a file ``x<RLO>vsc.xlsx`` was shown as it is, and the
    right-to-left override showed the rest of the card's line reversed; so did one in the
    report's title or headline. The front page now drops invisible format characters as the
    reports do (``fields.without_invisible``)."""
    rlo = "\u202e"
    failed = {"name": "pledge_quality", "status": "failed", "title": f"Quality {rlo}1",
              "error": f"InputFileError: /tmp/x{rlo}vsc.xlsx: not a table, row 12"}
    ok = _report(tmp_path / "run", "gap_coverage") | {"summary": {
        "title": f"Data {rlo}2024", "headline": [{"label": f"USD{rlo}", "value": f"{rlo}1.5"}],
        "is_synthetic": True}}
    page = frontpage.render_index(tmp_path / "run", {"run_id": "r", "reports": [failed, ok]})
    assert rlo not in page
    assert "InputFileError: /tmp/xvsc.xlsx: not a table, row 12" in page
    assert "Data 2024" in page and "<dd>1.5</dd>" in page


def test_a_data_file_read_in_two_versions_is_recorded_and_said(tmp_path: Path) -> None:
    """The run's data_files kept one checksum per file, the last report's, and said nothing
    when reports of one run (or a run and its --resume) had read different bytes of it: the
    manifest now lists those files with every version read, and the front page says so."""
    from p2c_analysis.runner import _merged_data_files

    a = {"data/x.csv": "aa", "data/y.csv": "yy"}
    b = {"data/x.csv": "bb", "data/y.csv": "yy", "data/z.csv": "zz"}
    merged, changed = _merged_data_files([{"data_files": a}, {"data_files": b}, {}])
    assert merged == {"data/x.csv": "bb", "data/y.csv": "yy", "data/z.csv": "zz"}
    assert changed == {"data/x.csv": ["aa", "bb"]}
    assert _merged_data_files([{"data_files": a}, {"data_files": a}])[1] == {}
    run = tmp_path / "run"
    reports = [_report(run, "one"), _report(run, "two")]
    html = frontpage.render_index(run, {"run_id": "r", "reports": reports,
                                        "data_files_changed": changed})
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert ("Data changed during this run: the reports did not all read the same version of "
            "data/x.csv") in text
    assert "Data changed" not in frontpage.render_index(run, {"run_id": "r", "reports": reports})


def test_the_front_page_and_the_runner_import_no_pandas() -> None:
    """The front page's escaping took the invisible-character list from ``fields``, which
    imports pandas and pandera: every p2c command that imports the runner paid 0.4 s more.
    The list lives in the small ``text`` module; its table is built from the planes that hold
    format characters (the same 163 characters as a scan of all of Unicode) and warmed in the
    kernel template, so report kernels inherit it."""
    import subprocess
    import sys
    import unicodedata

    from p2c_analysis import kernels, text

    code = ("import sys, p2c_analysis.runner, p2c_analysis.frontpage; "
            "print(sorted(m for m in ('pandas', 'pandera', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    full = {cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"}
    assert set(text._invisible_table(False)) == full
    assert set(text._invisible_table(True)) == full - text.MEANINGFUL_FORMAT_CHARACTERS
    text._invisible_table.cache_clear()
    kernels.warm_lookups()
    assert text._invisible_table.cache_info().currsize == 2
