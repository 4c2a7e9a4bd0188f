"""The event strategies of `ruleward.testing`: valid events, biased towards the ruleset's boundaries."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent, validate_event
from ruleward.testing import classifier, classifiers, events, hash_match, hash_matches, provenance
from ruleward.testing.boundaries import boundaries_of, step_values

RULES = """
const pdq_limit = 31
const high = 0.9
list banks = ["bank_a", "bank_b"]
condition close = any m in hash_matches where m.bank in banks and m.distance <= pdq_limit
condition scored = max_score("csam") >= high
condition young = any e in age_estimates where e.low < 18
"""
RULESET = load_text(RULES).ruleset


def sample(strategy: st.SearchStrategy[Any], count: int = 150) -> list[Any]:
    """`count` values drawn with a fixed seed (hypothesis as a generator)."""
    drawn: list[Any] = []

    @seed(0)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_step_values() -> None:
    assert step_values(31) == [30, 31, 32]
    assert step_values(0.9) == [0.89, 0.9, 0.91]
    assert step_values(0.6) == [0.59, 0.6, 0.61]


def test_boundaries_follow_quantifiers_constants_and_max_score() -> None:
    found = boundaries_of(RULESET)
    # the threshold first, then the sides: a generator picks early values most often
    assert found.at(("hash_matches", "[]", "distance")) == [31, 30, 32]
    assert found.at(("hash_matches", "[]", "bank")) == ["bank_a", "bank_b", "not_listed"]
    assert found.at(("classifiers", "[]", "score")) == [0.9, 0.89, 0.91]
    assert found.at(("classifiers", "[]", "label")) == ["csam"]
    assert found.at(("age_estimates", "[]", "low")) == [18, 17, 19]
    assert found.relevant(("hash_matches", "[]", "distance"))
    assert not found.relevant(("content", "mime"))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(RULESET))
def test_generated_events_are_valid(event: dict[str, Any]) -> None:
    validate_event(event)


def test_events_without_a_ruleset_are_valid_and_varied() -> None:
    drawn = sample(events(), 30)
    for event in drawn:
        validate_event(event)
    assert len({e["surface"] for e in drawn}) > 2


@cache
def biased() -> list[dict[str, Any]]:
    return sample(events(RULESET), 200)


def test_generated_events_hit_every_boundary_and_both_sides_of_lists() -> None:
    drawn = biased()
    distances = {m.get("distance") for e in drawn for m in e.get("hash_matches") or []}
    assert {30, 31, 32} <= distances
    banks = {m["bank"] for e in drawn for m in e.get("hash_matches") or []}
    assert {"bank_a", "bank_b"} <= banks and banks - {"bank_a", "bank_b"}
    scores = {c.get("score") for e in drawn for c in e.get("classifiers") or []}
    assert {0.89, 0.9, 0.91} <= scores
    lows = {a["low"] for e in drawn for a in e.get("age_estimates") or []}
    assert {17, 18, 19} <= lows


def test_signals_are_sometimes_missing_sometimes_empty_and_fields_sometimes_absent() -> None:
    drawn = biased()
    kinds = {
        "null": sum(e.get("hash_matches", 0) is None for e in drawn),
        "absent": sum("hash_matches" not in e for e in drawn),
        "empty": sum(e.get("hash_matches") == [] for e in drawn),
        "found": sum(bool(e.get("hash_matches")) for e in drawn),
    }
    assert all(count > 0 for count in kinds.values()), kinds
    matches = [m for e in drawn for m in e.get("hash_matches") or [] if m["algorithm"] == "pdq"]
    assert any("distance" not in m for m in matches) and any("distance" in m for m in matches)


def test_unread_fields_are_left_out() -> None:
    drawn = biased()
    assert all("mime" not in e["content"] for e in drawn)


def test_the_default_ruleset_seeds_events_near_its_tests() -> None:
    drawn = sample(events("child_safety"), 60)
    # events one edit away from a test's: a whole test event often survives in one of the three signals
    csam_banks = {"ncmec_industry", "iwf", "thorn_csam", "internal_confirmed"}
    assert sum(any(m["bank"] in csam_banks for m in e.get("hash_matches") or []) for e in drawn) > 6


@settings(max_examples=40, deadline=None, database=None)
@given(hash_matches(RULESET), classifiers(RULESET), provenance(RULESET), hash_match(), classifier())
def test_signal_strategies(
    matches: list[dict[str, Any]] | None,
    signals: list[dict[str, Any]] | None,
    found: dict[str, Any] | None,
    one_match: dict[str, Any],
    one_signal: dict[str, Any],
) -> None:
    event = {
        "event_id": "ev-5e0c",
        "schema_version": "1",
        "occurred_at": "2026-01-01T00:00:00Z",
        "surface": "upload",
        "jurisdictions": [],
        "content": {"id": "c-1", "media_type": "image"},
        "actor": {"id": "u-1", "account_age_days": 1},
        "hash_matches": matches,
        "classifiers": signals,
        "provenance": found,
    }
    ModerationEvent.model_validate(event)
    ModerationEvent.model_validate({**event, "hash_matches": [one_match], "classifiers": [one_signal]})
