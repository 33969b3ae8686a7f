"""Bundled pledge and reference files are byte copies: their SHA-256 must match the lists in
data/pledges/README.md and data/reference/README.md (cleaning is code, never an edit)."""

from __future__ import annotations

import re

import pytest

from p2c_analysis import paths


def _listed(folder) -> dict[str, str]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})\s+(\S+)$", text, re.M)}


CASES = [(folder, name) for folder in (paths.PLEDGES, paths.REFERENCE)
         for name in sorted(_listed(folder))]


def test_new_copies_are_listed():
    listed = _listed(paths.PLEDGES) | _listed(paths.REFERENCE)
    for p in (paths.PUBLIC_PLEDGES_ADDITIONS, paths.PUBLISHED_AGGREGATES_ADDITIONS,
              paths.STATUS_EVIDENCE, paths.ITU_HEADLINE_FIGURES, paths.INVESTMENT_NEEDS):
        assert p.name in listed, f"{p.name} has no SHA-256 in its folder's README"


@pytest.mark.parametrize(("folder", "name"), CASES, ids=[n for _, n in CASES])
def test_bundled_copy_checksum(folder, name):
    assert paths.sha256(folder / name) == _listed(folder)[name], (
        f"{folder.name}/{name} changed: bundled copies are never edited"
    )
