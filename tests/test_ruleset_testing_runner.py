"""`ruleward test` end to end on small rulesets: reports, exit codes, shrinking, seeds, coverage, mutation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ruleward.testing.command import run_tests
from ruleward.testing.runner import Options, run_ruleset

HEADER = """\
ruleset demo
  version "1"
  owner "ruleward-tests"
  description "a small ruleset for the tests of ruleward test"
  fallback hold, review(queue: "signals_retry", priority: P2)

const high_score = 0.9
list known_banks = ["bank_a", "bank_b"]

rule high
  tier child_safety
  owner "ops"
  cite "tests"
  description "a high csam score"
  when max_score("csam") >= high_score
  then hold, review(queue: "child_safety", priority: P0)

rule banked
  tier legal
  owner "ops"
  cite "tests"
  description "a match in a known bank"
  when any m in hash_matches where m.bank in known_banks and not m.entry_deleted
  then block, report(to: "ncmec")

base event {
  event_id: "ev-7c1e",
  schema_version: "1",
  occurred_at: "2026-01-01T00:00:00Z",
  surface: "upload",
  jurisdictions: [],
  content: {id: "c-9d2a41", media_type: "image"},
  actor: {id: "u-3b8f07", account_age_days: 10},
  hash_matches: [],
  classifiers: [],
}
"""

GOOD_TESTS = """
test high_score_holds
  given {classifiers: [{provider: "p", model_version: "1", label: "csam", score: 0.95}]}
  expect disposition hold
  expect obligation review(queue: "child_safety")
  expect fired high

test bank_a_blocks
  given {hash_matches: [{algorithm: "md5", bank: "bank_a"}]}
  expect disposition block
  expect obligation report(to: "ncmec")
  expect not fired high

invariant banked_is_blocked
  when banked
  always decision.disposition == "block"
"""


def write(tmp_path: Path, *texts: str) -> Path:
    directory = tmp_path / "demo"
    directory.mkdir()
    (directory / "demo.rw").write_text(HEADER + "".join(texts), encoding="utf-8")
    return directory


def run(paths: list[Path], capsys: pytest.CaptureFixture[str], **options: object) -> tuple[int, str]:
    arguments: dict[str, object] = {
        "seed": 7,
        "examples": 30,
        "coverage": False,
        "min_coverage": None,
        "mutate": False,
        "format": "text",
        "junit_xml": None,
    }
    arguments.update(options)
    code = run_tests(paths, **arguments)  # type: ignore[arg-type]
    return code, capsys.readouterr().out


def test_a_passing_ruleset_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run([write(tmp_path, GOOD_TESTS)], capsys)
    assert code == 0
    assert "tests: 2 passed, 0 failed; invariants: 1 passed, 0 failed (seed 7; rerun with --seed 7)" in out
    assert "FAILED" not in out


def test_a_failing_test_names_its_line_and_what_differed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = """
test bank_b_is_only_held
  given {hash_matches: [{algorithm: "md5", bank: "bank_b"}]}
  expect disposition hold
  expect account ban
  expect obligation report(to: "nca")
  expect no obligation report
  expect fired high
  expect error banked
"""
    directory = write(tmp_path, wrong)
    code, out = run([directory], capsys)
    assert code == 1
    line = HEADER.count("\n") + 2
    assert f"FAILED test bank_b_is_only_held at {directory / 'demo.rw'}:{line}" in out
    for expected in (
        "expected disposition `hold`, got `block`",
        "expected account action `ban`, got `none`",
        'expected obligation `report(to: "nca")`, got `report(to: "ncmec")`',
        'expected no obligation `report`, got `report(to: "ncmec")`',
        "expected `high` to fire; it did not",
        "expected `banked` to error; it did not (it fired)",
    ):
        assert expected in out
    assert "tests: 0 passed, 1 failed" in out


def test_expected_errors_and_partial_arguments_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = """
test matching_down_fails_closed
  given {hash_matches: null}
  expect disposition hold
  expect obligation review(priority: P2)
  expect obligation review(queue: "signals_retry", priority: P2)
  expect no obligation review(queue: "child_safety")
  expect error banked
  expect not fired high
"""
    code, out = run([write(tmp_path, tests)], capsys)
    assert code == 0, out


NEGATIVE = """
rule overdrawn
  tier policy
  owner "ops"
  cite "tests"
  description "a balance below zero"
  when context.balance < 0
  then restrict

test a_negative_integer_is_below_zero
  given {context: {balance: -1}}
  expect disposition restrict
  expect fired overdrawn

test a_negative_fraction_is_below_zero
  given {context: {balance: -0.5, limit: -100}}
  expect fired overdrawn

test zero_is_not
  given {context: {balance: -0}}
  expect not fired overdrawn
"""


def test_negative_numbers_in_a_test_event_keep_their_sign(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run([write(tmp_path, NEGATIVE)], capsys)
    assert code == 0, out
    assert "tests: 3 passed, 0 failed" in out


def test_a_test_that_expects_the_wrong_sign_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = NEGATIVE + "\ntest positive\n  given {context: {balance: 1}}\n  expect fired overdrawn\n"
    code, out = run([write(tmp_path, wrong)], capsys)
    assert code == 1
    assert "expected `overdrawn` to fire; it did not" in out


def test_a_rule_that_fires_when_it_should_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = (
        '\ntest no\n  given {hash_matches: [{algorithm: "md5", bank: "bank_a"}]}\n  expect not fired banked\n'
    )
    code, out = run([write(tmp_path, tests)], capsys)
    assert code == 1
    assert "expected `banked` not to fire; it fired" in out


def test_a_failing_invariant_prints_a_shrunk_counterexample_the_seed_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = write(tmp_path, '\ninvariant nothing_is_blocked\n  always decision.disposition != "block"\n')
    code, out = run([directory], capsys, format="json", examples=10, seed=11)
    assert code == 1
    [report] = json.loads(out)
    [invariant] = report["invariants"]
    assert invariant["passed"] is False and report["seed"] == 11
    assert invariant["decision"]["disposition"] == "block"
    # shrunk: the one thing that blocks (a single match in a known bank), every optional part left out
    event = invariant["counterexample"]
    assert event["hash_matches"] == [{"algorithm": "md5", "bank": "bank_a", "entry_deleted": False}]
    assert "provenance" not in event and "reports" not in event
    code, text = run([directory], capsys, examples=10, seed=11)
    assert "FAILED invariant nothing_is_blocked" in text and "(seed 11)" in text
    assert '"bank": "bank_a"' in text and '"disposition": "block"' in text
    again = run_ruleset(directory, Options(seed=11, examples=10))
    assert again.invariants[0].counterexample == event


def test_a_ruleset_with_errors_fails_with_its_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run([write(tmp_path, "\ntest broken\n  expect fired no_such_rule\n")], capsys)
    assert code == 1
    assert "no_such_rule" in out
    assert "the ruleset has errors; no test was run" in out


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([write(tmp_path, GOOD_TESTS)], capsys, format="yaml")[0] == 2
    assert run([tmp_path / "demo"], capsys, examples=0)[0] == 2


def test_json_and_junit_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = """
test wrong
  given {hash_matches: [{algorithm: "md5", bank: "bank_a"}]}
  expect disposition allow
"""
    junit = tmp_path / "report.xml"
    code, out = run([write(tmp_path, GOOD_TESTS, failing)], capsys, format="json", junit_xml=junit)
    assert code == 1
    [report] = json.loads(out)
    assert report["ruleset"] == "demo" and report["seed"] == 7 and report["passed"] is False
    by_name = {t["name"]: t for t in report["tests"]}
    assert by_name["high_score_holds"]["passed"] is True
    assert by_name["wrong"]["failures"] == ["expected disposition `allow`, got `block`"]
    assert by_name["wrong"]["decision"]["disposition"] == "block"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1"
    failures = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failures == ["wrong"]


def test_coverage_reports_conditions_never_seen_false_and_enforces_a_minimum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no invariant, so only the tests' events count: `high` is never seen false, `banked` never true
    only_high = """
test high_score_holds
  given {classifiers: [{provider: "p", model_version: "1", label: "csam", score: 0.95}]}
  expect fired high
"""
    code, out = run([write(tmp_path, only_high)], capsys, coverage=True, min_coverage=90.0)
    assert code == 1
    assert "condition coverage: " in out
    assert "rule high never seen to not fire" in out
    assert "rule banked never seen to fire" in out
    assert 'high (when) never false: max_score("csam") >= high_score' in out
    assert "FAILED coverage" in out
    code, _ = run([tmp_path / "demo"], capsys, coverage=True, min_coverage=10.0)
    assert code == 0


def test_full_coverage_with_invariant_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run([write(tmp_path, GOOD_TESTS)], capsys, coverage=True, min_coverage=100.0, examples=80)
    assert code == 0, out
    assert "condition coverage: 100.0% of 5 decision points" in out


def test_mutation_lists_the_survivors_of_weak_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run([write(tmp_path, GOOD_TESTS)], capsys, mutate=True, format="json")
    assert code == 0  # surviving mutants are a finding, not a failure
    [report] = json.loads(out)
    mutation = report["mutation"]
    survived = {(m["kind"], m["text"]) for m in mutation["survived"]}
    # nothing tests the threshold's edge, nor that a withdrawn entry is not blocked
    assert ("threshold", "const high_score = 0.9") in survived
    assert ("drop-operand", "not m.entry_deleted") in survived
    assert 0 < mutation["score"] < 100


def test_mutation_kills_what_boundary_tests_pin_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strong = """
test at_threshold
  given {classifiers: [{provider: "p", model_version: "1", label: "csam", score: 0.9}]}
  expect disposition hold
  expect obligation review(queue: "child_safety", priority: P0)

test just_under_threshold
  given {classifiers: [{provider: "p", model_version: "1", label: "csam", score: 0.89}]}
  expect disposition allow
"""
    _, out = run([write(tmp_path, GOOD_TESTS, strong)], capsys, mutate=True, format="json")
    [report] = json.loads(out)
    texts = {m["text"] for m in report["mutation"]["survived"]}
    assert "const high_score = 0.9" not in texts
    assert 'max_score("csam") >= high_score' not in texts
    assert 'review(queue: "child_safety", priority: P0)' not in texts


def test_the_typer_command(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from ruleward.testing.command import command

    app = typer.Typer()
    app.command("test")(command)
    app.command("other")(lambda: None)  # two commands, so `test` is a subcommand as in `ruleward test`
    directory = write(tmp_path, GOOD_TESTS)
    runner = CliRunner()
    passed = runner.invoke(
        app, ["test", str(directory), "--seed", "3", "--examples", "5", "--format", "json"]
    )
    assert passed.exit_code == 0, passed.output
    assert json.loads(passed.output)[0]["seed"] == 3
    junit = tmp_path / "out.xml"
    failed = runner.invoke(
        app, ["test", str(directory), "--examples", "5", "--min-coverage", "101", "--junit-xml", str(junit)]
    )
    assert failed.exit_code == 1 and "FAILED coverage" in failed.output
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
