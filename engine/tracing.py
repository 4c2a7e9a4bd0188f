"""OpenTelemetry tracing of decisions: one span per evaluation, one span event per fired rule.

The engine calls its `tracer` after each decision, so `DecisionTracer` records the span after the fact,
with the evaluation's own start and end times (end = now, start = end - `elapsed_us`). Tracing thus stays
out of the generated hot path. Only `opentelemetry-api` is needed: with no SDK configured the global
provider is the API's proxy or no-op provider, and a call costs one lookup and an `isinstance`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Final, Protocol

from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider, SpanKind, Tracer, TracerProvider
from opentelemetry.util.types import AttributeValue

SPAN_NAME: Final = "ruleward.evaluate"
RULE_FIRED_EVENT: Final = "ruleward.rule.fired"
RULE_ERROR_EVENT: Final = "ruleward.rule.error"
INSTRUMENTATION_SCOPE: Final = "ruleward"


class TraceableDecision(Protocol):
    """What the tracer needs of a decision: its JSON form, its evaluation time, a place for the trace id."""

    elapsed_us: int
    trace_id: str | None

    def to_dict(self) -> dict[str, object]: ...


def _version() -> str | None:
    try:
        return metadata.version("ruleward")
    except metadata.PackageNotFoundError:
        return None


class DecisionTracer:
    """Records a `ruleward.evaluate` span for each decision it is called with; usable as `Engine`'s tracer.

    Pass `tracer_provider` to trace to a provider of your own; by default the global provider is looked up
    on every call, so an SDK configured after the engine was loaded is still picked up.
    """

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self._provider = tracer_provider
        self._tracer: Tracer | None = None
        self._tracer_provider: TracerProvider | None = None

    def _current_tracer(self) -> Tracer | None:
        provider = self._provider if self._provider is not None else trace.get_tracer_provider()
        if isinstance(provider, ProxyTracerProvider | NoOpTracerProvider):
            return None  # no SDK: any span would be dropped, so build none
        if provider is not self._tracer_provider:
            self._tracer = provider.get_tracer(INSTRUMENTATION_SCOPE, _version())
            self._tracer_provider = provider
        return self._tracer

    def __call__(self, decision: TraceableDecision) -> None:
        tracer = self._current_tracer()
        if tracer is None:
            return
        end = time.time_ns()
        start = end - max(0, decision.elapsed_us) * 1000
        record = decision.to_dict()
        # the span's parent is whatever span is current in the caller, e.g. the host's request span
        span = tracer.start_span(
            SPAN_NAME, kind=SpanKind.INTERNAL, start_time=start, attributes=decision_attributes(record)
        )
        if span.is_recording():
            for fired in _dicts(record.get("matched")):
                span.add_event(RULE_FIRED_EVENT, _present(rule_event_attributes(fired)), timestamp=end)
            for error in _dicts(record.get("errors")):
                span.add_event(RULE_ERROR_EVENT, _present(error_event_attributes(error)), timestamp=end)
        span.end(end_time=end)
        context = span.get_span_context()
        if context.is_valid:
            decision.trace_id = trace.format_trace_id(context.trace_id)


def decision_attributes(record: Mapping[str, object]) -> dict[str, AttributeValue]:
    """The span attributes of a decision, from its JSON form (`Decision.to_dict()`)."""
    ruleset = record.get("ruleset")
    ruleset = ruleset if isinstance(ruleset, Mapping) else {}
    account = record.get("account_action")
    account_kind = account.get("kind") if isinstance(account, Mapping) else account
    attributes: dict[str, AttributeValue | None] = {
        "ruleward.ruleset.name": _scalar(ruleset.get("name")),
        "ruleward.ruleset.version": _scalar(ruleset.get("version")),
        "ruleward.ruleset.digest": _scalar(ruleset.get("digest")),
        "ruleward.event.id": _scalar(record.get("event_id")),
        "ruleward.disposition": _scalar(record.get("disposition")),
        "ruleward.account_action": _scalar(account_kind),
        "ruleward.rules.fired": [str(m.get("rule")) for m in _dicts(record.get("matched"))],
        "ruleward.rules.shadow": [str(rule) for rule in _list(record.get("shadow"))],
        "ruleward.rules.errored": [str(e.get("rule")) for e in _dicts(record.get("errors"))],
        "ruleward.obligations": [str(o.get("kind")) for o in _dicts(record.get("obligations"))],
    }
    return _present(attributes)


def rule_event_attributes(fired: Mapping[str, object]) -> dict[str, AttributeValue | None]:
    return {
        "ruleward.rule.id": _scalar(fired.get("rule")),
        "ruleward.rule.tier": _scalar(fired.get("tier")),
        "ruleward.rule.citation": _scalar(fired.get("cite")),
    }


def error_event_attributes(error: Mapping[str, object]) -> dict[str, AttributeValue | None]:
    return {
        "ruleward.rule.id": _scalar(error.get("rule")),
        "ruleward.error.message": _scalar(error.get("message")),
    }


def _scalar(value: object) -> str | None:
    return None if value is None else str(value)


def _list(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()


def _dicts(value: object) -> list[Mapping[str, object]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _present(attributes: Mapping[str, AttributeValue | None]) -> dict[str, AttributeValue]:
    # OpenTelemetry rejects None attribute values (with a warning), so absent ones are left out
    return {key: value for key, value in attributes.items() if value is not None}


__all__ = [
    "RULE_ERROR_EVENT",
    "RULE_FIRED_EVENT",
    "SPAN_NAME",
    "DecisionTracer",
    "TraceableDecision",
    "decision_attributes",
]
