"""The action vocabulary of DESIGN.md: dispositions, account actions and obligations with their parameters.

The checker validates rules against it and the engine combines decisions by it, so both read the same
table. Order matters: dispositions and account actions are listed from most to least severe, obligations
in execution order (preserve evidence before reporting, report before making content inaccessible).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ParamKind = Literal["integer", "string", "priority"]
Category = Literal["disposition", "account", "obligation"]
MergeRule = Literal["min", "max"]

PRIORITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    category: Category
    description: str
    params: tuple[Param, ...] = ()
    # obligations: parameters that tell two instances apart (one `review` per queue)...
    key: tuple[str, ...] = ()
    # ...and how the other parameters combine when two instances with the same key meet
    merge: tuple[tuple[str, MergeRule], ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


DISPOSITIONS: tuple[str, ...] = ("block", "remove", "hold", "restrict", "interstitial", "label", "allow")
ACCOUNT_ACTIONS: tuple[str, ...] = ("ban", "suspend", "rate_limit", "strike", "warn", "none")

_DAYS = Param("days", "integer", minimum=1, maximum=36500, description="retention in days")

ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("block", "disposition", "make the content inaccessible and stop its distribution"),
        ActionSpec("remove", "disposition", "take the content down"),
        ActionSpec("hold", "disposition", "hide the content pending review"),
        ActionSpec("restrict", "disposition", "limit who can see the content"),
        ActionSpec("interstitial", "disposition", "show a warning before the content"),
        ActionSpec("label", "disposition", "show the content with a user-visible label"),
        ActionSpec("allow", "disposition", "let the content through"),
        ActionSpec("ban", "account", "close the account"),
        ActionSpec(
            "suspend",
            "account",
            "suspend the account",
            (Param("days", "integer", required=False, minimum=1, maximum=36500, description="length"),),
        ),
        ActionSpec("rate_limit", "account", "slow the account down"),
        ActionSpec("strike", "account", "add a strike to the account"),
        ActionSpec("warn", "account", "warn the account holder"),
        ActionSpec("none", "account", "no account action"),
        ActionSpec(
            "preserve",
            "obligation",
            "preserve the content and its metadata as evidence",
            (_DAYS,),
            merge=(("days", "max"),),
        ),
        ActionSpec(
            "report",
            "obligation",
            "report to a clearinghouse or authority",
            (Param("to", "string", description="recipient, e.g. `ncmec`, `nca`"),),
            key=("to",),
        ),
        ActionSpec(
            "notify_law_enforcement", "obligation", "notify law enforcement of a threat to life or safety"
        ),
        ActionSpec(
            "takedown_timer",
            "obligation",
            "start a statutory takedown clock",
            (Param("hours", "integer", minimum=1, maximum=8760, description="deadline in hours"),),
            merge=(("hours", "min"),),
        ),
        ActionSpec("block_copies", "obligation", "block re-uploads of the same content"),
        ActionSpec(
            "statement_of_reasons", "obligation", "send the user a statement of reasons (DSA Art. 17)"
        ),
        ActionSpec(
            "review",
            "obligation",
            "send to a human review queue",
            (
                Param("queue", "string", description="review queue"),
                Param("priority", "priority", description="P0 (most urgent) to P3"),
                Param(
                    "sla", "integer", required=False, minimum=1, maximum=8760, description="hours to decide"
                ),
            ),
            key=("queue",),
            merge=(("priority", "min"), ("sla", "min")),
        ),
        ActionSpec(
            "tag",
            "obligation",
            "add an internal tag for reviewers and reports",
            (Param("name", "string", description="tag name"),),
            key=("name",),
        ),
    )
}

OBLIGATION_ORDER: tuple[str, ...] = tuple(
    name for name, spec in ACTIONS.items() if spec.category == "obligation"
)


def severity(category: Category, name: str) -> int:
    """Lower is more severe: `block` is 0, `allow` is 6; `ban` is 0, `none` is 5."""
    order = DISPOSITIONS if category == "disposition" else ACCOUNT_ACTIONS
    return order.index(name)
