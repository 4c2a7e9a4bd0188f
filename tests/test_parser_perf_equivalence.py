"""The fast parser against the parser it replaced, on real, golden, generated and mutated sources.

`parser.parse` reads text with dsl/lexer.py: one regex, lark's LALR tables, and an AST node made as each
rule completes. The reference below is the parser it replaced, kept as it was: lark's own LALR parser with
its contextual lexer and `propagate_positions`, then a Transformer over lark's tree. Both must give the
same AST, the same span on every node (equality ignores spans, so they are compared one by one), the same
comments, and the same diagnostics; and where lark parses a file, the fast path must read it itself (not
hand it back to lark) with the very tokens lark's contextual lexer reads.

When the grammar or the AST changes, change `_ReferenceBuilder` in step with `builder.Builder`.
"""

from __future__ import annotations

import json
import random
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedInput, VisitError

from ruleward.dsl import lexer, strategies
from ruleward.dsl import nodes as n
from ruleward.dsl.builder import (
    DUPLICATE_CLAUSE,
    INVALID_ESCAPE,
    MAX_PATH_NAMES,
    PATH_TOO_LONG,
    Builder,
)
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticError
from ruleward.dsl.parser import (
    MAX_DEPTH,
    TOO_DEEP,
    _build,
    _check_depth,
    _handled,
    _lark,
    _meta_span,
    _syntax_diagnostic,
    _tables,
    _token_span,
    parse,
)
from ruleward.dsl.source import SourceFile, Span

ROOT = Path(__file__).resolve().parents[1]
PATH = "t.rw"
CORPUS = sorted([*ROOT.joinpath("rulesets").rglob("*.rw"), *ROOT.joinpath("tests").rglob("*.rw")])
_SLOW_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]


# ---- the reference: the parser before the fast path ------------------------------------------------------

_COMMENTS: list[Token] = []


def _keep_comment(token: Token) -> Token:
    _COMMENTS.append(token)
    return token


@cache
def _reference_lark() -> Lark:
    grammar = resources.files("ruleward.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _keep_comment},
    )


def reference_parse(source: SourceFile) -> n.Module:
    _COMMENTS.clear()
    try:
        tree = _reference_lark().parse(source.text)
    except UnexpectedInput as error:
        raise DiagnosticError([_syntax_diagnostic(source, error)]) from None
    comments = list(_COMMENTS)
    _check_depth(source, tree)
    try:
        module = _ReferenceBuilder(source).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, DiagnosticError):
            raise error.orig_exc from None
        raise
    module = cast(n.Module, module)
    kept = tuple(n.Comment(str(c.value), span=_token_span(source, c)) for c in comments)
    return n.Module(module.path, module.declarations, kept, span=module.span)


class _RefClause:
    """An item of a rule, header, test or invariant, before it is folded into its declaration."""

    __slots__ = ("keyword", "span", "value")

    def __init__(self, keyword: str, value: object, span: Span) -> None:
        self.keyword = keyword
        self.value = value
        self.span = span


@v_args(meta=True)
class _ReferenceBuilder(Transformer_NonRecursive):  # type: ignore[type-arg]
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

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:
        raise AssertionError(f"no AST rule for {data}")

    # start
    def start(self, meta: Any, children: list[n.Declaration]) -> n.Module:
        span = self.source.span_at(0, len(self.source.text))
        return n.Module(self.source.path, tuple(children), span=span)

    # clauses shared by several declarations
    def _clause(self, keyword: str, value: object, meta: Any) -> _RefClause:
        return _RefClause(keyword, value, self._span(meta))

    def _fold(self, kind: str, clauses: list[_RefClause]) -> dict[str, object]:
        seen: dict[str, _RefClause] = {}
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

    def version_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause("version", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def owner_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause("owner", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def description_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause(
            "description", n.Text(self._string(children[0]), span=self._tok(children[0])), meta
        )

    def cite_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause("cite", n.Text(self._string(children[0]), span=self._tok(children[0])), meta)

    def tier_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause("tier", n.Ident(str(children[0]), span=self._tok(children[0])), meta)

    def mode_item(self, meta: Any, children: list[Token]) -> _RefClause:
        return self._clause("mode", n.Ident(str(children[0]), span=self._tok(children[0])), meta)

    def fallback_item(self, meta: Any, children: list[tuple[n.Action, ...]]) -> _RefClause:
        return self._clause("fallback", children[0], meta)

    def when_item(self, meta: Any, children: list[n.Expr]) -> _RefClause:
        return self._clause("when", children[0], meta)

    def unless_item(self, meta: Any, children: list[n.Expr]) -> _RefClause:
        return self._clause("unless", children[0], meta)

    def then_item(self, meta: Any, children: list[tuple[n.Action, ...]]) -> _RefClause:
        return self._clause("then", children[0], meta)

    def given_item(self, meta: Any, children: list[n.JsonObject]) -> _RefClause:
        return self._clause("given", children[0], meta)

    def always_item(self, meta: Any, children: list[n.Expr]) -> _RefClause:
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
        clauses = [c for c in items if isinstance(c, _RefClause)]
        expectations = tuple(c for c in items if not isinstance(c, _RefClause))
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
        return n.Or(_reference_flatten(n.Or, children), span=self._span(meta))

    def and_(self, meta: Any, children: list[n.Expr]) -> n.And:
        return n.And(_reference_flatten(n.And, children), span=self._span(meta))

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
        if len(children) > MAX_PATH_NAMES:
            shown = ".".join(str(token) for token in rest[:3])
            raise DiagnosticError(
                [
                    PATH_TOO_LONG.at(
                        self._tok(rest[MAX_PATH_NAMES - 1]),
                        f"the path `{head.name}.{shown}...` has {len(children):,} names, "
                        f"over the limit of {MAX_PATH_NAMES}",
                        "a path reads a field inside a field, e.g. `actor.account_age_days`; no event nests "
                        "this deep: look for a part repeated by mistake",
                    )
                ]
            )
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


def _reference_flatten(kind: type[n.And] | type[n.Or], operands: list[n.Expr]) -> tuple[n.Expr, ...]:
    out: list[n.Expr] = []
    for operand in operands:
        if isinstance(operand, kind):
            out.extend(operand.operands)
        else:
            out.append(operand)
    return tuple(out)


# ---- comparing the two ------------------------------------------------------------------------------------


def _outcome(parser: Any, text: str) -> tuple[n.Module | None, tuple[Diagnostic, ...]]:
    try:
        return parser(SourceFile(PATH, text)), ()
    except DiagnosticError as error:
        return None, tuple(error.diagnostics)


def _spans(module: n.Module) -> list[tuple[str, Span, Span | None]]:
    # every node in the same order (comments included), with its span and, for declarations, its name's
    return [(type(node).__name__, node.span, getattr(node, "name_span", None)) for node in n.walk(module)]


def assert_same(text: str) -> n.Module | None:
    """`parse` and the reference agree on `text`; the module, if it parses."""
    expected, expected_diagnostics = _outcome(reference_parse, text)
    module, diagnostics = _outcome(parse, text)
    assert diagnostics == expected_diagnostics
    assert (module is None) == (expected is None)
    if module is None or expected is None:
        return None
    assert module == expected
    assert module.comments == expected.comments
    assert _spans(module) == _spans(expected)
    return module


def lark_tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    parser = _lark().parse_interactive(text)
    return [(t.type, str(t.value), t.start_pos or 0, t.line or 0, t.column or 0) for t in parser.iter_parse()]


def fast_tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    """The tokens the fast path reads on its own, with no limit on nesting."""
    tokens = lexer.Tokens.empty()
    steps = lexer.steps(_tables(), Builder(SourceFile(PATH, text), tokens).handlers(_handled()))
    lexer.parse(_tables(), text, tokens, steps, None)
    return list(zip(tokens.kinds, tokens.texts, tokens.starts, tokens.lines, tokens.columns, strict=True))


def assert_fast(text: str, *, tokens: bool = True) -> None:
    """Where lark parses `text`, the fast path reads it itself, with lark's tokens."""
    if tokens:
        assert fast_tokens(text) == lark_tokens(text)
    try:
        _build(SourceFile(PATH, text), lexer.MAX_STACK)
    except lexer.Bail as bail:
        assert str(bail) == "deep nesting"  # the only input lark must look at though it parses


# ---- sources ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_ruleset_file_parses_the_same(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    if assert_same(text) is not None:
        assert_fast(text)


def test_the_corpus_holds_the_default_ruleset_and_parsing_goldens() -> None:
    names = {p.name for p in CORPUS}
    assert {"child_safety.rw", "tests.rw", "invariants.rw"} <= names
    assert any(p.name.startswith("syntax_") for p in CORPUS)


def _generated(rules: int) -> str:
    rnd = random.Random(rules)
    parts = ['ruleset big version "1" owner "o"\n']
    for i in range(rules):
        parts.append(
            f'rule r{i}\n  tier policy\n  owner "x"\n  cite "y"\n'
            f'  when any m in hash_matches where m.bank in ["b{i % 7}", "iwf"] and '
            f'(m.algorithm == "pdq" and m.distance <= {rnd.randint(10, 40)} or m.algorithm == "md5")\n'
            f'    and max_score("csam") >= 0.{rnd.randint(10, 99)}\n'
            f'  then block, review(queue: "q{i % 5}", priority: P{i % 4})\n'
        )
    return "\n".join(parts)


def test_a_generated_ruleset_parses_the_same() -> None:
    text = _generated(30)
    module = assert_same(text)
    assert module is not None and len(module.declarations) == 31
    assert_fast(text)


def _everything(text: str) -> tuple[object, ...]:
    """What a parse hands on: the module, every span, the comments and the tokens read."""
    module, diagnostics = _outcome(parse, text)
    spans = _spans(module) if module is not None else None
    comments = module.comments if module is not None else None
    return module, spans, comments, diagnostics, fast_tokens(text) if module is not None else None


def test_runs_replayed_parse_as_runs_worked_out_from_the_tables() -> None:
    # declarations of a few shapes, a keyword read as a name, comments and an error found while building
    text = _generated(12) + "\nrule z tier legal when m.owner and m.rule then review(tier: P1)  # c\n"
    broken = text + 'rule q when a == "\\q" then block\n'
    replays = _tables().replays
    replays.clear()
    cold = [_everything(t) for t in (text, broken)]
    runs = len(replays)
    assert 0 < runs < len(text.split("rule ")) - 1  # one run per shape, not per rule
    warm = [_everything(t) for t in (text, broken)]
    assert len(replays) == runs  # nothing new was worked out: every run was replayed
    assert warm == cold
    assert_same(text)
    assert cold[1][3] and cold[1][3][0].code == INVALID_ESCAPE.code


def test_a_replayed_run_nested_past_the_fast_paths_bound_goes_to_lark() -> None:
    text = "condition c = " + "not " * (lexer.MAX_STACK + 5) + "a\n"
    assert_same(text)  # lark's check passes; the run is worked out with no bound and remembered
    assert any(replay.depth > lexer.MAX_STACK for replay in _tables().replays.values())
    with pytest.raises(lexer.Bail, match="deep nesting"):
        _build(SourceFile(PATH, text), lexer.MAX_STACK)


def test_the_runs_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexer, "_REPLAYS_KEPT", 3)
    for i in range(10):
        assert_same(("rule r when a" + " and a" * i + " then block\n") * 2)
        assert len(_tables().replays) <= 3


CASES = {
    "empty": "",
    "comments only": "# one\n   # two\n#\n",
    "keywords as names after a dot": "condition c = m.tier == m.owner and m.in and m.not.any.where",
    "keywords as JSON keys": 'base event { when: 1, "then": [true, null, {rule: -2.5}], given: {} }',
    "keywords as argument names": 'rule r then review(tier: P1, owner: "x", when: 3, in: true,)',
    "keyword glued to a word where no name fits": "rule r when a == 1 andx then block",
    "keyword glued after a name": "rule r tier legalwhen a then block",
    "double equals where a single one belongs": "const x == 1",
    "comparison where a name belongs": "rule <= when a then block",
    "every construct": (
        'ruleset r version "1" owner "o" description "d" fallback hold, review(queue: "q", priority: P2)\n'
        'const c = -3\nconst f = 1.5\nlist l = ["a", 1, true, false,]\n'
        "condition k = not (a is missing or b is present) and c is empty and d is not empty\n"
        'rule r tier legal mode shadow cite "c" description "x"\n'
        '  when any x in xs where all y in x.ys where y.v not in l and y.w contains "z" or count(xs) > -1\n'
        '  unless f() and g(1, "s", [1]) and max_score("csam") >= 0.5\n'
        '  then block, report(to: "ncmec"), tag(name: "t")\n'
        'base event { a: 1, "b": [1, -2.5, "x", null, true, false, {c: {}}], }\n'
        'test t description "d" given { a: 2 }\n'
        '  expect disposition block expect account ban expect obligation review(queue: "q")\n'
        "  expect no obligation report expect fired r, s expect not fired t expect error u\n"
        'invariant i description "d" when a always decision.disposition >= "hold"\n'
    ),
    "windows line ends and tabs": 'rule r\r\n\twhen a\t== "b"\r\n\tthen block\r\n# end\r\n',
    "form feeds and carriage returns": "rule r\fwhen a\rthen block",
    "byte order mark inside": "\ufeffrule r when a then block",
    "unicode in strings and comments": 'rule r # é中😀\n when a == "é中😀\\u00e9\\ud83d\\ude00" then block',
    "escapes": r'const s = "a\"b\\c\/d\ne\tf"',
    "a tab inside a string": 'const s = "a\tb"',
    "a control character inside a string": 'const s = "a\x01b"',
    "an invalid escape": r'const s = "a\qb"',
    "an unterminated string": 'const s = "abc\nconst t = 1',
    "a duplicate clause": "rule r when a when b then block",
    "a duplicate clause before a syntax error": "rule r when a when b then block\nrule s when (",
    "a bad string before a syntax error": 'const s = "a\tb"\nconst t = = 1',
    "a duplicate clause before deep nesting": "rule r when a when b then block\ncondition c = "
    + "not " * 300
    + "a",
    "an unexpected character": "rule r when a && b then block",
    "an unexpected end": "rule r when a and",
    "a missing then": "rule r when a block",
    "a number where a name belongs": "rule 1 when a then block",
    "a keyword where a name belongs": "rule when when a then block",
    "a dot without a name": "condition c = a. == 1",
    "a lone minus": "condition c = - a",
    "a name that is not a token": "condition c = a$b",
    "the longest path": "condition c = a" + ".b" * (MAX_PATH_NAMES - 1) + " == 1",
    "a path one name too long": "condition c = a" + ".b" * MAX_PATH_NAMES + " == 1",
    "a path of a thousand names": "rule r when x" + ".y" * 999 + " then block",
    "a long path before a syntax error": "condition c = a" + ".b" * 700 + "\nrule r when (",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_special_cases_parse_the_same(text: str) -> None:
    if assert_same(text) is not None:
        assert_fast(text)


def test_lark_reads_a_glued_keyword_as_the_keyword_and_so_does_the_fast_path() -> None:
    module = assert_same(CASES["keyword glued to a word where no name fits"])
    assert module is not None
    rule = module.declarations[0]
    assert isinstance(rule, n.Rule) and isinstance(rule.when, n.And)


def test_errors_found_while_building_come_after_syntax_errors_and_depth() -> None:
    # the reference reports a syntax error first, then nesting, then what building the AST found
    (_, clause), (_, syntax), (_, deep) = (
        _outcome(parse, "rule r when a when b then block"),
        _outcome(parse, CASES["a duplicate clause before a syntax error"]),
        _outcome(parse, CASES["a duplicate clause before deep nesting"]),
    )
    assert [d.code for d in clause] == [DUPLICATE_CLAUSE.code]
    assert [d.code for d in syntax] != [DUPLICATE_CLAUSE.code]
    assert [d.code for d in deep] == [TOO_DEEP.code]
    _, escape = _outcome(parse, CASES["a tab inside a string"])
    assert [d.code for d in escape] == [INVALID_ESCAPE.code]


# ---- nesting ----------------------------------------------------------------------------------------------


def test_a_long_and_chain_is_one_flat_node() -> None:
    text = "condition c = " + " and ".join(f"a{i}" for i in range(3000))
    module = assert_same(text)
    assert module is not None
    condition = module.declarations[0]
    assert isinstance(condition, n.Condition) and isinstance(condition.expr, n.And)
    assert len(condition.expr.operands) == 3000
    assert_fast(text, tokens=False)


def test_five_thousand_nots_end_in_a_diagnostic() -> None:
    _, diagnostics = _outcome(parse, "condition c = " + "not " * 5000 + "a")
    assert [d.code for d in diagnostics] == [TOO_DEEP.code]
    assert_same("condition c = " + "not " * 5000 + "a")


# Each pattern nests `x` once more per step; the last gains the most depth per stack slot: an `or` over an
# `and` over a comparison whose operand opens `(`.
NESTINGS = {
    "not": "not {x}",
    "parentheses": "({x})",
    "or over and": "(a or b and {x})",
    "call": "f({x}, 1)",
    "quantifier": "any v in vs where {x}",
    "comparison in parentheses": "({x}) == 1 and c or d",
}
DEPTHS = [1, 13, 14, 39, 40, 41, 63, 64, 65, 66, 192, 193]


@pytest.mark.parametrize("pattern", NESTINGS.values(), ids=NESTINGS.keys())
def test_nesting_near_the_limits_parses_the_same(pattern: str) -> None:
    outcomes = set()
    for depth in DEPTHS:
        expr = "a"
        for _ in range(depth):
            expr = pattern.format(x=expr)
        module = assert_same(f"condition c = {expr}")
        outcomes.add(module is None)
    if pattern != "({x})":  # parentheses alone make no tree node, so they never nest too deep
        assert outcomes == {True, False}  # the depths straddle the limit
    assert MAX_DEPTH * 3 > 3 * lexer.MAX_STACK  # the fast path's own bound keeps clear of the limit


# ---- generated and mutated sources ------------------------------------------------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=_SLOW_CHECKS)
@given(strategies.sources(PATH))
def test_generated_sources_parse_the_same(text: str) -> None:
    assert assert_same(text) is not None
    assert_fast(text)


def _snippets() -> list[str]:
    """Pieces of the default ruleset, one to three declarations long, and the special cases."""
    text = ROOT.joinpath("rulesets", "child_safety", "child_safety.rw").read_text(encoding="utf-8")
    starts = [0] + [
        i + 1 for i, c in enumerate(text) if c == "\n" and text[i + 1 : i + 5] in ("rule", "cond")
    ]
    pieces = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [*(p for p in pieces if p.strip()), *CASES.values()]


_INSERTS = [
    *sorted(strategies.KEYWORDS),
    *"()[]{},:.-=<>!\"'#\\\n\t ",
    "==", "!=", "<=", "and", "andx", "x", "1", "2.5", '"s"', "# c\n", "\r\n", "\u00e9", "\x00", "\ufeff",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_snippets()))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if edit == "insert":
            text = text[:at] + draw(st.sampled_from(_INSERTS)) + text[at:]
        else:
            end = min(len(text), at + draw(st.integers(1, 12)))
            text = text[:at] + (text[at:end] * 2 if edit == "duplicate" else "") + text[end:]
    return text


@settings(max_examples=80, deadline=None, suppress_health_check=_SLOW_CHECKS)
@given(mutated())
def test_mutated_sources_parse_the_same(text: str) -> None:
    if assert_same(text) is not None:
        assert_fast(text)


def test_mutations_reach_both_outcomes() -> None:
    # the mutation strategy is only useful if it yields broken sources as well as working ones
    seen = set()
    for seed in range(40):
        rnd = random.Random(seed)
        text = rnd.choice(_snippets())
        at = rnd.randrange(len(text) + 1)
        text = text[:at] + rnd.choice(_INSERTS) + text[at:]
        seen.add(_outcome(reference_parse, text)[0] is None)
    assert seen == {True, False}
