"""Fabric sizing: how many switches of each tier, and how they are wired (pure arithmetic).

The backend follows the NVIDIA DGX SuperPOD rail-optimized shape (docs/sources.md#superpod): one leaf
per rail per scalable unit, two tiers while every leaf can reach every spine, a third tier
(cores, in planes) beyond. The published switch counts are the test oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from aifab.catalog import lookup
from aifab.design.model import Tier
from aifab.errors import Problem
from aifab.intent.schema import Backend, Frontend, Intent, Switch
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


def spread(uplinks: int, members: int, ports_each: int, least: int = 2) -> int:
    """Upper-tier switches for ``members`` lower switches of ``uplinks`` each, as a divisor of
    ``uplinks`` (each lower switch has the same links to each upper one, as a pod's spines need for
    their core planes): at least ``least`` where there are that many uplinks, enough ports for every uplink.
    """
    need = max(math.ceil(members * uplinks / ports_each), min(least, uplinks))
    return smallest_divisor_at_least(uplinks, need)


def drains(uplinks: int, spines: int, keep_pct: int) -> bool:
    """True when a leaf with ``uplinks`` spread over ``spines`` (within one link each) keeps ``keep_pct`` %
    of them while the spine it has most links to is drained."""
    return (uplinks - math.ceil(uplinks / spines)) * 100 >= uplinks * keep_pct


def drain_floor(uplinks: int, keep_pct: int) -> int:
    """Fewest spines (at most ``uplinks``) such that a leaf whose ``uplinks`` are spread over them, within
    one link per spine, keeps ``keep_pct`` % of them while one spine is drained (upgrade.min_capacity_pct);
    at least two for redundancy. Two when no count does (more spines would not help: the rollout plan
    then asks for a maintenance window)."""
    return next((n for n in range(min(2, uplinks), uplinks + 1) if drains(uplinks, n, keep_pct)), min(2, uplinks))


def fewest_spines(links: int, ports_each: int, most: int, least: int) -> int:
    """Fewest spines for ``links`` leaf uplinks in all: enough ports (``ports_each`` each) and at least
    ``least``, at most ``most`` (every leaf reaches every spine: no more spines than a leaf has uplinks).
    Uplinks need not divide evenly: each leaf's are spread within one link per spine (the builder's
    round robin), so a prime uplink count no longer forces that many spines."""
    return min(most, max(least, math.ceil(links / ports_each)))


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
    last_pod_spines: int = 0  # three tiers: spines of a partial last pod, trimmed to its leaves (0: a full pod)
    last_spine_uplinks: int = 0  # and each one's core uplinks (= its downlinks: non-blocking, no more)
    spine_up_ports: int = 0  # three tiers: a spine's ports above its downlinks (each one's /31 is reserved)
    pod_asns: int = 0  # three tiers: ASNs kept for spine pods, one per core port (the most pods the cores hold)
    layout_sus: int = 0  # the SUs the layout holds (backend.growth), when more than ``sus``

    @property
    def leaves(self) -> int:
        return self.sus * self.rails

    @property
    def room(self) -> int:
        """The SUs the layout holds: each rail's server address block is sized for them."""
        return max(self.sus, self.layout_sus)

    @property
    def spines(self) -> int:
        return (self.pods - 1) * self.spines_per_pod + (self.last_pod_spines or self.spines_per_pod)

    @property
    def spine_core_total(self) -> int:
        """Spine-core links of the whole fabric (0 in two tiers)."""
        full = self.pods - (1 if self.last_pod_spines else 0)
        return full * self.spines_per_pod * self.spine_uplinks + self.last_pod_spines * self.last_spine_uplinks

    def pod_spines(self, pod: int) -> tuple[int, int]:
        """Spines of pod ``pod`` (0-based) and each one's core uplinks."""
        if self.last_pod_spines and pod == self.pods - 1:
            return self.last_pod_spines, self.last_spine_uplinks
        return self.spines_per_pod, self.spine_uplinks

    @property
    def cores(self) -> int:
        return self.spines_per_pod * self.cores_per_plane if self.tiers == 3 else 0


@dataclass(frozen=True, slots=True)
class FrontendShape:
    """Counts and wiring of the frontend: hosts dual-homed to leaf pairs, one spine tier. Each pair's
    uplinks are sized from the hosts it really carries (``loads``: its GPU servers and storage nodes)."""

    hosts: int
    hosts_per_pair: int
    pairs: int
    leaf_uplinks: int  # the most any leaf has
    spines: int
    leaf_spine_links: int  # the most links between a leaf and a spine
    uplinks: tuple[int, ...] = ()  # per pair (each of its two leaves)
    loads: tuple[tuple[int, int], ...] = ()  # per pair: GPU servers, storage nodes
    down_ports: tuple[int, ...] = ()  # per pair: front-panel ports its hosts take (breakouts counted)
    pods: tuple[int, ...] = ()  # three tiers: leaf pairs per pod, in order (empty: two tiers)
    pod_spines: tuple[int, ...] = ()  # three tiers: spines of each pod (spine n of a pod is in core plane n)
    cores_per_plane: int = 0
    spine_links: tuple[tuple[int, int], ...] = ()  # three tiers: per spine, in pod order: leaf downlinks, core uplinks
    spine_up_ports: int = 0  # three tiers: a spine's ports above its downlinks (each one's /31 is reserved)
    pod_asns: int = 0  # three tiers: ASNs kept for spine pods, one per core port (the most pods the cores hold)

    @property
    def leaves(self) -> int:
        return 2 * self.pairs

    @property
    def tiers(self) -> int:
        return 3 if self.pods else 2

    @property
    def cores(self) -> int:
        return max(self.pod_spines, default=0) * self.cores_per_plane

    @property
    def links(self) -> int:
        """Leaf-spine links in all."""
        return 2 * sum(self.uplinks)

    @property
    def core_links(self) -> int:
        """Spine-core links in all (0 in two tiers)."""
        return sum(up for _, up in self.spine_links)


def backend_room(b: Backend) -> int:
    """The GPU servers the backend is laid out for: ``b.growth``'s where it names more than there are."""
    return max(b.servers, b.growth.servers or 0)


def grown_intent(intent: Intent) -> Intent | None:
    """``intent`` at the size it is laid out for: the backend's servers of ``backend.growth`` and the
    frontend's storage nodes of ``frontend.growth``; None when it is laid out for today's hosts."""
    servers, storage = backend_room(intent.backend), laid_out(intent.frontend, intent.backend.servers)[1]
    if (servers, storage) == (intent.backend.servers, intent.frontend.storage_nodes):
        return None
    data = intent.model_dump(exclude_unset=True)  # defaults that depend on what is set stay so
    data.setdefault("backend", {})["servers"] = servers
    frontend = data.setdefault("frontend", {})
    frontend["storage_nodes"] = storage
    if (intent.frontend.growth.servers or 0) < servers:  # the frontend is laid out for the backend's growth anyway
        frontend.get("growth", {}).pop("servers", None)
    return Intent.model_validate(data)


def backend_shape(b: Backend, keep_pct: int = 75, whole: bool = False) -> tuple[BackendShape | None, list[Problem]]:
    """Size the backend, or say why the switches cannot build it. ``keep_pct``: the uplink bandwidth a
    leaf keeps while one spine is drained (upgrade.min_capacity_pct), which sets the fewest spines.

    The layout is that of :func:`backend_room`'s servers (``b.growth``): its spines and cores, each
    one's links and the server address blocks; of its leaves, those of today's SUs (``whole``: all of
    them, for the pools and ASNs the grown fabric needs). A pod of three tiers is built once it has
    an SU, with the spines the layout gives it."""
    loc = ("backend",)
    for key, servers in (("servers", b.servers), ("growth", b.growth.servers)):
        if servers is not None and servers % b.servers_per_su:
            where = (*loc, key) if key == "servers" else (*loc, "growth", "servers")
            return None, [Problem(where, f"must be a multiple of servers_per_su ({b.servers_per_su})", servers)]
    layout, problems = _layout(b, backend_room(b) // b.servers_per_su, keep_pct)
    sus = b.servers // b.servers_per_su
    if layout is None or whole or layout.sus == sus:
        return layout, problems
    if layout.tiers == 2:
        return replace(layout, sus=sus, sus_per_pod=sus, layout_sus=layout.sus), []
    pods = math.ceil(sus / layout.sus_per_pod)
    last = pods == layout.pods  # the layout's last pod, partial in it or not
    return replace(layout, sus=sus, pods=pods, last_pod_spines=layout.last_pod_spines if last else 0,
                   last_spine_uplinks=layout.last_spine_uplinks if last else 0, layout_sus=layout.sus), []


def _layout(b: Backend, sus: int, keep_pct: int) -> tuple[BackendShape | None, list[Problem]]:
    """The backend of ``sus`` SUs (:func:`backend_shape`)."""
    sw = b.switches
    loc = ("backend",)
    problems = []
    if b.nic_speed > sw.leaf.speed:
        problems.append(Problem((*loc, "nic_speed"), f"faster than the leaf ports ({sw.leaf.speed}G)", f"{b.nic_speed}G"))
    if sw.spine.speed != sw.leaf.speed:
        problems.append(Problem((*loc, "switches", "spine", "speed"), f"must equal the leaf port speed ({sw.leaf.speed}G) for leaf uplinks", f"{sw.spine.speed}G"))
    if problems:
        return None, problems
    rails, per_su = b.gpus_per_server, b.servers_per_su
    up = uplinks_for(per_su * b.nic_speed, b.oversubscription, sw.leaf.speed)
    down = math.ceil(per_su / fanout(sw.leaf, b.nic_speed))  # server ports, on breakouts where the model has them
    if down + up > sw.leaf.ports:
        ratio = f"1:{b.oversubscription:g}"
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for {per_su} servers per SU at {ratio} ({down} down + {up} up needed)", sw.leaf.ports)]
    leaves = sus * rails
    least = drain_floor(up, keep_pct)
    if leaves <= sw.spine.ports:
        spines = fewest_spines(leaves * up, sw.spine.ports, up, least)
        return BackendShape(2, sus, rails, per_su, up, sus, 1, spines, math.ceil(up / spines), 0, 0, 0), []
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
    per_pod = spread(up, sus_per_pod * rails, spine_down, least)
    spine_up = sus_per_pod * rails * up // per_pod
    cores = spread(spine_up, pods, sw.core.ports) if spine_up > 1 else 1
    # A partial last pod gets the spines its leaves need (a divisor of the uplinks, each spine no more
    # core uplinks than a full pod's), and each of them as many core uplinks as downlinks.
    last_leaves = (sus - (pods - 1) * sus_per_pod) * rails
    last, last_up = 0, 0
    if last_leaves < sus_per_pod * rails:
        last = smallest_divisor_at_least(up, max(math.ceil(last_leaves * up / spine_up), min(least, up)))
        last_up = last_leaves * up // last
    return BackendShape(3, sus, rails, per_su, up, sus_per_pod, pods, per_pod, up // per_pod, spine_up, cores,
                        spine_up // cores, last, last_up, sw.spine.ports - spine_down, sw.core.ports), []


def pair_load(servers: int, hosts: int, per_pair: int, pair: int) -> tuple[int, int]:
    """GPU servers and storage nodes of leaf pair ``pair`` (0-based) when ``hosts`` fill pairs of
    ``per_pair`` in order, the ``servers`` first."""
    first, end = pair * per_pair, min(hosts, (pair + 1) * per_pair)
    n_srv = max(0, min(end, servers) - first)
    return n_srv, end - first - n_srv


def pair_loads(servers: int, storage: int, per_pair: int) -> set[tuple[int, int]]:
    """The distinct loads of the frontend's leaf pairs (:func:`pair_load`): full server pairs, the pair
    where servers and storage meet, full storage pairs, the last."""
    hosts, pairs = servers + storage, math.ceil((servers + storage) / per_pair)
    return {pair_load(servers, hosts, per_pair, j)
            for j in {0, servers // per_pair, servers // per_pair + 1, pairs - 1} if 0 <= j < pairs}


def laid_out(f: Frontend, servers: int) -> tuple[int, int]:
    """The GPU servers and storage nodes the frontend is laid out for: ``f.growth``'s where it names
    more than there are (``servers``, ``f.storage_nodes``)."""
    return max(servers, f.growth.servers or 0), max(f.storage_nodes, f.growth.storage_nodes or 0)


def frontend_shape(f: Frontend, servers: int, keep_pct: int = 75) -> tuple[FrontendShape | None, list[Problem]]:
    """Size the frontend for the hosts it is laid out for (:func:`laid_out`), or say why the switches
    cannot build it (``keep_pct`` as in :func:`backend_shape`)."""
    sw, loc = f.switches, ("frontend",)
    servers, storage = laid_out(f, servers)
    host_speed = max(f.nic_speed, f.storage_speed if storage else 0)
    if host_speed > sw.leaf.speed:
        key = "nic_speed" if f.nic_speed > sw.leaf.speed else "storage_speed"
        return None, [Problem((*loc, key), f"faster than the leaf ports ({sw.leaf.speed}G)", f"{host_speed}G")]
    if sw.spine.speed != sw.leaf.speed:
        return None, [Problem((*loc, "switches", "spine", "speed"), f"must equal the leaf port speed ({sw.leaf.speed}G)", f"{sw.spine.speed}G")]
    hosts = servers + storage
    per_port = (fanout(sw.leaf, f.nic_speed), fanout(sw.leaf, f.storage_speed))

    def fits(per_pair: int) -> bool:
        for n_srv, n_stor in pair_loads(servers, storage, per_pair):
            ports = math.ceil(n_srv / per_port[0]) + math.ceil(n_stor / per_port[1])
            if ports + uplinks_for(n_srv * f.nic_speed + n_stor * f.storage_speed, f.oversubscription, sw.leaf.speed) > sw.leaf.ports:
                return False
        return True

    per_pair = next((d for d in range(min(hosts, (sw.leaf.ports - 1) * max(per_port)), 0, -1) if fits(d)), 0)
    if per_pair == 0:
        return None, [Problem((*loc, "switches", "leaf", "ports"), f"too few for a host and its uplinks at 1:{f.oversubscription:g}", sw.leaf.ports)]
    pairs = math.ceil(hosts / per_pair)
    loads = tuple(pair_load(servers, hosts, per_pair, j) for j in range(pairs))
    down = tuple(math.ceil(n / per_port[0]) + math.ceil(t / per_port[1]) for n, t in loads)
    need = [uplinks_for(n * f.nic_speed + t * f.storage_speed, f.oversubscription, sw.leaf.speed) for n, t in loads]
    room = [sw.leaf.ports - d for d in down]  # the most uplinks each pair's leaves can take
    # The fewest spines that hold every uplink, with every leaf on every spine. A leaf takes a few
    # uplinks more than its hosts need where that lets it keep upgrade.min_capacity_pct of them with one
    # spine drained (8 over 4 spines rather than 6 over 6), which costs a free leaf port, not a spine;
    # where no spine count lets every leaf do so, the fewest spines stay (the plan then asks for a window).
    shape = FrontendShape(hosts, per_pair, pairs, 0, 0, 0, (), loads, down)
    chosen: tuple[int, list[int]] | None = None
    for spines in range(max(min(2, *need), math.ceil(2 * sum(need) / sw.spine.ports)), min(room) + 1):
        uplinks = [max(n, spines) for n in need]
        if 2 * sum(uplinks) > spines * sw.spine.ports:
            continue
        chosen = chosen or (spines, uplinks)  # the fewest that hold every uplink
        drained = [next((u for u in range(max(n, spines), r + 1) if drains(u, spines, keep_pct)), 0)
                   for n, r in zip(need, room, strict=True)]
        if all(drained) and 2 * sum(drained) <= spines * sw.spine.ports:
            chosen = (spines, drained)  # the fewest that also drain within the policy
            break
    if chosen is None:  # one spine tier cannot hold the leaves: pods under a second one
        return frontend_pods(f, shape, need, room, keep_pct)
    spines, uplinks = chosen
    return FrontendShape(hosts, per_pair, pairs, max(uplinks), spines, math.ceil(max(uplinks) / spines),
                         tuple(uplinks), loads, down), []


def frontend_pods(f: Frontend, shape: FrontendShape, need: list[int], room: list[int],
                  keep_pct: int) -> tuple[FrontendShape | None, list[Problem]]:
    """Three frontend tiers, when one spine tier cannot hold the leaves: pods of consecutive leaf pairs,
    each under its own spines that split their ports half down, half up (non-blocking above the leaves),
    and cores in planes (spine n of every pod goes to plane n), as the backend's third tier.

    A pod's leaves all reach all its spines (``reach``: as many as every leaf has ports for, no more than
    the most uplinks a pair needs); pods fill in order while their links fit their spines' downlinks."""
    sw, loc = f.switches, ("frontend",)
    down_ports = sw.spine.ports // 2
    reach = min(min(room), max(*need, drain_floor(max(need), keep_pct)))
    uplinks = [next((u for u in range(max(n, reach), r + 1) if drains(u, reach, keep_pct)), max(n, reach))
               for n, r in zip(need, room, strict=True)]
    pods: list[int] = []
    load = 0
    for u in uplinks:
        if 2 * u > reach * down_ports:
            return None, [Problem((*loc, "switches", "spine", "ports"), f"too few for a leaf pair of {2 * u} uplinks "
                                  f"on {reach} spines of {down_ports} downlinks", sw.spine.ports)]
        if not pods or load + 2 * u > reach * down_ports:
            pods.append(0)
            load = 0
        pods[-1] += 1
        load += 2 * u
    pod_spines, spine_down, start = [], [], 0
    for count in pods:
        mine = uplinks[start:start + count]
        links = 2 * sum(mine)
        n = min(reach, max(max(drain_floor(u, keep_pct) for u in mine), math.ceil(links / down_ports)))
        pod_spines.append(n)
        spine_down.append([links // n + (1 if k < links % n else 0) for k in range(n)])  # the builder's round robin
        start += count
    if sw.core.speed != sw.spine.speed:
        return None, [Problem((*loc, "switches", "core", "speed"), f"must equal the spine port speed ({sw.spine.speed}G)",
                              f"{sw.core.speed}G")]
    # Each spine has as many core uplinks as leaf downlinks (non-blocking), and one per core of its plane
    # at least; the fewest cores per plane that hold the busiest plane.
    cores = max(1, min(2, *(d for pod in spine_down for d in pod)))
    while True:
        plane = [sum(max(pod[k], cores) for pod in spine_down if k < len(pod)) for k in range(reach)]
        if max(plane) <= cores * sw.core.ports:
            break
        cores += 1
        if cores > sw.spine.ports - down_ports:
            return None, [Problem((*loc, "switches", "core", "ports"), f"too few for {len(pods)} pods of {reach} spines; "
                                  "the frontend needs more than three tiers", sw.core.ports)]
    links_per_spine = tuple((d, max(d, cores)) for pod in spine_down for d in pod)
    return replace(shape, leaf_uplinks=max(uplinks), spines=sum(pod_spines), leaf_spine_links=math.ceil(max(uplinks) / reach),
                   uplinks=tuple(uplinks), pods=tuple(pods), pod_spines=tuple(pod_spines), cores_per_plane=cores,
                   spine_links=links_per_spine, spine_up_ports=sw.spine.ports - down_ports, pod_asns=sw.core.ports), []


def backend_tiers(b: Backend, s: BackendShape) -> tuple[Tier, ...]:
    """The backend's tiers: counts, the worst down:up bandwidth ratio of each tier's switches, unused ports."""
    sw = b.switches
    down = math.ceil(s.servers_per_su / fanout(sw.leaf, b.nic_speed))
    leaf_links = s.leaves * s.leaf_uplinks
    tiers = [Tier("leaf", s.leaves, s.servers_per_su * b.nic_speed / (s.leaf_uplinks * sw.leaf.speed),
                  s.leaves * (sw.leaf.ports - down - s.leaf_uplinks))]
    if s.tiers == 2:
        return (*tiers, Tier("spine", s.spines, None, s.spines * sw.spine.ports - leaf_links))
    pod_leaves = s.sus_per_pod * s.rails
    ratio = pod_leaves * s.leaf_uplinks / s.spines_per_pod / s.spine_uplinks  # a partial pod's spines: 1.0 by construction
    return (*tiers, Tier("spine", s.spines, max(ratio, 1.0 if s.last_pod_spines else 0.0),
                         s.spines * sw.spine.ports - leaf_links - s.spine_core_total),
            Tier("core", s.cores, None, s.cores * sw.core.ports - s.spine_core_total))


def frontend_tiers(f: Frontend, s: FrontendShape) -> tuple[Tier, ...]:
    """The frontend's tiers, as :func:`backend_tiers`: the leaf ratio is the worst pair's, from its real hosts."""
    sw = f.switches
    worst = max((n * f.nic_speed + t * f.storage_speed) / (u * sw.leaf.speed) for (n, t), u in zip(s.loads, s.uplinks, strict=True))
    unused = sum(2 * (sw.leaf.ports - d - u) for d, u in zip(s.down_ports, s.uplinks, strict=True))
    if not s.pods:
        return (Tier("leaf", s.leaves, worst, unused), Tier("spine", s.spines, None, s.spines * sw.spine.ports - s.links))
    return (Tier("leaf", s.leaves, worst, unused),
            Tier("spine", s.spines, max(down / up for down, up in s.spine_links), s.spines * sw.spine.ports - s.links - s.core_links),
            Tier("core", s.cores, None, s.cores * sw.core.ports - s.core_links))
