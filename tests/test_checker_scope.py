"""The scope pass: quantifier variables used in scope, hiding nothing, and used."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(rule: str, prelude: str = "") -> list[Diagnostic]:
    return list(check(load_text(f"{HEADER}{prelude}{rule}", "t.rw"), ModerationEvent).diagnostics)


def codes(rule: str, prelude: str = "") -> list[str]:
    return [d.code for d in diagnose(rule, prelude)]


def test_variable_used_after_a_parenthesised_quantifier() -> None:
    found = diagnose(
        'rule r when (any m in hash_matches where m.bank == "iwf") and m.distance < 3 then hold\n'
    )
    assert [d.code for d in found] == ["E119"]
    assert found[0].span is not None and found[0].span.column == 63
    assert found[0].notes == ("`m` is bound at t.rw:2:18",)


def test_variable_used_in_another_clause() -> None:
    found = codes(
        'rule r when any m in hash_matches where m.bank == "iwf" unless m.entry_deleted then hold\n'
    )
    assert found == ["E119"]


def test_a_quantifier_body_runs_to_the_right() -> None:
    assert (
        codes('rule r when any m in hash_matches where m.bank == "iwf" and m.distance < 3 then hold\n') == []
    )


def test_a_variable_hiding_another_variable_or_a_declaration() -> None:
    nested = "rule r when any m in hash_matches where any m in hash_matches where m.distance < 3 then hold\n"
    assert codes(nested) == ["W107", "E120"]  # the outer `m` is hidden, so its body never reads it
    assert codes(
        "rule r when any limit in hash_matches where limit.distance < 3 then hold\n",
        prelude="const limit = 3\n",
    ) == ["W103", "E120"]
    text = "rule q when true then hold\n"
    text += "invariant i always any decision in reports where decision.imminent_harm\n"
    assert "E120" in codes(text)


def test_a_variable_hiding_an_event_field() -> None:
    found = diagnose('rule r when any surface in reports where surface.source == "ncmec" then hold\n')
    assert [d.code for d in found] == ["W106"]
    assert found[0].span is not None and found[0].span.column == 17


def test_a_body_that_never_reads_its_variable() -> None:
    assert codes('rule r when any x in reports where surface == "upload" then hold\n') == ["W107"]
    assert codes("rule r when any x in reports where any y in x.reason where true then hold\n") == [
        "W107",
        "E113",
    ]


def test_the_same_variable_name_in_two_separate_quantifiers_is_fine() -> None:
    rule = (
        'rule r when any m in hash_matches where m.bank == "iwf"\n'
        "  unless any m in hash_matches where m.entry_deleted then hold\n"
    )
    assert codes(rule) == []
