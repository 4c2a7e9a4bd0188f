"""The engine as the testing tools see it: a ruleset to load, and a function from an event to a decision.

Decisions are handled in their JSON form (`Decision.to_dict()`), which is what tests and invariants
describe. Mutants are compiled straight from their AST with the engine's compiler: the checker already
passed the original, and a mutant changes no names or types, so it is not checked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.source import SourceFile
from ruleward.dsl.symbols import Symbols

Decide: TypeAlias = Callable[[Mapping[str, Any]], dict[str, Any]]

MUTANT_DIGEST = "mutant"


@dataclass(frozen=True, slots=True)
class LoadFailure:
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, SourceFile]


def load(where: str, schema: type[BaseModel] | None) -> tuple[CheckedRuleset, Decide] | LoadFailure:
    """Load and compile the ruleset at `where` (a path or a shipped name) with the engine."""
    from ruleward.engine.engine import Engine
    from ruleward.engine.ruleset import RulesetError

    try:
        engine = Engine.load(where, schema)
    except RulesetError as error:
        sources = {path: SourceFile(path, text) for path, text in error.texts.items()}
        return LoadFailure(tuple(error.diagnostics), sources)

    def decide(event: Mapping[str, Any]) -> dict[str, Any]:
        return engine.evaluate(event).to_dict()

    return engine.ruleset, decide


def compile_mutant(checked: CheckedRuleset, mutant: n.Ruleset) -> Decide:
    """Compile `mutant` (a changed copy of `checked.ruleset`); raises when the engine refuses it."""
    from ruleward.engine.compiler import compile_ruleset

    mutated = CheckedRuleset(mutant, Symbols.of(mutant), checked.sources, (), checked.schema)
    compiled = compile_ruleset(mutated, MUTANT_DIGEST)
    plan = compiled.plan

    def decide(event: Mapping[str, Any]) -> dict[str, Any]:
        data = event if event.__class__ is dict else dict(event)
        started = time.perf_counter_ns()
        fired, errors = compiled.run(data)
        return plan.decide(data, fired, errors, started).to_dict()

    return decide
