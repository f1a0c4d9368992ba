"""ISSU-safe change plans: classify each device's change and group changes into safe waves.

Rules (facts section 7): drain before work; one spine per spine group (plane) at a time, which
leaves N/(N-1) oversubscription for the wave; never both leaves of a dual-homed frontend pair;
at most ``rail_leaves_per_su`` rail leaves of one SU, naming the servers to cordon (a GPU NIC is
single-homed, facts section 2). Pure functions: the deploy stage runs the waves.
"""

from __future__ import annotations

import json
import re
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


# Section titles of the drivers' compare_config: frr-reload.py's, a merge's, napalm_frr's kernel
# settings ("file: command" lines) and napalm_sonic's CONFIG_DB JSON Patch (one operation a line).
_FRR_SECTIONS = ("Lines To Delete", "Lines To Add", "Lines To Merge", "FRR Lines To Merge")
_KERNEL = "Kernel Settings To Apply"
_CONFIG_DB = re.compile(r"^CONFIG_DB \(.*\)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line in _FRR_SECTIONS or line == _KERNEL or _CONFIG_DB.match(line):
            out.append((line, []))
        elif out and line.strip() and set(line.strip()) != {"="}:
            out[-1][1].append(line)
    return out


def _patch_line(line: str) -> str | None:
    """A JSON Patch operation as ``op path`` ("description" when it sets only a description)."""
    text = line.strip().rstrip(",")
    if text in ("[", "]"):
        return None
    try:
        op = json.loads(text)
    except ValueError:
        return text
    path = str(op.get("path", ""))
    return "description" if path.endswith("/description") else f"{op.get('op')} {path} {json.dumps(op.get('value'))}"


def changed_lines(diff: str) -> list[str]:
    """The changed lines of a diff, without context: one function for the review's unified diffs of
    the rendered files and the deploy's compare_config output (frr-reload's "Lines To Delete"/"Lines
    To Add", where a line followed by a deeper one is only its context; napalm_frr's kernel
    settings; napalm_sonic's CONFIG_DB patch operations)."""
    lines = diff.splitlines()
    sections = _sections(lines)
    if sections:
        out = []
        for title, body in sections:
            if title == _KERNEL:
                out += [ln.split(": ", 1)[-1].strip() for ln in body]
            elif _CONFIG_DB.match(title):
                out += [p for p in map(_patch_line, body) if p]
            else:
                ctx = [ln.strip() for ln, nxt in zip(body, [*body[1:], ""], strict=True) if _indent(nxt) <= _indent(ln)]
                out += [ln.removeprefix("no ").strip() for ln in ctx]
        return out
    out = []
    for line in lines:
        if line.startswith(("+++", "---", "@@")):
            continue
        if line[:1] in "+-" and line[1:].strip():
            out.append(line[1:].strip().lstrip('"'))  # a JSON file's key: "description": ...
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


def plan_waves(design: Design, changes: list[Change]) -> list[Wave]:
    """Group changes into waves that keep every safety rule, top tier first.

    Initial configurations (no BGP yet) go together first, then hitless changes together. Raises PlanError when a drain would leave
    a group with no member (a single spine, say): no wave can then keep traffic flowing.
    """
    by_name = {d.name: d for d in design.devices()}
    members: dict[tuple[object, ...], int] = defaultdict(int)
    for dev in by_name.values():
        members[_group(dev)] += 1
    limits = {"leaf-su": design.upgrade.rail_leaves_per_su, "leaf": 1,
              "spine": design.upgrade.spines_per_wave, "core": design.upgrade.spines_per_wave}

    waves: list[Wave] = []
    initial = tuple(c for c in changes if c.kind == "initial")
    if initial:
        waves.append(Wave(0, initial, ("no drain: these devices carry no traffic yet",)))
    hitless = tuple(c for c in changes if c.kind == "hitless")
    if hitless:
        waves.append(Wave(0, hitless, ("no drain: cosmetic changes only",)))
    disruptive = [c for c in changes if c.kind in ("drain", "cordon")]

    def limit(c: Change) -> int:
        group = _group(by_name[c.device])
        most = limits[str(group[1])]
        return most if c.kind == "cordon" else min(most, members[group] - 1)

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
