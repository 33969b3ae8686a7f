"""Report kernels: every report gets its own fresh kernel process, started warm.

**Cold** (``p2c render --cold``, and the fallback): ``python -m ipykernel_launcher`` per report, as
Jupyter does; the kernel imports pandas, matplotlib and the package and loads the reference
data itself.

**Warm** (default): a *template* process (``python -c ...serve...``, one per run, or one per
Dask worker process) imports the scientific stack, the IPython kernel machinery and the package,
then loads the bundled reference data (:data:`PRELOAD`; what every report uses before the first
kernel is forked, the rest while it waits). For each report it
``fork()``\\ s a child that becomes an ordinary ipykernel (``IPKernelApp``) on the connection
file jupyter_client wrote, in the report's folder, with the environment, standard streams
and ``sys.argv``/``sys.path`` a cold kernel would have. The child starts with everything
imported and loaded, but with a fresh IPython shell: an empty namespace, execution count 1, no
state from any other report (each child is forked from the untouched template, never from a
kernel that ran a report). The template never runs notebook code.

What makes a warm kernel start fast, beyond what it inherits: the next report's kernel is
forked and initialised while the current report runs (a *spare*, :class:`_Spare`; with a CPU
to spare it also copies the memory it shares with the template, :func:`_own_memory`; without
one, only the pages an earlier report's kernel wrote, :func:`_own_pages`); the
kernel manager skips jupyter_client's 10 ms pauses and does not wait for a killed kernel to be
torn down (:func:`_without_pause`); its client tries again every few milliseconds to reach a
kernel not yet listening (:data:`RECONNECT_MS`); the kernel skips ipykernel's waits meant for
interactive frontends (:func:`_without_idle_waits`). Report kernels, warm or cold, keep no
IPython history database (:data:`KERNEL_ARGS`).

What makes a warm kernel give the same bytes as a cold one:

- the template only imports modules and calls cached, side-effect-free loaders, and draws one
  throw-away figure off pyplot with rcParams restored (:func:`warm_drawing`: font caches);
  it never touches pyplot state, never keeps the house style and never imports
  ``matplotlib_inline.backend_inline``: importing it is what hooks the inline backend into the
  kernel's shell (a notebook that draws with pyplot without ``%matplotlib inline`` relies on
  that), so it must happen in the kernel;
- provenance: loaders record the data files they read (``paths.track``); the template installs
  :func:`p2c_analysis.cache.replay_provenance` before preloading, so a cached result replays its
  files into the child's record when the report uses it, and the template's own record is
  cleared: ``data_files.json`` lists exactly the files the report used;
- NumPy's global random state is reseeded in each child (``random`` reseeds itself after fork).

Processes: the template dies with the process that started it (parent-death signal plus a
``pidfd`` watch) and kills its kernels when it goes; each kernel gets SIGKILL when the template
dies; a kernel whose requesting worker dies is killed by the template.

The jupyter_client side is :class:`ForkProvisioner`, used by the kernel manager from
:func:`kernel_manager_class`; nbclient and papermill see an ordinary kernel.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from p2c_analysis import lifecycle

#: Environment of every kernel (and of the template): no GUI, no start-up chatter. Matplotlib
#: draws with Agg through the inline backend (plain ``Agg`` would drop every figure from the
#: report: nothing displays them); setting it explicitly overrides a GUI backend a user's shell
#: may export.
KERNEL_ENV: dict[str, str] = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
KERNEL_NAME = "python3"
#: Options of every report kernel: no IPython history database (a report's cells are not a
#: user's history; kernels running side by side would also contend for its lock).
KERNEL_ARGS: tuple[str, ...] = ("--HistoryManager.enabled=False",)

#: Modules the template imports before serving (third-party first, then the package).
WARM_IMPORTS: tuple[str, ...] = (
    "numpy", "pandas", "pyarrow", "pyarrow.parquet", "matplotlib", "matplotlib.pyplot",
    "matplotlib.dates", "matplotlib.ticker", "seaborn",
    "IPython", "IPython.core.interactiveshell", "IPython.display", "IPython.core.pylabtools",
    "IPython.core.completer", "IPython.core.debugger", "IPython.core.history", "jedi", "parso",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.comm",
    "ipykernel.debugger", "jupyter_client.session", "zmq", "tornado.ioloop", "tornado.queues",
    "sqlite3", "pdb", "http.server", "xmlrpc.server", "psutil", "faulthandler", "resource",
    "IPython.core.completerlib", "IPython.core.oinspect", "IPython.extensions.storemagic",
    "IPython.utils.wildcard", "tornado.platform.asyncio", "matplotlib.backends.backend_agg",
    "IPython.core.magics.pylab", "IPython.core.magics.execution", "PIL.features",
    "PIL.Image", "PIL.BmpImagePlugin", "PIL.GifImagePlugin", "PIL.JpegImagePlugin",
    "PIL.PpmImagePlugin", "PIL.PngImagePlugin",
)  # fmt: skip

#: Loaders the template calls while it waits, most used first: ``(module:function, literal
#: arguments, token)``. Each is cached in the package; a failing one is skipped (the report then
#: loads it itself, and fails there if it must). With a token, the loader is only preloaded when
#: one of the run's notebooks mentions it (the map shapes take seconds and few reports draw maps).
PRELOAD: tuple[tuple[str, tuple[Any, ...], str | None], ...] = (
    ("p2c_analysis.countries:reference", (), None),
    ("p2c_analysis.countries:group_labels", (), None),
    ("p2c_analysis.countries:resolve", ("Kenya",), None),
    ("p2c_analysis.countries:resolve_region", ("Africa",), None),
    ("p2c_analysis.countries:members", ("LDC", 2024), None),
    ("p2c_analysis.connectivity:country_year", ("linear",), None),
    ("p2c_analysis.fx:rates", (), None),
    ("p2c_analysis.fx:currency_map", (), None),
    ("p2c_analysis.milestones:load_milestones", (), None),
    ("p2c_analysis.connectivity:itu_aggregates", (), None),
    ("p2c_analysis.record:load_record_files", (), None),
    ("p2c_analysis.values:load_overlaps", (), None),
    ("p2c_analysis.parsing:category_synonyms", (), None),
    ("p2c_analysis.quality:load_rubric", (), None),
    ("p2c_analysis.deliverables:load_terms", (), None),
    ("p2c_analysis.kernels:warm_drawing", (), None),
    ("p2c_analysis.kernels:warm_validation", (), None),
    ("p2c_analysis.kernels:warm_lookups", (), None),
    ("p2c_analysis.maps:shapes", (), "maps"),
)
ENV_PRELOADS = "P2C_TEMPLATE_PRELOADS"

#: Milliseconds between a report's kernel client's attempts to connect to a kernel that is not
#: listening yet (ZeroMQ's ``RECONNECT_IVL``; its default, 100 ms, is made for servers that
#: restart, not for a kernel that binds its sockets a few milliseconds after the client tries).
RECONNECT_MS = 5

_FORK_TIMEOUT = 180.0  # seconds to wait for a fork (the template may still be importing)
_MAX_MSG = 1 << 20


def warm_supported() -> bool:
    """Warm kernels need ``fork()`` and Unix sequenced-packet sockets (Linux); elsewhere every
    kernel starts cold."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and hasattr(socket, "SOCK_SEQPACKET") and hasattr(socket, "send_fds"))


class TemplateUnavailable(RuntimeError):
    """The template process is gone or does not answer; the caller starts a cold kernel."""


# ================================================================================================
# client side: the handle on a template, per process
# ================================================================================================
class Template:
    """Handle on a template process. :meth:`start` launches one; processes forked from the
    starter (the runner's pool workers) inherit the handle and open their own channel to it."""

    def __init__(self, control: socket.socket, proc: subprocess.Popen | None) -> None:
        self.control = control
        self.proc = proc
        self.starter_pid = os.getpid()
        self._channel: socket.socket | None = None
        self._channel_pid: int | None = None
        self._lock = threading.Lock()
        self.dead_reason: str | None = None

    @classmethod
    def start(cls, log: Path | None = None, env: dict[str, str] | None = None,
              preloads: Sequence[str] | None = None) -> Template:
        """Launch a template (``log`` receives what it prints). Returns at once: it imports
        and loads while the caller goes on; the first fork request waits for the imports.
        ``preloads``: the :data:`PRELOAD` targets to load (default all; see
        :func:`preloads_for`)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        full_env = {**os.environ, **KERNEL_ENV, **(env or {})}
        if preloads is not None:
            full_env[ENV_PRELOADS] = ",".join(preloads)
        main_thread = threading.current_thread() is threading.main_thread()
        # the collector is off while it imports and loads (about 10 % of that time is spent
        # walking objects that all stay alive); it is back on before the first fork
        code = ("import gc; gc.disable(); "
                "from p2c_analysis.kernels import _serve_main; _serve_main()")
        argv = [sys.executable, "-c", code, str(theirs.fileno()), str(os.getpid()),
                "1" if main_thread else "0"]  # fmt: skip
        out: Any = tempfile.TemporaryFile()  # noqa: SIM115 - until set_log names a file
        log_file = out
        if log is not None:
            with contextlib.suppress(OSError):
                log_file.close()
                log_file = open(log, "ab")  # noqa: SIM115 - handed to the child
                out = log_file
        try:
            proc = subprocess.Popen(
                argv, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=out,
                stderr=out, env=full_env, cwd=str(Path(__file__).resolve().parent.parent),
            )
        finally:
            theirs.close()
            if log_file is not None:
                log_file.close()
        return cls(mine, proc)

    def set_log(self, log: Path) -> None:
        """From now on the template writes to ``log`` (what it wrote so far is copied there)."""
        with contextlib.suppress(OSError), open(log, "ab") as f:
            msg = json.dumps({"op": "log"}).encode()
            socket.send_fds(self.control, [msg], [f.fileno()])

    def kill(self) -> None:
        """Stop the template at once (nothing ran on it yet: e.g. the command was refused)."""
        if self.proc is not None and os.getpid() == self.starter_pid:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            self.control.close()

    # --- a private channel per process ---------------------------------------------------------
    def _chan(self) -> socket.socket:
        if self.dead_reason:
            raise TemplateUnavailable(self.dead_reason)
        if self._channel is not None and self._channel_pid == os.getpid():
            return self._channel
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        hello = json.dumps({"op": "hello", "owner": os.getpid()}).encode()
        try:
            socket.send_fds(self.control, [hello], [theirs.fileno()])
        except OSError as err:
            mine.close()
            self.dead_reason = f"template unreachable ({err.strerror or err})"
            raise TemplateUnavailable(self.dead_reason) from None
        finally:
            theirs.close()
        self._lock = threading.Lock()  # a forked child must not inherit a held lock
        self._channel, self._channel_pid = mine, os.getpid()
        return mine

    def _ask(self, request: dict[str, Any], fds: Sequence[int] = (),
             timeout: float = _FORK_TIMEOUT) -> dict[str, Any]:
        chan = self._chan()
        with self._lock:
            try:
                socket.send_fds(chan, [json.dumps(request).encode()], list(fds))
                ready, _, _ = select.select([chan], [], [], timeout)
                if not ready:
                    raise TemplateUnavailable(f"template did not answer within {timeout:.0f} s")
                data = chan.recv(_MAX_MSG)
            except OSError as err:
                data = b""
                reason = f"template channel failed ({err.strerror or err})"
            else:
                reason = "template process exited"
            if not data:
                self.dead_reason = reason
                raise TemplateUnavailable(reason)
        return json.loads(data)

    def fork_kernel(self, argv: Sequence[str], env: dict[str, str], cwd: str,
                    fds: Sequence[int], spare: bool = False,
                    prefault: bool | str = False) -> int:
        """A new kernel process (its PID): ``argv`` is the kernel command jupyter_client built
        (``python -m ipykernel_launcher -f CONNECTION_FILE ...``), ``fds`` its stdin, stdout
        and stderr. ``spare``: a fourth fd is a socket on which the kernel, once initialised,
        waits for its report's working folder and environment before it starts serving;
        ``prefault``: meanwhile it copies the memory it shares with the template (``True``:
        all of it, see :func:`_own_memory`; a file name: the page runs listed there, see
        :func:`_own_pages`)."""
        reply = self._ask({"op": "fork", "argv": list(argv), "env": dict(env), "cwd": cwd,
                           "spare": spare, "prefault": spare and prefault}, fds)
        if "pid" not in reply:
            raise TemplateUnavailable(str(reply.get("error", "fork refused")))
        return int(reply["pid"])

    def returncode(self, pid: int) -> int | None:
        """Exit status of kernel ``pid`` once the template has reaped it (negative: signal)."""
        try:
            reply = self._ask({"op": "status", "pid": pid}, timeout=10.0)
        except TemplateUnavailable:
            return -signal.SIGKILL
        return reply.get("returncode")

    def close(self) -> None:
        """Stop the template (only in the process that started it) and its kernels."""
        with contextlib.suppress(OSError):
            self.control.close()
        if self.proc is not None and os.getpid() == self.starter_pid:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_TEMPLATE: Template | None = None
_TEMPLATE_LOCK = threading.Lock()


def set_template(template: Template | None) -> None:
    """Use ``template`` in this process (and in processes forked from it from now on)."""
    global _TEMPLATE
    _TEMPLATE = template


def current_template(start: bool = True) -> Template | None:
    """This process's template: the one set (or inherited from the runner), else — when
    ``start`` — a new one (Dask workers start their own on first use)."""
    global _TEMPLATE
    with _TEMPLATE_LOCK:
        if _TEMPLATE is not None and _TEMPLATE.dead_reason is None:
            return _TEMPLATE
        if not start or not warm_supported():
            return None
        _TEMPLATE = Template.start()
        atexit.register(_at_exit, _TEMPLATE)
        return _TEMPLATE


def _at_exit(template: Template) -> None:
    """A process that started its own template (a Dask worker, a notebook calling the runner
    in-process) stops it and its spare kernel on the way out, quietly."""
    discard_spare()
    if os.getpid() == template.starter_pid:
        template.kill()


# ================================================================================================
# jupyter_client side
# ================================================================================================
class ForkedKernel:
    """``subprocess.Popen``-like handle on a kernel forked by the template (not our child)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, template: Template) -> None:
        self.pid = pid
        self.template = template
        self.returncode: int | None = None
        self._fd = lifecycle.pidfd(pid)

    def poll(self) -> int | None:
        if self.returncode is None and lifecycle.has_exited(self._fd, self.pid):
            code = self.template.returncode(self.pid)
            self.returncode = code if code is not None else -signal.SIGKILL
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            if self._fd is not None:
                select.select([self._fd], [], [], 0.1)
            else:
                time.sleep(0.05)
        return int(self.returncode or 0)

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        sender = getattr(signal, "pidfd_send_signal", None)
        if self._fd is not None and sender is not None:
            sender(self._fd, sig)
        else:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def release(self) -> None:
        """Stop watching the process (after :meth:`kill`: the template reaps it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_launch = threading.local()


def last_launch() -> dict[str, Any]:
    """How this thread's latest kernel was started: ``{"mode": "warm"|"cold", "reason"?,
    "spare"?, "spare_discarded"?}`` (``spare``: it was forked and initialised while the
    previous report ran; ``spare_discarded``: why the kernel prepared for this report was not
    used, see :func:`_take_spare`)."""
    return dict(getattr(_launch, "info", None) or {"mode": "cold"})


#: Folder for kernel connection files (set per report by the runner: inside the run's folder).
_CONNECTION_DIR: list[Path | None] = [None]
#: Whether the next kernel may be prepared while a report runs (see :class:`_Spare`).
_SPARES_ON: list[bool] = [False]
#: Whether another report may follow the current one in this process (the runner knows when
#: none will: a kernel prepared for it would only be killed unused).
_AHEAD: list[bool] = [True]
#: Whether a spare kernel also takes its own copy of the memory it shares with the template
#: (see :func:`_own_memory`): only when the run leaves a CPU free for it.
_PREFAULT: list[bool] = [False]
#: Without a free CPU, a spare copies ahead only the pages a report's kernel wrote, learned
#: from this process's first warm report of the run (:func:`_learn_hot_pages`):
#: ``(template pid, connection folder, file of page runs)``, or ``None``.
_HOT_PAGES: list[tuple[int, Path, Path | None] | None] = [None]


#: Kernel managers of the reports this process is running now (see :func:`kill_running`).
_RUNNING: set[Any] = set()
_RUNNING_LOCK = threading.Lock()


def kill_running() -> int:
    """Kill the kernels of the reports this process is running now (from any thread): each
    report then fails at once, as with a kernel that died. For a run that stops while its
    reports run elsewhere (a Dask worker: ``execution.execute_remote``). Returns how many."""
    with _RUNNING_LOCK:
        managers = list(_RUNNING)
    killed = 0
    for km in managers:
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError, ValueError):
                process.kill()
                killed += 1
    return killed


def use_connection_dir(folder: Path | None, spares: bool = False, ahead: bool = True) -> None:
    """Write kernel connection files into ``folder`` (``None``: jupyter's runtime folder).
    ``spares``: keep one kernel ready ahead in ``folder`` (a folder that outlives the report:
    the run's ``.kernels``). ``ahead=False``: no report follows this one here, so none is
    prepared during it (one already waiting still serves it)."""
    _CONNECTION_DIR[0] = folder
    _SPARES_ON[0] = spares and folder is not None
    _AHEAD[0] = ahead
    if not _SPARES_ON[0]:
        discard_spare()


def use_free_cpu(free: bool) -> None:
    """``free``: this process's reports leave a CPU idle (fewer workers than CPUs), so a
    spare kernel may spend it copying its memory ahead (:func:`_own_memory`)."""
    _PREFAULT[0] = free


class _Spare:
    """A kernel forked and initialised ahead, waiting on ``wake`` for its report's working
    folder and environment (sent just before the report's first cell): a report's kernel start
    costs a message instead of an IPython start-up. Its own output goes to ``log`` until the
    report collects it (:func:`collect_kernel_log`)."""

    def __init__(self, kernel: ForkedKernel, argv: list[str], connection_file: Path,
                 wake: socket.socket, log: Path) -> None:
        self.kernel, self.argv, self.connection_file = kernel, argv, connection_file
        self.wake, self.log = wake, log

    def matches(self, cmd: Sequence[str]) -> bool:
        """Same command but for the connection file (``-f FILE`` at positions 3-4)."""
        return list(cmd[:3]) + list(cmd[5:]) == self.argv[:3] + self.argv[5:]

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.wake.close()
        with contextlib.suppress(OSError):
            self.kernel.kill()
        for f in (self.connection_file, self.log):
            with contextlib.suppress(OSError):
                f.unlink()


_SPARE: dict[int, _Spare] = {}


def discard_spare() -> None:
    """Stop this process's spare kernel, if any."""
    spare = _SPARE.pop(os.getpid(), None)
    if spare is not None:
        spare.discard()


def _prepare_spare(tpl: Template, argv: Sequence[str], env: dict[str, str]) -> None:
    """Fork the next report's kernel now (best effort): a fresh connection file in the
    connection folder, the same command line, this report's environment (replaced on wake)."""
    folder = _CONNECTION_DIR[0]
    if folder is None or not _SPARES_ON[0] or not _AHEAD[0] or os.getpid() in _SPARE:
        return
    import zmq
    from jupyter_client.connect import write_connection_file
    from jupyter_client.session import new_id_bytes

    conn = folder / f"kernel-{uuid.uuid4()}.json"
    keys: dict[str, Any] = {}
    if zmq.has("curve"):
        keys["curve_publickey"], keys["curve_secretkey"] = zmq.curve_keypair()
    log = folder / f"spare-{uuid.uuid4().hex[:8]}.log"
    try:
        write_connection_file(str(conn), ip="127.0.0.1", key=new_id_bytes(), transport="tcp",
                              kernel_name=KERNEL_NAME, **keys)
        cmd = [*argv[:4], str(conn), *argv[5:]]
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(os.devnull, "rb") as devnull, open(log, "ab") as out:
            try:
                pid = tpl.fork_kernel(cmd, env, str(folder),
                                      [devnull.fileno(), out.fileno(), out.fileno(),
                                       theirs.fileno()], spare=True,
                                      prefault=_PREFAULT[0] or _hot_pages_file(tpl, folder))
            finally:
                theirs.close()
    except (OSError, TemplateUnavailable):
        for f in (conn, log):
            with contextlib.suppress(OSError):
                f.unlink()
        return
    _SPARE[os.getpid()] = _Spare(ForkedKernel(pid, tpl), cmd, conn, mine, log)


def prepare_next_kernel(**_hook_args: Any) -> None:
    """Fork the next report's kernel now, like this thread's latest one (nbclient's
    ``on_notebook_complete`` hook: at the latest when the report ends; see
    :func:`count_cell`)."""
    args = getattr(_launch, "next_spare", None)
    _launch.next_spare = None
    if args is not None:
        _prepare_spare(*args)


#: The next kernel is forked after this many code cells of the current report have run
#: (the parameters cells and the set-up cell, which starts the analysis): its start-up then
#: runs beside the report's heavier cells instead of competing with the set-up.
SPARE_AFTER_CELLS = 3


def count_cell(**_hook_args: Any) -> None:
    """nbclient's ``on_cell_executed`` hook: after :data:`SPARE_AFTER_CELLS` code cells of
    the current report, fork the next report's kernel (:func:`prepare_next_kernel`)."""
    done = getattr(_launch, "cells_done", 0) + 1
    _launch.cells_done = done
    if done == SPARE_AFTER_CELLS:
        prepare_next_kernel()


def reset_cell_count(**_hook_args: Any) -> None:
    """nbclient's ``on_notebook_start`` hook: a new report, no cell run yet."""
    _launch.cells_done = 0


#: Seconds to wait for a spare kernel to finish initialising when its report comes first. A
#: spare initialises in 0.05-0.2 s (about 2 s at most on a loaded machine); one not ready by
#: then is discarded and a new kernel forked. (Rarely, about once in 50 batches of 20 reports
#: with 2 workers, a spare was never ready: its report waited the whole minute this used to
#: be. The cause is not known; the template's only other threads are Arrow's thread pools,
#: jemalloc's background thread being off: :func:`p2c_analysis.memory.use_system_allocator`.
#: The discard is recorded: see :func:`_take_spare`.)
SPARE_READY_TIMEOUT = 10.0
READY = b"ready"


def _take_spare(cmd: Sequence[str]) -> _Spare | None:
    """This process's spare kernel for ``cmd``, once it is initialised: until then ipykernel
    may still be rewriting its connection file (a report shorter than a kernel's start-up
    would read it half-written). A spare that cannot be used is discarded, and why is kept
    for the report's manifest entry (``kernel.spare_discarded``, see :func:`last_launch`) and
    written to its log."""
    _launch.discarded = None
    spare = _SPARE.pop(os.getpid(), None)
    if spare is None:
        return None
    why = None
    if spare.kernel.poll() is not None:
        why = "it had exited"
    elif not spare.matches(cmd):
        why = "it was started for another kernel command"
    elif not spare.connection_file.is_file():
        why = "its connection file was gone"
    elif not _spare_ready(spare.wake):
        why = (f"not ready after {SPARE_READY_TIMEOUT:g} s"
               f" ({_process_state(spare.kernel.pid)})")
    if why is None:
        return spare
    pid = spare.kernel.pid
    spare.discard()
    _launch.discarded = f"spare kernel {pid}: {why}; a new kernel was started"
    print(f"p2c: {_launch.discarded}", file=sys.stderr, flush=True)
    return None


def _process_state(pid: int) -> str:
    """``state S, waiting in futex_do_wait``: a process's scheduler state and the kernel
    function it waits in (``/proc``), or ``state unknown``; for the log of a stuck kernel."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
    except (OSError, IndexError):
        return "state unknown"
    return f"state {stat[0]}" + (f", waiting in {wchan}" if wchan and wchan != "0" else "")


def _spare_ready(wake: socket.socket) -> bool:
    """Wait for the spare's "ready" (sent once ``IPKernelApp.initialize`` is done)."""
    try:
        wake.settimeout(SPARE_READY_TIMEOUT)
        return wake.recv(len(READY)) == READY
    except OSError:  # timed out, or the spare is gone
        return False
    finally:
        with contextlib.suppress(OSError):
            wake.settimeout(None)


def collect_kernel_log(log: Path) -> None:
    """Append what this thread's latest kernel printed on its own (a spare's log) to ``log``."""
    spare_log = getattr(_launch, "spare_log", None)
    _launch.spare_log = None
    if spare_log is None:
        return
    with contextlib.suppress(OSError):
        data = Path(spare_log).read_bytes()
        if data:
            with open(log, "ab") as f:
                f.write(data)
    with contextlib.suppress(OSError):
        Path(spare_log).unlink()


@functools.cache
def kernel_manager_class(warm: bool = False) -> type:
    """The kernel manager for report kernels. ``python3`` is always the ipykernel of this
    interpreter (not whatever kernelspec a user folder holds); the ZeroMQ channels use CurveZMQ
    encryption when available, which is also what stops ipykernel 7's start-up warning "Kernel
    is running over TCP without encryption"; connection files go where
    :func:`use_connection_dir` says. ``warm``: kernels are forked from this process's template
    (:func:`current_template`), falling back to a cold start if it is unavailable."""
    from queue import Empty

    import zmq
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner
    from jupyter_core.utils import ensure_async
    from traitlets import Any as AnyTrait

    class ForkProvisioner(LocalProvisioner):
        """Starts the kernel by asking the template to fork one (see the module docstring)."""

        template = AnyTrait(None, allow_none=True)
        spare = AnyTrait(None, allow_none=True)

        async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
            km = self.parent
            if self.template is not None and km is not None:
                extra = list(kwargs.get("extra_arguments") or [])
                spare = _take_spare(km.format_kernel_cmd(extra_arguments=extra))
                if spare is not None:  # its connection file, ports and keys become ours
                    kwargs.pop("extra_arguments", None)
                    km.load_connection_file(str(spare.connection_file))
                    km.connection_file = str(spare.connection_file)
                    km._connection_file_written = True  # so it goes with the kernel
                    self.connection_info = km.get_connection_info()
                    self.spare = spare
                    base = super(LocalProvisioner, self)  # KernelProvisionerBase: env only
                    return await base.pre_launch(cmd=km.format_kernel_cmd(extra_arguments=extra),
                                                 **kwargs)
            return await super().pre_launch(**kwargs)

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> dict[str, Any]:
            tpl = self.template
            if tpl is None or list(cmd[1:3]) != ["-m", "ipykernel_launcher"]:
                _launch.info = {"mode": "cold", "reason": "no template"}
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            spare, self.spare = self.spare, None
            if spare is not None:
                try:
                    spare.wake.send(json.dumps({"cwd": cwd, "env": env}).encode())
                    spare.wake.close()
                except OSError:
                    spare.discard()  # then fork one now, on the same connection file
                else:
                    _launch.info, _launch.spare_log = {"mode": "warm", "spare": True}, spare.log
                    return self._adopt(spare.kernel, tpl, cmd, env, cwd)
            with open(os.devnull, "rb") as devnull:
                try:
                    pid = tpl.fork_kernel(cmd, env, cwd, [devnull.fileno(), 1, 2])
                except TemplateUnavailable as err:
                    _launch.info = {"mode": "cold", "reason": str(err)}
                    return await super().launch_kernel(cmd, **kwargs)
            _launch.info, _launch.spare_log = {"mode": "warm"}, None
            if getattr(_launch, "discarded", None):
                _launch.info["spare_discarded"] = _launch.discarded
            return self._adopt(ForkedKernel(pid, tpl), tpl, cmd, env, cwd)

        def _adopt(self, kernel: ForkedKernel, tpl: Template, cmd: list[str],
                   env: dict[str, str], cwd: str) -> dict[str, Any]:
            self.process = kernel
            self.pid = self.pgid = kernel.pid
            self.cwd = cwd
            _launch.next_spare = (tpl, cmd, env)  # see prepare_next_kernel
            return self.connection_info

        async def wait(self) -> int | None:
            """As LocalProvisioner.wait, polling every 5 ms instead of 100 ms (a killed
            kernel is gone within milliseconds; every report waits for its kernel)."""
            if not isinstance(self.process, ForkedKernel):
                return await super().wait()
            import asyncio

            while self.process.poll() is None:
                await asyncio.sleep(0.005)
            code, self.process = self.process.returncode, None
            return code

    class ReportKernelClient(AsyncKernelClient):
        def _context_default(self) -> zmq.asyncio.Context:
            """jupyter_client's own context, whose sockets try again every
            :data:`RECONNECT_MS` to reach a kernel not yet listening (ZeroMQ's default: every
            100 ms). A kernel that is not a spare is asked for its ``kernel_info`` as soon as it
            is forked, before it has bound its sockets: the first report of each worker, and
            every cold kernel, waited 0.1-0.2 s for ZeroMQ's next try."""
            context = super()._context_default()
            context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
            return context

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """jupyter_client's wait for a kernel_info reply with IOPub connected, then a
            flush of IOPub that takes what has arrived instead of waiting for 0.2 s of silence
            (nbclient only reads replies to its own requests): 0.2 s less per report."""
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected when the reply's status messages come through
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
                if not await ensure_async(self.is_alive()):
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:  # what has arrived; nbclient ignores replies to others' requests
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0))
                except Empty:
                    return

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if zmq.has("curve"):
                kwargs.setdefault("transport_encryption", "auto")
            super().__init__(**kwargs)
            self.client_factory = ReportKernelClient
            folder = _CONNECTION_DIR[0]
            if folder is not None and not self.connection_file:
                self.connection_file = str(folder / f"kernel-{uuid.uuid4()}.json")

        @property
        def kernel_spec(self) -> KernelSpec | None:
            if self.kernel_name == KERNEL_NAME:
                if getattr(self, "_p2c_spec", None) is None:
                    spec = get_kernel_dict()
                    spec["argv"] = [*spec["argv"], *KERNEL_ARGS]
                    self._p2c_spec = KernelSpec(resource_dir=RESOURCES, **spec)
                return self._p2c_spec
            return super().kernel_spec

        async def start_kernel(self, **kw: Any) -> None:
            with _RUNNING_LOCK:
                _RUNNING.add(self)
            try:
                await _without_pause(self, AsyncKernelManager.start_kernel, **kw)
            except BaseException:
                with _RUNNING_LOCK:
                    _RUNNING.discard(self)
                raise

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            """As jupyter_client's, but a warm kernel shut down ``now`` at the end of its
            report gets SIGKILL at once: no SIGINT first, no wait while the system tears the
            process down (its template reaps it)."""
            if not restart:
                with _RUNNING_LOCK:
                    _RUNNING.discard(self)
            kernel = getattr(self.provisioner, "process", None)
            if not (now and not restart and isinstance(kernel, ForkedKernel)):
                await _without_pause(self, AsyncKernelManager.shutdown_kernel, now=now,
                                     restart=restart)
                return

            async def kill_now(km: Any) -> None:
                km.shutting_down = True
                km.stop_restarter()
                _learn_hot_pages(kernel)
                kernel.kill()
                kernel.release()
                km.provisioner.process = None
                await km._async_cleanup_resources()

            await _without_pause(self, kill_now)

        async def _async_wait(self, pollinterval: float = 0.005) -> None:
            # a report's kernel is killed at its end: look for its exit every 5 ms, not 100
            await super()._async_wait(pollinterval=pollinterval)

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            _launch.info = {"mode": "cold"}
            if warm and self.provisioner is None:
                try:
                    tpl = current_template()
                except OSError as err:  # could not even start one
                    tpl = None
                    _launch.info = {"mode": "cold", "reason": f"no template ({err})"}
                if tpl is not None:
                    self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(
                        uuid.uuid4())
                    self.provisioner = ForkProvisioner(
                        kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self,
                        template=tpl,
                    )
            return await super()._async_pre_start_kernel(**kw)

    return ReportKernelManager


async def _without_pause(km: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
    """``method`` (a kernel manager's start or shutdown) as jupyter_client's
    ``in_pending_state`` runs it (the manager's ``ready`` future), without the 10 ms sleep it
    adds "to ensure tests can capture the state": 20 ms of every report."""
    try:
        from jupyter_client.manager import _get_future
    except ImportError:  # another jupyter_client: its own way, pause included
        return await method(km, *args, **kwargs)
    plain = getattr(method, "__wrapped__", None)
    if plain is None or not hasattr(km, "_attempted_start") or not hasattr(km, "_ready"):
        return await method(km, *args, **kwargs)
    method = plain
    if km._attempted_start or not km._ready:
        km._ready = _get_future()
    try:
        out = await method(km, *args, **kwargs)
    except Exception as err:
        km._ready.set_exception(err)
        raise
    if km.owns_kernel and not km._ready.done():
        km._ready.set_result(None)
    return out


# ================================================================================================
# server side: the template process
# ================================================================================================
def _serve_main() -> None:
    """Entry point of the template process: ``argv = [fd, parent pid, parent-death flag]``."""
    fd, parent, pdeath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    control = socket.socket(fileno=fd)
    base_path = [p for p in sys.path[1:]]  # sys.path[0] is "" for ``python -c``
    server = _Server(control, parent, base_path)
    lifecycle.set_process_name("p2c-template")
    if pdeath:
        lifecycle.set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:
        return
    server.run()
    # its kernels are gone; skip tearing down an interpreter full of imported modules (0.1 s
    # that the runner would wait for)
    lifecycle.exit_now(0)


class _Server:
    """The template's loop: imports, then fork requests; preloads data when idle."""

    def __init__(self, control: socket.socket, parent: int, base_path: list[str]) -> None:
        self.control = control
        self.parent = parent
        self.parent_fd = lifecycle.pidfd(parent)
        self.base_path = base_path
        self.channels: dict[int, tuple[socket.socket, int, int | None]] = {}  # fd → sock, owner
        self.kernels: dict[int, int] = {}  # kernel pid → owner pid
        self.exit_codes: dict[int, int] = {}
        self.stop = False
        wanted = os.environ.get(ENV_PRELOADS)
        self.preload = [p for p in PRELOAD if wanted is None or p[0] in wanted.split(",")]

    # --- life ------------------------------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
        signal.signal(signal.SIGTERM, self._on_term)
        try:
            self._warm_imports()
            while not self.stop:
                self._step()
        finally:
            self._kill_all()

    def _on_term(self, signum: int, frame: Any) -> None:
        self.stop = True

    def _warm_imports(self) -> None:
        import importlib

        os.environ.update(KERNEL_ENV)
        for name in (*WARM_IMPORTS, *package_modules()):
            try:
                importlib.import_module(name)
            except Exception as err:  # noqa: BLE001 - a missing optional module is no reason to stop
                print(f"p2c template: import {name} failed: {err}", file=sys.stderr)
        from p2c_analysis import cache, paths

        if paths._FILES_READ:  # against the contract: importing a module reads no data
            print("p2c template: modules read data files when imported (their reports' "
                  f"data_files.json may miss them): {sorted(paths._FILES_READ)}", file=sys.stderr)

        with contextlib.suppress(Exception):  # every kernel asks; the answer is the machine's
            from jupyter_client import localinterfaces

            localinterfaces.local_ips()
        cache.replay_provenance()
        _forget_use()
        # what the imports made is frozen now, so that the collection before the first fork
        # walks only what the preloads made: 7 ms instead of 0.1 s. The imports' own garbage
        # (about 0.6 MB: import-time tracebacks, closed rc files) stays, never walked.
        gc.freeze()
        if self._serving():
            self._settle()

    def _serving(self) -> bool:
        """Whether fork requests are served: once the preloads every report uses are done."""
        return not any(token is None for _t, _a, token in self.preload)

    @staticmethod
    def _settle() -> None:
        """Collect once what the preloads left (the imports' objects are frozen already, see
        :meth:`_warm_imports`), freeze what the template holds (a kernel's collections then
        never walk it, nor copy its pages) and turn the collector back on (off while the
        template imports and loads: see :meth:`Template.start`), so kernels collect as cold
        ones do."""
        gc.collect()
        gc.freeze()
        gc.enable()

    def _preload_one(self) -> None:
        import importlib

        target, args, _token = self.preload.pop(0)
        module, _, func = target.partition(":")
        try:
            loader = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError):
            loader = None  # not in this version of the package
        try:
            if loader is not None:
                loader(*args)
        except Exception as err:  # noqa: BLE001 - the report will load it (and fail) itself
            print(f"p2c template: preload {target} failed: {err}", file=sys.stderr)
        _forget_use()
        if not self.preload or not gc.isenabled() and self._serving():
            self._settle()

    # --- the loop --------------------------------------------------------------------------------
    def _watched(self) -> list[Any]:
        """What the loop waits on. Requests (forks) wait in their channels until the data every
        report uses is loaded (the preloads without a token): the first kernels then start
        with it instead of each loading it again beside the template."""
        fds: list[Any] = [self.control]
        serving = self._serving()
        for sock, _owner, owner_fd in self.channels.values():
            if serving:
                fds.append(sock)
            if owner_fd is not None:
                fds.append(owner_fd)
        if self.parent_fd is not None:
            fds.append(self.parent_fd)
        return fds

    def _step(self) -> None:
        timeout = 0.0 if self.preload else 0.5
        try:
            ready, _, _ = select.select(self._watched(), [], [], timeout)
        except InterruptedError:
            ready = []
        self._reap()
        if self.parent_fd is not None and self.parent_fd in ready or os.getppid() != self.parent:
            self.stop = True
            return
        if not ready:
            if self.preload:
                self._preload_one()
            return
        for item in ready:
            if item is self.control:
                self._accept()
            elif isinstance(item, socket.socket):
                self._serve(item)
            else:
                self._owner_gone(item)

    def _accept(self) -> None:
        data, fds, _flags, _addr = socket.recv_fds(self.control, _MAX_MSG, 4)
        if not data:  # every holder of the control socket is gone
            self.stop = True
            return
        msg = json.loads(data)
        if msg.get("op") == "hello" and fds:
            sock = socket.socket(fileno=fds[0])
            owner = int(msg.get("owner") or 0)
            self.channels[sock.fileno()] = (sock, owner, lifecycle.pidfd(owner) if owner else None)
            for extra in fds[1:]:
                os.close(extra)
        elif msg.get("op") == "log" and len(fds) == 1:
            _move_output(fds[0])
        else:
            for extra in fds:
                os.close(extra)

    def _close_channel(self, sock: socket.socket) -> None:
        entry = self.channels.pop(sock.fileno(), None)
        if entry is None:
            return
        _sock, owner, owner_fd = entry
        self._kill_owned(owner)
        sock.close()
        if owner_fd is not None:
            os.close(owner_fd)

    def _owner_gone(self, owner_fd: int) -> None:
        for sock, _owner, fd in list(self.channels.values()):
            if fd == owner_fd:
                self._close_channel(sock)

    def _serve(self, sock: socket.socket) -> None:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, _MAX_MSG, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            self._close_channel(sock)
            return
        msg = json.loads(data)
        reply: dict[str, Any]
        if msg.get("op") == "fork" and len(fds) == (4 if msg.get("spare") else 3):
            owner = self.channels[sock.fileno()][1]
            try:
                pid = os.fork()
            except OSError as err:
                reply = {"error": f"fork failed: {err.strerror}"}
            else:
                if pid == 0:  # the child: never returns
                    self._become_kernel(msg, fds)
                self.kernels[pid] = owner
                reply = {"pid": pid}
        elif msg.get("op") == "status":
            pid = int(msg.get("pid") or 0)
            self._reap()
            reply = {"returncode": self.exit_codes.get(pid)}
        else:
            reply = {"error": "unknown request"}
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            sock.send(json.dumps(reply).encode())

    # --- kernels ---------------------------------------------------------------------------------
    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.kernels.pop(pid, None)
            self.exit_codes[pid] = os.waitstatus_to_exitcode(status)
            if len(self.exit_codes) > 1000:
                self.exit_codes.pop(next(iter(self.exit_codes)))

    def _kill_owned(self, owner: int | None) -> None:
        for pid, who in list(self.kernels.items()):
            if owner is None or who == owner:
                _kill_group(pid)
        self._reap()

    def _kill_all(self) -> None:
        self._kill_owned(None)
        deadline = time.monotonic() + 5
        while self.kernels and time.monotonic() < deadline:
            time.sleep(0.005)
            self._reap()

    def _become_kernel(self, msg: dict[str, Any], fds: list[int]) -> None:
        """In the forked child: turn into an ipykernel as ``python -m ipykernel_launcher``
        would start it. Never returns."""
        code = 1
        try:
            os.setsid()  # own process group, as jupyter_client's start_new_session
            lifecycle.set_parent_death_signal(signal.SIGKILL)
            lifecycle.set_process_name("p2c-kernel")
            gc.enable()  # as in a cold kernel (the template serves forks only with it on)
            template_pid = os.getppid()
            for sock, _owner, owner_fd in self.channels.values():
                sock.close()
                if owner_fd is not None:
                    os.close(owner_fd)
            self.control.close()
            if self.parent_fd is not None:
                os.close(self.parent_fd)
            wake = socket.socket(fileno=fds.pop()) if msg.get("spare") else None
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.chdir(msg["cwd"])
            os.environ.clear()
            os.environ.update(msg["env"])
            os.environ["JPY_PARENT_PID"] = str(template_pid)  # ipykernel's own parent watch
            _fresh_random_state()
            import ipykernel_launcher

            sys.argv = [ipykernel_launcher.__file__, *msg["argv"][3:]]
            sys.path[:] = list(self.base_path)  # the launcher's view: cwd not on the path
            from ipykernel import kernelapp

            prefault = msg.get("prefault") if wake is not None else None
            if isinstance(prefault, str):  # a spare copies the learned pages first: its own
                _copy_ahead(prefault)  # start-up then takes fewer page faults too
            try:  # parent_handle defaults to JPY_PARENT_PID as it was in the template
                app = kernelapp.IPKernelApp.instance(parent_handle=template_pid)
                app.initialize()
                _without_idle_waits(app)
                if wake is not None:
                    wake.send(READY)  # its connection file is written: it may be taken
                    if prefault is True:  # all of it, in the free CPU's time, once ready
                        _copy_ahead(prefault)
                    _await_report(app, wake)
                app.start()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 - report it in the kernel's log, then exit
            import traceback

            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                import atexit

                atexit._run_exitfuncs()
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)


def _without_idle_waits(app: Any) -> None:
    """Two waits of ipykernel that serve interactive frontends, not a report's client, taken
    out of a warm kernel: the 0.5 ms sleep before each execute reply, and the round trip to the
    IOPub thread when a stream is flushed with nothing written since its last flush (ipykernel
    flushes both streams before every reply and every display: about 70 times a report).
    nbclient reads a cell's outputs until the kernel's idle status, which IOPub sends after
    them either way. Left as they are if ipykernel's internals differ."""
    kernel = getattr(app, "kernel", None)
    if kernel is not None and hasattr(kernel, "_execute_sleep"):
        kernel._execute_sleep = 0.0
    for stream in (sys.stdout, sys.stderr):
        flush = getattr(stream, "flush", None)
        if flush is None or not hasattr(stream, "_flush_pending") or \
                not hasattr(stream, "_subprocess_flush_pending"):
            continue

        def quick_flush(stream: Any = stream, flush: Any = flush) -> None:
            if stream._flush_pending or stream._subprocess_flush_pending:
                flush()

        stream.flush = quick_flush


def warm_drawing() -> None:
    """In the template: draw one throw-away figure in the house style, off pyplot, then put
    matplotlib back as it was: rcParams (``matplotlib.rc_context``) and the one-letter colour
    codes that seaborn's theme also redefines. It fills matplotlib's font lookup and
    loaded-font caches for the house style's fonts and sizes, which every report's first
    figure would otherwise fill in its own kernel; a cache holds the same result whoever fills
    it, so figures are unchanged. (It is not written as PNG: encoding takes 0.1 s and warms
    nothing.)"""
    import matplotlib as mpl
    from matplotlib import colors as mcolors
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from p2c_analysis import style

    codes = mcolors.colorConverter.colors
    saved = {code: codes[code] for code in "bgrmyck" if code in codes}
    try:
        with mpl.rc_context():
            style.apply()
            fig = Figure()
            FigureCanvasAgg(fig)
            ax = fig.subplots()
            ax.plot([2000, 2024], [10.0, 90.0], label="Internet use")
            ax.set_title("Internet use")
            ax.set_xlabel("year")
            ax.set_ylabel("% of population")
            ax.legend()
            fig.text(0.01, 0.01, "Source", fontsize=8)
            fig.tight_layout()
            fig.canvas.draw()
    finally:
        for code, value in saved.items():
            codes[code] = value


def warm_validation() -> None:
    """In the template: validate the bundled record's pledges against the pledge schema once,
    as a report's functions do (:func:`p2c_analysis.fields.checked`). pandera imports and
    registers its pandas back-ends at its first validation in a process (about 0.16 s); the
    record now comes from the derived-data cache without one, so without this every report's
    first validation would pay it in its own kernel. Nothing is kept but what pandera keeps."""
    from p2c_analysis import fields, record

    valid = record.load_record_files()[0].drop(columns="source_file")
    fields.schema().validate(valid)


def warm_lookups() -> None:
    """In the template: look-ups a report's kernel would otherwise make afresh, each a cache
    that holds the same answer whoever fills it (about 20-35 ms a report together):

    - matplotlib's backend registry reads every installed distribution's entry points the
      first time a backend it does not build in is named, and ``%matplotlib inline`` names
      one (``inline``, registered by matplotlib-inline);
    - the package version from its installed metadata (``p2c_analysis.__version__``: every
      report's provenance line);
    - the index of ISO2/ISO3 codes (``countries._code_index``: a parameter given as a code);
    - the table of invisible characters that every page's escaping and the loader's text
      cleaning drop (``text._invisible_table``, about 15 ms to build).

    It imports no backend: ``matplotlib_inline.backend_inline`` must be imported in the
    kernel (see the module docstring)."""
    from matplotlib.backends import backend_registry

    import p2c_analysis
    from p2c_analysis import countries, text

    backend_registry.list_all()
    _ = p2c_analysis.__version__
    countries.try_resolve("KEN")
    for in_text in (True, False):
        text.without_invisible("", in_text=in_text)


def _forget_use() -> None:
    """The template's reading of data is not any report's: clear the records a report inherits
    (data files read, derived tables used)."""
    from p2c_analysis import cache, paths

    paths._FILES_READ.clear()
    cache._USES.clear()


def package_modules() -> list[str]:
    """Every module of the package but the runner's (``cache.RUNNER_MODULES``), whatever
    modules there are: the template imports them all, the cache module first."""
    import pkgutil

    import p2c_analysis
    from p2c_analysis.cache import RUNNER_MODULES

    names = [m.name for m in pkgutil.iter_modules(p2c_analysis.__path__)]
    return ["p2c_analysis.cache"] + [f"p2c_analysis.{n}" for n in names
                                     if n not in RUNNER_MODULES]


def preloads_for(notebooks: Sequence[Path]) -> list[str]:
    """The :data:`PRELOAD` targets worth loading for these notebooks: those without a token,
    and those whose token one of the notebooks mentions."""
    text = ""
    for nb in notebooks:
        with contextlib.suppress(OSError):
            text += Path(nb).read_text(encoding="utf-8", errors="replace")
    return [t for t, _args, token in PRELOAD if token is None or token in text]


def prestart(preloads: Sequence[str] | None = None) -> bool:
    """Start this process's template now (a Dask worker, before its first report) so it warms
    up while the runner prepares. Returns whether a template is running."""
    global _TEMPLATE
    with _TEMPLATE_LOCK:
        if _TEMPLATE is None or _TEMPLATE.dead_reason is not None:
            _TEMPLATE = Template.start(preloads=preloads)
            atexit.register(_at_exit, _TEMPLATE)
    return True


def template_for(notebooks: Sequence[str | Path]) -> Template | None:
    """Start the kernel template for a run of these notebooks now, before planning: it imports
    and loads while the command checks parameters (the ``p2c`` command calls this before it
    imports the runner). ``None`` when a notebook does not resolve (planning will say why).
    Pass it to :func:`p2c_analysis.runner.render`; :meth:`Template.kill` it if the run does not
    happen."""
    from p2c_analysis.planning import UsageError, resolve_notebook

    if not warm_supported():
        return None
    try:
        found = [resolve_notebook(n) for n in notebooks]
    except UsageError:
        return None
    try:
        return Template.start(preloads=preloads_for(found))
    except OSError:
        return None


def _move_output(fd: int) -> None:
    """Copy what the template printed so far (standard error) to ``fd``, then print there."""
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(OSError):
        os.lseek(2, 0, os.SEEK_SET)
        while chunk := os.read(2, 1 << 16):
            os.write(fd, chunk)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _copy_ahead(prefault: Any) -> None:
    """In a spare kernel, just forked: take a copy of the memory it shares with the template
    (``True``: all of it, :func:`_own_memory`; a file name: the pages listed there,
    :func:`_own_pages`; else nothing)."""
    if isinstance(prefault, str):
        _own_pages(Path(prefault))
    elif prefault is True:
        _own_memory()


def _await_report(app: Any, wake: socket.socket) -> None:
    """In a spare kernel, initialised: wait for the report (its working folder and
    environment), then look as if started there. Exits if the worker goes away instead."""
    data = wake.recv(_MAX_MSG)
    wake.close()
    if not data:
        os._exit(0)
    msg = json.loads(data)
    os.chdir(msg["cwd"])
    os.environ.clear()
    os.environ.update(msg["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    shell = getattr(app, "shell", None)
    history = getattr(shell, "history_manager", None)
    if history is not None:  # IPython's directory history starts at the working folder
        history.dir_hist[:] = [Path.cwd()]


#: ``madvise`` advice (Linux 5.14+): fault pages in writable, as a write to each would.
MADV_POPULATE_WRITE = 23
#: A mapping is copied ahead when at least this share of it is resident (the rest is new,
#: zeroed memory: at most a tenth).
RESIDENT_SHARE = 0.9


def _own_memory() -> None:
    """In a spare kernel: copy now, ahead of its report, the pages it shares with the template
    (copy-on-write after ``fork()``), instead of one page fault at a time while its report
    runs: about 8,000 faults and 40 ms of a country profile. Only the private anonymous
    mappings (the heap and Python's arenas) that are nearly all resident are copied
    (:data:`RESIDENT_SHARE`), so little memory is added that the template had not touched;
    the kernel then holds its own copy of them (about 140 MB for the standard reports)."""
    try:
        _populate(_resident_private_ranges())
    except OSError:
        return


def _own_pages(runs_file: Path) -> None:
    """In a spare kernel, when no CPU is free: copy now only the pages a report's kernel
    wrote of the memory shared with the template (:func:`_learn_hot_pages`): a third of what
    :func:`_own_memory` copies, each page about half the cost of its fault during the report."""
    from array import array

    runs = array("Q")
    try:
        runs.frombytes(runs_file.read_bytes())
    except (OSError, ValueError):
        return
    _populate(zip(runs[::2], runs[1::2], strict=False))


def _populate(ranges: Iterable[tuple[int, int]]) -> None:
    """Fault in ``(start, size)`` ranges writable, as a write to each page would
    (``madvise(MADV_POPULATE_WRITE)``). A range not mapped here is skipped; best effort:
    nothing happens where ``madvise`` or the advice (Linux 5.14+) is missing."""
    import ctypes
    import errno

    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    for start, size in ranges:
        if madvise(start, size, MADV_POPULATE_WRITE) != 0 and \
                ctypes.get_errno() == errno.EINVAL:
            return  # an older Linux: the advice is unknown


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: ``/proc/PID/pagemap`` entry bits: page present, page mapped by this process only.
_PM_PRESENT, _PM_EXCLUSIVE = 1 << 63, 1 << 56


def written_pages(pid: int, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, size)`` runs of the pages in ``ranges`` that process ``pid`` holds alone
    (present and mapped only by it: ``/proc/PID/pagemap``, Linux 4.2+). In a kernel forked from
    the template, within the template's own mappings, these are the pages it wrote (copied on
    write) or touched first. Adjacent pages form one run."""
    from array import array

    out: list[tuple[int, int]] = []
    both = _PM_PRESENT | _PM_EXCLUSIVE
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        for start, size in ranges:
            f.seek(start // PAGE_SIZE * 8)
            entries = array("Q")
            entries.frombytes(f.read(size // PAGE_SIZE * 8))
            run = None
            for i, entry in enumerate(entries):
                if entry & both == both:
                    if run is None:
                        run = i
                elif run is not None:
                    out.append((start + run * PAGE_SIZE, (i - run) * PAGE_SIZE))
                    run = None
            if run is not None:
                out.append((start + run * PAGE_SIZE, (len(entries) - run) * PAGE_SIZE))
    return out


def private_ranges(pid: int | str = "self") -> list[tuple[int, int]]:
    """``(start, size)`` of the private writable anonymous mappings (``[heap]`` included) of
    process ``pid``, from ``/proc/PID/maps``."""
    with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as f:
        return [r for r in map(_private_mapping, f) if r is not None]


def _private_mapping(line: str) -> tuple[int, int] | None:
    """``(start, size)`` when a ``maps``/``smaps`` mapping line is a private writable
    anonymous mapping (``[heap]`` included), else ``None``."""
    head = line.split(maxsplit=5)
    if len(head) < 5 or "-" not in head[0] or head[1] != "rw-p":
        return None
    if (head[5].strip() if len(head) > 5 else "") not in ("", "[heap]"):
        return None
    lo, hi = (int(x, 16) for x in head[0].split("-"))
    return lo, hi - lo


def _hot_pages_file(tpl: Template, folder: Path) -> str | bool:
    """The page runs learned for ``tpl``'s kernels in ``folder`` (a file name), or ``False``."""
    hot = _HOT_PAGES[0]
    if hot is None or tpl.proc is None or hot[0] != tpl.proc.pid or hot[1] != folder or \
            hot[2] is None:
        return False
    return str(hot[2])


def _learn_hot_pages(kernel: ForkedKernel) -> None:
    """At the end of this process's first warm report of a run (kernel still alive), when no
    CPU is free for copying all shared memory ahead: note which of the template's pages the
    kernel wrote (:func:`written_pages`), into a file in the connection folder that later
    spares copy ahead (:func:`_own_pages`). Once per template and folder; best effort."""
    folder, tpl = _CONNECTION_DIR[0], kernel.template
    if _PREFAULT[0] or not _SPARES_ON[0] or folder is None or tpl.proc is None:
        return
    hot = _HOT_PAGES[0]
    if hot is not None and hot[0] == tpl.proc.pid and hot[1] == folder:
        return  # learned (or tried) for this template and folder
    from array import array

    from p2c_analysis import paths

    _HOT_PAGES[0] = (tpl.proc.pid, folder, None)
    target = folder / f"hot-pages-{os.getpid()}.bin"
    try:
        runs = written_pages(kernel.pid, private_ranges(tpl.proc.pid))
        if not runs:
            return
        flat = array("Q", [x for run in runs for x in run])
        paths.replace_bytes(target, flat.tobytes(), sync=False)  # no part-written file left
    except (OSError, ValueError, OverflowError):
        return
    _HOT_PAGES[0] = (tpl.proc.pid, folder, target)


def _resident_private_ranges(smaps: str = "/proc/self/smaps") -> list[tuple[int, int]]:
    """``(start, size)`` of the private writable anonymous mappings (``[heap]`` included)
    whose pages are (nearly) all resident (:data:`RESIDENT_SHARE`), from ``smaps``."""
    out: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    with open(smaps, encoding="ascii", errors="replace") as f:
        for line in f:
            head = line.split(maxsplit=2)
            if not head[0].endswith(":"):  # a mapping's line (the others are "Key: value")
                current = _private_mapping(line)
            elif current is not None and head[0] == "Rss:":
                if int(head[1]) * 1024 >= RESIDENT_SHARE * current[1]:
                    out.append(current)
                current = None
    return out


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _fresh_random_state() -> None:
    """Reseed NumPy's global generator (a forked child would share the template's state)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def preload_targets() -> list[str]:
    """Names of the loaders the template preloads (documentation, tests)."""
    return [t for t, _, _ in PRELOAD]

