"""`Engine(validate=True)` decides a valid event as it came when that decides as its model's JSON form does
(`decides_as_it_came`), sparing the models: the decision must be the one the models would give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruleward.engine import Engine
from ruleward.engine.decision import EVENT_RULE
from ruleward.engine.event_dicts import decides_as_it_came
from ruleward.engine.events import ModerationEvent
from ruleward.testing import events

_PER_EVENT = ("decision_id", "elapsed_us", "trace_id")


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    return Engine.load("child_safety", validate=True), Engine.load("child_safety")


def _decided(engine: Engine, event: Any) -> dict[str, Any]:
    found = engine.evaluate(event).to_dict()
    return {k: v for k, v in found.items() if k not in _PER_EVENT}


_TIMES = st.sampled_from(["2026-11-28T10:00:00Z", "2026-11-28T10:00:00+00:00", "2026-11-28T10:00:00.000000Z"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events(ruleset="child_safety"), when=_TIMES)
def test_a_valid_event_decides_as_its_validated_form(
    engines: tuple[Engine, Engine], event: dict[str, Any], when: str
) -> None:
    strict, plain = engines
    event = {**event, "occurred_at": when}
    dumped = ModerationEvent.model_validate(event).model_dump(mode="json")
    assert decides_as_it_came(event) == (when == "2026-11-28T10:00:00Z")
    assert _decided(strict, event) == _decided(plain, dumped)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events(ruleset="child_safety"), junk=st.sampled_from([{"surprise": 1}, {"schema_version": 1}]))
def test_an_invalid_event_still_fails_closed_with_the_models_message(
    engines: tuple[Engine, Engine], event: dict[str, Any], junk: dict[str, Any]
) -> None:
    strict, _ = engines
    broken = {**event, **junk}
    assert not decides_as_it_came(broken)
    decision = strict.evaluate(broken).to_dict()
    assert any(e["rule"] == EVENT_RULE for e in decision["errors"])
    assert decision["disposition"] != "allow"
