"""A rollout wave simulated on the Design graph: what one fabric keeps while some switches are out.

For every switch still in service: the share of its uplink bandwidth whose far end is in service
(``upgrade.min_capacity_pct``); for every pair of leaves that serve uncordoned servers: the ECMP
paths left between them, counted as the distinct switches of the tier above (or, across pods, of
the top tier) that both still reach; never both leaves of a frontend pair out at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from aifab.design.model import Design, FabricDesign


@dataclass(frozen=True, slots=True)
class Simulation:
    """What one fabric keeps during a wave; ``problems`` name every rule the wave breaks."""

    min_capacity_pct: float  # the lowest residual uplink bandwidth of a switch in service, %
    min_paths: int | None  # the fewest paths between two leaves serving uncordoned servers (None: no such pair)
    problems: tuple[str, ...]


class FabricGraph:
    """The switch-to-switch links of one fabric, with the servers behind each leaf."""

    def __init__(self, fabric: FabricDesign, design: Design) -> None:
        self.fabric = fabric.name
        self.devices = {d.name: d for d in fabric.devices}
        up: dict[str, list[tuple[str, int]]] = defaultdict(list)
        down: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for d in fabric.devices:
            for p in d.ports:
                if p.role == "uplink" and p.peer in self.devices:
                    up[d.name].append((p.peer, p.speed))
                    down[p.peer].append((d.name, p.speed))
        self.up = {k: tuple(v) for k, v in up.items()}
        self.down = {k: tuple(v) for k, v in down.items()}
        self.total_up = {k: sum(s for _, s in v) for k, v in self.up.items()}
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
        """Every rule checked for the wave that takes ``out`` out of service and cordons ``cordoned``."""
        problems: list[str] = []
        low = 100.0
        for name in self.up:
            if name in out:
                continue
            pct = self.residual_pct(name, out)
            low = min(low, pct)
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
