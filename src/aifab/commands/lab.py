"""``aifab lab up|down|status|traffic INTENT``, ``aifab lab exec DEVICE -- CMD...``, ``aifab lab export --clab
INTENT``: the FRR network-namespace lab of a design."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from rich.table import Table

from aifab import lab
from aifab.console import Console
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.lab.status import LabStatus
from aifab.lab.switch import PROCESSES
from aifab.lab.system import require
from aifab.lab.traffic import Counts, Probe, Report
from aifab.pipeline import design_for
from aifab.plan.handoff import compress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="run the design as FRR routers in network namespaces (needs root)",
                       description="One network namespace per switch (FRR + sshd) and per host, a veth per "
                       "cable, a management bridge; see docs/lab.md.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=text)
        a.set_defaults(handler=run)
        return a

    def intent_and_state(a: argparse.ArgumentParser) -> None:
        a.add_argument("intent", type=Path, help="intent YAML file")
        a.add_argument("--state-dir", type=Path, help="lab state directory (default /run/aifab-lab/<cluster>)")

    up = action("up", "build the lab; on a running lab report its state and change nothing")
    intent_and_state(up)
    up.add_argument("--configs", type=Path, help="boot switches with the rendered configs in DIR "
                    "(<device>.frr.conf, e.g. build/configs); default a minimal config")
    up.add_argument("--wait", type=float, metavar="SECONDS", help="wait until every designed BGP session is Established")
    up.add_argument("--force", action="store_true", help="tear down a running or degraded lab and rebuild it "
                    "(what was deployed is lost)")
    intent_and_state(action("down", "remove everything the lab made"))
    intent_and_state(action("status", "nodes, daemons, BGP sessions and routes; exit 1 unless healthy"))
    traffic = action("traffic", "UDP flows between the servers on every rail and the frontend; loss per path")
    intent_and_state(traffic)
    traffic.add_argument("--seconds", type=float, default=10.0, help="how long the senders run (default 10)")
    traffic.add_argument("--rate", type=float, default=50.0, metavar="PPS", help="packets per second per flow (default 50)")
    traffic.add_argument("--flows", type=int, default=4, metavar="N", help="flows (source ports) per server pair "
                         "and rail (default 4)")
    traffic.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")

    ex = action("exec", "run a command in a switch's (or host's) namespaces: aifab lab exec DEVICE -- CMD...")
    ex.add_argument("device", help="switch or host of a running lab")
    ex.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD...", help="the command and its arguments")
    ex.add_argument("--cluster", help="the lab of this cluster (needed when several running labs have DEVICE)")
    ex.add_argument("--state-dir", type=Path, help="the lab whose state is in DIR")

    export = action("export", "a containerlab cEOS lab of the same fabric (see docs/clab.md)")
    export.add_argument("intent", type=Path, help="intent YAML file")
    export.add_argument("--clab", action="store_true", help="a containerlab cEOS lab (topology, startup "
                        "configs, Nornir inventory); see docs/clab.md")
    export.add_argument("-o", "--out", type=Path, default=Path("build/clab"), help="output directory (default build/clab)")
    export.add_argument("--ceos-image", default="ceos:latest", help="cEOS image (default ceos:latest)")
    export.add_argument("--hand-kept", type=Path, metavar="DIR", help="hand-kept Nornir inventory folder "
                        "(default: as aifab build finds it)")


def run(args: argparse.Namespace) -> int:
    if args.action == "export":
        return export(args)
    require()
    if args.action == "exec":
        return exec_in(args)
    _, design = design_for(args.intent)
    console = Console()
    if args.action == "up":
        try:
            running = lab.up(design, args.state_dir, configs=args.configs, force=args.force)
        except lab.LabDegraded as exc:
            console.print(status_table(lab.status(design, args.state_dir)))
            console.print(f"[red]lab {design.cluster} is degraded, nothing was changed:[/]")
            for problem in exc.problems:
                console.print(f"  {problem}")
            console.print(f"aifab lab up --force {args.intent} tears it down and rebuilds it (what was deployed is lost); "
                          "a Design that only adds switches, hosts or cables to a whole lab grows it in place")
            return exc.exit_code
        if running.existing:
            current = lab.status(design, args.state_dir)
            console.print(status_table(current))
            console.print(f"lab {design.cluster} is already up: nothing changed ({'' if args.configs is None else '--configs ignored; '}"
                          f"--force rebuilds it); Nornir inventory {running.inventory}")
        elif running.added:
            console.print(f"lab {design.cluster} grown in place: added {', '.join(compress(running.added))} and "
                          f"{running.cables} cables; what ran is untouched (a deploy configures the new ports); "
                          f"Nornir inventory {running.inventory}", highlight=False)
        else:
            console.print(f"lab {design.cluster} up: {len(running.topology.switches)} switches, "
                          f"{len(running.topology.hosts)} hosts; state {running.state_dir}; "
                          f"Nornir inventory {running.inventory}")
        if args.wait is not None:
            took = lab.wait_established(running, design, timeout=args.wait)
            console.print(f"every BGP session Established after {took:.1f} s")
        return 0
    if args.action == "traffic":
        return traffic(args, design, console)
    if args.action == "down":
        removed = lab.down(design, args.state_dir)
        console.print(f"lab {design.cluster} down: removed {len(removed)} namespaces")
        return 0
    current = lab.status(design, args.state_dir)
    console.print(status_table(current))
    return 0 if current.healthy else 1


def exec_in(args: argparse.Namespace) -> int:
    """``aifab lab exec DEVICE -- CMD...``: the command's own exit code (128+N when killed by signal N)."""
    from aifab.lab.shell import enter, find

    argv = list(args.argv)
    while len(argv) > 1 and argv[0] in ("--cluster", "--state-dir"):  # options written after DEVICE
        setattr(args, argv[0][2:].replace("-", "_"), argv[1] if argv[0] == "--cluster" else Path(argv[1]))
        argv = argv[2:]
    argv = argv[1:] if argv[:1] == ["--"] else argv
    if not argv:
        raise AifabError("aifab lab exec: give the command after --, e.g. aifab lab exec be-spine1 -- vtysh -c 'show bgp summary'")
    prefix = enter(find(args.device, args.cluster, args.state_dir))
    try:
        code = subprocess.run([*prefix, *argv], check=False).returncode
    except OSError as exc:
        raise AifabError(f"aifab lab exec: {prefix[0]}: {exc.strerror or exc}") from None
    return code if code >= 0 else 128 - code


def export(args: argparse.Namespace) -> int:
    """``aifab lab export --clab``: no root or Docker needed to write the files."""
    from aifab.artifacts.clab import clab_path
    from aifab.lab.ceos import export_clab

    if not args.clab:
        raise AifabError("aifab lab export: say what to export: --clab")
    design, files = export_clab(args.intent, args.out, args.ceos_image, args.hand_kept)
    topo = clab_path(design, args.out)
    print(f"wrote {len(files)} files to {args.out}: sudo containerlab deploy -t {topo}; then "
          f"AIFAB_USERNAME=admin AIFAB_PASSWORD=admin aifab deploy {args.intent} --clab {args.out}")
    return 0


def traffic(args: argparse.Namespace, design: Design, console: Console) -> int:
    """``aifab lab traffic``: run the probe on the running lab; exit 1 when a packet was lost."""
    import json

    from aifab.lab.state import default_state_dir

    running = lab.Lab(lab.topology(design), args.state_dir or default_state_dir(design.cluster))
    found = lab.problems(running)
    if found:
        raise lab.LabError(f"lab {design.cluster} is not up: {'; '.join(found)} (aifab lab up {args.intent})")
    report = Probe(running, design, seconds=args.seconds, rate=args.rate, flows_per_pair=args.flows).run()
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=1))
    else:
        console.print(traffic_table(report, design.cluster))
    return 1 if report.totals().lost else 0


def traffic_table(report: Report, cluster: str) -> Table:
    """Per path (spine, or leaf for flows under one leaf), per rail / frontend, then the totals."""
    table = Table(title=f"aifab lab traffic {cluster}: {report.rate:g} pps per flow for {report.seconds:.1f} s",
                  title_justify="left")
    for col in ("path", "flows", "sent", "received", "lost", "reordered", "flows with loss", "longest gap ms"):
        table.add_column(col, justify="left" if col == "path" else "right")

    def row(name: str, c: Counts) -> None:
        lost = f"[red]{c.lost}[/]" if c.lost else "0"
        table.add_row(name, str(c.flows), str(c.sent), str(c.received), lost, str(c.reordered), str(c.flows_with_loss),
                      f"{1000 * c.max_gap / report.rate:.0f}")
    for name, c in report.by_path().items():
        row(name, c)
    table.add_section()
    for name, c in report.by_group().items():
        row(name, c)
    table.add_section()
    row("total", report.totals())
    return table


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
