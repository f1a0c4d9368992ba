"""The per-device view: every value a template places, computed once in Python from the Design.

Templates only loop and place these values (no arithmetic, no lookups). One view per device,
shaped AVD-like as "structured config": interfaces, prefix lists, route maps, BGP, QoS, buffers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netaddr import IPAddress

from aifab.design.model import Design, Device, FabricDesign
from aifab.platforms import PLATFORMS

# EOS speed settings per port speed (Gb/s); the lane count follows the port's form factor.
EOS_SPEED = {10: "forced 10000full", 25: "forced 25gfull", 40: "forced 40gfull", 50: "50g-2", 100: "100g-4",
             200: "200g-4", 400: "400g-8", 800: "800g-8"}
MGMT_VRF = "MGMT"
RM_CONNECTED = "RM-CONN-2-BGP"
PL_LOOPBACKS = "PL-LOOPBACKS"
PL_SERVERS = "PL-SERVER-SUBNETS"
RM_GSHUT = "RM-GSHUT"
DRAIN_PROFILE = "AIFAB-DRAIN"


@dataclass(frozen=True, slots=True)
class Interface:
    """A routed interface as the platform names and configures it."""

    name: str
    description: str
    address: str  # CIDR
    mtu: int
    speed: str  # the platform's speed setting (EOS keyword, or Mb/s for Linux and SONiC)
    peer: str


@dataclass(frozen=True, slots=True)
class Management:
    """Out-of-band management interface; ``vrf`` is empty where the platform keeps it in the OS."""

    name: str
    address: str  # CIDR
    gateway: str
    vrf: str


@dataclass(frozen=True, slots=True)
class ZebraInterface:
    """An interface section of frr.conf (ports, loopback and management alike)."""

    name: str
    description: str
    address: str  # CIDR


@dataclass(frozen=True, slots=True)
class PrefixEntry:
    seq: int
    action: str
    prefix: str
    ge: int | None = None
    le: int | None = None


@dataclass(frozen=True, slots=True)
class PrefixList:
    name: str
    entries: tuple[PrefixEntry, ...]


@dataclass(frozen=True, slots=True)
class RouteMapEntry:
    seq: int
    action: str
    match_prefix_list: str | None = None
    set_local_preference: int | None = None
    set_community: str | None = None


@dataclass(frozen=True, slots=True)
class RouteMap:
    name: str
    entries: tuple[RouteMapEntry, ...]


@dataclass(frozen=True, slots=True)
class PeerGroup:
    name: str


@dataclass(frozen=True, slots=True)
class BgpNeighbor:
    address: str
    remote_as: int
    group: str
    description: str


@dataclass(frozen=True, slots=True)
class Bgp:
    """``router bgp``: eBGP on every /31, ECMP, graceful restart, redistribution through a route map."""

    asn: int
    router_id: str
    max_paths: int
    restart_time: int  # graceful restart, seconds (Design.upgrade.graceful_restart_s)
    peer_groups: tuple[PeerGroup, ...]
    neighbors: tuple[BgpNeighbor, ...]
    aggregates: tuple[str, ...]  # server blocks, advertised summary-only
    redistribute_route_map: str


@dataclass(frozen=True, slots=True)
class Maintenance:
    """EOS drain hook: the BGP maintenance profile applied when ``unit System`` is quiesced."""

    profile: str
    route_map: str


@dataclass(frozen=True, slots=True)
class DeviceView:
    """Everything one device's templates need."""

    hostname: str
    platform: str
    fabric: str
    role: str
    loopback_name: str
    loopback: str  # CIDR /32
    management: Management
    interfaces: tuple[Interface, ...]  # cabled ports, in the platform's config order
    zebra_interfaces: tuple[ZebraInterface, ...]  # frr.conf interface sections, in FRR's order
    prefix_lists: tuple[PrefixList, ...]
    route_maps: tuple[RouteMap, ...]
    bgp: Bgp
    maintenance: Maintenance | None


def natural_key(name: str) -> tuple[str | int, ...]:
    """Sort key that orders ``swp9`` before ``swp10`` (FRR and EOS order interfaces this way)."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", name)))


def _speed(platform: str, gbps: int) -> str:
    return EOS_SPEED[gbps] if platform == "eos" else str(gbps * 1000)


def _prefix_lists(fabric: FabricDesign, dev: Device) -> tuple[PrefixList, ...]:
    """Loopbacks of the fabric (/32 only) and, on leaves, the server blocks with their /31s."""
    lists = [PrefixList(PL_LOOPBACKS, (PrefixEntry(10, "permit", fabric.loopbacks, ge=32),))]
    if dev.server_subnets:
        lists.append(PrefixList(PL_SERVERS, tuple(
            PrefixEntry(10 * (i + 1), "permit", net, le=31) for i, net in enumerate(dev.server_subnets))))
    return tuple(lists)


def _route_maps(lists: tuple[PrefixList, ...], platform: str) -> tuple[RouteMap, ...]:
    maps = [RouteMap(RM_CONNECTED, tuple(RouteMapEntry(10 * (i + 1), "permit", match_prefix_list=pl.name)
                                         for i, pl in enumerate(lists)))]
    if platform == "eos":
        # Maintenance profile: outbound GSHUT community (RFC 8326), inbound local-preference 0.
        maps.append(RouteMap(RM_GSHUT, (RouteMapEntry(10, "permit", set_local_preference=0, set_community="GSHUT"),)))
    return tuple(maps)


def _bgp(design: Design, dev: Device) -> Bgp:
    groups = sorted({n.group for n in dev.neighbors})
    # FRR keeps neighbors sorted by peer group, then address; EOS accepts any order.
    neighbors = sorted(dev.neighbors, key=lambda n: (n.group, int(IPAddress(n.peer_address))))
    return Bgp(
        asn=dev.asn,
        router_id=dev.loopback,
        max_paths=dev.max_paths,
        restart_time=design.upgrade.graceful_restart_s,
        peer_groups=tuple(PeerGroup(g) for g in groups),
        neighbors=tuple(BgpNeighbor(n.peer_address, n.peer_asn, n.group, n.peer) for n in neighbors),
        aggregates=dev.server_subnets,
        redistribute_route_map=RM_CONNECTED,
    )


def _zebra_interfaces(platform: str, loopback: str, dev: Device, mgmt: Management,
                      ports: list[Interface]) -> tuple[ZebraInterface, ...]:
    """frr.conf interfaces on the frr platform; SONiC keeps addresses in config_db.json instead."""
    if platform != "frr":
        return ()
    out = [ZebraInterface(p.name, p.description, p.address) for p in ports]
    out.append(ZebraInterface(loopback, "", f"{dev.loopback}/32"))
    out.append(ZebraInterface(mgmt.name, "oob_management", mgmt.address))
    return tuple(sorted(out, key=lambda i: natural_key(i.name)))


def device_view(design: Design, dev: Device) -> DeviceView:
    """The view of ``dev`` for its platform."""
    platform = dev.platform
    info = PLATFORMS[platform]
    fabric = design.backend if dev.fabric == "backend" else design.frontend
    ports = [Interface(p.name, p.description, p.address, p.mtu, _speed(platform, p.speed), p.peer) for p in dev.ports]
    if platform != "eos":
        ports.sort(key=lambda i: natural_key(i.name))
    lists = _prefix_lists(fabric, dev)
    mgmt = Management(info.management, dev.management, design.management_gateway, MGMT_VRF if platform == "eos" else "")
    return DeviceView(
        hostname=dev.name,
        platform=platform,
        fabric=dev.fabric,
        role=dev.role,
        loopback_name=info.loopback,
        loopback=f"{dev.loopback}/32",
        management=mgmt,
        interfaces=tuple(ports),
        zebra_interfaces=_zebra_interfaces(platform, info.loopback, dev, mgmt, ports),
        prefix_lists=lists,
        route_maps=_route_maps(lists, platform),
        bgp=_bgp(design, dev),
        maintenance=Maintenance(DRAIN_PROFILE, RM_GSHUT) if platform == "eos" else None,
    )
