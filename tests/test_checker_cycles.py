"""The cycles pass: conditions and rules that depend on themselves, each cycle reported once."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.checker.cycles import strongly_connected
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.dsl.source import NO_SPAN
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def cycles(text: str) -> list[Diagnostic]:
    found = check(load_text(HEADER + text, "t.rw"), ModerationEvent).diagnostics
    return [d for d in found if d.code == "E106"]


def test_a_two_condition_cycle_is_reported_once_with_its_path() -> None:
    found = cycles("condition a = b\ncondition b = a\nrule r when a then hold\n")
    assert len(found) == 1
    assert found[0].message == "condition `a` depends on itself: `a -> b -> a`"
    assert found[0].span is not None and (found[0].span.line, found[0].span.column) == (2, 15)


def test_a_rule_referring_to_itself() -> None:
    found = cycles('rule r when surface == "upload" or r then hold\n')
    assert [d.message for d in found] == ["rule `r` depends on itself: `r -> r`"]


def test_a_cycle_through_rules_and_conditions() -> None:
    text = 'condition c = r2 and surface == "upload"\nrule r1 when c then hold\nrule r2 when r1 then hold\n'
    found = cycles(text)
    assert [d.message for d in found] == ["condition `c` depends on itself: `c -> r2 -> r1 -> c`"]


def test_two_separate_cycles_give_two_reports() -> None:
    text = "condition a = b\ncondition b = a\ncondition x = x\nrule r when a and x then hold\n"
    assert len(cycles(text)) == 2


def test_no_cycle_in_a_chain_or_a_diamond() -> None:
    text = (
        'condition base = surface == "upload"\ncondition left = base\ncondition right = base\n'
        "condition top = left and right\nrule r when top then hold\n"
    )
    assert cycles(text) == []


def test_a_quantifier_variable_named_like_a_condition_is_not_a_reference() -> None:
    # the variable hides the condition (E120 says so), so the body does not refer back to `m`
    text = 'condition m = any m in hash_matches where m.bank == "iwf"\nrule r when m then hold\n'
    assert cycles(text) == []


def test_tarjan_on_a_long_chain_does_not_recurse() -> None:
    graph = {f"n{i}": {f"n{i + 1}": NO_SPAN} for i in range(5000)}
    graph["n5000"] = {"n0": NO_SPAN}
    components = strongly_connected(graph)
    assert len(components) == 1 and len(components[0]) == 5001
