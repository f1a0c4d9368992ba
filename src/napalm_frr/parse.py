"""FRR output (vtysh JSON, frr-reload.py, show version) turned into NAPALM's structures."""

from __future__ import annotations

import re
from typing import Any

_AFI = {"ipv4Unicast": "ipv4", "ipv6Unicast": "ipv6"}
_SECTIONS = ("Lines To Delete", "Lines To Add")


def reload_diff(stdout: str) -> str:
    """The two sections of ``frr-reload.py --test`` (commands it would run), "" when there is nothing to do.

    "Lines To Delete" lists the commands that remove running lines (``no ...``), "Lines To Add"
    the commands that add candidate lines, each under its context.
    """
    sections: dict[str, list[str]] = {}
    current = None
    for line in stdout.splitlines():
        if line in _SECTIONS:
            current = line
            sections[current] = []
        elif current and line.strip() and set(line) != {"="}:
            sections[current].append(line)
    out = []
    for title in _SECTIONS:
        if sections.get(title):
            out += [title, "=" * len(title), *sections[title], ""]
    return "\n".join(out)


def interface_addresses(config: str) -> set[tuple[str, str]]:
    """Every ``(interface, address/prefixlen)`` a frr.conf configures (``interface NAME`` sections'
    ``ip address`` and ``ipv6 address`` lines)."""
    out, current = set(), None
    for line in config.splitlines():
        words = line.split()
        if not words or words[0] == "!":
            continue
        if not line[0].isspace():
            current = words[1] if words[0] == "interface" and len(words) > 1 else None
        elif current and len(words) >= 3 and words[0] in ("ip", "ipv6") and words[1] == "address":
            out.add((current, words[2]))
    return out


def os_version(show_version: str) -> str:
    """``8.4.4`` from ``FRRouting 8.4.4 (host) on Linux(...)``."""
    m = re.search(r"FRRouting (\S+)", show_version)
    return m.group(1) if m else ""


def duration_s(text: str) -> int:
    """Seconds of an FRR uptime: ``00:01:02``, ``1d02h03m``, ``2w3d04h``."""
    if ":" in text:
        h, m, s = (int(x) for x in text.split(":"))
        return h * 3600 + m * 60 + s
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([wdhms])", text))


def interfaces(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``show interface json`` -> NAPALM get_interfaces (speed in Mb/s; last_flapped unknown: -1.0)."""
    return {
        name: {
            "is_up": i.get("operationalStatus") == "up",
            "is_enabled": i.get("administrativeStatus") == "up",
            "description": i.get("description", ""),
            "last_flapped": -1.0,
            "mtu": int(i.get("mtu", 0)),
            "speed": float(max(int(i.get("speed", 0)), 0)),
            "mac_address": i.get("hardwareAddress", ""),
        }
        for name, i in data.items()
    }


def interfaces_ip(data: dict[str, Any]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """``show interface json`` -> NAPALM get_interfaces_ip (interfaces without addresses left out)."""
    out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for name, i in data.items():
        for entry in i.get("ipAddresses", []):
            addr, _, plen = entry["address"].partition("/")
            family = "ipv6" if ":" in addr else "ipv4"
            out.setdefault(name, {}).setdefault(family, {})[addr] = {"prefix_length": int(plen)}
    return out


def bgp_neighbors(summary: dict[str, Any], neighbors: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``show bgp vrf all summary json`` + ``show bgp vrf all neighbors json`` -> NAPALM get_bgp_neighbors."""
    out = {}
    for vrf, by_afi in summary.items():
        router_id = next((afi.get("routerId", "") for afi in by_afi.values() if isinstance(afi, dict)), "")
        peers = {}
        for addr, n in neighbors.get(vrf, {}).items():
            if not isinstance(n, dict):  # vrfId, vrfName
                continue
            up = n.get("bgpState") == "Established"
            peers[addr] = {
                "local_as": int(n.get("localAs", 0)),
                "remote_as": int(n.get("remoteAs", 0)),
                "remote_id": n.get("remoteRouterId", ""),
                "is_up": up,
                "is_enabled": not n.get("adminShutDown", False),
                "description": n.get("nbrDesc", ""),
                "uptime": int(n["bgpTimerUpMsec"]) // 1000 if "bgpTimerUpMsec" in n else -1,
                "address_family": {
                    _AFI[afi]: {
                        "received_prefixes": int(info.get("acceptedPrefixCounter", 0)),
                        "accepted_prefixes": int(info.get("acceptedPrefixCounter", 0)),
                        "sent_prefixes": int(info.get("sentPrefixCounter", 0)),
                    }
                    for afi, info in n.get("addressFamilyInfo", {}).items() if afi in _AFI
                },
            }
        out["global" if vrf == "default" else vrf] = {"router_id": router_id, "peers": peers}
    return out


def bgp_neighbors_detail(neighbors: dict[str, Any]) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """``show bgp vrf all neighbors json`` -> NAPALM get_bgp_neighbors_detail (the fields FRR gives):
    negotiated and configured hold time and keepalive (seconds), prefixes received/accepted/sent."""
    out: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for vrf, peers in neighbors.items():
        by_as: dict[int, list[dict[str, Any]]] = {}
        for addr, n in peers.items():
            if not isinstance(n, dict):
                continue
            afis = [info for afi, info in n.get("addressFamilyInfo", {}).items() if afi in _AFI]
            received = sum(int(i.get("acceptedPrefixCounter", 0)) for i in afis)
            by_as.setdefault(int(n.get("remoteAs", 0)), []).append({
                "up": n.get("bgpState") == "Established",
                "local_as": int(n.get("localAs", 0)),
                "remote_as": int(n.get("remoteAs", 0)),
                "router_id": n.get("remoteRouterId", ""),
                "remote_address": addr,
                "local_address": n.get("hostLocal", ""),
                "connection_state": n.get("bgpState", ""),
                "holdtime": int(n.get("bgpTimerHoldTimeMsecs", 0)) // 1000,
                "configured_holdtime": int(n.get("bgpTimerConfiguredHoldTimeMsecs", 0)) // 1000,
                "keepalive": int(n.get("bgpTimerKeepAliveIntervalMsecs", 0)) // 1000,
                "configured_keepalive": int(n.get("bgpTimerConfiguredKeepAliveIntervalMsecs", 0)) // 1000,
                "received_prefix_count": received,
                "accepted_prefix_count": received,
                "advertised_prefix_count": sum(int(i.get("sentPrefixCounter", 0)) for i in afis),
            })
        out["global" if vrf == "default" else vrf] = by_as
    return out


def bfd_peers(data: Any) -> dict[str, str]:
    """``show bfd peers json`` -> peer address -> status ("up", "down", "init", ...)."""
    return {p["peer"]: str(p.get("status", "")) for p in data if isinstance(p, dict) and "peer" in p} \
        if isinstance(data, list) else {}


def routes(data: dict[str, Any], protocol: str = "") -> dict[str, list[dict[str, Any]]]:
    """``show ip route ... json`` -> NAPALM get_route_to: one entry per next hop of each route.

    ``current_active`` is true for a next hop of the selected route that is installed in the FIB.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for prefix, entries in data.items():
        for r in entries:
            if protocol and r.get("protocol", "").lower() != protocol.lower():
                continue
            for nh in r.get("nexthops", []):
                active = bool(r.get("selected")) and bool(nh.get("active")) and bool(nh.get("fib"))
                out.setdefault(prefix, []).append({
                    "protocol": r.get("protocol", ""),
                    "current_active": active,
                    "last_active": False,
                    "age": duration_s(r.get("uptime", "0:0:0")),
                    "next_hop": nh.get("ip", ""),
                    "outgoing_interface": nh.get("interfaceName", ""),
                    "selected_next_hop": bool(nh.get("fib")),
                    "preference": int(r.get("distance", 0)),
                    "inactive_reason": "" if active else "not selected or not installed",
                    "routing_table": r.get("vrfName", "default"),
                    "protocol_attributes": {},
                })
    return out


# NAPALM get_interfaces_counters keys and the Linux statistics file (/sys/class/net/<if>/statistics/) of each.
_SYSFS = {"tx_errors": "tx_errors", "rx_errors": "rx_errors", "tx_discards": "tx_dropped", "rx_discards": "rx_dropped",
          "tx_octets": "tx_bytes", "rx_octets": "rx_bytes", "tx_unicast_packets": "tx_packets",
          "rx_unicast_packets": "rx_packets", "rx_multicast_packets": "multicast"}
_UNKNOWN = ("tx_multicast_packets", "tx_broadcast_packets", "rx_broadcast_packets")


def sysfs_speeds(text: str) -> dict[str, int]:
    """``grep -H . /sys/class/net/*/speed`` (``/sys/class/net/swp1/speed:400000`` lines) -> Mb/s per
    interface; the kernel writes -1 (or nothing: the read fails) for a port whose speed it does not know."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^/sys/class/net/([^/]+)/speed:(-?\d+)$", line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def sysfs_counters(text: str) -> dict[str, dict[str, int]]:
    """``grep -r . /sys/class/net/*/statistics/`` (``/sys/class/net/swp1/statistics/rx_dropped:0``
    lines) -> NAPALM get_interfaces_counters. Linux counts unicast and multicast together in
    ``*_packets`` and keeps no broadcast or transmitted-multicast count: those are -1, as NAPALM
    writes a counter the device does not have."""
    stats: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        m = re.match(r"^/sys/class/net/([^/]+)/statistics/(\w+):(\d+)$", line.strip())
        if m:
            stats.setdefault(m.group(1), {})[m.group(2)] = int(m.group(3))
    return {name: {**{k: s.get(f, -1) for k, f in _SYSFS.items()}, **dict.fromkeys(_UNKNOWN, -1)}
            for name, s in stats.items()}


def ecn_marked(qdiscs: Any) -> dict[str, int]:
    """``tc -s -j qdisc show`` -> packets marked CE per interface, summed over its RED qdiscs (the
    ones qos.sh puts with ``ecn`` on the lossless band); an interface without one is absent."""
    out: dict[str, int] = {}
    for q in qdiscs if isinstance(qdiscs, list) else []:
        if q.get("kind") == "red" and "marked" in q:
            out[q["dev"]] = out.get(q["dev"], 0) + int(q["marked"])
    return out
