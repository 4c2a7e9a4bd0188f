"""Actions: known names, known and required arguments with values of the right type and range (from
dsl/vocabulary.py), and rules whose actions do not fight each other.

The same checks apply to a rule's `then`, the header's `fallback` and, without the required arguments,
to a test's `expect obligation`.
"""

from __future__ import annotations

from collections.abc import Collection

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, listing, name_span, suggestion
from ruleward.dsl.checker.names import UNDEFINED_NAME
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.vocabulary import ACTIONS, PRIORITIES, ActionSpec, Param, severity

UNKNOWN_ACTION = DiagnosticCode("E121", "unknown-action", "an action the vocabulary does not have")
UNKNOWN_ARGUMENT = DiagnosticCode("E122", "unknown-argument", "an argument the action does not take")
MISSING_ARGUMENT = DiagnosticCode("E123", "missing-argument", "an action without an argument it requires")
BAD_ARGUMENT = DiagnosticCode("E124", "bad-argument-value", "an argument value of the wrong type or range")
DUPLICATE_ARGUMENT = DiagnosticCode("E125", "duplicate-argument", "the same argument given twice")
CONFLICTING_ACTIONS = DiagnosticCode(
    "W108", "conflicting-actions", "one rule with two dispositions, two account actions, or a repeat"
)
INEFFECTIVE_ACTION = DiagnosticCode(
    "W109", "ineffective-action", "`allow` or `none` in a rule, which can never change a decision"
)

# words authors bring from other policy engines, and what they most likely mean here
_ALIASES = {
    "deny": "block",
    "reject": "block",
    "forbid": "block",
    "delete": "remove",
    "takedown": "remove",
    "take_down": "remove",
    "quarantine": "hold",
    "escalate": "review",
    "permit": "allow",
    "approve": "allow",
    "flag": "tag",
    "retain": "preserve",
    "notify_police": "notify_law_enforcement",
    "suspend_account": "suspend",
    "ban_account": "ban",
}


def run(ctx: Context) -> None:
    for owner, actions in ctx.rule_actions:
        for action in actions:
            check_action(ctx, action, required=True)
        if isinstance(owner, n.Rule):
            _conflicts(ctx, owner, actions)


def check_action(
    ctx: Context, action: n.Action, *, required: bool, categories: Collection[str] = ()
) -> ActionSpec | None:
    """Validate one action (name, arguments, values); return its spec when the name is known."""
    spec = ACTIONS.get(action.name)
    if spec is None:
        alias = _ALIASES.get(action.name.lower())
        hint = (
            f"ruleward calls this `{alias}`"
            if alias
            else suggestion(action.name, ACTIONS, f"the actions are {listing(ACTIONS, 30)}")
        )
        ctx.emit(
            UNKNOWN_ACTION.at(name_span(action, action.name), f"there is no action `{action.name}`", hint)
        )
        return None
    if categories and spec.category not in categories:
        return spec  # the caller explains the wrong kind of action
    seen: set[str] = set()
    for arg in action.args:
        param = spec.param(arg.name)
        if arg.name in seen:
            ctx.emit(
                DUPLICATE_ARGUMENT.at(
                    name_span(arg, arg.name),
                    f"`{arg.name}` is given twice",
                    "give each argument once",
                )
            )
            continue
        seen.add(arg.name)
        if param is None:
            _unknown_argument(ctx, spec, arg)
            continue
        _check_value(ctx, spec, param, arg)
    if required:
        missing = [p for p in spec.params if p.required and p.name not in seen]
        if missing:
            names = " and ".join(f"`{p.name}`" for p in missing)
            ctx.emit(
                MISSING_ARGUMENT.at(
                    action.span,
                    f"`{spec.name}` needs {names}",
                    f"write `{example(spec)}`",
                )
            )
    return spec


def example(spec: ActionSpec) -> str:
    samples = {"integer": "30", "string": '"..."', "priority": "P1"}
    args = ", ".join(f"{p.name}: {samples[p.kind]}" for p in spec.params if p.required)
    return f"{spec.name}({args})" if args else spec.name


def _unknown_argument(ctx: Context, spec: ActionSpec, arg: n.Argument) -> None:
    hint: str | None
    if not spec.params:
        hint = f"write `{spec.name}` alone"
        message = f"`{spec.name}` takes no arguments"
    else:
        names = [p.name for p in spec.params]
        hint = suggestion(arg.name, names, f"`{spec.name}` takes {listing(names)}")
        message = f"`{spec.name}` has no argument `{arg.name}`"
    ctx.emit(UNKNOWN_ARGUMENT.at(name_span(arg, arg.name), message, hint))


def _check_value(ctx: Context, spec: ActionSpec, param: Param, arg: n.Argument) -> None:
    value = arg.value
    what = f"`{param.name}` of `{spec.name}`"
    if param.kind == "priority":
        _check_priority(ctx, what, value)
        return
    literal: bool | int | float | str
    via = ""
    if isinstance(value, n.Symbol):
        constant = ctx.symbols.constants.get(value.name)
        if constant is None:
            _unresolved_symbol(ctx, param, value)
            return
        literal = constant.value.value
        via = f" (`{value.name}` is `{_show(literal)}`)"
    else:
        literal = value.value
    if param.kind == "string":
        if not isinstance(literal, str):
            ctx.emit(
                BAD_ARGUMENT.at(
                    value.span,
                    f"{what} is a string, not `{_show(literal)}`{via}",
                    f'write it in quotes: `{param.name}: "{literal}"`',
                )
            )
        return
    if isinstance(literal, bool) or not isinstance(literal, int):
        ctx.emit(
            BAD_ARGUMENT.at(
                value.span,
                f"{what} is a whole number, not `{_show(literal)}`{via}",
                f"write a whole number, e.g. `{param.name}: {param.minimum or 1}`",
            )
        )
        return
    low, high = param.minimum, param.maximum
    if (low is not None and literal < low) or (high is not None and literal > high):
        ctx.emit(
            BAD_ARGUMENT.at(
                value.span,
                f"{what} must be between {low} and {high}, not `{literal}`{via}",
                f"{param.description or param.name}: use a value from {low} to {high}",
            )
        )


def _check_priority(ctx: Context, what: str, value: n.Literal | n.Symbol) -> None:
    if isinstance(value, n.Symbol) and value.name in PRIORITIES:
        return
    shown = value.name if isinstance(value, n.Symbol) else _show(value.value)
    close = str(value.value).upper() if isinstance(value, n.Literal) else value.name.upper()
    if close in PRIORITIES:
        hint = f"write it bare, without quotes: `priority: {close}`"
    else:
        hint = f"P0 is the most urgent, P3 the least: write e.g. `priority: P1` ({listing(PRIORITIES)})"
    ctx.emit(BAD_ARGUMENT.at(value.span, f"{what} is one of {'/'.join(PRIORITIES)}, not `{shown}`", hint))


def _unresolved_symbol(ctx: Context, param: Param, value: n.Symbol) -> None:
    declared = ctx.symbols.resolve(value.name)
    if declared in ("list", "condition", "rule"):
        ctx.emit(
            BAD_ARGUMENT.at(
                value.span,
                f"`{value.name}` is a {declared}, but `{param.name}` needs a single value",
                "use a constant (`const NAME = value`) or write the value",
            )
        )
        return
    hint: str | None
    if param.kind == "string":
        hint = f'strings are written in quotes: `{param.name}: "{value.name}"`'
        close = suggestion(value.name, ctx.symbols.constants)
        if close:
            hint = f"{close} otherwise, {hint}"
    else:
        hint = suggestion(value.name, ctx.symbols.constants, f"declare it: `const {value.name} = 30`")
    ctx.emit(UNDEFINED_NAME.at(value.span, f"`{value.name}` is not a constant", hint))


def _show(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _conflicts(ctx: Context, rule: n.Rule, actions: tuple[n.Action, ...]) -> None:
    first_of: dict[str, n.Action] = {}
    seen: list[n.Action] = []
    for action in actions:
        spec = ACTIONS.get(action.name)
        if spec is None:
            continue
        if action in seen:
            ctx.emit(
                CONFLICTING_ACTIONS.at(
                    action.span,
                    f"rule `{rule.name}` gives `{ctx.text(action.span)}` twice",
                    "remove the repeat",
                )
            )
            continue
        seen.append(action)
        if action.name in ("allow", "none"):
            what = "disposition" if action.name == "allow" else "account action"
            ctx.emit(
                INEFFECTIVE_ACTION.at(
                    action.span,
                    f"`{action.name}` never changes a decision: the most severe {what} of all rules wins",
                    "remove it; to keep another rule from acting, give that rule an `unless`",
                )
            )
            continue
        if spec.category == "obligation":
            continue
        first = first_of.setdefault(spec.category, action)
        if first is action or first.name == action.name:
            continue
        keep, drop = sorted((first, action), key=lambda a: severity(spec.category, a.name))
        what = "dispositions" if spec.category == "disposition" else "account actions"
        ctx.emit(
            CONFLICTING_ACTIONS.at(
                action.span,
                f"rule `{rule.name}` has two {what}, `{first.name}` and `{action.name}`",
                f"only the most severe applies, `{keep.name}`: remove `{drop.name}`",
            )
        )
