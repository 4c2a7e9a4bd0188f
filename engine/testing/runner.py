"""Run a ruleset's tests and invariants (and, on request, coverage and mutation) against the engine.

`run_ruleset` is the whole of `ruleward test` for one ruleset: it loads and checks the ruleset, runs every
`test` block, checks every invariant with hypothesis, and collects the results in a `RulesetRun` that
the reports render. The engine decides; the evaluator of `ruleward.testing.evaluator` judges invariants
and records coverage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.source import SourceFile
from ruleward.engine.events import ModerationEvent
from ruleward.testing import target
from ruleward.testing.cases import CaseResult, case_event, check_expectations
from ruleward.testing.coverage import Coverage
from ruleward.testing.evaluator import Evaluator
from ruleward.testing.invariants import InvariantResult, check_invariants
from ruleward.testing.mutation import MutationRun, run_mutation
from ruleward.testing.strategies import events

DEFAULT_EXAMPLES = 100
MUTATION_EXAMPLES = 150  # at most this many events per mutation run, shared by every mutant's invariants
MUTATION_SEED = 0


@dataclass(frozen=True)
class Options:
    seed: int | None = None
    examples: int = DEFAULT_EXAMPLES
    coverage: bool = False
    mutate: bool = False
    schema: type[BaseModel] | None = None
    mutation_examples: int = MUTATION_EXAMPLES
    progress: Callable[[str], None] | None = None


@dataclass
class RulesetRun:
    """Everything `ruleward test` found for one ruleset path."""

    target: str
    seed: int
    name: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: dict[str, SourceFile] = field(default_factory=dict)
    cases: list[CaseResult] = field(default_factory=list)
    invariants: list[InvariantResult] = field(default_factory=list)
    coverage: Coverage | None = None
    mutation: MutationRun | None = None
    load_failed: bool = False

    @property
    def failures(self) -> int:
        failed = sum(not c.passed for c in self.cases) + sum(not i.passed for i in self.invariants)
        return failed + (1 if self.load_failed else 0)

    @property
    def passed(self) -> bool:
        return self.failures == 0


def new_seed() -> int:
    return random.SystemRandom().randrange(2**32)


def run_ruleset(where: str | Path, options: Options) -> RulesetRun:
    seed = options.seed if options.seed is not None else new_seed()
    schema = options.schema or ModerationEvent
    loaded = target.load(str(where), options.schema)
    if isinstance(loaded, target.LoadFailure):
        return RulesetRun(str(where), seed, None, loaded.diagnostics, loaded.sources, load_failed=True)
    checked, decide = loaded
    ruleset = checked.ruleset
    header = ruleset.header
    run = RulesetRun(str(where), seed, header.name if header else None, checked.diagnostics, checked.sources)
    evaluator = Evaluator(ruleset, schema)
    coverage = Coverage(ruleset) if options.coverage else None
    run.coverage = coverage

    examples: list[dict[str, Any]] = []
    for test in ruleset.tests:
        event = case_event(ruleset, test)
        examples.append(event)
        run.cases.append(run_case(test, event, decide, checked))
        if coverage is not None:
            coverage.observe(evaluator, event)

    _say(options, f"invariants: {len(ruleset.invariants)} on {options.examples} generated events")
    run.invariants = check_invariants(
        ruleset.invariants,
        decide=decide,
        evaluator=evaluator,
        events=events(ruleset, schema),
        seed=seed,
        examples=options.examples,
        explicit=[(t.name, e) for t, e in zip(ruleset.tests, examples, strict=True)],
        coverage=coverage,
    )

    if options.mutate:
        run.mutation = run_mutation(
            checked,
            schema=schema,
            cases=[(t, e) for t, e in zip(ruleset.tests, examples, strict=True)],
            evaluator=evaluator,
            seed=MUTATION_SEED,
            examples=min(options.examples, options.mutation_examples),
            progress=options.progress,
        )
    return run


def run_case(
    test: n.Test,
    event: Mapping[str, Any],
    decide: Callable[[Mapping[str, Any]], dict[str, Any]],
    checked: CheckedRuleset,
) -> CaseResult:
    try:
        decision = decide(event)
    except Exception as error:  # a bad event or an engine bug fails this test, not the run
        return CaseResult(
            test.name, test.span, (f"the engine raised {type(error).__name__}: {error}",), event, None
        )
    failures = check_expectations(test, decision, checked.symbols)
    return CaseResult(test.name, test.span, failures, event, decision)


def _say(options: Options, message: str) -> None:
    if options.progress is not None:
        options.progress(message)
