"""MGMT: a pushed full config never leaves the switch without a way in."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("MGMT001", Severity.ERROR, "a pushed config leaves a way in",
      "a full config replace without a management address, SSH in the management VRF, or anyone allowed to log in "
      "locks the operators out of the switch")
def way_in(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        a = facts.access
        if a is None:
            continue  # the pushed file (frr.conf) cannot take the way in away
        iface = facts.interfaces.get(a.management)
        if iface is None or iface.address is None:
            yield Hit(dev.fabric, dev.name, a.management, "no management address: the switch cannot be reached")
        if not a.ssh:
            yield Hit(dev.fabric, dev.name, "ssh", f"SSH is not enabled in the management VRF {a.vrf}")
        local = a.login_local and (a.users is None or a.users)
        if not local and not a.login_servers:
            what = "no local user with a password or SSH key" if a.login_local else "login does not fall back to the local users"
            yield Hit(dev.fabric, dev.name, "login", f"nobody can log in: {what} and no TACACS+/RADIUS server to ask")
