"""aifab.forked: real forked children on this machine (no doubles)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from aifab.forked import AVAILABLE, Child, ChildFailed, children

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="needs os.fork (Linux, macOS)")


def _raise(value: int) -> None:
    raise ValueError(f"bad value {value}")


def _die() -> None:
    os._exit(3)


def _unpicklable() -> object:
    return lambda: None


def test_child_computes_on_inherited_memory() -> None:
    data = list(range(200_000))  # inherited by the fork, never sent to the child
    assert Child(sum, data).result() == sum(data)


def test_child_raises_what_it_raised() -> None:
    with pytest.raises(ValueError, match="bad value 3"):
        Child(_raise, 3).result()


def test_child_that_dies_without_a_result_is_one_clear_error() -> None:
    with pytest.raises(ChildFailed, match="_die: the child process died without a result"):
        Child(_die).result()


def test_unpicklable_result_is_reported_not_hung() -> None:
    with pytest.raises(ChildFailed, match="_unpicklable"):
        Child(_unpicklable).result()


def test_children_not_waited_for_are_stopped_and_reaped() -> None:
    start = time.monotonic()
    with children([(time.sleep, (30,)), (time.sleep, (30,))]) as started:
        pids = [c.pid for c in started]
    assert time.monotonic() - start < 10
    for pid in pids:
        with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
            os.waitpid(pid, os.WNOHANG)


def test_children_stopped_when_the_parent_fails_midway() -> None:
    with pytest.raises(RuntimeError, match="parent failed"), children([(time.sleep, (30,))]) as (child,):
        pid = child.pid
        raise RuntimeError("parent failed")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _stream(n: int, fail_at: int | None, send: Callable[[Any], None]) -> int:
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"failed at {i}")
        send(list(range(i * 1000, (i + 1) * 1000)))  # 64 items of ~5 KB each: more than a default pipe holds
    return n


def _stream_and_die(send: Callable[[Any], None]) -> None:
    send("first")
    os._exit(5)


def test_streaming_child_sends_items_as_it_goes_then_its_result() -> None:
    with children([(_stream, (64, None))], streams=True) as (child,):
        got = list(child.items())
        assert got == [list(range(i * 1000, (i + 1) * 1000)) for i in range(64)]
        assert child.result() == 64


def test_streaming_child_that_raises_midway_gives_its_items_then_raises() -> None:
    with children([(_stream, (10, 3))], streams=True) as (child,):
        assert len(list(child.items())) == 3
        with pytest.raises(ValueError, match="failed at 3"):
            child.result()


def test_streaming_child_that_dies_midway_is_one_clear_error() -> None:
    with children([(_stream_and_die, ())], streams=True) as (child,):
        assert list(child.items()) == ["first"]
        with pytest.raises(ChildFailed, match="_stream_and_die: the child process died without a result"):
            child.result()


def test_result_of_a_streaming_child_drops_items_not_read() -> None:
    with children([(_stream, (5, None))], streams=True) as (child,):
        assert child.result() == 5
