"""Decisions: what must happen to one event, why, and under which ruleset.

A `Decision` is built for every event on the hot path, so it is a plain `__slots__` object whose parts
(actions, matched rules) are shared, precomputed values; only the errors and the ids are new per event.
It is immutable, except `trace_id`, which a tracer fills in after the fact. `to_dict()` gives the JSON form
of the brief; `DecisionRecord` is the same form as a pydantic model, for `decision_json_schema()` only.

`combine` folds the actions of the fired rules into the three parts of a decision (DESIGN.md): the most
severe disposition, the most severe account action, and the merged obligations in execution order.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ruleward.dsl.source import Span
from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, ACTIONS, DISPOSITIONS, OBLIGATION_ORDER

ParamValue = int | float | str | bool

EVENT_RULE = "<event>"  # the `rule` of an error about the event as a whole
ENGINE_RULE = "<engine>"  # the `rule` of an error inside the engine itself (a bug), still failing closed


class Action:
    """One action with its arguments: `review(queue: "child_safety", priority: "P1")`."""

    __slots__ = ("_category", "_dict", "_key", "_merge", "_rank", "kind", "params")

    kind: str
    params: Mapping[str, ParamValue]
    # what `combine` needs, worked out once: `combine` runs for every new set of fired rules
    _category: str  # "disposition", "account" or "obligation" ("" for an unknown kind)
    _rank: int  # severity (dispositions, account actions) or execution order (obligations): lower first
    _key: tuple[str, tuple[str, ...]]  # obligations with the same key merge into one
    _merge: dict[str, str]  # obligation parameter -> "min" | "max"

    def __init__(self, kind: str, params: Mapping[str, ParamValue] | None = None) -> None:
        spec = ACTIONS.get(kind)
        given = dict(params or {})
        # parameters in the vocabulary's order, so the JSON form is stable
        order = [p.name for p in spec.params] if spec is not None else []
        ordered = {name: given[name] for name in order if name in given}
        ordered.update({k: v for k, v in sorted(given.items()) if k not in ordered})
        self.kind = kind
        self.params = MappingProxyType(ordered)
        self._dict: dict[str, object] = {"kind": kind, **ordered}
        self._category = spec.category if spec is not None else ""
        self._key = (kind, tuple(str(ordered.get(k, "")) for k in spec.key) if spec is not None else ())
        self._merge = dict(spec.merge) if spec is not None else {}
        if self._category == "disposition":
            self._rank = DISPOSITIONS.index(kind)
        elif self._category == "account":
            self._rank = ACCOUNT_ACTIONS.index(kind)
        else:
            self._rank = OBLIGATION_ORDER.index(kind) if kind in OBLIGATION_ORDER else len(OBLIGATION_ORDER)

    def to_dict(self) -> dict[str, object]:
        return dict(self._dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Action) and self._dict == other._dict

    def __hash__(self) -> int:
        return hash(tuple(self._dict.items()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}: {json.dumps(v)}" for k, v in self.params.items())
        return f"{self.kind}({args})" if args else self.kind


Obligation = Action
AccountAction = Action

NO_ACCOUNT_ACTION = Action("none")


class Match:
    """A rule that fired (or, in `shadow`, would have), with what the decision record says about it."""

    __slots__ = ("actions", "cite", "rule", "tier")

    def __init__(self, rule: str, tier: str | None, cite: str | None, actions: tuple[Action, ...]) -> None:
        self.rule = rule
        self.tier = tier
        self.cite = cite
        self.actions = actions

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "tier": self.tier,
            "cite": self.cite,
            "actions": [a.to_dict() for a in self.actions],
        }

    def __repr__(self) -> str:
        return f"Match({self.rule!r})"


class EvalError:
    """A rule that could not be decided on this event (so the fallback applied), and why."""

    __slots__ = ("message", "rule", "span")

    def __init__(self, rule: str, message: str, span: Span | None) -> None:
        self.rule = rule
        self.message = message
        self.span = span

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "message": self.message,
            "span": self.span.to_dict() if self.span is not None else None,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EvalError) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.rule, self.message))

    def __repr__(self) -> str:
        return f"EvalError({self.rule!r}, {self.message!r})"


class RulesetInfo:
    __slots__ = ("digest", "name", "version")

    def __init__(self, name: str, version: str | None, digest: str) -> None:
        self.name = name
        self.version = version
        self.digest = digest

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "digest": self.digest}


class Outcome:
    """The part of a decision that depends only on which rules fired: shared between decisions."""

    __slots__ = ("account_action", "disposition", "matched", "obligations", "shadow")

    def __init__(
        self,
        disposition: str,
        account_action: Action,
        obligations: tuple[Action, ...],
        matched: tuple[Match, ...],
        shadow: tuple[str, ...],
    ) -> None:
        self.disposition = disposition
        self.account_action = account_action
        self.obligations = obligations
        self.matched = matched
        self.shadow = shadow


# ---- the decision ---------------------------------------------------------------------------------------


class Decision:
    """What must happen to one event. Build with `make_decision`; only `trace_id` may be set afterwards.

    Its parts are private slots behind read-only properties, so it is built with plain slot stores (an
    override of `__setattr__` would make each store a call) and cannot be changed through its public names.
    """

    __slots__ = ("_elapsed_us", "_errors", "_event_id", "_id", "_outcome", "_ruleset", "trace_id")

    _outcome: Outcome  # shared between decisions: disposition, account action, obligations, matched, shadow
    _errors: tuple[EvalError, ...]
    _event_id: str | None
    _ruleset: RulesetInfo
    _id: int  # the decision id as a number: `hex` costs more than all the rest of building a decision
    trace_id: str | None
    _elapsed_us: int

    @property
    def errors(self) -> tuple[EvalError, ...]:
        return self._errors

    @property
    def event_id(self) -> str | None:
        return self._event_id

    @property
    def outcome(self) -> Outcome:
        """What the fired rules decide: one object per set of fired rules, shared by their decisions."""
        return self._outcome

    @property
    def ruleset(self) -> RulesetInfo:
        return self._ruleset

    @property
    def elapsed_us(self) -> int:
        return self._elapsed_us

    @property
    def disposition(self) -> str:
        return self._outcome.disposition

    @property
    def account_action(self) -> Action:
        return self._outcome.account_action

    @property
    def obligations(self) -> tuple[Action, ...]:
        return self._outcome.obligations

    @property
    def matched(self) -> tuple[Match, ...]:
        return self._outcome.matched

    @property
    def shadow(self) -> tuple[str, ...]:
        return self._outcome.shadow

    @property
    def decision_id(self) -> str:
        """32 hex digits, unique per process run (random prefix) and within it (counter)."""
        return hex(self._id)[2:]

    @property
    def fired(self) -> tuple[str, ...]:
        """The names of the enforce-mode rules that fired, in name order."""
        return tuple(m.rule for m in self.matched)

    @property
    def errored(self) -> tuple[str, ...]:
        return tuple(e.rule for e in self.errors)

    @property
    def ruleset_name(self) -> str:
        return self.ruleset.name

    @property
    def ruleset_version(self) -> str | None:
        return self.ruleset.version

    @property
    def ruleset_digest(self) -> str:
        return self.ruleset.digest

    def to_dict(self) -> dict[str, object]:
        outcome = self._outcome
        return {
            "decision_id": hex(self._id)[2:],
            "event_id": self._event_id,
            "ruleset": self._ruleset.to_dict(),
            "disposition": outcome.disposition,
            "account_action": outcome.account_action.to_dict(),
            "obligations": [o.to_dict() for o in outcome.obligations],
            "matched": [m.to_dict() for m in outcome.matched],
            "shadow": list(outcome.shadow),
            "errors": [e.to_dict() for e in self._errors],
            "trace_id": self.trace_id,
            "elapsed_us": self._elapsed_us,
        }

    def __repr__(self) -> str:
        return (
            f"Decision({self.disposition}, account={self.account_action!r}, "
            f"obligations={list(self.obligations)!r}, fired={list(self.fired)!r}, "
            f"errors={list(self.errored)!r})"
        )


def make_decision(
    outcome: Outcome,
    errors: tuple[EvalError, ...],
    event_id: str | None,
    ruleset: RulesetInfo,
    trace_id: str | None,
    elapsed_us: int,
) -> Decision:
    self = Decision()
    self._outcome = outcome
    self._errors = errors
    self._event_id = event_id
    self._ruleset = ruleset
    self._id = next_decision_number()
    self.trace_id = trace_id
    self._elapsed_us = elapsed_us
    return self


# ---- decision ids: 128 bits, a random per-process high half and a counter (uuid4 costs microseconds) ------

_ids = itertools.count()
# the next decision's id as a number; rebound with the counter, so read it through the module
next_decision_number = _ids.__next__


def _reset_ids() -> None:
    global _ids, next_decision_number
    # the top bit set so `hex` always gives 32 digits (formatting with a width is several times slower)
    _ids = itertools.count((1 << 127) | (int.from_bytes(os.urandom(8), "big") << 64))
    next_decision_number = _ids.__next__


_reset_ids()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_ids)  # a forked worker must not repeat its parent's ids


def new_decision_id() -> str:
    """32 hex digits, unique per process run (random prefix) and within it (counter)."""
    return hex(next(_ids))[2:]


# ---- combining actions ------------------------------------------------------------------------------------


def combine(actions: Iterable[Action]) -> tuple[str, Action, tuple[Action, ...]]:
    """The disposition, account action and obligations of a set of actions (order does not matter)."""
    disposition_rank = DISPOSITIONS.index("allow")
    account: Action = NO_ACCOUNT_ACTION
    merged: dict[tuple[str, tuple[str, ...]], tuple[Action, dict[str, ParamValue]]] = {}
    for action in actions:
        category = action._category
        if category == "disposition":
            if action._rank < disposition_rank:
                disposition_rank = action._rank
        elif category == "account":
            account = _stronger_account(account, action)
        else:
            existing = merged.get(action._key)
            if existing is None:
                merged[action._key] = (action, dict(action.params))
            elif action is not existing[0] and action._dict != existing[0]._dict:  # the same adds nothing
                _merge_into(existing[1], action.params, action._merge)
    ordered = sorted(merged.items(), key=lambda item: (item[1][0]._rank, item[0][1]))
    obligations = tuple(
        first if params == first.params else Action(kind, params) for (kind, _), (first, params) in ordered
    )
    return DISPOSITIONS[disposition_rank], account, obligations


def _merge_into(
    existing: dict[str, ParamValue], params: Mapping[str, ParamValue], rules: dict[str, str]
) -> None:
    for name, value in params.items():
        current = existing.get(name)
        if current is None:
            existing[name] = (
                value  # e.g. an `sla` only one of them sets: the one with a deadline is more urgent
            )
        elif name in rules:
            pick = min if rules[name] == "min" else max
            existing[name] = pick(current, value)
        # other parameters are part of the key, so they are equal


def _stronger_account(current: Action, candidate: Action) -> Action:
    rank_current = current._rank
    rank_candidate = candidate._rank
    if rank_candidate != rank_current:
        return candidate if rank_candidate < rank_current else current
    if current.params == candidate.params:
        return current
    # two `suspend`s: no `days` means indefinite, the most severe; otherwise the longer one
    days_current = current.params.get("days")
    days_candidate = candidate.params.get("days")
    if days_current is None or days_candidate is None:
        return Action(current.kind, {})
    return current if days_current >= days_candidate else candidate  # type: ignore[operator]


# ---- the JSON form as a pydantic model (for the JSON Schema; never built on the hot path) -----------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesetRecord(_Record):
    name: str
    version: str | None
    digest: str


class ActionRecord(_Record):
    kind: str
    days: int | None = None
    to: str | None = None
    queue: str | None = None
    priority: Literal["P0", "P1", "P2", "P3"] | None = None
    sla: int | None = None
    name: str | None = None
    hours: int | None = None


class AccountActionRecord(_Record):
    kind: Literal["ban", "suspend", "rate_limit", "strike", "warn", "none"]
    days: int | None = None


class ObligationRecord(ActionRecord):
    kind: Literal[
        "preserve",
        "report",
        "notify_law_enforcement",
        "takedown_timer",
        "block_copies",
        "statement_of_reasons",
        "review",
        "tag",
    ]


class MatchRecord(_Record):
    rule: str
    tier: str | None
    cite: str | None
    actions: list[ActionRecord]


class SpanRecord(_Record):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class ErrorRecord(_Record):
    rule: str
    message: str
    span: SpanRecord | None


class DecisionRecord(_Record):
    """The JSON form of a decision (`Decision.to_dict()`)."""

    decision_id: str
    event_id: str | None
    ruleset: RulesetRecord
    disposition: Literal["block", "remove", "hold", "restrict", "interstitial", "label", "allow"]
    account_action: AccountActionRecord
    obligations: list[ObligationRecord]
    matched: list[MatchRecord]
    shadow: list[str]
    errors: list[ErrorRecord]
    trace_id: str | None
    elapsed_us: int


def decision_json_schema() -> dict[str, object]:
    return DecisionRecord.model_json_schema()


__all__ = [
    "ENGINE_RULE",
    "EVENT_RULE",
    "AccountAction",
    "Action",
    "Decision",
    "DecisionRecord",
    "EvalError",
    "Match",
    "Obligation",
    "Outcome",
    "RulesetInfo",
    "combine",
    "decision_json_schema",
    "make_decision",
    "new_decision_id",
]
