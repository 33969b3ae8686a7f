"""The reviewer's HTML page of an executed notebook (``htmlexport.export_html``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd

from p2c_analysis.htmlexport import CHECK_MARKER, export_html
from p2c_analysis.report import table_html
from tests.html_resources import css_rules, declared

#: The condition under which the synthetic-data banner is fixed on every printed page
#: (``htmlexport.PRINT_CSS``).
SUPPORTS_CLONE = "(box-decoration-break: clone) and selector(:has(a))"


def _cell(source: str, *outputs: dict) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output(**o) for o in outputs]
    return cell


def test_the_page_leaves_out_check_cells_stderr_and_code(tmp_path: Path) -> None:
    """nbval's check cells ("TUV 2024 35.2% online, 6.25 k offline", "Check figures ... SIDS
    0.03") showed on every page as stray prints beside the report's own text."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Report title"),
        _cell("print('the finding')", {"output_type": "stream", "name": "stdout",
                                       "text": "People offline: 2.6 bn\n"}),
        _cell(f"{CHECK_MARKER}\nprint(round(x, 2))",
              {"output_type": "stream", "name": "stdout", "text": "Check figures 0.03\n"}),
        _cell("warn()", {"output_type": "stream", "name": "stderr", "text": "UserWarning: x\n"}),
    ])
    page = export_html(nb, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Report title" in page and "People offline: 2.6 bn" in page
    assert "Check figures" not in page and "UserWarning" not in page
    assert "print(" not in page and CHECK_MARKER not in page


def test_a_wide_table_fits_the_printed_page(tmp_path: Path) -> None:
    """Lab's style sheet sizes an output to its content and lets it scroll (``overflow: auto``
    on the output, ``hidden`` on its frame): printed, a table of eleven columns, or one cell
    holding a 200-character link (implementation_progress's evidence), was cut at the page's
    edge. The page's print rules, after lab's, now let it show whole: the output is a block that
    clips nothing, a cell breaks a long word or link anywhere, the header row repeats."""
    link = "https://example.org/" + "evidence-" * 22
    wide = pd.DataFrame({f"column {i}": [1_234_567.5] for i in range(10)} | {"link": [link]})
    nb = nbformat.v4.new_notebook(cells=[_cell("show_table(wide)", {
        "output_type": "display_data", "data": {"text/html": table_html(wide)}, "metadata": {}})])
    page = export_html(nb, tmp_path / "report.html").read_text(encoding="utf-8")
    assert link in page and 'class="jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output' \
        in page  # the table sits in the output the rules below are about
    for frame in (".jp-OutputArea-output", ".jp-OutputArea-child"):
        assert declared(page, frame, "overflow")  # on screen it scrolls or hides
        assert declared(page, frame, "overflow", "print")[-1:] == ["visible"], frame
        assert declared(page, frame, "display", "print")[-1:] == ["block"], frame
    for cell in (".jp-RenderedHTMLCommon td", ".jp-RenderedHTMLCommon th"):
        assert declared(page, cell, "overflow-wrap", "print")[-1:] == ["anywhere"], cell
    assert declared(page, ".jp-RenderedHTMLCommon thead", "display", "print")[-1:] == \
        ["table-header-group"]


def test_the_synthetic_data_banner_heads_every_printed_page(tmp_path: Path) -> None:
    """Printed, the synthetic-data banner was on page 1 only: a later page, printed or copied
    alone, read as real data. The banner of a report on synthetic pledges now has the class
    whose print rule fixes it at the top of the page (a fixed box is printed on every page),
    over a band of the page's top that the body keeps free on each page (its top padding,
    repeated on every page's fragment), so that it covers no content."""
    import re

    from p2c_analysis import report, synthetic

    text = report.header_text("T", synthetic.make_pledges(3, seed=1), "syn.csv")
    nb = nbformat.v4.new_notebook(cells=[_cell("r = report.start(...)", {
        "output_type": "display_data", "data": {"text/markdown": text}, "metadata": {}})])
    page = export_html(nb, tmp_path / "report.html").read_text(encoding="utf-8")
    shown = re.findall(r'<div class="p2c-every-page"[^>]*>([^<]*)</div>', page)
    assert len(shown) == 1 and "SYNTHETIC DATA" in shown[0]
    cls = report.EVERY_PAGE_CLASS
    where = SUPPORTS_CLONE  # only where the band is repeated: see the next test
    assert declared(page, f".{cls}", "position", "print", where)[-1:] == ["fixed"]
    assert declared(page, f".{cls}", "top", "print", where)[-1:] == ["0"]
    assert declared(page, f".{cls}", "position") == []  # on screen, where it stands
    band = declared(page, f"body:has(.{cls})", "padding-top", "print", where)
    assert band and band[-1] != "0"
    assert declared(page, f"body:has(.{cls})", "box-decoration-break", "print", where) == \
        ["clone"]
    # another banner (an analysis date in the future, no pledge) stays where it stands
    assert cls not in report.banner("as_of is in the future")
    real = report.header_text("T", synthetic.make_pledges(3, seed=1).assign(is_synthetic=False),
                              "real.csv")
    assert cls not in real and "SYNTHETIC" not in real


def test_the_every_page_banner_covers_no_content_where_the_band_is_not_repeated(
        tmp_path: Path) -> None:
    """The banner was fixed at the top of every printed page in every browser, but the band
    kept free for it (the body's top padding) repeats on pages 2 and after only where
    box-decoration-break: clone applies to a block (Firefox, Chrome 130+): in Safari and older
    Chrome it covered the first lines of every later page. Both rules now hold only under
    @supports (box-decoration-break: clone) and :has(); elsewhere the banner stays in flow on
    page 1, and no print rule fixes, moves or pads it. It never outgrows the band."""
    from p2c_analysis import report, synthetic

    text = report.header_text("T", synthetic.make_pledges(3, seed=1), "syn.csv")
    nb = nbformat.v4.new_notebook(cells=[_cell("r = report.start(...)", {
        "output_type": "display_data", "data": {"text/markdown": text}, "metadata": {}})])
    page = export_html(nb, tmp_path / "report.html").read_text(encoding="utf-8")
    cls = report.EVERY_PAGE_CLASS
    unconditional = [(sels, d) for sels, d in css_rules(page, "print")
                     if any(cls in s for s in sels)]
    assert unconditional == []
    held = css_rules(page, "print", SUPPORTS_CLONE)
    assert {s for sels, _ in held for s in sels} == {f".{cls}", f"body:has(.{cls})"}

    def inches(value: str) -> float:
        assert value.endswith("in"), value
        return float(value.removesuffix("in"))

    banner = declared(page, f".{cls}", "max-height", "print", SUPPORTS_CLONE)[-1]
    band = declared(page, f"body:has(.{cls})", "padding-top", "print", SUPPORTS_CLONE)[-1]
    assert inches(banner) < inches(band)
    assert declared(page, f".{cls}", "overflow", "print", SUPPORTS_CLONE)[-1] == "hidden"
    assert declared(page, f".{cls}", "box-sizing", "print", SUPPORTS_CLONE)[-1] == "border-box"
