"""Tests for p2c_analysis.memory: Arrow's allocator is the system one unless the user chose."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import pandas as pd, pyarrow as pa\n"
         "pd.Series(['a', 'b'], dtype='string')\n"  # Arrow has allocated before the import
         "import p2c_analysis\n"
         "from p2c_analysis import memory\n"
         "memory.release()\n"
         "print(pa.default_memory_pool().backend_name)\n")


def _backend(env_pool: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_import_switches_arrow_to_the_system_allocator():
    assert _backend(None) == "system"


@pytest.mark.parametrize("pool", ["jemalloc", "mimalloc"])
def test_a_users_choice_is_kept(pool):
    assert _backend(pool) == pool
