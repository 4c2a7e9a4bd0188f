"""The tests pass: expectations, `given` / `base event` against the schema, invariants."""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.checker import check
from ruleward.dsl.checker.tests import merge, to_python
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.loader import load_text
from ruleward.dsl.parser import parse_text
from ruleward.engine.events import ModerationEvent

HEADER = 'ruleset s version "1" owner "o"\nrule r when actor.prior_confirmed_csam then ban, hold\n'
BASE = """
base event {
  event_id: "evt-3f9c1a", schema_version: "1", occurred_at: "2026-01-01T00:00:00Z",
  surface: "upload", jurisdictions: ["US"],
  content: { id: "c-8b21d4", media_type: "image" },
  actor: { id: "a-0e77c5", account_age_days: 12 },
  hash_matches: [], classifiers: []
}
"""


def diagnose(text: str, base: str = BASE) -> list[Diagnostic]:
    return list(check(load_text(HEADER + base + text, "t.rw"), ModerationEvent).diagnostics)


def codes(text: str, base: str = BASE) -> list[str]:
    return [d.code for d in diagnose(text, base)]


def test_a_good_test_is_quiet() -> None:
    text = (
        'test t\n  description "x"\n  given { actor: { prior_confirmed_csam: true } }\n'
        "  expect disposition hold\n  expect account ban\n  expect fired r\n"
        '  expect no obligation report(to: "ncmec")\n  expect obligation preserve\n'
    )
    assert codes(text) == []


def test_expected_outcomes_must_exist_and_be_of_the_right_kind() -> None:
    found = diagnose("test t expect disposition blok\n")
    assert [d.code for d in found] == ["E132"] and found[0].hint == "did you mean `block`?"
    assert (
        diagnose("test t expect account hold\n")[0].hint
        == "`hold` is a disposition: write `expect disposition hold`"
    )
    assert codes("test t expect account bann\n") == ["E132"]
    assert codes("test t expect obligation block\n") == ["E132"]
    assert codes("test t expect obligation reprot\n") == ["E121"]
    assert codes("test t expect disposition preserve\n") == ["E132"]


def test_expected_obligation_arguments_are_checked_but_may_be_left_out() -> None:
    assert codes('test t expect obligation review(queue: "q")\n') == []
    assert codes("test t expect obligation review(priority: P7)\n") == ["E124"]
    assert codes('test t expect obligation review(lane: "q")\n') == ["E122"]


def test_rules_named_in_expectations_must_exist() -> None:
    found = diagnose("test t expect fired rr\n")
    assert [d.code for d in found] == ["E133"] and found[0].hint == "did you mean `r`?"
    text = "condition c = true\nrule q when c then hold\ntest t expect not fired c\n"
    assert diagnose(text)[0].hint == "`c` is a condition; only rules fire"
    assert codes("test t expect error nothing_here\n") == ["E133"]


def test_given_keys_and_values_against_the_schema() -> None:
    found = diagnose("test t given { actor: { prior_csam: true } } expect fired r\n")
    assert [d.code for d in found] == ["E134"] and found[0].hint == "did you mean `prior_confirmed_csam`?"
    assert codes('test t given { "surfce": "upload" } expect fired r\n') == ["E134"]
    assert codes('test t given { surface: "uplaod" } expect fired r\n') == ["E135"]
    assert codes('test t given { actor: { account_age_days: "3" } } expect fired r\n') == ["E135"]
    assert codes("test t given { actor: { account_age_days: 1.5 } } expect fired r\n") == ["E135"]
    assert codes("test t given { surface: null } expect fired r\n") == ["E135"]
    assert codes("test t given { hash_matches: {} } expect fired r\n") == ["E135"]
    signal = '{ provider: "p", model_version: "1", label: "csam", score: 2 }'
    assert codes(f"test t given {{ classifiers: [{signal}] }} expect fired r\n") == ["E135"]
    assert codes('test t given { surface: "upload", surface: "profile" } expect fired r\n') == ["E135"]


def test_free_form_context_and_nullable_signals() -> None:
    assert codes('test t given { context: { anything: "goes", n: 3 } } expect fired r\n') == []
    assert codes("test t given { hash_matches: null, provenance: null } expect fired r\n") == []
    assert codes("test t given { context: { bad: [1] } } expect fired r\n") == ["E135"]


def test_negative_numbers_are_checked_against_the_schema_like_any_other() -> None:
    assert codes("test t given { context: { balance: -1, rate: -0.25 } } expect fired r\n") == []
    found = diagnose("test t given { actor: { account_age_days: -1 } } expect fired r\n")
    assert [d.code for d in found] == ["E135"]
    assert "out of range: `-1`" in found[0].message and found[0].hint == "it is at least 0"
    base = BASE.replace("account_age_days: 12", "account_age_days: -12")
    assert codes("test t expect fired r\n", base) == ["E135"]


def test_the_merged_event_is_validated_by_the_schema() -> None:
    given = 'test t given { hash_matches: [{ algorithm: "md5", bank: "iwf", distance: 3 }] } expect fired r\n'
    found = diagnose(given)
    assert [d.code for d in found] == ["E136"]
    assert "distance must be absent" in found[0].message and found[0].span is not None
    assert found[0].span.line == 11  # the match inside `given`, not the base event


def test_errors_in_the_base_event_point_at_it_and_name_the_test() -> None:
    base = BASE.replace('occurred_at: "2026-01-01T00:00:00Z"', 'occurred_at: "yesterday"')
    found = diagnose("test t expect fired r\n", base)
    assert [d.code for d in found] == ["E136"]
    assert found[0].message.startswith("the event of the base event is not valid: `occurred_at`")
    assert found[0].notes == ("in test `t`",)


def test_missing_fields_are_grouped() -> None:
    found = diagnose('test t given { actor: { id: "a", account_age_days: 1 } } expect fired r\n', base="")
    assert [d.code for d in found] == ["E136"]
    assert "`event_id`, `schema_version`" in found[0].message
    assert codes("test t expect fired r\n", base="") == ["E136"]


def test_a_base_event_without_tests_is_still_checked() -> None:
    assert codes("", base='base event { surface: "upload" }\n') == ["E136"]
    assert codes("", base='base event { surfac: "upload" }\n') == ["E134"]


def test_invariants() -> None:
    assert codes('invariant i always decision.disposition != "allow"\n') == []
    assert codes("invariant i when actor.prior_confirmed_csam\n") == ["E137"]
    assert codes("invariant i always actor.active_strikes >= 0\n") == ["W114"]


def test_contradictory_expectations() -> None:
    assert codes("test t expect disposition hold expect disposition block\n") == ["E138"]
    assert codes("test t expect disposition hold expect disposition hold\n") == []
    assert codes("test t expect account ban expect account warn\n") == ["E138"]
    assert codes("test t expect fired r expect not fired r\n") == ["E138"]
    assert codes("test t expect fired r expect error r\n") == ["E138"]
    assert codes('test t expect obligation report(to: "x") expect no obligation report(to: "x")\n') == [
        "E138"
    ]
    assert codes('test t expect obligation report(to: "x") expect no obligation report(to: "y")\n') == []


def test_one_base_event() -> None:
    found = diagnose('base event { surface: "upload" }\n')
    assert [d.code for d in found] == ["E139"]


def test_a_test_that_expects_nothing() -> None:
    assert codes('test t given { surface: "upload" }\n') == ["W113"]


def test_merge_replaces_lists_and_merges_objects() -> None:
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2], "s": "x"}
    assert merge(base, {"a": {"c": 3}, "l": [9]}) == {"a": {"b": 1, "c": 3}, "l": [9], "s": "x"}
    assert merge(base, {"a": None}) == {"a": None, "l": [1, 2], "s": "x"}


def test_to_python() -> None:
    module = parse_text('base event { a: [1, "x", true, null, -3], "b c": { d: 2.5, e: -0.5 } }')
    declaration = module.declarations[0]
    assert isinstance(declaration, n.BaseEvent)
    assert to_python(declaration.value) == {"a": [1, "x", True, None, -3], "b c": {"d": 2.5, "e": -0.5}}
