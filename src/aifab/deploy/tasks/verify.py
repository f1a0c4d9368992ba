"""Verification after a commit: what the change meant is in effect on the device.

Designed BGP sessions Established with the fabric's hold time and keepalive negotiated (FRR applies
a new hold time only when a session is established again: see :func:`reset_sessions`), BFD up where
the design enables it, prefixes sent and received on every session, expected routes with their ECMP
width, and the QoS read back (napalm_frr: the kernel settings of links.sh/qos.sh; napalm_sonic: the
QoS tables of CONFIG_DB against the candidate's).
"""

from __future__ import annotations

import json
import time
from typing import Any

from napalm.base import NetworkDriver
from nornir.core.task import Result, Task

from aifab.deploy.tasks.expect import Expectation
from aifab.plan.waves import changed_lines

# Lines whose change takes effect only when a BGP session is established again (their values are
# exchanged in OPEN: hold time, capabilities), so the drained device's sessions are reset.
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


def _session_problems(dev: NetworkDriver, expect: Expectation, pending: frozenset[str]) -> list[str]:
    problems = []
    detail = {p["remote_address"]: p for by_as in dev.get_bgp_neighbors_detail().get("global", {}).values() for p in by_as}
    peer_names = dict(zip(expect.peers, expect.peer_names, strict=False))
    for addr in expect.peers:
        p = detail.get(addr)
        if p is None or not p["up"]:
            problems.append(f"BGP session to {addr} not Established")
            continue
        if expect.hold_s and p["configured_holdtime"] and p["configured_holdtime"] != expect.hold_s:
            problems.append(f"BGP session to {addr}: hold time {p['configured_holdtime']}s configured, {expect.hold_s}s designed")
        # negotiated = the lower of both ends' hold times: the designed one once the peer has its config too
        if expect.hold_s and peer_names.get(addr) not in pending and p["holdtime"] != expect.hold_s:
            problems.append(f"BGP session to {addr}: hold time {p['holdtime']}s negotiated, {expect.hold_s}s configured")
        if expect.keepalive_s and peer_names.get(addr) not in pending and p["keepalive"] != expect.keepalive_s:
            problems.append(f"BGP session to {addr}: keepalive {p['keepalive']}s negotiated, {expect.keepalive_s}s configured")
        if p["received_prefix_count"] < 1 or p["advertised_prefix_count"] < 1:
            problems.append(f"BGP session to {addr}: {p['received_prefix_count']} prefixes received, "
                            f"{p['advertised_prefix_count']} sent")
    if expect.bfd and hasattr(dev, "get_bfd_peers"):
        bfd = dev.get_bfd_peers()
        problems += [f"BFD to {a}: {bfd.get(a, 'no session')}" for a in expect.peers if bfd.get(a) != "up"]
    return problems


def _qos_problems(dev: NetworkDriver, candidate: str | None) -> list[str]:
    if hasattr(dev, "get_kernel_settings"):  # napalm_frr: the last commit's links.sh/qos.sh read back
        return [f"{label}: {s['reason']}" for label, s in dev.get_kernel_settings().items() if s["state"] == "differs"]
    if hasattr(dev, "get_qos") and candidate and candidate.lstrip().startswith("{"):  # napalm_sonic
        want: dict[str, Any] = json.loads(candidate).get("config_db", {})
        have = dev.get_qos()["config_db"]
        return [f"CONFIG_DB {t} differs from the candidate" for t in have.keys() | want.keys()
                if t in want and have.get(t) != want[t]]
    return []


def _problems(dev: NetworkDriver, expect: Expectation, candidate: str | None, pending: frozenset[str]) -> list[str]:
    problems = _session_problems(dev, expect, pending)
    if problems:
        return problems
    for route in expect.routes:
        found = dev.get_route_to(destination=route.probe)
        paths = [nh for entries in found.values() for nh in entries if nh.get("current_active") and nh.get("protocol", "").lower() == "bgp"]
        if len(paths) != route.width:
            problems.append(f"{route.prefix}: {len(paths)} BGP paths, expected {route.width}")
    return problems + _qos_problems(dev, candidate)


def verify(task: Task, expect: Expectation, timeout_s: float = 60.0, interval_s: float = 1.0,
           candidate: str | None = None, pending: frozenset[str] = frozenset()) -> Result:
    """Poll until the device meets its expectation or ``timeout_s`` passes (then fail with the reasons).
    ``candidate``: the committed candidate, whose QoS tables a SONiC switch must hold. ``pending``:
    devices of this rollout not committed yet; a session to one negotiates its old, lower timers."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    deadline = time.monotonic() + timeout_s
    while True:
        problems = _problems(dev, expect, candidate, pending)
        if not problems or time.monotonic() >= deadline:
            break
        time.sleep(interval_s)
    return Result(host=task.host, result=problems or "verified", failed=bool(problems))
