"""The Design: one immutable, JSON-serialisable source of truth derived from the intent.

Everything downstream (render, check, plan, deploy, lab) reads these types and never
re-derives or mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import TypeAdapter

from aifab.gcpause import paused_gc
from aifab.qos.types import (  # noqa: F401  (the Design's QoS types, named here for its readers)
    BufferPool,
    BufferProfile,
    DeviceBuffers,
    EcnPolicy,
    Fabric,
    HeadroomModel,
    PortBuffer,
    QosPolicy,
    WatchdogPolicy,
)

Role = Literal["leaf", "spine", "core"]
CableClass = Literal["server_leaf", "leaf_spine", "spine_core"]
PortRole = Literal["server", "uplink", "downlink"]


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
    drain_wait_s: int
    soak_s: int
    min_capacity_pct: int = 75  # residual uplink bandwidth every switch keeps during a wave, %


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
