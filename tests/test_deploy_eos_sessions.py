"""A commit left pending by an earlier connection, rolled back through NAPALM's eos driver (real)
over an eAPI double of EOS configuration sessions (no EOS switch runs here).

The double answers the commands NAPALM sends for a commit timer, in the formats NAPALM's eos driver
parses (``show configuration sessions detail``: the session map of EOS before 4.32 and the
``commitTimerSessionName`` / ``commitTimerExpireTime`` fields of 4.32 and later; ``show version``'s
``uptime``), and keeps the state EOS keeps: which session waits on its timer and the config before
it. ``configure session NAME abort`` of the waiting session puts that config back, ``commit`` keeps
the change; any other session name is refused, as EOS has no such session. What it does not cover: a real switch.
"""

from __future__ import annotations

from typing import Any

import pytest
from napalm.eos.eos import EOSDriver

from aifab.deploy.tasks.config import adopt_pending_session, roll_back_pending

BEFORE = "hostname be-leaf-su1-r1\n"
DRAINED = BEFORE + "router bgp 4200000001\n   bgp graceful-shutdown\n"


class _EosSessions:
    """An eAPI node double holding EOS's configuration-session state (see the module docstring)."""

    def __init__(self, pending: str | None, new_format: bool) -> None:
        self.pending = pending  # the session waiting on its commit timer
        self.running = DRAINED if pending else BEFORE
        self.new_format = new_format
        self.sent: list[str] = []

    def _sessions(self) -> dict[str, Any]:
        if self.pending is None:
            return {"sessions": {}, "maxSavedSessions": 1, "maxOpenSessions": 5}
        if self.new_format:
            return {"commitTimerSessionName": self.pending, "commitTimerExpireTime": 1300.0,
                    "sessions": {self.pending: {"state": "pendingCommitTimer", "description": ""}}}
        return {"sessions": {self.pending: {"state": "pendingCommitTimer", "commitBy": 1300.0, "description": ""}}}

    def run_commands(self, commands: list[str], encoding: str = "json", **_: object) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for command in commands:
            self.sent.append(command)
            words = command.split()
            if command == "show configuration sessions detail":
                out.append(self._sessions())
            elif command == "show version":
                out.append({"uptime": 1000.0, "version": "4.32.2F", "modelName": "DCS-7050DX4-32S"})
            elif words[:2] == ["configure", "session"] and words[3:] in (["abort"], ["commit"]):
                if words[2] != self.pending:
                    raise RuntimeError(f"% No session {words[2]} waits on a commit timer")
                self.pending = None
                if words[3] == "abort":
                    self.running = BEFORE
                out.append({"output": ""})
            elif command in ("write memory", "configure replace flash:rollback-0"):
                out.append({"output": ""})
            else:
                raise AssertionError(f"the double has no answer for {command!r}")
        return out


@pytest.mark.parametrize("new_format", [False, True], ids=["eos-before-4.32", "eos-4.32"])
def test_eos_double_commit_left_pending_by_another_connection_is_aborted(new_format: bool) -> None:
    node = _EosSessions("napalm_424242", new_format)
    dev = EOSDriver("be-leaf-su1-r1", "nobody", "nothing")
    dev.device = node  # a new connection: NAPALM knows no config session of its own
    assert roll_back_pending(dev) is True
    assert "configure session napalm_424242 abort" in node.sent, node.sent
    assert node.pending is None and node.running == BEFORE, "the config before that commit is back"


def test_eos_double_nothing_pending_touches_nothing() -> None:
    node = _EosSessions(None, True)
    dev = EOSDriver("be-leaf-su1-r1", "nobody", "nothing")
    dev.device = node
    assert roll_back_pending(dev) is None
    assert not [c for c in node.sent if c.startswith(("configure", "write"))], node.sent


def test_eos_double_commit_left_pending_by_another_connection_can_be_confirmed() -> None:
    """What the rollback (a snapshot replaces whatever the timer would restore) and the drain's hand-over
    do first: confirm the waiting commit, from a connection that did not make it."""
    node = _EosSessions("napalm_424242", True)
    dev = EOSDriver("be-leaf-su1-r1", "nobody", "nothing")
    dev.device = node
    adopt_pending_session(dev)
    dev.confirm_commit()
    assert "configure session napalm_424242 commit" in node.sent, node.sent
    assert node.pending is None and node.running == DRAINED, "the change is kept, no timer left"
