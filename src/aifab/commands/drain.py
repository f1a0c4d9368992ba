"""``aifab drain INTENT DEVICE...`` / ``aifab undrain INTENT DEVICE...``: merge the drain (or undrain)
snippet, read back that the drain is on (off), report per device; ``--status`` only reads.

Exit codes: 0 every device in the asked state, 1 a device failed, 2 bad input, 3 a deploy of
the inventory is running.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(sub: argparse._SubParsersAction) -> None:
    add_parser(sub, drain=True)


def add_parser(sub: argparse._SubParsersAction, drain: bool) -> None:
    """The ``drain`` (or, ``drain=False``, the ``undrain``) subcommand."""
    from aifab.commands.deploy import add_target

    verb = "drain" if drain else "undrain"
    p = sub.add_parser(verb, help=f"{verb} devices (merge the {verb} snippet and read it back); --status shows who is drained")
    p.add_argument("intent", type=Path, help="intent YAML file")
    p.add_argument("devices", nargs="+", metavar="DEVICE", help="device names or globs (quote them: 'fe-*', '*')")
    add_target(p)
    p.add_argument("--status", action="store_true", help="only read which devices are drained")
    p.set_defaults(handler=run, drain=drain)


def run(args: argparse.Namespace) -> int:
    from aifab.commands.deploy import target
    from aifab.deploy import drain
    from aifab.deploy.connect import device_errors, open_nornir, select
    from aifab.deploy.guard import deploy_lock
    from aifab.deploy.secrets import load_credentials
    from aifab.pipeline import design_for
    from aifab.platforms import platform
    from aifab.render import drain_snippet, undrain_snippet

    console = Console()
    _, design = design_for(args.intent)
    deployable = {d.name: d for d in design.devices() if platform(d.platform).deploys}
    names = select(sorted(deployable), args.devices, None)
    inventory, how = target(args, design.cluster)
    console.print(f"inventory: {inventory} ({how})", highlight=False, soft_wrap=True)
    markers = {n: drain.marker(drain_snippet(design, deployable[n])) for n in names}
    snippet = {n: (drain_snippet if args.drain else undrain_snippet)(design, deployable[n]) for n in names}
    with deploy_lock(inventory):
        nr = open_nornir(inventory, load_credentials())
        try:
            hosts = nr.filter(filter_func=lambda h: h.name in set(names))
            if args.status:
                res = hosts.run(task=lambda t: drain.read(t, markers[t.host.name]), name="drain-state", on_failed=True)
            else:
                res = hosts.run(task=lambda t: drain.set_drain(t, snippet[t.host.name], markers[t.host.name], args.drain),
                                name="drain" if args.drain else "undrain", on_failed=True)
        finally:
            nr.close_connections()
    failures = device_errors(res)
    for n in names:
        if n not in res:
            failures[n] = "not in the inventory"
        if n in failures:
            console.print(f"{n}: [red]failed[/]: {failures[n]}", highlight=False)
        elif args.status:
            console.print(f"{n}: {'drained' if res[n][0].result else 'not drained'}", highlight=False)
        else:
            console.print(f"{n}: {res[n][-1].result} (read back)", highlight=False)
    return 1 if failures else 0
