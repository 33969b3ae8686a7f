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

A process also remembers the manifest it wrote last (per run folder, :class:`_Written`): when
the file on disk is still byte for byte what it wrote, recording a report's entry neither parses
the file again nor encodes the other entries again (each entry's JSON text is kept), so a write
costs about its file's bytes, not a parse and an encoding of every report (the manifest of a
215-report run, 0.8 MB: about 4 ms a write instead of 13; ``benchmarks/bench_manifest.py``).
A file another process wrote since is parsed as before (only the entries that changed are
encoded); the bytes written are the same either way (tested).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
#: A run folder's name, its run id: the start time (UTC) and 6 random hex digits, so that run
#: ids sort in the order the runs started (``runner.new_run_id``).
RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")

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


def run_folders(out: Path) -> list[Path]:
    """The run folders in ``out`` with a manifest, oldest first (by run id: the order they
    started). Links (``out/latest``) and other folders are left out."""
    return sorted(p for p in Path(out).glob("*") if RUN_ID.fullmatch(p.name)
                  and p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file())


def read(run_dir: Path) -> dict[str, Any]:
    """The manifest as it is on disk (``{}`` when there is none yet). Raises
    :class:`ManifestReadError` naming the file when it is not a JSON object (edited, cut off)
    or not shaped as the runner writes it (:func:`shape_problem`)."""
    path = run_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as err:
        raise ManifestReadError(f"{path}: not a valid run manifest (not JSON: {err})") from None
    if not isinstance(data, dict):
        raise ManifestReadError(f"{path}: not a valid run manifest (not a JSON object)")
    problem = shape_problem(data)
    if problem:
        raise ManifestReadError(f"{path}: not a valid run manifest ({problem})")
    return data


def shape_problem(data: dict[str, Any]) -> str | None:
    """What in a manifest is not as the runner writes it, in the fields it reads back: its
    ``reports`` a list of objects, each with a text ``name`` and a ``folder`` that is text or
    null; ``resumed`` a list. ``None`` when it is fine (missing fields are)."""
    reports = data.get("reports")
    if reports is not None and not isinstance(reports, list):
        return "its reports are not a list"
    for e in reports or []:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            return "a report entry is not an object with a name"
        if not isinstance(e.get("folder"), str | None):
            return f"the folder of report {e['name'][:80]!r} is not a name"
    if not isinstance(data.get("resumed", []), list):
        return "its resumed list is not a list"
    return None


def _temp_write(run_dir: Path, data: dict[str, Any], texts: list[str] | None = None
                ) -> tuple[Path, str, str | None]:
    """Write ``data`` to a temporary file in ``run_dir`` (removed again if anything fails):
    compact JSON while the run is ``running``, indented otherwise (see the module docstring).
    ``texts``: the report entries' compact JSON texts, when known (:func:`_encode`). Returns the
    file, the text written and that of everything but the entries (see :func:`_encode`)."""
    tmp = run_dir / f".{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp"
    text, rest = _encode(data, texts)
    text += "\n"
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
    return tmp, text, rest


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


#: Stands for the report entries while the rest of a manifest is encoded (:func:`_encode`).
_REPORTS_SLOT = "\x00p2c-manifest-reports\x00"


def _encode(data: dict[str, Any], texts: list[str] | None = None) -> tuple[str, str | None]:
    """``data`` as JSON: indented unless the run is ``running``; compact, the text is that of
    ``json.dumps(data)``, built from ``texts`` (one per entry of ``data["reports"]``, each that
    entry's compact JSON) when given, so that unchanged entries are not encoded again. Also
    returns, when so built, the text of the rest of ``data`` (its ``reports`` a placeholder)."""
    reports = data.get("reports")
    if data.get("state") != "running" or texts is None or not isinstance(reports, list) \
            or len(texts) != len(reports):
        return _dumps(data, None if data.get("state") == "running" else 2), None
    rest = _dumps({**data, "reports": _REPORTS_SLOT})
    slot = _dumps(_REPORTS_SLOT)
    if rest.count(slot) != 1:  # a value of the header spells the slot: encode it all
        return _dumps(data), None
    return rest.replace(slot, "[" + ", ".join(texts) + "]"), rest


@dataclass
class _Written:
    """What this process last wrote as a run's manifest: the file's text, the manifest (its
    own copy, decoded from what it wrote; never handed out to be changed in place) and each
    entry's compact JSON text."""

    text: str
    manifest: dict[str, Any]
    texts: list[str]


#: The last manifest this process wrote, per run folder (a few run folders at most).
_WRITTEN: OrderedDict[str, _Written] = OrderedDict()
_KEEP_WRITTEN = 4


def _remember(run_dir: Path, text: str, manifest: dict[str, Any], texts: list[str]) -> None:
    key = str(run_dir)
    _WRITTEN[key] = _Written(text, manifest, texts)
    _WRITTEN.move_to_end(key)
    while len(_WRITTEN) > _KEEP_WRITTEN:
        _WRITTEN.popitem(last=False)


def _forget(run_dir: Path) -> None:
    _WRITTEN.pop(str(run_dir), None)


def _entry_texts(manifest: dict[str, Any], known: _Written | None
                 ) -> tuple[list[str], list[Any]] | None:
    """Each report entry's compact JSON text, and this process's own copy of the entry: both
    taken from ``known`` for an entry equal to one it wrote, else the text encoded and the copy
    ``None`` (decoded from the text once written); ``None`` when there is no list of entries."""
    reports = manifest.get("reports")
    if not isinstance(reports, list):
        return None
    before: dict[Any, tuple[Any, str]] = {}
    if known is not None:
        for e, t in zip(known.manifest.get("reports") or [], known.texts, strict=False):
            if isinstance(e, dict):
                before[e.get("name")] = (e, t)
    texts: list[str] = []
    own: list[Any] = []
    for e in reports:
        old = before.get(e.get("name")) if isinstance(e, dict) else None
        if old is not None and (old[0] is e or old[0] == e):
            texts.append(old[1])
            own.append(old[0])
        else:
            texts.append(_dumps(e))
            own.append(None)
    return texts, own


def _current(run_dir: Path) -> tuple[dict[str, Any], _Written | None]:
    """Under the lock: the manifest on disk, and what this process last wrote there when the
    file is still exactly that (its manifest is then a shallow copy of the remembered one:
    entries may be replaced in its ``reports`` list, not changed in place)."""
    path = run_dir / MANIFEST
    known = _WRITTEN.get(str(run_dir))
    if known is None:
        return read(run_dir), None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    if text != known.text:  # another process wrote it since (read again by :func:`read`,
        return read(run_dir), known  # which says what is wrong with a file it cannot use)
    manifest = dict(known.manifest)
    if isinstance(manifest.get("reports"), list):
        manifest["reports"] = list(manifest["reports"])
    return manifest, known


def _commit(run_dir: Path, manifest: dict[str, Any], known: _Written | None,
            between: Callable[[Path], None] | None = None) -> None:
    """Write ``manifest`` (entries equal to ``known``'s keep their text) and remember it;
    ``between(tmp)`` runs after the temporary file is written and before it replaces the
    manifest (it removes ``tmp`` itself if it fails)."""
    _forget(run_dir)  # remembered again only once written
    # entry by entry only while running: an ended run's manifest is written indented, whole
    encoded = _entry_texts(manifest, known) if manifest.get("state") == "running" else None
    texts = encoded[0] if encoded is not None else None
    tmp, text, rest = _temp_write(run_dir, manifest, texts)
    if between is not None:
        between(tmp)
    _replace(tmp, run_dir)
    if encoded is not None and rest is not None:
        # this process's own copy (the caller's objects may change later): decoded from what
        # was written, entry by entry, the unchanged ones already its own
        own = json.loads(rest)
        own["reports"] = [e if e is not None else json.loads(t)
                          for t, e in zip(texts, encoded[1], strict=True)]
        _remember(run_dir, text, own, texts)


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
        manifest = read(run_dir)  # parsed: ``change`` may change entries in place
        change(manifest)
        summarise(manifest)
        _commit(run_dir, manifest, _WRITTEN.get(str(run_dir)))
    return manifest


def merge_entry(manifest: dict[str, Any], entry: dict[str, Any], replace: bool = False) -> None:
    """Put ``entry`` in place of the report entry of the same name (fields it lacks are kept,
    unless ``replace``: a report rendered again keeps nothing of its last attempt)."""
    reports = manifest.setdefault("reports", [])
    for i, old in enumerate(reports):
        if old.get("name") == entry.get("name"):
            reports[i] = dict(entry) if replace else {**old, **entry}
            return
    reports.append(dict(entry))


def set_entry(run_dir: Path, entry: dict[str, Any]) -> None:
    """Record one report's entry (e.g. ``running``, ``interrupted``)."""
    with critical_section(), locked(run_dir):
        manifest, known = _current(run_dir)
        merge_entry(manifest, entry)
        summarise(manifest)
        _commit(run_dir, manifest, known)


def publish(run_dir: Path, partial: Path, target: Path, entry: dict[str, Any]) -> None:
    """Make a report's folder appear together with its manifest entry (see the module
    docstring). On failure nothing has changed: ``partial`` is still there and the manifest is
    the previous one; :class:`ManifestError` names the path."""

    def rename(tmp: Path) -> None:
        try:
            partial.rename(target)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ManifestError(err.errno, describe_os_error(err, target)) from None

    with critical_section(), locked(run_dir):
        manifest, known = _current(run_dir)
        merge_entry(manifest, entry)
        summarise(manifest)
        try:
            _commit(run_dir, manifest, known, between=rename)
        except ManifestError:
            if target.is_dir() and not partial.exists():
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
