"""The values a ruleset cares about, per event path: thresholds and the values either side, list members.

Generated events are biased towards these, so a property test tries `distance` 30, 31 and 32 when a rule
says `match.distance <= 31`, and both a member and a non-member of `csam_banks` for `match.bank`. Paths
are tuples of field names with `[]` for "an element of this list": `("hash_matches", "[]", "distance")`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from ruleward.dsl import nodes as n
from ruleward.dsl.symbols import Symbols

Path: TypeAlias = tuple[str, ...]
Scalar: TypeAlias = bool | int | float | str

ELEMENT: Final = "[]"
FLOAT_STEP: Final = 0.01
# `max_score("x")` reads the scores of the classifier signals labelled `x`
SCORE_PATH: Final[Path] = ("classifiers", ELEMENT, "score")
LABEL_PATH: Final[Path] = ("classifiers", ELEMENT, "label")
NON_MEMBER: Final = "not_listed"


def step_values(value: int | float) -> list[int | float]:
    """A threshold and its neighbours: ints by 1, floats by 0.01 (rounded so 0.9 - 0.01 is 0.89)."""
    if isinstance(value, int):
        return [value - 1, value, value + 1]
    return [round(value - FLOAT_STEP, 10), value, round(value + FLOAT_STEP, 10)]


@dataclass
class Boundaries:
    """Interesting values per path, plus the ones the walk could not tie to a path."""

    values: dict[Path, list[Scalar]] = field(default_factory=lambda: defaultdict(list))
    loose: list[Scalar] = field(default_factory=list)
    # the event paths the ruleset reads as values (not merely walks through); None: read everything
    reads: set[Path] | None = None
    # paths only tested with `is missing` / `is present`: their insides are not read
    presence: set[Path] = field(default_factory=set)
    _roles: dict[Path | None, dict[tuple[type, Scalar], int]] = field(default_factory=dict, repr=False)

    def relevant(self, path: Path) -> bool:
        """Whether the ruleset can see the value at `path` (a prefix of a read, or inside one)."""
        if self.reads is None:
            return True
        if any(r[: len(path)] == path for r in self.presence):
            return True
        return any(r[: len(path)] == path or path[: len(r)] == r for r in self.reads)

    def add(self, path: Path | None, values: Iterable[Scalar], roles: Iterable[int] | None = None) -> None:
        """Add `values` at `path`; `roles` rank them (0 for a threshold itself, 1 and 2 for its sides)."""
        target = self.values[path] if path is not None else self.loose
        ranks = self._roles.setdefault(path, {})
        seen = {(type(v), v) for v in target}
        for value, role in zip(values, roles if roles is not None else itertools.repeat(0), strict=False):
            key = (type(value), value)
            ranks[key] = min(ranks.get(key, role), role)
            if key not in seen:
                seen.add(key)
                target.append(value)

    def at(self, path: Path) -> list[Scalar]:
        """The values at `path`, thresholds first: a generator picks early values most often."""
        ranks = self._roles.get(path, {})
        return sorted(self.values.get(path, ()), key=lambda v: ranks.get((type(v), v), 0))

    def strings(self) -> list[str]:
        """Every string the ruleset mentions (for free-text fields no comparison names)."""
        out: list[str] = []
        for value in [*self.loose, *(v for vs in self.values.values() for v in vs)]:
            if isinstance(value, str) and value not in out:
                out.append(value)
        return out


def boundaries_of(ruleset: n.Ruleset | None) -> Boundaries:
    found = Boundaries()
    if ruleset is None:
        return found
    found.reads = set()
    walker = _Walker(Symbols.of(ruleset), found)
    for declaration in ruleset.declarations():
        if isinstance(declaration, n.Condition):
            walker.walk(declaration.expr)
        elif isinstance(declaration, n.Rule):
            for expr in (declaration.when, declaration.unless):
                if expr is not None:
                    walker.walk(expr)
        elif isinstance(declaration, n.Invariant):
            if declaration.when is not None:
                walker.walk(declaration.when)
            if declaration.always is not None:
                walker.walk(declaration.always, in_always=True)
    return found


class _Walker:
    def __init__(self, symbols: Symbols, found: Boundaries) -> None:
        self.symbols = symbols
        self.found = found
        self.in_always = False

    def walk(self, root: n.Expr, *, in_always: bool = False) -> None:
        self.in_always = in_always
        stack: list[tuple[n.Expr, dict[str, Path | None]]] = [(root, {})]
        while stack:
            expr, scope = stack.pop()
            if isinstance(expr, n.Name | n.Attribute):
                self.read(expr, scope)
            elif isinstance(expr, n.Quantifier):
                source = self.path(expr.source, scope)
                inner = dict(scope)
                inner[expr.variable] = (*source, ELEMENT) if source is not None else None
                stack.append((expr.body, inner))
                if not isinstance(expr.source, n.Name | n.Attribute):  # walked through, not read whole
                    stack.append((expr.source, scope))
            elif isinstance(expr, n.And | n.Or):
                stack.extend((o, scope) for o in expr.operands)
            elif isinstance(expr, n.IsTest):  # presence and emptiness: what is inside is not read
                path = self.path(expr.operand, scope)
                if path is not None:
                    self.found.presence.add(path)
                else:
                    stack.append((expr.operand, scope))
            elif isinstance(expr, n.Not):
                stack.append((expr.operand, scope))
            elif isinstance(expr, n.Compare):
                self.compare(expr, scope)
                stack.extend(((expr.left, scope), (expr.right, scope)))
            elif isinstance(expr, n.Call):
                self.call(expr)
                stack.extend((a, scope) for a in expr.args)

    def read(self, expr: n.Expr, scope: dict[str, Path | None]) -> None:
        path = self.path(expr, scope)
        if path is not None and self.found.reads is not None:
            self.found.reads.add(path)

    def compare(self, expr: n.Compare, scope: dict[str, Path | None]) -> None:
        if expr.op in ("in", "not in"):
            self.found.add(self.path(expr.left, scope), self.members(expr.right))
            return
        if expr.op == "contains":
            source = self.path(expr.left, scope)
            self.found.add((*source, ELEMENT) if source else None, self.members(expr.right))
            return
        for side, other in ((expr.left, expr.right), (expr.right, expr.left)):
            target = self.path(side, scope)
            if target is None and not _is_score(side):
                continue
            for value in self.scalars(other):
                spread: list[Scalar] = [value]
                roles = [0]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    spread, roles = list(step_values(value)), [1, 0, 2]
                if _is_score(side):
                    self.found.add(SCORE_PATH, spread, roles)
                else:
                    self.found.add(target, spread, roles)
                    if isinstance(value, str):
                        self.found.add(target, [NON_MEMBER], [1])

    def call(self, expr: n.Call) -> None:
        if expr.function == "max_score":
            for arg in expr.args:
                self.found.add(LABEL_PATH, self.scalars(arg))
            if self.found.reads is not None:
                self.found.reads.update((LABEL_PATH, SCORE_PATH, ("classifiers", ELEMENT, "status")))

    def path(self, expr: n.Expr, scope: dict[str, Path | None]) -> Path | None:
        steps: list[str] = []
        while isinstance(expr, n.Attribute):
            steps.append(expr.name)
            expr = expr.value
        if not isinstance(expr, n.Name):
            return None
        steps.reverse()
        kind = self.symbols.resolve(expr.name, scope, in_always=self.in_always)
        if kind == "variable":
            base = scope[expr.name]
            return (*base, *steps) if base is not None else None
        if kind == "field":
            return (expr.name, *steps)
        return None

    def scalars(self, expr: n.Expr) -> list[Scalar]:
        if isinstance(expr, n.Literal):
            return [expr.value]
        if isinstance(expr, n.Name) and expr.name in self.symbols.constants:
            return [self.symbols.constants[expr.name].value.value]
        return []

    def members(self, expr: n.Expr) -> Iterator[Scalar]:
        items: tuple[n.Literal, ...] = ()
        if isinstance(expr, n.ListLiteral):
            items = expr.items
        elif isinstance(expr, n.Name) and expr.name in self.symbols.lists:
            items = self.symbols.lists[expr.name].items.items
        else:
            yield from self.scalars(expr)
            return
        for item in items:
            yield item.value
        if items and all(isinstance(i.value, str) for i in items):
            yield NON_MEMBER


def _is_score(expr: n.Expr) -> bool:
    return isinstance(expr, n.Call) and expr.function == "max_score"
