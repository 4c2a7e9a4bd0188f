"""The actions pass: names, arguments, values and ranges from the vocabulary; conflicting actions."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(then: str, prelude: str = "") -> list[Diagnostic]:
    text = f"{HEADER}{prelude}rule r\n  when actor.prior_confirmed_csam\n  then {then}\n"
    return list(check(load_text(text, "t.rw"), ModerationEvent).diagnostics)


def codes(then: str, prelude: str = "") -> list[str]:
    return [d.code for d in diagnose(then, prelude)]


def test_the_vocabulary_is_accepted() -> None:
    then = (
        'block, ban, preserve(days: 365), report(to: "ncmec"), notify_law_enforcement, '
        "takedown_timer(hours: 48), block_copies, statement_of_reasons, "
        'review(queue: "q", priority: P0, sla: 4), '
        'tag(name: "x")'
    )
    assert codes(then) == []
    assert codes("suspend") == [] and codes("suspend(days: 7)") == []


def test_unknown_actions_suggest_a_name() -> None:
    found = diagnose("deny")
    assert [d.code for d in found] == ["E121"] and found[0].hint == "ruleward calls this `block`"
    found = diagnose("hold, preseve(days: 3)")
    assert found[0].hint == "did you mean `preserve`?"
    span = found[0].span
    assert span is not None and span.end_column - span.column == len("preseve")


def test_unknown_arguments() -> None:
    found = diagnose('hold, review(queue: "q", priority: P1, prio: P2)')
    assert [d.code for d in found] == ["E122"]
    assert found[0].hint == "did you mean `priority`?"
    assert diagnose("block(hours: 3)")[0].message == "`block` takes no arguments"


def test_missing_arguments() -> None:
    found = diagnose('hold, review(queue: "q")')
    assert [d.code for d in found] == ["E123"]
    assert found[0].message == "`review` needs `priority`"
    assert diagnose("preserve")[0].message == "`preserve` needs `days`"
    assert codes("hold, review") == ["E123"]


def test_priority_is_a_bare_symbol_from_p0_to_p3() -> None:
    assert codes('hold, review(queue: "q", priority: "P1")') == ["E124"]
    assert diagnose('hold, review(queue: "q", priority: "P1")')[0].hint == (
        "write it bare, without quotes: `priority: P1`"
    )
    assert codes('hold, review(queue: "q", priority: P4)') == ["E124"]
    assert codes('hold, review(queue: "q", priority: p1)') == ["E124"]
    assert codes('hold, review(queue: "q", priority: 1)') == ["E124"]


def test_integer_parameters_and_their_ranges() -> None:
    assert codes("preserve(days: 0)") == ["E124"]
    assert codes("preserve(days: 36501)") == ["E124"]
    assert codes("preserve(days: 1.5)") == ["E124"]
    assert codes('preserve(days: "30")') == ["E124"]
    assert codes("takedown_timer(hours: 0)") == ["E124"]
    assert codes('hold, review(queue: "q", priority: P1, sla: 0)') == ["E124"]
    assert codes("suspend(days: true)") == ["E124"]


def test_string_parameters() -> None:
    assert codes("report(to: 3)") == ["E124"]
    found = diagnose("report(to: ncmec)")
    assert [d.code for d in found] == ["E105"]
    assert found[0].hint == 'strings are written in quotes: `to: "ncmec"`'


def test_bare_words_resolve_to_constants_of_the_right_type() -> None:
    assert codes("preserve(days: keep)", prelude="const keep = 365\n") == []
    assert codes("report(to: who)", prelude='const who = "ncmec"\n') == []
    assert codes("preserve(days: keep)", prelude='const keep = "365"\n') == ["E124"]
    assert codes("preserve(days: keep)", prelude="const keep = 0\n") == ["E124"]
    assert codes("preserve(days: keeps)", prelude="const keep = 3\n") == ["W103", "E105"]
    assert codes("preserve(days: banks)", prelude='list banks = ["iwf"]\n') == ["E124"]


def test_duplicate_arguments() -> None:
    assert codes('hold, review(queue: "q", priority: P1, priority: P2)') == ["E125"]


def test_two_dispositions_or_account_actions_or_a_repeat() -> None:
    found = diagnose("hold, block")
    assert [d.code for d in found] == ["W108"]
    assert found[0].hint == "only the most severe applies, `block`: remove `hold`"
    assert codes("ban, warn") == ["W108"]
    assert codes('hold, tag(name: "a"), tag(name: "a")') == ["W108"]
    assert codes('hold, tag(name: "a"), tag(name: "b")') == []
    assert codes("block, ban, preserve(days: 3)") == []


def test_allow_and_none_never_change_a_decision() -> None:
    assert codes("allow") == ["W109"]
    assert codes("hold, none") == ["W109"]
