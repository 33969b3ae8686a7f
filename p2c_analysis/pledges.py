"""Loading pledge exports: valid pledges + quarantine, nothing lost.

:func:`load_pledges` reads a CSV or XLSX pledge file, maps its columns onto the canonical
pledge table (``docs/architecture.md``, registry in :mod:`p2c_analysis.fields`), parses every
cell (:mod:`p2c_analysis.parsing`), resolves countries and regions
(:mod:`p2c_analysis.countries`), converts values to US dollars (:mod:`p2c_analysis.fx`) and
splits the rows into ``valid`` (canonical, schema-checked) and ``quarantine`` (every row set
aside, with all its reasons and the raw row). Always ``n_read == len(valid) + len(quarantine)``.

Conventions and decisions:

- **Row numbers** (``source_row``) are spreadsheet row numbers: the header is row 1, the first
  data row is row 2, as Excel/LibreOffice show them (a CSV record with quoted newlines is one
  row). Completely empty rows are skipped (not counted as read) but keep their number. Title
  rows above the header ("Partner2Connect pledges", "Exported 2026-12-01") are passed over:
  when the first non-blank row names no pledge columns, the first of the next rows that
  names two fields or more, one a title or a pledger, is the header
  (``LoadResult.header_row``; the rows above it in ``LoadResult.preamble``, not read). A first
  row that names pledge columns is itself a heading over groups of columns when the row right
  below names more fields ("Pledge" over "Title" and "Pledger"): that row is the header.
- **Column mapping**: without a mapping file, source headers are matched (case-insensitive,
  spaces/dashes = underscores) against the canonical field names and their aliases in
  :mod:`p2c_analysis.fields` (the bundled ``public_pledges.csv`` layout is covered by those
  aliases). A TOML mapping file names the source column of each field; see
  ``data/mappings/p2c_platform_export.toml``.
- **pledge_id**: taken from the source when it has an id column (a blank id there is a
  quarantine reason). Otherwise derived: ``<prefix><first 8 hex of SHA-1 of normalised
  title|pledger>`` (default prefix ``P2C-``), stable across runs and row order; a second row
  with the same title and pledger (a "twin") gets ``-2``, ``-3``... in the order of their
  content: first the fields that rarely change (description, source URL, announcement date,
  targets, focus areas...: ``TWIN_STABLE_FIELDS``), then value and status, then the other
  fields, then the notes, then the source row only for rows otherwise identical; so
  shuffling the rows gives each pledge the same id, and a twin whose value or status changes
  keeps its id where its descriptive fields tell it apart. A twin's id may change when its
  descriptive fields change (or, where the twins differ in nothing else, its value).
- **Values**: ``value_as_stated`` is parsed; an explicit USD figure in the text wins, a USD
  amount is taken as is, another currency is converted with the WDI annual-average rate of the
  announcement year (:mod:`p2c_analysis.fx`; nearest earlier year if missing, at most
  ``fx.MAX_RATE_AGE_YEARS`` old, noted; else set aside). A
  source column ``estimated_value_usd`` (in the bundled file: the curator's own USD figure,
  e.g. EUR at 1.10) is used only when no value text is given; when both exist and differ by
  more than 0.5 %, the curator's figure is kept visible in ``notes``. A number with no
  currency is read as USD (noted). A stated value of 0 is read as "not stated" (NaN). In a
  file whose amounts show decimal commas (``1,5 million``), an amount such as ``1,250``
  is set aside as ambiguous (1,250 or 1.25: a thousand times apart), and so is ``1.250`` in
  one writing thousands with points (``1.000.000``).
- **Several stakeholder / pledge types** in one cell: the first listed is kept, the others
  are written into ``notes`` ("also listed as stakeholder type: Government").
- **Regions**: "Global", "Worldwide", "World", "All countries" set ``is_global`` instead of a
  region. A region cell naming a country adds the country (noted), and vice versa.
- **``NA`` alone in a country cell** is Namibia's ISO alpha-2 code or "not available": it
  is read by the file's other country cells (Namibia where they are alpha-2 codes, not
  stated where they are names or alpha-3 codes; noted either way), and set aside as
  ambiguous where the file mixes both. Among other countries (``ZA; NA``) it is Namibia.
- **``No`` alone in a country or region cell** is Norway's ISO alpha-2 code or "none named"
  (it was read as Norway without a word): ``NO`` in capitals in a file of alpha-2 codes is
  Norway, ``No``/``no`` in a file of names or alpha-3 codes is not stated (as ``none`` and
  ``N/A`` are), both noted; any other case (``NO`` beside alpha-3 codes, ``no`` beside
  alpha-2 codes, a file that mixes both) is set aside naming both readings; a file whose
  other country cells name no country is read as one of names (``NA``, ``No`` not stated,
  ``NO`` set aside), its notes and reasons saying it shows no convention. In a list
  (``NO; SE; DK``, ``NO, SE, DK``) it is Norway.
- **Totals rows**: a row whose title or id is ``Total``, ``Grand total``, ``Sum``... is
  quarantined ("totals row"): counted, it would double the rows above it; so is a group's
  sum line ("Subtotal Africa", "Total 2023": a total followed by a region, a country or a
  year).
- **Duplicates**: an exact duplicate (all cells equal after trimming; "but for letter case or
  spacing" when they are equal only after folding case and runs of spaces) of an earlier row
  is quarantined ("exact duplicate: of row N"); a later row repeating an earlier row's
  ``pledge_id`` is quarantined ("duplicate pledge_id"); the first occurrence stays valid.
  A row repeating the header (case and spacing ignored: two exports pasted together) is
  quarantined with that one reason ("repeated header"), not read as a pledge; when it names
  the header's columns in another order, the rows below it (until the header repeats in its
  own order) are quarantined too ("below a reordered header"): read under the first header,
  their pledgers would be titles.
  Two valid rows with the same title and pledger (case and spacing ignored) but other cells
  that differ are both counted (one pledge a year under one title is common), and both say
  so in their notes, naming the other row and its value: a revised pledge exported twice
  would otherwise be counted twice without a word.
- **Encodings** (CSV): each line is read as UTF-8 when it is valid UTF-8, else in one
  fallback encoding detected with charset-normalizer from the lines that are not (cp1252 on
  a tie, and rather than Mac Roman whenever the bytes decode as cp1252); a file with no
  UTF-8 beyond ASCII is simply in that encoding. When both occur, the rows that needed the
  fallback are listed (``LoadResult.fallback_rows``) and say so in their notes. UTF-16 with
  a BOM (Excel "Unicode text") is read as a whole, and so is UTF-16 without one whose every
  other byte is NUL (:func:`_utf16_without_bom`).
- **Sheets** (XLSX): the mapping's ``sheet``; else, of the visible sheets (a hidden one is
  an old or helper sheet), the one whose columns name the most fields, so that a first sheet
  with notes or a summary of the pledges (``Title``, ``Pledger``, ``Value``) is not read as
  the pledges; each sheet's header may stand under title rows, as above (the workbook is
  opened once to choose and read); the other sheets with pledge columns are named
  (``LoadResult.other_sheets``; hidden ones too, as ``"<name> (hidden)"``); two sheets
  naming as many fields are refused in one line.
- **XLSX** files are streamed (openpyxl read-only mode, bounded by the cells stored, never
  by the declared sheet dimension) after the zip's declared sizes are checked; their XML
  goes through defusedxml (no entity expansion, no external entities). A formula cell with
  no cached value (a file written by a program that cannot compute formulas) quarantines its
  row ("formula without cached value"), and so does a row hidden in the sheet (filtered out
  or hidden by hand: "hidden row"), which the spreadsheet does not show. A range merged over
  several rows below the header gives its value to each row it spans, as a spreadsheet shows
  it (one pledger over three pledges; noted), except an amount, which stays on the range's
  first row only (noted on the others: one amount, not three). A column hidden in the sheet
  is read like the others, and named with the field read from it
  (``LoadResult.hidden_columns``, and in ``p2c check-pledges``): a spreadsheet does not show
  what was read from it. A number in an amount column
  is read as its cell's number format shows it (``€5,000,000`` is EUR, ``5%`` a percentage,
  ``0.0 "M"`` millions; noted), not as a bare number taken for US dollars.
- **Text cells** are read in Unicode's composed form (NFC) without invisible format
  characters (zero-width spaces and joiners, word joiners, soft hyphens, BOMs, direction
  marks: :func:`_clean_text`, the list column names are matched without): what they show,
  so twins that differ only there are duplicates; the raw rows of the quarantine keep the
  cells as written.
- **Column names** are matched after folding Unicode compatibility forms, dropping invisible
  format characters (zero-width spaces, soft hyphens, BOMs) and case, with every run of
  other characters than letters and digits read as one ``_`` (:func:`fields.normalise_column`);
  the columns that match no field are listed (``LoadResult.unused_columns``, and in the
  header of a report on the file). A value column whose header names a currency (``Value
  (EUR)``, ``Amount in KES``, ``Value (€)``) is read in that currency when no currency
  column or constant gives one (:func:`_currency_of_the_value_header`).
- **Limits** (:class:`p2c_analysis.limits.Limits`): a file over one (size, rows, columns,
  XLSX unzipped size or compression ratio) is refused with one line naming the limit and
  its ``P2C_MAX_*`` variable; a cell over the cell-length limit quarantines only its row.
- **Nothing is lost**: a value no parser accepts (dates outside 2000-2100, negative years,
  non-finite or absurd amounts above USD 10 trillion, ``javascript:`` links...) quarantines
  its row; a column that still fails the canonical dtypes or the schema quarantines the
  rows that make it fail, never the file.
- Loader remarks are appended to the source notes after ``[loader]``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import hashlib
import itertools
import json
import math
import re
import stat
import sys
import tomllib
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import charset_normalizer
import defusedxml.ElementTree as DefusedET
import pandas as pd
from defusedxml import DefusedXmlException

from p2c_analysis import countries, fields, fx, parsing, paths, values, vocabulary
from p2c_analysis.export import (
    SYNTHETIC_COLUMN,
    CellTooLongError,
    OutputPathError,
    check_output_path,
    check_table_name,
    restore_text,
    write_csv_stream,
    write_table,
)
from p2c_analysis.limits import (
    MAX_PLEDGE_USD,
    InputFileError,
    LimitError,
    Limits,
    read_limited,
    read_stream_limited,
    terminal_safe,
)
from p2c_analysis.parsing import ParseError
from p2c_analysis.text import without_invisible

DELIMITERS = (",", ";", "\t", "|")
DEFAULT_ID_PREFIX = "P2C-"
VALUE_TOLERANCE = 0.005  # relative difference above which the curator's USD figure is noted
QUARANTINE_COLUMNS = ("source_row", "reasons", "raw")
#: Where the next of a row's joined reasons starts: "; " before "<kind>:" (for a quarantine
#: read back from a file; a load keeps each row's kinds, :attr:`LoadResult.reason_kinds`).
_NEXT_REASON = re.compile(r"; (?=[a-z][A-Za-z0-9_ ()/-]*:)")
_NOT_A_COUNTRY = frozenset({"international", "multinational", "various", "multiple", "global",
                            "worldwide", "n a"})


class PledgeFileError(InputFileError):
    """A pledge (or mapping) file cannot be read at all. ``str(err)`` is one line:
    ``<file>: <what is wrong>``."""


class _MappedColumnMissing(PledgeFileError):
    """A column the mapping names is not in the header read (a title row, another sheet)."""


class PledgeDataError(ValueError):
    """Raised by ``load_pledges(strict=True)`` on the first bad row:
    ``<file>: row <n>: <reason>``."""


@dataclass
class LoadResult:
    """What :func:`load_pledges` read.

    ``valid``: canonical pledge frame (schema-checked). ``quarantine``: one row per set-aside
    source row, columns ``source_row`` (spreadsheet row number, header = row 1), ``reasons``
    (all reasons, ``"; "``-joined, each ``"<kind>: <detail>"``) and ``raw`` (the source row
    as a JSON object string, header -> cell text). ``n_read``: data rows read (empty rows not
    counted); always ``n_read == len(valid) + len(quarantine)``.

    ``encoding`` is the CSV file's encoding (``None`` for XLSX). A CSV mixing UTF-8 rows
    with rows in another encoding keeps ``encoding="utf-8"`` and names the other one in
    ``fallback_encoding`` and the rows decoded with it in ``fallback_rows`` (spreadsheet
    row numbers; such a valid row also says so in its ``notes``).
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    source: Path
    n_read: int
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns_used: dict[str, str] = field(default_factory=dict)
    unused_columns: list[str] = field(default_factory=list)
    fallback_encoding: str | None = None
    fallback_rows: list[int] = field(default_factory=list)
    #: XLSX: the other visible sheets with pledge columns, not read (a summary of the pledges,
    #: a copy with fewer columns); the sheet read is the one whose columns name most fields;
    #: then the hidden sheets with pledge columns, as ``"<name> (hidden)"``
    other_sheets: list[str] = field(default_factory=list)
    #: the header's spreadsheet row number: 1, or below title rows (``preamble``: the
    #: non-blank rows above it, not read)
    header_row: int = 1
    preamble: list[int] = field(default_factory=list)
    #: XLSX: the header's columns hidden in the sheet, ``{column: field read from it, or
    #: None}``, a column named as ``"E 'Value'"`` (letter, header): they are read as any
    #: column, but a spreadsheet does not show what was read from them (:meth:`hidden_summary`)
    hidden_columns: dict[str, str | None] = field(default_factory=dict)
    #: ``source_row`` → the kinds of its reasons, in order, as the load set the row aside:
    #: what :meth:`reason_counts` counts (a reason may quote a cell that holds "; word:").
    reason_kinds: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.conserved:
            raise AssertionError(
                f"{self.source}: rows read ({self.n_read}) != valid ({len(self.valid)}) + "
                f"quarantined ({len(self.quarantine)})"
            )

    @property
    def conserved(self) -> bool:
        """True when every row read is either valid or quarantined."""
        return self.n_read == len(self.valid) + len(self.quarantine)

    def reason_counts(self) -> pd.Series:
        """Number of quarantined rows per reason kind (the text before ``:``), largest
        first, then by kind (the same order in every run); a row with two kinds counts once
        under each. Empty Series when none.

        The kinds are those the load recorded (:attr:`reason_kinds`). For a row it did not
        record (a quarantine put together by hand), the joined text is split where ``"; "``
        is followed by a kind (a word in lower case, then ``:``)."""
        counter: Counter[str] = Counter()
        q = self.quarantine
        for row, reasons in zip(q["source_row"].tolist(), q["reasons"].tolist(), strict=True):
            kinds = self.reason_kinds.get(row)
            if kinds is None:
                kinds = tuple(_kind(r) for r in _NEXT_REASON.split(str(reasons)) if r.strip())
            counter.update(set(kinds))
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        s = pd.Series(dict(ranked), dtype="int64", name="rows")
        s.index.name = "reason"
        return s

    def hidden_summary(self) -> str | None:
        """One line naming the columns hidden in the sheet and the field read from each
        (``"E 'Value' (read as value_as_stated), F 'Internal' (not used): unhide them in the
        spreadsheet to see what was read"``); ``None`` when no column of the header is
        hidden. At most 30 columns are listed, each cut to 100 characters."""
        if not self.hidden_columns:
            return None
        listed = _listing([f"{col} ({'read as ' + name if name else 'not used'})"
                           for col, name in self.hidden_columns.items()], chars=100)
        return f"{listed}: unhide them in the spreadsheet to see what was read"

    def encoding_summary(self, most: int = 20) -> str | None:
        """``"utf-8; 2 rows decoded as cp1252: rows 5, 9"`` for a mixed-encoding CSV (at
        most ``most`` row numbers listed); ``None`` when every row has the same encoding."""
        if not self.fallback_rows:
            return None
        n = len(self.fallback_rows)
        listed = ", ".join(str(r) for r in self.fallback_rows[:most])
        more = f", ... ({n - most} more)" if n > most else ""
        word = "row" if n == 1 else "rows"
        return (f"{self.encoding}; {n} {word} decoded as {self.fallback_encoding}: "
                f"{word} {listed}{more}")


def _kind(reason: str) -> str:
    """The kind of one reason ``"<kind>: <detail>"``: the text before its first ``:``."""
    return reason.split(":", 1)[0].strip()


# --- reading the table -----------------------------------------------------------------------

@dataclass
class _Table:
    header: list[str]  # unique names: a repeated one gets ".1", ".2"...; a blank one "column_<n>"
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells)
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    row_reasons: dict[int, list[str]] = field(default_factory=dict)  # found while reading
    # XLSX: {row: {column: number format}} of the number cells shown with more than digits
    cell_formats: dict[int, dict[int, str]] = field(default_factory=dict)
    # XLSX: {row: [(column, first row, last row)]} of the cells filled from merged ranges
    merged_fills: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    extra_columns: dict[int, list[int]] = field(default_factory=dict)  # see _add_row
    fallback_encoding: str | None = None  # mixed-encoding CSV: the encoding of non-UTF-8 rows
    fallback_rows: list[int] = field(default_factory=list)  # ... and their row numbers
    header_given: list[str] = field(default_factory=list)  # the header's names as written
    header_cells: int = 0  # CSV: cells of the header row, blank ones at its end included
    other_sheets: list[str] = field(default_factory=list)  # XLSX: see LoadResult
    header_at: int = 0  # the header's row number when rows above it are titles (0: first row)
    header_row: int = 1  # the header's row number, as read
    preamble: list[int] = field(default_factory=list)  # the non-blank rows above the header
    hidden_columns: set[int] = field(default_factory=set)  # XLSX: hidden in the sheet, 1-based


def _listing(names: list[str], most: int = 30, chars: int = 60) -> str:
    """Names for a one-line message: at most ``most`` of them, each cut to ``chars``
    characters."""
    shown = [n if len(n) <= chars else n[:chars] + "..." for n in names[:most]]
    more = f", ... ({len(names) - most} more)" if len(names) > most else ""
    return ", ".join(shown) + more


def _unique_header(cells: list[object]) -> list[str]:
    out: list[str] = []
    seen: Counter[str] = Counter()
    for j, c in enumerate(cells, start=1):
        name = str(c).strip() if c is not None and str(c).strip() else f"column_{j}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _last_filled(cells: list[object] | tuple[object, ...]) -> int:
    """1-based position of the last non-blank cell; 0 for a blank row."""
    for j in range(len(cells) - 1, -1, -1):
        if not _blank(cells[j]):
            return j + 1
    return 0


def _blank(value: object) -> bool:
    """An empty cell: missing, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


# CSV text: each physical line is decoded as UTF-8 when it is valid UTF-8, else with one
# fallback encoding that charset-normalizer detects, among these, from the lines that are not:
# the encodings spreadsheets and databases export text in (Windows ANSI code pages, ISO 8859,
# KOI8, Mac Roman, the East Asian multi-byte ones). Left out: DOS code pages, which the
# detector favours on short samples, and encodings that are not ASCII-based or not stateless.
FALLBACK_ENCODINGS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "latin_1", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u",
    "mac_roman", "cp874", "cp932", "shift_jis", "euc_jp", "gb18030", "gbk", "big5", "cp949",
    "euc_kr",
)


_LINE_TEXT = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line as csv sees it
_LINE_BYTES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_SAMPLE_BYTES = 1 << 20  # at most this much of the non-UTF-8 lines goes to the detector


class _Lines:
    """The decoded physical lines of CSV bytes (line ends kept), produced one at a time so
    that nothing larger than the file is ever held: each line as UTF-8 when it is valid
    UTF-8, else in ``fallback``. ``n_fallback`` counts the lines decoded with the fallback
    so far. ``encoding`` labels the file; ``mixed`` is true when UTF-8 text beyond ASCII
    and fallback lines both occur (then the fallback rows are named)."""

    def __init__(self, body: bytes | str, encoding: str, fallback: str | None = None,
                 mixed: bool = False) -> None:
        self.body, self.encoding, self.fallback, self.mixed = body, encoding, fallback, mixed
        self.n_fallback = 0

    def __iter__(self) -> Iterator[str]:
        if isinstance(self.body, str):
            for m in _LINE_TEXT.finditer(self.body):
                yield m.group()
            return
        for m in _LINE_BYTES.finditer(self.body):
            try:
                yield m.group().decode("utf-8")
            except UnicodeDecodeError:
                self.n_fallback += 1
                yield _decode_line(m.group(), self.fallback or "latin-1")


def _decode_line(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:  # a byte the sample given to the detector did not have
        return raw.decode("latin-1")  # keeps every byte, one character each


def _detect_fallback(sample: bytes) -> str:
    """The encoding of ``sample`` (bytes that are not UTF-8) as charset-normalizer ranks it
    among :data:`FALLBACK_ENCODINGS`; among candidates it finds equally likely, cp1252
    (Excel's Western default) is preferred. Mac Roman, ranked first, gives way to cp1252
    whenever the sample decodes as cp1252 (no byte 0x81, 0x8D, 0x8F, 0x90 or 0x9D, which
    cp1252 leaves undefined): on a short sample the detector ranked a cp1252 ``€5 million``
    Mac Roman, read ``Ä5 million`` (an unknown currency) with every accent mangled, and Mac
    Roman files are rare today. cp1252, then latin-1 (which decodes anything) when nothing
    it proposes decodes the sample."""
    candidates: list[str] = []
    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(FALLBACK_ENCODINGS))
    best = matches.best()
    if best is not None:
        tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
        names = {n for m in tied for n in (m.encoding, *m.could_be_from_charset)}
        candidates = ["cp1252"] if "cp1252" in names else [best.encoding]
        if best.encoding == "mac_roman":  # cp1252 first; Mac Roman when cp1252 cannot be it
            candidates = ["cp1252", best.encoding]
    for enc in (*candidates, "cp1252", "latin-1"):
        try:
            sample.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        return codecs.lookup(enc).name
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _decode(path: Path, data: bytes) -> _Lines:
    """Decode CSV bytes line by line (see :func:`load_pledges`)."""
    if data[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):  # before UTF-16: FF FE 00 00
        try:
            return _Lines(data.decode("utf-32"), "utf-32")
        except UnicodeDecodeError:
            raise PledgeFileError(path, "not valid UTF-32 text") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel "Unicode text": UTF-16 with BOM
        try:
            return _Lines(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            raise PledgeFileError(path, "not valid UTF-16 text") from None
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    label = "utf-8 (BOM)" if bom else "utf-8"
    try:
        return _Lines(body.decode("utf-8"), label)
    except UnicodeDecodeError:
        pass
    sample = bytearray()
    utf8_beyond_ascii = False
    for m in _LINE_BYTES.finditer(body):
        raw = m.group()
        try:
            utf8_beyond_ascii |= not raw.decode("utf-8").isascii()
        except UnicodeDecodeError:
            if len(sample) < _SAMPLE_BYTES:
                sample += raw
    fallback = _detect_fallback(bytes(sample))
    if utf8_beyond_ascii:
        return _Lines(body, label, fallback, mixed=True)  # really mixed: say which rows
    return _Lines(body, fallback, fallback)  # no UTF-8 beyond ASCII: the whole file is that


def _sniff_delimiter(first: str) -> str:
    """The delimiter among ``, ; TAB |`` that occurs most often in the header line
    (outside quotes); ``,`` on a tie or when none occurs."""
    counts = {}
    for d in DELIMITERS:
        try:
            row = next(csv.reader([first], delimiter=d, skipinitialspace=True))
            counts[d] = len(row) - 1
        except (csv.Error, StopIteration):
            counts[d] = 0
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


@contextlib.contextmanager
def _csv_field_limit(n: int) -> Iterator[None]:
    """Let the csv module read fields up to ``n`` characters (its default, 131,072, would
    reject the whole file at a long cell; long cells are quarantined row by row instead)."""
    old = csv.field_size_limit(min(max(n, 131_072), 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _read_csv(path: Path, data: bytes, lim: Limits, header_at: int = 0,
              delimiter: str | None = None) -> _Table:
    """The table of CSV bytes; ``delimiter``: the one to split on (``None``: sniffed from the
    first line, :func:`_sniff_delimiter`); an Excel ``sep=`` first line wins over both."""
    dec = _decode(path, data)
    lines = iter(dec)
    first = next(lines, "")
    # Excel's "sep=;" first line names the delimiter; spreadsheets hide it, so it is not row 1
    sep = re.fullmatch(r"sep=(.)\r?\n?", first)
    if sep:
        first = next(lines, "")
    delimiter = sep.group(1) if sep else delimiter or _sniff_delimiter(first.rstrip("\r\n"))
    table = _Table([], [], "csv", encoding=dec.encoding, delimiter=delimiter,
                   fallback_encoding=dec.fallback if dec.mixed else None, header_at=header_at)
    read = _LinesRead(itertools.chain([first], lines))
    # a space after the delimiter ('"a", "b"', common in hand-written files) does not keep a
    # quoted cell from being read as one: without this, '"USD 1,500,000"' split in two
    reader = csv.reader(read, delimiter=delimiter, skipinitialspace=True)
    rownum, line = 0, 2 if sep else 1  # rows as a spreadsheet numbers them; physical lines
    with _csv_field_limit(len(data) + 1):
        try:
            while True:
                before = dec.n_fallback
                read.taken.clear()
                record = next(reader, None)
                if record is None:
                    break
                rownum += 1
                if dec.mixed and dec.n_fallback > before:
                    table.fallback_rows.append(rownum)
                if table.header and (why := _unclosed_quote(read.taken, record, line,
                                                            table.header_cells, delimiter)):
                    table.row_reasons.setdefault(rownum, []).append(why)
                line += len(read.taken)
                _add_row(table, path, lim, rownum, record, "")
        except csv.Error as err:
            raise PledgeFileError(path, f"not a readable CSV table (row {rownum + 1}: {err})") \
                from None
    if not table.header:
        raise PledgeFileError(path, "empty file (no header row)")
    return table


def _quote_never_closed(lines: list[str], delimiter: str) -> bool:
    """Whether the CSV text of ``lines`` ends inside a quoted cell (Python's ``csv`` reads
    such a cell to the end of the data without a word; its strict mode says "unexpected end
    of data")."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True, skipinitialspace=True):
            pass
    except csv.Error as err:
        return "end of data" in str(err)
    return False


class _LinesRead:
    """An iterator over lines that keeps those taken since ``taken`` was last cleared: the
    physical lines of the CSV record being read."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines, self.taken = lines, []

    def __iter__(self) -> _LinesRead:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken.append(line)
        return line


def _unclosed_quote(taken: list[str], record: list[str], line: int, header_cells: int,
                    delimiter: str) -> str | None:
    """The reason for a record that a quote left open has joined with the lines after it, or
    ``None``. ``taken``: the record's physical lines, the first numbered ``line``. A quoted
    cell may hold line breaks (a description over several lines); it is taken for a quote
    left open when the record does not have the header's cell count (or the quote is never
    closed) and a line inside it reads as a whole row by itself (as many cells as the
    header). Such a record is set aside whole, its lines named, not read as one pledge.
    A quote never closed (the file ends inside it: a cut export) always sets its record
    aside, one line or several: the cells after it were read into one cell
    (:func:`_quote_never_closed`)."""
    if len(taken) < 2:
        if taken and taken[0].count('"') % 2 and _quote_never_closed(taken, delimiter):
            return (f"unclosed quote: a quote opened in line {line} is never closed (the "
                    f"file ends inside it), so the rest of line {line} was read as one cell; "
                    "close the quote and load the file again")
        return None
    open_to_end = _quote_never_closed(taken, delimiter)
    if not open_to_end and len(record) == header_cells:
        return None
    rows_inside = [i for i, text in enumerate(taken[1:], 1)
                   if len(next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter,
                                          skipinitialspace=True), []))
                   >= header_cells]
    last = line + len(taken) - 1
    if not rows_inside:
        if not open_to_end:
            return None
        return (f"unclosed quote: a quote opened in line {line} is never closed, so lines "
                f"{line}-{last} were read as one cell; close the quote and load the file "
                "again")
    closed = "is never closed" if open_to_end else f"is closed only in line {last}"
    return (f"unclosed quote: a quote opened in line {line} {closed}, so lines {line}-{last} "
            f"were read as one row (line {line + rows_inside[0]} reads as a row of its own); "
            "close the quote and load the file again")


def _add_row(table: _Table, path: Path, lim: Limits, rownum: int, cells: list[object],
             where: str) -> None:
    """Add one row read from the file to ``table``: the first non-blank row is the header;
    data rows keep the cells up to the header's width plus any non-blank cell beyond it
    (its column in ``table.extra_columns``), so a stray far-right cell costs no memory.
    Rejects the file when it reaches past the rows limit (blank rows count: in an XLSX a
    gap before a stored row comes as blank rows, and the check stops before a gap of
    millions is walked) or data past the columns limit, or has a header cell over the
    cell-length limit."""
    # blank rows count: a file of a million empty lines stops here, not after a long walk
    if msg := lim.exceeded("rows", rownum, f"{where}a row numbered {rownum:,}"):
        raise PledgeFileError(path, msg)
    width = _last_filled(cells)
    if width == 0:
        return
    if msg := lim.exceeded("columns", width, f"{where}row {rownum:,} has {width:,} columns"):
        raise PledgeFileError(path, msg)
    if not table.header and rownum < table.header_at:
        table.preamble.append(rownum)  # a title above the header (_sheet_header)
        return
    if not table.header:
        longest = max(len(_cell_text(c)) for c in cells[:width])
        if msg := lim.exceeded("cell_chars", longest, f"{where}a header cell of "
                                                      f"{longest:,} characters"):
            raise PledgeFileError(path, msg)
        table.header = _unique_header(list(cells[:width]))
        table.header_row = rownum
        table.header_given = [_cell_text(c).strip() for c in cells[:width]]
        table.header_cells = len(cells) if table.file_format == "csv" else width
        return
    hw = len(table.header)
    if hw < width and hw < table.header_cells:
        # a value under a blank cell at the header's end ("title,pledger,"): a column with no
        # name, as a blank header cell between two named ones is, not a cell beyond the header
        hw = min(width, table.header_cells)
        table.header = _unique_header([*table.header, *[None] * (hw - len(table.header))])
        table.header_given += [""] * (hw - len(table.header_given))
    kept = list(cells[:hw])
    extra = [j for j in range(hw, width) if _last_filled(cells[j:j + 1])]
    if extra:
        kept += [cells[j] for j in extra]
        table.extra_columns[rownum] = [j + 1 for j in extra]
    table.rows.append((rownum, kept))


def _check_zip(path: Path, lim: Limits) -> None:
    """Refuse an XLSX whose parts declare too much uncompressed data, before any part is
    opened. (Python's zipfile stops a part at its declared size, so the declaration holds.)"""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise PledgeFileError(path, "not a readable XLSX workbook (damaged zip file)") from None
    total = sum(p.file_size for p in parts)
    if msg := lim.exceeded("xlsx_unzipped_mb", total / 2**20,
                           f"unzipped size {total / 2**20:,.0f} MB"):
        raise PledgeFileError(path, msg)
    for p in parts:
        if p.file_size < _RATIO_MIN_BYTES:
            continue
        ratio = p.file_size / max(p.compress_size, 1)
        if msg := lim.exceeded("xlsx_ratio", ratio,
                               f"part {p.filename!r} compressed {ratio:,.0f} to 1"):
            raise PledgeFileError(path, msg)


_RATIO_MIN_BYTES = 2**20  # parts smaller than this are not checked for their compression ratio


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class _SheetScan:
    """What openpyxl's read-only rows do not tell, from one pass over a sheet's XML."""

    #: ``{row: {column: "=formula"}}`` (1-based) of the cells that hold a formula and no
    #: cached value
    uncomputed: dict[int, dict[int, str]] = field(default_factory=dict)
    #: merged ranges as ``(min_col, min_row, max_col, max_row)`` (1-based, inclusive)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: ``{row: {column: number format}}`` of the number cells shown with more than their
    #: digits: a percentage, a currency, a scale or other words (:func:`_money_formats`)
    formats: dict[int, dict[int, str]] = field(default_factory=dict)
    #: the rows hidden in the sheet (``<row hidden="1">``: hidden by hand or by a filter)
    hidden: set[int] = field(default_factory=set)
    #: the columns hidden in the sheet (``<col min= max= hidden="1">``; 1-based)
    hidden_columns: set[int] = field(default_factory=set)


#: Number formats built into Excel that a money column cares about (id -> code).
_BUILTIN_FORMATS = {5: "$#,##0", 6: "$#,##0", 7: "$#,##0.00", 8: "$#,##0.00", 9: "0%",
                    10: "0.00%"}


def _money_formats(path: Path) -> dict[int, str]:
    """``{cell style index: number format}`` of the workbook's styles whose format shows a
    number with more than the digits (:func:`_format_text`): a percentage, a currency (a
    symbol, a code or ``[$EUR]``), a scale or any other word (``0.0 "M"``, ``#,##0 "EUR"``):
    a spreadsheet shows such a cell as ``5%``, ``€5,000,000`` or ``12.5 M``, not as the bare
    number stored. Empty when the workbook has no styles part."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open("xl/styles.xml") as src:
            custom: dict[int, str] = {}
            xfs: list[int] = []
            in_xfs = False
            for event, el in DefusedET.iterparse(src, events=("start", "end")):
                tag = _local(el.tag)
                if event == "start" and tag == "cellXfs":
                    in_xfs = True
                elif event == "end" and tag == "cellXfs":
                    in_xfs = False
                elif event == "end" and tag == "numFmt":
                    with contextlib.suppress(TypeError, ValueError):
                        custom[int(el.get("numFmtId"))] = el.get("formatCode") or ""
                elif event == "end" and tag == "xf" and in_xfs:
                    xfs.append(int(el.get("numFmtId") or 0))
    except (KeyError, OSError, zipfile.BadZipFile, DefusedET.ParseError, ValueError):
        return {}
    out = {}
    for i, fmt_id in enumerate(xfs):
        code = custom.get(fmt_id, _BUILTIN_FORMATS.get(fmt_id, ""))
        if _format_shows(code):
            out[i] = code
    return out


#: One piece of a number format: quoted text, an escaped character, a ``[$..]`` currency (its
#: text before ``-``, and the locale's number after it), another ``[..]`` (a colour, a
#: condition, a locale), a space as wide as a character (``_)``), a fill (``*x``), the
#: digits (``0 # ?`` with ``,`` and ``.``; commas right after them scale the number down by
#: 1000 each; an exponent ``E+00``), ``General``, or any other character (shown as it is).
_FORMAT_PIECE = re.compile(
    r'"(?P<quoted>[^"]*)"?|\\(?P<escaped>.)|\[\$(?P<currency>[^\]-]*)'
    r"(?:-(?P<lcid>[0-9A-Fa-f]{1,8})(?=\]))?[^\]]*\]|\[[^\]]*\]"
    r"|_(?P<space>.)|\*.|(?P<digits>[0#?](?:[0#?,.]*[0#?])?)(?P<commas>,*)(?:E[+-][0#?]+)?"
    r"|(?P<general>General)|(?P<other>.)", re.IGNORECASE | re.DOTALL)


#: The currency of the Windows locale (LCID) of a ``[$sign-LCID]`` number format whose sign
#: several currencies use (:data:`parsing.SIGN_CURRENCIES`): Excel's "$ English (Canada)" is
#: ``[$$-1009]``, and its cells, shown as ``$5,000,000``, were read as US dollars.
_LOCALE_CURRENCIES: dict[int, str] = {
    0x409: "USD", 0x540A: "USD", 0x500A: "USD", 0x300A: "USD", 0x440A: "USD",  # US, PR, EC, SV
    0x1009: "CAD", 0xC0C: "CAD", 0xC09: "AUD", 0x1409: "NZD", 0x4809: "SGD", 0x1004: "SGD",
    0x3C09: "HKD", 0xC04: "HKD", 0x404: "TWD", 0x2009: "JMD", 0x2C09: "TTD", 0x2809: "BZD",
    0x80A: "MXN", 0x2C0A: "ARS", 0x340A: "CLP", 0x240A: "COP", 0x1C0A: "DOP", 0x380A: "UYU",
    0x411: "JPY", 0x804: "CNY",
}


def _locale_currency(sign: str, lcid: str | None) -> str:
    """``sign`` of a ``[$sign-LCID]`` number format, or the ISO code of the locale's currency
    (:data:`_LOCALE_CURRENCIES`) when ``sign`` is a sign of several currencies that include
    it (``[$$-1009]``: CAD; ``[$¥-411]``: JPY). Another sign (``[$€-407]``), an unknown
    locale or one whose currency the sign is not, ``sign`` as written."""
    code = _LOCALE_CURRENCIES.get(int(lcid, 16)) if lcid else None
    return code if code in parsing.SIGN_CURRENCIES.get(sign, ()) else sign


@dataclass(frozen=True)
class _FormatText:
    """The text a number format shows beside the number (:func:`_format_text`)."""

    before: str
    after: str
    #: the number is shown as a percentage (multiplied by 100)
    percent: bool = False
    #: commas that scale the number down by 1000 each for display (``#,##0,,``: 2)
    commas: int = 0
    #: a scale word after the number that does not undo ``commas`` (``#,##0,"M"``), left out
    #: of ``after``; "" when none
    odd_scale: str = ""


def _format_text(code: str) -> _FormatText | None:
    """The text number format ``code`` shows before and after a positive number (its first
    section): quoted text and escaped characters as they are, a ``[$..]`` currency first (as
    ``[$CHF] #,##0`` shows it; ``#,##0 [$€-x-euro2]`` too), colours and conditions left out.
    Commas that scale the number down for display (``#,##0,,``) do not change the amount
    stored, and a scale word that undoes them (``"M"`` after ``,,``) is left out; one that
    does not (``#,##0,"M"``) is kept apart in ``odd_scale``. ``None`` when the format shows
    only the number (``#,##0``, ``(#,##0)``, ``0.00E+00``, ``#,##0,,``) or no number (a date
    format)."""
    currencies: list[str] = []
    parts: tuple[list[str], list[str]] = ([], [])
    commas = -1  # -1: no digits yet
    percent = False
    for m in _FORMAT_PIECE.finditer(code):
        if m.group("other") == ";":
            break  # the section for negative numbers
        if m.group("digits") is not None or m.group("general") is not None:
            commas = max(commas, len(m.group("commas") or ""))
        elif m.group("currency") is not None:
            currencies.append(_locale_currency(m.group("currency"), m.group("lcid")))
        else:
            percent = percent or m.group("other") == "%"
            text = m.group("quoted") or m.group("escaped") or m.group("other") or \
                (" " if m.group("space") else "")
            (parts[1] if commas >= 0 else parts[0]).append(text)
    before = " ".join([*filter(None, currencies), "".join(parts[0])])
    after = "".join(parts[1])
    odd = ""
    word = re.match(r"\s*([^\W\d_]+)", after)
    if commas > 0 and word and word.group(1).lower() in parsing.SCALES:
        after = after[word.end():]  # "#,##0,," shows 5,000,000 as 5, and "M" says so
        if parsing.SCALES[word.group(1).lower()] != 1000.0 ** commas:
            odd = word.group(1)
    if commas < 0 or not re.sub(r"[\s()+\-/:.,]", "", before + after + odd):
        return None
    return _FormatText(before, after, percent, max(commas, 0), odd)


def _format_shows(code: str) -> str | None:
    """What a number format shows beside the number: ``"percent"``, ``"text"`` (a currency,
    a scale word, any words: ``"€"#,##0``, ``#,##0 "EUR"``, ``0.0 "M"``) or ``None`` (only
    the number: :func:`_format_text`)."""
    shown = _format_text(code)
    if shown is None:
        return None
    return "percent" if shown.percent else "text"


def _as_shown(value: object, code: str) -> object:
    """A number cell of a money column as text the spreadsheet shows it (``"5000000 EUR"``,
    ``"€ 5000000"``, ``"12.5 M"``, ``"5%"``), for the money parser to read like a CSV cell;
    the number is written in full (no rounding to the format's decimals, no separators, not
    scaled down by the format's commas). A scale word that disagrees with those commas
    (``#,##0,"M"``) gives both readings (``"5400000 or 5400 M"``), which the parser sets aside
    as ambiguous. Other values, and numbers whose format shows only the number, unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    shown = _format_text(code)
    if shown is None or not math.isfinite(value):
        return value
    number = round(value * 100, 12) if shown.percent else value
    text = f"{shown.before}{_plain_number(number)}{shown.after}"
    if shown.odd_scale:  # 5,400,000 in #,##0,"M" shows as 5,400M: 5.4 million or billion?
        scaled = _plain_number(round(number / 1000**shown.commas, 12))
        text += f" or {shown.before}{scaled} {shown.odd_scale}{shown.after}"
    return re.sub(r"\s+", " ", text).strip()


def _plain_number(number: float) -> str:
    """``number`` in digits, as short as it reads back exactly: ``5000000``, ``12.5``,
    ``0.00001`` (never ``5e+06`` or ``5000000.0``)."""
    from decimal import Decimal

    return format(Decimal(repr(number)), "f").removesuffix(".0")


def _scan_sheet(path: Path, member: str, styles: dict[int, str] | None = None) -> _SheetScan:
    """Scan sheet part ``member`` in one streaming pass with defusedxml (which refuses entity
    declarations) for the cells that hold a formula and no cached value (no ``<v>``, or an
    empty one that is not a string result: openpyxl and other writers that cannot compute
    formulas write ``<v/>``; a formula whose result is the empty string has ``t="str"`` and
    is fine), for the merged cell ranges (``<mergeCell ref="A2:A4"/>``), for the number
    cells whose style is one of ``styles`` (:func:`_money_formats`) and for the hidden rows
    and columns."""
    from openpyxl.utils.cell import (
        column_index_from_string,
        coordinate_from_string,
        range_boundaries,
    )

    out = _SheetScan()
    row = col = 0
    with zipfile.ZipFile(path) as zf, zf.open(member) as src:
        for event, el in DefusedET.iterparse(src, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start" and tag == "row":
                row = int(el.get("r") or row + 1)
                col = 0
                if el.get("hidden") in ("1", "true"):
                    out.hidden.add(row)
            elif event == "end" and tag == "c":
                ref = el.get("r")
                col = column_index_from_string(coordinate_from_string(ref)[0]) if ref \
                    else col + 1
                children = {_local(c.tag): c for c in el}
                cached = children["v"].text if "v" in children else None
                if "f" in children and not cached and el.get("t") != "str":
                    out.uncomputed.setdefault(row, {})[col] = "=" + (children["f"].text or "")
                if styles and el.get("t") in (None, "n") and el.get("s"):
                    with contextlib.suppress(ValueError):
                        if (code := styles.get(int(el.get("s")))) is not None:
                            out.formats.setdefault(row, {})[col] = code
                el.clear()
            elif event == "end" and tag == "row":
                el.clear()
            elif event == "end" and tag == "col" and el.get("hidden") in ("1", "true"):
                with contextlib.suppress(ValueError, TypeError):  # a malformed range: shown
                    first, last = int(el.get("min")), int(el.get("max"))
                    # at most the 16,384 columns a sheet has, however many <col> there are
                    out.hidden_columns.update(range(max(first, 1), min(last, 16_384) + 1))
            elif event == "end" and tag == "mergeCell":
                with contextlib.suppress(ValueError, TypeError):  # a malformed ref: no merge
                    bounds = range_boundaries(el.get("ref") or "")
                    if None not in bounds:
                        out.merged.append(bounds)  # type: ignore[arg-type]
    return out


#: The fields that hold an amount: not filled into the rows of a merged range (an amount shown
#: once over three pledges is one amount, not three: it stays on the range's first row, with a
#: note on the others), and read as their cells' number format shows them.
AMOUNT_FIELDS = ("estimated_value_usd", "value_as_stated", "value_already_counted_usd")


class _MergedFill:
    """Fills the cells that a vertically merged range covers below its first row with the
    value of its top cell (openpyxl's read-only rows leave them empty, but a spreadsheet
    shows the value beside each of those rows: one pledger over three pledges), in the
    range's first column only (a range across columns shows one value once, not one per
    column), and only below the header row. The sorter notes each fill, and takes an amount
    back out (:data:`AMOUNT_FIELDS`). Rows come in order; the ranges that reach a row
    are kept as the rows pass (no search per row)."""

    def __init__(self, merged: list[tuple[int, int, int, int]]) -> None:
        self.ranges = sorted((m for m in merged if m[3] > m[1]), key=lambda m: m[1])
        self._next = 0  # first range not yet started
        self._open: list[tuple[tuple[int, int, int, int], object]] = []  # (range, top value)

    def fill(self, rownum: int, cells: list[object], header_row: int | None
             ) -> list[tuple[int, int, int]]:
        """Fill ``cells`` of row ``rownum`` in place; ``(column, first row, last row)``
        (1-based) of each range filled from."""
        self._open = [(m, top) for m, top in self._open if m[3] >= rownum]
        while self._next < len(self.ranges) and self.ranges[self._next][1] <= rownum:
            m = self.ranges[self._next]
            self._next += 1
            c1, r1 = m[0], m[1]
            if r1 == rownum and header_row is not None and c1 <= len(cells) \
                    and not _blank(cells[c1 - 1]):
                self._open.append((m, cells[c1 - 1]))
        filled = []
        for (c1, r1, _c2, r2), top in self._open:
            if r1 == rownum:
                continue
            while len(cells) < c1:
                cells.append(None)
            if _blank(cells[c1 - 1]):
                cells[c1 - 1] = top
                filled.append((c1, r1, r2))
        return filled


#: A sheet's first non-blank rows: ``(row number, cells as text)``, at most
#: :data:`PREAMBLE_ROWS` of them (what :func:`_choose_sheet` looks at).
FirstRows = list[tuple[int, list[str]]]


@dataclass(frozen=True)
class _SheetChoice:
    """The sheet of a workbook to read when none is named (:func:`_choose_sheet`)."""

    sheet: str
    #: the header's row number below title rows; 0 when it is the sheet's first non-blank row
    header_at: int = 0
    #: the other visible sheets with pledge columns, not read
    others: tuple[str, ...] = ()


#: Chooses the sheet to read from ``{sheet name: its first rows}`` of the visible sheets.
SheetChooser = Callable[[dict[str, FirstRows]], _SheetChoice]


def _first_rows(ws: object, lim: Limits) -> FirstRows:
    """The first :data:`PREAMBLE_ROWS` non-blank rows of read-only sheet ``ws`` among its
    first ``lim.rows`` rows, each cut after its last non-blank cell, as :func:`_add_row`
    takes a header."""
    out: FirstRows = []
    rows = ws.iter_rows(values_only=True, max_row=lim.rows)  # type: ignore[attr-defined]
    for rownum, cells in enumerate(rows, start=1):
        if width := _last_filled(cells):
            out.append((rownum, [_cell_text(c).strip() for c in cells[:width]]))
            if len(out) == PREAMBLE_ROWS:
                break
    return out


def _xlsx_rows(path: Path, sheet: str | None, lim: Limits, choose: SheetChooser | None = None
               ) -> tuple[str, Iterator[tuple], _SheetScan, _SheetChoice | None]:
    """The chosen sheet's name, its rows of cell values (streamed in openpyxl's read-only
    mode, each row as wide as its last stored cell, never padded to the declared dimension; a
    gap between stored rows comes as empty rows), its formulas without a cached value and
    merged ranges (:func:`_scan_sheet`), and the choice made by ``choose``.

    The sheet is ``sheet`` when named; else ``choose`` picks one from the first rows of the
    visible sheets (hidden ones are old or helper sheets; the first sheet when none is
    visible), in the same opening of the workbook; without ``choose``, the first visible
    sheet is read (choice ``None``)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise PledgeFileError(path, f"no sheet named {sheet!r} (sheets: "
                                        f"{_listing(names)})")
        if not wb.worksheets:
            raise PledgeFileError(path, _STRICT_XLSX if _strict_xlsx(path)
                                  else "no worksheet in the workbook")
        tables = [w.title for w in wb.worksheets]
        if sheet is not None and sheet not in tables:  # a chart sheet: no cells to read
            raise PledgeFileError(path, f"sheet {sheet!r} is a chart, not a table of cells "
                                        f"(sheets with cells: {_listing(tables)})")
        visible = [w for w in wb.worksheets if getattr(w, "sheet_state", "visible") == "visible"]
        candidates = visible or wb.worksheets[:1]
        choice = None
        if sheet is not None:
            ws = wb[sheet]
        elif choose is not None:
            firsts = {}
            for w in candidates:
                w.reset_dimensions()
                firsts[w.title] = _first_rows(w, lim)
            choice = choose(firsts)
            hidden = _hidden_with_pledges([w for w in wb.worksheets if w not in candidates],
                                          lim, choose)
            if hidden:
                choice = dataclasses.replace(choice, others=(*choice.others, *hidden))
            ws = wb[choice.sheet]
        else:
            ws = candidates[0]
        ws.reset_dimensions()  # ignore the declared <dimension>: rows are as stored
        # openpyxl keeps the sheet's part name private; it is the zip member to scan
        scan = _scan_sheet(path, ws._worksheet_path, _money_formats(path))
        return ws.title, _closing(ws.iter_rows(values_only=True), wb), scan, choice
    except BaseException:
        wb.close()
        raise


#: Why a workbook saved as Excel's "Strict Open XML Spreadsheet" is not read: openpyxl knows
#: only the transitional namespaces, and found no worksheet in it.
_STRICT_XLSX = ("saved as Strict Open XML Spreadsheet, which cannot be read: save it as "
                "Excel Workbook (.xlsx) and load it again")


def _strict_xlsx(path: Path) -> bool:
    """Whether the workbook part of the XLSX at ``path`` is in ISO 29500 Strict's namespace
    (Excel's "Strict Open XML Spreadsheet"), whose sheets openpyxl does not see."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith("workbook.xml")]
            head = zf.open(names[0]).read(4096) if names else b""
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return b"purl.oclc.org/ooxml/spreadsheetml/main" in head


def _hidden_with_pledges(sheets: list, lim: Limits, choose: SheetChooser) -> list[str]:
    """``"<name> (hidden)"`` for each of the hidden ``sheets`` that has pledge columns (as
    ``choose`` reads one sheet): not read, but named in the summary, as the visible ones
    are, so that pledges on a hidden sheet are not left out without a word."""
    found = []
    for w in sheets:
        w.reset_dimensions()
        try:
            choose({w.title: _first_rows(w, lim)})
        except PledgeFileError:
            continue  # no pledge columns (a helper sheet, a list of codes)
        found.append(f"{w.title} (hidden)")
    return found


def _closing(rows: Iterator, wb: object) -> Iterator:
    try:
        yield from rows
    finally:
        wb.close()  # type: ignore[attr-defined]


def _formula_reasons(rownum: int, cells: list[object], formulas: dict[int, str],
                     header: list[str] | None) -> list[str]:
    """Put each uncomputed formula's text into ``cells`` (so the raw row shows it) and
    return one quarantine reason per such cell."""
    from openpyxl.utils import get_column_letter

    reasons = []
    for col, formula in sorted(formulas.items()):
        while len(cells) < col:
            cells.append(None)
        cells[col - 1] = formula
        letter = get_column_letter(col)
        name = header[col - 1] if header is not None and col <= len(header) else \
            f"column {letter}"
        reasons.append(f"formula without cached value: cell {letter}{rownum} {formula!r} in "
                       f"{name} (open and save the file in Excel or LibreOffice to compute it)")
    return reasons


def _read_xlsx(path: Path, sheet: str | None, lim: Limits, header_at: int = 0,
               choose: SheetChooser | None = None) -> _Table:
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise PledgeFileError(path, "XLSX files are read only with defusedxml installed and "
                                    "enabled (it stops XML bombs): reinstall p2c-analysis and "
                                    "unset OPENPYXL_DEFUSEDXML")
    _check_zip(path, lim)
    table = _Table([], [], "xlsx", header_at=header_at)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's warnings are not the user's business
            table.sheet, rows, scan, choice = _xlsx_rows(path, sheet, lim, choose)
            if choice is not None:
                table.header_at, table.other_sheets = choice.header_at, list(choice.others)
            uncomputed, merged = scan.uncomputed, _MergedFill(scan.merged)
            table.cell_formats = scan.formats
            table.hidden_columns = scan.hidden_columns
            where = f"sheet {table.sheet!r}: "
            header_row: int | None = None
            for rownum, values in enumerate(rows, start=1):
                if not values and rownum <= lim.rows:  # a blank row, e.g. in a gap
                    continue
                cells = list(values)
                fills = merged.fill(rownum, cells, header_row) \
                    if merged.ranges and _last_filled(cells) else []  # not into blank rows
                reasons = _formula_reasons(rownum, cells, uncomputed[rownum],
                                           table.header or None) if rownum in uncomputed else []
                _add_row(table, path, lim, rownum, cells, where)
                if header_row is None and table.header:
                    header_row = rownum
                if table.rows and table.rows[-1][0] == rownum:
                    if rownum in scan.hidden:
                        reasons.append(f"hidden row: row {rownum} is hidden in sheet "
                                       f"{table.sheet!r} (filtered out or hidden by hand; "
                                       "unhide it to count it)")
                    if reasons:
                        table.row_reasons[rownum] = reasons
                    if fills:
                        table.merged_fills[rownum] = fills
    except PledgeFileError:
        raise
    except Exception as err:  # noqa: BLE001 - any openpyxl failure means "unreadable"
        raise PledgeFileError(path, _xlsx_problem(err)) from None
    if not table.header:
        raise PledgeFileError(path, f"sheet {table.sheet!r} is empty (no header row)")
    return table


def _xlsx_problem(err: BaseException) -> str:
    """Why an XLSX could not be read, from the innermost error (openpyxl wraps them)."""
    chain = [err]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None and \
            len(chain) < 20:
        chain.append(nxt)
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return ("not a readable XLSX workbook (its XML declares entities or a DTD, "
                "refused as a possible XML bomb or external-entity attack)")
    if any(isinstance(e, KeyError) for e in chain):  # a zip without the parts a workbook has
        return "not a readable XLSX workbook (a zip file without a workbook in it)"
    return f"not a readable XLSX workbook ({type(chain[-1]).__name__})"


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _not_a_regular_file(path: Path, label: str) -> str | None:
    """What is wrong with ``path`` (which exists) as a ``label`` (``"pledge file"``) when it
    is no regular file (a symbolic link is followed), else ``None``: a named pipe with no
    writer would block the read for ever and a device (``/dev/zero``) is no export, so both
    are refused by their kind before any byte is read."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        return f"cannot read ({err.strerror})"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    return f"is {kind}, not a {label}"


#: The first bytes of a zip file, which an XLSX workbook is.
ZIP_MAGIC = b"PK\x03\x04"


def _utf16_without_bom(head: bytes) -> bytes | None:
    """The BOM that ``head``, the start of a file with none, would have as UTF-16 text (a
    database's or .NET's "Unicode" export): ``BOM_UTF16_LE`` when every other byte, the
    second of each pair, is NUL and the first of each pair is not, as in ASCII text in
    UTF-16LE (``BOM_UTF16_BE`` the other way round), and the bytes decode; else ``None``
    (a binary file)."""
    pairs = head[: len(head) // 2 * 2]
    if len(pairs) < 4:
        return None
    for bom, text, nul in ((codecs.BOM_UTF16_LE, pairs[0::2], pairs[1::2]),
                           (codecs.BOM_UTF16_BE, pairs[1::2], pairs[0::2])):
        if nul.count(0) >= 0.9 * len(nul) and text.count(0) == 0:
            with contextlib.suppress(UnicodeDecodeError):
                pairs.decode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
                return bom
    return None


def _read_table(path: Path, sheet: str | None, lim: Limits, header_at: int = 0,
                choose: SheetChooser | None = None, delimiter: str | None = None) -> _Table:
    """The table of a CSV or XLSX file (``sheet``, ``choose``: see :func:`_xlsx_rows`);
    ``header_at``: the header's row number when it is not the first non-blank row
    (:func:`_sheet_header`); ``delimiter``: a CSV's delimiter (``None``: sniffed).
    Raises :class:`PledgeFileError` when the file cannot be read as a table."""
    if not path.exists():
        raise PledgeFileError(path, "no such file")
    if problem := _not_a_regular_file(path, "pledge file"):
        raise PledgeFileError(path, problem)
    try:
        data = read_limited(path, "file_mb", lim, "pledge file")
    except InputFileError as err:
        raise PledgeFileError(path, err.what) from None
    if not data.strip():
        raise PledgeFileError(path, "empty file (no header row)")
    suffix = path.suffix.lower()
    if data.startswith(ZIP_MAGIC):
        if suffix in (".xlsx", ".xlsm") or suffix not in (".csv", ".txt", ".tsv"):
            return _read_xlsx(path, sheet, lim, header_at, choose)
        raise PledgeFileError(path, "binary (zip) file, not a CSV table")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise PledgeFileError(path, "old Excel .xls format is not supported: save as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm"):
        raise PledgeFileError(path, "not a readable XLSX workbook (not a zip file)")
    unicode_bom = data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == codecs.BOM_UTF32_BE
    if not unicode_bom and (bom := _utf16_without_bom(data[:65536])):
        data = bom + data  # read as UTF-16 text with its BOM is
    elif not unicode_bom and b"\x00" in data[:65536]:  # UTF-16/32 text holds NUL bytes
        raise PledgeFileError(path, "binary file, not a CSV table")
    return _read_csv(path, data, lim, header_at, delimiter)


# --- mapping -----------------------------------------------------------------------------------

@dataclass
class Mapping:
    """A column mapping: ``columns`` = canonical field -> source column name(s) (several
    columns are joined with ``"; "``), ``constants`` = canonical field -> fixed value,
    ``sheet`` (XLSX), ``id_prefix`` for derived ids."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)
    sheet: str | None = None
    id_prefix: str = DEFAULT_ID_PREFIX
    source: Path | None = None


def read_mapping(path: str | Path, limits: Limits | None = None) -> Mapping:
    """Read a TOML mapping file. Layout::

        sheet = "Pledges"              # optional, XLSX only (default: see load_pledges)
        id_prefix = "P2C-"             # optional, for derived pledge ids
        [columns]                      # canonical field = "source column" (or a list)
        title = "Pledge Title"
        [constants]                    # canonical field = fixed value for every row
        is_synthetic = false

    Raises :class:`PledgeFileError` (naming the mapping file) for a missing file or a
    directory, one over the file-size limit (``limits``; ``None`` = :meth:`Limits.from_env`),
    invalid TOML, an unknown top-level key or table (:func:`_check_mapping_keys`: a misspelt
    ``shet`` is not ignored), an unknown field name, or a field given twice (in ``[columns]``
    and as a constant, or as a constant both at the top and in ``[constants]``).
    Values in ``[constants]`` are parsed row by row like cells: a bad
    one (e.g. a date in the year 3000) quarantines the rows, it does not fail here."""
    p = Path(path)
    if not p.exists():
        raise PledgeFileError(p, "mapping file not found")
    if problem := _not_a_regular_file(p, "mapping file"):
        raise PledgeFileError(p, problem)
    try:
        text = read_limited(p, "file_mb", limits or Limits.from_env(), "mapping file") \
            .decode("utf-8-sig")
        data = tomllib.loads(text)
    except InputFileError as err:
        raise PledgeFileError(p, err.what) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PledgeFileError(p, f"not a valid TOML mapping ({err})") from None
    except RecursionError:
        raise PledgeFileError(p, "not a valid TOML mapping (nested too deeply)") from None
    _check_mapping_keys(p, data)
    src = data.get("source", {}) if isinstance(data.get("source"), dict) else {}
    m = Mapping(source=p)
    m.sheet = data.get("sheet", src.get("sheet"))
    if m.sheet is not None and not (isinstance(m.sheet, str) and m.sheet.strip()):
        raise PledgeFileError(p, f"sheet must be a sheet name in quotes, not {m.sheet!r}")
    prefix = data.get("id_prefix", src.get("id_prefix", DEFAULT_ID_PREFIX))
    if isinstance(prefix, bool) or not isinstance(prefix, (str, int)):
        raise PledgeFileError(p, f"id_prefix must be text in quotes, not {prefix!r}")
    m.id_prefix = str(prefix)
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        raise PledgeFileError(p, "[columns] must be a table of field = \"source column\"")
    for name, value in cols.items():
        if name not in fields.FIELDS_BY_NAME:
            raise PledgeFileError(p, f"unknown field {name!r} in [columns] (fields: "
                                     f"{', '.join(fields.CANONICAL_COLUMNS)})")
        vals = value if isinstance(value, list) else [value]
        if not vals or not all(isinstance(v, str) and v.strip() for v in vals):
            raise PledgeFileError(p, f"[columns] {name}: give a column name or a list of names")
        m.columns[name] = [v.strip() for v in vals]
    consts = data.get("constants", {})
    if not isinstance(consts, dict):
        raise PledgeFileError(p, "[constants] must be a table of field = value")
    consts = dict(consts)
    for key, value in data.items():
        if key in fields.FIELDS_BY_NAME and not isinstance(value, dict):
            if key in consts:
                raise PledgeFileError(p, f"field {key!r} is given twice as a constant (at the "
                                         "top and in [constants]): keep one")
            consts[key] = value
    for name, value in consts.items():
        if name not in fields.FIELDS_BY_NAME:
            raise PledgeFileError(p, f"unknown field {name!r} in [constants]")
        if name in m.columns:
            where = "as a top-level constant" if name in data else "in [constants]"
            raise PledgeFileError(p, f"field {name!r} is given both in [columns] and "
                                     f"{where}: keep one")
        consts[name] = _constant_cell(p, name, value)
    m.constants = consts
    paths.track(p)
    return m


_MAPPING_KEYS = ("sheet", "id_prefix", "columns", "constants", "source")
_MAPPING_ALLOWED = ("allowed: sheet, id_prefix, [columns], [constants], [source] or a field "
                    "name as a constant")


def _check_mapping_keys(path: Path, data: dict) -> None:
    """Refuse (:class:`PledgeFileError`, naming ``path``) a mapping's unknown top-level key or
    table, an unknown key in ``[source]``, and ``sheet`` / ``id_prefix`` given both at the
    top and in ``[source]``: a misspelt key would otherwise be ignored without a word."""
    for key, value in data.items():
        if key in _MAPPING_KEYS[:4] or (key == "source" and isinstance(value, dict)) or \
                (key in fields.FIELDS_BY_NAME and not isinstance(value, dict)):
            continue
        what = f"table [{key}]" if isinstance(value, dict) else f"key {key!r}"
        raise PledgeFileError(path, f"unknown {what} ({_MAPPING_ALLOWED})")
    for key in data.get("source", {}):
        if key not in ("sheet", "id_prefix"):
            raise PledgeFileError(path, f"unknown key {key!r} in [source] (allowed: sheet, "
                                        "id_prefix)")
        if key in data:
            raise PledgeFileError(path, f"{key} is given twice (at the top and in [source]): "
                                        "keep one")


def _constant_cell(path: Path, name: str, value: object) -> object:
    """A mapping constant as the cell it stands for: a TOML list is a cell of several values
    (``sdgs = [9, 17]`` is the cell ``"9; 17"``); a table (or a list holding one) is refused
    with :class:`PledgeFileError`."""
    if isinstance(value, list):
        if any(isinstance(v, (list, dict)) for v in value):
            raise PledgeFileError(path, f"constant {name}: give a value or a list of values")
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        raise PledgeFileError(path, f"constant {name}: give a value or a list of values")
    return value


def _match_columns(header: list[str], mapping: Mapping | None, path: Path,
                   given: list[str] | None = None) -> tuple[dict[str, list[int]], list[str]]:
    """field -> source column indices, and the unused source columns. ``given``: the
    header's names as written (``header`` has them made unique). Two columns that name the
    same field (``pledger`` twice, or ``title`` and ``pledge_title``) raise
    :class:`PledgeFileError`, unless a mapping says which one to read: taking one of them
    would drop the other's values without a word."""
    used: dict[str, list[int]] = {}
    norm = fields.normalise_column
    aliases = fields.column_aliases()
    named = given if given is not None else header
    by_alias = [aliases.get(norm(h)) for h in named]  # the field each header names, if any
    if mapping is not None and mapping.columns:
        lookup = {norm(h): i for i, h in reversed(list(enumerate(header)))}
        for name, cols in mapping.columns.items():
            idx = []
            for c in cols:
                if norm(c) not in lookup:
                    raise _MappedColumnMissing(
                        path, f"mapping names column {c!r} for {name}, not in the file "
                              f"(columns: {_listing(header)})")
                _no_twin_header(path, c, name, header, named)
                idx.append(lookup[norm(c)])
            used[name] = idx
        matched = ("is_synthetic",)  # a file marking its rows synthetic is read so, mapped or not
    else:
        matched = tuple(fields.FIELDS_BY_NAME)
    taken = {i for idx in used.values() for i in idx}
    for i, name in enumerate(by_alias):
        if name in matched and name not in used and i not in taken:
            same = [j for j, other in enumerate(by_alias) if other == name and j not in taken]
            if len(same) > 1:
                from openpyxl.utils import get_column_letter

                cols = ", ".join(f"{get_column_letter(j + 1)} ({named[j]!r})" for j in same)
                raise PledgeFileError(
                    path, f"columns {cols} {'both' if len(same) == 2 else 'all'} give "
                          f"{name}: delete all but one, or name the one to read in a mapping "
                          "file (--mapping)")
            used[name] = [i]
            taken.add(i)
    unused = [h for i, h in enumerate(header) if i not in taken]
    return used, unused


def _no_twin_header(path: Path, column: str, fieldname: str, header: list[str],
                    given: list[str]) -> None:
    """Raise :class:`PledgeFileError` when the mapping's ``column`` for ``fieldname`` is the
    header of two columns or more of the file (``given``: the names as written, matched
    case and spacing ignored): the first was read and the others' values were lost without
    a word (the file's header made unique, ``header``, names the others ``Entity.1``...,
    which a mapping may name to read one of them)."""
    from openpyxl.utils import get_column_letter

    norm = fields.normalise_column
    twins = [j for j, h in enumerate(given) if norm(h) == norm(column)]
    if len(twins) < 2:
        return
    cols = ", ".join(get_column_letter(j + 1) for j in twins)
    later = ", ".join(f"{header[j]!r} for column {get_column_letter(j + 1)}" for j in twins[1:])
    raise PledgeFileError(
        path, f"mapping names column {column!r} for {fieldname}, a header the file has "
              f"{len(twins)} times (columns {cols}): rename all but one in the file, or name "
              f"{later} in the mapping")


# --- one row -----------------------------------------------------------------------------------

def _unneutralised(value: object) -> object:
    """A text cell that an export neutralised (``'=cmd``, ``x;'=cmd``: a ``'`` before a
    character a spreadsheet would run) back to its text (``=cmd``, ``x;=cmd``:
    :func:`~p2c_analysis.export.restore_text`), so an export of this package reads back to the
    same table; it is neutralised again whenever it is written."""
    return restore_text(value) if isinstance(value, str) else value


def _clean_text(value: object) -> object:
    """A text cell in Unicode's composed form (NFC: "é" typed as one character or as "e" and
    an accent, as macOS and some PDFs give it, is one text) without invisible characters
    (:func:`text.without_invisible`, the list column names are matched without: pasted
    from web pages, a zero-width space or a soft hyphen made "Orange" and "Orange\u200b" two
    pledgers and kept a row from being seen as a duplicate of its twin; the joiners that
    Persian, Indic scripts and emoji need stay), its control characters but tab and line
    breaks written as spaces (:data:`_CONTROL_CHARACTERS`: an escape sequence in a title had
    travelled into the CSV tables and, through ``check-pledges --out -``, to the terminal,
    where it can clear the screen or show a link); other cells unchanged."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", without_invisible(value, in_text=True)
                                 .translate(_CONTROL_CHARACTERS))


#: :meth:`str.translate` table writing the control characters (Unicode category Cc: C0, DEL,
#: C1) as a space, but tab, line feed and carriage return, which a text cell may hold as white
#: space: a space, not nothing, as some stand between words (FileMaker writes a line break
#: in a cell as a vertical tab: "Org B\x0bDigital Unit" is "Org B Digital Unit").
_CONTROL_CHARACTERS: dict[int, str] = dict.fromkeys(
    (c for c in (*range(0x20), *range(0x7F, 0xA0)) if c not in (0x09, 0x0A, 0x0D)), " ")


def _cell_text(value: object) -> str:
    """Source cell as text for the raw record / duplicate detection."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(text: object, most: int = 200) -> str:
    """``repr`` of a cell's text for a reason, cut to ``most`` characters (the raw row
    keeps it whole); ``repr`` also escapes control characters."""
    t = str(text)
    return repr(t) if len(t) <= most else repr(t[:most]) + f"... ({len(t):,} characters)"


def _norm(text: object) -> str:
    return " ".join(str(text).lower().split()) if not parsing.is_not_stated(text) else ""


def _parse_reason(err: ParseError, fieldname: str, value: object) -> str:
    """The quarantine reason for a cell of ``fieldname`` a parser refused:
    ``"<kind>: '<text>' in <field> (<detail>)"``."""
    detail = f" ({err.detail})" if err.detail else ""
    text = err.text if err.text is not None else value
    return f"{err.kind}: {_shown(text)} in {fieldname}{detail}"


#: ``etc.`` (``etc``, ``&c.``) or its words (``and others``, ``and other countries``,
#: ``among others``) ending a country cell, or standing alone in it: it names no country
#: (:meth:`_RowParser._before_etc`; group ``more``: the words, as written).
_ETC = re.compile(r"(?P<base>.*?)[\s,;]*(?<![a-z])(?P<more>etc|&c|and\s+others"
                  r"|and\s+other\s+countries|among(?:st)?\s+others)\.?\s*", re.IGNORECASE)


@dataclass
class _Row:
    record: dict[str, object]
    reasons: list[str]
    notes: list[str]



#: The currency unions whose members share a currency that a sign of several names
#: (``CFA``/``FCFA``: XOF or XAF; ``R``: ZAR, or a rupee or a rouble;
#: :data:`parsing.SIGN_CURRENCIES`), by their label in ``custom_regions.csv``: such a value
#: is read in the union's currency when the pledger's entity country is a member (noted;
#: the Common Monetary Area's members, where the rand is legal tender, for ``R``), else set
#: aside as an ambiguous currency naming what it could be.
CURRENCY_UNIONS = {"XOF": "WAEMU", "XAF": "CEMAC", "ZAR": "CMA"}


def _currency_zone(err: ParseError, record: dict) -> tuple[str, str] | None:
    """``(ISO code, union label)`` of :data:`CURRENCY_UNIONS` that decides the ambiguous
    currency ``err`` names by the record's entity country; ``None`` otherwise."""
    family = parsing.currencies_of(err)
    iso3 = record.get("entity_country")
    zones = [(code, label) for code, label in CURRENCY_UNIONS.items()
             if code in family and iso3 in countries.members(label)]
    return zones[0] if len(zones) == 1 else None


class _RowParser:
    """Turns one mapped source row into a canonical record plus reasons and notes."""

    def __init__(self) -> None:
        #: how a country cell holding only ``NA`` is read (:func:`_na_reading`)
        self.na_reading = "missing"
        self._country_cache: dict[str, str | None] = {}
        self._region_cache: dict[str, str | None] = {}
        self._basis = values.BasisReader()  # value basis: p2c_analysis.values

    def country(self, text: str) -> str | None:
        if text not in self._country_cache:
            self._country_cache[text] = countries.try_resolve(text)
        return self._country_cache[text]

    def _country_named(self, text: str) -> tuple[str, str] | None:
        """``(ISO3, text)`` of a country name or code, for :func:`parsing.split_resolving`
        to say which text each country was read from; ``None`` when ``text`` names none."""
        iso3 = self.country(text)
        return None if iso3 is None else (iso3, text)

    def _countries(self, row: _Row, fieldname: str, pieces: list[str]
                   ) -> tuple[list[str], list[str]]:
        """``(ISO3 codes, texts naming no country)`` of a country cell's pieces
        (:func:`parsing.split_resolving`), noting each ambiguous short name read
        (:meth:`_note_ambiguous`)."""
        found, bad = parsing.split_resolving(pieces, self._country_named,
                                             parsing.COUNTRY_CODES_LIKE_MISSING, words=True)
        unread = []
        for text in bad:
            if read := self._before_remark(row, fieldname, text):
                found += read
            elif (read_etc := self._before_etc(row, fieldname, text)) is not None:
                found += read_etc
            else:
                unread.append(text)
        for iso3, text in found:
            self._note_ambiguous(row, fieldname, text, iso3)
        return list(dict.fromkeys(iso3 for iso3, _ in found)), unread

    def _before_remark(self, row: _Row, fieldname: str, text: str) -> list[tuple[str, str]]:
        """The countries named before a remark in parentheses that ends ``text`` (``Ghana
        (via partners)``, ``Kenya, Uganda (phase 1)``), when all of that part names
        countries, with a note keeping the remark; ``[]`` otherwise. A name holding
        parentheses (``Congo (Kinshasa)``) resolves whole before this is tried."""
        remark = re.search(r"\s*\(([^()]*)\)\s*$", text)
        base = text[:remark.start()].strip() if remark else ""
        found = self._all_countries(base) if base else None
        if not found:
            return []
        row.notes.append(f"{fieldname}: {_shown(text, 80)} read as "
                         f"{', '.join(iso3 for iso3, _ in found)}; the remark in parentheses "
                         "is kept here, not read")
        return found

    def _all_countries(self, text: str) -> list[tuple[str, str]] | None:
        """``(iso3, name)`` of the countries ``text`` names when every part of it (split as a
        list: commas, ``and``, ``/``) names one, else ``None``."""
        found, bad = parsing.split_resolving([text], self._country_named,
                                             parsing.COUNTRY_CODES_LIKE_MISSING, words=True)
        return None if bad or not found else found

    def _before_etc(self, row: _Row, fieldname: str, text: str
                    ) -> list[tuple[str, str]] | None:
        """The countries named before an ``etc.`` that ends ``text`` (``Ghana etc.``, ``Ghana
        and others``, ``Ghana, among others``: :data:`_ETC`), when all of that part names
        countries, with a note that ``etc.`` (or the words written) names no further country;
        ``[]`` with such a note for an ``etc.`` standing alone (the piece after the comma of
        ``Ghana, etc.``); ``None`` when ``text`` is not of that form."""
        m = _ETC.fullmatch(text)
        if m is None:
            return None
        base = m["base"].strip()
        found = self._all_countries(base) if base else []
        if found is None:
            return None
        more = "etc." if m["more"].lower() in ("etc", "&c") else " ".join(m["more"].split())
        read = (f"read as {', '.join(iso3 for iso3, _ in found)}; {more!r} names no further "
                "country" if found else "names no country: not read")
        row.notes.append(f"{fieldname}: {_shown(text, 80)} {read} (name the countries meant "
                         "to count them)")
        return found

    @staticmethod
    def _note_ambiguous(row: _Row, fieldname: str, text: str, iso3: str) -> None:
        """Note (once per row) that ``text`` in ``fieldname``, read as ``iso3``, is a short
        name that may mean another economy or a group (:func:`countries.ambiguous_reading`:
        ``Congo``, ``Korea``)."""
        entry = countries.ambiguous_reading(text)
        if entry is None or entry.iso3 != iso3:
            return
        note = entry.note(text, f" in {fieldname}")
        if note not in row.notes:
            row.notes.append(note)

    @staticmethod
    def _note_region_reading(row: _Row, fieldname: str, text: str) -> None:
        """Note (once per row) how a region name read one way where another is as likely was
        read (:func:`countries.ambiguous_region_reading`: ``Africa`` is ITU-D Africa, not the
        continent; ``Pacific`` is UN Oceania, Australia and New Zealand included)."""
        entry = countries.ambiguous_region_reading(text)
        if entry is not None and (note := entry.note(text, f" in {fieldname}")) not in row.notes:
            row.notes.append(note)

    def region(self, text: str) -> str | None:
        if text not in self._region_cache:
            self._region_cache[text] = countries.resolve_region(text)
        return self._region_cache[text]

    def _region_named(self, text: str) -> tuple[str, str] | None:
        """``(group label, text)`` of a region name, for :func:`parsing.split_resolving` to
        say which text each region was read from; ``None`` when ``text`` names none."""
        label = self.region(text)
        return None if label is None else (label, text)

    def _lone_na(self, row: _Row, fieldname: str, value: object) -> object:
        """A country cell as it is to be read: ``value`` itself, unless it holds only ``NA``
        (any case), which is Namibia's ISO alpha-2 code and the usual "not available". Then,
        by the file's country cells (:attr:`na_reading`, :func:`_na_reading`): ``"NAM"``
        where they are alpha-2 codes, ``None`` (not stated) where they are names or alpha-3
        codes; both noted. Where they mix both, ``None`` and a reason to set the row aside."""
        if not isinstance(value, str) or parsing.text_key(value) != "na":
            return value
        text = value.strip()
        if self.na_reading == "namibia":
            row.notes.append(f"{text!r} in {fieldname} read as Namibia (the file's "
                             "countries are ISO alpha-2 codes)")
            return "NAM"
        if self.na_reading in ("missing", "none"):
            row.notes.append(f"{text!r} in {fieldname} read as not stated ("
                             f"{self._countries_shown()}; Namibia would be NAM)")
        else:
            row.reasons.append(
                f"ambiguous country: {text!r} in {fieldname} (Namibia's ISO alpha-2 code, or "
                "'not available': the file's countries mix alpha-2 codes with names or "
                "alpha-3 codes; write Namibia, or leave the cell blank)")
        return None

    def _lone_no(self, row: _Row, fieldname: str, value: object) -> object:
        """A country (or region) cell as it is to be read: ``value`` itself, unless it holds
        only ``no`` (any case), which is Norway's ISO alpha-2 code and the word for "none
        named" (it was read as Norway without a word). Then, by the file's country cells
        (:attr:`na_reading`, as for ``NA``): ``NO`` in capitals where they are alpha-2 codes
        is Norway, noted; ``No`` or ``no`` where they are names or alpha-3 codes is not
        stated, noted (as ``none`` is; Norway would be ``NOR``); any other case (``NO`` beside
        names or alpha-3 codes, ``no`` beside alpha-2 codes, a file that mixes both) is
        ``None`` and a reason to set the row aside naming both readings. ``NO`` in a list
        (``NO; SE; DK``) is Norway."""
        if not isinstance(value, str) or parsing.text_key(value) != "no":
            return value
        text = value.strip()
        codes = self.na_reading == "namibia"
        if text == "NO" and codes:
            row.notes.append(f"{text!r} in {fieldname} read as Norway (the file's countries "
                             "are ISO alpha-2 codes)")
            return "NOR"
        if text != "NO" and self.na_reading in ("missing", "none"):
            row.notes.append(f"{text!r} in {fieldname} read as not stated ('no': none named; "
                             f"{self._countries_shown()}, and Norway would be NOR)")
            return None
        row.reasons.append(
            f"ambiguous country: {text!r} in {fieldname} (Norway's ISO alpha-2 code, or 'no': "
            f"none named; {self._countries_shown()}: write Norway, or leave the cell blank)")
        return None

    def _countries_shown(self) -> str:
        """Words for how the file writes its countries (:attr:`na_reading`): ``"none"``, a
        file whose other country cells name no country, shows no convention."""
        if self.na_reading == "none":
            return "the file shows no convention for its countries"
        convention = {"namibia": "ISO alpha-2 codes", "missing": "names or alpha-3 codes"}.get(
            self.na_reading, "alpha-2 codes mixed with names or alpha-3 codes")
        return f"the file's countries are {convention}"

    @staticmethod
    def _try(row: _Row, fieldname: str, func: Callable[[object], object], value: object):
        try:
            return func(value)
        except ParseError as err:
            row.reasons.append(_parse_reason(err, fieldname, value))
            return None

    def parse(self, cells: dict[str, object], notes: list[str] | None = None) -> _Row:
        """The canonical record of one mapped row (``cells``: field -> cell value), with
        the reasons to quarantine it and the loader's notes (``notes`` come first)."""
        row = _Row(record={}, reasons=[], notes=list(notes or []))
        rec = row.record
        get = cells.get

        for name in ("title", "pledger", "description", "value_as_stated"):
            rec[name] = parsing.clean_text(get(name))
        rec["source_url"] = self._try(row, "source_url", parsing.parse_url, get("source_url"))
        pid = get("pledge_id")
        rec["pledge_id"] = parsing.clean_text(_cell_text(pid) if pid is not None else None)

        # categories with possibly several values: first kept, rest noted
        for name, func, label in (
            ("stakeholder_type", parsing.parse_stakeholder_types, "stakeholder type"),
            ("pledge_type", parsing.parse_pledge_type, "pledge type"),
        ):
            vals = self._try(row, name, func, get(name)) or []
            rec[name] = vals[0] if vals else fields.UNKNOWN
            if len(vals) > 1:
                row.notes.append(f"also listed as {label}: {', '.join(vals[1:])}")
        rec["focus_areas"] = self._try(row, "focus_areas", parsing.parse_focus_areas,
                                       get("focus_areas")) or []
        st = self._try(row, "status", parsing.parse_status, get("status"))
        rec["status"] = st or fields.UNKNOWN

        # geography
        is_global = False
        if "is_global" in cells:
            is_global = bool(self._try(row, "is_global", parsing.parse_bool, get("is_global")))
        ent = parsing.split_cell(self._lone_no(row, "entity_country", self._lone_na(
            row, "entity_country", get("entity_country"))), parsing.COUNTRY_CODES_LIKE_MISSING)
        ent_codes, ent_bad = self._countries(row, "entity_country", ent)
        for bad in ent_bad:
            if parsing.text_key(bad) in _NOT_A_COUNTRY:
                continue
            row.reasons.append(f"unknown country: {bad!r} in entity_country")
        rec["entity_country"] = ent_codes[0] if ent_codes else None
        if len(ent_codes) > 1:
            row.notes.append(f"also listed as entity country: {', '.join(ent_codes[1:])}")

        tc: list[str] = []
        tr: list[str] = []
        for piece in parsing.split_cell(self._lone_no(row, "target_countries", self._lone_na(
                row, "target_countries", get("target_countries"))),
                parsing.COUNTRY_CODES_LIKE_MISSING):
            if parsing.is_global_text(piece):
                is_global = True
                continue
            codes, bad = self._countries(row, "target_countries", [piece])
            tc += codes
            for b in bad:
                reg = self.region(b)
                if reg is not None and reg != "World":
                    tr.append(reg)
                    row.notes.append(f"target country cell names a region: {b!r} -> {reg}")
                    self._note_region_reading(row, "target_countries", b)
                else:
                    row.reasons.append(f"unknown country: {b!r} in target_countries")
        for piece in parsing.split_cell(self._lone_no(row, "target_regions",
                                                      get("target_regions"))):
            if parsing.is_global_text(piece) or self.region(piece) == "World":
                is_global = True
                if parsing.text_key(piece) not in parsing.GLOBAL_TOKENS | {"world"}:
                    row.notes.append(f"target region {piece!r} read as global")
                continue
            found, bad = parsing.split_resolving(piece, self._region_named)
            regs = [label for label, _ in found]
            for label, text in found:
                if label != "World":
                    self._note_region_reading(row, "target_regions", text)
            tr += [r for r in regs if r != "World"]
            is_global = is_global or "World" in regs
            for b in bad:
                iso = self.country(b)
                if iso is not None:
                    tc.append(iso)
                    row.notes.append(f"target region cell names a country: {b!r} -> {iso}")
                    self._note_ambiguous(row, "target_regions", b, iso)
                else:
                    row.reasons.append(f"unknown region: {b!r} in target_regions")
        rec["target_countries"] = list(dict.fromkeys(tc))
        rec["target_regions"] = list(dict.fromkeys(tr))
        rec["is_global"] = is_global

        # dates
        dates: dict[str, parsing.DateRead | None] = {
            name: self._try(row, name, parsing.read_date, get(name))
            for name in ("announced_date", "last_report_date")}
        date, last = dates["announced_date"], dates["last_report_date"]
        rec["announced_date"], rec["announced_precision"] = (
            date.when, _stated_precision(date, get("announced_precision"), row.notes)
        ) if date else (pd.NaT, None)
        rec["last_report_date"] = last.when if last else pd.NaT
        # the reading chosen for each date (01.05.2023 read day first), from its parse
        row.notes += [f"{name}: {read.note}" for name, read in dates.items()
                      if read and read.note]
        rec["target_year"] = self._try(row, "target_year", parsing.parse_year,
                                       get("target_year"))
        announced = rec["announced_date"]
        if rec["target_year"] is not None and not pd.isna(announced) and \
                rec["target_year"] < announced.year:  # a typo or swapped columns
            row.reasons.append(f"target before announcement: target year {rec['target_year']} "
                               f"before the announcement ({announced:%Y-%m-%d})")

        # lists
        rec["beneficiaries"] = parsing.split_cell(get("beneficiaries"))
        rec["sdgs"] = self._try(row, "sdgs", parsing.parse_sdgs, get("sdgs")) or []
        synth = self._try(row, "is_synthetic", parsing.parse_bool, get("is_synthetic"))
        rec["is_synthetic"] = bool(synth)

        self._value(row, cells)
        rec.update(self._basis.read(rec, cells, row.reasons))  # value basis (values)
        src_notes = parsing.clean_text(get("notes"))
        earlier = src_notes.partition("[loader] ")[2] if src_notes else ""  # a re-read export
        new_notes = [n for n in row.notes if n not in earlier]
        loader = "[loader] " + "; ".join(new_notes) if new_notes else None
        rec["notes"] = " ".join(x for x in (src_notes, loader) if x) or None
        return row

    def _stated(self, row: _Row, cells: dict[str, object]) -> parsing.Money | None:
        """The parsed ``value_as_stated``; ``None`` when missing, unreadable (a reason added)
        or a quantity of things (``100,000 SIM cards``: :class:`parsing.NotMoney`), which
        keeps the pledge with no USD value read from it (noted; the source's
        ``estimated_value_usd``, if any, is then the value)."""
        code = None
        with contextlib.suppress(ParseError):  # a bad currency cell is its own reason
            code = parsing.parse_currency(cells.get("currency"))
        try:
            try:
                return parsing.parse_money_beside(cells.get("value_as_stated"), code)
            except ParseError as err:
                if code is not None or (zone := _currency_zone(err, row.record)) is None:
                    raise
                money = parsing.parse_money_beside(cells.get("value_as_stated"), zone[0])
                row.notes.append(f"value_as_stated: {err.text!r} read as {zone[0]}: the entity "
                                 f"country {row.record['entity_country']} is in {zone[1]}")
                return money
        except parsing.NotMoney as err:
            usd = "the source's estimated_value_usd is used" \
                if not parsing.is_not_stated(cells.get("estimated_value_usd")) \
                else "no USD value counted"
            row.notes.append(f"value {_shown(err.text)} is {err.kind} ({err.detail}): {usd}")
            return None
        except ParseError as err:
            row.reasons.append(_parse_reason(err, "value_as_stated",
                                             cells.get("value_as_stated")))
            return None

    def _value(self, row: _Row, cells: dict[str, object]) -> None:
        rec = row.record
        stated = self._stated(row, cells)
        cur_col = self._try(row, "currency", parsing.parse_currency, cells.get("currency"))
        usd_cell = self._try(row, "estimated_value_usd", parsing.parse_money,
                             cells.get("estimated_value_usd"))
        curator: float | None = None
        if usd_cell is not None:
            if usd_cell.currency not in (None, "USD"):
                row.reasons.append(f"unparseable value: {_shown(cells.get('estimated_value_usd'))}"
                                   " in estimated_value_usd (not US dollars)")
            elif not _absurd(row, usd_cell.amount, "estimated_value_usd"):
                curator = usd_cell.amount
        if curator == 0:
            curator = None
            row.notes.append("estimated_value_usd 0 read as not stated")

        usd: float | None = None
        currency = None
        if stated is not None:
            if stated.currency and cur_col and stated.currency != cur_col:
                row.reasons.append(f"currency conflict: {stated.currency} in value_as_stated, "
                                   f"{cur_col} in currency")
                return
            currency = stated.currency or cur_col
            if stated.note:
                row.notes.append(f"value: {stated.note}")
            if stated.amount == 0 and not stated.usd_stated:
                row.notes.append("stated value 0 read as not stated")
                currency = None
            elif stated.usd_stated is not None:
                usd = stated.usd_stated
            elif currency in (None, "USD"):
                if currency is None:
                    row.notes.append("currency not stated; read as USD")
                    currency = "USD"
                usd = stated.amount
            else:
                date = rec.get("announced_date")
                if date is None or pd.isna(date):
                    row.reasons.append(f"cannot convert to USD: {currency} value with no "
                                       "announcement date")
                    return
                try:
                    conv = fx.convert(stated.amount, currency, date.year)
                except fx.FXError as err:
                    row.reasons.append(f"cannot convert to USD: {err}")
                    return
                usd = conv.usd
                row.notes.append(
                    f"converted at {conv.rate:.4f} {currency}/USD (WDI {conv.wdi_code} "
                    f"{conv.rate_year} annual average)"
                    + (f"; {conv.note}" if conv.note else ""))
            if curator is not None and usd is not None and \
                    abs(curator - usd) > VALUE_TOLERANCE * max(abs(usd), 1.0):
                row.notes.append(f"source estimated_value_usd {curator:,.0f} differs "
                                 f"(not used)")
        elif curator is not None:
            usd = curator
            currency = cur_col or "USD"
            if currency != "USD":
                row.reasons.append(f"currency conflict: {currency} in currency column, "
                                   "USD in estimated_value_usd")
                return
        elif cur_col is not None:
            currency = None  # a currency with no amount says nothing
        if usd is not None and stated is not None and _absurd(row, usd, "value_as_stated"):
            return
        rec["estimated_value_usd"] = float(usd) if usd is not None else float("nan")
        rec["currency"] = currency if usd is not None else None


#: A title or id that makes a row a spreadsheet's sum line, not a pledge (lower case, without
#: a trailing colon).
TOTAL_LABELS = frozenset({"total", "totals", "grand total", "sum", "subtotal", "sub-total",
                          "sub total", "overall total", "total pledged", "total value",
                          "sum total"})


#: A label of a sum line beyond :data:`TOTAL_LABELS` (lower case, spaces collapsed, without a
#: trailing colon or a trailing bracket such as ``(USD)``): "Total", "Grand total", "Sub-total"
#: or "Overall total", alone or followed by what it sums ("Total pledges", "Total value USD").
#: A name that only begins with "Total" ("Total Access Fund") is not one.
_TOTAL_LINE = re.compile(
    r"(?:grand |overall |sub-? ?)?(?:totals?|sum)(?: (?:of )?(?:all )?"
    r"(?:pledges?|pledged|values?|amounts?|commitments?|usd|us\$|funding|investment))*")


#: A label of a group's sum line: "Total", "Subtotal", "Sum" and the like, then a group
#: (:func:`_names_a_group`: "Subtotal Africa", "Total for Kenya", "Total 2023"), as a sheet
#: sorted by region or year sums each group: counted, each would double its group's pledges.
_TOTAL_OF_A_GROUP = re.compile(r"(?:grand |overall |sub-? ?)?(?:totals?|sum)"
                               r"(?: (?:for|in|of))?[\s:\-\u2013]+(?P<group>.+)")


def _names_a_group(text: str) -> bool:
    """Whether ``text`` names a group a sum line may sum: a year (``2023``), a region
    (:func:`countries.resolve_region`) or a country by its name (not a code: ``Total AI`` is
    no total of Anguilla)."""
    text = text.strip(" :")
    return bool(re.fullmatch(r"(?:19|20)\d{2}", text)) or \
        countries.resolve_region(text) is not None or \
        (len(text) > 3 and countries.try_resolve(text) is not None)


def _is_total_label(text: str, groups: bool = True) -> bool:
    """Whether a title or id cell labels a sum line (:data:`TOTAL_LABELS`, :data:`_TOTAL_LINE`,
    and, with ``groups``, :data:`_TOTAL_OF_A_GROUP`)."""
    label = " ".join(text.lower().split()).rstrip(":").strip()
    label = re.sub(r"\s*[(\[][^()\[\]]*[)\]]$", "", label).rstrip(":").strip()  # "(USD)"
    if label in TOTAL_LABELS or _TOTAL_LINE.fullmatch(label) is not None:
        return True
    group = _TOTAL_OF_A_GROUP.fullmatch(label) if groups else None
    return group is not None and _names_a_group(group["group"])


def _totals_row(record: dict) -> list[str]:
    """The reason a row is a totals line ("Total", "Grand total (USD)", "Total pledges" as its
    title or id, or as the pledger of a row with no title), or a line that names neither a
    pledge nor who made it (no title, no pledger, no id in the file: a sum or a note under the
    table): added up, such a row would count the pledges above it twice. A group's sum line
    ("Subtotal Africa", "Total 2023") names no one as its pledger (blank, a group or a filler:
    :func:`_no_pledger`): with a pledger, "Total Kenya" is a pledge's title (TotalEnergies
    Kenya's)."""
    untitled = _blank(record.get("title"))
    for name in ("title", "pledge_id", "pledger"):
        text = record.get(name)
        if name == "pledger" and not untitled:
            break  # a pledger called "Total" with a pledge's title is a pledge
        if isinstance(text, str) and (_is_total_label(text, groups=False) or (
                _is_total_label(text) and (name == "pledger"
                                           or _no_pledger(record.get("pledger"))))):
            return [f"totals row: {name} {text!r} (a sum of the rows above, not a pledge)"]
    if all(_blank(record.get(name)) for name in ("title", "pledger", "pledge_id")):
        return ["unnamed row: no title, pledger or pledge_id (a sum or a note under the "
                "table, not a pledge)"]
    return []


#: Pledger cells that name no one: what a sheet writes beside a group's sum line.
_FILLER_PLEDGERS = frozenset({"all", "all pledgers", "various", "multiple", "several", "n/a",
                              "na", "-", "--", "...", "…", "total", "subtotal"})


def _no_pledger(value: object) -> bool:
    """Whether a pledger cell names no one: blank, a filler (:data:`_FILLER_PLEDGERS`:
    "All pledgers", "Various"), a total's label, or a group a sum line sums ("Africa",
    "2023")."""
    if _blank(value):
        return True
    text = " ".join(str(value).lower().split()).strip(" :")
    return text in _FILLER_PLEDGERS or _is_total_label(text) or _names_a_group(text)


def _stated_precision(date: parsing.DateRead, stated: object, notes: list[str]) -> str:
    """The precision of a parsed announcement date: the source's ``announced_precision`` cell
    when it names a precision (``year``, ``month``, ``day``) no finer than the date's text
    gives and the date is the first day of that period (a canonical export read again:
    ``2022-01-01`` with ``year`` stays a year), else the precision of the date's text (noted
    when the cell says something else)."""
    when, parsed = date.when, date.precision
    if parsing.is_not_stated(stated):
        return parsed
    text = str(stated).strip().lower()
    order = {p: i for i, p in enumerate(vocabulary.DATE_PRECISIONS)}  # year < month < day
    starts = {"year": when.month == 1 and when.day == 1, "month": when.day == 1, "day": True}
    if text in order and order[text] <= order[parsed] and starts[text]:
        return text
    if text != parsed:
        notes.append(f"announced_precision {_shown(stated, 40)} does not fit "
                     f"{when:%Y-%m-%d}; read as {parsed}")
    return parsed


def _absurd(row: _Row, usd: float, fieldname: str) -> bool:
    """True (and a quarantine reason added) when ``usd`` (US dollars) is no plausible value
    for one pledge: not finite, or above :data:`~p2c_analysis.limits.MAX_PLEDGE_USD`."""
    if math.isfinite(usd) and usd <= MAX_PLEDGE_USD:
        return False
    row.reasons.append(f"absurd value: USD {usd:.3g} from {fieldname} (more than USD "
                       f"{MAX_PLEDGE_USD / 1e12:g} trillion, the ceiling for one pledge)")
    return True


COUNTRY_FIELDS = ("entity_country", "target_countries")

#: A number with one separator before three digits and no other: ``1,250`` and ``1.250`` are
#: thousands in one convention, a decimal in the other (``0,250`` is a decimal in both); not
#: the mantissa of a number in scientific notation (``1.705E+08``, as a spreadsheet writes a
#: large number: no thousands separator there).
_ONE_GROUP = {",": re.compile(r"(?<![\d.,])(?!0,)\d{1,3},\d{3}(?![\d.,]|[eE][+-]?\d)"),
              ".": re.compile(r"(?<![\d.,])(?!0\.)\d{1,3}\.\d{3}(?![\d.,]|[eE][+-]?\d)")}
#: What shows the convention that makes them a decimal: a decimal comma (``1,5``,
#: ``1.000,50``) for ``1,250``; thousands written with points (``1.000.000``, ``1.000,50``)
#: for ``1.250``.
_OTHER_CONVENTION = {
    ",": (re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d.,])|\d\.\d{3},\d"), "decimal commas"),
    ".": (re.compile(r"\d\.\d{3}\.\d{3}(?!\d)|\d\.\d{3},\d"), "thousands with points"),
}


def _separator_rows(table: _Table, used: dict[str, list[int]]) -> dict[str, int]:
    """``{separator: row}``: for ``","`` and ``"."``, the first row whose amount cell
    (:data:`AMOUNT_FIELDS`, text only: a number cell has no separators) shows the convention
    in which a number with that one separator before three digits is a decimal
    (:data:`_OTHER_CONVENTION`); a separator the file gives no such sign of is left out."""
    cols = [i for name in AMOUNT_FIELDS for i in used.get(name, [])]
    found: dict[str, int] = {}
    for rownum, cells in table.rows:
        for i in cols:
            cell = cells[i] if i < len(cells) else None
            if not isinstance(cell, str):
                continue
            for sep, (pattern, _) in _OTHER_CONVENTION.items():
                if sep not in found and pattern.search(cell):
                    found[sep] = rownum
        if len(found) == len(_OTHER_CONVENTION):
            break
    return found


def _separator_reasons(cells: dict[str, object], shown: dict[str, int],
                       reasons: list[str]) -> list[str]:
    """The reasons to set a row aside for an amount such as ``1,250`` (or ``1.250``) in a file
    that shows the convention in which it is a decimal (``shown``: :func:`_separator_rows`):
    a thousand times apart, the two readings cannot be told. An amount already refused
    (in ``reasons``) is not named twice, unless by the parser's reason for ``1.250 million``
    (:data:`parsing.POINT_OR_THOUSANDS`: a decimal point or a thousands one, said of any
    cell), which the caller drops for this one, the file's own sign of its convention."""
    out = []
    for name in AMOUNT_FIELDS:
        cell = cells.get(name)
        if not isinstance(cell, str) or any(f" in {name}" in r and (
                parsing.POINT_OR_THOUSANDS not in r) for r in reasons):
            continue
        for sep, row in shown.items():
            if m := _ONE_GROUP[sep].search(cell):
                digits = m.group().replace(sep, "")
                out.append(f"ambiguous value: {m.group()!r} in {name} (the file writes "
                           f"{_OTHER_CONVENTION[sep][1]}, as in row {row}: write {digits} or "
                           f"{int(digits) / 1000:g})")
                break
    return out


def _na_reading(table: _Table, used: dict[str, list[int]], consts: dict[str, object],
                resolve: Callable[[str], str | None]) -> str:
    """How a country cell holding only ``NA`` is read in this file, by its other country
    cells (:data:`COUNTRY_FIELDS`, and a mapping's constants for them): ``"namibia"`` when
    every piece that names a country is two letters (ISO alpha-2 codes: ``NA`` is Namibia),
    ``"missing"`` when none is (names or alpha-3 codes: ``NA`` is "not available"),
    ``"ambiguous"`` when both occur, ``"none"`` when the file names no country (read as
    ``"missing"``, said otherwise). Pieces naming no country are not counted, nor ``no``
    (Norway's alpha-2 code, or "none named": :meth:`_RowParser._lone_no`)."""
    cols = [i for name in COUNTRY_FIELDS for i in used.get(name, [])]
    cells = itertools.chain((consts.get(name) for name in COUNTRY_FIELDS),
                            (cells[i] for _, cells in table.rows for i in cols
                             if i < len(cells)))
    alpha2 = other = False
    for cell in cells:
        for piece in parsing.split_cell(cell):
            if resolve(piece) is None or parsing.text_key(piece) == "no":  # "no" says none
                continue
            if re.fullmatch(r"[^\W\d_]{2}", piece):
                alpha2 = True
            else:
                other = True
        if alpha2 and other:
            return "ambiguous"
    return "namibia" if alpha2 else "missing" if other else "none"


def _derived_id(prefix: str, title: object, pledger: object, raw: str) -> str:
    base = f"{_norm(title)}|{_norm(pledger)}"
    if base == "|":
        base = raw
    return prefix + hashlib.sha1(base.encode("utf-8")).hexdigest()[:8].upper()


class _RowSorter:
    """Turns the table's rows one by one into a canonical record or a quarantine entry,
    keeping the cross-row state (exact duplicates, pledge ids)."""

    def __init__(self, table: _Table, used: dict[str, list[int]], consts: dict[str, object],
                 prefix: str, has_id: bool, lim: Limits) -> None:
        self.table, self.used, self.consts = table, used, consts
        self.prefix, self.has_id, self.lim = prefix, has_id, lim
        self.parser = _RowParser()
        self.parser.na_reading = _na_reading(table, used, consts, self.parser.country)
        self.separators = _separator_rows(table, used)
        self.first_seen: dict[tuple, tuple[int, tuple]] = {}  # normalised row -> first
        self.id_rows: dict[str, int] = {}
        self.derived_count: Counter[str] = Counter()
        #: ``id(record)`` -> the derived id before numbering (:func:`_number_twins`)
        self.derived_base: dict[int, str] = {}
        #: (title, pledger) normalised -> (row, record) of the first row counted with them
        self.titled: dict[tuple[str, str], tuple[int, dict]] = {}
        self.fallback = set(table.fallback_rows)
        width = len(table.header)
        given = [*table.header_given[:width], *[""] * (width - len(table.header_given))]
        #: the header's cells as :meth:`sort` compares rows (case and runs of spaces ignored)
        self.header_key = tuple(" ".join(t.casefold().split()) for t in given)
        #: the row of a repeated header with its columns in another order (a second export
        #: pasted under the first): the rows below it, until the header comes again in its
        #: own order, have their cells under other columns than the header's
        self.reordered_at: int | None = None
        #: the header's names as columns are matched (:func:`fields.normalise_column`)
        self.header_names = [fields.normalise_column(t) for t in given]

    def _header_names(self, texts: tuple[str, ...]) -> list[str]:
        """``texts`` normalised as column names (:func:`fields.normalise_column`) when its
        first filled cell names one of the header's columns (the row may repeat the header);
        ``[]`` otherwise, so that a pledge's cells are not all normalised."""
        first = next((t for t in texts if t), "")
        if fields.normalise_column(first) not in self.header_names:
            return []
        return [fields.normalise_column(t) for t in texts]

    def column(self, rownum: int, j: int) -> str:
        """The name of cell ``j`` (0-based) of row ``rownum``: its header, or
        ``extra_<column number>`` beyond the header."""
        hw = len(self.table.header)
        if j < hw:
            return self.table.header[j]
        extra = self.table.extra_columns.get(rownum, [])
        return f"extra_{extra[j - hw] if j - hw < len(extra) else j + 1}"

    def raw(self, rownum: int, cells: list[object]) -> str:
        """The source row as a JSON object string, header -> cell text."""
        hw = len(self.table.header)
        raw = {self.column(rownum, j): _cell_text(c)
               for j, c in enumerate(cells) if j < hw or _cell_text(c).strip()}
        return json.dumps(raw, ensure_ascii=False)

    def sort(self, rownum: int, cells: list[object], texts: list[str]
             ) -> tuple[dict | None, list[str]]:
        """``(record, reasons)`` of one non-blank row; ``record`` is ``None`` when the row
        was not parsed (a cell over the cell-length limit)."""
        width = len(self.table.header)
        reasons = list(self.table.row_reasons.get(rownum, []))
        reasons += self._too_long(rownum, texts)
        extra = [t for t in texts[width:] if t]
        if extra:
            reasons.append(f"extra cells: row has {width + len(extra)} cells, header {width}")
        exact = tuple(texts[:width]) + tuple([""] * max(0, width - len(texts)))
        key = tuple(" ".join(t.casefold().split()) for t in exact)
        exact_dup = key in self.first_seen
        if exact_dup:
            first, first_exact = self.first_seen[key]
            reasons.append(f"exact duplicate: of row {first}" if exact == first_exact else
                           f"exact duplicate: of row {first} but for letter case or spacing")
        else:
            self.first_seen[key] = (rownum, exact)
        if any(r.startswith("cell too long") for r in reasons):
            return None, reasons
        names = self._header_names(exact)
        named = len({n for n in names if n}) >= 2  # a header names two columns or more
        if key == self.header_key or (named and names == self.header_names):
            # the header again (two exports pasted together, a header left on every page):
            # one reason that says so, not a cell-by-cell list of unknown values
            reasons.append(f"repeated header: the row repeats the header (row "
                           f"{self.table.header_row}): delete it")
            self.reordered_at = None  # the rows below stand under the header's columns again
            return None, reasons
        if named and Counter(names) == Counter(self.header_names):
            self.reordered_at = rownum
            reasons.append(f"repeated header: the row repeats the header (row "
                           f"{self.table.header_row}) with its columns in another order: the "
                           "rows below it are set aside; load them as a file of their own")
            return None, reasons
        if self.reordered_at is not None:
            # read under the first header, a pledger would be a title, a value a date
            reasons.append(f"below a reordered header: row {self.reordered_at} repeats the "
                           "header with its columns in another order, so this row's cells "
                           "stand under other columns; load the rows from row "
                           f"{self.reordered_at} on as a file of their own")
            return None, reasons
        notes = self._merged(rownum, cells) + self._formatted(rownum, cells)
        if rownum in self.fallback:
            notes.append(f"row decoded as {self.table.fallback_encoding} (not valid UTF-8)")
        mapped = self._mapped(cells)
        row = self.parser.parse(mapped, notes)
        reasons += self._spreadsheet_errors(cells, row.reasons)
        if self.separators:
            extra = _separator_reasons(mapped, self.separators, row.reasons)
            reasons = [r for r in reasons if parsing.POINT_OR_THOUSANDS not in r or not any(
                f" in {name}" in r and f" in {name}" in e for e in extra
                for name in AMOUNT_FIELDS)] + extra  # the file's sign of its convention wins
        reasons += _totals_row(row.record)
        reasons += self._pledge_id(row.record, rownum, exact_dup, cells)
        if not reasons:
            self._same_title_and_pledger(rownum, row.record)
        return row.record, reasons

    def _same_title_and_pledger(self, rownum: int, rec: dict) -> None:
        """Note a counted row with the title and pledger of an earlier counted row (compared
        as pledge ids are derived: case and runs of spaces ignored), on both rows: a pledger
        may make one pledge a year under one title, so both are counted, but a revised
        pledge exported twice would be counted twice. Rows with no title or no pledger are
        not compared."""
        key = (_norm(rec.get("title")), _norm(rec.get("pledger")))
        if not all(key):
            return
        if key not in self.titled:
            self.titled[key] = (rownum, rec)
            return
        first, earlier = self.titled[key]
        for this, other, other_row in ((rec, earlier, first), (earlier, rec, rownum)):
            _add_loader_note(this, f"same title and pledger as row {other_row} (value "
                                   f"{_value_shown(other)}): counted separately; if one "
                                   "revises the other, keep one")

    def _merged(self, rownum: int, cells: list[object]) -> list[str]:
        """The notes on the cells of this row filled from merged ranges; an amount is taken
        back out (:data:`AMOUNT_FIELDS`): it stays on the range's first row only."""
        fills = self.table.merged_fills.get(rownum)
        if not fills:
            return []
        from openpyxl.utils import get_column_letter

        amounts = {i for name in AMOUNT_FIELDS for i in self.used.get(name, [])}
        notes = []
        for col, first, last in sorted(fills):
            letter = get_column_letter(col)
            span = f"{letter}{first}:{letter}{last}"
            if col - 1 in amounts:
                cells[col - 1] = None
                notes.append(f"amount in merged cells {span} counted once, on row {first}")
            else:
                notes.append(f"cell {letter}{rownum} filled from merged cells {span}")
        return notes

    def _formatted(self, rownum: int, cells: list[object]) -> list[str]:
        """A number in an amount column whose cell format shows more than the digits (a
        percentage, a currency, a scale or other words: ``€5,000,000``, ``5,000,000 EUR``) is
        read as the text shown (``€ 5000000``), as a CSV cell would be, not as US dollars;
        noted."""
        formats = self.table.cell_formats.get(rownum)
        if not formats:
            return []
        from openpyxl.utils import get_column_letter

        notes = []
        for name in AMOUNT_FIELDS:
            for i in self.used.get(name, []):
                code = formats.get(i + 1)
                if code is None or i >= len(cells):
                    continue
                shown = _as_shown(cells[i], code)
                if shown is not cells[i]:
                    notes.append(f"cell {get_column_letter(i + 1)}{rownum} read as shown: "
                                 f"{shown!r} (number format {code!r})")
                    cells[i] = shown
        return notes

    def _too_long(self, rownum: int, texts: list[str]) -> list[str]:
        out = []
        for j, t in enumerate(texts):
            what = f"column {self.column(rownum, j)!r}"
            if msg := self.lim.exceeded("cell_chars", len(t), f"{len(t):,} characters in {what}"):
                out.append(f"cell too long: {msg}")
        return out

    def _spreadsheet_errors(self, cells: list[object], parsed: list[str]) -> list[str]:
        """``parsed`` (the parser's reasons) with a ``spreadsheet error`` reason for each read
        cell that holds a formula's error value (``#N/A`` of a failed lookup, ``#REF!``), in
        place of the parser's reason about that cell ('unknown country: '#N/A''): text fields
        took it as a title, a pledger or a description, and counted the row."""
        out = list(parsed)
        for name, idx in self.used.items():
            for i in idx:
                value = cells[i] if i < len(cells) else None
                if not parsing.is_spreadsheet_error(value):
                    continue
                shown = f"{_shown(str(value).strip())} in {name}"
                out = [r for r in out if shown not in r]
                out.append(f"spreadsheet error: {shown} (a formula's error, not a value)")
        return out

    def _mapped(self, cells: list[object]) -> dict[str, object]:
        mapped: dict[str, object] = dict(self.consts)
        for name, idx in self.used.items():
            vals = [cells[i] if i < len(cells) else None for i in idx]
            if len(vals) == 1:
                mapped[name] = vals[0]
            else:
                mapped[name] = "; ".join(str(v) for v in vals if not parsing.is_not_stated(v))
        if "is_synthetic" in self.consts and "is_synthetic" in self.used:
            # synthetic when the mapping or the row says so: never read as real by a constant
            with contextlib.suppress(parsing.ParseError):
                if parsing.parse_bool(self.consts["is_synthetic"]):
                    mapped["is_synthetic"] = True
        return mapped

    def _pledge_id(self, rec: dict, rownum: int, exact_dup: bool,
                   cells: list[object]) -> list[str]:
        """Set a derived ``pledge_id`` when the source has none; the reasons about ids."""
        reasons = []
        if self.has_id:
            if rec["pledge_id"] is None:
                reasons.append("missing pledge_id: blank in pledge_id")
        else:
            pid = _derived_id(self.prefix, rec["title"], rec["pledger"], self.raw(rownum, cells))
            if not exact_dup:
                self.derived_count[pid] += 1
            n = self.derived_count[pid]
            self.derived_base[id(rec)] = pid
            rec["pledge_id"] = pid if n <= 1 else f"{pid}-{n}"  # renumbered: _number_twins
        pid = rec["pledge_id"]
        if pid is not None and not exact_dup:
            if pid in self.id_rows:
                reasons.append(f"duplicate pledge_id: {pid!r} (first at row {self.id_rows[pid]})")
            else:
                self.id_rows[pid] = rownum
        return reasons


def _sortable(value: object) -> tuple:
    """``value`` as a key that sorts any canonical cell: missing first, then booleans,
    numbers, lists and text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (0, 0.0, "")
    if isinstance(value, bool):
        return (1, float(value), "")
    if isinstance(value, int | float):
        return (2, float(value), "")
    if isinstance(value, list | tuple):
        return (3, 0.0, repr(list(value)))
    return (4, 0.0, str(value))


#: The fields that rarely change, by which twins are numbered first (:func:`_content_key`):
#: a twin whose value or status changes keeps its id when these tell the twins apart.
TWIN_STABLE_FIELDS = ("description", "source_url", "announced_date", "announced_precision",
                      "target_countries", "target_regions", "is_global", "target_year",
                      "focus_areas", "stakeholder_type", "entity_country", "pledge_type")


def _content_key(rec: dict) -> tuple:
    """A record's fields that rarely change (:data:`TWIN_STABLE_FIELDS`), then its other
    canonical fields but its id and notes (value and status first, then in
    :data:`fields.CANONICAL_COLUMNS` order), then the notes written in the file (the loader's
    notes name row numbers)."""
    own = str(rec.get("notes") or "").partition("[loader] ")[0]
    changing = ("estimated_value_usd", "value_as_stated", "currency", "status",
                "last_report_date")
    rest = [name for name in fields.CANONICAL_COLUMNS if name not in
            ("pledge_id", "notes", *TWIN_STABLE_FIELDS, *changing)]
    return (*(_sortable(rec.get(name)) for name in (*TWIN_STABLE_FIELDS, *changing, *rest)),
            own)


def _number_twins(records: list[dict], rows: list[int], bases: dict[int, str]) -> None:
    """Number the derived ids of the records that share one (same title and pledger): the
    first in the order of their content (:func:`_content_key`; the source row only between
    rows that are the same but for their loader notes, and so interchangeable) keeps the
    bare id, the next ``-2``, ``-3``, ...: an id never depends on the order of the file's
    rows. ``rows``: each record's source row; ``bases``: ``id(record)`` -> derived id."""
    twins: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        if (base := bases.get(id(rec))) is not None:
            twins.setdefault(base, []).append(i)
    for base, idx in twins.items():
        idx.sort(key=lambda i: (_content_key(records[i]), rows[i]))
        for n, i in enumerate(idx, 1):
            records[i]["pledge_id"] = base if n == 1 else f"{base}-{n}"


#: The order of the valid pledges (:func:`in_canonical_order`): announced first, then by
#: pledger and title (letter case ignored), the pledge id last (unique: a total order).
CANONICAL_ORDER = ("announced_date", "pledger", "title", "pledge_id")


def in_canonical_order(valid: pd.DataFrame) -> pd.DataFrame:
    """The valid pledges in :data:`CANONICAL_ORDER` (an unknown date last), index 0..n-1:
    the same rows in any order give the same table, so every table built from it, its ties
    and its sums (floating-point sums depend on the order of their terms) are the same."""
    if len(valid) < 2:
        return valid

    def key(col: pd.Series) -> pd.Series:
        return col.str.casefold() if col.name in ("pledger", "title") else col

    out = valid.sort_values(list(CANONICAL_ORDER), key=key, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _value_shown(rec: dict) -> str:
    """A record's value for a note: its value text (quoted, cut to 60 characters), else its
    US-dollar figure, else ``none stated``."""
    text = rec.get("value_as_stated")
    if text:
        return _shown(text, 60)
    usd = rec.get("estimated_value_usd")
    if usd is not None and not pd.isna(usd):
        return f"USD {usd:,.0f}"
    return "none stated"


def _add_loader_note(rec: dict, note: str) -> None:
    """Append ``note`` to a parsed record's ``notes`` after ``[loader]`` (as
    :meth:`_RowParser.parse` writes them), unless the loader's part already holds it (a
    canonical export read again)."""
    notes = rec.get("notes") or ""
    head, sep, loader = notes.partition("[loader] ")
    if note in loader:
        return
    rec["notes"] = f"{notes}; {note}" if sep else " ".join(x for x in (head.strip(),
                                                                       "[loader] " + note) if x)


def _canonical(records: list[dict]) -> pd.DataFrame:
    """The records as a canonical frame, coerced and schema-checked (raises if they are
    not)."""
    frame = fields.coerce_canonical(pd.DataFrame(records)) if records else fields.empty_frame()
    return fields.schema().validate(frame)


def _canonical_rows(records: list[dict]) -> tuple[pd.DataFrame, dict[int, str]]:
    """The canonical frame of the records that pass, and ``{index: reason}`` of those that
    do not (:func:`_failing`): a column that fails sets rows aside, never the file."""
    try:
        return _canonical(records), {}
    except Exception:  # noqa: BLE001 - find the rows (below)
        bad = _failing(records)
    return _canonical([r for i, r in enumerate(records) if i not in bad]), bad


def _failing(records: list[dict]) -> dict[int, str]:
    """``{index: reason}`` of the records that :func:`_canonical` refuses, found by halving
    (a few calls when few records fail). Records that fail only together (no single one
    does) are all returned with the shared reason: set aside, never lost."""
    try:
        _canonical(records)
        return {}
    except Exception as err:  # noqa: BLE001 - any failure of a column sets rows aside
        reason = f"invalid value: {_first_line(err)}"
    if len(records) == 1:
        return {0: reason}
    mid = len(records) // 2
    bad = _failing(records[:mid])
    bad.update({mid + i: r for i, r in _failing(records[mid:]).items()})
    return bad or dict.fromkeys(range(len(records)), reason)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# --- public API --------------------------------------------------------------------------------

def load_pledges(
    path: str | Path | None = None,
    mapping: str | Path | Mapping | None = None,
    strict: bool = False,
    limits: Limits | None = None,
    canonical_order: bool = False,
) -> LoadResult:
    """Load a pledge file into valid canonical pledges and a quarantine.

    ``path``: CSV (delimiter sniffed among ``, ; TAB |``; quoted newlines fine; each line
    read as UTF-8 when it is valid UTF-8, else in one fallback encoding detected with
    charset-normalizer, and such rows flagged; UTF-16, with a BOM or of ASCII-range text
    without one) or XLSX (the mapping's
    ``sheet``, else the visible sheet whose columns name the most fields: not a "Read me" note
    or a summary of the pledges; two such sheets are refused; streamed, formulas without a
    cached value quarantined);
    ``None`` = the bundled ``data/pledges/public_pledges.csv``.
    ``mapping``: TOML mapping file (see :func:`read_mapping`) or a :class:`Mapping`;
    ``None`` = match headers against canonical names and aliases.
    ``strict``: raise :class:`PledgeDataError` on the first bad row instead of quarantining.
    ``limits``: resource limits (:class:`~p2c_analysis.limits.Limits`); ``None`` = the
    defaults and the ``P2C_MAX_*`` environment variables.
    ``canonical_order``: the valid pledges in :data:`CANONICAL_ORDER`
    (:func:`in_canonical_order`), so that the same rows in any order give the same table (the
    reports load so); ``False`` = in the file's order (the rows as the file lists them).

    Raises :class:`PledgeFileError` when the file cannot be read at all (missing, empty,
    binary, not a table, no pledge columns, over a resource limit) and
    :class:`~p2c_analysis.limits.LimitError` for a bad ``P2C_MAX_*`` value. A bad value in
    a row (or a mapping's constant) never fails the file: the row is quarantined. See the
    module docstring for all decisions.
    """
    lim = limits or Limits.from_env()
    src = Path(path) if path is not None else paths.PUBLIC_PLEDGES
    m, table, used, unused = _open(src, mapping, lim)
    paths.track(src)
    for rownum, why in _notes_under_table(table).items():
        table.row_reasons.setdefault(rownum, []).append(why)
    consts = m.constants if m else {}
    used, unused, consts = _currency_of_the_value_header(table.header, used, unused, consts)
    has_id = "pledge_id" in used or "pledge_id" in consts
    sorter = _RowSorter(table, used, consts, m.id_prefix if m else DEFAULT_ID_PREFIX,
                        has_id, lim)
    records: list[dict] = []
    kept: list[tuple[int, str]] = []  # (row number, raw) of each record
    quarantine: list[dict] = []
    kinds: dict[int, tuple[str, ...]] = {}  # source row → its reasons' kinds
    n_read = 0
    for rownum, cells in table.rows:
        given = [_unneutralised(c) for c in cells]  # as written: the raw row shows these
        cells = [_clean_text(c) for c in given]
        texts = [_cell_text(c).strip() for c in cells]
        if not any(texts):
            continue
        n_read += 1
        rec, reasons = sorter.sort(rownum, cells, texts)
        if reasons:
            if strict:
                raise PledgeDataError(f"{src}: row {rownum}: {reasons[0]}")
            quarantine.append({"source_row": rownum, "reasons": "; ".join(reasons),
                               "raw": sorter.raw(rownum, given)})
            kinds[rownum] = tuple(_kind(r) for r in reasons)
        else:
            records.append(rec)  # type: ignore[arg-type]
            kept.append((rownum, given))  # type: ignore[arg-type]
    _number_twins(records, [row for row, _ in kept], sorter.derived_base)
    valid, bad = _canonical_rows(records)
    if canonical_order:
        valid = in_canonical_order(valid)
    for i, reason in sorted(bad.items()):
        if strict:
            raise PledgeDataError(f"{src}: row {kept[i][0]}: {reason}")
        quarantine.append({"source_row": kept[i][0], "reasons": reason,
                           "raw": sorter.raw(*kept[i])})  # type: ignore[arg-type]
        kinds[kept[i][0]] = (_kind(reason),)
    q = pd.DataFrame(sorted(quarantine, key=lambda r: r["source_row"]),
                     columns=list(QUARANTINE_COLUMNS))
    q = q.astype({"source_row": "int64", "reasons": "string", "raw": "string"})
    columns_used = {name: ", ".join(table.header[i] for i in idx) for name, idx in used.items()}
    return LoadResult(
        valid=valid, quarantine=q, source=src, n_read=n_read, file_format=table.file_format,
        encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet,
        columns_used=columns_used, unused_columns=unused,
        fallback_encoding=table.fallback_encoding if table.fallback_rows else None,
        fallback_rows=table.fallback_rows, other_sheets=table.other_sheets,
        header_row=table.header_row, preamble=table.preamble,
        hidden_columns=_hidden_columns(table, used), reason_kinds=kinds,
    )


#: A header naming the stated value and its currency (normalised: ``value_eur``, ``amount_in
#: _kes``, ``Value (€)``): :func:`_currency_of_the_value_header`.
_VALUE_IN_A_CURRENCY = re.compile(r"(?P<base>.+?)_(?:in_)?(?P<code>[a-z]{3})")


def _currency_of_the_value_header(header: list[str], used: dict[str, list[int]],
                                  unused: list[str], consts: dict[str, object]
                                  ) -> tuple[dict[str, list[int]], list[str], dict[str, object]]:
    """``(used, unused, consts)`` with the currency a value column's header names
    (``Value (EUR)``, ``Amount in KES``, ``Pledge value (€)``) as the rows' currency, when
    no currency column or constant gives one: such a column was not read (``Value (EUR)``)
    or read as US dollars (a mapping naming it). Unmatched, one such column is read as
    ``value_as_stated``; a header with a scale too (``Value (EUR m)``) or two such headers
    stay unread. A cell naming another currency is a currency conflict."""
    if "currency" in used or "currency" in consts:
        return used, unused, consts
    aliases, known = fields.column_aliases(), fx.currency_map()

    def code_of(name: str) -> str | None:
        m = _VALUE_IN_A_CURRENCY.fullmatch(fields.normalise_column(name))
        if m and aliases.get(m["base"]) == "value_as_stated" and m["code"].upper() in known:
            return m["code"].upper()
        return None

    if "value_as_stated" in used:
        cols = used["value_as_stated"]
        code = code_of(header[cols[0]]) if len(cols) == 1 else None
        return used, unused, {**consts, "currency": code} if code else consts
    found = [(i, code) for i, h in enumerate(header) if h in unused and (code := code_of(h))]
    if len(found) != 1:
        return used, unused, consts
    (i, code), = found
    return ({**used, "value_as_stated": [i]}, [h for h in unused if h != header[i]],
            {**consts, "currency": code})


def _notes_under_table(table: _Table) -> dict[int, str]:
    """``{row number: reason}`` of the notes under a table: the rows at its end with one cell
    filled (``Source: ITU``, ``Values in USD``) from the first blank row after the last row
    with two cells or more. Read as pledges, they were pledges titled "Source: ITU". A row of
    one cell among the pledges, or right under them with no blank row between, is read as any
    other row; a file with no row of two cells has no notes."""
    trailer: list[tuple[int, str]] = []
    width = len(table.header)  # a cell beyond the header is set aside as an extra cell
    for rownum, cells in reversed(table.rows):
        texts = [t for t in (_cell_text(c).strip() for c in cells[:width]) if t]
        if not texts:
            continue
        if len(texts) > 1:
            last = rownum
            break
        trailer.append((rownum, texts[0]))
    else:
        return {}
    notes: dict[int, str] = {}
    for rownum, text in reversed(trailer):  # in file order
        if notes or rownum > last + 1:  # from the first blank row on
            notes[rownum] = (f"note under the table: {_shown(text, 80)} (one cell alone below "
                             "a blank row after the last pledge, not a pledge)")
        last = rownum
    return notes


def _hidden_columns(table: _Table, used: dict[str, list[int]]) -> dict[str, str | None]:
    """``{"E 'Value'": field read from it, or None}`` of the header's columns hidden in the
    sheet, in order (see :attr:`LoadResult.hidden_columns`)."""
    from openpyxl.utils import get_column_letter

    fields_of = {i: name for name, idx in used.items() for i in idx}
    return {f"{get_column_letter(j)} {table.header_given[j - 1]!r}": fields_of.get(j - 1)
            for j in sorted(table.hidden_columns) if j <= len(table.header_given)}


def check_pledge_file(path: str | Path, mapping: str | Path | None = None,
                      limits: Limits | None = None) -> None:
    """Raise :class:`PledgeFileError` (one line) when ``path`` cannot be loaded as a whole:
    missing, over a resource limit, not a CSV/XLSX table, no header row, no pledge columns,
    or a bad ``mapping``. Rows are not parsed (bad rows are quarantined by
    :func:`load_pledges`, they never make a file unreadable). For checking a ``pledges``
    parameter before a report starts."""
    _open(Path(path), mapping, limits or Limits.from_env())


def n_pledgers(pledges: pd.DataFrame) -> int:
    """How many distinct pledgers ``pledges`` names: pledger names compared as
    :func:`p2c_analysis.parsing.text_key` compares them (case, punctuation, ``&``/``and``,
    organisation/organization and spacing aside: "Org A" and "org  a." are one pledger, as a
    reader takes them). Missing names are not counted."""
    if "pledger" not in pledges:
        return 0
    names = pledges["pledger"].dropna().astype(str)
    return len({key for key in map(parsing.text_key, names) if key})


def announced_after(pledges: pd.DataFrame, as_of: object) -> pd.Series:
    """Bool per pledge (index of ``pledges``): announced after ``as_of`` (a date, or what
    ``countries.as_of_date`` reads), so out of the scope of a table as of that day. The rule for
    a pledge *file* (a report's ``pledges``, a side of ``pledge_changes``, a snapshot of a file).

    ``announced_date`` is the first day of the stated period (``announced_precision``: a day,
    ``2024-07`` = 1 July 2024, a year ``2025`` = 1 January 2025), and a pledge is after
    ``as_of`` only when that first day is: only pledges certainly announced later are left
    out. A year ``2024`` may include 30 June 2024 and stays in a table as of that day; a month
    ``2024-07`` does not. A pledge with no announcement date (missing, NaT) stays in: nothing
    shows it is later (as :func:`p2c_analysis.record.known_rows` keeps rows with no readable
    date). A table without the column: nothing is after. Columns may be Arrow-backed.

    The bundled public record asks another question: whether a pledge was certainly public by
    the date, so it admits a pledge only from the *last* day of its period
    (:func:`p2c_analysis.record.known_from`). A pledge file is the user's own record of what
    was pledged, trusted up to the date."""
    if "announced_date" not in pledges:
        return pd.Series(False, index=pledges.index)
    start = pd.to_datetime(pledges["announced_date"])
    day = pd.Timestamp(countries.as_of_date(as_of))
    return (start > day).fillna(False).astype(bool)


def _open(src: Path, mapping: str | Path | Mapping | None, lim: Limits
          ) -> tuple[Mapping | None, _Table, dict[str, list[int]], list[str]]:
    """Read the mapping and the table, match the columns: ``(mapping, table, used columns,
    unused columns)``. Raises :class:`PledgeFileError` when the file has no pledge
    columns.

    An XLSX with no sheet named in the mapping is read from the sheet :func:`_choose_sheet`
    picks, its header under any title rows, in one opening of the workbook."""
    m = mapping if isinstance(mapping, Mapping) or mapping is None \
        else read_mapping(mapping, lim)
    consts = set(m.constants) if m else set()

    def choose(firsts: dict[str, FirstRows]) -> _SheetChoice:
        return _choose_sheet(firsts, m, src)

    table = _read_table(src, m.sheet if m else None, lim,
                        choose=None if m and m.sheet else choose)
    # the first non-blank row may be a title above the header (an XLSX whose sheet was chosen
    # has its header found already): read again from the header when it is below
    try:
        found = _sheet_header(_first_rows_of(table), m, src, consts)
    except PledgeFileError:  # a mapped column missing: split on the wrong delimiter?
        if table.file_format != "csv":
            raise
        table, found = _csv_header_by_delimiter(src, lim, table, m, consts)
        if found is None:
            raise
    if found is None and table.file_format == "csv":
        table, found = _csv_header_by_delimiter(src, lim, table, m, consts)
    if at := (found or (0, 0))[0]:
        table = _read_table(src, table.sheet, lim, header_at=at, delimiter=table.delimiter)
    used, unused = _match_columns(table.header, m, src, table.header_given)
    if _pledge_columns(used, consts):
        return m, table, used, unused
    where = f"sheet {table.sheet!r}: " if table.file_format == "xlsx" else ""
    raise PledgeFileError(
        src, f"{where}no pledge columns: need at least a title ('title', 'pledge_title') or a "
             f"pledger column; columns found: {_listing(table.header)}")


#: How many of a table's first non-blank rows may be titles above its header.
PREAMBLE_ROWS = 10


def _first_rows_of(table: _Table) -> FirstRows:
    """The header row and the rows after it, up to :data:`PREAMBLE_ROWS` in all, as text:
    where :func:`_sheet_header` looks for a header under title rows."""
    return [(table.header_row, table.header_given)] + [
        (rownum, [_cell_text(c).strip() for c in cells])
        for rownum, cells in table.rows[:PREAMBLE_ROWS - 1]]


def _csv_header_by_delimiter(src: Path, lim: Limits, table: _Table, m: Mapping | None,
                             consts: set[str]) -> tuple[_Table, tuple[int, int] | None]:
    """``(table, (header_at, fields named))`` of a CSV whose delimiter, sniffed from its first
    line, splits no header out of its first rows: a title line above the header holds none
    of the header's delimiter (``Partner2Connect pledges`` over ``title;pledger;...``) or
    another one (``Pledges, December export``). Read again with each other delimiter, the
    one whose header names the most fields wins (the first in :data:`DELIMITERS` on a tie);
    ``(table, None)`` when none gives a header."""
    best: tuple[_Table, tuple[int, int]] | None = None
    for d in DELIMITERS:
        if d == table.delimiter:
            continue
        other = _read_table(src, None, lim, delimiter=d)
        if other.delimiter != d:  # an Excel "sep=" line names the delimiter: no other one
            return table, None
        try:
            found = _sheet_header(_first_rows_of(other), m, src, consts)
        except PledgeFileError:
            continue
        if found is not None and (best is None or found[1] > best[1][1]):
            best = (other, found)
    return best if best is not None else (table, None)


def _fields_named(cells: list[str], m: Mapping | None, src: Path) -> dict[str, list[int]] | None:
    """The fields a row's cells name as a header (:func:`_match_columns`); ``None`` when they
    cannot be one (a mapped column missing, two columns giving a field)."""
    try:
        return _match_columns(_unique_header(list(cells)), m, src, cells)[0]
    except PledgeFileError:
        return None


def _header_among(rows: FirstRows, m: Mapping | None, src: Path, consts: set[str]
                  ) -> tuple[int, int] | None:
    """``(row number, fields named)`` of the first of ``rows`` that is a header under title
    rows: its cells name two fields or more, one of them a title or a pledger. ``None``
    when none is."""
    for rownum, cells in rows:
        used = _fields_named(cells, m, src)
        if used is not None and len(used) >= 2 and _pledge_columns(used, consts):
            return rownum, len(used)
    return None


def _pledge_columns(used: dict[str, list[int]], consts: set[str]) -> bool:
    """Whether the columns matched (``used``) or a mapping's constants give a title or a
    pledger: what makes a table one of pledges."""
    return bool({"title", "pledger"} & (set(used) | consts))


def _sheet_header(rows: FirstRows, m: Mapping | None, src: Path, consts: set[str]
                  ) -> tuple[int, int] | None:
    """``(header_at, fields named)`` of one sheet from its first non-blank rows: its first
    row when that names pledge columns (``header_at`` 0), else the header under title rows
    (:func:`_header_among`); ``None`` when the sheet has no pledge columns. A first row that
    cannot be a header (two columns giving a field, a mapped column missing) with no header
    below it raises that :class:`PledgeFileError`."""
    if not rows:
        return None
    try:
        used, _ = _match_columns(_unique_header(list(rows[0][1])), m, src, rows[0][1])
    except PledgeFileError:
        if (below := _header_among(rows[1:], m, src, consts)) is None:
            raise
        return below
    if _pledge_columns(used, consts):
        return _sub_header(rows[1:], m, src, consts, len(used)) or (0, len(used))
    return _header_among(rows[1:], m, src, consts)


def _sub_header(rows: FirstRows, m: Mapping | None, src: Path, consts: set[str], named: int
                ) -> tuple[int, int] | None:
    """``(row number, fields named)`` of the first of ``rows`` that is a header naming more
    fields than ``named``, those the first row names: the first row is then a heading over
    groups of columns ("Pledge" over "Title" and "Pledger", "Value" over "Amount" and
    "Currency"), whose few names made it the header and every row below one with extra
    cells. Only the row right below is looked at: a heading stands over its header, and a row
    further down that names more fields is not one (a second export pasted under a short first
    one: taking it for the header left the first export's pledges unread without a word).
    ``None`` when that row names no more (the first row is the header)."""
    for rownum, cells in rows[:1]:
        used = _fields_named(cells, m, src)
        if used is not None and len(used) > named and _pledge_columns(used, consts):
            return rownum, len(used)
    return None


def _choose_sheet(firsts: dict[str, FirstRows], m: Mapping | None, src: Path) -> _SheetChoice:
    """The sheet of a workbook to read when none is named, where its header is, and the other
    visible sheets with pledge columns (not read). ``firsts``: ``{sheet name: its first
    non-blank rows}`` of the visible sheets, in order.

    A sheet's header is its first non-blank row, or, when that names no pledge columns, a
    row below title rows (:func:`_sheet_header`; a sheet without a mapping's columns has
    none; the first sheet naming a field twice is refused). Of the sheets with pledge
    columns, the one whose header names the most fields is read: a "Read me" note has none,
    a summary of the pledges (``Title``, ``Pledger``, ``Value``) fewer than the sheet
    listing them. Raises :class:`PledgeFileError` (one line naming the sheets, or the
    mapped column no sheet has) when no sheet has pledge columns, or when several name the
    most fields (two years' pledges, a copy): reading one of them would leave the other
    out."""
    consts = set(m.constants) if m else set()
    names = list(firsts)
    found: dict[str, tuple[int, int]] = {}
    missing: PledgeFileError | None = None  # the first sheet missing a mapped column
    for name in names:
        try:
            got = _sheet_header(firsts[name], m, src, consts)
        except _MappedColumnMissing as err:
            missing = missing or err  # not this sheet; said when no sheet has the columns
            continue
        except PledgeFileError:
            if name == names[0]:
                raise  # the first sheet names a field twice: say so, read no other sheet
            continue
        if got is not None:
            found[name] = got
    if not found and missing is not None:
        raise missing
    if not found:
        first = names[0]
        also = (f"; no other sheet has them either (sheets: {_listing(names)}; name one with "
                "sheet = in a mapping file)" if len(names) > 1 else "")
        if not firsts[first]:
            raise PledgeFileError(src, f"sheet {first!r} is empty (no header row){also}")
        raise PledgeFileError(
            src, f"sheet {first!r}: no pledge columns: need at least a title ('title', "
                 f"'pledge_title') or a pledger column; columns found: "
                 f"{_listing(_unique_header(list(firsts[first][0][1])))}{also}")
    most = max(k for _, k in found.values())
    best = [n for n, (_, k) in found.items() if k == most]
    if len(best) > 1:
        each = "both" if len(best) == 2 else "all"
        raise PledgeFileError(
            src, f"sheets {_listing(best)} {each} have pledge columns ({most} fields each): "
                 "name the one to read with sheet = in a mapping file (--mapping)")
    return _SheetChoice(best[0], found[best[0]][0], tuple(n for n in found if n != best[0]))


def _describe_delimiter(d: str | None) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(d or "", repr(d))


def _say(text: str, err: bool = False) -> None:
    print(terminal_safe(text), file=sys.stderr if err else sys.stdout)


def check_pledges_cli(
    file: str | Path,
    mapping: str | Path | None = None,
    out: str | Path | None = None,
    quarantine: str | Path | None = None,
) -> int:
    """``p2c check-pledges``: load ``file``, print counts (read, valid, quarantined, by
    reason), write the valid pledges (``out``, canonical columns, lists ``"; "``-joined) and
    the quarantine (``quarantine``) when asked, as safe XLSX when the name ends in ``.xlsx``,
    tab-separated for ``.tsv`` / ``.tab``, else as safe CSV
    (:func:`~p2c_analysis.export.write_table`; another spreadsheet name,
    ``.xls``, ``.xlsm``, ``.ods``..., is refused before the file is read).

    Returns 0 when the file could be read (even with quarantined rows); otherwise prints one
    line ``p2c check-pledges: error: <file>: <what>`` to stderr and returns 2 (never a
    traceback). Text from the file (column names, sheet names) is printed through
    :func:`terminal_safe`.

    An XLSX output with a cell longer than an XLSX cell holds is not written (never cut):
    one line naming it, its row and column (:class:`~p2c_analysis.export.CellTooLongError`),
    return 2; the other output is still written when it can be. A closed stdout
    (``| head -1``) stops the printing quietly, never the writing (:func:`_printing`).

    ``-`` as ``out`` or ``quarantine`` (not both) writes that table as CSV to standard output
    (:data:`STDOUT_NAME`); the summary lines then go to stderr, never mixed into the data.

    ``-`` as ``file`` (:data:`STDIN_NAME`) reads standard input (:func:`_stdin_copy`: whole,
    within the pledge-file size limit), named ``<stdin>`` in every line; a pipe or device
    named by its path (``/dev/stdin``) is still refused, as it could block for ever.
    """
    if str(file) != STDIN_NAME:
        return _check_pledges(file, None, mapping, out, quarantine)
    try:
        with _stdin_copy() as copy:
            return _check_pledges(copy, STDIN_SHOWN, mapping, out, quarantine)
    except (InputFileError, LimitError) as err:
        _say(f"{CHECK_ERROR}: {err}", err=True)
        return 2


#: The start of every error line of ``p2c check-pledges``.
CHECK_ERROR = "p2c check-pledges: error"
#: The input name that means standard input (``cat f.csv | p2c check-pledges -``), and the
#: name messages give it.
STDIN_NAME, STDIN_SHOWN = "-", "<stdin>"


@contextlib.contextmanager
def _stdin_copy() -> Iterator[Path]:
    """Standard input read whole into memory, at most the pledge-file size limit
    (``P2C_MAX_FILE_MB``; :class:`PledgeFileError` naming ``<stdin>`` when there is more or
    it is a terminal), then put in a temporary file, removed afterwards, that is read as any
    pledge file is (CSV, or XLSX when it is a zip: named ``.xlsx``, which openpyxl asks
    for)."""
    import tempfile

    if sys.stdin is None or sys.stdin.isatty():
        raise PledgeFileError(STDIN_SHOWN, "is a terminal: pipe a pledge file into it "
                                           "(p2c check-pledges - < pledges.csv)")
    try:
        data = read_stream_limited(sys.stdin.buffer, STDIN_SHOWN, "file_mb", Limits.from_env())
    except OSError as err:
        raise PledgeFileError(STDIN_SHOWN, f"cannot read ({err.strerror or err})") from None
    with tempfile.TemporaryDirectory(prefix="p2c-stdin-") as folder:
        copy = Path(folder) / ("stdin.xlsx" if data.startswith(ZIP_MAGIC) else "stdin")
        copy.write_bytes(data)
        yield copy


def _named(err: Exception, file: str | Path, shown: str | None) -> str:
    """``err``'s one line, the input ``file`` named ``shown`` in it (``<stdin>`` for the
    temporary copy of standard input; ``None``: by its own name)."""
    if shown is not None and isinstance(err, InputFileError) and err.path == str(file):
        return f"{shown}: {err.what}"
    if isinstance(err, OSError):
        name = err.filename or file
        return f"{shown or name if str(name) == str(file) else name}: {err.strerror or err}"
    return str(err)


def _check_pledges(file: str | Path, shown: str | None, mapping: str | Path | None,
                   out: str | Path | None, quarantine: str | Path | None) -> int:
    """:func:`check_pledges_cli` on ``file``, named ``shown`` in what it prints (``None``:
    by its own name)."""
    prog = CHECK_ERROR
    refused: list[str] = []
    data_out = sys.stdout  # where a table named "-" goes; the summary then goes to stderr
    try:
        targets = _output_targets(file, out, quarantine, mapping)
        with _summary_to_stderr(STDOUT_NAME in (str(out), str(quarantine))):
            result = load_pledges(file, mapping=mapping)
            synthetic = rows_marked_synthetic(result)
            _printing(_print_summary, result, shown or str(result.source), synthetic)
            # the mark travels with the file, each row's own, as in set_aside_rows.csv
            aside = marked_set_aside(result.quarantine) if synthetic else result.quarantine
            for label, given, table, sheet, what in (
                    ("--out", out, result.valid, "pledges", "valid pledge"),  # "; "-joined
                    ("--quarantine", quarantine, aside, "quarantine", "quarantined row")):
                if given is None:
                    continue
                what = what if len(table) == 1 else f"{what}s"  # "1 valid pledge", "2 ... rows"
                if targets[label] is None:  # "-": CSV on standard output
                    _write_to_stdout(table, data_out)
                    _say(f"  wrote {len(table)} {what} to standard output")
                    continue
                try:
                    write_table(table, targets[label], sheet=sheet)
                except CellTooLongError as err:  # this XLSX is not written; the other can be
                    refused.append(f"{prog}: {err}")
                    continue
                _printing(_say, f"  wrote {len(table)} {what} to {given}")
    except (InputFileError, OutputPathError, LimitError, OSError) as err:
        _say(f"{prog}: {_named(err, file, shown)}", err=True)
        return 2
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
        _say(f"{prog}: {shown or file}: unexpected {type(err).__name__}: {_first_line(err)}",
             err=True)
        return 2
    for line in refused:
        _say(line, err=True)
    return 2 if refused else 0


def _quiet_on_broken_pipe(stream: TextIO, write: Callable[[], None]) -> None:
    """``write()``, which writes to ``stream`` (standard output), then a flush. When nobody
    reads it any more (``p2c check-pledges f --out c.csv | head -1``), writing stops quietly
    and the command goes on writing its files: as in Python's recipe (``signal`` docs, "Note
    on SIGPIPE"), the stream's descriptor is pointed at devnull so no later write or flush
    fails again."""
    try:
        write()
        stream.flush()
    except BrokenPipeError:
        import os

        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)


def _printing(say: Callable[..., None], *args: object) -> None:
    """``say(*args)``, which prints to stdout, flushed at once; quiet once the reader has
    gone (:func:`_quiet_on_broken_pipe`)."""
    _quiet_on_broken_pipe(sys.stdout, lambda: say(*args))


#: The output name that means standard output (the Unix convention): ``--out -``.
STDOUT_NAME = "-"


def _summary_to_stderr(yes: bool) -> contextlib.AbstractContextManager[object]:
    """While a table is written to standard output (``--out -``), the summary lines go to
    stderr so that they never mix into the data; otherwise nothing changes."""
    return contextlib.redirect_stdout(sys.stderr) if yes else contextlib.nullcontext()


def _write_to_stdout(table: pd.DataFrame, stream: TextIO) -> None:
    """Write ``table`` as safe CSV (:func:`~p2c_analysis.export.write_csv_stream`) to
    ``stream``, the real standard output. A reader that stops early (``| head -3``) ends the
    writing quietly (:func:`_quiet_on_broken_pipe`), never with a traceback."""
    _quiet_on_broken_pipe(stream, lambda: write_csv_stream(table, stream))



def _output_targets(file: str | Path, out: str | Path | None,
                    quarantine: str | Path | None,
                    mapping: str | Path | None = None) -> dict[str, Path | None]:
    """The checked ``--out`` / ``--quarantine`` paths, ``None`` for ``-`` (standard output,
    :data:`STDOUT_NAME`); :class:`OutputPathError` when one would overwrite the input or the
    ``mapping`` (the same file under any name: a hard or symbolic link too,
    :func:`paths.same_file`), both are the same file (or both ``-``), or one names a spreadsheet
    format other than XLSX (:func:`~p2c_analysis.export.check_table_name`)."""
    targets: dict[str, Path | None] = {}
    if str(out) == STDOUT_NAME and str(quarantine) == STDOUT_NAME:
        raise OutputPathError("--out and --quarantine cannot both be '-' (standard output): "
                              "name a file for one of them")
    read = [(what, name) for what, name in (("the input file", file),
                                            ("the --mapping file", mapping))
            if name is not None and str(name) != STDIN_NAME]
    for label, p in (("--out", out), ("--quarantine", quarantine)):
        if p is not None and str(p) == STDOUT_NAME:
            targets[label] = None
        elif p is not None:
            target = check_output_path(p)
            check_table_name(p, label)
            for what, source in read:
                if paths.same_file(target, source):
                    raise OutputPathError(f"{p}: {label} would overwrite {what}")
            targets[label] = target
    both = [targets.get("--out"), targets.get("--quarantine")]
    if None not in both and (both[0].resolve() == both[1].resolve()  # "-" is no file
                             or paths.same_file(both[0], both[1])):
        raise OutputPathError(f"{out}: --out and --quarantine are the same file")
    return targets


def rows_marked_synthetic(loaded: LoadResult) -> bool:
    """Whether any row of a loaded pledge file (:class:`LoadResult`, or an object with its
    ``valid`` and ``quarantine``) is marked synthetic: a valid pledge with ``is_synthetic``
    true, or a row set aside whose raw cells say so (:func:`set_aside_marks`), so that a report
    on a synthetic file, and ``check-pledges``, say so even when no pledge of it is valid."""
    return any_marked_synthetic(loaded.valid) or \
        any(mark is True for mark in set_aside_marks(loaded.quarantine))


def any_marked_synthetic(table: pd.DataFrame | None) -> bool:
    """Whether a row of a pledge table has ``is_synthetic`` true (missing = not marked);
    ``False`` for ``None`` or a table without the column."""
    return table is not None and SYNTHETIC_COLUMN in table and \
        bool(table[SYNTHETIC_COLUMN].astype("boolean").fillna(False).any())


def set_aside_marks(quarantine: pd.DataFrame) -> list[bool | None]:
    """Each set-aside row's own mark, from its raw cells (``raw``, JSON, keyed by the file's
    headers): True / False as its ``is_synthetic`` cell says (a header the loader reads as that
    field: ``is_synthetic``, ``Is Synthetic``, ``Synthetic``...); False when the row has no such
    cell (its file has no such column); ``None`` when its cells or that cell cannot be read (a
    row set aside for an unreadable mark is not taken for a real one)."""
    aliases = fields.column_aliases()
    marks: list[bool | None] = []
    for raw in quarantine.get("raw", ()):
        try:
            cells = json.loads(raw)
        except (TypeError, ValueError):
            cells = None
        if not isinstance(cells, dict):
            marks.append(None)
            continue
        said = [v for k, v in cells.items()
                if aliases.get(fields.normalise_column(str(k))) == SYNTHETIC_COLUMN]
        try:
            mark = parsing.parse_bool(said[0]) if said else False
        except ValueError:
            mark = None
        marks.append(mark if mark is not None or not said else None)
    return marks


def marked_set_aside(quarantine: pd.DataFrame) -> pd.DataFrame:
    """The set-aside rows of a file with synthetic rows, each with its own ``is_synthetic``
    (:func:`set_aside_marks`): a row whose cells say false, or whose file has no such column
    (the real side of a comparison), is not synthetic; one whose mark cannot be read is. A
    table without ``raw`` cells is marked on every row."""
    if SYNTHETIC_COLUMN in quarantine.columns:
        return quarantine
    if "raw" not in quarantine.columns:
        flags = [True] * len(quarantine)
    else:
        flags = [mark is not False for mark in set_aside_marks(quarantine)]
    return quarantine.assign(**{SYNTHETIC_COLUMN: pd.Series(flags, index=quarantine.index,
                                                            dtype="bool")})


def _print_summary(result: LoadResult, shown: str, synthetic: bool = False) -> None:
    """The summary of a checked file (named ``shown``): format, counts, reasons, columns;
    ``synthetic``: rows of it are marked synthetic (:func:`rows_marked_synthetic`)."""
    fmt = result.file_format.upper()
    how = (f"{fmt}, {result.encoding}, delimiter {_describe_delimiter(result.delimiter)}"
           if result.file_format == "csv" else f"{fmt}, sheet {result.sheet!r}")
    _say(shown)
    _say(f"  rows read:    {result.n_read} ({how})")
    if result.preamble:
        above = (f"row {result.preamble[0]}" if len(result.preamble) == 1 else
                 f"rows {result.preamble[0]}-{result.preamble[-1]}")
        _say(f"  header on row {result.header_row} ({above} above it not read)")
    if result.other_sheets:
        _say(f"  other sheets with pledge columns, not read: {_listing(result.other_sheets)}")
    if enc := result.encoding_summary():
        _say(f"  encoding:     {enc}")
    _say(f"  valid:        {len(result.valid)}")
    _say(f"  quarantined:  {len(result.quarantine)}")
    if synthetic:  # as a report says it
        _say("  SYNTHETIC DATA: rows of this file are marked synthetic (is_synthetic), not "
             "real pledges")
    counts = result.reason_counts()
    if len(counts):
        _say("  quarantined rows by reason:")
        for reason, n in counts.items():
            _say(f"    {n:>5}  {reason}")
    if result.unused_columns:
        _say(f"  columns not used: {_listing(result.unused_columns)}")
    if hidden := result.hidden_summary():
        _say(f"  hidden columns: {hidden}")
