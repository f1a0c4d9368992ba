"""The frr software-upgrade step in the lab: stop every FRR daemon of a switch, wait, start them again.

This is the traffic shape of a reload: the switch's control plane goes away and comes back with
its boot config (``/etc/frr/frr.conf``, what the last deploy wrote). Graceful (the intent's BGP
graceful restart, ``upgrade.graceful_restart_s``, is in every rendered frr.conf): the daemons are
killed without a word, as a crash or a kernel-preserving restart leaves them, so zebra does not
flush its routes from the kernel (the switch keeps forwarding) and bgpd sends no NOTIFICATION
(its peers, GR helpers, keep the switch's routes as stale); zebra comes back with ``-K
<graceful_restart_s>`` so it keeps the kernel routes it finds until bgpd has relearnt them. Not
graceful: the daemons are stopped with SIGTERM as ``systemctl stop frr`` does: bgpd tells its peers
(Cease) and zebra removes its routes.

Then it waits, bounded, until every designed session of the switch is Established again.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aifab.design.model import Design
from aifab.lab import switch as lab_switch
from aifab.lab.system import DAEMONS, alive, run
from aifab.lab.topology import LabError

if TYPE_CHECKING:
    from aifab.lab.lifecycle import Lab

STOP_ORDER = ("bgpd", "bfdd", "staticd", "zebra")  # routing protocols first, zebra (the FIB) last


@dataclass(frozen=True, slots=True)
class UpgradeTimings:
    """Seconds per phase of one switch's upgrade step."""

    device: str
    graceful: bool
    stop_s: float  # until every daemon was gone
    down_s: float  # the wait with no daemon running
    start_s: float  # until the daemons were up with their config loaded
    established_s: float  # from start until every designed session was Established
    total_s: float


def _cmdlines(lab: Lab, device: str) -> dict[str, tuple[int, list[str]]]:
    procs = lab_switch.running(lab.topology.switch(device))
    out = {}
    for name in DAEMONS:
        if name not in procs:
            raise LabError(f"{device}: {name} is not running: nothing to upgrade")
        argv = Path(f"/proc/{procs[name]}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        out[name] = (procs[name], [a.decode() for a in argv])
    return out


def sessions(lab: Lab, device: str) -> dict[str, str]:
    """BGP state per configured peer of ``device`` (empty while bgpd is down)."""
    try:
        data = json.loads(lab.vtysh(device, "show bgp vrf default summary json") or "{}")
    except (LabError, ValueError):
        return {}
    return {addr: p.get("state", "?") for addr, p in data.get("ipv4Unicast", {}).get("peers", {}).items()}


def wait_sessions(lab: Lab, design: Design, device: str, timeout: float = 60.0) -> float:
    """Wait until every designed session of ``device`` is Established; the seconds waited.
    ``LabError`` naming the sessions still down after ``timeout``."""
    dev = next((d for d in design.devices() if d.name == device), None)
    if dev is None:
        raise LabError(f"{device}: no such device in the design of cluster {design.cluster}")
    start = time.monotonic()
    while True:
        got = sessions(lab, device)
        down = [f"{n.peer} ({got.get(n.peer_address, 'not configured')})" for n in dev.neighbors
                if got.get(n.peer_address) != "Established"]
        if not down:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise LabError(f"{device}: BGP not Established {timeout:.0f} s after the restart: {', '.join(down)}")
        time.sleep(0.2)


def upgrade_frr(lab: Lab, design: Design, device: str, *, graceful: bool, down_s: float = 2.0,
                timeout: float = 60.0) -> UpgradeTimings:
    """Stop every FRR daemon of ``device``, wait ``down_s``, start them again with the boot config and
    wait (at most ``timeout``) until every designed session is Established; the time per phase.

    ``graceful``: keep forwarding through the restart (BGP graceful restart, zebra keeps the kernel
    routes); otherwise a clean stop that withdraws everything, as a plain reload does.
    """
    begin = time.monotonic()
    daemons = _cmdlines(lab, device)
    sshd = lab_switch.running(lab.topology.switch(device)).get("sshd")
    if sshd is None:
        raise LabError(f"{device}: sshd is not running: cannot enter the switch's namespaces to restart FRR")
    for name in STOP_ORDER:
        pid = daemons[name][0]
        os.kill(pid, signal.SIGKILL if graceful else signal.SIGTERM)
        deadline = time.monotonic() + 10
        while alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline += 5
            time.sleep(0.02)
    stopped = time.monotonic()
    time.sleep(down_s)
    restart = time.monotonic()
    commands = []
    for name in DAEMONS:  # zebra first, as the boot script starts them
        argv = list(daemons[name][1])
        argv = [a for i, a in enumerate(argv) if a != "-K" and (i == 0 or argv[i - 1] != "-K")]
        if name == "zebra" and graceful:
            argv += ["-K", str(design.upgrade.graceful_restart_s)]
        commands.append(argv)
    for argv in commands:
        run(["nsenter", "-t", str(sshd), "-n", "-m", "-u", *argv], f"{device}: start {Path(argv[0]).name}")
    run(["nsenter", "-t", str(sshd), "-n", "-m", "-u", "vtysh", "-b"], f"{device}: load the boot config")
    started = time.monotonic()
    wait_sessions(lab, design, device, timeout=timeout)
    end = time.monotonic()
    return UpgradeTimings(device, graceful, round(stopped - begin, 3), round(restart - stopped, 3),
                          round(started - restart, 3), round(end - restart, 3), round(end - begin, 3))
