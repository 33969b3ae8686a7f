"""The reviewer's HTML page of an executed notebook (``htmlexport.export_html``)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from p2c_analysis.htmlexport import CHECK_MARKER, export_html


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
