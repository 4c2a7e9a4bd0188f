"""The five rules in CEL (common-expression-language, the cel-rust bindings).

One CEL program computes all five rules as a map of booleans over the event bound to `e`. CEL has
quantifier macros (`exists`) but no named sub-expressions shared between expressions, so R3 repeats R1's
expression; "max score >= t" is written as "some ok score of that label >= t", which is the same test.
Missing signals are tested explicitly (`!= null`). `evaluate` passes the dict to `execute`; the conversion
alone is building a `cel.Context`, which copies the dict into CEL values, and `run` executes the program
against a prepared context.
"""

from __future__ import annotations

from typing import Any, Final

from ruleward.bench.contenders import Contender, Event, _import
from ruleward.bench.handwritten import R1, R2, R3, R4, R5

_R1: Final = (
    "(e.hash_matches != null && e.hash_matches.exists(m, m.bank in ['ncmec_industry', 'iwf'] && "
    "((m.algorithm == 'pdq' && has(m.distance) && m.distance != null && m.distance <= 31) || "
    "m.algorithm == 'md5')))"
)


def _score(label: str, threshold: float) -> str:
    return (
        f"e.classifiers.exists(s, s.label == '{label}' && (!has(s.status) || s.status == 'ok') && "
        f"has(s.score) && s.score != null && s.score >= {threshold})"
    )


_PROVENANCE: Final = "e.provenance != null && e.classifiers != null"

PROGRAM: Final = (
    "{"
    f"'{R1}': {_R1}, "
    f"'{R2}': {_PROVENANCE} && 'trainedAlgorithmicMedia' in e.provenance.digital_source_types && "
    f"{_score('minor_presence', 0.8)} && {_score('sexual', 0.8)}, "
    f"'{R3}': e.hash_matches != null && e.classifiers != null && {_score('csam', 0.7)} && !{_R1}, "
    f"'{R4}': {_PROVENANCE} && e.provenance.validation_state == 'invalid' && "
    f"{_score('ai_generated', 0.9)}, "
    f"'{R5}': has(e.actor.active_strikes) && e.actor.active_strikes >= 3"
    "}"
)


class Cel(Contender):
    key = "cel"
    label = "CEL"
    module = "cel"
    distribution = "common-expression-language"
    separates_conversion = True
    encoding = "one program returning a map of five booleans; R3 repeats R1's expression (no references)"

    def __init__(self) -> None:
        self._cel: Any = None
        self._program: Any = None

    def compile(self) -> None:
        self._cel = _import("cel")
        self._program = self._cel.compile(PROGRAM)

    def evaluate(self, event: Event) -> object:
        values: dict[str, bool] = self._program.execute({"e": event})  # the plain dict-in call
        return frozenset(name for name, value in values.items() if value)

    def convert(self, event: Event) -> object:
        return self._cel.Context(variables={"e": event})

    def run(self, native: object) -> object:
        values: dict[str, bool] = self._program.execute(native)
        return frozenset(name for name, value in values.items() if value)

    def fired(self, result: object) -> frozenset[str]:
        assert isinstance(result, frozenset)
        return result


__all__ = ["PROGRAM", "Cel"]
