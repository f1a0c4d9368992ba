"""Run a function in a forked child beside this process, and collect its result later.

The child inherits everything in memory (the Design, the parsed facts) without copying, sends its
result back pickled through a pipe (a streaming child sends items before it, as it makes them) and
leaves with ``os._exit``: it skips tearing down the inherited heap, which costs more than the work
at 32k GPUs (a ``ProcessPoolExecutor`` worker exits normally and does tear it down).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, BinaryIO

AVAILABLE = hasattr(os, "fork")
ITEM, RESULT, ERROR = "item", "result", "error"  # what a message from a child holds
PIPE_SIZE = 1 << 20  # bytes a streaming child's pipe holds (Linux: /proc/sys/fs/pipe-max-size allows 1 MiB)


class ChildFailed(RuntimeError):
    """The forked child died before it sent a result."""


class Child:
    """``func(*args)`` running in a forked child; with ``streams``, ``func(*args, send)``, where each
    ``send(item)`` reaches the parent (:meth:`items`) while the child goes on."""

    def __init__(self, func: Callable[..., Any], *args: Any, streams: bool = False) -> None:
        self.name = func.__qualname__
        read, write = os.pipe()
        if streams and hasattr(fcntl, "F_SETPIPE_SZ"):  # items queue while the parent is busy, not the child
            with suppress(OSError):
                fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(read)
                _serve(write, func, args, streams)
            finally:
                os._exit(0)  # never return into the parent's code
        os.close(write)
        self._read: int | None = read
        self._input: BinaryIO | None = None
        self._final: tuple[str, Any] | None = None

    def _next(self) -> tuple[str, Any]:
        """The child's next message (unpickled as it arrives: never all its bytes at once)."""
        if self._input is None:
            assert self._read is not None, "result() called twice"
            self._input = os.fdopen(self._read, "rb")
        try:
            return pickle.load(self._input)  # type: ignore[no-any-return]
        except (EOFError, pickle.UnpicklingError):
            return ERROR, ChildFailed(f"{self.name}: the child process died without a result")

    def items(self) -> Iterator[Any]:
        """What a streaming child sends, as it sends it, up to its result."""
        while self._final is None:
            kind, value = self._next()
            if kind != ITEM:
                self._final = kind, value
                return
            yield value

    def result(self) -> Any:
        """Wait for the child and return its result, or raise what it raised (items not read are dropped)."""
        for _ in self.items():
            pass
        assert self._final is not None and self._input is not None
        kind, value = self._final
        self._input.close()
        self._input = self._read = None
        os.waitpid(self.pid, 0)
        if kind == ERROR:
            raise value
        return value

    def stop(self) -> None:
        """Abandon the child: kill it and reap it (nothing is read)."""
        if self._read is None:
            return
        if self._input is not None:
            self._input.close()
        else:
            os.close(self._read)
        self._input = self._read = None
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _serve(write: int, func: Callable[..., Any], args: tuple[Any, ...], streams: bool) -> None:
    with os.fdopen(write, "wb") as out:
        def send(item: Any) -> None:
            pickle.dump((ITEM, item), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()

        try:
            outcome: tuple[str, Any] = (RESULT, func(*args, send) if streams else func(*args))
        except BaseException as exc:  # sent to the parent, which raises it
            outcome = (ERROR, exc)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            data = pickle.dumps((ERROR, ChildFailed(f"{func.__qualname__}: {exc!r}")))
        out.write(data)


@contextmanager
def children(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]], streams: bool = False) -> Iterator[list[Child]]:
    """Start one child per ``(func, args)`` (each streaming with ``streams``, see :class:`Child`); any
    child not waited for when the block ends is stopped."""
    started: list[Child] = []
    try:
        for func, args in calls:
            started.append(Child(func, *args, streams=streams))
        yield started
    finally:
        for child in started:
            child.stop()
