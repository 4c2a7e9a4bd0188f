"""The names a ruleset declares, and how a bare name in an expression resolves.

A bare name means, in this order: a quantifier's variable in scope, then a constant, list, condition or
rule of the ruleset, then `decision` (only inside an invariant's `always`), then a top-level field of the
event. The checker and the compiler both resolve through `Symbols.resolve`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from ruleward.dsl import nodes as n

NameKind = Literal["variable", "constant", "list", "condition", "rule", "decision", "field", "unknown"]

DECISION_ROOT = "decision"

# helpers callable in conditions: name -> (argument count, what it returns)
FUNCTIONS: dict[str, tuple[int, str]] = {
    "max_score": (1, "the highest `score` of the `ok` classifier signals with this label, absent if none"),
    "count": (1, "the number of items in a list"),
}


@dataclass(frozen=True)
class Symbols:
    constants: dict[str, n.Constant] = field(default_factory=dict)
    lists: dict[str, n.NamedList] = field(default_factory=dict)
    conditions: dict[str, n.Condition] = field(default_factory=dict)
    rules: dict[str, n.Rule] = field(default_factory=dict)

    @classmethod
    def of(cls, ruleset: n.Ruleset) -> Symbols:
        """The first declaration of each name wins; the checker reports the duplicates."""
        symbols = cls()
        for declaration in ruleset.declarations():
            if isinstance(declaration, n.Constant):
                symbols.constants.setdefault(declaration.name, declaration)
            elif isinstance(declaration, n.NamedList):
                symbols.lists.setdefault(declaration.name, declaration)
            elif isinstance(declaration, n.Condition):
                symbols.conditions.setdefault(declaration.name, declaration)
            elif isinstance(declaration, n.Rule):
                symbols.rules.setdefault(declaration.name, declaration)
        return symbols

    def resolve(self, name: str, variables: Collection[str] = (), *, in_always: bool = False) -> NameKind:
        if name in variables:
            return "variable"
        if name in self.constants:
            return "constant"
        if name in self.lists:
            return "list"
        if name in self.conditions:
            return "condition"
        if name in self.rules:
            return "rule"
        if in_always and name == DECISION_ROOT:
            return "decision"
        return "field"

    def declared_names(self) -> set[str]:
        return {*self.constants, *self.lists, *self.conditions, *self.rules}
