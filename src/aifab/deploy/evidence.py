"""A drain that waits on evidence: the neighbours' BGP tables, read through their drivers.

After a drain (RFC 8326: the GSHUT community makes the peers set LOCAL_PREF 0 on the device's
routes) the deploy polls every BGP neighbour of the drained devices until none has a best or
multipath path through them for a prefix it can reach another way that is not de-preferred itself
("moved off"); after the undrain, until every neighbour again has a path through each of them and
none of those paths is still de-preferred ("moved back"). Both are bounded by ``upgrade.drain_wait_s``; the seconds waited
are the wave's measured times.

Each neighbour's table is read with its driver's ``cli``: ``show bgp ipv4 unicast json`` (vtysh on
frr, FRR's vtysh on the SONiC host), ``show ip bgp`` on EOS in eAPI's JSON encoding. ``paths`` turns
either into one shape: prefix -> [(peer address, best or multipath, local preference)].
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nornir.core.task import Result, Task

COMMANDS = {"eos": "show ip bgp", "sonic": "vtysh -c 'show bgp ipv4 unicast json'"}  # eos: read as JSON
FRR_COMMAND = "show bgp ipv4 unicast json"


@dataclass(frozen=True, slots=True)
class Path:
    """One BGP path as a neighbour holds it."""

    peer: str  # the address it was learnt from
    used: bool  # best or multipath: traffic takes it
    local_pref: int | None  # None when the table does not say


def _frr(data: Mapping[str, Any]) -> dict[str, list[Path]]:
    out = {}
    for prefix, paths in (data.get("routes") or {}).items():
        out[prefix] = [Path(p.get("peerId", ""), bool(p.get("bestpath") or p.get("multipath")),
                            p.get("locPrf")) for p in paths]
    return out


def _eos(data: Mapping[str, Any]) -> dict[str, list[Path]]:
    entries = ((data.get("vrfs") or {}).get("default") or {}).get("bgpRouteEntries") or {}
    out = {}
    for prefix, entry in entries.items():
        out[prefix] = [Path((p.get("peerEntry") or {}).get("peerAddr", ""),
                            bool((p.get("routeType") or {}).get("active") or (p.get("routeType") or {}).get("ecmpContributor")),
                            p.get("localPreference")) for p in entry.get("bgpRoutePaths", [])]
    return out


def paths(answer: str | Mapping[str, Any], driver: str) -> dict[str, list[Path]]:
    """A neighbour's BGP table (what its driver's ``cli`` returned: JSON text, or on EOS the
    decoded JSON) as prefix -> paths."""
    data = json.loads(answer or "{}") if isinstance(answer, str) else answer
    return _eos(data) if driver == "eos" else _frr(data)


def via(table: Mapping[str, list[Path]], peers: Iterable[str]) -> list[str]:
    """Prefixes whose used paths still go through ``peers`` although a path through another
    neighbour exists that is not de-preferred itself (LOCAL_PREF 0: a prefix of a device drained in
    the same wave is GSHUT on every path, and any of them may carry it)."""
    mine = set(peers)
    out = []
    for prefix, ps in table.items():
        through = [p for p in ps if p.peer in mine]
        others = [p for p in ps if p.peer not in mine and p.local_pref != 0]
        if through and others and any(p.used for p in through):
            out.append(prefix)
    return sorted(out)


def back(table: Mapping[str, list[Path]], peers: Iterable[str]) -> bool:
    """True when the table has a path through each of ``peers`` and none of them is still
    de-preferred by their drain: a path through them at LOCAL_PREF 0 is allowed only where every
    path of its prefix is (a device drained further away)."""
    mine = set(peers)
    seen = {p.peer for ps in table.values() for p in ps if p.peer in mine}
    if seen != mine:
        return False
    for ps in table.values():
        for p in ps:
            if p.peer in mine and p.local_pref == 0 and (len(ps) == 1 or any(q.local_pref != 0 for q in ps)):
                return False
    return True


def read_table(task: Task, driver: str) -> Result:
    """The neighbour's BGP table through its driver (``paths``)."""
    return Result(host=task.host, result=table_of(task.host.get_connection("napalm", task.nornir.config), driver))


def table_of(dev: Any, driver: str) -> dict[str, list[Path]]:
    """The BGP table of ``dev`` (a NAPALM driver of kind ``driver``) as prefix -> paths."""
    command = COMMANDS.get(driver, FRR_COMMAND)
    answer = dev.cli([command], encoding="json") if driver == "eos" else dev.cli([command])
    return paths(answer[command], driver)
