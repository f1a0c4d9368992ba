"""Run a deploy with Nornir: load and diff everywhere, snapshot every device to change, then wave
by wave: health gate, drain, commit, verify, confirm, undrain, soak; on a failure or an
interrupt, restore the wave's devices to their snapshots, read them back, and stop.

Nothing is committed anywhere until every device has loaded its candidate: an unreachable
device stops the deploy before the first change. Every step prints a progress line with the
elapsed time; the journal (deploy/journal.py) records the plan and each device's state.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.syntax import Syntax

from aifab.deploy.connect import failure_status, open_nornir, select
from aifab.deploy.cordon import kill_running
from aifab.deploy.deployer import Deployer
from aifab.deploy.drain import drain_only
from aifab.deploy.guard import AuditLog, deploy_lock
from aifab.deploy.inputs import Rendered
from aifab.deploy.inventory_files import InventoryError
from aifab.deploy.journal import Journal, JournalError, changed_builds, journal_path, own_pending, read_journal, unfinished
from aifab.deploy.one_sided import READ_KINDS, Found, far_ends, one_sided_ports, said
from aifab.deploy.report import DeployReport, Outcome
from aifab.deploy.secrets import Credentials
from aifab.deploy.signals import Interrupts
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.plan.changes import natural_sorted
from aifab.plan.handoff import compress
from aifab.plan.waves import Change, Wave, classify, plan_waves
from aifab.plan.way_in import cuts_own_session
from aifab.platforms import platform


class DeployError(AifabError):
    """The deploy stopped: a device could not be reached, loaded, committed or verified."""

    exit_code = 1


class TimerError(AifabError):
    """``--verify-timeout`` or ``--revert-timer`` cannot work: a device would restore its snapshot
    while the deploy still verifies the change."""


def check_timers(verify_timeout_s: float, revert_in_s: int) -> None:
    """Refuse timers under which no wave can be confirmed: a commit's revert timer runs from the
    commit through the verify (up to ``verify_timeout_s``) to the confirm, so it must outlast the
    verify; a shorter one restores the snapshot mid-verify and the wave fails for another reason."""
    if verify_timeout_s <= 0:
        raise TimerError(f"--verify-timeout {verify_timeout_s:g}: must be more than 0 seconds")
    if revert_in_s <= verify_timeout_s:
        raise TimerError(f"--revert-timer {revert_in_s}: must be longer than --verify-timeout ({verify_timeout_s:g}s): "
                         "the device would restore its snapshot while the deploy still verifies the change")


def _resumed_waves(journal: Journal, changes: list[Change]) -> list[Wave]:
    """The halted plan's waves, keeping only the devices that still differ from their build."""
    by_device = {c.device: c for c in changes}
    planned = {n for wave in journal.waves for n in wave}
    extra = sorted(set(by_device) - planned)
    if extra:
        raise JournalError(f"{journal.path}: {', '.join(extra)} differ from the build but are not in the halted plan; "
                           "deploy without --resume")
    waves = []
    for i, devices in enumerate(journal.waves, start=1):
        kept = tuple(by_device[n] for n in devices if n in by_device)
        if kept:
            waves.append(Wave(i, kept, ("resumed from the journal",)))
    return waves


def deploy(design: Design, rendered: Rendered, inventory: Path, creds: Credentials, do_commit: bool,
           audit_path: Path, console: Console | None = None, verify_timeout_s: float = 60.0, *,
           out: Path | None = None, limit: list[str] | None = None, exclude: list[str] | None = None,
           resume: bool = False, revert_in_s: int = 300, no_drain: bool = False,
           confirm_cordon: bool = False, allow_recabling: bool = False) -> DeployReport:
    """Diff every device; with ``do_commit``, roll the change out wave by wave. Never raises for a
    device failure: the report says what happened (``report.ok``, ``report.interrupted``).

    ``out``: where the journal and the snapshots go (default: the audit log's directory);
    ``limit``/``exclude``: device globs; ``resume``: continue the halted rollout of ``out``'s journal;
    ``revert_in_s``: the device-side revert timer of each commit (restores the snapshot if this
    process dies before confirming; longer than ``verify_timeout_s``, else TimerError);
    ``no_drain``: leave the drain steps out (only to measure, in a lab, what the drain protects);
    ``confirm_cordon``: pause for the operator before each cordon wave (``aifab.deploy.cordon``;
    CordonUsageError without a terminal or a cordon command); ``allow_recabling``: plan a change that
    moves cables (else PlanError before anything is touched).
    """
    check_timers(verify_timeout_s, revert_in_s)
    console = console or Console()
    out = out or audit_path.parent
    names = select([d.name for d in design.devices()], limit, exclude)  # rendered_from refused any device that cannot deploy
    halted = read_journal(out) if resume else None
    if halted is not None and Path(halted.inventory) != inventory:
        raise JournalError(f"{halted.path}: the halted rollout used the inventory {halted.inventory}, not {inventory}")
    if halted is not None and (moved := changed_builds(halted, {n: rendered.digest(n) for n in rendered.configs})):
        raise JournalError(f"{halted.path}: the build of {', '.join(compress(natural_sorted(moved)))} is not the one the "
                           f"halted rollout {halted.run} planned (the intent, a template or aifab changed since): --resume "
                           "only finishes that change; deploy without --resume to plan this one (devices it finished "
                           "show no diff)")  # before any device is touched
    with deploy_lock(inventory):
        nr = open_nornir(inventory, creds)
        missing = sorted(set(names) - set(nr.inventory.hosts))
        if missing:
            raise InventoryError(f"{inventory}/hosts.yaml: no inventory entry for {', '.join(missing)}")
        gone = natural_sorted(set(nr.inventory.hosts) - {dev.name for dev in design.devices()})
        audit = AuditLog(audit_path, uuid.uuid4().hex[:12], rendered.secrets.mask)
        if gone:  # never silently less: switches the intent no longer has are said and audited, not touched
            console.print(f"not in the build, not touched: {', '.join(compress(gone))} (in {inventory}/hosts.yaml; "
                          "switches the intent no longer has: take them out of service by hand)", highlight=False)
        report = DeployReport({n: Outcome(n) for n in names}, {})
        d = Deployer(design, rendered, nr, audit, console, verify_timeout_s, revert_in_s, no_drain=no_drain,
                     confirm_cordon=confirm_cordon)
        d.interrupts = Interrupts(lambda sig: _abort(d, report, sig), lambda sig: _notice(sig))
        d.outside = frozenset(d.by_name) - set(names)
        audit.write("start", None, commit=do_commit, cluster=design.cluster, inventory=str(inventory),
                    devices=names, resume=halted.run if halted else None)
        if gone:
            audit.write("not-in-build", None, devices=gone)
        try:
            with d.interrupts:
                _rollout(d, report, names, do_commit, out, halted, inventory, allow_recabling)
        except BaseException as exc:  # never "ok" in the audit log and journal of a rollout that did not end
            report.ok = False
            report.stopped = report.stopped or f"aborted by {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
            raise
        finally:
            for n in names:
                items = {**dict.fromkeys(rendered.notes.get(n, ()), ""), **d.not_applied.get(n, {})}
                if items:
                    report.not_applied[n] = items
                for what, why in items.items():  # each one, exactly: the console groups them
                    audit.write("not-applied", n, setting=what, reason=why)
            report.interrupted = d.interrupts.requested
            report.drained = sorted(d.drained)
            report.timers_pending = dict(d.timers_pending)
            report.sessions_pending = dict(d.sessions_pending)
            report.links_pending = {n: lines for n, lines in d.links_pending.items()
                                    if report.outcomes[n].status.startswith("committed")}
            report.cordoned = d.scheduler.servers
            if d.journal is not None:
                d.journal.status = "done" if report.ok else ("interrupted" if report.interrupted else "halted")
                d.journal.drained = report.drained
                d.journal.write()
            if d.records_lost:  # stopped safely for it, or every step done but not every event recorded
                report.ok = False
                report.stopped = report.stopped or d.records_lost
            audit.write("end", None, ok=report.ok, committed=do_commit, interrupted=report.interrupted,
                        stopped=report.stopped, still_drained=report.drained, timers_pending=report.timers_pending,
                        sessions_pending=report.sessions_pending, links_pending=report.links_pending,
                        still_cordoned=report.cordoned,
                        states={n: o.status for n, o in report.outcomes.items()})
            if audit.lost:  # the events the file could not take: on stderr, never silently less
                print(f"aifab: the audit log {audit.path} cannot be written ({audit.lost}): the {len(audit.unwritten)} "
                      "events it could not take follow", file=sys.stderr)
                for line in audit.unwritten:
                    print(line, file=sys.stderr)
            nr.close_connections()
    return report


def _rollout(d: Deployer, report: DeployReport, names: list[str], do_commit: bool, out: Path,
             halted: Journal | None, inventory: Path, allow_recabling: bool = False) -> None:
    d.say(f"loading candidates on {len(names)} devices")
    diffs, failures = d.diff(names, settle=own_pending(out, inventory, halted) if do_commit else None)
    report.diffs = diffs
    report.changed = [n for n in names if diffs.get(n, "").strip()]
    if failures:
        return _stop_at_load(d, report, names, failures)
    held = _held(d, _left_drained(out, inventory, halted))
    changed = [n for n in names if (diffs[n].strip() and not (n in held and drain_only(diffs[n], d.rendered.drain[n])))
               or d.needs_upgrade(n)]
    report.changed, report.held = changed, sorted(held)
    one_sided = one_sided_ports(d.design, {n: diffs[n] for n in changed}, d.outside, {n for n in changed if not d.carrying[n]})
    d.links_pending = said(one_sided, *d.read_ports(far_ends(one_sided)))  # what the far ends run, read from them
    for n, lines in d.links_pending.items():  # said before anything is touched, a dry run too
        for line in lines:
            d.say(f"{n}: {line}")
        d.audit.write("links-one-sided", n, lines=lines)
    d.kept = frozenset(n for n in changed if n in held)
    if d.kept:  # their builds have no drain: diffed, and committed, with it, so that they stay drained
        for n in sorted(d.kept):
            d.say(f"{n}: drained before this deploy and changed: its build is committed with the drain kept")
        again, failures = d.diff(sorted(d.kept), drained=True)
        if failures:
            return _stop_at_load(d, report, names, failures)
        diffs.update(again)
    for n in changed:  # shown before anything is committed
        d.console.rule(n)
        if d.needs_upgrade(n):
            d.console.print(f"software: runs {d.versions[n]}, the intent names {d.by_name[n].os_version}", highlight=False)
        if diffs[n].strip():
            d.console.print(Syntax(diffs[n], "diff", theme="ansi_dark", word_wrap=True))
    report.upgrades = {n: (d.versions[n], d.by_name[n].os_version) for n in changed if d.needs_upgrade(n)}
    for n in names:
        if n not in changed:
            report.outcomes[n].status = "unchanged"
        if n in held:
            report.outcomes[n].detail = "drained before this deploy: " + ("changed, left drained" if n in d.kept else "left drained")
    found = {n: f for n in changed if (f := cuts_own_session(diffs[n], d.rendered.configs[n],
                                                             d.nr.inventory.hosts[n].hostname or "",
                                                             platform(d.by_name[n].platform)))}
    cut = {n: why for n, (_, why) in found.items()}
    what = " and ".join(sorted({kind for kind, _ in found.values()}))  # what a commit would cut, for the stop line
    if cut and do_commit:
        return _stop_at_load(d, report, names, cut, what)
    if not changed or d.stopping:
        d.discard(names)
        if d.stopping:
            report.ok = False
        return
    changes = [classify(d.by_name[n], diffs[n], d.carrying[n], running_version=d.versions.get(n),
                        bgp_timers=d.design.upgrade.bgp_timers) for n in changed]
    changes = [replace(c, drain=False) if c.device in d.kept else c for c in changes]  # drained already
    d.initial = frozenset(c.device for c in changes if c.kind == "initial")
    for c in changes:  # what each change takes and why, before anything is touched (a dry run too)
        report.outcomes[c.device].kind = c.kind
        d.say(f"{c.device}: {c.kind}: {'; '.join(c.reasons) or c.impact}")
    try:  # a dry run plans as the commit would: the same waves, cordons and refusals (PlanError)
        report.waves = (_resumed_waves(halted, changes) if halted
                        else plan_waves(d.design, changes, held=d.held, allow_recabling=allow_recabling))
    finally:  # loaded for the diffs only: planned or refused (PlanError), none stays loaded
        d.discard(names)
    d.scheduler.preview(report.waves, committing=do_commit)  # the cordons and their commands, before anything is touched
    if not do_commit:
        return _planned_only(report, changed, cut, what)
    snapdir = out / "snapshots" / d.audit.run_id
    failures = d.take_snapshots(changed, snapdir)
    if failures:
        for n, reason in failures.items():
            report.outcomes[n].status, report.outcomes[n].detail = failure_status(reason), f"snapshot: {reason}"
        report.ok = False
        report.stopped = "snapshot failed"
        return
    d.journal = Journal(journal_path(out), d.audit.run_id, d.design.cluster, str(inventory),
                        str(snapdir), [list(w.devices) for w in report.waves], {c.device: c.kind for c in changes},
                        {n: "pending" for n in changed},
                        builds={n: d.rendered.digest(n) for n in changed})
    d.journal.write()
    d.pending = set(changed)
    for wave in report.waves:
        done = d.run_wave(wave, report)
        why = d.scheduler.uncordon(wave, [c.device for c in wave.changes if "rollback failed" in report.outcomes[c.device].status])
        if why:
            report.ok, done = False, False
            report.stopped = report.stopped or f"wave {wave.index}: uncordon failed ({why})"
        if not done:
            if d.stopping:
                report.ok = False
                report.stopped = report.stopped or (f"interrupted after wave {wave.index}" if d.interrupts.requested
                                                    else f"after wave {wave.index}: {d.records_lost}")
            break
    _links_read_after(d, report, one_sided)
    planned = {c.device: wave.index for wave in report.waves for c in wave.changes}
    for n in changed:
        if report.outcomes[n].status == "pending":  # its planned wave, which a --resume runs
            report.outcomes[n].status, report.outcomes[n].wave = "not started", planned.get(n)
    if d.journal is not None:
        d.journal.states.update({n: report.outcomes[n].status for n in changed})


def _links_read_after(d: Deployer, report: DeployReport, found: Found) -> None:
    """The links said one-sided in MTU or speed before the commit, read at both ends once their switch
    is committed: one whose two ends run the same (both read: the far end ran it already, or this end
    could not take its build's value either) is no longer pending; the others say what each end runs."""
    said_kinds = {n: {line.split()[0] for line in lines} for n, lines in d.links_pending.items()}
    ends = {n: kept for n, kinds in found.items() if report.outcomes[n].status.startswith("committed")
            and (kept := {k: ports for k, ports in kinds.items() if k in READ_KINDS and k in said_kinds.get(n, ())})}
    if not ends or d.stopping:
        return
    runs, unread = d.read_ports(natural_sorted(set(ends) | set(far_ends(ends))), "read-after-commit")
    now = said({n: kinds for n, kinds in ends.items() if n not in unread}, runs, unread, after=True)
    for n, kinds in ends.items():
        if n in unread:
            continue
        lines = [line for line in d.links_pending.get(n, []) if line.split()[0] not in kinds] + now.get(n, [])
        same = [k for k in kinds if not any(line.startswith(f"{k} ") for line in now.get(n, []))]
        if same:
            d.say(f"{n}: {' and '.join(same)} of its links to switches left out: both ends run the same, read after the commit")
        d.audit.write("links-read-after", n, same=same, lines=now.get(n, []))
        if lines:
            d.links_pending[n] = lines
        else:
            d.links_pending.pop(n, None)


def _planned_only(report: DeployReport, changed: list[str], cut: dict[str, str], what: str) -> None:
    """A dry run: each changed device's planned wave, nothing committed; a commit that would cut the
    deploy's own way in (``cut``: device -> why; ``what`` it cuts) is what a commit would refuse (the
    report fails, naming it)."""
    for wave in report.waves:
        for c in wave.changes:
            report.outcomes[c.device].wave = wave.index
    for n in changed:
        report.outcomes[n].status = "diff only"
    for n, why in cut.items():
        report.outcomes[n].detail = why
    if cut:
        report.ok = False
        report.stopped = f"a commit would refuse it: {what}"


def _stop_at_load(d: Deployer, report: DeployReport, names: list[str], failures: dict[str, str],
                  why: str = "load failed") -> None:
    """A candidate could not be loaded or must not be committed (``why``): nothing is committed
    anywhere, every candidate discarded."""
    for n, reason in failures.items():
        status = report.outcomes[n].status = failure_status(reason) if why == "load failed" else "held back"
        report.outcomes[n].detail = reason.removeprefix(f"{status}: ")  # a reason worded with its status says it once
    loaded = [n for n in names if n not in failures] if why == "load failed" else names
    d.discard(loaded)
    report.ok = False
    report.stopped = why
    left = natural_sorted(failures)
    busy = [n for n in left if report.outcomes[n].status == "busy"]
    if busy:  # another deploy at work: nothing to go on without
        report.stopped = (f"another deploy's commit is pending on {', '.join(compress(busy))}, nothing committed; deploy "
                          "again once it is confirmed or restored")
    elif why == "load failed" and len(left) < len(names):  # one dead switch of thousands need not hold back the others
        report.stopped = (f"load failed on {', '.join(compress(left))}, nothing committed; to go on without "
                          f"{'it' if len(left) == 1 else 'them'}: {' '.join(f'--exclude {n}' for n in left)} "
                          f"({'its' if len(left) == 1 else 'their'} change is not made; one unreachable counts out "
                          "of service for the rollout rules)")
    for n in names:
        if n not in failures:
            report.outcomes[n].status = "untouched"


def _left_drained(out: Path, inventory: Path, halted: Journal | None) -> set[str]:
    """The devices the last rollout of ``out`` on ``inventory`` left drained: drained by aifab, for
    this deploy to undrain."""
    last = unfinished(out, inventory, halted)
    return set(last.drained) if last else set()


def _held(d: Deployer, ours: set[str]) -> set[str]:
    """The devices drained before this deploy, but for ``ours`` (left drained by aifab's last
    rollout): left drained, and out of service for the rollout rules throughout, as is every device
    whose drain state cannot be read (``d.held``). Said and audited; returns the drained ones."""
    drained, unread = d.read_drains()
    before = drained - ours
    for n in sorted(before):
        d.say(f"{n}: drained before this deploy, not by it: left drained, out of service for the rollout rules")
        d.audit.write("held", n, reason="drained before this deploy")
    for n, why in sorted(unread.items()):
        d.say(f"{n}: its drain state cannot be read ({why}): out of service for the rollout rules")
        d.audit.write("held", n, reason=f"drain state unreadable: {why}")
    d.hold(frozenset(before | set(unread)))
    d.inherited = frozenset(drained & ours)  # drained by aifab's last rollout: this one's to undrain, not held
    return before


def _notice(sig: str) -> None:
    """Said from the signal handler: one write to the stderr descriptor, past Python's buffers and their locks."""
    gone = " (the terminal or the reader of the output went away)" if sig == "SIGHUP" else ""
    again = "Ctrl-C or SIGTERM aborts at once" if gone else "send it again to abort at once"
    os.write(2, (f"\naifab: {sig}{gone}: stopping safely (finishing or rolling back the devices in hand, undraining "
                 f"what this deploy drained); {again}\n").encode())


def _abort(d: Deployer, report: DeployReport, sig: str) -> None:
    """A second signal: say what is left (devices that may be drained, devices mid-step) and record it."""
    left = sorted(d.drained | d.in_hand)
    named = " ".join(left) or "'*'"
    cordoned = d.scheduler.servers
    killed = kill_running()  # a cordon or uncordon command it was waiting on does not outlive it
    where = f" -o {d.journal.path.parent} --inventory {d.journal.inventory}" if d.journal is not None else ""
    print(f"\naifab: {sig} again: aborted at once. May be left drained or mid-change: {', '.join(left) or 'none'}. "
          f"Check with: aifab drain INTENT --status {named}; a switch drained under its device timer "
          f"undoes the drain itself within {d.design.upgrade.drain_wait_s + d.revert_in_s}s; undrain now with: "
          f"aifab undrain INTENT{where} {' '.join(left) or 'DEVICE...'}"
          + (f" Still cordoned in the scheduler: {', '.join(compress(cordoned))}." if cordoned else "")
          + (f" Killed the scheduler command it was waiting on: {'; '.join(killed)}." if killed else ""),
          file=sys.stderr, flush=True)
    d.audit.write("aborted", None, signal=sig, may_be_drained=sorted(d.drained), in_hand=sorted(d.in_hand), cordoned=cordoned,
                  killed=killed)
    if d.journal is not None:
        d.journal.status = "aborted"
        d.journal.drained = left
        d.journal.write()


