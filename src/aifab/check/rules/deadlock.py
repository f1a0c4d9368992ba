"""DLK: PFC-deadlock freedom of the lossless fabrics (docs/sources.md#pfc-deadlock).

No route that goes down a tier and up again is ever accepted (``aifab.check.deadlock``), and the
PFC watchdog, which breaks a deadlock that forms anyway, guards exactly the PFC priorities of
every port: one missing leaves a lossless queue unguarded, one too many acts on a lossy queue.
"""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.deadlock import valley_turns
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.check.rules.ports import fmt, grouped, policed_ports


@rule("DLK001", Severity.ERROR, "no lossless flow can go down a tier and up again (valley-free routing)",
      "a down-then-up path (spine -> leaf -> spine) closes a cycle of PFC buffer dependencies: a PAUSE can "
      "then deadlock the fabric; AS-path loop prevention over the shared spine ASN is what forbids it")
def valley_free(ctx: CheckContext) -> Iterator[Hit]:
    by_lower: dict[str, list] = {}
    for t in valley_turns(ctx):
        by_lower.setdefault(t.lower, []).append(t)
    for lower, turns in by_lower.items():
        dev = ctx.devices[lower]
        first = turns[0]
        more = f" ({len(turns) - 1} more turns through {lower})" if len(turns) > 1 else ""
        yield Hit(dev.fabric, lower, first.path,
                  f"lossless traffic can take {first.path} (down, then up): {first.reason}{more}")


@rule("DLK002", Severity.ERROR, "the PFC watchdog guards exactly the PFC priorities of every port",
      "a PFC priority without the watchdog is not protected from a PAUSE storm or deadlock; a watchdog on a "
      "priority without PFC acts on a lossy queue (edge-core/sonic-buildimage#689)")
def watchdog_exact(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        if not policy.lossless or policy.watchdog is None or not policy.watchdog.enabled:
            continue  # QOS007 warns when the intent turns the watchdog off
        bad = []
        for port, iface in ports:
            watched = iface.watchdog_priorities
            if watched is None or watched == iface.pfc or (not watched and iface.watchdog is False):
                continue  # None: the files cannot state it (Linux has no watchdog command); no watchdog at all: QOS006
            parts = []
            if iface.pfc - watched:
                parts.append(f"PFC priority {fmt(iface.pfc - watched)} without the watchdog")
            if watched - iface.pfc:
                parts.append(f"watchdog on priority {fmt(watched - iface.pfc)} without PFC")
            bad.append((port.name, "; ".join(parts)))
        yield from grouped(dev, bad, len(ports))
