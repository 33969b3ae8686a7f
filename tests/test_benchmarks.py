"""The benchmark scripts still run (tiny sizes, no timing asserted): a benchmark that breaks
silently would leave stale figures in the README."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from p2c_analysis import paths

SCRIPTS = {
    "bench_allocation.py": ["--n", "3000"],
    "bench_changes.py": ["--n", "3000"],
    "bench_quality.py": ["--n", "3000", "--repeat", "1"],
    "bench_manifest.py": ["--n", "40", "--rounds", "1"],
}


@pytest.mark.parametrize(("script", "args"), SCRIPTS.items(), ids=list(SCRIPTS))
def test_benchmark_runs_and_checks_its_numbers(script, args):
    done = subprocess.run([sys.executable, str(paths.ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=600, cwd=paths.ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ratio" in done.stdout  # each prints the side-by-side ratio it measured


def _bench_render():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_render", paths.ROOT / "benchmarks" / "bench_render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_allowances_are_the_two_ratio_goals_solved_for_the_runner():
    bench = _bench_render()
    # hand-computed: floor 1 s, no start-up, 10 reports: runner/floor <= 1.3 allows 0.3 s a
    # report; 2 workers / 1 worker <= 0.6 allows (2*0.6 - 1) * 1.2 = 0.24 s beside it
    a = bench.allowances(1.0, 0.0, 1.2, 0.0, 0.7, 10)
    assert a["on_path"] == pytest.approx(0.2) and a["on_path_max"] == pytest.approx(0.3)
    assert a["beside"] == pytest.approx(0.2) and a["beside_max"] == pytest.approx(0.24)
    # a run's own seconds: 2 s with 1 worker take 0.2 s a report from the first allowance;
    # 2 s with both give the second 2 * (0.6*2 - 2) / 10 = -0.16 s
    a = bench.allowances(1.0, 2.0, 1.2, 2.0, 0.7, 10)
    assert a["on_path_max"] == pytest.approx(0.1)
    assert a["beside_max"] == pytest.approx(0.24 - 0.16)
    # at its allowances, each ratio is exactly its goal
    floor, run1, run2, n = 0.72, 1.42, 1.38, 20
    each1 = floor + bench.allowances(floor, run1, 0.0, run2, 0.0, n)["on_path_max"]
    assert (run1 + n * each1) / (n * floor) == pytest.approx(bench.GOALS["floor"])
    beside = bench.allowances(floor, run1, each1, run2, 0.0, n)["beside_max"]
    each2 = (each1 + beside) / 2
    assert (run2 + n * each2) / (run1 + n * each1) == pytest.approx(bench.GOALS["workers"])


def test_render_rounds_measure_each_ratio_side_by_side_each_side_first_in_turn():
    bench = _bench_render()
    assert bench.round_order(0) == ("floor", "w1", "w2")
    assert bench.round_order(1) == ("w2", "w1", "floor")
    assert bench.round_order(2) == bench.round_order(0)
    for pair in (("floor", "w1"), ("w1", "w2")):  # the two sides of each ratio
        firsts = []
        for i in range(2):
            order = bench.round_order(i)
            a, b = order.index(pair[0]), order.index(pair[1])
            assert abs(a - b) == 1  # measured next to each other
            firsts.append(pair[0] if a < b else pair[1])
        assert sorted(firsts) == sorted(pair)  # each side first once in two rounds


def test_render_machine_limit_runs_each_chunk_once_in_its_own_forked_copy(tmp_path):
    bench = _bench_render()

    def work(chunk, name):
        for v in chunk:
            (tmp_path / f"{name}-{v}").write_text(str(os.getpid()))

    values = ["A", "B", "C", "D", "E"]
    wall = bench.at_once(work, [values[0::2], values[1::2]], "fork2")
    assert wall > 0
    done = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert sorted(done) == [f"fork2-{v}" for v in values]  # every report once
    pids = {done[f"fork2-{v}"] for v in values[0::2]}, {done[f"fork2-{v}"] for v in values[1::2]}
    assert all(len(p) == 1 for p in pids) and pids[0] != pids[1]  # one copy a chunk
    assert str(os.getpid()) not in pids[0] | pids[1]  # never in the benchmark's own process


def test_render_machine_limit_stops_with_a_message_when_a_forked_copy_fails():
    bench = _bench_render()

    def work(chunk, name):
        if "B" in chunk:
            raise RuntimeError("cell failed")

    with pytest.raises(SystemExit, match=r"fork2: a forked copy failed \(exit codes \[0, 1\]\)"):
        bench.at_once(work, [["A"], ["B"]], "fork2")


def test_render_rounds_give_medians_and_the_one_report_verdict_is_on_its_median_round():
    bench = _bench_render()

    def one_round(wall1, wall2, floor, one_wall, one_work):
        return {"wall1": wall1, "wall2": wall2, "floor": floor, "fork1": 10.0, "fork2": 5.5,
                "one_wall": one_wall, "one_work": one_work, "one_parts": {"cells": one_work}}

    # hand-computed, 10 reports: runner/floor 1.2, 1.5, 1.1; one-report 1.40, 1.60, 1.45
    rounds = [one_round(12.0, 7.0, 1.0, 2.8, 2.0), one_round(15.0, 9.0, 1.0, 3.2, 2.0),
              one_round(11.0, 6.0, 1.0, 2.9, 2.0)]
    r = bench._median_round(rounds, 10)
    assert r["floor_ratios"] == pytest.approx([1.2, 1.5, 1.1])
    assert r["floor_ratio"] == pytest.approx(1.2)
    assert r["worker_ratio"] == pytest.approx(7.0 / 12.0)
    assert r["machine_ratio"] == pytest.approx(0.55)
    # one unlucky one-report batch (1.60) does not decide the verdict: the median round does
    assert r["one_ratios"] == pytest.approx([1.40, 1.60, 1.45])
    assert r["one_ratio"] == pytest.approx(1.45)
    assert (r["one_wall"], r["one_work"]) == (2.9, 2.0)


def test_render_isolated_floor_ratio_is_the_runner_against_a_fresh_fork_per_report():
    bench = _bench_render()

    def one_round(wall1, isolated):
        return {"wall1": wall1, "wall2": 7.0, "floor": 1.0, "isolated": isolated, "fork1": 10.0,
                "fork2": 5.5, "one_wall": 2.8, "one_work": 2.0, "one_parts": {}}

    # hand-computed, 10 reports: 1.2 / 1.1, 1.5 / 1.2, 1.1 / 1.1
    r = bench._median_round([one_round(12.0, 1.1), one_round(15.0, 1.2), one_round(11.0, 1.1)],
                            10)
    assert r["isolated_ratios"] == pytest.approx([1.2 / 1.1, 1.5 / 1.2, 1.1 / 1.1])
    assert r["isolated_ratio"] == pytest.approx(1.2 / 1.1)
    assert r["isolated"] == 1.1  # the median round's (1-worker wall 12.0)
    without = bench._median_round([{k: v for k, v in one_round(12.0, 1.1).items()
                                     if k != "isolated"}], 10)
    assert "isolated_ratio" not in without
