"""Batches beyond one machine: reports rendered by the workers of a Dask cluster.

``p2c batch ... --scheduler tcp://HOST:8786`` (or ``p2c render``) sends each report to a Dask
distributed cluster (``distributed.Client``, used as a ``concurrent.futures`` executor). A
worker renders the report in a scratch folder with its own warm kernel template
(:func:`p2c_analysis.execution.execute_remote`) and returns the report's files as bytes; the
runner writes them into the run folder with the same ``.partial`` → final rename, manifest entry
and failure isolation as a local worker (:func:`p2c_analysis.execution.receive_remote`), and
lets the worker drop them (:meth:`ClusterSession.forget`). Notebooks and input files travel
once per run (:meth:`ClusterSession.share`), not once per report. The runner sends a report to
a free worker only (:meth:`ClusterSession.free_workers`), and the next as one comes back: Dask,
given a small batch at once, would place it all at once where the shared files are, a report
maybe behind another while a worker idles. A
worker that dies touches only the report it was rendering: Dask renders it again on another
worker (``distributed.scheduler.allowed-failures`` times, 3 by default); past that, it fails
alone (``--resume RUN`` renders it again).

Before anything runs, :meth:`ClusterSession.check_workers` asks every worker for its
:func:`fingerprint` — p2c-analysis version, a digest of the package's code, Python version and
the SHA-256 of every file under ``data/`` — and refuses with one line naming the first worker
and the first difference. Workers must run one thread each (``dask worker --nthreads 1``): a
report changes its process's working directory and standard streams while it runs.

``distributed`` is an optional dependency (``pip install -e ".[cluster]"``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import platform
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from p2c_analysis import paths
from p2c_analysis.planning import ReportSpec, UsageError

#: Largest input file (e.g. a pledge export) sent along with a report.
MAX_ATTACHMENT = 256 * 1024 * 1024


def data_checksums() -> dict[str, str]:
    """``{path relative to data/: sha256}`` of every file under ``data/``."""
    out: dict[str, str] = {}
    for f in sorted(paths.DATA.rglob("*")):
        rel = f.relative_to(paths.DATA)
        if f.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[rel.as_posix()] = paths.sha256(f)
    return out


@functools.cache
def fingerprint() -> dict[str, Any]:
    """What must be the same on the runner and every worker for identical reports."""
    from p2c_analysis import __version__, cache

    data = data_checksums()
    digest = hashlib.sha256("\n".join(f"{k} {v}" for k, v in data.items()).encode()).hexdigest()
    return {"p2c_analysis": __version__, "code": cache.code_digest(),
            "python": ".".join(platform.python_version_tuple()[:2]),
            "data_digest": digest, "data": data}  # fmt: skip


def _worker_fingerprint() -> dict[str, Any]:  # runs on each worker (client.run)
    return fingerprint()


def difference(mine: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """The first difference between two fingerprints, in words; ``None`` when they match."""
    if not isinstance(theirs, dict):
        return "did not answer with a fingerprint"
    if theirs.get("p2c_analysis") != mine["p2c_analysis"]:
        return (f"has p2c-analysis {theirs.get('p2c_analysis')}, this machine "
                f"{mine['p2c_analysis']}")
    if theirs.get("python") != mine["python"]:
        return f"runs Python {theirs.get('python')}, this machine Python {mine['python']}"
    if theirs.get("code") != mine["code"]:
        return "runs different p2c_analysis code (same version number): update its checkout"
    if theirs.get("data_digest") != mine["data_digest"]:
        a, b = mine["data"], theirs.get("data") or {}
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                what = "is missing" if name not in b else ("is extra" if name not in a
                                                           else "differs")  # fmt: skip
                return f"has different data: data/{name} {what}"
        return "has different data files"
    return None


def lost_entry(spec: ReportSpec, err: BaseException, base: dict[str, Any]) -> dict[str, Any]:
    """Manifest entry of a report whose task did not come back (worker died, cancelled...)."""
    from p2c_analysis.execution import first_line, now

    kind = type(err).__name__
    reason = ("the worker rendering it died" if kind == "KilledWorker"
              else f"{kind}: {first_line(err) or repr(err)}")  # fmt: skip
    return {**base, "status": "failed", "finished": now(), "folder": None, "html": None,
            "error": f"{reason}; render it again with --resume"}


def _input_files(spec: ReportSpec) -> dict[str, Path]:
    """Input files a report's parameters name (absolute paths to files), sent with it."""
    out: dict[str, Path] = {}
    for name, value in spec.parameters.items():
        if isinstance(value, str) and value.startswith("/") and Path(value).is_file():
            p = Path(value)
            if p.stat().st_size > MAX_ATTACHMENT:
                raise UsageError(f"parameter {name!r}: {p} is too large to send to the cluster")
            out[name] = p
    return out


def _contents(data: bytes) -> bytes:
    """A Dask task holding an input file's bytes for a run's reports: see
    :meth:`ClusterSession.share`."""
    return data


class ClusterSession:
    """A connection to a Dask scheduler for one run."""

    def __init__(self, address: str, timeout: float = 20.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs the 'distributed' package "
                             '(pip install -e ".[cluster]")') from None
        self.address = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            why = str(err).splitlines()[0] if str(err).strip() else type(err).__name__
            raise UsageError(f"cannot reach the Dask scheduler at {address} ({why})") from None
        self.executor = self.client.get_executor(pure=False)
        #: Reports sent whose results the runner has not taken yet (:meth:`forget`). A future
        #: held here keeps its report's files in its worker's memory (Dask keeps a result while
        #: a client holds its future), so a batch must not hold them all to its end.
        self.futures: set[Future] = set()
        #: One copy on the cluster of each file the run's reports read (notebooks, input files
        #: such as a pledge export), sent once for the run, not once per report: a batch of
        #: 200 profiles of one 50 MB export would otherwise send, and hold, 10 GB.
        self.shared: dict[Path, Future] = {}
        #: Name of this run's stop event: set by :meth:`cancel`, it ends the reports running
        #: on the workers (Dask only cancels the ones still waiting).
        self.stop_event = f"p2c-stop-{uuid.uuid4().hex}"
        #: Reports of the run not sent yet: the runner sends one per worker thread at a time.
        self.held_back = 0

    @property
    def n_workers(self) -> int:
        """Workers connected now, at least 1 (the run's ``workers`` in its manifest)."""
        return max(1, self.connected_workers() or 0)

    def connected_workers(self) -> int | None:
        """How many workers the scheduler has now (``None``: it could not be asked)."""
        try:
            return len(self.client.scheduler_info().get("workers", {}))
        except Exception:  # noqa: BLE001 - the scheduler is gone: the run ends on its own
            return None

    def free_workers(self, ours: Mapping[str, int]) -> list[str] | None:
        """The workers that can start a report now, one address per free thread: a worker's
        threads less what it is processing (by the scheduler's count) or, if more, the number
        of this run's reports sent to it and not back yet (``ours``: the scheduler may not
        have them yet). ``None`` when the scheduler could not be asked."""
        try:
            info = self.client.scheduler_info().get("workers", {})
            processing = self.client.processing()
        except Exception:  # noqa: BLE001 - the scheduler is gone: the run ends on its own
            return None
        free: list[str] = []
        for address, worker in sorted(info.items()):
            threads = max(1, int(worker.get("nthreads", 1) or 1))
            busy = max(len(processing.get(address) or ()), ours.get(address, 0))
            free.extend([address] * max(0, threads - busy))
        return free

    def left(self) -> int:
        """Reports not yet done: sent and running or waiting, or not sent yet."""
        return sum(not f.done() for f in list(self.futures)) + self.held_back

    def forget(self, fut: Future) -> None:
        """The runner has taken this report's result (or its failure): let Dask drop it from
        its worker's memory as soon as nothing else holds it."""
        self.futures.discard(fut)

    def check_workers(self, wait: float = 30.0) -> None:
        """Refuse (one line) unless every worker matches this machine (see module docstring)."""
        try:
            self.client.wait_for_workers(1, timeout=wait)
        except (TimeoutError, OSError):
            self.close()
            raise UsageError(f"the Dask scheduler at {self.address} has no workers") from None
        info = self.client.scheduler_info().get("workers", {})
        many = [a for a, w in info.items() if int(w.get("nthreads", 1)) != 1]
        if many:
            self.close()
            raise UsageError(f"Dask worker {many[0]} runs {info[many[0]].get('nthreads')} "
                             "threads; start workers with --nthreads 1")
        mine = fingerprint()
        try:
            theirs = self.client.run(_worker_fingerprint)
        except Exception as err:  # noqa: BLE001 - e.g. p2c_analysis not importable there
            self.close()
            raise UsageError(f"cannot check the Dask workers at {self.address}: "
                             f"{type(err).__name__}: {str(err).splitlines()[0]}") from None
        for worker, fp in sorted(theirs.items()):
            problem = difference(mine, fp)
            if problem:
                self.close()
                raise UsageError(f"Dask worker {worker} {problem}; nothing was rendered")

    def prestart_templates(self, preloads: list[str]) -> None:
        """Start each worker's kernel template now, with these preloads (best effort)."""
        from p2c_analysis import kernels

        with contextlib.suppress(Exception):
            self.client.run(kernels.prestart, preloads)

    def submit(self, spec: ReportSpec, warm: bool, cell_timeout: float | None,
               run_dir: Path | None = None, worker: str | None = None) -> Future:
        """Send one report; ``run_dir``: the run folder here, which the report's recorded
        ``output_dir`` names (as in a local run) instead of the worker's scratch folder;
        ``worker``: the address of the (free) worker to render it. Dask would otherwise put it
        where the run's shared files are (:meth:`share`), maybe behind another report while a
        worker idles; should that worker go away, any other renders it."""
        from p2c_analysis.execution import execute_remote

        payload = {
            "name": spec.name, "notebook_name": spec.notebook.name,
            "notebook": self.share(spec.notebook), "parameters": dict(spec.parameters),
            "filled": dict(spec.filled),
            "attachments": {name: [p.name, self.share(p)]
                            for name, p in _input_files(spec).items()},
            "cell_timeout": cell_timeout, "warm": warm,
            "run_dir": str(run_dir) if run_dir is not None else None,
            "stop_event": self.stop_event,
        }
        where = {"workers": [worker], "allow_other_workers": True} if worker else {}
        fut = self.executor.submit(execute_remote, payload, **where)
        self.futures.add(fut)
        return fut

    def share(self, path: Path) -> Any:
        """The contents of the file at ``path`` on the cluster (a Dask future that a task's
        payload can hold in place of the bytes: its worker receives the bytes), read and sent
        once for the run, whatever number of reports read it.

        The bytes travel inside a task of their own (:func:`_contents`), not scattered:
        scattered data lost with a worker is lost for good, and every report waiting on it
        would fail; a task's result is computed again, from the bytes the scheduler keeps."""
        import dask

        key = path.resolve()
        if key not in self.shared:
            data = path.read_bytes()
            # one copy of a large export is what this is for: Dask's warning against large
            # graphs (10 MB) would say the opposite
            with dask.config.set({"distributed.admin.large-graph-warning-threshold":
                                  f"{2 * MAX_ATTACHMENT}B"}):
                self.shared[key] = self.client.submit(_contents, data, pure=False,
                                                      priority=1)
        return self.shared[key]

    def cancel(self) -> None:
        """Stop the run: reports waiting are cancelled, running ones end at once (their
        kernels are killed on the workers, see ``execution._watch_stop``)."""
        from distributed import Event

        with contextlib.suppress(Exception):  # the scheduler may be gone already
            Event(self.stop_event, client=self.client).set()
        for fut in list(self.futures):
            fut.cancel()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=False)
        with contextlib.suppress(Exception):
            self.client.close()


class WorkerWatch:
    """While a run waits on its cluster: says once when no worker is connected (its reports then
    wait for one, as Dask does: nothing fails) and once when workers are back, so that a run
    whose workers all went away does not just stand still (with ``--no-progress``, silently).
    A context manager: a daemon thread asks every ``every`` seconds (:meth:`check`)."""

    def __init__(self, session: Any, say: Callable[[str], None], every: float = 5.0) -> None:
        self.session, self.say, self.every = session, say, every
        self.waiting = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        left = self.session.left()
        n = self.session.connected_workers()
        if n is None or left == 0:
            return
        if n == 0 and not self.waiting:
            self.waiting = True
            self.say(f"p2c: no Dask worker is connected to {self.session.address}: the {left} "
                     f"report{'s' if left != 1 else ''} left wait for one (start workers, or "
                     "stop with Ctrl-C and render them later with --resume)")
        elif n > 0 and self.waiting:
            self.waiting = False
            self.say(f"p2c: {n} Dask worker{'s' if n != 1 else ''} connected again; the run "
                     "goes on")

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(Exception):  # a message is not worth a failed run
                self.check()

    def __enter__(self) -> WorkerWatch:
        self._thread = threading.Thread(target=self._loop, name="p2c-worker-watch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
