"""A new scalable unit reached from the rest of its fabric, read on the leaves the deploy did not
change: a new leaf's own verify reads its routes to every other leaf, but the others' routes to it
are in no wave of theirs (unchanged, or left out of the deploy). Once every session of a new leaf
is up, each other leaf of its fabric must hold its server blocks over at least one BGP path (one
read of its routing table, as a verify does: :func:`aifab.deploy.tasks.verify.reach`). Not the
designed ECMP width: an old leaf's own uplink down (a broken optic, which no gate of this deploy
reads) takes a path from it to every leaf alike, and the new SU's sessions to its spines are
verified in their waves."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from aifab.deploy.tasks.expect import Expectation, RouteExpectation
from aifab.design.model import Design
from aifab.plan.changes import natural_sorted
from aifab.plan.handoff import compress


def ready(design: Design, new: Collection[str], pending: Collection[str], unverified: Collection[str]) -> list[str]:
    """The leaves of ``new`` (devices that carried no traffic before this deploy) committed and with
    every session up now: not ``pending`` (a later wave's) and none of their peers either, and no
    session to a switch left out of the deploy ``unverified``."""
    by_name = {d.name: d for d in design.devices()}
    return [n for n in new if by_name[n].role == "leaf" and n not in pending and n not in unverified
            and not any(nb.peer in pending for nb in by_name[n].neighbors)]


def readers(design: Design, targets: Collection[str], expect: dict[str, Expectation], skip: Collection[str]
            ) -> dict[str, tuple[RouteExpectation, ...]]:
    """Per other leaf of the fabrics of ``targets`` (but those in ``skip``), its routes to the server
    blocks of ``targets`` (``expect``: what the verify requires of every device), each over at
    least one BGP path."""
    by_name = {d.name: d for d in design.devices()}
    blocks = {b for n in targets for b in by_name[n].server_subnets}
    fabrics = {by_name[n].fabric for n in targets}
    out = {}
    for d in design.devices():
        if d.role == "leaf" and d.fabric in fabrics and d.name not in targets and d.name not in skip and d.name in expect:
            routes = tuple(replace(r, width=1, at_least=True) for r in expect[d.name].routes if r.prefix in blocks)
            if routes:
                out[d.name] = routes
    return out


def not_reached(design: Design, targets: list[str], problems: dict[str, list[str]]) -> dict[str, str]:
    """Per leaf of ``targets``, why it is not reached: the leaves whose route ``problems`` (leaf ->
    its problems, each starting with the block: :func:`aifab.deploy.tasks.verify.route_problems`)
    name one of its server blocks, and the first one's problems. Problems that name no target's block
    fail every target with them: a leaf's problems never leave a wave passing."""
    by_name = {d.name: d for d in design.devices()}
    problems = {n: found for n, found in problems.items() if found}
    out = {}
    for t in targets:
        blocks = by_name[t].server_subnets
        mine = {n: [p for p in found if p.split(":")[0] in blocks] for n, found in problems.items()}
        out.update(_said(t, {n: found for n, found in mine.items() if found}))
    if problems and not out:
        for t in targets:
            out.update(_said(t, problems))
    return out


def _said(target: str, problems: dict[str, list[str]]) -> dict[str, str]:
    """``target`` not reached from the leaves of ``problems``, with the first one's problems (none: {})."""
    if not problems:
        return {}
    first = natural_sorted(problems)[0]
    return {target: f"not reached from {', '.join(compress(list(problems)))} (read on them), {first}: "
                    f"{'; '.join(problems[first])}"}
