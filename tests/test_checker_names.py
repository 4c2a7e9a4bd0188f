"""The names pass: duplicates, names hiding event fields, undefined and unused names."""

from __future__ import annotations

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text, parse_sources
from ruleward.dsl.source import SourceFile
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(text: str) -> list[Diagnostic]:
    return list(check(load_text(HEADER + text, "t.rw"), ModerationEvent).diagnostics)


def codes(text: str) -> list[str]:
    return [d.code for d in diagnose(text)]


def test_duplicates_of_every_kind_share_one_namespace() -> None:
    found = diagnose("const x = 1\nlist x = [1]\nrule r when x == 1 then hold\n")
    assert [d.code for d in found] == ["E103"]
    assert "(a constant)" in found[0].message and found[0].span is not None and found[0].span.line == 3
    assert codes('rule r when surface == "upload" then hold\nrule r when true then hold\n') == ["E103"]


def test_tests_and_invariants_have_their_own_namespace() -> None:
    text = (
        'rule r when surface == "upload" then hold\n'
        'invariant r always decision.disposition != "allow"\n'
        'invariant i always decision.disposition != "allow"\n'
        'invariant i always decision.disposition != "block"\n'
    )
    assert codes(text) == ["E103"]


def test_duplicates_across_files() -> None:
    loaded = parse_sources(
        [
            SourceFile(
                "a.rw", HEADER + "const limit = 3\nrule r when actor.active_strikes > limit then hold\n"
            ),
            SourceFile("b.rw", "const limit = 4\n"),
        ]
    )
    found = check(loaded, ModerationEvent).diagnostics
    assert [(d.code, d.span.file if d.span else None) for d in found] == [("E103", "b.rw")]


def test_a_declaration_may_not_hide_an_event_field_or_decision() -> None:
    assert codes('const surface = "upload"\nrule r when surface == "upload" then hold\n') == ["E104"]
    assert codes("condition decision = true\nrule r when decision then hold\n") == ["E104"]


def test_undefined_names_suggest_the_closest() -> None:
    found = diagnose('const csam_high = 0.9\nrule r when max_score("csam") >= csam_hihg then hold\n')
    undefined = [d for d in found if d.code == "E105"]
    assert len(undefined) == 1 and undefined[0].hint == "did you mean `csam_high`?"
    field = diagnose('rule r when srface == "upload" then hold\n')
    assert field[0].code == "E105" and field[0].hint == "did you mean `surface`?"


def test_undefined_null_explains_missing() -> None:
    found = diagnose("rule r when hash_matches == null then hold\n")
    assert [d.code for d in found] == ["E105"]
    assert found[0].hint is not None and "is missing" in found[0].hint


def test_undefined_without_a_close_name_lists_fields() -> None:
    found = diagnose("rule r when zzzzzz then hold\n")
    assert found[0].hint is not None and "`surface`" in found[0].hint


def test_unused_constants_lists_and_conditions() -> None:
    text = (
        'const used = 3\nconst unused = 4\nlist spare = ["a"]\ncondition idle = true\n'
        "const days = 30\n"
        "rule r when actor.active_strikes > used then hold, preserve(days: days)\n"
    )
    found = diagnose(text)
    assert [(d.code, d.message) for d in found] == [
        ("W103", "constant `unused` is never used"),
        ("W103", "list `spare` is never used"),
        ("W103", "condition `idle` is never used"),
    ]


def test_names_used_by_tests_and_invariants_count_as_used() -> None:
    text = (
        "condition strikes = actor.active_strikes > 3\nconst days = 30\n"
        "rule r when actor.prior_confirmed_csam then ban\n"
        'invariant i when strikes always decision.disposition != "allow"\n'
        "test t expect no obligation preserve(days: days)\n"
    )
    assert "W103" not in codes(text)
