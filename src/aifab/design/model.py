"""The Design: one immutable, JSON-serialisable source of truth derived from the intent.

Everything downstream (render, check, plan, deploy, lab) reads these types and never
re-derives or mutates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter

from aifab.fastinit import fast_init
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


@fast_init
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
    fec: str = ""  # forward error correction at this speed ("rs"; aifab.catalog.fec), "" none set
    breakout: str = ""  # the front-panel port's breakout mode ("2x400G") when this is one of its children, "" unbroken
    sub: int = 0  # which child of the breakout (0-based)


@fast_init
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
class LoadBalance:
    """ECMP load balancing of one device, or as a fabric's intent asks it (docs/sources.md#load-balancing):
    the header fields hashed (``src_ip dst_ip ip_proto l4_src_port l4_dst_port``, in that order), the
    RoCE destination QP hashed too, dynamic (flowlet) load balancing. On a device, ``roce_qp`` and
    ``dynamic`` are on only where its platform and ASIC can do them."""

    fields: tuple[str, ...]
    roce_qp: bool = False
    dynamic: bool = False

    def __str__(self) -> str:
        return " ".join([*self.fields, *(["roce_qp"] if self.roce_qp else []), *(["dynamic"] if self.dynamic else [])])


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
    asic: str = ""  # catalog ASIC (aifab.catalog.ASICS) or buffer model of a generic switch
    max_mtu: int = 9216  # the model's largest interface MTU on this platform
    os_version: str = ""  # the software it should run (intent upgrade.os_version); "" not managed
    load_balance: LoadBalance | None = None  # ECMP hashing (backend); None: the platform's default


@fast_init
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
    """One tier's size, its worst downlink:uplink bandwidth ratio over its switches (1.0 is non-blocking)
    and the front-panel ports its switches leave unused."""

    role: Role
    count: int
    ratio: float | None  # None at the top tier
    unused_ports: int = 0


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
    load_balancing: LoadBalance | None = None  # what the intent asks (devices hold what each can do)


@dataclass(frozen=True, slots=True)
class UpgradePolicy:
    """Change policy carried from the intent (docs/sources.md#upgrade-rules)."""

    graceful_restart_s: int
    drain_wait_s: int
    soak_s: int
    min_capacity_pct: int = 75  # residual uplink bandwidth every switch keeps during a wave, %
    bgp_timers: str = "next-reset"  # next-reset (hitless, in effect at each session's next reset) | reset-now
    cordon_command: str | None = None  # run before each cordon wave (aifab.deploy.cordon)
    uncordon_command: str | None = None  # run after each cordon wave
    cordon_timeout_s: int = 300


@dataclass(frozen=True, slots=True)
class Account:
    """A local account; its credentials are named secrets (values only at push time, never in the Design)."""

    name: str
    role: str  # network-admin | network-operator
    privilege: int  # EOS privilege level of the role (15 / 1)
    admin: bool  # may administer the switch (Linux: the sudo group)
    password_secret: str | None  # secret name of the SHA-512 crypt hash; None: no password login
    ssh_key_secret: str | None  # secret name of the SSH public key; None: no key login


@dataclass(frozen=True, slots=True)
class SnmpUser:
    """An SNMPv3 read-only user (authPriv: SHA authentication, AES-128 privacy)."""

    name: str
    auth_secret: str
    priv_secret: str


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The way in, the same on every switch: accounts, AAA, time, logging, SNMP and the APIs, all
    reached in the management VRF (secrets by name, see ``aifab.placeholders``)."""

    accounts: tuple[Account, ...]
    tacacs: tuple[str, ...]
    tacacs_key_secret: str | None
    radius: tuple[str, ...]
    radius_key_secret: str | None
    local_fallback: bool  # local accounts when no AAA server answers (always true without AAA servers)
    ntp: tuple[str, ...]
    syslog: tuple[str, ...]
    snmp_community_secret: str | None
    snmp_users: tuple[SnmpUser, ...]
    snmp_location: str | None
    snmp_contact: str | None
    api: bool  # EOS eAPI
    gnmi: bool

    def secrets(self) -> tuple[str, ...]:
        """Every secret the policy names, in a stable order."""
        names = [n for a in self.accounts for n in (a.password_secret, a.ssh_key_secret) if n]
        names += [n for n in (self.tacacs_key_secret, self.radius_key_secret, self.snmp_community_secret) if n]
        names += [n for u in self.snmp_users for n in (u.auth_secret, u.priv_secret)]
        return tuple(names)


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """What ``aifab health`` calls unhealthy per device (None: shown, not judged)."""

    pfc_pause_frames: int | None = None
    ecn_marked: int | None = None
    watchdog_storms: int | None = 0
    drops: int | None = None


@dataclass(frozen=True, slots=True)
class TelemetryPolicy:
    """sFlow, gNMI streaming and queue monitoring on every switch, all in the management VRF, and the
    health thresholds (docs/sources.md#telemetry-sflow, #telemetry-gnmi)."""

    sflow_collectors: tuple[str, ...] = ()
    sflow_port: int = 6343
    sflow_sample_rate: int = 16384
    sflow_polling_s: int = 10
    gnmi: bool = False
    queue_monitor: bool = False
    thresholds: HealthThresholds = HealthThresholds()


@dataclass(frozen=True, slots=True)
class Design:
    """The whole cluster: both fabrics and the hosts attached to them."""

    cluster: str
    backend: FabricDesign
    frontend: FabricDesign
    hosts: tuple[Host, ...]
    management_gateway: str
    upgrade: UpgradePolicy
    access: AccessPolicy
    telemetry: TelemetryPolicy = TelemetryPolicy()

    @property
    def fabrics(self) -> tuple[FabricDesign, FabricDesign]:
        return (self.backend, self.frontend)

    def devices(self) -> list[Device]:
        """Every switch of both fabrics, backend first."""
        return [*self.backend.devices, *self.frontend.devices]


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    """pydantic's (de)serialiser of ``kind``, built on first use: building the Design's takes 30-40 ms,
    which ``aifab build`` spends in its tables process, beside the rendering, not before it."""
    return TypeAdapter(kind)

PART = 512  # devices or hosts serialised at once by design_json_parts


def design_json(design: Design) -> bytes:
    """Deterministic compact JSON of a Design (keys in declaration order; ``python -m json.tool`` to read)."""
    return _adapter(Design).dump_json(design) + b"\n"


def design_json_parts(design: Design) -> Iterator[bytes]:
    """:func:`design_json` in parts that join to the same bytes, a few hundred devices or hosts at a
    time: serialised whole, a 131k-GPU Design takes 430 MB, twice over while it is built."""
    frame = replace(design, backend=replace(design.backend, devices=()), frontend=replace(design.frontend, devices=()),
                    hosts=())
    text = _adapter(Design).dump_json(frame)
    devices, hosts = _adapter(tuple[Device, ...]), _adapter(tuple[Host, ...])
    holes = [(b'"devices":[]', design.backend.devices, devices), (b'"devices":[]', design.frontend.devices, devices),
             (b'"hosts":[]', design.hosts, hosts)]
    at = 0
    for marker, items, adapter in holes:
        cut = text.index(marker, at) + len(marker) - 1  # before the list's "]"
        yield text[at:cut]
        for i in range(0, len(items), PART):
            yield (b"," if i else b"") + adapter.dump_json(items[i:i + PART])[1:-1]
        at = cut
    yield text[at:] + b"\n"


def design_from_json(data: bytes | str) -> Design:
    """Read a Design back from ``design.json``."""
    with paused_gc():
        return _adapter(Design).validate_json(data)
