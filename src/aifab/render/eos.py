"""The EOS part of a device's view (``DeviceView.native``): the ``platform trident mmu`` profile,
``qos map dscp`` lines, and the policy's numbers in EOS units (kbytes, seconds, watchdog action).

The Design holds bytes and milliseconds; this is where they become what EOS writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aifab.catalog import eos_mmu
from aifab.design.model import Device, DeviceBuffers
from aifab.platforms import KB
from aifab.render.shared import per_object
from aifab.render.view import QosView

MMU_PROFILE = "AIFAB"  # name of the EOS MMU queue profile
QOS_PROFILE = "AIFAB-QOS"  # name of the EOS qos profile every port applies with `service-profile`
DSCPS_PER_LINE = 8  # EOS `qos map dscp` takes up to 8 values per command
# EOS MMU dynamic thresholds are powers of two written as fractions (AVD's platform.trident.mmu).
EOS_THRESHOLDS = {-7: "1/128", -6: "1/64", -5: "1/32", -4: "1/16", -3: "1/8", -2: "1/4", -1: "1/2",
                  0: "1", 1: "2", 2: "4", 3: "8"}
# EOS watchdog actions; EOS has no "forward": it can only drop or notify.
EOS_WATCHDOG_ACTION = {"drop": "drop", "forward": "notify-only"}


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
    ``qos profile`` the ports apply (AVD's qos_profiles), the DSCP map as EOS lines, and the policy's
    numbers in EOS units."""

    qos_profile: str  # the device's port QoS, written once and applied by every port (docs/sources.md#qos-defaults-eos)
    mmu: bool  # render `platform trident mmu`: a Trident ASIC (docs/sources.md#catalog-asics) on a lossless fabric
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


@cache
def _dscp_groups(dscp_to_tc: tuple[int, ...]) -> tuple[DscpGroup, ...]:
    by_tc: dict[int, list[int]] = {}
    for dscp, tc in enumerate(dscp_to_tc):
        by_tc.setdefault(tc, []).append(dscp)
    groups = [(dscps[i], DscpGroup(" ".join(map(str, dscps[i:i + DSCPS_PER_LINE])), tc))
              for tc, dscps in by_tc.items() for i in range(0, len(dscps), DSCPS_PER_LINE)]
    # In DSCP order (by each line's first value), as AVD's qos.j2 natural-sorts its `qos map dscp`
    # lines (docs/sources.md#avd-order).
    return tuple(g for _, g in sorted(groups, key=lambda pair: pair[0]))


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
    return _view(b, qos, dev.asic, max((p.buffer.xon for p in dev.ports if p.buffer), default=0))


@per_object
def _view(b: DeviceBuffers, qos: QosView, asic: str, xon: int) -> EosView:
    ecn, wd = qos.ecn, qos.watchdog
    pgs = sorted(set(qos.tc_to_pg))
    return EosView(
        qos_profile=QOS_PROFILE,
        mmu=qos.lossless and eos_mmu(asic),
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
