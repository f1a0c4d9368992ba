"""What every rule reads: the Design, the parsed facts per device, and shared indexes built once.

Addresses are compared as integers; each distinct address string is converted once per run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from socket import inet_aton
from typing import NamedTuple

from aifab.check.parse.facts import DeviceFacts, Interface, Neighbor
from aifab.design.model import Design, Device, FabricDesign, Port

MASK = 0xFFFFFFFF


def ip_int(ip: str) -> int:
    """Dotted-quad IPv4 to an int (the inputs are addresses the parsers already matched)."""
    return int.from_bytes(inet_aton(ip), "big")


class Net(NamedTuple):
    """A CIDR (or bare address, /32) as integers: the address, its prefix length, first and last address."""

    addr: int
    plen: int
    first: int
    last: int

    def overlaps(self, other: Net) -> bool:
        return self.first <= other.last and other.first <= self.last


def to_net(prefix: str) -> Net:
    ip, _, plen_s = prefix.partition("/")
    addr, plen = ip_int(ip), int(plen_s or 32)
    mask = (MASK << (32 - plen)) & MASK
    return Net(addr, plen, addr & mask, (addr & mask) | (~mask & MASK))


class _Nets(dict[str, Net]):
    """Prefix -> Net, each distinct string converted once, on first lookup."""

    def __missing__(self, prefix: str) -> Net:
        n = self[prefix] = to_net(prefix)
        return n


def overlaps(a: str, b: str) -> bool:
    """True when two prefixes (CIDR or bare addresses) share any address."""
    return to_net(a).overlaps(to_net(b))


def pools(fabric: FabricDesign) -> list[str]:
    """A fabric's address pools: loopbacks, point-to-point links, server links."""
    return [fabric.loopbacks, fabric.p2p, fabric.servers]


@dataclass(frozen=True, slots=True)
class Cable:
    """A switch-to-switch cable from the Design, seen from its ``a`` end (each cable once)."""

    a: Device
    a_port: Port
    b: Device
    b_port: Port


class Session(NamedTuple):
    """A configured neighbor, resolved: the local interface whose subnet holds it and the switch holding it."""

    device: Device
    facts: DeviceFacts
    neighbor: Neighbor
    local: Interface | None
    peer: str | None


@dataclass
class CheckContext:
    """Inputs of one check run. Indexes are computed on first use and shared by every rule."""

    design: Design
    facts: dict[str, DeviceFacts] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # device -> why its files could not be parsed
    _nets: _Nets = field(default_factory=_Nets, repr=False)

    def net(self, prefix: str) -> Net:
        """``prefix`` as integers (memoised: the same strings recur across rules)."""
        return self._nets[prefix]

    @cached_property
    def devices(self) -> dict[str, Device]:
        return {d.name: d for d in self.design.devices()}

    @cached_property
    def cables(self) -> list[Cable]:
        """Every switch-to-switch cable once (from the lower tier's uplink end)."""
        ports = {(d.name, p.name): p for d in self.devices.values() for p in d.ports}
        out = []
        for dev in self.devices.values():
            for port in dev.ports:
                peer_port = ports.get((port.peer, port.peer_port)) if port.role == "uplink" else None
                if peer_port is not None:
                    out.append(Cable(dev, port, self.devices[port.peer], peer_port))
        return out

    @cached_property
    def cable_ends(self) -> list[tuple[Cable, Interface | None, Interface | None]]:
        """Every cable with the parsed interfaces at its ``a`` and ``b`` ends (None where not parsed)."""
        return [(c, self.interface(c.a.name, c.a_port.name), self.interface(c.b.name, c.b_port.name)) for c in self.cables]

    @cached_property
    def owners(self) -> dict[int, list[tuple[str, str]]]:
        """Configured interface address (as int) -> every (device, interface) that holds it."""
        out: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name, facts in self.facts.items():
            for iface in facts.interfaces.values():
                if iface.address:
                    out[self.net(iface.address).addr].append((name, iface.name))
        return out

    @cached_property
    def subnets(self) -> dict[str, dict[int, dict[int, Interface]]]:
        """Device -> prefix length -> network (as int) -> the interface on that connected subnet."""
        out: dict[str, dict[int, dict[int, Interface]]] = {}
        for name, facts in self.facts.items():
            by_len: dict[int, dict[int, Interface]] = defaultdict(dict)
            for iface in facts.interfaces.values():
                if iface.address:
                    n = self.net(iface.address)
                    by_len[n.plen][n.first] = iface
            out[name] = by_len
        return out

    @cached_property
    def designed_owner(self) -> dict[int, str]:
        """Every address the Design assigns to a switch (ports and loopbacks) -> that switch."""
        out = {}
        for dev in self.devices.values():
            out[ip_int(dev.loopback)] = dev.name
            for p in dev.ports:
                out[self.net(p.address).addr] = dev.name
        return out

    @cached_property
    def _foreign_pools(self) -> dict[str, list[Net]]:
        be, fe = self.design.backend, self.design.frontend
        return {"backend": [to_net(p) for p in pools(fe)], "frontend": [to_net(p) for p in pools(be)]}

    def foreign(self, fabric: str, prefix: str) -> bool:
        """True when ``prefix`` overlaps a pool of the fabric other than ``fabric``."""
        n = self.net(prefix)
        return any(n.first <= p.last and p.first <= n.last for p in self._foreign_pools[fabric])

    def unparsed_owner(self, address: str) -> bool:
        """True when the Design gives ``address`` to a switch whose files were not parsed (CFG001 reports it)."""
        if len(self.facts) == len(self.devices):
            return False
        owner = self.designed_owner.get(self.net(address).addr)
        return owner is not None and owner not in self.facts

    def connected(self, device: str, address: str) -> Interface | None:
        """The device's interface whose subnet holds ``address`` (None when none does)."""
        addr = self.net(address).addr
        for plen, nets in self.subnets.get(device, {}).items():
            iface = nets.get(addr & ((MASK << (32 - plen)) & MASK))
            if iface is not None:
                return iface
        return None

    def peer_of(self, device: str, address: str) -> str | None:
        """The other device holding ``address`` (None when no other device does)."""
        for d, _ in self.owners.get(self.net(address).addr, ()):
            if d != device:
                return d
        return None

    @cached_property
    def sessions(self) -> list[Session]:
        """Every configured neighbor of every parsed device, resolved once, except neighbors in the
        other fabric (ISO003 reports those) and neighbors on switches that were not parsed (CFG001)."""
        out = []
        for dev, facts in self.checked():
            for n in facts.bgp.neighbors.values() if facts.bgp else ():
                a = n.address
                if not self.foreign(dev.fabric, a) and not self.unparsed_owner(a):
                    out.append(Session(dev, facts, n, self.connected(dev.name, a), self.peer_of(dev.name, a)))
        return out

    @cached_property
    def configured_ports(self) -> dict[str, list[tuple[Port, Interface]]]:
        """Parsed device -> its cabled ports (from the Design) that its files configure, with their facts."""
        return {dev.name: [(p, facts.interfaces[p.name]) for p in dev.ports if p.name in facts.interfaces]
                for dev, facts in self.checked()}

    def checked(self) -> list[tuple[Device, DeviceFacts]]:
        """Design devices whose files were parsed, in Design order."""
        return [(d, self.facts[d.name]) for d in self.devices.values() if d.name in self.facts]

    def interface(self, device: str, name: str) -> Interface | None:
        """The parsed interface, or None when the device or interface is not in the facts."""
        facts = self.facts.get(device)
        return facts.interfaces.get(name) if facts else None
