"""Rendering report notebooks with papermill: parameters checked first, reports in parallel.

One run writes ``<out>/<run-id>/`` (run-id = UTC timestamp + random suffix, sortable) with one
folder per report, ``<notebook>[-<value>]/``, holding the executed notebook, its HTML (code
hidden, opens offline) and the tables the notebook wrote; plus ``manifest.json`` (parameters,
versions, git commit, SHA-256 of the data files each report read, status and timings) and
``logs/`` (kernel chatter, kept out of the terminal). ``<out>/latest`` points to the newest run.

A report is rendered in ``<name>.partial/`` and renamed to ``<name>/`` only when it succeeded, or
to ``<name>.FAILED/`` (keeping the executed notebook with papermill's error banner), so a folder
without a suffix is always a complete report. Nothing is written outside ``<out>``.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from p2c_analysis import params as P
from p2c_analysis import paths

#: The standard report set rendered by ``p2c render`` without arguments (``make reports``).
STANDARD_REPORTS: tuple[str, ...] = (
    "connectivity_gap",
    "pledge_landscape",
    "gap_coverage",
    "country_profile",
    "implementation_progress",
)

#: Parameters the runner sets itself; users may not pass them.
RUNNER_PARAMETERS: tuple[str, ...] = ("output_dir",)

#: Environment of every kernel: no GUI, no start-up chatter. Matplotlib draws with Agg through
#: the inline backend (plain ``Agg`` would drop every figure from the report: nothing displays
#: them); setting it explicitly overrides a GUI backend a user's shell may export.
KERNEL_ENV: dict[str, str] = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}

_KERNEL_NAME = "python3"


class UsageError(ValueError):
    """A bad command (unknown notebook, malformed ``--over``...): one line, exit code 2."""


# --- notebooks and their parameters ------------------------------------------------------------
def resolve_notebook(ref: str | Path, notebooks_dir: Path | None = None) -> Path:
    """Path of a report notebook: a report name (``"country_profile"`` →
    ``notebooks/country_profile.ipynb``) or a path to an ``.ipynb`` file."""
    text = str(ref)
    path = Path(text).expanduser()
    if text.endswith(".ipynb") or path.is_file():
        if not path.is_file():
            raise UsageError(f"notebook {text!r} does not exist")
        return path.resolve()
    folder = notebooks_dir or paths.NOTEBOOKS
    candidate = folder / f"{text}.ipynb"
    if not candidate.is_file():
        known = sorted(p.stem for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        hint = f" (known: {', '.join(known)})" if known else f" (no notebooks in {folder})"
        raise UsageError(f"no report notebook {text!r}{hint}")
    return candidate.resolve()


def declared_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell: ``{name: {"name", "inferred_type_name", "default",
    "help"}}`` as papermill's ``inspect_notebook`` reads it (defaults are source text)."""
    path = Path(notebook).resolve()
    stat = path.stat()
    return {k: dict(v) for k, v in _inspect(str(path), stat.st_mtime_ns, stat.st_size).items()}


@functools.lru_cache(maxsize=64)
def _inspect(path: str, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    import papermill

    return dict(papermill.inspect_notebook(path))


def describe_parameters(notebook: str | Path) -> str:
    """Human-readable list of a notebook's parameters (``p2c params``): name, type, default,
    help; which ones :func:`params.validate` checks and which the runner sets."""
    nb = resolve_notebook(notebook)
    declared = declared_parameters(nb)
    if not declared:
        return f"{nb.stem}: no parameters (no cell tagged 'parameters')"
    width = max(len(n) for n in declared)
    lines = [f"Parameters of {nb.stem} ({nb}):"]
    for name, info in declared.items():
        kind = info.get("inferred_type_name") or "None"
        text = f"  {name:<{width}}  {kind:<6} default {info.get('default')}"
        notes = []
        if info.get("help"):
            notes.append(str(info["help"]))
        if name in RUNNER_PARAMETERS and "runner" not in str(info.get("help")):
            notes.append("set by the runner")
        elif name in P.KNOWN_PARAMETERS and name not in RUNNER_PARAMETERS:
            notes.append("checked by params.validate")
        if notes:
            text += "  # " + "; ".join(notes)
        lines.append(text)
    return "\n".join(lines)


def effective_parameters(notebook: str | Path, passed: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter (but ``output_dir``) with the value a report runs with: the
    passed value, else the notebook's default (a Python literal; its source text otherwise)."""
    out: dict[str, Any] = {}
    for name, info in declared_parameters(notebook).items():
        if name in RUNNER_PARAMETERS:
            continue
        if name in passed:
            out[name] = passed[name]
            continue
        try:
            out[name] = ast.literal_eval(str(info.get("default")))
        except (ValueError, SyntaxError):
            out[name] = info.get("default")
    return out


def _coerce_declared(name: str, value: Any, type_name: str | None) -> Any:
    """A value for a name params.validate does not know, converted to the declared type."""
    kind = (type_name or "").strip().lower()
    if kind in {"list", "dict", "tuple"} and isinstance(value, str):
        import yaml

        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            raise P.ParameterError(name, value, f"is not a {kind} (YAML syntax)") from None
    return P.coerce(name, value, kind)


def prepare_parameters(
    notebook: Path,
    given: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check ``given`` against what ``notebook`` declares and normalise the values.

    Names the notebook does not declare and runner-owned names (``output_dir``) raise
    :class:`params.ParameterError`; known names go through :func:`params.validate`, others are
    converted to their declared type. Returns literals fit for papermill (dates as ISO text).
    """
    declared = declared_parameters(notebook) if declared is None else declared
    for name, value in given.items():
        if name in RUNNER_PARAMETERS:
            raise P.ParameterError(name, value, "is set by the runner (use --out for the folder)")
        if name not in declared:
            names = ", ".join(n for n in declared if n not in RUNNER_PARAMETERS) or "none"
            raise P.ParameterError(
                name, value, f"is not a parameter of {notebook.stem} (it declares: {names})"
            )
    known = {k: v for k, v in given.items() if k in P.KNOWN_PARAMETERS}
    out = dict(P.validate(**known))
    for name, value in given.items():
        if name not in known:
            out[name] = _coerce_declared(name, value, declared[name].get("inferred_type_name"))
    return P.for_notebook({name: out[name] for name in given})


# --- what to render ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSpec:
    """One report to render: folder ``name`` in the run, source ``notebook``, and the
    validated ``parameters`` (without ``output_dir``, which the runner adds)."""

    name: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)


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


def _unique_names(specs: list[ReportSpec]) -> list[ReportSpec]:
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        n = seen.get(spec.name, 0) + 1
        seen[spec.name] = n
        if n > 1:
            spec = ReportSpec(f"{spec.name}-{n}", spec.notebook, spec.parameters)
        out.append(spec)
    return out


def plan_render(
    notebooks: Sequence[str | Path] | None, given: Mapping[str, Any] | None = None
) -> list[ReportSpec]:
    """Reports for ``p2c render``: each notebook once (none = :data:`STANDARD_REPORTS`).

    Each given parameter goes to the notebooks that declare it; a name that none of them
    declares raises :class:`params.ParameterError`. All values are checked here, before
    anything is launched.
    """
    given = dict(given or {})
    paths_ = [resolve_notebook(n) for n in (notebooks or STANDARD_REPORTS)]
    declared = {p: declared_parameters(p) for p in paths_}
    for name, value in given.items():
        if name in RUNNER_PARAMETERS:
            raise P.ParameterError(name, value, "is set by the runner (use --out for the folder)")
        if not any(name in d for d in declared.values()):
            which = paths_[0].stem if len(paths_) == 1 else "any of the selected notebooks"
            raise P.ParameterError(name, value, f"is not a parameter of {which}")
    specs = []
    for p in paths_:
        mine = {k: v for k, v in given.items() if k in declared[p]}
        specs.append(ReportSpec(safe_name(p.stem), p, prepare_parameters(p, mine, declared[p])))
    return _unique_names(specs)


def expand_values(name: str, text: str) -> list[str]:
    """The values of ``--over NAME=VALUES``: a comma list, or (for ``country``) a group label
    such as ``LDC`` → its members as of today (``countries.members``)."""
    parts = [v.strip() for v in str(text).split(",")]
    parts = [v for v in parts if v]
    if not parts:
        raise UsageError(f"--over {name}=: no values given")
    if name == "country" and len(parts) == 1:
        from p2c_analysis import countries

        try:
            members = list(countries.members(parts[0]))  # as of today
        except (KeyError, ValueError, LookupError):  # UnknownGroupError: not a group
            members = []
        if members:
            return members
    return parts


def parse_over(text: str) -> tuple[str, str]:
    """``"NAME=VALUES"`` → ``(NAME, VALUES)``."""
    name, sep, values = str(text).partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--over expects NAME=VALUES, got {text!r}")
    return name.strip(), values.strip()


def plan_batch(
    notebook: str | Path, name: str, values: str | Sequence[Any], given: Mapping[str, Any] | None
) -> list[ReportSpec]:
    """Reports for ``p2c batch``: one per value of parameter ``name`` (a comma list / group
    label, or a sequence), folders ``<notebook>-<value>`` (value after normalisation, e.g. the
    ISO3 code). Every value is validated before anything runs; duplicates are rendered once."""
    given = dict(given or {})
    nb = resolve_notebook(notebook)
    declared = declared_parameters(nb)
    if name in given:
        raise UsageError(f"parameter {name!r} is given both with -p/-f and with --over")
    raw = expand_values(name, values) if isinstance(values, str) else list(values)
    specs: list[ReportSpec] = []
    seen: set[str] = set()
    for value in raw:
        prepared = prepare_parameters(nb, {**given, name: value}, declared)
        label = safe_name(prepared[name])
        if label in seen:
            continue
        seen.add(label)
        specs.append(ReportSpec(f"{safe_name(nb.stem)}-{label}", nb, prepared))
    return _unique_names(specs)


# --- executing one report (in a worker process) ------------------------------------------------
_IN_WORKER = False


def _worker_init() -> None:
    """Initialiser of the pool's worker processes."""
    global _IN_WORKER
    _IN_WORKER = True


def _stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Stop the pool at once: queued reports are dropped, running ones get SIGINT (their
    kernels are shut down, their folders stay ``.partial``), stragglers are terminated."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive() and proc.pid:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


@functools.cache
def _kernel_manager_class() -> type:
    """The kernel manager for report kernels: ``python3`` is always the ipykernel of this
    interpreter (not whatever kernelspec a user folder holds), and the ZeroMQ channels use
    CurveZMQ encryption when available, which is also what stops ipykernel 7's start-up
    warning "Kernel is running over TCP without encryption"."""
    import zmq
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if zmq.has("curve"):
                kwargs.setdefault("transport_encryption", "auto")
            super().__init__(**kwargs)

        @property
        def kernel_spec(self) -> KernelSpec | None:
            if self.kernel_name == _KERNEL_NAME:
                if getattr(self, "_p2c_spec", None) is None:
                    self._p2c_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
                return self._p2c_spec
            return super().kernel_spec

    return ReportKernelManager


@contextlib.contextmanager
def _fds_to(log_path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (file descriptors 1 and 2, inherited by the kernel)
    to ``log_path`` while the block runs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _first_line(text: Any) -> str:
    lines = [ln for ln in str(text).splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def execute_report(
    spec: ReportSpec, run_dir: str | Path, cell_timeout: float | None = None
) -> dict[str, Any]:
    """Render one report into ``run_dir`` (papermill, then HTML); return its manifest entry.
    ``cell_timeout``: seconds a cell may run before the report fails (``None`` = no limit).

    Never raises for a failing notebook: the entry has ``status`` ``"failed"``, the failing
    cell and the error. Runs in a worker process; kernel output goes to ``run_dir/logs``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(run_dir)
    partial = _inside(run_dir, f"{spec.name}.partial")
    final = _inside(run_dir, spec.name)
    failed_dir = _inside(run_dir, f"{spec.name}.FAILED")
    partial.mkdir(parents=True, exist_ok=False)
    out_nb = partial / f"{spec.notebook.stem}.ipynb"
    parameters = {**spec.parameters, "output_dir": str(partial)}
    entry: dict[str, Any] = {
        "name": spec.name,
        "notebook": _rel(spec.notebook),
        "notebook_sha256": paths.sha256(spec.notebook),
        "parameters": dict(spec.parameters),
        "status": "running",
        "started": _now(),
        "finished": None,
        "folder": None,
        "html": None,
        "failed_cell": None,
        "error": None,
    }
    os.environ.update(KERNEL_ENV)
    seconds: dict[str, float] = {}
    entry["seconds"] = seconds
    t0 = time.perf_counter()
    try:
        with _fds_to(run_dir / "logs" / f"{spec.name}.log"):
            papermill.execute_notebook(
                str(spec.notebook),
                str(out_nb),
                parameters=parameters,
                kernel_name=_KERNEL_NAME,
                kernel_manager_class=_kernel_manager_class(),
                progress_bar=False,
                log_output=False,
                execution_timeout=cell_timeout,
                cwd=str(partial),
            )
            seconds["notebook"] = round(time.perf_counter() - t0, 3)
            t1 = time.perf_counter()
            html = export_html(out_nb, partial / f"{spec.notebook.stem}.html")
            seconds["html"] = round(time.perf_counter() - t1, 3)
        entry["status"] = "ok"
    except PapermillExecutionError as err:
        entry["status"] = "failed"
        entry["failed_cell"] = {
            "index": err.cell_index,
            "execution_count": err.exec_count,
            "source_first_line": _first_line(err.source),
        }
        entry["error"] = f"{err.ename}: {_ANSI.sub('', str(err.evalue))}".strip()
    except KeyboardInterrupt:
        # Interrupted: leave <name>.partial/ as it is (never a complete-looking folder). A pool
        # worker exits at once rather than go on to the next queued report.
        if _IN_WORKER:
            os._exit(130)
        raise
    except Exception as err:  # kernel died, could not start, HTML export failed...
        entry["status"] = "failed"
        entry["error"] = f"{type(err).__name__}: {_first_line(err) or repr(err)}"
        with contextlib.suppress(OSError):
            with open(run_dir / "logs" / f"{spec.name}.log", "a") as log:
                log.write(traceback.format_exc())
    seconds.setdefault("notebook", round(time.perf_counter() - t0, 3))
    entry["finished"] = _now()
    entry.update(_read_data_files(partial, entry["status"]))
    target = final if entry["status"] == "ok" else failed_dir
    partial.rename(target)
    entry["folder"] = target.name
    if entry["status"] == "ok":
        entry["html"] = f"{target.name}/{html.name}"
    return entry


def _read_data_files(folder: Path, status: str) -> dict[str, Any]:
    path = folder / "data_files.json"
    if not path.is_file():
        note = (
            "report failed before writing data_files.json"
            if status != "ok"
            else "report did not write data_files.json"
        )
        return {"data_files": None, "data_files_note": note}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {"data_files": None, "data_files_note": f"data_files.json unreadable: {err}"}
    return {"data_files": data, "data_files_note": None}


def _inside(root: Path, name: str) -> Path:
    """``root / name``, refusing any name that would leave ``root``."""
    root = root.resolve()
    path = (root / name).resolve()
    if path.parent != root or name in {".", ".."}:
        raise UsageError(f"report folder name {name!r} leaves the output folder")
    return path


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


# --- HTML: code hidden, opens offline ----------------------------------------------------------
# nbconvert 7.17's lab template loads require.js, MathJax and Mermaid from cdnjs and (with widget
# state) the widget manager from unpkg; the report template drops all of them.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@functools.cache
def _html_exporter() -> Any:
    """The report HTML exporter (built once per process; its compiled template is reused)."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"p2c_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="p2c_offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def export_html(notebook: str | Path, html_path: str | Path) -> Path:
    """Write the executed ``notebook`` as a reviewer's HTML page: no code, no prompts, no
    stderr streams (warnings stay in the .ipynb), images embedded, no external script, style
    sheet or font. Returns ``html_path``."""
    import nbformat

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    exporter = _html_exporter()
    title = nb.metadata.get("title") or notebook.stem.replace("_", " ").capitalize()
    resources = {"metadata": {"name": title, "path": str(notebook.parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path


class _ResourceFinder(HTMLParser):
    """Collects the URLs a page would load (not plain links): script/img/iframe/source src,
    link href (style sheets, fonts, icons), CSS ``url(...)`` and ``@import``."""

    _LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
              "audio": "src", "video": "src", "link": "href", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        want = self._LOADS.get(tag)
        for key, value in attrs:
            if value and key == want:
                self.urls.append(value)
            if value and key == "style":
                self.urls.extend(_css_urls(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_css_urls(data))


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def external_resources(html: str) -> list[str]:
    """URLs an HTML page would fetch from the network (``http(s):`` or protocol-relative
    ``//``); empty for a page that opens offline. Plain ``<a href>`` links are not loads."""
    finder = _ResourceFinder()
    finder.feed(html)
    return [u for u in finder.urls if re.match(r"^\s*(https?:)?//", u, re.IGNORECASE)]


# --- a run -------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """A finished run: its id and folder, the manifest entries of its reports."""

    run_id: str
    run_dir: Path
    reports: list[dict[str, Any]]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["status"] != "ok"]

    @property
    def manifest(self) -> Path:
        return self.run_dir / "manifest.json"


def new_run_id(now: dt.datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: UTC time (sorts in time order) + 6 random hex digits."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def git_commit(root: Path | None = None) -> str:
    """The checked-out commit of the project (``git rev-parse HEAD``), or ``"unknown"``."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root or paths.ROOT, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else "unknown"


def environment_versions() -> dict[str, str]:
    """Versions of Python and the packages a report's numbers depend on."""
    out = {"python": platform.python_version()}
    for dist in ("p2c-analysis", "pandas", "numpy", "matplotlib", "papermill", "nbconvert",
                 "nbclient", "ipykernel"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def point_latest(out: Path, run_id: str) -> Path:
    """Make ``out/latest`` a symlink to the run folder (atomically); where symlinks fail,
    write the run id to ``out/LATEST`` instead. Returns the path written."""
    link = out / "latest"
    tmp = out / f".latest-{run_id}"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, link)
        return link
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        (out / "LATEST").write_text(run_id + "\n", encoding="utf-8")
        return out / "LATEST"


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork is fastest (workers inherit papermill/nbconvert imports) and safe while the parent
    # runs a single thread; otherwise the platform's default start method.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _warm_up() -> None:
    """Import and build in this process what every worker needs (papermill, the kernel
    manager, the compiled HTML template), so forked workers start warm."""
    import nbformat
    import papermill  # noqa: F401
    import papermill.engines  # noqa: F401

    _kernel_manager_class()
    _html_exporter().from_notebook_node(nbformat.v4.new_notebook())


def render(
    specs: Sequence[ReportSpec],
    out: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    command: Sequence[str] | None = None,
    cell_timeout: float | None = None,
) -> RunResult:
    """Render ``specs`` into a new run folder under ``out`` (default ``reports/``), at most
    ``workers`` at a time (default ``os.cpu_count()``), each in its own process;
    ``cell_timeout`` seconds per cell (``None`` = no limit).

    A failing report does not stop the others. ``manifest.json`` is rewritten after every
    report; ``out/latest`` is pointed to the run at the end. Parameters must already be
    validated (see :func:`plan_render`, :func:`plan_batch`).
    """
    from tqdm import tqdm

    from p2c_analysis import __version__

    if not specs:
        raise UsageError("nothing to render")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise UsageError("two reports would share a folder name")
    out = Path(out if out is not None else paths.REPORTS).expanduser().resolve()
    for s in specs:
        _inside(out, s.name)  # refuses names that would leave the output folder
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot create the folder ({err.strerror})") from err
    run_id = new_run_id()
    run_dir = out / run_id
    run_dir.mkdir()
    workers = max(1, min(workers or os.cpu_count() or 1, len(specs)))

    effective = {s.name: effective_parameters(s.notebook, s.parameters) for s in specs}
    entries: dict[str, dict[str, Any]] = {
        s.name: {"name": s.name, "notebook": _rel(s.notebook), "parameters": dict(s.parameters),
                 "effective_parameters": effective[s.name], "status": "pending"} for s in specs
    }
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "command": list(command) if command is not None else None,
        "started": _now(),
        "finished": None,
        "p2c_analysis_version": __version__,
        "versions": environment_versions(),
        "git_commit": git_commit(),
        "workers": workers,
        "reports": list(entries.values()),
    }

    def save() -> None:
        manifest["reports"] = [entries[n] for n in names]
        ok = sum(e["status"] == "ok" for e in entries.values())
        manifest["summary"] = {"reports": len(names), "ok": ok,
                               "failed": sum(e["status"] == "failed" for e in entries.values())}
        _write_json(run_dir / "manifest.json", manifest)

    save()
    _warm_up()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_worker_init)
    try:
        futures = {pool.submit(execute_report, s, run_dir, cell_timeout): s for s in specs}
        with tqdm(total=len(specs), unit="report", file=sys.stderr, disable=not progress,
                  desc=f"rendering {run_id}") as bar:
            for fut in as_completed(futures):
                spec = futures[fut]
                try:
                    entries[spec.name] = fut.result()
                    entries[spec.name]["effective_parameters"] = effective[spec.name]
                except Exception as err:  # the worker process itself died
                    entries[spec.name] = {**entries[spec.name], "status": "failed",
                                          "finished": _now(),
                                          "error": f"{type(err).__name__}: "
                                                   f"{_first_line(err) or repr(err)}"}
                if entries[spec.name]["status"] != "ok":
                    bar.write(f"FAILED {spec.name}: {entries[spec.name].get('error')}",
                              file=sys.stderr)
                bar.update(1)
                save()
    except BaseException:
        _stop_workers(pool)
        for e in entries.values():
            if e["status"] in {"pending", "running"}:
                e["status"] = "interrupted"
        manifest["finished"] = _now()
        save()
        raise
    pool.shutdown(wait=True)
    manifest["finished"] = _now()
    manifest["data_files"] = _merged_data_files(entries.values())
    save()
    point_latest(out, run_id)
    return RunResult(run_id, run_dir, [entries[n] for n in names])


def _merged_data_files(entries: Any) -> dict[str, str]:
    """Union of the reports' ``data_files`` (``{path: sha256}``)."""
    merged: dict[str, str] = {}
    for e in entries:
        files = e.get("data_files")
        if isinstance(files, dict):
            merged.update({str(k): str(v) for k, v in files.items()})
    return dict(sorted(merged.items()))


def summary(result: RunResult) -> str:
    """End-of-run text: counts, where the reports are, each failure with cell and error."""
    ok = len(result.reports) - len(result.failed)
    lines = [f"{ok} of {len(result.reports)} reports rendered into {result.run_dir}"]
    for e in result.failed:
        cell = e.get("failed_cell") or {}
        where = ""
        if cell:
            where = f" in cell {cell.get('index')} (In [{cell.get('execution_count')}])"
            if cell.get("source_first_line"):
                where += f" `{cell['source_first_line'][:60]}`"
        folder = e.get("folder") or f"{e['name']}.partial"
        error = _first_line(e.get("error"))[:200]
        lines.append(f"  FAILED {e['name']}{where}: {error}  -> {folder}/")
    return "\n".join(lines)
