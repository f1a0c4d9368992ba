"""Derive the Design from a validated intent: devices, ports, cables, addresses, ASNs, sessions.

Pure functions, no I/O; the same intent always gives the same Design.
Addressing follows RFC 3021 (/31 links, upper tier on the even address) and RFC 7938
(a shared ASN per spine group, a unique ASN per leaf).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from socket import inet_ntoa

from netaddr import IPAddress, IPNetwork

from aifab.catalog import ASICS, SwitchModel, fec, lookup
from aifab.design.model import (
    AccessPolicy,
    Account,
    BgpPolicy,
    CableClass,
    Design,
    Device,
    FabricDesign,
    HealthThresholds,
    Host,
    LoadBalance,
    Neighbor,
    Nic,
    Port,
    SnmpUser,
    TelemetryPolicy,
    UpgradePolicy,
)
from aifab.design.models import resolve_switches
from aifab.design.sizing import (
    BackendShape,
    FrontendShape,
    backend_room,
    backend_shape,
    backend_tiers,
    fanout,
    frontend_shape,
    frontend_tiers,
    laid_out,
)
from aifab.design.validate import intent_problems, next_pow2
from aifab.design.versions import with_versions
from aifab.errors import DesignError
from aifab.intent.schema import HASH_FIELDS, Backend, Frontend, FrontendSwitches, Intent, Management, Switch, Telemetry
from aifab.platforms import platform
from aifab.qos.buffers import FabricQos
from aifab.qos.policy import qos_problems
from aifab.qos.types import PortBuffer

GROUP = {"leaf": "LEAFS", "spine": "SPINES", "core": "CORES"}


def _ip(value: int) -> str:
    return inet_ntoa(value.to_bytes(4, "big"))


def _cidr(value: int, prefixlen: int) -> str:
    return f"{_ip(value)}/{prefixlen}"


@dataclass
class _Dev:
    """A device under construction."""

    name: str
    role: str
    tier: int
    switch: Switch
    asn: int
    su: int | None = None
    rail: int | None = None
    pod: int | None = None
    plane: int | None = None
    pair: int | None = None
    ports: list[Port] = field(default_factory=list)
    neighbors: list[Neighbor] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    model: SwitchModel | None = None  # the catalog entry (None: generic)

    def __post_init__(self) -> None:
        self.model = lookup(self.switch.model)

    def port_name(self, index: int, speed: int, sub: int = 0, count: int = 1) -> str:
        """Front-panel port ``index``'s name (or its breakout child ``sub`` of ``count``): the catalog
        model's pattern for this platform, else the platform's."""
        record = platform(self.switch.platform)
        if count > 1:
            assert self.model is not None  # only a catalog model breaks out (aifab.design.sizing.fanout)
            port_lanes = record.lanes.get(self.switch.speed, self.model.lanes)
            lane = (index - 1) * port_lanes + sub * (port_lanes // count)
            name = self.model.port_name(record.name, index, lane, sub, count)
            return name if name is not None else record.child_port(index, self.switch.speed, sub, count, self.model.lanes)
        if self.model is not None:
            name = self.model.port_name(record.name, index, (index - 1) * record.lanes.get(speed, 1))
            if name is not None:
                return name
        return record.port(index, speed)


@dataclass
class _FabricBuild:
    """Shared state while wiring one fabric."""

    fabric: str
    mtu: int
    lengths: dict[str, float]
    p2p_next: int  # the next /31 of leaf-spine links (from the bottom of the p2p pool up)
    p2p_top: int  # the top /31 of the p2p pool: spine-core links go down from it, one /31 per spine uplink port
    qos: FabricQos
    devices: list[_Dev] = field(default_factory=list)
    nics: dict[str, list[Nic]] = field(default_factory=dict)
    _ends: dict[tuple[int, int, int, float, int, int], tuple[str, PortBuffer | None, str]] = field(default_factory=dict)

    def end(self, dev: _Dev, index: int, speed: int, length: float, sub: int = 0,
            count: int = 1) -> tuple[str, PortBuffer | None, str]:
        """Port ``index``'s (or its breakout child ``sub`` of ``count``) name, headroom and FEC on ``dev``
        at ``speed`` on a ``length`` cable: the same for every device of a tier, so computed once per
        tier (``dev.switch``) and port."""
        key = (id(dev.switch), index, speed, length, sub, count)
        try:
            return self._ends[key]
        except KeyError:
            value = (dev.port_name(index, speed, sub, count), self.qos.port_buffer(dev.switch, speed, length),
                     fec(dev.model, speed))
            self._ends[key] = value
            return value

    def add(self, dev: _Dev) -> _Dev:
        self.devices.append(dev)
        return dev

    def link(self, upper: _Dev, up_idx: int, lower: _Dev, low_idx: int, cable: CableClass, slot: int | None = None) -> None:
        """Cable ``lower``'s uplink port to ``upper``'s downlink port with a /31 and a session: a
        leaf-spine link takes the next /31 from the bottom of the p2p pool; a spine-core link the
        /31 ``slot`` counted from its top (a spine's and uplink port's own: growing the fabric by an SU
        adds leaf-spine links and core uplinks, and renumbers none)."""
        speed = lower.switch.speed
        if slot is not None:
            a = self.p2p_top - 2 * slot
        else:
            a = self.p2p_next
            self.p2p_next += 2
        b = a + 1
        length = self.lengths[cable]
        up_name, up_buffer, up_fec = self.end(upper, up_idx, speed, length)
        low_name, low_buffer, low_fec = self.end(lower, low_idx, speed, length)
        ip_a, ip_b = _ip(a), _ip(b)
        upper.ports.append(Port(up_name, up_idx, speed, self.mtu, "downlink", cable, length, f"{ip_a}/31",
                                lower.name, low_name, ip_b, f"P2P_{lower.name}_{low_name}", up_buffer, up_fec))
        lower.ports.append(Port(low_name, low_idx, speed, self.mtu, "uplink", cable, length, f"{ip_b}/31",
                                upper.name, up_name, ip_a, f"P2P_{upper.name}_{up_name}", low_buffer, low_fec))
        upper.neighbors.append(Neighbor(lower.name, ip_b, lower.asn, ip_a, up_name, GROUP[lower.role]))
        lower.neighbors.append(Neighbor(upper.name, ip_a, upper.asn, ip_b, low_name, GROUP[upper.role]))

    def attach(self, leaf: _Dev, index: int, host: str, nic: str, speed: int, base: int,
               rail: int | None, reach: str, sub: int = 0, count: int = 1) -> None:
        """Cable a host NIC to a leaf port (breakout child ``sub`` of ``count`` when the NIC is slower than
        the port and the model breaks it out) on the /31 at ``base`` (leaf even, host odd)."""
        length = self.lengths["server_leaf"]
        name, buffer, port_fec = self.end(leaf, index, speed, length, sub, count)
        ip_leaf, ip_host = _ip(base), _ip(base + 1)
        leaf.ports.append(Port(name, index, speed, self.mtu, "server", "server_leaf", length,
                               f"{ip_leaf}/31", host, nic, ip_host, f"SERVER_{host}_{nic}", buffer, port_fec,
                               f"{count}x{speed}G" if count > 1 else "", sub))
        self.nics.setdefault(host, []).append(
            Nic(nic, self.fabric, rail, speed, f"{ip_host}/31", ip_leaf, leaf.name, name, reach))  # type: ignore[arg-type]


def _leaf_uplinks(fb: _FabricBuild, leaves: list[_Dev], spines: list[_Dev], uplinks: list[int]) -> None:
    """Leaf j's uplinks (``uplinks[j]``, on its top ports) go round robin over the spines, starting where the
    leaf before it stopped: every leaf has the same links to every spine within one, and the spines'
    ports fill evenly within one (the fewest spines need not divide the uplinks). Each spine gives
    each leaf a run of ports."""
    used = [0] * len(spines)
    start = 0
    for leaf, count in zip(leaves, uplinks, strict=True):
        first = leaf.switch.ports - count + 1
        for k in range(count):
            n = (start + k) % len(spines)
            used[n] += 1
            fb.link(spines[n], used[n], leaf, first + k, "leaf_spine")
        start += count


def fabric_mtu(mtu: int, switches: list[Switch]) -> int:
    """The MTU every port of a fabric carries: the intent's, clamped to the smallest maximum of its
    switch models (a catalog model's from its datasheet, e.g. 9214 on EOS: docs/sources.md#eos-mtu)."""
    return min(mtu, *(sw.max_mtu for sw in switches))


def _backend(b: Backend, s: BackendShape, host_names: list[str]) -> tuple[_FabricBuild, int]:
    pools = {k: IPNetwork(getattr(b.pools, k)) for k in ("p2p", "servers")}
    used = [b.switches.leaf, b.switches.spine, *([b.switches.core] if s.tiers == 3 else [])]
    mtu = fabric_mtu(b.mtu, used)
    fb = _FabricBuild("backend", mtu, b.cables.model_dump(), pools["p2p"].first, pools["p2p"].last - 1, FabricQos(b.qos, mtu, "backend"))
    sw, base = b.switches, b.asn.base
    leaf_asn0 = base + 1 + s.pod_asns  # a pod added later takes a kept ASN: no leaf is renumbered
    cores: list[list[_Dev]] = []
    if s.tiers == 3:
        cores = [[fb.add(_Dev(f"be-core{n + 1}-{c + 1}", "core", 3, sw.core, base, plane=n + 1))
                  for c in range(s.cores_per_plane)] for n in range(s.spines_per_pod)]
    spines = [[fb.add(_Dev(f"be-spine{n + 1}" if s.tiers == 2 else f"be-spine-p{p + 1}-{n + 1}", "spine", 2, sw.spine,
                           base if s.tiers == 2 else base + p + 1, pod=p + 1 if s.tiers == 3 else None,
                           plane=n + 1 if s.tiers == 3 else None))
               for n in range(s.pod_spines(p)[0])] for p in range(s.pods)]
    leaves = [fb.add(_Dev(f"be-leaf-su{su + 1}-r{r + 1}", "leaf", 1, sw.leaf, leaf_asn0 + su * s.rails + r,
                          su=su + 1, rail=r + 1, pod=su // s.sus_per_pod + 1 if s.tiers == 3 else None))
              for su in range(s.sus) for r in range(s.rails)]
    for p in range(s.pods):
        pod_leaves = [lf for lf in leaves if (lf.pod or 1) == p + 1]
        _leaf_uplinks(fb, pod_leaves, spines[p], [s.leaf_uplinks] * len(pod_leaves))
    if s.tiers == 3:
        down = sw.spine.ports // 2
        for p, pod in enumerate(spines):
            for n, spine in enumerate(pod):
                for k in range(s.pod_spines(p)[1]):
                    core = cores[n][k % s.cores_per_plane]
                    fb.link(core, p * s.spine_core_links + k // s.cores_per_plane + 1, spine, down + 1 + k, "spine_core",
                            (p * s.spines_per_pod + n) * s.spine_up_ports + k)
    # Server links: the pool is split per rail, each rail block per SU leaf (docs/sources.md#superpod).
    leaf_block = next_pow2(2 * s.servers_per_su)
    rail_block = next_pow2(s.room * leaf_block)  # the SUs of backend.growth: one added later renumbers no server
    per_port = fanout(sw.leaf, b.nic_speed)  # NICs per server port (a breakout where the model has one)
    for leaf in leaves:
        assert leaf.su is not None and leaf.rail is not None
        rail_base = pools["servers"].first + (leaf.rail - 1) * rail_block
        block = rail_base + (leaf.su - 1) * leaf_block
        leaf.subnets.append(_cidr(block, 32 - leaf_block.bit_length() + 1))
        reach = _cidr(rail_base, 32 - rail_block.bit_length() + 1)
        for i in range(s.servers_per_su):
            host = host_names[(leaf.su - 1) * s.servers_per_su + i]
            fb.attach(leaf, i // per_port + 1, host, f"rail{leaf.rail}", b.nic_speed, block + 2 * i, leaf.rail, reach,
                      i % per_port, per_port)
    return fb, s.tiers


def _frontend(f: Frontend, s: FrontendShape, servers: list[str], storage: list[str], room: int) -> _FabricBuild:
    """The frontend laid out for the hosts of :func:`~aifab.design.sizing.laid_out` (``room``: the GPU
    servers the backend is laid out for): its slots hold the GPU servers, then the storage nodes, each
    kind from its first slot (a slot without a host yet keeps its leaf port and address for the host
    to come)."""
    pools = {k: IPNetwork(getattr(f.pools, k)) for k in ("p2p", "servers")}
    mtu = fabric_mtu(f.mtu, [f.switches.leaf, f.switches.spine, *([f.switches.core] if s.pods else [])])
    fb = _FabricBuild("frontend", mtu, f.cables.model_dump(), pools["p2p"].first, pools["p2p"].last - 1, FabricQos(f.qos, mtu, "frontend"))
    sw, base = f.switches, f.asn.base
    uplinks = [u for u in s.uplinks for _ in "ab"]
    if not s.pods:
        spines = [fb.add(_Dev(f"fe-spine{n + 1}", "spine", 2, sw.spine, base)) for n in range(s.spines)]
        leaves = [fb.add(_Dev(f"fe-leaf{p + 1}{side}", "leaf", 1, sw.leaf, base + 1 + 2 * p + i, pair=p + 1))
                  for p in range(s.pairs) for i, side in enumerate("ab")]
        _leaf_uplinks(fb, leaves, spines, uplinks)
    else:
        leaves = _frontend_pods(fb, s, sw, base, uplinks)
    leaf_block = next_pow2(2 * s.hosts_per_pair)
    reach = str(pools["servers"].cidr)
    speeds = {False: f.nic_speed, True: f.storage_speed}
    per_port = {kind: fanout(sw.leaf, speed) for kind, speed in speeds.items()}  # hosts per port, by kind
    server_slots, storage_slots = laid_out(f, room)
    slots = [*servers, *[None] * (server_slots - len(servers)), *storage, *[None] * (storage_slots - len(storage))]
    for j, leaf in enumerate(leaves):
        block = pools["servers"].first + j * leaf_block
        leaf.subnets.append(_cidr(block, 32 - leaf_block.bit_length() + 1))
        first_slot = j // 2 * s.hosts_per_pair
        pair_hosts = slots[first_slot:first_slot + s.hosts_per_pair]
        n_srv = max(0, min(len(pair_hosts), server_slots - first_slot))  # servers first, then storage on the next ports
        for i, host in enumerate(pair_hosts):
            if host is None:
                continue
            kind = i >= n_srv
            n, k = per_port[kind], i - n_srv if kind else i
            first = -(-n_srv // per_port[False]) if kind else 0
            fb.attach(leaf, first + k // n + 1, host, f"fe{j % 2 + 1}", speeds[kind], block + 2 * i, None, reach, k % n, n)
    return fb


def _frontend_pods(fb: _FabricBuild, s: FrontendShape, sw: FrontendSwitches, base: int, uplinks: list[int]) -> list[_Dev]:
    """Three frontend tiers: cores in planes, each pod's spines (spine n in plane n, a shared ASN per
    pod), its leaf pairs; each spine's core uplinks (``s.spine_links``: as many as its leaf downlinks,
    one per core of its plane at least) round robin over its plane's cores (RFC 7938 ASNs: cores
    ``base``, pod p's spines ``base + p``, the leaves after one kept per core port)."""
    planes = max(s.pod_spines)
    cores = [[fb.add(_Dev(f"fe-core{n + 1}-{c + 1}", "core", 3, sw.core, base, plane=n + 1))
              for c in range(s.cores_per_plane)] for n in range(planes)]
    leaf_asn0 = base + 1 + s.pod_asns  # a pod added later takes a kept ASN: no leaf is renumbered
    leaves: list[_Dev] = []
    pods = []
    first = 0
    for p, (pairs, count) in enumerate(zip(s.pods, s.pod_spines, strict=True)):
        spines = [fb.add(_Dev(f"fe-spine-p{p + 1}-{n + 1}", "spine", 2, sw.spine, base + 1 + p, pod=p + 1, plane=n + 1))
                  for n in range(count)]
        mine = [fb.add(_Dev(f"fe-leaf{j + 1}{side}", "leaf", 1, sw.leaf, leaf_asn0 + 2 * j + i, pair=j + 1, pod=p + 1))
                for j in range(first, first + pairs) for i, side in enumerate("ab")]
        _leaf_uplinks(fb, mine, spines, uplinks[2 * first:2 * (first + pairs)])
        leaves += mine
        pods.append(spines)
        first += pairs
    down = sw.spine.ports // 2
    used = [[0] * s.cores_per_plane for _ in range(planes)]
    start = [0] * planes
    ups = iter(up for _, up in s.spine_links)
    ordinal = 0  # the spine's place in pod order: its uplink ports' /31s
    for spines in pods:
        for n, spine in enumerate(spines):
            count = next(ups)
            for k in range(count):
                c = (start[n] + k) % s.cores_per_plane
                used[n][c] += 1
                fb.link(cores[n][c], used[n][c], spine, down + 1 + k, "spine_core", ordinal * s.spine_up_ports + k)
            start[n] += count
            ordinal += 1
    return leaves


def load_balance(asked: LoadBalance | None, platform_name: str, asic: str) -> LoadBalance | None:
    """What one device does of the asked load balancing: the QP hash and dynamic load balancing only
    where its platform can state them and its ASIC has them (catalog ``qp_hash``, ``dlb``)."""
    if asked is None:
        return None
    record, chip = platform(platform_name), ASICS.get(asic)
    qp = record.qp_hash == "always" or (record.qp_hash == "asic" and chip is not None and chip.qp_hash)
    dynamic = record.dynamic_lb and chip is not None and chip.dlb
    return LoadBalance(asked.fields, asked.roce_qp and qp, asked.dynamic and dynamic)


_ROLE_ORDER = {"core": 0, "spine": 1, "leaf": 2}


def pod_order(devices: list[_Dev]) -> list[int]:
    """Each device's place when its fabric's loopbacks and management addresses are counted out:
    the cores, then pod by pod its spines and its leaves (two tiers: the spines, then the leaves).
    A pod or an SU added later comes last, so growth renumbers no switch that stays (the cores
    change only with a re-cabling)."""
    ranked = sorted(range(len(devices)), key=lambda i: (devices[i].role != "core", devices[i].pod or 0,
                                                        _ROLE_ORDER[devices[i].role], i))
    place = [0] * len(devices)
    for n, i in enumerate(ranked):
        place[i] = n
    return place


_ROLE, _PEER, _BUFFER, _CABLE = attrgetter("role"), attrgetter("peer"), attrgetter("buffer"), attrgetter("cable")
_PORT_ORDER = attrgetter("index", "sub")


def _freeze(fb: _FabricBuild, loopbacks: IPNetwork, mgmt: list[str], lb: LoadBalance | None = None) -> tuple[Device, ...]:
    out = []
    place = pod_order(fb.devices)
    balancing: dict[tuple[str, str], LoadBalance | None] = {}  # per platform and ASIC
    for i, d in enumerate(fb.devices):
        uplinks = list(map(_ROLE, d.ports)).count("uplink")
        max_paths = max(uplinks, *Counter(map(_PEER, d.neighbors)).values(), 1)
        asic = d.switch.asic or platform(d.switch.platform).qos.buffer_model
        key = (d.switch.platform, asic)
        if key not in balancing:
            balancing[key] = load_balance(lb, *key)
        out.append(Device(
            d.name, fb.fabric, d.role, d.tier, d.switch.platform, d.switch.model, d.asn,  # type: ignore[arg-type]
            _ip(loopbacks.first + 1 + place[i]), mgmt[place[i]], d.su, d.rail, d.pod, d.plane, d.pair,
            tuple(sorted(d.ports, key=_PORT_ORDER)), tuple(d.neighbors), max_paths, tuple(d.subnets),
            fb.qos.policy(d.switch.platform),
            fb.qos.device_buffers(d.switch, list(map(_BUFFER, d.ports)), d.name, list(map(_CABLE, d.ports))),
            asic, d.switch.max_mtu, load_balance=balancing[key]))
    return tuple(out)


def build_design(intent: Intent) -> Design:
    """Derive the complete Design. Raises DesignError if the intent cannot be built."""
    intent, problems = resolve_switches(intent)
    if problems:
        raise DesignError(problems)
    problems = intent_problems(intent) + qos_problems(intent)
    if problems:
        raise DesignError(problems)
    b, f = intent.backend, intent.frontend
    keep = intent.upgrade.min_capacity_pct
    bshape, _ = backend_shape(b, keep)
    fshape, _ = frontend_shape(f, backend_room(b), keep)
    assert bshape is not None and fshape is not None
    servers = [f"srv-su{i // b.servers_per_su + 1}-{i % b.servers_per_su + 1:02d}" for i in range(b.servers)]
    storage = [f"stor{i + 1:02d}" for i in range(f.storage_nodes)]

    bfb, _ = _backend(b, bshape, servers)
    ffb = _frontend(f, fshape, servers, storage, backend_room(b))

    mgmt_net = IPNetwork(intent.management.network)
    gateway = intent.management.gateway or _ip(mgmt_net.first + 1)
    gw_int = int(IPAddress(gateway))
    mgmt = management_addresses(mgmt_net, gw_int, len(bfb.devices), len(ffb.devices))

    b_tiers, f_tiers = backend_tiers(b, bshape), frontend_tiers(f, fshape)

    lb = b.load_balancing
    asked = LoadBalance(tuple(f for f in HASH_FIELDS if f in lb.fields), lb.roce_qp, lb.dynamic)
    bdevs = _freeze(bfb, IPNetwork(b.pools.loopbacks), mgmt["backend"], asked)
    fdevs = _freeze(ffb, IPNetwork(f.pools.loopbacks), mgmt["frontend"])
    versioned, problems = with_versions(intent.upgrade.os_version, [*bdevs, *fdevs])
    if problems:
        raise DesignError(problems)
    bdevs, fdevs = tuple(versioned[:len(bdevs)]), tuple(versioned[len(bdevs):])
    backend = FabricDesign("backend", b_tiers, b.oversubscription, bgp_policy(b), bfb.mtu, b.pools.loopbacks, b.pools.p2p, b.pools.servers,
                           bdevs, asked)
    frontend = FabricDesign("frontend", f_tiers, f.oversubscription, bgp_policy(f), ffb.mtu, f.pools.loopbacks, f.pools.p2p, f.pools.servers,
                            fdevs)
    unworkable = list(bfb.qos.problems.values()) + list(ffb.qos.problems.values())
    if unworkable:
        raise DesignError(unworkable)
    hosts = tuple(
        Host(name, "gpu", i // b.servers_per_su + 1, tuple(bfb.nics[name] + ffb.nics[name]))
        for i, name in enumerate(servers)
    ) + tuple(Host(name, "storage", None, tuple(ffb.nics[name])) for name in storage)
    return Design(intent.cluster, backend, frontend, hosts, gateway, upgrade_policy(intent),
                  access_policy(intent.management, intent.telemetry), telemetry_policy(intent.telemetry))


def management_addresses(net: IPNetwork, gateway: int, backend: int, frontend: int) -> dict[str, list[str]]:
    """Each fabric's management addresses in :func:`pod_order`: the backend's from the bottom of
    ``net`` up, the frontend's from the top down (the gateway skipped), so that one fabric's growth never
    renumbers the other's switches (a management address is how operators, DNS and the inventory
    reach a switch). The intent's validation makes sure both fit."""
    def hosts(ints: range, count: int) -> list[str]:
        return [_cidr(a, net.prefixlen) for a in islice((a for a in ints if a != gateway), count)]

    return {"backend": hosts(range(net.first + 1, net.last), backend),
            "frontend": hosts(range(net.last - 1, net.first, -1), frontend)}


def bgp_policy(fabric: Backend | Frontend) -> BgpPolicy:
    """A fabric's BGP session timers and BFD."""
    return BgpPolicy(**fabric.bgp.model_dump())


def upgrade_policy(intent: Intent) -> UpgradePolicy:
    """How changes roll out (the target software versions are the devices')."""
    return UpgradePolicy(**intent.upgrade.model_dump(exclude={"os_version"}))


PRIVILEGE = {"network-admin": 15, "network-operator": 1}  # EOS's default roles and their privilege levels


def telemetry_policy(t: Telemetry) -> TelemetryPolicy:
    """sFlow, gNMI, queue monitoring and the health thresholds from the intent's telemetry section."""
    s = t.sflow
    return TelemetryPolicy(tuple(s.collectors), s.port, s.sample_rate, s.polling_s, t.gnmi, t.queue_monitor,
                           HealthThresholds(**t.thresholds.model_dump()))


def access_policy(m: Management, telemetry: Telemetry | None = None) -> AccessPolicy:
    """The way in from the intent's management section; secrets are named here, never valued.
    gNMI is on when the management section or the telemetry section asks for it."""
    accounts = tuple(Account(u.name, u.role, PRIVILEGE[u.role], u.role == "network-admin",
                             f"users.{u.name}.password" if u.password else None,
                             f"users.{u.name}.ssh_key" if u.ssh_key else None) for u in m.users)
    return AccessPolicy(
        accounts=accounts,
        tacacs=tuple(m.aaa.tacacs), tacacs_key_secret="aaa.tacacs_key" if m.aaa.tacacs else None,
        radius=tuple(m.aaa.radius), radius_key_secret="aaa.radius_key" if m.aaa.radius else None,
        local_fallback=m.aaa.local_fallback or not (m.aaa.tacacs or m.aaa.radius),
        ntp=tuple(m.ntp), syslog=tuple(m.syslog),
        snmp_community_secret="snmp.community" if m.snmp.community else None,
        snmp_users=tuple(SnmpUser(n, f"snmp.users.{n}.auth", f"snmp.users.{n}.priv") for n in m.snmp.users),
        snmp_location=m.snmp.location, snmp_contact=m.snmp.contact,
        api=m.api, gnmi=m.gnmi or bool(telemetry and telemetry.gnmi))
