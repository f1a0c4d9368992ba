"""Typed facts parsed back from one device's rendered files: what ships, as data.

Every parser (EOS text; frr.conf, links.sh and qos.sh text; SONiC config_db.json) fills these
same types, so the rules never look at a platform's syntax. Sizes are bytes, speeds Gb/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any


@dataclass(slots=True)
class Ecn:
    """ECN/WRED marking on one egress queue."""

    min_bytes: int | None
    max_bytes: int | None
    probability: int | None = None


@dataclass(slots=True)
class Headroom:
    """Lossless buffer reserved for one priority group of an ingress port."""

    size: int
    xoff: int | None = None
    xon: int | None = None
    pool: str | None = None


@dataclass(slots=True)
class Interface:
    """A routed interface: address, MTU, speed, description and its QoS as configured on it."""

    name: str
    address: str | None = None  # CIDR
    mtu: int | None = None  # None when the platform's files do not state it
    description: str | None = None
    speed: int | None = None  # Gb/s, when the files state it
    shutdown: bool = False
    dscp_to_tc: dict[int, int] | None = None  # the DSCP -> traffic class map the port classifies with; None: no DSCP trust
    pfc: frozenset[int] = frozenset()  # no-drop (PFC) priorities
    watchdog: bool | None = None  # PFC watchdog armed; None where the platform's files cannot state it
    strict: frozenset[int] = frozenset()  # strict-priority egress queues
    ecn: dict[int, Ecn] = field(default_factory=dict)  # ECN marking per egress queue
    headroom: dict[int, Headroom] = field(default_factory=dict)  # PFC headroom per ingress priority group
    bad_address: str | None = None  # an address line's value that is not an IPv4 address/length (then ``address`` is None)
    lanes: range | None = None  # electrical lanes used, counted within the front-panel port from 0; None: not stated
    breakout: str | None = None  # the front-panel port's breakout mode as the files state it (SONiC BREAKOUT_CFG)
    watchdog_priorities: frozenset[int] | None = None  # priorities the PFC watchdog guards; None: the files cannot state it


@dataclass(slots=True)
class Neighbor:
    """A BGP neighbor with its effective remote-as (a peer group's when the neighbor has none)."""

    address: str
    remote_as: int | None
    group: str | None = None


@dataclass(slots=True)
class Bgp:
    """The BGP process: ASN, router ID, ECMP width, neighbors, and what it advertises."""

    asn: int
    router_id: str | None = None
    maximum_paths: int | None = None
    neighbors: dict[str, Neighbor] = field(default_factory=dict)
    groups: dict[str, int | None] = field(default_factory=dict)  # peer group -> remote-as
    networks: list[str] = field(default_factory=list)  # originated: network statements and aggregates
    redistribute: list[str] = field(default_factory=list)  # route maps on ``redistribute connected`` ("" = none)


@dataclass(slots=True)
class Access:
    """The way in as a pushed file states it (where a pushed file can take it away: EOS, SONiC)."""

    management: str  # the management interface's name
    vrf: str  # the management VRF the platform uses
    users: list[str] | None  # local users with a password or an SSH key; None: accounts live outside the file
    login_local: bool  # login may use the local users (no AAA login list, or one ending in local)
    login_servers: int  # AAA servers the login list can ask (TACACS+/RADIUS hosts in its groups)
    ssh: bool  # SSH enabled in the management VRF


@dataclass(slots=True)
class DeviceFacts:
    """Everything parsed back for one device."""

    device: str
    platform: str
    files: tuple[str, ...]
    hostname: str | None = None
    loopback: str | None = None  # bare IP of the loopback interface
    interfaces: dict[str, Interface] = field(default_factory=dict)
    prefix_lists: dict[str, list[str]] = field(default_factory=dict)  # name -> permitted prefixes
    route_maps: dict[str, list[str]] = field(default_factory=dict)  # name -> prefix lists its permit entries match
    bgp: Bgp | None = None
    headroom_pool: int | None = None  # bytes the configured headroom must fit, where the files state it (EOS)
    access: Access | None = None  # None where the pushed file cannot lock anyone out (frr.conf)
    # ECMP hash as the files state it: header fields (src_ip dst_ip ip_proto l4_src_port l4_dst_port) plus
    # "roce_qp" and "dynamic"; empty when they state none (the platform's default); None where a
    # platform's parser does not read it
    ecmp_hash: frozenset[str] | None = None
    # BGP knobs that defeat AS-path loop prevention, per neighbor address or peer group:
    # "allowas-in" (accept paths holding our ASN), "as-override", "remove-private-as" (rewrite what we send)
    loop_knobs: dict[str, frozenset[str]] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain tuples of fields (the forked parsers send their facts): pickling ~180k
        dataclass objects one by one costs several times more than their fields."""
        return _unpack, (_pack(self),)

    def advertised(self) -> list[str]:
        """Prefixes BGP originates or redistributes: networks, aggregates, and what the
        redistribution route maps' prefix lists permit (every connected subnet without a route map)."""
        if self.bgp is None:
            return []
        out = list(self.bgp.networks)
        for route_map in self.bgp.redistribute:
            if not route_map:
                out += [i.address for i in self.interfaces.values() if i.address]
            for name in self.route_maps.get(route_map, []):
                out += self.prefix_lists.get(name, [])
        return out


_INTERFACE = attrgetter(*(f.name for f in fields(Interface)))
_NEIGHBOR = attrgetter(*(f.name for f in fields(Neighbor)))
_ACCESS = attrgetter(*(f.name for f in fields(Access)))


def _pack(f: DeviceFacts) -> tuple[Any, ...]:
    bgp = f.bgp and (f.bgp.asn, f.bgp.router_id, f.bgp.maximum_paths, [_NEIGHBOR(n) for n in f.bgp.neighbors.values()],
                     f.bgp.groups, f.bgp.networks, f.bgp.redistribute)
    return (f.device, f.platform, f.files, f.hostname, f.loopback, [_INTERFACE(i) for i in f.interfaces.values()],
            f.prefix_lists, f.route_maps, bgp, f.headroom_pool, f.access and _ACCESS(f.access), f.ecmp_hash, f.loop_knobs)


def _unpack(p: tuple[Any, ...]) -> DeviceFacts:
    device, platform, files, hostname, loopback, ifaces, prefix_lists, route_maps, bgp, pool, access, ecmp_hash, loop_knobs = p
    if bgp is not None:
        asn, router_id, paths, nbrs, groups, networks, redistribute = bgp
        bgp = Bgp(asn, router_id, paths, {n[0]: Neighbor(*n) for n in nbrs}, groups, networks, redistribute)
    return DeviceFacts(device, platform, files, hostname, loopback, {i[0]: Interface(*i) for i in ifaces},
                       prefix_lists, route_maps, bgp, pool, access and Access(*access), ecmp_hash, loop_knobs)
