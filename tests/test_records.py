"""Tests for ruleward.engine.records: JSON Lines decision records and their replay."""

from __future__ import annotations

import io
import json
import random
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from ruleward.engine.engine import Engine
from ruleward.engine.events import validate_event
from ruleward.engine.records import (
    JsonlDecisionSink,
    RecordFormatError,
    comparable,
    event_json,
    read_records,
    replay,
)

_rng = random.Random(0x4EC0)
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "events"


def _hex(n_chars: int) -> str:
    return f"{_rng.getrandbits(4 * n_chars):0{n_chars}x}"


@dataclass(frozen=True)
class FakeDecision:
    record: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return self.record


def _decision(event_id: str) -> FakeDecision:
    return FakeDecision(
        {
            "decision_id": _hex(32),
            "event_id": event_id,
            "ruleset": {"name": "child_safety", "version": "2026.11.0", "digest": _hex(64)},
            "disposition": "allow",
            "trace_id": _hex(32),
            "elapsed_us": 17,
        }
    )


def _event(event_id: str) -> dict[str, object]:
    return {"event_id": event_id, "schema_version": "1", "context": {"n": 1}}


def test_a_record_holds_the_decision_and_the_event(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    decision, event = _decision("ev-1"), _event("ev-1")
    with JsonlDecisionSink(path) as sink:
        sink.write(decision, event)
    assert orjson.loads(path.read_bytes()) == {"decision": decision.record, "event": event}
    [record] = read_records(path)
    assert (record.line, record.decision, record.event) == (1, decision.record, event)


def test_a_path_is_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    for event_id in ("ev-1", "ev-2"):
        with JsonlDecisionSink(path) as sink:
            sink.write(_decision(event_id), _event(event_id))
    assert [r.event for r in read_records(path)] == [_event("ev-1"), _event("ev-2")]


@pytest.mark.parametrize("stream", [io.StringIO, io.BytesIO])
def test_a_stream_is_written_and_left_open(stream: type[io.StringIO] | type[io.BytesIO]) -> None:
    target = stream()
    sink = JsonlDecisionSink(target)
    sink.write(_decision("ev-1"), _event("ev-1"))
    sink.close()
    assert not target.closed
    value = target.getvalue()
    text = value if isinstance(value, str) else value.decode()
    assert text.endswith("\n") and json.loads(text)["event"] == _event("ev-1")


def test_writing_after_close_fails(tmp_path: Path) -> None:
    sink = JsonlDecisionSink(tmp_path / "r.jsonl")
    sink.close()
    sink.close()  # closing twice is harmless
    with pytest.raises(ValueError, match="closed"):
        sink.write(_decision("ev-1"), _event("ev-1"))


def test_a_pydantic_event_is_stored_as_json() -> None:
    example = json.loads((EXAMPLES / "verified-pdq-match.json").read_text())
    model = validate_event(example)
    stored = event_json(model)
    assert isinstance(stored, dict)
    assert validate_event(stored) == model  # the stored form validates back to the same event


def test_lines_from_many_threads_never_mix(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    # a large event makes each line longer than one buffer, so unlocked writes would interleave
    padding = _hex(20_000)
    threads, per_thread = 8, 50
    with JsonlDecisionSink(path) as sink:

        def work(thread: int) -> None:
            for i in range(per_thread):
                event = {**_event(f"ev-{thread}-{i}"), "context": {"padding": padding}}
                sink.write(_decision(f"ev-{thread}-{i}"), event)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    records = list(read_records(path))
    assert len(records) == threads * per_thread
    assert {r.decision["event_id"] for r in records} == {
        f"ev-{t}-{i}" for t in range(threads) for i in range(per_thread)
    }
    assert all(r.decision["event_id"] == r.event["event_id"] for r in records)  # type: ignore[index]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"decision": {}, "event": {}', "invalid JSON"),
        (b"[1, 2]", "not a decision record"),
        (b'{"decision": {"event_id": "x"}}', "holds no event"),
    ],
)
def test_a_bad_record_line_is_named(tmp_path: Path, line: bytes, problem: str) -> None:
    path = tmp_path / "records.jsonl"
    good = orjson.dumps({"decision": _decision("ev-1").record, "event": _event("ev-1")})
    path.write_bytes(good + b"\n\n" + line + b"\n")
    with pytest.raises(RecordFormatError, match=problem) as caught:
        list(read_records(path))
    assert caught.value.where == f"{path}:3"


def test_comparable_drops_what_differs_between_runs() -> None:
    record = _decision("ev-1").record | {
        "errors": [{"rule": "r", "message": "m", "span": {"file": "/a/b/x.rw", "line": 3, "column": 1}}]
    }
    other = _decision("ev-1").record | {
        "ruleset": record["ruleset"],
        "errors": [{"rule": "r", "message": "m", "span": {"file": "/c/x.rw", "line": 3, "column": 1}}],
    }
    assert record["decision_id"] != other["decision_id"]
    assert comparable(record) == comparable(other)
    assert comparable(record) != comparable(other | {"disposition": "block"})


# ---- replay -----------------------------------------------------------------------------------------------


def _record_examples(engine: Engine, path: Path) -> None:
    with JsonlDecisionSink(path) as sink:
        for file in sorted(EXAMPLES.glob("*.json")):
            event = json.loads(file.read_text())
            sink.write(engine.evaluate(event), event)


def test_replay_against_the_same_ruleset_reproduces_every_decision(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    _record_examples(Engine.load("child_safety"), records)
    assert len(list(read_records(records))) == len(list(EXAMPLES.glob("*.json")))
    # a fresh engine, loaded by path rather than by name: same rules, same digest, same decisions
    assert replay(records, ROOT / "rulesets" / "child_safety") == []
    assert replay(records, "child_safety", validate=True) == []


def test_replay_against_another_ruleset_names_what_changed(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    _record_examples(Engine.load("child_safety"), records)
    shutil.copytree(ROOT / "rulesets" / "child_safety", tmp_path / "next")
    main = tmp_path / "next" / "child_safety.rw"
    source = main.read_text()
    # the next version of the ruleset stops banning on a verified match
    changed = source.replace('report(to: "ncmec"),\n    ban,', 'report(to: "ncmec"),')
    assert changed != source
    main.write_text(changed)
    mismatches = replay(records, tmp_path / "next")
    assert mismatches
    every = {m.event_id for m in mismatches}
    banned = {m.event_id for m in mismatches if m.recorded["account_action"] == {"kind": "ban"}}
    assert banned == {"ev-0002", "ev-0004"}
    for mismatch in mismatches:
        assert "ruleset" in mismatch.fields  # another digest
        if mismatch.event_id in banned:
            assert "account_action" in mismatch.fields and "matched" in mismatch.fields
            assert mismatch.replayed["account_action"] == {"kind": "none"}
    assert every == {json.loads(f.read_text())["event_id"] for f in EXAMPLES.glob("*.json")}
