"""Links a deploy changes at one end only: a setting both ends of a link must share (MTU, speed,
FEC, PFC priorities) changed on a port whose peer is left out of the deploy (``--limit``/``--exclude``).
Speed or FEC that differ take the link down, which the verify sees; an MTU that differs drops the
frames one end sends longer than the other takes, and PFC enabled at one end only leaves the
other's pause frames unanswered (the lossless class drops), which nothing reads: each is said,
never silent."""

from __future__ import annotations

from aifab.design.model import Design
from aifab.plan.changes import natural_sorted
from aifab.plan.waves import line_kinds, scoped_lines

LINK_KINDS = ("mtu", "speed", "fec", "pfc-enable")  # change kinds (plan.impact) both ends of a link must share


def one_sided_links(design: Design, diffs: dict[str, str], outside: frozenset[str]) -> dict[str, list[str]]:
    """Per device of ``diffs`` (its diff against what it runs) that changes a :data:`LINK_KINDS`
    setting on a port cabled to a switch in ``outside``: one line per kind naming those ports."""
    by_name = {d.name: d for d in design.devices()}
    out: dict[str, list[str]] = {}
    for name, diff in diffs.items():
        ports = {p.name: p for p in by_name[name].ports if p.peer in outside}
        found: dict[str, set[str]] = {}
        for sign, line, port in scoped_lines(diff) if ports else ():
            if port in ports:
                for kind in line_kinds([(sign, line)]):
                    if kind in LINK_KINDS:
                        found.setdefault(kind, set()).add(port)
        for kind in (k for k in LINK_KINDS if k in found):
            links = ", ".join(f"{p} (to {ports[p].peer} {ports[p].peer_port})" for p in natural_sorted(found[kind]))
            out.setdefault(name, []).append(
                f"{kind} changed at this end only of {links}: the other end is left out of this deploy, and the two "
                "ends differ until it is deployed too")
    return out
