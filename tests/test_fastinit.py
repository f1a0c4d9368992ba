"""fast_init: the same objects as the dataclass's own ``__init__`` builds, faster."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass, field, replace

import pytest

from aifab.design.model import Port
from aifab.fastinit import fast_init


@dataclass(frozen=True, slots=True)
class Plain:
    name: str
    size: int
    note: str = "none"
    tags: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class Fast:
    name: str
    size: int
    note: str = "none"
    tags: tuple[str, ...] = ()


def test_same_fields_defaults_and_keywords_as_the_dataclass_init() -> None:
    for args, kwargs in [(("a", 1), {}), (("a", 1, "x"), {}), (("a",), {"size": 2, "tags": ("t",)})]:
        slow, fast = Plain(*args, **kwargs), Fast(*args, **kwargs)
        assert type(fast) is Fast
        assert [getattr(fast, f) for f in Plain.__slots__] == [getattr(slow, f) for f in Plain.__slots__]
    with pytest.raises(TypeError):
        Fast("a")  # a required field missing, as with the stock __init__


def test_still_frozen_hashable_comparable_picklable() -> None:
    a = Fast("a", 1)
    with pytest.raises(FrozenInstanceError):
        a.size = 2  # type: ignore[misc]
    assert a == Fast("a", 1) and a != Fast("a", 2) and hash(a) == hash(Fast("a", 1))
    assert pickle.loads(pickle.dumps(a)) == a
    assert replace(a, size=3) == Fast("a", 3, "none")
    assert repr(a) == "Fast(name='a', size=1, note='none', tags=())"


def test_design_port_uses_it() -> None:
    port = Port("Ethernet1/1", 1, 400, 9214, "uplink", "leaf_spine", 3.0, "10.0.0.1/31", "sp", "Ethernet2/1", "10.0.0.0", "d")
    assert type(port) is Port and port.fec == "" and port.buffer is None


def test_refuses_what_it_cannot_copy_and_subclasses() -> None:
    with pytest.raises(TypeError):
        fast_init(dataclass(slots=True)(type("Mutable", (), {"__annotations__": {"x": int}})))
    with pytest.raises(TypeError):
        fast_init(dataclass(frozen=True, slots=True)(type("Factory", (), {"__annotations__": {"x": list},
                                                                         "x": field(default_factory=list)})))
    with pytest.raises(TypeError):
        type("Sub", (Fast,), {})
