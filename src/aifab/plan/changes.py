"""The semantic change set between two Designs: what changes, as facts a network engineer reads.

Identical changes across devices are one fact with counts ("ECN max threshold 1500 -> 2000 KB on
2,048 ports of 32 leaves"); each device keeps the kinds of its changes and the ports they touch, for
``plan.waves.classify``. The Designs are compared structurally (shared QoS objects once), so a
one-knob change on a 2,750-switch fabric takes a fraction of a second.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from aifab.design.model import Account, Design, Device, FabricDesign, QosPolicy
from aifab.plan.impact import ROWS
from aifab.platforms import KB
from aifab.render.view import natural_key

_PLURAL = {"leaf": "leaves", "spine": "spines", "core": "cores"}
MERGED_VALUES = 3  # a change with more distinct before/after values than this is one line with a count
_TOPOLOGY = ("link-moved", "link-removed", "device-removed", "hardware")


def natural_sorted(names: object) -> list[str]:
    """Names in natural order: be-spine2 before be-spine10."""
    return sorted(names, key=natural_key)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Fact:
    """One change, stated once for every device it touches."""

    kind: str  # a row of plan.impact.TABLE (or a kind it does not know)
    text: str
    devices: tuple[str, ...]  # natural order

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class DeviceChanges:
    """The change kinds of one device and, per port-level kind, the ports it touches."""

    device: str
    kinds: dict[str, frozenset[str]]  # kind -> port names (empty for device-wide kinds)


@dataclass(frozen=True)
class ChangeSet:
    """What changes between an old and a new Design."""

    facts: tuple[Fact, ...]
    devices: dict[str, DeviceChanges]  # changed devices present in both Designs
    added: tuple[str, ...]  # new devices, natural order
    removed: tuple[str, ...]
    links: tuple[str, ...] = field(default=())  # re-cabled links, "dev:port -> old peer (now new peer)"
    sus_added: int = 0  # scalable units added (more SUs host servers than before)

    @property
    def cables_moved(self) -> int:
        """How many cables ``links`` names (each seen from one or both of its ends)."""
        return len({frozenset((ln.split(" -> ")[0], ln.split(" -> ")[1].split(" (")[0])) for ln in self.links})

    @property
    def recabling(self) -> bool:
        """True when the topology changes (links move or go away): never an in-place rollout."""
        return any(f.kind in _TOPOLOGY for f in self.facts)

    def lines(self) -> list[str]:
        return [f.text for f in self.facts]

    def kinds(self, device: str) -> dict[str, frozenset[str]]:
        """The device's change kinds (empty when unchanged or new)."""
        got = self.devices.get(device)
        return got.kinds if got else {}

    def without(self, device: str, kinds: Iterable[str]) -> ChangeSet:
        """This change set with ``kinds`` taken from ``device``'s (the device gone when none is left)."""
        left = {k: v for k, v in self.kinds(device).items() if k not in set(kinds)}
        devices = {n: d for n, d in self.devices.items() if n != device}
        if left:
            devices[device] = DeviceChanges(device, left)
        return replace(self, devices=devices)


def _num(n: int) -> str:
    return f"{n:,}"


def _kb(b: int) -> str:
    return f"{b // KB:,} KB" if b % KB == 0 else f"{b:,} B"


class _Collector:
    """Accumulates (kind, subject, old, new, unit) -> devices and counted items."""

    def __init__(self, new: Design, old: Design) -> None:
        self.groups: dict[tuple[str, str, str, str, str], tuple[dict[str, int], set[object]]] = {}
        self.per_device: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.roles = {d.name: d.role for d in (*old.devices(), *new.devices())}

    def add(self, kind: str, subject: str, old: object, new: object, unit: str, device: str,
            n: int = 1, items: set[object] | None = None, ports: tuple[str, ...] = ()) -> None:
        """``device`` has the change on ``n`` items (ports, sessions); ``items`` instead names items
        shared between devices (a session or a cable seen from both ends), counted once."""
        devices, counted = self.groups.setdefault((kind, subject, str(old), str(new), unit), ({}, set()))
        devices[device] = devices.get(device, 0) + (0 if items is not None else n)
        if items:
            counted.update(items)
        self.per_device[device][kind].update(ports)

    def _of(self, devices: Iterable[str]) -> str:
        """"2 leaves and 16 spines": the devices counted per role."""
        roles = Counter(self.roles[d] for d in devices)
        parts = [f"{_num(n)} {_PLURAL[r] if n > 1 else r}" for r, n in
                 sorted(roles.items(), key=lambda x: ("leaf", "spine", "core").index(x[0]))]
        return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)

    def facts(self) -> list[Fact]:
        out = []
        values: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        for kind, subject, old, new, unit in self.groups:
            values[kind, subject, unit].append((old, new))
        merged: set[tuple[str, str, str]] = set()
        for (kind, subject, old, new, unit), (devices, counted) in self.groups.items():
            key = (kind, subject, unit)
            pairs = values[key]
            if len(pairs) > MERGED_VALUES:  # one value per device (an ASN renumbered): one line, not one each
                if key not in merged:
                    merged.add(key)
                    names = {d for o, n in pairs for d in self.groups[kind, subject, o, n, unit][0]}
                    shown = ", ".join(f"{o} -> {n}" for o, n in pairs[:2])
                    out.append(Fact(kind, f"{subject} changed on {self._of(names)}, {_num(len(pairs))} different values "
                                          f"({shown}, ...)", tuple(natural_sorted(names))))
                continue
            of = self._of(devices)
            if " " in old and old.split(" ", 1)[1] == new.split(" ", 1)[-1]:
                old = old.split(" ", 1)[0]  # "1,500 -> 2,000 KB"
            many = f"{_num(len(counted) + sum(devices.values()))} {unit} of {of}" if unit != "devices" else of
            if subject.endswith(" on each"):
                text = f"{subject} of {of}"
            elif kind == "device-removed":
                text = f"{subject}: {of}"
            elif old or new:
                text = f"{subject} {old} -> {new} on {many}"
            else:
                text = f"{subject}: {many}" if unit != "devices" else f"{subject} changed on {many}"
            out.append(Fact(kind, text, tuple(natural_sorted(devices))))
        return out


def _lossless(dev: Device) -> tuple[str, ...]:
    """The ports a QoS policy's per-port parts (ECN, watchdog, PFC) apply to: the PFC ports, else all."""
    return tuple(p.name for p in dev.ports if p.buffer is not None) or tuple(p.name for p in dev.ports)


# (kind, subject, old, new, unit, flaps the ports) of a QoS policy change; unit "ports" counts _lossless
QosDelta = tuple[str, str, str, str, str, bool]


def qos_deltas(oq: QosPolicy | None, nq: QosPolicy | None) -> list[QosDelta]:
    """What differs between two QoS policies (computed once per pair of shared policy objects)."""
    if oq is None or nq is None:
        return [("qos-scheduling", "QoS policy", "none" if oq is None else "set", "none" if nq is None else "set",
                 "devices", False)]
    out: list[QosDelta] = []
    if oq.ecn and nq.ecn:
        for label, a, b in (("ECN min threshold", oq.ecn.min_bytes, nq.ecn.min_bytes),
                            ("ECN max threshold", oq.ecn.max_bytes, nq.ecn.max_bytes)):
            if a != b:
                out.append(("ecn", label, _kb(a), _kb(b), "ports", False))
        if oq.ecn.probability != nq.ecn.probability:
            out.append(("ecn", "ECN marking probability", f"{oq.ecn.probability} %", f"{nq.ecn.probability} %", "ports", False))
    elif oq.ecn != nq.ecn:
        out.append(("ecn", "ECN marking", "on" if oq.ecn else "off", "on" if nq.ecn else "off", "ports", False))
    ow, nw = oq.watchdog, nq.watchdog
    if ow and nw:
        for f, unit in (("detection_ms", " ms"), ("restoration_ms", " ms"), ("polling_ms", " ms"), ("action", ""), ("enabled", "")):
            a, b = getattr(ow, f), getattr(nw, f)
            if a != b:
                out.append(("pfc-watchdog", f"PFC watchdog {f.removesuffix('_ms')}", f"{a}{unit}", f"{b}{unit}", "ports", False))
    elif ow != nw:
        out.append(("pfc-watchdog", "PFC watchdog", "on" if ow else "off", "on" if nw else "off", "ports", False))
    if oq.lossless_priorities != nq.lossless_priorities:
        out.append(("pfc-enable", "PFC no-drop priorities", str(list(oq.lossless_priorities)),
                    str(list(nq.lossless_priorities)), "ports", True))
    classes = [(kind, label, getattr(oq, f), getattr(nq, f)) for kind, f, label in _CLASSES if getattr(oq, f) != getattr(nq, f)]
    out += [(kind, label, str(a), str(b), "devices", False) for kind, label, a, b in classes]
    if oq.dwrr_weights != nq.dwrr_weights and not any(kind == "qos-scheduling" for kind, *_ in classes):
        out.append(("qos-scheduling", "DWRR weights", _weights(oq.dwrr_weights), _weights(nq.dwrr_weights), "devices", False))
    # what the values above do not explain (a platform's own map or queue layout)
    derived = {"dscp_to_tc"} if classes else set()
    if classes or oq.dwrr_weights != nq.dwrr_weights:
        derived |= {"tc_to_queue", "tc_to_pg", "strict_tcs", "dwrr_weights", "ecn_queues"}
    for kind, subject, names in (("dscp-map", "DSCP map", ("dscp_to_tc",)),
                                 ("qos-scheduling", "QoS", ("tc_to_queue", "tc_to_pg", "strict_tcs", "dwrr_weights",
                                                            "ecn_queues", "lossless", "headroom_model", "platform"))):
        diff = [f for f in names if f not in derived and getattr(oq, f) != getattr(nq, f)]
        if diff:
            out.append((kind, f"{subject} {', '.join(f.replace('_', ' ') for f in diff)}", "", "", "devices", False))
    return out


# The classes' DSCPs and traffic classes, each stated with its values: (kind, QosPolicy field, subject)
_CLASSES = (("dscp-map", "roce_dscp", "RoCE DSCP"), ("dscp-map", "cnp_dscp", "CNP DSCP"), ("dscp-map", "storage_dscp", "storage DSCP"),
            ("qos-scheduling", "roce_tc", "RoCE traffic class"), ("qos-scheduling", "cnp_tc", "CNP traffic class"),
            ("qos-scheduling", "storage_tc", "storage traffic class"))


def _weights(weights: tuple[int, ...]) -> str:
    """DWRR weights as ``TC0 50 %, TC3 50 %`` (the traffic classes that have one)."""
    return ", ".join(f"TC{tc} {w} %" for tc, w in enumerate(weights) if w) or "none"


_DEVICE_FIELDS = (("asn", "asn", "ASN"), ("loopback", "router-id", "router ID"), ("management", "management", "management address"),
                  ("platform", "platform", "platform"), ("model", "hardware", "switch model"), ("max_paths", "max-paths", "ECMP maximum-paths"),
                  ("load_balance", "load-balancing", "ECMP load balancing"))


def _device(c: _Collector, od: Device, nd: Device, links: list[str], qos_cache: dict[tuple[int, int], list[QosDelta]]) -> None:
    for attr, kind, label in _DEVICE_FIELDS:
        a, b = getattr(od, attr), getattr(nd, attr)
        if a != b:
            per_value = kind in ("asn", "platform", "hardware", "max-paths", "load-balancing")
            c.add(kind, label, a if per_value else "", b if per_value else "", "devices", nd.name)
    if od.os_version != nd.os_version and nd.os_version:  # a version no longer named: nothing to do
        c.add("software", "software version", od.os_version or "unmanaged", nd.os_version, "devices", nd.name)
    if od.server_subnets != nd.server_subnets:
        c.add("route-policy", "advertised server blocks", "", "", "devices", nd.name)
    if od.qos is not nd.qos and od.qos != nd.qos:
        key = (id(od.qos), id(nd.qos))
        if key not in qos_cache:
            qos_cache[key] = qos_deltas(od.qos, nd.qos)
        ports = _lossless(nd) if qos_cache[key] else ()
        for kind, subject, a, b, unit, flaps in qos_cache[key]:
            c.add(kind, subject, a, b, unit, nd.name, len(ports) if unit == "ports" else 1, ports=ports if flaps else ())
    if od.buffers != nd.buffers:
        ob, nb = od.buffers, nd.buffers
        if ob and nb and ob.buffer_model != nb.buffer_model:
            c.add("buffers", "buffer model", ob.buffer_model, nb.buffer_model, "devices", nd.name)
        elif not ob or not nb or (ob.profiles, ob.lossless_dynamic_th, ob.lossy_dynamic_th, ob.total_bytes) != \
                (nb.profiles, nb.lossless_dynamic_th, nb.lossy_dynamic_th, nb.total_bytes):
            c.add("buffers", "buffer profiles", "", "", "devices", nd.name)
        else:  # the same profiles over more or fewer lossless ports: pool sizes recomputed
            c.add("buffer-pools", "buffer pool sizes", "", "", "devices", nd.name)
    _ports(c, od, nd, links)
    _neighbors(c, od, nd)


def _ports(c: _Collector, od: Device, nd: Device, links: list[str]) -> None:
    if od.ports == nd.ports:
        return
    old = {p.name: p for p in od.ports}
    seen = set()
    for np in nd.ports:
        op = old.get(np.name)
        seen.add(np.name)
        if op is None:
            c.add("port-added", "ports cabled", "", "", "ports", nd.name)
            continue
        if op == np:
            continue
        if (op.peer, op.peer_port) != (np.peer, np.peer_port):
            c.add("link-moved", "cables moved", "", "", "links", nd.name,
                  items={frozenset(((nd.name, np.name), (op.peer, op.peer_port)))}, ports=(np.name,))
            links.append(f"{nd.name}:{np.name} -> {op.peer}:{op.peer_port} (now {np.peer}:{np.peer_port})")
            continue
        if op.mtu != np.mtu:
            c.add("mtu", "MTU", op.mtu, np.mtu, "ports", nd.name, ports=(np.name,))
        if op.speed != np.speed:
            c.add("speed", "speed", f"{op.speed}G", f"{np.speed}G", "ports", nd.name, ports=(np.name,))
        if (op.address, op.peer_address) != (np.address, np.peer_address):
            c.add("address", "interface addresses", "", "", "ports", nd.name, ports=(np.name,))
        if op.description != np.description:
            c.add("description", "descriptions", "", "", "ports", nd.name)
        if op.buffer != np.buffer:
            c.add("headroom", "PFC headroom", "", "", "ports", nd.name, ports=(np.name,))
        elif op.length_m != np.length_m:  # a lossy port: no headroom, the length still written (SONiC's CABLE_LENGTH)
            c.add("headroom", "cable length (lossy: no PFC headroom)", f"{op.length_m:g} m", f"{np.length_m:g} m", "ports",
                  nd.name, ports=(np.name,))
    for name, op in old.items():
        if name not in seen:
            c.add("link-removed", "cables removed", "", "", "links", nd.name,
                  items={frozenset(((nd.name, name), (op.peer, op.peer_port)))}, ports=(name,))
            links.append(f"{nd.name}:{name} -> {op.peer}:{op.peer_port} (removed)")


def _neighbors(c: _Collector, od: Device, nd: Device) -> None:
    if od.neighbors == nd.neighbors:
        return
    old = {n.interface: n for n in od.neighbors}
    new = {n.interface: n for n in nd.neighbors}
    added = [n for i, n in new.items() if i not in old]
    if added:
        c.add("neighbor-added", f"+{len(added)} BGP sessions on each", "", "", "devices", nd.name)
    for i, n in new.items():
        o = old.get(i)
        if o and o.peer_asn != n.peer_asn:
            c.add("peer-asn", "BGP peer ASN", "", "", "sessions", nd.name, items={frozenset((n.local_address, n.peer_address))})
    gone = [i for i in old if i not in new]
    if gone:
        c.add("neighbor-removed", f"-{len(gone)} BGP sessions on each", "", "", "devices", nd.name)


def _fabric(c: _Collector, of: FabricDesign, nf: FabricDesign, shared: list[Device]) -> None:
    if of.bgp == nf.bgp:
        return
    names = {d.name for d in shared}
    ends = sum(len(d.neighbors) for d in shared)
    both = sum(1 for d in shared for n in d.neighbors if n.peer in names)
    sessions = ends - both + both // 2  # a session between two shared switches is seen from both ends
    for attr, label, unit in (("keepalive_s", "BGP keepalive", " s"), ("hold_s", "BGP hold time", " s"), ("bfd", "BFD", "")):
        a, b = getattr(of.bgp, attr), getattr(nf.bgp, attr)
        if a != b:
            kind = "bfd" if attr == "bfd" else "bgp-timers"
            for i, d in enumerate(shared):
                c.add(kind, label, f"{a}{unit}", f"{b}{unit}", "sessions", d.name, 0 if i else sessions)


def change_set(old: Design, new: Design) -> ChangeSet:
    """The facts that turn ``old`` into ``new``, identical changes grouped, devices in natural order."""
    c = _Collector(new, old)
    before = {d.name: d for d in old.devices()}
    after = {d.name: d for d in new.devices()}
    links: list[str] = []
    extra: list[Fact] = []
    qos_cache: dict[tuple[int, int], list[QosDelta]] = {}
    for of, nf in zip(old.fabrics, new.fabrics, strict=True):
        shared = [d for d in nf.devices if d.name in before]
        _fabric(c, of, nf, shared)
        for nd in shared:
            od = before[nd.name]
            if od is not nd:  # field by field: the ports are compared once
                _device(c, od, nd, links, qos_cache)
    if old.upgrade.graceful_restart_s != new.upgrade.graceful_restart_s:
        for d in new.devices():
            if d.name in before:
                c.add("graceful-restart", "BGP graceful-restart time", f"{old.upgrade.graceful_restart_s} s",
                      f"{new.upgrade.graceful_restart_s} s", "devices", d.name)
    shared = [d.name for d in new.devices() if d.name in before]
    for kind, subject, a, b in _policy_deltas(old, new):
        for name in shared:
            c.add(kind, subject, a, b, "devices", name)
    for f in type(old.upgrade).__dataclass_fields__:
        a, b = getattr(old.upgrade, f), getattr(new.upgrade, f)
        if a != b and f != "graceful_restart_s":
            extra.append(Fact("policy", f"upgrade.{f} {a} -> {b} (no device changes)", ()))
    added = tuple(natural_sorted(n for n in after if n not in before))
    removed = tuple(natural_sorted(n for n in before if n not in after))
    for name in removed:
        od = before[name]
        c.add("device-removed", f"{od.fabric} switches removed", "", "", "devices", name)
        links += [f"{name}:{p.name} -> {p.peer}:{p.peer_port} (removed with {name})" for p in od.ports]
    facts = c.facts()
    extra += _topology(old, new, added, removed, links)
    facts.sort(key=lambda f: (_order(f.kind), f.text))
    per_device = {d: DeviceChanges(d, {k: frozenset(p) for k, p in kinds.items()})
                  for d, kinds in c.per_device.items() if d in before and d in after}
    ordered = [f for f in extra if f.kind != "policy"] + facts + [f for f in extra if f.kind == "policy"]
    return ChangeSet(tuple(ordered), per_device, added, removed, tuple(natural_sorted(links)), _sus_added(old, new))


# The way in and the telemetry, the same on every switch: (kind, policy, field, subject)
_POLICY_FIELDS = (
    ("access", "access", "accounts", "local users"), ("access", "access", "tacacs", "TACACS+ servers"),
    ("access", "access", "radius", "RADIUS servers"), ("access", "access", "local_fallback", "AAA local fallback"),
    ("access", "access", "ntp", "NTP servers"), ("access", "access", "syslog", "syslog servers"),
    ("access", "access", "snmp_community_secret", "SNMP community"), ("access", "access", "snmp_users", "SNMPv3 users"),
    ("access", "access", "snmp_location", "SNMP location"), ("access", "access", "snmp_contact", "SNMP contact"),
    ("access", "access", "api", "eAPI"), ("telemetry", "access", "gnmi", "gNMI server"),
    ("telemetry", "telemetry", "sflow_collectors", "sFlow collectors"), ("telemetry", "telemetry", "sflow_port", "sFlow port"),
    ("telemetry", "telemetry", "sflow_sample_rate", "sFlow sample rate"),
    ("telemetry", "telemetry", "sflow_polling_s", "sFlow polling interval"),
    ("telemetry", "telemetry", "gnmi", "gNMI streaming"), ("telemetry", "telemetry", "queue_monitor", "queue monitor"),
)


def _shown(value: object) -> str:
    """A policy value as a fact says it: names listed, booleans on/off, nothing as none."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ", ".join(f"{v.name} ({v.role})" if isinstance(v, Account) else getattr(v, "name", str(v)) for v in value) or "none"
    return "none" if value is None else str(value)


def _policy_deltas(old: Design, new: Design) -> list[tuple[str, str, str, str]]:
    """(kind, subject, old, new) of the management gateway, the way in and the telemetry, which every
    switch renders alike."""
    out = []
    if old.management_gateway != new.management_gateway:
        out.append(("management", "management gateway", old.management_gateway, new.management_gateway))
    for kind, policy, f, subject in _POLICY_FIELDS:
        a, b = getattr(getattr(old, policy), f), getattr(getattr(new, policy), f)
        if a != b:
            out.append((kind, subject, _shown(a), _shown(b)))
    return out


def _sus_added(old: Design, new: Design) -> int:
    """How many more scalable units host servers in ``new`` than in ``old`` (0 when none or fewer)."""
    return max(0, len({h.su for h in new.hosts if h.su is not None}) - len({h.su for h in old.hosts if h.su is not None}))


def _order(kind: str) -> int:
    row = ROWS.get(kind)
    return ("re-cabling", "reload", "session-reset", "port-flap", "hitless").index(row.impact) if row else 0


def _topology(old: Design, new: Design, added: tuple[str, ...], removed: tuple[str, ...], links: list[str]) -> list[Fact]:
    """Tier counts that change (with the links re-cabled) and new scalable units."""
    out = []
    for of, nf in zip(old.fabrics, new.fabrics, strict=True):
        names = {d.name for d in of.devices}
        moved = len({frozenset((ln.split(" -> ")[0], ln.split(" -> ")[1].split(" (")[0]))
                     for ln in links if ln.split(":")[0] in names})
        ot = {t.role: t.count for t in of.tiers}
        nt = {t.role: t.count for t in nf.tiers}
        gone = [d for d in of.devices if d.name in removed]
        counts = [f"{_PLURAL[r]} {ot.get(r, 0)} -> {nt.get(r, 0)}" for r in ("leaf", "spine", "core") if ot.get(r, 0) != nt.get(r, 0)]
        if counts and (moved or gone):
            out.append(Fact("link-moved", f"{nf.name} {', '.join(counts)}: {_num(moved)} links re-cabled", ()))
        elif any(not c.startswith("leaves") for c in counts):  # new leaves alone: the SU fact says them
            out.append(Fact("device-added", f"{nf.name} {', '.join(counts)}", ()))
    osu = {h.su for h in old.hosts if h.su is not None}
    if sus := _sus_added(old, new):
        new_devs = [d for d in new.devices() if d.name in set(added)]
        roles = Counter((d.fabric, d.role) for d in new_devs)
        hosts = [h for h in new.hosts if h.su not in osu and h.su is not None]
        cables = sum(len(d.ports) for d in new_devs if d.role == "leaf")
        what = ", ".join(f"{n} {f} {_PLURAL[r] if n > 1 else r}" for (f, r), n in roles.items())
        out.append(Fact("device-added", f"+{sus} SU: {what}, {_num(len(hosts))} servers, {_num(cables)} leaf links",
                        added))
    elif added:
        out.append(Fact("device-added", f"+{len(added)} switches", added))
    return out
