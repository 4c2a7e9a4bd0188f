"""The engine's API and the semantics of the brief, case by case, on both evaluators.

Each semantic case is a tiny ruleset and an event with the outcome worked out by hand from the brief's
Semantics section; `both` runs it through the compiled code and the reference interpreter.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruleward.engine import Decision, Engine, RulesetError
from ruleward.engine.decision import DecisionRecord, decision_json_schema
from ruleward.engine.events import validate_event

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "events"
HEADER = 'ruleset t version "1" owner "tests"\n'
FALLBACK_REVIEW = {"kind": "review", "queue": "signals_retry", "priority": "P2"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def load(tmp_path: Path, text: str, name: str = "r.rw", **options: Any) -> Engine:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return Engine.load(path, **options)


def both(engine: Engine, event: Any) -> Decision:
    """The compiled decision, after checking the interpreter reaches the same one."""
    compiled, interpreted = engine.evaluate(event).to_dict(), engine.interpret(event).to_dict()
    for record in (compiled, interpreted):
        for key in ("decision_id", "elapsed_us", "trace_id"):
            record.pop(key)
    assert compiled == interpreted
    return engine.evaluate(event)


@pytest.fixture(scope="module")
def default() -> Engine:
    return Engine.load("child_safety")


# ---- loading --------------------------------------------------------------------------------------------


def test_load_by_name_path_and_directory(default: Engine) -> None:
    folder = Path(__file__).resolve().parent.parent / "rulesets" / "child_safety"
    for source in (folder, str(folder), [folder / p.name for p in sorted(folder.glob("*.rw"))]):
        engine = Engine.load(source)
        assert (engine.name, engine.version, engine.digest) == (default.name, default.version, default.digest)
    assert default.name == "child_safety"
    assert len(default.digest) == 64 and int(default.digest, 16) >= 0
    assert default.ruleset.ok


def test_unknown_name_is_a_ruleset_error() -> None:
    with pytest.raises(RulesetError) as caught:
        Engine.load("no_such_ruleset")
    assert "no_such_ruleset" in str(caught.value)
    assert caught.value.diagnostics


def test_digest_ignores_where_the_files_are(tmp_path: Path) -> None:
    text = 'rule r when surface == "upload" then hold\n'
    assert load(tmp_path, text, "a.rw").digest == load(tmp_path, text, "b.rw").digest
    assert load(tmp_path, text).digest != load(tmp_path, text.replace("hold", "block")).digest


# ---- the three-valued semantics ---------------------------------------------------------------------------


def test_kleene_logic_decides_despite_unknown(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule and_false when surface == "storage" and hash_matches is not empty then block\n'
        'rule or_true when surface == "upload" or hash_matches is not empty then tag(name: "seen")\n'
        "rule unknown when hash_matches is not empty then hold\n",
    )
    decision = both(engine, {"surface": "upload", "hash_matches": None})
    assert decision.fired == ("or_true",)
    assert decision.errored == ("unknown",)  # not `and_false`: false and unknown is false
    assert decision.disposition == "hold"  # the fallback


def test_presence_tests_are_definite_on_the_signal_itself(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule missing when provenance is missing then tag(name: "m")\n'
        'rule through when provenance.validation_state is missing then tag(name: "t")\n',
    )
    decision = both(engine, {"surface": "upload"})
    assert decision.fired == ("missing",)
    assert decision.errored == ("through",)  # a path through a missing signal is unknown
    assert "`provenance`" in decision.errors[0].message


def test_absent_values_compare_like_nothing(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        "rule lt when any m in hash_matches where m.distance < 5 then block\n"
        "rule ge when any m in hash_matches where m.distance >= 5 then block\n"
        'rule ne when any m in hash_matches where m.distance != 5 then tag(name: "ne")\n'
        'rule notin when any m in hash_matches where m.classification not in ["SE"] then tag(name: "ni")\n'
        'rule missing when any m in hash_matches where m.distance is missing then tag(name: "mi")\n'
        'rule score when max_score("nudity") >= 0 then block\n',
    )
    event = {"hash_matches": [{"algorithm": "md5", "bank": "iwf"}], "classifiers": []}
    decision = both(engine, event)
    assert decision.fired == ("missing", "ne", "notin")
    assert decision.errors == ()
    assert decision.disposition == "allow"


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    engine = load(
        tmp_path, "rule one when context.flag == 1 then hold\nrule yes when context.flag then label\n"
    )
    assert both(engine, {"context": {"flag": True}}).fired == ("yes",)
    assert both(engine, {"context": {"flag": 1}}).fired == ("one",)
    assert both(engine, {"context": {"flag": 1}}).errored == ("yes",)  # 1 is not true or false


def test_quantifiers_over_unknown_bodies(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        "rule any_true when any r in reports where r.imminent_harm or hash_matches is not empty then hold\n"
        "rule all_false when all r in reports where r.imminent_harm and hash_matches is not empty"
        " then block\n",
    )
    event = {"reports": [{"imminent_harm": False}, {"imminent_harm": True}], "hash_matches": None}
    decision = both(engine, event)
    # any: one body true despite another unknown; all: one body false (false and unknown)
    assert decision.fired == ("any_true",)
    assert decision.errors == ()
    # one report without imminent harm: `false or unknown` is unknown, `false and unknown` is false
    assert both(engine, {"reports": [{"imminent_harm": False}], "hash_matches": None}).errored == (
        "any_true",
    )
    # one with: `true or unknown` is true, `true and unknown` is unknown
    unknown = both(engine, {"reports": [{"imminent_harm": True}], "hash_matches": None})
    assert (unknown.fired, unknown.errored) == (("any_true",), ("all_false",))


def test_unless_unknown_errors_only_when_when_holds(tmp_path: Path) -> None:
    engine = load(
        tmp_path, 'rule r when surface == "upload" unless hash_matches is empty then tag(name: "x")\n'
    )
    assert both(engine, {"surface": "storage"}).errors == ()
    (error,) = both(engine, {"surface": "upload"}).errors
    assert error.message.startswith("`unless` is unknown")
    assert both(engine, {"surface": "upload", "hash_matches": []}).fired == ()
    assert both(engine, {"surface": "upload", "hash_matches": [{}]}).fired == ("r",)


def test_rule_reference_reads_when_and_not_unless(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule base mode shadow when surface == "upload" unless actor.prior_confirmed_csam then label\n'
        'rule uses when base then tag(name: "base")\n'
        'rule negated when not base then tag(name: "not")\n',
    )
    decision = both(engine, {"surface": "upload", "actor": {"prior_confirmed_csam": False}})
    assert decision.shadow == ("base",) and decision.fired == ("uses",)
    assert decision.disposition == "allow"  # shadow rules are never enforced
    assert both(engine, {"surface": "upload", "actor": {"prior_confirmed_csam": True}}).fired == ("negated",)


def test_shadow_errors_are_recorded_but_do_not_trigger_the_fallback(tmp_path: Path) -> None:
    engine = load(tmp_path, "rule s mode shadow when hash_matches is not empty then block\n")
    decision = both(engine, {"surface": "upload"})
    assert decision.errored == ("s",)
    assert (decision.disposition, decision.obligations, decision.shadow) == ("allow", (), ())


def test_a_bad_value_errors_its_rule_and_no_other(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        "condition strikes = actor.active_strikes > 2\n"
        "rule uses_it when strikes then ban\n"
        'rule other when surface == "upload" then label\n',
    )
    decision = both(engine, {"surface": "upload", "actor": {"active_strikes": "many"}})
    assert decision.fired == ("other",)
    (error,) = decision.errors
    assert error.rule == "uses_it"
    assert error.message.startswith("cannot evaluate `actor.active_strikes > 2`")
    assert error.span is not None and error.span.line == 2  # the condition's line in the file
    assert decision.disposition == "hold"


def test_defaults_of_the_schema_apply_to_left_out_fields(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule failed when any c in classifiers where c.status != "ok" then hold\n'
        "rule deleted when any m in hash_matches where m.entry_deleted then label\n",
    )
    event = {"classifiers": [{"label": "csam", "score": 0.1}], "hash_matches": [{"bank": "iwf"}]}
    assert both(engine, event).fired == ()  # `status` defaults to "ok", `entry_deleted` to false


def test_max_score_and_count(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule high when max_score("csam") >= 0.8 then hold\nrule many when count(reports) >= 2 then label\n',
    )
    classifiers = [
        {"label": "csam", "score": 0.5},
        {"label": "csam", "score": 0.85},
        {"label": "csam", "score": 0.99, "status": "failed"},
        {"label": "csam", "priority": "high"},
    ]
    assert both(engine, {"classifiers": classifiers}).fired == ("high",)
    assert both(engine, {"classifiers": [], "reports": [{}, {}]}).fired == ("many",)
    assert both(engine, {"classifiers": None}).errored == ("high",)
    bad = both(engine, {"classifiers": [{"label": "csam", "score": "0.9"}]})
    assert bad.errored == ("high",) and "should be a number" in bad.errors[0].message


# ---- combining actions ------------------------------------------------------------------------------------


def test_obligations_merge_by_key(tmp_path: Path) -> None:
    engine = load(
        tmp_path,
        'rule a when true then hold, preserve(days: 30), review(queue: "q", priority: P2), suspend(days: 3)\n'
        'rule b when true then preserve(days: 365), review(queue: "q", priority: P1, sla: 24),\n'
        '  tag(name: "x")\n'
        'rule c when true then review(queue: "other", priority: P3, sla: 4), suspend(days: 7),\n'
        '  tag(name: "x")\n'
        'rule d when true then report(to: "nca"), report(to: "ncmec"), label\n',
    )
    decision = both(engine, {})
    assert decision.disposition == "hold"
    assert decision.account_action.to_dict() == {"kind": "suspend", "days": 7}
    assert [o.to_dict() for o in decision.obligations] == [
        {"kind": "preserve", "days": 365},
        {"kind": "report", "to": "nca"},
        {"kind": "report", "to": "ncmec"},
        {"kind": "review", "queue": "other", "priority": "P3", "sla": 4},
        {"kind": "review", "queue": "q", "priority": "P1", "sla": 24},
        {"kind": "tag", "name": "x"},
    ]
    assert decision.fired == ("a", "b", "c", "d")


def test_custom_fallback(tmp_path: Path) -> None:
    path = tmp_path / "f.rw"
    path.write_text(
        'ruleset f version "1" owner "x" fallback block, review(queue: "retry", priority: P0)\n'
        "rule r when hash_matches is not empty then label\n",
        encoding="utf-8",
    )
    decision = Engine.load(path).evaluate({})
    assert decision.disposition == "block"
    assert [o.to_dict() for o in decision.obligations] == [
        {"kind": "review", "queue": "retry", "priority": "P0"}
    ]


# ---- never raising, failing closed ------------------------------------------------------------------------


@pytest.mark.parametrize("event", [None, [], "event", 7, 2.5, True, object(), [{"surface": "upload"}]])
def test_an_event_that_is_not_an_object_fails_closed(default: Engine, event: Any) -> None:
    decision = default.evaluate(event)
    (error,) = decision.errors
    assert error.rule == "<event>"
    assert decision.disposition == "hold"
    assert [o.to_dict() for o in decision.obligations] == [FALLBACK_REVIEW]
    assert decision.event_id is None
    DecisionRecord.model_validate(decision.to_dict())


def test_mappings_and_models_are_events(default: Engine) -> None:
    event = example("verified-pdq-match")
    expected = default.evaluate(event).disposition
    assert default.evaluate(MappingProxyType(event)).disposition == expected
    assert default.evaluate(validate_event(event)).disposition == expected


def test_validation_failure_fails_closed_but_still_runs_the_rules() -> None:
    strict = Engine.load("child_safety", validate=True)
    event = example("verified-pdq-match")
    event["surface"] = "nowhere"
    decision = strict.evaluate(event)
    assert decision.errors[0].rule == "<event>" and "surface" in decision.errors[0].message
    assert decision.disposition == "block"  # verified_match still fired on the data as it came
    assert FALLBACK_REVIEW in [o.to_dict() for o in decision.obligations]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=True) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
FIELDS = [
    "surface",
    "actor",
    "hash_matches",
    "classifiers",
    "provenance",
    "reports",
    "age_estimates",
    "content",
]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=len(FIELDS)))
def test_malformed_events_never_raise_and_never_allow_after_an_error(default: Engine, event: Any) -> None:
    decision = default.evaluate(event)
    assert decision.to_dict() == {**decision.to_dict()}  # complete, serialisable
    json.dumps(decision.to_dict())
    if decision.errors:
        assert decision.disposition != "allow"
        assert FALLBACK_REVIEW in [o.to_dict() for o in decision.obligations]


def test_an_engine_bug_still_fails_closed(default: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine.load("child_safety")

    def broken(event: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine._loaded, "run", broken)
    decision = engine.evaluate(example("benign-upload"))
    assert decision.errors[0].rule == "<engine>" and "boom" in decision.errors[0].message
    assert decision.disposition == "hold"


# ---- decisions --------------------------------------------------------------------------------------------


def test_decision_is_immutable_but_takes_a_trace_id(default: Engine) -> None:
    decision = default.evaluate(example("benign-upload"))
    with pytest.raises(AttributeError):
        decision.disposition = "block"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decision.errors = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decision.event_id = "another"  # type: ignore[misc]
    assert decision.trace_id is None
    decision.trace_id = "ab" * 16
    assert decision.to_dict()["trace_id"] == "ab" * 16
    assert default.evaluate(example("benign-upload"), trace_id="t1").trace_id == "t1"


def test_decision_ids_are_unique_hex(default: Engine) -> None:
    ids = {default.evaluate({}).decision_id for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_to_dict_has_the_brief_s_keys_and_validates(default: Engine) -> None:
    decision = default.evaluate(example("hash-matching-failed"))
    record = decision.to_dict()
    assert list(record) == [
        "decision_id",
        "event_id",
        "ruleset",
        "disposition",
        "account_action",
        "obligations",
        "matched",
        "shadow",
        "errors",
        "trace_id",
        "elapsed_us",
    ]
    assert isinstance(record["elapsed_us"], int) and record["elapsed_us"] >= 1
    assert set(record["errors"][0]) == {"rule", "message", "span"}  # type: ignore[index]
    assert DecisionRecord.model_validate(record).model_dump() is not None
    schema = decision_json_schema()
    assert schema["title"] == "DecisionRecord"


def test_decision_record_enums_follow_the_vocabulary() -> None:
    from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, DISPOSITIONS, OBLIGATION_ORDER

    properties: Any = decision_json_schema()
    defs = properties["$defs"]
    assert tuple(properties["properties"]["disposition"]["enum"]) == DISPOSITIONS
    assert tuple(defs["AccountActionRecord"]["properties"]["kind"]["enum"]) == ACCOUNT_ACTIONS
    assert tuple(defs["ObligationRecord"]["properties"]["kind"]["enum"]) == OBLIGATION_ORDER


# ---- tracing, reloading, threads --------------------------------------------------------------------------


def test_a_tracer_object_is_called_once_per_decision_and_its_failures_are_contained() -> None:
    class Counting:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def __call__(self, decision: Decision) -> None:
            self.seen.append(decision.decision_id)
            raise ValueError("tracer down")

    tracer = Counting()
    engine = Engine.load("child_safety", tracer=tracer)
    decisions = [engine.evaluate({}), engine.evaluate(example("benign-upload"))]
    assert tracer.seen == [d.decision_id for d in decisions]


def test_tracer_is_called_and_its_failures_are_contained() -> None:
    seen: list[Decision] = []
    engine = Engine.load("child_safety", tracer=seen.append)
    decision = engine.evaluate(example("benign-upload"))
    assert seen == [decision]

    def failing(decision: Decision) -> None:
        raise ValueError("tracer down")

    assert Engine.load("child_safety", tracer=failing).evaluate({}).disposition == "hold"


def test_reload_swaps_and_keeps_the_old_ruleset_on_error(tmp_path: Path) -> None:
    engine = load(tmp_path, 'rule r when surface == "upload" then hold\n')
    assert engine.evaluate({"surface": "upload"}).disposition == "hold"
    other = tmp_path / "other.rw"
    other.write_text(
        HEADER.replace('"1"', '"2"') + 'rule r when surface == "upload" then block\n', encoding="utf-8"
    )
    engine.reload(other)
    assert (engine.version, engine.evaluate({"surface": "upload"}).disposition) == ("2", "block")
    broken = tmp_path / "broken.rw"
    broken.write_text(HEADER + "rule r when surface == then\n", encoding="utf-8")
    with pytest.raises(RulesetError):
        engine.reload(broken)
    assert (engine.version, engine.evaluate({"surface": "upload"}).disposition) == ("2", "block")
    engine.reload()  # the current source again
    assert engine.version == "2"


def test_evaluate_from_threads_during_reload(tmp_path: Path) -> None:
    first = tmp_path / "v1.rw"
    first.write_text(HEADER + 'rule r when surface == "upload" then hold\n', encoding="utf-8")
    second = tmp_path / "v2.rw"
    second.write_text(
        HEADER.replace('"1"', '"2"') + 'rule r when surface == "upload" then block\n', encoding="utf-8"
    )
    engine = Engine.load(first)
    expected = {"1": "hold", "2": "block"}
    failures: list[str] = []
    stop = threading.Event()

    def worker() -> None:
        try:
            while not stop.is_set():
                for decision in engine.evaluate_many([{"surface": "upload"}] * 20):
                    if expected[decision.ruleset.version or ""] != decision.disposition or decision.errors:
                        failures.append(repr(decision))
        except Exception as error:  # pragma: no cover - the assertion below reports it
            failures.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(10):
        engine.reload(second if i % 2 == 0 else first)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_host_schema_with_its_own_signals_and_defaults(tmp_path: Path) -> None:
    from pydantic import BaseModel, Field

    class HostEvent(BaseModel):
        kind: str
        risk: float | None = Field(default=None, json_schema_extra={"x-ruleward-signal": True})
        level: int = 2

    path = tmp_path / "host.rw"
    path.write_text(HEADER + "rule r when risk > 0.5 or level >= 3 then block\n", encoding="utf-8")
    engine = Engine.load(path, HostEvent)
    assert both(engine, {"kind": "a", "risk": 0.9}).disposition == "block"
    assert both(engine, {"kind": "a", "risk": 0.1}).disposition == "allow"  # `level` defaults to 2
    unknown = both(engine, {"kind": "a"})  # risk missing: unknown or false is unknown
    assert (unknown.errored, unknown.disposition) == (("r",), "hold")
    assert both(engine, {"kind": "a", "level": 3}).fired == ("r",)  # unknown or true is true
    assert engine.evaluate(HostEvent(kind="a", risk=0.7)).disposition == "block"
