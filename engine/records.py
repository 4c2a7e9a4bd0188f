"""Decision records: one JSON line per decision, holding the decision and the event it decided.

A record is `{"decision": Decision.to_dict(), "event": <the event as evaluated>}`. The decision names the
ruleset digest and the trace id; the event is kept so `replay` can evaluate it again, for an audit or to
see what a new ruleset version would have decided.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Final, Protocol, Self, cast

import orjson
from pydantic import BaseModel

if TYPE_CHECKING:
    from ruleward.engine.engine import Engine

# what a decision carries that differs between two evaluations of the same event by the same ruleset
VOLATILE_FIELDS: Final = frozenset({"decision_id", "trace_id", "elapsed_us"})


class RecordableDecision(Protocol):
    def to_dict(self) -> dict[str, object]: ...


class RecordFormatError(ValueError):
    """A records file line that is not a decision record."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


def event_json(event: object) -> object:
    """The JSON form of an event given to the engine: a pydantic model is dumped, decoded JSON kept."""
    if isinstance(event, BaseModel):
        return event.model_dump(mode="json")
    return event


def record_line(decision: Mapping[str, object], event: object) -> bytes:
    """The JSON line of one record: a decision's JSON form and the event it decided."""
    try:
        return orjson.dumps({"decision": decision, "event": event_json(event)}) + b"\n"
    except (TypeError, ValueError) as error:
        # an event too deep or too odd for JSON: keep the decision, the audit trail must not lose it
        unrecorded = {"unrecorded": f"{type(error).__name__}: {error}"}
        return orjson.dumps({"decision": decision, "event": unrecorded}) + b"\n"


class JsonlDecisionSink:
    """Appends decision records to a JSON Lines file or stream; safe to share between threads.

    A path is opened for appending and closed by `close()`; a stream given by the caller is only flushed.
    Each record is written with one `write` call under a lock, so lines from several threads never mix.
    """

    def __init__(self, target: str | os.PathLike[str] | IO[bytes] | IO[str]) -> None:
        self._lock = threading.Lock()
        self._closed = False
        if isinstance(target, str | os.PathLike):
            self._stream: IO[bytes] | IO[str] = open(target, "ab")
            self._owned = True
        else:
            self._stream = target
            self._owned = False

    def write(self, decision: RecordableDecision, event: object) -> None:
        self.write_lines(record_line(decision.to_dict(), event))

    def write_lines(self, lines: bytes) -> None:
        """Append records already encoded by `record_line` (several at once: one `write`, not mixed)."""
        if not lines:
            return
        with self._lock:
            if self._closed:
                raise ValueError("the decision sink is closed")
            if isinstance(self._stream, io.TextIOBase):
                self._stream.write(lines.decode())
            else:
                cast("IO[bytes]", self._stream).write(lines)

    def flush(self) -> None:
        with self._lock:
            if not self._closed:
                self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stream.flush()
            if self._owned:
                self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    line: int
    decision: dict[str, object]
    event: object


def read_records(path: str | os.PathLike[str]) -> Iterator[DecisionRecord]:
    """The records of a JSON Lines file, in order; blank lines are skipped."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            where = f"{os.fspath(path)}:{number}"
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise RecordFormatError(where, f"invalid JSON: {error.msg}") from None
            if not isinstance(record, dict) or not isinstance(record.get("decision"), dict):
                raise RecordFormatError(
                    where, 'not a decision record: expected {"decision": ..., "event": ...}'
                )
            if "event" not in record:
                raise RecordFormatError(where, "the record holds no event, so it cannot be replayed")
            yield DecisionRecord(number, record["decision"], record["event"])


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A recorded decision that the replay did not reproduce; `fields` names the parts that differ."""

    line: int
    event_id: object
    fields: tuple[str, ...]
    recorded: dict[str, object]
    replayed: dict[str, object]


def comparable(decision: Mapping[str, object]) -> dict[str, object]:
    """A decision's JSON form without what changes from run to run (ids, timings, where a file sat)."""
    kept = {key: value for key, value in decision.items() if key not in VOLATILE_FIELDS}
    errors = kept.get("errors")
    if isinstance(errors, list):
        kept["errors"] = [_without_directory(error) for error in errors]
    return kept


def _without_directory(error: object) -> object:
    # a ruleset loaded from another checkout names its files under another directory; same digest, same rules
    if not isinstance(error, dict) or not isinstance(error.get("span"), dict):
        return error
    span = dict(error["span"])
    if isinstance(span.get("file"), str):
        span["file"] = Path(span["file"]).name
    return {**error, "span": span}


def replay(
    records_path: str | os.PathLike[str], ruleset: Engine | str | Path, *, validate: bool = False
) -> list[Mismatch]:
    """Evaluate every recorded event again with `ruleset` (an engine, a path or a shipped name).

    Returns the records whose decision differs, ignoring decision ids, trace ids and timings; an empty
    list means every decision was reproduced. Raises `RecordFormatError` on a line that is not a record.
    Events are evaluated as recorded; `ruleward eval` records them already validated, so `validate` is
    needed only for records of an engine that validated events it received as raw JSON.
    """
    from ruleward.engine.engine import Engine  # the engine imports this module's users, not the reverse

    engine = ruleset if isinstance(ruleset, Engine) else Engine.load(ruleset, validate=validate)
    mismatches: list[Mismatch] = []
    for record in read_records(records_path):
        recorded = comparable(record.decision)
        # any value is decided: one that is not an object gets its `<event>` error again, as it did then
        replayed = comparable(engine.evaluate(cast("Mapping[str, Any]", record.event)).to_dict())
        if recorded != replayed:
            differing = tuple(
                sorted(
                    key for key in recorded.keys() | replayed.keys() if recorded.get(key) != replayed.get(key)
                )
            )
            mismatches.append(Mismatch(record.line, recorded.get("event_id"), differing, recorded, replayed))
    return mismatches


__all__ = [
    "DecisionRecord",
    "JsonlDecisionSink",
    "Mismatch",
    "RecordFormatError",
    "comparable",
    "read_records",
    "record_line",
    "replay",
]
