"""`test` blocks: the event each one runs on, and how a decision is held against its expectations.

A test's event is its `given` merged over the `base event` (objects key by key, lists replaced). An
expectation's arguments are matched against the decision's obligations: the arguments given must be
equal, the ones left out match anything. Argument values that name a constant are read from the ruleset
under test as written, so a mutant that shifts the constant is still held to the original value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.tests import merge, to_python
from ruleward.dsl.source import Span
from ruleward.dsl.symbols import Symbols


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One `test` block's outcome: what differed, with the event and decision it got."""

    name: str
    span: Span
    failures: tuple[str, ...]
    event: Mapping[str, Any] | None
    decision: Mapping[str, Any] | None

    @property
    def passed(self) -> bool:
        return not self.failures


def base_event_for(ruleset: n.Ruleset, test: n.Test) -> n.BaseEvent | None:
    """The base event of the test's own file if it has one, else the ruleset's."""
    for module in ruleset.modules:
        if any(d is test for d in module.declarations):
            own = next((d for d in module.declarations if isinstance(d, n.BaseEvent)), None)
            if own is not None:
                return own
    return ruleset.base_event


def case_event(ruleset: n.Ruleset, test: n.Test) -> dict[str, Any]:
    base = base_event_for(ruleset, test)
    data: Any = to_python(base.value) if base is not None else {}
    if test.given is not None:
        data = merge(data, to_python(test.given))
    if not isinstance(data, dict):  # pragma: no cover - `given` is always an object in the grammar
        raise TypeError("a test event must be an object")
    return data


def check_expectations(test: n.Test, decision: Mapping[str, Any], symbols: Symbols) -> tuple[str, ...]:
    """What differed between the expectations and `decision` (a `Decision.to_dict()`), in order."""
    failures: list[str] = []
    fired = _names(decision.get("matched"), "rule") | set(_strings(decision.get("shadow")))
    errored = _names(decision.get("errors"), "rule")
    obligations = [o for o in decision.get("obligations") or [] if isinstance(o, Mapping)]
    for expectation in test.expectations:
        if isinstance(expectation, n.ExpectDisposition):
            got = decision.get("disposition")
            if got != expectation.value.name:
                failures.append(f"expected disposition `{expectation.value.name}`, got `{got}`")
        elif isinstance(expectation, n.ExpectAccount):
            account = decision.get("account_action")
            got = account.get("kind") if isinstance(account, Mapping) else account
            if got != expectation.value.name:
                failures.append(f"expected account action `{expectation.value.name}`, got `{got}`")
        elif isinstance(expectation, n.ExpectObligation):
            failures.extend(_obligation(expectation, obligations, symbols))
        elif isinstance(expectation, n.ExpectFired):
            for ident in expectation.rules:
                if expectation.fired and ident.name not in fired:
                    why = f"; it errored: {_error_of(decision, ident.name)}" if ident.name in errored else ""
                    failures.append(f"expected `{ident.name}` to fire; it did not{why}")
                elif not expectation.fired and ident.name in fired:
                    failures.append(f"expected `{ident.name}` not to fire; it fired")
        else:
            for ident in expectation.rules:
                if ident.name not in errored:
                    state = "it fired" if ident.name in fired else "it did not fire"
                    failures.append(f"expected `{ident.name}` to error; it did not ({state})")
    return tuple(failures)


def action_text(action: n.Action, symbols: Symbols | None = None) -> str:
    if not action.args:
        return action.name
    args = ", ".join(f"{a.name}: {_show(expected_value(a.value, symbols))}" for a in action.args)
    return f"{action.name}({args})"


def obligation_text(obligation: Mapping[str, Any]) -> str:
    params = [(k, v) for k, v in obligation.items() if k != "kind" and v is not None]
    if not params:
        return str(obligation.get("kind"))
    return f"{obligation.get('kind')}({', '.join(f'{k}: {_show(v)}' for k, v in params)})"


def expected_value(value: n.Literal | n.Symbol, symbols: Symbols | None) -> object:
    if isinstance(value, n.Literal):
        return value.value
    if symbols is not None and value.name in symbols.constants:
        return symbols.constants[value.name].value.value
    return value.name  # a symbolic value such as `P1`


def _obligation(
    expectation: n.ExpectObligation, obligations: Sequence[Mapping[str, Any]], symbols: Symbols
) -> list[str]:
    action = expectation.action
    wanted = {a.name: expected_value(a.value, symbols) for a in action.args}
    same_kind = [o for o in obligations if o.get("kind") == action.name]
    matching = [o for o in same_kind if all(_equal(o.get(k), v) for k, v in wanted.items())]
    shown = action_text(action, symbols)
    if expectation.present and not matching:
        if same_kind:
            got = ", ".join(f"`{obligation_text(o)}`" for o in same_kind)
            return [f"expected obligation `{shown}`, got {got}"]
        return [f"expected obligation `{shown}`, got no `{action.name}`"]
    if not expectation.present and matching:
        got = ", ".join(f"`{obligation_text(o)}`" for o in matching)
        return [f"expected no obligation `{shown}`, got {got}"]
    return []


def _equal(got: object, wanted: object) -> bool:
    if isinstance(got, bool) != isinstance(wanted, bool):
        return False
    return got == wanted


def _names(items: object, key: str) -> set[str]:
    if not isinstance(items, list | tuple):
        return set()
    return {str(i.get(key)) for i in items if isinstance(i, Mapping)}


def _strings(items: object) -> list[str]:
    return [str(i) for i in items] if isinstance(items, list | tuple) else []


def _error_of(decision: Mapping[str, Any], rule: str) -> str:
    for error in decision.get("errors") or []:
        if isinstance(error, Mapping) and error.get("rule") == rule:
            return str(error.get("message"))
    return "unknown error"


def _show(value: object) -> str:
    if isinstance(value, str) and not (len(value) == 2 and value[0] == "P" and value[1].isdigit()):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
