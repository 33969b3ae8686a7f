"""The ``p2c`` command: check pledge files, render reports.

Every user-facing error is one line on stderr and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from p2c_analysis import paths
from p2c_analysis.params import ParameterError, cut
from p2c_analysis.planning import STANDARD_REPORTS, UsageError, check_outside_package


def _check_pledges(args: argparse.Namespace) -> int:
    from p2c_analysis.pledges import check_pledges_cli

    for flag in ("out", "quarantine"):  # '-' is standard output
        if getattr(args, flag) not in (None, "-"):
            check_outside_package(getattr(args, flag), f"--{flag}")
    _check_not_the_input(args)

    return check_pledges_cli(
        args.file, mapping=args.mapping, out=args.out, quarantine=args.quarantine
    )


def _check_not_the_input(args: argparse.Namespace) -> None:
    """``check-pledges``: refuse, in one line naming the option, an ``--out`` or
    ``--quarantine`` that is the input file or the ``--mapping`` (writing it would destroy what
    was read), or two outputs that are one file, whatever names them: the same name, a
    symbolic link or a hard link (compared as files, not names: a hard link to the input has
    a name of its own and was overwritten). ``-`` (standard input or output) is no file."""
    given = [(f"--{flag}", getattr(args, flag)) for flag in ("out", "quarantine")
             if getattr(args, flag) not in (None, "-")]
    read = [(what, name) for what, name in (("the input file", args.file),
                                            ("the --mapping file", args.mapping))
            if name not in (None, "-")]
    for i, (option, name) in enumerate(given):
        for what, source in read:
            if paths.same_file(name, source):
                raise UsageError(f"{option} {cut(str(name))}: is {what} "
                                 f"{cut(str(source))} (a link to it or its name); writing "
                                 "it would destroy what is read: choose another file")
        for other, other_name in given[:i]:
            if paths.same_file(name, other_name):
                raise UsageError(f"{option} {cut(str(name))}: is the same file as {other} "
                                 f"{cut(str(other_name))}; choose another file")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage stays in ``--help``)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _given_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """Parameters from ``-f params.yaml`` then ``-p NAME VALUE`` (later wins). The file is
    read with :func:`p2c_analysis.limits.read_yaml_parameters` (safe, no aliases, size and
    node limits); anything wrong with it is one line naming the file."""
    from p2c_analysis.limits import (
        InputFileError,
        LimitError,
        read_yaml_parameters,
        terminal_safe,
    )

    given: dict[str, Any] = {}
    if args.file_params:
        try:
            given.update(read_yaml_parameters(Path(args.file_params)))
        except (InputFileError, LimitError) as err:
            raise UsageError(terminal_safe(f"parameter file {err}")) from None
        except OSError as err:  # a name the system refuses (too long)
            raise UsageError(terminal_safe(f"parameter file {cut(args.file_params)}: cannot be "
                                           f"read ({err.strerror or err})")) from None
    seen: set[str] = set()
    for name, value in args.parameters or []:
        if name in seen:  # the last one silently won, while a YAML file refuses a repeated key
            raise UsageError(f"-p {name} is given twice; give it once")
        seen.add(name)
        given[name] = value
    return given


def _run(plan: Any, notebooks: list, args: argparse.Namespace) -> int:
    """Plan (``plan()`` returns the specs) and render; the kernel template starts first, so it
    imports and loads while the parameters are checked (and the runner is imported)."""
    from p2c_analysis import kernels

    if args.out is not None:
        check_outside_package(args.out, "--out")
    resume = Path(args.resume).expanduser() if args.resume else None
    if resume is not None and (resume.is_absolute() or len(resume.parts) > 1):
        check_outside_package(resume, "--resume")  # a run folder by its path: written into
    template = None
    if not (args.cold or args.scheduler):
        template = kernels.template_for(notebooks or list(STANDARD_REPORTS))
    try:
        from p2c_analysis import runner

        _check_workers(args.workers, runner.available_cpus())
        notes = io.StringIO()  # how values were read ("'Korea' ... read as"): said when the
        with contextlib.redirect_stderr(notes):  # run goes ahead, not above a refusal's line
            specs = plan()
        sys.stderr.write(notes.getvalue())
        result = runner.render(
            specs, out=args.out, workers=args.workers, progress=not args.no_progress,
            command=["p2c", *sys.argv[1:]], cell_timeout=args.timeout, cold=args.cold,
            scheduler=args.scheduler, resume=args.resume, template=template,
        )
    except BaseException:
        if template is not None and template.proc is not None and template.proc.poll() is None:
            template.kill()
        raise
    print(summary(result))
    return 1 if result.failed else 0


def summary(result: Any) -> str:
    """End-of-run text of a :class:`runner.RunResult`: counts, where the reports are and their
    front page, each failure with its cell, the line that raised and the error, and how many
    reports a run resumed with some of its reports only still lacks; one line for a resume
    that had nothing to do."""
    from p2c_analysis.execution import failure_location, first_line

    if getattr(result, "nothing_to_do", False):
        return _nothing_to_do_line(result)
    ok = len(result.reports) - len(result.failed)
    lines = [f"{ok} of {len(result.reports)} reports rendered into {result.run_dir}"]
    skipped = getattr(result, "skipped", None)
    if skipped:
        lines[0] += f" ({len(skipped)} already rendered, kept)"
    if (result.run_dir / "index.html").is_file():
        lines.append(f"  front page: {result.run_dir / 'index.html'}")
    for e in result.failed:
        where = failure_location(e)
        where = f" in {where}" if where else ""
        error = first_line(e.get("error"))[:200]
        # what is left of it: its folder (a report lost with its worker may have none)
        kept = [f for f in (e.get("folder"), f"{e['name']}.FAILED", f"{e['name']}.partial")
                if f and (result.run_dir / f).is_dir()]
        folder = f"  -> {kept[0]}/" if kept else ""
        lines.append(f"  FAILED {e['name']}{where}: {error}{folder}")
    left = [n for n in getattr(result, "unfinished", []) or [] if n not in
            {e.get("name") for e in result.reports}]
    if left:  # a resume of some reports only: the run is still incomplete
        lines.append(f"  run {result.run_id} still lacks {len(left)} other "
                     f"report{'s' if len(left) != 1 else ''}: resume it with all its reports")
    if getattr(result, "latest_note", None):  # the pointer could not be moved
        lines.append(result.latest_note)
    if result.failed:  # the last line: the exact command that renders them again
        lines.append(_again_line(result))
    return "\n".join(lines)


def _again_line(result: Any) -> str:
    """The command that renders a run's failed reports again, into the same run: the one that
    made it with ``--resume <run id>`` (what ``--resume latest`` also names right after it)."""
    from p2c_analysis import frontpage
    from p2c_analysis import manifest as M
    from p2c_analysis.limits import terminal_safe

    try:
        m = M.read(result.run_dir)
    except (OSError, M.ManifestReadError):
        m = {}
    n = len(result.failed)
    return terminal_safe(f"render the {n} failed report{'s' if n != 1 else ''} again into run "
                         f"{result.run_id} with: {frontpage.resume_command(m, result.run_id)}")


def _nothing_to_do_line(result: Any) -> str:
    """The one line of a ``--resume`` that found every report it was given rendered: what is
    rendered, that nothing changed, and what the run still lacks, if anything."""
    n = len(result.reports)
    left = list(getattr(result, "unfinished", []) or [])
    if left:
        return (f"nothing to do: the {n} report{'s' if n != 1 else ''} given "
                f"{'are' if n != 1 else 'is'} already rendered in run {result.run_id}; it "
                f"still lacks {len(left)} other report{'s' if len(left) != 1 else ''} (resume "
                "it with all its reports to render them); nothing was changed")
    return (f"nothing to do: run {result.run_id} is already complete ({n} of {n} reports "
            f"rendered, front page {result.run_dir / 'index.html'}); nothing was changed")


def _stopped_line(word: str, err: BaseException) -> str:
    """The last line of a run stopped by Ctrl-C (``word`` "interrupted") or SIGTERM
    ("terminated"): the run, how much of it is rendered and the command that finishes it; or
    just ``word`` when no run folder was made yet."""
    runner = sys.modules.get("p2c_analysis.runner")  # not imported: no run was started
    run_dir = runner.stopped_run(err) if runner is not None else None
    if run_dir is None:
        return f"p2c: {word}"
    from p2c_analysis import frontpage
    from p2c_analysis import manifest as M
    from p2c_analysis.limits import terminal_safe

    try:
        m = M.read(run_dir)
    except (OSError, M.ManifestReadError):
        m = {}
    reports = m.get("reports") or []
    ok = sum(r.get("status") == "ok" for r in reports)
    failed = sum(r.get("status") == "failed" for r in reports)
    counts = f"{ok} of {len(reports)} reports rendered, {len(reports) - ok - failed} " \
        f"interrupted" + (f", {failed} failed" if failed else "")
    command = frontpage.resume_command(m, run_dir.name)
    return terminal_safe(f"p2c: {word}: run {run_dir.name} is incomplete ({counts}); finish it "
                         f"with: {command}")


def _render(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    def plan() -> list:
        given = _given_parameters(args)
        specs = planning.plan_render(args.notebooks, given)
        left = [n for n in planning.STANDARD_REPORTS if not args.notebooks and
                given.get("pledges") and n not in {s.name for s in specs}]
        for name in left:
            print(f"p2c: {name} is left out: it compares two pledge tables, not one file "
                  f"(render it with -p previous ... -p current ...)", file=sys.stderr)
        return specs

    return _run(plan, list(args.notebooks), args)


def _batch(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    def plan() -> list:
        over = [planning.parse_over(text) for text in args.over]
        return planning.plan_grid(args.notebook, over, _given_parameters(args))

    return _run(plan, [args.notebook], args)


def _params(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    print(planning.describe_parameters(args.notebook))
    return 0


#: Most local workers ``--workers`` takes per CPU this process may use: each worker renders
#: a report in a Python kernel of its own (a few hundred MB), and the reports are CPU-bound, so
#: more workers than CPUs render no faster and only add memory; well beyond, the machine runs
#: out of memory or processes (``--workers 100000`` was taken as one per report of the run).
MAX_WORKERS_PER_CPU = 8


def _check_workers(n: int | None, cpus: int) -> None:
    """``--workers N`` (at least 1: checked with the other options) at most
    :data:`MAX_WORKERS_PER_CPU` per CPU this process may use (``cpus``: the runner's
    ``available_cpus``, asked once the kernel template is starting)."""
    if n is None:
        return
    most = MAX_WORKERS_PER_CPU * cpus
    if n > most:
        raise UsageError(f"--workers {n:,}: more than {most:,}, the most this machine takes "
                         f"({MAX_WORKERS_PER_CPU} per CPU, {cpus} CPU{'s' if cpus != 1 else ''}"
                         "); each worker renders in a kernel of its own")


# --- p2c snapshot add | list | show -------------------------------------------------------------

_SNAPSHOT_ERROR = "p2c snapshot: error"
#: Longest --timeout accepted (seconds): 30 days; no limit at all is no --timeout.
MAX_TIMEOUT = 30 * 86400


def _printable(text: object) -> str:
    """One plain line for the terminal (``limits.terminal_safe``: control characters and
    escape sequences shown as visible escapes)."""
    from p2c_analysis.limits import terminal_safe

    return terminal_safe(text)


def _snapshot_command(func: Any) -> Any:
    """Run a snapshot handler; any error is one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        from p2c_analysis.pledges import PledgeFileError
        from p2c_analysis.snapshots import SnapshotError

        try:
            return int(func(args) or 0)
        except BrokenPipeError:  # `p2c snapshot show ID | head`: main's quiet end, no error
            raise
        except OSError as err:  # a store the system refuses ("File name too long")
            print(f"{_SNAPSHOT_ERROR}: {_os_error_line(err)}", file=sys.stderr)
        except (SnapshotError, PledgeFileError, ValueError) as err:
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            print(f"{_SNAPSHOT_ERROR}: {_printable(msg)}", file=sys.stderr)
        except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
            msg = f"unexpected {type(err).__name__}: {err}".splitlines()[0]
            print(f"{_SNAPSHOT_ERROR}: {_printable(msg)}", file=sys.stderr)
        return 2

    return run


@_snapshot_command
def _snapshot_add(args: argparse.Namespace) -> int:
    from p2c_analysis import snapshots

    check_outside_package(snapshots.store_path(args.store), "--store" if args.store else
                          f"snapshot store (${snapshots.STORE_ENV})",
                          allowed=(snapshots.DEFAULT_STORE,))
    if args.public_record == (args.file is not None):
        raise UsageError("snapshot add: give a pledge FILE or --public-record (one of them)")
    if args.as_of is not None:  # a full date within the window (2026 alone used to be 1 July)
        from p2c_analysis.params import to_date

        try:
            args.as_of = to_date("--as-of", args.as_of).isoformat()
        except ParameterError as err:  # an option, not "parameter '--as-of': ..."
            raise UsageError(f"--as-of {str(err).partition(': ')[2]}") from None
    if args.public_record:
        if args.as_of is None:
            raise UsageError("snapshot add --public-record: --as-of YYYY-MM-DD is required")
        if args.mapping:
            raise UsageError("snapshot add --public-record: --mapping is for pledge files")
        result = snapshots.add_public_record(args.as_of, label=args.label, store=args.store)
    else:
        result = snapshots.add_file(args.file, mapping=args.mapping, as_of=args.as_of,
                                    label=args.label, store=args.store)
    print(_printable(result.message))
    print(f"  store: {snapshots.store_path(args.store)}")
    return 0


@_snapshot_command
def _snapshot_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from p2c_analysis import snapshots

    table = snapshots.list_snapshots(args.store)
    root = snapshots.store_path(args.store)
    if table.empty:
        print(f"no snapshots in {root}")
        return 0
    print(f"{len(table)} {'snapshot' if len(table) == 1 else 'snapshots'} in {root}")
    print(f"  {'id':<20} {'as of':<10} {'pledges':>7} {'set aside':>9}  {'kind':<13} "
          "source / label")
    for r in table.itertuples(index=False):
        label = "" if pd.isna(r.label) else f" ({r.label})"
        print(f"  {r.id:<20} {r.as_of:<10} {r.pledges:>7} {r.rows_quarantined:>9}  "
              f"{r.kind:<13} {_printable(r.source_file)}{_printable(label)}")
    return 0


@_snapshot_command
def _snapshot_show(args: argparse.Namespace) -> int:
    from p2c_analysis import snapshots

    snap = snapshots.load_snapshot(args.id, args.store)
    e = snap.entry
    print(f"snapshot {e['id']} (as of {e['as_of']}, {e['kind']})")
    if snapshots.rests_on_synthetic(snap):  # its numbers are no findings: said first
        print(f"  {SYNTHETIC_SNAPSHOT}")
    if e["label"]:
        print(f"  label:    {_printable(e['label'])}")
    print(f"  source:   {_printable(e['source_file'])} (sha256 {e['source_sha256'][:12]}...)")
    if e["mapping_file"]:
        print(f"  mapping:  {_printable(e['mapping_file'])}")
    print(f"  stored:   {e['created']} by p2c-analysis {e['package_version']}; ids "
          f"{e['id_kind']}")
    parts = snapshots.describe(snap)
    for r in parts["counts"].itertuples(index=False):
        value = _usd(r.value) if r.item.startswith("total USD") else f"{r.value:,.0f}"
        print(f"  {r.item + ':':<30} {value}")
    print("  by focus area (a pledge counts in each of its areas; its USD is split):")
    for r in parts["by_focus_area"].itertuples(index=False):
        print(f"    {r.category:<24} {r.pledges:>6}  {_usd(r.usd)}")
    print("  by status:")
    for r in parts["by_status"].itertuples(index=False):
        print(f"    {str(r.status):<24} {r.pledges:>6}  {_usd(r.usd)}")
    return 0


#: What ``p2c snapshot show`` says first about a snapshot whose rows are marked synthetic.
SYNTHETIC_SNAPSHOT = ("SYNTHETIC DATA: rows of this snapshot are marked synthetic "
                      "(is_synthetic), not real pledges; its numbers are illustrations, not "
                      "findings.")


def _usd(usd: float) -> str:
    """US dollars in the house format (``style.fmt_usd``: ``USD 1.23 bn``); ``-`` when no
    pledge of the row states a value (never "USD 0")."""
    from p2c_analysis import style
    from p2c_analysis.fields import is_missing

    return "-" if is_missing(usd) else style.fmt_usd(usd)


def _add_snapshot_parser(sub: Any) -> None:
    p = sub.add_parser(
        "snapshot", help="immutable dated snapshots of pledge tables (add, list, show)",
        description="Store pledge tables as immutable, dated snapshots to compare reports over "
        "time. Store: --store DIR, else $P2C_SNAPSHOT_STORE, else data/snapshots/.")
    ssub = p.add_subparsers(dest="snapshot_command", required=True, parser_class=_Parser)
    store_help = "snapshot store folder (default: $P2C_SNAPSHOT_STORE or data/snapshots/)"

    a = ssub.add_parser("add", help="store a pledge file, or the public record as of a date")
    a.add_argument("file", nargs="?", help="pledge file (CSV or XLSX)")
    a.add_argument("--public-record", action="store_true",
                   help="store the bundled public record as known on --as-of instead")
    a.add_argument("--mapping", help="TOML mapping of source columns to pledge fields")
    a.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                   help="date the snapshot describes (default: today); a file's pledges "
                   "announced after it are stored apart, not among its pledges")
    a.add_argument("--label", help="free text shown in list and show")
    a.add_argument("--store", metavar="DIR", help=store_help)
    a.set_defaults(func=_snapshot_add)

    lp = ssub.add_parser("list", help="list the stored snapshots")
    lp.add_argument("--store", metavar="DIR", help=store_help)
    lp.set_defaults(func=_snapshot_list)

    sp = ssub.add_parser("show", help="counts, USD, by focus area and by status of a snapshot")
    sp.add_argument("id", metavar="ID", help="snapshot id (see: p2c snapshot list)")
    sp.add_argument("--store", metavar="DIR", help=store_help)
    sp.set_defaults(func=_snapshot_show)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--parameter", nargs=2, action="append", dest="parameters",
                   metavar=("NAME", "VALUE"), help="set a notebook parameter (repeatable)")
    p.add_argument("-f", "--parameters-file", dest="file_params", metavar="PARAMS.yaml",
                   help="YAML file of NAME: VALUE parameters (-p wins over it)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="root folder of the runs (default: reports/); nothing else is written "
                        "but the derived-data cache (none with P2C_CACHE_DIR=off)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="reports rendered at the same time (default: number of CPUs; at "
                        f"most {MAX_WORKERS_PER_CPU} per CPU; not with --scheduler, whose "
                        "cluster brings its own workers)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="a cell running longer fails its report (whole seconds, a fraction "
                        "is rounded up; default: no limit)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--cold", action="store_true",
                   help="start every kernel from scratch (default: forked from a warm template)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="render on the Dask cluster of this scheduler (e.g. tcp://host:8786)")
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="render into run RUN (id, path or 'latest') the reports it lacks; "
                        "an empty as_of stays the run's first day")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="p2c", description="Check pledge files and render p2c-analysis reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check-pledges", help="load a pledge export, report what was kept and why")
    p.add_argument("file", help="pledge file (CSV or XLSX); '-' reads it from standard input "
                                "(whole, within the file size limit; './-' for a file named "
                                "'-')")
    p.add_argument("--mapping", help="TOML mapping of source columns to pledge fields")
    p.add_argument("--out", help="write the valid pledges here (canonical columns; XLSX when "
                                 "the name ends in .xlsx, tab-separated for .tsv or .tab, else "
                                 "CSV; '-' writes CSV to standard output and the summary to "
                                 "stderr; other spreadsheet names, .xls, .xlsm or .ods, are "
                                 "refused)")
    p.add_argument("--quarantine", help="write the set-aside rows and their reasons here "
                                        "(XLSX when the name ends in .xlsx, tab-separated for "
                                        ".tsv or .tab, else CSV; other spreadsheet names are "
                                        "refused)")
    p.set_defaults(func=_check_pledges)

    p = sub.add_parser(
        "render", help="render reports (default: the standard set) into reports/<run-id>/",
        description="Render report notebooks; without NOTEBOOK the standard set. "
        "Each -p goes to the notebooks that declare it.",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="report name (e.g. country_profile) or path to an .ipynb")
    _add_run_options(p)
    p.set_defaults(func=_render)

    p = sub.add_parser(
        "batch", help="one report per value of a parameter (e.g. --over country=LDC)",
        description="Render NOTEBOOK once per value: --over NAME=V1,V2,... For country, a "
        "group label (LDC, LLDC, SIDS, a region...) stands for its members in the year given "
        "(-p year, as a profile names its groups), else on the as_of given, else today; "
        "groups and "
        "countries mix (LDC,SIDS,KEN: each economy once); names with commas come "
        "whole ('Congo, Dem. Rep.,KEN'); other values with commas go in double quotes. "
        "Several --over: one report per combination (--over country=LDC --over "
        "allocation=equal,population: each LDC's profile in both variants, in one run).",
    )
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("--over", required=True, action="append", metavar="NAME=VALUES",
                   help="parameter and its values: a comma list (country: group labels "
                   "allowed); repeat for every combination of several parameters")
    _add_run_options(p)
    p.set_defaults(func=_batch)

    p = sub.add_parser("params", help="list a report notebook's parameters, types and defaults")
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.set_defaults(func=_params)

    _add_snapshot_parser(sub)

    return parser


#: Options (by ``argparse`` dest) whose value may not be empty or blank: ``--mapping ""`` and
#: ``check-pledges ""`` read the current folder ("'.': is a directory"), ``--store ""`` and
#: ``--as-of ""`` fell back without a word to the default store and to today, ``-f ""`` was
#: ignored.
_NOT_EMPTY = {"out": "--out", "resume": "--resume", "scheduler": "--scheduler",
              "quarantine": "--quarantine", "mapping": "--mapping", "store": "--store",
              "as_of": "--as-of", "file": "FILE", "file_params": "--parameters-file"}


def main(argv: list[str] | None = None) -> int:
    """The ``p2c`` command. Every outcome ends in at most one line on stderr: exit code 0
    (done), 1 (a report failed, see the summary), 2 (an error, named), 130/143 (Ctrl-C /
    SIGTERM: reports left ``.partial``, the run marked interrupted; the line names it and the
    command that finishes it). ``P2C_DEBUG=1`` shows the traceback of an unexpected error."""
    from p2c_analysis import lifecycle, startup

    startup.defer_slow_imports()
    lifecycle.handle_sigterm()
    try:
        _check_parameter_words(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(argv)
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise UsageError("--workers must be at least 1")
        if getattr(args, "workers", None) is not None and getattr(args, "scheduler", None):
            raise UsageError("--workers does not apply with --scheduler: the Dask cluster's "
                             "workers render the reports, one at a time each; leave "
                             "--workers out (or start fewer workers)")
        if getattr(args, "timeout", None) is not None and not 0 < args.timeout < float("inf"):
            raise UsageError("--timeout must be a positive number of seconds")
        if getattr(args, "timeout", None) is not None and args.timeout > MAX_TIMEOUT:
            raise UsageError(f"--timeout must be at most {MAX_TIMEOUT:,} seconds (30 days)")
        for dest, flag in _NOT_EMPTY.items():  # "" read as "." (here) or as no value at all
            if getattr(args, dest, None) is not None and not str(getattr(args, dest)).strip():
                raise UsageError(f"{flag} must not be empty")
        return int(args.func(args) or 0)
    except (UsageError, ParameterError) as err:
        from p2c_analysis.limits import terminal_safe

        print(f"p2c: error: {terminal_safe(err)}", file=sys.stderr)
        return 2
    except lifecycle.Terminated as err:
        print(_stopped_line("terminated", err), file=sys.stderr)
        return 143
    except KeyboardInterrupt as err:
        print(_stopped_line("interrupted", err), file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `p2c params x | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a file or folder the command needs: one line, no traceback
        print(f"p2c: error: {_os_error_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug: still one line (P2C_DEBUG=1 for more)
        if os.environ.get("P2C_DEBUG"):
            raise
        text = str(err).splitlines()[0] if str(err).strip() else ""
        print(f"p2c: error: unexpected {type(err).__name__}: {text[:200]} "
              "(run again with P2C_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


def _check_parameter_words(argv: list[str]) -> None:
    """Refuse ``-p NAME=VALUE`` (as ``--over`` is written) in one line saying how ``-p`` is
    written: ``-p country=Kenya`` at the end of the command was "argument -p/--parameter:
    expected 2 arguments", and before the notebook's name it took the name as the value
    ("'country=Kenya' is not a parameter ... (given 'country_profile'...)"). No parameter's
    name holds ``=`` (a notebook's parameters are Python names)."""
    for flag, word in zip(argv, argv[1:], strict=False):
        if flag in ("-p", "--parameter") and "=" in word and not word.startswith("-"):
            name, _, value = word.partition("=")
            raise UsageError(f"-p {cut(word)}: -p takes the name and the value as two words: "
                             f"-p {shlex_quote(name)} {shlex_quote(value)} (NAME=VALUES is "
                             "for --over)")


def shlex_quote(text: str) -> str:
    """``text`` quoted for a shell where it needs it, cut for a message (``params.cut``)."""
    import shlex

    return shlex.quote(cut(text))


def _os_error_line(err: OSError) -> str:
    """An operating system's error as one line: the file (its start, when the name is too
    long to show: ``params.cut``), then what the system says."""
    where = f"{cut(str(err.filename))}: " if err.filename else ""
    return _printable(f"{where}{err.strerror or err}")


def run() -> None:
    """Entry point of the ``p2c`` command: :func:`main`, then the process ends at once
    (:func:`lifecycle.exit_now`) with main's exit code."""
    from p2c_analysis import lifecycle

    code = main()
    lifecycle.exit_now(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
