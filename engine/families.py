"""Rule families: many rules of one shape, told apart only by their literals, evaluated as a table.

Large rulesets are mostly families: the same rule over other banks, labels, thresholds and source types.
Generated one by one, a thousand such rules are a thousand blocks of straight-line code, each run on every
event. A family is compiled once, as a template whose literals come from a row per rule, and its rows are
pruned before any runs by *keys*: a conjunct of the template's `when` whose literal can be looked up for the
value the event has, so one lookup answers it for every row at once.

- `x == "a"`, `x in ["a", "b"]`, `xs contains "a"`: a table from each string to the rows it satisfies;
- `x >= 0.8` (any order), including `max_score("label") >= 0.8`: the thresholds sorted, a bisection;
- a part without literals (`provenance is present`): evaluated once for the whole family;
- `any m in list where m.bank in [...] and ...`: the first part of the body, looked up for every item.

Pruning is exact, not a heuristic. A row is dropped only when a key shows its conjunct false and no conjunct
before it could have raised (such conjuncts are keys themselves, whose evaluation for this event raised
nothing, or tests that cannot raise); `false and anything` is false in the language's three-valued logic, so
the rule is false with no error, as its own code would find. Anything unusual in the event (a value of an
unexpected type, a failure while computing a key) makes the family run every row: the rows' own code then
finds the exact result and error. Exact mode: when the rule has no `unless`, every conjunct of its `when`
is a key whose definite pass means the conjunct is true (an `any` key only if its lookups are its whole
body; `r` / `not r` keys read other rules' fired, unknown and failed masks, so rows may refer to rules), and
every key found a definite answer for this event (no unknown value, nothing unexpected), the rows that pass
are the rows that fire, and none runs. A row never refers to a row of its own family (`find_families`).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from ruleward.dsl import nodes as n
from ruleward.engine.ruleset import Plan, RulePlan

MIN_FAMILY: Final = 6  # fewer rows than this: straight-line code is as fast and reads better

ParamKind = Literal["value", "list", "label", "rule"]
KeyKind = Literal["shared", "equal", "member", "contains", "order", "any", "rule"]


@dataclass(frozen=True)
class Param:
    kind: ParamKind
    node: n.Node  # where it sits in the template (the family's first rule)


@dataclass
class Key:
    """A conjunct of the template's `when` that prunes rows by a lookup."""

    kind: KeyKind
    conjunct: n.Expr  # in the template
    complete: bool  # a definite pass means the conjunct is true (false for `any` with more to its body)
    subject: n.Expr | None = None  # the value looked up, free of literals (relative to `variable` for `any`)
    variable: str | None = None  # `any`: the quantifier variable
    source: n.Expr | None = None  # `any`: the list it walks
    inner: Tree | None = None  # `any`: the lookups on each item, as the body combines them
    negated: bool = False  # `rule`: `not r` rather than `r`
    # `rule`: each rule a row refers to -> the rows referring to it
    referring: dict[int, int] = field(default_factory=dict)
    op: str | None = None  # `order`: the comparison with the row's number on the right
    param: int = -1  # the row parameter holding the literal
    label: int = -1  # `order` on `max_score`: the row parameter holding the label
    # built from the rows: string -> rows it satisfies, or per label (None: no label) the sorted thresholds
    # and, for each bisection point, the rows that pass
    table: dict[str, int] = field(default_factory=dict)
    thresholds: dict[str | None, tuple[list[int | float], list[int], int]] = field(default_factory=dict)


@dataclass
class Combined:
    """`and` / `or` of lookups on one item of an `any`: the rows it may satisfy are `&` / `|` of theirs."""

    kind: Literal["and", "or"]
    parts: list[Tree]


Tree = Key | Combined


@dataclass
class Family:
    rules: tuple[RulePlan, ...]  # in rule-index order; the first is the template
    params: tuple[Param, ...]
    values: dict[int, tuple[object, ...]]  # rule index -> its parameters, in the order of `params`
    nodes: dict[int, tuple[n.Node, ...]]  # rule index -> its nodes in walk order (error positions)
    positions: dict[int, int]  # id(template node) -> its place in walk order
    keys: list[Key]
    exact: bool  # the keys decide `when` alone (still checked per event: all keys definite)
    mask: int = 0  # every row's bit

    @property
    def template(self) -> RulePlan:
        return self.rules[0]

    def param_of(self, node: n.Node) -> int | None:
        for position, param in enumerate(self.params):
            if param.node is node:
                return position
        return None


# ---- shapes -----------------------------------------------------------------------------------------------


class _Walk:
    """A rule's shape (what code it compiles to, with its literals left out) and its literals."""

    def __init__(self, plan: Plan, unknown_rule: Mapping[str, bool]) -> None:
        self.plan = plan
        self.unknown_rule = unknown_rule
        self.tokens: list[str] = []
        self.params: list[Param] = []
        self.values: list[object] = []
        self.nodes: list[n.Node] = []

    def literal(self, node: n.Node, value: object) -> None:
        if isinstance(value, bool):
            tag = f"b{value}"  # `true` and `false` compile to different tests
        elif isinstance(value, str):
            tag = "s"
        elif isinstance(value, int | float):
            tag = f"n{value}" if value in (0, 1) else "n"  # 0 and 1 compare apart from `false` and `true`
        else:
            tag = repr(value)
        self.tokens.append(f"lit:{tag}")
        if not isinstance(value, bool) and isinstance(value, str | int | float):
            self.params.append(Param("value", node))
            self.values.append(value)

    def listed(self, node: n.Node, items: tuple[object, ...]) -> None:
        self.tokens.append("list")
        self.params.append(Param("list", node))
        self.values.append(items)

    def label(self, expr: n.Expr | None, variables: tuple[str, ...]) -> str | None:
        """The label a `max_score` argument names: a string literal, or a constant holding one."""
        if isinstance(expr, n.Literal):
            value = expr.value
        elif isinstance(expr, n.Name) and self.plan.symbols.resolve(expr.name, variables) == "constant":
            value = self.plan.constants[expr.name]
        else:
            return None
        return value if isinstance(value, str) else None

    def walk(self, expr: n.Expr, variables: tuple[str, ...]) -> None:
        # every rule of every load is walked: kinds are told apart by `type(...) is` (the node classes have
        # no subclasses), the commonest first
        self.nodes.append(expr)
        if type(expr) is n.Attribute:
            self.tokens.append(f"attr:{expr.name}")
            self.walk(expr.value, variables)
        elif type(expr) is n.Compare:
            self.tokens.append(f"cmp:{expr.op}")
            self.walk(expr.left, variables)
            self.walk(expr.right, variables)
        elif type(expr) is n.Literal:
            self.literal(expr, expr.value)
        elif type(expr) is n.Name:
            self.name(expr, variables)
        elif type(expr) is n.And or type(expr) is n.Or:
            self.tokens.append(f"{type(expr).__name__}:{len(expr.operands)}")
            for operand in expr.operands:
                self.walk(operand, variables)
        elif type(expr) is n.Call:
            self.call(expr, variables)
        elif type(expr) is n.ListLiteral:  # its items stay out of `nodes`: rows' lists differ in length
            self.listed(expr, tuple(item.value for item in expr.items))
        elif type(expr) is n.Not:
            self.tokens.append("not")
            self.walk(expr.operand, variables)
        elif type(expr) is n.IsTest:
            self.tokens.append(f"is:{expr.test}")
            self.walk(expr.operand, variables)
        elif type(expr) is n.Quantifier:
            self.tokens.append(f"{expr.kind}")
            self.walk(expr.source, variables)
            self.walk(expr.body, (*variables, expr.variable))
        else:  # pragma: no cover - every expression kind is above
            raise TypeError(f"unexpected expression {type(expr).__name__}")

    def name(self, expr: n.Name, variables: tuple[str, ...]) -> None:
        kind = self.plan.symbols.resolve(expr.name, variables)
        if kind == "variable":
            # the innermost binding of the name: `any m in a where any m in b where m.x` reads b's item
            self.tokens.append(f"var:{len(variables) - 1 - variables[::-1].index(expr.name)}")
        elif kind == "constant":
            self.literal(expr, self.plan.constants[expr.name])
        elif kind == "list":
            self.listed(expr, tuple(self.plan.lists[expr.name]))
        elif kind == "rule":
            self.tokens.append(f"rule:{self.unknown_rule[expr.name]}")
            self.params.append(Param("rule", expr))
            self.values.append(self.plan.rule_index[expr.name])
        else:
            self.tokens.append(f"{kind}:{expr.name}")

    def call(self, expr: n.Call, variables: tuple[str, ...]) -> None:
        self.tokens.append(f"call:{expr.function}:{len(expr.args)}")
        label = expr.args[0] if expr.args else None
        name = self.label(label, variables) if expr.function == "max_score" else None
        if label is not None and name is not None:
            self.nodes.append(label)
            self.tokens.append("label")
            self.params.append(Param("label", label))
            self.values.append(name)
        else:
            for arg in expr.args:
                self.walk(arg, variables)

    def rule(self, rule: n.Rule) -> None:
        for clause, expr in (("when", rule.when), ("unless", rule.unless)):
            self.tokens.append(clause)
            if expr is not None:
                self.walk(expr, ())


def find_families(plan: Plan, unknown_rule: Mapping[str, bool]) -> list[Family]:
    """The families of `plan` worth a table: rules of one shape, none referring to another of its rows.

    `unknown_rule` says, for each rule, whether its value can be unknown (its code depends on it)."""
    groups: dict[tuple[str, ...], list[tuple[RulePlan, _Walk]]] = {}
    for rule in plan.rules:
        walk = _Walk(plan, unknown_rule)
        walk.rule(rule.rule)
        groups.setdefault(tuple(walk.tokens), []).append((rule, walk))
    families = []
    for members in groups.values():
        if len(members) < MIN_FAMILY:
            continue
        indexes = {rule.index for rule, _ in members}
        template = members[0][1]
        rule_params = [i for i, p in enumerate(template.params) if p.kind == "rule"]
        if any(walk.values[i] in indexes for _, walk in members for i in rule_params):
            continue  # a row referring to a row: they would have to run in order
        family = Family(
            rules=tuple(rule for rule, _ in members),
            params=tuple(template.params),
            values={rule.index: tuple(walk.values) for rule, walk in members},
            nodes={rule.index: tuple(walk.nodes) for rule, walk in members},
            positions={id(node): i for i, node in enumerate(template.nodes)},
            keys=[],
            exact=False,
        )
        for rule, _ in members:
            family.mask |= 1 << rule.index
        _plan_keys(plan, family)
        families.append(family)
    return families


# ---- keys -------------------------------------------------------------------------------------------------


def _conjuncts(expr: n.Expr) -> tuple[n.Expr, ...]:
    return expr.operands if isinstance(expr, n.And) else (expr,)


def _has_params(family: Family, expr: n.Node) -> bool:
    ids = {id(p.node) for p in family.params}
    return any(id(node) in ids for node in n.walk(expr))


def _cannot_raise(plan: Plan, expr: n.Expr) -> bool:
    """Tests whose evaluation never raises, whatever the event holds."""
    if isinstance(expr, n.Literal):
        return expr.value is None or isinstance(expr.value, bool)  # `"a"` or `3` as a condition raises
    if (
        isinstance(expr, n.IsTest)
        and expr.test in ("missing", "present")
        and isinstance(expr.operand, n.Name)
    ):
        return plan.symbols.resolve(expr.operand.name) == "field"
    return False


_FLIP: Final = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _lookup_key(family: Family, expr: n.Expr) -> Key | None:
    """`subject == "a"`, `subject in [...]`, `subject contains "a"`, `subject >= 0.8`: one literal against a
    value free of literals (the literal on either side of `==` and orderings)."""
    if not isinstance(expr, n.Compare):
        return None
    sides: list[tuple[n.Expr, n.Expr, str]] = [(expr.left, expr.right, expr.op)]
    if expr.op in _FLIP:
        sides.append((expr.right, expr.left, _FLIP[expr.op]))
    template = family.values[family.template.index]
    for subject, literal, op in sides:
        position = family.param_of(literal)
        if position is None:
            continue
        kind, value = family.params[position].kind, template[position]
        if op in ("<", "<=", ">", ">="):
            if kind != "value" or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            label = _label_of(family, subject)
            if label is None and _has_params(family, subject):
                continue
            return Key(
                "order",
                expr,
                True,
                subject=subject,
                op=op,
                param=position,
                label=-1 if label is None else label,
            )
        if _has_params(family, subject):
            continue
        if op == "==" and kind == "value" and isinstance(value, str):
            return Key("equal", expr, True, subject=subject, param=position)
        if op == "in" and kind == "list":
            return Key("member", expr, True, subject=subject, param=position)
        if op == "contains" and kind == "value" and isinstance(value, str):
            return Key("contains", expr, True, subject=subject, param=position)
    return None


def _label_of(family: Family, subject: n.Expr) -> int | None:
    if isinstance(subject, n.Call) and subject.function == "max_score" and subject.args:
        position = family.param_of(subject.args[0])
        if position is not None and family.params[position].kind == "label":
            return position
    return None


def _key(plan: Plan, family: Family, conjunct: n.Expr) -> Key | None:
    if not _has_params(family, conjunct):
        return Key("shared", conjunct, True)
    found = _lookup_key(family, conjunct)
    if found is not None:
        return found
    negated = isinstance(conjunct, n.Not)
    reference = conjunct.operand if isinstance(conjunct, n.Not) else conjunct
    position = family.param_of(reference)
    if position is not None and family.params[position].kind == "rule":
        return Key("rule", conjunct, True, param=position, negated=negated)
    if (
        isinstance(conjunct, n.Quantifier)
        and conjunct.kind == "any"
        and not _has_params(family, conjunct.source)
    ):
        tree, complete = _item_tree(plan, family, conjunct.body)
        if tree is not None:
            return Key(
                "any", conjunct, complete, variable=conjunct.variable, source=conjunct.source, inner=tree
            )
    return None


def _item_tree(plan: Plan, family: Family, expr: n.Expr) -> tuple[Tree | None, bool]:
    """The lookups in the body of an `any` that can rule an item out, and whether they are the whole body.

    In `a and b`, a part can rule the item out only if no part before it can raise; in `a or b`, only
    all parts together can (each is evaluated)."""
    if isinstance(expr, n.And | n.Or):
        parts: list[Tree] = []
        complete = True
        for operand in expr.operands:
            tree, whole = _item_tree(plan, family, operand)
            if tree is None:
                if isinstance(expr, n.Or):
                    return None, False
                complete = False
                if _cannot_raise(plan, operand):
                    continue
                break
            parts.append(tree)
            complete = complete and whole
            if isinstance(expr, n.And) and not whole:
                break  # where its lookups pass, this part may still raise: a later part rules nothing out
        if not parts:
            return None, False
        return Combined("and" if isinstance(expr, n.And) else "or", parts), complete
    key = _lookup_key(family, expr)
    if key is None or key.kind == "contains" or key.label >= 0:
        return None, False
    return key, True


def _leaves(tree: Tree) -> list[Key]:
    if isinstance(tree, Key):
        return [tree]
    return [leaf for part in tree.parts for leaf in _leaves(part)]


def _plan_keys(plan: Plan, family: Family) -> None:
    rule = family.template.rule
    if rule.when is None:
        return
    conjuncts = _conjuncts(rule.when)
    complete = rule.unless is None
    for conjunct in conjuncts:
        key = _key(plan, family, conjunct)
        if key is None:
            complete = False
            if _cannot_raise(plan, conjunct):
                continue
            break  # a later key could hide this conjunct's error
        family.keys.append(key)
        complete = complete and key.complete
        if not key.complete:
            break  # where its lookups pass, this conjunct may still raise: a later key rules nothing out
    family.exact = complete and len(family.keys) == len(conjuncts)
    for key in family.keys:
        for leaf in _leaves(key.inner) if key.inner is not None else [key]:
            _build_tables(family, leaf)


def _build_tables(family: Family, key: Key) -> None:
    if key.kind == "shared":
        return
    if key.kind == "rule":
        for rule in family.rules:
            referred = family.values[rule.index][key.param]
            assert isinstance(referred, int)
            key.referring[referred] = key.referring.get(referred, 0) | 1 << rule.index
        return
    for rule in family.rules:
        bit = 1 << rule.index
        row = family.values[rule.index]
        literal = row[key.param]
        if key.kind in ("equal", "contains"):
            assert isinstance(literal, str)
            key.table[literal] = key.table.get(literal, 0) | bit
        elif key.kind == "member":
            assert isinstance(literal, tuple)
            for item in literal:
                if isinstance(item, str):
                    key.table[item] = key.table.get(item, 0) | bit
        else:
            label = row[key.label] if key.label >= 0 else None
            assert isinstance(label, str | None) and isinstance(literal, int | float)
            thresholds, masks, _ = key.thresholds.setdefault(label, ([], [], 0))
            thresholds.append(literal)
            masks.append(bit)
    for label, (thresholds, bits, _) in list(key.thresholds.items()):
        order = sorted(range(len(thresholds)), key=thresholds.__getitem__)
        ordered = [thresholds[i] for i in order]
        ordered_bits = [bits[i] for i in order]
        every = 0
        for bit in ordered_bits:
            every |= bit
        key.thresholds[label] = (ordered, _passing(ordered_bits, key.op or ">="), every)


def _passing(bits: list[int], op: str) -> list[int]:
    """For each bisection point c (0..len), the rows that pass: a prefix for `>=` and `>`, else a suffix."""
    out = [0] * (len(bits) + 1)
    if op in (">=", ">"):
        for c in range(1, len(bits) + 1):
            out[c] = out[c - 1] | bits[c - 1]
    else:
        for c in range(len(bits) - 1, -1, -1):
            out[c] = out[c + 1] | bits[c]
    return out


def bisector(op: str) -> str:
    """Which bisection finds the point for `value op threshold`: `right` counts thresholds <= value."""
    return "right" if op in (">=", "<") else "left"


# ---- the order of evaluation ------------------------------------------------------------------------------

Unit = tuple[str, str] | Family  # ("condition" | "rule", name), or a whole family


def schedule(plan: Plan, families: list[Family]) -> list[Unit] | None:
    """`plan.order` with each family as one unit, dependencies first; None if families depend on each
    other both ways (then they cannot be tables)."""
    family_of = {rule.name: family for family in families for rule in family.rules}
    units: list[Unit] = []
    unit_index: dict[tuple[str, str], int] = {}
    family_index: dict[int, int] = {}
    for item in plan.order:
        family = family_of.get(item[1]) if item[0] == "rule" else None
        if family is None:
            unit_index[item] = len(units)
            units.append(item)
        else:
            if id(family) not in family_index:
                family_index[id(family)] = len(units)
                units.append(family)
            unit_index[item] = family_index[id(family)]
    needs: list[set[int]] = [set() for _ in units]
    conditions = plan.conditions
    for item, index in unit_index.items():
        # what the plan's builder found on its walk: names resolving to a condition or a rule (never both,
        # the builder refuses a name declared twice)
        for name in plan.dependencies.get(item[1], ()):
            found = unit_index.get(("condition", name) if name in conditions else ("rule", name))
            if found is not None and found != index:
                needs[index].add(found)
    ordered: list[Unit] = []
    done: set[int] = set()
    ready = [i for i in range(len(units)) if not needs[i]]
    heapq.heapify(ready)
    waiting = {i: set(needs[i]) for i in range(len(units)) if needs[i]}
    users: dict[int, list[int]] = {}
    for i, wanted in waiting.items():
        for j in wanted:
            users.setdefault(j, []).append(i)
    while ready:
        i = heapq.heappop(ready)  # the earliest in `plan.order` first: the usual order where it can be
        done.add(i)
        ordered.append(units[i])
        for user in users.get(i, ()):
            waiting[user].discard(i)
            if not waiting[user]:
                heapq.heappush(ready, user)
    return ordered if len(done) == len(units) else None


__all__ = ["MIN_FAMILY", "Family", "Key", "Param", "Unit", "bisector", "find_families", "schedule"]
