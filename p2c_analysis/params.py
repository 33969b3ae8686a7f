"""Validation of report parameters: the one place where a parameter is checked.

The runner calls :func:`validate_declared` before launching anything, and every report notebook
calls :func:`validate` (through ``report.start``) right after its ``parameters`` cell, so a bad
value stops with one clear line naming the parameter and the value, e.g.
``parameter 'year': 1990 is outside the data (2000-2024)``. Everything below (``gaps``,
``progress``, ``connectivity``...) trusts what comes out of here: an analysis ``year`` is an
``int`` within the data, ``as_of`` a ``datetime.date``, methods are members of their vocabulary.

Values may arrive as strings (from the command line or a YAML file): ``"2024"`` is read as the
year 2024, ``"yes"`` as ``True``; a number is read as a YAML file reads it (``-p year 2024.0``
is ``year: 2024.0``, the year 2024). Names this module does not know pass through unchanged, or
are converted to the type the notebook declares (:func:`validate_declared`).
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from p2c_analysis import paths
from p2c_analysis.limits import PLAUSIBLE_YEARS, yaml_scalar
from p2c_analysis.vocabulary import ALLOCATION_METHODS, FIRST_YEAR, IMPUTATION_METHODS, LATEST_YEAR


class ParameterError(ValueError):
    """A report parameter has a bad value. The message is one line naming parameter and value.

    In a notebook, IPython shows only that line (no traceback) through ``_render_traceback_``.
    """

    def __init__(self, name: str, value: Any, problem: str) -> None:
        self.name = name
        self.value = value
        self.problem = problem
        super().__init__(f"parameter {name!r}: {_show(value)} {problem}")

    def _render_traceback_(self) -> list[str]:  # IPython hook: the traceback shown in a cell
        return [f"ParameterError: {self}"]


class UnknownParameterError(ParameterError):
    """A name given as a parameter that the notebook(s) do not declare: the one line says the
    name is none of theirs, then the value it was given (``'yaer' is not a parameter of
    implementation_progress (given '2024'; it declares: ...)``), not "parameter 'yaer': '2024'
    is not a parameter", which read as if the value were the parameter. ``where``: what
    follows "of" (a notebook's name); ``hint``: the declared names and a close one."""

    def __init__(self, name: str, value: Any, where: str, hint: str = "") -> None:
        ValueError.__init__(self, f"{name!r} is not a parameter of {where} (given "
                                  f"{_show(value)}{hint})")
        self.name, self.value = name, value
        self.problem = f"is not a parameter of {where}"


#: A bad value is quoted in a message up to this many characters (then its length is given).
SHOWN_CHARS = 120


def _show(value: Any) -> str:
    """How a bad value is quoted in a message: numbers bare, text quoted (control characters
    escaped by ``repr``), cut after :data:`SHOWN_CHARS` characters with its length."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    text = _shown_container(value) if isinstance(value, list | tuple | set | dict) else None
    if text is None:
        text = str(value) if isinstance(value, int | float) else repr(str(value))
    return cut(text, len(str(value)))


def cut(text: str, length: int | None = None) -> str:
    """``text`` as a message quotes it: whole up to :data:`SHOWN_CHARS` characters, else its
    start and its length (``length``, else that of ``text``): ``aaa... (5,000 characters)``."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text) if length is None else length:,} characters)"


def _shown_container(value: list | tuple | set | dict) -> str | None:
    """A list or mapping as JSON (``["KEN", "2025-01-01"]``, not ``"[datetime.date(2025, 1,
    1)]"``; a set sorted, so that the message is the same in every run); ``None`` when JSON
    cannot hold it (keys that are not text or numbers)."""
    import json

    try:
        return json.dumps(sorted(value, key=str) if isinstance(value, set) else value,
                          default=str, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None


#: The window of dates an analysis can be judged at (``as_of``): the years a pledge's dates may
#: fall in (``limits.PLAUSIBLE_YEARS``).
AS_OF_RANGE: tuple[dt.date, dt.date] = (dt.date(PLAUSIBLE_YEARS[0], 1, 1),
                                        dt.date(PLAUSIBLE_YEARS[1], 12, 31))


def year_range() -> tuple[int, int]:
    """``(FIRST_YEAR, LATEST_YEAR)`` of the connectivity data (calendar years, inclusive)."""
    return FIRST_YEAR, LATEST_YEAR


# --- one checker per kind of value -----------------------------------------------------------
#: The largest whole number a float holds exactly (2**53): an integral float beyond it (``1e20``,
#: ``12345678901234567890.0``) may not be the number written, and is refused.
EXACT_FLOAT_INT = 2**53


def _as_a_file_reads(value: Any) -> Any:
    """Text that a YAML parameter file reads as a float or a boolean (``"2024.0"``,
    ``"1e3"``, ``"true"``: :func:`p2c_analysis.limits.yaml_scalar`) as that value, so that
    ``-p year 2024.0`` and ``year: 2024.0`` in a ``-f`` file give the same answer (the year
    2024) and ``2024.5`` or ``true`` the same refusal; any other value unchanged."""
    if isinstance(value, str):
        read = yaml_scalar(value)
        if read is not None:
            return read
    return value


def to_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (``"12"`` accepted); ``lo``/``hi`` inclusive bounds, ``None`` = unbounded.
    A whole float, or text a YAML file reads as one (``2024.0``, ``"2.024e3"``), is that
    integer, up to :data:`EXACT_FLOAT_INT`; text is read as in a parameter file
    (:func:`_as_a_file_reads`: ``"2024.5"`` is refused as ``2024.5`` is)."""
    value = _as_a_file_reads(value)
    if isinstance(value, bool):
        raise ParameterError(name, value, "is not a whole number")
    if isinstance(value, int):
        out = value
    elif isinstance(value, float) and value.is_integer():
        out = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,4000}", value.strip()):
        out = int(value.strip())  # (Python refuses to read more than 4,300 digits)
    else:
        raise ParameterError(name, value, "is not a whole number")
    if (lo is not None and out < lo) or (hi is not None and out > hi):
        raise ParameterError(name, out, f"is outside {_bounds(lo, hi)}")
    if isinstance(value, float) and abs(out) > EXACT_FLOAT_INT:
        raise ParameterError(name, value, "is too large to be read exactly with a decimal point "
                                          "or an exponent (write its digits)")
    return out


def to_float(name: str, value: Any, lo: float | None = None, hi: float | None = None) -> float:
    """A finite number (``"0.5"`` accepted); ``lo``/``hi`` inclusive bounds. Text is read as
    in a parameter file (:func:`_as_a_file_reads`: ``"true"`` is refused as ``true`` is)."""
    value = _as_a_file_reads(value)
    if isinstance(value, bool):
        raise ParameterError(name, value, "is not a number")
    try:
        out = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "is not a number") from None
    if not math.isfinite(out):
        raise ParameterError(name, value, "is not a finite number")
    if (lo is not None and out < lo) or (hi is not None and out > hi):
        raise ParameterError(name, value, f"is outside {_bounds(lo, hi)}")
    return out


def _bounds(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo}-{hi}"
    return f">= {lo}" if lo is not None else f"<= {hi}"


def to_bool(name: str, value: Any) -> bool:
    """A boolean; accepts ``true/false``, ``yes/no``, ``1/0``, ``on/off`` (any case): the
    package's one text -> bool parser, ``parsing.parse_bool(strict=True)``."""
    from p2c_analysis.parsing import ParseError, parse_bool

    try:
        out = parse_bool(value, strict=True)
    except ParseError:
        out = None
    if out is None:
        raise ParameterError(name, value, "is not true/false (use true, false, yes, no, 1 or 0)")
    return out


#: The texts read as a date: ISO 8601 ``YYYY-MM-DD`` and its basic form ``YYYYMMDD``. Python's
#: ``date.fromisoformat`` also reads week dates (``2026-W01-1`` is 2025-12-29), which no one
#: means by a report date: they are refused.
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}")


def _date_from_text(text: str) -> dt.date | None:
    """The calendar date ``text`` (:data:`DATE_TEXT`, surrounding spaces ignored) names;
    ``None`` when it is in another form or no such day exists (``2026-02-30``)."""
    text = text.strip()
    if not DATE_TEXT.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _no_such_day(text: str) -> str | None:
    """Why ``text``, written as a date (:data:`DATE_TEXT`), names no calendar day, as Python
    says it (``2026-02-30``: "day is out of range for month"); ``None`` for other text."""
    text = text.strip()
    if not DATE_TEXT.fullmatch(text):
        return None
    try:
        dt.date.fromisoformat(text)
    except ValueError as err:
        return str(err)
    return None


def _number_not_date(name: str, value: int | float) -> ParameterError:
    """The error for a date given as a number (``as_of: 20260101`` in YAML is an int): it says
    how to write it, with the date it would name as ``YYYY-MM-DD`` when it names one."""
    meant = _date_from_text(str(value)) if isinstance(value, int) else None
    example = f", e.g. {meant.isoformat()}" if meant else ""
    return ParameterError(name, value, f"is a number, not a date (write YYYY-MM-DD{example})")


def utc_today() -> dt.date:
    """Today in UTC: the day a run starts (the runner's ``run_day``) and what an empty date
    means everywhere (parameters, group memberships, reports), not the local date."""
    return dt.datetime.now(dt.UTC).date()


def to_date(name: str, value: Any) -> dt.date:
    """A calendar date from the text ``"YYYY-MM-DD"`` or ``"YYYYMMDD"`` (:data:`DATE_TEXT`) or
    a date/datetime (one with a time zone: its date in UTC, as everything is dated here; a
    YAML ``as_of: 2024-01-01T23:30:00-11:00`` is 2024-01-02); ``""``/``None`` = today (UTC).
    A number (``20260101``) is refused, naming
    the form to write. Dates outside :data:`AS_OF_RANGE` are refused: Python can hold them,
    the analysis cannot."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return utc_today()
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _number_not_date(name, value)
    out: dt.date | None = None
    if isinstance(value, dt.datetime):  # with a time zone: its day in UTC (as_of: ...-11:00)
        out = (value.astimezone(dt.UTC) if value.utcoffset() is not None else value).date()
    elif isinstance(value, dt.date):
        out = value
    elif isinstance(value, str):
        out = _date_from_text(value)
    if out is None:  # "2026-02-30" is written as asked: say that no such day exists
        reason = _no_such_day(value) if isinstance(value, str) else None
        raise ParameterError(name, value, f"is not a valid date ({reason})" if reason
                             else "is not a date (use YYYY-MM-DD)")
    lo, hi = AS_OF_RANGE
    if not lo <= out <= hi:
        raise ParameterError(name, str(out),
                             f"is outside the dates an analysis covers ({lo} to {hi})")
    return out


def to_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (case and surrounding spaces ignored)."""
    text = str(value).strip().lower() if value is not None else ""
    for choice in choices:
        if text == choice.lower():
            return choice
    raise ParameterError(name, value, f"is not one of {', '.join(choices)}")


def to_existing_file(name: str, value: Any) -> str:
    """Absolute path of an existing, readable file; ``""``/``None`` = the bundled default (kept
    ``""``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    path = Path(str(value).strip()).expanduser()
    try:  # a name too long for the system ends here too, naming the parameter
        if not path.is_file():
            problem = ("is a folder, not a file" if path.is_dir()
                       else "is not a regular file" if path.exists() else "does not exist")
            raise ParameterError(name, value, problem)
        with open(path, "rb") as f:
            f.read(1)
        return str(path.resolve())
    except OSError as err:
        raise ParameterError(name, value, f"cannot be read ({err.strerror or err})") from None


def to_existing_dir(name: str, value: Any) -> str:
    """Path of an existing folder, as given; ``""`` stays ``""`` (for ``output_dir``: write
    nothing, as when a researcher runs a notebook interactively). A folder that is, or is
    inside, one of the package's own folders (its data, notebooks, code, tests:
    :func:`paths.package_folder_holding`, the check ``p2c --out`` makes) is refused: a report
    run with papermill and ``-p output_dir data/pledges`` overwrote a bundled data file."""
    text = "" if value is None else str(value).strip()
    try:
        found = not text or Path(text).expanduser().is_dir()
        holder = paths.package_folder_holding(text) if text and found else None
    except OSError:  # a name too long for the system
        found, holder = False, None
    except RuntimeError:  # Python 3.11's resolve() on links that point to each other
        raise ParameterError(name, value, "cannot be used (symbolic links in a loop)") from None
    if not found:
        raise ParameterError(name, value, "is not an existing folder")
    if holder is not None:
        folder, what = holder
        raise ParameterError(name, value, f"is inside {what} ({folder}), which a report never "
                                          "writes; choose a folder outside it")
    return text


def to_pledge_source(name: str, value: Any) -> str:
    """The pledges a comparison reads (``previous`` / ``current``): ``""`` (the notebook's
    default), a date ``YYYY-MM-DD`` of the bundled public record (within
    :data:`AS_OF_RANGE`; also ``YYYYMMDD``, as :func:`to_date` reads ``as_of``), the id of a
    snapshot in the store (``p2c snapshot list``), or a pledge file (absolute path; it must
    open as a table of pledges). Returned as text."""
    if isinstance(value, dt.date):  # a YAML date (previous: 2025-01-01), or date and time
        return to_date(name, value).isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _number_not_date(name, value)  # YAML's previous: 20250101, as for as_of
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    from p2c_analysis import snapshots

    if DATE_TEXT.fullmatch(text):  # the forms as_of takes: 2026-01-01 and 20260101
        return to_date(name, text).isoformat()
    if snapshots.ID_PATTERN.match(text):
        try:
            known = set(snapshots.list_snapshots()["id"])
        except snapshots.SnapshotError as err:
            raise ParameterError(name, value, f"cannot be looked up ({err})") from None
        if text not in known:
            raise ParameterError(name, value, "is not a snapshot in the store "
                                              "(see: p2c snapshot list)")
        return text
    try:
        exists = Path(text).expanduser().exists()
    except OSError:  # a name too long for the system: to_existing_file says so
        exists = True
    if exists:
        return to_existing_file(name, text)  # opened as pledges with the mapping: validate_declared
    raise ParameterError(name, value, "is not a date (YYYY-MM-DD), a snapshot id or a pledge file")


def to_country(name: str, value: Any) -> str:
    """ISO3 code of a country given by ISO2/ISO3 code or name (``countries.resolve``)."""
    from p2c_analysis import countries

    text = "" if value is None else str(value).strip()
    if not text:
        raise ParameterError(name, value, "is empty (give a country name or ISO3 code)")
    try:
        return countries.resolve(text)
    except countries.UnknownCountryError as err:
        if names_a_group(text):
            raise ParameterError(name, value, "is a group, not a country (one report per "
                                 f"member: p2c batch NOTEBOOK --over {name}={text})") from None
        close = ", ".join(repr(x) for x in getattr(err, "suggestions", [])[:3])
        hint = f" (did you mean {close}?)" if close else ""
        raise ParameterError(name, value, f"is not a known country{hint}") from None


def names_a_group(text: str) -> bool:
    """Whether ``text`` is a group or region label with members (``countries.members``)."""
    from p2c_analysis import countries

    try:
        return bool(countries.members(text))
    except (KeyError, ValueError, LookupError):
        return False


def _year(name: str, value: Any) -> int:
    first, latest = year_range()
    try:
        return to_int(name, value, first, latest)
    except ParameterError as err:
        if isinstance(err.value, int) and not isinstance(err.value, bool):
            problem = f"is outside the data ({first}-{latest})"
            raise ParameterError(name, err.value, problem) from None
        raise


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "year": _year,
    "as_of": to_date,
    "allocation": lambda n, v: to_choice(n, v, ALLOCATION_METHODS),
    "method": lambda n, v: to_choice(n, v, IMPUTATION_METHODS),
    "include_global": to_bool,
    "country": to_country,
    "pledges": to_existing_file,
    "mapping": to_existing_file,
    "output_dir": to_existing_dir,
    "previous": to_pledge_source,
    "current": to_pledge_source,
}

#: Names :func:`validate` checks; any other name passes through unchanged.
KNOWN_PARAMETERS: tuple[str, ...] = tuple(_CHECKS)


def validate(**params: Any) -> dict[str, Any]:
    """Check and normalise report parameters by name; return a new dict, same keys.

    - ``year``: int within ``FIRST_YEAR..LATEST_YEAR`` (``"2024"`` accepted).
    - ``as_of``: ISO date string → :class:`datetime.date` within :data:`AS_OF_RANGE`; ``""`` =
      today (UTC).
    - ``allocation``: one of ``ALLOCATION_METHODS``; ``method``: one of ``IMPUTATION_METHODS``.
    - ``include_global``: bool (``true/false/yes/no/1/0`` accepted).
    - ``country``: country name or ISO2/ISO3 → ISO3 (``countries.resolve``).
    - ``pledges`` / ``mapping``: an existing readable file → its absolute path; ``""`` =
      bundled default.
    - ``output_dir``: an existing folder, or ``""`` = write no files.
    - ``previous`` / ``current``: the pledges a comparison reads (:func:`to_pledge_source`).

    Run in a notebook after the cell papermill injects (``papermill -p NAME VALUE``), a name
    injected there that is none of the notebook's parameters is refused
    (:func:`check_injected`: ``-p countr Kenya`` rendered the default country without a word).

    Raises :class:`ParameterError` (one line: parameter, value, problem) on the first bad value.
    """
    check_injected(params)
    return validate_declared(params)


#: The first line of the cell papermill injects with the parameters it is given (its
#: ``injected-parameters`` cell: ``# Parameters`` then one ``name = value`` line each).
INJECTED_COMMENT = "# Parameters"


def check_injected(declared: Iterable[str]) -> None:
    """In an IPython kernel, when the two cells before the one running now are a notebook's
    ``parameters`` cell (assignments only) and papermill's injected cell after it, refuse
    (:class:`UnknownParameterError`, the one line ``p2c`` gives) a name the injected cell
    assigns that is not a parameter: neither in ``declared`` (the names the notebook
    validates) nor assigned in the ``parameters`` cell. Papermill only warns ("Passed unknown
    parameter") and runs the notebook with its default. The names papermill (:data:`
    PAPERMILL_NAMES`) and ``p2c``'s runner (:data:`RUNNER_PARAMETERS`, given to every report,
    declared or not) inject of their own accord pass. Nothing is checked outside IPython, in a
    notebook run cell by cell (no injected cell), or when a cell of the notebook's own that
    looks like papermill's (``# Parameters``, then assignments) follows a cell that is not
    assignments only; with a cell of its own between its ``parameters`` cell and the one that
    validates, a notebook run by papermill is not checked either."""
    cells = _cells_before()
    injected = _assignments(cells[-1], injected=True) if cells else None
    if not injected or len(cells) < 2:
        return
    cell = _assignments(cells[-2], only=True)
    if cell is None:  # no parameters cell before it: a "# Parameters" cell of the notebook's own
        return
    names = list(dict.fromkeys([*cell, *declared]))
    source = injected.get("PAPERMILL_INPUT_PATH")  # papermill --inject-input-path
    where = Path(source).stem if isinstance(source, str) and source else "this notebook"
    for name, value in injected.items():
        if name not in names and name not in PAPERMILL_NAMES and name not in RUNNER_PARAMETERS:
            raise UnknownParameterError(name, value, where, declared_text(name, [names]))


#: Names papermill injects of its own accord (``--inject-paths``): not parameters, not refused.
PAPERMILL_NAMES: tuple[str, ...] = ("PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH")

#: Parameters ``p2c``'s runner sets itself for every report (users may not pass them):
#: ``output_dir``, the report's folder, also for a notebook that does not declare it.
RUNNER_PARAMETERS: tuple[str, ...] = ("output_dir",)


def _cells_before() -> list[str]:
    """Sources of the code cells run before the one running now, oldest first (IPython's
    input history: the running cell is its last entry), or ``[]`` outside IPython (IPython is
    not imported for this)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not isinstance(history, list) or len(history) < 2:
        return []
    return [str(c) for c in history[1:-1]]  # entry 0 is IPython's empty placeholder


def _assignments(source: str, injected: bool = False, only: bool = False
                 ) -> dict[str, Any] | None:
    """``{name: value}`` of the top-level assignments in a cell's ``source`` (values read as
    literals, else kept as source text), or ``None`` when it does not parse; with ``only``,
    also ``None`` unless it holds nothing but assignments (a ``parameters`` cell); with
    ``injected``, also ``None`` unless it is papermill's injected cell: its first line is
    :data:`INJECTED_COMMENT` and it holds nothing but ``name = value`` lines."""
    if injected and source.lstrip().split("\n", 1)[0].strip() != INJECTED_COMMENT:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif injected or only:
            return None
        else:
            continue
        try:
            found[target] = ast.literal_eval(value) if value is not None else None
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            found[target] = ast.get_source_segment(source, value)
    return found


def declared_text(name: str, declared: Iterable[Iterable[str]],
                  leave_out: Iterable[str] = ()) -> str:
    """What the notebooks declare, for the error on an undeclared name: ``"; they declare:
    pledges, mapping, year, as_of; did you mean 'year'?"`` (a close name, if any; names in
    ``leave_out`` left out), so a misspelt ``-p yaer 2024`` says what to type instead."""
    declared = [list(d) for d in declared]
    skip = set(leave_out)
    names = list(dict.fromkeys(n for d in declared for n in d if n not in skip))
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.7)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    who = "it declares" if len(declared) == 1 else "they declare"
    return f"; {who}: {', '.join(names) or 'none'}{hint}"


def validate_declared(
    values: Mapping[str, Any], types: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """:func:`validate` for a mapping, where a name :func:`validate` does not know is converted
    to the type its notebook declares (``types``: name → papermill's ``inferred_type_name``:
    ``int``, ``float``, ``bool``, ``str``, ``list``, ``dict``, also as ``list[int]``,
    ``Optional[int]`` or ``int | None``, where ``None`` is a value; other types and names
    without a type pass through unchanged). Lists and dicts given as text are read as YAML."""
    types = types or {}
    out: dict[str, Any] = {}
    for name, value in values.items():
        check = _CHECKS.get(name)
        if check is not None and isinstance(value, list | tuple | set | dict):
            raise _not_one_value(name, value)
        out[name] = check(name, value) if check is not None else _to_type(
            name, value, types.get(name))
    for name in PLEDGE_FILE_PARAMETERS:
        _check_pledge_source(out, name)
    _check_mapping_has_a_file(out)
    return out


def _not_one_value(name: str, value: list | tuple | set | dict) -> ParameterError:
    """The error for a list or mapping given to a parameter that takes one value (``country:
    [KEN, NGA]`` in a YAML file said "'['KEN', 'NGA']' is not a known country", ``as_of:
    [2025-01-01]`` "'[datetime.date(2025, 1, 1)]' is not a date"): what it is, and for a list
    the command that renders one report per value."""
    if isinstance(value, dict):
        return ParameterError(name, value, "is a mapping (NAME: VALUE), not one value")
    return ParameterError(name, value, "is a list, not one value (one report per value: p2c "
                                       f"batch NOTEBOOK --over {name}=V1,V2,...)")


def _check_mapping_has_a_file(values: Mapping[str, Any]) -> None:
    """A ``mapping`` reads a pledge file: refused when no pledge file is given beside it
    (``pledges``, ``previous`` or ``current``; the bundled record, a date or a snapshot id
    have their own layout), instead of being ignored without a word. Checked when ``values``
    hold one of those names (a report's whole set, as :func:`report.start` validates it)."""
    mapping = values.get("mapping")
    if not mapping or not any(n in values for n in PLEDGE_FILE_PARAMETERS):
        return  # a mapping checked alone (the runner checks the run: planning)
    if not names_a_pledge_file(values):
        raise ParameterError("mapping", mapping, MAPPING_WITHOUT_FILE)


#: Why a ``mapping`` with no pledge file beside it is refused.
MAPPING_WITHOUT_FILE = ("reads a pledge file, and no pledge file is given (pledges, previous "
                        "or current)")


def names_a_pledge_file(values: Mapping[str, Any]) -> bool:
    """Whether validated ``values`` name a pledge file (an absolute path in one of
    :data:`PLEDGE_FILE_PARAMETERS`; a date or a snapshot id is none)."""
    return any(values.get(n) and Path(str(values[n])).is_absolute()
               for n in PLEDGE_FILE_PARAMETERS)


#: Parameters naming a pledge file, opened with ``mapping`` before anything runs.
PLEDGE_FILE_PARAMETERS: tuple[str, ...] = ("pledges", "previous", "current")


def _check_pledge_source(values: Mapping[str, Any], name: str = "pledges") -> None:
    """A pledge file given as parameter ``name`` (with the ``mapping``) must open as a table
    of pledges: within the input limits, a CSV or XLSX table with pledge columns
    (``pledges.check_pledge_file``; rows are not parsed here: bad rows are quarantined when the
    report loads them). Dates and snapshot ids (``previous`` / ``current``) are not files."""
    path = values.get(name)
    if not path or not Path(str(path)).is_absolute():
        return
    from p2c_analysis.pledges import PledgeFileError, check_pledge_file

    mapping = values.get("mapping") or None
    try:
        check_pledge_file(path, mapping)
    except PledgeFileError as err:
        which = "mapping" if mapping and Path(err.path).resolve() == Path(mapping) else name
        raise ParameterError(which, values[which], f"cannot be read: {err.what}") from None


def _base_kind(type_name: str | None) -> tuple[str, bool]:
    """``(kind, optional)`` of a declared type as papermill reads it from the annotation:
    ``"list[int]"`` → ``("list", False)``, ``"Optional[int]"`` and ``"int | None"`` →
    ``("int", True)``, ``"typing.Dict[str, int]"`` → ``("dict", False)``. Element types:
    :func:`_element_kinds`."""
    kind = (type_name or "").strip().lower().replace("typing.", "")
    optional = False
    if kind.startswith("optional[") and kind.endswith("]"):
        kind, optional = kind[len("optional["):-1].strip(), True
    parts = [p.strip() for p in kind.split("|")]
    if len(parts) == 2 and "none" in parts:
        kind, optional = next(p for p in parts if p != "none"), True
    return kind.split("[", 1)[0].strip(), optional


def _to_type(name: str, value: Any, type_name: str | None) -> Any:
    kind, optional = _base_kind(type_name)
    if optional and (value is None or (isinstance(value, str)
                                       and value.strip().lower() in {"none", "null"})):
        return None
    if kind in {"list", "dict"} and isinstance(value, str):
        from p2c_analysis.limits import YamlTextError, load_yaml_text

        try:
            value = load_yaml_text(value)
        except YamlTextError as err:
            raise ParameterError(name, value, f"is not a {kind} ({err})") from None
        if not isinstance(value, list if kind == "list" else dict):
            raise ParameterError(name, value, f"is not a {kind}")
    if kind == "list" and isinstance(value, list):
        (element,) = _element_kinds(type_name, 1) or ("",)
        return [_to_type(f"{name}[{i}]", v, element) for i, v in enumerate(value)]
    if kind == "dict" and isinstance(value, dict):
        key, item = _element_kinds(type_name, 2) or ("", "")
        return {_to_type(f"{name} key", k, key): _to_type(f"{name}[{k}]", v, item)
                for k, v in value.items()}
    convert = {"int": to_int, "float": to_float, "bool": to_bool}.get(kind)
    if convert is not None:
        return convert(name, value)
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    return value


def _element_kinds(type_name: str | None, count: int) -> tuple[str, ...] | None:
    """The ``count`` element types inside a declared ``list[...]`` / ``dict[..., ...]``
    (``"list[int]"`` → ``("int",)``, ``"Dict[str, float]"`` → ``("str", "float")``), each
    checked like a parameter of that type by :func:`_to_type`; ``None`` when the annotation
    gives none (``list``) or nests them (``list[list[int]]``: elements pass unchecked)."""
    kind = (type_name or "").strip()
    kind = re.sub(r"^(typing\.)?Optional\[(.*)\]$", r"\2", kind)
    kind = re.sub(r"\s*\|\s*None$|^None\s*\|\s*", "", kind)
    inner = re.fullmatch(r"[\w.]+\[(.*)\]", kind)
    if inner is None:
        return None
    parts = tuple(p.strip() for p in inner.group(1).split(","))
    if len(parts) != count or any("[" in p for p in parts):
        return None
    return parts


def for_notebook(values: dict[str, Any]) -> dict[str, Any]:
    """Validated values as plain literals a notebook's parameters cell can hold
    (dates → ``"YYYY-MM-DD"``, everything else unchanged)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}
