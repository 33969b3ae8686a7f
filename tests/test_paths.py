"""``paths.replace_bytes`` / ``replace_text``: the one writer of whole files in place."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from p2c_analysis import cache, paths, snapshots


def test_replace_bytes_writes_whole_files_and_leaves_nothing_behind(tmp_path: Path,
                                                                   monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    paths.replace_bytes(target, b"\x00new", sync=True, sync_folder=True, prefix=".tmp-")
    assert target.read_bytes() == b"\x00new" and len(synced) == 2  # the file, then the folder
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]
    # a failure leaves the old file and no temporary file
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(OSError):
        paths.replace_bytes(target, b"lost")
    assert target.read_bytes() == b"\x00new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_threads_of_one_process_never_share_a_temporary_file(tmp_path: Path):
    """The temporary file was named by the process id alone: two threads replacing one file
    at once wrote into the same temporary file (one renamed the other's half-written bytes,
    the other's rename failed: "No such file or directory")."""
    target = tmp_path / "front.html"
    errors: list[BaseException] = []
    payloads = [f"thread {i} " * 2000 for i in range(8)]

    def write(text: str) -> None:
        try:
            for _ in range(150):
                paths.replace_text(target, text, sync=False)
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_text(encoding="utf-8") in payloads
    assert [p.name for p in tmp_path.iterdir()] == ["front.html"]


def test_the_snapshot_index_and_the_cache_write_through_replace_bytes(tmp_path: Path,
                                                                      monkeypatch):
    """The snapshot index and the cache's JSON files (its entries' metadata, its use log)
    each had a temporary-file-then-rename writer of their own; they use ``paths``' one."""
    written: list[tuple[str, bool, bool, str]] = []
    real = paths.replace_bytes

    def record(target, data, sync=True, sync_folder=False, prefix="."):
        written.append((Path(target).name, sync, sync_folder, prefix))
        real(target, data, sync=sync, sync_folder=sync_folder, prefix=prefix)

    monkeypatch.setattr(paths, "replace_bytes", record)
    store = tmp_path / "store"
    store.mkdir()
    snapshots._write_index(store, [])
    cache._write_json(tmp_path / "x.meta.json", {"a": 1})
    monkeypatch.setenv(cache.ENV_LOG, str(tmp_path / "uses.json"))
    monkeypatch.setattr(cache, "_USES", {})
    cache._note("loader", "cache")
    assert written == [(snapshots.INDEX_NAME, True, True, snapshots.TMP_PREFIX),
                       ("x.meta.json", False, False, "."), ("uses.json", False, False, ".")]
    assert snapshots.check_store(store) == []
    assert [p.name for p in store.iterdir()] == [snapshots.INDEX_NAME]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store", "uses.json", "x.meta.json"]
