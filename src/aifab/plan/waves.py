"""ISSU-safe change plans: classify each device's change by its impact and group the changes into
waves that spare GPUs (docs/impact.md, docs/sources.md#upgrade-rules).

``classify`` takes the change kinds of a device (from the semantic change set between two Designs,
``plan.changes``, else read from the diff text) and the impact table (``plan.impact``): hitless ->
no drain and no cordon; port-flap on a rail leaf's server ports only -> cordon those servers, no
drain; anything else disruptive -> drain (and cordon every server of a rail leaf). ``plan_waves``
packs the changes into the fewest waves that keep every rule (``plan.simulate``) after the least
cordoned GPU-time. Pure functions: the deploy stage runs the waves.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from aifab.design.model import Design, Device
from aifab.errors import AifabError
from aifab.plan.changes import ChangeSet, natural_sorted
from aifab.plan.impact import (
    ACCESS_TABLES,
    CABLED,
    LOSSLESS_PG,
    RESET_NOW,
    ROWS,
    UNKNOWN,
    Impact,
    any_pattern,
    impact_of,
    line_kinds,
    scoped_kinds,
    worst,
)
from aifab.plan.simulate import FabricGraph, Simulation
from aifab.plan.upgrade import method_for, steps
from aifab.platforms import platform
from aifab.render.view import natural_key

Kind = Literal["initial", "hitless", "drain", "cordon"]

# Work time per impact class, seconds, for the duration estimate (project choice, docs/impact.md).
WORK_S: dict[Impact, int] = {"hitless": 5, "port-flap": 15, "session-reset": 30, "reload": 600, "re-cabling": 3600}


class PlanError(AifabError):
    """The change cannot be rolled out without losing a job's network."""


@dataclass(frozen=True, slots=True)
class Change:
    """One device's change and what it takes to make it safely.

    ``kind`` is the rollout action; ``impact`` the impact class behind it (default: reload for a
    drain or cordon, else hitless); ``drain`` whether the device is drained first (default: for a
    drain or a cordon); ``reasons`` the change kinds and their classes.
    """

    device: str
    kind: Kind
    diff: str
    cordon: tuple[str, ...] = ()  # servers the scheduler must cordon first
    impact: Impact | None = None
    reasons: tuple[str, ...] = ()
    drain: bool | None = None
    upgrade: str = ""  # software upgrade method (plan.upgrade), "" no upgrade
    version: str = ""  # the version it upgrades to
    config: bool = True  # a config change is committed (False: a software upgrade alone)
    work_s: int | None = None  # estimated work time; None: by impact class (WORK_S)
    platform: str = ""  # the device's platform ("": not known, its QoS counted as not read back)

    def __post_init__(self) -> None:
        disruptive = self.kind in ("drain", "cordon")
        if self.impact is None:
            object.__setattr__(self, "impact", UNKNOWN if disruptive else "hitless")
        if self.drain is None:
            object.__setattr__(self, "drain", disruptive)


@dataclass(frozen=True, slots=True)
class Wave:
    """Devices changed together; ``capacity`` says what the fabric keeps meanwhile."""

    index: int
    changes: tuple[Change, ...]
    capacity: tuple[str, ...]
    cordon: tuple[str, ...] = ()  # servers cordoned for this wave, natural order
    gpus: int = 0  # GPUs of those servers
    min_capacity_pct: float | None = 100.0  # lowest residual uplink bandwidth of a switch in service (None: none is)
    min_paths: int | None = None  # fewest paths left between two leaves serving uncordoned servers
    duration_s: int = 0  # estimate: drain wait + work + soak

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(c.device for c in self.changes)


def change_steps(change: Change, design: Design) -> tuple[str, ...]:
    """The steps the deploy runs for ``change`` (``plan.upgrade.steps``)."""
    return steps(drain=bool(change.drain), upgrade=change.upgrade, version=change.version, config=change.config,
                 soak_s=design.upgrade.soak_s if change.drain else 0, drain_wait_s=design.upgrade.drain_wait_s,
                 qos_read_back=platform(change.platform).qos_read_back if change.platform else "")


# Section titles of the drivers' compare_config: frr-reload.py's, a merge's, napalm_frr's kernel
# settings ("file: command" lines) and napalm_sonic's CONFIG_DB JSON Patch (one operation a line).
_FRR_SECTIONS = ("Lines To Delete", "Lines To Add", "Lines To Merge", "FRR Lines To Merge")
_KERNEL = ("Kernel Settings To Apply", "Kernel Settings Taken Back")  # a command run either way
_CONFIG_DB = re.compile(r"^CONFIG_DB \(.*\)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line in _FRR_SECTIONS or line in _KERNEL or _CONFIG_DB.match(line):
            out.append((line, []))
        elif out and line.strip() and set(line.strip()) != {"="}:
            out[-1][1].append(line)
    return out


# CONFIG_DB's QoS map tables, each by the PORT_QOS_MAP field that applies it to a port (docs/sources.md#qos-defaults-sonic)
_MAP_TABLES = {"DSCP_TO_TC_MAP": "dscp_to_tc_map", "TC_TO_QUEUE_MAP": "tc_to_queue_map",
               "TC_TO_PRIORITY_GROUP_MAP": "tc_to_pg_map", "MAP_PFC_PRIORITY_TO_QUEUE": "pfc_to_queue_map"}


def _patch_lines(line: str) -> list[tuple[str, str, str | None]]:
    """A JSON Patch operation as the config_db.json lines it changes (``"field": value``), so one
    table of line kinds reads the review's file diff and the device's patch alike; each with the port
    its path names (``/PORT/Ethernet24/...``, ``/INTERFACE/Ethernet24|10.1.2.10~131``,
    ``/CABLE_LENGTH/AZURE/Ethernet24``), else None. A replace or remove that shows the value it takes
    away (napalm_sonic's ``was``) has it as removed lines; one that does not says so."""
    text = line.strip().rstrip(",")
    if text in ("[", "]", ""):
        return []
    try:
        op = json.loads(text)
    except ValueError:
        return [("+", text, None)]
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in str(op.get("path", "")).split("/")[1:]]
    verb, value = op.get("op"), op.get("value")
    if verb == "add":
        return _value_lines("+", tokens, value)
    if "was" in op:
        before = _value_lines("-", tokens, op["was"])
    elif verb == "replace":  # the value taken away, not in the operation: said as a removed line
        before = [("-", f'{ln.split(": ", 1)[0]}: (replaced)', port) for _, ln, port in _value_lines("-", tokens, value)]
    elif len(tokens) >= 3:
        before = _value_lines("-", tokens, None)
    else:  # a whole entry or table, its fields not in the operation: said with its table
        before = [("-", f'"{"|".join(tokens)}": (removed)', _port(tokens))]
    return before + (_value_lines("+", tokens, value) if verb == "replace" else [])


def _port(tokens: list[str]) -> str | None:
    """The port a CONFIG_DB path names, if any; "" for a lossless priority group's profile as a
    whole (added or removed): in effect only on the ports whose ``BUFFER_PG`` names it, each named
    by its own operation."""
    if tokens[0] == "BUFFER_PROFILE" and len(tokens) == 2 and tokens[1].startswith(LOSSLESS_PG):
        return ""
    return next((t.split("|")[0] for t in tokens[1:] if t.startswith("Ethernet")), None)


def _value_lines(sign: str, tokens: list[str], value: Any) -> list[tuple[str, str, str | None]]:
    """The config_db.json lines of ``value`` at the path ``tokens``, each with ``sign`` and its port."""
    port = _port(tokens)
    if tokens and tokens[0] in _MAP_TABLES:  # a map's entries are bare numbers ("24": "3"): said as the map
        return [(sign, f'"{_MAP_TABLES[tokens[0]]}": {json.dumps({"/".join(tokens[1:]): value})}', None)]
    if len(tokens) == 1 and isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return [line for key, entry in value.items() for line in _value_lines(sign, [*tokens, key], entry)]  # a table
    if isinstance(value, dict) and value:
        return [(sign, f'"{_field(tokens, k)}": {json.dumps(v)}', port) for k, v in value.items()]
    if len(tokens) >= 3:
        return [(sign, f'"{_field(tokens, tokens[-1])}": {json.dumps(value)}', port)]
    return [(sign, f'"{tokens[-1] if tokens else ""}": {{}}', port)]


def _field(tokens: list[str], name: str) -> str:
    """A field's name as its line says it, with what the field alone does not say: the fields of a
    pool and of a lossless priority group's profile with their table and entry
    (``BUFFER_POOL|ingress_lossless_pool|size``; ``BUFFER_PROFILE|pg_lossless_400000_5m_profile|xoff``,
    a port's headroom by SONiC's profile naming), an access table's fields (``NTP_SERVER|iburst``) and
    a port's name (the field of a table keyed by port inside, ``CABLE_LENGTH|AZURE``) with their table."""
    if tokens[0] == "BUFFER_POOL" or (tokens[0] == "BUFFER_PROFILE" and tokens[1:2] and tokens[1].startswith(LOSSLESS_PG)):
        return "|".join([*tokens[:2], name])
    return f"{tokens[0]}|{name}" if tokens[0] in ACCESS_TABLES or name.startswith("Ethernet") else name


_DEV = re.compile(r"(?:\bdev |\bethtool -s )(\S+)")  # the port a shell command sets


def _port_of(block: str) -> str | None:
    """The port a top-level line opens (``interface swp6``), else None."""
    return block.split()[1] if block.startswith("interface ") and len(block.split()) > 1 else None


def scoped_lines(diff: str) -> list[tuple[str, str, str | None]]:
    """The changed lines of a diff with their sign, without context, each with the port whose block
    (or kernel command, or CONFIG_DB key) it is in, None outside one: a unified diff's ``+``/``-``
    lines (the review's diff of the rendered files), or a driver's compare_config (the deploy's):
    frr-reload's "Lines To Delete" (``-``) and "Lines To Add" (``+``), where a line followed by a
    deeper one is only the context of that one; napalm_frr's kernel settings, applied or taken back
    (``+`` command); napalm_sonic's CONFIG_DB patch operations (the config_db.json lines they change)."""
    lines = diff.splitlines()
    sections = _sections(lines)
    out: list[tuple[str, str, str | None]] = []
    if sections:
        for title, body in sections:
            if title in _KERNEL:
                for ln in body:
                    command = ln.split(": ", 1)[-1].strip()
                    dev = _DEV.search(command)
                    out.append(("+", command, dev.group(1) if dev else None))
            elif _CONFIG_DB.match(title):
                out += [p for ln in body for p in _patch_lines(ln)]
            else:
                sign = "-" if title == "Lines To Delete" else "+"
                port = None
                for ln, after in zip(body, [*body[1:], ""], strict=True):
                    if not _indent(ln):
                        port = _port_of(ln.strip().removeprefix("no "))
                    if _indent(after) <= _indent(ln):
                        out.append((sign, ln.strip().removeprefix("no ").strip(), port))
        return out
    port = None
    for line in _slid(lines):
        if line.startswith(("+++", "---", "@@")):
            port = None  # a hunk may start inside a block whose header it does not show
            continue
        text = line[1:]
        if text[:1] not in ("", " ", "\t"):  # a line at column 0 opens (or is) a block
            port = _port_of(text)
        if line[:1] in "+-" and text.strip():
            dev = _DEV.search(text)  # a shell command names its port (links.sh, qos.sh)
            out.append((line[0], text.strip(), dev.group(1) if dev else port))
    return out


def _slid(lines: list[str]) -> list[str]:
    """A unified diff with each run of added lines slid down past the equal context lines after it
    until it starts at a block (``interface ...``), as git's diff heuristics place it: blocks added
    after a last block that ends like them are shown from that block's end (``+   service-profile X``,
    ``+!``, ``+interface Ethernet49/1``), which puts the new blocks' first lines in the one before."""
    out = list(lines)
    i = 0
    while i < len(out):
        if not out[i].startswith("+") or out[i].startswith("+++"):
            i += 1
            continue
        j = i
        while j < len(out) and out[j].startswith("+") and not out[j].startswith("+++"):
            j += 1
        while j < len(out) and out[j][:1] == " " and out[j][1:] == out[i][1:] and not _port_of(out[i][1:]):
            out[i], out[j] = " " + out[i][1:], "+" + out[j][1:]
            i, j = i + 1, j + 1
        i = j
    return out


def signed_lines(diff: str) -> list[tuple[str, str]]:
    """The changed lines of a diff with their sign, without context (:func:`scoped_lines`)."""
    return [(sign, line) for sign, line, _ in scoped_lines(diff)]


def added_ports(scoped: list[tuple[str, str, str | None]]) -> set[str]:
    """Ports the diff configures from nothing: every changed line of the port is added and one of them
    is a description naming what it is cabled to (a port cabled for the first time: port-added)."""
    signs: dict[str, set[str]] = defaultdict(set)
    cabled: set[str] = set()
    for sign, line, port in scoped:
        if port:
            signs[port].add(sign)
            if sign == "+" and CABLED.match(line):
                cabled.add(port)
    return {p for p in cabled if signs[p] == {"+"}}


def changed_lines(diff: str) -> list[str]:
    """The changed lines of a diff, without context and sign (see ``signed_lines``)."""
    return [line for _, line in signed_lines(diff)]


def _servers(device: Device, ports: frozenset[str] | None = None) -> tuple[str, ...]:
    return tuple(natural_sorted({p.peer for p in device.ports if p.role == "server" and (ports is None or p.name in ports)}))


# Change kinds the deploy makes with no config change (a software upgrade alone)
NO_CONFIG = frozenset({"software"})
# Change kinds of the Design a platform's config may not carry (EOS has per-port PFC headroom and the
# headroom pool in its `platform trident mmu` profile only, on Trident ASICs), each with the kinds of
# the rendered lines that carry it
CARRIED_BY = {"headroom": frozenset({"headroom", "buffers"}), "buffer-pools": frozenset({"buffer-pools", "buffers"})}


def unrendered(changes: ChangeSet, device: str, diff: str) -> tuple[str, ...]:
    """The change kinds ``changes`` names on ``device`` that its pushed files do not carry (``diff``:
    their unified diffs, empty when none differs), so that the deploy does not make them: every kind
    but :data:`NO_CONFIG` when no file differs, a kind of :data:`CARRIED_BY` whose lines the diff lacks
    (what the diff then changes is read from its lines: FRR's qos.sh comments naming a cable's length)."""
    kinds = changes.kinds(device)
    if not diff.strip():
        return tuple(natural_sorted(k for k in kinds if k not in NO_CONFIG))
    wanted = [k for k in kinds if k in CARRIED_BY]
    if not wanted:
        return ()
    shown = _kinds_shown(diff, frozenset().union(*(CARRIED_BY[k] for k in wanted)))
    return tuple(natural_sorted(k for k in wanted if not CARRIED_BY[k] & shown))


def _kinds_shown(diff: str, kinds: frozenset[str]) -> set[str]:
    """Which of ``kinds`` the changed lines of the unified ``diff`` have: each line a quick pattern
    of them finds, read by :func:`line_kinds` (a 32k-GPU MTU change has 330,000 such lines to pass)."""
    quick, found = any_pattern(kinds), set()
    for raw in diff.splitlines():
        if raw[:1] not in "+-" or raw.startswith(("+++", "---")):
            continue
        line = raw[1:].strip().rstrip(",")
        if quick.search(line):
            found |= set(line_kinds([(raw[0], line)])) & kinds
            if found == kinds:
                break
    return found


def classify(device: Device, diff: str, carrying: bool = True, changes: ChangeSet | None = None,
             running_version: str | None = None, bgp_timers: str = "next-reset") -> Change:
    """What the device's change takes, from the impact table (``plan.impact``).

    A software upgrade (the change set's ``software`` kind, or ``running_version``, read from the
    device, other than the Design's ``os_version``) takes the impact of the device's upgrade
    method (``plan.upgrade.method_for``) and sets ``upgrade``/``version`` on the change.

    The change kinds come from ``changes`` (the semantic change set between the deployed and the
    new Design) when it knows the device, else from the diff's changed lines. Initial when the
    device carries no traffic yet (no BGP session up); hitless -> no drain, no cordon; a port-flap
    only on a rail leaf's server ports -> cordon those servers, no drain; anything else -> drain,
    and a rail leaf cordons all its servers. An unknown kind takes the most cautious in-place class
    and its reason says so. ``bgp_timers`` (the intent's ``upgrade.bgp_timers``): BGP timers and
    graceful restart are hitless at ``next-reset``, a session reset under drain at ``reset-now``.
    """
    kinds: dict[str, frozenset[str] | None]
    example = ""  # a changed line no pattern knows, quoted in the reason
    if changes is not None and changes.kinds(device.name):
        kinds = dict(changes.kinds(device.name))
    else:  # no Design facts: a template change or drift on the device, read from the text
        scoped = scoped_lines(diff)
        added = added_ports(scoped)  # their lines are the port's first config: port-added, whatever they set
        read, ports = scoped_kinds([(sign, line, port) for sign, line, port in scoped if port not in added])
        kinds, example = dict(ports), read.get("unknown", "")
        if added:
            kinds["port-added"] = None
    if running_version is not None and device.os_version and running_version != device.os_version:
        kinds["software"] = None  # read from the device: it runs another version than the intent's
    up: dict[str, object] = {"platform": device.platform}
    if "software" in kinds and device.os_version:
        method = method_for(device)
        up |= {"upgrade": method.name, "version": device.os_version, "work_s": method.work_s,
               "config": bool(set(kinds) - NO_CONFIG)}
    if not carrying:
        return Change(device.name, "initial", diff, impact="hitless", drain=False, **up)  # type: ignore[arg-type]
    impacts: dict[str, Impact] = {}
    reasons = []
    for kind in natural_sorted(kinds):
        impacts[kind], known = impact_of(kind, device.platform, bgp_timers)
        if kind == "software" and "upgrade" in up:
            impacts[kind] = method.impact  # type: ignore[assignment]
            reasons.append(f"software: {impacts[kind]} ({method.name} to {device.os_version})")
            continue
        later = kind in RESET_NOW and impacts[kind] == "hitless"
        unknown = f" (unknown change{f' `{example}`' if example and kind == 'unknown' else ''}: the most cautious class)"
        reasons.append(f"{kind}: {impacts[kind]}" + ("" if known else unknown)
                       + (" (in effect at each session's next reset)" if later else ""))
    impact = worst(list(impacts.values()))
    rail_leaf = device.fabric == "backend" and device.role == "leaf"
    if impact == "hitless":
        return Change(device.name, "hitless", diff, impact=impact, reasons=tuple(reasons), drain=False, **up)  # type: ignore[arg-type]
    if impact == "port-flap" and rail_leaf:
        flapped: set[str] = set()
        for kind, imp in impacts.items():
            ports = kinds[kind]
            if imp == "port-flap":
                flapped |= ports if ports else {p.name for p in device.ports}
        roles = {p.role for p in device.ports if p.name in flapped}
        if roles == {"server"}:
            return Change(device.name, "cordon", diff, _servers(device, frozenset(flapped)), impact, tuple(reasons),
                          drain=False, **up)  # type: ignore[arg-type]
    if rail_leaf:
        return Change(device.name, "cordon", diff, _servers(device), impact, tuple(reasons), drain=True, **up)  # type: ignore[arg-type]
    return Change(device.name, "drain", diff, impact=impact, reasons=tuple(reasons), drain=True, **up)  # type: ignore[arg-type]


@dataclass
class _Unit:
    """Changes that go in one wave: one device, or every cordoning rail leaf of one SU."""

    changes: list[Change]
    out: set[str]  # drained devices
    cordon: set[str]
    duration: int
    tier: int
    name: str


@dataclass
class _Draft:
    units: list[_Unit] = field(default_factory=list)
    out: set[str] = field(default_factory=set)
    cordon: set[str] = field(default_factory=set)
    lost: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # uplink Gb/s lost per device
    pairs: set[int | None] = field(default_factory=set)
    duration: int = 0


def _duration(design: Design, changes: list[Change]) -> int:
    up = design.upgrade
    work = max((c.work_s if c.work_s is not None else WORK_S[c.impact or UNKNOWN] for c in changes), default=0)
    return (up.drain_wait_s if any(c.drain for c in changes) else 0) + work + up.soak_s


def _units(design: Design, graph: FabricGraph, changes: list[Change]) -> list[_Unit]:
    by_su: dict[int, list[Change]] = defaultdict(list)
    singles: list[Change] = []
    for c in changes:
        dev = graph.devices[c.device]
        (by_su[dev.su] if c.cordon and dev.su is not None else singles).append(c)
    units = [_Unit([c], {c.device} if c.drain else set(), set(c.cordon), _duration(design, [c]), graph.devices[c.device].tier, c.device)
             for c in singles]
    for su, group in by_su.items():
        units.append(_Unit(group, {c.device for c in group if c.drain}, {s for c in group for s in c.cordon},
                           _duration(design, group), 1, f"su{su}"))
    # cordons first (a wave whose leaves are all cordoned can take more spines), then top tier first
    return sorted(units, key=lambda u: (not u.cordon, -u.tier, natural_key(u.name)))


def _fits(graph: FabricGraph, draft: _Draft, unit: _Unit, min_pct: float) -> bool:
    """Whether ``unit`` joins ``draft`` without breaking a rule or adding cordoned GPU-time."""
    if (draft.cordon and unit.duration > draft.duration) or (unit.cordon and draft.duration > unit.duration):
        return False
    pairs = [graph.devices[d].pair for d in unit.out if graph.fabric == "frontend" and graph.devices[d].role == "leaf"]
    if len(set(pairs)) < len(pairs) or set(pairs) & draft.pairs:
        return False
    out = draft.out | unit.out | graph.held
    lost = dict(draft.lost)
    for d in (unit.out | graph.held) - draft.out:
        for lower, speed in graph.down.get(d, ()):
            lost[lower] = lost.get(lower, 0) + speed
    budget = 1 - min_pct / 100
    for name, gone in lost.items():
        if name not in out and gone > graph.total_up[name] * budget + 1e-9:
            return False
    if min_pct <= 50:  # above half, every pair of leaves keeps a shared tier above them (pigeonhole)
        return not graph.simulate(out, draft.cordon | unit.cordon, min_pct).problems
    return True


def _add(graph: FabricGraph, draft: _Draft, unit: _Unit) -> None:
    draft.units.append(unit)
    draft.out |= unit.out
    draft.cordon |= unit.cordon
    draft.duration = max(draft.duration, unit.duration)
    for d in unit.out:
        if graph.fabric == "frontend" and graph.devices[d].role == "leaf":
            draft.pairs.add(graph.devices[d].pair)
        for lower, speed in graph.down.get(d, ()):
            draft.lost[lower] += speed


def _blocked(graph: FabricGraph, unit: _Unit, min_pct: float) -> str:
    """Why ``unit`` fits no wave, and, where the switches already out of service (``graph.held``) are
    what stops it, that bringing them back would let it through."""
    sim = graph.simulate(unit.out, unit.cordon, min_pct)
    why = (f"{unit.name}: cannot be changed without breaking a rollout rule ({'; '.join(sim.problems[:3])}"
           f"{'' if sim.problems else 'upgrade.min_capacity_pct'}); schedule a maintenance window")
    held, graph.held = graph.held, frozenset()
    try:
        without = bool(held) and _fits(graph, _Draft(), unit, min_pct)
    finally:
        graph.held = held
    if without:
        why += (f", or first put {', '.join(natural_sorted(held))} back in service (out of service before this "
                "rollout: drained by hand, which `aifab undrain` ends, or unreadable)")
    return why


def _pack(design: Design, graph: FabricGraph, changes: list[Change], min_pct: float) -> list[tuple[_Draft, Simulation]]:
    """First fit of the units into waves; each wave is then simulated in full."""
    drafts: list[_Draft] = []
    for unit in _units(design, graph, changes):
        alone = _Draft()
        if not _fits(graph, alone, unit, min_pct):
            raise PlanError(_blocked(graph, unit, min_pct))
        target = next((d for d in drafts if _fits(graph, d, unit, min_pct)), None)
        if target is None:
            target = _Draft()
            drafts.append(target)
        _add(graph, target, unit)
    out = []
    for draft in drafts:
        sim = graph.simulate(draft.out, draft.cordon, min_pct)
        if sim.problems:
            raise PlanError(f"{graph.fabric} wave with {', '.join(natural_sorted(draft.out))}: {'; '.join(sim.problems[:3])}")
        out.append((draft, sim))
    return out


def plan_waves(design: Design, changes: list[Change], *, allow_recabling: bool = False,
               held: frozenset[str] = frozenset()) -> list[Wave]:
    """Group changes into waves: initial configurations first (no BGP yet), then every hitless
    change at once, then the disruptive ones packed to cordon each server at most once, spend the
    least cordoned GPU-time, then take the fewest waves, under the rules of ``plan.simulate``
    (``upgrade.min_capacity_pct``, a path between every pair of serving leaves, never both leaves
    of a frontend pair), counting the ``held`` switches (drained before the rollout, or unreadable)
    out of service in every wave. Backend and frontend are planned independently and run side by side.

    Raises PlanError for a re-cabling change (unless ``allow_recabling``) and for a change that no
    wave can make within the rules (a drain that would empty a spine group, say).
    """
    recabling = [c.device for c in changes if c.impact == "re-cabling"]
    if recabling and not allow_recabling:
        raise PlanError(f"the topology changes (re-cabling) on {len(recabling)} devices "
                        f"({', '.join(natural_sorted(recabling)[:8])}{', ...' if len(recabling) > 8 else ''}): "
                        "never an in-place rollout (once the cables are moved: aifab deploy --allow-recabling)")
    min_pct = float(design.upgrade.min_capacity_pct)
    hosts = {h.name: h for h in design.hosts}
    waves: list[Wave] = []
    changes = sorted(changes, key=lambda c: natural_key(c.device))
    initial = tuple(c for c in changes if c.kind == "initial")
    if initial:
        waves.append(Wave(0, initial, ("no drain: these devices carry no traffic yet",)))
    hitless = tuple(c for c in changes if c.kind == "hitless")
    if hitless:
        waves.append(Wave(0, hitless, ("no drain, no cordon: hitless changes only",), duration_s=_duration(design, list(hitless))))
    planned: list[list[tuple[FabricGraph, _Draft, Simulation]]] = []
    for fabric in design.fabrics:
        names = {d.name for d in fabric.devices}
        mine = [c for c in changes if c.kind in ("drain", "cordon") and c.device in names]
        if not mine:
            continue
        graph = FabricGraph(fabric, design, held)
        for i, (draft, sim) in enumerate(_pack(design, graph, mine, min_pct)):
            if i == len(planned):
                planned.append([])
            planned[i].append((graph, draft, sim))
    for side_by_side in planned:
        wave_changes: list[Change] = []
        capacity: list[str] = []
        cordon: set[str] = set()
        for graph, draft, sim in side_by_side:
            wave_changes += [c for u in draft.units for c in u.changes]
            cordon |= draft.cordon
            paths = "" if sim.min_paths is None else f", >= {sim.min_paths} paths between serving leaves"
            if len(draft.out) == len(graph.devices):
                capacity.append(f"{graph.fabric}: all {len(draft.out)} switches out, every server behind them cordoned")
            else:
                held = f" (+{len(graph.held - draft.out)} drained before)" if graph.held - draft.out else ""
                keeps = ("no switch with uplinks stays in service" if sim.min_capacity_pct is None else
                         f"every switch in service keeps >= {sim.min_capacity_pct:.1f} % of its uplink bandwidth")
                capacity.append(f"{graph.fabric}: {len(draft.out)} out{held}, {keeps}{paths}")
        gpus = sum(sum(1 for n in hosts[s].nics if n.fabric == "backend") for s in cordon if s in hosts)
        if cordon:
            capacity.append(f"{len(cordon):,} servers ({gpus:,} GPUs) cordoned")
        wave_changes.sort(key=lambda c: natural_key(c.device))
        waves.append(Wave(0, tuple(wave_changes), tuple(capacity), tuple(natural_sorted(cordon)), gpus,
                          min((s.min_capacity_pct for _, _, s in side_by_side if s.min_capacity_pct is not None), default=None),
                          min((s.min_paths for _, _, s in side_by_side if s.min_paths is not None), default=None),
                          max(d.duration for _, d, _ in side_by_side)))
    return [Wave(i, w.changes, w.capacity, w.cordon, w.gpus, w.min_capacity_pct, w.min_paths, w.duration_s)
            for i, w in enumerate(waves, start=1)]


def cordoned_gpu_seconds(waves: list[Wave]) -> int:
    """The plan's cost in GPU time: every cordoned GPU for the length of its wave."""
    return sum(w.gpus * w.duration_s for w in waves)


def require_in_place(changes: ChangeSet, allow_recabling: bool = False) -> None:
    """Raise PlanError naming the links that move when the change set re-cables the fabric (the
    topology changes: never an in-place rollout), unless ``allow_recabling``."""
    if not changes.recabling or allow_recabling:
        return
    shown = changes.links[:20]
    more = f"\n  ... and {len(changes.links) - len(shown):,} more" if len(changes.links) > len(shown) else ""
    facts = "; ".join(f.text for f in changes.facts if ROWS.get(f.kind) and ROWS[f.kind].impact == "re-cabling")
    hint = "; an SU added to a backend laid out for it (backend.growth) moves none" if changes.sus_added else ""
    raise PlanError(f"re-cabling: {facts}; {changes.cables_moved:,} links move, never an in-place rollout "
                    f"(allow re-cabling explicitly to plan it anyway{hint}):\n  " + "\n  ".join(shown) + more)


def redundancy_group(dev: Device) -> tuple[object, ...]:
    """The redundancy group of ``dev``: (fabric, kind, which), e.g. the spines of a pod, a frontend
    leaf pair, the rail leaves of an SU: the devices whose health a wave touching ``dev`` depends on."""
    if dev.role == "leaf":
        return (dev.fabric, "leaf", dev.pair) if dev.fabric == "frontend" else (dev.fabric, "leaf-su", dev.su)
    if dev.role == "core":
        return (dev.fabric, "core", dev.plane)
    return (dev.fabric, "spine", dev.pod)


def wave_problems(design: Design, wave: Wave, down: set[str], cut: set[frozenset[str]] | None = None) -> list[str]:
    """The rollout rules ``wave`` would break if it ran now, with ``down`` (devices found unhealthy)
    out of service too and the links between the device pairs of ``cut`` down: capacity is counted
    from what is actually up (``plan.simulate``)."""
    out = {c.device for c in wave.changes if c.kind in ("drain", "cordon")} | down
    problems: list[str] = []
    for fabric in design.fabrics:
        names = {d.name for d in fabric.devices}
        if out & names or any(pair <= names for pair in cut or ()):
            sim = FabricGraph(fabric, design, cut=frozenset(cut or ())).simulate(
                out & names, set(wave.cordon), float(design.upgrade.min_capacity_pct))
            problems += list(sim.problems)
    return problems
