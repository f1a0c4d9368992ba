"""TEL: telemetry the intent asks for and a platform's files cannot carry is said, never silently less."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.telemetry.paths import not_applied


@rule("TEL001", Severity.INFO, "telemetry a platform does not apply is named",
      "counters nobody configured are found only when they are needed; what the intent asks and a platform "
      "cannot carry must be known before then", scope="design")
def telemetry_not_applied(ctx: CheckContext) -> Iterator[Hit]:
    by_platform: dict[tuple[str, str], list[str]] = {}
    for dev in ctx.devices.values():
        by_platform.setdefault((dev.fabric, dev.platform), []).append(dev.name)
    for (fabric, name), devices in sorted(by_platform.items()):
        for what in not_applied(name, ctx.design):
            yield Hit(fabric, "", name, f"not applied on {name} ({len(devices)} devices): {what}")
