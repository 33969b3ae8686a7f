"""``p2c check-pledges``: counts, clean and quarantine CSVs, one-line errors with exit 2."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from p2c_analysis import fields, paths, pledges
from p2c_analysis.pledges import check_pledges_cli

FIX = Path(__file__).parent / "fixtures" / "pledges"


def _run(*args: str) -> subprocess.CompletedProcess:
    """The real command line, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", "check-pledges", *args],
        capture_output=True, text=True, cwd=paths.ROOT, timeout=120,
    )


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_bundled_file_via_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "CLEAN.csv"
    proc = _run("data/pledges/public_pledges.csv", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "rows read:    38" in proc.stdout
    assert "valid:        38" in proc.stdout and "quarantined:  0" in proc.stdout
    rows = _read(out)
    assert rows[0] == list(fields.CANONICAL_COLUMNS)
    assert len(rows) == 39
    col = {name: i for i, name in enumerate(rows[0])}
    ghana = next(r for r in rows if r[col["value_as_stated"]] == "EUR 155 million")
    assert float(ghana[col["estimated_value_usd"]]) == pytest.approx(163.2e6, rel=1e-3)
    afralti = next(r for r in rows if r[col["title"]].startswith("Advocacy and digital"))
    assert afralti[col["target_countries"]].startswith("AGO; BWA; SWZ")  # lists joined "; "


def test_unreadable_file_exits_2_with_one_line_and_no_traceback() -> None:
    proc = _run("tests/fixtures/pledges/binary.csv")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines == ["p2c check-pledges: error: tests/fixtures/pledges/binary.csv: "
                     "binary file, not a CSV table"]
    assert "Traceback" not in proc.stderr


def test_missing_file_exits_2() -> None:
    proc = _run("no/such/pledges.csv")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "p2c check-pledges: error: no/such/pledges.csv: no such file"


def test_messy_file_writes_neutralised_clean_and_quarantine_csv(tmp_path: Path) -> None:
    out, quar = tmp_path / "CLEAN.csv", tmp_path / "quarantine.csv"
    proc = _run(str(FIX / "messy_semicolon_cp1252.csv"), "--out", str(out),
                "--quarantine", str(quar))
    assert proc.returncode == 0, proc.stderr  # quarantined rows are not an error
    assert "valid:        7" in proc.stdout and "quarantined:  6" in proc.stdout
    assert "unknown country" in proc.stdout and "exact duplicate" in proc.stdout
    clean = _read(out)
    col = {name: i for i, name in enumerate(clean[0])}
    titles = [r[col["title"]] for r in clean[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in titles
    evil = next(r for r in clean if r[col["title"]].startswith("'="))
    assert evil[col["pledger"]] == "'+1+1" and evil[col["description"]] == "'@SUM(A1)"
    assert evil[col["notes"]] == "'-2+3"
    assert all(not c.startswith(("=", "+", "@")) for r in clean for c in r)
    q = _read(quar)
    assert q[0] == ["source_row", "reasons", "raw"]
    assert [r[0] for r in q[1:]] == ["4", "5", "6", "7", "9", "11"]
    assert "Atlantis" in q[1][1]


def test_in_process_counts_and_output_path_errors(tmp_path: Path, capsys) -> None:
    assert check_pledges_cli(str(FIX / "bom_tab_canonical.csv")) == 0
    printed = capsys.readouterr().out
    assert "rows read:    8" in printed and "valid:        2" in printed
    assert "duplicate pledge_id" in printed

    assert check_pledges_cli(str(FIX / "pipe.csv"), out=str(tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("p2c check-pledges: error: ") and "is a directory" in err
    assert "\n" not in err

    assert check_pledges_cli(str(FIX / "pipe.csv"), quarantine=str(tmp_path / "no" / "q.csv")) == 2
    assert "does not exist" in capsys.readouterr().err

    src = tmp_path / "in.csv"
    src.write_bytes((FIX / "pipe.csv").read_bytes())
    assert check_pledges_cli(str(src), out=str(src)) == 2
    assert "would overwrite the input file" in capsys.readouterr().err
    assert src.read_bytes() == (FIX / "pipe.csv").read_bytes()


def test_mapping_option(tmp_path: Path, capsys) -> None:
    mapping = str(paths.DATA / "mappings" / "p2c_platform_export.toml")
    assert check_pledges_cli(str(FIX / "platform_export.csv"), mapping=mapping) == 0
    printed = capsys.readouterr().out
    assert "valid:        4" in printed and "ambiguous currency" in printed
    assert check_pledges_cli(str(FIX / "pipe.csv"), mapping=str(tmp_path / "none.toml")) == 2
    err = capsys.readouterr().err
    assert "none.toml: mapping file not found" in err


def test_a_bad_limit_setting_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("P2C_MAX_ROWS", "lots")
    assert check_pledges_cli(str(FIX / "pipe.csv")) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "p2c check-pledges: error: P2C_MAX_ROWS='lots': not a positive number\n"


def test_an_unexpected_failure_is_still_one_line(monkeypatch, capsys) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("first line\nsecond line \x1b[31m")

    monkeypatch.setattr(pledges, "load_pledges", boom)
    assert check_pledges_cli(str(FIX / "pipe.csv")) == 2
    err = capsys.readouterr().err
    assert err == (f"p2c check-pledges: error: {FIX / 'pipe.csv'}: unexpected RuntimeError: "
                   "first line\n")
