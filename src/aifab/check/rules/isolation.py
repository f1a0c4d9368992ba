"""ISO: the backend and frontend share no device, link, prefix or session (docs/sources.md#two-fabrics)."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext, overlaps, pools
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.design.model import FabricDesign


def _other(ctx: CheckContext, fabric: str) -> FabricDesign:
    return ctx.design.frontend if fabric == "backend" else ctx.design.backend


@rule("ISO001", Severity.ERROR, "fabrics share no device, cable or pool", scope="design",
      rationale="the GPU backend must never carry or learn frontend traffic; one shared switch, cable or "
      "address pool joins the two fabrics", costly=True)
def design_isolated(ctx: CheckContext) -> Iterator[Hit]:
    be, fe = ctx.design.backend, ctx.design.frontend
    fabric_of = {d.name: d.fabric for d in be.devices}
    for d in fe.devices:
        if d.name in fabric_of:
            yield Hit("", d.name, "", f"{d.name} is a switch of both fabrics")
        fabric_of.setdefault(d.name, d.fabric)
    for dev in ctx.design.devices():
        for p in dev.ports:
            if p.peer in fabric_of and fabric_of[p.peer] != dev.fabric:
                yield Hit(dev.fabric, dev.name, p.name, f"cabled to {p.peer} {p.peer_port} of the {fabric_of[p.peer]} fabric")
    for host in ctx.design.hosts:
        for nic in host.nics:
            if fabric_of.get(nic.leaf, nic.fabric) != nic.fabric:
                yield Hit(nic.fabric, nic.leaf, nic.leaf_port, f"{host.name} {nic.name} ({nic.fabric}) lands on a {fabric_of[nic.leaf]} leaf")
    for a in pools(be):
        for b in pools(fe):
            if overlaps(a, b):
                yield Hit("", "", "", f"backend pool {a} overlaps frontend pool {b}")


@rule("ISO002", Severity.ERROR, "no prefix of the other fabric is configured or advertised",
      "a frontend prefix on a backend switch (or advertised into the backend) routes between the fabrics", costly=True)
def no_foreign_prefix(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        other = _other(ctx, dev.fabric)
        for iface in ctx.addresses.foreign.get(dev.name, ()):
            yield Hit(dev.fabric, dev.name, iface.name, f"address {iface.address} is in the {other.name} fabric's pools")
        for prefix in facts.advertised():
            if ctx.foreign(dev.fabric, prefix):
                yield Hit(dev.fabric, dev.name, prefix, f"{other.name} prefix {prefix} advertised into the {dev.fabric} fabric")


@rule("ISO003", Severity.ERROR, "no BGP session crosses the fabrics",
      "a session between the fabrics exchanges routes between them, which isolation forbids", costly=True)
def no_cross_session(ctx: CheckContext) -> Iterator[Hit]:
    devices = ctx.devices
    for dev, n, peer in ctx.foreign_neighbors:
        other = _other(ctx, dev.fabric)
        if peer in devices and devices[peer].fabric != dev.fabric:
            yield Hit(dev.fabric, dev.name, n.address, f"session to {peer} of the {other.name} fabric")
        else:
            yield Hit(dev.fabric, dev.name, n.address, f"neighbor {n.address} is in the {other.name} fabric's pools")
    for s in ctx.sessions:
        dev = s.device
        if s.peer in devices and devices[s.peer].fabric != dev.fabric:
            yield Hit(dev.fabric, dev.name, s.neighbor.address, f"session to {s.peer} of the {_other(ctx, dev.fabric).name} fabric")
