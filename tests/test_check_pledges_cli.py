"""``p2c check-pledges``: counts, clean and quarantine CSVs, one-line errors with exit 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

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


def test_an_xlsx_output_with_a_cell_too_long_is_refused_not_cut(tmp_path: Path) -> None:
    """A cell over Excel's 32,767 characters is never cut: that XLSX is refused in one line
    (file, row, column), not written at all; the other output is written."""
    src = tmp_path / "huge.csv"
    src.write_text("title,pledger,description\nA,X,short\nB,Y," + "A" * 40_000 + "\nC,Z,ok\n",
                   encoding="utf-8")
    out, quar = tmp_path / "c.xlsx", tmp_path / "q.xlsx"
    proc = _run(str(src), "--out", str(out), "--quarantine", str(quar))
    assert proc.returncode == 2
    # raw = {"title": "B", "pledger": "Y", "description": "AAA..."}: 49 + 40,000 characters
    assert proc.stderr == (f"p2c check-pledges: error: {quar}: row 2, column raw: 40,049 "
                           "characters, more than an XLSX cell holds (32,767); write .csv to "
                           "keep it whole\n")
    assert not quar.exists()
    assert f"wrote 2 valid pledges to {out}" in proc.stdout
    assert "quarantined rows to" not in proc.stdout
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert [r[header.index("title")] for r in ws.iter_rows(min_row=2, values_only=True)] == \
        ["A", "C"]
    # as CSV the raw row is kept whole
    proc = _run(str(src), "--quarantine", str(tmp_path / "q.csv"))
    assert proc.returncode == 0, proc.stderr
    raw = json.loads(_read(tmp_path / "q.csv")[1][2])
    assert raw == {"title": "B", "pledger": "Y", "description": "A" * 40_000}


def test_a_valid_description_cut_by_the_neutralising_quote_is_refused(tmp_path: Path,
                                                                      capsys) -> None:
    # 32,767 characters fit in a cell (not set aside), but "=..." gets a "'" in front: 32,768
    src = tmp_path / "long.csv"
    src.write_text("title,pledger,description\nA,X,=" + "B" * 32_766 + "\n", encoding="utf-8")
    out = tmp_path / "c.xlsx"
    assert check_pledges_cli(str(src), out=str(out)) == 2
    printed, err = capsys.readouterr()
    assert "valid:        1" in printed and "wrote" not in printed
    assert err == (f"p2c check-pledges: error: {out}: row 2, column description: 32,768 "
                   "characters, more than an XLSX cell holds (32,767); write .csv to keep it "
                   "whole\n")
    assert not out.exists()


def test_a_closed_stdout_ends_quietly_and_every_output_is_written(tmp_path: Path) -> None:
    """`p2c check-pledges f --out c.csv --quarantine q.csv | head -1`: the reader has gone
    before anything is printed; the input is not to blame and both files are written."""
    out, quar = tmp_path / "c.csv", tmp_path / "q.csv"
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads what the command prints
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "p2c_analysis.cli", "check-pledges",
             str(FIX / "messy_semicolon_cp1252.csv"), "--out", str(out), "--quarantine",
             str(quar)],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=paths.ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 0
    assert len(_read(out)) == 8 and len(_read(quar)) == 7  # 7 valid, 6 quarantined + headers


@pytest.mark.parametrize(("toml", "message"), [
    ('shet = "Pledges"\n[columns]\ntitle = "Pledge Title"\n',
     "unknown key 'shet' (allowed: sheet, id_prefix, [columns], [constants], [source] or a "
     "field name as a constant)"),
    ('[columns]\ntitle = "Pledge Title"\n[extra]\nx = 1\n',
     "unknown table [extra] (allowed: sheet, id_prefix, [columns], [constants], [source] or a "
     "field name as a constant)"),
    ('[source]\nshet = "Pledges"\n', "unknown key 'shet' in [source] (allowed: sheet, id_prefix)"),
    ('sheet = "Pledges"\n[source]\nsheet = "Other"\n',
     "sheet is given twice (at the top and in [source]): keep one"),
    ('[columns]\ntitle = "Pledge Title"\n[constants]\ntitle = "Same for all"\n',
     "field 'title' is given both in [columns] and in [constants]: keep one"),
    ('title = "Same for all"\n[columns]\ntitle = "Pledge Title"\n',
     "field 'title' is given both in [columns] and as a top-level constant: keep one"),
    ('status = "ongoing"\n[constants]\nstatus = "completed"\n',
     "field 'status' is given twice as a constant (at the top and in [constants]): keep one"),
])
def test_mistakes_in_a_mapping_file_are_refused(tmp_path: Path, capsys, toml: str,
                                                message: str) -> None:
    m = tmp_path / "m.toml"
    m.write_text(toml, encoding="utf-8")
    assert check_pledges_cli(str(FIX / "platform_export.csv"), mapping=str(m)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"p2c check-pledges: error: {m}: {message}\n"


def test_a_mapping_that_is_a_directory_is_named_as_such(tmp_path: Path, capsys) -> None:
    assert check_pledges_cli(str(FIX / "pipe.csv"), mapping=str(tmp_path)) == 2
    assert capsys.readouterr().err == (f"p2c check-pledges: error: {tmp_path}: is a directory, "
                                       "not a mapping file\n")


@pytest.mark.parametrize(("option", "name"), [("out", "clean.xls"), ("quarantine", "q.ODS"),
                                             ("out", "clean.xlsm"), ("quarantine", "q.XLSM")])
def test_an_output_named_as_another_spreadsheet_format_is_refused(
        tmp_path: Path, capsys, option: str, name: str) -> None:
    """'--out clean.xls' wrote CSV text under an Excel 97 name, which Excel refuses to open
    as it is ('format and extension don't match'): now one line, exit 2, nothing written."""
    target = tmp_path / name
    assert check_pledges_cli(str(FIX / "pipe.csv"), **{option: str(target)}) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"p2c check-pledges: error: {target}: --{option} writes CSV, TSV or XLSX, "
                   f"not {target.suffix}: name it .csv, .tsv or .xlsx")
    assert not target.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["out", "quarantine"])
def test_a_tsv_output_is_tab_separated(tmp_path: Path, capsys, option: str) -> None:
    """'--out clean.tsv' (and '--quarantine q.tsv') wrote comma-separated text under a TSV
    name; now the same table as the CSV output, with tabs between the cells."""
    tsv, csv_ = tmp_path / "t.tsv", tmp_path / "t.csv"
    src = str(FIX / "messy_semicolon_cp1252.csv")
    assert check_pledges_cli(src, **{option: str(tsv)}) == 0
    assert check_pledges_cli(src, **{option: str(csv_)}) == 0
    capsys.readouterr()
    with open(tsv, newline="", encoding="utf-8") as f:
        tab_rows = list(csv.reader(f, delimiter="\t"))
    assert tab_rows == _read(csv_)
    assert len(tab_rows) > 1 and len(tab_rows[0]) > 1


def test_out_dash_writes_the_csv_to_stdout_and_the_summary_to_stderr(tmp_path: Path) -> None:
    """'--out -' wrote a file literally named '-' in the current folder; now, as Unix tools
    do, the valid pledges go to standard output (the same CSV '--out f.csv' writes) and the
    summary lines to stderr, so that they never mix into the data; no file is written."""
    src = str(FIX / "messy_semicolon_cp1252.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", "check-pledges", src, "--out", "-"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(paths.ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []  # no file named '-'
    assert check_pledges_cli(src, out=str(tmp_path / "clean.csv")) == 0
    assert list(csv.reader(io.StringIO(proc.stdout))) == _read(tmp_path / "clean.csv")
    assert "valid:        7" in proc.stderr
    assert "wrote 7 valid pledges to standard output" in proc.stderr


def test_out_and_quarantine_cannot_both_be_stdout(tmp_path: Path, capsys) -> None:
    """Both tables on standard output would be one unreadable stream: one line, exit 2."""
    assert check_pledges_cli(str(FIX / "pipe.csv"), out="-", quarantine="-") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("p2c check-pledges: error: --out and --quarantine cannot both be "
                            "'-' (standard output): name a file for one of them\n")


def test_quarantine_dash_writes_the_set_aside_rows_to_stdout(tmp_path: Path, capsys) -> None:
    """'--quarantine -' too is standard output: the quarantine CSV alone on stdout, the
    summary (and the line saying where the valid pledges went) on stderr."""
    src, clean = str(FIX / "messy_semicolon_cp1252.csv"), tmp_path / "clean.csv"
    assert check_pledges_cli(src, out=str(clean), quarantine="-") == 0
    captured = capsys.readouterr()
    assert check_pledges_cli(src, quarantine=str(tmp_path / "q.csv")) == 0
    assert list(csv.reader(io.StringIO(captured.out))) == _read(tmp_path / "q.csv")
    assert "quarantined:  6" in captured.err and f"to {clean}" in captured.err
    assert "wrote 6 quarantined rows to standard output" in captured.err


def test_out_on_stdout_and_a_file_named_dash_are_not_the_same_file(tmp_path: Path, capsys,
                                                                     monkeypatch) -> None:
    """'--out - --quarantine ./-' was refused as "-: --out and --quarantine are the same
    file": standard output is no file. The pledges go to stdout, the quarantine to ./-."""
    monkeypatch.chdir(tmp_path)
    src = str(FIX / "messy_semicolon_cp1252.csv")
    assert check_pledges_cli(src, out="-", quarantine="./-") == 0
    captured = capsys.readouterr()
    assert (tmp_path / "-").is_file() and "wrote 6 quarantined rows to ./-" in captured.err
    assert check_pledges_cli(src, out=str(tmp_path / "v.csv")) == 0
    capsys.readouterr()
    assert list(csv.reader(io.StringIO(captured.out))) == _read(tmp_path / "v.csv")
    # the same file twice is still refused
    assert check_pledges_cli(src, out="x.csv", quarantine="./x.csv") == 2
    assert "--out and --quarantine are the same file" in capsys.readouterr().err


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Standard input holding ``data``, as a pipe gives it."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _as_xlsx(csv_path: Path, xlsx_path: Path) -> Path:
    """The '|'-separated table ``csv_path`` saved as a one-sheet workbook."""
    from openpyxl import Workbook

    wb = Workbook()
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="|"):
            wb.active.append(row)
    wb.save(xlsx_path)
    return xlsx_path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_dash_reads_the_pledge_file_from_standard_input(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """`cat f | p2c check-pledges /dev/stdin` is refused (a pipe named by its path could
    block for ever) and there was no other way to read a pipe: '-' now reads standard input
    whole, CSV or XLSX as a file is read, named <stdin>; the result is the file's own."""
    src = FIX / "pipe.csv" if kind == "csv" else _as_xlsx(FIX / "pipe.csv", tmp_path / "p.xlsx")
    assert check_pledges_cli(str(src), out=str(tmp_path / "by_name.csv")) == 0
    by_name = capsys.readouterr().out.splitlines()
    _stdin(monkeypatch, src.read_bytes())
    assert check_pledges_cli("-", out=str(tmp_path / "piped.csv")) == 0
    piped = capsys.readouterr().out.splitlines()
    assert by_name[0] == str(src) and piped[0] == "<stdin>"
    assert piped[1:-1] == by_name[1:-1]  # the last line names the output written
    assert _read(tmp_path / "piped.csv") == _read(tmp_path / "by_name.csv")


def test_standard_input_errors_name_stdin(tmp_path: Path, capsys,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"")
    assert check_pledges_cli("-") == 2
    assert capsys.readouterr().err == \
        "p2c check-pledges: error: <stdin>: empty file (no header row)\n"
    # the same size limit as a file's: 1 KiB here, 2 KiB piped in, never read past it
    monkeypatch.setenv("P2C_MAX_FILE_MB", str(1 / 1024))
    _stdin(monkeypatch, b"title\n" + b"x" * 2048)
    assert check_pledges_cli("-") == 2
    err = capsys.readouterr().err
    assert err.startswith("p2c check-pledges: error: <stdin>: size more than 0.000977 MB, "
                          "over the limit of 0.000977 MB") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_standard_input_that_is_a_terminal_is_refused(capsys,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"")))
    assert check_pledges_cli("-") == 2
    assert capsys.readouterr().err == ("p2c check-pledges: error: <stdin>: is a terminal: "
                                       "pipe a pledge file into it (p2c check-pledges - < "
                                       "pledges.csv)\n")


def test_dash_reads_a_real_pipe_and_dev_stdin_is_still_refused() -> None:
    data = (FIX / "pipe.csv").read_bytes()
    command = [sys.executable, "-m", "p2c_analysis.cli", "check-pledges"]
    proc = subprocess.run([*command, "-"], input=data, capture_output=True, cwd=paths.ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[0] == "<stdin>"
    proc = subprocess.run([*command, "/dev/stdin"], input=data, capture_output=True,
                          cwd=paths.ROOT, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode() == ("p2c check-pledges: error: /dev/stdin: is a named pipe "
                                    "(FIFO), not a pledge file\n")


def test_called_from_python_it_never_writes_over_the_input_through_a_hard_link(
        tmp_path: Path, capsys) -> None:
    """``_output_targets`` compared resolved names: a hard link to the input (a name of its
    own) passed, and the valid pledges were written over the input file."""
    src = tmp_path / "in.csv"
    original = (FIX / "pipe.csv").read_bytes()
    src.write_bytes(original)
    link = tmp_path / "link.csv"
    os.link(src, link)
    assert check_pledges_cli(str(src), out=str(link)) == 2
    assert "would overwrite the input file" in capsys.readouterr().err
    assert check_pledges_cli(str(src), quarantine=str(link)) == 2
    assert "would overwrite the input file" in capsys.readouterr().err
    assert src.read_bytes() == original
    other = tmp_path / "other.csv"
    other.write_text("x\n", encoding="utf-8")
    twin = tmp_path / "twin.csv"
    os.link(other, twin)
    assert check_pledges_cli(str(src), out=str(other), quarantine=str(twin)) == 2
    assert "are the same file" in capsys.readouterr().err
    assert other.read_text(encoding="utf-8") == "x\n"


def test_called_from_python_it_never_writes_over_the_mapping(tmp_path: Path, capsys) -> None:
    """The --mapping file was not compared with the outputs at all: ``--quarantine`` naming it
    (or a link to it) wrote the quarantine over it."""
    mapping = tmp_path / "map.toml"
    original = (paths.DATA / "mappings" / "p2c_platform_export.toml").read_bytes()
    mapping.write_bytes(original)
    link = tmp_path / "map_link.toml"
    os.link(mapping, link)
    for out in (mapping, link):
        assert check_pledges_cli(str(FIX / "platform_export.csv"), mapping=str(mapping),
                                 quarantine=str(out)) == 2
        assert "would overwrite the --mapping file" in capsys.readouterr().err
    assert mapping.read_bytes() == original
