"""CFG: every device of the Design has rendered files that parse, and they name the right device."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("CFG001", Severity.ERROR, "every device has a parsable config",
      "a device without a readable rendered config cannot be checked or deployed; everything else assumes it exists")
def config_present(ctx: CheckContext) -> Iterator[Hit]:
    for dev in ctx.devices.values():
        if dev.name in ctx.unreadable:
            yield Hit(dev.fabric, dev.name, "", ctx.unreadable[dev.name])
        elif dev.name not in ctx.facts:
            yield Hit(dev.fabric, dev.name, "", "no rendered config found")


@rule("CFG002", Severity.ERROR, "config hostname matches the device",
      "a config loaded on the wrong switch takes another switch's addresses and sessions")
def hostname_matches(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        if facts.hostname != dev.name:
            yield Hit(dev.fabric, dev.name, "", f"hostname is {facts.hostname or '(none)'}, expected {dev.name}")
