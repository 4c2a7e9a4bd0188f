"""The types rules are checked against: built from any pydantic model, plus the fixed `decision` type.

A host may pass its own event model, so nothing here knows `ModerationEvent`: `from_model` reads field
annotations, `Field(ge=..., le=...)` bounds and the `x-ruleward-signal` mark. The checker only needs to
know what a path holds (a number, a string or one of some values, true/false, a list, an object), whether
it can be absent, and whether it is a signal; anything it cannot read becomes `AnyType`, which checks
against everything rather than raising false alarms.

Only a top-level field of the event can be a signal: `from_model` reads the mark there and nowhere else,
and `nested_signals` lists the marks below the top level, which the engine refuses to load.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeAlias

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, ACTIONS, DISPOSITIONS, OBLIGATION_ORDER, PRIORITIES

SIGNAL_MARKER = "x-ruleward-signal"


@dataclass(frozen=True, slots=True)
class BoolType:
    pass


@dataclass(frozen=True, slots=True)
class NumberType:
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class StringType:
    """A string; with `values`, one of those (an enum). `ordered` enums list their values most severe
    first, and only they may be compared with `<` / `>=` (`decision.disposition >= "hold"`)."""

    values: tuple[str, ...] | None = None
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class TimestampType:
    pass


@dataclass(frozen=True, slots=True)
class ListType:
    element: Type


@dataclass(frozen=True, slots=True)
class MapType:
    """A mapping from string keys (any key) to values of one type, such as the event's `context`."""

    value: Type


@dataclass(frozen=True, slots=True)
class UnionType:
    options: tuple[Type, ...]


@dataclass(frozen=True, slots=True)
class AnyType:
    """A type the checker cannot read: accepted everywhere, so it never causes a diagnostic."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: Type
    # the value may be null or absent: `is missing` can be true
    optional: bool = False
    # null means "not computed or failed": reading through it is unknown, not absent
    signal: bool = False
    description: str = ""
    # what the field reads as when it is null or left out, as JSON (None: absent); never mutated
    default: object = field(default=None, compare=False)


@dataclass(eq=False)
class ObjectType:
    """An object with named fields. Compared by identity: models may refer to themselves."""

    name: str
    fields: dict[str, Field] = field(default_factory=dict)

    def get(self, name: str) -> Field | None:
        return self.fields.get(name)

    def __repr__(self) -> str:
        return f"ObjectType({self.name})"


Type: TypeAlias = (
    BoolType | NumberType | StringType | TimestampType | ListType | MapType | UnionType | AnyType | ObjectType
)

BOOL = BoolType()
NUMBER = NumberType()
INTEGER = NumberType(integer=True)
STRING = StringType()
ANY = AnyType()


# ---- describing types in messages ------------------------------------------------------------------------


def describe(t: Type) -> str:
    """How a message names a type: `a number`, `one of "a", "b"`, `a list of HashMatch`."""
    if isinstance(t, BoolType):
        return "true/false"
    if isinstance(t, NumberType):
        return "an integer" if t.integer else "a number"
    if isinstance(t, StringType):
        if t.values is None:
            return "a string"
        shown = ", ".join(f'"{v}"' for v in t.values[:6])
        more = ", ..." if len(t.values) > 6 else ""
        return f"one of {shown}{more}"
    if isinstance(t, TimestampType):
        return "a timestamp"
    if isinstance(t, ListType):
        return f"a list of {plural(t.element)}"
    if isinstance(t, MapType):
        return f"a map of {plural(t.value)}"
    if isinstance(t, UnionType):
        return " or ".join(describe(o) for o in t.options)
    if isinstance(t, ObjectType):
        return f"an object `{t.name}`"
    return "a value"


def plural(t: Type) -> str:
    if isinstance(t, ObjectType):
        return f"`{t.name}` objects"
    if isinstance(t, StringType):
        return "strings" if t.values is None else f"strings ({describe(t)})"
    if isinstance(t, NumberType):
        return "integers" if t.integer else "numbers"
    if isinstance(t, BoolType):
        return "true/false values"
    return describe(t)


# ---- relations between types ------------------------------------------------------------------------------


def options(t: Type) -> tuple[Type, ...]:
    return t.options if isinstance(t, UnionType) else (t,)


def is_any(t: Type) -> bool:
    return isinstance(t, AnyType)


def is_bool(t: Type) -> bool:
    return any(isinstance(o, BoolType | AnyType) for o in options(t))


def is_number(t: Type) -> bool:
    return any(isinstance(o, NumberType | AnyType) for o in options(t))


def is_list(t: Type) -> bool:
    return any(isinstance(o, ListType | AnyType) for o in options(t))


def is_string(t: Type) -> bool:
    return any(isinstance(o, StringType | AnyType) for o in options(t))


def element(t: Type) -> Type:
    """The element type of a list (`ANY` when `t` is not a list the checker can read)."""
    for o in options(t):
        if isinstance(o, ListType):
            return o.element
    return ANY


def comparable(a: Type, b: Type) -> bool:
    """Whether `==` between values of these types can ever be true (enum values are checked apart)."""
    for x in options(a):
        for y in options(b):
            if isinstance(x, AnyType) or isinstance(y, AnyType):
                return True
            if isinstance(x, NumberType) and isinstance(y, NumberType):
                return True
            if isinstance(x, StringType) and isinstance(y, StringType):
                return True
            if type(x) is type(y) and isinstance(x, BoolType | TimestampType):
                return True
    return False


def literal_type(value: bool | int | float | str) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    return STRING


def join(ts: Sequence[Type]) -> Type:
    """One type for the items of a list literal: their common kind, or a union when they differ."""
    distinct: list[Type] = []
    for t in ts:
        if isinstance(t, NumberType) and any(isinstance(d, NumberType) for d in distinct):
            if not t.integer:
                distinct = [NUMBER if isinstance(d, NumberType) else d for d in distinct]
            continue
        if t not in distinct:
            distinct.append(t)
    if not distinct:
        return ANY
    return distinct[0] if len(distinct) == 1 else UnionType(tuple(distinct))


# ---- building types from pydantic models ------------------------------------------------------------------


@cache
def from_model(model: type[BaseModel]) -> ObjectType:
    """The object type of a pydantic model, its nested models included (cycles are fine)."""
    return _Builder(model).model(model)


class _Builder:
    def __init__(self, root: type[BaseModel]) -> None:
        self.root = root
        self.seen: dict[type[BaseModel], ObjectType] = {}

    def model(self, model: type[BaseModel]) -> ObjectType:
        existing = self.seen.get(model)
        if existing is not None:
            return existing
        out = ObjectType(model.__name__)
        self.seen[model] = out
        for name, info in model.model_fields.items():
            out.fields[name] = self.field(name, info, top=model is self.root)
        return out

    def field(self, name: str, info: FieldInfo, *, top: bool) -> Field:
        t, optional = self.annotation(info.annotation, tuple(info.metadata))
        signal = top and is_signal(info)
        return Field(
            name,
            t,
            optional=optional,
            signal=signal,
            description=info.description or "",
            default=None if signal else json_default(info),
        )

    def annotation(self, annotation: Any, metadata: tuple[Any, ...] = ()) -> tuple[Type, bool]:
        """The type of an annotation and whether it admits `None`."""
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            inner, *extra = args
            return self.annotation(inner, (*metadata, *extra))
        if origin is typing.Union or origin is types.UnionType:
            present = [a for a in args if a is not type(None)]
            built = [self.annotation(a, metadata) for a in present]
            optional = len(present) < len(args) or any(o for _, o in built)
            merged: list[Type] = []
            for t, _ in built:
                for o in options(t):
                    if o not in merged:
                        merged.append(o)
            if not merged:
                return ANY, True
            return (merged[0] if len(merged) == 1 else UnionType(tuple(merged))), optional
        if annotation is type(None):
            return ANY, True
        if origin is typing.Literal:
            return _literal(args), False
        if origin in (list, tuple, set, frozenset) or (_is_abc(origin, Sequence) and origin is not str):
            item = args[0] if args else Any
            return ListType(self.annotation(item)[0]), False
        if origin is dict or _is_abc(origin, Mapping):
            value = args[1] if len(args) == 2 else Any
            return MapType(self.annotation(value)[0]), False
        if isinstance(annotation, type):
            return self.plain(annotation, metadata), False
        return ANY, False

    def plain(self, cls: type, metadata: tuple[Any, ...]) -> Type:
        if issubclass(cls, BaseModel):
            return self.model(cls)
        if issubclass(cls, bool):
            return BOOL
        if issubclass(cls, enum.Enum):
            values = tuple(str(m.value) for m in cls)
            return StringType(values) if all(isinstance(m.value, str) for m in cls) else ANY
        if issubclass(cls, int | float):
            low, high = field_bounds(metadata)
            return NumberType(integer=issubclass(cls, int), minimum=low, maximum=high)
        if issubclass(cls, str):
            return STRING
        if issubclass(cls, dt.date | dt.datetime) or cls.__name__.endswith("Datetime"):
            return TimestampType()
        if cls in (list, tuple, set, frozenset):
            return ListType(ANY)
        if cls is dict:
            return MapType(ANY)
        return ANY


def _is_abc(origin: Any, abc: type) -> bool:
    return isinstance(origin, type) and issubclass(origin, abc)


def is_signal(info: FieldInfo) -> bool:
    """Whether a field carries the `x-ruleward-signal` mark."""
    extra = info.json_schema_extra
    # a callable json_schema_extra rewrites the schema at generation time; it cannot be read as a mark
    return isinstance(extra, dict) and extra.get(SIGNAL_MARKER) is True


def json_default(info: FieldInfo) -> object:
    """What a left-out field reads as, as JSON: its default when that is a scalar, `[]` or `{}`, else None.

    A model or a non-empty default is read as absent rather than guessed at; so is a factory that needs
    the validated data.
    """
    try:
        value = info.get_default(call_default_factory=True)
    except Exception:
        return None
    if value is PydanticUndefined:
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple) and not value:
        return []
    if isinstance(value, dict) and not value:
        return {}
    return None


@dataclass(frozen=True, slots=True)
class NestedSignal:
    """A signal mark below the top level of the event: `path` from the event, `owner.name` in the models."""

    path: str
    owner: str
    name: str


def nested_signals(model: type[BaseModel]) -> tuple[NestedSignal, ...]:
    """The fields below the top level of `model` marked as signals, each model once (shortest path first).

    A signal's null means "not computed": it makes every path through it unknown, and a rule reading it
    fail closed. That is decided where the event's fields are read, at the top level only; a mark deeper
    down would be read as an ordinary absent value by some evaluators and as unknown by others.
    """
    found: list[NestedSignal] = []
    seen: set[type[BaseModel]] = set()
    queue: deque[tuple[type[BaseModel], str]] = deque(
        (inner, f"{name}{suffix}")
        for name, info in model.model_fields.items()
        for inner, suffix in _models_in(info.annotation)
    )
    while queue:
        current, path = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        for name, info in current.model_fields.items():
            where = f"{path}.{name}"
            if is_signal(info):
                found.append(NestedSignal(where, current.__name__, name))
            queue.extend((inner, f"{where}{suffix}") for inner, suffix in _models_in(info.annotation))
    return tuple(found)


def _models_in(annotation: Any, suffix: str = "") -> Iterator[tuple[type[BaseModel], str]]:
    """The models an annotation holds, each with how a path reaches it (`[]`: an element of a list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, suffix
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _models_in(args[0], suffix)
    elif origin is typing.Union or origin is types.UnionType:
        for option in args:
            yield from _models_in(option, suffix)
    elif origin is dict or _is_abc(origin, Mapping):
        if len(args) == 2:
            yield from _models_in(args[1], f"{suffix}[]")
    elif origin is not None and origin is not typing.Literal:
        for arg in args:
            if arg is not Ellipsis:
                yield from _models_in(arg, f"{suffix}[]")


def _literal(values: tuple[Any, ...]) -> Type:
    if all(isinstance(v, str) for v in values):
        return StringType(tuple(values))
    if all(isinstance(v, bool) for v in values):
        return BOOL
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return NumberType(integer=all(isinstance(v, int) for v in values))
    return ANY


def field_bounds(metadata: tuple[Any, ...]) -> tuple[float | None, float | None]:
    """The numeric bounds (`ge`/`gt`, `le`/`lt`) of a pydantic field's metadata, the tightest of each."""
    low: float | None = None
    high: float | None = None
    for item in metadata:
        for name in ("ge", "gt"):
            value = getattr(item, name, None)
            if isinstance(value, int | float):
                low = float(value) if low is None else max(low, float(value))
        for name in ("le", "lt"):
            value = getattr(item, name, None)
            if isinstance(value, int | float):
                high = float(value) if high is None else min(high, float(value))
    return low, high


# ---- the decision, as an invariant's `always` sees it -----------------------------------------------------


def decision_type(rule_names: Collection[str] = ()) -> ObjectType:
    """The fixed type of `decision`; with the ruleset's rule names, `rule` fields are enums of them."""
    rule_name: StringType = StringType(tuple(sorted(rule_names))) if rule_names else STRING
    action = ObjectType("Action")
    obligation = ObjectType("Obligation")
    for target, kinds in ((action, tuple(ACTIONS)), (obligation, OBLIGATION_ORDER)):
        target.fields["kind"] = Field("kind", StringType(kinds), description="the action's name")
        for name, t in (
            ("days", INTEGER),
            ("to", STRING),
            ("queue", STRING),
            ("priority", StringType(PRIORITIES)),
            ("sla", INTEGER),
            ("name", STRING),
            ("hours", INTEGER),
        ):
            target.fields[name] = Field(name, t, optional=True)
    matched = ObjectType("MatchedRule")
    matched.fields.update(
        {
            "rule": Field("rule", rule_name),
            "tier": Field("tier", STRING, optional=True),
            "cite": Field("cite", STRING, optional=True),
            "actions": Field("actions", ListType(action)),
        }
    )
    error = ObjectType("RuleError")
    error.fields.update({"rule": Field("rule", rule_name), "message": Field("message", STRING)})
    decision = ObjectType("Decision")
    decision.fields.update(
        {
            "disposition": Field(
                "disposition", StringType(DISPOSITIONS, ordered=True), description="most severe first"
            ),
            "account_action": Field(
                "account_action", StringType(ACCOUNT_ACTIONS, ordered=True), description="most severe first"
            ),
            "obligations": Field("obligations", ListType(obligation)),
            "matched": Field("matched", ListType(matched)),
            "shadow": Field("shadow", ListType(rule_name)),
            "errors": Field("errors", ListType(error)),
        }
    )
    return decision
