"""PFC headroom: the bytes a lossless priority group must absorb after it sends PAUSE.

Two models (docs/sources.md#headroom, #sonic-cell-model):

* :func:`headroom_ieee` - the IEEE 802.1Qbb / 802.3 Annex 31B budget in physical bytes,
  used for the ``eos`` and ``frr`` platforms;
* :func:`headroom_cell` - SONiC's dynamic headroom for cell-based buffers
  (``buffer_headroom_mellanox.lua`` in sonic-swss), used for the ``sonic`` platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# Peer response time in pause quanta per speed (Gb/s), IEEE 802.3 Annex 31B.3.7, as tabled by
# sonic-swss (cfgmgr/buffer_headroom_*.lua): 100G 394, 200G 453, 400G/800G 905 (docs/sources.md#pause-quanta);
# 10G 67, 25G 80, 40G 118, 50G 147 from the same sonic-swss table.
PAUSE_QUANTA = {10: 67, 25: 80, 40: 118, 50: 147, 100: 394, 200: 453, 400: 905, 800: 905}
QUANTUM_BYTES = 64  # one pause quantum = 512 bit times
PAUSE_FRAME_BYTES = 84  # 64-byte PAUSE frame + 8 preamble + 12 inter-frame gap
NS_PER_M = 5  # propagation delay in fibre/copper, ns per metre
SONIC_LIGHT_M_PER_S = 198_000_000  # speed of light in the cable, as buffer_headroom_mellanox.lua uses it


def pause_quanta(speed_gbps: int) -> int:
    """Pause quanta of the peer's response time at ``speed_gbps`` (ValueError if unknown)."""
    try:
        return PAUSE_QUANTA[speed_gbps]
    except KeyError:
        raise ValueError(f"no pause quanta known for {speed_gbps}G") from None


def _exact(value: float) -> Fraction:
    """A cable length as an exact fraction (``2.5`` -> 5/2), so rounding up never adds a stray byte."""
    return Fraction(str(value))


def headroom_ieee(speed_gbps: int, cable_m: float, mtu: int, quanta: int | None = None) -> int:
    """IEEE 802.1Qbb headroom in bytes (docs/sources.md#headroom), rounded up.

    ``2 * mtu + 2 * cable_m * 5 ns/m * speed / 8 + quanta * 64 + 84``; ``quanta`` defaults to
    :data:`PAUSE_QUANTA` for the speed.
    """
    q = pause_quanta(speed_gbps) if quanta is None else quanta
    wire = 2 * _exact(cable_m) * NS_PER_M * speed_gbps / 8  # ns * Gb/s = bits
    return math.ceil(2 * mtu + wire + q * QUANTUM_BYTES + PAUSE_FRAME_BYTES)


@dataclass(frozen=True, slots=True)
class CellAsic:
    """ASIC parameters of the cell-based model (SONiC ``ASIC_TABLE`` / ``LOSSLESS_TRAFFIC_PATTERN``).

    Defaults are the Spectrum-2/3 values of docs/sources.md#sonic-cell-model.
    """

    cell_size: int = 144  # bytes
    pipeline_latency: int = 18 * 1024  # bytes (18 KiB), the xon
    mac_phy_delay: Fraction = Fraction(8192, 10)  # 0.8 KiB = 819.2 bytes
    lossless_mtu: int = 1024  # LOSSLESS_TRAFFIC_PATTERN mtu
    gearbox_delay_ns: int = 0
    max_speed_gbps: int = 400  # fastest port of the chips these parameters are for (no Spectrum-3 port is 800G)


SPECTRUM = CellAsic()


@dataclass(frozen=True, slots=True)
class CellHeadroom:
    """xoff, xon and the reserved size, bytes, each a multiple of 1024."""

    xoff: int
    xon: int
    size: int


def _ceil_kib(value: Fraction | int) -> int:
    return math.ceil(Fraction(value) / 1024) * 1024


def cell_occupancy(cell_size: int, small_packet_pct: int) -> Fraction:
    """How many buffer bytes a wire byte occupies in the worst case of small packets in cells."""
    minimal_packet = 64
    big_cells = cell_size > 2 * minimal_packet
    worst = Fraction(cell_size, minimal_packet) if big_cells else Fraction(2 * cell_size, 1 + cell_size)
    return (100 - small_packet_pct + small_packet_pct * worst) / 100


def headroom_cell(speed_gbps: int, cable_m: float, mtu: int, *, lanes: int = 4, small_packet_pct: int = 100,
                  asic: CellAsic = SPECTRUM, shared_headroom_pool: bool = False) -> CellHeadroom:
    """SONiC's cell-based headroom (``buffer_headroom_mellanox.lua``, docs/sources.md#sonic-cell-model).

    ``bytes_on_cable`` keeps the plugin's own units (1000/1024 of physical bytes). On 8-lane ports
    the xon doubles less 1024 and the size gains one ``mtu``. With a shared headroom pool the
    reserved size is the xon only.
    """
    speed_mbps = speed_gbps * 1000
    bytes_on_cable = 2 * _exact(cable_m) * speed_mbps * 10**9 / SONIC_LIGHT_M_PER_S / (8 * 1024)
    bytes_on_gearbox = Fraction(speed_mbps * asic.gearbox_delay_ns, 8 * 1024)
    peer_response = pause_quanta(speed_gbps) * 512 // 8
    propagation = mtu + bytes_on_cable + 2 * bytes_on_gearbox + asic.mac_phy_delay + peer_response
    pipeline, overhead = asic.pipeline_latency, 0
    if lanes == 8:
        pipeline, overhead = 2 * pipeline - 1024, mtu
    xoff = _ceil_kib(asic.lossless_mtu + propagation * cell_occupancy(asic.cell_size, small_packet_pct))
    xon = _ceil_kib(pipeline)
    size = _ceil_kib(xon if shared_headroom_pool else xoff + xon + overhead)
    return CellHeadroom(xoff, xon, size)
