"""Workload 5: what tracing costs per decision.

Three engines over the default ruleset, interleaved: no tracer; `DecisionTracer` with no OpenTelemetry
SDK (the API's proxy provider, the state of a host that has not configured tracing); and `DecisionTracer`
with an SDK provider exporting every span to memory (a host that traces everything; the exporter is
cleared after each timed pass so memory does not grow).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import Event
from ruleward.bench.engine_runs import DEFAULT_RULESET
from ruleward.bench.profiling import profile_call
from ruleward.bench.report import Section, Table, Target, fmt_rate, fmt_us
from ruleward.bench.timing import interleave, paired_ratio

TARGET_OVERHEAD = 0.05
NONE = "no tracer"
NO_SDK = "DecisionTracer, no SDK"
SDK = "DecisionTracer, SDK + in-memory exporter"


def _sdk_tracer() -> tuple[Any, Callable[[], None]] | None:
    if importlib.util.find_spec("opentelemetry.sdk") is None:
        return None
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from ruleward.engine.tracing import DecisionTracer

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return DecisionTracer(tracer_provider=provider), exporter.clear


def run(corpus: Sequence[Event], config: BenchConfig) -> Section:
    from ruleward.engine import Engine
    from ruleward.engine.tracing import DecisionTracer

    subjects: dict[str, Callable[[Event], object]] = {
        NONE: Engine.load(DEFAULT_RULESET).evaluate,
        NO_SDK: Engine.load(DEFAULT_RULESET, tracer=DecisionTracer()).evaluate,
    }
    clear: Callable[[], None] | None = None
    sdk = _sdk_tracer()
    if sdk is not None:
        tracer, clear = sdk
        subjects[SDK] = Engine.load(DEFAULT_RULESET, tracer=tracer).evaluate
    samples = interleave(subjects, corpus, config.rounds, config.block, after_pass=clear)
    table = Table(
        "Tracing, default ruleset, per event",
        ["tracing", "median", "p99", "throughput", "overhead vs no tracer"],
    )
    base = samples[NONE]
    for name in subjects:
        figures = samples[name]
        overhead = paired_ratio(figures, base) - 1
        table.rows.append(
            [
                name,
                fmt_us(figures.median_us),
                fmt_us(figures.p99_us),
                fmt_rate(figures.events_per_second),
                "–" if name == NONE else f"{100 * overhead:+.1f}%",
            ]
        )
    if sdk is None:
        table.notes.append("SDK row skipped: opentelemetry-sdk is not installed")
    overhead = paired_ratio(samples[NO_SDK], base) - 1
    target = Target(
        "tracing overhead, no SDK",
        f"<= {100 * TARGET_OVERHEAD:g}%",
        f"{100 * overhead:+.1f}% ({fmt_us(samples[NO_SDK].median_us)} vs {fmt_us(base.median_us)})",
        overhead <= TARGET_OVERHEAD,
    )
    if not target.passed:
        evaluate = subjects[NO_SDK]
        events = list(corpus[: config.profile_events])
        target.profile = profile_call(lambda: [evaluate(event) for event in events])
    return Section(
        "tracing",
        "Tracing overhead",
        method=[
            f"default ruleset; {config.rounds_text(len(corpus))}",
            "overhead: median over rounds of (traced loop time / untraced loop time in the same round) − 1",
        ],
        tables=[table],
        targets=[target],
    )


__all__ = ["run"]
