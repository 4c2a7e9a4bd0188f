"""Exactly one `ruleset` header across the files, with a version and an owner, and a fallback that fails
closed. (The fallback's actions are validated like any rule's, by the actions pass.)"""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context, where
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.source import Span
from ruleward.dsl.vocabulary import ACTIONS, severity

MISSING_HEADER = DiagnosticCode("E101", "missing-header", "no file of the ruleset has a `ruleset` header")
DUPLICATE_HEADER = DiagnosticCode("E102", "duplicate-header", "more than one `ruleset` header")
INCOMPLETE_HEADER = DiagnosticCode("W101", "incomplete-header", "the header has no `version` or no `owner`")
FALLBACK_FAILS_OPEN = DiagnosticCode(
    "W102", "fallback-fails-open", "the fallback leaves content up when a rule errors"
)

DEFAULT_FALLBACK = 'hold, review(queue: "signals_retry", priority: P2)'


def run(ctx: Context) -> None:
    headers = [d for d in ctx.declarations if isinstance(d, n.Header)]
    if not headers:
        if ctx.complete and ctx.ruleset.modules:
            path = ctx.ruleset.modules[0].path
            ctx.emit(
                MISSING_HEADER.at(
                    Span(path, 1, 1, 1, 1, 0, 0),
                    "the ruleset has no `ruleset` header",
                    'start one file with `ruleset NAME version "..." owner "..."`',
                )
            )
        return
    first, *others = headers
    for other in others:
        ctx.emit(
            DUPLICATE_HEADER.at(
                other.name_span,
                f"a second `ruleset` header (`{other.name}`)",
                "a ruleset has exactly one header: remove this one, or load the files as separate rulesets",
            ),
            f"the first header, `{first.name}`, is at {where(first.name_span)}",
        )
    missing = [word for word, value in (("version", first.version), ("owner", first.owner)) if value is None]
    if missing:
        ctx.emit(
            INCOMPLETE_HEADER.at(
                first.name_span,
                f"ruleset `{first.name}` has no {' and no '.join(f'`{m}`' for m in missing)}",
                "decision records carry the version, and the owner is who answers for the ruleset: add "
                + " and ".join(f'`{m} "..."`' for m in missing),
            )
        )
    if first.fallback is not None:
        _check_fails_closed(ctx, first, first.fallback)


def _check_fails_closed(ctx: Context, header: n.Header, fallback: tuple[n.Action, ...]) -> None:
    dispositions = [a for a in fallback if a.name in ACTIONS and ACTIONS[a.name].category == "disposition"]
    if any(severity("disposition", a.name) <= severity("disposition", "restrict") for a in dispositions):
        return
    if any(a.name not in ACTIONS for a in fallback):
        return  # the actions pass reports the unknown action; a guess here would only add noise
    weak = next((a for a in dispositions), None)
    what = f"`{weak.name}`" if weak else "no disposition"
    span = weak.span if weak else fallback[0].span
    ctx.emit(
        FALLBACK_FAILS_OPEN.at(
            span,
            f"the fallback has {what}: when a rule errors the content stays up",
            f"a missing signal must fail closed: add `hold` (the default fallback is `{DEFAULT_FALLBACK}`)",
        )
    )
