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


THREADS = ("import os, time\n"
           "import p2c_analysis, pyarrow\n"
           "time.sleep(0.2)\n"
           "print(sorted(open(f'/proc/self/task/{t}/comm').read().strip()\n"
           "             for t in os.listdir('/proc/self/task')))\n"
           "print(os.environ.get('JE_ARROW_MALLOC_CONF'))\n")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux /proc")
@pytest.mark.parametrize("pool", [None, "jemalloc"])
def test_unused_jemalloc_runs_no_background_thread(pool):
    # with the system allocator, libarrow's jemalloc holds nothing: its background thread
    # (a thread whose locks every fork of the kernel template copies) is not started. A user
    # who chose jemalloc keeps it as jemalloc configures itself.
    env = {k: v for k, v in os.environ.items()
           if k not in ("ARROW_DEFAULT_MEMORY_POOL", "JE_ARROW_MALLOC_CONF")}
    if pool:
        env["ARROW_DEFAULT_MEMORY_POOL"] = pool
    out = subprocess.run([sys.executable, "-c", THREADS], capture_output=True, text=True,
                         env=env, check=True).stdout.splitlines()
    if pool is None:
        assert "jemalloc_bg_thd" not in out[0]
        assert out[1] == "background_thread:false"
    else:
        assert out[1] == "None"
