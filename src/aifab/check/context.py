"""What every rule reads: the Design, the parsed facts per device, and shared indexes built once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from aifab.check.parse.facts import DeviceFacts, Interface
from aifab.design.model import Design, Device, Port


def ip_int(ip: str) -> int:
    """Dotted-quad IPv4 to an int (fast; the inputs are addresses the parsers already matched)."""
    a, b, c, d = ip.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


def cidr(prefix: str) -> tuple[int, int]:
    """``10.0.0.1/31`` -> (address as int, prefix length); a bare address is a /32."""
    ip, _, plen = prefix.partition("/")
    return ip_int(ip), int(plen or 32)


def network_of(prefix: str) -> tuple[int, int]:
    """The network of a CIDR as (first address, prefix length)."""
    addr, plen = cidr(prefix)
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    return addr & mask, plen


def overlaps(a: str, b: str) -> bool:
    """True when two prefixes (CIDR or bare addresses) share any address."""
    (na, la), (nb, lb) = network_of(a), network_of(b)
    shift = 32 - min(la, lb)
    return (na >> shift) == (nb >> shift)


@dataclass(frozen=True, slots=True)
class Cable:
    """A switch-to-switch cable from the Design, seen from its ``a`` end (each cable once)."""

    a: Device
    a_port: Port
    b: Device
    b_port: Port


@dataclass
class CheckContext:
    """Inputs of one check run. Indexes are computed on first use and shared by every rule."""

    design: Design
    facts: dict[str, DeviceFacts] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # device -> why its files could not be parsed
    oversubscription: dict[str, float] = field(default_factory=dict)  # fabric -> leaf down:up the intent asks

    @cached_property
    def devices(self) -> dict[str, Device]:
        return {d.name: d for d in self.design.devices()}

    @cached_property
    def cables(self) -> list[Cable]:
        """Every switch-to-switch cable once (from the lower tier's uplink end)."""
        out = []
        for dev in self.devices.values():
            for port in dev.ports:
                if port.role == "uplink" and port.peer in self.devices:
                    peer = self.devices[port.peer]
                    peer_port = next((p for p in peer.ports if p.name == port.peer_port), None)
                    if peer_port is not None:
                        out.append(Cable(dev, port, peer, peer_port))
        return out

    @cached_property
    def owners(self) -> dict[int, list[tuple[str, str]]]:
        """Configured interface address (as int) -> every (device, interface) that holds it."""
        out: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name, facts in self.facts.items():
            for iface in facts.interfaces.values():
                if iface.address:
                    out[cidr(iface.address)[0]].append((name, iface.name))
        return out

    @cached_property
    def subnets(self) -> dict[str, dict[int, dict[int, Interface]]]:
        """Device -> prefix length -> network (as int) -> the interface on that connected subnet."""
        out: dict[str, dict[int, dict[int, Interface]]] = {}
        for name, facts in self.facts.items():
            by_len: dict[int, dict[int, Interface]] = defaultdict(dict)
            for iface in facts.interfaces.values():
                if iface.address:
                    net, plen = network_of(iface.address)
                    by_len[plen][net] = iface
            out[name] = by_len
        return out

    def connected(self, device: str, address: str) -> Interface | None:
        """The device's interface whose subnet holds ``address`` (None when none does)."""
        addr = cidr(address)[0]
        for plen, nets in self.subnets.get(device, {}).items():
            iface = nets.get(addr & ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF))
            if iface is not None:
                return iface
        return None

    @cached_property
    def designed_owner(self) -> dict[int, str]:
        """Every address the Design assigns to a switch (ports and loopbacks) -> that switch."""
        out = {}
        for dev in self.devices.values():
            out[ip_int(dev.loopback)] = dev.name
            for p in dev.ports:
                out[cidr(p.address)[0]] = dev.name
        return out

    def unparsed_owner(self, address: str) -> bool:
        """True when the Design gives ``address`` to a switch whose files were not parsed (CFG001 reports it)."""
        owner = self.designed_owner.get(cidr(address)[0])
        return owner is not None and owner not in self.facts

    def foreign(self, fabric: str, prefix: str) -> bool:
        """True when ``prefix`` overlaps a pool of the fabric other than ``fabric``."""
        other = self.design.frontend if fabric == "backend" else self.design.backend
        return any(overlaps(prefix, p) for p in (other.loopbacks, other.p2p, other.servers))

    def peer_of(self, device: str, address: str) -> str | None:
        """The other device holding ``address`` (None when no other device does)."""
        return next((d for d, _ in self.owners.get(cidr(address)[0], []) if d != device), None)

    def checked(self) -> list[tuple[Device, DeviceFacts]]:
        """Design devices whose files were parsed, in Design order."""
        return [(d, self.facts[d.name]) for d in self.devices.values() if d.name in self.facts]

    def interface(self, device: str, name: str) -> Interface | None:
        """The parsed interface, or None when the device or interface is not in the facts."""
        facts = self.facts.get(device)
        return facts.interfaces.get(name) if facts else None
