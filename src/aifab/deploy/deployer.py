"""One deploy run's state and its steps: progress lines, snapshots, the health gate, and each wave
(drain, wait on evidence, upgrade, commit, verify, confirm, undrain, soak; on a failure or an
interrupt, the wave's devices restored to their snapshots and read back)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from nornir.core import Nornir
from nornir.core.task import AggregatedResult, Result, Task
from rich.console import Console
from rich.syntax import Syntax

from aifab.deploy import drain, evidence, health, reach, snapshot
from aifab.deploy.connect import device_errors, traceback_of
from aifab.deploy.cordon import Scheduler
from aifab.deploy.drain import marker
from aifab.deploy.guard import AuditLog
from aifab.deploy.heartbeat import heartbeat
from aifab.deploy.inputs import Rendered
from aifab.deploy.journal import Journal
from aifab.deploy.report import DeployReport, WaveTiming
from aifab.deploy.signals import Interrupts
from aifab.deploy.tasks.config import commit, confirm, discard, load_candidate
from aifab.deploy.tasks.expect import Expectation, expectations, without_down
from aifab.deploy.tasks.upgrade import running_version
from aifab.deploy.tasks.upgrade import upgrade as upgrade_task
from aifab.deploy.tasks.verify import reach as reach_task
from aifab.deploy.tasks.verify import reset_sessions, verify
from aifab.design.model import Design, Neighbor
from aifab.errors import AifabError
from aifab.plan.changes import natural_sorted
from aifab.plan.waves import Change, Wave


class SnapshotError(AifabError):
    """The snapshots cannot be written (a full disk): the deploy stops before touching any device."""

    exit_code = 1


class Deployer:
    """One deploy run over one inventory: progress lines, snapshots, the journal, the waves."""

    def __init__(self, design: Design, rendered: Rendered, nr: Nornir, audit: AuditLog, console: Console,
                 verify_timeout_s: float = 60.0, revert_in_s: int = 300, interrupts: Interrupts | None = None,
                 no_drain: bool = False, confirm_cordon: bool = False) -> None:
        self.design = design
        self.rendered = rendered
        self.nr = nr
        self.audit = audit
        self.console = console
        self.verify_timeout_s = verify_timeout_s
        self.revert_in_s = revert_in_s
        self.interrupts = interrupts or Interrupts(lambda _: None, lambda _: None)
        self.by_name = {d.name: d for d in design.devices()}
        self.expect = expectations(design)
        self.down_before: dict[str, dict[str, str]] = {}  # device -> {peer address: peer} down at a health gate
        self.configured_before: dict[str, frozenset[str]] = {}  # device -> neighbour addresses configured at its gate
        self.left_out_ready: set[tuple[str, str]] = set()  # (switch left out, address) it has a session configured to
        self.markers = {n: marker(s) for n, s in rendered.drain.items()}
        self.carrying: dict[str, bool] = {}
        self.snapshots: dict[str, str] = {}
        self.drained: set[str] = set()  # drained by this deploy and not yet undrained or restored
        self.held: frozenset[str] = frozenset()  # drained before this deploy, or unreadable: out of service throughout
        self.inherited: frozenset[str] = frozenset()  # drained when it started, by the last rollout of its output
        self.kept: frozenset[str] = frozenset()  # drained before this deploy and changed: committed with their drain
        self.outside: frozenset[str] = frozenset()  # Design devices left out by --limit/--exclude
        self.in_hand: set[str] = set()  # devices of the running step
        self.touched: set[str] = set()  # devices this deploy drained or committed on
        self.journal: Journal | None = None
        self.started = time.monotonic()
        self.not_applied: dict[str, dict[str, str]] = {}  # device -> kernel setting -> why (from the commit)
        self.pending: set[str] = set()  # changed devices not committed yet (their sessions keep old timers)
        self.initial: frozenset[str] = frozenset()  # changed devices that carry no traffic yet (a new SU's switches)
        self.gaining: set[str] = set()  # leaves given sessions by this deploy (a new SU's leaves, by its spines)
        self.reached: set[str] = set()  # of those and the new leaves, the ones the other leaves were read to reach
        self.timers_pending: dict[str, list[str]] = {}  # device -> timers in effect at the next session reset
        self.sessions_pending: dict[str, list[str]] = {}  # device -> its sessions to switches left out: not verified
        self.links_pending: dict[str, list[str]] = {}  # device -> link settings changed at its end only (one_sided)
        self.scheduler = Scheduler(design, confirm_cordon, self.say, audit, lambda: self.stopping)  # the cordon hand-off
        self.no_drain = no_drain  # --no-drain: the drain steps left out (only to measure what they protect)
        self.versions: dict[str, str] = {}  # device -> the software version it reported at load
        self.upgraded: set[str] = set()  # devices whose software this deploy changed (read back)

    def hold(self, devices: frozenset[str]) -> None:
        """Count ``devices`` (drained before this deploy, or their drain state unreadable) out of
        service throughout: for the rollout rules, and for the verify's routes (:meth:`refresh_expectations`)."""
        self.held = devices
        self.refresh_expectations()

    def refresh_expectations(self) -> None:
        """What the verify requires: a leaf's routes need at least the paths left by the links found
        down before a wave and by the spines and cores held out of service (a drained one's paths
        are the least preferred, so none of the leaves' ECMP: graceful shutdown, RFC 8326); a held
        leaf keeps its paths (all of them equally less preferred)."""
        self.expect = expectations(self.design, self._cut())

    def _cut(self) -> frozenset[frozenset[str]]:
        """The links the verify counts out of service: down before a wave, or of a spine or core held."""
        cut = {frozenset((n, peer)) for n, peers in self.down_before.items() for peer in peers.values()}
        for n in self.held:
            dev = self.by_name.get(n)
            if dev is not None and dev.tier > 1:
                cut |= {frozenset((n, p.peer)) for p in dev.ports if p.role in ("uplink", "downlink")}
        return frozenset(cut)

    def deferred(self, names: list[str]) -> dict[str, dict[str, str]]:
        """Per device of ``names``, the sessions (peer address -> peer) that cannot come up yet: those
        between a device that carries no traffic yet and one still to be committed, whose config for
        that session comes with its own wave (a new SU's spines and the cores that gain them as
        neighbours in the wave after), each required by the later of the two waves; and those this
        deploy adds to a switch left out of it (--limit/--exclude) that has no config for them yet
        or cannot be read (:meth:`read_left_out`): not verified, said pending."""
        out: dict[str, dict[str, str]] = {}
        for name in names:
            for n in self.by_name[name].neighbors:
                later = n.peer in self.pending and (name in self.initial or n.peer in self.initial)
                if later or (self._new_to_left_out(name, n) and (n.peer, n.local_address) not in self.left_out_ready):
                    out.setdefault(name, {})[n.peer_address] = n.peer
        return out

    def _new_to_left_out(self, name: str, n: Neighbor) -> bool:
        """True for a session this deploy gives ``name`` (it carries no traffic yet, or its gate did
        not find the neighbour configured) to a switch left out of the deploy."""
        return n.peer in self.outside and (name in self.initial or n.peer_address not in self.configured_before.get(name, ()))

    def read_left_out(self, wave: Wave, names: list[str]) -> None:
        """Read, on the switches left out of this deploy, whether they have the sessions ``names``
        gain with them configured already: those the verify requires (they come up once this end
        is committed), the others stay pending (:meth:`deferred`); one that cannot be read too."""
        want = {(n.peer, n.local_address): name for name in names for n in self.by_name[name].neighbors
                if self._new_to_left_out(name, n)}
        peers = natural_sorted({p for p, _ in want} & set(self.nr.inventory.hosts))
        if not peers:
            return
        res, failures = self._run_results(peers, health.configured_neighbors, "read-left-out", audit=False)
        for peer, reason in sorted(failures.items()):
            self.audit.write("unreadable", peer, reason=reason)
        ready: dict[str, list[str]] = {}
        for (peer, address), name in want.items():
            if peer in res and peer not in failures and address in res[peer][0].result:
                self.left_out_ready.add((peer, address))
                ready.setdefault(name, []).append(peer)
        for name, have in sorted(ready.items()):
            self.say(f"wave {wave.index}: {name}: BGP sessions to {', '.join(natural_sorted(have))} required: those "
                     "switches, left out of this deploy, have them configured already (read)")
            self.audit.write("sessions-required", name, wave=wave.index, peers=natural_sorted(have))

    def read_ports(self, switches: list[str], what: str = "read-left-out"
                   ) -> tuple[dict[str, dict[str, dict[str, int]]], dict[str, str]]:
        """The MTU and speed of each port of ``switches`` (left out of this deploy; ``what``
        "read-after-commit": committed and their far ends) as they run them, and why a switch could
        not be read (audited ``unreadable``)."""
        known = [n for n in switches if n in self.nr.inventory.hosts]
        unread = {n: "not in the inventory" for n in switches if n not in known}
        res, failures = self._run_results(known, health.port_settings, what, audit=False) if known else ({}, {})
        for n, reason in sorted(failures.items()):
            self.audit.write("unreadable", n, reason=reason)
        unread.update(failures)
        return {n: res[n][0].result for n in known if n not in failures}, unread

    # -- output -----------------------------------------------------------------------------

    def say(self, message: str) -> None:
        """One progress line with the elapsed time."""
        self.console.print(f"[{time.monotonic() - self.started:6.1f}s] {message}", highlight=False, soft_wrap=True)

    @staticmethod
    def clock(seconds: float) -> str:
        """The wall-clock time ``seconds`` from now (a wait's deadline)."""
        return time.strftime("%H:%M:%S", time.localtime(time.time() + seconds))

    @property
    def stopping(self) -> bool:
        """The rollout stops safely: a signal came, or its records cannot be kept."""
        return self.interrupts.requested or bool(self.records_lost)

    @property
    def records_lost(self) -> str:
        """Why the audit log or the journal cannot be written ("" both can): a rollout that cannot
        record what it does stops safely, as on an interrupt (a full disk used to raise out of the
        wave, its switches left drained)."""
        if self.audit.lost:
            return f"the audit log {self.audit.path} cannot be written ({self.audit.lost})"
        if self.journal is not None and self.journal.lost:
            return f"the journal {self.journal.path} cannot be written ({self.journal.lost})"
        return ""

    def _state(self, report: DeployReport, names: list[str] | set[str], status: str, detail: str | None = None) -> None:
        for n in names:
            report.outcomes[n].status = status
            if detail is not None:
                report.outcomes[n].detail = detail
            if self.journal is not None:
                self.journal.states[n] = status
        if self.journal is not None:
            self.journal.drained = sorted(self.drained)
            self.journal.write()

    # -- Nornir -----------------------------------------------------------------------------

    def _run(self, names: list[str], task: Callable[..., object], what: str, audit: bool = True) -> dict[str, str]:
        """Run ``task`` on ``names`` in parallel; returns failures (host -> reason), each audited."""
        return self._run_results(names, task, what, audit)[1]

    def _run_results(self, names: list[str], task: Callable[..., object], what: str, audit: bool = True
                     ) -> tuple[AggregatedResult, dict[str, str]]:
        """Every run reaches hosts that failed before (``on_failed``): a rollback must."""
        wanted = set(names)
        self.in_hand = wanted
        try:
            with heartbeat([n for n in names if n in self.nr.inventory.hosts], what, self.say) as track:
                res = self.nr.filter(filter_func=lambda h: h.name in wanted).run(task=track(task), name=what, on_failed=True)
        finally:
            self.in_hand = set()
        failures = {host: self.rendered.secrets.mask(reason) for host, reason in device_errors(res).items()}
        if audit:
            for host, reason in failures.items():
                self.audit.write(f"{what}-failed", host, reason=reason, traceback=self.rendered.secrets.mask(traceback_of(res[host])))
        return res, failures

    def diff(self, names: list[str], settle: frozenset[str] | None = None,
             drained: bool = False) -> tuple[dict[str, str], dict[str, str]]:
        """Load every candidate; returns (diffs, failures) and notes which devices carry traffic.
        ``settle``: about to commit: first roll back a commit pending confirmation on the devices it
        names (an interrupted deploy of this output left it), and fail on any other device that
        has one (another deploy's, perhaps running); ``drained``: the builds with their drain (what a
        switch drained before the deploy gets)."""
        diffs: dict[str, str] = {}
        configs = self.rendered.drained if drained else self.rendered.configs
        res, failures = self._run_results(names, lambda task: load_candidate(
            task, configs[task.host.name], settle is not None and task.host.name in settle,
            settle is not None and task.host.name not in settle), "load")
        for host, multi in res.items():
            if not multi.failed:
                if multi[0].result["settled"]:
                    self.say(f"{host}: a commit pending confirmation (an interrupted deploy's, under its device timer) "
                             "rolled back first: the config before that commit")
                    self.audit.write("pending-rolled-back", host)
                diffs[host] = self.rendered.secrets.mask(multi[0].diff or "")
                self.carrying[host] = multi[0].result["carrying"]
                self.not_applied[host] = dict(multi[0].result.get("not_applicable", {}))
                self.audit.write("diff", host, changed=bool(diffs[host].strip()), diff=diffs[host])
        managed = [n for n in names if n not in failures and self.by_name[n].os_version]
        if managed:  # the software the intent names: what each device runs, read from it
            res, version_failures = self._run_results(managed, running_version, "version")
            for host in managed:
                if host not in version_failures:
                    self.versions[host] = str(res[host][0].result)
            failures.update(version_failures)
        return diffs, failures

    def read_drains(self) -> tuple[set[str], dict[str, str]]:
        """Every Design device of the inventory whose running config holds its drain, and those
        whose running config cannot be read (name -> why)."""
        names = [n for n in self.by_name if n in self.nr.inventory.hosts]
        res, failures = self._run_results(names, lambda t: drain.read(t, self.markers[t.host.name]), "drain-state",
                                          audit=False)
        return {n for n in names if n not in failures and res[n][0].result}, failures

    def needs_upgrade(self, name: str) -> bool:
        """The device runs another version than the intent names for it."""
        target = self.by_name[name].os_version
        return bool(target) and name in self.versions and self.versions[name] != target

    def discard(self, names: list[str]) -> None:
        self._run(names, discard, "discard")

    def take_snapshots(self, names: list[str], directory: Path) -> dict[str, str]:
        """Read every device's running config before anything touches it and write it into
        ``directory``; returns failures (SnapshotError: the files cannot be written)."""
        self.say(f"snapshot of the running config of {len(names)} devices")
        res, failures = self._run_results(names, snapshot.take, "snapshot")
        for host, multi in res.items():
            if not multi.failed:
                self.snapshots[host] = multi[0].result
        mask = self.rendered.secrets.mask  # on disk with placeholders: secrets never land in an artifact
        try:
            snapshot.save(directory, {n: mask(self.snapshots[n]) for n in names if n in self.snapshots})
        except OSError as exc:  # a full disk: before any device is touched
            raise SnapshotError(f"{directory}: cannot write the snapshots ({exc.strerror or exc}): nothing touched, "
                                "nothing committed") from None
        for n in names:
            if n in self.snapshots:
                self.audit.write("snapshot", n, path=str(directory / f"{n}.conf"), lines=len(snapshot.config_lines(self.snapshots[n])))
        return failures

    # -- one wave ---------------------------------------------------------------------------

    def gate(self, wave: Wave) -> list[str]:
        """The pre-wave health gate: reasons not to start ``wave`` (empty: start)."""
        names = [n for n in health.gate_devices(self.design, wave) if n in self.nr.inventory.hosts]
        missing = {n: "not in the inventory" for n in health.gate_devices(self.design, wave) if n not in self.nr.inventory.hosts}
        kinds = {c.device: c.kind for c in wave.changes}
        initial = all(c.kind == "initial" for c in wave.changes)
        self.say(f"wave {wave.index}: health of {', '.join(names)} (reachable, daemons up, BGP sessions Established)")

        def task(t: Task) -> Result:
            n = t.host.name
            sessions = not initial and kinds.get(n) != "initial"
            result = health.check(t, self.rendered.configs.get(n, ""), sessions)
            if n not in self.held and not result.failed:  # drained since this deploy started, not by it?
                result.drained = drain.read(t, self.markers[n]).result
            return result

        res, failed = self._run_results(names, task, "health", audit=False)
        unhealthy = {**missing, **failed}
        since = [n for n in names if n in res and n not in failed and getattr(res[n][0], "drained", False)
                 and n not in self.drained and n not in self.inherited]
        refused = [f"{n}: drained since this deploy started, not by it: its wave would undrain it (deploy --resume "
                   "keeps it drained)" for n in since if n in wave.devices]
        partners = frozenset(since) - set(wave.devices)
        for n in natural_sorted(partners):
            self.say(f"wave {wave.index}: {n}: drained since this deploy started, not by it: left drained, out of "
                     "service for the rollout rules")
            self.audit.write("held", n, wave=wave.index, reason="drained since this deploy started")
        if partners:
            self.hold(self.held | partners)
        cut = health.down_links(self.design, {n: list(getattr(res[n][0], "down", None) or [])
                                              for n in names if n in res and n not in failed})
        for n in names:
            if n in res and n not in failed:
                self.configured_before[n] = frozenset(getattr(res[n][0], "configured", None) or ())
        for n, peers in cut.items():  # a link down before the wave (a broken optic): judged without it
            self.down_before[n] = peers
            for addr, peer in sorted(peers.items()):
                self.say(f"wave {wave.index}: {n}: BGP session to {peer} ({addr}) down before this wave: its link "
                         "counted out of service, the session not required by the verify")
            self.audit.write("down-before", n, wave=wave.index, peers=peers)
        if cut:  # the leaves' routes: at least the paths the links still up leave them
            self.refresh_expectations()
        reasons = refused + health.blockers(self.design, wave, unhealthy, self.held, cut)
        for n, why in unhealthy.items():
            self.audit.write("unhealthy", n, wave=wave.index, reason=why)
        if reasons:
            self.audit.write("gate-refused", None, wave=wave.index, reasons=reasons)
        return reasons

    def drained_meanwhile(self, wave: Wave) -> list[str]:
        """Once the wave's switches are drained, before anything of it is committed: its redundancy
        partners read again. One drained meanwhile, not by this deploy (another deploy or an operator
        at the same instant: the gate read it in service), or whose drain state cannot be read now, is
        held out of service from here on; the rollout rules the wave breaks with it out (then this
        deploy backs off: of two drains at once, the later one's read sees the other), else empty."""
        partners = [n for n in health.gate_devices(self.design, wave) if n not in wave.devices and n in self.nr.inventory.hosts
                    and n not in self.held | self.drained | self.inherited]
        if not partners:
            return []
        res, unreadable = self._run_results(partners, lambda t: drain.read(t, self.markers[t.host.name]), "drain-state",
                                            audit=False)
        now = natural_sorted({n for n in partners if n not in unreadable and res[n][0].result} | set(unreadable))
        for n in now:
            why = f"its drain state unreadable ({unreadable[n]})" if n in unreadable else "drained meanwhile, not by this deploy"
            self.say(f"wave {wave.index}: {n}: {why}: out of service for the rollout rules")
            self.audit.write("held", n, wave=wave.index, reason=why)
        if not now:
            return []
        self.hold(self.held | frozenset(now))
        reasons = health.blockers(self.design, wave, {}, self.held, self.down_before)
        if reasons:
            self.audit.write("backed-off", None, wave=wave.index, reasons=reasons, drained_meanwhile=now)
        return [f"{', '.join(now)} {'is' if len(now) == 1 else 'are'} out of service since the gate (drained meanwhile, "
                f"not by this deploy, or unreadable): {r}" for r in reasons]

    def run_wave(self, wave: Wave, report: DeployReport) -> bool:
        """Gate -> drain -> commit -> verify -> confirm -> undrain -> soak. False when the deploy
        must stop (a failure or an interrupt); the wave is then finished or restored to its snapshots."""
        up = self.design.upgrade
        names = list(wave.devices)
        to_drain = [] if self.no_drain else sorted(c.device for c in wave.changes if c.drain)
        quiet = sorted(set(to_drain) | (set(names) & self.kept))  # committed drained: drained here, or before
        upgrades = {c.device: c for c in wave.changes if c.upgrade}
        timing = WaveTiming(wave.index, wave.devices)
        begin = time.monotonic()
        self.say(f"[bold]wave {wave.index}[/]: {', '.join(names)}" + (f"  ({'; '.join(wave.capacity)})" if wave.capacity else ""))
        for c in wave.changes:
            report.outcomes[c.device].wave = wave.index
        if self.stopping:
            return False
        reasons = self.gate(wave)
        if reasons:
            for r in reasons:
                self.console.print(f"  [red]gate: {r}[/]")
            for n in names:
                report.outcomes[n].detail = "; ".join(r for r in reasons if r.startswith(f"{n}: ")) or "health gate refused the wave"
            report.ok = False
            report.stopped = f"wave {wave.index}: health gate refused ({'; '.join(reasons)})"
            return False
        why = self.scheduler.cordon(wave)  # the scheduler hand-off, before any device of the wave is touched
        if why:
            for n in names:
                report.outcomes[n].detail = f"cordon: {why}"
            report.stopped = f"wave {wave.index}: cordon failed ({why})"
            return self._fail(wave, {}, report, names)
        if self.stopping:  # interrupted while the scheduler answered: no device of the wave is touched
            return self._fail(wave, {}, report, names)
        if self.no_drain and any(c.drain for c in wave.changes):
            self.say(f"wave {wave.index}: no drain (--no-drain): {', '.join(c.device for c in wave.changes if c.drain)} "
                     "change while carrying traffic")
        failures, guarded = self._revert_targets(names, to_drain, upgrades)
        if failures:
            return self._fail(wave, failures, report, names)
        if to_drain:
            guard = up.drain_wait_s + self.revert_in_s  # the device undoes the drain itself if this deploy dies first
            self.say(f"wave {wave.index}: drain {', '.join(to_drain)}"
                     + (f" (device revert timer {guard}s on {', '.join(guarded)})" if guarded else ""))
            self.drained |= set(to_drain)  # possibly drained from here on, until read back otherwise
            self.touched |= set(to_drain)
            failures = self._run(to_drain, lambda task: drain.set_drain(
                task, self.rendered.drain[task.host.name], self.markers[task.host.name], True,
                guard if task.host.name in guarded else None), "drain")
            if failures:
                return self._fail(wave, failures, report, names)
            for n in to_drain:
                self.audit.write("drained", n, wave=wave.index)
            self._state(report, to_drain, "drained")
            if self.stopping:
                return self._fail(wave, {}, report, names)
            self.say(f"wave {wave.index}: waiting for traffic to move off {', '.join(to_drain)}: its neighbours' best paths "
                     f"(deadline {self.clock(up.drain_wait_s)}, {up.drain_wait_s}s)")
            seconds, pending = self._wait_paths(to_drain, True, up.drain_wait_s)
            if self.stopping:
                return self._fail(wave, {}, report, names)
            meanwhile = self.drained_meanwhile(wave)  # the gate read them in service: read again before any commit
            if meanwhile:
                for r in meanwhile:
                    self.console.print(f"  [red]{r}[/]")
                report.stopped = f"wave {wave.index}: backed off ({'; '.join(meanwhile)})"
                return self._fail(wave, {}, report, names)
            if pending:
                return self._fail(wave, self._blame(to_drain, pending, f"traffic did not move off it within "
                                                    f"upgrade.drain_wait_s ({up.drain_wait_s}s)"), report, names)
            timing.moved_off_s = round(seconds, 2)
            self.audit.write("moved-off", None, wave=wave.index, devices=to_drain, seconds=timing.moved_off_s)
            self.say(f"wave {wave.index}: traffic moved off {', '.join(to_drain)} in {seconds:.1f}s")
        if upgrades:
            start = time.monotonic()
            failures = self._upgrade(wave, upgrades, report)
            timing.upgrade_s = round(time.monotonic() - start, 2)
            if failures or self.stopping:
                return self._fail(wave, failures, report, names)
        failures = self._commit_wave(wave, set(quiet), guarded, report)
        if failures or self.stopping:
            return self._fail(wave, failures, report, names)
        self.pending -= set(names)
        if quiet and up.bgp_timers == "reset-now":  # timers in effect only on new sessions: reset them while drained
            diffs = {c.device: c.diff for c in wave.changes}
            self.say(f"wave {wave.index}: reset the BGP sessions of {', '.join(quiet)} where the change needs it")
            failures = self._run(quiet, lambda task: reset_sessions(task, diffs[task.host.name]), "reset-sessions")
            if failures or self.stopping:
                return self._fail(wave, failures, report, names)
        failures = self._verify(wave, names)
        if failures or self.stopping:
            return self._fail(wave, failures, report, names)
        failures = self._run(names, confirm, "confirm")  # the revert timer stopped: the change is kept
        if failures:
            return self._fail(wave, failures, report, names)
        for n in names:
            self.audit.write("verified", n, wave=wave.index)
        self._state(report, names, "committed")
        if to_drain:
            self.say(f"wave {wave.index}: undrain {', '.join(to_drain)}")
            failures = self._run(to_drain, lambda task: drain.set_drain(
                task, self.rendered.undrain[task.host.name], self.markers[task.host.name], False), "undrain")
            self.drained -= set(to_drain) - set(failures)
            self.inherited -= set(to_drain) - set(failures)
            for n in to_drain:
                if n not in failures:
                    self.audit.write("undrained", n, wave=wave.index)
            self._state(report, [], "")
            if failures:
                for n, reason in failures.items():
                    report.outcomes[n].status = "committed, still drained"
                    report.outcomes[n].detail = f"undrain: {reason}"
                report.ok = False
                report.stopped = f"wave {wave.index}: undrain failed on {', '.join(sorted(failures))}"
                return False
            self.say(f"wave {wave.index}: waiting for traffic to come back to {', '.join(to_drain)}: its neighbours' "
                     f"best paths (deadline {self.clock(up.drain_wait_s)}, {up.drain_wait_s}s)")
            seconds, pending = self._wait_paths(to_drain, False, up.drain_wait_s)
            if pending:
                report.ok = False
                blamed = self._blame(to_drain, pending, f"traffic not back on it within upgrade.drain_wait_s ({up.drain_wait_s}s)")
                for n, why in blamed.items():
                    report.outcomes[n].detail = why
                report.stopped = f"wave {wave.index}: traffic not back on {', '.join(sorted(blamed))}"
                return False
            if not self.stopping:
                timing.moved_back_s = round(seconds, 2)
                self.audit.write("moved-back", None, wave=wave.index, devices=to_drain, seconds=timing.moved_back_s)
                self.say(f"wave {wave.index}: traffic back on {', '.join(to_drain)} in {seconds:.1f}s")
        timing.total_s = round(time.monotonic() - begin, 2)
        report.timings.append(timing)
        if self.stopping:
            return False
        if up.soak_s:
            left = [n for n in names if n in self.sessions_pending]
            note = f" (but the sessions of {', '.join(left)} to switches left out: pending)" if left else ""
            self.say(f"wave {wave.index}: verified{note}; soaking {up.soak_s}s (until {self.clock(up.soak_s)})")
            if not self.interrupts.sleep(up.soak_s):
                return False
        return True

    def _neighbours(self, devices: list[str]) -> dict[str, set[str]]:
        """Per BGP neighbour of ``devices`` in the inventory: the addresses it knows them by. A
        neighbour drained with them, or before this deploy, is left out: it carries no traffic of
        its own to move; so is a session found down at a health gate: no path over it either way."""
        out: dict[str, set[str]] = {}
        for name in devices:
            for n in self.by_name[name].neighbors:
                cut = n.peer_address in self.down_before.get(name, {}) or n.local_address in self.down_before.get(n.peer, {})
                if n.peer in self.nr.inventory.hosts and n.peer not in devices and n.peer not in self.held and not cut:
                    out.setdefault(n.peer, set()).add(n.local_address)
        return out

    def _wait_paths(self, devices: list[str], off: bool, deadline_s: float) -> tuple[float, dict[str, str]]:
        """Poll the BGP tables of ``devices``' neighbours until their best paths are off them
        (``off``) or back on them (``deploy.evidence``); the seconds waited and, after
        ``deadline_s``, what each neighbour still shows (empty when done or interrupted). A
        neighbour whose table cannot be read holds the wait for traffic to move off (no evidence,
        no work); after the undrain it is named and left to the next wave's health gate."""
        watch = self._neighbours(devices)
        start = time.monotonic()
        while True:
            res, failures = self._run_results(
                list(watch), lambda t: evidence.read_table(t, t.host.platform or ""), "bgp-table", audit=False)
            pending: dict[str, str] = {}
            for peer, addresses in watch.items():
                if peer in failures and off:
                    pending[peer] = f"unreadable ({failures[peer]})"
                    continue
                if peer in failures:
                    self.say(f"{peer}: its BGP table cannot be read ({failures[peer]}); the next health gate judges it")
                    self.audit.write("unreadable", peer, reason=failures[peer])
                    watch = {k: v for k, v in watch.items() if k != peer}
                    continue
                table = res[peer][0].result
                if off and (via := evidence.via(table, addresses)):
                    pending[peer] = f"still routes {', '.join(via[:3])}{' ...' if len(via) > 3 else ''} through it"
                elif not off and not evidence.back(table, addresses):
                    pending[peer] = "does not use it again yet"
            elapsed = time.monotonic() - start
            if not pending or self.stopping:
                return elapsed, {}
            if elapsed >= deadline_s:
                return elapsed, pending
            if not self.interrupts.sleep(0.2):
                return elapsed, {}

    def _blame(self, devices: list[str], pending: dict[str, str], what: str) -> dict[str, str]:
        """Per drained device whose neighbours still show ``pending``: ``what`` and what they show."""
        out = {}
        for name in devices:
            mine = [f"{n.peer} {pending[n.peer]}" for n in self.by_name[name].neighbors if n.peer in pending]
            if mine:
                out[name] = f"{what}: {'; '.join(dict.fromkeys(mine))}"[:400]
        return out or {name: what for name in devices}

    def _upgrade(self, wave: Wave, upgrades: dict[str, Change], report: DeployReport) -> dict[str, str]:
        """Run each device's software upgrade (``deploy.tasks.upgrade``); failures by device."""
        self.say(f"wave {wave.index}: upgrade " + ", ".join(f"{n} to {c.version} via {c.upgrade}" for n, c in upgrades.items()))
        self.touched |= set(upgrades)
        res, failures = self._run_results(list(upgrades), lambda t: upgrade_task(
            t, upgrades[t.host.name].version, upgrades[t.host.name].upgrade), "upgrade")
        for n in upgrades:
            if n in failures:
                continue
            got = res[n][0].result
            self.versions[n] = got["version"]
            self.upgraded.add(n)
            self.audit.write("upgraded", n, wave=wave.index, **got)
            report.outcomes[n].detail = f"runs {got['version']} (read back)"
            self.say(f"wave {wave.index}: {n} runs {got['version']} (read back from the device; {got['method']} took {got['seconds']:.1f}s)")
        return failures

    def _revert_targets(self, names: list[str], to_drain: list[str], upgrades: dict[str, Change]) -> tuple[dict[str, str], list[str]]:
        """Point every device's revert timer at its snapshot (where the driver can); returns the
        failures and the devices to drain whose drain the timer can guard: their driver's timer
        restores the snapshot (not the config before the drain) and no software step runs while
        they are drained (a restart under the timer could race it)."""
        res, failures = self._run_results(names, lambda task: snapshot.set_revert(task, self.snapshots[task.host.name]),
                                          "revert-target")
        guarded = [n for n in to_drain if n not in failures and n not in upgrades and res[n][0].result is True]
        return failures, guarded

    def _commit_wave(self, wave: Wave, drained: set[str], guarded: list[str], report: DeployReport) -> dict[str, str]:
        names = list(wave.devices)
        configs = {n: self.rendered.drained[n] if n in drained else self.rendered.configs[n] for n in names}
        self.say(f"wave {wave.index}: commit {', '.join(names)} (device revert timer {self.revert_in_s}s)")
        failures = self._run(names, lambda task: load_candidate(task, configs[task.host.name]), "load")
        if failures:
            return failures
        failures = self._run(guarded, drain.hand_over, "drain-timer")
        if failures:
            return failures
        self.touched |= set(names)
        res, failures = self._run_results(names, lambda task: commit(task, self.revert_in_s), "commit")
        for n in names:
            if n not in failures:
                self.audit.write("commit", n, wave=wave.index, drained=n in drained)
                self.not_applied.setdefault(n, {}).update(res[n][0].result.get("not_applied", {}))
        self._state(report, [n for n in names if n not in failures], "committed, not verified")
        return failures

    def _verify(self, wave: Wave, names: list[str]) -> dict[str, str]:
        """Poll ``verify`` until every device passes, the deadline passes, or an interrupt."""
        self.say(f"wave {wave.index}: waiting for the designed sessions and routes of {', '.join(names)} "
                 f"(deadline {self.clock(self.verify_timeout_s)}, {self.verify_timeout_s:.0f}s)")
        deadline = time.monotonic() + self.verify_timeout_s
        pending = list(names)
        self.read_left_out(wave, names)
        later = self.deferred(names)
        for n, peers in sorted(later.items()):
            waiting = natural_sorted({p for p in peers.values() if p in self.pending})
            left = natural_sorted({p for p in peers.values() if p not in self.pending})
            if waiting:
                self.say(f"wave {wave.index}: {n}: BGP sessions to {', '.join(waiting)} required once those switches "
                         "are committed in their wave (each end is configured by its own)")
            if left:
                line = (f"BGP sessions to {', '.join(left)} not verified: those switches are left out of this deploy "
                        "and have no config for them (or cannot be read); the sessions come up once they do (deploy them too)")
                self.say(f"wave {wave.index}: {n}: {line}")
                self.sessions_pending[n] = [line]
                self.audit.write("sessions-pending", n, wave=wave.index, peers=left)
        down = {n: {**self.down_before.get(n, {}), **later.get(n, {})} for n in {*self.down_before, *later}}
        expect = self.expect if not later else expectations(
            self.design, self._cut() | {frozenset((n, peer)) for n, peers in later.items() for peer in peers.values()})
        while True:
            res, failures = self._run_results(pending, lambda task: verify(
                task, without_down(expect[task.host.name], down), 0.0,
                candidate=self.rendered.configs[task.host.name],
                pending=frozenset(self.pending), bgp_timers=self.design.upgrade.bgp_timers, outside=self.outside),
                "verify", audit=False)
            for n in pending:
                if n not in failures:
                    self._timers_pending(wave, n, list(getattr(res[n][0], "timers_pending", [])))
            pending = [n for n in pending if n in failures]
            if not pending and not self.stopping:
                return self._reach(wave, expect, deadline)
            if not pending or self.stopping:
                return {}
            if time.monotonic() >= deadline:
                for n, reason in failures.items():
                    self.audit.write("verify-failed", n, wave=wave.index, reason=reason)
                return failures
            if not self.interrupts.sleep(1.0):
                return {}

    def _reach(self, wave: Wave, expect: dict[str, Expectation], deadline: float) -> dict[str, str]:
        """The new leaves (and those this deploy gives sessions, a new SU's leaves deployed before
        their spines) whose sessions are all up now, reached from every other leaf of their fabric
        (:mod:`aifab.deploy.reach`): polled until the verify's ``deadline``; the failures per such
        leaf (the wave is then rolled back), none when each is reached. A leaf that cannot be read is
        said and audited, not waited on."""
        for name in wave.devices:  # the leaves this wave gives sessions they did not have (a new SU's, to its spines)
            before = self.configured_before.get(name)
            if before is not None:
                self.gaining |= {n.peer for n in self.by_name[name].neighbors if n.peer_address not in before}
        new = (self.initial | self.gaining) - self.reached - self.outside  # one left out is verified once deployed
        targets = reach.ready(self.design, natural_sorted(new), self.pending, self.sessions_pending)
        if not targets:
            return {}
        wanted = reach.readers(self.design, targets, expect, {*wave.devices, *self.pending, *self.sessions_pending})
        wanted = {n: r for n, r in wanted.items() if n in self.nr.inventory.hosts}
        if not wanted:  # no other leaf in service (a first deploy): nothing to read
            self.reached |= set(targets)
            return {}
        self.say(f"wave {wave.index}: the routes of {len(wanted)} other leaves to the server blocks of "
                 f"{', '.join(targets)} (read on them)")
        left, unread = natural_sorted(wanted), 0
        while left:
            res, failures = self._run_results(left, lambda task: reach_task(task, wanted[task.host.name]), "reach",
                                              audit=False)
            for n in [n for n in left if n in failures and res[n][0].exception is not None]:
                why, unread = failures.pop(n), unread + 1
                self.say(f"wave {wave.index}: {n}: its routes cannot be read ({why}): not verified from it")
                self.audit.write("unreadable", n, wave=wave.index, reason=why)
            left = natural_sorted(failures)
            if not left or self.stopping:
                break
            if time.monotonic() >= deadline:
                out = reach.not_reached(self.design, targets, {n: res[n][0].result for n in left})
                for t, reason in out.items():
                    self.audit.write("verify-failed", t, wave=wave.index, reason=reason)
                return out
            if not self.interrupts.sleep(1.0):
                break
        if not self.stopping:
            self.reached |= set(targets)
            for t in targets:
                self.audit.write("reached", t, wave=wave.index, from_leaves=len(wanted) - unread)
        return {}

    def _timers_pending(self, wave: Wave, device: str, lines: list[str]) -> None:
        """Timers configured but not negotiated yet (``upgrade.bgp_timers: next-reset``): printed,
        audited, kept in the journal; pending, never verified, never a failure."""
        if lines:
            self.timers_pending[device] = lines
        else:
            self.timers_pending.pop(device, None)
        for line in lines:
            self.say(f"wave {wave.index}: {device}: {line}")
        if lines:
            self.audit.write("timers-pending", device, wave=wave.index, pending=lines)
        if self.journal is not None:
            self.journal.timers_pending = dict(self.timers_pending)

    def _fail(self, wave: Wave, failures: dict[str, str], report: DeployReport, names: list[str]) -> bool:
        """Stop: restore every device of the wave to its snapshot and read it back."""
        report.ok = False
        for n, reason in failures.items():
            report.outcomes[n].detail = reason
            self.console.print(f"  [red]{n}: {reason}[/]")
        why = "failed"
        if self.stopping and not failures:
            why = "interrupted" if self.interrupts.requested else self.records_lost
        report.stopped = report.stopped or f"wave {wave.index}: {why}" + (f" on {', '.join(sorted(failures))}" if failures else "")
        touched = [n for n in names if n in self.touched]
        for n in names:
            if n not in self.touched:
                report.outcomes[n].status = "failed, not started" if n in failures else "not started"
        if touched:
            self.say(f"wave {wave.index}: {why}; restoring {', '.join(touched)} to their snapshots")
        res, rb_fail = self._run_results(touched, lambda task: snapshot.restore(task, self.snapshots[task.host.name]),
                                         "rollback", audit=False)
        for n in touched:
            o = report.outcomes[n]
            prefix = "failed, " if n in failures else ""
            if n in rb_fail:
                diff = self.rendered.secrets.mask(res[n][0].diff if n in res and res[n] and res[n][0].diff else "")
                o.status = prefix + "rollback failed"
                o.detail = "; ".join(x for x in (o.detail, f"rollback: {rb_fail[n]}") if x)
                self.audit.write("rollback-failed", n, wave=wave.index, reason=rb_fail[n], difference=diff,
                                 traceback=self.rendered.secrets.mask(traceback_of(res[n])) if n in res else "")
                self.console.print(f"  [red]{n}: rollback failed: {rb_fail[n]}[/]")
                if diff:
                    self.console.print(Syntax(diff, "diff", theme="ansi_dark", word_wrap=True))
            else:
                # the config is back to its snapshot; a software upgrade is not undone (no downgrade)
                o.status = prefix + ("config rolled back, upgrade kept" if n in self.upgraded else "rolled back")
                self.drained.discard(n)
                self.audit.write("rolled-back", n, wave=wave.index, read_back=True)
        self._state(report, [], "")
        if self.journal is not None:
            for n in names:
                self.journal.states[n] = report.outcomes[n].status
            self.journal.write()
        return False
