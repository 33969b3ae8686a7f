"""Manifest benchmark: what recording reports in a run's ``manifest.json`` costs as a batch grows.

Every report rewrites the whole manifest at least twice (``running``, then the locked step that
publishes its folder), so a write grows with the batch and a batch's writes with its square. A
process that wrote the manifest last keeps it (``p2c_analysis.manifest._Written``): while the
file is still what it wrote, a write neither parses the file nor encodes the other entries again.

Measured side by side in one run, on synthetic report entries (``is_synthetic``: shaped like a
``country_profile`` entry, about 3.6 KB each with the checksums of 20 data files), for a batch of
``--n`` reports:

- **plain**: every write parses the file and encodes every entry (the code before this change;
  here the remembered manifest is dropped before each write);
- **one writer**: one process records every report (the runner of a Dask run, one local worker);
- **two writers**: two processes alternate (two local workers): each finds the file changed by the
  other, parses it, and encodes only the entries that changed.

Each prints the mean milliseconds per write and the seconds of a whole batch's writes; the files
written are checked byte for byte against ``json.dumps``.
Run: ``.venv/bin/python benchmarks/bench_manifest.py [--n 215] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from p2c_analysis import manifest as M


def _entry(i: int) -> dict[str, Any]:
    """A synthetic report entry shaped like a ``country_profile`` one."""
    files = {f"data/raw/file_{k:02d}.csv": hashlib.sha256(f"{i}-{k}".encode()).hexdigest()
             for k in range(20)}
    return {"name": f"country_profile-S{i:04d}", "notebook": "notebooks/country_profile.ipynb",
            "parameters": {"country": f"S{i:04d}", "year": 2024, "as_of": "2026-12-03"},
            "status": "running", "started": "2026-12-03T10:00:00Z", "finished": None,
            "folder": None, "html": None, "failed_cell": None, "error": None,
            "worker_pid": 1000 + i % 2, "is_synthetic": True,
            "seconds": {"notebook": 0.9, "cells": 0.8, "kernel": 0.05, "html": 0.01},
            "kernel": {"mode": "warm", "spare": True}, "cache": ["connectivity.country_year"],
            "used_cache": True, "data_files": files,
            "summary": {"Internet use": "40.7%", "People offline": "22.5 M"},
            "title": f"Country profile: Synthetic {i} (S{i:04d}), data for 2024"}


def _batch(n: int, mode: str) -> tuple[float, int]:
    """Seconds of all the manifest writes of a batch of ``n`` reports, and how many writes."""
    caches: list[OrderedDict] = [OrderedDict(), OrderedDict()]
    keep = M._KEEP_WRITTEN
    with tempfile.TemporaryDirectory(prefix="p2c-bench-manifest-") as tmp:
        run = Path(tmp)
        M.update(run, lambda m: m.update(state="running", run_id="bench",
                                         reports=[{"name": _entry(i)["name"],
                                                   "status": "pending"} for i in range(n)]))
        writes, spent = 0, 0.0
        try:
            for i in range(n):
                entry = _entry(i)
                (run / f"{entry['name']}.partial").mkdir()
                if mode == "plain":
                    M._KEEP_WRITTEN = 0
                elif mode == "two writers":
                    M._WRITTEN = caches[i % 2]
                t0 = time.perf_counter()
                M.set_entry(run, entry)
                M.publish(run, run / f"{entry['name']}.partial", run / entry["name"],
                          {**entry, "status": "ok", "folder": entry["name"]})
                spent += time.perf_counter() - t0
                writes += 2
        finally:
            M._KEEP_WRITTEN = keep
            M._WRITTEN = OrderedDict()
        text = (run / M.MANIFEST).read_text(encoding="utf-8")
        plain = json.dumps(json.loads(text), ensure_ascii=False) + "\n"
        if text != plain:
            sys.exit(f"bench_manifest: {mode}: the file is not what json.dumps writes")
        if json.loads(text)["summary"] != {"reports": n, "ok": n, "failed": 0}:
            sys.exit(f"bench_manifest: {mode}: wrong summary")
    return spent, writes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=215, help="reports in the batch (default 215)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, in turn (default 3)")
    args = ap.parse_args(argv)
    modes = ("plain", "one writer", "two writers")
    spent: dict[str, list[float]] = {m: [] for m in modes}
    writes = 0
    for _ in range(args.rounds):
        for mode in modes:  # in turn: a slower minute of the machine weighs on every mode
            seconds, writes = _batch(args.n, mode)
            spent[mode].append(seconds)
    size = len(json.dumps([_entry(i) for i in range(args.n)]))
    print(f"bench_manifest: {args.n} synthetic report entries (is_synthetic), {writes} writes, "
          f"final manifest about {size / 1e6:.2f} MB; medians of {args.rounds} rounds")
    base = statistics.median(spent["plain"])
    for mode in modes:
        s = statistics.median(spent[mode])
        print(f"  {mode:<12} {s:6.2f} s for the batch's writes, {1000 * s / writes:6.2f} ms a "
              f"write; ratio to plain {s / base:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
