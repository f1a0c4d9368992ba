"""Links a deploy changes at one end only: a setting both ends of a link must share (MTU, speed,
FEC, PFC priorities, the DSCP-to-traffic-class map and queues) changed on a port whose peer is left
out of the deploy (``--limit``/``--exclude``). Speed or FEC that differ take the link down, which the
verify sees; an MTU that differs drops the frames one end sends longer than the other takes, PFC
enabled at one end only leaves the other's pause frames unanswered, and a DSCP map that differs
puts the RoCE traffic in another class at the next hop (the lossless class drops), which nothing
reads: each is said, never silent. A setting written outside any port's block (EOS's ``qos
profile`` and ``qos map dscp``, SONiC's QoS maps) applies to every port of the switch. The MTU
and speed the far end runs are read from it (NAPALM ``get_interfaces``): a port whose peer runs
what this end takes already (a new switch whose peers were deployed for it first, a far end
deployed before) is no one-sided link."""

from __future__ import annotations

from collections.abc import Collection

from aifab.design.model import Design, Port
from aifab.plan.changes import natural_sorted
from aifab.plan.waves import line_kinds, scoped_lines

LINK_KINDS = ("mtu", "speed", "fec", "pfc-enable", "dscp-map", "qos-scheduling")  # change kinds (plan.impact) both ends of a link must share
Found = dict[str, dict[str, list[Port]]]  # device -> change kind -> its ports to switches left out
READ_KINDS = ("mtu", "speed")  # kinds whose far end's value is read (NAPALM get_interfaces) and compared
Runs = dict[str, dict[str, dict[str, int]]]  # switch -> port -> kind -> what it runs (speed in Gb/s; 0: unknown)


def one_sided_ports(design: Design, diffs: dict[str, str], outside: frozenset[str],
                    new: Collection[str] = ()) -> Found:
    """Per device of ``diffs`` (its diff against what it runs), the ports cabled to a switch in
    ``outside`` on which it changes a :data:`LINK_KINDS` setting, per kind (a line outside any
    port's block: on every such port). A device of ``new`` (it carried no traffic before) changes
    no setting its far ends shared with it: only its MTU and speed are taken, which :func:`said`
    compares with what the far end runs, read from it (its other settings are what the far ends
    were deployed for, or not: no one reads them)."""
    by_name = {d.name: d for d in design.devices()}
    out: Found = {}
    for name, diff in diffs.items():
        ports = {p.name: p for p in by_name[name].ports if p.peer in outside}
        kinds = READ_KINDS if name in new else LINK_KINDS
        found: dict[str, set[str]] = {}
        for sign, line, port in scoped_lines(diff) if ports else ():
            if port is None or port in ports:
                for kind in line_kinds([(sign, line)]):
                    if kind in kinds:
                        found.setdefault(kind, set()).update(ports if port is None else (port,))
        if found:
            out[name] = {k: [ports[p] for p in natural_sorted(found[k])] for k in LINK_KINDS if k in found}
    return out


def far_ends(found: Found) -> list[str]:
    """The switches left out whose ports :func:`said` compares: the far ends of MTU and speed changes."""
    return natural_sorted({p.peer for kinds in found.values() for k in READ_KINDS for p in kinds.get(k, ())})


def _runs(kind: str, value: int) -> str:
    return f"{value}G" if kind == "speed" else str(value)


def said(found: Found, runs: Runs | None = None, unread: dict[str, str] | None = None,
         after: bool = False) -> dict[str, list[str]]:
    """One line per device and kind naming its one-sided links. ``runs``: the MTU and speed each port
    of the switches left out runs, read from them; ``unread``: why a switch could not be read. Given
    them, a port whose far end runs this end's new MTU (speed) is left out, and the others say what
    their far end runs (or why it is not known). ``after``: the devices of ``found`` are committed and
    ``runs`` holds what their own ports run too: a port is compared with what it runs, not with its
    build (a port that cannot take its build's speed runs what the far end runs, or not)."""
    out: dict[str, list[str]] = {}
    for name, kinds in found.items():
        for kind, ports in kinds.items():
            notes = {p.name: "" for p in ports}
            if kind in READ_KINDS and runs is not None:
                for p in ports:
                    port = runs.get(p.peer, {}).get(p.peer_port)
                    value = port.get(kind) if port is not None else None
                    mine = runs.get(name, {}).get(p.name, {}).get(kind) if after else getattr(p, kind)
                    if value and value == mine:
                        del notes[p.name]
                    elif value and after:
                        here = f"this end {_runs(kind, mine)}" if mine else "this end's reads unknown"
                        notes[p.name] = f": runs {kind} {_runs(kind, value)}, {here}, read after the commit"
                    elif value:
                        notes[p.name] = f": runs {kind} {_runs(kind, value)}, read"
                    elif value is not None:
                        notes[p.name] = f": its {kind} reads unknown"
                    else:
                        why = (unread or {}).get(p.peer) or f"{p.peer_port} not among its interfaces"
                        notes[p.name] = f": not read, {why}"
            links = ", ".join(f"{p.name} (to {p.peer} {p.peer_port}{notes[p.name]})" for p in ports if p.name in notes)
            if links:
                out.setdefault(name, []).append(
                    f"{kind} changed at this end only of {links}: the other end is left out of this deploy, and the two "
                    "ends differ until it is deployed too")
    return out


def one_sided_links(design: Design, diffs: dict[str, str], outside: frozenset[str], runs: Runs | None = None,
                    unread: dict[str, str] | None = None, new: Collection[str] = ()) -> dict[str, list[str]]:
    """:func:`said` of :func:`one_sided_ports`: per device of ``diffs`` that changes a
    :data:`LINK_KINDS` setting on a port cabled to a switch in ``outside``, one line per kind."""
    return said(one_sided_ports(design, diffs, outside, new), runs, unread)
