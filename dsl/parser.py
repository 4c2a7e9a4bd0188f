"""Parse ruleset text into the AST, with syntax errors a policy author can act on.

lark parses (LALR, strict) into its own tree; `_Builder` turns that tree into our nodes without
recursion, and nothing past this module sees lark. Every failure becomes a `DiagnosticError`.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticCode, DiagnosticError
from ruleward.dsl.source import SourceFile, Span

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64

INVALID_UTF8 = DiagnosticCode("E001", "invalid-utf8", "the file is not valid UTF-8 text")
FILE_TOO_LARGE = DiagnosticCode("E002", "file-too-large", "the file is larger than the limit")
UNEXPECTED_TOKEN = DiagnosticCode("E003", "unexpected-token", "a word or symbol where it cannot stand")
UNEXPECTED_CHARACTER = DiagnosticCode("E004", "unexpected-character", "a character the language does not use")
UNTERMINATED_STRING = DiagnosticCode("E005", "unterminated-string", "a string without its closing quote")
UNEXPECTED_END = DiagnosticCode("E006", "unexpected-end", "the file ends in the middle of a declaration")
TOO_DEEP = DiagnosticCode("E007", "nesting-too-deep", "an expression nested deeper than the limit")
DUPLICATE_CLAUSE = DiagnosticCode("E008", "duplicate-clause", "a clause given twice in one declaration")
BINARY_FILE = DiagnosticCode("E009", "binary-file", "the file holds NUL bytes, so it is not text")
INVALID_ESCAPE = DiagnosticCode("E010", "invalid-string", "a string whose escapes are not valid")


# comments are ignored by the grammar; the lexer hands each one to the list of the parse in progress
_COMMENTS: ContextVar[list[Token] | None] = ContextVar("ruleward_comments", default=None)


def _keep_comment(token: Token) -> Token:
    sink = _COMMENTS.get()
    if sink is not None:
        sink.append(token)
    return token


@cache
def _lark() -> Lark:
    grammar = resources.files("ruleward.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _keep_comment},
    )


def decode(path: str, data: bytes) -> SourceFile:
    """Bytes to a `SourceFile`, or a diagnostic for oversized, binary or non-UTF-8 input."""
    if len(data) > MAX_FILE_BYTES:
        raise DiagnosticError(
            [
                FILE_TOO_LARGE.at(
                    Span(path, 1, 1, 1, 1, 0, 0),
                    f"file is {len(data):,} bytes, over the limit of {MAX_FILE_BYTES:,}",
                    "split the ruleset into several files in one directory",
                )
            ]
        )
    if b"\x00" in data:
        offset = data.index(b"\x00")
        source = SourceFile(path, data[:offset].decode("utf-8", "replace"))
        raise DiagnosticError(
            [
                BINARY_FILE.at(
                    source.span_at(offset), "file holds a NUL byte", "ruleset files are plain UTF-8 text"
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        source = SourceFile(path, data[: error.start].decode("utf-8", "replace"))
        raise DiagnosticError(
            [
                INVALID_UTF8.at(
                    source.span_at(len(source.text)),
                    f"byte 0x{data[error.start]:02x} is not valid UTF-8",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    return SourceFile(path, text.removeprefix("\ufeff"))


def parse(source: SourceFile) -> n.Module:
    """Parse one file. Raises `DiagnosticError` with the syntax error(s) found."""
    comments: list[Token] = []
    token = _COMMENTS.set(comments)
    try:
        tree = _lark().parse(source.text)
    except UnexpectedInput as error:
        raise DiagnosticError([_syntax_diagnostic(source, error)]) from None
    finally:
        _COMMENTS.reset(token)
    _check_depth(source, tree)
    try:
        module = _Builder(source).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, DiagnosticError):
            raise error.orig_exc from None
        raise
    module = cast(n.Module, module)
    kept = tuple(n.Comment(str(c.value), span=_token_span(source, c)) for c in comments)
    return n.Module(module.path, module.declarations, kept, span=module.span)


def parse_text(text: str, path: str = "<string>") -> n.Module:
    return parse(SourceFile(path, text))


def parse_expression(text: str, path: str = "<string>") -> n.Expr:
    """Parse a single condition (used by tests and the REPL-like `eval --where`)."""
    module = parse_text(f"condition __expr__ = {text}", path)
    declaration = module.declarations[0]
    assert isinstance(declaration, n.Condition)
    return declaration.expr


# ---- nesting limit -----------------------------------------------------------------------------------------


def _check_depth(source: SourceFile, tree: Tree[Token]) -> None:
    # and/or chains are left-recursive in the grammar but become one flat node, so they do not count
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        for child in node.children:
            if isinstance(child, Tree):
                flat = child.data == node.data and child.data in ("and_", "or_")
                child_depth = depth if flat else depth + 1
                if child_depth > MAX_DEPTH * 3:
                    meta = child.meta
                    span = _meta_span(source, meta) if not meta.empty else source.span_at(0)
                    raise DiagnosticError(
                        [
                            TOO_DEEP.at(
                                span,
                                f"expression nested more than {MAX_DEPTH} levels deep",
                                "name parts of the condition with `condition` declarations",
                            )
                        ]
                    )
                stack.append((child, child_depth))


# ---- syntax errors -----------------------------------------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "COMPARE": "a comparison such as `==` or `>=`",
    "$END": "the end of the file",
}

_DECLARATION_KEYWORDS = {"RULESET", "CONST", "LIST", "CONDITION", "RULE", "BASE", "TEST", "INVARIANT"}


def _describe_expected(expected: set[str]) -> list[str]:
    terminals = {t.name: t for t in _lark().terminals}
    words: list[str] = []
    if _DECLARATION_KEYWORDS <= expected:
        words.append("a new declaration (`rule`, `const`, `list`, `condition`, `test`, `invariant`)")
        expected = expected - _DECLARATION_KEYWORDS - {"$END"}
    if {"NAME", "NUMBER", "STRING"} <= expected and "LPAR" in expected:
        words.append("a value or a condition")
        expected = expected - {"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "MINUS", "TRUE", "FALSE", "NOT"}
        expected -= {"ANY", "ALL"}
    for name in sorted(expected, key=lambda x: (x not in _WORDS, x)):
        if name in _WORDS:
            words.append(_WORDS[name])
        elif name in terminals and terminals[name].pattern.type == "str":
            words.append(f"`{terminals[name].pattern.value}`")
        else:
            words.append(name.lower())
    return words


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token.value}`"


def _hint_for_token(token: Token, expected: set[str]) -> str | None:
    value = str(token.value)
    if value == "=" and "COMPARE" in expected:
        return "to compare two values write `==`; a single `=` only names a constant, list or condition"
    if "THEN" in expected and token.type == "NAME":
        return "actions follow `then`: did you forget `then`?"
    if token.type == "NAME" and "COMMA" in expected and "RPAR" in expected:
        return "separate items with commas"
    if token.type == "NAME" and "COLON" in expected:
        return "action arguments are named: write `name: value`"
    if value in ("when", "then", "unless", "tier", "owner", "cite", "mode", "description"):
        return "rule clauses belong inside a `rule` declaration, after `rule NAME`"
    if "NAME" in expected and token.type not in ("NAME", "$END"):
        return "names start with a letter or `_` and use letters, digits and `_`; a keyword cannot be a name"
    return None


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream or 0
        char = source.text[offset] if offset < len(source.text) else ""
        span = source.span_at(offset)
        if char == '"':
            line_end = source.text.find("\n", offset)
            length = (line_end if line_end >= 0 else len(source.text)) - offset
            return UNTERMINATED_STRING.at(
                source.span_at(offset, length),
                "unterminated string",
                'close the string with `"` on the same line; write `\\"` for a quote inside it',
            )
        two = source.text[offset : offset + 2]
        replacements = {"&&": "and", "||": "or", "!=": "!=", "'": '"'}
        if two in ("&&", "||"):
            return UNEXPECTED_CHARACTER.at(
                source.span_at(offset, 2),
                f"`{two}` is not part of the language",
                f"write `{replacements[two]}`",
            )
        if char == "!":
            return UNEXPECTED_CHARACTER.at(
                span, "`!` is not part of the language", "write `not` before a condition"
            )
        if char == "'":
            return UNEXPECTED_CHARACTER.at(
                span, "strings use double quotes", "write `\"text\"`, not `'text'`"
            )
        if char in "{}" or char == ":":
            return UNEXPECTED_CHARACTER.at(
                span,
                f"unexpected `{char}`",
                "braces and colons appear only in `given` / `base event` objects and action arguments",
            )
        shown = char if char.isprintable() else f"U+{ord(char):04X}"
        return UNEXPECTED_CHARACTER.at(span, f"unexpected character `{shown}`", _character_hint(error))
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = set(error.expected)
        words = _describe_expected(expected)
        if token.type == "$END":
            return UNEXPECTED_END.at(
                source.span_at(len(source.text)),
                "the file ends in the middle of a declaration",
                f"expected {_join(words)}",
            )
        span = _token_span(source, token)
        message = f"unexpected {_token_text(token)}, expected {_join(words)}"
        return UNEXPECTED_TOKEN.at(span, message, _hint_for_token(token, expected))
    if isinstance(error, UnexpectedEOF):
        return UNEXPECTED_END.at(
            source.span_at(len(source.text)),
            "the file ends in the middle of a declaration",
            f"expected {_join(_describe_expected(set(error.expected)))}",
        )
    return UNEXPECTED_TOKEN.at(source.span_at(0), "the file could not be parsed", None)  # pragma: no cover


def _character_hint(error: UnexpectedCharacters) -> str:
    allowed = sorted(error.allowed or ())
    words = _describe_expected(set(allowed)) if allowed else []
    return f"expected {_join(words)}" if words else "remove the character"


def _join(words: list[str]) -> str:
    if not words:
        return "something else"
    if len(words) > 8:
        words = [*words[:8], "..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# ---- tree to AST -------------------------------------------------------------------------------------------


def _token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(str(token.value))
    return Span(
        source.path,
        token.line or 1,
        token.column or 1,
        token.end_line or token.line or 1,
        token.end_column or (token.column or 1) + 1,
        start,
        end,
    )


def _meta_span(source: SourceFile, meta: Any) -> Span:
    return Span(
        source.path, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos
    )


_CLAUSES = {
    "tier_item": "tier",
    "owner_item": "owner",
    "cite_item": "cite",
    "description_item": "description",
    "mode_item": "mode",
    "when_item": "when",
    "unless_item": "unless",
    "then_item": "then",
    "version_item": "version",
    "fallback_item": "fallback",
    "given_item": "given",
    "always_item": "always",
}


class _Clause:
    """An item of a rule, header, test or invariant, before it is folded into its declaration."""

    __slots__ = ("keyword", "span", "value")

    def __init__(self, keyword: str, value: object, span: Span) -> None:
        self.keyword = keyword
        self.value = value
        self.span = span


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):  # type: ignore[type-arg]
    def __init__(self, source: SourceFile) -> None:
        super().__init__(visit_tokens=False)
        self.source = source

    # helpers
    def _span(self, meta: Any) -> Span:
        return _meta_span(self.source, meta)

    def _tok(self, token: Token) -> Span:
        return _token_span(self.source, token)

    def _string(self, token: Token) -> str:
        try:
            value = json.loads(str(token.value))
        except ValueError:
            raise DiagnosticError(
                [
                    INVALID_ESCAPE.at(
                        self._tok(token), f"invalid string {token.value}", 'escape `"` and `\\` with `\\`'
                    )
                ]
            ) from None
        return cast(str, value)

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:  # pragma: no cover - grammar is total
        raise AssertionError(f"no AST rule for {data}")

    # start
    def start(self, meta: Any, children: list[n.Declaration]) -> n.Module:
        span = self.source.span_at(0, len(self.source.text))
        return n.Module(self.source.path, tuple(children), span=span)

    # clauses shared by several declarations
    def _clause(self, keyword: str, value: object, meta: Any) -> _Clause:
        return _Clause(keyword, value, self._span(meta))

    def _fold(self, kind: str, clauses: list[_Clause]) -> dict[str, object]:
        seen: dict[str, _Clause] = {}
        errors: list[Diagnostic] = []
        for clause in clauses:
            if clause.keyword in ("expect",):
                continue
            if clause.keyword in seen:
                errors.append(
                    DUPLICATE_CLAUSE.at(
                        clause.span,
                        f"`{clause.keyword}` given twice in this {kind}",
                        f"keep one `{clause.keyword}`"
                        + (
                            "; combine conditions with `and` / `or`"
                            if clause.keyword in ("when", "unless")
                            else ""
                        ),
                    )
                )
            seen[clause.keyword] = clause
        if errors:
            raise DiagnosticError(errors)
        return {k: v.value for k, v in seen.items()}

    def version_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause("version", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def owner_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause("owner", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def description_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause(
            "description", n.Text(self._string(children[0]), span=self._tok(children[0])), meta
        )

    def cite_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause("cite", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def tier_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause("tier", n.Ident(str(children[0]), span=self._tok(children[0])), meta)

    def mode_item(self, meta: Any, children: list[Token]) -> _Clause:
        return self._clause("mode", n.Ident(str(children[0]), span=self._tok(children[0])), meta)

    def fallback_item(self, meta: Any, children: list[tuple[n.Action, ...]]) -> _Clause:
        return self._clause("fallback", children[0], meta)

    def when_item(self, meta: Any, children: list[n.Expr]) -> _Clause:
        return self._clause("when", children[0], meta)

    def unless_item(self, meta: Any, children: list[n.Expr]) -> _Clause:
        return self._clause("unless", children[0], meta)

    def then_item(self, meta: Any, children: list[tuple[n.Action, ...]]) -> _Clause:
        return self._clause("then", children[0], meta)

    def given_item(self, meta: Any, children: list[n.JsonObject]) -> _Clause:
        return self._clause("given", children[0], meta)

    def always_item(self, meta: Any, children: list[n.Expr]) -> _Clause:
        return self._clause("always", children[0], meta)

    # declarations
    def header(self, meta: Any, children: list[Any]) -> n.Header:
        name, *clauses = children
        f = self._fold("ruleset header", clauses)
        return n.Header(
            str(name),
            version=cast(n.Text | None, f.get("version")),
            owner=cast(n.Text | None, f.get("owner")),
            description=cast(n.Text | None, f.get("description")),
            fallback=cast(tuple[n.Action, ...] | None, f.get("fallback")),
            span=self._span(meta),
            name_span=self._tok(name),
        )

    def const_decl(self, meta: Any, children: list[Any]) -> n.Constant:
        name, value = children
        return n.Constant(str(name), value, span=self._span(meta), name_span=self._tok(name))

    def list_decl(self, meta: Any, children: list[Any]) -> n.NamedList:
        name, items = children
        return n.NamedList(str(name), items, span=self._span(meta), name_span=self._tok(name))

    def condition_decl(self, meta: Any, children: list[Any]) -> n.Condition:
        name, expr = children
        return n.Condition(str(name), expr, span=self._span(meta), name_span=self._tok(name))

    def rule_decl(self, meta: Any, children: list[Any]) -> n.Rule:
        name, *clauses = children
        f = self._fold("rule", clauses)
        return n.Rule(
            str(name),
            tier=cast(n.Ident | None, f.get("tier")),
            owner=cast(n.Text | None, f.get("owner")),
            cite=cast(n.Text | None, f.get("cite")),
            description=cast(n.Text | None, f.get("description")),
            mode=cast(n.Ident | None, f.get("mode")),
            when=cast(n.Expr | None, f.get("when")),
            unless=cast(n.Expr | None, f.get("unless")),
            actions=cast(tuple[n.Action, ...], f.get("then", ())),
            span=self._span(meta),
            name_span=self._tok(name),
        )

    def base_decl(self, meta: Any, children: list[Any]) -> n.BaseEvent:
        return n.BaseEvent(children[0], span=self._span(meta))

    def test_decl(self, meta: Any, children: list[Any]) -> n.Test:
        name, *items = children
        clauses = [c for c in items if isinstance(c, _Clause)]
        expectations = tuple(c for c in items if not isinstance(c, _Clause))
        f = self._fold("test", clauses)
        return n.Test(
            str(name),
            description=cast(n.Text | None, f.get("description")),
            given=cast(n.JsonObject | None, f.get("given")),
            expectations=expectations,
            span=self._span(meta),
            name_span=self._tok(name),
        )

    def invariant_decl(self, meta: Any, children: list[Any]) -> n.Invariant:
        name, *clauses = children
        f = self._fold("invariant", clauses)
        return n.Invariant(
            str(name),
            description=cast(n.Text | None, f.get("description")),
            when=cast(n.Expr | None, f.get("when")),
            always=cast(n.Expr | None, f.get("always")),
            span=self._span(meta),
            name_span=self._tok(name),
        )

    # expectations
    def expect_disposition(self, meta: Any, children: list[Token]) -> n.ExpectDisposition:
        return n.ExpectDisposition(
            n.Ident(str(children[0]), span=self._tok(children[0])), span=self._span(meta)
        )

    def expect_account(self, meta: Any, children: list[Token]) -> n.ExpectAccount:
        return n.ExpectAccount(n.Ident(str(children[0]), span=self._tok(children[0])), span=self._span(meta))

    def expect_obligation(self, meta: Any, children: list[n.Action]) -> n.ExpectObligation:
        return n.ExpectObligation(children[0], True, span=self._span(meta))

    def expect_no_obligation(self, meta: Any, children: list[n.Action]) -> n.ExpectObligation:
        return n.ExpectObligation(children[0], False, span=self._span(meta))

    def expect_fired(self, meta: Any, children: list[tuple[n.Ident, ...]]) -> n.ExpectFired:
        return n.ExpectFired(children[0], True, span=self._span(meta))

    def expect_not_fired(self, meta: Any, children: list[tuple[n.Ident, ...]]) -> n.ExpectFired:
        return n.ExpectFired(children[0], False, span=self._span(meta))

    def expect_error(self, meta: Any, children: list[tuple[n.Ident, ...]]) -> n.ExpectError:
        return n.ExpectError(children[0], span=self._span(meta))

    def name_list(self, meta: Any, children: list[Token]) -> tuple[n.Ident, ...]:
        return tuple(n.Ident(str(t), span=self._tok(t)) for t in children)

    # actions
    def action_list(self, meta: Any, children: list[n.Action]) -> tuple[n.Action, ...]:
        return tuple(children)

    def action(self, meta: Any, children: list[Any]) -> n.Action:
        name, *args = children
        return n.Action(str(name), tuple(a for a in args if a is not None), span=self._span(meta))

    def arg(self, meta: Any, children: list[Any]) -> n.Argument:
        name, value = children
        return n.Argument(str(name), value, span=self._span(meta))

    def symbol(self, meta: Any, children: list[Token]) -> n.Symbol:
        return n.Symbol(str(children[0]), span=self._span(meta))

    # JSON values
    def json_object(self, meta: Any, children: list[Any]) -> n.JsonObject:
        return n.JsonObject(tuple(c for c in children if c is not None), span=self._span(meta))

    def json_pair(self, meta: Any, children: list[Any]) -> n.JsonPair:
        key, value = children
        text = self._string(key) if key.type == "STRING" else str(key)
        return n.JsonPair(text, value, span=self._span(meta))

    def json_array(self, meta: Any, children: list[Any]) -> n.JsonArray:
        return n.JsonArray(tuple(c for c in children if c is not None), span=self._span(meta))

    def json_string(self, meta: Any, children: list[Token]) -> n.Literal:
        return n.Literal(self._string(children[0]), span=self._span(meta))

    def null(self, meta: Any, children: list[Any]) -> n.Null:
        return n.Null(span=self._span(meta))

    # literals
    def string(self, meta: Any, children: list[Token]) -> n.Literal:
        return n.Literal(self._string(children[0]), span=self._span(meta))

    def number(self, meta: Any, children: list[Token]) -> n.Literal:
        text = str(children[0])
        value: int | float = float(text) if "." in text else int(text)
        return n.Literal(value, span=self._span(meta))

    def negative(self, meta: Any, children: list[Any]) -> n.Literal:
        token = children[0]
        text = str(token.value) if isinstance(token, Token) else str(token)
        value: int | float = float(text) if "." in text else int(text)
        return n.Literal(-value, span=self._span(meta))

    def true(self, meta: Any, children: list[Any]) -> n.Literal:
        return n.Literal(True, span=self._span(meta))

    def false(self, meta: Any, children: list[Any]) -> n.Literal:
        return n.Literal(False, span=self._span(meta))

    def list_literal(self, meta: Any, children: list[Any]) -> n.ListLiteral:
        return n.ListLiteral(tuple(c for c in children if c is not None), span=self._span(meta))

    # expressions
    def or_(self, meta: Any, children: list[n.Expr]) -> n.Or:
        return n.Or(_flatten(n.Or, children), span=self._span(meta))

    def and_(self, meta: Any, children: list[n.Expr]) -> n.And:
        return n.And(_flatten(n.And, children), span=self._span(meta))

    def not_(self, meta: Any, children: list[n.Expr]) -> n.Not:
        return n.Not(children[0], span=self._span(meta))

    def any_(self, meta: Any, children: list[Any]) -> n.Quantifier:
        variable, source, body = children
        return n.Quantifier("any", str(variable), source, body, span=self._span(meta))

    def all_(self, meta: Any, children: list[Any]) -> n.Quantifier:
        variable, source, body = children
        return n.Quantifier("all", str(variable), source, body, span=self._span(meta))

    def compare(self, meta: Any, children: list[Any]) -> n.Compare:
        left, op, right = children
        return n.Compare(cast(n.CompareOp, str(op)), left, right, span=self._span(meta))

    def member(self, meta: Any, children: list[Any]) -> n.Compare:
        return n.Compare("in", children[0], children[1], span=self._span(meta))

    def not_member(self, meta: Any, children: list[Any]) -> n.Compare:
        return n.Compare("not in", children[0], children[1], span=self._span(meta))

    def contains(self, meta: Any, children: list[Any]) -> n.Compare:
        return n.Compare("contains", children[0], children[1], span=self._span(meta))

    def is_missing(self, meta: Any, children: list[Any]) -> n.IsTest:
        return n.IsTest(children[0], "missing", span=self._span(meta))

    def is_present(self, meta: Any, children: list[Any]) -> n.IsTest:
        return n.IsTest(children[0], "present", span=self._span(meta))

    def is_empty(self, meta: Any, children: list[Any]) -> n.IsTest:
        return n.IsTest(children[0], "empty", span=self._span(meta))

    def is_not_empty(self, meta: Any, children: list[Any]) -> n.IsTest:
        return n.IsTest(children[0], "not empty", span=self._span(meta))

    def path(self, meta: Any, children: list[Any]) -> n.Expr:
        head, *rest = children
        expr: n.Expr = head
        for token in rest:
            # the span of `a.b.c` grows with each step so a diagnostic can point at the prefix that failed
            end = _token_span(self.source, token)
            start = expr.span
            expr = n.Attribute(
                expr,
                str(token),
                span=Span(
                    self.source.path,
                    start.line,
                    start.column,
                    end.end_line,
                    end.end_column,
                    start.start,
                    end.end,
                ),
            )
        return expr

    def name(self, meta: Any, children: list[Token]) -> n.Name:
        return n.Name(str(children[0]), span=self._span(meta))

    def call(self, meta: Any, children: list[Any]) -> n.Call:
        function, *args = children
        return n.Call(str(function), tuple(a for a in args if a is not None), span=self._span(meta))


def _flatten(kind: type[n.And] | type[n.Or], operands: list[n.Expr]) -> tuple[n.Expr, ...]:
    out: list[n.Expr] = []
    for operand in operands:
        if isinstance(operand, kind):
            out.extend(operand.operands)
        else:
            out.append(operand)
    return tuple(out)
