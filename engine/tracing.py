"""OpenTelemetry tracing of decisions: one span per evaluation, one span event per fired rule.

The engine calls its `tracer` after each decision, so `DecisionTracer` records the span after the fact,
with the evaluation's own start and end times (end = now, start = end - `elapsed_us`). Tracing thus stays
out of the generated hot path. Only `opentelemetry-api` is needed: with no SDK configured the global
provider is the API's proxy or no-op provider, and a call costs a clock read (see `DecisionTracer`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from importlib import metadata
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider, SpanKind, Tracer, TracerProvider
from opentelemetry.util.types import AttributeValue

from ruleward.engine.decision import Decision, EvalError, Match

SPAN_NAME: Final = "ruleward.evaluate"
RULE_FIRED_EVENT: Final = "ruleward.rule.fired"
RULE_ERROR_EVENT: Final = "ruleward.rule.error"
INSTRUMENTATION_SCOPE: Final = "ruleward"
_monotonic = time.monotonic


def _version() -> str | None:
    try:
        return metadata.version("ruleward")
    except metadata.PackageNotFoundError:
        return None


class DecisionTracer:
    """Records a `ruleward.evaluate` span for each decision it is called with; usable as `Engine`'s tracer.

    Pass `tracer_provider` to trace to a provider of your own. By default the global provider is used: once
    an SDK has set it, it cannot change, so its tracer is kept; until then, the provider is looked up again
    at most every `recheck_seconds`, so an SDK configured after the engine was loaded is still picked up
    while a call without one stays a clock read and a comparison.
    """

    def __init__(
        self, tracer_provider: TracerProvider | None = None, *, recheck_seconds: float = 1.0
    ) -> None:
        self._tracer: Tracer | None = None
        self._recheck_seconds = recheck_seconds
        self._next_check = float("-inf")
        if tracer_provider is not None:
            self._tracer = tracer_provider.get_tracer(INSTRUMENTATION_SCOPE, _version())

    def _look_up(self) -> Tracer | None:
        self._next_check = time.monotonic() + self._recheck_seconds
        provider = trace.get_tracer_provider()
        if isinstance(provider, ProxyTracerProvider | NoOpTracerProvider):
            return None  # no SDK: any span would be dropped, so build none
        self._tracer = provider.get_tracer(INSTRUMENTATION_SCOPE, _version())
        return self._tracer

    def __call__(self, decision: Decision) -> None:
        tracer = self._tracer
        if tracer is None:
            if _monotonic() < self._next_check:
                return
            tracer = self._look_up()
            if tracer is None:
                return
        end = time.time_ns()
        start = end - max(0, decision.elapsed_us) * 1000
        # the span's parent is whatever span is current in the caller, e.g. the host's request span
        span = tracer.start_span(
            SPAN_NAME, kind=SpanKind.INTERNAL, start_time=start, attributes=decision_attributes(decision)
        )
        if span.is_recording():
            for match in decision.matched:
                span.add_event(RULE_FIRED_EVENT, rule_event_attributes(match), timestamp=end)
            for error in decision.errors:
                span.add_event(RULE_ERROR_EVENT, error_event_attributes(error), timestamp=end)
        span.end(end_time=end)
        context = span.get_span_context()
        if context.is_valid:
            decision.trace_id = trace.format_trace_id(context.trace_id)


def decision_attributes(decision: Decision) -> dict[str, AttributeValue]:
    """The span attributes of a decision."""
    ruleset = decision.ruleset
    return _present(
        {
            "ruleward.ruleset.name": ruleset.name,
            "ruleward.ruleset.version": ruleset.version,
            "ruleward.ruleset.digest": ruleset.digest,
            "ruleward.event.id": decision.event_id,
            "ruleward.disposition": decision.disposition,
            "ruleward.account_action": decision.account_action.kind,
            "ruleward.rules.fired": [match.rule for match in decision.matched],
            "ruleward.rules.shadow": list(decision.shadow),
            "ruleward.rules.errored": [error.rule for error in decision.errors],
            "ruleward.obligations": [obligation.kind for obligation in decision.obligations],
        }
    )


def rule_event_attributes(match: Match) -> dict[str, AttributeValue]:
    return _present(
        {
            "ruleward.rule.id": match.rule,
            "ruleward.rule.tier": match.tier,
            "ruleward.rule.citation": match.cite,
        }
    )


def error_event_attributes(error: EvalError) -> dict[str, AttributeValue]:
    return {"ruleward.rule.id": error.rule, "ruleward.error.message": error.message}


def _present(attributes: Mapping[str, AttributeValue | None]) -> dict[str, AttributeValue]:
    # OpenTelemetry rejects None attribute values (with a warning), so absent ones are left out
    return {key: value for key, value in attributes.items() if value is not None}


__all__ = [
    "RULE_ERROR_EVENT",
    "RULE_FIRED_EVENT",
    "SPAN_NAME",
    "DecisionTracer",
    "decision_attributes",
]
