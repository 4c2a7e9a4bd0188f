"""Every `rw` example in the docs parses, so the reference cannot drift from the grammar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ruleward.dsl.diagnostics import DiagnosticError
from ruleward.dsl.parser import parse_expression, parse_text

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```rw\n(.*?)```", re.S)


def _examples() -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((doc.name, line, match.group(1)))
    return found


EXAMPLES = _examples()


def test_the_docs_hold_examples() -> None:
    assert len(EXAMPLES) >= 20, "docs/language.md should show every construct with an example"


@pytest.mark.parametrize(("doc", "line", "code"), EXAMPLES, ids=[f"{d}:{ln}" for d, ln, _ in EXAMPLES])
def test_doc_example_parses(doc: str, line: int, code: str) -> None:
    try:
        parse_text(code, f"{doc}:{line}")
    except DiagnosticError as whole_file_error:
        try:
            parse_expression(code.strip(), f"{doc}:{line}")
        except DiagnosticError:
            raise AssertionError(f"{doc}:{line}: {whole_file_error.diagnostics[0].message}") from None
