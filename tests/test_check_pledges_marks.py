"""check-pledges says a synthetic file is synthetic, marks the rows it sets aside, and counts
in words that agree with the number."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from p2c_analysis import export, synthetic
from p2c_analysis.pledges import check_pledges_cli


def test_a_synthetic_file_is_said_and_its_set_aside_rows_marked(tmp_path: Path,
                                                                 capsys) -> None:
    rows = synthetic.make_pledges(3, seed=2).astype({"announced_date": "object"})
    rows.loc[rows.index[0], "announced_date"] = "not a date"  # set aside
    src = tmp_path / "syn.csv"
    export.write_csv(rows, src)
    out, aside = tmp_path / "valid.csv", tmp_path / "aside.csv"
    assert check_pledges_cli(str(src), out=str(out), quarantine=str(aside)) == 0
    said = capsys.readouterr().out
    assert "SYNTHETIC DATA: rows of this file are marked synthetic" in said
    assert "wrote 2 valid pledges to" in said and "wrote 1 quarantined row to" in said
    assert pd.read_csv(aside)["is_synthetic"].tolist() == [True]
    assert pd.read_csv(out)["is_synthetic"].tolist() == [True, True]


def test_a_real_file_is_not_said_synthetic(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.csv"
    src.write_text("title,pledger,value\nA,Org,USD 5 million\n", encoding="utf-8")
    aside = tmp_path / "aside.csv"
    assert check_pledges_cli(str(src), out=str(tmp_path / "v.csv"), quarantine=str(aside)) == 0
    said = capsys.readouterr().out
    assert "SYNTHETIC" not in said and "wrote 1 valid pledge to" in said
    assert "wrote 0 quarantined rows to" in said
    assert "is_synthetic" not in aside.read_text(encoding="utf-8").splitlines()[0]


def test_each_set_aside_row_keeps_its_own_mark(tmp_path: Path, capsys) -> None:
    """A file mixing real and synthetic rows: a real row set aside was marked synthetic with
    the others, in check-pledges' --quarantine and in a report's set_aside_rows.csv."""
    from p2c_analysis import report

    rows = synthetic.make_pledges(2, seed=2).astype({"announced_date": "object"})
    rows["is_synthetic"] = [True, False]  # the second stands for a real pledge
    rows["announced_date"] = "not a date"  # both set aside
    src = tmp_path / "mixed.csv"
    export.write_csv(rows, src)
    aside = tmp_path / "aside.csv"
    assert check_pledges_cli(str(src), quarantine=str(aside)) == 0
    assert pd.read_csv(aside)["is_synthetic"].tolist() == [True, False]
    out = tmp_path / "out"
    out.mkdir()
    report.start("T", pledges=str(src), as_of="2026-12-01", output_dir=str(out))
    assert pd.read_csv(out / "set_aside_rows.csv")["is_synthetic"].tolist() == [True, False]
