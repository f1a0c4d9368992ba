"""QoS and buffer defaults: every number in one place, each with its source (a platform's own
RoCEv2 defaults and default buffer model are in its record, ``aifab.platforms``).

Sources: docs/sources.md#qos-common (RoCEv2 QoS), #pfc-watchdog, #headroom and #sonic-buffer-tables;
``docs/qos.md`` tables them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

from aifab.catalog import ASICS
from aifab.platforms import platform
from aifab.qos.headroom import SPECTRUM, CellAsic
from aifab.qos.types import HeadroomModel

BEST_EFFORT_TC = 0  # every DSCP not named by the policy
CONTROL_DSCP = 48  # CS6 network control (BGP); on the frontend it gets the strict class below
CONTROL_TC = 6


# PFC watchdog, SONiC defaults (docs/sources.md#pfc-watchdog); the same on every platform. Detection (200 ms)
# and the action (drop) are the intent's own defaults (aifab.intent.schema.Watchdog).
WATCHDOG_RESTORATION_MS = 200
WATCHDOG_POLLING_MS = 200

# SONiC buffer profile thresholds (sonic-swss doc/buffer dynamic-calculation design, Mellanox
# defaults): a queue may use 2**dynamic_th times the pool's free space (docs/sources.md#sonic-buffer-tables).
LOSSLESS_PG_DYNAMIC_TH = 0  # pg_lossless_* and ingress_lossless_profile
LOSSY_DYNAMIC_TH = 3  # ingress_lossy_profile, egress_lossy_profile, q_lossy_profile
EGRESS_LOSSLESS_DYNAMIC_TH = 7  # egress_lossless_profile: a lossless queue is bounded by PFC, not by drops
EGRESS_LOSSY_RESERVED = 4096  # egress_lossy_profile size, bytes per port


@dataclass(frozen=True, slots=True)
class BufferModel:
    """A switch ASIC's packet buffer, for the pool plan."""

    name: str
    total_bytes: int  # per chip (a switch of several chips has their sum: aifab.catalog.SwitchModel.chips)
    headroom_pct: int  # share of the buffer that PFC headroom may reserve, %
    cell: CellAsic | None  # parameters of the cell-based headroom model, if it applies
    source: str
    # How a platform whose headroom model is SONiC's cell formula (Mellanox's buffer plugin) sizes this
    # chip's PG headroom: "cell", or "ieee" for a Broadcom chip, whose SONiC HwSKUs give static
    # per-speed/cable profiles (pg_profile_lookup.ini) rather than the cell formula (docs/sources.md#catalog-asics).
    sonic_headroom: HeadroomModel = "cell"

    def times(self, chips: int) -> BufferModel:
        """The buffer of a switch built of ``chips`` of this ASIC (a chassis' packet processors)."""
        return self if chips == 1 else replace(self, name=f"{self.name} x{chips}", total_bytes=self.total_bytes * chips)

    @property
    def headroom_pool_bytes(self) -> int:
        return self.total_bytes * self.headroom_pct // 100


# Headroom may take at most half the buffer so the shared pools keep at least the other half
# (a project choice, not a vendor number; override per switch model below).
HEADROOM_PCT = 50

BUFFER_MODELS = MappingProxyType({
    "spectrum-3": BufferModel("spectrum-3", 60_817_392, HEADROOM_PCT, SPECTRUM,
                              "SONiC Mellanox egress_lossless_pool (= MMU size) on Spectrum-3, sonic-utilities db_migrator"),
    "spectrum-2": BufferModel("spectrum-2", 34_340_832, HEADROOM_PCT, SPECTRUM,
                              "SONiC Mellanox egress_lossless_pool (= MMU size) on Spectrum-2, sonic-utilities db_migrator"),
    "tomahawk-4": BufferModel("tomahawk-4", 113 * 1_000_000, HEADROOM_PCT, None,
                              "Broadcom Tomahawk 4 nominal 113 MB on-chip buffer (datasheet figure)", "ieee"),
    "tomahawk-3": BufferModel("tomahawk-3", 64 * 1_000_000, HEADROOM_PCT, None,
                              "Broadcom Tomahawk 3 nominal 64 MB on-chip buffer (datasheet figure)", "ieee"),
    # docs/sources.md#catalog-asics: the DS5000's own SONiC buffer plan (qos_buffer_mgmt.json): egress
    # lossless pool 83,886,080 B, of which the ingress headroom pool is 33,554,432 B (40 %).
    "tomahawk-5": BufferModel("tomahawk-5", 83_886_080, 40, None,
                              "SONiC DS5000 (Tomahawk 5) qos_buffer_mgmt.json: egress_lossless_pool 83,886,080 B, "
                              "ingress headroom 33,554,432 B", "ieee"),
    # docs/sources.md#catalog-asics: each Jericho2 has 16 MB on-chip (where PFC headroom lives; its 8 GB
    # HBM holds deep VOQs), one per 12 x 400G: a chassis' buffer is its chips' sum.
    "jericho-2": BufferModel("jericho-2", 16 * 1_000_000, HEADROOM_PCT, None,
                             "Broadcom Jericho2 16 MB on-chip buffer per chip (8 GB HBM beside it)", "ieee"),
    # docs/sources.md#catalog-asics: Trident 4 X11 132 MB (Juniper QFX5130 datasheet); Spectrum-4 the
    # SN5600 egress_lossless_pool of sonic-buildimage. No public Spectrum-4 cell parameters: cell None.
    "trident-4": BufferModel("trident-4", 132 * 1_000_000, HEADROOM_PCT, None,
                             "Broadcom Trident 4 X11 132 MB packet buffer (Juniper QFX5130 datasheet)", "ieee"),
    "spectrum-4": BufferModel("spectrum-4", 158_229_504, HEADROOM_PCT, None,
                              "SONiC Mellanox egress_lossless_pool (= MMU size) on SN5600, sonic-buildimage"),
})


def buffer_model(platform_name: str, asic: str | None) -> BufferModel:
    """The buffer model of a switch's ASIC (a catalog ASIC's ``buffer_model``, or a BUFFER_MODELS key);
    with no ASIC (a ``generic`` switch that names none) the platform record's default.
    KeyError when the ASIC has no public buffer figure (the design refuses such a switch first)."""
    if asic is None:
        return BUFFER_MODELS[platform(platform_name).qos.buffer_model]
    chip = ASICS.get(asic)
    return BUFFER_MODELS[chip.buffer_model if chip is not None else asic]
