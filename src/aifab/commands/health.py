"""``aifab health INTENT``: read every device's PFC pause frames, ECN marks, PFC watchdog storms,
drops and BGP sessions, judge them against the intent's thresholds and the Design.

Exit codes: 0 every device healthy, 1 a device unhealthy or unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aifab.console import Console


def register(sub: argparse._SubParsersAction) -> None:
    from aifab.commands.deploy import add_target

    p = sub.add_parser("health", help="read PFC, ECN, watchdog, drop and BGP counters of every device and judge them")
    p.add_argument("intent", type=Path, help="intent YAML file")
    add_target(p)
    p.add_argument("--limit", action="append", metavar="GLOB", default=None, help="only devices matching this glob (repeatable)")
    p.add_argument("--exclude", action="append", metavar="GLOB", default=None, help="leave out devices matching this glob (repeatable)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="report format (default: table)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aifab.commands.deploy import target
    from aifab.deploy.connect import select
    from aifab.deploy.inventory_files import check_inventory
    from aifab.deploy.secrets import load_credentials
    from aifab.health.judge import judge, print_table, to_json
    from aifab.health.run import read_all
    from aifab.pipeline import design_for

    _, design = design_for(args.intent)
    names = select([d.name for d in design.devices()], args.limit, args.exclude)
    inventory, how = target(args, design.cluster)
    check_inventory(inventory)
    console = Console(stderr=args.format == "json")
    console.print(f"inventory: {inventory} ({how})", highlight=False, soft_wrap=True)
    readings = read_all(design, names, inventory, load_credentials(),
                        lambda line: console.print(line, highlight=False, soft_wrap=True))
    limits = design.telemetry.thresholds
    verdicts = judge(design, readings, limits)
    if args.format == "json":
        sys.stdout.write(to_json(design, verdicts, limits))
    else:
        print_table(design, verdicts, console)
    return 0 if all(v.healthy for v in verdicts) else 1
