"""The five rules in Cedar (cedarpy).

Cedar has no quantifier over a set, no aggregate, no floating point and no reference from one policy to
another, so the conversion does what the language cannot, without deciding any rule itself:
each hash match becomes its own request (action `match`, R1's policy), the event becomes one request
(action `event`, R2-R5) whose context holds each label's highest `ok` score in thousandths, and R3's
`not R1` is combined here from the two kinds of answer. All requests of an event go in one batch call.
A missing signal is an explicit `*_present` flag that the policies test, as ruleward's fail-closed
semantics require (an unknown rule does not fire).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ruleward.bench.contenders import Contender, Event, _import
from ruleward.bench.handwritten import R1, R2, R3, R4, R5

POLICIES: Final = """
@id("r1_verified_hash")
permit (principal, action == Action::"match", resource)
when {
  ["ncmec_industry", "iwf"].contains(context.bank) &&
  ((context.algorithm == "pdq" && context has distance && context.distance <= 31) ||
   context.algorithm == "md5")
};

@id("r2_synthetic_minor_sexual")
permit (principal, action == Action::"event", resource)
when {
  context.provenance_present && context.classifiers_present &&
  context.source_types.contains("trainedAlgorithmicMedia") &&
  context.scores has minor_presence && context.scores.minor_presence >= 800 &&
  context.scores has sexual && context.scores.sexual >= 800
};

@id("r3_csam_score")
permit (principal, action == Action::"event", resource)
when {
  context.hashes_present && context.classifiers_present &&
  context.scores has csam && context.scores.csam >= 700
};

@id("r4_ai_provenance")
permit (principal, action == Action::"event", resource)
when {
  context.provenance_present && context.classifiers_present &&
  context.validation_state == "invalid" &&
  context.scores has ai_generated && context.scores.ai_generated >= 900
};

@id("r5_strikes")
permit (principal, action == Action::"event", resource)
when { context.strikes >= 3 };
"""

_EVENT: Final = {"type": "Event", "id": "e"}
_EVENT_ACTION: Final = {"type": "Action", "id": "event"}
_MATCH_ACTION: Final = {"type": "Action", "id": "match"}


def _thousandths(classifiers: list[Mapping[str, Any]]) -> dict[str, int]:
    best: dict[str, int] = {}
    for signal in classifiers:
        score = signal.get("score")
        if score is None or signal.get("status", "ok") != "ok":
            continue
        value = round(score * 1000)
        label = signal["label"]
        if value > best.get(label, -1):
            best[label] = value
    return best


def requests(event: Event) -> list[dict[str, object]]:
    """The Cedar requests for one event: the event itself first, then one per hash match."""
    matches: Any = event.get("hash_matches")
    classifiers: Any = event.get("classifiers")
    provenance: Any = event.get("provenance")
    actor: Any = event["actor"]
    context: dict[str, object] = {
        "hashes_present": matches is not None,
        "classifiers_present": classifiers is not None,
        "provenance_present": provenance is not None,
        "scores": _thousandths(classifiers) if classifiers is not None else {},
        "source_types": provenance["digital_source_types"] if provenance is not None else [],
        "validation_state": provenance["validation_state"] if provenance is not None else "",
        "strikes": actor.get("active_strikes", 0),
    }
    batch: list[dict[str, object]] = [
        {"principal": _EVENT, "action": _EVENT_ACTION, "resource": _EVENT, "context": context}
    ]
    for match in matches or ():
        fields = {"bank": match["bank"], "algorithm": match["algorithm"]}
        if match.get("distance") is not None:
            fields["distance"] = match["distance"]
        batch.append({"principal": _EVENT, "action": _MATCH_ACTION, "resource": _EVENT, "context": fields})
    return batch


class Cedar(Contender):
    key = "cedar"
    label = "Cedar"
    module = "cedarpy"
    distribution = "cedarpy"
    separates_conversion = True
    encoding = (
        "permit policies; one request per hash match plus one for the event, one batch call; "
        "per-label max scores in thousandths computed in conversion; R3's `not R1` combined in the adapter"
    )

    def __init__(self) -> None:
        self._cedar: Any = None
        self._policies: Any = None
        self._entities: Any = None

    def compile(self) -> None:
        self._cedar = _import("cedarpy")
        self._policies = self._cedar.PolicySet.from_str(POLICIES)
        self._entities = self._cedar.Entities.from_json_str("[]")

    def evaluate(self, event: Event) -> object:
        return self.run(requests(event))

    def convert(self, event: Event) -> object:
        return requests(event)

    def run(self, native: object) -> object:
        results = self._cedar.is_authorized_batch(native, self._policies, self._entities)
        names: set[str] = set()
        for result in results:
            names.update(result.diagnostics.id_annotations_by_reason.values())
        verified = R1 in names
        fired = {name for name in names if name in (R1, R2, R4, R5)}
        if "r3_csam_score" in names and not verified:
            fired.add(R3)
        return frozenset(fired)

    def fired(self, result: object) -> frozenset[str]:
        assert isinstance(result, frozenset)
        return result


__all__ = ["POLICIES", "Cedar", "requests"]
