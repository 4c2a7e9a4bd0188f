"""Assertions about decisions for Python tests, with messages that say what the decision was instead.

Each takes a `Decision` (anything with `to_dict()`) or its dict form. Obligation arguments match like a
`.rw` test's `expect obligation`: those given must be equal, those left out match anything.

    assert_disposition(decision, "block")
    assert_obligation(decision, "report", to="ncmec")
    assert_fired(decision, "verified_match")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, DISPOSITIONS, PRIORITIES
from ruleward.testing.cases import obligation_text


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


DecisionLike = _HasToDict | Mapping[str, Any]


def as_dict(decision: DecisionLike) -> Mapping[str, Any]:
    if isinstance(decision, Mapping):
        return decision
    return decision.to_dict()


def disposition(decision: DecisionLike) -> str:
    return str(as_dict(decision).get("disposition"))


def account_action(decision: DecisionLike) -> str:
    account = as_dict(decision).get("account_action")
    return str(account.get("kind") if isinstance(account, Mapping) else account)


def obligations(decision: DecisionLike, kind: str | None = None, **params: object) -> list[Mapping[str, Any]]:
    """The obligations of `decision`, optionally only those of `kind` whose `params` are as given."""
    found = [o for o in as_dict(decision).get("obligations") or [] if isinstance(o, Mapping)]
    if kind is not None:
        found = [o for o in found if o.get("kind") == kind]
    return [o for o in found if all(o.get(k) == v for k, v in params.items())]


def fired(decision: DecisionLike) -> list[str]:
    """The rules that fired, enforced or in shadow mode."""
    data = as_dict(decision)
    names = [str(m.get("rule")) for m in data.get("matched") or [] if isinstance(m, Mapping)]
    return names + [str(s) for s in data.get("shadow") or []]


def errored(decision: DecisionLike) -> list[str]:
    return [str(e.get("rule")) for e in as_dict(decision).get("errors") or [] if isinstance(e, Mapping)]


# ---- assertions ----------------------------------------------------------------------------------------


def assert_disposition(decision: DecisionLike, expected: str) -> None:
    got = disposition(decision)
    _check(got == expected, f"expected disposition `{expected}`, got `{got}`{_context(decision)}")


def assert_account(decision: DecisionLike, expected: str) -> None:
    got = account_action(decision)
    _check(got == expected, f"expected account action `{expected}`, got `{got}`{_context(decision)}")


def assert_obligation(decision: DecisionLike, kind: str, **params: object) -> None:
    if not obligations(decision, kind, **params):
        wanted = obligation_text({"kind": kind, **params})
        raise AssertionError(f"expected obligation `{wanted}`{_context(decision)}")


def assert_no_obligation(decision: DecisionLike, kind: str, **params: object) -> None:
    found = obligations(decision, kind, **params)
    if found:
        shown = ", ".join(f"`{obligation_text(o)}`" for o in found)
        raise AssertionError(
            f"expected no obligation `{obligation_text({'kind': kind, **params})}`, got {shown}"
        )


def assert_fired(decision: DecisionLike, *rules: str) -> None:
    names = fired(decision)
    missing = [r for r in rules if r not in names]
    _check(not missing, f"expected {_names(missing)} to fire{_context(decision)}")


def assert_not_fired(decision: DecisionLike, *rules: str) -> None:
    names = fired(decision)
    unexpected = [r for r in rules if r in names]
    _check(not unexpected, f"expected {_names(unexpected)} not to fire{_context(decision)}")


def assert_error(decision: DecisionLike, *rules: str) -> None:
    names = errored(decision)
    missing = [r for r in rules if r not in names]
    _check(not missing, f"expected {_names(missing)} to error{_context(decision)}")


# ---- comparing two decisions ---------------------------------------------------------------------------


def weaker_in(decision: DecisionLike, than: DecisionLike) -> list[str]:
    """How `decision` is weaker than `than`: a milder disposition or account action, or an obligation of
    `than` it lacks or holds less urgently (later priority or SLA, shorter retention, longer timer)."""
    a, b = as_dict(decision), as_dict(than)
    out: list[str] = []
    if _rank(DISPOSITIONS, disposition(a)) > _rank(DISPOSITIONS, disposition(b)):
        out.append(f"disposition `{disposition(a)}` is milder than `{disposition(b)}`")
    if _rank(ACCOUNT_ACTIONS, account_action(a)) > _rank(ACCOUNT_ACTIONS, account_action(b)):
        out.append(f"account action `{account_action(a)}` is milder than `{account_action(b)}`")
    for wanted in obligations(b):
        key = {k: wanted.get(k) for k in ("kind", "to", "queue", "name") if wanted.get(k) is not None}
        candidates = obligations(a, **key)
        if not candidates:
            out.append(f"obligation `{obligation_text(wanted)}` is missing")
        elif not any(_as_strong(c, wanted) for c in candidates):
            got = ", ".join(f"`{obligation_text(c)}`" for c in candidates)
            out.append(f"obligation `{obligation_text(wanted)}` is weaker: {got}")
    return out


def assert_not_weaker(decision: DecisionLike, than: DecisionLike) -> None:
    """`decision` is at least as strong as `than` in disposition, account action and every obligation."""
    found = weaker_in(decision, than)
    _check(not found, "the decision is weaker: " + "; ".join(found))


def _as_strong(got: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    if wanted.get("priority") is not None and _rank(PRIORITIES, got.get("priority")) > _rank(
        PRIORITIES, wanted.get("priority")
    ):
        return False
    for name, stronger_is_smaller in (("sla", True), ("hours", True), ("days", False)):
        want, have = wanted.get(name), got.get(name)
        if want is None:
            continue
        if have is None:
            return False
        if (have > want) if stronger_is_smaller else (have < want):
            return False
    return True


def _rank(order: tuple[str, ...], value: object) -> int:
    return order.index(value) if value in order else len(order)


def _check(condition: bool, message: str) -> None:
    # not `assert`: these must hold under `python -O` too
    if not condition:
        raise AssertionError(message)


def _names(rules: list[str]) -> str:
    return ", ".join(f"`{r}`" for r in rules)


def _context(decision: DecisionLike) -> str:
    data = as_dict(decision)
    shown = ", ".join(f"`{obligation_text(o)}`" for o in obligations(data)) or "none"
    return (
        f" (disposition `{disposition(data)}`, account `{account_action(data)}`, obligations {shown}, "
        f"fired {_names(fired(data)) or 'none'}, errors {_names(errored(data)) or 'none'})"
    )
