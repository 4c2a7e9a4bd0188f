"""A pytest plugin: the `test` blocks and invariants of `.rw` files as pytest items, when asked for.

Registered through the `pytest11` entry point, so it is loaded by every pytest run in an environment where
ruleward is installed; it does nothing unless a run opts in, and imports nothing heavy until then:

- `pytest --ruleward rulesets/` collects the `.rw` files under the paths pytest walks;
- or list ruleset directories in the ini option `ruleward_rulesets`: they are collected beside the
  project's own tests whenever pytest runs on its default paths;
- a `.rw` file named on the command line is always collected.

A `.rw` file's ruleset is its directory (all `.rw` files there and below form one ruleset). Each `test`
block and each invariant declared in the file becomes one item; `--ruleward-seed` and
`--ruleward-examples` (or the ini options of the same names) set the hypothesis seed and effort.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ruleward.testing.session import RulesetSession

SUFFIX = ".rw"
DEFAULT_EXAMPLES = 50
_SESSIONS = pytest.StashKey[dict[Path, "RulesetSession"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ruleward", "ruleward ruleset tests")
    group.addoption(
        "--ruleward", action="store_true", default=False, help="collect tests and invariants of .rw files"
    )
    group.addoption("--ruleward-seed", type=int, default=None, help="seed for generated events")
    group.addoption("--ruleward-examples", type=int, default=None, help="generated events per invariant")
    parser.addini(
        "ruleward_rulesets", "ruleset directories whose tests and invariants pytest runs", type="paths"
    )
    parser.addini("ruleward_seed", "seed for generated events (default: a fixed seed)", default="0")
    parser.addini("ruleward_examples", "generated events per invariant", default=str(DEFAULT_EXAMPLES))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SESSIONS] = {}
    rulesets = _ini_rulesets(config)
    # the ini option adds its directories to a run on the default paths, not to one the user aimed
    if rulesets and config.args_source is not pytest.Config.ArgsSource.ARGS:
        for directory in rulesets:
            if str(directory) not in config.args:
                config.args.append(str(directory))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != SUFFIX or not _wanted(parent.config, file_path):
        return None
    return RulesetFile.from_parent(parent, path=file_path)


def _ini_rulesets(config: pytest.Config) -> list[Path]:
    value = config.getini("ruleward_rulesets")
    return [Path(p) for p in value] if isinstance(value, list) else []


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    if config.getoption("ruleward"):
        return True
    resolved = file_path.resolve()
    for directory in _ini_rulesets(config):
        if resolved.is_relative_to(directory.resolve()):
            return True
    # named on the command line: the user asked for this very file
    return any(Path(arg.split("::")[0]).resolve() == resolved for arg in config.args)


def _session(config: pytest.Config, directory: Path) -> RulesetSession:
    from ruleward.testing.session import RulesetSession

    sessions = config.stash[_SESSIONS]
    if directory not in sessions:
        seed = config.getoption("ruleward_seed")
        examples = config.getoption("ruleward_examples")
        sessions[directory] = RulesetSession(
            directory,
            seed=int(seed if seed is not None else config.getini("ruleward_seed")),
            examples=int(examples if examples is not None else config.getini("ruleward_examples")),
        )
    return sessions[directory]


def ruleset_root(file_path: Path) -> Path:
    """The directory of the ruleset a `.rw` file belongs to: the highest of its ancestors that still
    holds `.rw` files directly (a ruleset may keep files in subdirectories)."""
    root = file_path.parent
    while root.parent != root and any(root.parent.glob(f"*{SUFFIX}")):
        root = root.parent
    return root


class RulesetFailure(Exception):
    """A test or invariant of a ruleset failed; the message is the whole report."""


class RulesetFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        session = _session(self.config, ruleset_root(self.path))
        if session.failure is not None:
            # one failing item, in the file the errors are in (in every file when they name none)
            files = session.failure_files
            if not files or self.path.resolve() in files or not any(f.exists() for f in files):
                yield RulesetItem.from_parent(self, name="check", kind="check", declaration=None)
            return
        for kind, declaration in session.declarations_in(self.path):
            yield RulesetItem.from_parent(self, name=declaration.name, kind=kind, declaration=declaration)


class RulesetItem(pytest.Item):
    def __init__(self, *, kind: str, declaration: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.declaration = declaration

    def runtest(self) -> None:
        session = _session(self.config, ruleset_root(self.path))
        if self.kind == "check":
            raise RulesetFailure(session.failure)
        message = session.run(self.kind, self.declaration)
        if message is not None:
            raise RulesetFailure(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RulesetFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.declaration.span.line - 1 if self.declaration is not None else 0
        return self.path, line, f"{self.kind} {self.name}"
