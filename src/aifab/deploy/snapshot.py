"""Snapshots and true rollback: each device's running config read before anything touches it,
restored by replacing the running config with it and reading it back."""

from __future__ import annotations

import contextlib
import difflib
import os
from pathlib import Path

from napalm.base import NetworkDriver
from napalm.base.exceptions import NapalmException
from nornir.core.task import Result, Task


def _device(task: Task) -> NetworkDriver:
    return task.host.get_connection("napalm", task.nornir.config)


def normalise(config: str) -> list[str]:
    """The lines a device means: trailing blanks, empty lines and ``!`` comment lines (FRR's
    separators, EOS's headers with their timestamps) left out; nothing else is changed."""
    return [ln.rstrip() for ln in config.splitlines() if ln.strip() and not ln.lstrip().startswith("!")]


def difference(want: str, got: str) -> str:
    """A unified diff from ``want`` (the snapshot) to ``got`` (read back); "" when they match."""
    return "\n".join(difflib.unified_diff(normalise(want), normalise(got), "snapshot", "running", lineterm="", n=1))


def take(task: Task) -> Result:
    """Read the device's running config (the snapshot)."""
    return Result(host=task.host, result=_device(task).get_config(retrieve="running")["running"])


def set_revert(task: Task, snapshot: str) -> Result:
    """Point the driver's revert timer at the snapshot where the driver can (FRR); EOS's timer
    restores the config before the commit."""
    dev = _device(task)
    setter = getattr(dev, "set_revert_config", None)
    if callable(setter):
        setter(snapshot)
    return Result(host=task.host, result=callable(setter))


def restore(task: Task, snapshot: str) -> Result:
    """Return the device to ``snapshot``: a pending revert timer is confirmed away (the snapshot
    replaces whatever it would restore), the snapshot loaded as a full replacement and committed
    (skipped when the running config already matches), then the running config read back.
    Fails, with the difference, unless what is read back matches the snapshot."""
    dev = _device(task)
    error = ""
    try:
        if dev.has_pending_commit():
            dev.confirm_commit()
        running = dev.get_config(retrieve="running")["running"]
        if normalise(running) != normalise(snapshot):
            dev.load_replace_candidate(config=snapshot)
            dev.commit_config()
    except NapalmException as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        with contextlib.suppress(NapalmException):
            dev.discard_config()
    running = dev.get_config(retrieve="running")["running"]
    diff = difference(snapshot, running)
    if not diff and not error:
        return Result(host=task.host, result="rolled back")
    reason = "; ".join(x for x in (error, "running config differs from the snapshot" if diff else "") if x)
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
