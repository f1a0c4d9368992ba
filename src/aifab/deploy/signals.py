"""SIGINT, SIGTERM and SIGHUP during a deploy: the first asks the deploy to reach a safe state and
stop; a second SIGINT or SIGTERM aborts at once (after saying what it leaves). SIGHUP is a terminal
that went away (an SSH session that dropped, a reader of the output that exited:
:mod:`aifab.deploy.output`): it never aborts a safe stop, nobody being there to ask."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import FrameType, TracebackType

EXIT_INTERRUPTED = 130
POLL_S = 0.05  # how soon a wait sees an interrupt


class Interrupts:
    """Within ``with Interrupts(abort, notice):`` the first SIGINT/SIGTERM/SIGHUP sets ``requested`` (the
    deploy checks it between steps; :meth:`sleep` ends early on it) and calls ``notice``; a second
    SIGINT/SIGTERM calls ``abort`` (which says what is left) and ends the process with exit code 130
    at once (a second SIGHUP changes nothing).
    Outside the main thread: inert.

    The handler only sets a flag: it runs in the main thread between any two bytecodes, also while
    that thread holds a lock (``threading.Event.set`` there waits forever on the lock its own
    ``wait`` holds: a deploy hung at its soak by a Ctrl-C), so nothing it calls may take one."""

    def __init__(self, abort: Callable[[str], None], notice: Callable[[str], None]) -> None:
        self.signal_name = ""
        self._abort = abort
        self._notice = notice
        self._saved: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        """A first signal came."""
        return bool(self.signal_name)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.signal_name:
            self.signal_name = name
            with suppress(Exception):  # a notice that cannot be written must not break the safe stop
                self._notice(name)
            return
        if signum == signal.SIGHUP:  # the terminal went away during the safe stop: nobody asked to abort it
            return
        try:
            self._abort(name)
        finally:
            os._exit(EXIT_INTERRUPTED)

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when an interrupt cut the wait short (within ``POLL_S``)."""
        end = time.monotonic() + max(0.0, seconds)
        while not self.signal_name:
            left = end - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, POLL_S))
        return False

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._saved.clear()
