"""Unreachable devices during ``aifab deploy``: one line per device on stderr, no traceback, the
details in the audit log. Every host is 127.0.0.1: a port with nothing listening, or a local
listener that hangs up at once (never any other address)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from napalm.base.exceptions import (
    CommandErrorException,
    CommandTimeoutException,
    ConnectAuthError,
    ConnectionException,
    ReplaceConfigException,
)

from aifab.design import build_design
from aifab.intent import load_intent

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"
NAMES = [d.name for d in build_design(load_intent(LAB).intent).devices()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hangs_up() -> Iterator[int]:
    """A local port that accepts connections and closes them at once (no SSH banner)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def inventory(tmp_path: Path, port: int) -> Path:
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "groups.yaml").write_text("frr:\n  platform: frr\n  connection_options:\n    napalm:\n"
                                     "      platform: frr\n      extras: {timeout: 5}\n")
    (inv / "hosts.yaml").write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n  port: {port}\n  groups: [frr]\n"
                                            for n in NAMES))
    return inv


def deploy(tmp_path: Path, inv: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIFAB_USERNAME": "nobody", "AIFAB_PASSWORD": "nothing"}
    return subprocess.run([sys.executable, "-m", "aifab", "deploy", str(LAB), "-o", str(tmp_path / "build"),
                           "--inventory", str(inv)], capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.parametrize("listener", ["closed", "hangs-up"])
def test_unreachable_devices_are_one_line_each(tmp_path: Path, request: pytest.FixtureRequest, listener: str) -> None:
    port = closed_port() if listener == "closed" else request.getfixturevalue("hangs_up")
    res = deploy(tmp_path, inventory(tmp_path, port))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    lines = res.stderr.splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(NAMES), res.stderr
    for line in lines:
        assert f": unreachable: ConnectionException: 127.0.0.1:{port}: " in line
    events = [json.loads(line) for line in (tmp_path / "build" / "audit.jsonl").read_text().splitlines()]
    failed = {e["device"]: e for e in events if e["event"] == "load-failed"}
    assert sorted(failed) == sorted(NAMES)
    assert all("ConnectionException" in e["traceback"] and e["traceback"].startswith("Traceback") for e in failed.values())
    assert not any(e["event"] == "commit" for e in events)


@pytest.mark.parametrize(("exc", "status"), [
    (ConnectionException("127.0.0.1:22: connection refused"), "unreachable"),
    (CommandTimeoutException("be-spine1: vtysh did not finish in 60 s"), "unreachable"),
    (ConnectAuthError("be-spine1: authentication failed"), "login refused"),
    (ReplaceConfigException("cat > /etc/frr/candidate: No space left on device"), "refused"),
    (CommandErrorException("vtysh -C: line 12: % Unknown command"), "refused"),
])
def test_a_failed_device_is_said_unreachable_or_refused_by_what_it_raised(tmp_path: Path, exc: Exception, status: str) -> None:
    """The status a device at fault gets comes from the exception its task raised (worded as the
    deploy words it, from a real Nornir run): a switch that answered and refused its candidate (its
    own disk full) is not said unreachable, nor one that cannot be reached refused."""
    from nornir import InitNornir
    from nornir.core.task import Result, Task

    from aifab.deploy.connect import device_errors, failure_status

    def fails(task: Task) -> Result:
        raise exc

    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("be-spine1:\n  hostname: 127.0.0.1\n")
    nr = InitNornir(runner={"plugin": "serial"}, logging={"enabled": False}, inventory={
        "plugin": "SimpleInventory", "options": {"host_file": str(hosts)}})
    reason = device_errors(nr.run(task=fails))["be-spine1"]
    assert reason.startswith(type(exc).__name__ + ": ") and failure_status(reason) == status
