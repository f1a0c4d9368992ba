"""The build summary: devices per role and tier, links, sessions, GPUs, the worst bandwidth ratio per
tier and the ports each tier leaves unused."""

from __future__ import annotations

from rich.table import Table

from aifab.console import Console
from aifab.design.model import Design


def summary_table(design: Design) -> Table:
    """A rich table of each fabric's tiers: devices, the worst down:up ratio of the tier's switches, unused ports."""
    table = Table(title=f"aifab design: {design.cluster}", title_justify="left")
    for col in ("fabric", "tier", "role", "devices", "worst down:up", "unused ports"):
        table.add_column(col, justify="left" if col in ("fabric", "tier", "role") else "right")
    for fab in design.fabrics:
        for i, tier in enumerate(fab.tiers, start=1):
            ratio = "-" if tier.ratio is None else f"{tier.ratio:.2f}:1"
            table.add_row(fab.name, str(i), tier.role, str(tier.count), ratio, f"{tier.unused_ports:,}")
    return table


def totals(design: Design) -> dict[str, int]:
    """Headline counts: switches, switch links, server links, BGP sessions, GPUs, hosts."""
    devices = design.devices()
    ports = [p for d in devices for p in d.ports]
    return {
        "switches": len(devices),
        "fabric_links": sum(1 for p in ports if p.role == "uplink"),
        "server_links": sum(1 for p in ports if p.role == "server"),
        "bgp_sessions": sum(len(d.neighbors) for d in devices) // 2,
        "gpus": sum(1 for h in design.hosts for n in h.nics if n.fabric == "backend"),
        "hosts": len(design.hosts),
    }


def print_summary(design: Design, console: Console | None = None) -> None:
    """Print the tier table and the totals line."""
    console = console or Console()
    console.print(summary_table(design))
    console.print("  ".join(f"{k.replace('_', ' ')}: {v}" for k, v in totals(design).items()), soft_wrap=True)
