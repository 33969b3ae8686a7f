"""Raw files are byte copies of public files: their SHA-256 must match data/raw/SOURCES.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from p2c_analysis import paths


def _listed_checksums() -> dict[str, str]:
    text = (paths.RAW / "SOURCES.md").read_text(encoding="utf-8")
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})\s+(\S+)$", text, re.M)}


BUNDLED = sorted(p.name for p in paths.RAW.iterdir() if p.is_file() and p.name != "SOURCES.md")


def test_every_raw_file_is_listed_and_read_by_the_package():
    # SOURCES.md is the data team's copy: it may list files the package does not bundle
    assert set(BUNDLED) <= set(_listed_checksums()), "a raw file has no SHA-256 in SOURCES.md"
    read = {p.name for p in vars(paths).values() if isinstance(p, Path) and p.parent == paths.RAW}
    assert set(BUNDLED) == read, "raw files and the paths the package reads differ"


@pytest.mark.parametrize("name", BUNDLED)
def test_raw_file_checksum(name):
    assert paths.sha256(paths.RAW / name) == _listed_checksums()[name], (
        f"data/raw/{name} changed: raw files are never edited (cleaning is code)"
    )


def test_sha256_detects_a_change(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"a,b\n1,2\n")
    before = paths.sha256(f)
    f.write_bytes(b"a,b\n1,3\n")
    assert paths.sha256(f) != before


def test_files_read_records_tracked_paths():
    paths.track(paths.COUNTRY_CODES)
    read = paths.files_read()
    assert read["data/raw/country-codes.csv"] == _listed_checksums()["country-codes.csv"]
