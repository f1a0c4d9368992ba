"""The per-device view: every value a template places, computed once in Python from the Design.

Templates only loop and place these values (no arithmetic, no lookups). One view per device,
shaped AVD-like as "structured config": interfaces, prefix lists, route maps, BGP, QoS, buffers.
What only one platform writes (EOS MMU and units, Linux tc/dcb) is in ``DeviceView.native``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aifab.design.model import Design, Device, DeviceBuffers, FabricDesign, PortBuffer, QosPolicy
from aifab.platforms import KB, Platform, platform

RM_CONNECTED = "RM-CONN-2-BGP"
PL_LOOPBACKS = "PL-LOOPBACKS"
PL_SERVERS = "PL-SERVER-SUBNETS"
RM_GSHUT = "RM-GSHUT"
DRAIN_PROFILE = "AIFAB-DRAIN"
FRR_MULTIPATH_NUM = 256  # Debian's FRR 8.4 build: maximum-paths range and default (FRR omits the line at it)
MMU_PROFILE = "AIFAB"  # name of the EOS MMU queue profile
DSCPS_PER_LINE = 8  # EOS `qos map dscp` takes up to 8 values per command
# EOS MMU dynamic thresholds are powers of two written as fractions (AVD's platform.trident.mmu).
EOS_THRESHOLDS = {-7: "1/128", -6: "1/64", -5: "1/32", -4: "1/16", -3: "1/8", -2: "1/4", -1: "1/2",
                  0: "1", 1: "2", 2: "4", 3: "8"}
# EOS watchdog actions; EOS has no "forward": it can only drop or notify.
EOS_WATCHDOG_ACTION = {"drop": "drop", "forward": "notify-only"}
QUANTUM_PER_PCT = 1000  # Linux ETS qdisc: DWRR quantum bytes per % of weight (only the ratio matters)
RED_AVPKT = 1000  # Linux RED average packet size, bytes
RED_LIMIT_FACTOR = 4  # Linux RED queue limit as a multiple of the max threshold (must exceed it)


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
    frr_max_paths: int | None  # None at or above FRR's build maximum (then FRR's default is that maximum)
    restart_time: int  # graceful restart, seconds (Design.upgrade.graceful_restart_s)
    timers: tuple[int, int] | None  # keepalive, hold; None where the platform's default is the same
    bfd: bool
    peer_groups: tuple[PeerGroup, ...]
    neighbors: tuple[BgpNeighbor, ...]
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
    """PFC watchdog (facts section 5); EOS's seconds and action are in the EOS view."""

    detection_ms: int
    restoration_ms: int
    polling_ms: int
    action: str


@dataclass(frozen=True, slots=True)
class QosView:
    """A device's QoS: trust DSCP, DSCP -> TC, PFC, ECN, watchdog and scheduler (facts sections 4, 5)."""

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
    native: Any  # the platform's own view: EOS MMU and units, Linux tc/dcb; None without one


@dataclass(frozen=True, slots=True)
class DscpGroup:
    """DSCP values sharing a traffic class (one EOS ``qos map dscp`` line)."""

    dscps: str  # space-separated
    tc: int


@dataclass(frozen=True, slots=True)
class MmuThreshold:
    id: int
    threshold: str


@dataclass(frozen=True, slots=True)
class EosView:
    """EOS ``platform trident mmu`` queue profile and headroom pool (AVD's platform.trident.mmu), the
    DSCP map as EOS lines, and the policy's numbers in EOS units."""

    profile: str
    headroom: int  # bytes, per port (largest lossless PG headroom of the device)
    resume: int  # bytes (xon)
    priority_groups: tuple[MmuThreshold, ...]
    unicast_queues: tuple[MmuThreshold, ...]
    headroom_pool_limit: int  # bytes
    dscp_groups: tuple[DscpGroup, ...]
    ecn_min_kbytes: int | None  # the policy's ECN thresholds in EOS's kbytes; None without ECN
    ecn_max_kbytes: int | None
    watchdog_timeout_s: str | None  # the watchdog's times in seconds as EOS writes them ("0.2"); None without PFC
    watchdog_recovery_s: str | None
    watchdog_polling_s: str | None
    watchdog_action: str | None


def _dscp_groups(dscp_to_tc: tuple[int, ...]) -> tuple[DscpGroup, ...]:
    by_tc: dict[int, list[int]] = {}
    for dscp, tc in enumerate(dscp_to_tc):
        by_tc.setdefault(tc, []).append(dscp)
    return tuple(DscpGroup(" ".join(map(str, dscps[i:i + DSCPS_PER_LINE])), tc)
                 for tc, dscps in sorted(by_tc.items()) for i in range(0, len(dscps), DSCPS_PER_LINE))


def _eos_threshold(dynamic_th: int) -> str:
    return EOS_THRESHOLDS[max(min(dynamic_th, 3), -7)]


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g}"


def eos_view(dev: Device, qos: QosView | None) -> EosView | None:
    """The EOS queue profile (lossless PG headroom, resume (xon), the dynamic thresholds) and the
    policy's numbers in EOS units; None for a device without QoS or buffers."""
    b = dev.buffers
    if b is None or qos is None:
        return None
    ecn, wd = qos.ecn, qos.watchdog
    xon = max((p.buffer.xon for p in dev.ports if p.buffer), default=0)
    pgs = sorted(set(qos.tc_to_pg))
    return EosView(
        profile=MMU_PROFILE,
        headroom=b.pg_headroom_bytes,
        resume=xon,
        priority_groups=tuple(MmuThreshold(pg, _eos_threshold(b.lossless_dynamic_th if pg in qos.pfc_priorities
                                                              else b.lossy_dynamic_th)) for pg in pgs),
        unicast_queues=tuple(MmuThreshold(t.id, _eos_threshold(b.lossy_dynamic_th)) for t in qos.tx_queues
                             if not t.lossless),
        headroom_pool_limit=b.headroom_pool_bytes,
        dscp_groups=_dscp_groups(qos.dscp_to_tc),
        ecn_min_kbytes=ecn.min_bytes // KB if ecn else None,
        ecn_max_kbytes=ecn.max_bytes // KB if ecn else None,
        watchdog_timeout_s=_seconds(wd.detection_ms) if wd else None,
        watchdog_recovery_s=_seconds(wd.restoration_ms) if wd else None,
        watchdog_polling_s=_seconds(wd.polling_ms) if wd else None,
        watchdog_action=EOS_WATCHDOG_ACTION[wd.action] if wd else None,
    )


@dataclass(frozen=True, slots=True)
class EtsBand:
    """A band of the Linux ``ets`` root qdisc (class ``1:<band>``): strict, or DWRR with a quantum."""

    band: int
    tc: int
    strict: bool
    quantum: int


@dataclass(frozen=True, slots=True)
class LinuxQos:
    """The policy as iproute2 ``dcb`` maps and ``tc`` qdisc parameters (frr platform)."""

    dscp_prio: str  # dcb app dscp-prio, every DSCP
    prio_pfc: str  # dcb pfc prio-pfc
    prio_tc: str  # dcb ets prio-tc
    tc_tsa: str  # dcb ets tc-tsa
    tc_bw: str  # dcb ets tc-bw
    prio_buffer: str  # dcb buffer prio-buffer: priority (= TC) -> priority group
    bands: tuple[EtsBand, ...]
    band_count: int
    strict_bands: int
    quanta: str  # ets qdisc quanta of the DWRR bands
    priomap: str  # ets qdisc priomap, priority -> band index (0-based)
    red_parent: str  # class of the ECN (lossless) band, e.g. "1:3"; empty without ECN
    red_handle: str
    red_limit: int  # RED queue limit, bytes (0 without ECN)
    red_avpkt: int
    red_probability: str  # RED marking probability as a fraction, 0.0-1.0 ("" without ECN)


def linux_view(dev: Device, qos: QosView | None) -> LinuxQos | None:
    """dcb maps and an ets root qdisc: strict TCs first (highest first), then the DWRR TCs; None without QoS."""
    q = dev.qos
    if q is None or qos is None:
        return None
    queues = qos.tx_queues
    strict = sorted((t for t in queues if t.strict), key=lambda t: -t.id)
    dwrr = [t for t in queues if not t.strict]
    bands = [EtsBand(i + 1, t.id, t.strict, 0 if t.strict else t.weight * QUANTUM_PER_PCT)
             for i, t in enumerate([*strict, *dwrr])]
    band_of_tc = {b.tc: b.band - 1 for b in bands}
    default_band = band_of_tc.get(0, len(bands) - 1)
    priomap = [band_of_tc.get(q.tc_to_queue[prio], default_band) for prio in range(8)]
    ecn_band = next((b for b in bands if b.tc in q.ecn_queues), None) if q.ecn else None
    return LinuxQos(
        dscp_prio=" ".join(f"{dscp}:{tc}" for dscp, tc in enumerate(q.dscp_to_tc)),
        prio_pfc=" ".join(["all:off", *(f"{p}:on" for p in q.lossless_priorities)]),
        prio_tc=" ".join(f"{prio}:{tc}" for prio, tc in enumerate(q.tc_to_queue)),
        tc_tsa=" ".join(["all:ets", *(f"{tc}:strict" for tc in q.strict_tcs)]),
        tc_bw=" ".join(["all:0", *(f"{tc}:{w}" for tc, w in enumerate(q.dwrr_weights) if w)]),
        prio_buffer=" ".join(f"{prio}:{pg}" for prio, pg in enumerate(q.tc_to_pg)),
        bands=tuple(bands),
        band_count=len(bands),
        strict_bands=len(strict),
        quanta=" ".join(str(b.quantum) for b in bands if not b.strict),
        priomap=" ".join(map(str, priomap)),
        red_parent=f"1:{ecn_band.band}" if ecn_band else "",
        red_handle=f"{ecn_band.band + 10}:" if ecn_band else "",
        red_limit=q.ecn.max_bytes * RED_LIMIT_FACTOR if q.ecn else 0,
        red_avpkt=RED_AVPKT,
        red_probability=f"{q.ecn.probability / 100:g}" if q.ecn else "",
    )


def natural_key(name: str) -> tuple[str | int, ...]:
    """Sort key that orders ``swp9`` before ``swp10`` (FRR and EOS order interfaces this way)."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", name)))


def _speed(info: Platform, gbps: int) -> str:
    """The platform's speed setting (a keyword where it names them, else Mb/s)."""
    return info.speed_names[gbps] if info.speed_names else str(gbps * 1000)


def _qos(q: QosPolicy) -> QosView:
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


def _prefix_lists(fabric: FabricDesign, dev: Device) -> tuple[PrefixList, ...]:
    """Loopbacks of the fabric (/32 only) and, on leaves, the server blocks with their /31s."""
    lists = [PrefixList(PL_LOOPBACKS, (PrefixEntry(10, "permit", fabric.loopbacks, ge=32),))]
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


def _bgp(design: Design, dev: Device, info: Platform) -> Bgp:
    groups = sorted({n.group for n in dev.neighbors})
    policy = (design.backend if dev.fabric == "backend" else design.frontend).bgp
    timers = (policy.keepalive_s, policy.hold_s)
    # FRR keeps neighbors sorted by peer group, then address; EOS accepts any order.
    neighbors = sorted(dev.neighbors, key=lambda n: (n.group, tuple(map(int, n.peer_address.split(".")))))
    return Bgp(
        asn=dev.asn,
        router_id=dev.loopback,
        max_paths=dev.max_paths,
        frr_max_paths=dev.max_paths if dev.max_paths < FRR_MULTIPATH_NUM else None,
        restart_time=design.upgrade.graceful_restart_s,
        timers=None if timers == info.bgp_default_timers else timers,
        bfd=policy.bfd,
        peer_groups=tuple(PeerGroup(g) for g in groups),
        neighbors=tuple(BgpNeighbor(n.peer_address, n.peer_asn, n.group, n.peer) for n in neighbors),
        aggregates=dev.server_subnets,
        redistribute_route_map=RM_CONNECTED,
    )


def _zebra_interfaces(info: Platform, dev: Device, mgmt: Management,
                      ports: list[Interface]) -> tuple[ZebraInterface, ...]:
    """frr.conf interfaces where the platform writes addresses there (frr; SONiC keeps them in config_db.json)."""
    if not info.zebra_interfaces:
        return ()
    out = [ZebraInterface(p.name, p.description, p.address) for p in ports]
    out.append(ZebraInterface(info.loopback, "", f"{dev.loopback}/32"))
    out.append(ZebraInterface(mgmt.name, "oob_management", mgmt.address))
    return tuple(sorted(out, key=lambda i: natural_key(i.name)))


def device_view(design: Design, dev: Device, container: bool = False) -> DeviceView:
    """The view of ``dev`` for its platform (``container``: as a containerlab node, e.g. cEOS)."""
    info = platform(dev.platform)
    fabric = design.backend if dev.fabric == "backend" else design.frontend
    ports = [Interface(p.name, p.description, p.address, p.mtu, _speed(info, p.speed), p.speed, p.peer, p.index,
                       f"{p.length_m:g}m", p.buffer) for p in dev.ports]
    if info.sorted_interfaces:
        ports.sort(key=lambda i: natural_key(i.name))
    lists = _prefix_lists(fabric, dev)
    mgmt = Management(info.container_management_name if container else info.management, dev.management,
                      design.management_gateway, info.management_vrf)
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
        bgp=_bgp(design, dev, info),
        maintenance=Maintenance(DRAIN_PROFILE, RM_GSHUT) if info.maintenance else None,
        qos=qos,
        buffers=dev.buffers,
        native=eos_view(dev, qos) if dev.platform == "eos" else linux_view(dev, qos) if dev.platform == "frr" else None,
    )
