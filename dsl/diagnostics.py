"""Diagnostics: stable codes, severities, messages with spans and hints, rendered like a compiler's.

Messages follow one style: lowercase, no final period, user text in `backticks`. Every code is declared
once with `DiagnosticCode`, which registers it, so the error index in docs/errors.md can be checked
against the codes that exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ruleward.dsl.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class DiagnosticCode:
    """A stable diagnostic code: `E` for errors, `W` for warnings, and a kebab-case name."""

    code: str
    name: str
    summary: str

    def __post_init__(self) -> None:
        existing = REGISTRY.get(self.code)
        if existing is not None and existing != self:
            raise ValueError(f"diagnostic code {self.code} declared twice")
        REGISTRY[self.code] = self

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code.startswith("W") else Severity.ERROR

    def at(self, span: Span | None, message: str, hint: str | None = None) -> Diagnostic:
        return Diagnostic(self.code, self.severity, message, span, hint)


REGISTRY: dict[str, DiagnosticCode] = {}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None
    hint: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "span": self.span.to_dict() if self.span else None,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)


class DiagnosticError(Exception):
    """Raised when a stage cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0].message if self.diagnostics else "no diagnostics"
        super().__init__(first)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def render(diagnostic: Diagnostic, sources: Mapping[str, str]) -> str:
    """Render one diagnostic: `path:line:col: severity[code]: message`, the line, a caret, the hint."""
    lines: list[str] = []
    span = diagnostic.span
    if span is None:
        where = ""
    elif span.line == 0:  # a whole file or path, not a place in it
        where = f"{span.file}: "
    else:
        where = f"{span.file}:{span.line}:{span.column}: "
    lines.append(f"{where}{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}")
    text = sources.get(span.file) if span else None
    if span is not None and text is not None and span.line > 0:
        source_lines = text.splitlines() or [""]
        if span.line <= len(source_lines):
            source_line = source_lines[span.line - 1].expandtabs(1)
            gutter = str(span.line)
            pad = " " * len(gutter)
            if span.end_line == span.line:
                width = max(1, span.end_column - span.column)
            else:
                width = max(1, len(source_line) - span.column + 1)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {_printable(source_line)}")
            lines.append(f"{pad} | {' ' * (span.column - 1)}{'^' * width}")
    for note in diagnostic.notes:
        lines.append(f"  = note: {note}")
    if diagnostic.hint:
        lines.append(f"  = help: {diagnostic.hint}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    return "\n\n".join(render(d, sources) for d in sorted_diagnostics(diagnostics))


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in sorted_diagnostics(diagnostics)], indent=2)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"


def _printable(line: str) -> str:
    # control characters would corrupt a terminal; show them as U+FFFD so columns still line up
    return "".join(ch if ch.isprintable() or ch == " " else "\ufffd" for ch in line)
