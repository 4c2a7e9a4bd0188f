"""Parse ruleset text into the AST, with syntax errors a policy author can act on.

lark compiles the grammar (LALR, strict) into tables; `lexer.parse` runs them over the text and
`builder.Builder` makes each AST node as its rule completes, without recursion. Any input the fast path
cannot vouch for (syntax errors, deep nesting) goes to lark's own parser, whose errors become the
diagnostics. Nothing past this module sees lark. Every failure becomes a `DiagnosticError`.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ruleward.dsl import lexer
from ruleward.dsl import nodes as n
from ruleward.dsl.builder import INVALID_ESCAPE, Builder
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
BINARY_FILE = DiagnosticCode("E009", "binary-file", "the file holds NUL bytes, so it is not text")


@cache
def _lark() -> Lark:
    grammar = resources.files("ruleward.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    options: dict[str, Any] = {
        "parser": "lalr",
        "strict": True,
        "propagate_positions": True,
        "maybe_placeholders": True,
    }
    cache = _private_cache_file(grammar)
    if cache is not None:
        try:
            return Lark(grammar, cache=str(cache), **options)
        except Exception:  # a damaged or unwritable cache only costs time: build without it
            cache.unlink(missing_ok=True)
    return Lark(grammar, **options)


def _private_cache_file(grammar: str) -> Path | None:
    """Where to cache lark's grammar analysis (its strict checks cost ~0.6 s at every start), or None.

    lark's cache is a pickle, so it is only used from a directory that this user alone can write.
    """
    if os.environ.get("RULEWARD_NO_GRAMMAR_CACHE"):
        return None
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ruleward"
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
    except (OSError, RuntimeError):
        return None
    key = hashlib.sha256(f"{lark.__version__}\0{grammar}".encode()).hexdigest()[:24]
    return base / f"grammar-{key}.lark-cache"


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
    late: DiagnosticError | None = None
    try:
        return _build(source, lexer.MAX_STACK)
    except lexer.Bail:
        pass
    except DiagnosticError as error:
        late = error  # a clause or string error counts only if the file parses and is not nested too deep
    _check_with_lark(source)
    if late is not None:
        raise late
    try:
        return _build(source, None)
    except lexer.Bail as bail:  # pragma: no cover - the fast path reads all that lark reads
        raise AssertionError(f"lark parses {source.path} but the fast path does not: {bail}") from None


def _build(source: SourceFile, max_stack: int | None) -> n.Module:
    tables = _tables()
    tokens = lexer.Tokens.empty()
    steps = lexer.steps(tables, Builder(source, tokens).handlers(_handled()))
    return cast(n.Module, lexer.parse(tables, source.text, tokens, steps, max_stack))


def _check_with_lark(source: SourceFile) -> None:
    """Raise the diagnostic for a syntax error or too deep nesting, as lark's own parser finds them."""
    try:
        tree = _lark().parse(source.text)
    except UnexpectedInput as error:
        raise DiagnosticError([_syntax_diagnostic(source, error)]) from None
    _check_depth(source, tree)


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
#
# lark's LALR tables merge lookaheads, so the set of tokens it "expected" after an expression holds the
# clause keywords of every declaration kind. The messages below first find where the author is (which
# declaration, which clause, inside brackets or a quantifier) from the text before the error, and then
# describe only what can follow there.

_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "COMPARE": "a comparison such as `==` or `>=`",
    "$END": "the end of the file",
}

_DECLARATION_KEYWORDS = {"RULESET", "CONST", "LIST", "CONDITION", "RULE", "BASE", "TEST", "INVARIANT"}
_VALUE_START = {"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "MINUS", "TRUE", "FALSE", "NOT", "ANY", "ALL"}
_OPERATORS = {"AND", "OR", "COMPARE", "IN", "NOT", "CONTAINS", "IS", "DOT"}
# the clause keywords of each declaration kind
_DECLARATION_CLAUSES: dict[str, set[str]] = {
    "ruleset": {"VERSION", "OWNER", "DESCRIPTION", "FALLBACK"},
    "rule": {"TIER", "OWNER", "CITE", "DESCRIPTION", "MODE", "WHEN", "UNLESS", "THEN"},
    "test": {"DESCRIPTION", "GIVEN", "EXPECT"},
    "invariant": {"DESCRIPTION", "WHEN", "ALWAYS"},
}
_ALL_CLAUSES = set().union(*_DECLARATION_CLAUSES.values())
_CLAUSE_WORDS = {"when", "unless", "then", "tier", "owner", "cite", "mode", "description", "always", "given"}
_EXPRESSION_CLAUSES = {"when", "unless", "always", "condition"}
_NAME_AFTER = {
    "disposition": "a disposition such as `block`",
    "account": "an account action such as `ban`",
    "obligation": "an obligation such as `report`",
    "fired": "a rule's name",
    "error": "a rule's name",
    "mode": "`enforce` or `shadow`",
    "tier": "a tier such as `legal`",
}

_DECLARATION_RE = re.compile(r"(?m)^[ \t]*(ruleset|const|list|condition|rule|base|test|invariant)\b")
_CLAUSE_RE = re.compile(
    r"(?<![\w.])(when|unless|then|tier|owner|cite|mode|description|always|given|expect|fallback|version)\b"
)
_QUANTIFIER_RE = re.compile(r"(?<![\w.])(any|all)\s+[A-Za-z_]\w*\s+in\b")
_WHERE_RE = re.compile(r"(?<![\w.])where\b")
# a clause keyword right after an operator was read as a name: the expression before it is unfinished
_OPERATOR_BEFORE_RE = re.compile(r"(?:(?<![\w.])(?:and|or|not|in|contains|where)|[=<>(,\[])\s*$")
_STRING_OR_COMMENT_RE = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*')


@dataclass(frozen=True, slots=True)
class _Where:
    """Where in the text a syntax error sits, read from the text before it."""

    declaration: str | None = None  # `rule`, `condition`, ...
    clause: str | None = None  # the last clause keyword of that declaration: `when`, `then`, ...
    parens: int = 0  # brackets `(` and `[` still open
    in_quantifier: bool = False  # after `any x in` and before its `where`
    last_word: str = ""  # the last word or symbol before the error

    @property
    def in_expression(self) -> bool:
        return self.declaration == "condition" or self.clause in _EXPRESSION_CLAUSES


def _where(text: str, offset: int) -> _Where:
    before = text[:offset]
    found = None
    for match in _DECLARATION_RE.finditer(before):
        found = match
    if found is None:
        return _Where(last_word=_last_word(before))
    declaration = found.group(1)
    # strings and comments cannot open brackets or hold keywords
    body = _STRING_OR_COMMENT_RE.sub(
        lambda m: '""' if m.group(0).startswith('"') else "", before[found.end() :]
    )
    clause = None
    for clause_match in _CLAUSE_RE.finditer(body):
        if not _OPERATOR_BEFORE_RE.search(body, 0, clause_match.start()):
            clause = clause_match.group(1)
    if declaration == "condition":
        clause = "condition"
    quantifiers = list(_QUANTIFIER_RE.finditer(body))
    in_quantifier = bool(quantifiers) and not _WHERE_RE.search(body, quantifiers[-1].end())
    parens = body.count("(") + body.count("[") - body.count(")") - body.count("]")
    return _Where(declaration, clause, max(parens, 0), in_quantifier, _last_word(before))


def _last_word(before: str) -> str:
    match = re.search(r"([A-Za-z_]\w*|\S)\s*$", _STRING_OR_COMMENT_RE.sub(" ", before))
    return match.group(1) if match else ""


def _describe_expected(expected: set[str], where: _Where | None = None) -> list[str]:
    terminals = {t.name: t for t in _lark().terminals}
    where = where or _Where()
    expected = _plausible(set(expected), where)
    words: list[str] = []
    if where.in_expression and {"AND", "OR"} <= expected:
        # a complete expression: it may go on, or the declaration may move on
        words.append("`and`, `or`" + (", a comparison" if "COMPARE" in expected else ""))
        expected -= _OPERATORS | {"COMPARE"}
        if "WHERE" in expected:
            words.append("`where`")
        if where.declaration == "rule" and "THEN" in expected:
            words.append("the next clause (`then`, `unless`, ...)")
        elif where.declaration == "invariant" and "ALWAYS" in expected:
            words.append("`always`")
        if where.parens:
            words.extend(w for w in (("`)`" if "RPAR" in expected else None),) if w)
        words.append("a new declaration")
        return words
    if _DECLARATION_KEYWORDS <= expected:
        expected = expected - _DECLARATION_KEYWORDS - {"$END"}
        clauses = expected & _ALL_CLAUSES
        if clauses and where.declaration in _DECLARATION_CLAUSES:
            shown = ", ".join(f"`{terminals[c].pattern.value}`" for c in sorted(clauses)[:4])
            words.append(f"a clause ({shown}{', ...' if len(clauses) > 4 else ''})")
            expected -= clauses
        words.append("a new declaration (`rule`, `const`, `list`, `condition`, `test`, `invariant`)")
    if {"NAME", "NUMBER", "STRING"} <= expected and "LPAR" in expected:
        words.append("a value or a condition")
        expected -= _VALUE_START
    if (
        "NAME" in expected
        and where.clause in ("then", "fallback")
        and where.last_word in ("then", "fallback", ",")
    ):
        words.append("an action such as `hold`")
        expected.discard("NAME")
    if "NAME" in expected and where.last_word in _NAME_AFTER:
        words.append(_NAME_AFTER[where.last_word])
        expected.discard("NAME")
    for name in sorted(expected, key=lambda x: (x not in _WORDS, x)):
        if name in _WORDS:
            words.append(_WORDS[name])
        elif name in terminals and terminals[name].pattern.type == "str":
            words.append(f"`{terminals[name].pattern.value}`")
        else:
            words.append(name.lower())
    return words


def _plausible(expected: set[str], where: _Where) -> set[str]:
    """Drop what the merged LALR lookaheads allow but the author's position rules out."""
    if where.declaration in _DECLARATION_CLAUSES:
        expected -= _ALL_CLAUSES - _DECLARATION_CLAUSES[where.declaration]
    elif where.declaration is not None:
        expected -= _ALL_CLAUSES
    if not where.in_quantifier:
        expected.discard("WHERE")
    if not where.parens:
        expected -= {"RPAR", "RSQB"}
        if where.in_expression:
            expected.discard("COMMA")
    return expected


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token.value}`"


def _hint_for_token(token: Token, expected: set[str], where: _Where | None = None) -> str | None:
    where = where or _Where()
    value = str(token.value)
    if value == "=" and "COMPARE" in expected:
        return "to compare two values write `==`; a single `=` only names a constant, list or condition"
    if where.last_word in _CLAUSE_WORDS and where.in_expression and where.last_word != where.clause:
        return f"`{where.last_word}` was read as a name: the condition before it is unfinished"
    if value == "else":
        return (
            "there is no `else`: a rule that does not fire does nothing; write another rule, or use `unless`"
        )
    if value in ("missing", "present") and where.last_word == "not":
        return f"write `is {'present' if value == 'missing' else 'missing'}`"
    if where.last_word == "not" and "IN" in expected:
        return "`not` after a value starts `not in [...]`; to compare write `!=`"
    if value == "," and where.in_expression and not where.parens:
        return "join conditions with `and` or `or`"
    if value == "," and where.parens and "RPAR" in expected and "RSQB" not in expected:
        return 'lists use square brackets: `["a", "b"]`'
    if value in ("{", ":") and where.declaration in _DECLARATION_CLAUSES and where.clause is None:
        return f"a `{where.declaration}` has no braces or colons: its clauses follow its name, one per line"
    if where.in_quantifier and "WHERE" in expected:
        return "a quantifier reads `any x in LIST where CONDITION`: did you forget `where`?"
    if where.declaration == "rule" and where.in_expression and token.type == "NAME" and "THEN" in expected:
        return "actions follow `then`: did you forget `then`?"
    if "RSQB" in expected and token.type == "NAME" and "STRING" in expected and where.parens:
        return "list items are values: strings in quotes, numbers, `true` or `false`"
    if "COLON" in expected and token.type in ("NAME", "STRING", "NUMBER"):
        return "action arguments are named: write `name: value`"
    if token.type == "NAME" and "COMMA" in expected and "RPAR" in expected:
        return "separate items with commas"
    if value in ("when", "then", "unless", "tier", "owner", "cite", "mode", "description"):
        return "rule clauses belong inside a `rule` declaration, after `rule NAME`"
    if "NAME" in expected and token.type not in ("NAME", "$END"):
        return "names start with a letter or `_` and use letters, digits and `_`; a keyword cannot be a name"
    return None


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        return _character_diagnostic(source, error)
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = set(error.expected)
        if token.type == "$END":
            return _end_diagnostic(source, expected)
        where = _where(source.text, token.start_pos or 0)
        words = _describe_expected(expected, where)
        span = _token_span(source, token)
        message = f"unexpected {_token_text(token)}, expected {_join(words)}"
        return UNEXPECTED_TOKEN.at(span, message, _hint_for_token(token, expected, where))
    if isinstance(error, UnexpectedEOF):
        return _end_diagnostic(source, set(error.expected))
    return UNEXPECTED_TOKEN.at(source.span_at(0), "the file could not be parsed", None)  # pragma: no cover


def _end_diagnostic(source: SourceFile, expected: set[str]) -> Diagnostic:
    # point at the last word of the file, which is what the declaration stopped after
    text = source.text
    end = len(text.rstrip())
    where = _where(text, end)
    last = where.last_word
    start = max(0, end - len(last)) if last else end
    words = _describe_expected(expected, where)
    after = f" after `{last}`" if last else ""
    hint = f"expected {_join(words)}"
    if last == ",":
        hint += "; or remove the trailing `,`"
    return UNEXPECTED_END.at(
        source.span_at(start, max(1, end - start)),
        f"the file ends in the middle of a declaration{after}",
        hint,
    )


_ESCAPES = 'the escapes are `\\"`, `\\\\`, `\\n`, `\\t`, `\\/` and `\\uXXXX`: write `\\\\` for a backslash'
_NO_ARITHMETIC = "ruleward has no arithmetic: write the value itself, or name it with `const`"


def _character_diagnostic(source: SourceFile, error: UnexpectedCharacters) -> Diagnostic:
    offset = error.pos_in_stream or 0
    text = source.text
    char = text[offset] if offset < len(text) else ""
    span = source.span_at(offset)
    if char == '"':
        line_end = text.find("\n", offset)
        line_end = line_end if line_end >= 0 else len(text)
        closed = re.match(r'"(?:\\.|[^"\\])*"', text[offset:line_end])
        escapes = re.finditer(r"\\(u[0-9a-fA-F]{4}|.)?", closed.group(0)) if closed else iter(())
        bad = next((m for m in escapes if not _valid_escape(m.group(0))), None)
        if bad is not None:
            return INVALID_ESCAPE.at(
                source.span_at(offset + bad.start(), len(bad.group(0))),
                f"`{bad.group(0)}` is not an escape a string may hold",
                _ESCAPES,
            )
        return UNTERMINATED_STRING.at(
            source.span_at(offset, line_end - offset),
            "unterminated string",
            'close the string with `"` on the same line; write `\\"` for a quote inside it',
        )
    two = text[offset : offset + 2]
    if two in ("&&", "||"):
        word = "and" if two == "&&" else "or"
        return UNEXPECTED_CHARACTER.at(
            source.span_at(offset, 2), f"`{two}` is not part of the language", f"write `{word}`"
        )
    if char == "!":
        return UNEXPECTED_CHARACTER.at(
            span, "`!` is not part of the language", "write `not` before a condition"
        )
    if char == "'":
        return UNEXPECTED_CHARACTER.at(span, "strings use double quotes", "write `\"text\"`, not `'text'`")
    if char == ";":
        return UNEXPECTED_CHARACTER.at(
            span,
            "`;` is not part of the language",
            "a clause ends where the next begins; separate actions with `,`",
        )
    if char in "+*/%":
        return UNEXPECTED_CHARACTER.at(span, f"unexpected `{char}`", _NO_ARITHMETIC)
    if char in "{}" or char == ":":
        return UNEXPECTED_CHARACTER.at(
            span,
            f"unexpected `{char}`",
            "braces and colons appear only in `given` / `base event` objects and action arguments",
        )
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return UNEXPECTED_CHARACTER.at(span, f"unexpected character `{shown}`", _character_hint(source, error))


def _valid_escape(escape: str) -> bool:
    return escape in ('\\"', "\\\\", "\\n", "\\t", "\\/") or bool(re.fullmatch(r"\\u[0-9a-fA-F]{4}", escape))


def _character_hint(source: SourceFile, error: UnexpectedCharacters) -> str:
    allowed = sorted(error.allowed or ())
    where = _where(source.text, error.pos_in_stream or 0)
    words = _describe_expected(set(allowed), where) if allowed else []
    return f"expected {_join(words)}" if words else "remove the character"


def _join(words: list[str]) -> str:
    if not words:
        return "something else"
    if len(words) > 8:
        words = [*words[:8], "..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# ---- spans of lark's tokens and tree nodes (syntax errors, nesting) -------------------------------------


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


# ---- building the AST --------------------------------------------------------------------------------------


@cache
def _tables() -> lexer.Tables:
    return lexer.tables(_lark())


@cache
def _handled() -> frozenset[str]:
    """The names of the grammar's tree rules, each a `Builder` method."""
    return frozenset(name for name, _ in _tables().plan if name is not None)
