"""Safe CSV/XLSX writing: every table the package writes goes through here.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return can be run as a formula when the file is
opened in a spreadsheet; so can one where such a character (or a full-width or other
look-alike of it, ``＝SUM(…)``) follows leading spaces, line breaks or invisible characters,
which spreadsheets trim on import. Such text cells are *neutralised* by prefixing a single
quote ``'`` (``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``, ``" =1+1"`` -> ``"' =1+1"``).

Decisions:

- Numbers stay numbers: the float ``-3.5`` is written as ``-3.5``. The *string* ``"-3.5"``
  is text that begins with ``-`` and is prefixed like any other (OWASP's advice: escape every
  text cell starting with those characters; a number that must stay a number should be
  stored as a number, not as text). A ``Decimal`` is a number in XLSX as in CSV; a duration
  (``timedelta``) is text in both, ``'-1 days +00:00:00`` (:func:`safe_cell`).
- ``inf`` / ``-inf`` are written as the text ``inf`` / ``'-inf`` in CSV and XLSX alike
  (:func:`infinite_text`): XLSX holds no infinite number, and a bare ``-inf`` runs as a
  formula when a spreadsheet opens the CSV.
- List cells (Python lists/tuples) are joined with ``"; "`` (then neutralised as text).
- XLSX gets the same neutralised text as CSV (so a sheet later saved as CSV stays safe),
  and every text cell is written explicitly as a string cell (``data_type == "s"``), never
  as a formula.
- Missing values (``None``, NaN, ``pd.NA``, NaT) are written as empty cells.
- Dates (date-times at midnight) are shown in XLSX as days (:data:`XLSX_DATE_FORMAT`), as in
  CSV; date-times with a time zone are written to XLSX as their UTC clock time without the zone
  (XLSX holds none, and openpyxl refuses them): :func:`_xlsx_datetime`; CSV writes them with
  their offset (``2026-01-01 10:00:00+02:00``).
- Semicolon locales (CSV and TSV text only: :func:`neutralise` with ``inner``): where ``;`` is the
  list separator (French, Swiss, German... Excel), a spreadsheet opening a comma CSV splits
  its lines at ``;``, so the text after a ``;`` inside a cell, ``x;=cmd|' /C calc'!A0``,
  becomes a cell of its own and runs, even inside a quoted cell (the split ignores quotes
  that do not begin a field). Text after a ``;`` or a tab (the import wizard's default
  separator) is therefore neutralised as the start of a cell is: a ``'`` goes right after
  the separator when what follows (after spaces, invisible characters and ``"``) is a formula
  character (``x;=cmd`` -> ``x;'=cmd``, ``GHA; =1`` -> ``GHA;' =1``); the text stays readable
  and reads back unchanged but for that quote. A part that is a plain number (``5;-3``)
  cannot run and is left as it is, as are number cells. XLSX cells are never split, so they
  keep the text as it was (a sheet Excel saves as CSV quotes a cell holding its separator).
- Output paths: refuse a path that is a directory or whose parent directory does not exist
  (:class:`OutputPathError`, one clear line).
- Cell length: an XLSX cell holds at most :data:`XLSX_CELL_CHARS` characters (openpyxl would
  cut longer text without a word). A table with a longer text cell (counted after
  neutralising) is not written as XLSX at all: :class:`CellTooLongError`, one line naming the
  file, the row and the column; CSV has no such limit and keeps every cell whole.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from p2c_analysis import paths
from p2c_analysis.fields import is_missing

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Characters NFKC does not turn into a formula character that a spreadsheet may still take
#: for one (the minus sign).
FORMULA_LOOKALIKES = frozenset("\u2212")
LIST_SEPARATOR = "; "
XLSX_CELL_CHARS = 32_767
#: The time stamp an XLSX carries (its document properties and every part of its zip): a
#: fixed one, so that the same table gives the same bytes (openpyxl writes the time of saving,
#: and the checksums a run records would differ for the same table).
XLSX_TIMESTAMP = dt.datetime(2000, 1, 1)
"""The most characters an XLSX cell holds (Excel's limit; openpyxl cuts longer text)."""
#: How an XLSX shows a date-time at midnight, a date (an announcement date, a report date):
#: as its day, as the CSV writes it. openpyxl's default showed "2022-01-01 00:00:00", a time
#: of day no one stated, for a pledge announced "2022".
XLSX_DATE_FORMAT = "yyyy-mm-dd"


class OutputPathError(ValueError):
    """An output path cannot be written (is a directory, or its folder does not exist)."""


def check_output_path(path: str | Path) -> Path:
    """Return ``path`` as a Path if a file can be written there; raise
    :class:`OutputPathError` naming the path when it is a directory, a named pipe or a socket
    (symbolic links followed), or its parent folder is missing. Never creates folders.

    A named pipe is refused as the pledge loader refuses one to read: opening it to write
    waits for a reader, for ever when there is none (``check-pledges --out fifo`` hung after
    its summary); a probe that opened it would end the reader's input, and the write would
    wait all the same. A device (``/dev/null``) is written as a file."""
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError("output path is empty")
    if p.is_dir():
        raise OutputPathError(f"{p}: is a directory, not a file path")
    try:
        mode = p.stat().st_mode
    except OSError:  # not there yet (or not reachable: the write will say why)
        mode = 0
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "a socket"
        raise OutputPathError(f"{p}: is {kind}, not a file (writing would wait for a reader, "
                              "for ever without one): name a regular file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputPathError(f"{p}: folder {parent} does not exist")
    return p


class CellTooLongError(ValueError):
    """A text cell is longer than an XLSX cell holds (:data:`XLSX_CELL_CHARS`): the XLSX is
    not written (a cut cell would lose data without a word); CSV keeps it whole."""


def _first_shown_character(text: str) -> str:
    """The first character of ``text`` that is not white space (any Unicode space, tab, line
    break), a control character or an invisible format character (zero-width space, byte
    order mark...); ``""`` when there is none."""
    for ch in text:
        if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")):
            return ch
    return ""


def needs_neutralising(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula: it begins with one of
    :data:`FORMULA_PREFIXES`, or its first shown character (after leading spaces, line
    breaks, control and invisible characters: :func:`_first_shown_character`) is one of them
    or a look-alike a spreadsheet may read as one (full-width ``＝ ＋ － ＠``, small,
    superscript and subscript forms: any character whose NFKC form begins with one, and the
    minus sign ``−``)."""
    if text.startswith(FORMULA_PREFIXES):
        return True
    first = _first_shown_character(text)
    return bool(first) and (first in FORMULA_LOOKALIKES or
                            unicodedata.normalize("NFKC", first).startswith(FORMULA_PREFIXES))


def safe_text(text: str) -> str:
    """Neutralise one text value: prefix ``'`` when a spreadsheet could run it as a formula
    (:func:`needs_neutralising`)."""
    return "'" + text if needs_neutralising(text) else text


def safe_cell(value: object) -> object:
    """One cell made safe to write: text a spreadsheet could run (:func:`needs_neutralising`)
    gets a leading ``'``; lists/tuples are joined with ``"; "`` first; ``inf``/``-inf`` become
    the text :func:`infinite_text`; other numbers, booleans, dates and missing values are
    returned unchanged; a duration (a ``timedelta``) is text (:func:`safe_text` of pandas' form,
    ``'-1 days +00:00:00``), in CSV and XLSX alike, as no spreadsheet reads it as a number."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [str(v) for v in value if not is_missing(v)]
        return safe_text(LIST_SEPARATOR.join(items))
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, (float, np.floating)) and np.isinf(value):
        return infinite_text(float(value))
    if isinstance(value, (dt.timedelta, np.timedelta64)) and not is_missing(value):
        return safe_text(str(pd.Timedelta(value)))  # "-1 days +00:00:00": text, no number
    return value


def infinite_text(value: float) -> str:
    """How ``inf`` / ``-inf`` is written, the same in CSV and XLSX: the text ``inf`` and
    ``'-inf`` (:func:`safe_text` of ``-inf``). A spreadsheet holds no infinite number (openpyxl
    wrote an empty cell, which reads as "missing"), and the bare ``-inf`` pandas writes in a
    CSV is a cell a spreadsheet runs as the formula ``=-inf``."""
    return safe_text("inf" if value > 0 else "-inf")


#: A separator inside a text cell at which a spreadsheet may split a line into cells (a
#: semicolon locale's list separator, the import wizard's tab), and the part that follows it.
_INNER_PART = re.compile(r"([;\t])([^;\t]*)")
#: A part after a separator that is a plain number (``-3``, ``-1,5``, ``+2.5%``): read as a
#: number, never run as a formula.
_PLAIN_NUMBER = re.compile(r" *[+-]?\d+(?:[.,]\d+)*%? *")


def _safe_inner_part(part: str) -> str:
    """``part`` (the text after a ``;`` or tab in a cell) with a leading ``'`` when a
    spreadsheet that splits there could run it (:func:`needs_neutralising`, looking past
    ``"``, which a split field may begin with); a plain number is left as it is."""
    if _PLAIN_NUMBER.fullmatch(part) or not needs_neutralising(part.replace('"', "")):
        return part
    return "'" + part


def safe_inner_text(text: str) -> str:
    """``text`` with every part after a ``;`` or tab neutralised (:func:`_safe_inner_part`):
    ``"x;=cmd"`` -> ``"x;'=cmd"``; the start of the text is :func:`safe_text`'s business."""
    if ";" not in text and "\t" not in text:
        return text
    return _INNER_PART.sub(lambda m: m[1] + _safe_inner_part(m[2]), text)


#: A separator inside a text cell followed by a ``'`` and the part after it.
_QUOTED_INNER_PART = re.compile(r"([;\t])'([^;\t]*)")


def restore_text(text: str) -> str:
    """Text as it was before :func:`safe_text` and :func:`safe_inner_text` neutralised it
    (``"'=a;'=b"`` -> ``"=a;=b"``): a ``'`` is removed only where those functions add one
    (before text they would neutralise), so a quote the export did not add stays."""
    if len(text) > 1 and text[0] == "'" and needs_neutralising(text[1:]):
        text = text[1:]
    if "'" not in text:
        return text
    return _QUOTED_INNER_PART.sub(
        lambda m: m[1] + m[2] if _safe_inner_part(m[2]) != m[2] else m[0], text)


def _safe_text_cell(value: object) -> object:
    """:func:`safe_cell`, then for text :func:`safe_inner_text` (CSV/TSV: a formula after a
    ``;`` or tab inside the cell)."""
    value = safe_cell(value)
    return safe_inner_text(value) if isinstance(value, str) else value


def neutralise(df: pd.DataFrame, inner: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every text/list cell passed through :func:`safe_cell`.
    Numeric, boolean and datetime columns are left as they are, but for a float column holding
    ``inf``/``-inf`` (then an object column, those cells text: :func:`infinite_text`); the
    header is neutralised too. ``inner`` (CSV and TSV text): text cells and headers also get
    :func:`safe_inner_text`, for a spreadsheet that splits lines at ``;`` (see the module
    docstring), in the same pass."""
    cell = _safe_text_cell if inner else safe_cell
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not isinstance(s.dtype, pd.CategoricalDtype) and (
                pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)):
            if not (pd.api.types.is_float_dtype(s) and bool(np.isinf(s.to_numpy(
                    dtype="float64", na_value=np.nan)).any())):
                continue  # numbers (and bools, dates) stay as they are; inf: infinite_text
            values = s.to_numpy()  # numpy's scalars: a float32 0.1 stays "0.1" in a CSV
        else:
            values = s.tolist()
        out[col] = pd.Series([cell(v) for v in values], index=s.index, dtype="object")
    out.columns = [cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


#: The column that marks a table resting on synthetic data (:func:`mark_synthetic`), the
#: name of the pledge field that marks a synthetic pledge.
SYNTHETIC_COLUMN = "is_synthetic"


def mark_synthetic(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` marked as resting on synthetic data, for a table that leaves the package: a last
    column :data:`SYNTHETIC_COLUMN` true on every row, so that the mark travels with the table
    into any spreadsheet or script (a CSV has no place for a note a reader keeps: a comment
    line breaks readers, a file name is lost on the first copy). A table that has the column
    already (pledge rows, each marked as its pledge is) keeps it as it is. A copy; ``df`` is
    not changed."""
    if SYNTHETIC_COLUMN in df.columns:
        return df
    return df.assign(**{SYNTHETIC_COLUMN: pd.Series(True, index=df.index, dtype="bool")})


def write_csv(df: pd.DataFrame, path: str | Path, sep: str = ",",
              synthetic: bool = False) -> Path:
    """Write ``df`` as UTF-8 CSV (no index) after :func:`neutralise` with ``inner`` (also
    after a ``;`` or a tab); dates as ISO ``YYYY-MM-DD`` (with time only when not midnight);
    missing values empty. ``sep="\\t"`` writes tab-separated text (a cell holding a tab is quoted).
    ``synthetic``: the table rests on synthetic data and carries the mark
    (:func:`mark_synthetic`). Returns the path."""
    p = check_output_path(path)
    text = io.StringIO(newline="")
    write_csv_stream(mark_synthetic(df) if synthetic else df, text, sep=sep)
    write_file(p, text.getvalue().encode("utf-8"))
    return p


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` as the file ``path``: a regular file (or a new one) is replaced whole
    (:func:`p2c_analysis.paths.replace_bytes`: a new file renamed over it), so a hard link
    to another file (a copy of a checkout made with ``cp -al``, holding the bundled data) is
    left as it was instead of written through, and a reader never sees part of a table; a
    symbolic link is followed (the file it names is replaced); a device (``/dev/null``) is
    written as it is. A file replaced keeps its permissions (a private ``0o600`` table stays
    private), and one this process may not write is refused as writing it in place would be
    (``PermissionError``), not replaced."""
    target = path.resolve() if path.is_symlink() else path
    try:
        st = target.stat()
    except OSError:  # not there yet
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "wb") as f:
            f.write(data)
        return
    if st is not None and not os.access(target, os.W_OK):
        raise PermissionError(13, "Permission denied", str(path))
    paths.replace_bytes(target, data, sync=False,
                        mode=stat.S_IMODE(st.st_mode) if st is not None else None)


def write_csv_stream(df: pd.DataFrame, stream: TextIO, sep: str = ",") -> None:
    """Write ``df`` to an open text stream (standard output) exactly as :func:`write_csv`
    writes it to a file: neutralised for text (:func:`neutralise`, ``inner``), no index,
    ``\\n`` line ends."""
    neutralise(df, inner=True).to_csv(stream, index=False, lineterminator="\n", sep=sep)


#: File names written as tab-separated text by :func:`write_table` (not CSV under a TSV name).
TAB_SEPARATED = (".tsv", ".tab")


def write_tsv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as UTF-8 tab-separated text: :func:`write_csv` with a tab between cells,
    the same neutralising (a cell beginning with a tab or ``=`` gets its leading ``'``).
    Returns the path."""
    return write_csv(df, path, sep="\t")


#: Spreadsheet file names a table is not written in (:func:`check_table_name`): what
#: :func:`write_table` writes under them (CSV text, or an XLSX workbook without macros under a
#: macro-enabled ``.xlsm`` name) is refused by Excel ("the file format or file extension is not
#: valid") or read as garbage.
OTHER_SPREADSHEETS = (".xls", ".xlsb", ".xlsm", ".xltx", ".xltm", ".ods", ".fods", ".numbers")


def check_table_name(path: str | Path, label: str = "output") -> None:
    """Raise :class:`OutputPathError` (one line naming ``path`` and ``label``, e.g.
    ``--out``) when ``path`` ends in a spreadsheet format :func:`write_table` does not write
    (:data:`OTHER_SPREADSHEETS`); CSV, TSV and XLSX names pass."""
    suffix = Path(path).suffix
    if suffix.lower() in OTHER_SPREADSHEETS:
        raise OutputPathError(f"{path}: {label} writes CSV, TSV or XLSX, not {suffix}: name it "
                              ".csv, .tsv or .xlsx")


def write_table(df: pd.DataFrame, path: str | Path, sheet: str = "data",
                synthetic: bool = False) -> Path:
    """Write ``df`` in the format its file name asks for: XLSX (:func:`write_xlsx`) for
    ``.xlsx``, tab-separated text (:func:`write_tsv`) for ``.tsv`` / ``.tab``, CSV
    (:func:`write_csv`) otherwise; another spreadsheet name (``.xls``, ``.xlsm``,
    ``.ods``...: :func:`check_table_name`) raises :class:`OutputPathError` and nothing is
    written. ``synthetic``: the table rests on synthetic data and carries the mark in every
    format (:func:`mark_synthetic`). Returns the path."""
    check_table_name(path)
    if synthetic:
        df = mark_synthetic(df)
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(df, path, sheet=sheet)
    if suffix in TAB_SEPARATED:
        return write_tsv(df, path)
    return write_csv(df, path)


def _xlsx_datetime(value: dt.datetime | np.datetime64) -> dt.datetime:
    """A date-time as an XLSX cell holds it, without a time zone (openpyxl refuses an aware
    one): an aware time as its UTC clock time (``10:00+02:00`` -> ``08:00``, the same instant
    whatever zone each cell had), a naive one as it is; a pandas ``Timestamp`` or numpy
    ``datetime64`` (whose ``item()`` is an ``int`` of nanoseconds) as a Python ``datetime``,
    to the microsecond (XLSX holds no finer)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.floor("us").to_pydatetime()


def _xlsx_value(value: object) -> object:
    """One neutralised cell as openpyxl writes it: missing -> ``None`` (empty), date-times
    through :func:`_xlsx_datetime`, numpy scalars as Python ones, dates, numbers, booleans
    and text as they are, anything else as its text."""
    if is_missing(value):
        return None
    if isinstance(value, (dt.datetime, np.datetime64)):
        return _xlsx_datetime(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.date, int, float, bool, str, decimal.Decimal)):
        return value  # a Decimal is a number, as in the CSV (openpyxl writes it so)
    return str(value)


def write_xlsx(df: pd.DataFrame, path: str | Path, sheet: str = "data",
               synthetic: bool = False) -> Path:
    """Write ``df`` to a one-sheet XLSX after :func:`neutralise`. Every text cell is a
    string cell (``data_type "s"``), never a formula; characters XLSX cannot hold
    (control characters other than tab/newline/CR) are removed. ``synthetic``: the table rests
    on synthetic data and carries the mark (:func:`mark_synthetic`). Returns the path.

    Raises :class:`CellTooLongError` (row in spreadsheet numbering, header = row 1) before
    anything is written when a text cell, neutralised, is longer than
    :data:`XLSX_CELL_CHARS`: no file is created (one already there is left as it was)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    p = check_output_path(path)
    safe = neutralise(mark_synthetic(df) if synthetic else df)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]

    def text_cell(row: int, column: int, text: str) -> None:
        # neutralise again after removing illegal characters: "\x01=cmd" becomes "=cmd"
        text = safe_text(ILLEGAL_CHARACTERS_RE.sub("", text))
        if len(text) > XLSX_CELL_CHARS:
            raise CellTooLongError(_too_long_for_xlsx(p, row, df.columns[column - 1], len(text)))
        cell = ws.cell(row=row, column=column, value=text)
        cell.data_type = "s"

    for j, name in enumerate(safe.columns, start=1):
        text_cell(1, j, str(name))
    for i, row in enumerate(safe.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(row, start=1):
            v = _xlsx_value(value)
            if isinstance(v, str):
                text_cell(i, j, v)
            else:
                cell = ws.cell(row=i, column=j, value=v)
                if isinstance(v, dt.datetime) and v.time() == dt.time(0):
                    cell.number_format = XLSX_DATE_FORMAT  # a date, as the CSV writes it
    _save_fixed_time(wb, p)
    return p


def _save_fixed_time(wb: Any, path: Path) -> None:
    """``wb.save(path)`` with every time stamp :data:`XLSX_TIMESTAMP`: openpyxl's own writer,
    given the document's created/modified times instead of now, into a zip whose parts carry
    that time too (``ZipFile`` dates a part named by text at the time of writing, and one
    written from a file at the file's time)."""
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    stamp = XLSX_TIMESTAMP.timetuple()[:6]

    class FixedTimeZip(zipfile.ZipFile):
        def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kw: Any) -> None:
            if isinstance(zinfo_or_arcname, str):
                zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=stamp)
                zinfo_or_arcname.compress_type = self.compression
            super().writestr(zinfo_or_arcname, data, *args, **kw)

        def write(self, filename: Any, arcname: Any = None, *args: Any, **kw: Any) -> None:
            # openpyxl writes each worksheet from a temporary file: dated by its mtime
            self.writestr(str(arcname or Path(filename).name), Path(filename).read_bytes())

    wb.properties.created = wb.properties.modified = XLSX_TIMESTAMP
    data = io.BytesIO()
    with FixedTimeZip(data, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    write_file(Path(path), data.getvalue())  # a hard link is not written through


def _too_long_for_xlsx(path: Path, row: int, column: object, n: int) -> str:
    name = str(column) if len(str(column)) <= 60 else str(column)[:59] + "…"
    where = f"row {row}, column {name}" if row > 1 else f"row 1 (the header), column {name}"
    return (f"{path}: {where}: {n:,} characters, more than an XLSX cell holds "
            f"({XLSX_CELL_CHARS:,}); write .csv to keep it whole")
