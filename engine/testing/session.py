"""One ruleset loaded once for the pytest plugin: its tests and invariants, runnable one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import render_all
from ruleward.engine.events import ModerationEvent
from ruleward.testing import target
from ruleward.testing.cases import case_event
from ruleward.testing.evaluator import Evaluator
from ruleward.testing.invariants import InvariantResult, check_invariants
from ruleward.testing.report import case_lines, invariant_lines
from ruleward.testing.runner import run_case
from ruleward.testing.strategies import events


class RulesetSession:
    """A ruleset directory: loaded and compiled once, then asked to run single tests and invariants."""

    def __init__(self, directory: Path, *, seed: int, examples: int) -> None:
        self.directory = directory
        self.seed = seed
        self.examples = examples
        self.failure: str | None = None
        self.failure_files: set[Path] = set()  # the files whose diagnostics made the failure
        self._invariants: dict[str, InvariantResult] | None = None
        loaded = target.load(str(directory), None)
        if isinstance(loaded, target.LoadFailure):
            texts = {path: source.text for path, source in loaded.sources.items()}
            self.failure = render_all(loaded.diagnostics, texts).rstrip() or f"cannot load `{directory}`"
            self.failure_files = {
                Path(d.span.file).resolve() for d in loaded.diagnostics if d.is_error and d.span is not None
            }
            return
        self.checked, self.decide = loaded
        ruleset = self.checked.ruleset
        self.evaluator = Evaluator(ruleset, self.checked.schema or ModerationEvent)
        self.test_events: list[tuple[str, dict[str, Any]]] = [
            (t.name, case_event(ruleset, t)) for t in ruleset.tests
        ]
        self._strategy = events(ruleset, self.checked.schema)

    def declarations_in(self, path: Path) -> Iterator[tuple[str, n.Test | n.Invariant]]:
        resolved = path.resolve()
        for module in self.checked.ruleset.modules:
            if Path(module.path).resolve() != resolved:
                continue
            for declaration in module.declarations:
                if isinstance(declaration, n.Test):
                    yield "test", declaration
                elif isinstance(declaration, n.Invariant):
                    yield "invariant", declaration

    def run(self, kind: str, declaration: n.Test | n.Invariant) -> str | None:
        """The failure report of one test or invariant, or None when it passed."""
        ruleset = self.checked.ruleset
        if isinstance(declaration, n.Test):
            result = run_case(declaration, case_event(ruleset, declaration), self.decide, self.checked)
            return None if result.passed else "\n".join(case_lines(result))
        outcome = self._invariant_results()[declaration.name]
        return None if outcome.passed else "\n".join(invariant_lines(outcome))

    def _invariant_results(self) -> dict[str, InvariantResult]:
        # one hypothesis run checks every invariant (generating events is the slow part), on first use
        if self._invariants is None:
            results = check_invariants(
                self.checked.ruleset.invariants,
                decide=self.decide,
                evaluator=self.evaluator,
                events=self._strategy,
                seed=self.seed,
                examples=self.examples,
                explicit=self.test_events,
            )
            self._invariants = {r.name: r for r in results}
        return self._invariants
