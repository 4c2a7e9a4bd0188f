"""Tests for the `ruleward` command line: check, fmt, schema, and the entry points.

`ruleward eval` has its own file, test_cli_eval.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ruleward.dsl.loader import load
from ruleward.engine.cli import app, field_path, import_schema, show_progress

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RULESET = ROOT / "rulesets" / "child_safety"
EXAMPLES = ROOT / "examples" / "events"

# an environment that asks for colour would put escape codes between the words the tests look for
_ENV: dict[str, str | None] = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}

VALID = """\
ruleset demo
  version "1.0.0"
  owner "tests"
  description "a small ruleset for the command-line tests"

rule upload_label
  tier policy
  owner "tests"
  cite "house rules"
  description "label uploads"
  when surface == "upload"
  then label
"""

# the same ruleset with its layout scrambled: the formatter puts it back in shape
UNFORMATTED = """\
ruleset demo version "1.0.0"    owner "tests"
  description "a small ruleset for the command-line tests"
rule upload_label tier policy owner "tests" cite "house rules"
      description "label uploads" when surface=="upload" then label
"""

SYNTAX_ERROR = VALID.replace('surface == "upload"', 'surface == == "upload"')


def invoke(*args: str | Path, stdin: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin, env=_ENV)
    assert "Traceback" not in result.output
    # typer reports a clean exit as SystemExit; anything else escaped the command's guard
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---- check ------------------------------------------------------------------------------------------------


def test_check_the_default_ruleset() -> None:
    result = invoke("check", DEFAULT_RULESET)
    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_RULESET}: " in result.stdout
    assert "error[" not in result.stdout


def test_check_a_shipped_ruleset_by_name() -> None:
    result = invoke("check", "child_safety")
    assert result.exit_code == 0, result.output
    assert "child_safety: " in result.stdout


def test_check_a_valid_file(tmp_path: Path) -> None:
    result = invoke("check", write(tmp_path / "demo.rw", VALID))
    assert result.exit_code == 0, result.output
    assert "(1 rule)" in result.stdout


def test_check_renders_a_syntax_error_with_location_caret_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.rw", SYNTAX_ERROR)
    result = invoke("check", path)
    assert result.exit_code == 1
    line = SYNTAX_ERROR.splitlines().index('  when surface == == "upload"') + 1
    assert f"{path}:{line}:" in result.stdout
    assert "error[E003]" in result.stdout
    assert "^" in result.stdout
    assert "= help:" in result.stdout
    assert f"{path}: 1 error, 0 warnings" in result.stdout


def test_check_json_is_the_array_of_diagnostics(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.rw", SYNTAX_ERROR)
    result = invoke("check", "--format", "json", path)
    assert result.exit_code == 1
    diagnostics = json.loads(result.stdout)
    assert [d["code"] for d in diagnostics] == ["E003"]
    assert diagnostics[0]["severity"] == "error"
    assert diagnostics[0]["span"]["file"] == str(path)


def test_check_json_of_a_clean_ruleset_is_empty(tmp_path: Path) -> None:
    result = invoke("check", "-f", "json", write(tmp_path / "demo.rw", VALID))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_check_with_warnings_only_exits_0(tmp_path: Path) -> None:
    # a constant nothing refers to is worth a warning, not an error
    path = write(tmp_path / "demo.rw", VALID + "\nconst unused_threshold = 3\n")
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert "warning[W103]" in result.stdout
    assert f"{path}: 0 errors, 1 warning" in result.stdout
    as_json = invoke("check", "--format", "json", path)
    assert as_json.exit_code == 0
    assert [d["severity"] for d in json.loads(as_json.stdout)] == ["warning"]


def test_check_several_rulesets_reports_each(tmp_path: Path) -> None:
    good = write(tmp_path / "good" / "demo.rw", VALID)
    bad = write(tmp_path / "bad" / "demo.rw", SYNTAX_ERROR)
    result = invoke("check", good.parent, bad.parent)
    assert result.exit_code == 1
    assert f"{good.parent}: ok" in result.stdout
    assert f"{bad.parent}: 1 error" in result.stdout


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\x00\x01\x02binary\xff", "E009"),
        (b'ruleset demo version "caf\xe9"\n', "E001"),
    ],
    ids=["binary", "invalid-utf8"],
)
def test_check_unreadable_text_gives_a_diagnostic(tmp_path: Path, content: bytes, code: str) -> None:
    path = write(tmp_path / "demo.rw", content)
    for output_format in ("text", "json"):
        result = invoke("check", "--format", output_format, path)
        assert result.exit_code == 1
        assert code in result.stdout


@pytest.mark.parametrize("content", [b"", b"\n\n# only a comment\n"], ids=["empty", "comment-only"])
def test_check_an_empty_ruleset_gives_a_diagnostic(tmp_path: Path, content: bytes) -> None:
    result = invoke("check", "--format", "json", write(tmp_path / "demo.rw", content))
    assert result.exit_code == 1
    diagnostics = json.loads(result.stdout)
    assert diagnostics and all(d["code"].startswith(("E", "W")) for d in diagnostics)


def test_check_a_missing_path(tmp_path: Path) -> None:
    result = invoke("check", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "E011" in result.stdout


def test_check_with_a_host_schema(tmp_path: Path) -> None:
    result = invoke(
        "check", "--schema", "ruleward.engine.events:ModerationEvent", write(tmp_path / "demo.rw", VALID)
    )
    assert result.exit_code == 0, result.output


def test_check_types_against_the_host_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a host model without `surface`: the same ruleset no longer checks
    write(
        tmp_path / "host_events.py",
        "from pydantic import BaseModel\n\nclass Event(BaseModel):\n    event_id: str\n    channel: str\n",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    result = invoke("check", "--schema", "host_events:Event", write(tmp_path / "demo.rw", VALID))
    assert result.exit_code == 1
    assert "surface" in result.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "takes `MODULE:CLASS`"),
        ("ruleward_no_such_module:Event", "cannot import `ruleward_no_such_module`"),
        ("ruleward.engine.events:validate_event", "is not a pydantic model class"),
        ("ruleward.engine.events:NoSuchThing", "is not a pydantic model class"),
    ],
)
def test_check_with_a_bad_schema_is_a_usage_error(tmp_path: Path, spec: str, message: str) -> None:
    result = invoke("check", "--schema", spec, write(tmp_path / "demo.rw", VALID))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_import_schema_finds_the_model() -> None:
    from ruleward.engine.events import ModerationEvent

    assert import_schema("ruleward.engine.events:ModerationEvent") is ModerationEvent


# ---- fmt --------------------------------------------------------------------------------------------------


def _same_meaning(a: Path, b_text: str, tmp_path: Path) -> bool:
    other = write(tmp_path / "compare" / "other.rw", b_text)
    return load([a]).ruleset.modules[0].declarations == load([other]).ruleset.modules[0].declarations


def test_fmt_rewrites_in_place_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.rw", UNFORMATTED)
    result = invoke("fmt", path)
    assert result.exit_code == 0, result.output
    formatted = path.read_text(encoding="utf-8")
    assert formatted != UNFORMATTED
    assert _same_meaning(path, UNFORMATTED, tmp_path)
    assert "1 file reformatted" in result.stderr
    again = invoke("fmt", path)
    assert again.exit_code == 0
    assert "0 files reformatted, 1 file already formatted" in again.stderr
    assert path.read_text(encoding="utf-8") == formatted


def test_fmt_check_lists_files_that_would_change_and_writes_nothing(tmp_path: Path) -> None:
    messy = write(tmp_path / "messy.rw", UNFORMATTED)
    result = invoke("fmt", "--check", messy)
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stdout
    assert messy.read_text(encoding="utf-8") == UNFORMATTED
    invoke("fmt", messy)
    assert invoke("fmt", "--check", messy).exit_code == 0


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.rw", UNFORMATTED)
    result = invoke("fmt", "--diff", path)
    assert result.exit_code == 0
    assert f"--- {path}" in result.stdout
    assert f"+++ {path} (formatted)" in result.stdout
    assert "\n@@ " in result.stdout
    assert path.read_text(encoding="utf-8") == UNFORMATTED
    both = invoke("fmt", "--diff", "--check", path)
    assert both.exit_code == 1 and "@@ " in both.stdout


def test_fmt_recurses_into_directories(tmp_path: Path) -> None:
    nested = write(tmp_path / "a" / "b" / "nested.rw", UNFORMATTED)
    top = write(tmp_path / "a" / "top.rw", UNFORMATTED)
    other = write(tmp_path / "a" / "notes.txt", "not a ruleset")
    result = invoke("fmt", tmp_path / "a")
    assert result.exit_code == 0, result.output
    assert "2 files reformatted" in result.stderr
    assert nested.read_text() == top.read_text() != UNFORMATTED
    assert other.read_text() == "not a ruleset"


@pytest.mark.parametrize(
    ("content", "code"),
    [(SYNTAX_ERROR.encode(), "E003"), (b"\x00binary", "E009"), (b"rule \xc3\x28", "E001")],
    ids=["syntax", "binary", "invalid-utf8"],
)
def test_fmt_leaves_a_broken_file_untouched(tmp_path: Path, content: bytes, code: str) -> None:
    broken = write(tmp_path / "broken.rw", content)
    fine = write(tmp_path / "fine.rw", UNFORMATTED)
    result = invoke("fmt", tmp_path)
    assert result.exit_code == 1
    assert code in result.stderr and str(broken) in result.stderr
    assert broken.read_bytes() == content
    assert fine.read_text() != UNFORMATTED  # the other file is still formatted


def test_fmt_a_missing_path(tmp_path: Path) -> None:
    result = invoke("fmt", tmp_path / "nowhere.rw")
    assert result.exit_code == 1
    assert "E011" in result.stderr


def test_fmt_keeps_permissions_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.rw", UNFORMATTED)
    path.chmod(0o640)
    assert invoke("fmt", path).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.rw"]


def test_fmt_through_a_symlink_rewrites_the_target(tmp_path: Path) -> None:
    target = write(tmp_path / "real" / "demo.rw", UNFORMATTED)
    link = tmp_path / "link.rw"
    link.symlink_to(target)
    assert invoke("fmt", link).exit_code == 0
    assert link.is_symlink()
    assert target.read_text() != UNFORMATTED


def test_fmt_a_file_it_cannot_write(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    directory = tmp_path / "locked"
    path = write(directory / "demo.rw", UNFORMATTED)
    directory.chmod(0o500)
    try:
        result = invoke("fmt", path)
    finally:
        directory.chmod(0o700)
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert path.read_text() == UNFORMATTED


# ---- schema -----------------------------------------------------------------------------------------------


def test_schema_event() -> None:
    from ruleward.engine.events import event_json_schema

    result = invoke("schema", "event")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == event_json_schema()


def test_schema_decision() -> None:
    from ruleward.engine.decision import decision_json_schema

    result = invoke("schema", "decision")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == decision_json_schema()


def test_schema_of_an_unknown_kind_is_a_usage_error() -> None:
    result = invoke("schema", "rule")
    assert result.exit_code == 2


# ---- usage and failures -----------------------------------------------------------------------------------


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(app, [], env=_ENV)
    assert "check" in result.output and "eval" in result.output


@pytest.mark.parametrize("args", [["nope"], ["check"], ["eval", "child_safety"], ["fmt", "--bogus", "x"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert invoke(*args).exit_code == 2


def test_an_internal_error_is_reported_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> dict[str, object]:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr("ruleward.engine.events.event_json_schema", boom)
    result = invoke("schema", "event")
    assert result.exit_code == 2
    assert "internal error: RuntimeError: simulated failure" in result.stderr


def test_field_paths_read_like_the_event() -> None:
    assert field_path(("hash_matches", 0, "distance")) == "hash_matches[0].distance"
    assert field_path(("surface",)) == "surface"
    assert field_path(()) == "(the event)"


def test_progress_only_for_large_batches_on_a_terminal() -> None:
    big, small = 1 << 30, 100
    assert show_progress(big, stderr_is_terminal=True, stdout_is_terminal=False)
    assert not show_progress(small, stderr_is_terminal=True, stdout_is_terminal=False)
    assert not show_progress(big, stderr_is_terminal=False, stdout_is_terminal=False)
    assert not show_progress(big, stderr_is_terminal=True, stdout_is_terminal=True)


# ---- the README claims only what works ---------------------------------------------------------------------


def _fenced_blocks(markdown: str) -> list[str]:
    return [block.split("\n", 1)[1] for block in markdown.split("```")[1::2]]


def test_the_readme_quotes_a_real_rule_of_the_default_ruleset() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rules = [block for block in _fenced_blocks(readme) if block.startswith("rule ")]
    assert rules, "the README's language tour shows a rule"
    ruleset = "".join(p.read_text(encoding="utf-8") for p in sorted(DEFAULT_RULESET.glob("*.rw")))
    for rule in rules:
        assert rule in ruleset


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in _fenced_blocks(readme)[-1] and "python -m pytest" in ci
    assert 'pip install -e ".[dev]"' in readme and 'pip install --quiet ".[dev]"' in ci


def test_the_readme_commands_run() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "ruleward check rulesets/child_safety" in readme
    assert invoke("check", DEFAULT_RULESET).exit_code == 0
    assert "ruleward eval child_safety examples/events/*.json" in readme
    result = invoke("eval", "child_safety", *sorted(EXAMPLES.glob("*.json")), "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(list(EXAMPLES.glob("*.json")))


# ---- the installed console script -------------------------------------------------------------------------


def _console_script() -> str:
    beside = Path(sys.executable).with_name("ruleward")
    found = str(beside) if beside.exists() else shutil.which("ruleward")
    assert found, "the `ruleward` console script is not installed"
    return found


def test_the_installed_console_script_decides_an_event() -> None:
    completed = subprocess.run(
        [_console_script(), "eval", "child_safety", str(EXAMPLES / "verified-pdq-match.json"), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    decision = json.loads(completed.stdout)
    assert decision["event_id"] == "ev-0002"
    assert decision["disposition"] == "block"


def test_python_dash_m_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.rw", b"\x00\xff")
    completed = subprocess.run(
        [sys.executable, "-m", "ruleward.engine", "check", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "E009" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
