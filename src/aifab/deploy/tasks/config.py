"""Config tasks: load a candidate and diff it, commit, confirm, discard, merge a snippet (rollback:
``aifab.deploy.snapshot.restore``, read back)."""

from __future__ import annotations

import inspect

from napalm.base import NetworkDriver
from napalm.base.exceptions import NapalmException
from nornir.core.task import Result, Task


def _device(task: Task) -> NetworkDriver:
    return task.host.get_connection("napalm", task.nornir.config)


def roll_back_pending(dev: NetworkDriver) -> bool | None:
    """Roll back a commit pending confirmation (an interrupted deploy's drain or commit, under its
    device timer) to the config before that commit. None: none was pending; True: rolled back;
    False: one is still pending."""
    if not dev.has_pending_commit():
        return None
    adopt_pending_session(dev)
    dev.rollback()
    return not dev.has_pending_commit()


def adopt_pending_session(dev: NetworkDriver) -> None:
    """NAPALM's eos driver rolls back (``configure session NAME abort``) or confirms only a pending
    commit of its own config session, and raises for any other: one an earlier connection left (an
    interrupted deploy's) is taken as this connection's session first, as it is the only one EOS
    lets wait on a commit timer. Other drivers keep no such name: nothing to do."""
    pending = getattr(dev, "_get_pending_commits", None)
    if callable(pending) and getattr(dev, "config_session", "") is None:
        names = list(pending())
        if len(names) == 1:
            dev.config_session = names[0]


FOREIGN_PENDING = ("busy: a commit pending confirmation that no deploy into this output left: another deploy may be "
                   "running on it (if not, its device timer restores it); deploy again once it is confirmed or "
                   "restored, or into the output of the deploy that left it")


def load_candidate(task: Task, config: str, settle: bool = False, foreign: bool = False) -> Result:
    """Load ``config`` as a full replacement candidate; the result says whether the device carries
    traffic now (any BGP session up), which of its settings the device cannot hold
    (``not_applicable``: setting -> why, from drivers that know, napalm_frr's kernel settings) and
    the diff against running. ``settle``: first roll back a commit pending confirmation
    (:func:`roll_back_pending`; ``settled`` in the result), so that the diff, the snapshot and
    the drain start from what the device keeps; fails when one stays pending. ``foreign``: a commit
    pending confirmation is none this deploy's output left (another deploy's, perhaps running):
    fails (:data:`FOREIGN_PENDING`), touching nothing."""
    dev = _device(task)
    if foreign and dev.has_pending_commit():
        return Result(host=task.host, failed=True, result=FOREIGN_PENDING)
    settled = roll_back_pending(dev) if settle else None
    if settled is False:
        return Result(host=task.host, failed=True, result="a commit pending confirmation could not be rolled back")
    try:
        peers = dev.get_bgp_neighbors().get("global", {}).get("peers", {})
        carrying = any(p.get("is_up") for p in peers.values())
    except NapalmException:  # BGP unreadable (bgpd down?): assume the device carries traffic
        carrying = True
    dev.load_replace_candidate(config=config)
    diff = dev.compare_config()
    probe = getattr(dev, "kernel_not_applicable", None)
    not_applicable = probe() if callable(probe) else {}
    return Result(host=task.host, result={"carrying": carrying, "not_applicable": not_applicable, "settled": bool(settled)},
                  diff=diff, changed=bool(diff.strip()))


def discard(task: Task) -> Result:
    """Drop the loaded candidate."""
    _device(task).discard_config()
    return Result(host=task.host)


def commit(task: Task, revert_in: int | None = None) -> Result:
    """Commit the candidate; where the driver can (EOS), with an automatic revert timer. The result:
    ``{"status": "committed" | "pending confirmation", "not_applied": {setting: why}}`` (settings
    the device could not hold, napalm_frr's ``kernel_report``)."""
    dev = _device(task)
    timed = revert_in is not None and "revert_in" in inspect.signature(dev.commit_config).parameters
    if timed:
        dev.commit_config(revert_in=revert_in)
    else:
        dev.commit_config()
    return Result(host=task.host, changed=True, result={
        "status": "pending confirmation" if timed else "committed",
        "not_applied": dict(getattr(dev, "kernel_report", None) or {})})


def confirm(task: Task) -> Result:
    """Confirm a commit made with a revert timer (a no-op where none is pending)."""
    dev = _device(task)
    if dev.has_pending_commit():
        dev.confirm_commit()
    return Result(host=task.host)


def merge(task: Task, config: str, revert_in: int | None = None) -> Result:
    """Merge a snippet (drain or undrain) and commit it at once; with ``revert_in``, under the
    device's revert timer (the caller has checked that the driver takes one)."""
    dev = _device(task)
    dev.load_merge_candidate(config=config)
    diff = dev.compare_config()
    if diff.strip():
        if revert_in is None:
            dev.commit_config()
        else:
            dev.commit_config(revert_in=revert_in)
    else:
        dev.discard_config()
    return Result(host=task.host, result=diff, changed=bool(diff.strip()))
