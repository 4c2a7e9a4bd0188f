"""Hypothesis strategies for moderation events, built from the event schema and biased by a ruleset.

`events()` draws valid events (decoded JSON, as a producer sends them) from any pydantic event model.
With `ruleset=`, every field a rule compares is drawn half the time from the ruleset's own values: each
threshold and the values just under and just over it, every member of a list and a non-member. Signals
are sometimes `null` or absent (not computed), sometimes `[]` (computed, nothing found); optional fields
are sometimes left out.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path as FilePath
from typing import Any, Final, TypeAlias

from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset
from ruleward.dsl.loader import LoadedRuleset
from ruleward.dsl.types import field_bounds
from ruleward.engine import events as ev
from ruleward.testing.boundaries import ELEMENT, Boundaries, Path, boundaries_of

Json: TypeAlias = Any
RulesetLike: TypeAlias = n.Ruleset | CheckedRuleset | LoadedRuleset | str | FilePath | None

MAX_LIST: Final = 3
_OMIT: Final = object()  # a field left out of the object

# the few cross-field rules of the default schema's validators, applied instead of filtering
Fixup: TypeAlias = Callable[[dict[str, Json]], dict[str, Json]]


def _fix_hash_match(value: dict[str, Json]) -> dict[str, Json]:
    if value.get("algorithm") in ev.EXACT_HASH_ALGORITHMS:
        value.pop("distance", None)
    return value


def _fix_classifier(value: dict[str, Json]) -> dict[str, Json]:
    if value.get("status", "ok") != "ok":
        value.pop("score", None)
    elif value.get("score") is None and value.get("priority") is None:
        value["score"] = 0.0
    return value


def _fix_age(value: dict[str, Json]) -> dict[str, Json]:
    low, high = value.get("low"), value.get("high")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        value["high"] = low  # rules read `low` more than `high`: keep the drawn `low`
    return value


FIXUPS: dict[type[BaseModel], Fixup] = {
    ev.HashMatch: _fix_hash_match,
    ev.ClassifierSignal: _fix_classifier,
    ev.AgeEstimate: _fix_age,
}


def ruleset_ast(ruleset: RulesetLike) -> n.Ruleset | None:
    """The AST of whatever names a ruleset: an AST, a checked or loaded ruleset, a path or a shipped name."""
    if ruleset is None or isinstance(ruleset, n.Ruleset):
        return ruleset
    if isinstance(ruleset, CheckedRuleset | LoadedRuleset):
        return ruleset.ruleset
    from ruleward.engine.ruleset import load_checked

    return load_checked(ruleset).ruleset


class EventStrategies:
    """Strategies for one event model, biased by one set of boundaries."""

    def __init__(
        self, schema: type[BaseModel], bounds: Boundaries, seeds: Sequence[dict[str, Json]] = ()
    ) -> None:
        self.schema = schema
        self.bounds = bounds
        self.seeds = [s for s in seeds if self._valid(s)]

    def event(self) -> st.SearchStrategy[dict[str, Json]]:
        fresh = self.model(self.schema, ())
        if not self.seeds:
            return fresh.filter(self._valid)
        return st.one_of(fresh, self.neighbour()).filter(self._valid)

    def neighbour(self) -> st.SearchStrategy[dict[str, Json]]:
        """A seed event (a test's event) with a few top-level fields drawn afresh or one list item changed.

        The tests' events sit where rules fire, and often where several do at once; random events rarely
        reach there, so their neighbourhood is where the boundaries between decisions are.
        """
        names = [name for name in self.schema.model_fields if self.bounds.relevant((name,))]
        if not names:
            return st.sampled_from(self.seeds)
        changes = st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Json]:
            event = copy.deepcopy(draw(st.sampled_from(self.seeds)))
            for name in draw(changes):
                current = event.get(name)
                if isinstance(current, list) and current and draw(st.booleans()):
                    item = draw(self.element(name))
                    index = draw(st.integers(0, len(current)))
                    event[name] = [*current[:index], item, *current[index + 1 :]]
                else:
                    value = draw(self._field_value(self.schema.model_fields[name], (name,), signal=False))
                    if value is _OMIT:
                        event.pop(name, None)
                    else:
                        event[name] = value
            return event

        return build()

    def field(self, name: str) -> st.SearchStrategy[Json]:
        """The strategy of one top-level field, `None` / absent included when the field allows it."""
        info = self.schema.model_fields[name]
        return self._field_value(info, (name,), signal=_is_signal(info)).map(
            lambda v: None if v is _OMIT else v
        )

    def element(self, name: str) -> st.SearchStrategy[Json]:
        """One element of a top-level list field (`hash_match()` of `hash_matches`)."""
        info = self.schema.model_fields[name]
        inner = _strip_optional(info.annotation)
        args = typing.get_args(inner)
        return self.annotation(args[0] if args else Any, (), (name, ELEMENT))

    def _valid(self, value: dict[str, Json]) -> bool:
        try:
            self.schema.model_validate(value)
        except ValidationError:
            return False
        return True

    # ---- models and fields -----------------------------------------------------------------------------

    def model(self, model: type[BaseModel], path: Path) -> st.SearchStrategy[dict[str, Json]]:
        parts: dict[str, st.SearchStrategy[Json]] = {}
        fixed: dict[str, Json] = {}  # fields nothing reads get a constant: every draw costs time
        for name, info in model.model_fields.items():
            where = (*path, name)
            if not self.bounds.relevant(where):
                if not info.is_required():
                    continue
                constant = _plain_constant(_strip_optional(info.annotation), tuple(info.metadata))
                if constant is not _NO_CONSTANT:
                    fixed[name] = constant
                    continue
            parts[name] = self._field_value(info, where, signal=_is_signal(info))
        fixup = FIXUPS.get(model)

        def build(values: dict[str, Json]) -> dict[str, Json]:
            out = {**fixed, **{k: v for k, v in values.items() if v is not _OMIT}}
            return fixup(out) if fixup is not None else out

        return st.fixed_dictionaries(parts).map(build)

    def _field_value(self, info: FieldInfo, path: Path, *, signal: bool) -> st.SearchStrategy[Json]:
        annotation = info.annotation
        optional = _admits_none(annotation)
        if not self.bounds.relevant(path):
            # nothing reads it: leave it out when allowed, else the plainest valid value (fewer draws)
            if not info.is_required():
                return st.just(_OMIT)
            return self.plainest(_strip_optional(annotation), tuple(info.metadata), path)
        value = self.annotation(_strip_optional(annotation), tuple(info.metadata), path)
        # the value comes first, so shrinking heads for a present field; a missing signal (null or left
        # out) is drawn about two times in seven, an absent optional field one time in two
        choices: list[st.SearchStrategy[Json]] = (
            [value, value, value, value, value] if signal else [value, value]
        )
        if optional:
            choices.append(st.just(None))
        if not info.is_required():
            choices.append(st.just(_OMIT))
        return st.one_of(*choices)

    def plainest(self, annotation: Any, metadata: tuple[Any, ...], path: Path) -> st.SearchStrategy[Json]:
        constant = _plain_constant(annotation, metadata)
        if constant is not _NO_CONSTANT:
            return st.just(constant)
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            return self.plainest(args[0], (*metadata, *args[1:]), path)
        if origin is typing.Literal:
            # one draw, and other fields' validity may hang on it (an exact hash algorithm has no distance)
            return st.sampled_from(typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation, path)
        return self.annotation(annotation, metadata, path)

    def annotation(self, annotation: Any, metadata: tuple[Any, ...], path: Path) -> st.SearchStrategy[Json]:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            inner, *extra = args
            return self.annotation(inner, (*metadata, *extra), path)
        if origin is typing.Union or origin is types.UnionType:
            present = [a for a in args if a is not type(None)]
            return st.one_of(*(self.annotation(a, metadata, path) for a in present))
        if origin is typing.Literal:
            return self._enum(list(args), path)
        if origin in (list, tuple, set, frozenset):
            item = args[0] if args else str
            # hypothesis leans to short lists; a list a rule walks should usually hold something
            items = st.lists(self.annotation(item, (), (*path, ELEMENT)), min_size=1, max_size=MAX_LIST)
            return st.one_of(items, items, st.just([]))
        if origin is dict:
            value_type = args[1] if len(args) == 2 else str
            keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
            return st.dictionaries(keys, self.annotation(value_type, (), (*path, "*")), max_size=2)
        if isinstance(annotation, type):
            return self._plain(annotation, metadata, path)
        return st.none()

    def _plain(self, cls: type, metadata: tuple[Any, ...], path: Path) -> st.SearchStrategy[Json]:
        if issubclass(cls, BaseModel):
            return self.model(cls, path)
        if issubclass(cls, bool):
            return st.booleans()
        if issubclass(cls, int):
            return self._number(metadata, path, integer=True)
        if issubclass(cls, float):
            return self._number(metadata, path, integer=False)
        if _is_timestamp(cls):
            return _timestamps()
        if issubclass(cls, str):
            return self._string(metadata, path)
        return st.none()

    # ---- scalars ---------------------------------------------------------------------------------------

    def _enum(self, values: list[Any], path: Path) -> st.SearchStrategy[Json]:
        picks = [v for v in self.bounds.at(path) if v in values]
        if picks and len(picks) < len(values):
            return st.one_of(st.sampled_from(picks), st.sampled_from(values))
        return st.sampled_from(values)

    def _number(self, metadata: tuple[Any, ...], path: Path, *, integer: bool) -> st.SearchStrategy[Json]:
        low, high = field_bounds(metadata)
        picks: list[int | float] = []
        for value in self.bounds.at(path):
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            candidates = [value] if not integer else sorted({math.floor(value), math.ceil(value)})
            for candidate in candidates:
                cast: int | float = int(candidate) if integer else float(candidate)
                if (low is None or cast >= low) and (high is None or cast <= high) and cast not in picks:
                    picks.append(cast)
        natural: st.SearchStrategy[Json]
        if integer:
            natural = st.integers(
                int(low) if low is not None else -1000, int(high) if high is not None else 1000
            )
        else:
            natural = st.floats(
                low if low is not None else -1000.0,
                high if high is not None else 1000.0,
                allow_nan=False,
                allow_infinity=False,
            )
        return st.one_of(st.sampled_from(picks), natural) if picks else natural

    def _string(self, metadata: tuple[Any, ...], path: Path) -> st.SearchStrategy[Json]:
        pattern = _pattern(metadata)
        if pattern is not None:
            return st.from_regex(pattern, fullmatch=True)
        min_length, max_length = _lengths(metadata)
        picks = [v for v in self.bounds.at(path) if isinstance(v, str)]
        natural = st.text(
            "abcdef0123456789", min_size=max(min_length, 1), max_size=min(max_length or 12, 12)
        ).map(lambda s: f"x{s}"[: max_length or None])
        if picks:
            # the ruleset names the values that matter here: one drawn string stands for all the others
            return st.sampled_from([*picks, "x_other"])
        return natural


# ---- public strategies --------------------------------------------------------------------------------


@cache
def _builder(schema: type[BaseModel], ruleset: n.Ruleset | None) -> EventStrategies:
    from ruleward.testing.cases import case_event

    seeds = [case_event(ruleset, test) for test in ruleset.tests] if ruleset is not None else []
    return EventStrategies(schema, boundaries_of(ruleset), seeds)


def strategies_for(ruleset: RulesetLike = None, schema: type[BaseModel] | None = None) -> EventStrategies:
    return _builder(schema or ev.ModerationEvent, ruleset_ast(ruleset))


def events(
    ruleset: RulesetLike = None, schema: type[BaseModel] | None = None
) -> st.SearchStrategy[dict[str, Json]]:
    """Valid events of `schema` (default `ModerationEvent`) as decoded JSON, biased by `ruleset`."""
    return strategies_for(ruleset, schema).event()


def hash_matches(ruleset: RulesetLike = None) -> st.SearchStrategy[list[dict[str, Json]] | None]:
    """The `hash_matches` signal: `None` (matching did not run), `[]` or some matches."""
    return strategies_for(ruleset).field("hash_matches")


def hash_match(ruleset: RulesetLike = None) -> st.SearchStrategy[dict[str, Json]]:
    return strategies_for(ruleset).element("hash_matches")


def classifiers(ruleset: RulesetLike = None) -> st.SearchStrategy[list[dict[str, Json]] | None]:
    """The `classifiers` signal: `None` (no classifier ran), `[]` or some signals."""
    return strategies_for(ruleset).field("classifiers")


def classifier(ruleset: RulesetLike = None) -> st.SearchStrategy[dict[str, Json]]:
    return strategies_for(ruleset).element("classifiers")


def provenance(ruleset: RulesetLike = None) -> st.SearchStrategy[dict[str, Json] | None]:
    """The `provenance` signal: `None` (not checked) or C2PA and watermark findings."""
    return strategies_for(ruleset).field("provenance")


def age_estimates(ruleset: RulesetLike = None) -> st.SearchStrategy[list[dict[str, Json]]]:
    return strategies_for(ruleset).field("age_estimates").map(lambda v: v or [])


def reports(ruleset: RulesetLike = None) -> st.SearchStrategy[list[dict[str, Json]]]:
    return strategies_for(ruleset).field("reports").map(lambda v: v or [])


def actors(ruleset: RulesetLike = None) -> st.SearchStrategy[dict[str, Json]]:
    return strategies_for(ruleset).field("actor")


def contents(ruleset: RulesetLike = None) -> st.SearchStrategy[dict[str, Json]]:
    return strategies_for(ruleset).field("content")


# ---- helpers ------------------------------------------------------------------------------------------


_NO_CONSTANT: Final = object()


def _plain_constant(annotation: Any, metadata: tuple[Any, ...]) -> Json:
    """The plainest valid value of a field nothing reads, or `_NO_CONSTANT` when it must be drawn."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        return _plain_constant(args[0], (*metadata, *args[1:]))
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if not isinstance(annotation, type) or issubclass(annotation, BaseModel) or origin is typing.Literal:
        return _NO_CONSTANT
    if _is_timestamp(annotation):
        return "2026-01-01T00:00:00Z"
    if issubclass(annotation, bool):
        return False
    if issubclass(annotation, int | float):
        low, _ = field_bounds(metadata)
        value = low if low is not None else 0
        return int(value) if issubclass(annotation, int) else float(value)
    if issubclass(annotation, str) and _pattern(metadata) is None:
        min_length, _ = _lengths(metadata)
        return "x" * max(min_length, 1)
    return _NO_CONSTANT


def _is_signal(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, Mapping) and extra.get(ev.SIGNAL_MARKER) is True


def _admits_none(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_none(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return type(None) in typing.get_args(annotation)
    return annotation is type(None)


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        present = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(present) == 1:
            return present[0]
        return typing.Union[tuple(present)]  # noqa: UP007 - built at run time from a tuple
    return annotation


def _pattern(metadata: tuple[Any, ...]) -> str | None:
    for item in metadata:
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _lengths(metadata: tuple[Any, ...]) -> tuple[int, int | None]:
    low, high = 0, None
    for item in metadata:
        value = getattr(item, "min_length", None)
        if isinstance(value, int):
            low = max(low, value)
        value = getattr(item, "max_length", None)
        if isinstance(value, int):
            high = value if high is None else min(high, value)
    return low, high


def _is_timestamp(cls: type) -> bool:
    return issubclass(cls, dt.datetime) or cls.__name__.endswith("Datetime")  # pydantic's AwareDatetime


def _timestamps() -> st.SearchStrategy[str]:
    return st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2030, 12, 31),
        timezones=st.just(dt.UTC),
    ).map(lambda d: d.replace(microsecond=0).isoformat().replace("+00:00", "Z"))
