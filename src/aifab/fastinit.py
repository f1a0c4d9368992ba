"""A faster ``__init__`` for frozen, slotted dataclasses built by the hundred thousand.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``: at 32k
GPUs the Design's 178k ports cost 0.5 s that way, five times what plain attribute stores cost.
:func:`fast_init` keeps the class as it is (frozen, hashable, compared by value) and only replaces
its ``__init__`` with one that lends the new object a mutable twin class of the same slot layout
(Python allows changing the class between identical layouts), stores the fields plainly and gives
the class back: 2.8 times faster, the same object.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

C = TypeVar("C", bound=type)


def fast_init(cls: C) -> C:
    """Give the frozen, slotted dataclass ``cls`` (a direct subclass of ``object``, fields with plain
    defaults, no ``__post_init__``) an equivalent, faster ``__init__``; the class can then not be
    subclassed (its ``__init__`` gives every object this class)."""
    params = fields(cls) if is_dataclass(cls) else ()
    plain = (cls.__bases__ == (object,) and "__slots__" in cls.__dict__ and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
             and not hasattr(cls, "__post_init__")
             and all(f.init and not f.kw_only and f.default_factory is MISSING for f in params))
    if not params or not plain:
        raise TypeError(f"fast_init: {cls.__name__} is not a frozen, slotted dataclass with plain fields")
    twin = type(f"_{cls.__name__}Twin", (object,), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    scope: dict[str, Any] = {"_set": object.__setattr__, "_twin": twin, "_cls": cls}
    args = []
    for f in params:
        if f.default is MISSING:
            args.append(f.name)
        else:
            scope[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
    body = "".join(f"    self.{f.name} = {f.name}\n" for f in params)
    source = (f"def __init__(self, {', '.join(args)}):\n"
              f"    _set(self, '__class__', _twin)\n{body}    self.__class__ = _cls\n")
    exec(source, scope)  # the source is built from the dataclass's own field names
    cls.__init__ = scope["__init__"]  # type: ignore[misc]
    cls.__init_subclass__ = classmethod(_final)  # type: ignore[assignment]
    return cls


def _final(sub: type, **kwargs: Any) -> None:
    raise TypeError(f"{sub.__name__}: its base has a fast_init constructor and cannot be subclassed")
