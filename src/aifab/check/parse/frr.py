"""Parse the frr platform's files with ttp: frr.conf (interfaces, BGP), links.sh (MTU, speed) and
qos.sh (iproute2 ``dcb``/``tc``: DSCP map, PFC, ETS, buffers, RED/ECN). SONiC's frr.conf too.

As on EOS (``parse/eos.py``), the frr.conf lines that only name a port or a session are read by
the expressions of ``SYNTAX`` and ttp reads the rest, each distinct interface body once. In
links.sh and qos.sh every command names its port; a port's commands with the name masked are
the same on most ports, so SHELL parses each distinct set once (``_shell``).

FRR indents by one space per level (two inside ``address-family``); ttp matches indentation
literally. Linux has no PFC watchdog command, so frr ports state none (``watchdog`` None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from aifab.check.parse import hashing
from aifab.check.parse.facts import DeviceFacts, Ecn, Headroom, Interface
from aifab.check.parse.text import ParseError, as_list, cidr, cut_and_parse, device_facts, run_ttp, syntax

FRR_CONF = """
<group name="system">
hostname {{ hostname }}
</group>

<group name="interfaces*">
interface {{ name }}
 description {{ description | re(".+") }}
 shutdown {{ shutdown | set(True) }}
 ip address {{ address }}
</group>

<group name="prefix_lists*">
ip prefix-list {{ name }} seq {{ entries | re(".+") | joinmatches }}
</group>

<group name="route_maps*">
route-map {{ name }} {{ action }} {{ seq | to_int }}
 match ip address prefix-list {{ prefix_list }}
</group>

<group name="bgp">
router bgp {{ asn | to_int }}
 bgp router-id {{ router_id }}
 neighbor {{ neighbor_lines | re(".+") | joinmatches }}
  maximum-paths {{ maximum_paths | to_int }}
  network {{ network_lines | re(".+") | joinmatches }}
  aggregate-address {{ aggregate_lines | re(".+") | joinmatches }}
  redistribute {{ redistribute_lines | re(".+") | joinmatches }}
</group>
"""

# FRR indents by one space; ttp reads the hostname, prefix lists, route maps and BGP (the values of
# one device alone in them masked: hostname, ASN, router ID, aggregates, networks, prefix-list prefixes).
SYNTAX = syntax(" ", "peer-group", ("hostname ", "ip prefix-list ", "route-map ", "router bgp "),
                own={"hostname ": ("hostname ",), "ip prefix-list ": (r"ip prefix-list \S+ seq \d+ permit ",),
                     "router bgp ": ("router bgp ", " bgp router-id ", "  aggregate-address ", "  network ")})

SHELL = """
<group name="mtu*">
ip link set dev {{ name }} mtu {{ mtu | to_int }}
</group>

<group name="speed*">
ethtool -s {{ name }} speed {{ mbps | to_int }} {{ rest | re(".*") }}
</group>

<group name="dscp_prio*">
dcb app replace dev {{ name }} dscp-prio {{ map | re(".+") }}
</group>

<group name="ets*">
dcb ets set dev {{ name }} prio-tc {{ prio_tc | re(".+?") }} tc-tsa {{ tsa | re(".+?") }} tc-bw {{ bw | re(".+") }}
</group>

<group name="pfc*">
dcb pfc set dev {{ name }} prio-pfc {{ map | re(".+") }}
</group>

<group name="buffer*">
dcb buffer set dev {{ name }} prio-buffer {{ prio_buffer | re(".+?") }} buffer-size {{ sizes | re(".+") }}
</group>

<group name="qdisc*">
tc qdisc replace dev {{ name }} root handle 1: ets {{ ets | re(".+") }}
</group>

<group name="red*">
tc qdisc replace dev {{ name }} parent 1:{{ band | to_int }} handle {{ handle }} red {{ red | re(".+") }}
</group>
"""


# A links.sh/qos.sh command that names a port (iproute2 ``dev NAME``, ``ethtool -s NAME``): before, name, after.
_PORT_LINE = re.compile(r"^(?!#)([^\n]*?(?: dev |ethtool -s ))(\S++)([^\n]*+)", re.M)
_STAND_IN = "aifabport"  # the name SHELL sees for the ports of one distinct set of lines (suffixed by its index)


def _pairs(text: str) -> tuple[str | None, dict[int, str]]:
    """``all:off 3:on`` -> (``off``, {3: ``on``}): dcb's ``key:value`` lists with an optional ``all``."""
    default, out = None, {}
    for word in text.split():
        key, _, value = word.partition(":")
        if key == "all":
            default = value
        elif key.isdigit():
            out[int(key)] = value
    return default, out


def _words(text: str) -> dict[str, list[str]]:
    """``bands 3 strict 1 priomap 1 1 2`` -> {bands: [3], strict: [1], priomap: [1, 1, 2]} (keywords are alphabetic)."""
    out: dict[str, list[str]] = {}
    key = ""
    for word in text.split():
        if word.isalpha():
            key = word
            out[key] = []
        else:
            out.setdefault(key, []).append(word)
    return out


def _by_port(facts: DeviceFacts, parsed: dict[str, Any], group: str) -> list[tuple[Interface, dict[str, Any]]]:
    out = []
    for raw in as_list(parsed.get(group)):
        iface = facts.interfaces.get(raw["name"])
        if iface is None:
            iface = facts.interfaces[raw["name"]] = Interface(raw["name"])
        out.append((iface, raw))
    return out


def _count(value: Any) -> int:
    """A whole number ttp converted (it leaves a value it cannot convert as text); ValueError otherwise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value


def _links_and_qos(facts: DeviceFacts, parsed: dict[str, Any]) -> None:
    """MTU and speed (links.sh); DSCP map, PFC, strict classes, headroom and ECN (qos.sh)."""
    for iface, raw in _by_port(facts, parsed, "mtu"):
        iface.mtu = _count(raw["mtu"])
    for iface, raw in _by_port(facts, parsed, "speed"):
        iface.speed = raw["mbps"] // 1000
    prio_tc: dict[str, dict[int, int]] = {}
    for iface, raw in _by_port(facts, parsed, "ets"):
        prio_tc[iface.name] = {p: int(t) for p, t in _pairs(raw["prio_tc"])[1].items()}
        default, tsa = _pairs(raw["tsa"])
        iface.strict = frozenset(tc for tc, kind in tsa.items() if kind == "strict") if default != "strict" else frozenset(range(8))
    for iface, raw in _by_port(facts, parsed, "dscp_prio"):
        to_tc = prio_tc.get(iface.name, {})
        iface.dscp_to_tc = {dscp: to_tc.get(int(prio), int(prio)) for dscp, prio in _pairs(raw["map"])[1].items()}
    for iface, raw in _by_port(facts, parsed, "pfc"):
        default, pfc = _pairs(raw["map"])
        iface.pfc = frozenset(range(8)) - {p for p, v in pfc.items() if v == "off"} if default == "on" else \
            frozenset(p for p, v in pfc.items() if v == "on")
    for iface, raw in _by_port(facts, parsed, "buffer"):
        iface.headroom = {pg: Headroom(int(size)) for pg, size in _pairs(raw["sizes"])[1].items()}
    priomap: dict[str, list[int]] = {}
    for iface, raw in _by_port(facts, parsed, "qdisc"):
        priomap[iface.name] = [int(b) for b in _words(raw["ets"]).get("priomap", [])]
    for iface, raw in _by_port(facts, parsed, "red"):
        red = _words(raw["red"])
        if "ecn" not in red:
            continue
        to_tc = prio_tc.get(iface.name, {})
        band = raw["band"] - 1  # ``parent 1:N`` is band N-1 of the ets qdisc's priomap
        ecn = Ecn(int(red["min"][0]), int(red["max"][0]), round(float(red.get("probability", ["0"])[0]) * 100))
        for prio, b in enumerate(priomap.get(iface.name, [])):
            if b == band:
                iface.ecn[to_tc.get(prio, prio)] = ecn


def parse_texts(items: Iterable[tuple[str, str, tuple[str, ...], str]]) -> list[DeviceFacts]:
    """Facts from frr.conf text alone, for each ``(device, platform, file names, frr.conf text)``."""
    heads: list[tuple[str, str, tuple[str, ...]]] = []

    def confs() -> Iterator[str]:
        for dev, platform, files, text in items:
            heads.append((dev, platform, files))
            yield text

    read, bodies = cut_and_parse(confs(), SYNTAX, FRR_CONF, FRR_CONF)
    out = []
    for (dev, platform, files), (c, p) in zip(heads, read, strict=True):
        ifaces = {}
        for name, description, address, body in zip(c.names, c.descriptions, c.addresses, c.bodies, strict=True):
            raw = bodies[body]
            ifaces[name] = Interface(name, address or cidr(raw.get("address")), description=description or raw.get("description"),
                                     shutdown=bool(raw.get("shutdown")))
            if ifaces[name].address is None:
                ifaces[name].bad_address = raw.get("address")
        out.append(device_facts(dev, platform, files, p, ifaces, "peer-group", c.remote, c.member))
        out[-1].loop_knobs = c.knobs
    return out


# What links.sh and qos.sh set on a port, copied from the port parsed for its lines.
_SET = ("mtu", "speed", "strict", "dscp_to_tc", "pfc", "headroom", "ecn")


def _shell(facts: list[DeviceFacts], texts: list[str]) -> None:
    """MTU, speed and QoS from each device's links.sh + qos.sh text. Every line names its port, and
    most ports' lines differ only in that name, so SHELL parses each distinct set of lines (the name
    masked) once, for a stand-in port, and each port takes the stand-in's values."""
    keys: dict[tuple[tuple[str, str], ...], int] = {}
    ports: list[dict[str, int]] = []  # per device: port -> its key's index
    for text in texts:
        lines: dict[str, list[tuple[str, str]]] = {}
        for before, name, after in _PORT_LINE.findall(text):
            lines.setdefault(name, []).append((before, after))
        ports.append({name: keys.setdefault(tuple(key), len(keys)) for name, key in lines.items()})
    scratch = DeviceFacts("", "frr", ())
    text = "".join(f"{before}{_STAND_IN}{k}{after}\n" for key, k in keys.items() for before, after in key)
    try:
        _links_and_qos(scratch, run_ttp(SHELL, [text])[0] if keys else {})
    except (ValueError, TypeError, KeyError, IndexError) as exc:  # a value no command of the script takes
        raise ParseError(f"links.sh/qos.sh: a value its command does not take ({exc})") from None
    stand_ins = {int(name[len(_STAND_IN):]): iface for name, iface in scratch.interfaces.items()}
    for f, device_ports in zip(facts, ports, strict=True):
        for name, k in device_ports.items():
            values = stand_ins.get(k)
            if values is None:
                continue  # no line SHELL reads
            iface = f.interfaces.get(name)
            if iface is None:
                iface = f.interfaces[name] = Interface(name)
            for attr in _SET:
                setattr(iface, attr, getattr(values, attr))


def parse(devices: Iterable[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})`` of the frr platform."""
    shell: list[str] = []
    hashes: list[frozenset[str]] = []

    def conf() -> Iterator[tuple[str, str, tuple[str, ...], str]]:
        for dev, files, texts in devices:
            shell.append(texts.get("links.sh", "") + "\n" + texts.get("qos.sh", ""))  # a file may not end its last line
            hashes.append(hashing.linux(texts.get("links.sh", "")))
            yield dev, "frr", files, texts["frr.conf"]

    out = parse_texts(conf())
    _shell(out, shell)
    for facts, ecmp_hash in zip(out, hashes, strict=True):
        facts.ecmp_hash = ecmp_hash
    return out
