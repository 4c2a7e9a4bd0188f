"""Quantifier variables: used only inside their quantifier, never hiding another name, and used at all.

`any m in hash_matches where ...` binds `m` in the body only. Because the body runs as far right as it
can, a variable "leaks" only when a quantifier is parenthesised or sits in another clause, and then the
name silently means an event field or nothing: both are reported here.
"""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, Scope, Site, where
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.source import Span

OUT_OF_SCOPE = DiagnosticCode(
    "E119", "variable-out-of-scope", "a quantifier's variable used outside the quantifier"
)
SHADOWED_VARIABLE = DiagnosticCode(
    "E120", "shadowed-name", "a quantifier variable named like another variable or a declared name"
)
VARIABLE_SHADOWS_FIELD = DiagnosticCode(
    "W106", "variable-shadows-field", "a quantifier variable named like a top-level event field"
)
UNUSED_VARIABLE = DiagnosticCode("W107", "unused-variable", "a quantifier whose body ignores its variable")


def run(ctx: Context) -> None:
    by_owner: dict[int, list[Site]] = {}
    for site in ctx.sites:
        by_owner.setdefault(id(site.owner), []).append(site)
    for sites in by_owner.values():
        _owner(ctx, sites)


def _owner(ctx: Context, sites: list[Site]) -> None:
    quantifiers: dict[str, n.Quantifier] = {}
    for site in sites:
        index = ctx.index(site)
        for (quantifier, scope), (start, end) in zip(index.quantifiers, index.bodies, strict=True):
            quantifiers.setdefault(quantifier.variable, quantifier)
            _binding(ctx, site, quantifier, scope, index.names[start:end])
    if not quantifiers:
        return
    for site in sites:
        for node, scope in ctx.index(site).names:
            if node.name not in quantifiers or node.name in scope:
                continue
            kind = ctx.symbols.resolve(node.name, scope, in_always=site.in_always)
            if kind != "field" or node.name in ctx.event.fields:
                continue
            quantifier = quantifiers[node.name]
            ctx.emit(
                OUT_OF_SCOPE.at(
                    node.span,
                    f"`{node.name}` is used outside the quantifier that binds it",
                    f"a variable exists only after `where`: move this test into the body of "
                    f"`{quantifier.kind} {node.name} in ...`, or drop the parentheses that end it",
                ),
                f"`{node.name}` is bound at {where(_variable_span(ctx, quantifier))}",
            )


def _binding(
    ctx: Context, site: Site, node: n.Quantifier, scope: Scope, body: list[tuple[n.Name, Scope]]
) -> None:
    name = node.variable
    declared = ctx.symbols.resolve(name, in_always=site.in_always)
    if name in scope:
        ctx.emit(
            SHADOWED_VARIABLE.at(
                _variable_span(ctx, node),
                f"`{name}` is already the variable of an enclosing quantifier",
                "give the inner quantifier's variable another name",
            )
        )
    elif declared not in ("field", "unknown"):
        what = "the decision" if declared == "decision" else f"the {declared} `{name}`"
        ctx.emit(
            SHADOWED_VARIABLE.at(
                _variable_span(ctx, node),
                f"variable `{name}` hides {what}",
                "inside the body the name would mean the item, not the declaration: rename the variable",
            )
        )
    elif name in ctx.event.fields:
        ctx.emit(
            VARIABLE_SHADOWS_FIELD.at(
                _variable_span(ctx, node),
                f"variable `{name}` hides the event field `{name}` inside the quantifier",
                "rename the variable, e.g. the singular of the list's name",
            )
        )
    # a use inside a nested quantifier that binds the same name is that quantifier's, not this one's
    nested = len(scope) + 1  # where the variables bound inside the body start
    if not any(x.name == name and name not in inner[nested:] for x, inner in body):
        ctx.emit(
            UNUSED_VARIABLE.at(
                _variable_span(ctx, node),
                f"the body of `{node.kind} {name} in ...` never reads `{name}`",
                f"the body is tested once per item: read the item through `{name}`, e.g. `{name}.field`",
            )
        )


def _variable_span(ctx: Context, node: n.Quantifier) -> Span:
    return ctx.word_span(node.span, node.variable, skip=len(node.kind))
