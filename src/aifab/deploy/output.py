"""A deploy's terminal that goes away (``aifab deploy | head``, an SSH session that drops): a write
to it must not raise out of the middle of a wave, which would leave switches drained with no safe
stop and an audit log that never says so.

Within :func:`kept_output`, standard output and error swallow their write errors; the first one
is taken as the terminal hanging up: the process gets SIGHUP, which a rollout takes as a request
to stop safely (:class:`aifab.deploy.signals.Interrupts`) and which, before or after the rollout
(nothing in hand), ends the process as a hang-up does. The audit log records everything either way.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class KeptStream:
    """A text stream that never raises on write or flush: it forwards to ``stream`` until a write
    fails, then drops what follows and hangs up once (SIGHUP to this process)."""

    def __init__(self, stream: TextIO, lost: list[bool]) -> None:
        self._stream = stream
        self._lost = lost  # shared by stdout and stderr: one hang-up for both

    def write(self, text: str) -> int:
        if not self._lost[0]:
            try:
                return self._stream.write(text)
            except OSError:  # EPIPE (a reader that went away), EIO (a terminal that closed)
                self._hang_up()
        return len(text)

    def flush(self) -> None:
        if not self._lost[0]:
            try:
                self._stream.flush()
            except OSError:
                self._hang_up()

    def _hang_up(self) -> None:
        if not self._lost[0]:
            self._lost[0] = True
            os.kill(os.getpid(), signal.SIGHUP)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding...: the stream's own
        return getattr(self._stream, name)


@contextmanager
def kept_output() -> Iterator[None]:
    """Standard output and error as :class:`KeptStream` for the block (restored after)."""
    lost = [False]
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = KeptStream(sys.stdout, lost), KeptStream(sys.stderr, lost)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
