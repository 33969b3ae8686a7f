"""Limits on input files, written down in one place and enforced before work starts.

Two kinds of rules live here:

- **Resource limits** (:class:`Limits`): how large an input may be before the package refuses
  to read it. A file over a limit is rejected as a whole with ONE line naming the file, the
  limit and how to raise it (an environment variable, e.g. ``P2C_MAX_FILE_MB=500``). The
  exception is a single cell over the cell-length limit: only its row is set aside
  (quarantined, with its row number), the rest of the file is read.
- **Plausibility rules** for a single pledge (:data:`PLAUSIBLE_YEARS`,
  :data:`MAX_PLEDGE_USD`): a row breaking them is quarantined with a reason, never dropped.
  They are fixed (edit this module to change them): they say what a pledge can be, not how
  much the machine can take.

:func:`read_yaml_parameters` is the guarded reader of YAML parameter files
(``p2c render -f params.yaml``): safe loader, no aliases or anchors, size, node and depth
limits, one line naming the file for anything it cannot read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

# --- plausibility rules for one pledge (fixed) ----------------------------------------------------

PLAUSIBLE_YEARS: tuple[int, int] = (2000, 2100)
"""Calendar years (inclusive) a pledge's dates and target year may fall in. P2C was launched in
2021; 2000 leaves room for earlier commitments folded into it. Every such date also fits in a
pandas ``datetime64[ns]`` (1677-2262). A date outside is a quarantine reason."""

MAX_PLEDGE_USD: float = 10e12
"""The largest value in US dollars a single pledge may have (USD 10 trillion). The investment
needed to connect everyone by 2030 is estimated at USD 2.6-2.8 trillion (ITU and CST,
Connecting Humanity Action Blueprint, 2025: ``data/reference/investment_needs.csv``), so a
single pledge above this is a typing or unit error. Non-finite values (``inf``, ``nan``) are refused
too. A value above is a quarantine reason ("absurd value")."""

YAML_MAX_DEPTH = 32
"""Nesting depth of a YAML parameter file (fixed: parameters are ``NAME: VALUE`` lines)."""


# --- resource limits ------------------------------------------------------------------------------

def _limit(default: float, unit: str, what: str) -> Any:
    return field(default=default, metadata={"unit": unit, "what": what})


def env_variable(name: str) -> str:
    """The environment variable that sets limit ``name``: ``P2C_MAX_`` + its name in capitals
    (``rows`` -> ``P2C_MAX_ROWS``)."""
    return "P2C_MAX_" + name.upper()


@dataclass(frozen=True)
class Limits:
    """Resource limits on input files. Each default can be raised (or lowered) with its
    environment variable (:func:`env_variable`: ``P2C_MAX_FILE_MB``, ``P2C_MAX_ROWS``...);
    :meth:`from_env` reads them.

    Units: ``*_mb`` in MiB (2**20 bytes), ``*_kb`` in KiB, counts as plain numbers. ``rows``
    is the last row of a file (spreadsheet numbering, header = row 1, blank rows count);
    ``columns`` the last column holding data in any row; the XLSX limits apply to the
    sizes the zip declares (all parts together; the ratio to each part over 1 MB).
    """

    file_mb: float = _limit(100, "MB", "size of a pledge or mapping file")
    rows: int = _limit(200_000, "rows", "last row of a file")
    columns: int = _limit(1_000, "columns", "last column holding data")
    cell_chars: int = _limit(32_767, "characters", "length of one cell (Excel's maximum)")
    xlsx_unzipped_mb: float = _limit(200, "MB", "uncompressed size of an XLSX")
    xlsx_ratio: float = _limit(100, "x", "compression ratio of a part of an XLSX")
    yaml_kb: float = _limit(64, "kB", "size of a YAML parameter file")
    yaml_nodes: int = _limit(10_000, "nodes", "nodes of a YAML parameter file")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, each replaced by its environment variable when set (a positive
        number; a whole one for a count: rows, columns, characters, nodes). Raises
        :class:`LimitError` (one line) for a value that is not one."""
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for f in dataclasses.fields(cls):
            text = env.get(env_variable(f.name), "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not value > 0 or value == float("inf"):
                raise LimitError(f"{env_variable(f.name)}={text!r}: not a positive number")
            if f.type in ("int", int) and not value.is_integer():  # 0.5 rows was a limit of 0
                raise LimitError(f"{env_variable(f.name)}={text!r}: not a whole number of "
                                 f"{f.metadata['unit']}")
            values[f.name] = int(value) if f.type in ("int", int) else value
        return cls(**values)

    def exceeded(self, key: str, found: float, what: str | None = None) -> str | None:
        """``None`` when ``found`` (in the limit's unit) is within limit ``key``; otherwise
        one line saying what is over, the limit and how to raise it, e.g. ``"size 120 MB,
        over the limit of 100 MB (raise it with P2C_MAX_FILE_MB=240)"``. ``what`` names
        what was found (default: the limit's description and ``found``)."""
        limit = getattr(self, key)
        if found <= limit:
            return None
        meta = _field_meta(self, key)
        what = what or f"{meta['what']}: {_fmt(found)} {meta['unit']}"
        suggestion = _round_up(max(found, 2 * limit))
        return (f"{what}, over the limit of {_fmt(limit)} {meta['unit']} "
                f"(raise it with {env_variable(key)}={suggestion})")


def _fmt(x: float) -> str:
    """A number for a message: ``1,048,576``, ``64.3``, ``0.00122``."""
    return f"{x:,.0f}" if x >= 100 or float(x).is_integer() else f"{x:.3g}"


def _round_up(x: float) -> str:
    """A round number at least ``x`` (two significant digits), for the "raise it" hint."""
    digits = max(len(str(int(x))) - 2, 0)
    step = 10 ** digits
    return str(int(-(-x // step) * step))


def documented() -> list[dict[str, object]]:
    """One dict per resource limit (``name, env, default, unit, what``), for docs and tests."""
    return [{"name": f.name, "env": env_variable(f.name), "default": f.default,
             "unit": f.metadata["unit"], "what": f.metadata["what"]}
            for f in dataclasses.fields(Limits)]


class LimitError(ValueError):
    """A limit set in the environment is not usable. ``str(err)`` is one line."""


class InputFileError(ValueError):
    """An input file cannot be read at all. ``str(err)`` is one line: ``<file>: <what>``."""

    def __init__(self, path: str | Path, what: str) -> None:
        self.path = str(path)
        self.what = what
        super().__init__(f"{path}: {what}")

    def _render_traceback_(self) -> list[str]:  # IPython hook: one line in a notebook cell
        return [f"{type(self).__name__}: {terminal_safe(self)}"]


def terminal_safe(text: object) -> str:
    """``text`` with every character a terminal could act on (ANSI escape sequences and
    other control characters, bidirectional overrides, line breaks...) written as a visible
    escape (``\\x1b``, ``\\u202e``, ``\\n``), so it prints as one plain line."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in s)


# --- YAML parameter files -------------------------------------------------------------------------

#: An integer as YAML 1.2 writes it: decimal digits, a sign (see the resolvers below).
_DECIMAL_INT = re.compile(r"^[-+]?[0-9]+$")


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses anchors and aliases (no billion laughs) and counts
    nodes and nesting depth while composing, before anything is built."""

    max_nodes = 10_000

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (& and *) are not allowed", event.start_mark)
        self._nodes += 1
        if self._nodes > self.max_nodes:
            raise _TooBig("yaml_nodes", self._nodes)
        self._depth += 1
        if self._depth > YAML_MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nested deeper than {YAML_MAX_DEPTH} levels", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.Node) -> dt.date | dt.datetime:
        """A YAML date such as ``2024-02-30`` that is no calendar date: a one-line error
        with its line, not a ``ValueError`` traceback."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({err})", node.start_mark
            ) from None


    def construct_yaml_int(self, node: yaml.Node) -> int:
        """An integer in decimal digits, as YAML 1.2 reads it (``02024`` is 2024, not YAML
        1.1's octal 1044); one with more digits than Python converts (``year: 2024...`` over
        4,300 digits): a one-line error with its line, not "not readable YAML (ValueError)"."""
        try:
            text = str(node.value)
            if _DECIMAL_INT.fullmatch(text):
                return int(text, 10)
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(str(node.value)):,} characters is not a "
                "parameter value", node.start_mark) from None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose key is written twice (``year: 2020`` then ``year: 2021``) is
        refused with the second key's line: PyYAML keeps the last without a word."""
        seen: set[str] = set()
        for key_node, _value in getattr(node, "value", []):
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               _GuardedLoader.construct_yaml_timestamp)
_GuardedLoader.add_constructor("tag:yaml.org,2002:int", _GuardedLoader.construct_yaml_int)


class _TooBig(Exception):
    def __init__(self, key: str, found: float) -> None:
        self.key = key
        self.found = found


def read_yaml_parameters(path: str | Path, limits: Limits | None = None) -> dict[str, Any]:
    """Read a YAML parameter file of ``NAME: VALUE`` lines into ``{name: value}``.

    Safe loader only (plain scalars, lists, mappings, dates); anchors and aliases are
    refused; the file's size (``yaml_kb``), node count (``yaml_nodes``) and nesting depth
    (:data:`YAML_MAX_DEPTH`) are bounded. An empty file gives ``{}``. Values are not
    checked here (``params.validate`` does that). Raises :class:`InputFileError`, one line
    naming the file, for anything it cannot read: missing, too large, binary, not UTF-8, not
    YAML, an impossible date (``as_of: 2024-02-30``), not a mapping.
    """
    lim = limits or Limits.from_env()
    p = Path(path)
    data = read_limited(p, "yaml_kb", lim, "parameter file")
    if b"\x00" in data:
        raise InputFileError(p, "binary file, not YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(p, f"not UTF-8 text (byte {err.start + 1})") from None
    try:
        value = load_yaml_text(text, lim)
    except YamlTextError as err:
        raise InputFileError(p, str(err)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputFileError(p, "expected NAME: VALUE lines")
    return {str(k): v for k, v in value.items()}


class YamlTextError(ValueError):
    """YAML text refused by :func:`load_yaml_text`; ``str(err)`` is one line (where, what)."""


def load_yaml_text(text: str, limits: Limits | None = None) -> Any:
    """The one YAML document in ``text`` (``None`` when empty), read with the guards of
    :func:`read_yaml_parameters`: safe loader, no anchors or aliases, at most ``yaml_kb``
    (UTF-8 size) and ``yaml_nodes``, nesting within :data:`YAML_MAX_DEPTH`, dates that
    exist. For YAML given as text (e.g. a list parameter on the command line). Raises
    :class:`YamlTextError`, one line, for anything else."""
    lim = limits or Limits.from_env()
    kb = len(text.encode("utf-8", "surrogatepass")) / 1024
    if msg := lim.exceeded("yaml_kb", kb, f"YAML text of {_fmt(kb)} kB"):
        raise YamlTextError(msg)
    try:
        return _load_guarded(text, int(lim.yaml_nodes))
    except _TooBig as err:
        what = "too many YAML nodes (values, keys, lists and mappings)"
        raise YamlTextError(lim.exceeded(err.key, err.found, what) or what) from None
    except yaml.YAMLError as err:
        raise YamlTextError(_yaml_problem(err)) from None
    except (ValueError, TypeError, RecursionError) as err:  # a constructor's own failure
        raise YamlTextError(f"not readable YAML ({type(err).__name__})") from None


# YAML 1.2 (core schema) booleans and numbers, not YAML 1.1's, which PyYAML follows:
# - booleans only true/false: YAML 1.1's yes/no/on/off turned a country given by its ISO2 code,
#   "country: NO" (Norway), into False; a yes/no parameter still reads them (params);
# - integers only in decimal digits: YAML 1.1 read "year: 02024" as octal (1044), "2_024",
#   "0x7E8" and the sexagesimal "33:44" as 2024, without a word; they are text now, which the
#   parameter's check refuses in one line (a leading zero, "02024", is a decimal 2024);
# - floats likewise without "_" or sexagesimal forms ("1_000.5", "1:30.0").
_YAML12 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_GuardedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML12]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YAML_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML_BOOL, list("tTfF"))
_GuardedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", _DECIMAL_INT, list("-+0123456789"))
_GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT,
                                     list("-+.0123456789"))


def yaml_scalar(text: str) -> bool | float | None:
    """The boolean or the float a YAML parameter file reads from ``text`` written as its
    value (``2024.0``, ``1e3``, ``.inf``, ``true``: YAML 1.2, see above), surrounding spaces
    ignored; ``None`` for any other text, an integer in decimal digits included (read by the
    parameter's own check, whatever its length). So that text from the command line
    (``-p year 2024.0``) is read as the same text in a parameter file (``year: 2024.0``)."""
    text = text.strip()
    if _YAML_BOOL.fullmatch(text):
        return text.lower() == "true"
    if _DECIMAL_INT.fullmatch(text) or not _YAML_FLOAT.fullmatch(text):
        return None
    low = text.lower()
    if low.endswith((".inf", ".nan")):  # YAML's spelling; Python's float() reads "inf"
        return float(low.replace(".", ""))
    return float(text)


def _load_guarded(text: str, max_nodes: int) -> Any:
    """The single YAML document in ``text``, composed by :class:`_GuardedLoader`."""
    loader = _GuardedLoader(text)
    loader.max_nodes = max_nodes
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_problem(err: yaml.YAMLError) -> str:
    """One line saying where and what PyYAML found wrong."""
    if isinstance(err, yaml.reader.ReaderError):
        return f"character #x{err.character:04x} (position {err.position}) is not allowed in YAML"
    mark = getattr(err, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = getattr(err, "problem", None) or getattr(err, "reason", None) or "not valid YAML"
    return f"{where}{' '.join(str(problem).split())}"


_UNIT_BYTES = {"MB": 2**20, "kB": 2**10}


def read_limited(path: str | Path, key: str, limits: Limits, label: str) -> bytes:
    """The bytes of ``path``, after checking its size against the size limit ``key``
    (``"file_mb"`` or ``"yaml_kb"``) without reading it; ``label`` says what the file is
    for (``"parameter file"``). A pipe or device, whose size is unknown (``/dev/zero``), is
    read only up to the limit. Raises :class:`InputFileError`, one line naming the file:
    missing, a folder, unreadable or over the limit."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "no such file")
    if p.is_dir():
        raise InputFileError(p, f"is a directory, not a {label}")
    unit = _field_meta(limits, key)["unit"]
    try:
        found = p.stat().st_size / _UNIT_BYTES[unit]
        if msg := limits.exceeded(key, found, f"size {_fmt(found)} {unit}"):
            raise InputFileError(p, msg)
        with open(p, "rb") as f:  # the size stat gives is 0 for a pipe or a device
            return read_stream_limited(f, p, key, limits, p.stat().st_size)
    except OSError as err:
        raise InputFileError(p, f"cannot read ({err.strerror})") from None


def read_stream_limited(f: BinaryIO, name: str | Path, key: str, limits: Limits,
                        size: int = 0) -> bytes:
    """The bytes of the open binary stream ``f`` (a file of ``size`` bytes, 0 when unknown:
    standard input, a pipe), read up to the size limit ``key`` and no further; raises
    :class:`InputFileError` naming ``name`` when there is more."""
    unit, most = _field_meta(limits, key)["unit"], getattr(limits, key)
    n = _UNIT_BYTES[unit]
    data = _read_at_most(f, int(most * n) + 1, size) if math.isfinite(most) else f.read()
    if msg := limits.exceeded(key, len(data) / n, f"size more than {_fmt(most)} {unit}"):
        raise InputFileError(name, msg)
    return data


def _field_meta(limits: Limits, key: str) -> Mapping[str, Any]:
    """The metadata of limit ``key`` (its ``unit``, ``"MB"`` for ``file_mb``, and ``what``
    it limits)."""
    return {d.name: d.metadata for d in dataclasses.fields(limits)}[key]


_CHUNK = 1 << 20


def _read_at_most(f: Any, n: int, size: int) -> bytes:
    """At most ``n`` bytes of binary file ``f``, whose size is ``size`` (0 for a pipe or a
    device). Never asks for more than the file holds plus one byte, then a megabyte at a
    time: ``f.read(n)`` sets aside ``n`` bytes first, so a raised limit
    (``P2C_MAX_FILE_MB=1e9``) failed every file with a MemoryError or an OverflowError."""
    first = min(n, size + 1)
    data = f.read(first)
    if len(data) < first:
        return data  # the whole file
    chunks, total = [data], len(data)
    while total < n:  # a pipe or a device, or a file that grew since its size was taken
        chunk = f.read(min(n - total, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
