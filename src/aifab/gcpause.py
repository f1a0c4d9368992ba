"""Pause Python's cyclic garbage collector around work that builds millions of acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector for the block (restoring its state after): parsing configs or
    reading a 32k-GPU design.json allocates millions of small objects with no cycles, and the
    collections they trigger cost more than the work itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
