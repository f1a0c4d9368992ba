"""What a deploy reports: each device's outcome, the waves, what was measured, and the two tables
the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table

from aifab.plan.handoff import compress
from aifab.plan.waves import Wave


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
    """Per-device outcomes, the diffs and the waves; ``ok`` is False when the deploy stopped
    (``stopped`` says why, ``interrupted`` when a signal stopped it); ``drained``: devices this
    deploy may have left drained (empty when it reached its safe state)."""

    outcomes: dict[str, Outcome]
    diffs: dict[str, str]
    changed: list[str] = field(default_factory=list)  # devices that differ from their build (a drain kept aside)
    held: list[str] = field(default_factory=list)  # devices drained before this deploy: left drained
    waves: list[Wave] = field(default_factory=list)
    ok: bool = True
    stopped: str = ""
    interrupted: bool = False
    drained: list[str] = field(default_factory=list)
    not_applied: dict[str, dict[str, str]] = field(default_factory=dict)  # device -> what -> why ("" for a note)
    timers_pending: dict[str, list[str]] = field(default_factory=dict)  # device -> timers in effect at the next session reset
    sessions_pending: dict[str, list[str]] = field(default_factory=dict)  # device -> sessions to switches left out, not verified
    links_pending: dict[str, list[str]] = field(default_factory=dict)  # device -> link settings committed at its end only
    cordoned: list[str] = field(default_factory=list)  # servers this deploy cordoned and did not give back
    timings: list[WaveTiming] = field(default_factory=list)  # measured per wave that ran
    upgrades: dict[str, tuple[str, str]] = field(default_factory=dict)  # device -> (version it ran, the intent's)


@dataclass
class WaveTiming:
    """What one wave took, measured: seconds until the neighbours' best paths were off the drained
    devices, of the upgrade step, until they were back on them after the undrain, and in all."""

    wave: int
    devices: tuple[str, ...]
    moved_off_s: float | None = None
    upgrade_s: float | None = None
    moved_back_s: float | None = None
    total_s: float = 0.0


def timings_table(report: DeployReport) -> Table:
    """Per wave, measured: traffic off the drained devices (named in compressed ranges, wrapped,
    never cut), the upgrade step, traffic back, in all."""
    table = Table(title="wave times (measured)", title_justify="left")
    named = [compress(t.devices) for t in report.timings]
    widest = max((len(n) + 1 for names in named for n in names), default=7)  # a name and its comma on one line
    for col in ("wave", "devices", "traffic\nmoved off", "upgrade", "traffic\nback", "wave\ntotal"):
        table.add_column(col, justify="left" if col == "devices" else "right", overflow="fold", no_wrap=col != "devices",
                         min_width=widest if col == "devices" else max(map(len, col.split())))
    def sec(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f} s"
    for t, names in zip(report.timings, named, strict=True):
        table.add_row(str(t.wave), ", ".join(names), sec(t.moved_off_s), sec(t.upgrade_s), sec(t.moved_back_s), sec(t.total_s))
    return table


FAULTS = frozenset({"unreachable", "login refused", "refused", "busy", "held back"})  # a device that stopped the deploy


def summary_table(report: DeployReport) -> Table:
    """Device, change kind, wave, status, detail."""
    table = Table(title="deploy summary", title_justify="left")
    for col in ("device", "change", "wave", "status", "detail"):
        table.add_column(col)
    for o in report.outcomes.values():
        style = "red" if "fail" in o.status or o.status in FAULTS else ("green" if o.status == "committed" else "")
        table.add_row(o.device, o.kind or "-", "-" if o.wave is None else str(o.wave), f"[{style}]{o.status}[/]" if style else o.status, o.detail)
    return table
