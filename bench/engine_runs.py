"""Workloads 2 and 3: the default ruleset over the corpus, and generated rulesets of growing size.

Both time `Engine.evaluate` on event dicts (the embedding service's call), interleaved round by round.
Pydantic validation is timed apart, both alone and as the engine's `validate=True` path, because a host
that already holds validated events does not pay it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import Event
from ruleward.bench.generate import write_ruleset
from ruleward.bench.profiling import profile_call
from ruleward.bench.report import Section, Table, Target, fmt_rate, fmt_us
from ruleward.bench.timing import Samples, interleave

DEFAULT_RULESET = "child_safety"
TARGET_DEFAULT_US = 5.0  # "a few µs"
TARGET_1000_US = 10.0


def _load(ruleset: str | Path, *, validate: bool = False) -> Any:
    from ruleward.engine import Engine

    return Engine.load(ruleset, validate=validate)


def _row(name: str, samples: Samples) -> list[str]:
    return [name, fmt_us(samples.median_us), fmt_us(samples.p99_us), fmt_rate(samples.events_per_second)]


def _profile(evaluate: Callable[[Event], object], corpus: Sequence[Event], config: BenchConfig) -> str:
    events = list(corpus[: config.profile_events])
    return profile_call(lambda: [evaluate(event) for event in events])


def run_default(corpus: Sequence[Event], config: BenchConfig) -> Section:
    from ruleward.engine.events import validate_event

    engine = _load(DEFAULT_RULESET)
    validating = _load(DEFAULT_RULESET, validate=True)
    decisions = [engine.evaluate(event) for event in corpus[: config.block]]
    subjects: dict[str, Callable[[Any], object]] = {
        "evaluate (dict in)": engine.evaluate,
        "evaluate with validate=True": validating.evaluate,
        "validate_event alone (pydantic)": validate_event,
    }
    samples = interleave(subjects, corpus, config.rounds, config.block)
    to_dict = interleave(
        {"decision.to_dict()": lambda d: d.to_dict()}, decisions, config.rounds, config.block
    )
    table = Table("Default ruleset, per event", ["what", "median", "p99", "throughput"])
    table.rows.extend(_row(name, samples[name]) for name in subjects)
    table.rows.append(_row("decision.to_dict() (JSON form)", to_dict["decision.to_dict()"]))
    table.notes.append(f"`{DEFAULT_RULESET}`: {len(engine.ruleset.ruleset.rules)} rules")
    measured = samples["evaluate (dict in)"]
    target = Target(
        "default ruleset: one event (no validation)",
        f"a few µs (<= {TARGET_DEFAULT_US:g} µs median)",
        f"{fmt_us(measured.median_us)} median, {fmt_us(measured.p99_us)} p99; "
        f"validated {fmt_us(samples['evaluate with validate=True'].median_us)}",
        measured.median_us <= TARGET_DEFAULT_US,
    )
    if not target.passed:
        target.profile = _profile(engine.evaluate, corpus, config)
    return Section(
        "default",
        f"Default ruleset (`{DEFAULT_RULESET}`)",
        method=[
            f"the same corpus; {config.rounds_text(len(corpus))}",
            "validation timed apart: `validate_event` alone, and the engine loaded with `validate=True`",
        ],
        tables=[table],
        targets=[target],
    )


def run_scaling(corpus: Sequence[Event], config: BenchConfig) -> Section:
    with tempfile.TemporaryDirectory(prefix="ruleward-bench-") as folder:
        engines = {size: _load(write_ruleset(Path(folder), size)) for size in config.scaling_sizes}
    subjects: dict[str, Callable[[Any], object]] = {}
    for size in config.scaling_sizes:
        subjects[f"{size} rules"] = engines[size].evaluate
        # the compiled rules alone, without building the decision: where the time goes
        subjects[f"{size} rules, rules only"] = engines[size]._loaded.compiled.run
    samples = interleave(subjects, corpus, config.rounds, config.block)
    table = Table(
        "Generated rulesets, per event",
        [
            "ruleset",
            "median",
            "p99",
            "throughput",
            "median per rule",
            "rules only (median)",
            "rules fired per event",
            "distinct fired sets",
        ],
    )
    block = list(corpus[: config.block])
    for size in config.scaling_sizes:
        figures = samples[f"{size} rules"]
        fired = [len(engines[size].evaluate(event).matched) for event in block]
        run = engines[size]._loaded.compiled.run
        distinct = len({run(event)[0] for event in block})
        table.rows.append(
            [
                *_row(f"{size} rules", figures),
                f"{1000 * figures.median_us / size:.1f} ns",
                fmt_us(samples[f"{size} rules, rules only"].median_us),
                f"{sum(fired) / len(fired):.1f}",
                f"{100 * distinct / len(block):.0f}% of {len(block):,}",
            ]
        )
    table.notes.append(
        "rules only: the compiled function alone (which rules fired, which failed); the rest of the median "
        "is the decision: its matched rules and combined actions, computed once per distinct set of fired "
        "rules and then shared (a bounded cache), so the share of distinct sets drives it"
    )
    table.notes.append(
        "rulesets of families (rules of one shape, told apart by their literals) compile to one template "
        "each, with rows chosen by lookups; see docs/architecture.md"
    )
    section = Section(
        "scaling",
        "Scaling: 10, 100 and 1000 rules",
        method=[
            "generated variants of the five rules (ruleward.bench.generate, seeded): other banks, "
            "algorithms, distances, labels, thresholds, source types, validation states, strike limits "
            "and actions",
            f"the same corpus; {config.rounds_text(len(corpus))}",
        ],
        tables=[table],
    )
    largest = max(config.scaling_sizes)
    figures = samples[f"{largest} rules"]
    if largest >= 1000:
        target = Target(
            "1000 rules: one event",
            f"<= {TARGET_1000_US:g} µs median",
            f"{fmt_us(figures.median_us)} median, {fmt_us(figures.p99_us)} p99; rules alone "
            f"{fmt_us(samples[f'{largest} rules, rules only'].median_us)}",
            figures.median_us <= TARGET_1000_US,
        )
        if not target.passed:
            target.profile = _profile(engines[largest].evaluate, corpus, config)
    else:
        target = Target("1000 rules: one event", f"<= {TARGET_1000_US:g} µs median", "not run (quick)", None)
    section.targets.append(target)
    return section


__all__ = ["run_default", "run_scaling"]
