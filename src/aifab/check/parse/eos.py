"""Parse EOS running-config text (``configs/<device>.cfg``) with ttp into DeviceFacts.

ttp matches indentation literally: EOS indents each level by three spaces (four under
``platform trident mmu queue profile``).
"""

from __future__ import annotations

import re
from typing import Any

from aifab.check.parse.facts import DeviceFacts, Ecn, Headroom
from aifab.check.parse.text import ParseError, as_list, device_facts, run_ttp

# A rendered file is cut into its top-level blocks (a line at column 0 starts one) and two
# templates read them: DEVICE the blocks a rule reads, each interface reduced to the lines that
# name it (name, description, address); PORT the rest of an interface's body. Bodies repeat
# from port to port, so each distinct body text is parsed once per batch.
DEVICE = """
<group name="system">
hostname {{ hostname }}
</group>

<group name="interfaces*">
interface {{ name }}
   description {{ description | re(".+") }}
   ip address {{ address }}
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

PORT = """
<group name="interfaces*">
interface {{ name }}
   shutdown {{ shutdown | set(True) }}
   mtu {{ mtu | to_int }}
   speed {{ speed | re(".+") }}
   qos trust {{ trust }}
   priority-flow-control {{ pfc_mode }}
   priority-flow-control priority {{ pfc_lines | joinmatches }} no-drop
   <group name="tx_queues*">
   tx-queue {{ id | to_int }}
      priority strict {{ strict | set(True) }}
      random-detect ecn minimum-threshold {{ ecn_min | to_int }} {{ ecn_min_unit }} maximum-threshold {{ ecn_max | to_int }} {{ ecn_max_unit }} max-mark-probability {{ ecn_probability | to_int }}
   </group>
</group>
"""

# The first words of the blocks DEVICE reads; no rule reads any other block.
READ = ("hostname ", "interface ", "ip prefix-list ", "route-map ", "router bgp ", "qos map dscp ",
        "priority-flow-control pause watchdog ", "platform trident mmu ")
# Patterns start with a newline (a literal the regex engine searches fast) and match one line.
_BLOCK = re.compile(r"\n(?=\S)")  # a line at column 0 starts a block
_HEADER = re.compile(r"\ninterface [^\n]*")
_NAMING = re.compile(r"\n   (?:description|ip address) [^\n]*")  # an interface's own lines
_NAMED = re.compile(r"\n(?:interface |   (?:description|ip address) )[^\n]*")  # headers and naming lines
_NEIGHBOR_NOTE = re.compile(r"\n   neighbor \S+ description [^\n]*")  # no rule reads these

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


Qos = tuple[dict[int, int] | None, frozenset[int], bool | None, dict[int, Headroom], frozenset[int], dict[int, Ecn]]


def _qos(facts: DeviceFacts, parsed: dict[str, Any], body_of: dict[str, str]) -> None:
    """Per-port QoS: the global DSCP map on ports that trust DSCP, PFC, the global watchdog on PFC
    ports, tx-queues (strict, ECN), and the applied MMU profile's headroom on each no-drop priority.

    ``body_of`` names each interface's body; ports with one body share one (read-only) set of values."""
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
    done: dict[str, Qos] = {}
    for name, iface in facts.interfaces.items():
        body = body_of[name]
        qos = done.get(body)
        if qos is None:
            qos = done[body] = _port_qos(raws[name], dscp_map, watchdog, profile)
        iface.dscp_to_tc, iface.pfc, iface.watchdog, iface.headroom, iface.strict, iface.ecn = qos


def _port_qos(raw: dict[str, Any], dscp_map: dict[int, int], watchdog: bool,
              profile: dict[str, Any] | None) -> Qos:
    """One interface body's QoS values, in the order of :data:`Qos`."""
    dscp_to_tc = dscp_map if raw.get("trust") == "dscp" else None
    pfc = frozenset(int(p) for p in str(raw.get("pfc_lines") or "").split()) if raw.get("pfc_mode") == "on" else frozenset()
    headroom: dict[int, Headroom] = {}
    if pfc and profile and "headroom" in profile:
        headroom = {p: Headroom(int(profile["headroom"]), xon=profile.get("resume")) for p in pfc}
    strict: frozenset[int] = frozenset()
    ecn: dict[int, Ecn] = {}
    for q in as_list(raw.get("tx_queues")):
        if q.get("strict"):
            strict |= {q["id"]}
        if "ecn_min" in q:
            ecn[q["id"]] = Ecn(q["ecn_min"] * _UNIT.get(q["ecn_min_unit"], 0),
                               q["ecn_max"] * _UNIT.get(q["ecn_max_unit"], 0), q.get("ecn_probability"))
    return dscp_to_tc, pfc, (watchdog if pfc else None), headroom, strict, ecn


def _split(text: str) -> tuple[str, list[str]]:
    """The text DEVICE reads, and each interface's body without its naming lines (in file order)."""
    blocks = _BLOCK.split(text.rstrip("\n"))  # blocks without their last newline
    device = [(_NEIGHBOR_NOTE.sub("", b) if b.startswith("router bgp ") else b) + "\n"
              for b in blocks if b.startswith(READ) and not b.startswith("interface ")]
    interfaces = "".join("\n" + b for b in blocks if b.startswith("interface "))
    device.append("".join(_NAMED.findall(interfaces))[1:] + "\n")
    return "".join(device), _HEADER.split(_NAMING.sub("", interfaces))[1:]


def _bodies(texts: set[str]) -> dict[str, dict[str, Any]]:
    """PORT's result for each distinct interface body (the name excluded)."""
    order = list(texts)
    parsed = run_ttp(PORT, ["".join(f"interface {i}{body}\n" for i, body in enumerate(order))])[0]
    by_index = {r["name"]: r for r in as_list(parsed.get("interfaces"))}
    out = {}
    for i, body in enumerate(order):
        raw = dict(by_index.get(str(i), {}))
        raw.pop("name", None)
        out[body] = raw
    return out


def parse(items: list[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})``; the EOS text is the ``cfg`` file."""
    split = [_split(texts["cfg"]) for _, _, texts in items]
    parsed = run_ttp(DEVICE, [device for device, _ in split])
    bodies = _bodies({body for _, device_bodies in split for body in device_bodies}) if items else {}
    out = []
    for (dev, files, _), p, (_, device_bodies) in zip(items, parsed, split, strict=True):
        interfaces = as_list(p.get("interfaces"))
        if len(interfaces) != len(device_bodies):
            raise ParseError(f"{files[0]}: {len(device_bodies)} interface blocks, ttp read {len(interfaces)}")
        p["interfaces"] = [{**bodies[body], **raw} for raw, body in zip(interfaces, device_bodies, strict=True)]
        facts = device_facts(dev, "eos", files, p, speed, default_mtu, "peer group")
        _qos(facts, p, {raw["name"]: body for raw, body in zip(interfaces, device_bodies, strict=True)})
        out.append(facts)
    return out
