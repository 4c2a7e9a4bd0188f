"""Peak memory of an engine: compile the five rules and decide the corpus in a fresh process.

Two figures, because neither alone tells the truth: the growth of the process's peak resident set (which
sees the native heaps of the Rust and C++ engines) and tracemalloc's peak (Python allocations only, exact
but blind to native memory). A fresh `spawn` process keeps one engine's memory from counting for another,
and the events are generated one at a time as they are decided, so that the corpus itself does not set
the peak (each figure includes one event being generated, a few KiB).
"""

from __future__ import annotations

import multiprocessing
import resource
import tracemalloc
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MemoryFigure:
    rss_growth_kib: int  # peak RSS after compile + one pass, less the peak before (corpus built)
    python_peak_kib: int  # tracemalloc peak over compile + one pass


def _max_rss_kib() -> int:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a process started by a large
    # parent would report the parent's size as its own peak
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux, bytes on macOS


def _measure(key: str, size: int, seed: int) -> MemoryFigure:
    from ruleward.bench.contenders import registry
    from ruleward.bench.corpus import iter_events

    kind = registry()[key]
    kind.preload()  # the engine's imports are not counted
    for _ in iter_events(1, seed):
        pass  # nor the generator's first use
    before = _max_rss_kib()
    contender = kind()
    contender.compile()
    for event in iter_events(size, seed):
        contender.evaluate(event)
    rss_growth = _max_rss_kib() - before

    tracemalloc.start()
    traced = kind()
    traced.compile()
    for event in iter_events(size, seed):
        traced.evaluate(event)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return MemoryFigure(rss_growth, peak // 1024)


def measure_in_fresh_process(key: str, size: int, seed: int) -> MemoryFigure:
    """Peak memory of contender `key` over `size` events of the corpus `seed`, in a new interpreter."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_measure, (key, size, seed))


__all__ = ["MemoryFigure", "measure_in_fresh_process"]
