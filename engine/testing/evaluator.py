"""A three-valued evaluator over the AST, for invariants (which also read `decision`) and coverage.

The engine decides; this module only judges. It implements the semantics of the brief on its own (so
an invariant is not checked by the code it checks) and can record the outcome of every decision point
(`when`, `unless`, named conditions, each `and`/`or` operand, quantifier bodies) for condition coverage.

Values are decoded JSON: `None` is an absent value, `UNKNOWN` the result of reading a missing signal,
and `MISSING_SIGNAL` the signal itself being null (so `hash_matches is missing` stays definite).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from enum import Enum
from typing import Final, TypeAlias

from pydantic import BaseModel, ValidationError

from ruleward.dsl import nodes as n
from ruleward.dsl import types as t
from ruleward.dsl.symbols import Symbols
from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, DISPOSITIONS


class _Sentinel(Enum):
    UNKNOWN = "unknown"
    MISSING_SIGNAL = "missing signal"


UNKNOWN: Final = _Sentinel.UNKNOWN
MISSING_SIGNAL: Final = _Sentinel.MISSING_SIGNAL

Value: TypeAlias = object
Truth: TypeAlias = bool | None  # None is unknown
Recorder: TypeAlias = Callable[[n.Node, Truth], None]

ORDERED_ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "disposition": DISPOSITIONS,
    "account_action": ACCOUNT_ACTIONS,
}


class EvaluationError(Exception):
    """Evaluating an expression failed on the data (a type the expression cannot use)."""

    def __init__(self, node: n.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """How one rule went on one event: fired, errored (fail closed) or neither."""

    name: str
    fired: bool
    error: str | None = None


def _is_unknown(value: Value) -> bool:
    return value is UNKNOWN or value is MISSING_SIGNAL


class _Statics:
    """What the evaluator needs to know about the AST before any event: signal paths, ordered enums."""

    def __init__(self, ruleset: n.Ruleset, schema: type[BaseModel]) -> None:
        self.symbols = Symbols.of(ruleset)
        self.event_type = t.from_model(schema)
        self.decision_type = t.decision_type(self.symbols.rules)
        # id(node) -> the field a path node reads (signal-ness and ordered enums)
        self.fields: dict[int, t.Field] = {}
        self.declared_in_always: set[int] = set()
        # condition or rule -> the conditions and rules it refers to directly
        self.references: dict[str, set[str]] = {}
        for declaration in ruleset.declarations():
            if isinstance(declaration, n.Condition):
                self._scan(declaration.expr, {}, False, self.references.setdefault(declaration.name, set()))
            elif isinstance(declaration, n.Rule):
                found = self.references.setdefault(declaration.name, set())
                for expr in (declaration.when, declaration.unless):
                    if expr is not None:
                        self._scan(expr, {}, False, found)
            elif isinstance(declaration, n.Invariant):
                if declaration.when is not None:
                    self._scan(declaration.when, {}, False, set())
                if declaration.always is not None:
                    self._scan(declaration.always, {}, True, set())
        self.depth = _chain_depths(self.references)

    def _scan(self, root: n.Expr, outer: dict[str, t.Type], in_always: bool, references: set[str]) -> None:
        stack: list[tuple[n.Expr, dict[str, t.Type]]] = [(root, outer)]
        while stack:
            expr, scope = stack.pop()
            if in_always:
                self.declared_in_always.add(id(expr))
            if isinstance(expr, n.Name):
                kind = self.symbols.resolve(expr.name, scope, in_always=in_always)
                if kind in ("condition", "rule"):
                    references.add(expr.name)
            if isinstance(expr, n.Name | n.Attribute):
                self._type_of(expr, scope, in_always)
            if isinstance(expr, n.Quantifier):
                source_type = self._type_of(expr.source, scope, in_always)
                inner = dict(scope)
                inner[expr.variable] = t.element(source_type) if source_type is not None else t.ANY
                stack.append((expr.body, inner))
                stack.append((expr.source, scope))
            elif isinstance(expr, n.And | n.Or):
                stack.extend((o, scope) for o in expr.operands)
            elif isinstance(expr, n.Not | n.IsTest):
                stack.append((expr.operand, scope))
            elif isinstance(expr, n.Compare):
                stack.extend(((expr.left, scope), (expr.right, scope)))
            elif isinstance(expr, n.Call):
                stack.extend((a, scope) for a in expr.args)

    def _type_of(self, expr: n.Expr, scope: dict[str, t.Type], in_always: bool) -> t.Type | None:
        if isinstance(expr, n.Name):
            kind = self.symbols.resolve(expr.name, scope, in_always=in_always)
            if kind == "variable":
                return scope[expr.name]
            if kind == "decision":
                return self.decision_type
            if kind == "field":
                found = self.event_type.get(expr.name)
                if found is not None:
                    self.fields[id(expr)] = found
                    return found.type
            return None
        if isinstance(expr, n.Attribute):
            base = self._type_of(expr.value, scope, in_always)
            for option in t.options(base) if base is not None else ():
                if isinstance(option, t.ObjectType):
                    found = option.get(expr.name)
                    if found is not None:
                        self.fields[id(expr)] = found
                        return found.type
                if isinstance(option, t.MapType):
                    return option.value
            return None
        return None


def _chain_depths(references: Mapping[str, set[str]]) -> dict[str, int]:
    """For each condition and rule, the length of its longest chain of references (0: refers to none).

    Iterative, as the chains can be long; a reference back into a cycle counts as nothing (the checker
    refuses cycles, and evaluating one raises).
    """
    depth: dict[str, int] = {}
    for root in references:
        if root in depth:
            continue
        visiting = {root}
        stack: list[tuple[str, list[str]]] = [(root, sorted(references[root]))]
        while stack:
            name, pending = stack[-1]
            if pending:
                nxt = pending.pop()
                if nxt in references and nxt not in depth and nxt not in visiting:
                    visiting.add(nxt)
                    stack.append((nxt, sorted(references[nxt])))
                continue
            stack.pop()
            visiting.discard(name)
            depth[name] = 1 + max((depth.get(d, -1) for d in references[name]), default=-1)
    return depth


# Evaluation recurses once per link of a chain of references. Past this depth, what a chain needs is
# evaluated first, dependencies first, so every link finds the one before it memoised. Shallower chains are
# evaluated lazily, exactly as written: a condition `and` skips is never evaluated, nor recorded.
_EAGER_DEPTH: Final = 48


class _SelfReference(EvaluationError):
    """A condition or rule reached again while it is being evaluated (never memoised: it depends on where
    the evaluation started)."""


@dataclass
class Evaluation:
    """One event (and, for `always`, one decision) being evaluated; memoises conditions and rules."""

    evaluator: Evaluator
    event: Mapping[str, object]
    decision: Mapping[str, object] | None = None
    recorder: Recorder | None = None
    _conditions: dict[str, Truth] = field(default_factory=dict)
    _rules: dict[str, Truth] = field(default_factory=dict)
    # conditions and rules whose evaluation failed: the same data fails the same way every time
    _failed: dict[str, EvaluationError] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)

    # ---- entry points ----------------------------------------------------------------------------------

    def truth(self, expr: n.Expr, scope: Mapping[str, Value] | None = None) -> Truth:
        return self._truth(expr, dict(scope or {}))

    def rule_value(self, name: str) -> Truth:
        """The value of a rule reference: its `when and not unless`, whatever its mode."""
        if name in self._rules:
            return self._rules[name]
        self._raise_if_failed(name)
        if name in self._busy:
            raise _SelfReference(self.evaluator.symbols.rules[name], f"rule `{name}` refers to itself")
        self._prepare(name)
        rule = self.evaluator.symbols.rules[name]
        self._busy.add(name)
        try:
            when = self._point(rule.when, {}) if rule.when is not None else True
            if when is False:
                value: Truth = False
            else:
                unless = self._point(rule.unless, {}) if rule.unless is not None else False
                value = _and(when, _not(unless))
        except EvaluationError as error:
            self._remember_failure(name, error)
            raise
        finally:
            self._busy.discard(name)
        self._rules[name] = value
        return value

    def rule_outcome(self, rule: n.Rule) -> RuleOutcome:
        """Fired, errored or neither, as the engine decides it (errors fail closed)."""
        try:
            when = self.rule_value_parts(rule)
        except EvaluationError as error:
            return RuleOutcome(rule.name, False, error.message)
        when_value, unless_value = when
        if when_value is None:
            return RuleOutcome(rule.name, False, "a signal the rule reads is missing")
        if when_value is False:
            return RuleOutcome(rule.name, False)
        if unless_value is None:
            return RuleOutcome(rule.name, False, "a signal the `unless` reads is missing")
        return RuleOutcome(rule.name, not unless_value)

    def rule_value_parts(self, rule: n.Rule) -> tuple[Truth, Truth]:
        when = self._point(rule.when, {}) if rule.when is not None else True
        if when is not True:
            return when, False
        unless = self._point(rule.unless, {}) if rule.unless is not None else False
        return when, unless

    # ---- booleans --------------------------------------------------------------------------------------

    def _point(self, expr: n.Expr, scope: dict[str, Value]) -> Truth:
        """A decision point: evaluated and, when recording, its outcome noted (errors too, as unknown)."""
        try:
            value = self._truth(expr, scope)
        except EvaluationError:
            if self.recorder is not None:
                self.recorder(expr, None)
            raise
        if self.recorder is not None:
            self.recorder(expr, value)
        return value

    def _truth(self, expr: n.Expr, scope: dict[str, Value]) -> Truth:
        if isinstance(expr, n.And):
            result: Truth = True
            for operand in expr.operands:
                result = _and(result, self._point(operand, scope))
                if result is False:
                    return False
            return result
        if isinstance(expr, n.Or):
            result = False
            for operand in expr.operands:
                result = _or(result, self._point(operand, scope))
                if result is True:
                    return True
            return result
        if isinstance(expr, n.Not):
            return _not(self._truth(expr.operand, scope))
        if isinstance(expr, n.Quantifier):
            return self._quantifier(expr, scope)
        if isinstance(expr, n.Compare):
            return self._compare(expr, scope)
        if isinstance(expr, n.IsTest):
            return self._is_test(expr, scope)
        if isinstance(expr, n.Name):
            kind = self.evaluator.symbols.resolve(expr.name, scope, in_always=self.decision is not None)
            if kind == "condition":
                return self._condition(expr.name)
            if kind == "rule":
                return self.rule_value(expr.name)
        return self._as_truth(expr, self._value(expr, scope))

    def _as_truth(self, node: n.Node, value: Value) -> Truth:
        if _is_unknown(value):
            return None
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        raise EvaluationError(node, f"expected true/false, got {_show(value)}")

    def _condition(self, name: str) -> Truth:
        if name in self._conditions:
            return self._conditions[name]
        self._raise_if_failed(name)
        if name in self._busy:
            raise _SelfReference(self.evaluator.symbols.conditions[name], f"`{name}` refers to itself")
        self._prepare(name)
        self._busy.add(name)
        try:
            value = self._point(self.evaluator.symbols.conditions[name].expr, {})
        except EvaluationError as error:
            self._remember_failure(name, error)
            raise
        finally:
            self._busy.discard(name)
        self._conditions[name] = value
        return value

    def _raise_if_failed(self, name: str) -> None:
        failed = self._failed.get(name)
        if failed is not None:
            raise failed.with_traceback(None)  # raised once per reader: do not let its traceback grow

    def _remember_failure(self, name: str, error: EvaluationError) -> None:
        if not isinstance(error, _SelfReference):
            self._failed[name] = error

    def _prepare(self, name: str) -> None:
        """Before a long chain is evaluated from the top (nothing in progress): evaluate what it refers
        to, transitively and dependencies first, so the evaluation of `name` recurses only one link deep."""
        statics = self.evaluator.statics
        if self._busy or statics.depth.get(name, 0) <= _EAGER_DEPTH:
            return
        done = self._done
        visiting = {name}
        stack: list[tuple[str, list[str]]] = [(name, sorted(statics.references.get(name, ())))]
        while stack:
            current, pending = stack[-1]
            if pending:
                nxt = pending.pop()
                if not done(nxt) and nxt not in visiting:
                    visiting.add(nxt)
                    stack.append((nxt, sorted(statics.references.get(nxt, ()))))
                continue
            stack.pop()
            if current == name:
                break
            # a failure is remembered, and raised again where the chain reads it
            with suppress(EvaluationError):
                if current in self.evaluator.symbols.conditions:
                    self._condition(current)
                else:
                    self.rule_value(current)

    def _done(self, name: str) -> bool:
        return name in self._conditions or name in self._rules or name in self._failed

    def _quantifier(self, expr: n.Quantifier, scope: dict[str, Value]) -> Truth:
        source = self._value(expr.source, scope)
        if _is_unknown(source):
            return None
        if source is None:
            items: Sequence[Value] = ()
        elif isinstance(source, list | tuple):
            items = source
        else:
            raise EvaluationError(expr.source, f"expected a list, got {_show(source)}")
        unknown = False
        for item in items:
            inner = dict(scope)
            inner[expr.variable] = item
            value = self._point(expr.body, inner)
            if expr.kind == "any" and value is True:
                return True
            if expr.kind == "all" and value is False:
                return False
            unknown = unknown or value is None
        if unknown:
            return None
        return expr.kind == "all"

    def _compare(self, expr: n.Compare, scope: dict[str, Value]) -> Truth:
        left = self._value(expr.left, scope)
        right = self._value(expr.right, scope)
        if _is_unknown(left) or _is_unknown(right):
            return None
        op = expr.op
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        if op in ("in", "not in"):
            found = self._member(expr, left, right)
            return found if op == "in" else not found
        if op == "contains":
            return self._member(expr, right, left)
        if left is None or right is None:
            return False
        order = self._ordered_enum(expr)
        if order is not None:
            left, right = self._rank(expr, order, left), self._rank(expr, order, right)
        return _order(expr, op, left, right)

    def _member(self, expr: n.Compare, item: Value, collection: Value) -> bool:
        if item is None or collection is None:
            return False
        if isinstance(collection, list | tuple):
            return any(_equal(item, c) for c in collection)
        if isinstance(collection, str) and isinstance(item, str):
            return item in collection
        raise EvaluationError(expr, f"expected a list, got {_show(collection)}")

    def _ordered_enum(self, expr: n.Compare) -> tuple[str, ...] | None:
        for side in (expr.left, expr.right):
            found = self.evaluator.statics.fields.get(id(side))
            if found is not None and isinstance(found.type, t.StringType) and found.type.ordered:
                return ORDERED_ENUMS.get(found.name, found.type.values)
        return None

    def _rank(self, expr: n.Compare, order: tuple[str, ...], value: Value) -> int:
        # most severe first in the vocabulary; "more severe" must compare as greater
        if not isinstance(value, str) or value not in order:
            raise EvaluationError(expr, f"{_show(value)} is not one of {', '.join(order)}")
        return len(order) - order.index(value)

    def _is_test(self, expr: n.IsTest, scope: dict[str, Value]) -> Truth:
        value = self._value(expr.operand, scope)
        if expr.test in ("missing", "present"):
            if value is UNKNOWN:
                return None
            missing = value is None or value is MISSING_SIGNAL
            return missing if expr.test == "missing" else not missing
        if _is_unknown(value):
            return None
        if value is None:
            empty = True
        elif isinstance(value, list | tuple | str | dict):
            empty = len(value) == 0
        else:
            raise EvaluationError(expr, f"`is empty` needs a list, got {_show(value)}")
        return empty if expr.test == "empty" else not empty

    # ---- values ----------------------------------------------------------------------------------------

    def _value(self, expr: n.Expr, scope: dict[str, Value]) -> Value:
        if isinstance(expr, n.Literal):
            return expr.value
        if isinstance(expr, n.ListLiteral):
            return [item.value for item in expr.items]
        if isinstance(expr, n.Name):
            return self._name(expr, scope)
        if isinstance(expr, n.Attribute):
            base = self._value(expr.value, scope)
            if _is_unknown(base):
                return UNKNOWN
            if base is None:
                return None
            if not isinstance(base, Mapping):
                raise EvaluationError(expr, f"`{expr.name}` read from {_show(base)}")
            return self._field(expr, base.get(expr.name))
        if isinstance(expr, n.Call):
            return self._call(expr, scope)
        truth = self._truth(expr, scope)
        return UNKNOWN if truth is None else truth

    def _name(self, expr: n.Name, scope: dict[str, Value]) -> Value:
        symbols = self.evaluator.symbols
        kind = symbols.resolve(expr.name, scope, in_always=self.decision is not None)
        if kind == "variable":
            return scope[expr.name]
        if kind == "constant":
            return symbols.constants[expr.name].value.value
        if kind == "list":
            return [item.value for item in symbols.lists[expr.name].items.items]
        if kind == "condition":
            truth = self._condition(expr.name)
            return UNKNOWN if truth is None else truth
        if kind == "rule":
            truth = self.rule_value(expr.name)
            return UNKNOWN if truth is None else truth
        if kind == "decision":
            return self.decision
        return self._field(expr, self.event.get(expr.name))

    def _field(self, expr: n.Expr, value: Value) -> Value:
        if value is not None:
            return value
        # null reads as a field left out: a missing signal is unknown, any other field its default
        found = self.evaluator.statics.fields.get(id(expr))
        if found is None:
            return None
        return MISSING_SIGNAL if found.signal else found.default

    def _call(self, expr: n.Call, scope: dict[str, Value]) -> Value:
        if expr.function == "max_score" and len(expr.args) == 1:
            label = self._value(expr.args[0], scope)
            if not isinstance(label, str):
                raise EvaluationError(expr, f"`max_score` needs a label string, got {_show(label)}")
            signals = self.event.get("classifiers")
            if signals is None:
                return UNKNOWN
            if not isinstance(signals, list | tuple):
                raise EvaluationError(expr, f"`classifiers` is {_show(signals)}, not a list")
            scores = [
                s.get("score")
                for s in signals
                if isinstance(s, Mapping) and s.get("label") == label and s.get("status", "ok") == "ok"
            ]
            numbers = [s for s in scores if isinstance(s, int | float) and not isinstance(s, bool)]
            if any(s != s for s in numbers):  # NaN orders with nothing: a fail-open trap, so an error
                raise EvaluationError(expr, f"a `{label}` score is NaN, not a number")
            return max(numbers) if numbers else None
        if expr.function == "count" and len(expr.args) == 1:
            value = self._value(expr.args[0], scope)
            if _is_unknown(value):
                return UNKNOWN
            if value is None:
                return 0
            if isinstance(value, list | tuple | dict | str):
                return len(value)
            raise EvaluationError(expr, f"`count` needs a list, got {_show(value)}")
        raise EvaluationError(expr, f"unknown function `{expr.function}`")


class Evaluator:
    """The expressions of one ruleset, ready to evaluate against events (and decisions)."""

    def __init__(self, ruleset: n.Ruleset, schema: type[BaseModel]) -> None:
        self.ruleset = ruleset
        self.schema = schema
        self.statics = _Statics(ruleset, schema)
        self.symbols = self.statics.symbols

    def on(
        self,
        event: Mapping[str, object],
        decision: Mapping[str, object] | None = None,
        recorder: Recorder | None = None,
        *,
        normalized: bool = False,
    ) -> Evaluation:
        """An evaluation of `event` (and `decision`); `normalized` when `normalize` was already applied."""
        return Evaluation(self, event if normalized else self.normalize(event), decision, recorder)

    def normalize(self, event: Mapping[str, object]) -> Mapping[str, object]:
        """The event with the schema's defaults filled in: a left-out `status` reads as `"ok"`, a left-out
        `entry_deleted` as false. An event the schema rejects is read as it is."""
        try:
            return self.schema.model_validate(event).model_dump(mode="json")
        except ValidationError:
            return event

    def outcomes(self, event: Mapping[str, object], recorder: Recorder | None = None) -> list[RuleOutcome]:
        evaluation = self.on(event, None, recorder)
        return [evaluation.rule_outcome(rule) for rule in self.symbols.rules.values()]


def invariant_holds(evaluation: Evaluation, invariant: n.Invariant) -> tuple[bool, Truth]:
    """(holds, when): it holds when `when` is false or unknown, or `always` is true."""
    when: Truth = True
    if invariant.when is not None:
        try:
            when = evaluation.truth(invariant.when)
        except EvaluationError:
            when = None
    if when is not True:
        return True, when
    if invariant.always is None:
        return True, when
    return evaluation.truth(invariant.always) is True, when


def decision_view(decision: Mapping[str, object]) -> dict[str, object]:
    """The `decision` an invariant's `always` reads, from `Decision.to_dict()`."""
    account = decision.get("account_action")
    kind = account.get("kind") if isinstance(account, Mapping) else account
    errors = decision.get("errors") or []
    return {
        "disposition": decision.get("disposition"),
        "account_action": kind,
        "obligations": list(decision.get("obligations") or []),  # type: ignore[call-overload]
        "matched": list(decision.get("matched") or []),  # type: ignore[call-overload]
        "shadow": list(decision.get("shadow") or []),  # type: ignore[call-overload]
        "errors": [
            {"rule": e.get("rule"), "message": e.get("message")}
            for e in errors  # type: ignore[attr-defined]
            if isinstance(e, Mapping)
        ],
    }


# ---- three-valued logic and comparisons ----------------------------------------------------------------


def _and(a: Truth, b: Truth) -> Truth:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Truth, b: Truth) -> Truth:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _not(a: Truth) -> Truth:
    return None if a is None else not a


def _equal(a: Value, b: Value) -> bool:
    # true == 1 in Python; in the language a boolean is never a number
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _order(node: n.Node, op: str, left: Value, right: Value) -> bool:
    numeric = (int, float)
    both_numbers = (
        isinstance(left, numeric)
        and isinstance(right, numeric)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
        and left == left
        and right == right
    )
    if not both_numbers and not (isinstance(left, str) and isinstance(right, str)):
        raise EvaluationError(node, f"cannot order {_show(left)} and {_show(right)}")
    a, b = left, right
    if op == "<":
        return bool(a < b)  # type: ignore[operator]
    if op == "<=":
        return bool(a <= b)  # type: ignore[operator]
    if op == ">":
        return bool(a > b)  # type: ignore[operator]
    return bool(a >= b)  # type: ignore[operator]


def _show(value: Value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, int | float):
        return f"`{value}`"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return str(value)
