"""Executing one report: papermill in its own kernel, then the HTML page, in a worker process.

A report is rendered in ``<run>/<name>.partial/`` and renamed to ``<name>/`` only when it
succeeded, or to ``<name>.FAILED/`` (keeping the executed notebook with papermill's error
banner), so a folder without a suffix is always a complete report. The worker records the
report's entry in ``manifest.json`` itself, in the same locked step that renames the folder
(:func:`p2c_analysis.manifest.publish`): a folder never exists that the manifest does not
describe, even if the runner has died meanwhile. Kernel chatter goes to
``<run>/logs/<name>.log``, never to the user's terminal; kernel connection files live in
``<run>/.kernels/`` and are removed with their kernel.

Each report gets its own kernel process, warm (forked from the run's template, see
:mod:`p2c_analysis.kernels`) unless ``warm=False``. :func:`execute_remote` is the same for a
Dask worker: it renders in a scratch folder and returns the report's files as bytes, which the
runner writes into the run folder with :func:`receive_remote`.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import functools
import json
import math
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from p2c_analysis import kernels, lifecycle, paths
from p2c_analysis import manifest as M
from p2c_analysis.planning import ReportSpec, UsageError, notebook_title

KERNEL_ENV = kernels.KERNEL_ENV

#: OS errors that mean "the output folder cannot take more": they stop the whole run.
FULL_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EFBIG, errno.EDQUOT}
STORAGE_ERRNOS = FULL_ERRNOS | {errno.EACCES, errno.EPERM}

_IN_WORKER = False


def kernel_manager_class(warm: bool = False) -> type:
    """The kernel manager class for report kernels (see :mod:`p2c_analysis.kernels`)."""
    return kernels.kernel_manager_class(warm)


# --- worker processes ----------------------------------------------------------------------------
def worker_init(parent_pid: int | None = None, free_cpu: bool = False) -> None:
    """Initialiser of the pool's worker processes: die with the runner (SIGTERM, handled like
    Ctrl-C: the running report stays ``.partial`` and is marked interrupted), keep stray
    output out of the terminal, build the HTML exporter while the kernel template warms up.
    ``free_cpu``: the pool leaves a CPU idle, which spare kernels may use
    (:func:`p2c_analysis.kernels.use_free_cpu`)."""
    global _IN_WORKER
    _IN_WORKER = True
    kernels.use_free_cpu(free_cpu)
    from p2c_analysis import startup

    startup.defer_slow_imports()
    signal.signal(signal.SIGTERM, _on_sigterm)
    lifecycle.set_process_name("p2c-worker")
    if parent_pid is not None:
        lifecycle.die_with_parent(parent_pid, signal.SIGTERM)
    if not _head_started():
        threading.Thread(target=_head_start, name="p2c-head-start", daemon=True).start()


def prepare_workers() -> None:
    """In the runner, before it forks two or more worker processes: import papermill and
    build the HTML exporter once, here, so that each worker inherits them (0.4 s of CPU per
    worker otherwise, which competes with the kernel template's start-up when there are as
    many workers as CPUs). A single worker does it itself, beside the template's start-up."""
    from p2c_analysis import startup

    startup.defer_slow_imports()
    _head_start()


def _head_started() -> bool:
    """Whether :func:`_head_start` ran in this process (or in the runner it was forked from)."""
    return _head_start.cache_info().currsize > 0


@functools.cache
def _head_start() -> None:
    """Import papermill, compile nbformat's notebook schema (50 ms, on the first notebook read
    otherwise) and build the HTML exporter beside the first report (which mostly waits for the
    kernel template then), not before it. Once per process."""
    with contextlib.suppress(Exception):  # only a head start: the report builds it otherwise
        import nbformat
        import papermill  # noqa: F401

        from p2c_analysis.htmlexport import html_exporter

        nb = nbformat.v4.new_notebook()
        nbformat.validate(nb)
        html_exporter().from_notebook_node(nb)


def stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Stop the pool at once: queued reports are dropped, running ones get SIGTERM, which a
    worker handles like Ctrl-C (its kernel goes, its folder stays ``.partial``, its entry says
    ``interrupted``; SIGINT may be ignored, e.g. in a background job); stragglers are killed."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive() and proc.pid:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _fds_to(log_path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (file descriptors 1 and 2, inherited by the kernel)
    to ``log_path`` (or nowhere, if it cannot be opened) while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")  # noqa: SIM115
    except OSError:
        log = open(os.devnull, "wb")  # noqa: SIM115
    with log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


# --- small helpers -----------------------------------------------------------------------------
def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _terminal_char(ch: str) -> str:
    """One character of :func:`terminal_text`: kept if printable, a line break or a tab; a
    space for any other space (no-break...); else nothing (control and format characters:
    ``\r``, ``\x1b``, a right-to-left override that would reverse the rest of the line)."""
    if ch.isprintable() or ch in "\n\t":
        return ch
    return " " if unicodedata.category(ch) == "Zs" else ""


def terminal_text(text: Any) -> str:
    """``text`` safe to print on a terminal: colour codes, other control characters and
    invisible format characters (bidirectional overrides, zero-width spaces) out; error
    messages and notebook lines may quote untrusted pledge text."""
    s = _ANSI.sub("", str(text))
    return s if s.isprintable() else "".join(map(_terminal_char, s))


def first_line(text: Any) -> str:
    """The first non-blank line of ``text``, stripped, safe for a terminal."""
    lines = [ln for ln in terminal_text(text).splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""
_CELL_FRAME = re.compile(r"Cell In\[\d*\], line (\d+)")
_ARROW = re.compile(r"^\s*-+>\s*(\d+)\s?(.*)$")


def failing_line(source: str, tb: list[str] | None) -> dict[str, Any]:
    """Where in the cell the error was raised: ``{"line": n, "source_line": text}`` from the
    IPython traceback of the error output (the cell's own frame, ``Cell In[..], line n``);
    without one (e.g. a one-line ``ParameterError``), the cell's first line of code."""
    text = _ANSI.sub("", "\n".join(tb or []))
    lines = str(source).splitlines()
    m = _CELL_FRAME.search(text)
    if m:
        n = int(m.group(1))
        if 1 <= n <= len(lines) and lines[n - 1].strip():
            return {"line": n, "source_line": lines[n - 1].strip()}
    for ln in text.splitlines():
        a = _ARROW.match(ln)
        if a and a.group(2).strip():
            return {"line": int(a.group(1)), "source_line": a.group(2).strip()}
    for i, ln in enumerate(lines, start=1):
        if ln.strip() and not ln.strip().startswith("#"):
            return {"line": i, "source_line": ln.strip()}
    return {"line": None, "source_line": first_line(source)}


def failure_location(entry: dict[str, Any]) -> str:
    """Where a failed report stopped, in words: ``cell 4 (In [4]) line 3 `ratio = a / b```;
    ``""`` when the failure was not in a cell (kernel died, disk full...)."""
    cell = entry.get("failed_cell") or {}
    if not cell:
        return ""
    where = f"cell {cell.get('index')} (In [{cell.get('execution_count')}])"
    if cell.get("line"):
        where += f" line {cell['line']}"
    code = first_line(cell.get("source_line") or cell.get("source_first_line") or "")
    return f"{where} `{code[:80]}`" if code else where


def storage_problem(err: BaseException) -> str | None:
    """``"<path>: <reason>"`` when ``err`` means the output folder cannot be written."""
    if isinstance(err, OSError) and err.errno in STORAGE_ERRNOS:
        return M.describe_os_error(err)
    return None


def _storage_from_cell(ename: str, evalue: str) -> str | None:
    """A notebook cell that failed because the disk is full (its tables could not be written)."""
    m = re.search(r"\[Errno (\d+)\] ([^:]+)(?:: '([^']*)')?", str(evalue))
    if ename.endswith(("OSError", "IOError", "PermissionError")) and m \
            and int(m.group(1)) in FULL_ERRNOS:
        return f"{m.group(3) or 'output'}: {m.group(2)}"
    return None


def inside(root: Path, name: str) -> Path:
    """``root / name``, refusing any name that would leave ``root``."""
    root = root.resolve()
    path = (root / name).resolve()
    if path.parent != root or name in {".", ".."}:
        raise UsageError(f"report folder name {name!r} leaves the output folder")
    return path


def rel_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


# --- papermill with a hook on the notebook being executed --------------------------------------
_current = threading.local()


@contextlib.contextmanager
def _engine() -> Iterator[str]:
    """Papermill's nbclient engine, keeping hold of the notebook it executes (so a report whose
    kernel died still leaves the cells run so far in ``<name>.FAILED/``)."""
    from papermill.engines import NBClientEngine, papermill_engines

    if "p2c" not in papermill_engines._engines:

        class _Engine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kw: Any) -> Any:
                _current.nb_man = nb_man
                fix_injected_cell_id(nb_man.nb)
                # papermill writes the whole notebook (figures included) before and after
                # every cell: about 0.1 s of a 1 s report. It is written once, when papermill
                # completes it (also after a failure); a dead kernel's cells: _save_partial
                nb_man.save = _no_save
                try:
                    return super().execute_managed_notebook(nb_man, kernel_name, **kw)
                finally:
                    del nb_man.save  # papermill's own save again, for notebook_complete

        papermill_engines.register("p2c", _Engine)
    _current.nb_man = None
    try:
        yield "p2c"
    finally:
        pass


#: The id of the cell papermill injects with a report's parameters (papermill gives it a
#: random one: the same report rendered twice gave different HTML and notebooks).
INJECTED_CELL_ID = "injected-parameters"


def fix_injected_cell_id(nb: Any) -> None:
    """Give the cell(s) papermill tagged ``injected-parameters`` a fixed id
    (:data:`INJECTED_CELL_ID`, then ``-2``, ``-3``... for any further one), unless the
    notebook already uses that id for another cell (ids must be unique)."""
    taken = {getattr(c, "id", None) for c in nb.cells
             if "injected-parameters" not in c.get("metadata", {}).get("tags", [])}
    n = 0
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            n += 1
            wanted = INJECTED_CELL_ID if n == 1 else f"{INJECTED_CELL_ID}-{n}"
            if wanted not in taken and "id" in cell:
                cell.id = wanted


def _no_save(**kwargs: Any) -> None:
    """Papermill's per-cell save, skipped (see :func:`_engine`)."""


def _save_partial(out_nb: Path) -> None:
    nb_man = getattr(_current, "nb_man", None)
    if nb_man is not None and not out_nb.exists():
        import nbformat

        with contextlib.suppress(Exception):
            nbformat.write(nb_man.nb, str(out_nb))


def _cell_seconds(nb: Any) -> float:
    total = 0.0
    for cell in getattr(nb, "cells", []):
        d = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(d, int | float):
            total += float(d)
    return total


#: Whether this worker process is rendering a report now (:func:`run_in_worker`).
_RENDERING = False


def _on_sigterm(signum: int, frame: Any) -> None:
    """A worker's SIGTERM: while it renders a report, stop it like Ctrl-C
    (:func:`lifecycle.raise_terminated`: the report stays ``.partial``, marked interrupted);
    while it waits for one, end the process at once: raised there, the stop would reach
    ``multiprocessing``'s own loop, which prints its traceback into the user's terminal."""
    if not _RENDERING:
        os._exit(128 + signum)
    lifecycle.raise_terminated(signum, frame)


# --- one report --------------------------------------------------------------------------------
def run_in_worker(spec: ReportSpec, run_dir: str | Path, cell_timeout: float | None = None,
                  **kw: Any) -> dict[str, Any]:
    """:func:`execute_report` as a pool task: a stop signal (Ctrl-C, SIGTERM) that arrives
    once the report is recorded ends the worker process, never the runner's loop."""
    global _RENDERING
    _RENDERING = True
    try:
        return execute_report(spec, run_dir, cell_timeout, **kw)
    except KeyboardInterrupt:
        os._exit(130)
    finally:
        _RENDERING = False


def execute_report(
    spec: ReportSpec,
    run_dir: str | Path,
    cell_timeout: float | None = None,
    *,
    warm: bool = True,
    record: bool = True,
    effective: dict[str, Any] | None = None,
    kernel_dir: Path | None = None,
    ahead: bool = True,
) -> dict[str, Any]:
    """Render one report into ``run_dir`` (papermill, then HTML); return its manifest entry.
    ``cell_timeout``: seconds a cell may run before the report fails (``None`` = no limit);
    ``warm``: fork its kernel from the template (else a cold ``ipykernel``); ``record``: write
    the entry into ``run_dir/manifest.json`` (off for remote workers: the runner does it);
    ``kernel_dir``: where kernel connection files go (default ``run_dir/.kernels``); the next
    report's kernel is prepared ahead only in a folder that outlives the report (the run's, or
    a remote worker's own); ``ahead=False``: no report follows this one in this process (the
    runner's last ones), so no kernel is prepared for a next.

    Never raises for a failing notebook: the entry has ``status`` ``"failed"``, the failing
    cell and line, the error. Runs in a worker process; kernel output goes to ``run_dir/logs``.
    """
    run_dir = Path(run_dir)
    partial = inside(run_dir, f"{spec.name}.partial")
    final = inside(run_dir, spec.name)
    failed_dir = inside(run_dir, f"{spec.name}.FAILED")
    out_nb = partial / f"{spec.notebook.stem}.ipynb"
    entry: dict[str, Any] = {
        "name": spec.name,
        "notebook": rel_path(spec.notebook),
        "notebook_sha256": paths.sha256(spec.notebook),
        "parameters": dict(spec.parameters),
        "status": "running",
        "started": now(),
        "finished": None,
        "folder": None,
        "html": None,
        "failed_cell": None,
        "error": None,
        "worker_pid": os.getpid(),
    }
    if effective is not None:
        entry["effective_parameters"] = effective
    seconds: dict[str, float] = {}
    entry["seconds"] = seconds
    spares = record or kernel_dir is not None
    kernel_dir = run_dir / ".kernels" if kernel_dir is None else kernel_dir
    cache_log = kernel_dir / f"{spec.name}.cache.json"
    if record:
        M.set_entry(run_dir, entry)
    t0 = time.perf_counter()
    nb = None
    try:
        partial.mkdir(parents=True, exist_ok=False)
        kernel_dir.mkdir(exist_ok=True)
        log = run_dir / "logs" / f"{spec.name}.log"
        with _fds_to(log):
            nb = start_once_more(lambda: _run_notebook(
                spec, partial, out_nb, cell_timeout, warm, kernel_dir, cache_log, seconds, log,
                spares=spares, ahead=ahead))
            t1 = time.perf_counter()
            from p2c_analysis.htmlexport import export_html

            html = export_html(nb, partial / f"{spec.notebook.stem}.html", title_from=out_nb)
            seconds["html"] = round(time.perf_counter() - t1, 3)
        entry["status"] = "ok"
        entry["html"] = f"{spec.name}/{html.name}"
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (lifecycle.Terminated): leave <name>.partial
        # named by its entry: a worker whose runner was killed outright (SIGKILL) writes the
        # last word on its report, and recorded no folder beside the .partial one left on disk
        entry.update(status="interrupted", finished=now(),
                     folder=partial.name if partial.is_dir() else None)
        if record:
            with contextlib.suppress(OSError), M.critical_section():
                M.set_entry(run_dir, entry)
        _quiet_kernel_dir(cache_log)
        if _IN_WORKER:  # a pool worker exits at once rather than go on to the next report
            os._exit(130)
        raise
    except Exception as err:  # noqa: BLE001 - every failure becomes the report's entry
        _describe_failure(entry, err, run_dir, spec.name)
        _save_partial(out_nb)
    seconds.setdefault("notebook", round(time.perf_counter() - t0, 3))
    entry["kernel"] = kernels.last_launch()
    entry.update(_read_cache_log(cache_log))
    t2 = time.perf_counter()
    target = final if entry["status"] == "ok" else failed_dir
    entry.update(_read_data_files(partial, entry["status"]))
    entry["summary"] = read_summary(partial)
    entry["title"] = notebook_title(spec.notebook)
    entry["finished"] = now()
    entry["folder"] = target.name if partial.is_dir() else None
    _record_published_folder(partial, target)
    if entry["status"] != "ok":
        entry["html"] = None
    seconds["write"] = round(time.perf_counter() - t2, 3)  # the locked rename comes on top
    try:
        with M.critical_section():
            if not partial.is_dir():
                if record:
                    M.set_entry(run_dir, entry)
            elif record:
                M.publish(run_dir, partial, target, entry)
            else:
                partial.rename(target)
    except OSError as err:
        problem = M.describe_os_error(err)
        entry.update(status="failed", folder=None, html=None, error=f"cannot write {problem}",
                     storage_error=problem)
        if partial.is_dir():
            entry["folder"] = partial.name
    return entry


def _record_published_folder(partial: Path, target: Path) -> None:
    """Make the report's ``parameters.json`` name the folder it is published in (``<name>/``,
    or ``<name>.FAILED/``) as its ``output_dir``, rather than the ``.partial`` folder it ran in
    (under the runner's name for a remote worker's folder, :func:`paths.shown`). Nothing to do
    when the report wrote no ``parameters.json``."""
    f = partial / "parameters.json"
    try:
        params = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(params, dict) and "output_dir" in params:
        params["output_dir"] = str(Path(paths.shown(str(target.parent.resolve()))) / target.name)
        f.write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")


def whole_seconds(seconds: float | None) -> int | None:
    """A cell time limit as nbclient takes it (an integer trait): whole seconds, a fraction
    rounded up (``0.3`` -> 1, ``2.5`` -> 3); ``None`` = no limit."""
    return None if seconds is None else max(1, math.ceil(seconds))


def _run_notebook(spec: ReportSpec, partial: Path, out_nb: Path, cell_timeout: float | None,
                  warm: bool, kernel_dir: Path, cache_log: Path, seconds: dict[str, float],
                  log: Path, spares: bool, ahead: bool = True) -> Any:
    import papermill

    from p2c_analysis import startup

    startup.defer_slow_imports()
    os.environ.update(KERNEL_ENV)
    os.environ["P2C_CACHE_LOG"] = str(cache_log)
    kernels.use_connection_dir(kernel_dir, spares=warm and spares, ahead=ahead)
    t0 = time.perf_counter()
    try:
        with _engine() as engine_name:
            nb = papermill.execute_notebook(
                str(spec.notebook),
                str(out_nb),
                parameters={**spec.kernel_parameters(), "output_dir": str(partial)},
                engine_name=engine_name,
                request_save_on_cell_execute=False,
                kernel_name=kernels.KERNEL_NAME,
                language="python",  # a notebook without language metadata runs, as Python
                kernel_manager_class=kernels.kernel_manager_class(warm),
                progress_bar=False,
                log_output=False,
                execution_timeout=whole_seconds(cell_timeout),
                cwd=str(partial),
                shutdown_kernel="immediate",
                on_notebook_start=kernels.reset_cell_count,
                on_cell_executed=kernels.count_cell,
                on_notebook_complete=kernels.prepare_next_kernel,
            )
    finally:
        os.environ.pop("P2C_CACHE_LOG", None)
        kernels.collect_kernel_log(log)
        seconds["notebook"] = round(time.perf_counter() - t0, 3)
        nb_man = getattr(_current, "nb_man", None)
        cells = _cell_seconds(nb_man.nb if nb_man is not None else None)
        seconds["cells"] = round(cells, 3)
        seconds["kernel"] = round(max(0.0, seconds["notebook"] - cells), 3)
    return nb


#: jupyter_client's error for a kernel process that exited before its first reply.
KERNEL_DIED_AT_START = "Kernel died before replying to kernel_info"


def start_once_more(run: Callable[[], Any]) -> Any:
    """``run()`` (a report's notebook), run a second time when its kernel died before it
    replied to anything, no cell begun: a new kernel with new ports. A kernel's ports are
    chosen free before it binds them, and another process can take one in between (ZeroMQ's
    "Address already in use" in the kernel's log, seen about once in a full test run); the
    report then failed though nothing of it had run. Any other failure, or a second one, is
    raised as it is."""
    try:
        return run()
    except RuntimeError as err:
        nb_man = getattr(_current, "nb_man", None)
        if KERNEL_DIED_AT_START not in str(err) or \
                running_cell(getattr(nb_man, "nb", None)) is not None:
            raise
        print(f"p2c: {err}; starting a new kernel for this report", flush=True)
        return run()


def running_cell(nb: Any) -> dict[str, Any] | None:
    """The cell a notebook was running when it stopped (a cell timeout): the last code cell
    papermill started (``metadata.papermill.start_time``), as a ``failed_cell`` entry
    (``index, execution_count, source_first_line``; ``line`` None: a timeout does not say
    which line was running); ``None`` when no cell had started."""
    for index in range(len(getattr(nb, "cells", [])) - 1, -1, -1):
        cell = nb.cells[index]
        if cell.get("cell_type") == "code" and \
                cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            code = [ln.strip() for ln in str(cell.get("source", "")).splitlines()
                    if ln.strip() and not ln.strip().startswith("#")]
            return {"index": index, "execution_count": cell.get("execution_count"),
                    "source_first_line": code[0] if code else first_line(cell.get("source")),
                    "line": None}
    return None


def _describe_failure(entry: dict[str, Any], err: Exception, run_dir: Path, name: str) -> None:
    """Fill the entry of a failed report from the exception."""
    from papermill.exceptions import PapermillExecutionError

    entry["status"] = "failed"
    if isinstance(err, PapermillExecutionError):
        entry["failed_cell"] = {
            "index": err.cell_index,
            "execution_count": err.exec_count,
            "source_first_line": first_line(err.source),
            **failing_line(err.source, err.traceback),
        }
        entry["error"] = f"{err.ename}: {_ANSI.sub('', str(err.evalue))}".strip()
        problem = _storage_from_cell(str(err.ename), str(err.evalue))
    else:
        problem = storage_problem(err)
        if problem:
            entry["error"] = f"cannot write {problem}"
        else:  # kernel died, timed out, could not start, HTML export failed...
            entry["error"] = f"{type(err).__name__}: {first_line(err) or repr(err)}"
            if isinstance(err, TimeoutError):  # nbclient's CellTimeoutError names no cell
                running = running_cell(getattr(getattr(_current, "nb_man", None), "nb", None))
                if running is not None:
                    entry["failed_cell"] = running
    if problem:
        entry["storage_error"] = problem
    with contextlib.suppress(OSError), open(run_dir / "logs" / f"{name}.log", "a") as log:
        log.write(traceback.format_exc())


def _quiet_kernel_dir(cache_log: Path) -> None:
    with contextlib.suppress(OSError):
        cache_log.unlink()


def _read_cache_log(path: Path) -> dict[str, Any]:
    """What the kernel reported about the derived-data cache (``P2C_CACHE_LOG``)."""
    try:
        uses = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"cache": {}, "used_cache": False}
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    uses = {str(k): str(v) for k, v in uses.items()} if isinstance(uses, dict) else {}
    return {"cache": uses, "used_cache": any(v.endswith("cache") for v in uses.values())}


def _read_data_files(folder: Path, status: str) -> dict[str, Any]:
    path = folder / "data_files.json"
    if not path.is_file():
        note = (
            "report failed before writing data_files.json"
            if status != "ok"
            else "report did not write data_files.json"
        )
        return {"data_files": None, "data_files_note": note}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {"data_files": None, "data_files_note": f"data_files.json unreadable: {err}"}
    return {"data_files": data, "data_files_note": None}


# --- summary.json: the headline numbers a notebook states --------------------------------------
_LIMIT = 300


def read_summary(folder: Path) -> dict[str, Any] | None:
    """The report's ``summary.json`` (``{"title", "headline": [{"label", "value"}],
    "is_synthetic", "data_vintage", "pledge_scope"}``), checked and trimmed; ``None`` when
    absent; ``{"error": ...}`` when malformed. Values are kept as text (escaped where
    shown)."""
    path = folder / "summary.json"
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"error": "summary.json is not valid JSON"}
    if not isinstance(raw, dict):
        return {"error": "summary.json is not an object"}
    out: dict[str, Any] = {}
    if isinstance(raw.get("title"), str):
        out["title"] = raw["title"][:_LIMIT]
    items = raw.get("headline")
    if isinstance(items, list):
        out["headline"] = [
            {"label": str(i.get("label"))[:_LIMIT], "value": str(i.get("value"))[:_LIMIT]}
            for i in items[:24] if isinstance(i, dict) and "label" in i and "value" in i
        ]
    if isinstance(raw.get("is_synthetic"), bool):
        out["is_synthetic"] = raw["is_synthetic"]
    for key in ("data_vintage", "pledge_scope"):
        if isinstance(raw.get(key), str):
            out[key] = raw[key][:_LIMIT]
    return out


# --- remote (Dask) workers -----------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def worker_scratch(kind: str) -> Path:
    """A new folder ``<temp>/p2c-<kind>-<pid>-XXXX`` for this worker process. A worker that is
    killed (the OOM killer, ``kill -9``) cannot remove its folders, so the ``p2c-*`` folders
    of processes that no longer exist are removed first: a long-lived cluster does not collect
    them in its temporary folder."""
    root = Path(tempfile.gettempdir())
    for old in root.glob("p2c-*-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"p2c-{kind}-{os.getpid()}-"))


@functools.cache
def _worker_kernel_dir() -> Path:
    """This Dask worker process's folder for kernel connection files: it outlives each task,
    so the next report's kernel is prepared while the current one runs (removed at exit)."""
    folder = worker_scratch("kernels")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def execute_remote(payload: dict[str, Any]) -> dict[str, Any]:
    """A Dask task: render one report in a scratch folder on this worker and return
    ``{"entry", "files": {relative path: bytes}, "log": bytes}``. ``payload``: ``name``,
    ``notebook_name``, ``notebook`` (bytes), ``parameters``, ``attachments`` (``{parameter:
    [file name, bytes]}``: input files the report reads, e.g. ``pledges``; the runner sends
    each file once per run and Dask hands its bytes to every task that names it, see
    :meth:`p2c_analysis.cluster.ClusterSession.share`), ``cell_timeout``,
    ``warm``, ``run_dir`` (the runner's run folder, or ``None``), ``stop_event`` (name of the
    run's ``distributed.Event``: set, the report's kernel is killed, see :func:`_watch_stop`).
    The report's provenance and shown parameters name the runner's files and folder, not this
    worker's scratch copies (:data:`p2c_analysis.paths.NAMES_ENV`); its notebook's injected
    cell shows the copies."""
    from p2c_analysis import startup

    startup.defer_slow_imports()
    scratch = worker_scratch("remote")
    try:
        nb_path = scratch / "notebooks" / Path(payload["notebook_name"]).name
        nb_path.parent.mkdir(parents=True)
        nb_path.write_bytes(payload["notebook"])
        params = dict(payload["parameters"])
        names: dict[str, str] = {}  # scratch copy -> the runner's path (paths.NAMES_ENV)
        for name, (file_name, data) in (payload.get("attachments") or {}).items():
            target = scratch / "inputs" / name / Path(file_name).name
            target.parent.mkdir(parents=True)
            target.write_bytes(data)
            params[name] = str(target)
            names[str(target.resolve())] = str(payload["parameters"][name])
        run = scratch / "run"
        run.mkdir()
        if payload.get("run_dir"):
            names[str(run.resolve())] = str(payload["run_dir"])
        spec = ReportSpec(payload["name"], nb_path, params, dict(payload.get("filled") or {}))
        os.environ[paths.NAMES_ENV] = json.dumps(names)
        watch = _watch_stop(payload.get("stop_event"))
        try:
            entry = execute_report(spec, run, payload.get("cell_timeout"),
                                   warm=payload.get("warm", True), record=False,
                                   kernel_dir=_worker_kernel_dir())
        finally:
            watch.set()
            os.environ.pop(paths.NAMES_ENV, None)
        folder = run / entry["folder"] if entry.get("folder") else None
        files = {}
        if folder is not None and folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    files[f.relative_to(folder).as_posix()] = f.read_bytes()
        log = run / "logs" / f"{spec.name}.log"
        entry["worker"] = {"host": socket.gethostname(), "pid": os.getpid()}
        return {"entry": entry, "files": files,
                "log": log.read_bytes() if log.is_file() else b""}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _watch_stop(name: str | None, poll: float = 1.0) -> threading.Event:
    """On a Dask worker, while a report runs: watch the run's stop event (a
    ``distributed.Event`` the runner sets when the run stops: Ctrl-C, SIGTERM, a full disk).
    Dask cannot stop a task that runs, so when it is set the report's kernel is killed
    (:func:`kernels.kill_running`) and the report ends at once instead of running on for nobody.
    The event is asked every ``poll`` seconds (a short request: no wait is left pending on the
    scheduler, which would log an error if it closed meanwhile). Returns the
    ``threading.Event`` that ends the watch (set it when the report is done)."""
    done = threading.Event()
    if not name:
        return done
    try:
        from distributed import Event, get_client

        stop = Event(name, client=get_client())  # the worker's: found from the task's thread
    except Exception:  # noqa: BLE001 - no client here: nothing to watch
        return done

    def watch() -> None:
        while not done.wait(poll):
            try:
                if stop.is_set():
                    if not done.is_set():  # this report still runs
                        kernels.kill_running()
                    return
            except Exception:  # noqa: BLE001 - scheduler gone: the worker is stopping anyway
                return

    threading.Thread(target=watch, name="p2c-stop-watch", daemon=True).start()
    return done


def receive_remote(run_dir: Path, spec: ReportSpec, result: dict[str, Any],
                   base: dict[str, Any]) -> dict[str, Any]:
    """Write a remote report's files into ``run_dir`` (``<name>.partial/`` then the same atomic
    publish as a local worker); returns its entry. ``base`` holds the fields the runner owns
    (notebook path, parameters as given, effective parameters)."""
    entry = {**result["entry"], **base}
    partial = inside(run_dir, f"{spec.name}.partial")
    status = entry.get("status")
    target = inside(run_dir, spec.name if status == "ok" else f"{spec.name}.FAILED")
    log = run_dir / "logs" / f"{spec.name}.log"
    try:
        log.parent.mkdir(exist_ok=True)
        log.write_bytes(result.get("log") or b"")
        if result.get("files") is not None and entry.get("folder"):
            partial.mkdir()
            for rel, data in result["files"].items():
                dest = (partial / rel).resolve()
                if partial.resolve() not in dest.parents:
                    continue  # never write outside the report's folder
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
        entry["folder"] = target.name if partial.is_dir() else None
        entry["html"] = f"{spec.name}/{Path(entry['html']).name}" if status == "ok" and \
            entry.get("html") else None
        with M.critical_section():
            if partial.is_dir():
                M.publish(run_dir, partial, target, entry)
            else:
                M.set_entry(run_dir, entry)
    except OSError as err:
        problem = M.describe_os_error(err)
        entry.update(status="failed", folder=partial.name if partial.is_dir() else None,
                     html=None, error=f"cannot write {problem}", storage_error=problem)
    return entry
