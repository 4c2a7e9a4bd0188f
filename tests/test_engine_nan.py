"""NaN compares false with everything, so a NaN signal value must be an error, never a quiet `allow`."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from ruleward.engine import Engine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "events"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("child_safety")


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _csam(score: float) -> dict[str, Any]:
    return {"provider": "thorn", "model_version": "1", "label": "csam", "score": score, "status": "ok"}


def test_a_nan_score_cannot_hide_a_high_one(engine: Engine) -> None:
    event = _event("benign-upload")
    event["classifiers"] = [_csam(math.nan), _csam(0.95)]
    decision = engine.evaluate(event)
    assert decision.disposition != "allow"
    assert decision.errors, "the NaN score is recorded as an error"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.__setitem__("classifiers", [_csam(math.nan)]),
        lambda e: e["hash_matches"].append({"algorithm": "pdq", "bank": "iwf", "distance": math.nan}),
        lambda e: e.__setitem__("age_estimates", [{"low": math.nan, "high": 20}]),
    ],
    ids=["csam-score", "pdq-distance", "age-estimate"],
)
def test_nan_in_a_signal_fails_closed(engine: Engine, mutate: Any) -> None:
    event = copy.deepcopy(_event("benign-upload"))
    mutate(event)
    compiled = engine.evaluate(event)
    interpreted = engine.interpret(event)
    assert compiled.disposition != "allow"
    assert compiled.errors
    assert compiled.disposition == interpreted.disposition
    assert [e.rule for e in compiled.errors] == [e.rule for e in interpreted.errors]
