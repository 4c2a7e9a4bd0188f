"""The moderation event contract (schema version 1) as frozen pydantic v2 models.

A moderation event is one JSON object holding the signals known about one piece of content at one moment.
The shared contract document (moderation-event.md) is the authority; these models follow it field for field.
`validate_event` is the single way in for host data, `event_json_schema` publishes the contract, and
`SIGNAL_FIELDS` / `signal_fields` name the fields whose `null` means "not computed or failed".

Two distinctions matter downstream and are kept on purpose:

* a signal list that is `None` (the system did not run or failed) is never folded into `[]` (it ran and
  found nothing): a rule that reads "no hash match" must not fire when hash matching was down;
* scalar types are strict (no "1" for 1, no "false" for False, no unix numbers for timestamps), because a
  producer bug that the engine silently coerces becomes a moderation decision nobody can explain.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

__all__ = [
    "EXACT_HASH_ALGORITHMS",
    "SIGNAL_FIELDS",
    "SIGNAL_MARKER",
    "Actor",
    "AgeBand",
    "AgeEstimate",
    "ClassifierSignal",
    "ClassifierStatus",
    "Content",
    "ContextValue",
    "CountryCode",
    "HashAlgorithm",
    "HashClassification",
    "HashMatch",
    "MediaType",
    "ModerationEvent",
    "Priority",
    "Provenance",
    "Report",
    "ReportSource",
    "Surface",
    "ValidationState",
    "Watermark",
    "WatermarkResult",
    "age_range_problem",
    "event_json_schema",
    "exact_distance_problem",
    "rfc3339_only",
    "score_status_problem",
    "signal_fields",
    "validate_event",
]

SIGNAL_MARKER: Final = "x-ruleward-signal"
"""JSON Schema extension key marking a field whose `null` means "signal not computed or failed"."""

Surface: TypeAlias = Literal[
    "upload", "public_post", "direct_message", "profile", "livestream", "genai_output", "storage"
]
MediaType: TypeAlias = Literal["image", "video", "audio", "text"]
AgeBand: TypeAlias = Literal["unknown", "under_13", "13_17", "adult"]
HashAlgorithm: TypeAlias = Literal[
    "md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "tmk_pdqf", "saferhash"
]
HashClassification: TypeAlias = Literal[
    "A1", "A2", "B1", "B2", "IWF_A", "IWF_B", "IWF_C", "CSAM", "SE", "NCII"
]
Priority: TypeAlias = Literal["very_low", "low", "medium", "high", "very_high"]
ClassifierStatus: TypeAlias = Literal["ok", "failed", "timeout", "skipped"]
ValidationState: TypeAlias = Literal["absent", "invalid", "valid", "trusted"]
WatermarkResult: TypeAlias = Literal["detected", "not_detected", "uncertain"]
ReportSource: TypeAlias = Literal[
    "user", "trusted_flagger", "ncmec", "iwf", "law_enforcement", "takedown_request", "dsa_notice"
]

CountryCode: TypeAlias = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# JSON has no NaN or infinity; Python's json module accepts them anyway, so refuse them here too.
ContextValue: TypeAlias = str | int | Annotated[float, Field(allow_inf_nan=False)] | bool

EXACT_HASH_ALGORITHMS: Final[frozenset[HashAlgorithm]] = frozenset({"md5", "sha1", "sha256"})
"""Cryptographic algorithms: a match is byte-identical, so the schema says they carry no `distance`."""

# RFC 3339 section 5.6 `date-time`, which pydantic alone is looser than: it also takes unix numbers,
# numeric strings and minute-only times. [0-9] rather than \d, which would admit non-ASCII digits.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


# ---- the checks beyond field types, shared with the dict validator of `event_dicts` ------------------------


def rfc3339_only(value: object) -> object:
    """`value` if it may become `occurred_at`: an RFC 3339 string (a datetime from Python callers)."""
    if isinstance(value, datetime):
        return value  # Python callers; AwareDatetime still rejects a naive one
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("occurred_at must be an RFC 3339 date-time string with a time zone offset")
    return value


def exact_distance_problem(algorithm: str, distance: int | None) -> str | None:
    # A distance on md5/sha1/sha256 means the producer mislabelled a perceptual match, and a
    # distance threshold written for PDQ would then be applied to it.
    if algorithm in EXACT_HASH_ALGORITHMS and distance is not None:
        return f"distance must be absent for exact algorithm {algorithm!r}"
    return None


def score_status_problem(status: str, score: float | None, priority: str | None) -> str | None:
    # The schema gives exactly two reasons for a null score; anything else is ambiguous to a rule.
    # A failed run reporting a score (often 0.0) would read as "clean", which is the dangerous case.
    if status != "ok" and score is not None:
        return f"score must be null when status is {status!r}"
    if status == "ok" and score is None and priority is None:
        return "a classifier with status 'ok' must give a score or a priority"
    return None


def age_range_problem(low: int, high: int) -> str | None:
    if low > high:
        return f"low ({low}) must be <= high ({high})"
    return None


class _EventModel(BaseModel):
    # strict: the contract is JSON types, and lax coercion would turn producer bugs into decisions.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Content(_EventModel):
    """The piece of content the event is about."""

    id: str = Field(description="Host identifier of the content.")
    media_type: MediaType = Field(description="Kind of media: image, video, audio or text.")
    mime: str | None = Field(default=None, description="MIME type as declared by the host; optional.")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="SHA-256 of the content bytes: 64 lowercase hex characters; optional."
    )
    width: int | None = Field(default=None, ge=0, description="Width in pixels, integer >= 0; optional.")
    height: int | None = Field(default=None, ge=0, description="Height in pixels, integer >= 0; optional.")
    duration_s: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Duration in seconds, number >= 0; optional."
    )


class Actor(_EventModel):
    """The account that uploaded, posted or generated the content."""

    id: str = Field(description="Host identifier of the account.")
    account_age_days: int = Field(ge=0, description="Age of the account in days, integer >= 0.")
    age_band: AgeBand = Field(
        default="unknown", description="Known or estimated age band of the account holder; default unknown."
    )
    active_strikes: int = Field(default=0, ge=0, description="Policy strikes currently active; default 0.")
    prior_confirmed_csam: bool = Field(
        default=False, description="The account has previously had CSAM confirmed; default false."
    )
    country: CountryCode | None = Field(
        default=None, description="Account country, ISO 3166-1 alpha-2 (upper case); optional."
    )


class HashMatch(_EventModel):
    """One hit of the content's hash against a hash list ("bank")."""

    algorithm: HashAlgorithm = Field(description="Hash algorithm that produced the match.")
    bank: str = Field(
        description=(
            "Hash list that matched: ncmec_industry, ncmec_ngo, ncmec_exploitative, iwf, thorn_csam, "
            "lantern, stopncii, internal_confirmed, internal_suspect, or a host's own."
        )
    )
    entry_id: str | None = Field(default=None, description="Identifier of the matched list entry; optional.")
    distance: int | None = Field(
        default=None,
        ge=0,
        le=256,
        description="Match distance, integer 0-256; perceptual algorithms only, absent for exact algorithms.",
    )
    quality: int | None = Field(
        default=None, ge=0, le=100, description="PDQ query quality, integer 0-100; optional."
    )
    frame_match_pct: float | None = Field(
        default=None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Percentage of frames matched, number 0-100; video algorithms; optional.",
    )
    classification: HashClassification | None = Field(
        default=None, description="Category the list assigns to the entry; optional."
    )
    entry_deleted: bool = Field(default=False, description="The list entry was withdrawn; default false.")

    @model_validator(mode="after")
    def _no_distance_on_exact(self) -> HashMatch:
        if (problem := exact_distance_problem(self.algorithm, self.distance)) is not None:
            raise ValueError(problem)
        return self


class ClassifierSignal(_EventModel):
    """One label from one classifier run over the content."""

    provider: str = Field(
        description="Who ran the classifier, e.g. thorn, google_csai, rekognition, internal."
    )
    model_version: str = Field(description="Version of the classifier model.")
    label: str = Field(
        description="What the classifier scored, e.g. csam, sexual, minor_presence, ai_generated, nudity."
    )
    score: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description=(
            "Score 0-1, or null when status is not ok, or when the classifier gives only a priority."
        ),
    )
    priority: Priority | None = Field(
        default=None, description="Priority, for priority-style classifiers; optional."
    )
    status: ClassifierStatus = Field(default="ok", description="Outcome of the classifier run; default ok.")

    @model_validator(mode="after")
    def _score_matches_status(self) -> ClassifierSignal:
        if (problem := score_status_problem(self.status, self.score, self.priority)) is not None:
            raise ValueError(problem)
        return self


class AgeEstimate(_EventModel):
    """An estimated age range for a person depicted in the content."""

    low: int = Field(ge=0, le=120, description="Lower bound of the estimated age, integer 0-120, <= high.")
    high: int = Field(ge=0, le=120, description="Upper bound of the estimated age, integer 0-120, >= low.")

    @model_validator(mode="after")
    def _low_not_above_high(self) -> AgeEstimate:
        if (problem := age_range_problem(self.low, self.high)) is not None:
            raise ValueError(problem)
        return self


class Watermark(_EventModel):
    """The result of one watermark detector."""

    scheme: str = Field(description="Watermark scheme checked, e.g. synthid.")
    result: WatermarkResult = Field(description="Detector outcome: detected, not_detected or uncertain.")


class Provenance(_EventModel):
    """Content-provenance (C2PA) and watermark findings."""

    c2pa_present: bool = Field(description="A C2PA manifest is present.")
    validation_state: ValidationState = Field(
        description="C2PA validation state: absent, invalid, valid or trusted."
    )
    failure_codes: list[str] = Field(
        default=[],
        description=(
            "C2PA failure codes, e.g. claimSignature.mismatch, assertion.dataHash.mismatch, "
            "signingCredential.untrusted."
        ),
    )
    digital_source_types: list[str] = Field(
        default=[],
        description=(
            "IPTC digital source types, e.g. trainedAlgorithmicMedia, compositeWithTrainedAlgorithmicMedia, "
            "compositeSynthetic, algorithmicMedia, digitalCapture."
        ),
    )
    watermarks: list[Watermark] = Field(default=[], description="Watermark results; default [].")


class Report(_EventModel):
    """A report or notice about the content."""

    source: ReportSource = Field(description="Who reported the content.")
    reason: str = Field(description="Reason given by the reporter.")
    imminent_harm: bool = Field(default=False, description="The report alleges imminent harm; default false.")
    takedown_valid: bool = Field(
        default=False,
        description="Default false; a TAKE IT DOWN request that meets the statute's form.",
    )


class ModerationEvent(_EventModel):
    """One moderation event: the signals known about one piece of content at one moment (schema 1)."""

    event_id: str = Field(min_length=1, max_length=128, description="Unique per event, 1-128 characters.")
    schema_version: Literal["1"] = Field(description='Schema version; always "1".')
    occurred_at: AwareDatetime = Field(
        strict=False,  # the value arrives as a JSON string; _rfc3339_only decides which strings pass
        description="RFC 3339 timestamp with a time zone offset.",
    )
    surface: Surface = Field(description="Where the content appeared.")
    jurisdictions: list[CountryCode] = Field(
        description="ISO 3166-1 alpha-2 codes of the uploader's and audience's countries; may be empty."
    )
    content: Content = Field(description="The content the event is about.")
    actor: Actor = Field(description="The account behind the content.")
    # The three signal fields default to None, not []: an absent signal was not computed.
    hash_matches: list[HashMatch] | None = Field(
        default=None,
        description="Hash-list matches; null = matching not run / failed, [] = run, no match.",
        json_schema_extra={SIGNAL_MARKER: True},
    )
    classifiers: list[ClassifierSignal] | None = Field(
        default=None,
        description="Classifier outputs; null = no classifier ran, [] = ran, nothing reported.",
        json_schema_extra={SIGNAL_MARKER: True},
    )
    age_estimates: list[AgeEstimate] = Field(default=[], description="Age estimates; default [].")
    provenance: Provenance | None = Field(
        default=None,
        description="Provenance findings; null = provenance not checked.",
        json_schema_extra={SIGNAL_MARKER: True},
    )
    reports: list[Report] = Field(default=[], description="Reports about the content; default [].")
    context: dict[str, ContextValue] = Field(
        default={},
        description="Free-form host data: string keys to string, number or boolean values.",
    )

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _rfc3339_only(cls, value: object) -> object:
        return rfc3339_only(value)

    # The schema lets "optional" fields be null. These three are not signals, so a null carries no "not
    # computed" meaning and is read as the documented default.
    @field_validator("age_estimates", mode="before", json_schema_input_type=list[AgeEstimate] | None)
    @classmethod
    def _null_ages_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("reports", mode="before", json_schema_input_type=list[Report] | None)
    @classmethod
    def _null_reports_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("context", mode="before", json_schema_input_type=dict[str, ContextValue] | None)
    @classmethod
    def _null_context_is_empty(cls, value: object) -> object:
        return {} if value is None else value


def signal_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of `model` marked `x-ruleward-signal` (null = signal not computed or failed)."""
    return frozenset(name for name, info in model.model_fields.items() if _is_signal(info))


def _is_signal(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    # a callable json_schema_extra rewrites the schema at generation time; it cannot be read as a mark
    return isinstance(extra, dict) and extra.get(SIGNAL_MARKER) is True


SIGNAL_FIELDS: Final[frozenset[str]] = signal_fields(ModerationEvent)


def event_json_schema() -> dict[str, object]:
    """The JSON Schema of `ModerationEvent`, with descriptions and `x-ruleward-signal` marks."""
    return ModerationEvent.model_json_schema()


def validate_event(data: object) -> ModerationEvent:
    """Validate decoded JSON (dicts, lists, scalars) as a moderation event.

    Raises pydantic's `ValidationError`, whose `loc` entries name the offending field.
    """
    return ModerationEvent.model_validate(data)
