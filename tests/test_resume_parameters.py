"""``--resume`` compares the parameters a report runs with, not how they were written: a
default given explicitly is the same report; a real difference is named."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from p2c_analysis import planning, runner
from p2c_analysis.planning import ReportSpec, UsageError

EMPTY = Path(__file__).parent / "fixtures" / "notebooks" / "empty.ipynb"


def _run(out: Path, given: dict) -> Path:
    """A run folder as an interrupted run leaves it, its report planned with ``given``."""
    run_dir = out / "20260101T000000Z-aaaaaa"
    (run_dir / "logs").mkdir(parents=True)
    entry = {"name": "empty", "notebook": str(EMPTY), "parameters": given,
             "effective_parameters": planning.effective_parameters(EMPTY, given),
             "status": "pending", "folder": None}
    (run_dir / "manifest.json").write_text(json.dumps({
        "run_id": run_dir.name, "state": "interrupted", "run_day": "2026-01-01",
        "reports": [entry]}))
    return run_dir


def test_a_default_given_explicitly_resumes_the_same_report(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, {"country": "KEN"})
    same = ReportSpec("empty", EMPTY, {"country": "KEN", "year": 2024})  # 2024: the default
    assert runner._check_resumable(run_dir, [same]) is None


def test_another_value_is_refused_naming_the_parameter(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, {"country": "KEN"})
    other = ReportSpec("empty", EMPTY, {"country": "KEN", "year": 2020})
    with pytest.raises(UsageError) as err:
        runner._check_resumable(run_dir, [other])
    assert str(err.value) == (
        f"--resume: report empty in run {run_dir.name} has other parameters (year 2024 in the "
        "run, 2020 now); render into a new run instead")
