"""Pull-request review: what a change to an intent does to the fabric, before anything ships.

Builds the intent as it is and as it was at a base git revision, states the semantic change set
between the two Designs (``plan.changes``), diffs every device's rendered files, classifies each
changed device by impact and plans the waves as a deploy would (``plan.waves``), runs the checks on
the new build, and reports a verdict: ready, needs cordon, needs maintenance window or re-cabling.
The outputs (``review.md``, ``plan.json``, ``diffs.patch``) are written by ``aifab.review_report``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple

from aifab.check import Report, check
from aifab.check.engine import gather
from aifab.check.findings import sort_findings
from aifab.check.parse import parse_rendered
from aifab.design.load import design_for
from aifab.design.model import Design, Device
from aifab.difftext import unified_diff
from aifab.errors import AifabError
from aifab.gcpause import paused_gc
from aifab.intent.schema import Intent
from aifab.keepalive import retain
from aifab.plan.changes import ChangeSet, change_set, natural_sorted
from aifab.plan.simulate import deadlock_findings
from aifab.plan.waves import Change, PlanError, Wave, classify, plan_waves, require_in_place, unrendered
from aifab.plan.way_in import ADDRESS_MOVES, API_OFF, api_off
from aifab.platforms import platform
from aifab.render.configs import Rendered, rebased_files, render_view, write_and_consume
from aifab.render.view import DeviceView, ViewInputs, device_view, natural_key, rebased_view, view_inputs

VERDICTS = ("ready", "needs cordon", "needs maintenance window", "re-cabling")


@dataclass
class DeviceDelta:
    """One device's rendered files before and after."""

    device: str
    status: str  # added, removed, changed
    diffs: dict[str, str]  # file name -> unified diff
    change: Change | None = None
    api_off: str = ""  # why its new config turns off the API the deploy talks (aifab.plan.way_in.api_off)

    @property
    def lines(self) -> tuple[int, int]:
        """Added and removed lines over all files."""
        plus = minus = 0
        for diff in self.diffs.values():
            for line in diff.splitlines():
                if line.startswith("+") and not line.startswith("+++"):
                    plus += 1
                elif line.startswith("-") and not line.startswith("---"):
                    minus += 1
        return plus, minus


@dataclass
class Review:
    """The review of one intent against its base."""

    intent: Path
    base_ref: str
    base_note: str
    design: Design
    base: Design | None
    deltas: list[DeviceDelta]
    check: Report
    changes: ChangeSet | None = None  # None when there is no base to compare with
    waves: list[Wave] = field(default_factory=list)
    plan_error: str = ""  # no wave keeps the rollout rules
    unrendered: dict[str, tuple[str, ...]] = field(default_factory=dict)  # device -> change kinds its files do not carry
    recabling: str = ""  # the topology changes: the links that move
    refused: dict[str, str] = field(default_factory=dict)  # device -> what its commit would cut of the deploy's
    # own session (aifab.plan.way_in: ADDRESS_MOVES, API_OFF): the deploy refuses it, out of band first

    @property
    def verdict(self) -> str:
        """ready, needs cordon, needs maintenance window or re-cabling (see ``VERDICTS``)."""
        if self.recabling:
            return "re-cabling"
        if self.plan_error or self.refused:
            return "needs maintenance window"
        if any(w.cordon for w in self.waves):
            return "needs cordon"
        return "ready"

    @property
    def failed(self) -> bool:
        """The pull request should not merge as it is: a check fails, no in-place rollout exists or the
        deploy would refuse a switch's commit."""
        return self.check.failed or bool(self.plan_error) or bool(self.recabling) or bool(self.refused)


class BaseRefError(AifabError):
    """``--base`` names no revision of the intent's repository (a typo, or a clone without it)."""


def _git_show(ref: str, path: Path) -> tuple[str | None, str]:
    """The file's text at ``ref`` (None when it did not exist there) and a note for the report.
    Raises BaseRefError when ``ref`` is no revision of the repository: not a reason to count
    everything as new."""
    top = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, timeout=30)
    if top.returncode != 0:
        return None, f"{path} is not in a git work tree: everything counts as new"
    known = subprocess.run(["git", "-C", top.stdout.strip(), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           capture_output=True, text=True, timeout=30)
    if known.returncode != 0:
        raise BaseRefError(f"--base {ref}: no such revision in {top.stdout.strip()} (a clone needs the base "
                           "fetched: actions/checkout with fetch-depth: 0)")
    rel = path.resolve().relative_to(Path(top.stdout.strip()).resolve())
    shown = subprocess.run(["git", "-C", top.stdout.strip(), "show", f"{ref}:{rel.as_posix()}"],
                           capture_output=True, text=True, timeout=30)
    if shown.returncode != 0:
        return None, f"{rel} does not exist at {ref}: everything counts as new"
    return shown.stdout, f"compared with {rel} at {ref}"


def _base_design(ref: str, intent: Path, head: tuple[Intent, Design]) -> tuple[Design | None, str]:
    """The Design of ``intent`` at ``ref`` (made from the ``head`` intent's Design where only policy
    differs) and a note for the report; None where there is none to compare with."""
    text, note = _git_show(ref, intent)
    if text is None:
        return None, note
    with tempfile.TemporaryDirectory(prefix="aifab-review-") as tmp:
        path = Path(tmp) / intent.name
        path.write_text(text)
        try:
            return design_for(path, like=head)[1], note
        except AifabError as exc:
            first = str(exc).splitlines()[0].replace(str(path), f"{intent.name} at {ref}")  # not the scratch copy's path
            return None, f"the intent at {ref} does not build ({first}): everything counts as new"


def _files(view: DeviceView) -> dict[str, str]:
    """The files a deploy pushes to the device of ``view`` (its platform record's ``pushed_files``):
    what the deploy compares with the device is what the review diffs."""
    return render_view(view, platform(view.platform).pushed_files)


def _removed(base: Design, names: list[str]) -> list[DeviceDelta]:
    """The deltas of base devices the new side no longer has: their pushed files, every line removed."""
    old = {d.name: d for d in base.devices()}
    deltas = []
    for name in names:
        before = _files(device_view(base, old[name]))
        diffs = {n: unified_diff(n, text, "") for n, text in sorted(before.items())}
        if diffs:
            deltas.append(DeviceDelta(name, "removed", diffs))
    return deltas


def _refused(deltas: list[DeviceDelta], cs: ChangeSet | None) -> dict[str, str]:
    """The devices whose commit the deploy would refuse, and what it would cut of its own session: a
    management address that moves (the deploy reaches a switch at its build's inventory address, which
    the switch does not have yet), or a config that turns off the API the deploy talks."""
    moves = {d for f in (cs.facts if cs else ()) if f.kind == "management" and f.text.startswith("management address")
             for d in f.devices}
    refused = {d.device: API_OFF for d in deltas if d.api_off} | dict.fromkeys(moves, ADDRESS_MOVES)
    return {name: refused[name] for name in natural_sorted(refused)}


class Rollout(NamedTuple):
    """How the changed devices roll out (:func:`_plan`)."""

    waves: list[Wave]
    plan_error: str  # no wave keeps the rollout rules
    unrendered: dict[str, tuple[str, ...]]  # device -> change kinds its files do not carry
    recabling: str  # the topology changes: the links that move


def _plan(design: Design, cs: ChangeSet | None, deltas: list[DeviceDelta], allow_recabling: bool) -> Rollout:
    """Classify every changed device (from the change set) and plan the waves, or say why not.
    ``deltas`` (sorted) gains a delta without diffs for each device only the change set names."""
    if cs is not None:
        try:
            require_in_place(cs, allow_recabling)
        except PlanError as exc:
            return Rollout([], "", {}, str(exc))
    added = set(cs.added) if cs is not None else {d.name for d in design.devices()}
    by_name = {d.device: d for d in deltas}
    changed = [n for n in natural_sorted(set(by_name) | set(cs.devices if cs else ()))
               if not by_name.get(n) or by_name[n].status != "removed"]
    devices = {d.name: d for d in design.devices()}
    changes = []
    left_out: dict[str, tuple[str, ...]] = {}
    for name in changed:
        delta = by_name.get(name) or DeviceDelta(name, "changed", {})
        diff, known = "".join(delta.diffs.values()), cs
        if cs is not None and (left := unrendered(cs, name, diff)):  # the deploy makes none of them
            left_out[name] = left
            known = cs.without(name, left)
            if not diff and not known.kinds(name):
                continue
        if name not in by_name:
            deltas.append(delta)
        delta.change = classify(devices[name], diff, carrying=name not in added, changes=known,
                                bgp_timers=design.upgrade.bgp_timers)
        changes.append(delta.change)
    deltas.sort(key=lambda d: (d.status == "removed", natural_key(d.device)))
    try:
        return Rollout(plan_waves(design, changes, allow_recabling=allow_recabling), "", left_out, "")
    except PlanError as exc:
        return Rollout([], str(exc), left_out, "")


def _rendered_deltas(old: dict[str, Device], shared: dict[str, ViewInputs], same: frozenset[str],
                     rendered: Rendered) -> list[DeviceDelta]:
    """A batch of the new side as its render process has it: the deltas of its devices against the
    base side (``old``: base devices by name, ``shared``: the base Design's
    :class:`~aifab.render.view.ViewInputs` per fabric). A device equal on both sides, of a
    fabric in ``same`` (whose ViewInputs are equal on both sides), renders the same files: its base
    side is not rendered; another's base view is made from its new one where only policy differs, and
    its base files keep the new side's text of every section that reads the same values in both."""
    deltas = []
    for dev, view, files, parts in rendered:
        if dev.fabric in same and old.get(dev.name) == dev:
            continue
        pushed = platform(dev.platform).pushed_files
        after = {name: text for name, text in files.items() if name.removeprefix(f"{dev.name}.") in pushed}
        before = {}
        if dev.name in old:
            base = rebased_view(view, dev, shared[dev.fabric], old[dev.name])
            before = rebased_files(view, parts, base, platform(base.platform).pushed_files)
        diffs = {n: unified_diff(n, before.get(n, ""), after.get(n, "")) for n in sorted(set(before) | set(after))
                 if before.get(n) != after.get(n)}
        if diffs:
            off = api_off(platform(dev.platform), {n.removeprefix(f"{dev.name}."): t for n, t in after.items()})
            deltas.append(DeviceDelta(dev.name, "changed" if dev.name in old else "added", diffs, api_off=off))
    return deltas


def review(intent: Path, base_ref: str, allow_recabling: bool = False, jobs: int | None = None) -> Review:
    """Build both sides, state the change set, diff, classify, plan and check. Raises only for a
    bad head intent; a re-cabling change or one no wave can make is a verdict, not an error.

    The new side is rendered once, in memory (no config is written: ``aifab build`` writes them), on a
    large fabric by ``jobs`` processes (default: the CPUs available): each diffs its devices against
    the base side as it renders them; with two, this one parses the configs' texts for the checks (the
    renderer, done first, the last of them), with more each parses its own
    (:func:`~aifab.render.configs.write_and_consume`). The change set and the plan are made while a
    forked process runs half the rules (``check(beside=...)``)."""
    jobs = jobs or len(os.sched_getaffinity(0))
    with paused_gc():  # millions of acyclic objects (two Designs, the parsed facts): collections free nothing
        loaded, design = design_for(intent)
        base, note = _base_design(base_ref, intent, (loaded.intent, design))
        old = {d.name: d for d in base.devices()} if base is not None else {}
        shared = {f: view_inputs(base, f) for f in ("backend", "frontend")} if base is not None else {}
        same = frozenset(f for f, inputs in shared.items() if inputs == view_inputs(design, f))
        _, batches, parsed = write_and_consume(design, None, partial(_rendered_deltas, old, shared, same),
                                               parse_rendered, jobs)
        deltas = [d for part in batches for d in part]
        if base is not None:  # devices the new side no longer has
            known = {d.name for d in design.devices()}
            deltas += _removed(base, [d.name for d in base.devices() if d.name not in known])
        deltas.sort(key=lambda d: (d.status == "removed", natural_key(d.device)))
        drawn: list[tuple[ChangeSet | None, Rollout]] = []

        def conclude() -> None:  # the review's own conclusions, while the forked rules run
            cs = change_set(base, design) if base is not None else None
            drawn.append((cs, _plan(design, cs, deltas, allow_recabling)))

        report = check(design, jobs=jobs, parsed=gather(design, parsed), beside=conclude)
        cs, rollout = drawn[0]
        result = Review(intent, base_ref, note, design, base, deltas, report, cs, waves=rollout.waves,
                        plan_error=rollout.plan_error, unrendered=rollout.unrendered, recabling=rollout.recabling,
                        refused=_refused(deltas, cs))
        # the PFC-deadlock proof in the steady state and every wave, its switches drained (DLK003,
        # docs/sources.md#pfc-deadlock): nothing to do when the routing policy permits no valley turn
        waves = [(w.index, set(w.devices), set(w.cordon)) for w in result.waves]
        found = deadlock_findings(design, waves, report.valley_turns)
        if found:
            result.check = replace(report, findings=tuple(sort_findings([*report.findings, *found])))
    retain(design, base, batches, parsed, result)  # freed at exit, or never (aifab.keepalive)
    return result
