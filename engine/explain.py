"""Explanations: why each rule fired, did not fire, or failed on one event.

Built on the reference interpreter, so evaluation on the fast path pays nothing for it. For a rule that
fired, the facts are the comparisons that made its `when` true (with the values of their operands and,
inside a quantifier, which item was looked at); for one that did not, the first comparison that failed
(or the `unless` that held); for an error, the message and the facts that were unknown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ruleward.engine import runtime as rt
from ruleward.engine.decision import Decision, EvalError
from ruleward.engine.interpreter import Fact, Interpreter, RuleRun, Status
from ruleward.engine.ruleset import Plan


@dataclass(frozen=True)
class RuleExplanation:
    rule: str
    mode: str  # "enforce" or "shadow"
    status: Status
    reason: str
    facts: tuple[Fact, ...]
    error: EvalError | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "mode": self.mode,
            "status": self.status,
            "reason": self.reason,
            "facts": [fact_dict(f) for f in self.facts],
            "error": self.error.to_dict() if self.error is not None else None,
        }


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    rules: tuple[RuleExplanation, ...]

    def to_dict(self) -> dict[str, object]:
        return {"decision": self.decision.to_dict(), "rules": [r.to_dict() for r in self.rules]}

    def render(self) -> str:
        d = self.decision
        lines = [
            f"decision: {d.disposition}, account {d.account_action!r}"
            f" (ruleset {d.ruleset.name} {d.ruleset.version or ''})".rstrip(),
        ]
        if d.obligations:
            lines.append("obligations: " + ", ".join(_action_text(o) for o in d.obligations))
        for error in d.errors:
            if error.rule.startswith("<"):
                lines.append(f"error {error.rule}: {error.message}")
        lines.append("rules:")
        for rule in self.rules:
            mark = {"fired": "FIRED    ", "not fired": "not fired", "error": "ERROR    "}[rule.status]
            shadow = " (shadow)" if rule.mode == "shadow" else ""
            where = f" at {rule.error.span}" if rule.error is not None and rule.error.span is not None else ""
            lines.append(f"  {mark}  {rule.rule}{shadow}: {rule.reason}{where}")
            for fact in rule.facts:
                lines.extend(_fact_lines(fact))
        return "\n".join(lines)


def explain(
    plan: Plan,
    data: dict[str, object] | None,
    event_errors: Sequence[EvalError],
    started_ns: int | None = None,
) -> Explanation:
    started = time.perf_counter_ns() if started_ns is None else started_ns
    if data is None:
        return Explanation(plan.decide(None, 0, [], started, event_errors=event_errors), ())
    result = Interpreter(plan).run(data)
    decision = plan.decide(data, result.fired, result.errors, started, event_errors=event_errors)
    errors = {e.rule: e for e in decision.errors}
    return Explanation(decision, tuple(_rule(run, errors.get(run.plan.name)) for run in result.rules))


def _rule(run: RuleRun, error: EvalError | None) -> RuleExplanation:
    name = run.plan.name
    mode = "shadow" if run.plan.shadow else "enforce"
    facts: tuple[Fact, ...] = ()
    if run.status == "fired":
        reason = "`when` is true" + (" and `unless` is false" if run.plan.rule.unless is not None else "")
        facts = (run.when[1] if run.when else ()) + (run.unless[1] if run.unless else ())
    elif run.status == "not fired":
        if run.when is not None and run.when[0] is False:
            reason, facts = "`when` is false", run.when[1]
        else:
            reason, facts = "`unless` is true", run.unless[1] if run.unless else ()
    else:
        reason = error.message if error is not None else "error"
        if run.unknown_clause == "when" and run.when is not None:
            facts = run.when[1]
        elif run.unknown_clause == "unless" and run.unless is not None:
            facts = run.unless[1]
    return RuleExplanation(name, mode, run.status, reason, facts, error)


# ---- facts as JSON and as text ----------------------------------------------------------------------------


def _result(value: bool | None) -> object:
    return "unknown" if value is None else value


def fact_dict(fact: Fact) -> dict[str, object]:
    values: list[dict[str, object]] = []
    for path, value in fact.values:
        entry: dict[str, object] = {"path": path, "value": rt.json_value(value)}
        if value is rt.UNKNOWN:
            entry["unknown"] = True
        values.append(entry)
    return {
        "expression": fact.text,
        "result": _result(fact.result),
        "span": fact.span.to_dict() if fact.span is not None else None,
        "values": values,
        "bindings": [{"variable": b.variable, "source": b.source, "index": b.index} for b in fact.bindings],
    }


def _value_text(value: object) -> str:
    if value is rt.UNKNOWN:
        return "unknown (a signal is missing)"
    if value is None:
        return "absent"
    text = json.dumps(rt.json_value(value), ensure_ascii=False)
    return text if len(text) <= 100 else text[:97] + "..."


def _fact_lines(fact: Fact) -> list[str]:
    result = "unknown" if fact.result is None else str(fact.result).lower()
    where = ", ".join(f"{b.variable} = {b.source}[{b.index}]" for b in fact.bindings)
    lines = [f"      {fact.text}  ->  {result}" + (f"   [{where}]" if where else "")]
    lines.extend(f"          {path} = {_value_text(value)}" for path, value in fact.values)
    return lines


def _action_text(action: object) -> str:
    return repr(action)


__all__ = ["Explanation", "RuleExplanation", "explain", "fact_dict"]
