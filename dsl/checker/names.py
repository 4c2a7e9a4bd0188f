"""Names: each declared once, none hiding an event field, every bare name defined, every constant, list
and condition used."""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, listing, suggestion, where
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.symbols import DECISION_ROOT

DUPLICATE_NAME = DiagnosticCode("E103", "duplicate-name", "two declarations with the same name")
SHADOWS_FIELD = DiagnosticCode(
    "E104", "name-shadows-field", "a declaration named like a top-level event field, which it would hide"
)
UNDEFINED_NAME = DiagnosticCode(
    "E105", "undefined-name", "a name that is not declared and not an event field"
)
UNUSED = DiagnosticCode("W103", "unused-declaration", "a constant, list or condition nothing refers to")

_NULL_WORDS = {"null", "none", "nil", "undefined"}
_NULL_HINT = "there is no null value: test `x is missing` (null or absent) or `x is present`"

_KIND = {n.Constant: "constant", n.NamedList: "list", n.Condition: "condition", n.Rule: "rule"}
_TEST_KIND = {n.Test: "test", n.Invariant: "invariant"}


def run(ctx: Context) -> None:
    _duplicates(ctx)
    _shadowing(ctx)
    if ctx.complete:
        _undefined(ctx)
        _unused(ctx)


def kind_of(declaration: n.Declaration) -> str:
    return {**_KIND, **_TEST_KIND}.get(type(declaration), "declaration")


def _duplicates(ctx: Context) -> None:
    # rules, conditions, lists and constants share one namespace (a bare name means one of them);
    # tests and invariants share another
    Named = n.Constant | n.NamedList | n.Condition | n.Rule | n.Test | n.Invariant
    names: dict[str, Named] = {}
    tests: dict[str, Named] = {}
    for declaration in ctx.declarations:
        if isinstance(declaration, n.Test | n.Invariant):
            first = tests.setdefault(declaration.name, declaration)
        elif isinstance(declaration, n.Constant | n.NamedList | n.Condition | n.Rule):
            first = names.setdefault(declaration.name, declaration)
        else:
            continue
        if first is declaration:
            continue
        kind, first_kind = kind_of(declaration), kind_of(first)
        also = "" if kind == first_kind else f" (a {first_kind})"
        ctx.emit(
            DUPLICATE_NAME.at(
                declaration.name_span,
                f"{kind} `{declaration.name}` is already declared{also}",
                "give it another name; each name is declared once across all files of the ruleset",
            ),
            f"`{first.name}` is first declared at {where(first.name_span)}",
        )


def _shadowing(ctx: Context) -> None:
    for declaration in ctx.declarations:
        if not isinstance(declaration, n.Constant | n.NamedList | n.Condition | n.Rule):
            continue
        if declaration.name in ctx.event.fields:
            ctx.emit(
                SHADOWS_FIELD.at(
                    declaration.name_span,
                    f"{kind_of(declaration)} `{declaration.name}` has the name of the event field "
                    f"`{declaration.name}`",
                    "a declared name hides the event field in every expression: rename it",
                )
            )
        elif declaration.name == DECISION_ROOT:
            ctx.emit(
                SHADOWS_FIELD.at(
                    declaration.name_span,
                    f"{kind_of(declaration)} `{DECISION_ROOT}` would hide the decision in invariants",
                    f"`{DECISION_ROOT}` is reserved: rename it",
                )
            )


def quantifier_variables(owner: n.Node) -> set[str]:
    return {node.variable for node in n.walk(owner) if isinstance(node, n.Quantifier)}


def _undefined(ctx: Context) -> None:
    variables_of: dict[int, set[str]] = {}
    declared, fields = ctx.declared, ctx.event.fields
    for site in ctx.sites:
        index = ctx.index(site)
        labels: set[int] | None = None
        for node, scope in index.names:
            name = node.name
            # what `Symbols.resolve` finds: a variable, a declaration, or `decision` in `always`; else a
            # field, which is defined when the event has it (`decision` outside `always` is the types pass's)
            if name in scope or name in declared or name in fields or name == DECISION_ROOT:
                continue
            if labels is None:
                # `max_score(csam)` is a label without quotes, which the types pass explains better
                labels = {
                    id(arg) for call in index.calls if call.function == "max_score" for arg in call.args
                }
            if id(node) in labels:
                continue
            owner_variables = variables_of.setdefault(id(site.owner), quantifier_variables(site.owner))
            if name in owner_variables:
                continue  # a variable used outside its quantifier: the scope pass explains it
            candidates = [*scope, *declared, *fields]
            hint = (
                _NULL_HINT
                if name.lower() in _NULL_WORDS
                else suggestion(
                    name,
                    candidates,
                    "declare it with `const`, `list` or `condition`, or use an event field: "
                    + listing(fields),
                )
            )
            ctx.emit(UNDEFINED_NAME.at(node.span, f"`{name}` is not defined", hint))


def referenced_names(ctx: Context) -> set[str]:
    """Declared names that some expression, action argument or test refers to (variables excluded)."""
    used: set[str] = set()
    declared = ctx.declared
    for site in ctx.sites:
        index = ctx.index(site)
        for node, scope in index.names:
            if node.name in declared and node.name not in scope:
                used.add(node.name)
        for call in index.calls:
            if call.function in declared:
                used.add(call.function)  # `cond()` is reported as a call; it still means `cond`
    for action in _actions(ctx.declarations):
        for arg in action.args:
            if isinstance(arg.value, n.Symbol):
                used.add(arg.value.name)
    return used


def all_actions(ruleset: n.Ruleset) -> list[n.Action]:
    """The actions of rules and the fallback, and those that tests expect."""
    return _actions(ruleset.declarations())


def _actions(declarations: tuple[n.Declaration, ...]) -> list[n.Action]:
    out: list[n.Action] = []
    for declaration in declarations:
        if isinstance(declaration, n.Rule):
            out.extend(declaration.actions)
        elif isinstance(declaration, n.Header):
            out.extend(declaration.fallback or ())
        elif isinstance(declaration, n.Test):
            out.extend(e.action for e in declaration.expectations if isinstance(e, n.ExpectObligation))
    return out


def _unused(ctx: Context) -> None:
    used = referenced_names(ctx)
    for declaration in ctx.declarations:
        if not isinstance(declaration, n.Constant | n.NamedList | n.Condition):
            continue
        if declaration.name in used:
            continue
        kind = kind_of(declaration)
        ctx.emit(
            UNUSED.at(
                declaration.name_span,
                f"{kind} `{declaration.name}` is never used",
                f"use it in a rule, or remove the {kind}",
            )
        )
