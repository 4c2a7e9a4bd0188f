"""Tests for ruleward.engine.event_dicts: its validator accepts and rejects what `ModerationEvent` does."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from ruleward.engine import events as ev
from ruleward.engine.event_dicts import EVENT_DICT, MIRRORS, PARTS
from ruleward.engine.events import ModerationEvent
from ruleward.testing import events

VALID = events(ruleset="child_safety")  # built once: building it loads the ruleset
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "events").glob("*.json"))


def model_accepts(event: object) -> bool:
    try:
        ModerationEvent.model_validate(event)
    except ValidationError:
        return False
    return True


def dict_accepts(event: object) -> bool:
    try:
        EVENT_DICT.validate_python(event)
    except ValidationError:
        return False
    return True


def _structure(schema: object, names: dict[str, str]) -> object:
    """A JSON Schema without what only documents it, its definitions renamed as `names` says."""
    if isinstance(schema, list):
        return [_structure(item, names) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key == "$defs":
            out[key] = {names.get(name, name): _structure(part, names) for name, part in value.items()}
        elif key == "$ref":
            out[key] = "#/$defs/" + names.get(value.removeprefix("#/$defs/"), "?")
        elif key not in {"description", "title", "default", ev.SIGNAL_MARKER}:
            out[key] = _structure(value, names)
    return out


def test_the_typed_dicts_have_the_models_fields_types_and_constraints() -> None:
    names = {mirror.__name__: model for model, mirror in MIRRORS.items()}
    model = _structure(ModerationEvent.model_json_schema(), {model: model for model in MIRRORS})
    mirrored = _structure(EVENT_DICT.json_schema(), names)
    assert mirrored == model


def test_every_model_of_the_event_has_a_typed_dict() -> None:
    models = {"ModerationEvent", *ModerationEvent.model_json_schema()["$defs"]}
    assert set(MIRRORS) == models


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_example_events_are_accepted(path: Path) -> None:
    event = json.loads(path.read_text())
    assert dict_accepts(event) and model_accepts(event)


@settings(max_examples=300, deadline=None)
@given(VALID)
def test_valid_generated_events_are_accepted(event: dict[str, Any]) -> None:
    assert model_accepts(event)
    assert dict_accepts(event)


# ---- broken events: both validators must give the same verdict ---------------------------------------------


def _literals(annotation: object) -> list[object]:
    """The Literal values anywhere within a type annotation."""
    if getattr(annotation, "__origin__", None) is Literal:
        return list(get_args(annotation))
    return [value for arg in get_args(annotation) for value in _literals(arg)]


_MODELS: list[type[BaseModel]] = [getattr(ev, name) for name in MIRRORS]
_NUMBERS: list[object] = [-1, 0, 1, 0.0, 0.5, 1.0, 1.5, 2, 64, 100, 101, 119, 120, 121, 255, 256, 257]


def _values_for(key: str) -> list[object]:
    """Values near what a field named `key` takes: its literals, the numbers its bounds are made of."""
    found: list[object] = [None, "x", "US", *_NUMBERS]
    for model in _MODELS:
        info = model.model_fields.get(key)
        if info is not None:
            found.extend(_literals(info.annotation))
    return found + (_TIMES if key == "occurred_at" else [])


_TIMES = [
    "2026-01-01T00:00:00Z",
    "2026-01-01t00:00:00z",
    "2026-01-01T00:00:00.123456+05:30",
    "2026-01-01T00:00:00.1234567890Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00-00:00",
    "2026-01-01T00:00:00",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00Z",
    "2026-01-01T00:00:00Z\n",
    "１９７０-01-01T00:00:00Z",
    "1700000000",
]
_ODD_VALUES: list[object] = [
    None, True, False, 0, 1, -1, 2, 3.0, 0.5, -0.0, 1.5, 100, 100.5, 101, 120, 121, 128, 256, 257, 2**63,
    1e300, math.nan, math.inf, -math.inf,
    "", "x", "1", "US", "us", "USA", "ok", "a" * 128, "a" * 129, "0" * 64, "A" * 64, "0" * 63,
    [], {}, [None], ["US"], ["us"], [{}], [1], {"k": 1}, {"k": None}, {"k": [1]}, {"k": 1.5}, {"k": math.nan},
    datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1),
    *_TIMES, *(value for model in _MODELS for info in model.model_fields.values()
               for value in _literals(info.annotation)),
]  # fmt: skip


def _containers(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Paths to every dict and list within `value`, itself included."""
    found: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        found.append(path)
        for key, item in value.items():
            found.extend(_containers(item, (*path, key)))
    elif isinstance(value, list):
        found.append(path)
        for index, item in enumerate(value):
            found.extend(_containers(item, (*path, index)))
    return found


def _at(value: Any, path: tuple[object, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


_KEYS = st.sampled_from(
    sorted({name for model in MIRRORS.values() for name in model.__annotations__} | {"extra", "x_other"})
)


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with a few changes: values replaced or removed, keys added, lists grown or cut."""
    event: dict[str, Any] = json.loads(json.dumps(draw(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        container = _at(event, draw(st.sampled_from(_containers(event))))
        value = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))  # the list's own are shared
        if isinstance(container, dict):
            key = draw(st.sampled_from(sorted(container)) | _KEYS) if container else draw(_KEYS)
            if draw(st.booleans()):
                value = draw(st.sampled_from(_values_for(key)))
            if draw(st.booleans()) and key in container:
                del container[key]
            else:
                container[key] = value
        elif container and draw(st.booleans()):
            container[draw(st.integers(0, len(container) - 1))] = value
        elif container and draw(st.booleans()):
            container.pop()
        else:
            container.append(value)
    return event


@settings(max_examples=500, deadline=None)
@given(broken())
def test_broken_events_get_the_models_verdict(event: dict[str, Any]) -> None:
    assert dict_accepts(event) == model_accepts(event)


_PART_ADAPTERS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(part) for name, part in PARTS.items()}


def _accepts(validate: Callable[[Any], object], value: Any) -> bool:
    try:
        validate(value)
    except ValidationError:
        return False
    return True


_LISTED = {
    "hash_matches": "HashMatch",
    "classifiers": "ClassifierSignal",
    "age_estimates": "AgeEstimate",
    "reports": "Report",
    "watermarks": "Watermark",
}
_HELD = {"content": "Content", "actor": "Actor", "provenance": "Provenance"}


def _parts(value: dict[str, Any], name: str = "ModerationEvent") -> list[tuple[str, dict[str, Any]]]:
    """Each object of an event with the name of its model, the event first."""
    found = [(name, value)]
    for key, item in value.items():
        if key in _HELD and isinstance(item, dict):
            found.extend(_parts(item, _HELD[key]))
        elif key in _LISTED and isinstance(item, list):
            for element in item:
                found.extend(_parts(element, _LISTED[key]))
    return found


@settings(max_examples=400, deadline=None)
@given(VALID, st.data())
def test_each_part_gets_the_models_verdict(event: dict[str, Any], data: st.DataObject) -> None:
    """Each object of a valid event on its own, with a field or two changed or left out."""
    parts = _parts(json.loads(json.dumps(event)))
    name = data.draw(st.sampled_from(sorted({name for name, _ in parts})), label="model")
    part = data.draw(st.sampled_from([part for named, part in parts if named == name]), label="part")
    for _ in range(data.draw(st.integers(1, 2))):
        key = data.draw(st.sampled_from(sorted(getattr(ev, name).model_fields)), label="field")
        if data.draw(st.booleans(), label="leave out"):
            part.pop(key, None)
        else:
            part[key] = data.draw(st.sampled_from(_values_for(key)), label=key)
    model: type[BaseModel] = getattr(ev, name)
    assert _accepts(_PART_ADAPTERS[name].validate_python, part) == _accepts(model.model_validate, part)


_CLASSIFIER = {"provider": "internal", "model_version": "1", "label": "csam"}


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("ClassifierSignal", _CLASSIFIER),
        ("ClassifierSignal", {**_CLASSIFIER, "score": 0.5}),
        ("ClassifierSignal", {**_CLASSIFIER, "priority": "high"}),
        ("ClassifierSignal", {**_CLASSIFIER, "status": "failed", "score": 0.0}),
        ("ClassifierSignal", {**_CLASSIFIER, "status": "timeout", "score": None}),
        ("ClassifierSignal", {**_CLASSIFIER, "status": "ok", "score": None, "priority": None}),
        ("HashMatch", {"algorithm": "sha256", "bank": "b", "distance": 0}),
        ("HashMatch", {"algorithm": "sha256", "bank": "b", "distance": None}),
        ("HashMatch", {"algorithm": "pdq", "bank": "b", "distance": 31}),
        ("AgeEstimate", {"low": 14, "high": 13}),
        ("AgeEstimate", {"low": 13, "high": 13}),
    ],
)
def test_the_checks_beyond_types_agree(name: str, part: dict[str, Any]) -> None:
    model: type[BaseModel] = getattr(ev, name)
    assert _accepts(_PART_ADAPTERS[name].validate_python, part) == _accepts(model.model_validate, part)
