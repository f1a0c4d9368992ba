"""Drain and undrain one device, read back: the drain snippet merged and committed, then the
running config read to see that the drain (FRR ``bgp graceful-shutdown``, EOS ``quiesce``) is
on or off."""

from __future__ import annotations

from nornir.core.task import Result, Task

from aifab.deploy.tasks.config import merge

_NOT_MARKERS = ("exit", "!", "end")


def marker(drain_snippet: str) -> str:
    """The statement that says a device is drained: the drain snippet's innermost last line."""
    lines = [ln.strip() for ln in drain_snippet.splitlines() if ln.strip() and ln.strip() not in _NOT_MARKERS]
    return lines[-1] if lines else ""


def is_drained(running: str, drain_marker: str) -> bool:
    """True when the running config holds the drain statement."""
    return any(ln.strip() == drain_marker for ln in running.splitlines())


def read(task: Task, drain_marker: str) -> Result:
    """Whether the device is drained now, read from its running config."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    return Result(host=task.host, result=is_drained(dev.get_config(retrieve="running")["running"], drain_marker))


def set_drain(task: Task, snippet: str, drain_marker: str, drained: bool) -> Result:
    """Merge ``snippet`` (the drain or the undrain) and read back that the drain is ``drained``."""
    merge(task, snippet)
    now = read(task, drain_marker).result
    if now != drained:
        return Result(host=task.host, result=f"read back: {drain_marker!r} is {'still ' if now else 'not '}in the running config",
                      failed=True)
    return Result(host=task.host, result="drained" if drained else "undrained", changed=True)
