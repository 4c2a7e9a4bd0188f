"""The checks around formatting: trees too deep to print, and whether the output means the same.

Both walk the tree in a loop, not by recursion: a path such as `a.b.c...` is a chain of nodes as long as
the path, which the parser's nesting limit does not bound.
"""

from __future__ import annotations

import math
from collections import Counter

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import DiagnosticError
from ruleward.dsl.formatter.comments import comment_text
from ruleward.dsl.parser import MAX_DEPTH, TOO_DEEP
from ruleward.dsl.source import Span

# the parser accepts trees up to MAX_DEPTH * 3 levels; printing recurses about two frames a level
MAX_PRINT_DEPTH = MAX_DEPTH * 3 + 8


def check_depth(module: n.Module) -> None:
    """Raise `E007` for a tree deeper than the printers can recurse (the parser never builds one)."""
    for declaration in module.declarations:
        if _deeper_than_printable(declaration):
            _report_too_deep(declaration)


def _deeper_than_printable(declaration: n.Node) -> bool:
    """Whether any node lies more than `MAX_PRINT_DEPTH` levels down, a level at a time.

    Every ruleset is formatted on load (its digest), so this runs over every node: the common kinds are
    taken apart here, cheaper than `n.children`, and the levels are lists rather than a stack of pairs.
    """
    level: list[n.Node] = [declaration]
    depth = 0
    while level:
        if depth > MAX_PRINT_DEPTH:
            return True
        below: list[n.Node] = []
        for node in level:  # `level` grows as it is read: a path such as `a.b.c` counts as one level
            if type(node) is n.Name or type(node) is n.Literal or type(node) is n.Null:
                continue
            if type(node) is n.Compare:
                below += (node.left, node.right)
            elif type(node) is n.Attribute:
                level.append(node.value)
            elif type(node) is n.And or type(node) is n.Or:
                below += node.operands
            elif type(node) is n.Not or type(node) is n.IsTest:
                below.append(node.operand)
            elif type(node) is n.Call:
                below += node.args
            elif type(node) is n.Quantifier:
                below += (node.source, node.body)
            elif type(node) is n.Rule:
                # its other parts (names, texts, actions) are a few levels deep at most
                below += [clause for clause in (node.when, node.unless) if clause is not None]
            elif type(node) is n.Condition:
                below.append(node.expr)
            elif type(node) is n.JsonPair:
                below.append(node.value)
            elif type(node) is n.JsonObject:
                below += node.pairs
            elif type(node) is n.JsonArray:
                below += node.items
            elif type(node) is n.Test:
                # its expectations, like a rule's actions, are a few levels deep at most
                if node.given is not None:
                    below.append(node.given)
            elif type(node) is n.Invariant:
                below += [clause for clause in (node.when, node.always) if clause is not None]
            elif isinstance(node, n.Node):
                below += n.children(node)
        level = below
        depth += 1
    return False


def _report_too_deep(declaration: n.Node) -> None:
    """Raise `E007` at the first node found too deep, walking depth first (as the check always has)."""
    stack: list[tuple[n.Node, int]] = [(declaration, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_PRINT_DEPTH:
            span = node.span if node.span.line > 0 else declaration.span
            raise DiagnosticError(
                [
                    TOO_DEEP.at(
                        span,
                        f"expression nested more than {MAX_PRINT_DEPTH} levels deep",
                        "name parts of the condition with `condition` declarations",
                    )
                ]
            )
        for child in n.children(node):
            # a path is printed in a loop, so `a.b.c` counts as one level
            step = 0 if isinstance(node, n.Attribute) else 1
            stack.append((child, depth + step))


def first_difference(before: n.Node, after: n.Node) -> Span | None:
    """The span of the first node of `before` that `after` does not match, or None if they match.

    Stricter than `==`, which takes `true` for `1` and `1` for `1.0`: literals must agree in type too.
    """
    stack: list[tuple[object, object, Span]] = [(before, after, before.span)]
    while stack:
        left, right, where = stack.pop()
        if isinstance(left, n.Node):
            if type(left) is not type(right):
                return where
            if left.span.line > 0:
                where = left.span
            for name, spec in left.__dataclass_fields__.items():
                if spec.compare:
                    stack.append((getattr(left, name), getattr(right, name), where))
        elif isinstance(left, tuple):
            if not isinstance(right, tuple) or len(left) != len(right):
                return where
            stack.extend((a, b, where) for a, b in zip(left, right, strict=True))
        elif not _same_scalar(left, right):
            return where
    return None


def _same_scalar(left: object, right: object) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return left == right


def lost_comment(before: n.Module, after: n.Module) -> n.Comment | None:
    """A comment of `before` that `after` does not have (comments compare by text, as many times)."""
    kept = Counter(comment_text(c) for c in after.comments)
    for comment in before.comments:
        text = comment_text(comment)
        if kept[text] == 0:
            return comment
        kept[text] -= 1
    return None
