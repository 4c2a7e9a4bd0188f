"""The header pass: one `ruleset` header, with version and owner, and a fallback that fails closed."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text, parse_sources
from ruleward.dsl.source import SourceFile
from ruleward.engine.events import ModerationEvent

RULE = "rule r\n  when actor.prior_confirmed_csam\n  then ban\n"


def diagnose(text: str) -> list[Diagnostic]:
    return list(check(load_text(text, "t.rw"), ModerationEvent).diagnostics)


def codes(text: str) -> list[str]:
    return [d.code for d in diagnose(text)]


def test_a_complete_header_is_quiet() -> None:
    assert codes('ruleset s version "1" owner "o"\n' + RULE) == []


def test_no_header() -> None:
    found = diagnose(RULE)
    assert [d.code for d in found] == ["E101"]
    assert found[0].span is not None and found[0].span.file == "t.rw"


def test_no_header_is_not_reported_when_a_file_failed_to_parse() -> None:
    loaded = parse_sources([SourceFile("a.rw", RULE), SourceFile("b.rw", "ruleset s version\n")])
    assert [d.code for d in check(loaded, ModerationEvent).diagnostics] == ["E006"]


def test_two_headers_across_files() -> None:
    loaded = parse_sources(
        [
            SourceFile("a.rw", 'ruleset s version "1" owner "o"\n' + RULE),
            SourceFile("b.rw", 'ruleset t version "1" owner "o"\n'),
        ]
    )
    found = check(loaded, ModerationEvent).diagnostics
    assert [d.code for d in found] == ["E102"]
    assert found[0].span is not None and found[0].span.file == "b.rw"
    assert "a.rw:1:9" in found[0].notes[0]


def test_missing_version_and_owner() -> None:
    found = diagnose("ruleset s\n" + RULE)
    assert [d.code for d in found] == ["W101"]
    assert "`version`" in found[0].message and "`owner`" in found[0].message
    only_owner = diagnose('ruleset s version "1"\n' + RULE)
    assert "`owner`" in only_owner[0].message and "`version`" not in only_owner[0].message


def test_fallback_must_hold_content() -> None:
    head = 'ruleset s version "1" owner "o"\n  fallback '
    assert codes(head + 'tag(name: "x")\n' + RULE) == ["W102"]
    assert codes(head + "allow\n" + RULE) == ["W102"]
    assert codes(head + "label\n" + RULE) == ["W102"]
    assert codes(head + 'hold, review(queue: "q", priority: P2)\n' + RULE) == []
    assert codes(head + "block\n" + RULE) == []


def test_fallback_actions_are_validated_like_rule_actions() -> None:
    head = 'ruleset s version "1" owner "o"\n  fallback '
    assert codes(head + 'hold, review(queue: "q", priority: P9)\n' + RULE) == ["E124"]
    assert codes(head + 'hold, review(queue: "q")\n' + RULE) == ["E123"]
    # an unknown action is reported once, not also as a fallback that fails open
    assert codes(head + "hodl\n" + RULE) == ["E121"]
