"""`null` where the schema has a default reads as the default, on the unvalidated path too.

`reports`, `context` and `age_estimates` are not signals: their null carries no "not computed" meaning
(validation reads it as `[]` / `{}`). Unvalidated events (the default for dicts) must read it the same
way, and so must a null nested field with a default (`actor.age_band`, `status`, `entry_deleted`): the
compiled code, the reference interpreter and the test evaluator all agree, and none raises or fails open.
A null signal stays unknown.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruleward.engine import Engine
from ruleward.engine.events import ModerationEvent
from ruleward.testing.evaluator import Evaluator

RULES = """ruleset nulls version "1" owner "trust-safety"

rule reports_missing
  when reports is missing
  then tag(name: "reports_missing")

rule reports_empty
  when reports is empty and count(reports) == 0
  then tag(name: "reports_empty")

rule no_harm_reported
  when not (any r in reports where r.imminent_harm)
  then tag(name: "no_harm_reported")

rule context_present
  when context is present and context is empty
  then tag(name: "context_present")

rule context_flag_absent
  when context.flag is missing
  then tag(name: "context_flag_absent")

rule ages_present
  when age_estimates is present and (all a in age_estimates where a.low >= 18)
  then tag(name: "ages_present")

rule band_unknown
  when actor.age_band == "unknown"
  then tag(name: "band_unknown")

rule no_strikes
  when actor.active_strikes == 0
  then tag(name: "no_strikes")

rule live_match
  when any m in hash_matches where not m.entry_deleted
  then tag(name: "live_match")

rule ok_classifier
  when any c in classifiers where c.status == "ok"
  then tag(name: "ok_classifier")

rule no_failure_codes
  when provenance.failure_codes is empty and provenance.failure_codes is present
  then tag(name: "no_failure_codes")

rule matched
  when hash_matches is not empty
  then tag(name: "matched")
"""

# what each rule does when every defaulted field is null (or left out): the defaults decide
WITH_DEFAULTS = {
    "reports_empty",
    "no_harm_reported",
    "context_present",
    "context_flag_absent",
    "ages_present",
    "band_unknown",
    "no_strikes",
    "live_match",
    "ok_classifier",
    "no_failure_codes",
    "matched",
}


def base() -> dict[str, Any]:
    return {
        "event_id": "ev-2d9f6a10",
        "schema_version": "1",
        "occurred_at": "2024-05-01T10:00:00Z",
        "surface": "upload",
        "jurisdictions": ["US"],
        "content": {"id": "c-8e21b4", "media_type": "image"},
        "actor": {"id": "a-0c7f53", "account_age_days": 40},
        "hash_matches": [{"algorithm": "pdq", "bank": "internal_suspect", "distance": 70}],
        "classifiers": [{"provider": "internal", "model_version": "3", "label": "nudity", "score": 0.1}],
        "provenance": {"c2pa_present": False, "validation_state": "absent"},
    }


def nulled(event: dict[str, Any], paths: list[tuple[str, ...]]) -> dict[str, Any]:
    out = copy.deepcopy(event)
    for path in paths:
        target = out
        for step in path[:-1]:
            target = target[step]
            if isinstance(target, list):
                target = target[0]
        target[path[-1]] = None
    return out


TOP = [("reports",), ("context",), ("age_estimates",)]
NESTED = [
    ("actor", "age_band"),
    ("actor", "active_strikes"),
    ("hash_matches", "entry_deleted"),
    ("classifiers", "status"),
    ("provenance", "failure_codes"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("nulls") / "nulls.rw"
    path.write_text(RULES, encoding="utf-8")
    return Engine.load(path)


def outcomes(engine: Engine, event: dict[str, Any]) -> tuple[set[str], set[str]]:
    found = Evaluator(engine.ruleset.ruleset, ModerationEvent).outcomes(event)
    return {o.name for o in found if o.fired}, {o.name for o in found if o.error is not None}


@pytest.mark.parametrize("paths", [TOP, NESTED, TOP + NESTED], ids=["top", "nested", "both"])
def test_the_interpreter_reads_null_as_the_default(engine: Engine, paths: list[tuple[str, ...]]) -> None:
    event = nulled(base(), paths)
    interpreted = engine.interpret(event)
    assert set(interpreted.fired) == WITH_DEFAULTS
    assert interpreted.errors == ()
    assert set(interpreted.fired) == set(engine.interpret(base()).fired)  # null is the field left out


@pytest.mark.parametrize("paths", [TOP, NESTED, TOP + NESTED], ids=["top", "nested", "both"])
def test_the_test_evaluator_reads_null_as_the_default(engine: Engine, paths: list[tuple[str, ...]]) -> None:
    fired, errors = outcomes(engine, nulled(base(), paths))
    assert fired == WITH_DEFAULTS and errors == set()


@pytest.mark.parametrize("paths", [TOP, NESTED, TOP + NESTED], ids=["top", "nested", "both"])
def test_compiled_and_interpreted_agree_on_null_defaults(
    engine: Engine, paths: list[tuple[str, ...]]
) -> None:
    # relies on the compiled code reading null as the default too (engine/compiler.py)
    event = nulled(base(), paths)
    compiled = engine.evaluate(event)
    interpreted = engine.interpret(event)
    assert compiled.fired == interpreted.fired
    assert compiled.to_dict()["errors"] == interpreted.to_dict()["errors"] == []
    assert set(compiled.fired) == WITH_DEFAULTS


def test_a_null_signal_is_still_unknown(engine: Engine) -> None:
    event = nulled(base(), [("hash_matches",)])
    for decision in (engine.evaluate(event), engine.interpret(event)):
        assert set(decision.errored) == {"live_match", "matched"}
        assert decision.disposition == "hold"  # the fallback
    assert outcomes(engine, event)[1] == {"live_match", "matched"}


DEFAULTED = st.lists(st.sampled_from(TOP + NESTED), unique=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    DEFAULTED,
    st.sampled_from([None, "hash_matches", "classifiers", "provenance"]),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_null_defaults_agree_across_every_evaluator(
    engine: Engine, paths: list[tuple[str, ...]], signal: str | None, present: list[bool]
) -> None:
    event = base()
    # a known value in the defaulted fields, sometimes, so null and known values are compared too
    if present[0]:
        event["reports"] = [{"source": "user", "reason": "spam", "imminent_harm": True}]
    if present[1]:
        event["context"] = {"flag": True}
    if present[2]:
        event["age_estimates"] = [{"low": 10, "high": 12}]
    paths = [
        p for p in paths if not (p[0] in ("reports", "context", "age_estimates") and present[TOP.index(p)])
    ]
    if signal is not None:
        paths.append((signal,))
    event = nulled(event, paths)
    compiled = engine.evaluate(event)
    interpreted = engine.interpret(event)
    assert compiled.fired == interpreted.fired
    assert compiled.to_dict()["errors"] == interpreted.to_dict()["errors"]
    fired, errors = outcomes(engine, event)
    assert fired == set(compiled.fired)
    assert errors == set(compiled.errored)
