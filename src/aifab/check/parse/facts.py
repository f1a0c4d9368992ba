"""Typed facts parsed back from one device's rendered files: what ships, as data.

Every parser (EOS text, frr.conf text, SONiC config_db.json) fills these same types, so the
rules never look at a platform's syntax. Sizes are bytes, speeds Gb/s, times milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """A routed interface: address, MTU, description and its lossless-traffic settings."""

    name: str
    address: str | None = None  # CIDR
    mtu: int | None = None
    description: str | None = None
    speed: int | None = None  # Gb/s, when the config states it
    shutdown: bool = False
    pfc: frozenset[int] = frozenset()  # no-drop priorities
    watchdog: bool = False
    ecn: dict[int, Ecn] = field(default_factory=dict)  # per queue (= traffic class)
    headroom: dict[int, Headroom] = field(default_factory=dict)  # per priority group
    cable_m: float | None = None  # cable length the config declares (SONiC CABLE_LENGTH)


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
class Watchdog:
    """PFC watchdog timers."""

    detection_ms: int | None = None
    restoration_ms: int | None = None
    action: str | None = None


@dataclass(slots=True)
class Qos:
    """Device-wide QoS: DSCP -> traffic class map, strict-priority classes, watchdog timers."""

    dscp_to_tc: dict[int, int] = field(default_factory=dict)
    strict: frozenset[int] = frozenset()
    watchdog: Watchdog | None = None


@dataclass(slots=True)
class Buffers:
    """Buffer pools (bytes by name) and which one holds the lossless headroom."""

    pools: dict[str, int] = field(default_factory=dict)
    headroom_pool: str | None = None
    lossless_queue_bytes: int | None = None  # the buffer the lossless queue can use; ECN must mark below it


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
    qos: Qos | None = None
    buffers: Buffers | None = None

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
