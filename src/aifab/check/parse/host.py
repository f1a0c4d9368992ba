"""What a host reports (``hosts/collect.sh``'s output, one file per host): ``### <command>`` sections
of ``ip -j -4 addr show``, ``ip -j -4 route show``, and per NIC ``mlnx_qos -i <nic>``, its
``/sys/class/net/<nic>/ecn`` files and its RDMA-CM default ToS, read into typed facts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from aifab.check.parse.text import ParseError


@dataclass
class NicReport:
    """One NIC as its host reports it; None (or empty) where the report has no section for it."""

    mtu: int | None = None
    addresses: set[str] = field(default_factory=set)  # CIDR
    trust: str | None = None
    dscp2prio: dict[int, int] = field(default_factory=dict)
    pfc: tuple[int, ...] | None = None  # 8 flags
    ecn_np: dict[int, int] = field(default_factory=dict)  # priority -> enable
    ecn_rp: dict[int, int] = field(default_factory=dict)
    cnp_dscp: int | None = None
    cnp_prio: int | None = None
    tos: int | None = None
    sections: set[str] = field(default_factory=set)  # "mlnx_qos", "ecn", "tos"


@dataclass
class HostReport:
    host: str
    nics: dict[str, NicReport]
    routes: dict[str, set[tuple[str, str]]]  # prefix -> {(gateway, dev)}
    sections: set[str]  # "addr", "route"


def _sections(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def _json(name: str, section: str, body: str) -> list[dict]:
    try:
        data = json.loads(body or "[]")
    except ValueError as exc:
        raise ParseError(f"{name}: section '{section}' is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, list):
        raise ParseError(f"{name}: section '{section}' is not a JSON list")
    return data


# The fields aifab reads of iproute2's JSON (``ip -j``) and their types: a value of another type is
# not what ip printed (a report edited or cut), and the report is refused naming it.
_TYPES = {"ifname": str, "mtu": int, "addr_info": list, "family": str, "local": str, "prefixlen": int,
          "dst": str, "gateway": str, "dev": str, "nexthops": list}
_TYPE_NAMES = {str: "string", int: "number", list: "list"}


def _objects(name: str, section: str, items: object, what: str) -> list[dict]:
    """``items`` as a list of JSON objects whose known fields (:data:`_TYPES`) have their types."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ParseError(f"{name}: section '{section}': {what} is not a list of JSON objects")
    for item in items:
        for key, value in item.items():
            kind = _TYPES.get(key)
            if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise ParseError(f"{name}: section '{section}': {key} {json.dumps(value)} is not a {_TYPE_NAMES[kind]}")
    return items


def _mlnx_qos(nic: NicReport, body: str) -> None:
    """``mlnx_qos -i <nic>``: trust state, dscp2prio mapping lines, the PFC ``enabled`` row."""
    in_pfc = False
    for line in body.splitlines():
        s = line.strip()
        if m := re.match(r"Priority trust state:\s*(\w+)", s):
            nic.trust = m.group(1)
        elif m := re.match(r"prio:(\d)\s+dscp:([\d,]+)", s):
            for d in filter(None, m.group(2).split(",")):
                nic.dscp2prio[int(d)] = int(m.group(1))
        elif s.startswith("PFC configuration"):
            in_pfc = True
        elif in_pfc and s.startswith("enabled"):
            words = s.split()[1:]  # a row that is not eight 0/1 flags does not show the PFC state
            nic.pfc = tuple(int(x) for x in words) if len(words) == 8 and all(x in ("0", "1") for x in words) else None
            in_pfc = False


def _ecn(nic: NicReport, body: str) -> None:
    """``grep -r .`` of the NIC's ecn files: ``.../ecn/roce_np/enable/3:1``, ``.../roce_np/cnp_dscp:48``."""
    for line in body.splitlines():
        m = re.match(r"^\S*/ecn/(roce_np|roce_rp)/(enable/(\d)|cnp_dscp|cnp_802p_prio):(\d+)$", line.strip())
        if not m:
            continue
        point, what, prio, value = m.group(1), m.group(2), m.group(3), int(m.group(4))
        if prio is not None:
            (nic.ecn_np if point == "roce_np" else nic.ecn_rp)[int(prio)] = value
        elif what == "cnp_dscp":
            nic.cnp_dscp = value
        else:
            nic.cnp_prio = value


def parse_report(name: str, text: str) -> HostReport:
    """A host's report (``name``: its file, for errors). Raises ParseError on a malformed JSON section."""
    sections = _sections(text)
    nics: dict[str, NicReport] = {}
    host = (next((k for k in sections if k.startswith("host ")), "host ").split(" ", 1)[1]).strip()
    got = set()
    if "ip -j -4 addr show" in sections:
        got.add("addr")
        section = "ip -j -4 addr show"
        for link in _objects(name, section, _json(name, section, sections[section]), "the output"):
            nic = nics.setdefault(str(link.get("ifname")), NicReport())
            nic.mtu = link.get("mtu")
            nic.addresses |= {f"{a['local']}/{a['prefixlen']}" for a in _objects(name, section, link.get("addr_info", []), "addr_info")
                              if a.get("family") == "inet" and "local" in a and "prefixlen" in a}
    routes: dict[str, set[tuple[str, str]]] = {}
    if "ip -j -4 route show" in sections:
        got.add("route")
        section = "ip -j -4 route show"
        for r in _objects(name, section, _json(name, section, sections[section]), "the output"):
            hops = _objects(name, section, r.get("nexthops"), "nexthops") if r.get("nexthops") else [r]
            routes.setdefault(str(r.get("dst")), set()).update((h.get("gateway", ""), h.get("dev", "")) for h in hops)
    for key, body in sections.items():
        kind, _, nic_name = key.rpartition(" ")
        if kind == "mlnx_qos -i":
            nic = nics.setdefault(nic_name, NicReport())
            nic.sections.add("mlnx_qos")
            _mlnx_qos(nic, body)
        elif kind == "ecn":
            nic = nics.setdefault(nic_name, NicReport())
            nic.sections.add("ecn")
            _ecn(nic, body)
        elif kind == "tos":
            nic = nics.setdefault(nic_name, NicReport())
            nic.sections.add("tos")
            nic.tos = int(body.strip()) if body.strip().isdigit() else None
    return HostReport(host, nics, routes, got)
