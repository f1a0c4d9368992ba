"""The Design: one immutable, JSON-serialisable source of truth derived from the intent.

Everything downstream (render, check, plan, deploy, lab) reads these types and never
re-derives or mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import TypeAdapter

from aifab.gcpause import paused_gc

Fabric = Literal["backend", "frontend"]
Role = Literal["leaf", "spine", "core"]
CableClass = Literal["server_leaf", "leaf_spine", "spine_core"]
PortRole = Literal["server", "uplink", "downlink"]
HeadroomModel = Literal["ieee", "cell"]


@dataclass(frozen=True, slots=True)
class EcnPolicy:
    """ECN/WRED marking on the lossless (or storage) queue (facts section 4)."""

    min_bytes: int
    max_bytes: int
    probability: int  # marking probability at max_bytes, %


@dataclass(frozen=True, slots=True)
class WatchdogPolicy:
    """PFC watchdog (facts section 5); armed only on ports with PFC."""

    enabled: bool
    detection_ms: int
    restoration_ms: int
    polling_ms: int
    action: Literal["drop", "forward"]


@dataclass(frozen=True, slots=True)
class QosPolicy:
    """The resolved QoS of one fabric on one platform, shared by all its devices.

    Maps are tuples indexed by their key: ``dscp_to_tc[26]`` is the TC of DSCP 26 (64 entries),
    ``tc_to_queue[tc]`` and ``tc_to_pg[tc]`` have 8 entries, ``dwrr_weights[tc]`` is the DWRR
    weight in % (0 for strict and unused TCs; the others sum to 100).
    """

    platform: str
    fabric: Fabric
    lossless: bool
    headroom_model: HeadroomModel
    dscp_to_tc: tuple[int, ...]
    tc_to_queue: tuple[int, ...]
    tc_to_pg: tuple[int, ...]
    lossless_priorities: tuple[int, ...]  # PFC no-drop priorities (= TCs = PGs = queues); empty when lossy
    strict_tcs: tuple[int, ...]
    dwrr_weights: tuple[int, ...]
    ecn_queues: tuple[int, ...]  # queues that mark ECN with ``ecn``
    ecn: EcnPolicy | None
    watchdog: WatchdogPolicy | None  # None when lossy
    roce_dscp: int | None  # backend only
    roce_tc: int | None
    cnp_dscp: int | None
    cnp_tc: int | None
    storage_dscp: int | None  # frontend only
    storage_tc: int | None


@dataclass(frozen=True, slots=True)
class PortBuffer:
    """PFC headroom of every lossless priority group of one port (facts section 6).

    Ports with equal numbers share one object and one ``profile`` name
    (SONiC style: ``pg_lossless_400000_5m_profile``).
    """

    profile: str
    speed: int  # Gb/s
    cable_m: float
    mtu: int
    xoff: int  # bytes
    xon: int  # bytes
    size: int  # headroom bytes reserved per lossless PG
    dynamic_th: int
    pgs: tuple[int, ...]  # the lossless priority groups this headroom is reserved for
    model: HeadroomModel
    small_packet_pct: int = 100  # small-packet share the cell model assumed (checks recompute with it)


@dataclass(frozen=True, slots=True)
class BufferPool:
    """One SONiC-style shared buffer pool."""

    name: str  # ingress_lossless_pool, ingress_lossy_pool, egress_lossless_pool, egress_lossy_pool
    type: Literal["ingress", "egress"]
    mode: Literal["dynamic", "static"]
    size: int  # bytes


@dataclass(frozen=True, slots=True)
class BufferProfile:
    """A non-headroom buffer profile (lossy PGs and queues): pool and dynamic threshold."""

    name: str
    pool: str
    size: int
    dynamic_th: int


@dataclass(frozen=True, slots=True)
class EosMmu:
    """Values the EOS templates place verbatim (no arithmetic in templates)."""

    ecn_min_kbytes: int | None  # None when the policy marks no ECN (lossy frontend)
    ecn_max_kbytes: int | None
    watchdog_timeout_s: str | None  # seconds as EOS writes them, e.g. "0.2"; None without PFC
    watchdog_recovery_s: str | None
    watchdog_polling_s: str | None
    headroom_bytes: int  # largest per-PG headroom on the device (0 when lossy)


@dataclass(frozen=True, slots=True)
class DeviceBuffers:
    """The buffer plan of one switch (facts section 6): headroom must fit its pool."""

    buffer_model: str  # key of aifab.qos.buffers.BUFFER_MODELS
    total_bytes: int  # switch packet buffer
    headroom_pool_bytes: int  # capacity available for PFC headroom
    headroom_bytes: int  # sum of size over all lossless PGs of all lossless ports
    lossless_ports: int
    shared_bytes: int  # buffer left for the shared pools: total - headroom - egress lossy reserve
    lossless_queue_bytes: int  # most one congested lossless PG holds before XOFF; ECN max must be below
    pools: tuple[BufferPool, ...]
    profiles: tuple[BufferProfile, ...]  # lossy/queue profiles; headroom profiles live on Port.buffer
    lossless_dynamic_th: int
    lossy_dynamic_th: int
    eos: EosMmu | None


@dataclass(frozen=True, slots=True)
class Port:
    """A cabled switch port: its address, its peer (switch or host) and the cable between."""

    name: str
    index: int
    speed: int  # Gb/s
    mtu: int
    role: PortRole
    cable: CableClass
    length_m: float
    address: str  # this end, CIDR (/31)
    peer: str
    peer_port: str
    peer_address: str  # the other end, bare IP
    description: str
    buffer: PortBuffer | None = None  # PFC headroom; None on lossy ports


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One eBGP session as seen from this device (single-hop, on a /31)."""

    peer: str
    peer_address: str
    peer_asn: int
    local_address: str
    interface: str
    group: str  # peer group: LEAFS, SPINES, CORES


@dataclass(frozen=True, slots=True)
class Device:
    """A switch and everything rendered into its configuration."""

    name: str
    fabric: Fabric
    role: Role
    tier: int  # 1 leaf, 2 spine, 3 core
    platform: str
    model: str
    asn: int
    loopback: str  # bare IP, also the router ID
    management: str  # CIDR
    su: int | None
    rail: int | None
    pod: int | None
    plane: int | None
    pair: int | None
    ports: tuple[Port, ...]
    neighbors: tuple[Neighbor, ...]
    max_paths: int
    server_subnets: tuple[str, ...]  # blocks of this leaf's server links, advertised in BGP
    qos: QosPolicy | None = None  # shared by the fabric's devices of one platform
    buffers: DeviceBuffers | None = None


@dataclass(frozen=True, slots=True)
class Nic:
    """A host NIC: which fabric, which leaf port, its /31 and gateway."""

    name: str
    fabric: Fabric
    rail: int | None
    speed: int
    address: str  # CIDR /31
    gateway: str  # the leaf's end
    leaf: str
    leaf_port: str
    reach: str  # prefix routed via this NIC (the rail's block, or the fabric's server pool)


@dataclass(frozen=True, slots=True)
class Host:
    """A GPU server or storage node attached to the fabrics."""

    name: str
    kind: Literal["gpu", "storage"]
    su: int | None
    nics: tuple[Nic, ...]


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier's size and its downlink:uplink bandwidth ratio (1.0 is non-blocking)."""

    role: Role
    count: int
    ratio: float | None  # None at the top tier


@dataclass(frozen=True, slots=True)
class BgpPolicy:
    """Session timers and BFD of one fabric's eBGP sessions."""

    keepalive_s: int
    hold_s: int
    bfd: bool


@dataclass(frozen=True, slots=True)
class FabricDesign:
    """One isolated fabric."""

    name: Fabric
    tiers: tuple[Tier, ...]
    oversubscription: float  # the leaf downlink:uplink ratio the intent asks for (1.0 = 1:1)
    bgp: BgpPolicy
    mtu: int
    loopbacks: str
    p2p: str
    servers: str
    devices: tuple[Device, ...]


@dataclass(frozen=True, slots=True)
class UpgradePolicy:
    """Change policy carried from the intent (facts section 7)."""

    graceful_restart_s: int
    spines_per_wave: int
    rail_leaves_per_su: int
    drain_wait_s: int
    soak_s: int


@dataclass(frozen=True, slots=True)
class Design:
    """The whole cluster: both fabrics and the hosts attached to them."""

    cluster: str
    backend: FabricDesign
    frontend: FabricDesign
    hosts: tuple[Host, ...]
    management_gateway: str
    upgrade: UpgradePolicy

    @property
    def fabrics(self) -> tuple[FabricDesign, FabricDesign]:
        return (self.backend, self.frontend)

    def devices(self) -> list[Device]:
        """Every switch of both fabrics, backend first."""
        return [*self.backend.devices, *self.frontend.devices]


_ADAPTER = TypeAdapter(Design)


def design_json(design: Design) -> bytes:
    """Deterministic compact JSON of a Design (keys in declaration order; ``python -m json.tool`` to read)."""
    return _ADAPTER.dump_json(design) + b"\n"


def design_from_json(data: bytes | str) -> Design:
    """Read a Design back from ``design.json``."""
    with paused_gc():
        return _ADAPTER.validate_json(data)
