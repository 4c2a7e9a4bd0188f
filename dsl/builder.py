"""Build the AST as the LALR tables complete each grammar rule (see dsl/lexer.py).

`lexer.parse` calls one handler per tree rule: children first, left to right, the order lark's own
transformers visit a tree (so the first error found is the same). A handler gets the children lark would
keep in its tree (AST values, or token indices for tokens) and the indices of the rule's first and last
token.

This is the hot part of parsing: a 1000-rule ruleset makes ~20,000 nodes, each with a span. So the
handlers build through `construct.constructor` (positional, no per-field `object.__setattr__`), read
tokens from local lists, and keep an item of a declaration as a plain tuple until it is folded in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from ruleward.dsl import lexer
from ruleward.dsl import nodes as n
from ruleward.dsl.construct import constructor
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticCode, DiagnosticError
from ruleward.dsl.source import SourceFile, Span

DUPLICATE_CLAUSE = DiagnosticCode("E008", "duplicate-clause", "a clause given twice in one declaration")
INVALID_ESCAPE = DiagnosticCode("E010", "invalid-string", "a string whose escapes are not valid")
NUMBER_OUT_OF_RANGE = DiagnosticCode("E015", "number-out-of-range", "a number too large to compute with")
PATH_TOO_LONG = DiagnosticCode("E016", "path-too-long", "a field path with more names than the limit")

# beyond this a number is a typo, and Python's int/float limits (4300 digits, inf) would turn it into an error
# later or into a value the generated code cannot write
MAX_NUMBER = 10**18
# a number of at most this many characters is within MAX_NUMBER whatever its digits
_SHORT_NUMBER = len(str(MAX_NUMBER)) - 1
# names in one field path (`actor.account_age_days` has two): no event nests anywhere near this deep, and
# later stages compare and hash a path one name at a time
MAX_PATH_NAMES = 64

_new_span = constructor(Span)
_new_literal = constructor(n.Literal)
_new_list_literal = constructor(n.ListLiteral)
_new_name = constructor(n.Name)
_new_attribute = constructor(n.Attribute)
_new_call = constructor(n.Call)
_new_not = constructor(n.Not)
_new_and = constructor(n.And)
_new_or = constructor(n.Or)
_new_compare = constructor(n.Compare)
_new_is_test = constructor(n.IsTest)
_new_quantifier = constructor(n.Quantifier)
_new_symbol = constructor(n.Symbol)
_new_argument = constructor(n.Argument)
_new_action = constructor(n.Action)
_new_ident = constructor(n.Ident)
_new_text = constructor(n.Text)
_new_rule = constructor(n.Rule)

# an item of a rule, header, test or invariant before it is folded into its declaration:
# keyword, value, first token, last token
Clause = tuple[str, object, int, int]


def _flatten(kind: type[n.And] | type[n.Or], operands: Sequence[n.Expr]) -> tuple[n.Expr, ...]:
    out: list[n.Expr] = []
    for operand in operands:
        if type(operand) is kind:  # the node classes have no subclasses
            out.extend(operand.operands)
        else:
            out.append(operand)
    return tuple(out)


class Builder:
    """One method per tree rule of the grammar, named as lark names the rule's node."""

    def __init__(self, source: SourceFile, tokens: lexer.Tokens) -> None:
        self._source = source
        self._file = source.path
        self._tokens = tokens
        self._kinds = tokens.kinds
        self._texts = tokens.texts
        self._starts = tokens.starts
        self._lines = tokens.lines
        self._columns = tokens.columns

    def handlers(self, names: frozenset[str]) -> dict[str, lexer.Handler]:
        """The handlers of the tree rules `names` (those this class has a method for)."""
        return {name: getattr(self, name) for name in names if hasattr(self, name)}

    # ---- helpers ----------------------------------------------------------------------------------------

    def _span(self, first: int, last: int) -> Span:
        """From the start of token `first` to the end of token `last` (tokens hold no line break)."""
        width = len(self._texts[last])
        end_column = self._columns[last] + width
        end = self._starts[last] + width
        return _new_span(
            self._file, self._lines[first], self._columns[first], self._lines[last], end_column,
            self._starts[first], end,
        )  # fmt: skip

    def _token_span(self, token: int) -> Span:
        width = len(self._texts[token])
        line, column, start = self._lines[token], self._columns[token], self._starts[token]
        return _new_span(self._file, line, column, line, column + width, start, start + width)

    def _string(self, token: int) -> str:
        text = self._texts[token]
        if "\\" not in text and text.isprintable():
            return text[1:-1]  # nothing to unescape, and no control character JSON would refuse
        try:
            value = json.loads(text)
        except ValueError:
            raise DiagnosticError(
                [
                    INVALID_ESCAPE.at(
                        self._token_span(token), f"invalid string {text}", 'escape `"` and `\\` with `\\`'
                    )
                ]
            ) from None
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            # a lone surrogate is no character: it cannot be written as UTF-8, so every record would fail
            raise DiagnosticError(
                [
                    INVALID_ESCAPE.at(
                        self._token_span(token),
                        f"string {text} holds a lone surrogate escape",
                        "write the character itself, or a `\\uXXXX` escape outside D800-DFFF",
                    )
                ]
            )
        return cast(str, value)

    def _number(self, token: int) -> int | float:
        text = self._texts[token]
        if len(text) <= _SHORT_NUMBER:
            return float(text) if "." in text else int(text)
        whole = text.partition(".")[0].lstrip("0")
        value: int | float = 0
        if len(whole) <= len(str(MAX_NUMBER)):
            value = float(text) if "." in text else int(text)
        if len(whole) > len(str(MAX_NUMBER)) or abs(value) > MAX_NUMBER:
            raise DiagnosticError(
                [
                    NUMBER_OUT_OF_RANGE.at(
                        self._token_span(token),
                        f"number `{text[:40]}{'...' if len(text) > 40 else ''}` is too large",
                        f"numbers in a ruleset stay within {MAX_NUMBER:,}",
                    )
                ]
            )
        return value

    def _text_of(self, token: int) -> n.Text:
        return _new_text(self._string(token), self._token_span(token))

    def _ident_of(self, token: int) -> n.Ident:
        return _new_ident(self._texts[token], self._token_span(token))

    def _fold(self, kind: str, clauses: Sequence[Clause]) -> dict[str, Any]:
        folded = {keyword: value for keyword, value, _, _ in clauses}
        if len(folded) == len(clauses):
            return folded
        seen: set[str] = set()
        errors: list[Diagnostic] = []
        for keyword, _, first, last in clauses:
            if keyword in seen:
                also = "; combine conditions with `and` / `or`" if keyword in ("when", "unless") else ""
                errors.append(
                    DUPLICATE_CLAUSE.at(
                        self._span(first, last),
                        f"`{keyword}` given twice in this {kind}",
                        f"keep one `{keyword}`{also}",
                    )
                )
            seen.add(keyword)
        raise DiagnosticError(errors)

    # ---- start ------------------------------------------------------------------------------------------

    def start(self, children: list[n.Declaration], first: int, last: int) -> n.Module:
        source, file = self._source, self._file
        comments = tuple(
            n.Comment(text, span=Span(file, line, column, line, column + len(text), start, start + len(text)))
            for text, start, line, column in self._tokens.comments
        )
        return n.Module(source.path, tuple(children), comments, span=source.span_at(0, len(source.text)))

    # ---- clauses shared by several declarations ---------------------------------------------------------

    def version_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("version", self._text_of(children[0]), first, last)

    def owner_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("owner", self._text_of(children[0]), first, last)

    def description_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("description", self._text_of(children[0]), first, last)

    def cite_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("cite", self._text_of(children[0]), first, last)

    def tier_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("tier", self._ident_of(children[0]), first, last)

    def mode_item(self, children: list[int], first: int, last: int) -> Clause:
        return ("mode", self._ident_of(children[0]), first, last)

    def fallback_item(self, children: list[tuple[n.Action, ...]], first: int, last: int) -> Clause:
        return ("fallback", children[0], first, last)

    def when_item(self, children: list[n.Expr], first: int, last: int) -> Clause:
        return ("when", children[0], first, last)

    def unless_item(self, children: list[n.Expr], first: int, last: int) -> Clause:
        return ("unless", children[0], first, last)

    def then_item(self, children: list[tuple[n.Action, ...]], first: int, last: int) -> Clause:
        return ("then", children[0], first, last)

    def given_item(self, children: list[n.JsonObject], first: int, last: int) -> Clause:
        return ("given", children[0], first, last)

    def always_item(self, children: list[n.Expr], first: int, last: int) -> Clause:
        return ("always", children[0], first, last)

    # ---- declarations -----------------------------------------------------------------------------------

    def header(self, children: list[Any], first: int, last: int) -> n.Header:
        name, *clauses = children
        f = self._fold("ruleset header", clauses)
        return n.Header(
            self._texts[name],
            version=f.get("version"),
            owner=f.get("owner"),
            description=f.get("description"),
            fallback=f.get("fallback"),
            span=self._span(first, last),
            name_span=self._token_span(name),
        )

    def const_decl(self, children: list[Any], first: int, last: int) -> n.Constant:
        name, value = children
        span, name_span = self._span(first, last), self._token_span(name)
        return n.Constant(self._texts[name], value, span=span, name_span=name_span)

    def list_decl(self, children: list[Any], first: int, last: int) -> n.NamedList:
        name, items = children
        span, name_span = self._span(first, last), self._token_span(name)
        return n.NamedList(self._texts[name], items, span=span, name_span=name_span)

    def condition_decl(self, children: list[Any], first: int, last: int) -> n.Condition:
        name, expr = children
        span, name_span = self._span(first, last), self._token_span(name)
        return n.Condition(self._texts[name], expr, span=span, name_span=name_span)

    def rule_decl(self, children: list[Any], first: int, last: int) -> n.Rule:
        name = children[0]
        f = self._fold("rule", children[1:])
        get = f.get
        return _new_rule(
            self._texts[name], get("tier"), get("owner"), get("cite"), get("description"), get("mode"),
            get("when"), get("unless"), get("then", ()), self._span(first, last), self._token_span(name),
        )  # fmt: skip

    def base_decl(self, children: list[Any], first: int, last: int) -> n.BaseEvent:
        return n.BaseEvent(children[0], span=self._span(first, last))

    def test_decl(self, children: list[Any], first: int, last: int) -> n.Test:
        name, *items = children
        clauses = [c for c in items if type(c) is tuple]
        expectations = tuple(c for c in items if type(c) is not tuple)
        f = self._fold("test", clauses)
        return n.Test(
            self._texts[name],
            description=f.get("description"),
            given=f.get("given"),
            expectations=expectations,
            span=self._span(first, last),
            name_span=self._token_span(name),
        )

    def invariant_decl(self, children: list[Any], first: int, last: int) -> n.Invariant:
        name, *clauses = children
        f = self._fold("invariant", clauses)
        return n.Invariant(
            self._texts[name],
            description=f.get("description"),
            when=f.get("when"),
            always=f.get("always"),
            span=self._span(first, last),
            name_span=self._token_span(name),
        )

    # ---- expectations -----------------------------------------------------------------------------------

    def expect_disposition(self, children: list[int], first: int, last: int) -> n.ExpectDisposition:
        return n.ExpectDisposition(self._ident_of(children[0]), span=self._span(first, last))

    def expect_account(self, children: list[int], first: int, last: int) -> n.ExpectAccount:
        return n.ExpectAccount(self._ident_of(children[0]), span=self._span(first, last))

    def expect_obligation(self, children: list[n.Action], first: int, last: int) -> n.ExpectObligation:
        return n.ExpectObligation(children[0], True, span=self._span(first, last))

    def expect_no_obligation(self, children: list[n.Action], first: int, last: int) -> n.ExpectObligation:
        return n.ExpectObligation(children[0], False, span=self._span(first, last))

    def expect_fired(self, children: list[tuple[n.Ident, ...]], first: int, last: int) -> n.ExpectFired:
        return n.ExpectFired(children[0], True, span=self._span(first, last))

    def expect_not_fired(self, children: list[tuple[n.Ident, ...]], first: int, last: int) -> n.ExpectFired:
        return n.ExpectFired(children[0], False, span=self._span(first, last))

    def expect_error(self, children: list[tuple[n.Ident, ...]], first: int, last: int) -> n.ExpectError:
        return n.ExpectError(children[0], span=self._span(first, last))

    def name_list(self, children: list[int], first: int, last: int) -> tuple[n.Ident, ...]:
        return tuple(self._ident_of(token) for token in children)

    # ---- actions ----------------------------------------------------------------------------------------

    def action_list(self, children: list[n.Action], first: int, last: int) -> tuple[n.Action, ...]:
        return tuple(children)

    def action(self, children: list[Any], first: int, last: int) -> n.Action:
        name = children[0]
        return _new_action(self._texts[name], tuple(children[1:]), self._span(first, last))

    def arg(self, children: list[Any], first: int, last: int) -> n.Argument:
        name, value = children
        return _new_argument(self._texts[name], value, self._span(first, last))

    def symbol(self, children: list[int], first: int, last: int) -> n.Symbol:
        return _new_symbol(self._texts[first], self._token_span(first))

    # ---- JSON values ------------------------------------------------------------------------------------

    def json_object(self, children: list[n.JsonPair], first: int, last: int) -> n.JsonObject:
        return n.JsonObject(tuple(children), span=self._span(first, last))

    def json_pair(self, children: list[Any], first: int, last: int) -> n.JsonPair:
        key, value = children
        text = self._string(key) if self._kinds[key] == "STRING" else self._texts[key]
        return n.JsonPair(text, value, span=self._span(first, last))

    def json_array(self, children: list[n.JsonValue], first: int, last: int) -> n.JsonArray:
        return n.JsonArray(tuple(children), span=self._span(first, last))

    def json_string(self, children: list[int], first: int, last: int) -> n.Literal:
        return _new_literal(self._string(first), self._token_span(first))

    def null(self, children: list[Any], first: int, last: int) -> n.Null:
        return n.Null(span=self._span(first, last))

    # ---- literals ---------------------------------------------------------------------------------------

    def string(self, children: list[int], first: int, last: int) -> n.Literal:
        return _new_literal(self._string(first), self._token_span(first))

    def number(self, children: list[int], first: int, last: int) -> n.Literal:
        return _new_literal(self._number(first), self._token_span(first))

    def negative(self, children: list[int], first: int, last: int) -> n.Literal:
        return _new_literal(-self._number(children[0]), self._span(first, last))

    def true(self, children: list[Any], first: int, last: int) -> n.Literal:
        return _new_literal(True, self._token_span(first))

    def false(self, children: list[Any], first: int, last: int) -> n.Literal:
        return _new_literal(False, self._token_span(first))

    def list_literal(self, children: list[n.Literal], first: int, last: int) -> n.ListLiteral:
        return _new_list_literal(tuple(children), self._span(first, last))

    # ---- expressions ------------------------------------------------------------------------------------

    def or_(self, children: list[n.Expr], first: int, last: int) -> n.Or:
        return _new_or(_flatten(n.Or, children), self._span(first, last))

    def and_(self, children: list[n.Expr], first: int, last: int) -> n.And:
        return _new_and(_flatten(n.And, children), self._span(first, last))

    def not_(self, children: list[n.Expr], first: int, last: int) -> n.Not:
        return _new_not(children[0], self._span(first, last))

    def any_(self, children: list[Any], first: int, last: int) -> n.Quantifier:
        variable, source, body = children
        return _new_quantifier("any", self._texts[variable], source, body, self._span(first, last))

    def all_(self, children: list[Any], first: int, last: int) -> n.Quantifier:
        variable, source, body = children
        return _new_quantifier("all", self._texts[variable], source, body, self._span(first, last))

    def compare(self, children: Sequence[Any], first: int, last: int) -> n.Compare:
        left, op, right = children
        return _new_compare(self._texts[op], left, right, self._span(first, last))

    def member(self, children: list[n.Expr], first: int, last: int) -> n.Compare:
        return _new_compare("in", children[0], children[1], self._span(first, last))

    def not_member(self, children: list[n.Expr], first: int, last: int) -> n.Compare:
        return _new_compare("not in", children[0], children[1], self._span(first, last))

    def contains(self, children: list[n.Expr], first: int, last: int) -> n.Compare:
        return _new_compare("contains", children[0], children[1], self._span(first, last))

    def is_missing(self, children: list[n.Expr], first: int, last: int) -> n.IsTest:
        return _new_is_test(children[0], "missing", self._span(first, last))

    def is_present(self, children: list[n.Expr], first: int, last: int) -> n.IsTest:
        return _new_is_test(children[0], "present", self._span(first, last))

    def is_empty(self, children: list[n.Expr], first: int, last: int) -> n.IsTest:
        return _new_is_test(children[0], "empty", self._span(first, last))

    def is_not_empty(self, children: list[n.Expr], first: int, last: int) -> n.IsTest:
        return _new_is_test(children[0], "not empty", self._span(first, last))

    def path(self, children: list[Any], first: int, last: int) -> n.Expr:
        if len(children) == 1:
            return cast(n.Expr, children[0])
        if len(children) > MAX_PATH_NAMES:
            raise DiagnosticError([self._path_too_long(children, first)])
        expr: n.Expr = children[0]
        texts = self._texts
        for token in children[1:]:
            # the span of `a.b.c` grows with each step so a diagnostic can point at the prefix that failed
            expr = _new_attribute(expr, texts[token], self._span(first, token))
        return expr

    def _path_too_long(self, children: list[Any], first: int) -> Diagnostic:
        shown = ".".join(self._texts[token] for token in children[1:4])
        return PATH_TOO_LONG.at(
            self._token_span(children[MAX_PATH_NAMES]),
            f"the path `{self._texts[first]}.{shown}...` has {len(children):,} names, "
            f"over the limit of {MAX_PATH_NAMES}",
            "a path reads a field inside a field, e.g. `actor.account_age_days`; no event nests this deep: "
            "look for a part repeated by mistake",
        )

    def name(self, children: list[int], first: int, last: int) -> n.Name:
        return _new_name(self._texts[first], self._token_span(first))

    def call(self, children: list[Any], first: int, last: int) -> n.Call:
        return _new_call(self._texts[first], tuple(children[1:]), self._span(first, last))


__all__ = [
    "DUPLICATE_CLAUSE",
    "INVALID_ESCAPE",
    "MAX_NUMBER",
    "MAX_PATH_NAMES",
    "NUMBER_OUT_OF_RANGE",
    "PATH_TOO_LONG",
    "Builder",
    "Clause",
]
