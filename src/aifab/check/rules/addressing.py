"""ADDR: unique loopbacks and interface addresses; both ends of a cable on one /31 (RFC 3021);
every address readable as IPv4 and the one the Design planned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from aifab.check.context import CheckContext, ip_int
from aifab.check.findings import Hit, Severity
from aifab.check.parse.facts import Interface
from aifab.check.registry import rule
from aifab.platforms import platform as platform_record


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
                if not i.address and not i.bad_address:  # an unreadable address is ADDR004's
                    yield Hit(dev.fabric, dev.name, i.name, f"cabled port {i.name} has no address")
            continue
        if not one_p2p(a.address, b.address):
            yield Hit(c.a.fabric, c.a.name, a.name,
                      f"{a.address} and {c.b.name} {b.name} {b.address} are not the two ends of one /31")


def one_p2p(a: str, b: str) -> bool:
    """True when the addresses ``a`` and ``b`` (CIDR) are the two ends of one /31: both /31 and
    differing in the last bit alone (68k cables at 32k GPUs: no Net built per end)."""
    ip_a, _, len_a = a.partition("/")
    ip_b, _, len_b = b.partition("/")
    return len_a == len_b == "31" and ip_int(ip_a) ^ ip_int(ip_b) == 1


@rule("ADDR004", Severity.ERROR, "every configured address is an IPv4 address and prefix length",
      "a device rejects an address such as 10.0.2.999/31 or 10.0.2.0/99: the interface comes up without one")
def readable_addresses(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        for iface in facts.interfaces.values():
            if iface.bad_address is not None:
                yield Hit(dev.fabric, dev.name, iface.name,
                          f"address {iface.bad_address!r} is not an IPv4 address with a prefix length (0-32)")


@rule("ADDR005", Severity.ERROR, "interface, loopback and management addresses are the Design's",
      "an address the Design did not plan may be valid yet unique and still break a host's gateway, a "
      "router ID or the IP plan operators rely on")
def planned_addresses(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        naming = platform_record(dev.platform)
        plan = {p.name: p.address for p in dev.ports}
        plan[naming.loopback] = f"{dev.loopback}/32"
        plan[naming.management] = plan[naming.container_management_name] = dev.management
        for iface in facts.interfaces.values():
            want = plan.get(iface.name)
            if iface.address == want or iface.bad_address is not None:  # ADDR004's
                continue
            if iface.address is None:
                if iface.name == naming.loopback:
                    yield Hit(dev.fabric, dev.name, iface.name, f"loopback has no address, the Design's is {want}")
            elif not _named_elsewhere(ctx, dev.name, iface):
                yield Hit(dev.fabric, dev.name, iface.name, f"address {iface.address}, the Design's is {want}" if want
                          else f"address {iface.address} on an interface the Design does not address")


def _named_elsewhere(ctx: CheckContext, device: str, iface: Interface) -> bool:
    """True when ADDR001/ADDR002 (a shared address) or ADDR003 (a cable's ends not on one /31)
    already name this interface's address (looked up only for the rare address off the plan)."""
    assert iface.address is not None
    if ip_int(iface.address.partition("/")[0]) in ctx.addresses.shared:
        return True
    port = next((p for p in ctx.devices[device].ports if p.name == iface.name), None)
    if port is None or port.role == "server":
        return False
    peer = ctx.interface(port.peer, port.peer_port)
    return peer is not None and peer.address is not None and not one_p2p(iface.address, peer.address)
