"""Run a command inside a lab node's namespaces: ``aifab lab exec`` and ``Lab.run``.

A switch's FRR and sshd run in the switch's network namespace plus its own mount namespace
(``/etc/frr``, ``/run/frr`` with the daemons' vty sockets) and UTS namespace (its hostname), so
``ip netns exec`` alone gives a shell whose vtysh finds no daemon. ``nsenter`` into one of the
switch's processes enters all three. A host has only its network namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aifab.lab import state
from aifab.lab.switch import PROCESSES, node_dir
from aifab.lab.system import netns_pids, process_name
from aifab.lab.topology import LabError


@dataclass(frozen=True, slots=True)
class Node:
    """A node of a running lab: a switch (FRR, sshd) or a host (addresses only) or ``mgmt``."""

    name: str
    netns: str
    switch: bool


def enter(node: Node) -> list[str]:
    """The argv prefix that runs a command in ``node``'s namespaces."""
    if not node.switch:
        return ["ip", "netns", "exec", node.netns]
    procs = {process_name(pid): pid for pid in sorted(netns_pids(node.netns), reverse=True)}  # the oldest of a name
    pid = next((procs[name] for name in PROCESSES if name in procs), None)  # zebra first
    if pid is None:
        raise LabError(f"{node.name}: none of {', '.join(PROCESSES)} runs in {node.netns}: "
                       "the lab is degraded (aifab lab status INTENT; aifab lab up --force INTENT)")
    return ["nsenter", "-t", str(pid), "-n", "-m", "-u"]


def _labs(root: Path) -> dict[str, tuple[Path, dict]]:
    """The labs that finished coming up under ``root``: cluster -> (state directory, record)."""
    try:
        dirs = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return {}
    out = {}
    for d in dirs:
        record = state.read(d)
        if record.get("ready") and record.get("cluster"):
            out[record["cluster"]] = (d, record)
    return out


def find(device: str, cluster: str | None = None, state_dir: Path | None = None) -> Node:
    """The node ``device`` of the running lab (of ``cluster``, or in ``state_dir``, or the only lab
    that has it); ``LabError`` in one line when no lab is up or the device is not in it."""
    if state_dir is not None:
        record = state.read(state_dir)
        labs = {record.get("cluster", str(state_dir)): (state_dir, record)} if record.get("ready") else {}
        where = f" in {state_dir}"
    else:
        labs = _labs(state.STATE_ROOT)
        where = ""
        if cluster is not None:
            labs = {c: v for c, v in labs.items() if c == cluster}
            where = f" of cluster {cluster}"
    if not labs:
        raise LabError(f"no lab{where} is up (aifab lab up INTENT)")
    have = [c for c, (_, rec) in labs.items() if rec.get("prefix", "") + device in rec.get("namespaces", ())]
    if len(have) > 1:
        raise LabError(f"{device} is a node of the labs of clusters {', '.join(have)}: name one with --cluster")
    if not have:
        nodes = "; ".join(f"{c}: {', '.join(_nodes(rec))}" for c, (_, rec) in labs.items())
        raise LabError(f"{device}: no such node in the running lab{'s' if len(labs) > 1 else ''} ({nodes})")
    d, record = labs[have[0]]
    return Node(device, record["prefix"] + device, node_dir(d, device).is_dir())


def _nodes(record: dict) -> list[str]:
    """Node names of a lab record: switches and hosts, then ``mgmt``."""
    names = [ns[len(record["prefix"]):] for ns in record.get("namespaces", ())]
    return names[1:] + names[:1]  # the record lists the management namespace first

