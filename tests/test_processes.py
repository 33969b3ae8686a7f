"""Nothing hangs, no orphan is left behind (issue 8, process half).

Each test starts ``p2c`` in its own process, as a user would, with a slow fixture notebook
(``slow.ipynb`` sleeps ``seconds``), disturbs it — SIGTERM or SIGKILL to the runner, SIGKILL to
a worker, a cell that runs past ``--timeout``, a full disk — and checks that every process it
started is gone within 10 s, that the manifest describes exactly the folders on disk, and that
the terminal got at most one line.
"""

from __future__ import annotations

import html
import json
import os
import resource
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_helpers import FIXTURES, assert_manifest_matches_folders, manifest, p2c, p2c_env, runs

from p2c_analysis import paths

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux process semantics")

SLOW = FIXTURES / "slow.ipynb"
TABLE = FIXTURES / "table.ipynb"


def _start(out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "p2c_analysis.cli", *args, "--out", str(out), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=paths.ROOT,
        env=p2c_env(),
    )


def _statuses(out: Path) -> dict[str, str]:
    try:
        (run_dir,) = runs(out)
        return {e["name"]: e["status"] for e in manifest(run_dir)["reports"]}
    except (ValueError, OSError, json.JSONDecodeError):
        return {}


def _wait_until(proc: subprocess.Popen, out: Path, ready, timeout: float = 180) -> list:
    """Wait until ``ready(statuses, descendants)``; return the runner's descendants then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        if ready(_statuses(out), family):
            return family
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"not ready in {timeout} s: {_statuses(out)}")


def _kernels(family) -> list:
    """Warm kernels (named p2c-kernel) and cold ones (python -m ipykernel_launcher)."""
    out = []
    for p in family:
        try:
            if p.name() == "p2c-kernel" or "ipykernel_launcher" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _two_running(statuses, family) -> bool:
    return (list(statuses.values()).count("running") == 2 and "ok" in statuses.values()
            and len(_kernels(family)) >= 2)


def _assert_all_gone(family, out: Path) -> None:
    """Every process the runner had started exits within 10 s, and none is left working in
    the output folder (a kernel's working directory is its report's folder)."""
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], [(p.pid, p.name()) for p in alive]
    for p in psutil.process_iter(["cwd", "name"]):
        cwd = p.info.get("cwd") or ""
        assert not cwd.startswith(str(out)), (p.pid, p.info["name"], cwd)


@pytest.mark.parametrize(("sig", "cold"), [(signal.SIGTERM, False), (signal.SIGKILL, False),
                                           (signal.SIGKILL, True)],
                         ids=["SIGTERM", "SIGKILL", "SIGKILL-cold"])
def test_runner_killed_mid_run_leaves_no_process_and_a_true_manifest(tmp_path, sig, cold):
    out = tmp_path / "out"
    proc = _start(out, "batch", str(SLOW), "--over", "seconds=0.1,60.5,61.5,62.5", "--workers", "2",
                  *(["--cold"] if cold else []))
    family = _wait_until(proc, out, _two_running)
    names = {p.name() for p in family}
    expected = {"p2c-worker"} if cold else {"p2c-worker", "p2c-template", "p2c-kernel"}
    assert expected <= names, names
    proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=60)
    _assert_all_gone(family, out)
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    status = {e["name"]: e["status"] for e in m["reports"]}
    assert status["slow-0.1"] == "ok"
    running = [n for n in ("slow-60.5", "slow-61.5") if status[n] == "interrupted"]
    assert len(running) == 2, status  # the workers marked their reports, even after SIGKILL
    folders = {e["name"]: e["folder"] for e in m["reports"]}
    for name in running:
        assert (run_dir / f"{name}.partial").is_dir() and not (run_dir / name).exists()
        # named by its entry, also when the workers had the last word (it was null)
        assert folders[name] == f"{name}.partial", folders
    front = (run_dir / "index.html").read_text()
    resume = f"--resume {run_dir.name}</code>"
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert stderr.strip().count("\n") == 0 and "Traceback" not in stderr, stderr
        assert stderr.startswith(f"p2c: terminated: run {run_dir.name} is incomplete (1 of 4 "
                                 "reports rendered, 3 interrupted); finish it with: p2c "), stderr
        assert stderr.rstrip().endswith(f"--resume {run_dir.name}"), stderr
        assert status["slow-62.5"] == "interrupted" and m["state"] == "interrupted"
        # the front page says what the manifest says (it said "finished": the run has an end)
        assert " · interrupted · 1 of 4 rendered" in front
        assert "Incomplete run" in front and resume in front
        # an interrupted run with a rendered report is `latest`, as --resume latest is
        assert (out / "latest").resolve() == run_dir.resolve()
    else:
        assert proc.returncode == -signal.SIGKILL
        assert status["slow-62.5"] in {"pending", "interrupted"}
        # nothing could rewrite the front page: the one written while it ran says how to
        # finish it, and `latest` could not be moved
        assert "In progress" in front and resume in front
        assert not (out / "latest").exists()


def test_sigterm_to_a_run_with_an_idle_worker_is_one_line(tmp_path):
    """A worker waiting for its next report when the run was stopped printed
    multiprocessing's traceback ("Process ForkProcess-2: ... Terminated: signal 15")."""
    out = tmp_path / "out"
    proc = _start(out, "batch", str(SLOW), "--over", "seconds=0.1,60.5", "--workers", "2")
    family = _wait_until(proc, out, lambda st, _f: st.get("slow-0.1") == "ok"
                         and st.get("slow-60.5") == "running")
    time.sleep(1.0)  # the idle worker is back waiting on the pool's queue
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 143, (stdout, stderr)
    assert "Traceback" not in stderr and stderr.strip().count("\n") == 0, stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert {e["name"]: e["status"] for e in m["reports"]} == {"slow-0.1": "ok",
                                                              "slow-60.5": "interrupted"}
    _assert_all_gone(family, out)


def _held_notebook(folder: Path) -> Path:
    """A report that waits while the file ``hold`` exists, except for ``label`` "a": a run
    of it stops where a test wants, and a resume of the same plan then completes at once."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell('label: str = "a"\nhold: str = ""\noutput_dir: str = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import time\nfrom pathlib import Path\n"
        "while label != 'a' and Path(hold).exists():\n    time.sleep(0.05)")]
    path = folder / "held.ipynb"
    nbformat.write(nb, path)
    return path


def test_ctrl_c_leaves_a_run_that_latest_names_and_its_own_command_completes(tmp_path):
    """Ctrl-C (SIGINT to the command's process group, as a terminal sends it) ended in
    "p2c: interrupted", naming no run; ``latest`` stayed on the last finished run (or was
    missing), and the front page said "interrupted" without saying how to finish it."""
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    notebook = _held_notebook(tmp_path)
    args = ["batch", str(notebook), "--over", "label=a,b,c", "-p", "hold", str(hold),
            "--workers", "1", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "p2c_analysis.cli", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=paths.ROOT, env=p2c_env(),
        start_new_session=True,  # its own process group, which Ctrl-C signals whole
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    family = _wait_until(proc, out, lambda st, _f: st.get("held-a") == "ok"
                         and st.get("held-b") == "running")
    os.killpg(proc.pid, signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    _assert_all_gone(family, out)
    assert proc.returncode == 130, stderr
    (run_dir,) = runs(out)
    command = f"p2c {shlex.join(args)} --resume {run_dir.name}"
    assert stderr == (f"p2c: interrupted: run {run_dir.name} is incomplete (1 of 3 reports "
                      f"rendered, 2 interrupted); finish it with: {command}\n")
    m = assert_manifest_matches_folders(run_dir)
    assert m["state"] == "interrupted"
    assert {e["name"]: (e["status"], e["folder"]) for e in m["reports"]} == {
        "held-a": ("ok", "held-a"), "held-b": ("interrupted", "held-b.partial"),
        "held-c": ("interrupted", None)}
    assert (out / "latest").resolve() == run_dir.resolve()
    front = (out / "latest" / "index.html").read_text()
    assert "Incomplete run: it was interrupted with 1 of 3 reports rendered; not rendered: " \
           f"held-b, held-c. Finish it (the rendered reports are kept) with <code>" \
           f"{html.escape(command)}</code>" in front
    # the command it named finishes the run
    hold.unlink()
    done = subprocess.run([sys.executable, "-m", "p2c_analysis.cli",
                           *shlex.split(command)[1:]], capture_output=True, text=True,
                          cwd=paths.ROOT, env=p2c_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"3 of 3 reports rendered into {run_dir} (1 already")
    m = assert_manifest_matches_folders(run_dir)
    assert m["state"] == "finished" and m["summary"]["ok"] == 3
    assert "Incomplete run" not in (run_dir / "index.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted([run_dir.name, "latest"])


def test_a_dead_worker_fails_only_its_report(tmp_path):
    out = tmp_path / "out"
    proc = _start(out, "batch", str(SLOW), "--over", "seconds=0.1,20.5,4.5", "--workers", "2")
    family = _wait_until(proc, out, _two_running)
    (run_dir,) = runs(out)
    victim_pid = next(e["worker_pid"] for e in manifest(run_dir)["reports"]
                      if e["name"] == "slow-20.5")
    psutil.Process(victim_pid).kill()
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 1, (stdout, stderr)
    m = assert_manifest_matches_folders(run_dir)
    status = {e["name"]: e["status"] for e in m["reports"]}
    assert status == {"slow-0.1": "ok", "slow-20.5": "failed", "slow-4.5": "ok"}
    entry = next(e for e in m["reports"] if e["name"] == "slow-20.5")
    assert "worker process died" in entry["error"]
    assert "Traceback" not in stderr
    _assert_all_gone(family, out)


def test_a_hung_cell_fails_its_report_at_the_timeout_and_its_kernel_goes(tmp_path):
    out = tmp_path / "out"
    done = p2c("batch", str(SLOW), "--over", "seconds=0.1,120.5", "--workers", "1",
               "--timeout", "2.5", "--out", str(out), "--no-progress", timeout=180)
    assert done.returncode == 1, done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    status = {e["name"]: e for e in m["reports"]}
    assert status["slow-0.1"]["status"] == "ok"
    assert status["slow-120.5"]["status"] == "failed"
    assert "timed out" in status["slow-120.5"]["error"].lower() or "Timeout" in \
        status["slow-120.5"]["error"]
    assert "TraitError" not in status["slow-120.5"]["error"]  # 2.5 s: rounded up, not refused
    time.sleep(1)
    for p in psutil.process_iter(["cwd"]):
        assert not (p.info.get("cwd") or "").startswith(str(out))


def _limit_file_size(limit: int):
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return set_limit


def _full_disk_p2c(out: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", *args, "--out", str(out), "--no-progress"],
        capture_output=True, text=True, cwd=paths.ROOT, env=p2c_env(), timeout=300,
        preexec_fn=_limit_file_size(limit),
    )


def test_full_disk_ends_in_one_line_naming_the_file(tmp_path):
    # Files over 64 kB cannot be written (as on a full disk): the report's HTML page fails.
    out = tmp_path / "out"
    done = _full_disk_p2c(out, 64 * 1024, "render", str(TABLE), str(FIXTURES / "empty.ipynb"),
                          "--workers", "1")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("p2c: error: cannot write ") and "File too large" in lines[0]
    assert "table.html" in lines[0]
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert m["state"] == "interrupted"
    entry = next(e for e in m["reports"] if e["name"] == "table")
    assert entry["status"] == "failed" and "table.html" in entry["error"]
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.tmp"))
    # the run to finish (with --resume latest) is `latest`, though nothing of it was rendered
    assert (out / "latest").resolve() == run_dir.resolve()


def test_manifest_that_cannot_be_written_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    done = _full_disk_p2c(out, 600, "render", str(TABLE))
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "manifest.json" in lines[0] and "File too large" in lines[0]
    assert list(out.iterdir()) == []  # no run folder, no temporary file


def test_a_second_sigterm_of_the_same_stop_does_not_cut_the_clean_up_short(monkeypatch):
    # a worker whose runner dies gets SIGTERM twice (parent-death signal and watchdog): the
    # first raises Terminated, the second (during the clean-up) is part of the same stop
    from p2c_analysis import lifecycle

    monkeypatch.setattr(lifecycle, "_stop_started", [])
    with pytest.raises(lifecycle.Terminated):
        lifecycle.raise_terminated(signal.SIGTERM, None)
    lifecycle.raise_terminated(signal.SIGTERM, None)  # same stop: returns
    monkeypatch.setattr(lifecycle, "_stop_started", [time.monotonic() - 60])
    with pytest.raises(lifecycle.Terminated):  # a later stop raises again
        lifecycle.raise_terminated(signal.SIGTERM, None)


_EXIT_NOW = """
import atexit, sys, threading, time
from pathlib import Path
from p2c_analysis import lifecycle
atexit.register(lambda: Path(sys.argv[1]).write_text("atexit ran"))
if sys.argv[2] == "thread":  # a non-daemon thread still working: a normal exit waits for it
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done"))).start()
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # ends either way
print("buffered line", end="")
lifecycle.exit_now(3)
print(" / exit_now returned")
sys.exit(4)
"""


@pytest.mark.parametrize("case", ["plain", "thread"])
def test_exit_now_runs_exit_handlers_flushes_and_never_cuts_a_thread_short(tmp_path, case):
    # the `p2c` command ends this way (skipping the interpreter's tear-down of its modules)
    marker = tmp_path / "atexit.txt"
    done = subprocess.run([sys.executable, "-c", _EXIT_NOW, str(marker), case],
                          capture_output=True, text=True, timeout=60)
    assert marker.read_text() == "atexit ran"
    if case == "plain":  # exits at once with its code, the unfinished line flushed
        assert (done.returncode, done.stdout) == (3, "buffered line")
    else:  # returns, and the caller's normal exit lets the thread finish
        assert done.returncode == 4
        assert "buffered line / exit_now returned" in done.stdout
        assert "thread done" in done.stdout
    assert done.stderr == ""
