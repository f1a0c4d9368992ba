"""LabStatus.healthy, the verdict of ``aifab lab status`` (exit 0 or 1), over plain records."""

from __future__ import annotations

from pathlib import Path

from aifab.lab.status import LabStatus, SwitchStatus
from aifab.lab.switch import PROCESSES


def _switch(processes: tuple[str, ...] = PROCESSES, states: tuple[str, ...] = ("Established",)) -> SwitchStatus:
    sessions = {f"10.0.0.{i}": s for i, s in enumerate(states)}
    return SwitchStatus("s1", "ns-s1", "172.31.255.2/24", processes, sessions, 5)


def test_healthy_needs_up_every_process_and_every_session() -> None:
    def status(*switches: SwitchStatus, up: bool = True) -> LabStatus:
        return LabStatus("lab", Path("/run/x"), up, switches, ())

    assert status(_switch(), _switch(states=())).healthy
    assert not status(_switch(), up=False).healthy
    assert not status(_switch(), _switch(processes=PROCESSES[:-1])).healthy
    assert not status(_switch(states=("Established", "Active"))).healthy
