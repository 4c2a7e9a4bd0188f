"""The ruleward AST: frozen dataclasses, each with a source span that equality ignores.

The parser builds these from lark's tree; nothing past the parser sees lark. Two nodes are equal when
they mean the same thing, wherever they sit in a file, which is what the formatter's soundness check and
the checker's duplicate-rule lint compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from typing import TypeAlias

from ruleward.dsl.source import NO_SPAN, Span

Scalar: TypeAlias = bool | int | float | str


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


# ---- expressions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Scalar


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A bare name: an event field, a constant, list, condition or rule, or a quantifier's variable."""

    name: str


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    value: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple[Expr, ...]


CompareOp: TypeAlias = TypingLiteral["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains"]
COMPARE_OPS: tuple[CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains")


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: CompareOp
    left: Expr
    right: Expr


PresenceTest: TypeAlias = TypingLiteral["missing", "present", "empty", "not empty"]
PRESENCE_TESTS: tuple[PresenceTest, ...] = ("missing", "present", "empty", "not empty")


@dataclass(frozen=True, slots=True)
class IsTest(Node):
    """`x is missing` (null or absent), `is present`, `is empty`, `is not empty` (lists)."""

    operand: Expr
    test: PresenceTest


@dataclass(frozen=True, slots=True)
class Quantifier(Node):
    kind: TypingLiteral["any", "all"]
    variable: str
    source: Expr
    body: Expr


Expr: TypeAlias = (
    Literal | ListLiteral | Name | Attribute | Call | Not | And | Or | Compare | IsTest | Quantifier
)


# ---- actions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Symbol(Node):
    """A bare word as an action argument: a constant's name, or a symbolic value such as `P1`."""

    name: str


@dataclass(frozen=True, slots=True)
class Argument(Node):
    name: str
    value: Literal | Symbol


@dataclass(frozen=True, slots=True)
class Action(Node):
    name: str
    args: tuple[Argument, ...] = ()


# ---- metadata values --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


# ---- JSON-like values (events in tests) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Null(Node):
    pass


@dataclass(frozen=True, slots=True)
class JsonArray(Node):
    items: tuple[JsonValue, ...]


@dataclass(frozen=True, slots=True)
class JsonPair(Node):
    key: str
    value: JsonValue


@dataclass(frozen=True, slots=True)
class JsonObject(Node):
    pairs: tuple[JsonPair, ...]


JsonValue: TypeAlias = JsonObject | JsonArray | Literal | Null


# ---- declarations -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header(Node):
    name: str
    version: Text | None = None
    owner: Text | None = None
    description: Text | None = None
    fallback: tuple[Action, ...] | None = None
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Constant(Node):
    name: str
    value: Literal
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class NamedList(Node):
    name: str
    items: ListLiteral
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Condition(Node):
    name: str
    expr: Expr
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Rule(Node):
    name: str
    tier: Ident | None = None
    owner: Text | None = None
    cite: Text | None = None
    description: Text | None = None
    mode: Ident | None = None
    when: Expr | None = None
    unless: Expr | None = None
    actions: tuple[Action, ...] = ()
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    @property
    def is_shadow(self) -> bool:
        return self.mode is not None and self.mode.name == "shadow"


@dataclass(frozen=True, slots=True)
class BaseEvent(Node):
    value: JsonObject


@dataclass(frozen=True, slots=True)
class ExpectDisposition(Node):
    value: Ident


@dataclass(frozen=True, slots=True)
class ExpectAccount(Node):
    value: Ident


@dataclass(frozen=True, slots=True)
class ExpectObligation(Node):
    """`expect obligation review(queue: "x")` (present) or `expect no obligation report` (absent).

    The arguments given must match; arguments left out match anything.
    """

    action: Action
    present: bool = True


@dataclass(frozen=True, slots=True)
class ExpectFired(Node):
    rules: tuple[Ident, ...]
    fired: bool = True


@dataclass(frozen=True, slots=True)
class ExpectError(Node):
    rules: tuple[Ident, ...]


Expectation: TypeAlias = ExpectDisposition | ExpectAccount | ExpectObligation | ExpectFired | ExpectError


@dataclass(frozen=True, slots=True)
class Test(Node):
    name: str
    description: Text | None = None
    given: JsonObject | None = None
    expectations: tuple[Expectation, ...] = ()
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Invariant(Node):
    """For every event where `when` holds, the decision satisfies `always` (which may use `decision`)."""

    name: str
    description: Text | None = None
    when: Expr | None = None
    always: Expr | None = None
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


Declaration: TypeAlias = Header | Constant | NamedList | Condition | Rule | BaseEvent | Test | Invariant


@dataclass(frozen=True, slots=True)
class Comment(Node):
    """A `# ...` comment; kept beside the AST (not in it) so the formatter can put it back."""

    text: str


@dataclass(frozen=True, slots=True)
class Module(Node):
    """One parsed file. Comments do not change meaning, so equality ignores them."""

    path: str
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ruleset(Node):
    """One or more files that together form a ruleset; exactly one of them holds the header."""

    modules: tuple[Module, ...]

    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(d for m in self.modules for d in m.declarations)

    @property
    def header(self) -> Header | None:
        return next((d for d in self.declarations() if isinstance(d, Header)), None)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, Rule))

    @property
    def constants(self) -> tuple[Constant, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, Constant))

    @property
    def lists(self) -> tuple[NamedList, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, NamedList))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, Condition))

    @property
    def tests(self) -> tuple[Test, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, Test))

    @property
    def invariants(self) -> tuple[Invariant, ...]:
        return tuple(d for d in self.declarations() if isinstance(d, Invariant))

    @property
    def base_event(self) -> BaseEvent | None:
        return next((d for d in self.declarations() if isinstance(d, BaseEvent)), None)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: Node) -> tuple[Node, ...]:
    """The direct child nodes of `node`, in source order (used by generic walks)."""
    names = _CHILD_FIELDS.get(node.__class__)
    if names is None:  # the fields that may hold nodes, worked out once per class
        names = tuple(name for name in node.__dataclass_fields__ if name not in ("span", "name_span"))
        _CHILD_FIELDS[node.__class__] = names
    out: list[Node] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Node))
    return tuple(out)


def walk(node: Node) -> list[Node]:
    """Every node under `node` (itself included), iteratively, so deep trees cannot overflow the stack."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out
