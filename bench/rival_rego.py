"""The five rules in OPA Rego (regopy, the rego-cpp interpreter).

Rego reads the event as `input` unchanged: the policy has quantifiers (`some m in ...`) and rule references,
so R3 says `not r1` itself. The policy is built once into a bundle whose query is `data.bench.fired`; per
event the adapter sets the input (the conversion: `regopy.Input` copies the dict into rego-cpp's
term form) and queries the bundle. Missing signals are tested explicitly (`!= null`), since in Rego an
undefined value would otherwise make `not r1` true.
"""

from __future__ import annotations

from typing import Any, Final

from ruleward.bench.contenders import Contender, Event, _import

POLICY: Final = """
package bench

import rego.v1

verified_banks := {"ncmec_industry", "iwf"}

verified_algorithm(m) if {
	m.algorithm == "pdq"
	m.distance != null
	m.distance <= 31
}

verified_algorithm(m) if m.algorithm == "md5"

score_at_least(label, threshold) if {
	some s in input.classifiers
	s.label == label
	object.get(s, "status", "ok") == "ok"
	s.score != null
	s.score >= threshold
}

r1 if {
	input.hash_matches != null
	some m in input.hash_matches
	verified_banks[m.bank]
	verified_algorithm(m)
}

r2 if {
	input.provenance != null
	input.classifiers != null
	"trainedAlgorithmicMedia" in input.provenance.digital_source_types
	score_at_least("minor_presence", 0.8)
	score_at_least("sexual", 0.8)
}

r3 if {
	input.hash_matches != null
	input.classifiers != null
	score_at_least("csam", 0.7)
	not r1
}

r4 if {
	input.provenance != null
	input.classifiers != null
	input.provenance.validation_state == "invalid"
	score_at_least("ai_generated", 0.9)
}

r5 if object.get(input.actor, "active_strikes", 0) >= 3

fired contains "r1_verified_hash" if r1

fired contains "r2_synthetic_minor_sexual" if r2

fired contains "r3_csam_review" if r3

fired contains "r4_ai_provenance" if r4

fired contains "r5_strikes" if r5
"""

QUERY: Final = "fired = data.bench.fired"


class Rego(Contender):
    key = "rego"
    label = "OPA Rego"
    module = "regopy"
    distribution = "regopy"
    separates_conversion = True
    encoding = "one module, `fired` a set rule over `input` as is; a bundle built once, queried per event"

    def __init__(self) -> None:
        self._regopy: Any = None
        self._bundle: Any = None
        self._runner: Any = None

    def compile(self) -> None:
        self._regopy = _import("regopy")
        builder = self._regopy.Interpreter()
        builder.add_module("bench.rego", POLICY)
        bundle = builder.build(QUERY)
        if not bundle.ok():
            raise RuntimeError(f"the Rego policy did not build: {bundle.node()}")
        self._bundle = bundle
        self._runner = self._regopy.Interpreter()

    def evaluate(self, event: Event) -> object:
        return self.run(self._regopy.Input(event))

    def convert(self, event: Event) -> object:
        return self._regopy.Input(event)

    def run(self, native: object) -> object:
        self._runner.set_input(native)
        output = self._runner.query_bundle(self._bundle)
        if not output.ok():
            raise RuntimeError(f"rego query failed: {output}")
        return frozenset(output.results[0].bindings.get("fired", ()))

    def fired(self, result: object) -> frozenset[str]:
        assert isinstance(result, frozenset)
        return result


__all__ = ["POLICY", "Rego"]
