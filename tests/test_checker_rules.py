"""The rules pass: `when` and `then`, the mode, and the legal tier."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(rule: str) -> list[Diagnostic]:
    return list(check(load_text(HEADER + rule, "t.rw"), ModerationEvent).diagnostics)


def codes(rule: str) -> list[str]:
    return [d.code for d in diagnose(rule)]


def test_a_rule_needs_when_and_then() -> None:
    assert codes("rule r then hold\n") == ["E126"]
    assert codes("rule r when actor.prior_confirmed_csam\n") == ["E127"]
    found = diagnose("rule r tier policy\n")
    assert [d.code for d in found] == ["E126", "E127"]
    assert all(d.span is not None and d.span.column == 6 for d in found)


def test_mode_is_enforce_or_shadow() -> None:
    assert codes("rule r mode shadow when true then hold\n") == []
    assert codes("rule r mode enforce when true then hold\n") == []
    found = diagnose("rule r mode shadwo when true then hold\n")
    assert [d.code for d in found] == ["E128"] and found[0].hint == "did you mean `shadow`?"


def test_legal_rules_cannot_be_excepted() -> None:
    found = diagnose('rule r tier legal cite "law" when true unless actor.active_strikes > 3 then hold\n')
    assert [d.code for d in found] == ["E129"]
    assert found[0].message == "legal-tier rules cannot be excepted"
    assert codes("rule r tier policy when true unless actor.active_strikes > 3 then hold\n") == []


def test_legal_rules_cite_their_basis() -> None:
    assert codes("rule r tier legal when true then hold\n") == ["W110"]
    assert codes('rule r tier legal cite "18 U.S.C. 2258A" when true then hold\n') == []


def test_a_near_miss_of_a_known_tier() -> None:
    found = diagnose('rule r tier legl cite "law" when true then hold\n')
    assert [d.code for d in found] == ["W115"]
    assert found[0].hint is not None and found[0].hint.startswith("did you mean `legal`?")
    assert codes("rule r tier trust_and_safety when true then hold\n") == []
    assert codes("rule r tier operations when true then hold\n") == []
