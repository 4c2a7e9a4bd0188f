"""The checker: a sequence of small passes over a parsed ruleset, each in its own module.

`check(loaded, schema)` never raises: it returns the ruleset with every diagnostic the loader and the
passes found. A ruleset with no error-severity diagnostic may be compiled.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import Diagnostic, has_errors, sorted_diagnostics
from ruleward.dsl.loader import LoadedRuleset
from ruleward.dsl.source import SourceFile
from ruleward.dsl.symbols import Symbols


@dataclass(frozen=True)
class CheckedRuleset:
    ruleset: n.Ruleset
    symbols: Symbols
    sources: dict[str, SourceFile]
    diagnostics: tuple[Diagnostic, ...]
    schema: type[BaseModel]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def texts(self) -> dict[str, str]:
        return {path: source.text for path, source in self.sources.items()}


def check(loaded: LoadedRuleset, schema: type[BaseModel]) -> CheckedRuleset:
    diagnostics: list[Diagnostic] = list(loaded.diagnostics)
    symbols = Symbols.of(loaded.ruleset)
    # the passes are added here, in order
    return CheckedRuleset(
        loaded.ruleset, symbols, dict(loaded.sources), tuple(sorted_diagnostics(diagnostics)), schema
    )
