"""``aifab deploy INTENT [--commit]``: build, check, diff every device; with --commit, roll out in waves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="diff every device against its build; --commit rolls the change out in waves")
    p.add_argument("intent", type=Path, help="intent YAML file")
    p.add_argument("-o", "--out", type=Path, default=Path("build"), help="build directory (default: build)")
    p.add_argument("--commit", action="store_true", help="commit (default: show the diff only)")
    p.add_argument("--inventory", type=Path, default=None,
                   help="Nornir inventory directory (default: the running lab's, else OUT/inventory)")
    p.add_argument("--verify-timeout", type=float, default=60.0, help="seconds to wait for sessions and routes (default 60)")
    p.add_argument("--audit", type=Path, default=None, help="audit log (default: OUT/audit.jsonl)")
    p.add_argument("--clab", type=Path, default=None, metavar="DIR",
                   help="deploy to the containerlab cEOS lab exported into DIR (aifab lab export --clab): "
                   "the intent as EOS, with DIR's inventory; OUT becomes DIR")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aifab.deploy.inputs import pick_inventory, rendered_from
    from aifab.deploy.inventory_files import check_inventory
    from aifab.deploy.runner import deploy, summary_table
    from aifab.deploy.secrets import load_credentials
    from aifab.paths import writable_file
    from aifab.pipeline import build

    console = Console()
    if args.inventory is not None:  # bad paths fail before the build is written
        check_inventory(args.inventory)
    writable_file(args.audit or (args.clab or args.out) / "audit.jsonl", "the audit log")
    if args.clab is not None:
        from aifab.lab.ceos import export_clab

        args.out = args.clab
        design, _ = export_clab(args.intent, args.clab)
        inventory = args.inventory or args.clab / "inventory"
    else:
        design = build(args.intent, args.out).design
        from aifab.lab.access import inventory_dir
        from aifab.lab.state import default_state_dir

        inventory = pick_inventory(args.out, args.inventory, inventory_dir(default_state_dir(design.cluster)))
        if args.inventory is None and inventory != args.out / "inventory":
            console.print(f"using the lab inventory {inventory}")
    from aifab.deploy.inputs import inventory_drivers

    rendered = rendered_from(design, args.out, inventory_drivers(inventory))  # refuses before anything is touched
    report = deploy(design, rendered, inventory, load_credentials(), args.commit,
                    args.audit or args.out / "audit.jsonl", console, args.verify_timeout)
    for wave in report.waves:
        console.print(f"wave {wave.index}: {', '.join(wave.devices)}")
    console.print(summary_table(report))
    changed = sum(1 for d in report.diffs.values() if d.strip())
    console.print(f"{changed} of {len(report.diffs)} devices differ from their build; "
                  + ("committed" if args.commit and report.ok and changed else "nothing committed" if not args.commit or not changed else "stopped"))
    from napalm_frr.kernel import summarize

    for device, items in report.not_applied.items():  # per device, what the switch does not run and why (each in the audit)
        for line in summarize(items):
            console.print(f"{device}: not applied: {line}", markup=False, soft_wrap=True)
    for o in report.outcomes.values():  # one line per device at fault (the audit log holds the tracebacks)
        if o.detail and o.status != "skipped":
            print(f"{o.device}: {o.status}: {o.detail}", file=sys.stderr)
    return 0 if report.ok else 1
