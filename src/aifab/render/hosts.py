"""Host NICs that agree with their switch: per server and NIC, the RoCE settings of the leaf port it
is cabled to (DSCP trust, the DSCP -> priority map of RoCE and CNP, PFC priorities, ECN reaction and
notification points, the CNP's DSCP and priority, RoCE v2 and its ToS), its MTU, rail address and
routes, all read from the same Design as the switch (docs/sources.md#host-roce).

Rendered per host as a shell script for Linux with NVIDIA/Mellanox NICs (MLNX_OFED's ``mlnx_qos``,
``cma_roce_mode``, ``cma_roce_tos`` and the ``/sys/class/net/<if>/ecn`` files), and for every host as
JSON. Frontend NICs are lossy: MTU, address and routes only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from aifab.design.model import Design, Device, Host, Nic, Port, QosPolicy
from aifab.render.env import template

ROCE_V2 = 2  # cma_roce_mode -m 2: RoCE v2
ECN_ON = 1


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    nexthops: tuple[tuple[str, str], ...]  # (gateway, NIC); several make an ECMP route
    ecmp: bool


@dataclass(frozen=True, slots=True)
class RoceSettings:
    """What a lossless NIC must hold to agree with its leaf port."""

    trust: str  # "dscp"
    pfc: tuple[int, ...]  # 8 flags, priority 0..7, 1 where PFC is on (the switch's no-drop priorities)
    pfc_list: str  # "0,0,0,1,0,0,0,0" as mlnx_qos --pfc takes it
    roce_dscp: int
    roce_priority: int
    cnp_dscp: int
    cnp_priority: int
    ecn_priorities: tuple[int, ...]  # priorities whose ECN reaction and notification points are on
    tos: int  # RoCE traffic class (ToS byte) of RDMA-CM connections: the RoCE DSCP in its upper six bits


@dataclass(frozen=True, slots=True)
class NicSettings:
    """One NIC of one host and the switch port it must agree with."""

    host: str
    nic: str  # the Linux interface name (the Design's NIC name; hosts name their NICs so)
    fabric: str
    rail: int | None
    switch: str
    switch_port: str
    mtu: int
    address: str  # CIDR
    gateway: str
    roce: RoceSettings | None  # None on a lossy (frontend) NIC


@dataclass(frozen=True, slots=True)
class HostSettings:
    host: str
    kind: str
    su: int | None
    nics: tuple[NicSettings, ...]
    routes: tuple[Route, ...]


def _roce(leaf: Device, cache: dict[int, RoceSettings | None]) -> RoceSettings | None:
    """The RoCE settings of ``leaf``'s QoS policy (one object per policy: the fabric's leaves share it)."""
    q = leaf.qos
    key = id(q)
    if key not in cache:
        cache[key] = _roce_of(q)
    return cache[key]


def _roce_of(q: QosPolicy | None) -> RoceSettings | None:
    if q is None or not q.lossless or q.roce_dscp is None or q.cnp_dscp is None:
        return None
    pfc = tuple(1 if p in q.lossless_priorities else 0 for p in range(8))
    roce_prio, cnp_prio = q.dscp_to_tc[q.roce_dscp], q.dscp_to_tc[q.cnp_dscp]
    return RoceSettings("dscp", pfc, ",".join(map(str, pfc)), q.roce_dscp, roce_prio, q.cnp_dscp, cnp_prio,
                        tuple(p for p in q.ecn_queues if p in q.lossless_priorities), q.roce_dscp << 2)


def _nic(host: Host, nic: Nic, leaf: Device, port: Port, cache: dict[int, RoceSettings | None]) -> NicSettings:
    return NicSettings(host.name, nic.name, nic.fabric, nic.rail, leaf.name, port.name, port.mtu, nic.address,
                       nic.gateway, _roce(leaf, cache) if nic.fabric == "backend" else None)


def host_settings(design: Design) -> list[HostSettings]:
    """Every host's NIC settings, from the leaf ports their NICs are cabled to."""
    leaves = {d.name: d for d in design.devices() if d.role == "leaf"}
    ports = {(d.name, p.name): p for d in leaves.values() for p in d.ports if p.role == "server"}
    out, cache = [], {}
    for host in design.hosts:
        by_reach: dict[str, list[tuple[str, str]]] = {}
        for n in host.nics:
            by_reach.setdefault(n.reach, []).append((n.gateway, n.name))
        nics = tuple(_nic(host, n, leaves[n.leaf], ports[(n.leaf, n.leaf_port)], cache) for n in host.nics)
        out.append(HostSettings(host.name, host.kind, host.su, nics,
                                tuple(Route(p, tuple(h), len(h) > 1) for p, h in by_reach.items())))
    return out


def host_script(cluster: str, h: HostSettings) -> str:
    """The host's setup script (``hosts/<host>.sh``)."""
    return template("host/setup.sh.j2").render(cluster=cluster, h=h, roce_v2=ROCE_V2, on=ECN_ON)


def _host_dict(h: HostSettings, policies: dict[int, str], roce: dict[str, dict[str, object]]) -> dict[str, object]:
    """``h`` as JSON data, its NICs' RoCE settings by the name of their policy in ``roce`` (written once:
    the leaves of a fabric share one; by hand, as ``dataclasses.asdict`` costs seconds at 32k GPUs)."""
    def policy(r: RoceSettings | None) -> str | None:
        if r is None:
            return None
        if id(r) not in policies:
            policies[id(r)] = f"roce{len(policies) + 1}"
            roce[policies[id(r)]] = asdict(r)
        return policies[id(r)]

    return {"host": h.host, "kind": h.kind, "su": h.su,
            "nics": [{"nic": n.nic, "fabric": n.fabric, "rail": n.rail, "switch": n.switch, "switch_port": n.switch_port,
                      "mtu": n.mtu, "address": n.address, "gateway": n.gateway, "roce": policy(n.roce)} for n in h.nics],
            "routes": [{"prefix": r.prefix, "nexthops": [list(x) for x in r.nexthops]} for r in h.routes]}


def hosts_json(design: Design, hosts: list[HostSettings]) -> str:
    """``hosts/hosts.json`` (compact; ``python -m json.tool`` to read): every host, NIC and route with
    the switch port each must agree with; ``roce`` holds the RoCE settings each NIC names."""
    policies: dict[int, str] = {}
    roce: dict[str, dict[str, object]] = {}
    listed = [_host_dict(h, policies, roce) for h in hosts]
    return json.dumps({"cluster": design.cluster, "roce": roce, "hosts": listed}) + "\n"


def write_hosts(design: Design, out: Path) -> list[Path]:
    """``out/hosts/``: a setup script per host, ``hosts.json`` and the report collector ``collect.sh``."""
    folder = out / "hosts"
    folder.mkdir(parents=True, exist_ok=True)
    hosts = host_settings(design)
    written = []
    for h in hosts:
        path = folder / f"{h.host}.sh"
        path.write_text(host_script(design.cluster, h))
        written.append(path)
    for name, text in (("hosts.json", hosts_json(design, hosts)),
                       ("collect.sh", template("host/collect.sh.j2").render(cluster=design.cluster))):
        (folder / name).write_text(text)
        written.append(folder / name)
    keep = {p.name for p in written}
    for stale in folder.glob("*.sh"):
        if stale.name not in keep:
            stale.unlink()
    return written


def remove_hosts(out: Path) -> None:
    """Remove the files :func:`write_hosts` wrote into ``out/hosts`` (a build without ``--hosts``)."""
    folder = out / "hosts"
    if folder.is_dir():
        for path in [*folder.glob("*.sh"), folder / "hosts.json"]:
            path.unlink(missing_ok=True)
