"""The pre-wave health gate: before a wave starts, every device of the wave and every other
member of its redundancy group is reachable, runs its daemons and has BGP readable; a session not
Established cuts its link; capacity is counted from what is actually up."""

from __future__ import annotations

from dataclasses import replace

from napalm.base.exceptions import NapalmException
from nornir.core.task import Result, Task

from aifab.design.model import Design
from aifab.plan.waves import Wave, natural_sorted, redundancy_group, wave_problems


def check(task: Task, config: str, sessions: bool) -> Result:
    """One device's health: its daemons that ``config`` needs are running (where the driver can
    tell, FRR) and BGP is readable. Fails with the problems found; an unreachable device fails with
    the connection error. With ``sessions``, the result's ``down`` lists the addresses of the
    sessions it has configured (the design it runs now) that are not Established: a link down
    before the wave (a broken optic) does not make the device unhealthy; the wave is judged with
    that link out of service (:func:`blockers`). Its ``configured`` lists every neighbour address
    the device has configured (a session the wave adds is not among them)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    problems = []
    down: list[str] = []
    peers: dict[str, dict[str, object]] = {}
    down_daemons = getattr(dev, "down_daemons", None)
    if callable(down_daemons):
        problems += [f"{d} is not running" for d in down_daemons(config)]
    try:
        peers = dev.get_bgp_neighbors().get("global", {}).get("peers", {})
    except NapalmException as exc:
        if not problems:
            problems.append(f"BGP unreadable: {str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__}")
    else:
        if sessions:
            down = [a for a, p in sorted(peers.items()) if not p.get("is_up")]
    return Result(host=task.host, result=problems or "healthy", failed=bool(problems), down=down, configured=sorted(peers))


def configured_neighbors(task: Task) -> Result:
    """The neighbour addresses the device has configured in its default VRF (Established or not)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    return Result(host=task.host, result=sorted(dev.get_bgp_neighbors().get("global", {}).get("peers", {})))


def port_settings(task: Task) -> Result:
    """The MTU and speed (Gb/s; 0 where the device does not know it) of each of the device's
    interfaces, as it runs them (NAPALM ``get_interfaces``: speed in Mb/s)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    return Result(host=task.host, result={name: {"mtu": int(i.get("mtu") or 0), "speed": max(int(i.get("speed") or 0), 0) // 1000}
                                          for name, i in dev.get_interfaces().items()})


def down_links(design: Design, down: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """The sessions found down (device -> peer addresses) as device -> {peer address: peer device}
    (the Design's neighbour at that address; the address itself for one the Design does not know)."""
    names = {d.name: {n.peer_address: n.peer for n in d.neighbors} for d in design.devices()}
    return {dev: {a: names.get(dev, {}).get(a, a) for a in addrs} for dev, addrs in down.items() if addrs}


def gate_devices(design: Design, wave: Wave) -> list[str]:
    """The wave's devices and every other member of their redundancy groups."""
    groups = {redundancy_group(d) for d in design.devices() if d.name in wave.devices}
    return sorted(d.name for d in design.devices() if d.name in wave.devices or redundancy_group(d) in groups)


def blockers(design: Design, wave: Wave, unhealthy: dict[str, str], held: frozenset[str] = frozenset(),
             cut: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Why ``wave`` must not start, given the devices found unhealthy (name -> reason) and the
    sessions found down (``cut``: device -> {peer address: peer device}): a device of the wave
    that is not healthy, or a rollout rule the wave would break with the unhealthy and the
    ``held`` devices (drained before the deploy) out of service as well, and the links of the
    sessions down cut (capacity counted from what is up); a rule the fabric breaks already with
    only those out (two of a leaf's four uplinks broken) counts when the wave makes it worse.
    Empty: the wave may start."""
    out = [f"{n}: not healthy ({unhealthy[n]})" for n in wave.devices if n in unhealthy]
    down = (set(unhealthy) | held) - set(wave.devices)
    links = {frozenset((dev, peer)) for dev, peers in (cut or {}).items() for peer in peers.values()}
    said = ", ".join([*natural_sorted(down), *sorted("-".join(natural_sorted(pair)) for pair in links)]) or "nothing"
    already = set(wave_problems(design, replace(wave, changes=(), cordon=()), down, links))
    out += [f"with {said} down: {p}" for p in wave_problems(design, wave, down, links) if p not in already]
    return out
