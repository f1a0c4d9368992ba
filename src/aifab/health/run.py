"""Read every selected device with Nornir (one NAPALM connection each, in parallel)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nornir.core.task import Result, Task

from aifab.deploy.connect import device_errors, open_nornir
from aifab.deploy.drain import marker
from aifab.deploy.heartbeat import heartbeat
from aifab.deploy.inputs import inventory_drivers
from aifab.deploy.secrets import Credentials
from aifab.design.model import Design, Device
from aifab.health.read import Plan, Reading, read_device
from aifab.render import drain_snippet


def plan(design: Design, dev: Device) -> Plan:
    """The designed ports of ``dev``, the daemons its design needs and the mark of its drain."""
    config = f"router bgp {dev.asn}\n" if dev.neighbors else ""
    return Plan(frozenset(p.name for p in dev.ports), config, marker(drain_snippet(design, dev)))


def _task(task: Task, plans: dict[str, Plan], drivers: dict[str, str]) -> Result:
    dev = task.host.get_connection("napalm", task.nornir.config)
    name = task.host.name
    driver = drivers.get(name) or str(getattr(dev, "platform", "") or type(dev).__name__)
    return Result(host=task.host, result=read_device(dev, name, driver, plans[name]))


def read_all(design: Design, names: list[str], inventory: Path, creds: Credentials,
             say: Callable[[str], None] | None = None) -> dict[str, Reading]:
    """A reading of every device in ``names``; an unreachable one (or one not in the inventory) has its
    ``error``. ``say``: where a read that runs long names the devices it still waits on."""
    devices = {d.name: d for d in design.devices()}
    drivers = inventory_drivers(inventory)
    nr = open_nornir(inventory, creds)
    try:
        hosts = nr.filter(filter_func=lambda h: h.name in set(names))
        with heartbeat(list(hosts.inventory.hosts), "health", say or (lambda _: None)) as track:
            res = hosts.run(task=track(_task), plans={n: plan(design, devices[n]) for n in names}, drivers=drivers,
                            name="health", on_failed=True)
    finally:
        nr.close_connections()
    errors = device_errors(res)
    out = {}
    for n in names:
        if n not in res:
            out[n] = Reading(n, drivers.get(n, ""), error="not in the inventory")
        elif n in errors:
            out[n] = Reading(n, drivers.get(n, ""), error=errors[n])
        else:
            out[n] = res[n][0].result
    return out
