"""Parse EOS running-config text (``configs/<device>.cfg``) with ttp into DeviceFacts.

ttp matches indentation literally: EOS indents each level by three spaces (four under
``platform trident mmu queue profile``).
"""

from __future__ import annotations

import re
from typing import Any

from aifab.check.parse.facts import DeviceFacts, Ecn, Headroom
from aifab.check.parse.text import as_list, device_facts, run_ttp

TEMPLATE = """
<group name="system">
hostname {{ hostname }}
</group>

<group name="interfaces*">
interface {{ name }}
   description {{ description | re(".+") }}
   shutdown {{ shutdown | set(True) }}
   mtu {{ mtu | to_int }}
   speed {{ speed | re(".+") }}
   ip address {{ address }}
   qos trust {{ trust }}
   priority-flow-control {{ pfc_mode }}
   priority-flow-control priority {{ pfc_lines | joinmatches }} no-drop
   <group name="tx_queues*">
   tx-queue {{ id | to_int }}
      priority strict {{ strict | set(True) }}
      random-detect ecn minimum-threshold {{ ecn_min | to_int }} {{ ecn_min_unit }} maximum-threshold {{ ecn_max | to_int }} {{ ecn_max_unit }} max-mark-probability {{ ecn_probability | to_int }}
   </group>
</group>

<group name="prefix_lists*">
ip prefix-list {{ name }}
   seq {{ entries | re(".+") | joinmatches }}
</group>

<group name="route_maps*">
route-map {{ name }} {{ action }} {{ seq | to_int }}
   match ip address prefix-list {{ prefix_list }}
</group>

<group name="bgp">
router bgp {{ asn | to_int }}
   router-id {{ router_id }}
   maximum-paths {{ maximum_paths | to_int }}
   maximum-paths {{ maximum_paths | to_int }} ecmp {{ ecmp | to_int }}
   neighbor {{ neighbor_lines | re(".+") | joinmatches }}
   network {{ network_lines | re(".+") | joinmatches }}
   aggregate-address {{ aggregate_lines | re(".+") | joinmatches }}
   redistribute {{ redistribute_lines | re(".+") | joinmatches }}
</group>

<group name="dscp_maps*">
qos map dscp {{ dscps | re(".+?") }} to traffic-class {{ tc | to_int }}
</group>

<group name="watchdog">
priority-flow-control pause watchdog default timeout {{ timeout }}
</group>

<group name="mmu_profiles*">
platform trident mmu queue profile {{ name }}
    ingress headroom {{ headroom | to_int }}
    ingress resume {{ resume | to_int }}
</group>

<group name="mmu_applied">
platform trident mmu queue profile {{ name }} apply
</group>

<group name="mmu_pool">
platform trident mmu headroom-pool limit {{ limit | to_int }}
</group>
"""

_SPEED = re.compile(r"(?:forced )?(\d+)(g|full)")
_UNIT = {"bytes": 1, "kbytes": 1000, "mbytes": 1000 * 1000}  # EOS writes decimal units


def speed(setting: str) -> int | None:
    """EOS speed keyword -> Gb/s: ``400g-8`` -> 400, ``forced 25gfull`` -> 25, ``forced 10000full`` -> 10."""
    m = _SPEED.match(setting)
    if not m:
        return None
    value = int(m.group(1))
    return value // 1000 if m.group(2) == "full" else value


def default_mtu(interface: str) -> int | None:
    """EOS routed Ethernet ports default to MTU 1500 when no ``mtu`` line is present."""
    return 1500 if interface.startswith("Ethernet") else None


def _qos(facts: DeviceFacts, parsed: dict[str, Any]) -> None:
    """Per-port QoS: the global DSCP map on ports that trust DSCP, PFC, the global watchdog on PFC
    ports, tx-queues (strict, ECN), and the applied MMU profile's headroom on each no-drop priority."""
    dscp_map: dict[int, int] = {}
    for raw in as_list(parsed.get("dscp_maps")):
        for dscp in str(raw["dscps"]).split():
            dscp_map[int(dscp)] = int(raw["tc"])
    watchdog = bool(parsed.get("watchdog"))
    applied = (parsed.get("mmu_applied") or {}).get("name")
    profile = next((p for p in as_list(parsed.get("mmu_profiles")) if p.get("name") == applied), None)
    if parsed.get("mmu_pool"):
        facts.headroom_pool = int(parsed["mmu_pool"]["limit"])
    raws = {r["name"]: r for r in as_list(parsed.get("interfaces"))}
    for name, iface in facts.interfaces.items():
        raw = raws[name]
        if raw.get("trust") == "dscp":
            iface.dscp_to_tc = dscp_map
        if raw.get("pfc_mode") == "on":
            iface.pfc = frozenset(int(p) for p in str(raw.get("pfc_lines") or "").split())
        if iface.pfc:
            iface.watchdog = watchdog
            if profile and "headroom" in profile:
                iface.headroom = {p: Headroom(int(profile["headroom"]), xon=profile.get("resume")) for p in iface.pfc}
        for q in as_list(raw.get("tx_queues")):
            if q.get("strict"):
                iface.strict |= {q["id"]}
            if "ecn_min" in q:
                iface.ecn[q["id"]] = Ecn(q["ecn_min"] * _UNIT.get(q["ecn_min_unit"], 0),
                                         q["ecn_max"] * _UNIT.get(q["ecn_max_unit"], 0), q.get("ecn_probability"))


def parse(items: list[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})``; the EOS text is the ``cfg`` file."""
    parsed = run_ttp(TEMPLATE, [texts["cfg"] for _, _, texts in items])
    out = []
    for (dev, files, _), p in zip(items, parsed, strict=True):
        facts = device_facts(dev, "eos", files, p, speed, default_mtu, "peer group")
        _qos(facts, p)
        out.append(facts)
    return out
