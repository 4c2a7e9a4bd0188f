"""Load a ruleset from files or a directory: read bytes, decode, parse, and assemble a `Ruleset`.

Every failure is a diagnostic; a directory's files are parsed independently so one broken file does not
hide the errors of the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import Diagnostic, DiagnosticCode, DiagnosticError, has_errors
from ruleward.dsl.parser import decode, parse
from ruleward.dsl.source import SourceFile, Span

RULESET_SUFFIX = ".rw"
MAX_FILES = 1000

NOT_FOUND = DiagnosticCode("E011", "path-not-found", "a ruleset path that does not exist")
NO_RULESET_FILES = DiagnosticCode("E012", "no-ruleset-files", "a directory with no `.rw` files")
UNREADABLE = DiagnosticCode("E013", "unreadable-file", "a file that cannot be read")
TOO_MANY_FILES = DiagnosticCode("E014", "too-many-files", "a directory with more files than the limit")


@dataclass(frozen=True, slots=True)
class LoadedRuleset:
    """A parsed ruleset with the text of each file, which diagnostics and the formatter need."""

    ruleset: n.Ruleset
    sources: dict[str, SourceFile]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def texts(self) -> dict[str, str]:
        return {path: source.text for path, source in self.sources.items()}


def ruleset_files(path: Path) -> list[Path]:
    """The `.rw` files of a ruleset path, in a stable order (a file stands for itself)."""
    if path.is_dir():
        return sorted(p for p in path.rglob(f"*{RULESET_SUFFIX}") if p.is_file())
    return [path]


def _nowhere(path: str) -> Span:
    return Span(path, 0, 0, 0, 0, 0, 0)


def load_sources(paths: Iterable[Path | str]) -> tuple[list[SourceFile], list[Diagnostic]]:
    sources: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            diagnostics.append(
                NOT_FOUND.at(_nowhere(str(path)), f"`{path}` does not exist", "check the path")
            )
            continue
        files = ruleset_files(path)
        if path.is_dir() and not files:
            diagnostics.append(
                NO_RULESET_FILES.at(
                    _nowhere(str(path)),
                    f"`{path}` holds no `{RULESET_SUFFIX}` files",
                    f"a ruleset directory holds files ending in `{RULESET_SUFFIX}`",
                )
            )
            continue
        if len(files) > MAX_FILES:
            diagnostics.append(
                TOO_MANY_FILES.at(
                    _nowhere(str(path)),
                    f"`{path}` holds {len(files)} files, over the limit of {MAX_FILES}",
                    None,
                )
            )
            continue
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as error:
                diagnostics.append(
                    UNREADABLE.at(_nowhere(str(file)), f"cannot read `{file}`: {error.strerror}", None)
                )
                continue
            try:
                sources.append(decode(str(file), data))
            except DiagnosticError as error:
                diagnostics.extend(error.diagnostics)
    return sources, diagnostics


def parse_sources(sources: Sequence[SourceFile]) -> LoadedRuleset:
    modules: list[n.Module] = []
    diagnostics: list[Diagnostic] = []
    for source in sources:
        try:
            modules.append(parse(source))
        except DiagnosticError as error:
            diagnostics.extend(error.diagnostics)
    return LoadedRuleset(n.Ruleset(tuple(modules)), {s.path: s for s in sources}, tuple(diagnostics))


def load(paths: Iterable[Path | str]) -> LoadedRuleset:
    """Read and parse the ruleset at `paths`; diagnostics found on the way are in the result."""
    sources, diagnostics = load_sources(paths)
    loaded = parse_sources(sources)
    return LoadedRuleset(loaded.ruleset, loaded.sources, (*diagnostics, *loaded.diagnostics))


def load_text(text: str, path: str = "<string>") -> LoadedRuleset:
    return parse_sources([SourceFile(path, text)])


__all__ = [
    "LoadedRuleset",
    "has_errors",
    "load",
    "load_sources",
    "load_text",
    "parse_sources",
    "ruleset_files",
]
