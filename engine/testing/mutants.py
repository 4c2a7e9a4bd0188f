"""Mutants of a ruleset: small, plausible mistakes in its rules, each a whole new AST.

A good test suite notices each one. The mutations: shift a numeric threshold or constant by one step
(ints by 1, floats by 0.01) either way; flip a comparison at its boundary (`<` and `<=`, `>` and `>=`,
`==` and `!=`, `in` and `not in`, `is missing` and `is present`, `is empty` and `is not empty`); swap
`and` and `or`; drop one operand of an `and` / `or`; negate a `when`, an `unless` or a named condition, or
remove a `not`; drop an `unless`; drop one action of a rule or of the fallback; change a list member.
Only rules, conditions, constants, lists and the header are mutated: the tests and invariants are the
specification the mutants are held to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ruleward.dsl import nodes as n
from ruleward.dsl.source import Span
from ruleward.testing.boundaries import FLOAT_STEP

FLIPS: Final[dict[n.CompareOp, n.CompareOp]] = {
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
}
PRESENCE_FLIPS: Final[dict[n.PresenceTest, n.PresenceTest]] = {
    "missing": "present",
    "present": "missing",
    "empty": "not empty",
    "not empty": "empty",
}
MUTATED_SUFFIX: Final = "_mutated"


@dataclass(frozen=True, slots=True)
class Mutant:
    kind: str
    description: str
    span: Span
    ruleset: n.Ruleset


@dataclass(frozen=True, slots=True)
class _Change:
    kind: str
    description: str
    span: Span
    value: Any  # the replacement for the node the change was made in (its type varies with the node)


def mutants(ruleset: n.Ruleset) -> Iterator[Mutant]:
    """Every mutant of `ruleset`, in source order of the declarations."""
    for m, module in enumerate(ruleset.modules):
        for d, declaration in enumerate(module.declarations):
            for change in _declaration(declaration):
                declarations = list(module.declarations)
                declarations[d] = change.value
                modules = list(ruleset.modules)
                modules[m] = dataclasses.replace(module, declarations=tuple(declarations))
                mutated = dataclasses.replace(ruleset, modules=tuple(modules))
                yield Mutant(change.kind, change.description, change.span, mutated)


def shifted(value: int | float) -> tuple[int | float, int | float]:
    if isinstance(value, int):
        return value - 1, value + 1
    return round(value - FLOAT_STEP, 10), round(value + FLOAT_STEP, 10)


# ---- declarations --------------------------------------------------------------------------------------


def _declaration(declaration: n.Declaration) -> Iterator[_Change]:
    if isinstance(declaration, n.Constant):
        value = declaration.value.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            for new in shifted(value):
                literal = n.Literal(new, span=declaration.value.span)
                yield _Change(
                    "threshold",
                    f"constant `{declaration.name}` changed from {value} to {new}",
                    declaration.span,
                    dataclasses.replace(declaration, value=literal),
                )
    elif isinstance(declaration, n.NamedList):
        for change in _list_members(declaration.items):
            yield _replaced(
                change, dataclasses.replace(declaration, items=change.value), f"list `{declaration.name}`"
            )
    elif isinstance(declaration, n.Condition):
        for change in _root(declaration.expr, f"condition `{declaration.name}`"):
            yield _replaced(change, dataclasses.replace(declaration, expr=change.value))
    elif isinstance(declaration, n.Rule):
        yield from _rule(declaration)
    elif isinstance(declaration, n.Header) and declaration.fallback:
        for i, action in enumerate(declaration.fallback):
            rest = declaration.fallback[:i] + declaration.fallback[i + 1 :]
            yield _Change(
                "drop-action",
                f"fallback action `{action.name}` dropped",
                action.span,
                dataclasses.replace(declaration, fallback=rest),
            )


def _rule(rule: n.Rule) -> Iterator[_Change]:
    where = f"rule `{rule.name}`"
    if rule.when is not None:
        for change in _root(rule.when, f"the `when` of {where}"):
            yield _replaced(change, dataclasses.replace(rule, when=change.value))
    if rule.unless is not None:
        yield _Change(
            "drop-operand",
            f"the `unless` of {where} dropped",
            rule.unless.span,
            dataclasses.replace(rule, unless=None),
        )
        for change in _root(rule.unless, f"the `unless` of {where}"):
            yield _replaced(change, dataclasses.replace(rule, unless=change.value))
    for i, action in enumerate(rule.actions):
        rest = rule.actions[:i] + rule.actions[i + 1 :]
        yield _Change(
            "drop-action",
            f"action `{action.name}` of {where} dropped",
            action.span,
            dataclasses.replace(rule, actions=rest),
        )


def _replaced(change: _Change, value: object, context: str | None = None) -> _Change:
    description = f"{change.description} in {context}" if context else change.description
    return _Change(change.kind, description, change.span, value)


# ---- expressions ---------------------------------------------------------------------------------------


def _root(expr: n.Expr, where: str) -> Iterator[_Change]:
    """The mutations of a `when`, `unless` or condition: negated whole, or changed inside."""
    yield _Change("negate", f"{where} negated", expr.span, n.Not(expr, span=expr.span))
    for change in _expr(expr):
        yield _Change(change.kind, f"{change.description} in {where}", change.span, change.value)


def _expr(expr: n.Expr) -> Iterator[_Change]:
    if isinstance(expr, n.Compare):
        yield from _compare(expr)
    elif isinstance(expr, n.IsTest):
        new = PRESENCE_FLIPS[expr.test]
        yield _Change(
            "comparison",
            f"`is {expr.test}` changed to `is {new}`",
            expr.span,
            dataclasses.replace(expr, test=new),
        )
    elif isinstance(expr, n.Not):
        yield _Change("negate", "`not` removed", expr.span, expr.operand)
        for change in _expr(expr.operand):
            yield _inside(change, dataclasses.replace(expr, operand=change.value))
    elif isinstance(expr, n.And | n.Or):
        yield from _junction(expr)
    elif isinstance(expr, n.Quantifier):
        for change in _expr(expr.body):
            yield _inside(change, dataclasses.replace(expr, body=change.value))


def _compare(expr: n.Compare) -> Iterator[_Change]:
    flipped = FLIPS.get(expr.op)
    if flipped is not None:
        yield _Change(
            "comparison",
            f"`{expr.op}` changed to `{flipped}`",
            expr.span,
            dataclasses.replace(expr, op=flipped),
        )
    for side in ("left", "right"):
        operand = getattr(expr, side)
        if isinstance(operand, n.Literal):
            value = operand.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                for new in shifted(value):
                    literal = n.Literal(new, span=operand.span)
                    yield _Change(
                        "threshold",
                        f"`{value}` changed to `{new}`",
                        operand.span,
                        _with_side(expr, side, literal),
                    )
        elif isinstance(operand, n.ListLiteral):
            for change in _list_members(operand):
                yield _inside(change, _with_side(expr, side, change.value))


def _with_side(expr: n.Compare, side: str, value: n.Expr) -> n.Compare:
    if side == "left":
        return dataclasses.replace(expr, left=value)
    return dataclasses.replace(expr, right=value)


def _junction(expr: n.And | n.Or) -> Iterator[_Change]:
    word, other = ("and", n.Or) if isinstance(expr, n.And) else ("or", n.And)
    yield _Change(
        "and-or",
        f"`{word}` changed to `{'or' if word == 'and' else 'and'}`",
        expr.span,
        other(expr.operands, span=expr.span),
    )
    for i, operand in enumerate(expr.operands):
        rest = expr.operands[:i] + expr.operands[i + 1 :]
        kept: n.Expr = rest[0] if len(rest) == 1 else dataclasses.replace(expr, operands=rest)
        part = "conjunct" if word == "and" else "disjunct"
        yield _Change("drop-operand", f"{part} dropped", operand.span, kept)
    for i, operand in enumerate(expr.operands):
        for change in _expr(operand):
            operands = list(expr.operands)
            operands[i] = change.value
            yield _inside(change, dataclasses.replace(expr, operands=tuple(operands)))


def _list_members(items: n.ListLiteral) -> Iterator[_Change]:
    for i, item in enumerate(items.items):
        value = item.value
        if isinstance(value, bool):
            new: bool | int | float | str = not value
        elif isinstance(value, int | float):
            new = shifted(value)[1]
        else:
            new = f"{value}{MUTATED_SUFFIX}"
        members = list(items.items)
        members[i] = n.Literal(new, span=item.span)
        yield _Change(
            "list-member",
            f"list member {_show(value)} changed to {_show(new)}",
            item.span,
            dataclasses.replace(items, items=tuple(members)),
        )


def _inside(change: _Change, value: object) -> _Change:
    return _Change(change.kind, change.description, change.span, value)


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)
