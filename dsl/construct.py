"""Fast positional constructors for the frozen, slotted dataclasses of the AST and of spans.

A frozen dataclass's `__init__` sets each field through `object.__setattr__` (its own `__setattr__`
refuses), which costs a lookup by name per field: a span took about 2.4 µs to build, and a 1000-rule
ruleset has ~30,000 spans and ~20,000 nodes. The parser builds through `constructor(cls)` instead.

It fills an object of a *twin* class: one over the same bases with the same slots in the same order, but
whose attributes may be set, so that each field is a plain attribute store, the interpreter's fastest kind
(about twice as fast as calling each slot's descriptor, the way before). The filled object then becomes a
`cls` by assigning its `__class__`, which Python allows only when the two layouts are the same (checked
when the constructor is made). The object is the same as `cls(...)` would make (same class, same field
values, still frozen); only the way in is faster.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def constructor(cls: type[T]) -> Callable[..., T]:
    """`cls`'s fields as positional arguments: first those `__init__` takes by position, then the
    keyword-only ones (`span`, `name_span`), each group in declaration order. Every field is required."""
    if not dataclasses.is_dataclass(cls) or not hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which a constructor would skip")
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__} has a field that __init__ does not take")
    names = [f.name for f in fields if not f.kw_only] + [f.name for f in fields if f.kw_only]
    if any(name.startswith("_") for name in names):
        raise TypeError(f"{cls.__name__} has a private field")  # the names below start with `_`
    for name in names:
        if not isinstance(getattr(cls, name), types.MemberDescriptorType):
            raise TypeError(f"{cls.__name__}.{name} is not a slot")
    twin = _twin(cls)
    probe: object = object.__new__(twin)
    probe.__class__ = cls  # raises TypeError now, rather than on first use, if the layouts differ
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_twin": twin}
    # generated like dataclasses' own __init__: one straight-line function, no loop per call
    body = "".join(f"    _obj.{name} = {name}\n" for name in names)
    head = f"def make({', '.join(names)}):\n    _obj = _new(_twin)\n"
    source = f"{head}{body}    _obj.__class__ = _cls\n    return _obj\n"
    exec(source, namespace)
    make: Callable[..., T] = namespace["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make


def _twin(cls: type) -> type:
    """A class over `cls`'s own bases with `cls`'s own slots, whose attributes may be set."""
    slots = cls.__dict__.get("__slots__", ())
    if isinstance(slots, str):
        raise TypeError(f"{cls.__name__} does not declare its slots as a sequence of names")
    # `object`'s own `__setattr__` and `__delattr__` (they share one type slot), not the frozen ones of a
    # base: only then are stores plain, specialised ones
    namespace = {
        "__slots__": tuple(slots),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    return type(f"_Twin{cls.__name__}", cls.__bases__, namespace)


__all__ = ["constructor"]
