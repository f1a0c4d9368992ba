"""What the lab is made of, derived from the Design: namespaces, cables, addresses, routes.

Pure functions, no I/O. One network namespace per switch and per host, one veth pair per
cable carrying the designed interface names on both ends, and a management namespace whose
bridge reaches every switch's ``eth0``. Data-plane addresses of switches are not here: the
switch's frr.conf sets them (zebra), exactly as on a real box.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from netaddr import IPNetwork

from aifab.design.model import Design, Host
from aifab.errors import AifabError

IFNAMSIZ = 15  # Linux interface names: at most 15 characters
MGMT = "mgmt"
BRIDGE = "br0"


class LabError(AifabError):
    """The lab cannot be built, reached or torn down; the message names the node."""


@dataclass(frozen=True, slots=True)
class Link:
    """A veth pair: one cable, ``a_if`` in ``a_ns`` and ``b_if`` in ``b_ns``."""

    a_ns: str
    a_if: str
    b_ns: str
    b_if: str
    mtu: int


@dataclass(frozen=True, slots=True)
class Route:
    """A static route in a host namespace; several next hops make an ECMP route."""

    prefix: str
    nexthops: tuple[tuple[str, str], ...]  # (gateway, interface)


@dataclass(frozen=True, slots=True)
class Switch:
    """A switch node: FRR and sshd run in its namespace."""

    name: str
    netns: str
    management: str  # CIDR on eth0
    mgmt_port: str  # its veth end in the management namespace
    platform: str  # the designed platform; every lab switch runs FRR

    @property
    def address(self) -> str:
        """The bare management IP (where sshd listens)."""
        return self.management.split("/")[0]


@dataclass(frozen=True, slots=True)
class HostNode:
    """A server or storage node: addresses and routes on its NICs, nothing running."""

    name: str
    netns: str
    addresses: tuple[tuple[str, str], ...]  # (interface, CIDR)
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class Topology:
    """Everything ``up`` creates for one cluster."""

    cluster: str
    prefix: str  # every namespace name starts with it
    mgmt_ns: str
    gateway: str  # CIDR on the management bridge (Design.management_gateway)
    switches: tuple[Switch, ...]
    hosts: tuple[HostNode, ...]
    links: tuple[Link, ...]

    @property
    def namespaces(self) -> list[str]:
        """Every namespace, management first."""
        return [self.mgmt_ns, *(s.netns for s in self.switches), *(h.netns for h in self.hosts)]

    def switch(self, name: str) -> Switch:
        """The switch called ``name``."""
        for s in self.switches:
            if s.name == name:
                return s
        raise LabError(f"{name}: no such switch in the lab of cluster {self.cluster}")


def mgmt_port(management: str) -> str:
    """A switch's veth end in the management namespace, named for its management address (``m``
    and the address in hex): the same when switches are added to the lab."""
    return f"m{int(IPNetwork(management).ip):x}"


def ns_prefix(cluster: str) -> str:
    """Namespace name prefix of a cluster's lab (``aifab-<cluster>.``; '.' cannot occur in a cluster name)."""
    return f"aifab-{cluster}."


def topology(design: Design) -> Topology:
    """The lab of ``design``; raises ``LabError`` naming the device if it cannot be built."""
    prefix = ns_prefix(design.cluster)
    devices = design.devices()
    names = [d.name for d in devices] + [h.name for h in design.hosts]
    dupes = sorted({n for n in names if names.count(n) > 1} | ({MGMT} & set(names)))
    if dupes:
        raise LabError(f"{', '.join(dupes)}: node name used twice or reserved in the lab")
    if not devices:
        raise LabError(f"cluster {design.cluster}: no switches to run")
    for dev in devices:
        long = [p.name for p in dev.ports if len(p.name) > IFNAMSIZ]
        if long:
            raise LabError(f"{dev.name}: interface names longer than {IFNAMSIZ} characters: {', '.join(long)}")

    prefixlen = IPNetwork(devices[0].management).prefixlen
    switches = tuple(Switch(d.name, prefix + d.name, d.management, mgmt_port(d.management), d.platform) for d in devices)
    links: list[Link] = []
    for dev in devices:
        for port in dev.ports:
            if port.role in ("uplink", "server"):  # each cable once: from its lower end
                links.append(Link(prefix + dev.name, port.name, prefix + port.peer, port.peer_port, port.mtu))
    return Topology(
        cluster=design.cluster,
        prefix=prefix,
        mgmt_ns=prefix + MGMT,
        gateway=f"{design.management_gateway}/{prefixlen}",
        switches=switches,
        hosts=tuple(_host(prefix, h) for h in design.hosts),
        links=tuple(links),
    )


def from_record(data: dict[str, Any]) -> Topology:
    """The :class:`Topology` a lab's state record keeps (``dataclasses.asdict`` of it, read from JSON)."""
    return Topology(
        data["cluster"], data["prefix"], data["mgmt_ns"], data["gateway"],
        tuple(Switch(**s) for s in data["switches"]),
        tuple(HostNode(h["name"], h["netns"], tuple(tuple(a) for a in h["addresses"]),  # type: ignore[misc]
                       tuple(Route(r["prefix"], tuple(tuple(n) for n in r["nexthops"])) for r in h["routes"]))  # type: ignore[misc]
              for h in data["hosts"]),
        tuple(Link(**ln) for ln in data["links"]))


def changed_nodes(old: Topology, new: Topology) -> list[str]:
    """What ``new`` moves or changes of ``old`` (empty: it only adds switches, hosts and cables)."""
    if (old.cluster, old.prefix, old.mgmt_ns, old.gateway) != (new.cluster, new.prefix, new.mgmt_ns, new.gateway):
        return ["the management network"]
    switches, hosts, links = set(new.switches), set(new.hosts), set(new.links)
    return ([s.name for s in old.switches if s not in switches] + [h.name for h in old.hosts if h not in hosts]
            + [f"{ln.a_ns.removeprefix(old.prefix)} {ln.a_if} - {ln.b_ns.removeprefix(old.prefix)} {ln.b_if}"
               for ln in old.links if ln not in links])


def _host(prefix: str, host: Host) -> HostNode:
    by_reach: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for nic in host.nics:
        if len(nic.name) > IFNAMSIZ:
            raise LabError(f"{host.name}: NIC name {nic.name!r} longer than {IFNAMSIZ} characters")
        by_reach[nic.reach].append((nic.gateway, nic.name))
    routes = tuple(Route(reach, tuple(hops)) for reach, hops in by_reach.items())
    return HostNode(host.name, prefix + host.name, tuple((n.name, n.address) for n in host.nics), routes)
