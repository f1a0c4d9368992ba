"""Drain and undrain one device, read back: the drain snippet merged and committed, then the
running config read to see that the drain (FRR ``bgp graceful-shutdown``, EOS ``quiesce``) is
on or off."""

from __future__ import annotations

from nornir.core.task import Result, Task

from aifab.deploy.tasks.config import FOREIGN_PENDING, adopt_pending_session, merge, roll_back_pending
from aifab.design.model import Design
from aifab.plan.simulate import FabricGraph
from aifab.plan.waves import signed_lines

_NOT_MARKERS = ("exit", "!", "end")


def marker(drain_snippet: str) -> str:
    """The statement that says a device is drained: the drain snippet's innermost last line."""
    lines = [ln.strip() for ln in drain_snippet.splitlines() if ln.strip() and ln.strip() not in _NOT_MARKERS]
    return lines[-1] if lines else ""


def is_drained(running: str, drain_marker: str) -> bool:
    """True when the running config holds the drain statement."""
    return any(ln.strip() == drain_marker for ln in running.splitlines())


def drain_only(diff: str, drain_snippet: str) -> bool:
    """True when ``diff`` (a device's compare_config against its build) only takes away lines of
    ``drain_snippet``: the device is drained and otherwise runs its build."""
    lines = {ln.strip() for ln in drain_snippet.splitlines() if ln.strip()}
    changed = signed_lines(diff)
    return bool(changed) and all(sign == "-" and line in lines for sign, line in changed)


def broken_rules(design: Design, out: set[str]) -> list[str]:
    """The rollout rules broken while the switches ``out`` are drained, as a deploy's wave is judged
    (``aifab.plan.simulate``): every switch in service keeps ``upgrade.min_capacity_pct`` of its
    uplinks, never both leaves of a frontend pair, a path between every two serving leaves."""
    problems: list[str] = []
    for fabric in (design.backend, design.frontend):
        names = out & {d.name for d in fabric.devices}
        if names:
            problems += FabricGraph(fabric, design).simulate(names, set(), design.upgrade.min_capacity_pct).problems
    return problems


def read(task: Task, drain_marker: str) -> Result:
    """Whether the device is drained now, read from its running config."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    return Result(host=task.host, result=is_drained(dev.get_config(retrieve="running")["running"], drain_marker))


def set_drain(task: Task, snippet: str, drain_marker: str, drained: bool, revert_in: int | None = None,
              settle: bool = False) -> Result:
    """Merge ``snippet`` (the drain or the undrain) and read back that the drain is ``drained``. A
    commit pending confirmation on the device is first rolled back with ``settle`` (an interrupted
    deploy's, of this output: its device timer would roll it back anyway, and would undo a drain
    made on top of it); without, it is another deploy's, perhaps running now, and makes the device
    busy, touched by nothing (:data:`~aifab.deploy.tasks.config.FOREIGN_PENDING`).
    ``revert_in``: commit it under the device's revert timer, pointed at the deploy's snapshot
    (:func:`aifab.deploy.snapshot.set_revert`): a device left drained by a deploy that dies undoes
    the drain itself after that many seconds, unless :func:`hand_over` ran first."""
    first = ""
    dev = task.host.get_connection("napalm", task.nornir.config)
    if dev.has_pending_commit():
        if not settle:
            return Result(host=task.host, failed=True, result=FOREIGN_PENDING)
        settled = roll_back_pending(dev)
        if settled is False:
            return Result(host=task.host, failed=True, result="a commit pending confirmation could not be rolled back")
        first = "a pending commit rolled back first, as its device timer would; "
    merge(task, snippet, revert_in)
    now = read(task, drain_marker).result
    if now != drained:
        return Result(host=task.host, result=f"{first}read back: {drain_marker!r} is {'still ' if now else 'not '}in the running config",
                      failed=True)
    return Result(host=task.host, result=first + ("drained" if drained else "undrained"), changed=True)


def hand_over(task: Task) -> Result:
    """Just before the wave's commit: stop the revert timer a guarded drain armed, so that the commit
    can arm its own. Fails, touching nothing, when that timer already ran out (the device restored
    its snapshot and is no longer drained)."""
    dev = task.host.get_connection("napalm", task.nornir.config)
    if not dev.has_pending_commit():
        return Result(host=task.host, failed=True,
                      result="the drain's device timer ran out before the commit: the device restored its snapshot")
    adopt_pending_session(dev)
    dev.confirm_commit()
    return Result(host=task.host, result="drain timer stopped for the commit")
