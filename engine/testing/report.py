"""The results of `ruleward test` as text for people, JSON for tools, and JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from ruleward.dsl.diagnostics import render_all
from ruleward.testing.cases import CaseResult
from ruleward.testing.coverage import snippet
from ruleward.testing.invariants import InvariantResult
from ruleward.testing.runner import RulesetRun

MAX_SURVIVORS_SHOWN = 50
VOLATILE = frozenset({"decision_id", "event_id", "trace_id", "elapsed_us", "ruleset"})


def where(case: CaseResult | InvariantResult) -> str:
    return f"{case.span.file}:{case.span.line}"


# ---- text ---------------------------------------------------------------------------------------------


def text_report(runs: Sequence[RulesetRun], min_coverage: float | None = None) -> str:
    lines: list[str] = []
    for run in runs:
        lines.extend(_text_run(run, min_coverage))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _text_run(run: RulesetRun, min_coverage: float | None) -> list[str]:
    title = f"{run.target}" + (f" (ruleset `{run.name}`)" if run.name else "")
    lines = [title]
    if run.load_failed:
        lines.append(render_all(run.diagnostics, {p: s.text for p, s in run.sources.items()}).rstrip())
        lines.append("the ruleset has errors; no test was run")
        return lines
    for case in run.cases:
        if not case.passed:
            lines.extend(case_lines(case))
    for inv in run.invariants:
        if not inv.passed:
            lines.extend(invariant_lines(inv))
    for inv in run.invariants:
        if inv.passed and inv.applicable == 0:
            lines.append(
                f"warning: invariant {inv.name} at {where(inv)} never applied: its `when` held on none "
                f"of {inv.examples} events"
            )
    passed_cases = sum(c.passed for c in run.cases)
    passed_invs = sum(i.passed for i in run.invariants)
    lines.append(
        f"tests: {passed_cases} passed, {len(run.cases) - passed_cases} failed; "
        f"invariants: {passed_invs} passed, {len(run.invariants) - passed_invs} failed "
        f"(seed {run.seed}; rerun with --seed {run.seed})"
    )
    if run.coverage is not None:
        lines.extend(_text_coverage(run, min_coverage))
    if run.mutation is not None:
        lines.extend(_text_mutation(run))
    return lines


def case_lines(case: CaseResult) -> list[str]:
    lines = [f"FAILED test {case.name} at {where(case)}"]
    lines.extend(f"  {failure}" for failure in case.failures)
    if case.decision is not None:
        lines.append(f"  decision: {_decision_summary(case.decision)}")
    return lines


def invariant_lines(inv: InvariantResult) -> list[str]:
    lines = [f"FAILED invariant {inv.name} at {where(inv)} (seed {inv.seed})", f"  {inv.failure}"]
    if inv.counterexample is not None:
        # hypothesis shrinks the events it generates, not the tests' own
        lines.append(
            f"  the event of test `{inv.from_test}`:" if inv.from_test else "  smallest event found:"
        )
        lines.extend(f"    {line}" for line in _json(inv.counterexample).splitlines())
    if inv.decision is not None:
        lines.append("  the decision it got:")
        lines.extend(f"    {line}" for line in _json(_stable(inv.decision)).splitlines())
    return lines


def _stable(decision: Mapping[str, Any]) -> dict[str, Any]:
    """A decision without what changes between runs (ids, timing) or says nothing here (the ruleset)."""
    return {k: v for k, v in decision.items() if k not in VOLATILE}


def _text_coverage(run: RulesetRun, min_coverage: float | None) -> list[str]:
    coverage = run.coverage
    assert coverage is not None
    lines = [
        f"condition coverage: {coverage.percent:.1f}% of {len(coverage.points)} decision points "
        f"seen both true and false, over {coverage.events} events"
    ]
    for owner, (covered, total) in coverage.by_owner().items():
        kind = "rule" if owner in coverage.rules else "condition"
        lines.append(f"  {kind} {owner}: {covered} of {total} outcomes")
    for name, seen in coverage.rules.items():
        missing = [label for label, ok in (("fire", seen.fired), ("not fire", seen.not_fired)) if not ok]
        if missing:
            lines.append(f"  rule {name} never seen to {' or '.join(missing)}")
    for point in coverage.uncovered():
        never = sorted({"true", "false"} - point.seen)
        lines.append(
            f"  {point.span.file}:{point.span.line}:{point.span.column} {point.owner} ({point.kind}) never "
            f"{' or '.join(never)}: {snippet(run.sources, point.span)}"
        )
    if min_coverage is not None and coverage.percent < min_coverage:
        lines.append(f"FAILED coverage {coverage.percent:.1f}% is below the minimum of {min_coverage:g}%")
    return lines


def _text_mutation(run: RulesetRun) -> list[str]:
    mutation = run.mutation
    assert mutation is not None
    survivors = mutation.survived
    lines = [
        f"mutation score: {mutation.score:.1f}% ({mutation.killed} killed, {len(survivors)} survived"
        + (f", {mutation.invalid} not compiled" if mutation.invalid else "")
        + f"; invariants checked on {mutation.pool} generated events)"
    ]
    for result in survivors[:MAX_SURVIVORS_SHOWN]:
        m = result.mutant
        lines.append(
            f"  survived: {m.span.file}:{m.span.line}:{m.span.column} {m.description}: "
            f"{snippet(run.sources, m.span)}"
        )
    if len(survivors) > MAX_SURVIVORS_SHOWN:
        lines.append(f"  ... and {len(survivors) - MAX_SURVIVORS_SHOWN} more")
    return lines


def _decision_summary(decision: Mapping[str, Any]) -> str:
    account = decision.get("account_action")
    kind = account.get("kind") if isinstance(account, Mapping) else account
    fired = [m.get("rule") for m in decision.get("matched") or [] if isinstance(m, Mapping)]
    errors = [e.get("rule") for e in decision.get("errors") or [] if isinstance(e, Mapping)]
    obligations = [o.get("kind") for o in decision.get("obligations") or [] if isinstance(o, Mapping)]
    parts = [f"disposition {decision.get('disposition')}", f"account {kind}"]
    parts.append(f"obligations [{', '.join(map(str, obligations))}]")
    parts.append(f"fired [{', '.join(map(str, fired))}]")
    if errors:
        parts.append(f"errors [{', '.join(map(str, errors))}]")
    return "; ".join(parts)


def _json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


# ---- JSON ---------------------------------------------------------------------------------------------


def json_report(runs: Sequence[RulesetRun], min_coverage: float | None = None) -> str:
    return json.dumps([_json_run(run, min_coverage) for run in runs], indent=2, default=str)


def _json_run(run: RulesetRun, min_coverage: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "target": run.target,
        "ruleset": run.name,
        "seed": run.seed,
        "passed": run.passed and _coverage_ok(run, min_coverage),
        "diagnostics": [d.to_dict() for d in run.diagnostics],
        "tests": [
            {
                "name": c.name,
                "where": where(c),
                "passed": c.passed,
                "failures": list(c.failures),
                **({} if c.passed else {"event": c.event, "decision": c.decision}),
            }
            for c in run.cases
        ],
        "invariants": [
            {
                "name": i.name,
                "where": where(i),
                "passed": i.passed,
                "examples": i.examples,
                "applicable": i.applicable,
                **(
                    {}
                    if i.passed
                    else {
                        "failure": i.failure,
                        "counterexample": i.counterexample,
                        "from_test": i.from_test,
                        "decision": i.decision,
                    }
                ),
            }
            for i in run.invariants
        ],
    }
    if run.coverage is not None:
        out["coverage"] = run.coverage.to_dict(run.sources)
    if run.mutation is not None:
        mutation = run.mutation
        out["mutation"] = {
            "score": round(mutation.score, 2),
            "killed": mutation.killed,
            "survived": [
                {
                    "where": f"{r.mutant.span.file}:{r.mutant.span.line}:{r.mutant.span.column}",
                    "kind": r.mutant.kind,
                    "description": r.mutant.description,
                    "text": snippet(run.sources, r.mutant.span),
                }
                for r in mutation.survived
            ],
            "invalid": mutation.invalid,
            "pool": mutation.pool,
        }
    return out


def _coverage_ok(run: RulesetRun, min_coverage: float | None) -> bool:
    return min_coverage is None or run.coverage is None or run.coverage.percent >= min_coverage


# ---- JUnit XML ------------------------------------------------------------------------------------------


def junit_xml(runs: Sequence[RulesetRun]) -> str:
    suites = ET.Element("testsuites", name="ruleward")
    for run in runs:
        failures = run.failures
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=run.name or run.target,
            tests=str(len(run.cases) + len(run.invariants)),
            failures=str(failures),
            errors="0",
        )
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="seed", value=str(run.seed))
        for case in run.cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"{run.name}.tests",
                name=case.name,
                file=case.span.file,
                line=str(case.span.line),
            )
            if not case.passed:
                failure = ET.SubElement(element, "failure", message=case.failures[0])
                failure.text = "\n".join(case.failures)
        for inv in run.invariants:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"{run.name}.invariants",
                name=inv.name,
                file=inv.span.file,
                line=str(inv.span.line),
            )
            if not inv.passed:
                failure = ET.SubElement(element, "failure", message=inv.failure or "failed")
                decision = _stable(inv.decision) if inv.decision is not None else None
                failure.text = _json({"event": inv.counterexample, "decision": decision, "seed": inv.seed})
        if run.load_failed:
            element = ET.SubElement(suite, "testcase", classname=f"{run.target}", name="load")
            ET.SubElement(element, "error", message="the ruleset has errors")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
