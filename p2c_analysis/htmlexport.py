"""The reviewer's HTML page of an executed report: code hidden, images embedded, opens offline."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

# --- HTML: code hidden, opens offline ----------------------------------------------------------
# nbconvert 7.17's lab template loads require.js, MathJax and Mermaid from cdnjs and (with widget
# state) the widget manager from unpkg; the report template drops all of them.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@functools.cache
def html_exporter() -> Any:
    """The report HTML exporter (built once per process; its compiled template is reused)."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"p2c_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="p2c_offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def export_html(notebook: str | Path, html_path: str | Path) -> Path:
    """Write the executed ``notebook`` as a reviewer's HTML page: no code, no prompts, no
    stderr streams (warnings stay in the .ipynb), images embedded, no external script, style
    sheet or font. Returns ``html_path``."""
    import nbformat

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    exporter = html_exporter()
    title = nb.metadata.get("title") or notebook.stem.replace("_", " ").capitalize()
    resources = {"metadata": {"name": title, "path": str(notebook.parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path
