"""Shared helpers for lab tests that drive the real CLI: an intent under a test's own cluster
name, ``aifab deploy --lab`` (waited for or started in the background), the audit log, and the
routers' own state read through their namespaces (never aifab's report)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import Lab, down, missing_requirements, up, wait_established
from aifab.lab.switch import node_dir, running
from aifab.lab.system import alive, namespaces, netns_pids

ROOT = Path(__file__).resolve().parents[2]


def require_lab() -> None:
    """Skip the test, saying what is missing, where this machine cannot run the lab (root, FRR, sshd)."""
    missing = missing_requirements()
    if missing:
        pytest.skip("lab needs: " + "; ".join(missing))


@contextmanager
def lab_torn_down(design: Design, intent: Path | None = None) -> Iterator[None]:
    """On leaving, failure included, take the lab of ``design`` down (``aifab lab down INTENT`` as a
    user runs it when ``intent`` is given) and assert that none of its namespaces or processes is left."""
    prefix = f"aifab-{design.cluster}."
    try:
        yield
    finally:
        pids = [p for ns in namespaces() if ns.startswith(prefix) for p in netns_pids(ns)]
        if intent is None:
            down(design)
        else:
            subprocess.run([sys.executable, "-m", "aifab", "lab", "down", str(intent)], capture_output=True, timeout=120)
        assert not [ns for ns in namespaces() if ns.startswith(prefix)], "lab namespaces left after down"
        assert not [p for p in pids if alive(p)], "lab processes left after down"


def lab_intent(path: Path, cluster: str, replace: tuple[tuple[str, str], ...] = ()) -> Path:
    """intent/lab.yaml under ``cluster`` (and any further ``(old, new)`` text replacements) at ``path``."""
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {cluster}")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


@dataclass
class LabRun:
    """One lab and the CLI driven against it."""

    intent: Path
    build: Path
    design: Design
    lab: Lab
    env: dict[str, str] = field(default_factory=lambda: {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"})

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=timeout,
                              env=self.env)

    def up_deployed(self) -> None:
        """Bring the lab up and ``aifab deploy --commit`` the intent to it, until every session is up."""
        self.lab = up(self.design)
        res = self.deploy("--commit")
        assert res.returncode == 0, res.stdout + res.stderr
        wait_established(self.lab, self.design, timeout=60)

    def deploy_args(self, *extra: str) -> list[str]:
        return ["deploy", str(self.intent), "-o", str(self.build), "--lab", "--verify-timeout", "30", *extra]

    def deploy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.cli(*self.deploy_args(*extra))

    def start(self, *args: str) -> Background:
        """``aifab ARGS`` in the background, its output read line by line."""
        proc = subprocess.Popen([sys.executable, "-m", "aifab", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        return Background(proc)

    def start_deploy(self, *extra: str) -> Background:
        """``aifab deploy`` in the background, its output read line by line."""
        return self.start(*self.deploy_args(*extra))

    def start_nox_deploy(self, *extra: str) -> Background:
        """``nox -s deploy -- INTENT ...`` as a user runs it in a terminal (nox and the deploy in one
        process group of their own, which a Ctrl-C signals as a whole); the session runs in this
        environment (``--no-venv``), its output read line by line."""
        nox = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "--no-venv", "-s", "deploy", "--",
               *self.deploy_args(*extra)[1:]]
        # a terminal's foreground job takes Ctrl-C: SIGINT at its default even where this test runs with it
        # ignored (started in the background without job control), which nox, having no handler, would keep
        cmd = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execv(sys.argv[1], sys.argv[1:])", *nox]
        env = {**self.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        return Background(proc, group=True)

    def audit(self) -> list[dict]:
        path = self.build / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def last_run(self) -> list[dict]:
        records = self.audit()
        return [r for r in records if r["run"] == records[-1]["run"]] if records else []

    def running(self, device: str) -> str:
        return self.lab.vtysh(device, "show running-config")

    def configs(self) -> dict[str, str]:
        return {d.name: self.running(d.name) for d in self.design.devices()}

    def saved(self, device: str) -> str:
        """The switch's saved /etc/frr/frr.conf (its directory is bind-mounted there)."""
        return (node_dir(self.lab.state_dir, device) / "frr" / "frr.conf").read_text()

    def pid(self, device: str, process: str) -> int:
        pid = running(self.lab.topology.switch(device)).get(process)
        assert pid, f"{device} runs {process}"
        return pid

    def kill(self, device: str, process: str) -> None:
        """Kill every ``process`` (bgpd, sshd, ...) of the switch and wait until none is left."""
        sw = self.lab.topology.switch(device)
        pids = [p for p in netns_pids(sw.netns) if Path(f"/proc/{p}/comm").read_text().strip() == process]
        assert pids, f"{device} runs {process}"
        for p in pids:
            os.kill(p, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process in running(sw) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process not in running(sw), f"{device}: {process} survives SIGKILL"

    def ip(self, device: str, *args: str) -> None:
        subprocess.run(["ip", "-n", self.lab.topology.switch(device).netns, *args], check=True, timeout=10)

    def converge(self, timeout: float = 60) -> None:
        wait_established(self.lab, self.design, timeout=timeout)


class Background:
    """A running CLI process whose stdout is read line by line (by a thread), every wait bounded."""

    def __init__(self, proc: subprocess.Popen[str], group: bool = False) -> None:
        self.proc = proc
        self.group = group  # signals go to its whole process group, as a terminal's Ctrl-C does
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """Read stdout until a line holds ``text``; returns it (fails after ``timeout`` or at EOF)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return line
        self.proc.kill()
        _, err = self.proc.communicate(timeout=30)
        raise AssertionError(f"no line with {text!r} in {timeout}s:\n{''.join(self.lines)}\n{err}")

    def signal(self, sig: int = signal.SIGINT) -> None:
        if self.group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        """Wait for the exit; (exit code, all stdout, stderr)."""
        assert self.proc.stderr is not None
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise AssertionError(f"deploy still running after {timeout}s:\n{''.join(self.lines)}") from None
        self._reader.join(30)
        while True:
            line = self._queue.get_nowait() if not self._queue.empty() else None
            if line is None:
                break
            self.lines.append(line)
        return self.proc.returncode, "".join(self.lines), self.proc.stderr.read()


def config_state(before: str, after: str, added: set[str]) -> str:
    """``old`` when ``after`` equals ``before``; ``new`` when it differs exactly by the ``added``
    lines; else ``other``."""
    b, a = before.splitlines(), after.splitlines()
    if a == b:
        return "old"
    if [ln for ln in a if ln not in added] == b and added <= set(a):
        return "new"
    return "other"
