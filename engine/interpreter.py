"""The reference interpreter: the same semantics as the compiled code, walking the AST, clarity over speed.

Property tests hold the compiler to it: on any ruleset and any event both must reach the same decision.
It also records, for each truth value, the comparisons that decided it (`Fact`s), which is what
`explain` shows: for `a and b` that is true both facts, for one that is false the first false one; for
`any x in xs where ...` that is true the fact about the element that made it so, and so on.

Conditions and rules are evaluated at most once per event, in the plan's order (whatever a condition or
rule refers to comes first), so a reference finds its target memoised and a long chain of references does
not recurse once per link. Within an expression, evaluation order is the compiled code's: operands left to
right, `and` stopping at the first false operand and `or` at the first true one, so both fail on the same
data and report the same expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from ruleward.dsl import nodes as n
from ruleward.dsl.source import Span
from ruleward.engine import runtime as rt
from ruleward.engine.ruleset import Plan, RulePlan, Shape

Truth = bool | None


@dataclass(frozen=True, slots=True)
class Binding:
    """`variable` is the `index`th item of `source` (a quantifier walking a list)."""

    variable: str
    source: str
    index: int


@dataclass(frozen=True, slots=True)
class Fact:
    """One comparison (or other test) and what it found: the values of its operands and its result."""

    text: str
    span: Span | None
    result: Truth
    values: tuple[tuple[str, object], ...]  # (source text of an operand, its value; UNKNOWN if unknown)
    bindings: tuple[Binding, ...] = ()


Judged = tuple[Truth, tuple[Fact, ...]]
Status = TypingLiteral["fired", "not fired", "error"]


@dataclass(frozen=True)
class RuleRun:
    """How one rule went on one event."""

    plan: RulePlan
    status: Status
    value: Truth  # `when and not unless`, what a reference to the rule reads
    when: Judged | None = None
    unless: Judged | None = None
    failure: rt.EvalFailure | None = None
    unknown_clause: str | None = None  # "when" or "unless" when the rule errored on a missing signal


@dataclass(frozen=True)
class RunResult:
    fired: int
    errors: list[tuple[int, object]]
    rules: tuple[RuleRun, ...]


Scope = dict[str, tuple[object, Shape, Binding]]


class Interpreter:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def run(self, event: Mapping[str, object]) -> RunResult:
        evaluation = _Evaluation(self.plan, event)
        evaluation.prepare()
        fired = 0
        errors: list[tuple[int, object]] = []
        runs: list[RuleRun] = []
        for rule in self.plan.rules:
            run = evaluation.rule(rule.name)
            runs.append(run)
            if run.status == "fired":
                fired |= 1 << rule.index
            elif run.status == "error":
                errors.append((rule.index, run.failure if run.failure is not None else run.unknown_clause))
        return RunResult(fired, errors, tuple(runs))


@dataclass
class _Evaluation:
    plan: Plan
    event: Mapping[str, object]
    conditions: dict[str, Judged | rt.EvalFailure] = field(default_factory=dict)
    rules: dict[str, RuleRun] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)

    # ---- rules and conditions ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Evaluate every condition and rule, dependencies first; each is memoised, failures included.

        Nothing here has an effect but the memo, so evaluating a condition that some `and` would have
        skipped changes no result.
        """
        for kind, name in self.plan.order:
            if kind == "rule":
                self.rule(name)
                continue
            # a failure is memoised (or met again) for the rule that reads the condition
            with suppress(Exception):
                self.condition(name)

    def rule(self, name: str) -> RuleRun:
        done = self.rules.get(name)
        if done is not None:
            return done
        plan = self.plan.rules[self.plan.rule_index[name]]
        rule = plan.rule
        if name in self.busy:
            raise rt.EvalFailure(f"`{name}` depends on itself", rule.span)
        self.busy.add(name)
        try:
            run = self._decide(plan)
        finally:
            self.busy.discard(name)
        self.rules[name] = run
        return run

    def _decide(self, plan: RulePlan) -> RuleRun:
        rule = plan.rule
        try:
            when = self.truth(rule.when, {}) if rule.when is not None else (True, ())
            if when[0] is False:
                return RuleRun(plan, "not fired", False, when)
            unless = self.truth(rule.unless, {}) if rule.unless is not None else (False, ())
        except rt.EvalFailure as failure:
            return RuleRun(plan, "error", None, failure=failure)
        except Exception as error:  # pragma: no cover - every leaf is guarded; a bug still fails closed
            return RuleRun(plan, "error", None, failure=rt.failure(rule.span, rule.name, error))
        if when[0] is None:
            value: Truth = False if unless[0] is True else None
            return RuleRun(plan, "error", value, when, unless, unknown_clause="when")
        if unless[0] is None:
            return RuleRun(plan, "error", None, when, unless, unknown_clause="unless")
        if unless[0]:
            return RuleRun(plan, "not fired", False, when, unless)
        return RuleRun(plan, "fired", True, when, unless)

    def condition(self, name: str) -> Judged:
        done = self.conditions.get(name)
        if done is None:
            if name in self.busy:
                raise rt.EvalFailure(f"`{name}` depends on itself", self.plan.conditions[name].span)
            self.busy.add(name)
            try:
                done = self.truth(self.plan.conditions[name].expr, {})
            except rt.EvalFailure as failure:
                done = failure
            finally:
                self.busy.discard(name)
            self.conditions[name] = done
        if isinstance(done, rt.EvalFailure):
            raise done
        return done

    def rule_value(self, name: str, node: n.Node, scope: Scope) -> Judged:
        run = self.rule(name)
        if run.failure is not None:
            raise run.failure
        return run.value, (Fact(name, node.span, run.value, (), _bindings(scope)),)

    # ---- truth values -----------------------------------------------------------------------------------

    def truth(self, expr: n.Expr, scope: Scope) -> Judged:
        if isinstance(expr, n.And):
            return self._and(expr, scope)
        if isinstance(expr, n.Or):
            return self._or(expr, scope)
        if isinstance(expr, n.Not):
            value, facts = self.truth(expr.operand, scope)
            negated = None if value is None else not value
            if len(facts) == 1 and facts[0].span == expr.operand.span:  # `not x` on one test: say so
                facts = (Fact(self._text(expr), expr.span, negated, facts[0].values, facts[0].bindings),)
            return negated, facts
        if isinstance(expr, n.Quantifier):
            return self._quantifier(expr, scope)
        if isinstance(expr, n.Name):
            kind = self.plan.symbols.resolve(expr.name, scope)
            if kind == "condition":
                return self.condition(expr.name)
            if kind == "rule":
                return self.rule_value(expr.name, expr, scope)
        if isinstance(expr, n.Literal) and isinstance(expr.value, bool):
            return expr.value, ()
        try:
            if isinstance(expr, n.Compare):
                return self._compare(expr, scope)
            if isinstance(expr, n.IsTest):
                return self._is_test(expr, scope)
            found = self.value(expr, scope)[0]
            result = None if found is rt.UNKNOWN else rt.truth(found)
            return result, (self._fact(expr, result, ((expr, found),), scope),)
        except Exception as error:
            raise self._failure(expr, error) from None

    def _and(self, expr: n.And, scope: Scope) -> Judged:
        result: Truth = True
        every: list[Fact] = []
        unknown: list[Fact] = []
        for operand in expr.operands:
            value, facts = self.truth(operand, scope)
            if value is False:
                return False, facts  # the first condition that failed
            if value is None:
                result = None
                unknown.extend(facts)
            every.extend(facts)
        return (True, tuple(every)) if result is True else (None, tuple(unknown))

    def _or(self, expr: n.Or, scope: Scope) -> Judged:
        result: Truth = False
        every: list[Fact] = []
        unknown: list[Fact] = []
        for operand in expr.operands:
            value, facts = self.truth(operand, scope)
            if value is True:
                return True, facts
            if value is None:
                result = None
                unknown.extend(facts)
            every.extend(facts)
        return (False, tuple(every)) if result is False else (None, tuple(unknown))

    def _quantifier(self, expr: n.Quantifier, scope: Scope) -> Judged:
        try:
            source, shape = self.value(expr.source, scope)
            items = () if source is rt.UNKNOWN else rt.iterate(source)
        except Exception as error:
            raise self._failure(expr, error) from None
        if source is rt.UNKNOWN:
            return None, (self._fact(expr, None, ((expr.source, source),), scope),)
        is_any = expr.kind == "any"
        text = self._text(expr.source)
        unknown = False
        unknown_facts: list[Fact] = []
        other_facts: list[Fact] = []
        for index, item in enumerate(items):
            inner = {**scope, expr.variable: (item, shape.element, Binding(expr.variable, text, index))}
            value, facts = self.truth(expr.body, inner)
            if value is is_any:  # `any` found a true body, `all` a false one
                return value, facts
            if value is None:
                unknown = True
                unknown_facts.extend(facts)
            else:
                other_facts.extend(facts)
        if unknown:
            return None, tuple(unknown_facts)
        if not items:
            return not is_any, (self._fact(expr, not is_any, ((expr.source, source),), scope),)
        return not is_any, tuple(other_facts)

    def _compare(self, expr: n.Compare, scope: Scope) -> Judged:
        left = self.value(expr.left, scope)[0]
        right = self.value(expr.right, scope)[0]
        result: Truth
        if left is rt.UNKNOWN or right is rt.UNKNOWN:
            result = None
        elif expr.op in ("==", "!="):
            result = rt.equal(left, right) == (expr.op == "==")
        elif expr.op in ("in", "not in"):
            result = rt.member(left, right) == (expr.op == "in")
        elif expr.op == "contains":
            result = rt.member(right, left)
        else:
            result = rt.order(expr.op, left, right)
        return result, (self._fact(expr, result, ((expr.left, left), (expr.right, right)), scope),)

    def _is_test(self, expr: n.IsTest, scope: Scope) -> Judged:
        operand = expr.operand
        value = self.value(operand, scope)[0]
        result: Truth
        if expr.test in ("missing", "present"):
            if value is rt.UNKNOWN:
                # a missing signal is definitely missing; a path through one is unknown
                result = True if self._signal_root(operand, scope) else None
            else:
                result = value is None
            if result is not None and expr.test == "present":
                result = not result
        elif value is rt.UNKNOWN:
            result = None
        else:
            result = rt.is_empty(value) == (expr.test == "empty")
        return result, (self._fact(expr, result, ((operand, value),), scope),)

    # ---- values -----------------------------------------------------------------------------------------

    def value(self, expr: n.Expr, scope: Scope) -> tuple[object, Shape]:
        if isinstance(expr, n.Literal):
            return expr.value, Shape()
        if isinstance(expr, n.ListLiteral):
            return [item.value for item in expr.items], Shape()
        if isinstance(expr, n.Name):
            return self._name(expr, scope)
        if isinstance(expr, n.Attribute):
            base, shape = self.value(expr.value, scope)
            facts = self.plan.schema.field(shape, expr.name)
            return rt.get_field(base, expr.name, facts.default), facts.shape
        if isinstance(expr, n.Call):
            try:
                return self._call(expr, scope), Shape()
            except Exception as error:
                raise self._failure(expr, error) from None
        truth = self.truth(expr, scope)[0]
        return (rt.UNKNOWN if truth is None else truth), Shape()

    def _name(self, expr: n.Name, scope: Scope) -> tuple[object, Shape]:
        kind = self.plan.symbols.resolve(expr.name, scope)
        if kind == "variable":
            value, shape, _ = scope[expr.name]
            return value, shape
        if kind == "constant":
            return self.plan.constants[expr.name], Shape()
        if kind == "list":
            return list(self.plan.lists[expr.name]), Shape()
        if kind in ("condition", "rule"):
            truth = self.truth(expr, scope)[0]
            return (rt.UNKNOWN if truth is None else truth), Shape()
        return self._field(expr.name)

    def _field(self, name: str) -> tuple[object, Shape]:
        schema = self.plan.schema
        facts = schema.field(schema.root, name)
        value = self.event.get(name)
        if value is None:
            # null reads as a field left out: a missing signal is unknown, any other field its default
            return (rt.UNKNOWN if name in schema.signals else facts.default), facts.shape
        return value, facts.shape

    def _call(self, expr: n.Call, scope: Scope) -> object:
        argument = self.value(expr.args[0], scope)[0]
        if expr.function == "count":
            return rt.count(argument)
        return rt.max_score(self._field("classifiers")[0], argument)

    # ---- helpers ----------------------------------------------------------------------------------------

    def _signal_root(self, expr: n.Expr, scope: Scope) -> bool:
        return (
            isinstance(expr, n.Name)
            and self.plan.symbols.resolve(expr.name, scope) == "field"
            and expr.name in self.plan.schema.signals
        )

    def _text(self, node: n.Node) -> str:
        return rt.snippet(node.span, self.plan.texts)

    def _failure(self, node: n.Node, error: Exception) -> rt.EvalFailure:
        return rt.failure(node.span, self._text(node), error)

    def _fact(
        self, expr: n.Expr, result: Truth, operands: tuple[tuple[n.Expr, object], ...], scope: Scope
    ) -> Fact:
        values = tuple(
            (self._text(node), value)
            for node, value in operands
            if not isinstance(node, n.Literal | n.ListLiteral)
        )
        return Fact(self._text(expr), expr.span, result, values, _bindings(scope))


def _bindings(scope: Scope) -> tuple[Binding, ...]:
    return tuple(binding for _, _, binding in scope.values())


__all__ = ["Binding", "Fact", "Interpreter", "RuleRun", "RunResult"]
