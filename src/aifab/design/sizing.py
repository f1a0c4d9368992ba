"""Fabric sizing: how many switches of each tier, and how they are wired (pure arithmetic).

The backend follows the NVIDIA DGX SuperPOD rail-optimized shape (docs/sources.md#superpod): one leaf
per rail per scalable unit, two tiers while every leaf can reach every spine, a third tier
(cores, in planes) beyond. The published switch counts are the test oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aifab.catalog import lookup
from aifab.errors import Problem
from aifab.intent.schema import Backend, Frontend, Switch
from aifab.platforms import platform

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


def fanout(sw: Switch, nic_gbps: int) -> int:
    """NICs of ``nic_gbps`` one port of ``sw`` serves: its catalog model's breakout count for that speed
    (``2x400G`` on an 800G port: 2) where the platform can name the children, else 1 (a whole port)."""
    model = lookup(sw.model)
    if model is None:
        return 1
    record = platform(sw.platform)
    pattern = model.names.get(record.name, record.breakout_port_name)
    if not any(key in pattern for key in ("{sub", "{lane")):
        return 1
    return model.fanout(sw.speed, nic_gbps)


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
    down = math.ceil(per_su / fanout(sw.leaf, b.nic_speed))  # server ports, on breakouts where the model has them
    if down + up > sw.leaf.ports:
        ratio = f"1:{b.oversubscription:g}"
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for {per_su} servers per SU at {ratio} ({down} down + {up} up needed)", sw.leaf.ports)]
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


def pair_loads(servers: int, storage: int, per_pair: int) -> set[tuple[int, int]]:
    """The distinct (GPU servers, storage nodes) loads of the frontend's leaf pairs when hosts fill pairs of
    ``per_pair`` in order, servers first: full server pairs, the pair where they meet, full storage pairs, the last."""
    hosts, pairs = servers + storage, math.ceil((servers + storage) / per_pair)
    loads = set()
    for j in {0, servers // per_pair, servers // per_pair + 1, pairs - 1}:
        if 0 <= j < pairs:
            first, end = j * per_pair, min(hosts, (j + 1) * per_pair)
            n_srv = max(0, min(end, servers) - first)
            loads.add((n_srv, end - first - n_srv))
    return loads


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
    per_port = (fanout(sw.leaf, f.nic_speed), fanout(sw.leaf, f.storage_speed))

    def fits(per_pair: int) -> bool:
        for n_srv, n_stor in pair_loads(servers, f.storage_nodes, per_pair):
            ports = math.ceil(n_srv / per_port[0]) + math.ceil(n_stor / per_port[1])
            if ports + uplinks_for(n_srv * f.nic_speed + n_stor * f.storage_speed, f.oversubscription, sw.leaf.speed) > sw.leaf.ports:
                return False
        return True

    per_pair = next((d for d in range(min(hosts, (sw.leaf.ports - 1) * max(per_port)), 0, -1) if fits(d)), 0)
    if per_pair == 0:
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for a host and its uplinks at 1:{f.oversubscription:g}", sw.leaf.ports)]
    pairs = math.ceil(hosts / per_pair)
    up = max(uplinks_for(n_srv * f.nic_speed + n_stor * f.storage_speed, f.oversubscription, sw.leaf.speed)
             for n_srv, n_stor in pair_loads(servers, f.storage_nodes, per_pair))
    if 2 * pairs > sw.spine.ports:
        return None, [Problem((*loc, "switches", "spine", "ports"), f"too few for {2 * pairs} leaves in two tiers", sw.spine.ports)]
    spines = spread(up, 2 * pairs, sw.spine.ports)
    return FrontendShape(hosts, per_pair, pairs, up, spines, up // spines), []
