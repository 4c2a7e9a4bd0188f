"""Timing primitives: per-call latencies, timed loops, interleaved rounds, statistics, peak memory.

Per-call latencies come from `perf_counter_ns` around each call, less the timer's own cost (calibrated
once, subtracted from every sample). Throughput comes from a plain loop with no timer inside. Callers
interleave their subjects round by round, so that a noisy moment on the machine hits every subject alike,
and compare subjects by paired per-round ratios, whose median is robust to a bad round.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

_TIMER_COST_NS: int | None = None


def timer_cost_ns() -> int:
    """The median cost of one `perf_counter_ns` pair, to subtract from per-call samples."""
    global _TIMER_COST_NS
    if _TIMER_COST_NS is None:
        clock = time.perf_counter_ns
        samples = []
        for _ in range(20_000):
            start = clock()
            samples.append(clock() - start)
        _TIMER_COST_NS = int(statistics.median(samples))
    return _TIMER_COST_NS


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Collect garbage before a timed pass and keep the collector out of it (as timeit does)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def latencies_ns(call: Callable[[T], object], inputs: Sequence[T]) -> list[int]:
    """The time of each call, in ns, less the timer's cost."""
    clock = time.perf_counter_ns
    cost = timer_cost_ns()
    samples = [0] * len(inputs)
    with quiet_gc():
        for index, item in enumerate(inputs):
            start = clock()
            call(item)
            samples[index] = clock() - start
    return [max(0, sample - cost) for sample in samples]


def loop_seconds(call: Callable[[T], object], inputs: Sequence[T]) -> float:
    """Wall time of calling `call` on every input in a plain loop."""
    with quiet_gc():
        start = time.perf_counter()
        for item in inputs:
            call(item)
        return time.perf_counter() - start


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The result of `call()` and the seconds it took."""
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


@dataclass
class Samples:
    """What one subject accumulated over the rounds."""

    latencies_ns: list[int] = field(default_factory=list)
    run_latencies_ns: list[int] = field(default_factory=list)  # without conversion
    round_seconds_per_event: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float:
        return median(self.latencies_ns) / 1000

    @property
    def p99_us(self) -> float:
        return percentile(self.latencies_ns, 0.99) / 1000

    @property
    def run_median_us(self) -> float:
        return median(self.run_latencies_ns) / 1000

    @property
    def run_p99_us(self) -> float:
        return percentile(self.run_latencies_ns, 0.99) / 1000

    @property
    def events_per_second(self) -> float:
        return 1 / median(self.round_seconds_per_event)


def paired_ratio(subject: Samples, baseline: Samples) -> float:
    """Median over rounds of subject time / baseline time in the same round."""
    ratios = [
        mine / theirs
        for mine, theirs in zip(
            subject.round_seconds_per_event, baseline.round_seconds_per_event, strict=True
        )
        if theirs > 0
    ]
    return median(ratios)


def interleave(
    subjects: Mapping[str, Callable[[T], object]],
    inputs: Sequence[T],
    rounds: int,
    block: int,
    after_pass: Callable[[], None] | None = None,
) -> dict[str, Samples]:
    """Time every subject on the same block of inputs, round by round, in rotating order."""
    samples = {name: Samples() for name in subjects}
    names = list(subjects)
    for round_index, span in enumerate(blocks(len(inputs), block, rounds)):
        chunk = [inputs[i] for i in span]
        for name in rotated(names, round_index):
            call = subjects[name]
            samples[name].latencies_ns.extend(latencies_ns(call, chunk))
            if after_pass is not None:
                after_pass()
            samples[name].round_seconds_per_event.append(loop_seconds(call, chunk) / len(chunk))
            if after_pass is not None:
                after_pass()
    return samples


def rotated(items: Sequence[T], round_index: int) -> list[T]:
    """`items` rotated by the round number, so no subject always runs first or last."""
    if not items:
        return []
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]


def blocks(size: int, block: int, rounds: int) -> list[range]:
    """The event index range each round uses: consecutive blocks that wrap around the corpus."""
    block = min(block, size)
    starts = [(index * block) % size for index in range(rounds)]
    return [range(start, min(start + block, size)) for start in starts]


__all__ = [
    "Samples",
    "blocks",
    "interleave",
    "latencies_ns",
    "loop_seconds",
    "median",
    "paired_ratio",
    "percentile",
    "quiet_gc",
    "rotated",
    "timed",
    "timer_cost_ns",
]
