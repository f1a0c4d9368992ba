"""TOPO: each tier's downlink:uplink bandwidth is what the intent asks (docs/sources.md#two-fabrics, #superpod)."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule

_EPS = 1e-9


def target_ratio(ctx: CheckContext, fabric: str, role: str) -> float:
    """The down:up ratio a tier may have: the intent's oversubscription at the leaves; above them
    the backend is non-blocking (1:1) from server to the top tier, the frontend's spines have no uplinks."""
    fab = ctx.design.backend if fabric == "backend" else ctx.design.frontend
    return fab.oversubscription if role == "leaf" else 1.0


@rule("TOPO001", Severity.ERROR, "bandwidth ratio per tier as the intent asks",
      "more downlink than uplink bandwidth than intended oversubscribes the tier; the backend must stay 1:1", costly=True)
def bandwidth_ratio(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        down = up = 0
        for port in dev.ports:
            iface = facts.interfaces.get(port.name)
            if iface is not None and iface.shutdown:
                continue
            speed = iface.speed if iface is not None and iface.speed else port.speed
            if port.role == "uplink":
                up += speed if iface is not None else 0
            else:
                down += speed
        if not any(p.role == "uplink" for p in dev.ports):
            continue
        target = target_ratio(ctx, dev.fabric, dev.role)
        if up == 0:
            yield Hit(dev.fabric, dev.name, "", "no configured uplink bandwidth")
        elif down / up > target + _EPS:
            yield Hit(dev.fabric, dev.name, "", f"down:up bandwidth {down}G:{up}G = {down / up:.2f}:1 exceeds {target:g}:1")
