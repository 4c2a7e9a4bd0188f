"""The default ruleset on every example event decides what DEFAULT-RULESET.md says it must.

Each expectation below was derived by hand from the table in DEFAULT-RULESET.md, not from the engine:
which rules' `when` holds on the event, then the most severe disposition and account action, and the
obligations merged (review per queue at the most urgent priority, preserve at the longest, in execution
order: preserve, report, notify, takedown timer, block copies, statement of reasons, review, tag).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ruleward.engine import Engine
from ruleward.engine.decision import DecisionRecord
from ruleward.engine.events import validate_event

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "events"

PRESERVE = {"kind": "preserve", "days": 365}
REPORT_NCMEC = {"kind": "report", "to": "ncmec"}


def review(queue: str, priority: str) -> dict[str, object]:
    return {"kind": "review", "queue": queue, "priority": priority}


# event file -> (disposition, account action, obligations, fired rules, errored rules)
EXPECTED: dict[str, tuple[str, str, list[dict[str, object]], list[str], list[str]]] = {
    "benign-upload": ("allow", "none", [], [], []),
    # PDQ distance 35 in ncmec_industry: the borderline band 32-40, not verified
    "borderline-pdq-match": (
        "hold",
        "none",
        [PRESERVE, review("child_safety", "P1")],
        ["borderline_match"],
        [],
    ),
    # CSAM score 0.95 >= 0.90
    "classifier-only-high": (
        "hold",
        "none",
        [PRESERVE, review("child_safety", "P0")],
        ["classifier_high"],
        [],
    ),
    # md5 (exact) in iwf (a CSAM bank): verified
    "exact-md5-iwf": (
        "block",
        "ban",
        [PRESERVE, REPORT_NCMEC, review("child_safety", "P1")],
        ["verified_match"],
        [],
    ),
    # hash_matches null on an upload: signals_missing fires; every rule reading hash matches is unknown,
    # so errors, and the fallback (hold + review signals_retry P2) merges with signals_missing's actions
    "hash-matching-failed": (
        "hold",
        "none",
        [review("signals_retry", "P2")],
        ["signals_missing"],
        ["borderline_match", "unverified_signal", "verified_match"],
    ),
    # a PDQ match in lantern (an unverified bank)
    "lantern-signal": ("hold", "none", [review("child_safety", "P2")], ["unverified_signal"], []),
    # CSAM 0.72 (medium band) + provenance invalid: review at P2 and P1 merge to P1, plus the tag;
    # no rule here has a disposition, so the content is allowed pending review
    "provenance-failure-high-score": (
        "allow",
        "none",
        [review("child_safety", "P1"), {"kind": "tag", "name": "provenance_invalid"}],
        ["classifier_medium", "provenance_escalation", "provenance_invalid"],
        [],
    ),
    # minor_presence 0.91, sexual 0.94 and AI-generated (source type, watermark, score 0.97)
    "synthetic-minor-sexual": (
        "block",
        "none",
        [PRESERVE, review("child_safety", "P0"), {"kind": "tag", "name": "generative_ai"}],
        ["minor_sexual", "synthetic_minor_sexual"],
        [],
    ),
    "takedown-request": (
        "remove",
        "none",
        [
            {"kind": "takedown_timer", "hours": 48},
            {"kind": "block_copies"},
            {"kind": "statement_of_reasons"},
        ],
        ["takedown_request"],
        [],
    ),
    # PDQ distance 12, quality 92 in ncmec_industry: verified
    "verified-pdq-match": (
        "block",
        "ban",
        [PRESERVE, REPORT_NCMEC, review("child_safety", "P1")],
        ["verified_match"],
        [],
    ),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("child_safety")


def _event(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_every_example_has_an_expectation() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(EXPECTED)


def _check(record: dict[str, object], name: str) -> None:
    disposition, account, obligations, fired, errored = EXPECTED[name]
    assert record["disposition"] == disposition
    assert record["account_action"] == {"kind": account}
    assert record["obligations"] == obligations
    assert [m["rule"] for m in record["matched"]] == fired  # type: ignore[attr-defined,index]
    assert [e["rule"] for e in record["errors"]] == errored  # type: ignore[attr-defined,index]
    assert record["shadow"] == []
    assert record["event_id"] == _event(name)["event_id"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_compiled_decision(engine: Engine, name: str) -> None:
    decision = engine.evaluate(_event(name))
    record = decision.to_dict()
    _check(record, name)
    DecisionRecord.model_validate(record)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_interpreted_decision(engine: Engine, name: str) -> None:
    _check(engine.interpret(_event(name)).to_dict(), name)


@pytest.fixture(scope="module")
def strict() -> Engine:
    return Engine.load("child_safety", validate=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validated_model_gives_the_same_decision(engine: Engine, strict: Engine, name: str) -> None:
    _check(strict.evaluate(_event(name)).to_dict(), name)
    _check(engine.evaluate(validate_event(_event(name))).to_dict(), name)


def test_matched_rules_carry_tier_cite_and_actions(engine: Engine) -> None:
    record = engine.evaluate(_event("verified-pdq-match")).to_dict()
    (match,) = record["matched"]  # type: ignore[misc]
    assert match["rule"] == "verified_match"
    assert match["tier"] == "legal"
    assert "2258A" in match["cite"]
    assert match["actions"] == [
        {"kind": "block"},
        PRESERVE,
        REPORT_NCMEC,
        {"kind": "ban"},
        review("child_safety", "P1"),
    ]
    assert record["ruleset"] == {"name": "child_safety", "version": engine.version, "digest": engine.digest}


def test_unknown_errors_name_the_missing_signal(engine: Engine) -> None:
    decision = engine.evaluate(_event("hash-matching-failed"))
    for error in decision.errors:
        assert "`hash_matches`" in error.message
        assert error.span is not None and error.span.file.endswith("child_safety.rw")
