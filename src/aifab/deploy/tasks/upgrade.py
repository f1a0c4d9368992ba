"""Software upgrade tasks: read the version a device runs, and run its upgrade method
(docs/impact.md#software-upgrades; the commands cite docs/sources.md#upgrade-eos, #upgrade-sonic,
#upgrade-frr).

- ``restart`` (frr, napalm_frr): the driver's ``upgrade_software``: install, stop every FRR daemon,
  start them again, read the version back.
- ``warm-reboot`` / ``fast-reboot`` (sonic, napalm_sonic): ``sonic-installer install`` and the reboot,
  through the driver, which reconnects and reads ``show version``.
- ``ssu`` / ``reload`` (eos, NAPALM's eos driver): :func:`eos_upgrade` over eAPI.

Whatever the method, the task passes only when the version the device reports afterwards is the
one asked for.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import CommandErrorException
from nornir.core.task import Result, Task

SSU_READY = "No warnings or unsupported configuration found"


def _device(task: Task) -> NetworkDriver:
    return task.host.get_connection("napalm", task.nornir.config)


def version_of(dev: NetworkDriver) -> str:
    """The version the device says it runs (the driver's own reading where it has one)."""
    own = getattr(dev, "get_software_version", None)
    if callable(own):
        return str(own())
    node = getattr(dev, "device", None)
    if node is not None and hasattr(node, "run_commands"):  # EOS over eAPI
        return str(node.run_commands(["show version"])[0]["version"])
    return str(dev.get_facts()["os_version"])


def running_version(task: Task) -> Result:
    """The version the device runs now."""
    return Result(host=task.host, result=version_of(_device(task)))


def eos_upgrade(dev: Any, version: str, method: str, wait_s: float = 900.0, poll_s: float = 10.0) -> dict[str, Any]:
    """EOS: the image ``flash:EOS-<version>.swi`` (staged beforehand) as the boot image, then
    ``reload fast-boot now`` (``ssu``, after ``show reload fast-boot`` reports no warning) or
    ``reload now``; reconnect once eAPI answers (at most ``wait_s``) and read ``show version``."""
    node = dev.device
    image = f"flash:EOS-{version}.swi"
    node.run_commands([f"dir {image}"], encoding="text")  # an eAPI error when the image is not on flash
    if method == "ssu":
        check = node.run_commands(["show reload fast-boot"], encoding="text")[0]["output"]
        if SSU_READY not in check:
            raise CommandErrorException(f"SSU not possible: {check.strip()[:300]}")
    node.run_commands(["configure", f"boot system {image}", "end", "write memory"])
    with contextlib.suppress(Exception):  # the switch reloads: eAPI may not answer
        node.run_commands(["reload fast-boot now" if method == "ssu" else "reload now"], encoding="text")
    dev.close()
    deadline = time.monotonic() + wait_s
    while True:
        time.sleep(poll_s)
        try:
            dev.open()
            return {"version": version_of(dev), "method": method}
        except Exception as exc:  # not back yet
            if time.monotonic() > deadline:
                raise CommandErrorException(f"not back {wait_s:.0f} s after the {method}: {type(exc).__name__}: {exc}") from None


def upgrade(task: Task, version: str, method: str, down_s: float = 2.0) -> Result:
    """Upgrade the device to ``version`` with ``method``; failed unless it then reports ``version``.
    The result: the version read back, the method, the seconds it took (and the driver's phases)."""
    dev = _device(task)
    start = time.monotonic()
    if getattr(dev, "platform", "") == "frr":  # napalm_frr: the daemons' restart (a sonic switch in the FRR lab too)
        info = dev.upgrade_software(version, down_s=down_s)
        method = "restart"
    elif method in ("warm-reboot", "fast-reboot") and callable(getattr(dev, "upgrade_software", None)):
        info = dev.upgrade_software(version, method=method)
    elif method in ("ssu", "reload"):
        info = eos_upgrade(dev, version, method)
    else:
        return Result(host=task.host, failed=True, result=f"no upgrade method {method!r} for this driver")
    got = str(info.get("version", ""))
    took = round(time.monotonic() - start, 3)
    if got != version:
        return Result(host=task.host, failed=True, result=f"runs {got!r} after the {method}, not {version!r}")
    return Result(host=task.host, changed=True, result={**info, "method": method, "seconds": took})
