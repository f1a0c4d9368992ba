"""View parts made once per policy object: a fabric's switches share their policies (one QoS policy
per platform, one buffer plan per kind of switch, one access and telemetry policy per Design), so
the parts of their views made from them are the same (tens of thousands of calls at 32k GPUs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
LIMIT = 1024  # parts kept per maker before it starts again (a process may render many Designs)


def per_object(make: Callable[..., T]) -> Callable[..., T]:
    """``make`` called once per tuple of arguments, each compared by identity (not value: no hashing of
    large policies, and never a stale hit: the arguments are kept with the part, so no id is reused
    while it is kept). An equal argument that is another object only costs one more call."""
    made: dict[tuple[int, ...], tuple[tuple[Any, ...], T]] = {}

    def part(*args: Any) -> T:
        key = tuple(map(id, args))
        hit = made.get(key)
        if hit is None:
            if len(made) >= LIMIT:
                made.clear()
            hit = made[key] = (args, make(*args))
        return hit[1]

    part.__doc__ = make.__doc__
    return part
