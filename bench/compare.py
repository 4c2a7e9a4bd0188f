"""Workload 1: the five rules, side by side in ruleward, other engines and hand-written Python.

Every engine first decides the whole corpus and must agree with the hand-written function (agreement.py).
Then the engines take turns round by round over the same block of events: per-call latencies with the
dict as input (conversion included), the same without conversion where the engine separates it, and a
plain loop for throughput. Ratios to the hand-written function are paired by round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ruleward.bench.agreement import check_agreement
from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import Contender, Event, HandWritten, registry
from ruleward.bench.memory import MemoryFigure, measure_in_fresh_process
from ruleward.bench.profiling import profile_call
from ruleward.bench.report import Section, Table, Target, fmt_ms, fmt_rate, fmt_ratio, fmt_us
from ruleward.bench.timing import (
    Samples,
    blocks,
    latencies_ns,
    loop_seconds,
    median,
    paired_ratio,
    rotated,
    timed,
)

RIVALS = ("cedar", "rego", "cel", "jsonlogic")
TARGET_RATIO = 1.5
TARGET_SPEEDUP = 3.0


@dataclass
class Entry:
    contender: Contender
    compile_ms: float = math.nan
    samples: Samples = field(default_factory=Samples)
    memory: MemoryFigure | None = None


def _contenders(config: BenchConfig) -> tuple[list[Contender], list[tuple[str, str]]]:
    kinds = registry()
    wanted = config.contenders or tuple(kinds)
    chosen: list[Contender] = []
    skipped: list[tuple[str, str]] = []
    for key in ("python", *[k for k in wanted if k != "python"]):  # the floor always runs
        kind = kinds.get(key)
        if kind is None:
            raise ValueError(f"unknown engine `{key}`; known: {', '.join(kinds)}")
        if kind.available():
            chosen.append(kind())
        else:
            skipped.append((kind.label, f"not installed (pip install {kind.distribution})"))
    chosen.extend(config.extra_contenders)
    return chosen, skipped


def _compile_ms(contender: Contender, repeats: int) -> float:
    """Median compile time of fresh instances, after one untimed compile (one-time set-up, e.g. building
    a parser, is not a per-ruleset cost)."""
    contender.compile()
    times = []
    for _ in range(repeats):
        fresh = type(contender)()
        _, seconds = timed(fresh.compile)
        times.append(seconds * 1000)
    return median(times)


def _rounds(entries: Sequence[Entry], corpus: Sequence[Event], config: BenchConfig) -> None:
    for round_index, span in enumerate(blocks(len(corpus), config.block, config.rounds)):
        events = [corpus[i] for i in span]
        for entry in rotated(entries, round_index):
            contender = entry.contender
            call = contender.entry_point()
            entry.samples.latencies_ns.extend(latencies_ns(call, events))
            seconds = loop_seconds(call, events)
            entry.samples.round_seconds_per_event.append(seconds / len(events))
            if contender.separates_conversion:
                natives = [contender.convert(event) for event in events]
                entry.samples.run_latencies_ns.extend(latencies_ns(contender.run, natives))


def run(corpus: Sequence[Event], config: BenchConfig) -> Section:
    section = Section(
        "compare",
        "Five rules: ruleward, other engines, hand-written Python",
        method=[
            f"{len(corpus):,} events of the seeded corpus (seed {config.seed}); every engine first decides "
            "all of them and agrees with the hand-written function on which rules fire (ruleward also on "
            "disposition and account action)",
            f"{config.rounds_text(len(corpus))}; in each round "
            "every engine times each call (dict in), then runs a plain loop (throughput)",
            "ratio: median over rounds of (engine loop time / hand-written loop time in the same round)",
            "memory: in a fresh process, growth of peak RSS over compile + deciding "
            f"{min(config.memory_events, len(corpus)):,} events (sees native heaps), and tracemalloc's peak "
            "(Python objects only)",
        ],
    )
    contenders, skipped = _contenders(config)
    entries = [Entry(contender) for contender in contenders]
    for entry in entries:
        entry.compile_ms = _compile_ms(entry.contender, config.compile_repeats)
    for entry in entries:
        check_agreement(entry.contender, corpus)
    _rounds(entries, corpus, config)
    registered = registry()
    measure_memory = not config.quick
    for entry in entries:
        registered_kind = registered.get(entry.contender.key)
        if measure_memory and type(entry.contender) is registered_kind:
            entry.memory = measure_in_fresh_process(
                entry.contender.key, min(config.memory_events, len(corpus)), config.seed
            )
    floor = next(entry for entry in entries if isinstance(entry.contender, HandWritten))
    section.tables.append(_latency_table(entries, floor, skipped))
    section.tables.append(_cost_table(entries, measure_memory))
    section.tables.append(
        Table(
            "How each engine holds the rules",
            ["engine", "encoding"],
            [[e.contender.label, e.contender.encoding] for e in entries],
        )
    )
    section.targets.extend(_targets(entries, floor, corpus, config))
    return section


def _latency_table(entries: Sequence[Entry], floor: Entry, skipped: Sequence[tuple[str, str]]) -> Table:
    table = Table(
        "Per event, five rules",
        [
            "engine",
            "median",
            "p99",
            "median, no conversion",
            "p99, no conversion",
            "throughput",
            "vs hand-written",
        ],
    )
    for entry in entries:
        samples = entry.samples
        separated = entry.contender.separates_conversion
        table.rows.append(
            [
                entry.contender.label,
                fmt_us(samples.median_us),
                fmt_us(samples.p99_us),
                fmt_us(samples.run_median_us) if separated else "–",
                fmt_us(samples.run_p99_us) if separated else "–",
                fmt_rate(samples.events_per_second),
                fmt_ratio(paired_ratio(samples, floor.samples)),
            ]
        )
    for label, why in skipped:
        table.rows.append([label, "skipped", *[""] * 5])
        table.notes.append(f"{label}: skipped, {why}")
    table.notes.append(
        "dict in: the event as a Python dict, conversion to the engine's input included; "
        "no conversion: the engine's own call on input converted beforehand"
    )
    return table


def _cost_table(entries: Sequence[Entry], measured_memory: bool) -> Table:
    table = Table(
        "Compile time and memory, five rules",
        ["engine", "version", "compile", "peak RSS growth", "tracemalloc peak"],
    )
    for entry in entries:
        memory = entry.memory
        table.rows.append(
            [
                entry.contender.label,
                entry.contender.version(),
                fmt_ms(entry.compile_ms),
                f"{memory.rss_growth_kib:,} KiB" if memory else "–",
                f"{memory.python_peak_kib:,} KiB" if memory else "–",
            ]
        )
    if not measured_memory:
        table.notes.append("memory not measured in quick mode (a fresh process per engine is slow to start)")
    return table


def _targets(
    entries: Sequence[Entry], floor: Entry, corpus: Sequence[Event], config: BenchConfig
) -> list[Target]:
    ours = next((e for e in entries if e.contender.key == "ruleward"), None)
    if ours is None:
        return [
            Target("five rules vs hand-written", f"<= {TARGET_RATIO}×", "not run", None),
            Target("five rules vs fastest other engine", f">= {TARGET_SPEEDUP}× faster", "not run", None),
        ]
    events = list(corpus[: config.profile_events])
    evaluate = ours.contender.entry_point()

    def profile() -> str:
        return profile_call(lambda: [evaluate(event) for event in events])

    ratio = paired_ratio(ours.samples, floor.samples)
    targets = [
        Target(
            "five rules: full ruleward decision vs hand-written",
            f"<= {TARGET_RATIO}×",
            f"{fmt_ratio(ratio)} ({fmt_us(ours.samples.median_us)} vs {fmt_us(floor.samples.median_us)})",
            ratio <= TARGET_RATIO,
        )
    ]
    rivals = [e for e in entries if e.contender.key in RIVALS]
    if rivals:
        fastest = min(rivals, key=lambda e: e.samples.median_us)
        speedup = fastest.samples.median_us / ours.samples.median_us
        targets.append(
            Target(
                "five rules: ruleward vs fastest other engine",
                f">= {TARGET_SPEEDUP}× faster",
                f"{speedup:.2f}× faster than {fastest.contender.label} ({fmt_us(fastest.samples.median_us)})",
                speedup >= TARGET_SPEEDUP,
            )
        )
    else:
        targets.append(
            Target(
                "five rules: ruleward vs fastest other engine",
                f">= {TARGET_SPEEDUP}×",
                "none installed",
                None,
            )
        )
    if any(target.passed is False for target in targets):
        summary = profile()
        for target in targets:
            if target.passed is False:
                target.profile = summary
    return targets


__all__ = ["RIVALS", "run"]
