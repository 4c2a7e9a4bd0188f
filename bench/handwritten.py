"""The five benchmark rules as a hand-written Python function: the floor every engine is measured against.

It reads the event dict directly and follows ruleward's semantics exactly, because the benchmark's
agreement check holds every engine to it: a missing signal makes a rule unknown (Python `None` here), an
unknown rule does not fire but brings in the ruleset's fallback, and R3's `not R1` is unknown when R1 is.
It also combines the decision (disposition, account action, obligations) in plain code, so that timing it
against a full ruleward decision compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

R1: Final = "r1_verified_hash"
R2: Final = "r2_synthetic_minor_sexual"
R3: Final = "r3_csam_review"
R4: Final = "r4_ai_provenance"
R5: Final = "r5_strikes"
RULE_NAMES: Final = (R1, R2, R3, R4, R5)

_VERIFIED_BANKS: Final = frozenset({"ncmec_industry", "iwf"})

Obligation = tuple[str, tuple[tuple[str, str], ...]]


_REPORT_NCMEC: Final[Obligation] = ("report", (("to", "ncmec"),))
_REVIEW_CHILD_SAFETY: Final[Obligation] = ("review", (("queue", "child_safety"), ("priority", "P1")))
_REVIEW_RETRY: Final[Obligation] = ("review", (("queue", "signals_retry"), ("priority", "P2")))
_TAG_AI: Final[Obligation] = ("tag", (("name", "ai_generated"),))


class HandDecision(NamedTuple):
    fired: tuple[str, ...]
    errored: tuple[str, ...]
    disposition: str
    account_action: str
    obligations: tuple[Obligation, ...]


def _max_scores(classifiers: list[dict[str, Any]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for signal in classifiers:
        score = signal.get("score")
        if score is None or signal.get("status", "ok") != "ok":
            continue
        label = signal["label"]
        if score > best.get(label, -1.0):
            best[label] = score
    return best


def _r1(matches: list[dict[str, Any]]) -> bool:
    for match in matches:
        if match["bank"] not in _VERIFIED_BANKS:
            continue
        algorithm = match["algorithm"]
        if algorithm == "md5":
            return True
        if algorithm == "pdq":
            distance = match.get("distance")
            if distance is not None and distance <= 31:
                return True
    return False


def rule_values(event: Mapping[str, Any]) -> tuple[bool | None, bool | None, bool | None, bool | None, bool]:
    """R1..R5 as true, false or unknown (None)."""
    matches = event.get("hash_matches")
    classifiers = event.get("classifiers")
    provenance = event.get("provenance")

    r1 = None if matches is None else _r1(matches)
    scores = None if classifiers is None else _max_scores(classifiers)
    absent = -1.0  # an absent score compares false with every threshold

    r2: bool | None = False
    if provenance is not None and "trainedAlgorithmicMedia" in provenance["digital_source_types"]:
        if scores is None:
            r2 = None
        else:
            r2 = scores.get("minor_presence", absent) >= 0.8 and scores.get("sexual", absent) >= 0.8

    # Kleene: `unknown and x` is false when x is false, else unknown
    r3: bool | None
    if scores is None:
        r3 = False if r1 else None
    elif scores.get("csam", absent) < 0.7 or r1:
        r3 = False
    else:
        r3 = None if r1 is None else True

    r4: bool | None = False
    if provenance is not None and provenance["validation_state"] == "invalid":
        r4 = None if scores is None else scores.get("ai_generated", absent) >= 0.9

    r5 = event["actor"].get("active_strikes", 0) >= 3
    return (r1, r2, r3, r4, r5)


def fired(event: Mapping[str, Any]) -> frozenset[str]:
    """The names of the rules that fire on `event`."""
    return frozenset(name for name, value in zip(RULE_NAMES, rule_values(event), strict=True) if value)


def decide(event: Mapping[str, Any]) -> HandDecision:
    """The full decision of the five rules, with the default fallback when a rule errored."""
    r1, r2, r3, r4, r5 = rule_values(event)
    # written out rule by rule, as a careful programmer would for speed: this is the floor
    names: list[str] = []
    errored: list[str] = []
    obligations: list[Obligation] = []
    if r1:
        names.append(R1)
    elif r1 is None:
        errored.append(R1)
    if r2:
        names.append(R2)
    elif r2 is None:
        errored.append(R2)
    if r3:
        names.append(R3)
    elif r3 is None:
        errored.append(R3)
    if r4:
        names.append(R4)
    elif r4 is None:
        errored.append(R4)
    if r5:
        names.append(R5)
    if r1 or r2:
        obligations.append(_REPORT_NCMEC)
    if r3:
        obligations.append(_REVIEW_CHILD_SAFETY)
    if errored:
        obligations.append(_REVIEW_RETRY)
    if r4:
        obligations.append(_TAG_AI)
    return HandDecision(
        tuple(names),
        tuple(errored),
        "block" if r1 or r2 else "hold" if errored else "allow",
        "suspend" if r5 else "none",
        tuple(obligations),
    )


__all__ = ["RULE_NAMES", "HandDecision", "decide", "fired", "rule_values"]
