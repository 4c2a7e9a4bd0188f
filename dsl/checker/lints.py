"""Lints over whole conditions: contradictions that make a rule dead, logic written twice, and limits.

Every check here is linear: duplicates are found by hashing the AST (equality ignores spans), and
contradictions are looked for among the operands of each `and` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, Site, where
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.source import Span

CONTRADICTION = DiagnosticCode(
    "W111", "contradiction", "comparisons joined by `and` that can never all be true"
)
DUPLICATE_LOGIC = DiagnosticCode(
    "W112", "duplicate-logic", "two rules with the same `when` (and `unless`), or two identical conditions"
)
TOO_MANY_RULES = DiagnosticCode("E130", "too-many-rules", "a ruleset with more rules than the limit")
LIST_TOO_LARGE = DiagnosticCode("E131", "list-too-large", "a list with more items than the limit")

Scalar = bool | int | float | str
# values compared by kind as well as value: `true` is not `1`
Key = tuple[str, Scalar]


def run(ctx: Context) -> None:
    _limits(ctx)
    _duplicates(ctx)
    for site in ctx.sites:
        for node in ctx.index(site).ands:
            _contradictions(ctx, site, node)


# ---- limits -----------------------------------------------------------------------------------------------


def _limits(ctx: Context) -> None:
    limits = ctx.limits
    rules = ctx.declared_as(n.Rule)
    if len(rules) > limits.max_rules:
        ctx.emit(
            TOO_MANY_RULES.at(
                rules[limits.max_rules].name_span,
                f"the ruleset has {len(rules):,} rules, over the limit of {limits.max_rules:,}",
                "merge rules that share actions with `or`, or move lookups into lists",
            )
        )
    for declaration in ctx.declared_as(n.NamedList):
        _list_size(ctx, declaration.items, declaration.name_span, f"list `{declaration.name}`")
    for site in ctx.sites:
        for node in ctx.index(site).lists:
            if len(node.items) > limits.max_list_items:
                s = node.span
                bracket = Span(s.file, s.line, s.column, s.line, s.column + 1, s.start, s.start + 1)
                _list_size(ctx, node, bracket, "the list")


def _list_size(ctx: Context, items: n.ListLiteral, span: Span, what: str) -> None:
    count, limit = len(items.items), ctx.limits.max_list_items
    if count > limit:
        ctx.emit(
            LIST_TOO_LARGE.at(
                span,
                f"{what} has {count:,} items, over the limit of {limit:,}",
                "large lookups belong in the event (a signal computed upstream), not in the ruleset",
            )
        )


# ---- the same logic twice ---------------------------------------------------------------------------------


def _duplicates(ctx: Context) -> None:
    rules: dict[tuple[n.Expr, n.Expr | None], n.Rule] = {}
    for rule in ctx.declared_as(n.Rule):
        if rule.when is None:
            continue
        first = rules.setdefault((rule.when, rule.unless), rule)
        if first is rule:
            continue
        also = " and `unless`" if rule.unless is not None else ""
        ctx.emit(
            DUPLICATE_LOGIC.at(
                rule.when.span,
                f"rule `{rule.name}` has the same `when`{also} as rule `{first.name}`",
                f"merge the two rules' actions into `{first.name}`, or refer to it: `when {first.name}`",
            ),
            f"`{first.name}` is at {where(first.name_span)}",
        )
    conditions: dict[n.Expr, n.Condition] = {}
    for condition in ctx.declared_as(n.Condition):
        same = conditions.setdefault(condition.expr, condition)
        if same is condition:
            continue
        ctx.emit(
            DUPLICATE_LOGIC.at(
                condition.expr.span,
                f"condition `{condition.name}` is the same as condition `{same.name}`",
                f"keep one: use `{same.name}` wherever `{condition.name}` is used",
            ),
            f"`{same.name}` is at {where(same.name_span)}",
        )


# ---- contradictions ---------------------------------------------------------------------------------------


@dataclass
class _Bounds:
    """What the comparisons seen so far say about one path."""

    equal: set[Key] = field(default_factory=set)
    allowed: set[Key] | None = None
    excluded: set[Key] = field(default_factory=set)
    low: tuple[float, bool] | None = None  # value, inclusive
    high: tuple[float, bool] | None = None
    seen: list[n.Expr] = field(default_factory=list)

    def add(self, op: str, values: tuple[Scalar, ...]) -> None:
        keys = {_key(v) for v in values}
        if op == "==":
            self.equal |= keys
        elif op == "!=" or op == "not in":
            self.excluded |= keys
        elif op == "in":
            self.allowed = keys if self.allowed is None else self.allowed & keys
        else:
            number = values[0]
            if isinstance(number, bool) or not isinstance(number, int | float):
                return
            bound = (float(number), op in ("<=", ">="))
            if op in (">", ">="):
                self.low = bound if self.low is None or _tighter_low(bound, self.low) else self.low
            else:
                self.high = bound if self.high is None or _tighter_high(bound, self.high) else self.high

    def satisfiable(self) -> bool:
        if len(self.equal) > 1:
            return False
        if self.low and self.high:
            (lo, lo_in), (hi, hi_in) = self.low, self.high
            if lo > hi or (lo == hi and not (lo_in and hi_in)):
                return False
        candidates = self.equal or self.allowed
        if candidates is None:
            return True
        return any(self._fits(k) for k in candidates)

    def _fits(self, key: Key) -> bool:
        if key in self.excluded or (self.allowed is not None and key not in self.allowed):
            return False
        kind, value = key
        if kind != "number" or not isinstance(value, int | float):
            return not (self.low or self.high)
        if self.low and (value < self.low[0] or (value == self.low[0] and not self.low[1])):
            return False
        return not (self.high and (value > self.high[0] or (value == self.high[0] and not self.high[1])))


def _tighter_low(a: tuple[float, bool], b: tuple[float, bool]) -> bool:
    return a[0] > b[0] or (a[0] == b[0] and not a[1])


def _tighter_high(a: tuple[float, bool], b: tuple[float, bool]) -> bool:
    return a[0] < b[0] or (a[0] == b[0] and not a[1])


def _key(value: Scalar) -> Key:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("string", value)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _contradictions(ctx: Context, site: Site, node: n.And) -> None:
    # one comparison alone holds for some value, unless it is `in` an empty list: a path compared only
    # once in this `and` needs no bounds worked out
    compared = [o for o in node.operands if isinstance(o, n.Compare) and o.op != "contains"]
    if not compared or (len(compared) == 1 and compared[0].op != "in"):
        return
    constraints = [(o, c) for o in compared if (c := _constraint(ctx, site, o)) is not None]
    counts: dict[str, int] = {}
    for _, (path, _, _) in constraints:
        counts[path] = counts.get(path, 0) + 1
    paths: dict[str, _Bounds] = {}
    for operand, (path, op, values) in constraints:
        if counts[path] == 1 and (values or op != "in"):
            continue
        bounds = paths.get(path)
        if bounds is None:
            bounds = paths[path] = _Bounds()
        bounds.add(op, values)
        bounds.seen.append(operand)
        if bounds.satisfiable():
            continue
        earlier = ", ".join(f"`{ctx.text(c.span)}`" for c in bounds.seen[:-1])
        what = _what_dies(site)
        if earlier:
            message = f"`{ctx.text(operand.span)}` contradicts {earlier}: {what}"
            hint = f"no value of `{path}` satisfies both; check the operators and thresholds"
        else:  # `in` a list with no values: nothing to contradict but itself
            message = f"`{ctx.text(operand.span)}` is never true: {what}"
            hint = f"no value of `{path}` is in an empty list; give the list its values or drop the test"
        ctx.emit(CONTRADICTION.at(operand.span, message, hint))
        del paths[path]  # one report per path and `and`
        paths[path] = _Bounds()


def _what_dies(site: Site) -> str:
    if site.owner_kind == "rule" and site.clause == "when":
        return f"rule `{site.owner.name}` can never fire"
    if site.owner_kind == "rule":
        return f"the `unless` of rule `{site.owner.name}` is never true"
    if site.owner_kind == "condition":
        return f"this part of condition `{site.owner.name}` is never true"
    return f"this part of invariant `{site.owner.name}` is never true"


def _constraint(ctx: Context, site: Site, expr: n.Expr) -> tuple[str, str, tuple[Scalar, ...]] | None:
    """`path op values` for a comparison of a path with known values, else None."""
    if not isinstance(expr, n.Compare) or expr.op == "contains":
        return None
    left = _path(ctx, expr.left)
    right_values = _values(ctx, site, expr.right)
    if left is not None and right_values is not None:
        if expr.op in ("in", "not in") or len(right_values) == 1:
            return left, expr.op, right_values
        return None
    right = _path(ctx, expr.right)
    left_values = _values(ctx, site, expr.left)
    if right is not None and left_values is not None and expr.op in _FLIP and len(left_values) == 1:
        return right, _FLIP[expr.op], left_values
    return None


def _path(ctx: Context, expr: n.Expr) -> str | None:
    """A key for what a comparison reads: `a.b.c`, or a call on literals such as `max_score("csam")`."""
    if isinstance(expr, n.Call):
        return ctx.text(expr.span, limit=200) if all(isinstance(a, n.Literal) for a in expr.args) else None
    steps: list[str] = []
    while isinstance(expr, n.Attribute):
        steps.append(expr.name)
        expr = expr.value
    if not isinstance(expr, n.Name) or expr.name in ctx.declared:
        return None
    # a variable is keyed by its text too: within one `and` a name means one thing
    steps.append(expr.name)
    return ".".join(reversed(steps))


def _values(ctx: Context, site: Site, expr: n.Expr) -> tuple[Scalar, ...] | None:
    if isinstance(expr, n.Literal):
        return (expr.value,)
    if isinstance(expr, n.ListLiteral):
        return tuple(i.value for i in expr.items)
    if isinstance(expr, n.Name):
        kind = ctx.symbols.resolve(expr.name, in_always=site.in_always)
        if kind == "constant":
            return (ctx.symbols.constants[expr.name].value.value,)
        if kind == "list":
            return tuple(i.value for i in ctx.symbols.lists[expr.name].items.items)
    return None
