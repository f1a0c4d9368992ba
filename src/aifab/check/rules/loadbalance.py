"""LB: RoCE flows spread over every uplink (docs/sources.md#load-balancing).

A RoCEv2 flow is a UDP flow to port 4791 whose source port the NIC varies per queue pair; between
two GPUs the addresses never change, so a hash without the UDP source port puts every queue pair
of a GPU pair on one uplink. Each rule reads the hash the rendered files state.
"""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


def _fmt(fields: frozenset[str] | tuple[str, ...]) -> str:
    return " ".join(sorted(fields)) or "none (the platform's default)"


@rule("LB001", Severity.ERROR, "every backend switch hashes ECMP on the UDP source port",
      "RoCEv2 varies only the UDP source port between the queue pairs of two GPUs; without it in the hash "
      "every flow of a GPU pair takes one uplink and the others idle")
def hashes_on_l4(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        if dev.fabric != "backend" or facts.ecmp_hash is None:
            continue  # a platform whose parser cannot read the hash states nothing to judge
        if "l4_src_port" not in facts.ecmp_hash:
            yield Hit(dev.fabric, dev.name, "", f"ECMP hash on {_fmt(facts.ecmp_hash)}: not on the UDP source port")


@rule("LB002", Severity.ERROR, "the rendered ECMP hash is the Design's",
      "what ships must be what the intent asked: a hash that differs from the Design spreads flows differently "
      "on some switches than on others")
def hash_as_designed(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        lb = dev.load_balance
        if lb is None or facts.ecmp_hash is None:
            continue
        want = frozenset(lb.fields) | ({"roce_qp"} if lb.roce_qp else set()) | ({"dynamic"} if lb.dynamic else set())
        if facts.ecmp_hash != want:
            yield Hit(dev.fabric, dev.name, "", f"ECMP hash on {_fmt(facts.ecmp_hash)}, the Design says {_fmt(want)}")


@rule("LB003", Severity.WARNING, "QP hashing and dynamic load balancing where the intent asks them", scope="design",
      rationale="backend.load_balancing.roce_qp and .dynamic take effect only where the platform configures them "
                "and the ASIC has them; the switches left out hash on the header fields alone")
def asked_but_not_possible(ctx: CheckContext) -> Iterator[Hit]:
    fabric = ctx.design.backend
    asked = fabric.load_balancing
    if asked is None:
        return
    for what, label in (("roce_qp", "the RoCE destination QP hash"), ("dynamic", "dynamic load balancing")):
        if not getattr(asked, what):
            continue
        without: dict[str, list[str]] = {}
        for dev in fabric.devices:
            if dev.load_balance is not None and not getattr(dev.load_balance, what):
                without.setdefault(f"{dev.platform} on {dev.asic or 'an unknown ASIC'}", []).append(dev.name)
        for where, names in sorted(without.items()):
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            yield Hit(fabric.name, "", where, f"{label} is not available on {where}: {shown} "
                                              f"(backend.load_balancing.{what})")
