"""Reading events for `ruleward eval`: `.json` documents, JSON Lines, or standard input.

Two readers share one set of rules. `read_events` yields the events of an input one at a time, each
with where it came from (`file:line`, `file[index]`). `read_blocks` yields the same input as blocks: JSON
Lines as raw bytes of whole lines, a few hundred kilobytes at a time, with the number of their first line,
so that parsing, validating and deciding can happen elsewhere (in a worker process) and nothing per line
is done by the reader; a JSON document, parsed here, as blocks of its events. Whatever the reader, an
event gets the same `where`, and the same problem is reported for a line that is not an event.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import IO, Final

import orjson
from pydantic import ValidationError

BLOCK_BYTES: Final = 512 * 1024  # enough lines per block that handing a block to a worker costs little
BLOCK_EVENTS: Final = 500  # events of a parsed document per block


@dataclass(frozen=True, slots=True)
class EventInput:
    """One event read from an input, or the reason it could not be read; `where` is file:line or file[i]."""

    where: str
    event: object = None
    problem: str | None = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Whole lines of a JSON Lines input: `data` starts at line `first_line` of `where`."""

    where: str
    first_line: int
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class ItemBlock:
    """Events already read (from a JSON document, or a problem with an input), in input order."""

    items: tuple[EventInput, ...]

    @property
    def size(self) -> int:
        return sum(item.size for item in self.items)


Block = LineBlock | ItemBlock


# ---- one event at a time ----------------------------------------------------------------------------------


def read_events(argument: str) -> Iterator[EventInput]:
    """The events of one EVENT argument: a `.json` file, a `.jsonl` file, or `-` for stdin."""
    if argument == "-":
        yield from _sniffed(_stdin_lines(), "<stdin>")
        return
    path = Path(argument)
    try:
        stream = path.open("rb")
    except OSError as error:
        yield EventInput(argument, problem=f"cannot read `{argument}`: {error.strerror}")
        return
    with stream:
        suffix = path.suffix.lower()
        if suffix == ".json":
            yield from _document(stream.read(), argument)
        elif suffix in {".jsonl", ".ndjson"}:
            yield from _lines(stream, argument)
        else:
            yield from _sniffed(stream, argument)


def _stdin_lines() -> Iterable[bytes]:
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    return stdin if stdin is not None else (s.encode() for s in sys.stdin)


def expand(value: object, where: str, size: int) -> Iterator[EventInput]:
    """A decoded value as events: an array holds several, named `where[index]`."""
    if not isinstance(value, list):
        yield EventInput(where, value, size=size)
        return
    for index, item in enumerate(value):
        yield EventInput(f"{where}[{index}]", item, size=size // len(value))


def _document(data: bytes, where: str) -> Iterator[EventInput]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        yield EventInput(
            f"{where}:{error.lineno}:{error.colno}", problem=f"invalid JSON: {error.msg}", size=len(data)
        )
        return
    yield from expand(value, where, len(data))


def json_line_problem(error: orjson.JSONDecodeError) -> str:
    return f"invalid JSON at column {error.colno}: {error.msg}"


def _lines(lines: Iterable[bytes], where: str) -> Iterator[EventInput]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield EventInput(f"{where}:{number}", problem=json_line_problem(error), size=len(raw))
            continue
        yield from expand(value, f"{where}:{number}", len(raw))


def parsed_lines(block: LineBlock) -> Iterator[tuple[int, object, orjson.JSONDecodeError | None]]:
    """Each line of a block that is not blank: its number, and its value or why it is not JSON."""
    number = block.first_line - 1
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    lines = block.data.split(b"\n")
    last = len(lines) - 1
    for index, raw in enumerate(lines):
        number += 1
        if not raw.strip():
            continue
        try:
            value = loads(raw)
        except decode_error:
            # parsed again with its newline, as `read_events` parses it, for the same column in the message
            yield number, None, _decode_error(raw + b"\n" if index < last else raw)
            continue
        yield number, value, None


def _decode_error(line: bytes) -> orjson.JSONDecodeError:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError as error:
        return error
    raise AssertionError("a line that does not parse parsed")  # pragma: no cover


def line_items(block: LineBlock) -> Iterator[EventInput]:
    """The events of a block of lines, named and checked as `read_events` does."""
    for number, value, error in parsed_lines(block):
        where = f"{block.where}:{number}"
        if error is not None:
            yield EventInput(where, problem=json_line_problem(error))
        else:
            yield from expand(value, where, 0)


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _sniffed(lines: Iterable[bytes], where: str) -> Iterator[EventInput]:
    """JSON Lines, or one JSON document spread over lines: decided by whether the first line parses."""
    stream = iter(lines)
    head: list[bytes] = []
    for raw in stream:
        head.append(raw)
        if raw.strip():
            break
    if not head or not head[-1].strip():
        return
    if _parses(head[-1]):
        yield from _lines(chain(head, stream), where)
        return
    yield from _whole(b"".join(chain(head, stream)), len(head), where)


def _whole(data: bytes, skip: int, where: str) -> Iterator[EventInput]:
    """A whole input whose first line is not JSON: JSON Lines if the line after it parses, else a document."""
    others = [line for line in data.splitlines()[skip:] if line.strip()]
    if others and _parses(others[0]):
        yield from _lines(data.splitlines(keepends=True), where)  # JSON Lines whose first line is broken
    else:
        yield from _document(data, where)


# ---- in blocks --------------------------------------------------------------------------------------------


def read_blocks(argument: str, block_bytes: int | None = None) -> Iterator[Block]:
    """The events of one EVENT argument in blocks, in input order: what `read_events` reads, in bulk."""
    block_bytes = block_bytes or BLOCK_BYTES
    if argument == "-":
        stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
        if stdin is None:  # a text stream standing in for stdin (in tests): read it as a whole
            yield from _sniffed_blocks(_Chunks(sys.stdin.read().encode()), "<stdin>", block_bytes)
        else:
            yield from _sniffed_blocks(stdin, "<stdin>", block_bytes)
        return
    path = Path(argument)
    try:
        stream = path.open("rb")
    except OSError as error:
        yield ItemBlock((EventInput(argument, problem=f"cannot read `{argument}`: {error.strerror}"),))
        return
    with stream:
        suffix = path.suffix.lower()
        if suffix == ".json":
            yield from _item_blocks(_document(stream.read(), argument))
        elif suffix in {".jsonl", ".ndjson"}:
            yield from _line_blocks(stream, argument, b"", block_bytes)
        else:
            yield from _sniffed_blocks(stream, argument, block_bytes)


class _Chunks:
    """Bytes already in memory, read like a binary stream."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = self._data[self._at : end]
        self._at += len(chunk)
        return chunk


def _item_blocks(items: Iterable[EventInput]) -> Iterator[ItemBlock]:
    iterator = iter(items)
    while block := tuple(islice(iterator, BLOCK_EVENTS)):
        yield ItemBlock(block)


def _line_blocks(
    stream: IO[bytes] | _Chunks, where: str, head: bytes, block_bytes: int
) -> Iterator[LineBlock]:
    """Whole lines, split on `\\n` as iterating over a binary file does, so line numbers agree."""
    number = 1
    pending = head
    while chunk := stream.read(block_bytes):
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # one line longer than a block: keep reading
            pending = data
            continue
        pending = data[cut:]
        block = data[:cut] if pending else data
        yield LineBlock(where, number, block)
        number += block.count(b"\n")
    if pending:
        yield LineBlock(where, number, pending)


def _sniffed_blocks(stream: IO[bytes] | _Chunks, where: str, block_bytes: int) -> Iterator[Block]:
    """`_sniffed` in blocks: JSON Lines if the first line that is not blank parses, else as it decides."""
    head = b""
    while (start := _first_line(head)) is None:
        chunk = stream.read(block_bytes)
        if not chunk:
            start = head.rfind(b"\n") + 1  # the last line, with no newline after it
            break
        head += chunk
    first = head[start:].split(b"\n", 1)[0]
    if not first.strip():
        return  # nothing but blank lines
    if _parses(first):
        yield from _line_blocks(stream, where, head, block_bytes)
        return
    lines_read = head.count(b"\n", 0, start) + 1  # the blank lines and the first one
    yield from _item_blocks(_whole(head + stream.read(), lines_read, where))


def _first_line(data: bytes) -> int | None:
    """Where the first line of `data` that is not blank starts, once a whole one (to `\\n`) is read."""
    start = 0
    while (end := data.find(b"\n", start)) >= 0:
        if data[start:end].strip():
            return start
        start = end + 1
    return None


def input_size(arguments: Iterable[str]) -> int:
    """How many bytes the inputs hold, as far as known (a pipe's size is not known: it counts 0)."""
    total = 0
    for argument in arguments:
        try:
            if argument == "-":
                info = os.fstat(sys.stdin.fileno())
                total += info.st_size if stat.S_ISREG(info.st_mode) else 0
            else:
                total += Path(argument).stat().st_size
        except (OSError, ValueError, AttributeError):
            pass
    return total


# ---- what is wrong with an event --------------------------------------------------------------------------


def field_path(location: Iterable[int | str]) -> str:
    """A pydantic error location as a path: `hash_matches[0].distance`."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(the event)"


def validation_problem(error: ValidationError, limit: int = 5) -> str:
    problems = [f"`{field_path(e['loc'])}`: {e['msg']}" for e in error.errors()]
    shown = problems[:limit]
    if len(problems) > limit:
        shown.append(f"and {len(problems) - limit} more")
    return "invalid event: " + "; ".join(shown)


def json_kind(value: object) -> str:
    match value:
        case list():
            return "an array"
        case str():
            return "a string"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case None:
            return "null"
    return type(value).__name__


__all__ = [
    "BLOCK_BYTES",
    "Block",
    "EventInput",
    "ItemBlock",
    "LineBlock",
    "expand",
    "field_path",
    "input_size",
    "json_kind",
    "json_line_problem",
    "line_items",
    "parsed_lines",
    "read_blocks",
    "read_events",
    "validation_problem",
]
