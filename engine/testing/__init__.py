"""Testing support for rulesets: hypothesis strategies, assertions, the test runner and a pytest plugin.

    from hypothesis import given
    from ruleward.engine import Engine
    from ruleward.testing import assert_no_obligation, events

    engine = Engine.load("child_safety")

    @given(events(ruleset="child_safety"))
    def test_nothing_is_reported_without_a_hash_match(event):
        if not event.get("hash_matches"):
            assert_no_obligation(engine.evaluate(event), "report")

`events(ruleset=...)` draws valid moderation events biased towards the ruleset's thresholds (each at,
just under and just over) and list members, with missing signals and absent optional fields; the
per-signal strategies (`hash_matches()`, `classifiers()`, `provenance()`, ...) take the same bias.
`ruleward test` (see `ruleward.testing.command`) runs a ruleset's own tests and invariants.

The names are imported on first use: the pytest plugin lives in this package and is loaded by every
pytest run where ruleward is installed, so importing the package must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruleward.testing.assertions import (
        assert_account,
        assert_disposition,
        assert_error,
        assert_fired,
        assert_no_obligation,
        assert_not_fired,
        assert_not_weaker,
        assert_obligation,
        weaker_in,
    )
    from ruleward.testing.strategies import (
        actors,
        age_estimates,
        classifier,
        classifiers,
        contents,
        events,
        hash_match,
        hash_matches,
        provenance,
        reports,
    )

_HOMES = {
    **dict.fromkeys(
        (
            "assert_account",
            "assert_disposition",
            "assert_error",
            "assert_fired",
            "assert_no_obligation",
            "assert_not_fired",
            "assert_not_weaker",
            "assert_obligation",
            "weaker_in",
        ),
        "ruleward.testing.assertions",
    ),
    **dict.fromkeys(
        (
            "actors",
            "age_estimates",
            "classifier",
            "classifiers",
            "contents",
            "events",
            "hash_match",
            "hash_matches",
            "provenance",
            "reports",
        ),
        "ruleward.testing.strategies",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ruleward.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "actors",
    "age_estimates",
    "assert_account",
    "assert_disposition",
    "assert_error",
    "assert_fired",
    "assert_no_obligation",
    "assert_not_fired",
    "assert_not_weaker",
    "assert_obligation",
    "classifier",
    "classifiers",
    "contents",
    "events",
    "hash_match",
    "hash_matches",
    "provenance",
    "reports",
    "weaker_in",
]
