"""The scheduler hand-off during a deploy (issue 11, item 5): before a wave that cordons servers, run
``upgrade.cordon_command`` and wait on it, or pause for the operator (``--confirm-cordon``); after
the wave, ``upgrade.uncordon_command``. A cordon that fails (exit status not 0, timeout, program
missing, the operator says no) stops the rollout before any device of the wave is touched.

Commands run without a shell (``aifab.plan.handoff`` builds their argument vectors), stdin closed,
output captured (its last line goes into the reason of a failure), bounded by
``upgrade.cordon_timeout_s``.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TextIO

from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.plan.handoff import CordonWave, argvs, commands, cordon_wave, shown
from aifab.plan.waves import Wave

CONFIRM = "yes"


class CordonUsageError(AifabError):
    """``--confirm-cordon`` where nobody can answer (no TTY) and no cordon command to wait on."""


POLL_S = 0.2  # how often a running hook's wait looks for an interrupt
GRACE_S = 5.0  # a hook stopped by an interrupt: SIGTERM, then SIGKILL after this long


_RUNNING: dict[int, list[str]] = {}  # process group -> argv of each command running now


def kill_running() -> list[str]:
    """SIGKILL the process group of every command :func:`run_hook` is waiting on (the deploy aborts
    at once: nothing it started outlives it); the commands, as shown."""
    killed = []
    for pgid, argv in list(_RUNNING.items()):
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
            killed.append(shown(argv))
    return killed


def run_hook(argv: list[str], timeout_s: float, stopping: Callable[[], bool] | None = None) -> str:
    """Run one command and wait; "" when it exited 0, else why not (one line). With ``stopping``,
    the wait ends when it turns true (an interrupt): the command is stopped and the answer says so.
    The command runs in its own process group, stopped as a whole (SIGTERM, SIGKILL after
    :data:`GRACE_S`; at the timeout SIGKILL): what it started does not outlive it."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    except OSError as exc:
        return f"{shown(argv)}: cannot run ({exc.strerror or exc})"
    deadline = time.monotonic() + timeout_s
    _RUNNING[proc.pid] = argv
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=min(POLL_S, max(0.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if stopping is not None and stopping():
                    _end(proc, signal.SIGTERM)
                    return f"{shown(argv)}: interrupted while waiting for it (stopped)"
                if time.monotonic() >= deadline:
                    _end(proc, signal.SIGKILL)
                    return f"{shown(argv)}: no exit after {timeout_s:g}s (killed)"
    finally:
        if proc.returncode is None:  # an exception in the wait: never left running
            _end(proc, signal.SIGKILL)
        _RUNNING.pop(proc.pid, None)
    if proc.returncode != 0:
        last = (err.strip() or out.strip()).splitlines()[-1:] or [""]
        return f"{shown(argv)}: exit {proc.returncode}" + (f": {last[0][:200]}" if last[0] else "")
    return ""


def _end(proc: subprocess.Popen[str], sig: int) -> None:
    """Signal the command's process group (SIGTERM: SIGKILL after :data:`GRACE_S` if it is still
    there), reap it and close its pipes, bounded even if something it started escaped the group."""
    def group(s: int) -> None:
        with suppress(ProcessLookupError):  # the whole group is gone
            os.killpg(proc.pid, s)
    group(sig)
    try:
        proc.wait(timeout=GRACE_S if sig == signal.SIGTERM else 10)
    except subprocess.TimeoutExpired:
        group(signal.SIGKILL)
        proc.wait()
    group(signal.SIGKILL)  # what it started and left behind
    try:
        proc.communicate(timeout=1)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


class Scheduler:
    """Runs the hand-off of each cordon wave of one deploy and remembers which waves' servers are
    cordoned (``cordoned``) until their uncordon has run."""

    def __init__(self, design: Design, confirm: bool, say: Callable[[str], None], audit: Any,
                 stopping: Callable[[], bool] = lambda: False, stdin: TextIO | None = None) -> None:
        self.design = design
        self.confirm = confirm
        self.say = say
        self.audit = audit
        self.stopping = stopping
        self.stdin = stdin if stdin is not None else sys.stdin
        self.cordoned: dict[int, CordonWave] = {}
        up = design.upgrade
        if confirm and not up.cordon_command and not self.stdin.isatty():
            raise CordonUsageError("--confirm-cordon needs a terminal to answer on, or upgrade.cordon_command in the intent "
                                   "(stdin is not a TTY)")

    def preview(self, waves: list[Wave], committing: bool = True) -> None:
        """Before anything is touched: every cordon wave's servers and the commands that will run
        for it (in a dry run, ``committing`` False: those a commit would run), printed and audited
        (HandoffError for a server name a command must not carry)."""
        for wave in waves:
            cw = cordon_wave(self.design, wave)
            if cw is None:
                continue
            cmds = commands(self.design, cw)
            how = "; ".join(f"{what}: {' && '.join(lines)}" for what, lines in cmds.items() if lines) or (
                "the operator confirms" if self.confirm else "printed only, nothing waits for the scheduler")
            what = "cordons" if committing else "would cordon (with --commit)"
            self.say(f"wave {wave.index} {what} {', '.join(cw.ranges)} ({len(cw.servers)} servers, {cw.gpus} GPUs): {how}")
            self.audit.write("cordon-plan", None, wave=wave.index, servers=list(cw.servers), ranges=cw.ranges,
                             gpus=cw.gpus, **cmds)

    @property
    def servers(self) -> list[str]:
        """Servers this deploy cordoned and has not uncordoned."""
        return [s for cw in self.cordoned.values() for s in cw.servers]

    def _run_all(self, what: str, template: str, cw: CordonWave) -> str:
        """Run ``template``'s commands for ``cw`` in turn; "" when all exited 0, else why not. A cordon's
        wait ends at an interrupt; an uncordon's (part of the safe state) does not."""
        for argv in argvs(template, cw):
            self.say(f"wave {cw.wave}: {what}: {shown(argv)} (waiting, up to {self.design.upgrade.cordon_timeout_s}s)")
            why = run_hook(argv, self.design.upgrade.cordon_timeout_s, self.stopping if what == "cordon" else None)
            self.audit.write(f"{what}-command", None, wave=cw.wave, argv=argv, ok=not why, reason=why)
            if why:
                return why
        return ""

    def _ask(self, cw: CordonWave) -> str:
        """Pause until the operator answers on the terminal; "" for yes, else why not."""
        print(f"wave {cw.wave}: cordon {', '.join(cw.ranges)} ({len(cw.servers)} servers, {cw.gpus} GPUs) in the job "
              f"scheduler, then type {CONFIRM} and Enter (anything else stops the rollout): ", end="", flush=True)
        while not self.stopping():
            ready, _, _ = select.select([self.stdin], [], [], 0.5)
            if ready:
                answer = self.stdin.readline().strip().lower()
                return "" if answer == CONFIRM else f"the operator did not confirm the cordon (answered {answer!r})"
        return "interrupted while waiting for the operator"

    def cordon(self, wave: Wave) -> str:
        """Before ``wave`` touches any device: hand its servers to the scheduler. "" to go on, else why not."""
        cw = cordon_wave(self.design, wave)
        if cw is None:
            return ""
        for c in wave.changes:
            if c.cordon:
                self.say(f"cordon before {c.device}: {', '.join(c.cordon)}")
                self.audit.write("cordon", c.device, servers=list(c.cordon))
        self.say(f"wave {wave.index}: cordon {', '.join(cw.ranges)} ({len(cw.servers)} servers, {cw.gpus} GPUs)")
        self.cordoned[cw.wave] = cw  # from here on possibly cordoned, even when the command fails midway
        up = self.design.upgrade
        why = self._run_all("cordon", up.cordon_command, cw) if up.cordon_command else ""
        if not why and self.confirm and self.stdin.isatty():
            why = self._ask(cw)
        elif not why and not up.cordon_command:
            self.say(f"wave {wave.index}: no upgrade.cordon_command and no --confirm-cordon: nothing waits for the scheduler")
        self.audit.write("cordoned" if not why else "cordon-failed", None, wave=cw.wave, servers=list(cw.servers),
                         ranges=cw.ranges, gpus=cw.gpus, reason=why)
        if not why:
            return ""
        # nothing cordoned (the operator said no, no command ran), or a partial cordon undone
        undone = not up.cordon_command or (up.uncordon_command and not self._run_all("uncordon", up.uncordon_command, cw))
        if undone:
            self.cordoned.pop(cw.wave, None)
        return why

    def uncordon(self, wave: Wave, keep: list[str]) -> str:
        """After ``wave`` (done, or restored to its snapshots): give its servers back; "" when done
        or nothing to do, else why not. ``keep``: devices of the wave not in a safe state (their
        servers stay cordoned, said and audited)."""
        cw = self.cordoned.get(wave.index)
        if cw is None:
            return ""
        if keep:
            self.say(f"wave {wave.index}: {', '.join(cw.ranges)} stay cordoned: {', '.join(keep)} not in a safe state")
            self.audit.write("cordon-kept", None, wave=cw.wave, servers=list(cw.servers), devices=keep)
            return ""
        up = self.design.upgrade
        started = time.monotonic()
        why = self._run_all("uncordon", up.uncordon_command, cw) if up.uncordon_command else ""
        if not up.uncordon_command:
            self.say(f"wave {wave.index}: uncordon {', '.join(cw.ranges)} in the scheduler now")
        self.audit.write("uncordoned" if not why else "uncordon-failed", None, wave=cw.wave, servers=list(cw.servers),
                         reason=why, seconds=round(time.monotonic() - started, 2))
        if not why:
            self.cordoned.pop(cw.wave, None)
        return why
