"""Pull-request review: what a change to an intent does to the fabric, before anything ships.

Builds the intent as it is and as it was at a base git revision, diffs every device's rendered
files, classifies each change and plans the waves (as a deploy would), runs the checks on the new
build, and writes one Markdown report for the pull request.
"""

from __future__ import annotations

import difflib
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aifab.check import Report, check
from aifab.check.report import to_markdown
from aifab.design.model import Design, Device
from aifab.errors import AifabError
from aifab.paths import PathError
from aifab.pipeline import design_for
from aifab.plan.waves import Change, PlanError, Wave, classify, plan_waves
from aifab.platforms import platform
from aifab.render import render_device, write_configs


@dataclass
class DeviceDelta:
    """One device's rendered files before and after."""

    device: str
    status: str  # added, removed, changed
    diffs: dict[str, str]  # file name -> unified diff
    change: Change | None = None

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
    waves: list[Wave] = field(default_factory=list)
    plan_error: str = ""

    @property
    def failed(self) -> bool:
        return self.check.failed or bool(self.plan_error)


def _git_show(ref: str, path: Path) -> tuple[str | None, str]:
    """The file's text at ``ref`` (None when it did not exist there) and a note for the report."""
    top = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, timeout=30)
    if top.returncode != 0:
        return None, f"{path} is not in a git work tree: everything counts as new"
    rel = path.resolve().relative_to(Path(top.stdout.strip()).resolve())
    shown = subprocess.run(["git", "-C", top.stdout.strip(), "show", f"{ref}:{rel.as_posix()}"],
                           capture_output=True, text=True, timeout=30)
    if shown.returncode != 0:
        return None, f"{rel} does not exist at {ref}: everything counts as new"
    return shown.stdout, f"compared with {rel} at {ref}"


def _base_design(ref: str, intent: Path) -> tuple[Design | None, str]:
    text, note = _git_show(ref, intent)
    if text is None:
        return None, note
    with tempfile.TemporaryDirectory(prefix="aifab-review-") as tmp:
        path = Path(tmp) / intent.name
        path.write_text(text)
        try:
            return design_for(path)[1], note
        except AifabError as exc:
            return None, f"the intent at {ref} does not build ({str(exc).splitlines()[0]}): everything counts as new"


def _diff(name: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{name}", f"b/{name}"))


def _pushed(design: Design, dev: Device) -> dict[str, str]:
    """The files a deploy pushes to ``dev`` (its platform record's ``pushed_files``): what the deploy
    compares with the device is what the review diffs."""
    files = render_device(design, dev)
    return {name: text for name, text in files.items()
            if name.removeprefix(f"{dev.name}.") in platform(dev.platform).pushed_files}


def review(intent: Path, base_ref: str, out: Path) -> Review:
    """Build both sides, diff, classify, plan and check. Raises only for a bad head intent."""
    _, design = design_for(intent)
    try:
        write_configs(design, out)
    except OSError as exc:
        raise PathError(f"{out}: cannot write the review build ({exc.strerror or exc})") from None
    report = check(design, out)
    base, note = _base_design(base_ref, intent)
    old = {d.name: (d, _pushed(base, d)) for d in base.devices()} if base else {}
    deltas: list[DeviceDelta] = []
    for dev in design.devices():
        files = _pushed(design, dev)
        before = old.get(dev.name, (None, {}))[1]
        diffs = {n: d for n in sorted(set(files) | set(before)) if (d := _diff(n, before.get(n, ""), files.get(n, "")))}
        if diffs:
            status = "changed" if dev.name in old else "added"
            delta = DeviceDelta(dev.name, status, diffs)
            if status == "changed":
                delta.change = classify(dev, "".join(diffs.values()))
            deltas.append(delta)
    names = {d.name for d in design.devices()}
    for name, (_dev, files) in sorted(old.items()):
        if name not in names:
            deltas.append(DeviceDelta(name, "removed", {n: _diff(n, t, "") for n, t in files.items()}))
    result = Review(intent, base_ref, note, design, base, deltas, report)
    changes = [d.change for d in deltas if d.change is not None]
    try:
        result.waves = plan_waves(design, changes)
    except PlanError as exc:
        result.plan_error = str(exc)
    return result


def _tiers(design: Design | None) -> dict[str, str]:
    if design is None:
        return {}
    return {f"{f.name} {t.role}": str(t.count) for f in design.fabrics for t in f.tiers}


def to_review_markdown(r: Review) -> str:
    """The pull-request comment."""
    verdict = "**blocked**" if r.failed else "**ready**"
    out = [f"## aifab review: `{r.intent}` ({r.design.cluster})", "",
           f"{verdict}: {len(r.deltas)} devices change; {r.base_note}.", ""]
    before, after = _tiers(r.base), _tiers(r.design)
    if before != after:
        out += ["| tier | before | after |", "|---|---:|---:|"]
        out += [f"| {k} | {before.get(k, '-')} | {after.get(k, '-')} |" for k in sorted(set(before) | set(after))]
        out.append("")
    if r.deltas:
        out += ["| device | status | change | +/- lines | cordon |", "|---|---|---|---:|---|"]
        for d in r.deltas:
            plus, minus = d.lines
            kind = d.change.kind if d.change else "-"
            cordon = ", ".join(d.change.cordon) if d.change and d.change.cordon else ""
            out.append(f"| `{d.device}` | {d.status} | {kind} | +{plus} / -{minus} | {cordon} |")
        out.append("")
    if r.plan_error:
        out += [f"**Rollout refused:** {r.plan_error}", ""]
    elif r.waves:
        out += ["### Rollout waves", ""]
        out += [f"{w.index}. {', '.join(f'`{n}`' for n in w.devices)}" + (f" ({'; '.join(w.capacity)})" if w.capacity else "")
                for w in r.waves]
        out.append("")
    out += ["### Checks", "", to_markdown(r.check).strip(), ""]
    for d in r.deltas:
        body = "".join(d.diffs.values())
        out += [f"<details><summary>{d.device} ({d.status})</summary>", "", "```diff", body.rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"
