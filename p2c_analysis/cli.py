"""The ``p2c`` command: check pledge files, render reports.

Every user-facing error is one line on stderr and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from p2c_analysis.params import ParameterError
from p2c_analysis.planning import STANDARD_REPORTS, UsageError


def _check_pledges(args: argparse.Namespace) -> int:
    from p2c_analysis.pledges import check_pledges_cli

    return check_pledges_cli(
        args.file, mapping=args.mapping, out=args.out, quarantine=args.quarantine
    )


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage stays in ``--help``)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _given_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """Parameters from ``-f params.yaml`` then ``-p NAME VALUE`` (later wins)."""
    import yaml

    given: dict[str, Any] = {}
    if args.file_params:
        path = Path(args.file_params)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise UsageError(f"cannot read parameter file {path}: {err.strerror}") from None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise UsageError(f"parameter file {path}{where}: not valid YAML") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise UsageError(f"parameter file {path}: expected NAME: VALUE lines")
        given.update({str(k): v for k, v in data.items()})
    for name, value in args.parameters or []:
        given[name] = value
    return given


def _run(plan: Any, notebooks: list, args: argparse.Namespace) -> int:
    """Plan (``plan()`` returns the specs) and render; the kernel template starts first, so it
    imports and loads while the parameters are checked."""
    from p2c_analysis import runner

    template = None
    if not (args.cold or args.scheduler):
        template = runner.prestart_template(notebooks or list(STANDARD_REPORTS))
    try:
        specs = plan()
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
    front page, each failure with its cell, the line that raised and the error."""
    from p2c_analysis.execution import failure_location, first_line

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
        folder = e.get("folder") or f"{e['name']}.partial"
        error = first_line(e.get("error"))[:200]
        lines.append(f"  FAILED {e['name']}{where}: {error}  -> {folder}/")
    return "\n".join(lines)


def _render(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    return _run(lambda: planning.plan_render(args.notebooks, _given_parameters(args)),
                list(args.notebooks), args)


def _batch(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    def plan() -> list:
        name, values = planning.parse_over(args.over)
        return planning.plan_batch(args.notebook, name, values, _given_parameters(args))

    return _run(plan, [args.notebook], args)


def _params(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    print(planning.describe_parameters(args.notebook))
    return 0


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--parameter", nargs=2, action="append", dest="parameters",
                   metavar=("NAME", "VALUE"), help="set a notebook parameter (repeatable)")
    p.add_argument("-f", "--parameters-file", dest="file_params", metavar="PARAMS.yaml",
                   help="YAML file of NAME: VALUE parameters (-p wins over it)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="root folder of the runs (default: reports/); nothing else is written")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="reports rendered at the same time (default: number of CPUs)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="a cell running longer fails its report (default: no limit)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--cold", action="store_true",
                   help="start every kernel from scratch (default: forked from a warm template)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="render on the Dask cluster of this scheduler (e.g. tcp://host:8786)")
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="render into run RUN (id, path or 'latest') the reports it lacks")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="p2c", description="Check pledge files and render p2c-analysis reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check-pledges", help="load a pledge export, report what was kept and why")
    p.add_argument("file", help="pledge file (CSV or XLSX)")
    p.add_argument("--mapping", help="TOML mapping of source columns to pledge fields")
    p.add_argument("--out", help="write the valid pledges here (CSV, canonical columns)")
    p.add_argument("--quarantine", help="write the set-aside rows and their reasons here (CSV)")
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
        description="Render NOTEBOOK once per value: --over NAME=V1,V2,... or, for country, "
        "a group label (LDC, LLDC, SIDS, a region...) meaning its members as of today.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("--over", required=True, metavar="NAME=VALUES",
                   help="parameter and its values: comma list or country group label")
    _add_run_options(p)
    p.set_defaults(func=_batch)

    p = sub.add_parser("params", help="list a report notebook's parameters, types and defaults")
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.set_defaults(func=_params)

    return parser


def main(argv: list[str] | None = None) -> int:
    """The ``p2c`` command. Every outcome ends in at most one line on stderr: exit code 0
    (done), 1 (a report failed, see the summary), 2 (an error, named), 130/143 (Ctrl-C /
    SIGTERM: reports left ``.partial``, the run marked interrupted). ``P2C_DEBUG=1`` shows the
    traceback of an unexpected error."""
    from p2c_analysis import lifecycle, startup

    startup.defer_slow_imports()
    lifecycle.handle_sigterm()
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise UsageError("--workers must be at least 1")
        if getattr(args, "timeout", None) is not None and not args.timeout > 0:
            raise UsageError("--timeout must be a positive number of seconds")
        return int(args.func(args) or 0)
    except (UsageError, ParameterError) as err:
        print(f"p2c: error: {err}", file=sys.stderr)
        return 2
    except lifecycle.Terminated:
        print("p2c: terminated (reports left unfinished are marked interrupted)",
              file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("p2c: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `p2c params x | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a file or folder the command needs: one line, no traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"p2c: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug: still one line (P2C_DEBUG=1 for more)
        if os.environ.get("P2C_DEBUG"):
            raise
        text = str(err).splitlines()[0] if str(err).strip() else ""
        print(f"p2c: error: unexpected {type(err).__name__}: {text[:200]} "
              "(run again with P2C_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
