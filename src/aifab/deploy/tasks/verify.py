"""Verification: designed BGP sessions Established, expected routes with their ECMP width."""

from __future__ import annotations

import time

from napalm.base import NetworkDriver
from nornir.core.task import Result, Task

from aifab.deploy.tasks.expect import Expectation


def _problems(dev: NetworkDriver, expect: Expectation) -> list[str]:
    problems = []
    peers = dev.get_bgp_neighbors().get("global", {}).get("peers", {})
    for addr in expect.peers:
        if not peers.get(addr, {}).get("is_up"):
            problems.append(f"BGP session to {addr} not Established")
    if problems:
        return problems
    for route in expect.routes:
        found = dev.get_route_to(destination=route.probe)
        paths = [nh for entries in found.values() for nh in entries if nh.get("current_active") and nh.get("protocol", "").lower() == "bgp"]
        if len(paths) != route.width:
            problems.append(f"{route.prefix}: {len(paths)} BGP paths, expected {route.width}")
    return problems


def verify(task: Task, expect: Expectation, timeout_s: float = 60.0, interval_s: float = 1.0) -> Result:
    """Poll until the device meets its expectation or ``timeout_s`` passes (then fail with the reasons)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    deadline = time.monotonic() + timeout_s
    while True:
        problems = _problems(dev, expect)
        if not problems or time.monotonic() >= deadline:
            break
        time.sleep(interval_s)
    return Result(host=task.host, result=problems or "verified", failed=bool(problems))
