"""QOS: lossless RoCEv2 as the Design's policy says, on every port (docs/sources.md#qos-common, #pfc-watchdog).

PFC no-drop on the same priorities at both ends of every link, one DSCP -> TC map fabric-wide,
strict classes (CNP), ECN on the lossless queue with min < max below the queue's buffer, and the
PFC watchdog on every PFC port. Each rule reads the parsed port settings and the policy.
"""

from __future__ import annotations

from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.check.rules.ports import fmt, grouped, policed_ports


@rule("QOS001", Severity.ERROR, "PFC no-drop on the policy's priorities at both ends of every link",
      "PAUSE only works when both ends agree on the no-drop priority; a mismatch drops RoCE traffic or pauses the wrong class")
def pfc_priorities(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        want = frozenset(policy.lossless_priorities)
        for port, iface in ports:
            if iface.pfc == want:
                continue
            peer = ctx.interface(port.peer, port.peer_port)
            far = f"; {port.peer} {port.peer_port} has {fmt(peer.pfc)}" if peer is not None else ""
            yield Hit(dev.fabric, dev.name, port.name,
                      f"PFC no-drop on priority {fmt(iface.pfc)}, the {dev.fabric} policy says {fmt(want)}{far}")


@rule("QOS002", Severity.ERROR, "one DSCP -> traffic class map fabric-wide",
      "a port that classifies RoCE (DSCP 26) or CNP (DSCP 48) differently puts them in a lossy or wrong queue")
def dscp_map(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        want = dict(enumerate(policy.dscp_to_tc))
        bad = []
        same: dict[int, int] | None = want  # a map found equal to the policy's (ports often share one)
        for port, iface in ports:
            got = iface.dscp_to_tc
            if got is same:
                continue
            if got is None:
                bad.append((port.name, "does not classify by DSCP (no DSCP trust)"))
            elif got != want:
                diff = [f"DSCP {d} -> TC {got.get(d, 'none')} (policy {t})" for d, t in want.items() if got.get(d) != t]
                bad.append((port.name, ", ".join(diff[:4]) + (f" and {len(diff) - 4} more" if len(diff) > 4 else "")))
            else:
                same = got
        yield from grouped(dev, bad, len(ports))


@rule("QOS003", Severity.ERROR, "strict-priority classes as the policy (CNP strict)",
      "congestion notifications (CNP) must overtake data in a strict queue or DCQCN reacts too late")
def strict_classes(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        want = frozenset(policy.tc_to_queue[t] for t in policy.strict_tcs)
        cnp = f" (CNP is TC {policy.cnp_tc})" if policy.cnp_tc is not None else ""
        bad = [(port.name, f"strict queues {fmt(iface.strict)}, the policy's are {fmt(want)}{cnp}")
               for port, iface in ports if iface.strict != want]
        yield from grouped(dev, bad, len(ports))


@rule("QOS004", Severity.ERROR, "ECN marks on the lossless queue of every port",
      "without ECN (DCQCN) on a port, congestion there is handled by PAUSE alone, which spreads it upstream")
def ecn_present(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        if policy.ecn is None:
            continue
        bad = []
        marked: set[int] = set()  # ECN settings found on every queue of the policy (a device's ports share a few)
        for port, iface in ports:
            if id(iface.ecn) in marked:
                continue
            missing = {q for q in policy.ecn_queues if q not in iface.ecn}
            if missing:
                bad.append((port.name, f"no ECN marking on queue {fmt(missing)}"))
            else:
                marked.add(id(iface.ecn))
        yield from grouped(dev, bad, len(ports))


@rule("QOS005", Severity.ERROR, "ECN min < max, both below the lossless queue's buffer",
      "marking must start before it saturates and well before the queue fills to XOFF, or PFC fires before ECN acts")
def ecn_thresholds(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        limit = dev.buffers.lossless_queue_bytes if dev.buffers is not None and policy.lossless else None
        bad = []
        sound: set[int] = set()  # ECN settings found within bounds (a device's ports share a few)
        for port, iface in ports:
            if id(iface.ecn) in sound:
                continue
            found = len(bad)
            for q, e in sorted(iface.ecn.items()):
                if q not in policy.ecn_queues:
                    continue
                if e.min_bytes is None or e.max_bytes is None or e.min_bytes >= e.max_bytes:
                    bad.append((port.name, f"queue {q}: ECN min {e.min_bytes} is not below max {e.max_bytes}"))
                elif limit is not None and e.max_bytes >= limit:
                    bad.append((port.name, f"queue {q}: ECN max {e.max_bytes} is not below the lossless queue's buffer {limit}"))
            if len(bad) == found:
                sound.add(id(iface.ecn))
        yield from grouped(dev, bad, len(ports))


@rule("QOS006", Severity.ERROR, "PFC watchdog on every PFC port",
      "a stuck PAUSE (storm) spreads hop by hop into fabric-wide deadlock unless a watchdog breaks it (docs/sources.md#pfc-watchdog)")
def watchdog(ctx: CheckContext) -> Iterator[Hit]:
    for dev, _, policy, ports in policed_ports(ctx):
        if policy.watchdog is None or not policy.watchdog.enabled:
            continue  # QOS007 warns about the intent's choice
        pfc = [(port, iface) for port, iface in ports if iface.pfc]
        bad = [(port.name, f"PFC on priority {fmt(iface.pfc)} without a PFC watchdog")
               for port, iface in pfc if iface.watchdog is False]
        yield from grouped(dev, bad, len(pfc))


@rule("QOS007", Severity.WARNING, "the intent keeps the PFC watchdog on", scope="design",
      rationale="the intent may switch the watchdog off; lossless ports then have no defence against PAUSE storms")
def watchdog_policy(ctx: CheckContext) -> Iterator[Hit]:
    for fabric in ctx.design.fabrics:
        off = sorted({d.platform for d in fabric.devices
                      if d.qos is not None and d.qos.lossless and (d.qos.watchdog is None or not d.qos.watchdog.enabled)})
        if off:
            yield Hit(fabric.name, "", "", f"PFC without a watchdog on {', '.join(off)} switches: "
                                           f"the intent disables it ({fabric.name}.qos.watchdog.enabled)")
