"""``aifab check BUILD_DIR_OR_INTENT``: run every rule; exit 0 clean, 1 on an error finding, 2 on bad input."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aifab.check.engine import Report, check
from aifab.check.inputs import CheckInputError
from aifab.check.report import FORMATS, print_table, render, rules_markdown
from aifab.check.rules import all_rules
from aifab.pipeline import open_target


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check a build (or an intent, built first): Design rules and parsed-back configs")
    p.add_argument("target", type=Path, nargs="?", help="build directory (design.json + configs/) or intent YAML")
    p.add_argument("--format", choices=FORMATS, default="table", help="report format (default: table)")
    p.add_argument("-o", "--output", type=Path, help="write the report to this file instead of stdout")
    p.add_argument("--batfish", metavar="HOST", default=os.environ.get("BATFISH_HOST"),
                   help="also run the Batfish questions against this service (default: $BATFISH_HOST)")
    p.add_argument("--hosts", type=Path, metavar="DIR", default=None,
                   help="also check what hosts report (one file per host, hosts/collect.sh's output) against their switch ports")
    p.add_argument("--rules", action="store_true", help="list every rule (markdown with --format markdown) and exit")
    p.set_defaults(handler=run)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CheckInputError(f"{output}: cannot write report ({exc.strerror or exc})") from None


def run(args: argparse.Namespace) -> int:
    if args.rules:
        rules = all_rules()
        _emit(rules_markdown(rules) if args.format == "markdown" else
              "".join(f"{r.id:<8} {r.severity:<8} {r.title}\n" for r in rules), args.output)
        return 0
    if args.target is None:
        raise CheckInputError("aifab check: give a build directory or an intent file")
    with open_target(args.target) as target:
        report = check(target.design, target.build_dir)
        if args.batfish:
            from aifab.check.batfish import batfish_report

            report = batfish_report(report, target.design, target.build_dir, args.batfish)
        if args.hosts is not None:
            from aifab.check.hosts import hosts_report

            report = hosts_report(report, target.design, args.hosts)
    _output(report, args.format, args.output)
    return 1 if report.failed else 0


def _output(report: Report, fmt: str, output: Path | None) -> None:
    if fmt == "table" and output is None:
        print_table(report)
    elif fmt == "table":
        from io import StringIO

        from rich.console import Console

        buf = StringIO()
        print_table(report, Console(file=buf, width=200, no_color=True))
        _emit(buf.getvalue(), output)
    else:
        _emit(render(report, fmt), output)
