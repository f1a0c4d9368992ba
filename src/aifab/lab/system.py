"""The host side of the lab: requirements, ``ip`` commands, namespaces and their processes."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from aifab.lab.topology import LabError

FRR_DIR = Path("/usr/lib/frr")
DAEMONS = ("zebra", "bgpd", "bfdd", "staticd")
NETNS_DIR = Path("/var/run/netns")
_TOOLS = ("ip", "unshare", "nsenter", "ssh-keygen", "vtysh")


class LabUnavailable(LabError):
    """This machine cannot run the lab (not root, FRR or openssh-server missing)."""


def missing_requirements() -> list[str]:
    """What this machine lacks to run the lab (empty when it can)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces, FRR and sshd need it)")
    for daemon in DAEMONS:
        if not (FRR_DIR / daemon).is_file():
            missing.append(f"{FRR_DIR / daemon} (Debian package frr)")
    if not (FRR_DIR / "frr-reload.py").is_file():
        missing.append(f"{FRR_DIR / 'frr-reload.py'} (Debian package frr-pythontools)")
    if not Path("/usr/sbin/sshd").is_file():
        missing.append("/usr/sbin/sshd (Debian package openssh-server)")
    missing += [f"{tool} in PATH" for tool in _TOOLS if shutil.which(tool) is None]
    if shutil.which("ethtool") is None:  # as on a real FRR switch: links.sh sets port speeds, the driver reads them
        missing.append("ethtool in PATH (Debian package ethtool)")
    try:
        pwd.getpwnam("frr")
    except KeyError:
        missing.append("user frr (Debian package frr)")
    return missing


def require() -> None:
    """Raise ``LabUnavailable`` listing everything missing."""
    missing = missing_requirements()
    if missing:
        raise LabUnavailable("aifab lab needs: " + "; ".join(missing))


def run(argv: list[str], what: str, stdin: str | None = None, timeout: float = 30.0) -> str:
    """Run a command; on failure raise ``LabError`` starting with ``what`` (a node or step)."""
    try:
        res = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{what}: {argv[0]} failed: {exc}") from None
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip().splitlines()
        raise LabError(f"{what}: {' '.join(argv[:4])} ... exited {res.returncode}: {' | '.join(detail[-3:])}")
    return res.stdout


def ip_batch(lines: list[str], what: str, netns: str | None = None) -> None:
    """Run ``ip`` commands in one process (``ip [-n NS] -batch -``)."""
    if lines:
        run(["ip", *(["-n", netns] if netns else []), "-batch", "-"], what, stdin="\n".join(lines) + "\n")


def namespaces() -> set[str]:
    """Names of the existing named network namespaces."""
    try:
        return {p.name for p in NETNS_DIR.iterdir()}
    except FileNotFoundError:
        return set()


def netns_pids(name: str) -> list[int]:
    """Live processes (not zombies) inside a named namespace."""
    try:
        target = os.stat(NETNS_DIR / name)
    except FileNotFoundError:
        return []
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry.name}/ns/net")
        except OSError:  # gone, or a kernel thread / zombie without namespaces
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            pids.append(int(entry.name))
    return pids


def process_name(pid: int) -> str | None:
    """``comm`` of a process, None when it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def kill_all(pids: list[int], grace_s: float = 5.0) -> list[int]:
    """SIGTERM the processes, SIGKILL what is left after ``grace_s``; returns survivors (should be none)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if alive(p)]
            if pids:
                time.sleep(0.05)
        if not pids:
            break
    return pids


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def delete_netns(name: str) -> None:
    """Kill every process in the namespace and delete it (its veths go with it)."""
    survivors = kill_all(netns_pids(name))
    if survivors:
        raise LabError(f"{name}: processes {survivors} survive SIGKILL")
    if (NETNS_DIR / name).exists():
        run(["ip", "netns", "delete", name], name)
