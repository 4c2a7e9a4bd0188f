"""The pytest plugin: `.rw` tests and invariants as pytest items, only when a run asks for them."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

# imported here, so the in-process runs below find them loaded (pytester forgets what a run imports)
import ruleward.engine.engine
import ruleward.testing.session  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

# installed with the `pytest11` entry point the plugin loads by itself; otherwise name it
PLUGIN = (
    ()
    if any(e.value == "ruleward.testing.pytest_plugin" for e in entry_points(group="pytest11"))
    else ("-p", "ruleward.testing.pytest_plugin")
)

RULESET = """\
ruleset demo
  version "1"
  owner "ruleward-tests"
  description "a small ruleset for the pytest plugin"
  fallback hold, review(queue: "signals_retry", priority: P2)

list known_banks = ["bank_a"]

rule banked
  tier legal
  owner "ops"
  cite "tests"
  description "a match in a known bank"
  when any m in hash_matches where m.bank in known_banks
  then block, report(to: "ncmec")

base event {
  event_id: "ev-61a0",
  schema_version: "1",
  occurred_at: "2026-01-01T00:00:00Z",
  surface: "upload",
  jurisdictions: [],
  content: {id: "c-0f3e", media_type: "image"},
  actor: {id: "u-77d2", account_age_days: 10},
  hash_matches: [],
  classifiers: [],
}
"""

TESTS = """\
test bank_a_blocks
  given {hash_matches: [{algorithm: "md5", bank: "bank_a"}]}
  expect disposition block

test other_banks_pass
  given {hash_matches: [{algorithm: "md5", bank: "bank_z"}]}
  expect disposition allow

invariant banked_is_reported
  when banked
  always any o in decision.obligations where o.kind == "report"
"""


def make(pytester: pytest.Pytester, tests: str = TESTS) -> Path:
    directory = pytester.path / "rulesets" / "demo"
    directory.mkdir(parents=True)
    (directory / "demo.rw").write_text(RULESET, encoding="utf-8")
    (directory / "tests.rw").write_text(tests, encoding="utf-8")
    return directory


def test_opting_in_collects_tests_and_invariants(pytester: pytest.Pytester) -> None:
    make(pytester)
    result = pytester.runpytest_inprocess(
        *PLUGIN, "--ruleward", "--ruleward-examples", "10", "-v", "rulesets"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*tests.rw::bank_a_blocks PASSED*",
            "*tests.rw::other_banks_pass PASSED*",
            "*banked_is_reported PASSED*",
        ]
    )


def test_a_failure_reads_like_ruleward_test(pytester: pytest.Pytester) -> None:
    make(pytester, TESTS.replace("expect disposition allow", "expect disposition hold"))
    result = pytester.runpytest_inprocess(*PLUGIN, "--ruleward", "--ruleward-examples", "10", "rulesets")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*FAILED test other_banks_pass at *tests.rw:5*", "*expected disposition `hold`, got `allow`*"]
    )


def test_a_failing_invariant_shows_its_counterexample(pytester: pytest.Pytester) -> None:
    make(pytester, TESTS + '\ninvariant never_blocked\n  always decision.disposition != "block"\n')
    result = pytester.runpytest_inprocess(*PLUGIN, "--ruleward", "--ruleward-examples", "10", "rulesets")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*FAILED invariant never_blocked*", "*the event of test `bank_a_blocks`:*"])


def test_nothing_is_collected_without_opting_in(pytester: pytest.Pytester) -> None:
    make(pytester)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess(*PLUGIN)
    result.assert_outcomes(passed=1)


def test_a_ruleset_file_named_on_the_command_line_is_collected(pytester: pytest.Pytester) -> None:
    directory = make(pytester)
    result = pytester.runpytest_inprocess(*PLUGIN, "--ruleward-examples", "10", str(directory / "tests.rw"))
    result.assert_outcomes(passed=3)


def test_the_ini_option_runs_rulesets_beside_the_projects_tests(pytester: pytest.Pytester) -> None:
    make(pytester)
    pytester.makeini(
        "[pytest]\ntestpaths = tests\nruleward_rulesets = rulesets/demo\nruleward_examples = 10\n"
    )
    tests = pytester.mkdir("tests")
    (tests / "test_plain.py").write_text("def test_plain():\n    assert True\n", encoding="utf-8")
    result = pytester.runpytest_inprocess(*PLUGIN)
    result.assert_outcomes(passed=4)


def test_a_broken_ruleset_fails_one_item_with_its_diagnostics(pytester: pytest.Pytester) -> None:
    make(pytester, "test broken\n  expect fired no_such_rule\n")
    result = pytester.runpytest_inprocess(*PLUGIN, "--ruleward", "rulesets")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no_such_rule*"])


def test_a_ruleset_may_keep_files_in_subdirectories(pytester: pytest.Pytester) -> None:
    directory = make(pytester, "")
    (directory / "more").mkdir()
    (directory / "more" / "tests.rw").write_text(TESTS, encoding="utf-8")
    result = pytester.runpytest_inprocess(*PLUGIN, "--ruleward", "--ruleward-examples", "10", "rulesets")
    result.assert_outcomes(passed=3)
