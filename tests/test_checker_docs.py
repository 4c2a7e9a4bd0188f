"""docs/errors.md lists every registered diagnostic code, with its meaning, an example and the fix."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import ruleward.dsl
import ruleward.engine
from ruleward.dsl.diagnostics import REGISTRY

ERRORS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
HEADING = re.compile(r"^## ([EW]\d{3}) `([a-z0-9-]+)`$", re.MULTILINE)


def registered_codes() -> dict[str, str]:
    # a code registers itself when its module is imported: import every module that could declare one
    for package in (ruleward.dsl, ruleward.engine):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            try:
                importlib.import_module(module.name)
            except ImportError:  # an optional dependency or a module still being written elsewhere
                continue
    return {code: spec.name for code, spec in REGISTRY.items()}


def documented() -> dict[str, str]:
    return dict(HEADING.findall(ERRORS.read_text(encoding="utf-8")))


def test_every_registered_code_is_documented_under_its_name() -> None:
    docs = documented()
    missing = {code: name for code, name in registered_codes().items() if docs.get(code) != name}
    assert not missing, f"add these to docs/errors.md as `## CODE \\`name\\``: {missing}"


def test_the_index_documents_no_code_that_does_not_exist() -> None:
    stale = set(documented()) - set(registered_codes())
    assert not stale, f"docs/errors.md documents codes nobody declares: {sorted(stale)}"


def test_each_entry_has_a_meaning_an_example_and_a_fix() -> None:
    text = ERRORS.read_text(encoding="utf-8")
    entries = re.split(r"^## (?=[EW]\d{3} )", text, flags=re.MULTILINE)[1:]
    assert len(entries) == len(documented())
    for entry in entries:
        code = entry.split()[0]
        for part in ("**Meaning.**", "**Example.**", "**Fix.**"):
            assert part in entry, f"{code} lacks {part}"
