"""The types pass: paths against the event schema, operand types, enum values, functions, `decision`."""

from __future__ import annotations

from pydantic import BaseModel

from ruleward.dsl.checker import check
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\n'


def diagnose(when: str, schema: type[BaseModel] = ModerationEvent, prelude: str = "") -> list[Diagnostic]:
    text = f"{HEADER}{prelude}rule r\n  when {when}\n  then hold\n"
    return list(check(load_text(text, "t.rw"), schema).diagnostics)


def codes(when: str, prelude: str = "") -> list[str]:
    return [d.code for d in diagnose(when, prelude=prelude)]


def test_well_typed_conditions_are_quiet() -> None:
    for when in (
        'surface == "upload"',
        'surface in ["upload", "profile"] and "US" in jurisdictions',
        'jurisdictions contains "GB"',
        "any m in hash_matches where m.distance <= 31 and m.quality is missing",
        'max_score("csam") >= 0.9',
        "count(reports) >= 3",
        "provenance is present and provenance.failure_codes is not empty",
        'context.tier == "gold" or context.score > 3',
        "all e in age_estimates where e.low >= 18",
        "not actor.prior_confirmed_csam",
    ):
        assert codes(when) == [], when


def test_unknown_field_points_at_the_field_and_suggests() -> None:
    found = diagnose('any m in hash_matches where m.bnak == "iwf"')
    assert [d.code for d in found] == ["E107"]
    span = found[0].span
    assert span is not None and span.end_column - span.column == len("bnak")
    assert found[0].hint == "did you mean `bank`?"
    assert codes("actor.strikes > 1") == ["E107"]


def test_attribute_of_a_list_or_scalar() -> None:
    found = diagnose('hash_matches.bank == "iwf"')
    assert [d.code for d in found] == ["E108"]
    assert found[0].hint is not None and "any x in hash_matches" in found[0].hint
    assert codes('surface.name == "x"') == ["E108"]
    assert codes("x.y == 1", prelude="const x = 1\n") == ["E108"]


def test_incompatible_comparisons() -> None:
    found = diagnose('any m in hash_matches where m.distance == "31"')
    assert [d.code for d in found] == ["E109"]
    assert found[0].hint == "write the number without quotes: `31`"
    assert codes("actor.prior_confirmed_csam == 1") == ["E109"]
    assert codes("jurisdictions == []") == ["E109"]
    assert codes("actor.id == 3") == ["E109"]


def test_enum_values_are_checked_in_literals_constants_and_lists() -> None:
    found = diagnose('surface == "uplaod"')
    assert [d.code for d in found] == ["E110"] and found[0].hint == "did you mean `upload`?"
    assert codes("surface == s", prelude='const s = "uplod"\n') == ["E110"]
    assert codes("surface in l", prelude='list l = ["upload", "porfile"]\n') == ["E110"]
    assert codes('surface in ["upload", "porfile"]') == ["E110"]
    assert codes('"porfile" == surface') == ["E110"]
    assert codes('any s in classifiers where s.priority in ["high", "urgent"]') == ["E110"]


def test_ordering_needs_numbers() -> None:
    found = diagnose('any s in classifiers where s.priority >= "high"')
    assert [d.code for d in found] == ["E111"]
    assert found[0].hint is not None and '["high", "very_high"]' in found[0].hint
    assert codes('actor.id > "a"') == ["E111"]
    assert codes("actor.prior_confirmed_csam > false") == ["E111"]


def test_membership_operands() -> None:
    assert codes('"US" in actor.country') == ["E112"]
    assert codes('surface contains "live"') == ["E112"]
    assert codes("reports contains 3") == ["E112"]
    assert codes("jurisdictions in jurisdictions") == ["E112"]
    assert codes('jurisdictions contains ["US"]') == ["E112"]
    assert codes("3 in jurisdictions") == ["E112"]


def test_lists_are_required_where_lists_are_read() -> None:
    assert codes("any a in actor where a.active_strikes > 3") == ["E113"]
    assert codes("surface is empty") == ["E113"]
    assert codes("context is empty") == []


def test_conditions_must_be_boolean() -> None:
    assert codes('max_score("csam")') == ["E114"]
    assert codes('surface == "upload" and "csam"') == ["E114"]
    assert codes("not surface") == ["E114"]
    assert codes("any m in hash_matches where m.distance") == ["E114"]
    found = check(
        load_text(HEADER + "condition c = actor.active_strikes\nrule r when c then hold\n"), ModerationEvent
    ).diagnostics
    assert [d.code for d in found] == ["E114"]


def test_functions() -> None:
    assert codes('maxscore("csam") > 0.5') == ["E115"]
    found = diagnose("c() ", prelude="condition c = true\n")
    assert [d.code for d in found] == ["E115"]
    assert found[0].hint is not None and "without parentheses" in found[0].hint
    assert codes("max_score(csam) > 0.5") == ["E116"]
    assert codes('max_score("a", "b") > 0.5') == ["E116"]
    assert codes("count(actor) > 1") == ["E116"]
    assert codes("count() > 1") == ["E116"]


def test_max_score_needs_classifiers_in_the_schema() -> None:
    class Small(BaseModel):
        surface: str

    found = diagnose('max_score("csam") > 0.5', schema=Small)
    assert [d.code for d in found] == ["E116"]


def test_decision_only_in_always() -> None:
    assert codes('decision.disposition == "block"') == ["E117"]
    text = (
        f"{HEADER}rule r when actor.prior_confirmed_csam then ban\n"
        'invariant i when decision.disposition == "block" always decision.disposition != "allow"\n'
    )
    found = check(load_text(text), ModerationEvent).diagnostics
    assert [d.code for d in found] == ["E117"]
    assert "invariant's `when`" in found[0].message


def test_the_decision_type_in_always() -> None:
    prelude_rule = f"{HEADER}rule r when actor.prior_confirmed_csam then ban\n"

    def invariant(always: str) -> list[str]:
        text = f"{prelude_rule}invariant i always {always}\n"
        return [d.code for d in check(load_text(text), ModerationEvent).diagnostics]

    assert invariant('decision.disposition >= "hold"') == []
    assert invariant('decision.account_action == "ban"') == []
    assert invariant('any o in decision.obligations where o.kind == "report" and o.to == "ncmec"') == []
    assert invariant('any m in decision.matched where m.rule == "r" and m.tier == "legal"') == []
    assert invariant('decision.disposition >= "hodl"') == ["E110"]
    assert invariant('any m in decision.matched where m.rule == "q"') == ["E110"]
    assert invariant('decision.shadow contains "r"') == []
    assert invariant("decision.verdict == 1") == ["E107"]
    assert invariant('any o in decision.obligations where o.priority < "P2"') == ["E111"]


def test_mixed_lists() -> None:
    assert codes("surface in l", prelude='list l = ["upload", 1]\n') == ["E118"]
    assert codes('surface in ["upload", true]') == ["E118"]
    assert codes("actor.active_strikes in l", prelude="list l = [1, 2.5]\n") == []


def test_presence_tests_on_values_that_are_always_there() -> None:
    assert codes("content.media_type is missing") == ["W104"]
    assert codes("actor is present") == ["W104"]
    assert codes("any m in hash_matches where m.algorithm is missing") == ["W104"]
    assert codes("x is missing", prelude="const x = 1\n") == ["W104"]
    assert codes("count(reports) is present") == ["W104"]
    assert codes('max_score("csam") is missing') == []
    assert codes("content.mime is missing") == []
    assert codes("provenance.validation_state is missing") == []
    assert codes("hash_matches is missing") == []


def test_comparisons_outside_a_fields_bounds() -> None:
    found = diagnose('max_score("csam") >= 90')
    assert [d.code for d in found] == ["W105"] and found[0].hint is not None and "0.9" in found[0].hint
    assert codes("any m in hash_matches where m.distance > 256") == ["W105"]
    assert codes("any m in hash_matches where m.distance == -1") == ["W105"]
    assert codes("any m in hash_matches where 300 < m.distance") == ["W105"]
    assert codes("any m in hash_matches where m.distance >= 256") == []
    assert codes("count(reports) < 0") == ["W105"]


def test_a_host_schema_is_typed_on_its_own_fields() -> None:
    class Post(BaseModel):
        kind: str
        likes: int
        tags: list[str] = []

    assert [d.code for d in diagnose('kind == "x" and likes > 3 and tags contains "y"', schema=Post)] == []
    assert [d.code for d in diagnose("surface == 1", schema=Post)] == ["E105"]
    assert [d.code for d in diagnose('likes == "3"', schema=Post)] == ["E109"]


def test_one_mistake_gives_one_diagnostic() -> None:
    # the unknown field types as "anything", so the comparison around it says nothing more
    assert codes('any m in hash_matches where m.bnak.x > "a" and m.bnak in [1, 2]') == ["E107", "E107"]
