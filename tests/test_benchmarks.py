"""The benchmark scripts still run (tiny sizes, no timing asserted): a benchmark that breaks
silently would leave stale figures in the README."""

from __future__ import annotations

import subprocess
import sys

import pytest

from p2c_analysis import paths

SCRIPTS = {
    "bench_allocation.py": ["--n", "3000"],
    "bench_changes.py": ["--n", "3000"],
    "bench_quality.py": ["--n", "3000", "--repeat", "1"],
}


@pytest.mark.parametrize(("script", "args"), SCRIPTS.items(), ids=list(SCRIPTS))
def test_benchmark_runs_and_checks_its_numbers(script, args):
    done = subprocess.run([sys.executable, str(paths.ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=600, cwd=paths.ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ratio" in done.stdout  # each prints the side-by-side ratio it measured
