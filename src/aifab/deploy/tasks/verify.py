"""Verification after a commit: what the change meant is in effect on the device.

Designed BGP sessions Established with the fabric's hold time and keepalive configured and, with
``upgrade.bgp_timers: reset-now``, negotiated (FRR applies a new hold time only when a session is
established again: see :func:`reset_sessions`; at ``next-reset`` a negotiated value that differs is
reported pending, not failed: :func:`session_state`), BFD up where
the design enables it, prefixes sent and received on every session, expected routes with their ECMP
width, and the QoS read back (napalm_frr: the kernel settings of links.sh/qos.sh; napalm_sonic: the
QoS tables of CONFIG_DB against the candidate's).
"""

from __future__ import annotations

import json
import time
from ipaddress import ip_address, ip_network
from typing import Any

from napalm.base import NetworkDriver
from nornir.core.task import Result, Task

from aifab.deploy.tasks.expect import Expectation, RouteExpectation
from aifab.plan.waves import changed_lines
from napalm_frr.base import VtyshDriver

# Lines whose change takes effect only when a BGP session is established again (their values are
# exchanged in OPEN: hold time, capabilities); with ``upgrade.bgp_timers: reset-now`` the drained
# device's sessions are reset.
RESET_ON = ("timers bgp", "bgp graceful-restart")
RESET_ON_NEIGHBOR = (" timers ", " capability ")


def needs_reset(diff: str) -> bool:
    """True when a device's diff changes something that FRR applies only at session establishment."""
    for line in changed_lines(diff):
        if line.startswith(RESET_ON) or (line.startswith("neighbor ") and any(k in line for k in RESET_ON_NEIGHBOR)):
            return True
    return False


def reset_sessions(task: Task, diff: str) -> Result:
    """After the commit of a DRAINED device and before verify: reset its BGP sessions (hard) when
    ``diff`` (its compare_config) needs it for the change to take effect; otherwise nothing."""
    if not needs_reset(diff):
        return Result(host=task.host, result="no session reset needed", changed=False)
    dev = task.host.get_connection("napalm", task.nornir.config)
    dev.clear_bgp_sessions(hard=True)
    return Result(host=task.host, result="BGP sessions reset (hard): timers or capabilities changed", changed=True)


def default_vrf(detail: dict[str, Any]) -> dict[str, Any]:
    """The default VRF's part of NAPALM's ``get_bgp_neighbors_detail``: NAPALM names it ``global``
    (napalm_frr, napalm_sonic), its eos driver by the VRF's own name, ``default``."""
    return detail.get("global") or detail.get("default") or {}


def session_state(detail: dict[str, Any], bfd: dict[str, str] | None, expect: Expectation, pending: frozenset[str],
                  bgp_timers: str = "reset-now", outside: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Problems of the device's sessions (``detail``: napalm's get_bgp_neighbors_detail, ``bfd``:
    get_bfd_peers or None) and the timers not yet in effect.

    A configured hold time other than the designed one is a problem. A negotiated timer other than
    the configured one is, with ``bgp_timers`` ``reset-now`` (the sessions were reset, unless the
    peer is in ``pending``: not committed yet, it negotiates its old, lower value), a problem; with
    ``next-reset`` it is pending, never a failure: "hold time configured 15 s, negotiated 9 s on 4
    sessions: in effect at the next session reset" (second list). So is one with a peer in
    ``outside`` (left out of the deploy by --limit/--exclude: it negotiates what it runs), until
    that peer is deployed too."""
    problems = []
    later: dict[tuple[str, int, int], int] = {}
    elsewhere: dict[tuple[str, int, int], int] = {}
    by_addr = {p["remote_address"]: p for by_as in default_vrf(detail).values() for p in by_as}
    peer_names = dict(zip(expect.peers, expect.peer_names, strict=False))
    for addr in expect.peers:
        p = by_addr.get(addr)
        if p is None or not p["up"]:
            problems.append(f"BGP session to {addr} not Established")
            continue
        if expect.hold_s and p["configured_holdtime"] and p["configured_holdtime"] != expect.hold_s:
            problems.append(f"BGP session to {addr}: hold time {p['configured_holdtime']}s configured, {expect.hold_s}s designed")
        # negotiated = the lower of both ends' hold times: the designed one once the peer has its config too
        for what, designed, negotiated in (("hold time", expect.hold_s, p["holdtime"]), ("keepalive", expect.keepalive_s, p["keepalive"])):
            if not designed or negotiated == designed:
                continue
            if bgp_timers == "next-reset":
                later[(what, designed, negotiated)] = later.get((what, designed, negotiated), 0) + 1
            elif peer_names.get(addr) in outside:
                elsewhere[(what, designed, negotiated)] = elsewhere.get((what, designed, negotiated), 0) + 1
            elif peer_names.get(addr) not in pending:
                problems.append(f"BGP session to {addr}: {what} {negotiated}s negotiated, {designed}s configured")
        if p["received_prefix_count"] < 1 or p["advertised_prefix_count"] < 1:
            problems.append(f"BGP session to {addr}: {p['received_prefix_count']} prefixes received, "
                            f"{p['advertised_prefix_count']} sent")
    if expect.bfd and bfd is not None:
        problems += [f"BFD to {a}: {bfd.get(a, 'no session')}" for a in expect.peers if bfd.get(a) != "up"]
    waiting = [f"{what} configured {c} s, negotiated {n} s on {k} session{'s' if k > 1 else ''}: in effect at the next session reset"
               for (what, c, n), k in sorted(later.items())]
    waiting += [f"{what} configured {c} s, negotiated {n} s on {k} session{'s' if k > 1 else ''} with switches left out of "
                "this deploy: in effect once they are deployed too" for (what, c, n), k in sorted(elsewhere.items())]
    return problems, waiting


def _qos_problems(dev: NetworkDriver, candidate: str | None) -> list[str]:
    if hasattr(dev, "get_kernel_settings"):  # napalm_frr: the last commit's links.sh/qos.sh read back
        return [f"{label}: {s['reason']}" for label, s in dev.get_kernel_settings().items() if s["state"] == "differs"]
    if hasattr(dev, "get_qos") and candidate and candidate.lstrip().startswith("{"):  # napalm_sonic
        want: dict[str, Any] = json.loads(candidate).get("config_db", {})
        have = dev.get_qos()["config_db"]
        return [f"CONFIG_DB {t} differs from the candidate" for t in have.keys() | want.keys()
                if t in want and have.get(t) != want[t]]
    return []


Table = dict[str, list[dict[str, Any]]]  # NAPALM get_route_to: prefix -> an entry per next hop (EOS: per BGP path)
BGP = ("bgp", "ebgp", "ibgp")  # NAPALM's protocol names of BGP routes: FRR and SONiC "bgp", EOS "eBGP" and "iBGP"


def longest_match(table: Table, addresses: list[str]) -> list[list[dict[str, Any]]]:
    """For each IPv4 address, the entries of the longest prefix of ``table`` holding it (none: [])."""
    by_length: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for prefix, entries in table.items():
        net = ip_network(prefix, strict=False)
        if net.version == 4:
            by_length.setdefault(net.prefixlen, {})[int(net.network_address) >> (32 - net.prefixlen)] = entries
    lengths = sorted(by_length, reverse=True)
    out = []
    for address in addresses:
        value = int(ip_address(address))
        out.append(next((by_length[n][value >> (32 - n)] for n in lengths if value >> (32 - n) in by_length[n]), []))
    return out


def installed_paths(table: Table) -> Table:
    """NAPALM eos ``get_route_to``, as the verify counts paths: EOS lists every BGP path of a prefix
    (``show ip bgp``) and marks only the best one active, while its ECMP members are the route's
    installed next hops (``show ip route``'s vias, which give a path its ``outgoing_interface``);
    so a BGP path whose next hop is installed counts as active. Only the default VRF is kept (the
    fabric's; MGMT's default route is no path of it)."""
    out: Table = {}
    for prefix, entries in table.items():
        kept = [{**e, "current_active": bool(e.get("current_active") or e.get("outgoing_interface"))}
                if e.get("protocol", "").lower() in BGP else e
                for e in entries if e.get("routing_table", "default") == "default"]
        if kept:
            out[prefix] = kept
    return out


def _routes_to(dev: NetworkDriver, probes: list[str]) -> list[list[dict[str, Any]]]:
    """The route entries each probe address matches on the device: its whole IPv4 table is read
    once (``get_route_to("0.0.0.0/0", longer=True)``: FRR and SONiC ``show ip route 0.0.0.0/0
    longer-prefixes json``, EOS ``show ip route vrf VRF 0.0.0.0/0 longer-prefixes detail`` and
    ``show ip bgp 0.0.0.0/0 longer-prefixes vrf VRF``) and each probe takes its longest match
    there, as ``show ip route ADDRESS`` does: one read per poll, not one per other leaf (a
    thousand at 32k GPUs)."""
    if not probes:
        return []
    table = dev.get_route_to(destination="0.0.0.0/0", longer=True)
    return longest_match(table if isinstance(dev, VtyshDriver) else installed_paths(table), probes)


def route_problems(routes: tuple[RouteExpectation, ...], found: list[list[dict[str, Any]]]) -> list[str]:
    """Each expected route whose active BGP paths (distinct next hops) are not its ECMP width (or,
    with ``at_least``, fewer)."""
    problems = []
    for route, entries in zip(routes, found, strict=True):
        paths = {(nh.get("next_hop"), nh.get("outgoing_interface")) for nh in entries
                 if nh.get("current_active") and nh.get("protocol", "").lower() in BGP}
        if len(paths) < route.width if route.at_least else len(paths) != route.width:
            problems.append(f"{route.prefix}: {len(paths)} BGP paths, expected {'at least ' if route.at_least else ''}{route.width}")
    return problems


def eos_bfd_peers(data: dict[str, Any]) -> dict[str, str]:
    """EOS ``show bfd peers`` (JSON: ``vrfs`` -> VRF -> ``ipv4Neighbors`` -> address ->
    ``peerStats`` -> interface -> ``status``) -> peer address -> status, in the default VRF; a peer
    with several sessions is up only when every one is."""
    peers = ((data.get("vrfs") or {}).get("default") or {}).get("ipv4Neighbors") or {}
    out = {}
    for address, peer in peers.items():
        states = {str(s.get("status", "")) for s in (peer.get("peerStats") or {}).values()}
        out[address] = "up" if states == {"up"} else ",".join(sorted(states - {"up"})) or "no session"
    return out


def bfd_state(dev: NetworkDriver) -> dict[str, str] | None:
    """BFD sessions, peer address -> status: napalm_frr's and napalm_sonic's ``get_bfd_peers``,
    EOS ``show bfd peers`` (NAPALM has no BFD getter); None for a driver with neither."""
    if hasattr(dev, "get_bfd_peers"):
        return dev.get_bfd_peers()
    if getattr(dev, "platform", "") == "eos":
        return eos_bfd_peers(dev.cli(["show bfd peers"], encoding="json")["show bfd peers"])
    return None


def _problems(dev: NetworkDriver, expect: Expectation, candidate: str | None, pending: frozenset[str],
              bgp_timers: str, outside: frozenset[str]) -> tuple[list[str], list[str]]:
    bfd = bfd_state(dev) if expect.bfd else None
    problems, waiting = session_state(dev.get_bgp_neighbors_detail(), bfd, expect, pending, bgp_timers, outside)
    if problems:
        return problems, waiting
    problems = route_problems(expect.routes, _routes_to(dev, [r.probe for r in expect.routes]))
    return problems + _qos_problems(dev, candidate), waiting


def verify(task: Task, expect: Expectation, timeout_s: float = 60.0, interval_s: float = 1.0,
           candidate: str | None = None, pending: frozenset[str] = frozenset(), bgp_timers: str = "reset-now",
           outside: frozenset[str] = frozenset()) -> Result:
    """Poll until the device meets its expectation or ``timeout_s`` passes (then fail with the reasons).
    ``candidate``: the committed candidate, whose QoS tables a SONiC switch must hold. ``pending``:
    devices of this rollout not committed yet; a session to one negotiates its old, lower timers;
    ``outside``: devices left out of the rollout, whose lower timers are reported, not failed.
    ``bgp_timers``: the intent's ``upgrade.bgp_timers`` (see :func:`session_state`); the timers not
    yet in effect are the result's ``timers_pending`` (a list of lines, empty when none)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    deadline = time.monotonic() + timeout_s
    while True:
        problems, waiting = _problems(dev, expect, candidate, pending, bgp_timers, outside)
        if not problems or time.monotonic() >= deadline:
            break
        time.sleep(interval_s)
    return Result(host=task.host, result=problems or "verified", failed=bool(problems), timers_pending=waiting)


def reach(task: Task, routes: tuple[RouteExpectation, ...]) -> Result:
    """One read of the device's routes (its table read once, as :func:`verify` does): fails with
    each of ``routes`` that does not have its ECMP width; ``reached`` when every one does."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    problems = route_problems(routes, _routes_to(dev, [r.probe for r in routes]))
    return Result(host=task.host, result=problems or "reached", failed=bool(problems))
