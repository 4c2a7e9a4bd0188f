"""The lints pass: contradictions, logic written twice, size limits."""

from __future__ import annotations

from ruleward.dsl.checker import Limits, check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(text: str, limits: Limits | None = None) -> list[Diagnostic]:
    loaded = load_text(HEADER + text, "t.rw")
    return list(check(loaded, ModerationEvent, limits=limits or Limits()).diagnostics)


def when(condition: str, prelude: str = "") -> list[str]:
    return [d.code for d in diagnose(f"{prelude}rule r when {condition} then hold\n")]


def test_contradictory_bounds() -> None:
    assert when("actor.active_strikes > 5 and actor.active_strikes < 3") == ["W111"]
    assert when("actor.active_strikes > 5 and actor.active_strikes <= 5") == ["W111"]
    assert when("actor.active_strikes >= 5 and actor.active_strikes <= 5") == []
    assert when("actor.active_strikes > 5 and actor.active_strikes < 7") == []
    assert when("3 > actor.active_strikes and actor.active_strikes > 5") == ["W111"]
    assert when(
        "actor.active_strikes > hi and actor.active_strikes < lo", "const hi = 5\nconst lo = 3\n"
    ) == ["W111"]


def test_contradictory_equalities_and_memberships() -> None:
    assert when('surface == "upload" and surface == "profile"') == ["W111"]
    assert when('surface == "upload" and surface != "upload"') == ["W111"]
    assert when('surface in ["upload", "profile"] and surface == "livestream"') == ["W111"]
    assert when('surface in ["upload"] and surface not in ["upload"]') == ["W111"]
    assert when('surface in l and surface == "storage"', 'list l = ["upload"]\n') == ["W111"]
    assert when('surface == "upload" and surface == "upload"') == []
    assert when('surface != "upload" and surface != "profile"') == []
    assert when('surface in ["upload", "profile"] and surface != "upload"') == []
    assert when('max_score("csam") >= 0.9 and max_score("csam") < 0.6') == ["W111"]
    assert when('max_score("csam") >= 0.9 and max_score("nudity") < 0.6') == []


def test_contradictions_inside_quantifier_bodies_point_at_the_second_comparison() -> None:
    found = diagnose(
        "rule r when any m in hash_matches where m.distance > 40 and m.distance <= 31 then hold\n"
    )
    assert [d.code for d in found] == ["W111"]
    assert found[0].span is not None and found[0].span.column == 61
    assert "rule `r` can never fire" in found[0].message


def test_or_is_not_a_contradiction() -> None:
    assert when('surface == "upload" or surface == "profile"') == []


def test_duplicate_rules_and_conditions_by_hash() -> None:
    text = (
        "rule a when actor.active_strikes > 3 then hold\n"
        "rule b when actor.active_strikes   >   3 then ban\n"
        'rule c when actor.active_strikes > 3 unless surface == "upload" then hold\n'
    )
    found = diagnose(text)
    assert [d.code for d in found] == ["W112"]
    assert found[0].span is not None and found[0].span.line == 3
    conditions = 'condition x = surface == "upload"\ncondition y = surface == "upload"\n'
    conditions += "rule r when x and y then hold\n"
    assert [d.code for d in diagnose(conditions)] == ["W112"]


def test_limits() -> None:
    rules = "".join(f"rule r{i} when actor.active_strikes > {i} then hold\n" for i in range(4))
    found = diagnose(rules, Limits(max_rules=3))
    assert [d.code for d in found] == ["E130"]
    assert found[0].span is not None and found[0].span.line == 5
    assert [d.code for d in diagnose(rules, Limits(max_rules=4))] == []
    listed = 'list l = ["a", "b", "c"]\nrule r when actor.id in l or actor.id in ["x", "y", "z"] then hold\n'
    assert [d.code for d in diagnose(listed, Limits(max_list_items=2))] == ["E131", "E131"]
    assert [d.code for d in diagnose(listed, Limits(max_list_items=3))] == []
