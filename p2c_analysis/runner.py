"""A run: rendering planned reports in parallel worker processes into one run folder.

Planning (which reports, checked parameters) is :mod:`p2c_analysis.planning`; executing one
report in its kernel is :mod:`p2c_analysis.execution`; its HTML page is
:mod:`p2c_analysis.htmlexport`. This module holds the run: its folder, ``manifest.json``, the
worker pool and ``latest``.

One run writes ``<out>/<run-id>/`` (run-id = UTC timestamp + random suffix, sortable) with one
folder per report, ``<notebook>[-<value>]/``, holding the executed notebook, its HTML (code
hidden, opens offline) and the tables the notebook wrote; plus ``manifest.json`` (parameters,
versions, git commit, SHA-256 of the data files each report read, status and timings) and
``logs/`` (kernel chatter, kept out of the terminal). ``<out>/latest`` points to the newest run.

A report is rendered in ``<name>.partial/`` and renamed to ``<name>/`` only when it succeeded, or
to ``<name>.FAILED/`` (keeping the executed notebook with papermill's error banner), so a folder
without a suffix is always a complete report. Nothing is written outside ``<out>``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from p2c_analysis import paths
from p2c_analysis.execution import (
    execute_report,
    first_line,
    inside,
    kernel_manager_class,
    now,
    rel_path,
    stop_workers,
    worker_init,
)
from p2c_analysis.htmlexport import html_exporter
from p2c_analysis.planning import ReportSpec, UsageError, effective_parameters


# --- a run -------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """A finished run: its id and folder, the manifest entries of its reports."""

    run_id: str
    run_dir: Path
    reports: list[dict[str, Any]]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["status"] != "ok"]

    @property
    def manifest(self) -> Path:
        return self.run_dir / "manifest.json"


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


def environment_versions() -> dict[str, str]:
    """Versions of Python and the packages a report's numbers depend on."""
    out = {"python": platform.python_version()}
    for dist in ("p2c-analysis", "pandas", "numpy", "matplotlib", "papermill", "nbconvert",
                 "nbclient", "ipykernel"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def point_latest(out: Path, run_id: str) -> Path:
    """Make ``out/latest`` a symlink to the run folder (atomically); where symlinks fail,
    write the run id to ``out/LATEST`` instead. Returns the path written."""
    link = out / "latest"
    tmp = out / f".latest-{run_id}"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, link)
        return link
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        (out / "LATEST").write_text(run_id + "\n", encoding="utf-8")
        return out / "LATEST"


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork is fastest (workers inherit papermill/nbconvert imports) and safe while the parent
    # runs a single thread; otherwise the platform's default start method.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _warm_up() -> None:
    """Import and build in this process what every worker needs (papermill, the kernel
    manager, the compiled HTML template), so forked workers start warm."""
    import nbformat
    import papermill  # noqa: F401
    import papermill.engines  # noqa: F401

    kernel_manager_class()
    html_exporter().from_notebook_node(nbformat.v4.new_notebook())


def render(
    specs: Sequence[ReportSpec],
    out: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    command: Sequence[str] | None = None,
    cell_timeout: float | None = None,
) -> RunResult:
    """Render ``specs`` into a new run folder under ``out`` (default ``reports/``), at most
    ``workers`` at a time (default ``os.cpu_count()``), each in its own process;
    ``cell_timeout`` seconds per cell (``None`` = no limit).

    A failing report does not stop the others. ``manifest.json`` is rewritten after every
    report; ``out/latest`` is pointed to the run at the end. Parameters must already be
    validated (see :func:`plan_render`, :func:`plan_batch`).
    """
    from tqdm import tqdm

    from p2c_analysis import __version__

    if not specs:
        raise UsageError("nothing to render")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise UsageError("two reports would share a folder name")
    out = Path(out if out is not None else paths.REPORTS).expanduser().resolve()
    for s in specs:
        inside(out, s.name)  # refuses names that would leave the output folder
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot create the folder ({err.strerror})") from err
    run_id = new_run_id()
    run_dir = out / run_id
    run_dir.mkdir()
    workers = max(1, min(workers or os.cpu_count() or 1, len(specs)))

    effective = {s.name: effective_parameters(s.notebook, s.parameters) for s in specs}
    entries: dict[str, dict[str, Any]] = {
        s.name: {"name": s.name, "notebook": rel_path(s.notebook), "parameters": dict(s.parameters),
                 "effective_parameters": effective[s.name], "status": "pending"} for s in specs
    }
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "command": list(command) if command is not None else None,
        "started": now(),
        "finished": None,
        "p2c_analysis_version": __version__,
        "versions": environment_versions(),
        "git_commit": git_commit(),
        "workers": workers,
        "reports": list(entries.values()),
    }

    def save() -> None:
        manifest["reports"] = [entries[n] for n in names]
        ok = sum(e["status"] == "ok" for e in entries.values())
        manifest["summary"] = {"reports": len(names), "ok": ok,
                               "failed": sum(e["status"] == "failed" for e in entries.values())}
        _write_json(run_dir / "manifest.json", manifest)

    save()
    _warm_up()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=worker_init)
    try:
        futures = {pool.submit(execute_report, s, run_dir, cell_timeout): s for s in specs}
        with tqdm(total=len(specs), unit="report", file=sys.stderr, disable=not progress,
                  desc=f"rendering {run_id}") as bar:
            for fut in as_completed(futures):
                spec = futures[fut]
                try:
                    entries[spec.name] = fut.result()
                    entries[spec.name]["effective_parameters"] = effective[spec.name]
                except Exception as err:  # the worker process itself died
                    entries[spec.name] = {**entries[spec.name], "status": "failed",
                                          "finished": now(),
                                          "error": f"{type(err).__name__}: "
                                                   f"{first_line(err) or repr(err)}"}
                if entries[spec.name]["status"] != "ok":
                    bar.write(f"FAILED {spec.name}: {entries[spec.name].get('error')}",
                              file=sys.stderr)
                bar.update(1)
                save()
    except BaseException:
        stop_workers(pool)
        for e in entries.values():
            if e["status"] in {"pending", "running"}:
                e["status"] = "interrupted"
        manifest["finished"] = now()
        save()
        raise
    pool.shutdown(wait=True)
    manifest["finished"] = now()
    manifest["data_files"] = _merged_data_files(entries.values())
    save()
    point_latest(out, run_id)
    return RunResult(run_id, run_dir, [entries[n] for n in names])


def _merged_data_files(entries: Any) -> dict[str, str]:
    """Union of the reports' ``data_files`` (``{path: sha256}``)."""
    merged: dict[str, str] = {}
    for e in entries:
        files = e.get("data_files")
        if isinstance(files, dict):
            merged.update({str(k): str(v) for k, v in files.items()})
    return dict(sorted(merged.items()))
