"""Signal marks (`x-ruleward-signal`) below the top level of a host's event model are refused at load.

A signal's null means "not computed": the engine reads it as unknown only at the top of the event, so a
mark deeper down would mean "unknown" to one evaluator and "absent" to another. The engine refuses such a
schema with a diagnostic naming the field; the type model reads the mark at the top level only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from ruleward.dsl import types as t
from ruleward.engine import Engine
from ruleward.engine.events import ModerationEvent
from ruleward.engine.ruleset import RulesetError
from ruleward.testing.evaluator import Evaluator

SIGNAL = {"x-ruleward-signal": True}


class Scan(BaseModel):
    verdict: str | None = Field(default=None, json_schema_extra=SIGNAL)  # the nested mark
    score: float | None = None


class Item(BaseModel):
    scan: Scan | None = None


class HostEvent(BaseModel):
    event_id: str
    top_scan: Scan | None = Field(default=None, json_schema_extra=SIGNAL)  # a top-level signal: fine
    items: list[Item] = []
    labels: dict[str, Scan] = {}


class FlatScan(BaseModel):
    verdict: str | None = None


class FlatEvent(BaseModel):
    event_id: str
    scan: FlatScan | None = Field(default=None, json_schema_extra=SIGNAL)


class SelfNested(BaseModel):
    event_id: str
    parent: SelfNested | None = None
    hashes: list[str] | None = Field(default=None, json_schema_extra=SIGNAL)


RULES = (
    'ruleset host version "1" owner "trust-safety"\n\n'
    'rule flagged\n  when top_scan.verdict == "bad"\n  then hold\n'
)


def write(tmp_path: Path, text: str = RULES) -> Path:
    path = tmp_path / "host.rw"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_nested_signal_mark_is_refused_at_load_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as raised:
        Engine.load(write(tmp_path), HostEvent)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E901"
    # each model is named once, on the shortest path the event reaches it by
    assert "`top_scan.verdict` (`Scan.verdict`)" in diagnostic.message
    assert "below the top level" in diagnostic.message
    assert diagnostic.hint is not None and "signals must be top-level fields of the event" in diagnostic.hint
    assert "help: signals must be top-level fields" in str(raised.value)  # rendered, not a traceback


def test_nested_signals_lists_every_marked_model_with_its_path() -> None:
    found = t.nested_signals(HostEvent)
    assert [(f.path, f.owner, f.name) for f in found] == [("top_scan.verdict", "Scan", "verdict")]

    class Deep(BaseModel):
        items: list[Item] = []
        labels: dict[str, Item] = {}

    assert [f.path for f in t.nested_signals(Deep)] == ["items[].scan.verdict"]
    assert t.nested_signals(ModerationEvent) == ()
    assert t.nested_signals(FlatEvent) == ()


def test_a_root_model_reached_again_below_itself_counts_as_nested() -> None:
    found = t.nested_signals(SelfNested)
    assert [(f.path, f.owner) for f in found] == [("parent.hashes", "SelfNested")]


def test_a_schema_with_top_level_signals_only_loads_and_reads_them_as_signals(tmp_path: Path) -> None:
    text = (
        'ruleset flat version "1" owner "trust-safety"\n\n'
        'rule flagged\n  when scan.verdict == "bad"\n  then hold\n\n'
        "rule unscanned\n  when scan.verdict is missing\n  then label\n"
    )
    engine = Engine.load(write(tmp_path, text), FlatEvent)
    bad = engine.evaluate({"event_id": "ev-5c1e", "scan": {"verdict": "bad"}})
    assert bad.fired == ("flagged",) and bad.errors == ()
    # `scan.verdict` null inside a present scan: an ordinary absent value, no error
    absent = engine.evaluate({"event_id": "ev-5c1f", "scan": {"verdict": None}})
    assert absent.fired == ("unscanned",) and absent.errors == ()
    # the signal itself null: every path through it is unknown, the rules that read it fail closed
    missing = engine.evaluate({"event_id": "ev-5c20", "scan": None})
    assert missing.errored == ("flagged", "unscanned")
    assert (
        engine.interpret({"event_id": "ev-5c21", "scan": None}).to_dict()["errors"]
        == missing.to_dict()["errors"]
    )


def test_the_type_model_reads_the_mark_at_the_top_level_only() -> None:
    host = t.from_model(HostEvent)
    top = host.fields["top_scan"]
    assert top.signal and top.default is None
    assert isinstance(top.type, t.ObjectType)
    assert not top.type.fields["verdict"].signal  # the nested mark is not a signal to the checker either
    assert {name for name, f in t.from_model(ModerationEvent).fields.items() if f.signal} == {
        "hash_matches",
        "classifiers",
        "provenance",
    }


def test_the_test_evaluator_reads_a_nested_null_as_absent_like_the_engine() -> None:
    # what the engine would do if it loaded the schema: `top_scan.verdict` null is absent, not unknown
    from ruleward.dsl.loader import load_text

    ruleset = load_text(
        'condition bad = top_scan.verdict == "bad"\ncondition gone = top_scan.verdict is missing\n'
    )
    evaluator = Evaluator(ruleset.ruleset, HostEvent)
    evaluation = evaluator.on({"event_id": "ev-9d02", "top_scan": {"verdict": None}})
    assert evaluation.truth(evaluator.symbols.conditions["bad"].expr) is False
    assert evaluation.truth(evaluator.symbols.conditions["gone"].expr) is True
    unknown = evaluator.on({"event_id": "ev-9d03", "top_scan": None})
    assert unknown.truth(evaluator.symbols.conditions["bad"].expr) is None
