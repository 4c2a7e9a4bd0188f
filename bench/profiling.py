"""Where the time goes: a short cProfile summary, by module and by function, for a missed target.

cProfile's own overhead inflates small Python functions, so the shares are a guide to where to look, not
a second measurement; the summary says how much time the profiled run took under the profiler.
"""

from __future__ import annotations

import cProfile
import pstats
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MARKERS = ("site-packages/", "lib/python3", f"{Path(__file__).resolve().parents[1]}/")
_WRAPPER_SHARE = 0.8


def _short(path: str) -> str:
    for marker in _MARKERS:
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _module_of(path: str) -> str:
    short = _short(path)
    if short.startswith("~") or short.startswith("<"):
        return "(built-in)" if short.startswith("~") else short
    return short


def summarize(stats: pstats.Stats, limit: int = 12) -> str:
    """Top modules and functions by own time (`tottime`), and the top calls by time including callees."""
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values()) or 1e-12
    by_module: dict[str, float] = defaultdict(float)
    functions: list[tuple[float, int, str]] = []
    inclusive: list[tuple[float, int, str]] = []
    for (path, line, name), (_, calls, tottime, cumtime, _) in raw.items():
        module = _module_of(path)
        by_module[module] += tottime
        where = f"{module}:{line}({name})" if line else f"{name}"
        functions.append((tottime, calls, where))
        # built-ins' cumulative time is their callers' business, and the frames that wrap nearly all of
        # the run (the entry point, a CLI framework's dispatch) say nothing about where it goes
        if line and cumtime <= _WRAPPER_SHARE * total:
            inclusive.append((cumtime, calls, where))
    lines = [f"total own time under cProfile: {total:.3f} s", "", "by module (own time):"]
    for module, seconds in sorted(by_module.items(), key=lambda item: -item[1])[:limit]:
        lines.append(f"  {100 * seconds / total:5.1f}%  {seconds:8.3f} s  {module}")
    lines += ["", "top functions (own time):", f"  {'share':>6}  {'seconds':>8}  {'calls':>9}  function"]
    for seconds, calls, where in sorted(functions, reverse=True)[:limit]:
        lines.append(f"  {100 * seconds / total:5.1f}%  {seconds:8.3f}  {calls:9d}  {where}")
    lines += [
        "",
        f"top calls including callees (cumulative; those over {_WRAPPER_SHARE:.0%} of the run left out):",
        f"  {'share':>6}  {'seconds':>8}  {'calls':>9}  function",
    ]
    for seconds, calls, where in sorted(inclusive, reverse=True)[:limit]:
        lines.append(f"  {100 * seconds / total:5.1f}%  {seconds:8.3f}  {calls:9d}  {where}")
    return "\n".join(lines)


def profile_call(call: Callable[[], object], limit: int = 12) -> str:
    """Run `call` under cProfile and summarize it."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
    return summarize(pstats.Stats(profiler), limit)


def summarize_file(path: Path, limit: int = 12) -> str:
    """Summarize a profile written by `python -m cProfile -o PATH ...`."""
    return summarize(pstats.Stats(str(path)), limit)


__all__ = ["profile_call", "summarize", "summarize_file"]
