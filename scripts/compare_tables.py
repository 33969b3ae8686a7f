"""Compare the CSV tables of two report runs byte for byte (a refactoring must not move them).

    .venv/bin/python scripts/compare_tables.py BEFORE_RUN AFTER_RUN [--allow TABLE:COLUMN ...]

``BEFORE_RUN`` and ``AFTER_RUN`` are run folders (``reports/<run-id>`` or ``reports/latest``).
Every ``<report>/<table>.csv`` of the first run must exist in the second with the same bytes.
When they differ, the differing cells are listed; ``--allow table.csv:column`` accepts
differences confined to that column (an intended fix), and anything else fails. Files only in
the second run (new tables) are listed but allowed. Exit code 0 = identical (up to the allowed
columns), 1 = differences.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def cell_differences(before: Path, after: Path) -> list[tuple[int, str, str, str]]:
    """``(row, column, before, after)`` of each differing cell (row 1 = first data row); a
    different header or row count is reported as row 0."""
    a, b = _rows(before), _rows(after)
    if not a or not b or a[0] != b[0] or len(a) != len(b):
        return [(0, "<layout>", f"{len(a)} rows: {a[:1]}", f"{len(b)} rows: {b[:1]}")]
    header = a[0]
    out = []
    for i, (ra, rb) in enumerate(zip(a[1:], b[1:], strict=True), start=1):
        for col, x, y in zip(header, ra, rb, strict=True):
            if x != y:
                out.append((i, col, x, y))
    return out


def compare(before: Path, after: Path, allowed: set[str]) -> int:
    """Print the comparison of two run folders; return the number of unexplained differences."""
    problems = 0
    tables = sorted(p.relative_to(before) for p in before.glob("*/*.csv"))
    for rel in tables:
        other = after / rel
        if not other.is_file():
            print(f"MISSING  {rel}")
            problems += 1
            continue
        if other.read_bytes() == (before / rel).read_bytes():
            print(f"same     {rel}")
            continue
        diffs = cell_differences(before / rel, other)
        bad = [d for d in diffs if f"{rel.name}:{d[1]}" not in allowed]
        status = "DIFFERS " if bad else "allowed "
        print(f"{status} {rel}: {len(diffs)} cell(s)")
        for row, col, x, y in diffs[:20]:
            print(f"           row {row} {col}: {x!r} -> {y!r}")
        problems += len(bad)
    for rel in sorted(p.relative_to(after) for p in after.glob("*/*.csv")):
        if not (before / rel).is_file():
            print(f"new      {rel}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--allow", action="append", default=[], metavar="TABLE.csv:COLUMN")
    args = parser.parse_args(argv)
    problems = compare(args.before.resolve(), args.after.resolve(), set(args.allow))
    print("identical" if problems == 0 else f"{problems} unexplained difference(s)")
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
