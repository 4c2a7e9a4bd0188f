"""The default ruleset's own tests and invariants: they pass, they cover every rule and threshold, and they
notice mistakes (mutation score).

The full mutation run (every mutant) takes a while; by default every third mutant is judged, and
`RULEWARD_FULL_MUTATION=1` judges them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ruleward.dsl import nodes as n
from ruleward.engine.events import ModerationEvent, validate_event
from ruleward.engine.ruleset import load_checked
from ruleward.testing.boundaries import ELEMENT, boundaries_of
from ruleward.testing.cases import case_event
from ruleward.testing.evaluator import Evaluator
from ruleward.testing.mutation import MutationRun, run_mutation
from ruleward.testing.runner import Options, RulesetRun, run_ruleset

ROOT = Path(__file__).resolve().parents[1]
RULESET_DIR = ROOT / "rulesets" / "child_safety"
CHECKED = load_checked(RULESET_DIR)
RULESET = CHECKED.ruleset
MIN_MUTATION_SCORE = 95.0
FULL_MUTATION = os.environ.get("RULEWARD_FULL_MUTATION") == "1"


@cache
def run() -> RulesetRun:
    return run_ruleset(RULESET_DIR, Options(seed=20261120, examples=40, coverage=True))


def test_the_tests_and_invariants_check_without_warnings() -> None:
    ours = [
        d for d in CHECKED.diagnostics if d.span is not None and Path(d.span.file).name != "child_safety.rw"
    ]
    assert ours == []


def test_every_test_and_invariant_passes() -> None:
    result = run()
    failed = [c.name for c in result.cases if not c.passed] + [
        i.name for i in result.invariants if not i.passed
    ]
    assert failed == []
    assert len(result.cases) >= 2 * len(RULESET.rules)


def test_every_invariant_applies_to_some_events() -> None:
    # an invariant whose `when` never held was never really checked
    assert {i.name: i.applicable > 0 for i in run().invariants} == {i.name: True for i in RULESET.invariants}


def test_the_five_must_never_happen_lines_are_written_down() -> None:
    names = {i.name for i in RULESET.invariants}
    assert {
        "verified_match_is_blocked_preserved_and_reported",  # 1
        "no_automatic_report_or_ban_without_a_verified_match",  # 2
        "public_surface_with_a_missing_signal_is_never_allowed",  # 4
        "child_safety_reviews_go_to_the_child_safety_queue",  # 5
    } <= names  # 3 compares two events: tests/test_default_ruleset_invariants.py


def test_every_rule_is_seen_firing_and_not_firing_by_a_test() -> None:
    fired: dict[str, set[bool]] = {r.name: set() for r in RULESET.rules}
    for test in RULESET.tests:
        for expectation in test.expectations:
            if isinstance(expectation, n.ExpectFired):
                for rule in expectation.rules:
                    fired[rule.name].add(expectation.fired)
    assert {name: seen for name, seen in fired.items() if seen != {True, False}} == {}


def test_full_condition_coverage() -> None:
    coverage = run().coverage
    assert coverage is not None
    uncovered = [(p.owner, p.kind, p.span.line) for p in coverage.uncovered()]
    assert uncovered == []
    assert coverage.percent == 100.0


def test_test_events_are_valid_and_synthetic() -> None:
    for test in RULESET.tests:
        event = case_event(RULESET, test)
        validate_event(event)
        assert event["event_id"].startswith("ev-test-")


def _values_at(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield value
        return
    head, rest = path[0], path[1:]
    if head == ELEMENT:
        for item in value if isinstance(value, list) else []:
            yield from _values_at(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from _values_at(value[head], rest)


def test_every_threshold_is_tested_at_just_under_and_just_over() -> None:
    events = [case_event(RULESET, t) for t in RULESET.tests]
    missing: list[tuple[tuple[str, ...], object]] = []
    for path, values in boundaries_of(RULESET).values.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if not numbers or path[0] == "decision":
            continue
        seen = {v for e in events for v in _values_at(e, path)}
        missing.extend((path, v) for v in numbers if v not in seen)
    assert missing == []


def _mutation() -> MutationRun:
    cases = [(t, case_event(RULESET, t)) for t in RULESET.tests]
    return run_mutation(
        CHECKED,
        schema=ModerationEvent,
        cases=cases,
        evaluator=Evaluator(RULESET, ModerationEvent),
        seed=0,
        examples=40,
        stride=1 if FULL_MUTATION else 3,
    )


def test_the_tests_and_invariants_kill_the_mutants() -> None:
    result = _mutation()
    assert result.invalid == 0
    survivors = [f"{r.mutant.span}: {r.mutant.description}" for r in result.survived]
    assert result.score >= MIN_MUTATION_SCORE, survivors
    assert len(result.results) >= (250 if FULL_MUTATION else 80)
