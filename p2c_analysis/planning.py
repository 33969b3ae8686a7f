"""Planning a run: which reports to render, with which checked parameters.

Nothing here starts a kernel. A report is named by its notebook (``country_profile`` →
``notebooks/country_profile.ipynb``) or a path; its parameters are the ones its ``parameters``
cell declares (read with papermill), checked by :mod:`p2c_analysis.params` before anything runs.
The result is a list of :class:`ReportSpec`, which :func:`p2c_analysis.runner.render` executes.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from p2c_analysis import params as P
from p2c_analysis import paths
from p2c_analysis.params import utc_today

STANDARD_REPORTS: tuple[str, ...] = (
    "connectivity_gap",
    "pledge_landscape",
    "gap_coverage",
    "country_profile",
    "implementation_progress",
    "pledge_changes",
    "pledge_quality",
)



class UsageError(ValueError):
    """A bad command (unknown notebook, malformed ``--over``...): one line, exit code 2."""


# --- where p2c may write ----------------------------------------------------------------------
def check_outside_package(path: str | Path, option: str, allowed: Iterable[Path] = ()) -> None:
    """Refuse (:class:`UsageError`, one line, before anything is written) a place a command
    would write (``--out``, ``--quarantine``, a run given to ``--resume``, a snapshot store)
    when it is, or is inside, one of the package's own folders (:func:`paths.package_folders`),
    symbolic links followed, names compared as the file system does
    (:func:`paths.package_folder_holding`: ``--out Data/raw`` is ``data/raw`` on macOS and
    Windows): ``--out data/raw/...`` overwrote a raw data file, ``--out data`` put runs among
    the data. ``allowed``: folders inside them that a command does write (the default snapshot
    store, ``data/snapshots/``). A name the system refuses (too long) is refused here too,
    naming the option, not with the whole name and no option."""
    try:
        found = paths.package_folder_holding(path, tuple(allowed))
    except OSError as err:
        raise UsageError(f"{option} {P.cut(str(path))}: cannot be used "
                         f"({err.strerror or err})") from None
    except RuntimeError:  # Python 3.11's resolve() on links that point to each other
        raise UsageError(f"{option} {P.cut(str(path))}: cannot be used (symbolic links "
                         "in a loop)") from None
    if found is not None:
        folder, what = found
        raise UsageError(f"{option} {P.cut(str(path))}: is inside {what} ({folder}), which "
                         "p2c never writes; choose a place outside it")


# --- notebooks and their parameters ------------------------------------------------------------
#: Larger files are not taken for report notebooks (nothing is read from them).
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def resolve_notebook(ref: str | Path, notebooks_dir: Path | None = None) -> Path:
    """Path of a report notebook: a report name (``"country_profile"`` →
    ``notebooks/country_profile.ipynb``) or a path to an ``.ipynb`` file. A file that is not
    a Jupyter notebook is refused with one line naming it (its content is never shown)."""
    text = str(ref)
    if not text.strip():  # Path("") is the current folder: "notebook '' is a folder"
        raise UsageError("notebook name is empty (give a report name, e.g. country_profile, "
                         "or the path of an .ipynb file)")
    path = Path(text).expanduser()
    try:
        exists = path.exists()
    except OSError as err:  # a name too long for the system
        raise UsageError(f"notebook {P.cut(repr(text), len(text))}: cannot be read "
                         f"({err.strerror or err})") from None
    if text.endswith(".ipynb") or exists:
        if path.is_dir():
            raise UsageError(f"notebook {text!r} is a folder, not a notebook file")
        if not path.is_file():
            raise UsageError(f"notebook {text!r} is not a regular file" if path.exists()
                             else f"notebook {text!r} does not exist{_report_hint(text)}")
        path = path.resolve()
        _check_notebook(path)
        return path
    if len(Path(text.strip()).parts) != 1 or text.strip() in (".", ".."):
        # a report name is a file name in notebooks/: "../x/report" named a notebook elsewhere
        raise UsageError(f"notebook {P.cut(repr(text), len(text))} does not exist (a report "
                         "name is a notebook of notebooks/ without .ipynb; give a notebook "
                         "elsewhere by its .ipynb path)")
    text = text.strip()  # " country_profile", as a shell quote may leave it
    folder = notebooks_dir or paths.NOTEBOOKS
    candidate = folder / f"{text}.ipynb"
    if not candidate.is_file():
        known = sorted(p.stem for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        hint = f" (known: {', '.join(known)})" if known else f" (no notebooks in {folder})"
        raise UsageError(f"no report notebook {text!r}{hint}")
    candidate = candidate.resolve()
    _check_notebook(candidate)
    return candidate


def _report_hint(text: str) -> str:
    """For a notebook file name that does not exist here but is a report's notebook
    (``country_profile.ipynb`` typed in the checkout, where the file is
    ``notebooks/country_profile.ipynb``): the report's name to give instead; else ``""``."""
    name = Path(text.strip())
    if len(name.parts) != 1 or not (paths.NOTEBOOKS / name.name).is_file():
        return ""
    return (f" here; the report notebook of that name is {paths.NOTEBOOKS / name.name}: give "
            f"the report's name, {name.stem}")


def _stat(path: Path) -> Any:
    try:
        return path.stat()
    except OSError as err:
        raise UsageError(f"notebook {path}: cannot be read ({err.strerror})") from None


def _check_notebook(path: Path) -> None:
    """Refuse a file that is not a readable Jupyter notebook, in one line without its content."""
    stat = _stat(path)
    problem = _notebook_problem(str(path), stat.st_mtime_ns, stat.st_size)
    if problem and problem.startswith("language "):
        raise UsageError(f"{path} is a notebook in {problem.removeprefix('language ')}; reports "
                         "run in Python kernels")
    if problem:
        raise UsageError(f"{path} is not a Jupyter notebook ({problem})")


@functools.lru_cache(maxsize=64)
def _notebook_problem(path: str, mtime_ns: int, size: int) -> str | None:
    import json

    if size > MAX_NOTEBOOK_BYTES:
        return f"{size:,} bytes, too large for a report notebook"
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        return f"cannot be read: {err.strerror}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except ValueError:
        return "not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) \
            or not isinstance(data.get("nbformat"), int):
        return "JSON without notebook cells"
    if data["nbformat"] < 4:
        return f"nbformat {data['nbformat']}; report notebooks are nbformat 4"
    language = _language(data.get("metadata"))
    if language not in (None, "python"):
        return f"language {language[:40]!r}"
    return None


def _language(metadata: object) -> str | None:
    """A notebook's language as its metadata states it (``kernelspec.language``, else
    ``language_info.name``), lower case; ``None`` when it states none (run as Python)."""
    if not isinstance(metadata, dict):
        return None
    for key, field_ in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(field_), str) and value[field_]:
            return value[field_].strip().lower()
    return None


def notebook_title(notebook: str | Path) -> str:
    """The notebook's own title: the first level-1 Markdown heading (``# The pledge
    landscape``), else its file name in words. For the run's front page."""
    import json

    path = Path(notebook)
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        cells = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            text = "".join(src) if isinstance(src, list) else str(src)
            for line in text.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem.replace("_", " ").capitalize()


def declared_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell: ``{name: {"name", "inferred_type_name", "default",
    "help"}}`` as papermill's ``inspect_notebook`` reads it (defaults are source text).
    A notebook papermill cannot read raises :class:`UsageError` (one line, no content)."""
    path = Path(notebook).resolve()
    stat = _stat(path)
    return {k: dict(v) for k, v in _inspect(str(path), stat.st_mtime_ns, stat.st_size).items()}


#: The type a parameter without an annotation gets from its default (``x = 1`` is an int).
_LITERAL_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list",
                  dict: "dict"}


def _typed(info: dict[str, Any]) -> dict[str, Any]:
    """A parameter as papermill reads it, with the type of its default when it has no
    annotation (papermill says ``None``, and ``-p flag no`` would then reach the notebook as
    the text ``"no"``, which is true)."""
    if str(info.get("inferred_type_name") or "None") not in ("None", ""):
        return info
    default = _default_of(info, _NOT_A_LITERAL)
    if default is _NOT_A_LITERAL:
        return info
    kind = _LITERAL_TYPES.get(type(default))
    return {**info, "inferred_type_name": kind} if kind else info


@functools.lru_cache(maxsize=64)
def _inspect(path: str, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    problem = _notebook_problem(path, mtime_ns, size)
    if problem:
        raise UsageError(f"{path} is not a Jupyter notebook ({problem})")
    try:
        # read as the runner executes it: with the python3 kernel, whatever kernelspec it names
        cell = _parameters_cell(path)
        if cell is None:
            return {}
        found = {p.name: _typed(p._asdict()) for p in _python_translator().inspect(
            {"source": cell})}
        return _with_missed(cell, found)
    except Exception as err:  # noqa: BLE001 - whatever papermill says, say it in one line
        raise UsageError(f"{path}: cannot read its parameters cell "
                         f"({type(err).__name__})") from None


def _with_missed(cell: str, found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``found`` (papermill's reading of the parameters cell) with the assignments it misses,
    in the cell's order: papermill's pattern reads no annotation holding ``|`` or a dot
    (``a: int | None = None``, ``b: typing.Optional[int] = None``), so such a parameter could
    be neither listed nor set. A cell Python cannot parse is left to papermill's reading."""
    try:
        tree = ast.parse(cell)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return found
    out: dict[str, dict[str, Any]] = {}
    lines = cell.splitlines()
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            name, kind = node.target.id, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name, kind = node.targets[0].id, "None"
        else:
            continue
        if name in found:
            out[name] = found[name]
            continue
        end = lines[node.end_lineno - 1] if node.end_lineno else ""  # the comment after it
        comment = end[node.end_col_offset:].partition("#")[2].strip()
        out[name] = _typed({"name": name, "inferred_type_name": kind,
                            "default": ast.get_source_segment(cell, node.value) or "",
                            "help": comment})
    return {**out, **{k: v for k, v in found.items() if k not in out}}


def _parameters_cell(path: str) -> str | None:
    """Source of the first code cell tagged ``parameters`` (papermill's rule), or ``None``."""
    import json

    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    for cell in nb.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and "parameters" in tags:
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return None


@functools.cache
def _python_translator() -> Any:
    """papermill's ``PythonTranslator`` — the code that reads a parameters cell exactly as
    papermill will when it injects the values — loaded on its own: importing ``papermill``
    itself would cost a second or more (nbclient, ZeroMQ, pyarrow...), most of ``p2c params``.
    ``translators.py`` needs only ``exceptions.py`` and ``models.py``; they are loaded as a
    private copy (``_p2c_papermill``), leaving the real ``papermill`` package untouched."""
    import importlib
    import importlib.util
    import sys
    import types

    try:
        spec = importlib.util.find_spec("papermill")  # finds, does not import
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("papermill")
        if "_p2c_papermill" not in sys.modules:
            stand_in = types.ModuleType("_p2c_papermill")
            stand_in.__path__ = list(spec.submodule_search_locations)
            sys.modules["_p2c_papermill"] = stand_in
        return importlib.import_module("_p2c_papermill.translators").PythonTranslator
    except ImportError:  # an unusual installation: the whole package then
        from papermill.translators import PythonTranslator

        return PythonTranslator


def describe_parameters(notebook: str | Path) -> str:
    """Human-readable list of a notebook's parameters (``p2c params``): name, type, default,
    help; which ones :func:`params.validate` checks and which the runner sets. One line per
    parameter, written as it prints (``limits.terminal_safe``): a notebook's name, defaults and
    comments are its own text, and escape sequences in them reached the terminal."""
    from p2c_analysis.limits import terminal_safe

    nb = resolve_notebook(notebook)
    declared = declared_parameters(nb)
    if not declared:
        return terminal_safe(f"{nb.stem}: no parameters (no cell tagged 'parameters')")
    width = max(len(n) for n in declared)
    lines = [f"Parameters of {nb.stem} ({nb}):"]
    for name, info in declared.items():
        kind = info.get("inferred_type_name") or "None"
        text = f"  {name:<{width}}  {kind:<6} default {info.get('default')}"
        notes = []
        if info.get("help"):
            notes.append(str(info["help"]))
        if name in P.RUNNER_PARAMETERS and "runner" not in str(info.get("help")):
            notes.append("set by the runner")
        elif name in P.KNOWN_PARAMETERS and name not in P.RUNNER_PARAMETERS:
            notes.append("checked by params.validate")
        if notes:
            text += "  # " + "; ".join(notes)
        lines.append(text)
    return "\n".join(terminal_safe(line) for line in lines)


def effective_parameters(notebook: str | Path, passed: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter (but ``output_dir``) with the value a report runs with: the
    passed value, else the notebook's default (a Python literal; its source text otherwise)."""
    out: dict[str, Any] = {}
    for name, info in declared_parameters(notebook).items():
        if name in P.RUNNER_PARAMETERS:
            continue
        if name in passed:
            out[name] = passed[name]
            continue
        out[name] = _default_of(info, info.get("default"))
    return out


#: Parameters whose empty value means "today": the runner fills them with the run's day, so
#: every report of a run (and of a resumed run, however much later) is judged at one date.
TODAY_PARAMETERS: tuple[str, ...] = ("as_of",)


def prepare_parameters(
    notebook: Path,
    given: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check ``given`` against what ``notebook`` declares and normalise the values.

    Names the notebook does not declare and runner-owned names (``output_dir``) raise
    :class:`params.ParameterError`; every value goes through :func:`params.validate_declared`
    (the notebook's declared types for names ``params`` does not know). Returns literals fit
    for papermill (dates as ISO text). An empty value of a :data:`TODAY_PARAMETERS` name is
    left out, as if not given: the runner fills it with the run's day.
    """
    declared = declared_parameters(notebook) if declared is None else declared
    # "-p as_of ''" is the default said aloud: left to the runner, not fixed at today's date
    given = {name: value for name, value in given.items()
             if not (name in TODAY_PARAMETERS and (value is None or str(value).strip() == ""))}
    for name, value in given.items():
        if name in P.RUNNER_PARAMETERS:
            raise P.ParameterError(name, value, "is set by the runner (use --out for the folder)")
        if name not in declared:
            raise P.UnknownParameterError(name, value, notebook.stem,
                                          _declared_text(name, [declared]))
    types = {name: declared[name].get("inferred_type_name") for name in given}
    return _keep_noted_country(given, P.for_notebook(P.validate_declared(given, types)))


def _keep_noted_country(given: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with ``country`` as written (stripped) when that name is read as one economy
    of several (``countries.ambiguous_reading``: ``Korea``, ``Congo``, ``Micronesia``), not its
    ISO3 code: the report resolves it again, to the same code, and says under its title how
    it was read (``report.country_reading``), as it does in JupyterLab. Given only ``KOR``,
    whose display name "Republic of Korea" is not ambiguous, the report had nothing to note."""
    from p2c_analysis import countries

    text = given.get("country")
    if "country" in values and isinstance(text, str) and \
            countries.ambiguous_reading(text) is not None:
        return {**values, "country": text.strip()}
    return values


def _normalised(name: str, value: Any) -> Any:
    """A prepared value as it names a report: a ``country`` by its ISO3 code (``Korea``, kept
    as written by :func:`_keep_noted_country`, is ``KOR`` and ``-p country KOR`` the same
    report, in a folder ``...-KOR``), any other value as it is."""
    if name == "country" and isinstance(value, str):
        from p2c_analysis import countries

        return countries.try_resolve(value) or value
    return value


def _identity(name: str, value: Any) -> str:
    """What makes two values of parameter ``name`` one report (:func:`_normalised`)."""
    import json

    return json.dumps(_normalised(name, value), sort_keys=True, default=str)


# --- what to render ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSpec:
    """One report to render: folder ``name`` in the run, source ``notebook``, the validated
    ``parameters`` given (without ``output_dir``, which the runner adds), and ``filled``: the
    values the runner gives parameters left to their default where the default depends on
    when a report runs (``as_of`` = the run's date: see :func:`p2c_analysis.runner.render`);
    the kernel gets both, the manifest's ``parameters`` only what was given."""

    name: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    filled: dict[str, Any] = field(default_factory=dict)

    def kernel_parameters(self) -> dict[str, Any]:
        """The parameters the report's kernel gets (but ``output_dir``)."""
        return {**self.filled, **self.parameters}


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(text: Any, max_len: int = 80) -> str:
    """A folder name derived from ``text``: ASCII letters, digits, ``_``, ``-`` and single dots
    only; no ``/``, no ``..``, no leading dot or dash. Raises :class:`UsageError` when nothing
    usable remains."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = _UNSAFE.sub("-", ascii_text)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"-{2,}", "-", name).strip(".-")[:max_len].strip(".-")
    if not name:
        raise UsageError(f"cannot make a folder name from {str(text)!r}")
    return name


def _name_or_digest(text: Any, prefix: str, digest_of: str, max_len: int = 80) -> str:
    """:func:`safe_name` of ``text``; when nothing usable remains (no ASCII letter or digit:
    ``日本``), ``<prefix>-<first 8 hex digits of the SHA-256 of digest_of>``, so that such a
    value or notebook does not stop the run and distinct ones get distinct names."""
    try:
        return safe_name(text, max_len=max_len)
    except UsageError:
        import hashlib

        return f"{prefix}-{hashlib.sha256(digest_of.encode()).hexdigest()[:8]}"


#: Names in a run folder that are the run's own (a report named so gets ``-2``).
RUN_FOLDER_NAMES = frozenset({"logs", "manifest.json", "index.html", "latest", ".kernels",
                              ".lock"})
#: Endings of the runner's own folders for a report (``<name>.partial/``, ``<name>.FAILED/``):
#: a report named so gets ``-2`` too (compared without case).
RUN_FOLDER_SUFFIXES = (".partial", ".failed")


def _reserved(name: str) -> bool:
    """Whether ``name`` is the run folder's own or ends like a report's working or failed
    folder (``b.FAILED`` is where report ``b`` goes when it fails)."""
    low = name.lower()
    return low in RUN_FOLDER_NAMES or low.endswith(RUN_FOLDER_SUFFIXES)


def _unique_names(specs: list[ReportSpec]) -> list[ReportSpec]:
    """Second and later reports with the same folder name get ``-2``, ``-3``... (compared
    without case: ``KEN`` and ``ken`` are one folder on macOS and Windows), never a name
    another report already has, nor one of the run folder's own (:data:`RUN_FOLDER_NAMES`:
    a notebook named ``logs`` crashed the run), nor one ending in ``.partial`` or ``.FAILED``
    (:data:`RUN_FOLDER_SUFFIXES`: the runner's folders for another report)."""
    taken = {s.name.lower() for s in specs}
    seen: set[str] = set()
    out = []
    for spec in specs:
        name, n = spec.name, 1
        while _reserved(name) or name.lower() in seen or \
                (name != spec.name and name.lower() in taken):
            n += 1
            name = f"{spec.name}-{n}"
        seen.add(name.lower())
        out.append(spec if name == spec.name else
                   ReportSpec(name, spec.notebook, spec.parameters, spec.filled))
    return out


def plan_render(
    notebooks: Sequence[str | Path] | None, given: Mapping[str, Any] | None = None
) -> list[ReportSpec]:
    """Reports for ``p2c render``: each notebook once, however often it is named (by name or
    path; none = :data:`STANDARD_REPORTS`, without the reports that cannot read one pledge file
    when ``pledges`` is given: :func:`left_out_for_a_pledge_file`).

    Each given parameter goes to the notebooks that declare it; a name that none of them
    declares raises :class:`params.ParameterError`. All values are checked here, before
    anything is launched.
    """
    given = dict(given or {})
    _say_ambiguous_country(given.get("country"))
    paths_ = list(dict.fromkeys(resolve_notebook(n).resolve()
                                for n in (notebooks or STANDARD_REPORTS)))
    declared = {p: declared_parameters(p) for p in paths_}
    if not notebooks and given.get("pledges"):  # the standard set on one's own pledge file
        paths_ = [p for p in paths_ if p.stem not in left_out_for_a_pledge_file(declared[p], p)]
    for name, value in given.items():
        if name in P.RUNNER_PARAMETERS:
            raise P.ParameterError(name, value, "is set by the runner (use --out for the folder)")
        if not any(name in d for d in declared.values()):
            which = paths_[0].stem if len(paths_) == 1 else "any of the selected notebooks"
            raise P.UnknownParameterError(name, value, which,
                                          _declared_text(name, declared.values()))
    specs = []
    for p in paths_:
        mine = {k: v for k, v in given.items() if k in declared[p]}
        if "mapping" in mine and len(paths_) > 1 and \
                not any(n in mine for n in P.PLEDGE_FILE_PARAMETERS):
            del mine["mapping"]  # it reads the pledge file of the others (none goes to this one)
        specs.append(ReportSpec(_name_or_digest(p.stem, "notebook", p.stem), p,
                                prepare_parameters(p, mine, declared[p])))
    _mapping_has_a_file(given, specs)
    _comparison_dates_checked(specs)
    return _unique_names(specs)


def _declared_text(name: str, declared: Iterable[Mapping[str, Any]]) -> str:
    """What the notebooks declare, for the error on an undeclared name (the runner's own
    parameters left out): :func:`params.declared_text`."""
    return P.declared_text(name, declared, leave_out=P.RUNNER_PARAMETERS)


def _mapping_has_a_file(given: Mapping[str, Any], specs: Sequence[ReportSpec]) -> None:
    """A ``mapping`` given for a run must reach a report that reads a pledge file with it
    (``params.PLEDGE_FILE_PARAMETERS``); otherwise :class:`params.ParameterError`, instead of
    a mapping ignored without a word. A mapping given as a value of ``--over mapping=...``
    counts too (it reached the report, which stopped in its kernel)."""
    mapping = given.get("mapping") or next(
        (s.parameters["mapping"] for s in specs if s.parameters.get("mapping")), None)
    if mapping and not any(
            "mapping" in s.parameters and P.names_a_pledge_file(s.parameters) for s in specs):
        raise P.ParameterError("mapping", mapping, P.MAPPING_WITHOUT_FILE)


def _comparison_dates_checked(specs: Sequence[ReportSpec]) -> None:
    """The dates of a comparison (``previous`` / ``current``, as :func:`prepare_parameters`
    gives them: dates as ISO text, an empty ``as_of`` left out for the run's day), checked
    before anything runs; :class:`params.ParameterError` (one line) when

    - ``previous`` and ``current`` are two dates of the public record, the previous one later
      (a comparison backwards in time: its new pledges are the ones that left, and its card
      and summary would say so with no word); two pledge files carry no date of their own and
      a snapshot keeps its own (its report says when it runs backwards);
    - ``as_of`` is given and no report of the run reads it: it dates an empty ``current`` and
      the pledge files, so beside a date ``current`` and a date (or empty) ``previous`` it was
      shown in the header and changed nothing (beside a snapshot, which keeps its own date, it
      is let pass: the snapshot's report says its date)."""
    def is_date(value: Any) -> bool:  # prepare_parameters gives a date as YYYY-MM-DD
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value or "")))

    as_of = next((s.parameters["as_of"] for s in specs if s.parameters.get("as_of")), None)
    used = not as_of
    for spec in specs:
        values = spec.parameters
        if not any(n in values for n in ("previous", "current")):
            used = used or "as_of" in values  # a report of one date reads it
            continue
        prev, cur = values.get("previous") or "", values.get("current") or ""
        day = cur or values.get("as_of") or utc_today().isoformat()
        if is_date(prev) and is_date(day) and prev > day:
            raise P.ParameterError("previous", prev, f"is after current ({day}"
                                   f"{'' if cur else ', the date of an empty current'}): "
                                   "swap them to compare forwards in time")
        used = used or ("as_of" in values and not (is_date(cur) and (not prev or is_date(prev))))
    if not used:
        raise P.ParameterError("as_of", as_of, AS_OF_UNUSED)


#: Why an ``as_of`` beside two dated sides of a comparison is refused.
AS_OF_UNUSED = ("dates only an empty current and pledge files, and here both sides are dates "
                "of the public record (leave as_of out)")


def left_out_for_a_pledge_file(declared: Mapping[str, Any], notebook: Path) -> set[str]:
    """``{notebook name}`` when a report of the standard set reads pledges but not a single
    pledge file (``pledge_changes`` compares two tables: ``previous`` / ``current``): given
    ``-p pledges FILE``, it would report on the bundled public record instead, without a word;
    it is left out of the run (``p2c render`` says so)."""
    reads_other = any(n in declared for n in P.PLEDGE_FILE_PARAMETERS if n != "pledges")
    return {notebook.stem} if reads_other and "pledges" not in declared else set()


def expand_values(name: str, text: str, as_of: dt.date | int | None = None) -> list[str]:
    """The values of ``--over NAME=VALUES``: a comma list (a value holding a comma in double
    quotes: ``"a, b",c``); for ``country``, names with commas also come whole without quotes
    (``Congo, Dem. Rep.,KEN``: the longest run of parts that names a country is taken, as in
    pledge cells), and each group label (such as ``LDC`` or ``SIDS``) stands for its members
    as of ``as_of`` (``countries.members``: a date, or an int year for 1 July of it; ``None``:
    the UTC day, as the run's day), so ``LDC,SIDS,KEN`` is every LDC, then every SIDS, then
    Kenya (a country in two of them is rendered once: see :func:`plan_grid`).
    :func:`_expand_axis` gives the run's membership date (:func:`run_as_of`)."""
    if not str(text).strip():
        raise UsageError(f"--over {name}=: no values given")
    quoted_empty = "\x00"  # a value written "" (a stray comma is refused instead)
    marked = re.sub(r'(?:(?<=^)|(?<=,))\s*""\s*(?=,|$)', quoted_empty, str(text))
    try:
        reader = csv.reader([marked, ""], skipinitialspace=True)
        cells = next(reader, [])
    except csv.Error as err:
        raise UsageError(f"--over {name}=: {err}") from None
    if reader.line_num > 1:  # a quote left open read on past the end: 'equal,"population'
        raise UsageError(f'--over {name}=: a double quote is not closed (a value with commas '
                         'goes in double quotes: "a, b",c)')
    parts = [v.strip() for v in cells]
    for i, part in enumerate(parts, 1):
        if not part:
            raise UsageError(f"--over {name}=: value {i} of {len(parts)} is empty (a stray "
                             'comma?); write "" for an empty value')
    parts = ["" if v == quoted_empty else v for v in parts]
    if name != "country":
        return parts
    from p2c_analysis import countries

    values: list[str] = []
    for part in _country_names(parts):
        if countries.try_resolve(part) is not None:  # a country first, as -p reads it:
            # "Micronesia" is the Federated States, not the UN subregion of that name
            _say_ambiguous_country(part)
            values.append(part)
            continue
        when = as_of or utc_today()
        _say_unconfirmed(part, when)
        if (region := countries.ambiguous_region_reading(part)) is not None:  # "Africa"
            print(f"p2c: note: {region.note(part, ' (--over country)')}", file=sys.stderr)
        try:
            members = list(countries.members(part, when))
        except (KeyError, ValueError, LookupError):  # UnknownGroupError: not a group
            members = []
        values.extend(members or [part])
    return values


def _say_ambiguous_country(text: object) -> None:
    """On stderr, one line when ``text``, a value of ``country``, is a short name read as one
    economy that may mean another or a group (:func:`countries.ambiguous_reading`: ``Congo``
    is the Republic of the Congo, ``Korea`` the Republic of Korea, ``Micronesia`` the
    Federated States): the reading, the alternative and what to write for it, as the pledge
    loader notes it."""
    from p2c_analysis import countries

    if not isinstance(text, str):  # a list from a YAML file: refused by params, not read here
        return
    if (entry := countries.ambiguous_reading(text)) is not None:
        note = entry.note(str(text).strip(), " (parameter country)")
        print(f"p2c: note: {note}", file=sys.stderr)


def _say_unconfirmed(group: str, as_of: dt.date) -> None:
    """On stderr: the members of ``group`` as of ``as_of`` whose scheduled departure date has
    passed by then without the data confirming it (:func:`countries.unconfirmed_changes`)."""
    from p2c_analysis import countries

    try:
        due = countries.unconfirmed_changes(group, as_of)
    except (KeyError, ValueError, LookupError):
        return
    for row in due.itertuples(index=False):
        verb = "leave" if row.change == "leave" else "join"
        print(f"p2c: note: {countries.country_name(row.iso3)} was scheduled to {verb} {group} "
              f"on {row.effective_date}; the data do not confirm it, so it is rendered as a "
              "member", file=sys.stderr)


def _country_names(parts: list[str]) -> list[str]:
    """Comma-split parts with the names that hold commas joined again: at each position the
    longest run of at most ``parsing.MAX_NAME_PARTS`` parts that names a country or a group
    (``Congo, Dem. Rep.`` before ``Congo``); a part that joins nothing stays as it is."""
    from p2c_analysis import countries, parsing

    def known(text: str) -> bool:
        return countries.try_resolve(text) is not None or P.names_a_group(text)

    out, i = [], 0
    while i < len(parts):
        for k in range(min(parsing.MAX_NAME_PARTS, len(parts) - i), 1, -1):
            joined = ", ".join(parts[i:i + k])
            if known(joined):
                out.append(joined)
                i += k
                break
        else:
            out.append(parts[i])
            i += 1
    return out


def run_as_of(given: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
              ) -> dt.date | int:
    """The date a run's groups are taken at (``--over country=LDC``), as the user sets it: a
    ``year`` given (``-p``/``-f``) to a notebook that declares it (the analysis year, in which
    a profile names its countries' groups, as of 1 July: ``profiles.groups``), so ``--over
    country=LDC -p year 2015`` is the LDCs a 2015 profile names; else an ``as_of`` given (or
    the notebook's own non-empty default); else the run's day, UTC (:func:`utc_today`): with
    the defaults, ``--over country=LDC`` is today's LDCs, not those of the latest data year. An
    int is a year, read by ``countries.as_of_date`` as 1 July. A bad value raises
    :class:`params.ParameterError`."""
    if _year_given(given, declared):
        return P.to_int("year", given["year"])
    value = given.get("as_of")
    if (value is None or str(value).strip() == "") and "as_of" in declared:
        value = _default_of(declared["as_of"])
    return P.to_date("as_of", value)  # empty: today, UTC


def _year_given(given: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a ``year`` is given (``-p``/``-f``, not empty) to notebooks that declare it."""
    return "year" in declared and str(given.get("year") or "").strip() != ""


#: :func:`_default_of`'s fallback where "not a literal" must differ from a default ``None``.
_NOT_A_LITERAL = object()


def _default_of(parameter: Mapping[str, Any], fallback: Any = None) -> Any:
    """A declared parameter's default value (papermill's ``default``, the source text of a
    literal), ``fallback`` when it is not a literal."""
    try:
        return ast.literal_eval(str(parameter.get("default")))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return fallback


def _expand_axis(name: str, values: str, over: Sequence[tuple[str, Any]],
                 given: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
                 ) -> list[str]:
    """The values of ``--over NAME=VALUES`` (:func:`expand_values`), a group of countries as of
    the run's membership date (:func:`run_as_of`): ``--over country=LDC -p year 2015`` is the
    LDCs of 2015, not today's. When the parameter that sets it (``year`` or ``as_of``) is
    itself an ``--over`` axis, each of its values must give the same members, else
    :class:`UsageError` (one batch per year or date instead)."""
    if name != "country":
        return expand_values(name, values)
    key = "year" if "year" in declared and any(n == "year" for n, _ in over) else "as_of"
    axis = [v for n, v in over if n == key]
    if not axis or (key == "as_of" and _year_given(given, declared)):  # a year given decides
        return expand_values(name, values, run_as_of(given, declared))
    whens = axis[0] if not isinstance(axis[0], str) else expand_values(key, axis[0])
    expansions = {tuple(expand_values(name, values, run_as_of({key: w}, declared)))
                  for w in dict.fromkeys(str(w) for w in whens)}
    if len(expansions) > 1:
        raise UsageError(f"--over country={P.cut(values)}: a group's members differ between "
                         f"the values of --over {key}=; run one batch per value (-p {key} …)")
    return list(next(iter(expansions)))


def parse_over(text: str) -> tuple[str, str]:
    """``"NAME=VALUES"`` → ``(NAME, VALUES)``."""
    name, sep, values = str(text).partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--over expects NAME=VALUES, got {text!r}")
    return name.strip(), values.strip()


def plan_batch(
    notebook: str | Path, name: str, values: str | Sequence[Any], given: Mapping[str, Any] | None
) -> list[ReportSpec]:
    """Reports for ``p2c batch --over NAME=VALUES``: one per value of parameter ``name``;
    :func:`plan_grid` with one parameter."""
    return plan_grid(notebook, [(name, values)], given)


def plan_grid(
    notebook: str | Path,
    over: Sequence[tuple[str, str | Sequence[Any]]],
    given: Mapping[str, Any] | None,
) -> list[ReportSpec]:
    """Reports for ``p2c batch``: one per combination of the values of the parameters in
    ``over`` (``[(NAME, VALUES)]``, VALUES a comma list / group label, or a sequence; several
    ``--over``: every combination, the first parameter varying slowest), folders
    ``<notebook>-<value>[-<value>...]`` (each value after normalisation, e.g. the ISO3 code).

    Every combination is validated before anything runs. Values of one parameter that are
    identical after normalisation are rendered once; distinct values always get distinct
    folders: when two labels of a parameter would collide (``"a b"`` and ``"a-b"``, long values
    cut, ``KEN`` and ``ken``), each colliding label gets a short hash of its value. An empty
    value (``""``: the parameter's default, for ``as_of`` the run's day) is labelled
    ``default``. A value with
    no ASCII letter or digit (``日本``) is labelled ``<parameter>-<short hash of its value>``
    (a notebook name so: ``notebook-<hash>``). A parameter
    given twice, or both in ``over`` and in ``given``, raises :class:`UsageError`."""
    import hashlib
    import itertools

    given = dict(given or {})
    names = [name for name, _ in over]
    if not names:
        raise UsageError("--over: no parameter given")
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"--over {name}= is given twice (give its values in one list)")
        if name in given:
            raise UsageError(f"parameter {name!r} is given both with -p/-f and with --over")
    _say_ambiguous_country(given.get("country"))
    nb = resolve_notebook(notebook)
    declared = declared_parameters(nb)
    axes = [_expand_axis(name, values, over, given, declared) if isinstance(values, str)
            else list(values) for name, values in over]
    chosen: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    seen: set[tuple[str, ...]] = set()
    for combination in itertools.product(*axes):
        prepared = prepare_parameters(nb, {**given, **dict(zip(names, combination, strict=True))},
                                      declared)
        # an empty as_of is left out of ``prepared`` (the run's day): its identity is ""
        identity = tuple(_identity(n, prepared.get(n, "")) for n in names)
        if identity not in seen:
            seen.add(identity)
            chosen.append((identity, prepared))
    width = max(16, 70 // len(names))  # a folder name stays well under the 255 bytes allowed
    labels: list[dict[str, str]] = []  # per parameter: value identity → its folder label
    for k, name in enumerate(names):
        distinct = {identity[k]: _normalised(name, prepared.get(name, ""))
                    for identity, prepared in chosen}
        prefix = _name_or_digest(name, "value", name, max_len=width - 9)
        plain = {ident: _name_or_digest(value if value != "" else "default", prefix, ident,
                                        max_len=width)
                 for ident, value in distinct.items()}
        counts: dict[str, int] = {}
        for label in plain.values():
            counts[label.lower()] = counts.get(label.lower(), 0) + 1
        labels.append({
            ident: label if counts[label.lower()] == 1 else
            f"{label}-{hashlib.sha256(ident.encode()).hexdigest()[:8]}"
            for ident, label in plain.items()})
    stem = _name_or_digest(nb.stem, "notebook", nb.stem)
    specs = [ReportSpec("-".join([stem, *(labels[k][ident] for k, ident in enumerate(identity))]),
                        nb, prepared) for identity, prepared in chosen]
    _mapping_has_a_file(given, specs)
    _comparison_dates_checked(specs)
    return _unique_names(specs)
