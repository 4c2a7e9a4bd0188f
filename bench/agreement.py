"""Before any timing, every engine must decide the corpus as the hand-written function does.

An engine that is fast because it decides differently proves nothing, so the benchmark refuses to time
one: the first event on which an engine's fired rules (and, for engines that make a whole decision, its
disposition and account action) differ from the hand-written function's stops the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from ruleward.bench import handwritten
from ruleward.bench.contenders import Contender, Event


@dataclass(eq=False)
class Disagreement(Exception):
    engine: str
    index: int
    event: Event
    expected: str
    got: str

    def __str__(self) -> str:
        event = orjson.dumps(self.event, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        return (
            f"`{self.engine}` disagrees with the hand-written function on event {self.index} of the corpus\n"
            f"  expected: {self.expected}\n"
            f"  got:      {self.got}\n"
            f"the event:\n{event}"
        )


def _names(names: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(names)) + "}" if names else "{} (nothing fired)"


def check_agreement(contender: Contender, corpus: Sequence[Event]) -> None:
    """Raise `Disagreement` at the first event where `contender` decides unlike the hand-written function."""
    for index, event in enumerate(corpus):
        expected = handwritten.decide(event)
        try:
            result = contender.evaluate(event)
        except Exception as error:
            raise Disagreement(
                contender.label,
                index,
                event,
                _names(frozenset(expected.fired)),
                f"{type(error).__name__}: {error}",
            ) from error
        fired = contender.fired(result)
        if fired != frozenset(expected.fired):
            raise Disagreement(
                contender.label,
                index,
                event,
                f"fired {_names(frozenset(expected.fired))}",
                f"fired {_names(fired)}",
            )
        parts = contender.decision_parts(result)
        if parts is not None and parts != (expected.disposition, expected.account_action):
            raise Disagreement(
                contender.label,
                index,
                event,
                f"disposition {expected.disposition}, account {expected.account_action}",
                f"disposition {parts[0]}, account {parts[1]}",
            )


__all__ = ["Disagreement", "check_agreement"]
