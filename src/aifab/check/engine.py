"""Run the rules: parse each rendered file once, share the facts, collect Findings."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aifab import forked
from aifab.check.context import CheckContext
from aifab.check.deadlock import Turn, valley_turns
from aifab.check.findings import Finding, Severity, has_errors, sort_findings
from aifab.check.parse import POOL_THRESHOLD, DeviceFacts, parse_build
from aifab.check.registry import Rule
from aifab.check.rules import all_rules
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.gcpause import paused_gc
from aifab.keepalive import retain

SHOWN = 20  # error findings quoted in a failed build's message


class CheckFailed(AifabError):
    """At least one error finding: the configs must not ship."""

    exit_code = 1


@dataclass(frozen=True)
class Report:
    """One check run: which rules ran (and which were skipped, and why), over what, and the findings."""

    cluster: str
    devices: int
    parsed: int  # devices whose rendered files were parsed back
    rules: tuple[Rule, ...]
    skipped: dict[str, str]  # rule id -> reason it did not run
    findings: tuple[Finding, ...]
    valley_turns: tuple[Turn, ...] = ()  # down-then-up turns the parsed routing policy permits (DLK001)

    @property
    def failed(self) -> bool:
        return has_errors(list(self.findings))

    def counts(self) -> dict[str, int]:
        """Findings per severity (every severity present, zero when none)."""
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def _run(ctx: CheckContext, rules: list[Rule]) -> list[Finding]:
    return [Finding(r.id, r.severity, h.fabric, h.device, h.subject, h.message) for r in rules for h in r.func(ctx)]


def evaluate(ctx: CheckContext, rules: list[Rule], with_configs: bool, jobs: int = 1,
             beside: Callable[[], None] | None = None) -> tuple[list[Finding], dict[str, str]]:
    """Findings of ``rules`` over one context, and the rules skipped (``configs`` rules without configs,
    ``batfish`` rules, which :func:`aifab.check.batfish.batfish_report` runs).

    With ``jobs`` > 1 and at least ``POOL_THRESHOLD`` parsed devices, the ``costly`` rules (those that
    read the address and session indexes) run in a forked process (it inherits the context) while this
    process runs the others, which read the cable and port indexes; the halves cost about the same at
    32k GPUs. ``beside``: the caller's own work, done by this process after its rules, while the
    forked ones run (after every rule when none is forked)."""
    run: list[Rule] = []
    skipped: dict[str, str] = {}
    for r in rules:
        if r.scope == "batfish":
            skipped[r.id] = "no Batfish service (--batfish HOST or BATFISH_HOST)"
        elif r.scope == "hosts":
            skipped[r.id] = "no host reports (--hosts DIR)"
        elif r.scope == "configs" and not with_configs:
            skipped[r.id] = "no rendered configs to check"
        else:
            run.append(r)
    costly = [r for r in run if r.costly]
    if jobs < 2 or not forked.AVAILABLE or len(ctx.facts) < POOL_THRESHOLD or not costly:
        out = _run(ctx, run)
        if beside is not None:
            beside()
        return sort_findings(out), skipped
    with forked.children([(_run, (ctx, costly))]) as (child,):
        out = _run(ctx, [r for r in run if not r.costly])
        if beside is not None:
            beside()
        out += child.result()
    return sort_findings(out), skipped


Parsed = tuple[dict[str, DeviceFacts], dict[str, str]]  # facts per device, and why some device's files could not be parsed


def gather(design: Design, parsed: list[tuple[list[DeviceFacts], dict[str, str]]]) -> Parsed:
    """The facts of every batch, in Design order, and the devices whose files did not parse."""
    found: dict[str, DeviceFacts] = {}
    unreadable: dict[str, str] = {}
    for facts, bad in parsed:
        found.update((f.device, f) for f in facts)
        unreadable.update(bad)
    return {d.name: found[d.name] for d in design.devices() if d.name in found}, unreadable


def check(design: Design, build_dir: Path | str | None = None, *, jobs: int | None = None,
          parsed: Parsed | None = None, beside: Callable[[], None] | None = None) -> Report:
    """Check a Design and, when ``build_dir/configs`` exists, every file rendered from it.

    ``jobs`` bounds the parser and rule processes (default: the CPUs available). ``parsed``: those
    files already parsed from their text as they were rendered (``aifab build`` parses what it
    writes, ``aifab review`` what it renders without writing it: then ``build_dir`` is not read).
    ``beside``: the caller's work done while the forked rules run (:func:`evaluate`), once.
    """
    configs = Path(build_dir) / "configs" if build_dir is not None else None
    with_configs = parsed is not None or (configs is not None and configs.is_dir())
    rules = all_rules()
    jobs = jobs or len(os.sched_getaffinity(0))
    with paused_gc():
        if parsed is not None:
            facts, unreadable = parsed
        else:
            facts, unreadable = parse_build(design, configs, jobs=jobs) if configs is not None and with_configs else ({}, {})
        ctx = CheckContext(design, facts, unreadable)
        findings, skipped = evaluate(ctx, rules, with_configs, jobs, beside)
        turns = tuple(valley_turns(ctx)) if with_configs else ()
    retain(ctx)  # the facts and indexes: freed at exit, or never (aifab.keepalive)
    return Report(design.cluster, len(design.devices()), len(facts), tuple(rules), skipped, tuple(findings), turns)


def run_checks(design: Design, build_dir: Path | str | None = None, *, jobs: int | None = None,
               parsed: Parsed | None = None) -> list[Finding]:
    """The findings of :func:`check` (worst first): the entry point the benchmark and pipeline call."""
    return list(check(design, build_dir, jobs=jobs, parsed=parsed).findings)


def require_clean(design: Design, build_dir: Path, parsed: Parsed | None = None) -> list[Finding]:
    """Run the checks on a build (its configs as ``parsed`` when given); raise CheckFailed naming the
    error findings, else return the findings."""
    findings = run_checks(design, build_dir, parsed=parsed)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        lines = [f"{f.rule} {f.where}: {f.message}" for f in errors[:SHOWN]]
        if len(errors) > SHOWN:
            lines.append(f"... and {len(errors) - SHOWN} more")
        raise CheckFailed(f"{build_dir}: {len(errors)} error findings (aifab check {build_dir} for the full report)\n"
                          + "\n".join(lines))
    return findings
