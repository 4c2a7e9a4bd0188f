"""Print declarations: a head line, then one clause per line, two spaces in, in a fixed order.

Rules: tier, owner, cite, description, mode, when, unless, then. Header: version, owner, description,
fallback. Tests: description, given, then the expectations in their order. Invariants: description, when,
always. Each clause keeps the source span of its value so comments can find it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ruleward.dsl import nodes as n
from ruleward.dsl.formatter import tokens
from ruleward.dsl.formatter.expressions import ExpressionPrinter
from ruleward.dsl.formatter.layout import INDENT, Builder, Fragment, fits
from ruleward.dsl.formatter.values import JsonPrinter
from ruleward.dsl.source import NO_SPAN, Span

CLAUSE_INDENT = " " * INDENT


# named tuples rather than dataclasses: a ruleset's every clause is printed on load (its digest), and
# these are built several times a rule
class Clause(NamedTuple):
    key: str
    span: Span
    lines: Fragment


class Printed(NamedTuple):
    """One declaration laid out. A declaration without clauses is all head."""

    head: Fragment
    head_span: Span
    clauses: tuple[Clause, ...] = ()


def cover(first: Span, last: Span) -> Span:
    return Span(first.file, first.line, first.column, last.end_line, last.end_column, first.start, last.end)


class DeclarationPrinter:
    """Lays out declarations. The spans of heads and action lists place comments; with `spans=False`
    (nothing to place) they are left as `NO_SPAN` rather than worked out."""

    def __init__(self, *, spans: bool = True) -> None:
        self.exprs = ExpressionPrinter()
        self.json = JsonPrinter()
        self.spans = spans

    def declaration(self, decl: n.Declaration) -> Printed:
        if isinstance(decl, n.Header):
            return self._block(decl, f"ruleset {tokens.name(decl.name)}", self.header_clauses(decl))
        if isinstance(decl, n.Rule):
            return self._block(decl, f"rule {tokens.name(decl.name)}", self.rule_clauses(decl))
        if isinstance(decl, n.Test):
            return self._block(decl, f"test {tokens.name(decl.name)}", self.test_clauses(decl))
        if isinstance(decl, n.Invariant):
            return self._block(decl, f"invariant {tokens.name(decl.name)}", self.invariant_clauses(decl))
        if isinstance(decl, n.Constant):
            text = f"const {tokens.name(decl.name)} = {tokens.scalar(decl.value.value, negative=True)}"
            return Printed([text], decl.span)
        if isinstance(decl, n.NamedList):
            prefix = f"list {tokens.name(decl.name)} = "
            items = self.exprs.render(decl.items, "top", len(prefix), 0, INDENT, False, 0)
            return Printed([prefix + items[0], *items[1:]], decl.span)
        if isinstance(decl, n.Condition):
            return Printed(
                self._expression(f"condition {tokens.name(decl.name)} = ", decl.expr, 0), decl.span
            )
        return Printed(self._json_line("base event ", decl.value, 0), decl.span)

    def _block(
        self, decl: n.Header | n.Rule | n.Test | n.Invariant, head: str, clauses: list[Clause]
    ) -> Printed:
        if not clauses and not isinstance(decl, n.Header):
            raise tokens.UnprintableError(f"`{decl.name}` has no clauses, which the grammar requires")
        name = decl.name_span
        if not self.spans:
            head_span = NO_SPAN
        else:
            head_span = decl.span if name == NO_SPAN else cover(decl.span, name)
        return Printed([head], head_span, tuple(clauses))

    # ---- clauses of each declaration ---------------------------------------------------------------------

    def header_clauses(self, header: n.Header) -> list[Clause]:
        clauses = [
            self._text("version", header.version),
            self._text("owner", header.owner),
            self._text("description", header.description),
        ]
        if header.fallback is not None:
            clauses.append(self._actions("fallback", header.fallback))
        return [c for c in clauses if c is not None]

    def rule_clauses(self, rule: n.Rule) -> list[Clause]:
        clauses = [
            self._ident("tier", rule.tier),
            self._text("owner", rule.owner),
            self._text("cite", rule.cite),
            self._text("description", rule.description),
            self._ident("mode", rule.mode),
            self._condition("when", rule.when),
            self._condition("unless", rule.unless),
        ]
        if rule.actions:
            clauses.append(self._actions("then", rule.actions))
        return [c for c in clauses if c is not None]

    def test_clauses(self, test: n.Test) -> list[Clause]:
        clauses = [self._text("description", test.description)]
        if test.given is not None:
            clauses.append(Clause("given", test.given.span, self._json_line("given ", test.given, INDENT)))
        for index, expectation in enumerate(test.expectations):
            clauses.append(Clause(f"expect:{index}", expectation.span, self._expectation(expectation)))
        return [c for c in clauses if c is not None]

    def invariant_clauses(self, invariant: n.Invariant) -> list[Clause]:
        clauses = [
            self._text("description", invariant.description),
            self._condition("when", invariant.when),
            self._condition("always", invariant.always),
        ]
        return [c for c in clauses if c is not None]

    # ---- clause kinds ------------------------------------------------------------------------------------

    def _text(self, keyword: str, value: n.Text | None) -> Clause | None:
        if value is None:
            return None
        return Clause(keyword, value.span, [f"{CLAUSE_INDENT}{keyword} {tokens.string(value.value)}"])

    def _ident(self, keyword: str, value: n.Ident | None) -> Clause | None:
        if value is None:
            return None
        return Clause(keyword, value.span, [f"{CLAUSE_INDENT}{keyword} {tokens.name(value.name)}"])

    def _condition(self, keyword: str, expr: n.Expr | None) -> Clause | None:
        if expr is None:
            return None
        return Clause(keyword, expr.span, self._expression(f"{CLAUSE_INDENT}{keyword} ", expr, INDENT))

    def _actions(self, keyword: str, actions: Sequence[n.Action]) -> Clause:
        if not actions:
            raise tokens.UnprintableError(f"`{keyword}` needs at least one action")
        span = cover(actions[0].span, actions[-1].span) if self.spans else NO_SPAN
        return Clause(keyword, span, self._series(f"{CLAUSE_INDENT}{keyword} ", actions))

    def _expectation(self, expectation: n.Expectation) -> Fragment:
        prefix = CLAUSE_INDENT + "expect "
        if isinstance(expectation, n.ExpectDisposition):
            return [f"{prefix}disposition {tokens.name(expectation.value.name)}"]
        if isinstance(expectation, n.ExpectAccount):
            return [f"{prefix}account {tokens.name(expectation.value.name)}"]
        if isinstance(expectation, n.ExpectObligation):
            word = "obligation " if expectation.present else "no obligation "
            return self._series(prefix + word, [expectation.action])
        if isinstance(expectation, n.ExpectFired):
            word = "fired " if expectation.fired else "not fired "
            return self._series(prefix + word, expectation.rules)
        return self._series(prefix + "error ", expectation.rules)

    # ---- pieces ------------------------------------------------------------------------------------------

    def _expression(self, prefix: str, expr: n.Expr, indent: int) -> Fragment:
        body = self.exprs.render(expr, "top", len(prefix), indent, indent + INDENT, False, 0)
        return [prefix + body[0], *body[1:]]

    def _series(self, prefix: str, items: Sequence[n.Action | n.Ident]) -> Fragment:
        """Comma-separated actions or names: on one line if they fit, else one per line after the first."""
        flats = [_item_flat(item) for item in items]
        if not flats:
            raise tokens.UnprintableError(f"`{prefix.strip()}` needs at least one item")
        one_line = prefix + ", ".join(flats)
        if fits(0, one_line):
            return [one_line]
        b = Builder(0, INDENT).text(prefix)
        last = len(items) - 1
        for index, item in enumerate(items):
            if index > 0:
                b.newline(2 * INDENT)
            comma = int(index < last)
            if isinstance(item, n.Action) and item.args and not fits(b.column, flats[index], comma):
                b.fragment(_action_broken(item, b.indent))
            else:
                b.text(flats[index])
            if comma:
                b.text(",")
        return b.lines

    def _json_line(self, prefix: str, value: n.JsonObject, indent: int) -> Fragment:
        body = self.json.render(value, len(prefix) + indent, indent, 0)
        return [" " * indent + prefix + body[0], *body[1:]]


def _item_flat(item: n.Action | n.Ident) -> str:
    if isinstance(item, n.Ident):
        return tokens.name(item.name)
    if not item.args:
        return tokens.name(item.name)
    args = ", ".join(f"{tokens.name(a.name)}: {_argument(a.value)}" for a in item.args)
    return f"{tokens.name(item.name)}({args})"


def _argument(value: n.Literal | n.Symbol) -> str:
    if isinstance(value, n.Symbol):
        return tokens.name(value.name)
    return tokens.scalar(value.value, negative=False)


def _action_broken(action: n.Action, indent: int) -> Fragment:
    b = Builder(0, indent).text(tokens.name(action.name) + "(")
    for arg in action.args:
        b.newline(indent + INDENT).text(f"{tokens.name(arg.name)}: {_argument(arg.value)},")
    return b.newline(indent).text(")").lines
