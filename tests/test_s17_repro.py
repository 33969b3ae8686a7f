"""Reproducibility and synthetic marking: bugs found in session 17 (helper s17d)."""

from __future__ import annotations

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


def _fresh_process(table) -> None:
    table.cache_clear()
    paths._FILES_READ.clear()
    cache._USES.clear()


def test_a_cache_file_with_a_flipped_bit_is_rebuilt_not_read_as_other_numbers(cache_dir,
                                                                             tmp_path):
    """A flipped bit in a cached Parquet data page kept its shape and column types, so the
    schema check passed and the cache served another number with no warning (Qatar's
    Internet use in 2008 read 28.59 % instead of 44.3 %). The file's SHA-256 is now recorded
    when it is written and checked when it is read."""
    source = tmp_path / "input.csv"
    source.write_text("n\n" + "\n".join(str(i * 1.25) for i in range(200)) + "\n")
    calls: list[int] = []

    @cache.derived("test.bits")
    def table() -> pd.DataFrame:
        calls.append(1)
        return pd.read_csv(paths.track(source)).astype({"n": "float64"})

    good = table()
    (data,) = cache_dir.glob("test.bits-*.parquet")
    blob = data.read_bytes()
    flipped = None
    for pos in range(4, len(blob) - 8):  # the first bit flip that pyarrow reads as data
        trial = bytearray(blob)
        trial[pos] ^= 0x01
        data.write_bytes(bytes(trial))
        try:
            back = pd.read_parquet(data)
        except Exception:  # noqa: BLE001 - this byte breaks the file: try the next
            continue
        if back.shape == good.shape and not back.equals(good):
            flipped = back
            break
    assert flipped is not None  # the corrupt file reads as other numbers
    _fresh_process(table)
    with pytest.warns(cache.CacheWarning, match="SHA-256"):
        again = table()
    pd.testing.assert_frame_equal(again, good, check_exact=True)
    assert calls == [1, 1] and cache.uses()["test.bits"] == "built"
    _fresh_process(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table()  # the rebuilt file is trusted again
    assert calls == [1, 1] and cache.uses()["test.bits"] == "cache"


def _forget_checked_folders() -> None:
    """Forget which cache folders this process has checked (and warned about)."""
    checked = getattr(cache, "_in_package", None)
    if checked is not None:
        checked.cache_clear()


def test_a_cache_folder_inside_the_bundled_data_is_never_written(monkeypatch, tmp_path):
    """``P2C_CACHE_DIR=data/cache`` wrote Parquet files into the bundled data folder, which
    nothing writes (the README: the cache lives "never under data/"). The disk cache is now
    off for such a folder, with a warning naming it; the table is computed as before."""
    target = paths.DATA / "s17d-cache-test"
    assert not target.exists()
    monkeypatch.setenv("P2C_CACHE_DIR", str(target))
    _forget_checked_folders()
    source = tmp_path / "input.csv"
    source.write_text("n\n1\n2\n")

    @cache.derived("test.inside")
    def table() -> pd.DataFrame:
        return pd.read_csv(paths.track(source))

    try:
        with pytest.warns(cache.CacheWarning, match="inside the bundled data"):
            assert table()["n"].tolist() == [1, 2]
        assert cache.uses()["test.inside"] == "computed"
        assert not target.exists()
    finally:
        if target.exists():  # the old code wrote there: leave the checkout clean
            import shutil

            shutil.rmtree(target)
        _forget_checked_folders()
    monkeypatch.setenv("P2C_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache.cache_dir() == tmp_path / "elsewhere"  # a folder outside: used as before


def test_a_chart_of_synthetic_pledges_says_so_in_its_source_line():
    """A chart of a report on synthetic pledges read "Source: pledge file syn.csv": copied
    out of its report (the banner stays on the page), nothing on it said the numbers are
    not real. ``style.set_pledge_source(name, synthetic=True)`` now names them so."""
    from p2c_analysis import plots, style

    try:
        style.set_pledge_source("syn.csv", synthetic=True)
        fig = plots.bars(pd.Series({"ACCESS": 3, "ADOPTION": 1}), "Pledges", "Number")
        texts = [t.get_text() for t in fig.texts]
        assert any(t.startswith("Source: SYNTHETIC DATA, not real pledges: pledge file syn.csv")
                   for t in texts), texts
        style.set_pledge_source("real.csv")
        assert style.source_text(style.SOURCES["pledges"]) == "Source: pledge file real.csv"
        style.set_pledge_source(None, synthetic=True)  # synthetic rows in the bundled record
        assert style.source_text(style.SOURCES["pledges"]) == (
            "Source: SYNTHETIC DATA, not real pledges: Partner2Connect pledges (ITU)")
    finally:
        style.set_pledge_source(None)
    assert style.source_text(style.SOURCES["pledges"]) == "Source: Partner2Connect pledges (ITU)"


@pytest.mark.parametrize("given", [None, "export.csv", Path("export.csv"), [1, 2]],
                         ids=["none", "file-name", "path", "list"])
def test_a_checked_function_given_no_table_names_itself_in_one_line(given):
    """``gaps.allocate("export.csv")`` (a file name where a table is meant) raised pandera's
    ``TypeError: expected pd.DataFrame, got <class 'str'>``, naming neither the function nor
    the parameter; it is now the one-line PledgeTableError the decorator promises."""
    from p2c_analysis import fields, gaps

    with pytest.raises(fields.PledgeTableError,
                       match=r"^pledges given to allocate: a pledge table \(pandas DataFrame\) "
                             r"is needed, not ") as err:
        gaps.allocate(given)
    assert "\n" not in str(err.value)
    if isinstance(given, str):
        assert "'export.csv'" in str(err.value)
