"""Pause Python's cyclic garbage collector around work that builds millions of acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from aifab.keepalive import exiting


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector for the block (restoring its state after): parsing configs or
    reading a 32k-GPU design.json allocates millions of small objects with no cycles, and the
    collections they trigger cost more than the work itself. In a process that will end with
    ``os._exit`` (:mod:`aifab.keepalive`) every object is then frozen: the first collection after
    the block would otherwise scan them all (0.3 s at 32k GPUs) for nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if exiting():  # the objects made in the block live until exit: never scan them again
                gc.freeze()
            gc.enable()
