"""Mutation testing: compile each mutant with the engine and see whether the tests or invariants notice.

To stay fast, everything that does not depend on the mutant is done once: the tests' events, a pool of
generated events (fixed seed, one hypothesis run shared by every mutant), and for each invariant the pool
events where its `when` holds. Invariants are judged with the ORIGINAL ruleset's definitions: the
specification stays put while the implementation changes. A mutant is killed by the first test or
invariant that fails; one the engine refuses to compile is reported as invalid and left out of the score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset
from ruleward.testing import target
from ruleward.testing.cases import check_expectations
from ruleward.testing.evaluator import Evaluator
from ruleward.testing.invariants import violation
from ruleward.testing.mutants import Mutant, mutants
from ruleward.testing.strategies import events

Status = Literal["killed", "survived", "invalid"]


@dataclass(frozen=True, slots=True)
class MutantResult:
    mutant: Mutant
    status: Status
    killed_by: str | None = None  # "test `x`" or "invariant `y`"; for invalid, why


@dataclass
class MutationRun:
    results: list[MutantResult] = field(default_factory=list)
    pool: int = 0  # generated events every mutant's invariants were checked on

    @property
    def killed(self) -> int:
        return sum(r.status == "killed" for r in self.results)

    @property
    def survived(self) -> list[MutantResult]:
        return [r for r in self.results if r.status == "survived"]

    @property
    def invalid(self) -> int:
        return sum(r.status == "invalid" for r in self.results)

    @property
    def score(self) -> float:
        judged = self.killed + len(self.survived)
        return 100.0 * self.killed / judged if judged else 100.0


def event_pool(
    ruleset: n.Ruleset, schema: type[BaseModel], *, seed: int, examples: int
) -> list[dict[str, Any]]:
    """`examples` generated events, the same for a given seed (hypothesis used as a generator)."""
    pool: list[dict[str, Any]] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=max(examples, 1),
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate,),
    )
    @given(events(ruleset, schema))
    def collect(event: dict[str, Any]) -> None:
        pool.append(event)

    collect()
    return pool


def run_mutation(
    checked: CheckedRuleset,
    *,
    schema: type[BaseModel],
    cases: Sequence[tuple[n.Test, Mapping[str, Any]]],
    evaluator: Evaluator,
    seed: int,
    examples: int,
    stride: int = 1,
    progress: Callable[[str], None] | None = None,
) -> MutationRun:
    """Judge every mutant of the ruleset (every `stride`-th one, for a quicker sample)."""
    ruleset = checked.ruleset
    pool = event_pool(ruleset, schema, seed=seed, examples=examples)
    candidates = [*(e for _, e in cases), *pool]
    normalized = [evaluator.normalize(e) for e in candidates]
    # the events each invariant applies to, judged once with the original ruleset
    applicable: list[tuple[n.Invariant, list[int]]] = []
    for invariant in ruleset.invariants:
        indexes: list[int] = []
        for i, event in enumerate(normalized):
            if invariant.when is None or evaluator.on(event, normalized=True).truth(invariant.when) is True:
                indexes.append(i)
        applicable.append((invariant, indexes))

    run = MutationRun(pool=len(pool))
    all_mutants = list(mutants(ruleset))[:: max(stride, 1)]
    for number, mutant in enumerate(all_mutants, 1):
        if progress is not None and number % 25 == 0:
            progress(f"mutant {number} of {len(all_mutants)}")
        run.results.append(_judge(mutant, checked, cases, candidates, normalized, applicable, evaluator))
    return run


def _judge(
    mutant: Mutant,
    checked: CheckedRuleset,
    cases: Sequence[tuple[n.Test, Mapping[str, Any]]],
    candidates: Sequence[Mapping[str, Any]],
    normalized: Sequence[Mapping[str, Any]],
    applicable: Sequence[tuple[n.Invariant, list[int]]],
    evaluator: Evaluator,
) -> MutantResult:
    try:
        decide = target.compile_mutant(checked, mutant.ruleset)
    except Exception as error:  # the engine refused the mutant: it cannot be judged
        return MutantResult(mutant, "invalid", f"{type(error).__name__}: {error}")
    for test, event in cases:
        try:
            decision = decide(event)
        except Exception:
            return MutantResult(mutant, "killed", f"test `{test.name}` (the engine raised)")
        if check_expectations(test, decision, checked.symbols):
            return MutantResult(mutant, "killed", f"test `{test.name}`")
    decisions: dict[int, dict[str, Any]] = {}
    for invariant, indexes in applicable:
        for i in indexes:
            if i not in decisions:
                try:
                    decisions[i] = decide(candidates[i])
                except Exception:
                    return MutantResult(mutant, "killed", f"invariant `{invariant.name}` (the engine raised)")
            why, _ = violation(invariant, evaluator, normalized[i], decisions[i], normalized=True)
            if why is not None:
                return MutantResult(mutant, "killed", f"invariant `{invariant.name}`")
    return MutantResult(mutant, "survived")
