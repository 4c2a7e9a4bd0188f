"""Fragments of laid-out text, and the line width they must fit in.

A fragment is a list of lines: the first continues the line it is placed on, the others are whole lines
with their own indentation. Printers build fragments with `Builder`, which tracks the column a piece
would start at, so each piece can check whether it fits before deciding to break.
"""

from __future__ import annotations

WIDTH = 110
INDENT = 2

Fragment = list[str]


def fits(column: int, text: str, tail: int = 0) -> bool:
    """Whether `text` starting at `column`, followed by `tail` more characters, stays within the width."""
    return column + len(text) + tail <= WIDTH


class Builder:
    """Lays out a fragment that starts at `column` on a line indented by `indent`."""

    __slots__ = ("_first_column", "_indent", "lines")

    def __init__(self, column: int, indent: int) -> None:
        self.lines: Fragment = [""]
        self._first_column = column
        self._indent = indent

    @property
    def column(self) -> int:
        if len(self.lines) == 1:
            return self._first_column + len(self.lines[0])
        return len(self.lines[-1])

    @property
    def indent(self) -> int:
        """The indentation of the line being written."""
        if len(self.lines) == 1:
            return self._indent
        last = self.lines[-1]
        return len(last) - len(last.lstrip(" "))

    def text(self, text: str) -> Builder:
        self.lines[-1] += text
        return self

    def fragment(self, fragment: Fragment) -> Builder:
        self.lines[-1] += fragment[0]
        self.lines.extend(fragment[1:])
        return self

    def newline(self, indent: int) -> Builder:
        self.lines.append(" " * indent)
        return self
