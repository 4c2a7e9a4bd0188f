"""Where the time of `ruleward eval --format json` goes, per event, on one core.

The stages are timed as the command runs them, one event at a time, every result dropped at once, so the
collector and the caches see what they see in the command: timing each stage over the whole sample and
keeping its results would show costs the command never pays. Each pass runs the pipeline up to one more
stage (read; read and parse; ... ; everything and write); a stage's cost is the difference between its
pass and the one before. The passes are interleaved in rounds and each difference is the median over the
rounds, so load from other work on the machine falls on every stage alike. The last pass is the
command's own block decider (`ruleward.engine.batch.Decider`): what it costs beyond the stages is its
bookkeeping.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from ruleward.engine.batch import BatchOptions, Decider, DecisionLines
from ruleward.engine.engine import Engine
from ruleward.engine.event_dicts import EVENT_DICT
from ruleward.engine.event_input import LineBlock, read_blocks
from ruleward.engine.tracing import DecisionTracer

STAGES = (
    ("read", "lines split out of blocks (the file read once, beforehand)"),
    ("parse", "`orjson.loads` of each line"),
    ("validate", "`EVENT_DICT.validate_python`: pydantic, strict, `ModerationEvent`'s rules, into dicts"),
    ("evaluate", "`Engine.evaluate`: compiled rules, decision, tracer"),
    ("serialise + write", "`DecisionLines.line` per decision (once per outcome), one write per block"),
    ("command bookkeeping", "the block decider beyond the stages: counts, timestamp check, messages"),
)


@dataclass(frozen=True)
class Breakdown:
    events: int
    micros: dict[str, float]  # stage -> median µs per event

    @property
    def total(self) -> float:
        return sum(self.micros.values())


def measure(sample: Path, rounds: int, ruleset: str) -> Breakdown:
    """The median cost per event of each stage, over `rounds` interleaved rounds on `sample`."""
    engine = Engine.load(ruleset, validate=False, tracer=DecisionTracer())
    blocks = [block for block in read_blocks(str(sample)) if isinstance(block, LineBlock)]
    events = sum(1 for block in blocks for line in block.data.split(b"\n") if line.strip())
    decider = Decider(engine, BatchOptions(json=True, explain=False, validate=True, records=False))
    gc.collect()
    with open(os.devnull, "wb") as sink:
        passes = _passes(blocks, engine, decider, sink)
        samples: list[list[float]] = [[] for _ in passes]
        for _ in range(rounds):
            for index, run in enumerate(passes):
                start = time.perf_counter()
                run()
                samples[index].append((time.perf_counter() - start) * 1e6 / max(events, 1))
    medians = [statistics.median(values) for values in samples]
    stages = [name for name, _ in STAGES]
    micros = {stages[0]: medians[0]}
    for index in range(1, len(medians)):
        micros[stages[index]] = max(0.0, medians[index] - medians[index - 1])
    return Breakdown(events, micros)


def _passes(
    blocks: list[LineBlock], engine: Engine, decider: Decider, sink: IO[bytes]
) -> list[Callable[[], None]]:
    loads, line = orjson.loads, DecisionLines().line
    validate = EVENT_DICT.validate_python  # as the command validates an event it decides as it came
    evaluate = engine.evaluate

    def read() -> None:
        for block in blocks:
            for raw in block.data.split(b"\n"):
                if not raw.strip():
                    continue

    def parse() -> None:
        for block in blocks:
            for raw in block.data.split(b"\n"):
                if raw.strip():
                    loads(raw)

    def validated() -> None:
        for block in blocks:
            for raw in block.data.split(b"\n"):
                if raw.strip():
                    validate(loads(raw))

    def evaluated() -> None:
        for block in blocks:
            for raw in block.data.split(b"\n"):
                if raw.strip():
                    event = loads(raw)
                    validate(event)
                    evaluate(event)

    def written() -> None:
        for block in blocks:
            out = []
            for raw in block.data.split(b"\n"):
                if raw.strip():
                    event = loads(raw)
                    validate(event)
                    out.append(line(evaluate(event)))
            sink.write(b"".join(out))

    def command() -> None:
        for block in blocks:
            sink.write(decider.block(block).output)

    return [read, parse, validated, evaluated, written, command]


__all__ = ["STAGES", "Breakdown", "measure"]
