"""Helpers shared by the tests: intents to build, Designs to compare."""

from __future__ import annotations

from typing import Any

from aifab.design.model import Design
from aifab.intent.schema import Intent


def make_intent(backend: dict[str, Any] | None = None, frontend: dict[str, Any] | None = None, **top: Any) -> Intent:
    """A valid intent with roomy pools; keyword dicts override the defaults."""
    be: dict[str, Any] = {
        "servers": 4, "gpus_per_server": 2, "servers_per_su": 2,
        "switches": {"leaf": {"ports": 4}, "spine": {"ports": 4}},
        "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.1.0.0/16", "servers": "10.2.0.0/15"},
    }
    fe: dict[str, Any] = {
        "storage_nodes": 1,
        "switches": {"leaf": {"ports": 8}, "spine": {"ports": 8}},
        "pools": {"loopbacks": "10.100.0.0/16", "p2p": "10.101.0.0/16", "servers": "10.102.0.0/15"},
    }
    be.update(backend or {})
    fe.update(frontend or {})
    return Intent.model_validate({"cluster": "t", "backend": be, "frontend": fe,
                                  "management": {"network": "172.16.0.0/16"}, **top})


def moved(before: Design, after: Design, fabric: str | None = None) -> list[tuple[Any, ...]]:
    """Every link, address, ASN, router ID, management address or server block of a switch of
    ``before`` (of ``fabric``, or of both with their hosts' NICs) that ``after`` does not keep (a port
    or host it only adds is not counted)."""
    new = {d.name: d for d in after.devices()}
    out: list[tuple[Any, ...]] = []
    for d in (getattr(before, fabric).devices if fabric else before.devices()):
        if d.name not in new:
            out.append((d.name, "gone"))
            continue
        now, was = {p.name: p for p in new[d.name].ports}, new[d.name]
        out += [(d.name, p.name, p.peer) for p in d.ports
                if (q := now.get(p.name)) is None or (q.peer, q.peer_port, q.address) != (p.peer, p.peer_port, p.address)]
        if (d.asn, d.loopback, d.management, d.server_subnets) != (was.asn, was.loopback, was.management, was.server_subnets):
            out.append((d.name, "renumbered"))
    if fabric is None:
        hosts = {h.name: h for h in after.hosts}
        out += [(h.name, "host renumbered") for h in before.hosts if hosts[h.name].nics != h.nics]
    return out
