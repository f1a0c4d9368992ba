"""Fabric sizing: how many switches of each tier, and how they are wired (pure arithmetic).

The backend follows the NVIDIA DGX SuperPOD rail-optimized shape (docs/sources.md#superpod): one leaf
per rail per scalable unit, two tiers while every leaf can reach every spine, a third tier
(cores, in planes) beyond. The published switch counts are the test oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aifab.errors import Problem
from aifab.intent.schema import Backend, Frontend

_EPS = 1e-9


def smallest_divisor_at_least(n: int, floor: int) -> int:
    """Smallest divisor of ``n`` that is >= ``floor`` (``n`` itself at worst)."""
    for d in range(max(1, floor), n + 1):
        if n % d == 0:
            return d
    return n


def uplinks_for(down_gbps: float, ratio: float, port_gbps: int) -> int:
    """Uplink ports needed so that downlink:uplink bandwidth is at most ``ratio``."""
    return max(1, math.ceil(down_gbps / (ratio * port_gbps) - _EPS))


def spread(uplinks: int, members: int, ports_each: int) -> int:
    """Upper-tier switches for ``members`` lower switches of ``uplinks`` each.

    At least two for redundancy where there are two uplinks, enough ports for every uplink,
    and a divisor of ``uplinks`` so each lower switch has the same links to each upper one.
    """
    need = max(math.ceil(members * uplinks / ports_each), min(2, uplinks))
    return smallest_divisor_at_least(uplinks, need)


@dataclass(frozen=True, slots=True)
class BackendShape:
    """Counts and wiring of the backend. ``pods``/``cores*`` apply to three tiers only."""

    tiers: int
    sus: int
    rails: int
    servers_per_su: int
    leaf_uplinks: int
    sus_per_pod: int
    pods: int
    spines_per_pod: int
    leaf_spine_links: int
    spine_uplinks: int
    cores_per_plane: int
    spine_core_links: int

    @property
    def leaves(self) -> int:
        return self.sus * self.rails

    @property
    def spines(self) -> int:
        return self.pods * self.spines_per_pod

    @property
    def cores(self) -> int:
        return self.spines_per_pod * self.cores_per_plane if self.tiers == 3 else 0


@dataclass(frozen=True, slots=True)
class FrontendShape:
    """Counts and wiring of the frontend: hosts dual-homed to leaf pairs, one spine tier."""

    hosts: int
    hosts_per_pair: int
    pairs: int
    leaf_uplinks: int
    spines: int
    leaf_spine_links: int

    @property
    def leaves(self) -> int:
        return 2 * self.pairs


def backend_shape(b: Backend) -> tuple[BackendShape | None, list[Problem]]:
    """Size the backend, or say why the switches cannot build it."""
    sw = b.switches
    loc = ("backend",)
    if b.servers % b.servers_per_su:
        return None, [Problem((*loc, "servers"), f"must be a multiple of servers_per_su ({b.servers_per_su})", b.servers)]
    problems = []
    if b.nic_speed > sw.leaf.speed:
        problems.append(Problem((*loc, "nic_speed"), f"faster than the leaf ports ({sw.leaf.speed}G)", f"{b.nic_speed}G"))
    if sw.spine.speed != sw.leaf.speed:
        problems.append(Problem((*loc, "switches", "spine", "speed"), f"must equal the leaf port speed ({sw.leaf.speed}G) for leaf uplinks", f"{sw.spine.speed}G"))
    if problems:
        return None, problems
    sus, rails, per_su = b.servers // b.servers_per_su, b.gpus_per_server, b.servers_per_su
    up = uplinks_for(per_su * b.nic_speed, b.oversubscription, sw.leaf.speed)
    if per_su + up > sw.leaf.ports:
        ratio = f"1:{b.oversubscription:g}"
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for {per_su} servers per SU at {ratio} ({per_su} down + {up} up needed)", sw.leaf.ports)]
    leaves = sus * rails
    if leaves <= sw.spine.ports:
        spines = spread(up, leaves, sw.spine.ports)
        return BackendShape(2, sus, rails, per_su, up, sus, 1, spines, up // spines, 0, 0, 0), []
    # Third tier: spines split half down, half up (non-blocking above the leaves).
    spine_down = sw.spine.ports // 2
    if sw.core.speed != sw.spine.speed:
        return None, [Problem((*loc, "switches", "core", "speed"), f"must equal the spine port speed ({sw.spine.speed}G)", f"{sw.core.speed}G")]
    sus_per_pod = min(sus, spine_down // rails)
    if sus_per_pod < 1:
        return None, [Problem((*loc, "switches", "spine", "ports"), f"too few for a three-tier pod of {rails} rails", sw.spine.ports)]
    pods = math.ceil(sus / sus_per_pod)
    if pods > sw.core.ports:
        return None, [Problem((*loc, "switches", "core", "ports"), f"too few for {pods} pods; the fabric needs more than three tiers", sw.core.ports)]
    per_pod = spread(up, sus_per_pod * rails, spine_down)
    spine_up = sus_per_pod * rails * up // per_pod
    cores = spread(spine_up, pods, sw.core.ports) if spine_up > 1 else 1
    return BackendShape(3, sus, rails, per_su, up, sus_per_pod, pods, per_pod, up // per_pod, spine_up, cores, spine_up // cores), []


def frontend_shape(f: Frontend, servers: int) -> tuple[FrontendShape | None, list[Problem]]:
    """Size the frontend, or say why the switches cannot build it."""
    sw, loc = f.switches, ("frontend",)
    host_speed = max(f.nic_speed, f.storage_speed if f.storage_nodes else 0)
    if host_speed > sw.leaf.speed:
        key = "nic_speed" if f.nic_speed > sw.leaf.speed else "storage_speed"
        return None, [Problem((*loc, key), f"faster than the leaf ports ({sw.leaf.speed}G)", f"{host_speed}G")]
    if sw.spine.speed != sw.leaf.speed:
        return None, [Problem((*loc, "switches", "spine", "speed"), f"must equal the leaf port speed ({sw.leaf.speed}G)", f"{sw.spine.speed}G")]
    hosts = servers + f.storage_nodes
    per_pair = next(
        (d for d in range(sw.leaf.ports - 1, 0, -1)
         if d + uplinks_for(d * host_speed, f.oversubscription, sw.leaf.speed) <= sw.leaf.ports),
        0,
    )
    if per_pair == 0:
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for a host and its uplinks at 1:{f.oversubscription:g}", sw.leaf.ports)]
    per_pair = min(per_pair, hosts)
    pairs = math.ceil(hosts / per_pair)
    up = uplinks_for(per_pair * host_speed, f.oversubscription, sw.leaf.speed)
    if 2 * pairs > sw.spine.ports:
        return None, [Problem((*loc, "switches", "spine", "ports"), f"too few for {2 * pairs} leaves in two tiers", sw.spine.ports)]
    spines = spread(up, 2 * pairs, sw.spine.ports)
    return FrontendShape(hosts, per_pair, pairs, up, spines, up // spines), []
