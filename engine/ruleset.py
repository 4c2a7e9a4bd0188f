"""Loading a checked ruleset, and the plan both evaluators follow.

`load_checked` turns a path, a directory, several paths or the name of a shipped ruleset into a
`CheckedRuleset`, or raises `RulesetError` with every diagnostic. `Plan.build` prepares what the compiled
code and the interpreter share and must agree on: the rules in name order (so no decision depends on the
order of rules or files), their resolved actions, the order in which conditions and rules depend on each
other, which signals each `when` reads, and the schema facts that give a left-out field its default.
Anything the engine cannot evaluate becomes a `RulesetError`, never a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import operator
import re
import time
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import UnionType
from typing import Any

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import CheckedRuleset, check
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticCode, render_all
from ruleward.dsl.formatter import canonical_text
from ruleward.dsl.loader import RULESET_SUFFIX, LoadedRuleset, load, parse_sources
from ruleward.dsl.source import NO_SPAN, SourceFile, Span
from ruleward.dsl.symbols import FUNCTIONS, Symbols
from ruleward.dsl.types import is_signal, json_default, nested_signals
from ruleward.dsl.vocabulary import ACTIONS, PRIORITIES
from ruleward.engine import decision as decisions
from ruleward.engine import runtime as rt
from ruleward.engine.action_table import ActionTable
from ruleward.engine.bits import set_bits
from ruleward.engine.decision import (
    Action,
    Decision,
    EvalError,
    Match,
    Outcome,
    RulesetInfo,
)
from ruleward.engine.events import ModerationEvent

CANNOT_COMPILE = DiagnosticCode("E901", "cannot-compile", "a ruleset the engine cannot evaluate")
ENGINE_CYCLE = DiagnosticCode("E902", "engine-cycle", "conditions or rules that depend on themselves")
BAD_ACTION = DiagnosticCode("E903", "engine-bad-action", "an action the engine cannot carry out")

SHIPPED_PACKAGE = "ruleward.rulesets"
_log = logging.getLogger("ruleward.engine")

DEFAULT_FALLBACK: tuple[Action, ...] = (
    Action("hold"),
    Action("review", {"queue": "signals_retry", "priority": "P2"}),
)
_clock = time.perf_counter_ns
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Source = str | Path | Sequence[str | Path]


class RulesetError(Exception):
    """A ruleset that cannot be loaded or compiled; `str()` renders every diagnostic with its source line."""

    def __init__(self, diagnostics: Sequence[Diagnostic], texts: Mapping[str, str]) -> None:
        self.diagnostics = tuple(diagnostics)
        self.texts = dict(texts)
        super().__init__(str(self))

    def __str__(self) -> str:
        return render_all(self.diagnostics, self.texts) or "the ruleset cannot be loaded"


# ---- loading ----------------------------------------------------------------------------------------------


def load_checked(source: Source, schema: type[BaseModel] | None = None) -> CheckedRuleset:
    """Load, parse and check a ruleset; raise `RulesetError` if it has errors."""
    loaded = _load(source)
    checked = check(loaded, schema if schema is not None else ModerationEvent)
    if not checked.ok:
        raise RulesetError(checked.diagnostics, checked.texts)
    return checked


def _load(source: Source) -> LoadedRuleset:
    items: list[str | Path] = [source] if isinstance(source, str | Path) else list(source)
    paths: list[Path] = []
    shipped: list[SourceFile] = []
    for item in items:
        path = Path(item)
        if path.exists() or not isinstance(item, str) or _NAME.fullmatch(item) is None:
            paths.append(path)
            continue
        folder = resources.files(SHIPPED_PACKAGE).joinpath(item)
        if not folder.is_dir():
            paths.append(path)  # the loader reports that it does not exist
        elif isinstance(folder, Path):
            paths.append(folder)
        else:  # a zipped install: read the files through importlib.resources
            shipped.extend(_read_traversable(folder, item))
    loaded = load(paths)
    if not shipped:
        return loaded
    extra = parse_sources(shipped)
    modules = (*loaded.ruleset.modules, *extra.ruleset.modules)
    return LoadedRuleset(
        n.Ruleset(modules),
        {**loaded.sources, **extra.sources},
        (*loaded.diagnostics, *extra.diagnostics),
    )


def _read_traversable(folder: Traversable, prefix: str) -> list[SourceFile]:
    out: list[SourceFile] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            out.extend(_read_traversable(entry, f"{prefix}/{entry.name}"))
        elif entry.name.endswith(RULESET_SUFFIX):
            out.append(SourceFile(f"{prefix}/{entry.name}", entry.read_text(encoding="utf-8")))
    return out


def ruleset_digest(checked: CheckedRuleset) -> str:
    """sha256 of the ruleset's canonical text: the same rules give the same digest, however formatted.

    Should the formatter fail on a ruleset (a bug), the digest is of the source texts instead (in a stable
    order, without their paths), and a warning says so.
    """
    try:
        text = canonical_text(checked.ruleset)
    except Exception:
        _log.warning("ruleward: no canonical text for the digest; digesting the source texts", exc_info=True)
    else:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    digest = hashlib.sha256()
    for text in sorted(checked.texts.values()):
        data = text.encode("utf-8")
        digest.update(f"{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


# ---- the event schema, as the evaluators need it ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """What a path holds, as far as defaults go: an object of `model`, or a list of them."""

    model: type[BaseModel] | None = None
    is_list: bool = False

    @property
    def element(self) -> Shape:
        return Shape(self.model) if self.is_list else Shape()


@dataclass(frozen=True, slots=True)
class FieldFacts:
    default: object  # what a left-out field reads as (None: absent)
    shape: Shape
    signal: bool


_NO_FIELD = FieldFacts(None, Shape(), False)


class SchemaView:
    """Defaults, nested models and signal marks of the event schema, looked up by path step."""

    def __init__(self, schema: type[BaseModel]) -> None:
        self.schema = schema
        self.root = Shape(schema)
        self._cache: dict[tuple[type[BaseModel], str], FieldFacts] = {}
        self.signals = frozenset(name for name in schema.model_fields if self.field(self.root, name).signal)

    def field(self, owner: Shape, name: str) -> FieldFacts:
        model = owner.model
        if model is None or owner.is_list:
            return _NO_FIELD
        key = (model, name)
        found = self._cache.get(key)
        if found is None:
            found = self._facts(model, name, top=model is self.schema)
            self._cache[key] = found
        return found

    def _facts(self, model: type[BaseModel], name: str, *, top: bool) -> FieldFacts:
        info = model.model_fields.get(name)
        if info is None:
            return _NO_FIELD
        signal = top and is_signal(info)
        default: object = None
        if not signal and not info.is_required():
            default = json_default(info)
        return FieldFacts(default, _shape(info.annotation), signal)


def _shape(annotation: Any) -> Shape:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin is typing.Union or origin is UnionType:
        for option in args:
            found = _shape(option)
            if found.model is not None:
                return found
        return Shape()
    if origin in (list, tuple, set, frozenset, Sequence) and args:
        inner = _shape(args[0])
        return Shape(inner.model, True) if inner.model is not None and not inner.is_list else Shape()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Shape(annotation)
    return Shape()


# ---- the plan ---------------------------------------------------------------------------------------------


_rule_of = operator.itemgetter(0)


class _OutcomeTables:
    """Per rule, what a decision takes from it when it fires, laid out for `Plan.outcome`: the bits of its
    actions in the ruleset's `ActionTable` (engine/action_table.py), so that the actions of a set of fired
    rules are an OR of ints, combined once per distinct set of actions."""

    def __init__(self, rules: Sequence[RulePlan], fallback: Sequence[Action]) -> None:
        self.enforce = sum(1 << rule.index for rule in rules if not rule.shadow)
        self.matches = [rule.match for rule in rules]
        self.actions = ActionTable([*(a for rule in rules for a in rule.actions), *fallback])
        self.action_masks = [self.actions.mask(rule.actions) for rule in rules]
        self.fallback_mask = self.actions.mask(fallback)


@dataclass(frozen=True)
class RulePlan:
    index: int
    rule: n.Rule
    shadow: bool
    actions: tuple[Action, ...]
    match: Match
    # the signals each clause reads, directly or through conditions and rules (for unknown messages)
    when_signals: tuple[str, ...]
    unless_signals: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.rule.name


@dataclass
class Plan:
    checked: CheckedRuleset
    info: RulesetInfo
    schema: SchemaView
    rules: tuple[RulePlan, ...]
    rule_index: dict[str, int]
    conditions: dict[str, n.Condition]
    constants: dict[str, n.Scalar]
    lists: dict[str, tuple[n.Scalar, ...]]
    # ("condition" | "rule", name): every condition a rule needs and every rule, dependencies first
    order: tuple[tuple[str, str], ...]
    # each condition and rule -> the conditions and rules it refers to directly (families schedule by it)
    dependencies: dict[str, set[str]]
    referenced_rules: frozenset[str]
    fallback: tuple[Action, ...]
    texts: dict[str, str]
    # the outcome of each set of fired rules (a bit mask) seen, without and with the fallback
    _outcomes: dict[int, Outcome] = field(default_factory=dict)
    _fallback_outcomes: dict[int, Outcome] = field(default_factory=dict)
    _tables: _OutcomeTables | None = None
    # the error of each rule's clause unknown, by which signals any rule reads are missing (`_absent`), then
    # by the rule's index (`when`) or its complement (`unless`): int keys, as a large ruleset has hundreds
    _unknown_errors: dict[tuple[bool, ...], dict[int, EvalError]] = field(default_factory=dict)
    _read_signals: tuple[str, ...] | None = None
    # whole error lists of events with only unknowns, by (raw errors, which signals are missing)
    _error_lists: dict[tuple[object, ...], tuple[tuple[EvalError, ...], bool]] = field(default_factory=dict)

    @property
    def symbols(self) -> Symbols:
        return self.checked.symbols

    # -- building --

    @classmethod
    def build(cls, checked: CheckedRuleset, digest: str | None = None) -> Plan:
        return _Builder(checked).build(digest if digest is not None else ruleset_digest(checked))

    # -- turning an evaluation into a decision --

    def outcome(self, fired: int, fallback: bool) -> Outcome:
        """The shared part of the decision for a set of fired rules (a bit mask); cached."""
        cache = self._fallback_outcomes if fallback else self._outcomes
        found = cache.get(fired)
        if found is not None:
            return found
        tables = self._tables
        if tables is None:
            tables = self._tables = _OutcomeTables(self.rules, self.fallback)
        enforced = set_bits(fired & tables.enforce)
        shadow = (
            tuple(self.rules[i].name for i in set_bits(fired & ~tables.enforce))
            if fired & ~tables.enforce
            else ()
        )
        actions = functools.reduce(
            operator.or_,
            map(tables.action_masks.__getitem__, enforced),
            tables.fallback_mask if fallback else 0,
        )
        disposition, account, obligations = tables.actions.combine_mask(actions)
        found = Outcome(
            disposition, account, obligations, tuple(map(tables.matches.__getitem__, enforced)), shadow
        )
        if len(cache) < 4096:  # a bound, not an LRU: distinct fired sets are few in practice
            cache[fired] = found
        return found

    def errors(
        self, data: Mapping[str, object] | None, raw: Sequence[tuple[int, object]]
    ) -> tuple[tuple[EvalError, ...], bool]:
        """Readable errors from what an evaluator recorded: (rule index, `when`/`unless`/EvalFailure), and
        whether one is an enforce-mode rule's (then the fallback applies)."""
        absent = self._absent(data)
        for _, what in raw:
            if what.__class__ is not str:
                return self._errors(data, raw, absent)
        # only unknowns: they depend on nothing but which rules and which signals, so recur event to event
        key = (tuple(raw), absent)
        found = self._error_lists.get(key)
        if found is None:
            found = self._errors(data, raw, absent)
            if len(self._error_lists) < 256:
                self._error_lists[key] = found
        return found

    def _absent(self, data: Mapping[str, object] | None) -> tuple[bool, ...]:
        """Which of the signals any rule reads are missing: all an unknown's message depends on."""
        names = self._read_signals
        if names is None:
            read = {s for rule in self.rules for s in (*rule.when_signals, *rule.unless_signals)}
            names = self._read_signals = tuple(sorted(read))
        if data is None:
            return (True,) * len(names)
        return tuple(map(operator.is_, itertools.repeat(None, len(names)), map(data.get, names)))

    def _errors(
        self, data: Mapping[str, object] | None, raw: Sequence[tuple[int, object]], absent: tuple[bool, ...]
    ) -> tuple[tuple[EvalError, ...], bool]:
        out: list[EvalError] = []
        known = self._unknown_errors.get(absent)
        if known is None:
            known = {}
            if len(self._unknown_errors) < 256:
                self._unknown_errors[absent] = known
        for index, what in sorted(raw, key=_rule_of):
            if what.__class__ is str:  # the same few unknowns recur on every event missing a signal
                error = known.get(index if what == "when" else ~index)
                if error is None:
                    error = known[index if what == "when" else ~index] = self._unknown_error(
                        data, index, str(what)
                    )
                out.append(error)
            elif isinstance(what, rt.EvalFailure):
                out.append(EvalError(self.rules[index].name, what.message, what.span))
            else:
                out.append(self._unknown_error(data, index, str(what)))
        return tuple(out), any(not self.rules[i].shadow for i, _ in raw)

    def _unknown_error(self, data: Mapping[str, object] | None, index: int, clause: str) -> EvalError:
        rule = self.rules[index]
        signals = rule.when_signals if clause == "when" else rule.unless_signals
        missing = [s for s in signals if data is None or data.get(s) is None]
        expr = rule.rule.when if clause == "when" else rule.rule.unless
        span = expr.span if expr is not None else None
        return EvalError(rule.name, rt.unknown_message(clause, missing), span)

    def decide(
        self,
        data: Mapping[str, object] | None,
        fired: int,
        raw_errors: Sequence[tuple[int, object]],
        started_ns: int,
        *,
        event_errors: Sequence[EvalError] = (),
        trace_id: str | None = None,
    ) -> Decision:
        if raw_errors or event_errors:
            error_tuple, fallback = self.errors(data, raw_errors) if raw_errors else ((), False)
            if event_errors:
                error_tuple = (*event_errors, *error_tuple)
                fallback = True
            outcome = (self._fallback_outcomes if fallback else self._outcomes).get(fired) or self.outcome(
                fired, fallback
            )
        else:
            outcome = self._outcomes.get(fired) or self.outcome(fired, False)
            error_tuple = ()
        event_id = data.get("event_id") if data is not None else None
        # `make_decision`, inlined: this is the hot path
        decision = Decision()
        decision._outcome = outcome
        decision._errors = error_tuple
        decision._event_id = event_id if event_id.__class__ is str else None
        decision._ruleset = self.info
        decision._id = decisions.next_decision_number()
        decision.trace_id = trace_id
        decision._elapsed_us = (_clock() - started_ns + 999) // 1000
        return decision


class _Builder:
    def __init__(self, checked: CheckedRuleset) -> None:
        self.checked = checked
        self.diagnostics: list[Diagnostic] = []
        self.symbols = checked.symbols
        self.schema = SchemaView(checked.schema)
        self.signals = self.schema.signals
        self._found: dict[int, tuple[set[str], set[str]]] = {}  # by id: the expressions outlive the build
        self._calls: dict[int, list[n.Call]] = {}  # by id too: each expression's calls, in source order
        # condition or rule -> the signals it reads, through everything it refers to
        self._actions: dict[tuple[str, tuple[tuple[str, str, object], ...]], Action] = {}
        self._closure: dict[str, frozenset[str]] = {}
        # actions by how they are spelled (see `_action_of`)
        self._resolved: dict[tuple[object, ...], Action] = {}

    def fail(self, code: DiagnosticCode, span: Span | None, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(code.at(span, message, hint))

    def build(self, digest: str) -> Plan:
        ruleset = self.checked.ruleset
        header = ruleset.header
        if header is None:
            self.fail(CANNOT_COMPILE, None, "the ruleset has no `ruleset` header", "add `ruleset NAME ...`")
        self._check_signal_marks()
        self._check_duplicates()
        constants = {c.name: c.value.value for c in ruleset.constants}
        lists = {x.name: tuple(item.value for item in x.items.items) for x in ruleset.lists}
        rules = sorted(self.symbols.rules.values(), key=lambda r: r.name)
        deps = self._dependencies()
        order = self._order(deps, [r.name for r in rules])
        referenced = frozenset(d for name, ds in deps.items() for d in ds if d in self.symbols.rules)
        plans = tuple(self._rule(i, rule, constants) for i, rule in enumerate(rules))
        fallback = DEFAULT_FALLBACK
        if header is not None and header.fallback is not None:
            fallback = tuple(self._action(a, constants) for a in header.fallback)
        self._check_functions()
        if self.diagnostics:
            raise RulesetError(self.diagnostics, self.checked.texts)
        assert header is not None
        info = RulesetInfo(header.name, header.version.value if header.version else None, digest)
        return Plan(
            checked=self.checked,
            info=info,
            schema=self.schema,
            rules=plans,
            rule_index={p.name: p.index for p in plans},
            conditions=dict(self.symbols.conditions),
            constants=constants,
            lists=lists,
            order=order,
            dependencies=deps,
            referenced_rules=referenced,
            fallback=fallback,
            texts=self.checked.texts,
        )

    def _check_signal_marks(self) -> None:
        # A signal's null reads as unknown only at the top of the event, in every evaluator; a mark deeper
        # down would promise what none of them does, so it is refused rather than quietly ignored.
        for found in nested_signals(self.checked.schema):
            self.fail(
                CANNOT_COMPILE,
                None,
                f"`{found.path}` (`{found.owner}.{found.name}`) is marked as a signal (`x-ruleward-signal`) "
                "below the top level of the event",
                "signals must be top-level fields of the event: move the field up, or remove the mark",
            )

    def _check_duplicates(self) -> None:
        seen: dict[str, n.Declaration] = {}
        for declaration in self.checked.ruleset.declarations():
            if isinstance(declaration, n.Constant | n.NamedList | n.Condition | n.Rule):
                if declaration.name in seen:
                    self.fail(
                        CANNOT_COMPILE,
                        declaration.name_span,
                        f"`{declaration.name}` is declared twice",
                        "give each constant, list, condition and rule its own name",
                    )
                seen[declaration.name] = declaration

    def _check_functions(self) -> None:
        for expr in self._expressions():
            self._references(expr)  # records the expression's calls, on the walk that finds its references
            for node in self._calls[id(expr)]:
                arity = FUNCTIONS.get(node.function)
                if arity is None:
                    self.fail(
                        CANNOT_COMPILE,
                        node.span,
                        f"unknown function `{node.function}`",
                        f"the functions are {', '.join(f'`{f}`' for f in FUNCTIONS)}",
                    )
                elif len(node.args) != arity[0]:
                    self.fail(
                        CANNOT_COMPILE,
                        node.span,
                        f"`{node.function}` takes {arity[0]} argument, given {len(node.args)}",
                        None,
                    )

    def _expressions(self) -> list[n.Expr]:
        out: list[n.Expr] = [c.expr for c in self.symbols.conditions.values()]
        for rule in self.symbols.rules.values():
            out.extend(e for e in (rule.when, rule.unless) if e is not None)
        return out

    # -- dependencies between conditions and rules, and the signals they read --

    def _references(self, expr: n.Expr) -> tuple[set[str], set[str]]:
        """(conditions and rules, signals) an expression refers to directly (do not change the sets)."""
        found = self._found.get(id(expr))
        if found is None:
            found = self._found[id(expr)] = self._walk_references(expr)
        return found

    def _walk_references(self, expr: n.Expr) -> tuple[set[str], set[str]]:
        """One walk of `expr` in source order (as `n.walk`), its calls recorded for `_check_functions`.

        The common kinds of node are taken apart here rather than by `n.children`, which reads every field
        of every node: the walk runs over every expression of the ruleset on every load.
        """
        names: set[str] = set()
        signals: set[str] = set()
        calls: list[n.Call] = []
        resolve = self.symbols.resolve
        reads_classifiers = "classifiers" in self.signals
        stack: list[tuple[n.Node, frozenset[str]]] = [(expr, frozenset())]
        while stack:
            node, scope = stack.pop()
            if type(node) is n.Name:
                kind = resolve(node.name, scope)
                if kind == "condition" or kind == "rule":
                    names.add(node.name)
                elif kind == "field" and node.name in self.signals:
                    signals.add(node.name)
            elif type(node) is n.Compare:
                stack += ((node.right, scope), (node.left, scope))
            elif type(node) is n.Literal:
                pass
            elif type(node) is n.Attribute:
                stack.append((node.value, scope))
            elif type(node) is n.And or type(node) is n.Or:
                stack += [(operand, scope) for operand in reversed(node.operands)]
            elif type(node) is n.Not or type(node) is n.IsTest:
                stack.append((node.operand, scope))
            elif type(node) is n.Call:
                calls.append(node)
                if reads_classifiers and node.function == "max_score":
                    signals.add("classifiers")
                stack += [(arg, scope) for arg in reversed(node.args)]
            elif type(node) is n.Quantifier:
                stack += ((node.body, scope | {node.variable}), (node.source, scope))
            elif isinstance(node, n.Node):  # a list literal, or a kind of node added later
                stack += [(child, scope) for child in reversed(n.children(node))]
        self._calls[id(expr)] = calls
        return names, signals

    def _dependencies(self) -> dict[str, set[str]]:
        deps: dict[str, set[str]] = {}
        for name, condition in self.symbols.conditions.items():
            deps[name] = set(self._references(condition.expr)[0])
        for name, rule in self.symbols.rules.items():
            found: set[str] = set()
            for expr in (rule.when, rule.unless):
                if expr is not None:
                    found |= self._references(expr)[0]
            deps[name] = found
        return deps

    def _order(self, deps: dict[str, set[str]], roots: list[str]) -> tuple[tuple[str, str], ...]:
        order: list[tuple[str, str]] = []
        state: dict[str, int] = {}  # 1: being visited, 2: done
        for root in roots:
            stack: list[tuple[str, list[str]]] = [(root, sorted(deps.get(root, ())))]
            if state.get(root) == 2:
                continue
            state[root] = 1
            while stack:
                name, pending = stack[-1]
                if pending:
                    nxt = pending.pop(0)
                    if state.get(nxt) == 1:
                        declaration = self.symbols.conditions.get(nxt) or self.symbols.rules.get(nxt)
                        self.fail(
                            ENGINE_CYCLE,
                            declaration.name_span if declaration else None,
                            f"`{nxt}` depends on itself",
                            "break the cycle: a condition or rule cannot refer back to itself",
                        )
                        return tuple(order)
                    if state.get(nxt) is None:
                        state[nxt] = 1
                        stack.append((nxt, sorted(deps.get(nxt, ()))))
                    continue
                stack.pop()
                state[name] = 2
                order.append(("rule" if name in self.symbols.rules else "condition", name))
        return tuple(order)

    def _signals_of(self, expr: n.Expr | None) -> tuple[str, ...]:
        """The signals `expr` reads, directly or through the conditions and rules it refers to."""
        if expr is None:
            return ()
        names, found = self._references(expr)
        out = set(found)
        for name in names:
            out |= self._signals_of_name(name)
        return tuple(sorted(out))

    def _signals_of_name(self, root: str) -> frozenset[str]:
        """The signals a condition or rule reads, through everything it refers to; memoised per build.

        Without the memo every rule walked its whole chain of references again: a chain of n rules, each
        referring to the one before, cost n^2 steps. Iterative, so a long chain cannot overflow the stack.
        """
        closure = self._closure
        visiting: set[str] = set()
        stack = [root]
        while stack:
            name = stack[-1]
            if name in closure:
                stack.pop()
                continue
            names, signals = self._declared_references(name)
            if name not in visiting:
                visiting.add(name)
                pending = [d for d in names if d not in closure and d not in visiting]
                if pending:
                    stack.extend(pending)
                    continue
            found = set(signals)
            for dependency in names:
                # absent only inside a cycle, which `_order` reports (E902): the build fails anyway
                found |= closure.get(dependency, frozenset())
            closure[name] = frozenset(found)
            visiting.discard(name)
            stack.pop()
        return closure[root]

    def _declared_references(self, name: str) -> tuple[set[str], set[str]]:
        """(conditions and rules, signals) the declaration `name` refers to directly."""
        condition = self.symbols.conditions.get(name)
        if condition is not None:
            return self._references(condition.expr)
        rule = self.symbols.rules.get(name)
        names: set[str] = set()
        signals: set[str] = set()
        for expr in (rule.when, rule.unless) if rule is not None else ():
            if expr is not None:
                found = self._references(expr)
                names |= found[0]
                signals |= found[1]
        return names, signals

    # -- rules and actions --

    def _rule(self, index: int, rule: n.Rule, constants: dict[str, n.Scalar]) -> RulePlan:
        mode = rule.mode.name if rule.mode is not None else "enforce"
        if mode not in ("enforce", "shadow"):
            self.fail(
                CANNOT_COMPILE,
                rule.mode.span if rule.mode else None,
                f"unknown mode `{mode}`",
                "write `mode enforce` or `mode shadow`",
            )
        actions = tuple(self._action_of(a, constants) for a in rule.actions)
        match = Match(
            rule.name,
            rule.tier.name if rule.tier is not None else None,
            rule.cite.value if rule.cite is not None else None,
            actions,
        )
        return RulePlan(
            index,
            rule,
            mode == "shadow",
            actions,
            match,
            self._signals_of(rule.when),
            self._signals_of(rule.unless),
        )

    def _action_of(self, action: n.Action, constants: dict[str, n.Scalar]) -> Action:
        """`_action`, remembered for actions spelled alike: rules repeat a few actions many times over, and
        checking one and building its `Action` costs more than the rest of the rule's plan."""
        key = (action.name, *(_argument_key(a) for a in action.args))
        found = self._resolved.get(key)
        if found is None:
            reported = len(self.diagnostics)
            found = self._action(action, constants)
            if len(self.diagnostics) == reported:  # one with errors is checked again, to report each place
                self._resolved[key] = found
        return found

    def _action(self, action: n.Action, constants: dict[str, n.Scalar]) -> Action:
        spec = ACTIONS.get(action.name)
        if spec is None:
            self.fail(BAD_ACTION, action.span, f"unknown action `{action.name}`", "see the action vocabulary")
            return Action("allow")
        params: dict[str, n.Scalar] = {}
        for argument in action.args:
            param = spec.param(argument.name)
            if param is None:
                self.fail(
                    BAD_ACTION, argument.span, f"`{action.name}` has no argument `{argument.name}`", None
                )
                continue
            value: n.Scalar | None
            if isinstance(argument.value, n.Symbol):
                symbol = argument.value.name
                if symbol in constants:
                    value = constants[symbol]
                elif param.kind == "priority" and symbol in PRIORITIES:
                    value = symbol
                else:
                    value = None
                    self.fail(BAD_ACTION, argument.span, f"`{symbol}` is not a constant", None)
            else:
                value = argument.value.value
            if value is None:
                continue
            problem = _param_problem(param.kind, value, param.minimum, param.maximum)
            if problem:
                self.fail(BAD_ACTION, argument.span, f"`{action.name}({argument.name}: ...)` {problem}", None)
                continue
            params[argument.name] = value
        for param in spec.params:
            if (
                param.required
                and param.name not in params
                and not any(a.name == param.name for a in action.args)
            ):
                self.fail(BAD_ACTION, action.span, f"`{action.name}` needs the argument `{param.name}`", None)
        # one object per distinct action: combining the actions of many fired rules skips repeats by identity
        identity = (action.name, tuple((k, type(v).__name__, v) for k, v in sorted(params.items())))
        return self._actions.setdefault(identity, Action(action.name, params))


def _argument_key(argument: n.Argument) -> tuple[object, ...]:
    # the type goes in the key: `1`, `1.0` and `true` are equal in Python, but not the same argument
    value = argument.value
    if isinstance(value, n.Symbol):
        return (argument.name, n.Symbol, value.name)
    return (argument.name, type(value.value), value.value)


def _param_problem(kind: str, value: n.Scalar, minimum: int | None, maximum: int | None) -> str | None:
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"needs a whole number, given {rt.show(value)}"
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            return f"is {value}, outside {minimum}..{maximum}"
        return None
    if kind == "priority":
        return (
            None if value in PRIORITIES else f"needs one of {', '.join(PRIORITIES)}, given {rt.show(value)}"
        )
    return None if isinstance(value, str) else f"needs a string, given {rt.show(value)}"


def nowhere(checked: CheckedRuleset) -> Span:
    header = checked.ruleset.header
    return header.name_span if header is not None else NO_SPAN


__all__ = [
    "CANNOT_COMPILE",
    "FieldFacts",
    "Plan",
    "RulePlan",
    "RulesetError",
    "SchemaView",
    "Shape",
    "load_checked",
    "ruleset_digest",
]
