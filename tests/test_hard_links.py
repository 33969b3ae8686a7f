"""A table written where a hard link to another file stands replaces the link, never writes
through it: a copy of a checkout made with hard links (``cp -al``, ``rsync --link-dest``)
shares the bundled data's files."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from p2c_analysis import export, pledges, report

TABLE = pd.DataFrame({"a": [1, 2], "b": ["x", "=y"]})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_table_written_over_a_hard_link_leaves_the_linked_file(tmp_path: Path,
                                                                 suffix: str) -> None:
    bundled = tmp_path / "bundled.csv"
    bundled.write_bytes(b"the bundled data\n")
    target = tmp_path / f"out{suffix}"
    os.link(bundled, target)
    (export.write_csv if suffix == ".csv" else export.write_xlsx)(TABLE, target)
    assert bundled.read_bytes() == b"the bundled data\n"
    assert bundled.stat().st_nlink == 1 and target.read_bytes() != b"the bundled data\n"


def test_a_symbolic_link_is_followed_and_a_device_written(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    export.write_csv(TABLE, link)
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("a,b\n")
    export.write_csv(TABLE, Path(os.devnull))  # still a device afterwards
    assert not Path(os.devnull).is_file()


def test_check_pledges_out_over_a_hard_link_leaves_the_linked_file(tmp_path: Path) -> None:
    bundled = tmp_path / "country-codes.csv"
    bundled.write_bytes(b"bundled\n")
    out = tmp_path / "clean.csv"
    os.link(bundled, out)
    src = tmp_path / "p.csv"
    src.write_text("title,pledger,value_as_stated\nA,Org,USD 5 million\n", encoding="utf-8")
    assert pledges.check_pledges_cli(str(src), out=str(out)) == 0
    assert bundled.read_bytes() == b"bundled\n" and "Org" in out.read_text(encoding="utf-8")


def test_a_reports_json_over_a_hard_link_leaves_the_linked_file(tmp_path: Path) -> None:
    bundled = tmp_path / "bundled.json"
    bundled.write_bytes(b"{}\n")
    out = tmp_path / "out"
    out.mkdir()
    os.link(bundled, out / "parameters.json")
    report.write_provenance(out, {"year": 2024})
    assert bundled.read_bytes() == b"{}\n"
    assert '"year": 2024' in (out / "parameters.json").read_text(encoding="utf-8")
