"""Condition coverage: did the tests and the invariants' examples see every decision point true and false?

A decision point is a rule's `when` and `unless`, a named condition, each operand of an `and` / `or` and
each quantifier body. Points are recorded by the evaluator as events go through it; evaluation short-
circuits like the engine's, so an operand only counts when it was really evaluated. Per rule we also
note whether it was seen firing and not firing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ruleward.dsl import nodes as n
from ruleward.dsl.source import SourceFile, Span
from ruleward.testing.evaluator import Evaluator, RuleOutcome, Truth

PointKind = Literal["when", "unless", "condition", "operand", "body"]


@dataclass
class Point:
    owner: str  # the rule or condition it belongs to
    kind: PointKind
    node: n.Expr
    seen: set[str] = field(default_factory=set)  # "true", "false", "unknown"

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def covered(self) -> int:
        """How many of the two outcomes (true, false) were seen."""
        return len(self.seen & {"true", "false"})


@dataclass
class RuleSeen:
    fired: bool = False
    not_fired: bool = False
    errored: bool = False


class Coverage:
    """Collects outcomes over many events; `record` is the evaluator's recorder."""

    def __init__(self, ruleset: n.Ruleset) -> None:
        self.ruleset = ruleset
        self.points: list[Point] = sorted(_points(ruleset), key=lambda p: (p.span.file, p.span.start))
        self._by_node = {id(p.node): p for p in self.points}
        self.rules: dict[str, RuleSeen] = {r.name: RuleSeen() for r in ruleset.rules}
        self.events = 0

    def record(self, node: n.Node, value: Truth) -> None:
        point = self._by_node.get(id(node))
        if point is not None:
            point.seen.add("unknown" if value is None else "true" if value else "false")

    def observe(self, evaluator: Evaluator, event: Mapping[str, object]) -> list[RuleOutcome]:
        """Evaluate every rule on `event`, recording each point and each rule's outcome."""
        self.events += 1
        outcomes = evaluator.outcomes(event, self.record)
        for outcome in outcomes:
            seen = self.rules.setdefault(outcome.name, RuleSeen())
            if outcome.error is not None:
                seen.errored = True
            elif outcome.fired:
                seen.fired = True
            else:
                seen.not_fired = True
        return outcomes

    @property
    def percent(self) -> float:
        if not self.points:
            return 100.0
        return 100.0 * sum(p.covered for p in self.points) / (2 * len(self.points))

    def by_owner(self) -> dict[str, tuple[int, int]]:
        """Per rule and condition: (outcomes seen, outcomes possible), in source order."""
        out: dict[str, tuple[int, int]] = {}
        for point in self.points:
            seen, possible = out.get(point.owner, (0, 0))
            out[point.owner] = (seen + point.covered, possible + 2)
        return out

    def uncovered(self) -> Iterator[Point]:
        return (p for p in self.points if p.covered < 2)

    def to_dict(self, sources: Mapping[str, SourceFile]) -> dict[str, object]:
        return {
            "percent": round(self.percent, 2),
            "events": self.events,
            "points": len(self.points),
            "owners": {owner: {"seen": s, "possible": p} for owner, (s, p) in self.by_owner().items()},
            "rules": {
                name: {"fired": s.fired, "not_fired": s.not_fired, "errored": s.errored}
                for name, s in self.rules.items()
            },
            "uncovered": [
                {
                    "owner": p.owner,
                    "kind": p.kind,
                    "where": f"{p.span.file}:{p.span.line}:{p.span.column}",
                    "text": snippet(sources, p.span),
                    "seen": sorted(p.seen),
                }
                for p in self.uncovered()
            ],
        }


def snippet(sources: Mapping[str, SourceFile], span: Span, limit: int = 72) -> str:
    """The source text of `span`, on one line and shortened."""
    source = sources.get(span.file)
    if source is None:
        return ""
    text = " ".join(source.text[span.start : span.end].split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _points(ruleset: n.Ruleset) -> Iterator[Point]:
    for declaration in ruleset.declarations():
        if isinstance(declaration, n.Condition):
            yield Point(declaration.name, "condition", declaration.expr)
            yield from _inner(declaration.name, declaration.expr)
        elif isinstance(declaration, n.Rule):
            for kind, expr in (("when", declaration.when), ("unless", declaration.unless)):
                if expr is not None:
                    yield Point(declaration.name, kind, expr)  # type: ignore[arg-type]
                    yield from _inner(declaration.name, expr)


def _inner(owner: str, root: n.Expr) -> Iterator[Point]:
    stack: list[n.Expr] = [root]
    while stack:
        expr = stack.pop()
        children: Iterable[n.Expr] = ()
        if isinstance(expr, n.And | n.Or):
            children = expr.operands
            for operand in expr.operands:
                yield Point(owner, "operand", operand)
        elif isinstance(expr, n.Quantifier):
            yield Point(owner, "body", expr.body)
            children = (expr.body,)
        elif isinstance(expr, n.Not):
            children = (expr.operand,)
        stack.extend(reversed(tuple(children)))
