"""Judge readings against the Design (every designed BGP session Established) and the intent's
thresholds (``telemetry.thresholds``); report as a table or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from aifab.design.model import Design, HealthThresholds
from aifab.health.read import LABEL, METRICS, Reading

TITLE = {"pfc_pause_frames": "PFC pause frames", "ecn_marked": "ECN-marked packets",
         "watchdog_storms": "PFC watchdog storms", "drops": "dropped packets"}


@dataclass(frozen=True)
class Verdict:
    reading: Reading
    problems: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return not self.problems


def problems(design: Design, reading: Reading, limits: HealthThresholds) -> tuple[str, ...]:
    """Why ``reading``'s device is unhealthy (empty: healthy)."""
    if reading.error:
        return (f"unreachable: {reading.error}",)
    out = [f"{d} is not running" for d in reading.down_daemons]
    dev = next(d for d in design.devices() if d.name == reading.device)
    for n in dev.neighbors:
        where = f"BGP session to {n.peer} ({n.peer_address})"
        if reading.sessions is None:
            out.append(f"{where} unreadable ({reading.unreadable.get('bgp', 'BGP not readable')})")
        elif n.peer_address not in reading.sessions:
            out.append(f"{where} not configured")
        elif not reading.sessions[n.peer_address]:
            out.append(f"{where} not Established")
    for metric in METRICS:
        limit, value = getattr(limits, metric), reading.values.get(metric)
        if limit is not None and value is not None and value > limit:
            out.append(f"{TITLE[metric]} {value:,} above {limit:,}")
    return tuple(out)


def judge(design: Design, readings: dict[str, Reading], limits: HealthThresholds) -> list[Verdict]:
    """A verdict per device read, in the Design's order."""
    return [Verdict(readings[d.name], problems(design, readings[d.name], limits))
            for d in design.devices() if d.name in readings]


def not_readable(reading: Reading) -> str:
    """``not readable on frr: PFC counters (why), ...``, "" when everything was read."""
    if reading.error or not reading.unreadable:
        return ""
    parts = [f"{LABEL.get(k, k)} ({why})" for k, why in reading.unreadable.items()]
    return f"not readable on {reading.driver}: " + "; ".join(parts)


def _cell(reading: Reading, metric: str) -> str:
    if reading.error:
        return "-"
    value = reading.values.get(metric)
    return f"{value:,}" if value is not None else "n/r"


def _bgp_cell(design: Design, reading: Reading) -> str:
    dev = next(d for d in design.devices() if d.name == reading.device)
    if reading.error or reading.sessions is None:
        return "n/r"  # each designed session is named unreadable below the table
    up = sum(1 for n in dev.neighbors if reading.sessions.get(n.peer_address))
    return f"{up}/{len(dev.neighbors)}"


def print_table(design: Design, verdicts: list[Verdict], console: Console) -> None:
    """One row per device (n/r: not readable; a healthy device that is drained says ``drained``),
    then each problem, then what could not be read (one line per distinct gap, naming its devices),
    then the count of healthy devices and the drained ones."""
    table = Table(title=f"aifab health: {design.cluster}", title_justify="left")
    for col in ("device", "driver", "BGP\nup", "PFC\npause", "ECN\nmarked", "WD\nstorms", "drops", "health"):
        # a name and a verdict are never cut (at 80 columns too): headings take two lines, cells wrap
        table.add_column(col, overflow="fold", no_wrap=col in ("device", "health"), min_width=max(map(len, col.split())))
    for v in verdicts:
        r = v.reading
        table.add_row(r.device, r.driver, _bgp_cell(design, r), *(_cell(r, m) for m in METRICS),
                      "[bold red]UNHEALTHY[/]" if not v.healthy else "[yellow]drained[/]" if r.drained else "[green]healthy[/]")
    console.print(table)
    for v in verdicts:
        for p in v.problems:
            console.print(f"{v.reading.device}: {p}", markup=False, highlight=False, soft_wrap=True)
    same: dict[str, list[str]] = {}  # one line per distinct gap, naming every device it holds for
    for v in verdicts:
        if line := not_readable(v.reading):
            same.setdefault(line, []).append(v.reading.device)
    for line, devices in same.items():
        console.print(f"{', '.join(devices)}: {line}", markup=False, highlight=False, soft_wrap=True)
    bad = [v.reading.device for v in verdicts if not v.healthy]
    drained = [v.reading.device for v in verdicts if v.reading.drained]
    console.print(f"{len(verdicts) - len(bad)} of {len(verdicts)} devices healthy"
                  + (f"; unhealthy: {', '.join(bad)}" if bad else "")
                  + (f"; drained (carrying no traffic until undrained): {', '.join(drained)}" if drained else ""),
                  highlight=False, soft_wrap=True)


def to_json(design: Design, verdicts: list[Verdict], limits: HealthThresholds) -> str:
    """``{"cluster", "healthy", "drained", "thresholds", "devices": [reading + problems + healthy + not_readable]}``."""
    return json.dumps({
        "cluster": design.cluster,
        "healthy": all(v.healthy for v in verdicts),
        "drained": [v.reading.device for v in verdicts if v.reading.drained],
        "thresholds": {m: getattr(limits, m) for m in METRICS},
        "devices": [{**v.reading.as_dict(), "healthy": v.healthy, "problems": list(v.problems),
                     "not_readable": not_readable(v.reading)} for v in verdicts],
    }, indent=2) + "\n"
