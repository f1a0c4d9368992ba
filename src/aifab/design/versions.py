"""The software version each switch should run, from the intent's ``upgrade.os_version``: per
platform, overridden per fabric role, overridden per device (the most specific wins)."""

from __future__ import annotations

from dataclasses import replace

from aifab.design.model import Device
from aifab.errors import Problem
from aifab.intent.schema import OsVersion

LOC = ("upgrade", "os_version")


def target_version(versions: OsVersion, dev: Device) -> str:
    """The version ``dev`` should run ("" when no entry names it: its software is not managed)."""
    if dev.name in versions.devices:
        return versions.devices[dev.name]
    role = getattr(getattr(versions.roles, dev.fabric), dev.role, None)
    if role:
        return role
    return getattr(versions, dev.platform, None) or ""


def with_versions(versions: OsVersion, devices: list[Device]) -> tuple[list[Device], list[Problem]]:
    """``devices`` with their target version set, and a problem per ``devices`` entry that names no switch."""
    names = {d.name for d in devices}
    problems = [Problem((*LOC, "devices", name), "no such switch in this fabric; switches are named like "
                        + ", ".join(list(names)[:3]) + ", ...", name)
                for name in versions.devices if name not in names]
    return [d if (v := target_version(versions, d)) == d.os_version else replace(d, os_version=v) for d in devices], problems
