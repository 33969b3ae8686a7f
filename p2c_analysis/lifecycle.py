"""Processes that die with their parent: no worker, template or kernel outlives ``p2c``.

Every process the runner starts is tied to its parent twice: the Linux parent-death signal
(``prctl(PR_SET_PDEATHSIG)``, delivered by the kernel the moment the parent exits, even on
SIGKILL) and a watchdog that notices a changed parent PID (other platforms, and the case where
the parent-death signal is tied to a thread that has ended). :class:`Terminated` is how a polite
SIGTERM reaches Python code: like Ctrl-C (it is a ``KeyboardInterrupt``), so every clean-up path
written for Ctrl-C also runs for SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


class Terminated(KeyboardInterrupt):
    """SIGTERM received: stop like Ctrl-C (reports stay ``.partial``, the run is interrupted)."""


#: A SIGTERM this many seconds or less after the one that started a stop belongs to the same
#: stop: a process whose parent dies gets two (the parent-death signal and the watchdog's), and
#: the second must not cut short the clean-up the first started (e.g. marking a report
#: interrupted in the manifest).
SAME_STOP_SECONDS = 5.0
_stop_started: list[float] = []


def raise_terminated(signum: int, frame: Any) -> None:
    """Signal handler: SIGTERM → :class:`Terminated` in the main thread, once per stop (see
    :data:`SAME_STOP_SECONDS`)."""
    now = time.monotonic()
    if _stop_started and now - _stop_started[-1] <= SAME_STOP_SECONDS:
        return
    _stop_started.append(now)
    raise Terminated(f"signal {signum}")


def handle_sigterm() -> None:
    """From now on SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent (strictly: the parent's thread
    that created it) exits. Returns ``False`` where this is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def set_process_name(name: str) -> None:
    """Name this process as ``ps``/``top`` show it (Linux, 15 characters): ``p2c-worker``,
    ``p2c-template``, ``p2c-kernel``; forked processes would otherwise all look like their
    parent."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def pidfd(pid: int) -> int | None:
    """A file descriptor that becomes readable when process ``pid`` exits (Linux ≥ 5.3), or
    ``None``. Works for any process, not only children."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except OSError:
        return None


def has_exited(fd: int | None, pid: int) -> bool:
    """Whether process ``pid`` (with its :func:`pidfd` ``fd``, if any) is gone."""
    if fd is not None:
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM, interval: float = 0.5) -> None:
    """Make this process receive ``sig`` when ``parent_pid`` exits: the parent-death signal,
    an immediate check (the parent may already be gone), and a watchdog thread for the rest."""
    set_parent_death_signal(sig)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
        return
    fd = pidfd(parent_pid)

    def watch() -> None:
        while True:
            if fd is not None:
                readable, _, _ = select.select([fd], [], [], interval)
                gone = bool(readable)
            else:
                threading.Event().wait(interval)
                gone = os.getppid() != parent_pid
            if gone:
                with contextlib.suppress(OSError):
                    os.kill(os.getpid(), sig)
                return

    threading.Thread(target=watch, name="p2c-parent-watch", daemon=True).start()


def exit_now(code: int) -> None:
    """End this process with ``code`` without tearing down its interpreter: ``atexit``
    handlers run and the standard streams are flushed, but modules are not unloaded one by one
    (0.1–0.2 s for a process that has imported pandas or nbconvert, spent freeing memory the
    system takes back anyway). Only when no other non-daemon thread is alive (the interpreter
    would wait for it); otherwise this returns and the caller exits as usual. Daemon threads
    end either way."""
    main = threading.main_thread()
    if any(t is not main and not t.daemon for t in threading.enumerate()):
        return
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
