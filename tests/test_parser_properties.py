"""Properties of the parser and the formatter together, and their limits.

- any tree the strategies build prints as text that parses back to that tree, and printing is idempotent;
- comments dropped anywhere between tokens survive formatting, and formatting them is idempotent;
- the parser, fed valid sources and damaged ones, raises nothing but `DiagnosticError`, each diagnostic
  with a real line; whatever it accepts, the formatter formats without refusing;
- very deep, very long and very large inputs end in diagnostics or success, never in a RecursionError;
  a field path has at most `MAX_PATH_NAMES` names (`E016`).
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruleward.dsl import nodes as n
from ruleward.dsl import strategies
from ruleward.dsl.builder import MAX_PATH_NAMES
from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import DiagnosticError
from ruleward.dsl.formatter import format_module, format_source
from ruleward.dsl.formatter.soundness import MAX_PRINT_DEPTH, first_difference
from ruleward.dsl.loader import load, load_text
from ruleward.dsl.parser import decode, parse, parse_text
from ruleward.engine.events import ModerationEvent

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# the slower properties (several parses an example) run fewer examples
FEW = settings(SETTINGS, max_examples=50)


def _diagnostics_are_located(error: DiagnosticError) -> None:
    assert error.diagnostics
    for diagnostic in error.diagnostics:
        assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic


def test_the_generators_know_every_keyword_of_the_grammar() -> None:
    grammar = (ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    assert set(re.findall(r'"([a-z]+)"', code)) == strategies.KEYWORDS


# ---- round trip -----------------------------------------------------------------------------------------


@SETTINGS
@given(strategies.modules())
def test_printed_trees_parse_back_to_themselves(module: n.Module) -> None:
    text = format_module(module)
    reparsed = parse_text(text)
    assert reparsed == module
    assert first_difference(module, reparsed) is None, text
    assert format_module(reparsed) == text


@FEW
@given(strategies.expressions)
def test_printed_expressions_parse_back_to_themselves(expr: n.Expr) -> None:
    module = n.Module("<string>", (n.Condition("c", expr), n.Rule("r", when=expr, actions=(n.Action("a"),))))
    text = format_module(module)
    assert first_difference(module, parse_text(text)) is None, text


_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')


def _gaps(text: str) -> list[int]:
    """Offsets of the spaces and line ends outside strings: places a comment may go."""
    inside = set[int]()
    for match in _STRING.finditer(text):
        inside.update(range(match.start(), match.end()))
    return [i for i, char in enumerate(text) if char in " \n" and i not in inside]


@FEW
@given(strategies.sources(), st.data())
def test_comments_anywhere_survive_formatting(text: str, data: st.DataObject) -> None:
    gaps = _gaps(text)
    if not gaps:
        return
    chosen = sorted(set(data.draw(st.lists(st.sampled_from(gaps), max_size=8))), reverse=True)
    commented = text
    for number, offset in enumerate(chosen):
        # the comment ends at a line break, so what followed the gap moves to the next line
        commented = f"{commented[:offset]}  # note {number}\n{commented[offset + 1 :]}"
    formatted = format_source(commented)
    assert format_source(formatted) == formatted
    assert parse_text(formatted) == parse_text(text)
    assert sorted(c.text for c in parse_text(formatted).comments) == sorted(
        f"# note {number}" for number in range(len(chosen))
    )


# ---- the parser fed damaged sources ---------------------------------------------------------------------


# hand-written sources too: they hold comments, and names the generator never picks
CORPUS = [
    path.read_bytes().decode("utf-8")
    for path in sorted(
        [*(ROOT / "tests" / "golden" / "format").glob("*.rw"), *(ROOT / "rulesets").rglob("*.rw")]
    )
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.one_of(strategies.sources(), st.sampled_from(CORPUS))).encode("utf-8"))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        size = len(data)
        where = draw(st.integers(min_value=0, max_value=size))
        kind = draw(st.sampled_from(["delete", "insert", "swap", "truncate", "unicode", "word"]))
        if kind == "delete" and size:
            del data[min(where, size - 1)]
        elif kind == "insert":
            data[where:where] = bytes([draw(st.integers(min_value=0, max_value=255))])
        elif kind == "swap" and size >= 2:
            other = draw(st.integers(min_value=0, max_value=size - 1))
            here = min(where, size - 1)
            data[here], data[other] = data[other], data[here]
        elif kind == "truncate":
            del data[where:]
        elif kind == "unicode":
            char = draw(st.one_of(st.characters(codec="utf-8"), st.sampled_from('"#(){}[],.:-\\\n')))
            data[where:where] = char.encode("utf-8")
        elif kind == "word":
            # a keyword where a name stood, or the other way round
            word = draw(st.one_of(st.sampled_from(sorted(strategies.KEYWORDS)), strategies.names))
            data[where:where] = f" {word} ".encode()
    return bytes(data)


@SETTINGS
@given(damaged())
def test_damaged_sources_raise_only_located_diagnostics(data: bytes) -> None:
    try:
        module = parse(decode("<fuzz>", data))
    except DiagnosticError as error:
        _diagnostics_are_located(error)
        return
    # whatever the parser accepts, the formatter must format without refusing (E090 would be a bug)
    formatted = format_source(data.decode("utf-8"), "<fuzz>")
    assert parse_text(formatted, "<fuzz>") == module
    assert format_source(formatted, "<fuzz>") == formatted


@SETTINGS
@given(st.text(alphabet=st.characters(), max_size=60))
def test_arbitrary_text_raises_only_located_diagnostics(text: str) -> None:
    try:
        parse_text(text)
    except DiagnosticError as error:
        _diagnostics_are_located(error)


@pytest.mark.parametrize("number", ["1" * 5000, "1" * 19, "9" * 400 + ".0", "1000000000000000001"])
def test_a_number_out_of_range_is_a_diagnostic(number: str) -> None:
    with pytest.raises(DiagnosticError) as error:
        parse_text("const x = " + number)
    _diagnostics_are_located(error.value)
    assert [d.code for d in error.value.diagnostics] == ["E015"]


def test_json_values_may_be_negative_numbers() -> None:
    module = parse_text("base event {a: -1, b: - 2.5, c: [-0, {d: -7}]}\ntest t given {e: -3} expect fired r")
    base, test = module.declarations
    assert isinstance(base, n.BaseEvent) and isinstance(test, n.Test)
    a, b, c = (pair.value for pair in base.value.pairs)
    assert isinstance(a, n.Literal) and a == n.Literal(-1) and type(a.value) is int
    assert b == n.Literal(-2.5) and b.span.end - b.span.start == len("- 2.5")
    assert c == n.JsonArray((n.Literal(0), n.JsonObject((n.JsonPair("d", n.Literal(-7)),))))
    assert test.given == n.JsonObject((n.JsonPair("e", n.Literal(-3)),))


@pytest.mark.parametrize(
    "text", ["base event {a: --1}", "base event {a: -x}", "base event {a: -}", "base event {-a: 1}"]
)
def test_a_minus_in_json_takes_a_number_only(text: str) -> None:
    with pytest.raises(DiagnosticError) as error:
        parse_text(text)
    _diagnostics_are_located(error.value)


def test_a_lone_surrogate_escape_is_a_diagnostic() -> None:
    with pytest.raises(DiagnosticError) as error:
        parse_text('rule r owner "a\\ud800" when x then block')
    assert [d.code for d in error.value.diagnostics] == ["E010"]


# ---- deep, long and huge inputs -------------------------------------------------------------------------


def _outcome(text: str) -> str:
    try:
        format_source(text)
    except DiagnosticError as error:
        _diagnostics_are_located(error)
        return ",".join(sorted({d.code for d in error.diagnostics}))
    return "ok"


def test_a_thousand_parentheses_are_just_grouping() -> None:
    assert format_source("condition c = " + "(" * 1000 + "x" + ")" * 1000) == "condition c = x\n"


@pytest.mark.parametrize(
    "text",
    [
        "condition c = " + "not " * 5000 + "x",
        "condition c = " + "(not " * 1000 + "x" + ")" * 1000,
        "condition c = " + "f(" * 1000 + "x" + ")" * 1000,
        "condition c = " + "any v in xs where " * 1000 + "v",
        "base event " + "{a: " * 1000 + "1" + "}" * 1000,
        "base event {a: " + "[" * 1000 + "1" + "]" * 1000 + "}",
    ],
    ids=[
        "not-5000",
        "parenthesized-not-1000",
        "calls-1000",
        "quantifiers-1000",
        "objects-1000",
        "arrays-1000",
    ],
)
def test_nesting_past_the_limit_is_a_diagnostic(text: str) -> None:
    assert _outcome(text) == "E007"


def test_a_3000_operand_chain_formats_one_operand_a_line() -> None:
    text = "condition c = " + " and ".join(f"signal_{i}" for i in range(3000))
    formatted = format_source(text)
    assert formatted.splitlines() == [
        "condition c = signal_0",
        *(f"  and signal_{i}" for i in range(1, 3000)),
    ]


def test_a_5000_step_path_built_by_hand_prints_in_a_loop() -> None:
    names = [f"p{i}" for i in range(5000)]
    expr: n.Expr = n.Name(names[0])
    for name in names[1:]:
        expr = n.Attribute(expr, name)
    module = n.Module("m", (n.Condition("c", expr),))
    assert format_module(module) == f"condition c = {'.'.join(names)}\n"


def test_the_longest_path_parses_and_formats() -> None:
    path = ".".join(f"p{i}" for i in range(MAX_PATH_NAMES))
    assert format_source(f"condition c = {path}") == f"condition c = {path}\n"


@pytest.mark.parametrize("names", [MAX_PATH_NAMES + 1, 600, 5000])
def test_a_path_past_the_limit_is_a_diagnostic(names: int) -> None:
    path = ".".join(f"p{i}" for i in range(names))
    assert _outcome(f"condition c = {path}") == "E016"
    with pytest.raises(DiagnosticError) as error:
        parse_text(f"rule r\n  when {path} == 1\n  then hold")
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.span is not None
    # the caret is under the first name past the limit
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 8 + len(".".join(path.split(".")[:64])) + 1)
    assert f"has {names:,} names, over the limit of {MAX_PATH_NAMES}" in diagnostic.message


def test_a_long_path_reaches_the_checker_only_as_a_diagnostic() -> None:
    # before the limit, a path of about 500 names made the checker's lints fail (E100)
    path = "actor" + ".referrer" * 600
    loaded = load_text(f'ruleset r version "1" owner "o"\nrule r when {path} == 1 then hold')
    checked = check(loaded, ModerationEvent)
    assert [d.code for d in checked.diagnostics] == ["E016"]


def test_a_ten_megabyte_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = "const a = 1\n" * (10 * 1024 * 1024 // 12 + 1)
    assert _outcome(text) == "E002"
    file = tmp_path / "huge.rw"
    file.write_text(text, encoding="utf-8")
    assert [d.code for d in load([file]).diagnostics] == ["E002"]


@contextmanager
def _stack_budget(frames: int) -> Iterator[None]:
    """Allow only `frames` more Python frames than are in use now."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# one of each way the printers recurse: chains, parenthesized quantifiers, comparison operands, JSON, and
# layouts broken at every level
_NESTINGS: dict[str, Callable[[int], str]] = {
    "or-and": lambda k: "condition c = " + "(a or (b and " * k + "x" + "))" * k,
    "quantifier-followed": lambda k: "condition c = " + "(any v in xs where " * k + "v" + ") and b" * k,
    "comparison": lambda k: "condition c = " + "(a == " * k + "x" + ")" * k,
    "array": lambda k: "base event {a: " + "[" * k + "1" + "]" * k + "}",
    "long-lines": lambda k: (
        "rule r when " + f"not ({'a' * 40} or {'b' * 50} or " * k + "x" + ")" * k + " then z"
    ),
}


def _deepest_accepted(make: Callable[[int], str]) -> int:
    low, high = 30, 250
    while low < high:
        middle = (low + high + 1) // 2
        try:
            parse_text(make(middle))
        except DiagnosticError:
            high = middle - 1
        else:
            low = middle
    return low


@pytest.mark.parametrize("kind", sorted(_NESTINGS))
def test_the_deepest_tree_the_parser_accepts_formats_within_a_small_stack(kind: str) -> None:
    make = _NESTINGS[kind]
    depth = _deepest_accepted(make)
    assert 30 < depth < 250
    text = make(depth)
    module = parse_text(text)
    # the formatter needs about two frames a level, and the parser allows about 190 levels
    with _stack_budget(500):
        formatted = format_source(text)
    assert first_difference(module, parse_text(formatted)) is None


def test_hand_built_trees_deeper_than_the_parser_allows_are_refused_without_recursing() -> None:
    for depth in (MAX_PRINT_DEPTH + 1, 50_000):
        expr: n.Expr = n.Name("x")
        for _ in range(depth):
            expr = n.Not(expr)
        with pytest.raises(DiagnosticError) as error:
            format_module(n.Module("m", (n.Condition("c", expr),)))
        assert [d.code for d in error.value.diagnostics] == ["E007"]
