"""The compiler: a whole ruleset to one Python function, compiled once, evaluated per event.

The generated function `_evaluate(ev)` takes the event as a dict and returns `(fired, errors)`: a bit mask
of the rules that fired and a list of `(rule index, "when" | "unless" | EvalFailure)`. It runs in a fresh
namespace holding only the runtime helpers (`__builtins__` is empty), so nothing a ruleset says can reach
Python: user text enters the code only as `repr` literals, and every name in it is one we made up
(`_r3` for a rule, `_c1` for a condition, `_f0` for an event field, `_v2` for a quantifier variable).

Design, for speed and for exact semantics (runtime.py and the brief's Semantics section):

- straight-line code: each rule is computed once, in dependency order, into a local; a reference is a
  local read. A condition used in one place is computed there, on first use (so a short-circuit that
  skips it skips its cost); one used in several places is computed up front. Conditions no rule needs
  are not computed at all.
- each expression compiles to statements that leave a truth value in a temporary. `and`/`or` short-circuit
  with flat guards (`if _t1: _t1 = <next>`), quantifiers are `for` loops with `break`.
- three-valued code only where a value can be unknown, decided statically: a path through a signal, a
  call reading one, or a reference to a condition or rule that can be unknown. Everything else is plain
  two-valued Python. A missing signal reads as the `_U` sentinel; `None` is an absent value.
- common cases are inlined (a string compared with a literal, a field read from a dict, a number ordered
  against a constant); anything else calls the runtime function that defines the semantics.
- every comparison-level expression starts its own line, and `sites` maps lines back to its span, so
  an exception names the expression and its place in the ruleset (`_fail` reads the traceback's line).
- each rule sits in its own `try`: one rule failing on bad data records an error and the fallback
  applies; the other rules are still decided.
"""

from __future__ import annotations

import bisect
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset
from ruleward.dsl.source import Span
from ruleward.engine import runtime as rt
from ruleward.engine.bits import set_bits
from ruleward.engine.families import MIN_FAMILY, Family, Unit, find_families, schedule
from ruleward.engine.ruleset import CANNOT_COMPILE, Plan, RulePlan, RulesetError, Shape, nowhere
from ruleward.engine.tables import TableWriter

RunResult = tuple[int, list[tuple[int, object]]]
Site = tuple[Span | None, str]
Scope = dict[str, tuple[str, Shape]]  # quantifier variable -> (local, shape of its items)

FUNCTION_NAME = "_evaluate"
_BODY_INDENT = 1


@dataclass(frozen=True)
class GeneratedCode:
    source: str
    sites: dict[int, Site]  # generated line (1-based) -> the expression it evaluates
    constants: dict[str, object]  # the frozensets, lists and defaults the code refers to
    # in a family's template: generated line -> the place of its expression in a row's walk, and each
    # row's nodes in walk order, so an error names the row's own expression
    row_sites: dict[int, int] = field(default_factory=dict)
    row_nodes: dict[int, tuple[n.Node, ...]] = field(default_factory=dict)


class CompiledRuleset:
    """A ruleset compiled to Python: `run(event_dict)` gives `(fired mask, raw errors)`."""

    def __init__(self, plan: Plan, code: GeneratedCode, function: Callable[[dict[str, object]], RunResult]):
        self.plan = plan
        self.code = code
        self.run = function

    @property
    def source(self) -> str:
        return self.code.source


def compile_ruleset(checked: CheckedRuleset, digest: str | None = None) -> CompiledRuleset:
    return compile_plan(Plan.build(checked, digest))


def compile_plan(plan: Plan) -> CompiledRuleset:
    try:
        code, compiled = _generate_and_compile(plan, f"<ruleward {plan.info.name}>")
    except (RecursionError, SyntaxError, MemoryError, ValueError) as error:
        detail = error.msg if isinstance(error, SyntaxError) else type(error).__name__
        raise RulesetError(
            [
                CANNOT_COMPILE.at(
                    nowhere(plan.checked),
                    f"the ruleset is too complex to compile ({detail})",
                    "name deeply nested parts of conditions with `condition` declarations",
                )
            ],
            plan.texts,
        ) from None
    namespace: dict[str, object] = {"__builtins__": {}, **_helpers(), **code.constants}
    namespace["_fail"] = _failer(code.sites)
    namespace["_failrow"] = _row_failer(code, plan.texts)
    exec(compiled, namespace)  # the namespace holds only the helpers: the code cannot reach builtins
    function = namespace[FUNCTION_NAME]
    return CompiledRuleset(plan, code, function)  # type: ignore[arg-type]


# what to give up when Python refuses the code as nested too deeply, in turn: computing conditions where
# they are used (a condition's loops nest inside its user's), then families (a row loop adds a level)
_FALLBACKS: tuple[tuple[bool, bool], ...] = ((False, True), (True, True), (True, False))


def _generate_and_compile(plan: Plan, filename: str) -> tuple[GeneratedCode, CodeType]:
    for all_eager, families in _FALLBACKS[:-1]:
        try:
            code = generate(plan, all_eager=all_eager, families=families)
            return code, compile(code.source, filename, "exec")
        except SyntaxError:
            continue
    all_eager, families = _FALLBACKS[-1]
    code = generate(plan, all_eager=all_eager, families=families)
    return code, compile(code.source, filename, "exec")


def _helpers() -> dict[str, object]:
    return {
        "_dict": dict,
        "_list": list,
        "_str": str,
        "_int": int,
        "_float": float,
        "_Exception": Exception,
        "_U": rt.UNKNOWN,
        "_NY": rt.NOT_YET,
        "_get": rt.get_field,
        "_truth": rt.truth,
        "_iter": rt.iterate,
        "_eq": rt.equal,
        "_order": rt.order,
        "_member": rt.member,
        "_is_empty": rt.is_empty,
        "_count": rt.count,
        "_max_score": rt.max_score,
        "_is_list": rt.is_list,
        "_is_mapping": rt.is_mapping,
        "_is_number": rt.is_number,
        "_not_list": rt.not_a_classifier_list,
        "_not_object": rt.not_a_classifier,
        "_not_score": rt.not_a_score,
        "_TypeError": TypeError,
        "_bits": set_bits,
        "_bisect_right": bisect.bisect_right,
        "_bisect_left": bisect.bisect_left,
    }


def _failer(sites: Mapping[int, Site]) -> Callable[[BaseException], rt.EvalFailure]:
    def fail(error: BaseException) -> rt.EvalFailure:
        if isinstance(error, rt.EvalFailure):
            return error.with_traceback(None)
        tb = error.__traceback__
        span, text = sites.get(tb.tb_lineno, (None, "expression")) if tb is not None else (None, "expression")
        return rt.failure(span, text, error)

    return fail


def _row_failer(
    code: GeneratedCode, texts: Mapping[str, str]
) -> Callable[[BaseException, int], rt.EvalFailure]:
    """`_fail` for a family's rows: the line gives the place in the template, the row its own node."""

    def fail(error: BaseException, index: int) -> rt.EvalFailure:
        if isinstance(error, rt.EvalFailure):
            return error.with_traceback(None)
        tb = error.__traceback__
        position = code.row_sites.get(tb.tb_lineno) if tb is not None else None
        nodes = code.row_nodes.get(index, ())
        if position is None or position >= len(nodes):
            return rt.failure(None, "expression", error)
        span = nodes[position].span
        return rt.failure(span, rt.snippet(span, texts), error)

    return fail


def generate(plan: Plan, *, all_eager: bool = False, families: bool = True) -> GeneratedCode:
    eager: set[str] = set(plan.conditions) if all_eager else set()
    while True:
        try:
            return _Generator(plan, eager, families=families).generate()
        except _TooDeep as too_deep:  # computed where used, it would nest too deep: compute it up front
            eager.add(too_deep.condition)


class _TooDeep(Exception):
    def __init__(self, condition: str) -> None:
        self.condition = condition


_VALUES = (n.Literal, n.ListLiteral)  # tuples: `isinstance` with `X | Y` builds the union each call
_CHAINS = (n.And, n.Or)

_LAZY_INDENT_LIMIT = 40  # Python allows 100 levels of indentation


def _single_use_conditions(plan: Plan) -> set[str]:
    """Conditions referred to from exactly one place: computed there, on first use, if ever."""
    uses: dict[str, int] = {}
    expressions = [c.expr for c in plan.conditions.values()]
    expressions += [e for r in plan.rules for e in (r.rule.when, r.rule.unless) if e is not None]
    resolve = plan.symbols.resolve
    for expr in expressions:
        # the common kinds of node taken apart here, not by `n.children`: this walks every expression
        stack: list[tuple[n.Node, frozenset[str]]] = [(expr, frozenset())]
        while stack:
            node, scope = stack.pop()
            if type(node) is n.Name:
                if resolve(node.name, scope) == "condition":
                    uses[node.name] = uses.get(node.name, 0) + 1
            elif type(node) is n.Compare:
                stack += ((node.left, scope), (node.right, scope))
            elif type(node) is n.Literal:
                pass
            elif type(node) is n.Attribute:
                stack.append((node.value, scope))
            elif type(node) is n.And or type(node) is n.Or:
                stack += [(operand, scope) for operand in node.operands]
            elif type(node) is n.Not or type(node) is n.IsTest:
                stack.append((node.operand, scope))
            elif type(node) is n.Call:
                stack += [(arg, scope) for arg in node.args]
            elif type(node) is n.Quantifier:
                stack += [(node.source, scope), (node.body, scope | {node.variable})]
            elif isinstance(node, n.Node):
                stack += [(child, scope) for child in n.children(node)]
    return {name for name, count in uses.items() if count == 1}


# ---- guards: skipping many rules with one test ----------------------------------------------------------

_Guard = tuple[str, n.Expr]  # ("false", e): skip when `e` is false; ("empty", e): when `e` is an empty list
_MIN_GROUP = 2


def _guard(plan: Plan, rule: n.Rule) -> _Guard | None:
    """What makes this rule's `when` false without looking further: its first `and` operand being false,
    or the source of a leading `any` being an empty list. None when the rule has no such part, or that
    part refers to a condition or rule (it would be computed out of place)."""
    when = rule.when
    if when is None:
        return None
    first = when.operands[0] if isinstance(when, n.And) else when
    if _refers(plan, first):
        return None
    if isinstance(first, n.Quantifier) and first.kind == "any":
        return ("empty", first.source)
    if isinstance(when, n.And):
        return ("false", first)
    return None


def _refers(plan: Plan, expr: n.Expr) -> bool:
    """Whether `expr` may refer to a condition or rule (a quantifier variable of the same name counts)."""
    conditions, rules = plan.symbols.conditions, plan.symbols.rules
    stack: list[n.Node] = [expr]
    while stack:  # the common kinds of node taken apart here, not by `n.children`
        node = stack.pop()
        if type(node) is n.Name:
            if node.name in conditions or node.name in rules:
                return True
        elif type(node) is n.Compare:
            stack += (node.left, node.right)
        elif type(node) is n.Literal:
            pass
        elif type(node) is n.Attribute:
            stack.append(node.value)
        elif type(node) is n.And or type(node) is n.Or:
            stack += node.operands
        elif type(node) is n.Not or type(node) is n.IsTest:
            stack.append(node.operand)
        elif type(node) is n.Call:
            stack += node.args
        elif type(node) is n.Quantifier:
            stack += (node.source, node.body)
        elif isinstance(node, n.Node):
            stack += n.children(node)
    return False


def _schedule(plan: Plan) -> list[tuple[_Guard | None, list[tuple[str, str]]]]:
    """The order of evaluation, in blocks: `plan.order`, but with rules that share a guard together.

    A rule that refers to nothing can go first, and one nothing refers to can go last, so those move;
    the result is still dependencies first. The decision never depends on the order of evaluation.
    """
    front: dict[str, tuple[_Guard, list[tuple[str, str]]]] = {}
    back: dict[str, tuple[_Guard, list[tuple[str, str]]]] = {}
    for kind, name in plan.order:
        if kind != "rule":
            continue
        rule = plan.rules[plan.rule_index[name]].rule
        guard = _guard(plan, rule)
        if guard is None:
            continue
        clauses = [e for e in (rule.when, rule.unless) if e is not None]
        if not any(_refers(plan, e) for e in clauses):
            place = front
        elif name not in plan.referenced_rules:
            place = back
        else:
            continue
        key = f"{guard[0]} {guard[1]!r}"  # the repr tells `1` from `true`, which compare equal
        place.setdefault(key, (guard, []))[1].append((kind, name))
    moved = {
        item
        for group in (front, back)
        for _, items in group.values()
        if len(items) >= _MIN_GROUP
        for item in items
    }
    blocks: list[tuple[_Guard | None, list[tuple[str, str]]]] = [
        (guard, items) for guard, items in front.values() if len(items) >= _MIN_GROUP
    ]
    blocks.append((None, [item for item in plan.order if item not in moved]))
    blocks += [(guard, items) for guard, items in back.values() if len(items) >= _MIN_GROUP]
    return blocks


# ---- code generation --------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, plan: Plan, eager: set[str], *, families: bool = True) -> None:
        self.plan = plan
        self.use_families = families
        self.lazy = _single_use_conditions(plan) - eager
        self.symbols = plan.symbols
        self.signals = plan.schema.signals
        self.lines: list[tuple[int, str, Site | None, int | None]] = []
        self.indent = _BODY_INDENT
        self.site: Site | None = None
        self.site_position: int | None = None  # in a family's template: the node's place in its walk
        # a family's template being written: literal node id -> the code of its slot in the row
        self.family: Family | None = None
        self.slots: dict[int, str] = {}
        self.list_slots: dict[int, tuple[str, str]] = {}
        # rules whose value (and error) other code reads from `_RV` / `_RE` by index, not from a local
        self.in_dicts: set[str] = set()
        self.family_members: set[str] = set()
        self.temps = 0
        self.variables = 0
        self.constants: dict[str, object] = {}
        self.constant_names: dict[tuple[str, str], str] = {}
        self.fields: dict[str, str] = {}
        self.field_lines: list[str] = []
        self.memos: dict[str, str] = {}
        self.memo_locals: set[str] = set()
        self.unknown_names: dict[str, bool] = {}
        conditions = [name for kind, name in plan.order if kind == "condition"]
        self.condition_locals = {name: f"_c{i}" for i, name in enumerate(conditions)}
        self.rule_locals = {rule.name: f"_r{rule.index}" for rule in plan.rules}
        self.row_nodes: dict[int, tuple[n.Node, ...]] = {}

    # -- output --

    def emit(self, text: str) -> None:
        self.lines.append((self.indent, text, self.site, self.site_position))

    @contextmanager
    def block(self) -> Iterator[None]:
        self.indent += 1
        try:
            yield
        finally:
            self.indent -= 1

    @contextmanager
    def at(self, node: n.Node) -> Iterator[None]:
        saved, saved_position = self.site, self.site_position
        self.site = (node.span, rt.snippet(node.span, self.plan.texts))
        if self.family is not None:
            self.site_position = self.family.positions.get(id(node))
        try:
            yield
        finally:
            self.site, self.site_position = saved, saved_position

    def tmp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def assign(self, expr: str) -> str:
        name = self.tmp()
        self.emit(f"{name} = {expr}")
        return name

    def bind(self, expr: str) -> str:
        """`expr` as something cheap to evaluate twice: itself if a name or literal, else a temporary."""
        return expr if _is_simple(expr) else self.assign(expr)

    def constant(self, prefix: str, value: object, key: str | None = None) -> str:
        identity = (prefix, repr(value) if key is None else key)
        name = self.constant_names.get(identity)
        if name is None:
            name = f"_{prefix}{len(self.constant_names)}"
            self.constant_names[identity] = name
            self.constants[name] = value
        return name

    def literal(self, value: object) -> str:
        if isinstance(value, list | dict):
            return self.constant("D", value)
        return repr(value)

    # -- the whole function --

    def generate(self) -> GeneratedCode:
        units = None
        if self.use_families and len(self.plan.rules) >= MIN_FAMILY:
            # dependencies first, so that a long chain of references never recurses deeply
            unknown = {name: self.unknown_name(name) for _, name in self.plan.order}
            families = find_families(self.plan, unknown)
            units = schedule(self.plan, families) if families else None
        if units is not None:
            self.units(units)
        for guard, items in _schedule(self.plan) if units is None else ():
            if guard is None:
                for kind, name in items:
                    if kind == "condition":
                        if name not in self.lazy:
                            self.condition(self.plan.conditions[name])
                    else:
                        self.rule(self.plan.rules[self.plan.rule_index[name]])
            else:
                self.guarded(guard, [self.plan.rules[self.plan.rule_index[name]] for _, name in items])
        header = [
            f"# ruleward: ruleset {self.plan.info.name!r} version {self.plan.info.version!r}; generated code",
            f"def {FUNCTION_NAME}(ev):",
            "    _fired = 0",
            "    _errs = []",
            *(f"    {line}" for line in self.field_lines),
            *(["    _ms = _NY"] if self.memos else []),
            *(["    _RV = {}", "    _RE = {}", "    _unk = 0", "    _err = 0"] if self.in_dicts else []),
            *(f"    {local} = _NY" for name, local in self.condition_locals.items() if name in self.lazy),
        ]
        out = list(header)
        sites: dict[int, Site] = {}
        row_sites: dict[int, int] = {}
        targets = _tuple(list(self.memos.values()))
        for indent, text, site, position in self.lines:
            # only on the lines that compute the scores: a string in the ruleset may hold the mark too
            if text.startswith(_SCORES_LINE):
                text = text.replace(_SCORES_MARK, targets)
            out.append("    " * indent + text)
            if site is not None:
                sites[len(out)] = site
            if position is not None:
                row_sites[len(out)] = position
        out.append("    return _fired, _errs")
        if self.memos:
            out += ["", "", *_score_function(list(self.memos))]
        return GeneratedCode("\n".join(out) + "\n", sites, dict(self.constants), row_sites, self.row_nodes)

    def units(self, units: list[Unit]) -> None:
        """The ruleset with families: each family one table (engine/tables.py), the rest as usual."""
        families = [unit for unit in units if isinstance(unit, Family)]
        self.family_members = {rule.name for family in families for rule in family.rules}
        for family in families:
            self.row_nodes.update(family.nodes)
            for rule in family.rules:
                if rule.name in self.plan.referenced_rules:
                    self.in_dicts.add(rule.name)
            for position, param in enumerate(family.params):
                if param.kind == "rule":
                    for values in family.values.values():
                        self.in_dicts.add(self.plan.rules[typing.cast(int, values[position])].name)
        for unit in units:
            if isinstance(unit, Family):
                TableWriter(self, unit).write()
                continue
            kind, name = unit
            if kind == "condition":
                if name not in self.lazy:
                    self.condition(self.plan.conditions[name])
                continue
            self.rule(self.plan.rules[self.plan.rule_index[name]])
            if name in self.in_dicts:  # a family's rows read it by index
                local = self.rule_locals[name]
                index = self.plan.rule_index[name]
                self.emit(f"_RV[{index}] = {local}")
                self.emit(f"_RE[{index}] = {local}e")
                self.emit(f"if {local} is None: _unk |= {1 << index}")
                self.emit(f"if {local}e is not None: _err |= {1 << index}")

    def guarded(self, guard: _Guard, rules: list[RulePlan]) -> None:
        """Rules whose `when` is false whenever `guard` holds: one test skips them all (`_schedule`)."""
        kind, expr = guard
        self.temps += 1
        skip = f"_g{self.temps}"
        self.emit(
            f"# {len(rules)} rules skipped together when {kind}: {rt.snippet(expr.span, self.plan.texts)}"
        )
        self.emit("try:")
        with self.block():
            if kind == "false":
                value = self.bind(self.truth(expr, {}))
                self.emit(f"{skip} = {value} is False")
            else:
                value = self.bind(self.value(expr, {})[0])
                self.emit(f"{skip} = {value}.__class__ is _list and not {value}")
        self.emit("except _Exception:")  # each rule evaluates the guard again, and records the failure
        with self.block():
            self.emit(f"{skip} = False")
        self.emit(f"if not {skip}:")
        with self.block():
            for rule in rules:
                self.rule(rule)
        referenced = [r for r in rules if r.name in self.plan.referenced_rules]
        if referenced:
            self.emit("else:")
            with self.block():
                for rule in referenced:
                    local = self.rule_locals[rule.name]
                    self.emit(f"{local} = False")
                    self.emit(f"{local}e = None")

    def condition(self, condition: n.Condition) -> None:
        local = self.condition_locals[condition.name]
        self.emit(f"# condition {condition.name!r}, line {condition.span.line}")
        self.emit(f"{local}e = None")
        self.emit("try:")
        with self.block():
            value = self.truth(condition.expr, {}, local)
            if value != local:
                self.emit(f"{local} = {value}")
        self.emit("except _Exception as _e:")
        with self.block():
            self.emit(f"{local} = None")
            self.emit(f"{local}e = _fail(_e)")

    def rule(self, plan_rule: RulePlan, row: bool = False) -> None:
        """A rule's code; as a family's `row`, the template for every row (`_i` its index, `_b` its bit)."""
        rule = plan_rule.rule
        index, bit = ("_i", "_b") if row else (str(plan_rule.index), str(1 << plan_rule.index))
        referenced = not row and rule.name in self.plan.referenced_rules
        # a family with rows other rules refer to: every row's value is kept by index
        stored = row and self.family is not None and any(r.name in self.in_dicts for r in self.family.rules)
        local = self.rule_locals[rule.name]
        value = local if referenced else "_rv"
        if not row:
            self.emit(f"# rule {rule.name!r}, line {rule.span.line}")
        if referenced:
            self.emit(f"{local}e = None")
        self.emit("try:")
        with self.block():
            when_unknown = rule.when is not None and self.unknown(rule.when, {})
            when = self.truth(rule.when, {}, value) if rule.when is not None else "True"
            if when != value:
                self.emit(f"{value} = {when}")
                when = value
            if rule.unless is None:
                if when_unknown:
                    self.emit(f"if {value} is True: _fired |= {bit}")
                    self.emit(f"elif {value} is None: _errs.append(({index}, 'when'))")
                else:
                    self.emit(f"if {value}: _fired |= {bit}")
            else:
                self.emit(f"if {when} is False:" if when_unknown else f"if not {when}:")
                with self.block():
                    self.emit(f"{value} = False")
                self.emit("else:")
                with self.block():
                    unless_unknown = self.unknown(rule.unless, {})
                    unless = self.bind(self.truth(rule.unless, {}))
                    keyword = "if"
                    if when_unknown:
                        self.emit(f"if {when} is None:")
                        with self.block():
                            self.emit(f"{value} = False if {unless} is True else None")
                            self.emit(f"_errs.append(({index}, 'when'))")
                        keyword = "elif"
                    if unless_unknown:
                        self.emit(f"{keyword} {unless} is None:")
                        with self.block():
                            self.emit(f"{value} = None")
                            self.emit(f"_errs.append(({index}, 'unless'))")
                        keyword = "elif"
                    self.emit(f"{keyword} {unless}:")
                    with self.block():
                        self.emit(f"{value} = False")
                    self.emit("else:")
                    with self.block():
                        self.emit(f"{value} = True")
                        self.emit(f"_fired |= {bit}")
            if stored:
                self.emit(f"_RV[_i] = {value}")
                self.emit(f"if {value} is None: _unk |= _b")
        self.emit("except _Exception as _e:")
        with self.block():
            if row:
                self.emit("_re = _failrow(_e, _i)")
                self.emit("_errs.append((_i, _re))")
                if stored:
                    self.emit("_RV[_i] = None")
                    self.emit("_RE[_i] = _re")
                    self.emit("_unk |= _b")
                    self.emit("_err |= _b")
            elif referenced:
                self.emit(f"{local} = None")
                self.emit(f"{local}e = _fail(_e)")
                self.emit(f"_errs.append(({index}, {local}e))")
            else:
                self.emit(f"_errs.append(({index}, _fail(_e)))")

    # -- static analysis: can this expression be unknown? --

    def unknown(self, expr: n.Expr, scope: Mapping[str, object]) -> bool:
        if isinstance(expr, _VALUES):
            return False
        if isinstance(expr, n.Name):
            kind = self.symbols.resolve(expr.name, scope)
            if kind == "condition" or kind == "rule":
                return self.unknown_name(expr.name)
            return kind == "field" and expr.name in self.signals
        if isinstance(expr, n.Attribute):
            return self.unknown(expr.value, scope)
        if isinstance(expr, n.Call):
            reads_signal = expr.function == "max_score" and "classifiers" in self.signals
            return reads_signal or any(self.unknown(a, scope) for a in expr.args)
        if isinstance(expr, n.Not):
            return self.unknown(expr.operand, scope)
        if isinstance(expr, _CHAINS):
            return any(self.unknown(o, scope) for o in expr.operands)
        if isinstance(expr, n.Compare):
            return self.unknown(expr.left, scope) or self.unknown(expr.right, scope)
        if isinstance(expr, n.IsTest):
            if expr.test in ("missing", "present") and self.signal_root(expr.operand, scope):
                return False
            return self.unknown(expr.operand, scope)
        if isinstance(expr, n.Quantifier):
            inner = {**scope, expr.variable: None}
            return self.unknown(expr.source, scope) or self.unknown(expr.body, inner)
        return True  # pragma: no cover - every expression kind is above

    def unknown_name(self, name: str) -> bool:
        found = self.unknown_names.get(name)
        if found is None:
            self.unknown_names[name] = False  # a cycle (rejected by the plan) must not recurse forever
            if name in self.symbols.conditions:
                found = self.unknown(self.symbols.conditions[name].expr, {})
            else:
                rule = self.symbols.rules[name]
                found = any(self.unknown(e, {}) for e in (rule.when, rule.unless) if e is not None)
            self.unknown_names[name] = found
        return found

    def signal_root(self, expr: n.Expr, scope: Mapping[str, object]) -> bool:
        return (
            isinstance(expr, n.Name)
            and self.symbols.resolve(expr.name, scope) == "field"
            and expr.name in self.signals
        )

    def static_value(self, expr: n.Expr, scope: Mapping[str, object]) -> tuple[bool, object]:
        if isinstance(expr, n.Literal):
            return True, expr.value
        if isinstance(expr, n.Name) and self.symbols.resolve(expr.name, scope) == "constant":
            return True, self.plan.constants[expr.name]
        return False, None

    def literal_set(self, expr: n.Expr, scope: Mapping[str, object]) -> tuple[str, str] | None:
        """A list written in the ruleset: (a frozenset of its strings, for the fast path of a string
        looked up in it, and the list itself, for `_member`: a set would merge `1` and `true`)."""
        slots = self.list_slots.get(id(expr))
        if slots is not None:
            return slots
        if isinstance(expr, n.ListLiteral):
            items = [i.value for i in expr.items]
        elif isinstance(expr, n.Name) and self.symbols.resolve(expr.name, scope) == "list":
            items = list(self.plan.lists[expr.name])
        else:
            return None
        strings = self.constant("K", frozenset(v for v in items if isinstance(v, str)), key=repr(items))
        return strings, self.constant("L", items)

    # -- truth values: each returns an expression over locals that cannot raise --

    def into(self, target: str | None, expr: str) -> str:
        if target is None:
            return self.assign(expr)
        self.emit(f"{target} = {expr}")
        return target

    def truth(self, expr: n.Expr, scope: Scope, target: str | None = None) -> str:
        """Code leaving the truth value of `expr` in a local; the result names it (`target` if given) or
        is an expression over locals that cannot raise (`(not _t1)`)."""
        if isinstance(expr, n.And | n.Or):
            return self.connective(expr, scope, target)
        if isinstance(expr, n.Not):
            operand = self.truth(expr.operand, scope)
            if self.unknown(expr.operand, scope):
                operand = self.bind(operand)
                return f"(None if {operand} is None else not {operand})"
            return f"(not {operand})"
        if isinstance(expr, n.Quantifier):
            return self.quantifier(expr, scope, target)
        if isinstance(expr, n.Compare):
            with self.at(expr):
                return self.into(target, self.compare(expr, scope))
        if isinstance(expr, n.IsTest):
            with self.at(expr):
                return self.into(target, self.is_test(expr, scope))
        if isinstance(expr, n.Name):
            kind = self.symbols.resolve(expr.name, scope)
            if kind in ("condition", "rule"):
                return self.reference(expr.name, expr)
        if isinstance(expr, n.Literal) and isinstance(expr.value, bool):
            return repr(expr.value)
        with self.at(expr):  # a value used as a condition: true, false, absent (false) or an error
            value = self.into(target, self.value(expr, scope)[0])
            if self.unknown(expr, scope):
                fix = f"None if {value} is _U else _truth({value})"
            else:
                fix = f"_truth({value})"
            self.emit(f"if {value} is not True and {value} is not False: {value} = {fix}")
            return value

    def reference(self, name: str, node: n.Node | None = None) -> str:
        if name in self.lazy:
            return self.lazy_condition(name)
        slot = self.slots.get(id(node)) if node is not None else None
        if slot is not None or name in self.family_members:  # a rule whose value is kept by index
            where = slot if slot is not None else str(self.plan.rule_index[name])
            error = self.assign(f"_RE.get({where})")
            self.emit(f"if {error} is not None: raise {error}")
            # true if it fired (a family decided by its lookups alone keeps no values), else as kept
            return self.assign(f"True if _fired >> {where} & 1 else _RV.get({where}, False)")
        local = self.condition_locals.get(name) or self.rule_locals[name]
        self.emit(f"if {local}e is not None: raise {local}e")
        return local

    def lazy_condition(self, name: str) -> str:
        """A condition used in one place, computed there on first use (a short-circuit may skip it).

        Should it raise, the rule using it errors, and the memo stays unset: the condition is then
        computed (and fails) again only if that place is reached again, with the same error.
        """
        if self.indent > _LAZY_INDENT_LIMIT:
            raise _TooDeep(name)
        local = self.condition_locals[name]
        condition = self.plan.conditions[name]
        self.emit(f"# condition {name!r}, line {condition.span.line}, computed on first use")
        self.emit(f"if {local} is _NY:")
        with self.block():
            value = self.truth(condition.expr, {})
            self.emit(f"{local} = {value}")  # only once complete: a failure leaves the memo unset
        return local

    def connective(self, expr: n.And | n.Or, scope: Scope, target: str | None) -> str:
        is_and = isinstance(expr, n.And)
        stop = "False" if is_and else "True"
        three_valued = self.unknown(expr, scope)
        acc = target or self.tmp()
        first = self.truth(expr.operands[0], scope, acc)
        if first != acc:
            self.emit(f"{acc} = {first}")
        for operand in expr.operands[1:]:
            if not three_valued:
                self.emit(f"if {acc}:" if is_and else f"if not {acc}:")
                with self.block():
                    value = self.truth(operand, scope, acc)
                    if value != acc:
                        self.emit(f"{acc} = {value}")
                continue
            self.emit(f"if {acc} is not {stop}:")
            with self.block():
                value = self.truth(operand, scope)
                if self.unknown(operand, scope):
                    value = self.bind(value)
                    self.emit(f"if {value} is {stop}: {acc} = {stop}")
                    self.emit(f"elif {value} is None: {acc} = None")
                else:
                    self.emit(f"if {'not ' if is_and else ''}{value}: {acc} = {stop}")
        return acc

    def quantifier(self, expr: n.Quantifier, scope: Scope, target: str | None) -> str:
        result = target or self.tmp()
        with self.at(expr):
            source_code, shape = self.value(expr.source, scope)
            source = self.assign(source_code)
        variable = f"_v{self.variables}"
        self.variables += 1
        inner: Scope = {**scope, expr.variable: (variable, shape.element)}
        unknown_body = self.unknown(expr.body, inner)
        is_any = expr.kind == "any"
        found, default = ("True", "False") if is_any else ("False", "True")
        with self._unless_unknown(source, self.unknown(expr.source, scope), result):
            with self.at(expr):
                self.emit(f"if {source}.__class__ is not _list: {source} = _iter({source})")
            self.emit(f"{result} = {default}")
            self.emit(f"for {variable} in {source}:")
            with self.block():
                body = self.bind(self.truth(expr.body, inner))
                if unknown_body:
                    self.emit(f"if {body} is {found}:")
                elif is_any:
                    self.emit(f"if {body}:")
                else:
                    self.emit(f"if not {body}:")
                with self.block():
                    self.emit(f"{result} = {found}")
                    self.emit("break")
                if unknown_body:
                    self.emit(f"if {body} is None: {result} = None")
        return result

    @contextmanager
    def _unless_unknown(self, value: str, maybe: bool, result: str) -> Iterator[None]:
        if not maybe:
            yield
            return
        self.emit(f"if {value} is _U:")
        with self.block():
            self.emit(f"{result} = None")
        self.emit("else:")
        with self.block():
            yield

    # -- comparisons: each returns one expression, evaluated on the comparison's own line --

    def operands(self, left: n.Expr, right: n.Expr, scope: Scope, bind: bool) -> tuple[str, str]:
        """Both sides' code, in source order; bound to names when a caller needs them more than once."""
        left_code = self.value(left, scope)[0]
        if bind:
            left_code = self.bind(left_code)
        right_code = self.value(right, scope)[0]
        if bind:
            right_code = self.bind(right_code)
        return left_code, right_code

    @staticmethod
    def guard(unknowns: list[str], expr: str) -> str:
        if not unknowns:
            return expr
        return f"(None if {' or '.join(f'{u} is _U' for u in unknowns)} else {expr})"

    def compare(self, expr: n.Compare, scope: Scope) -> str:
        left, right, op = expr.left, expr.right, expr.op
        unknown_left, unknown_right = self.unknown(left, scope), self.unknown(right, scope)
        if op in ("in", "not in", "contains"):
            item_node, collection_node = (right, left) if op == "contains" else (left, right)
            fixed = self.literal_set(collection_node, scope)
            if fixed is not None:
                strings, items = fixed
                item = self.bind(self.value(item_node, scope)[0])
                test = f"(({item} in {strings}) if {item}.__class__ is _str else _member({item}, {items}))"
                unknowns = [item] if self.unknown(item_node, scope) else []
            else:
                left_code, right_code = self.operands(left, right, scope, True)
                item, collection = (right_code, left_code) if op == "contains" else (left_code, right_code)
                test = f"_member({item}, {collection})"
                # a string looked up in a list: Python's `in` is the language's (no `1 == true` there)
                if isinstance(self.static_value(item_node, scope)[1], str):
                    test = f"(({item} in {collection}) if {collection}.__class__ is _list else {test})"
                else:
                    strings_in_list = f"{item}.__class__ is _str and {collection}.__class__ is _list"
                    test = f"(({item} in {collection}) if {strings_in_list} else {test})"
                unknowns = [c for c, u in ((left_code, unknown_left), (right_code, unknown_right)) if u]
            return self.guard(unknowns, f"(not {test})" if op == "not in" else test)
        static_left, left_value = self.static_value(left, scope)
        static_right, right_value = self.static_value(right, scope)
        one_literal = static_left != static_right
        ordering = op not in ("==", "!=")
        left_code, right_code = self.operands(left, right, scope, unknown_left or unknown_right or ordering)
        unknowns = [c for c, u in ((left_code, unknown_left), (right_code, unknown_right)) if u]
        if not ordering:
            if one_literal:
                other, fixed_value = (right_code, left_value) if static_left else (left_code, right_value)
                test = self.equals_literal(other, fixed_value, left_code if static_left else right_code)
            else:
                test = f"_eq({left_code}, {right_code})"
            return self.guard(unknowns, f"(not {test})" if op == "!=" else test)
        test = f"_order({op!r}, {left_code}, {right_code})"
        if one_literal:
            other, fixed_value = (right_code, left_value) if static_left else (left_code, right_value)
            fast_type = None
            number = isinstance(fixed_value, int | float) and not isinstance(fixed_value, bool)
            if other in self.memo_locals and number:
                # a `max_score` result: `_scores` let through only numbers, absent and unknown
                return self.guard(unknowns, f"(False if {other} is None else {left_code} {op} {right_code})")
            if isinstance(fixed_value, int | float) and not isinstance(fixed_value, bool):
                # `x == x` leaves NaN to `_order`, which rejects it
                is_float = f"({other}.__class__ is _float and {other} == {other})"
                fast_type = f"({other}.__class__ is _int or {is_float})"
            elif isinstance(fixed_value, str):
                fast_type = f"{other}.__class__ is _str"
            if fast_type is not None:
                # the common cases inline: a number (or string) against the constant, or nothing there
                fast = f"({left_code} {op} {right_code})"
                test = f"({fast} if {fast_type} else False if {other} is None else {test})"
        return self.guard(unknowns, test)

    def equals_literal(self, other: str, value: object, code: str) -> str:
        """`other == value`, `code` being the literal's code (its row slot in a family's template)."""
        if isinstance(value, bool):
            return f"({other} is {value!r})"
        if isinstance(value, int | float) and value in (0, 1):
            return f"_eq({other}, {code})"  # Python says True == 1; the language does not
        return f"({other} == {code})"

    def is_test(self, expr: n.IsTest, scope: Scope) -> str:
        operand = expr.operand
        code = self.value(operand, scope)[0]
        if expr.test in ("missing", "present"):
            negate = expr.test == "present"
            if self.signal_root(operand, scope):
                return f"({code} is {'not ' if negate else ''}_U)"
            if self.unknown(operand, scope):
                value = self.bind(code)
                return f"(None if {value} is _U else {value} is {'not ' if negate else ''}None)"
            return f"({code} is {'not ' if negate else ''}None)"
        value = self.bind(code)
        test = f"((not {value}) if {value}.__class__ is _list else _is_empty({value}))"
        if expr.test == "not empty":
            test = f"(not {test})"
        return self.guard([value] if self.unknown(operand, scope) else [], test)

    # -- values: each returns an expression to embed once in the current line, and its shape --

    def value(self, expr: n.Expr, scope: Scope) -> tuple[str, Shape]:
        if isinstance(expr, n.Literal):
            return self.slots.get(id(expr)) or self.literal(expr.value), Shape()
        if isinstance(expr, n.ListLiteral):
            slots = self.list_slots.get(id(expr))
            return slots[1] if slots else self.constant("L", [i.value for i in expr.items]), Shape()
        if isinstance(expr, n.Name):
            return self.name_value(expr, scope)
        if isinstance(expr, n.Attribute):
            base_code, shape = self.value(expr.value, scope)
            base = self.bind(base_code)
            facts = self.plan.schema.field(shape, expr.name)
            key = repr(expr.name)
            if facts.default is None:
                return (
                    f"({base}.get({key}) if {base}.__class__ is _dict else _get({base}, {key}))",
                    facts.shape,
                )
            # `null` where the schema has a default reads as the default, as a field left out does
            default = self.literal(facts.default)
            found = self.tmp()
            read = f"({found} if ({found} := {base}.get({key})) is not None else {default})"
            return f"({read} if {base}.__class__ is _dict else _get({base}, {key}, {default}))", facts.shape
        if isinstance(expr, n.Call):
            return self.call(expr, scope), Shape()
        truth = self.truth(expr, scope)  # a condition used as a value: `(a > 1) == true`
        if self.unknown(expr, scope):
            truth = self.bind(truth)
            return f"(_U if {truth} is None else {truth})", Shape()
        return truth, Shape()

    def name_value(self, expr: n.Name, scope: Scope) -> tuple[str, Shape]:
        kind = self.symbols.resolve(expr.name, scope)
        if kind == "variable":
            return scope[expr.name]
        if kind == "constant":
            return self.slots.get(id(expr)) or self.literal(self.plan.constants[expr.name]), Shape()
        if kind == "list":
            slots = self.list_slots.get(id(expr))
            return slots[1] if slots else self.constant("L", list(self.plan.lists[expr.name])), Shape()
        if kind in ("condition", "rule"):
            local = self.reference(expr.name, expr)
            if self.unknown_name(expr.name):
                return f"(_U if {local} is None else {local})", Shape()
            return local, Shape()
        return self.field(expr.name), self.plan.schema.field(self.plan.schema.root, expr.name).shape

    def field(self, name: str) -> str:
        local = self.fields.get(name)
        if local is None:
            local = f"_f{len(self.fields)}"
            self.fields[name] = local
            facts = self.plan.schema.field(self.plan.schema.root, name)
            self.field_lines.append(f"{local} = ev.get({name!r})")
            if name in self.signals:
                self.field_lines.append(f"if {local} is None: {local} = _U")
            elif facts.default is not None:  # `null` reads as the default, as a field left out does
                self.field_lines.append(f"if {local} is None: {local} = {self.literal(facts.default)}")
        return local

    def compute_scores(self) -> None:
        """Every label's score at once, on the first `max_score` reached (the labels are known only once
        the whole ruleset is generated: `generate` fills in the targets)."""
        self.emit(f"if _ms is _NY: {_SCORES_MARK} = _ms = _scores({self.field('classifiers')})")

    def memo(self, label: str) -> int:
        """The place of `label` among the scores `_scores` computes (registered on first use)."""
        if label not in self.memos:
            memo = f"_m{len(self.memos)}"
            self.memos[label] = memo
            self.memo_locals.add(memo)
        return list(self.memos).index(label)

    def call(self, expr: n.Call, scope: Scope) -> str:
        with self.at(expr):
            argument = expr.args[0]
            if expr.function == "count":
                return self.assign(f"_count({self.value(argument, scope)[0]})")
            classifiers = self.field("classifiers")
            family = self.family
            position = family.param_of(argument) if family is not None else None
            # a label parameter only: a row's number (`max_score(1)`) is a value, not a place among the scores
            is_label = family is not None and position is not None and family.params[position].kind == "label"
            slot = self.slots.get(id(argument)) if is_label else None
            if slot is not None:  # a family's label: the row holds its place among the scores
                self.compute_scores()
                score = self.assign(f"_ms[{slot}]")
                self.emit(f"if {score}.__class__ is _TypeError: raise _TypeError(*{score}.args)")
                self.memo_locals.add(score)
                return score
            if isinstance(argument, n.Literal) and isinstance(argument.value, str):
                memo = self.memos.get(argument.value)
                if memo is None:
                    memo = f"_m{len(self.memos)}"
                    self.memos[argument.value] = memo
                    self.memo_locals.add(memo)
                # every label's score at once, on the first `max_score` reached (the labels are known
                # only once the whole ruleset is generated: `generate` fills in the targets)
                self.emit(f"if _ms is _NY: {_SCORES_MARK} = _ms = _scores({classifiers})")
                self.emit(f"if {memo}.__class__ is _TypeError: raise _TypeError(*{memo}.args)")
                return memo
            return self.assign(f"_max_score({classifiers}, {self.value(argument, scope)[0]})")


_SIMPLE = re.compile(
    r"-?(?:[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")"
)


_SCORES_MARK = "<scores>"
_SCORES_LINE = f"if _ms is _NY: {_SCORES_MARK} = "


def _score_function(labels: list[str]) -> list[str]:
    """`_scores(classifiers)`: the highest `ok` score of each label the ruleset names, in one pass, as a
    tuple in the order of `labels` (each a number, absent, or the TypeError `max_score` raises); the
    same as `runtime.score_table`, which the interpreter uses, but only for these labels."""
    best = [f"_a{i}" for i in range(len(labels))]

    def every(value: str) -> str:
        return _tuple([value] * len(labels))

    out = [
        "def _scores(cl):",
        f"    if cl is _U or cl is None: return {every('cl')}",
        "    if cl.__class__ is not _list and not _is_list(cl):",
        "        _e = _not_list(cl)",
        f"        return {every('_e')}",
        f"    {' = '.join(best)} = None",
        "    for _s in cl:",
        "        if _s.__class__ is not _dict and not _is_mapping(_s):",
        "            _e = _not_object(_s)",  # a bad signal anywhere fails every label, the first one named
        f"            return {every('_e')}",
        "        if _s.get('status', 'ok') != 'ok': continue",
        "        _sc = _s.get('score')",
        "        if _sc is None: continue",
        "        _l = _s.get('label')",
    ]
    # a float that is not NaN, or an int, passes without a call; anything else asks `_is_number`
    not_number = (
        "(_sc.__class__ is not _float or _sc != _sc) and _sc.__class__ is not _int and not _is_number(_sc)"
    )
    for i, label in enumerate(labels):
        a = best[i]
        out += [
            f"        {'if' if i == 0 else 'elif'} _l == {label!r}:",
            f"            if {not_number}:",
            f"                if {a}.__class__ is not _TypeError: {a} = _not_score(_l, _sc)",
            f"            elif {a} is None or ({a}.__class__ is not _TypeError and _sc > {a}): {a} = _sc",
        ]
    out.append(f"    return {_tuple(best)}")
    return out


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _is_simple(expr: str) -> bool:
    """A name or a literal (as `repr` writes them): matched by pattern, as parsing each costs a `compile`."""
    return _SIMPLE.fullmatch(expr) is not None


__all__ = ["CompiledRuleset", "GeneratedCode", "compile_plan", "compile_ruleset", "generate"]
