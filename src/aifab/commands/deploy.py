"""``aifab deploy INTENT [--commit]``: build, check, diff every device; with --commit, roll out in waves.

Exit codes: 0 done, 1 stopped by a failure (safe state reached), 2 bad input, 3 locked or busy,
130 interrupted (safe state reached).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

EXIT_INTERRUPTED = 130
EXIT_BUSY = 3


def add_target(p: argparse.ArgumentParser) -> None:
    """The inventory options shared by deploy, drain and undrain."""
    p.add_argument("-o", "--out", type=Path, default=Path("build"), help="build directory (default: build)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--inventory", type=Path, default=None, help="Nornir inventory directory (default: OUT/inventory)")
    which.add_argument("--lab", action="store_true",
                       help="the running lab's inventory of the intent's cluster (aifab lab up)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="diff every device against its build; --commit rolls the change out in waves")
    p.add_argument("intent", type=Path, help="intent YAML file")
    add_target(p)
    p.add_argument("--commit", action="store_true", help="commit (default: show the diff only)")
    p.add_argument("--resume", action="store_true", help="continue the halted rollout recorded in OUT/deploy-journal.json")
    p.add_argument("--limit", action="append", metavar="GLOB", default=None,
                   help="only devices matching this glob (repeatable, e.g. 'fe-*')")
    p.add_argument("--exclude", action="append", metavar="GLOB", default=None,
                   help="leave out devices matching this glob (repeatable)")
    p.add_argument("--verify-timeout", type=float, default=60.0, help="seconds to wait for sessions and routes (default 60)")
    p.add_argument("--revert-timer", type=int, default=300, metavar="SECONDS",
                   help="device-side revert timer of each commit: restores the snapshot unless confirmed; longer than "
                   "--verify-timeout (default 300)")
    p.add_argument("--confirm-cordon", action="store_true",
                   help="before each wave that cordons servers, pause until the operator confirms the cordon (on a terminal; "
                   "without one, upgrade.cordon_command must be set)")
    p.add_argument("--allow-recabling", action="store_true",
                   help="roll out a change that moves or removes cables (a port's peer changes), once they are re-cabled; "
                   "without it such a change is refused before anything is touched")
    p.add_argument("--no-drain", action="store_true",
                   help="leave out the drain and undrain steps: only to measure, in a lab, what the drain protects")
    p.add_argument("--audit", type=Path, default=None, help="audit log (default: OUT/audit.jsonl)")
    p.add_argument("--clab", type=Path, default=None, metavar="DIR",
                   help="deploy to the containerlab cEOS lab exported into DIR (aifab lab export --clab): "
                   "the intent as EOS, with DIR's inventory; OUT becomes DIR")
    p.set_defaults(handler=run)


def target(args: argparse.Namespace, cluster: str) -> tuple[Path, str]:
    """The inventory the options name and how it was chosen."""
    from aifab.deploy.inputs import pick_inventory

    if args.lab:
        from aifab.lab.access import inventory_dir
        from aifab.lab.state import default_state_dir

        return pick_inventory(args.out, None, inventory_dir(default_state_dir(cluster))), f"the running lab of cluster {cluster}"
    inventory = pick_inventory(args.out, args.inventory)
    return inventory, "given" if args.inventory is not None else "the build's"


def run(args: argparse.Namespace) -> int:
    from aifab.deploy.output import kept_output

    with kept_output():  # a terminal that goes away hangs the deploy up (a safe stop), never breaks it mid-wave
        return _run(args, Console())


def _run(args: argparse.Namespace, console: Console) -> int:
    from aifab.deploy.guard import deploy_lock
    from aifab.deploy.inventory_files import check_inventory
    from aifab.deploy.runner import check_timers
    from aifab.paths import writable_file

    check_timers(args.verify_timeout, args.revert_timer)  # before the build is written
    if args.inventory is not None:  # bad paths fail before the build is written
        check_inventory(args.inventory)
    if args.resume:
        args.commit = True
        from aifab.deploy.journal import read_journal

        read_journal(args.clab or args.out)  # no rollout to resume: said before the build is written
    writable_file(args.audit or (args.clab or args.out) / "audit.jsonl", "the audit log")
    known = args.inventory or (args.clab or args.out) / "inventory"
    if args.lab:  # a lab that is not up: said before the build is written
        from aifab.intent import load_intent

        known = target(args, load_intent(args.intent).intent.cluster)[0]
    with ExitStack() as held:
        if known.is_dir():  # held from before the build: a deploy of it running is refused before its build is rewritten
            held.enter_context(deploy_lock(known))
        first = not known.is_dir() and known == args.out / "inventory"

        def lock_first_build() -> None:  # a first build's inventory: made and locked before anything is written
            if first:
                known.mkdir(parents=True, exist_ok=True)
                held.enter_context(deploy_lock(known))
        return _deploy(args, console, lock_first_build)


def _deploy(args: argparse.Namespace, console: Console, before_write: Callable[[], None]) -> int:
    """Build, deploy and report: ``run`` once the inputs are checked and the inventory locked
    (``before_write``: locks a first build's inventory once its Design is built)."""
    from aifab.deploy.inputs import rendered_from
    from aifab.deploy.report import summary_table, timings_table
    from aifab.deploy.runner import deploy
    from aifab.deploy.secrets import load_credentials
    from aifab.pipeline import build

    if args.clab is not None:
        from aifab.lab.ceos import export_clab

        args.out = args.clab
        design, _ = export_clab(args.intent, args.clab)
        inventory, how = (args.inventory, "given") if args.inventory else (args.clab / "inventory", "the containerlab export's")
    else:
        design = build(args.intent, args.out, before_write=before_write).design
        inventory, how = target(args, design.cluster)
    console.print(f"inventory: {inventory} ({how})", highlight=False, soft_wrap=True)
    from aifab.deploy.inputs import inventory_drivers

    rendered = rendered_from(design, args.out, inventory_drivers(inventory))  # refuses before anything is touched
    report = deploy(design, rendered, inventory, load_credentials(), args.commit,
                    args.audit or args.out / "audit.jsonl", console, args.verify_timeout,
                    out=args.out, limit=args.limit, exclude=args.exclude, resume=args.resume,
                    revert_in_s=args.revert_timer, no_drain=args.no_drain, confirm_cordon=args.confirm_cordon,
                    allow_recabling=args.allow_recabling)
    for wave in report.waves:
        console.print(f"wave {wave.index}: {', '.join(wave.devices)}")
    console.print(summary_table(report))
    if report.timings:
        console.print(timings_table(report))
    changed = len(report.changed)
    upgrades = f" ({len(report.upgrades)} run another software version than the intent's)" if report.upgrades else ""
    held = f" (left drained as found: {', '.join(report.held)})" if report.held else ""
    console.print(f"{changed} of {len(report.diffs)} devices differ from their build{upgrades}{held}; "
                  + ("committed" if args.commit and report.ok and changed else "nothing committed" if not args.commit or not changed else "stopped"))
    from napalm_frr.kernel import summarize

    for device, items in report.not_applied.items():  # per device, what the switch does not run and why (each in the audit)
        for line in summarize(items):
            console.print(f"{device}: not applied: {line}", markup=False, soft_wrap=True)
    pending = {d: [*report.timers_pending.get(d, []), *report.sessions_pending.get(d, []), *report.links_pending.get(d, [])]
               for d in {**report.timers_pending, **report.sessions_pending, **report.links_pending}}
    for device, lines in pending.items():  # not in effect or not verifiable yet: never claimed as verified
        for line in lines:
            console.print(f"{device}: pending: {line}", markup=False, soft_wrap=True)
    if report.stopped:
        said = report.interrupted and "interrupted" not in report.stopped  # "wave 1: interrupted" says it already
        console.print(f"stopped: {report.stopped}" + (" (interrupted)" if said else ""), highlight=False)
    console.print("still drained by this deploy: " + (", ".join(report.drained) if report.drained else "none")
                  + (f"  (aifab undrain {args.intent} {' '.join(report.drained)})" if report.drained else ""), highlight=False)
    if report.cordoned:
        from aifab.plan.handoff import compress

        console.print("still cordoned by this deploy: " + ", ".join(compress(report.cordoned)), highlight=False, soft_wrap=True)
    for o in report.outcomes.values():  # one line per device at fault (the audit log holds the tracebacks)
        if o.detail and o.status != "skipped":
            print(f"{o.device}: {o.status}: {o.detail}", file=sys.stderr)
    if report.interrupted:
        return EXIT_INTERRUPTED
    if not report.ok and any(o.status == "busy" for o in report.outcomes.values()):
        return EXIT_BUSY  # another deploy's commit pending on a switch: nothing touched, as for a held lock
    return 0 if report.ok else 1
