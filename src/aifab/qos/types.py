"""The QoS and buffer types of the Design, beside the arithmetic that fills them (this package).

The Design (``aifab.design.model``) holds them; they hold numbers only, in bytes, milliseconds and
percent. A platform's display units (EOS kbytes and seconds) are made by its renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Fabric = Literal["backend", "frontend"]
HeadroomModel = Literal["ieee", "cell"]


@dataclass(frozen=True, slots=True)
class EcnPolicy:
    """ECN/WRED marking on the lossless (or storage) queue (docs/sources.md#ecn-thresholds)."""

    min_bytes: int
    max_bytes: int
    probability: int  # marking probability at max_bytes, %


@dataclass(frozen=True, slots=True)
class WatchdogPolicy:
    """PFC watchdog (docs/sources.md#pfc-watchdog); armed only on ports with PFC."""

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
    """PFC headroom of every lossless priority group of one port (docs/sources.md#headroom).

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
class DeviceBuffers:
    """The buffer plan of one switch (docs/sources.md#buffer-sizes): headroom must fit its pool."""

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
    pg_headroom_bytes: int  # largest headroom of one lossless PG on the device (0 when lossy)
