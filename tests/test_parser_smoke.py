from pathlib import Path

from ruleward.dsl import nodes as n
from ruleward.dsl.loader import load

ROOT = Path(__file__).resolve().parents[1]


def test_default_ruleset_parses_without_diagnostics() -> None:
    loaded = load([ROOT / "rulesets" / "child_safety"])
    assert loaded.diagnostics == ()
    names = [rule.name for rule in loaded.ruleset.rules]
    assert "verified_match" in names and "signals_missing" in names
    header = loaded.ruleset.header
    assert isinstance(header, n.Header) and header.name == "child_safety"
