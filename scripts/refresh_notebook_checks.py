"""Refresh the checked outputs of a report notebook, and strip every other output.

nbval (``make test``) compares the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT`` with the
ones committed. When a change to the package legitimately moves one of those numbers, run::

    .venv/bin/python scripts/refresh_notebook_checks.py notebooks/<name>.ipynb [...]

It executes the notebook with papermill in a temporary folder, keeps only the outputs of the
checked cells, clears all others, and prints the new checked outputs so the change can be
reviewed in the diff.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

from p2c_analysis import execution

MARK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path) -> list[str]:
    """Re-run ``path`` and rewrite it in place; return the checked cells' new text outputs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        pm.execute_notebook(
            str(path), str(out), parameters={"output_dir": tmp}, kernel_name="python3",
            cwd=str(path.parent), progress_bar=False,
            kernel_manager_class=execution.kernel_manager_class(),  # as the runner's kernels
        )
        done = {c.get("id"): c for c in nbformat.read(out, as_version=4).cells}
    nb = nbformat.read(path, as_version=4)
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if MARK in cell.source:
            cell.outputs = done[cell.id].outputs
            cell.execution_count = done[cell.id].execution_count
            shown += [o.get("text", "") for o in cell.outputs]
        else:
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    return shown


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"== {arg}")
        for text in refresh(Path(arg)):
            print(text)
