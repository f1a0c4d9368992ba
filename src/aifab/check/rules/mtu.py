"""MTU: equal at both ends of every cable, and the fabric's MTU everywhere (jumbo RoCE frames, docs/sources.md#headroom).

A platform whose files do not state the MTU (frr.conf: the Linux host sets it) has ``mtu`` None
and is not judged here.
"""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("MTU001", Severity.ERROR, "MTU equal at both ends of each cable",
      "a frame larger than the far end's MTU is dropped silently; RoCE sets DF and never fragments")
def mtu_both_ends(ctx: CheckContext) -> Iterator[Hit]:
    for c, a, b in ctx.cable_ends:
        if a is not None and b is not None and a.mtu is not None and b.mtu is not None and a.mtu != b.mtu:
            yield Hit(c.a.fabric, c.a.name, a.name, f"MTU {a.mtu} but {c.b.name} {b.name} has MTU {b.mtu}")


@rule("MTU002", Severity.ERROR, "ports carry the fabric's MTU",
      "hosts and every hop are sized for the fabric MTU; a smaller port MTU drops full-size frames on that path")
def fabric_mtu(ctx: CheckContext) -> Iterator[Hit]:
    mismatched = set()  # ports of cables whose ends differ: MTU001 reports those
    for c, a, b in ctx.cable_ends:
        if a is not None and b is not None and a.mtu is not None and b.mtu is not None and a.mtu != b.mtu:
            mismatched |= {(c.a.name, a.name), (c.b.name, b.name)}
    for dev, _ in ctx.checked():
        fabric_mtu = (ctx.design.backend if dev.fabric == "backend" else ctx.design.frontend).mtu
        for port, iface in ctx.configured_ports[dev.name]:
            if iface.mtu is not None and iface.mtu != fabric_mtu and (dev.name, port.name) not in mismatched:
                yield Hit(dev.fabric, dev.name, port.name, f"MTU {iface.mtu}, the {dev.fabric} fabric's MTU is {fabric_mtu}")


@rule("MTU003", Severity.ERROR, "port MTU within the switch model's maximum",
      "a switch refuses (or an EOS routed port caps at 9214) an MTU above its model's; the catalog records it "
      "per model and platform (docs/sources.md#eos-mtu)")
def model_mtu(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _ in ctx.checked():
        for port, iface in ctx.configured_ports[dev.name]:
            if iface.mtu is not None and iface.mtu > dev.max_mtu:
                yield Hit(dev.fabric, dev.name, port.name, f"MTU {iface.mtu} above the {dev.model} maximum of "
                                                           f"{dev.max_mtu} on {dev.platform}")
