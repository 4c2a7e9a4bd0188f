"""The checker: a sequence of small passes over a parsed ruleset, each in its own module.

`check(loaded, schema)` never raises: it returns the ruleset with every diagnostic the loader and the
passes found. A ruleset with no error-severity diagnostic may be compiled.

The passes run in this order, each named for the rule it enforces:

- `header`: exactly one `ruleset` header, with a version, an owner and a fallback that fails closed
- `names`: no duplicate declarations, no name hiding an event field, no undefined or unused names
- `cycles`: no condition or rule that depends on itself
- `types`: paths exist in the event schema, operators get operands they can use, conditions are boolean
- `scope`: quantifier variables used only in their quantifier, hiding nothing, and used
- `actions`: known actions with known, required, well-typed arguments; no conflicting actions in a rule
- `rules`: every rule has `when` and `then`, a known `mode`, and legal-tier rules have no `unless`
- `lints`: contradictory comparisons, logic written twice, size limits
- `tests`: tests expect real outcomes of real rules on events that fit the schema; invariants say `always`
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import actions, cycles, header, lints, names, rules, scope, tests, types
from ruleward.dsl.checker.context import DEFAULT_LIMITS, Context, Limits
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticCode, has_errors, sorted_diagnostics
from ruleward.dsl.loader import LoadedRuleset
from ruleward.dsl.source import SourceFile, Span
from ruleward.dsl.symbols import Symbols

INTERNAL_ERROR = DiagnosticCode("E100", "internal-error", "a checker pass failed: a bug in ruleward")

Pass = Callable[[Context], None]

PASSES: tuple[tuple[str, Pass], ...] = (
    ("header", header.run),
    ("names", names.run),
    ("cycles", cycles.run),
    ("types", types.run),
    ("scope", scope.run),
    ("actions", actions.run),
    ("rules", rules.run),
    ("lints", lints.run),
    ("tests", tests.run),
)


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


def check(
    loaded: LoadedRuleset, schema: type[BaseModel], *, limits: Limits = DEFAULT_LIMITS
) -> CheckedRuleset:
    symbols = Symbols.of(loaded.ruleset)
    ctx = Context(
        loaded.ruleset,
        symbols,
        schema,
        dict(loaded.sources),
        limits=limits,
        complete=not has_errors(loaded.diagnostics),
    )
    for name, run in PASSES:
        try:
            run(ctx)
        except Exception as error:  # a bug must not hide the other passes' findings, nor crash a host
            ctx.emit(
                INTERNAL_ERROR.at(
                    _somewhere(loaded),
                    f"the `{name}` check failed: {type(error).__name__}: {error}",
                    "this is a bug in ruleward; please report it with the ruleset that caused it",
                )
            )
    diagnostics = _unique([*loaded.diagnostics, *ctx.diagnostics])
    return CheckedRuleset(
        loaded.ruleset, symbols, dict(loaded.sources), tuple(sorted_diagnostics(diagnostics)), schema
    )


def _somewhere(loaded: LoadedRuleset) -> Span | None:
    modules = loaded.ruleset.modules
    return Span(modules[0].path, 1, 1, 1, 1, 0, 0) if modules else None


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    # the same finding reached twice (a base event checked once per test) is reported once
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.code, d.span, d.message, d.hint)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


__all__ = ["DEFAULT_LIMITS", "PASSES", "CheckedRuleset", "Limits", "check"]
