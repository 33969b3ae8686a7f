"""The derived-data cache (issue 12): computed once, keyed by the inputs' SHA-256 and the code,
never trusted blindly, and never in the way of provenance."""

from __future__ import annotations

import functools
import sys
import types
import warnings
from pathlib import Path

import pandas as pd
import pytest

from p2c_analysis import cache, paths


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("P2C_CACHE_DIR", str(folder))
    return folder


def _loader(source: Path, calls: list[int], name: str = "test.table"):
    @cache.derived(name)
    def table(scale: int = 1) -> pd.DataFrame:
        calls.append(scale)
        raw = pd.read_csv(paths.track(source))
        out = raw.assign(double=raw["n"] * 2 * scale)
        out["label"] = out["label"].astype("string")
        out["flag"] = out["n"].gt(1)
        out["maybe"] = pd.array([1, None, 3], dtype="Int64")
        return out

    return table


@pytest.fixture()
def source(tmp_path) -> Path:
    f = tmp_path / "input.csv"
    f.write_text("label,n\na,1\nb,2\nc,3\n")
    return f


def _fresh_process(table) -> None:
    """What a new process sees: an empty memory cache, an empty list of files read."""
    table.cache_clear()
    paths._FILES_READ.clear()
    cache._USES.clear()


def test_computed_once_then_read_back_identical(cache_dir, source):
    calls: list[int] = []
    table = _loader(source, calls)
    first = table()
    assert cache.uses()["test.table"] == "built" and calls == [1]
    assert table() is first and calls == [1]  # memory, same process
    _fresh_process(table)
    again = table()
    assert calls == [1] and cache.uses()["test.table"] == "cache"
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert [repr(t) for t in again.dtypes] == [repr(t) for t in first.dtypes]
    assert again.to_csv() == first.to_csv()
    # provenance: a cached result still records the file it rests on
    assert str(source.resolve()) in paths._FILES_READ
    table(2)  # other arguments, other entry
    assert calls == [1, 2]
    assert not any(cache_dir.glob("**/*.tmp"))


def test_a_changed_input_or_code_is_rebuilt(cache_dir, source, monkeypatch):
    calls: list[int] = []
    table = _loader(source, calls)
    table()
    source.write_text("label,n\na,1\nb,5\nc,3\n")
    _fresh_process(table)
    assert table()["double"].tolist() == [2, 10, 6] and calls == [1, 1]
    assert cache.uses()["test.table"] == "built"
    _fresh_process(table)
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of the package")
    table()
    assert calls == [1, 1, 1]


def test_entries_unused_for_a_month_are_removed_when_one_is_built(cache_dir, source,
                                                                   monkeypatch):
    import os
    import time

    calls: list[int] = []
    table = _loader(source, calls)
    table(1)
    table(2)  # two entries: (parquet, meta, inputs) each
    assert len(list(cache_dir.iterdir())) == 6
    month_ago = time.time() - (cache.KEEP_DAYS + 1) * 86400
    for f in cache_dir.iterdir():
        os.utime(f, (month_ago, month_ago))
    _fresh_process(table)
    table(1)  # read: marks entry 1 as used, removes nothing
    assert calls == [1, 2] and len(list(cache_dir.iterdir())) == 6
    monkeypatch.setattr(cache, "code_digest", lambda: "the next version of the package")
    _fresh_process(table)
    table(3)  # built: entry 2, unused for a month, goes; entry 1 was read just now
    assert calls == [1, 2, 3] and len(list(cache_dir.iterdir())) == 6  # entries 1 and 3
    monkeypatch.undo()
    monkeypatch.setenv("P2C_CACHE_DIR", str(cache_dir))
    _fresh_process(table)
    table(1)
    assert calls == [1, 2, 3] and cache.uses()["test.table"] == "cache"  # entry 1 still serves
    table(2)
    assert calls == [1, 2, 3, 2]  # entry 2 is gone: computed again


def test_two_clones_sharing_the_cache_each_read_and_record_their_own_data(
        cache_dir, tmp_path, monkeypatch):
    """Two checkouts of the same code share the user cache: each is checked against, and
    records, its own ``data/`` (not the files of the clone that filled the cache first)."""
    clones = {}
    for name, n in (("a", 1), ("b", 5), ("c", 1)):  # c holds the same data as a
        root = (tmp_path / name).resolve()
        (root / "data").mkdir(parents=True)
        (root / "data" / "input.csv").write_text(f"label,n\nx,{n}\ny,2\nz,3\n")
        clones[name] = root
    calls: list[str] = []

    @cache.derived("test.clones")
    def table() -> pd.DataFrame:
        calls.append(paths.ROOT.name)
        return pd.read_csv(paths.track(paths.ROOT / "data" / "input.csv"))

    def in_clone(name: str) -> tuple[list[int], str]:
        table.cache_clear()
        paths._FILES_READ.clear()
        cache._USES.clear()
        monkeypatch.setattr(paths, "ROOT", clones[name])
        values = table()["n"].tolist()
        assert paths.files_read() == {
            "data/input.csv": paths.sha256(clones[name] / "data" / "input.csv")}
        return values, cache.uses()["test.clones"]

    assert in_clone("a") == ([1, 2, 3], "built")
    assert in_clone("b") == ([5, 2, 3], "built")  # b's own data, not a's cached table
    assert in_clone("a") == ([1, 2, 3], "cache")
    assert in_clone("c") == ([1, 2, 3], "cache")  # same data as a: a's entry serves it
    assert calls == ["a", "b"]
    for index in cache_dir.glob("test.clones-*.inputs.json"):
        assert str(tmp_path) not in index.read_text()  # no clone's location is stored


def test_a_corrupt_file_is_rebuilt_with_a_warning(cache_dir, source):
    calls: list[int] = []
    table = _loader(source, calls)
    good = table()
    (data,) = cache_dir.glob("test.table-*.parquet")
    data.write_bytes(b"PAR1 this is not parquet")
    _fresh_process(table)
    with pytest.warns(cache.CacheWarning, match="unreadable.*rebuilding"):
        rebuilt = table()
    pd.testing.assert_frame_equal(rebuilt, good)
    assert calls == [1, 1]
    _fresh_process(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table()  # the rebuilt file is fine again
    assert calls == [1, 1]


def test_a_file_whose_schema_changed_is_not_trusted(cache_dir, source):
    calls: list[int] = []
    table = _loader(source, calls)
    table()
    (data,) = cache_dir.glob("test.table-*.parquet")
    pd.DataFrame({"other": [1]}).to_parquet(data)
    _fresh_process(table)
    with pytest.warns(cache.CacheWarning, match="differ from its metadata"):
        table()
    assert calls == [1, 1]


@pytest.mark.parametrize("column", [
    [(1, 2), (3,)],  # tuples: Parquet gives arrays back
    [[1.5, float("nan")], [2.0]],  # a list with NaN: JSON gives NaN back, which is not equal
    [["a"], None],  # not a list in every row: left to Parquet, which gives arrays back
], ids=["tuples", "nan-in-list", "list-or-none"])
def test_values_that_do_not_survive_a_round_trip_are_not_stored(cache_dir, source, column):
    @cache.derived("test.lists")
    def lists() -> pd.DataFrame:
        paths.track(source)
        return pd.DataFrame({"xs": column})

    lists()
    assert cache.uses()["test.lists"] == "computed"
    assert not list(cache_dir.glob("test.lists-*.parquet"))


def test_columns_of_lists_round_trip_as_json_text(cache_dir, source):
    """A column whose every value is a list (the pledge table's focus areas, countries, SDGs)
    is stored as JSON text and read back as the same lists, in an object column."""
    value = pd.DataFrame({
        "pledge_id": pd.array(["P1", "P2", "P3"], dtype="string"),
        "countries": [["GHA", "NGA"], [], ["CIV"]],
        "sdgs": [[9, 17], [4], []],
        "beneficiaries": [["Côte d'Ivoire schools", "=1+1"], ["rural \"villages\""], []],
        "n": [1, 2, 3],
    })

    @cache.derived("test.pledges")
    def pledges() -> pd.DataFrame:
        paths.track(source)
        return value.copy()

    pledges()
    assert cache.uses()["test.pledges"] == "built"
    pledges.cache_clear()
    again = pledges()
    assert cache.uses()["test.pledges"] == "cache"
    pd.testing.assert_frame_equal(again, value, check_exact=True)
    assert [type(x) for x in again["sdgs"].iloc[0]] == [int, int]
    assert again["beneficiaries"].iloc[0] == ["Côte d'Ivoire schools", "=1+1"]


def test_dicts_of_tuples_round_trip(cache_dir, source):
    value = {"World": ("AFG", "ALB"), "Empty": (), "LDC": ("AFG",)}

    @cache.derived("test.groups")
    def groups() -> dict:
        paths.track(source)
        return dict(value)

    groups()
    groups.cache_clear()
    assert groups() == value and list(groups()) == list(value)
    assert cache.uses()["test.groups"] == "cache"


def test_disabled_and_default_locations(monkeypatch, tmp_path, source):
    monkeypatch.setenv("P2C_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    calls: list[int] = []
    table = _loader(source, calls, "test.off")
    table()
    assert cache.uses()["test.off"] == "computed"
    monkeypatch.delenv("P2C_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "p2c-analysis" / "derived"
    monkeypatch.delenv("XDG_CACHE_HOME")
    default = cache.cache_dir()
    assert default is not None and paths.DATA not in default.parents
    assert paths.ROOT not in default.parents  # not in the checkout either


def test_the_log_a_kernel_writes_for_the_runner(cache_dir, source, tmp_path, monkeypatch):
    log = tmp_path / "uses.json"
    monkeypatch.setenv("P2C_CACHE_LOG", str(log))
    table = _loader(source, [], "test.logged")
    table()
    assert '"test.logged": "built"' in log.read_text()


def test_replay_provenance_lists_the_files_of_cached_results(source, monkeypatch):
    mod = types.ModuleType("p2c_analysis._replay_probe")

    @functools.cache
    def load() -> str:
        return paths.track(source).read_text()

    load.__module__ = mod.__name__
    mod.load = load
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    assert cache.replay_provenance([mod.__name__]) == 1
    assert getattr(mod.load, "_p2c_replaying", False)
    mod.load()
    paths._FILES_READ.clear()  # e.g. a kernel forked from the template that loaded it
    mod.load()
    assert str(source.resolve()) in paths._FILES_READ
    mod.load.cache_clear()


def test_a_file_changed_after_it_was_read_has_no_checksum_in_the_provenance(tmp_path):
    """data_files.json hashed each file when the report finished: a file changed during the
    run was recorded with the checksum of bytes the report never read."""
    import time

    f = tmp_path / "input.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    paths.track(f)
    assert paths.files_read()[str(f)] == paths.sha256(f)
    time.sleep(0.01)
    f.write_text("a\n2\n3\n", encoding="utf-8")
    paths.track(f)  # read again: the first reading is what counts
    assert paths.files_read()[str(f)] == paths.CHANGED_AFTER_READING
