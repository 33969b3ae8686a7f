"""A run: rendering planned reports in parallel worker processes into one run folder.

Planning (which reports, checked parameters) is :mod:`p2c_analysis.planning`; executing one
report in its kernel is :mod:`p2c_analysis.execution`; its HTML page is
:mod:`p2c_analysis.htmlexport`; warm kernels are :mod:`p2c_analysis.kernels`; Dask clusters
:mod:`p2c_analysis.cluster`; the front page :mod:`p2c_analysis.frontpage`. This module holds
the run: its folder, ``manifest.json``, the workers and ``latest``.

One run writes ``<out>/<run-id>/`` (run-id = UTC timestamp + random suffix, sortable) with one
folder per report, ``<notebook>[-<value>]/``, holding the executed notebook, its HTML (code
hidden, opens offline) and the tables the notebook wrote; plus ``manifest.json`` (parameters,
versions, git commit, SHA-256 of the data files each report read, status and timings),
``index.html`` (the front page) and ``logs/`` (kernel chatter, kept out of the terminal).
``latest`` is one run for both its uses: the newest run (:func:`newest_run`). ``<out>/latest``
is pointed to it whenever a run ends (finished, failed, or interrupted by Ctrl-C, SIGTERM or a
full disk), and ``--resume latest`` resumes it: the run whose summary its user just read. A
reviewer opens ``latest/index.html`` first: an interrupted run's front page says plainly that
it is incomplete, which reports are missing and the command that finishes it (``--resume``),
and one whose every report failed that nothing was rendered and the command that renders them
again, while the last complete run's numbers would be shown as the newest without a word. A
run killed outright (SIGKILL) cannot move it; its front page, written while it ran, says how to
finish it if no ``p2c`` renders it any more, and ``--resume latest`` finds it.

A report is rendered in ``<name>.partial/`` and renamed to ``<name>/`` only when it succeeded, or
to ``<name>.FAILED/`` (keeping the executed notebook with papermill's error banner), so a folder
without a suffix is always a complete report; the rename and the report's manifest entry are one
locked step (:func:`p2c_analysis.manifest.publish`). Nothing is written outside ``<out>``.

Processes: every worker, template and kernel dies with the runner (see
:mod:`p2c_analysis.lifecycle`); SIGTERM is handled like Ctrl-C (reports left ``.partial``, the
run marked ``interrupted``). A worker process that dies fails only the report it was running;
the others are rendered by a new pool. A resume holds the run's lock, so a report it finds
``running`` was left so by a process that is gone: it is taken as interrupted, its
``.partial`` folder removed and the report rendered afresh (:func:`_still_to_do`); a resume
whose reports are all rendered already says so and writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import Any

from p2c_analysis import frontpage, kernels, paths
from p2c_analysis import manifest as M
from p2c_analysis.execution import (
    first_line,
    inside,
    now,
    prepare_workers,
    receive_remote,
    rel_path,
    run_in_worker,
    stop_workers,
    worker_init,
)
from p2c_analysis.planning import (
    TODAY_PARAMETERS,
    ReportSpec,
    UsageError,
    effective_parameters,
    utc_today,
)

#: How often a broken worker pool is replaced before the remaining reports are failed.
MAX_POOL_RESTARTS = 3
#: Seconds between rewrites of a running run's front page. It is written whole from the whole
#: manifest (12 ms at 215 reports), so once per report would cost the square of the batch; it
#: is always written when the run starts and when it ends.
FRONT_PAGE_EVERY = 2.0
#: Seconds between looks for free Dask workers while no report comes back (workers that
#: joined, or came back, get reports without waiting for one to end).
CLUSTER_LOOK_EVERY = 5.0


# --- a run -------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """A finished run: its id and folder, the manifest entries of its reports."""

    run_id: str
    run_dir: Path
    reports: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    #: a resume that found every report it was given rendered already, and changed nothing
    nothing_to_do: bool = False
    #: reports of the run still not rendered (``pending``, ``running``, ``interrupted``)
    unfinished: list[str] = field(default_factory=list)
    #: one line when ``out/latest`` could not be moved to this run (see :func:`move_latest`)
    latest_note: str | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["status"] != "ok"]

    @property
    def manifest(self) -> Path:
        return self.run_dir / "manifest.json"


class RunStorageError(M.ManifestError):
    """The run's folder cannot be written (full disk, read-only): the run stopped."""


_RUN_ID = M.RUN_ID


def new_run_id(now: dt.datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: UTC time (sorts in time order) + 6 random hex digits."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def git_commit(root: Path | None = None) -> str:
    """The checked-out commit of the project (``git rev-parse HEAD``), or ``"unknown"``."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root or paths.ROOT, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else "unknown"


#: What a report's numbers come from in a checkout: its changes there are recorded in a run.
SOURCE_PATHS: tuple[str, ...] = ("p2c_analysis", "notebooks", "data", "pyproject.toml")


def git_changes(root: Path | None = None) -> list[str] | None:
    """The files of :data:`SOURCE_PATHS` that differ from the checked-out commit (tracked
    files changed or staged, and new files not ignored), as ``git status`` names them, sorted;
    ``[]`` for a clean tree, ``None`` outside a git checkout (or without git). A run records
    it beside ``git_commit``: the commit alone does not say what ran."""
    try:
        done = subprocess.run(
            # --no-optional-locks: git status refreshes its index and takes .git/index.lock
            # to do it, a write outside the output folder that can collide with the user's
            # own git command
            ["git", "--no-optional-locks", "status", "--porcelain", "-z", "--", *SOURCE_PATHS],
            cwd=root or paths.ROOT,
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    names, items = set(), iter(done.stdout.split("\0"))
    for entry in items:
        if len(entry) > 3:
            names.add(entry[3:])
            if entry[0] in "RC":  # a rename or copy: its origin follows
                next(items, None)
    return sorted(names)


#: Distributions whose versions a run records besides the package's own dependencies
#: (:func:`environment_versions`): the package itself and what executes a notebook.
RECORDED_DISTRIBUTIONS: tuple[str, ...] = ("p2c-analysis", "nbclient", "jupyter-client")


def declared_dependencies(dist: str = "p2c-analysis") -> list[str]:
    """The distributions ``dist`` requires for every user (its ``dependencies`` in
    ``pyproject.toml``, as installed; optional extras left out), by name, in their order;
    ``[]`` when ``dist`` is not installed."""
    try:
        wanted = requires(dist) or []
    except PackageNotFoundError:
        return []
    names = [re.match(r"[A-Za-z0-9._-]+", req.strip()) for req in wanted if "extra ==" not in req]
    return [m[0] for m in names if m]


def environment_versions() -> dict[str, str]:
    """Versions of Python and of the packages a report's numbers and files depend on: the
    package, every dependency it declares (pandas, pyarrow, openpyxl, pandera, geopandas...:
    :func:`declared_dependencies`, so a new dependency is recorded without a second list) and
    what executes the notebooks (:data:`RECORDED_DISTRIBUTIONS`); ``"not installed"`` for
    one that is missing."""
    out = {"python": platform.python_version()}
    for dist in dict.fromkeys([*RECORDED_DISTRIBUTIONS, *declared_dependencies()]):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


#: A write that failed because of the disk or its folder, not for want of symlinks: the
#: ``LATEST`` text file would fail the same way, so the pointer is left where it was.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


class LatestNotMoved(OSError):
    """``out/latest`` (or ``out/LATEST``) could not be moved to a run; it is left intact."""


def point_latest(out: Path, run_id: str) -> Path:
    """Make ``out/latest`` a symlink to the run folder; where symlinks are not supported,
    write the run id to ``out/LATEST`` instead. Returns the path written. Both are replaced
    atomically (a new link or file in ``out``, then ``os.replace``; the file's bytes are
    ``fsync``-ed first), so a failure (a full disk) leaves the old pointer as it was and
    raises :class:`LatestNotMoved`."""
    link = out / "latest"
    if os.path.lexists(link) and not link.is_symlink():
        print(f"p2c: note: {link} is not a link p2c made; left as it is (the run is "
              f"{out / run_id})", file=sys.stderr)
        return link
    tmp = out / f".latest-{run_id}"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, link)
        return link
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if err.errno in _DISK_ERRNOS:
            raise LatestNotMoved(err.errno, f"{link}: {err.strerror or err}") from None
    text = out / "LATEST"
    with contextlib.suppress(OSError):
        if not _RUN_ID.fullmatch(text.read_text(encoding="utf-8").strip() or run_id):
            print(f"p2c: note: {text} is not a file p2c wrote; left as it is", file=sys.stderr)
            return text
    try:
        paths.replace_text(text, run_id + "\n")
    except OSError as err:
        raise LatestNotMoved(err.errno, f"{text}: {err.strerror or err}") from None
    return text


def where_latest(out: Path) -> str:
    """What ``out/latest`` (or ``out/LATEST``) names now, for a message: ``run <id>``, or
    ``no run`` when there is no pointer (or it cannot be read)."""
    with contextlib.suppress(OSError):
        return f"run {os.readlink(out / 'latest')}"
    with contextlib.suppress(OSError):
        named = (out / "LATEST").read_text(encoding="utf-8").strip()
        if _RUN_ID.fullmatch(named):
            return f"run {named}"
    return "no run"


def move_latest(out: Path, run_id: str) -> str | None:
    """:func:`point_latest`, or, when it fails, the one line that says the pointer was not
    moved, why and where it still points (returned for the command's last words)."""
    try:
        point_latest(out, run_id)
    except LatestNotMoved as err:
        return (f"p2c: warning: {out / 'latest'} was not moved to run {run_id} "
                f"({err.strerror}); it still points to {where_latest(out)}")
    return None


def newest_run(out: Path) -> Path | None:
    """The newest run folder in ``out`` (the last started: run ids sort in time order) with a
    ``manifest.json``; ``None`` when there is none. This is ``latest``, one rule for both
    names: ``out/latest`` is pointed to it whenever a run ends (:func:`_point_latest`), and
    ``--resume latest`` resumes it (:func:`resolve_run`)."""
    runs = M.run_folders(out)
    return runs[-1] if runs else None


def resolve_run(out: Path, ref: str) -> Path:
    """The run folder named by ``ref``: a run id under ``out``, ``latest`` (:func:`newest_run`:
    what ``out/latest`` points to once that run has ended, whatever its reports' outcome; a
    run killed outright, which could not move ``out/latest``, is ``latest`` too), or a path
    to a run folder in ``out`` (a run folder elsewhere is refused: the run would write outside
    ``out`` and point ``out/latest`` at a folder it does not hold). Its manifest must be
    readable."""
    if ref == "latest":
        newest = newest_run(out)
        if newest is not None:
            return _readable(newest)
    candidate = Path(ref).expanduser()
    for path in (out / ref, candidate):
        if path.is_dir() and (path / M.MANIFEST).is_file():
            found = path.resolve()
            if found.parent != Path(out).resolve():
                raise UsageError(f"--resume {ref}: the run folder is not in the output folder "
                                 f"{out}; give --out {found.parent}")
            return _readable(found)
    raise UsageError(f"--resume {ref}: no run folder with a manifest.json (under {out})")


def _readable(run_dir: Path) -> Path:
    """``run_dir`` when its manifest reads; :class:`UsageError` (one line) otherwise."""
    try:
        M.read(run_dir)
    except M.ManifestReadError as err:
        raise UsageError(f"--resume: {err}") from None
    return run_dir


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        return max(1, len(getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork is fastest (workers inherit the runner's imports and the template handle) and safe
    # while the parent runs a single thread; otherwise the platform's default start method
    # (each worker then starts its own kernel template).
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


# --- executors: local worker processes, or a Dask cluster --------------------------------------
class _LocalWorkers:
    """Reports rendered by a pool of worker processes on this machine; each worker records
    its report in the manifest itself. A pool broken by a dying worker is replaced."""

    remote = False

    def __init__(self, run_dir: Path, workers: int, warm: bool, cell_timeout: float | None,
                 effective: dict[str, dict[str, Any]], notebooks: list[Path]) -> None:
        self.run_dir, self.workers, self.warm = run_dir, workers, warm
        self.cell_timeout, self.effective, self.notebooks = cell_timeout, effective, notebooks
        self.template: kernels.Template | None = None
        self.pool: ProcessPoolExecutor | None = None

    def start(self, template: kernels.Template | None = None) -> None:
        if self.warm:
            log = self.run_dir / "logs" / "template.log"
            if template is not None and template.dead_reason is None:
                template.set_log(log)  # started by the command before it planned the run
                self.template = template
            else:
                self.template = kernels.Template.start(
                    log=log, preloads=kernels.preloads_for(self.notebooks))
            kernels.set_template(self.template)
        self._new_pool()

    def _new_pool(self) -> None:
        free_cpu = self.workers < available_cpus()
        context = _mp_context()
        if self.workers > 1 and context.get_start_method() == "fork":
            prepare_workers()  # once here, inherited by every worker (one does it itself)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                        initializer=worker_init,
                                        initargs=(os.getpid(), free_cpu))

    def submit(self, spec: ReportSpec, ahead: bool = True) -> Future:
        """``ahead=False``: among the last reports, one per worker (taken in order), after
        which no worker prepares a kernel for a next report."""
        assert self.pool is not None
        return self.pool.submit(run_in_worker, spec, self.run_dir, self.cell_timeout,
                                warm=self.warm, effective=self.effective[spec.name],
                                ahead=ahead)

    def result(self, spec: ReportSpec, fut: Future) -> dict[str, Any]:
        return fut.result()

    def recover(self) -> None:
        """After a broken pool: wait for its processes, start a new one."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self._new_pool()

    def stop(self) -> None:
        if self.pool is not None:
            stop_workers(self.pool)

    def watching(self, bar: Any) -> Any:
        """Nothing to watch: this machine's workers do not go away on their own."""
        return contextlib.nullcontext()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        if self.template is not None:
            kernels.set_template(None)
            self.template.close()


class _ClusterWorkers:
    """Reports rendered on a Dask cluster; the runner writes their files and manifest."""

    remote = True

    def __init__(self, run_dir: Path, session: Any, warm: bool, cell_timeout: float | None,
                 base: Callable[[ReportSpec], dict[str, Any]]) -> None:
        self.cluster = session
        self.run_dir, self.warm, self.cell_timeout, self.base = run_dir, warm, cell_timeout, base

    @property
    def workers(self) -> int:
        return self.cluster.n_workers

    def start(self, template: kernels.Template | None = None) -> None:
        """The cluster's workers have their own templates: this machine's is not needed."""
        if template is not None:
            template.kill()

    def submit(self, spec: ReportSpec, ahead: bool = True, worker: str | None = None
               ) -> Future:
        """Send ``spec`` to the cluster, to ``worker`` if given (see
        :meth:`p2c_analysis.cluster.ClusterSession.submit`). (``ahead`` is for local workers: a
        cluster's workers keep their kernels ready.)"""
        return self.cluster.submit(spec, warm=self.warm, cell_timeout=self.cell_timeout,
                                   run_dir=self.run_dir, worker=worker)

    def free_workers(self, ours: Mapping[str, int]) -> list[str]:
        """Workers free to start a report now, one address per free thread (``[]`` while none
        is, or the scheduler cannot be asked); ``ours``: this run's reports on each."""
        return self.cluster.free_workers(ours) or []

    def hold_back(self, n: int) -> None:
        """``n`` reports wait here, not yet sent (counted among those left to render)."""
        self.cluster.held_back = n

    def result(self, spec: ReportSpec, fut: Future) -> dict[str, Any]:
        from p2c_analysis import cluster

        try:
            result = fut.result()
        except Exception as err:  # noqa: BLE001 - the worker died, the task was lost...
            entry = cluster.lost_entry(spec, err, self.base(spec))
            M.set_entry(self.run_dir, entry)
            return entry
        finally:
            self.cluster.forget(fut)
        return receive_remote(self.run_dir, spec, result, self.base(spec))

    def recover(self) -> None:  # pragma: no cover - a cluster does not break like a pool
        pass

    def stop(self) -> None:
        self.cluster.cancel()

    def close(self) -> None:
        self.cluster.close()

    def watching(self, bar: Any) -> Any:
        """Says when no worker is left to render the reports waiting (see
        :class:`p2c_analysis.cluster.WorkerWatch`)."""
        from p2c_analysis.cluster import WorkerWatch

        return WorkerWatch(self.cluster, lambda text: bar.write(text, file=sys.stderr))


# --- the run itself ------------------------------------------------------------------------------
#: What a resume records of itself (in ``resumed``), leaving the run's own values as they were:
#: reports kept from the first run were made with those.
RESUME_FIELDS: tuple[str, ...] = ("command", "p2c_analysis_version", "versions", "git_commit",
                                  "git_changes", "kernels", "scheduler")


def render(
    specs: Sequence[ReportSpec],
    out: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    command: Sequence[str] | None = None,
    cell_timeout: float | None = None,
    *,
    cold: bool = False,
    scheduler: str | None = None,
    resume: str | None = None,
    template: kernels.Template | None = None,
) -> RunResult:
    """Render ``specs`` into a new run folder under ``out`` (default ``reports/``), at most
    ``workers`` at a time (default: the CPUs available), each in its own kernel process;
    ``cell_timeout`` seconds per cell (``None`` = no limit).

    ``cold``: start every kernel from scratch (no template); ``scheduler``: send the reports to
    the Dask scheduler at this address instead of local workers; ``resume``: a previous run
    (id, path or ``latest``) whose reports that are not rendered yet are rendered into it
    (``specs`` must be reports it was planned with, and it must hold no symbolic link:
    :func:`_check_resumable`);
    ``template``: a kernel template already started (see
    :func:`p2c_analysis.kernels.template_for`), else one is started here.

    A failing report does not stop the others. Each report's manifest entry is written when
    its folder appears; ``out/latest`` is pointed to the run when it ends (finished, failed
    or interrupted; :func:`_point_latest`). A full or read-only output folder stops
    the run with :class:`RunStorageError`. A resume whose reports are all rendered already
    writes nothing and returns a result with ``nothing_to_do``. Parameters must already be
    validated (see :func:`p2c_analysis.planning.plan_render`,
    :func:`p2c_analysis.planning.plan_batch`).
    """
    from tqdm import tqdm

    from p2c_analysis import __version__, startup

    startup.defer_slow_imports()
    cold = cold or not kernels.warm_supported()
    if not specs:
        raise UsageError("nothing to render")
    if resume and out is None:  # a run folder given by its path: its output folder is the parent
        given = Path(resume).expanduser()
        if (given.is_absolute() or len(given.parts) > 1) and (given / M.MANIFEST).is_file():
            out = given.resolve().parent
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise UsageError("two reports would share a folder name")
    out = Path(out if out is not None else paths.REPORTS).expanduser().resolve()
    for s in specs:
        inside(out, s.name)  # refuses names that would leave the output folder
    resumed = resolve_run(out, resume) if resume else None  # refused before anything is made
    if resumed is not None:
        _check_resumable(resumed, specs)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot create the folder ({err.strerror})") from err

    effective = {s.name: effective_parameters(s.notebook, s.parameters) for s in specs}
    session = None
    if scheduler:  # refuse a mismatched cluster before any folder is made
        from p2c_analysis import cluster

        session = cluster.ClusterSession(scheduler)
        session.check_workers()
        if not cold:  # templates warm up on the workers while this machine prepares the run
            session.prestart_templates(kernels.preloads_for(sorted({s.notebook for s in specs})))
    held: list[int] = []  # the run's lock, held until the run ends (_lock_run)
    try:
        try:
            if resumed is not None:
                run_dir = resumed
                held.append(_lock_run(run_dir))  # before anything in it changes
                if _all_rendered(run_dir, specs):  # a second --resume: nothing is written
                    _stop_unused(session, template)
                    return _nothing_to_do(run_dir, names)
                specs, skipped = _still_to_do(run_dir, specs)
            else:
                run_dir, skipped = _new_run_dir(out), []
                held.append(_lock_run(run_dir))
        except BaseException:
            if session is not None:
                session.close()
            raise
        run_id = run_dir.name
        run_day = _run_day(run_dir) if resume else utc_today().isoformat()
        specs = [_fill_run_day(s, effective[s.name], run_day) for s in specs]
        for s in specs:
            effective[s.name].update(s.filled)

        def base(s: ReportSpec) -> dict[str, Any]:
            return {"name": s.name, "notebook": rel_path(s.notebook),
                    "parameters": dict(s.parameters), "effective_parameters": effective[s.name]}

        header = {
            "run_id": run_id, "command": list(command) if command is not None else None,
            "started": now(), "finished": None, "state": "running",
            "p2c_analysis_version": __version__, "versions": environment_versions(),
            "git_commit": git_commit(), "git_changes": git_changes(),
            "kernels": "cold" if cold else "warm",
            "scheduler": scheduler, "run_day": run_day,
        }

        def start_manifest(m: dict[str, Any]) -> None:
            if resume:  # the run keeps how, when and with what it was made; each resume is listed
                # with its own (the reports it renders record theirs)
                m.setdefault("resumed", []).append({
                    "at": header["started"], **{k: header[k] for k in RESUME_FIELDS}})
                m.update(finished=None, state="running")
            else:
                m.update(header)
            for s in specs:  # a report rendered again starts afresh (no note, error... of before)
                M.merge_entry(m, {**base(s), "status": "pending", "folder": None}, replace=True)

        try:
            manifest = M.update(run_dir, start_manifest)
        except M.ManifestError as err:
            if session is not None:
                session.close()
            if not resume:
                shutil.rmtree(run_dir, ignore_errors=True)
            raise RunStorageError(err.errno, str(err)) from None
        frontpage.write_index(run_dir, manifest)
        if not specs:
            _stop_unused(session, template)
            return _finish(out, run_dir, names, manifest, skipped)

        executor = _executor(run_dir, specs, session, cold=cold, workers=workers,
                             cell_timeout=cell_timeout, effective=effective, base=base)
        storage: list[str] = []
        try:  # from here on, a stop leaves the run interrupted, findable and resumable
            executor.start(template)
            _record_workers(run_dir, executor.workers, resumed=resumed is not None)
            with tqdm(total=len(specs), unit="report", file=sys.stderr, disable=not progress,
                      desc=f"rendering {run_id}") as bar:
                with executor.watching(bar):
                    _run_all(executor, specs, run_dir, bar, storage)
        except BaseException as err:
            executor.stop()
            _close_quietly(executor)
            _end_interrupted(out, run_dir, err)
            raise
        executor.close()
        if storage:
            _end_interrupted(out, run_dir)
            raise RunStorageError(28, f"cannot write {storage[0]}")
        return _finish(out, run_dir, names, M.read(run_dir), skipped)

    finally:
        for fd in held:
            os.close(fd)


def _executor(run_dir: Path, specs: Sequence[ReportSpec], session: Any, *, cold: bool,
              workers: int | None, cell_timeout: float | None,
              effective: dict[str, dict[str, Any]],
              base: Callable[[ReportSpec], dict[str, Any]]) -> Any:
    """The workers that will render ``specs``, not started yet: a Dask cluster's when
    ``session`` is given, else a pool of local processes."""
    if session is not None:
        return _ClusterWorkers(run_dir, session, not cold, cell_timeout, base)
    n = max(1, min(workers or available_cpus(), len(specs)))
    return _LocalWorkers(run_dir, n, not cold, cell_timeout, effective,
                         sorted({s.notebook for s in specs}))


def _record_workers(run_dir: Path, n_workers: int, resumed: bool) -> None:
    """Record how many workers render the run (a resume's under its own ``resumed`` item)."""

    def set_workers(m: dict[str, Any]) -> None:
        (m["resumed"][-1] if resumed and m.get("resumed") else m)["workers"] = n_workers

    M.update(run_dir, set_workers)


def _stop_unused(session: Any, template: kernels.Template | None) -> None:
    """Close the cluster session and kill the kernel template of a run that renders nothing."""
    if session is not None:
        session.close()
    if template is not None:
        template.kill()
#: A run folder's lock file, held (``flock``) by the process rendering into it.
RUN_LOCK = ".lock"


def _lock_run(run_dir: Path) -> int:
    """Take the run's lock (an exclusive ``flock`` on ``run_dir/.lock``, released when the
    process ends, however it ends) and return its descriptor; refuse (:class:`UsageError`)
    when another process holds it: a second ``--resume`` of a run still rendering deleted the
    first one's work in progress and rendered it again."""
    import fcntl

    fd = os.open(run_dir / RUN_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise UsageError(f"--resume: run {run_dir.name} is still running in another p2c; "
                         "wait for it to end (or stop it) and resume it then") from None
    return fd


def _run_all(executor: Any, specs: Sequence[ReportSpec], run_dir: Path, bar: Any,
             storage: list[str]) -> None:
    """Submit every report; replace a broken pool; stop at the first storage error. A
    cluster's reports are sent a few at a time (:func:`_run_on_cluster`)."""
    if getattr(executor, "remote", False):
        _run_on_cluster(executor, specs, run_dir, bar, storage)
        return
    todo = list(specs)
    restarts = 0
    front = time.monotonic()  # when the front page was last written (at the run's start)
    while todo:
        last = len(todo) - executor.workers  # from here on, each worker's last report
        futures = {executor.submit(s, ahead=i < last): s for i, s in enumerate(todo)}
        todo = []
        broken: list[ReportSpec] = []
        for fut in as_completed(futures):
            spec = futures.pop(fut)  # a result taken is not held to the end of the batch
            try:
                entry = executor.result(spec, fut)
            except BrokenProcessPool:
                broken.append(spec)
                continue
            except Exception as err:  # noqa: BLE001 - e.g. a result that could not be sent back
                entry = {"name": spec.name, "status": "failed", "finished": now(),
                         "error": f"{type(err).__name__}: {first_line(err) or repr(err)}"}
                _fail_lost(run_dir, spec.name, entry["error"])
            front = _after_report(run_dir, entry, bar, storage, front)
            if storage:
                executor.stop()
                return
        if broken:
            executor.recover()
            restarts += 1
            todo = _after_broken_pool(run_dir, broken, bar, give_up=restarts > MAX_POOL_RESTARTS)


def _run_on_cluster(executor: Any, specs: Sequence[ReportSpec], run_dir: Path, bar: Any,
                    storage: list[str]) -> None:
    """Render ``specs`` on a Dask cluster, sending each report to a free worker when there is
    one, and the next as soon as one comes back (:func:`_send_more`): given them all at once,
    Dask would place every one on a worker at once (below two tasks a thread it holds none
    back), and by the run's shared files rather than by who is free, so a report could wait
    behind a slow one on a busy worker (and die with it) while another worker idled. Each
    report's outcome is recorded as it comes back; stops at the first storage error."""
    todo = list(reversed(specs))  # popped from the end: in the given order
    sent: dict[Future, tuple[ReportSpec, str | None]] = {}
    front = time.monotonic()  # when the front page was last written (at the run's start)
    while todo or sent:
        _send_more(executor, todo, sent)
        # now and then, also when none came back: workers may have joined (or come back)
        done, _ = wait(sent, timeout=CLUSTER_LOOK_EVERY, return_when=FIRST_COMPLETED)
        for fut in done:
            spec, _worker = sent.pop(fut)
            _send_more(executor, todo, sent)  # the next goes before this one's files are written
            front = _after_report(run_dir, _cluster_entry(executor, run_dir, spec, fut), bar,
                                  storage, front)
            if storage:
                executor.stop()
                return


def _send_more(executor: Any, todo: list[ReportSpec],
               sent: dict[Future, tuple[ReportSpec, str | None]]) -> None:
    """Send reports from ``todo`` (taken from its end), one to each free worker thread; when
    none is free and none of the run's reports is on the cluster, one to no worker in
    particular (it waits for one, as Dask does: e.g. while no worker is connected), which then
    takes a free thread until it comes back (it may be on no worker yet)."""
    ours = Counter(w for _spec, w in sent.values() if w is not None)
    anywhere = sum(w is None for _spec, w in sent.values())  # maybe not yet on a worker
    free = executor.free_workers(ours)[anywhere:] if todo else []
    if todo and not free and not sent:
        free = [None]
    for worker in free:
        if not todo:
            break
        spec = todo.pop()
        sent[executor.submit(spec, worker=worker)] = (spec, worker)
    executor.hold_back(len(todo))


def _cluster_entry(executor: Any, run_dir: Path, spec: ReportSpec, fut: Future
                   ) -> dict[str, Any]:
    """The manifest entry of a report back from the cluster (written by ``executor.result``),
    or of one whose result could not be taken (recorded here as failed)."""
    try:
        return executor.result(spec, fut)
    except Exception as err:  # noqa: BLE001 - e.g. a result that could not be received
        error = f"{type(err).__name__}: {first_line(err) or repr(err)}"
        _fail_lost(run_dir, spec.name, error)
        return {"name": spec.name, "status": "failed", "finished": now(), "error": error}


def _after_report(run_dir: Path, entry: dict[str, Any], bar: Any, storage: list[str],
                  front: float) -> float:
    """Say a failure, count the report, and rewrite the front page if it is older than
    :data:`FRONT_PAGE_EVERY` seconds (``front``: when it was last written, monotonic).
    Returns when the front page was last written."""
    if entry.get("storage_error"):  # the run stops and says so in its one last line
        storage.append(str(entry["storage_error"]))
    elif entry.get("status") != "ok":
        bar.write(f"FAILED {entry.get('name')}: {first_line(entry.get('error'))}",
                  file=sys.stderr)
    bar.update(1)
    if time.monotonic() - front < FRONT_PAGE_EVERY:
        return front
    with contextlib.suppress(OSError):
        frontpage.write_index(run_dir)
    return time.monotonic()


def _after_broken_pool(run_dir: Path, broken: list[ReportSpec], bar: Any, give_up: bool
                       ) -> list[ReportSpec]:
    """A worker process died: the report it was running (still ``running`` in the manifest)
    fails; the others (``pending``, or ``interrupted`` by the pool's shutdown) are redone."""
    by_name = {r.get("name"): r for r in M.read(run_dir).get("reports") or []}
    redo: list[ReportSpec] = []
    for spec in broken:
        e = by_name.get(spec.name) or {}
        if e.get("status") in M.FINAL:
            bar.update(1)
            continue
        if e.get("status") == "running" or give_up:
            _fail_lost(run_dir, spec.name, "worker process died while rendering this report"
                       if not give_up else "worker processes kept dying; not rendered")
            bar.write(f"FAILED {spec.name}: worker process died", file=sys.stderr)
            bar.update(1)
        else:  # rendered again from scratch
            shutil.rmtree(run_dir / f"{spec.name}.partial", ignore_errors=True)
            redo.append(spec)
    return redo


def _fail_lost(run_dir: Path, name: str, error: str) -> None:
    """Record a report whose worker died; its ``.partial`` folder becomes ``.FAILED``."""
    partial, failed = run_dir / f"{name}.partial", run_dir / f"{name}.FAILED"
    entry = {"name": name, "status": "failed", "error": error, "finished": now(),
             "folder": None, "html": None}
    if partial.is_dir() and not failed.exists():
        M.publish(run_dir, partial, failed, {**entry, "folder": failed.name})
    else:
        M.set_entry(run_dir, entry)


def _end_interrupted(out: Path, run_dir: Path, err: BaseException | None = None) -> None:
    """A run stopped before its end (Ctrl-C, SIGTERM, a full disk, an error): its unfinished
    reports and itself are marked ``interrupted`` (:func:`_mark_unfinished`) and ``out/latest``
    points to it, as at the end of a run (:func:`_point_latest`): its front page says it is
    incomplete and how to finish it, and ``--resume latest`` is this run. A Ctrl-C or SIGTERM
    (``err``) carries the run folder (:func:`stopped_run`) for the command's last line."""
    _mark_unfinished(run_dir, "interrupted")
    with contextlib.suppress(OSError):  # best effort, as the rest of a stop
        note = _point_latest(out, run_dir)
        if note:
            print(note, file=sys.stderr)
    if isinstance(err, KeyboardInterrupt):
        with contextlib.suppress(AttributeError):
            err.p2c_run_dir = run_dir  # type: ignore[attr-defined]


def stopped_run(err: BaseException) -> Path | None:
    """The run folder a Ctrl-C or SIGTERM interrupted (see :func:`_end_interrupted`), if any."""
    run_dir = getattr(err, "p2c_run_dir", None)
    return run_dir if isinstance(run_dir, Path) else None


def _mark_unfinished(run_dir: Path, status: str) -> None:
    """Best effort after an interruption: entries that are not final become ``status``, the
    manifest agrees with the folders, the front page says so, connection files go."""

    def mark(m: dict[str, Any]) -> None:
        for e in m.get("reports") or []:
            if e.get("status") not in M.FINAL:
                e["status"] = status
        m["state"] = status
        m["finished"] = now()

    with contextlib.suppress(OSError):
        M.update(run_dir, mark)
        M.reconcile(run_dir)
    with contextlib.suppress(OSError):
        frontpage.write_index(run_dir)
    shutil.rmtree(run_dir / ".kernels", ignore_errors=True)


def _close_quietly(executor: Any) -> None:
    with contextlib.suppress(Exception):
        executor.close()


def _new_run_dir(out: Path) -> Path:
    run_dir = out / new_run_id()
    try:
        run_dir.mkdir()
        (run_dir / "logs").mkdir()
    except OSError as err:
        raise RunStorageError(err.errno, f"cannot write {M.describe_os_error(err)}") from None
    return run_dir


def _fill_run_day(spec: ReportSpec, effective: dict[str, Any], day: str) -> ReportSpec:
    """``spec`` with :data:`TODAY_PARAMETERS` left to an empty default set to ``day``
    (``YYYY-MM-DD``, UTC) in ``filled``: every report of a run, and of a resumed run however
    much later, is judged at the same date (a kernel would take its own today)."""
    filled = {name: day for name in TODAY_PARAMETERS
              if name in effective and name not in spec.parameters
              and (effective[name] is None or str(effective[name]).strip() == "")}
    return ReportSpec(spec.name, spec.notebook, spec.parameters, {**spec.filled, **filled}) \
        if filled else spec


def _run_day(run_dir: Path) -> str:
    """The day a run started (``YYYY-MM-DD``, UTC): its manifest's ``run_day``, else the date
    of its ``started`` time (runs made before ``run_day`` was recorded), else today."""
    m = M.read(run_dir)
    for value in (m.get("run_day"), str(m.get("started") or "")[:10]):
        with contextlib.suppress(TypeError, ValueError):
            return dt.date.fromisoformat(str(value)).isoformat()
    return utc_today().isoformat()


def _check_resumable(run_dir: Path, specs: Sequence[ReportSpec]) -> None:
    """Refuse (:class:`UsageError`, one line, before anything is written) to resume
    ``run_dir`` with ``specs`` when

    - an entry of the run folder, or of its ``logs/`` or ``.kernels/``, is a symbolic link:
      the run would write (logs, connection files, report folders) through it, outside
      ``--out`` (a new run makes these itself);
    - a planned report is not among the run's reports as its manifest lists them (a run lists
      every report it was planned with from its start, ``pending`` until rendered): another
      notebook, other values, or the same ``--over`` in another order (other folder names)
      would add reports of another plan to the run;
    - a planned report has other parameters, or another notebook (one of the same file name
      elsewhere), than the run's report of that name.

    Resuming with some of the run's reports only is allowed."""
    for folder in (run_dir, run_dir / "logs", run_dir / ".kernels"):
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            links = sorted(e.name for e in os.scandir(folder) if e.is_symlink())
        except OSError as err:
            raise UsageError(f"--resume: cannot read {M.describe_os_error(err)}") from None
        if links:
            where = links[0] if folder == run_dir else f"{folder.name}/{links[0]}"
            raise UsageError(f"--resume: {where} in run {run_dir.name} is a symbolic link; a "
                             "resumed run writes only inside its own folder (remove the link "
                             "or start a new run without --resume)")
    listed = {r.get("name"): r for r in M.read(run_dir).get("reports") or []}
    for s in specs:
        e = listed.get(s.name)
        if e is None:
            raise UsageError(f"--resume: report {s.name} is not in run {run_dir.name} (a run is "
                             "resumed only with the reports it was started with); start a new "
                             "run without --resume")
        differ = _other_parameters(e, s, run_dir)
        if differ:
            raise UsageError(f"--resume: report {s.name} in run {run_dir.name} has other "
                             f"parameters ({differ}); render into a new run instead")
        if e.get("notebook") is not None and not _same_file(e["notebook"], s.notebook):
            raise UsageError(f"--resume: report {s.name} in run {run_dir.name} was planned "
                             f"with the notebook {e.get('notebook')}, not {rel_path(s.notebook)}; "
                             "render into a new run instead")


def _other_parameters(entry: Mapping[str, Any], spec: ReportSpec, run_dir: Path) -> str:
    """How the parameters ``spec`` would run with differ from those its run's report ran or
    was planned with (``entry``, its manifest entry): ``"year 2024 in the run, 2023 now"``,
    ``""`` when they do not. The values a report runs with are compared (a default given
    explicitly, ``-p year 2024``, is the same report) but for an ``as_of`` left empty on both
    sides (the run's day, :func:`_fill_run_day`, which a resumed report takes); a manifest
    without them (older runs) compares the parameters given."""
    def plain(values: Mapping[str, Any]) -> dict[str, Any]:  # as the manifest keeps them
        return json.loads(json.dumps(dict(values), default=str))

    before = entry.get("effective_parameters")
    if isinstance(before, dict):
        now = effective_parameters(spec.notebook, spec.parameters)
        given = entry.get("parameters") or {}
        for name in _fill_run_day(spec, now, _run_day(run_dir)).filled:
            if name not in given:  # the run's day then and now
                before = {k: v for k, v in before.items() if k != name}
                now.pop(name, None)
    else:
        before, now = entry.get("parameters") or {}, dict(spec.parameters)
    before, now = plain(before), plain(now)
    names = sorted(n for n in {*before, *now} if before.get(n) != now.get(n))
    return "; ".join(f"{n} {before.get(n, 'not given')!r} in the run, {now.get(n, 'not given')!r} "
                     "now" for n in names)


def _same_file(recorded: object, path: Path) -> bool:
    """Whether a manifest's ``notebook`` (relative to the project, or absolute) is ``path``."""
    given = Path(str(recorded))
    given = given if given.is_absolute() else paths.ROOT / given
    try:
        return given.resolve() == Path(path).resolve()
    except OSError:
        return False


def _all_rendered(run_dir: Path, specs: Sequence[ReportSpec]) -> bool:
    """Whether every report of ``specs`` is rendered in ``run_dir`` already (``ok`` in its
    manifest, its folder there): a resume then has nothing to do. Reads only."""
    entries = {r.get("name"): r for r in M.read(run_dir).get("reports") or []}
    return all((entries.get(s.name) or {}).get("status") == "ok" and (run_dir / s.name).is_dir()
               for s in specs)


def _nothing_to_do(run_dir: Path, names: Sequence[str]) -> RunResult:
    """The result of a resume whose reports are all rendered already: the run as it is."""
    entries = M.read(run_dir).get("reports") or []
    by_name = {r.get("name"): r for r in entries}
    return RunResult(run_dir.name, run_dir, [by_name[n] for n in names], list(names),
                     nothing_to_do=True, unfinished=_unfinished(entries))


def _unfinished(entries: Any) -> list[str]:
    """Names of the report entries that are not final (not rendered, not failed)."""
    return [str(r.get("name")) for r in entries or [] if r.get("status") not in M.FINAL]


def _settle_stopped(run_dir: Path) -> None:
    """For ``--resume``, holding the run's lock: a report still ``running`` was left so by a
    process that is gone (killed outright with its workers): it is ``interrupted``, and every
    entry names the folder it has on disk (an interrupted report its ``.partial`` one)."""

    def settle(m: dict[str, Any]) -> None:
        for e in m.get("reports") or []:
            if e.get("status") == "running":
                e["status"] = "interrupted"

    M.update(run_dir, settle)
    M.reconcile(run_dir)


def _still_to_do(run_dir: Path, specs: Sequence[ReportSpec]
                 ) -> tuple[list[ReportSpec], list[str]]:
    """For ``--resume``: the planned reports not yet rendered in ``run_dir`` (their stale
    ``.FAILED``/``.partial`` folders are removed); the names already done. The plan was
    checked against the run by :func:`_check_resumable`; the run's entries are first made to
    agree with its folders (:func:`_settle_stopped`)."""
    _settle_stopped(run_dir)
    done = {r.get("name"): r for r in M.read(run_dir).get("reports") or []}
    todo, skipped = [], []
    for s in specs:
        e = done.get(s.name)
        if e is not None and e.get("status") == "ok" and (run_dir / s.name).is_dir():
            skipped.append(s.name)
            continue
        for stale in (run_dir / f"{s.name}.FAILED", run_dir / f"{s.name}.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        todo.append(s)
    return todo, skipped


def _finish(out: Path, run_dir: Path, names: Sequence[str], manifest: dict[str, Any],
            skipped: list[str]) -> RunResult:
    def close(m: dict[str, Any]) -> None:
        m["finished"] = now()
        # a resume of some reports only leaves the others as they were: still unfinished
        open_ = any(r.get("status") in ("interrupted", "pending", "running")
                    for r in m.get("reports") or [])
        m["state"] = "interrupted" if open_ else "finished"
        m["data_files"], changed = _merged_data_files(m.get("reports") or [])
        if changed:  # the front page says so; each report's data_files.json has its own
            m["data_files_changed"] = changed
        else:
            m.pop("data_files_changed", None)

    manifest = M.update(run_dir, close)
    M.reconcile(run_dir)
    manifest = M.read(run_dir)
    frontpage.write_index(run_dir, manifest)
    shutil.rmtree(run_dir / ".kernels", ignore_errors=True)
    by_name = {r.get("name"): r for r in manifest.get("reports") or []}
    note = _point_latest(out, run_dir)
    return RunResult(run_dir.name, run_dir, [by_name[n] for n in names if n in by_name],
                     skipped, unfinished=_unfinished(manifest.get("reports")), latest_note=note)


def _point_latest(out: Path, run_dir: Path) -> str | None:
    """At the end of the run ``run_dir`` (finished, failed or interrupted): point ``out/latest``
    to the newest run (:func:`newest_run`; this one, unless a newer one was started meanwhile),
    so that it is the run ``--resume latest`` resumes. A run whose every report failed is
    ``latest`` too: it is the run its user resumes next, and its front page says that nothing
    was rendered. Returns the line to say when the pointer could not be moved."""
    newest = newest_run(out)
    target = newest.name if newest is not None and newest.name > run_dir.name else run_dir.name
    return move_latest(out, target)


def _merged_data_files(entries: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Union of the reports' ``data_files`` (``{path: sha256}``; a file read in two versions,
    the later report's), and the files the reports read in more than one version (edited
    while the run went on, or between a run and its ``--resume``): ``{path: [sha256, ...]}``
    sorted, empty when every report read the same bytes."""
    merged: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for e in entries:
        files = e.get("data_files")
        if isinstance(files, dict):
            for k, v in files.items():
                merged[str(k)] = str(v)
                seen.setdefault(str(k), set()).add(str(v))
    changed = {k: sorted(v) for k, v in sorted(seen.items()) if len(v) > 1}
    return dict(sorted(merged.items())), changed
