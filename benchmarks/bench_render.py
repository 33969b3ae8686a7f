"""Render benchmark: what a report costs through the runner, against the work itself.

Measured side by side in one run, on a batch of ``--n`` ``country_profile`` reports (LDC members):

- **work floor**: the same notebook, parameters injected as papermill does, its cells run in
  *this* already-warm interpreter (package imported, reference data loaded, one untimed report
  first) with IPython, outputs captured, HTML exported with the runner's exporter. No kernel
  process, no messaging, no files but the HTML: what a report costs at the least.
- **runner, 1 worker** and **2 workers**: ``p2c batch country_profile --over country=...``
  (warm kernels), wall time, everything included (start-up, template, kernels, HTML, files).
- **isolated floor**: the floor's reports one after the other, each in a fresh forked copy of
  the warm interpreter: the cost of the isolation the issue asks for (every report its own
  fresh process: a fork and its first touches of copied memory), still without a runner,
  kernel or messages. ``runner / isolated floor`` is what the runner adds beyond that.
- **the machine's own 2-CPU limit**: after the floor, in the same warm process, its reports in
  one forked copy of it, and half of them in each of two forked copies at once: two CPUs of
  this machine do not give two copies of the work twice the speed of one (they share caches
  and memory), and that ratio, measured beside the others, says what is left to the runner.
- **a run's own cost**: the 1- and 2-worker batches again with 2 reports, which splits each
  batch's wall time into the run's own seconds (start-up, first kernels, front page, exit) and
  seconds per report: the 2-worker ratio per report, without the start-up both runs share.
- **CPU**: the CPU-seconds of every process of the 1-worker and 2-worker batches (command,
  workers, template, kernels), per report. Two workers on two CPUs are bound by CPU: the
  2-worker ratio tends to (2-worker CPU per report) / (2 x 1-worker wall per report), since
  what the 1-worker run does beside its reports on the idle CPU (the next kernel's start-up,
  the worker's messages and HTML) the 2-worker run must do between them.
- **cold**: the same with ``--cold`` (every kernel from scratch), on ``--n-cold`` reports.
- **papermill + nbconvert**: the ``papermill`` CLI then ``jupyter nbconvert --to html
  --no-input``, one report after the other, on ``--n-baseline`` reports.
- **LocalCluster**: the 2-worker batch sent to a ``distributed.LocalCluster`` of 2 worker
  processes (``--scheduler``), against local 2-worker batches run just before and just after
  it.
- **make reports**: ``p2c render`` of the standard set, wall time.
- **start-up**: ``p2c --help`` and ``p2c params country_profile`` against
  ``python -c "import pandas"`` (medians of 5), and a one-report batch against that report's
  own notebook + HTML seconds (from its manifest), once in each round (the verdict on the
  median).

Goals (issue 12): runner/floor <= 1.3 (1 worker); papermill+nbconvert / runner >= 4;
2 workers / 1 worker <= 0.6; LocalCluster / local 2 workers <= 1.3; start-up <= 2 x import
pandas; one-report batch <= 1.5 x its notebook + HTML. The machine is shared: the load average
is printed with the results, and the floor, the 1-worker and the 2-worker batches are measured
``--rounds`` times in turn (floor, 1 worker, 2 workers, then 2 workers, 1 worker, floor, ...:
:func:`round_order`): each ratio is taken within a round, from two measurements made next to
each other, each side first as often as the other, and the verdict is on the median round, so a
slower minute of the machine weighs on both sides of a ratio and one lucky round makes no goal.
A fixed one-core loop timed between the batches (:func:`_probe`) shows how much the machine's
speed varied through the run.
Run: ``.venv/bin/python benchmarks/bench_render.py [--n 20] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from p2c_analysis import countries, paths

PROFILE = paths.NOTEBOOKS / "country_profile.ipynb"
BIN = Path(sys.executable).parent
GOALS = {"floor": 1.3, "baseline": 4.0, "workers": 0.6, "cluster": 1.3, "startup": 2.0,
         "one": 1.5}  # fmt: skip
#: Reports in the small batches that split a batch's wall time into a run's own cost and a
#: cost per report.
SMALL = 2
#: Kernels prepared ahead and discarded, in any batch of this run (``kernel.spare_discarded``
#: of the manifests): a report that waited for one shows as an outlier.
DISCARDS: list[str] = []


def round_order(i: int) -> tuple[str, ...]:
    """The order of round ``i``'s measurements: the floor, the 1-worker and the 2-worker batch,
    reversed every other round, so that each ratio's two sides are measured next to each other
    (the floor beside the 1-worker batch, the 1-worker beside the 2-worker one) and each side
    goes first as often as the other: a machine that slows down or speeds up through a round
    favours neither side of a ratio over the rounds."""
    parts = ("floor", "w1", "w2")
    return parts if i % 2 == 0 else parts[::-1]


#: Seconds of :func:`_probe` before and after each measurement of the rounds.
PROBES: list[float] = []


def _probe() -> float:
    """Seconds of a fixed one-core pure-Python loop (about 0.1 s): how fast the machine is just
    now. Printed as a spread with the results: on a shared machine it says how far a ratio of
    two walls measured a minute apart can be trusted."""
    t0 = time.perf_counter()
    s = 0
    for i in range(1_500_000):
        s += i * i
    return time.perf_counter() - t0


def _load() -> float:
    return os.getloadavg()[0]


def _run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=paths.ROOT)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"bench_render: {' '.join(cmd[:4])}... failed:\n{done.stdout}\n{done.stderr}")
    return wall


def _p2c(*args: str) -> list[str]:
    return [sys.executable, "-m", "p2c_analysis.cli", *args]


def _newest_run(out: Path) -> Path:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())[-1]


def _manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "manifest.json").read_text())


# --- the work floor: the notebook in this interpreter ------------------------------------------
class _Floor:
    """Runs report notebooks in this process with IPython (no kernel), capturing outputs."""

    def __init__(self) -> None:
        os.environ.update({"MPLBACKEND": "module://matplotlib_inline.backend_inline"})
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import CapturingDisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell

        self.shell = InteractiveShell.instance()
        self.shell.enable_gui = lambda gui=None: None  # inline figures need no event loop
        self.results: list[dict[str, Any]] = []
        sink = self.results

        class Hook(DisplayHook):
            def write_output_prompt(self) -> None:
                pass

            def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
                sink.append({"output_type": "execute_result", "data": format_dict,
                             "metadata": md_dict or {}, "execution_count": None})

        self.shell.displayhook = Hook(shell=self.shell)
        self.shell.display_trap.hook = self.shell.displayhook
        self.shell.display_pub = CapturingDisplayPublisher()

    def render(self, parameters: dict[str, Any], out_dir: Path) -> dict[str, float]:
        import io
        from contextlib import redirect_stderr, redirect_stdout

        import nbformat
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        from p2c_analysis.htmlexport import export_html

        t0 = time.perf_counter()
        nb = load_notebook_node(str(PROFILE))
        out_dir.mkdir(parents=True, exist_ok=True)
        nb = parameterize_notebook(nb, {**parameters, "output_dir": str(out_dir)},
                                   kernel_name="python3", language="python")
        self.shell.reset(new_session=False)
        t1 = time.perf_counter()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            self.results.clear()
            self.shell.display_pub.outputs.clear()
            buf, err = io.StringIO(), io.StringIO()
            with redirect_stdout(buf), redirect_stderr(err):
                result = self.shell.run_cell(cell.source, store_history=False)
            if result.error_in_exec or result.error_before_exec:
                raise RuntimeError(f"floor: cell failed: {result.error_in_exec!r}")
            outputs = []
            if buf.getvalue():
                outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                      text=buf.getvalue()))
            for o in self.shell.display_pub.outputs:
                outputs.append(nbformat.v4.new_output("display_data", data=o["data"],
                                                      metadata=o.get("metadata") or {}))
            for o in self.results:
                outputs.append(nbformat.v4.new_output("execute_result", data=o["data"],
                                                      metadata=o["metadata"]))
            cell.outputs = outputs
        t2 = time.perf_counter()
        export_html(nb, out_dir / "country_profile.html")
        t3 = time.perf_counter()
        return {"prepare": t1 - t0, "cells": t2 - t1, "html": t3 - t2, "total": t3 - t0}


def _floor(values: list[str], tmp: Path, i: int = 0) -> dict[str, Any]:
    """The work floor per report (``floor``) and its parts (``floor_parts``), and the same
    reports in forked copies of this warm process: all of them in one copy (``fork1``, wall
    seconds) and half in each of two copies at once (``fork2``), next to each other, each first
    in turn. ``fork2 / fork1`` is what two CPUs of this machine give two copies of the work
    itself, with no runner. The floor is measured next to round ``i``'s 1-worker batch."""
    import gc

    main_module = sys.modules["__main__"]  # IPython's shell puts its own namespace there
    floor = _Floor()
    floor.render({"country": "KEN"}, tmp / "floor-warmup")  # imports, data, caches: untimed
    gc.collect()
    gc.freeze()  # as the kernel template does: the loaded data is not scanned by every collection
    out: dict[str, Any] = {}

    def serial() -> None:
        parts: dict[str, list[float]] = defaultdict(list)
        t0 = time.perf_counter()
        for v in values:
            for k, s in floor.render({"country": v}, tmp / f"floor-{v}").items():
                parts[k].append(s)
        out["floor"] = (time.perf_counter() - t0) / len(values)
        out["floor_parts"] = {k: statistics.mean(v) for k, v in parts.items()}

    def work(chunk: list[str], name: str) -> None:
        for v in chunk:
            floor.render({"country": v}, tmp / f"{name}-{v}")

    def isolated() -> None:
        t0 = time.perf_counter()
        for v in values:  # one after the other, each in its own fresh copy
            at_once(work, [[v]], "isolated")
        out["isolated"] = (time.perf_counter() - t0) / len(values)

    def forked() -> None:
        for name in ("fork1", "fork2")[:: 1 if i % 2 == 0 else -1]:
            chunks = [values] if name == "fork1" else [values[0::2], values[1::2]]
            out[name] = at_once(work, chunks, name)

    # the floor itself next to the 1-worker batch: last when the round goes on to it, first
    # when the round comes from it (round_order)
    steps = (isolated, forked, serial) if round_order(i)[0] == "floor" else \
        (serial, forked, isolated)
    for step in steps:
        step()
    sys.modules["__main__"] = main_module  # multiprocessing (the LocalCluster) needs it back
    return out


def at_once(work: Any, chunks: list[list[str]], name: str) -> float:
    """Wall seconds of ``work(chunk, name)`` for every chunk at once, each in its own forked
    copy of this process (sharing what it imported and loaded, copy-on-write, as report kernels
    forked from the template do). Exits with a message if any copy fails."""
    sys.stdout.flush()
    sys.stderr.flush()
    t0 = time.perf_counter()
    pids = []
    for chunk in chunks:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                work(chunk, name)
                code = 0
            except BaseException:  # noqa: BLE001 - the parent reports it
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        pids.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    wall = time.perf_counter() - t0
    if any(codes):
        sys.exit(f"bench_render: {name}: a forked copy failed (exit codes {codes})")
    return wall


# --- through the runner ------------------------------------------------------------------------
def _children_cpu() -> float:
    """CPU-seconds (user + system) of the finished child processes so far: the ``p2c``
    command with its workers, template and kernels (each waited for by its parent)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _batch(values: list[str], out: Path, *extra: str, cpu: list[float] | None = None
           ) -> tuple[float, Path]:
    """Wall seconds of one ``p2c batch`` and its run folder; ``cpu`` receives the CPU-seconds
    of all its processes."""
    before = _children_cpu()
    wall = _run(_p2c("batch", str(PROFILE), "--over", "country=" + ",".join(values), "--out",
                     str(out), "--no-progress", *extra))
    if cpu is not None:
        cpu.append(_children_cpu() - before)
    run_dir = _newest_run(out)
    reports = _manifest(run_dir)["reports"]
    failed = [e["name"] for e in reports if e["status"] != "ok"]
    if failed:
        sys.exit(f"bench_render: reports failed: {failed}")
    for e in reports:  # a stall to explain an outlier: printed with the results
        why = (e.get("kernel") or {}).get("spare_discarded")
        if why:
            DISCARDS.append(f"{out.name}/{e['name']}: {why}")
    return wall, run_dir


def _breakdown(run_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Mean seconds per report (kernel, cells, html, write) and per code cell."""
    import nbformat

    parts: dict[str, list[float]] = defaultdict(list)
    cells: dict[str, list[float]] = defaultdict(list)
    for e in _manifest(run_dir)["reports"]:
        for k in ("kernel", "cells", "html", "write"):
            parts[k].append(float(e["seconds"].get(k, 0.0)))
        nb = nbformat.read(next((run_dir / e["folder"]).glob("*.ipynb")), as_version=4)
        for cell in nb.cells:
            d = cell.metadata.get("papermill", {}).get("duration")
            if cell.cell_type == "code" and d is not None:
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
                cells[first[:60]].append(float(d))
    return ({k: statistics.mean(v) for k, v in parts.items()},
            {k: statistics.mean(v) for k, v in cells.items()})


def _baseline(values: list[str], tmp: Path) -> float:
    """papermill CLI + jupyter nbconvert --to html --no-input, one report after the other."""
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    t0 = time.perf_counter()
    for v in values:
        folder = tmp / f"baseline-{v}"
        folder.mkdir()
        nb = folder / "country_profile.ipynb"
        _run([str(BIN / "papermill"), str(PROFILE), str(nb), "-p", "country", v, "-p",
              "output_dir", str(folder), "--no-progress-bar", "-k", "python3"], env)
        _run([str(BIN / "jupyter-nbconvert"), "--to", "html", "--no-input", str(nb)], env)
    return (time.perf_counter() - t0) / len(values)


def _cluster_batch(values: list[str], out: Path) -> tuple[float, float] | None:
    """Wall seconds of the batch on a ``LocalCluster`` of 2 workers, and of the same batch
    with 2 local workers, the mean of one run just before and one just after it (the cluster
    up and idle): the two sides of the ratio measured side by side, as in the rounds."""
    try:
        import distributed
    except ImportError:
        return None
    import logging

    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=logging.ERROR) as lc:
            before, _ = _batch(values, out / "local-before", "--workers", "2")
            wall, _ = _batch(values, out / "cluster", "--scheduler", lc.scheduler_address)
            after, _ = _batch(values, out / "local-after", "--workers", "2")
            return wall, (before + after) / 2
    except (RuntimeError, OSError) as err:
        print(f"  (LocalCluster not measured: {err})", flush=True)
        return None


def _median_time(cmd: list[str], n: int = 5) -> float:
    return statistics.median(_run(cmd) for _ in range(n))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="reports in the batch (default 20)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of floor, 1-worker and 2-worker batches (default 3)")
    ap.add_argument("--n-cold", type=int, default=6, help="reports rendered --cold (default 6)")
    ap.add_argument("--n-baseline", type=int, default=3,
                    help="reports through papermill + nbconvert (default 3)")
    ap.add_argument("--skip", nargs="*", default=[], metavar="PART",
                    choices=["cold", "baseline", "cluster", "reports"], help="parts to skip")
    args = ap.parse_args(argv)
    if not PROFILE.is_file():
        sys.exit(f"bench_render: {PROFILE} does not exist")
    ldc = countries.members("LDC")
    values = [ldc[i % len(ldc)] for i in range(args.n)]
    if len(set(values)) < len(values):
        sys.exit(f"bench_render: --n at most {len(ldc)} (distinct LDC members)")
    if args.rounds < 1:
        sys.exit("bench_render: --rounds must be at least 1")
    loads = [_load()]
    r: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="p2c-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["P2C_CACHE_DIR"] = str(tmp / "cache")  # built once (first run), then read
        # the package's bytecode, as `make install` compiles it (where PYTHONDONTWRITEBYTECODE
        # is set, as on this machine, no process keeps it and each would compile it again)
        compileall.compile_dir(str(paths.ROOT / "p2c_analysis"), quiet=1)
        _run(_p2c("params", "country_profile"))  # page cache
        _batch(values[:1], tmp / "warm-up")  # builds the derived-data cache: untimed
        print(f"bench_render: {args.n} country profiles, {os.cpu_count()} CPUs, load "
              f"{loads[0]:.1f}", flush=True)
        rounds: list[dict[str, Any]] = []
        for i in range(args.rounds):
            one: dict[str, Any] = {}
            for part in round_order(i):
                PROBES.append(_probe())
                if part == "floor":
                    one.update(_floor(values, tmp / f"r{i}", i))
                elif part == "w1":
                    cpu: list[float] = []
                    one["wall1"], one["run1"] = _batch(values, tmp / f"w1-{i}", "--workers",
                                                       "1", cpu=cpu)
                    one["cpu1"] = cpu[0]
                else:
                    cpu = []
                    one["wall2"], _ = _batch(values, tmp / f"w2-{i}", "--workers", "2",
                                             cpu=cpu)
                    one["cpu2"] = cpu[0]
            PROBES.append(_probe())
            if args.n > SMALL:  # the same with SMALL reports: what a run costs besides its reports
                one["small1"], _ = _batch(values[:SMALL], tmp / f"s1-{i}", "--workers", "1")
                one["small2"], _ = _batch(values[:SMALL], tmp / f"s2-{i}", "--workers", "2")
            one.update(_one_report(values[0], tmp / f"one-{i}"))
            rounds.append(one)
            loads.append(_load())
        r.update(_median_round(rounds, args.n))
        r["parts1"], r["cells1"] = _breakdown(r["run1"])
        if "cold" not in args.skip:
            wall, cold_run = _batch(values[: args.n_cold], tmp / "cold", "--workers", "1",
                                    "--cold")
            r["cold"], r["cold_parts"] = wall / args.n_cold, _breakdown(cold_run)[0]
        if "baseline" not in args.skip:
            r["baseline"] = _baseline(values[: args.n_baseline], tmp)
        loads.append(_load())
        if "cluster" not in args.skip:
            r["cluster"] = _cluster_batch(values, tmp / "cluster")
        if "reports" not in args.skip:
            r["reports"] = _run(_p2c("render", "--out", str(tmp / "std"), "--no-progress"))
        r["pandas"] = _median_time([sys.executable, "-c", "import pandas"])
        r["help"] = _median_time(_p2c("--help"))
        r["params"] = _median_time(_p2c("params", "country_profile"))
        loads.append(_load())
        for i in range(args.rounds):
            shutil.rmtree(tmp / f"w1-{i}", ignore_errors=True)
    _print(args, r, loads)
    return 0


def _median_round(rounds: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Per-round ratios (runner per report / floor; 2 workers / 1 worker), their medians, and
    the times of the round whose 1-worker wall is the median (what the other lines use), and
    the one-report batch's ratio (wall / its notebook + HTML) in each round, its median and the
    round it comes from; with
    batches of :data:`SMALL` reports too, the split of each batch wall into a run's own cost
    and a cost per report (:func:`_split`), medians over the rounds."""
    floor_ratios = [r["wall1"] / n / r["floor"] for r in rounds]
    worker_ratios = [r["wall2"] / r["wall1"] for r in rounds]
    mid = _middle(rounds, [r["wall1"] for r in rounds])
    machine_ratios = [r["fork2"] / r["fork1"] for r in rounds]
    isolated_ratios = [r["wall1"] / n / r["isolated"] for r in rounds if "isolated" in r]
    one_ratios = [r["one_wall"] / r["one_work"] for r in rounds]
    one_mid = _middle(rounds, one_ratios)
    out = {**mid, "one_ratios": one_ratios, "one_ratio": statistics.median(one_ratios),
           "one_wall": one_mid["one_wall"], "one_work": one_mid["one_work"],
           "one_parts": one_mid["one_parts"],
           "floor_ratios": floor_ratios, "worker_ratios": worker_ratios,
           "floor_ratio": statistics.median(floor_ratios),
           "worker_ratio": statistics.median(worker_ratios),
           "machine_ratios": machine_ratios, "machine_ratio": statistics.median(machine_ratios)}
    if isolated_ratios:
        out["isolated_ratios"] = isolated_ratios
        out["isolated_ratio"] = statistics.median(isolated_ratios)
    if all("small1" in r for r in rounds):
        splits = [(*_split(r["small1"], r["wall1"], n), *_split(r["small2"], r["wall2"], n))
                  for r in rounds]
        out["split"] = [statistics.median(col) for col in zip(*splits, strict=True)]
        out["marginal_ratio"] = statistics.median(s[3] / s[1] for s in splits)
    return out


def _middle(rounds: list[dict[str, Any]], by: list[float]) -> dict[str, Any]:
    """The round whose value ``by`` (one per round) is the median (the lower of the two middle
    ones for an even number of rounds)."""
    order = sorted(range(len(rounds)), key=by.__getitem__)
    return rounds[order[(len(rounds) - 1) // 2]]


def _one_report(value: str, out: Path) -> dict[str, Any]:
    """A one-report batch: its wall seconds (``one_wall``) and the report's own notebook + HTML
    seconds from its manifest (``one_work``, parts in ``one_parts``)."""
    wall, run = _batch([value], out)
    seconds = _manifest(run)["reports"][0]["seconds"]
    return {"one_wall": wall, "one_work": seconds["notebook"] + seconds.get("html", 0.0),
            "one_parts": seconds}


def _split(small: float, wall: float, n: int) -> tuple[float, float]:
    """``(run, per_report)`` seconds from the wall times of a batch of :data:`SMALL` and of
    ``n`` reports: ``wall = run + n * per_report`` (start-up, first kernels, front page and
    exit in ``run``; each report beyond the first :data:`SMALL` in ``per_report``)."""
    per = (wall - small) / (n - SMALL)
    return wall - n * per, per


def allowances(floor: float, run1: float, each1: float, run2: float, each2: float, n: int
               ) -> dict[str, float]:
    """What the two ratio goals leave for the runner, in seconds per report.

    ``floor``: the work floor per report; ``run1``/``each1`` and ``run2``/``each2``: a run's own
    seconds and seconds per report with 1 and 2 workers (:func:`_split`); ``n``: the batch.
    Returns ``on_path`` = ``each1 - floor`` (what the runner adds to a report with 1 worker) and
    its most under runner/floor <= GOALS["floor"]; ``beside`` = ``2 * each2 - each1`` (what the
    2-worker run, bound by CPU, does per report beyond the 1-worker run's report: the next
    kernel's start-up and the worker's messages, done on the idle CPU with 1 worker) and its
    most under 2 workers / 1 worker <= GOALS["workers"]. Both allowances shrink with the floor:
    the faster the analysis, the less the runner may cost."""
    g1, g2 = GOALS["floor"], GOALS["workers"]
    # runner/floor: (run1 + n*each1) / (n*floor) <= g1  <=>  each1 - floor <= (g1-1)*floor - run1/n
    # 2w/1w: run2 + n*each2 <= g2*(run1 + n*each1), with 2*each2 = each1 + beside
    #   <=>  beside <= (2*g2 - 1)*each1 + 2*(g2*run1 - run2)/n
    return {"on_path": each1 - floor, "on_path_max": (g1 - 1) * floor - run1 / n,
            "beside": 2 * each2 - each1,
            "beside_max": (2 * g2 - 1) * each1 + 2 * (g2 * run1 - run2) / n}


def _verdict(ratio: float, goal: float, at_least: bool = False) -> str:
    ok = ratio >= goal if at_least else ratio <= goal
    return "meets goal" if ok else "MISSES goal"


def _print(args: argparse.Namespace, r: dict[str, Any], loads: list[float]) -> None:
    per1 = r["wall1"] / args.n
    print(f"  work floor (in-process, warm), per report: {r['floor']:6.2f} s   "
          + ", ".join(f"{k} {v:.2f}" for k, v in r["floor_parts"].items() if k != "total"))
    print(f"  runner, 1 worker, per report:             {per1:6.2f} s   (batch wall "
          f"{r['wall1']:.1f} s)")
    print(f"  runner, 2 workers, batch wall:            {r['wall2']:6.1f} s")
    for key, label, goal in (("floor", "runner / floor:      ", GOALS["floor"]),
                             ("worker", "2 workers / 1 worker:", GOALS["workers"])):
        ratio, each = r[f"{key}_ratio"], ", ".join(f"{x:.2f}" for x in r[f"{key}_ratios"])
        print(f"  ratio {label} {ratio:5.2f}  (goal <= {goal})  {_verdict(ratio, goal)};  "
              f"median of {len(r[f'{key}_ratios'])} rounds: {each}")
    if "isolated_ratio" in r:
        each = ", ".join(f"{x:.2f}" for x in r["isolated_ratios"])
        print(f"  isolated floor (each report in a fresh fork of the warm interpreter, no runner):"
              f" {r['isolated']:.2f} s per report = {r['isolated'] / r['floor']:.2f} x floor; "
              f"runner / isolated floor {r['isolated_ratio']:.2f} (median of "
              f"{len(r['isolated_ratios'])} rounds: {each}): what the runner adds beyond the "
              "fresh process per report the issue asks for")
    each = ", ".join(f"{x:.2f}" for x in r["machine_ratios"])
    print(f"  the machine's own 2-CPU limit: the floor's reports in two forked copies of it at "
          f"once (half each) / in one copy (all): {r['machine_ratio']:.2f};  median of "
          f"{len(r['machine_ratios'])} rounds: {each}: what two CPUs give the work itself, with "
          f"no runner (the runner's 2 workers / 1 worker is "
          f"{r['worker_ratio'] - r['machine_ratio']:+.2f} from it)")
    if "split" in r:
        run1, each1, run2, each2 = r["split"]
        print(f"  the same split into a run's own seconds and seconds per report (batches of "
              f"{SMALL} and {args.n}, medians): 1 worker {run1:.2f} + {each1:.3f} a report, "
              f"2 workers {run2:.2f} + {each2:.3f} a report: 2 workers / 1 worker per report "
              f"{r['marginal_ratio']:.2f}; the run's own seconds, about the same for both, "
              "draw the batch ratio toward 1")
        a = allowances(r["floor"], run1, each1, run2, each2, args.n)
        print(f"  what the two ratio goals leave for the runner, seconds per report (from the "
              f"medians above, so it may differ from a verdict on the median round): with 1 "
              f"worker it adds {a['on_path']:.3f} to the floor (runner / floor <= "
              f"{GOALS['floor']} allows {a['on_path_max']:.3f}); with 2 workers it does "
              f"{a['beside']:.3f} beside that (2 workers / 1 worker <= {GOALS['workers']} allows "
              f"{a['beside_max']:.3f}). Both allowances shrink as the floor does: a faster "
              "analysis leaves less for the runner")
    cpu1, cpu2 = r["cpu1"] / args.n, r["cpu2"] / args.n
    print(f"  CPU-seconds per report, all processes (command, workers, template, kernels): "
          f"1 worker {cpu1:.2f}, 2 workers {cpu2:.2f}. Two workers on two CPUs are bound by "
          f"CPU: the 2-worker ratio tends to {cpu2:.2f} / (2 x {per1:.2f}) = "
          f"{cpu2 / (2 * per1):.2f} (what the 1-worker run "
          "does beside its reports, on the idle CPU, the 2-worker run does between them)")
    if "baseline" in r:
        ratio = r["baseline"] / per1
        print(f"  papermill + nbconvert, per report: {r['baseline']:6.2f} s; that / runner: "
              f"{ratio:5.1f}  (goal >= {GOALS['baseline']})  "
              f"{_verdict(ratio, GOALS['baseline'], at_least=True)}")
    if "cold" in r:
        print(f"  runner --cold, 1 worker, per report ({args.n_cold}): {r['cold']:6.2f} s = "
              f"{r['cold'] / per1:.2f} x warm;  "
              + ", ".join(f"{k} {v:.2f}" for k, v in r["cold_parts"].items()))
    if r.get("cluster") is not None:
        wall, local = r["cluster"]
        ratio = wall / local
        print(f"  LocalCluster (2 workers), batch wall: {wall:6.1f} s; that / local 2 workers "
              f"({local:.1f} s, the mean of a batch just before and one just after): "
              f"{ratio:5.2f}  (goal <= {GOALS['cluster']})  {_verdict(ratio, GOALS['cluster'])}")
    if "reports" in r:
        print(f"  make reports (p2c render, standard set): {r['reports']:6.1f} s wall")
    for key, label in (("help", "p2c --help"), ("params", "p2c params country_profile")):
        ratio = r[key] / r["pandas"]
        print(f"  {label}: {r[key]:5.2f} s = {ratio:4.2f} x import pandas ({r['pandas']:.2f} s)"
              f"  (goal <= {GOALS['startup']})  {_verdict(ratio, GOALS['startup'])}")
    ratio = r["one_ratio"]
    print(f"  one-report batch: {r['one_wall']:5.2f} s wall for {r['one_work']:.2f} s of notebook"
          f" + HTML: {ratio:4.2f}  (goal <= {GOALS['one']})  {_verdict(ratio, GOALS['one'])};  "
          f"median of {len(r['one_ratios'])} rounds: "
          + ", ".join(f"{x:.2f}" for x in r["one_ratios"]) + ";  "
          + ", ".join(f"{k} {v:.2f}" for k, v in r["one_parts"].items()))
    print("  where a report's time goes (runner, 1 worker, mean seconds per report):")
    for k, v in r["parts1"].items():
        note = {"kernel": "kernel start and stop, papermill", "cells": "the notebook's cells",
                "html": "HTML export", "write": "files and manifest"}[k]  # fmt: skip
        print(f"    {v:6.2f}  {k:<7} {note}")
    print(f"    {per1 - sum(r['parts1'].values()):6.2f}  other   start-up, template, queueing")
    print("  slowest cells (mean seconds):")
    for first, secs in sorted(r["cells1"].items(), key=lambda kv: -kv[1])[:6]:
        print(f"    {secs:6.2f}  {first}")
    print(f"  kernels prepared ahead and discarded (a report waited for each): {len(DISCARDS)}"
          + "".join(f"\n    {d}" for d in DISCARDS))
    print(f"  machine: {os.cpu_count()} CPUs; load average (1 min) through the run: "
          + " -> ".join(f"{x:.1f}" for x in loads))
    if PROBES:
        print(f"  machine speed: the same one-core loop, timed {len(PROBES)} times between the "
              f"rounds' batches, took {min(PROBES):.3f}-{max(PROBES):.3f} s (median "
              f"{statistics.median(PROBES):.3f}; slowest / fastest {max(PROBES) / min(PROBES):.2f})"
              ": a ratio of two batches measured a minute apart is no steadier than that")


if __name__ == "__main__":
    sys.exit(main())
