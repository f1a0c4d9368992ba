"""HOST: each host NIC agrees with the switch port it is cabled to, as its host reports it
(``aifab check --hosts DIR``; docs/sources.md#host-roce). Findings name the server, the NIC and the
switch port; a setting the report does not show is a finding too (never taken as agreeing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aifab.check.findings import Hit, Severity
from aifab.check.parse.host import NicReport
from aifab.check.registry import rule
from aifab.render.hosts import HostSettings, NicSettings, RoceSettings

SHOWN = 5  # hosts named in the one finding about missing reports


def _nics(ctx: Any) -> Iterator[tuple[HostSettings, NicSettings, NicReport | None]]:
    for h in ctx.settings:
        report = ctx.reports.get(h.host)
        if report is not None:
            for n in h.nics:
                yield h, n, report.nics.get(n.nic)


def _roce(ctx: Any) -> Iterator[tuple[NicSettings, RoceSettings, NicReport | None]]:
    """The NICs that carry RoCE, their settings and what their host reports of them."""
    for _, n, got in _nics(ctx):
        if n.roce is not None:
            yield n, n.roce, got


def _unreported(got: NicReport | None, section: str) -> bool:
    return got is None or section not in got.sections


def _hit(n: NicSettings, message: str) -> Hit:
    return Hit(n.fabric, n.host, f"{n.nic} -> {n.switch} {n.switch_port}", message)


def _prios(flags: tuple[int, ...]) -> str:
    return ",".join(str(p) for p, on in enumerate(flags) if on) or "none"


@rule("HOST001", Severity.ERROR, "host NIC QoS agrees with its switch port",
      "a NIC that does not trust DSCP, maps RoCE or CNP to another priority, or pauses other priorities than the "
      "switch loses the lossless class or deadlocks it; NIC and switch are configured apart", scope="hosts")
def nic_qos(ctx: Any) -> Iterator[Hit]:
    for n, r, got in _roce(ctx):
        if _unreported(got, "mlnx_qos"):
            yield _hit(n, f"QoS not reported (no '### mlnx_qos -i {n.nic}' section)")
            continue
        if got.trust != r.trust:
            yield _hit(n, f"trusts {got.trust or 'nothing reported'}; the switch port trusts {r.trust}")
        for what, dscp, prio in (("RoCE", r.roce_dscp, r.roce_priority), ("CNP", r.cnp_dscp, r.cnp_priority)):
            if got.dscp2prio.get(dscp) != prio:
                yield _hit(n, f"{what} DSCP {dscp} maps to priority {got.dscp2prio.get(dscp, 'none reported')}; "
                              f"the switch port puts it in {prio}")
        if got.pfc != r.pfc:
            have = _prios(got.pfc) if got.pfc is not None else "not reported"
            yield _hit(n, f"PFC on priorities {have}; the switch port has PFC on {_prios(r.pfc)}")


@rule("HOST002", Severity.ERROR, "host NIC ECN, CNP and RoCE ToS agree with its switch port",
      "the switch marks ECN on the lossless queue and sends CNPs strict on their class: a NIC that neither reacts "
      "to marks nor sends CNPs on that DSCP and priority leaves congestion to PFC alone", scope="hosts")
def nic_ecn(ctx: Any) -> Iterator[Hit]:
    for n, r, got in _roce(ctx):
        if _unreported(got, "ecn"):
            yield _hit(n, f"ECN not reported (no '### ecn {n.nic}' section)")
        else:
            for p in r.ecn_priorities:
                for point, table in (("notification point (roce_np)", got.ecn_np), ("reaction point (roce_rp)", got.ecn_rp)):
                    if table.get(p) != 1:
                        yield _hit(n, f"ECN {point} off on priority {p}; the switch port marks ECN there")
            if got.cnp_dscp != r.cnp_dscp:
                yield _hit(n, f"CNPs sent with DSCP {got.cnp_dscp}; the switch port classes CNPs by DSCP {r.cnp_dscp}")
            if got.cnp_prio != r.cnp_priority:
                yield _hit(n, f"CNPs sent on priority {got.cnp_prio}; the switch port serves them on {r.cnp_priority}")
        if _unreported(got, "tos"):
            yield _hit(n, f"RoCE ToS not reported (no '### tos {n.nic}' section)")
        elif got.tos != r.tos:
            have = f"ToS {got.tos}" if got.tos is not None else "no RDMA-CM default ToS (0)"
            yield _hit(n, f"RoCE traffic leaves with {have}; the switch port expects DSCP {r.roce_dscp} (ToS {r.tos})")


@rule("HOST003", Severity.ERROR, "host NIC MTU equals its switch port's",
      "an MTU above the switch port's drops jumbo RDMA frames; below it wastes the fabric", scope="hosts")
def nic_mtu(ctx: Any) -> Iterator[Hit]:
    for _, n, got in _nics(ctx):
        if got is None or got.mtu is None:
            yield _hit(n, "MTU not reported (no link in 'ip -j -4 addr show')")
        elif got.mtu != n.mtu:
            yield _hit(n, f"MTU {got.mtu}; the switch port has {n.mtu}")


@rule("HOST004", Severity.ERROR, "host NIC address and routes as designed",
      "a rail NIC without its /31 or its rail's route sends the rail's traffic elsewhere or nowhere", scope="hosts")
def nic_addressing(ctx: Any) -> Iterator[Hit]:
    for _, n, got in _nics(ctx):
        if got is None or n.address not in got.addresses:
            have = ", ".join(sorted(got.addresses)) if got is not None and got.addresses else "none"
            yield _hit(n, f"address {have}; the switch port's peer is {n.address}")
    for h in ctx.settings:
        report = ctx.reports.get(h.host)
        if report is None:
            continue
        for r in h.routes:
            want = set(r.nexthops)
            have = report.routes.get(r.prefix)
            if have != want:
                n = next(x for x in h.nics if x.nic == r.nexthops[0][1])
                got_text = ", ".join(f"via {g} dev {d}" for g, d in sorted(have)) if have else "no route"
                yield _hit(n, f"route {r.prefix}: {got_text}; designed " + ", ".join(f"via {g} dev {d}" for g, d in r.nexthops))


@rule("HOST005", Severity.WARNING, "every designed host reported, every report a designed host",
      "a host nobody checked may disagree with its switch; a report of an unknown host checks nothing", scope="hosts")
def reported(ctx: Any) -> Iterator[Hit]:
    missing = [h.host for h in ctx.settings if h.host not in ctx.reports]
    if missing:
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        yield Hit("", "", "", f"{len(missing)} hosts not reported: {', '.join(missing[:SHOWN])}{more}")
    for name in ctx.strangers:
        yield Hit("", "", name, "a report of no designed host (name the file <host>.txt)")
