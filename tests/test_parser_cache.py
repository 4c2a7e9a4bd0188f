"""lark's grammar analysis is cached in a private directory; a parser loaded from it parses the same."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ruleward.dsl import lexer, parser
from ruleward.dsl.loader import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("RULEWARD_NO_GRAMMAR_CACHE", raising=False)
    parser._lark.cache_clear()
    members = [getattr(lexer, name) for name in dir(lexer)]
    lexer_caches = [member for member in members if hasattr(member, "cache_clear")]
    for cached in lexer_caches:
        cached.cache_clear()
    yield tmp_path / "ruleward"
    parser._lark.cache_clear()
    for cached in lexer_caches:
        cached.cache_clear()


def test_a_parser_loaded_from_the_cache_parses_like_a_fresh_one(fresh_parser: Path) -> None:
    text = (ROOT / "rulesets" / "child_safety" / "child_safety.rw").read_text(encoding="utf-8")
    built = parser._lark()
    assert len(list(fresh_parser.glob("grammar-*"))) == 1
    parser._lark.cache_clear()
    loaded = parser._lark()
    assert loaded is not built
    assert loaded.parse(text) == built.parse(text)
    assert load([ROOT / "rulesets" / "child_safety"]).diagnostics == ()


def test_a_directory_others_can_write_is_not_used(fresh_parser: Path) -> None:
    fresh_parser.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(fresh_parser, 0o777)
    assert parser._private_cache_file("grammar") is None


def test_a_damaged_cache_is_rebuilt(fresh_parser: Path) -> None:
    cache = parser._private_cache_file((ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8"))
    assert cache is not None
    cache.write_bytes(b"not a pickle")
    loaded = load([ROOT / "rulesets" / "child_safety"])
    assert loaded.diagnostics == ()
