"""Control characters in a pledge file's text cells (an escape sequence that clears a
terminal or shows a link there) never reach the tables or the terminal."""
from __future__ import annotations

import csv
from pathlib import Path

from p2c_analysis.pledges import check_pledges_cli, load_pledges

TITLE = "Connect \x1b]8;;https://evil.example\x07CLICK\x1b]8;;\x07 schools\x1b[2J"


def _file(tmp_path: Path) -> Path:
    f = tmp_path / "p.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "pledger", "description", "value"])
        w.writerow([TITLE, "Org\x1b[31m A\x08", "line one\nline\ttwo", "USD 5 million"])
        w.writerow(["Schools", "Org B\x0bDigital Unit", "", "USD 1 million"])
    return f


def test_text_cells_lose_their_control_characters(tmp_path: Path) -> None:
    valid = load_pledges(_file(tmp_path)).valid
    row = valid.iloc[0]
    # a line break written as a vertical tab stands between words: a space, not nothing
    assert valid.iloc[1]["pledger"] == "Org B Digital Unit"
    assert row["title"] == "Connect ]8;;https://evil.example CLICK ]8;; schools [2J"
    assert row["pledger"] == "Org [31m A"
    for cell in (row["title"], row["pledger"], row["description"]):
        assert not any(ord(c) < 0x20 and c not in "\t\n\r" or 0x7F <= ord(c) < 0xA0
                       for c in cell)


def test_check_pledges_out_to_the_terminal_writes_no_escape(tmp_path: Path, capsys) -> None:
    assert check_pledges_cli(str(_file(tmp_path)), out="-") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x08" not in out
    assert "CLICK" in out

