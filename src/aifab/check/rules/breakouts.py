"""Breakouts: every interface of a catalog switch is a whole port or a child its model's breakout modes
offer (docs/sources.md#breakouts, docs/catalog.md).

The files state the lanes an interface uses (EOS: the name's lane and the speed's lane count,
``Ethernet1/5`` at ``400g-4``; SONiC: ``PORT`` lanes, with the mode in ``BREAKOUT_CFG``); a platform
whose files do not (frr.conf) is not judged here.
"""

from __future__ import annotations

from collections.abc import Iterator

from aifab.catalog import lookup
from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("BRK001", Severity.ERROR, "each interface is a whole port or a breakout child its model offers",
      "a switch does not bring up an interface on lanes or at a speed no breakout mode of its port gives "
      "(a 2x400G OSFP port has children on lanes 1-4 and 5-8 only); the catalog records each model's modes")
def breakout_children(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        model = lookup(dev.model)
        if model is None:
            continue
        for name, iface in facts.interfaces.items():
            if iface.lanes is None or iface.speed is None:
                continue
            used, speed = len(iface.lanes), iface.speed
            if used == model.lanes:  # a whole port (its speed against the cable's other end: TOPO001)
                continue
            count = model.lanes // used if used and model.lanes % used == 0 else 0
            mode = f"{count}x{speed}G"
            if not count or mode not in model.breakouts.get(count * speed, ()):
                modes = ", ".join(m for ms in model.breakouts.values() for m in ms) or "none"
                yield Hit(dev.fabric, dev.name, name, f"{speed}G on {used} of {model.lanes} lanes is no breakout "
                                                           f"mode of {model.name} (its modes: {modes})")
            elif iface.lanes.start % used or iface.lanes.stop > model.lanes:
                yield Hit(dev.fabric, dev.name, name, f"lanes {iface.lanes.start + 1}-{iface.lanes.stop} are no "
                                                           f"{mode} child of a {model.lanes}-lane {model.name} port")
            elif iface.breakout is not None and iface.breakout != mode:
                yield Hit(dev.fabric, dev.name, name, f"a {mode} child, but its port's breakout mode is "
                                                           f"{iface.breakout}")
