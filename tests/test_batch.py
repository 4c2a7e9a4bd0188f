"""Tests for batch evaluation: `ruleward eval --jobs`, reading input in blocks, and deciding an event as it
came once it validated (instead of pydantic's dump of it)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from ruleward.bench.corpus import make_corpus
from ruleward.engine import batch, event_input
from ruleward.engine.batch import BatchOptions, Decider, default_jobs
from ruleward.engine.cli import app
from ruleward.engine.engine import Engine
from ruleward.engine.event_input import LineBlock, line_items, read_blocks, read_events
from ruleward.engine.events import ModerationEvent
from ruleward.engine.records import comparable, read_records, replay
from ruleward.testing import events

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "events"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
FIVE_RULES = ROOT / "bench" / "rulesets" / "five_rules.rw"

_ENV: dict[str, str | None] = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}
_ENGINES: dict[tuple[str, object], Engine] = {}


def engine(source: str | Path = "child_safety") -> Engine:
    key = (str(source), None)
    if key not in _ENGINES:
        _ENGINES[key] = Engine.load(source)
    return _ENGINES[key]


@pytest.fixture(autouse=True)
def _one_engine_per_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a ruleset takes a while: each is loaded once for the file (workers inherit it, forked)."""
    load = Engine.load

    def cached(source: str, schema: object = None, **options: Any) -> Engine:
        key = (f"cli:{source}", schema)
        if key not in _ENGINES:
            _ENGINES[key] = load(source, schema, **options)  # type: ignore[arg-type]
        return _ENGINES[key]

    monkeypatch.setattr(Engine, "load", cached)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines, so that a small file is split into many and line numbers cross blocks."""
    monkeypatch.setattr(event_input, "BLOCK_BYTES", 3000)
    monkeypatch.setattr(event_input, "BLOCK_EVENTS", 3)


def invoke(*args: str | Path, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin, env=_ENV)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def decisions(text: str) -> list[dict[str, Any]]:
    return [comparable(json.loads(line)) for line in text.splitlines()]


def corpus(size: int) -> list[dict[str, Any]]:
    return make_corpus(size, seed=7)  # type: ignore[return-value]


def mixed_input(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    """A JSON Lines file of decidable events and malformed lines at known places; the event ids expected
    out, in order, and the messages expected on stderr, in order."""
    good = corpus(60)
    lines: list[str] = []
    expected_ids: list[str] = []
    messages: list[str] = []
    path = tmp_path / "events.jsonl"
    for index, event in enumerate(good):
        number = len(lines) + 1
        if index == 5:
            lines.append('{"event_id": "ev-broken", ')
            messages.append(f"{path}:{number}: invalid JSON at column")
        elif index == 17:
            bad = {**event, "content": {**event["content"], "width": "wide"}}  # type: ignore[dict-item]
            lines.append(json.dumps(bad))
            messages.append(f"{path}:{number} (event `{event['event_id']}`): invalid event: `content.width`")
        elif index == 23:
            lines.append("42")
            messages.append(f"{path}:{number}: an event is a JSON object, not a number")
        elif index == 31:
            lines.append(json.dumps([event, "x"]))
            expected_ids.append(str(event["event_id"]))
            messages.append(f"{path}:{number}[1]: an event is a JSON object, not a string")
        elif index % 9 == 0:
            lines.extend(["", "   "])
            lines.append(json.dumps(event))
            expected_ids.append(str(event["event_id"]))
        else:
            lines.append(json.dumps(event))
            expected_ids.append(str(event["event_id"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, expected_ids, messages


# ---- --jobs -----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("small_blocks")
def test_jobs_keep_input_order_and_report_malformed_lines_by_line(tmp_path: Path) -> None:
    path, expected_ids, messages = mixed_input(tmp_path)
    one = invoke("eval", "child_safety", path, "-f", "json", "--jobs", "1")
    two = invoke("eval", "child_safety", path, "-f", "json", "--jobs", "2")
    for result in (one, two):
        assert result.exit_code == 1, result.output
        assert [d["event_id"] for d in decisions(result.stdout)] == expected_ids
        reported = result.stderr.splitlines()
        assert len(reported) == len(messages) + 1
        for line, message in zip(reported, messages, strict=False):
            assert line.startswith(message), (line, message)
        assert reported[-1] == f"{len(messages)} malformed events"
    assert decisions(two.stdout) == decisions(one.stdout)
    assert two.stderr == one.stderr


@pytest.mark.usefixtures("small_blocks")
def test_jobs_give_the_same_text_explanations_and_records(tmp_path: Path) -> None:
    path, _, _ = mixed_input(tmp_path)
    for options in ((), ("--explain",), ("--explain", "-f", "json"), ("--no-validate", "-f", "json")):
        one = invoke("eval", "child_safety", path, *options, "--jobs", "1")
        two = invoke("eval", "child_safety", path, *options, "--jobs", "2")
        assert two.exit_code == one.exit_code
        if "json" in options:
            assert decisions(two.stdout) == decisions(one.stdout)
        else:
            assert two.stdout.replace(" ", "") != ""
            assert _without_volatile(two.stdout) == _without_volatile(one.stdout)
        assert two.stderr == one.stderr
    records_one, records_two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    invoke("eval", "child_safety", path, "-f", "json", "--jobs", "1", "--records", records_one)
    invoke("eval", "child_safety", path, "-f", "json", "--jobs", "2", "--records", records_two)
    one_records, two_records = list(read_records(records_one)), list(read_records(records_two))
    assert len(one_records) == len(two_records) > 50
    assert [(comparable(r.decision), r.event) for r in two_records] == [
        (comparable(r.decision), r.event) for r in one_records
    ]
    assert replay(records_two, "child_safety") == []


def _without_volatile(text: str) -> str:
    # the text summary shows no ids or timings, except an explanation's elapsed time, if any
    return "\n".join(line for line in text.splitlines() if "elapsed" not in line)


@pytest.mark.usefixtures("small_blocks")
def test_jobs_over_several_inputs_and_stdin(tmp_path: Path) -> None:
    events_ = corpus(20)
    array = tmp_path / "array.json"
    array.write_text(json.dumps(events_[:7]))
    lines = tmp_path / "lines.ndjson"
    lines.write_text("\n".join(json.dumps(e) for e in events_[7:14]))  # no newline at the end
    stdin = "\n".join(json.dumps(e) for e in events_[14:]) + "\n"
    args = ("eval", "child_safety", array, lines, "-", tmp_path / "missing.jsonl", "-f", "json")
    one = invoke(*args, "--jobs", "1", stdin=stdin)
    two = invoke(*args, "--jobs", "2", stdin=stdin)
    assert one.exit_code == two.exit_code == 1
    assert [d["event_id"] for d in decisions(two.stdout)] == [e["event_id"] for e in events_]
    assert decisions(two.stdout) == decisions(one.stdout)
    assert "cannot read" in two.stderr and two.stderr == one.stderr


def test_spawned_workers_load_the_ruleset_themselves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "start_method", lambda: "spawn")
    path, expected_ids, _ = mixed_input(tmp_path)
    result = invoke("eval", "child_safety", path, "-f", "json", "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert [d["event_id"] for d in decisions(result.stdout)] == expected_ids


def test_an_engine_failure_in_a_worker_is_reported_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events_ = corpus(6)
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events_))
    evaluate = Engine.evaluate
    victim = events_[2]["event_id"]

    def failing(self: Engine, event: Any, **options: Any) -> Any:
        if event["event_id"] == victim:
            raise RuntimeError("boom")
        return evaluate(self, event, **options)

    monkeypatch.setattr(Engine, "evaluate", failing)  # forked workers inherit the patch
    result = invoke("eval", "child_safety", path, "-f", "json", "--jobs", "2")
    assert result.exit_code == 2
    assert f"error: {path}:3 (event `{victim}`): internal error: RuntimeError: boom" in result.stderr
    assert [d["event_id"] for d in decisions(result.stdout)] == [
        e["event_id"] for e in events_ if e["event_id"] != victim
    ]


def test_a_worker_that_dies_stops_the_command_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in corpus(4)))
    monkeypatch.setattr(Engine, "evaluate", lambda *_, **__: os._exit(3))
    result = invoke("eval", "child_safety", path, "-f", "json", "--jobs", "2")
    assert result.exit_code == 2
    assert "error: a worker process failed:" in result.stderr and "--jobs 1" in result.stderr


def test_a_spawned_worker_that_cannot_load_the_ruleset_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "start_method", lambda: "spawn")
    gone = tmp_path / "gone.rw"  # the parent has it loaded already; the workers find no file
    _ENGINES[(f"cli:{gone}", None)] = engine()
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in corpus(4)))
    result = invoke("eval", gone, path, "-f", "json", "--jobs", "2")
    assert result.exit_code == 2
    assert "error: a worker process failed: cannot load the ruleset: the ruleset" in result.stderr
    assert result.stdout == ""


def test_jobs_default_to_every_core_only_for_a_large_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    assert default_jobs(10, threshold=100) == 1
    assert default_jobs(100, threshold=100) == 3


def test_jobs_must_not_be_negative() -> None:
    result = invoke("eval", "child_safety", EXAMPLE_FILES[0], "--jobs", "-1")
    assert result.exit_code == 2


# ---- reading in blocks ------------------------------------------------------------------------------------

_LINES = st.one_of(
    st.builds(lambda i: json.dumps({"event_id": f"ev-{i}"}), st.integers(0, 99)),
    st.sampled_from(["", "  ", "\t", "{broken", "42", "[]", '[{"a": 1}, 2]', "null", '"x"', "{}\r"]),
)
_PRETTY = st.lists(st.builds(lambda i: {"event_id": f"ev-{i}"}, st.integers(0, 9)), max_size=3).map(
    lambda value: json.dumps(value, indent=2)
)


def _as_items(blocks: list[event_input.Block]) -> list[tuple[str, object, str | None]]:
    items = []
    for block in blocks:
        found = line_items(block) if isinstance(block, LineBlock) else block.items
        items.extend((item.where, item.event, item.problem) for item in found)
    return items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.lists(_LINES, max_size=12).map("\n".join), _PRETTY, _PRETTY.map(lambda t: f"\n \n{t}")),
    st.booleans(),
    st.sampled_from([".jsonl", ".txt", ".json"]),
    st.integers(1, 40),
)
def test_blocks_hold_the_events_that_read_events_reads(
    tmp_path: Path, text: str, newline_at_end: bool, suffix: str, block_bytes: int
) -> None:
    path = tmp_path / f"input{suffix}"
    path.write_text(text + ("\n" if newline_at_end else ""), encoding="utf-8")
    expected = [(item.where, item.event, item.problem) for item in read_events(str(path))]
    assert _as_items(list(read_blocks(str(path), block_bytes))) == expected


def test_blocks_are_whole_lines_numbered_from_their_first(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"".join(b'{"event_id": "ev-%d"}\n' % i for i in range(100)))
    blocks = list(read_blocks(str(path), 64))
    assert len(blocks) > 10
    line = 1
    for block in blocks:
        assert isinstance(block, LineBlock) and block.data.endswith(b"\n")
        assert block.first_line == line
        line += block.data.count(b"\n")
    assert b"".join(b.data for b in blocks if isinstance(b, LineBlock)) == path.read_bytes()


# ---- the event as it came decides as its validated form ---------------------------------------------------

_JSON = BatchOptions(json=True, explain=False, validate=True, records=False)
_DECIDERS: list[Decider] = []


def keeping() -> Decider:
    """A decider that, like the command's, decides an event as it came when that is safe."""
    if not _DECIDERS:
        _DECIDERS.append(Decider(engine(), _JSON))
    return _DECIDERS[0]


_NULLABLE_DEFAULTS = ("age_estimates", "reports", "context")


def _decisions_agree(event: dict[str, Any], source: str | Path) -> None:
    dumped = ModerationEvent.model_validate(event).model_dump(mode="json")
    kept = keeping()._validated(event)
    if kept is event:
        assert dumped["occurred_at"] == event["occurred_at"]
    ruleset = engine(source)
    assert comparable(ruleset.evaluate(kept).to_dict()) == comparable(ruleset.evaluate(dumped).to_dict())


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_events_decide_the_same_as_they_came(path: Path) -> None:
    event = json.loads(path.read_text())
    for source in ("child_safety", FIVE_RULES):
        _decisions_agree(event, source)
        _decisions_agree(_loosened(event), source)


def _loosened(event: dict[str, Any], *, nulls: bool = True, integral: bool = True) -> dict[str, Any]:
    """The same event as a producer may write it: empty defaults as null, whole numbers as ints."""
    out: dict[str, Any] = json.loads(json.dumps(event))
    for name in _NULLABLE_DEFAULTS:
        if nulls and not out.get(name):
            out[name] = None
    for signal in out.get("classifiers") or ():
        if integral and isinstance(signal.get("score"), float) and signal["score"].is_integer():
            signal["score"] = int(signal["score"])
    content = out.get("content")
    if integral and isinstance(content, dict) and isinstance(content.get("duration_s"), float):
        out["content"] = {**content, "duration_s": round(content["duration_s"])}
    return out


@settings(max_examples=200, deadline=None)
@given(
    events(ruleset="child_safety"),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["as is", "+00:00", "lower", "fraction", "offset"]),
)
def test_generated_events_decide_the_same_as_they_came(
    event: dict[str, Any], nulls: bool, integral: bool, time_form: str
) -> None:
    event = _loosened(event, nulls=nulls, integral=integral)
    when = str(event["occurred_at"])
    event["occurred_at"] = {
        "as is": when,
        "+00:00": when.replace("Z", "+00:00"),
        "lower": when.replace("T", "t").replace("Z", "z"),
        "fraction": when.replace("Z", ".5Z"),
        "offset": when.replace("Z", "+05:30"),
    }[time_form]
    for source in ("child_safety", FIVE_RULES):
        _decisions_agree(event, source)


_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=_OFFSETS),
    st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dt%H:%M:%S"]),
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "own"]),
)
def test_a_timestamp_is_kept_only_when_pydantic_writes_it_back_the_same(
    when: datetime, layout: str, zone: str
) -> None:
    offset = when.strftime("%z")
    text = when.strftime(layout) + (f"{offset[:3]}:{offset[3:]}" if zone == "own" else zone)
    event = {**json.loads((EXAMPLES / "benign-upload.json").read_text()), "occurred_at": text}
    try:
        model = ModerationEvent.model_validate(event)
    except ValueError:
        return  # `-00:00` or `Z` on a time that is not UTC: not a valid event either way
    written = model.model_dump(mode="json")["occurred_at"]
    kept = keeping()._validated(event)
    assert (kept is event) == (written == text)


def test_the_corpus_decides_the_same_whether_events_are_kept_or_dumped() -> None:
    data = b"".join(orjson.dumps(event) + b"\n" for event in corpus(500))
    block = LineBlock("corpus.jsonl", 1, data)
    dumping = Decider(engine(), _JSON)
    dumping._validated = dumping._dumped
    kept, dumped = keeping().block(block), dumping.block(block)
    assert kept.malformed == dumped.malformed == 0
    assert decisions(kept.output.decode()) == decisions(dumped.output.decode())


# ---- decisions written a part at a time -------------------------------------------------------------------

_LINES_SHARED = batch.DecisionLines()  # shared by every example, so most lines come from its cache


@settings(max_examples=300, deadline=None)
@given(
    events(ruleset="child_safety"),
    st.sampled_from([None, 'ev-"quoted"\\ \u00e9\n', 7, ""]),
    st.sampled_from(["hash_matches", "classifiers", "provenance", None]),
    st.one_of(st.none(), st.text("0123456789abcdef", min_size=32, max_size=32)),
)
def test_a_spliced_line_is_the_bytes_of_the_decisions_dict(
    event: dict[str, Any], event_id: object, missing: str | None, trace_id: str | None
) -> None:
    if event_id is not None:
        event = {**event, "event_id": event_id}
    if missing is not None:
        event = {**event, missing: None}
    for source in ("child_safety", FIVE_RULES):
        decision = engine(source).evaluate(event)
        decision.trace_id = trace_id
        expected = orjson.dumps(decision.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
        assert _LINES_SHARED.line(decision) == expected
        assert batch.DecisionLines().line(decision) == expected  # the first of its outcome too


def test_spliced_lines_of_the_corpus_are_the_bytes_of_the_decisions_dicts() -> None:
    lines = batch.DecisionLines()
    for event in corpus(300):
        decision = engine().evaluate(event)
        assert lines.line(decision) == orjson.dumps(decision.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
