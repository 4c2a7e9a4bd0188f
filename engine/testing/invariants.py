"""Invariants, checked with hypothesis on generated events; a failure is shrunk to a minimal event.

Hypothesis runs programmatically: a `@given` function run directly with a fixed seed and no example
database, so a run is reproducible from the seed it reports. One run checks every invariant on each event
(generating events is the expensive part); when one fails, hypothesis shrinks the event, that invariant
is reported with it, and the others are checked again without it. The tests' own events go in first as
explicit examples: they were written to make rules fire, which random events rarely do together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ruleward.dsl import nodes as n
from ruleward.dsl.source import Span
from ruleward.testing.coverage import Coverage
from ruleward.testing.evaluator import EvaluationError, Evaluator, decision_view, invariant_holds

Event: TypeAlias = dict[str, Any]
Decide: TypeAlias = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class InvariantResult:
    name: str
    span: Span
    examples: int  # events tried
    applicable: int  # events where `when` held
    seed: int
    failure: str | None = None
    counterexample: Mapping[str, Any] | None = None
    decision: Mapping[str, Any] | None = None
    from_test: str | None = None  # the counterexample is this test's event (not shrunk)

    @property
    def passed(self) -> bool:
        return self.failure is None


class _Violation(Exception):
    """Raised inside the hypothesis test so it shrinks the event."""


def violation(
    invariant: n.Invariant,
    evaluator: Evaluator,
    event: Mapping[str, Any],
    decision: Mapping[str, Any],
    *,
    normalized: bool = False,
) -> tuple[str | None, bool]:
    """(why the invariant failed on this event and decision, or None; whether its `when` held)."""
    evaluation = evaluator.on(event, decision_view(decision), normalized=normalized)
    try:
        holds, when = invariant_holds(evaluation, invariant)
    except EvaluationError as error:
        return f"`always` could not be evaluated: {error.message}", True
    if holds:
        return None, when is True
    return "`always` is false for this event and the decision it got", True


def check_invariants(
    invariants: Sequence[n.Invariant],
    *,
    decide: Decide,
    evaluator: Evaluator,
    events: st.SearchStrategy[Event],
    seed: int,
    examples: int,
    explicit: Sequence[tuple[str, Event]] = (),
    coverage: Coverage | None = None,
) -> list[InvariantResult]:
    """Check `invariants` on `examples` generated events and the `explicit` (test name, event) ones."""
    results: dict[str, InvariantResult] = {}
    pending = list(invariants)
    while pending:
        applicable = {i.name: 0 for i in pending}
        found, tried = _run(
            pending, decide, evaluator, events, seed, examples, explicit, coverage, applicable
        )
        if found is None:
            for invariant in pending:
                results[invariant.name] = InvariantResult(
                    invariant.name, invariant.span, tried, applicable[invariant.name], seed
                )
            break
        invariant, why, event, decision = found
        source = next((name for name, e in explicit if e is event), None)
        results[invariant.name] = InvariantResult(
            invariant.name,
            invariant.span,
            tried,
            applicable[invariant.name],
            seed,
            why,
            event,
            decision,
            source,
        )
        pending.remove(invariant)
    return [results[i.name] for i in invariants]


_Found = tuple[n.Invariant, str, Event | None, dict[str, Any] | None]


def _run(
    invariants: Sequence[n.Invariant],
    decide: Decide,
    evaluator: Evaluator,
    events: st.SearchStrategy[Event],
    seed: int,
    examples: int,
    explicit: Sequence[tuple[str, Event]],
    coverage: Coverage | None,
    applicable: dict[str, int],
) -> tuple[_Found | None, int]:
    state: dict[str, Any] = {"tried": 0, "last": None}
    counting = {"on": True}

    def attempt(event: Event) -> None:
        state["tried"] += 1
        if coverage is not None:
            coverage.observe(evaluator, event)
        try:
            decision = decide(event)
        except Exception as error:  # the engine raising is a finding too, and worth shrinking
            raised = f"the engine raised {type(error).__name__}: {error}"
            state["last"] = (invariants[0], raised, event, None)
            raise _Violation from error
        data = evaluator.normalize(event)  # once, not once per invariant
        for invariant in invariants:
            why, holds_when = violation(invariant, evaluator, data, decision, normalized=True)
            if counting["on"]:
                applicable[invariant.name] += holds_when
            if why is not None:
                # hypothesis replays the minimal failing example last, so this ends as the shrunk one
                state["last"] = (invariant, why, event, decision)
                counting["on"] = False  # shrinking re-runs events: stop counting
                raise _Violation(why)

    test = given(events)(attempt)
    for _, event in reversed(explicit):  # `example` decorators apply bottom-up: keep the tests' order
        test = example(event)(test)
    test = settings(
        max_examples=max(examples, 1),
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
    )(test)
    test = hypothesis_seed(seed)(test)
    try:
        test()
    except _Violation:
        found: _Found = state["last"]
        return found, state["tried"]
    except Exception as error:  # hypothesis itself gave up (a flaky failure, say): report, never crash
        why = f"hypothesis stopped: {type(error).__name__}: {error}"
        return (invariants[0], why, None, None), state["tried"]
    return None, state["tried"]
