"""Tests for ruleward.engine.tracing: one span per decision, recorded with the evaluation's own times."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider

from ruleward.engine.tracing import RULE_ERROR_EVENT, RULE_FIRED_EVENT, SPAN_NAME, DecisionTracer

_rng = random.Random(0x7ACE)
_EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "events"


def _hex(n_chars: int) -> str:
    return f"{_rng.getrandbits(4 * n_chars):0{n_chars}x}"


@dataclass
class FakeDecision:
    """The parts of a decision the tracer reads: its JSON form, its elapsed time, its trace id."""

    record: dict[str, object]
    elapsed_us: int = 250
    trace_id: str | None = None
    to_dict_calls: int = field(default=0)

    def to_dict(self) -> dict[str, object]:
        self.to_dict_calls += 1
        return self.record


def _record(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "decision_id": _hex(32),
        "event_id": "ev-" + _hex(8),
        "ruleset": {"name": "child_safety", "version": "2026.11.0", "digest": _hex(64)},
        "disposition": "block",
        "account_action": {"kind": "ban"},
        "obligations": [{"kind": "preserve", "days": 365}, {"kind": "report", "to": "ncmec"}],
        "matched": [
            {"rule": "verified_match", "tier": "legal", "cite": "18 U.S.C. 2258A(a)", "actions": []},
            {"rule": "imminent_harm", "tier": "legal", "cite": None, "actions": []},
        ],
        "shadow": ["shadow_rule"],
        "errors": [{"rule": "broken_rule", "message": "`hash_matches` is missing", "span": None}],
        "trace_id": None,
        "elapsed_us": 250,
    }
    record.update(changes)
    return record


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
    record = _record()
    DecisionTracer(provider)(FakeDecision(record))
    span = _only_span(exporter)
    assert span.name == SPAN_NAME
    ruleset = record["ruleset"]
    assert isinstance(ruleset, dict)
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "ruleward.ruleset.name": "child_safety",
        "ruleward.ruleset.version": "2026.11.0",
        "ruleward.ruleset.digest": ruleset["digest"],
        "ruleward.event.id": record["event_id"],
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
    DecisionTracer(provider)(FakeDecision(_record()))
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
    DecisionTracer(provider)(FakeDecision(_record(), elapsed_us=1234))
    span = _only_span(exporter)
    assert span.start_time is not None and span.end_time is not None
    assert span.end_time - span.start_time == 1234 * 1000


def test_the_trace_id_is_set_on_the_decision(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    decision = FakeDecision(_record())
    DecisionTracer(provider)(decision)
    span = _only_span(exporter)
    assert span.context is not None
    assert decision.trace_id == trace.format_trace_id(span.context.trace_id)
    assert decision.trace_id is not None and len(decision.trace_id) == 32


def test_the_span_is_a_child_of_the_current_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    decision = FakeDecision(_record())
    with provider.get_tracer("host").start_as_current_span("request") as parent:
        DecisionTracer(provider)(decision)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    child = spans[SPAN_NAME]
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id
    assert decision.trace_id == trace.format_trace_id(parent.get_span_context().trace_id)


@pytest.mark.parametrize("no_sdk", [ProxyTracerProvider, NoOpTracerProvider])
def test_without_an_sdk_nothing_is_built(monkeypatch: pytest.MonkeyPatch, no_sdk: type) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", no_sdk)
    decision = FakeDecision(_record())
    DecisionTracer()(decision)
    assert decision.to_dict_calls == 0
    assert decision.trace_id is None


def test_the_global_provider_is_looked_up_on_each_call(
    monkeypatch: pytest.MonkeyPatch, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = DecisionTracer()
    monkeypatch.setattr(trace, "get_tracer_provider", ProxyTracerProvider)
    tracer(FakeDecision(_record()))
    assert exporter.get_finished_spans() == ()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)  # an SDK configured later
    tracer(FakeDecision(_record()))
    assert _only_span(exporter).name == SPAN_NAME


def test_a_sampled_out_decision_exports_nothing(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DecisionTracer(provider)(FakeDecision(_record()))
    assert exporter.get_finished_spans() == ()


def test_a_minimal_decision_is_traced(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    record = _record(matched=[], shadow=[], errors=[], obligations=[], disposition="allow")
    record["ruleset"] = {"name": "r", "version": None, "digest": _hex(64)}
    DecisionTracer(provider)(FakeDecision(record))
    span = _only_span(exporter)
    assert span.attributes is not None
    assert "ruleward.ruleset.version" not in span.attributes
    assert span.attributes["ruleward.rules.fired"] == ()
    assert span.events == ()
