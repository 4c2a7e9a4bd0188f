"""What every checker pass shares: the ruleset, its symbols, the event type, limits, and helpers.

The helpers are here so each pass reads as the rule it enforces: where the expressions of a ruleset are
(`Site`), the nodes passes look for with the quantifier variables in scope at each (`SiteIndex`, one
walk per expression, shared), how to point at part of a node (`segment_span`, `word_span`), and how to
suggest a name (`did_you_mean`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TypeVar, cast

from pydantic import BaseModel

from ruleward.dsl import nodes as n
from ruleward.dsl import types as t
from ruleward.dsl.construct import constructor
from ruleward.dsl.diagnostics import Diagnostic
from ruleward.dsl.source import SourceFile, Span
from ruleward.dsl.symbols import Symbols


@dataclass(frozen=True, slots=True)
class Limits:
    """Sizes past which a ruleset is refused: they keep compile time and memory bounded."""

    max_rules: int = 10_000
    max_list_items: int = 10_000


DEFAULT_LIMITS = Limits()

# a declaration that holds expressions, and the clause that holds each one
Owner = n.Condition | n.Rule | n.Invariant
# the quantifier variables in scope at a node, innermost last
Scope = tuple[str, ...]
D = TypeVar("D", bound=n.Declaration)


@dataclass(frozen=True, slots=True)
class Site:
    """One expression of the ruleset: a condition's body, a rule's `when`/`unless`, an invariant's
    `when`/`always`."""

    owner: Owner
    clause: str
    expr: n.Expr

    @property
    def in_always(self) -> bool:
        return self.clause == "always"

    @property
    def owner_kind(self) -> str:
        return {n.Condition: "condition", n.Rule: "rule", n.Invariant: "invariant"}[type(self.owner)]


_new_site = constructor(Site)


@dataclass
class Context:
    ruleset: n.Ruleset
    symbols: Symbols
    schema: type[BaseModel]
    sources: dict[str, SourceFile]
    limits: Limits = DEFAULT_LIMITS
    # every file parsed: without that, a name may be declared in the file that failed, so checks that
    # need the whole ruleset (undefined and unused names, the header) stay quiet
    complete: bool = True
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _index: dict[int, SiteIndex] = field(default_factory=dict, repr=False)

    def emit(self, diagnostic: Diagnostic, *notes: str) -> None:
        if notes:
            diagnostic = Diagnostic(
                diagnostic.code,
                diagnostic.severity,
                diagnostic.message,
                diagnostic.span,
                diagnostic.hint,
                (*diagnostic.notes, *notes),
            )
        self.diagnostics.append(diagnostic)

    @cached_property
    def declarations(self) -> tuple[n.Declaration, ...]:
        """The declarations of every file, in order (what `ruleset.declarations()` builds each call)."""
        return self.ruleset.declarations()

    @cached_property
    def _by_kind(self) -> dict[type, tuple[n.Declaration, ...]]:
        grouped: dict[type, list[n.Declaration]] = {}
        for declaration in self.declarations:
            grouped.setdefault(type(declaration), []).append(declaration)
        return {kind: tuple(found) for kind, found in grouped.items()}

    def declared_as(self, kind: type[D]) -> tuple[D, ...]:
        """The declarations of one kind, in order: `ctx.declared_as(n.Rule)` is `ruleset.rules`."""
        return cast(tuple[D, ...], self._by_kind.get(kind, ()))

    @cached_property
    def event(self) -> t.ObjectType:
        return t.from_model(self.schema)

    @cached_property
    def declared(self) -> frozenset[str]:
        """The names of constants, lists, conditions and rules."""
        return frozenset(self.symbols.declared_names())

    @cached_property
    def decision(self) -> t.ObjectType:
        return t.decision_type(self.symbols.rules)

    @cached_property
    def sites(self) -> list[Site]:
        out: list[Site] = []
        site = _new_site  # a thousand rules make two thousand sites
        for declaration in self.declarations:
            if isinstance(declaration, n.Rule):
                if declaration.when is not None:
                    out.append(site(declaration, "when", declaration.when))
                if declaration.unless is not None:
                    out.append(site(declaration, "unless", declaration.unless))
            elif isinstance(declaration, n.Condition):
                out.append(site(declaration, "condition", declaration.expr))
            elif isinstance(declaration, n.Invariant):
                if declaration.when is not None:
                    out.append(site(declaration, "when", declaration.when))
                if declaration.always is not None:
                    out.append(site(declaration, "always", declaration.always))
        return out

    @cached_property
    def rule_actions(self) -> list[tuple[n.Rule | n.Header, tuple[n.Action, ...]]]:
        out: list[tuple[n.Rule | n.Header, tuple[n.Action, ...]]] = []
        for declaration in self.declarations:
            if isinstance(declaration, n.Header) and declaration.fallback is not None:
                out.append((declaration, declaration.fallback))
            elif isinstance(declaration, n.Rule):
                out.append((declaration, declaration.actions))
        return out

    def index(self, site: Site) -> SiteIndex:
        """The nodes of `site`, computed once in one walk: most passes look at every site."""
        found = self._index.get(id(site))
        if found is None:
            found = self._index[id(site)] = SiteIndex.of(site.expr)
        return found

    # ---- source text ------------------------------------------------------------------------------------

    def text(self, span: Span, limit: int = 48) -> str:
        """The source text of `span` on one line, shortened for a message."""
        source = self.sources.get(span.file)
        if source is None or span.end <= span.start:
            return ""
        shown = " ".join(source.text[span.start : span.end].split())
        return shown if len(shown) <= limit else shown[: limit - 3].rstrip() + "..."

    def word_span(self, within: Span, word: str, skip: int = 0) -> Span:
        """The span of the first whole `word` in `within`, after `skip` characters (else `within`)."""
        source = self.sources.get(within.file)
        if source is None:
            return within
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])")
        found = pattern.search(source.text, within.start + skip, max(within.end, within.start + skip))
        return source.span_at(found.start(), len(word)) if found else within


def segment_span(attribute: n.Attribute) -> Span:
    """The span of the last name of a path (`bnak` in `match.bnak`): the parser grows a path's span to
    end on it."""
    s = attribute.span
    width = len(attribute.name)
    if s.end - s.start < width or s.end_column - width < 1:
        return s
    return Span(s.file, s.end_line, s.end_column - width, s.end_line, s.end_column, s.end - width, s.end)


def name_span(node: n.Node, name: str) -> Span:
    """The span of `name` at the start of `node` (an action's or argument's name)."""
    s = node.span
    width = len(name)
    if s.start == s.end:
        return s
    return Span(s.file, s.line, s.column, s.line, s.column + width, s.start, s.start + width)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    return _closest(name, tuple(dict.fromkeys(c for c in candidates if c != name)))


@lru_cache(maxsize=1024)
def _closest(name: str, pool: tuple[str, ...]) -> str | None:
    # cached: a ruleset with one misspelling repeated a thousand times asks the same question each time
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return lowered[name.lower()]
    # a similarity of 0.6 needs lengths within a factor of 1/3 of each other; skipping the others keeps a
    # pool of thousands of names cheap
    close_in_length = [c for c in pool if 3 * len(c) >= len(name) and len(c) <= 3 * len(name)]
    found = difflib.get_close_matches(name, close_in_length, n=1, cutoff=0.6)
    return found[0] if found else None


def suggestion(name: str, candidates: Iterable[str], otherwise: str | None = None) -> str | None:
    """`did you mean `x`?`, or `otherwise` when nothing is close."""
    close = did_you_mean(name, candidates)
    return f"did you mean `{close}`?" if close else otherwise


def listing(names: Iterable[str], limit: int = 8) -> str:
    shown = [f"`{x}`" for x in names]
    if len(shown) > limit:
        shown = [*shown[:limit], "..."]
    return ", ".join(shown)


def where(span: Span) -> str:
    return f"{span.file}:{span.line}:{span.column}"


class SiteIndex:
    """The nodes of one expression that passes look for, each kind in source order (pre-order), names
    and quantifiers with the quantifier variables in scope there (innermost last). A quantifier's source
    is read in the enclosing scope; its body sees the variable too."""

    __slots__ = ("ands", "bodies", "calls", "lists", "names", "quantifiers")

    def __init__(self) -> None:
        self.names: list[tuple[n.Name, Scope]] = []
        self.calls: list[n.Call] = []
        self.quantifiers: list[tuple[n.Quantifier, Scope]] = []
        # per quantifier: its body's names are `names[start:end]`
        self.bodies: list[list[int]] = []
        self.ands: list[n.And] = []
        self.lists: list[n.ListLiteral] = []

    @classmethod
    def of(cls, expr: n.Expr, outer: Scope = ()) -> SiteIndex:
        index = cls()
        scope = outer
        # without recursion: children are pushed last-first; a marker on the stack (a tuple) starts or
        # ends a quantifier's body, with the scope that holds from there on; the commonest kinds first, told
        # apart by `type(...) is` (the node classes have no subclasses)
        stack: list[n.Expr | tuple[Scope, int, int]] = [expr]
        while stack:
            node = stack.pop()
            if type(node) is tuple:
                scope, position, edge = node
                index.bodies[position][edge] = len(index.names)
            elif type(node) is n.Literal:
                pass
            elif type(node) is n.Compare:
                # a literal has nothing to find: most comparisons have one on the right
                if type(node.right) is not n.Literal:
                    stack.append(node.right)
                stack.append(node.left)
            elif type(node) is n.Name:
                index.names.append((node, scope))
            elif type(node) is n.Attribute:
                value = node.value
                while type(value) is n.Attribute:
                    value = value.value
                if type(value) is n.Name:  # a path: only its root is of interest
                    index.names.append((value, scope))
                else:
                    stack.append(value)
            elif type(node) is n.And:
                index.ands.append(node)
                stack.extend(reversed(node.operands))
            elif type(node) is n.Or:
                stack.extend(reversed(node.operands))
            elif type(node) is n.Call:
                index.calls.append(node)
                stack.extend(reversed(node.args))
            elif type(node) is n.Not or type(node) is n.IsTest:
                stack.append(node.operand)
            elif type(node) is n.Quantifier:
                position = len(index.quantifiers)
                index.quantifiers.append((node, scope))
                index.bodies.append([0, 0])
                # the source, then the body in the inner scope, then the outer scope again
                stack += (
                    (scope, position, 1),
                    node.body,
                    ((*scope, node.variable), position, 0),
                    node.source,
                )
            elif type(node) is n.ListLiteral:
                index.lists.append(node)
                stack.extend(reversed(node.items))
        return index
