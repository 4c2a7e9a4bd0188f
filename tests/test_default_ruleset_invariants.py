"""Line 3 of "must never happen" (DEFAULT-RULESET.md), which compares two events:

    Synthetic origin or a `trusted` provenance state makes a decision weaker than the same event without it.

An invariant sees one event and its decision, so this is a hypothesis test with `ruleward.testing`: from
each generated event it builds the event without the property and the same event with it, and checks the
second decision is not weaker (disposition, account action, and every obligation at least as urgent).
For the language to say this itself, an invariant would need two events bound by an edit (`e2 = e with
{...}`) and a way to compare their decisions (`decision(e2) >= decision(e)` as a partial order).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ruleward.engine import Engine
from ruleward.testing import assert_not_weaker, events, weaker_in

ROOT = Path(__file__).resolve().parents[1]
RULESET_DIR = ROOT / "rulesets" / "child_safety"
ENGINE = Engine.load(RULESET_DIR)
RULESET = ENGINE.ruleset
AI_SOURCE_TYPES = [item.value for item in RULESET.symbols.lists["ai_source_types"].items.items]
MARKERS = ("source_type", "watermark", "ai_score")
SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

Event = dict[str, Any]


def _empty_provenance() -> dict[str, Any]:
    return {"c2pa_present": False, "validation_state": "absent", "digital_source_types": [], "watermarks": []}


def without_synthetic_origin(event: Event, marker: str) -> Event:
    """The event with every sign of synthetic origin taken out, and room made for `marker`."""
    out = copy.deepcopy(event)
    provenance = out.get("provenance")
    if isinstance(provenance, dict):
        provenance["digital_source_types"] = [
            t for t in provenance.get("digital_source_types", []) if t not in AI_SOURCE_TYPES
        ]
        provenance["watermarks"] = [
            {**w, "result": "not_detected"} if w.get("result") == "detected" else w
            for w in provenance.get("watermarks", [])
        ]
    elif marker != "ai_score":
        out["provenance"] = _empty_provenance()  # present in both events: only the marker differs
    classifiers = out.get("classifiers")
    if isinstance(classifiers, list):
        out["classifiers"] = [c for c in classifiers if c.get("label") != "ai_generated"]
    elif marker == "ai_score":
        out["classifiers"] = []
    return out


def with_synthetic_origin(event: Event, marker: str) -> Event:
    out = copy.deepcopy(event)
    if marker == "source_type":
        out["provenance"]["digital_source_types"] = [
            *out["provenance"]["digital_source_types"],
            AI_SOURCE_TYPES[0],
        ]
    elif marker == "watermark":
        out["provenance"]["watermarks"] = [
            *out["provenance"]["watermarks"],
            {"scheme": "wm_test", "result": "detected"},
        ]
    else:
        out["classifiers"] = [
            *out["classifiers"],
            {"provider": "internal", "model_version": "1", "label": "ai_generated", "score": 0.99},
        ]
    return out


def with_provenance_state(event: Event, state: str) -> Event:
    out = copy.deepcopy(event)
    provenance = out.get("provenance") if isinstance(out.get("provenance"), dict) else _empty_provenance()
    out["provenance"] = {**provenance, "validation_state": state}
    return out


def synthetic_pair(event: Event, marker: str) -> tuple[Event, Event]:
    without = without_synthetic_origin(event, marker)
    return without, with_synthetic_origin(without, marker)


@SETTINGS
@given(events(RULESET), st.sampled_from(MARKERS))
def test_synthetic_origin_never_weakens_a_decision(event: Event, marker: str) -> None:
    without, marked = synthetic_pair(event, marker)
    assert_not_weaker(ENGINE.evaluate(marked), ENGINE.evaluate(without))


@SETTINGS
@given(events(RULESET), st.sampled_from(["absent", "valid"]))
def test_trusted_provenance_never_weakens_a_decision(event: Event, state: str) -> None:
    # compared with a state that raises no risk: an `invalid` state legitimately adds review context
    untrusted = with_provenance_state(event, state)
    trusted = with_provenance_state(event, "trusted")
    assert_not_weaker(ENGINE.evaluate(trusted), ENGINE.evaluate(untrusted))


# ---- the property can fail: a ruleset that treats synthetic origin as a mitigation ------------------------


def _mitigating_ruleset(tmp_path: Path) -> Engine:
    text = (RULESET_DIR / "child_safety.rw").read_text(encoding="utf-8")
    rule = "when minor_present and sexual_content\n"
    assert rule in text, "the default ruleset's minor_sexual rule changed; update this test"
    (tmp_path / "child_safety.rw").write_text(
        text.replace(rule, rule + "  unless synthetic_origin\n"), encoding="utf-8"
    )
    return Engine.load(tmp_path)


SYNTHETIC_MINOR: Event = {
    "event_id": "ev-4f1c9a",
    "schema_version": "1",
    "occurred_at": "2026-11-20T10:15:00Z",
    "surface": "upload",
    "jurisdictions": [],
    "content": {"id": "c-5a50b690af1dafab", "media_type": "image"},
    "actor": {"id": "u-06fa671311ed735c", "account_age_days": 3},
    "hash_matches": [],
    "classifiers": [
        {"provider": "internal", "model_version": "7", "label": "minor_presence", "score": 0.95},
        {"provider": "internal", "model_version": "7", "label": "sexual", "score": 0.95},
    ],
    "provenance": _empty_provenance(),
}


def test_a_mitigating_ruleset_is_caught_on_a_known_event(tmp_path: Path) -> None:
    engine = _mitigating_ruleset(tmp_path)
    for marker in MARKERS:
        without, marked = synthetic_pair(SYNTHETIC_MINOR, marker)
        assert weaker_in(engine.evaluate(marked), engine.evaluate(without)), marker
        assert not weaker_in(ENGINE.evaluate(marked), ENGINE.evaluate(without)), marker


def test_a_mitigating_ruleset_is_found_by_generated_events(tmp_path: Path) -> None:
    engine = _mitigating_ruleset(tmp_path)

    # a fixed seed and no shrinking: this only asks whether generated events find the fault at all
    @seed(0)
    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(events(RULESET), st.sampled_from(MARKERS))
    def prop(event: Event, marker: str) -> None:
        without, marked = synthetic_pair(event, marker)
        assert_not_weaker(engine.evaluate(marked), engine.evaluate(without))

    with pytest.raises(AssertionError, match="weaker"):
        prop()
