"""Tests for ruleward.engine.tracing: one span per decision, recorded with the evaluation's own times."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider

from ruleward.engine.decision import Action, Decision, EvalError, Match, Outcome, RulesetInfo, make_decision
from ruleward.engine.engine import Engine
from ruleward.engine.tracing import RULE_ERROR_EVENT, RULE_FIRED_EVENT, SPAN_NAME, DecisionTracer

_rng = random.Random(0x7ACE)
_EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "events"


def _hex(n_chars: int) -> str:
    return f"{_rng.getrandbits(4 * n_chars):0{n_chars}x}"


def _decision(
    *,
    matched: tuple[Match, ...] | None = None,
    errors: tuple[EvalError, ...] | None = None,
    version: str | None = "2026.11.0",
    elapsed_us: int = 250,
) -> Decision:
    if matched is None:
        matched = (
            Match("verified_match", "legal", "18 U.S.C. 2258A(a)", (Action("block"),)),
            Match("imminent_harm", "legal", None, (Action("notify_law_enforcement"),)),
        )
    if errors is None:
        errors = (EvalError("broken_rule", "`hash_matches` is missing", None),)
    obligations = (Action("preserve", {"days": 365}), Action("report", {"to": "ncmec"})) if matched else ()
    outcome = Outcome(
        "block" if matched else "allow",
        Action("ban") if matched else Action("none"),
        obligations,
        matched,
        ("shadow_rule",) if matched else (),
    )
    info = RulesetInfo("child_safety", version, _hex(64))
    return make_decision(outcome, errors, "ev-" + _hex(8), info, None, elapsed_us)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1
    return spans[0]


def test_one_span_with_the_decision_as_attributes(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    decision = _decision()
    DecisionTracer(provider)(decision)
    span = _only_span(exporter)
    assert span.name == SPAN_NAME
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "ruleward.ruleset.name": "child_safety",
        "ruleward.ruleset.version": "2026.11.0",
        "ruleward.ruleset.digest": decision.ruleset.digest,
        "ruleward.event.id": decision.event_id,
        "ruleward.disposition": "block",
        "ruleward.account_action": "ban",
        "ruleward.rules.fired": ("verified_match", "imminent_harm"),
        "ruleward.rules.shadow": ("shadow_rule",),
        "ruleward.rules.errored": ("broken_rule",),
        "ruleward.obligations": ("preserve", "report"),
    }


def test_a_span_event_per_fired_rule_and_per_error(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    DecisionTracer(provider)(_decision())
    events = [(e.name, dict(e.attributes or {})) for e in _only_span(exporter).events]
    assert events == [
        (
            RULE_FIRED_EVENT,
            {
                "ruleward.rule.id": "verified_match",
                "ruleward.rule.tier": "legal",
                "ruleward.rule.citation": "18 U.S.C. 2258A(a)",
            },
        ),
        # no citation: the attribute is left out rather than set to None
        (RULE_FIRED_EVENT, {"ruleward.rule.id": "imminent_harm", "ruleward.rule.tier": "legal"}),
        (
            RULE_ERROR_EVENT,
            {"ruleward.rule.id": "broken_rule", "ruleward.error.message": "`hash_matches` is missing"},
        ),
    ]


def test_the_span_covers_the_evaluation(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    DecisionTracer(provider)(_decision(elapsed_us=1234))
    span = _only_span(exporter)
    assert span.start_time is not None and span.end_time is not None
    assert span.end_time - span.start_time == 1234 * 1000


def test_the_trace_id_is_set_on_the_decision(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    decision = _decision()
    DecisionTracer(provider)(decision)
    span = _only_span(exporter)
    assert span.context is not None
    assert decision.trace_id == trace.format_trace_id(span.context.trace_id)
    assert decision.to_dict()["trace_id"] == decision.trace_id


def test_the_span_is_a_child_of_the_current_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    decision = _decision()
    with provider.get_tracer("host").start_as_current_span("request") as parent:
        DecisionTracer(provider)(decision)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    child = spans[SPAN_NAME]
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id
    assert decision.trace_id == trace.format_trace_id(parent.get_span_context().trace_id)


@pytest.mark.parametrize("no_sdk", [ProxyTracerProvider, NoOpTracerProvider])
def test_without_an_sdk_nothing_is_built(monkeypatch: pytest.MonkeyPatch, no_sdk: type) -> None:
    def must_not_run(decision: Decision) -> dict[str, object]:
        raise AssertionError("attributes were built with no SDK configured")

    monkeypatch.setattr(trace, "get_tracer_provider", no_sdk)
    monkeypatch.setattr("ruleward.engine.tracing.decision_attributes", must_not_run)
    decision = _decision()
    DecisionTracer()(decision)
    assert decision.trace_id is None


def test_an_sdk_configured_later_is_picked_up(
    monkeypatch: pytest.MonkeyPatch, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = DecisionTracer(recheck_seconds=0)
    monkeypatch.setattr(trace, "get_tracer_provider", ProxyTracerProvider)
    tracer(_decision())
    assert exporter.get_finished_spans() == ()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)  # an SDK configured later
    tracer(_decision())
    assert _only_span(exporter).name == SPAN_NAME


def test_without_an_sdk_the_provider_is_not_looked_up_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[object] = []

    def proxy() -> ProxyTracerProvider:
        lookups.append(None)
        return ProxyTracerProvider()

    monkeypatch.setattr(trace, "get_tracer_provider", proxy)
    tracer = DecisionTracer(recheck_seconds=3600)
    for _ in range(100):
        tracer(_decision())
    assert len(lookups) == 1


def test_a_sampled_out_decision_exports_nothing(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DecisionTracer(provider)(_decision())
    assert exporter.get_finished_spans() == ()


def test_a_minimal_decision_is_traced(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    DecisionTracer(provider)(_decision(matched=(), errors=(), version=None))
    span = _only_span(exporter)
    assert span.attributes is not None
    assert "ruleward.ruleset.version" not in span.attributes
    assert span.attributes["ruleward.disposition"] == "allow"
    assert span.attributes["ruleward.rules.fired"] == ()
    assert span.events == ()


def test_the_engine_traces_every_evaluation(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    engine = Engine.load("child_safety", tracer=DecisionTracer(provider))
    event = json.loads((_EXAMPLES / "verified-pdq-match.json").read_text())
    decision = engine.evaluate(event)
    span = _only_span(exporter)
    assert span.context is not None
    assert decision.trace_id == trace.format_trace_id(span.context.trace_id)
    assert span.attributes is not None
    assert span.attributes["ruleward.event.id"] == "ev-0002"
    assert span.attributes["ruleward.ruleset.digest"] == engine.digest
    assert span.attributes["ruleward.rules.fired"] == ("verified_match",)
    assert [e.attributes["ruleward.rule.id"] for e in span.events if e.attributes] == ["verified_match"]
