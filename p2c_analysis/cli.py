"""The ``p2c`` command: check pledge files, render reports.

Every user-facing error is one line on stderr and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from p2c_analysis.params import ParameterError
from p2c_analysis.planning import UsageError


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
    for name, value in args.parameters or []:
        given[name] = value
    return given


def _run(specs: list, args: argparse.Namespace) -> int:
    from p2c_analysis import runner

    result = runner.render(
        specs, out=args.out, workers=args.workers, progress=not args.no_progress,
        command=["p2c", *sys.argv[1:]], cell_timeout=args.timeout,
    )
    print(summary(result))
    return 1 if result.failed else 0


def summary(result: Any) -> str:
    """End-of-run text of a :class:`runner.RunResult`: counts, where the reports are, each
    failure with cell and error."""
    from p2c_analysis.execution import first_line

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
        error = first_line(e.get("error"))[:200]
        lines.append(f"  FAILED {e['name']}{where}: {error}  -> {folder}/")
    return "\n".join(lines)


def _render(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    specs = planning.plan_render(args.notebooks, _given_parameters(args))
    return _run(specs, args)


def _batch(args: argparse.Namespace) -> int:
    from p2c_analysis import planning

    name, values = planning.parse_over(args.over)
    specs = planning.plan_batch(args.notebook, name, values, _given_parameters(args))
    return _run(specs, args)


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
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise UsageError("--workers must be at least 1")
        if getattr(args, "timeout", None) is not None and not args.timeout > 0:
            raise UsageError("--timeout must be a positive number of seconds")
        return int(args.func(args) or 0)
    except (UsageError, ParameterError) as err:
        from p2c_analysis.limits import terminal_safe

        print(f"p2c: error: {terminal_safe(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("p2c: interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # a file or folder the command needs: one line, no traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"p2c: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
