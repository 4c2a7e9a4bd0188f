"""The moderation event contract as TypedDicts: validating decoded JSON without building models.

`ModerationEvent.model_validate` builds a frozen model per object of the event (the event, its content,
actor, each hash match, classifier, ...), copies each mutable default, then `ruleward eval` dumps it
back to a dict for the engine. Deciding a batch needs only the verdict: the dict that arrived is what the
rules read (see `ruleward.engine.batch`). `EVENT_DICT` validates the same dict into plain dicts, which
costs about half as much in pydantic-core.

It must accept and reject exactly what `ModerationEvent` does: the same field types and constraints,
the same strictness and forbidden extra keys, the same checks beyond types (the functions of `events`
that the models call too). Optional fields are `NotRequired` here where the models give defaults; the
models' defaults are never seen by the rules on this path, which read a left-out field as its default.
The tests hold the two to each other field by field and on generated valid and broken events. Messages
about an event that is rejected come from `ModerationEvent`, so they read the same whichever validated.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, NotRequired

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict

from ruleward.engine.events import (
    AgeBand,
    ClassifierStatus,
    ContextValue,
    CountryCode,
    HashAlgorithm,
    HashClassification,
    MediaType,
    Priority,
    ReportSource,
    Surface,
    ValidationState,
    WatermarkResult,
    age_range_problem,
    exact_distance_problem,
    rfc3339_only,
    score_status_problem,
)

_CONFIG: Final = ConfigDict(extra="forbid", strict=True)  # as `events._EventModel`

_Count = Annotated[int, Field(ge=0)]
_Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ContentDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: str
    media_type: MediaType
    mime: NotRequired[str | None]
    sha256: NotRequired[_Sha256 | None]
    width: NotRequired[_Count | None]
    height: NotRequired[_Count | None]
    duration_s: NotRequired[Annotated[float, Field(ge=0, allow_inf_nan=False)] | None]


class ActorDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: str
    account_age_days: _Count
    age_band: NotRequired[AgeBand]
    active_strikes: NotRequired[_Count]
    prior_confirmed_csam: NotRequired[bool]
    country: NotRequired[CountryCode | None]


class HashMatchDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    algorithm: HashAlgorithm
    bank: str
    entry_id: NotRequired[str | None]
    distance: NotRequired[Annotated[int, Field(ge=0, le=256)] | None]
    quality: NotRequired[Annotated[int, Field(ge=0, le=100)] | None]
    frame_match_pct: NotRequired[Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None]
    classification: NotRequired[HashClassification | None]
    entry_deleted: NotRequired[bool]


class ClassifierDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    provider: str
    model_version: str
    label: str
    score: NotRequired[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None]
    priority: NotRequired[Priority | None]
    status: NotRequired[ClassifierStatus]


class AgeEstimateDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    low: Annotated[int, Field(ge=0, le=120)]
    high: Annotated[int, Field(ge=0, le=120)]


class WatermarkDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    scheme: str
    result: WatermarkResult


class ProvenanceDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    c2pa_present: bool
    validation_state: ValidationState
    failure_codes: NotRequired[list[str]]
    digital_source_types: NotRequired[list[str]]
    watermarks: NotRequired[list[WatermarkDict]]


class ReportDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    source: ReportSource
    reason: str
    imminent_harm: NotRequired[bool]
    takedown_valid: NotRequired[bool]


def _exact_distance(match: HashMatchDict) -> HashMatchDict:
    if (problem := exact_distance_problem(match["algorithm"], match.get("distance"))) is not None:
        raise ValueError(problem)
    return match


def _score_status(signal: ClassifierDict) -> ClassifierDict:
    problem = score_status_problem(signal.get("status", "ok"), signal.get("score"), signal.get("priority"))
    if problem is not None:
        raise ValueError(problem)
    return signal


def _age_range(estimate: AgeEstimateDict) -> AgeEstimateDict:
    if (problem := age_range_problem(estimate["low"], estimate["high"])) is not None:
        raise ValueError(problem)
    return estimate


_CheckedHashMatch = Annotated[HashMatchDict, AfterValidator(_exact_distance)]
_CheckedClassifier = Annotated[ClassifierDict, AfterValidator(_score_status)]
_CheckedAgeEstimate = Annotated[AgeEstimateDict, AfterValidator(_age_range)]


class ModerationEventDict(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    event_id: Annotated[str, Field(min_length=1, max_length=128)]
    schema_version: Literal["1"]
    occurred_at: Annotated[AwareDatetime, Field(strict=False), BeforeValidator(rfc3339_only)]
    surface: Surface
    jurisdictions: list[CountryCode]
    content: ContentDict
    actor: ActorDict
    hash_matches: NotRequired[list[_CheckedHashMatch] | None]
    classifiers: NotRequired[list[_CheckedClassifier] | None]
    # null is the documented default for these three (the models' before-validators say so)
    age_estimates: NotRequired[list[_CheckedAgeEstimate] | None]
    provenance: NotRequired[ProvenanceDict | None]
    reports: NotRequired[list[ReportDict] | None]
    context: NotRequired[dict[str, ContextValue] | None]


EVENT_DICT: Final[TypeAdapter[ModerationEventDict]] = TypeAdapter(ModerationEventDict)
"""Validates decoded JSON as `ModerationEvent` does, into dicts; raises pydantic's `ValidationError`."""

_check_event: Final = EVENT_DICT.validate_python

# The form in which pydantic writes a `ModerationEvent.occurred_at` back out as JSON
_CANONICAL_TIME: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.(?!000000)[0-9]{6})?"
    r"(?:Z|[+-](?!00:00)[0-9]{2}:[0-9]{2})"
)


def decides_as_it_came(event: dict[str, object]) -> bool:
    """Whether `event` is a valid `ModerationEvent` that decides as it came, the same as the JSON form of
    its model (`model_dump(mode="json")`), which is then not worth building.

    The compiled rules read a left-out or null field as its default, as the dump writes it, and compare
    numbers by value, so `3` and `3.0` agree; a timestamp is the one value the dump may spell otherwise.
    Explanations show values and records keep the event: both want the dumped form.
    """
    when = event.get("occurred_at")
    if when.__class__ is not str or not _CANONICAL_TIME.fullmatch(when):
        return False
    try:
        _check_event(event)
    except ValidationError:
        return False  # rejected: the model will say why, in its own words
    return True


# each TypedDict against the model it mirrors, for the tests
MIRRORS: Final = {
    "ModerationEvent": ModerationEventDict,
    "Content": ContentDict,
    "Actor": ActorDict,
    "HashMatch": HashMatchDict,
    "ClassifierSignal": ClassifierDict,
    "AgeEstimate": AgeEstimateDict,
    "Watermark": WatermarkDict,
    "Provenance": ProvenanceDict,
    "Report": ReportDict,
}
# what validates each part where the event holds it: the TypedDict, with the model's checks beyond types
PARTS: Final[dict[str, object]] = {
    **MIRRORS,
    "HashMatch": _CheckedHashMatch,
    "ClassifierSignal": _CheckedClassifier,
    "AgeEstimate": _CheckedAgeEstimate,
}

__all__ = ["EVENT_DICT", "MIRRORS", "PARTS", "ModerationEventDict"]
