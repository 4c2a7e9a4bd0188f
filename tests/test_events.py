"""Tests for ruleward.engine.events: the moderation event contract, schema version 1."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from ruleward.engine.events import (
    SIGNAL_FIELDS,
    SIGNAL_MARKER,
    AgeEstimate,
    ClassifierSignal,
    ModerationEvent,
    Provenance,
    event_json_schema,
    signal_fields,
    validate_event,
)

_PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The project's own copy wins; the shared one is the fallback for a checkout made before the copy existed.
_EXAMPLE_DIRS = (
    _PROJECT_ROOT / "examples" / "events",
    _PROJECT_ROOT.parent / "shared" / "examples" / "events",
)

# Seeded, so a failure reproduces; synthetic, so no real identifier or hash appears in the tests.
_rng = random.Random(0x5EED)


def _hex(n_chars: int) -> str:
    return f"{_rng.getrandbits(4 * n_chars):0{n_chars}x}"


def _example_files() -> list[Path]:
    for directory in _EXAMPLE_DIRS:
        files = sorted(directory.glob("*.json"))
        if files:
            return files
    return []


def _example_params() -> list[Any]:
    files = _example_files()
    if not files:
        searched = ", ".join(str(d) for d in _EXAMPLE_DIRS)
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no example events found in {searched}"))]
    return [pytest.param(path, id=path.name) for path in files]


def _event() -> dict[str, Any]:
    """A valid event with every optional part present, so each mutation below hits a real field."""
    return {
        "event_id": f"ev-{_hex(12)}",
        "schema_version": "1",
        "occurred_at": "2026-11-20T10:15:00Z",
        "surface": "upload",
        "jurisdictions": ["US", "DE"],
        "content": {
            "id": f"c-{_hex(12)}",
            "media_type": "video",
            "mime": "video/mp4",
            "sha256": _hex(64),
            "width": 640,
            "height": 480,
            "duration_s": 12.5,
        },
        "actor": {
            "id": f"u-{_hex(12)}",
            "account_age_days": 30,
            "age_band": "adult",
            "active_strikes": 1,
            "prior_confirmed_csam": False,
            "country": "US",
        },
        "hash_matches": [
            {
                "algorithm": "vpdq",
                "bank": "internal_suspect",
                "entry_id": f"syn-{_hex(12)}",
                "distance": 20,
                "quality": 80,
                "frame_match_pct": 55.0,
                "classification": "B1",
                "entry_deleted": False,
            }
        ],
        "classifiers": [
            {"provider": "internal", "model_version": "v1", "label": "nudity", "score": 0.2, "status": "ok"},
            {"provider": "internal", "model_version": "v1", "label": "csam", "priority": "low"},
        ],
        "age_estimates": [{"low": 25, "high": 35}],
        "provenance": {
            "c2pa_present": True,
            "validation_state": "valid",
            "failure_codes": [],
            "digital_source_types": ["digitalCapture"],
            "watermarks": [{"scheme": "synthid", "result": "not_detected"}],
        },
        "reports": [{"source": "user", "reason": "other", "imminent_harm": False, "takedown_valid": False}],
        "context": {"app": "web", "region_shard": 3, "ratio": 0.5, "beta": True},
    }


def _set(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(event: dict[str, Any]) -> None:
        target: Any = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _errors(data: object) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        validate_event(data)
    return list(caught.value.errors())


# ---- the examples -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _example_params())
def test_example_event_validates(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    event = validate_event(data)
    assert isinstance(event, ModerationEvent)
    # What went in comes back out: nothing dropped, nothing invented beyond the documented defaults.
    dumped = event.model_dump(mode="json", exclude_unset=True)
    assert set(dumped) == set(data)


def test_base_event_is_valid() -> None:
    event = validate_event(_event())
    assert event.occurred_at == datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


# ---- null versus [] ---------------------------------------------------------------------------------------


def test_null_and_empty_signals_stay_distinct() -> None:
    data = _event()
    data["hash_matches"] = None
    data["classifiers"] = []
    data["provenance"] = None
    event = validate_event(data)
    assert event.hash_matches is None
    assert event.classifiers == []
    assert event.provenance is None
    dumped = json.loads(event.model_dump_json())
    assert dumped["hash_matches"] is None
    assert dumped["classifiers"] == []
    assert dumped["provenance"] is None
    assert validate_event(dumped) == event


def test_absent_signal_means_not_computed() -> None:
    data = _event()
    for name in ("hash_matches", "classifiers", "provenance"):
        del data[name]
    event = validate_event(data)
    assert event.hash_matches is None
    assert event.classifiers is None
    assert event.provenance is None


def test_defaults() -> None:
    data = _event()
    for name in ("age_estimates", "reports", "context"):
        del data[name]
    data["actor"] = {"id": f"u-{_hex(12)}", "account_age_days": 0}
    data["hash_matches"] = [{"algorithm": "sha256", "bank": "ncmec_industry"}]
    data["classifiers"] = [{"provider": "internal", "model_version": "v1", "label": "csam", "score": 0.5}]
    data["provenance"] = {"c2pa_present": False, "validation_state": "absent"}
    data["reports"] = [{"source": "user", "reason": "other"}]
    event = validate_event(data)
    assert event.age_estimates == []
    assert event.context == {}
    assert event.actor.age_band == "unknown"
    assert event.actor.active_strikes == 0
    assert event.actor.prior_confirmed_csam is False
    assert event.actor.country is None
    assert event.hash_matches is not None and event.hash_matches[0].entry_deleted is False
    assert event.hash_matches[0].distance is None
    assert event.classifiers is not None and event.classifiers[0].status == "ok"
    assert event.provenance is not None and event.provenance.watermarks == []
    assert event.reports[0].imminent_harm is False
    assert event.reports[0].takedown_valid is False


def test_optional_non_signal_null_reads_as_default() -> None:
    data = _event()
    data["age_estimates"] = None
    data["reports"] = None
    data["context"] = None
    event = validate_event(data)
    assert event.age_estimates == []
    assert event.reports == []
    assert event.context == {}


# ---- unknown fields ---------------------------------------------------------------------------------------


def test_unknown_top_level_field_rejected() -> None:
    data = _event()
    data["risk_score"] = 0.9
    errors = _errors(data)
    assert [(e["loc"], e["type"]) for e in errors] == [(("risk_score",), "extra_forbidden")]


@pytest.mark.parametrize(
    "path",
    [
        ("content",),
        ("actor",),
        ("hash_matches", 0),
        ("classifiers", 0),
        ("age_estimates", 0),
        ("provenance",),
        ("provenance", "watermarks", 0),
        ("reports", 0),
    ],
)
def test_unknown_nested_field_rejected(path: tuple[str | int, ...]) -> None:
    data = _event()
    _set((*path, "surprise"), "x")(data)
    errors = _errors(data)
    assert [(e["loc"], e["type"]) for e in errors] == [((*path, "surprise"), "extra_forbidden")]


def test_unknown_context_key_accepted() -> None:
    data = _event()
    key = f"host_{_hex(8)}"
    data["context"][key] = "anything"
    assert validate_event(data).context[key] == "anything"


def test_context_keeps_value_types() -> None:
    context = validate_event(_event()).context
    assert type(context["app"]) is str
    assert type(context["region_shard"]) is int
    assert type(context["ratio"]) is float
    assert type(context["beta"]) is bool


# ---- constraints: each rejects a bad value, and the error names the field ---------------------------------

_BAD_VALUES: list[tuple[tuple[str | int, ...], object]] = [
    (("event_id",), ""),
    (("event_id",), "e" * 129),
    (("schema_version",), "2"),
    (("schema_version",), 1),
    (("occurred_at",), "2026-11-20T10:15:00"),  # no offset
    (("occurred_at",), "2026-11-20"),
    (("occurred_at",), 1795170900),  # unix time is not RFC 3339
    (("occurred_at",), "1795170900"),
    (("surface",), "email"),
    (("jurisdictions", 1), "de"),
    (("jurisdictions", 1), "DEU"),
    (("content", "media_type"), "pdf"),
    (("content", "sha256"), _hex(64).upper()),
    (("content", "sha256"), _hex(63)),
    (("content", "sha256"), _hex(64) + "\n"),
    (("content", "width"), -1),
    (("content", "height"), "480"),
    (("content", "duration_s"), -0.5),
    (("content", "duration_s"), float("inf")),
    (("actor", "account_age_days"), -1),
    (("actor", "account_age_days"), True),
    (("actor", "age_band"), "teen"),
    (("actor", "active_strikes"), -1),
    (("actor", "prior_confirmed_csam"), "false"),
    (("actor", "country"), "usa"),
    (("hash_matches", 0, "algorithm"), "crc32"),
    (("hash_matches", 0, "distance"), 257),
    (("hash_matches", 0, "distance"), -1),
    (("hash_matches", 0, "quality"), 101),
    (("hash_matches", 0, "quality"), -1),
    (("hash_matches", 0, "frame_match_pct"), 100.5),
    (("hash_matches", 0, "frame_match_pct"), -0.1),
    (("hash_matches", 0, "classification"), "C"),
    (("hash_matches", 0, "entry_deleted"), 0),
    (("classifiers", 0, "score"), 1.01),
    (("classifiers", 0, "score"), -0.01),
    (("classifiers", 0, "score"), float("nan")),
    (("classifiers", 1, "priority"), "urgent"),
    (("classifiers", 0, "status"), "crashed"),
    (("age_estimates", 0, "low"), -1),
    (("age_estimates", 0, "high"), 121),
    (("provenance", "validation_state"), "unknown"),
    (("provenance", "c2pa_present"), None),
    (("provenance", "watermarks", 0, "result"), "maybe"),
    (("reports", 0, "source"), "email"),
    (("reports", 0, "takedown_valid"), "yes"),
    (("context", "nested"), {"a": 1}),
    (("context", "items"), [1, 2]),
]


@pytest.mark.parametrize(
    ("path", "bad"), _BAD_VALUES, ids=[f"{'.'.join(map(str, p))}={v!r}" for p, v in _BAD_VALUES]
)
def test_bad_value_rejected_at_its_field(path: tuple[str | int, ...], bad: object) -> None:
    data = _event()
    _set(path, bad)(data)
    errors = _errors(data)
    # Every error sits under the field: the rest of the event is valid, and the loc points at the culprit.
    # A union (the context values) adds the member tried after the field, hence a prefix check.
    assert errors
    for error in errors:
        assert error["loc"][: len(path)] == path, error


@pytest.mark.parametrize("name", ["event_id", "schema_version", "occurred_at", "surface", "content", "actor"])
def test_required_top_level_field(name: str) -> None:
    data = _event()
    del data[name]
    assert [(e["loc"], e["type"]) for e in _errors(data)] == [((name,), "missing")]


def test_jurisdictions_required_but_may_be_empty() -> None:
    data = _event()
    data["jurisdictions"] = []
    assert validate_event(data).jurisdictions == []
    del data["jurisdictions"]
    assert [e["loc"] for e in _errors(data)] == [("jurisdictions",)]


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-20T10:15:00Z",
        "2026-11-20t10:15:00z",
        "2026-11-20T10:15:00.123456+09:00",
        "2026-11-20T10:15:00-00:00",
    ],
)
def test_rfc3339_timestamps_accepted(stamp: str) -> None:
    data = _event()
    data["occurred_at"] = stamp
    assert validate_event(data).occurred_at.tzinfo is not None


def test_python_datetime_must_be_aware() -> None:
    data = _event()
    data["occurred_at"] = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    assert validate_event(data).occurred_at == data["occurred_at"]
    data["occurred_at"] = datetime(2026, 11, 20, 10, 15)
    assert [e["loc"] for e in _errors(data)] == [("occurred_at",)]


# ---- cross-field rules ------------------------------------------------------------------------------------


def test_age_estimate_low_not_above_high() -> None:
    assert AgeEstimate(low=16, high=16).low == 16
    data = _event()
    data["age_estimates"] = [{"low": 20, "high": 30}, {"low": 17, "high": 12}]
    errors = _errors(data)
    assert [e["loc"] for e in errors] == [("age_estimates", 1)]
    assert "low" in errors[0]["msg"] and "high" in errors[0]["msg"]


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
def test_exact_algorithm_has_no_distance(algorithm: str) -> None:
    data = _event()
    data["hash_matches"] = [{"algorithm": algorithm, "bank": "iwf", "distance": 0}]
    assert [e["loc"] for e in _errors(data)] == [("hash_matches", 0)]
    data["hash_matches"] = [{"algorithm": algorithm, "bank": "iwf"}]
    validate_event(data)


@pytest.mark.parametrize("status", ["failed", "timeout", "skipped"])
def test_classifier_not_ok_has_null_score(status: str) -> None:
    signal = {"provider": "internal", "model_version": "v1", "label": "csam", "status": status}
    assert ClassifierSignal.model_validate(signal).score is None
    with pytest.raises(ValidationError):
        ClassifierSignal.model_validate({**signal, "score": 0.0})


def test_classifier_ok_needs_score_or_priority() -> None:
    signal: dict[str, object] = {"provider": "thorn", "model_version": "v1", "label": "csam"}
    with pytest.raises(ValidationError):
        ClassifierSignal.model_validate(signal)
    assert ClassifierSignal.model_validate({**signal, "priority": "high"}).score is None
    assert ClassifierSignal.model_validate({**signal, "score": 0.0}).score == 0.0


def test_models_are_frozen() -> None:
    event = validate_event(_event())
    with pytest.raises(ValidationError):
        event.event_id = "other"
    with pytest.raises(ValidationError):
        event.actor.active_strikes = 0


def test_validation_does_not_mutate_input() -> None:
    data = _event()
    before = copy.deepcopy(data)
    validate_event(data)
    assert data == before


# ---- signal marks -----------------------------------------------------------------------------------------


def test_signal_fields_constant() -> None:
    assert SIGNAL_FIELDS == {"hash_matches", "classifiers", "provenance"}
    assert signal_fields(ModerationEvent) == SIGNAL_FIELDS


def test_signal_fields_of_a_host_model() -> None:
    class HostEvent(BaseModel):
        ocr_hits: list[str] | None = Field(default=None, json_schema_extra={SIGNAL_MARKER: True})
        tenant: str = Field(default="t", json_schema_extra={"x-other": True})
        plain: int = 0

    assert signal_fields(HostEvent) == {"ocr_hits"}
    assert signal_fields(Provenance) == frozenset()


def test_json_schema_marks_signals_and_describes_fields() -> None:
    schema = event_json_schema()
    properties: Any = schema["properties"]
    marked = {name for name, prop in properties.items() if prop.get(SIGNAL_MARKER) is True}
    assert marked == {"hash_matches", "classifiers", "provenance"}
    for name in marked:
        assert {"type": "null"} in properties[name]["anyOf"]
    assert schema["additionalProperties"] is False
    assert properties["schema_version"]["const"] == "1"
    defs: Any = schema["$defs"]
    for model_schema in [schema, *defs.values()]:
        for name, prop in model_schema["properties"].items():
            assert prop.get("description"), f"{model_schema['title']}.{name} has no description"
