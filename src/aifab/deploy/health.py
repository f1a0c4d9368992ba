"""The pre-wave health gate: before a wave starts, every device of the wave and every other
member of its redundancy group is reachable, runs its daemons and has every designed session
Established; capacity is counted from what is actually up."""

from __future__ import annotations

from napalm.base.exceptions import NapalmException
from nornir.core.task import Result, Task

from aifab.design.model import Design
from aifab.plan.waves import Wave, natural_sorted, redundancy_group, wave_problems


def check(task: Task, config: str, sessions: bool) -> Result:
    """One device's health: its daemons that ``config`` needs are running (where the driver can
    tell, FRR), BGP is readable and, when ``sessions``, every session it has configured (the
    design it runs now) is Established. Fails with the problems found; an unreachable device
    fails with the connection error."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    problems = []
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
            problems += [f"BGP session to {a} not Established" for a, p in sorted(peers.items()) if not p.get("is_up")]
    return Result(host=task.host, result=problems or "healthy", failed=bool(problems))


def gate_devices(design: Design, wave: Wave) -> list[str]:
    """The wave's devices and every other member of their redundancy groups."""
    groups = {redundancy_group(d) for d in design.devices() if d.name in wave.devices}
    return sorted(d.name for d in design.devices() if d.name in wave.devices or redundancy_group(d) in groups)


def blockers(design: Design, wave: Wave, unhealthy: dict[str, str], held: frozenset[str] = frozenset()) -> list[str]:
    """Why ``wave`` must not start, given the devices found unhealthy (name -> reason): a device
    of the wave that is not healthy, or a rollout rule the wave would break with the unhealthy
    and the ``held`` devices (drained before the deploy) out of service as well (capacity counted
    from what is up). Empty: the wave may start."""
    out = [f"{n}: not healthy ({unhealthy[n]})" for n in wave.devices if n in unhealthy]
    down = (set(unhealthy) | held) - set(wave.devices)
    out += [f"with {', '.join(natural_sorted(down)) or 'nothing'} down: {p}" for p in wave_problems(design, wave, down)]
    return out
