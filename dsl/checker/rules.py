"""Rules: a `when` and a `then`, a known `mode`, and legal-tier rules that cannot be excepted."""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, did_you_mean, suggestion
from ruleward.dsl.diagnostics import DiagnosticCode

MISSING_WHEN = DiagnosticCode("E126", "missing-when", "a rule without a `when` clause")
MISSING_THEN = DiagnosticCode("E127", "missing-then", "a rule without a `then` clause")
UNKNOWN_MODE = DiagnosticCode("E128", "unknown-mode", "a `mode` other than `enforce` or `shadow`")
LEGAL_UNLESS = DiagnosticCode("E129", "legal-rule-excepted", "a legal-tier rule with an `unless` clause")
LEGAL_WITHOUT_CITE = DiagnosticCode("W110", "legal-rule-without-cite", "a legal-tier rule with no `cite`")
TIER_TYPO = DiagnosticCode("W115", "tier-typo", "a tier spelled almost like a known tier")

MODES = ("enforce", "shadow")
LEGAL_TIER = "legal"
# tiers are free names, but these are the ones DESIGN.md and the default ruleset use; a near miss of
# `legal` would silently drop the legal tier's protections
KNOWN_TIERS = ("legal", "child_safety", "policy", "operations")


def run(ctx: Context) -> None:
    for rule in ctx.declared_as(n.Rule):
        _rule(ctx, rule)


def _rule(ctx: Context, rule: n.Rule) -> None:
    if rule.when is None:
        ctx.emit(
            MISSING_WHEN.at(
                rule.name_span,
                f"rule `{rule.name}` has no `when`",
                "say when the rule fires: `when <condition>`",
            )
        )
    if not rule.actions:
        ctx.emit(
            MISSING_THEN.at(
                rule.name_span,
                f"rule `{rule.name}` has no `then`",
                'say what it does: `then hold, review(queue: "...", priority: P2)`',
            )
        )
    if rule.mode is not None and rule.mode.name not in MODES:
        ctx.emit(
            UNKNOWN_MODE.at(
                rule.mode.span,
                f"unknown mode `{rule.mode.name}`",
                suggestion(
                    rule.mode.name,
                    MODES,
                    "`enforce` (the default) acts; `shadow` only records what it would do",
                ),
            )
        )
    if rule.tier is not None and rule.tier.name not in KNOWN_TIERS:
        close = did_you_mean(rule.tier.name, KNOWN_TIERS)
        if close is not None:
            ctx.emit(
                TIER_TYPO.at(
                    rule.tier.span,
                    f"tier `{rule.tier.name}` is not a known tier",
                    f"did you mean `{close}`? a new tier is fine, but a misspelt `{close}` loses its meaning",
                )
            )
    if rule.tier is not None and rule.tier.name == LEGAL_TIER:
        if rule.unless is not None:
            ctx.emit(
                LEGAL_UNLESS.at(
                    rule.unless.span,
                    "legal-tier rules cannot be excepted",
                    f"rule `{rule.name}` carries a legal duty: narrow its `when`, or move the rule to "
                    "another tier",
                )
            )
        if rule.cite is None:
            ctx.emit(
                LEGAL_WITHOUT_CITE.at(
                    rule.name_span,
                    f"legal-tier rule `{rule.name}` has no `cite`",
                    'decision records carry the legal basis: add `cite "<statute or article>"`',
                )
            )
