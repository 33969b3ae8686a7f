"""The reviewer's HTML page of an executed report: code hidden, images embedded, opens offline.

Built for many reports in a row, without waste: one exporter per process (its Jinja templates
compiled once), the JupyterLab style sheets — with the theme's fonts and images inlined as
base64 — read and encoded once per process instead of once per page, the executed notebook
taken from memory (no second read and validation of the file papermill just wrote), no
re-validation after each preprocessor, and figures embedded once: their base64 PNG goes from
the notebook into the page as it is, with no HTML re-parse of the whole page (nbconvert's
accessibility touches — alt text on images, focusable outputs — are applied directly).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from p2c_analysis import paths

#: The page's print style sheet. Lab's own lets an output area scroll (``overflow: auto``) and
#: sizes it to its content (a table cell): on paper, nothing scrolls, so a wide table (eleven
#: columns, a cell holding a 200-character link) was cut at the page's right edge. Printed, an
#: output is a block no wider than the page, a table fits it (a long word or link breaks
#: anywhere, the text is 8 pt), its header row repeats on each page and a row is not split;
#: figures shrink to fit.
#:
#: The synthetic-data banner (``report.banner`` with ``every_page``, class ``p2c-every-page``)
#: printed on page 1 only, so a later page printed or copied alone read as real data. Printed,
#: it is fixed at the top of the page (a fixed box is printed on every page), over a band that
#: each page keeps free: the body's top padding, repeated on every page only by
#: ``box-decoration-break: clone`` on a block, which Firefox (32) and Chrome (130) support and
#: Safari and older Chrome do not (``-webkit-box-decoration-break`` there clones inline boxes
#: only): there, a fixed banner would cover the first lines of pages 2 and after. So both
#: rules sit under ``@supports (box-decoration-break: clone) and selector(:has(a))``, which
#: holds exactly where the band is repeated (the unprefixed property came to Chrome with its
#: block support; ``:has`` picks the pages that have such a banner): there the banner heads
#: every page; elsewhere it stays where it stands, at the top of page 1, and covers nothing.
#: No other way both repeats it and keeps it off the content in every browser: a fixed box is
#: placed inside the page area, which ``@page { margin-top }`` only moves (and a box placed
#: outside it is not printed), page-margin boxes (``@top-center``) hold text in Chrome 131
#: only, ``position: running()`` is in no browser, and a repeated ``thead`` would need the
#: whole page made a table. The banner is at most 0.7 in high (its text clipped beyond, 9 pt:
#: three lines fit), below the 0.8 in band.
PRINT_CSS = """
@media print {
  @supports (box-decoration-break: clone) and selector(:has(a)) {
    .p2c-every-page { position: fixed; top: 0; left: 0; right: 0; z-index: 10;
      margin: 0 !important; padding: 0.3em 0.6em !important; font-size: 9pt !important;
      line-height: 1.25; max-height: 0.7in; overflow: hidden; box-sizing: border-box; }
    body:has(.p2c-every-page) { padding-top: 0.8in; box-decoration-break: clone; }
  }
  .jp-OutputArea-output, .jp-OutputArea-child, .jp-Cell-outputWrapper {
    display: block; overflow: visible; max-width: 100%; }
  .jp-RenderedHTMLCommon table { table-layout: auto; max-width: 100%; font-size: 8pt; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { overflow-wrap: anywhere; }
  .jp-RenderedHTMLCommon thead { display: table-header-group; }
  .jp-RenderedHTMLCommon tr { break-inside: avoid; }
  .jp-OutputArea-output img { max-width: 100%; height: auto; }
  .jp-RenderedHTMLCommon h1, .jp-RenderedHTMLCommon h2, .jp-RenderedHTMLCommon h3 {
    break-after: avoid; }
}
"""

# --- HTML: code hidden, opens offline ----------------------------------------------------------
# nbconvert 7.17's lab template loads require.js, MathJax and Mermaid from cdnjs and (with widget
# state) the widget manager from unpkg; the report template drops all of them.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{#- lab's PNG block with the text alternative a figure carries (``report.show``: output
    metadata ``image/png.alt``, escaped), which lab's template drops -#}
{% block data_png scoped %}
{%- set alttext = output | get_metadata('alt', 'image/png') -%}
{%- if alttext is none -%}{{ super() }}
{%- else -%}{{ super() | replace('<img ', '<img alt="' ~ (alttext | escape_html) ~ '" ', 1) }}
{%- endif -%}
{% endblock data_png %}
{#- after lab's style sheets, so these rules win: see PRINT_CSS -#}
{%- block html_head_css -%}<style type="text/css">""" + PRINT_CSS + """</style>
{%- endblock html_head_css -%}
"""


ALT_TEXT = "No description has been provided for this image"
#: The first-line comment of a cell whose output ``nbval`` compares (``make test``): a small,
#: rounded regression check of the notebook's figures, kept in the executed notebook and left
#: out of the reader's page, where it read as a debugging print beside the report's own text.
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)(?=[\s>/])")
_FOCUSABLE = re.compile(
    r'<div class="([^"]*(?<![\w-])(?:jp-OutputArea-output|jp-Cell-inputWrapper)(?![\w-])[^"]*)"'
    r'(?![^>]*\btabindex=)([^>]*)>'
)


@functools.cache
def html_exporter() -> Any:
    """The report HTML exporter (built once per process; its compiled template and style sheets
    are reused)."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class ReportHTMLExporter(HTMLExporter):
        _memo: dict[tuple[str, str], Any] = {}

        def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
            """The notebook was validated when it was written; the preprocessors used here only
            drop or tag content."""

        def _init_resources(self, resources: Any) -> Any:
            resources = super()._init_resources(resources)
            for key in ("include_css", "include_lab_theme", "include_url"):
                resources[key] = self._memoised(key, resources[key])
            return resources

        def _memoised(self, key: str, fn: Any) -> Any:
            def cached(name: str) -> Any:
                if (key, name) not in self._memo:
                    self._memo[(key, name)] = fn(name)
                return self._memo[(key, name)]

            return cached

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            # HTMLExporter.from_notebook_node without its BeautifulSoup round trip over the
            # whole page (figures included): same filters, then the two touches it makes.
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            html = _IMG_WITHOUT_ALT.sub(f'<img alt="{ALT_TEXT}"', html)
            html = _FOCUSABLE.sub(r'<div class="\1"\2 tabindex="0">', html)
            return html, resources

    return ReportHTMLExporter(
        extra_loaders=[jinja2.DictLoader({"p2c_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="p2c_offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def export_html(notebook: Any, html_path: str | Path, title_from: str | Path | None = None
                ) -> Path:
    """Write the executed ``notebook`` (a path, or the ``NotebookNode`` papermill returned) as
    a reviewer's HTML page: no code, no prompts, no stderr streams (warnings stay in the
    .ipynb), no check cell (:data:`CHECK_MARKER`), images embedded, no external script, style
    sheet or font. The page title is the
    notebook's ``title`` metadata, else its file name (``title_from``). Returns ``html_path``."""
    import nbformat

    if isinstance(notebook, str | Path):
        title_from = title_from or notebook
        nb = nbformat.read(Path(notebook), as_version=4)
    else:
        nb = notebook
    stem = Path(title_from or html_path).stem
    cells = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and CHECK_MARKER in cell.get("source", ""):
            continue
        if cell.get("cell_type") == "code":
            outputs = [o for o in cell.get("outputs", [])
                       if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            cell = nbformat.NotebookNode({**cell, "outputs": outputs})
        cells.append(cell)
    nb = nbformat.NotebookNode({**nb, "cells": cells})
    exporter = html_exporter()
    title = nb.metadata.get("title") or stem.replace("_", " ").capitalize()
    folder = Path(title_from).parent if title_from else Path(html_path).parent
    resources = {"metadata": {"name": title, "path": str(folder)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path = Path(html_path)
    try:  # never a truncated page (full disk): the page is there whole or not at all
        paths.replace_text(html_path, body, sync=False)
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(html_path)) from None
    return html_path
