"""The reference interpreter's facts, and the explanations built on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ruleward.engine import Engine

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "events"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def default() -> Engine:
    return Engine.load("child_safety")


def test_explain_names_the_facts(default: Engine) -> None:
    explanation = default.explain(example("verified-pdq-match"))
    assert explanation.decision.fired == ("verified_match",)
    rules = {r.rule: r for r in explanation.rules}
    verified = rules["verified_match"]
    assert verified.status == "fired"
    facts = {f.text: f for f in verified.facts}
    distance = facts["match.distance <= pdq_match_distance"]
    assert distance.result is True
    assert dict(distance.values) == {"match.distance": 12, "pdq_match_distance": 31}
    assert [(b.variable, b.source, b.index) for b in distance.bindings] == [("match", "hash_matches", 0)]
    borderline = rules["borderline_match"]
    assert borderline.status == "not fired"
    assert [f.text for f in borderline.facts] == ["not verified_match"]  # the first condition that failed
    text = explanation.render()
    assert "FIRED      verified_match" in text and "match.distance = 12" in text
    json.dumps(explanation.to_dict())


def test_explain_an_error(default: Engine) -> None:
    explanation = default.explain(example("hash-matching-failed"))
    verified = next(r for r in explanation.rules if r.rule == "verified_match")
    assert verified.status == "error" and verified.error is not None
    assert "`hash_matches` is missing" in verified.reason
    assert [f.result for f in verified.facts] == [None]
    assert explanation.to_dict()["rules"][-1]["facts"][0]["result"] == "unknown"  # type: ignore[index]
    assert default.explain(None).rules == ()


def test_facts_of_a_false_any_cover_every_item(tmp_path: Path) -> None:
    path = tmp_path / "r.rw"
    path.write_text(
        'ruleset t version "1" owner "x"\nrule r when any m in hash_matches where m.distance < 5 then hold\n',
        encoding="utf-8",
    )
    engine = Engine.load(path)
    (rule,) = engine.explain({"hash_matches": [{"distance": 9}, {"distance": 7}]}).rules
    assert rule.status == "not fired"
    assert [(f.result, dict(f.values), f.bindings[0].index) for f in rule.facts] == [
        (False, {"m.distance": 9}, 0),
        (False, {"m.distance": 7}, 1),
    ]
    (empty,) = engine.explain({"hash_matches": []}).rules
    assert [(f.text, f.values) for f in empty.facts] == [
        ("any m in hash_matches where m.distance < 5", (("hash_matches", []),))
    ]


def test_explanation_of_a_shadow_rule_and_an_unless(tmp_path: Path) -> None:
    path = tmp_path / "r.rw"
    path.write_text(
        'ruleset t version "1" owner "x"\n'
        'rule s mode shadow when surface == "upload" then block\n'
        'rule u when surface == "upload" unless actor.prior_confirmed_csam then hold\n',
        encoding="utf-8",
    )
    explanation = Engine.load(path).explain({"surface": "upload", "actor": {"prior_confirmed_csam": True}})
    shadow, blocked = explanation.rules
    assert (shadow.mode, shadow.status) == ("shadow", "fired")
    assert explanation.decision.shadow == ("s",)
    assert (blocked.status, blocked.reason) == ("not fired", "`unless` is true")
    assert [f.text for f in blocked.facts] == ["actor.prior_confirmed_csam"]
    assert "(shadow)" in explanation.render()
