"""Put comments back around the printed declarations.

A comment is anchored to a unit (a declaration's head line, or one clause) by where it sat:

- on the line where a unit ends, after it: at the end of that unit's last printed line;
- between units of a declaration, or inside one (in an expression, an action list, a JSON object): on
  its own line before the clause, at the clause's indentation;
- inside a declaration without clauses (`const`, `list`, `condition`, `base event`): before it;
- just after a declaration, indented and with no blank line between: after its last clause, indented;
- otherwise between declarations: before the next declaration, keeping one blank line where there was
  at least one. Comments after the last declaration end the file.

Declarations are separated by one blank line, except within a run of `const` or of `list` declarations,
which stay together as a table (there a blank line survives only before a comment).

Each placement reads back as the same anchor, so formatting twice gives the same text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from ruleward.dsl import nodes as n
from ruleward.dsl.formatter.declarations import CLAUSE_INDENT, Printed
from ruleward.dsl.source import Span

# a unit is a declaration's head (key None) or one of its clauses
_Unit = tuple[str | None, Span]
# a blank line among comments
_BLANK = None


@dataclass
class _Slots:
    """The comments that go with one declaration."""

    lead: list[str | None] = field(default_factory=list)
    hoisted: list[str] = field(default_factory=list)
    before_clause: dict[str, list[str]] = field(default_factory=dict)
    trailing: dict[str | None, str] = field(default_factory=dict)
    dangling: list[str] = field(default_factory=list)


def comment_text(comment: n.Comment) -> str:
    """A comment as printed: its text without trailing whitespace (a CRLF file leaves `\\r` in it)."""
    return comment.text.rstrip()


class _Weaver:
    def __init__(self, module: n.Module, printed: Sequence[Printed]) -> None:
        self.decls = module.declarations
        self.printed = printed
        self.slots = [_Slots() for _ in self.decls]
        self.file_end: list[str | None] = []
        self.starts = [d.span.start for d in self.decls]
        # per gap after declaration i (-1: before the first): the line last seen, whether a run of
        # indented comments hanging off declaration i is still open
        self.gap_line: dict[int, int] = {}
        self.gap_dangling: dict[int, bool] = {}

    def units(self, index: int) -> list[_Unit]:
        printed = self.printed[index]
        units: list[_Unit] = [(None, printed.head_span)]
        units.extend((clause.key, clause.span) for clause in printed.clauses)
        return sorted(units, key=lambda unit: unit[1].start)

    def place(self, comment: n.Comment) -> None:
        text = comment_text(comment)
        span = comment.span
        index = bisect_right(self.starts, span.start) - 1
        if index >= 0 and span.start < self.decls[index].span.end:
            self._inside(index, span, text)
        else:
            self._between(index, span, text)

    def _inside(self, index: int, span: Span, text: str) -> None:
        slots = self.slots[index]
        units = self.units(index)
        for key, unit in units:
            if unit.start <= span.start < unit.end:
                if key is None:
                    slots.hoisted.append(text)
                else:
                    slots.before_clause.setdefault(key, []).append(text)
                return
        if self._trail(index, units, span, text):
            return
        following = [key for key, unit in units if unit.start > span.start and key is not None]
        if following:
            slots.before_clause.setdefault(following[0], []).append(text)
        else:
            slots.dangling.append(text)

    def _trail(self, index: int, units: list[_Unit], span: Span, text: str) -> bool:
        ended = [unit for unit in units if unit[1].end <= span.start]
        if not ended:
            return False
        key, unit = max(ended, key=lambda unit: unit[1].end)
        slots = self.slots[index]
        if unit.end_line != span.line or key in slots.trailing:
            return False
        slots.trailing[key] = text
        return True

    def _between(self, index: int, span: Span, text: str) -> None:
        if index not in self.gap_line:
            self.gap_line[index] = self.decls[index].span.end_line if index >= 0 else span.line
            self.gap_dangling[index] = index >= 0
            if index >= 0 and self._trail(index, self.units(index), span, text):
                return
        blank = span.line - self.gap_line[index] >= 2
        self.gap_line[index] = span.line
        if self.gap_dangling[index] and span.column > 1 and not blank:
            self.slots[index].dangling.append(text)
            return
        self.gap_dangling[index] = False
        pieces = self.slots[index + 1].lead if index + 1 < len(self.decls) else self.file_end
        if blank and (pieces or index >= 0):
            pieces.append(_BLANK)
        pieces.append(text)

    def lines(self) -> list[str]:
        out: list[str] = []
        for index, (decl, printed) in enumerate(zip(self.decls, self.printed, strict=True)):
            slots = self.slots[index]
            lead = slots.lead
            if lead and decl.span.line - self.gap_line.get(index - 1, decl.span.line) >= 2:
                lead.append(_BLANK)
            if index and not grouped(self.decls[index - 1], decl):
                # the blank line that always separates declarations stands for any blank before comments
                out.append("")
                if lead and lead[0] is _BLANK:
                    lead.pop(0)
            out.extend(piece or "" for piece in lead)
            out.extend(slots.hoisted)
            out.extend(_with_trailing(printed.head, slots.trailing.get(None)))
            for clause in printed.clauses:
                out.extend(CLAUSE_INDENT + text for text in slots.before_clause.get(clause.key, ()))
                out.extend(_with_trailing(clause.lines, slots.trailing.get(clause.key)))
            out.extend(CLAUSE_INDENT + text for text in slots.dangling)
        if not out:
            while self.file_end and self.file_end[0] is _BLANK:
                self.file_end.pop(0)
        out.extend(piece or "" for piece in self.file_end)
        return out


def grouped(previous: n.Declaration, declaration: n.Declaration) -> bool:
    """Runs of `const` and of `list` declarations are tables of values: no blank line inside a run."""
    return type(previous) is type(declaration) and isinstance(declaration, n.Constant | n.NamedList)


def _with_trailing(lines: list[str], comment: str | None) -> list[str]:
    if comment is None:
        return lines
    return [*lines[:-1], f"{lines[-1]}  {comment}"]


def weave(module: n.Module, printed: Sequence[Printed]) -> list[str]:
    """The lines of the module: its printed declarations with its comments put back."""
    if not module.comments:
        return _plain(module.declarations, printed)
    weaver = _Weaver(module, printed)
    for comment in sorted(module.comments, key=lambda c: c.span.start):
        weaver.place(comment)
    return weaver.lines()


def _plain(declarations: Sequence[n.Declaration], printed: Sequence[Printed]) -> list[str]:
    """`_Weaver.lines` with no comment to place (as for the ruleset digest): the printed lines alone."""
    out: list[str] = []
    previous: n.Declaration | None = None
    for declaration, lines in zip(declarations, printed, strict=True):
        if previous is not None and not grouped(previous, declaration):
            out.append("")
        out += lines.head
        for clause in lines.clauses:
            out += clause.lines
        previous = declaration
    return out
