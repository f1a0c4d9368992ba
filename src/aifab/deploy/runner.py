"""Run a deploy with Nornir: load and diff everywhere, then wave by wave drain, commit, verify,
undrain and soak; stop and roll the wave back on any failure (facts section 7).

Nothing is committed anywhere until every device has loaded its candidate: an unreachable
device stops the deploy before the first change.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.task import AggregatedResult, MultiResult
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from aifab.deploy.guard import AuditLog, deploy_lock
from aifab.deploy.inventory_files import InventoryError, check_inventory
from aifab.deploy.secrets import Credentials, SecretValues
from aifab.deploy.tasks.config import commit, confirm, discard, load_candidate, merge, rollback
from aifab.deploy.tasks.expect import expectations
from aifab.deploy.tasks.verify import reset_sessions, verify
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.plan.waves import Wave, classify, plan_waves


class DeployError(AifabError):
    """The deploy stopped: a device could not be reached, loaded, committed or verified."""

    exit_code = 1


@dataclass(frozen=True)
class Rendered:
    """What to push: full configs (secrets filled in), and drain/undrain snippets, per device;
    ``secrets`` masks whatever a device echoes back before it is printed or audited."""

    configs: dict[str, str] = field(repr=False)
    drain: dict[str, str]
    undrain: dict[str, str]
    secrets: SecretValues = field(default_factory=SecretValues)
    drained: dict[str, str] = field(default_factory=dict, repr=False)  # the candidate with the drain snippet in it
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per device: files not applied and why


@dataclass
class Outcome:
    """One device's fate in this deploy."""

    device: str
    status: str = "pending"
    kind: str = ""
    wave: int | None = None
    detail: str = ""


@dataclass
class DeployReport:
    """Per-device outcomes, the diffs and the waves; ``ok`` is False when the deploy stopped."""

    outcomes: dict[str, Outcome]
    diffs: dict[str, str]
    waves: list[Wave] = field(default_factory=list)
    ok: bool = True
    not_applied: dict[str, dict[str, str]] = field(default_factory=dict)  # device -> what -> why ("" for a note)


def _quiet_nornir() -> None:
    """Nornir logs a failed task's traceback at ERROR; with its logging disabled nothing handles
    the record, so Python's last-resort handler printed it on stderr. A handler of our own keeps
    stderr clean (an application that configures logging still gets the records); the reason
    and the traceback go to the audit log instead."""
    logger = logging.getLogger("nornir")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def open_nornir(inventory: Path, creds: Credentials, workers: int = 20) -> Nornir:
    """Nornir over a SimpleInventory directory (hosts.yaml, groups.yaml, defaults.yaml)."""
    _quiet_nornir()
    files = {k: inventory / f"{k}.yaml" for k in ("hosts", "groups", "defaults")}
    check_inventory(inventory)
    try:
        nr = InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": workers}},
            inventory={"plugin": "SimpleInventory", "options": {
                "host_file": str(files["hosts"]),
                **({"group_file": str(files["groups"])} if files["groups"].is_file() else {}),
                **({"defaults_file": str(files["defaults"])} if files["defaults"].is_file() else {}),
            }},
            logging={"enabled": False},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # what check_inventory did not foresee
        raise InventoryError(f"{inventory}: Nornir cannot read the inventory ({type(exc).__name__}: {exc})") from None
    if creds.username:
        nr.inventory.defaults.username = creds.username
    if creds.password:
        nr.inventory.defaults.password = creds.password
    return nr


def _traceback(multi: MultiResult) -> str:
    """The traceback of a host's first failed task ("" when it failed without an exception)."""
    r = next((r for r in multi if r.failed and r.exception is not None), None)
    return "" if r is None else "".join(traceback.format_exception(r.exception)).strip()


def _errors(result: AggregatedResult) -> dict[str, str]:
    """Failed hosts and a one-line reason each (the exception's type and message, never a traceback)."""
    out = {}
    for host, multi in result.items():
        if multi.failed:
            r = next((r for r in multi if r.failed), multi[0])
            if r.exception is not None:
                out[host] = f"{type(r.exception).__name__}: {str(r.exception).strip().splitlines()[0] if str(r.exception).strip() else ''}"
            else:
                out[host] = "; ".join(r.result) if isinstance(r.result, list) else str(r.result)
    return out


class Deployer:
    """One deploy run over one inventory."""

    def __init__(self, design: Design, rendered: Rendered, nr: Nornir, audit: AuditLog, console: Console,
                 verify_timeout_s: float = 60.0, revert_in_s: int = 300) -> None:
        self.design = design
        self.rendered = rendered
        self.nr = nr
        self.audit = audit
        self.console = console
        self.verify_timeout_s = verify_timeout_s
        self.revert_in_s = revert_in_s
        self.by_name = {d.name: d for d in design.devices()}
        self.expect = expectations(design)
        self.carrying: dict[str, bool] = {}
        self.not_applied: dict[str, dict[str, str]] = {}  # device -> kernel setting -> why (from the commit)
        self.pending: set[str] = set()  # changed devices not committed yet (their sessions keep old timers)

    def _run(self, names: list[str], task: Callable[..., object], what: str) -> dict[str, str]:
        """Run ``task`` on ``names`` in parallel; returns failures (host -> reason), each audited."""
        return self._run_results(names, task, what)[1]

    def _run_results(self, names: list[str], task: Callable[..., object], what: str
                     ) -> tuple[AggregatedResult, dict[str, str]]:
        res = self.nr.filter(filter_func=lambda h: h.name in names).run(task=task, name=what)
        mask = self.rendered.secrets.mask
        failures = {host: mask(reason) for host, reason in _errors(res).items()}
        for host, reason in failures.items():
            self.audit.write(f"{what}-failed", host, reason=reason, traceback=mask(_traceback(res[host])))
        return res, failures

    def diff(self, names: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        """Load every candidate; returns (diffs, failures) and notes which devices carry traffic."""
        diffs: dict[str, str] = {}
        res, failures = self._run_results(
            names, lambda task: load_candidate(task, self.rendered.configs[task.host.name]), "load")
        for host, multi in res.items():
            if not multi.failed:
                diffs[host] = self.rendered.secrets.mask(multi[0].diff or "")
                self.carrying[host] = multi[0].result["carrying"]
                self.not_applied[host] = dict(multi[0].result.get("not_applicable", {}))
                self.audit.write("diff", host, changed=bool(diffs[host].strip()), diff=diffs[host])
        return diffs, failures

    def discard(self, names: list[str]) -> None:
        self._run(names, discard, "discard")

    def _commit_wave(self, wave: Wave, drained: set[str]) -> dict[str, str]:
        names = list(wave.devices)
        configs = {n: self.rendered.drained[n] if n in drained else self.rendered.configs[n] for n in names}
        failures = self._run(names, lambda task: load_candidate(task, configs[task.host.name]), "load")
        if failures:
            return failures
        res, failures = self._run_results(names, lambda task: commit(task, self.revert_in_s), "commit")
        for n in names:
            if n not in failures:
                self.audit.write("commit", n, wave=wave.index, drained=n in drained)
                self.not_applied.setdefault(n, {}).update(res[n][0].result.get("not_applied", {}))
        return failures

    def run_wave(self, wave: Wave, report: DeployReport) -> bool:
        """Drain -> commit -> verify -> confirm -> undrain -> soak. False (and rolled back) on failure."""
        up = self.design.upgrade
        names = list(wave.devices)
        drained = {c.device for c in wave.changes if c.kind in ("drain", "cordon")}
        self.console.print(f"[bold]wave {wave.index}[/]: {', '.join(names)}" + (f"  ({'; '.join(wave.capacity)})" if wave.capacity else ""))
        for c in wave.changes:
            report.outcomes[c.device].wave = wave.index
            if c.cordon:
                self.console.print(f"  cordon before {c.device}: {', '.join(c.cordon)}")
                self.audit.write("cordon", c.device, servers=list(c.cordon))
        if drained:
            failures = self._run(sorted(drained), lambda task: merge(task, self.rendered.drain[task.host.name]), "drain")
            if failures:
                return self._fail(wave, failures, report, rollback_devices=sorted(drained))
            self.console.print(f"  drained {', '.join(sorted(drained))}; waiting {up.drain_wait_s}s for traffic to move")
            time.sleep(up.drain_wait_s)
        failures = self._commit_wave(wave, drained)
        if failures:
            return self._fail(wave, failures, report, rollback_devices=names)
        self.pending -= set(names)
        if drained:  # a change that takes effect only on new sessions (timers): reset them while drained
            diffs = {c.device: c.diff for c in wave.changes}
            failures = self._run(sorted(drained), lambda task: reset_sessions(task, diffs[task.host.name]), "reset-sessions")
            if failures:
                return self._fail(wave, failures, report, rollback_devices=names)
        failures = self._run(names, lambda task: verify(task, self.expect[task.host.name], self.verify_timeout_s,
                                                        candidate=self.rendered.configs[task.host.name],
                                                        pending=frozenset(self.pending)), "verify")
        if failures:
            return self._fail(wave, failures, report, rollback_devices=names)
        self._run(names, confirm, "confirm")
        if drained:
            failures = self._run(sorted(drained), lambda task: merge(task, self.rendered.undrain[task.host.name]), "undrain")
            if failures:
                return self._fail(wave, failures, report, rollback_devices=[])
        for n in names:
            report.outcomes[n].status = "committed"
            self.audit.write("verified", n, wave=wave.index)
        if up.soak_s:
            self.console.print(f"  verified; soaking {up.soak_s}s")
            time.sleep(up.soak_s)
        return True

    def _fail(self, wave: Wave, failures: dict[str, str], report: DeployReport, rollback_devices: list[str]) -> bool:
        for n, reason in failures.items():
            report.outcomes[n].status = "failed"
            report.outcomes[n].detail = reason
            self.console.print(f"  [red]{n}: {reason}[/]")
        if rollback_devices:
            rb_fail = self._run(rollback_devices, rollback, "rollback")
            for n in rollback_devices:
                o = report.outcomes[n]
                o.status = "failed, rollback failed" if n in rb_fail else ("failed, rolled back" if n in failures else "rolled back")
                if n in rb_fail:
                    o.detail = (o.detail + "; " if o.detail else "") + f"rollback: {rb_fail[n]}"
                self.audit.write("rolled-back" if n not in rb_fail else "rollback-failed", n, wave=wave.index)
        report.ok = False
        return False


def deploy(design: Design, rendered: Rendered, inventory: Path, creds: Credentials, do_commit: bool,
           audit_path: Path, console: Console | None = None, verify_timeout_s: float = 60.0) -> DeployReport:
    """Diff every device; with ``do_commit``, roll the change out wave by wave. Never raises for a
    device failure: the report says what happened (``report.ok``)."""
    console = console or Console()
    names = [d.name for d in design.devices()]  # rendered_from refused any device that cannot deploy
    with deploy_lock(inventory):
        nr = open_nornir(inventory, creds)
        missing = sorted(set(names) - set(nr.inventory.hosts))
        if missing:
            raise InventoryError(f"{inventory}/hosts.yaml: no inventory entry for {', '.join(missing)}")
        audit = AuditLog(audit_path, uuid.uuid4().hex[:12], rendered.secrets.mask)
        audit.write("start", None, commit=do_commit, cluster=design.cluster, inventory=str(inventory))
        d = Deployer(design, rendered, nr, audit, console, verify_timeout_s)
        report = DeployReport({n: Outcome(n) for n in names}, {})
        try:
            console.print(f"loading candidates on {len(names)} devices")
            diffs, failures = d.diff(names)
            report.diffs = diffs
            if failures:
                for n, reason in failures.items():
                    report.outcomes[n].status, report.outcomes[n].detail = "unreachable or refused", reason
                d.discard([n for n in names if n not in failures])
                report.ok = False
                for n in names:
                    if n not in failures:
                        report.outcomes[n].status = "untouched"
                audit.write("end", None, ok=False, reason="load failed")
                return report
            changed = [n for n in names if diffs[n].strip()]
            for n in changed:  # shown before anything is committed
                console.rule(n)
                console.print(Syntax(diffs[n], "diff", theme="ansi_dark", word_wrap=True))
            for n in names:
                if n not in changed:
                    report.outcomes[n].status = "unchanged"
            if not do_commit or not changed:
                d.discard(names)
                for n in changed:
                    report.outcomes[n].status = "diff only"
                audit.write("end", None, ok=True, committed=False)
                return report
            changes = [classify(d.by_name[n], diffs[n], d.carrying[n]) for n in changed]
            for c in changes:
                report.outcomes[c.device].kind = c.kind
            report.waves = plan_waves(design, changes)
            d.pending = set(changed)
            d.discard(names)
            for wave in report.waves:
                if not d.run_wave(wave, report):
                    for n in changed:
                        if report.outcomes[n].status == "pending":
                            report.outcomes[n].status = "not started"
                    break
            audit.write("end", None, ok=report.ok, committed=True)
            return report
        finally:
            for n in names:
                items = {**dict.fromkeys(rendered.notes.get(n, ()), ""), **d.not_applied.get(n, {})}
                if items:
                    report.not_applied[n] = items
                for what, why in items.items():  # each one, exactly: the console groups them
                    audit.write("not-applied", n, setting=what, reason=why)
            nr.close_connections()


def summary_table(report: DeployReport) -> Table:
    """Device, change kind, wave, status, detail."""
    table = Table(title="deploy summary", title_justify="left")
    for col in ("device", "change", "wave", "status", "detail"):
        table.add_column(col)
    for o in report.outcomes.values():
        style = "red" if "fail" in o.status or "unreachable" in o.status else ("green" if o.status == "committed" else "")
        table.add_row(o.device, o.kind or "-", "-" if o.wave is None else str(o.wave), f"[{style}]{o.status}[/]" if style else o.status, o.detail)
    return table

