"""Helpers for rules that judge every port of a device against the Design's QoS policy."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit
from aifab.check.parse.facts import DeviceFacts, Interface
from aifab.design.model import Device, Port, QosPolicy


def policed_ports(ctx: CheckContext) -> Iterator[tuple[Device, DeviceFacts, QosPolicy, list[tuple[Port, Interface]]]]:
    """Each parsed device with a QoS policy, with its cabled ports that the files configure."""
    for dev, facts in ctx.checked():
        if dev.qos is None:
            continue
        yield dev, facts, dev.qos, ctx.configured_ports[dev.name]


def grouped(dev: Device, bad: list[tuple[str, str]], ports: int) -> Iterator[Hit]:
    """One hit per failing port, or one for the device when all its ports fail alike (a device-wide setting)."""
    if ports > 1 and len(bad) == ports and len({msg for _, msg in bad}) == 1:
        yield Hit(dev.fabric, dev.name, "", f"all {ports} ports: {bad[0][1]}")
        return
    for port, msg in bad:
        yield Hit(dev.fabric, dev.name, port, msg)


def fmt(values: frozenset[int] | set[int]) -> str:
    """``{3, 4}`` -> ``3,4``; the empty set -> ``none``."""
    return ",".join(str(v) for v in sorted(values)) or "none"
