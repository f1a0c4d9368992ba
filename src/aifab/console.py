"""The rich console of the commands that build, check and report: a reader that goes away early
(``aifab check BUILD | head``) silences it, and the command finishes and exits with its own code."""

from __future__ import annotations

import contextlib
import os

from rich.console import Console as RichConsole


class Console(RichConsole):
    """rich's Console, except on a broken pipe: rich ends the process there with exit 1, which says
    "a check fails" (or "unhealthy") of a check that passed. Here the output is dropped from then on
    (its file pointed at /dev/null) and the command goes on to its end and its own exit code."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        with contextlib.suppress(OSError, ValueError):  # a file without a descriptor cannot break
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.file.fileno())
            os.close(devnull)
