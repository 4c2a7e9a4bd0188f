"""The formatter: golden files, the spelling of tokens, comments, refusals (`E090`) and the digest text."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import pytest
from hypothesis import given

from ruleward.dsl import nodes as n
from ruleward.dsl import strategies
from ruleward.dsl.diagnostics import DiagnosticError
from ruleward.dsl.formatter import (
    WIDTH,
    UnprintableError,
    canonical_text,
    format_module,
    format_source,
    tokens,
)
from ruleward.dsl.formatter import comments as comment_weaving
from ruleward.dsl.formatter.declarations import DeclarationPrinter
from ruleward.dsl.formatter.soundness import first_difference
from ruleward.dsl.loader import load, load_text
from ruleward.dsl.parser import parse_text

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "format"
DEFAULT_RULESET = ROOT / "rulesets" / "child_safety" / "child_safety.rw"
REGEN = os.environ.get("RULEWARD_REGEN") == "1"

CANONICAL = sorted(p for p in GOLDEN.glob("*.rw") if not p.name.endswith((".in.rw", ".out.rw")))
MESSY = sorted(GOLDEN.glob("*.in.rw"))


def _read(path: Path) -> str:
    # bytes, not read_text: universal newlines would hide a `\r` the formatter should have removed
    return path.read_bytes().decode("utf-8")


def _codes(error: pytest.ExceptionInfo[DiagnosticError]) -> list[str]:
    return [d.code for d in error.value.diagnostics]


# ---- golden files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CANONICAL, ids=lambda p: p.name)
def test_canonical_file_formats_to_itself(path: Path) -> None:
    text = _read(path)
    assert format_source(text, path.name) == text


@pytest.mark.parametrize("path", MESSY, ids=lambda p: p.name)
def test_messy_file_formats_to_its_expected_output(path: Path) -> None:
    expected_path = path.with_name(path.name.removesuffix(".in.rw") + ".out.rw")
    formatted = format_source(_read(path), path.name)
    if REGEN:
        expected_path.write_bytes(formatted.encode("utf-8"))
    assert expected_path.exists(), f"missing {expected_path.name}: run with RULEWARD_REGEN=1"
    assert formatted == _read(expected_path)
    # the expected output is itself canonical
    assert format_source(formatted, expected_path.name) == formatted


def test_golden_files_cover_every_construct() -> None:
    assert len(CANONICAL) >= 12
    seen_types: set[type[n.Node]] = set()
    seen: set[str] = set()
    for path in CANONICAL:
        module = parse_text(_read(path), path.name)
        if module.comments:
            seen.add("comments")
        for declaration in module.declarations:
            for node in n.walk(declaration):
                seen_types.add(type(node))
                if isinstance(node, n.Compare):
                    seen.add(node.op)
                elif isinstance(node, n.IsTest):
                    seen.add(f"is {node.test}")
                elif isinstance(node, n.Quantifier):
                    seen.add(node.kind)
                elif isinstance(node, n.ExpectObligation):
                    seen.add("obligation" if node.present else "no obligation")
                elif isinstance(node, n.ExpectFired):
                    seen.add("fired" if node.fired else "not fired")
                elif (
                    isinstance(node, n.Literal) and not isinstance(node.value, bool | str) and node.value < 0
                ):
                    seen.add("negative")
    node_types = {
        cls
        for cls in vars(n).values()
        if isinstance(cls, type) and issubclass(cls, n.Node) and cls not in (n.Node, n.Module, n.Ruleset)
    }
    assert node_types - {n.Comment} <= seen_types, node_types - seen_types
    wanted = {*n.COMPARE_OPS, *(f"is {t}" for t in n.PRESENCE_TESTS), "any", "all", "negative", "comments"}
    wanted |= {"obligation", "no obligation", "fired", "not fired"}
    assert wanted <= seen, wanted - seen


def test_no_golden_line_is_wider_than_the_width_unless_it_cannot_break() -> None:
    for path in [*CANONICAL, *GOLDEN.glob("*.out.rw")]:
        for number, line in enumerate(_read(path).split("\n"), 1):
            # only a long string or comment may overflow: neither can be broken
            assert len(line) <= WIDTH or '"' in line or "#" in line, f"{path.name}:{number}"


# ---- the default ruleset --------------------------------------------------------------------------------


def test_default_ruleset_formats_soundly_and_idempotently() -> None:
    formatted = format_source(_read(DEFAULT_RULESET), DEFAULT_RULESET.name)
    assert format_source(formatted, DEFAULT_RULESET.name) == formatted
    source = parse_text(_read(DEFAULT_RULESET))
    assert parse_text(formatted) == source
    assert [c.text for c in parse_text(formatted).comments] == [c.text for c in source.comments]


def test_default_ruleset_is_canonical() -> None:
    text = _read(DEFAULT_RULESET)
    assert format_source(text, DEFAULT_RULESET.name) == text


# ---- tokens ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 7, 10**18, 0.1, 2.0, 1e-07, 1.5e-10, 1e16, 1e18, 5e-324, 123456789.125])
def test_numbers_print_as_plain_decimals_that_read_back_the_same(value: int | float) -> None:
    text = tokens.number(value)
    assert "e" not in text.lower() or value == math.inf
    constant = parse_text(f"const x = {text}").declarations[0]
    assert isinstance(constant, n.Constant)
    assert type(constant.value.value) is type(value)
    assert constant.value.value == value


def test_negative_numbers_print_where_the_grammar_allows_them() -> None:
    text = "const a = -3\nconst b = -0.000001\n\ncondition c = x > -1 and f(-2.5) == y\n"
    assert format_source(text) == text


def test_negative_numbers_print_in_json() -> None:
    text = "base event {a: -1, b: -0.5, c: [-2, {d: -3.25}], e: 0}\n"
    assert format_source(text) == text
    module = n.Module("<string>", (n.BaseEvent(n.JsonObject((n.JsonPair("k", n.Literal(-7)),))),))
    assert format_module(module) == "base event {k: -7}\n"
    assert parse_text(format_module(module)) == module


@given(strategies.numbers(negative=True))
def test_every_number_reads_back_from_json(value: int | float) -> None:
    module = n.Module("<string>", (n.BaseEvent(n.JsonObject((n.JsonPair("k", n.Literal(value)),))),))
    reparsed = parse_text(format_module(module))
    assert first_difference(module, reparsed) is None


_AWKWARD = ['"', "\\", "/", "\n", "\t", "\r", "\x00", "\x1f", "\x7f", "\x85", "\xa0", "\u2028", "\ufeff"]


@pytest.mark.parametrize("char", [*_AWKWARD, "é", "中", "😀", "\U000e0001"])
def test_every_character_survives_a_string(char: str) -> None:
    value = f"a{char}b"
    module = n.Module("<string>", (n.Constant("x", n.Literal(value)),))
    text = format_module(module)
    assert parse_text(text) == module
    line = text.rstrip("\n")
    assert "\n" not in line and all(c.isprintable() for c in line), repr(line)


def test_json_keys_print_bare_when_they_are_names() -> None:
    formatted = format_source('base event {"a": 1, "b c": 2, "true": 3, "": 4}')
    assert formatted == 'base event {a: 1, "b c": 2, true: 3, "": 4}\n'


def test_crlf_bom_tabs_and_form_feeds_become_canonical() -> None:
    text = "\ufeffconst a = 1  # one\r\n\tconst\fb = 2\r\n"
    assert format_source(text) == "const a = 1  # one\nconst b = 2\n"


def test_an_empty_file_stays_empty() -> None:
    assert format_source("") == ""
    assert format_source("\n\n   \n") == ""


# ---- comments -------------------------------------------------------------------------------------------


def test_comments_inside_an_expression_move_before_its_clause() -> None:
    text = "rule r\n  when a  # why a\n    and b  # why b\n    and c\n  then block  # why block\n"
    # the one on the clause's last line stays at the end of the clause's (new) last line
    expected = "rule r\n  # why a\n  # why b\n  when a and b and c\n  then block  # why block\n"
    assert format_source(text) == expected


def test_reordered_clauses_take_their_comments_with_them() -> None:
    text = "rule r\n  # about then\n  then block  # after then\n  # about when\n  when a\n"
    expected = "rule r\n  # about when\n  when a\n  # about then\n  then block  # after then\n"
    assert format_source(text) == expected


def test_comments_keep_one_blank_line_where_there_were_several() -> None:
    text = "# top\n\n\n\n# section\nconst a = 1\n\n\n# end\n"
    assert format_source(text) == "# top\n\n# section\nconst a = 1\n\n# end\n"


# ---- refusals: E090 -------------------------------------------------------------------------------------


def test_formatter_refuses_when_the_printer_drops_a_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    original = DeclarationPrinter.rule_clauses

    def without_unless(self: DeclarationPrinter, rule: n.Rule) -> list[object]:
        return [c for c in original(self, rule) if c.key != "unless"]

    monkeypatch.setattr(DeclarationPrinter, "rule_clauses", without_unless)
    text = "const a = 1\n\nrule r\n  when a\n  unless b\n  then block\n"
    with pytest.raises(DiagnosticError) as error:
        format_source(text, "r.rw")
    assert _codes(error) == ["E090"]
    diagnostic = error.value.diagnostics[0]
    assert diagnostic.span is not None and diagnostic.span.line == 3
    assert "change what this means" in diagnostic.message and diagnostic.hint


def test_formatter_refuses_when_a_comment_would_be_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    original = comment_weaving.weave

    def losing_one(module: n.Module, printed: list[object]) -> list[str]:
        return original(dataclasses.replace(module, comments=module.comments[1:]), printed)  # type: ignore[arg-type]

    import ruleward.dsl.formatter as formatter

    monkeypatch.setattr(formatter, "weave", losing_one)
    with pytest.raises(DiagnosticError) as error:
        format_source("# keep me\nconst a = 1  # and me\n")
    assert _codes(error) == ["E090"]
    assert "lose this comment" in error.value.diagnostics[0].message


def test_formatter_refuses_output_that_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "string", lambda value: '"' + value)
    with pytest.raises(DiagnosticError) as error:
        format_source('const a = "x"\n')
    assert _codes(error) == ["E090"]
    assert "would not parse" in error.value.diagnostics[0].message


def test_formatter_refuses_when_parentheses_go_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from ruleward.dsl.formatter import expressions

    monkeypatch.setattr(expressions, "needs_parens", lambda expr, place, followed: False)
    with pytest.raises(DiagnosticError) as error:
        format_source("condition c = (a or b) and c\n")
    assert _codes(error) == ["E090"]


def test_type_changes_count_as_changed_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    # `==` on the AST takes 1 for 1.0; the soundness check must not
    monkeypatch.setattr(tokens, "number", lambda value: str(int(value)))
    with pytest.raises(DiagnosticError) as error:
        format_source("const a = 2.0\n")
    assert _codes(error) == ["E090"]


def test_syntax_errors_propagate_as_diagnostics() -> None:
    with pytest.raises(DiagnosticError) as error:
        format_source("rule r when a = 1 then block\n")
    assert "E090" not in _codes(error)
    assert all(d.span is not None and d.span.line >= 1 for d in error.value.diagnostics)


@pytest.mark.parametrize(
    "module",
    [
        n.Module("m", (n.Rule("r"),)),
        n.Module("m", (n.Test("t"),)),
        n.Module("m", (n.NamedList("l", n.ListLiteral((n.Literal(-1),))),)),
        n.Module("m", (n.Condition("c", n.Attribute(n.Call("f", ()), "x")),)),
        n.Module("m", (n.Condition("c", n.Name("not a name")),)),
        n.Module("m", (n.Constant("c", n.Literal(math.nan)),)),
        n.Module("m", (n.Rule("r", actions=(n.Action("tag", (n.Argument("n", n.Literal(-2)),)),)),)),
        n.Module("m", (n.Header("h", fallback=()),)),
    ],
)
def test_trees_no_text_parses_to_are_refused(module: n.Module) -> None:
    with pytest.raises(UnprintableError):
        format_module(module)


# ---- the digest text ------------------------------------------------------------------------------------


def test_canonical_text_ignores_comments_and_layout() -> None:
    a = load_text("# comment\nrule r when a and b then block # c\nconst x = 1\n", "a.rw").ruleset
    b = load_text("rule r\n  when a\n    and b\n  then block\n\nconst x = 1", "b.rw").ruleset
    text = canonical_text(a)
    assert text == canonical_text(b) == "rule r\n  when a and b\n  then block\n\nconst x = 1\n"
    assert "#" not in canonical_text(load([DEFAULT_RULESET]).ruleset)


def test_canonical_text_concatenates_modules_in_order() -> None:
    first = parse_text("const a = 1", "1.rw")
    second = parse_text("# c\nconst b = 2", "2.rw")
    ruleset = n.Ruleset((first, second))
    assert canonical_text(ruleset) == "const a = 1\n\nconst b = 2\n"
    assert canonical_text(n.Ruleset((second, first))) == "const b = 2\n\nconst a = 1\n"
