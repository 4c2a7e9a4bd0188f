"""Hypothesis strategies for ASTs the parser could have built, and the source text they print as.

Every tree these generate has a spelling: names are never keywords, `and` / `or` chains are flat the way
the parser flattens them, paths hang off names, a negative number appears only where the grammar allows
`-` (constants and expressions, not lists, action arguments or JSON), and rules, tests and invariants have
at least one clause. Spans are left empty (`NO_SPAN`): equality ignores them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from hypothesis import strategies as st

from ruleward.dsl import nodes as n

# every word of the grammar; a generated name is never one of them, so it reads the same in any position
KEYWORDS = frozenset(
    """
    account all always and any base cite condition const contains description disposition empty error
    event expect fallback false fired given in invariant is list missing mode no not null obligation or
    owner present rule ruleset test then tier true unless version when where
    """.split()
)

_FAMILIAR = (
    "hash_matches",
    "classifiers",
    "surface",
    "actor",
    "match",
    "bank",
    "score",
    "label",
    "review",
    "block",
    "queue",
    "priority",
    "P1",
    "_x",
)

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
names: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(_FAMILIAR),
    st.builds(
        str.__add__, st.sampled_from(_FIRST), st.text(alphabet=_FIRST + "0123456789", max_size=7)
    ).filter(lambda s: s not in KEYWORDS),
)

# characters that need care when printed: quotes, escapes, line breaks of several kinds, invisible ones
_AWKWARD = '"\\/\n\t\r\x00\x1f\x7f\x85\xa0\u2028\u2029\ufeff\u200b\U0001f600\U000e0001é中'

texts: st.SearchStrategy[str] = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(_AWKWARD)), max_size=12
)


def numbers(*, negative: bool) -> st.SearchStrategy[int | float]:
    """Integers and floats, tiny and up to the parser's limit of 10**18 (printed without exponents)."""
    return st.one_of(
        st.integers(min_value=-(10**18) if negative else 0, max_value=10**18),
        st.floats(
            min_value=-1e18 if negative else 0.0, max_value=1e18, allow_nan=False, allow_infinity=False
        ),
        st.sampled_from([1e-07, 1e16, 1e18, 5e-324, 0.1, 123456789.125]),
    )


def scalars(*, negative: bool) -> st.SearchStrategy[n.Scalar]:
    return st.one_of(st.booleans(), texts, numbers(negative=negative))


def literals(*, negative: bool) -> st.SearchStrategy[n.Literal]:
    return st.builds(n.Literal, scalars(negative=negative))


list_literals: st.SearchStrategy[n.ListLiteral] = st.builds(
    n.ListLiteral, st.lists(literals(negative=False), max_size=4).map(tuple)
)


def _path(parts: list[str]) -> n.Name | n.Attribute:
    expr: n.Name | n.Attribute = n.Name(parts[0])
    for part in parts[1:]:
        expr = n.Attribute(expr, part)
    return expr


paths: st.SearchStrategy[n.Name | n.Attribute] = st.lists(names, min_size=1, max_size=4).map(_path)


def _chain(kind: type[n.And] | type[n.Or], operands: list[n.Expr]) -> n.Expr:
    # the parser folds `a and (b and c)` into one chain; so must we, or the tree has no spelling
    flat: list[n.Expr] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


def _extend(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    operands = st.lists(children, min_size=2, max_size=4)
    return st.one_of(
        st.builds(n.Not, children),
        operands.map(lambda ops: _chain(n.And, ops)),
        operands.map(lambda ops: _chain(n.Or, ops)),
        st.builds(n.Compare, st.sampled_from(n.COMPARE_OPS), children, children),
        st.builds(n.IsTest, children, st.sampled_from(n.PRESENCE_TESTS)),
        st.builds(n.Quantifier, st.sampled_from(["any", "all"]), names, children, children),
        st.builds(n.Call, names, st.lists(children, max_size=3).map(tuple)),
    )


_leaves: st.SearchStrategy[n.Expr] = st.one_of(
    literals(negative=True), list_literals, paths, st.builds(n.Call, names, st.just(()))
)

expressions: st.SearchStrategy[n.Expr] = st.recursive(_leaves, _extend, max_leaves=8)


# ---- actions and JSON ------------------------------------------------------------------------------------

arguments: st.SearchStrategy[n.Argument] = st.builds(
    n.Argument, names, st.one_of(literals(negative=False), st.builds(n.Symbol, names))
)
actions: st.SearchStrategy[n.Action] = st.builds(n.Action, names, st.lists(arguments, max_size=3).map(tuple))
action_lists: st.SearchStrategy[tuple[n.Action, ...]] = st.lists(actions, min_size=1, max_size=4).map(tuple)


def _json_extend(children: st.SearchStrategy[n.JsonValue]) -> st.SearchStrategy[n.JsonValue]:
    return st.one_of(
        st.builds(n.JsonArray, st.lists(children, max_size=4).map(tuple)),
        st.builds(n.JsonObject, st.lists(st.builds(n.JsonPair, texts, children), max_size=4).map(tuple)),
    )


json_values: st.SearchStrategy[n.JsonValue] = st.recursive(
    st.one_of(literals(negative=True), st.builds(n.Null)), _json_extend, max_leaves=6
)
json_objects: st.SearchStrategy[n.JsonObject] = st.builds(
    n.JsonObject, st.lists(st.builds(n.JsonPair, st.one_of(names, texts), json_values), max_size=4).map(tuple)
)


# ---- declarations ----------------------------------------------------------------------------------------

idents: st.SearchStrategy[n.Ident] = st.builds(n.Ident, names)
text_values: st.SearchStrategy[n.Text] = st.builds(n.Text, texts)


T = TypeVar("T")


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


headers: st.SearchStrategy[n.Header] = st.builds(
    n.Header,
    names,
    version=_optional(text_values),
    owner=_optional(text_values),
    description=_optional(text_values),
    fallback=_optional(action_lists),
)

constants: st.SearchStrategy[n.Constant] = st.builds(n.Constant, names, literals(negative=True))
named_lists: st.SearchStrategy[n.NamedList] = st.builds(n.NamedList, names, list_literals)
conditions: st.SearchStrategy[n.Condition] = st.builds(n.Condition, names, expressions)


def _with_a_clause(rule: n.Rule) -> n.Rule:
    # the grammar wants at least one clause; a rule without any gets an action
    clauses = (rule.tier, rule.owner, rule.cite, rule.description, rule.mode, rule.when, rule.unless)
    if rule.actions or any(clause is not None for clause in clauses):
        return rule
    return replace(rule, actions=(n.Action("block"),))


rules: st.SearchStrategy[n.Rule] = st.builds(
    n.Rule,
    names,
    tier=_optional(idents),
    owner=_optional(text_values),
    cite=_optional(text_values),
    description=_optional(text_values),
    mode=_optional(st.builds(n.Ident, st.sampled_from(["enforce", "shadow"]))),
    when=_optional(expressions),
    unless=_optional(expressions),
    actions=st.one_of(st.just(()), action_lists),
).map(_with_a_clause)

_rule_names = st.lists(idents, min_size=1, max_size=3).map(tuple)
expectations: st.SearchStrategy[n.Expectation] = st.one_of(
    st.builds(n.ExpectDisposition, idents),
    st.builds(n.ExpectAccount, idents),
    st.builds(n.ExpectObligation, actions, st.booleans()),
    st.builds(n.ExpectFired, _rule_names, st.booleans()),
    st.builds(n.ExpectError, _rule_names),
)

tests: st.SearchStrategy[n.Test] = st.builds(
    n.Test,
    names,
    description=_optional(text_values),
    given=_optional(json_objects),
    expectations=st.lists(expectations, max_size=4).map(tuple),
).map(lambda t: t if t.description or t.given or t.expectations else replace(t, description=n.Text("")))

invariants: st.SearchStrategy[n.Invariant] = st.builds(
    n.Invariant,
    names,
    description=_optional(text_values),
    when=_optional(expressions),
    always=_optional(expressions),
).map(lambda i: i if i.description or i.when or i.always else replace(i, always=n.Literal(True)))

base_events: st.SearchStrategy[n.BaseEvent] = st.builds(n.BaseEvent, json_objects)

declarations: st.SearchStrategy[n.Declaration] = st.one_of(
    headers, constants, named_lists, conditions, rules, base_events, tests, invariants
)


def modules(path: str = "<string>") -> st.SearchStrategy[n.Module]:
    return st.builds(n.Module, st.just(path), st.lists(declarations, max_size=5).map(tuple))


def sources(path: str = "<string>") -> st.SearchStrategy[str]:
    """The canonical text of a generated module: valid source to parse, or to mutate."""
    from ruleward.dsl.formatter import format_module

    return modules(path).map(format_module)


__all__ = [
    "KEYWORDS",
    "actions",
    "declarations",
    "expressions",
    "json_values",
    "modules",
    "names",
    "sources",
    "texts",
]
