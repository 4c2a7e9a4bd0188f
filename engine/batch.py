"""Deciding events in blocks, in this process or in worker processes: the work behind `ruleward eval`.

A `Decider` turns one block of input (see `event_input`) into a `BlockResult`: the decisions' output
(JSON lines as bytes, or records for the text summary), the decision records, the messages about events
that were not decided, and the counts. It prints nothing, so the same code runs in this process
(`--jobs 1`) and in workers, and the output is the same either way: results are written in input order
by the one process that owns stdout, stderr and the records file.

Workers are forked where that is safe (Linux), so each one starts with the engine already loaded; where
processes are spawned instead, each loads the ruleset once when it starts. At most a few blocks per
worker are in flight, so memory stays bounded however large the input.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING, Final

import orjson
from pydantic import BaseModel, ValidationError

from ruleward.engine.event_dicts import decides_as_it_came
from ruleward.engine.event_input import (
    Block,
    EventInput,
    LineBlock,
    expand,
    json_kind,
    json_line_problem,
    parsed_lines,
    validation_problem,
)
from ruleward.engine.events import ModerationEvent
from ruleward.engine.records import record_line

if TYPE_CHECKING:
    from ruleward.engine.decision import Decision
    from ruleward.engine.engine import Engine
    from ruleward.engine.explain import Explanation


IN_FLIGHT_PER_JOB: Final = 4  # blocks queued per worker: enough to keep each busy, few enough to bound memory


class WorkerFailed(RuntimeError):
    """A worker process ended before it finished its blocks."""


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """What `ruleward eval` asks for each event, beyond the ruleset."""

    json: bool  # one JSON line per decision; otherwise records for the text summary
    explain: bool
    validate: bool
    records: bool  # build a decision record (decision and event) per event


@dataclass(slots=True)
class Message:
    """A line for stderr about one event: malformed (`internal` false) or an engine failure."""

    text: str
    internal: bool = False


@dataclass(slots=True)
class BlockResult:
    """Everything that deciding one block gives, for the process that writes it out."""

    size: int = 0
    output: bytes = b""  # JSON lines (--format json)
    summaries: list[tuple[dict[str, object], str | None]] = field(default_factory=list)  # record, explanation
    records: bytes = b""
    messages: list[Message] = field(default_factory=list)
    dispositions: dict[str, int] = field(default_factory=dict)
    malformed: int = 0
    broken: int = 0


class Decider:
    """Decides the events of blocks with one engine; one per process."""

    def __init__(self, engine: Engine, options: BatchOptions) -> None:
        self.engine = engine
        self.options = options
        self.schema: type[BaseModel] | None = engine.ruleset.schema if options.validate else None
        # The validated form of an event is what pydantic dumps back; for the default schema, an event that
        # `decides_as_it_came` needs only the verdict, which `EVENT_DICT` gives for half the cost of building
        # the models. Explanations show values and records keep the event, so both take the dumped form; so
        # does a host's own schema.
        keep_input = (
            self.schema is ModerationEvent and options.json and not options.explain and not options.records
        )
        self._validated = self._checked_as_it_came if keep_input else self._dumped
        self._spliced = options.json and not options.explain and not options.records
        self._lines = DecisionLines()

    def block(self, block: Block) -> BlockResult:
        result = BlockResult(size=block.size)
        out: list[bytes] = []
        records: list[bytes] = []
        if isinstance(block, LineBlock):
            where = block.where
            for number, value, error in parsed_lines(block):
                if value.__class__ is dict:  # the common case: `where` is spelled out only if needed
                    self._event(value, where, number, result, out, records)
                elif error is not None:
                    self._malformed(f"{where}:{number}", json_line_problem(error), result)
                else:
                    self._items(expand(value, f"{where}:{number}", 0), result, out, records)
        else:
            self._items(block.items, result, out, records)
        result.output = b"".join(out)
        result.records = b"".join(records)
        return result

    def _items(
        self, items: Iterable[EventInput], result: BlockResult, out: list[bytes], records: list[bytes]
    ) -> None:
        for item in items:
            event = item.event
            if item.problem is not None:
                self._malformed(item.where, item.problem, result)
            elif isinstance(event, dict):
                self._event(event, item.where, None, result, out, records)
            else:
                self._malformed(item.where, f"an event is a JSON object, not {json_kind(event)}", result)

    def _malformed(self, where: str, problem: str, result: BlockResult) -> None:
        result.malformed += 1
        result.messages.append(Message(f"{where}: {problem}"))

    def _event(
        self,
        event: dict[str, object],
        where: str,
        line: int | None,
        result: BlockResult,
        out: list[bytes],
        records: list[bytes],
    ) -> None:
        """Decide one event, found at `where` (at `where:line` when `line` is given)."""
        schema = self.schema
        if schema is not None:
            # validated here rather than by the engine, which would decide a malformed event (failing closed)
            # where the command line must report it
            try:
                event = self._validated(event)
            except ValidationError as error:
                at = where if line is None else f"{where}:{line}"
                self._malformed(f"{at}{_event_label(event)}", validation_problem(error), result)
                return
        explanation: Explanation | None = None
        try:
            if self.options.explain:
                explanation = self.engine.explain(event)
                decision = explanation.decision
            else:
                decision = self.engine.evaluate(event)
        except Exception as error:  # a bug, not bad input: say so, decide the other events, exit 2 at the end
            at = where if line is None else f"{where}:{line}"
            result.broken += 1
            text = f"{at}{_event_label(event)}: internal error: {type(error).__name__}: {error}"
            result.messages.append(Message(text, internal=True))
            return
        self._emit(decision, explanation, event, result, out, records)

    def _checked_as_it_came(self, event: dict[str, object]) -> dict[str, object]:
        return event if decides_as_it_came(event) else self._dumped(event)

    def _dumped(self, event: dict[str, object]) -> dict[str, object]:
        assert self.schema is not None
        return self.schema.model_validate(event).model_dump(mode="json")

    def _emit(
        self,
        decision: Decision,
        explanation: Explanation | None,
        event: dict[str, object],
        result: BlockResult,
        out: list[bytes],
        records: list[bytes],
    ) -> None:
        disposition = decision.disposition
        result.dispositions[disposition] = result.dispositions.get(disposition, 0) + 1
        if self._spliced:
            out.append(self._lines.line(decision))
            return
        record = decision.to_dict()
        if self.options.json:
            if explanation is not None:
                why = {key: value for key, value in explanation.to_dict().items() if key != "decision"}
                out.append(orjson.dumps({**record, "explanation": why}, option=orjson.OPT_APPEND_NEWLINE))
            else:
                out.append(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        else:
            result.summaries.append((record, explanation.render() if explanation is not None else None))
        if self.options.records:
            records.append(record_line(record, event))


class DecisionLines:
    """`orjson.dumps(decision.to_dict())` and a newline, most of it serialised once per outcome.

    A decision's JSON is the same for every decision with the same outcome, errors and ruleset but for
    four fields: its id and event id first, its trace id and elapsed time last. The part between is kept
    per outcome and the four are written around it.
    """

    LIMIT: Final = 4096  # outcomes kept: enough for a ruleset's fired sets, bounded whatever the input

    def __init__(self) -> None:
        self._middles: dict[tuple[object, ...], bytes | None] = {}

    def line(self, decision: Decision) -> bytes:
        key = (decision.outcome, decision.errors, decision.ruleset)
        middle = self._middles.get(key, b"")
        if middle == b"":
            middle = self._middle(decision, key)
        if middle is None:  # not the layout this relies on
            return orjson.dumps(decision.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
        return b'{"decision_id":%s,"event_id":%s,%s,"trace_id":%s,"elapsed_us":%s}\n' % (
            orjson.dumps(decision.decision_id),
            orjson.dumps(decision.event_id),
            middle,
            orjson.dumps(decision.trace_id),
            orjson.dumps(decision.elapsed_us),
        )

    def _middle(self, decision: Decision, key: tuple[object, ...]) -> bytes | None:
        record = decision.to_dict()
        keys = list(record)
        middle: bytes | None = None
        if keys[:2] == ["decision_id", "event_id"] and keys[-2:] == ["trace_id", "elapsed_us"]:
            middle = orjson.dumps({name: record[name] for name in keys[2:-2]})[1:-1]
        if len(self._middles) >= self.LIMIT:
            self._middles.clear()
        self._middles[key] = middle
        return middle


def _event_label(event: object) -> str:
    event_id = event.get("event_id") if isinstance(event, dict) else None
    return f" (event `{event_id}`)" if isinstance(event_id, str) else ""


# ---- running blocks: here, or in worker processes ---------------------------------------------------------


def decide_blocks(
    decider: Decider, blocks: Iterable[Block], jobs: int, load: Callable[[], Decider]
) -> Iterator[BlockResult]:
    """The results of `blocks`, in order, decided here (`jobs` 1) or by `jobs` worker processes.

    A forked worker inherits `decider`; a spawned one calls `load` once to build its own, so `load` must be
    picklable (a module-level function, or a `functools.partial` of one).
    """
    if jobs <= 1:
        for block in blocks:
            yield decider.block(block)
        return
    global _worker
    forked = start_method() == "fork"
    _worker = decider if forked else None  # a forked worker finds it here, loaded
    executor = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("fork" if forked else "spawn"),
        initializer=_start_worker,
        initargs=(None if forked else load,),
    )
    pending: deque[Future[BlockResult]] = deque()
    try:
        for block in blocks:
            pending.append(executor.submit(_decide_in_worker, block))
            if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as error:  # a worker was killed (out of memory, a signal)
        raise WorkerFailed(str(error)) from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _worker = None


_worker: Decider | None = None
_worker_failure = "the worker has no engine"


def start_method() -> str:
    """`fork` where it is safe (Linux: workers inherit the loaded engine), else `spawn`."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _start_worker(load: Callable[[], Decider] | None) -> None:
    global _worker, _worker_failure
    # Ctrl-C reaches every process of the terminal: the parent stops the run, workers just end with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if load is not None:
        try:
            _worker = load()
        except Exception as error:  # said when the first block comes, rather than as a traceback here
            _worker_failure = f"cannot load the ruleset: {error or type(error).__name__}"


def _decide_in_worker(block: Block) -> BlockResult:
    if _worker is None:
        raise WorkerFailed(_worker_failure)
    return _worker.block(block)


def default_jobs(input_bytes: int, threshold: int) -> int:
    """All the cores this process may use for an input of at least `threshold` bytes, else one."""
    if input_bytes < threshold:
        return 1
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


__all__ = [
    "BatchOptions",
    "BlockResult",
    "Decider",
    "DecisionLines",
    "Message",
    "WorkerFailed",
    "decide_blocks",
    "default_jobs",
    "start_method",
]
