"""Test helpers for the runner: the ``p2c`` command as a user runs it, run folders, and the
check that a run's manifest describes exactly the folders on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from p2c_analysis import paths

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
TCP_WARNING = "Kernel is running over TCP without encryption"


def p2c_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # no Makefile help


def p2c(*args: str, cwd: Path | None = None, timeout: float = 300,
        **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the ``p2c`` command as a user would (new process, real terminal streams)."""
    return subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", *args],
        capture_output=True, text=True, cwd=cwd or paths.ROOT, env=p2c_env(), timeout=timeout,
        **kw,
    )


def runs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())


def manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "manifest.json").read_text())


def assert_manifest_matches_folders(run_dir: Path) -> dict[str, Any]:
    """Every report folder is described by the manifest and every entry by the folders: ``ok``
    ⇔ ``<name>/``, ``failed`` ⇔ ``<name>.FAILED/`` (or no folder), anything else ⇒ no final
    folder. No temporary file is left."""
    m = manifest(run_dir)
    entries = {e["name"]: e for e in m["reports"]}
    special = {"logs", "manifest.json", "index.html", ".kernels", ".lock"}
    for p in run_dir.iterdir():
        if p.name in special:
            continue
        assert not p.name.endswith(".tmp"), f"temporary file left: {p.name}"
        base = p.name.removesuffix(".FAILED").removesuffix(".partial")
        assert base in entries, f"{p.name} is not described by the manifest"
    for name, e in entries.items():
        ok, failed = (run_dir / name).is_dir(), (run_dir / f"{name}.FAILED").is_dir()
        status = e["status"]
        if status == "ok":
            assert ok and e["folder"] == name, (name, e)
        elif status == "failed":
            assert not ok, (name, e)
            if failed:
                assert e["folder"] == f"{name}.FAILED", (name, e)
            else:
                assert e.get("folder") in (None, f"{name}.partial"), (name, e)
        else:
            assert not ok and not failed, (name, e)
    return m
