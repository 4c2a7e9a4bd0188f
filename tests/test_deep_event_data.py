"""Event data nested far deeper than any real event: explanations and records still work."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson

from ruleward.engine import Engine
from ruleward.engine.records import JsonlDecisionSink

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "events" / "benign-upload.json"


def _deep_event(levels: int) -> dict[str, Any]:
    deep: list[Any] = []
    current = deep
    for _ in range(levels):
        inner: list[Any] = []
        current.append(inner)
        current = inner
    event: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    event["hash_matches"] = [{"algorithm": "md5", "bank": deep}]
    return event


def test_an_explanation_of_deep_data_is_cut_not_a_recursion_error() -> None:
    explanation = Engine.load("child_safety").explain(_deep_event(1000))
    assert explanation.decision.disposition != "allow"
    assert "..." in json.dumps(explanation.to_dict())
    assert explanation.render()


def test_a_record_of_an_unserialisable_event_keeps_the_decision() -> None:
    engine = Engine.load("child_safety")
    event = _deep_event(300)
    stream = io.BytesIO()
    sink = JsonlDecisionSink(stream)
    sink.write(engine.evaluate(event), event)
    sink.flush()
    record = orjson.loads(stream.getvalue())
    assert record["decision"]["event_id"] == event["event_id"]
    assert record["decision"]["disposition"] != "allow"
    assert "unrecorded" in record["event"]
