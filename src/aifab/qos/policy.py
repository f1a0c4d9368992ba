"""Resolve a fabric's QoS policy from the intent and the platform defaults (docs/sources.md#qos-common, #pfc-watchdog)."""

from __future__ import annotations

from aifab.errors import Problem
from aifab.intent.schema import BackendQos, Ecn, FrontendQos, Intent, Watchdog
from aifab.platforms import KB
from aifab.platforms import platform as platform_record
from aifab.qos.defaults import (
    BEST_EFFORT_TC,
    BUFFER_MODELS,
    CONTROL_DSCP,
    CONTROL_TC,
    WATCHDOG_POLLING_MS,
    WATCHDOG_RESTORATION_MS,
    buffer_model,
)
from aifab.qos.types import EcnPolicy, QosPolicy, WatchdogPolicy

TCS = 8
IDENTITY = tuple(range(TCS))


def resolve_ecn(ecn: Ecn, platform: str) -> EcnPolicy:
    """ECN thresholds: each intent value (KB, %) overrides its platform default."""
    d = platform_record(platform).qos
    return EcnPolicy(
        d.ecn_min_bytes if ecn.min_kb is None else ecn.min_kb * KB,
        d.ecn_max_bytes if ecn.max_kb is None else ecn.max_kb * KB,
        d.ecn_probability if ecn.probability is None else ecn.probability,
    )


def resolve_watchdog(wd: Watchdog) -> WatchdogPolicy:
    """Watchdog times (docs/sources.md#pfc-watchdog): restoration is twice detection when only detection is set."""
    detection = wd.detection_ms
    if wd.restoration_ms is not None:
        restoration = wd.restoration_ms
    elif "detection_ms" in wd.model_fields_set:
        restoration = 2 * detection
    else:
        restoration = WATCHDOG_RESTORATION_MS
    return WatchdogPolicy(wd.enabled, detection, restoration, min(WATCHDOG_POLLING_MS, detection), wd.action)


def _dscp_map(entries: dict[int, int]) -> tuple[int, ...]:
    return tuple(entries.get(dscp, BEST_EFFORT_TC) for dscp in range(64))


def _weights(entries: dict[int, int]) -> tuple[int, ...]:
    return tuple(entries.get(tc, 0) for tc in range(TCS))


def _pg_map(lossless: tuple[int, ...]) -> tuple[int, ...]:
    """Lossless TCs keep their own priority group; everything else shares PG 0 (SONiC convention)."""
    return tuple(tc if tc in lossless else 0 for tc in range(TCS))


def backend_policy(qos: BackendQos, platform: str) -> QosPolicy:
    """Lossless RoCEv2: RoCE DSCP -> roce_tc (PFC, ECN), CNP DSCP -> cnp_tc strict, rest best effort."""
    lossless = (qos.roce_tc,)
    return QosPolicy(
        platform=platform, fabric="backend", lossless=True,
        headroom_model=platform_record(platform).qos.headroom_model,
        dscp_to_tc=_dscp_map({qos.roce_dscp: qos.roce_tc, qos.cnp_dscp: qos.cnp_tc}),
        tc_to_queue=IDENTITY, tc_to_pg=_pg_map(lossless),
        lossless_priorities=lossless, strict_tcs=(qos.cnp_tc,),
        dwrr_weights=_weights({BEST_EFFORT_TC: 100 - qos.lossless_weight, qos.roce_tc: qos.lossless_weight}),
        ecn_queues=lossless, ecn=resolve_ecn(qos.ecn, platform), watchdog=resolve_watchdog(qos.watchdog),
        roce_dscp=qos.roce_dscp, roce_tc=qos.roce_tc, cnp_dscp=qos.cnp_dscp, cnp_tc=qos.cnp_tc,
        storage_dscp=None, storage_tc=None,
    )


def frontend_policy(qos: FrontendQos, platform: str) -> QosPolicy:
    """Storage DSCP -> storage_tc (DWRR), CS6 network control strict, rest best effort.

    Lossy unless ``lossless``: then the storage class gets PFC, ECN and the watchdog like the backend.
    """
    lossless = (qos.storage_tc,) if qos.lossless else ()
    return QosPolicy(
        platform=platform, fabric="frontend", lossless=qos.lossless,
        headroom_model=platform_record(platform).qos.headroom_model,
        dscp_to_tc=_dscp_map({qos.storage_dscp: qos.storage_tc, CONTROL_DSCP: CONTROL_TC}),
        tc_to_queue=IDENTITY, tc_to_pg=_pg_map(lossless),
        lossless_priorities=lossless, strict_tcs=(CONTROL_TC,),
        dwrr_weights=_weights({BEST_EFFORT_TC: 100 - qos.storage_weight, qos.storage_tc: qos.storage_weight}),
        ecn_queues=lossless, ecn=resolve_ecn(Ecn(), platform) if qos.lossless else None,
        watchdog=resolve_watchdog(Watchdog()) if qos.lossless else None,
        roce_dscp=None, roce_tc=None, cnp_dscp=None, cnp_tc=None,
        storage_dscp=qos.storage_dscp, storage_tc=qos.storage_tc,
    )


def qos_problems(intent: Intent) -> list[Problem]:
    """Class collisions and ECN thresholds that cannot work, located at the intent key."""
    out: list[Problem] = []
    b, f = intent.backend.qos, intent.frontend.qos
    where = ("backend", "qos")
    for a, c, why in (("roce_dscp", "cnp_dscp", ""), ("roce_tc", "cnp_tc", " (CNPs need their own strict class)")):
        if getattr(b, a) == getattr(b, c):
            key, other = (c, a) if c in b.model_fields_set or a not in b.model_fields_set else (a, c)
            out.append(Problem((*where, key), f"must differ from {other}{why}", getattr(b, key)))
    for key in ("roce_tc", "cnp_tc"):
        if getattr(b, key) == BEST_EFFORT_TC:
            out.append(Problem((*where, key), f"TC {BEST_EFFORT_TC} is the best-effort class", BEST_EFFORT_TC))
    platforms = {s.platform for s in (intent.backend.switches.leaf, intent.backend.switches.spine,
                                      intent.backend.switches.core)}
    crossed = [(p, e) for p in sorted(platforms) if (e := resolve_ecn(b.ecn, p)).min_bytes >= e.max_bytes]
    if crossed:  # one problem for the key, naming each platform where it bites
        on = "; ".join(f"on {p} {e.min_bytes} >= {e.max_bytes} bytes" for p, e in crossed)
        out.append(Problem((*where, "ecn"), f"min must be below max ({on})",
                           {k: v for k, v in b.ecn.model_dump().items() if v is not None}))
    out += _cell_model_problems(intent)
    fw = ("frontend", "qos")
    if f.storage_tc in (BEST_EFFORT_TC, CONTROL_TC):
        out.append(Problem((*fw, "storage_tc"), f"TC {f.storage_tc} is reserved (0 best effort, "
                           f"{CONTROL_TC} network control)", f.storage_tc))
    if f.storage_dscp == CONTROL_DSCP:
        out.append(Problem((*fw, "storage_dscp"), f"DSCP {CONTROL_DSCP} is network control (CS6)", f.storage_dscp))
    return out


def _cell_model_problems(intent: Intent) -> list[Problem]:
    """A lossless switch on a cell-model platform needs a buffer model with cell parameters."""
    out = []
    tiers = [("backend", t, getattr(intent.backend.switches, t)) for t in ("leaf", "spine", "core")]
    if intent.frontend.qos.lossless:
        tiers += [("frontend", t, getattr(intent.frontend.switches, t)) for t in ("leaf", "spine")]
    for fabric, tier, switch in tiers:
        model = buffer_model(switch.platform, switch.asic)
        if platform_record(switch.platform).qos.headroom_model != "cell" or model.sonic_headroom != "cell":
            continue
        if model.cell is None:
            cell_models = ", ".join(n for n, m in BUFFER_MODELS.items() if m.cell is not None)
            out.append(Problem((fabric, "switches", tier, "model"), f"{switch.platform} computes this chip's headroom in "
                               f"cells, and no public source gives the cell parameters of {model.name} (cell size, "
                               "pipeline latency, MAC/PHY delay of SONiC's ASIC_TABLE; docs/sources.md#catalog-asics): "
                               f"aifab refuses to guess them; use a switch with one of: {cell_models}, or another platform",
                               switch.model))
        elif switch.speed > model.cell.max_speed_gbps:
            out.append(Problem((fabric, "switches", tier, "speed"), f"the {model.name} cell parameters are for ports of "
                               f"at most {model.cell.max_speed_gbps}G; no public parameters exist for faster ports",
                               f"{switch.speed}G"))
    return out
