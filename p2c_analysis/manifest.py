"""``manifest.json`` of a run: one file, changed only atomically and under a lock.

Several processes write it: the runner (the run's header, its end, an interruption) and each
worker (its report's entry, at the moment its folder appears). Every change is a
read-modify-write under an exclusive ``flock`` on the run folder, written to a temporary file
in the run folder and renamed over ``manifest.json``, so a reader never sees half a file and no
writer loses another's change. If the temporary file cannot be written (full disk, read-only
folder) it is removed and :class:`ManifestError` names the path; the previous manifest stays.

:func:`publish` is how a report's folder appears: under the lock, the new manifest (with the
report's final entry) is written first, then ``<name>.partial/`` is renamed to its final name,
then the manifest is put in place. Between the two renames only SIGKILL can stop the process
(workers defer SIGTERM/SIGINT over this section, see :func:`critical_section`), so the manifest
always describes the folders on disk; :func:`reconcile` repairs the one case left (a process
killed outright between the two renames) from what is on disk.

While its run is ``running`` the manifest is written as compact JSON: every report rewrites the
whole file at least twice, and indenting it (Python's slower encoder) took most of the time of
a write, which grows with the batch (about 18 ms a write at 200 reports, 9 ms compact). Once
the run has ended (``finished``, ``interrupted``, ...) it is written indented, for reading.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"

#: Statuses of a report entry. ``ok``: folder ``<name>/``; ``failed``: ``<name>.FAILED/`` (or no
#: folder when nothing could be kept, e.g. a remote worker died); the others: no final folder
#: (``running``/``interrupted`` may have ``<name>.partial/``).
FINAL = ("ok", "failed")


class ManifestError(OSError):
    """The manifest (or a report folder) could not be written; the message names the path."""


class ManifestReadError(ValueError):
    """A run's manifest on disk is not a JSON object; the message names the file."""


def describe_os_error(err: OSError, path: str | Path | None = None) -> str:
    """``"<path>: <reason>"`` for an OS error, never a traceback."""
    where = path or err.filename
    reason = err.strerror or (errno.errorcode.get(err.errno or 0)) or str(err)
    return f"{where}: {reason}" if where else str(reason)


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Exclusive lock on the run folder (``flock`` on its directory descriptor): one writer at a
    time across processes. No lock file is created."""
    fd = os.open(run_dir, os.O_RDONLY)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: single-process writes only
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read(run_dir: Path) -> dict[str, Any]:
    """The manifest as it is on disk (``{}`` when there is none yet). Raises
    :class:`ManifestReadError` naming the file when it is not a JSON object (edited, cut off)."""
    path = run_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as err:
        raise ManifestReadError(f"{path}: not a valid run manifest (not JSON: {err})") from None
    if not isinstance(data, dict):
        raise ManifestReadError(f"{path}: not a valid run manifest (not a JSON object)")
    return data


def _temp_write(run_dir: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` to a temporary file in ``run_dir`` (removed again if anything fails):
    compact JSON while the run is ``running``, indented otherwise (see the module docstring)."""
    tmp = run_dir / f".{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp"
    indent = None if data.get("state") == "running" else 2
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str) + "\n"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):
            raise ManifestError(err.errno, describe_os_error(err, run_dir / MANIFEST)) from None
        raise
    return tmp


def _replace(tmp: Path, run_dir: Path) -> None:
    try:
        os.replace(tmp, run_dir / MANIFEST)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ManifestError(err.errno, describe_os_error(err, run_dir / MANIFEST)) from None


def summarise(manifest: dict[str, Any]) -> None:
    """Recompute ``manifest["summary"]`` (counts) from its report entries."""
    reports = manifest.get("reports") or []
    manifest["summary"] = {
        "reports": len(reports),
        "ok": sum(r.get("status") == "ok" for r in reports),
        "failed": sum(r.get("status") == "failed" for r in reports),
    }


def update(run_dir: Path, change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Apply ``change`` (mutates the manifest dict in place) under the lock and write the result
    atomically. Returns the new manifest. Raises :class:`ManifestError` naming the path."""
    with critical_section(), locked(run_dir):
        manifest = read(run_dir)
        change(manifest)
        summarise(manifest)
        _replace(_temp_write(run_dir, manifest), run_dir)
    return manifest


def merge_entry(manifest: dict[str, Any], entry: dict[str, Any]) -> None:
    """Put ``entry`` in place of the report entry of the same name (fields it lacks are kept)."""
    reports = manifest.setdefault("reports", [])
    for i, old in enumerate(reports):
        if old.get("name") == entry.get("name"):
            reports[i] = {**old, **entry}
            return
    reports.append(dict(entry))


def set_entry(run_dir: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Record one report's entry (e.g. ``running``, ``interrupted``)."""
    return update(run_dir, lambda m: merge_entry(m, entry))


def publish(run_dir: Path, partial: Path, target: Path, entry: dict[str, Any]) -> None:
    """Make a report's folder appear together with its manifest entry (see the module
    docstring). On failure nothing has changed: ``partial`` is still there and the manifest is
    the previous one; :class:`ManifestError` names the path."""
    with critical_section(), locked(run_dir):
        manifest = read(run_dir)
        merge_entry(manifest, entry)
        summarise(manifest)
        tmp = _temp_write(run_dir, manifest)
        try:
            partial.rename(target)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ManifestError(err.errno, describe_os_error(err, target)) from None
        try:
            _replace(tmp, run_dir)
        except ManifestError:
            with contextlib.suppress(OSError):
                target.rename(partial)  # keep folders and manifest in step
            raise


def reconcile(run_dir: Path) -> list[str]:
    """Make the entries agree with the folders on disk (after a process was killed outright).
    Returns the names of the entries changed."""
    changed: list[str] = []

    def fix(manifest: dict[str, Any]) -> None:
        for e in manifest.get("reports") or []:
            name = str(e.get("name"))
            ok, failed = run_dir / name, run_dir / f"{name}.FAILED"
            status = e.get("status")
            if ok.is_dir() and status != "ok":
                e.update(status="ok", folder=name,
                         note="entry recovered from the folder after an interruption")
            elif failed.is_dir() and status != "failed":
                e.update(status="failed", folder=failed.name,
                         note="entry recovered from the folder after an interruption")
            elif status == "ok" and not ok.is_dir():
                e.update(status="interrupted", folder=None)
            elif status == "interrupted" and (run_dir / f"{name}.partial").is_dir() and \
                    e.get("folder") != f"{name}.partial":
                e.update(folder=f"{name}.partial")  # as reports/README.md describes it
            elif status == "failed" and e.get("folder") and not (run_dir / e["folder"]).is_dir():
                e.update(folder=None)
            else:
                continue
            changed.append(name)

    update(run_dir, fix)
    return changed


# --- sections a signal must not cut in two -----------------------------------------------------
_deferred: list[int] = []
_depth = 0


@contextlib.contextmanager
def critical_section() -> Iterator[None]:
    """Defer SIGTERM and SIGINT while the block runs (main thread only; elsewhere a no-op): a
    signal arriving inside is re-raised when the block ends, so a report's folder and its
    manifest entry are never separated by a polite kill."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    if _depth == 0:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda signum, frame: _deferred.append(signum))
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            pending, _deferred[:] = list(_deferred), []
            for signum in pending[:1]:
                signal.raise_signal(signum)
