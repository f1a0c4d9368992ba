"""``aifab drain INTENT DEVICE...`` / ``aifab undrain INTENT DEVICE...``: merge the drain (or undrain)
snippet, read back that the drain is on (off), report per device; ``--status [DEVICE...]`` only
reads (every device when none is named), also while a deploy runs.

A switch with a commit pending confirmation is left untouched (``busy``: another deploy's, perhaps
running), but for a switch the last unfinished rollout of ``-o OUT`` left under its device timer:
that commit is rolled back first, as the timer would (it would also undo a drain made on top of it).

Exit codes: 0 every device in the asked state, 1 a device failed, or a drain backed off (another
switch drained meanwhile breaks a rollout rule with it: undrained again, read back), 2 bad input or
a drain that breaks a rollout rule (refused before any device is touched; ``--force`` drains anyway), 3 a
deploy of the inventory is running (a drain or undrain; ``--status`` reads anyway) or a switch is
busy, 130
interrupted: a first SIGINT, SIGTERM or SIGHUP (also a write to an output nobody reads any more)
lets the devices in hand finish and be read back, touches no other and reports every device; a
second SIGINT or SIGTERM aborts at once, naming the devices it may leave mid-change.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from aifab.errors import AifabError

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.task import AggregatedResult, Result, Task

    from aifab.deploy.signals import Interrupts
    from aifab.design.model import Design

NOT_STARTED = "not started"  # a device an interrupt kept this command from touching
EXIT_BUSY = 3  # as aifab.commands.deploy's


def register(sub: argparse._SubParsersAction) -> None:
    add_parser(sub, drain=True)


def add_parser(sub: argparse._SubParsersAction, drain: bool) -> None:
    """The ``drain`` (or, ``drain=False``, the ``undrain``) subcommand."""
    from aifab.commands.deploy import add_target

    verb = "drain" if drain else "undrain"
    p = sub.add_parser(verb, help=f"{verb} devices (merge the {verb} snippet and read it back); --status shows who is drained")
    p.add_argument("intent", type=Path, help="intent YAML file")
    p.add_argument("devices", nargs="*", metavar="DEVICE",
                   help="device names or globs (quote them: 'fe-*', '*'); with --status, default every device")
    add_target(p)
    p.add_argument("--status", action="store_true", help="only read which devices are drained")
    if drain:
        p.add_argument("--force", action="store_true",
                       help="drain even where the drain breaks a rollout rule (upgrade.min_capacity_pct, frontend pairs, paths)")
    p.set_defaults(handler=run, drain=drain, force=False)


def run(args: argparse.Namespace) -> int:
    from aifab.commands.deploy import target
    from aifab.deploy import drain
    from aifab.deploy.connect import open_nornir
    from aifab.deploy.guard import deploy_lock, deploy_running
    from aifab.deploy.heartbeat import heartbeat
    from aifab.deploy.journal import own_pending
    from aifab.deploy.secrets import load_credentials
    from aifab.pipeline import design_for
    from aifab.platforms import platform
    from aifab.render import drain_snippet, undrain_snippet

    console = Console()
    _, design = design_for(args.intent)
    deployable = {d.name: d for d in design.devices() if platform(d.platform).deploys}
    if not args.devices and not args.status:
        from aifab.deploy.connect import SelectionError

        raise SelectionError(f"aifab {'drain' if args.drain else 'undrain'}: name the devices (names or globs, '*' for "
                             "every one): nothing done")
    names = chosen(list(deployable), args.devices or ["*"])
    inventory, how = target(args, design.cluster)
    console.print(f"inventory: {inventory} ({how})", highlight=False, soft_wrap=True)
    markers = {n: drain.marker(drain_snippet(design, d)) for n, d in deployable.items()}
    snippet = {n: (drain_snippet if args.drain else undrain_snippet)(design, deployable[n]) for n in names}
    if args.status and (holder := deploy_running(inventory)):  # only reads: never waits for nor blocks a deploy
        console.print(f"a deploy of this inventory is running ({holder}): states as read now", highlight=False, soft_wrap=True)
    verb = "drain" if args.drain else "undrain"
    progress = _Progress()
    with ExitStack() as held:  # held while the report is printed: an output lost there is a hang-up too
        if not args.status:  # only reading needs no lock and no safe stop: an interrupt ends it at once
            from aifab.deploy.output import kept_output
            from aifab.deploy.signals import Interrupts

            held.enter_context(deploy_lock(inventory))
            held.enter_context(kept_output())  # an output that goes away is a hang-up: a stop, never a break mid-way
            progress.stop = held.enter_context(Interrupts(lambda sig: _abort(progress, verb, sig, args.intent),
                                                          lambda sig: _notice(verb, sig)))
        nr = open_nornir(inventory, load_credentials())
        try:
            hosts = nr.filter(filter_func=lambda h: h.name in set(names))
            say = partial(console.print, highlight=False, soft_wrap=True)
            if args.status:
                with heartbeat(list(hosts.inventory.hosts), "drain-state", say) as track:
                    res = hosts.run(task=track(lambda t: drain.read(t, markers[t.host.name])), name="drain-state",
                                    on_failed=True)
            else:
                if args.drain and not args.force:
                    _refuse_broken_rules(design, nr, markers, names)
                ours = own_pending(args.out, inventory)  # an interrupted deploy's pending commits, to roll back
                say(f"{verb} {', '.join(names)}")
                with heartbeat(list(hosts.inventory.hosts), verb, say) as track:
                    res = hosts.run(task=track(progress.guard(lambda t: drain.set_drain(
                        t, snippet[t.host.name], markers[t.host.name], args.drain, settle=t.host.name in ours))),
                                    name=verb, on_failed=True)
                done = [n for n in names if n in res and not res[n].failed and res[n][-1].result != NOT_STARTED]
                why = _drained_meanwhile(design, nr, markers, done) if args.drain and not args.force and done else ""
                if why:  # back off: undrain what this command drained, read back
                    say(f"backed off: {why}; undraining {', '.join(done)}")
                    undrain = {n: undrain_snippet(design, deployable[n]) for n in done}
                    back = nr.filter(filter_func=lambda h: h.name in set(done)).run(
                        task=lambda t: drain.set_drain(t, undrain[t.host.name], markers[t.host.name], False),
                        name="undrain", on_failed=True)
                    _report(console, done, back, "undrain", "")
                    return 1
        finally:
            nr.close_connections()
        return _report(console, names, res, verb if not args.status else "", progress.signal)


def _report(console: Console, names: list[str], res: AggregatedResult, verb: str, sig: str) -> int:
    """One line per device: its state read back (``verb`` "", ``--status``), its failure, or that
    an interrupt (``sig``) kept it untouched; the exit code."""
    from aifab.deploy.connect import device_errors

    failures = device_errors(res)
    left = []
    for n in names:
        if n not in res:
            failures[n] = "not in the inventory"
        if n in failures:
            console.print(f"{n}: [red]failed[/]: {failures[n]}", highlight=False)
        elif not verb:
            console.print(f"{n}: {'drained' if res[n][0].result else 'not drained'}", highlight=False)
        elif res[n][-1].result == NOT_STARTED:
            left.append(n)
            console.print(f"{n}: not started ({verb} interrupted by {sig}: not touched)", highlight=False)
        else:
            console.print(f"{n}: {res[n][-1].result} (read back)", highlight=False)
    if left:
        console.print(f"interrupted: {len(left)} of {len(names)} devices not {verb}ed: {' '.join(left)}", highlight=False,
                      soft_wrap=True)
        return 130
    if any(why.startswith("busy:") for why in failures.values()):
        return EXIT_BUSY  # another deploy's commit pending on a switch: that switch untouched
    return 1 if failures else 0


@dataclass
class _Progress:
    """What a drain (or undrain) has in hand: the devices it started and those it finished, and the
    interrupts that stop it starting more."""

    stop: Interrupts | None = None
    started: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)

    @property
    def signal(self) -> str:
        """The first signal that came ("" none)."""
        return self.stop.signal_name if self.stop is not None else ""

    def guard(self, work: Callable[[Task], Result]) -> Callable[[Task], Result]:
        """``work`` as a Nornir task that, once an interrupt came, touches no device it has not started."""
        from nornir.core.task import Result

        def task(t: Task) -> Result:
            if self.stop is not None and self.stop.requested:
                return Result(host=t.host, result=NOT_STARTED)
            self.started.add(t.host.name)
            try:
                return work(t)
            finally:
                self.done.add(t.host.name)
        return task


def _notice(verb: str, sig: str) -> None:
    """Said from the signal handler: one write to the stderr descriptor, past Python's buffers and their locks."""
    gone = " (the terminal or the reader of the output went away)" if sig == "SIGHUP" else ""
    os.write(2, f"\naifab: {sig}{gone}: stopping: the devices being {verb}ed finish and are read back, no other is "
                f"touched; {'Ctrl-C or SIGTERM aborts' if gone else 'send it again to abort'} at once\n".encode())


def _abort(progress: _Progress, verb: str, sig: str, intent: Path) -> None:
    """A second signal: name the devices that may be left mid-change (started, not finished)."""
    mid = sorted(progress.started - progress.done)
    named = " ".join(mid)
    os.write(2, (f"\naifab: {sig} again: aborted at once. May be left mid-{verb}: {', '.join(mid) or 'none'}"
                 + (f". Check with: aifab drain {intent} --status {named}" if mid else "") + "\n").encode())


def chosen(names: list[str], patterns: list[str]) -> list[str]:
    """The devices of ``names`` that ``patterns`` (names or globs) match, in natural order. A pattern
    that matches no device is an error: a typo must not leave a switch undrained, or drained."""
    from aifab.deploy.connect import SelectionError, matches, unmatched
    from aifab.plan.changes import natural_sorted

    missed = unmatched(names, patterns)
    if missed:
        raise SelectionError(f"no switch of the intent matches {', '.join(missed)}: nothing done")
    return natural_sorted(n for n in names if matches(n, patterns))


class DrainRefused(AifabError):
    """Draining the devices asked for would break a rollout rule (``--force`` drains anyway)."""


def _broken_rules(design: Design, nr: Nornir, markers: dict[str, str], names: list[str]) -> tuple[set[str], list[str]]:
    """Read which other switches of the fabrics of ``names`` are drained now (one whose state cannot
    be read counts as drained): those, and the rollout rules that draining ``names`` too breaks
    while they hold without them."""
    from aifab.deploy import drain
    from aifab.deploy.connect import device_errors

    fabrics = {d.fabric for d in design.devices() if d.name in names}
    others = [d.name for d in design.devices() if d.fabric in fabrics and d.name in markers and d.name not in names]
    res = nr.filter(filter_func=lambda h: h.name in set(others)).run(
        task=lambda t: drain.read(t, markers[t.host.name]), name="drain-state", on_failed=True)
    unread = device_errors(res)
    now = {n for n in others if n not in res or n in unread or res[n][0].result}
    before = set(drain.broken_rules(design, now))
    return now, [p for p in drain.broken_rules(design, now | set(names)) if p not in before]


def _refuse_broken_rules(design: Design, nr: Nornir, markers: dict[str, str], names: list[str]) -> None:
    """Raise DrainRefused, touching nothing, when draining ``names`` breaks a rollout rule with what
    is drained now (:func:`_broken_rules`)."""
    now, broken = _broken_rules(design, nr, markers, names)
    if broken:
        drained = f" (drained now, or unreadable: {', '.join(sorted(now))})" if now else ""
        raise DrainRefused(f"draining {', '.join(names)}{drained} breaks a rollout rule: {'; '.join(broken)}; "
                           "nothing drained (--force drains anyway)")


def _drained_meanwhile(design: Design, nr: Nornir, markers: dict[str, str], drained: list[str]) -> str:
    """Once ``drained`` are drained: the other switches read again. Why this drain must back off (a
    switch drained meanwhile, by another drain or deploy at the same instant, that with ``drained``
    breaks a rollout rule: of two drains at once, the later one's read sees the other), else ""."""
    now, broken = _broken_rules(design, nr, markers, drained)
    if not broken:
        return ""
    return (f"{', '.join(sorted(now))} drained meanwhile (or unreadable): with {', '.join(drained)} drained too it "
            f"breaks a rollout rule: {'; '.join(broken)}")
