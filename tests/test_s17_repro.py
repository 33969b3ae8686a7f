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
