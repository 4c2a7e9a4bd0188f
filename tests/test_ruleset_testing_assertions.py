"""The assertion helpers of `ruleward.testing`, on decisions of the default ruleset."""

from __future__ import annotations

from typing import Any

import pytest

from ruleward.engine import Engine
from ruleward.testing import (
    assert_account,
    assert_disposition,
    assert_error,
    assert_fired,
    assert_no_obligation,
    assert_not_fired,
    assert_not_weaker,
    assert_obligation,
    weaker_in,
)

ENGINE = Engine.load("child_safety")


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "ev-2d7e91",
        "schema_version": "1",
        "occurred_at": "2026-11-20T10:15:00Z",
        "surface": "upload",
        "jurisdictions": ["US"],
        "content": {"id": "c-8e21f3", "media_type": "image"},
        "actor": {"id": "u-b40c7a", "account_age_days": 30},
        "hash_matches": [],
        "classifiers": [{"provider": "thorn", "model_version": "1", "label": "csam", "score": 0.01}],
        "provenance": None,
    }
    base.update(fields)
    return base


VERIFIED = ENGINE.evaluate(event(hash_matches=[{"algorithm": "md5", "bank": "iwf"}]))
BENIGN = ENGINE.evaluate(event())
DOWN = ENGINE.evaluate(event(hash_matches=None))


def test_passing_assertions() -> None:
    assert_disposition(VERIFIED, "block")
    assert_account(VERIFIED, "ban")
    assert_obligation(VERIFIED, "report", to="ncmec")
    assert_obligation(VERIFIED, "review", queue="child_safety", priority="P1")
    assert_obligation(VERIFIED.to_dict(), "preserve")
    assert_no_obligation(VERIFIED, "report", to="nca")
    assert_fired(VERIFIED, "verified_match")
    assert_not_fired(VERIFIED, "borderline_match", "classifier_high")
    assert_error(DOWN, "verified_match")


def test_failing_assertions_say_what_the_decision_was() -> None:
    with pytest.raises(
        AssertionError, match=r"expected disposition `allow`, got `block` \(.*fired `verified_match`"
    ):
        assert_disposition(VERIFIED, "allow")
    with pytest.raises(AssertionError, match="expected account action `none`, got `ban`"):
        assert_account(VERIFIED, "none")
    with pytest.raises(AssertionError, match=r'expected obligation `report\(to: "nca"\)`'):
        assert_obligation(VERIFIED, "report", to="nca")
    with pytest.raises(AssertionError, match=r'expected no obligation `report`, got `report\(to: "ncmec"\)`'):
        assert_no_obligation(VERIFIED, "report")
    with pytest.raises(AssertionError, match="expected `classifier_high` to fire"):
        assert_fired(VERIFIED, "verified_match", "classifier_high")
    with pytest.raises(AssertionError, match="expected `verified_match` not to fire"):
        assert_not_fired(VERIFIED, "verified_match")
    with pytest.raises(AssertionError, match="expected `verified_match` to error"):
        assert_error(BENIGN, "verified_match")


def test_weaker_compares_disposition_account_and_obligations() -> None:
    assert weaker_in(VERIFIED, VERIFIED) == []
    assert weaker_in(VERIFIED, BENIGN) == []
    found = weaker_in(BENIGN, VERIFIED)
    assert "disposition `allow` is milder than `block`" in found
    assert "account action `none` is milder than `ban`" in found
    assert 'obligation `report(to: "ncmec")` is missing' in found
    with pytest.raises(AssertionError, match="the decision is weaker"):
        assert_not_weaker(BENIGN, VERIFIED)


def test_a_later_priority_or_shorter_retention_is_weaker() -> None:
    urgent = {
        "disposition": "hold",
        "account_action": {"kind": "none"},
        "obligations": [
            {"kind": "preserve", "days": 365},
            {"kind": "review", "queue": "child_safety", "priority": "P0"},
        ],
    }
    relaxed = {
        "disposition": "hold",
        "account_action": {"kind": "none"},
        "obligations": [
            {"kind": "preserve", "days": 30},
            {"kind": "review", "queue": "child_safety", "priority": "P2"},
            {"kind": "tag", "name": "extra"},
        ],
    }
    found = weaker_in(relaxed, urgent)
    assert len(found) == 2 and all("is weaker" in f for f in found)
    assert weaker_in(urgent, relaxed) == ['obligation `tag(name: "extra")` is missing']
