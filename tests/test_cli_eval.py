"""Tests for `ruleward eval`: reading events, reporting malformed ones, writing decisions and records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ruleward.engine.cli import app, read_events
from ruleward.engine.engine import Engine
from ruleward.engine.events import validate_event
from ruleward.engine.records import read_records, replay

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "events"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))

_ENV: dict[str, str | None] = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}


_ENGINES: dict[tuple[str, object], Engine] = {}


@pytest.fixture(autouse=True)
def _one_engine_per_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking and compiling a ruleset takes a while: each one is loaded once for the whole file."""
    load = Engine.load

    def cached(source: str, schema: object = None, **options: Any) -> Engine:
        key = (str(source), schema)
        if key not in _ENGINES:
            _ENGINES[key] = load(source, schema, **options)  # type: ignore[arg-type]
        return _ENGINES[key]

    monkeypatch.setattr(Engine, "load", cached)


def invoke(*args: str | Path, stdin: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin, env=_ENV)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return loaded


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- decisions --------------------------------------------------------------------------------------------


def test_eval_json_gives_one_decision_per_event_in_input_order() -> None:
    result = invoke("eval", "child_safety", *EXAMPLE_FILES, "--format", "json")
    assert result.exit_code == 0, result.output
    decisions = json_lines(result.stdout)
    assert [d["event_id"] for d in decisions] == [
        json.loads(f.read_text())["event_id"] for f in EXAMPLE_FILES
    ]
    by_id = {d["event_id"]: d for d in decisions}
    verified = by_id[example("verified-pdq-match")["event_id"]]
    assert verified["disposition"] == "block"
    assert verified["account_action"]["kind"] == "ban"
    assert {"kind": "report", "to": "ncmec"} in verified["obligations"]
    assert [m["rule"] for m in verified["matched"]] == ["verified_match"]
    assert verified["ruleset"]["name"] == "child_safety"
    assert by_id[example("benign-upload")["event_id"]]["disposition"] == "allow"


def test_eval_accepts_a_ruleset_path() -> None:
    path = ROOT / "rulesets" / "child_safety"
    result = invoke("eval", path, EXAMPLES / "verified-pdq-match.json", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json_lines(result.stdout)[0]["disposition"] == "block"


def test_eval_text_summarises_each_decision() -> None:
    result = invoke(
        "eval", "child_safety", EXAMPLES / "verified-pdq-match.json", EXAMPLES / "benign-upload.json"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ev-0002  block  account: ban" in out
    assert 'report(to: "ncmec")' in out
    assert 'review(queue: "child_safety", priority: P1)' in out
    assert "fired        verified_match [legal]  18 U.S.C. 2258A(a)" in out
    assert "ev-0001  allow  account: none" in out
    assert "2 events decided: 1 allow, 1 block" in out


def test_eval_text_shows_errors_of_a_missing_signal() -> None:
    result = invoke("eval", "child_safety", EXAMPLES / "hash-matching-failed.json")
    assert result.exit_code == 0, result.output
    decision = json_lines(
        invoke("eval", "child_safety", EXAMPLES / "hash-matching-failed.json", "-f", "json").stdout
    )[0]
    for error in decision["errors"]:
        assert f"{error['rule']}: {error['message']}" in result.stdout
    assert decision["disposition"] in result.stdout


def test_eval_explain_adds_the_explanation() -> None:
    event = EXAMPLES / "verified-pdq-match.json"
    as_json = invoke("eval", "child_safety", event, "--explain", "-f", "json")
    assert as_json.exit_code == 0, as_json.output
    [decision] = json_lines(as_json.stdout)
    assert isinstance(decision["explanation"], dict) and decision["explanation"]
    assert decision["disposition"] == "block"
    as_text = invoke("eval", "child_safety", event, "--explain")
    assert as_text.exit_code == 0
    plain = invoke("eval", "child_safety", event)
    assert len(as_text.stdout) > len(plain.stdout)
    assert "verified_match" in as_text.stdout


def test_eval_a_json_array_file(tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([example("benign-upload"), example("verified-pdq-match")]))
    result = invoke("eval", "child_safety", batch, "-f", "json")
    assert result.exit_code == 0, result.output
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001", "ev-0002"]


def test_eval_jsonl_and_stdin(tmp_path: Path) -> None:
    lines = [json.dumps(example(n)) for n in ("benign-upload", "verified-pdq-match")]
    from_file = invoke("eval", "child_safety", jsonl(tmp_path / "e.jsonl", lines), "-f", "json")
    from_stdin = invoke("eval", "child_safety", "-", "-f", "json", stdin="\n".join(lines) + "\n")
    for result in (from_file, from_stdin):
        assert result.exit_code == 0, result.output
        assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001", "ev-0002"]


@pytest.mark.parametrize("document", ["object", "array"])
def test_eval_stdin_takes_one_pretty_printed_document(document: str) -> None:
    events = [example("verified-pdq-match"), example("benign-upload")]
    text = json.dumps(events[0] if document == "object" else events, indent=2)
    result = invoke("eval", "child_safety", "-", "-f", "json", stdin=text)
    assert result.exit_code == 0, result.output
    expected = ["ev-0002"] if document == "object" else ["ev-0002", "ev-0001"]
    assert [d["event_id"] for d in json_lines(result.stdout)] == expected


def test_eval_empty_input_decides_nothing(tmp_path: Path) -> None:
    result = invoke("eval", "child_safety", jsonl(tmp_path / "none.jsonl", []), "-f", "json")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_eval_with_a_host_schema_validates_against_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the host's model is the default one with a stricter event id: that is what validation must enforce
    (tmp_path / "host_model.py").write_text(
        "from pydantic import Field\n"
        "from ruleward.engine.events import ModerationEvent\n\n"
        "class StrictIds(ModerationEvent):\n"
        "    event_id: str = Field(pattern=r'^ev-')\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    other = example("benign-upload") | {"event_id": "not-an-id"}
    path = jsonl(tmp_path / "events.jsonl", [json.dumps(example("verified-pdq-match")), json.dumps(other)])
    result = invoke("eval", "child_safety", path, "--schema", "host_model:StrictIds", "-f", "json")
    assert result.exit_code == 1
    assert f"{path}:2 (event `not-an-id`): invalid event: `event_id`" in result.stderr
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0002"]


# ---- malformed events -------------------------------------------------------------------------------------


def test_a_bad_json_line_is_named_and_the_others_decided(tmp_path: Path) -> None:
    good = json.dumps(example("benign-upload"))
    path = jsonl(
        tmp_path / "events.jsonl", [good, '{"event_id": "ev-x", ', "", good.replace("ev-0001", "ev-9")]
    )
    result = invoke("eval", "child_safety", path, "-f", "json")
    assert result.exit_code == 1
    assert f"{path}:2: invalid JSON" in result.stderr
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001", "ev-9"]
    assert "1 malformed event" in result.stderr


def test_a_validation_error_names_the_field(tmp_path: Path) -> None:
    event = example("verified-pdq-match")
    event["hash_matches"][0]["distance"] = "twelve"
    path = jsonl(tmp_path / "events.jsonl", [json.dumps(example("benign-upload")), json.dumps(event)])
    result = invoke("eval", "child_safety", path, "-f", "json")
    assert result.exit_code == 1
    assert f"{path}:2 (event `ev-0002`): invalid event: `hash_matches[0].distance`" in result.stderr
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001"]


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    event = example("benign-upload")
    del event["surface"]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(event))
    result = invoke("eval", "child_safety", path)
    assert result.exit_code == 1
    assert "`surface`" in result.stderr and str(path) in result.stderr


def test_without_validation_a_bad_field_is_not_a_malformed_event(tmp_path: Path) -> None:
    event = example("verified-pdq-match")
    event["hash_matches"][0]["distance"] = "twelve"
    path = tmp_path / "one.json"
    path.write_text(json.dumps(event))
    result = invoke("eval", "child_safety", path, "--no-validate", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json_lines(result.stdout)[0]["event_id"] == "ev-0002"


def test_bad_elements_of_an_array_are_named_by_index(tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([example("benign-upload"), 42, "x"]))
    result = invoke("eval", "child_safety", batch, "-f", "json")
    assert result.exit_code == 1
    assert f"{batch}[1]: an event is a JSON object, not a number" in result.stderr
    assert f"{batch}[2]: an event is a JSON object, not a string" in result.stderr
    assert len(json_lines(result.stdout)) == 1


def test_a_broken_json_file_is_named_with_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "event_id": "ev-1",\n  oops\n}\n')
    result = invoke("eval", "child_safety", broken, EXAMPLES / "benign-upload.json", "-f", "json")
    assert result.exit_code == 1
    assert f"{broken}:3:3: invalid JSON" in result.stderr
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001"]


def test_invalid_utf8_in_events_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(json.dumps(example("benign-upload")).encode() + b'\n{"event_id": "\xff"}\n')
    result = invoke("eval", "child_safety", path, "-f", "json")
    assert result.exit_code == 1
    assert f"{path}:2: invalid JSON" in result.stderr
    assert len(json_lines(result.stdout)) == 1


def test_a_missing_event_file_is_reported_and_the_others_decided(tmp_path: Path) -> None:
    result = invoke(
        "eval", "child_safety", tmp_path / "nowhere.json", EXAMPLES / "benign-upload.json", "-f", "json"
    )
    assert result.exit_code == 1
    assert "cannot read" in result.stderr and "nowhere.json" in result.stderr
    assert len(json_lines(result.stdout)) == 1


def test_stdin_json_lines_with_a_broken_first_line() -> None:
    good = json.dumps(example("benign-upload"))
    result = invoke("eval", "child_safety", "-", "-f", "json", stdin=f"{{broken\n{good}\n")
    assert result.exit_code == 1
    assert "<stdin>:1: invalid JSON" in result.stderr
    assert [d["event_id"] for d in json_lines(result.stdout)] == ["ev-0001"]


# ---- rulesets that do not load ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"\x00\x01", "E009"), (b"rule \xff", "E001"), (b"", "E"), (b"rule x when", "E006")],
    ids=["binary", "invalid-utf8", "empty", "truncated"],
)
def test_a_ruleset_that_does_not_load_exits_2_with_diagnostics(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "bad.rw"
    path.write_bytes(content)
    result = invoke("eval", path, EXAMPLES / "benign-upload.json")
    assert result.exit_code == 2
    assert code in result.stderr and "no event was evaluated" in result.stderr
    assert result.stdout == ""


def test_an_unknown_ruleset_name_exits_2(tmp_path: Path) -> None:
    result = invoke("eval", "no_such_ruleset", EXAMPLES / "benign-upload.json")
    assert result.exit_code == 2
    assert "no_such_ruleset" in result.stderr


# ---- records ----------------------------------------------------------------------------------------------


def test_records_hold_every_decision_and_replay_reproduces_them(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    result = invoke("eval", "child_safety", *EXAMPLE_FILES, "-f", "json", "--records", records)
    assert result.exit_code == 0, result.output
    printed = json_lines(result.stdout)
    stored = list(read_records(records))
    assert [r.decision for r in stored] == printed
    # the record keeps the event as the engine saw it: validated, defaults filled in
    assert [validate_event(r.event) for r in stored] == [
        validate_event(json.loads(f.read_text())) for f in EXAMPLE_FILES
    ]
    assert all(r.decision["ruleset"]["digest"] for r in stored)
    assert replay(records, "child_safety") == []


def test_replay_finds_a_decision_that_differs(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    invoke("eval", "child_safety", EXAMPLES / "verified-pdq-match.json", "-f", "json", "--records", records)
    [line] = records.read_text().splitlines()
    tampered = json.loads(line)
    tampered["decision"]["disposition"] = "allow"
    records.write_text(json.dumps(tampered) + "\n")
    [mismatch] = replay(records, "child_safety")
    assert mismatch.line == 1 and mismatch.event_id == "ev-0002"
    assert mismatch.fields == ("disposition",)
    assert mismatch.replayed["disposition"] == "block"


def test_records_to_an_unwritable_place_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(
        "eval", "child_safety", EXAMPLES / "benign-upload.json", "--records", tmp_path / "no" / "r.jsonl"
    )
    assert result.exit_code == 2
    assert "cannot open" in result.stderr


# ---- the reader on its own --------------------------------------------------------------------------------


def test_read_events_names_where_each_event_came_from(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "e.jsonl", ['{"a": 1}', "", "[{}, {}]", "nope"])
    items = list(read_events(str(path)))
    assert [(i.where, i.problem is None) for i in items] == [
        (f"{path}:1", True),
        (f"{path}:3[0]", True),
        (f"{path}:3[1]", True),
        (f"{path}:4", False),
    ]


def test_the_command_line_starts_without_hypothesis() -> None:
    """Only `ruleward test` needs hypothesis; importing the command line must not pay for it."""
    code = "import sys, ruleward.engine.cli; print('hypothesis' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_the_test_command_defaults_to_the_runners_number_of_examples() -> None:
    from ruleward.testing import command, runner

    assert command.DEFAULT_EXAMPLES == runner.DEFAULT_EXAMPLES


def test_check_reports_a_signal_mark_below_the_top_level_as_the_engine_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "host_nested.py").write_text(
        "from pydantic import Field\n"
        "from ruleward.engine.events import SIGNAL_MARKER, Content, ModerationEvent\n\n"
        "class MarkedContent(Content):\n"
        "    mime: str | None = Field(default=None, json_schema_extra={SIGNAL_MARKER: True})\n\n"
        "class NestedMark(ModerationEvent):\n"
        "    content: MarkedContent\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [str(tmp_path), *sys.path])
    result = invoke("check", "child_safety", "--schema", "host_nested:NestedMark", "-f", "json")
    assert result.exit_code == 1
    reported = [d for d in json.loads(result.stdout) if d["code"] == "E901"]
    assert len(reported) == 1 and "`content.mime` (`MarkedContent.mime`)" in reported[0]["message"]

    from host_nested import NestedMark  # type: ignore[import-not-found]

    from ruleward.engine.ruleset import RulesetError

    with pytest.raises(RulesetError) as refused:
        Engine.load("child_safety", NestedMark)
    at_load = [d.to_dict() for d in refused.value.diagnostics if d.code == "E901"]
    assert reported == at_load


def test_the_e901_entry_of_the_error_reference_names_a_nested_signal_mark() -> None:
    reference = (ROOT / "docs" / "errors.md").read_text()
    entry = " ".join(reference.split("## E901", 1)[1].split("\n## ", 1)[0].split())
    assert "x-ruleward-signal" in entry and "below the top level" in entry and "--schema" in entry
