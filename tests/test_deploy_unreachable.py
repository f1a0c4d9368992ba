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
        assert f": unreachable or refused: ConnectionException: 127.0.0.1:{port}: " in line
    events = [json.loads(line) for line in (tmp_path / "build" / "audit.jsonl").read_text().splitlines()]
    failed = {e["device"]: e for e in events if e["event"] == "load-failed"}
    assert sorted(failed) == sorted(NAMES)
    assert all("ConnectionException" in e["traceback"] and e["traceback"].startswith("Traceback") for e in failed.values())
    assert not any(e["event"] == "commit" for e in events)
