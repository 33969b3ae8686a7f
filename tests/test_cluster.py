"""Batches beyond one machine (issue 12): ``p2c batch ... --scheduler ADDRESS`` on a Dask
``LocalCluster`` of two worker processes — files come back as bytes and land in the run folder
with the same manifest and folders as a local run; a worker killed mid-batch fails only its
report and ``--resume`` completes the run; a worker that does not match this machine is refused
before anything runs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runner_helpers import FIXTURES, assert_manifest_matches_folders, p2c, p2c_env, runs

from p2c_analysis import cluster, execution, paths

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

TABLE = FIXTURES / "table.ipynb"
SLOW = FIXTURES / "slow.ipynb"
INPUTS = FIXTURES / "inputs.ipynb"


@contextlib.contextmanager
def _local_cluster(allowed_failures: int, dashboard: str | None = ":0", stealing: bool = True
                   ) -> Iterator[tuple[Any, Any]]:
    """A ``LocalCluster`` of two one-thread worker processes, one report per worker at a time
    (worker saturation 1.0, as the README starts the scheduler), and a client of it.
    ``allowed_failures``: Dask's retries of a report whose worker died (3 by default);
    ``dashboard``: its address (``":0"``, a port of its own: the module's cluster may still
    hold the default); ``stealing``: Dask's work stealing (which moves, now and then, tasks
    waiting on a busy worker to an idle one)."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.scheduler.work-stealing": stealing}):
        lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=dashboard, silence_logs=logging.ERROR)
        client = distributed.Client(lc)
        try:
            yield lc, client
        finally:
            client.close()
            lc.close()


@pytest.fixture(scope="module")
def dask_cluster():
    # a killed worker fails its task at once (no retries elsewhere)
    with _local_cluster(0, dashboard=None) as both:
        yield both


def test_batch_on_a_cluster(dask_cluster, tmp_path):
    lc, _client = dask_cluster
    out = tmp_path / "out"
    done = p2c("batch", str(TABLE), "--over", "label=a,b,c", "--scheduler", lc.scheduler_address,
               "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert m["scheduler"] == lc.scheduler_address and m["workers"] == 2
    assert [e["status"] for e in m["reports"]] == ["ok", "ok", "ok"]
    for e in m["reports"]:
        label = e["name"].removeprefix("table-")
        assert e["parameters"] == {"label": label}  # as given, not the worker's scratch copy
        assert e["notebook"] == "tests/fixtures/notebooks/table.ipynb"
        assert e["kernel"]["mode"] == "warm" and e["worker"]["pid"] != os.getpid()
        folder = run_dir / e["name"]
        assert {p.name for p in folder.iterdir()} == {
            "table.ipynb", "table.html", "table.csv", "data_files.json"}
        assert (folder / "table.csv").read_text().splitlines()[1].startswith(f"{label},")
        assert e["data_files"] == {"data/pledges/public_pledges.csv":
                                   paths.sha256(paths.PUBLIC_PLEDGES)}
        assert (run_dir / "logs" / f"{e['name']}.log").is_file()
    assert (run_dir / "index.html").is_file() and (out / "latest").resolve() == run_dir


def test_an_input_file_is_named_as_on_this_machine_not_as_the_workers_copy(dask_cluster,
                                                                            tmp_path):
    """A file parameter travels to the worker as a scratch copy; the report's provenance, its
    recorded parameters and the parameters it shows name the file given here, and its
    ``output_dir`` the run folder here, as a local run would."""
    lc, _client = dask_cluster
    given = tmp_path / "my export.csv"
    given.write_text("pledge_id,title\n1,a\n")
    out = tmp_path / "out"
    done = p2c("batch", str(INPUTS), "--over", "pledges=" + str(given), "--scheduler",
               lc.scheduler_address, "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    (e,) = assert_manifest_matches_folders(run_dir)["reports"]
    assert e["status"] == "ok" and e["kernel"]["mode"] == "warm"
    folder = run_dir / e["folder"]
    recorded = json.loads((folder / "parameters.json").read_text())
    assert recorded == {"pledges": str(given),
                        "output_dir": str(run_dir / e["name"])}
    assert e["data_files"] == {str(given): paths.sha256(given)}
    assert json.loads((folder / "data_files.json").read_text()) == e["data_files"]
    page = (folder / "inputs.html").read_text()
    assert f"pledges = {given}" in page and "p2c-remote" not in page


def _start_batch(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "p2c_analysis.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=paths.ROOT, env=p2c_env())


def _kill_the_worker_of_the_slow_report(client: Any, proc: subprocess.Popen) -> int:
    """Kill the Dask worker process still rendering a batch's one slow report once the quick
    ones are done; its process id."""
    deadline = time.monotonic() + 120
    victim = None
    while time.monotonic() < deadline and victim is None:
        busy = client.processing()
        long = [w for w, tasks in busy.items() if tasks and proc.poll() is None]
        if long:
            time.sleep(2.5)  # the slow report is the one still running now
            busy = client.processing()
            long = [w for w, tasks in busy.items() if tasks]
            if len(long) == 1:
                victim = long[0]
        time.sleep(0.2)
    assert victim is not None, proc.communicate()
    pid = client.run(os.getpid, workers=[victim])[victim]
    psutil.Process(pid).kill()
    return pid


def test_a_killed_worker_fails_only_its_report_and_resume_completes(dask_cluster, tmp_path):
    lc, client = dask_cluster
    out = tmp_path / "out"
    # two reports on two workers, one each (the runner sends a report to a free worker only)
    args = ["batch", str(SLOW), "--over", "seconds=8.5,0.2", "--scheduler",
            lc.scheduler_address, "--out", str(out), "--no-progress"]
    proc = _start_batch(args)
    pid = _kill_the_worker_of_the_slow_report(client, proc)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 1, stdout + stderr
    assert "Traceback" not in stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    status = {e["name"]: e for e in m["reports"]}
    assert status["slow-8.5"]["status"] == "failed"
    assert "worker rendering it died" in status["slow-8.5"]["error"]
    assert status["slow-0.2"]["status"] == "ok"
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    done = p2c(*args, "--resume", run_dir.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(1 already rendered, kept)" in done.stdout
    m = assert_manifest_matches_folders(run_dir)
    assert [e["status"] for e in m["reports"]] == ["ok", "ok"]
    assert len(m["resumed"]) == 1 and runs(out) == [run_dir]
    # the killed worker could not remove its scratch folders; its successor did
    assert not list(Path(tempfile.gettempdir()).glob(f"p2c-*-{pid}-*"))


def test_with_dasks_default_retries_a_killed_workers_report_is_rendered_again_elsewhere(
        tmp_path):
    """What staff get by default (``allowed-failures`` 3, not the 0 of the fixture above): the
    report a killed worker was rendering is rendered again by another worker; the run ends with
    every report done and a manifest that names the worker that rendered it."""
    with _local_cluster(3) as (lc, client):
        out = tmp_path / "out"
        proc = _start_batch(["batch", str(SLOW), "--over", "seconds=6.5,0.2,0.3",
                             "--scheduler", lc.scheduler_address, "--out", str(out),
                             "--no-progress"])
        pid = _kill_the_worker_of_the_slow_report(client, proc)
        stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr and "3 of 3 reports rendered" in stdout
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert [e["status"] for e in m["reports"]] == ["ok", "ok", "ok"]
    slow = next(e for e in m["reports"] if e["name"] == "slow-6.5")
    assert slow["worker"]["pid"] != pid
    assert "slept 6.5" in (run_dir / slow["folder"] / "slow.ipynb").read_text()


def test_a_worker_removes_the_scratch_folders_of_dead_workers_only(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    stale = tmp_path / f"p2c-remote-{dead}-abc"
    (stale / "run").mkdir(parents=True)
    alive = tmp_path / f"p2c-remote-{os.getppid()}-def"  # a live process: kept
    other = tmp_path / f"p2c-kernels-{dead}-ghi"  # another kind, same dead process
    unnamed = tmp_path / "p2c-remote-1wnzh95s"  # no process id in the name: kept
    for d in (alive, other, unnamed):
        d.mkdir()
    new = execution.worker_scratch("remote")
    assert new.is_dir() and new.name.startswith(f"p2c-remote-{os.getpid()}-")
    assert not stale.exists() and not other.exists()
    assert alive.is_dir() and unnamed.is_dir()


def test_a_stopped_run_ends_the_reports_running_on_the_workers(dask_cluster, tmp_path):
    """Dask cannot stop a task that runs: when the runner stops (here SIGTERM), the reports
    running on the workers end at once (their kernels are killed) instead of running on for
    nobody, and the workers take new reports straight away."""
    lc, client = dask_cluster
    out = tmp_path / "out"
    workers = set(client.run(os.getpid).values())  # this cluster's, not another test run's
    proc = subprocess.Popen(
        [sys.executable, "-m", "p2c_analysis.cli", "batch", str(SLOW), "--over",
         "seconds=60.5,61.5", "--scheduler", lc.scheduler_address, "--out", str(out),
         "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=paths.ROOT, env=p2c_env())

    def report_kernels() -> list[psutil.Process]:
        """Kernels running a slow-6x report under this cluster's workers (a test suite run
        beside this one has kernels of the same name and folders)."""
        found = []
        for p in psutil.process_iter(["name", "cwd"]):
            cwd = p.info.get("cwd") or ""
            if p.info["name"] == "p2c-kernel" and "/slow-6" in cwd and cwd.endswith(".partial"):
                with contextlib.suppress(psutil.Error):
                    if any(a.pid in workers for a in p.parents()):
                        found.append(p)
        return found

    running: list[psutil.Process] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(running) < 2 and proc.poll() is None:
        running = report_kernels()
        time.sleep(0.2)
    assert len(running) == 2, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    _gone, alive = psutil.wait_procs(running, timeout=20)
    assert alive == [], "the reports kept running on the workers"
    again = p2c("batch", str(TABLE), "--over", "label=a,b", "--scheduler", lc.scheduler_address,
                "--out", str(tmp_path / "again"), "--no-progress")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_scheduler_closed_right_after_a_run_logs_no_error(tmp_path, caplog):
    """The stop watch of a remote report leaves no request pending on the scheduler: one that
    closes right after a run (a LocalCluster in a script) has nothing to log."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        lc = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        done = p2c("batch", str(TABLE), "--over", "label=a", "--scheduler", lc.scheduler_address,
                   "--out", str(tmp_path / "out"), "--no-progress")
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        with caplog.at_level(logging.ERROR, logger="distributed"):
            lc.close()
    assert not [r for r in caplog.records if r.name == "distributed.event"], caplog.text


def test_a_mismatched_worker_is_refused_before_anything_runs(dask_cluster, tmp_path):
    lc, client = dask_cluster
    (victim, *_rest) = sorted(client.scheduler_info()["workers"])

    def pretend_other_version() -> None:
        from p2c_analysis import cluster as c

        original = c.fingerprint()
        c._worker_fingerprint = lambda: {**original, "p2c_analysis": "9.9.9"}

    def restore() -> None:
        from p2c_analysis import cluster as c

        c._worker_fingerprint = lambda: c.fingerprint()

    client.run(pretend_other_version, workers=[victim])
    try:
        out = tmp_path / "out"
        done = p2c("batch", str(TABLE), "--over", "label=a", "--scheduler",
                   lc.scheduler_address, "--out", str(out), "--no-progress")
    finally:
        client.run(restore, workers=[victim])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [f"p2c: error: Dask worker {victim} has p2c-analysis 9.9.9, this machine "
                     f"{cluster.fingerprint()['p2c_analysis']}; nothing was rendered"]
    assert not out.exists() or list(out.iterdir()) == []


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    done = p2c("batch", str(TABLE), "--over", "label=a", "--scheduler", "tcp://127.0.0.1:9",
               "--out", str(tmp_path / "out"), timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0]


def test_fingerprint_differences_are_named():
    mine = cluster.fingerprint()
    assert cluster.difference(mine, dict(mine)) is None
    other = {**mine, "data": {**mine["data"], "raw/extra.csv": "0" * 64}, "data_digest": "x"}
    assert cluster.difference(mine, other) == "has different data: data/raw/extra.csv is extra"
    changed = dict(mine["data"])
    first = sorted(changed)[0]
    changed[first] = "0" * 64
    assert cluster.difference(mine, {**mine, "data": changed, "data_digest": "y"}) == (
        f"has different data: data/{first} differs")
    assert "different p2c_analysis code" in cluster.difference(mine, {**mine, "code": "z"})
    assert "Python" in cluster.difference(mine, {**mine, "python": "2.7"})


def test_a_run_says_when_no_worker_is_left_to_render_its_reports():
    """When every worker goes away, Dask keeps the reports waiting for one (nothing fails): the
    run says so once, and once again when workers are back, instead of just standing still."""

    class Session:
        address = "tcp://scheduler:8786"

        def __init__(self) -> None:
            self.workers: list[int | None] = [2, 0, 0, None, 0, 1, 1, 0]
            self.pending = 5

        def connected_workers(self) -> int | None:
            return self.workers.pop(0)

        def left(self) -> int:
            return self.pending

    said: list[str] = []
    session = Session()
    watch = cluster.WorkerWatch(session, said.append)
    for _ in range(7):
        watch.check()
    assert said == [
        "p2c: no Dask worker is connected to tcp://scheduler:8786: the 5 reports left wait for "
        "one (start workers, or stop with Ctrl-C and render them later with --resume)",
        "p2c: 1 Dask worker connected again; the run goes on"]
    session.pending = 0  # nothing left to render: no worker needed, nothing said
    watch.check()
    assert len(said) == 2
    # as a context manager it asks from a thread, and stops with the run
    session.workers, session.pending, said[:] = [0] * 50, 1, []
    with cluster.WorkerWatch(session, said.append, every=0.01) as w:
        deadline = time.monotonic() + 5
        while not said and time.monotonic() < deadline:
            time.sleep(0.01)
    assert said == ["p2c: no Dask worker is connected to tcp://scheduler:8786: the 1 report "
                    "left wait for one (start workers, or stop with Ctrl-C and render them "
                    "later with --resume)"]
    assert w._thread is not None and not w._thread.is_alive()


def test_an_empty_as_of_is_the_run_s_day_on_a_cluster_too(dask_cluster, tmp_path):
    lc, _client = dask_cluster
    out = tmp_path / "out"
    done = p2c("render", str(FIXTURES / "as_of.ipynb"), "--scheduler", lc.scheduler_address,
               "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    m = json.loads((run_dir / "manifest.json").read_text())
    (entry,) = m["reports"]
    assert (run_dir / "as_of" / "as_of.txt").read_text() == m["run_day"]
    assert entry["effective_parameters"]["as_of"] == m["run_day"]
    assert "as_of" not in entry["parameters"]


def test_a_batch_does_not_keep_every_reports_files_in_the_workers_memory(
        dask_cluster, tmp_path, monkeypatch):
    """Dask keeps a result in its worker's memory while a client holds its future: a runner
    that held every report's future to the end of a batch would keep every report's files
    (megabytes each) on the workers, and in its own memory, until the batch ends. Once a
    report's files are written here, its result is let go."""
    from p2c_analysis import planning, runner

    lc, client = dask_cluster

    def held() -> int:  # reports' results (not the notebook's bytes, sent once for the run)
        return sum(client.run(lambda dask_worker: sum(
            str(k).startswith("execute_remote") for k in list(dask_worker.data))).values())

    seen: list[int] = []
    receive = runner.receive_remote

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # while a report's files are written: what the workers hold (releases travel to the
        # scheduler and on to the workers, so give them a moment)
        deadline = time.monotonic() + 3
        while (n := held()) > 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(n)
        return receive(*args, **kwargs)

    monkeypatch.setattr(runner, "receive_remote", spy)
    labels = [f"r{i}" for i in range(10)]
    specs = planning.plan_batch(TABLE, "label", ",".join(labels), {})
    result = runner.render(specs, out=tmp_path / "out", scheduler=lc.scheduler_address,
                           progress=False)
    assert not result.failed and len(seen) == len(labels)
    # two workers, one report each at a time: the report being written, and at most one
    # finished on each worker waiting for its turn (all ten were held before)
    assert max(seen) <= 4, seen


def test_a_file_every_report_reads_is_sent_to_the_cluster_once(dask_cluster, tmp_path,
                                                               monkeypatch):
    """A pledge export given to every report of a batch (and the notebook) travels to the
    cluster once for the run, not in each report's task: 200 profiles of one 50 MB export
    would otherwise send, and keep in the scheduler, 10 GB."""
    from p2c_analysis import planning, runner

    lc, _client = dask_cluster
    given = tmp_path / "export.csv"
    given.write_text("pledge_id,title\n1,a\n2,b\n")
    sent: list[bytes] = []
    submit = distributed.Client.submit

    def contents(value: Any) -> list[bytes]:
        if isinstance(value, bytes):
            return [value]
        items = value.values() if isinstance(value, dict) else \
            value if isinstance(value, list | tuple) else []
        return [b for item in items for b in contents(item)]

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        sent.extend(contents([args, kwargs]))
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", spy)
    specs = [planning.ReportSpec(f"inputs-{i}", INPUTS, {"pledges": str(given)})
             for i in range(3)]
    result = runner.render(specs, out=tmp_path / "out", scheduler=lc.scheduler_address,
                           progress=False)
    assert not result.failed
    assert sorted(sent) == sorted([given.read_bytes(), INPUTS.read_bytes()])
    m = assert_manifest_matches_folders(result.run_dir)
    assert [e["data_files"] for e in m["reports"]] == [{str(given): paths.sha256(given)}] * 3


def test_a_file_sent_once_survives_the_workers_that_held_it(tmp_path):
    """The notebook and input files a run sends once (``ClusterSession.share``) live on the
    workers; when every worker holding them dies (here: all of them, mid-batch), Dask computes
    them again from the copy its scheduler keeps, and with its default retries the run still
    renders every report (scattered data would be lost, and every report with it)."""
    with _local_cluster(3) as (lc, client):
        out = tmp_path / "out"
        proc = _start_batch(["batch", str(SLOW), "--over", "seconds=4,4.5,0.2,0.3",
                             "--scheduler", lc.scheduler_address, "--out", str(out),
                             "--no-progress"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            busy = client.processing()
            if len(busy) == 2 and all(any(str(k).startswith("execute_remote")
                                          for k in keys) for keys in busy.values()):
                break
            time.sleep(0.1)
        pids = client.run(os.getpid)
        assert len(pids) == 2, proc.communicate()
        for pid in pids.values():
            psutil.Process(pid).kill()
        stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr and "4 of 4 reports rendered" in stdout
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert [e["status"] for e in m["reports"]] == ["ok"] * 4
    assert not {e["worker"]["pid"] for e in m["reports"]} & set(pids.values())


def _gate_notebook(path: Path) -> Path:
    """A report that writes the file ``mark`` (if given), then waits until the file
    ``wait_for`` exists (if given; at most ``limit`` seconds, after which it fails saying so)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A report waiting for another (cluster tests)"),
        nbformat.v4.new_code_cell('mark: str = ""\nwait_for: str = ""\nlimit: float = 120.0\n'
                                  'output_dir: str = "."', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import time\nfrom pathlib import Path\n"
            "if mark:\n    Path(mark).write_text('done')\n"
            "deadline = time.monotonic() + limit\n"
            "while wait_for and not Path(wait_for).exists():\n"
            "    if time.monotonic() > deadline:\n"
            "        raise RuntimeError(f'never saw {wait_for}')\n"
            "    time.sleep(0.05)\n"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_report_never_waits_behind_another_while_a_worker_is_free(tmp_path, monkeypatch):
    """Given every report of a small batch at once, Dask placed them all on workers at once
    (below two tasks a worker thread it holds none back), on the worker holding the run's
    shared notebook: a report could wait behind a slow one there while the other worker idled,
    until Dask's work stealing moved it, if it did. The runner now sends each report to a free
    worker, and the next as one comes back. Here the first report waits until the last one has
    run: it ends only if the last one is rendered by the other worker (work stealing off, so
    that nothing but the runner can bring that about; behind the first, neither would end
    before the first's time limit)."""
    from p2c_analysis import planning, runner

    gate = _gate_notebook(tmp_path / "gate.ipynb")
    marks = {name: tmp_path / f"{name}.done" for name in ("fast-a", "fast-b")}
    specs = [planning.ReportSpec("slow", gate, {"wait_for": str(marks["fast-b"])}),
             *(planning.ReportSpec(name, gate, {"mark": str(mark)})
               for name, mark in marks.items())]
    on_cluster: list[int] = []  # reports sent and not yet back, each time one is sent
    submit = cluster.ClusterSession.submit

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        fut = submit(self, *args, **kwargs)
        on_cluster.append(sum(not f.done() for f in self.futures))
        return fut

    monkeypatch.setattr(cluster.ClusterSession, "submit", spy)
    with _local_cluster(0, stealing=False) as (lc, _client):
        result = runner.render(specs, out=tmp_path / "out", scheduler=lc.scheduler_address,
                               progress=False)
    m = assert_manifest_matches_folders(result.run_dir)
    assert [(e["name"], e["status"]) for e in m["reports"]] == [
        ("slow", "ok"), ("fast-a", "ok"), ("fast-b", "ok")], [e.get("error") for e in m["reports"]]
    assert len(on_cluster) == 3 and max(on_cluster) <= 2  # never more than the workers' threads
    pid = {e["name"]: e["worker"]["pid"] for e in m["reports"]}
    assert pid["fast-a"] == pid["fast-b"] != pid["slow"]  # both on the free worker


def test_workers_that_come_back_get_reports_without_waiting_for_one_to_end(tmp_path,
                                                                           monkeypatch):
    """With no worker connected, the runner sends one report (it waits for a worker, as Dask
    does); when workers come back, the free ones get the next reports at once, not only once
    that first report has come back."""
    import threading
    from concurrent.futures import Future

    from p2c_analysis import planning, runner

    monkeypatch.setattr(runner, "CLUSTER_LOOK_EVERY", 0.05)
    monkeypatch.setattr(runner, "FRONT_PAGE_EVERY", 1e9)
    events: list[str] = []
    futures: dict[str, Future] = {}

    class Workers:  # the cluster as _run_on_cluster sees it
        remote = True
        workers = 2

        def __init__(self) -> None:
            self.free = [[], ["tcp://w1", "tcp://w2"]]  # none at first, then two

        def free_workers(self, ours: dict[str, int]) -> list[str]:
            return self.free.pop(0) if len(self.free) > 1 else self.free[0]

        def submit(self, spec: planning.ReportSpec, worker: str | None = None) -> Future:
            events.append(f"sent {spec.name} to {worker}")
            futures[spec.name] = fut = Future()
            if spec.name != "first":
                if not futures["first"].done():  # the first ends once another was sent
                    futures["first"].set_result(None)
                fut.set_result(None)
            return fut

        def result(self, spec: planning.ReportSpec, fut: Future) -> dict[str, Any]:
            events.append(f"back {spec.name}")
            return {"name": spec.name, "status": "ok"}

        def hold_back(self, n: int) -> None:
            pass

        def stop(self) -> None:
            pass

    class Bar:
        def update(self, n: int) -> None:
            pass

        def write(self, *a: Any, **k: Any) -> None:
            pass

    specs = [planning.ReportSpec(name, TABLE, {}) for name in ("first", "second", "third")]
    # should the runner wait for the first to come back, it ends after 30 s, in the wrong order
    safety = threading.Timer(30, lambda: futures["first"].done() or
                             futures["first"].set_result(None))
    safety.start()
    try:
        runner._run_all(Workers(), specs, tmp_path, Bar(), [])
    finally:
        safety.cancel()
    assert events[:2] == ["sent first to None", "sent second to tcp://w2"], events
    assert sorted(e.split(" to ")[0] for e in events) == [
        "back first", "back second", "back third", "sent first", "sent second", "sent third"]
