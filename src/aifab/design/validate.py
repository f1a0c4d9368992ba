"""Semantic checks of an intent that pydantic cannot see: sizes, pools, ASNs, overlaps."""

from __future__ import annotations

from dataclasses import dataclass

from netaddr import AddrFormatError, IPAddress, IPNetwork

from aifab.design.sizing import BackendShape, FrontendShape, backend_room, backend_shape, frontend_shape
from aifab.errors import Problem
from aifab.intent.schema import Asn, Intent

PRIVATE_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))  # RFC 6996


def next_pow2(n: int) -> int:
    """Smallest power of two >= n (n >= 1)."""
    return 1 << (max(n, 1) - 1).bit_length()


@dataclass(frozen=True, slots=True)
class Needs:
    """Addresses and ASNs one fabric consumes."""

    switches: int
    p2p_links: int  # /31s the layout takes: each leaf-spine link, and each spine uplink port in three tiers
    server_block: int  # addresses for all server links, blocks rounded to powers of two
    asns: int


def backend_needs(s: BackendShape) -> Needs:
    leaf_block = next_pow2(2 * s.servers_per_su)
    links = s.leaves * s.leaf_uplinks + s.spines * s.spine_up_ports
    groups = 1 + s.pod_asns  # the spines' (or cores' and each pod's spines')
    return Needs(s.leaves + s.spines + s.cores, links, s.rails * next_pow2(s.room * leaf_block), groups + s.leaves)


def frontend_needs(s: FrontendShape) -> Needs:
    return Needs(s.leaves + s.spines + s.cores, s.links + s.spines * s.spine_up_ports, s.leaves * next_pow2(2 * s.hosts_per_pair),
                 1 + s.pod_asns + s.leaves)


def _asn_problems(fabric: str, asn: Asn, count: int) -> list[Problem]:
    last = asn.base + count - 1
    loc = (fabric, "asn", "base")
    if last > 4294967294:
        return [Problem(loc, f"ASN out of range: {count} ASNs from here end at {last} > 4294967294", asn.base)]
    if asn.private_only and not any(lo <= asn.base and last <= hi for lo, hi in PRIVATE_ASN_RANGES):
        return [Problem(loc, f"ASN out of range: {asn.base}-{last} ({count} ASNs) is not inside one private range "
                        "64512-65534 or 4200000000-4294967294 (RFC 6996)", asn.base)]
    return []


def _pool_problems(fabric: str, pools: dict[str, IPNetwork], needs: Needs) -> list[Problem]:
    wanted = {
        "loopbacks": (needs.switches + 1, f"{needs.switches} switch loopbacks"),
        "p2p": (2 * needs.p2p_links, f"{needs.p2p_links} /31 links"),
        "servers": (needs.server_block, "server links (one power-of-two block per leaf/rail)"),
    }
    problems = []
    for key, (size, what) in wanted.items():
        if pools[key].size < size:
            problems.append(Problem((fabric, "pools", key), f"pool too small: {what} need {size} addresses, it has {pools[key].size}", str(pools[key])))
    return problems


def intent_problems(intent: Intent) -> list[Problem]:
    """Every semantic problem of a schema-valid intent (empty when the intent can be built)."""
    problems: list[Problem] = []
    keep = intent.upgrade.min_capacity_pct
    bshape, p = backend_shape(intent.backend, keep, whole=True)  # the pools and ASNs hold the grown fabric
    problems += p
    fshape, p = frontend_shape(intent.frontend, backend_room(intent.backend), keep)
    problems += p
    grows = intent.backend.growth.servers
    if grows is not None and grows < intent.backend.servers:
        problems.append(Problem(("backend", "growth", "servers"), f"fewer than backend.servers ({intent.backend.servers}): "
                                "the layout must hold them", grows))
    growth = intent.frontend.growth
    for key, have, what in (("servers", intent.backend.servers, "backend.servers"),
                            ("storage_nodes", intent.frontend.storage_nodes, "frontend.storage_nodes")):
        if getattr(growth, key) is not None and getattr(growth, key) < have:
            problems.append(Problem(("frontend", "growth", key), f"fewer than {what} ({have}): the layout must hold them",
                                    getattr(growth, key)))

    named: list[tuple[tuple[str, ...], IPNetwork]] = []
    for fabric in ("backend", "frontend"):
        pools = getattr(intent, fabric).pools
        named += [((fabric, "pools", k), IPNetwork(getattr(pools, k))) for k in ("loopbacks", "p2p", "servers")]
    named.append((("management", "network"), IPNetwork(intent.management.network)))
    for i, (loc_a, net_a) in enumerate(named):
        for loc_b, net_b in named[:i]:
            if net_a.first <= net_b.last and net_b.first <= net_a.last:
                what = "backend and frontend share a prefix" if loc_a[0] != loc_b[0] and "management" not in (loc_a[0], loc_b[0]) else "overlapping pools"
                problems.append(Problem(loc_a, f"{what}: overlaps {'.'.join(loc_b)} ({net_b})", str(net_a)))

    for fabric in ("backend", "frontend"):
        timers = getattr(intent, fabric).bgp
        if timers.hold_s < 3 * timers.keepalive_s:
            problems.append(Problem((fabric, "bgp", "hold_s"), f"must be at least three keepalives ({3 * timers.keepalive_s})", timers.hold_s))

    switches = 0
    for fabric, shape, needs_of in (("backend", bshape, backend_needs), ("frontend", fshape, frontend_needs)):
        if shape is None:
            continue
        needs = needs_of(shape)
        switches += needs.switches
        pools = {k: IPNetwork(getattr(getattr(intent, fabric).pools, k)) for k in ("loopbacks", "p2p", "servers")}
        problems += _pool_problems(fabric, pools, needs)
        problems += _asn_problems(fabric, getattr(intent, fabric).asn, needs.asns)

    mgmt = IPNetwork(intent.management.network)
    if mgmt.size < switches + 3:
        problems.append(Problem(("management", "network"), f"pool too small: {switches} switches need {switches + 3} addresses, it has {mgmt.size}", str(mgmt)))
    if intent.management.gateway is not None:
        try:
            gw: IPAddress | None = IPAddress(intent.management.gateway, version=4)
        except (AddrFormatError, ValueError):
            gw = None
        if gw is None or gw not in mgmt:
            problems.append(Problem(("management", "gateway"), f"must be an address inside {mgmt}", intent.management.gateway))
        elif gw in (mgmt.network, mgmt.broadcast):
            what = "network" if gw == mgmt.network else "broadcast"
            problems.append(Problem(("management", "gateway"), f"is the {what} address of {mgmt}; "
                                    "use a host address", intent.management.gateway))
    problems += _access_problems(intent)
    return problems


def _access_problems(intent: Intent) -> list[Problem]:
    """Accounts that cannot work, and an intent that would leave nobody a way in."""
    m = intent.management
    problems = []
    seen: set[str] = set()
    for i, user in enumerate(m.users):
        if user.name in seen:
            problems.append(Problem(("management", "users", i, "name"), "duplicate user", user.name))
        seen.add(user.name)
        if not user.password and not user.ssh_key:
            problems.append(Problem(("management", "users", i), "this user can log in with neither a password nor "
                                    "an SSH key (set password or ssh_key to true)", user.name))
    for i, name in enumerate(m.snmp.users):
        if name in m.snmp.users[:i]:
            problems.append(Problem(("management", "snmp", "users", i), "duplicate SNMP user", name))
    if not m.users and not (m.aaa.tacacs or m.aaa.radius):
        problems.append(Problem(("management", "users"), "nobody could log in: no local user and no TACACS+ or "
                                "RADIUS server", []))
    return problems
