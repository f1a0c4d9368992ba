"""A step over many devices that runs long says which devices it still waits on: a switch that
answers slowly, or not at all until its driver's timeout, never leaves the terminal silent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aifab.plan.changes import natural_sorted

HEARTBEAT_S = 15.0  # a step still running after this long names the devices it waits on, and again as often
SHOWN = 5  # devices named in one line


@contextmanager
def heartbeat(names: list[str], what: str, say: Callable[[str], None],
              interval_s: float = HEARTBEAT_S) -> Iterator[Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """For the block: every ``interval_s`` seconds, ``say`` which of ``names`` have not finished
    step ``what``. Yields the wrapper to put round the step's task (it notes each device done)."""
    done: set[str] = set()
    stop = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not stop.wait(interval_s):
            left = natural_sorted(set(names) - done)
            if left:
                more = f" and {len(left) - SHOWN} more" if len(left) > SHOWN else ""
                say(f"{what}: still waiting on {', '.join(left[:SHOWN])}{more} ({time.monotonic() - start:.0f}s; a "
                    "device that does not answer is given up at its driver's timeout)")

    def track(task: Callable[..., Any]) -> Callable[..., Any]:
        def tracked(t: Any, **params: Any) -> Any:
            try:
                return task(t, **params)
            finally:
                done.add(t.host.name)
        return tracked

    thread = threading.Thread(target=beat, name=f"aifab-heartbeat-{what}", daemon=True)
    thread.start()
    try:
        yield track
    finally:
        stop.set()
        thread.join()
