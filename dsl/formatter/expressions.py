"""Print expressions: on one line when they fit, else broken before `and` / `or` and before `where`.

Parentheses appear only where the grammar needs them: `or` inside `and`, `and` / `or` under `not`,
anything but an atom beside a comparison operator, and a quantifier that something follows, because a
quantifier's body runs as far right as it can. The parentheses go on the quantifier itself.

The printers recurse two Python frames per level of the AST; `soundness.check_depth` keeps trees shallow
enough for that (the parser stops a little below that limit).
"""

from __future__ import annotations

from typing import Literal as TypingLiteral

from ruleward.dsl import nodes as n
from ruleward.dsl.formatter import tokens
from ruleward.dsl.formatter.layout import INDENT, Builder, Fragment, fits

# where an expression stands decides what it needs parentheses for
Place = TypingLiteral["top", "or", "and", "not", "operand"]

_ATOMS = (n.Literal, n.ListLiteral, n.Name, n.Attribute, n.Call)
_CHAINS = (n.And, n.Or)


def needs_parens(expr: n.Expr, place: Place, followed: bool) -> bool:
    """Whether `expr`, standing at `place` and followed by more of its enclosing expression, needs `( )`."""
    if place == "operand":
        return not isinstance(expr, _ATOMS)
    if followed and isinstance(expr, n.Quantifier):
        return True
    # `a or b and c` is parsed right but easily misread by policy authors, so `and` inside `or` keeps its
    # parentheses (gcc's -Wparentheses makes the same call); under `and` and `not` the grammar needs them
    return place != "top" and isinstance(expr, _CHAINS)


def path(expr: n.Attribute | n.Name) -> str:
    """`a.b.c`, walked in a loop: a path may be far longer than the nesting limit."""
    if type(expr) is n.Name:  # most paths are one name
        return tokens.name(expr.name)
    parts: list[str] = []
    node: n.Expr = expr
    while isinstance(node, n.Attribute):
        parts.append(tokens.name(node.name))
        node = node.value
    if not isinstance(node, n.Name):
        raise tokens.UnprintableError("only a name can have attributes (`a.b`), not a computed value")
    parts.append(tokens.name(node.name))
    return ".".join(reversed(parts))


class ExpressionPrinter:
    """Prints the expressions of one module; caches each subtree's one-line form, since layout asks often."""

    def __init__(self) -> None:
        # by id, one table for subtrees that more of their expression follows, one for the others
        self._flat: tuple[dict[int, str], dict[int, str]] = ({}, {})

    # ---- one line -----------------------------------------------------------------------------------------

    def flat(self, expr: n.Expr, place: Place = "top", followed: bool = False) -> str:
        # a name, a path or a literal needs no parentheses anywhere, and is quicker printed again than cached
        if type(expr) is n.Name:
            return tokens.name(expr.name)
        if type(expr) is n.Attribute:
            return path(expr)
        if type(expr) is n.Literal:
            return tokens.scalar(expr.value, negative=True)
        if needs_parens(expr, place, followed):
            return "(" + self._flat_bare(expr, False) + ")"
        return self._flat_bare(expr, followed)

    def _flat_bare(self, expr: n.Expr, followed: bool) -> str:
        cache = self._flat[followed]
        text = cache.get(id(expr))
        if text is not None:
            return text
        # the commonest kinds first; one frame here and one in `flat` a level, as `check_depth` allows for
        if isinstance(expr, n.Compare):
            text = f"{self.flat(expr.left, 'operand')} {expr.op} {self.flat(expr.right, 'operand')}"
        elif isinstance(expr, n.Attribute) or isinstance(expr, n.Name):
            text = path(expr)
        elif isinstance(expr, n.And) or isinstance(expr, n.Or):
            place: Place = "and" if isinstance(expr, n.And) else "or"
            last = len(expr.operands) - 1
            parts: list[str] = []
            for index, operand in enumerate(expr.operands):
                parts.append(self.flat(operand, place, followed if index == last else True))
            text = f" {place} ".join(parts)
        elif isinstance(expr, n.Call):
            args: list[str] = []
            for arg in expr.args:
                args.append(self.flat(arg))
            text = f"{tokens.name(expr.function)}({', '.join(args)})"
        elif isinstance(expr, n.IsTest):
            text = f"{self.flat(expr.operand, 'operand')} is {expr.test}"
        elif isinstance(expr, n.Literal):
            text = tokens.scalar(expr.value, negative=True)
        elif isinstance(expr, n.ListLiteral):
            text = _list_flat(expr)
        elif isinstance(expr, n.Not):
            text = "not " + self.flat(expr.operand, "not", followed)
        else:
            text = (
                f"{expr.kind} {tokens.name(expr.variable)} in {self.flat(expr.source, 'operand')}"
                f" where {self.flat(expr.body, 'top', followed)}"
            )
        cache[id(expr)] = text
        return text

    # ---- laid out -----------------------------------------------------------------------------------------

    def render(
        self, expr: n.Expr, place: Place, column: int, indent: int, cont: int, followed: bool, tail: int
    ) -> Fragment:
        """Lay out `expr` starting at `column` on a line indented by `indent`.

        `cont` is where a broken `and` / `or` chain puts its continuation lines; `tail` counts the
        characters that will follow the expression on its last line.
        """
        flat = self.flat(expr, place, followed)
        if fits(column, flat, tail) or isinstance(expr, n.Literal | n.Name | n.Attribute):
            return [flat]
        if needs_parens(expr, place, followed):
            # a block: `(`, the expression on its own lines two spaces in, `)` back on this line's indent
            inner = indent + INDENT
            bare = self._flat_bare(expr, False)
            body = [bare] if fits(inner, bare) else self._render_bare(expr, inner, inner, inner, False, 0)
            return ["(", " " * inner + body[0], *body[1:], " " * indent + ")"]
        return self._render_bare(expr, column, indent, cont, followed, tail)

    def _render_bare(
        self, expr: n.Expr, column: int, indent: int, cont: int, followed: bool, tail: int
    ) -> Fragment:
        b = Builder(column, indent)
        if isinstance(expr, n.ListLiteral):
            if not expr.items:
                return ["[]"]
            b.text("[")
            for item in expr.items:
                b.newline(indent + INDENT).text(tokens.scalar(item.value, negative=False) + ",")
            return b.newline(indent).text("]").lines
        if isinstance(expr, n.Call):
            b.text(tokens.name(expr.function) + "(")
            if not expr.args:
                return b.text(")").lines
            inner = indent + INDENT
            last = len(expr.args) - 1
            for index, arg in enumerate(expr.args):
                b.newline(inner)
                b.fragment(self.render(arg, "top", inner, inner, inner + INDENT, False, int(index < last)))
                if index < last:
                    b.text(",")
            return b.newline(indent).text(")").lines
        if isinstance(expr, n.Not):
            b.text("not ")
            return b.fragment(self.render(expr.operand, "not", b.column, indent, cont, followed, tail)).lines
        if isinstance(expr, n.And | n.Or):
            # one operand a line, each after its `and` / `or` at `cont`; inlined to keep recursion shallow
            place: Place = "and" if isinstance(expr, n.And) else "or"
            last = len(expr.operands) - 1
            for index, operand in enumerate(expr.operands):
                operand_followed = followed if index == last else True
                operand_tail = tail if index == last else 0
                operand_cont = cont + INDENT
                if index == 0:
                    # an `and` chain first in an `or` chain: its continuation goes further in, showing nesting
                    nested = isinstance(operand, n.And | n.Or) and not needs_parens(operand, place, True)
                    operand_cont = cont + INDENT if nested else cont
                else:
                    b.newline(cont).text(place + " ")
                b.fragment(
                    self.render(
                        operand, place, b.column, b.indent, operand_cont, operand_followed, operand_tail
                    )
                )
            return b.lines
        if isinstance(expr, n.Compare):
            op = f" {expr.op} "
            right = expr.right
            after = len(op) + (1 if _breakable(right) else len(self.flat(right, "operand"))) + tail
            b.fragment(self.render(expr.left, "operand", column, indent, indent + INDENT, False, after))
            b.text(op)
            return b.fragment(self.render(right, "operand", b.column, b.indent, b.indent, False, tail)).lines
        if isinstance(expr, n.IsTest):
            suffix = f" is {expr.test}"
            b.fragment(
                self.render(expr.operand, "operand", column, indent, indent, False, len(suffix) + tail)
            )
            return b.text(suffix).lines
        if isinstance(expr, n.Quantifier):
            b.text(f"{expr.kind} {tokens.name(expr.variable)} in ")
            b.fragment(self.render(expr.source, "operand", b.column, indent, indent, False, 0))
            where = b.indent + INDENT
            b.newline(where).text("where ")
            return b.fragment(
                self.render(expr.body, "top", b.column, where, where + INDENT, followed, tail)
            ).lines
        return [self.flat(expr)]


def _breakable(expr: n.Expr) -> bool:
    if isinstance(expr, n.ListLiteral):
        return bool(expr.items)
    if isinstance(expr, n.Call):
        return bool(expr.args)
    return not isinstance(expr, _ATOMS)


def _list_flat(expr: n.ListLiteral) -> str:
    items: list[str] = []
    for item in expr.items:
        items.append(tokens.scalar(item.value, negative=False))
    return "[" + ", ".join(items) + "]"
