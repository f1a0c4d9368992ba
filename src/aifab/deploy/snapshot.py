"""Snapshots and true rollback: each device's state read before anything touches it, restored by
replacing the running config with it and reading it back.

The state is what a replace candidate carries: the running config, and on a driver that keeps
settings outside it (napalm_frr's ``get_candidate_snapshot``: the kernel settings of links.sh and
qos.sh) those settings too, each read back from the kernel after a restore."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
from pathlib import Path

from napalm.base import NetworkDriver
from napalm.base.exceptions import NapalmException
from nornir.core.task import Result, Task

from aifab.deploy.tasks.config import adopt_pending_session


def _device(task: Task) -> NetworkDriver:
    return task.host.get_connection("napalm", task.nornir.config)


def normalise(config: str) -> list[str]:
    """The lines a device means: trailing blanks, empty lines and ``!`` comment lines (FRR's
    separators, EOS's headers with their timestamps) left out; nothing else is changed."""
    return [ln.rstrip() for ln in config.splitlines() if ln.strip() and not ln.lstrip().startswith("!")]


def config_lines(state: str) -> list[str]:
    """The lines a device state means (:func:`normalise`); a bundle of files (a JSON object of
    texts, napalm_frr's) file by file, each line after its file's name."""
    files = None
    if state.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            files = json.loads(state)
    if isinstance(files, dict) and files and all(isinstance(v, str) for v in files.values()):
        return [f"{name}: {line}" for name in sorted(files) for line in normalise(files[name])]
    return normalise(state)


def difference(want: str, got: str) -> str:
    """A unified diff from ``want`` (the snapshot) to ``got`` (read back); "" when they match."""
    return "\n".join(difflib.unified_diff(config_lines(want), config_lines(got), "snapshot", "running", lineterm="", n=1))


def read_state(dev: NetworkDriver) -> str:
    """The device's state as a replace candidate: the driver's ``get_candidate_snapshot`` where it
    has one (napalm_frr: frr.conf and the kernel settings of its last commit), else its running config."""
    reader = getattr(dev, "get_candidate_snapshot", None)
    return reader() if callable(reader) else dev.get_config(retrieve="running")["running"]


def kernel_differs(dev: NetworkDriver) -> list[str]:
    """The recorded kernel settings the kernel does not hold (napalm_frr reads them back); [] elsewhere."""
    reader = getattr(dev, "get_kernel_settings", None)
    return [label for label, s in reader().items() if s["state"] == "differs"] if callable(reader) else []


def take(task: Task) -> Result:
    """Read the device's state (the snapshot, :func:`read_state`)."""
    return Result(host=task.host, result=read_state(_device(task)))


def set_revert(task: Task, snapshot: str) -> Result:
    """Point the driver's revert timer at the snapshot where the driver can (FRR: its frr.conf and
    kernel settings; SONiC: its CONFIG_DB and frr.conf); EOS's timer restores the config before the
    commit."""
    dev = _device(task)
    setter = getattr(dev, "set_revert_config", None)
    if callable(setter):
        setter(snapshot)
    return Result(host=task.host, result=callable(setter))


def restore(task: Task, snapshot: str) -> Result:
    """Return the device to ``snapshot``: a pending revert timer is confirmed away (the snapshot
    replaces whatever it would restore), the snapshot loaded as a full replacement and committed
    (skipped when the device's state already matches), then the state read back, kernel settings
    from the kernel. Fails, with the difference, unless what is read back matches the snapshot."""
    dev = _device(task)
    error = ""
    beyond = getattr(dev, "kernel_beyond", None)
    kept = beyond(snapshot) if callable(beyond) else []  # kernel settings the change added: no restore takes them away
    try:
        if dev.has_pending_commit():
            adopt_pending_session(dev)
            dev.confirm_commit()
        if config_lines(read_state(dev)) != config_lines(snapshot) or kernel_differs(dev):
            dev.load_replace_candidate(config=snapshot)
            dev.commit_config()
    except NapalmException as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        with contextlib.suppress(NapalmException):
            dev.discard_config()
    diff = difference(snapshot, read_state(dev))
    kernel = kernel_differs(dev)
    if not diff and not error and not kernel and not kept:
        return Result(host=task.host, result="rolled back")
    reason = "; ".join(x for x in (error, "running config differs from the snapshot" if diff else "",
                                   f"the kernel does not hold {', '.join(kernel[:3])}" if kernel else "",
                                   f"the kernel keeps {', '.join(kept[:3])} (the change added it; nothing in the snapshot undoes it)"
                                   if kept else "") if x)
    return Result(host=task.host, result=reason, diff=diff, failed=True)


def save(directory: Path, snapshots: dict[str, str]) -> Path:
    """Write each snapshot to ``directory/<device>.conf`` (mode 600: a config may hold secrets)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in snapshots.items():
        path = directory / f"{name}.conf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    return directory
