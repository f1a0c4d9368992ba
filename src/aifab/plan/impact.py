"""What a change does to traffic: one table of change kinds, their impact class per platform and
the public source that says so (docs/impact.md; the sources under docs/sources.md#impact-qos,
#impact-bgp, #impact-ports, #impact-buffers, #impact-upgrade and #impact-topology).

Impact classes, from the mildest: *hitless* (no packet lost), *port-flap* (the changed ports
bounce), *session-reset* (BGP sessions restart), *reload* (the switch restarts its data plane),
*re-cabling* (the topology changes: never an in-place rollout). A kind the table does not know takes
``reload``, the most cautious class an in-place rollout has, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

Impact = Literal["hitless", "port-flap", "session-reset", "reload", "re-cabling"]
IMPACTS: tuple[Impact, ...] = ("hitless", "port-flap", "session-reset", "reload", "re-cabling")
UNKNOWN: Impact = "reload"


@dataclass(frozen=True, slots=True)
class Row:
    """One change kind: its impact on every platform (``platforms`` overrides), and why."""

    kind: str
    what: str
    impact: Impact
    source: str  # anchor in docs/sources.md
    platforms: dict[str, Impact] = field(default_factory=dict)

    def on(self, platform: str) -> Impact:
        return self.platforms.get(platform, self.impact)


TABLE: tuple[Row, ...] = (
    Row("description", "descriptions, aliases, comments", "hitless", "impact-ports"),
    Row("ecn", "ECN/WRED thresholds and marking probability", "hitless", "impact-qos"),
    Row("pfc-watchdog", "PFC watchdog detection, restoration, polling, action", "hitless", "impact-qos"),
    Row("dscp-map", "the DSCP to traffic-class map (how arriving packets are classified)", "hitless", "impact-qos"),
    Row("qos-scheduling", "traffic-class maps, DWRR weights, strict queues", "hitless", "impact-qos",
        {"frr": "port-flap"}),  # tc qdisc replace resets the port's queues
    # Negotiated in OPEN: a new value is in effect on each session from its next establishment; the
    # commit itself resets nothing (docs/sources.md#impact-bgp). ``upgrade.bgp_timers: reset-now``
    # makes them session-reset: the deploy drains the device and resets its sessions (RESET_NOW).
    Row("bgp-timers", "BGP keepalive and hold time (negotiated in OPEN: in effect at each session's next reset; "
        "`upgrade.bgp_timers: reset-now`: session-reset)", "hitless", "impact-bgp"),
    Row("graceful-restart", "BGP graceful-restart time (a capability in OPEN: in effect at each session's next reset; "
        "`upgrade.bgp_timers: reset-now`: session-reset)", "hitless", "impact-bgp"),
    Row("neighbor-added", "a new BGP neighbour", "hitless", "impact-bgp"),
    Row("route-policy", "prefix lists, route maps, aggregates, redistribution", "hitless", "impact-bgp"),
    Row("max-paths", "ECMP width (maximum-paths)", "hitless", "impact-bgp", {"eos": "session-reset"}),
    Row("load-balancing", "ECMP hash fields, RoCE QP hashing, dynamic load balancing (flows move to other uplinks)",
        "hitless", "load-balancing"),
    Row("port-added", "a port cabled for the first time", "hitless", "impact-ports"),
    Row("management", "out-of-band management address", "hitless", "impact-ports"),
    Row("telemetry", "sFlow, gNMI server and queue-monitor settings (management plane only)", "hitless", "telemetry-sflow"),
    Row("access", "the way in: local users, AAA servers, NTP, syslog, SNMP, eAPI (management plane only)", "hitless",
        "management-access"),
    Row("policy", "the intent's upgrade policy (no device changes)", "hitless", "impact-upgrade"),
    Row("mtu", "interface MTU", "port-flap", "impact-ports"),
    Row("speed", "port speed", "port-flap", "impact-ports"),
    Row("fec", "forward error correction mode", "port-flap", "impact-ports"),
    Row("pfc-enable", "PFC no-drop priorities; the QoS profile a port applies (EOS `service-profile`)", "port-flap", "impact-ports"),
    Row("headroom", "per-port PFC headroom (cable length, xoff/xon)", "port-flap", "impact-buffers",
        {"eos": "reload"}),
    Row("bfd", "BFD on the sessions", "session-reset", "impact-bgp"),
    Row("asn", "the device's own ASN", "session-reset", "impact-bgp"),
    Row("peer-asn", "a neighbour's ASN", "session-reset", "impact-bgp"),
    Row("address", "interface addresses", "session-reset", "impact-bgp"),
    Row("router-id", "loopback and router ID", "session-reset", "impact-bgp"),
    Row("neighbor-removed", "a BGP neighbour removed", "session-reset", "impact-bgp"),
    Row("buffers", "buffer profiles, MMU profile, buffer model", "reload", "impact-buffers", {"frr": "port-flap"}),
    Row("buffer-pools", "shared pool sizes recomputed for more or fewer lossless ports", "hitless", "impact-buffers"),
    Row("software", "software version", "reload", "impact-upgrade"),
    Row("platform", "network operating system (eos, frr, sonic)", "reload", "impact-upgrade"),
    Row("hardware", "switch model", "re-cabling", "impact-topology"),
    Row("link-moved", "a cable whose far end changes", "re-cabling", "impact-topology"),
    Row("link-removed", "a cable taken away", "re-cabling", "impact-topology"),
    Row("device-removed", "a switch taken away", "re-cabling", "impact-topology"),
    Row("device-added", "a new switch (carries no traffic until its sessions come up)", "hitless", "impact-topology"),
)
ROWS: dict[str, Row] = {r.kind: r for r in TABLE}
# Kinds negotiated in BGP OPEN and their class when the intent wants them in effect at once
# (``upgrade.bgp_timers: reset-now``): the sessions are reset, under drain.
RESET_NOW: dict[str, Impact] = {"bgp-timers": "session-reset", "graceful-restart": "session-reset"}


def impact_of(kind: str, platform: str, bgp_timers: str = "next-reset") -> tuple[Impact, bool]:
    """The impact class of ``kind`` on ``platform`` and whether the table knows the kind (an unknown
    kind takes ``UNKNOWN``, the most cautious in-place class). ``bgp_timers`` is the intent's
    ``upgrade.bgp_timers``: with ``reset-now`` the kinds of ``RESET_NOW`` take their class there."""
    row = ROWS.get(kind)
    if row is None:
        return UNKNOWN, False
    if bgp_timers == "reset-now" and kind in RESET_NOW:
        return RESET_NOW[kind], True
    return row.on(platform), True


def worst(impacts: list[Impact] | tuple[Impact, ...] | set[Impact]) -> Impact:
    """The most disruptive of ``impacts`` (hitless when empty)."""
    return max(impacts, key=IMPACTS.index, default="hitless")


# The prefix of SONiC's names for the profile of a port's lossless priority group, one per speed, cable
# length (and MTU): its headroom (docs/sources.md#impact-buffers)
LOSSLESS_PG = "pg_lossless_"

# SONiC's CONFIG_DB tables of the way in (docs/sources.md#management-access): a patch's fields there
# are said with their table (``"NTP_SERVER|iburst"``), their names alone being common ones
ACCESS_TABLES = ("MGMT_VRF_CONFIG", "NTP", "NTP_SERVER", "SYSLOG_SERVER", "TACPLUS", "TACPLUS_SERVER", "RADIUS",
                 "RADIUS_SERVER", "AAA", "SNMP", "SNMP_COMMUNITY", "SNMP_USER", "SNMP_AGENT_ADDRESS_CONFIG")

# A changed line of a rendered file (EOS, frr.conf, links.sh/qos.sh, SONiC config_db.json) -> its kind.
# First match wins; the order puts the specific patterns before the general ones.
_LINE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((k, re.compile(p)) for k, p in (
    ("description", r'^(description\b|!|#|alias\b)|^"(description|alias)":|^neighbor \S+ description\b'),
    ("access", r"^(username|aaa|tacacs-server|radius-server|ntp|logging|snmp-server) |^ip (tacacs|radius) "
               r"|^management (api http-commands|ssh)$"
               rf'|^"({"|".join(ACCESS_TABLES)})[|"]'
               r'|^"(iburst|src_intf|passkey|auth_type|priority|tcp_port|failthrough|login|Location|Contact|TYPE'
               r'|SNMP_USER_\w+|mgmtVrfEnabled|vrf)":'),
    ("load-balancing", r'load-sharing|load-balance|^fields |^payload bytes|fib_multipath_hash|^"ecmp_hash\w*":|^"SWITCH_HASH[|"]'
                       r'|^"(SRC_IP|DST_IP|IP_PROTOCOL|L4_SRC_PORT|L4_DST_PORT|RDMA_BTH_\w+)"$'),
    ("pfc-watchdog", r'watchdog|^"(detection_time|restoration_time|action|POLL_INTERVAL)":|^"PFC_WD[|"]|^"pfcwd_\w+":'),
    ("telemetry", r'^sflow\b|^queue-monitor\b|^management api gnmi|^transport grpc\b|^"(collector_\w+|sample_rate|polling_interval'
                  r'|agent_id|admin_state|client_auth|log_level|port)":'),
    ("ecn", r'random-detect|^"(green|yellow|red)_\w+":|^"(wred_\w+|ecn)":| red limit .* ecn|^"WRED_PROFILE[|"]'),
    ("bgp-timers", r"^timers bgp\b"),
    ("graceful-restart", r"graceful-restart"),
    ("bfd", r"^neighbor \S+ bfd\b|^bfd\b"),
    ("max-paths", r"^maximum-paths\b"),
    ("router-id", r"router-id"),
    ("asn", r"^router bgp\b|^\"bgp_asn\":"),
    ("software", r"^version\b|^boot system\b|^frr version\b|\"sonic_version\""),
    ("route-policy", r"^(ip prefix-list|route-map|match |set |seq \d+|aggregate-address|redistribute|network )"),
    ("buffer-pools", r'^"BUFFER_POOL\|[^"|]+\|size":'),  # a CONFIG_DB patch of a pool's size (napalm_sonic)
    # a port's lossless priority-group profile or cable length, in a CONFIG_DB patch or config_db.json's
    # own lines ("Ethernet0": "5m" under CABLE_LENGTH|AZURE) (docs/sources.md#impact-buffers)
    ("headroom", rf'^"BUFFER_PROFILE\|{LOSSLESS_PG}|^"profile": "{LOSSLESS_PG}|^"CABLE_LENGTH\|Ethernet'
                 r'|^"Ethernet\d+": "\d+(\.\d+)?m"$'),
    ("buffers", r"platform trident mmu|^(ingress|egress) |^\"(size|xoff|xon|dynamic_th|pool|profile|profile_list|buffer_model|mode)\":"
                r'|^"type": "(ingress|egress)"'
                r"|^\"(BUFFER_\w+|CABLE_LENGTH)[|\"]"
                r"|dcb buffer"),
    ("pfc-enable", r"priority-flow-control|^service-profile\b|pfc_enable|pfc_to_queue|dcb pfc|^\"PORT_QOS_MAP[|\"]"),
    ("dscp-map", r"^qos map dscp |^\"dscp_to_tc_map\":|dcb app .* dscp-prio"),
    ("qos-scheduling", r"^qos |tx-queue|bandwidth percent|priority strict|^no priority|^\"(QUEUE|SCHEDULER)[|\"]|^\"(weight|scheduler|tc_to_\w+"
                       r')":|^"type": "(STRICT|DWRR|WRR)"|dcb ets|tc qdisc replace'),
    ("mtu", r"\bmtu\b"),
    ("speed", r'^speed\b|^"speed":|ethtool .* speed'),
    ("fec", r'error-correction|^"fec":'),
    # the out-of-band management port's gateway (EOS: a default route in the management VRF)
    ("management", r'^ip route vrf MGMT 0\.0\.0\.0/0 |^"gwaddr":|^"MGMT_(INTERFACE|PORT)[|"]'),
    ("address", r"address|^\"[\w-]+\|\d+\.\d+\.\d+\.\d+/\d+\": \{\}|^\"\w*INTERFACE\|[^\"]*/\d+\""),
))


@cache
def any_pattern(kinds: frozenset[str]) -> re.Pattern[str]:
    """One pattern that a changed line of any of ``kinds`` matches (a line may match it and still be
    of an earlier kind: :func:`line_kinds` decides)."""
    return re.compile("|".join(f"(?:{p.pattern})" for k, p in _LINE_KINDS if k in kinds) or "(?!)")


_STRUCTURE = re.compile(r'^[{}\[\],]*$|^"[^"]*": \{\}?,?$|^(interface|tx-queue|address-family|router|vrf|end$|exit)')
_NEIGHBOR = re.compile(r"^neighbor (\d+\.\d+\.\d+\.\d+|\S+:\S+) ")
# A port's description naming what it is cabled to (the Design's P2P_<peer>_<port>, SERVER_<host>_<nic>)
CABLED = re.compile(r'^(?:description |"description": ")((?:P2P|SERVER)_[^"]+)"?$')


def line_kinds(signed: list[tuple[str, str]]) -> dict[str, str]:
    """The change kinds of a diff's changed lines (``("+" or "-", line)``), each with the first line
    of that kind (``"mtu 9214"``; "" for the kinds read from several lines);
    a line no pattern knows is ``unknown``. Neighbour lines are judged by neighbour: only added
    (neighbor-added), only removed (neighbor-removed), both (peer-asn). A port description naming
    what the port is cabled to that goes and does not come back (on another line of the diff) is a
    cable that moves or goes (link-moved: re-cabling): the deploy reads it from the device's own
    diff, which has no Design."""
    return scoped_kinds([(sign, line, None) for sign, line in signed])[0]


def scoped_kinds(scoped: list[tuple[str, str, str | None]]) -> tuple[dict[str, str], dict[str, frozenset[str] | None]]:
    """:func:`line_kinds` of lines that each name their port (``(sign, line, port)``), and each kind's
    ports, as the change set gives them: None when one of its lines is outside any port's block (the
    whole switch), as are the kinds read from several lines; a definition ports use by reference
    (port "") names none itself."""
    kinds: dict[str, str] = {}
    ports: dict[str, set[str] | None] = {}
    neighbors: dict[str, set[str]] = {}
    cabled: dict[str, set[str]] = {"+": set(), "-": set()}
    for sign, raw, port in scoped:
        line = raw.strip().rstrip(",")
        if not line:
            continue
        if m := CABLED.match(line):
            cabled[sign].add(m.group(1))
        kind = next((k for k, p in _LINE_KINDS if p.search(line)), None)
        if sign == "-" and line.startswith("interface "):
            kind = "unknown"  # a whole interface deconfigured: its link goes away
        if kind not in ("description", "bfd") and (m := _NEIGHBOR.match(line)):
            neighbors.setdefault(m.group(1), set()).add(sign)
            continue
        if kind is None:
            if _STRUCTURE.search(line):
                continue
            kind = "unknown"
        kinds.setdefault(kind, line)
        named = ports.setdefault(kind, set())
        if port is None:
            ports[kind] = None
        elif named is not None and port:
            named.add(port)
    for signs in neighbors.values():
        kinds.setdefault("peer-asn" if len(signs) == 2 else "neighbor-added" if signs == {"+"} else "neighbor-removed", "")
    if cabled["-"] - cabled["+"]:
        kinds.setdefault("link-moved", "")
    return kinds, {k: frozenset(v) if v is not None else None for k, v in ((k, ports.get(k)) for k in kinds)}


PLATFORMS = ("eos", "frr", "sonic")
START, END = "<!-- impact-table:start -->", "<!-- impact-table:end -->"


def table_markdown() -> str:
    """The impact table as docs/impact.md shows it (kept equal by a test)."""
    out = ["| change kind | what | " + " | ".join(PLATFORMS) + " | source |", "|---|---|" + "---|" * len(PLATFORMS) + "---|"]
    for r in TABLE:
        cells = " | ".join(r.on(p) for p in PLATFORMS)
        out.append(f"| `{r.kind}` | {r.what} | {cells} | [{r.source}](sources.md#{r.source}) |")
    return "\n".join(out) + "\n"
