"""Golden diagnostics: each `.rw` file (or directory of them) in tests/golden/diagnostics is one mistake a
policy author makes; its rendered diagnostics are in the `.out` file beside it, and for a few cases the
JSON form in a `.json` file. `RULEWARD_REGEN=1 pytest tests/test_diagnostics_golden.py` rewrites them.

A first line `# limits: max_rules=2` checks that golden with smaller limits, so the limits can be shown on
a small file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ruleward.dsl.checker import CheckedRuleset, Limits, check
from ruleward.dsl.diagnostics import REGISTRY, DiagnosticError, render_all, to_json
from ruleward.dsl.loader import LoadedRuleset, parse_sources
from ruleward.dsl.parser import decode
from ruleward.dsl.source import SourceFile
from ruleward.engine.events import ModerationEvent

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
REGEN = os.environ.get("RULEWARD_REGEN") == "1"
JSON_CASES = ("enum_value_typo", "missing_argument", "syntax_missing_then")
# E100 reports a bug in a checker pass: no ruleset should be able to cause it
NOT_IN_GOLDENS = {"E100"}


def cases() -> list[Path]:
    files = sorted(p for p in GOLDEN.glob("*.rw"))
    folders = sorted(p for p in GOLDEN.iterdir() if p.is_dir())
    return [*files, *folders]


def load_case(case: Path) -> LoadedRuleset:
    """Load a golden with paths relative to the golden folder, so the output does not depend on where the
    repository lives."""
    files = sorted(case.glob("*.rw")) if case.is_dir() else [case]
    sources: list[SourceFile] = []
    early = []
    for file in files:
        try:
            sources.append(decode(file.relative_to(GOLDEN).as_posix(), file.read_bytes()))
        except DiagnosticError as error:
            early.extend(error.diagnostics)
    loaded = parse_sources(sources)
    return LoadedRuleset(loaded.ruleset, loaded.sources, (*early, *loaded.diagnostics))


def limits_of(case: Path) -> Limits:
    if case.is_dir():
        return Limits()
    first = case.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    found = re.match(r"# limits: (.*)", first)
    if not found:
        return Limits()
    values = dict(item.split("=") for item in found.group(1).split())
    return Limits(**{key: int(value) for key, value in values.items()})


def check_case(case: Path) -> CheckedRuleset:
    return check(load_case(case), ModerationEvent, limits=limits_of(case))


def compare(path: Path, actual: str) -> None:
    if REGEN:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} is missing: run with RULEWARD_REGEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8")


def name_of(case: Path) -> str:
    return case.stem if case.is_file() else case.name


@pytest.mark.parametrize("case", cases(), ids=name_of)
def test_golden_rendering(case: Path) -> None:
    checked = check_case(case)
    assert checked.diagnostics, "a golden shows a mistake, so it must produce a diagnostic"
    compare(GOLDEN / f"{name_of(case)}.out", render_all(checked.diagnostics, checked.texts) + "\n")


@pytest.mark.parametrize("name", JSON_CASES)
def test_golden_json(name: str) -> None:
    checked = check_case(GOLDEN / f"{name}.rw")
    compare(GOLDEN / f"{name}.json", to_json(checked.diagnostics) + "\n")


def test_there_are_enough_goldens() -> None:
    assert len(cases()) >= 45


def test_every_checker_code_appears_in_a_golden() -> None:
    seen = {d.code for case in cases() for d in check_case(case).diagnostics}
    checker_codes = {code for code in REGISTRY if code[1] == "1"}  # E1xx / W1xx belong to the checker
    assert checker_codes, "the checker registers its codes on import"
    missing = checker_codes - seen - NOT_IN_GOLDENS
    assert not missing, f"codes without a golden: {sorted(missing)}"


def test_no_golden_output_is_orphaned() -> None:
    names = {name_of(c) for c in cases()}
    for output in GOLDEN.glob("*.out"):
        assert output.stem in names, f"{output.name} has no input"


def test_checker_never_fails_on_golden_inputs() -> None:
    # every prefix of a golden is another broken ruleset an editor sends while the author types
    for case in cases():
        if case.is_dir():
            continue
        data = case.read_bytes()
        for cut in sorted({len(data), *range(0, len(data), max(1, len(data) // 4))}):
            text = data[:cut].decode("utf-8", "replace")
            loaded = parse_sources([SourceFile(case.name, text)])
            checked = check(loaded, ModerationEvent)
            assert not [d for d in checked.diagnostics if d.code == "E100"], (case.name, cut)
