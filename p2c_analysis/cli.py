"""The ``p2c`` command: check pledge files, render reports.

Every user-facing error is one line on stderr and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys


def _check_pledges(args: argparse.Namespace) -> int:
    from p2c_analysis.pledges import check_pledges_cli

    return check_pledges_cli(
        args.file, mapping=args.mapping, out=args.out, quarantine=args.quarantine
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="p2c", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check-pledges", help="load a pledge export, report what was kept and why")
    p.add_argument("file", help="pledge file (CSV or XLSX)")
    p.add_argument("--mapping", help="TOML mapping of source columns to pledge fields")
    p.add_argument("--out", help="write the valid pledges here (CSV, canonical columns)")
    p.add_argument("--quarantine", help="write the set-aside rows and their reasons here (CSV)")
    p.set_defaults(func=_check_pledges)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
