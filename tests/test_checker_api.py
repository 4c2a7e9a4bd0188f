"""`check()` as a whole: the default ruleset is clean, nothing raises, diagnostics are complete, ordered."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruleward.dsl import checker
from ruleward.dsl.checker import PASSES, CheckedRuleset, check
from ruleward.dsl.checker.context import Context
from ruleward.dsl.loader import load, load_text, parse_sources
from ruleward.dsl.source import SourceFile
from ruleward.engine.events import ModerationEvent

ROOT = Path(__file__).resolve().parents[1]
HEADER = 'ruleset s version "1" owner "o"\n'


def test_the_default_ruleset_has_no_errors_and_no_warnings() -> None:
    checked = check(load([ROOT / "rulesets" / "child_safety"]), ModerationEvent)
    assert checked.diagnostics == ()
    assert checked.ok
    assert "verified_match" in checked.symbols.rules
    assert checked.schema is ModerationEvent


def test_the_passes_run_in_the_documented_order() -> None:
    assert [name for name, _ in PASSES] == [
        "header", "names", "cycles", "types", "scope", "actions", "rules", "lints", "tests"
    ]  # fmt: skip


def test_loader_diagnostics_are_kept_and_everything_is_sorted() -> None:
    loaded = parse_sources(
        [
            SourceFile("b.rw", 'rule r when surface == "uplod" then hold\n'),
            SourceFile("a.rw", HEADER + "rule q when then hold\n"),
        ]
    )
    checked = check(loaded, ModerationEvent)
    assert isinstance(checked, CheckedRuleset)
    assert [(d.code, d.span.file if d.span else "") for d in checked.diagnostics] == [
        ("E003", "a.rw"),
        ("E110", "b.rw"),
    ]
    assert not checked.ok


def test_a_failing_pass_becomes_a_diagnostic_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(ctx: Context) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(checker, "PASSES", (("names", broken), *[p for p in PASSES if p[0] != "names"]))
    checked = check(load_text(HEADER + 'rule r when surface == "uplod" then hold\n'), ModerationEvent)
    assert [d.code for d in checked.diagnostics] == ["E100", "E110"]
    assert "`names` check failed: RuntimeError: boom" in checked.diagnostics[0].message


def test_the_result_does_not_depend_on_file_order() -> None:
    files = [
        SourceFile("a.rw", HEADER + "const x = 3\nrule r when actor.active_strikes > y then hold\n"),
        SourceFile(
            "b.rw", "const y = 4\nrule q when actor.active_strikes > x then hold\nrule r when true then ban\n"
        ),
    ]
    forward = check(parse_sources(files), ModerationEvent).diagnostics
    backward = check(parse_sources(files[::-1]), ModerationEvent).diagnostics
    assert [d.code for d in forward] == ["E103"]
    assert {(d.code, d.message) for d in forward} == {(d.code, d.message) for d in backward}


def generated_ruleset(rules: int) -> str:
    lines = [HEADER, 'list banks = ["iwf", "thorn_csam"]\n', "const keep = 365\n"]
    for i in range(rules):
        lines.append(
            f"rule r{i}\n  tier child_safety\n"
            f"  when any m in hash_matches where m.bank in banks and m.distance <= {i % 200}\n"
            f"    and (actor.active_strikes > {i} or r{i}_ok)\n"
            f'  then hold, preserve(days: keep), review(queue: "q{i}", priority: P{i % 4})\n'
            f'condition r{i}_ok = max_score("csam") >= 0.{i:04d}\n'
        )
    return "".join(lines)


def test_a_thousand_rules_check_cleanly() -> None:
    loaded = load_text(generated_ruleset(1000), "big.rw")
    checked = check(loaded, ModerationEvent)
    assert len(checked.ruleset.rules) == 1000
    assert checked.diagnostics == ()


WORDS = [
    "rule", "r", "when", "then", "unless", "hold", "ban", "and", "or", "not", "any", "all", "m", "in",
    "where", "hash_matches", "m.bank", "surface", "==", "<", ">=", '"upload"', "3", "0.5", "(", ")", "[", "]",
    ",", "review(queue:", '"q",', "priority:", "P1)", "condition", "c", "=", "c", "is", "missing", "empty",
    "max_score(", '"csam")', "count(reports)", "test", "t", "expect", "fired", "disposition", "given", "{",
    "}", "surface:", "invariant", "i", "always", "decision.disposition", "const", "list", "tier", "legal",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40))
def test_any_sequence_of_words_checks_without_an_internal_error(words: list[str]) -> None:
    checked = check(load_text(HEADER + " ".join(words)), ModerationEvent)
    assert [d for d in checked.diagnostics if d.code == "E100"] == []
