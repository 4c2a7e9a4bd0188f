"""The five rules in JSONLogic (datalogic-py, a Rust JSONLogic engine).

Five compiled rules over the event as is; `some` is the quantifier, and R3 embeds R1's rule (JSONLogic has
no references). "max score >= t" is "some ok score of that label >= t". Comparisons are strict (`===`,
`!==`) because JSONLogic's loose `<=` reads null as 0 (a missing PDQ distance would pass `<= 31`), and
missing signals are tested explicitly. The conversion is `DataHandle(event)`, which copies the dict into
the engine's arena; `run` evaluates the five rules against it in one native call (`evaluate_many`).
"""

from __future__ import annotations

from typing import Any, Final

from ruleward.bench.contenders import Contender, Event, _import
from ruleward.bench.handwritten import RULE_NAMES

Logic = dict[str, Any]


def _present(path: str) -> Logic:
    return {"!==": [{"var": path}, None]}


def _score(label: str, threshold: float) -> Logic:
    return {
        "some": [
            {"var": "classifiers"},
            {
                "and": [
                    {"===": [{"var": "label"}, label]},
                    {"===": [{"var": ["status", "ok"]}, "ok"]},
                    _present("score"),
                    {">=": [{"var": "score"}, threshold]},
                ]
            },
        ]
    }


R1_LOGIC: Final[Logic] = {
    "and": [
        _present("hash_matches"),
        {
            "some": [
                {"var": "hash_matches"},
                {
                    "and": [
                        {"in": [{"var": "bank"}, ["ncmec_industry", "iwf"]]},
                        {
                            "or": [
                                {
                                    "and": [
                                        {"===": [{"var": "algorithm"}, "pdq"]},
                                        _present("distance"),
                                        {"<=": [{"var": "distance"}, 31]},
                                    ]
                                },
                                {"===": [{"var": "algorithm"}, "md5"]},
                            ]
                        },
                    ]
                },
            ]
        },
    ]
}

RULES: Final[tuple[Logic, ...]] = (
    R1_LOGIC,
    {
        "and": [
            _present("provenance"),
            _present("classifiers"),
            {"in": ["trainedAlgorithmicMedia", {"var": "provenance.digital_source_types"}]},
            _score("minor_presence", 0.8),
            _score("sexual", 0.8),
        ]
    },
    {
        "and": [
            _present("hash_matches"),
            _present("classifiers"),
            _score("csam", 0.7),
            {"!": R1_LOGIC},
        ]
    },
    {
        "and": [
            _present("provenance"),
            _present("classifiers"),
            {"===": [{"var": "provenance.validation_state"}, "invalid"]},
            _score("ai_generated", 0.9),
        ]
    },
    {">=": [{"var": ["actor.active_strikes", 0]}, 3]},
)


class JsonLogic(Contender):
    key = "jsonlogic"
    label = "JSONLogic"
    module = "datalogic_py"
    distribution = "datalogic-py"
    separates_conversion = True
    encoding = "five compiled rules evaluated in one native call; R3 embeds R1's rule (no references)"

    def __init__(self) -> None:
        self._datalogic: Any = None
        self._rules: list[Any] = []
        self._session: Any = None

    def compile(self) -> None:
        self._datalogic = _import("datalogic_py")
        engine = self._datalogic.Engine()
        self._rules = [engine.compile(rule) for rule in RULES]
        self._session = engine.session()

    def evaluate(self, event: Event) -> object:
        return self.run(self._datalogic.DataHandle(event))

    def convert(self, event: Event) -> object:
        return self._datalogic.DataHandle(event)

    def run(self, native: object) -> object:
        values = self._session.evaluate_many(self._rules, native)
        return frozenset(name for name, value in zip(RULE_NAMES, values, strict=True) if value == "true")

    def fired(self, result: object) -> frozenset[str]:
        assert isinstance(result, frozenset)
        return result


__all__ = ["RULES", "JsonLogic"]
