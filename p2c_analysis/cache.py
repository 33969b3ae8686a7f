"""Derived data computed once: Parquet files keyed by their inputs' SHA-256 and the code.

Tables the package derives from the bundled files — the country-year connectivity table, the
reference table of economies, group memberships, the parsed ITU workbook, the bundled pledge
record as parsed and checked — cost tenths of a second to a second each, and every report used
to recompute them. A loader decorated with
:func:`derived` is computed once per process (like ``functools.cache``) and, across processes,
stored as Parquet in :func:`cache_dir`:

- **key**: the loader's name and arguments, the package version and a digest of the package's
  source code, pandas/pyarrow versions (``<name>-<args>.inputs.json`` lists the files the loader
  read), then the SHA-256 of each of those files (``<name>-<key>.parquet`` + ``.meta.json``).
  A changed input, package version or line of code gives another key: nothing stale is read.
  Files inside the project are listed relative to its root and looked up in the project that
  reads the cache, so two clones sharing the user cache each check, and record, their own
  ``data/`` (one clone's edited file never hits the other's entry).
- **never trusted blindly**: a file that cannot be read, whose SHA-256 is not the one its
  metadata recorded when it was written (Parquet has no checksum of its own: a flipped bit in
  a data page is read back as another number, with no error), or whose shape or column types
  differ from its metadata, is rebuilt with a warning. A result is stored only when reading it back
  gives an identical frame (values, dtypes, index), so a cached table is byte-for-byte the
  table the code computes.
- **provenance**: a result read from the cache still records its input files with
  ``paths.track`` (``data_files.json`` lists what the report rests on, cached or not).
- **pruned**: entries neither built nor read for :data:`KEEP_DAYS` days (older code and data)
  are removed when a new one is built (:func:`prune`).
- **where**: ``$P2C_CACHE_DIR`` if set (``off`` or empty: no disk cache), else the user cache
  folder (``$XDG_CACHE_HOME/p2c-analysis/derived`` or ``~/.cache/p2c-analysis/derived``) —
  never inside ``data/``. Files are written atomically (temporary file + rename).
- **reporting**: :func:`uses` says, per loader, where this process got the result (``cache``,
  ``built``, ``computed``; ``template/...`` when a warm kernel inherited it from its template).
  With ``$P2C_CACHE_LOG`` set, the same is written there as JSON (the runner sets it per
  report and records it in ``manifest.json``).

:func:`replay_provenance` wraps every ``functools`` cache of the package so a cached result
replays the files it read: the warm kernel template (:mod:`p2c_analysis.kernels`) installs it
before loading data, so reports forked from it list the same data files as cold ones.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from p2c_analysis import paths

ENV_DIR = "P2C_CACHE_DIR"
ENV_LOG = "P2C_CACHE_LOG"
_FORMAT = 2  # bump when the on-disk layout changes (2: inputs relative to the project)

_USES: dict[str, str] = {}


class CacheWarning(UserWarning):
    """A cache file was unreadable or inconsistent and has been rebuilt."""


def cache_dir() -> Path | None:
    """Folder of the derived-data cache, or ``None`` when disabled (``P2C_CACHE_DIR=off``), or
    when the folder named would be inside one of the package's own folders (``data/``,
    ``notebooks/``, the code, ``tests/``: :func:`paths.package_folder_holding`), which nothing
    writes: then a :class:`CacheWarning` names it and the tables are computed, not stored."""
    text = os.environ.get(ENV_DIR)
    if text is not None:
        text = text.strip()
        if text.lower() in {"", "off", "0", "none", "false"}:
            return None
        folder = Path(text).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "p2c-analysis" / "derived"
    return None if _in_package(str(folder)) else folder


@functools.cache
def _in_package(folder: str) -> bool:
    """Whether ``folder`` is in one of the package's own folders (warned once per folder)."""
    try:
        holder = paths.package_folder_holding(folder)
    except (OSError, RuntimeError):  # a name the system refuses: writing it fails, suppressed
        return False
    if holder is None:
        return False
    warnings.warn(f"p2c cache: {folder} is inside {holder[1]} ({holder[0]}), which is never "
                  f"written: derived tables are computed, not stored (set {ENV_DIR} to a "
                  "folder outside the package)", CacheWarning, stacklevel=3)
    return True


@functools.cache
def code_digest() -> str:
    """SHA-256 over the package version, its source files and the pandas/pyarrow versions."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"format {_FORMAT}\n".encode())
    for dist in ("p2c-analysis", "pandas", "pyarrow", "numpy"):
        try:
            h.update(f"{dist} {version(dist)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{dist} -\n".encode())
    for src in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()


# --- which data files a computation read -------------------------------------------------------
@contextlib.contextmanager
def recording() -> Iterator[dict[str, Path]]:
    """Collect the files ``paths.track`` records while the block runs (also recorded as usual
    in the process's list). Nested blocks see their inner blocks' files."""
    outer = paths._FILES_READ
    inner: dict[str, Path] = {}
    paths._FILES_READ = inner
    try:
        yield inner
    finally:
        paths._FILES_READ = outer
        outer.update(inner)


def _track_all(files: Any) -> None:
    for f in files:
        paths.track(f)


# --- reporting ----------------------------------------------------------------------------------
def uses() -> dict[str, str]:
    """``{loader name: source}`` for the derived tables this process has used."""
    return dict(_USES)


def _note(name: str, source: str) -> None:
    if _USES.get(name) == source:
        return
    _USES[name] = source
    log = os.environ.get(ENV_LOG)
    if log:
        with contextlib.suppress(OSError):
            paths.replace_text(Path(log), json.dumps(_USES, indent=1, sort_keys=True),
                               sync=False)


# --- storing values -----------------------------------------------------------------------------
def _to_frame(value: Any) -> tuple[Any, Any] | None:
    """The frame to store for ``value`` and its kind, or ``None`` if it cannot be stored. A
    frame's columns of lists (every value a list, such as the pledge table's ``focus_areas``)
    are stored as JSON text, kind ``{"frame": "lists", "columns": [...]}``; whether that gives
    the frame back exactly is checked like everything else (:func:`_store`)."""
    import pandas as pd

    if type(value) is pd.DataFrame:
        lists = [c for c in value.columns if value[c].dtype == object and len(value)
                 and all(type(x) is list for x in value[c])]  # fmt: skip
        if not lists:
            return value, "frame"
        frame = value.copy()
        for c in lists:
            frame[c] = pd.array([json.dumps(x, ensure_ascii=False) for x in value[c]],
                                dtype="string")
        return frame, {"frame": "lists", "columns": [str(c) for c in lists]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if all(isinstance(v, tuple) and all(isinstance(x, str) for x in v)
               for v in value.values()):  # fmt: skip
            rows = [(k, i, x) for k, v in value.items() for i, x in enumerate(v)]
            empty = [k for k, v in value.items() if not v]
            frame = pd.DataFrame(rows, columns=["key", "pos", "item"])
            extra = pd.DataFrame({"key": empty, "pos": -1, "item": ""})
            frame = pd.concat([frame, extra], ignore_index=True) if empty else frame
            frame["order"] = frame["key"].map({k: i for i, k in enumerate(value)})
            return frame, "dict_of_tuples"
    return None


def _from_frame(frame: Any, kind: Any) -> Any:
    import pandas as pd

    if kind == "frame":
        return frame
    if isinstance(kind, dict) and kind.get("frame") == "lists":
        for c in kind["columns"]:
            frame[c] = pd.Series([json.loads(x) for x in frame[c]], index=frame.index,
                                 dtype=object)
        return frame
    out: dict[str, tuple[str, ...]] = {}
    frame = frame.sort_values(["order", "pos"], kind="stable")
    for key, sub in frame.groupby("key", sort=False):
        out[str(key)] = tuple(str(x) for x, p in zip(sub["item"], sub["pos"], strict=True)
                              if p >= 0)  # fmt: skip
    return out


def _same(a: Any, b: Any) -> bool:
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        return (isinstance(b, pd.DataFrame) and a.shape == b.shape
                and list(a.columns) == list(b.columns)
                and [repr(t) for t in a.dtypes] == [repr(t) for t in b.dtypes]
                and type(a.index) is type(b.index) and a.index.equals(b.index)
                and a.equals(b))  # fmt: skip
    return bool(a == b)


def _schema(frame: Any) -> dict[str, Any]:
    return {"shape": list(frame.shape), "columns": [str(c) for c in frame.columns],
            "dtypes": [repr(t) for t in frame.dtypes]}  # fmt: skip


def _read_parquet(path: Path) -> Any:
    import pandas as pd

    return pd.read_parquet(path, engine="pyarrow", use_threads=False)


def _read_checked(path: Path, meta: dict[str, Any]) -> Any:
    """The frame of the Parquet file ``path`` when its shape and column types are those of
    ``meta["schema"]`` and its bytes have the hex SHA-256 ``meta["sha256"]`` (recorded when
    it was written); ``ValueError`` naming the difference otherwise. The bytes hashed are the
    bytes parsed (read once)."""
    import io

    blob = path.read_bytes()
    frame = _read_parquet(io.BytesIO(blob))  # type: ignore[arg-type]
    if _schema(frame) != meta["schema"]:
        raise ValueError("columns or types differ from its metadata")
    recorded = meta.get("sha256")
    if not isinstance(recorded, str) or hashlib.sha256(blob).hexdigest() != recorded:
        raise ValueError("its SHA-256 differs from the one recorded when it was written")
    return frame


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_json(path: Path, data: Any) -> None:
    paths.replace_text(path, json.dumps(data, indent=1), sync=False)


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _load_or_build(name: str, fn: Callable[..., Any], args: tuple, kwargs: dict
                   ) -> tuple[Any, tuple[str, ...], str]:
    folder = cache_dir()
    if folder is None:
        with recording() as rec:
            value = fn(*args, **kwargs)
        return value, tuple(rec), "computed"
    stem = _SAFE.sub("_", name)
    arg_key = hashlib.sha256(
        json.dumps([name, repr(args), repr(sorted(kwargs.items())), code_digest()]).encode()
    ).hexdigest()[:20]
    index = folder / f"{stem}-{arg_key}.inputs.json"
    hit = _try_read(folder, stem, arg_key, index)
    if hit is not None:
        return hit
    with recording() as rec:
        value = fn(*args, **kwargs)
    files = tuple(sorted(rec))
    source = "computed"
    with contextlib.suppress(OSError, ValueError, TypeError, ImportError):
        if _store(folder, stem, arg_key, index, value, files):
            source = "built"
    return value, files, source


def _portable(file: str) -> str:
    """How an input file is named in the cache: relative to the project root if inside it
    (POSIX separators), else its absolute path."""
    try:
        return Path(file).relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(file)


def _local(name: str) -> str:
    """The file a cached input name stands for in this project (see :func:`_portable`)."""
    p = Path(name)
    return str(p if p.is_absolute() else (paths.ROOT / p).resolve())


def _data_key(arg_key: str, files: tuple[str, ...]) -> str:
    """Key of a result from the SHA-256 of its input ``files`` (absolute paths), named as
    :func:`_portable` names them: identical data in two clones gives the same key."""
    h = hashlib.sha256(arg_key.encode())
    for f in files:
        h.update(_portable(f).encode() + b"\0" + paths.sha256(f).encode() + b"\0")
    return h.hexdigest()[:32]


def _try_read(folder: Path, stem: str, arg_key: str, index: Path
              ) -> tuple[Any, tuple[str, ...], str] | None:
    try:
        files = tuple(_local(f) for f in json.loads(index.read_text(encoding="utf-8"))["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # never built (or unreadable: it is rewritten on the next build)
    try:
        key = _data_key(arg_key, files)
    except OSError:
        return None  # an input is gone: rebuild (and fail there if it must)
    data, meta_path = folder / f"{stem}-{key}.parquet", folder / f"{stem}-{key}.meta.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        frame = _read_checked(data, meta)
        value = _from_frame(frame, meta["kind"])
    except Exception as err:  # noqa: BLE001 - whatever is wrong, the file is not trusted
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        warnings.warn(f"p2c cache: {data} is unreadable ({msg}); rebuilding it",
                      CacheWarning, stacklevel=4)
        for p in (data, meta_path):
            with contextlib.suppress(OSError):
                p.unlink()
        return None
    for used in (index, meta_path):  # marks the entry as used (see prune)
        with contextlib.suppress(OSError):
            os.utime(used)
    _track_all(files)
    return value, files, "cache"


def _store(folder: Path, stem: str, arg_key: str, index: Path, value: Any,
           files: tuple[str, ...]) -> bool:
    packed = _to_frame(value)
    if packed is None:
        return False
    frame, kind = packed
    folder.mkdir(parents=True, exist_ok=True)
    key = _data_key(arg_key, files)
    data, meta_path = folder / f"{stem}-{key}.parquet", folder / f"{stem}-{key}.meta.json"

    digest: list[str] = []  # the SHA-256 of the bytes checked, before they are renamed

    def write(tmp: Path) -> None:
        frame.to_parquet(tmp, engine="pyarrow")
        back = _read_parquet(tmp)
        if not (_same(frame, back) and _same(value, _from_frame(back, kind))):
            raise ValueError("not identical after a round trip")
        digest.append(paths.sha256(tmp))

    _write_atomic(data, write)
    _write_json(meta_path, {"kind": kind, "schema": _schema(frame), "sha256": digest[0],
                            "inputs": {_portable(f): paths.sha256(f) for f in files},
                            "code": code_digest()})
    _write_json(index, {"inputs": [_portable(f) for f in files]})
    with contextlib.suppress(OSError):
        prune(folder)
    return True


#: Days a cache entry is kept after it was last built or read (see :func:`prune`).
KEEP_DAYS = 30


def prune(folder: Path, days: float = KEEP_DAYS, now: float | None = None) -> list[Path]:
    """Remove the entries of ``folder`` neither built nor read for ``days`` days: those of
    older code versions and data, which would otherwise collect for good (each release or
    data change builds new ones). Called whenever an entry is built, which is rare; an entry
    removed is only rebuilt if wanted again. Returns the files removed."""
    limit = (time.time() if now is None else now) - days * 86400
    gone = []
    for meta in folder.glob("*.meta.json"):
        if meta.stat().st_mtime < limit:
            for f in (meta.with_name(meta.name[: -len(".meta.json")] + ".parquet"), meta):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
                    gone.append(f)
    for index in folder.glob("*.inputs.json"):  # rewritten at each build of its loader call
        if index.stat().st_mtime < limit:
            with contextlib.suppress(FileNotFoundError):
                index.unlink()
                gone.append(index)
    return gone


# --- the decorators -----------------------------------------------------------------------------
def derived(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a loader of derived data (a DataFrame, or a ``dict`` of ``str`` tuples):
    computed once per process and stored on disk as described in the module docstring. Use it
    in place of ``functools.cache``; arguments must be hashable literals. The wrapper has
    ``cache_clear()`` (this process's memory only)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        memo: dict[Any, tuple[Any, tuple[str, ...], str, int]] = {}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = (args, tuple(sorted(kwargs.items())))
            held = memo.get(key)
            if held is None:
                value, files, source = _load_or_build(name, fn, args, kwargs)
                memo[key] = held = (value, files, source, os.getpid())
            else:
                _track_all(held[1])
            value, _files, source, pid = held
            _note(name, source if pid == os.getpid() else f"template/{source}")
            return value

        wrapper.cache_clear = memo.clear  # type: ignore[attr-defined]
        wrapper._p2c_derived = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


def replayed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``functools.cache`` whose every call records the data files the first call read (as
    :func:`replay_provenance` makes the package's caches do in a kernel template): for an
    intermediate result that several :func:`derived` loaders share, so that it is computed
    once and each loader still lists its input files."""
    return _replaying(functools.cache(fn))


def _replaying(fn: Any) -> Callable[..., Any]:
    """``fn`` (a ``functools`` cache) that replays the files its first call read."""
    files_by_key: dict[Any, tuple[str, ...]] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        known = files_by_key.get(key)
        if known is None:
            with recording() as rec:
                value = fn(*args, **kwargs)
            files_by_key[key] = tuple(rec)
            return value
        value = fn(*args, **kwargs)
        _track_all(known)
        return value

    def cache_clear() -> None:
        files_by_key.clear()
        fn.cache_clear()

    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    wrapper.cache_info = fn.cache_info  # type: ignore[attr-defined]
    wrapper._p2c_replaying = True  # type: ignore[attr-defined]
    return wrapper


#: Modules of the runner, not of reports: their caches hold no data, kernel templates do not
#: import them.
RUNNER_MODULES = frozenset({"cli", "runner", "execution", "planning", "kernels", "htmlexport",
                            "cluster", "frontpage", "manifest", "lifecycle", "startup", "cache"})


def replay_provenance(modules: Iterable[str] | None = None) -> int:
    """Wrap every module-level ``functools`` cache of the imported ``p2c_analysis`` modules (or
    of ``modules``) so that a cached result replays the data files its computation read (see
    the module docstring). Call before any data is loaded. Returns the number wrapped."""
    n = 0
    wanted = set(modules) if modules is not None else None
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("p2c_analysis.") or mod is None:
            continue
        if wanted is not None and mod_name not in wanted:
            continue
        if mod_name.rsplit(".", 1)[-1] in RUNNER_MODULES:
            continue
        for attr, obj in list(vars(mod).items()):
            if (isinstance(obj, functools._lru_cache_wrapper)
                    and getattr(obj, "__module__", None) == mod_name):  # fmt: skip
                setattr(mod, attr, _replaying(obj))
                n += 1
    return n
