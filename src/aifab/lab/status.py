"""What a running lab shows: nodes, processes, BGP sessions and routes per switch; waiting for BGP."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from aifab.design.model import Design
from aifab.lab import state, switch, system
from aifab.lab.lifecycle import Lab
from aifab.lab.topology import LabError, Topology, topology


@dataclass(frozen=True, slots=True)
class SwitchStatus:
    name: str
    netns: str
    management: str
    processes: tuple[str, ...]  # lab processes alive (zebra, bgpd, bfdd, staticd, sshd)
    sessions: dict[str, str]  # peer address -> BGP state, for every configured peer
    routes: int  # IPv4 routes in the RIB (-1 when zebra cannot be asked)

    @property
    def established(self) -> int:
        return sum(1 for s in self.sessions.values() if s == "Established")


@dataclass(frozen=True, slots=True)
class HostStatus:
    name: str
    netns: str
    present: bool


@dataclass(frozen=True, slots=True)
class LabStatus:
    cluster: str
    state_dir: Path
    up: bool  # the state record says the lab finished coming up
    switches: tuple[SwitchStatus, ...]
    hosts: tuple[HostStatus, ...]

    @property
    def healthy(self) -> bool:
        """Up, every lab process alive on every switch, every configured BGP session Established."""
        return self.up and all(len(s.processes) == len(switch.PROCESSES) and s.established == len(s.sessions)
                               for s in self.switches)


def sessions(topo: Topology, name: str) -> dict[str, str]:
    """BGP state per configured peer of a switch (default VRF, IPv4 unicast)."""
    data = json.loads(switch.vtysh(topo.switch(name), "show bgp vrf default summary json") or "{}")
    peers = data.get("ipv4Unicast", {}).get("peers", {})
    return {addr: p.get("state", "?") for addr, p in peers.items()}


def status(design: Design, state_dir: Path | None = None) -> LabStatus:
    """The lab of ``design`` as it is now (nothing is changed)."""
    topo = topology(design)
    state_dir = state_dir or state.default_state_dir(design.cluster)
    existing = system.namespaces()
    switches = []
    for sw in topo.switches:
        procs = switch.running(sw) if sw.netns in existing else {}
        peers: dict[str, str] = {}
        routes = -1
        if "zebra" in procs:
            try:
                if "bgpd" in procs:
                    peers = sessions(topo, sw.name)
                summary = json.loads(switch.vtysh(sw, "show ip route summary json") or "{}")
                routes = int(summary.get("routesTotal", 0))
            except (LabError, ValueError):
                pass
        switches.append(SwitchStatus(sw.name, sw.netns, sw.management, tuple(p for p in switch.PROCESSES if p in procs),
                                     peers, routes))
    hosts = tuple(HostStatus(h.name, h.netns, h.netns in existing) for h in topo.hosts)
    return LabStatus(topo.cluster, state_dir, bool(state.read(state_dir).get("ready")), tuple(switches), hosts)


def wait_established(lab: Lab, design: Design, timeout: float = 60.0, interval: float = 0.5) -> float:
    """Wait until every designed BGP session of every switch is Established; returns the seconds waited.

    Raises ``LabError`` naming the sessions still down after ``timeout``.
    """
    start = time.monotonic()
    want = {d.name: {n.peer_address for n in d.neighbors} for d in design.devices()}
    while True:
        late = time.monotonic() - start > timeout
        down = []
        for name, peers in want.items():
            got = sessions(lab.topology, name) if peers else {}
            down += [f"{name}->{p} ({got.get(p, 'not configured')})" for p in sorted(peers) if got.get(p) != "Established"]
            if down and not late:
                break  # one is enough to keep waiting; list them all only when giving up
        if not down:
            return time.monotonic() - start
        if late:
            raise LabError(f"BGP not Established after {timeout:.0f} s: {', '.join(down[:6])}"
                           + (f" and {len(down) - 6} more" if len(down) > 6 else ""))
        time.sleep(interval)
