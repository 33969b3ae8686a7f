"""Test session set-up: the derived-data cache (``p2c_analysis.cache``) lives in a private
temporary folder, so tests never read or write a user's cache and start from an empty one."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    before = os.environ.get("P2C_CACHE_DIR")
    os.environ["P2C_CACHE_DIR"] = str(tmp_path_factory.mktemp("p2c-cache"))
    yield
    if before is None:
        os.environ.pop("P2C_CACHE_DIR", None)
    else:
        os.environ["P2C_CACHE_DIR"] = before
