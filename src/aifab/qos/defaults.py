"""QoS and buffer defaults: every number in one place, each with its source (a platform's own
RoCEv2 defaults and default buffer model are in its record, ``aifab.platforms``).

Sources are the facts file (``shared/reference/ai-fabric-facts.md``), sections 4 (RoCEv2 QoS),
5 (PFC watchdog) and 6 (headroom and SONiC buffer tables). ``docs/qos.md`` tables them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from aifab.platforms import platform
from aifab.qos.headroom import SPECTRUM, CellAsic

BEST_EFFORT_TC = 0  # every DSCP not named by the policy
CONTROL_DSCP = 48  # CS6 network control (BGP); on the frontend it gets the strict class below
CONTROL_TC = 6


# PFC watchdog, SONiC defaults (facts section 5); the same on every platform. Detection (200 ms)
# and the action (drop) are the intent's own defaults (aifab.intent.schema.Watchdog).
WATCHDOG_RESTORATION_MS = 200
WATCHDOG_POLLING_MS = 200

# SONiC buffer profile thresholds (sonic-swss doc/buffer dynamic-calculation design, Mellanox
# defaults): a queue may use 2**dynamic_th times the pool's free space (facts section 6).
LOSSLESS_PG_DYNAMIC_TH = 0  # pg_lossless_* and ingress_lossless_profile
LOSSY_DYNAMIC_TH = 3  # ingress_lossy_profile, egress_lossy_profile, q_lossy_profile
EGRESS_LOSSLESS_DYNAMIC_TH = 7  # egress_lossless_profile: a lossless queue is bounded by PFC, not by drops
EGRESS_LOSSY_RESERVED = 4096  # egress_lossy_profile size, bytes per port


@dataclass(frozen=True, slots=True)
class BufferModel:
    """A switch ASIC's packet buffer, for the pool plan."""

    name: str
    total_bytes: int
    headroom_pct: int  # share of the buffer that PFC headroom may reserve, %
    cell: CellAsic | None  # parameters of the cell-based headroom model, if it applies
    source: str

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
                              "Broadcom Tomahawk 4 nominal 113 MB on-chip buffer (datasheet figure)"),
    "tomahawk-3": BufferModel("tomahawk-3", 64 * 1_000_000, HEADROOM_PCT, None,
                              "Broadcom Tomahawk 3 nominal 64 MB on-chip buffer (datasheet figure)"),
})

SWITCH_BUFFER_MODEL = MappingProxyType({"7060X5-64PE": "tomahawk-4", "SN4700": "spectrum-3", "SN3700": "spectrum-2"})


def buffer_model(platform_name: str, switch_model: str) -> BufferModel:
    """The buffer model of a switch: by its model name if known, else its platform record's default."""
    return BUFFER_MODELS[SWITCH_BUFFER_MODEL.get(switch_model, platform(platform_name).qos.buffer_model)]
