"""gNMI subscription paths per platform, and what a platform's files cannot carry of the intent's
telemetry section (said by check TEL001 and in ``telemetry/gnmi.json``, never silently less).

Paths: OpenConfig where it models the counter (interfaces, output queues:
docs/sources.md#telemetry-gnmi), the platform's own where it does not (SONiC's COUNTERS_DB virtual
paths for PFC frames, queues with their WRED/ECN counters and the PFC watchdog). EOS publishes no
gNMI path for per-priority PFC or ECN-marked counters: ``aifab health`` reads them with the CLI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aifab.design.model import Design

GNMI_PORT = {"eos": 6030, "sonic": 50051}  # the servers' default ports (docs/sources.md#telemetry-gnmi)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One group of paths: what it covers, the gNMI origin or target, the paths."""

    covers: str  # interface, queue, pfc, ecn, watchdog
    origin: str  # "openconfig" or the SONiC DB target ("COUNTERS_DB")
    paths: tuple[str, ...]


def subscriptions(platform: str, lossless: tuple[int, ...]) -> tuple[Subscription, ...]:
    """The gNMI paths of ``platform`` for the interface, queue, PFC (``lossless`` priorities), ECN and
    watchdog counters; empty where the platform runs no gNMI server aifab configures."""
    if platform == "eos":
        return (Subscription("interface", "openconfig", ("/interfaces/interface/state/counters",)),
                Subscription("queue", "openconfig", ("/qos/interfaces/interface/output/queues/queue/state",)))
    if platform == "sonic":
        pfc = tuple(f"COUNTERS/Ethernet*/SAI_PORT_STAT_PFC_{p}_{d}_PKTS" for p in lossless for d in ("RX", "TX"))
        return (Subscription("interface", "COUNTERS_DB", ("COUNTERS/Ethernet*",)),
                Subscription("queue", "COUNTERS_DB", ("COUNTERS/Ethernet*/Queues",)),
                Subscription("ecn", "COUNTERS_DB", ("COUNTERS/Ethernet*/Queues",)),
                Subscription("pfc", "COUNTERS_DB", pfc),
                Subscription("watchdog", "COUNTERS_DB", ("COUNTERS/Ethernet*/Pfcwd",)))
    return ()


def not_applied(platform: str, design: Design) -> tuple[str, ...]:
    """What the intent's telemetry asks that ``platform``'s rendered files do not configure."""
    t, out = design.telemetry, []
    gnmi = design.access.gnmi
    if platform == "eos" and gnmi:
        out.append("gNMI paths for per-priority PFC and ECN-marked counters (EOS publishes none; aifab health reads them from the CLI)")
    if platform == "sonic":
        if gnmi:
            out.append("the gNMI server's VRF (SONiC's TELEMETRY table has no VRF field)")
        if t.queue_monitor:
            out.append("queue-depth monitoring (SONiC has no queue-depth monitor in CONFIG_DB)")
    if platform not in ("eos", "sonic"):
        if t.sflow_collectors:
            out.append("sFlow (frr.conf has no sFlow agent; run hsflowd on the switch)")
        if gnmi:
            out.append("gNMI streaming (FRR has no gNMI server aifab configures)")
        if t.queue_monitor:
            out.append("queue-depth monitoring (no queue-depth monitor on Linux)")
    return tuple(out)


def gnmi_targets(design: Design) -> dict[str, object]:
    """``telemetry/gnmi.json``: every switch's gNMI target (management address, port), its paths, and
    what its platform does not stream."""
    devices = {}
    for dev in design.devices():
        lossless = dev.qos.lossless_priorities if dev.qos else ()
        subs = subscriptions(dev.platform, lossless)
        devices[dev.name] = {
            "platform": dev.platform,
            "address": f"{dev.management.partition('/')[0]}:{GNMI_PORT[dev.platform]}" if subs else None,
            "subscriptions": [{"covers": s.covers, "origin": s.origin, "paths": list(s.paths)} for s in subs],
            "not_applied": list(not_applied(dev.platform, design)),
        }
    return {"cluster": design.cluster, "devices": devices}


def write_gnmi_targets(design: Design, out: Path) -> list[Path]:
    """Write ``out/telemetry/gnmi.json`` when the intent asks for gNMI (else remove one a build left)."""
    path = out / "telemetry" / "gnmi.json"
    if not design.access.gnmi:
        path.unlink(missing_ok=True)
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gnmi_targets(design), indent=2) + "\n")
    return [path]
