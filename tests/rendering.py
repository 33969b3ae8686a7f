"""Test helpers: render one report through the runner, read the CSV tables it wrote."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from p2c_analysis import cli, planning, runner


def render_one(notebook: str, parameters: Mapping[str, Any], out: Path) -> Path:
    """Render ``notebook`` with ``parameters`` (checked by the planner) into a new run under
    ``out`` with one worker; assert it succeeded; return the report's folder."""
    specs = planning.plan_render([notebook], dict(parameters))
    result = runner.render(specs, out=out, workers=1, progress=False)
    assert not result.failed, cli.summary(result)
    return result.run_dir / notebook


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV table as dicts (header = keys)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, Any]], fieldnames: list[str] | None = None) -> Path:
    """Write ``rows`` as a CSV file (a pledge file for a test); returns ``path``."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
