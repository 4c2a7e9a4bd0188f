"""Mutants of a ruleset AST: which mistakes are made, and that each mutant differs from the original."""

from __future__ import annotations

from collections import Counter

from ruleward.dsl import nodes as n
from ruleward.dsl.loader import load_text
from ruleward.testing.mutants import mutants, shifted

TEXT = """
ruleset tiny
  version "1"
  owner "tests"
  description "mutants"
  fallback hold, review(queue: "signals_retry", priority: P2)

const limit = 31
const high = 0.9
list banks = ["bank_a", "bank_b"]

condition close = any m in hash_matches where m.bank in banks and m.distance <= limit

rule r
  tier child_safety
  owner "o"
  cite "c"
  description "d"
  when close or max_score("csam") >= high
  unless provenance is missing
  then hold, review(queue: "child_safety", priority: P1)

test t
  given {surface: "upload"}
  expect disposition allow
"""

RULESET = load_text(TEXT, "tiny.rw").ruleset
ALL = list(mutants(RULESET))


def test_shifted() -> None:
    assert shifted(31) == (30, 32)
    assert shifted(0.9) == (0.89, 0.91)


def test_every_kind_of_mutation_is_made() -> None:
    kinds = Counter(m.kind for m in ALL)
    assert kinds == {
        "threshold": 4,  # two constants, each up and down
        "list-member": 2,
        "comparison": 4,  # `in`, `<=`, `>=`, `is missing`
        "and-or": 2,
        "drop-operand": 5,  # two conjuncts, two disjuncts, the `unless`
        "negate": 3,  # the condition, the `when`, the `unless`
        "drop-action": 4,  # two actions of the rule, two of the fallback
    }


def test_mutants_differ_from_the_original_and_from_each_other() -> None:
    assert all(m.ruleset != RULESET for m in ALL)
    assert len({m.ruleset for m in ALL}) == len(ALL)


def test_tests_and_invariants_are_never_mutated() -> None:
    for mutant in ALL:
        assert mutant.ruleset.tests == RULESET.tests


def test_descriptions_say_what_changed_and_where() -> None:
    described = {(m.span.line, m.description) for m in ALL}
    assert (8, "constant `limit` changed from 31 to 32") in described
    assert (12, "`<=` changed to `<` in condition `close`") in described
    assert (10, 'list member "bank_b" changed to "bank_b_mutated" in list `banks`') in described
    assert (20, "`is missing` changed to `is present` in the `unless` of rule `r`") in described
    assert (21, "action `review` of rule `r` dropped") in described
    assert (6, "fallback action `hold` dropped") in described


def test_a_dropped_conjunct_leaves_the_other() -> None:
    dropped = [m for m in ALL if m.kind == "drop-operand" and "condition `close`" in m.description]
    bodies = set()
    for mutant in dropped:
        condition = next(d for d in mutant.ruleset.declarations() if isinstance(d, n.Condition))
        assert isinstance(condition.expr, n.Quantifier)
        bodies.add(type(condition.expr.body).__name__)
    assert bodies == {"Compare"}
    assert len(dropped) == 2
