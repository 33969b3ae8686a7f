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
  row). Completely empty rows are skipped (not counted as read) but keep their number.
- **Column mapping**: without a mapping file, source headers are matched (case-insensitive,
  spaces/dashes = underscores) against the canonical field names and their aliases in
  :mod:`p2c_analysis.fields` (the bundled ``public_pledges.csv`` layout is covered by those
  aliases). A TOML mapping file names the source column of each field; see
  ``data/mappings/p2c_platform_export.toml``.
- **pledge_id**: taken from the source when it has an id column (a blank id there is a
  quarantine reason). Otherwise derived: ``<prefix><first 8 hex of SHA-1 of normalised
  title|pledger>`` (default prefix ``P2C-``), stable across runs and row order; a second row
  with the same title and pledger gets ``-2``, ``-3``... in file order.
- **Values**: ``value_as_stated`` is parsed; an explicit USD figure in the text wins, a USD
  amount is taken as is, another currency is converted with the WDI annual-average rate of the
  announcement year (:mod:`p2c_analysis.fx`; nearest earlier year if missing, noted). A
  source column ``estimated_value_usd`` (in the bundled file: the curator's own USD figure,
  e.g. EUR at 1.10) is used only when no value text is given; when both exist and differ by
  more than 0.5 %, the curator's figure is kept visible in ``notes``. A number with no
  currency is read as USD (noted). A stated value of 0 is read as "not stated" (NaN).
- **Several stakeholder / pledge types** in one cell: the first listed is kept, the others
  are written into ``notes`` ("also listed as stakeholder type: Government").
- **Regions**: "Global", "Worldwide", "World", "All countries" set ``is_global`` instead of a
  region. A region cell naming a country adds the country (noted), and vice versa.
- **Duplicates**: an exact duplicate (all cells equal after trimming) of an earlier row is
  quarantined ("exact duplicate: of row N"); a later row repeating an earlier row's
  ``pledge_id`` is quarantined ("duplicate pledge_id"); the first occurrence stays valid.
- Loader remarks are appended to the source notes after ``[loader]``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from p2c_analysis import countries, fields, fx, parsing, paths, values
from p2c_analysis.export import OutputPathError, check_output_path, write_csv
from p2c_analysis.parsing import ParseError

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DEFAULT_ID_PREFIX = "P2C-"
VALUE_TOLERANCE = 0.005  # relative difference above which the curator's USD figure is noted
QUARANTINE_COLUMNS = ("source_row", "reasons", "raw")
_NOT_A_COUNTRY = frozenset({"international", "multinational", "various", "multiple", "global",
                            "worldwide", "n a"})


class PledgeFileError(ValueError):
    """A pledge (or mapping) file cannot be read at all. ``str(err)`` is one line:
    ``<file>: <what is wrong>``."""

    def __init__(self, path: str | Path, what: str) -> None:
        self.path = str(path)
        self.what = what
        super().__init__(f"{path}: {what}")


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
        first; a row with two kinds counts once under each. Empty Series when none."""
        counter: Counter[str] = Counter()
        for reasons in self.quarantine["reasons"].tolist():
            kinds = {r.split(":", 1)[0].strip() for r in str(reasons).split("; ") if r.strip()}
            counter.update(kinds)
        s = pd.Series(dict(counter.most_common()), dtype="int64", name="rows")
        s.index.name = "reason"
        return s


# --- reading the table -----------------------------------------------------------------------

@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells)
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def _unique_header(cells: list[object]) -> list[str]:
    out: list[str] = []
    seen: Counter[str] = Counter()
    for j, c in enumerate(cells, start=1):
        name = str(c).strip() if c is not None and str(c).strip() else f"column_{j}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-8-sig":
            return text, "utf-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, enc
    raise PledgeFileError(path, "cannot decode text")  # pragma: no cover - latin-1 never fails


def _sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; TAB |`` that occurs most often in the header line
    (outside quotes); ``,`` on a tie or when none occurs."""
    first = text.split("\n", 1)[0]
    counts = {}
    for d in DELIMITERS:
        try:
            row = next(csv.reader([first], delimiter=d))
            counts[d] = len(row) - 1
        except (csv.Error, StopIteration):
            counts[d] = 0
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def _read_csv(path: Path, data: bytes, encoding: str | None = None) -> _Table:
    text, detected = _decode(path, data)
    encoding = encoding or detected
    if not text.strip():
        raise PledgeFileError(path, "empty file (no header row)")
    text = text.lstrip("\ufeff")
    # Excel's "sep=;" first line names the delimiter; spreadsheets hide it, so it is not row 1
    sep = re.match(r"sep=(.)\r?\n", text)
    if sep:
        text = text[sep.end():]
    delimiter = sep.group(1) if sep else _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise PledgeFileError(path, f"not a readable CSV table ({err})") from None
    # first non-empty record is the header
    start = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if start is None:  # pragma: no cover - text.strip() was non-empty
        raise PledgeFileError(path, "empty file (no header row)")
    header = _unique_header(records[start])
    rows = [(i + 1, list(r)) for i, r in enumerate(records) if i > start]
    return _Table(header, rows, "csv", encoding=encoding, delimiter=delimiter)


def _read_xlsx(path: Path, sheet: str | None) -> _Table:
    from openpyxl import load_workbook

    try:
        # not read_only: read-only sheets trust the file's stored dimensions, which some
        # writers get wrong, and skip empty rows, which would shift row numbers
        wb = load_workbook(path, data_only=True)
    except Exception as err:  # noqa: BLE001 - any openpyxl failure means "unreadable"
        raise PledgeFileError(path, f"not a readable XLSX workbook ({type(err).__name__})") \
            from None
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise PledgeFileError(path, f"no sheet named {sheet!r} (sheets: "
                                            f"{', '.join(wb.sheetnames)})")
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        values = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
        name = ws.title
    finally:
        wb.close()
    start = next((i for i, r in enumerate(values)
                  if any(c is not None and str(c).strip() for c in r)), None)
    if start is None:
        raise PledgeFileError(path, f"sheet {name!r} is empty (no header row)")
    header_cells = values[start]
    while header_cells and (header_cells[-1] is None or not str(header_cells[-1]).strip()):
        header_cells = header_cells[:-1]
    header = _unique_header(header_cells)
    rows = [(i + 1, r) for i, r in enumerate(values) if i > start]
    return _Table(header, rows, "xlsx", sheet=name)


def _read_table(path: Path, sheet: str | None) -> _Table:
    if not path.exists():
        raise PledgeFileError(path, "no such file")
    if path.is_dir():
        raise PledgeFileError(path, "is a directory, not a pledge file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PledgeFileError(path, f"cannot read ({err.strerror})") from None
    if not data.strip():
        raise PledgeFileError(path, "empty file (no header row)")
    suffix = path.suffix.lower()
    if data[:4] == b"PK\x03\x04":
        if suffix in (".xlsx", ".xlsm") or suffix not in (".csv", ".txt", ".tsv"):
            return _read_xlsx(path, sheet)
        raise PledgeFileError(path, "binary (zip) file, not a CSV table")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise PledgeFileError(path, "old Excel .xls format is not supported: save as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm"):
        raise PledgeFileError(path, "not a readable XLSX workbook (not a zip file)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel "Unicode text": UTF-16 with BOM
        try:
            return _read_csv(path, data.decode("utf-16").encode("utf-8"), "utf-16")
        except UnicodeDecodeError:
            raise PledgeFileError(path, "not valid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise PledgeFileError(path, "binary file, not a CSV table")
    return _read_csv(path, data)


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


def read_mapping(path: str | Path) -> Mapping:
    """Read a TOML mapping file. Layout::

        sheet = "Pledges"              # optional, XLSX only (default: first sheet)
        id_prefix = "P2C-"             # optional, for derived pledge ids
        [columns]                      # canonical field = "source column" (or a list)
        title = "Pledge Title"
        [constants]                    # canonical field = fixed value for every row
        is_synthetic = false

    Raises :class:`PledgeFileError` (naming the mapping file) for a missing file, invalid
    TOML or an unknown field name."""
    p = Path(path)
    if not p.is_file():
        raise PledgeFileError(p, "mapping file not found")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PledgeFileError(p, f"not a valid TOML mapping ({err})") from None
    src = data.get("source", {}) if isinstance(data.get("source"), dict) else {}
    m = Mapping(source=p)
    m.sheet = data.get("sheet", src.get("sheet"))
    m.id_prefix = str(data.get("id_prefix", src.get("id_prefix", DEFAULT_ID_PREFIX)))
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
    consts = dict(data.get("constants", {}))
    for key, value in data.items():
        if key in fields.FIELDS_BY_NAME and not isinstance(value, dict):
            consts.setdefault(key, value)
    for name in consts:
        if name not in fields.FIELDS_BY_NAME:
            raise PledgeFileError(p, f"unknown field {name!r} in [constants]")
    m.constants = consts
    paths.track(p)
    return m


def _match_columns(header: list[str], mapping: Mapping | None,
                   path: Path) -> tuple[dict[str, list[int]], list[str]]:
    """field -> source column indices, and the unused source columns."""
    used: dict[str, list[int]] = {}
    if mapping is not None and mapping.columns:
        norm = fields.normalise_column
        lookup = {norm(h): i for i, h in reversed(list(enumerate(header)))}
        for name, cols in mapping.columns.items():
            idx = []
            for c in cols:
                if norm(c) not in lookup:
                    raise PledgeFileError(
                        path, f"mapping names column {c!r} for {name}, not in the file "
                              f"(columns: {', '.join(header)})")
                idx.append(lookup[norm(c)])
            used[name] = idx
    else:
        aliases = fields.column_aliases()
        for i, h in enumerate(header):
            name = aliases.get(fields.normalise_column(h))
            if name is not None and name not in used:
                used[name] = [i]
    taken = {i for idx in used.values() for i in idx}
    unused = [h for i, h in enumerate(header) if i not in taken]
    return used, unused


# --- one row -----------------------------------------------------------------------------------

def _cell_text(value: object) -> str:
    """Source cell as text for the raw record / duplicate detection."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _norm(text: object) -> str:
    return " ".join(str(text).lower().split()) if not parsing.is_missing(text) else ""


@dataclass
class _Row:
    record: dict[str, object]
    reasons: list[str]
    notes: list[str]


class _RowParser:
    """Turns one mapped source row into a canonical record plus reasons and notes."""

    def __init__(self) -> None:
        self._country_cache: dict[str, str | None] = {}
        self._region_cache: dict[str, str | None] = {}
        self._basis = values.BasisReader()  # value basis: p2c_analysis.values

    def country(self, text: str) -> str | None:
        if text not in self._country_cache:
            self._country_cache[text] = countries.try_resolve(text)
        return self._country_cache[text]

    def region(self, text: str) -> str | None:
        if text not in self._region_cache:
            self._region_cache[text] = countries.resolve_region(text)
        return self._region_cache[text]

    @staticmethod
    def _try(row: _Row, fieldname: str, func: Callable[[object], object], value: object):
        try:
            return func(value)
        except ParseError as err:
            detail = f" ({err.detail})" if err.detail else ""
            text = err.text if err.text is not None else value
            row.reasons.append(f"{err.kind}: {str(text)!r} in {fieldname}{detail}")
            return None

    def parse(self, cells: dict[str, object]) -> _Row:
        row = _Row(record={}, reasons=[], notes=[])
        rec = row.record
        get = cells.get

        for name in ("title", "pledger", "description", "source_url", "value_as_stated"):
            rec[name] = parsing.clean_text(get(name))
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
        ent = parsing.split_cell(get("entity_country"))
        ent_codes, ent_bad = parsing.split_resolving(ent, self.country)
        for bad in ent_bad:
            if parsing.text_key(bad) in _NOT_A_COUNTRY:
                continue
            row.reasons.append(f"unknown country: {bad!r} in entity_country")
        rec["entity_country"] = ent_codes[0] if ent_codes else None
        if len(ent_codes) > 1:
            row.notes.append(f"also listed as entity country: {', '.join(ent_codes[1:])}")

        tc: list[str] = []
        tr: list[str] = []
        for piece in parsing.split_cell(get("target_countries")):
            if parsing.is_global_text(piece):
                is_global = True
                continue
            codes, bad = parsing.split_resolving(piece, self.country)
            tc += codes
            for b in bad:
                reg = self.region(b)
                if reg is not None and reg != "World":
                    tr.append(reg)
                    row.notes.append(f"target country cell names a region: {b!r} -> {reg}")
                else:
                    row.reasons.append(f"unknown country: {b!r} in target_countries")
        for piece in parsing.split_cell(get("target_regions")):
            if parsing.is_global_text(piece) or self.region(piece) == "World":
                is_global = True
                continue
            regs, bad = parsing.split_resolving(piece, self.region)
            tr += [r for r in regs if r != "World"]
            is_global = is_global or "World" in regs
            for b in bad:
                iso = self.country(b)
                if iso is not None:
                    tc.append(iso)
                    row.notes.append(f"target region cell names a country: {b!r} -> {iso}")
                else:
                    row.reasons.append(f"unknown region: {b!r} in target_regions")
        rec["target_countries"] = list(dict.fromkeys(tc))
        rec["target_regions"] = list(dict.fromkeys(tr))
        rec["is_global"] = is_global

        # dates
        date = self._try(row, "announced_date", parsing.parse_date, get("announced_date"))
        rec["announced_date"], rec["announced_precision"] = date if date else (pd.NaT, None)
        last = self._try(row, "last_report_date", parsing.parse_date, get("last_report_date"))
        rec["last_report_date"] = last[0] if last else pd.NaT
        rec["target_year"] = self._try(row, "target_year", parsing.parse_year,
                                       get("target_year"))

        # lists
        rec["beneficiaries"] = parsing.split_cell(get("beneficiaries"))
        rec["sdgs"] = self._try(row, "sdgs", parsing.parse_sdgs, get("sdgs")) or []
        synth = self._try(row, "is_synthetic", parsing.parse_bool, get("is_synthetic"))
        rec["is_synthetic"] = bool(synth)

        self._value(row, cells)
        rec.update(self._basis.read(rec, cells, row.reasons))  # value basis (values)
        src_notes = parsing.clean_text(get("notes"))
        loader = "[loader] " + "; ".join(row.notes) if row.notes else None
        rec["notes"] = " ".join(x for x in (src_notes, loader) if x) or None
        return row

    def _value(self, row: _Row, cells: dict[str, object]) -> None:
        rec = row.record
        stated = self._try(row, "value_as_stated", parsing.parse_money,
                           cells.get("value_as_stated"))
        cur_col = self._try(row, "currency", parsing.parse_currency, cells.get("currency"))
        usd_cell = self._try(row, "estimated_value_usd", parsing.parse_money,
                             cells.get("estimated_value_usd"))
        curator: float | None = None
        if usd_cell is not None:
            if usd_cell.currency not in (None, "USD"):
                row.reasons.append(f"unparseable value: {cells.get('estimated_value_usd')!r} "
                                   f"in estimated_value_usd (not US dollars)")
            else:
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
        rec["estimated_value_usd"] = float(usd) if usd is not None else float("nan")
        rec["currency"] = currency if usd is not None else None


def _derived_id(prefix: str, title: object, pledger: object, raw: str) -> str:
    base = f"{_norm(title)}|{_norm(pledger)}"
    if base == "|":
        base = raw
    return prefix + hashlib.sha1(base.encode("utf-8")).hexdigest()[:8].upper()


# --- public API --------------------------------------------------------------------------------

def load_pledges(
    path: str | Path | None = None,
    mapping: str | Path | Mapping | None = None,
    strict: bool = False,
) -> LoadResult:
    """Load a pledge file into valid canonical pledges and a quarantine.

    ``path``: CSV (delimiter sniffed among ``, ; TAB |``; UTF-8 with/without BOM, else
    cp1252, else latin-1; quoted newlines fine) or XLSX (first sheet, or the mapping's
    ``sheet``); ``None`` = the bundled ``data/pledges/public_pledges.csv``.
    ``mapping``: TOML mapping file (see :func:`read_mapping`) or a :class:`Mapping`;
    ``None`` = match headers against canonical names and aliases.
    ``strict``: raise :class:`PledgeDataError` on the first bad row instead of quarantining.

    Raises :class:`PledgeFileError` when the file cannot be read at all (missing, empty,
    binary, not a table, no pledge columns). See the module docstring for all decisions.
    """
    src = Path(path) if path is not None else paths.PUBLIC_PLEDGES
    m = mapping if isinstance(mapping, Mapping) or mapping is None else read_mapping(mapping)
    table = _read_table(src, m.sheet if m else None)
    paths.track(src)
    used, unused = _match_columns(table.header, m, src)
    consts = m.constants if m else {}
    if not ({"title", "pledger"} & (set(used) | set(consts))):
        raise PledgeFileError(
            src, "no pledge columns: need at least a title ('title', 'pledge_title') or a "
                 f"pledger column; columns found: {', '.join(table.header)}")
    prefix = m.id_prefix if m else DEFAULT_ID_PREFIX
    has_id = "pledge_id" in used or "pledge_id" in consts

    parser = _RowParser()
    records: list[dict] = []
    quarantine: list[dict] = []
    first_seen: dict[tuple, int] = {}
    id_rows: dict[str, int] = {}
    derived_count: Counter[str] = Counter()
    n_read = 0
    width = len(table.header)

    for rownum, cells in table.rows:
        texts = [_cell_text(c).strip() for c in cells]
        if not any(texts):
            continue
        n_read += 1
        raw = {table.header[j] if j < width else f"extra_{j + 1}": _cell_text(c)
               for j, c in enumerate(cells) if j < width or _cell_text(c).strip()}
        raw_json = json.dumps(raw, ensure_ascii=False)
        reasons: list[str] = []
        extra = [t for t in texts[width:] if t]
        if extra:
            reasons.append(f"extra cells: row has {width + len(extra)} cells, header {width}")
        key = tuple(texts[:width]) + tuple([""] * max(0, width - len(texts)))
        exact_dup = key in first_seen
        if exact_dup:
            reasons.append(f"exact duplicate: of row {first_seen[key]}")
        else:
            first_seen[key] = rownum

        mapped: dict[str, object] = dict(consts)
        for name, idx in used.items():
            vals = [cells[i] if i < len(cells) else None for i in idx]
            if len(vals) == 1:
                mapped[name] = vals[0]
            else:
                mapped[name] = "; ".join(str(v) for v in vals if not parsing.is_missing(v))
        row = parser.parse(mapped)
        reasons += row.reasons
        rec = row.record

        if has_id:
            if rec["pledge_id"] is None:
                reasons.append("missing pledge_id: blank in pledge_id")
        else:
            pid = _derived_id(prefix, rec["title"], rec["pledger"], raw_json)
            if not exact_dup:
                derived_count[pid] += 1
            rec["pledge_id"] = pid if derived_count[pid] <= 1 else f"{pid}-{derived_count[pid]}"
        pid = rec["pledge_id"]
        if pid is not None and not exact_dup:
            if pid in id_rows:
                reasons.append(f"duplicate pledge_id: {pid!r} (first at row {id_rows[pid]})")
            else:
                id_rows[pid] = rownum

        if reasons:
            if strict:
                raise PledgeDataError(f"{src}: row {rownum}: {reasons[0]}")
            quarantine.append({"source_row": rownum, "reasons": "; ".join(reasons),
                               "raw": raw_json})
        else:
            records.append(rec)

    valid = fields.coerce_canonical(pd.DataFrame(records)) if records else fields.empty_frame()
    valid = fields.schema().validate(valid)
    q = pd.DataFrame(quarantine, columns=list(QUARANTINE_COLUMNS))
    q = q.astype({"source_row": "int64", "reasons": "string", "raw": "string"})
    columns_used = {name: ", ".join(table.header[i] for i in idx) for name, idx in used.items()}
    return LoadResult(
        valid=valid, quarantine=q, source=src, n_read=n_read, file_format=table.file_format,
        encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet,
        columns_used=columns_used, unused_columns=unused,
    )


def _describe_delimiter(d: str | None) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(d or "", repr(d))


def check_pledges_cli(
    file: str | Path,
    mapping: str | Path | None = None,
    out: str | Path | None = None,
    quarantine: str | Path | None = None,
) -> int:
    """``p2c check-pledges``: load ``file``, print counts (read, valid, quarantined, by
    reason), write the valid pledges (``out``, canonical columns, lists ``"; "``-joined) and
    the quarantine (``quarantine``) as safe CSV when asked.

    Returns 0 when the file could be read (even with quarantined rows); otherwise prints one
    line ``p2c check-pledges: error: <file>: <what>`` to stderr and returns 2.
    """
    prog = "p2c check-pledges: error"
    try:
        targets = {}
        for label, p in (("--out", out), ("--quarantine", quarantine)):
            if p is not None:
                target = check_output_path(p)
                if Path(file).exists() and target.exists() and \
                        target.resolve() == Path(file).resolve():
                    raise OutputPathError(f"{p}: {label} would overwrite the input file")
                targets[label] = target
        if out is not None and quarantine is not None and \
                Path(out).resolve() == Path(quarantine).resolve():
            raise OutputPathError(f"{out}: --out and --quarantine are the same file")
        result = load_pledges(file, mapping=mapping)
    except (PledgeFileError, OutputPathError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
        print(f"{prog}: {file}: unexpected {type(err).__name__}: {err}".splitlines()[0],
              file=sys.stderr)
        return 2

    fmt = result.file_format.upper()
    how = (f"{fmt}, {result.encoding}, delimiter {_describe_delimiter(result.delimiter)}"
           if result.file_format == "csv" else f"{fmt}, sheet {result.sheet!r}")
    print(f"{result.source}")
    print(f"  rows read:    {result.n_read} ({how})")
    print(f"  valid:        {len(result.valid)}")
    print(f"  quarantined:  {len(result.quarantine)}")
    counts = result.reason_counts()
    if len(counts):
        print("  quarantined rows by reason:")
        for reason, n in counts.items():
            print(f"    {n:>5}  {reason}")
    if result.unused_columns:
        print(f"  columns not used: {', '.join(result.unused_columns)}")
    try:
        if out is not None:
            write_csv(result.valid, targets["--out"])  # lists "; "-joined
            print(f"  wrote {len(result.valid)} valid pledges to {out}")
        if quarantine is not None:
            write_csv(result.quarantine, targets["--quarantine"])
            print(f"  wrote {len(result.quarantine)} quarantined rows to {quarantine}")
    except (OSError, OutputPathError) as err:
        print(f"{prog}: {err}".splitlines()[0], file=sys.stderr)
        return 2
    return 0
