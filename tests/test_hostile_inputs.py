"""Hostile and broken input through the real command line: nothing lost, nothing hangs.

Every input is generated here (no committed binaries). Each run is the real ``p2c`` command
in a fresh process with its address space capped (``RLIMIT_AS``, 1.5 GB) and a timeout, so a
file that makes the loader blow up in memory or time fails the test (a ``MemoryError``
would surface as "unexpected MemoryError", not the expected line). Arrow's default memory
pool reserves 1 GB of address space up front without using it; the runs use the system
allocator (``ARROW_DEFAULT_MEMORY_POOL=system``) so the cap measures what is really used.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook

from p2c_analysis import paths
from p2c_analysis.limits import Limits
from p2c_analysis.pledges import PledgeFileError, check_pledges_cli, load_pledges

ADDRESS_SPACE = 1_500 * 2**20  # bytes
TIMEOUT = 60  # seconds, per run
SLOW = 45  # seconds: a run taking longer fails the test (the machine is shared and noisy)


def _cap_resources() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@dataclass
class Run:
    code: int
    out: str
    err: str
    raw: bytes  # stdout + stderr as bytes, to look for escape characters
    seconds: float

    def summary(self) -> dict[str, int]:
        """The counts ``check-pledges`` printed (rows read, valid, quarantined)."""
        got = {}
        for line in self.out.splitlines():
            key, _, rest = line.strip().partition(":")
            if key in ("rows read", "valid", "quarantined") and rest.strip():
                got[key] = int(rest.split()[0])
        return got


def _p2c(*args: str, env: dict[str, str] | None = None) -> Run:
    """Run ``python -m p2c_analysis.cli ARGS`` capped in memory and time."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", *args], capture_output=True,
        cwd=paths.ROOT, timeout=TIMEOUT, preexec_fn=_cap_resources,
        env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", **(env or {})},
    )
    seconds = time.monotonic() - start
    run = Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"),
              proc.stdout + proc.stderr, seconds)
    assert seconds < SLOW, f"{args}: took {seconds:.1f} s"
    assert "Traceback" not in run.err
    return run


def _refused(run: Run, path: Path, *what: str) -> None:
    """Exit 2, nothing on stdout, ONE line on stderr naming the file and each of ``what``."""
    assert run.code == 2, run.out + run.err
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(f"p2c check-pledges: error: {path}: ")
    for w in what:
        assert w in lines[0]


def _read_csv(path: Path) -> list[dict[str, str]]:
    old = csv.field_size_limit(2**31 - 1)  # the quarantine keeps a 10 MB cell whole
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    finally:
        csv.field_size_limit(old)


def _checked(run: Run) -> dict[str, int]:
    """A file that could be read: exit 0, nothing on stderr, every row read is either
    valid or quarantined (counts as printed)."""
    assert run.code == 0, run.err
    assert run.err == ""
    s = run.summary()
    assert s["rows read"] == s["valid"] + s["quarantined"]
    return s


# --- bad cells: one row set aside, with its reason; the rest of the file kept --------------------

BAD_CELLS = [  # (title, announced_date, last_report_date, target_year, value, url, description)
    ("Fine", "2022-06", "2024-03-31", "2030", "USD 5 million", "https://example.org/p", "ok"),
    ("Year 3000", "3000-01-01", "", "", "", "", ""),
    ("Report in 3000", "2022", "3000-05-01", "", "", "", ""),
    ("Before 2000", "1 June 1850", "", "", "", "", ""),
    ("Minus year", "-2024", "", "", "", "", ""),
    ("Minus target", "2022", "", "-2030", "", "", ""),
    ("Huge float", "2022", "", "", "1e308", "", ""),
    ("400 digits", "2022", "", "", "9" * 400, "", ""),
    ("Absurd total", "2022", "", "", "$20,000 billion", "", ""),
    ("Script link", "2022", "", "", "", "javascript:alert(document.cookie)", ""),
    ("File link", "2022", "", "", "", "file:///etc/passwd", ""),
    ("Bare www", "2022", "", "", "", "www.itu.int/partner2connect", "ok"),
    ("Huge cell", "2022", "", "", "", "", "x" * 10_000_000),
    ("Also fine", "2023", "", "", "EUR 2 million", "", "ok"),
]
BAD_CELL_REASONS = {  # spreadsheet row -> reason kind
    3: "implausible date", 4: "implausible date", 5: "implausible date",
    6: "negative date", 7: "negative year",
    8: "absurd value", 9: "absurd value", 10: "absurd value",
    11: "unsupported url", 12: "unsupported url",
    14: "cell too long",
}


@pytest.fixture(scope="module")
def bad_cells(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, list[dict], list[dict]]:
    d = tmp_path_factory.mktemp("bad_cells")
    src = d / "bad_cells.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["title", "pledger", "announced_date", "last_report_date", "target_year",
                    "value_as_stated", "source_url", "description"])
        for title, *rest in BAD_CELLS:
            w.writerow([title, "Org", *rest])
    run = _p2c("check-pledges", str(src), "--out", str(d / "clean.csv"),
               "--quarantine", str(d / "set_aside.csv"))
    return run, _read_csv(d / "clean.csv"), _read_csv(d / "set_aside.csv")


def test_bad_cells_are_counted_and_the_file_survives(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    s = _checked(run)
    assert s == {"rows read": len(BAD_CELLS), "valid": 3, "quarantined": 11}
    assert [r["title"] for r in clean] == ["Fine", "Bare www", "Also fine"]
    assert {int(r["source_row"]): r["reasons"].split(":")[0] for r in set_aside} == \
        BAD_CELL_REASONS


def _reason(set_aside: list[dict], row: int) -> str:
    (hit,) = [r["reasons"] for r in set_aside if int(r["source_row"]) == row]
    return hit


def test_dates_outside_2000_2100_are_row_reasons_not_file_errors(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    assert "Out of bounds" not in run.out + run.err
    assert _reason(set_aside, 3) == ("implausible date: '3000-01-01' in announced_date "
                                     "(year 3000 outside 2000-2100)")
    assert _reason(set_aside, 4).endswith("in last_report_date (year 3000 outside 2000-2100)")
    assert "year 1850 outside 2000-2100" in _reason(set_aside, 5)
    fine = clean[0]
    assert fine["announced_date"].startswith("2022-06-01")
    assert fine["last_report_date"].startswith("2024-03-31")


def test_a_minus_sign_is_never_dropped(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    assert _reason(set_aside, 6) == "negative date: '-2024' in announced_date"
    assert _reason(set_aside, 7) == "negative year: '-2030' in target_year"
    assert "Minus year" not in [r["title"] for r in clean]


def test_non_finite_and_absurd_values_are_set_aside(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    assert _reason(set_aside, 8).startswith("absurd value: USD 1e+308 from value_as_stated "
                                            "(more than USD 10 trillion")
    assert "(not a finite number)" in _reason(set_aside, 9)
    assert "(400 characters)" in _reason(set_aside, 9)  # the reason shows a cut of the cell
    assert _reason(set_aside, 10).startswith("absurd value: USD 2e+13")
    values = [float(r["estimated_value_usd"]) for r in clean if r["estimated_value_usd"]]
    assert values and all(0 < v <= 10e12 for v in values)


def test_only_web_links_are_kept_as_source_urls(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    assert _reason(set_aside, 11) == ("unsupported url: 'javascript:alert(document.cookie)' in "
                                      "source_url (only http and https links)")
    assert "'file:///etc/passwd'" in _reason(set_aside, 12)
    assert [r["source_url"] for r in clean] == ["https://example.org/p",
                                                "www.itu.int/partner2connect", ""]


def test_a_huge_cell_sets_aside_its_row_with_its_number_and_keeps_it_whole(bad_cells) -> None:
    run, clean, set_aside = bad_cells
    assert _reason(set_aside, 14) == (
        "cell too long: 10,000,000 characters in column 'description', over the limit of "
        "32,767 characters (raise it with P2C_MAX_CELL_CHARS=10000000)")
    raw = json.loads([r for r in set_aside if r["source_row"] == "14"][0]["raw"])
    assert raw["description"] == "x" * 10_000_000  # nothing lost
    assert clean[-1]["title"] == "Also fine"  # rows after it survive


def test_a_mapping_constant_in_the_year_3000_quarantines_rows_not_the_file(
        tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text("Headline,Who\nA,Org\nB,Org 2\n", encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\ntitle = "Headline"\npledger = "Who"\n'
                       "[constants]\nannounced_date = 3000-01-01\n", encoding="utf-8")
    quarantine = tmp_path / "q.csv"
    run = _p2c("check-pledges", str(src), "--mapping", str(mapping),
               "--quarantine", str(quarantine))
    assert _checked(run) == {"rows read": 2, "valid": 0, "quarantined": 2}
    assert [r["reasons"] for r in _read_csv(quarantine)] == [
        "implausible date: '3000-01-01' in announced_date (year 3000 outside 2000-2100)"] * 2


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_formula_without_cached_value_is_set_aside(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger", "value_as_stated"])
    ws.append(['=CONCAT("Rural ", "fibre")', "Org", "USD 1 million"])  # openpyxl: no value
    ws.append(["Computed", "Org 2", "=1+1"])
    ws.append(["Plain", "Org 3", "USD 2 million"])
    src = tmp_path / "formulas.xlsx"
    wb.save(src)
    quarantine = tmp_path / "q.csv"
    run = _p2c("check-pledges", str(src), "--quarantine", str(quarantine))
    assert _checked(run) == {"rows read": 3, "valid": 1, "quarantined": 2}
    q = _read_csv(quarantine)
    assert [r["source_row"] for r in q] == ["2", "3"]
    assert q[0]["reasons"].startswith("formula without cached value: cell A2 "
                                      "'=CONCAT(\"Rural \", \"fibre\")' in title")
    assert "cell C3 '=1+1' in value_as_stated" in q[1]["reasons"]
    assert json.loads(q[0]["raw"])["title"] == '=CONCAT("Rural ", "fibre")'


def _last_cell_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "pledger"])
    ws.append(["Fibre", "Org"])
    ws["XFD1048576"] = "far away"  # 15 kB on disk; declared dimension A1:XFD1048576
    wb.save(path)


def test_xlsx_with_a_cell_at_the_last_row_and_column_is_refused_quickly(tmp_path: Path) -> None:
    src = tmp_path / "last_cell.xlsx"
    _last_cell_xlsx(src)
    assert src.stat().st_size < 20_000
    run = _p2c("check-pledges", str(src))
    _refused(run, src, "sheet 'Sheet': a row numbered 200,001, over the limit of 200,000 rows",
             "P2C_MAX_ROWS=")


def test_xlsx_read_by_its_stored_cells_when_the_limits_are_raised(tmp_path: Path) -> None:
    src = tmp_path / "last_cell.xlsx"
    _last_cell_xlsx(src)
    start = time.monotonic()
    r = load_pledges(src, limits=Limits(rows=1_100_000, columns=16_384))  # in this process
    assert time.monotonic() - start < SLOW
    assert r.n_read == 2 and len(r.valid) == 1 and r.conserved
    (q,) = r.quarantine.to_dict("records")
    assert q["source_row"] == 1_048_576  # spreadsheet row numbers stay exact
    assert q["reasons"].startswith("extra cells")
    assert json.loads(q["raw"]) == {"title": "", "pledger": "", "extra_16384": "far away"}


def _zip(path: Path, members: dict[str, bytes], raw: tuple[str, bytes, int, int]) -> None:
    """Write a zip with ``members`` (deflated) plus one member given as an already
    deflated stream ``raw = (name, stream, crc32, uncompressed size)``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    zf = zipfile.ZipFile(buf)
    entries = [(i.filename, i.header_offset, i.CRC, i.compress_size, i.file_size)
               for i in zf.infolist()]
    # append the precompressed member by hand: local header, data, then a new directory
    body = buf.getvalue()[:zf.start_dir]
    name, stream, crc, size = raw
    offset = len(body)
    nb = name.encode()
    body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size,
                        len(nb), 0) + nb + stream
    central = b""
    for fname, off, fcrc, csize, usize in [*entries, (name, offset, crc, len(stream), size)]:
        fb = fname.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, fcrc,
                               csize, usize, len(fb), 0, 0, 0, 0, 0, off) + fb
    n = len(entries) + 1
    path.write_bytes(body + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n,
                                                  len(central), len(body), 0))


def _xlsx_parts(title: str) -> dict[str, bytes]:
    """The zip parts of a one-pledge workbook (header title, pledger; one row)."""
    wb = Workbook()
    wb.active.append(["title", "pledger"])
    wb.active.append([title, "Org"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(buf)
    return {n: src.read(n) for n in src.namelist()}


def _whitespace_bomb(path: Path, mib: int) -> None:
    """An XLSX whose sheet is valid XML padded with ``mib`` MiB of spaces (about 1 kB per
    MiB on disk): the deflate block of 1 MiB of spaces, after a full flush, repeated."""
    parts = _xlsx_parts("Fibre")
    sheet = "xl/worksheets/sheet1.xml"
    head, tail = parts.pop(sheet).split(b"<sheetData>")
    head += b"<sheetData>"
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream_head = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    spaces = b" " * 2**20
    block = c.compress(spaces) + c.flush(zlib.Z_FULL_FLUSH)
    stream = stream_head + block * mib + c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(tail, crc)
    _zip(path, parts, (sheet, stream, crc, len(head) + mib * 2**20 + len(tail)))


def test_whitespace_bomb_builder_makes_a_real_xlsx(tmp_path: Path) -> None:
    small = tmp_path / "small.xlsx"
    _whitespace_bomb(small, 2)  # 2 MiB of spaces: a valid workbook, but compressed ~850:1
    with pytest.raises(PledgeFileError, match=r"part 'xl/worksheets/sheet1.xml' compressed "
                                              r"\d+ to 1, over the limit of 100 x"):
        load_pledges(small)
    r = load_pledges(small, limits=Limits(xlsx_ratio=1000))
    assert r.valid["title"].tolist() == ["Fibre"]


def test_xlsx_holding_a_gigabyte_of_whitespace_is_refused_before_it_is_opened(
        tmp_path: Path) -> None:
    src = tmp_path / "whitespace.xlsx"
    _whitespace_bomb(src, 1024)
    assert src.stat().st_size < 2 * 2**20
    run = _p2c("check-pledges", str(src))
    _refused(run, src, "unzipped size 1,024 MB, over the limit of 200 MB",
             "P2C_MAX_XLSX_UNZIPPED_MB=1100")


LOL = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                  for i in range(1, 10)) + b"]>")
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
SST_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')


def _xml_attack(path: Path, where: str) -> None:
    parts = _xlsx_parts("T")
    sheet = "xl/worksheets/sheet1.xml"
    if where == "external entity in the sheet":
        parts[sheet] = XXE + parts[sheet].replace(b"<t>T</t>", b"<t>&xxe;</t>")
    elif where == "entity expansion in the sheet":
        parts[sheet] = LOL + parts[sheet].replace(b"<t>T</t>", b"<t>&lol9;</t>")
    else:  # entity expansion in sharedStrings.xml
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>",
                                                                            SST_TYPE)
        parts["xl/sharedStrings.xml"] = LOL + (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


XML_REFUSED = "not a readable XLSX workbook (its XML declares entities or a DTD"


def test_xml_entity_expansion_in_an_xlsx_is_refused_without_expansion(tmp_path: Path) -> None:
    src = tmp_path / "attack.xlsx"
    _xml_attack(src, "entity expansion in sharedStrings")
    run = _p2c("check-pledges", str(src))
    _refused(run, src, XML_REFUSED)
    assert "lollol" not in run.err


@pytest.mark.parametrize("where", ["external entity in the sheet",
                                   "entity expansion in the sheet"])
def test_other_xml_entity_attacks_are_refused_in_process(tmp_path: Path, where: str) -> None:
    src = tmp_path / "attack.xlsx"
    _xml_attack(src, where)
    with pytest.raises(PledgeFileError) as err:
        load_pledges(src)
    assert str(err.value) == f"{src}: {XML_REFUSED}, refused as a possible XML bomb or " \
                             "external-entity attack)"


# --- YAML parameter files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("\n".join(["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                   + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]),
         "line 1: anchors and aliases (& and *) are not allowed"),
        ("year: 2023\nas_of: 2024-02-30\n", "line 2: '2024-02-30' is not a valid date"),
    ],
    ids=["billion laughs", "impossible date"],
)
def test_yaml_parameter_files_are_refused_in_one_line(tmp_path: Path, text: str,
                                                      what: str) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(text, encoding="utf-8")
    run = _p2c("render", "-f", str(params), "--out", str(tmp_path / "runs"))
    assert run.code == 2 and run.out == ""
    (line,) = run.err.splitlines()
    assert line.startswith(f"p2c: error: parameter file {params}: {what}")
    assert not (tmp_path / "runs").exists()  # refused before anything started


# --- encodings and the terminal ---------------------------------------------------------------


def test_rows_in_another_encoding_are_decoded_per_row_and_named(tmp_path: Path) -> None:
    rows = [("title,pledger,entity_country\n", "utf-8"),
            ("Réseau rural,Orange,France\n", "utf-8"),
            ("Backbone,Côte d’Ivoire Telecom,Côte d’Ivoire\n", "cp1252"),
            ("Plain,Org,Ghana\n", "utf-8"),
            ('Santé,"São Tomé\nTelecom",São Tomé and Príncipe\n', "cp1252"),  # two lines
            ("Último,Telefónica,Perú\n", "utf-8")]
    src = tmp_path / "mixed.csv"
    src.write_bytes(b"".join(text.encode(enc) for text, enc in rows))
    out = tmp_path / "clean.csv"
    run = _p2c("check-pledges", str(src), "--out", str(out))
    assert _checked(run) == {"rows read": 5, "valid": 5, "quarantined": 0}
    assert "  encoding:     utf-8; 2 rows decoded as cp1252: rows 3, 5\n" in run.out
    clean = _read_csv(out)
    assert [r["pledger"] for r in clean] == ["Orange", "Côte d’Ivoire Telecom", "Org",
                                             "São Tomé Telecom", "Telefónica"]
    assert [r["entity_country"] for r in clean] == ["FRA", "CIV", "GHA", "STP", "PER"]
    flagged = [r["title"] for r in clean if "decoded as cp1252" in r["notes"]]
    assert flagged == ["Backbone", "Santé"]


def test_escape_sequences_from_the_file_never_reach_the_terminal(tmp_path: Path) -> None:
    src = tmp_path / "\x1b[31mred.csv"
    src.write_text("title,pledger,\x1b]0;pwned\x07note\x1b[2J,\u202eevil\n"
                   "A,Org,x,y\nB,\x1b[5mOrg,\x9b1m,z\n", encoding="utf-8")
    run = _p2c("check-pledges", str(src))
    assert _checked(run) == {"rows read": 2, "valid": 2, "quarantined": 0}
    assert b"\x1b" not in run.raw and "\x9b".encode() not in run.raw
    assert "\u202e".encode() not in run.raw
    assert "columns not used: \\x1b]0;pwned\\x07note\\x1b[2J, \\u202eevil" in run.out
    assert run.out.startswith(f"{tmp_path}/\\x1b[31mred.csv\n")


def test_an_error_line_about_escape_laden_headers_is_plain(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "no_pledges.csv"
    bad.write_text("\x1b[2Jcolour,size\u202e\nred,3\n", encoding="utf-8")
    assert check_pledges_cli(bad) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"p2c check-pledges: error: {bad}: no pledge columns: need at least a title "
                   "('title', 'pledge_title') or a pledger column; columns found: "
                   "\\x1b[2Jcolour, size\\u202e\n")


# --- paths that are no regular file: refused by their kind, before a byte is read --------------

def test_a_named_pipe_with_no_writer_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A FIFO with no writer blocked ``open`` for ever (the run hit the timeout)."""
    fifo = tmp_path / "pledges.csv"
    os.mkfifo(fifo)
    _refused(_p2c("check-pledges", str(fifo)), fifo, "is a named pipe (FIFO), not a pledge file")
    ok = tmp_path / "ok.csv"
    ok.write_text("title,pledger\nA,Org\n", encoding="utf-8")
    _refused(_p2c("check-pledges", str(ok), "--mapping", str(fifo)), fifo,
             "is a named pipe (FIFO), not a mapping file")


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_device_is_refused_by_its_kind(device: str) -> None:
    """``/dev/null`` was "empty file (no header row)", ``/dev/zero`` "size more than 100 MB"
    after reading 100 MB: neither says what the path is."""
    _refused(_p2c("check-pledges", device), Path(device), "is a device, not a pledge file")


def test_a_socket_is_refused_by_its_kind(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(PledgeFileError, match=r"s\.csv: is a socket, not a pledge file$"):
            load_pledges(path)
