"""Memory: which allocator Arrow uses, and handing freed memory back between large steps.

Arrow holds pandas' strings and runs the text engine (:mod:`p2c_analysis.deliverables`).
pyarrow's default allocator (mimalloc) keeps freed memory resident, and glibc's ``malloc`` keeps
the memory of freed temporaries until it is trimmed; either way the freed memory of one step
adds to the next step's peak. At a million pledges, extract + score peaked about 0.6 GB higher
before these two rules (``benchmarks/bench_quality.py``):

- importing ``p2c_analysis`` makes Arrow use the system allocator, unless the environment
  variable ``ARROW_DEFAULT_MEMORY_POOL`` chooses one (:func:`use_system_allocator`); kernels and
  workers started from here inherit the choice (and jemalloc, unused, runs no thread);
- the large steps call :func:`release` when they are done with a large temporary.

Nothing here changes a result; only where memory sits.
"""

from __future__ import annotations

import os
import sys

#: Environment variable of the jemalloc bundled in libarrow (its ``MALLOC_CONF``), read when
#: libarrow loads.
JEMALLOC_CONF = "JE_ARROW_MALLOC_CONF"


def use_system_allocator() -> None:
    """Arrow allocates with the system allocator, unless ``ARROW_DEFAULT_MEMORY_POOL`` is set
    (then nothing changes), and the jemalloc bundled in libarrow, unused then, starts no
    background thread (unless :data:`JEMALLOC_CONF` is set). Does not import pyarrow: Arrow
    reads the variables when it loads and at its first allocation; when pyarrow is already
    loaded (e.g. by pandas), its pool is switched now (its jemalloc thread stays)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    # jemalloc, bundled in libarrow, then holds nothing; its background thread (started when
    # libarrow loads) would only wake up to purge memory nobody allocated, and it is one more
    # thread whose locks fork() copies (the kernel template forks a kernel per report)
    os.environ.setdefault(JEMALLOC_CONF, "background_thread:false")
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.set_memory_pool(pa.system_memory_pool())


def release() -> None:
    """Hand memory freed by a large step back to the system (Arrow's pool; with the system
    allocator this is ``malloc_trim``). A few milliseconds, but memory handed back must be
    faulted in again by the next allocations (at a million pledges about 0.3 s for an
    ``allocate`` call): call it where the peak matters more than the time (the quality job),
    between large steps, never in tight loops."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
