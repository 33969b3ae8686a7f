"""The snapshot store: immutable, dated copies of pledge tables, so two reports can be compared.

A **snapshot** is the canonical pledge table of one pledge export (loaded by
:func:`p2c_analysis.pledges.load_pledges`; the rows it set aside are stored too) or of the bundled
public record as known on a date (:func:`p2c_analysis.record.public_record`), with the date it
describes (``as_of``). Besides the canonical columns it keeps ``status_source`` and
``status_date_basis`` (:data:`p2c_analysis.evidence.STATUS_COLUMNS`).

**As of its date**: a snapshot holds the pledges of its table as of ``as_of``. The public record
admits a pledge from the last day of its stated announcement period
(:func:`p2c_analysis.record.known_from`). A pledge *file* holds whatever its owner exported, so
its valid pledges announced after ``as_of`` (:func:`p2c_analysis.pledges.announced_after`: the
stated day, month or year begins after it; a pledge with no date stays) are not among the
snapshot's pledges: they are stored apart, in ``after_as_of.parquet``, so nothing is lost.
:func:`resolve` applies the same rule to a pledge file named directly. A snapshot of a file
stored before that rule has no ``after_as_of.parquet`` (its ``pledges.parquet`` holds every
valid pledge): it is read as it is stored and split as it is read, its files untouched.

Likewise a pledge file's **own statuses** are as of ``as_of``: a status whose report is dated
after it (:func:`p2c_analysis.evidence.split_reported_after`) was not known then, so the pledge
is stored with status ``unknown`` and no report (``last_report_date`` NaT), as the public record
treats a pledge with no evidence by its date; the pledge's row as the file states it is stored
apart in ``statuses_after_as_of.parquet``. A status with no report date stays known. A snapshot
of a file stored before that rule (no such file) is cut as it is read, its files untouched, so a
comparison never counts a status move dated after its side's date.

Layout of a store folder (default ``data/snapshots/``, git-ignored; overridden by the
environment variable :data:`STORE_ENV` = ``P2C_SNAPSHOT_STORE``, and by an explicit ``store``)::

    index.json                 {"format": "p2c-snapshot-index", "version": 1, "snapshots": [...]}
    .lock                      lock file (fcntl.flock) serialising writers
    <id>/pledges.parquet       canonical table (list columns as Arrow list types), read-only
    <id>/quarantine.parquet    rows set aside: source_row, reasons, raw (+ source_file)
    <id>/after_as_of.parquet   (a pledge file) its valid pledges announced after as_of, same
                               columns as pledges.parquet
    <id>/statuses_after_as_of.parquet  (a pledge file) its pledges whose own status is dated
                               after as_of, as the file states them, same columns

Rules:

- **id** = ``<as_of>-<8 hex>``, the hex from SHA-256 of (kind, source SHA-256, mapping SHA-256,
  as_of): the same file with the same mapping and date always gets the same id, so adding it
  again is a **no-op** that says so (the label of the first add is kept).
- **Immutable**: a snapshot's files are written once (to a temporary folder, then renamed into
  place) and made read-only; nothing ever rewrites them. The index records each file's SHA-256
  and every read checks it.
- **Concurrent adds** are serialised by an exclusive ``flock`` on ``.lock``; the index is
  re-read under the lock and replaced atomically (temporary file + ``os.replace``), so two adds
  at once leave a valid index listing both.
- **Anything else in the store** (a foreign file, a corrupt index, a snapshot folder the index
  does not list, a file whose SHA-256 changed) raises :class:`SnapshotError`, one line naming
  the path. Folders named ``.tmp-*`` are writes in progress (or interrupted) and are ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from p2c_analysis import countries, evidence, fields, paths, record
from p2c_analysis.limits import InputFileError, Limits, read_limited
from p2c_analysis.pledges import (
    LoadResult,
    PledgeFileError,
    announced_after,
    load_pledges,
    read_mapping,
)
from p2c_analysis.vocabulary import STATUSES, UNKNOWN

STORE_ENV = "P2C_SNAPSHOT_STORE"
DEFAULT_STORE = paths.DATA / "snapshots"
INDEX_NAME = "index.json"
LOCK_NAME = ".lock"
TMP_PREFIX = ".tmp-"
INDEX_FORMAT = "p2c-snapshot-index"
INDEX_VERSION = 1
PLEDGES_FILE = "pledges.parquet"
QUARANTINE_FILE = "quarantine.parquet"
AFTER_AS_OF_FILE = "after_as_of.parquet"
STATUSES_AFTER_AS_OF_FILE = "statuses_after_as_of.parquet"
KIND_FILE = "file"
KIND_PUBLIC = "public record"
EXTRA_COLUMNS: tuple[str, ...] = evidence.STATUS_COLUMNS
BACKENDS: tuple[str, ...] = ("python", "arrow")
ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Columns of :func:`list_snapshots` (the index entries, files left out).
INDEX_COLUMNS: tuple[str, ...] = (
    "id", "as_of", "label", "kind", "source_file", "source_sha256", "mapping_file",
    "mapping_sha256", "rows_read", "rows_valid", "rows_quarantined", "pledges", "id_kind",
    "package_version", "created",
)


class SnapshotError(ValueError):
    """A snapshot store or snapshot cannot be used; ``str(err)`` is one line naming the path."""


@dataclass
class AddResult:
    """What an add did: ``entry`` (the index entry of the snapshot), ``added`` (False when the
    same snapshot was already stored: nothing was written)."""

    entry: dict
    added: bool

    @property
    def message(self) -> str:
        e = self.entry
        if not self.added:
            return (f"already stored as {e['id']} (as of {e['as_of']}, label "
                    f"{e['label'] or '-'!s}): nothing written")
        later = e["rows_valid"] - e["pledges"]
        if e["kind"] == KIND_FILE:
            not_yet = (f"; {later} valid {'pledge' if later == 1 else 'pledges'} announced "
                       f"after {e['as_of']} kept apart ({AFTER_AS_OF_FILE})" if later else "")
            if n := int(e.get("statuses_after_as_of") or 0):
                not_yet += (f"; {n} self-reported {'status' if n == 1 else 'statuses'} dated "
                            f"after {e['as_of']} left aside (status unknown on that day; "
                            f"{STATUSES_AFTER_AS_OF_FILE})")
        else:
            not_yet = (f"; {later} valid {'pledge' if later == 1 else 'pledges'} not yet known "
                       f"on {e['as_of']}" if later else "")
        stored = f"{e['pledges']} {'pledge' if e['pledges'] == 1 else 'pledges'} stored"
        read = f"{e['rows_read']} {'row' if e['rows_read'] == 1 else 'rows'} read"
        return (f"added {e['id']} (as of {e['as_of']}): {stored}; of {read}, "
                f"{e['rows_valid']} valid, "
                f"{e['rows_quarantined']} set aside{not_yet}")


@dataclass
class Snapshot:
    """A stored snapshot: its index ``entry``, ``pledges`` (canonical columns plus
    :data:`EXTRA_COLUMNS`: the pledges as of its date) and ``quarantine``; ``after_as_of``:
    for a snapshot of a pledge file, its valid pledges announced after ``as_of``, kept apart
    (same columns as ``pledges``; empty when none), ``None`` for the public record;
    ``statuses_after_as_of``: for a snapshot of a pledge file, the pledges whose own status is
    dated after ``as_of``, as the file states them (in ``pledges`` their status is ``unknown``),
    ``None`` for the public record."""

    entry: dict
    pledges: pd.DataFrame
    quarantine: pd.DataFrame
    after_as_of: pd.DataFrame | None = None
    statuses_after_as_of: pd.DataFrame | None = None

    @property
    def id(self) -> str:
        return str(self.entry["id"])

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.entry["as_of"])


@dataclass
class PledgeSource:
    """A pledge table named by a report parameter (see :func:`resolve`): ``kind`` is
    ``"snapshot"``, ``"public record"`` or ``"file"``; ``label`` says which in words;
    ``as_of`` the date it describes; ``n_quarantined`` rows set aside by the loader;
    ``public``: the pledges are the bundled public record (as of a date, or a snapshot of it),
    a small subset of the platform that a report must say it is; ``quarantine``: the rows set
    aside when it was read (``source_row, reasons, raw``), which a report writes out;
    ``after_as_of``: for a pledge file or a snapshot of one, its valid pledges announced after
    ``as_of`` (:func:`split_after_as_of`), left out of ``pledges`` and kept for the report to
    write out (empty when none); ``None`` for the public record, which has its own rule.
    ``statuses_after_as_of``: likewise, the pledges whose own status is dated after ``as_of``
    (:func:`p2c_analysis.evidence.split_reported_after`), as the file states them; in
    ``pledges`` their status is ``unknown`` (``None`` for the public record)."""

    kind: str
    label: str
    as_of: dt.date
    pledges: pd.DataFrame
    n_quarantined: int
    public: bool = False
    quarantine: pd.DataFrame | None = None
    after_as_of: pd.DataFrame | None = None
    statuses_after_as_of: pd.DataFrame | None = None


# --- the store folder --------------------------------------------------------------------------

def store_path(store: str | Path | None = None) -> Path:
    """The store folder: ``store`` if given, else ``$P2C_SNAPSHOT_STORE``, else
    ``data/snapshots/``. Raises :class:`SnapshotError` when it exists and is not a folder."""
    chosen = store if store not in (None, "") else os.environ.get(STORE_ENV) or DEFAULT_STORE
    root = Path(chosen)
    if root.exists() and not root.is_dir():
        raise SnapshotError(f"{root}: snapshot store is not a folder")
    return root


def _read_index(root: Path) -> list[dict]:
    """The index entries; ``[]`` when the store has no index yet."""
    p = root / INDEX_NAME
    if not p.exists():
        return []
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SnapshotError(f"{p}: cannot read the snapshot index ({err})") from None
    except json.JSONDecodeError as err:
        raise SnapshotError(f"{p}: corrupt snapshot index (not JSON: line {err.lineno})") \
            from None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        raise SnapshotError(f"{p}: not a p2c snapshot index (no \"format\": \"{INDEX_FORMAT}\")")
    if data.get("version") != INDEX_VERSION:
        raise SnapshotError(f"{p}: snapshot index version {data.get('version')!r} is not "
                            f"{INDEX_VERSION}")
    entries = data.get("snapshots")
    if not isinstance(entries, list):
        raise SnapshotError(f"{p}: corrupt snapshot index (\"snapshots\" is not a list)")
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not all(k in e for k in (*INDEX_COLUMNS, "files", "key")):
            raise SnapshotError(f"{p}: corrupt snapshot index (entry {i + 1} is incomplete)")
        if outside := _file_outside_its_folder(e):
            raise SnapshotError(f"{p}: corrupt snapshot index (entry {i + 1} names the file "
                                f"{outside!r}, not one of its own folder's)")
    return entries


def _file_outside_its_folder(entry: dict) -> str | None:
    """The first file path of an index entry that is not ``<id>/<file name>`` (a snapshot's
    files are in its own folder: ``../``, an absolute path or another folder would have it
    read, and a report list as its data, a file outside the store); ``None`` when all are,
    and for an id that is no snapshot id or files that are not a mapping of paths."""
    files = entry.get("files")
    sid = str(entry.get("id"))
    if not ID_PATTERN.match(sid) or not isinstance(files, dict):
        return f"{sid}: {files!r}"[:200]
    for f in files.values():
        path = f.get("path") if isinstance(f, dict) else None
        parts = PurePosixPath(path).parts if isinstance(path, str) else ()
        if len(parts) != 2 or parts[0] != sid or parts[1] in (".", "..") or "\\" in path:
            return str(path)[:200]
    return None


def _write_index(root: Path, entries: list[dict]) -> None:
    """Replace the index atomically (temporary file, fsync, rename, fsync of the folder:
    ``paths.replace_text``; the temporary file's name starts with :data:`TMP_PREFIX`, so
    one left by a killed process is no foreign file)."""
    body = json.dumps({"format": INDEX_FORMAT, "version": INDEX_VERSION, "snapshots": entries},
                      indent=1, ensure_ascii=False) + "\n"
    paths.replace_text(root / INDEX_NAME, body, sync=True, sync_folder=True, prefix=TMP_PREFIX)


@contextlib.contextmanager
def _locked(root: Path, exclusive: bool = True) -> Iterator[None]:
    """Hold the store's lock for the block: exclusive for a writer (creates the store and its
    lock file), shared for a reader, which writes nothing: it opens the lock file read-only
    when there is one, and takes no lock when there is none (no writer has made the store
    yet). A reader had created the lock file in any folder named as a store (``p2c snapshot
    list --store data/raw`` wrote ``data/raw/.lock``; ``--store`` naming a snapshot's own
    folder left a file that made the whole store unreadable) and could not read a store it
    may not write."""
    if exclusive:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    else:
        try:  # read-only, and never waiting for a writer: a named pipe there must not block
            fd = os.open(root / LOCK_NAME, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:  # no store, no lock file yet, or one this reader may not open
            yield
            return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # which releases the lock


def _checked_index(root: Path) -> list[dict]:
    """:func:`check_store` under a shared lock: a consistent view while writers work."""
    with _locked(root, exclusive=False):
        return check_store(root)


def check_store(root: Path, entries: list[dict] | None = None) -> list[dict]:
    """Check that the store holds only what the index lists; return the index entries.

    Raises :class:`SnapshotError` for a corrupt index, a file or folder that is not part of
    the store, a listed snapshot whose folder or files are missing, or an extra file in a
    snapshot folder. (File contents are checked when a snapshot is read.)"""
    entries = _read_index(root) if entries is None else entries
    if not root.exists():
        return entries
    listed = {e["id"]: e for e in entries}
    for item in sorted(root.iterdir()):
        name = item.name
        if name in (INDEX_NAME, LOCK_NAME) or name.startswith(TMP_PREFIX):
            continue
        if name not in listed or not item.is_dir():
            if not (root / INDEX_NAME).exists():
                raise SnapshotError(_not_a_store(root, item))
            raise SnapshotError(f"{item}: not part of the snapshot store (foreign file or "
                                "folder; move it out of the store)")
        expected = {Path(f["path"]).name for f in listed[name]["files"].values()}
        extra = sorted(p.name for p in item.iterdir() if p.name not in expected)
        if extra:
            raise SnapshotError(f"{item / extra[0]}: not part of snapshot {name} (foreign file)")
    for sid, e in listed.items():
        for f in e["files"].values():
            if not (root / f["path"]).is_file():
                raise SnapshotError(f"{root / f['path']}: missing (snapshot {sid} is listed in "
                                    "the index)")
    return entries


def _not_a_store(root: Path, item: Path) -> str:
    """The line for a folder named as a store that is none (no index, and ``item`` in it):
    it says so, and names the store when ``root`` is a snapshot's own folder in one (a path
    copied one level too deep). Its files are not the store's to move: "move it out of the
    store" had been the advice for ``--store data/raw``, about the bundled raw data."""
    store = root.resolve().parent
    if ID_PATTERN.match(root.name) and (store / INDEX_NAME).is_file():
        return (f"{root}: is snapshot {root.name} of the store {store}, not a store: give "
                f"--store {store}")
    return (f"{root}: not a snapshot store (no {INDEX_NAME}, and it holds {item.name}); "
            "choose a new or empty folder for one")


# --- writing -----------------------------------------------------------------------------------

def _arrow_type(f: fields.Field) -> pa.DataType:
    if f.is_list:
        return pa.list_(pa.int64() if f.item_type is int else pa.string())
    return {"float64": pa.float64(), "Int64": pa.int64(), "bool": pa.bool_(),
            "datetime64[ns]": pa.timestamp("ns")}.get(f.dtype, pa.string())


def arrow_schema() -> pa.Schema:
    """Arrow schema of a stored pledge table: the canonical fields (lists as list types, the
    status as text) then :data:`EXTRA_COLUMNS` (text)."""
    return pa.schema([pa.field(f.name, _arrow_type(f)) for f in fields.FIELDS]
                     + [pa.field(c, pa.string()) for c in EXTRA_COLUMNS])


def pledges_to_arrow(pledges: pd.DataFrame) -> pa.Table:
    """A canonical pledge table (extra status columns optional) as an Arrow table of
    :func:`arrow_schema`."""
    df = pledges.copy()
    for c in EXTRA_COLUMNS:
        if c not in df.columns:
            df[c] = pd.array([None] * len(df), dtype="string")
    df = df.loc[:, [*fields.CANONICAL_COLUMNS, *EXTRA_COLUMNS]]
    df["status"] = df["status"].astype(str)
    return pa.Table.from_pandas(df, schema=arrow_schema(), preserve_index=False)


def write_pledges_parquet(pledges: pd.DataFrame, path: str | Path) -> Path:
    """Write a pledge table as Parquet in the store's format (see :func:`pledges_to_arrow`)."""
    pq.write_table(pledges_to_arrow(pledges), path)
    return Path(path)


def _write_frame(df: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)


def _key(kind: str, source_sha: str, mapping_sha: str | None, as_of: dt.date) -> str:
    text = json.dumps([kind, source_sha, mapping_sha or "", as_of.isoformat()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored_table(res: LoadResult, as_of: dt.date) -> pd.DataFrame:
    """The export's own statuses, marked as self-reported, with its own report dates, nothing
    cut off at ``as_of`` yet (:func:`_file_side` does): a status with no report date is known by
    ``as_of`` but is no report made then (it used to count as one, so reporting compliance
    differed from implementation_progress on the same file)."""
    events = evidence.self_reported_events(res.valid, as_of)
    out = evidence.apply_events(res.valid, events, None)
    out["last_report_date"] = pd.to_datetime(res.valid["last_report_date"]).astype(
        "datetime64[ns]").to_numpy()
    return out


def _file_side(res: LoadResult, as_of: dt.date
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A loaded pledge file as of ``as_of``: ``(kept, later, statuses_later)``. ``later``: its
    valid pledges announced after ``as_of`` (:func:`split_after_as_of`); ``kept``: the others,
    with their own statuses dated after ``as_of`` left aside (status ``unknown``, report NaT,
    source and date basis ``<NA>``); ``statuses_later``: those pledges as the file states them
    (:func:`p2c_analysis.evidence.split_reported_after`)."""
    kept, later = split_after_as_of(_stored_table(res, as_of), as_of)
    known, statuses_later = evidence.split_reported_after(kept, as_of)
    return known, later, statuses_later


def split_after_as_of(pledges: pd.DataFrame, as_of: object
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A pledge file's table cut at ``as_of`` (a date): ``(kept, later)``, the pledges not
    announced after it and those that were (:func:`p2c_analysis.pledges.announced_after`:
    the first day of the stated day, month or year is after ``as_of``; no date: kept), each
    with a fresh index, same columns, in the order of ``pledges``."""
    later = announced_after(pledges, as_of).to_numpy(dtype=bool)
    return (pledges.loc[~later].reset_index(drop=True),
            pledges.loc[later].reset_index(drop=True))


def _add(root: Path, entry: dict, pledges: pd.DataFrame, quarantine: pd.DataFrame,
         after_as_of: pd.DataFrame | None = None,
         statuses_after_as_of: pd.DataFrame | None = None) -> AddResult:
    """Write one snapshot unless its key is already in the index (see module docstring);
    ``after_as_of``: a pledge file's pledges announced after its date, written as
    :data:`AFTER_AS_OF_FILE`; ``statuses_after_as_of``: its pledges whose own status is dated
    after it, written as :data:`STATUSES_AFTER_AS_OF_FILE` (``None``: no such file, as for the
    public record)."""
    known = {e["key"]: e for e in _checked_index(root)}
    if entry["key"] in known:
        return AddResult(known[entry["key"]], added=False)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    tmp.mkdir()
    files = [("pledges", PLEDGES_FILE), ("quarantine", QUARANTINE_FILE)]
    try:
        write_pledges_parquet(pledges, tmp / PLEDGES_FILE)
        _write_frame(quarantine, tmp / QUARANTINE_FILE)
        if after_as_of is not None:
            write_pledges_parquet(after_as_of, tmp / AFTER_AS_OF_FILE)
            files.append(("after_as_of", AFTER_AS_OF_FILE))
        if statuses_after_as_of is not None:
            write_pledges_parquet(statuses_after_as_of, tmp / STATUSES_AFTER_AS_OF_FILE)
            files.append(("statuses_after_as_of", STATUSES_AFTER_AS_OF_FILE))
        entry["files"] = {
            name: {"path": f"{entry['id']}/{fname}", "sha256": paths.sha256(tmp / fname)}
            for name, fname in files}
        for _, fname in files:
            os.chmod(tmp / fname, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        with _locked(root):
            entries = check_store(root)
            same = [e for e in entries if e["key"] == entry["key"]]
            if same:  # another process added it meanwhile
                return AddResult(same[0], added=False)
            os.rename(tmp, root / entry["id"])
            paths.sync_folder_entries(root)
            _write_index(root, [*entries, entry])
        return AddResult(entry, added=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _check_day(as_of: dt.date) -> None:
    """:class:`SnapshotError` for a snapshot date outside the window an analysis covers
    (``params.AS_OF_RANGE``): a report could not read it back."""
    from p2c_analysis.params import AS_OF_RANGE

    lo, hi = AS_OF_RANGE
    if not lo <= as_of <= hi:
        raise SnapshotError(f"as of {as_of}: outside the dates an analysis covers ({lo} to {hi})")


def _entry(kind: str, as_of: dt.date, label: str | None, source_file: str, source_sha: str,
           mapping_file: str | None, mapping_sha: str | None, n_read: int, n_valid: int,
           n_quarantined: int, n_stored: int, id_kind: str) -> dict:
    from p2c_analysis import __version__

    _check_day(as_of)
    key = _key(kind, source_sha, mapping_sha, as_of)
    return {
        "id": f"{as_of.isoformat()}-{key[:8]}", "as_of": as_of.isoformat(),
        "label": label or None, "kind": kind, "source_file": source_file,
        "source_sha256": source_sha, "mapping_file": mapping_file,
        "mapping_sha256": mapping_sha, "rows_read": n_read, "rows_valid": n_valid,
        "rows_quarantined": n_quarantined, "pledges": n_stored, "id_kind": id_kind,
        "package_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "key": key, "files": {},
    }


def add_file(file: str | Path, mapping: str | Path | None = None, as_of: object = None,
             label: str | None = None, store: str | Path | None = None) -> AddResult:
    """Store the pledge export ``file`` (CSV/XLSX, optional TOML ``mapping``) as a snapshot
    dated ``as_of`` (the date the export describes; default today). Its statuses are the
    export's own (``status_source = "self-reported"``). Its valid pledges announced after
    ``as_of`` (:func:`split_after_as_of`) are not among the snapshot's pledges (the entry's
    ``pledges`` counts the others; ``rows_valid`` all) but stored apart as
    :data:`AFTER_AS_OF_FILE`. Its own statuses dated after ``as_of`` are not known on it
    (:func:`_file_side`): those pledges are stored with status ``unknown`` and no report, their
    rows as the file states them apart as :data:`STATUSES_AFTER_AS_OF_FILE` (counted in the
    entry's ``statuses_after_as_of``). A second add of the same content,
    mapping and date is a no-op (``added=False``). Raises
    :class:`p2c_analysis.pledges.PledgeFileError` for an unreadable file and
    :class:`SnapshotError` for a bad store."""
    root = store_path(store)
    when = countries.as_of_date(as_of)
    with _read_once(file, mapping) as ((source, source_sha), (mapping_copy, mapping_sha)):
        try:
            m = read_mapping(mapping_copy) if mapping_copy is not None else None
            res = load_pledges(source, mapping=m)
        except InputFileError as err:  # named as given, not as the private copy
            raise _as_given(err, {source: file, mapping_copy: mapping}) from None
        finally:  # the copies are gone when this block ends: no data a report used
            for copy, sha in ((source, source_sha), (mapping_copy, mapping_sha)):
                if copy is not None and sha is not None:
                    paths.untrack(copy)
    for given, sha in ((file, source_sha), (mapping, mapping_sha)):
        if given and sha is None:  # refused by the copy, read by the loader: changed meanwhile
            raise PledgeFileError(given, "changed while it was read; add it again")
    id_kind = "source" if "pledge_id" in res.columns_used or (
        m is not None and "pledge_id" in m.constants) else "derived"
    kept, later, statuses_later = _file_side(res, when)
    entry = _entry(KIND_FILE, when, label, Path(file).name, source_sha,
                   Path(mapping).name if mapping else None, mapping_sha,
                   res.n_read, len(res.valid), len(res.quarantine), len(kept), id_kind)
    entry["statuses_after_as_of"] = len(statuses_later)
    return _add(root, entry, kept, res.quarantine, after_as_of=later,
                statuses_after_as_of=statuses_later)


@contextlib.contextmanager
def _read_once(*files: str | Path | None) -> Iterator[list[tuple[Path | None, str | None]]]:
    """``[(copy, sha256)]``: each of ``files`` (a pledge file, its mapping) read once, within
    the file size limit, into a private copy of the same name in a temporary folder (removed
    when the block ends), and the SHA-256 of the bytes copied, so that a snapshot's checksums
    are those of the bytes it loaded: the file was hashed after it was loaded, so a file
    written in between got the checksum of bytes never read (and the loader itself may open
    a file twice). ``None`` stays ``(None, None)``; a file that cannot be read so (missing, a
    folder, a pipe, over the limit) is given as itself with no checksum, for its loader to
    say what is wrong with it."""
    import tempfile

    lim = Limits.from_env()
    with tempfile.TemporaryDirectory(prefix="p2c-snapshot-") as folder:
        out: list[tuple[Path | None, str | None]] = []
        for i, file in enumerate(files):
            if file is None:
                out.append((None, None))
                continue
            p = Path(file)
            try:  # a pipe would block: regular files only (symbolic links followed)
                data = read_limited(p, "file_mb", lim, "pledge file") if p.is_file() else None
            except (InputFileError, OSError):
                data = None
            if data is None:
                out.append((p, None))
                continue
            copy = Path(folder) / str(i) / p.name
            copy.parent.mkdir()
            copy.write_bytes(data)
            out.append((copy, hashlib.sha256(data).hexdigest()))
        yield out


def _as_given(err: InputFileError, names: dict[Path | None, str | Path | None]
              ) -> InputFileError:
    """``err`` naming the file given (``names``: ``{private copy: given}``) instead of its
    private copy (:func:`_read_once`)."""
    for copy, given in names.items():
        if copy is not None and given is not None and err.path == str(copy):
            return type(err)(given, err.what)
    return err


def add_public_record(as_of: object, label: str | None = None, store: str | Path | None = None,
                      undated: str = "vintage") -> AddResult:
    """Store the bundled public record as known on ``as_of``
    (:func:`p2c_analysis.record.public_record`) as a snapshot. Its source SHA-256 is that of
    the record's files' SHA-256 list, so a change in any of them makes a new snapshot."""
    rec = record.public_record(as_of, undated=undated)
    digest = hashlib.sha256(json.dumps(
        sorted(rec.files.items()) + [["undated", undated]]).encode("utf-8")).hexdigest()
    entry = _entry(KIND_PUBLIC, rec.as_of, label, " + ".join(rec.files), digest, None, None,
                   rec.n_read, rec.n_valid, rec.n_quarantined, len(rec.pledges), "derived")
    return _add(store_path(store), entry, rec.pledges, rec.quarantine)


# --- reading -----------------------------------------------------------------------------------

def list_snapshots(store: str | Path | None = None) -> pd.DataFrame:
    """The store's snapshots, one row each (:data:`INDEX_COLUMNS`), sorted by ``as_of`` then
    ``created`` then ``id``; empty when the store is empty or does not exist."""
    entries = _checked_index(store_path(store))
    df = pd.DataFrame([{c: e.get(c) for c in INDEX_COLUMNS} for e in entries],
                      columns=list(INDEX_COLUMNS))
    counts = ("rows_read", "rows_valid", "rows_quarantined", "pledges")
    df = df.astype({c: "int64" if c in counts else "string" for c in INDEX_COLUMNS})
    return df.sort_values(["as_of", "created", "id"], kind="stable").reset_index(drop=True)


def _entry_for(root: Path, snapshot_id: str) -> dict:
    entries = _checked_index(root)
    found = [e for e in entries if e["id"] == snapshot_id]
    if not found:
        raise SnapshotError(f"{root}: no snapshot {snapshot_id!r} (see: p2c snapshot list)")
    return found[0]


def _read_parquet(root: Path, entry: dict, name: str, columns: list[str] | None = None
                  ) -> pa.Table:
    f = entry["files"][name]
    p = paths.track(root / f["path"])  # a report's data_files.json lists what it read
    if paths.sha256(p) != f["sha256"]:
        raise SnapshotError(f"{p}: contents changed since the snapshot was stored (SHA-256 "
                            "differs from the index)")
    try:
        with pq.ParquetFile(p) as f:  # one file: no dataset layer (nor its import time)
            return f.read(columns=columns)
    except (pa.ArrowException, OSError) as err:
        raise SnapshotError(f"{p}: not a readable Parquet file ({str(err).splitlines()[0]})") \
            from None


def table_to_pledges(table: pa.Table, backend: str = "python",
                     columns: Sequence[str] | None = None) -> pd.DataFrame:
    """An Arrow table in the store's format back to a pledge table, columns in canonical
    order plus the :data:`EXTRA_COLUMNS` present (only ``columns``, when given: allowed with
    ``backend="arrow"`` only).

    ``backend="python"``: the canonical dtypes (Python lists in list cells, ordered ``status``
    Categorical; a status outside ``STATUSES`` reads as ``"unknown"``). ``"arrow"``: every
    column Arrow-backed (``pd.ArrowDtype``, the status as text), nearly free for large tables
    and enough for :func:`p2c_analysis.changes.changes_by_pledge`; other functions expect the
    canonical dtypes. Raises ``ValueError`` naming the first missing canonical column or a
    column whose type does not fit."""
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: expected one of {BACKENDS}")
    if columns is not None and backend != "arrow":
        raise ValueError("columns: only with backend='arrow' (a canonical table has them all)")
    wanted = fields.CANONICAL_COLUMNS if columns is None else tuple(columns)
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        raise ValueError(f"not a pledge table (missing column(s) {', '.join(missing)})")
    schema = arrow_schema()
    names = [f.name for f in schema if f.name in table.column_names
             and (columns is None or f.name in wanted)]
    try:
        table = table.select(names).cast(pa.schema([schema.field(n) for n in names]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as err:
        raise ValueError(f"column types do not fit a pledge table ({str(err).splitlines()[0]})")\
            from None
    if backend == "arrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    df = table.drop_columns([f.name for f in fields.FIELDS if f.is_list]).to_pandas()
    cols: dict[str, object] = {}
    for f in fields.FIELDS:
        if f.is_list:
            cols[f.name] = _python_lists(table[f.name])
        elif f.name == "status":
            st = df["status"].astype(object)
            cols[f.name] = st.where(st.isin(STATUSES), UNKNOWN).astype(fields.STATUS_DTYPE)
        else:
            cols[f.name] = df[f.name].astype("string" if f.dtype == "string" else f.dtype)
    for c in EXTRA_COLUMNS:
        cols[c] = (df[c] if c in df.columns else pd.Series([None] * len(df))).astype("string")
    return pd.DataFrame(cols)


def _python_lists(col: pa.ChunkedArray) -> pd.Series:
    """A list column as Python lists (``[]`` for an empty or null cell): the flat values
    converted once, then sliced by the offsets."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    values = arr.flatten().to_pylist()
    bounds = (pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
              .cumsum().tolist())
    starts = [0, *bounds][: len(bounds)]
    return pd.Series([values[a:b] for a, b in zip(starts, bounds, strict=True)], dtype=object)


def read_pledges_parquet(path: str | Path, backend: str = "python",
                         columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A pledge table written by :func:`write_pledges_parquet` (see :func:`table_to_pledges`
    for ``backend`` and ``columns``; with ``columns`` only those are read from the file, e.g.
    ``changes.COMPARISON_COLUMNS``). Raises ``ValueError`` naming the file when it is not
    one."""
    try:
        with pq.ParquetFile(path) as f:  # one file: no dataset layer (nor its import time)
            names = f.schema_arrow.names
            table = f.read(columns=None if columns is None else
                           [c for c in columns if c in names])
        return table_to_pledges(table, backend, columns)
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"{path}: not a readable Parquet file "
                         f"({str(err).splitlines()[0]})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _stored_pledges(root: Path, entry: dict, name: str, backend: str) -> pd.DataFrame:
    """The pledge table ``name`` (``"pledges"``, ``"after_as_of"``) of a snapshot, checked
    against its SHA-256; :class:`SnapshotError` naming the file when it is no pledge table."""
    try:
        return table_to_pledges(_read_parquet(root, entry, name), backend)
    except ValueError as err:
        if isinstance(err, SnapshotError):
            raise
        raise SnapshotError(f"{root / entry['files'][name]['path']}: {err}") from None


def load_snapshot(snapshot_id: str, store: str | Path | None = None,
                  backend: str = "python") -> Snapshot:
    """A stored snapshot (files checked against their SHA-256; ``backend`` as in
    :func:`table_to_pledges`). For a snapshot of a pledge file, ``after_as_of`` holds its
    pledges announced after its date (:data:`AFTER_AS_OF_FILE`); one stored before that file
    existed is split as it is read (:func:`split_after_as_of`), so its ``pledges`` are as of its
    date too. Its ``statuses_after_as_of`` (:data:`STATUSES_AFTER_AS_OF_FILE`) holds its pledges
    whose own status is dated after its date; one stored before that file existed is cut as it
    is read (:func:`p2c_analysis.evidence.split_reported_after`). Raises :class:`SnapshotError`
    for an unknown id or a corrupt file."""
    root = store_path(store)
    entry = _entry_for(root, snapshot_id)
    pledges = _stored_pledges(root, entry, "pledges", backend)
    quarantine = _read_parquet(root, entry, "quarantine").to_pandas()
    after = statuses_later = None
    if "after_as_of" in entry["files"]:
        after = _stored_pledges(root, entry, "after_as_of", backend)
    elif entry.get("kind") == KIND_FILE:  # stored before the rule: every valid pledge
        pledges, after = split_after_as_of(pledges, entry["as_of"])
    if "statuses_after_as_of" in entry["files"]:
        statuses_later = _stored_pledges(root, entry, "statuses_after_as_of", backend)
    elif entry.get("kind") == KIND_FILE:  # stored before the rule: statuses not cut
        pledges, statuses_later = evidence.split_reported_after(pledges, entry["as_of"])
    return Snapshot(entry=entry, pledges=pledges, quarantine=quarantine, after_as_of=after,
                    statuses_after_as_of=statuses_later)


def describe(snapshot: Snapshot) -> dict[str, pd.DataFrame]:
    """What ``p2c snapshot show`` prints: ``counts`` (``item, value``: rows read, valid,
    quarantined, pledges stored (those as of ``as_of``: for the public record, those known on
    it), for a snapshot of a pledge file the valid pledges announced after ``as_of`` and kept
    apart and the self-reported statuses dated after it, left aside, pledges with a value,
    total USD: NaN when no pledge states a value, which ``p2c snapshot show`` prints as ``-``
    as its rows by focus area and status do, not "USD 0"), ``by_focus_area`` (``gaps.tally``
    of ``focus_areas``: ``category, pledges, pledge_share_pct, pledges_with_value, usd,
    usd_share_pct``; a multi-focus pledge counts in each, its USD split) and ``by_status``
    (``status, pledges, usd``, every status listed)."""
    from p2c_analysis import gaps, progress
    from p2c_analysis.vocabulary import FOCUS_AREAS, NOT_STATED

    e, p = snapshot.entry, snapshot.pledges
    usd = p["estimated_value_usd"]
    items = [("rows read", e["rows_read"]), ("rows valid", e["rows_valid"]),
             ("rows set aside (quarantine)", e["rows_quarantined"]), ("pledges stored", len(p))]
    if snapshot.after_as_of is not None:
        items.append(("announced after as of (apart)", len(snapshot.after_as_of)))
    if snapshot.statuses_after_as_of is not None:
        items.append(("self-reported statuses after as of (apart)",
                      len(snapshot.statuses_after_as_of)))
    items += [("pledges with a value", usd.notna().sum()),  # no value stated: NaN, not 0
              ("total USD (stated values)", usd.sum() if usd.notna().any() else float("nan"))]
    counts = pd.DataFrame({"item": [k for k, _ in items], "value": [float(v) for _, v in items]})
    by_focus = gaps.tally(p, "focus_areas", categories=[*FOCUS_AREAS, NOT_STATED])
    by_status = progress.status_distribution(p)[["status", "pledges", "usd"]]
    return {"counts": counts, "by_focus_area": by_focus, "by_status": by_status}


def rests_on_synthetic(snapshot: Snapshot | PledgeSource) -> bool:
    """Whether any row of ``snapshot`` (or of a report's side, :class:`PledgeSource`) is marked
    synthetic, by the rule a report applies to a pledge file (``pledges.rows_marked_synthetic``):
    a pledge stored, or kept apart (announced or status-dated after ``as_of``), with
    ``is_synthetic`` true, or a row set aside whose raw cells say so. ``p2c snapshot show`` then
    says so above its numbers, and pledge_changes on its pages."""
    from p2c_analysis.pledges import any_marked_synthetic, set_aside_marks

    kept = (snapshot.pledges, snapshot.after_as_of, snapshot.statuses_after_as_of)
    aside = snapshot.quarantine
    return any(any_marked_synthetic(f) for f in kept) or \
        (aside is not None and any(mark is True for mark in set_aside_marks(aside)))


def resolve(spec: str | Path, store: str | Path | None = None,
            mapping: str | Path | None = None, as_of: object = None) -> PledgeSource:
    """The pledge table a report parameter names (the ``previous`` / ``current`` parameters):

    - ``"YYYY-MM-DD"``: the bundled public record as known on that date;
    - a snapshot id in the store (``"2025-03-01-1a2b3c4d"``): that snapshot;
    - a path to a pledge file: the file (optional ``mapping``), dated ``as_of`` (default
      today), statuses self-reported as in :func:`add_file`.

    A pledge file, or a snapshot of one, gives its pledges as of its date: those announced
    after it are in ``after_as_of`` (:func:`split_after_as_of`), not in ``pledges``; a status
    of its own dated after it is not known then (the pledge's status is ``unknown``), the
    pledge as the file states it in ``statuses_after_as_of``.

    Raises :class:`SnapshotError` (one line) when ``spec`` is none of these."""
    text = str(spec).strip()
    if DATE_PATTERN.match(text):
        try:
            when = dt.date.fromisoformat(text)
        except ValueError:
            raise SnapshotError(f"{text!r}: not a valid date (YYYY-MM-DD)") from None
        rec = record.public_record(when)
        return PledgeSource("public record", f"public record as of {when.isoformat()}", when,
                            rec.pledges, rec.n_quarantined, public=True,
                            quarantine=rec.quarantine)
    if ID_PATTERN.match(text):
        snap = load_snapshot(text, store)
        label = f"snapshot {snap.id}" + (f" ({snap.entry['label']})" if snap.entry['label']
                                         else "")
        return PledgeSource("snapshot", label, snap.as_of, snap.pledges,
                            int(snap.entry["rows_quarantined"]),
                            public=snap.entry.get("kind") == KIND_PUBLIC,
                            quarantine=snap.quarantine, after_as_of=snap.after_as_of,
                            statuses_after_as_of=snap.statuses_after_as_of)
    if text and Path(text).is_file():
        when = countries.as_of_date(as_of)
        res = load_pledges(text, mapping=mapping)
        kept, later, statuses_later = _file_side(res, when)
        return PledgeSource("file", f"file {Path(text).name} as of {when.isoformat()}", when,
                            kept, len(res.quarantine), quarantine=res.quarantine,
                            after_as_of=later, statuses_after_as_of=statuses_later)
    raise SnapshotError(f"{text!r}: not a date (YYYY-MM-DD), a snapshot id or a pledge file")


#: How far back an empty ``previous`` reaches from the date of the current side (months).
LOOKBACK_MONTHS = 12


def months_before(when: object, months: int = LOOKBACK_MONTHS) -> dt.date:
    """The same day ``months`` calendar months earlier (31 March - 1 month = 28/29 February)."""
    day = countries.as_of_date(when)
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def comparison_sources(previous: str | Path = "", current: str | Path = "",
                       mapping: str | Path | None = None, as_of: object = None,
                       store: str | Path | None = None,
                       lookback_months: int = LOOKBACK_MONTHS
                       ) -> tuple[PledgeSource, PledgeSource]:
    """The two sides of a "what changed" report, ``(previous, current)``, each as
    :func:`resolve` reads it (``mapping`` for pledge files on either side):

    - ``current`` empty: the bundled public record as known on ``as_of`` (default today);
    - ``previous`` empty: the public record ``lookback_months`` months before the date of the
      current side (``as_of`` when ``current`` is empty), at the earliest the first day an
      analysis covers (``params.AS_OF_RANGE``);
    - a pledge file carries no date of its own: it is dated ``as_of`` (store a dated copy with
      ``p2c snapshot add --as-of`` to compare exports of different dates).

    Each side is as of its own date: a pledge file's pledges announced after ``as_of``, and a
    snapshot's after the snapshot's date, are in the side's ``after_as_of``, not compared."""
    when = countries.as_of_date(as_of)
    cur_spec = str(current).strip() or when.isoformat()
    cur = resolve(cur_spec, store=store, mapping=mapping, as_of=when)
    from p2c_analysis.params import AS_OF_RANGE

    earliest = max(months_before(cur.as_of, lookback_months), AS_OF_RANGE[0])  # not 1999
    prev_spec = str(previous).strip() or earliest.isoformat()
    prev = resolve(prev_spec, store=store, mapping=mapping, as_of=when)
    return prev, cur
