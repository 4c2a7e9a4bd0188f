"""The benchmark suite's smoke test: the quick bench runs end to end, and a wrong engine stops it.

No figure is asserted (timings depend on the machine); what is asserted is that every workload ran, every
target got a verdict, the report was written, and that the agreement check refuses to time an engine that
decides differently from the hand-written function, naming the first event where it does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from ruleward.bench import handwritten
from ruleward.bench.command import WORKLOADS, run_suite
from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import HandWritten
from ruleward.bench.corpus import make_corpus

TARGETS = (
    "five rules: full ruleward decision vs hand-written",
    "five rules: ruleward vs fastest other engine",
    "default ruleset: one event (no validation)",
    "1000 rules: one event",
    "compile 1000 rules (Engine.load: parse + check + compile)",
    "tracing overhead, no SDK",
    "batch, all cores (`ruleward eval --format json`)",
)


class StrikesOffByOne(HandWritten):
    """The hand-written rules with one bug: R5 suspends at two active strikes instead of three."""

    key = "wrong"
    label = "deliberately wrong"

    def evaluate(self, event: Mapping[str, Any]) -> object:
        decision = handwritten.decide(event)
        if event["actor"].get("active_strikes", 0) == 2:
            return decision._replace(fired=(*decision.fired, handwritten.R5), account_action="suspend")
        return decision


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


def test_quick_bench_runs_end_to_end_and_refuses_a_wrong_engine(tmp_path: Path) -> None:
    config = BenchConfig.make(quick=True)
    console, printed = _console()
    report = tmp_path / "performance.md"

    assert run_suite(config, None, report, console) == 0, printed.getvalue()

    text = report.read_text(encoding="utf-8")
    for workload in WORKLOADS:
        assert f"running {workload}" in printed.getvalue()
    for target in TARGETS:
        row = next((line for line in text.splitlines() if line.startswith(f"| {target} |")), None)
        assert row is not None, f"no target row for {target!r}"
        assert any(f"**{verdict}**" in row for verdict in ("PASS", "MISS", "n/a")), row
    assert "(failed)" not in text and "Run stopped" not in text

    # the first event the wrong engine gets wrong, found here independently of the bench
    corpus = make_corpus(config.corpus_size, config.seed)
    first = next(i for i, e in enumerate(corpus) if e["actor"]["active_strikes"] == 2)  # type: ignore[index]
    wrong = replace(config, contenders=("python",), extra_contenders=[StrikesOffByOne()])
    console, printed = _console()
    stopped = tmp_path / "stopped.md"

    assert run_suite(wrong, ["compare"], stopped, console) == 1

    output = printed.getvalue()
    assert f"`deliberately wrong` disagrees with the hand-written function on event {first} " in output
    assert "expected: fired" in output and "r5_strikes" in output
    assert f'"event_id": "{corpus[first]["event_id"]}"' in output
    assert "Run stopped" in stopped.read_text(encoding="utf-8")
