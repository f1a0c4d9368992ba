"""ADDR: unique loopbacks and interface addresses; both ends of a cable on one /31 (RFC 3021)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from aifab.check.context import CheckContext, to_net
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("ADDR001", Severity.ERROR, "loopbacks are unique",
      "loopbacks are router IDs and the addresses operators and BGP next hops rely on; a duplicate blackholes one switch", costly=True)
def unique_loopbacks(ctx: CheckContext) -> Iterator[Hit]:
    holders: dict[str, list[str]] = defaultdict(list)
    for dev, facts in ctx.checked():
        if facts.loopback:
            holders[facts.loopback].append(dev.name)
    for ip, names in holders.items():
        for name in names if len(names) > 1 else ():
            others = ", ".join(n for n in names if n != name)
            yield Hit(ctx.devices[name].fabric, name, "", f"loopback {ip} is also configured on {others}")


@rule("ADDR002", Severity.ERROR, "interface addresses are unique",
      "an address on two interfaces makes the /31 ambiguous: ARP, BGP next hops and sessions land on the wrong switch", costly=True)
def unique_addresses(ctx: CheckContext) -> Iterator[Hit]:
    for holders in ctx.addresses.shared.values():
        routed = [(d, i) for d, i in holders if not is_loopback(i)]
        if not routed:
            continue  # loopbacks only (ADDR001)
        for device, iface in routed:
            others = ", ".join(f"{d} {i}" for d, i in holders if (d, i) != (device, iface))
            address = ctx.facts[device].interfaces[iface].address
            yield Hit(ctx.devices[device].fabric if device in ctx.devices else "", device, iface,
                      f"address {address} is also on {others}")


def is_loopback(interface: str) -> bool:
    """``Loopback0`` (EOS, SONiC) or ``lo`` (FRR)."""
    return interface.lower().startswith("lo")


@rule("ADDR003", Severity.ERROR, "both ends of a cable share one /31",
      "a point-to-point link needs its two addresses on the same /31 (RFC 3021) or the link carries nothing")
def cable_on_one_p2p(ctx: CheckContext) -> Iterator[Hit]:
    for c, a, b in ctx.cable_ends:
        if a is None or b is None:
            missing = [f"{d.name} {p.name}" for d, p, i in ((c.a, c.a_port, a), (c.b, c.b_port, b))
                       if i is None and d.name in ctx.facts]
            for where in missing:
                device, _, port = where.partition(" ")
                yield Hit(c.a.fabric, device, port, f"cabled port {port} is not configured")
            continue
        if not a.address or not b.address:
            for dev, i in ((c.a, a), (c.b, b)):
                if not i.address:
                    yield Hit(dev.fabric, dev.name, i.name, f"cabled port {i.name} has no address")
            continue
        na, nb = to_net(a.address), to_net(b.address)
        if na.plen != 31 or nb.plen != 31 or na.first != nb.first or na.addr == nb.addr:
            yield Hit(c.a.fabric, c.a.name, a.name,
                      f"{a.address} and {c.b.name} {b.name} {b.address} are not the two ends of one /31")
