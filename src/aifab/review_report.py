"""The review's outputs: ``review.md`` (one pull-request comment at any fabric size), ``plan.json``
(the schema in docs/review.md), ``plan.csv`` (every step of every wave) and ``diffs.patch`` (every
device's full diff)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from aifab.check.report import to_markdown
from aifab.plan.handoff import commands, compress, cordon_wave
from aifab.plan.impact import worst
from aifab.plan.waves import Wave, change_steps, cordoned_gpu_seconds
from aifab.plan.way_in import ADDRESS_MOVES, API_OFF
from aifab.review import Review

COMMENT_LIMIT = 60_000  # characters; a GitHub PR comment holds 65,536
PLAN_SCHEMA = 1
SAMPLE_DEVICES = 6  # per-device diffs shown in review.md
DIFF_CHARS = 4_000  # per device in review.md
FACT_LINES = 40
GANTT_WAVES = 40
CORDON_CHARS = 600  # per wave
FINDING_CHARS = 12_000


def _clip(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit("\n", 1)[0] + f"\n... ({what} cut at {limit:,} characters)"


def _wave_impact(w: Wave) -> str:
    return worst([c.impact or "hitless" for c in w.changes])


def _drained(w: Wave) -> list[str]:
    return [c.device for c in w.changes if c.drain]


def summary(r: Review) -> dict[str, Any]:
    """The counts a reviewer reads first."""
    status = Counter(d.status for d in r.deltas)
    actions = Counter(d.change.kind for d in r.deltas if d.change)
    impacts = Counter(d.change.impact for d in r.deltas if d.change)
    cordoned = {s for w in r.waves for s in w.cordon}
    return {
        "verdict": r.verdict,
        "checks_failed": r.check.failed,
        "devices_changed": status["changed"], "devices_added": status["added"], "devices_removed": status["removed"],
        "actions": {k: actions[k] for k in ("initial", "hitless", "drain", "cordon") if actions[k]},
        "impacts": dict(sorted(impacts.items())),
        "waves": len(r.waves),
        "drained_devices": sum(len(_drained(w)) for w in r.waves),
        "cordoned_servers": len(cordoned),
        "cordoned_gpus": sum(w.gpus for w in r.waves),
        "cordoned_gpu_seconds": cordoned_gpu_seconds(r.waves),
        "duration_s": sum(w.duration_s for w in r.waves),
        "recabled_links": len(r.changes.links) if r.changes else 0,
        "devices_not_rendered": len(r.unrendered),
        "devices_refused": len(r.refused),
    }


def _not_rendered(r: Review) -> list[dict[str, Any]]:
    """The change set's kinds no pushed file carries, per platform and kinds: the devices (see ``Review.unrendered``)."""
    platforms = {d.name: d.platform for d in r.design.devices()}
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for name, kinds in r.unrendered.items():
        groups[platforms[name], kinds].append(name)
    return [{"platform": p, "kinds": list(kinds), "devices": names, "ranges": compress(names)}
            for (p, kinds), names in sorted(groups.items())]


def _not_rendered_md(r: Review) -> list[str]:
    """A section for the change set's kinds the deploy does not make: no file it pushes carries them."""
    groups = _not_rendered(r)
    if not groups:
        return []
    out = ["### Not in the configs", ""]
    for g in groups:
        kinds = ", ".join(f"`{k}`" for k in g["kinds"])
        names = _clip(", ".join(g["ranges"]), 300, "list")
        out.append(f"- {kinds} on {len(g['devices']):,} {g['platform']} switches ({names}): in no file the deploy pushes "
                   "to them (their config has no setting for it): not made, nothing planned for it.")
    return [*out, ""]


def plan_json(r: Review) -> dict[str, Any]:
    """``plan.json`` (schema in docs/review.md)."""
    return {
        "schema": PLAN_SCHEMA,
        "intent": str(r.intent), "base": r.base_ref, "cluster": r.design.cluster, "base_note": r.base_note,
        "summary": summary(r),
        "changes": r.changes.lines() if r.changes else [],
        "recabled_links": list(r.changes.links) if r.changes else [],
        "not_rendered": _not_rendered(r),
        "refused": _refused(r),
        "plan_error": r.plan_error or r.recabling,
        "waves": [{
            "index": w.index,
            "impact": _wave_impact(w),
            "devices": [{"name": c.device, "action": c.kind, "impact": c.impact, "drain": c.drain,
                         "reasons": list(c.reasons),
                         "upgrade": {"method": c.upgrade, "version": c.version} if c.upgrade else None,
                         "steps": list(change_steps(c, r.design))} for c in w.changes],
            "drained": _drained(w),
            "cordon": {"servers": list(w.cordon), "ranges": compress(w.cordon), "gpus": w.gpus, **_handoff(r, w)},
            "min_capacity_pct": w.min_capacity_pct,
            "min_paths": w.min_paths,
            "duration_s": w.duration_s,
            "capacity": list(w.capacity),
        } for w in r.waves],
    }


def _handoff(r: Review, w: Wave) -> dict[str, list[str]]:
    """The scheduler commands the deploy runs before and after ``w`` (none when it cordons nothing)."""
    cw = cordon_wave(r.design, w)
    return {"commands": [], "uncordon_commands": []} if cw is None else dict(
        zip(("commands", "uncordon_commands"), commands(r.design, cw).values(), strict=True))


def _handoff_markdown(r: Review) -> list[str]:
    """Per cordon wave: the servers and GPUs, and the commands the deploy runs (or that it pauses)."""
    up = r.design.upgrade
    out = ["### Scheduler hand-off", ""]
    if not up.cordon_command:
        out += ["No `upgrade.cordon_command`: the deploy prints each wave's servers; `--confirm-cordon` pauses for "
                "the operator.", ""]
    shown = 0
    for w in r.waves:
        cw = cordon_wave(r.design, w)
        if cw is None:
            continue
        if shown == GANTT_WAVES:
            out.append("- ... more waves in plan.json")
            break
        shown += 1
        cmds = commands(r.design, cw)
        out.append(f"- wave {w.index}: {len(cw.servers):,} servers ({cw.gpus:,} GPUs): "
                   + _clip(", ".join(cw.ranges), CORDON_CHARS, "list").replace("\n", " "))
        for what, lines in cmds.items():
            extra = f" (and {len(lines) - 2:,} more, one per server)" if len(lines) > 2 else ""
            out += [f"  - {what}: `{_clip(line, 300, 'command')}`" for line in lines[:2]]
            if extra:
                out[-1] += extra
    return [*out, ""]


PLAN_CSV_HEADER = ("wave", "device", "action", "impact", "step", "what")


def plan_csv(r: Review) -> str:
    """``plan.csv``: one row per step the deploy runs, wave by wave, device by device."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PLAN_CSV_HEADER)
    for w in r.waves:
        for c in w.changes:
            for i, step in enumerate(change_steps(c, r.design), start=1):
                writer.writerow((w.index, c.device, c.kind, c.impact, i, step))
    return out.getvalue()


def _steps_md(r: Review) -> list[str]:
    """Per wave, each distinct sequence of steps once with the devices that run it (bounded)."""
    out = ["### Steps the deploy runs", ""]
    for w in r.waves[:GANTT_WAVES]:
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for c in w.changes:
            groups[change_steps(c, r.design)].append(c.device)
        for seq, devices in list(groups.items())[:4]:
            who = _clip(", ".join(compress(devices)), 200, "list").replace("\n", " ")
            out.append(f"- wave {w.index}, {who}: " + " -> ".join(seq or ("commit",)))
    return [*out, ""]


def diffs_patch(r: Review) -> str:
    """Every device's full diff, natural order."""
    return "".join(body for d in r.deltas for body in d.diffs.values())


def _gantt(waves: list[Wave]) -> list[str]:
    out = ["```mermaid", "gantt", "  title Rollout waves", "  dateFormat X", "  axisFormat %H:%M"]
    for w in waves[:GANTT_WAVES]:
        what = f"{len(w.changes)} devices, {_wave_impact(w)}" + (f", {w.gpus} GPUs cordoned" if w.gpus else "")
        start = "0" if w.index == 1 else f"after w{w.index - 1}"
        out.append(f"  wave {w.index} ({what}) :{'crit, ' if w.cordon else ''}w{w.index}, {start}, {max(w.duration_s, 1)}s")
    if len(waves) > GANTT_WAVES:
        out.append(f"  {len(waves) - GANTT_WAVES} more waves :after w{GANTT_WAVES}, 1s")
    return [*out, "```"]


def _sample(r: Review) -> list[Any]:
    """Up to SAMPLE_DEVICES deltas whose files differ (a software upgrade alone changes none): one per
    distinct (kind of device, status, action, impact) first, natural order."""
    seen: set[tuple[object, ...]] = set()
    first, rest = [], []
    for d in r.deltas:
        if not d.diffs:
            continue
        key = (re.sub(r"\d+", "", d.device), d.status, d.change.kind if d.change else None, d.change.impact if d.change else None)
        (rest if key in seen else first).append(d)
        seen.add(key)
    return (first + rest)[:SAMPLE_DEVICES]


def _refused(r: Review) -> list[dict[str, Any]]:
    """The switches whose commit the deploy refuses, per what it would cut of its own session."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name, why in r.refused.items():
        groups[why].append(name)
    return [{"why": why, "devices": names, "ranges": compress(names)} for why, names in sorted(groups.items())]


# what to do first, per what a commit would cut of the deploy's own session (aifab.plan.way_in)
_OUT_OF_BAND = {
    ADDRESS_MOVES: "get a new management address. The deploy connects to a switch at the address its build's "
                   "inventory names, the new one, which the switch does not have yet (and a commit over the old one "
                   "would cut its own session): move each switch's management address out of band first (console, "
                   "DHCP or ZTP reservation), then deploy.",
    API_OFF: "get a config that turns off the API the deploy talks to them over (eAPI on EOS: `management api "
             "http-commands` absent, shut, or not on in the management VRF): the commit would cut the deploy's own "
             "session and no later deploy would reach them. Keep `management.api: true` in the intent.",
}


def _refused_md(r: Review) -> list[str]:
    """A section for the switches whose commit the deploy refuses: what to do out of band first."""
    groups = _refused(r)
    if not groups:
        return []
    out = ["### The deploy refuses these commits", ""]
    for g in groups:
        listed = _clip(", ".join(g["ranges"]), 1_000, "list")
        out.append(f"- {len(g['devices']):,} switches ({listed}) {_OUT_OF_BAND[g['why']]}")
    return [*out, ""]


MOVED_BY_GROWTH = ("address", "route-policy", "router-id", "management", "asn", "peer-asn", "link-moved")  # what an SU moves of the rest


def _growth(r: Review) -> list[str]:
    """A section for an SU added that moves switches or servers that stay: the backend laid out for
    today's SUs, where a layout for its growth (``backend.growth``) would have moved nothing."""
    cs = r.changes
    if cs is None or not cs.sus_added:
        return []
    moved = [f.text for f in cs.facts if f.kind in MOVED_BY_GROWTH]
    if not moved:
        return []
    listed = _clip("; ".join(moved), 1_000, "list")
    return ["### Growth", "",
            f"An SU is added and what stays moves with it ({listed}): the fabric is laid out for today's hosts. "
            "Laid out for its growth (`backend.growth.servers`, and `frontend.growth` for storage nodes, set before "
            "the first deploy), an SU added brings its own leaves and moves nothing of the rest.", ""]


def to_review_markdown(r: Review, patch_name: str = "diffs.patch") -> str:
    """The pull-request comment: at most COMMENT_LIMIT characters whatever the fabric's size."""
    s = summary(r)
    icon = {"ready": ":white_check_mark:", "needs cordon": ":warning:"}.get(r.verdict, ":x:")
    out = [f"## aifab review: `{r.intent}` ({r.design.cluster})", "",
           f"{icon} **{r.verdict}**{' (checks fail)' if r.check.failed else ''}: "
           f"{s['devices_changed'] + s['devices_added'] + s['devices_removed']:,} devices change; {r.base_note}.", "",
           "| changed | added | removed | waves | drained | cordoned servers | cordoned GPUs | GPU-hours cordoned | duration |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
           f"| {s['devices_changed']:,} | {s['devices_added']:,} | {s['devices_removed']:,} | {s['waves']} "
           f"| {s['drained_devices']:,} | {s['cordoned_servers']:,} | {s['cordoned_gpus']:,} "
           f"| {s['cordoned_gpu_seconds'] / 3600:,.1f} | {s['duration_s'] / 60:,.1f} min |", ""]
    if r.changes is not None and r.changes.facts:
        lines = r.changes.lines()
        out += ["### Change set", "", "```"]
        out += [_clip(ln, 300, "line") for ln in lines[:FACT_LINES]]
        if len(lines) > FACT_LINES:
            out.append(f"... and {len(lines) - FACT_LINES:,} more (plan.json)")
        out += ["```", ""]
    out += _not_rendered_md(r)
    out += _refused_md(r)
    out += _growth(r)
    if r.recabling:
        out += ["### Re-cabling: no in-place rollout", "", "```", _clip(r.recabling, 6_000, "list"), "```", ""]
    elif r.plan_error:
        out += ["### Needs a maintenance window", "", f"No wave keeps the rollout rules: {_clip(r.plan_error, 2_000, 'message')}", ""]
    elif r.waves:
        out += ["### Rollout waves", "", *_gantt(r.waves), "",
                "| wave | devices | impact | drained | cordoned | GPUs | min capacity | duration |",
                "|---:|---|---|---:|---|---:|---:|---:|"]
        for w in r.waves[:GANTT_WAVES]:
            devs = _clip(", ".join(compress(w.devices)), 300, "list").replace("\n", " ")
            cordon = _clip(", ".join(compress(w.cordon)), CORDON_CHARS, "list").replace("\n", " ") or "-"
            out.append(f"| {w.index} | {devs} | {_wave_impact(w)} | {len(_drained(w))} | {cordon} | {w.gpus:,} "
                       f"| {'-' if w.min_capacity_pct is None else f'{w.min_capacity_pct:.1f} %'} | {w.duration_s} s |")
        if len(r.waves) > GANTT_WAVES:
            out.append(f"| ... | {len(r.waves) - GANTT_WAVES} more waves in plan.json | | | | | | |")
        out.append("")
        if any(w.cordon for w in r.waves):
            out += _handoff_markdown(r)
        if any(c.upgrade for w in r.waves for c in w.changes):
            out += _steps_md(r)
    out += ["### Checks", "", _clip(to_markdown(r.check).strip(), FINDING_CHARS, "findings"), ""]
    sample = _sample(r)
    unchanged = sum(1 for d in r.deltas if not d.diffs)
    if sample:
        differ = len(r.deltas) - unchanged
        out += [f"### Diffs ({len(sample)} of {differ:,} devices whose files differ; all in `{patch_name}`)", ""]
        for d in sample:
            why = html.escape(f", {d.change.kind}: {'; '.join(d.change.reasons) or d.change.impact}") if d.change else ""
            body = _clip("".join(d.diffs.values()).rstrip(), DIFF_CHARS, "diff")
            out += [f"<details><summary>{d.device} ({d.status}{why})</summary>", "", "```diff", body, "```", "", "</details>"]
    if unchanged:
        out += ["", f"{unchanged:,} changed devices have no file that differs (a software upgrade alone, say): "
                "the change set states their change, plan.json and plan.csv list their steps."]
    text = "\n".join(out) + "\n"
    return _clip(text, COMMENT_LIMIT - 100, "review") + ("\n" if len(text) > COMMENT_LIMIT - 100 else "")


def write_outputs(r: Review, out: Path) -> dict[str, Path]:
    """Write review.md, plan.json, plan.csv and diffs.patch into ``out``; their paths by name."""
    paths = {"review.md": out / "review.md", "plan.json": out / "plan.json", "plan.csv": out / "plan.csv",
             "diffs.patch": out / "diffs.patch"}
    out.mkdir(parents=True, exist_ok=True)
    paths["review.md"].write_text(to_review_markdown(r))
    paths["plan.json"].write_text(json.dumps(plan_json(r), indent=1) + "\n")
    paths["plan.csv"].write_text(plan_csv(r))
    paths["diffs.patch"].write_text(diffs_patch(r))
    return paths
