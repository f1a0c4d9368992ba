"""Software upgrades in a plan: which method a switch is upgraded with, and the steps the deploy
runs for one device's change (docs/impact.md#software-upgrades).

The method is its platform record's first ``upgrades`` entry the switch model supports (EOS SSU on
a model the catalog lists with ``ssu``, else a reload; SONiC warm reboot on a ``warm-reboot`` model,
else fast reboot; FRR a restart of its daemons); its impact class replaces the impact table's
``software`` row for that switch.
"""

from __future__ import annotations

from aifab.catalog import lookup
from aifab.design.model import Device
from aifab.errors import AifabError
from aifab.platforms import UpgradeMethod, platform


class NoUpgradeMethod(AifabError):
    """A switch's platform names no way to change its software."""


def method_for(device: Device) -> UpgradeMethod:
    """How ``device`` changes its software: the first of its platform's methods its model supports."""
    model = lookup(device.model)
    offered = set(model.upgrades) if model is not None else set()
    for m in platform(device.platform).upgrades:
        if not m.needs or m.needs in offered:
            return m
    raise NoUpgradeMethod(f"{device.name}: platform {device.platform} has no software upgrade method")


def steps(*, drain: bool, upgrade: str = "", version: str = "", config: bool = True, soak_s: int = 0,
          drain_wait_s: int = 0, qos_read_back: str = "") -> tuple[str, ...]:
    """The steps the deploy runs for one device's change, in order, as the plan lists them;
    ``qos_read_back``: what the verify reads back of the QoS on the device's platform (its record's
    ``qos_read_back``; "": nothing, and the step says so)."""
    out = []
    if drain:
        out.append(f"drain, then wait until its neighbours' best paths are off it (at most {drain_wait_s} s)")
    if upgrade:
        out += [f"upgrade to {version} via {upgrade}", "wait until its daemons and every designed session are back",
                f"verify it runs {version} (read from the device)"]
    if config:
        verify = (f"sessions, routes and QoS ({qos_read_back})" if qos_read_back
                  else "sessions and routes (QoS not read back: the committed config)")
        out.append(f"commit the config (device revert timer), verify {verify}, confirm")
    elif upgrade:
        out.append("verify sessions and routes")
    if drain:
        out.append(f"undrain, then wait until its neighbours use it again (at most {drain_wait_s} s)")
    if soak_s:
        out.append(f"soak {soak_s} s")
    return tuple(out)
