"""Raw files are byte copies of public files: their SHA-256 must match data/raw/SOURCES.md."""

from __future__ import annotations

import re

import pytest

from p2c_analysis import paths


def _listed_checksums() -> dict[str, str]:
    text = (paths.RAW / "SOURCES.md").read_text(encoding="utf-8")
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})\s+(\S+)$", text, re.M)}


def test_every_raw_file_is_listed():
    listed = _listed_checksums()
    files = {p.name for p in paths.RAW.iterdir() if p.is_file() and p.name != "SOURCES.md"}
    assert files == set(listed), "raw files and SOURCES.md SHA-256 list differ"


@pytest.mark.parametrize("name", sorted(_listed_checksums()))
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
