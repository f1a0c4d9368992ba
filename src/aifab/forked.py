"""Run a function in a forked child beside this process, and collect its result later.

The child inherits everything in memory (the Design, the parsed facts) without copying, sends its
result back pickled through a pipe and leaves with ``os._exit``: it skips tearing down the
inherited heap, which costs more than the work at 32k GPUs (a ``ProcessPoolExecutor`` worker
exits normally and does tear it down).
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

AVAILABLE = hasattr(os, "fork")


class ChildFailed(RuntimeError):
    """The forked child died before it sent a result."""


class Child:
    """``func(*args)`` running in a forked child."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        self.name = func.__qualname__
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(read)
                _serve(write, func, args)
            finally:
                os._exit(0)  # never return into the parent's code
        os.close(write)
        self._read: int | None = read

    def result(self) -> Any:
        """Wait for the child and return its result, or raise what it raised."""
        assert self._read is not None, "result() called twice"
        with os.fdopen(self._read, "rb") as inp:  # unpickled as it arrives: never all the bytes at once
            self._read = None
            try:
                ok, value = pickle.load(inp)
            except (EOFError, pickle.UnpicklingError):
                ok, value = False, ChildFailed(f"{self.name}: the child process died without a result")
        os.waitpid(self.pid, 0)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Abandon the child: kill it and reap it (nothing is read)."""
        if self._read is None:
            return
        os.close(self._read)
        self._read = None
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _serve(write: int, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        outcome: tuple[bool, Any] = (True, func(*args))
    except BaseException as exc:  # sent to the parent, which raises it
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception
        data = pickle.dumps((False, ChildFailed(f"{func.__qualname__}: {exc!r}")))
    with os.fdopen(write, "wb") as out:
        out.write(data)


@contextmanager
def children(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> Iterator[list[Child]]:
    """Start one child per ``(func, args)``; any child not waited for when the block ends is stopped."""
    started: list[Child] = []
    try:
        for func, args in calls:
            started.append(Child(func, *args))
        yield started
    finally:
        for child in started:
            child.stop()


def fan_out(func: Callable[..., R], args: tuple[Any, ...], items: Sequence[T], jobs: int) -> list[R]:
    """``func(*args, part)`` over ``jobs`` contiguous parts of ``items``: the first part in this process,
    each other in a forked child, all at once; the results in the order of the parts."""
    if jobs < 2 or not AVAILABLE or len(items) < 2:
        return [func(*args, items)]
    size = -(-len(items) // jobs)
    parts = [items[i:i + size] for i in range(0, len(items), size)]
    with children([(func, (*args, part)) for part in parts[1:]]) as others:
        first = func(*args, parts[0])
        return [first, *(child.result() for child in others)]
