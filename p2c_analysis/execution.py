"""Executing one report: papermill in its own kernel, then the HTML page, in a worker process.

A report is rendered in ``<run>/<name>.partial/`` and renamed to ``<name>/`` only when it
succeeded, or to ``<name>.FAILED/`` (keeping the executed notebook with papermill's error
banner), so a folder without a suffix is always a complete report. Kernel chatter goes to
``<run>/logs/<name>.log``, never to the user's terminal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from p2c_analysis import paths
from p2c_analysis.htmlexport import export_html
from p2c_analysis.planning import ReportSpec, UsageError

#: Environment of every kernel: no GUI, no start-up chatter. Matplotlib draws with Agg through
#: the inline backend (plain ``Agg`` would drop every figure from the report: nothing displays
#: them); setting it explicitly overrides a GUI backend a user's shell may export.
KERNEL_ENV: dict[str, str] = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}

_KERNEL_NAME = "python3"


_IN_WORKER = False


def worker_init() -> None:
    """Initialiser of the pool's worker processes."""
    global _IN_WORKER
    _IN_WORKER = True


def stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Stop the pool at once: queued reports are dropped, running ones get SIGINT (their
    kernels are shut down, their folders stay ``.partial``), stragglers are terminated."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive() and proc.pid:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


@functools.cache
def kernel_manager_class() -> type:
    """The kernel manager for report kernels: ``python3`` is always the ipykernel of this
    interpreter (not whatever kernelspec a user folder holds), and the ZeroMQ channels use
    CurveZMQ encryption when available, which is also what stops ipykernel 7's start-up
    warning "Kernel is running over TCP without encryption"."""
    import zmq
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if zmq.has("curve"):
                kwargs.setdefault("transport_encryption", "auto")
            super().__init__(**kwargs)

        @property
        def kernel_spec(self) -> KernelSpec | None:
            if self.kernel_name == _KERNEL_NAME:
                if getattr(self, "_p2c_spec", None) is None:
                    self._p2c_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
                return self._p2c_spec
            return super().kernel_spec

    return ReportKernelManager


@contextlib.contextmanager
def _fds_to(log_path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (file descriptors 1 and 2, inherited by the kernel)
    to ``log_path`` while the block runs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "ab") as log:
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


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def first_line(text: Any) -> str:
    lines = [ln for ln in str(text).splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def execute_report(
    spec: ReportSpec, run_dir: str | Path, cell_timeout: float | None = None
) -> dict[str, Any]:
    """Render one report into ``run_dir`` (papermill, then HTML); return its manifest entry.
    ``cell_timeout``: seconds a cell may run before the report fails (``None`` = no limit).

    Never raises for a failing notebook: the entry has ``status`` ``"failed"``, the failing
    cell and the error. Runs in a worker process; kernel output goes to ``run_dir/logs``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(run_dir)
    partial = inside(run_dir, f"{spec.name}.partial")
    final = inside(run_dir, spec.name)
    failed_dir = inside(run_dir, f"{spec.name}.FAILED")
    partial.mkdir(parents=True, exist_ok=False)
    out_nb = partial / f"{spec.notebook.stem}.ipynb"
    parameters = {**spec.parameters, "output_dir": str(partial)}
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
    }
    os.environ.update(KERNEL_ENV)
    seconds: dict[str, float] = {}
    entry["seconds"] = seconds
    t0 = time.perf_counter()
    try:
        with _fds_to(run_dir / "logs" / f"{spec.name}.log"):
            papermill.execute_notebook(
                str(spec.notebook),
                str(out_nb),
                parameters=parameters,
                kernel_name=_KERNEL_NAME,
                kernel_manager_class=kernel_manager_class(),
                progress_bar=False,
                log_output=False,
                execution_timeout=cell_timeout,
                cwd=str(partial),
            )
            seconds["notebook"] = round(time.perf_counter() - t0, 3)
            t1 = time.perf_counter()
            html = export_html(out_nb, partial / f"{spec.notebook.stem}.html")
            seconds["html"] = round(time.perf_counter() - t1, 3)
        entry["status"] = "ok"
    except PapermillExecutionError as err:
        entry["status"] = "failed"
        entry["failed_cell"] = {
            "index": err.cell_index,
            "execution_count": err.exec_count,
            "source_first_line": first_line(err.source),
        }
        entry["error"] = f"{err.ename}: {_ANSI.sub('', str(err.evalue))}".strip()
    except KeyboardInterrupt:
        # Interrupted: leave <name>.partial/ as it is (never a complete-looking folder). A pool
        # worker exits at once rather than go on to the next queued report.
        if _IN_WORKER:
            os._exit(130)
        raise
    except Exception as err:  # kernel died, could not start, HTML export failed...
        entry["status"] = "failed"
        entry["error"] = f"{type(err).__name__}: {first_line(err) or repr(err)}"
        with contextlib.suppress(OSError):
            with open(run_dir / "logs" / f"{spec.name}.log", "a") as log:
                log.write(traceback.format_exc())
    seconds.setdefault("notebook", round(time.perf_counter() - t0, 3))
    entry["finished"] = now()
    entry.update(_read_data_files(partial, entry["status"]))
    target = final if entry["status"] == "ok" else failed_dir
    partial.rename(target)
    entry["folder"] = target.name
    if entry["status"] == "ok":
        entry["html"] = f"{target.name}/{html.name}"
    return entry


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
