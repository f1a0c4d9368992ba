"""SIGINT and SIGTERM during a deploy: the first asks the deploy to reach a safe state and stop;
a second one aborts at once (after saying what it leaves)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType

EXIT_INTERRUPTED = 130


class Interrupts:
    """Within ``with Interrupts(abort):`` the first SIGINT/SIGTERM sets ``requested`` (an Event
    the deploy checks between steps and waits on); the second calls ``abort`` (which says what
    is left) and ends the process with exit code 130 at once. Outside the main thread: inert."""

    def __init__(self, abort: Callable[[str], None], notice: Callable[[str], None]) -> None:
        self.requested = threading.Event()
        self.signal_name = ""
        self._abort = abort
        self._notice = notice
        self._saved: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.requested.is_set():
            self.signal_name = name
            self.requested.set()
            self._notice(name)
            return
        try:
            self._abort(name)
        finally:
            os._exit(EXIT_INTERRUPTED)

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when an interrupt cut the wait short."""
        return not self.requested.wait(max(0.0, seconds))

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._saved.clear()
