"""A rollout wave simulated on the Design graph: what one fabric keeps while some switches are out.

For every switch still in service: the share of its uplink bandwidth whose far end is in service
(``upgrade.min_capacity_pct``); for every pair of leaves that serve uncordoned servers: the ECMP
paths left between them, counted as the distinct switches of the tier above (or, across pods, of
the top tier) that both still reach; never both leaves of a frontend pair out at once. And the
PFC-deadlock proof per wave (docs/sources.md#pfc-deadlock): the down-then-up paths lossless traffic
would take while the wave's switches are drained, given the turns the routing policy permits
(``aifab.check.deadlock``); none when it permits none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from aifab.check.deadlock import Turn
from aifab.check.findings import Finding, Severity
from aifab.design.model import Design, FabricDesign


@dataclass(frozen=True, slots=True)
class Simulation:
    """What one fabric keeps during a wave; ``problems`` name every rule the wave breaks."""

    min_capacity_pct: float | None  # the lowest residual uplink bandwidth of a switch in service, % (None: none is)
    min_paths: int | None  # the fewest paths between two leaves serving uncordoned servers (None: no such pair)
    problems: tuple[str, ...]


class FabricGraph:
    """The switch-to-switch links of one fabric, with the servers behind each leaf; ``held``: its
    switches out of service whatever the wave (drained before the rollout, or unreadable)."""

    def __init__(self, fabric: FabricDesign, design: Design, held: frozenset[str] = frozenset(),
                 cut: frozenset[frozenset[str]] = frozenset()) -> None:
        """``cut``: device pairs whose links are down (every link between the two: a session down
        before a wave, counted out of service)."""
        self.fabric = fabric.name
        self.devices = {d.name: d for d in fabric.devices}
        self.held = held & self.devices.keys()
        up: dict[str, list[tuple[str, int]]] = defaultdict(list)
        down: dict[str, list[tuple[str, int]]] = defaultdict(list)
        total: dict[str, int] = defaultdict(int)
        for d in fabric.devices:
            for p in d.ports:
                if p.role == "uplink" and p.peer in self.devices:
                    total[d.name] += p.speed  # designed: a cut link is capacity lost
                    if frozenset((d.name, p.peer)) not in cut:
                        up[d.name].append((p.peer, p.speed))
                        down[p.peer].append((d.name, p.speed))
        self.up = {k: tuple(up.get(k, ())) for k in total}
        self.down = {k: tuple(v) for k, v in down.items()}
        self.total_up = dict(total)
        servers: dict[str, set[str]] = defaultdict(set)
        for h in design.hosts:
            for nic in h.nics:
                if nic.fabric == fabric.name:
                    servers[nic.leaf].add(h.name)
        self.servers = {k: frozenset(v) for k, v in servers.items()}
        self.leaves = [d.name for d in fabric.devices if d.tier == 1]
        self.top = max((d.tier for d in fabric.devices), default=1)

    def residual_pct(self, device: str, out: set[str]) -> float:
        """Share of ``device``'s uplink bandwidth whose far end is in service, %."""
        total = self.total_up.get(device, 0)
        if not total:
            return 100.0
        return 100.0 * sum(s for peer, s in self.up[device] if peer not in out) / total

    def simulate(self, out: set[str], cordoned: set[str], min_pct: float) -> Simulation:
        """Every rule checked for the wave that takes ``out`` (and the held switches) out of service
        and cordons ``cordoned``."""
        out = out | self.held
        problems: list[str] = []
        low: float | None = None
        for name in self.up:
            if name in out:
                continue
            pct = self.residual_pct(name, out)
            low = pct if low is None else min(low, pct)
            if pct < min_pct:
                problems.append(f"{name} keeps {pct:.1f} % of its uplink bandwidth (< {min_pct:g} %)")
        pairs: dict[int, list[str]] = defaultdict(list)
        for name in out:
            dev = self.devices.get(name)
            if dev is not None and dev.pair is not None and self.fabric == "frontend":
                pairs[dev.pair].append(name)
        problems += [f"both leaves of frontend pair {p} ({', '.join(sorted(n))}) at once" for p, n in pairs.items() if len(n) > 1]
        paths, path_problems = self._paths(out, cordoned)
        return Simulation(low, paths, tuple(problems + path_problems))

    def _paths(self, out: set[str], cordoned: set[str]) -> tuple[int | None, list[str]]:
        classes: dict[tuple[frozenset[str], frozenset[str]], list[str]] = defaultdict(list)
        for leaf in self.leaves:
            if leaf not in out and self.servers.get(leaf, frozenset()) - cordoned:
                above = frozenset(p for p, _ in self.up.get(leaf, ()) if p not in out)
                top = frozenset(c for s in above for c, _ in self.up.get(s, ()) if c not in out) if self.top > 2 else frozenset()
                classes[(above, top)].append(leaf)
        keys = list(classes)
        fewest: int | None = None
        problems: list[str] = []
        for i, a in enumerate(keys):
            for b in keys[i:]:
                if a == b and len(classes[a]) < 2:
                    continue
                shared = len(a[0] & b[0]) or len(a[1] & b[1])
                fewest = shared if fewest is None else min(fewest, shared)
                if not shared:
                    other = classes[b][1] if a == b else classes[b][0]
                    problems.append(f"no path left between {classes[a][0]} and {other}")
        return fewest, problems

    def valley_paths(self, out: set[str], cordoned: set[str], turns: Iterable[Turn]) -> list[tuple[str, ...]]:
        """The down-then-up paths lossless traffic between two leaves serving uncordoned servers takes
        while ``out`` is drained, when the routing policy permits ``turns``. Routes spread as BGP
        spreads them: a switch keeps its shortest accepted AS paths (multipath) and re-advertises only
        those, a route goes down and up again only through a permitted turn, and drained switches
        carry nothing. Each path in forwarding order, source leaf first."""
        allowed = {(t.above, t.lower, t.other) for t in turns if t.lower in self.devices}
        if not allowed:
            return []  # no route with a valley is ever accepted: none can be used
        tier = {n: d.tier for n, d in self.devices.items()}
        near = {n: [p for p, _ in (*self.up.get(n, ()), *self.down.get(n, ()))] for n in self.devices}
        serving = [leaf for leaf in self.leaves if leaf not in out and self.servers.get(leaf, frozenset()) - cordoned]
        found: list[tuple[str, ...]] = []
        for dst in serving:
            # a route's state: (switch, the switch it came from, its last step went down, it took a valley turn)
            State = tuple[str, str | None, bool, bool]
            origin: State = (dst, None, False, False)
            pred: dict[State, State | None] = {origin: None}
            best = {dst: 0}
            frontier, level = [origin], 0
            while frontier:
                level += 1
                nxt: list[State] = []
                for st in frontier:
                    u, came, down, valley = st
                    for v in near[u]:
                        if v in out or v == came or best.get(v, level) < level:
                            continue
                        up = tier[v] > tier[u]
                        if up and down and (v, u, came) not in allowed:
                            continue  # AS-path loop prevention drops it
                        ns: State = (v, u, not up, valley or (up and down))
                        if ns not in pred:
                            pred[ns] = st
                            best.setdefault(v, level)
                            nxt.append(ns)
                frontier = nxt
            for src in serving:
                hit = next((st for st in pred if st[0] == src and st[3] and src != dst), None)
                if hit is not None:
                    path, cur = [], hit
                    while cur is not None:
                        path.append(cur[0])
                        cur = pred[cur]
                    found.append(tuple(path))
        return found


def deadlock_findings(design: Design, waves: Iterable[tuple[int, set[str], set[str]]], turns: Iterable[Turn]) -> list[Finding]:
    """``DLK003`` findings: for the steady state and each ``(wave index, drained switches, cordoned
    servers)``, the valley paths lossless traffic would take (one finding per fabric and wave)."""
    turns = tuple(turns)
    if not turns:
        return []
    out = []
    for fabric in design.fabrics:
        if not any(d.qos is not None and d.qos.lossless for d in fabric.devices):
            continue
        graph = FabricGraph(fabric, design)
        for index, drained, cordoned in ((0, set(), set()), *waves):
            paths = graph.valley_paths(drained, cordoned, turns)
            if paths:
                when = f"wave {index} ({', '.join(sorted(drained & set(graph.devices))) or 'nothing'} drained)" if index else "steady state"
                more = f" ({len(paths) - 1} more)" if len(paths) > 1 else ""
                out.append(Finding("DLK003", Severity.ERROR, fabric.name, paths[0][0], " -> ".join(paths[0]),
                                   f"{when}: lossless traffic takes {' -> '.join(paths[0])} (down, then up){more}"))
    return out
