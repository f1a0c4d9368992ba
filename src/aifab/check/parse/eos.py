"""Parse EOS running-config text (``configs/<device>.cfg``) into DeviceFacts.

ttp reads every block a rule reads, with two templates: DEVICE (hostname, prefix lists, route
maps, BGP, the DSCP map, the watchdog, the MMU) and PORT (an interface's settings and QoS).
The lines that only name one port or one session are read by anchored regular expressions
instead: an interface's header, ``description`` and ``ip address``, and an address neighbor's
``peer group`` and ``remote-as``. They are most of the unique lines of a large build and ttp
spends ~6 µs on each matched line (docs/checks.md, Speed). What is left of an interface's body
is the same text on most ports, so PORT parses each distinct body once per batch. A line the
expressions do not take (an address in an unusual place, a secondary) stays in the body,
where PORT reads it as before.

A port that applies a ``qos profile`` (``service-profile NAME``, docs/sources.md#qos-defaults-eos)
holds the profile's settings as its own: in each distinct interface body the profile's lines are put
in place of that line, so PORT reads them as it reads settings written on the port; a port naming a
profile the file does not define keeps the line and has no QoS.

ttp matches indentation literally: EOS indents each level by three spaces (four under
``platform trident mmu queue profile``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from aifab.check.parse import hashing
from aifab.check.parse.facts import Access, DeviceFacts, Ecn, Headroom, Interface
from aifab.check.parse.text import Body, as_list, cidr, cut_and_parse, device_facts, parse_bodies, syntax
from aifab.platforms import EOS

DEVICE = """
<group name="system">
hostname {{ hostname }}
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
"""

# The first words of the blocks DEVICE reads (no rule reads any other block); EOS indents by three spaces.
# The values of one device alone in them (masked in the text ttp reads): hostname, ASN, router ID, the
# aggregates and networks BGP originates, each prefix-list entry's prefix.
SYNTAX = syntax("   ", "peer group", ("hostname ", "ip prefix-list ", "route-map ", "router bgp ", "qos map dscp ",
                                      "priority-flow-control pause watchdog ", "platform trident mmu "),
                own={"hostname ": ("hostname ",), "ip prefix-list ": (r"   seq \d+ permit ",),
                     "router bgp ": ("router bgp ", "   router-id ", "   aggregate-address ", "   network ")})

_PROFILE = re.compile(r"\nqos profile (\S+)((?:\n   [^\n]*+)*+)")  # a literal start: searched at C speed
_APPLIED = re.compile(r"\n   service-profile (\S+)(?![^\n])")
Profiles = tuple[tuple[str, str], ...]  # (name, its lines) of each ``qos profile`` block of one file


def qos_profiles(text: str) -> Profiles:
    """The ``qos profile`` blocks of an EOS text: each name with its lines (each line after a newline)."""
    return tuple(_PROFILE.findall("\n" + text if text.startswith("qos profile ") else text))


def with_profiles(body: Body, profiles: Profiles) -> Body:
    """An interface body with each ``service-profile NAME`` line replaced by the lines of ``qos profile
    NAME`` (EOS applies them to the port); a profile the file does not define is left as it is."""
    if not profiles or not any("\n   service-profile " in part for part in body):
        return body
    lines = dict(profiles)
    pre, post = (_APPLIED.sub(lambda m: lines.get(m[1], m[0]), part) for part in body)
    return pre, post


_SPEED = re.compile(r"(?:forced )?(\d+)(g|full)")
_UNIT = {"bytes": 1, "kbytes": 1000, "mbytes": 1000 * 1000}  # EOS writes decimal units


def speed(setting: str) -> int | None:
    """EOS speed keyword -> Gb/s: ``400g-8`` -> 400, ``forced 25gfull`` -> 25, ``forced 10000full`` -> 10."""
    m = _SPEED.match(setting)
    if not m:
        return None
    value = int(m.group(1))
    return value // 1000 if m.group(2) == "full" else value


_LANES = re.compile(r"\d+g-(\d+)$")


@cache
def lanes(interface: str, setting: str | None) -> range | None:
    """Lanes of a multi-lane port's interface, within its port: ``Ethernet1/5`` at ``400g-4`` -> 4..7
    (EOS names a port's interfaces by their first lane, docs/sources.md#breakouts); None where the
    name or the speed does not say. Cached: the same few hundred names and speeds on every switch."""
    _, slash, sublane = interface.rpartition("/")
    m = _LANES.search(setting or "") if slash and sublane.isdigit() else None
    return range(int(sublane) - 1, int(sublane) - 1 + int(m.group(1))) if m else None


def default_mtu(interface: str) -> int | None:
    """EOS routed Ethernet ports default to MTU 1500 when no ``mtu`` line is present."""
    return 1500 if interface.startswith("Ethernet") else None


# A port's QoS in Interface's field order: DSCP map, PFC priorities, watchdog, strict queues, ECN, headroom.
Qos = tuple[dict[int, int] | None, frozenset[int], bool | None, frozenset[int], dict[int, Ecn], dict[int, Headroom]]


class _Globals:
    """What EOS applies to ports from outside their block: the DSCP map (to ports trusting DSCP),
    the PFC watchdog (to PFC ports) and the applied MMU profile (headroom of no-drop priorities)."""

    def __init__(self, parsed: dict[str, Any]) -> None:
        self.dscp_map: dict[int, int] = {}
        for raw in as_list(parsed.get("dscp_maps")):
            for dscp in str(raw["dscps"]).split():
                self.dscp_map[int(dscp)] = int(raw["tc"])
        self.watchdog = bool(parsed.get("watchdog"))
        applied = (parsed.get("mmu_applied") or {}).get("name")
        self.profile = next((p for p in as_list(parsed.get("mmu_profiles")) if p.get("name") == applied), None)
        self.pool = int(parsed["mmu_pool"]["limit"]) if parsed.get("mmu_pool") else None


_GLOBAL_KEYS = ("dscp_maps", "watchdog", "mmu_applied", "mmu_profiles", "mmu_pool")  # what _Globals reads
_GLOBALS: dict[tuple[int, ...], tuple[tuple[Any, ...], _Globals]] = {}  # ids of those values -> the values, their globals
_PORTS: dict[_Globals, dict[Body, tuple[Any, ...]]] = {}  # globals -> body -> _port of the body under them
CACHE_LIMIT = 4096  # entries kept before the caches start again


def _globals(parsed: dict[str, Any]) -> _Globals:
    """The :class:`_Globals` of a parsed device: one object for every device whose values it reads
    are the same objects (ttp's results for the chunks its peers share: a few per build), kept alive
    with the entry so that their ids stay theirs. Its ports' values (:data:`_PORTS`) go with it."""
    values = tuple(parsed.get(k) for k in _GLOBAL_KEYS)
    ids = tuple(map(id, values))
    hit = _GLOBALS.get(ids)
    if hit is None:
        if len(_GLOBALS) >= CACHE_LIMIT:
            _GLOBALS.clear()
            _PORTS.clear()
        hit = _GLOBALS[ids] = (values, _Globals(parsed))
    return hit[1]


def _port_qos(raw: dict[str, Any], g: _Globals) -> Qos:
    """One interface body's QoS values, in the order of :data:`Qos`."""
    dscp_to_tc = g.dscp_map if raw.get("trust") == "dscp" else None
    pfc = frozenset(int(p) for p in str(raw.get("pfc_lines") or "").split()) if raw.get("pfc_mode") == "on" else frozenset()
    headroom: dict[int, Headroom] = {}
    profile = g.profile
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
    return dscp_to_tc, pfc, (g.watchdog if pfc else None), strict, ecn, headroom


def _port(raw: dict[str, Any], g: _Globals) -> tuple[Any, ...]:
    """An interface body's values, shared by every port with that body: mtu, speed, shutdown,
    description and address (when the body holds them), :data:`Qos`, then the speed setting, the
    address line's value and the priorities the watchdog guards."""
    qos = _port_qos(raw, g)
    return (raw.get("mtu"), speed(raw["speed"]) if raw.get("speed") else None, bool(raw.get("shutdown")),
            raw.get("description"), cidr(raw.get("address")), *qos, raw.get("speed"), raw.get("address"),
            qos[1] if g.watchdog else frozenset())


_USER = re.compile(r"^username (\S+) (?:privilege \d+ )?(?:role \S+ )?(secret|ssh-key) ", re.MULTILINE)
_LOGIN = re.compile(r"^aaa authentication login default ([^\n]*)", re.MULTILINE)


def access(text: str, management: str, vrf: str = EOS.management_vrf) -> Access:
    """Who can log in and over what: local users with a secret or SSH key, the login method list,
    the AAA servers in the management VRF, and ``management ssh``'s management VRF block. Users and AAA
    come before the first interface, ``management ssh`` is the last block: only those parts are read."""
    cut = text.find("\ninterface ")
    head = text if cut < 0 else text[:cut]
    login = _LOGIN.search(head)
    methods = login.group(1).split() if login else ["local"]  # EOS's default: the local users
    groups = {m for m in methods if m in ("tacacs+", "radius")}
    servers = sum(len(re.findall(rf"^{g}-server host \S+ vrf {re.escape(vrf)} ", head, re.MULTILINE))
                  for g in ("tacacs", "radius") if f"{g}+" in groups or g in groups)
    start = text.rfind("\nmanagement ssh\n")
    end = text.find("\n!", start + 1)
    ssh_block = text[start:end if end > 0 else None] if start >= 0 else ""
    ssh = f"\n   vrf {vrf}\n      no shutdown" in ssh_block and "\n   shutdown" not in ssh_block
    return Access(management, vrf, sorted({user for user, _ in _USER.findall(head)}),
                  methods[-1:] == ["local"], servers, ssh)


def parse(items: Iterable[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})``; the EOS text is the ``cfg`` file."""
    heads: list[tuple[str, tuple[str, ...]]] = []
    ways: list[Access] = []

    def configs() -> Iterator[str]:  # each file's text is dropped once cut
        for dev, files, texts in items:
            heads.append((dev, files))
            text = texts["cfg"]
            name = next((m for m in (EOS.management, EOS.container_management_name) if f"\ninterface {m}\n" in text),
                        EOS.management)
            ways.append(access(text, name))
            yield text

    read, bodies = cut_and_parse(configs(), SYNTAX, DEVICE, PORT)
    applied = [qos_profiles(c.rest) for c, _ in read]  # the blocks outside the interfaces: scanned there
    expanded = {(body, profiles): with_profiles(body, profiles) for (c, _), profiles in zip(read, applied, strict=True)
                for body in set(c.bodies)}  # each distinct body with each distinct set of profiles: a few
    bodies.update(parse_bodies(PORT, set(expanded.values()) - bodies.keys()))
    out = []
    for (dev, files), (c, p), profiles in zip(heads, read, applied, strict=True):
        g = _globals(p)
        ports = _PORTS.setdefault(g, {})
        if len(ports) >= CACHE_LIMIT:  # a long-lived process parsing many builds
            ports.clear()
        ifaces = {}
        mine: dict[Body, tuple[Any, ...]] = {}  # this switch's bodies as cut -> their values (a few)
        for name, description, address, body in zip(c.names, c.descriptions, c.addresses, c.bodies, strict=True):
            v = mine.get(body)
            if v is None:
                full = expanded[body, profiles]
                v = ports.get(full)
                if v is None:
                    v = ports[full] = _port(bodies[full], g)
                mine[body] = v
            address = address or v[4]
            ifaces[name] = Interface(name, address, v[0] if v[0] is not None else default_mtu(name), description or v[3],
                                     v[1], v[2], v[5], v[6], v[7], v[8], v[9], v[10], None if address else v[12],
                                     lanes(name, v[11]) if "/" in name else None, None, v[13])
        facts = device_facts(dev, "eos", files, p, ifaces, "peer group", c.remote, c.member)
        facts.headroom_pool = g.pool
        facts.access = ways[len(out)]
        facts.ecmp_hash = hashing.eos(c.rest)
        facts.loop_knobs = c.knobs
        out.append(facts)
    return out
