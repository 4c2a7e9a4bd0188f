"""Print the JSON-like objects of `base event` and `given`: on one line if they fit, else one member a line.

Keys print bare when they are names (after `{` or `,` the parser expects only a key, so even a keyword
reads back as a key), quoted otherwise.
"""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.formatter import tokens
from ruleward.dsl.formatter.layout import INDENT, Builder, Fragment, fits


class JsonPrinter:
    """Caches each value's one-line form; one recursion frame per level of nesting."""

    def __init__(self) -> None:
        self._flat: dict[int, str] = {}

    def flat(self, value: n.JsonValue) -> str:
        # a scalar is quicker printed again than cached (every test's `given` is printed on load)
        if type(value) is n.Literal:
            return tokens.scalar(value.value, negative=True)
        cached = self._flat.get(id(value))
        if cached is not None:
            return cached
        parts: list[str] = []
        if isinstance(value, n.JsonObject):
            for pair in value.pairs:
                parts.append(f"{tokens.json_key(pair.key)}: {self.flat(pair.value)}")
            text = "{" + ", ".join(parts) + "}"
        elif isinstance(value, n.JsonArray):
            for item in value.items:
                parts.append(self.flat(item))
            text = "[" + ", ".join(parts) + "]"
        elif isinstance(value, n.Null):
            text = "null"
        else:
            text = tokens.scalar(value.value, negative=True)
        self._flat[id(value)] = text
        return text

    def render(self, value: n.JsonValue, column: int, indent: int, tail: int) -> Fragment:
        flat = self.flat(value)
        if fits(column, flat, tail) or not isinstance(value, n.JsonObject | n.JsonArray):
            return [flat]
        inner = indent + INDENT
        b = Builder(column, indent)
        if isinstance(value, n.JsonObject):
            if not value.pairs:
                return ["{}"]
            b.text("{")
            for pair in value.pairs:
                b.newline(inner).text(tokens.json_key(pair.key) + ": ")
                b.fragment(self.render(pair.value, b.column, inner, 1)).text(",")
            return b.newline(indent).text("}").lines
        if not value.items:
            return ["[]"]
        b.text("[")
        for item in value.items:
            b.newline(inner).fragment(self.render(item, inner, inner, 1)).text(",")
        return b.newline(indent).text("]").lines
