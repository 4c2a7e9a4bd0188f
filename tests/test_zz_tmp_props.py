"""Properties of the compiler, held against the reference interpreter on generated rulesets and events.

- differential: on any ruleset and any event, the compiled code and the interpreter decide the same
  (everything in `to_dict()` but the ids and the timing, errors with their messages and spans included);
- order independence: shuffling declarations and splitting them over files changes no decision;
- fail closed (checked on the same inputs): whatever the event, evaluation returns a decision, and one
  with an enforce-mode error is at least as severe as the fallback, with its obligations.

Rulesets are generated as text over the event schema (comparisons, membership, quantifiers, presence and
emptiness tests, `max_score`/`count`, references to earlier conditions and rules, `unless`, shadow mode),
including ill-typed ones the checker would reject: the engine must still agree with itself on them.
Events include null and absent signals, absent optional fields and values of the wrong type.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruleward.dsl.checker import CheckedRuleset
from ruleward.dsl.loader import parse_sources
from ruleward.dsl.source import SourceFile
from ruleward.dsl.symbols import Symbols
from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, DISPOSITIONS
from ruleward.dsl.vocabulary import ACTIONS as VOCABULARY
from ruleward.engine.compiler import compile_plan
from ruleward.engine.decision import Decision, combine
from ruleward.engine.events import ModerationEvent
from ruleward.engine.interpreter import Interpreter
from ruleward.engine.ruleset import Plan

VOLATILE = ("decision_id", "elapsed_us", "trace_id")
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- expressions ------------------------------------------------------------------------------------------

NUMBER_PATHS = [
    "actor.active_strikes",
    "actor.account_age_days",
    "content.width",
    "count(hash_matches)",
    "count(reports)",
    'max_score("csam")',
    'max_score("sexual")',
    "context.n",
    "surface",  # ill-typed on purpose: ordering a string against a number errors at run time
]
STRING_PATHS = ["surface", "actor.age_band", "provenance.validation_state", "content.mime", "context.s"]
BOOL_PATHS = ["actor.prior_confirmed_csam", "provenance.c2pa_present", "context.b", "content.id"]
ANY_PATHS = [*NUMBER_PATHS[:3], *STRING_PATHS, *BOOL_PATHS, "hash_matches", "classifiers", "provenance"]
LIST_PATHS = [
    "hash_matches",
    "classifiers",
    "reports",
    "age_estimates",
    "jurisdictions",
    "provenance.watermarks",
    "provenance.digital_source_types",
]
NUMBERS = ["0", "1", "0.5", "0.9", "3", "31", "-1", "true"]
STRINGS = ['"upload"', '"livestream"', '"invalid"', '"adult"', '"csam"', '"pdq"', '"US"', '"x"', "3"]
OPS = ["==", "!=", "<", "<=", ">", ">="]
COLLECTIONS = ['["upload", "public_post"]', "surfaces", "[1, true]", "jurisdictions"]

ELEMENT_TESTS: dict[str, list[str]] = {
    "hash_matches": [
        'V.bank in ["ncmec_industry", "iwf"]',
        "V.bank in banks",
        "V.distance <= 31",
        "V.quality >= 50",
        'V.algorithm == "pdq"',
        "V.entry_deleted",
        "not V.entry_deleted",
        'V.classification == "SE"',
        "V.distance is missing",
        "V.frame_match_pct > 80",
    ],
    "classifiers": [
        'V.label == "csam"',
        "V.score >= 0.5",
        'V.status != "ok"',
        'V.priority in ["high", "very_high"]',
        'V.provider == "google_csai"',
    ],
    "reports": ["V.imminent_harm", 'V.source == "takedown_request"', "V.takedown_valid", "V.reason"],
    "age_estimates": ["V.low < 18", "V.high >= V.low", "V.low == 1"],
    "jurisdictions": ['V == "US"', 'V in ["US", "GB"]', 'V != "JP"'],
    "provenance.watermarks": ['V.result == "detected"', "V.scheme is present"],
    "provenance.digital_source_types": [
        "V in ai_types",
        'V == "trainedAlgorithmicMedia"',
        'V contains "Media"',
    ],
}


def pick(draw: st.DrawFn, options: list[str]) -> str:
    return options[draw(st.integers(0, len(options) - 1))]


def atom(draw: st.DrawFn, refs: list[str], variables: list[tuple[str, str]]) -> str:
    choices = ["compare", "string", "bool", "presence", "empty", "membership", "literal"]
    if refs:
        choices += ["ref", "ref"]
    if variables:
        choices += ["element", "element", "element"]
    kind = pick(draw, choices)
    if kind == "compare":
        return f"{pick(draw, NUMBER_PATHS)} {pick(draw, OPS)} {pick(draw, NUMBERS)}"
    if kind == "string":
        op = pick(draw, ["==", "!=", "in", "not in", ">="])
        path = pick(draw, STRING_PATHS)
        if op in ("in", "not in"):
            return f"{path} {op} {pick(draw, COLLECTIONS)}"
        return f"{path} {op} {pick(draw, STRINGS)}"
    if kind == "bool":
        path = pick(draw, BOOL_PATHS)
        return pick(draw, [path, f"{path} == true", f"{path} != false", f"not {path}"])
    if kind == "presence":
        return f"{pick(draw, ANY_PATHS)} is {pick(draw, ['missing', 'present'])}"
    if kind == "empty":
        return f"{pick(draw, LIST_PATHS)} is {pick(draw, ['empty', 'not empty'])}"
    if kind == "membership":
        return pick(
            draw, ['"US" in jurisdictions', 'jurisdictions contains "GB"', "surfaces contains surface"]
        )
    if kind == "literal":
        return pick(draw, ["true", "false"])
    if kind == "ref":
        return pick(draw, refs)
    variable, source = variables[draw(st.integers(0, len(variables) - 1))]
    return pick(draw, ELEMENT_TESTS[source]).replace("V", variable)


def expression(
    draw: st.DrawFn, refs: list[str], depth: int = 3, variables: tuple[tuple[str, str], ...] = ()
) -> str:
    kind = "atom" if depth == 0 else pick(draw, ["atom", "atom", "and", "or", "not", "quantifier"])
    if kind == "atom":
        return atom(draw, refs, list(variables))
    if kind == "not":
        return f"not ({expression(draw, refs, depth - 1, variables)})"
    if kind in ("and", "or"):
        parts = [expression(draw, refs, depth - 1, variables) for _ in range(draw(st.integers(2, 3)))]
        return f" {kind} ".join(f"({p})" for p in parts)
    source = pick(draw, LIST_PATHS)
    variable = f"x{len(variables)}"
    body = expression(draw, refs, depth - 1, (*variables, (variable, source)))
    return f"({pick(draw, ['any', 'all'])} {variable} in {source} where {body})"


# ---- rulesets ---------------------------------------------------------------------------------------------

ACTIONS = [
    "block",
    "hold",
    "remove",
    "label",
    "allow",
    "ban",
    "warn",
    "suspend(days: 3)",
    "suspend",
    "preserve(days: 30)",
    "preserve(days: 365)",
    'report(to: "ncmec")',
    'report(to: "nca")',
    'review(queue: "q1", priority: P2)',
    'review(queue: "q1", priority: P0, sla: 4)',
    'review(queue: "q2", priority: P3)',
    'tag(name: "a")',
    "notify_law_enforcement",
    "takedown_timer(hours: 24)",
    "takedown_timer(hours: 48)",
]
PRELUDE = [
    'list banks = ["ncmec_industry", "iwf", "thorn_csam"]',
    'list surfaces = ["upload", "public_post", "livestream"]',
    'list ai_types = ["trainedAlgorithmicMedia", "compositeSynthetic"]',
]


@st.composite
def declarations(draw: st.DrawFn) -> list[str]:
    """The declarations of a ruleset, each a self-contained piece of text (any order is valid)."""
    fallback = draw(
        st.sampled_from(['hold, review(queue: "signals_retry", priority: P2)', "block", "label, warn"])
    )
    out = [f'ruleset gen version "1" owner "t" fallback {fallback}', *PRELUDE]
    refs: list[str] = []
    for i in range(draw(st.integers(0, 2))):
        out.append(f"condition c{i} = {expression(draw, refs, 2)}")
        refs.append(f"c{i}")
    for i in range(draw(st.integers(1, 4))):
        parts = [f"rule r{i}", f"tier t{i % 2}", f'cite "basis {i}"']
        if draw(st.booleans()) and draw(st.booleans()):
            parts.append("mode shadow")
        parts.append(f"when {expression(draw, refs)}")
        if draw(st.booleans()) and draw(st.booleans()):
            parts.append(f"unless {expression(draw, refs, 1)}")
        parts.append("then " + ", ".join(draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3))))
        out.append("\n  ".join(parts))
        refs.append(f"r{i}")
    return out


def build(files: dict[str, str]) -> Plan:
    """A plan straight from the parser: generated rulesets skip the checker, ill-typed ones included."""
    loaded = parse_sources([SourceFile(path, text) for path, text in files.items()])
    assert not loaded.diagnostics, loaded.diagnostics
    checked = CheckedRuleset(
        loaded.ruleset, Symbols.of(loaded.ruleset), dict(loaded.sources), (), ModerationEvent
    )
    return Plan.build(checked, digest="0" * 64)


# ---- events -----------------------------------------------------------------------------------------------

ABSENT = object()
WRONG = st.sampled_from([None, "oops", 7, 2.5, True, [], {}, [1], {"a": 1}])


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, values, values, st.just(ABSENT), WRONG)


def objects(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build_object(draw: st.DrawFn) -> dict[str, Any]:
        out = {}
        for name, strategy in fields.items():
            value = draw(maybe(strategy))
            if value is not ABSENT:
                out[name] = value
        return out

    return build_object()


def signal_lists(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.just(ABSENT), st.lists(item, max_size=3), WRONG)


HASH_MATCH = objects(
    {
        "algorithm": st.sampled_from(["md5", "pdq", "vpdq", "photodna"]),
        "bank": st.sampled_from(["ncmec_industry", "iwf", "lantern", "internal_suspect"]),
        "distance": st.integers(0, 64),
        "quality": st.integers(0, 100),
        "frame_match_pct": st.floats(0, 100),
        "classification": st.sampled_from(["A1", "SE", "IWF_A"]),
        "entry_deleted": st.booleans(),
    }
)
CLASSIFIER = objects(
    {
        "provider": st.sampled_from(["thorn", "google_csai", "internal"]),
        "label": st.sampled_from(["csam", "sexual", "minor_presence"]),
        "score": st.one_of(st.floats(0, 1), st.sampled_from([0, 1, 0.5, 0.9])),
        "priority": st.sampled_from(["low", "medium", "high", "very_high"]),
        "status": st.sampled_from(["ok", "ok", "failed", "timeout"]),
    }
)
PROVENANCE = objects(
    {
        "c2pa_present": st.booleans(),
        "validation_state": st.sampled_from(["absent", "invalid", "valid", "trusted"]),
        "digital_source_types": st.lists(
            st.sampled_from(["trainedAlgorithmicMedia", "digitalCapture"]), max_size=2
        ),
        "watermarks": st.lists(
            objects({"scheme": st.just("synthid"), "result": st.sampled_from(["detected", "uncertain"])}),
            max_size=2,
        ),
    }
)


EVENT_FIELDS = objects(
    {
        "event_id": st.just("ev-1"),
        "surface": st.sampled_from(["upload", "public_post", "livestream", "direct_message"]),
        "jurisdictions": st.lists(st.sampled_from(["US", "GB", "JP"]), max_size=2),
        "content": objects({"id": st.just("c-1"), "mime": st.just("image/png"), "width": st.integers(0, 5)}),
        "actor": objects(
            {
                "account_age_days": st.integers(0, 5),
                "active_strikes": st.integers(0, 3),
                "age_band": st.sampled_from(["adult", "13_17", "unknown"]),
                "prior_confirmed_csam": st.booleans(),
            }
        ),
        "reports": st.lists(
            objects(
                {
                    "source": st.sampled_from(["user", "takedown_request"]),
                    "reason": st.just("r"),
                    "imminent_harm": st.booleans(),
                    "takedown_valid": st.booleans(),
                }
            ),
            max_size=2,
        ),
        "age_estimates": st.lists(
            objects({"low": st.integers(0, 30), "high": st.integers(0, 40)}), max_size=2
        ),
        "context": st.fixed_dictionaries(
            {}, optional={"n": st.integers(0, 3), "s": st.sampled_from(["a", "upload"]), "b": st.booleans()}
        ),
    }
)
SIGNALS = {
    "hash_matches": signal_lists(HASH_MATCH),
    "classifiers": signal_lists(CLASSIFIER),
    "provenance": st.one_of(st.none(), st.just(ABSENT), PROVENANCE, WRONG),
}


@st.composite
def events(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(WRONG)  # not an object at all
    event = draw(EVENT_FIELDS)
    for name, strategy in SIGNALS.items():
        value = draw(strategy)
        if value is not ABSENT:
            event[name] = value
    return event


# ---- the properties ---------------------------------------------------------------------------------------


def stable(decision: Decision, *, spans: bool = True, digest: bool = True) -> dict[str, object]:
    record = decision.to_dict()
    for key in VOLATILE:
        record.pop(key)
    if not digest:
        record.pop("ruleset")
    if not spans:
        record["errors"] = [{**e, "span": None} for e in record["errors"]]  # type: ignore[attr-defined]
    return record


def compiled_decision(plan: Plan, event: Any) -> Decision:
    from ruleward.engine.compiler import CompiledRuleset

    compiled: CompiledRuleset = compile_plan(plan)
    return _decide(plan, event, compiled.run)


def _decide(plan: Plan, event: Any, run: Any) -> Decision:
    from ruleward.engine.decision import EVENT_RULE, EvalError

    if not isinstance(event, dict):
        return plan.decide(None, 0, [], 0, event_errors=[EvalError(EVENT_RULE, "not an object", None)])
    fired, errors = run(event)
    return plan.decide(event, fired, errors, 0)


def interpreted_decision(plan: Plan, event: Any) -> Decision:
    interpreter = Interpreter(plan)

    def run(data: dict[str, object]) -> tuple[int, list[tuple[int, object]]]:
        result = interpreter.run(data)
        return result.fired, result.errors

    return _decide(plan, event, run)


@SETTINGS
@given(declarations(), st.lists(events(), min_size=1, max_size=8))
def test_compiled_and_interpreted_decisions_agree(decls: list[str], sample: list[Any]) -> None:
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    compiled = compile_plan(plan)
    interpreter = Interpreter(plan)
    for event in sample:
        decision = _decide(plan, event, compiled.run)
        expected = stable(_decide(plan, event, lambda d: _run_interpreter(interpreter, d)))
        assert stable(decision) == expected, (compiled.source, event)
        assert_fails_closed(plan, decision)


def _run_interpreter(
    interpreter: Interpreter, data: dict[str, object]
) -> tuple[int, list[tuple[int, object]]]:
    result = interpreter.run(data)
    return result.fired, result.errors


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations(), st.lists(events(), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_order_of_declarations_and_files_does_not_matter(
    decls: list[str], sample: list[Any], rng: random.Random
) -> None:
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    shuffled = list(decls)
    rng.shuffle(shuffled)
    cut = rng.randint(0, len(shuffled))
    other = build({"b.rw": "\n\n".join(shuffled[:cut]) + "\n", "a.rw": "\n\n".join(shuffled[cut:]) + "\n"})
    first, second = compile_plan(plan), compile_plan(other)
    for event in sample:
        a = stable(_decide(plan, event, first.run), spans=False, digest=False)
        b = stable(_decide(other, event, second.run), spans=False, digest=False)
        assert a == b


def assert_fails_closed(plan: Plan, decision: Decision) -> None:
    """A decision with an enforce-mode error is at least as severe as the fallback alone, with every
    fallback obligation (perhaps merged with a rule's); never `allow` if the fallback holds content."""
    if not any(e.rule not in _shadow_rules(plan) for e in decision.errors):
        return
    fallback_disposition, fallback_account, fallback_obligations = combine(plan.fallback)
    assert DISPOSITIONS.index(decision.disposition) <= DISPOSITIONS.index(fallback_disposition)
    assert ACCOUNT_ACTIONS.index(decision.account_action.kind) <= ACCOUNT_ACTIONS.index(fallback_account.kind)
    for obligation in fallback_obligations:
        key = VOCABULARY[obligation.kind].key
        assert any(
            o.kind == obligation.kind and all(o.params.get(k) == obligation.params.get(k) for k in key)
            for o in decision.obligations
        )
    if fallback_disposition != "allow":
        assert decision.disposition != "allow"


def _shadow_rules(plan: Plan) -> set[str]:
    return {r.name for r in plan.rules if r.shadow}


def test_generated_rulesets_parse(tmp_path: Path) -> None:
    """The strategies' building blocks are valid syntax (a broken generator would test nothing)."""
    for source, tests in ELEMENT_TESTS.items():
        for test in tests:
            body = test.replace("V", "x")
            build({"t.rw": f"ruleset t\nrule r when any x in {source} where {body} then hold\n"})
    for action in ACTIONS:
        build({"t.rw": f"ruleset t\nrule r when true then {action}\n"})
