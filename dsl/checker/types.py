"""Types: every path exists in the event schema, and every operator gets operands it can use.

Each expression is typed bottom-up against the event type built from the schema (and the `decision` type
inside an invariant's `always`). A node that is already wrong types as `ANY`, which checks against
everything, so one mistake gives one diagnostic rather than a cascade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ruleward.dsl import nodes as n
from ruleward.dsl import types as t
from ruleward.dsl.checker.context import (
    Context,
    Site,
    listing,
    name_span,
    segment_span,
    suggestion,
)
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.symbols import DECISION_ROOT, FUNCTIONS

UNKNOWN_FIELD = DiagnosticCode(
    "E107", "unknown-field", "a path through a field the event schema does not have"
)
NOT_AN_OBJECT = DiagnosticCode("E108", "not-an-object", "reading a field of something that has no fields")
TYPE_MISMATCH = DiagnosticCode("E109", "type-mismatch", "comparing values of types that can never be equal")
UNKNOWN_VALUE = DiagnosticCode("E110", "unknown-enum-value", "a string that is not one of a field's values")
BAD_ORDERING = DiagnosticCode("E111", "bad-ordering", "`<`, `<=`, `>`, `>=` on values that have no order")
BAD_MEMBERSHIP = DiagnosticCode("E112", "bad-membership", "`in`, `not in` or `contains` on the wrong kinds")
NOT_A_LIST = DiagnosticCode("E113", "not-a-list", "a quantifier or `is empty` over something not a list")
NOT_BOOLEAN = DiagnosticCode("E114", "not-boolean", "a value where a condition (true or false) is needed")
UNKNOWN_FUNCTION = DiagnosticCode("E115", "unknown-function", "a call to a function that does not exist")
BAD_ARGUMENTS = DiagnosticCode("E116", "bad-arguments", "a function called with the wrong arguments")
DECISION_OUTSIDE_ALWAYS = DiagnosticCode(
    "E117", "decision-outside-always", "`decision` used outside an invariant's `always`"
)
MIXED_LIST = DiagnosticCode("E118", "mixed-list", "a list whose items are not all of one type")
POINTLESS_TEST = DiagnosticCode(
    "W104", "pointless-presence-test", "`is missing` / `is present` on a value that is always there"
)
OUT_OF_RANGE = DiagnosticCode(
    "W105", "out-of-range", "a comparison that can never be true given the field's bounds"
)

Scalar = bool | int | float | str


class Typed(NamedTuple):
    """What the checker knows of an expression. A named tuple: one is made for every node typed."""

    type: t.Type
    # literal values known before any event: a literal, a constant, the items of a list
    values: tuple[Scalar, ...] | None = None
    # a path whose every step is a required, non-signal field: it is never missing
    always_present: bool = False
    # a literal or constant: `is missing` on it makes no sense
    constant: bool = False


ANY = Typed(t.ANY)
BOOL = Typed(t.BOOL)


def run(ctx: Context) -> None:
    typer = _Typer(ctx)
    for site in ctx.sites:
        typer.root(site)
    for declaration in ctx.declared_as(n.NamedList):
        _check_items(ctx, declaration.items, f"list `{declaration.name}`")


def _check_items(ctx: Context, items: n.ListLiteral, what: str) -> t.Type:
    types = [t.literal_type(i.value) for i in items.items]
    joined = t.join(types)
    if isinstance(joined, t.UnionType):
        first = types[0]
        odd, odd_type = next(
            (i, ty) for i, ty in zip(items.items, types, strict=True) if not t.comparable(ty, first)
        )
        ctx.emit(
            MIXED_LIST.at(
                odd.span,
                f"{what} mixes {t.describe(first)} and {t.describe(odd_type)}",
                "a list holds values of one type: quote the numbers, or split the list",
            )
        )
        return t.ANY
    return joined


class _Typer:
    """Types the sites of one ruleset, one after the other."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.site: Site | None = None
        self.variables: dict[str, t.Type] = {}
        self.event = ctx.event
        # the same for every site: worked out at most once
        self.list_types: dict[str, Typed] = {}
        self.fields: dict[str, Typed] = {}  # never `decision`, which `declared` holds too
        self.declared = ctx.declared | {DECISION_ROOT}
        self.literals: dict[tuple[type, n.Scalar], Typed] = {}
        self.results: dict[str, Typed] = {}
        self.scores: list[t.Field | None] = []
        self.dispatch: dict[type, Callable[[Any], Typed]] = {
            n.Literal: self.literal,
            n.ListLiteral: self.list_literal,
            n.Name: self.path,
            n.Attribute: self.path,
            n.Call: self.call,
            n.Not: self.not_,
            n.And: self.and_or,
            n.Or: self.and_or,
            n.Compare: self.compare,
            n.IsTest: self.is_test,
            n.Quantifier: self.quantifier,
        }

    @property
    def current(self) -> Site:
        assert self.site is not None
        return self.site

    def root(self, site: Site) -> None:
        self.site = site
        self.variables.clear()
        self.expect_bool(site.expr, f"`{site.clause}`" if site.clause != "condition" else "a condition")

    def expect_bool(self, expr: n.Expr, where: str) -> None:
        typed = self.dispatch[type(expr)](expr)
        if typed is BOOL or t.is_bool(typed.type):
            return
        self.ctx.emit(
            NOT_BOOLEAN.at(
                expr.span,
                f"{where} needs true or false, but `{self.ctx.text(expr.span)}` is {t.describe(typed.type)}",
                _bool_hint(self.ctx.text(expr.span), typed.type),
            )
        )

    # ---- dispatch ---------------------------------------------------------------------------------------

    def type(self, expr: n.Expr) -> Typed:
        return self.dispatch[type(expr)](expr)

    def literal(self, expr: n.Literal) -> Typed:
        value = expr.value
        key = (type(value), value)
        typed = self.literals.get(key)
        if typed is None:
            typed = Typed(t.literal_type(value), (value,), constant=True)
            if value or not isinstance(value, float):  # 0.0 == -0.0, but messages show which
                self.literals[key] = typed
        return typed

    def list_literal(self, expr: n.ListLiteral) -> Typed:
        element = _check_items(self.ctx, expr, "the list")
        return Typed(t.ListType(element), tuple(i.value for i in expr.items), constant=True)

    def not_(self, expr: n.Not) -> Typed:
        self.expect_bool(expr.operand, "`not`")
        return BOOL

    def and_or(self, expr: n.And | n.Or) -> Typed:
        word = "`and`" if isinstance(expr, n.And) else "`or`"
        for operand in expr.operands:
            self.expect_bool(operand, word)
        return BOOL

    # ---- names and paths --------------------------------------------------------------------------------

    def name(self, node: n.Name) -> Typed:
        name = node.name
        typed = self.fields.get(name)
        # an event field seen before, not hidden by a variable, a declaration or `decision`
        if typed is not None and name not in self.variables and name not in self.declared:
            return typed
        kind = self.ctx.symbols.resolve(name, self.variables, in_always=self.current.in_always)
        symbols = self.ctx.symbols
        if kind == "field":
            found = self.event.get(name)
            if found is not None:
                typed = Typed(found.type, always_present=not (found.optional or found.signal))
                if name != DECISION_ROOT:
                    self.fields[name] = typed
                return typed
            if name == DECISION_ROOT:
                owner = self.current.owner_kind
                where = "an invariant's `when`" if owner == "invariant" else f"a {owner}"
                self.ctx.emit(
                    DECISION_OUTSIDE_ALWAYS.at(
                        node.span,
                        f"`{DECISION_ROOT}` is not known in {where}",
                        "the decision exists only after every rule ran: read it in an invariant's `always`",
                    )
                )
            return ANY  # an undefined name: the names pass reports it
        if kind == "variable":
            element = self.variables[name]
            return Typed(element, always_present=not t.is_any(element))
        if kind == "constant":
            value = symbols.constants[name].value.value
            return Typed(t.literal_type(value), (value,), constant=True)
        if kind == "list":
            typed = self.list_types.get(name)
            if typed is None:
                items = symbols.lists[name].items.items
                element = t.join([t.literal_type(i.value) for i in items])
                typed = Typed(t.ListType(element), tuple(i.value for i in items), constant=True)
                self.list_types[name] = typed
            return typed
        if kind in ("condition", "rule"):
            return BOOL
        return Typed(self.ctx.decision, always_present=True)  # `decision` in an invariant's `always`

    def path(self, expr: n.Name | n.Attribute) -> Typed:
        if isinstance(expr, n.Name):
            return self.name(expr)
        steps: list[n.Attribute] = []
        root: n.Expr = expr
        while isinstance(root, n.Attribute):
            steps.append(root)
            root = root.value
        current = self.name(root) if isinstance(root, n.Name) else self.type(root)
        ty, values, present, constant = current
        for step in reversed(steps):
            if isinstance(ty, t.ObjectType):  # the common case: a field of an object
                found = ty.fields.get(step.name)
                if found is None:
                    self.unknown_field(step, ty)
                    return ANY
                present = present and not (found.optional or found.signal)
                ty, values, constant = found.type, None, False
                continue
            if isinstance(ty, t.AnyType):
                return ANY
            objects = [o for o in t.options(ty) if isinstance(o, t.ObjectType)]
            maps = [o for o in t.options(ty) if isinstance(o, t.MapType)]
            if objects:
                found = next((f for o in objects if (f := o.get(step.name)) is not None), None)
                if found is None:
                    self.unknown_field(step, objects[0])
                    return ANY
                present = present and not (found.optional or found.signal)
                ty, values, constant = found.type, None, False
            elif maps:
                present = False
                ty, values, constant = maps[0].value, None, False
            else:
                self.not_an_object(step, ty, constant)
                return ANY
        return Typed(ty, values, present, constant)

    def unknown_field(self, step: n.Attribute, obj: t.ObjectType) -> None:
        prefix = self.ctx.text(step.value.span)
        self.ctx.emit(
            UNKNOWN_FIELD.at(
                segment_span(step),
                f"`{obj.name}` has no field `{step.name}`",
                suggestion(step.name, obj.fields, f"the fields of `{prefix}` are {listing(obj.fields, 12)}"),
            )
        )

    def not_an_object(self, step: n.Attribute, base: t.Type, constant: bool) -> None:
        prefix = self.ctx.text(step.value.span)
        if t.is_list(base):
            hint = f"read one item at a time: `any x in {prefix} where x.{step.name} ...`"
        elif constant:
            hint = "constants and lists have no fields"
        else:
            hint = f"`{prefix}` is a whole value: compare it directly"
        self.ctx.emit(
            NOT_AN_OBJECT.at(
                segment_span(step),
                f"`{prefix}` is {t.describe(base)}, it has no field `{step.name}`",
                hint,
            )
        )

    # ---- calls ------------------------------------------------------------------------------------------

    def call(self, call: n.Call) -> Typed:
        args = [self.type(a) for a in call.args]
        name = call.function
        if name not in FUNCTIONS:
            declared = self.ctx.symbols.resolve(name)
            hint = (
                f"`{name}` is a {declared}: refer to it without parentheses"
                if declared in ("condition", "rule")
                else suggestion(name, FUNCTIONS, f"the functions are {listing(FUNCTIONS)}")
            )
            self.ctx.emit(UNKNOWN_FUNCTION.at(name_span(call, name), f"there is no function `{name}`", hint))
            return ANY
        arity = FUNCTIONS[name][0]
        if len(call.args) != arity:
            self.ctx.emit(
                BAD_ARGUMENTS.at(
                    call.span,
                    f"`{name}` takes {arity} argument{'s' if arity != 1 else ''}, got {len(call.args)}",
                    _call_example(name),
                )
            )
            return self.result(name)
        if name == "max_score":
            self.max_score(call)
        elif name == "count" and not t.is_list(args[0].type):
            self.ctx.emit(
                BAD_ARGUMENTS.at(
                    call.args[0].span,
                    f"`count` needs a list, but `{self.ctx.text(call.args[0].span)}` is "
                    f"{t.describe(args[0].type)}",
                    _call_example(name),
                )
            )
        return self.result(name)

    def max_score(self, call: n.Call) -> None:
        arg = call.args[0]
        if not (isinstance(arg, n.Literal) and isinstance(arg.value, str)):
            self.ctx.emit(
                BAD_ARGUMENTS.at(
                    arg.span,
                    f"`max_score` takes a classifier label in quotes, not `{self.ctx.text(arg.span)}`",
                    _call_example("max_score"),
                )
            )
        if self.score_field() is None:
            self.ctx.emit(
                BAD_ARGUMENTS.at(
                    call.span,
                    "`max_score` reads `classifiers[].label` and `.score`, which this event schema lacks",
                    "compare the fields of your schema instead",
                )
            )

    def score_field(self) -> t.Field | None:
        if not self.scores:
            self.scores.append(self._score_field())
        return self.scores[0]

    def _score_field(self) -> t.Field | None:
        classifiers = self.event.get("classifiers")
        if classifiers is None:
            return None
        item = t.element(classifiers.type)
        if not isinstance(item, t.ObjectType) or item.get("label") is None:
            return None
        return item.get("score")

    def result(self, name: str) -> Typed:
        typed = self.results.get(name)
        if typed is None:
            typed = self.results[name] = self._result(name)
        return typed

    def _result(self, name: str) -> Typed:
        if name == "count":
            return Typed(t.NumberType(integer=True, minimum=0), always_present=True)
        score = self.score_field()
        if score is not None and isinstance(score.type, t.NumberType):
            return Typed(score.type)
        return Typed(t.NUMBER)

    # ---- comparisons ------------------------------------------------------------------------------------

    def compare(self, node: n.Compare) -> Typed:
        left, right = self.type(node.left), self.type(node.right)
        if isinstance(left.type, t.AnyType) or isinstance(right.type, t.AnyType):
            return BOOL
        op = node.op
        if op == "==" or op == "!=":
            self.equality(node, left, right)
        elif op == "in" or op == "not in":
            self.membership(node, node.left, left, node.right, right)
        elif op == "contains":
            self.contains(node, left, right)
        else:
            self.ordering(node, left, right)
        return BOOL

    def equality(self, node: n.Compare, left: Typed, right: Typed) -> None:
        for side, typed in ((node.left, left), (node.right, right)):
            if isinstance(typed.type, t.ListType | t.ObjectType | t.MapType):
                self.ctx.emit(
                    TYPE_MISMATCH.at(
                        side.span,
                        f"`{node.op}` compares single values, but `{self.ctx.text(side.span)}` is "
                        f"{t.describe(typed.type)}",
                        "test a list with `contains`, `in`, `is empty` or a quantifier (`any x in ...`)",
                    )
                )
                return
        if not t.comparable(left.type, right.type):
            self.mismatch(node, left, right)
            return
        if self.enum_values(node.left, left, node.right, right):
            self.enum_values(node.right, right, node.left, left)
        self.range(node, left, right)

    def mismatch(self, node: n.Compare, left: Typed, right: Typed) -> None:
        # point at the side the author most likely got wrong: the literal, else the right-hand side
        side, typed, other, other_typed = (
            (node.left, left, node.right, right)
            if left.constant and not right.constant
            else (node.right, right, node.left, left)
        )
        hint = "compare values of the same type"
        if isinstance(typed.type, t.StringType) and t.is_number(other_typed.type) and typed.values:
            hint = f"write the number without quotes: `{typed.values[0]}`"
        elif isinstance(typed.type, t.NumberType) and t.is_string(other_typed.type):
            hint = f'write the value as a string: `"{self.ctx.text(side.span)}"`'
        self.ctx.emit(
            TYPE_MISMATCH.at(
                side.span,
                f"`{self.ctx.text(other.span)}` is {t.describe(other_typed.type)}, but "
                f"`{self.ctx.text(side.span)}` is {t.describe(typed.type)}",
                hint,
            )
        )

    def enum_values(self, enum_side: n.Expr, enum: Typed, value_side: n.Expr, value: Typed) -> bool:
        """Report string values that are not among an enum's values; True when all are fine."""
        allowed = _enum(enum.type)
        if allowed is None or value.values is None:
            return True
        for item in value.values:
            if isinstance(item, str) and item not in allowed:
                self.unknown_value(enum_side, allowed, value_side, item)
                return False
        return True

    def unknown_value(
        self, enum_side: n.Expr, allowed: tuple[str, ...], value_side: n.Expr, item: str
    ) -> None:
        span = value_side.span
        where = ""
        if isinstance(value_side, n.ListLiteral):
            span = next((i.span for i in value_side.items if i.value == item), span)
        elif isinstance(value_side, n.Name):
            where = f" (the value of `{value_side.name}`)"
        self.ctx.emit(
            UNKNOWN_VALUE.at(
                span,
                f'`{self.ctx.text(enum_side.span)}` is never "{item}"{where}',
                suggestion(item, allowed, f"its values are {listing(allowed, 10)}"),
            )
        )

    def range(self, node: n.Compare, left: Typed, right: Typed) -> None:
        if isinstance(left.type, t.NumberType) and right.values and not left.constant:
            self.never_true(node, node.op, left.type, right.values[0], node.left, node.right)
        elif isinstance(right.type, t.NumberType) and left.values and not right.constant:
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(node.op, node.op)
            self.never_true(node, flipped, right.type, left.values[0], node.right, node.left)

    def never_true(
        self, node: n.Compare, op: str, bounded: t.NumberType, value: Scalar, path: n.Expr, side: n.Expr
    ) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        low, high = bounded.minimum, bounded.maximum
        never = (
            (op == ">" and high is not None and value >= high)
            or (op == ">=" and high is not None and value > high)
            or (op == "<" and low is not None and value <= low)
            or (op == "<=" and low is not None and value < low)
            or (op == "==" and ((high is not None and value > high) or (low is not None and value < low)))
        )
        if not never:
            return
        bounds = _bounds_text(low, high)
        hint = f"`{self.ctx.text(path.span)}` is {bounds}"
        if high is not None and high <= 1 and 1 < value <= 100:
            hint += f": did you mean `{value / 100:g}`?"
        self.ctx.emit(OUT_OF_RANGE.at(side.span, f"`{self.ctx.text(node.span)}` can never be true", hint))

    def ordering(self, node: n.Compare, left: Typed, right: Typed) -> None:
        if (isinstance(left.type, t.NumberType) and isinstance(right.type, t.NumberType)) or (
            t.is_number(left.type) and t.is_number(right.type)
        ):
            self.range(node, left, right)
            return
        if isinstance(left.type, t.TimestampType) and isinstance(right.type, t.TimestampType):
            return
        ordered = next(
            (ty for ty in (left.type, right.type) if isinstance(ty, t.StringType) and ty.ordered), None
        )
        if ordered is not None and t.is_string(left.type) and t.is_string(right.type):
            if self.enum_values(node.left, left, node.right, right):
                self.enum_values(node.right, right, node.left, left)
            return
        sides = ((node.left, left, right, node.op), (node.right, right, left, _FLIP[node.op]))
        for side, typed, other, op in sides:
            if not (t.is_number(typed.type) or isinstance(typed.type, t.TimestampType)):
                self.ctx.emit(
                    BAD_ORDERING.at(
                        side.span,
                        f"`{node.op}` needs numbers, but `{self.ctx.text(side.span)}` is "
                        f"{t.describe(typed.type)}",
                        _ordering_hint(self.ctx.text(side.span), typed, other, op),
                    )
                )
                return
        self.mismatch(node, left, right)

    def membership(self, node: n.Compare, item: n.Expr, item_t: Typed, group: n.Expr, group_t: Typed) -> None:
        if not t.is_list(group_t.type):
            hint = (
                f"to compare two values write `{self.ctx.text(item.span)} == {self.ctx.text(group.span)}`"
                if not isinstance(group_t.type, t.MapType)
                else "`in` looks through a list"
            )
            self.ctx.emit(
                BAD_MEMBERSHIP.at(
                    group.span,
                    f"`{node.op}` needs a list on its right, but `{self.ctx.text(group.span)}` is "
                    f"{t.describe(group_t.type)}",
                    hint,
                )
            )
            return
        if isinstance(item_t.type, t.ListType):
            self.ctx.emit(
                BAD_MEMBERSHIP.at(
                    item.span,
                    f"`{node.op}` tests one value, but `{self.ctx.text(item.span)}` is "
                    f"{t.describe(item_t.type)}",
                    f"to test whether two lists share an item: `any x in {self.ctx.text(item.span)} where x "
                    f"in {self.ctx.text(group.span)}`",
                )
            )
            return
        self.items(node, item, item_t, group, group_t)

    def contains(self, node: n.Compare, left: Typed, right: Typed) -> None:
        if not t.is_list(left.type):
            self.ctx.emit(
                BAD_MEMBERSHIP.at(
                    node.left.span,
                    f"`contains` needs a list on its left, but `{self.ctx.text(node.left.span)}` is "
                    f"{t.describe(left.type)}",
                    f"to compare two values write `{self.ctx.text(node.left.span)} == "
                    f"{self.ctx.text(node.right.span)}`",
                )
            )
            return
        if isinstance(right.type, t.ListType):
            self.ctx.emit(
                BAD_MEMBERSHIP.at(
                    node.right.span,
                    f"`contains` looks for one value, but `{self.ctx.text(node.right.span)}` is "
                    f"{t.describe(right.type)}",
                    f"test each: `any x in {self.ctx.text(node.right.span)} where "
                    f"{self.ctx.text(node.left.span)} contains x`",
                )
            )
            return
        self.items(node, node.right, right, node.left, left)

    def items(self, node: n.Compare, item: n.Expr, item_t: Typed, group: n.Expr, group_t: Typed) -> None:
        """One value against the items of a list: same type, and enum values that exist."""
        element = t.element(group_t.type)
        if t.is_any(element) or t.is_any(item_t.type):
            return
        if not t.comparable(item_t.type, element):
            self.ctx.emit(
                BAD_MEMBERSHIP.at(
                    item.span,
                    f"`{self.ctx.text(group.span)}` holds {t.plural(element)}, but "
                    f"`{self.ctx.text(item.span)}` is {t.describe(item_t.type)}",
                    "compare values of the same type",
                )
            )
            return
        if self.enum_values(item, item_t, group, group_t):
            self.enum_values(group, Typed(element), item, item_t)

    # ---- presence tests and quantifiers -----------------------------------------------------------------

    def is_test(self, node: n.IsTest) -> Typed:
        typed = self.type(node.operand)
        if node.test in ("empty", "not empty"):
            if not (t.is_list(typed.type) or any(isinstance(o, t.MapType) for o in t.options(typed.type))):
                text = self.ctx.text(node.operand.span)
                self.ctx.emit(
                    NOT_A_LIST.at(
                        node.operand.span,
                        f"`is {node.test}` needs a list, but `{text}` is {t.describe(typed.type)}",
                        "`is missing` / `is present` test whether a value is there",
                    )
                )
            return BOOL
        if typed.constant or typed.always_present:
            text = self.ctx.text(node.operand.span)
            always = "false" if node.test == "missing" else "true"
            why = "a constant" if typed.constant else "always present"
            self.ctx.emit(
                POINTLESS_TEST.at(
                    node.span,
                    f"`{text}` is {why}, so `is {node.test}` is always {always}",
                    "remove the test, or test a field that is optional or a signal",
                )
            )
        return BOOL

    def quantifier(self, node: n.Quantifier) -> Typed:
        source = self.type(node.source)
        if not t.is_list(source.type):
            self.ctx.emit(
                NOT_A_LIST.at(
                    node.source.span,
                    f"`{node.kind}` goes through a list, but `{self.ctx.text(node.source.span)}` is "
                    f"{t.describe(source.type)}",
                    "quantify over a list field, e.g. `any m in hash_matches where ...`",
                )
            )
        outer = self.variables.get(node.variable)
        self.variables[node.variable] = t.element(source.type)
        try:
            self.expect_bool(node.body, f"the body of `{node.kind}`")
        finally:
            if outer is None:
                del self.variables[node.variable]
            else:
                self.variables[node.variable] = outer
        return BOOL


def _enum(ty: t.Type) -> tuple[str, ...] | None:
    values: list[str] = []
    for o in t.options(ty):
        if not isinstance(o, t.StringType):
            continue
        if o.values is None:
            return None
        values.extend(o.values)
    return tuple(values) if values else None


def _bounds_text(low: float | None, high: float | None) -> str:
    def num(x: float) -> str:
        return f"{x:g}"

    if low is not None and high is not None:
        return f"between {num(low)} and {num(high)}"
    if low is not None:
        return f"at least {num(low)}"
    return f"at most {num(high) if high is not None else '?'}"


def _bool_hint(text: str, ty: t.Type) -> str:
    if t.is_number(ty):
        return f"compare it, e.g. `{text} >= 0.9`"
    if isinstance(ty, t.StringType):
        return f'compare it, e.g. `{text} == "..."`'
    if t.is_list(ty):
        return f"test the list, e.g. `{text} is not empty` or `any x in {text} where ...`"
    if isinstance(ty, t.ObjectType):
        return f"read one of its fields, e.g. `{text}.{next(iter(ty.fields), 'field')}`, or use `is present`"
    return "use a comparison or a presence test"


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _ordering_hint(text: str, typed: Typed, other: Typed, op: str) -> str:
    """How to say what an ordering on `text` (`text op other`) meant."""
    if isinstance(typed.type, t.StringType) and typed.values and t.is_number(other.type):
        return f"write the number without quotes: `{typed.values[0]}`"
    values = typed.type.values if isinstance(typed.type, t.StringType) else None
    if values:
        bound = other.values[0] if other.values and other.values[0] in values else None
        if bound is not None:
            at = values.index(str(bound))
            above = values[at + (op == ">") :] if op in (">", ">=") else values[: at + (op == "<=")]
            shown = ", ".join(f'"{v}"' for v in above)
            return f"its values have no order: list those you mean, e.g. `{text} in [{shown}]`"
        shown = ", ".join(f'"{v}"' for v in values[:3])
        return f"its values have no order: list those you mean, e.g. `{text} in [{shown}]`"
    if isinstance(typed.type, t.StringType):
        return "strings have no order: compare with `==` or `in`"
    return "order only numbers"


def _call_example(name: str) -> str:
    return {
        "max_score": 'write the label in quotes: `max_score("csam") >= 0.9`',
        "count": "count a list: `count(reports) >= 3`",
    }.get(name, "")
