"""Render benchmark: what a report costs above the floor, and what a second worker buys.

Measured side by side in one run, through the runner (``runner.render``), into a temporary
folder:

- floor: an empty parameterised notebook (kernel start, papermill, HTML export, run overhead);
  median of three runs;
- per report: a batch of N ``country_profile`` reports with 1 worker, wall time / N
  (``notebooks/country_profile.ipynb``; a stand-in fixture with the same kind of imports, data
  and figure while that notebook does not exist, and the output says so);
- the same batch with 2 workers.

Goals: per report <= 1.5 x floor; 2 workers <= 0.65 x 1 worker.
Run: ``.venv/bin/python benchmarks/bench_render.py [--n 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat

from p2c_analysis import countries, paths, planning, runner

FIXTURES = paths.ROOT / "tests" / "fixtures" / "notebooks"
GOAL_PER_REPORT = 1.5
GOAL_TWO_WORKERS = 0.65


def _timed_render(specs: list[planning.ReportSpec], out: Path, workers: int) -> tuple[float, Path]:
    t0 = time.perf_counter()
    result = runner.render(specs, out=out, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    if result.failed:
        first = result.failed[0]
        sys.exit(f"bench_render: {len(result.failed)} report(s) failed, e.g. "
                 f"{first['name']}: {first.get('error')}")
    return wall, result.run_dir


def _cell_seconds(run_dir: Path) -> dict[str, list[float]]:
    """Seconds per code cell (papermill's per-cell duration), keyed by the cell's first line."""
    out: dict[str, list[float]] = defaultdict(list)
    for nb_path in sorted(run_dir.glob("*/*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            duration = cell.metadata.get("papermill", {}).get("duration")
            if duration is not None:
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
                out[first[:60]].append(float(duration))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="reports in the batch (default 20)")
    args = ap.parse_args(argv)

    real = paths.NOTEBOOKS / "country_profile.ipynb"
    profile = real if real.is_file() else FIXTURES / "profile_standin.ipynb"
    ldc = countries.members("LDC")
    values = (ldc * (args.n // len(ldc) + 1))[: args.n] if args.n > len(ldc) else ldc[: args.n]
    empty = planning.plan_render([FIXTURES / "empty.ipynb"], {})
    batch = planning.plan_batch(profile, "country", values, {})

    print(f"bench_render: {len(batch)} country profiles from {profile.relative_to(paths.ROOT)}")
    if profile != real:
        print("  NOTE: notebooks/country_profile.ipynb does not exist yet: using the stand-in "
              "fixture (imports pandas/matplotlib, loads connectivity data, one figure, one CSV)")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="p2c-bench-") as tmp:
        out = Path(tmp)
        floors = [_timed_render(empty, out, 1)[0] for _ in range(3)]
        floor = statistics.median(floors)
        wall1, run1 = _timed_render(batch, out, 1)
        wall2, _ = _timed_render(batch, out, 2)
        cells = _cell_seconds(run1)
    load_after = os.getloadavg()

    per_report = wall1 / len(batch)
    r_floor = per_report / floor
    r_workers = wall2 / wall1
    cell_total = sum(statistics.mean(v) for v in cells.values())

    def verdict(ratio: float, goal: float) -> str:
        return "meets goal" if ratio <= goal else "ABOVE goal"

    print(f"  floor (empty notebook, median of 3): {floor:6.2f} s   "
          f"[{', '.join(f'{f:.2f}' for f in floors)}]")
    print(f"  per report, 1 worker ({len(batch)} reports): {per_report:6.2f} s   "
          f"(batch wall {wall1:.1f} s)")
    print(f"  batch wall, 2 workers:              {wall2:6.1f} s")
    print(f"  ratio per-report / floor:      {r_floor:5.2f}  (goal <= {GOAL_PER_REPORT})  "
          f"{verdict(r_floor, GOAL_PER_REPORT)}")
    print(f"  ratio 2 workers / 1 worker:    {r_workers:5.2f}  (goal <= {GOAL_TWO_WORKERS})  "
          f"{verdict(r_workers, GOAL_TWO_WORKERS)}")
    print(f"  machine: {os.cpu_count()} CPUs; load average (1 min) {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after (other processes take CPU from the 2-worker batch)")
    print("  where a report's time goes (mean seconds per code cell, 1-worker batch):")
    for first, secs in sorted(cells.items(), key=lambda kv: -statistics.mean(kv[1])):
        print(f"    {statistics.mean(secs):6.2f}  {first}")
    print(f"    {per_report - cell_total:6.2f}  outside cells (kernel start/stop, papermill, "
          f"HTML export, process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
