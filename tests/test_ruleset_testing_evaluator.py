"""The judging evaluator of `ruleward.testing`: three-valued semantics, and agreement with the engine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ruleward.dsl.loader import load_text
from ruleward.engine import Engine
from ruleward.engine.events import ModerationEvent
from ruleward.testing import events
from ruleward.testing.evaluator import Evaluator, decision_view, invariant_holds

CONDITIONS = """
const limit = 31
list banks = ["bank_a", "bank_b"]
condition close = any m in hash_matches where m.distance <= limit
condition far = any m in hash_matches where m.distance > limit
condition score = max_score("csam") >= 0.5
condition no_score = max_score("csam") is missing
condition matched = hash_matches is not empty
condition matching_down = hash_matches is missing
condition all_banked = all m in hash_matches where m.bank in banks
condition either = close or score
condition both = close and score
condition negated = not score
condition counted = count(hash_matches) >= 2
condition deleted = any m in hash_matches where not m.entry_deleted
condition state_absent = provenance.validation_state != "invalid"
condition not_ok = any s in classifiers where s.status != "ok"
"""

EVALUATOR = Evaluator(load_text(CONDITIONS).ruleset, ModerationEvent)


def truth(name: str, **fields: Any) -> bool | None:
    condition = EVALUATOR.symbols.conditions[name]
    return EVALUATOR.on(fields).truth(condition.expr)


def match(**fields: Any) -> dict[str, Any]:
    return {"algorithm": "pdq", "bank": "bank_a", **fields}


def csam(score: float | None, status: str = "ok") -> dict[str, Any]:
    return {"provider": "p", "model_version": "1", "label": "csam", "score": score, "status": status}


def test_a_missing_signal_is_unknown_and_the_explicit_tests_are_not() -> None:
    assert truth("close", hash_matches=None) is None
    assert truth("close") is None  # left out is missing too
    assert truth("score", classifiers=None) is None
    assert truth("matching_down", hash_matches=None) is True
    assert truth("matching_down", hash_matches=[]) is False
    assert truth("matched", hash_matches=None) is None  # `is empty` on a missing signal
    assert truth("counted", hash_matches=None) is None
    assert truth("state_absent", provenance=None) is None


def test_an_absent_value_compares_false_not_unknown() -> None:
    # an md5 match has no distance: `<=` and `>` are both false
    assert truth("close", hash_matches=[match(algorithm="md5")]) is False
    assert truth("far", hash_matches=[match(algorithm="md5")]) is False
    assert truth("score", classifiers=[]) is False
    assert truth("no_score", classifiers=[csam(None, "failed")]) is True
    assert truth("score", classifiers=[csam(0.4), csam(0.6)]) is True


def test_kleene_logic() -> None:
    assert truth("either", hash_matches=[match(distance=3)], classifiers=None) is True
    assert truth("both", hash_matches=[match(distance=90)], classifiers=None) is False
    assert truth("both", hash_matches=[match(distance=3)], classifiers=None) is None
    assert truth("either", hash_matches=[match(distance=90)], classifiers=None) is None
    assert truth("negated", classifiers=None) is None
    assert truth("negated", classifiers=[csam(0.1)]) is True


def test_quantifiers_and_defaults() -> None:
    assert truth("all_banked", hash_matches=[]) is True
    assert truth("all_banked", hash_matches=[match(), match(bank="other")]) is False
    assert truth("counted", hash_matches=[match(), match()]) is True
    assert truth("deleted", hash_matches=[match(distance=1, entry_deleted=True)]) is False
    # a left-out `status` reads as its schema default, "ok"
    signal = {"provider": "p", "model_version": "1", "label": "csam", "score": 0.2}
    assert truth("not_ok", **_valid(classifiers=[signal])) is False
    assert truth("not_ok", **_valid(classifiers=[{**signal, "score": None, "status": "timeout"}])) is True


def _valid(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "ev-1",
        "schema_version": "1",
        "occurred_at": "2026-01-01T00:00:00Z",
        "surface": "upload",
        "jurisdictions": [],
        "content": {"id": "c-1", "media_type": "image"},
        "actor": {"id": "u-1", "account_age_days": 1},
    }
    event.update(fields)
    return event


INVARIANTS = """
invariant held_or_worse
  when hash_matches is not empty
  always decision.disposition >= "hold"

invariant no_ban
  always decision.account_action < "ban"
"""


@pytest.mark.parametrize(
    ("disposition", "account", "held", "no_ban"),
    [("block", "ban", True, False), ("hold", "none", True, True), ("label", "warn", False, True)],
)
def test_ordered_enums_in_always(disposition: str, account: str, held: bool, no_ban: bool) -> None:
    ruleset = load_text(INVARIANTS).ruleset
    evaluator = Evaluator(ruleset, ModerationEvent)
    decision = decision_view({"disposition": disposition, "account_action": {"kind": account}})
    evaluation = evaluator.on(_valid(hash_matches=[match(algorithm="md5")]), decision)
    first, second = ruleset.invariants
    assert invariant_holds(evaluation, first) == (held, True)
    assert invariant_holds(evaluation, second) == (no_ban, True)
    # a `when` that is unknown skips the event
    skipped = evaluator.on(_valid(hash_matches=None), decision)
    assert invariant_holds(skipped, first) == (True, None)


ENGINE = Engine.load("child_safety")
JUDGE = Evaluator(ENGINE.ruleset.ruleset, ModerationEvent)


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(ENGINE.ruleset))
def test_the_evaluator_agrees_with_the_engine(event: dict[str, Any]) -> None:
    decision = ENGINE.evaluate(event).to_dict()
    outcomes = JUDGE.outcomes(event)
    fired = {o.name for o in outcomes if o.fired}
    errored = {o.name for o in outcomes if o.error is not None}
    assert fired == {m["rule"] for m in decision["matched"]}  # type: ignore[union-attr]
    assert errored == {e["rule"] for e in decision["errors"]}  # type: ignore[union-attr]
