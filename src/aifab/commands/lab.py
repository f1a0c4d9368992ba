"""``aifab lab up|down|status INTENT``: the FRR network-namespace lab of a design."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from aifab import lab
from aifab.lab.status import LabStatus
from aifab.lab.switch import PROCESSES
from aifab.lab.system import require
from aifab.pipeline import design_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="run the design as FRR routers in network namespaces (needs root)",
                       description="One network namespace per switch (FRR + sshd) and per host, a veth per "
                       "cable, a management bridge; see docs/lab.md.")
    p.add_argument("action", choices=("up", "down", "status", "export"))
    p.add_argument("intent", type=Path, help="intent YAML file")
    p.add_argument("--state-dir", type=Path, help="lab state directory (default /run/aifab-lab/<cluster>)")
    p.add_argument("--configs", type=Path, help="up: boot switches with the rendered configs in DIR "
                   "(<device>.frr.conf, e.g. build/configs); default a minimal config")
    p.add_argument("--wait", type=float, metavar="SECONDS", help="up: wait until every designed BGP session is Established")
    p.add_argument("--clab", action="store_true", help="export: a containerlab cEOS lab (topology, startup "
                   "configs, Nornir inventory); see docs/clab.md")
    p.add_argument("-o", "--out", type=Path, default=Path("build/clab"), help="export: output directory (default build/clab)")
    p.add_argument("--ceos-image", default="ceos:latest", help="export: cEOS image (default ceos:latest)")
    p.add_argument("--hand-kept", type=Path, metavar="DIR", help="export: hand-kept Nornir inventory folder "
                   "(default: as aifab build finds it)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "export":
        return export(args)
    require()
    _, design = design_for(args.intent)
    console = Console()
    if args.action == "up":
        running = lab.up(design, args.state_dir, configs=args.configs)
        console.print(f"lab {design.cluster} up: {len(running.topology.switches)} switches, "
                      f"{len(running.topology.hosts)} hosts; state {running.state_dir}; "
                      f"Nornir inventory {running.inventory}")
        if args.wait is not None:
            took = lab.wait_established(running, design, timeout=args.wait)
            console.print(f"every BGP session Established after {took:.1f} s")
        return 0
    if args.action == "down":
        removed = lab.down(design, args.state_dir)
        console.print(f"lab {design.cluster} down: removed {len(removed)} namespaces")
        return 0
    current = lab.status(design, args.state_dir)
    console.print(status_table(current))
    return 0 if current.healthy else 1


def export(args: argparse.Namespace) -> int:
    """``aifab lab export --clab``: no root or Docker needed to write the files."""
    from aifab.artifacts.clab import clab_path
    from aifab.errors import AifabError
    from aifab.lab.ceos import export_clab

    if not args.clab:
        raise AifabError("aifab lab export: say what to export: --clab")
    design, files = export_clab(args.intent, args.out, args.ceos_image, args.hand_kept)
    topo = clab_path(design, args.out)
    print(f"wrote {len(files)} files to {args.out}: sudo containerlab deploy -t {topo}; then "
          f"AIFAB_USERNAME=admin AIFAB_PASSWORD=admin aifab deploy {args.intent} --clab {args.out}")
    return 0


def status_table(st: LabStatus) -> Table:
    """Per switch: management address, missing processes, BGP sessions up, routes; then the hosts."""
    table = Table(title=f"aifab lab {st.cluster}: {'up' if st.up else 'NOT UP'} (state {st.state_dir})",
                  title_justify="left")
    for col in ("node", "management", "processes", "BGP up", "routes"):
        table.add_column(col, justify="right" if col in ("BGP up", "routes") else "left")
    for s in st.switches:
        missing = [p for p in PROCESSES if p not in s.processes]
        procs = "[green]all[/]" if not missing else f"[red]missing {' '.join(missing)}[/]"
        bgp = f"{s.established}/{len(s.sessions)}"
        if s.sessions:
            bgp = f"[{'green' if s.established == len(s.sessions) else 'red'}]{bgp}[/]"
        table.add_row(s.name, s.management, procs, bgp, "-" if s.routes < 0 else str(s.routes))
    for h in st.hosts:
        table.add_row(h.name, "", "host" if h.present else "[red]namespace missing[/]", "", "")
    return table
