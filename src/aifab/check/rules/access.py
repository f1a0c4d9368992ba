"""MGMT: a pushed full config never leaves the switch without a way in; the way in the intent asks
for and a platform's files cannot carry is said, never silently less."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.design.model import AccessPolicy
from aifab.platforms import platform


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


# The parts of the way in (``Platform.access``), each as the finding names it
ACCESS_PARTS = (("accounts", "local users"), ("tacacs", "TACACS+ servers"), ("radius", "RADIUS servers"),
                ("ntp", "NTP servers"), ("syslog", "syslog servers"), ("snmp", "SNMP"))


def asked(a: AccessPolicy) -> set[str]:
    """The parts of the way in the intent asks for (local users: other than the one ``admin`` every
    image has and the intent's default)."""
    parts = {"tacacs": bool(a.tacacs), "radius": bool(a.radius), "ntp": bool(a.ntp), "syslog": bool(a.syslog),
             "snmp": bool(a.snmp_community_secret or a.snmp_users or a.snmp_location or a.snmp_contact),
             "accounts": [u.name for u in a.accounts] != ["admin"]}
    return {k for k, v in parts.items() if v}


@rule("MGMT002", Severity.WARNING, "the way in a platform does not apply is named",
      "AAA, NTP, syslog or SNMP the intent asks for and a platform's files cannot carry would be missing on the "
      "switch, unsaid: a login no TACACS+ server authorises, clocks and logs nobody collects", scope="design")
def access_not_applied(ctx: CheckContext) -> Iterator[Hit]:
    wanted = asked(ctx.design.access)
    by_platform: dict[tuple[str, str], list[str]] = {}
    for dev in ctx.devices.values():
        by_platform.setdefault((dev.fabric, dev.platform), []).append(dev.name)
    for (fabric, name), devices in sorted(by_platform.items()):
        missing = [label for part, label in ACCESS_PARTS if part in wanted and part not in platform(name).access]
        if missing:
            yield Hit(fabric, "", name, f"not applied on {name} ({len(devices)} devices): {', '.join(missing)} (not in its "
                                        "files: the host's own configuration)")


@rule("MGMT003", Severity.WARNING, "the deploy keeps its own way in",
      "NAPALM's eos driver talks to the switch over eAPI: a config with eAPI off would take the deploy's session "
      "away mid-commit, and no later deploy would reach the switch (aifab deploy refuses to commit it)", scope="design")
def deploy_way_in(ctx: CheckContext) -> Iterator[Hit]:
    if ctx.design.access.api:
        return
    by_fabric: dict[str, list[str]] = {}
    for dev in ctx.devices.values():
        if platform(dev.platform).napalm_driver == "eos":
            by_fabric.setdefault(dev.fabric, []).append(dev.name)
    for fabric, devices in sorted(by_fabric.items()):
        yield Hit(fabric, "", "eapi", f"management.api: false on {len(devices)} eos devices: aifab deploy (NAPALM's eos driver, "
                                      "over eAPI) refuses to commit it, which would leave it no way to reach them")
