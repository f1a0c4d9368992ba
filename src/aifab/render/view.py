"""The per-device view: every value a template places, computed once in Python from the Design.

Templates only loop and place these values (no arithmetic, no lookups). One view per device,
shaped AVD-like as "structured config": interfaces, prefix lists, route maps, BGP, QoS, buffers.
This module holds the platform-neutral part; what only one platform writes (EOS MMU and units,
Linux tc/dcb) is its record's ``view`` builder (``aifab.render.eos``, ``aifab.render.linux``),
placed in ``DeviceView.native``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from functools import cache
from operator import attrgetter, itemgetter
from socket import inet_aton
from typing import Any

from aifab.catalog import breakout_mode, lookup
from aifab.design.model import (
    AccessPolicy,
    BgpPolicy,
    Design,
    Device,
    DeviceBuffers,
    Neighbor,
    PortBuffer,
    QosPolicy,
    TelemetryPolicy,
)
from aifab.fastinit import fast_init
from aifab.placeholders import placeholder
from aifab.platforms import Platform, platform, resolve
from aifab.render.loadbalance import LoadBalanceView, load_balance_view
from aifab.render.shared import per_object

RM_CONNECTED = "RM-CONN-2-BGP"
PL_LOOPBACKS = "PL-LOOPBACKS"
PL_SERVERS = "PL-SERVER-SUBNETS"
RM_GSHUT = "RM-GSHUT"
DRAIN_PROFILE = "AIFAB-DRAIN"
FRR_MULTIPATH_NUM = 256  # Debian's FRR 8.4 build: maximum-paths range and default (FRR omits the line at it)


@fast_init
@dataclass(frozen=True, slots=True)
class Interface:
    """A routed interface as the platform names and configures it."""

    name: str
    description: str
    address: str  # CIDR
    mtu: int
    speed: str  # the platform's speed setting (EOS keyword, or Mb/s for Linux and SONiC)
    gbps: int
    peer: str
    index: int
    cable: str  # cable length as SONiC writes it, e.g. "5m"
    buffer: PortBuffer | None  # PFC headroom of the lossless PGs; None on lossy ports
    fec: str = ""  # forward error correction of the port's speed ("rs"), "" where none is set
    breakout: str = ""  # the front-panel port's breakout mode ("2x400G") on a breakout child, "" unbroken
    sub: int = 0  # which child (0-based)


@dataclass(frozen=True, slots=True)
class Management:
    """Out-of-band management interface; ``vrf`` is empty where the platform keeps it in the OS."""

    name: str
    address: str  # CIDR
    gateway: str
    vrf: str


@dataclass(frozen=True, slots=True)
class UserView:
    """A local account; ``password`` and ``ssh_key`` are secret placeholders, "" where the user has none."""

    name: str
    role: str
    privilege: int
    admin: bool
    password: str
    ssh_key: str


@dataclass(frozen=True, slots=True)
class SnmpUserView:
    name: str
    auth: str  # placeholder
    priv: str  # placeholder


@dataclass(frozen=True, slots=True)
class AccessView:
    """The way in (the Design's AccessPolicy) with every secret as its placeholder, never its value."""

    users: tuple[UserView, ...]
    tacacs: tuple[str, ...]
    tacacs_key: str  # placeholder, "" without TACACS+
    radius: tuple[str, ...]
    radius_key: str
    login_groups: tuple[str, ...]  # AAA server groups asked in order: "tacacs+", "radius"
    local_fallback: bool
    ntp: tuple[str, ...]
    syslog: tuple[str, ...]
    snmp: bool  # the agent runs (a community or a v3 user)
    snmp_community: str  # placeholder, "" without
    snmp_users: tuple[SnmpUserView, ...]
    snmp_location: str
    snmp_contact: str
    api: bool
    gnmi: bool


@fast_init
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
class Bgp:
    """``router bgp``: eBGP on every /31, ECMP, graceful restart, redistribution through a route map."""

    asn: int
    router_id: str
    max_paths: int
    frr_max_paths: int | None  # None at or above FRR's build maximum (then FRR's default is that maximum)
    restart_time: int  # graceful restart, seconds (Design.upgrade.graceful_restart_s)
    timers: tuple[int, int] | None  # keepalive, hold; None where the platform's default is the same
    bfd: bool
    peer_groups: tuple[PeerGroup, ...]
    neighbors: tuple[Neighbor, ...]  # the Design's sessions of the device, by peer group, then address
    aggregates: tuple[str, ...]  # server blocks, advertised summary-only
    redistribute_route_map: str


@dataclass(frozen=True, slots=True)
class Maintenance:
    """Drain hook (EOS): the BGP maintenance profile applied when ``unit System`` is quiesced."""

    profile: str
    route_map: str


@dataclass(frozen=True, slots=True)
class TxQueue:
    """One egress queue's scheduling: strict priority, or DWRR with a weight (%)."""

    id: int
    strict: bool
    weight: int
    ecn: bool
    lossless: bool


@dataclass(frozen=True, slots=True)
class EcnView:
    """ECN/WRED thresholds (EOS's kbytes and Linux RED's parameters are in their platform's view)."""

    min_bytes: int
    max_bytes: int
    probability: int  # %


@dataclass(frozen=True, slots=True)
class WatchdogView:
    """PFC watchdog (docs/sources.md#pfc-watchdog); EOS's seconds and action are in the EOS view."""

    detection_ms: int
    restoration_ms: int
    polling_ms: int
    action: str


@dataclass(frozen=True, slots=True)
class QosView:
    """A device's QoS: trust DSCP, DSCP -> TC, PFC, ECN, watchdog and scheduler (docs/sources.md#qos-common, #pfc-watchdog)."""

    lossless: bool
    dscp_to_tc: tuple[int, ...]  # 64 entries
    tc_to_queue: tuple[int, ...]
    tc_to_pg: tuple[int, ...]
    pfc_priorities: tuple[int, ...]
    pfc_enable: str  # comma-separated (SONiC), empty when lossy
    tx_queues: tuple[TxQueue, ...]  # queues with a strict or DWRR setting
    ecn: EcnView | None
    watchdog: WatchdogView | None


@dataclass(frozen=True, slots=True)
class TelemetryView:
    """sFlow and queue monitoring as templates place them (docs/sources.md#telemetry-sflow): every
    destination with its port written only where it is not the default, from the management interface
    in the management VRF; gNMI is the access view's ``gnmi``."""

    sflow: bool
    sample_rate: int
    polling_s: int
    destinations: tuple[str, ...]  # "10.0.0.1" or "10.0.0.1 6344"
    collectors: tuple[str, ...]
    port: int
    queue_monitor: bool


SFLOW_PORT = 6343  # the sFlow standard's collector port, which EOS omits from its running-config


@cache
def telemetry_view(t: TelemetryPolicy) -> TelemetryView:
    """The telemetry of every device (the same on each: made once per policy)."""
    suffix = "" if t.sflow_port == SFLOW_PORT else f" {t.sflow_port}"
    return TelemetryView(bool(t.sflow_collectors), t.sflow_sample_rate, t.sflow_polling_s,
                         tuple(f"{c}{suffix}" for c in t.sflow_collectors), t.sflow_collectors, t.sflow_port,
                         t.queue_monitor)


@dataclass(frozen=True, slots=True)
class DeviceView:
    """Everything one device's templates need."""

    hostname: str
    platform: str
    fabric: str
    role: str
    tier: int
    loopback_name: str
    loopback: str  # CIDR /32
    management: Management
    interfaces: tuple[Interface, ...]  # cabled ports, in the platform's config order
    zebra_interfaces: tuple[ZebraInterface, ...]  # frr.conf interface sections, in FRR's order
    prefix_lists: tuple[PrefixList, ...]
    route_maps: tuple[RouteMap, ...]
    bgp: Bgp
    maintenance: Maintenance | None
    qos: QosView | None
    buffers: DeviceBuffers | None
    native: Any  # the platform's own view (its record's ``view`` builder), e.g. EOS MMU and units; None without one
    access: AccessView
    model: str = ""  # the switch model (a catalog name or "generic")
    load_balance: LoadBalanceView | None = None  # ECMP hashing; None: the platform's default
    telemetry: TelemetryView | None = None


def natural_key(name: str) -> tuple[str | int, ...]:
    """Sort key that orders ``swp9`` before ``swp10`` (FRR and EOS order interfaces this way)."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", name)))


@cache
def _speed(info: Platform, gbps: int) -> str:
    """The platform's speed setting (a keyword where it names them, else Mb/s)."""
    return info.speed_names[gbps] if info.speed_names else str(gbps * 1000)


@cache
def _cable(length_m: float) -> str:
    """A cable length as SONiC writes it (``5m``, ``2.5m``): a few distinct lengths in a fabric."""
    return f"{length_m:g}m"


def _child_speed(info: Platform, dev: Device, gbps: int, mode: str) -> str:
    """A breakout child's speed setting: the platform's breakout form with the child's lanes (EOS
    ``400g-4`` on a 2x400G OSFP port, docs/sources.md#breakouts), else its plain one."""
    model = lookup(dev.model)
    if not info.breakout_speed or model is None:
        return _speed(info, gbps)
    return info.breakout_speed.format(gbps=gbps, lanes=model.lanes // breakout_mode(mode)[0])


@cache
def _qos(q: QosPolicy) -> QosView:
    """The view of a QoS policy (one per policy: the fabric's devices of a platform share it)."""
    queues = tuple(TxQueue(tc, tc in q.strict_tcs, q.dwrr_weights[tc], tc in q.ecn_queues, tc in q.lossless_priorities)
                   for tc in range(8) if tc in q.strict_tcs or q.dwrr_weights[tc])
    ecn = wd = None
    if q.ecn:
        ecn = EcnView(q.ecn.min_bytes, q.ecn.max_bytes, q.ecn.probability)
    if q.watchdog and q.watchdog.enabled:
        w = q.watchdog
        wd = WatchdogView(w.detection_ms, w.restoration_ms, w.polling_ms, w.action)
    return QosView(
        lossless=q.lossless,
        dscp_to_tc=q.dscp_to_tc,
        tc_to_queue=q.tc_to_queue,
        tc_to_pg=q.tc_to_pg,
        pfc_priorities=q.lossless_priorities,
        pfc_enable=",".join(map(str, q.lossless_priorities)),
        tx_queues=queues,
        ecn=ecn,
        watchdog=wd,
    )


def _prefix_lists(loopbacks: str, dev: Device) -> tuple[PrefixList, ...]:
    """Loopbacks of the fabric (/32 only) and, on leaves, the server blocks with their /31s."""
    lists = [PrefixList(PL_LOOPBACKS, (PrefixEntry(10, "permit", loopbacks, ge=32),))]
    if dev.server_subnets:
        lists.append(PrefixList(PL_SERVERS, tuple(
            PrefixEntry(10 * (i + 1), "permit", net, le=31) for i, net in enumerate(dev.server_subnets))))
    return tuple(lists)


def _route_maps(lists: tuple[PrefixList, ...], info: Platform) -> tuple[RouteMap, ...]:
    maps = [RouteMap(RM_CONNECTED, tuple(RouteMapEntry(10 * (i + 1), "permit", match_prefix_list=pl.name)
                                         for i, pl in enumerate(lists)))]
    if info.maintenance:
        # Maintenance profile: outbound GSHUT community (RFC 8326), inbound local-preference 0.
        maps.append(RouteMap(RM_GSHUT, (RouteMapEntry(10, "permit", set_local_preference=0, set_community="GSHUT"),)))
    return tuple(maps)


def _bgp_policy(shared: ViewInputs, info: Platform) -> dict[str, Any]:
    """The parts of ``router bgp`` that the fabric's policy sets: graceful restart, timers, BFD."""
    timers = (shared.bgp.keepalive_s, shared.bgp.hold_s)
    return {"restart_time": shared.graceful_restart_s, "timers": None if timers == info.bgp_default_timers else timers,
            "bfd": shared.bgp.bfd}


_GROUP, _ADDRESS, _PLACE = attrgetter("group"), attrgetter("peer_address"), itemgetter(2)


def _bgp(shared: ViewInputs, dev: Device, info: Platform) -> Bgp:
    groups = sorted({n.group for n in dev.neighbors})
    # FRR keeps neighbors sorted by peer group, then address (as bytes: numeric order); EOS accepts any
    # order. Keys made and sorted without a call per neighbor (137k at 32k GPUs).
    ns = dev.neighbors
    order = sorted(zip(map(_GROUP, ns), map(inet_aton, map(_ADDRESS, ns)), range(len(ns)), strict=True))
    return Bgp(
        asn=dev.asn,
        router_id=dev.loopback,
        max_paths=dev.max_paths,
        frr_max_paths=dev.max_paths if dev.max_paths < FRR_MULTIPATH_NUM else None,
        peer_groups=tuple(PeerGroup(g) for g in groups),
        neighbors=tuple(map(ns.__getitem__, map(_PLACE, order))),
        aggregates=dev.server_subnets,
        redistribute_route_map=RM_CONNECTED,
        **_bgp_policy(shared, info),
    )


def _secret(name: str | None) -> str:
    return placeholder(name) if name else ""


@per_object
def access_view(a: AccessPolicy) -> AccessView:
    """The way in as templates place it (the same for every device of the Design)."""
    return AccessView(
        users=tuple(UserView(u.name, u.role, u.privilege, u.admin, _secret(u.password_secret), _secret(u.ssh_key_secret))
                    for u in a.accounts),
        tacacs=a.tacacs, tacacs_key=_secret(a.tacacs_key_secret),
        radius=a.radius, radius_key=_secret(a.radius_key_secret),
        login_groups=(("tacacs+",) if a.tacacs else ()) + (("radius",) if a.radius else ()),
        local_fallback=a.local_fallback,
        ntp=a.ntp, syslog=a.syslog,
        snmp=bool(a.snmp_community_secret or a.snmp_users),
        snmp_community=_secret(a.snmp_community_secret),
        snmp_users=tuple(SnmpUserView(u.name, placeholder(u.auth_secret), placeholder(u.priv_secret)) for u in a.snmp_users),
        snmp_location=a.snmp_location or "", snmp_contact=a.snmp_contact or "",
        api=a.api, gnmi=a.gnmi)


def _zebra_interfaces(info: Platform, dev: Device, mgmt: Management,
                      ports: list[Interface]) -> tuple[ZebraInterface, ...]:
    """frr.conf interfaces where the platform writes addresses there (frr; SONiC keeps them in config_db.json)."""
    if not info.zebra_interfaces:
        return ()
    out = [ZebraInterface(p.name, p.description, p.address) for p in ports]
    out.append(ZebraInterface(info.loopback, "", f"{dev.loopback}/32"))
    out.append(ZebraInterface(mgmt.name, "oob_management", mgmt.address))
    return tuple(sorted(out, key=lambda i: natural_key(i.name)))


@dataclass(frozen=True)
class ViewInputs:
    """All a device's view reads from the Design beside the device itself: a device renders the same
    files in two Designs when it and these are equal (``aifab review`` skips such devices)."""

    loopbacks: str  # the fabric's loopback pool
    bgp: BgpPolicy  # the fabric's
    graceful_restart_s: int
    management_gateway: str
    access: AccessPolicy
    telemetry: TelemetryPolicy


def view_inputs(design: Design, fabric: str) -> ViewInputs:
    """What :func:`device_view` reads from ``design`` for a device of ``fabric``."""
    fab = design.backend if fabric == "backend" else design.frontend
    return ViewInputs(fab.loopbacks, fab.bgp, design.upgrade.graceful_restart_s, design.management_gateway,
                      design.access, design.telemetry)


def device_view(design: Design, dev: Device, container: bool = False) -> DeviceView:
    """The view of ``dev`` for its platform (``container``: as a containerlab node, e.g. cEOS)."""
    return shared_view(view_inputs(design, dev.fabric), dev, container)


def shared_view(shared: ViewInputs, dev: Device, container: bool = False) -> DeviceView:
    """:func:`device_view` from the Design's :class:`ViewInputs` alone."""
    info = platform(dev.platform)
    ports = [Interface(p.name, p.description, p.address, p.mtu,
                       _child_speed(info, dev, p.speed, p.breakout) if p.breakout else _speed(info, p.speed),
                       p.speed, p.peer, p.index, _cable(p.length_m), p.buffer, p.fec, p.breakout, p.sub)
             for p in dev.ports]
    if info.sorted_interfaces:
        ports.sort(key=lambda i: natural_key(i.name))
    lists = _prefix_lists(shared.loopbacks, dev)
    mgmt = Management(info.container_management_name if container else info.management, dev.management,
                      shared.management_gateway, info.management_vrf)
    qos = _qos(dev.qos) if dev.qos else None
    return DeviceView(
        hostname=dev.name,
        platform=dev.platform,
        fabric=dev.fabric,
        role=dev.role,
        tier=dev.tier,
        loopback_name=info.loopback,
        loopback=f"{dev.loopback}/32",
        management=mgmt,
        interfaces=tuple(ports),
        zebra_interfaces=_zebra_interfaces(info, dev, mgmt, ports),
        prefix_lists=lists,
        route_maps=_route_maps(lists, info),
        bgp=_bgp(shared, dev, info),
        maintenance=Maintenance(DRAIN_PROFILE, RM_GSHUT) if info.maintenance else None,
        qos=qos,
        buffers=dev.buffers,
        native=resolve(info.view)(dev, qos) if info.view else None,
        access=access_view(shared.access),
        model=dev.model,
        load_balance=load_balance_view(dev),
        telemetry=telemetry_view(shared.telemetry),
    )


# Device fields a policy change replaces (aifab.design.derive): a view of one version of a switch
# is the view of another where these and the ViewInputs alone differ, with the parts they feed made again.
POLICY_FIELDS = frozenset({"qos", "buffers", "load_balance", "os_version"})
_KEPT_FIELDS = tuple(f.name for f in fields(Device) if f.name not in POLICY_FIELDS)


def rebased_view(view: DeviceView, dev: Device, shared: ViewInputs, old: Device) -> DeviceView:
    """The view of ``old`` under ``shared`` from ``view``, the view of ``dev`` (the same switch in
    another Design): where the two differ only in :data:`POLICY_FIELDS` (and the ViewInputs'
    policies), its interfaces are ``view``'s and only the QoS, buffers, load balancing, BGP, prefix
    lists, the way in and telemetry are made again; else the whole view."""
    if view.management.name != platform(dev.platform).management or any(getattr(dev, f) != getattr(old, f) for f in _KEPT_FIELDS):
        return shared_view(shared, old)  # a container's view, or another switch
    info = platform(old.platform)
    qos = _qos(old.qos) if old.qos else None
    lists = _prefix_lists(shared.loopbacks, old)
    return replace(view, management=replace(view.management, gateway=shared.management_gateway),
                   bgp=replace(view.bgp, **_bgp_policy(shared, info)),
                   prefix_lists=lists, route_maps=_route_maps(lists, info),
                   qos=qos, buffers=old.buffers, native=resolve(info.view)(old, qos) if info.view else None,
                   access=access_view(shared.access), load_balance=load_balance_view(old),
                   telemetry=telemetry_view(shared.telemetry))
