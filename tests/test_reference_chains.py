"""Long chains of rule references: they load (the signals each rule reads are found once per build, not
once per rule), and every evaluator, compiled, interpreted and the test evaluator, decides them, whichever
order the rules are declared or named in (no recursion per link)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ruleward.engine import Engine
from ruleward.engine.events import ModerationEvent
from ruleward.testing.evaluator import Evaluator

LENGTH = 2000
HEADER = 'ruleset chain version "1" owner "trust-safety"\n'
START = "  when any m in hash_matches where m.distance <= 31\n  then hold\n"


def link(name: str, previous: str) -> str:
    return f"rule {name}\n  when {previous} and actor.account_age_days >= 0\n  then hold\n"


def forward_chain() -> str:
    """r0000 reads the signal; r0001 refers to r0000, and so on: name order is dependency order."""
    rules = [f"rule r0000\n{START}"]
    rules += [link(f"r{i:04d}", f"r{i - 1:04d}") for i in range(1, LENGTH)]
    return "\n".join([HEADER, *rules])


def backward_chain() -> str:
    """r1999 reads the signal; r0000 refers to r0001, and so on, declared from r0000: every evaluator
    that walks rules by name or by declaration meets the whole chain on its first rule."""
    rules = [link(f"r{i:04d}", f"r{i + 1:04d}") for i in range(LENGTH - 1)]
    rules.append(f"rule r{LENGTH - 1:04d}\n{START}")
    return "\n".join([HEADER, *rules])


def event(**signals: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "ev-7b3e0c91",
        "schema_version": "1",
        "occurred_at": "2024-05-01T10:00:00Z",
        "surface": "upload",
        "jurisdictions": ["GB"],
        "content": {"id": "c-51f0a2", "media_type": "image"},
        "actor": {"id": "a-e40d17", "account_age_days": 12},
    }
    return {**base, **signals}


MATCH = {"algorithm": "pdq", "bank": "ncmec_industry", "distance": 4}
FAR = {"algorithm": "pdq", "bank": "ncmec_industry", "distance": 90}


@pytest.fixture(scope="module")
def forward(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("forward") / "chain.rw"
    path.write_text(forward_chain(), encoding="utf-8")
    return Engine.load(path)


@pytest.fixture(scope="module")
def backward(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("backward") / "chain.rw"
    path.write_text(backward_chain(), encoding="utf-8")
    return Engine.load(path)


def test_a_chain_of_2000_loads_and_the_last_link_fails_closed_on_the_first_signal(forward: Engine) -> None:
    plan = forward._loaded.plan
    last = plan.rules[plan.rule_index[f"r{LENGTH - 1:04d}"]]
    assert last.when_signals == ("hash_matches",)  # found through 1999 references
    missing = forward.evaluate(event())
    assert missing.fired == ()
    assert set(missing.errored) == {f"r{i:04d}" for i in range(LENGTH)}
    error = next(e for e in missing.errors if e.rule == f"r{LENGTH - 1:04d}")
    assert "`hash_matches` is missing" in error.message
    assert missing.disposition == "hold"  # the fallback


def test_a_chain_of_2000_fires_end_to_end_or_not_at_all(forward: Engine) -> None:
    matched = forward.evaluate(event(hash_matches=[MATCH]))
    assert len(matched.fired) == LENGTH and matched.errors == ()
    clean = forward.evaluate(event(hash_matches=[FAR]))
    assert clean.fired == () and clean.errors == () and clean.disposition == "allow"


@pytest.mark.parametrize("signals", [{}, {"hash_matches": [MATCH]}, {"hash_matches": []}])
def test_the_interpreter_agrees_on_chains_in_either_direction(
    forward: Engine, backward: Engine, signals: dict[str, Any]
) -> None:
    for engine in (forward, backward):
        compiled = engine.evaluate(event(**signals))
        interpreted = engine.interpret(event(**signals))
        assert interpreted.fired == compiled.fired
        assert [e.to_dict() for e in interpreted.errors] == [e.to_dict() for e in compiled.errors]
    explanation = backward.explain(event())
    first = next(r for r in explanation.rules if r.rule == "r0000")
    assert first.status == "error" and "`hash_matches` is missing" in first.reason


@pytest.mark.parametrize("signals", [{}, {"hash_matches": [MATCH]}, {"hash_matches": [FAR]}])
def test_the_test_evaluator_agrees_on_a_backward_chain(backward: Engine, signals: dict[str, Any]) -> None:
    evaluator = Evaluator(backward.ruleset.ruleset, ModerationEvent)
    outcomes = {o.name: o for o in evaluator.outcomes(event(**signals))}
    decision = backward.evaluate(event(**signals))
    assert {name for name, o in outcomes.items() if o.fired} == set(decision.fired)
    assert {name for name, o in outcomes.items() if o.error is not None} == set(decision.errored)
    # a reference read from the top (as an invariant reads one) works the same
    evaluation = evaluator.on(event(**signals))
    expected = None if "hash_matches" not in signals else bool(decision.fired)
    assert evaluation.rule_value("r0000") is expected


def test_a_failure_at_the_start_of_a_long_chain_reaches_its_end(tmp_path: Path) -> None:
    # a string where the rule orders numbers fails at run time: each link reads the failure, none recurses
    rules = [f"rule c{i:04d}\n  when c{i + 1:04d}\n  then hold\n" for i in range(LENGTH - 1)]
    rules.append(f"rule c{LENGTH - 1:04d}\n  when context.level > 3\n  then hold\n")
    path = tmp_path / "chain.rw"
    path.write_text("\n".join([HEADER, *rules]), encoding="utf-8")
    loaded = Engine.load(path)
    evaluator = Evaluator(loaded.ruleset.ruleset, ModerationEvent)
    bad = event(context={"level": "high"})
    outcomes = evaluator.outcomes(bad)
    assert len(outcomes) == LENGTH and all(o.error is not None and not o.fired for o in outcomes)
    assert set(loaded.evaluate(bad).errored) == {o.name for o in outcomes}
    assert set(loaded.interpret(bad).errored) == {o.name for o in outcomes}
    fine = event(context={"level": 5})
    assert len(loaded.evaluate(fine).fired) == LENGTH
    assert len(loaded.interpret(fine).fired) == LENGTH
    assert all(o.fired for o in evaluator.outcomes(fine))
