"""ISSU-safe change plans: classify each device's change and group changes into safe waves.

Rules (facts section 7): drain before work; one spine per spine group (plane) at a time, which
leaves N/(N-1) oversubscription for the wave; never both leaves of a dual-homed frontend pair;
at most ``rail_leaves_per_su`` rail leaves of one SU, naming the servers to cordon (a GPU NIC is
single-homed, facts section 2). Pure functions: the deploy stage runs the waves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from aifab.design.model import Design, Device
from aifab.errors import AifabError

Kind = Literal["initial", "hitless", "drain", "cordon"]

# Diff lines that change nothing a packet or a BGP session sees.
_COSMETIC = ("description", "!", "#", "alias")


class PlanError(AifabError):
    """The change cannot be rolled out without losing a job's network."""


@dataclass(frozen=True, slots=True)
class Change:
    """One device's change and what it takes to make it safely."""

    device: str
    kind: Kind
    diff: str
    cordon: tuple[str, ...] = ()  # servers the scheduler must cordon first


@dataclass(frozen=True, slots=True)
class Wave:
    """Devices changed together; ``capacity`` says what the fabric keeps meanwhile."""

    index: int
    changes: tuple[Change, ...]
    capacity: tuple[str, ...]

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(c.device for c in self.changes)


_FRR_SECTIONS = ("Lines To Delete", "Lines To Add")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def changed_lines(diff: str) -> list[str]:
    """The changed lines of a diff, without context: a unified diff's ``+``/``-`` lines, or the
    commands of frr-reload's "Lines To Delete"/"Lines To Add" (a line followed by a deeper one is
    only the context of that one)."""
    lines = diff.splitlines()
    if any(line in _FRR_SECTIONS for line in lines):
        body = [ln for ln in lines if ln.strip() and ln not in _FRR_SECTIONS and set(ln.strip()) != {"="}]
        out = [ln.strip() for ln, nxt in zip(body, [*body[1:], ""], strict=True) if _indent(nxt) <= _indent(ln)]
        return [ln.removeprefix("no ").strip() for ln in out]
    out = []
    for line in lines:
        if line.startswith(("+++", "---", "@@")):
            continue
        if line[:1] in "+-" and line[1:].strip():
            out.append(line[1:].strip())
    return out


def classify(device: Device, diff: str, carrying: bool = True) -> Change:
    """Initial when the device carries no traffic yet (no BGP session up); hitless when only
    cosmetic lines change; else drain, or cordon for a rail leaf."""
    if not carrying:
        return Change(device.name, "initial", diff)
    if all(line.startswith(_COSMETIC) for line in changed_lines(diff)):
        return Change(device.name, "hitless", diff)
    if device.fabric == "backend" and device.role == "leaf":
        servers = tuple(sorted({p.peer for p in device.ports if p.role == "server"}))
        return Change(device.name, "cordon", diff, servers)
    return Change(device.name, "drain", diff)


def _group(dev: Device) -> tuple[object, ...]:
    """Devices that share a redundancy group: at most ``limit`` of a group per wave."""
    if dev.role == "leaf":
        return (dev.fabric, "leaf", dev.pair) if dev.fabric == "frontend" else (dev.fabric, "leaf-su", dev.su)
    if dev.role == "core":
        return (dev.fabric, "core", dev.plane)
    return (dev.fabric, "spine", dev.pod)


def redundancy_group(dev: Device) -> tuple[object, ...]:
    """The redundancy group of ``dev``: (fabric, kind, which), e.g. the spines of a pod, a frontend
    leaf pair, the rail leaves of an SU."""
    return _group(dev)


def group_limit(design: Design, dev: Device, kind: Kind, members: int) -> int:
    """How many of the ``members`` of ``dev``'s redundancy group may be out at once for a change
    of ``kind`` (a cordoned rail leaf's servers are out anyway; a drain keeps one member up)."""
    limits = {"leaf-su": design.upgrade.rail_leaves_per_su, "leaf": 1,
              "spine": design.upgrade.spines_per_wave, "core": design.upgrade.spines_per_wave}
    most = limits[str(_group(dev)[1])]
    return most if kind == "cordon" else min(most, members - 1)


def plan_waves(design: Design, changes: list[Change]) -> list[Wave]:
    """Group changes into waves that keep every safety rule, top tier first.

    Initial configurations (no BGP yet) go together first, then hitless changes together. Raises PlanError when a drain would leave
    a group with no member (a single spine, say): no wave can then keep traffic flowing.
    """
    by_name = {d.name: d for d in design.devices()}
    members: dict[tuple[object, ...], int] = defaultdict(int)
    for dev in by_name.values():
        members[_group(dev)] += 1

    waves: list[Wave] = []
    initial = tuple(c for c in changes if c.kind == "initial")
    if initial:
        waves.append(Wave(0, initial, ("no drain: these devices carry no traffic yet",)))
    hitless = tuple(c for c in changes if c.kind == "hitless")
    if hitless:
        waves.append(Wave(0, hitless, ("no drain: cosmetic changes only",)))
    disruptive = [c for c in changes if c.kind in ("drain", "cordon")]

    def limit(c: Change) -> int:
        dev = by_name[c.device]
        return group_limit(design, dev, c.kind, members[_group(dev)])

    for c in disruptive:
        if limit(c) < 1:
            dev = by_name[c.device]
            raise PlanError(f"{c.device}: cannot drain hitlessly, it is the only member of its {_group(dev)[1]} group "
                            f"({dev.fabric}); schedule a maintenance window")
    for tier in (3, 2, 1):
        pending = sorted((c for c in disruptive if by_name[c.device].tier == tier), key=lambda c: c.device)
        while pending:
            taken: dict[tuple[object, ...], int] = defaultdict(int)
            wave, rest = [], []
            for c in pending:
                group = _group(by_name[c.device])
                if taken[group] < limit(c):
                    taken[group] += 1
                    wave.append(c)
                else:
                    rest.append(c)
            capacity = tuple(
                f"{g[0]} {g[1]}{'' if g[2] is None else f' {g[2]}'}: {n} of {members[g]} out"
                + (f", {members[g] / (members[g] - n):.2f}:1 oversubscription" if g[1] in ("spine", "core") else "")
                for g, n in sorted(taken.items(), key=str))
            waves.append(Wave(0, tuple(wave), capacity))
            pending = rest
    return [Wave(i, w.changes, w.capacity) for i, w in enumerate(waves, start=1)]
